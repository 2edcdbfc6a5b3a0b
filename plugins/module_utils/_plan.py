# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The change plan for one owned rule set on one listener (pure).

A plan is decided in full from one read of the listener before anything is
written: what to delete, move, modify, create and tag, and the rules as they
will be afterwards. Check mode returns that prediction; a real run executes
it (plugins/module_utils/_elbv2.py: apply_plan).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sorrypage.aws.plugins.module_utils import _priorities
from ansible_collections.sorrypage.aws.plugins.module_utils import _rules
from ansible_collections.sorrypage.aws.plugins.module_utils import _tags

# The start of the warning a real run gives when it shifts foreign rules.
ROOM_PREFIX = 'making room: '

PlanError = _priorities.PlanError


def classify(rules):
    """Split a listener's non-default rules into (owned, foreign); owned ones get ``owner``."""
    owned = []
    foreign = []
    for rule in rules:
        owner = _tags.owner_of(rule['tags'])
        if owner:
            owned.append(dict(rule, owner=owner))
        else:
            foreign.append(rule)
    return owned, foreign


def drift_of(rule):
    """A message when an owned rule is not what this collection wrote, else None."""
    recorded = rule['tags'].get(_tags.HASH)
    if recorded == _rules.rule_hash(rule['conditions'], rule['actions']):
        return None
    kind, name, part = rule['owner']
    return ("rule %s (%s '%s' part %d, priority %d) %s" % (
        rule['arn'], kind, name, part, rule['priority'],
        'was changed outside sorrypage: its conditions or actions differ from what was written'
        if recorded else 'has lost its sorrypage:hash tag'))


def _public(rule):
    return _rules.public_rule(rule['arn'], rule['priority'], rule['conditions'], rule['actions'], rule['tags'])


def _others(owned, foreign):
    # A set is host-specific when all its rules are (as its own spec would say):
    # mirror copies of a catch-all default make a set generic.
    specific = {}
    narrow = {}
    for rule in owned:
        key = rule['owner'][:2]
        specific[key] = specific.get(key, True) and _rules.host_specific(rule['conditions'])
        narrow[key] = min(narrow.get(key, _rules.NARROW_NONE), _rules.narrowness(rule['conditions']))
    others = []
    for rule in owned:
        key = rule['owner'][:2]
        others.append(dict(arn=rule['arn'], priority=rule['priority'], set=key,
                           order=_priorities.order_key(key[0], specific[key], narrow[key]),
                           pinned=rule['tags'].get(_tags.PINNED) == 'true', shift=0))
    for rule in foreign:
        others.append(dict(arn=rule['arn'], priority=rule['priority'], set=None, order=None, pinned=False,
                           shift=_tags.parse_shift(rule['tags'], rule['priority'])))
    return others


def _empty(spec):
    return dict(changed=False, deletes=[], move_batches=[], moved_rules=[], room=[], shift_tags={}, unshift=[], modifies=[],
                tag_updates=[], untag_pinned=[], creates=[], info_tags={}, info_parts=[], warnings=[], drift=[],
                before=[], after=[], target_group_source=None, kind=spec['kind'], name=spec['name'])


def _occupied_after(rules, deleted):
    return dict((r['priority'], r['arn']) for r in rules if r['arn'] not in deleted)


def _moved(moves):
    return [{'arn': arn, 'from': old, 'to': new} for arn, old, new in moves if old != new]


def plan_present(spec, listener, priority=None, make_room=False, info_tags=None):
    """What to do so the set ``spec`` is on ``listener`` ({rules, default_actions})."""
    plan = _empty(spec)
    owned, foreign = classify(listener['rules'])
    key = (spec['kind'], spec['name'])
    mine = sorted((r for r in owned if r['owner'][:2] == key), key=lambda r: r['priority'])
    others_owned = [r for r in owned if r['owner'][:2] != key]
    try:
        desired, plan['target_group_source'] = _rules.desired_rules(spec, foreign, listener['default_actions'])
    except _rules.RuleError as e:
        raise PlanError(str(e))
    plan['before'] = [_public(r) for r in sorted(mine, key=lambda r: (r['owner'][2], r['priority']))]
    plan['drift'] = [m for m in (drift_of(r) for r in mine) if m]

    keep = {}
    for rule in mine:
        part = rule['owner'][2]
        if 0 <= part < len(desired) and part not in keep:
            keep[part] = rule
        else:
            plan['deletes'].append(rule['arn'])

    others = _others(others_owned, foreign)
    slots = [dict(arn=keep[i]['arn'], priority=keep[i]['priority']) if i in keep else dict(arn=None, priority=None)
             for i in range(len(desired))]
    if priority is not None:
        placed = _priorities.plan_explicit(others, slots, priority)
    else:
        narrow = min([_rules.narrowness(rule['conditions']) for rule in desired] or [_rules.NARROW_NONE])
        placed = _priorities.plan_auto(others, slots, _priorities.order_key(spec['kind'], bool(spec['hosts']), narrow),
                                       make_room)
    occupied = _occupied_after(listener['rules'], set(plan['deletes']))
    plan['move_batches'] = _priorities.schedule(placed['moves'], occupied)
    plan['moved_rules'] = _moved(placed['moves'])
    # The record of where each moved foreign rule came from, written before it moves (_elbv2.apply_plan); a rule
    # that already says so (moved before, or tagged by a run whose move did not happen) is not tagged again.
    current = dict((rule['arn'], rule) for rule in foreign)
    plan['room'] = sorted(placed['shifted'])
    for arn in plan['room']:
        rule = current[arn]
        value = _tags.origin_value(rule['priority'] - _tags.parse_shift(rule['tags'], rule['priority']))
        if rule['tags'].get(_tags.SHIFT) != value:
            plan['shift_tags'].setdefault(value, []).append(arn)
    if placed['shifted']:
        first_arn = plan['room'][0]
        plan['warnings'].append(ROOM_PREFIX + '%d rules this collection does not own move up by %d (e.g. %s); they '
                                'go back when the last owned rule on the listener is removed'
                                % (len(placed['shifted']), placed['shift'], first_arn))
    if priority is not None and foreign and priority > min(r['priority'] for r in foreign) and spec['kind'] != 'preview':
        plan['warnings'].append('priority %d is behind rule %s at %d, which this collection does not own: requests it '
                                'matches never reach this %s rule' % (priority, foreign[0]['arn'], foreign[0]['priority'],
                                                                      spec['kind']))

    info_tags = info_tags or {}
    pinned = priority is not None
    for part, wanted in enumerate(desired):
        content_hash = _rules.rule_hash(wanted['conditions'], wanted['actions'])
        ownership = _tags.ownership_tags(spec['kind'], spec['name'], part, content_hash)
        if pinned:
            ownership[_tags.PINNED] = 'true'
        current = keep.get(part)
        new_priority = placed['priorities'][part]
        if current is None:
            plan['creates'].append(dict(part=part, priority=new_priority, conditions=wanted['conditions'],
                                        actions=wanted['actions'], tags=ownership))
            tags = dict(ownership)
            arn = None
        else:
            arn = current['arn']
            if not _rules.same_rule(current['conditions'], current['actions'], wanted['conditions'], wanted['actions']):
                plan['modifies'].append(dict(arn=arn, part=part, conditions=wanted['conditions'], actions=wanted['actions']))
            changed_tags = dict((k, v) for k, v in ownership.items() if current['tags'].get(k) != v)
            if changed_tags:
                plan['tag_updates'].append((arn, changed_tags))
            tags = dict(current['tags'])
            tags.update(ownership)
            if not pinned and _tags.PINNED in tags:
                plan['untag_pinned'].append(arn)
                del tags[_tags.PINNED]
        if any(tags.get(k) != v for k, v in info_tags.items()):
            plan['info_parts'].append(part)
        tags.update(info_tags)
        plan['after'].append(_rules.public_rule(arn, new_priority, wanted['conditions'], wanted['actions'], tags))
    if plan['info_parts']:
        plan['info_tags'] = dict(info_tags)
    plan['changed'] = any(plan[k] for k in ('deletes', 'move_batches', 'shift_tags', 'modifies', 'tag_updates',
                                            'untag_pinned', 'creates', 'info_parts'))
    return plan


def plan_absent(spec, listener):
    """What to do so no rule of the set ``spec`` is on ``listener``; when that
    leaves no owned rule at all, put moved foreign rules back."""
    plan = _empty(spec)
    owned, foreign = classify(listener['rules'])
    key = (spec['kind'], spec['name'])
    mine = [r for r in owned if r['owner'][:2] == key]
    plan['before'] = [_public(r) for r in sorted(mine, key=lambda r: (r['owner'][2], r['priority']))]
    plan['drift'] = [m for m in (drift_of(r) for r in mine) if m]
    plan['deletes'] = [r['arn'] for r in mine]
    if len(mine) == len(owned):
        left = [dict(arn=r['arn'], priority=r['priority'], shift=_tags.parse_shift(r['tags'], r['priority']))
                for r in foreign]
        moves, conflicts = _priorities.plan_restore(left)
        if conflicts:
            plan['warnings'].append('the rules moved to make room were left where they are, because their original '
                                    'priorities are not all free: %s' % '; '.join(conflicts))
        occupied = _occupied_after(listener['rules'], set(plan['deletes']))
        plan['move_batches'] = _priorities.schedule(moves, occupied)
        plan['moved_rules'] = _moved(moves)
        # A +k record of an earlier version says "k below where I am": once the rule is back that would be wrong, so
        # it becomes from=N before the move, and a rerun after a lost answer reads the rule as back.
        legacy = dict((r['arn'], r) for r in foreign if _tags.is_legacy_shift(r['tags']))
        for arn, _old, new in moves:
            if arn in legacy:
                plan['shift_tags'].setdefault(_tags.origin_value(new), []).append(arn)
        # Every record goes once the rules are back, also a stale one on a rule already back (an off whose
        # restore answered but whose RemoveTags did not); while any rule cannot go back, every record stays.
        plan['unshift'] = [] if conflicts else sorted(r['arn'] for r in foreign if _tags.SHIFT in r['tags'])
    plan['changed'] = bool(plan['deletes'] or plan['move_batches'] or plan['unshift'])
    return plan


def plan_delete(spec, listener, arns):
    """A plan that only deletes the rules ``arns`` still on ``listener``, rules this collection does not own
    (the controller's, recognised by their page marker): nothing moves, nothing is put back."""
    plan = _empty(spec)
    wanted = set(arns or [])
    gone = [r for r in listener['rules'] if r['arn'] in wanted]
    plan['before'] = [_public(r) for r in gone]
    plan['deletes'] = [r['arn'] for r in gone]
    plan['changed'] = bool(plan['deletes'])
    return plan


def warnings_and_notes(plan, check_mode):
    """(warnings, notes) to report for a plan. In check mode nothing moves, so making room is a
    prediction (a note in the result), not a warning; a real run warns as it always did."""
    if not check_mode:
        return list(plan['warnings']), []
    room = [w for w in plan['warnings'] if w.startswith(ROOM_PREFIX)]
    return ([w for w in plan['warnings'] if w not in room],
            ['would make room (check mode, nothing moved): ' + w[len(ROOM_PREFIX):] for w in room])
