# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _info
from ansible_collections.sorrypage.aws.plugins.module_utils import _rules as R
from ansible_collections.sorrypage.aws.plugins.module_utils import _tags

BALANCER = {'LoadBalancerArn': 'arn:lb', 'LoadBalancerName': 'k8s-shop', 'DNSName': 'k8s-shop.elb.test',
            'Scheme': 'internet-facing', 'IpAddressType': 'dualstack'}
REDIRECT = [{'Type': 'redirect', 'RedirectConfig': {'Protocol': 'HTTPS', 'Port': '443', 'StatusCode': 'HTTP_301'}}]


@pytest.mark.parametrize('tags, managed, cluster', [
    ({'elbv2.k8s.aws/cluster': 'prod'}, True, 'prod'),
    ({'ingress.k8s.aws/stack': 'shop'}, True, None),
    ({'Team': 'shop'}, False, None),
    ({}, False, None),
])
def test_load_balancer_summary(tags, managed, cluster):
    summary = _info.load_balancer_summary(BALANCER, tags)
    assert summary == dict(arn='arn:lb', name='k8s-shop', dns_name='k8s-shop.elb.test', scheme='internet-facing',
                           ip_address_type='dualstack', tags=tags, controller_managed=managed, cluster_name=cluster)


def owned_rule(arn, priority, kind, name, conditions, actions, **extra_tags):
    tags = _tags.ownership_tags(kind, name, 0, R.rule_hash(conditions, actions))
    tags.update(extra_tags)
    return dict(arn=arn, priority=priority, conditions=conditions, actions=actions, tags=tags)


def test_listener_summary():
    sorry = owned_rule('s', 12, 'sorry', 'shop', [R.path_condition(['/*'])],
                       [R.fixed_response(503, 'text/html', u'\u65e5\u672c')], **{'sorrypage:why': 'migration'})
    bypass = owned_rule('b', 10, 'bypass', 'office', [R.header_condition('X-B', ['secret'])], [R.forward('arn:tg')])
    bypass['actions'] = [R.forward('arn:other')]  # changed in place after it was written
    moved = dict(arn='f', priority=21, conditions=[R.path_condition(['/*'])], actions=[R.forward('arn:tg')],
                 tags={_tags.SHIFT: '+20'})
    listener = {'ListenerArn': 'arn:l', 'Port': 443, 'Protocol': 'HTTPS'}
    summary = _info.listener_summary(listener, [bypass, sorry, moved], [R.fixed_response(404, 'text/plain', '')])
    assert summary['arn'] == 'arn:l' and summary['port'] == 443 and summary['protocol'] == 'HTTPS'
    assert summary['redirect_only'] is False
    assert summary['default_action'] == {'type': 'fixed-response', 'status_code': '404', 'content_type': 'text/plain',
                                         'body_chars': 0}
    assert summary['rule_count'] == 3
    assert [r['arn'] for r in summary['owned_rules']] == ['b', 's']
    b, s = summary['owned_rules']
    assert b['kind'] == 'bypass' and b['name'] == 'office' and b['part'] == 0
    assert b['drift'] is True and s['drift'] is False
    assert b['conditions'] == [{'field': 'http-header', 'http_header_config': {'http_header_name': 'X-B', 'values': ['********']}}]
    assert 'secret' not in repr(summary)
    assert b['body_chars'] is None and b['status_code'] is None
    assert s['body_chars'] == 2 and s['status_code'] == 503
    assert s['tags']['sorrypage:why'] == 'migration'
    assert s['action'] == {'type': 'fixed-response', 'status_code': '503', 'content_type': 'text/html', 'body_chars': 2}
    assert summary['moved_rules'] == [{'arn': 'f', 'priority': 21, 'original_priority': 1}]
    assert _info.in_maintenance([summary]) is True


@pytest.mark.parametrize('rules, redirect_only', [
    ([], True),
    ([dict(arn='r', priority=1, conditions=[], actions=[R.fixed_response(404, 'text/plain', '')], tags={})], True),
    ([dict(arn='r', priority=1, conditions=[], actions=[R.forward('arn:tg')], tags={})], False),
])
def test_redirect_only(rules, redirect_only):
    listener = {'ListenerArn': 'arn:l', 'Port': 80, 'Protocol': 'HTTP'}
    assert _info.listener_summary(listener, rules, REDIRECT)['redirect_only'] is redirect_only


def test_not_in_maintenance_with_only_a_bypass():
    bypass = owned_rule('b', 10, 'bypass', 'office', [R.source_ip_condition(['10.0.0.0/8'])], [R.forward('arn:tg')])
    summary = _info.listener_summary({'ListenerArn': 'arn:l', 'Port': 443}, [bypass], REDIRECT)
    assert _info.in_maintenance([summary]) is False
    assert _info.in_maintenance([]) is False


# ---------------------------------------------------------------- routes

NOT_FOUND = [R.fixed_response(404, 'text/plain', '')]


def rule(arn, priority, hosts=None, paths=None, actions=None, extra=None, tags=None):
    conditions = []
    if hosts:
        conditions.append(R.host_condition(hosts))
    if paths:
        conditions.append(R.path_condition(paths))
    conditions += extra or []
    return dict(arn=arn, priority=priority, conditions=conditions, actions=actions or [R.forward('tg-' + arn)],
                tags=tags or {})


def weighted(*pairs):
    return [{'Type': 'forward', 'ForwardConfig': {'TargetGroups': [
        {'TargetGroupArn': arn, 'Weight': weight} for arn, weight in pairs]}}]


def tg(arn, paths, weight=None):
    return dict(arn=arn, weight=weight, paths=paths)


def test_routes_host_and_path_rules_in_priority_order():
    rules = [rule('blog', 3, ['blog.example.com'], ['/*']),
             rule('web', 2, ['shop.example.com'], ['/*']),
             rule('api', 1, ['shop.example.com'], ['/api/*', '/v2/*'])]
    assert _info.routes(rules, NOT_FOUND) == [
        dict(host='shop.example.com', target_groups=[tg('tg-api', ['/api/*', '/v2/*']), tg('tg-web', ['/*'])]),
        dict(host='blog.example.com', target_groups=[tg('tg-blog', ['/*'])]),
    ]


def test_routes_several_hosts_in_one_condition_and_case():
    rules = [rule('web', 1, ['Shop.Example.com', 'www.shop.example.com'])]
    assert _info.routes(rules, NOT_FOUND) == [
        dict(host='shop.example.com', target_groups=[tg('tg-web', [])]),
        dict(host='www.shop.example.com', target_groups=[tg('tg-web', [])]),
    ]


def test_routes_weighted_forward_keeps_weights_and_rule_order():
    rules = [rule('w', 1, ['shop.example.com'], ['/*'], actions=weighted(('tg-new', 10), ('tg-old', 90)))]
    assert _info.routes(rules, NOT_FOUND) == [dict(host='shop.example.com', target_groups=[
        tg('tg-new', ['/*'], 10), tg('tg-old', ['/*'], 90)])]


def test_routes_forward_config_with_one_group_is_a_plain_forward():
    one = [{'Type': 'forward', 'TargetGroupArn': 'tg-a',
            'ForwardConfig': {'TargetGroups': [{'TargetGroupArn': 'tg-a', 'Weight': 1}]}}]
    assert _info.routes([rule('a', 1, ['a.example.com'], actions=one)], NOT_FOUND) == [
        dict(host='a.example.com', target_groups=[tg('tg-a', [])])]


def test_routes_default_forward_is_any_host_and_ends_every_host():
    rules = [rule('api', 1, ['shop.example.com'], ['/api/*'])]
    assert _info.routes(rules, [R.forward('tg-default')]) == [
        dict(host='shop.example.com', target_groups=[tg('tg-api', ['/api/*']), tg('tg-default', [])]),
        dict(host=None, target_groups=[tg('tg-default', [])]),
    ]


def test_routes_rule_without_host_reaches_every_host_until_a_catch_all():
    rules = [rule('shop', 1, ['shop.example.com'], ['/*']),
             rule('static', 2, None, ['/static/*']),
             rule('any', 3)]
    assert _info.routes(rules, [R.forward('tg-never')]) == [
        dict(host='shop.example.com', target_groups=[tg('tg-shop', ['/*'])]),
        dict(host=None, target_groups=[tg('tg-static', ['/static/*']), tg('tg-any', [])]),
    ]


def test_routes_same_group_by_several_rules_merges_paths():
    rules = [rule('a', 1, ['shop.example.com'], ['/api/*'], actions=[R.forward('tg-api')]),
             rule('b', 2, ['shop.example.com'], ['/admin/*'], actions=[R.forward('tg-api')]),
             rule('c', 3, ['shop.example.com'], ['/*'], actions=[R.forward('tg-web')]),
             rule('d', 4, ['blog.example.com'], ['/x/*'], actions=[R.forward('tg-blog')]),
             rule('e', 5, ['blog.example.com'], None, actions=[R.forward('tg-blog')])]
    assert _info.routes(rules, NOT_FOUND) == [
        dict(host='shop.example.com', target_groups=[tg('tg-api', ['/api/*', '/admin/*']), tg('tg-web', ['/*'])]),
        dict(host='blog.example.com', target_groups=[tg('tg-blog', [])]),
    ]


def test_routes_redirect_and_fixed_response_rules_send_nowhere_but_end_a_host():
    rules = [rule('old', 1, ['old.example.com'], ['/*'], actions=REDIRECT),
             rule('maint', 2, ['shop.example.com'], ['/*'], actions=NOT_FOUND),
             rule('shop', 3, ['shop.example.com'], ['/*'])]
    # shop's forward is behind a catch-all fixed response: nothing of shop is forwarded
    assert _info.routes(rules, REDIRECT) == []


def test_routes_rule_with_other_conditions_is_not_a_catch_all():
    canary = rule('canary', 1, ['shop.example.com'], ['/*'], extra=[R.header_condition('X-Canary', ['1'])])
    rules = [canary, rule('web', 2, ['shop.example.com'], ['/*'])]
    assert _info.routes(rules, NOT_FOUND) == [
        dict(host='shop.example.com', target_groups=[tg('tg-canary', ['/*']), tg('tg-web', ['/*'])])]


def test_routes_wildcard_host_rules_reach_the_hosts_they_match():
    rules = [rule('shop', 1, ['shop.example.com'], ['/api/*']),
             rule('wild', 2, ['*.example.com'], ['/*'])]
    assert _info.routes(rules, NOT_FOUND) == [
        dict(host='shop.example.com', target_groups=[tg('tg-shop', ['/api/*']), tg('tg-wild', ['/*'])]),
        dict(host='*.example.com', target_groups=[tg('tg-wild', ['/*'])]),
    ]


def test_routes_legacy_values_conditions():
    legacy = dict(arn='l', priority=1, tags={}, actions=[R.forward('tg-l')],
                  conditions=[{'Field': 'host-header', 'Values': ['legacy.example.com']},
                              {'Field': 'path-pattern', 'Values': ['/old/*']}])
    assert _info.routes([legacy], NOT_FOUND) == [
        dict(host='legacy.example.com', target_groups=[tg('tg-l', ['/old/*'])])]


def test_listener_summary_routes_leave_owned_rules_out():
    ours = owned_rule('b', 1, 'bypass', 'office', [R.source_ip_condition(['10.0.0.0/8'])], [R.forward('tg-bypass')])
    sorry = owned_rule('s', 2, 'sorry', 'sorry', [R.path_condition(['/*'])], [R.fixed_response(503, 'text/html', 'x')])
    app = rule('web', 3, ['shop.example.com'], ['/*'], tags={_tags.SHIFT: '+2'})
    summary = _info.listener_summary({'ListenerArn': 'arn:l', 'Port': 443}, [ours, sorry, app], NOT_FOUND)
    assert summary['routes'] == [dict(host='shop.example.com', target_groups=[tg('tg-web', ['/*'])])]
    assert _info.listener_summary({'ListenerArn': 'arn:l', 'Port': 80}, [], REDIRECT)['routes'] == []


# ---------------------------------------------------------------- the controller's rules from the Ingress driver

MARKER = '8b8902a8aa'
PAGE = u'<!doctype html><title>Maintenance</title><p>Back soon</p><!--%s-->' % MARKER
LBC = {'elbv2.k8s.aws/cluster': 'prod', 'ingress.k8s.aws/stack': 'shop/main', 'ingress.k8s.aws/resource': '443:1'}
LISTENER = {'ListenerArn': 'arn:l', 'Port': 443, 'Protocol': 'HTTPS'}
HEADER_SECRET = 'c4a1f09e7b2d'


def lbc(arn, priority, hosts=None, paths=None, actions=None, extra=None):
    return rule(arn, priority, hosts, paths, actions, extra, tags=dict(LBC, **{'ingress.k8s.aws/resource': arn}))


def ingress_site():
    """The controller's rules for shop during maintenance: office bypass, header bypass, sorry; blog untouched."""
    return [lbc('office', 1, ['shop.example.com'], ['/*'], extra=[R.source_ip_condition(['10.0.0.0/8'])]),
            lbc('header', 2, ['shop.example.com'], ['/*'], extra=[R.header_condition('X-Bypass', [HEADER_SECRET])]),
            lbc('sorry', 3, ['shop.example.com'], ['/*'], actions=[R.fixed_response(503, 'text/html', PAGE)]),
            lbc('blog', 4, ['blog.example.com'], ['/*'])]


def test_controller_sorry_and_bypass_rules_are_recognised_by_the_marker():
    summary = _info.listener_summary(LISTENER, ingress_site(), NOT_FOUND, markers=['0000000000', MARKER])
    assert [(r['arn'], r['kind'], r['made_by']) for r in summary['owned_rules']] == [
        ('office', 'bypass', 'controller'), ('header', 'bypass', 'controller'), ('sorry', 'sorry', 'controller')]
    office, header, sorry = summary['owned_rules']
    assert sorry['name'] == 'ingress-shop.example.com' and sorry['part'] is None and sorry['drift'] is False
    assert sorry['tags'] == dict(LBC, **{'ingress.k8s.aws/resource': 'sorry', 'sorrypage:marker': MARKER})
    assert sorry['status_code'] == 503 and sorry['body_chars'] == len(PAGE)
    assert office['tags'] == dict(LBC, **{'ingress.k8s.aws/resource': 'office'})   # no marker on a bypass
    assert office['action'] == {'type': 'forward', 'target_groups': ['tg-office']}
    assert header['conditions'][2] == {'field': 'http-header', 'http_header_config': {
        'http_header_name': 'X-Bypass', 'values': ['********']}}
    assert HEADER_SECRET not in repr(summary)
    assert summary['rule_count'] == 4
    assert summary['routes'] == [dict(host='blog.example.com', target_groups=[tg('tg-blog', ['/*'])])]
    assert _info.in_maintenance([summary]) is True


def test_our_own_rules_are_made_by_sorrypage_beside_the_controllers():
    ours = owned_rule('p', 1, 'preview', 'preview', [R.path_condition(['/__sorry'])],
                      [R.fixed_response(200, 'text/html', PAGE)])
    summary = _info.listener_summary(LISTENER, [ours] + ingress_site()[2:], NOT_FOUND, markers=[MARKER])
    assert [(r['arn'], r['kind'], r['made_by'], r['name'], r['part']) for r in summary['owned_rules']] == [
        ('p', 'preview', 'sorrypage', 'preview', 0), ('sorry', 'sorry', 'controller', 'ingress-shop.example.com', None)]
    assert 'sorrypage:marker' not in summary['owned_rules'][0]['tags']   # ours are reported with their own tags only


def test_a_source_ip_forward_after_the_sorry_rule_is_not_a_bypass():
    late = lbc('late', 5, ['shop.example.com'], ['/*'], extra=[R.source_ip_condition(['10.0.0.0/8'])])
    summary = _info.listener_summary(LISTENER, ingress_site()[2:] + [late], NOT_FOUND, markers=[MARKER])
    assert [r['arn'] for r in summary['owned_rules']] == ['sorry']
    # late stays the application's: routes leave the recognised sorry rule out, as they do our own
    assert summary['routes'] == [dict(host='blog.example.com', target_groups=[tg('tg-blog', ['/*'])]),
                                 dict(host='shop.example.com', target_groups=[tg('tg-late', ['/*'])])]


@pytest.mark.parametrize('candidate, bypass', [
    (lbc('c', 1, ['shop.example.com'], extra=[R.source_ip_condition(['10.0.0.0/8'])]), True),
    (lbc('c', 1, None, extra=[R.header_condition('X-B', ['s'])]), True),            # no host: every host
    (lbc('c', 1, ['*.example.com'], extra=[R.source_ip_condition(['10.0.0.0/8'])]), True),   # wildcard matches
    (lbc('c', 1, ['blog.example.com'], extra=[R.source_ip_condition(['10.0.0.0/8'])]), False),  # other host
    (lbc('c', 1, ['shop.example.com'], ['/api/*']), False),                          # no bypass condition
    (lbc('c', 1, ['shop.example.com'], extra=[R.source_ip_condition(['10.0.0.0/8'])],
         actions=NOT_FOUND), False),                                                # not a forward
])
def test_what_counts_as_a_bypass_of_the_controllers_sorry_rule(candidate, bypass):
    sorry = lbc('sorry', 3, ['shop.example.com'], ['/*'], actions=[R.fixed_response(503, 'text/html', PAGE)])
    found = _info.controller_rules([sorry, candidate], [MARKER])
    assert [(r['arn'], kind) for r, kind, _m in found] == ([('c', 'bypass')] if bypass else []) + [('sorry', 'sorry')]


def test_a_bypass_before_a_sorry_rule_without_host_condition():
    sorry = lbc('sorry', 3, None, ['/*'], actions=[R.fixed_response(503, 'text/html', PAGE)])
    office = lbc('office', 1, ['blog.example.com'], extra=[R.source_ip_condition(['10.0.0.0/8'])])
    summary = _info.listener_summary(LISTENER, [office, sorry], NOT_FOUND, markers=[MARKER])
    assert [(r['name'], r['kind']) for r in summary['owned_rules']] == [
        ('ingress-blog.example.com', 'bypass'), ('ingress-any-host', 'sorry')]


def test_a_fixed_response_without_a_marker_stays_foreign():
    other = lbc('maint', 1, ['shop.example.com'], ['/*'],
                actions=[R.fixed_response(503, 'text/html', '<p>old maintenance page 0000000000</p>')])
    office = lbc('office', 0, ['shop.example.com'], extra=[R.source_ip_condition(['10.0.0.0/8'])])
    summary = _info.listener_summary(LISTENER, [office, other], NOT_FOUND, markers=[MARKER, ''])
    assert summary['owned_rules'] == []
    assert summary['routes'] == [dict(host='shop.example.com', target_groups=[tg('tg-office', [])])]
    assert _info.in_maintenance([summary]) is False


def test_recognised_rules_are_not_moved_rules():
    sorry = lbc('sorry', 23, ['shop.example.com'], ['/*'], actions=[R.fixed_response(503, 'text/html', PAGE)])
    sorry['tags'][_tags.SHIFT] = '+20'
    summary = _info.listener_summary(LISTENER, [sorry, lbc('web', 24, ['shop.example.com'])], NOT_FOUND,
                                     markers=[MARKER])
    assert [r['arn'] for r in summary['owned_rules']] == ['sorry']
    assert summary['moved_rules'] == []


@pytest.mark.parametrize('markers', [None, [], ['']])
def test_without_markers_the_controllers_rules_are_foreign_as_before(markers):
    rules = ingress_site()
    summary = _info.listener_summary(LISTENER, rules, NOT_FOUND, markers=markers)
    assert summary == _info.listener_summary(LISTENER, rules, NOT_FOUND)
    assert summary['owned_rules'] == [] and _info.in_maintenance([summary]) is False
    assert [r['host'] for r in summary['routes']] == ['shop.example.com', 'blog.example.com']
    assert _info.controller_rules(rules, markers) == []


def test_our_rules_say_they_are_made_by_sorrypage():
    bypass = owned_rule('b', 1, 'bypass', 'office', [R.source_ip_condition(['10.0.0.0/8'])], [R.forward('tg-b')])
    [reported] = _info.listener_summary(LISTENER, [bypass], NOT_FOUND)['owned_rules']
    assert reported['made_by'] == 'sorrypage'


def test_the_ingress_drivers_preview_is_a_preview_not_the_page_on():
    preview = lbc('preview', 1, ['shop.example.com'], ['/_sorry-preview'], actions=[R.fixed_response(503, 'text/html', PAGE)])
    summary = _info.listener_summary(LISTENER, [preview] + ingress_site()[3:], NOT_FOUND, markers=[MARKER])
    assert [(r['arn'], r['kind'], r['made_by']) for r in summary['owned_rules']] == [('preview', 'preview', 'controller')]
    assert _info.in_maintenance([summary]) is False
    # during a maintenance the preview is still a preview, and the office bypass is the sorry rule's
    summary = _info.listener_summary(LISTENER, [preview] + ingress_site(), NOT_FOUND, markers=[MARKER])
    assert [(r['arn'], r['kind']) for r in summary['owned_rules']] == [
        ('preview', 'preview'), ('office', 'bypass'), ('header', 'bypass'), ('sorry', 'sorry')]


def test_the_controllers_variant_rules_of_the_page_are_sorry_rules_not_previews():
    """A language (Accept-Language) or API (path pattern, Accept) variant made from the Ingress carries the marker
    of its page: it is part of the page being on (off by marker deletes it), not a preview."""
    language = lbc('ja', 3, ['shop.example.com'], ['/*'], actions=[R.fixed_response(503, 'text/html', PAGE)],
                   extra=[R.header_condition('Accept-Language', ['ja*'])])
    api = lbc('api', 4, ['shop.example.com'], ['/api/*'], actions=[R.fixed_response(503, 'application/json', PAGE)])
    site = ingress_site()
    rules = site[:2] + [language, api] + [dict(r, priority=r['priority'] + 2) for r in site[2:]]
    summary = _info.listener_summary(LISTENER, rules, NOT_FOUND, markers=[MARKER])
    assert [(r['arn'], r['kind'], r['name']) for r in summary['owned_rules']] == [
        ('office', 'bypass', 'ingress-shop.example.com'), ('header', 'bypass', 'ingress-shop.example.com'),
        ('ja', 'sorry', 'ingress-shop.example.com /* ja*'), ('api', 'sorry', 'ingress-shop.example.com /api/*'),
        ('sorry', 'sorry', 'ingress-shop.example.com')]


def test_a_json_rule_on_an_exact_api_path_is_a_sorry_rule_not_a_preview():
    graphql = lbc('graphql', 3, ['shop.example.com'], ['/graphql'],
                  actions=[R.fixed_response(503, 'application/json', '{"ref":"%s"}' % MARKER)])
    site = ingress_site()
    rules = site[:2] + [graphql] + [dict(r, priority=r['priority'] + 1) for r in site[2:]]
    kinds = [(r['arn'], r['kind']) for r in _info.listener_summary(LISTENER, rules, NOT_FOUND, markers=[MARKER])['owned_rules']]
    assert ('graphql', 'sorry') in kinds, kinds
