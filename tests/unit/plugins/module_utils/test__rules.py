# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _rules as R

TG_WEB = 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/1'
TG_API = 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/api/2'
NOT_FOUND = [{'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': '404', 'ContentType': 'text/plain'}}]


def spec(**overrides):
    params = dict(kind='sorry', name=None, content='<p>Back soon</p>', content_type='text/html', status_code=None,
                  host_headers=[], path_patterns=[], source_ips=[], http_headers=[], target_group_arn=None, mirror=False)
    params.update(overrides)
    return R.build_spec(params)


def rule(arn, priority, hosts=None, paths=None, target=TG_WEB, actions=None, conditions=None):
    if conditions is None:
        conditions = []
        if hosts:
            conditions.append(R.host_condition(hosts))
        if paths:
            conditions.append(R.path_condition(paths))
    return dict(arn=arn, priority=priority, conditions=conditions, actions=actions or [R.forward(target)], tags={})


def cidrs(count):
    return ['10.0.%d.0/24' % i for i in range(count)]


# ---------------------------------------------------------------- spec

@pytest.mark.parametrize('overrides, expected', [
    ({}, dict(kind='sorry', name='sorry', paths=['/*'], status_code=503)),
    ({'kind': 'preview', 'path_patterns': ['/__sorry']}, dict(kind='preview', name='preview', paths=['/__sorry'], status_code=200)),
    ({'kind': 'bypass', 'content': None, 'source_ips': ['10.0.0.1']}, dict(name='bypass', paths=[], cidrs=['10.0.0.1/32'])),
    ({'name': 'shop', 'status_code': 500, 'host_headers': ['a.test', 'a.test']}, dict(name='shop', status_code=500, hosts=['a.test'])),
])
def test_build_spec_defaults(overrides, expected):
    built = spec(**overrides)
    assert dict((k, built[k]) for k in expected) == expected


# ---------------------------------------------------------------- desired rules

def test_sorry_rule_is_one_fixed_response():
    rules, source = R.desired_rules(spec(host_headers=['shop.test']), [], NOT_FOUND)
    assert source is None
    assert rules == [{
        'conditions': [{'Field': 'host-header', 'HostHeaderConfig': {'Values': ['shop.test']}},
                       {'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/*']}}],
        'actions': [{'Type': 'fixed-response', 'FixedResponseConfig': {
            'StatusCode': '503', 'ContentType': 'text/html', 'MessageBody': '<p>Back soon</p>'}}],
    }]


def test_bypass_cidrs_are_split_around_the_host_values():
    rules, source = R.desired_rules(spec(kind='bypass', content=None, host_headers=['shop.test'], source_ips=cidrs(7),
                                         target_group_arn=TG_WEB), [], NOT_FOUND)
    assert source == 'parameter'
    assert [c[1]['SourceIpConfig']['Values'] for c in (r['conditions'] for r in rules)] == [cidrs(7)[:4], cidrs(7)[4:]]
    assert all(r['conditions'][0] == R.host_condition(['shop.test']) for r in rules)
    assert all(r['actions'] == [R.forward(TG_WEB)] for r in rules)


def test_bypass_by_cidr_and_by_header_is_one_rule_per_condition_type():
    rules, _source = R.desired_rules(spec(kind='bypass', content=None, source_ips=cidrs(2), target_group_arn=TG_WEB,
                                          http_headers=[{'name': 'X-Bypass', 'values': ['s1', 's2']},
                                                        {'name': 'X-Other', 'values': ['s3']}]), [], NOT_FOUND)
    assert [r['conditions'] for r in rules] == [
        [R.source_ip_condition(cidrs(2))],
        [R.header_condition('X-Bypass', ['s1', 's2'])],
        [R.header_condition('X-Other', ['s3'])],
    ]


def test_bypass_by_path_alone_is_a_passthrough():
    rules, _source = R.desired_rules(spec(kind='bypass', content=None, path_patterns=['/healthz'], target_group_arn=TG_WEB),
                                     [], NOT_FOUND)
    assert rules == [{'conditions': [R.path_condition(['/healthz'])], 'actions': [R.forward(TG_WEB)]}]


# ---------------------------------------------------------------- target inference

def test_target_from_the_catch_all_rule_for_the_same_hosts():
    foreign = [rule('api', 1, ['shop.test'], ['/api/*'], TG_API), rule('web', 2, ['shop.test'], ['/*'], TG_WEB),
               rule('blog', 3, ['blog.test'], ['/*'], TG_API)]
    assert R.infer_target(['SHOP.test'], foreign, NOT_FOUND) == (TG_WEB, 'rule:web')
    assert R.infer_target(['blog.test'], foreign, NOT_FOUND) == (TG_API, 'rule:blog')


def test_target_from_the_default_action():
    assert R.infer_target([], [rule('api', 1, None, ['/api/*'], TG_API)], [R.forward(TG_WEB)]) == (TG_WEB, 'default_action')


def test_catch_all_with_weighted_groups_is_ambiguous():
    weighted = [{'Type': 'forward', 'ForwardConfig': {'TargetGroups': [
        {'TargetGroupArn': TG_WEB, 'Weight': 90}, {'TargetGroupArn': TG_API, 'Weight': 10}]}}]
    with pytest.raises(R.RuleError) as error:
        R.infer_target(['shop.test'], [rule('canary', 1, ['shop.test'], ['/*'], actions=weighted)], NOT_FOUND)
    assert str(error.value) == ("cannot infer the bypass target: the catch-all rule canary for host_headers shop.test "
                                "forwards to 2 target groups; give target_group_arn, or use mirror: true (or auto) to keep the "
                                "application's own routing")


def test_several_target_groups_without_catch_all_is_ambiguous():
    foreign = [rule('api', 1, ['shop.test'], ['/api/*'], TG_API), rule('web', 2, ['shop.test'], ['/web/*'], TG_WEB)]
    with pytest.raises(R.RuleError) as error:
        R.infer_target(['shop.test'], foreign, NOT_FOUND)
    assert str(error.value) == ("cannot infer the bypass target: there is no catch-all (/*) forward rule for host_headers "
                                "shop.test and the listener forwards to several target groups (%s, %s); give "
                                "target_group_arn, or use mirror: true (or auto) to keep the application's own routing"
                                % (TG_API, TG_WEB))


def test_nothing_to_forward_to():
    with pytest.raises(R.RuleError) as error:
        R.infer_target([], [rule('blog', 1, ['blog.test'], ['/*'])], NOT_FOUND)
    assert str(error.value) == ("cannot infer the bypass target: there is no catch-all (/*) forward rule for any host "
                                "and the default action is fixed-response, not a forward; give target_group_arn, or "
                                "use mirror: true (or auto) to keep the application's own routing")


def test_default_action_with_two_groups_is_ambiguous():
    default = [{'Type': 'forward', 'ForwardConfig': {'TargetGroups': [{'TargetGroupArn': TG_WEB}, {'TargetGroupArn': TG_API}]}}]
    with pytest.raises(R.RuleError, match='the default action forwards to 2 target groups'):
        R.infer_target([], [], default)


# ---------------------------------------------------------------- mirror

def test_mirror_copies_every_rule_in_order_with_the_bypass_condition_and_the_default_last():
    foreign = [rule('api', 1, ['shop.test'], ['/api/*'], TG_API), rule('web', 2, ['shop.test'], ['/*'], TG_WEB)]
    rules, source = R.desired_rules(spec(kind='bypass', content=None, mirror=True, source_ips=['10.0.0.0/8']), foreign,
                                    NOT_FOUND)
    assert source == 'mirror'
    bypass = R.source_ip_condition(['10.0.0.0/8'])
    assert [r['conditions'] for r in rules] == [
        [R.host_condition(['shop.test']), R.path_condition(['/api/*']), bypass],
        [R.host_condition(['shop.test']), R.path_condition(['/*']), bypass],
        [bypass],
    ]
    assert [r['actions'] for r in rules] == [[R.forward(TG_API)], [R.forward(TG_WEB)], NOT_FOUND]
    assert [r['source'] for r in rules] == ['api', 'web', 'default']


def test_mirror_for_hosts_copies_only_their_rules():
    foreign = [rule('shop', 1, ['shop.test'], ['/*']), rule('both', 2, ['shop.test', 'blog.test'], ['/x']),
               rule('blog', 3, ['blog.test'], ['/*']), rule('any', 4, None, ['/y'])]
    rules, _source = R.desired_rules(spec(kind='bypass', content=None, mirror=True, host_headers=['shop.test'],
                                          http_headers=[{'name': 'X-B', 'values': ['s']}]), foreign, NOT_FOUND)
    assert [r['source'] for r in rules] == ['shop', 'both', 'any', 'default']
    assert rules[1]['conditions'][0] == R.host_condition(['shop.test'])
    assert rules[2]['conditions'][0] == R.host_condition(['shop.test'])
    assert rules[3]['conditions'] == [R.host_condition(['shop.test']), R.header_condition('X-B', ['s'])]


def test_mirror_splits_cidrs_in_what_room_each_rule_leaves():
    foreign = [rule('web', 1, ['shop.test'], ['/a', '/b'])]
    rules, _source = R.desired_rules(spec(kind='bypass', content=None, mirror=True, source_ips=cidrs(4)), foreign, NOT_FOUND)
    assert [r['conditions'][-1]['SourceIpConfig']['Values'] for r in rules] == [cidrs(4)[:2], cidrs(4)[2:], cidrs(4)]


@pytest.mark.parametrize('foreign, message', [
    ([rule('oidc', 4, ['a.test'], ['/*'], actions=[{'Type': 'authenticate-oidc', 'Order': 1}, dict(R.forward(TG_WEB), Order=2)])],
     'cannot mirror rule oidc (priority 4): its authenticate-oidc action cannot be copied (DescribeRules does not '
     'return the client secret); give target_group_arn instead'),
    ([rule('ip', 2, conditions=[R.source_ip_condition(['192.0.2.0/24'])])],
     'cannot mirror rule ip (priority 2): it already has a source-ip condition and a rule takes only one'),
    ([rule('full', 3, ['a.test', 'b.test'], ['/1', '/2', '/3'])],
     'cannot mirror rule full (priority 3): its conditions already use 5 of the 5 condition values a rule may have, '
     'leaving none for the bypass condition'),
])
def test_mirror_refuses_what_it_cannot_copy(foreign, message):
    with pytest.raises(R.RuleError) as error:
        R.desired_rules(spec(kind='bypass', content=None, mirror=True, source_ips=['10.0.0.0/8']), foreign, NOT_FOUND)
    assert str(error.value) == message


def test_mirror_refuses_a_header_the_rule_already_checks():
    foreign = [rule('h', 1, conditions=[R.header_condition('x-b', ['v'])])]
    with pytest.raises(R.RuleError) as error:
        R.desired_rules(spec(kind='bypass', content=None, mirror=True, http_headers=[{'name': 'X-B', 'values': ['s']}]),
                        foreign, NOT_FOUND)
    assert str(error.value) == 'cannot mirror rule h (priority 1): it already has an http-header condition on X-B'


def test_mirror_refuses_a_default_action_that_authenticates():
    default = [{'Type': 'authenticate-cognito', 'Order': 1}, dict(R.forward(TG_WEB), Order=2)]
    with pytest.raises(R.RuleError, match='^cannot mirror the default action: its authenticate-cognito action'):
        R.desired_rules(spec(kind='bypass', content=None, mirror=True, source_ips=['10.0.0.0/8']), [], default)


# ---------------------------------------------------------------- mirror: auto

@pytest.mark.parametrize('value, mode', [
    (None, False), (False, False), (True, True), ('auto', 'auto'), (' Auto ', 'auto'), ('AUTO', 'auto'),
    ('true', True), ('yes', True), ('True', True), (1, True), ('false', False), ('no', False), ('False', False), (0, False),
])
def test_mirror_mode_takes_booleans_as_yaml_and_jinja_give_them_and_auto(value, mode):
    assert R.mirror_mode(value) is mode if isinstance(mode, bool) else R.mirror_mode(value) == mode


@pytest.mark.parametrize('value', ['sometimes', '', 2, 'autom'])
def test_mirror_mode_refuses_anything_else_and_names_what_it_takes(value):
    with pytest.raises(ValueError) as error:
        R.mirror_mode(value)
    assert str(error.value) == "mirror is '%s'; use true, false or auto" % value


def test_build_spec_keeps_auto_apart_from_true():
    assert spec(kind='bypass', content=None, mirror='auto', source_ips=['10.0.0.0/8'])['mirror'] == 'auto'
    assert spec(kind='bypass', content=None, mirror='yes', source_ips=['10.0.0.0/8'])['mirror'] is True
    assert spec(kind='bypass', content=None, source_ips=['10.0.0.0/8'])['mirror'] is False


TG_ADMIN = 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/admin/3'


def three_groups():
    """Path rules to two target groups and a default forward to a third."""
    return ([rule('api', 1, None, ['/api/*'], TG_API), rule('admin', 2, None, ['/admin/*'], TG_ADMIN)],
            [R.forward(TG_WEB)])


def test_auto_mirrors_when_the_listener_routes_to_several_target_groups():
    foreign, default = three_groups()
    auto, source = R.desired_rules(spec(kind='bypass', content=None, mirror='auto', source_ips=['10.0.0.0/8']),
                                   foreign, default)
    assert source == 'mirror (auto: the listener routes to 3 target groups)'
    mirrored, _source = R.desired_rules(spec(kind='bypass', content=None, mirror=True, source_ips=['10.0.0.0/8']),
                                        foreign, default)
    assert auto == mirrored
    assert [r['actions'] for r in auto] == [[R.forward(TG_API)], [R.forward(TG_ADMIN)], [R.forward(TG_WEB)]]


def test_mirror_false_on_the_same_listener_still_forwards_everything_to_the_default():
    foreign, default = three_groups()
    rules, source = R.desired_rules(spec(kind='bypass', content=None, source_ips=['10.0.0.0/8']), foreign, default)
    assert source == 'default_action'
    assert rules == [{'conditions': [R.source_ip_condition(['10.0.0.0/8'])], 'actions': [R.forward(TG_WEB)]}]


def test_auto_with_a_target_group_arn_uses_the_arn():
    foreign, default = three_groups()
    rules, source = R.desired_rules(spec(kind='bypass', content=None, mirror='auto', source_ips=['10.0.0.0/8'],
                                         target_group_arn=TG_API), foreign, default)
    assert source == 'parameter'
    assert [r['actions'] for r in rules] == [[R.forward(TG_API)]]


@pytest.mark.parametrize('foreign, default, target, source', [
    # one group behind every rule for these hosts: the catch-all, as with mirror false
    ([rule('api', 1, ['shop.test'], ['/api/*'], TG_WEB), rule('web', 2, ['shop.test'], ['/*'], TG_WEB),
      rule('blog', 3, ['blog.test'], ['/*'], TG_API)], NOT_FOUND, TG_WEB, 'rule:web'),
    # a plain ALB: no rules, the default forwards
    ([], [R.forward(TG_WEB)], TG_WEB, 'default_action'),
])
def test_auto_infers_one_target_when_nothing_else_is_routed(foreign, default, target, source):
    rules, got = R.desired_rules(spec(kind='bypass', content=None, mirror='auto', host_headers=['shop.test'],
                                      source_ips=['10.0.0.0/8']), foreign, default)
    assert got == source
    assert [r['actions'] for r in rules] == [[R.forward(target)]]


def test_auto_for_hosts_counts_only_the_rules_that_can_match_them():
    foreign = [rule('api', 1, ['shop.test'], ['/api/*'], TG_API), rule('web', 2, ['shop.test'], ['/*'], TG_WEB),
               rule('blog', 3, ['blog.test'], ['/*'], TG_ADMIN)]
    rules, source = R.desired_rules(spec(kind='bypass', content=None, mirror='auto', host_headers=['shop.test'],
                                         source_ips=['10.0.0.0/8']), foreign, NOT_FOUND)
    assert source == 'mirror (auto: the listener routes shop.test to 2 target groups)'
    assert [r['source'] for r in rules] == ['api', 'web', 'default']


def test_auto_mirrors_a_listener_that_redirects_and_says_why():
    redirect = [{'Type': 'redirect', 'RedirectConfig': {'Protocol': 'HTTPS', 'Port': '443', 'StatusCode': 'HTTP_301'}}]
    rules, source = R.desired_rules(spec(kind='bypass', content=None, mirror='auto', source_ips=['10.0.0.0/8']),
                                    [], redirect)
    assert source == ('mirror (auto: there is no catch-all (/*) forward rule for any host and the default action is '
                      'redirect, not a forward)')
    assert rules == [{'conditions': [R.source_ip_condition(['10.0.0.0/8'])], 'actions': redirect, 'source': 'default'}]


def test_auto_mirrors_a_weighted_catch_all():
    weighted = [{'Type': 'forward', 'ForwardConfig': {'TargetGroups': [
        {'TargetGroupArn': TG_WEB, 'Weight': 90}, {'TargetGroupArn': TG_API, 'Weight': 10}]}}]
    _rules, source = R.desired_rules(spec(kind='bypass', content=None, mirror='auto', source_ips=['10.0.0.0/8']),
                                     [rule('canary', 1, None, ['/*'], actions=weighted)], NOT_FOUND)
    assert source == 'mirror (auto: the listener routes to 2 target groups)'


def test_auto_that_cannot_mirror_says_why_it_tried():
    oidc = [{'Type': 'authenticate-oidc', 'Order': 1}, dict(R.forward(TG_ADMIN), Order=2)]
    foreign = [rule('oidc', 1, None, ['/admin/*'], actions=oidc)]
    with pytest.raises(R.RuleError) as error:
        R.desired_rules(spec(kind='bypass', content=None, mirror='auto', source_ips=['10.0.0.0/8']), foreign,
                        [R.forward(TG_WEB)])
    assert str(error.value) == ('cannot mirror rule oidc (priority 1): its authenticate-oidc action cannot be copied '
                                '(DescribeRules does not return the client secret); give target_group_arn instead '
                                '(mirror: auto mirrors here because the listener routes to 2 target groups)')


# ---------------------------------------------------------------- canonical comparison

def test_the_api_echo_of_a_written_rule_compares_equal():
    written_conditions = [R.host_condition(['Shop.Test']), R.source_ip_condition(['2001:db8::/32', '10.0.0.0/8'])]
    echoed_conditions = [
        {'Field': 'source-ip', 'SourceIpConfig': {'Values': ['10.0.0.0/8', '2001:DB8::/32']}},
        {'Field': 'host-header', 'Values': ['shop.test'], 'HostHeaderConfig': {'Values': ['shop.test']}},
    ]
    echoed_actions = [{'Type': 'forward', 'Order': 1, 'TargetGroupArn': TG_WEB, 'ForwardConfig': {
        'TargetGroups': [{'TargetGroupArn': TG_WEB, 'Weight': 1}], 'TargetGroupStickinessConfig': {'Enabled': False}}}]
    assert R.same_rule(written_conditions, [R.forward(TG_WEB)], echoed_conditions, echoed_actions)
    assert R.rule_hash(written_conditions, [R.forward(TG_WEB)]) == R.rule_hash(echoed_conditions, echoed_actions)


@pytest.mark.parametrize('other_conditions, other_actions', [
    ([R.path_condition(['/x'])], [R.fixed_response(503, 'text/html', 'b')]),
    ([R.path_condition(['/*'])], [R.fixed_response(200, 'text/html', 'b')]),
    ([R.path_condition(['/*'])], [R.fixed_response(503, 'text/plain', 'b')]),
    ([R.path_condition(['/*'])], [R.fixed_response(503, 'text/html', 'B')]),
    ([R.path_condition(['/*']), R.header_condition('X', ['v'])], [R.fixed_response(503, 'text/html', 'b')]),
    ([R.path_condition(['/*'])], [R.forward(TG_WEB)]),
])
def test_any_real_change_is_a_difference(other_conditions, other_actions):
    assert not R.same_rule([R.path_condition(['/*'])], [R.fixed_response(503, 'text/html', 'b')],
                           other_conditions, other_actions)


def test_header_value_change_changes_the_hash():
    assert R.rule_hash([R.header_condition('X', ['a'])], []) != R.rule_hash([R.header_condition('X', ['b'])], [])


def test_weights_and_stickiness_count():
    one = {'Type': 'forward', 'ForwardConfig': {'TargetGroups': [{'TargetGroupArn': TG_WEB, 'Weight': 1}],
                                                'TargetGroupStickinessConfig': {'Enabled': True, 'DurationSeconds': 60}}}
    assert not R.same_rule([], [one], [], [R.forward(TG_WEB)])


# ---------------------------------------------------------------- output

def test_public_rule_masks_header_values_and_uses_snake_case():
    conditions = [{'Field': 'http-header', 'Values': ['topsecret'],
                   'HttpHeaderConfig': {'HttpHeaderName': 'X-Bypass', 'Values': ['topsecret', 'other']}}]
    public = R.public_rule('arn:r', 7, conditions, [R.forward(TG_WEB)], {'sorrypage:rule': 'h'})
    assert public == {
        'arn': 'arn:r', 'priority': 7,
        'conditions': [{'field': 'http-header', 'http_header_config': {'http_header_name': 'X-Bypass',
                                                                       'values': ['********', '********']}}],
        'actions': [{'type': 'forward', 'target_group_arn': TG_WEB}],
        'tags': {'sorrypage:rule': 'h'},
    }
    assert 'topsecret' not in repr(public)
    assert conditions[0]['HttpHeaderConfig']['Values'][0] == 'topsecret', 'the input must not be changed'


def test_mask_conditions_masks_the_legacy_values_too():
    masked = R.mask_conditions([{'Field': 'http-header', 'Values': ['s'], 'HttpHeaderConfig': {'HttpHeaderName': 'X', 'Values': ['s']}}])
    assert 's' not in masked[0]['Values'] and 's' not in masked[0]['HttpHeaderConfig']['Values']


@pytest.mark.parametrize('actions, summary', [
    ([R.forward(TG_WEB)], {'type': 'forward', 'target_groups': [TG_WEB]}),
    ([R.fixed_response(503, 'text/html', 'abc')], {'type': 'fixed-response', 'status_code': '503', 'content_type': 'text/html', 'body_chars': 3}),
    ([{'Type': 'redirect', 'RedirectConfig': {'Protocol': 'HTTPS', 'Port': '443', 'StatusCode': 'HTTP_301'}}],
     {'type': 'redirect', 'status_code': 'HTTP_301', 'url': 'HTTPS://#{host}:443/#{path}?#{query}'}),
    ([{'Type': 'authenticate-oidc', 'Order': 1}, dict(R.forward(TG_WEB), Order=2)],
     {'type': 'forward', 'target_groups': [TG_WEB], 'authenticate': 'authenticate-oidc'}),
    ([], {'type': None}),
])
def test_summarise_actions(actions, summary):
    assert R.summarise_actions(actions) == summary


def test_fixed_body():
    assert R.fixed_body([R.fixed_response(503, 'text/html', u'\u65e5')]) == u'\u65e5'
    assert R.fixed_body([R.forward(TG_WEB)]) is None


@pytest.mark.parametrize('value, expected', [
    ('10.0.0.0/8', '10.0.0.0/8'),
    (' 192.0.2.7 ', '192.0.2.7/32'),
    ('2001:DB8:0:0::/32', '2001:db8::/32'),
    ('2001:db8::1', '2001:db8::1/128'),
])
def test_normalise_cidr(value, expected):
    assert R.normalise_cidr(value) == expected


@pytest.mark.parametrize('values, size, chunks', [
    ([1, 2, 3, 4, 5, 6, 7], 3, [[1, 2, 3], [4, 5, 6], [7]]),
    ([1, 2], 5, [[1, 2]]),
    ([], 4, []),
    ([1], 0, []),
])
def test_split_values(values, size, chunks):
    assert R.split_values(values, size) == chunks


@pytest.mark.parametrize('values, expected', [
    (['b', 'a', 'b', 'c', 'a'], ['b', 'a', 'c']),
    ([], []),
    (None, []),
])
def test_dedupe_keeps_first_order(values, expected):
    assert R.dedupe(values) == expected


@pytest.mark.parametrize('value', ['10.0.0.300/8', 'shop.example.com', ''])
def test_normalise_cidr_refuses_what_is_not_a_cidr(value):
    with pytest.raises(ValueError) as err:
        R.normalise_cidr(value)
    assert str(err.value) == "source_ips: '%s' is not an IPv4 or IPv6 CIDR" % value


def test_normalise_cidr_names_the_network_of_host_bits():
    with pytest.raises(ValueError) as err:
        R.normalise_cidr('10.1.2.3/8')
    assert str(err.value) == "source_ips: '10.1.2.3/8' has host bits set (the network is 10.0.0.0/8)"


@pytest.mark.parametrize('base_values, size', [(0, 5), (2, 3), (5, 0)])
def test_chunk_size(base_values, size):
    assert R.chunk_size(base_values) == size
