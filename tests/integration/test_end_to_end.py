"""End to end through the whole sandbox: the real playbooks with inventories/local,
then real HTTP requests (and a real headless Chromium) through the data plane.

One sandbox and one maintenance_on run serve the read-only checks; the last
test of that sandbox runs maintenance_off. The verify test has its own sandbox,
whose data plane holds rule changes back until the test lets them through.
"""
import json
import os
import re
import urllib.request

import pytest

from tests.ansible_run import REPO, run_playbook
from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, request
from tests.sandbox.sandbox import Sandbox

pytestmark = pytest.mark.sandbox_only

INVENTORY = 'inventories/local/hosts.yml'
SHOP, BLOG = 'shop.example.test', 'blog.example.test'
PATHS = ('/', '/deep/path?q=1', '/api/x')
METHODS = ('GET', 'POST', 'HEAD')
BYPASS_HEADER = {'X-Sorry-Bypass': 'sandbox-not-a-secret'}
SCREENSHOTS = os.path.join(REPO, 'tests', 'output', 'browser')
# Verify probes at most this often, up to this long: a bound for a hang, never reached when things work.
PATIENT = {'sorry_verify_timeout': 600, 'sorry_verify_delay': 1}
ACCENT_RGB = 'rgb(26, 79, 139)'  # --accent #1a4f8b of roles/sorry_assets/files/style.css, the h1 colour (light)


def expected_target_group(sandbox, host, path):
    """The target group name the application's own routing of the seeded site
    picks: by host, then by path for the shop."""
    if host == BLOG:
        key = 'blog-web'
    else:
        key = 'shop-api' if path.startswith('/api/') else 'shop-web'
    # arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID
    return sandbox.sites[0]['target_groups'][key].split(':')[-1].split('/')[1]


def assert_ok(result):
    assert result.rc == 0, 'rc %d\nstdout tail: %s\nstderr tail: %s' % (result.rc, result.stdout[-4000:], result.stderr[-3000:])


def task(result, name):
    """The last result of the task called name (role tasks are named 'ROLE : name')."""
    found = [res for tname, _host, res in result.tasks() if tname == name or tname.endswith(' : ' + name)]
    assert found, 'no task %r ran; tasks: %r' % (name, [tname for tname, _host, _res in result.tasks()])
    return found[-1]


def messages(result, task_name):
    msg = task(result, task_name).get('msg')
    return '\n'.join(msg) if isinstance(msg, list) else str(msg)


def markers_by_host(sandbox):
    """host name -> the build marker tagged on the sorry rule that answers it (port 80 listener)."""
    elbv2 = sandbox.moto.client('elbv2')
    rules = elbv2.describe_rules(ListenerArn=sandbox.sites[0]['listeners'][80])['Rules']
    arns = [rule['RuleArn'] for rule in rules if not rule['IsDefault']]
    tags = {}
    for start in range(0, len(arns), 20):
        for desc in elbv2.describe_tags(ResourceArns=arns[start:start + 20])['TagDescriptions']:
            tags[desc['ResourceArn']] = {tag['Key']: tag['Value'] for tag in desc['Tags']}
    found = {}
    for rule in rules:
        marker = tags.get(rule['RuleArn'], {}).get('sorrypage:marker')
        if not marker:
            continue
        for cond in rule['Conditions']:
            if cond['Field'] == 'host-header':
                values = cond.get('HostHeaderConfig', {}).get('Values') or cond.get('Values') or []
                for host in values:
                    found[host] = marker
    return found


@pytest.fixture(scope='module')
def site_on():
    """The sandbox with maintenance ON: maintenance_prepare.yml (uploads the
    assets) and maintenance_on.yml through inventories/local."""
    with Sandbox(site_names=('shop',), pod_delay=1.0, controller=False) as sandbox:
        assert sandbox.sites[0]['hosts'] == [SHOP, BLOG]
        assert_ok(run_playbook('playbooks/maintenance_prepare.yml', inventory=INVENTORY, env=sandbox.env()))
        assert_ok(run_playbook('playbooks/maintenance_on.yml', inventory=INVENTORY, env=sandbox.env()))
        markers = markers_by_host(sandbox)
        assert set(markers) == {SHOP, BLOG} and markers[SHOP] != markers[BLOG], markers
        sandbox.markers = markers
        yield sandbox


@pytest.mark.parametrize('host', (SHOP, BLOG))
@pytest.mark.parametrize('method', METHODS)
@pytest.mark.parametrize('path', PATHS)
def test_the_public_gets_the_sorry_page(site_on, host, method, path):
    resp = request(site_on.url_for(80) + path, method=method, host=host, source_ip=PUBLIC_IP)
    assert resp.status == 503, (resp.status, resp.headers, resp.first_line)
    assert resp.headers.get('Content-Type', '').split(';')[0].strip() == 'text/html', resp.headers
    assert 'X-Sandbox-Target-Group' not in resp.headers, resp.headers
    if method == 'HEAD':
        assert resp.body == b''
    else:
        assert resp.text.lstrip().lower().startswith('<!doctype html'), resp.first_line
        assert site_on.markers[host] in resp.text
        other = site_on.markers[BLOG if host == SHOP else SHOP]
        assert other not in resp.text


@pytest.mark.parametrize('who', ('office-address', 'public-with-header'))
@pytest.mark.parametrize('host', (SHOP, BLOG))
@pytest.mark.parametrize('method', METHODS)
@pytest.mark.parametrize('path', PATHS)
def test_a_bypassed_user_gets_the_application(site_on, who, host, method, path):
    source, headers = (OFFICE_IP, None) if who == 'office-address' else (PUBLIC_IP, BYPASS_HEADER)
    resp = request(site_on.url_for(80) + path, method=method, host=host, headers=headers, source_ip=source)
    group = expected_target_group(site_on, host, path)
    assert resp.status == 200, (resp.status, resp.headers, resp.first_line)
    assert resp.headers.get('X-Sandbox-Target-Group') == group, resp.headers
    if method != 'HEAD':
        assert 'target-group=%s ' % group in resp.first_line + ' ', resp.first_line
        assert 'method=%s' % method in resp.first_line, resp.first_line
        assert not resp.text.lstrip().lower().startswith('<!doctype html')


def test_chromium_shows_the_sorry_page_to_the_public(site_on):
    """A browser connects from 127.0.0.1, a public address for the sandbox; the
    stylesheet and the logo come from the sandbox CDN (moto's S3), another origin."""
    from tests.browser import chromium_browser, console_errors, problems, watch  # pylint: disable=import-outside-toplevel

    # The CDN stand-in is moto's S3 endpoint, which refuses an anonymous GET of
    # a private object (CloudFront reads it with its own access): public-read.
    bucket = site_on.assets['bucket']
    site_on.moto.client('s3').put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        'Version': '2012-10-17',
        'Statement': [{'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject',
                       'Resource': 'arn:aws:s3:::%s/*' % bucket}]}))
    port = site_on.url_for(80).rsplit(':', 1)[1]
    url = 'http://%s:%s/some/path' % (SHOP, port)
    with chromium_browser(['--host-resolver-rules=MAP %s 127.0.0.1' % SHOP]) as browser:
        context = browser.new_context(viewport={'width': 1024, 'height': 768}, color_scheme='light')
        try:
            page = watch(context.new_page())
            response = page.goto(url, wait_until='load')
            assert response is not None and response.status == 503
            assert site_on.markers[SHOP] in page.content()
            for href in page.evaluate('[...document.querySelectorAll("link[rel=stylesheet], img")].map(e => e.href || e.src)'):
                with urllib.request.urlopen(href, timeout=10) as asset:  # anonymous, like the browser
                    assert asset.status == 200, href
            assert problems(page) == []
            assert page.eval_on_selector('h1', 'e => getComputedStyle(e).color') == ACCENT_RGB
            logo = page.eval_on_selector('img', 'e => ({src: e.currentSrc, width: e.naturalWidth})')
            assert logo['width'] > 0, logo
            assert not logo['src'].startswith('http://%s:%s/' % (SHOP, port)), logo
            sheets = page.evaluate('[...document.styleSheets].map(s => s.href).filter(Boolean)')
            assert sheets and all(site_on.assets['public_url'].split('/')[2] in href for href in sheets), sheets
            assert console_errors(page) == []
            assert problems(page) == []
            os.makedirs(SCREENSHOTS, exist_ok=True)
            page.screenshot(path=os.path.join(SCREENSHOTS, 'end_to_end_public_sorry.png'), full_page=True)
        finally:
            context.close()


def test_off_gives_the_public_the_application_again(site_on):
    result = run_playbook('playbooks/maintenance_off.yml', inventory=INVENTORY, env=site_on.env())
    assert_ok(result)
    for host in (SHOP, BLOG):
        for path in PATHS:
            resp = request(site_on.url_for(80) + path, host=host, source_ip=PUBLIC_IP)
            group = expected_target_group(site_on, host, path)
            assert resp.status == 200, (host, path, resp.status, resp.first_line)
            assert resp.headers.get('X-Sandbox-Target-Group') == group, resp.headers
            assert 'target-group=%s ' % group in resp.first_line + ' ', resp.first_line


def test_verify_waits_for_propagation_and_is_inconclusive_from_a_bypassed_source():
    """The data plane keeps serving the old rules while `on` writes the new ones (a real ALB applies a change
    after a while), and lets the change through only after it has answered one request from the old rules:
    the verify run after `on` sees the public still getting the application, and must try again."""
    with Sandbox(site_names=('shop',), pod_delay=1.0, controller=False) as sandbox:
        env, plane = sandbox.env(), sandbox.dataplane
        plane.hold_propagation(release_after=1)
        # on without its own probe: the verify run right after it is the one that has to wait.
        assert_ok(run_playbook('playbooks/maintenance_on.yml', inventory=INVENTORY, env=env,
                               extra_vars={'sorry_verify_url': ''}))
        plane.refresh(80)
        assert plane.listener(80).history.stale(), 'on wrote no rule change for the data plane to hold back'
        assert plane.stale_answers == 0

        plane.clear_log()
        verify = run_playbook('playbooks/maintenance_verify.yml', inventory=INVENTORY, env=env, extra_vars=PATIENT)
        assert_ok(verify)
        stale = [entry for entry in plane.log if entry['stale']]
        assert len(stale) == 1 and plane.stale_answers == 1, plane.log
        assert (stale[0]['status'], stale[0]['action'], stale[0]['client_ip']) == (200, 'forward', '127.0.0.1'), stale
        assert plane.log[0] is stale[0], 'the first probe was not answered from the old rules: %r' % plane.log[0]
        report = messages(verify, 'Report what the public and a bypassed user get')
        found = re.search(r'public: OK - HTTP 503, the Sorry page \(marker found\) after (\d+) attempt\(s\)', report)
        assert found, report
        assert int(found.group(1)) > 1, report
        assert task(verify, 'Request without the bypass header, until it gets the expected answer')['attempts'] > 1

        # The control node (127.0.0.1) in the bypass list: its probe is no public one.
        bypassed_env = dict(env, SORRY_BYPASS_CIDRS='127.0.0.2/32,127.0.0.1/32')
        bypassed = run_playbook('playbooks/maintenance_on.yml', inventory=INVENTORY, env=bypassed_env,
                                extra_vars=dict(PATIENT, sorry_verify_source_is_bypassed=True))
        assert_ok(bypassed)
        report = messages(bypassed, 'Report what the public and a bypassed user get')
        assert 'public: INCONCLUSIVE - this control node is in the bypass list' in report, report
        assert 'public: OK' not in report, report
