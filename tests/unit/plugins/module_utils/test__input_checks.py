# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timezone

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _input_checks as C

PARTITIONS = [('aws', r'^(us|eu|ap)\-\w+\-\d+$', ['eu-west-1', 'us-east-1', 'us-west-2']),
              ('aws-cn', r'^cn\-\w+\-\d+$', ['cn-north-1'])]


@pytest.mark.parametrize('region', ['us-east-1', 'eu-west-1', 'cn-north-1',
                                    'eu-south-9',    # newer than the data, shaped like the aws partition's regions
                                    'mx-central-1', 'us-gov-west-1'])  # not in the data, shaped like every region
def test_a_known_region_or_one_shaped_like_a_partitions_passes(region):
    assert C.region_problem(region, PARTITIONS) == ''


@pytest.mark.parametrize('region', ['mars-north-1', 'us-east', 'US-EAST-1', 'us-east-1 ', 'useast1'])
def test_anything_else_is_refused_naming_sorry_region_its_value_and_the_partitions(region):
    problem = C.region_problem(region, PARTITIONS)
    assert problem.startswith("sorry_region: '%s' is not an AWS region: botocore knows no region of that name, nor "
                              "has any of its partitions regions of that form (e.g. us-east-1, eu-west-1, ap-northeast-1)"
                              % region)


def test_a_close_region_is_suggested():
    assert C.region_problem('us-east', PARTITIONS).endswith('; did you mean one of us-east-1?')
    assert C.region_problem('US-EAST-1', PARTITIONS).endswith('; did you mean one of us-east-1?')
    assert 'did you mean' not in C.region_problem('mars-north-1', PARTITIONS)


@pytest.mark.parametrize('region', ['', '  ', None])
def test_an_empty_region_is_refused_even_without_botocore(region):
    assert C.region_problem(region, []).startswith('sorry_region is empty')


def test_without_botocore_data_a_region_passes():
    assert C.region_problem('mars-north-1', []) == ''


def test_the_installed_botocore_knows_the_sandbox_region_and_not_mars():
    partitions = C.endpoint_partitions()
    assert 'aws' in [name for name, _p, _r in partitions]
    assert C.region_problem('us-east-1', partitions) == ''
    assert C.region_problem('mars-north-1', partitions).startswith("sorry_region: 'mars-north-1' is not an AWS region")


@pytest.mark.parametrize('until', ['', '   ', None, '2030-05-01T06:00:00+09:00', '2030-04-30T21:00:00Z',
                                   '2030-05-01T06:00:00',   # no offset: the page takes it as UTC and says so
                                   datetime(2030, 5, 1, tzinfo=timezone.utc)])
def test_until_empty_or_iso_8601_passes(until):
    assert C.until_problem(until) == ''


@pytest.mark.parametrize('until', ['next tuesday', '2030-13-01T00:00:00Z', '01/05/2030 06:00', 42])
def test_until_anything_else_is_refused_naming_sorry_until_and_the_form(until):
    assert C.until_problem(until) == (
        "sorry_until: '%s' is not an ISO 8601 date and time with a UTC offset such as 2030-05-01T06:00:00+09:00 or "
        '2030-04-30T21:00:00Z (the end of maintenance the page shows)' % until)


def test_input_problems_lists_both_and_leaves_until_unchecked_when_not_given():
    both = C.input_problems('mars-north-1', 'next tuesday', partitions=PARTITIONS)
    assert [p.split(':')[0] for p in both] == ['sorry_region', 'sorry_until']
    assert C.input_problems('us-east-1', '', partitions=PARTITIONS) == []
    assert C.input_problems('us-east-1', partitions=PARTITIONS) == []


@pytest.mark.parametrize('entry, checked', [('on', True), ('prepare', True), (None, True), ('off', False),
                                            ('status', False), ('', False)])
def test_sorry_until_is_checked_for_on_and_prepare_only(entry, checked):
    problems = C.input_problems('us-east-1', 'next tuesday', partitions=PARTITIONS, entry=entry)
    assert [p.split(':')[0] for p in problems] == (['sorry_until'] if checked else [])


ALB = {'driver': 'alb', 'eks_outage': 'auto', 'resolved': True}
NONE_FOUND = {'action': 'unknown', 'read_problem': 'none_found', 'message': 'could not be identified.',
              'warnings': ['No Deployment matches app=nothing in namespace kube-system (the current kube context).']}


@pytest.mark.parametrize('problem, inputs', [('none_found', 'sorry_lbc_selector and sorry_lbc_namespace'),
                                             ('several_found', 'sorry_lbc_selector'),
                                             ('config', 'sorry_kubeconfig and sorry_kube_context')])
def test_the_alb_driver_is_refused_when_the_pause_cannot_be_done(problem, inputs):
    lbc = dict(NONE_FOUND, read_problem=problem)
    assert C.pause_problem(ALB, lbc) == (
        'Nothing was changed: the ALB driver would put the Sorry page on and then pause the AWS Load Balancer Controller, '
        'which cannot be done: No Deployment matches app=nothing in namespace kube-system (the current kube context). '
        'Check %s, or run with sorry_eks_outage=false to switch without pausing it.' % inputs)


@pytest.mark.parametrize('mode, lbc', [
    (dict(ALB, driver='ingress'), NONE_FOUND),            # not the ALB driver
    (dict(ALB, eks_outage='false'), NONE_FOUND),          # no pause
    (ALB, dict(NONE_FOUND, read_problem='connection')),   # an outage: what the ALB driver is for
    (ALB, dict(NONE_FOUND, read_problem='auth')),
    (ALB, dict(NONE_FOUND, action='not_paused', read_problem='')),
    (ALB, None),                                          # not read (sorry_driver=alb)
    (None, None),
])
def test_otherwise_the_switch_goes_ahead(mode, lbc):
    assert C.pause_problem(mode, lbc) == ''


def test_a_warning_without_a_full_stop_gets_one():
    lbc = dict(NONE_FOUND, warnings=['2 Deployments match x'], read_problem='several_found')
    assert 'cannot be done: 2 Deployments match x. Check sorry_lbc_selector,' in C.pause_problem(ALB, lbc)
