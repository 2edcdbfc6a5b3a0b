"""A window that ends by itself, through the real maintenance playbooks (ALB driver) against the sandbox.

``on`` with ``sorry_auto_off`` puts one EventBridge Scheduler schedule per
sorry rule into moto; the test then plays the Scheduler at the announced end:
it performs each schedule's target call exactly as the schedule states it
(ELBv2 DeleteRule with the schedule's Input), and asks the data plane what the
public gets. ``off`` afterwards restores the listeners exactly and removes the
schedules.
"""
import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.integration.test_ingress_driver import Book, sandbox, settled, summary  # noqa: F401 pylint: disable=unused-import
from tests.integration.test_runbook import assert_ok, failure, messages
from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, request

pytestmark = pytest.mark.sandbox_only

ROLE = 'arn:aws:iam::123456789012:role/sorrypage-auto-off'
TARGET = 'arn:aws:scheduler:::aws-sdk:elasticloadbalancingv2:deleteRule'


def until(hours):
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).astimezone(timezone(timedelta(hours=9))).isoformat(
        timespec='seconds')


def schedules(box):
    scheduler = box.moto.client('scheduler')
    group = 'sorrypage-%s' % box.sites[0]['load_balancer_name']
    try:
        names = [s['Name'] for s in scheduler.list_schedules(GroupName=group)['Schedules']]
    except scheduler.exceptions.ResourceNotFoundException:
        return {}
    return dict((name, scheduler.get_schedule(GroupName=group, Name=name)) for name in names)


def fire(box, schedule):
    """What the Scheduler does at the schedule's time: its universal target's API call with its Input."""
    assert schedule['Target']['Arn'] == TARGET and schedule['Target']['RoleArn'] == ROLE
    box.moto.client('elbv2').delete_rule(**json.loads(schedule['Target']['Input']))
    box.moto.client('scheduler').delete_schedule(GroupName=schedule['GroupName'], Name=schedule['Name'])  # DELETE after


def book_in(tmp_path, name, box, **extra):
    """A Book whose inventory is its own (each Book writes inventory-0.yml in its folder)."""
    folder = tmp_path / name
    folder.mkdir()
    return Book(folder, box, **extra)


def public(box, host):
    return request(box.url_for(80) + '/deep/path?q=1', host=host, source_ip=PUBLIC_IP).status


def test_the_window_ends_by_itself_at_sorry_until_and_off_restores_the_rest(tmp_path, sandbox):
    box = sandbox
    shop, blog = box.sites[0]['hosts']
    before = settled(box)
    end = until(2)
    pages = [{'name': 'shop', 'page': 'en', 'hosts': [shop], 'languages': {'ja': 'ja'}},
             {'name': 'blog', 'page': 'ja', 'hosts': [blog]}]
    book = book_in(tmp_path, 'window', box, sorry_driver='alb', sorry_auto_off=True, sorry_auto_off_role_arn=ROLE,
                   sorry_until=end, sorry_pages=pages)

    # the Ingress driver cannot end a window by itself; a past end is refused: before any change
    res = book_in(tmp_path, 'ingress', box, sorry_driver='ingress', sorry_auto_off=True, sorry_auto_off_role_arn=ROLE,
                  sorry_until=end).run('on')
    assert res.rc != 0 and 'sorry_auto_off works with the ALB driver only' in failure(res), failure(res)
    res = book_in(tmp_path, 'past', box, sorry_driver='alb', sorry_auto_off=True, sorry_auto_off_role_arn=ROLE,
                  sorry_until='2020-01-01T00:00:00+00:00').run('on')
    assert res.rc != 0 and 'Nothing was changed: sorry_until:' in failure(res), failure(res)
    assert settled(box) == before and schedules(box) == {}

    box.reconciler.stop_acting()       # the ALB driver writes, then pauses the stand-in controller
    res = book.run('on')
    box.reconciler.resume_acting()
    assert_ok(res)
    found = schedules(box)
    assert len(found) == 3 * len(box.sites[0]['listeners']), sorted(found)   # shop, shop-ja, blog, every listener
    at = datetime.fromisoformat(end).astimezone(timezone.utc).strftime('at(%Y-%m-%dT%H:%M:%S)')
    assert all(s['ScheduleExpression'] == at and s['ScheduleExpressionTimezone'] == 'UTC' and
               s['FlexibleTimeWindow'] == {'Mode': 'OFF'} and s['ActionAfterCompletion'] == 'DELETE'
               for s in found.values()), found
    assert 'The Sorry page ends by itself at ' in messages(res, 'Say when the window ends by itself')

    # extending the window as the runbook says, from another machine: on again with a later sorry_until and nothing
    # about auto-off (sorry_auto_off auto follows the site; the role is the schedules'): every end moves, none is
    # left to fire in the middle of the extended window; the Japanese page taken out goes with its schedules
    later = until(3)
    extended = book_in(tmp_path, 'extended', box, sorry_driver='alb', sorry_until=later)
    box.reconciler.stop_acting()
    res = extended.run('on')
    box.reconciler.resume_acting()
    assert_ok(res)
    moved = schedules(box)
    at = datetime.fromisoformat(later).astimezone(timezone.utc).strftime('at(%Y-%m-%dT%H:%M:%S)')
    assert sorted(moved) == sorted(name for name in found if '-shop-ja-' not in name), sorted(moved)
    assert all(s['ScheduleExpression'] == at and s['Target']['RoleArn'] == ROLE for s in moved.values())
    assert 'shop-ja' not in json.dumps(settled(box))           # the rerun took out the rules it no longer wants
    res = extended.run('status')
    assert_ok(res)
    assert 'auto-off: the Sorry page ends by itself at %s' % at[3:-1] in messages(
        res, 'Say when the window ends by itself'), messages(res, 'Say when the window ends by itself')

    # the announced end: every schedule fires; the public gets the application, nobody ran off
    assert public(box, shop) == 503 and public(box, blog) == 503
    for schedule in moved.values():
        fire(box, schedule)
    box.dataplane.refresh()
    assert public(box, shop) == 200 and public(box, blog) == 200
    assert request(box.url_for(80) + '/', host=shop, source_ip=OFFICE_IP).status == 200

    # off completes the restore (bypass, moved priorities, the controller) and removes what is left
    res = extended.run('off')
    assert_ok(res)
    assert settled(box) == before
    assert schedules(box) == {}


def test_sorry_auto_off_false_cancels_the_end_of_a_window_set_to_end_by_itself(tmp_path, sandbox):
    box = sandbox
    before = settled(box)
    book = book_in(tmp_path, 'window', box, sorry_driver='alb', sorry_auto_off=True, sorry_auto_off_role_arn=ROLE,
                   sorry_until=until(2))
    box.reconciler.stop_acting()
    assert_ok(book.run('on'))
    assert len(schedules(box)) == 2 * len(box.sites[0]['listeners'])
    res = book_in(tmp_path, 'cancel', box, sorry_driver='alb', sorry_auto_off=False, sorry_until=until(2)).run('on')
    box.reconciler.resume_acting()
    assert_ok(res)
    assert schedules(box) == {}
    res = book.run('status')
    assert_ok(res)
    assert 'auto-off: no schedule left' in messages(res, 'Say when the window ends by itself')
    assert_ok(book.run('off'))
    assert settled(box) == before
