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
