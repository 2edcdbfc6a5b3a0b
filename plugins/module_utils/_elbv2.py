# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ELBv2 calls: reads with paging and batching, and the writes of a plan.

``client`` is the one ``module.client('elbv2', retry_decorator=AWSRetry.jittered_backoff())``
gives, so every call passes ``aws_retry=True`` and throttling is retried.
Paged reads go through botocore's paginators; a paginator calls the client
without ``aws_retry``, so the whole paged read is retried instead (amazon.aws
``paginated_query_with_retries``). Reads are as few as the API allows: one
DescribeRules per 400 rules and one DescribeTags per 20 rules (the default
rule never carries ownership tags, so it is not asked about).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import DESCRIBE_RULES_PAGE
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import DESCRIBE_TAGS_BATCH
from ansible_collections.sorrypage.aws.plugins.module_utils._tags import PINNED
from ansible_collections.sorrypage.aws.plugins.module_utils._tags import SHIFT
from ansible_collections.sorrypage.aws.plugins.module_utils._tags import tag_dict
from ansible_collections.sorrypage.aws.plugins.module_utils._tags import tag_list

RULES_QUOTA_NAME = 'rules-per-application-load-balancer'
# How many times a listener is read and planned again when another writer got in the way of a write
# (PriorityInUse, RuleNotFound) before the error propagates: a controller that reconciles between a
# make_room move and the CreateRule behind it puts its rules back, and may do so more than once.
CONTENDED_REPLANS = 3


class NotFound(Exception):
    """What the caller named does not exist; the message names it."""


def _batches(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


def describe_load_balancer(client, name=None, arn=None):
    try:
        if arn:
            found = client.describe_load_balancers(aws_retry=True, LoadBalancerArns=[arn])['LoadBalancers']
        else:
            found = client.describe_load_balancers(aws_retry=True, Names=[name])['LoadBalancers']
    except is_boto3_error_code('LoadBalancerNotFound'):
        raise NotFound("load balancer %s was not found" % ("load_balancer_arn '%s'" % arn if arn else "'%s'" % name))
    if not found:
        raise NotFound("load balancer '%s' was not found" % (arn or name))
    return found[0]


def _paged(client, operation, **params):
    """The whole result of a paged read, retried as one on throttling."""
    return paginated_query_with_retries(client, operation, retry_decorator=AWSRetry.jittered_backoff(), **params)


def describe_listeners(client, load_balancer_arn):
    """Every listener of a load balancer, by port."""
    listeners = _paged(client, 'describe_listeners', LoadBalancerArn=load_balancer_arn).get('Listeners', [])
    return sorted(listeners, key=lambda item: item['Port'])


def resolve_listener(client, listener_arn=None, load_balancer_name=None, listener_port=None):
    """The listener ARN: as given, or by load balancer name and port (2 reads)."""
    if listener_arn:
        return listener_arn
    balancer = describe_load_balancer(client, name=load_balancer_name)
    listeners = describe_listeners(client, balancer['LoadBalancerArn'])
    for listener in listeners:
        if listener['Port'] == listener_port:
            return listener['ListenerArn']
    raise NotFound("listener_port %s was not found on load balancer '%s' (its listeners: %s)" % (
        listener_port, load_balancer_name, ', '.join(str(item['Port']) for item in listeners) or 'none'))


def describe_rules(client, listener_arn):
    """Every rule of a listener, the default rule included, in pages of 400."""
    try:
        result = _paged(client, 'describe_rules', ListenerArn=listener_arn,
                        PaginationConfig={'PageSize': DESCRIBE_RULES_PAGE})
    except is_boto3_error_code('ListenerNotFound'):
        raise NotFound("listener '%s' was not found" % listener_arn)
    return result.get('Rules', [])


def describe_tags(client, arns):
    """{arn: {key: value}} in batches of 20 ARNs."""
    tags = {}
    for batch in _batches(list(arns), DESCRIBE_TAGS_BATCH):
        for description in client.describe_tags(aws_retry=True, ResourceArns=batch).get('TagDescriptions', []):
            tags[description['ResourceArn']] = tag_dict(description.get('Tags'))
    return tags


def _rule_record(rule, tags):
    return dict(arn=rule['RuleArn'], priority=int(rule['Priority']), conditions=rule.get('Conditions') or [],
                actions=rule.get('Actions') or [], tags=tags.get(rule['RuleArn'], {}))


def rule_record(rule, tags):
    """A DescribeRules entry as the planners take it: {arn, priority, conditions, actions, tags}."""
    return _rule_record(rule, tags)


def read_listener(client, listener_arn):
    """The listener's rules with their tags: {listener_arn, default_arn, default_actions, rules}.

    A rule deleted between DescribeRules and DescribeTags (RuleNotFound)
    means someone else is writing: read once more.
    """
    for attempt in (1, 2):
        rules = describe_rules(client, listener_arn)
        default = [r for r in rules if r.get('IsDefault') or r.get('Priority') == 'default']
        others = [r for r in rules if r not in default]
        try:
            tags = describe_tags(client, [r['RuleArn'] for r in others])
        except is_boto3_error_code('RuleNotFound'):
            if attempt == 2:
                raise
            continue
        return dict(
            listener_arn=listener_arn,
            default_arn=default[0]['RuleArn'] if default else None,
            default_actions=default[0].get('Actions', []) if default else [],
            rules=sorted((_rule_record(r, tags) for r in others), key=lambda r: r['priority']),
        )


def check_ports(balancer, listeners, ports):
    """Raises NotFound naming the ports asked for that the load balancer has no listener on."""
    missing = sorted(set(ports or []) - set(item['Port'] for item in listeners))
    if missing:
        raise NotFound("listener_ports %s not found on load balancer '%s' (its listeners: %s)" % (
            ', '.join(str(p) for p in missing), balancer['LoadBalancerName'],
            ', '.join(str(item['Port']) for item in listeners) or 'none'))


def read_site(client, name=None, arn=None, ports=None):
    """A load balancer, its tags and its listeners with their rules and tags.

    One DescribeLoadBalancers, one DescribeListeners, one DescribeRules per
    listener and one DescribeTags per 20 ARNs for the load balancer and every
    non-default rule together. Returns (balancer, balancer tags,
    [(listener, rules, default actions)]).
    """
    balancer = describe_load_balancer(client, name=name, arn=arn)
    listeners = describe_listeners(client, balancer['LoadBalancerArn'])
    if ports:
        check_ports(balancer, listeners, ports)
        listeners = [item for item in listeners if item['Port'] in ports]
    described = [(listener, describe_rules(client, listener['ListenerArn'])) for listener in listeners]
    arns = [balancer['LoadBalancerArn']]
    for _listener, rules in described:
        arns.extend(r['RuleArn'] for r in rules if not r.get('IsDefault'))
    tags = describe_tags(client, arns)
    site = []
    for listener, rules in described:
        default = [r for r in rules if r.get('IsDefault')]
        records = sorted((_rule_record(r, tags) for r in rules if not r.get('IsDefault')), key=lambda r: r['priority'])
        site.append((listener, records, default[0].get('Actions', []) if default else listener.get('DefaultActions', [])))
    return balancer, tags.get(balancer['LoadBalancerArn'], {}), site


def rules_quota(client):
    """The account's rules-per-application-load-balancer quota, or None if unreadable."""
    try:
        limits = _paged(client, 'describe_account_limits').get('Limits', [])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        return None
    for limit in limits:
        if limit.get('Name') == RULES_QUOTA_NAME:
            return int(limit['Max'])
    return None


def add_tags(client, arns, tags):
    for batch in _batches(list(arns), DESCRIBE_TAGS_BATCH):
        client.add_tags(aws_retry=True, ResourceArns=batch, Tags=tag_list(tags))


def remove_tags(client, arns, keys):
    for batch in _batches(list(arns), DESCRIBE_TAGS_BATCH):
        client.remove_tags(aws_retry=True, ResourceArns=batch, TagKeys=list(keys))


def set_priorities(client, batches):
    for batch in batches:
        client.set_rule_priorities(aws_retry=True, RulePriorities=[{'RuleArn': arn, 'Priority': p} for arn, p in batch])


def delete_rule(client, arn):
    """Deletes a rule; one already gone counts as deleted."""
    try:
        client.delete_rule(aws_retry=True, RuleArn=arn)
    except is_boto3_error_code('RuleNotFound'):
        pass


def apply_plan(client, listener_arn, plan, warn):
    """Executes a plan from _plan.py in a safe order; returns {part: new rule ARN}.

    Order: deletes (free priorities), the shift records (where each foreign
    rule about to move comes from: written first, so a move whose answer is
    lost is never a move without a record), moves, the records of rules put
    back, modifications, creations (ownership tags travel with CreateRule),
    and last the informational tags, whose failure only warns: a tag problem
    must never keep the Sorry page off. AWS errors other than that propagate.
    """
    for arn in plan['deletes']:
        delete_rule(client, arn)
    for value, arns in sorted(plan['shift_tags'].items()):
        add_tags(client, arns, {SHIFT: value})
    # Not undone when refused: another run may have moved these rules meanwhile (the PriorityInUse of a race),
    # and its move needs the record; a record left on a rule that never moved reads as back, and off removes it.
    set_priorities(client, plan['move_batches'])
    if plan['unshift']:
        remove_tags(client, plan['unshift'], [SHIFT])
    for change in plan['modifies']:
        client.modify_rule(aws_retry=True, RuleArn=change['arn'], Conditions=change['conditions'], Actions=change['actions'])
    for arn, tags in plan['tag_updates']:
        add_tags(client, [arn], tags)
    if plan['untag_pinned']:
        remove_tags(client, plan['untag_pinned'], [PINNED])
    created = {}
    for create in plan['creates']:
        response = client.create_rule(aws_retry=True, ListenerArn=listener_arn, Priority=create['priority'],
                                      Conditions=create['conditions'], Actions=create['actions'],
                                      Tags=tag_list(create['tags']))
        created[create['part']] = response['Rules'][0]['RuleArn']
    if plan['info_parts']:
        arns = [created.get(part) or plan['after'][part]['arn'] for part in plan['info_parts']]
        try:
            add_tags(client, arns, plan['info_tags'])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            warn('the rules are in place, but their informational tags could not be set: %s' % e)
    return created


def reconcile(client, listener_arn, planner, check_mode, warn):
    """Read the listener, plan with ``planner(listener)``, then write (unless
    check mode or nothing to change). Returns (plan, {part: new rule ARN}).

    PriorityInUse (another writer took a planned priority) or RuleNotFound
    (another writer deleted a rule the plan modifies or moves) between the
    read and the write: read and plan again, up to ``CONTENDED_REPLANS``
    times, then give up (the error propagates). PlanError and NotFound
    propagate as they are.
    """
    for attempt in range(CONTENDED_REPLANS + 1):
        listener = read_listener(client, listener_arn)
        plan = planner(listener)
        if check_mode or not plan['changed']:
            return plan, {}
        try:
            return plan, apply_plan(client, listener_arn, plan, warn)
        except is_boto3_error_code(['PriorityInUse', 'RuleNotFound']):
            if attempt == CONTENDED_REPLANS:
                raise
    raise AssertionError('unreachable')
