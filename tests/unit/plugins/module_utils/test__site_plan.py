# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _plan
from ansible_collections.sorrypage.aws.plugins.module_utils import _rules as R
from ansible_collections.sorrypage.aws.plugins.module_utils import _site_plan as S
from ansible_collections.sorrypage.aws.plugins.module_utils import _tags

TG_WEB = 'arn:tg/web'
TG_API = 'arn:tg/api'
NOT_FOUND = [{'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': '404', 'ContentType': 'text/plain'}}]
SECRET = 'f00dfacecafe'


def controller_listener(port, count=3, default_actions=None):
    """Rules 1..count like the Load Balancer Controller makes them; the last is shop.test's catch-all."""
    rules = []
    for priority in range(1, count + 1):
        rules.append(dict(arn='lbc%d-%d' % (port, priority), priority=priority,
                          conditions=[R.host_condition(['shop.test']), R.path_condition(['/p%d/*' % priority])],
                          actions=[R.forward(TG_API)], tags={'ingress.k8s.aws/stack': 'shop'}))
    rules[-1]['conditions'][1] = R.path_condition(['/*'])
    rules[-1]['actions'] = [R.forward(TG_WEB)]
    return dict(arn='listener/%d' % port, port=port, protocol='HTTPS', rules=rules,
                default_actions=default_actions or NOT_FOUND)


def rule_sets():
    return [
        dict(kind='sorry', name='shop', host_headers=['shop.test'], content='<p>down</p>', tags={'sorrypage:page': 'shop'}),
        dict(kind='bypass', name='passthrough', host_headers=['shop.test'], path_patterns=['/healthz']),
        dict(kind='bypass', name='office', host_headers=['shop.test'], source_ips=['10.0.0.0/8'], use_http_headers=True),
        dict(kind='sorry', name='all', content='<p>all down</p>'),
    ]


HEADERS = [{'name': 'X-Bypass', 'values': [SECRET]}]


def entries_for(sets, state='present'):
    entries, errors, _warnings = S.build_specs(sets, state, HEADERS, common_tags={'sorrypage:by': 'alice'})
    assert errors == []
    return entries


# ---------------------------------------------------------------- validation, before any call

def test_write_order_is_bypass_first_in_the_callers_order_within_a_phase():
    entries = entries_for(rule_sets())
    assert [(e['spec']['kind'], e['spec']['name'], e['phase']) for e in entries] == [
        ('bypass', 'passthrough', 0), ('bypass', 'office', 0), ('sorry', 'shop', 1), ('sorry', 'all', 1)]
    absent = entries_for(rule_sets(), 'absent')
    assert [(e['spec']['kind'], e['spec']['name']) for e in absent] == [
        ('sorry', 'shop'), ('sorry', 'all'), ('bypass', 'passthrough'), ('bypass', 'office')]


def test_tags_of_a_set_are_over_the_common_ones():
    entries = entries_for(rule_sets())
    by_name = dict((e['spec']['name'], e['info_tags']) for e in entries)
    assert by_name['shop'] == {'sorrypage:by': 'alice', 'sorrypage:page': 'shop'}
    assert by_name['office'] == {'sorrypage:by': 'alice'}


BAD_SETS = [
    (3, dict(source_ips=['198.51.100.300/32']),
     "rule_sets[3] (bypass 'office'): source_ips: '198.51.100.300/32' is not an IPv4 or IPv6 CIDR"),
    (0, dict(content='x' * 1025),
     "rule_sets[0] (sorry 'all'): content is 1025 characters; a fixed-response body may have at most 1024 (over by 1)"),
    (1, dict(kind='sorry', name='all'),
     "rule_sets[1] (sorry 'all'): the same kind and name as rule_sets[0]; each rule set needs its own name"),
    (3, dict(source_ips=['0.0.0.0/0']),
     "rule_sets[3] (bypass 'office'): source_ips: '0.0.0.0/0' lets every client bypass the Sorry page; set "
     "allow_any_source=true if that is really meant"),
]


@pytest.mark.parametrize('index, change, message', BAD_SETS, ids=[m[:40] for _i, _c, m in BAD_SETS])
def test_every_invalid_set_is_named(index, change, message):
    sets = [dict(kind='sorry', name='all', content='<p>x</p>'),
            dict(kind='preview', name='p', path_patterns=['/__p'], content='<p>x</p>'),
            dict(kind='bypass', name='pass', path_patterns=['/healthz']),
            dict(kind='bypass', name='office', source_ips=['10.0.0.0/8'], use_http_headers=True)]
    sets[index] = dict(sets[index], **change)
    entries, errors, _warnings = S.build_specs(sets, 'present', HEADERS)
    assert errors == [message]
    assert SECRET not in repr(errors)
    assert len(entries) == 3 if index != 1 else len(entries) == 4


def test_headers_wanted_but_not_given():
    _entries, errors, _warnings = S.build_specs([dict(kind='bypass', name='b', use_http_headers=True)], 'present', [])
    assert errors == ["rule_sets[0] (bypass 'b'): use_http_headers is set but http_headers is empty",
                      "rule_sets[0] (bypass 'b'): a bypass needs source_ips, http_headers or path_patterns (a bypass "
                      "by host alone would switch the Sorry page off for that host)"]


# ---------------------------------------------------------------- planning the site

def test_a_target_that_cannot_be_inferred_on_one_of_several_listeners_is_named():
    no_catch_all = controller_listener(8443)
    no_catch_all['rules'][-1]['conditions'][0] = R.host_condition(['other.test'])
    no_catch_all['rules'][-1]['actions'] = [R.forward('arn:tg/other')]
    listeners = [controller_listener(443), controller_listener(80), no_catch_all]
    planned = S.plan_site(listeners, entries_for(rule_sets()), 'present', make_room=True)
    assert len(planned['errors']) == 2  # the passthrough and the office bypass, on 8443 only
    assert planned['errors'][0].startswith(
        "listener HTTPS:8443 (listener/8443): rule_sets[1] (bypass 'passthrough'): cannot infer the bypass target: "
        "there is no catch-all (/*) forward rule for host_headers shop.test and the listener forwards to several "
        "target groups")
    assert all('listener/8443' in error for error in planned['errors'])


def test_planning_chains_the_predicted_state_from_set_to_set():
    listener = controller_listener(443)
    planned = S.plan_site([listener], entries_for(rule_sets()), 'present', make_room=True)
    assert planned['errors'] == []
    site = planned['listeners'][0]
    steps = site['steps']
    # One shift, made by the first set; the later sets find room in front without moving anything.
    assert [bool(s['plan']['move_batches']) for s in steps] == [True, False, False, False]
    assert steps[0]['plan']['shift_tags']
    priorities = [r['priority'] for r in site['final']['rules']]
    assert len(priorities) == len(set(priorities))
    owned = [(r['tags'][_tags.KIND], r['tags'][_tags.RULE]) for r in site['final']['rules'] if _tags.RULE in r['tags']]
    assert owned == [('bypass', 'passthrough'), ('bypass', 'office'), ('bypass', 'office'),
                     ('sorry', 'shop'), ('sorry', 'all')]
    # Tags travel with CreateRule: nothing is left for AddTags after a create.
    assert all(s['plan']['info_parts'] == [] for s in steps)
    assert steps[2]['plan']['creates'][0]['tags']['sorrypage:page'] == 'shop'
    assert all(r['tags']['sorrypage:by'] == 'alice' for r in site['final']['rules'] if _tags.RULE in r['tags'])
    assert all(r['arn'].startswith('planned:listener/443/') for r in site['final']['rules'] if _tags.RULE in r['tags'])
    assert S.rules_added(steps) == 5

    # Planning again from the predicted state changes nothing: what a rerun sees.
    again = S.plan_site([dict(site['final'], port=443, protocol='HTTPS')], entries_for(rule_sets()), 'present')
    assert again['errors'] == []
    assert not any(s['plan']['changed'] for s in again['listeners'][0]['steps'])

    # The reverse restores every foreign rule exactly, moved by the last removal only.
    off = S.plan_site([dict(site['final'], port=443, protocol='HTTPS')], entries_for(rule_sets(), 'absent'), 'absent')
    off_steps = off['listeners'][0]['steps']
    assert [bool(s['plan']['move_batches']) for s in off_steps] == [False, False, False, True]
    restored = off['listeners'][0]['final']['rules']
    assert [(r['arn'], r['priority'], r['tags']) for r in restored] == [
        (r['arn'], r['priority'], r['tags']) for r in listener['rules']]


def placeholder_site():
    """Room for two rules in front of the controller's: the third set needs a shift and moves the second."""
    listener = controller_listener(443)
    listener['rules'] = [dict(r, priority=r['priority'] + 2) for r in listener['rules']]
    sets = [dict(kind='bypass', name='pass', path_patterns=['/healthz'], host_headers=['shop.test']),
            dict(kind='sorry', name='all', content='x'), dict(kind='sorry', name='shop', host_headers=['shop.test'], content='y')]
    return listener, entries_for(sets)


def test_an_owned_rule_moved_by_a_later_set_is_named_by_its_placeholder():
    listener, entries = placeholder_site()
    steps = S.plan_site([listener], entries, 'present', make_room=True)['listeners'][0]['steps']
    assert [s['plan']['creates'][0]['priority'] for s in steps] == [1, 2, 4]
    assert not steps[0]['plan']['move_batches'] and not steps[1]['plan']['move_batches']
    moved = dict((arn, p) for batch in steps[2]['plan']['move_batches'] for arn, p in batch)
    assert moved['planned:listener/443/sorry/all/0'] > 4


def test_quota():
    assert S.quota_error('shop', 90, 10, None) is None
    assert S.quota_error('shop', 95, 10, None) == (
        "load balancer 'shop' has 95 rules and this run would add 10, 105 in all: over its quota of 100 "
        "(rules-per-application-load-balancer, default rules not counted) by 5; remove rules, give fewer "
        "listener_ports or ask AWS to raise the quota")
    assert S.quota_error('shop', 95, 10, 200) is None
    assert S.quota_error('shop', 150, -5, 100) is None
    assert not S.needs_quota_read(90, 10) and S.needs_quota_read(91, 10) and not S.needs_quota_read(150, 0)


def test_warnings_are_folded_and_worded_for_check_mode():
    listeners = [controller_listener(443), controller_listener(80)]
    planned = S.plan_site(listeners, entries_for(rule_sets()), 'present', make_room=True)['listeners']
    room, others = S.fold_warnings(planned, check_mode=True)
    assert room == ('would make room in front of 6 rules this collection does not own on 2 listeners; they go back '
                    'when the last owned rule on each listener is removed')
    assert others == []
    assert S.fold_warnings(planned, check_mode=False)[0].startswith('made room in front of 6 rules')


def test_plan_errors_keep_their_message():
    with pytest.raises(_plan.PlanError):
        _plan.plan_present(R.build_spec(dict(kind='sorry', content='x')), controller_listener(443))
    planned = S.plan_site([controller_listener(443)], entries_for([dict(kind='sorry', name='all', content='x')]),
                          'present', make_room=False)
    assert planned['errors'][0].startswith("listener HTTPS:443 (listener/443): rule_sets[0] (sorry 'all'): no free "
                                           "priority in front of lbc443-1 (priority 1)")


def test_auto_mirror_is_said_once_per_set_with_its_listeners_and_reasons():
    def step(kind, name, source):
        return dict(kind=kind, name=name, plan=dict(target_group_source=source))
    planned = [
        dict(protocol='HTTP', port=80, steps=[
            step('bypass', 'passthrough-shop', 'rule:arn:r1'),
            step('bypass', 'bypass', 'mirror (auto: the listener routes to 3 target groups)'),
            step('sorry', 'shop', None)]),
        dict(protocol='HTTPS', port=443, steps=[step('bypass', 'bypass', 'mirror (auto: the listener routes to 3 target groups)')]),
        dict(protocol='HTTP', port=8080, steps=[step('bypass', 'bypass', 'default_action')]),
    ]
    assert S.fold_auto_mirror(planned) == [
        "bypass 'bypass' keeps the application's own routing (mirror auto) on HTTP:80, HTTPS:443: the listener routes to 3 "
        "target groups"]
    assert S.fold_auto_mirror(planned[2:]) == []


# ---------------------------------------------------------------- off with markers: the controller's rules from the Ingress edit

MARKER = '5e0c2f9a7d'
PAGE = '<p>down</p><!--%s-->' % MARKER


def ingress_listener(port=443):
    """The controller's rules from the Ingress edit (office CIDR and header bypass, the marker page for shop.test,
    an always-on preview) at 10..13, the application's rules at 20..22, and nothing of ours yet."""
    listener = controller_listener(port)
    listener['rules'] = [dict(r, priority=r['priority'] + 19) for r in listener['rules']]
    lbc = {'ingress.k8s.aws/stack': 'shop'}
    shop = R.host_condition(['shop.test'])
    every_path = R.path_condition(['/*'])
    listener['rules'] = [
        dict(arn='ing%d-office' % port, priority=10, conditions=[shop, every_path, R.source_ip_condition(['10.0.0.0/8'])],
             actions=[R.forward(TG_WEB)], tags=dict(lbc)),
        dict(arn='ing%d-header' % port, priority=11, conditions=[shop, every_path, R.header_condition('X-Bypass', [SECRET])],
             actions=[R.forward(TG_WEB)], tags=dict(lbc)),
        dict(arn='ing%d-sorry' % port, priority=12, conditions=[shop, every_path],
             actions=[R.fixed_response(503, 'text/html', PAGE)], tags=dict(lbc)),
        dict(arn='ing%d-preview' % port, priority=13, conditions=[shop, R.path_condition(['/__sorry-preview'])],
             actions=[R.fixed_response(200, 'text/html', PAGE)], tags=dict(lbc)),
    ] + listener['rules']
    return listener


def ingress_site_with_ours():
    """ingress_listener on 443 and 80, with our rule sets put on in front (priorities 1..9 are free)."""
    listeners = []
    for port in (443, 80):
        on = S.plan_site([ingress_listener(port)], entries_for(rule_sets()), 'present')
        assert on['errors'] == []
        listeners.append(dict(on['listeners'][0]['final'], port=port, protocol='HTTPS'))
    return listeners


def delete_phases(planned):
    """{arn: phase} of every rule deleted, and the order of the steps that delete the controller's rules."""
    phases = {}
    for listener in planned:
        for step in listener['steps']:
            for arn in step['plan']['deletes']:
                phases[arn] = step['phase']
    return phases


def test_markers_delete_the_controllers_sorry_rules_in_the_first_phase_and_its_bypass_rules_in_the_second():
    site = ingress_site_with_ours()
    entries = S.with_controller(entries_for(rule_sets(), 'absent'), [MARKER])
    assert [(e['spec']['kind'], e['spec']['name'], e['phase']) for e in entries] == [
        ('sorry', 'controller', 0), ('sorry', 'shop', 0), ('sorry', 'all', 0),
        ('bypass', 'controller', 1), ('bypass', 'passthrough', 1), ('bypass', 'office', 1)]
    planned = S.plan_site(site, entries, 'absent')
    assert planned['errors'] == []
    phases = delete_phases(planned['listeners'])
    for port in (443, 80):
        assert phases['ing%d-sorry' % port] == 0
        assert phases['ing%d-office' % port] == 1 and phases['ing%d-header' % port] == 1
        assert 'ing%d-preview' % port not in phases, 'the preview is not the Sorry page being on'
    owned_sorry = [r['arn'] for l in site for r in l['rules'] if r['tags'].get(_tags.KIND) == 'sorry']
    owned_bypass = [r['arn'] for l in site for r in l['rules'] if r['tags'].get(_tags.KIND) == 'bypass']
    assert set(phases[arn] for arn in owned_sorry) == {0} and set(phases[arn] for arn in owned_bypass) == {1}
    # Only the rules named above go: the preview and the application's rules stay where they were.
    for listener in planned['listeners']:
        port = listener['port']
        assert [(r['arn'], r['priority']) for r in listener['final']['rules']] == [
            ('ing%d-preview' % port, 13), ('lbc%d-1' % port, 20), ('lbc%d-2' % port, 21), ('lbc%d-3' % port, 22)]
        assert listener['steps'][0]['controller'] is True and listener['steps'][3]['controller'] is True
        assert all(not s['plan']['moved_rules'] for s in listener['steps'])
        assert [(r['arn'], r['kind'], r['name'], r['made_by']) for r in S.controller_deleted(listener)] == [
            ('ing%d-office' % port, 'bypass', 'ingress-shop.test', 'controller'),
            ('ing%d-header' % port, 'bypass', 'ingress-shop.test', 'controller'),
            ('ing%d-sorry' % port, 'sorry', 'ingress-shop.test', 'controller')]
        assert S.rules_added(listener['steps']) == -(5 + 3)
    # Header values never shown: not in the reported rules, not in the diff's before.
    assert SECRET not in repr([S.controller_deleted(l) for l in planned['listeners']])
    assert SECRET not in repr([s['plan']['before'] for l in planned['listeners'] for s in l['steps']])
    assert S.fold_controller(planned['listeners'], check_mode=True) == (
        'would delete 6 rules the controller made from the Ingress on HTTPS:443, HTTPS:80 (it is paused: the Ingress '
        'change could not reach the ALB)')
    assert S.fold_controller(planned['listeners'][:1], check_mode=False) == (
        'deleted 3 rules the controller made from the Ingress on HTTPS:443 (it is paused: the Ingress change could '
        'not reach the ALB)')

    # A rerun finds nothing (the preview is still no Sorry page) and writes nothing.
    again = S.plan_site([dict(l['final'], port=l['port'], protocol='HTTPS') for l in planned['listeners']], entries, 'absent')
    assert again['errors'] == []
    assert not any(s['plan']['changed'] for l in again['listeners'] for s in l['steps'])
    assert [l['controller_rules'] for l in again['listeners']] == [[], []]
    assert S.fold_controller(again['listeners'], check_mode=False) is None


def test_the_controllers_rules_alone_and_the_bypass_still_known_on_a_replan_after_the_sorry_rule_went():
    listener = ingress_listener()
    entries = S.with_controller(S.build_specs([dict(kind='sorry', name='sorry')], 'absent')[0], [MARKER, ''])
    steps, final, errors = S.plan_listener(listener, entries, 'absent')
    assert errors == []
    assert [(s['kind'], s['plan']['deletes']) for s in steps] == [
        ('sorry', ['ing443-sorry']), ('sorry', []), ('bypass', ['ing443-office', 'ing443-header'])]
    assert [r['arn'] for r in final['rules']] == ['ing443-preview', 'lbc443-1', 'lbc443-2', 'lbc443-3']
    # Read again after the first phase: the bypass rules have no sorry rule behind them any more, so they are
    # known from the first read (as a replan passes them), and a rule gone meanwhile is not deleted twice.
    recognised = S.recognise(listener, entries)
    later = dict(listener, rules=[r for r in listener['rules'] if r['arn'] not in ('ing443-sorry', 'ing443-header')])
    assert S.recognise(later, entries) == []
    steps, _final, errors = S.plan_listener(later, [e for e in entries if e['phase'] == 1], 'absent', recognised=recognised)
    assert errors == [] and [s['plan']['deletes'] for s in steps] == [['ing443-office']]


def test_without_markers_off_is_exactly_as_before():
    site = ingress_site_with_ours()
    entries = entries_for(rule_sets(), 'absent')
    assert S.with_controller(entries, []) == entries and S.with_controller(entries, ['']) == entries
    before = S.plan_site(site, entries, 'absent')
    unmatched = S.plan_site(site, S.with_controller(entries, ['not-on-any-page']), 'absent')
    for plain, other in zip(before['listeners'], unmatched['listeners']):
        assert [r['arn'] for r in plain['final']['rules']] == [r['arn'] for r in other['final']['rules']]
        assert [s['plan'] for s in plain['steps']] == [s['plan'] for s in other['steps'] if not s.get('controller')]
        assert S.controller_deleted(plain) == [] and plain['controller_rules'] == []
        # The controller's rules are foreign rules like any other.
        assert [r['arn'] for r in plain['final']['rules']][:4] == [
            'ing%d-office' % plain['port'], 'ing%d-header' % plain['port'], 'ing%d-sorry' % plain['port'],
            'ing%d-preview' % plain['port']]


def test_match_headers_join_a_sorry_rule_and_are_alternatives_of_a_bypass_with_the_origin_header_on_each():
    sets = [{'kind': 'sorry', 'name': 'shop-ja', 'host_headers': ['shop.example.com'], 'content': '<p>ja</p>',
             'match_headers': [{'name': 'Accept-Language', 'values': ['ja*']}]},
            {'kind': 'bypass', 'name': 'bypass-viewer', 'target_group_arn': TG_WEB, 'use_origin_header': True,
             'match_headers': [{'name': 'CloudFront-Viewer-Address', 'values': ['203.0.113.*', '198.51.100.7:*']}]}]
    origin = {'name': 'X-Origin-Verify', 'value': SECRET}
    entries, errors, _warnings = S.build_specs(sets, 'present', origin_header=origin)
    assert errors == []
    sorry = [entry['spec'] for entry in entries if entry['spec']['kind'] == 'sorry'][0]
    assert sorry['headers'] == [('Accept-Language', ['ja*'])] and sorry['required'] == []
    bypass = [entry['spec'] for entry in entries if entry['spec']['kind'] == 'bypass'][0]
    rules, source = R.desired_rules(bypass, [], NOT_FOUND)
    assert source == 'parameter'
    assert [r['conditions'] for r in rules] == [[
        R.header_condition('CloudFront-Viewer-Address', ['203.0.113.*', '198.51.100.7:*']),
        R.header_condition('X-Origin-Verify', [SECRET])]]
    _entries, errors, _warnings = S.build_specs(sets, 'present')
    assert errors == ["rule_sets[1] (bypass 'bypass-viewer'): use_origin_header is set but origin_header is not given"]


def test_the_origin_header_takes_a_value_of_each_rule_so_viewer_values_split_by_four():
    sets = [{'kind': 'bypass', 'name': 'bypass-viewer', 'target_group_arn': TG_WEB, 'use_origin_header': True,
             'match_headers': [{'name': 'CloudFront-Viewer-Address', 'values': ['10.%d.*' % i for i in range(6)]}]}]
    entries, errors, _warnings = S.build_specs(sets, 'present', origin_header={'name': 'X-Origin-Verify', 'value': SECRET})
    assert errors == []
    rules, _source = R.desired_rules(entries[0]['spec'], [], NOT_FOUND)
    assert [len(R.condition_values(r['conditions'][0])) for r in rules] == [4, 2]
    assert all(r['conditions'][1] == R.header_condition('X-Origin-Verify', [SECRET]) for r in rules)


def test_the_budget_counts_every_rule_after_the_plan_by_kind_and_says_what_to_drop():
    sets = rule_sets() + [
        dict(kind='sorry', name='shop-ja', host_headers=['shop.test'], content='<p>ja</p>',
             match_headers=[{'name': 'Accept-Language', 'values': ['ja*']}]),
        dict(kind='sorry', name='shop-api', host_headers=['shop.test'], path_patterns=['/api/*'], content='{}',
             content_type='application/json')]
    entries = entries_for(sets)
    planned = S.plan_site([controller_listener(443), controller_listener(80, count=2)], entries, 'present',
                          make_room=True)['listeners']
    kinds = S.rules_by_kind(planned, entries, rules_now=5 + 7)
    # per listener: the office bypass is 2 rules (the CIDR, the header), the set named passthrough 1
    assert kinds == [('API (JSON)', 2), ('language', 2), ('sorry', 4), ('bypass', 6), ("the controller's", 5),
                     ('on listeners not switched', 7)]
    added = sum(S.rules_added(listener['steps']) for listener in planned)
    assert added == 14
    message = S.quota_error('shop', 12, 95, None, kinds)
    assert message == (
        "load balancer 'shop' has 12 rules and this run would add 95, 107 in all: over its quota of 100 "
        "(rules-per-application-load-balancer, default rules not counted) by 7; after this run: API (JSON) 2, "
        "language 2, sorry 4, bypass 6, the controller's 5, on listeners not switched 7; to fit, drop 7: "
        "fewer sorry_api entries or paths; fewer languages per entry (sorry_pages[].languages); fewer sorry_pages "
        "entries (one entry may hold several hosts); fewer bypass CIDRs or headers (5 values per rule); "
        "or give fewer listener_ports, or ask AWS to raise the quota")
