# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sorrypage.aws.plugins.filter import rule_sets as F

RENDERED = {'en': {'body': '<p>sorry</p>', 'marker': 'm-en'}}


def test_every_filter_is_registered_under_its_name():
    filters = F.FilterModule().filters()
    assert sorted(filters) == ['sorry_api_pages', 'sorry_http_headers', 'sorry_info_tags', 'sorry_ingress_budget', 'sorry_ingress_problem',
                               'sorry_ingress_record_hosts', 'sorry_ingress_sets', 'sorry_ingress_wait',
                               'sorry_input_warnings', 'sorry_markers_used', 'sorry_pages_used', 'sorry_preview_plan',
                               'sorry_preview_report', 'sorry_rule_sets', 'sorry_stale_sets']
    assert filters['sorry_api_pages'] is F.sorry_api_pages
    assert filters['sorry_ingress_sets'] is F.sorry_ingress_sets
    assert filters['sorry_rule_sets'] is F.sorry_rule_sets


def test_rule_sets_through_the_filter():
    sets = F.FilterModule().filters()['sorry_rule_sets']([{'name': 'shop', 'page': 'en'}], RENDERED,
                                                         ['10.0.0.0/8'], [], '', 'auto', [])
    assert sets == [
        {'kind': 'bypass', 'name': 'bypass', 'host_headers': [], 'path_patterns': [], 'source_ips': ['10.0.0.0/8'],
         'use_http_headers': False, 'mirror': 'auto', 'target_group_arn': None},
        {'kind': 'sorry', 'name': 'shop', 'host_headers': [], 'content': '<p>sorry</p>',
         'tags': {'sorrypage:page': 'en', 'sorrypage:marker': 'm-en'}}]


@pytest.mark.parametrize('name, args, message', [
    ('sorry_rule_sets', ([{'name': 'shop', 'page': 'en'}], RENDERED, [], [], '', 'auto', [], {'shop': {'paths': 'x'}}),
     'Nothing was changed: sorry_api[shop].paths must be a list of path patterns such as /api/*'),
    ('sorry_api_pages', ({'shop': {}}, 'x', 'y' * 1100),
     "Nothing was changed: the JSON body for API clients does not fit the ALB's 1024 characters even without its "
     'message: shorten sorry_until or sorry_status_url'),
    ('sorry_rule_sets', ([{'name': 'shop', 'page': 'de'}], RENDERED),
     'Nothing was changed: no rendered page for de (sorry_rendered_pages has en)'),
    ('sorry_rule_sets', ([{'name': 'a', 'page': 'en'}, {'name': 'a', 'page': 'en'}], RENDERED),
     'Nothing was changed: sorry_pages names must be unique, got a, a (a more than once)'),
    ('sorry_http_headers', ([{'name': 'X-Office', 'value': ''}],),
     'Nothing was changed: sorry_bypass_headers[0] (X-Office) has no value'),
])
def test_value_errors_become_filter_errors(name, args, message):
    with pytest.raises(AnsibleFilterError) as caught:
        F.FilterModule().filters()[name](*args)
    assert caught.value.message == message


def test_the_other_filters_pass_through():
    filters = F.FilterModule().filters()
    assert filters['sorry_http_headers']([{'name': 'X-A', 'value': 'v'}]) == [{'name': 'X-A', 'values': ['v']}]
    assert filters['sorry_input_warnings']([], []) == [
        'no bypass (sorry_bypass_cidrs, sorry_bypass_headers): internal users get the Sorry page too']
    assert filters['sorry_info_tags']('alice', '', 'soon', {'sorrypage:lbc': 'paused'}) == {
        'sorrypage:by': 'alice', 'sorrypage:until': 'soon', 'sorrypage:lbc': 'paused'}
    found = {'load_balancer': {'name': 'lb', 'controller_managed': False},
             'listeners': [{'port': 443, 'protocol': 'HTTPS', 'arn': 'l443', 'redirect_only': False, 'owned_rules': []}]}
    plan = filters['sorry_preview_plan'](found, [{'name': 'shop', 'page': 'en'}], '/_p')
    assert plan == [{'port': 443, 'protocol': 'HTTPS', 'listener_arn': 'l443', 'name': 'preview-shop', 'page': 'en',
                     'hosts': [], 'state': 'present', 'make_room': False}]
    assert filters['sorry_preview_report'](found, plan, '/_p') == ['preview rule preview-shop present HTTPS 443 (path /_p)']


def test_ingress_filters_fail_naming_the_input_before_any_change():
    filters = F.FilterModule().filters()
    with pytest.raises(AnsibleFilterError) as info:
        filters['sorry_ingress_sets']({'listeners': []}, [{'name': 'shop', 'page': 'xx'}], RENDERED, [], [])
    assert str(info.value).startswith('Nothing was changed: ')
    assert filters['sorry_ingress_problem']({'listeners': []}, [{'name': 'shop', 'page': 'en'}], [], []) == ''
