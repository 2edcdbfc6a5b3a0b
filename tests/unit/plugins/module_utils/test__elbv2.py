# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import botocore.exceptions

from ansible_collections.sorrypage.aws.plugins.module_utils import _elbv2


def _error(code, operation):
    return botocore.exceptions.ClientError({'Error': {'Code': code, 'Message': code}}, operation)


class FakeClient:
    """SetRulePriorities and AddTags over a set of rules that exist; a call naming a gone rule fails as a whole."""

    def __init__(self, existing, tags_fail=True, other_error=None):
        self.existing = set(existing)
        self.priorities = {}
        self.calls = []
        self.tags_fail = tags_fail
        self.other_error = other_error

    def set_rule_priorities(self, aws_retry=True, RulePriorities=()):  # pylint: disable=invalid-name,unused-argument
        self.calls.append(('SetRulePriorities', [item['RuleArn'] for item in RulePriorities]))
        if self.other_error:
            raise _error(self.other_error, 'SetRulePriorities')
        if any(item['RuleArn'] not in self.existing for item in RulePriorities):
            raise _error('RuleNotFound', 'SetRulePriorities')
        for item in RulePriorities:
            self.priorities[item['RuleArn']] = item['Priority']

    def add_tags(self, aws_retry=True, ResourceArns=(), Tags=()):  # pylint: disable=invalid-name,unused-argument
        self.calls.append(('AddTags', list(ResourceArns)))
        if self.tags_fail:
            raise _error('RuleNotFound', 'AddTags')


def _plan():
    return dict(shift_tags={'3': ['a', 'b', 'c']},
                moved_rules=[dict(arn='a', to=4, **{'from': 1}), dict(arn='b', to=5, **{'from': 2}),
                             dict(arn='c', to=6, **{'from': 3})])


def test_rules_the_controller_deleted_are_not_put_back_and_no_warning_is_given():
    client = FakeClient(existing=['a', 'c'])
    warnings = []
    try:
        _elbv2._mark_shifted(client, _plan(), warnings.append)  # pylint: disable=protected-access
    except botocore.exceptions.ClientError as e:
        assert e.response['Error']['Code'] == 'RuleNotFound'
    else:
        raise AssertionError('the AddTags failure must propagate (the caller reads the listener again)')
    assert client.priorities == {'a': 1, 'c': 3}
    assert warnings == []
    assert client.calls[1:] == [('SetRulePriorities', ['a', 'b', 'c']), ('SetRulePriorities', ['a']),
                                ('SetRulePriorities', ['b']), ('SetRulePriorities', ['c'])]


def test_a_put_back_that_fails_otherwise_is_a_warning_naming_the_rules():
    client = FakeClient(existing=['a', 'b', 'c'], other_error='AccessDenied')
    warnings = []
    try:
        _elbv2._mark_shifted(client, _plan(), warnings.append)  # pylint: disable=protected-access
    except botocore.exceptions.ClientError:
        pass
    assert len(warnings) == 1
    assert warnings[0].startswith('could not put back the rules moved without a sorrypage:shift tag (a to 1, b to 2, c to 3): ')
    assert 'AccessDenied' in warnings[0]
    assert client.calls[1:] == [('SetRulePriorities', ['a', 'b', 'c'])]
