# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What alb_sorry_info reports about a site: its load balancer, listeners and
owned rules, built from what the ELBv2 reads returned (pure)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.sorrypage.aws.plugins.module_utils import _plan
from ansible_collections.sorrypage.aws.plugins.module_utils import _rules
from ansible_collections.sorrypage.aws.plugins.module_utils import _tags

CLUSTER_TAG = 'elbv2.k8s.aws/cluster'
INGRESS_TAG_PREFIX = 'ingress.k8s.aws/'


def controller_managed(tags):
    """The load balancer carries the AWS Load Balancer Controller's tags."""
    return CLUSTER_TAG in (tags or {}) or any(k.startswith(INGRESS_TAG_PREFIX) for k in tags or {})


def load_balancer_summary(balancer, tags):
    tags = dict(tags or {})
    managed = controller_managed(tags)
    return dict(
        arn=balancer['LoadBalancerArn'],
        name=balancer['LoadBalancerName'],
        dns_name=balancer.get('DNSName'),
        scheme=balancer.get('Scheme'),
        ip_address_type=balancer.get('IpAddressType'),
        tags=tags,
        controller_managed=managed,
        cluster_name=tags.get(CLUSTER_TAG),
    )


def _owned_rule(rule):
    kind, name, part = rule['owner']
    body = _rules.fixed_body(rule['actions'])
    summary = _rules.summarise_actions(rule['actions'])
    return dict(
        arn=rule['arn'],
        priority=rule['priority'],
        name=name,
        kind=kind,
        part=part,
        tags=dict(rule['tags']),
        conditions=[camel_dict_to_snake_dict(c) for c in _rules.mask_conditions(
            [_rules.write_condition(c) for c in rule['conditions']])],
        action=summary,
        body_chars=len(body) if body is not None else None,
        status_code=int(summary['status_code']) if summary.get('type') == 'fixed-response' else None,
        drift=_plan.drift_of(rule) is not None,
    )


def listener_summary(listener, rules, default_actions):
    """listener: a DescribeListeners entry; rules: its non-default rules as
    read_listener records (arn, priority, conditions, actions, tags)."""
    owned, foreign = _plan.classify(rules)
    default = _rules.summarise_actions(default_actions)
    forwards = any(_rules.summarise_actions(r['actions']).get('type') == 'forward' for r in rules)
    return dict(
        arn=listener['ListenerArn'],
        port=listener['Port'],
        protocol=listener.get('Protocol'),
        redirect_only=default.get('type') == 'redirect' and not forwards,
        default_action=default,
        rule_count=len(rules),
        owned_rules=[_owned_rule(r) for r in sorted(owned, key=lambda r: r['priority'])],
        moved_rules=[dict(arn=r['arn'], priority=r['priority'], original_priority=r['priority'] - _tags.parse_shift(r['tags']))
                     for r in foreign if _tags.parse_shift(r['tags'])],
    )


def in_maintenance(listeners):
    return any(rule['kind'] == 'sorry' for listener in listeners for rule in listener['owned_rules'])
