# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _plan
from ansible_collections.sorrypage.aws.plugins.module_utils import _rules as R
from ansible_collections.sorrypage.aws.plugins.module_utils import _tags

TG_WEB = 'arn:tg/web'
TG_API = 'arn:tg/api'
NOT_FOUND = [{'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': '404', 'ContentType': 'text/plain'}}]


def spec(**overrides):
    params = dict(kind='sorry', name=None, content='<p>Back soon</p>', content_type='text/html', status_code=None,
                  host_headers=[], path_patterns=[], source_ips=[], http_headers=[], target_group_arn=None, mirror=False)
    params.update(overrides)
    return R.build_spec(params)


def controller_listener(count=3):
    """Rules 1..count like the Load Balancer Controller makes them."""
    rules = []
    for priority in range(1, count + 1):
        rules.append(dict(arn='lbc%d' % priority, priority=priority,
                          conditions=[R.host_condition(['shop.test']), R.path_condition(['/p%d/*' % priority])],
                          actions=[R.forward(TG_API)], tags={'ingress.k8s.aws/stack': 'shop'}))
    rules[-1]['conditions'][1] = R.path_condition(['/*'])
    rules[-1]['actions'] = [R.forward(TG_WEB)]
    return dict(rules=rules, default_actions=NOT_FOUND)


def execute(listener, plan):
    """What the listener looks like after a plan (the order apply_plan uses)."""
    listener = copy.deepcopy(listener)
    rules = dict((r['arn'], r) for r in listener['rules'])
    for arn in plan['deletes']:
        rules.pop(arn, None)
    for batch in plan['move_batches']:
        for arn, priority in batch:
            rules[arn]['priority'] = priority
    for value, arns in plan['shift_tags'].items():
        for arn in arns:
            rules[arn]['tags'][_tags.SHIFT] = value
    for arn in plan['unshift']:
        del rules[arn]['tags'][_tags.SHIFT]
    for change in plan['modifies']:
        rules[change['arn']].update(conditions=change['conditions'], actions=change['actions'])
    for arn, tags in plan['tag_updates']:
        rules[arn]['tags'].update(tags)
    for arn in plan['untag_pinned']:
        del rules[arn]['tags'][_tags.PINNED]
    for create in plan['creates']:
        arn = 'new-%s-%s-%d' % (plan['kind'], plan['name'], create['part'])
        rules[arn] = dict(arn=arn, priority=create['priority'], conditions=create['conditions'],
                          actions=create['actions'], tags=dict(create['tags']))
        plan['after'][create['part']]['arn'] = arn
    for part in plan['info_parts']:
        rules[plan['after'][part]['arn']]['tags'].update(plan['info_tags'])
    listener['rules'] = sorted(rules.values(), key=lambda r: r['priority'])
    assert len(set(r['priority'] for r in listener['rules'])) == len(listener['rules'])
    return listener


def test_first_apply_on_a_controller_listener_needs_make_room():
    with pytest.raises(_plan.PlanError, match='^no free priority in front of lbc1 .*set make_room=true'):
        _plan.plan_present(spec(), controller_listener())


def test_first_apply_with_make_room_then_rerun_changes_nothing():
    listener = controller_listener()
    plan = _plan.plan_present(spec(), listener, make_room=True, info_tags={'sorrypage:why': 'migration'})
    assert plan['changed']
    assert len(plan['creates']) == 1 and plan['deletes'] == [] and plan['modifies'] == []
    assert len(plan['move_batches']) == 1
    k = plan['move_batches'][0][0][1] - 1
    assert plan['shift_tags'] == {'from=1': ['lbc1'], 'from=2': ['lbc2'], 'from=3': ['lbc3']}
    assert plan['room'] == ['lbc1', 'lbc2', 'lbc3']
    assert plan['moved_rules'] == [{'arn': 'lbc%d' % p, 'from': p, 'to': p + k} for p in (1, 2, 3)]
    create = plan['creates'][0]
    assert create['priority'] < 1 + k
    assert create['tags'] == {'sorrypage:rule': 'sorry', 'sorrypage:kind': 'sorry', 'sorrypage:part': '0',
                              'sorrypage:hash': R.rule_hash(create['conditions'], create['actions'])}
    assert plan['info_parts'] == [0] and plan['info_tags'] == {'sorrypage:why': 'migration'}
    assert plan['after'][0]['priority'] == create['priority']
    assert plan['after'][0]['arn'] is None
    assert plan['after'][0]['tags']['sorrypage:why'] == 'migration'
    assert plan['warnings'][0].startswith('making room: 3 rules this collection does not own move up by %d (e.g. lbc1)' % k)

    after = execute(listener, plan)
    again = _plan.plan_present(spec(), after, make_room=True, info_tags={'sorrypage:why': 'migration'})
    assert not again['changed']
    assert again['before'] == again['after']
    assert again['drift'] == [] and again['moved_rules'] == []


def test_bypass_then_sorry_then_removal_restores_exactly():
    listener = controller_listener(5)
    original = dict((r['arn'], r['priority']) for r in listener['rules'])
    bypass = spec(kind='bypass', name='office', content=None, source_ips=['10.0.0.0/8'], host_headers=['shop.test'])
    listener = execute(listener, _plan.plan_present(bypass, listener, make_room=True))
    sorry = _plan.plan_present(spec(), listener)  # no make_room needed: the shift left room
    assert sorry['move_batches'] == []
    listener = execute(listener, sorry)
    by_arn = dict((r['arn'], r) for r in listener['rules'])
    assert by_arn['new-bypass-office-0']['priority'] < by_arn['new-sorry-sorry-0']['priority'] < by_arn['lbc1']['priority']
    assert by_arn['new-bypass-office-0']['actions'] == [R.forward(TG_WEB)]

    first_off = _plan.plan_absent(spec(), listener)
    assert first_off['deletes'] == ['new-sorry-sorry-0']
    assert first_off['move_batches'] == [] and first_off['unshift'] == []  # the bypass is still there
    listener = execute(listener, first_off)
    last_off = _plan.plan_absent(bypass, listener)
    assert last_off['deletes'] == ['new-bypass-office-0']
    assert sorted(last_off['unshift']) == sorted(original)
    listener = execute(listener, last_off)
    assert dict((r['arn'], r['priority']) for r in listener['rules']) == original
    assert all(_tags.SHIFT not in r['tags'] for r in listener['rules'])
    assert not _plan.plan_absent(bypass, listener)['changed']


def test_restore_is_refused_when_an_original_priority_was_taken():
    listener = execute(controller_listener(), _plan.plan_present(spec(), controller_listener(), make_room=True))
    listener['rules'].append(dict(arn='intruder', priority=2, conditions=[R.path_condition(['/i'])],
                                  actions=[R.forward(TG_WEB)], tags={}))
    plan = _plan.plan_absent(spec(), listener)
    assert plan['deletes'] == ['new-sorry-sorry-0']
    assert plan['move_batches'] == [] and plan['unshift'] == []
    assert plan['warnings'] == ['the rules moved to make room were left where they are, because their original '
                                'priorities are not all free: priority 2, where lbc2 came from, is now held by intruder']


def test_drift_is_reported_and_put_right():
    listener = execute(controller_listener(), _plan.plan_present(spec(), controller_listener(), make_room=True))
    owned = [r for r in listener['rules'] if r['arn'] == 'new-sorry-sorry-0'][0]
    owned['actions'] = [R.forward(TG_API)]  # the controller reused the rule in place
    plan = _plan.plan_present(spec(), listener)
    assert plan['drift'] == ["rule new-sorry-sorry-0 (sorry 'sorry' part 0, priority %d) was changed outside sorrypage: "
                             "its conditions or actions differ from what was written" % owned['priority']]
    assert [m['arn'] for m in plan['modifies']] == ['new-sorry-sorry-0']
    assert plan['tag_updates'] == []  # the recorded hash is still that of the wanted rule
    assert not _plan.plan_present(spec(), execute(listener, plan))['changed']


def test_lost_hash_tag_is_drift():
    listener = execute(controller_listener(), _plan.plan_present(spec(), controller_listener(), make_room=True))
    owned = [r for r in listener['rules'] if r['arn'] == 'new-sorry-sorry-0'][0]
    del owned['tags'][_tags.HASH]
    plan = _plan.plan_present(spec(), listener)
    assert plan['drift'][0].endswith('has lost its sorrypage:hash tag')
    assert plan['modifies'] == [] and plan['tag_updates'][0][1].keys() == set([_tags.HASH])


def test_new_content_modifies_the_rule_and_its_hash():
    listener = execute(controller_listener(), _plan.plan_present(spec(), controller_listener(), make_room=True))
    plan = _plan.plan_present(spec(content='<p>Later</p>'), listener)
    assert plan['drift'] == []
    assert [m['arn'] for m in plan['modifies']] == ['new-sorry-sorry-0']
    [(arn, tags)] = plan['tag_updates']
    assert arn == 'new-sorry-sorry-0' and list(tags) == [_tags.HASH]
    assert plan['before'][0]['actions'][0]['fixed_response_config']['message_body'] == '<p>Back soon</p>'
    assert plan['after'][0]['actions'][0]['fixed_response_config']['message_body'] == '<p>Later</p>'


def test_fewer_cidrs_delete_the_parts_no_longer_needed():
    listener = dict(rules=[], default_actions=[R.forward(TG_WEB)])
    many = spec(kind='bypass', name='office', content=None, source_ips=['10.0.%d.0/24' % i for i in range(12)])
    plan = _plan.plan_present(many, listener)
    assert plan['target_group_source'] == 'default_action'
    assert [c['part'] for c in plan['creates']] == [0, 1, 2]
    priorities = [c['priority'] for c in plan['creates']]
    assert priorities == sorted(priorities)
    listener = execute(listener, plan)
    few = spec(kind='bypass', name='office', content=None, source_ips=['10.0.0.0/24'])
    plan = _plan.plan_present(few, listener)
    assert plan['deletes'] == ['new-bypass-office-1', 'new-bypass-office-2']
    assert [m['arn'] for m in plan['modifies']] == ['new-bypass-office-0']
    assert len(plan['after']) == 1


def test_duplicate_parts_are_cleaned_up():
    listener = execute(controller_listener(), _plan.plan_present(spec(), controller_listener(), make_room=True))
    twin = copy.deepcopy([r for r in listener['rules'] if r['arn'] == 'new-sorry-sorry-0'][0])
    twin.update(arn='twin', priority=twin['priority'] + 1)
    listener['rules'].append(twin)
    plan = _plan.plan_present(spec(), listener)
    assert plan['deletes'] == ['twin'] and plan['creates'] == [] and plan['modifies'] == []


def test_kind_and_name_together_are_the_identity():
    listener = dict(rules=[], default_actions=[R.forward(TG_WEB)])
    listener = execute(listener, _plan.plan_present(spec(name='shop'), listener))
    plan = _plan.plan_present(spec(kind='bypass', name='shop', content=None, source_ips=['10.0.0.0/8']), listener)
    assert plan['deletes'] == [] and len(plan['creates']) == 1
    listener = execute(listener, plan)
    assert len(listener['rules']) == 2
    assert not _plan.plan_present(spec(name='shop'), listener)['changed']


def test_several_sorry_rules_by_host_coexist_and_hosts_come_first():
    listener = dict(rules=[], default_actions=NOT_FOUND)
    listener = execute(listener, _plan.plan_present(spec(), listener))
    for host in ('shop.test', 'blog.test'):
        listener = execute(listener, _plan.plan_present(spec(name=host, host_headers=[host]), listener))
    names = [r['tags'][_tags.RULE] for r in listener['rules']]
    assert sorted(names[:2]) == ['blog.test', 'shop.test'] and names[2] == 'sorry'


def test_explicit_priority_pins_and_auto_unpins():
    listener = controller_listener()
    plan = _plan.plan_present(spec(kind='preview', path_patterns=['/__sorry']), listener, priority=100)
    assert plan['creates'][0]['priority'] == 100
    assert plan['creates'][0]['tags'][_tags.PINNED] == 'true'
    assert plan['move_batches'] == []
    listener = execute(listener, plan)
    assert not _plan.plan_present(spec(kind='preview', path_patterns=['/__sorry']), listener, priority=100)['changed']
    unpin = _plan.plan_present(spec(kind='preview', path_patterns=['/__sorry']), listener, make_room=True)
    assert unpin['untag_pinned'] == ['new-preview-preview-0']
    assert _tags.PINNED not in unpin['after'][0]['tags']


def test_explicit_priority_behind_foreign_rules_warns():
    plan = _plan.plan_present(spec(), controller_listener(), priority=100)
    assert plan['warnings'] == ['priority 100 is behind rule lbc1 at 1, which this collection does not own: requests '
                                'it matches never reach this sorry rule']


def test_explicit_priority_held_by_a_foreign_rule_fails():
    with pytest.raises(_plan.PlanError, match='^priority 2 is held by lbc2, a rule this collection does not own'):
        _plan.plan_present(spec(), controller_listener(), priority=2)


def test_bypass_target_problems_become_plan_errors():
    with pytest.raises(_plan.PlanError, match='^cannot infer the bypass target'):
        _plan.plan_present(spec(kind='bypass', content=None, source_ips=['10.0.0.0/8'], host_headers=['blog.test']),
                           controller_listener())


def test_mirror_rules_follow_the_foreign_order_and_sync():
    listener = controller_listener()
    mirror = spec(kind='bypass', name='office', content=None, mirror=True, source_ips=['10.0.0.0/8'])
    plan = _plan.plan_present(mirror, listener, make_room=True)
    assert plan['target_group_source'] == 'mirror'
    assert len(plan['creates']) == 4  # three rules and the default action
    priorities = [c['priority'] for c in plan['creates']]
    assert priorities == sorted(priorities)
    listener = execute(listener, plan)
    assert not _plan.plan_present(mirror, listener)['changed']
    # The application changes its routing: the copies follow.
    lbc2 = [r for r in listener['rules'] if r['arn'] == 'lbc2'][0]
    lbc2['actions'] = [R.forward(TG_WEB)]
    sync = _plan.plan_present(mirror, listener)
    assert [m['part'] for m in sync['modifies']] == [1]
    listener = execute(listener, sync)
    removal = _plan.plan_absent(mirror, listener)
    assert len(removal['deletes']) == 4 and len(removal['unshift']) == 3


def test_auto_mirrors_while_the_application_routes_to_two_groups_and_collapses_when_it_routes_to_one():
    listener = controller_listener()
    auto = spec(kind='bypass', name='office', content=None, mirror='auto', host_headers=['shop.test'],
                source_ips=['10.0.0.0/8'])
    plan = _plan.plan_present(auto, listener, make_room=True)
    assert plan['target_group_source'] == 'mirror (auto: the listener routes shop.test to 2 target groups)'
    assert [c['actions'] for c in plan['creates']] == [[R.forward(TG_API)], [R.forward(TG_API)], [R.forward(TG_WEB)],
                                                       NOT_FOUND]
    listener = execute(listener, plan)
    again = _plan.plan_present(auto, listener)
    assert not again['changed']
    assert again['target_group_source'] == plan['target_group_source']
    # The application now sends everything to one group: one forward rule is enough, the copies go.
    for rule in listener['rules']:
        if rule['arn'] in ('lbc1', 'lbc2'):
            rule['actions'] = [R.forward(TG_WEB)]
    collapse = _plan.plan_present(auto, listener)
    assert collapse['target_group_source'] == 'rule:lbc3'
    assert [m['part'] for m in collapse['modifies']] == [0]
    assert len(collapse['deletes']) == 3
    assert [r['actions'] for r in collapse['after']] == [[{'type': 'forward', 'target_group_arn': TG_WEB}]]
    listener = execute(listener, collapse)
    assert not _plan.plan_present(auto, listener)['changed']


def test_auto_that_cannot_mirror_is_a_plan_error():
    listener = controller_listener()
    listener['rules'][0]['actions'] = [{'Type': 'authenticate-cognito', 'Order': 1}, dict(R.forward(TG_API), Order=2)]
    with pytest.raises(_plan.PlanError, match=r'^cannot mirror rule lbc1 \(priority 1\): its authenticate-cognito .*'
                                              r'\(mirror: auto mirrors here because the listener routes to 2 target '
                                              r'groups\)$'):
        _plan.plan_present(spec(kind='bypass', content=None, mirror='auto', source_ips=['10.0.0.0/8']), listener,
                           make_room=True)


def test_classify():
    rules = [dict(arn='a', tags={}), dict(arn='b', tags={_tags.RULE: 'x', _tags.KIND: 'sorry', _tags.PART: '0'})]
    owned, foreign = _plan.classify(rules)
    assert [r['arn'] for r in foreign] == ['a']
    assert owned[0]['owner'] == ('sorry', 'x', 0)


def test_a_mirror_set_counts_as_catch_all_so_host_specific_bypasses_go_first():
    listener = controller_listener()
    mirror = spec(kind='bypass', name='office', content=None, mirror=True, source_ips=['10.0.0.0/8'])
    listener = execute(listener, _plan.plan_present(mirror, listener, make_room=True))
    host = spec(kind='bypass', name='shop', content=None, host_headers=['shop.test'], source_ips=['192.0.2.0/24'])
    plan = _plan.plan_present(host, listener)
    listener = execute(listener, plan)
    by_name = {}
    for rule in listener['rules']:
        by_name.setdefault(rule['tags'].get(_tags.RULE), []).append(rule['priority'])
    assert max(by_name['shop']) < min(by_name['office'])
    assert not _plan.plan_present(mirror, listener)['changed']
    assert not _plan.plan_present(host, listener)['changed']


ROOM = ('making room: 3 rules this collection does not own move up by 10 (e.g. lbc1); they go back when the last '
        'owned rule on the listener is removed')
BEHIND = 'priority 100 is behind rule lbc1 at 1, which this collection does not own'


@pytest.mark.parametrize('check_mode, warnings, notes', [
    (False, [ROOM, BEHIND], []),
    (True, [BEHIND], ['would make room (check mode, nothing moved): 3 rules this collection does not own move up by 10 '
                      '(e.g. lbc1); they go back when the last owned rule on the listener is removed']),
])
def test_making_room_is_a_warning_in_a_real_run_and_a_note_in_check_mode(check_mode, warnings, notes):
    assert _plan.warnings_and_notes({'warnings': [ROOM, BEHIND]}, check_mode) == (warnings, notes)


def test_the_room_warning_of_a_plan_starts_with_the_prefix_the_notes_look_for():
    assert ROOM.startswith(_plan.ROOM_PREFIX)


# --- the shift record survives a lost answer: it names the original priority and is written before the move ------

def test_a_rerun_after_the_record_was_written_but_the_move_lost_keeps_the_original():
    """The records were written, the move never happened: the rules are where they were, tagged with it."""
    listener = controller_listener()
    for rule in listener['rules']:
        rule['tags'][_tags.SHIFT] = _tags.origin_value(rule['priority'])
    plan = _plan.plan_present(spec(), listener, make_room=True)
    assert plan['shift_tags'] == {}  # each already says where it comes from
    assert plan['room'] == ['lbc1', 'lbc2', 'lbc3']
    listener = execute(listener, plan)
    off = _plan.plan_absent(spec(), listener)
    listener = execute(listener, off)
    assert dict((r['arn'], r['priority']) for r in listener['rules']) == {'lbc1': 1, 'lbc2': 2, 'lbc3': 3}
    assert all(_tags.SHIFT not in r['tags'] for r in listener['rules'])


def test_a_rerun_after_the_move_answer_was_lost_takes_the_rules_where_they_are():
    """The rules moved and the run never heard: the rerun knows them as moved, off puts them back."""
    listener = controller_listener()
    plan = _plan.plan_present(spec(), listener, make_room=True)
    moved = copy.deepcopy(plan)
    moved.update(creates=[], info_parts=[])  # the run stopped after the move
    listener = execute(listener, moved)
    rerun = _plan.plan_present(spec(), listener, make_room=True)
    assert rerun['move_batches'] == [] and rerun['shift_tags'] == {} and len(rerun['creates']) == 1
    listener = execute(listener, rerun)
    listener = execute(listener, _plan.plan_absent(spec(), listener))
    assert dict((r['arn'], r['priority']) for r in listener['rules']) == {'lbc1': 1, 'lbc2': 2, 'lbc3': 3}
    assert all(_tags.SHIFT not in r['tags'] for r in listener['rules'])


def test_off_removes_records_left_on_rules_already_back():
    """An off whose restore answered but whose RemoveTags did not: the rerun finds no owned rule, only records."""
    listener = controller_listener()
    for rule in listener['rules']:
        rule['tags'][_tags.SHIFT] = _tags.origin_value(rule['priority'])
    plan = _plan.plan_absent(spec(), listener)
    assert plan['changed'] and plan['move_batches'] == [] and plan['deletes'] == []
    assert plan['unshift'] == ['lbc1', 'lbc2', 'lbc3']
    listener = execute(listener, plan)
    assert all(_tags.SHIFT not in r['tags'] for r in listener['rules'])
    assert not _plan.plan_absent(spec(), listener)['changed']


def test_records_of_earlier_versions_are_read_and_replaced_when_moved_again():
    listener = controller_listener()
    for rule in listener['rules']:
        rule['priority'] += 10
        rule['tags'][_tags.SHIFT] = '+10'
    off = _plan.plan_absent(spec(), listener)
    assert off['moved_rules'] == [{'arn': 'lbc%d' % p, 'from': p + 10, 'to': p} for p in (1, 2, 3)]
    assert off['unshift'] == ['lbc1', 'lbc2', 'lbc3']
    # the relative record becomes absolute before the move: a lost answer leaves rules that read as back
    assert off['shift_tags'] == {'from=1': ['lbc1'], 'from=2': ['lbc2'], 'from=3': ['lbc3']}
    back = copy.deepcopy(listener)
    for rule in back['rules']:
        rule['priority'] -= 10
    assert not _plan.plan_absent(spec(), execute(back, dict(off, move_batches=[], unshift=[], deletes=[])))['move_batches']


def test_a_legacy_record_that_cannot_hold_is_read_as_back_and_removed():
    listener = controller_listener()
    for rule in listener['rules']:
        rule['tags'][_tags.SHIFT] = '+10'  # at 1..3: 10 below would be under 1
    off = _plan.plan_absent(spec(), listener)
    assert off['move_batches'] == [] and off['warnings'] == [] and off['unshift'] == ['lbc1', 'lbc2', 'lbc3']


def test_records_stay_while_a_rule_cannot_go_back():
    listener = execute(controller_listener(), _plan.plan_present(spec(), controller_listener(), make_room=True))
    listener['rules'].append(dict(arn='intruder', priority=2, conditions=[R.path_condition(['/i'])],
                                  actions=[R.forward(TG_WEB)], tags={}))
    listener = execute(listener, _plan.plan_absent(spec(), listener))
    assert [r['tags'][_tags.SHIFT] for r in sorted(listener['rules'], key=lambda r: r['arn']) if r['arn'] != 'intruder'] \
        == ['from=1', 'from=2', 'from=3']
