# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A maintenance window that ends by itself (pure): one EventBridge Scheduler
one-time schedule per sorry rule, whose universal target deletes that rule at
the announced end.

Names, validation, the schedules wanted from the rules and the time, the
comparison with what the group holds (creates / updates / deletes), and the
time-left report with its warning. No AWS call here: the module reads and
writes, these functions decide.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import math
import re
from datetime import datetime, timezone

try:
    from zoneinfo import ZoneInfo
except ImportError:  # Python < 3.9; the collection needs 3.9+
    ZoneInfo = None

# The universal target: the Scheduler calls ELBv2 DeleteRule with Input as its parameters.
TARGET_ARN = 'arn:aws:scheduler:::aws-sdk:elasticloadbalancingv2:deleteRule'
NAME_MAX = 64
NAME_RE = re.compile(r'^[0-9a-zA-Z_.-]{1,64}$')
_NAME_BAD_CHARS = re.compile(r'[^0-9a-zA-Z_.-]+')
ROLE_ARN_RE = re.compile(r'^arn:aws[a-z-]*:iam::\d{12}:role/(?:[\x21-\x7e]*/)?[\w+=,.@-]{1,64}$')
RULE_ARN_RE = re.compile(r'^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener-rule/app/[^/]+/[0-9a-f]+/[0-9a-f]+/[0-9a-f]+$')
# Less lead time than this and the schedule may not be created before it is due.
MIN_LEAD_SECONDS = 60
# Less than this left and `info` warns.
WARN_SECONDS = 15 * 60
DESCRIPTION = 'sorrypage.aws: ends the Sorry page (deletes sorry rule %s) at the end of maintenance'
_AT_RE = re.compile(r'^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$')


# On every rule of a site whose window ends by itself: the schedule group, so `off` and `status` know from the
# site itself (from any machine) that there are schedules to read and remove.
GROUP_TAG = 'sorrypage:auto-off'
GROUP_PREFIX = 'sorrypage-'
INGRESS_REFUSAL = ('sorry_auto_off works with the ALB driver only: the Ingress driver\'s rules are the controller\'s, '
                   'which re-creates a deleted rule and rewrites rules at its priorities, so a recorded rule ARN may '
                   'later hold an application rule; use sorry_driver: alb for a window that ends by itself')


class AutoOffError(ValueError):
    """An input the Scheduler would refuse or that would make no sense; the message names it."""


def group_name(load_balancer_name):
    """The schedule group of a site: sorrypage-<load balancer name> (ALB names have at most 32 characters)."""
    return GROUP_PREFIX + ('' if load_balancer_name is None else str(load_balancer_name))


def group_tags(auto_off, load_balancer_name):
    """The tag the rules carry when sorry_auto_off is true ({} otherwise: with auto, a rerun keeps the tag the
    rules have, keep_tags)."""
    on = auto_off if isinstance(auto_off, bool) else str(auto_off).strip().lower() in ('true', 'yes', 'on', '1')
    return {GROUP_TAG: group_name(load_balancer_name)} if on else {}


def recorded_group(result):
    """The schedule group named by the rules' GROUP_TAG in an alb_sorry_info (or alb_sorry_site) result, or ''."""
    for listener in (result if isinstance(result, dict) else {}).get('listeners') or []:
        for rule in (listener.get('owned_rules') or []) + (listener.get('rules') or []):
            group = (rule.get('tags') or {}).get(GROUP_TAG)
            if group:
                return group
    return ''


def recorded_role(current):
    """The execution role of the group's schedules ({name: GetSchedule response}), or '' when there is none."""
    for name in sorted(current or {}):
        role = ((current[name] or {}).get('Target') or {}).get('RoleArn')
        if role:
            return role
    return ''


def mode(requested, recorded_group, until):
    """What `on` does with the schedules after the switch: 'present' (set or move them to ``until``), 'absent'
    (cancel them), 'keep' (leave them: no end given) or 'none'.

    ``requested``: sorry_auto_off (auto, true or false); ``recorded_group``:
    the group the site's rules name (a window an earlier run set to end by
    itself). ``auto`` keeps what the site has: a rerun of `on` to extend the
    window (a later sorry_until) moves its end, and never leaves the old end
    to fire in the middle of the extended window."""
    text = ('%s' % requested).strip().lower()
    if text in ('true', 'yes', 'on', '1'):
        wanted = True
    elif text in ('false', 'no', 'off', '0'):
        wanted = False
    elif text == 'auto':
        wanted = bool(recorded_group)
    else:
        raise AutoOffError("sorry_auto_off must be auto, true or false, got '%s'" % requested)
    if not wanted:
        return 'absent' if recorded_group else 'none'
    return 'present' if until else 'keep'


def driver_problem(driver):
    """Why the window cannot end by itself with this driver ('' when it can)."""
    return INGRESS_REFUSAL if driver == 'ingress' else ''


def validate_group(group):
    """The group name, or AutoOffError naming the Scheduler's limits."""
    text = '' if group is None else str(group)
    if not NAME_RE.match(text):
        raise AutoOffError("group '%s' is not a valid schedule group name: 1 to %d characters among 0-9 a-z A-Z - _ . "
                           '(it has %d)' % (text, NAME_MAX, len(text)))
    return text


def validate_role_arn(arn):
    text = '' if arn is None else str(arn)
    if not ROLE_ARN_RE.match(text):
        raise AutoOffError("role_arn '%s' is not an IAM role ARN such as arn:aws:iam::123456789012:role/sorrypage-auto-off "
                           '(the execution role the Scheduler assumes to delete the sorry rules)' % text)
    return text


def parse_at(value, now, min_lead=MIN_LEAD_SECONDS):
    """The end of the window as an aware UTC datetime, whole seconds.

    ``value`` is ISO 8601 text with a UTC offset (``Z`` or ``+09:00``); ``now``
    an aware datetime. AutoOffError for text that is not a time, a time
    without offset, or one less than ``min_lead`` seconds ahead of ``now``
    (``on`` asks more before its switch: the pause and the probes come
    before the schedules)."""
    text = '' if value is None else str(value).strip()
    parsed = text[:-1] + '+00:00' if text[-1:] in ('Z', 'z') else text
    try:
        moment = datetime.fromisoformat(parsed)
    except ValueError:
        raise AutoOffError("at '%s' is not an ISO 8601 date and time such as 2026-03-02T14:00:00+09:00 or "
                           '2026-03-02T05:00:00Z' % text)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise AutoOffError("at '%s' has no UTC offset: the schedules are written in UTC, so say which zone it is in, "
                           'e.g. %s+09:00 or %sZ' % (text, text, text))
    moment = moment.astimezone(timezone.utc).replace(microsecond=0)
    ahead = (moment - now).total_seconds()
    if ahead < min_lead:
        when = ('%d s in the past' % -ahead) if ahead < 0 else ('only %d s from now' % ahead)
        raise AutoOffError("at '%s' (%s) is %s: the end of the window must be at least %d s in the future (now is %s)"
                           % (text, utc_text(moment), when, min_lead, utc_text(now)))
    return moment


def utc_text(moment):
    """``2026-03-02T05:00:00Z``."""
    return moment.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def at_expression(moment):
    """The Scheduler's one-time expression, to be read with ScheduleExpressionTimezone UTC."""
    return 'at(%s)' % moment.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%S')


def parse_expression(expression, zone_name='UTC'):
    """The aware UTC datetime of an ``at(...)`` expression in ``zone_name``; None for anything else."""
    found = _AT_RE.match(expression or '')
    if not found:
        return None
    local = datetime.strptime(found.group(1), '%Y-%m-%dT%H:%M:%S')
    if (zone_name or 'UTC') == 'UTC':
        return local.replace(tzinfo=timezone.utc)
    try:
        zone = ZoneInfo(zone_name)
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        return None
    return local.replace(tzinfo=zone).astimezone(timezone.utc)


def schedule_name(key):
    """The schedule's name for a rule key: characters the Scheduler refuses become ``-``; a name longer than 64
    keeps its start and ends with a hash of the whole key, so two long keys never share a name."""
    key = str(key)
    if NAME_RE.match(key):
        return key
    digest = hashlib.sha1(key.encode('utf-8')).hexdigest()[:8]
    text = _NAME_BAD_CHARS.sub('-', key)[:NAME_MAX - 9].strip('-') or 'rule'
    return '%s-%s' % (text, digest)


def validate_rules(rules, need_arns=True):
    """[(schedule name, key, arn)] in input order; AutoOffError for a missing key, a bad or missing ARN (unless
    ``need_arns`` is false: a check-mode run may not have the ARN of a rule still to create), a key or an ARN given
    twice."""
    out = []
    names, arns = {}, {}
    for index, rule in enumerate(rules or []):
        rule = rule or {}
        key, arn = rule.get('key'), rule.get('arn')
        if key is None or str(key).strip() == '':
            raise AutoOffError('rules[%d] has no key (give each sorry rule a stable key, e.g. 443-shop-0)' % index)
        key = str(key)
        if arn is None or arn == '':
            if need_arns:
                raise AutoOffError("rules[%d] (key '%s') has no arn: the sorry rule's ARN is needed (a check-mode result "
                                   'of alb_sorry_site has none for a rule still to create)' % (index, key))
            arn = None
        elif not RULE_ARN_RE.match(str(arn)):
            raise AutoOffError("rules[%d] (key '%s'): arn '%s' is not an ALB listener rule ARN "
                               '(arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/...)' % (index, key, arn))
        name = schedule_name(key)
        if name in names:
            first = names[name]
            raise AutoOffError("rules[%d] (key '%s') gives schedule name '%s', as rules[%d] (key '%s') does: keys must "
                               'differ in more than characters outside 0-9 a-z A-Z - _ .' % (index, key, name, first[0], first[1]))
        if arn is not None and arn in arns:
            raise AutoOffError("rules[%d] (key '%s') has the same arn as rules[%d] (key '%s'): one schedule per rule"
                               % (index, key, arns[arn][0], arns[arn][1]))
        names[name] = (index, key)
        if arn is not None:
            arns[arn] = (index, key)
        out.append((name, key, arn))
    return out


def desired_schedule(name, key, rule_arn, moment, role_arn):
    """The CreateSchedule / UpdateSchedule parameters (without GroupName) of one rule's schedule."""
    return dict(
        Name=name,
        Description=DESCRIPTION % key,
        ScheduleExpression=at_expression(moment),
        ScheduleExpressionTimezone='UTC',
        FlexibleTimeWindow=dict(Mode='OFF'),
        ActionAfterCompletion='DELETE',
        State='ENABLED',
        Target=dict(Arn=TARGET_ARN, RoleArn=role_arn, Input=json.dumps({'RuleArn': rule_arn}, sort_keys=True)),
    )


def desired_schedules(validated, moment, role_arn):
    """{name: parameters} for the output of validate_rules."""
    return dict((name, desired_schedule(name, key, arn, moment, role_arn)) for name, key, arn in validated)


def rule_arn_of(schedule):
    """The RuleArn a schedule's target input names, or None (not ours, or not JSON)."""
    text = ((schedule or {}).get('Target') or {}).get('Input')
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value.get('RuleArn') if isinstance(value, dict) else None


def comparable(schedule):
    """What decides whether a schedule must be rewritten, from parameters or a GetSchedule response
    (read-only fields and the Scheduler's defaults such as RetryPolicy left out)."""
    schedule = schedule or {}
    target = schedule.get('Target') or {}
    text = target.get('Input')
    try:
        target_input = json.loads(text) if text else None
    except ValueError:
        target_input = text
    return dict(
        description=schedule.get('Description'),
        expression=schedule.get('ScheduleExpression'),
        timezone=schedule.get('ScheduleExpressionTimezone') or 'UTC',
        flexible=(schedule.get('FlexibleTimeWindow') or {}).get('Mode'),
        after=schedule.get('ActionAfterCompletion'),
        state=schedule.get('State'),
        target_arn=target.get('Arn'),
        role_arn=target.get('RoleArn'),
        input=target_input,
    )


def plan(desired, current):
    """What to write: dict(create, update, delete, unchanged), each a sorted list of names.

    ``desired`` is {name: parameters}; ``current`` {name: GetSchedule response} of the schedules the group holds.
    A schedule there that no rule wants (a sorry set taken away, a listener gone) is deleted."""
    create, update, unchanged = [], [], []
    for name in sorted(desired):
        if name not in current:
            create.append(name)
        elif comparable(desired[name]) != comparable(current[name]):
            update.append(name)
        else:
            unchanged.append(name)
    delete = sorted(name for name in current if name not in desired)
    return dict(create=create, update=update, delete=delete, unchanged=unchanged)


def changed(actions):
    return bool(actions['create'] or actions['update'] or actions['delete'])


def summary(name, schedule, state=None):
    """One schedule as the module returns it: name, rule_arn, at_utc (and state when given)."""
    schedule = schedule or {}
    moment = parse_expression(schedule.get('ScheduleExpression'), schedule.get('ScheduleExpressionTimezone') or 'UTC')
    out = dict(name=name, rule_arn=rule_arn_of(schedule), at_utc=utc_text(moment) if moment else None)
    if state is not None:
        out['state'] = state
    return out


def present_summary(desired, current, actions):
    """[{name, rule_arn, at_utc, state}]: every wanted schedule (state created, updated or unchanged), then every
    schedule deleted (state deleted, as it was)."""
    out = []
    for state in ('create', 'update', 'unchanged'):
        for name in actions[state]:
            out.append(summary(name, desired[name], dict(create='created', update='updated')
                               .get(state, 'unchanged')))
    for name in actions['delete']:
        out.append(summary(name, current[name], 'deleted'))
    return sorted(out, key=lambda item: (item['state'] == 'deleted', item['name']))


def time_left(schedules, now):
    """(next_at_utc, seconds_left, warnings) for GetSchedule responses (or parameters) of one group.

    seconds_left is negative when a schedule is overdue: a fired one deletes itself, so one still there after its
    time did not delete its rule (the execution role?)."""
    moments = []
    for schedule in schedules or []:
        moment = parse_expression(schedule.get('ScheduleExpression'), schedule.get('ScheduleExpressionTimezone') or 'UTC')
        if moment is not None:
            moments.append((moment, schedule.get('Name')))
    if not moments:
        return None, None, []
    moment, name = min(moments)
    seconds = int(math.floor((moment - now).total_seconds()))
    warnings = []
    if seconds < 0:
        warnings.append("schedule %s was due at %s (%d min ago) and is still there: it should have deleted its sorry rule "
                        "and itself; check its target's execution role (elasticloadbalancing:DeleteRule) and run `off` to end "
                        'the Sorry page' % (name, utc_text(moment), int(math.ceil(-seconds / 60.0))))
    elif seconds < WARN_SECONDS:
        warnings.append('the Sorry page ends by itself in %d min (at %s): run `on` with a later sorry_until to extend it'
                        % (max(1, int(math.ceil(seconds / 60.0))), utc_text(moment)))
    return utc_text(moment), seconds, warnings


def absent_summary(listed, gone_on_delete, expected_names):
    """(deleted, already_gone): names deleted now, and names expected (from the rules given) or listed that were
    gone already (a fired schedule deletes itself)."""
    deleted = sorted(name for name in listed if name not in gone_on_delete)
    already = set(gone_on_delete) | set(name for name in expected_names or [] if name not in listed)
    return deleted, sorted(already)


def now_utc():
    return datetime.now(timezone.utc)


def status_lines(result):
    """The operator's lines of alb_sorry_auto_off state=status: when the window ends by itself, and the warnings."""
    result = result if isinstance(result, dict) else {}
    schedules = result.get('schedules') or []
    if not schedules:
        return ['auto-off: no schedule left in %s: the Sorry page ends only with `off`' % (result.get('group') or '?')]
    seconds = result.get('seconds_left')
    left = ('%d min' % max(1, int(math.ceil(seconds / 60.0)))) if isinstance(seconds, int) and seconds >= 0 else 'overdue'
    lines = ['auto-off: the Sorry page ends by itself at %s (in %s; %d schedule(s) in %s)'
             % (result.get('next_at_utc'), left, len(schedules), result.get('group') or '?')]
    return lines + ['WARNING: %s' % w for w in result.get('time_left_warnings') or []]
