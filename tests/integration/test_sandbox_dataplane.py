"""The sandbox ALB data plane against a real moto server, with real HTTP from 127.0.0.x."""
import pytest

from tests.sandbox.alb_eval import target_group_name
from tests.sandbox.aws import MotoServer
from tests.sandbox.dataplane import (
    OFFICE_IP, PUBLIC_IP, RULE_HEADER, TARGET_GROUP_HEADER, DataPlane, RuleHistory, request)
from tests.sandbox.sample_app import APP_TARGET_GROUP_HEADER, SampleApp
from tests.sandbox.seed import seed_site

pytestmark = pytest.mark.sandbox_only

MARKER = 'sorrypage-marker-7f3a'
SORRY_BODY = '<!doctype html><title>Maintenance</title><p data-marker="%s">Back soon.</p>' % MARKER
BYPASS_HEADER, BYPASS_TOKEN = 'X-Sorry-Bypass', 'let-me-in-42'


def _sorry_action():
    return [{'Type': 'fixed-response', 'FixedResponseConfig': {
        'StatusCode': '503', 'ContentType': 'text/html', 'MessageBody': SORRY_BODY}}]


def _forward(arn):
    return [{'Type': 'forward', 'TargetGroupArn': arn}]


def _make_room(elbv2, listener_arn, offset=10):
    """Move the controller's rules (1..N) back by ``offset`` so ours can go in front."""
    rules = [r for r in elbv2.describe_rules(ListenerArn=listener_arn)['Rules'] if not r['IsDefault']]
    elbv2.set_rule_priorities(RulePriorities=[{'RuleArn': r['RuleArn'], 'Priority': int(r['Priority']) + offset}
                                              for r in rules])


def _maintenance_on(elbv2, site, hosts=None):
    """Bypass by office CIDR (1), bypass by header (2), sorry for every path (3) on port 80."""
    listener = site['listeners'][80]
    web = site['target_groups']['shop-web']
    _make_room(elbv2, listener)
    elbv2.create_rule(ListenerArn=listener, Priority=1, Actions=_forward(web), Conditions=[
        {'Field': 'source-ip', 'SourceIpConfig': {'Values': ['%s/32' % OFFICE_IP]}}])
    elbv2.create_rule(ListenerArn=listener, Priority=2, Actions=_forward(web), Conditions=[
        {'Field': 'http-header', 'HttpHeaderConfig': {'HttpHeaderName': BYPASS_HEADER, 'Values': [BYPASS_TOKEN]}}])
    conditions = [{'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/*']}}]
    if hosts:
        conditions.append({'Field': 'host-header', 'HostHeaderConfig': {'Values': list(hosts)}})
    return elbv2.create_rule(ListenerArn=listener, Priority=3, Actions=_sorry_action(), Conditions=conditions)['Rules'][0]


@pytest.fixture()
def app():
    server = SampleApp(name='shop-app').start()
    yield server
    server.stop()


@pytest.fixture()
def dataplanes():
    """Start data planes with ``dataplanes(...)``; all are stopped at the end."""
    started = []

    def start(*args, **kwargs):
        plane = DataPlane(*args, **kwargs).start()
        started.append(plane)
        return plane

    yield start
    for plane in started:
        plane.stop()


# --- the rule history: held back until released ---------------------------------

def test_rule_history_serves_the_newest_rules_unless_held():
    history = RuleHistory()
    assert history.record([{'Priority': 'default'}]) is True
    assert history.effective() == [{'Priority': 'default'}]
    assert history.record([{'Priority': 'default'}]) is False
    assert history.record([{'Priority': '1'}]) is True
    assert (history.effective(), history.stale()) == ([{'Priority': '1'}], False)

    history.hold()
    assert history.record([{'Priority': '2'}]) is True
    assert history.record([{'Priority': '3'}]) is True
    assert (history.effective(), history.stale(), history.latest()) == ([{'Priority': '1'}], True, [{'Priority': '3'}])
    assert history.release() is True
    assert (history.effective(), history.stale(), history.held) == ([{'Priority': '3'}], False, False)
    assert history.release() is False

    history.hold()
    assert history.record([{'Priority': '3'}]) is False
    assert history.stale() is False  # held, but nothing newer to hold back


def test_rule_history_held_before_the_first_read_serves_that_read():
    history = RuleHistory()
    history.hold()
    history.record([{'Priority': 'default'}])
    assert (history.effective(), history.stale()) == ([{'Priority': 'default'}], False)


def test_rule_history_without_rules():
    with pytest.raises(LookupError) as err:
        RuleHistory().effective()
    assert str(err.value) == 'no rules read yet'


# --- routing as seeded by the controller ---------------------------------------

@pytest.mark.parametrize('path, host, rule, target_group', [
    ('/', 'shop.example.test', '2', 'shop-web'),
    ('/deep/path?q=1', 'SHOP.example.test:80', '2', 'shop-web'),
    ('/api/x', 'shop.example.test', '1', 'shop-api'),
    ('/API/x', 'shop.example.test', '2', 'shop-web'),
    ('/', 'blog.example.test', '3', 'blog-web'),
])
def test_public_client_reaches_the_app_by_forward(moto, site, app, dataplanes, path, host, rule, target_group):
    plane = dataplanes(moto.client('elbv2'), site['load_balancer_arn'], app.url)
    resp = request(plane.url_for(80) + path, host=host, source_ip=PUBLIC_IP)
    tg_name = target_group_name(site['target_groups'][target_group])
    assert (resp.status, resp.headers[RULE_HEADER], resp.headers[TARGET_GROUP_HEADER]) == (200, rule, tg_name)
    assert resp.headers[APP_TARGET_GROUP_HEADER] == tg_name
    assert resp.first_line == 'shop-app OK: target-group=%s method=GET path=%s' % (tg_name, path)
    seen = app.requests[-1]
    assert (seen['target_group_arn'], seen['headers']['X-Forwarded-For'], seen['headers']['X-Forwarded-Port']) == (
        site['target_groups'][target_group], PUBLIC_IP, '80')
    assert plane.log[-1]['client_ip'] == PUBLIC_IP and plane.log[-1]['rule'] == rule


def test_unknown_host_gets_the_default_fixed_404(moto, site, app, dataplanes):
    plane = dataplanes(moto.client('elbv2'), site['listeners'][80], app.url)
    resp = request(plane.url_for(80) + '/', host='other.example.test')
    assert (resp.status, resp.headers[RULE_HEADER], resp.headers['Content-Type'], resp.headers['Server'], resp.body) == (
        404, 'default', 'text/plain; charset=utf-8', 'awselb/2.0', b'')
    assert app.requests == []


def test_https_listener_is_served_locally_with_forwarded_proto(moto, site, app, dataplanes):
    plane = dataplanes(moto.client('elbv2'), site['load_balancer_arn'], app.url)
    resp = request(plane.url_for(443) + '/x', host='blog.example.test')
    assert (resp.status, resp.headers['X-Sandbox-Listener']) == (200, 'HTTPS:443')
    assert (app.requests[-1]['headers']['X-Forwarded-Proto'], app.requests[-1]['headers']['X-Forwarded-Port']) == ('https', '443')


def test_redirect_listener_answers_with_the_location_alb_builds(moto, app, dataplanes):
    site = seed_site(moto, name='redir', redirect_http=True)
    plane = dataplanes(moto.client('elbv2'), site['load_balancer_arn'], app.url)
    resp = request(plane.url_for(80) + '/cart?item=3', host='shop.example.test')
    assert (resp.status, resp.headers['Location'], resp.headers[RULE_HEADER]) == (
        301, 'https://shop.example.test:443/cart?item=3', 'default')


# --- maintenance: bypass first, then the sorry rule ------------------------------

@pytest.fixture(scope='module')
def maintenance(moto):
    """One site in maintenance (office and header bypass, sorry on /*), served by one data plane."""
    site = seed_site(moto, name='maint')
    elbv2 = moto.client('elbv2')
    sorry_rule = _maintenance_on(elbv2, site)
    application = SampleApp(name='shop-app').start()
    plane = DataPlane(elbv2, site['load_balancer_arn'], application.url).start()
    yield site, plane, application, sorry_rule
    plane.stop()
    application.stop()


PATHS = ['/', '/deep/path?q=1', '/api/x']
METHODS = ['GET', 'POST', 'HEAD']
HOSTS = ['shop.example.test', 'blog.example.test']


@pytest.mark.parametrize('host', HOSTS)
@pytest.mark.parametrize('verb', METHODS)
@pytest.mark.parametrize('path', PATHS)
def test_public_gets_the_sorry_page(maintenance, path, verb, host):
    _site, plane, _app, sorry_rule = maintenance
    resp = request(plane.url_for(80) + path, method=verb, host=host, source_ip=PUBLIC_IP, body='x=1' if verb == 'POST' else None)
    assert (resp.status, resp.headers['Content-Type'], resp.headers[RULE_HEADER], resp.headers['X-Sandbox-Rule-Arn']) == (
        503, 'text/html; charset=utf-8', '3', sorry_rule['RuleArn'])
    assert resp.headers['Content-Length'] == str(len(SORRY_BODY.encode('utf-8')))
    if verb == 'HEAD':
        assert resp.body == b''
    else:
        assert MARKER in resp.text


@pytest.mark.parametrize('host', HOSTS)
@pytest.mark.parametrize('verb', METHODS)
@pytest.mark.parametrize('path', PATHS)
def test_office_address_gets_the_app(maintenance, path, verb, host):
    site, plane, app_, _sorry = maintenance
    resp = request(plane.url_for(80) + path, method=verb, host=host, source_ip=OFFICE_IP)
    tg_name = target_group_name(site['target_groups']['shop-web'])
    assert (resp.status, resp.headers[RULE_HEADER], resp.headers[TARGET_GROUP_HEADER]) == (200, '1', tg_name)
    assert MARKER not in resp.text
    assert app_.requests[-1]['client'] == '127.0.0.1' and app_.requests[-1]['headers']['X-Forwarded-For'] == OFFICE_IP
    assert plane.log[-1]['client_ip'] == OFFICE_IP


@pytest.mark.parametrize('headers, source_ip, status, rule', [
    ({BYPASS_HEADER: BYPASS_TOKEN}, PUBLIC_IP, 200, '2'),
    ({BYPASS_HEADER.lower(): BYPASS_TOKEN.upper()}, PUBLIC_IP, 200, '2'),
    ({BYPASS_HEADER: 'wrong-token'}, PUBLIC_IP, 503, '3'),
    ({'X-Forwarded-For': OFFICE_IP}, PUBLIC_IP, 503, '3'),  # source-ip is the TCP peer, never X-Forwarded-For
    ({}, '127.0.0.4', 503, '3'),
])
def test_bypass_by_header_and_not_by_forwarded_for(maintenance, headers, source_ip, status, rule):
    _site, plane, _app, _sorry = maintenance
    resp = request(plane.url_for(80) + '/deep/path?q=1', host='shop.example.test', headers=headers, source_ip=source_ip)
    assert (resp.status, resp.headers[RULE_HEADER]) == (status, rule)
    assert (MARKER in resp.text) is (status == 503)


def test_host_specific_sorry_rule(moto, app, dataplanes):
    site = seed_site(moto, name='hosts')
    elbv2 = moto.client('elbv2')
    _maintenance_on(elbv2, site, hosts=['BLOG.example.test'])
    plane = dataplanes(elbv2, site['listeners'][80], app.url)
    blog = request(plane.url_for(80) + '/post/1', host='blog.example.test', source_ip=PUBLIC_IP)
    shop = request(plane.url_for(80) + '/post/1', host='shop.example.test', source_ip=PUBLIC_IP)
    api = request(plane.url_for(80) + '/api/v1', host='shop.example.test', source_ip=PUBLIC_IP)
    assert (blog.status, blog.headers[RULE_HEADER]) == (503, '3') and MARKER in blog.text
    assert (shop.status, shop.headers[RULE_HEADER], shop.headers[TARGET_GROUP_HEADER]) == (
        200, '12', target_group_name(site['target_groups']['shop-web']))
    assert (api.status, api.headers[RULE_HEADER], api.headers[TARGET_GROUP_HEADER]) == (
        200, '11', target_group_name(site['target_groups']['shop-api']))


# --- rule changes: cache, propagation delay -------------------------------------

def test_change_is_served_after_a_refresh_without_delay(moto, site, app, dataplanes):
    elbv2 = moto.client('elbv2')
    plane = dataplanes(elbv2, site['listeners'][80], app.url, refresh_interval=None)
    url = plane.url_for(80) + '/'
    assert request(url, host='shop.example.test').status == 200
    _maintenance_on(elbv2, site)
    assert request(url, host='shop.example.test').status == 200  # cached until the next read, like any reader
    plane.refresh()
    resp = request(url, host='shop.example.test')
    assert (resp.status, resp.headers[RULE_HEADER]) == (503, '3')


def test_held_propagation_serves_the_old_rules_until_released(moto, site, app, dataplanes):
    elbv2 = moto.client('elbv2')
    _make_room(elbv2, site['listeners'][80])
    plane = dataplanes(elbv2, site['listeners'][80], app.url, refresh_interval=0.0)
    url = plane.url_for(80) + '/'
    assert request(url, host='shop.example.test').status == 200
    plane.hold_propagation()
    elbv2.create_rule(ListenerArn=site['listeners'][80], Priority=3, Actions=_sorry_action(),
                      Conditions=[{'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/*']}}])
    assert [request(url, host='shop.example.test').status for attempt in range(3)] == [200, 200, 200]
    assert plane.stale_answers == 3 and [e['stale'] for e in plane.log[-3:]] == [True] * 3
    assert plane.listener(80).history.stale()
    plane.release_propagation()
    resp = request(url, host='shop.example.test')
    assert (resp.status, resp.headers[RULE_HEADER], plane.log[-1]['stale']) == (503, '3', False)

    # Taking it off is held back as well, here until two requests have been answered from the old rules.
    plane.hold_propagation(release_after=2)
    sorry = [r for r in elbv2.describe_rules(ListenerArn=site['listeners'][80])['Rules'] if r['Priority'] == '3'][0]
    elbv2.delete_rule(RuleArn=sorry['RuleArn'])
    assert [request(url, host='shop.example.test').status for attempt in range(4)] == [503, 503, 200, 200]
    assert plane.stale_answers == 2 and not plane.listener(80).history.held


def test_held_propagation_without_a_change_counts_nothing(moto, site, app, dataplanes):
    plane = dataplanes(moto.client('elbv2'), site['listeners'][80], app.url, refresh_interval=0.0)
    plane.hold_propagation(release_after=1)
    assert [request(plane.url_for(80) + '/', host='shop.example.test').status for attempt in range(2)] == [200, 200]
    assert plane.stale_answers == 0 and plane.listener(80).history.held


def test_rules_keep_being_served_when_the_api_is_gone(app, dataplanes):
    with MotoServer() as private_moto:
        site = seed_site(private_moto, name='gone', https=False)
        _maintenance_on(private_moto.client('elbv2'), site)
        plane = dataplanes(private_moto.client('elbv2'), site['load_balancer_arn'], app.url, refresh_interval=0.0)
    plane.refresh()
    assert plane.last_error(80).startswith('EndpointConnectionError: Could not connect to the endpoint URL')
    resp = request(plane.url_for(80) + '/', host='shop.example.test')
    assert (resp.status, resp.headers[RULE_HEADER]) == (503, '3')


# --- the application side ----------------------------------------------------------

def test_broken_app_answers_503_without_the_sorry_page_and_stopped_app_502(moto, site, dataplanes):
    broken_app = SampleApp(name='shop-app').start()
    try:
        plane = dataplanes(moto.client('elbv2'), site['listeners'][80], broken_app.url)
        url = plane.url_for(80) + '/checkout'
        broken_app.broken = True
        resp = request(url, host='shop.example.test')
        assert (resp.status, resp.headers[RULE_HEADER]) == (503, '2')
        assert resp.first_line.startswith('shop-app application error (503): target-group=')
        assert MARKER not in resp.text
        health = request(broken_app.url + '/healthz', source_ip=None)
        assert (health.status, health.first_line) == (503, 'shop-app application error (503): target-group=- method=GET path=/healthz')
        broken_app.broken = False
        assert request(broken_app.url + '/healthz', source_ip=None).text == 'ok\n'
    finally:
        broken_app.stop()
    resp = request(url, host='shop.example.test')
    assert (resp.status, resp.headers[RULE_HEADER]) == (502, '2')
    assert b'<h1>502 Bad Gateway</h1>' in resp.body


def test_app_url_per_target_group_and_weighted_forward(moto, site, dataplanes):
    elbv2 = moto.client('elbv2')
    web, api = site['target_groups']['shop-web'], site['target_groups']['shop-api']
    listener = site['listeners'][80]
    _make_room(elbv2, listener)
    elbv2.create_rule(ListenerArn=listener, Priority=1, Conditions=[
        {'Field': 'query-string', 'QueryStringConfig': {'Values': [{'Key': 'canary', 'Value': 'yes'}]}}], Actions=[
        {'Type': 'forward', 'ForwardConfig': {'TargetGroups': [{'TargetGroupArn': web, 'Weight': 10},
                                                               {'TargetGroupArn': api, 'Weight': 90}]}}])
    with SampleApp(name='api-app') as api_app:
        plane = dataplanes(elbv2, listener, {target_group_name(api): api_app.url})
        canary = request(plane.url_for(80) + '/?canary=YES', host='shop.example.test')
        unmapped = request(plane.url_for(80) + '/', host='shop.example.test')
    assert (canary.status, canary.headers[RULE_HEADER], canary.headers[TARGET_GROUP_HEADER]) == (200, '1', target_group_name(api))
    assert canary.first_line.startswith('api-app OK: ')
    assert (unmapped.status, unmapped.headers[RULE_HEADER]) == (503, '12')


def test_several_load_balancers_share_a_port(moto, app, dataplanes):
    first, second = seed_site(moto, name='twin-a', https=False), seed_site(moto, name='twin-b', https=False)
    plane = dataplanes(moto.client('elbv2'), [first['load_balancer_arn'], second['listeners'][80]], app.url)
    with pytest.raises(ValueError) as err:
        plane.url_for(80)
    assert str(err.value) == 'port 80 is a listener of 2 load balancers here: pass load_balancer_arn or the listener ARN'
    assert plane.url_for(80, second['load_balancer_arn']) == plane.url_for(second['listeners'][80])
    assert plane.url_for(80, first['load_balancer_arn']) != plane.url_for(80, second['load_balancer_arn'])
    with pytest.raises(KeyError) as missing:
        plane.url_for(8080)
    assert missing.value.args[0] == 'no emulated listener for 8080'


def test_bad_listener_reference_is_refused(moto, app):
    with pytest.raises(ValueError) as err:
        DataPlane(moto.client('elbv2'), 'arn:aws:s3:::bucket', app.url).start()
    assert str(err.value) == "'arn:aws:s3:::bucket' is neither a listener ARN nor a load balancer ARN"
