# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sorrypage.aws.plugins.filter import site_state as F
from ansible_collections.sorrypage.aws.plugins.module_utils import _site_state

LB = {'arn': 'arn:lb/shop', 'name': 'k8s-shop', 'dns_name': 'k8s-shop.elb.test', 'scheme': 'internet-facing',
      'ip_address_type': 'ipv4', 'tags': {}, 'controller_managed': False, 'cluster_name': None}
SORRY = {'arn': 'arn:r/1', 'priority': 1, 'name': 'shop', 'kind': 'sorry', 'part': 0,
         'tags': {'sorrypage:at': '2026-12-02T01:00:00Z', 'sorrypage:by': 'alice', 'sorrypage:marker': 'm-1'},
         'conditions': [{'field': 'path-pattern', 'path_pattern_config': {'values': ['/*']}}],
         'action': {'type': 'fixed-response', 'status_code': '503'}, 'body_chars': 10, 'status_code': 503, 'drift': False}
BYPASS = {'arn': 'arn:r/0', 'priority': 0, 'name': 'bypass', 'kind': 'bypass', 'part': 0, 'tags': {},
          'conditions': [{'field': 'http-header', 'http_header_config': {'http_header_name': 'X-B', 'values': ['********']}}],
          'action': {'type': 'forward'}, 'body_chars': None, 'status_code': None, 'drift': False}
INFO = {'load_balancer': LB, 'in_maintenance': True, 'listeners': [
    {'arn': 'arn:l/443', 'port': 443, 'protocol': 'HTTPS', 'redirect_only': False,
     'default_action': {'type': 'fixed-response', 'status_code': '404'}, 'rule_count': 2,
     'owned_rules': [BYPASS, SORRY], 'moved_rules': []}]}


def test_every_filter_is_registered_under_its_name():
    assert F.FilterModule().filters() == {
        'sorry_site_state': F.sorry_site_state,
        'sorry_summary': F.sorry_summary,
        'sorry_lbc_rule_tags': F.sorry_lbc_rule_tags,
        'sorry_lbc_tags_stale': F.sorry_lbc_tags_stale,
    }


def test_sorry_site_state_is_build_state():
    state = F.sorry_site_state(INFO, None, 'false', driver='alb', driver_reason='sorry_driver=alb', site='shop')
    assert state == _site_state.build_state(INFO, None, 'false', 'alb', 'sorry_driver=alb', 'shop')
    assert state['lines'] == [
        'shop: k8s-shop (internet-facing, ipv4, no controller): maintenance ON',
        '  driver: alb (sorry_driver=alb)',
        '  HTTPS:443 ON since 2026-12-02T01:00:00Z by alice',
        '    sorry shop (priority 1): 503, 10 chars, page ?, marker m-1, hosts all',
        '    public -> 503, the Sorry page',
        '    office -> the application (1 bypass rule(s); header X-B)',
    ]
    assert state['markers'] == ['m-1'] and state['off_ports'] == [443] and state['maintenance'] == 'on'


def test_sorry_summary():
    state = F.sorry_site_state(INFO, site='shop')
    assert F.sorry_summary(state, 'status') == [
        'shop: maintenance ON on k8s-shop (1 listener(s))',
        'public: 503 Sorry page on all hosts',
        'bypass: header X-B',
        'no Retry-After header: an ALB fixed response cannot carry custom headers; the page refreshes itself and says '
        'until when',
        'driver: alb; controller: not managed (no AWS Load Balancer Controller on this ALB)',
        'next: end it with `ansible-playbook playbooks/maintenance_off.yml -l shop`',
    ]


def test_sorry_lbc_rule_tags_and_stale():
    wanted = F.sorry_lbc_rule_tags({'action': 'pending', 'replicas_recorded': 2}, 'auto')
    assert wanted == {'sorrypage:lbc': 'pending', 'sorrypage:lbc-replicas': '2'}
    listeners = [{'port': 443, 'rules': [{'tags': {'sorrypage:kind': 'sorry', 'sorrypage:lbc': 'paused'}}]}]
    assert F.sorry_lbc_tags_stale(listeners, wanted) is True
    assert F.sorry_lbc_tags_stale(listeners, {'sorrypage:lbc': 'paused'}) is False


@pytest.mark.parametrize('call, message', [
    (lambda: F.sorry_site_state(INFO, eks_outage='perhaps'), "sorry_eks_outage must be auto, true or false, got 'perhaps'"),
    (lambda: F.sorry_lbc_rule_tags({'action': 'paused'}, 'nope'), "sorry_eks_outage must be auto, true or false, got 'nope'"),
    (lambda: F.sorry_summary(F.sorry_site_state(INFO), 'verify'), "summary action must be on, off or status, got 'verify'"),
])
def test_a_bad_input_is_a_filter_error(call, message):
    with pytest.raises(AnsibleFilterError) as err:
        call()
    assert err.value.message == message
