#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: alb_sorry_rule
short_description: Own one sorry, bypass or preview rule set on one ALB listener
version_added: 0.1.0
description:
  - Puts a rule set that this collection owns on one Application Load Balancer listener, or takes it off,
    idempotently and with as few API calls as the ELBv2 API allows.
  - C(sorry) answers with a fixed response (HTTP 503 and the Sorry page by default); C(bypass) forwards
    internal users (by source address or secret header) to the application; C(preview) shows the page on a
    secret path at any time.
  - Ownership and identity live in rule tags (V(sorrypage:rule), V(sorrypage:kind), V(sorrypage:part),
    V(sorrypage:hash)), never in priorities or body text. The module never modifies or deletes a rule it does
    not own; the only thing it ever does to such a rule is move its priority when O(make_room=true).
  - V(sorrypage:hash) holds a hash of the conditions and actions as written, so an owned rule that someone
    else changed in place (the AWS Load Balancer Controller does that to a rule at a priority it wants) is
    reported in RV(drift) and put right when O(state=present).
  - All input is validated against the ALB's limits before the first AWS call.
  - A rerun with the same input makes no write call.
author:
  - sorrypage.aws maintainers (@sorrypage)
options:
  listener_arn:
    description:
      - ARN of the listener. The cheapest way to name it (no lookup call).
      - Mutually exclusive with O(load_balancer_name).
    type: str
  load_balancer_name:
    description:
      - Name of the load balancer; with O(listener_port) names the listener (two lookup calls).
    type: str
  listener_port:
    description:
      - Port of the listener on O(load_balancer_name).
    type: int
  kind:
    description:
      - V(sorry) answers with a fixed response for every matching request.
      - V(bypass) forwards matching requests (O(source_ips), O(http_headers), or O(path_patterns) alone for paths
        that must keep working, such as V(/healthz)) to the application.
      - V(preview) answers with a fixed response on a secret path, to check the page at any time.
      - Automatic placement puts bypass rules in front of sorry rules, sorry in front of preview, and all of them
        in front of every rule this collection does not own.
    type: str
    choices: [sorry, bypass, preview]
    default: sorry
  name:
    description:
      - Identity of the rule set on the listener, together with O(kind), so several sets of one kind (one per
        host, for instance) live side by side. Defaults to the value of O(kind).
      - Letters, digits, spaces and C(_.:/=+-@) only (it is stored in a tag).
    type: str
  state:
    description:
      - V(present) creates or updates the rule set; V(absent) deletes it.
      - When V(absent) removes the last rule this collection owns on the listener, rules moved by O(make_room)
        get their exact original priorities back and lose their mark.
    type: str
    choices: [present, absent]
    default: present
  content:
    description:
      - Body of the fixed response, for O(kind=sorry) and O(kind=preview); required for them with O(state=present).
      - At most 1024 characters (characters, not bytes).
    type: str
  content_type:
    description:
      - Content type of the fixed response.
    type: str
    default: text/html
    choices: [text/plain, text/css, text/html, application/javascript, application/json]
  status_code:
    description:
      - HTTP status of the fixed response; must match C(^(2|4|5)\d\d$).
      - Defaults to V(503) for O(kind=sorry) (never 200, which search engines would cache) and V(200) for
        O(kind=preview).
    type: int
  host_headers:
    description:
      - Host names the rules match (C(*) and C(?) wildcards allowed). Omitted, the rules match every host.
    type: list
    elements: str
    default: []
  path_patterns:
    description:
      - Paths the rules match. Default V(['/*']) for O(kind=sorry); required for O(kind=preview).
      - A bypass carries no path condition unless given one; a bypass with O(path_patterns) alone is a
        passthrough for those paths.
    type: list
    elements: str
    default: []
  source_ips:
    description:
      - IPv4 or IPv6 CIDRs (a bare address means /32 or /128) of the clients that bypass.
      - The ALB sees the TCP peer; behind CloudFront that is CloudFront, so use O(http_headers) there.
      - Conditions in one rule share a limit of 5 values, so CIDRs are split over several owned rules, all with
        this O(name).
      - V(0.0.0.0/0) or V(::/0) is refused unless O(allow_any_source=true).
    type: list
    elements: str
    default: []
  http_headers:
    description:
      - Secret request headers that bypass. Each entry is an alternative (its own rules); a request matches an entry
        when it carries the header with one of the values.
      - With O(source_ips) as well, each kind of condition gets its own rules (a request bypasses with either).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - Header name, at most 40 characters.
        type: str
        required: true
      values:
        description:
          - Accepted values, at most 128 characters each. They are secrets, masked in every output; use long
            random values.
        type: list
        elements: str
        required: true
  target_group_arn:
    description:
      - Where O(kind=bypass) forwards. When omitted, it is inferred from the first rule this collection does not
        own that forwards C(/*) for exactly O(host_headers), else from the listener's default forward action; the
        result says which in RV(target_group_source). When that is ambiguous or finds nothing, the module fails
        before any change, unless O(mirror=auto).
      - With O(mirror=auto), this target group is used and nothing is mirrored.
    type: str
  mirror:
    description:
      - For O(kind=bypass), keep the application's own routing for bypassed users instead of using one target
        group. This makes one owned copy of every rule this collection does not own (for O(host_headers), only those for these
        hosts), in the same relative order, each with the bypass condition added, plus a last copy of the
        listener's default action. Copies are kept in sync on every run and all removed on V(absent).
      - V(true) always mirrors and cannot be combined with O(target_group_arn). V(false) forwards to one target
        group, O(target_group_arn) or the one inferred (see there).
      - V(auto) decides on every run from the listener as read. Without O(target_group_arn), it forwards to the
        inferred target group when every rule this collection does not own that can match O(host_headers), and
        the default action, forward to that one group; otherwise (the listener routes to several target groups,
        or has no catch-all forward) it mirrors. With O(target_group_arn), that group is used.
      - 'When V(auto) mirrors, RV(target_group_source) says why, for example
        V(mirror (auto: the listener routes to 3 target groups\)).'
      - Mirroring needs O(source_ips) or O(http_headers) and no O(path_patterns); so does V(auto) without
        O(target_group_arn).
      - Rules with C(authenticate-oidc) or C(authenticate-cognito) actions cannot be copied (DescribeRules does not
        return the client secret), nor rules whose conditions leave no room for the bypass condition.
      - A boolean in any form Ansible accepts (V(yes), V(false), ...) or the string V(auto).
    type: raw
    default: false
  priority:
    description:
      - A fixed priority (1..50000) for the first rule of the set; further parts take the following numbers.
        The priorities must be free or held by this set. Such rules are pinned, that is automatic placement of
        other sets never moves them.
      - Omitted, the rules are placed automatically (see O(kind)).
    type: int
  make_room:
    description:
      - When no priority is free in front of the first rule this collection does not own (the AWS Load Balancer
        Controller numbers its rules from 1), mark each with the priority it comes from (V(sorrypage:shift=from=N),
        one AddTags per rule, written before the move) and move them up with one SetRulePriorities call.
        Without it the module fails and says so.
    type: bool
    default: false
  allow_any_source:
    description:
      - Accept V(0.0.0.0/0) or V(::/0) in O(source_ips).
    type: bool
    default: false
  tags:
    description:
      - Informational tags (who, when, why, ticket) for the rules, set after the rules exist with a separate
        AddTags call. Values are sanitised to what ELBv2 accepts (letters, digits, spaces and C(_.:/=+-@), at most
        256 characters); a tag problem only warns, it never keeps the page off. Keys of the ownership tags are
        reserved. Tags not given are left as they are.
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
    description: Predicts the rules, their priorities and the rules that would move; writes nothing.
  diff_mode:
    support: full
    description: Shows the owned rules of the set before and after (header values masked).
notes:
  - The AWS Load Balancer Controller deletes rules it did not create on every reconcile; rules put on a listener it
    manages last only while it is stopped.
  - "Minimal IAM policy: see docs/iam-policy.md."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Let the office through to the shop (target group inferred from the shop's catch-all rule)
  sorrypage.aws.alb_sorry_rule:
    listener_arn: "{{ listener_arn }}"
    kind: bypass
    name: office
    host_headers: [shop.example.com]
    source_ips: [203.0.113.0/24, 2001:db8:1::/48]
    make_room: true

- name: Let requests with a secret header through (behind CloudFront)
  sorrypage.aws.alb_sorry_rule:
    load_balancer_name: k8s-shop-1234567890
    listener_port: 443
    kind: bypass
    name: header
    http_headers:
      - name: X-Sorry-Bypass
        values: ["{{ bypass_secret }}"]
    mirror: true
    make_room: true

- name: Let the office through the way the application routes it, when it uses several target groups
  sorrypage.aws.alb_sorry_rule:
    listener_arn: "{{ listener_arn }}"
    kind: bypass
    name: office
    source_ips: [203.0.113.0/24]
    mirror: auto
    make_room: true

- name: Show the Sorry page to everyone else on shop.example.com
  sorrypage.aws.alb_sorry_rule:
    listener_arn: "{{ listener_arn }}"
    kind: sorry
    name: shop
    host_headers: [shop.example.com]
    content: "{{ pages.en.body }}"
    make_room: true
    tags:
      sorrypage:by: "{{ lookup('env', 'USER') }}"
      sorrypage:why: DB migration

- name: Keep ACME challenges reaching the shop during maintenance
  sorrypage.aws.alb_sorry_rule:
    listener_arn: "{{ listener_arn }}"
    kind: bypass
    name: acme
    host_headers: [shop.example.com]
    path_patterns: [/.well-known/acme-challenge/*]
    make_room: true

- name: Maintenance over
  sorrypage.aws.alb_sorry_rule:
    listener_arn: "{{ listener_arn }}"
    kind: sorry
    name: shop
    state: absent
"""

RETURN = r"""
rules:
  description:
    - Every owned rule of this set after the run (predicted in check mode), in part order. Empty after V(absent).
    - Conditions and actions in snake_case as ELBv2 describes them; http-header values are masked.
  returned: always
  type: list
  elements: dict
  contains:
    arn:
      description: Rule ARN; null in check mode for a rule still to create.
      type: str
    priority:
      description: Rule priority.
      type: int
    conditions:
      description: Rule conditions.
      type: list
      elements: dict
    actions:
      description: Rule actions.
      type: list
      elements: dict
    tags:
      description: Rule tags, ownership tags included.
      type: dict
  sample:
    - arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee
      priority: 10
      conditions: [{field: path-pattern, path_pattern_config: {values: ["/*"]}}]
      actions: [{type: fixed-response, fixed_response_config: {status_code: "503", content_type: text/html, message_body: "<p>Back soon</p>"}}]
      tags: {"sorrypage:rule": sorry, "sorrypage:kind": sorry, "sorrypage:part": "0", "sorrypage:hash": 5d41402abc4b2a76b971}
rule:
  description: The first element of RV(rules), or an empty dict.
  returned: always
  type: dict
content_chars:
  description: Characters in O(content) (what the 1024 limit counts), 0 without content.
  returned: always
  type: int
  sample: 812
moved_rules:
  description:
    - Priorities changed in this run (predicted in check mode), of foreign rules moved by O(make_room) or put
      back, and of owned rules re-spaced to keep the order.
  returned: always
  type: list
  elements: dict
  contains:
    arn:
      description: Rule ARN.
      type: str
    from:
      description: Priority before.
      type: int
    to:
      description: Priority after.
      type: int
target_group_source:
  description:
    - For O(kind=bypass), where the target came from, V(parameter), V(rule:<arn>), V(default_action) or V(mirror);
      null otherwise.
    - 'With O(mirror=auto), V(mirror (auto: <why>\)) when it mirrored, for example
      V(mirror (auto: the listener routes to 3 target groups\)).'
  returned: always
  type: str
  sample: rule:arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/1
drift:
  description: Owned rules of this set that were changed outside this collection (put right when O(state=present)).
  returned: always
  type: list
  elements: str
notes:
  description:
    - In check mode, what a real run would report as a warning but that did not happen (making room for the rule
      by moving foreign rules). Empty in a real run, which warns instead.
  returned: always
  type: list
  elements: str
  sample: ["would make room (check mode, nothing moved): 3 rules this collection does not own move up by 10 (e.g. arn:...)"]
listener_arn:
  description: The listener the set is on.
  returned: always
  type: str
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.sorrypage.aws.plugins.module_utils._aws_module import SorryAWSModule
from ansible_collections.sorrypage.aws.plugins.module_utils import _alb_limits
from ansible_collections.sorrypage.aws.plugins.module_utils import _elbv2
from ansible_collections.sorrypage.aws.plugins.module_utils import _plan
from ansible_collections.sorrypage.aws.plugins.module_utils import _rules
from ansible_collections.sorrypage.aws.plugins.module_utils import _tags
from ansible_collections.sorrypage.aws.plugins.module_utils import _validate


def _result(module, spec, listener_arn, plan, created):
    rules = []
    for part, rule in enumerate(plan['after']):
        rule = dict(rule)
        if rule['arn'] is None:
            rule['arn'] = created.get(part)
        rules.append(rule)
    result = dict(
        changed=plan['changed'],
        listener_arn=listener_arn,
        rules=rules,
        rule=rules[0] if rules else {},
        content_chars=_validate.body_chars(spec['content']) if spec['kind'] != 'bypass' else 0,
        moved_rules=plan['moved_rules'],
        target_group_source=plan['target_group_source'],
        drift=plan['drift'],
    )
    if module._diff:
        result['diff'] = dict(before=dict(rules=plan['before']), after=dict(rules=rules, moved_rules=plan['moved_rules']))
    return result


def reconcile(module, client, listener_arn, spec, planner):
    try:
        plan, created = _elbv2.reconcile(client, listener_arn, planner, module.check_mode, module.warn)
    except _elbv2.NotFound as e:
        module.fail_json(msg=str(e))
    except _plan.PlanError as e:
        module.fail_json(msg=str(e), listener_arn=listener_arn)
    except is_boto3_error_code('PriorityInUse') as e:
        module.fail_json_aws(e, msg='another writer keeps taking the priorities planned on listener %s; '
                             'nothing else was changed after that, run again' % listener_arn)
    except is_boto3_error_code('RuleNotFound') as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg='another writer keeps deleting rules this run reads on listener %s; '
                             'run again' % listener_arn)
    except is_boto3_error_code('TooManyRules') as e:  # pylint: disable=duplicate-except
        quota = _elbv2.rules_quota(client)
        module.fail_json_aws(e, msg='the load balancer has no room for more rules: its quota (%s) is %s rules, default '
                             'rules not counted; remove rules or ask AWS to raise the quota'
                             % (_elbv2.RULES_QUOTA_NAME, quota if quota else 'unknown'))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg='could not read or change the rules of listener %s' % listener_arn)
    warnings, notes = _plan.warnings_and_notes(plan, module.check_mode)
    for warning in warnings:
        module.warn(warning)
    module.exit_json(notes=notes, **_result(module, spec, listener_arn, plan, created))


def main():
    argument_spec = dict(
        listener_arn=dict(type='str'),
        load_balancer_name=dict(type='str'),
        listener_port=dict(type='int'),
        kind=dict(type='str', default='sorry', choices=['sorry', 'bypass', 'preview']),
        name=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        content=dict(type='str'),
        content_type=dict(type='str', default='text/html', choices=list(_alb_limits.CONTENT_TYPES)),
        status_code=dict(type='int'),
        host_headers=dict(type='list', elements='str', default=[]),
        path_patterns=dict(type='list', elements='str', default=[]),
        source_ips=dict(type='list', elements='str', default=[]),
        http_headers=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str', required=True),
            values=dict(type='list', elements='str', required=True, no_log=True),
        )),
        target_group_arn=dict(type='str'),
        mirror=dict(type='raw', default=False),
        priority=dict(type='int'),
        make_room=dict(type='bool', default=False),
        allow_any_source=dict(type='bool', default=False),
        tags=dict(type='dict', default={}),
    )
    module = SorryAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[('listener_arn', 'load_balancer_name')],
        required_together=[('load_balancer_name', 'listener_port')],
        required_one_of=[('listener_arn', 'load_balancer_name')],
    )
    params = module.params
    errors = _validate.validate(params)
    if errors:
        module.fail_json(msg='invalid input: %s' % '; '.join(errors), errors=errors)
    spec = _rules.build_spec(params)
    info_tags, warnings = _tags.sanitise_tags(params['tags'])
    for warning in warnings:
        module.warn(warning)

    client = module.client('elbv2', retry_decorator=AWSRetry.jittered_backoff())
    try:
        listener_arn = _elbv2.resolve_listener(client, params['listener_arn'], params['load_balancer_name'],
                                               params['listener_port'])
    except _elbv2.NotFound as e:
        module.fail_json(msg=str(e))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg='could not find the listener')

    if params['state'] == 'present':
        reconcile(module, client, listener_arn, spec, lambda listener: _plan.plan_present(
            spec, listener, priority=params['priority'], make_room=params['make_room'], info_tags=info_tags))
    else:
        reconcile(module, client, listener_arn, spec, lambda listener: _plan.plan_absent(spec, listener))


if __name__ == '__main__':
    main()
