#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: alb_sorry_site
short_description: Switch every owned rule set on every listener of one ALB in one run
version_added: 0.2.0
description:
  - Puts the rule sets this collection owns (bypass, passthrough, mirror copies, sorry, preview) on every listener
    of one Application Load Balancer, or takes them off, in one module run.
  - The site is read once (one DescribeLoadBalancers, one DescribeListeners, one DescribeRules per listener,
    DescribeTags by 20 rules), then every rule set is planned on every listener with the same planner as
    M(sorrypage.aws.alb_sorry_rule), each against the listener as the sets before it will leave it.
  - Every input, every bypass target and the rules-per-load-balancer quota are checked before the first write.
    A problem anywhere means no write on any listener, and the message names the rule set, the listener and the
    limit.
  - With O(state=present), every bypass set goes on every listener first, then every sorry and preview set, so
    internal users never get the Sorry page. With O(state=absent) the reverse, sorry and preview sets come off
    every listener first, then bypass sets; when the last owned rule leaves a listener, rules moved by
    O(make_room) get their exact original priorities back.
  - Listeners are written in parallel, at most O(parallel_calls) ELBv2 calls in flight, with amazon.aws's retries.
    Ownership and informational tags are given to CreateRule.
  - When another writer (the AWS Load Balancer Controller reconciling, another run) takes a planned priority or
    deletes a rule the plan moves, that listener is read and what is left of it planned again, up to 3 times per
    phase; then the run fails before the next phase, saying so, and a rerun converges.
  - A rerun with the same input makes no write call.
author:
  - sorrypage.aws maintainers (@sorrypage)
options:
  load_balancer_name:
    description: The site, by the name of its load balancer (or give O(load_balancer_arn)).
    type: str
  load_balancer_arn:
    description: The site, by the ARN of its load balancer; saves nothing over the name (one read either way).
    type: str
  listener_ports:
    description:
      - Ports of the listeners to work on. Omitted, every listener that does more than redirect (an HTTP
        listener that only redirects to HTTPS exposes nothing).
    type: list
    elements: int
  state:
    description:
      - V(present) puts the rule sets on; V(absent) takes them off.
      - With V(absent) only O(rule_sets[].kind) and O(rule_sets[].name) matter; without O(rule_sets) every
        bypass and sorry set this collection owns on the listeners comes off (preview sets stay).
    type: str
    choices: [present, absent]
    default: present
  rule_sets:
    description:
      - The rule sets, each put on every listener. Within a phase (bypass first, then sorry and preview) they
        are applied in this order.
      - Each set is what one run of M(sorrypage.aws.alb_sorry_rule) would own; see there for the meaning of each
        field.
    type: list
    elements: dict
    default: []
    suboptions:
      kind:
        description:
          - V(bypass) forwards internal users (or, with O(rule_sets[].path_patterns) alone, those paths) to the
            application; V(sorry) answers with the page; V(preview) answers with the page on a secret path.
        type: str
        choices: [bypass, sorry, preview]
        default: sorry
      name:
        description:
          - Identity of the set on each listener, with O(rule_sets[].kind). Defaults to the kind.
        type: str
      host_headers:
        description: Host names the rules match.
        type: list
        elements: str
        default: []
      path_patterns:
        description: Paths the rules match (sorry default V(['/*']); required for preview).
        type: list
        elements: str
        default: []
      source_ips:
        description: CIDRs of the clients that bypass.
        type: list
        elements: str
        default: []
      use_http_headers:
        description: This bypass set carries the secret headers of O(http_headers).
        type: bool
        default: false
      use_origin_header:
        description:
          - Every rule of this bypass set also requires O(origin_header) (ANDed), so that only requests through the
            CloudFront distribution (which adds it) are let through.
        type: bool
        default: false
      mirror:
        description:
          - For a bypass, keep the application's own routing (one owned copy of each foreign forward rule).
          - V(auto) forwards to the one target group a listener routes to when there is one, and mirrors on a listener
            that routes to several (its C(target_group_source) says so); a O(rule_sets[].target_group_arn) wins.
          - V(true), V(false) or V(auto).
        type: raw
        default: false
      target_group_arn:
        description: Where a bypass forwards; inferred from each listener when omitted.
        type: str
      content:
        description: Body of the fixed response (sorry, preview), at most 1024 characters.
        type: str
      content_type:
        description: Content type of the fixed response.
        type: str
        default: text/html
        choices: [text/plain, text/css, text/html, application/javascript, application/json]
      status_code:
        description: HTTP status of the fixed response (V(503) for sorry, V(200) for preview by default).
        type: int
      tags:
        description: Informational tags of this set's rules, over O(tags) (for example V(sorrypage:page)).
        type: dict
        default: {}
      match_headers:
        description:
          - Request headers a sorry or preview rule of this set also matches, ANDed with its hosts and paths; not
            secret (for example V(Accept-Language) with V(ja*) for the Japanese page, V(Accept) with
            V(application/json*) for API clients). The ALB compares case-insensitively, with V(*) and V(?)
            wildcards; every value of a rule counts in its 5 condition values.
          - For a bypass they are more ways in, like O(http_headers) (for example the office addresses as
            V(CloudFront-Viewer-Address) values behind CloudFront).
          - Their values are masked in the returned rules like every header value.
        type: list
        elements: dict
        default: []
        suboptions:
          name:
            description: Header name, at most 40 characters.
            type: str
            required: true
          values:
            description: Values, at most 128 characters each.
            type: list
            elements: str
            required: true
  http_headers:
    description:
      - Secret request headers that bypass, for the sets with O(rule_sets[].use_http_headers=true). The values
        are secrets, masked in every output, and never appear in messages.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Header name, at most 40 characters.
        type: str
        required: true
      values:
        description: Accepted values, at most 128 characters each.
        type: list
        elements: str
        required: true
  origin_header:
    description:
      - The secret custom header the CloudFront distribution in front adds to every request to this origin
        (O(origin_header.name), O(origin_header.value)), for the sets with O(rule_sets[].use_origin_header=true).
        The value is a secret, masked in every output.
    type: dict
    suboptions:
      name:
        description: Header name, at most 40 characters.
        type: str
        required: true
      value:
        description: Its value, at most 128 characters.
        type: str
        required: true
  allow_any_source:
    description: Accept V(0.0.0.0/0) or V(::/0) in O(rule_sets[].source_ips).
    type: bool
    default: false
  make_room:
    description:
      - When no priority is free in front of the first rule this collection does not own, move those rules up
        (one SetRulePriorities per listener), each first tagged with the priority it comes from
        (V(sorrypage:shift=from=N)), so a move whose answer is lost still has its record.
      - V(auto) makes room only on a load balancer the AWS Load Balancer Controller manages (its tags, read with
        the rules), where the controller takes the front priorities; otherwise a boolean.
    type: str
    default: 'false'
  tags:
    description:
      - Informational tags (who, when, why, until) for every rule, sanitised as in M(sorrypage.aws.alb_sorry_rule).
    type: dict
    default: {}
  keep_tags:
    description:
      - Keys of O(tags) whose value is taken from the owned bypass or sorry rules already on the listeners when one
        carries it (the first found by listener port and priority), for example V(sorrypage:at), so that a rerun
        keeps when the maintenance started and writes nothing.
    type: list
    elements: str
    default: []
  parallel_calls:
    description: Listeners written at the same time, so ELBv2 calls in flight at most (1 to 20).
    type: int
    default: 4
  markers:
    description:
      - Build markers of the Sorry pages (as given to M(sorrypage.aws.alb_sorry_info)), only with O(state=absent).
      - With them, the rules the AWS Load Balancer Controller made from the Ingress driver's edit are deleted too,
        in the same run, as M(sorrypage.aws.alb_sorry_info) recognises them; a fixed response whose body holds a
        marker and takes every path of its hosts (sorry), and the forwards with a source-ip or http-header
        condition in front of one (bypass). Every sorry rule (the controller's and ours) leaves every listener
        before any bypass rule.
      - For V(off) while the controller is paused (another site holds the pause), when the Ingress change cannot
        reach the ALB. A marker page on a path of its own (preview) and the controller's other rules stay; nothing
        of the controller's is moved.
    type: list
    elements: str
    default: []
    version_added: 0.3.0
attributes:
  check_mode:
    support: full
    description: Predicts the rules of every listener, their priorities and the rules that would move; writes nothing.
  diff_mode:
    support: full
    description:
      - Shows the owned rules of the sets, per listener, before and after, and the controller's rules O(markers)
        deletes (header values masked).
notes:
  - The AWS Load Balancer Controller deletes rules it did not create on every reconcile; rules put on a listener it
    manages last only while it is stopped.
  - The rules quota is read (DescribeAccountLimits) only when the run would take the load balancer over the default
    of 100 rules, since the quota is never below it.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Maintenance on, every listener of the site in one run
  sorrypage.aws.alb_sorry_site:
    load_balancer_name: k8s-shop-main-1234567890
    make_room: true
    http_headers:
      - name: X-Sorry-Bypass
        values: ["{{ bypass_secret }}"]
    tags:
      sorrypage:by: alice
      sorrypage:why: DB migration
    rule_sets:
      - kind: bypass
        name: passthrough-shop
        host_headers: [shop.example.com]
        path_patterns: [/healthz, /.well-known/acme-challenge/*]
      - kind: bypass
        name: bypass
        source_ips: [203.0.113.0/24]
        use_http_headers: true
        mirror: true
      - kind: sorry
        name: shop
        host_headers: [shop.example.com]
        content: "{{ pages.shop.body }}"
        tags:
          sorrypage:page: shop

- name: Maintenance off
  sorrypage.aws.alb_sorry_site:
    load_balancer_name: k8s-shop-main-1234567890
    state: absent

- name: Maintenance off while another site holds the controller pause, the Ingress edit's rules deleted too
  sorrypage.aws.alb_sorry_site:
    load_balancer_name: k8s-shop-main-1234567890
    state: absent
    markers: ["{{ pages.shop.marker }}"]
"""

RETURN = r"""
listeners:
  description: Every listener worked on, by port, with its owned rules after the run and what changed.
  returned: always
  type: list
  elements: dict
  contains:
    arn:
      description: The listener's ARN.
      type: str
    port:
      description: The listener's port.
      type: int
    protocol:
      description: Listener protocol.
      type: str
    changed:
      description: Whether anything changed (would change in check mode) on this listener.
      type: bool
    rules:
      description:
        - Every rule this collection owns on the listener after the run (predicted in check mode, where the ARN of
          a rule still to create is null), by priority; http-header values masked.
      type: list
      elements: dict
    rule_sets:
      description: Per rule set of this run, in write order.
      type: list
      elements: dict
      contains:
        kind:
          description: Kind of the set.
          type: str
        name:
          description: Name of the set.
          type: str
        changed:
          description: Whether this set changed.
          type: bool
        rules:
          description: The set's rules after the run, in part order.
          type: list
          elements: dict
        moved_rules:
          description: Priorities this set's plan changed (arn, from, to).
          type: list
          elements: dict
        target_group_source:
          description: For a bypass, V(parameter), V(rule:<arn>), V(default_action) or V(mirror).
          type: str
        drift:
          description: Owned rules of the set changed outside this collection (put right with V(present)).
          type: list
          elements: str
    moved_rules:
      description: Every priority changed on the listener (arn, from, to).
      type: list
      elements: dict
    controller_rules_deleted:
      description:
        - The rules the controller made from the Ingress that O(markers) deleted (would delete, in check mode) on the
          listener, by priority, in the shape of M(sorrypage.aws.alb_sorry_info)'s C(owned_rules) (C(arn),
          C(priority), C(kind) V(sorry) or V(bypass), C(name) such as C(ingress-shop.example.com),
          C(made_by=controller), C(conditions) with http-header values masked, C(action), C(tags)). Empty without
          O(markers).
      type: list
      elements: dict
      version_added: 0.3.0
skipped_listeners:
  description: Ports of the listeners not worked on (not in O(listener_ports), or redirect only).
  returned: always
  type: list
  elements: int
rules_added:
  description: Rules the run adds to the load balancer (negative when it removes).
  returned: always
  type: int
rules_total:
  description: Non-default rules on the load balancer after the run.
  returned: always
  type: int
notes:
  description:
    - In check mode, what would happen that is a warning in a real run (making room).
    - A bypass set with O(rule_sets[].mirror=auto) that mirrors the application's routing, with the listeners and why
      (for example C(the listener routes to 3 target groups)).
    - With O(markers), how many rules the controller made from the Ingress were deleted (would be, in check mode),
      and on which listeners.
  returned: always
  type: list
  elements: str
make_room:
  description: Whether room was made (would be made) where needed, after resolving V(auto).
  returned: always
  type: bool
site:
  description:
    - The site after the run (predicted in check mode), in the shape M(sorrypage.aws.alb_sorry_info) returns for
      the listeners worked on (C(load_balancer), C(listeners) with C(owned_rules) and C(moved_rules),
      C(in_maintenance)), so no second read is needed to report it. ARNs of rules still to create are null.
  returned: always
  type: dict
load_balancer_arn:
  description: The load balancer's ARN.
  returned: always
  type: str
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.sorrypage.aws.plugins.module_utils._aws_module import SorryAWSModule

from ansible_collections.sorrypage.aws.plugins.module_utils import _alb_limits
from ansible_collections.sorrypage.aws.plugins.module_utils import _elbv2
from ansible_collections.sorrypage.aws.plugins.module_utils import _info
from ansible_collections.sorrypage.aws.plugins.module_utils import _site_apply
from ansible_collections.sorrypage.aws.plugins.module_utils import _site_plan

MAX_PARALLEL_CALLS = 20


def _read(module, client):
    params = module.params
    try:
        return _site_apply.read_site(client, name=params['load_balancer_name'], arn=params['load_balancer_arn'],
                                     ports=params['listener_ports'], parallel=params['parallel_calls'])
    except _elbv2.NotFound as e:
        module.fail_json(msg='%s; nothing was changed' % e)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg='could not read the load balancer; nothing was changed')


def _quota(module, client, site, planned, entries):
    added = sum(_site_plan.rules_added(listener['steps']) for listener in planned)
    quota = None
    if _site_plan.needs_quota_read(site['rules_now'], added):
        quota = _elbv2.rules_quota(client)
    message = _site_plan.quota_error(site['balancer']['LoadBalancerName'], site['rules_now'], added, quota,
                                     _site_plan.rules_by_kind(planned, entries, site['rules_now']))
    if message:
        module.fail_json(msg='%s; nothing was changed' % message)


def _write_failed(module, site_run, error, state):
    names = _site_apply.PHASE_NAMES[state]
    lines = ['%s: %s' % (_site_plan.listener_label(listener), e) for listener, e in error.failures]
    done = ', '.join(names[phase] for phase in error.done)
    contended = any(isinstance(e, botocore.exceptions.ClientError)
                    and e.response.get('Error', {}).get('Code') in ('PriorityInUse', 'RuleNotFound')
                    for _listener, e in error.failures)
    hint = (' Another writer (the AWS Load Balancer Controller reconciling, or another run) changed the rules after '
            'each of %d reads of the listener; run again: a rerun reads the site again and writes only what is '
            'missing.' % (_elbv2.CONTENDED_REPLANS + 1)) if contended else ''
    module.fail_json(msg='writing the %s rules failed on %d listener%s: %s. %s; nothing after that phase was written.%s'
                     % (names[error.phase], len(lines), '' if len(lines) == 1 else 's', '; '.join(lines),
                        ('Done on every listener before: %s' % done) if done else 'No earlier phase was written', hint),
                     warnings_during_write=site_run.warnings)


def _make_room(value, balancer_tags):
    """make_room as a bool: auto follows the controller's tags; None when the value is not valid."""
    if str(value).lower() == 'auto':
        return _info.controller_managed(balancer_tags)
    try:
        return boolean(value, strict=True)
    except TypeError:
        return None


def _kept_tags(site, keys):
    """{key: value} for each key found on an owned bypass or sorry rule already on the listeners."""
    kept = {}
    for listener in site['listeners']:
        for rule in _site_plan.owned_after(listener):
            if rule['tags'].get('sorrypage:kind') not in ('bypass', 'sorry'):
                continue
            for key in keys:
                if key not in kept and rule['tags'].get(key):
                    kept[key] = rule['tags'][key]
    return kept


def _dualstack_warning(site, entries):
    """A dual-stack ALB whose source-address bypass has no IPv6 range lets IPv6 office users see the page."""
    if site['balancer'].get('IpAddressType') != 'dualstack':
        return None
    cidrs = [cidr for entry in entries if entry['spec']['kind'] == 'bypass' for cidr in entry['spec'].get('cidrs') or []]
    if not cidrs or any(':' in cidr for cidr in cidrs):
        return None
    return ("load balancer '%s' is dual-stack but the bypass source addresses have no IPv6 range: office users on "
            "IPv6 get the Sorry page" % site['balancer']['LoadBalancerName'])


def site_summary(site, planned):
    """The listeners worked on, after the run, in alb_sorry_info's shape."""
    listeners = []
    for listener in planned:
        final = _site_apply.final_state(listener)
        summary = _info.listener_summary(dict(ListenerArn=listener['arn'], Port=listener['port'],
                                              Protocol=listener['protocol']), final['rules'], listener['default_actions'])
        for rule in summary['owned_rules']:
            if _site_plan.is_placeholder(rule['arn']):
                rule['arn'] = None
        listeners.append(summary)
    return dict(load_balancer=_info.load_balancer_summary(site['balancer'], site['balancer_tags']),
                listeners=listeners, in_maintenance=_info.in_maintenance(listeners))


def _result(module, site, planned, check_mode, make_room):
    listeners = [_site_apply.listener_result(listener) for listener in planned]
    added = sum(_site_plan.rules_added(listener['steps']) for listener in planned)
    room, others = _site_plan.fold_warnings(planned, check_mode)
    result = dict(
        changed=any(listener['changed'] for listener in listeners),
        load_balancer_arn=site['balancer']['LoadBalancerArn'],
        listeners=listeners,
        skipped_listeners=site['skipped'],
        rules_added=added,
        rules_total=site['rules_now'] + added,
        notes=([room] if room and check_mode else []) + _site_plan.fold_auto_mirror(planned)
        + [line for line in [_site_plan.fold_controller(planned, check_mode)] if line],
        make_room=make_room,
        site=site_summary(site, planned),
    )
    for line in ([room] if room and not check_mode else []) + others + _site_plan.fold_drift(planned):
        module.warn(line)
    if module._diff:
        diffs = dict((str(listener['port']), _site_apply.listener_diff(listener)) for listener in planned)
        result['diff'] = dict(before=dict((port, d[0]) for port, d in diffs.items()),
                              after=dict((port, d[1]) for port, d in diffs.items()))
    return result


def _absent_entries(site):
    """Without rule_sets, state=absent takes off every owned bypass and sorry set found."""
    keys = set()
    for listener in site['listeners']:
        for rule in _site_plan.owned_after(listener):
            kind, name = rule['tags'].get('sorrypage:kind'), rule['tags'].get('sorrypage:rule')
            if kind in ('bypass', 'sorry'):
                keys.add((kind, name))
    rule_sets = [dict(kind=kind, name=name) for kind, name in sorted(keys)] or [dict(kind='sorry', name='sorry')]
    return _site_plan.build_specs(rule_sets, 'absent')[0]


def main():
    argument_spec = dict(
        load_balancer_name=dict(type='str'),
        load_balancer_arn=dict(type='str'),
        listener_ports=dict(type='list', elements='int'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        rule_sets=dict(type='list', elements='dict', default=[], options=dict(
            kind=dict(type='str', default='sorry', choices=['bypass', 'sorry', 'preview']),
            name=dict(type='str'),
            host_headers=dict(type='list', elements='str', default=[]),
            path_patterns=dict(type='list', elements='str', default=[]),
            source_ips=dict(type='list', elements='str', default=[]),
            use_http_headers=dict(type='bool', default=False),
            use_origin_header=dict(type='bool', default=False),
            mirror=dict(type='raw', default=False),
            target_group_arn=dict(type='str'),
            content=dict(type='str'),
            content_type=dict(type='str', default='text/html', choices=list(_alb_limits.CONTENT_TYPES)),
            status_code=dict(type='int'),
            tags=dict(type='dict', default={}),
            match_headers=dict(type='list', elements='dict', default=[], options=dict(
                name=dict(type='str', required=True),
                values=dict(type='list', elements='str', required=True),
            )),
        )),
        http_headers=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str', required=True),
            values=dict(type='list', elements='str', required=True, no_log=True),
        )),
        origin_header=dict(type='dict', options=dict(
            name=dict(type='str', required=True),
            value=dict(type='str', required=True, no_log=True),
        )),
        allow_any_source=dict(type='bool', default=False),
        make_room=dict(type='str', default='false'),
        tags=dict(type='dict', default={}),
        keep_tags=dict(type='list', elements='str', default=[], no_log=False),
        parallel_calls=dict(type='int', default=4),
        markers=dict(type='list', elements='str', default=[], no_log=False),
    )
    module = SorryAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[('load_balancer_name', 'load_balancer_arn')],
        required_one_of=[('load_balancer_name', 'load_balancer_arn')],
    )
    params = module.params
    state = params['state']
    errors = []
    if not 1 <= params['parallel_calls'] <= MAX_PARALLEL_CALLS:
        errors.append('parallel_calls must be between 1 and %d, got %d' % (MAX_PARALLEL_CALLS, params['parallel_calls']))
    if state == 'present' and not params['rule_sets']:
        errors.append('rule_sets is required with state=present')
    if state == 'present' and params['markers']:
        errors.append('markers is only used with state=absent (it deletes the rules the controller made from the '
                      'Ingress); remove markers or set state=absent')
    if _make_room(params['make_room'], {}) is None:
        errors.append("make_room must be auto, true or false, got '%s'" % params['make_room'])
    entries, set_errors, warnings = _site_plan.build_specs(params['rule_sets'], state, params['http_headers'],
                                                           params['allow_any_source'], params['tags'],
                                                           params['origin_header'])
    errors += set_errors
    if errors:
        module.fail_json(msg='invalid input, nothing was changed: %s' % '; '.join(errors), errors=errors)
    for warning in warnings:
        module.warn(warning)

    client = module.client('elbv2', retry_decorator=AWSRetry.jittered_backoff())
    site = _read(module, client)
    if not site['listeners']:
        module.fail_json(msg="no listener to work on on load balancer '%s' (every listener only redirects: %s); "
                         "nothing was changed" % (site['balancer']['LoadBalancerName'],
                                                  ', '.join(str(p) for p in site['skipped']) or 'none'))
    make_room = _make_room(params['make_room'], site['balancer_tags'])
    if state == 'absent' and not params['rule_sets']:
        entries = _absent_entries(site)
    if state == 'absent':
        entries = _site_plan.with_controller(entries, params['markers'])
    kept = _kept_tags(site, params['keep_tags']) if state == 'present' else {}
    if any(params['tags'].get(key) != value for key, value in kept.items()):
        entries = _site_plan.build_specs(params['rule_sets'], state, params['http_headers'], params['allow_any_source'],
                                         dict(params['tags'], **kept), params['origin_header'])[0]
    if state == 'present' and _dualstack_warning(site, entries):
        module.warn(_dualstack_warning(site, entries))
    planned = _site_plan.plan_site(site['listeners'], entries, state, make_room)
    if planned['errors']:
        module.fail_json(msg='nothing was changed: %s' % '; '.join(planned['errors']), errors=planned['errors'])
    planned = planned['listeners']
    _quota(module, client, site, planned, entries)

    changed = any(step['plan']['changed'] for listener in planned for step in listener['steps'])
    if module.check_mode or not changed:
        module.exit_json(**_result(module, site, planned, module.check_mode, make_room))
    site_run = _site_apply.SiteRun(client, entries, state, make_room, params['parallel_calls'])
    try:
        site_run.run(planned)
    except _site_apply.SiteWriteError as e:
        _write_failed(module, site_run, e, state)
    for warning in _site_plan.dedupe_warnings(site_run.warnings):
        module.warn(warning)
    module.exit_json(**_result(module, site, planned, False, make_room))


if __name__ == '__main__':
    main()
