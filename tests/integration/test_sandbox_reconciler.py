"""The stand-in controller reconcile: why the AWS Load Balancer Controller must be paused.

The tests drive the reconcile loop themselves (``tick()``), so what the
controller has done at each step does not depend on how fast the step ran;
only the last test runs it on its own thread.
"""
import pytest

from tests.sandbox.aws import MotoServer
from tests.sandbox.k8s_api import K8sApi
from tests.sandbox.lbc_reconciler import LbcReconciler, normalize_actions, normalize_conditions

pytestmark = pytest.mark.sandbox_only

NS = 'kube-system'
LBC = 'aws-load-balancer-controller'
STACK = [{'Key': 'elbv2.k8s.aws/cluster', 'Value': 'sandbox'}, {'Key': 'ingress.k8s.aws/stack', 'Value': 'shop/main'}]
SORRY = [{'Type': 'fixed-response',
          'FixedResponseConfig': {'StatusCode': '503', 'ContentType': 'text/html', 'MessageBody': '<h1>Sorry</h1>'}}]
SORRY_TAGS = [{'Key': 'sorrypage:rule', 'Value': 'main'}, {'Key': 'sorrypage:kind', 'Value': 'sorry'}]


@pytest.fixture(scope='module')
def moto():
    with MotoServer() as server:
        yield server


@pytest.fixture
def k8s():
    api = K8sApi(pod_delay=0).start()  # pods start and go at once, unless a test sets a delay
    api.seed_lbc()
    yield api
    api.stop()


@pytest.fixture
def alb(moto):
    """An ALB with a controller-managed listener (three tagged rules) and an untouched one."""
    moto.reset()
    ec2, elbv2 = moto.client('ec2'), moto.client('elbv2')
    vpc = ec2.create_vpc(CidrBlock='10.30.0.0/16')['Vpc']['VpcId']
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock='10.30.%d.0/24' % i, AvailabilityZone='us-east-1' + az)['Subnet']['SubnetId']
               for i, az in enumerate('ab')]
    lb = elbv2.create_load_balancer(Name='k8s-shop-main', Subnets=subnets, Type='application', Tags=STACK)['LoadBalancers'][0]
    tgs = [elbv2.create_target_group(Name='k8s-shop-%s' % n, Protocol='HTTP', Port=8080, VpcId=vpc, TargetType='ip')
           ['TargetGroups'][0]['TargetGroupArn'] for n in ('web', 'api')]
    default = [{'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': '404', 'ContentType': 'text/plain', 'MessageBody': ''}}]
    managed = elbv2.create_listener(LoadBalancerArn=lb['LoadBalancerArn'], Protocol='HTTP', Port=80,
                                    DefaultActions=default)['Listeners'][0]['ListenerArn']
    other = elbv2.create_listener(LoadBalancerArn=lb['LoadBalancerArn'], Protocol='HTTP', Port=8080,
                                  DefaultActions=default)['Listeners'][0]['ListenerArn']
    for prio, (host, path, tg) in enumerate([('shop.example.test', '/api/*', tgs[1]), ('shop.example.test', '/*', tgs[0]),
                                             ('blog.example.test', '/*', tgs[0])], start=1):
        for listener in (managed, other):
            elbv2.create_rule(ListenerArn=listener, Priority=prio,
                              Conditions=[{'Field': 'host-header', 'HostHeaderConfig': {'Values': [host]}},
                                          {'Field': 'path-pattern', 'PathPatternConfig': {'Values': [path]}}],
                              Actions=[{'Type': 'forward', 'TargetGroupArn': tg}],
                              Tags=STACK + [{'Key': 'ingress.k8s.aws/resource', 'Value': '80:%d' % prio}])
    return {'elbv2': elbv2, 'managed': managed, 'other': other, 'target_groups': tgs}


def rules(elbv2, listener):
    """{priority: (arn, conditions, actions, tags)} of the non-default rules."""
    found = [r for r in elbv2.describe_rules(ListenerArn=listener)['Rules'] if not r['IsDefault']]
    tags = {d['ResourceArn']: {t['Key']: t['Value'] for t in d['Tags']}
            for d in elbv2.describe_tags(ResourceArns=[r['RuleArn'] for r in found])['TagDescriptions']} if found else {}
    return {int(r['Priority']): (r['RuleArn'], normalize_conditions(r['Conditions']), normalize_actions(r['Actions']),
                                 tags[r['RuleArn']]) for r in found}


def add_rule(elbv2, listener, priority, actions=None, tags=None):
    return elbv2.create_rule(ListenerArn=listener, Priority=priority,
                             Conditions=[{'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/*']}}],
                             Actions=actions or SORRY, Tags=tags or SORRY_TAGS)['Rules'][0]['RuleArn']


def controller_pods(k8s):
    return k8s.list('pods', NS, 'app.kubernetes.io/name=' + LBC)


def test_direct_rule_is_deleted_while_the_controller_runs_and_survives_while_it_is_paused(k8s, alb):
    elbv2, managed, other = alb['elbv2'], alb['managed'], alb['other']
    before, other_before = rules(elbv2, managed), rules(elbv2, other)
    reconciler = LbcReconciler(k8s, elbv2=elbv2, listener_arns=[managed])
    assert reconciler.tick() is True
    assert reconciler.changes == [] and rules(elbv2, managed) == before

    add_rule(elbv2, managed, 100)
    add_rule(elbv2, other, 100)
    assert 100 in rules(elbv2, managed)
    assert reconciler.tick() is True
    assert rules(elbv2, managed) == before
    assert ('delete', managed, 100) in reconciler.changes
    assert set(rules(elbv2, other)) == set(other_before) | {100}   # a listener not given is never touched

    k8s.patch('deployments', LBC, {'spec': {'replicas': 0}}, NS)
    assert controller_pods(k8s) == []
    sorry_arn = add_rule(elbv2, managed, 100)
    passes = reconciler.passes
    assert reconciler.tick() is False and reconciler.tick() is False
    assert reconciler.passes == passes
    assert rules(elbv2, managed)[100][0] == sorry_arn

    k8s.patch('deployments', LBC, {'spec': {'replicas': 2}}, NS)
    assert len(k8s.running_pods(namespace=NS)) == 2
    assert reconciler.tick() is True
    assert 100 not in rules(elbv2, managed)
    assert rules(elbv2, managed) == before
    assert reconciler.errors == []


def test_terminating_controller_pods_still_reconcile(k8s, alb):
    """Scaled to 0 but its pods not gone yet: the controller still deletes rules (so wait for the pods)."""
    elbv2, managed = alb['elbv2'], alb['managed']
    k8s.pod_delay = None  # held: the pods keep terminating
    reconciler = LbcReconciler(k8s, elbv2=elbv2, listener_arns=[managed])
    k8s.patch('deployments', LBC, {'spec': {'replicas': 0}}, NS)
    assert k8s.get('deployments', LBC, NS)['spec']['replicas'] == 0
    add_rule(elbv2, managed, 100)
    assert reconciler.tick() is True
    assert 100 not in rules(elbv2, managed)
    pods = controller_pods(k8s)
    assert pods and all('deletionTimestamp' in p['metadata'] for p in pods)


def test_rule_at_a_controller_priority_is_modified_in_place(k8s, alb):
    elbv2, managed = alb['elbv2'], alb['managed']
    before = rules(elbv2, managed)
    reconciler = LbcReconciler(k8s, elbv2=elbv2, listener_arns=[managed])
    k8s.patch('deployments', LBC, {'spec': {'replicas': 0}}, NS)
    assert reconciler.tick() is False
    # What a careless "make room" would do: move the controller's rule away, put ours at its priority.
    elbv2.set_rule_priorities(RulePriorities=[{'RuleArn': before[2][0], 'Priority': 50}])
    sorry_arn = add_rule(elbv2, managed, 2)
    elbv2.modify_listener(ListenerArn=managed, DefaultActions=SORRY)
    assert reconciler.tick() is False

    k8s.patch('deployments', LBC, {'spec': {'replicas': 2}}, NS)
    assert reconciler.tick() is True
    after = rules(elbv2, managed)
    assert sorted(after) == [1, 2, 3]
    arn, conditions, actions, tags = after[2]
    assert arn == sorry_arn                              # the same rule, rewritten in place
    assert (conditions, actions) == before[2][1:3]
    assert tags == before[2][3]                          # the controller's tags, ours gone
    assert after[1] == before[1] and after[3] == before[3]
    default = elbv2.describe_listeners(ListenerArns=[managed])['Listeners'][0]['DefaultActions']
    assert normalize_actions(default)[0]['FixedResponseConfig']['StatusCode'] == '404'
    assert {c[0] for c in reconciler.changes} == {'delete', 'modify', 'retag', 'modify-default'}
    assert ('delete', managed, 50) in reconciler.changes and ('modify', managed, 2) in reconciler.changes
    assert reconciler.errors == []


def test_missing_rule_is_recreated_with_its_tags(k8s, alb):
    elbv2, managed = alb['elbv2'], alb['managed']
    before = rules(elbv2, managed)
    reconciler = LbcReconciler(k8s, elbv2=elbv2, listener_arns=[managed])
    elbv2.delete_rule(RuleArn=before[3][0])
    reconciler.reconcile_once()
    after = rules(elbv2, managed)
    assert after[3][0] != before[3][0] and after[3][1:] == before[3][1:]
    assert reconciler.changes == [('create', managed, 3)]
    reconciler.reconcile_once()
    assert reconciler.changes == [('create', managed, 3)]    # converged: a second pass writes nothing


def test_model_is_the_tagged_rules_or_else_the_snapshot(k8s, alb):
    elbv2, managed, other = alb['elbv2'], alb['managed'], alb['other']
    foreign = add_rule(elbv2, managed, 10)                  # present at snapshot time but not the controller's
    untagged = add_rule(elbv2, other, 10, tags=[{'Key': 'team', 'Value': 'web'}])
    for rule in rules(elbv2, other).values():
        if rule[0] != untagged:
            elbv2.remove_tags(ResourceArns=[rule[0]], TagKeys=['ingress.k8s.aws/stack'])
    reconciler = LbcReconciler(k8s, elbv2=elbv2, listener_arns=[managed, other])
    assert sorted(reconciler.model[managed]['rules']) == [1, 2, 3]
    assert sorted(reconciler.model[other]['rules']) == [1, 2, 3, 10]
    add_rule(elbv2, other, 11)
    reconciler.reconcile_once()
    assert foreign not in {r[0] for r in rules(elbv2, managed).values()}
    assert sorted(rules(elbv2, other)) == [1, 2, 3, 10] and rules(elbv2, other)[10][0] == untagged
    assert set(reconciler.changes) == {('delete', managed, 10), ('delete', other, 11)} and len(reconciler.changes) == 2


def test_stop_is_clean_and_counts_passes(k8s, alb):
    reconciler = LbcReconciler(k8s, elbv2=alb['elbv2'], listener_arns=[alb['managed']], interval=0.1).start()
    assert reconciler.wait_for_pass() is True
    with pytest.raises(RuntimeError):
        reconciler.tick()
    reconciler.stop()
    ticks = reconciler.ticks
    assert ticks >= 1 and reconciler.passes == ticks
    with pytest.raises(TimeoutError) as err:
        reconciler.wait_for_pass(timeout=0.5)
    assert str(err.value) == 'the reconciler made no pass within 0.5s'
    assert reconciler.ticks == ticks
