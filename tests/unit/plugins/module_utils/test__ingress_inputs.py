# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _info
from ansible_collections.sorrypage.aws.plugins.module_utils import _ingress_plan
from ansible_collections.sorrypage.aws.plugins.module_utils import _rules as R
from ansible_collections.sorrypage.aws.plugins.module_utils._ingress_inputs import (
    ingress_budget, ingress_problem, ingress_sets, record_hosts, wait_inputs)

TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/k8s-%s/0123456789abcdef'
WEB, API, BLOG, CANARY = TG % 'web', TG % 'api', TG % 'blog', TG % 'canary'
SECRET = 'hunter2-bypass-token'
RENDERED = {'en': {'body': '<p>sorry</p>', 'marker': '0a1b2c3d4e'}, 'ja': {'body': u'<p>\u3054\u3081\u3093</p>'}}
NOT_FOUND = [R.fixed_response(404, 'text/plain', '')]
HEADERS = [{'name': 'X-Bypass', 'value': SECRET}, {'name': 'X-Bypass', 'value': 'second'}, {'name': 'X-Ops', 'value': '1'}]


def rule(priority, host, paths, actions):
    conditions = [R.host_condition([host])] if host else []
    if paths:
        conditions.append(R.path_condition(paths))
    return dict(arn='r%d' % priority, priority=priority, conditions=conditions, actions=actions, tags={})


def info_of(*listeners):
    """alb_sorry_info's answer for listeners given as (rules, default actions), through the real listener_summary."""
    return {'listeners': [_info.listener_summary({'ListenerArn': 'l%d' % port, 'Port': port}, rules, default)
                          for port, (rules, default) in zip((80, 443, 8443), listeners)]}


def seed_rules():
    return [rule(1, 'shop.example.com', ['/*'], [R.forward(WEB)]), rule(2, 'blog.example.com', ['/*'], [R.forward(BLOG)])]


def weighted(*pairs):
    return [{'Type': 'forward', 'ForwardConfig': {'TargetGroups': [
        {'TargetGroupArn': arn, 'Weight': weight} for arn, weight in pairs]}}]


def test_one_set_per_page_entry_with_its_hosts_target_group():
    info = info_of((seed_rules(), NOT_FOUND), (seed_rules(), NOT_FOUND))
    pages = [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com']},
             {'name': 'blog', 'page': 'ja', 'hosts': ['Blog.Example.com']}]
    sets = ingress_sets(info, pages, RENDERED, ['10.0.0.0/8'], HEADERS)
    assert sets == [
        {'hosts': ['shop.example.com'], 'body': '<p>sorry</p>', 'source_ips': ['10.0.0.0/8'], 'allow_any_source': False,
         'http_headers': [{'name': 'X-Bypass', 'values': [SECRET, 'second']}, {'name': 'X-Ops', 'values': ['1']}],
         'target_groups': [WEB], 'marker': '0a1b2c3d4e'},
        {'hosts': ['blog.example.com'], 'body': u'<p>\u3054\u3081\u3093</p>', 'source_ips': ['10.0.0.0/8'],
         'allow_any_source': False,
         'http_headers': [{'name': 'X-Bypass', 'values': [SECRET, 'second']}, {'name': 'X-Ops', 'values': ['1']}],
         'target_groups': [BLOG]},
    ]
    # What ingress_sorry takes: its planner accepts the sets as they are.
    rules, annotations = _ingress_plan.desired(sets)
    assert [r['host'] for r in rules] == ['shop.example.com', 'blog.example.com']
    assert set(v for v in annotations.values() if '"forward"' in v) == set([
        '{"targetGroupARN":"%s","type":"forward"}' % BLOG, '{"targetGroupARN":"%s","type":"forward"}' % WEB])


def test_path_routed_host_is_refused_naming_host_and_groups_never_header_values():
    rules = [rule(1, 'shop.example.com', ['/api/*'], [R.forward(API)]), rule(2, 'shop.example.com', ['/*'], [R.forward(WEB)])]
    info = info_of((rules, NOT_FOUND))
    with pytest.raises(ValueError) as caught:
        ingress_sets(info, [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com']}], RENDERED, [], HEADERS)
    message = str(caught.value)
    assert message == (
        "sorry_pages[0] (shop): the ALB routes host 'shop.example.com' to 2 target groups (%s for /api/*; %s for /*); "
        'the Ingress driver forwards a bypass to one target group per host (or one weighted forward); use the ALB '
        "driver (sorry_driver: alb), which mirrors the application's rules for the bypass" % (API, WEB))
    assert SECRET not in message


def test_weighted_forward_is_one_forward():
    shop = [rule(1, 'shop.example.com', None, weighted((WEB, 90), (CANARY, 10)))]
    info = info_of((shop, NOT_FOUND), (shop, NOT_FOUND))
    [shop_set] = ingress_sets(info, [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com']}], RENDERED,
                              ['10.0.0.0/8'], [])
    assert shop_set['target_groups'] == [{'arn': WEB, 'weight': 90}, {'arn': CANARY, 'weight': 10}]
    rules, annotations = _ingress_plan.desired([shop_set])
    assert '"weight":90' in ''.join(annotations.values())


def test_weighted_forward_beside_a_path_rule_is_path_routing():
    shop = [rule(1, 'shop.example.com', ['/api/*'], [R.forward(API)]),
            rule(2, 'shop.example.com', ['/*'], weighted((WEB, 90), (CANARY, 10)))]
    with pytest.raises(ValueError, match=r"routes host 'shop.example.com' to 3 target groups"):
        ingress_sets(info_of((shop, NOT_FOUND)), [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com']}],
                     RENDERED, ['10.0.0.0/8'], [])


def test_weights_that_differ_between_listeners_are_not_one_forward():
    a = [rule(1, 'shop.example.com', None, weighted((WEB, 90), (CANARY, 10)))]
    b = [rule(1, 'shop.example.com', None, weighted((WEB, 50), (CANARY, 50)))]
    with pytest.raises(ValueError, match=r'to 2 target groups'):
        ingress_sets(info_of((a, NOT_FOUND), (b, NOT_FOUND)),
                     [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com']}], RENDERED, ['10.0.0.0/8'], [])


def test_same_group_by_several_path_rules_is_one_group():
    shop = [rule(1, 'shop.example.com', ['/api/*'], [R.forward(WEB)]), rule(2, 'shop.example.com', ['/*'], [R.forward(WEB)])]
    [shop_set] = ingress_sets(info_of((shop, NOT_FOUND)), [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com']}],
                              RENDERED, ['10.0.0.0/8'], [])
    assert shop_set['target_groups'] == [WEB]


def test_host_no_rule_names_takes_the_default_forward_and_redirect_listener_adds_nothing():
    redirect = [{'Type': 'redirect', 'RedirectConfig': {'Protocol': 'HTTPS', 'Port': '443', 'StatusCode': 'HTTP_301'}}]
    info = info_of(([], redirect), (seed_rules(), [R.forward(WEB)]))
    [other] = ingress_sets(info, [{'name': 'new', 'page': 'en', 'hosts': ['new.example.com']}], RENDERED, ['10.0.0.0/8'], [])
    assert other['target_groups'] == [WEB]


def test_host_matched_by_a_wildcard_rule():
    rules = [rule(1, '*.example.com', ['/*'], [R.forward(WEB)])]
    [shop] = ingress_sets(info_of((rules, NOT_FOUND)), [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com']}],
                          RENDERED, ['10.0.0.0/8'], [])
    assert shop['target_groups'] == [WEB]


def test_every_host_entry_needs_one_group_for_the_whole_listener():
    pages = [{'name': 'all', 'page': 'en'}]
    one = [rule(1, None, ['/*'], [R.forward(WEB)])]
    assert ingress_sets(info_of((one, NOT_FOUND)), pages, RENDERED, ['10.0.0.0/8'], [])[0]['target_groups'] == [WEB]
    with pytest.raises(ValueError, match=r'routes every host to 2 target groups \(%s for /\*; %s for /\*\)' % (WEB, BLOG)):
        ingress_sets(info_of((seed_rules(), NOT_FOUND)), pages, RENDERED, ['10.0.0.0/8'], [])


def test_hosts_of_one_entry_going_to_different_groups():
    pages = [{'name': 'both', 'page': 'en', 'hosts': ['shop.example.com', 'blog.example.com']}]
    with pytest.raises(ValueError) as caught:
        ingress_sets(info_of((seed_rules(), NOT_FOUND)), pages, RENDERED, ['10.0.0.0/8'], [])
    assert str(caught.value) == (
        'sorry_pages[0] (both): its hosts go to different target groups (shop.example.com: %s; blog.example.com: %s); '
        'the bypass of one entry forwards to one target group: give each host its own sorry_pages entry, or use the '
        "ALB driver (sorry_driver: alb), which mirrors the application's rules for the bypass" % (WEB, BLOG))


def test_no_forward_for_a_host_with_a_bypass_but_fine_without_one():
    pages = [{'name': 'gone', 'page': 'en', 'hosts': ['gone.example.com']}]
    info = info_of((seed_rules(), NOT_FOUND))
    with pytest.raises(ValueError, match=r"sorry_pages\[0\] \(gone\): no rule of the ALB forwards host "
                                         r"'gone.example.com' to a target group"):
        ingress_sets(info, pages, RENDERED, [], [{'name': 'X-Bypass', 'value': SECRET}])
    [entry] = ingress_sets(info, pages, RENDERED, [], [])
    assert entry['target_groups'] == [] and entry['source_ips'] == [] and entry['http_headers'] == []


def test_every_problem_in_one_message():
    rules = [rule(1, 'shop.example.com', ['/api/*'], [R.forward(API)]), rule(2, 'shop.example.com', ['/*'], [R.forward(WEB)])]
    pages = [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com']},
             {'name': 'gone', 'page': 'en', 'hosts': ['gone.example.com']}]
    with pytest.raises(ValueError) as caught:
        ingress_sets(info_of((rules, NOT_FOUND)), pages, RENDERED, ['10.0.0.0/8'], [])
    assert str(caught.value).count('sorry_pages[') == 2


@pytest.mark.parametrize('info, pages, rendered, cidrs, headers, allow, message', [
    ({'listeners': []}, [{'name': 'a'}], RENDERED, [], [], False, 'sorry_pages[0] has no page (name a)'),
    ({'listeners': []}, [{'name': 'a', 'page': 'fr'}], RENDERED, [], [], False,
     'no rendered page for fr (sorry_rendered_pages has en, ja)'),
    ({'listeners': []}, [], RENDERED, [], [{'name': 'X-B', 'value': ''}], False,
     'sorry_bypass_headers[0] (X-B) has no value'),
    ({'listeners': []}, [], RENDERED, [], [], 'maybe',
     "sorry_bypass_allow_any_source must be true, false, got 'maybe'"),
    ({'listeners': []}, [], RENDERED, '10.0.0.0/8', [], False, 'sorry_bypass_cidrs must be a list of CIDRs, got str'),
    ({}, [{'name': 'a', 'page': 'en'}], RENDERED, ['10.0.0.0/8'], [], False,
     'the ALB read (alb_sorry_info) has no listeners: read the load balancer first'),
    ({'listeners': [{'port': 443}]}, [{'name': 'a', 'page': 'en'}], RENDERED, ['10.0.0.0/8'], [], False,
     'listener 443 of the ALB read has no routes: read it with alb_sorry_info of this collection version'),
])
def test_bad_inputs(info, pages, rendered, cidrs, headers, allow, message):
    with pytest.raises(ValueError) as caught:
        ingress_sets(info, pages, rendered, cidrs, headers, allow_any_source=allow)
    assert str(caught.value).replace("u'", "'") == message


def test_allow_any_source_as_yaml_gives_it():
    [entry] = ingress_sets(info_of((seed_rules(), NOT_FOUND)), [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com']}],
                           RENDERED, ['0.0.0.0/0'], [], allow_any_source='yes')
    assert entry['allow_any_source'] is True and entry['source_ips'] == ['0.0.0.0/0']


def test_wait_inputs_hosts_of_the_sets_and_the_first_header_as_the_bypass_request():
    info = info_of((seed_rules(), NOT_FOUND))
    sets = [{'hosts': ['shop.example.com']}, {'hosts': ['blog.example.com', 'shop.example.com']}]
    assert wait_inputs(sets, ['10.0.0.0/8'], HEADERS, info) == {
        'hosts': ['shop.example.com', 'blog.example.com'], 'bypass_source_ip': None,
        'bypass_header': {'name': 'X-Bypass', 'value': SECRET}}


@pytest.mark.parametrize('cidr, address', [('10.0.0.0/8', '10.0.0.1'), ('127.0.0.2/32', '127.0.0.2'),
                                           ('2001:db8::/64', '2001:db8::1'), ('2001:db8::5/128', '2001:db8::5')])
def test_wait_inputs_without_a_header_come_from_inside_the_first_cidr(cidr, address):
    out = wait_inputs([{'hosts': ['h.test']}], [cidr, '192.0.2.0/24'], [], None)
    assert out == {'hosts': ['h.test'], 'bypass_source_ip': address, 'bypass_header': None}


def test_wait_inputs_for_every_host_take_the_routed_hosts_and_one_no_rule_names():
    info = info_of((seed_rules() + [rule(3, '*.example.com', ['/*'], [R.forward(WEB)])], NOT_FOUND))
    out = wait_inputs([{'hosts': []}], [], [], info)
    assert out == {'hosts': ['shop.example.com', 'blog.example.com', 'maintenance.invalid'],
                   'bypass_source_ip': None, 'bypass_header': None}


def test_record_hosts_are_the_hosts_of_our_rules_in_every_record():
    info = info_of((seed_rules(), NOT_FOUND))
    ingress = {'record': {'shop/web': {'rules': [{'host': 'shop.example.com'}, {'host': 'blog.example.com'}]},
                          'shop/api': {'rules': [{'host': 'shop.example.com'}]}, 'shop/other': None}}
    assert record_hosts(ingress, info) == ['shop.example.com', 'blog.example.com']
    assert record_hosts({'record': {'shop/web': {'rules': [{'http': {}}]}}}, info) == [
        'shop.example.com', 'blog.example.com', 'maintenance.invalid']
    assert record_hosts(None) == ['maintenance.invalid']


def test_ingress_problem_names_a_path_routed_host_before_the_pages_are_built():
    info = info_of(([rule(1, 'shop.example.com', ['/api/*'], [R.forward(API)])] + seed_rules(), NOT_FOUND))
    pages = [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com']}]
    problem = ingress_problem(info, pages, ['10.0.0.0/8'], [])
    assert problem.startswith("sorry_pages[0] (shop): the ALB routes host 'shop.example.com' to 2 target groups")
    assert ingress_problem(info_of((seed_rules(), NOT_FOUND)), pages, ['10.0.0.0/8'], []) == ''
    assert ingress_problem(info, pages, [], []) == ''   # no bypass: nothing to forward


@pytest.mark.parametrize('extra, problem', [
    (dict(passthrough_paths=['/healthz']), 'sorry_passthrough_paths: only the ALB driver has it'),
    (dict(bypass_mirror=True), 'sorry_bypass_mirror=true: only the ALB driver has it'),
    (dict(bypass_mirror='auto', bypass_target_group_arn=WEB), 'sorry_bypass_target_group_arn: only the ALB driver has it'),
    (dict(passthrough_paths=['/h'], bypass_mirror='yes'), 'sorry_passthrough_paths, sorry_bypass_mirror=true: only the ALB '
                                                          'driver has them'),
    (dict(bypass_mirror=False, passthrough_paths=[]), ''),
])
def test_ingress_problem_names_the_inputs_only_the_alb_driver_has(extra, problem):
    info = info_of((seed_rules(), NOT_FOUND))
    assert ingress_problem(info, [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com']}], ['10.0.0.0/8'], [],
                           **extra) == problem


def test_behind_cloudfront_the_cidrs_are_viewer_values_with_the_origin_header_and_the_wait_sends_no_source():
    origin = {'name': 'X-Origin-Verify', 'value': 'not-a-real-secret-0123456789'}
    info = info_of((seed_rules(), NOT_FOUND))
    sets = ingress_sets(info, [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com']}], RENDERED,
                        ['203.0.113.0/24'], [], bypass_viewer_header=True, origin_header=origin)
    assert sets[0]['source_ips'] == [] and sets[0]['viewer_values'] == ['203.0.113.*']
    assert sets[0]['origin_header'] == origin
    assert wait_inputs(sets, ['203.0.113.0/24'], [])['bypass_source_ip'] is None
    rules, annotations = _ingress_plan.desired(sets)
    assert annotations['alb.ingress.kubernetes.io/conditions.sorrypage-h0-bypass0'] == (
        '[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"CloudFront-Viewer-Address","values":'
        '["203.0.113.*"]}},{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X-Origin-Verify","values":'
        '["not-a-real-secret-0123456789"]}}]')
    assert [p['backend']['service']['name'] for p in rules[0]['http']['paths']] == [
        'sorrypage-h0-bypass0', 'sorrypage-h0-sorry']
    with pytest.raises(ValueError) as err:
        ingress_sets(info, [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com']}], RENDERED,
                     ['203.0.113.0/24'], [], bypass_viewer_header=True)
    assert 'sorry_bypass_viewer_header needs sorry_cloudfront_origin_header' in str(err.value)


def test_the_ingress_budget_counts_our_paths_on_every_listener_with_the_rules_there_and_says_what_to_drop():
    info = info_of((seed_rules(), NOT_FOUND), (seed_rules(), NOT_FOUND))
    pages = [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com'], 'languages': {'ja': 'ja'}}]
    rendered = dict(RENDERED, ja={'body': '<p>ja</p>', 'marker': '1a2b3c4d5e'})
    sets = ingress_sets(info, pages, rendered, ['10.0.0.0/8'], HEADERS)
    # per listener: bypass 1 (CIDR) + 2 (X-Bypass: 2 values fit one rule? no: one rule per header) ...
    budget = ingress_budget(info, sets)
    per_listener = sum(len(r['http']['paths']) for r in _ingress_plan.desired(sets)[0])
    assert budget == {'needed': 4 + 2 * per_listener, 'quota': 100, 'over_default': False, 'message': ''}
    tight = ingress_budget(info, sets, quota=4 + 2 * per_listener - 1)
    assert tight['message'].startswith('the maintenance needs %d rules on the load balancer: over its quota of %d '
                                       '(rules-per-application-load-balancer) by 1: ours bypass '
                                       % (4 + 2 * per_listener, 3 + 2 * per_listener)), tight['message']
    assert 'language and API 2, sorry 2 on 2 listener(s), and 4 rules there now' in tight['message']
    assert 'fewer languages (sorry_pages[].languages) or sorry_api paths' in tight['message']
    assert SECRET not in tight['message']


def test_a_rerun_counts_our_rules_once_when_the_read_knows_them_and_the_preview_stays_counted():
    info = info_of((seed_rules(), NOT_FOUND))
    pages = [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com']}]
    sets = ingress_sets(info, pages, RENDERED, ['10.0.0.0/8'], [])
    first = ingress_budget(info, sets)['needed']
    # the controller made our bypass and sorry rules, and the preview is there too
    made = [rule(3, 'shop.example.com', ['/*'], [R.forward(WEB)]),
            rule(4, 'shop.example.com', ['/*'], [R.fixed_response(503, 'text/html', '<p>x %s</p>' % '0a1b2c3d4e')]),
            rule(5, 'shop.example.com', ['/_preview'], [R.fixed_response(503, 'text/html', '<p>%s</p>' % '0a1b2c3d4e')])]
    made[0]['conditions'].append(R.source_ip_condition(['10.0.0.0/8']))
    listener = _info.listener_summary({'ListenerArn': 'l80', 'Port': 80}, seed_rules() + made, NOT_FOUND,
                                      markers=['0a1b2c3d4e'])
    assert sorted(r['kind'] for r in listener['owned_rules']) == ['bypass', 'preview', 'sorry']
    again = ingress_budget({'listeners': [listener]}, sets)['needed']
    assert again == first + 1      # the preview: the rerun's own rules are not counted twice


def test_the_second_read_wins_when_it_ran_and_a_skipped_one_is_ignored():
    info = info_of((seed_rules(), NOT_FOUND))
    sets = ingress_sets(info, [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com']}], RENDERED, ['10.0.0.0/8'], [])
    first = ingress_budget(info, sets)
    assert ingress_budget(info, sets, reread={'skipped': True}) == first
    reread = dict(info_of((seed_rules() * 2, NOT_FOUND)), rules_quota=3)
    second = ingress_budget(info, sets, reread=reread)
    assert second['needed'] == first['needed'] + 2 and second['quota'] == 3 and second['message']
