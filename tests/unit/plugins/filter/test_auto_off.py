# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timedelta, timezone

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sorrypage.aws.plugins.filter.auto_off import FilterModule, sorry_auto_off_problems, sorry_auto_off_rules

ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/k8s-shop1-main-d3d8770d32/d834e41ae8ede541/%s'


def _site_rule(kind, name, part, arn):
    """A rule as alb_sorry_site returns it in listeners[].rules (tags only)."""
    return dict(arn=arn, priority=1, conditions=[], actions=[],
                tags={'sorrypage:kind': kind, 'sorrypage:rule': name, 'sorrypage:part': str(part), 'sorrypage:by': 'alice'})


def _site_result():
    return dict(changed=True, listeners=[
        dict(port=443, arn='l443', rules=[_site_rule('bypass', 'bypass', 0, ARN % 'b443'),
                                          _site_rule('sorry', 'shop', 0, ARN % 's443'),
                                          _site_rule('sorry', 'blog', 0, ARN % 'g443'),
                                          _site_rule('preview', 'preview', 0, ARN % 'p443')]),
        dict(port=80, arn='l80', rules=[_site_rule('sorry', 'shop', 0, ARN % 's80'),
                                        _site_rule('sorry', 'shop', 1, ARN % 's80b')]),
    ])


def test_every_sorry_rule_of_every_listener_keyed_by_port_set_part():
    assert sorry_auto_off_rules(_site_result()) == [
        dict(key='80-shop-0', arn=ARN % 's80'), dict(key='80-shop-1', arn=ARN % 's80b'),
        dict(key='443-blog-0', arn=ARN % 'g443'), dict(key='443-shop-0', arn=ARN % 's443')]


def test_info_shape_leaves_the_controllers_sorry_rules_out():
    info = dict(listeners=[dict(port=443, owned_rules=[
        dict(arn=ARN % 's', kind='sorry', name='shop', part=0, made_by='sorrypage', tags={}),
        dict(arn=ARN % 'c', kind='sorry', name='ingress-shop.example.com', part=None, made_by='controller', tags={}),
        dict(arn=ARN % 'b', kind='bypass', name='bypass', part=1, made_by='sorrypage', tags={})])])
    assert sorry_auto_off_rules(info) == [dict(key='443-shop-0', arn=ARN % 's')]


def test_check_mode_result_keeps_rules_without_arn():
    result = dict(listeners=[dict(port=443, rules=[_site_rule('sorry', 'shop', 0, None)])])
    assert sorry_auto_off_rules(result) == [dict(key='443-shop-0', arn=None)]


def test_a_rule_without_part_tag_is_part_zero():
    rule = _site_rule('sorry', 'shop', 0, ARN % 's')
    del rule['tags']['sorrypage:part']
    assert sorry_auto_off_rules(dict(listeners=[dict(port=80, rules=[rule])])) == [dict(key='80-shop-0', arn=ARN % 's')]


def test_nothing_switched_on_gives_nothing():
    assert sorry_auto_off_rules(dict(listeners=[])) == []
    assert sorry_auto_off_rules(dict(listeners=[dict(port=80, rules=[])])) == []


@pytest.mark.parametrize('value, message', [
    (None, 'sorry_auto_off_rules: expects the registered result of sorrypage.aws.alb_sorry_site or alb_sorry_info '
           '(a dict with a listeners list); got NoneType'),
    (dict(skipped=True), 'sorry_auto_off_rules: expects the registered result of sorrypage.aws.alb_sorry_site or '
                         'alb_sorry_info (a dict with a listeners list); got dict (a skipped task?)'),
    ([], 'sorry_auto_off_rules: expects the registered result of sorrypage.aws.alb_sorry_site or alb_sorry_info '
         '(a dict with a listeners list); got list'),
])
def test_not_a_site_result(value, message):
    with pytest.raises(AnsibleFilterError) as err:
        sorry_auto_off_rules(value)
    assert str(err.value) == message


@pytest.mark.parametrize('listener, missing', [
    (dict(rules=[_site_rule('sorry', 'shop', 0, ARN % 's')]), 'port'),
    (dict(port=80, rules=[dict(arn=ARN % 's', tags={'sorrypage:kind': 'sorry'})]), 'set name'),
])
def test_a_sorry_rule_that_cannot_be_keyed(listener, missing):
    with pytest.raises(AnsibleFilterError) as err:
        sorry_auto_off_rules(dict(listeners=[listener]))
    assert str(err.value) == ('sorry_auto_off_rules: sorry rule %s has no %s: not a result of alb_sorry_site or '
                              'alb_sorry_info?' % (ARN % 's', missing))


def test_registered_name():
    filters = FilterModule().filters()
    assert sorted(filters) == ['sorry_auto_off_group', 'sorry_auto_off_mode', 'sorry_auto_off_problems',
                               'sorry_auto_off_recorded_group',
                               'sorry_auto_off_report', 'sorry_auto_off_rules', 'sorry_auto_off_tags']
    assert filters['sorry_auto_off_rules'] is sorry_auto_off_rules
    assert filters['sorry_auto_off_problems'] is sorry_auto_off_problems


def test_the_ingress_driver_is_refused_and_the_group_is_named_and_recorded_by_tag():
    assert sorry_auto_off_problems('2099-03-02T14:00:00+09:00', ROLE, 'sorrypage-x', driver='ingress') == [
        "sorry_auto_off works with the ALB driver only: the Ingress driver's rules are the controller's, which "
        're-creates a deleted rule and rewrites rules at its priorities, so a recorded rule ARN may later hold an '
        'application rule; use sorry_driver: alb for a window that ends by itself']
    filters = FilterModule().filters()
    assert filters['sorry_auto_off_group']('k8s-shop') == 'sorrypage-k8s-shop'
    assert filters['sorry_auto_off_tags']('yes', 'k8s-shop') == {'sorrypage:auto-off': 'sorrypage-k8s-shop'}
    assert filters['sorry_auto_off_tags'](False, 'k8s-shop') == {}
    info = {'listeners': [{'owned_rules': [{'tags': {}}, {'tags': {'sorrypage:auto-off': 'sorrypage-k8s-shop'}}]}]}
    assert filters['sorry_auto_off_recorded_group'](info) == 'sorrypage-k8s-shop'
    assert filters['sorry_auto_off_recorded_group']({'listeners': [{'owned_rules': [{'tags': {}}]}]}) == ''


def test_the_status_lines_say_when_the_window_ends_and_warn():
    report = FilterModule().filters()['sorry_auto_off_report']
    assert report({'group': 'g', 'schedules': []}) == [
        'auto-off: no schedule left in g: the Sorry page ends only with `off`']
    assert report({'group': 'g', 'schedules': [{}, {}], 'next_at_utc': '2030-01-01T00:00:00Z', 'seconds_left': 600,
                   'time_left_warnings': ['the Sorry page ends by itself in 10 min']}) == [
        'auto-off: the Sorry page ends by itself at 2030-01-01T00:00:00Z (in 10 min; 2 schedule(s) in g)',
        'WARNING: the Sorry page ends by itself in 10 min']


ROLE = 'arn:aws:iam::123456789012:role/sorrypage-auto-off'


def test_problems_none_for_good_inputs():
    assert sorry_auto_off_problems('2099-03-02T14:00:00+09:00', ROLE, 'sorrypage-k8s-shop-main') == []


def test_problems_name_every_bad_input():
    assert sorry_auto_off_problems('2099-03-02T14:00:00', 'my-role', 'sorry page') == [
        "sorry_until: at '2099-03-02T14:00:00' has no UTC offset: the schedules are written in UTC, so say which zone "
        'it is in, e.g. 2099-03-02T14:00:00+09:00 or 2099-03-02T14:00:00Z',
        "sorry_auto_off_role_arn: role_arn 'my-role' is not an IAM role ARN such as "
        'arn:aws:iam::123456789012:role/sorrypage-auto-off (the execution role the Scheduler assumes to delete the sorry '
        'rules)',
        "the schedule group: group 'sorry page' is not a valid schedule group name: 1 to 64 characters among "
        '0-9 a-z A-Z - _ . (it has 10)']


def test_problems_a_past_until():
    problems = sorry_auto_off_problems('2020-01-01T00:00:00Z', ROLE, 'g')
    assert len(problems) == 1 and problems[0].startswith(
        "sorry_until: at '2020-01-01T00:00:00Z' (2020-01-01T00:00:00Z) is ")
    assert 's in the past: the end of the window must be at least 600 s in the future' in problems[0]


def test_problems_an_end_too_close_for_the_switch_before_it():
    """The module takes an end 60 s ahead; before the switch, on asks 10 min: the pause and the probes come first."""
    soon = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()
    problems = sorry_auto_off_problems(soon, ROLE, 'g')
    assert len(problems) == 1 and 'only' in problems[0] and 'at least 600 s in the future' in problems[0]


@pytest.mark.parametrize('requested, recorded, until, expected', [
    ('true', '', '2030-01-01T00:00:00Z', 'present'),
    (True, 'g', '2030-01-01T00:00:00Z', 'present'),
    ('auto', 'g', '2030-01-01T00:00:00Z', 'present'),   # a rerun to extend the window moves its end
    ('auto', 'g', '', 'keep'),
    ('auto', '', '2030-01-01T00:00:00Z', 'none'),
    ('false', 'g', '2030-01-01T00:00:00Z', 'absent'),   # cancelled: nothing fires in the window
    ('no', '', '', 'none'),
])
def test_what_on_does_with_the_end_of_the_window(requested, recorded, until, expected):
    assert FilterModule().filters()['sorry_auto_off_mode'](requested, recorded, until) == expected


def test_a_bad_sorry_auto_off_is_refused_and_only_true_is_checked_before_the_switch():
    with pytest.raises(AnsibleFilterError, match="sorry_auto_off must be auto, true or false, got 'maybe'"):
        FilterModule().filters()['sorry_auto_off_mode']('maybe', '', '')
    assert sorry_auto_off_problems('', '', 'g', requested='auto') == []
    assert sorry_auto_off_problems('2020-01-01T00:00:00Z', '', 'g', requested='false') == []
    assert len(sorry_auto_off_problems('', '', 'g', requested='true')) == 2    # the end and the role
