"""sorrypage.aws.alb_sorry_auto_off through real ansible-playbook against the moto sandbox (EventBridge Scheduler),
after a real switch with alb_sorry_site; one schedule is fired the way AWS fires it and the data plane shows the
public getting the application back on that listener and host only."""
import json
import os
import sys
from datetime import datetime, timedelta, timezone

import pytest

from tests.ansible_run import REPO

if os.path.join(REPO, '.collections') not in sys.path:
    sys.path.insert(0, os.path.join(REPO, '.collections'))

from ansible_collections.sorrypage.aws.plugins.filter.auto_off import sorry_auto_off_rules  # noqa: E402  pylint: disable=wrong-import-position
from tests.ansible_run import run_module
from tests.integration.test_alb_sorry_site import SECRET, site_args
from tests.sandbox.dataplane import PUBLIC_IP, RULE_HEADER, DataPlane, request
from tests.sandbox.sample_app import SampleApp

pytestmark = pytest.mark.sandbox_only

MODULE = 'sorrypage.aws.alb_sorry_auto_off'
ROLE = 'arn:aws:iam::123456789012:role/sorrypage-auto-off'
TARGET = 'arn:aws:scheduler:::aws-sdk:elasticloadbalancingv2:deleteRule'
SCHEDULER_WRITES = {'CreateScheduleGroup', 'DeleteScheduleGroup', 'CreateSchedule', 'UpdateSchedule', 'DeleteSchedule'}
TOKYO = timezone(timedelta(hours=9))


@pytest.fixture()
def scheduler_counter(counter):
    """The counting proxy names the Scheduler's calls (tests/sandbox/counting_proxy.py)."""
    return counter


def run(endpoint, args, check=False):
    return run_module(MODULE, dict(args, endpoint_url=endpoint, region='us-east-1'), check=check)


def ok(result):
    assert not result.get('failed'), result.get('msg', result)
    return result


def writes(counter):
    return dict((op, n) for op, n in counter.snapshot().items() if op in SCHEDULER_WRITES)


def tokyo(moment):
    return moment.astimezone(TOKYO).replace(microsecond=0).isoformat()


def group_schedules(scheduler, group):
    names = [s['Name'] for s in scheduler.list_schedules(GroupName=group)['Schedules']]
    return dict((name, scheduler.get_schedule(GroupName=group, Name=name)) for name in names)


def group_names(scheduler):
    return [g['Name'] for g in scheduler.list_schedule_groups()['ScheduleGroups']]


@pytest.fixture()
def app():
    server = SampleApp(name='shop-app').start()
    yield server
    server.stop()


def test_schedules_created_rerun_moved_fired_removed(moto, scheduler_counter, site, app):
    counter = scheduler_counter
    elbv2, scheduler = moto.client('elbv2'), moto.client('scheduler')
    shop, blog = site['hosts']
    switched = ok(run_module('sorrypage.aws.alb_sorry_site', dict(site_args(site), endpoint_url=moto.url, region='us-east-1')))
    rules = sorry_auto_off_rules(switched)
    sorry_arns = dict((port, dict((r['tags']['sorrypage:rule'], r['arn']) for r in listener['rules']
                                  if r['tags']['sorrypage:kind'] == 'sorry'))
                      for listener in switched['listeners'] for port in [listener['port']])
    assert rules == [dict(key='80-blog-0', arn=sorry_arns[80]['blog']), dict(key='80-shop-0', arn=sorry_arns[80]['shop']),
                     dict(key='443-blog-0', arn=sorry_arns[443]['blog']),
                     dict(key='443-shop-0', arn=sorry_arns[443]['shop'])]
    group = 'sorrypage-%s' % site['load_balancer_name']
    end = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=2)
    args = dict(group=group, at=tokyo(end), role_arn=ROLE, rules=rules)

    # check mode: what it would do, no write
    counter.reset()
    predicted = ok(run(counter.url, args, check=True))
    assert predicted['changed'] is True and writes(counter) == {}
    assert [(s['name'], s['state']) for s in predicted['schedules']] == [
        ('443-blog-0', 'created'), ('443-shop-0', 'created'), ('80-blog-0', 'created'), ('80-shop-0', 'created')]
    assert group not in group_names(scheduler)

    counter.reset()
    created = ok(run(counter.url, args))
    assert created['changed'] is True
    assert writes(counter) == {'CreateScheduleGroup': 1, 'CreateSchedule': 4}
    assert created['at_utc'] == end.strftime('%Y-%m-%dT%H:%M:%SZ')
    assert created['schedules'] == predicted['schedules']
    stored = group_schedules(scheduler, group)
    assert sorted(stored) == ['443-blog-0', '443-shop-0', '80-blog-0', '80-shop-0']
    for rule in rules:
        schedule = stored[rule['key']]
        assert (schedule['ScheduleExpression'], schedule['ScheduleExpressionTimezone']) == (
            'at(%s)' % end.strftime('%Y-%m-%dT%H:%M:%S'), 'UTC')
        assert (schedule['FlexibleTimeWindow'], schedule['ActionAfterCompletion'], schedule['State']) == (
            {'Mode': 'OFF'}, 'DELETE', 'ENABLED')
        assert (schedule['Target']['Arn'], schedule['Target']['RoleArn']) == (TARGET, ROLE)
        assert json.loads(schedule['Target']['Input']) == {'RuleArn': rule['arn']}
    assert SECRET not in json.dumps(created)

    # the same inputs again: reads only
    counter.reset()
    again = ok(run(counter.url, args))
    assert again['changed'] is False
    assert writes(counter) == {}
    assert counter.snapshot() == {'GetScheduleGroup': 1, 'ListSchedules': 1, 'GetSchedule': 4}
    assert set(s['state'] for s in again['schedules']) == {'unchanged'}

    # extended: every schedule moved, nothing else written
    extended = end + timedelta(hours=1)
    counter.reset()
    moved = ok(run(counter.url, dict(args, at=extended.strftime('%Y-%m-%dT%H:%M:%SZ'))))
    assert moved['changed'] is True and writes(counter) == {'UpdateSchedule': 4}
    assert set((s['state'], s['at_utc']) for s in moved['schedules']) == {
        ('updated', extended.strftime('%Y-%m-%dT%H:%M:%SZ'))}
    assert set(s['ScheduleExpression'] for s in group_schedules(scheduler, group).values()) == {
        'at(%s)' % extended.strftime('%Y-%m-%dT%H:%M:%S')}

    # status: the time left, no warning two-three hours ahead
    status = ok(run(moto.url, dict(group=group, state='status')))
    assert status['next_at_utc'] == extended.strftime('%Y-%m-%dT%H:%M:%SZ')
    assert 3 * 3600 - 120 < status['seconds_left'] <= 3 * 3600
    assert status['time_left_warnings'] == [] and [s['name'] for s in status['schedules']] == sorted(stored)

    # fire 80-shop-0 as AWS would: the universal target's API call exactly as the schedule states it
    plane = DataPlane(elbv2, site['load_balancer_arn'], app.url, refresh_interval=None).start()
    try:
        before = request(plane.url_for(80) + '/', host=shop, source_ip=PUBLIC_IP)
        assert before.status == 503 and before.headers['X-Sandbox-Rule-Arn'] == sorry_arns[80]['shop']
        fired = scheduler.get_schedule(GroupName=group, Name='80-shop-0')
        assert fired['Target']['Arn'] == TARGET
        elbv2.delete_rule(**json.loads(fired['Target']['Input']))
        scheduler.delete_schedule(GroupName=group, Name='80-shop-0')  # ActionAfterCompletion: DELETE
        plane.refresh()
        public = request(plane.url_for(80) + '/', host=shop, source_ip=PUBLIC_IP)
        assert public.status == 200 and public.first_line.startswith('shop-app OK')
        assert public.headers[RULE_HEADER] != 'default'
        # the other host and the other listener still show the page
        assert request(plane.url_for(80) + '/', host=blog, source_ip=PUBLIC_IP).status == 503
        assert request(plane.url_for(443) + '/', host=shop, source_ip=PUBLIC_IP).status == 503
    finally:
        plane.stop()

    # off: every schedule and the group gone, the fired one tolerated
    counter.reset()
    removed = ok(run(counter.url, dict(group=group, state='absent', rules=rules)))
    assert removed['changed'] is True
    assert removed['deleted'] == ['443-blog-0', '443-shop-0', '80-blog-0']
    assert removed['already_gone'] == ['80-shop-0']
    assert writes(counter) == {'DeleteSchedule': 3, 'DeleteScheduleGroup': 1}
    assert group not in group_names(scheduler)
    gone = ok(run(moto.url, dict(group=group, state='absent')))
    assert (gone['changed'], gone['deleted'], gone['group_exists']) == (False, [], False)
    empty = ok(run(moto.url, dict(group=group, state='status')))
    assert (empty['schedules'], empty['next_at_utc'], empty['seconds_left']) == ([], None, None)


def test_a_recreated_rule_and_a_rule_taken_away(moto, site):
    scheduler = moto.client('scheduler')
    group = 'sorrypage-%s' % site['load_balancer_name']
    arn = ('arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/%s/0123456789abcdef/'
           '0123456789abcdef/%%s' % site['load_balancer_name'])
    end = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime('%Y-%m-%dT%H:%M:%SZ')
    args = dict(group=group, at=end, role_arn=ROLE)
    ok(run(moto.url, dict(args, rules=[dict(key='443-shop-0', arn=arn % 'aa'), dict(key='443-blog-0', arn=arn % 'bb')])))
    result = ok(run(moto.url, dict(args, rules=[dict(key='443-shop-0', arn=arn % 'cc')])))
    assert result['changed'] is True and result['deleted'] == ['443-blog-0']
    assert [(s['name'], s['state'], s['rule_arn']) for s in result['schedules']] == [
        ('443-shop-0', 'updated', arn % 'cc'), ('443-blog-0', 'deleted', arn % 'bb')]
    stored = group_schedules(scheduler, group)
    assert sorted(stored) == ['443-shop-0']
    assert json.loads(stored['443-shop-0']['Target']['Input']) == {'RuleArn': arn % 'cc'}
    ok(run(moto.url, dict(group=group, state='absent')))


@pytest.mark.parametrize('args, message', [
    (dict(at='2020-01-01T00:00:00Z'), "at '2020-01-01T00:00:00Z' (2020-01-01T00:00:00Z) is "),
    (dict(at='2030-01-01T09:00:00'), "at '2030-01-01T09:00:00' has no UTC offset"),
    (dict(role_arn='sorrypage-auto-off'), "role_arn 'sorrypage-auto-off' is not an IAM role ARN"),
    (dict(group='sorry page'), "group 'sorry page' is not a valid schedule group name: 1 to 64 characters"),
])
def test_refused_before_any_call(moto, counter, args, message):
    base = dict(group='sorrypage-refused', at='2030-01-01T09:00:00+09:00', role_arn=ROLE,
                rules=[dict(key='443-shop-0', arn='arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/'
                                                  'app/x/0123456789abcdef/0123456789abcdef/0123456789abcdef')])
    counter.reset()
    result = run(counter.url, dict(base, **args))
    assert result.get('failed') and result['msg'].startswith(message), result['msg']
    assert result['msg'].endswith('nothing was changed')
    assert sum(counter.snapshot().values()) == 0


def test_status_warns_under_fifteen_minutes_and_check_modes_write_nothing(moto, scheduler_counter, site):
    counter = scheduler_counter
    scheduler = moto.client('scheduler')
    group = 'sorrypage-%s' % site['load_balancer_name']
    arn = ('arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/%s/0123456789abcdef/'
           '0123456789abcdef/00000000000000aa' % site['load_balancer_name'])
    soon = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=10)
    args = dict(group=group, at=soon.strftime('%Y-%m-%dT%H:%M:%SZ'), role_arn=ROLE)

    # a check-mode switch has no ARN for a rule still to create: the prediction takes it, a real run does not
    counter.reset()
    predicted = ok(run(counter.url, dict(args, rules=[dict(key='443-shop-0', arn=None)]), check=True))
    assert predicted['changed'] is True and writes(counter) == {}
    assert predicted['schedules'] == [dict(name='443-shop-0', rule_arn=None, at_utc=args['at'], state='created')]
    refused = run(counter.url, dict(args, rules=[dict(key='443-shop-0', arn=None)]))
    assert refused.get('failed') and refused['msg'] == (
        "rules[0] (key '443-shop-0') has no arn: the sorry rule's ARN is needed (a check-mode result of alb_sorry_site "
        'has none for a rule still to create); nothing was changed')
    assert writes(counter) == {}

    ok(run(moto.url, dict(args, rules=[dict(key='443-shop-0', arn=arn)])))
    status = ok(run(moto.url, dict(group=group, state='status')))
    assert 540 < status['seconds_left'] <= 600
    minutes = -(-status['seconds_left'] // 60)
    expected = ('the Sorry page ends by itself in %d min (at %s): run `on` with a later sorry_until to extend it'
                % (minutes, args['at']))
    assert status['time_left_warnings'] == [expected]
    assert expected in status['warnings']

    counter.reset()
    would = ok(run(counter.url, dict(group=group, state='absent'), check=True))
    assert (would['changed'], would['deleted'], would['group_deleted']) == (True, ['443-shop-0'], True)
    assert writes(counter) == {}
    assert sorted(group_schedules(scheduler, group)) == ['443-shop-0']
    ok(run(moto.url, dict(group=group, state='absent')))
    assert group not in group_names(scheduler)
