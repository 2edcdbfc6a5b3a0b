# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import botocore.exceptions
import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _elbv2


def _error(code, operation):
    return botocore.exceptions.ClientError({'Error': {'Code': code, 'Message': code}}, operation)


class FakeClient:
    """The listener-rule writes apply_plan makes, in the order made; ``fail`` names an operation that fails."""

    def __init__(self, priorities, fail=None):
        self.priorities = dict(priorities)
        self.tags = dict((arn, {}) for arn in priorities)
        self.calls = []
        self.fail = fail

    def _call(self, operation, arns):
        self.calls.append((operation, sorted(arns)))
        if operation == self.fail:
            raise _error('AccessDenied', operation)

    def set_rule_priorities(self, aws_retry=True, RulePriorities=()):  # pylint: disable=invalid-name,unused-argument
        self._call('SetRulePriorities', [item['RuleArn'] for item in RulePriorities])
        for item in RulePriorities:
            self.priorities[item['RuleArn']] = item['Priority']

    def add_tags(self, aws_retry=True, ResourceArns=(), Tags=()):  # pylint: disable=invalid-name,unused-argument
        self._call('AddTags', ResourceArns)
        for arn in ResourceArns:
            self.tags[arn].update((tag['Key'], tag['Value']) for tag in Tags)

    def remove_tags(self, aws_retry=True, ResourceArns=(), TagKeys=()):  # pylint: disable=invalid-name,unused-argument
        self._call('RemoveTags', ResourceArns)
        for arn in ResourceArns:
            for key in TagKeys:
                self.tags[arn].pop(key, None)


def _plan(**changes):
    plan = dict(deletes=[], shift_tags={}, move_batches=[], unshift=[], modifies=[], tag_updates=[], untag_pinned=[],
                creates=[], info_parts=[], info_tags={}, after=[])
    plan.update(changes)
    return plan


MAKE_ROOM = dict(shift_tags={'from=1': ['a'], 'from=2': ['b']},
                 move_batches=[[('b', 12)], [('a', 11)]])


def test_the_shift_record_is_written_before_the_rules_move():
    client = FakeClient({'a': 1, 'b': 2})
    _elbv2.apply_plan(client, 'listener', _plan(**MAKE_ROOM), [].append)
    assert [operation for operation, _arns in client.calls] == ['AddTags', 'AddTags', 'SetRulePriorities',
                                                                'SetRulePriorities']
    assert client.priorities == {'a': 11, 'b': 12}
    assert client.tags == {'a': {'sorrypage:shift': 'from=1'}, 'b': {'sorrypage:shift': 'from=2'}}


def test_when_the_record_cannot_be_written_nothing_moves():
    client = FakeClient({'a': 1, 'b': 2}, fail='AddTags')
    with pytest.raises(botocore.exceptions.ClientError):
        _elbv2.apply_plan(client, 'listener', _plan(**MAKE_ROOM), [].append)
    assert client.priorities == {'a': 1, 'b': 2}
    assert 'SetRulePriorities' not in [operation for operation, _arns in client.calls]


def test_the_records_go_only_after_the_rules_are_back():
    client = FakeClient({'a': 11, 'b': 12})
    client.tags = {'a': {'sorrypage:shift': 'from=1'}, 'b': {'sorrypage:shift': '+10'}}
    _elbv2.apply_plan(client, 'listener', _plan(move_batches=[[('a', 1), ('b', 2)]], unshift=['a', 'b']), [].append)
    assert client.calls == [('SetRulePriorities', ['a', 'b']), ('RemoveTags', ['a', 'b'])]
    assert client.tags == {'a': {}, 'b': {}}


def test_a_failed_restore_keeps_the_records():
    client = FakeClient({'a': 11}, fail='SetRulePriorities')
    client.tags = {'a': {'sorrypage:shift': 'from=1'}}
    with pytest.raises(botocore.exceptions.ClientError):
        _elbv2.apply_plan(client, 'listener', _plan(move_batches=[[('a', 1)]], unshift=['a']), [].append)
    assert client.tags == {'a': {'sorrypage:shift': 'from=1'}}


@pytest.mark.parametrize('conflicts, code', [(0, None), (1, 'PriorityInUse'), (_elbv2.CONTENDED_REPLANS, 'RuleNotFound')])
def test_reconcile_reads_and_plans_again_while_another_writer_gets_in_the_way(monkeypatch, conflicts, code):
    reads, writes = [], []

    def apply_plan(_client, _arn, plan, _warn):
        writes.append(plan['read'])
        if len(writes) <= conflicts:
            raise _error(code, 'CreateRule')
        return {'bypass/0': 'rule/new'}
    monkeypatch.setattr(_elbv2, 'read_listener', lambda _client, arn: reads.append(arn) or {'read': len(reads)})
    monkeypatch.setattr(_elbv2, 'apply_plan', apply_plan)
    plan, created = _elbv2.reconcile(None, 'listener/1', lambda listener: {'changed': True, 'read': listener['read']},
                                     False, [].append)
    assert created == {'bypass/0': 'rule/new'}
    assert reads == ['listener/1'] * (conflicts + 1)
    assert writes == list(range(1, conflicts + 2)), 'each write follows its own fresh read'
    assert plan['read'] == conflicts + 1


def test_reconcile_gives_up_after_the_last_replan(monkeypatch):
    reads = []

    def apply_plan(_client, _arn, _plan, _warn):
        raise _error('PriorityInUse', 'CreateRule')
    monkeypatch.setattr(_elbv2, 'read_listener', lambda _client, arn: reads.append(arn) or {})
    monkeypatch.setattr(_elbv2, 'apply_plan', apply_plan)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        _elbv2.reconcile(None, 'listener/1', lambda listener: {'changed': True}, False, [].append)
    assert caught.value.response['Error']['Code'] == 'PriorityInUse'
    assert len(reads) == _elbv2.CONTENDED_REPLANS + 1
