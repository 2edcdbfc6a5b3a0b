# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _ingress_plan as plan

TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/k8s-shop-web-0a1b2c3d4e/0123456789abcdef'
TG2 = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/k8s-shop-api-0a1b2c3d4e/fedcba9876543210'
SECRET = 'hunter2-very-secret'
BODY = '<h1>Back soon</h1>'
A = 'alb.ingress.kubernetes.io/'
SORRY_JSON = ('{"fixedResponseConfig":{"contentType":"text/html","messageBody":"<h1>Back soon</h1>",'
              '"statusCode":"503"},"type":"fixed-response"}')


# ---------------------------------------------------------------- helpers

def _unescape(token):
    return token.replace('~1', '/').replace('~0', '~')


def _parent(doc, pointer):
    tokens = [_unescape(t) for t in pointer.split('/')[1:]]
    node = doc
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node, tokens[-1]


def apply_patch(doc, ops):
    """A tiny RFC 6902 applier (test, add, remove, replace): what the API server does with our patch."""
    doc = copy.deepcopy(doc)
    for op in ops:
        node, last = _parent(doc, op['path'])
        if op['op'] == 'test':
            actual = node[int(last)] if isinstance(node, list) else node.get(last)
            if actual != op['value']:
                raise AssertionError('test failed at %s' % op['path'])
        elif op['op'] == 'add':
            if isinstance(node, list):
                node.insert(len(node) if last == '-' else int(last), copy.deepcopy(op['value']))
            else:
                node[last] = copy.deepcopy(op['value'])
        elif op['op'] == 'remove':
            if isinstance(node, list):
                del node[int(last)]
            else:
                del node[last]
        elif op['op'] == 'replace':
            node[int(last) if isinstance(node, list) else last] = copy.deepcopy(op['value'])
        else:
            raise AssertionError('unexpected op %s' % op['op'])
    return doc


def server_write(doc, ops):
    """Apply as the API server does: the patch, then a new resourceVersion."""
    result = apply_patch(doc, ops)
    result['metadata']['resourceVersion'] = str(int(doc['metadata']['resourceVersion']) + 1)
    return result


def ingress(name='web', namespace='shop', annotations=None, rules=None, rv='100', class_name='alb', **spec):
    meta = {'name': name, 'namespace': namespace, 'resourceVersion': rv}
    if annotations is not None:
        meta['annotations'] = annotations
    body = dict(spec)
    if class_name:
        body['ingressClassName'] = class_name
    if rules is not None:
        body['rules'] = rules
    return {'apiVersion': 'networking.k8s.io/v1', 'kind': 'Ingress', 'metadata': meta, 'spec': body}


def svc(name, port=80):
    return {'service': {'name': name, 'port': {'number': port}}}


def user_rule(host='shop.example.com'):
    return {'host': host, 'http': {'paths': [
        {'path': '/', 'pathType': 'Prefix', 'backend': svc('web')},
        {'path': '/api', 'pathType': 'Prefix', 'backend': svc('api')},
    ]}}


def seed():
    """The seed's Ingress: no group, its own annotations, one host."""
    return ingress(annotations={A + 'scheme': 'internet-facing', A + 'target-type': 'ip'},
                   rules=[user_rule()])


def page(**overrides):
    base = {'hosts': ['shop.example.com'], 'body': BODY, 'source_ips': ['10.0.0.0/8'],
            'http_headers': [{'name': 'X-Sorry-Bypass', 'values': [SECRET]}], 'target_groups': [TG]}
    base.update(overrides)
    return base


def backend(name):
    return {'service': {'name': name, 'port': {'name': 'use-annotation'}}}


def our_path(name):
    return {'path': '/*', 'pathType': 'ImplementationSpecific', 'backend': backend(name)}


# ---------------------------------------------------------------- tags

@pytest.mark.parametrize('tags, expected', [
    ({'ingress.k8s.aws/stack': 'shop'}, ('group', 'shop')),
    ({'ingress.k8s.aws/stack': 'shop/web'}, ('ingress', 'shop/web')),
    ([{'Key': 'ingress.k8s.aws/stack', 'Value': 'shop/web'}, {'Key': 'x', 'Value': 'y'}], ('ingress', 'shop/web')),
    ({'elbv2.k8s.aws/cluster': 'prod'}, None),
    ([], None),
])
def test_stack_of(tags, expected):
    assert plan.stack_of(tags) == expected


@pytest.mark.parametrize('tags, expected', [
    ({'elbv2.k8s.aws/cluster': 'prod'}, 'prod'),
    ([{'Key': 'elbv2.k8s.aws/cluster', 'Value': 'prod'}], 'prod'),
    ({'ingress.k8s.aws/stack': 'shop'}, None),
    (None, None),
])
def test_cluster_of(tags, expected):
    assert plan.cluster_of(tags) == expected


# ---------------------------------------------------------------- ordering

def test_controller_order_groups_rules_and_path_types():
    late = ingress('b-late', annotations={A + 'group.order': '10'}, rules=[{'host': 'x.example.com', 'http': {'paths': [
        {'path': '/late', 'pathType': 'Prefix', 'backend': svc('late')}]}}])
    default_z = ingress('z', rules=[{'http': {'paths': [{'path': '/z', 'pathType': 'Exact', 'backend': svc('z')}]}}])
    default_a = ingress('a', rules=[
        {'host': 'a.example.com', 'http': {'paths': [
            {'path': '/*', 'pathType': 'ImplementationSpecific', 'backend': svc('catch')},
            {'path': '/a', 'pathType': 'Prefix', 'backend': svc('short')},
            {'path': '/exact', 'pathType': 'Exact', 'backend': svc('exact')},
            {'path': '/a/longer', 'pathType': 'Prefix', 'backend': svc('long')},
            {'path': '/img/*', 'pathType': 'ImplementationSpecific', 'backend': svc('img')},
        ]}},
        {'host': 'b.example.com', 'http': {'paths': [{'path': '/', 'pathType': 'Prefix', 'backend': svc('b')}]}},
    ])
    first = ingress('first', namespace='zzz', annotations={A + 'group.order': '-5'},
                    rules=[{'http': {'paths': [{'path': '/f', 'pathType': 'Prefix', 'backend': svc('f')}]}}])
    order = plan.controller_order([late, default_z, default_a, first])
    assert [(key, index, host, path, kind) for key, index, host, path, kind, _b in order] == [
        ('zzz/first', 0, None, '/f', 'Prefix'),
        ('shop/a', 0, 'a.example.com', '/exact', 'Exact'),
        ('shop/a', 0, 'a.example.com', '/a/longer', 'Prefix'),
        ('shop/a', 0, 'a.example.com', '/a', 'Prefix'),
        ('shop/a', 0, 'a.example.com', '/*', 'ImplementationSpecific'),
        ('shop/a', 0, 'a.example.com', '/img/*', 'ImplementationSpecific'),
        ('shop/a', 1, 'b.example.com', '/', 'Prefix'),
        ('shop/z', 0, None, '/z', 'Exact'),
        ('shop/b-late', 0, 'x.example.com', '/late', 'Prefix'),
    ]
    assert order[0][5] == svc('f')


def test_controller_order_ties_by_namespace_then_name():
    one = ingress('web', namespace='b', rules=[{'http': {'paths': [{'path': '/1', 'pathType': 'Exact', 'backend': svc('1')}]}}])
    two = ingress('web', namespace='a', rules=[{'http': {'paths': [{'path': '/2', 'pathType': 'Exact', 'backend': svc('2')}]}}])
    assert [item[0] for item in plan.controller_order([one, two])] == ['a/web', 'b/web']


@pytest.mark.parametrize('order, message', [
    ('1001', "Ingress shop/web: alb.ingress.kubernetes.io/group.order 1001 is outside -1000..1000"),
    ('-2000', "Ingress shop/web: alb.ingress.kubernetes.io/group.order -2000 is outside -1000..1000"),
    ('first', "Ingress shop/web: alb.ingress.kubernetes.io/group.order 'first' is not an integer; "
              "it must be an integer from -1000 to 1000"),
])
def test_controller_order_refuses_bad_group_order(order, message):
    with pytest.raises(ValueError) as e:
        plan.controller_order([ingress(annotations={A + 'group.order': order}, rules=[])])
    assert str(e.value) == message


def test_our_paths_come_first_in_the_controller_order():
    on = apply_patch(seed(), plan.plan_on_in_place(seed(), [page()]))
    order = plan.controller_order([on])
    assert [item[5]['service']['name'] for item in order[:3]] == [
        'sorrypage-h0-bypass0', 'sorrypage-h0-bypass1', 'sorrypage-h0-sorry']
    assert [item[5]['service']['name'] for item in order[3:]] == ['api', 'web']


# ---------------------------------------------------------------- in place: on

def test_plan_on_exact_patch():
    ops = plan.plan_on_in_place(seed(), [page()])
    bypass_ip = A + 'conditions.sorrypage-h0-bypass0'
    bypass_header = A + 'conditions.sorrypage-h0-bypass1'
    entry = {'host': 'shop.example.com', 'http': {'paths': [
        our_path('sorrypage-h0-bypass0'), our_path('sorrypage-h0-bypass1'), our_path('sorrypage-h0-sorry')]}}
    forward = '{"targetGroupARN":"%s","type":"forward"}' % TG
    record = json.loads(ops[-1]['value'])
    assert ops[:-1] == [
        {'op': 'test', 'path': '/metadata/resourceVersion', 'value': '100'},
        {'op': 'add', 'path': '/spec/rules/0', 'value': entry},
        {'op': 'add', 'path': '/metadata/annotations/alb.ingress.kubernetes.io~1actions.sorrypage-h0-bypass0',
         'value': forward},
        {'op': 'add', 'path': '/metadata/annotations/alb.ingress.kubernetes.io~1actions.sorrypage-h0-bypass1',
         'value': forward},
        {'op': 'add', 'path': '/metadata/annotations/alb.ingress.kubernetes.io~1actions.sorrypage-h0-sorry',
         'value': SORRY_JSON},
        {'op': 'add', 'path': '/metadata/annotations/' + bypass_ip.replace('/', '~1'),
         'value': '[{"field":"source-ip","sourceIPConfig":{"values":["10.0.0.0/8"]}}]'},
        {'op': 'add', 'path': '/metadata/annotations/' + bypass_header.replace('/', '~1'),
         'value': '[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X-Sorry-Bypass","values":["%s"]}}]'
                  % SECRET},
    ]
    assert ops[-1]['path'] == '/metadata/annotations/sorrypage.aws~1ingress-edit'
    assert record['rules'] == [entry]
    assert record['prefix'] == 'sorrypage'
    assert record['created'] == []
    assert sorted(record['annotations']) == sorted([
        A + 'actions.sorrypage-h0-bypass0', A + 'actions.sorrypage-h0-bypass1', A + 'actions.sorrypage-h0-sorry',
        bypass_ip, bypass_header])
    # The record holds hashes, never the header value, and no copy of the user's Ingress.
    assert SECRET not in ops[-1]['value']
    assert '"web"' not in ops[-1]['value']


def test_plan_on_then_rerun_makes_no_patch():
    on = server_write(seed(), plan.plan_on_in_place(seed(), [page()]))
    assert on['spec']['rules'][1:] == seed()['spec']['rules']
    assert plan.plan_on_in_place(on, [page()]) is None


def test_on_off_round_trip_restores_the_exact_ingress():
    before = seed()
    on = server_write(before, plan.plan_on_in_place(before, [page()]))
    off = server_write(on, plan.plan_off_in_place(on))
    expected = copy.deepcopy(before)
    expected['metadata']['resourceVersion'] = '102'
    assert off == expected
    assert plan.plan_off_in_place(off) is None


def test_round_trip_without_annotations_nor_rules():
    before = ingress(rules=None, defaultBackend=svc('web'))
    ops = plan.plan_on_in_place(before, [page(hosts=[], http_headers=[])])
    assert ops[1] == {'op': 'add', 'path': '/spec/rules', 'value': []}
    assert {'op': 'add', 'path': '/metadata/annotations', 'value': {}} in ops
    on = server_write(before, ops)
    # Every host: an entry without a host, one rule value less.
    assert on['spec']['rules'] == [{'http': {'paths': [our_path('sorrypage-h0-bypass0'), our_path('sorrypage-h0-sorry')]}}]
    assert json.loads(on['metadata']['annotations'][plan.RECORD_ANNOTATION])['created'] == ['annotations', 'rules']
    off = server_write(on, plan.plan_off_in_place(on))
    assert off['spec'] == before['spec']
    assert 'annotations' not in off['metadata']


def test_off_after_a_foreign_edit_removes_only_ours():
    on = server_write(seed(), plan.plan_on_in_place(seed(), [page()]))
    edited = copy.deepcopy(on)
    edited['metadata']['annotations']['team/owner'] = 'payments'
    edited['metadata']['annotations'][A + 'target-type'] = 'instance'
    edited['spec']['rules'].append(user_rule('admin.example.com'))
    edited['spec']['rules'].insert(0, user_rule('new.example.com'))   # someone put a rule in front of ours
    # ... and someone added a path of theirs to our entry.
    edited['spec']['rules'][1]['http']['paths'].append({'path': '/status', 'pathType': 'Exact', 'backend': svc('status')})
    off = apply_patch(edited, plan.plan_off_in_place(edited))
    assert off['metadata']['annotations'] == {A + 'scheme': 'internet-facing', A + 'target-type': 'instance',
                                              'team/owner': 'payments'}
    assert off['spec']['rules'] == [
        user_rule('new.example.com'),
        {'host': 'shop.example.com', 'http': {'paths': [
            {'path': '/status', 'pathType': 'Exact', 'backend': svc('status')}]}},
        user_rule(),
        user_rule('admin.example.com'),
    ]


def test_on_again_after_a_foreign_rule_in_front_moves_ours_first():
    on = server_write(seed(), plan.plan_on_in_place(seed(), [page()]))
    edited = copy.deepcopy(on)
    edited['spec']['rules'].insert(0, user_rule('new.example.com'))
    again = apply_patch(edited, plan.plan_on_in_place(edited, [page()]))
    assert again['spec']['rules'][0] == on['spec']['rules'][0]
    assert again['spec']['rules'][1:] == [user_rule('new.example.com'), user_rule()]
    assert plan.plan_on_in_place(dict(again, metadata=dict(again['metadata'], resourceVersion='9')), [page()]) is None


def test_on_with_a_new_body_replaces_ours_in_one_patch():
    on = server_write(seed(), plan.plan_on_in_place(seed(), [page()]))
    ops = plan.plan_on_in_place(on, [page(body='<p>Later</p>')])
    assert ops[0] == {'op': 'test', 'path': '/metadata/resourceVersion', 'value': '101'}
    changed = server_write(on, ops)
    assert json.loads(changed['metadata']['annotations'][A + 'actions.sorrypage-h0-sorry'])[
        'fixedResponseConfig']['messageBody'] == '<p>Later</p>'
    assert changed['spec']['rules'][1:] == seed()['spec']['rules']
    assert len(changed['spec']['rules']) == 2
    off = server_write(changed, plan.plan_off_in_place(changed))
    assert off['spec'] == seed()['spec']
    assert off['metadata']['annotations'] == seed()['metadata']['annotations']


def test_fewer_hosts_on_rerun_leaves_no_orphan():
    two = [page(hosts=['shop.example.com', 'www.example.com'], http_headers=[])]
    on = server_write(seed(), plan.plan_on_in_place(seed(), two))
    assert [r.get('host') for r in on['spec']['rules']] == ['shop.example.com', 'www.example.com', 'shop.example.com']
    one = server_write(on, plan.plan_on_in_place(on, [page(http_headers=[])]))
    assert [r.get('host') for r in one['spec']['rules']] == ['shop.example.com', 'shop.example.com']
    assert not [k for k in one['metadata']['annotations'] if 'sorrypage-h1' in k]


def test_off_in_two_phases_keeps_the_bypass_until_the_end():
    on = server_write(seed(), plan.plan_on_in_place(seed(), [page()]))
    half = server_write(on, plan.plan_off_in_place(on, only='sorry'))
    assert half['spec']['rules'][0] == {'host': 'shop.example.com', 'http': {'paths': [
        our_path('sorrypage-h0-bypass0'), our_path('sorrypage-h0-bypass1')]}}
    assert A + 'actions.sorrypage-h0-sorry' not in half['metadata']['annotations']
    assert A + 'conditions.sorrypage-h0-bypass1' in half['metadata']['annotations']
    assert plan.drift(half)['drifted'] is False
    assert plan.plan_off_in_place(half, only='sorry') is None
    off = server_write(half, plan.plan_off_in_place(half))
    assert off['spec'] == seed()['spec']
    assert off['metadata']['annotations'] == seed()['metadata']['annotations']


def test_plan_off_without_record_is_none():
    assert plan.plan_off_in_place(seed()) is None


def test_plan_off_refuses_an_unknown_phase():
    on = server_write(seed(), plan.plan_on_in_place(seed(), [page()]))
    with pytest.raises(ValueError) as e:
        plan.plan_off_in_place(on, only='bypass')
    assert str(e.value) == "only must be None or 'sorry', not 'bypass'"


def test_stale_patch_fails_its_test_op():
    ops = plan.plan_on_in_place(seed(), [page()])
    newer = seed()
    newer['metadata']['resourceVersion'] = '105'
    with pytest.raises(AssertionError):
        apply_patch(newer, ops)


def test_split_bypass_keeps_every_rule_within_five_values():
    cidrs = ['10.%d.0.0/16' % i for i in range(7)]
    ops = plan.plan_on_in_place(seed(), [page(source_ips=cidrs, http_headers=[])])
    on = apply_patch(seed(), ops)
    names = [p['backend']['service']['name'] for p in on['spec']['rules'][0]['http']['paths']]
    assert names == ['sorrypage-h0-bypass0', 'sorrypage-h0-bypass1', 'sorrypage-h0-bypass2', 'sorrypage-h0-sorry']
    sizes = [len(json.loads(on['metadata']['annotations'][A + 'conditions.' + n])[0]['sourceIPConfig']['values'])
             for n in names[:3]]
    assert sizes == [3, 3, 1]   # host + path + 3 = 5 values per rule


def test_weighted_target_groups():
    rules, annotations = plan.desired([page(target_groups=[{'arn': TG, 'weight': 90}, {'arn': TG2, 'weight': 10}],
                                            http_headers=[])])
    assert json.loads(annotations[A + 'actions.sorrypage-h0-bypass0']) == {'type': 'forward', 'forwardConfig': {
        'targetGroups': [{'targetGroupARN': TG, 'weight': 90}, {'targetGroupARN': TG2, 'weight': 10}]}}
    assert len(rules) == 1


def test_sorry_only_without_bypass():
    rules, annotations = plan.desired([{'hosts': ['shop.example.com'], 'body': BODY}])
    assert rules == [{'host': 'shop.example.com', 'http': {'paths': [our_path('sorrypage-h0-sorry')]}}]
    assert annotations == {A + 'actions.sorrypage-h0-sorry': SORRY_JSON}


def test_in_place_refuses_a_group_member():
    member = ingress(annotations={A + 'group.name': 'shop'}, rules=[user_rule()])
    with pytest.raises(ValueError) as e:
        plan.plan_on_in_place(member, [page()])
    assert str(e.value) == ('Ingress shop/web is in IngressGroup shop: leave it alone and add our own Ingress to the '
                            'group (our_ingress)')


@pytest.mark.parametrize('value', ['true', 'True', '1'])
def test_in_place_refuses_regex_paths(value):
    regex = ingress(annotations={A + 'use-regex-path-match': value}, rules=[user_rule()])
    with pytest.raises(ValueError) as e:
        plan.plan_on_in_place(regex, [page()])
    assert str(e.value) == ("Ingress shop/web sets alb.ingress.kubernetes.io/use-regex-path-match: '%s': the controller "
                            "would read our '/*' path as a regular expression; switch this site with the alb driver"
                            % value)


def test_in_place_accepts_regex_paths_off():
    plain = ingress(annotations={A + 'use-regex-path-match': 'false'}, rules=[user_rule()])
    assert plan.plan_on_in_place(plain, [page()])[1]['path'] == '/spec/rules/0'


def test_in_place_needs_the_resource_version():
    no_version = seed()
    del no_version['metadata']['resourceVersion']
    with pytest.raises(ValueError) as e:
        plan.plan_on_in_place(no_version, [page()])
    assert str(e.value) == ('Ingress shop/web has no metadata.resourceVersion: plan from the object as read '
                            'from the API')


# ---------------------------------------------------------------- refusals

@pytest.mark.parametrize('overrides, message', [
    ({'body': 'x' * 1025}, 'sets[0].body is 1025 characters, 1 over the 1024-character limit of an ALB fixed response'),
    # An emoji counts 2, as the ALB counts it: 1023 + 2 = 1025.
    ({'body': 'x' * 1023 + u'\U0001F600'},
     'sets[0].body is 1025 characters, 1 over the 1024-character limit of an ALB fixed response'),
    ({'body': ''}, 'sets[0].body is empty: the Sorry page is required'),
    ({'source_ips': ['10.0.0.1/8']}, "sets[0].source_ips: '10.0.0.1/8' has host bits set (the network is 10.0.0.0/8)"),
    ({'source_ips': ['office']}, "sets[0].source_ips: 'office' is not an IPv4 or IPv6 CIDR"),
    ({'source_ips': ['0.0.0.0/0']}, "sets[0].source_ips: '0.0.0.0/0' lets every client bypass the Sorry page; "
                                    "set allow_any_source=true if that is really meant"),
    ({'http_headers': [{'name': 'X' * 41, 'values': [SECRET]}]},
     "sets[0].http_headers: name '%s' is 41 characters; the ALB allows at most 40" % ('X' * 41)),
    ({'http_headers': [{'name': 'X-Bypass', 'values': [SECRET * 10]}]},
     "sets[0].http_headers: value 1 of header 'X-Bypass' is 190 characters; the ALB allows at most 128"),
    ({'http_headers': [{'name': 'X Bypass', 'values': [SECRET]}]},
     "sets[0].http_headers: name 'X Bypass' is not a valid HTTP header name"),
    ({'hosts': ['Shop.Example.com']},
     "sets[0].hosts: 'Shop.Example.com' is not a host an Ingress accepts (lowercase DNS name, '*.' only as its "
     "first label)"),
    ({'hosts': ['shop?.example.com']},
     "sets[0].hosts: 'shop?.example.com' is not a host an Ingress accepts (lowercase DNS name, '*.' only as its "
     "first label)"),
    ({'target_groups': []}, "sets[0]: a bypass (source_ips or http_headers) needs target_groups: the ARNs the host's "
                            "rules forward to, read from the ALB"),
    ({'target_groups': ['web']}, "sets[0].target_groups: 'web' is not a target group ARN"),
    ({'target_groups': [{'arn': TG, 'weight': 1000}]},
     "sets[0].target_groups: weight '1000' of %s must be an integer from 0 to 999" % TG),
    ({'target_groups': [TG] * 6}, 'sets[0].target_groups: 6 target groups; a forward action takes at most 5'),
])
def test_bad_input_is_refused_before_anything(overrides, message):
    with pytest.raises(ValueError) as e:
        plan.plan_on_in_place(seed(), [page(**overrides)])
    assert str(e.value) == message
    assert SECRET not in str(e.value)


def test_all_errors_at_once_and_no_secret():
    with pytest.raises(ValueError) as e:
        plan.desired([page(body='x' * 2000, source_ips=['bad'],
                           http_headers=[{'name': 'X-B', 'values': [SECRET + 'x' * 200, '']}])])
    text = str(e.value)
    assert text == ("sets[0].body is 2000 characters, 976 over the 1024-character limit of an ALB fixed response; "
                    "sets[0].source_ips: 'bad' is not an IPv4 or IPv6 CIDR; "
                    "sets[0].http_headers: value 1 of header 'X-B' is 219 characters; the ALB allows at most 128; "
                    "sets[0].http_headers: value 2 of header 'X-B' is empty")
    assert SECRET not in text


@pytest.mark.parametrize('sets, message', [
    ([], 'sets is empty: give at least one set (hosts, body, bypass)'),
    ([page(), page()], "sets[1]: host 'shop.example.com' is already in sets[0]"),
    ([page(hosts=[]), page(hosts=None)], 'sets[1]: every host ([]) is already in sets[0]'),
])
def test_bad_sets(sets, message):
    with pytest.raises(ValueError) as e:
        plan.desired(sets)
    assert str(e.value) == message


def test_too_many_rules_for_the_alb():
    cidrs = ['10.%d.%d.0/24' % (i // 250, i % 250) for i in range(300)]
    with pytest.raises(ValueError) as e:
        plan.desired([page(source_ips=cidrs, http_headers=[])])
    assert str(e.value) == ('the maintenance needs 101 listener rules (5 values per rule beside host and path); '
                            'an ALB has 100 rules by default (quota rules-per-application-load-balancer)')


@pytest.mark.parametrize('prefix, message', [
    ('Sorry', "name_prefix 'Sorry' must be a DNS-1035 label: lowercase letters, digits and '-', starting with a letter"),
    ('1sorry', "name_prefix '1sorry' must be a DNS-1035 label: lowercase letters, digits and '-', starting with a "
               "letter"),
    ('s' * 42, "name_prefix '%s' is too long: action names would be 53 characters; at most 52 fit in an annotation "
               "key" % ('s' * 42)),
])
def test_bad_prefix(prefix, message):
    with pytest.raises(ValueError) as e:
        plan.desired([page()], prefix)
    assert str(e.value) == message


def test_custom_prefix_names_everything():
    rules, annotations = plan.desired([page(http_headers=[])], 'night')
    assert rules[0]['http']['paths'][-1] == our_path('night-h0-sorry')
    assert sorted(annotations) == [A + 'actions.night-h0-bypass0', A + 'actions.night-h0-sorry',
                                   A + 'conditions.night-h0-bypass0']


# ---------------------------------------------------------------- drift

def test_drift_none_without_record_and_clean_after_on():
    assert plan.drift(seed()) is None
    on = apply_patch(seed(), plan.plan_on_in_place(seed(), [page()]))
    assert plan.drift(on) == {'drifted': False, 'missing_rules': [], 'missing_annotations': [],
                              'changed_annotations': [], 'not_first': False}


def test_drift_after_a_helm_upgrade():
    on = apply_patch(seed(), plan.plan_on_in_place(seed(), [page()]))
    upgraded = copy.deepcopy(on)
    upgraded['spec']['rules'] = [user_rule()]
    del upgraded['metadata']['annotations'][A + 'actions.sorrypage-h0-sorry']
    upgraded['metadata']['annotations'][A + 'conditions.sorrypage-h0-bypass0'] = '[]'
    assert plan.drift(upgraded) == {
        'drifted': True, 'missing_rules': ['shop.example.com'],
        'missing_annotations': [A + 'actions.sorrypage-h0-sorry'],
        'changed_annotations': [A + 'conditions.sorrypage-h0-bypass0'], 'not_first': False}
    # on again repairs it.
    repaired = apply_patch(upgraded, plan.plan_on_in_place(upgraded, [page()]))
    assert plan.drift(repaired)['drifted'] is False
    assert repaired['spec']['rules'][1:] == [user_rule()]


def test_drift_not_first():
    on = apply_patch(seed(), plan.plan_on_in_place(seed(), [page()]))
    on['spec']['rules'].insert(0, user_rule('new.example.com'))
    assert plan.drift(on)['not_first'] is True
    assert plan.drift(on)['drifted'] is True


# ---------------------------------------------------------------- explicit group

def member(name, namespace='shop', order=None, listen_ports='[{"HTTP": 80}, {"HTTPS": 443}]',
           certificate='arn:aws:acm:us-east-1:123456789012:certificate/abc', class_name='alb', extra=None, **spec):
    annotations = {A + 'group.name': 'shop'}
    if order is not None:
        annotations[A + 'group.order'] = order
    if listen_ports is not None:
        annotations[A + 'listen-ports'] = listen_ports
    if certificate is not None:
        annotations[A + 'certificate-arn'] = certificate
    annotations.update(extra or {})
    return ingress(name, namespace=namespace, annotations=annotations, rules=[user_rule()], class_name=class_name, **spec)


def test_our_ingress_manifest():
    members = [member('web'), member('api', namespace='api', order='5')]
    manifest = plan.our_ingress(members, 'shop', [page(http_headers=[])])
    annotations = manifest['metadata']['annotations']
    record = json.loads(annotations.pop(plan.RECORD_ANNOTATION))
    assert manifest == {
        'apiVersion': 'networking.k8s.io/v1', 'kind': 'Ingress',
        'metadata': {'name': 'sorrypage-maintenance', 'namespace': 'shop',
                     'labels': {'app.kubernetes.io/managed-by': 'sorrypage.aws'}, 'annotations': annotations},
        'spec': {'ingressClassName': 'alb', 'rules': [{'host': 'shop.example.com', 'http': {'paths': [
            our_path('sorrypage-h0-bypass0'), our_path('sorrypage-h0-sorry')]}}]},
    }
    assert annotations == {
        A + 'group.name': 'shop',
        A + 'group.order': '-1000',
        A + 'listen-ports': '[{"HTTP":80},{"HTTPS":443}]',
        A + 'certificate-arn': 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
        A + 'actions.sorrypage-h0-bypass0': '{"targetGroupARN":"%s","type":"forward"}' % TG,
        A + 'conditions.sorrypage-h0-bypass0': '[{"field":"source-ip","sourceIPConfig":{"values":["10.0.0.0/8"]}}]',
        A + 'actions.sorrypage-h0-sorry': SORRY_JSON,
    }
    assert record['rules'] == manifest['spec']['rules']
    # Ours comes first in the controller's order, whatever the members hold.
    order = plan.controller_order(members + [manifest])
    assert [item[5]['service']['name'] for item in order[:2]] == ['sorrypage-h0-bypass0', 'sorrypage-h0-sorry']
    assert plan.drift(plan.our_ingress(members, 'shop', [page(http_headers=[])]))['drifted'] is False


def test_our_ingress_ignores_itself_on_rerun():
    members = [member('web')]
    manifest = plan.our_ingress(members, 'shop', [page()])
    assert plan.our_ingress(members + [manifest], 'shop', [page()]) == manifest


def test_our_ingress_copies_the_class_annotation_and_default_ports():
    members = [member('web', listen_ports=None, certificate=None, class_name=None,
                      extra={'kubernetes.io/ingress.class': 'alb'})]
    annotations = plan.our_ingress(members, 'shop', [page()])['metadata']['annotations']
    assert annotations['kubernetes.io/ingress.class'] == 'alb'
    assert annotations[A + 'listen-ports'] == '[{"HTTP":80}]'
    assert A + 'certificate-arn' not in annotations


def test_spec_tls_alone_keeps_the_http_default():
    members = [member('web', listen_ports=None, certificate=None, tls=[{'hosts': ['shop.example.com']}])]
    manifest = plan.our_ingress(members, 'shop', [page()])
    assert manifest['metadata']['annotations'][A + 'listen-ports'] == '[{"HTTP":80}]'


def test_default_listen_ports_agree_with_explicit_ones():
    members = [member('web', listen_ports=None), member('api', listen_ports='[{"HTTPS":443}]')]
    manifest = plan.our_ingress(members, 'shop', [page()])
    assert manifest['metadata']['annotations'][A + 'listen-ports'] == '[{"HTTPS":443}]'


@pytest.mark.parametrize('members, message', [
    ([member('web', order='-1000'), member('api', namespace='api', order='-1000'), member('x')],
     'api/api, shop/web already use alb.ingress.kubernetes.io/group.order -1000, the place our Ingress needs to '
     'come first; give them a higher order'),
    ([member('web'), member('api', listen_ports='[{"HTTP": 80}]')],
     'the members of the group disagree on alb.ingress.kubernetes.io/listen-ports (shop/api: HTTP:80, '
     'shop/web: HTTP:80,HTTPS:443): our Ingress cannot land on the same listeners; make them agree first'),
    ([member('web'), member('api', certificate='arn:aws:acm:us-east-1:123456789012:certificate/other')],
     'the members of the group disagree on alb.ingress.kubernetes.io/certificate-arn (shop/api: '
     'arn:aws:acm:us-east-1:123456789012:certificate/other, shop/web: arn:aws:acm:us-east-1:123456789012:'
     'certificate/abc): our Ingress cannot land on the same listeners; make them agree first'),
    ([member('web'), member('api', class_name='alb-internal')],
     'the members of the group disagree on the ingress class (shop/api: alb-internal, shop/web: alb): our Ingress '
     'cannot land on the same listeners; make them agree first'),
    ([member('web', listen_ports='HTTPS:443')],
     "Ingress shop/web: alb.ingress.kubernetes.io/listen-ports 'HTTPS:443' is not a JSON list like "
     "[{\"HTTPS\": 443}]"),
    ([member('web', order='top')],
     "Ingress shop/web: alb.ingress.kubernetes.io/group.order 'top' is not an integer; it must be an integer "
     "from -1000 to 1000"),
    ([], 'no Ingress of the group was given: our Ingress copies its listeners from the members'),
])
def test_our_ingress_refusals(members, message):
    with pytest.raises(ValueError) as e:
        plan.our_ingress(members, 'shop', [page()])
    assert str(e.value) == message


def test_our_ingress_refuses_bad_sets_without_secrets():
    with pytest.raises(ValueError) as e:
        plan.our_ingress([member('web')], 'shop', [page(http_headers=[{'name': 'X-B', 'values': [SECRET * 10]}])])
    assert str(e.value) == "sets[0].http_headers: value 1 of header 'X-B' is 190 characters; the ALB allows at most 128"


# ---------------------------------------------------------------- redaction

def test_redact_hides_header_values_in_patches_and_manifests():
    ops = plan.plan_on_in_place(seed(), [page()])
    assert SECRET in json.dumps(ops)
    shown = plan.redact(ops)
    assert SECRET not in json.dumps(shown)
    assert '********' in json.dumps(shown)
    assert SECRET in json.dumps(ops)   # the original is untouched
    manifest = plan.our_ingress([member('web')], 'shop', [page()])
    assert SECRET in json.dumps(manifest)
    assert SECRET not in json.dumps(plan.redact(manifest))
    assert plan.redact(manifest)['spec'] == manifest['spec']


# ---------------------------------------------------------------- markers and info in the record

MARKER = '8b8902a8aa'
INFO = {'sorrypage:by': 'alice', 'sorrypage:why': 'db upgrade, "phase 2"', 'sorrypage:until': '06:00 UTC',
        'sorrypage:at': '2026-12-02T04:00:00Z'}


def test_record_keeps_the_markers_in_order_once_and_the_info_as_given():
    sets = [page(marker=MARKER), page(hosts=['blog.example.com'], marker='0123456789'),
            page(hosts=['api.example.com'], marker=MARKER)]
    on = server_write(seed(), plan.plan_on_in_place(seed(), sets, info=INFO))
    record = plan.read_record(on)
    assert record['markers'] == [MARKER, '0123456789']
    assert record['info'] == INFO
    assert plan.markers_in([None, record, {'markers': ['0123456789', 'ffffffffff']}]) == [
        MARKER, '0123456789', 'ffffffffff']
    assert plan.info_in([None, {'info': {}}, record]) == INFO
    assert plan.info_in([None]) == {}


def test_record_without_markers_nor_info_reads_as_before():
    on = server_write(seed(), plan.plan_on_in_place(seed(), [page()]))
    assert 'markers' not in plan.read_record(on) and 'info' not in plan.read_record(on)


def test_rerun_with_another_start_time_keeps_the_recorded_one_and_writes_nothing():
    on = server_write(seed(), plan.plan_on_in_place(seed(), [page(marker=MARKER)], info=INFO))
    later = dict(INFO, **{'sorrypage:at': '2026-12-02T05:30:00Z'})
    assert plan.plan_on_in_place(on, [page(marker=MARKER)], info=later) is None
    assert plan.kept_info(later, plan.read_record(on))['sorrypage:at'] == INFO['sorrypage:at']
    assert plan.kept_info(later, None) == later


def test_another_info_value_or_marker_is_written_and_keeps_the_start_time():
    on = server_write(seed(), plan.plan_on_in_place(seed(), [page(marker=MARKER)], info=INFO))
    longer = dict(INFO, **{'sorrypage:until': '08:00 UTC', 'sorrypage:at': 'now'})
    ops = plan.plan_on_in_place(on, [page(marker=MARKER)], info=longer)
    assert ops is not None
    record = plan.read_record(server_write(on, ops))
    assert record['info'] == dict(INFO, **{'sorrypage:until': '08:00 UTC'})
    new_page = plan.read_record(server_write(on, plan.plan_on_in_place(on, [page(marker='abcdef0123')], info=INFO)))
    assert new_page['markers'] == ['abcdef0123']


def test_sorry_absent_keeps_markers_and_info_in_the_record():
    on = server_write(seed(), plan.plan_on_in_place(seed(), [page(marker=MARKER)], info=INFO))
    half = plan.read_record(server_write(on, plan.plan_off_in_place(on, only='sorry')))
    assert half['markers'] == [MARKER] and half['info'] == INFO


def test_our_ingress_records_markers_and_info():
    manifest = plan.our_ingress([member('web')], 'shop', [page(marker=MARKER)], info=INFO)
    record = plan.read_record(manifest)
    assert record['markers'] == [MARKER] and record['info'] == INFO


@pytest.mark.parametrize('marker', ['8B8902A8AA', '8b8902a8a', '8b8902a8aaa', 'zzzzzzzzzz', 12])
def test_bad_marker_is_refused_naming_the_set(marker):
    with pytest.raises(ValueError) as err:
        plan.desired([page(marker=marker)])
    assert str(err.value) == ("sets[0].marker '%s' is not a page build marker: 10 lowercase hex characters "
                              "(marker of sorrypage.aws.sorry_asset_upload)" % marker)


@pytest.mark.parametrize('info, message', [
    (['sorrypage:by'], 'info must be a dict of strings (sorrypage:by, sorrypage:why, sorrypage:until, sorrypage:at), '
                       'not list'),
    ({'sorrypage:until': 6}, "info['sorrypage:until'] is int, not a string: quote it"),
    ({'': 'x'}, "info: key '' must be a non-empty string"),
    ({'sorrypage:why': 'x' * 5000}, 'info is 5020 characters as JSON, over the 4096-character limit of the record '
                                    'annotation'),
])
def test_bad_info_is_refused_naming_the_key_and_the_limit(info, message):
    assert plan.check_info(info) == [message]
    with pytest.raises(ValueError) as err:
        plan.plan_on_in_place(seed(), [page()], info=info)
    assert str(err.value) == message


# ---------------------------------------------------------------- the always-on preview

PREVIEW = '/_sorry-preview'


def preview_path_of(name):
    return {'path': PREVIEW, 'pathType': 'ImplementationSpecific', 'backend': backend(name)}


def names_in_order(ing):
    """(host, [backend name, ...]) of each spec.rules entry, in order."""
    return [(r.get('host'), [(p['backend'].get('service') or {}).get('name') for p in r['http']['paths']])
            for r in ing['spec'].get('rules') or []]


def test_preview_part_one_entry_per_host_with_only_the_exact_path():
    part = plan.preview_part([page(hosts=['shop.example.com', 'www.example.com']), page(hosts=[], body='<p>x</p>',
                                                                                        http_headers=[])], PREVIEW)
    assert part['path'] == PREVIEW
    assert part['rules'] == [
        {'host': 'shop.example.com', 'http': {'paths': [preview_path_of('sorrypage-h0-preview')]}},
        {'host': 'www.example.com', 'http': {'paths': [preview_path_of('sorrypage-h1-preview')]}},
        {'http': {'paths': [preview_path_of('sorrypage-h2-preview')]}},
    ]
    assert part['annotations'][A + 'actions.sorrypage-h0-preview'] == SORRY_JSON
    assert json.loads(part['annotations'][A + 'actions.sorrypage-h2-preview'])['fixedResponseConfig'] == {
        'contentType': 'text/html', 'statusCode': '503', 'messageBody': '<p>x</p>'}
    assert sorted(part['annotations']) == [A + 'actions.sorrypage-h%d-preview' % n for n in range(3)]
    assert SECRET not in json.dumps(part)


@pytest.mark.parametrize('path, message', [
    ('_sorry-preview', "preview_path '_sorry-preview' must start with '/'"),
    ('/_sorry/*', "preview_path '/_sorry/*' holds a wildcard (* or ?)"),
    ('/a?b', "preview_path '/a?b' holds a wildcard"),
    ('/' + 'p' * 128, "preview_path is 129 characters, over the ALB's 128-character limit of a path pattern"),
    ('/', "preview_path '/' is the home page"),
    ('/a b', "preview_path '/a b' must start with '/' and hold only letters"),
    ('', 'preview_path is empty'),
    (None, 'preview_path is empty'),
])
def test_bad_preview_path_is_refused_naming_it(path, message):
    with pytest.raises(ValueError) as e:
        plan.preview_part([page()], path)
    assert message in str(e.value)
    with pytest.raises(ValueError):
        plan.plan_preview_on_in_place(seed(), [page()], path)


def test_longest_preview_path_is_taken():
    path = '/' + 'p' * 127
    assert plan.check_preview_path(path) == []
    assert plan.preview_part([page()], path)['rules'][0]['http']['paths'][0]['path'] == path


def test_preview_refuses_bad_sets_with_the_maintenance_messages():
    with pytest.raises(ValueError) as e:
        plan.preview_part([page(body='x' * 1025)], PREVIEW)
    assert 'sets[0].body is 1025 characters' in str(e.value)


def test_preview_in_place_goes_first_records_its_own_part_and_reruns_to_nothing():
    on = server_write(seed(), plan.plan_preview_on_in_place(seed(), [page()], PREVIEW))
    assert names_in_order(on) == [('shop.example.com', ['sorrypage-h0-preview']), ('shop.example.com', ['web', 'api'])]
    assert on['metadata']['annotations'][A + 'actions.sorrypage-h0-preview'] == SORRY_JSON
    record = plan.read_record(on)
    assert record['rules'] == [] and record['annotations'] == {}
    assert record['preview']['path'] == PREVIEW and record['preview']['rules'] == on['spec']['rules'][:1]
    assert plan.preview_in([record]) == {'path': PREVIEW, 'hosts': ['shop.example.com']}
    assert plan.drift(on)['drifted'] is False
    assert plan.plan_preview_on_in_place(on, [page()], PREVIEW) is None
    # a preview alone is no maintenance: sorry_absent and absent have nothing to do
    assert plan.plan_off_in_place(on, only='sorry') is None
    assert plan.plan_off_in_place(on) is None


def test_preview_then_present_then_off_keeps_the_preview_and_preview_absent_restores_the_ingress():
    before = seed()
    preview = server_write(before, plan.plan_preview_on_in_place(before, [page()], PREVIEW))
    on = server_write(preview, plan.plan_on_in_place(preview, [page()]))
    # the preview first, then the maintenance's entry (bypass paths, then /*), then the user's
    assert names_in_order(on) == [
        ('shop.example.com', ['sorrypage-h0-preview']),
        ('shop.example.com', ['sorrypage-h0-bypass0', 'sorrypage-h0-bypass1', 'sorrypage-h0-sorry']),
        ('shop.example.com', ['web', 'api'])]
    assert plan.read_record(on)['preview'] == plan.read_record(preview)['preview']
    assert plan.plan_on_in_place(on, [page()]) is None
    assert plan.plan_preview_on_in_place(on, [page()], PREVIEW) is None
    assert plan.drift(on)['drifted'] is False

    half = server_write(on, plan.plan_off_in_place(on, only='sorry'))
    assert names_in_order(half)[0] == ('shop.example.com', ['sorrypage-h0-preview'])
    off = server_write(half, plan.plan_off_in_place(half))
    assert names_in_order(off) == names_in_order(preview)
    assert off['metadata']['annotations'] == preview['metadata']['annotations']
    assert plan.plan_off_in_place(off) is None

    gone = server_write(off, plan.plan_preview_off_in_place(off))
    expected = copy.deepcopy(before)
    expected['metadata']['resourceVersion'] = gone['metadata']['resourceVersion']
    assert gone == expected
    assert plan.plan_preview_off_in_place(gone) is None


def test_preview_absent_during_a_maintenance_leaves_the_maintenance_untouched():
    on = server_write(seed(), plan.plan_on_in_place(seed(), [page()], info={'sorrypage:by': 'alice'}))
    both = server_write(on, plan.plan_preview_on_in_place(on, [page()], PREVIEW))
    # the preview goes in front of the maintenance, which is not touched
    assert names_in_order(both)[0] == ('shop.example.com', ['sorrypage-h0-preview'])
    assert both['spec']['rules'][1:] == on['spec']['rules']
    without = server_write(both, plan.plan_preview_off_in_place(both))
    assert without['spec'] == on['spec']
    assert without['metadata']['annotations'] == on['metadata']['annotations']
    assert plan.plan_on_in_place(without, [page()], info={'sorrypage:by': 'alice'}) is None


def test_preview_round_trip_removes_the_containers_it_created():
    before = ingress(rules=None, defaultBackend=svc('web'))
    preview = server_write(before, plan.plan_preview_on_in_place(before, [page(hosts=[])], PREVIEW))
    assert plan.read_record(preview)['created'] == ['annotations', 'rules']
    on = server_write(preview, plan.plan_on_in_place(preview, [page(hosts=[], http_headers=[])]))
    off = server_write(on, plan.plan_off_in_place(on))
    assert off['spec']['rules'] == preview['spec']['rules']
    gone = server_write(off, plan.plan_preview_off_in_place(off))
    assert gone['spec'] == before['spec'] and 'annotations' not in gone['metadata']


def test_present_moves_a_preview_pushed_back_first_again():
    preview = server_write(seed(), plan.plan_preview_on_in_place(seed(), [page()], PREVIEW))
    edited = copy.deepcopy(preview)
    edited['spec']['rules'].insert(0, user_rule('new.example.com'))
    on = apply_patch(edited, plan.plan_on_in_place(edited, [page()]))
    assert [names[1] for names in names_in_order(on)] == [
        ['sorrypage-h0-preview'], ['sorrypage-h0-bypass0', 'sorrypage-h0-bypass1', 'sorrypage-h0-sorry'],
        ['web', 'api'], ['web', 'api']]
    assert on['spec']['rules'][2] == user_rule('new.example.com')


def test_preview_with_another_path_replaces_the_old_one():
    preview = server_write(seed(), plan.plan_preview_on_in_place(seed(), [page()], PREVIEW))
    moved = server_write(preview, plan.plan_preview_on_in_place(preview, [page()], '/_other'))
    paths = [p['path'] for r in moved['spec']['rules'] for p in r['http']['paths']]
    assert paths == ['/_other', '/', '/api']
    assert plan.read_record(moved)['preview']['path'] == '/_other'


def test_preview_paths_come_before_the_sorry_path_in_the_controller_order():
    preview = server_write(seed(), plan.plan_preview_on_in_place(seed(), [page()], PREVIEW))
    on = server_write(preview, plan.plan_on_in_place(preview, [page()]))
    order = [(item[3], item[5]['service']['name']) for item in plan.controller_order([on])]
    assert order[0] == (PREVIEW, 'sorrypage-h0-preview')
    assert order.index((PREVIEW, 'sorrypage-h0-preview')) < order.index(('/*', 'sorrypage-h0-sorry'))


def test_preview_in_place_refuses_a_group_member_and_regex_paths():
    with pytest.raises(ValueError, match='is in IngressGroup shop'):
        plan.plan_preview_on_in_place(member('web'), [page()], PREVIEW)
    regex = ingress(annotations={A + 'use-regex-path-match': 'true'}, rules=[user_rule()])
    with pytest.raises(ValueError, match='use-regex-path-match'):
        plan.plan_preview_on_in_place(regex, [page()], PREVIEW)


def test_drift_sees_a_lost_preview():
    preview = server_write(seed(), plan.plan_preview_on_in_place(seed(), [page()], PREVIEW))
    lost = copy.deepcopy(preview)
    del lost['spec']['rules'][0]
    del lost['metadata']['annotations'][A + 'actions.sorrypage-h0-preview']
    found = plan.drift(lost)
    assert found['drifted'] is True and found['missing_rules'] == ['shop.example.com']
    assert found['missing_annotations'] == [A + 'actions.sorrypage-h0-preview']


def test_our_ingress_holds_the_preview_first_and_parts_of_reads_both_back():
    members = [member('web')]
    part = plan.preview_part([page()], PREVIEW)
    preview_only = plan.our_ingress_of(members, 'shop', maintenance=None, preview=part)
    assert names_in_order(preview_only) == [('shop.example.com', ['sorrypage-h0-preview'])]
    assert plan.parts_of(preview_only) == (None, part)
    both = plan.our_ingress(members, 'shop', [page()], info={'sorrypage:by': 'alice'}, preview=part)
    assert [names[1] for names in names_in_order(both)] == [
        ['sorrypage-h0-preview'], ['sorrypage-h0-bypass0', 'sorrypage-h0-bypass1', 'sorrypage-h0-sorry']]
    maintenance, preview = plan.parts_of(both)
    assert preview == part and maintenance['info'] == {'sorrypage:by': 'alice'}
    # rebuilt from what it holds, it is the same manifest: a rerun writes nothing
    assert plan.our_ingress_of(members, 'shop', maintenance=maintenance, preview=preview) == both
    assert plan.drift(both)['drifted'] is False
    with pytest.raises(ValueError, match='our Ingress would hold nothing'):
        plan.our_ingress_of(members, 'shop')


# ---------------------------------------------------------------- what else changed during the window

TOKEN = 'secret-annotation-value-77'


def released():
    """The seed's Ingress with what a chart renders: an annotation holding a secret, TLS, a second host."""
    ing = seed()
    ing['metadata']['annotations'][A + 'auth-idp-cognito'] = '{"userPoolARN":"%s"}' % TOKEN
    ing['metadata']['annotations']['kubectl.kubernetes.io/last-applied-configuration'] = '{"v": 1}'
    ing['spec']['tls'] = [{'hosts': ['shop.example.com'], 'secretName': 'shop-tls'}]
    ing['spec']['rules'].append(user_rule('api.example.com'))
    return ing


def on_in_place(ing, sets=None, **kwargs):
    return server_write(ing, plan.plan_on_in_place(ing, sets or [page()], **kwargs))


def test_the_first_write_keeps_a_fingerprint_of_the_rest_hashes_only():
    on = on_in_place(released())
    others = plan.read_record(on)[plan.OTHERS_KEY]
    assert sorted(others['annotations']) == [A + 'auth-idp-cognito', A + 'scheme', A + 'target-type']
    assert sorted(others['rules']) == ['api.example.com', 'shop.example.com']
    assert len(others['rules']['shop.example.com']) == 1  # not our entry for shop.example.com
    assert sorted(others['spec']) == ['ingressClassName', 'tls']
    assert TOKEN not in json.dumps(others) and 'shop-tls' not in json.dumps(others)
    assert plan.changed_during(on) == []  # our own edit is not a change of the release's


def test_a_rerun_writes_nothing_and_a_rewrite_keeps_the_first_fingerprint():
    on = on_in_place(released())
    first = plan.read_record(on)[plan.OTHERS_KEY]
    assert plan.plan_on_in_place(on, [page()]) is None
    on['metadata']['annotations'][A + 'scheme'] = 'internal'  # a release, then `on` again with another page
    again = on_in_place(on, [page(body='<h1>Later</h1>')])
    assert plan.read_record(again)[plan.OTHERS_KEY] == first
    assert plan.changed_during(again) == ['annotation %sscheme changed' % A]


def test_changes_of_the_release_are_listed_without_values():
    on = on_in_place(released())
    after = copy.deepcopy(on)
    annotations = after['metadata']['annotations']
    annotations[A + 'healthcheck-path'] = '/healthz'
    annotations[A + 'auth-idp-cognito'] = '{"userPoolARN":"%s-rotated"}' % TOKEN
    del annotations[A + 'target-type']
    annotations['kubectl.kubernetes.io/last-applied-configuration'] = '{"v": 2}'
    after['spec']['rules'].append(user_rule('blog.example.com'))
    after['spec']['rules'][2]['http']['paths'].pop()  # the user's entry for api.example.com lost /api
    after['spec']['tls'][0]['secretName'] = 'shop-tls-2'
    after['spec']['defaultBackend'] = svc('web')
    lines = plan.changed_during(after)
    assert lines == [
        'annotation %sauth-idp-cognito changed' % A,
        'annotation %shealthcheck-path added' % A,
        'annotation %starget-type removed' % A,
        'spec.rules entry for host api.example.com changed',
        'spec.rules entry for host blog.example.com added',
        'spec.defaultBackend added',
        'spec.tls changed',
    ]
    assert TOKEN not in json.dumps(lines) and '/healthz' not in json.dumps(lines) and 'shop-tls' not in json.dumps(lines)


def test_entries_without_a_host_and_repeated_hosts_are_told_apart():
    ing = ingress(annotations={}, rules=[{'http': {'paths': [{'path': '/', 'pathType': 'Prefix', 'backend': svc('web')}]}}])
    on = on_in_place(ing)
    after = copy.deepcopy(on)
    after['spec']['rules'].append(user_rule('shop.example.com'))
    after['spec']['rules'].append(user_rule('shop.example.com'))
    after['spec']['rules'][1]['http']['paths'][0]['backend'] = svc('web2')
    assert plan.changed_during(after) == ['spec.rules entry for every host changed',
                                          'spec.rules entry for host shop.example.com added']
    gone = copy.deepcopy(after)
    del gone['spec']['rules'][1]
    assert plan.changed_during(gone) == ['spec.rules entry for every host removed',
                                         'spec.rules entry for host shop.example.com added']


def test_entries_of_one_host_reordered_or_one_of_them_removed():
    ing = ingress(annotations={}, rules=[user_rule(), user_rule(), {'host': 'shop.example.com', 'http': {'paths': [
        {'path': '/', 'pathType': 'Prefix', 'backend': svc('other')}]}}])
    on = on_in_place(ing)
    moved = copy.deepcopy(on)
    moved['spec']['rules'][1:] = moved['spec']['rules'][3:] + moved['spec']['rules'][1:3]
    assert plan.changed_during(moved) == ['spec.rules entry for host shop.example.com reordered']
    shorter = copy.deepcopy(on)
    del shorter['spec']['rules'][2]
    assert plan.changed_during(shorter) == ['spec.rules entry for host shop.example.com removed']


def test_a_path_added_to_our_entry_counts_and_our_paths_do_not():
    on = on_in_place(seed())
    after = copy.deepcopy(on)
    after['spec']['rules'][0]['http']['paths'].append({'path': '/x', 'pathType': 'Prefix', 'backend': svc('x')})
    # our entry now holds a path of the user's too: an entry for shop.example.com besides the user's own
    assert plan.changed_during(after) == ['spec.rules entry for host shop.example.com added']


def test_sorry_absent_keeps_the_fingerprint_and_absent_drops_it_with_the_record():
    on = on_in_place(released())
    on['metadata']['annotations'][A + 'healthcheck-path'] = '/healthz'
    half = server_write(on, plan.plan_off_in_place(on, only='sorry'))
    assert plan.read_record(half)[plan.OTHERS_KEY] == plan.read_record(on)[plan.OTHERS_KEY]
    assert plan.changed_during(half) == ['annotation %shealthcheck-path added' % A]
    off = server_write(half, plan.plan_off_in_place(half))
    assert plan.read_record(off) is None and plan.changed_during(off) == []
    assert off['metadata']['annotations'][A + 'healthcheck-path'] == '/healthz'  # left as the release made it


def test_records_without_a_fingerprint_say_nothing_and_a_rerun_adds_none():
    on = on_in_place(released())
    record = plan.read_record(on)
    del record[plan.OTHERS_KEY]
    on['metadata']['annotations'][plan.RECORD_ANNOTATION] = plan._dump(record)  # as 0.2.0 wrote it
    on['metadata']['annotations'][A + 'scheme'] = 'internal'
    assert plan.changed_during(on) == []
    assert plan.plan_on_in_place(on, [page()]) is None  # no write just to add one
    rewritten = on_in_place(on, [page(body='<h1>Later</h1>')])
    assert plan.OTHERS_KEY not in plan.read_record(rewritten)  # not taken mid-window
    assert plan.changed_during(ingress(annotations={A + 'scheme': 'x'})) == []


def test_the_window_starts_at_present_not_at_the_preview():
    preview = server_write(released(), plan.plan_preview_on_in_place(released(), [page()], PREVIEW))
    assert plan.OTHERS_KEY not in plan.read_record(preview)
    preview['metadata']['annotations'][A + 'scheme'] = 'internal'  # days before the window
    on = on_in_place(preview)
    others = plan.read_record(on)[plan.OTHERS_KEY]
    assert A + 'actions.sorrypage-h0-preview' not in others['annotations']
    assert sorted(others['rules']) == ['api.example.com', 'shop.example.com']  # the preview's entry is ours
    assert plan.changed_during(on) == []
    off = server_write(on, plan.plan_off_in_place(on))
    assert plan.OTHERS_KEY not in plan.read_record(off)  # the preview stays, the window's fingerprint goes


# ---------------------------------------------------------------- variants: a language, API clients

JA_BODY = '<!doctype html><title>メンテナンス中</title><p>ただいまメンテナンス中です</p>'
API_BODY = '{"status":503,"error":"maintenance","message":"Back soon"}'
JA_MARKER = '0123456789'
API_MARKER = 'abcdef0123'


def ja(**overrides):
    base = {'name': 'ja', 'body': JA_BODY, 'content_type': 'text/html', 'path_patterns': ['/*'],
            'http_headers': [{'name': 'Accept-Language', 'values': ['ja*']}], 'marker': JA_MARKER}
    base.update(overrides)
    return base


def api(**overrides):
    base = {'name': 'api', 'body': API_BODY, 'content_type': 'application/json', 'path_patterns': ['/api/*', '/v2/*'],
            'http_headers': [], 'marker': API_MARKER}
    base.update(overrides)
    return base


def accept_json(**overrides):
    base = {'name': 'json', 'body': API_BODY, 'content_type': 'application/json',
            'http_headers': [{'name': 'Accept', 'values': ['application/json*']}]}
    base.update(overrides)
    return base


def variant_page(variants=None, **overrides):
    return page(variants=[ja(), api(), accept_json()] if variants is None else variants, marker=MARKER, **overrides)


def fixed(body, content_type):
    return json.dumps({'fixedResponseConfig': {'contentType': content_type, 'messageBody': body, 'statusCode': '503'},
                       'type': 'fixed-response'}, sort_keys=True, separators=(',', ':'), ensure_ascii=False)


def variant_path(name, path='/*'):
    return {'path': path, 'pathType': 'ImplementationSpecific', 'backend': backend(name)}


def test_variants_go_between_the_bypass_and_the_default_page_one_path_per_pattern():
    rules, annotations = plan.desired([variant_page()])
    assert rules == [{'host': 'shop.example.com', 'http': {'paths': [
        our_path('sorrypage-h0-bypass0'), our_path('sorrypage-h0-bypass1'),
        variant_path('sorrypage-h0-v0'),
        variant_path('sorrypage-h0-v1', '/api/*'), variant_path('sorrypage-h0-v1', '/v2/*'),
        variant_path('sorrypage-h0-v2'),
        our_path('sorrypage-h0-sorry')]}}]
    assert annotations[A + 'actions.sorrypage-h0-v0'] == fixed(JA_BODY, 'text/html')
    assert annotations[A + 'conditions.sorrypage-h0-v0'] == (
        '[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"Accept-Language","values":["ja*"]}}]')
    assert annotations[A + 'actions.sorrypage-h0-v1'] == fixed(API_BODY, 'application/json')
    assert A + 'conditions.sorrypage-h0-v1' not in annotations   # a path-only variant has no conditions annotation
    assert annotations[A + 'conditions.sorrypage-h0-v2'] == (
        '[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"Accept","values":["application/json*"]}}]')
    assert annotations[A + 'actions.sorrypage-h0-sorry'] == SORRY_JSON


def test_variants_of_every_host_and_of_several_hosts_are_numbered_per_entry():
    rules, annotations = plan.desired([variant_page(hosts=['a.example.com', 'b.example.com'], variants=[ja()]),
                                       page(hosts=[], http_headers=[], variants=[api()])])
    assert [[p['backend']['service']['name'] for p in r['http']['paths']] for r in rules] == [
        ['sorrypage-h0-bypass0', 'sorrypage-h0-bypass1', 'sorrypage-h0-v0', 'sorrypage-h0-sorry'],
        ['sorrypage-h1-bypass0', 'sorrypage-h1-bypass1', 'sorrypage-h1-v0', 'sorrypage-h1-sorry'],
        ['sorrypage-h2-bypass0', 'sorrypage-h2-v0', 'sorrypage-h2-v0', 'sorrypage-h2-sorry']]
    assert [r.get('host') for r in rules] == ['a.example.com', 'b.example.com', None]
    assert annotations[A + 'actions.sorrypage-h1-v0'] == fixed(JA_BODY, 'text/html')
    assert annotations[A + 'actions.sorrypage-h2-v0'] == fixed(API_BODY, 'application/json')


def test_a_variant_without_content_type_nor_path_patterns_is_html_on_every_path():
    rules, annotations = plan.desired([page(variants=[{'name': 'ja', 'body': JA_BODY, 'http_headers': [
        {'name': 'Accept-Language', 'values': ['ja*']}]}])])
    assert rules[0]['http']['paths'][2] == variant_path('sorrypage-h0-v0')
    assert annotations[A + 'actions.sorrypage-h0-v0'] == fixed(JA_BODY, 'text/html')


def test_variant_paths_come_after_the_bypass_and_before_the_sorry_path_in_the_controller_order():
    on = apply_patch(seed(), plan.plan_on_in_place(seed(), [variant_page()]))
    order = [(item[3], item[5]['service']['name']) for item in plan.controller_order([on])]
    assert order == [('/*', 'sorrypage-h0-bypass0'), ('/*', 'sorrypage-h0-bypass1'), ('/*', 'sorrypage-h0-v0'),
                     ('/api/*', 'sorrypage-h0-v1'), ('/v2/*', 'sorrypage-h0-v1'), ('/*', 'sorrypage-h0-v2'),
                     ('/*', 'sorrypage-h0-sorry'), ('/api', 'api'), ('/', 'web')]


def test_variant_markers_count_after_the_set_marker_each_once():
    sets = [variant_page(), page(hosts=['b.example.com'], marker=API_MARKER, variants=[ja(marker=MARKER)])]
    assert plan.markers_of(sets) == [MARKER, JA_MARKER, API_MARKER]
    on = apply_patch(seed(), plan.plan_on_in_place(seed(), sets))
    assert plan.markers_in([plan.read_record(on)]) == [MARKER, JA_MARKER, API_MARKER]
    assert plan.markers_of([page(variants=None)]) == []


def test_on_off_with_variants_gives_back_the_original_ingress_byte_for_byte():
    before = released()
    original = json.dumps(before, ensure_ascii=False)
    on = server_write(before, plan.plan_on_in_place(before, [variant_page()], info=INFO))
    assert plan.plan_on_in_place(on, [variant_page()], info=INFO) is None   # a rerun writes nothing
    assert plan.drift(on)['drifted'] is False
    assert plan.changed_during(on) == []   # our variant paths and annotations are not "something else"
    assert plan.fingerprint(on, record=plan.read_record(on)) == plan.fingerprint(before)
    off = server_write(on, plan.plan_off_in_place(on))
    off['metadata']['resourceVersion'] = before['metadata']['resourceVersion']
    assert json.dumps(off, ensure_ascii=False) == original
    assert plan.plan_off_in_place(off) is None


def test_off_in_two_phases_takes_every_variant_out_with_the_page_and_keeps_the_bypass():
    on = server_write(seed(), plan.plan_on_in_place(seed(), [variant_page()]))
    half = server_write(on, plan.plan_off_in_place(on, only='sorry'))
    assert half['spec']['rules'][0] == {'host': 'shop.example.com', 'http': {'paths': [
        our_path('sorrypage-h0-bypass0'), our_path('sorrypage-h0-bypass1')]}}
    ours = sorted(key for key in half['metadata']['annotations'] if 'sorrypage-h0' in key)
    assert ours == [A + 'actions.sorrypage-h0-bypass0', A + 'actions.sorrypage-h0-bypass1',
                    A + 'conditions.sorrypage-h0-bypass0', A + 'conditions.sorrypage-h0-bypass1']
    record = plan.read_record(half)
    assert sorted(record['annotations']) == ours
    assert plan.drift(half)['drifted'] is False
    assert plan.plan_off_in_place(half, only='sorry') is None
    off = server_write(half, plan.plan_off_in_place(half))
    assert off['spec'] == seed()['spec'] and off['metadata']['annotations'] == seed()['metadata']['annotations']


@pytest.mark.parametrize('name, sorry', [
    ('sorrypage-h0-sorry', True), ('sorrypage-h3-v0', True), ('sorrypage-h0-v12', True),
    ('sorrypage-h0-bypass0', False), ('sorrypage-h0-preview', False), ('sorrypage-h0-vx', False), (None, False),
])
def test_is_sorry_name(name, sorry):
    assert plan.is_sorry_name(name) is sorry


def test_a_variant_left_behind_outside_the_record_is_taken_out_by_off_and_by_on():
    on = server_write(seed(), plan.plan_on_in_place(seed(), [variant_page()]))
    # a variant dropped from the sets: the rerun takes its paths and annotations out
    fewer = server_write(on, plan.plan_on_in_place(on, [variant_page(variants=[ja()])]))
    assert not [key for key in fewer['metadata']['annotations'] if 'sorrypage-h0-v1' in key or 'sorrypage-h0-v2' in key]
    assert [p['backend']['service']['name'] for p in fewer['spec']['rules'][0]['http']['paths']] == [
        'sorrypage-h0-bypass0', 'sorrypage-h0-bypass1', 'sorrypage-h0-v0', 'sorrypage-h0-sorry']
    # a stray one named like ours (a half-done write of an older run) goes with off
    stray = copy.deepcopy(fewer)
    stray['metadata']['annotations'][A + 'actions.sorrypage-h0-v7'] = fixed(API_BODY, 'application/json')
    stray['spec']['rules'][1]['http']['paths'].append(variant_path('sorrypage-h0-v7', '/api/*'))
    off = server_write(stray, plan.plan_off_in_place(stray))
    assert off['spec'] == seed()['spec'] and off['metadata']['annotations'] == seed()['metadata']['annotations']


def test_a_changed_variant_body_is_one_patch_and_a_lost_variant_annotation_is_drift():
    on = server_write(seed(), plan.plan_on_in_place(seed(), [variant_page()]))
    other = '{"status":503,"error":"maintenance","message":"Back at 06:00"}'
    ops = plan.plan_on_in_place(on, [variant_page(variants=[ja(), api(body=other), accept_json()])])
    again = server_write(on, ops)
    assert again['metadata']['annotations'][A + 'actions.sorrypage-h0-v1'] == fixed(other, 'application/json')
    assert plan.drift(again)['drifted'] is False
    lost = copy.deepcopy(again)
    del lost['metadata']['annotations'][A + 'conditions.sorrypage-h0-v0']
    assert plan.drift(lost)['missing_annotations'] == [A + 'conditions.sorrypage-h0-v0']


def test_our_ingress_in_a_group_holds_the_variants_and_records_their_markers():
    manifest = plan.our_ingress([member('web')], 'shop', [variant_page(http_headers=[])])
    paths = manifest['spec']['rules'][0]['http']['paths']
    assert [(p['path'], p['backend']['service']['name']) for p in paths] == [
        ('/*', 'sorrypage-h0-bypass0'), ('/*', 'sorrypage-h0-v0'), ('/api/*', 'sorrypage-h0-v1'),
        ('/v2/*', 'sorrypage-h0-v1'), ('/*', 'sorrypage-h0-v2'), ('/*', 'sorrypage-h0-sorry')]
    annotations = manifest['metadata']['annotations']
    assert annotations[A + 'actions.sorrypage-h0-v1'] == fixed(API_BODY, 'application/json')
    record = plan.read_record(manifest)
    assert record['markers'] == [MARKER, JA_MARKER, API_MARKER]
    assert A + 'conditions.sorrypage-h0-v2' in record['annotations']
    maintenance, _preview = plan.parts_of(manifest)
    assert maintenance['rules'] == manifest['spec']['rules']


def test_the_preview_shows_the_default_page_of_a_set_with_variants():
    part = plan.preview_part([variant_page()], '/_sorry-preview')
    assert part['annotations'] == {A + 'actions.sorrypage-h0-preview': SORRY_JSON}


def test_redact_masks_the_bypass_secret_and_leaves_the_variant_bodies():
    shown = json.dumps(plan.redact(plan.plan_on_in_place(seed(), [variant_page()])))
    assert SECRET not in shown
    assert json.dumps(fixed(API_BODY, 'application/json')) in shown


def test_variant_paths_count_in_the_rules_quota():
    hosts = ['h%d.example.com' % i for i in range(14)]
    # 14 hosts x (2 bypass + 1 + 2 + 1 variants + 1 sorry) = 98; one more variant path each is 112
    plan.desired([variant_page(hosts=hosts)])
    with pytest.raises(ValueError) as e:
        longer = api(path_patterns=['/api/*', '/v2/*', '/v3/*'])
        plan.desired([variant_page(hosts=hosts, variants=[ja(), longer, accept_json()])])
    assert str(e.value).startswith('the maintenance needs 112 listener rules')


FOUR = [{'name': 'Accept-Language', 'values': ['ja', 'ja-*', 'ja_*', 'jp*']}]


@pytest.mark.parametrize('variants, message', [
    ('ja', 'sets[0].variants must be a list of variants (name, body, content_type, path_patterns, http_headers), '
           'not str'),
    (['ja'], 'sets[0].variants[0] must be a dict (name, body, content_type, path_patterns, http_headers), not str'),
    ([ja(name='JA')], "sets[0].variants[0].name 'JA' must be 1 to 12 lowercase letters, digits or '-', like ja or api"),
    ([ja(name='japanese-pages')], "sets[0].variants[0].name 'japanese-pages' must be 1 to 12 lowercase letters"),
    ([ja(name=None)], "sets[0].variants[0].name 'None' must be 1 to 12"),
    ([ja(), api(name='ja')], "sets[0].variants[1].name 'ja' is already the name of sets[0].variants[0]: names are "
                             'unique within a set'),
    ([ja(body='')], "sets[0].variants[0].body is empty: the variant's page is required"),
    ([ja(body='x' * 1030)], 'sets[0].variants[0].body is 1030 characters, 6 over the 1024-character limit of an ALB '
                            'fixed response'),
    ([ja(body='\u00e9' * 1024 + 'x')], 'sets[0].variants[0].body is 1025 characters, 1 over'),  # characters, not bytes
    ([ja(content_type='text/plain')], "sets[0].variants[0].content_type 'text/plain' is not one of text/html, "
                                      'application/json'),
    ([api(body='<p>down</p>')], 'sets[0].variants[0].body is not valid JSON, as content_type application/json says: '),
    ([api(path_patterns=['api/*'])], "sets[0].variants[0].path_patterns: 'api/*' must start with '/': an Ingress "
                                     'path is absolute'),
    ([api(path_patterns=['/api/<x>'])], "sets[0].variants[0].path_patterns: '/api/<x>' may contain only letters"),
    ([api(path_patterns=['/' + 'a' * 128])], "sets[0].variants[0].path_patterns: '/aaaaaaaaaaaaaaaaaaa...' is 129 "
                                             'characters; the ALB allows at most 128'),
    ([api(path_patterns=[])], "sets[0].variants[0].path_patterns must be a list of paths like /api/* "
                              "(default ['/*'])"),
    ([ja(http_headers=[{'name': 'Accept Language', 'values': ['ja*']}])],
     "sets[0].variants[0].http_headers: name 'Accept Language' is not a valid HTTP header name"),
    ([ja(http_headers=[{'name': 'Accept-Language', 'values': []}])],
     "sets[0].variants[0].http_headers: header 'Accept-Language' needs at least one value"),
    ([ja(http_headers='Accept-Language: ja')], 'sets[0].variants[0].http_headers must be a list of {name, values}'),
    ([ja(http_headers=FOUR)], 'sets[0].variants[0]: each of its rules would have 6 condition values (1 host, '
                              '1 path pattern, 4 header values), over the 5 of an ALB rule: drop header values or '
                              'split it into two variants'),
    ([ja(http_headers=[])], "sets[0].variants[0] matches every request (path_patterns /* and no http_headers), so "
                            "the set's own body would never be served: give it http_headers or narrower "
                            'path_patterns'),
    ([api(path_patterns=['/api/*', '/*'])], 'sets[0].variants[0] matches every request'),
    ([ja(marker='XYZ')], "sets[0].variants[0].marker 'XYZ' is not a page build marker: 10 lowercase hex characters"),
])
def test_bad_variants_are_refused_naming_the_variant_and_the_limit(variants, message):
    with pytest.raises(ValueError) as e:
        plan.plan_on_in_place(seed(), [page(variants=variants)])
    assert message in str(e.value)


def test_four_header_values_fit_a_variant_of_every_host_and_all_errors_come_at_once():
    rules, _annotations = plan.desired([page(hosts=[], http_headers=[], variants=[ja(http_headers=FOUR)])])
    assert rules[0]['http']['paths'][1] == variant_path('sorrypage-h0-v0')
    with pytest.raises(ValueError) as e:
        plan.desired([page(body='', variants=[ja(name='JA'), api(content_type='text/css')])])
    assert str(e.value).split('; ') == [
        'sets[0].body is empty: the Sorry page is required',
        "sets[0].variants[0].name 'JA' must be 1 to 12 lowercase letters, digits or '-', like ja or api",
        "sets[0].variants[1].content_type 'text/css' is not one of text/html, application/json"]


# ---------------------------------------------------------------- behind CloudFront

def test_viewer_values_split_two_per_rule_beside_host_path_and_the_origin_header():
    origin = {'name': 'X-Origin-Verify', 'value': SECRET}
    viewer = ['10.%d.*' % i for i in range(5)]
    rules, annotations = plan.desired([{'hosts': ['shop.example.com'], 'body': BODY, 'viewer_values': viewer,
                                        'origin_header': origin, 'target_groups': [TG]}])
    names = [p['backend']['service']['name'] for p in rules[0]['http']['paths']]
    assert names == ['sorrypage-h0-bypass0', 'sorrypage-h0-bypass1', 'sorrypage-h0-bypass2', 'sorrypage-h0-sorry']
    chunks = [json.loads(annotations[A + 'conditions.' + name]) for name in names[:3]]
    assert [c[0]['httpHeaderConfig']['values'] for c in chunks] == [viewer[0:2], viewer[2:4], viewer[4:5]]
    assert all(c[1] == {'field': 'http-header', 'httpHeaderConfig': {'httpHeaderName': 'X-Origin-Verify',
                                                                     'values': [SECRET]}} for c in chunks)
    assert SECRET not in json.dumps(plan.redact(annotations))


def test_viewer_values_without_the_origin_header_are_refused_naming_why():
    with pytest.raises(ValueError) as err:
        plan.desired([{'hosts': ['shop.example.com'], 'body': BODY, 'viewer_values': ['10.*'], 'target_groups': [TG]}])
    assert "sets[0]: viewer_values need origin_header (the distribution's secret origin header)" in str(err.value)
    with pytest.raises(ValueError) as err:
        plan.desired([{'hosts': ['shop.example.com'], 'body': BODY, 'viewer_values': ['10.*'], 'target_groups': [TG],
                       'origin_header': {'name': 'X' * 41, 'value': SECRET}}])
    assert 'sets[0].origin_header:' in str(err.value) and SECRET not in str(err.value)
