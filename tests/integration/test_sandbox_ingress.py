"""The stand-in controller learns the Ingress: the model (pure), the reconciler in Ingress mode, the API.

The model tests feed Ingress dicts to ``tests.sandbox.ingress_model`` and
check the rules the AWS Load Balancer Controller would program. The others
drive the reconciler with ``tick()`` against moto, write Ingresses with the
real ``kubernetes`` client, and ask the data plane what a visitor gets.
"""
import json

import boto3
import pytest
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.rest import ApiException

from tests.ansible_run import run_module
from tests.sandbox.counting_proxy import CountingProxy
from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, RULE_HEADER, TARGET_GROUP_HEADER, DataPlane, request
from tests.sandbox.alb_eval import target_group_name
from tests.sandbox.ingress_model import IngressModelError, listener_rules, sort_paths
from tests.sandbox.k8s_api import K8sApi
from tests.sandbox.lbc_reconciler import LbcReconciler
from tests.sandbox.sample_app import SampleApp
from tests.sandbox.sandbox import Sandbox
from tests.sandbox.seed import seed_ingress, seed_site, snapshot_listener

pytestmark = pytest.mark.sandbox_only

A = 'alb.ingress.kubernetes.io/'
TG_WEB, TG_API, TG_OTHER = ('arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/%s/0123456789abcdef' % n
                            for n in ('web', 'api', 'other'))
TGS = {'app/web': TG_WEB, 'app/api:8080': TG_API}
SORRY_BODY = '<!doctype html><title>Maintenance</title><p>Back soon (sorry-7f3a).</p>'
WRITES = {'CreateRule', 'ModifyRule', 'DeleteRule', 'SetRulePriorities', 'AddTags', 'RemoveTags', 'ModifyListener'}


# ---- the model ------------------------------------------------------------
def ing(name, rules, namespace='app', annotations=None, cls='alb'):
    return {'apiVersion': 'networking.k8s.io/v1', 'kind': 'Ingress',
            'metadata': {'name': name, 'namespace': namespace, 'annotations': dict(annotations or {})},
            'spec': {'ingressClassName': cls, 'rules': rules}}


def path(value, kind='Prefix', service='web', port=None):
    return {'path': value, 'pathType': kind,
            'backend': {'service': {'name': service, 'port': port or {'number': 80}}}}


def host_rule(host, *paths):
    return {'host': host, 'http': {'paths': list(paths)}}


def conds(rule):
    """{field: config} of a model rule, for short assertions."""
    return {c['Field']: c[[k for k in c if k != 'Field'][0]] for c in rule['conditions']}


def summary(rules):
    return [(r['priority'], conds(r).get('host-header', {}).get('Values'), conds(r)['path-pattern']['Values'])
            for r in rules]


def test_paths_sorted_exact_then_prefix_longest_first_then_implementation_specific():
    paths = [path('/z*', 'ImplementationSpecific'), path('/a'), path('/e', 'Exact'), path('/abc/'),
             {'path': '/nt*', 'backend': {'service': {'name': 'web', 'port': {'number': 80}}}},
             path('/f', 'Exact'), path('/')]
    assert [p['path'] for p in sort_paths(paths)] == ['/e', '/f', '/abc/', '/a', '/', '/z*', '/nt*']
    out = listener_rules([ing('one', [host_rule('h.test', *paths)])], 'app/one', TGS)
    assert list(out) == [80]
    assert summary(out[80]['rules']) == [
        (1, ['h.test'], ['/e']), (2, ['h.test'], ['/f']), (3, ['h.test'], ['/abc', '/abc/*']),
        (4, ['h.test'], ['/a', '/a/*']), (5, ['h.test'], ['/*']), (6, ['h.test'], ['/z*']), (7, ['h.test'], ['/nt*'])]
    assert out[80]['rules'][2]['tags'] == {'elbv2.k8s.aws/cluster': 'sandbox', 'ingress.k8s.aws/stack': 'app/one',
                                           'ingress.k8s.aws/resource': '80:3'}
    assert out[80]['rules'][0]['actions'] == [{'Type': 'forward', 'TargetGroupArn': TG_WEB}]


def test_group_members_by_order_then_namespace_name_and_rules_in_spec_order():
    group = {A + 'group.name': 'shared'}
    ingresses = [
        ing('zeta', [host_rule('z.test', path('/'))], annotations=dict(group, **{A + 'group.order': '-5'})),
        ing('beta', [host_rule('b1.test', path('/', 'Prefix'), path('/x', 'Exact')), host_rule('b2.test', path('/'))],
            annotations=group),
        ing('alpha', [host_rule('a.test', path('/'))], namespace='other', annotations=group),
        ing('last', [host_rule('l.test', path('/'))], namespace='aaa', annotations=dict(group, **{A + 'group.order': '10'})),
        ing('alone', [host_rule('x.test', path('/'))]),                      # no group: its own stack
        ing('elsewhere', [host_rule('e.test', path('/'))], annotations={A + 'group.name': 'other'}),
        ing('nginx', [host_rule('n.test', path('/'))], annotations=group, cls='nginx'),
    ]
    tgs = dict(TGS, **{'other/web': TG_OTHER, 'aaa/web': TG_OTHER})
    out = listener_rules(ingresses, 'shared', tgs)
    # zeta (-5); then order 0: app/beta before other/alpha; then last (10). beta's entries in order,
    # inside b1 the Exact path first.
    assert summary(out[80]['rules']) == [(1, ['z.test'], ['/*']), (2, ['b1.test'], ['/x']), (3, ['b1.test'], ['/*']),
                                         (4, ['b2.test'], ['/*']), (5, ['a.test'], ['/*']), (6, ['l.test'], ['/*'])]
    assert {r['tags']['ingress.k8s.aws/stack'] for r in out[80]['rules']} == {'shared'}
    assert summary(listener_rules(ingresses, 'app/alone', tgs)[80]['rules']) == [(1, ['x.test'], ['/*'])]
    assert listener_rules(ingresses, 'app/beta', tgs) == {}   # a group member is not a stack of its own


@pytest.mark.parametrize('order', ['-1001', '1001', 'first'])
def test_group_order_out_of_range_is_refused(order):
    ingresses = [ing('one', [host_rule('h.test', path('/'))], annotations={A + 'group.name': 'g', A + 'group.order': order})]
    with pytest.raises(IngressModelError) as err:
        listener_rules(ingresses, 'g', TGS)
    assert 'app/one' in str(err.value) and order in str(err.value)


def test_actions_and_conditions_annotations():
    annotations = {
        A + 'actions.sorry': json.dumps({'type': 'fixed-response', 'fixedResponseConfig': {
            'statusCode': '503', 'contentType': 'text/html', 'messageBody': SORRY_BODY}}),
        A + 'actions.bypass': json.dumps({'type': 'forward', 'targetGroupARN': TG_WEB}),
        A + 'conditions.bypass': json.dumps([
            {'field': 'source-ip', 'sourceIPConfig': {'values': ['10.0.0.0/8']}},
            {'field': 'http-header', 'httpHeaderConfig': {'httpHeaderName': 'X-Bypass', 'values': ['t0k']}},
            {'field': 'host-header', 'hostHeaderConfig': {'values': ['alias.test']}}]),
        A + 'actions.split': json.dumps({'type': 'forward', 'forwardConfig': {'targetGroups': [
            {'targetGroupARN': TG_WEB, 'weight': 90}, {'serviceName': 'api', 'servicePort': '8080', 'weight': 10}]}}),
        A + 'conditions.split': json.dumps([{'field': 'query-string', 'queryStringConfig': {'values': [
            {'key': 'canary', 'value': 'yes'}]}}, {'field': 'http-request-method', 'httpRequestMethodConfig': {'values': ['GET']}}]),
        A + 'actions.old': json.dumps({'type': 'redirect', 'redirectConfig': {
            'host': 'new.test', 'path': '/#{path}', 'port': '443', 'protocol': 'HTTPS', 'statusCode': 'HTTP_301'}}),
        A + 'conditions.web': json.dumps([{'field': 'source-ip', 'sourceIpConfig': {'values': ['192.0.2.0/24']}}]),
    }
    use = {'name': 'use-annotation'}
    rules = [host_rule('h.test', path('/*', 'ImplementationSpecific', 'bypass', use), path('/*', 'ImplementationSpecific', 'sorry', use)),
             host_rule('h.test', path('/canary', 'Exact', 'split', use), path('/old', 'Prefix', 'old', use),
                       path('/web', 'Exact', 'web'))]
    out = listener_rules([ing('one', rules, annotations=annotations)], 'app/one', TGS)[80]['rules']
    bypass, sorry, canary, web, old = out
    assert conds(bypass) == {'source-ip': {'Values': ['10.0.0.0/8']},
                             'http-header': {'HttpHeaderName': 'X-Bypass', 'Values': ['t0k']},
                             'host-header': {'Values': ['h.test', 'alias.test']}, 'path-pattern': {'Values': ['/*']}}
    assert bypass['actions'] == [{'Type': 'forward', 'TargetGroupArn': TG_WEB}]
    assert conds(sorry) == {'host-header': {'Values': ['h.test']}, 'path-pattern': {'Values': ['/*']}}
    assert sorry['actions'] == [{'Type': 'fixed-response', 'FixedResponseConfig': {
        'StatusCode': '503', 'ContentType': 'text/html', 'MessageBody': SORRY_BODY}}]
    assert canary['actions'] == [{'Type': 'forward', 'ForwardConfig': {'TargetGroups': [
        {'TargetGroupArn': TG_WEB, 'Weight': 90}, {'TargetGroupArn': TG_API, 'Weight': 10}]}}]
    assert conds(canary)['query-string'] == {'Values': [{'Key': 'canary', 'Value': 'yes'}]}
    assert conds(canary)['http-request-method'] == {'Values': ['GET']}
    assert conds(web)['source-ip'] == {'Values': ['192.0.2.0/24']}   # conditions.<svc> on a plain backend too
    assert web['actions'] == [{'Type': 'forward', 'TargetGroupArn': TG_WEB}]
    assert old['actions'] == [{'Type': 'redirect', 'RedirectConfig': {
        'Host': 'new.test', 'Path': '/#{path}', 'Port': '443', 'Protocol': 'HTTPS', 'StatusCode': 'HTTP_301'}}]
    assert conds(old)['path-pattern'] == {'Values': ['/old', '/old/*']}


@pytest.mark.parametrize('annotations, backend, message', [
    ({}, ('sorry', {'name': 'use-annotation'}), 'missing annotation alb.ingress.kubernetes.io/actions.sorry'),
    ({A + 'actions.sorry': '{not json'}, ('sorry', {'name': 'use-annotation'}), 'actions.sorry is not valid JSON'),
    ({A + 'actions.sorry': '{"type": "fixed-response", "fixedResponseConfig": {}}'}, ('sorry', {'name': 'use-annotation'}),
     'statusCode is required'),
    ({}, ('unknown', {'number': 80}), 'no target group for service app/unknown port 80'),
    ({A + 'conditions.web': '[{"field": "cookie"}]'}, ('web', {'number': 80}), "unknown field 'cookie'"),
])
def test_what_the_controller_would_refuse_is_an_error_naming_the_input(annotations, backend, message):
    rules = [host_rule('h.test', path('/', 'Prefix', backend[0], backend[1]))]
    with pytest.raises(IngressModelError) as err:
        listener_rules([ing('one', rules, annotations=annotations)], 'app/one', TGS)
    assert message in str(err.value) and 'app/one' in str(err.value)


def test_wildcards_in_exact_or_prefix_paths_are_refused():
    for kind in ('Exact', 'Prefix'):
        with pytest.raises(IngressModelError, match='must not contain wildcards: /a/\\*'):
            listener_rules([ing('one', [host_rule('h.test', path('/a/*', kind))])], 'app/one', TGS)


def test_listen_ports_and_ssl_redirect():
    rules = [host_rule('h.test', path('/'))]
    both = {A + 'listen-ports': '[{"HTTP": 80}, {"HTTPS": 443}]'}
    out = listener_rules([ing('one', rules, annotations=both)], 'app/one', TGS)
    assert {port: (v['protocol'], len(v['rules'])) for port, v in out.items()} == {80: ('HTTP', 1), 443: ('HTTPS', 1)}
    assert out[443]['rules'][0]['tags']['ingress.k8s.aws/resource'] == '443:1'
    assert out[80]['default_actions'][0]['FixedResponseConfig']['StatusCode'] == '404'

    redirect = listener_rules([ing('one', rules, annotations=dict(both, **{A + 'ssl-redirect': '443'}))], 'app/one', TGS)
    assert redirect[80]['rules'] == [] and len(redirect[443]['rules']) == 1
    assert redirect[80]['default_actions'] == [{'Type': 'redirect', 'RedirectConfig': {
        'Port': '443', 'Protocol': 'HTTPS', 'StatusCode': 'HTTP_301'}}]

    cert = listener_rules([ing('one', rules, annotations={A + 'certificate-arn': 'arn:aws:acm:x'})], 'app/one', TGS)
    assert list(cert) == [443]
    assert list(listener_rules([ing('one', rules)], 'app/one', TGS)) == [80]


# ---- against moto, the stand-in API and the data plane ---------------------
@pytest.fixture
def kube(tmp_path):
    api = K8sApi(pod_delay=0).start()
    api.seed_lbc(cluster_name='sandbox')
    api.write_kubeconfig(str(tmp_path / 'kubeconfig'))
    yield api
    api.stop()


@pytest.fixture
def wire(moto):
    """A counting proxy in front of moto: the reconciler's writes seen at the wire."""
    proxy = CountingProxy(moto.url).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def app():
    server = SampleApp(name='shop-app').start()
    yield server
    server.stop()


def networking(api):
    return k8s_client.NetworkingV1Api(k8s_config.new_client_from_config(config_file=api.kubeconfig))


def reconciler_for(kube, site, seeded, elbv2):
    return LbcReconciler(kube, elbv2=elbv2, listener_arns=list(site['listeners'].values()),
                         ingress_stack=seeded['stack'], target_groups=seeded['target_groups'])


def writes(proxy):
    return {op: n for op, n in proxy.snapshot().items() if op in WRITES}


_names = iter(range(1, 10000))


@pytest.mark.parametrize('shape', [{}, {'ingress_group': 'main-group'}, {'redirect_http': True}])
def test_the_seeded_ingress_reconciles_to_no_change(moto, kube, wire, shape):
    site = seed_site(moto, name='ing%d' % next(_names), **shape)
    seeded = seed_ingress(kube, site)
    elbv2 = boto3.client('elbv2', region_name='us-east-1', endpoint_url=wire.url,
                         aws_access_key_id='testing', aws_secret_access_key='testing')
    before = {port: snapshot_listener(moto.client('elbv2'), arn) for port, arn in site['listeners'].items()}
    reconciler = reconciler_for(kube, site, seeded, elbv2)
    wire.reset()
    assert reconciler.tick() is True
    assert (reconciler.errors, reconciler.changes, writes(wire)) == ([], [], {})
    assert wire.snapshot().get('DescribeRules')   # it did look
    assert {port: snapshot_listener(moto.client('elbv2'), arn) for port, arn in site['listeners'].items()} == before
    if 'ingress_group' in shape:
        assert seeded['ingresses'] == ['%s/%s-shop' % (site['name'], site['name']), '%s/%s-blog' % (site['name'], site['name'])]
    else:
        assert seeded['ingresses'] == ['%s/main' % site['name']]
    # The controller reports the ALB in the Ingress status, and does not rewrite it when it is there.
    for name in seeded['ingresses']:
        namespace, ing_name = name.split('/')
        assert kube.get('ingresses', ing_name, namespace)['status']['loadBalancer']['ingress'] == [{'hostname': site['dns_name']}]


def _maintenance_patch(site, office_cidr='%s/32' % OFFICE_IP):
    """A merge patch: a new first spec.rules entry for hosts[0] with the bypass then the sorry page on /*."""
    use = {'name': 'use-annotation'}
    entry = {'host': site['hosts'][0], 'http': {'paths': [path('/*', 'ImplementationSpecific', 'sorrypage-bypass', use),
                                                          path('/*', 'ImplementationSpecific', 'sorrypage-sorry', use)]}}
    return entry, {A + 'actions.sorrypage-sorry': json.dumps({'type': 'fixed-response', 'fixedResponseConfig': {
        'statusCode': '503', 'contentType': 'text/html', 'messageBody': SORRY_BODY}}),
        A + 'actions.sorrypage-bypass': json.dumps({'type': 'forward', 'targetGroupARN': site['target_groups']['shop-web']}),
        A + 'conditions.sorrypage-bypass': json.dumps([{'field': 'source-ip', 'sourceIPConfig': {'values': [office_cidr]}}])}


def test_a_patched_ingress_puts_its_rules_in_front_after_a_tick(moto, kube, app):
    site = seed_site(moto, name='ing%d' % next(_names), https=False)
    seeded = seed_ingress(kube, site)
    elbv2 = moto.client('elbv2')
    reconciler = reconciler_for(kube, site, seeded, elbv2)
    with DataPlane(elbv2, site['listeners'][80], app.url, refresh_interval=None) as plane:
        url = plane.url_for(80) + '/cart'
        shop, blog = site['hosts']
        assert request(url, host=shop).status == 200

        api = networking(kube)
        current = api.read_namespaced_ingress('main', site['name'])
        entry, annotations = _maintenance_patch(site)
        rules = [entry] + [api.api_client.sanitize_for_serialization(r) for r in current.spec.rules]
        api.patch_namespaced_ingress('main', site['name'], {
            'metadata': {'annotations': annotations, 'resourceVersion': current.metadata.resource_version},
            'spec': {'rules': rules}})

        plane.refresh()
        assert request(url, host=shop).status == 200          # the controller has not acted yet
        assert reconciler.tick() is True and reconciler.errors == []
        listener = site['listeners'][80]
        assert reconciler.changes == [('modify', listener, 1), ('modify', listener, 2), ('modify', listener, 3),
                                      ('create', listener, 4), ('create', listener, 5)]
        plane.refresh()
        public = request(url, host=shop, source_ip=PUBLIC_IP)
        assert (public.status, public.headers[RULE_HEADER], public.text) == (503, '2', SORRY_BODY)
        office = request(url, host=shop, source_ip=OFFICE_IP)
        assert (office.status, office.headers[RULE_HEADER]) == (200, '1')
        assert office.headers[TARGET_GROUP_HEADER] == target_group_name(site['target_groups']['shop-web'])
        other = request(url, host=blog, source_ip=PUBLIC_IP)
        assert (other.status, other.headers[RULE_HEADER]) == (200, '5')
        api_call = request(plane.url_for(80) + '/api/items', host=shop, source_ip=PUBLIC_IP)
        assert api_call.status == 503     # the sorry /* is in front of the user's /api/*

        # The controller's tags follow the rule to its new priority; a second tick changes nothing.
        tags = {d['ResourceArn']: {t['Key']: t['Value'] for t in d['Tags']} for d in elbv2.describe_tags(
            ResourceArns=[r['RuleArn'] for r in elbv2.describe_rules(ListenerArn=listener)['Rules'] if not r['IsDefault']])
            ['TagDescriptions']}
        assert sorted(t['ingress.k8s.aws/resource'] for t in tags.values()) == ['80:%d' % p for p in range(1, 6)]
        del reconciler.changes[:]
        assert reconciler.tick() is True and reconciler.changes == []

        # Taking the entry back out restores the listener as seeded (rules 4 and 5 go).
        api.patch_namespaced_ingress('main', site['name'], {'spec': {'rules': rules[1:]}})
        reconciler.tick()
        assert reconciler.changes == [('delete', listener, 4), ('delete', listener, 5), ('modify', listener, 1),
                                      ('modify', listener, 2), ('modify', listener, 3)]
        plane.refresh()
        assert request(url, host=shop).status == 200


def test_stop_acting_leaves_the_alb_as_is(moto, kube):
    site = seed_site(moto, name='ing%d' % next(_names), https=False)
    seeded = seed_ingress(kube, site)
    elbv2 = moto.client('elbv2')
    reconciler = reconciler_for(kube, site, seeded, elbv2)
    listener = site['listeners'][80]
    before = snapshot_listener(elbv2, listener)
    entry, annotations = _maintenance_patch(site)
    ingress = kube.get('ingresses', 'main', site['name'])
    kube.patch('ingresses', 'main', {'metadata': {'annotations': annotations},
                                     'spec': {'rules': [entry] + ingress['spec']['rules']}}, site['name'])
    reconciler.stop_acting()
    assert [reconciler.tick(), reconciler.tick()] == [False, False]
    assert (reconciler.passes, reconciler.changes, snapshot_listener(elbv2, listener)) == (0, [], before)
    reconciler.resume_acting()
    assert reconciler.tick() is True
    assert len(snapshot_listener(elbv2, listener)) == len(before) + 2


def test_rules_it_does_not_own_go_and_the_model_is_reread_every_tick(moto, kube):
    site = seed_site(moto, name='ing%d' % next(_names), https=False)
    seeded = seed_ingress(kube, site)
    elbv2 = moto.client('elbv2')
    reconciler = reconciler_for(kube, site, seeded, elbv2)
    listener = site['listeners'][80]
    elbv2.create_rule(ListenerArn=listener, Priority=50, Conditions=[
        {'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/hand-made']}}],
        Actions=[{'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': '418'}}])
    reconciler.tick()
    assert reconciler.changes == [('delete', listener, 50)]

    # An Ingress the controller would refuse: it changes nothing and says why.
    kube.patch('ingresses', 'main', {'metadata': {'annotations': {A + 'listen-ports': '[{"HTTP": "eighty"}]'}}}, site['name'])
    before = snapshot_listener(elbv2, listener)
    reconciler.tick()
    assert snapshot_listener(elbv2, listener) == before and len(reconciler.changes) == 1
    assert 'listen-ports' in str(reconciler.errors[-1]) and '%s/main' % site['name'] in str(reconciler.errors[-1])
    # ... and says it on the Ingress, as a Warning Event (read with the real client); again: counted, not repeated.
    core = k8s_client.CoreV1Api(k8s_config.new_client_from_config(config_file=kube.kubeconfig))
    reconciler.tick()
    events = core.list_namespaced_event(site['name'], field_selector='involvedObject.name=main,involvedObject.kind=Ingress').items
    assert [(e.type, e.reason, e.count) for e in events] == [('Warning', 'FailedBuildModel', 2)]
    assert events[0].message.startswith('Failed build model due to Ingress %s/main: listen-ports' % site['name'])
    assert core.list_namespaced_event(site['name'], field_selector='involvedObject.name=other').items == []

    # The Ingress gone: its rules go.
    kube.delete('ingresses', 'main', site['name'])
    reconciler.tick()
    assert [c[0] for c in reconciler.changes[1:]] == ['delete'] * 3
    assert snapshot_listener(elbv2, listener)[0][0] == 'default' and len(snapshot_listener(elbv2, listener)) == 1


def test_ingress_crud_through_the_real_client_with_409_on_a_stale_resource_version(kube):
    api = networking(kube)
    body = ing('web', [host_rule('h.test', path('/'))], namespace='default', annotations={A + 'group.name': 'g'})
    body['metadata']['labels'] = {'team': 'web'}
    created = api.create_namespaced_ingress('default', body)
    assert created.metadata.resource_version and created.metadata.generation == 1
    assert [i.metadata.name for i in api.list_namespaced_ingress('default', label_selector='team=web').items] == ['web']
    assert api.list_namespaced_ingress('default', label_selector='team=other').items == []
    assert {i.metadata.name for i in api.list_ingress_for_all_namespaces().items} >= {'web', 'shop', 'blog'}

    stale = api.read_namespaced_ingress('web', 'default')
    api.patch_namespaced_ingress('web', 'default', {'metadata': {'annotations': {A + 'group.order': '5'}}})
    stale.metadata.annotations[A + 'group.order'] = '-1000'
    with pytest.raises(ApiException) as err:
        api.replace_namespaced_ingress('web', 'default', stale)
    assert err.value.status == 409 and json.loads(err.value.body)['reason'] == 'Conflict'
    with pytest.raises(ApiException) as err:
        api.patch_namespaced_ingress('web', 'default', {'metadata': {
            'resourceVersion': stale.metadata.resource_version, 'annotations': {A + 'group.order': '-1000'}}})
    assert err.value.status == 409
    assert kube.get('ingresses', 'web', 'default')['metadata']['annotations'][A + 'group.order'] == '5'

    fresh = api.read_namespaced_ingress('web', 'default')
    fresh.metadata.annotations[A + 'group.order'] = '-1000'
    replaced = api.replace_namespaced_ingress('web', 'default', fresh)
    assert replaced.metadata.annotations[A + 'group.order'] == '-1000' and replaced.metadata.generation == 1

    patched = api.patch_namespaced_ingress('web', 'default', [
        {'op': 'test', 'path': '/metadata/resourceVersion', 'value': replaced.metadata.resource_version},
        {'op': 'add', 'path': '/spec/rules/0', 'value': host_rule('first.test', path('/'))}])
    assert [r.host for r in patched.spec.rules] == ['first.test', 'h.test'] and patched.metadata.generation == 2

    # The status is the controller's: a write of the main resource keeps it, the status subresource sets it.
    kube.patch('ingresses', 'web', {'status': {'loadBalancer': {'ingress': [{'hostname': 'alb.test'}]}}}, 'default')
    current = api.read_namespaced_ingress('web', 'default')
    current.status = k8s_client.V1IngressStatus(load_balancer=k8s_client.V1IngressLoadBalancerStatus(ingress=[]))
    kept = api.replace_namespaced_ingress('web', 'default', current)
    assert kept.status.load_balancer.ingress[0].hostname == 'alb.test'
    moved = api.patch_namespaced_ingress_status('web', 'default', {'status': {'loadBalancer': {'ingress': [{'hostname': 'b.test'}]}}})
    assert moved.status.load_balancer.ingress[0].hostname == 'b.test' and moved.metadata.generation == 2

    kube.inject_conflicts(1, plurals='ingresses')
    with pytest.raises(ApiException) as err:
        api.patch_namespaced_ingress('web', 'default', {'metadata': {'labels': {'x': 'y'}}})
    assert err.value.status == 409
    assert api.patch_namespaced_ingress('web', 'default', {'metadata': {'labels': {'x': 'y'}}}).metadata.labels['x'] == 'y'

    api.delete_namespaced_ingress('web', 'default')
    with pytest.raises(ApiException) as err:
        api.read_namespaced_ingress('web', 'default')
    assert err.value.status == 404


def test_sandbox_ingress_mode_runs_the_controller_from_the_ingress():
    with Sandbox(pod_delay=0, controller=True, controller_interval=0.5, ingress=True) as sandbox:
        assert sandbox.reconciler.ingress_stack == 'shop/main' and sandbox.ingresses[0]['ingresses'] == ['shop/main']
        assert sandbox.reconciler.wait_for_pass() is True
        assert (sandbox.reconciler.errors, sandbox.reconciler.changes) == ([], [])


def test_kubernetes_core_modules_read_and_patch_an_ingress(moto, kube):
    site = seed_site(moto, name='ing%d' % next(_names), https=False)
    seed_ingress(kube, site)
    kube.patch('ingresses', 'main', {'metadata': {'labels': {'team': 'shop'}}}, site['name'])
    common = {'kubeconfig': kube.kubeconfig, 'context': 'sandbox'}
    info = run_module('kubernetes.core.k8s_info', dict(common, api_version='networking.k8s.io/v1', kind='Ingress',
                                                       namespace=site['name'], label_selectors=['team=shop']))
    assert [r['metadata']['name'] for r in info['resources']] == ['main'], info
    assert [r['host'] for r in info['resources'][0]['spec']['rules']] == site['hosts']

    entry, annotations = _maintenance_patch(site)
    definition = {'apiVersion': 'networking.k8s.io/v1', 'kind': 'Ingress',
                  'metadata': {'name': 'main', 'namespace': site['name'], 'annotations': annotations},
                  'spec': {'rules': [entry] + info['resources'][0]['spec']['rules']}}
    args = dict(common, definition=definition, merge_type=['merge'])
    first = run_module('kubernetes.core.k8s', args)
    assert first.get('changed') is True, first
    stored = kube.get('ingresses', 'main', site['name'])
    assert stored['spec']['rules'][0] == entry and stored['metadata']['labels'] == {'team': 'shop'}
    assert stored['metadata']['annotations'][A + 'actions.sorrypage-sorry'] == annotations[A + 'actions.sorrypage-sorry']
    again = run_module('kubernetes.core.k8s', args)
    assert again.get('changed') is False, again
    assert kube.get('ingresses', 'main', site['name'])['metadata']['resourceVersion'] == stored['metadata']['resourceVersion']


def test_a_write_that_changes_nothing_keeps_the_resource_version(kube):
    api = networking(kube)
    created = api.create_namespaced_ingress('default', ing('same', [host_rule('h.test', path('/'))], namespace='default'))
    current = api.read_namespaced_ingress('same', 'default')
    current.metadata.resource_version = None
    assert api.replace_namespaced_ingress('same', 'default', current).metadata.resource_version == created.metadata.resource_version
    assert api.patch_namespaced_ingress('same', 'default', {'spec': {'ingressClassName': 'alb'}}).metadata.resource_version \
        == created.metadata.resource_version
    changed = api.patch_namespaced_ingress('same', 'default', {'spec': {'ingressClassName': 'other'}})
    assert int(changed.metadata.resource_version) > int(created.metadata.resource_version)
