"""The Ingress driver end to end: the real maintenance playbooks against the whole sandbox.

The sandbox runs the stand-in AWS Load Balancer Controller in Ingress mode:
it builds the listener rules from the Ingresses in the stand-in Kubernetes
API (tests/sandbox/ingress_model.py) every 50 ms. ``on`` edits the Ingress,
the controller programs the ALB, and what a visitor gets is asked of the
data plane. The hosts go to one target group each (``path_routed=False``):
the Ingress driver's bypass forwards to one target group per host.
"""
import json
import os
import sys
import threading

import pytest
import yaml

from tests.ansible_run import REPO, run_playbook
from tests.integration.test_runbook import BYPASS_HEADER, assert_ok, failure, messages, playbook, results
from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, request
from tests.sandbox.sandbox import Sandbox
from tests.sandbox.seed import snapshot_listener

pytestmark = pytest.mark.sandbox_only

RECORD = 'sorrypage.aws/ingress-edit'
CONTROLLER = ('kube-system', 'aws-load-balancer-controller')


@pytest.fixture()
def sandbox():
    with Sandbox(pod_delay=0, controller=True, controller_interval=0.5, ingress=True, path_routed=False) as box:
        yield box


@pytest.fixture()
def group_sandbox():
    with Sandbox(pod_delay=0, controller=True, controller_interval=0.5, ingress=True, path_routed=False,
                 ingress_group='shopgroup') as box:
        yield box


def site_vars(box, index=0, **extra):
    site = box.sites[index]
    values = {
        'ansible_connection': 'local',
        'ansible_python_interpreter': sys.executable,
        'sorry_region': 'us-east-1',
        'sorry_aws_endpoint_url': box.proxy.url,
        'sorry_load_balancer_name': site['load_balancer_name'],
        'sorry_kubeconfig': box.kubeconfig,
        'sorry_pages': [{'name': 'shop', 'page': 'en', 'hosts': [site['hosts'][0]]},
                        {'name': 'blog', 'page': 'ja', 'hosts': [site['hosts'][1]]}],
        'sorry_bypass_cidrs': ['127.0.0.2/32'],
        'sorry_bypass_headers': [BYPASS_HEADER],
        'sorry_reason': 'Database upgrade',
        'sorry_until': '2030-05-01T06:00:00Z',
        'sorry_operator': 'alice',
        'sorry_status_url': 'https://status.example.test/',
        'sorry_public_url': 'https://d111111abcdef8.cloudfront.net/sorry',
        'sorry_verify_url': box.url_for(80, index) + '/',
        'sorry_verify_headers': {'Host': site['hosts'][0]},
        'sorry_verify_timeout': 20,
        'sorry_verify_delay': 1,
        'sorry_ingress_timeout': 30,
    }
    values.update(extra)
    return values


class Book:
    def __init__(self, tmp_path, box, index=0, **extra):
        self.path = str(tmp_path / ('inventory-%d.yml' % index))
        with open(self.path, 'w', encoding='utf-8') as handle:
            yaml.safe_dump({'sorry_sites': {'hosts': {box.sites[index]['name']: site_vars(box, index, **extra)}}}, handle)

    def run(self, entry, extra_vars=None):
        return run_playbook(playbook(entry), inventory=self.path, extra_vars=extra_vars)


def ingresses(box):
    """Every Ingress of the site's namespace: name -> (annotations, spec), the resourceVersion apart."""
    namespace = box.sites[0]['name']
    found = {}
    for item in box.kube.list('ingresses', namespace):
        meta = item['metadata']
        found[meta['name']] = (dict(meta.get('annotations') or {}), json.loads(json.dumps(item['spec'])))
    return found


def listeners(box):
    elbv2 = box.moto.client('elbv2')
    return dict((port, snapshot_listener(elbv2, arn)) for port, arn in box.sites[0]['listeners'].items())


def settled(box):
    """The listeners after one whole pass of the controller that started now."""
    box.reconciler.wait_for_pass()
    return listeners(box)


def summary(res):
    return messages(res, 'Summary')


def visitor(box, host, source_ip, path='/deep/path?q=1', headers=None):
    return request(box.url_for(80) + path, host=host, source_ip=source_ip, headers=headers)


def controller_replicas(box):
    return box.kube.get('deployments', CONTROLLER[1], CONTROLLER[0])['spec']['replicas']


# ---------------------------------------------------------------- the round trip, an Ingress without a group
def test_auto_switches_through_the_ingress_and_off_leaves_ingress_and_alb_as_before(tmp_path, sandbox):
    box = sandbox
    before_ingresses, before_listeners = ingresses(box), settled(box)
    book = Book(tmp_path, box)

    res = book.run('on')
    assert_ok(res)
    text = summary(res)
    assert 'driver: ingress (auto: the controller kube-system/aws-load-balancer-controller of cluster sandbox runs' in text, text
    assert 'controller: running' in text
    # the controller runs (nothing paused) and our edit is in the Ingress, with the record
    assert controller_replicas(box) == 2
    annotations, spec = ingresses(box)['main']
    assert RECORD in annotations and json.loads(annotations[RECORD])['info']['sorrypage:by'] == 'alice'
    assert [rule.get('host') for rule in spec['rules']][:2] == box.sites[0]['hosts']
    assert BYPASS_HEADER['value'] not in res.stdout   # the secret never reaches the output
    # what visitors get, through the data plane: the public the page, the office the application
    for host in box.sites[0]['hosts']:
        assert visitor(box, host, PUBLIC_IP).status == 503
        office = visitor(box, host, OFFICE_IP)
        assert office.status == 200 and 'OK' in office.first_line
        by_header = visitor(box, host, PUBLIC_IP, headers={BYPASS_HEADER['name']: BYPASS_HEADER['value']})
        assert by_header.status == 200
    assert 'public: OK - HTTP 503, the Sorry page (marker found)' in messages(
        res, 'Report what the public and a bypassed user get')

    # a rerun writes nothing into the Ingress
    version = box.kube.get('ingresses', 'main', box.sites[0]['name'])['metadata']['resourceVersion']
    res = book.run('on')
    assert_ok(res)
    assert results(res, 'Put the bypass and the Sorry page into the Ingress')[0]['changed'] is False
    assert box.kube.get('ingresses', 'main', box.sites[0]['name'])['metadata']['resourceVersion'] == version

    res = book.run('status')
    assert_ok(res)
    lines = messages(res, 'Show the maintenance status of the site')
    assert 'maintenance ON' in lines and 'driver: ingress' in lines and 'by alice - why: Database upgrade' in lines, lines

    res = book.run('verify')
    assert_ok(res)
    assert 'public: OK - HTTP 503, the Sorry page' in messages(res, 'Report what the public and a bypassed user get')

    res = book.run('off')
    assert_ok(res)
    assert 'maintenance off' in summary(res)
    assert ingresses(box) == before_ingresses
    assert settled(box) == before_listeners
    for host in box.sites[0]['hosts']:
        assert visitor(box, host, PUBLIC_IP).status == 200


def test_off_never_shows_the_page_to_an_internal_user(tmp_path, sandbox):
    """The controller rewrites the rules one call at a time, and only when the test ticks it: after every call, an
    office user (by address and by header) is asked for every host. The sorry path goes first, the bypass only once
    the ALB no longer answers with the page, so no state in between shows it to them."""
    box = sandbox
    book = Book(tmp_path, box)
    assert_ok(book.run('on'))
    hosts = box.sites[0]['hosts']
    assert all(visitor(box, host, PUBLIC_IP).status == 503 for host in hosts)
    controller = box.reconciler
    controller.stop()                      # from now on it acts only in tick(), one rule change per tick
    controller.max_changes_per_tick = 1
    header = {BYPASS_HEADER['name']: BYPASS_HEADER['value']}
    outcome = {}
    runner = threading.Thread(target=lambda: outcome.setdefault('res', book.run('off')))
    runner.start()
    seen = []
    try:
        for _tick in range(3000):          # bounded: the playbook's own waits end it long before
            if not runner.is_alive():
                break
            if controller.tick():
                for host in hosts:
                    seen.append((host, 'address', visitor(box, host, OFFICE_IP).status))
                    seen.append((host, 'header', visitor(box, host, PUBLIC_IP, headers=header).status))
            runner.join(0.05)
    finally:
        runner.join(300)
    assert_ok(outcome['res'])
    changes = [c for c in controller.changes if c[0] != 'modify-default']
    assert len(changes) > 4 and len(seen) >= 4 * 2 * len(hosts)     # the states in between were looked at
    # never the page; a host may answer the listener's default (404) for a call or two while the controller
    # deletes before it modifies, as the real one does: that is not ours to avoid
    assert [s for s in seen if s[2] == 503] == []
    assert set(s[2] for s in seen) <= {200, 404}
    assert all(visitor(box, host, PUBLIC_IP).status == 200 for host in hosts)


# ---------------------------------------------------------------- a release replaces the Ingress mid-window
def test_a_helm_upgrade_mid_window_drops_the_page_status_says_so_and_on_puts_it_back(tmp_path, sandbox):
    box = sandbox
    namespace = box.sites[0]['name']
    box.kube.patch('ingresses', 'main', {'metadata': {'labels': {'app.kubernetes.io/managed-by': 'Helm'},
                                                      'annotations': {'meta.helm.sh/release-name': 'shop'}}}, namespace)
    _annotations, chart_spec = ingresses(box)['main']
    book = Book(tmp_path, box)
    res = book.run('on')
    assert_ok(res)
    said = messages(res, 'Say who else re-applies the Ingress (a sync during the window takes the page down)')
    assert 'WARNING: %s/main is managed by Helm' % namespace in said, said
    host = box.sites[0]['hosts'][0]
    assert visitor(box, host, PUBLIC_IP).status == 503
    # helm upgrade: the chart's spec.rules replace the list (our entries go); annotations it does not manage stay,
    # and the new chart version adds one
    box.kube.patch('ingresses', 'main', {'spec': {'rules': chart_spec['rules']}, 'metadata': {'annotations': {
        'alb.ingress.kubernetes.io/healthcheck-path': '/ready'}}}, namespace)
    box.reconciler.wait_for_pass()
    assert visitor(box, host, PUBLIC_IP).status == 200          # the page is gone for the public
    res = book.run('status')
    assert_ok(res)
    lines = messages(res, 'Show the maintenance status of the site')
    assert 'WARNING: DRIFT: our edit in the Ingress %s/main is no longer all there' % namespace in lines, lines
    assert 'gone: the spec.rules entry of %s' % host in lines
    assert 'WARNING: DRIFT: our record in the Ingress says the Sorry page is on, but no listener' in lines
    res = book.run('verify')                   # the probe sees what the ALB has now; the warning says why
    said = messages(res, 'Warn about what the site says (drift, a rule without its bypass, a release that replaced our edit)')
    assert 'WARNING: DRIFT: our edit in the Ingress %s/main is no longer all there' % namespace in said, said
    res = book.run('on')
    assert_ok(res)
    assert results(res, 'Put the bypass and the Sorry page into the Ingress')[0]['changed'] is True
    assert visitor(box, host, PUBLIC_IP).status == 503
    assert visitor(box, host, OFFICE_IP).status == 200
    res = book.run('off')
    assert_ok(res)
    said = messages(res, 'Say what was taken out of the Ingress')
    assert 'Left as the release made it: %s/main: annotation alb.ingress.kubernetes.io/healthcheck-path added' % namespace \
        in said, said
    assert ingresses(box)['main'][0]['alb.ingress.kubernetes.io/healthcheck-path'] == '/ready'
    assert visitor(box, host, PUBLIC_IP).status == 200


# ---------------------------------------------------------------- an IngressGroup: our own Ingress
def test_in_an_ingress_group_our_own_ingress_comes_and_goes_and_the_users_are_untouched(tmp_path, group_sandbox):
    box = group_sandbox
    before_ingresses, before_listeners = ingresses(box), settled(box)
    book = Book(tmp_path, box)
    res = book.run('on')
    assert_ok(res)
    assert 'driver: ingress' in summary(res)
    now = ingresses(box)
    ours = [name for name in now if name not in before_ingresses]
    assert ours == ['sorrypage-maintenance']
    assert now[ours[0]][0]['alb.ingress.kubernetes.io/group.order'] == '-1000'
    assert dict((k, v) for k, v in now.items() if k in before_ingresses) == before_ingresses
    for host in box.sites[0]['hosts']:
        assert visitor(box, host, PUBLIC_IP).status == 503
        assert visitor(box, host, OFFICE_IP).status == 200
    res = book.run('off')
    assert_ok(res)
    assert ingresses(box) == before_ingresses
    assert settled(box) == before_listeners


def test_a_rerun_of_on_that_the_controller_does_not_act_on_leaves_the_maintenance_on(tmp_path, sandbox):
    box = sandbox
    book = Book(tmp_path, box, sorry_ingress_timeout=3)
    assert_ok(book.run('on'))
    host = box.sites[0]['hosts'][0]
    for reconciler in box.reconcilers:
        reconciler.stop_acting()
    res = book.run('on', extra_vars={'sorry_reason': 'Taking longer than planned'})
    assert res.rc != 0
    text = failure(res)
    assert 'The maintenance that was already on through the Ingress is left as it is' in text, text
    assert BYPASS_HEADER['value'] not in res.stdout
    assert controller_replicas(box) == 2                             # no fallback, no pause
    annotations, _spec = ingresses(box)['main']
    assert RECORD in annotations                                     # nothing taken back
    for reconciler in box.reconcilers:
        reconciler.resume_acting()
    box.reconciler.wait_for_pass()
    assert visitor(box, host, PUBLIC_IP).status == 503 and visitor(box, host, OFFICE_IP).status == 200
    assert_ok(book.run('on', extra_vars={'sorry_reason': 'Taking longer than planned'}))
    assert_ok(book.run('off'))
    assert visitor(box, host, PUBLIC_IP).status == 200


def test_the_alb_driver_taking_over_an_ingress_held_site_takes_our_edit_out_before_resuming(tmp_path, sandbox):
    """An SRE forces the ALB driver (an outage starts) on a site switched on through the Ingress: off, by the ALB driver
    that now holds it, takes our edit out of the Ingress before the controller resumes, or it would put the page back."""
    box = sandbox
    before_ingresses, before_listeners = ingresses(box), settled(box)
    book = Book(tmp_path, box)
    assert_ok(book.run('on'))
    # (the controller's bypass rules have a source-ip condition already, so the ALB driver cannot mirror them: it
    # refuses before any change; a bypass target group is given here)
    # (the stand-in controller, ticking every 50 ms, holds still while the ALB driver writes, until it is paused: a
    # real one reconciles on events, far more rarely)
    box.reconciler.stop_acting()
    res = book.run('on', extra_vars={'sorry_driver': 'alb',
                                     'sorry_bypass_target_group_arn': sorted(box.sites[0]['target_groups'].values())[0]})
    box.reconciler.resume_acting()
    assert_ok(res)
    assert controller_replicas(box) == 0
    res = book.run('off', extra_vars={'sorry_bypass_target_group_arn': ''})
    assert_ok(res)
    assert 'our edit is also in the Ingress (shop/main): the ALB driver takes it out before the controller resumes' in \
        summary(res), summary(res)
    assert controller_replicas(box) == 2
    assert ingresses(box) == before_ingresses
    # the controller rebuilt its rules while it came back (new ARNs, the same rules)
    assert without_arns(settled(box)) == without_arns(before_listeners)
    for host in box.sites[0]['hosts']:
        assert visitor(box, host, PUBLIC_IP).status == 200


def without_arns(snapshot):
    return dict((port, [rule[:1] + rule[2:] for rule in rules]) for port, rules in snapshot.items())


def test_off_while_another_sites_outage_holds_the_controller_deletes_our_rules_directly(tmp_path):
    """Two sites of one cluster: shop is on through the Ingress, then blog's outage pauses the controller. shop's
    off cannot go through the Ingress (nobody programs the ALB): our edit comes out of the Ingress and our rules -
    the controller's - are deleted from the ALB directly, and it says so."""
    with Sandbox(site_names=('shop', 'blog'), pod_delay=0, controller=True, controller_interval=0.5, ingress=True,
                 path_routed=False) as box:
        shop, blog = Book(tmp_path, box, 0), Book(tmp_path, box, 1, sorry_eks_outage=True)
        before_shop = ingresses(box)
        assert_ok(shop.run('on'))
        assert 'driver: ingress' in summary(shop.run('status'))
        box.reconcilers[1].stop_acting()     # holds still while blog's ALB driver writes, until it is paused
        res = blog.run('on')
        box.reconcilers[1].resume_acting()
        assert_ok(res)
        assert controller_replicas(box) == 0
        host = box.sites[0]['hosts'][0]
        assert visitor(box, host, PUBLIC_IP).status == 503

        res = shop.run('off')
        assert_ok(res)
        said = messages(res, 'Say why our rules are deleted from the ALB directly')
        assert 'the controller is paused, held by blog (EKS-outage mode): the Ingress change cannot reach the ALB' in said
        assert visitor(box, host, PUBLIC_IP).status == 200 and visitor(box, host, OFFICE_IP).status == 200
        assert ingresses(box) == before_shop
        assert 'maintenance off' in summary(res)
        # blog is still on, and its off resumes the controller, which finds nothing of ours to put back
        blog_host = box.sites[1]['hosts'][0]
        assert request(box.url_for(80, 1) + '/', host=blog_host, source_ip=PUBLIC_IP).status == 503
        assert_ok(blog.run('off'))
        assert controller_replicas(box) == 2
        box.reconciler.wait_for_pass()
        assert visitor(box, host, PUBLIC_IP).status == 200


# ---------------------------------------------------------------- a release playbook in Ingress mode
def test_the_release_example_in_ingress_mode_keeps_the_page_on_when_a_step_fails(tmp_path, sandbox):
    box = sandbox
    before_ingresses = ingresses(box)
    book = Book(tmp_path, box)
    example = os.path.join(REPO, 'playbooks', 'examples', 'release_with_maintenance.yml')
    res = run_playbook(example, inventory=book.path, extra_vars={'release_version': '2.14.0', 'release_fail': True})
    assert res.rc != 0
    assert ("Release 2.14.0 failed at 'Run the database migration (your step here)': migration of release 2.14.0 failed. "
            'The Sorry page STAYS ON for shop.') in failure(res), failure(res)
    status = messages(res, 'Show the maintenance status of the site')
    assert 'maintenance ON' in status and 'driver: ingress' in status, status
    assert 'why: Release 2.14.0 in progress.' in status
    assert controller_replicas(box) == 2            # the controller ran all along: deploys work during the window
    host = box.sites[0]['hosts'][0]
    assert visitor(box, host, PUBLIC_IP).status == 503 and visitor(box, host, OFFICE_IP).status == 200

    res = run_playbook(example, inventory=book.path, extra_vars={'release_version': '2.14.0'})
    assert_ok(res)
    assert 'maintenance off' in messages(res, 'Show the maintenance status of the site')
    assert ingresses(box) == before_ingresses
    assert visitor(box, host, PUBLIC_IP).status == 200


# ---------------------------------------------------------------- prepare: the preview through the Ingress
def test_prepare_installs_the_preview_through_the_ingress_any_day_and_takes_it_out(tmp_path, sandbox):
    box = sandbox
    before_ingresses, before_listeners = ingresses(box), settled(box)
    book = Book(tmp_path, box, sorry_preview_path='/_sorry-preview')
    res = book.run('prepare')
    assert_ok(res)
    assert 'preview' in messages(res, 'Say where the preview is')
    box.reconciler.wait_for_pass()
    for host in box.sites[0]['hosts']:
        preview = visitor(box, host, PUBLIC_IP, path='/_sorry-preview')
        assert preview.status == 503 and 'text/html' in preview.headers['Content-Type']
        assert visitor(box, host, PUBLIC_IP).status == 200          # nothing else the public sees changes
    assert controller_replicas(box) == 2
    res = book.run('status')                      # a preview is not the page on
    assert_ok(res)
    assert 'maintenance off' in summary(res)
    assert 'Preview at /_sorry-preview' in messages(res, 'Show the maintenance status of the site')
    res = book.run('prepare', extra_vars={'sorry_preview_path': ''})
    assert_ok(res)
    assert ingresses(box) == before_ingresses
    assert settled(box) == before_listeners


# ---------------------------------------------------------------- ssl-redirect: the page on HTTPS only
def test_with_ssl_redirect_the_page_goes_on_https_only_and_status_says_so(tmp_path):
    with Sandbox(pod_delay=0, controller=True, controller_interval=0.5, ingress=True, path_routed=False,
                 redirect_http=True) as box:
        book = Book(tmp_path, box, sorry_verify_url=box.url_for(443) + '/')
        res = book.run('on')
        assert_ok(res)
        assert 'maintenance ON' in summary(res) and 'driver: ingress' in summary(res)
        host = box.sites[0]['hosts'][0]
        assert request(box.url_for(443) + '/', host=host, source_ip=PUBLIC_IP).status == 503
        assert request(box.url_for(443) + '/', host=host, source_ip=OFFICE_IP).status == 200
        assert request(box.url_for(80) + '/', host=host, source_ip=PUBLIC_IP).status == 301
        res = book.run('status')
        assert_ok(res)
        lines = messages(res, 'Show the maintenance status of the site')
        assert 'HTTP:80 only redirects (redirect HTTP_301; e.g. ssl-redirect)' in lines, lines
        assert 'HTTPS:443 ON since' in lines
        assert_ok(book.run('off'))
        assert request(box.url_for(443) + '/', host=host, source_ip=PUBLIC_IP).status == 200


# ---------------------------------------------------------------- the choice of driver
def status_driver_line(res):
    return [line for line in summary(res).splitlines() if line.strip().startswith('driver:')][0].strip()


def test_auto_chooses_the_alb_when_the_controller_cannot_do_it(tmp_path, sandbox):
    box = sandbox
    book = Book(tmp_path, box)
    res = book.run('status')
    assert_ok(res)
    assert status_driver_line(res).startswith('driver: ingress (auto: the controller')

    res = book.run('status', extra_vars={'sorry_eks_outage': True})
    assert_ok(res)
    assert status_driver_line(res).startswith('driver: alb (auto: sorry_eks_outage=true switches on the ALB itself')

    box.kube.patch('deployments', CONTROLLER[1], {'spec': {'replicas': 0}}, CONTROLLER[0])
    res = book.run('status')
    assert_ok(res)
    assert 'driver: alb (auto: the controller kube-system/aws-load-balancer-controller has no available replica' in \
        status_driver_line(res)
    box.kube.patch('deployments', CONTROLLER[1], {'spec': {'replicas': 2}}, CONTROLLER[0])

    res = book.run('status', extra_vars={'sorry_kubeconfig': str(tmp_path / 'nowhere')})
    assert_ok(res)
    assert status_driver_line(res).startswith('driver: alb (auto: the controller could not be read')


def test_auto_chooses_the_alb_when_the_controller_serves_another_cluster(tmp_path, sandbox):
    box = sandbox
    dep = box.kube.get('deployments', CONTROLLER[1], CONTROLLER[0])
    containers = dep['spec']['template']['spec']['containers']
    containers[0]['args'] = [a.replace('--cluster-name=sandbox', '--cluster-name=other') for a in containers[0]['args']]
    box.kube.patch('deployments', CONTROLLER[1], {'spec': {'template': {'spec': {'containers': containers}}}},
                   CONTROLLER[0])
    res = Book(tmp_path, box).run('status')
    assert_ok(res)
    assert 'driver: alb (auto: the controller of the kube context does not serve this ALB: it serves cluster other' in \
        status_driver_line(res)


# ---------------------------------------------------------------- fallback
def test_a_controller_that_does_not_act_falls_back_to_the_alb_driver_under_auto(tmp_path, sandbox):
    box = sandbox
    before_ingresses = ingresses(box)
    for reconciler in box.reconcilers:
        reconciler.stop_acting()
    book = Book(tmp_path, box, sorry_ingress_timeout=3)
    res = book.run('on')
    assert_ok(res)
    text = messages(res, 'Say why the Ingress change did not reach the ALB')
    assert 'did not put the change on the ALB within 3s' in text, text
    assert BYPASS_HEADER['value'] not in res.stdout
    assert 'driver: alb (auto: fell back from the Ingress driver' in summary(res)
    # the ALB driver: our rules on the ALB, the controller paused, our edit out of the Ingress
    assert controller_replicas(box) == 0
    assert ingresses(box) == before_ingresses
    assert visitor(box, box.sites[0]['hosts'][0], PUBLIC_IP).status == 503
    assert visitor(box, box.sites[0]['hosts'][0], OFFICE_IP).status == 200

    # the site is switched off by the driver that switched it on: the ALB's, which resumes the controller
    for reconciler in box.reconcilers:
        reconciler.resume_acting()
    res = book.run('off')
    assert_ok(res)
    assert 'driver: alb (switched on by the ALB driver' in summary(res)
    assert controller_replicas(box) == 2
    assert visitor(box, box.sites[0]['hosts'][0], PUBLIC_IP).status == 200


def test_under_sorry_driver_ingress_a_controller_that_does_not_act_fails_with_the_next_command(tmp_path, sandbox):
    box = sandbox
    before_ingresses, before_listeners = ingresses(box), settled(box)
    for reconciler in box.reconcilers:
        reconciler.stop_acting()
    res = Book(tmp_path, box, sorry_ingress_timeout=3, sorry_driver='ingress').run('on')
    assert res.rc != 0
    text = failure(res)
    assert 'did not put the change on the ALB within 3s' in text and '-e sorry_driver=alb' in text, text
    assert 'Sorry page through shop/main: off (wrote shop/main)' in text, text
    assert BYPASS_HEADER['value'] not in res.stdout
    assert ingresses(box) == before_ingresses          # our edit is taken back out
    assert listeners(box) == before_listeners           # nothing reached the ALB
    assert controller_replicas(box) == 2
