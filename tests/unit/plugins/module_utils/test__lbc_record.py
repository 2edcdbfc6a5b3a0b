import json

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _lbc_record as rec

OLD = {'sorrypage.aws/paused-replicas': '2', 'sorrypage.aws/holders': '["shop", "blog"]',
       'sorrypage.aws/paused-at': '2026-11-29T21:00:00Z'}


@pytest.mark.parametrize('raw, holders', [
    (None, []), ('', []), ('  ', []),
    ('["shop", "blog"]', ['shop', 'blog']),           # what the first version wrote (Ansible's to_json)
    ('["shop","blog","shop"]', ['shop', 'blog']),
    ('shop, blog', ['shop', 'blog']),                   # by hand
    ('shop,,blog ,', ['shop', 'blog']),
    ('["shop", ""]', ['shop']),
    ('[shop, blog]', ['shop', 'blog']),                 # not JSON, still a list
    ('"shop"', ['"shop"']),
])
def test_parse_holders(raw, holders):
    assert rec.parse_holders(raw) == holders


def test_read_record_of_the_first_version():
    assert rec.read_record(OLD) == rec.Record(True, 2, ['shop', 'blog'], '2026-11-29T21:00:00Z')


@pytest.mark.parametrize('annotations', [None, {}, {'other': 'x'}, {rec.KEY_HOLDERS: '["shop"]'}])
def test_no_record_without_the_count(annotations):
    assert rec.read_record(annotations) == rec.NO_RECORD


@pytest.mark.parametrize('value', ['two', '', '-1', '2.0', None])
def test_damaged_count(value):
    with pytest.raises(rec.DamagedRecord) as err:
        rec.read_record({rec.KEY_REPLICAS: value})
    assert err.value.value == ('' if value is None else value)


def test_first_pause_records_the_count_and_scales_in_one_write():
    plan = rec.plan_pause(rec.NO_RECORD, 2, 'shop', 'T1')
    assert plan.action == 'paused'
    assert plan.patch == {'metadata': {'annotations': {rec.KEY_REPLICAS: '2', rec.KEY_HOLDERS: '["shop"]', rec.KEY_AT: 'T1'}},
                          'spec': {'replicas': 0}}
    assert plan.after == rec.Record(True, 2, ['shop'], 'T1')


def test_first_pause_of_a_controller_at_zero_records_zero():
    plan = rec.plan_pause(rec.NO_RECORD, 0, 'shop', 'T1')
    assert plan.action == 'paused' and plan.after.recorded == 0 and 'spec' not in plan.patch


def test_second_site_joins_and_keeps_the_count_and_time():
    record = rec.read_record(dict(OLD, **{rec.KEY_HOLDERS: '["shop"]'}))
    plan = rec.plan_pause(record, 0, 'blog', 'T2')
    assert plan.action == 'already_paused'
    assert plan.patch == {'metadata': {'annotations': {rec.KEY_REPLICAS: '2', rec.KEY_HOLDERS: '["shop", "blog"]',
                                                       rec.KEY_AT: '2026-11-29T21:00:00Z'}}}


def test_a_holder_pausing_again_writes_nothing_and_never_records_zero():
    plan = rec.plan_pause(rec.read_record(OLD), 0, 'shop', 'T2')
    assert (plan.action, plan.patch, plan.after.recorded) == ('already_paused', None, 2)


def test_a_holder_finding_the_controller_scaled_back_scales_it_again_only():
    plan = rec.plan_pause(rec.read_record(OLD), 3, 'shop', 'T2')
    assert plan.action == 'paused' and plan.patch == {'spec': {'replicas': 0}} and plan.after.recorded == 2


def test_leaving_with_others_left_keeps_the_record():
    plan = rec.plan_resume(rec.read_record(OLD), 'shop')
    assert plan.action == 'still_held'
    assert plan.patch == {'metadata': {'annotations': {rec.KEY_HOLDERS: '["blog"]'}}}
    assert plan.after.holders == ['blog'] and plan.after.present


def test_the_last_one_out_scales_back_and_removes_the_record_in_one_write():
    plan = rec.plan_resume(rec.read_record(dict(OLD, **{rec.KEY_HOLDERS: 'blog'})), 'blog')
    assert plan.action == 'resumed'
    assert plan.patch == {'metadata': {'annotations': {rec.KEY_REPLICAS: None, rec.KEY_HOLDERS: None, rec.KEY_AT: None}},
                          'spec': {'replicas': 2}}
    assert not plan.after.present and plan.after.recorded == 2


def test_the_last_one_out_of_a_pause_recorded_at_zero_never_scales():
    plan = rec.plan_resume(rec.Record(True, 0, ['shop'], 'T'), 'shop')
    assert plan.action == 'resumed' and 'spec' not in plan.patch


@pytest.mark.parametrize('recorded, now, spec', [
    (0, 0, None),            # the user had it at 0: never scaled up, nothing written to spec
    (0, 1, {'replicas': 0}),  # scaled to 1 by hand while paused: the record says 0, so back to 0
    (0, None, None),         # count unknown: a record of 0 never writes spec
    (2, 0, {'replicas': 2}),  # the usual way out
    (2, 1, {'replicas': 2}),  # scaled to 1 by hand while paused: the record says 2
    (2, 3, {'replicas': 2}),
    (2, 2, None),            # already what the record says: no write of spec
    (2, None, {'replicas': 2}),
])
def test_the_last_one_out_does_what_the_record_says(recorded, now, spec):
    plan = rec.plan_resume(rec.Record(True, recorded, ['shop'], 'T'), 'shop', now)
    assert plan.action == 'resumed' and plan.patch.get('spec') == spec
    assert plan.patch['metadata'] == {'annotations': {rec.KEY_REPLICAS: None, rec.KEY_HOLDERS: None, rec.KEY_AT: None}}
    assert (plan.after.present, plan.after.recorded) == (False, recorded)


def test_a_pause_of_a_controller_already_at_zero_records_zero_and_resume_keeps_it_there():
    pause = rec.plan_pause(rec.NO_RECORD, 0, 'shop', 'T')
    assert pause.action == 'paused' and pause.after.recorded == 0
    assert pause.patch == {'metadata': {'annotations': {rec.KEY_REPLICAS: '0', rec.KEY_HOLDERS: '["shop"]', rec.KEY_AT: 'T'}}}
    again = rec.plan_pause(pause.after, 0, 'blog', 'T2')
    assert again.after.recorded == 0 and again.after.holders == ['shop', 'blog'] and 'spec' not in again.patch
    assert rec.plan_resume(again.after, 'shop', 0).action == 'still_held'
    last = rec.plan_resume(rec.plan_resume(again.after, 'shop', 0).after, 'blog', 0)
    assert last.action == 'resumed' and 'spec' not in last.patch


@pytest.mark.parametrize('record, site, action', [
    (rec.NO_RECORD, 'shop', 'nothing_recorded'),
    (rec.Record(True, 2, ['blog'], 'T'), 'shop', 'not_paused'),
])
def test_resume_without_a_hold_writes_nothing(record, site, action):
    plan = rec.plan_resume(record, site)
    assert (plan.action, plan.patch) == (action, None)


def test_join_then_leave_in_any_order_restores_the_count_once():
    record = rec.NO_RECORD
    replicas = 2
    for site in ('a', 'b', 'c'):
        plan = rec.plan_pause(record, replicas, site, 'T')
        record, replicas = plan.after, 0
    assert record.holders == ['a', 'b', 'c'] and record.recorded == 2
    actions = []
    for site in ('b', 'c', 'a'):
        plan = rec.plan_resume(record, site)
        actions.append(plan.action)
        record = plan.after
    assert actions == ['still_held', 'still_held', 'resumed'] and not record.present


def test_precondition_is_added_without_changing_the_plan():
    patch = {'metadata': {'annotations': {'a': 'b'}}, 'spec': {'replicas': 0}}
    out = rec.with_precondition(patch, '123')
    assert out == {'metadata': {'annotations': {'a': 'b'}, 'resourceVersion': '123'}, 'spec': {'replicas': 0}}
    assert 'resourceVersion' not in patch['metadata']
    assert json.loads(rec.holders_value(['x', 'y'])) == ['x', 'y']
