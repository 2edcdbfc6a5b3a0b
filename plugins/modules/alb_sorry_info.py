#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: alb_sorry_info
short_description: Report a site's listeners, the rules this collection owns on them, and controller tags
version_added: 0.1.0
description:
  - Read-only. Describes one Application Load Balancer for maintenance work, that is whether the AWS Load
    Balancer Controller manages it, and per listener the default action, the rules this collection owns
    (sorry, bypass, preview, with drift detection) and the rules it moved to make room.
  - With O(markers), also the sorry and bypass rules the AWS Load Balancer Controller made from the Ingress driver's
    edit (module M(sorrypage.aws.ingress_sorry)). Those carry the controller's tags, not this collection's, so they
    are recognised by the Sorry page's build marker in their body instead.
  - Cheap, with one DescribeLoadBalancers call, one DescribeListeners call, one DescribeRules call per listener and
    one DescribeTags call per 20 rules.
author:
  - sorrypage.aws maintainers (@sorrypage)
options:
  load_balancer_name:
    description:
      - Name of the load balancer. Mutually exclusive with O(load_balancer_arn).
    type: str
  load_balancer_arn:
    description:
      - ARN of the load balancer.
    type: str
  listener_ports:
    description:
      - Only these listeners; all when omitted. A port the load balancer does not have is an error.
    type: list
    elements: int
  markers:
    description:
      - The Sorry pages' unique build markers (C(marker) of M(sorrypage.aws.sorry_asset_upload)).
      - A rule this collection did not tag whose terminal action is a fixed response whose body holds one of them is
        reported in RV(listeners[].owned_rules) as kind V(sorry), with RV(listeners[].owned_rules[].made_by=controller).
      - So is, as kind V(bypass), a rule this collection did not tag in front of such a sorry rule (lower priority
        number) that forwards, has a C(source-ip) or C(http-header) condition, and whose host-header values overlap
        the sorry rule's (or either has no host-header condition).
      - Those rules are left out of RV(listeners[].routes) and RV(listeners[].moved_rules) and make
        RV(in_maintenance) true when a sorry rule is among them. They still count in RV(listeners[].rule_count).
      - Empty, the controller's rules are reported as any rule this collection does not own.
    type: list
    elements: str
    default: []
    version_added: 0.3.0
  rules_quota:
    description:
      - Also read the account's rules-per-application-load-balancer quota (one DescribeAccountLimits) into
        RV(rules_quota), to check a plan against it.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to show.
notes:
  - "Minimal IAM policy: see docs/iam-policy.md."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: What is the site doing?
  sorrypage.aws.alb_sorry_info:
    load_balancer_name: k8s-shop-main-1234567890
  register: site

- name: Say whether maintenance is on
  ansible.builtin.debug:
    msg: "{{ site.load_balancer.name }} in maintenance: {{ site.in_maintenance }}"

- name: Only the HTTPS listener
  sorrypage.aws.alb_sorry_info:
    load_balancer_arn: "{{ alb_arn }}"
    listener_ports: [443]

- name: Also the rules the AWS Load Balancer Controller made from the Ingress driver's edit
  sorrypage.aws.alb_sorry_info:
    load_balancer_name: k8s-shop-main-1234567890
    markers: ["{{ sorry_build.marker }}"]
"""

RETURN = r"""
rules_quota:
  description: The rules-per-application-load-balancer quota (default rules not counted); null when it could not be read.
  returned: when O(rules_quota=true)
  type: int
  sample: 100
load_balancer:
  description: The load balancer.
  returned: always
  type: dict
  contains:
    arn:
      description: ARN.
      type: str
    name:
      description: Name.
      type: str
    dns_name:
      description: DNS name.
      type: str
    scheme:
      description: V(internet-facing) or V(internal).
      type: str
    ip_address_type:
      description: V(ipv4), V(dualstack), ...
      type: str
    tags:
      description: Its tags.
      type: dict
    controller_managed:
      description: It carries V(elbv2.k8s.aws/cluster) or V(ingress.k8s.aws/*) tags (the AWS Load Balancer Controller manages it).
      type: bool
    cluster_name:
      description: Value of the V(elbv2.k8s.aws/cluster) tag, or null.
      type: str
listeners:
  description: The listeners, by port.
  returned: always
  type: list
  elements: dict
  contains:
    arn:
      description: Listener ARN.
      type: str
    port:
      description: Port.
      type: int
    protocol:
      description: Protocol.
      type: str
    redirect_only:
      description: The default action is a redirect and no rule forwards (an HTTP-to-HTTPS listener).
      type: bool
    default_action:
      description: Summary of the default action (type, and target_groups, status_code, content_type or url).
      type: dict
    rule_count:
      description: Non-default rules on the listener.
      type: int
    owned_rules:
      description:
        - Rules this collection owns, by priority.
        - With O(markers), also the AWS Load Balancer Controller's sorry and bypass rules made from the Ingress
          driver's edit (C(made_by=controller)).
      type: list
      elements: dict
      contains:
        arn:
          description: Rule ARN.
          type: str
        priority:
          description: Priority.
          type: int
        name:
          description:
            - The set's name.
            - For a rule made by the controller, C(ingress-) and its host-header values, comma-separated, lower
              case (C(ingress-any-host) without host-header condition).
          type: str
        kind:
          description: V(sorry), V(bypass) or V(preview).
          type: str
        part:
          description: Index of the rule in its set; null for a rule made by the controller.
          type: int
        made_by:
          description:
            - V(sorrypage) for a rule this collection tagged; V(controller) for a rule the AWS Load Balancer
              Controller made from the Ingress driver's edit, recognised by O(markers).
          type: str
          version_added: 0.3.0
        tags:
          description:
            - All tags of the rule (who, when, why included).
            - For a sorry rule made by the controller, its own tags plus C(sorrypage:marker), the marker found in
              its body.
          type: dict
        conditions:
          description: Conditions, snake_case, http-header values masked.
          type: list
          elements: dict
        action:
          description: Summary of the terminal action.
          type: dict
        body_chars:
          description: Characters in a fixed-response body, else null.
          type: int
        status_code:
          description: Status of a fixed response, else null.
          type: int
        drift:
          description: The rule's conditions or actions are not what this collection wrote; always false for a rule
            made by the controller.
          type: bool
    moved_rules:
      description: Rules this collection does not own that it moved to make room.
      type: list
      elements: dict
      contains:
        arn:
          description: Rule ARN.
          type: str
        priority:
          description: Current priority.
          type: int
        original_priority:
          description: The priority it gets back when the last owned rule is removed.
          type: int
    stale_shift_records:
      description:
        - ARNs of rules this collection does not own that still carry its C(sorrypage:shift) record but are at the
          priority it names (an C(off) cut short between putting them back and removing the record, or a move that
          was refused). C(off) removes the records.
      type: list
      elements: str
    routes:
      description:
        - Where the application's own rules (not this collection's) send requests, host by host - the target groups a
          bypass can forward to.
        - One entry per host named by a host-header condition of a forward rule, in priority order, then one with
          C(host) null for any other host when a rule without host condition or the default action forwards.
        - A host's target groups are those of its own rules and of the rules without host condition (a wildcard host
          condition counts for the hosts it matches), up to the first catch-all (C(/*) or no path, no other condition),
          then of the default action, in priority order. Redirects and fixed responses send nowhere and are left out.
      type: list
      elements: dict
      contains:
        host:
          description: The host, lower case, as the host-header condition names it (wildcards kept); null for any other host.
          type: str
        target_groups:
          description: The target groups requests for the host can be forwarded to, in priority order.
          type: list
          elements: dict
          contains:
            arn:
              description: Target group ARN.
              type: str
            weight:
              description: Its weight in a forward to several target groups; null in a forward to one.
              type: int
            paths:
              description: The path-pattern values of the rules sending there; empty for every path.
              type: list
              elements: str
      sample:
        - host: shop.example.com
          target_groups:
            - arn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/k8s-shop-api-0a1b2c3d4e/0123456789abcdef
              weight: null
              paths: [/api/*]
            - arn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/k8s-shop-web-1b2c3d4e5f/123456789abcdef0
              weight: null
              paths: [/*]
in_maintenance:
  description: Some listener has a sorry rule of this collection, or, with O(markers), one the controller made.
  returned: always
  type: bool
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.sorrypage.aws.plugins.module_utils._aws_module import SorryAWSModule
from ansible_collections.sorrypage.aws.plugins.module_utils import _elbv2
from ansible_collections.sorrypage.aws.plugins.module_utils import _info


def main():
    module = SorryAWSModule(
        argument_spec=dict(
            load_balancer_name=dict(type='str'),
            load_balancer_arn=dict(type='str'),
            listener_ports=dict(type='list', elements='int'),
            markers=dict(type='list', elements='str', default=[], no_log=False),
            rules_quota=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
        mutually_exclusive=[('load_balancer_name', 'load_balancer_arn')],
        required_one_of=[('load_balancer_name', 'load_balancer_arn')],
    )
    client = module.client('elbv2', retry_decorator=AWSRetry.jittered_backoff())
    try:
        balancer, tags, site = _elbv2.read_site(client, name=module.params['load_balancer_name'],
                                                arn=module.params['load_balancer_arn'],
                                                ports=module.params['listener_ports'])
    except _elbv2.NotFound as e:
        module.fail_json(msg=str(e))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg='could not describe the load balancer')
    listeners = [_info.listener_summary(listener, rules, default, markers=module.params['markers'])
                 for listener, rules, default in site]
    extra = {}
    if module.params['rules_quota']:
        extra['rules_quota'] = _elbv2.rules_quota(client)
    module.exit_json(changed=False, load_balancer=_info.load_balancer_summary(balancer, tags), listeners=listeners,
                     in_maintenance=_info.in_maintenance(listeners), **extra)


if __name__ == '__main__':
    main()
