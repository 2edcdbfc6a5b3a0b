# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _info
from ansible_collections.sorrypage.aws.plugins.module_utils import _rules as R
from ansible_collections.sorrypage.aws.plugins.module_utils import _tags

BALANCER = {'LoadBalancerArn': 'arn:lb', 'LoadBalancerName': 'k8s-shop', 'DNSName': 'k8s-shop.elb.test',
            'Scheme': 'internet-facing', 'IpAddressType': 'dualstack'}
REDIRECT = [{'Type': 'redirect', 'RedirectConfig': {'Protocol': 'HTTPS', 'Port': '443', 'StatusCode': 'HTTP_301'}}]


@pytest.mark.parametrize('tags, managed, cluster', [
    ({'elbv2.k8s.aws/cluster': 'prod'}, True, 'prod'),
    ({'ingress.k8s.aws/stack': 'shop'}, True, None),
    ({'Team': 'shop'}, False, None),
    ({}, False, None),
])
def test_load_balancer_summary(tags, managed, cluster):
    summary = _info.load_balancer_summary(BALANCER, tags)
    assert summary == dict(arn='arn:lb', name='k8s-shop', dns_name='k8s-shop.elb.test', scheme='internet-facing',
                           ip_address_type='dualstack', tags=tags, controller_managed=managed, cluster_name=cluster)


def owned_rule(arn, priority, kind, name, conditions, actions, **extra_tags):
    tags = _tags.ownership_tags(kind, name, 0, R.rule_hash(conditions, actions))
    tags.update(extra_tags)
    return dict(arn=arn, priority=priority, conditions=conditions, actions=actions, tags=tags)


def test_listener_summary():
    sorry = owned_rule('s', 12, 'sorry', 'shop', [R.path_condition(['/*'])],
                       [R.fixed_response(503, 'text/html', u'\u65e5\u672c')], **{'sorrypage:why': 'migration'})
    bypass = owned_rule('b', 10, 'bypass', 'office', [R.header_condition('X-B', ['secret'])], [R.forward('arn:tg')])
    bypass['actions'] = [R.forward('arn:other')]  # changed in place after it was written
    moved = dict(arn='f', priority=21, conditions=[R.path_condition(['/*'])], actions=[R.forward('arn:tg')],
                 tags={_tags.SHIFT: '+20'})
    listener = {'ListenerArn': 'arn:l', 'Port': 443, 'Protocol': 'HTTPS'}
    summary = _info.listener_summary(listener, [bypass, sorry, moved], [R.fixed_response(404, 'text/plain', '')])
    assert summary['arn'] == 'arn:l' and summary['port'] == 443 and summary['protocol'] == 'HTTPS'
    assert summary['redirect_only'] is False
    assert summary['default_action'] == {'type': 'fixed-response', 'status_code': '404', 'content_type': 'text/plain',
                                         'body_chars': 0}
    assert summary['rule_count'] == 3
    assert [r['arn'] for r in summary['owned_rules']] == ['b', 's']
    b, s = summary['owned_rules']
    assert b['kind'] == 'bypass' and b['name'] == 'office' and b['part'] == 0
    assert b['drift'] is True and s['drift'] is False
    assert b['conditions'] == [{'field': 'http-header', 'http_header_config': {'http_header_name': 'X-B', 'values': ['********']}}]
    assert 'secret' not in repr(summary)
    assert b['body_chars'] is None and b['status_code'] is None
    assert s['body_chars'] == 2 and s['status_code'] == 503
    assert s['tags']['sorrypage:why'] == 'migration'
    assert s['action'] == {'type': 'fixed-response', 'status_code': '503', 'content_type': 'text/html', 'body_chars': 2}
    assert summary['moved_rules'] == [{'arn': 'f', 'priority': 21, 'original_priority': 1}]
    assert _info.in_maintenance([summary]) is True


@pytest.mark.parametrize('rules, redirect_only', [
    ([], True),
    ([dict(arn='r', priority=1, conditions=[], actions=[R.fixed_response(404, 'text/plain', '')], tags={})], True),
    ([dict(arn='r', priority=1, conditions=[], actions=[R.forward('arn:tg')], tags={})], False),
])
def test_redirect_only(rules, redirect_only):
    listener = {'ListenerArn': 'arn:l', 'Port': 80, 'Protocol': 'HTTP'}
    assert _info.listener_summary(listener, rules, REDIRECT)['redirect_only'] is redirect_only


def test_not_in_maintenance_with_only_a_bypass():
    bypass = owned_rule('b', 10, 'bypass', 'office', [R.source_ip_condition(['10.0.0.0/8'])], [R.forward('arn:tg')])
    summary = _info.listener_summary({'ListenerArn': 'arn:l', 'Port': 443}, [bypass], REDIRECT)
    assert _info.in_maintenance([summary]) is False
    assert _info.in_maintenance([]) is False
