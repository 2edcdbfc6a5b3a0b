# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Priority planning for owned rules (pure).

Owned rules form a block in front of the first rule this collection does not
own (``F0``), ordered bypass, then sorry, then preview (host-specific sets
before catch-all ones of the same kind). A plan keeps as many rules where they
are as it can and spaces new ones (at most ``SPACING`` apart) so later sets
usually fit without moving anything.

When the block does not fit in front of ``F0`` (the Load Balancer Controller
numbers its rules from 1), ``make_room`` shifts the foreign rules up by one
``k`` for all of them, chosen so that no new priority is in use at the time of
the call (SetRulePriorities checks each new priority against the listener as
it is). Each moved rule records its original priority (``from=N``, written
before the move, _elbv2.apply_plan); putting them back is a move to N.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import bisect

from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_PRIORITY

SPACING = 10
# Slots a shift leaves beyond what the current change needs, so the next set
# (bypass, then sorry, then another host) does not need another shift.
HEADROOM = 9
END = MAX_PRIORITY + 1
KIND_RANK = {'bypass': 0, 'sorry': 1, 'preview': 2}


class PlanError(Exception):
    pass


def order_key(kind, host_specific, narrowness=3):
    """Where a set goes in the owned block: by kind, host-specific before catch-all, then the narrower first
    (``_rules.narrowness`` of a sorry set: API paths, Accept, a language, the page), so a set added by a rerun
    still goes in front of the page it refines."""
    return (KIND_RANK.get(kind, len(KIND_RANK)), 0 if host_specific else 1, narrowness if kind == 'sorry' else 3)


def _count_free(lo, hi, obstacles):
    """Integers strictly between lo and hi that no obstacle (sorted list) holds."""
    if hi - lo <= 1:
        return 0
    inside = bisect.bisect_left(obstacles, hi) - bisect.bisect_right(obstacles, lo)
    return hi - lo - 1 - inside


def _spaced_slots(lo, hi, count, obstacles):
    """``count`` free priorities in (lo, hi), spaced up to SPACING apart from lo."""
    if count == 0:
        return []
    free = _count_free(lo, hi, obstacles)
    if free < count:
        raise PlanError('internal: %d slots needed between %d and %d, %d free' % (count, lo, hi, free))
    step = max(1, min(SPACING, free // (count + 1)))
    wanted = set(step * (i + 1) - 1 for i in range(count))
    taken = set(obstacles)
    slots = []
    index = -1
    priority = lo
    while len(slots) < count:
        priority += 1
        if priority in taken:
            continue
        index += 1
        if index in wanted:
            slots.append(priority)
    return slots


def _keep_most(items, limit, obstacles):
    """Indices of items to leave where they are: the most items whose current
    priorities increase along the sequence with room for the items between them."""
    size = len(items)
    best = [None] * size
    back = [None] * size
    for i, cur in enumerate(items):
        if cur is None or cur < 1 or cur > limit:
            continue
        score = 1 if _count_free(0, cur, obstacles) >= i else None
        link = None
        for j in range(i):
            prev = items[j]
            if best[j] is None or prev >= cur:
                continue
            if _count_free(prev, cur, obstacles) >= i - j - 1 and (score is None or best[j] + 1 > score):
                score = best[j] + 1
                link = j
        best[i] = score
        back[i] = link
    end = None
    for i, cur in enumerate(items):
        if best[i] is not None and _count_free(cur, limit + 1, obstacles) >= size - 1 - i:
            if end is None or best[i] > best[end]:
                end = i
    kept = []
    while end is not None:
        kept.append(end)
        end = back[end]
    return sorted(kept)


def layout(items, limit, obstacles=()):
    """New priorities for a sequence of rules that must sit in order in 1..limit.

    ``items`` are current priorities (None for a rule still to create).
    Returns the list of priorities, keeping as many current ones as possible.
    Raises PlanError when they do not fit.
    """
    obstacles = sorted(p for p in obstacles if 1 <= p <= limit)
    if _count_free(0, limit + 1, obstacles) < len(items):
        raise PlanError('%d rules do not fit in priorities 1..%d' % (len(items), limit))
    kept = _keep_most(items, limit, obstacles)
    result = [None] * len(items)
    anchors = [(-1, 0)] + [(i, items[i]) for i in kept] + [(len(items), limit + 1)]
    for (i, lo), (j, hi) in zip(anchors, anchors[1:]):
        if i >= 0:
            result[i] = lo
        for offset, slot in enumerate(_spaced_slots(lo, hi, j - i - 1, obstacles)):
            result[i + 1 + offset] = slot
    return result


def plan_shift(chain, occupied, need):
    """The smallest k >= need that moves ``chain`` (rules at or after F0, as
    (arn, priority) in priority order) up without any new priority in use now.

    Only the rules that would otherwise collide or overtake move.
    Returns (k, [(arn, old, new)]). Raises PlanError when 50000 is reached.
    """
    occupied = set(occupied)
    for k in range(max(need, 1), MAX_PRIORITY):
        moved = []
        last_new = None
        for arn, priority in chain:
            if last_new is not None and priority > last_new:
                break
            moved.append((arn, priority, priority + k))
            last_new = priority + k
        if all(new <= MAX_PRIORITY and new not in occupied for _arn, _old, new in moved):
            return k, moved
    raise PlanError('no shift keeps the moved rules within priority %d' % MAX_PRIORITY)


def _describe(rule):
    return '%s (priority %d)' % (rule['arn'], rule['priority'])


def plan_auto(others, mine, my_order, make_room=False):
    """Priorities for this set's rules, placed automatically.

    others: every other non-default rule on the listener (rules of this set
        that are going to be deleted excluded), as dicts with ``arn``,
        ``priority``, ``order`` (order_key of an owned set, None when the rule
        is not owned), ``set`` (owned set identity), ``pinned`` (owned rule
        at a priority its caller asked for) and ``shift`` (recorded shift of
        a foreign rule).
    mine: one entry per wanted rule of this set, in part order, as dicts with
        ``arn`` and ``priority`` (both None for a rule to create).

    Returns dict(priorities, moves=[(arn, old, new)], shifted={arn: total
    shift}, shift=k). Raises PlanError with a message for the operator.
    """
    foreign = sorted((o for o in others if o['order'] is None), key=lambda o: o['priority'])
    first = foreign[0]['priority'] if foreign else END
    block = [o for o in others if o['order'] is not None and not o.get('pinned') and o['priority'] < first]
    # Pinned owned rules in front stay where they are; rules behind F0 are
    # either left alone or moved further up by a shift, so never in the way.
    obstacles = sorted(o['priority'] for o in others if o['order'] is not None and o.get('pinned') and o['priority'] < first)

    groups = {}
    for rule in block:
        groups.setdefault(rule['set'], []).append(rule)
    keyed = []
    for key, rules in groups.items():
        rules.sort(key=lambda r: r['priority'])
        keyed.append(((rules[0]['order'], rules[0]['priority'], 0), [(r['arn'], r['priority']) for r in rules]))
    mine_current = [m['priority'] for m in mine if m.get('priority') is not None and m['priority'] < first]
    keyed.append(((my_order, min(mine_current) if mine_current else END, 1), None))
    keyed.sort(key=lambda entry: entry[0])

    sequence = []
    for _key, rules in keyed:
        if rules is None:
            sequence.extend(('mine', index, m.get('arn'), m.get('priority')) for index, m in enumerate(mine))
        else:
            sequence.extend(('other', None, arn, priority) for arn, priority in rules)

    limit = first - 1
    moves = []
    shifted = {}
    k = 0
    free = _count_free(0, first, obstacles)
    if free < len(sequence):
        if not make_room:
            if foreign:
                raise PlanError('no free priority in front of %s, the first rule this collection does not own: '
                                '%d owned rules need %d priorities and %d are free; set make_room=true to move '
                                'the other rules up (their priorities are restored when the last owned rule is '
                                'removed), or give a priority' % (_describe(foreign[0]), len(sequence), len(sequence), free))
            raise PlanError('%d owned rules do not fit in priorities 1..%d' % (len(sequence), MAX_PRIORITY))
        mine_arns = set(m.get('arn') for m in mine if m.get('arn'))
        chain = sorted(((o['arn'], o['priority']) for o in others if o['priority'] >= first and o['arn'] not in mine_arns),
                       key=lambda r: r[1])
        occupied = [o['priority'] for o in others] + [m['priority'] for m in mine if m.get('priority') is not None]
        k, moved = plan_shift(chain, occupied, len(sequence) - free + HEADROOM)
        by_arn = dict((o['arn'], o) for o in others)
        for arn, old, new in moved:
            moves.append((arn, old, new))
            if by_arn[arn]['order'] is None:
                shifted[arn] = by_arn[arn].get('shift', 0) + k
        limit = first + k - 1

    current = [entry[3] if entry[3] is not None and entry[3] <= limit else None for entry in sequence]
    placed = layout(current, limit, obstacles)
    priorities = [None] * len(mine)
    for entry, new in zip(sequence, placed):
        kind, index, arn, old = entry
        if kind == 'mine':
            priorities[index] = new
        if arn and old != new:
            moves.append((arn, old, new))
    return dict(priorities=priorities, moves=moves, shifted=shifted, shift=k)


def plan_explicit(others, mine, priority):
    """Priorities priority, priority+1, ... for this set's rules; never moves another rule."""
    holders = dict((o['priority'], o) for o in others)
    priorities = [priority + index for index in range(len(mine))]
    # A mirror set's size is only known after the read: without this check its
    # last CreateRule calls would fail after the first ones had succeeded.
    if priorities and priorities[-1] > MAX_PRIORITY:
        raise PlanError('priority %d..%d (%d rules) is outside 1..%d; choose a lower priority'
                        % (priority, priorities[-1], len(mine), MAX_PRIORITY))
    for wanted in priorities:
        holder = holders.get(wanted)
        if holder is None:
            continue
        if holder['order'] is None:
            raise PlanError('priority %d is held by %s, a rule this collection does not own; choose another '
                            'priority or leave it out for automatic placement' % (wanted, holder['arn']))
        raise PlanError('priority %d is held by %s, owned rule %s; choose another priority'
                        % (wanted, holder['arn'], '/'.join(str(x) for x in holder['set'])))
    moves = [(m['arn'], m['priority'], p) for m, p in zip(mine, priorities)
             if m.get('arn') and m['priority'] != p]
    return dict(priorities=priorities, moves=moves, shifted={}, shift=0)


def plan_restore(rules):
    """Moves that put shifted foreign rules back, once no owned rule is left.

    rules: every non-default rule left on the listener, as dicts with ``arn``,
    ``priority`` and ``shift``. Returns (moves, conflicts): when any original
    priority is taken (or two rules claim one), nothing moves and the
    conflicts say why, so relative order is never broken.
    """
    moves = [(r['arn'], r['priority'], r['priority'] - r['shift']) for r in rules if r.get('shift')]
    moving = set(arn for arn, _old, _new in moves)
    holders = dict((r['priority'], r['arn']) for r in rules)
    conflicts = []
    claimed = {}
    for arn, old, new in moves:
        if new < 1:
            conflicts.append('%s at %d cannot go back %d places' % (arn, old, old - new))
        elif holders.get(new) and holders[new] not in moving:
            conflicts.append('priority %d, where %s came from, is now held by %s' % (new, arn, holders[new]))
        elif new in claimed:
            conflicts.append('priority %d is claimed by both %s and %s' % (new, claimed[new], arn))
        claimed[new] = arn
    if conflicts:
        return [], conflicts
    return moves, []


def schedule(moves, occupied):
    """SetRulePriorities batches for ``moves`` ([(arn, old, new)]).

    Every new priority in a batch is free before that batch (the API checks
    each against the listener as it is); a cycle parks one rule on a free
    priority first. occupied: {priority: arn} of the listener before the moves.
    """
    position = dict(occupied)
    where = dict((arn, p) for p, arn in position.items())
    pending = [[arn, old, new] for arn, old, new in moves if old != new]
    targets = set(new for _arn, _old, new in pending)
    batches = []
    while pending:
        batch = [(arn, new) for arn, _old, new in pending if new not in position]
        if not batch:
            parked = pending[0]
            spare = next(p for p in range(MAX_PRIORITY, 0, -1) if p not in position and p not in targets)
            batch = [(parked[0], spare)]
        for arn, new in batch:
            del position[where[arn]]
            position[new] = arn
            where[arn] = new
        pending = [m for m in pending if where[m[0]] != m[2]]
        batches.append(batch)
    return batches
