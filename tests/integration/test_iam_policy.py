"""docs/iam-policy.json is the least the collection needs on AWS: proven against moto's IAM enforcement.

moto enforces IAM for a whole server, and checks actions against Resource
``*`` only (S3 apart), so this module starts a sandbox on a moto server of its
own (tests/sandbox/iam_moto.py: IAM enforced after the admin user is made;
every permission check recorded). The proof has two parts:

1. **The actions** (every Resource rewritten to ``*``): the full prepare / on
   (with the asset upload, the CloudFront lookup and ``sorry_auto_off``) /
   status / verify / off cycle passes with a user holding exactly the policy's
   actions, and off restores the listeners; every check moto made was allowed
   and for an action of the policy. Then one module run per action, with a
   user holding every action but that one, in a state where the action is
   needed (one playbook for all cells): it fails with AccessDenied and names
   the action (or, for S3, which answers ``Access Denied`` without naming
   one, the API operation). A user without any policy changes nothing.
2. **The resources**: every ARN the cycle touched (the parameters of each
   recorded request: listener, rule, bucket/object, distribution, schedule
   group, schedule, the role a schedule passes) is allowed by the policy's
   statement for its action, with IAM's wildcard semantics
   (tests/unit/test_iam_patterns.py), once its example account and assets
   distribution are replaced by the sandbox's; another load balancer's rules
   are not.

Not provable in moto: ``cloudfront:GetCachePolicy`` / ``GetOriginRequestPolicy``
(moto has no cache or origin request policies) and ``iam:PassRole`` (moto does
not check it on CreateSchedule); the first two are in the policy because the
plugins call them (test_iam_patterns), PassRole because AWS checks it, and its
role ARN and service are matched here from the CreateSchedule requests.
"""
import json
import os
import re
import shutil
import tempfile
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

import pytest
import yaml

import tests.sandbox.sandbox as sandbox_module
from tests.ansible_run import REPO, run_playbook
from tests.integration.test_ingress_driver import site_vars
from tests.integration.test_runbook import assert_ok, failure, playbook
from tests.sandbox.iam_moto import IamMotoServer
from tests.sandbox.seed import seed_site, snapshot_listener
from tests.unit.test_iam_patterns import allowing, filled, load_policy, policy_actions

pytestmark = pytest.mark.sandbox_only

ACCOUNT = '123456789012'                                   # moto's
ROLE = 'arn:aws:iam::%s:role/sorrypage-auto-off' % ACCOUNT
RUNNER = 'sorrypage-runner'
# Not checked by moto (module docstring): proven by the code scan and the request patterns only.
NOT_IN_MOTO = ('cloudfront:GetCachePolicy', 'cloudfront:GetOriginRequestPolicy', 'iam:PassRole')
# What the AccessDenied failure of a cell must name: the IAM action, except for S3, whose AccessDenied (like AWS's)
# names no action: there the API operation the module called.
# Denied, the module goes on without it (test_without_describe_account_limits_...).
OPTIONAL = ('elasticloadbalancing:DescribeAccountLimits',)
S3_OPERATIONS = {'s3:ListBucket': 'ListObjectsV2', 's3:GetObject': 'HeadObject', 's3:PutObject': 'PutObject'}


def until(hours):
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).isoformat(timespec='seconds')


@pytest.fixture(scope='module')
def box():
    """A sandbox (ALB site, assets bucket + distribution, stand-in Kubernetes, data plane) on an IAM-enforcing moto."""
    folder = tempfile.mkdtemp(prefix='sorrypage-iam-')
    log = os.path.join(folder, 'checks.jsonl')
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv('AWS_SESSION_TOKEN', raising=False)   # an IAM user's key: a session token would make it a role's
        patch.setattr(sandbox_module, 'take_moto', lambda: IamMotoServer(log).start())
        started = sandbox_module.Sandbox(pod_delay=0, controller=False).start()
        try:
            yield started
        finally:
            started.stop()
            shutil.rmtree(folder, ignore_errors=True)


def listeners(box):
    elbv2 = box.moto.client('elbv2')
    return dict((port, snapshot_listener(elbv2, arn)) for port, arn in box.sites[0]['listeners'].items())


def schedule_groups(box):
    groups = box.moto.client('scheduler').list_schedule_groups()['ScheduleGroups']
    return sorted(g['Name'] for g in groups if g['Name'] != 'default')      # the account's own


def assets_keys(box):
    listed = box.moto.client('s3').list_objects_v2(Bucket=box.assets['bucket'])
    return sorted(o['Key'] for o in listed.get('Contents', []))


def key_env(key):
    return {'AWS_ACCESS_KEY_ID': key[0], 'AWS_SECRET_ACCESS_KEY': key[1]}


def inventory(box, folder, **extra):
    values = site_vars(box, sorry_driver='alb', sorry_eks_outage='false', sorry_assets_bucket=box.assets['bucket'],
                       sorry_assets_prefix=box.assets['prefix'], sorry_public_url=box.assets['public_url'],
                       sorry_cloudfront_distribution_id=box.assets['distribution_id'], sorry_cloudfront_lookup=True,
                       sorry_auto_off=True, sorry_auto_off_role_arn=ROLE, sorry_until=until(2))
    values.update(extra)
    path = os.path.join(folder, 'inventory.yml')
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump({'sorry_sites': {'hosts': {box.sites[0]['name']: values}}}, handle)
    return path


@pytest.fixture(scope='module')
def cycle(box):
    """prepare / on / status / verify / off with exactly the policy's actions (on Resource ``*``)."""
    actions = policy_actions(load_policy())
    key = box.moto.user(RUNNER, actions)
    path = inventory(box, box.workdir)
    before = listeners(box)
    runs, groups_on, seconds = {}, None, {}
    for entry in ('prepare', 'on', 'status', 'verify', 'off'):
        started = time.monotonic()
        runs[entry] = run_playbook(playbook(entry), inventory=path, env=key_env(key))
        seconds[entry] = round(time.monotonic() - started, 1)
        if entry == 'on':
            groups_on = schedule_groups(box)
    return {'actions': actions, 'runs': runs, 'before': before, 'after': listeners(box), 'groups_on': groups_on,
            'groups_after': schedule_groups(box), 'keys': assets_keys(box), 'checks': box.moto.checks(RUNNER),
            'seconds': seconds}


def test_the_whole_cycle_passes_with_exactly_the_policy_actions(box, cycle):
    for entry, res in cycle['runs'].items():
        assert_ok(res)
        assert res.stats()[box.sites[0]['name']]['failures'] == 0, entry
    group = 'sorrypage-%s' % box.sites[0]['load_balancer_name']
    assert cycle['groups_on'] == [group]               # on scheduled the end of the window
    assert cycle['groups_after'] == []                 # off removed it
    assert cycle['after'] == cycle['before']           # off restored the listeners exactly
    assert any(k.endswith('preview/en.html') for k in cycle['keys']), cycle['keys']   # prepare uploaded
    checks = cycle['checks']
    assert checks and all(c['allowed'] for c in checks), [c for c in checks if not c['allowed']][:3]
    used = sorted({c['action'] for c in checks})
    assert set(used) <= set(cycle['actions']), sorted(set(used) - set(cycle['actions']))
    # the cycle itself needs all of these; the rest is proven by the cells below (and NOT_IN_MOTO)
    assert set(used) >= {
        'elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTags', 'elasticloadbalancing:CreateRule',
        'elasticloadbalancing:DeleteRule', 'elasticloadbalancing:SetRulePriorities', 'elasticloadbalancing:AddTags',
        'elasticloadbalancing:RemoveTags', 's3:ListBucket', 's3:GetObject', 's3:PutObject',
        'cloudfront:ListDistributions', 'cloudfront:GetDistribution', 'cloudfront:CreateInvalidation',
        'cloudfront:GetInvalidation', 'scheduler:GetScheduleGroup', 'scheduler:CreateScheduleGroup',
        'scheduler:CreateSchedule', 'scheduler:ListSchedules', 'scheduler:GetSchedule', 'scheduler:DeleteSchedule',
        'scheduler:DeleteScheduleGroup'}, used


# ---------------------------------------------------------------- part 2: the resources the cycle touched
def _members(data, prefix, suffix=''):
    pattern = re.compile(r'^%s\.member\.\d+%s$' % (re.escape(prefix), re.escape(suffix)))
    return [v[0] if isinstance(v, list) else v for k, v in sorted(data.items()) if pattern.match(k)]


def _param(data, name):
    value = data.get(name)
    return value[0] if isinstance(value, list) else value


def touched(check, region='us-east-1'):
    """[(action, resource ARN, condition context)] one recorded request needs from IAM."""
    action, data = check['action'], check['data'] or {}
    service, name = action.split(':', 1)
    path = urllib.parse.urlsplit(check['path'])
    parts = [urllib.parse.unquote(p) for p in path.path.split('/') if p]
    query = dict((k, v[0]) for k, v in urllib.parse.parse_qs(path.query).items())
    if service == 'elasticloadbalancing':
        if name == 'CreateRule':
            return [(action, _param(data, 'ListenerArn'), {})]
        if name in ('ModifyRule', 'DeleteRule'):
            return [(action, _param(data, 'RuleArn'), {})]
        if name == 'SetRulePriorities':
            return [(action, arn, {}) for arn in _members(data, 'RulePriorities', '.RuleArn')]
        if name in ('AddTags', 'RemoveTags'):
            return [(action, arn, {}) for arn in _members(data, 'ResourceArns')]
        return [(action, '*', {})]                      # the Describe* calls: no resource-level permission
    if service == 's3':                                  # moto checks S3 on the bucket / object ARN itself
        context = {'s3:prefix': query['prefix']} if name == 'ListBucket' and 'prefix' in query else {}
        return [(action, check['resource'], context)]
    if service == 'cloudfront':
        if len(parts) >= 3 and parts[1] == 'distribution':
            return [(action, 'arn:aws:cloudfront::%s:distribution/%s' % (ACCOUNT, parts[2]), {})]
        return [(action, '*', {})]                      # ListDistributions
    if service == 'scheduler':
        arn = 'arn:aws:scheduler:%s:%s:' % (region, ACCOUNT)
        if parts[0] == 'schedule-groups':
            return [(action, arn + 'schedule-group/%s' % parts[1], {})]
        if len(parts) == 1:
            return [(action, '*', {})]                  # ListSchedules
        body = json.loads(check.get('body') or '{}')
        group = body.get('GroupName') or query.get('groupName') or 'default'
        found = [(action, arn + 'schedule/%s/%s' % (group, parts[1]), {})]
        role = (body.get('Target') or {}).get('RoleArn')
        if role:                                        # AWS checks PassRole on the role the target names
            found.append(('iam:PassRole', role, {'iam:PassedToService': 'scheduler.amazonaws.com'}))
        return found
    raise AssertionError('a request this test cannot place: %r' % check)


def test_every_resource_the_cycle_touched_is_allowed_by_the_statement_of_its_action(box, cycle):
    policy = filled(load_policy(), ACCOUNT, box.assets['distribution_id'])
    needed = [need for check in cycle['checks'] for need in touched(check)]
    denied = [need for need in needed if not allowing(policy, *need)]
    assert not denied, denied[:5]
    kinds = {(action, resource.split(':', 5)[-1].split('/')[0]) for action, resource, _c in needed}
    # the scoped statements were really exercised (not only the Describe * ones)
    for expected in [('elasticloadbalancing:CreateRule', 'listener'), ('elasticloadbalancing:DeleteRule', 'listener-rule'),
                     ('elasticloadbalancing:SetRulePriorities', 'listener-rule'),
                     ('elasticloadbalancing:AddTags', 'listener-rule'), ('s3:PutObject', 'sorrypage-assets'),
                     ('cloudfront:CreateInvalidation', 'distribution'), ('scheduler:CreateSchedule', 'schedule'),
                     ('scheduler:CreateScheduleGroup', 'schedule-group'), ('iam:PassRole', 'role')]:
        assert expected in kinds, (expected, sorted(kinds))
    # the same requests on another load balancer's listener and rules are refused
    other = seed_site(box.moto, name='other')
    assert not other['load_balancer_name'].startswith('k8s-shop-main-')
    other_listener = other['listeners'][80]
    other_rule = box.moto.client('elbv2').describe_rules(ListenerArn=other_listener)['Rules'][0]['RuleArn']
    for action, resource, _context in needed:
        if action.startswith('elasticloadbalancing:') and resource != '*':
            moved = other_listener if ':listener/' in resource else other_rule
            assert not allowing(policy, action, moved), (action, moved)


# ---------------------------------------------------------------- part 1, each action: without it, a step fails
def _aws(key, box):
    return {'access_key': key[0], 'secret_key': key[1], 'endpoint_url': box.proxy.url, 'region': 'us-east-1'}


def _sorry(site, port, content='<p>Back soon</p>', state='present'):
    args = {'load_balancer_name': site['load_balancer_name'], 'listener_port': port, 'kind': 'sorry', 'name': 'cell',
            'host_headers': [site['hosts'][0]], 'state': state}
    if state == 'present':
        args.update(content=content, make_room=True)
    return args


def _cells(box, sites, rule_arn):
    """[(action, task)] each cell's module run, in order; setup tasks (full key) have action None."""
    main, assets = box.sites[0], box.assets
    later, latest = until(2), until(3)

    def auto_off(group, state='present', at=later):
        args = {'group': group, 'state': state}
        if state == 'present':
            args.update(at=at, role_arn=ROLE, rules=[{'key': '80-shop-0', 'arn': rule_arn}])
        return ('sorrypage.aws.alb_sorry_auto_off', args)

    def upload(prefix, distribution=False):
        args = {'src': os.path.join(REPO, 'roles', 'sorry_assets', 'files'), 'pages': ['en'],
                'public_url': assets['public_url'], 'bucket': assets['bucket'], 'prefix': prefix,
                'template_vars': {'reason': 'IAM cell', 'until': '2030-05-01T06:00:00Z',
                                  'status_url': 'https://status.example.test/', 'contact': 'ops@example.test'}}
        if distribution:
            args.update(cloudfront_distribution_id=assets['distribution_id'], wait=True)
        return ('sorrypage.aws.sorry_asset_upload', args)

    elb = 'elasticloadbalancing:'
    rule = 'sorrypage.aws.alb_sorry_rule'
    quota = ('sorrypage.aws.alb_sorry_info', {'load_balancer_name': main['load_balancer_name'], 'rules_quota': True})
    return [
        (None, quota),                                       # 'setup 0': the quota, read with every action
        (elb + 'DescribeLoadBalancers', (rule, _sorry(main, 80))),
        (elb + 'DescribeListeners', (rule, _sorry(main, 80))),
        (elb + 'DescribeRules', (rule, _sorry(main, 80))),
        (elb + 'DescribeTags', (rule, _sorry(main, 80))),
        (elb + 'DescribeAccountLimits', quota),
        (elb + 'SetRulePriorities', (rule, _sorry(sites[0], 80))),
        (elb + 'CreateRule', (rule, _sorry(sites[0], 443))),
        (elb + 'AddTags', (rule, _sorry(sites[1], 80))),
        (None, (rule, _sorry(sites[1], 443))),
        (elb + 'ModifyRule', (rule, _sorry(sites[1], 443, content='<p>Back later</p>'))),
        (None, (rule, _sorry(sites[2], 80))),
        (elb + 'DeleteRule', (rule, _sorry(sites[2], 80, state='absent'))),
        (None, (rule, _sorry(sites[2], 443))),
        (elb + 'RemoveTags', (rule, _sorry(sites[2], 443, state='absent'))),
        ('scheduler:GetScheduleGroup', auto_off('sorrypage-cell-a')),
        ('scheduler:CreateScheduleGroup', auto_off('sorrypage-cell-b')),
        ('scheduler:CreateSchedule', auto_off('sorrypage-cell-c')),
        (None, auto_off('sorrypage-cell-d')),
        ('scheduler:ListSchedules', auto_off('sorrypage-cell-d', 'status')),
        ('scheduler:GetSchedule', auto_off('sorrypage-cell-d', 'status')),
        ('scheduler:UpdateSchedule', auto_off('sorrypage-cell-d', at=latest)),
        ('scheduler:DeleteSchedule', auto_off('sorrypage-cell-d', 'absent')),
        ('scheduler:DeleteScheduleGroup', auto_off('sorrypage-cell-d', 'absent')),
        ('cloudfront:ListDistributions', ('sorrypage.aws.alb_sorry_cloudfront_info',
                                          {'load_balancer_name': main['load_balancer_name']})),
        ('cloudfront:CreateInvalidation', ('sorrypage.aws.alb_sorry_cloudfront_invalidate',
                                           {'distribution_ids': [assets['distribution_id']], 'wait': True})),
        ('cloudfront:GetInvalidation', ('sorrypage.aws.alb_sorry_cloudfront_invalidate',
                                        {'distribution_ids': [assets['distribution_id']], 'wait': True})),
        ('cloudfront:GetDistribution', upload('sorry/cell-get-distribution/', distribution=True)),
        ('s3:ListBucket', upload('sorry/cell-list-bucket/')),
        ('s3:GetObject', upload('sorry/cell-get-object/')),
        ('s3:PutObject', upload('sorry/cell-put-object/')),
    ]


@pytest.fixture(scope='module')
def cells(box, cycle):  # pylint: disable=redefined-outer-name,unused-argument  # after the cycle: its site is restored
    """{action: the result of its cell's module run, by a user holding every policy action but that one}."""
    actions = cycle['actions']
    sites = [seed_site(box.moto, name='cell%d' % n) for n in range(3)]   # fresh listeners for the writing cells
    main_rules = box.moto.client('elbv2').describe_rules(ListenerArn=box.sites[0]['listeners'][80])['Rules']
    rule_arn = [r['RuleArn'] for r in main_rules if not r['IsDefault']][0]
    full = box.moto.user('sorrypage-cell-setup', actions)
    tasks, names = [], {}
    for index, (action, (module, args)) in enumerate(_cells(box, sites, rule_arn)):
        if action is None:
            key, name = full, 'setup %d' % index
            names[name] = name
        else:
            key = box.moto.user('sorrypage-without-%s' % action.split(':')[1].lower()[:40],
                                [a for a in actions if a != action])
            name = 'without %s' % action
            names[action] = name
        tasks.append({'name': name, module: dict(args, **_aws(key, box)), 'ignore_errors': action is not None})
    path = os.path.join(box.workdir, 'cells.yml')
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump([{'hosts': 'localhost', 'gather_facts': False, 'connection': 'local', 'tasks': tasks}], handle)
    started = time.monotonic()
    res = run_playbook(path, inventory='localhost,')
    seconds = round(time.monotonic() - started, 1)
    assert res.data, res.stderr[-3000:]
    failed_setups = [(n, r.get('msg')) for n, _h, r in res.tasks() if n.startswith('setup') and r.get('failed')]
    assert not failed_setups, failed_setups
    results = dict((action, res.task(name)) for action, name in names.items())
    write_table(cycle, results, seconds)
    return {'results': results, 'seconds': seconds}


def write_table(cycle, results, seconds):
    """tests/output/iam-policy.md: what each missing action gives, and how long the proof took."""
    lines = ['# Least privilege, AWS: each action missing (tests/integration/test_iam_policy.py)', '',
             'cycle with exactly the policy actions: %s s (%s); cells: one playbook, %s s' % (
                 sum(cycle['seconds'].values()), ', '.join('%s %s s' % kv for kv in cycle['seconds'].items()), seconds),
             '', '| without | failed | message |', '| --- | --- | --- |']
    for action in sorted(a for a in results if not a.startswith('setup')):
        msg = ' '.join(str(results[action].get('msg', '')).split()).replace('|', '/')
        lines.append('| `%s` | %s | %s |' % (action, 'yes' if results[action].get('failed') else 'no',
                                             msg[:300] or 'rules_quota: %s' % results[action].get('rules_quota')))
    folder = os.path.join(REPO, 'tests', 'output')
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, 'iam-policy.md'), 'w', encoding='utf-8') as handle:
        handle.write('\n'.join(lines) + '\n')


def _cell_actions():
    return [a for a in policy_actions(load_policy()) if a not in NOT_IN_MOTO and a not in OPTIONAL]


def test_every_policy_action_has_a_cell_or_is_said_to_be_out_of_moto(box):
    covered = {action for action, _task in _cells(box, [box.sites[0]] * 3, 'arn') if action}
    assert covered == set(_cell_actions()) | set(OPTIONAL)


def test_without_describe_account_limits_the_quota_is_unknown_and_nothing_says_why(box, cells):
    """The one action whose denial fails nothing: alb_sorry_info rules_quota (and alb_sorry_rule's TooManyRules
    message) fall back to "unknown". A finding: the AccessDenied is swallowed, no warning names the permission."""
    assert isinstance(cells['results']['setup 0'].get('rules_quota'), int)      # with the action: the quota
    result = cells['results']['elasticloadbalancing:DescribeAccountLimits']
    assert not result.get('failed') and result.get('rules_quota') is None, result
    assert 'DescribeAccountLimits' not in json.dumps(result.get('warnings') or [])   # says nothing (the finding)
    denied = [c for c in box.moto.checks('sorrypage-without-describeaccountlimits') if not c['allowed']]
    assert [c['action'] for c in denied] == ['elasticloadbalancing:DescribeAccountLimits']


@pytest.mark.parametrize('action', _cell_actions())
def test_without_the_action_a_step_fails_with_access_denied_naming_it(cells, action):
    result = cells['results'][action]
    msg = str(result.get('msg', ''))
    assert result.get('failed'), (action, result)
    named = S3_OPERATIONS.get(action, action)
    assert 'AccessDenied' in msg or 'Access Denied' in msg or 'Forbidden' in msg, (action, msg)
    assert named in msg, (action, msg)
    if action not in S3_OPERATIONS:      # AWS's message: "User: <arn> is not authorized to perform: <action>"
        assert 'is not authorized to perform: %s' % action in msg, (action, msg)


def test_a_user_without_the_policy_changes_nothing(box, cycle):  # pylint: disable=unused-argument
    key = box.moto.user('sorrypage-nobody')
    path = inventory(box, tempfile.mkdtemp(dir=box.workdir))
    before, groups, keys = listeners(box), schedule_groups(box), assets_keys(box)
    for entry in ('prepare', 'on'):
        res = run_playbook(playbook(entry), inventory=path, env=key_env(key))
        assert res.rc != 0, entry
        assert 'AccessDenied' in failure(res) or 'not authorized' in failure(res), failure(res)
    assert listeners(box) == before and schedule_groups(box) == groups and assets_keys(box) == keys
    assert not [c for c in box.moto.checks('sorrypage-nobody') if c['allowed']]
