"""docs/iam-policy.json: its resource patterns, read with IAM's wildcard semantics, and its action list against the code.

A small evaluator of our own (``allows``): an Allow statement applies when the
action matches one of its ``Action`` entries (case-insensitive, ``*``/``?``),
the resource one of its ``Resource`` entries, and every ``Condition``
(``StringEquals``/``StringLike`` on keys the request context carries) holds.
ARNs match component by component (``arn:partition:service:region:account:``
then the resource, where ``*`` spans ``/``), as IAM does. The sandbox cycle's
real ARNs are matched by tests/integration/test_iam_policy.py with these
helpers; here, ARNs of the same shape, and the calls the plugins make.
"""
import json
import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POLICY_PATH = os.path.join(REPO, 'docs', 'iam-policy.json')
DOC_ACCOUNT = '111122223333'
DOC_ASSETS_DISTRIBUTION = 'EDFDVBD6EXAMPLE'

# Every boto3 operation the plugins call -> the IAM action AWS authorises it as (HeadObject is s3:GetObject,
# ListObjectsV2 s3:ListBucket). A new call in plugins/ fails test_every_call_in_the_plugins_is_in_the_policy
# until it is added here and to the policy.
OPERATION_ACTIONS = {
    'describe_load_balancers': 'elasticloadbalancing:DescribeLoadBalancers',
    'describe_listeners': 'elasticloadbalancing:DescribeListeners',
    'describe_rules': 'elasticloadbalancing:DescribeRules',
    'describe_tags': 'elasticloadbalancing:DescribeTags',
    'describe_account_limits': 'elasticloadbalancing:DescribeAccountLimits',
    'create_rule': 'elasticloadbalancing:CreateRule',
    'modify_rule': 'elasticloadbalancing:ModifyRule',
    'delete_rule': 'elasticloadbalancing:DeleteRule',
    'set_rule_priorities': 'elasticloadbalancing:SetRulePriorities',
    'add_tags': 'elasticloadbalancing:AddTags',
    'remove_tags': 'elasticloadbalancing:RemoveTags',
    'list_objects_v2': 's3:ListBucket',
    'head_object': 's3:GetObject',
    'put_object': 's3:PutObject',
    'list_distributions': 'cloudfront:ListDistributions',
    'get_distribution': 'cloudfront:GetDistribution',
    'get_cache_policy': 'cloudfront:GetCachePolicy',
    'get_origin_request_policy': 'cloudfront:GetOriginRequestPolicy',
    'create_invalidation': 'cloudfront:CreateInvalidation',
    'get_invalidation': 'cloudfront:GetInvalidation',
    'get_schedule_group': 'scheduler:GetScheduleGroup',
    'create_schedule_group': 'scheduler:CreateScheduleGroup',
    'delete_schedule_group': 'scheduler:DeleteScheduleGroup',
    'list_schedules': 'scheduler:ListSchedules',
    'get_schedule': 'scheduler:GetSchedule',
    'create_schedule': 'scheduler:CreateSchedule',
    'update_schedule': 'scheduler:UpdateSchedule',
    'delete_schedule': 'scheduler:DeleteSchedule',
}
# Not a call of ours: AWS checks it on CreateSchedule/UpdateSchedule, whose target names the execution role.
IMPLIED_ACTIONS = {'iam:PassRole'}

# The calls on a boto3 client (named client, s3 or cloudfront in plugins/) and the operations given by name to
# the paginating helpers.
_DIRECT_CALL = re.compile(r'\b(?:client|s3|cloudfront|elbv2)\.([a-z][a-z0-9_]*)\(')
_NAMED_CALL = re.compile(r"(?:_paged|paginated_query_with_retries|get_paginator)\(\s*(?:client,\s*)?'([a-z][a-z0-9_]*)'")
_NOT_OPERATIONS = {'get_paginator', 'paginate', 'get'}  # get: a dict named cloudfront


def load_policy(path=POLICY_PATH):
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def filled(policy, account, assets_distribution):
    """The documented policy with its example account and assets distribution replaced (docs/iam-policy.md)."""
    text = json.dumps(policy).replace(DOC_ACCOUNT, account).replace(DOC_ASSETS_DISTRIBUTION, assets_distribution)
    return json.loads(text)


def _listed(value):
    return [value] if isinstance(value, str) else list(value or [])


def policy_actions(policy):
    return sorted({action for st in policy['Statement'] if st['Effect'] == 'Allow' for action in _listed(st['Action'])})


def wildcard(pattern, value, ignore_case=False):
    """IAM's ``*`` (any run of characters, ``/`` included) and ``?`` (one character); nothing else is special."""
    regex = ''.join('.*' if ch == '*' else '.' if ch == '?' else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def arn_like(pattern, arn):
    """A Resource entry against an ARN: ``*`` alone matches all; otherwise the five components before the
    resource match one by one (a wildcard never spans a ``:`` there), then the resource part."""
    if pattern == '*':
        return True
    want, have = pattern.split(':', 5), arn.split(':', 5)
    if len(want) != 6 or len(have) != 6 or want[0] != 'arn':
        return False
    return all(wildcard(w, h) for w, h in zip(want, have))


def _condition_holds(condition, context):
    for operator, tests in (condition or {}).items():
        if operator not in ('StringEquals', 'StringLike'):
            return False        # an operator this evaluator does not know never grants
        for key, allowed in tests.items():
            if key not in context:
                return False
            value = context[key]
            if operator == 'StringEquals' and value not in _listed(allowed):
                return False
            if operator == 'StringLike' and not any(wildcard(p, value) for p in _listed(allowed)):
                return False
    return True


def allowing(policy, action, resource, context=None):
    """The Sids of the Allow statements that grant ``action`` on ``resource`` with ``context``."""
    found = []
    for index, st in enumerate(policy['Statement']):
        if st['Effect'] != 'Allow':
            continue
        if not any(wildcard(a, action, ignore_case=True) for a in _listed(st['Action'])):
            continue
        if not any(arn_like(r, resource) for r in _listed(st['Resource'])):
            continue
        if _condition_holds(st.get('Condition'), context or {}):
            found.append(st.get('Sid', str(index)))
    return found


def allows(policy, action, resource, context=None):
    return bool(allowing(policy, action, resource, context))


def plugin_operations(root=os.path.join(REPO, 'plugins')):
    """{boto3 operation: [files calling it]} for every AWS call in plugins/."""
    found = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding='utf-8') as handle:
                text = handle.read()
            for op in _DIRECT_CALL.findall(text) + _NAMED_CALL.findall(text):
                if op not in _NOT_OPERATIONS:
                    found.setdefault(op, []).append(os.path.relpath(path, REPO))
    return found


# ----------------------------------------------------------------------------------------------------------------
SANDBOX_ACCOUNT = '123456789012'
LB = 'k8s-shop-main-83a448f436'
OTHER_LB = 'k8s-blog-main-0f1e2d3c4b'
ELB = 'arn:aws:elasticloadbalancing:us-east-1:%s:' % SANDBOX_ACCOUNT
LISTENER = ELB + 'listener/app/%s/064e2fbeb632d22a/849cbdaf2cdef716' % LB
RULE = ELB + 'listener-rule/app/%s/064e2fbeb632d22a/849cbdaf2cdef716/d8ee8a9d44c6984a' % LB
OTHER_LISTENER = ELB + 'listener/app/%s/1111111111111111/2222222222222222' % OTHER_LB
OTHER_RULE = ELB + 'listener-rule/app/%s/1111111111111111/2222222222222222/3333333333333333' % OTHER_LB
GROUP = 'sorrypage-%s' % LB
SCHEDULER = 'arn:aws:scheduler:us-east-1:%s:' % SANDBOX_ACCOUNT
ROLE = 'arn:aws:iam::%s:role/sorrypage-auto-off' % SANDBOX_ACCOUNT
RULE_WRITES = ('ModifyRule', 'DeleteRule', 'SetRulePriorities', 'AddTags', 'RemoveTags')


@pytest.fixture(name='policy')
def _policy():
    return filled(load_policy(), SANDBOX_ACCOUNT, 'E1SANDBOX0ASSETS')


@pytest.mark.parametrize('pattern,value,matches', [
    ('a*c', 'abbbc', True),
    ('a*c', 'a/b/c', True),              # * spans the resource path
    ('a?c', 'abc', True),
    ('a?c', 'abbc', False),              # ? is one character
    ('a.c', 'abc', False),               # . is no wildcard
    ('a*', 'A', False),                  # resources are case-sensitive
])
def test_wildcards_are_iams(pattern, value, matches):
    assert wildcard(pattern, value) is matches


def test_arn_components_match_one_by_one():
    assert arn_like('arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket/a/b.css')
    assert not arn_like('arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket')
    assert arn_like('arn:aws:scheduler:*:*:schedule/g-*/*', 'arn:aws:scheduler:us-east-1:123456789012:schedule/g-1/x')
    # a wildcard in the region component cannot swallow the account
    assert not arn_like('arn:aws:scheduler:*:1:schedule/*', 'arn:aws:scheduler:us-east-1:2:schedule/x')
    assert not arn_like('arn:aws:scheduler:us-*:schedule/*', 'arn:aws:scheduler:us-east-1:2:schedule/x')
    assert arn_like('*', 'anything')


def test_actions_match_case_insensitively_and_conditions_must_hold():
    policy = {'Statement': [{'Effect': 'Allow', 'Action': 's3:List*', 'Resource': 'arn:aws:s3:::b',
                             'Condition': {'StringLike': {'s3:prefix': ['p/', 'p/*']}}}]}
    assert allows(policy, 'S3:LISTBUCKET', 'arn:aws:s3:::b', {'s3:prefix': 'p/x'})
    assert not allows(policy, 's3:ListBucket', 'arn:aws:s3:::b', {'s3:prefix': 'q/'})
    assert not allows(policy, 's3:ListBucket', 'arn:aws:s3:::b', {})        # no prefix given: not granted
    assert not allows({'Statement': [dict(policy['Statement'][0], Effect='Deny')]}, 's3:ListBucket', 'arn:aws:s3:::b')


def test_the_site_rules_are_allowed_and_another_load_balancers_are_not(policy):
    for action in RULE_WRITES:
        assert allowing(policy, 'elasticloadbalancing:' + action, RULE) == ['ElbSiteListenerRules'], action
        assert not allows(policy, 'elasticloadbalancing:' + action, OTHER_RULE), action
        assert not allows(policy, 'elasticloadbalancing:' + action, LISTENER), action   # rules only
    assert allows(policy, 'elasticloadbalancing:CreateRule', LISTENER)
    assert not allows(policy, 'elasticloadbalancing:CreateRule', OTHER_LISTENER)
    assert not allows(policy, 'elasticloadbalancing:DeleteLoadBalancer', '*')
    assert not allows(policy, 'elasticloadbalancing:ModifyListener', LISTENER)


def test_assets_only_under_the_prefix(policy):
    assert allows(policy, 's3:PutObject', 'arn:aws:s3:::sorrypage-assets/sorry/style.a255de4b.css')
    assert allows(policy, 's3:GetObject', 'arn:aws:s3:::sorrypage-assets/sorry/preview/en.html')
    assert not allows(policy, 's3:PutObject', 'arn:aws:s3:::sorrypage-assets/index.html')
    assert not allows(policy, 's3:PutObject', 'arn:aws:s3:::other-bucket/sorry/x')
    assert not allows(policy, 's3:DeleteObject', 'arn:aws:s3:::sorrypage-assets/sorry/x')
    assert allows(policy, 's3:ListBucket', 'arn:aws:s3:::sorrypage-assets', {'s3:prefix': 'sorry/'})
    assert not allows(policy, 's3:ListBucket', 'arn:aws:s3:::sorrypage-assets', {'s3:prefix': ''})


def test_schedules_of_the_site_group_and_the_role_only_to_the_scheduler(policy):
    assert allows(policy, 'scheduler:CreateSchedule', SCHEDULER + 'schedule/%s/80-shop-0' % GROUP)
    assert allows(policy, 'scheduler:DeleteScheduleGroup', SCHEDULER + 'schedule-group/%s' % GROUP)
    assert not allows(policy, 'scheduler:CreateSchedule', SCHEDULER + 'schedule/default/80-shop-0')
    assert not allows(policy, 'scheduler:DeleteScheduleGroup', SCHEDULER + 'schedule-group/sorrypage-%s' % OTHER_LB)
    assert allows(policy, 'iam:PassRole', ROLE, {'iam:PassedToService': 'scheduler.amazonaws.com'})
    assert not allows(policy, 'iam:PassRole', ROLE, {'iam:PassedToService': 'lambda.amazonaws.com'})
    assert not allows(policy, 'iam:PassRole', ROLE.replace('sorrypage-auto-off', 'admin'),
                      {'iam:PassedToService': 'scheduler.amazonaws.com'})


def test_the_distributions_named_only(policy):
    arn = 'arn:aws:cloudfront::%s:distribution/' % SANDBOX_ACCOUNT
    for action in ('GetDistribution', 'CreateInvalidation', 'GetInvalidation'):
        assert allows(policy, 'cloudfront:' + action, arn + 'E1SANDBOX0ASSETS')
        assert allows(policy, 'cloudfront:' + action, arn + 'E2QWRUHAPOMQZL')      # the site's, in front of the ALB
        assert not allows(policy, 'cloudfront:' + action, arn + 'EOTHER00000000')
    assert not allows(policy, 'cloudfront:UpdateDistribution', arn + 'E1SANDBOX0ASSETS')


def test_every_call_in_the_plugins_is_in_the_policy_and_every_action_is_called():
    found = plugin_operations()
    unknown = sorted(op for op in found if op not in OPERATION_ACTIONS)
    assert not unknown, 'AWS calls in plugins/ this test (and docs/iam-policy.json) do not know: %s' % (
        dict((op, found[op]) for op in unknown))
    never = sorted(op for op in OPERATION_ACTIONS if op not in found)
    assert not never, 'operations no plugin calls any more (drop them from the policy): %s' % never
    assert policy_actions(load_policy()) == sorted(set(OPERATION_ACTIONS.values()) | IMPLIED_ACTIONS)


def test_the_policy_has_no_wildcard_action_and_star_resources_only_where_aws_allows_no_other():
    policy = load_policy()
    star_ok = {'elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeListeners',
               'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTags',
               'elasticloadbalancing:DescribeAccountLimits', 'cloudfront:ListDistributions', 'scheduler:ListSchedules'}
    for st in policy['Statement']:
        assert st['Effect'] == 'Allow' and all('*' not in a for a in _listed(st['Action'])), st
        if '*' in _listed(st['Resource']):
            assert set(_listed(st['Action'])) <= star_ok, st


def execution_role_documents(path=os.path.join(REPO, 'docs', 'iam-policy.md')):
    """The trust policy and the permission of the auto-off execution role, as docs/iam-policy.md shows them, with
    its placeholders filled with the sandbox's account, region and load balancer."""
    with open(path, encoding='utf-8') as handle:
        text = handle.read()
    section = text.split('## The auto-off execution role', 1)[1].split('\n## ', 1)[0]
    blocks = re.findall(r'```json\n(.*?)```', section, re.S)
    assert len(blocks) == 2, 'docs/iam-policy.md: the execution role section should show two JSON documents'
    filled_in = [b.replace('<account>', SANDBOX_ACCOUNT).replace('<region>', 'us-east-1').replace('<lb-name>', LB)
                 for b in blocks]
    return [json.loads(block) for block in filled_in]


def test_the_execution_role_trusts_only_the_scheduler_of_the_account():
    trust, _permission = execution_role_documents()
    [statement] = trust['Statement']
    assert statement['Effect'] == 'Allow' and statement['Action'] == 'sts:AssumeRole'
    assert statement['Principal'] == {'Service': 'scheduler.amazonaws.com'}
    assert statement['Condition'] == {'StringEquals': {'aws:SourceAccount': SANDBOX_ACCOUNT}}


def test_the_execution_role_may_delete_the_site_rules_and_nothing_else():
    _trust, permission = execution_role_documents()
    assert policy_actions(permission) == ['elasticloadbalancing:DeleteRule']
    assert allows(permission, 'elasticloadbalancing:DeleteRule', RULE)
    assert not allows(permission, 'elasticloadbalancing:DeleteRule', OTHER_RULE)
    assert not allows(permission, 'elasticloadbalancing:DeleteRule', LISTENER)
    assert not allows(permission, 'elasticloadbalancing:ModifyRule', RULE)
