"""Variants of a set through the Ingress driver: a Japanese page for a ``ja`` browser, JSON for API clients.

ingress_sorry runs through real ansible-playbook against the stand-in
Kubernetes API; the stand-in controller (LbcReconciler in Ingress mode) turns
the edit into listener rules on a moto ALB, and the data plane answers
requests by those rules: the variant paths of a host's entry become rules
between its bypass and its default page, their http-header conditions come
from the ``conditions.*`` annotations, their content type from the action.
"""
import json

import pytest

from tests.ansible_run import run_module
from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, DataPlane, request
from tests.sandbox.k8s_api import K8sApi
from tests.sandbox.lbc_reconciler import LbcReconciler
from tests.sandbox.sample_app import SampleApp
from tests.sandbox.seed import seed_ingress, seed_site, snapshot_listener

pytestmark = pytest.mark.sandbox_only

MODULE = 'sorrypage.aws.ingress_sorry'
SECRET = 'bypass-token-77a1e0'
MARKER, JA_MARKER, API_MARKER = '1a2b3c4d5e', '0f1e2d3c4b', '9a8b7c6d5e'
TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/k8s-ing-shopweb-0a1b2c3d4e/0123456789abcdef'
BODY = '<!doctype html><title>Maintenance</title><p>Back soon. %s</p>' % MARKER
JA_BODY = '<!doctype html><html lang="ja"><title>メンテナンス中</title><p>ただいまメンテナンス中です。%s</p>' % JA_MARKER
API_BODY = json.dumps({'status': 503, 'error': 'maintenance', 'message': 'Back soon', 'until': '06:00 UTC',
                       'status_url': 'https://status.example.test', 'marker': API_MARKER}, separators=(',', ':'))


def sets(host, target_group):
    variants = [
        {'name': 'ja', 'body': JA_BODY, 'marker': JA_MARKER,
         'http_headers': [{'name': 'Accept-Language', 'values': ['ja*']}]},
        {'name': 'api-path', 'body': API_BODY, 'content_type': 'application/json', 'marker': API_MARKER,
         'path_patterns': ['/api/*']},
        {'name': 'api-accept', 'body': API_BODY, 'content_type': 'application/json', 'marker': API_MARKER,
         'http_headers': [{'name': 'Accept', 'values': ['application/json*']}]},
    ]
    return [{'hosts': [host], 'body': BODY, 'marker': MARKER, 'source_ips': ['%s/32' % OFFICE_IP],
             'http_headers': [{'name': 'X-Sorry-Bypass', 'values': [SECRET]}], 'target_groups': [target_group],
             'variants': variants}]


def rules_of(elbv2, listener):
    rules = elbv2.describe_rules(ListenerArn=listener)['Rules']
    return sorted((r for r in rules if not r['IsDefault']), key=lambda r: int(r['Priority']))


def shape(rule):
    """(action type, fixed-response content type, sorted [field, values]) of a rule; bypass header values masked."""
    action = rule['Actions'][-1]
    conditions = []
    for condition in rule['Conditions']:
        field = condition['Field']
        if field == 'http-header':
            config = condition['HttpHeaderConfig']
            values = config['Values'] if config['HttpHeaderName'].startswith('Accept') else ['********']
            conditions.append([field, [config['HttpHeaderName'], values]])
        else:
            key = {'host-header': 'HostHeaderConfig', 'path-pattern': 'PathPatternConfig',
                   'source-ip': 'SourceIpConfig'}[field]
            conditions.append([field, condition[key]['Values']])
    return action['Type'], (action.get('FixedResponseConfig') or {}).get('ContentType'), sorted(conditions)


def ok(kube, state, **args):
    args = dict(args, state=state, kubeconfig=kube.kubeconfig, context='sandbox')
    result = run_module(MODULE, args)
    assert not result.get('failed'), result.get('msg') or result
    assert SECRET not in json.dumps(result)  # the bypass value never shows; the variants' header values may
    return result


@pytest.mark.parametrize('group', [None, 'varshop'], ids=['in_place', 'group'])
def test_a_ja_browser_gets_the_japanese_page_an_api_client_json_and_off_restores_the_rules(moto, tmp_path, group):
    name = 'ingvar%s' % ('g' if group else 'i')
    site = seed_site(moto, name=name, https=False, ingress_group=group)
    kube = K8sApi(pod_delay=0).start()
    try:
        kube.seed_lbc(cluster_name='sandbox')
        kube.write_kubeconfig(str(tmp_path / 'kubeconfig'))
        seeded = seed_ingress(kube, site)
        elbv2 = moto.client('elbv2')
        listener = site['listeners'][80]
        reconciler = LbcReconciler(kube, elbv2=elbv2, listener_arns=[listener], ingress_stack=seeded['stack'],
                                   target_groups=seeded['target_groups'])
        assert reconciler.tick() is True and reconciler.errors == []
        before = snapshot_listener(elbv2, listener)
        host, other_host = site['hosts'][0], site['hosts'][1]
        page = sets(host, site['target_groups']['%s-web' % host.partition('.')[0]])
        with SampleApp(name='%s-app' % name) as app, \
                DataPlane(elbv2, listener, app.url, refresh_interval=None) as plane:
            base = plane.url_for(80)

            def get(path, headers=None, source_ip=PUBLIC_IP, to=host):
                return request(base + path, host=to, headers=headers, source_ip=source_ip)

            on = ok(kube, 'present', stack=seeded['stack'], sets=page)
            assert on['changed'] is True and on['maintenance'] == 'on'
            assert on['markers'] == [MARKER, JA_MARKER, API_MARKER]
            assert ok(kube, 'present', stack=seeded['stack'], sets=page)['changed'] is False
            assert reconciler.tick() is True and reconciler.errors == []
            plane.refresh()
            # as the controller builds them: our paths in the entry's order, each a rule by priority, the
            # conditions annotation's http-header added to the host and path, the action's content type
            assert [shape(rule) for rule in rules_of(elbv2, listener)[:6]] == [
                ('forward', None, [['host-header', [host]], ['path-pattern', ['/*']],
                                   ['source-ip', ['%s/32' % OFFICE_IP]]]),
                ('forward', None, [['host-header', [host]], ['http-header', ['X-Sorry-Bypass', ['********']]],
                                   ['path-pattern', ['/*']]]),
                ('fixed-response', 'text/html', [['host-header', [host]], ['http-header', ['Accept-Language', ['ja*']]],
                                                 ['path-pattern', ['/*']]]),
                ('fixed-response', 'application/json', [['host-header', [host]], ['path-pattern', ['/api/*']]]),
                ('fixed-response', 'application/json', [['host-header', [host]],
                                                        ['http-header', ['Accept', ['application/json*']]],
                                                        ['path-pattern', ['/*']]]),
                ('fixed-response', 'text/html', [['host-header', [host]], ['path-pattern', ['/*']]]),
            ]

            ja = get('/cart', {'Accept-Language': 'ja,en-US;q=0.9'})
            assert (ja.status, ja.text) == (503, JA_BODY)
            assert ja.headers.get('Content-Type').startswith('text/html')
            en = get('/cart', {'Accept-Language': 'en-US,en;q=0.9,ja;q=0.8'})
            assert (en.status, en.text) == (503, BODY)
            assert get('/cart').text == BODY  # no Accept-Language at all: the default page
            for answer in (get('/cart', {'Accept': 'application/json'}), get('/api/x'),
                           get('/api/x', {'Accept-Language': 'en-US'})):
                assert answer.status == 503 and answer.text == API_BODY
                assert answer.headers.get('Content-Type').startswith('application/json')
                assert json.loads(answer.text)['error'] == 'maintenance'
            # the variants in the order given: ja first, so a ja browser on /api/* gets the Japanese page
            assert get('/api/x', {'Accept-Language': 'ja'}).text == JA_BODY
            # office users bypass all of it
            assert get('/cart', {'Accept-Language': 'ja'}, source_ip=OFFICE_IP).status == 200
            assert get('/api/x', {'Accept': 'application/json', 'X-Sorry-Bypass': SECRET}).status == 200
            assert get('/cart', {'Accept-Language': 'ja'}, to=other_host).status == 200  # not a host of the set

            half = ok(kube, 'sorry_absent', stack=seeded['stack'])
            assert half['maintenance'] == 'bypass_only'
            reconciler.tick()
            plane.refresh()
            assert get('/cart', {'Accept-Language': 'ja'}).status == 200
            assert get('/api/x', {'Accept': 'application/json'}).status == 200

            off = ok(kube, 'absent', stack=seeded['stack'])
            assert off['maintenance'] == 'off'
            reconciler.tick()
            assert reconciler.errors == []
        assert snapshot_listener(elbv2, listener) == before
    finally:
        kube.stop()


def test_a_bad_variant_fails_before_any_write_naming_it(tmp_path):
    kube = K8sApi(pod_delay=0).start()
    try:
        kube.write_kubeconfig(str(tmp_path / 'kubeconfig'))
        site = {'name': 'ingvarbad', 'controller_managed': True, 'stack': 'ingvarbad/main', 'https': False,
                'hosts': ['shop.example.test', 'blog.example.test'], 'dns_name': 'ingvarbad.elb.test',
                'target_groups': {svc: TG for svc in ('shop-api', 'shop-web', 'blog-web')}}
        seeded = seed_ingress(kube, site)
        before = kube.get('ingresses', 'main', 'ingvarbad')
        page = sets('shop.example.test', TG)
        page[0]['variants'][1]['body'] = '<p>not JSON</p>'
        page[0]['variants'][0]['http_headers'][0]['values'] = ['ja', 'ja-*', 'ja_*', 'jp*']
        result = run_module(MODULE, dict(state='present', stack=seeded['stack'], sets=page,
                                         kubeconfig=kube.kubeconfig, context='sandbox'))
        assert result.get('failed') is True
        assert ('sets[0].variants[0]: each of its rules would have 6 condition values (1 host, 1 path pattern, '
                '4 header values), over the 5 of an ALB rule') in result['msg']
        assert 'sets[0].variants[1].body is not valid JSON, as content_type application/json says' in result['msg']
        assert SECRET not in json.dumps(result)
        assert [r for r in kube.request_log if r.method != 'GET' and '/ingresses' in r.path] == []
        assert kube.get('ingresses', 'main', 'ingvarbad') == before
    finally:
        kube.stop()
