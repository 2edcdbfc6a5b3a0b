# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _cloudfront_inputs as C

FOUND = {'distributions': [{'id': 'E2QWRUHAPOMQZL', 'domain_name': 'd1.cloudfront.net', 'error_caching_min_ttl_503': 10}],
         'in_front': True}
NONE = {'distributions': [], 'in_front': False}


def test_needs_follow_the_rules_the_site_has():
    pages = [{'name': 'shop', 'page': 'en', 'languages': {'ja': 'ja'}}, {'name': 'blog', 'page': 'ja'}]
    assert C.needs(pages) == {'accept_language': True, 'accept': False, 'viewer_address': False}
    assert C.needs([{'name': 'shop', 'page': 'en'}], {'shop': {'paths': ['/api/*'], 'accept_json': False}}, 'yes') == {
        'accept_language': False, 'accept': False, 'viewer_address': True}
    assert C.needs([{'name': 'shop', 'page': 'en'}], {'shop': {}})['accept'] is True


@pytest.mark.parametrize('cloudfront, cidrs, headers, viewer, refused', [
    (FOUND, ['203.0.113.0/24'], [], False, True),          # CIDR only behind CloudFront: nobody would get through
    (FOUND, ['203.0.113.0/24'], [{'name': 'X-B', 'value': 's'}], False, False),
    (FOUND, ['203.0.113.0/24'], [], True, False),
    (NONE, ['203.0.113.0/24'], [], False, False),
    (FOUND, [], [{'name': 'X-B', 'value': 's'}], False, False),
    ({}, ['203.0.113.0/24'], [], False, False),           # the read was skipped
])
def test_a_cidr_only_bypass_is_refused_behind_a_distribution(cloudfront, cidrs, headers, viewer, refused):
    problem = C.bypass_problem(cloudfront, cidrs, headers, viewer)
    assert bool(problem) is refused
    if refused:
        assert problem.startswith("the ALB is behind CloudFront (E2QWRUHAPOMQZL): it sees CloudFront's addresses")
        assert 'sorry_bypass_viewer_header: true and sorry_cloudfront_origin_header' in problem


def test_invalidation_ids_only_when_asked_and_found():
    assert C.invalidation_ids(FOUND, False) == []
    assert C.invalidation_ids(FOUND, 'true') == ['E2QWRUHAPOMQZL']
    assert C.invalidation_ids(NONE, True) == []
    with pytest.raises(ValueError):
        C.invalidation_ids(FOUND, 'maybe')


def test_report_lines():
    assert C.report(NONE) == ['CloudFront: no distribution in front of the ALB']
    assert C.report(FOUND, True) == ['CloudFront: E2QWRUHAPOMQZL (d1.cloudfront.net) is in front of the ALB; a 503 is '
                                     'cached 10 s; /* is invalidated after on and off']
    assert 'not invalidated (sorry_cloudfront_invalidate: false)' in C.report(FOUND)[0]
    result = {'invalidations': [{'distribution_id': 'E2Q', 'id': 'I1', 'status': 'Completed', 'paths': ['/*'],
                                 'waited_s': 41.2, 'reads': 9}]}
    assert C.invalidation_report(result) == ['CloudFront: invalidation I1 of /* on E2Q: Completed after 41 s (9 reads)']
    assert C.invalidation_report(None) == []


def test_the_origin_header_is_checked_only_for_the_viewer_bypass_and_never_shown():
    weak = {'name': 'X-Origin-Verify', 'value': 'abc*'}
    assert C.origin_header_problem(weak, False) == ''
    problem = C.origin_header_problem(weak, True)
    assert problem.startswith('sorry_cloudfront_origin_header: ') and 'abc*' not in problem
    assert C.origin_header_problem({'name': 'X-Origin-Verify', 'value': 'a-long-random-value-0123456789'}, True) == ''
    assert C.origin_header_problem({}, True) == ''


def test_named_distributions_are_taken_as_in_front_when_they_cannot_be_read():
    taken = C.unverified(['E123', ''])
    assert taken == {'distributions': [{'id': 'E123', 'unverified': True}], 'in_front': True, 'cloudfront_warnings': []}
    assert C.bypass_problem(taken, ['203.0.113.0/24'], [], False).startswith('the ALB is behind CloudFront (E123)')
    assert C.invalidation_ids(taken, True) == ['E123']
    assert C.report(taken, True) == ['CloudFront: E123 is taken as in front of the ALB (named in '
                                     'sorry_cloudfront_distribution_ids, not read: its settings are not checked); /* is '
                                     'invalidated after on and off']
    assert C.unverified([]) == {'distributions': [], 'in_front': False, 'cloudfront_warnings': []}
