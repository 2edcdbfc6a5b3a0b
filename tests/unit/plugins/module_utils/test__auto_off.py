# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _auto_off
from ansible_collections.sorrypage.aws.plugins.module_utils._auto_off import AutoOffError

NOW = datetime(2026, 3, 2, 4, 0, 0, tzinfo=timezone.utc)
ROLE = 'arn:aws:iam::123456789012:role/sorrypage-auto-off'
RULE_A = ('arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/k8s-shop-main-1234567890/'
          '0123456789abcdef/0123456789abcdef/00000000000000aa')
RULE_B = RULE_A[:-2] + 'bb'


# --- names -------------------------------------------------------------------

@pytest.mark.parametrize('group', ['sorrypage-k8s-shop-main-1234567890', 'a', 'x' * 64, 'a_b.c-D9'])
def test_group_names_the_scheduler_takes(group):
    assert _auto_off.validate_group(group) == group


@pytest.mark.parametrize('group, length', [('', 0), (None, 0), ('x' * 65, 65), ('sorry page', 10), ('shop/main', 9)])
def test_group_names_refused_with_the_limit(group, length):
    with pytest.raises(AutoOffError) as err:
        _auto_off.validate_group(group)
    assert str(err.value) == ("group '%s' is not a valid schedule group name: 1 to 64 characters among 0-9 a-z A-Z - _ . "
                              '(it has %d)' % ('' if group is None else group, length))


def test_a_valid_key_is_the_schedule_name():
    assert _auto_off.schedule_name('443-shop-0') == '443-shop-0'
    assert _auto_off.schedule_name('x' * 64) == 'x' * 64


def test_a_key_with_other_characters_is_sanitised_and_hashed_apart():
    spaced = _auto_off.schedule_name('443-shop page-0')
    dashed = _auto_off.schedule_name('443-shop-page-0')
    assert spaced.startswith('443-shop-page-0-') and len(spaced) == len('443-shop-page-0-') + 8
    assert dashed == '443-shop-page-0'
    assert spaced != dashed
    assert _auto_off.NAME_RE.match(spaced)


def test_a_long_key_is_cut_to_64_with_a_hash():
    one, two = _auto_off.schedule_name('443-' + 'a' * 80 + '-0'), _auto_off.schedule_name('443-' + 'a' * 80 + '-1')
    assert len(one) == 64 and len(two) == 64 and one != two
    assert one.startswith('443-aaaa') and _auto_off.NAME_RE.match(one)


def test_a_key_of_only_refused_characters_still_gets_a_name():
    name = _auto_off.schedule_name('///')
    assert name.startswith('rule-') and _auto_off.NAME_RE.match(name)


# --- role and time -----------------------------------------------------------

@pytest.mark.parametrize('arn', [ROLE, 'arn:aws:iam::123456789012:role/service-role/sorry', 'arn:aws-cn:iam::123456789012:role/x'])
def test_role_arns_taken(arn):
    assert _auto_off.validate_role_arn(arn) == arn


@pytest.mark.parametrize('arn', ['sorrypage-auto-off', 'arn:aws:iam::123:role/x', 'arn:aws:iam::123456789012:user/x', None])
def test_role_arns_refused_naming_the_input(arn):
    with pytest.raises(AutoOffError) as err:
        _auto_off.validate_role_arn(arn)
    assert str(err.value).startswith("role_arn '%s' is not an IAM role ARN such as arn:aws:iam::123456789012:role/"
                                     % ('' if arn is None else arn))


@pytest.mark.parametrize('text, utc', [
    ('2026-03-02T14:00:00+09:00', datetime(2026, 3, 2, 5, 0, 0, tzinfo=timezone.utc)),
    ('2026-03-02T05:00:00Z', datetime(2026, 3, 2, 5, 0, 0, tzinfo=timezone.utc)),
    ('2026-03-02T05:00:00.750z', datetime(2026, 3, 2, 5, 0, 0, tzinfo=timezone.utc)),
    ('2026-03-01T23:30:00-05:00', datetime(2026, 3, 2, 4, 30, 0, tzinfo=timezone.utc)),
])
def test_at_is_converted_to_utc_whole_seconds(text, utc):
    assert _auto_off.parse_at(text, NOW) == utc


def test_at_not_a_time():
    with pytest.raises(AutoOffError) as err:
        _auto_off.parse_at('tomorrow 9am', NOW)
    assert str(err.value) == ("at 'tomorrow 9am' is not an ISO 8601 date and time such as 2026-03-02T14:00:00+09:00 or "
                              '2026-03-02T05:00:00Z')


def test_at_without_offset():
    with pytest.raises(AutoOffError) as err:
        _auto_off.parse_at('2026-03-02T14:00:00', NOW)
    assert str(err.value) == ("at '2026-03-02T14:00:00' has no UTC offset: the schedules are written in UTC, so say which "
                              'zone it is in, e.g. 2026-03-02T14:00:00+09:00 or 2026-03-02T14:00:00Z')


def test_at_in_the_past():
    with pytest.raises(AutoOffError) as err:
        _auto_off.parse_at('2026-03-02T12:00:00+09:00', NOW)
    assert str(err.value) == ("at '2026-03-02T12:00:00+09:00' (2026-03-02T03:00:00Z) is 3600 s in the past: the end of the "
                              'window must be at least 60 s in the future (now is 2026-03-02T04:00:00Z)')


def test_at_too_soon_and_just_enough():
    with pytest.raises(AutoOffError) as err:
        _auto_off.parse_at('2026-03-02T04:00:59Z', NOW)
    assert 'is only 59 s from now: the end of the window must be at least 60 s in the future' in str(err.value)
    assert _auto_off.parse_at('2026-03-02T04:01:00Z', NOW) == NOW + timedelta(seconds=60)


def test_expressions_round_trip():
    moment = datetime(2026, 3, 2, 14, 0, 5, tzinfo=timezone(timedelta(hours=9)))
    assert _auto_off.at_expression(moment) == 'at(2026-03-02T05:00:05)'
    assert _auto_off.parse_expression('at(2026-03-02T05:00:05)') == datetime(2026, 3, 2, 5, 0, 5, tzinfo=timezone.utc)
    assert _auto_off.utc_text(moment) == '2026-03-02T05:00:05Z'


def test_expression_in_another_zone_and_others():
    tokyo = _auto_off.parse_expression('at(2026-03-02T14:00:00)', 'Asia/Tokyo')
    assert tokyo == datetime(2026, 3, 2, 5, 0, tzinfo=timezone.utc)
    assert _auto_off.parse_expression('at(2026-03-02T14:00:00)', 'Mars/Olympus') is None
    assert _auto_off.parse_expression('rate(5 minutes)') is None
    assert _auto_off.parse_expression(None) is None


# --- rules -------------------------------------------------------------------

def test_rules_validated_in_order():
    assert _auto_off.validate_rules([dict(key='443-shop-0', arn=RULE_A), dict(key='80 shop 0', arn=RULE_B)]) == [
        ('443-shop-0', '443-shop-0', RULE_A), (_auto_off.schedule_name('80 shop 0'), '80 shop 0', RULE_B)]
    assert _auto_off.validate_rules(None) == []


@pytest.mark.parametrize('rules, message', [
    ([dict(arn=RULE_A)], 'rules[0] has no key (give each sorry rule a stable key, e.g. 443-shop-0)'),
    ([dict(key=' ', arn=RULE_A)], 'rules[0] has no key (give each sorry rule a stable key, e.g. 443-shop-0)'),
    ([dict(key='a', arn=RULE_A), dict(key='b')],
     "rules[1] (key 'b') has no arn: the sorry rule's ARN is needed (a check-mode result of alb_sorry_site has none "
     'for a rule still to create)'),
    ([dict(key='a', arn='arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/1/2')],
     "rules[0] (key 'a'): arn 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/1/2' is not an ALB "
     'listener rule ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/...)'),
    ([dict(key='a', arn=RULE_A), dict(key='a', arn=RULE_B)],
     "rules[1] (key 'a') gives schedule name 'a', as rules[0] (key 'a') does: keys must differ in more than "
     'characters outside 0-9 a-z A-Z - _ .'),
    ([dict(key='a', arn=RULE_A), dict(key='b', arn=RULE_A)],
     "rules[1] (key 'b') has the same arn as rules[0] (key 'a'): one schedule per rule"),
])
def test_rules_refused(rules, message):
    with pytest.raises(AutoOffError) as err:
        _auto_off.validate_rules(rules)
    assert str(err.value) == message


def test_check_mode_takes_a_rule_without_arn():
    assert _auto_off.validate_rules([dict(key='a'), dict(key='b', arn='')], need_arns=False) == [
        ('a', 'a', None), ('b', 'b', None)]


def test_desired_schedule_is_exactly_what_the_scheduler_needs():
    moment = _auto_off.parse_at('2026-03-02T14:00:00+09:00', NOW)
    wanted = _auto_off.desired_schedules(_auto_off.validate_rules([dict(key='443-shop-0', arn=RULE_A)]), moment, ROLE)
    assert wanted == {'443-shop-0': dict(
        Name='443-shop-0',
        Description='sorrypage.aws: ends the Sorry page (deletes sorry rule 443-shop-0) at the end of maintenance',
        ScheduleExpression='at(2026-03-02T05:00:00)', ScheduleExpressionTimezone='UTC',
        FlexibleTimeWindow={'Mode': 'OFF'}, ActionAfterCompletion='DELETE', State='ENABLED',
        Target={'Arn': 'arn:aws:scheduler:::aws-sdk:elasticloadbalancingv2:deleteRule', 'RoleArn': ROLE,
                'Input': '{"RuleArn": "%s"}' % RULE_A})}
    assert json.loads(wanted['443-shop-0']['Target']['Input']) == {'RuleArn': RULE_A}


# --- comparison --------------------------------------------------------------

def _desired(at='2026-03-02T05:00:00Z', rules=(('443-shop-0', RULE_A),), role=ROLE):
    return _auto_off.desired_schedules(_auto_off.validate_rules([dict(key=k, arn=a) for k, a in rules]),
                                       _auto_off.parse_at(at, NOW), role)


def _as_read(params):
    """A GetSchedule response for these parameters, with the fields the Scheduler adds."""
    out = json.loads(json.dumps(params))
    out.update(Arn='arn:aws:scheduler:eu-west-1:123456789012:schedule/g/%s' % params['Name'], GroupName='g',
               CreationDate='2026-03-02T03:00:00Z', KmsKeyArn=None)
    out['Target']['RetryPolicy'] = {'MaximumEventAgeInSeconds': 86400, 'MaximumRetryAttempts': 185}
    out['Target']['Input'] = json.dumps(json.loads(out['Target']['Input']), indent=2)  # same JSON, other text
    return out


def test_same_inputs_nothing_to_write():
    desired = _desired()
    actions = _auto_off.plan(desired, dict((n, _as_read(p)) for n, p in desired.items()))
    assert actions == dict(create=[], update=[], delete=[], unchanged=['443-shop-0'])
    assert _auto_off.changed(actions) is False


def test_new_rule_created_old_one_deleted():
    current = dict((n, _as_read(p)) for n, p in _desired(rules=(('80-shop-0', RULE_B),)).items())
    actions = _auto_off.plan(_desired(), current)
    assert actions == dict(create=['443-shop-0'], update=[], delete=['80-shop-0'], unchanged=[])
    assert _auto_off.changed(actions) is True


@pytest.mark.parametrize('change', [
    dict(at='2026-03-02T06:00:00Z'),                # extended
    dict(rules=(('443-shop-0', RULE_B),)),          # the sorry rule was re-created
    dict(role='arn:aws:iam::123456789012:role/other'),
])
def test_any_difference_is_an_update(change):
    current = dict((n, _as_read(p)) for n, p in _desired().items())
    actions = _auto_off.plan(_desired(**change), current)
    assert actions == dict(create=[], update=['443-shop-0'], delete=[], unchanged=[])


@pytest.mark.parametrize('field, value', [('State', 'DISABLED'), ('ActionAfterCompletion', 'NONE'),
                                          ('FlexibleTimeWindow', {'Mode': 'FLEXIBLE', 'MaximumWindowInMinutes': 5}),
                                          ('ScheduleExpressionTimezone', 'Asia/Tokyo')])
def test_a_schedule_changed_by_hand_is_put_right(field, value):
    read = _as_read(_desired()['443-shop-0'])
    read[field] = value
    assert _auto_off.plan(_desired(), {'443-shop-0': read})['update'] == ['443-shop-0']


def test_input_that_is_not_json_is_compared_as_text():
    read = _as_read(_desired()['443-shop-0'])
    read['Target']['Input'] = 'not json'
    assert _auto_off.comparable(read)['input'] == 'not json'
    assert _auto_off.plan(_desired(), {'443-shop-0': read})['update'] == ['443-shop-0']
    assert _auto_off.rule_arn_of(read) is None
    assert _auto_off.rule_arn_of({'Target': {'Input': '[1]'}}) is None
    assert _auto_off.rule_arn_of({}) is None


def test_comparable_defaults_the_zone_to_utc():
    read = _as_read(_desired()['443-shop-0'])
    del read['ScheduleExpressionTimezone']
    assert _auto_off.plan(_desired(), {'443-shop-0': read})['unchanged'] == ['443-shop-0']


def test_present_summary_states():
    desired = _desired(rules=(('443-shop-0', RULE_A), ('443-blog-0', RULE_B)), at='2026-03-02T06:00:00Z')
    current = dict((n, _as_read(p)) for n, p in _desired(rules=(('443-blog-0', RULE_B), ('80-old-0', RULE_A))).items())
    actions = _auto_off.plan(desired, current)
    assert _auto_off.present_summary(desired, current, actions) == [
        dict(name='443-blog-0', rule_arn=RULE_B, at_utc='2026-03-02T06:00:00Z', state='updated'),
        dict(name='443-shop-0', rule_arn=RULE_A, at_utc='2026-03-02T06:00:00Z', state='created'),
        dict(name='80-old-0', rule_arn=RULE_A, at_utc='2026-03-02T05:00:00Z', state='deleted')]
    same = _desired()
    assert _auto_off.present_summary(same, same, _auto_off.plan(same, same))[0]['state'] == 'unchanged'


def test_summary_of_a_schedule_not_ours():
    assert _auto_off.summary('x', {'ScheduleExpression': 'rate(1 hour)'}) == dict(name='x', rule_arn=None, at_utc=None)


# --- time left ---------------------------------------------------------------

def _reads(*ats):
    return [dict(_as_read(p), Name='s%d' % i) for i, at in enumerate(ats) for p in _desired(at=at).values()]


def test_time_left_plenty():
    assert _auto_off.time_left(_reads('2026-03-02T06:00:00Z', '2026-03-02T05:00:00Z'), NOW) == (
        '2026-03-02T05:00:00Z', 3600, [])


def test_time_left_just_over_fifteen_minutes_no_warning():
    assert _auto_off.time_left(_reads('2026-03-02T04:15:00Z'), NOW) == ('2026-03-02T04:15:00Z', 900, [])


@pytest.mark.parametrize('at, seconds, minutes', [('2026-03-02T04:14:59Z', 899, 15), ('2026-03-02T04:12:00Z', 720, 12),
                                                  ('2026-03-02T04:01:00Z', 60, 1)])
def test_time_left_warns_under_fifteen_minutes(at, seconds, minutes):
    assert _auto_off.time_left(_reads(at), NOW) == (at[:19] + 'Z', seconds, [
        'the Sorry page ends by itself in %d min (at %s): run `on` with a later sorry_until to extend it'
        % (minutes, at)])


def test_time_left_under_a_minute_says_one_minute():
    later = [dict(_reads('2026-03-02T05:00:00Z')[0], ScheduleExpression='at(2026-03-02T04:00:30)')]
    assert _auto_off.time_left(later, NOW)[2] == [
        'the Sorry page ends by itself in 1 min (at 2026-03-02T04:00:30Z): run `on` with a later sorry_until to extend it']


def test_time_left_overdue_schedule():
    overdue = [dict(_reads('2026-03-02T05:00:00Z')[0], ScheduleExpression='at(2026-03-02T03:58:30)', Name='443-shop-0')]
    assert _auto_off.time_left(overdue, NOW) == ('2026-03-02T03:58:30Z', -90, [
        'schedule 443-shop-0 was due at 2026-03-02T03:58:30Z (2 min ago) and is still there: it should have deleted '
        'its sorry rule and itself; check its target\'s execution role (elasticloadbalancing:DeleteRule) and run `off` '
        'to end the Sorry page'])


def test_time_left_without_schedules():
    assert _auto_off.time_left([], NOW) == (None, None, [])
    assert _auto_off.time_left([{'ScheduleExpression': 'rate(1 hour)'}], NOW) == (None, None, [])


# --- absent ------------------------------------------------------------------

def test_absent_summary():
    assert _auto_off.absent_summary(['a', 'b', 'c'], ['b'], ['a', 'd']) == (['a', 'c'], ['b', 'd'])
    assert _auto_off.absent_summary([], [], None) == ([], [])


def test_now_is_aware_utc():
    assert _auto_off.now_utc().utcoffset() == timedelta(0)


def test_the_role_of_the_groups_schedules_is_kept_when_none_is_given():
    current = {'b': {'Target': {'RoleArn': 'arn:aws:iam::123456789012:role/b'}},
               'a': {'Target': {'RoleArn': 'arn:aws:iam::123456789012:role/a'}}}
    assert _auto_off.recorded_role(current) == 'arn:aws:iam::123456789012:role/a'
    assert _auto_off.recorded_role({}) == ''
