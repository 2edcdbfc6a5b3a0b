# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import itertools
import threading
import time

import botocore.exceptions
import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _elbv2
from ansible_collections.sorrypage.aws.plugins.module_utils import _plan
from ansible_collections.sorrypage.aws.plugins.module_utils import _site_apply as A
from ansible_collections.sorrypage.aws.plugins.module_utils import _rules as R
from ansible_collections.sorrypage.aws.plugins.module_utils import _site_plan as S
from ansible_collections.sorrypage.aws.plugins.module_utils import _tags

from ansible_collections.sorrypage.aws.tests.unit.plugins.module_utils.test__site_plan import controller_listener
from ansible_collections.sorrypage.aws.tests.unit.plugins.module_utils.test__site_plan import entries_for
from ansible_collections.sorrypage.aws.tests.unit.plugins.module_utils.test__site_plan import ingress_site_with_ours
from ansible_collections.sorrypage.aws.tests.unit.plugins.module_utils.test__site_plan import MARKER
from ansible_collections.sorrypage.aws.tests.unit.plugins.module_utils.test__site_plan import SECRET
from ansible_collections.sorrypage.aws.tests.unit.plugins.module_utils.test__site_plan import placeholder_site
from ansible_collections.sorrypage.aws.tests.unit.plugins.module_utils.test__site_plan import rule_sets


class FakeElbv2:
    """Applies writes to listeners kept in memory and records every call, thread-safely."""

    def __init__(self, listeners, delay=0.0, fail_create_on=None, conflict_on=None, conflicts=1):
        self.rules = {}
        self.defaults = {}
        for listener in listeners:
            self.defaults[listener['arn']] = listener['default_actions']
            for rule in listener['rules']:
                self.rules[rule['arn']] = dict(copy.deepcopy(rule), listener=listener['arn'])
        self.calls = []
        self.delay = delay
        self.fail_create_on = fail_create_on
        self.conflict_on = conflict_on          # CreateRule on this listener answers PriorityInUse ``conflicts`` times
        self.conflicts_left = conflicts if conflict_on else 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def _call(self, op, listener, kind=None):
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.calls.append((op, listener, kind))
        time.sleep(self.delay)
        with self._lock:
            self.in_flight -= 1

    @staticmethod
    def _error(code):
        return botocore.exceptions.ClientError({'Error': {'Code': code, 'Message': code}}, 'Op')

    def create_rule(self, aws_retry, ListenerArn, Priority, Conditions, Actions, Tags):  # pylint: disable=invalid-name
        assert aws_retry is True
        tags = _tags.tag_dict(Tags)
        self._call('CreateRule', ListenerArn, tags[_tags.KIND])
        if self.fail_create_on == (ListenerArn, tags[_tags.KIND]):
            raise self._error('TooManyRules')
        with self._lock:
            if self.conflict_on == ListenerArn and self.conflicts_left:
                self.conflicts_left -= 1
                raise self._error('PriorityInUse')
            assert all(r['priority'] != Priority for r in self.rules.values() if r['listener'] == ListenerArn)
            arn = 'rule/%d' % next(self._numbers)
            self.rules[arn] = dict(arn=arn, priority=Priority, conditions=Conditions, actions=Actions, tags=tags,
                                   listener=ListenerArn)
        return {'Rules': [{'RuleArn': arn}]}

    def set_rule_priorities(self, aws_retry, RulePriorities):  # pylint: disable=invalid-name
        assert aws_retry is True
        self._call('SetRulePriorities', self.rules[RulePriorities[0]['RuleArn']]['listener'])
        for item in RulePriorities:
            self.rules[item['RuleArn']]['priority'] = item['Priority']

    def add_tags(self, aws_retry, ResourceArns, Tags):  # pylint: disable=invalid-name
        assert aws_retry is True
        self._call('AddTags', self.rules[ResourceArns[0]]['listener'])
        for arn in ResourceArns:
            self.rules[arn]['tags'].update(_tags.tag_dict(Tags))

    def remove_tags(self, aws_retry, ResourceArns, TagKeys):  # pylint: disable=invalid-name
        assert aws_retry is True
        self._call('RemoveTags', self.rules[ResourceArns[0]]['listener'])
        for arn in ResourceArns:
            for key in TagKeys:
                self.rules[arn]['tags'].pop(key, None)

    def delete_rule(self, aws_retry, RuleArn):  # pylint: disable=invalid-name
        assert aws_retry is True
        rule = self.rules.pop(RuleArn)
        self._call('DeleteRule', rule['listener'], rule['tags'].get(_tags.KIND))

    def modify_rule(self, aws_retry, RuleArn, Conditions, Actions):  # pylint: disable=invalid-name
        assert aws_retry is True
        self._call('ModifyRule', self.rules[RuleArn]['listener'])
        self.rules[RuleArn].update(conditions=Conditions, actions=Actions)

    def listener(self, arn, port):
        rules = sorted((dict((k, v) for k, v in r.items() if k != 'listener') for r in self.rules.values()
                        if r['listener'] == arn), key=lambda r: r['priority'])
        return dict(arn=arn, port=port, protocol='HTTPS', rules=rules, default_actions=self.defaults[arn])


def listeners(count):
    return [controller_listener(443 + i) for i in range(count)]


def apply(fake, site, state='present', sets=None, parallel=4):
    entries = entries_for(sets or rule_sets(), state)
    planned = S.plan_site(site, entries, state, make_room=True)
    assert planned['errors'] == []
    A.SiteRun(fake, entries, state, make_room=True, parallel=parallel).run(planned['listeners'])
    return planned['listeners']


def test_no_listener_gets_a_sorry_write_before_every_bypass_and_off_is_reversed():
    site = listeners(6)
    fake = FakeElbv2(site, delay=0.002)
    planned = apply(fake, site, parallel=3)
    creates = [(listener, kind) for op, listener, kind in fake.calls if op == 'CreateRule']
    assert len(creates) == 6 * 5
    last_bypass = max(i for i, (_l, kind) in enumerate(creates) if kind == 'bypass')
    first_sorry = min(i for i, (_l, kind) in enumerate(creates) if kind == 'sorry')
    assert last_bypass < first_sorry, 'a sorry rule went on before every listener had its bypass'
    writes_per_listener = dict((l['arn'], sum(1 for _op, arn, _k in fake.calls if arn == l['arn'])) for l in site)
    # 1 AddTags per moved rule (the priority it comes from, before the move), 1 SetRulePriorities, 5 CreateRule
    assert set(writes_per_listener.values()) == {3 + 1 + 5}
    assert 1 < fake.max_in_flight <= 3
    # What was predicted is what is there, ARNs and all.
    for listener in planned:
        predicted = [(r['arn'], r['priority'], r['tags']) for r in A.final_rules(listener)]
        actual = [(r['arn'], r['priority'], r['tags']) for r in S.owned_after(fake.listener(listener['arn'], listener['port']))]
        assert predicted == actual and all(arn for arn, _p, _t in predicted)

    now = [fake.listener(l['arn'], l['port']) for l in site]
    fake.calls = []
    apply(fake, now, 'absent', parallel=3)
    deletes = [kind for op, _l, kind in fake.calls if op == 'DeleteRule']
    assert deletes == ['sorry'] * 12 + ['bypass'] * 18
    for original in site:
        assert fake.listener(original['arn'], original['port'])['rules'] == original['rules']


def test_a_rule_created_by_one_set_and_moved_by_the_next_gets_its_real_arn():
    listener, entries = placeholder_site()
    fake = FakeElbv2([listener])
    planned = S.plan_site([listener], entries, 'present', make_room=True)['listeners']
    A.SiteRun(fake, entries, 'present', make_room=True).run(planned)
    predicted = [(r['arn'], r['priority']) for r in A.final_rules(planned[0])]
    assert predicted == [(r['arn'], r['priority']) for r in S.owned_after(fake.listener(listener['arn'], 443))]


def test_a_failure_in_the_bypass_phase_writes_no_sorry_rule_anywhere():
    site = listeners(3)
    fake = FakeElbv2(site, fail_create_on=('listener/445', 'bypass'))
    entries = entries_for(rule_sets())
    planned = S.plan_site(site, entries, 'present', make_room=True)['listeners']
    with pytest.raises(A.SiteWriteError) as caught:
        A.SiteRun(fake, entries, 'present', make_room=True).run(planned)
    assert caught.value.phase == 0 and caught.value.done == []
    assert [listener['arn'] for listener, _e in caught.value.failures] == ['listener/445']
    assert not [call for call in fake.calls if call[2] == 'sorry']


@pytest.mark.parametrize('conflicts', [1, _elbv2.CONTENDED_REPLANS])
def test_another_writer_taking_a_priority_means_read_plan_and_write_the_rest_again(monkeypatch, conflicts):
    site = listeners(2)
    fake = FakeElbv2(site, conflict_on='listener/444', conflicts=conflicts)
    entries = entries_for(rule_sets())
    planned = S.plan_site(site, entries, 'present', make_room=True)['listeners']
    run = A.SiteRun(fake, entries, 'present', make_room=True)

    def read_listener(_client, arn):
        state = fake.listener(arn, 444)
        return dict(listener_arn=arn, rules=state['rules'], default_actions=state['default_actions'])
    monkeypatch.setattr(_elbv2, 'read_listener', read_listener)
    run.run(planned)
    assert fake.conflicts_left == 0, 'the conflict did not happen'
    assert run.contended
    for listener in planned:
        kinds = [r['tags'][_tags.KIND] for r in S.owned_after(fake.listener(listener['arn'], listener['port']))]
        assert kinds == ['bypass'] * 3 + ['sorry'] * 2
        assert [(r['arn'], r['priority']) for r in A.final_rules(listener)] == [
            (r['arn'], r['priority']) for r in S.owned_after(fake.listener(listener['arn'], listener['port']))]


def test_a_writer_that_takes_the_priority_after_every_read_fails_the_phase_after_the_last_replan(monkeypatch):
    site = listeners(2)
    fake = FakeElbv2(site, conflict_on='listener/444', conflicts=_elbv2.CONTENDED_REPLANS + 1)
    entries = entries_for(rule_sets())
    planned = S.plan_site(site, entries, 'present', make_room=True)['listeners']
    reads = []

    def read_listener(_client, arn):
        reads.append(arn)
        state = fake.listener(arn, 444)
        return dict(listener_arn=arn, rules=state['rules'], default_actions=state['default_actions'])
    monkeypatch.setattr(_elbv2, 'read_listener', read_listener)
    with pytest.raises(A.SiteWriteError) as caught:
        A.SiteRun(fake, entries, 'present', make_room=True).run(planned)
    assert fake.conflicts_left == 0
    assert [arn for arn in reads if arn == 'listener/444'] == ['listener/444'] * _elbv2.CONTENDED_REPLANS
    assert caught.value.phase == 0 and caught.value.done == []
    [(listener, error)] = caught.value.failures
    assert listener['arn'] == 'listener/444' and error.response['Error']['Code'] == 'PriorityInUse'
    # No sorry rule anywhere: the phase of the bypass did not finish on every listener.
    assert not [call for call in fake.calls if call[2] == 'sorry']


def test_a_rule_deleted_between_the_reads_of_the_site_is_read_again(monkeypatch):
    """The controller still reconciles during `on`: a rule gone between DescribeRules and DescribeTags means read once more."""
    rules = {'first': [{'RuleArn': 'r1', 'Priority': '1', 'Conditions': [], 'Actions': [{'Type': 'forward', 'TargetGroupArn': 'tg'}]},
                       {'RuleArn': 'r2', 'Priority': '2', 'Conditions': [], 'Actions': [{'Type': 'forward', 'TargetGroupArn': 'tg'}]},
                       {'RuleArn': 'd', 'IsDefault': True, 'Priority': 'default', 'Actions': [{'Type': 'forward', 'TargetGroupArn': 'tg'}]}]}
    reads = []

    def describe_rules(client, arn):
        reads.append('rules')
        return rules['first'] if len(reads) == 1 else [r for r in rules['first'] if r['RuleArn'] != 'r2']

    def describe_tags(client, arns):
        reads.append('tags')
        if 'r2' in arns:
            raise botocore.exceptions.ClientError({'Error': {'Code': 'RuleNotFound', 'Message': 'gone'}}, 'DescribeTags')
        return dict((arn, {}) for arn in arns)

    monkeypatch.setattr(_elbv2, 'describe_load_balancer', lambda client, name=None, arn=None: {
        'LoadBalancerArn': 'lb', 'LoadBalancerName': 'shop'})
    monkeypatch.setattr(_elbv2, 'describe_listeners', lambda client, arn: [{'ListenerArn': 'l443', 'Port': 443, 'Protocol': 'HTTPS'}])
    monkeypatch.setattr(_elbv2, 'describe_rules', describe_rules)
    monkeypatch.setattr(_elbv2, 'describe_tags', describe_tags)
    site = A.read_site(None, name='shop')
    assert reads == ['rules', 'tags', 'rules', 'tags']
    assert [rule['arn'] for rule in site['listeners'][0]['rules']] == ['r1'] and site['rules_now'] == 1


class DeleteRecorder(FakeElbv2):
    """FakeElbv2 that also records the ARN of every deleted rule, in call order."""

    def __init__(self, listeners, **kwargs):
        FakeElbv2.__init__(self, listeners, **kwargs)
        self.deleted = []

    def delete_rule(self, aws_retry, RuleArn):  # pylint: disable=invalid-name
        with self._lock:
            self.deleted.append(RuleArn)
        FakeElbv2.delete_rule(self, aws_retry, RuleArn)


def test_off_with_markers_deletes_every_sorry_rule_of_every_listener_before_any_bypass_and_reports_them():
    site = ingress_site_with_ours()
    kinds = dict((r['arn'], r['tags'].get(_tags.KIND)) for l in site for r in l['rules'])
    kinds.update(('ing%d-%s' % (port, what), kind) for port in (443, 80)
                 for what, kind in (('sorry', 'sorry'), ('office', 'bypass'), ('header', 'bypass')))
    fake = DeleteRecorder(site, delay=0.002)
    entries = S.with_controller(entries_for(rule_sets(), 'absent'), [MARKER])
    planned = S.plan_site(site, entries, 'absent')['listeners']
    A.SiteRun(fake, entries, 'absent', parallel=2).run(planned)
    order = [kinds[arn] for arn in fake.deleted]
    assert len(order) == 2 * (5 + 3)
    assert order.index('bypass') == order.count('sorry'), order
    for listener in planned:
        port = listener['port']
        assert [r['arn'] for r in fake.listener(listener['arn'], port)['rules']] == [
            'ing%d-preview' % port, 'lbc%d-1' % port, 'lbc%d-2' % port, 'lbc%d-3' % port]
        result = A.listener_result(listener)
        assert result['changed'] is True
        assert [(s['kind'], s['name']) for s in result['rule_sets']] == [
            ('sorry', 'shop'), ('sorry', 'all'), ('bypass', 'passthrough'), ('bypass', 'office')]
        assert [(r['priority'], r['kind'], r['name']) for r in result['controller_rules_deleted']] == [
            (10, 'bypass', 'ingress-shop.test'), (11, 'bypass', 'ingress-shop.test'), (12, 'sorry', 'ingress-shop.test')]
        assert result['controller_rules_deleted'][1]['conditions'][2]['http_header_config']['values'] == ['********']
        before, after = A.listener_diff(listener)
        assert ['ing%d-office' % port, 'ing%d-header' % port, 'ing%d-sorry' % port] == [
            r['arn'] for r in before if r['arn'].startswith('ing')]
        assert after == []
        assert SECRET not in repr((result, before))


# ---------------------------------------------------------------- two runs at once, call by call


class RacingElbv2(FakeElbv2):
    """FakeElbv2 that answers CreateRule on a taken priority with PriorityInUse, as ELBv2 does."""

    def create_rule(self, aws_retry, ListenerArn, Priority, Conditions, Actions, Tags):  # pylint: disable=invalid-name
        with self._lock:
            taken = any(r['priority'] == Priority for r in self.rules.values() if r['listener'] == ListenerArn)
        if taken:
            self._call('CreateRule', ListenerArn, _tags.tag_dict(Tags)[_tags.KIND])
            raise self._error('PriorityInUse')
        return FakeElbv2.create_rule(self, aws_retry, ListenerArn, Priority, Conditions, Actions, Tags)


class Turns:
    """Two runs take turns as ``order`` says, one call each turn (a run that ended lets the other through);
    ``log``: (run, call, answer) in the order answered."""

    def __init__(self, order):
        self.order = list(order)
        self.step = 0
        self.ended = set()
        self.log = []
        self.cond = threading.Condition()

    def call(self, name, what, function):
        with self.cond:
            assert self.cond.wait_for(lambda: self.step >= len(self.order) or self.order[self.step] == name
                                      or self.ended - set([name]), 10), 'the scripted interleaving stalled'
        answer = 'ok'
        try:
            return function()
        except botocore.exceptions.ClientError as e:
            answer = e.response['Error']['Code']
            raise
        finally:
            with self.cond:
                self.log.append((name, what, answer))
                self.step += 1
                self.cond.notify_all()

    def end(self, name):
        with self.cond:
            self.ended.add(name)
            self.cond.notify_all()


class Door:
    """One run's client: every call (and every read of a listener) waits for its turn in ``Turns``."""

    def __init__(self, fake, name, turns):
        self.fake = fake
        self.name = name
        self.turns = turns

    def read(self, arn):
        def read():
            state = self.fake.listener(arn, 443)
            return dict(listener_arn=arn, rules=state['rules'], default_actions=state['default_actions'])
        return self.turns.call(self.name, 'Read', read)

    def __getattr__(self, operation):
        method = getattr(self.fake, operation)
        name = ''.join(word.title() for word in operation.split('_'))
        return lambda **kwargs: self.turns.call(self.name, name, lambda: method(**kwargs))


def race(order, sets, monkeypatch):
    """Two `on` runs of ``sets`` on one listener, both planned from the same read, their calls in ``order``."""
    listener = controller_listener(443)
    fake = RacingElbv2([listener])
    turns = Turns(order)
    monkeypatch.setattr(_elbv2, 'read_listener', lambda client, arn: client.read(arn))
    entries = entries_for(sets)
    results = {}

    def one(name):
        planned = S.plan_site([copy.deepcopy(listener)], entries, 'present', make_room=True)['listeners']
        run = A.SiteRun(Door(fake, name, turns), entries, 'present', make_room=True, parallel=1)
        try:
            run.run(planned)
            results[name] = (run, planned[0])
        except A.SiteWriteError as e:
            results[name] = e
        finally:
            turns.end(name)
    threads = [threading.Thread(target=one, args=(name,)) for name in 'AB']
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return fake, turns, results


def copies(fake):
    keys = [tuple(r['owner'][:3]) for r in _plan.classify(fake.listener('listener/443', 443)['rules'])[0]]
    return sorted(key for key in set(keys) if keys.count(key) > 1)


RACE_SETS = [dict(kind='bypass', name='office', host_headers=['shop.test'], source_ips=['10.0.0.0/8'], use_http_headers=True),
             dict(kind='sorry', name='all', content='<p>all down</p>')]
# Both read the listener (planned from the same read); A records its 3 moves and moves, B does the same (the moves
# already there), B creates bypass part 0; A's part 0 meets PriorityInUse, A reads again (B's part 0, no part 1), B
# creates part 1, A creates part 1 (at another priority than B's: no PriorityInUse).
RACE_ORDER = 'AAAA' + 'BBBB' + 'B' + 'AA' + 'B' + 'A'


def test_a_part_created_twice_by_two_runs_at_different_priorities_is_found_and_the_copy_behind_deleted(monkeypatch):
    # Then A, having met B, reads again and deletes its part 1 (the copy behind B's), B creates the sorry rule, A's
    # meets PriorityInUse, A reads again (nothing left) and once more for copies (none).
    fake, turns, results = race(RACE_ORDER + 'AA' + 'B' + 'AAA', RACE_SETS, monkeypatch)
    assert turns.log == [('A', 'AddTags', 'ok')] * 3 + [('A', 'SetRulePriorities', 'ok')] + [
        ('B', 'AddTags', 'ok')] * 3 + [('B', 'SetRulePriorities', 'ok'), ('B', 'CreateRule', 'ok'),
                                       ('A', 'CreateRule', 'PriorityInUse'), ('A', 'Read', 'ok'), ('B', 'CreateRule', 'ok'),
                                       ('A', 'CreateRule', 'ok'),
                                       ('A', 'Read', 'ok'), ('A', 'DeleteRule', 'ok'),
                                       ('B', 'CreateRule', 'ok'),
                                       ('A', 'CreateRule', 'PriorityInUse'), ('A', 'Read', 'ok'), ('A', 'Read', 'ok')]
    assert copies(fake) == []
    assert sorted(results) == ['A', 'B'] and all(isinstance(result, tuple) for result in results.values()), results
    assert [w for w in results['A'][0].warnings if 'another run' in w] == [
        'another run wrote to listener HTTPS:443 (listener/443) at the same time: deleted 1 rule that repeated one of '
        'the same kind, name and part in front of it']
    owned = S.owned_after(fake.listener('listener/443', 443))
    assert [(r['tags'][_tags.KIND], r['tags'][_tags.PART], r['priority']) for r in owned] == [
        ('bypass', '0', 3), ('bypass', '1', 6), ('sorry', '0', 8)]
    # What each run reports is what is there, ARNs and all.
    for _run, listener in results.values():
        assert [(r['arn'], r['priority']) for r in A.final_rules(listener)] == [(r['arn'], r['priority']) for r in owned]


def test_without_the_look_for_copies_that_interleaving_leaves_parts_twice(monkeypatch):
    """The same race with the look after creating turned off: the bug it fixes (both runs succeed, parts twice)."""
    monkeypatch.setattr(A.SiteRun, '_settle', lambda self, listener, done: None)
    fake, turns, results = race(RACE_ORDER + 'BA', RACE_SETS, monkeypatch)
    assert ''.join(who for who, _what, _answer in turns.log) == RACE_ORDER + 'BA'
    assert all(isinstance(result, tuple) for result in results.values()), results
    assert copies(fake) == [('bypass', 'office', 1), ('sorry', 'all', 0)]


def test_shadowed_copies_are_the_ones_behind_the_first_of_each_kind_name_and_part():
    rule = dict(conditions=[], actions=[])
    owned = [dict(rule, arn='b0', priority=3, tags=_tags.ownership_tags('bypass', 'office', 0, 'h')),
             dict(rule, arn='b1-late', priority=7, tags=_tags.ownership_tags('bypass', 'office', 1, 'h')),
             dict(rule, arn='b1', priority=6, tags=_tags.ownership_tags('bypass', 'office', 1, 'h')),
             dict(rule, arn='other', priority=5, tags=_tags.ownership_tags('bypass', 'other', 1, 'h')),
             dict(rule, arn='foreign', priority=1, tags={}), dict(rule, arn='foreign2', priority=2, tags={}),
             dict(rule, arn='s0', priority=8, tags=_tags.ownership_tags('sorry', 'office', 0, 'h')),
             dict(rule, arn='s0-late', priority=9, tags=_tags.ownership_tags('sorry', 'office', 0, 'h'))]
    assert A.shadowed_copies(owned) == ['b1-late', 's0-late']
    assert A.shadowed_copies([r for r in owned if not r['arn'].endswith('-late')]) == []


def test_a_rule_behind_that_differs_is_not_a_copy_and_stays():
    """Another run with other inputs (other CIDRs), a pinned rule, an unreadable part: never deleted as copies."""
    office = [R.source_ip_condition(['10.0.0.0/8'])]
    other_cidrs = [R.source_ip_condition(['192.0.2.0/24'])]
    forward = [R.forward('arn:tg/web')]

    def rule(arn, priority, conditions, part=1, pinned=False):
        tags = _tags.ownership_tags('bypass', 'office', part, R.rule_hash(conditions, forward))
        if pinned:
            tags[_tags.PINNED] = 'true'
        return dict(arn=arn, priority=priority, conditions=conditions, actions=forward, tags=tags)
    assert A.shadowed_copies([rule('front', 2, office), rule('copy', 5, office)]) == ['copy']
    assert A.shadowed_copies([rule('front', 2, office), rule('differs', 5, other_cidrs)]) == []
    assert A.shadowed_copies([rule('front', 2, office), rule('pinned', 5, office, pinned=True)]) == []
    assert A.shadowed_copies([rule('front', 2, office, part='x'), rule('bad', 5, office, part='x')]) == []
