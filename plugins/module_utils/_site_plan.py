# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The change plan for a whole site: every rule set on every listener (pure).

One read of the site, then every rule set is planned on every listener with
the one-set planners of ``_plan``, each set against the listener as the sets
before it will have left it (the predicted state is chained from set to set).
Every input, every target inference and the rules-per-load-balancer quota are
checked before the first write: an error anywhere means no write anywhere.

Sets are planned in the order they will be written, by phase: on the way in
bypass (and passthrough) sets first on every listener, then sorry and
preview sets; on the way out the reverse. The caller's order is kept within
a phase.

With state absent and page markers, the rules the AWS Load Balancer
Controller made from the Ingress driver's edit (``_info.controller_rules``:
kinds sorry and bypass, never preview) are deleted too, each kind first in
its phase: the controller's sorry rules with ours, before any bypass rule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.sorrypage.aws.plugins.module_utils import _info
from ansible_collections.sorrypage.aws.plugins.module_utils import _plan
from ansible_collections.sorrypage.aws.plugins.module_utils import _rules
from ansible_collections.sorrypage.aws.plugins.module_utils import _tags
from ansible_collections.sorrypage.aws.plugins.module_utils import _validate
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import DEFAULT_RULES_QUOTA

PLANNED = 'planned:'
_PHASES = {'present': {'bypass': 0, 'sorry': 1, 'preview': 1},
           'absent': {'sorry': 0, 'preview': 0, 'bypass': 1}}


def phase_of(kind, state):
    """0 for the sets written first, 1 for the ones after (bypass before sorry on the way in)."""
    return _PHASES[state][kind]


# Entries that delete the controller's rules come first in their phase (build_specs sorts by phase, then index).
CONTROLLER_INDEX = {'sorry': -2, 'bypass': -1}
CONTROLLER_KINDS = ('sorry', 'bypass')


def controller_entries(markers):
    """The entries that delete the rules the controller made from the Ingress edit (state absent): one per kind,
    sorry in the first phase, bypass in the second. [] when no marker is given (empty ones ignored)."""
    markers = [marker for marker in markers or [] if marker]
    if not markers:
        return []
    return [dict(index=CONTROLLER_INDEX[kind], phase=phase_of(kind, 'absent'), controller=kind, markers=markers,
                 spec=dict(kind=kind, name='controller'), info_tags={}) for kind in CONTROLLER_KINDS]


def with_controller(entries, markers):
    """``entries`` (from build_specs, state absent) and the controller's (``controller_entries``) in write order."""
    return sorted(list(entries) + controller_entries(markers), key=lambda entry: (entry['phase'], entry['index']))


def recognise(listener, entries):
    """[(rule, kind, marker)] the controller made from the Ingress edit on ``listener`` as read, kinds sorry and
    bypass only (a preview stays), when ``entries`` hold the controller's; else [].

    Read once, before any write: a bypass is known by the sorry rule behind it, which the first phase deletes."""
    markers = next((entry['markers'] for entry in entries if entry.get('controller')), None)
    if not markers:
        return []
    _owned, foreign = _plan.classify(listener['rules'])
    return [(rule, kind, marker) for rule, kind, marker in _info.controller_rules(foreign, markers)
            if kind in CONTROLLER_KINDS]


def _controller_step(entry, current, recognised):
    mine = [(rule, marker) for rule, kind, marker in recognised if kind == entry['controller']]
    plan = _plan.plan_delete(entry['spec'], current, [rule['arn'] for rule, _marker in mine])
    gone = set(plan['deletes'])
    # Reported as alb_sorry_info reports them (made_by controller, header values masked).
    plan['controller_deleted'] = [_info._controller_rule(rule, entry['controller'], marker)  # pylint: disable=protected-access
                                  for rule, marker in mine if rule['arn'] in gone]
    return dict(index=entry['index'], phase=entry['phase'], kind=entry['controller'], name=entry['spec']['name'],
                plan=plan, controller=True)


def set_label(index, rule_set):
    return "rule_sets[%d] (%s '%s')" % (index, rule_set.get('kind') or 'sorry', rule_set.get('name') or rule_set.get('kind') or 'sorry')


def listener_label(listener):
    return 'listener %s:%s (%s)' % (listener.get('protocol') or '-', listener['port'], listener['arn'])


def set_params(rule_set, state, http_headers, allow_any_source, origin_header=None):
    """One rule set as the params ``_validate.validate`` and ``_rules.build_spec`` take."""
    required = []
    if rule_set.get('use_origin_header') and origin_header:
        required = [dict(name=origin_header.get('name'), values=[origin_header.get('value')])]
    return dict(
        required_headers=required, listener_arn='site', state=state, kind=rule_set.get('kind') or 'sorry',
        name=rule_set.get('name'),
        content=rule_set.get('content'), content_type=rule_set.get('content_type') or 'text/html',
        status_code=rule_set.get('status_code'), host_headers=rule_set.get('host_headers') or [],
        path_patterns=rule_set.get('path_patterns') or [], source_ips=rule_set.get('source_ips') or [],
        http_headers=(list(http_headers or []) if rule_set.get('use_http_headers') else [])
        + [dict(name=h.get('name'), values=list(h.get('values') or [])) for h in rule_set.get('match_headers') or []],
        target_group_arn=rule_set.get('target_group_arn'), mirror=rule_set.get('mirror', False),
        priority=None, allow_any_source=allow_any_source,
    )


def build_specs(rule_sets, state, http_headers=None, allow_any_source=False, common_tags=None, origin_header=None):
    """Every rule set validated and turned into a spec: (entries, errors, warnings).

    entries: [{index, spec, phase, info_tags}] in write order. Errors name
    the rule set; header values never appear in them.
    """
    entries = []
    errors = []
    warnings = []
    seen = {}
    for index, rule_set in enumerate(rule_sets or []):
        label = set_label(index, rule_set)
        params = set_params(rule_set, state, http_headers, allow_any_source, origin_header)
        if rule_set.get('use_http_headers') and not http_headers and state == 'present':
            errors.append('%s: use_http_headers is set but http_headers is empty' % label)
        if rule_set.get('use_origin_header') and not (origin_header or {}).get('value') and state == 'present':
            errors.append('%s: use_origin_header is set but origin_header is not given' % label)
        problems = _validate.validate(params)
        errors.extend('%s: %s' % (label, problem) for problem in problems)
        key = (params['kind'], params['name'] or params['kind'])
        if key in seen:
            errors.append('%s: the same kind and name as rule_sets[%d]; each rule set needs its own name' % (label, seen[key]))
        seen.setdefault(key, index)
        if problems:
            continue
        tags = dict(common_tags or {})
        tags.update(rule_set.get('tags') or {})
        info_tags, tag_warnings = _tags.sanitise_tags(tags)
        warnings.extend(tag_warnings)
        entries.append(dict(index=index, spec=_rules.build_spec(params), phase=phase_of(params['kind'], state),
                            info_tags=info_tags))
    entries.sort(key=lambda entry: (entry['phase'], entry['index']))
    return entries, errors, _rules.dedupe(warnings)


def placeholder(listener_arn, kind, name, part):
    """The ARN a rule still to create has in the predicted state."""
    return '%s%s/%s/%s/%d' % (PLANNED, listener_arn, kind, name, part)


def is_placeholder(arn):
    return bool(arn) and arn.startswith(PLANNED)


def fold_info_tags(plan):
    """Informational tags travel with CreateRule: no AddTags after a create."""
    created = set()
    for create in plan['creates']:
        if create['part'] in plan['info_parts']:
            create['tags'] = dict(create['tags'], **plan['info_tags'])
            created.add(create['part'])
    plan['info_parts'] = [part for part in plan['info_parts'] if part not in created]
    if not plan['info_parts']:
        plan['info_tags'] = {}
    return plan


def advance(listener, plan):
    """The listener ({arn, rules, default_actions}) as it will be after ``plan``.

    Rules still to create get a placeholder ARN (``placeholder``), which the
    plans of later sets may name; the executor swaps in the real one.
    """
    after = dict(listener)
    rules = dict((rule['arn'], copy.deepcopy(rule)) for rule in listener['rules'])
    for arn in plan['deletes']:
        rules.pop(arn, None)
    for move in plan['moved_rules']:
        rules[move['arn']]['priority'] = move['to']
    for value, arns in plan['shift_tags'].items():
        for arn in arns:
            rules[arn]['tags'][_tags.SHIFT] = value
    for arn in plan['unshift']:
        rules[arn]['tags'].pop(_tags.SHIFT, None)
    for change in plan['modifies']:
        rules[change['arn']].update(conditions=change['conditions'], actions=change['actions'])
    for arn, tags in plan['tag_updates']:
        rules[arn]['tags'].update(tags)
    for arn in plan['untag_pinned']:
        rules[arn]['tags'].pop(_tags.PINNED, None)
    for create in plan['creates']:
        arn = placeholder(listener['arn'], plan['kind'], plan['name'], create['part'])
        rules[arn] = dict(arn=arn, priority=create['priority'], conditions=copy.deepcopy(create['conditions']),
                          actions=copy.deepcopy(create['actions']), tags=dict(create['tags']))
    for part in plan['info_parts']:
        rules[plan['after'][part]['arn']]['tags'].update(plan['info_tags'])
    after['rules'] = sorted(rules.values(), key=lambda rule: rule['priority'])
    return after


def plan_listener(listener, entries, state, make_room=False, recognised=None):
    """Plans every entry on one listener, chained: (steps, final state, errors).

    steps: [{index, phase, kind, name, plan}] in write order; the steps that
    delete the controller's rules also have ``controller: True`` and their
    plan ``controller_deleted`` (the rules, in alb_sorry_info's shape).
    recognised: the controller's rules (``recognise``) when ``listener`` is a
    later read than the one they were recognised on; by default recognised
    on ``listener``.
    """
    steps = []
    errors = []
    current = listener
    if recognised is None:
        recognised = recognise(listener, entries)
    for entry in entries:
        spec = entry['spec']
        if entry.get('controller'):
            step = _controller_step(entry, current, recognised)
            steps.append(step)
            current = advance(current, step['plan'])
            continue
        try:
            if state == 'present':
                plan = _plan.plan_present(spec, current, make_room=make_room, info_tags=entry['info_tags'])
            else:
                plan = _plan.plan_absent(spec, current)
        except _plan.PlanError as e:
            errors.append('%s: %s: %s' % (listener_label(listener), set_label(entry['index'], spec), e))
            continue
        fold_info_tags(plan)
        steps.append(dict(index=entry['index'], phase=entry['phase'], kind=spec['kind'], name=spec['name'], plan=plan))
        current = advance(current, plan)
    return steps, current, errors


def rules_added(steps):
    return sum(len(step['plan']['creates']) - len(step['plan']['deletes']) for step in steps)


CONTROLLER_TAG_PREFIXES = ('ingress.k8s.aws/', 'elbv2.k8s.aws/', 'service.k8s.aws/')
# What to drop, per kind of rule, when the plan does not fit (in the order shown).
BUDGET_KINDS = (
    ('API (JSON)', 'fewer sorry_api entries or paths'),
    ('language', 'fewer languages per entry (sorry_pages[].languages)'),
    ('sorry', 'fewer sorry_pages entries (one entry may hold several hosts)'),
    ('bypass', 'fewer bypass CIDRs or headers (5 values per rule)'),
    ('bypass (mirror copies)', 'sorry_bypass_mirror: false with one target group'),
    ('passthrough', 'fewer sorry_passthrough_paths'),
    ('preview', 'no sorry_preview_path'),
    ("the controller's", None),
    ('other rules not ours', None),
    ('on listeners not switched', None),
)


def _set_kind(spec):
    if spec['kind'] == 'preview':
        return 'preview'
    if spec['kind'] == 'sorry':
        if spec.get('content_type') == 'application/json':
            return 'API (JSON)'
        if any(name.lower() == 'accept-language' for name, _values in spec.get('headers') or []):
            return 'language'
        return 'sorry'
    if spec['name'].startswith('passthrough-'):
        return 'passthrough'
    return 'bypass (mirror copies)' if spec.get('mirror') is True else 'bypass'


def rules_by_kind(planned, entries, rules_now):
    """What the load balancer would hold after the plan, by kind: [(kind, count)] of the kinds it has, in
    BUDGET_KINDS order. ``planned``: plan_site's listeners; ``rules_now``: every non-default rule of the
    load balancer now (listeners not switched count as they are)."""
    kinds = dict((spec_key(entry['spec']), _set_kind(entry['spec'])) for entry in entries)
    counts = {}
    on_planned = 0
    for listener in planned:
        on_planned += len(listener.get('rules') or [])      # the non-default rules read
        owned, foreign = _plan.classify(listener['final']['rules'])
        for rule in owned:
            kind = kinds.get(tuple(rule['owner'][:2]), 'bypass' if rule['owner'][0] == 'bypass' else rule['owner'][0])
            counts[kind] = counts.get(kind, 0) + 1
        for rule in foreign:
            mine = any(key.startswith(CONTROLLER_TAG_PREFIXES) for key in rule.get('tags') or {})
            kind = "the controller's" if mine else 'other rules not ours'
            counts[kind] = counts.get(kind, 0) + 1
    if rules_now - on_planned > 0:
        counts['on listeners not switched'] = rules_now - on_planned
    return [(kind, counts[kind]) for kind, _drop in BUDGET_KINDS if counts.get(kind)]


def spec_key(spec):
    return (spec['kind'], spec['name'])


def quota_error(balancer_name, rules_now, added, quota, kinds=None):
    """The message when the plan would take the load balancer over its rules quota, else None.

    ``kinds`` (rules_by_kind) adds the count per kind after the run and what to drop."""
    quota = quota or DEFAULT_RULES_QUOTA
    if added <= 0 or rules_now + added <= quota:
        return None
    total = rules_now + added
    message = ("load balancer '%s' has %d rules and this run would add %d, %d in all: over its quota of %d "
               "(rules-per-application-load-balancer, default rules not counted) by %d"
               % (balancer_name, rules_now, added, total, quota, total - quota))
    if kinds:
        drops = dict(BUDGET_KINDS)
        message += '; after this run: %s; to fit, drop %d: %s' % (
            ', '.join('%s %d' % (kind, count) for kind, count in kinds), total - quota,
            '; '.join([drops[kind] for kind, _count in kinds if drops.get(kind)] + ['or give fewer listener_ports']))
        return message + ', or ask AWS to raise the quota'
    return message + '; remove rules, give fewer listener_ports or ask AWS to raise the quota'


def needs_quota_read(rules_now, added):
    """The quota is only ever raised from its default, so it need not be read below that."""
    return added > 0 and rules_now + added > DEFAULT_RULES_QUOTA


def plan_site(listeners, entries, state, make_room=False):
    """Plans every entry on every listener: {listeners: [{..., steps, final}], errors}.

    listeners: [{arn, port, protocol, rules, default_actions}] as read;
    each planned listener keeps ``controller_rules`` (``recognise``) for a replan.
    """
    planned = []
    errors = []
    for listener in listeners:
        recognised = recognise(listener, entries)
        steps, final, listener_errors = plan_listener(listener, entries, state, make_room, recognised)
        errors.extend(listener_errors)
        planned.append(dict(listener, steps=steps, final=final, controller_rules=recognised))
    return dict(listeners=planned, errors=errors)


def owned_after(final, key=None):
    """Owned rules of the predicted state in public form (header values masked), by set and part."""
    owned, _foreign = _plan.classify(final['rules'])
    if key is not None:
        owned = [rule for rule in owned if rule['owner'][:2] == key]
        owned.sort(key=lambda rule: (rule['owner'][2], rule['priority']))
    else:
        owned.sort(key=lambda rule: rule['priority'])
    return [_rules.public_rule(None if is_placeholder(rule['arn']) else rule['arn'], rule['priority'], rule['conditions'],
                               rule['actions'], rule['tags']) for rule in owned]


def fold_warnings(planned, check_mode):
    """Plan warnings folded into one line per kind: (room line or None, other lines).

    The room line says what happened, or in check mode what would happen (the
    caller shows it as a note there, not as a warning: nothing moved)."""
    room_rules = set()
    room_listeners = set()
    other = []
    for listener in planned:
        for step in listener['steps']:
            plan = step['plan']
            if plan['room']:
                room_rules.update(plan['room'])
                room_listeners.add(listener['arn'])
            other.extend(w for w in plan['warnings'] if not w.startswith('making room:'))
    room = None
    if room_rules:
        room = ('%s room in front of %d rules this collection does not own on %d listener%s; they go back when the '
                'last owned rule on each listener is removed' % ('would make' if check_mode else 'made', len(room_rules),
                                                                 len(room_listeners), '' if len(room_listeners) == 1 else 's'))
    return room, _rules.dedupe(other)


def fold_auto_mirror(planned):
    """One line per bypass set that mirror auto mirrored, with the listeners and the reason(s)."""
    found = {}
    for listener in planned:
        for step in listener['steps']:
            source = step['plan'].get('target_group_source') or ''
            if step['kind'] == 'bypass' and source.startswith('mirror (auto: '):
                reasons, where = found.setdefault(step['name'], ([], []))
                reason = source[len('mirror (auto: '):-1]
                if reason not in reasons:
                    reasons.append(reason)
                where.append('%s:%s' % (listener.get('protocol') or '-', listener['port']))
    return ["bypass '%s' keeps the application's own routing (mirror auto) on %s: %s" % (name, ', '.join(where), '; '.join(reasons))
            for name, (reasons, where) in sorted(found.items())]


def controller_deleted(listener):
    """The controller's rules the steps of one planned listener delete, by priority (alb_sorry_info's shape)."""
    rules = [rule for step in listener['steps'] if step.get('controller') for rule in step['plan']['controller_deleted']]
    return sorted(rules, key=lambda rule: rule['priority'])


def fold_controller(planned, check_mode):
    """The note on the controller's rules deleted (would be, in check mode), with the listeners; None when none."""
    count = 0
    where = []
    for listener in planned:
        deleted = len(controller_deleted(listener))
        if deleted:
            count += deleted
            where.append('%s:%s' % (listener.get('protocol') or '-', listener['port']))
    if not count:
        return None
    return ('%s %d rule%s the controller made from the Ingress on %s (it is paused: the Ingress change could not '
            'reach the ALB)' % ('would delete' if check_mode else 'deleted', count, '' if count == 1 else 's',
                                ', '.join(where)))


def fold_drift(planned):
    drift = [m for listener in planned for step in listener['steps'] for m in step['plan']['drift']]
    if not drift:
        return []
    listeners = set(listener['arn'] for listener in planned for step in listener['steps'] if step['plan']['drift'])
    return ['%d owned rules on %d listener%s were changed outside sorrypage (see drift)' % (
        len(drift), len(listeners), '' if len(listeners) == 1 else 's')]


def dedupe_warnings(warnings):
    """Warnings from the writes of several listeners, each said once."""
    return _rules.dedupe(warnings)
