"""The bypass behind CloudFront (issue 14), end to end in the sandbox data plane.

Behind CloudFront the ALB's TCP peer is an edge server, so the office is
matched on ``CloudFront-Viewer-Address`` (values from
``_viewer_address.viewer_address_values``) AND on the distribution's secret
origin custom header. The data plane's CloudFront port plays the
distribution: the rules see the edge's address, the viewer's real address
and port in the viewer header, and the origin header. Its listener port is
the ALB reached directly, where a client's headers arrive as sent.
"""
import os
import sys

import pytest

from tests.ansible_run import REPO
from tests.sandbox.alb_eval import target_group_name
from tests.sandbox.dataplane import (
    EDGE_IP, OFFICE_IP, PUBLIC_IP, RULE_HEADER, TARGET_GROUP_HEADER, VIEWER_ADDRESS_HEADER, DataPlane, request)
from tests.sandbox.sample_app import SampleApp
from tests.sandbox.seed import seed_site

sys.path.insert(0, os.path.join(REPO, '.collections'))
from ansible_collections.sorrypage.aws.plugins.module_utils._viewer_address import (  # noqa: E402 pylint: disable=wrong-import-position
    viewer_address_values)

pytestmark = pytest.mark.sandbox_only

ORIGIN_HEADER, ORIGIN_SECRET = 'X-Origin-Verify', 'cf-origin-3f9a1c77d2e04b8a'
MARKER = 'sorrypage-cloudfront-marker'
SORRY_BODY = '<!doctype html><title>Maintenance</title><p data-marker="%s">Back soon.</p>' % MARKER
HOST = 'shop.example.test'


def _make_room(elbv2, listener_arn, offset=10):
    """Move the controller's rules (1..N) back by ``offset`` so ours can go in front."""
    rules = [r for r in elbv2.describe_rules(ListenerArn=listener_arn)['Rules'] if not r['IsDefault']]
    elbv2.set_rule_priorities(RulePriorities=[{'RuleArn': r['RuleArn'], 'Priority': int(r['Priority']) + offset}
                                              for r in rules])


@pytest.fixture(scope='module')
def site_behind_cloudfront(moto):
    """Port 80 in maintenance: the viewer-address bypass (1) in front of the sorry rule (2)."""
    site = seed_site(moto, name='cfront')
    elbv2 = moto.client('elbv2')
    listener = site['listeners'][80]
    _make_room(elbv2, listener)
    viewer_values = viewer_address_values(['%s/32' % OFFICE_IP])
    assert viewer_values == ['127.0.0.2:*']
    bypass = elbv2.create_rule(ListenerArn=listener, Priority=1, Conditions=[
        {'Field': 'http-header', 'HttpHeaderConfig': {'HttpHeaderName': VIEWER_ADDRESS_HEADER, 'Values': viewer_values}},
        {'Field': 'http-header', 'HttpHeaderConfig': {'HttpHeaderName': ORIGIN_HEADER, 'Values': [ORIGIN_SECRET]}},
    ], Actions=[{'Type': 'forward', 'TargetGroupArn': site['target_groups']['shop-web']}])['Rules'][0]
    sorry = elbv2.create_rule(ListenerArn=listener, Priority=2, Conditions=[
        {'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/*']}},
    ], Actions=[{'Type': 'fixed-response', 'FixedResponseConfig': {
        'StatusCode': '503', 'ContentType': 'text/html', 'MessageBody': SORRY_BODY}}])['Rules'][0]
    application = SampleApp(name='shop-app').start()
    yield {'site': site, 'elbv2': elbv2, 'app': application, 'bypass': bypass, 'sorry': sorry}
    application.stop()


@pytest.fixture()
def plane(site_behind_cloudfront):  # pylint: disable=redefined-outer-name
    """The data plane of that site with the distribution in front (its origin header set), stopped at the end."""
    env = site_behind_cloudfront
    started = DataPlane(env['elbv2'], env['site']['load_balancer_arn'], env['app'].url, refresh_interval=None).start()
    started.set_cloudfront(origin_header=(ORIGIN_HEADER, ORIGIN_SECRET))
    yield started
    started.stop()


def _via_cloudfront(plane_, source_ip, headers=None, host=HOST, path='/deep/path?q=1'):  # pylint: disable=redefined-outer-name
    return request(plane_.cloudfront_url_for(80) + path, host=host, headers=headers, source_ip=source_ip)


def _direct(plane_, source_ip, headers=None):  # pylint: disable=redefined-outer-name
    return request(plane_.url_for(80) + '/deep/path?q=1', host=HOST, headers=headers, source_ip=source_ip)


def _assert_app(resp, env):
    assert (resp.status, resp.headers[RULE_HEADER], resp.headers['X-Sandbox-Rule-Arn']) == (200, '1', env['bypass']['RuleArn'])
    assert resp.headers[TARGET_GROUP_HEADER] == target_group_name(env['site']['target_groups']['shop-web'])
    assert MARKER not in resp.text


def _assert_sorry(resp, env):
    assert (resp.status, resp.headers[RULE_HEADER], resp.headers['X-Sandbox-Rule-Arn']) == (503, '2', env['sorry']['RuleArn'])
    assert MARKER in resp.text


# --- through the distribution ------------------------------------------------------

def test_office_through_cloudfront_reaches_the_app(site_behind_cloudfront, plane):  # pylint: disable=redefined-outer-name
    env = site_behind_cloudfront
    resp = _via_cloudfront(plane, OFFICE_IP)
    _assert_app(resp, env)
    assert resp.headers['Via'].endswith('.cloudfront.net (CloudFront)') and resp.headers['X-Cache'] == 'Miss from cloudfront'
    entry = plane.log[-1]
    viewer_ip, viewer_port = entry['viewer'].rsplit(':', 1)
    # The ALB saw the edge, never the office: a source-ip bypass could not have matched.
    assert (entry['client_ip'], viewer_ip, entry['rule']) == (EDGE_IP, OFFICE_IP, '1')
    assert 0 < int(viewer_port) < 65536
    seen = env['app'].requests[-1]['headers']
    assert seen[VIEWER_ADDRESS_HEADER] == entry['viewer']
    assert seen[ORIGIN_HEADER] == ORIGIN_SECRET
    assert seen['X-Forwarded-For'] == '%s, %s' % (OFFICE_IP, EDGE_IP)


def test_public_through_cloudfront_gets_the_sorry_page(site_behind_cloudfront, plane):  # pylint: disable=redefined-outer-name
    resp = _via_cloudfront(plane, PUBLIC_IP)
    _assert_sorry(resp, site_behind_cloudfront)
    assert resp.headers['X-Cache'] == 'Error from cloudfront'
    assert plane.log[-1]['viewer'].startswith(PUBLIC_IP + ':') and plane.log[-1]['client_ip'] == EDGE_IP


def test_cloudfront_overwrites_what_a_viewer_forges(site_behind_cloudfront, plane):  # pylint: disable=redefined-outer-name
    """A public viewer sending the office's viewer address and even the right secret through the distribution is
    still itself: CloudFront replaces both headers."""
    env = site_behind_cloudfront
    forged = {VIEWER_ADDRESS_HEADER: '%s:1234' % OFFICE_IP, ORIGIN_HEADER: 'guess', 'X-Forwarded-For': '198.51.100.7',
              'Via': '1.1 corporate-proxy'}
    resp = _via_cloudfront(plane, PUBLIC_IP, headers=forged)
    _assert_sorry(resp, env)
    resp = _via_cloudfront(plane, OFFICE_IP, headers=forged)  # the office's own request, forged headers and all
    _assert_app(resp, env)
    seen = env['app'].requests[-1]['headers']
    assert seen[VIEWER_ADDRESS_HEADER] == plane.log[-1]['viewer'] != '%s:1234' % OFFICE_IP
    assert seen[ORIGIN_HEADER] == ORIGIN_SECRET
    assert seen['X-Forwarded-For'] == '198.51.100.7, %s, %s' % (OFFICE_IP, EDGE_IP)
    assert seen['Via'].startswith('1.1 corporate-proxy, 1.1 ') and seen['Via'].endswith('.cloudfront.net (CloudFront)')


def test_a_distribution_without_the_origin_header_lets_nobody_through(site_behind_cloudfront, plane):  # pylint: disable=redefined-outer-name
    seen_before = len(site_behind_cloudfront['app'].requests)
    plane.set_cloudfront(origin_header=None)
    resp = _via_cloudfront(plane, OFFICE_IP)
    _assert_sorry(resp, site_behind_cloudfront)
    assert plane.log[-1]['viewer'].startswith(OFFICE_IP + ':')  # the viewer header alone is not enough
    assert len(site_behind_cloudfront['app'].requests) == seen_before


def test_a_host_that_is_not_an_alternate_domain_name_gets_cloudfront_403(site_behind_cloudfront, plane):  # pylint: disable=redefined-outer-name
    plane.set_cloudfront(origin_header=(ORIGIN_HEADER, ORIGIN_SECRET), hosts=[HOST])
    resp = _via_cloudfront(plane, OFFICE_IP, host='blog.example.test')
    assert (resp.status, resp.headers.get(RULE_HEADER), resp.headers['X-Cache']) == (403, None, 'Error from cloudfront')
    assert resp.text == ('sandbox CloudFront: blog.example.test is not an alternate domain name of the distribution '
                         '(shop.example.test)\n')
    assert (plane.log[-1]['status'], plane.log[-1]['bytes'], plane.log[-1]['rule']) == (403, len(resp.body), None)
    _assert_app(_via_cloudfront(plane, OFFICE_IP, host='SHOP.example.test:443'), site_behind_cloudfront)


# --- straight to the ALB: the client's headers as sent ---------------------------------

def test_office_straight_to_the_alb_gets_the_sorry_page(site_behind_cloudfront, plane):  # pylint: disable=redefined-outer-name
    """The bypass matches no source address: the office is let in through the distribution only."""
    _assert_sorry(_direct(plane, OFFICE_IP), site_behind_cloudfront)
    assert (plane.log[-1]['client_ip'], plane.log[-1]['viewer']) == (OFFICE_IP, None)


def test_forged_viewer_address_without_the_origin_header_gets_the_sorry_page(site_behind_cloudfront, plane):  # pylint: disable=redefined-outer-name
    resp = _direct(plane, PUBLIC_IP, headers={VIEWER_ADDRESS_HEADER: '%s:1234' % OFFICE_IP})
    _assert_sorry(resp, site_behind_cloudfront)
    resp = _direct(plane, PUBLIC_IP, headers={VIEWER_ADDRESS_HEADER: '%s:1234' % OFFICE_IP, ORIGIN_HEADER: 'guess'})
    _assert_sorry(resp, site_behind_cloudfront)


def test_forged_viewer_address_with_the_origin_secret_reaches_the_app(site_behind_cloudfront, plane):  # pylint: disable=redefined-outer-name
    # Anyone who knows the origin header's value can reach the ALB directly and claim any viewer address: the
    # secret is the whole protection of this bypass, so it stays out of logs and output (no_log) and out of the repo.
    env = site_behind_cloudfront
    resp = _direct(plane, PUBLIC_IP, headers={VIEWER_ADDRESS_HEADER: '%s:1234' % OFFICE_IP,
                                              ORIGIN_HEADER.lower(): ORIGIN_SECRET.upper()})  # the ALB ignores case
    _assert_app(resp, env)
    seen = env['app'].requests[-1]['headers']
    assert (seen[VIEWER_ADDRESS_HEADER], seen['X-Forwarded-For']) == ('%s:1234' % OFFICE_IP, PUBLIC_IP)


def test_listener_port_without_cloudfront_is_unchanged(site_behind_cloudfront):  # pylint: disable=redefined-outer-name
    env = site_behind_cloudfront
    with DataPlane(env['elbv2'], env['site']['listeners'][80], env['app'].url) as bare:
        with pytest.raises(LookupError) as err:
            bare.cloudfront_url_for(80)
        assert 'no CloudFront in front of' in str(err.value) and 'set_cloudfront()' in str(err.value)
        resp = _direct(bare, PUBLIC_IP)
        _assert_sorry(resp, env)
        assert 'Via' not in resp.headers and 'X-Cache' not in resp.headers
