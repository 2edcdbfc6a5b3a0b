# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _priorities as P

BYPASS = P.order_key('bypass', False)
SORRY = P.order_key('sorry', False)
SORRY_HOST = P.order_key('sorry', True)
PREVIEW = P.order_key('preview', False)


def foreign(priorities, shift=0):
    return [dict(arn='f%d' % p, priority=p, order=None, set=None, pinned=False, shift=shift) for p in priorities]


def owned(arn, priority, order, name='x', pinned=False):
    return dict(arn=arn, priority=priority, order=order, set=('kind', name), pinned=pinned, shift=0)


def new(count):
    return [dict(arn=None, priority=None) for _i in range(count)]


def apply(others, mine, plan):
    """The listener after a plan: {arn: priority}, with new rules as mine0, mine1, ..."""
    where = dict((o['arn'], o['priority']) for o in others)
    where.update((m['arn'], m['priority']) for m in mine if m.get('arn'))
    for arn, old, new_priority in plan['moves']:
        assert where[arn] == old
        where[arn] = new_priority
    for index, (slot, priority) in enumerate(zip(mine, plan['priorities'])):
        where[slot.get('arn') or 'mine%d' % index] = priority
    assert len(set(where.values())) == len(where), 'two rules at one priority: %r' % where
    assert all(1 <= p <= 50000 for p in where.values())
    return where


def check_order(others, mine, plan, my_order):
    """Owned rules in front of every foreign rule, by order key; foreign order kept."""
    where = apply(others, mine, plan)
    foreign_before = sorted((o for o in others if o['order'] is None), key=lambda o: o['priority'])
    foreign_after = [where[o['arn']] for o in foreign_before]
    assert foreign_after == sorted(foreign_after), 'foreign rules changed order'
    owned_after = [(o['order'], where[o['arn']]) for o in others if o['order'] is not None and not o['pinned']]
    owned_after += [(my_order, p) for p in plan['priorities']]
    if foreign_after:
        assert max(p for _o, p in owned_after) < min(foreign_after)
    by_priority = [order for order, _p in sorted(owned_after, key=lambda op: op[1])]
    assert by_priority == sorted(by_priority), 'owned rules out of kind order'
    return where


# ---------------------------------------------------------------- layout

@pytest.mark.parametrize('items, limit, obstacles, expected', [
    ([None], 50000, (), [10]),
    ([None, None], 50000, (), [10, 20]),
    ([None], 20, (), [10]),
    ([None, None], 4, (), [1, 2]),
    ([None, None, None, None], 4, (), [1, 2, 3, 4]),
    ([7, None], 20, (), [7, 13]),
    ([None, 7], 20, (), [3, 7]),
    ([3, 2], 20, (), [3, 11]),  # 2 cannot stay behind 3; the later one moves
    ([None, 1], 20, (), [6, 12]),  # nothing fits in front of 1, so 1 moves
    ([None], 5, (1, 2, 3, 4), [5]),
    ([None, None], 10, (2, 4, 6), [3, 7]),
])
def test_layout(items, limit, obstacles, expected):
    assert P.layout(items, limit, obstacles) == expected


def test_layout_keeps_the_most_rules_in_place():
    items = [5, 6, 2, 9, None, 12]
    placed = P.layout(items, 30)
    assert placed == sorted(placed)
    kept = [a for a, b in zip(items, placed) if a == b]
    assert kept == [5, 6, 9, 12]
    # 2 cannot stay between 6 and 9, so it moves into the gap; the new one goes between 9 and 12
    assert placed[2] in (7, 8) and placed[4] in (10, 11)


def test_layout_fails_when_nothing_fits():
    with pytest.raises(P.PlanError, match=r'^3 rules do not fit in priorities 1\.\.2$'):
        P.layout([None, None, None], 2)


# ---------------------------------------------------------------- automatic placement

def test_empty_listener_places_the_first_rule_at_10():
    plan = P.plan_auto([], new(1), SORRY)
    assert plan == dict(priorities=[10], moves=[], shifted={}, shift=0)


def test_free_room_in_front_is_used_without_moving_anything():
    others = foreign([100, 101])
    plan = P.plan_auto(others, new(2), BYPASS)
    assert plan['moves'] == [] and plan['shift'] == 0
    check_order(others, new(2), plan, BYPASS)


def test_controller_numbering_from_1_needs_make_room():
    with pytest.raises(P.PlanError) as error:
        P.plan_auto(foreign(range(1, 21)), new(1), SORRY)
    assert str(error.value) == (
        'no free priority in front of f1 (priority 1), the first rule this collection does not own: 1 owned rules '
        'need 1 priorities and 0 are free; set make_room=true to move the other rules up (their priorities are '
        'restored when the last owned rule is removed), or give a priority')


def test_make_room_shifts_every_blocking_rule_by_one_k_without_collisions():
    others = foreign(range(1, 21))
    plan = P.plan_auto(others, new(1), SORRY, make_room=True)
    # k must clear 1..20 entirely: any smaller k would land a rule on a priority still in use.
    assert plan['shift'] == 20
    assert plan['moves'] == [('f%d' % p, p, p + 20) for p in range(1, 21)]
    assert plan['shifted'] == dict(('f%d' % p, 20) for p in range(1, 21))
    check_order(others, new(1), plan, SORRY)
    assert P.schedule(plan['moves'], dict((o['priority'], o['arn']) for o in others)) == [
        [('f%d' % p, p + 20) for p in range(1, 21)]]


def test_make_room_on_sparse_rules_moves_only_what_is_in_the_way():
    others = foreign([1, 5, 9, 100])
    plan = P.plan_auto(others, new(1), BYPASS, make_room=True)
    assert plan['shift'] == 1 + P.HEADROOM
    assert plan['moves'] == [('f1', 1, 11), ('f5', 5, 15), ('f9', 9, 19)]
    check_order(others, new(1), plan, BYPASS)


def test_a_second_set_fits_in_the_room_the_first_shift_made():
    others = foreign(range(1, 21))
    first = P.plan_auto(others, new(1), BYPASS, make_room=True)
    where = apply(others, new(1), first)
    after = [dict(o, priority=where[o['arn']], shift=first['shifted'].get(o['arn'], 0)) for o in others]
    after.append(owned('mine0', where['mine0'], BYPASS, 'office'))
    second = P.plan_auto(after, new(1), SORRY, make_room=False)
    assert second['moves'] == [] and second['shift'] == 0
    check_order(after, new(1), second, SORRY)


def test_moved_rules_that_move_again_record_the_total_shift():
    others = foreign([1, 2], shift=0) + foreign([50], shift=0)
    others[0]['shift'] = 3  # moved before, from -2 ... i.e. from priority 1 - 3: only the total matters
    plan = P.plan_auto(others, new(3), SORRY, make_room=True)
    assert plan['shifted']['f1'] == 3 + plan['shift']
    assert plan['shifted']['f2'] == plan['shift']


@pytest.mark.parametrize('existing, my_order, expect_before', [
    ([('s', 10, SORRY)], BYPASS, True),
    ([('b', 10, BYPASS)], SORRY, False),
    ([('s', 10, SORRY)], PREVIEW, False),
    ([('s', 10, SORRY)], SORRY_HOST, True),  # host-specific sorry before the catch-all one
    ([('h', 10, SORRY_HOST)], SORRY, False),
])
def test_kind_order(existing, my_order, expect_before):
    others = [owned(arn, p, order) for arn, p, order in existing] + foreign([30])
    plan = P.plan_auto(others, new(1), my_order)
    assert (plan['priorities'][0] < 10) is expect_before
    assert plan['moves'] == []
    check_order(others, new(1), plan, my_order)


def test_owned_rules_are_respaced_when_their_gap_is_full():
    others = [owned('b', 1, BYPASS, 'b'), owned('s', 2, SORRY, 's')] + foreign([3, 4])
    with pytest.raises(P.PlanError, match='no free priority in front of f3'):
        P.plan_auto(others, new(1), BYPASS)
    plan = P.plan_auto(others, new(1), BYPASS, make_room=True)
    check_order(others, new(1), plan, BYPASS)


def test_owned_rules_move_instead_of_foreign_ones_when_there_is_room_in_front():
    others = [owned('b', 1, BYPASS, 'b'), owned('s', 2, SORRY, 's')] + foreign([10])
    plan = P.plan_auto(others, new(1), BYPASS)
    assert plan['shift'] == 0
    assert all(arn in ('b', 's') for arn, _old, _new in plan['moves'])
    check_order(others, new(1), plan, BYPASS)


def test_pinned_owned_rules_never_move():
    others = [owned('p', 2, PREVIEW, 'p', pinned=True)] + foreign([5])
    plan = P.plan_auto(others, new(2), BYPASS)
    assert plan['moves'] == []
    assert 2 not in plan['priorities']
    check_order(others, new(2), plan, BYPASS)


def test_existing_rules_of_the_set_stay_in_place():
    others = foreign(range(21, 41))
    mine = [dict(arn='m0', priority=10), dict(arn='m1', priority=11)]
    plan = P.plan_auto(others, mine, BYPASS)
    assert plan == dict(priorities=[10, 11], moves=[], shifted={}, shift=0)


def test_existing_rules_of_the_set_behind_foreign_rules_come_to_the_front():
    others = foreign([1, 2])
    mine = [dict(arn='m0', priority=30)]
    plan = P.plan_auto(others, mine, SORRY, make_room=True)
    assert ('m0', 30, plan['priorities'][0]) in plan['moves']
    check_order(others, mine, plan, SORRY)


@pytest.mark.parametrize('seed', range(40))
def test_random_listeners_keep_every_invariant(seed):
    rnd = random.Random(seed)
    used = rnd.sample(range(1, 60), rnd.randint(0, 25))
    others = foreign(sorted(used[:rnd.randint(0, len(used))]))
    orders = [BYPASS, SORRY, SORRY_HOST, PREVIEW]
    rest = sorted(used[len(others):])
    first = min([o['priority'] for o in others] or [99])
    for index, priority in enumerate(rest):
        if priority < first:
            others.append(owned('o%d' % index, priority, rnd.choice(orders), 'n%d' % index))
    my_order = rnd.choice(orders)
    mine = new(rnd.randint(1, 4))
    plan = P.plan_auto(others, mine, my_order, make_room=True)
    where = check_order(others, mine, plan, my_order)
    occupied = dict((o['priority'], o['arn']) for o in others)
    for batch in P.schedule(plan['moves'], occupied):
        targets = [p for _arn, p in batch]
        assert not set(targets) & set(occupied), 'a batch moves onto a priority in use'
        for arn, p in batch:
            del occupied[[k for k, v in occupied.items() if v == arn][0]]
            occupied[p] = arn
    assert all(where[arn] == p for p, arn in occupied.items())


# ---------------------------------------------------------------- shift and its exact undo

def test_plan_shift_picks_the_smallest_collision_free_k():
    assert P.plan_shift([('a', 1), ('b', 2), ('c', 3)], [1, 2, 3], 1) == (3, [('a', 1, 4), ('b', 2, 5), ('c', 3, 6)])
    assert P.plan_shift([('a', 1), ('b', 5)], [1, 5], 1) == (1, [('a', 1, 2)])


def test_plan_shift_fails_at_the_top():
    with pytest.raises(P.PlanError, match='no shift keeps the moved rules within priority 50000'):
        P.plan_shift([('a', 49999), ('b', 50000)], [49999, 50000], 1)


@pytest.mark.parametrize('seed', range(25))
def test_shift_then_restore_gives_back_every_original_priority(seed):
    rnd = random.Random(seed)
    original = sorted(rnd.sample(range(1, 200), rnd.randint(1, 40)))
    original[0] = 1  # the controller numbers from 1: there is never room in front
    others = foreign(original)
    plan = P.plan_auto(others, new(rnd.randint(1, 3)), SORRY, make_room=True)
    where = apply(others, new(len(plan['priorities'])), plan)
    left = [dict(arn=o['arn'], priority=where[o['arn']], shift=plan['shifted'].get(o['arn'], 0)) for o in others]
    moves, conflicts = P.plan_restore(left)  # the owned rules are gone by now
    assert conflicts == []
    restored = dict((r['arn'], r['priority']) for r in left)
    occupied = dict((r['priority'], r['arn']) for r in left)
    batches = P.schedule(moves, occupied)
    assert len(batches) == 1
    for arn, _old, new_priority in moves:
        restored[arn] = new_priority
    assert restored == dict((o['arn'], o['priority']) for o in others)


def test_restore_refuses_when_an_original_priority_is_taken():
    left = [dict(arn='a', priority=21, shift=20), dict(arn='b', priority=22, shift=20), dict(arn='x', priority=2, shift=0)]
    assert P.plan_restore(left) == ([], ['priority 2, where b came from, is now held by x'])


def test_restore_refuses_impossible_shift():
    assert P.plan_restore([dict(arn='a', priority=3, shift=5)]) == ([], ['a at 3 cannot go back 5 places'])


def test_restore_refuses_two_rules_claiming_one_priority():
    left = [dict(arn='a', priority=21, shift=20), dict(arn='b', priority=11, shift=10)]
    assert P.plan_restore(left) == ([], ['priority 1 is claimed by both a and b'])


def test_restore_with_nothing_moved():
    assert P.plan_restore([dict(arn='a', priority=1, shift=0)]) == ([], [])


# ---------------------------------------------------------------- explicit priority

def test_explicit_priority_on_a_free_slot():
    assert P.plan_explicit(foreign([1, 2]), new(2), 7) == dict(priorities=[7, 8], moves=[], shifted={}, shift=0)


def test_explicit_priority_moves_the_set_itself():
    mine = [dict(arn='m0', priority=3)]
    assert P.plan_explicit(foreign([1]), mine, 5)['moves'] == [('m0', 3, 5)]


def test_explicit_priority_held_by_a_foreign_rule():
    with pytest.raises(P.PlanError) as error:
        P.plan_explicit(foreign([1, 2]), new(2), 1)
    assert str(error.value) == ('priority 1 is held by f1, a rule this collection does not own; choose another '
                                'priority or leave it out for automatic placement')


def test_explicit_priority_of_a_set_that_runs_past_50000():
    # A mirror set's size is known only after the read, so validate() cannot check this.
    with pytest.raises(P.PlanError) as error:
        P.plan_explicit(foreign([1]), new(3), 49999)
    assert str(error.value) == 'priority 49999..50001 (3 rules) is outside 1..50000; choose a lower priority'
    assert P.plan_explicit(foreign([1]), new(2), 49999)['priorities'] == [49999, 50000]


def test_explicit_priority_held_by_another_owned_set():
    with pytest.raises(P.PlanError) as error:
        P.plan_explicit([owned('s', 6, SORRY, 'shop')], new(2), 5)
    assert str(error.value) == 'priority 6 is held by s, owned rule kind/shop; choose another priority'


# ---------------------------------------------------------------- scheduling

def test_schedule_orders_chained_moves():
    occupied = {5: 'a', 6: 'b'}
    assert P.schedule([('a', 5, 6), ('b', 6, 7)], occupied) == [[('b', 7)], [('a', 6)]]


def test_schedule_parks_a_rule_to_break_a_swap():
    occupied = {1: 'a', 2: 'b'}
    batches = P.schedule([('a', 1, 2), ('b', 2, 1)], occupied)
    assert batches == [[('a', 50000)], [('b', 1)], [('a', 2)]]


def test_schedule_skips_moves_that_change_nothing():
    assert P.schedule([('a', 1, 1)], {1: 'a'}) == []
