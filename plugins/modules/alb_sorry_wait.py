#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: alb_sorry_wait
short_description: Wait until an ALB's listeners answer as maintenance should, read through ELBv2
version_added: 0.1.0
description:
  - Read-only. Reads the rules of the load balancer's listeners and evaluates them the way the ALB does (by priority,
    every condition of a rule, host and path wildcards, source-ip CIDRs, HTTP headers, the default action) for a
    public request and, when given, a bypass request to each of O(hosts) with path V(/).
  - Repeats every O(interval) seconds until the answers are what O(expect) asks for, or fails after O(timeout)
    seconds naming which listener and host still answers what. Meant for changes someone else programs into the ALB
    later, such as the AWS Load Balancer Controller after an Ingress edit.
  - The public request comes from V(203.0.113.9) with no header. A fixed response whose body contains one of
    O(markers) counts as the Sorry page.
  - One DescribeLoadBalancers and one DescribeListeners call, then one DescribeRules call per listener per round.
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
      - Only these listeners. When omitted, every listener that does more than redirect (a listener whose default
        action and rules all redirect, such as HTTP to HTTPS, is reported and not evaluated).
    type: list
    elements: int
  expect:
    description:
      - V(on) means the public request gets the page and the bypass request does not.
      - V(bypass_only) means the bypass request does not get the page, whatever the public request gets.
      - V(off) means no request gets the page.
      - Quote V(on) and V(off) in YAML, or they are read as booleans.
    type: str
    required: true
    choices: ["on", "bypass_only", "off"]
  hosts:
    description:
      - The host names to evaluate, each with path V(/).
    type: list
    elements: str
    required: true
  markers:
    description:
      - The Sorry pages' unique build markers. A fixed-response whose body contains one of them is the page.
    type: list
    elements: str
    required: true
  bypass_source_ip:
    description:
      - An address inside the office CIDRs; the bypass request comes from it.
    type: str
  bypass_header:
    description:
      - A header the bypass request carries.
    type: dict
    suboptions:
      name:
        description: Header name.
        type: str
        required: true
      value:
        description: Header value; never shown.
        type: str
        required: true
  timeout:
    description:
      - Seconds to wait for O(expect) before failing.
    type: int
    default: 120
  interval:
    description:
      - Seconds between two rounds of reads.
    type: int
    default: 3
attributes:
  check_mode:
    support: full
    description: Evaluates once, does not wait, and does not fail when O(expect) is not met (it reports).
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to show.
notes:
  - "Minimal IAM policy: V(elasticloadbalancing:DescribeLoadBalancers), V(elasticloadbalancing:DescribeListeners),
    V(elasticloadbalancing:DescribeRules)."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Wait until the controller has put the Sorry page in front
  sorrypage.aws.alb_sorry_wait:
    load_balancer_name: k8s-shop-main-1234567890
    expect: "on"
    hosts: [shop.example.com, blog.example.com]
    markers: ["{{ sorry_build.marker }}"]
    bypass_source_ip: 198.51.100.7
    bypass_header:
      name: X-Sorry-Bypass
      value: "{{ sorry_bypass_secret }}"
    timeout: 180

- name: Wait until nobody gets the page any more
  sorrypage.aws.alb_sorry_wait:
    load_balancer_arn: "{{ alb_arn }}"
    listener_ports: [443]
    expect: "off"
    hosts: [shop.example.com]
    markers: ["{{ sorry_build.marker }}"]
"""

RETURN = r"""
met:
  description: The last round gave what O(expect) asks for.
  returned: always
  type: bool
rounds:
  description: Rounds of reads made (one DescribeRules per listener each).
  returned: always
  type: int
waited:
  description: Seconds from the first read to the last evaluation.
  returned: always
  type: float
unmet:
  description: One line per listener and host not yet as expected, in the last round.
  returned: always
  type: list
  elements: str
listeners:
  description: Per listener, what each request got in the last round.
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
      description: Its default action and every rule redirect.
      type: bool
    evaluated:
      description: Whether it was evaluated (a redirect-only listener is not, unless named in O(listener_ports)).
      type: bool
    hosts:
      description: Per host, what the requests got.
      type: list
      elements: dict
      contains:
        host:
          description: Host name.
          type: str
        met:
          description: This host answers as expected.
          type: bool
        public:
          description: What the public request got.
          type: dict
          contains:
            priority:
              description: Priority of the matching rule, or V(default).
              type: raw
            action_type:
              description: Type of the terminal action.
              type: str
            status_code:
              description: Status of a fixed response or redirect, else null.
              type: int
            page:
              description: It is the Sorry page.
              type: bool
        bypass:
          description: What the bypass request got (same keys as RV(listeners[].hosts[].public)); null without a bypass.
          type: dict
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.sorrypage.aws.plugins.module_utils._aws_module import SorryAWSModule
from ansible_collections.sorrypage.aws.plugins.module_utils import _alb_eval
from ansible_collections.sorrypage.aws.plugins.module_utils import _alb_wait
from ansible_collections.sorrypage.aws.plugins.module_utils import _elbv2


def _listeners(client, balancer, ports):
    listeners = _elbv2.describe_listeners(client, balancer['LoadBalancerArn'])
    if ports:
        _elbv2.check_ports(balancer, listeners, ports)
        listeners = [item for item in listeners if item['Port'] in ports]
    return listeners


def main():
    module = SorryAWSModule(
        argument_spec=dict(
            load_balancer_name=dict(type='str'),
            load_balancer_arn=dict(type='str'),
            listener_ports=dict(type='list', elements='int'),
            expect=dict(type='str', required=True, choices=list(_alb_wait.EXPECTS)),
            hosts=dict(type='list', elements='str', required=True),
            markers=dict(type='list', elements='str', required=True, no_log=False),
            bypass_source_ip=dict(type='str', no_log=False),
            bypass_header=dict(type='dict', no_log=False, options=dict(
                name=dict(type='str', required=True),
                value=dict(type='str', required=True, no_log=True),
            )),
            timeout=dict(type='int', default=120),
            interval=dict(type='int', default=3),
        ),
        supports_check_mode=True,
        mutually_exclusive=[('load_balancer_name', 'load_balancer_arn')],
        required_one_of=[('load_balancer_name', 'load_balancer_arn')],
    )
    params = module.params
    try:
        spec = _alb_wait.Spec(params['expect'], params['hosts'], params['markers'],
                              bypass_source_ip=params['bypass_source_ip'], bypass_header=params['bypass_header'],
                              ports=params['listener_ports'])
    except _alb_wait.WaitInputError as e:
        module.fail_json(msg=str(e))
    client = module.client('elbv2', retry_decorator=AWSRetry.jittered_backoff())
    try:
        balancer = _elbv2.describe_load_balancer(client, name=params['load_balancer_name'], arn=params['load_balancer_arn'])
        listeners = _listeners(client, balancer, params['listener_ports'])

        def read():
            return [(listener, _elbv2.describe_rules(client, listener['ListenerArn'])) for listener in listeners]

        state = _alb_wait.wait(spec, read, timeout=params['timeout'], interval=params['interval'],
                               check_mode=module.check_mode)
    except (_elbv2.NotFound, _alb_wait.WaitInputError, _alb_eval.UnsupportedCondition) as e:
        module.fail_json(msg=str(e))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg='could not read the listener rules of the load balancer')
    result = dict(changed=False, met=state['met'], rounds=state['rounds'], waited=state['waited'],
                  unmet=state['unmet'], listeners=state['listeners'])
    if not state['met'] and not module.check_mode:
        module.fail_json(msg=_alb_wait.timeout_message(spec, balancer['LoadBalancerName'], params['timeout'],
                                                       state['rounds'], state['unmet']), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
