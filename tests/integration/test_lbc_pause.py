"""The lbc_pause role and module (EKS-outage mode) against the sandbox.

Real ansible-playbook runs of tests/integration/playbooks/lbc_{pause,resume,status}.yml
against the stand-in Kubernetes API (tests/sandbox/k8s_api.py), whose Pods
follow a Deployment only after ``pod_delay`` seconds, or only when the test
releases them (``pod_delay=None``) where a test is about a wait, and, to show
why the pause exists, the stand-in controller (tests/sandbox/lbc_reconciler.py)
deleting foreign rules on a moto ALB.
"""
import json
import os
import re
import sys

import pytest
import yaml

from tests.ansible_run import run_module, run_playbook
from tests.sandbox.k8s_api import LBC_NAME, K8sApi
from tests.sandbox.lbc_reconciler import LbcReconciler

pytestmark = pytest.mark.sandbox_only

NS = 'kube-system'
SELECTOR = 'app.kubernetes.io/name=' + LBC_NAME
DEPLOYMENT = '%s/%s' % (NS, LBC_NAME)
PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'playbooks')
RECORD_KEYS = ('sorrypage.aws/paused-replicas', 'sorrypage.aws/holders', 'sorrypage.aws/paused-at')
WEBHOOKS = ['mpod.elbv2.k8s.aws', 'mservice.elbv2.k8s.aws', 'mtargetgroupbinding.elbv2.k8s.aws',
            'vingress.elbv2.k8s.aws', 'vtargetgroupbinding.elbv2.k8s.aws']
NOT_PAUSED = ('The Sorry page is ON, but the AWS Load Balancer Controller is NOT paused: while it runs it deletes the Sorry rules '
              'at its next reconcile. Fix this and run `on` again (or pause it by hand: docs/eks-outage.md).')
NOT_RESUMED = ("The Sorry rules are off, but this site's hold on the AWS Load Balancer Controller pause was NOT released: the "
               'controller may stay at zero and its webhooks keep rejecting requests. Fix this and run `off` again (or resume it '
               'by hand: docs/eks-outage.md).')


class Cluster:
    """One stand-in API server with the controller seeded, and the role run against it."""

    def __init__(self, tmp_path, pod_delay=1.0, replicas=2, seed=True, **api_args):
        self.tmp = tmp_path
        self.api = K8sApi(pod_delay=pod_delay, **api_args).start()
        if seed:
            self.api.seed_lbc(cluster_name='sandbox', replicas=replicas)
        self.kubeconfig = self.api.write_kubeconfig(str(tmp_path / 'kubeconfig'))

    def stop(self):
        self.api.stop()

    def inventory(self, sites):
        inv = {'all': {'children': {'sites': {'hosts': {site: {} for site in sites}}}, 'vars': {
            'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
            'sorry_kubeconfig': self.kubeconfig, 'sorry_kube_context': 'sandbox',
            'sorry_lbc_cluster_name': 'sandbox', 'sorry_lbc_controller_managed': True, 'sorry_lbc_wait_timeout': 30}}}
        path = str(self.tmp / 'inventory.yml')
        with open(path, 'w', encoding='utf-8') as handle:
            yaml.safe_dump(inv, handle)
        return path

    def run(self, step, sites=('shop',), limit=None, forks=None, **extra_vars):
        return run_playbook(os.path.join(PLAYBOOKS, 'lbc_%s.yml' % step), inventory=self.inventory(sites),
                            extra_vars=extra_vars or None, limit=limit, forks=forks)

    def deployment(self):
        return self.api.get('deployments', LBC_NAME, NS)

    def record(self):
        annotations = self.deployment()['metadata'].get('annotations') or {}
        return {k: v for k, v in annotations.items() if k.startswith('sorrypage.aws/')}

    def replicas(self):
        return self.deployment()['spec']['replicas']

    def pods(self):
        return [p['metadata']['name'] for p in self.api.list('pods', NS, SELECTOR)]

    def writes(self):
        """(method, path suffix, status) of every write request, in order."""
        return [(r.method, r.path.rsplit('/', 1)[-1], r.status) for r in self.api.request_log if r.method != 'GET']


@pytest.fixture
def make_cluster(tmp_path):
    made = []

    def make(**kwargs):
        made.append(Cluster(tmp_path, **kwargs))
        return made[-1]
    yield make
    for cluster in made:
        cluster.stop()


@pytest.fixture
def cluster(make_cluster):
    return make_cluster()


def lbc(result, host='shop'):
    assert result.rc == 0, failure(result, host)
    return result.task('Report the result', host)['sorry_lbc']


def failure(result, host='shop'):
    """The message of the last failed task of ``host`` (the one that stopped it)."""
    failed = [res for _name, _host, res in result.tasks(host) if res.get('failed')]
    return failed[-1].get('msg') if failed else 'no failed task; stderr: %s' % result.stderr[-2000:]


def test_pause_then_resume_round_trip(cluster):
    paused = lbc(cluster.run('pause'))
    assert paused['action'] == 'paused'
    assert (paused['replicas_recorded'], paused['replicas'], paused['holders']) == (2, 0, ['shop'])
    assert paused['deployment'] == DEPLOYMENT and paused['cluster_name'] == 'sandbox' and paused['pending'] is False
    assert paused['webhooks'] == WEBHOOKS
    assert paused['reapply'] is True
    assert paused['message'] == ('Paused the AWS Load Balancer Controller kube-system/aws-load-balancer-controller: scaled from 2 to 0 '
                                 'replicas (recorded 2 replicas), held by shop; its webhooks reject requests cluster-wide until `off`.')
    assert paused['warnings'][0] == (
        'While the controller is at zero, its webhooks (failurePolicy Fail) reject matching requests cluster-wide: '
        + ', '.join(WEBHOOKS) + '. New or changed Services, Ingresses and TargetGroupBindings fail until `off`.')
    assert "Helm manages kube-system/aws-load-balancer-controller (release aws-load-balancer-controller): a helm upgrade during the " \
           "maintenance scales the controller back to the chart's replicaCount." in paused['warnings']
    record = cluster.record()
    assert record['sorrypage.aws/paused-replicas'] == '2'
    assert json.loads(record['sorrypage.aws/holders']) == ['shop']
    assert re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$', record['sorrypage.aws/paused-at'])
    assert paused['paused_at'] == record['sorrypage.aws/paused-at']
    assert cluster.replicas() == 0 and cluster.pods() == []

    again = lbc(cluster.run('pause'))
    assert again['action'] == 'already_paused'
    assert (again['replicas_recorded'], again['holders'], again['reapply']) == (2, ['shop'], False)
    assert cluster.record()['sorrypage.aws/paused-replicas'] == '2', 'a second `on` must never record 0'

    resumed = lbc(cluster.run('resume'))
    assert resumed['action'] == 'resumed'
    assert (resumed['replicas_recorded'], resumed['replicas'], resumed['available_replicas'], resumed['holders']) == (2, 2, 2, [])
    assert resumed['message'] == ('Resumed the AWS Load Balancer Controller kube-system/aws-load-balancer-controller: back to 2 '
                                  'replicas, available; pause record removed.')
    assert cluster.record() == {} and cluster.replicas() == 2
    assert cluster.api.controller_available_replicas() == 2 and len(cluster.api.running_pods()) == 2

    cluster.api.clear_log()
    nothing = lbc(cluster.run('resume'))
    assert nothing['action'] == 'nothing_recorded' and nothing['warnings'] == []
    assert nothing['message'] == ('No pause recorded on kube-system/aws-load-balancer-controller: the controller was left as it is '
                                  '(2 replicas).')
    assert cluster.writes() == []


def test_pause_waits_until_the_pods_are_really_gone(make_cluster):
    cluster = make_cluster(pod_delay=None)
    # The Terminating pods stay until three lists of them have been answered.
    cluster.api.release_pods_after_lists(3)
    result = cluster.run('pause')
    # Straight after the playbook: no pod left, not even a Terminating one
    # (which would still reconcile).
    assert cluster.pods() == [] and cluster.api.running_pods() == []
    paused = lbc(result)
    assert paused['action'] == 'paused' and paused['reapply'] is True
    assert paused['wait_polls'] == 4, 'three lists still saw the pods, the fourth found them gone'


def test_why_the_pause_exists(cluster, moto, site):
    """The stand-in controller deletes a rule added beside its own while it runs, not while it is paused."""
    elbv2 = moto.client('elbv2')
    listener = site['listeners'][80]

    def add_rule():
        return elbv2.create_rule(
            ListenerArn=listener, Priority=4000,
            Conditions=[{'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/why-pause']}}],
            Actions=[{'Type': 'fixed-response', 'FixedResponseConfig': {
                'StatusCode': '503', 'ContentType': 'text/plain', 'MessageBody': 'sorry'}}])['Rules'][0]['RuleArn']

    def priorities():
        return [r['Priority'] for r in elbv2.describe_rules(ListenerArn=listener)['Rules']]

    # The test drives the controller's reconcile loop itself, one pass at a time.
    reconciler = LbcReconciler(cluster.api, elbv2=elbv2, listener_arns=list(site['listeners'].values()))
    add_rule()
    assert reconciler.tick() is True
    assert '4000' not in priorities(), 'the running controller deletes a rule it did not create'

    assert lbc(cluster.run('pause', sorry_lbc_cluster_name=site['cluster_name']))['action'] == 'paused'
    assert reconciler.tick() is False
    add_rule()
    assert reconciler.tick() is False and reconciler.tick() is False
    assert '4000' in priorities(), 'the paused controller leaves it'

    assert lbc(cluster.run('resume'))['action'] == 'resumed'
    assert reconciler.tick() is True
    assert '4000' not in priorities(), 'back at work, it deletes it again'
    assert reconciler.errors == []


def test_two_sites_pausing_at_once_both_hold_it_and_the_last_one_out_resumes(cluster):
    result = cluster.run('pause', sites=('shop', 'blog'), forks=2)
    actions = sorted(lbc(result, host)['action'] for host in ('shop', 'blog'))
    assert actions in (['already_paused', 'paused'], ['paused', 'paused'])
    assert sorted(json.loads(cluster.record()['sorrypage.aws/holders'])) == ['blog', 'shop']
    assert cluster.record()['sorrypage.aws/paused-replicas'] == '2'
    # When both read the same resourceVersion before writing, the second
    # write met a 409 Conflict and was retried after reading again (which
    # interleaving happens is up to the scheduler; the unit tests of
    # _lbc_pause hold each one).
    record_writes = [w for w in cluster.writes() if w[:2] == ('PATCH', LBC_NAME)]
    assert [status for _m, _p, status in record_writes].count(409) <= 1
    assert [status for _m, _p, status in record_writes].count(200) == 2

    held = lbc(cluster.run('resume', sites=('shop', 'blog'), limit='shop'))
    assert (held['action'], held['holders'], held['replicas']) == ('still_held', ['blog'], 0)
    assert held['message'] == "Released this site's hold; kube-system/aws-load-balancer-controller stays paused for blog."
    assert cluster.replicas() == 0 and json.loads(cluster.record()['sorrypage.aws/holders']) == ['blog']

    again = lbc(cluster.run('resume', sites=('shop', 'blog'), limit='shop'))
    assert (again['action'], again['holders']) == ('not_paused', ['blog'])
    assert cluster.replicas() == 0

    last = lbc(cluster.run('resume', sites=('shop', 'blog'), limit='blog'), 'blog')
    assert (last['action'], last['replicas']) == ('resumed', 2)
    assert cluster.record() == {} and cluster.replicas() == 2 and cluster.api.controller_available_replicas() == 2


def test_conflicts_on_the_record_are_retried(cluster):
    cluster.api.inject_conflicts(3)
    paused = lbc(cluster.run('pause'))
    assert paused['action'] == 'paused' and paused['replicas_recorded'] == 2
    # The record and the scale to zero are one write.
    assert cluster.writes() == [('PATCH', LBC_NAME, 409)] * 3 + [('PATCH', LBC_NAME, 200)]
    assert cluster.record()['sorrypage.aws/paused-replicas'] == '2' and cluster.replicas() == 0


def test_conflicts_when_scaling_back_to_zero_are_retried(cluster):
    assert lbc(cluster.run('pause'))['action'] == 'paused'
    cluster.api.patch('deployments', LBC_NAME, {'spec': {'replicas': 2}}, NS)  # scaled back behind our back
    cluster.api.clear_log()
    cluster.api.inject_conflicts(2)
    again = lbc(cluster.run('pause'))
    assert again['action'] == 'paused' and again['replicas_recorded'] == 2 and again['reapply'] is True
    assert 'the controller had been scaled back up to 2 replicas while paused (GitOps, Helm or a person?): scaled to 0 again' \
        in again['warnings']
    assert cluster.writes() == [('PATCH', LBC_NAME, 409)] * 2 + [('PATCH', LBC_NAME, 200)]
    assert cluster.replicas() == 0 and cluster.pods() == []


def test_endless_conflicts_give_up_and_say_the_controller_is_not_paused(cluster):
    cluster.api.inject_conflicts(5)
    result = cluster.run('pause')
    assert result.rc != 0
    assert failure(result) == (
        'Gave up writing the pause record on kube-system/aws-load-balancer-controller after 5 conflicting writes (409 Conflict: '
        'something else keeps changing the Deployment, a GitOps tool?). ' + NOT_PAUSED)
    assert cluster.record() == {} and cluster.replicas() == 2


def test_api_unreachable_in_outage_mode_leaves_the_pause_pending_then_completes(cluster):
    cluster.api.set_unreachable(True)
    pending = lbc(cluster.run('pause', sorry_eks_outage='true'))
    assert (pending['action'], pending['pending'], pending['mode']) == ('pending', True, 'true')
    assert pending['message'] == ('Controller pause pending: the Kubernetes API cannot be reached; sorry_eks_outage is true, so `on` '
                                  'carries on. Run `on` again when it answers.')
    assert pending['warnings'][0].startswith('CONTROLLER PAUSE PENDING: the Kubernetes API cannot be reached (')
    assert 'Connection refused' in pending['warnings'][0]
    assert pending['warnings'][0].endswith('The AWS Load Balancer Controller was NOT paused: if it still runs, it deletes the Sorry '
                                           'rules at its next reconcile. Run `on` again as soon as the API answers.')

    cluster.api.set_unreachable(False)
    cluster.api.clear_log()
    # `off` straight after the API is back: nothing was recorded, nothing is scaled.
    nothing = lbc(cluster.run('resume', sorry_eks_outage='true'))
    assert nothing['action'] == 'nothing_recorded'
    assert cluster.writes() == [] and cluster.replicas() == 2

    # `on` again completes the pause, `off` restores.
    assert lbc(cluster.run('pause', sorry_eks_outage='true'))['action'] == 'paused'
    assert cluster.replicas() == 0
    cluster.api.set_unreachable(True)
    resume_pending = lbc(cluster.run('resume', sorry_eks_outage='true'))
    assert resume_pending['action'] == 'pending'
    assert resume_pending['warnings'][0].startswith('CONTROLLER RESUME PENDING: the Kubernetes API cannot be reached (')
    cluster.api.set_unreachable(False)
    assert cluster.replicas() == 0 and cluster.record()['sorrypage.aws/holders'] == '["shop"]'
    assert lbc(cluster.run('resume', sorry_eks_outage='true'))['action'] == 'resumed'
    assert cluster.replicas() == 2 and cluster.record() == {}


@pytest.mark.parametrize('step, note, verb', [('pause', NOT_PAUSED, 'pause'), ('resume', NOT_RESUMED, 'resume')])
def test_api_unreachable_in_auto_mode_fails(cluster, step, note, verb):
    cluster.api.set_unreachable(True)
    result = cluster.run(step, sorry_eks_outage='auto')
    assert result.rc != 0
    msg = failure(result)
    assert msg.startswith('Could not %s the AWS Load Balancer Controller: the Kubernetes API cannot be reached (' % verb)
    assert 'Connection refused' in msg
    assert msg.endswith(note + (' With sorry_eks_outage true, an unreachable API only leaves the pause pending.'
                                if step == 'pause' else ''))


@pytest.mark.parametrize('fault', ['forbidden', 'unauthorized'])
def test_auth_errors_fail_even_in_outage_mode(make_cluster, fault):
    cluster = make_cluster(required_token='right-token' if fault == 'unauthorized' else None)
    if fault == 'forbidden':
        cluster.api.set_forbidden(True)
    else:
        cluster.kubeconfig = cluster.api.write_kubeconfig(str(cluster.tmp / 'wrong-token'), token='wrong-token')
    result = cluster.run('pause', sorry_eks_outage='true')
    assert result.rc != 0
    msg = failure(result)
    status = '403' if fault == 'forbidden' else '401'
    assert msg.startswith('Could not pause the AWS Load Balancer Controller: the Kubernetes API refused the credentials (HTTP %s or an '
                          'auth plugin failure) (' % status)
    assert msg.endswith(NOT_PAUSED)
    cluster.api.set_forbidden(False)
    assert cluster.replicas() == 2 and cluster.record() == {}


@pytest.mark.parametrize('step, note', [('pause', NOT_PAUSED), ('resume', NOT_RESUMED)])
def test_wrong_cluster_is_refused_before_any_change(cluster, step, note):
    if step == 'resume':
        assert lbc(cluster.run('pause'))['action'] == 'paused'
    before = cluster.deployment()
    cluster.api.clear_log()
    result = cluster.run(step, sorry_lbc_cluster_name='other')
    assert result.rc != 0
    assert failure(result) == (
        'Refused to %s kube-system/aws-load-balancer-controller (context sandbox): it serves cluster sandbox, but the ALB '
        'belongs to cluster other (tag elbv2.k8s.aws/cluster): wrong kube context? Nothing was changed in the cluster. %s'
        % (step, note))
    assert cluster.writes() == []
    after = cluster.deployment()
    assert after['spec']['replicas'] == before['spec']['replicas']
    assert after['metadata']['resourceVersion'] == before['metadata']['resourceVersion']


def test_controller_without_cluster_name_is_refused(cluster):
    dep = cluster.deployment()
    containers = dep['spec']['template']['spec']['containers']
    containers[0]['args'] = ['--ingress-class=alb']
    cluster.api.patch('deployments', LBC_NAME, {'spec': {'template': {'spec': {'containers': containers}}}}, NS)
    result = cluster.run('pause')
    assert result.rc != 0
    assert failure(result) == (
        "Refused to pause kube-system/aws-load-balancer-controller (context sandbox): it runs with no --cluster-name argument, "
        "so it cannot be checked against the ALB's cluster sandbox Nothing was changed in the cluster. %s" % NOT_PAUSED)
    assert cluster.replicas() == 2


def test_cluster_name_given_as_a_separate_argument_is_read(cluster):
    dep = cluster.deployment()
    containers = dep['spec']['template']['spec']['containers']
    containers[0]['args'] = ['--cluster-name', 'sandbox', '--ingress-class=alb']
    cluster.api.patch('deployments', LBC_NAME, {'spec': {'template': {'spec': {'containers': containers}}}}, NS)
    assert lbc(cluster.run('pause'))['action'] == 'paused'
    refused = cluster.run('resume', sorry_lbc_cluster_name='other')
    assert 'it serves cluster sandbox, but the ALB belongs to cluster other' in failure(refused)


def test_controller_already_at_zero_stays_at_zero(make_cluster):
    cluster = make_cluster(replicas=0)
    paused = lbc(cluster.run('pause'))
    assert (paused['action'], paused['replicas_recorded'], paused['reapply']) == ('paused', 0, False)
    assert 'the controller was already at 0 replicas with no record before this pause: recorded 0, so `off` leaves it at 0' \
        in paused['warnings']
    assert paused['message'].startswith('The AWS Load Balancer Controller kube-system/aws-load-balancer-controller was already at 0 '
                                        'replicas with no record (recorded 0 replicas), held by shop')
    assert cluster.record()['sorrypage.aws/paused-replicas'] == '0'
    generation = cluster.deployment()['metadata']['generation']

    resumed = lbc(cluster.run('resume'))
    assert (resumed['action'], resumed['replicas_recorded'], resumed['replicas']) == ('resumed', 0, 0)
    assert resumed['message'] == ('Released the last hold on kube-system/aws-load-balancer-controller: it was at 0 replicas before '
                                  'the pause, so it stays at 0; pause record removed.')
    assert cluster.replicas() == 0 and cluster.record() == {} and cluster.pods() == []
    assert cluster.deployment()['metadata']['generation'] == generation
    assert [w for w in cluster.writes() if w[1] == 'scale'] == []

    nothing = lbc(cluster.run('resume'))
    assert nothing['action'] == 'nothing_recorded'
    assert nothing['warnings'] == [
        'the controller is at 0 replicas with no pause record: not scaled (never without a record). If it was paused by hand or its '
        'record was lost, scale it back yourself: `kubectl -n kube-system scale deployment/aws-load-balancer-controller '
        '--replicas=<count before the maintenance>`']
    assert cluster.replicas() == 0


def test_damaged_record_is_refused(cluster):
    cluster.api.patch('deployments', LBC_NAME, {'metadata': {'annotations': {
        'sorrypage.aws/paused-replicas': 'two', 'sorrypage.aws/holders': '["blog"]'}}}, NS)
    result = cluster.run('pause')
    assert result.rc != 0
    assert failure(result) == (
        "The record on kube-system/aws-load-balancer-controller is damaged: annotation sorrypage.aws/paused-replicas is 'two', not a "
        "replica count. Nothing was changed. Set it by hand to the controller's replica count before maintenance (see "
        "docs/eks-outage.md). " + NOT_PAUSED)
    assert cluster.replicas() == 2


def test_status_shows_the_record_and_drift(cluster):
    assert lbc(cluster.run('status'))['action'] == 'not_paused'
    assert lbc(cluster.run('pause', sites=('shop', 'blog'), limit='shop'))['action'] == 'paused'

    status = lbc(cluster.run('status', sorry_lbc_in_maintenance=True))
    assert (status['action'], status['holders'], status['replicas_recorded'], status['replicas']) == ('paused', ['shop'], 2, 0)
    assert status['pending'] is False and status['warnings'] == []
    assert re.match(r'^kube-system/aws-load-balancer-controller is paused \(recorded 2 replicas, 0 now\) since \S+Z, held by shop\.$',
                    status['message'])

    pending = lbc(cluster.run('status', sites=('shop', 'blog'), limit='blog', sorry_lbc_in_maintenance=True), 'blog')
    assert pending['pending'] is True
    assert pending['warnings'] == [
        'PENDING: the Sorry page of blog is on, but blog does not hold the controller pause (pause pending or never recorded): the '
        'controller may delete the Sorry rules. Run `on` again.']

    stale = lbc(cluster.run('status', sorry_lbc_in_maintenance=False))
    assert stale['warnings'] == [
        'STALE HOLD: shop holds the controller pause but its Sorry page is off: run `off` for it to release the pause.']

    cluster.api.patch('deployments', LBC_NAME, {'spec': {'replicas': 2}}, NS)  # a GitOps tool scales it back
    drift = lbc(cluster.run('status'))
    assert drift['replicas'] == 2 and drift['action'] == 'paused'
    assert drift['warnings'][0] == (
        'DRIFT: the pause record and kube-system/aws-load-balancer-controller disagree: the record (held by shop) says paused, '
        'restore 2 replicas at `off`, but it runs with 2 replicas now, not 0 (scaled by hand, GitOps or Helm?): it deletes the '
        'Sorry rules at its next reconcile. Run `on` again to pause it; the last `off` sets it to 2 as recorded.')

    assert lbc(cluster.run('resume'))['action'] == 'resumed'
    cluster.api.patch('deployments', LBC_NAME, {'spec': {'replicas': 0}}, NS)  # paused by hand
    by_hand = lbc(cluster.run('status'))
    assert by_hand['action'] == 'not_paused'
    assert by_hand['warnings'] == [
        'DRIFT: kube-system/aws-load-balancer-controller is at 0 replicas with no pause record (paused by hand, or the record was '
        'lost): its webhooks reject requests cluster-wide, and `off` will not scale it back.']

    cluster.api.set_unreachable(True)
    unknown = lbc(cluster.run('status'))
    assert unknown['action'] == 'unknown'
    assert unknown['warnings'][0].startswith('Could not read the AWS Load Balancer Controller (context sandbox): the Kubernetes '
                                             'API cannot be reached (')


def test_gitops_owners_are_warned_about(cluster):
    cluster.api.patch('deployments', LBC_NAME, {'metadata': {
        'annotations': {'argocd.argoproj.io/tracking-id': 'lbc:apps/Deployment:kube-system/aws-load-balancer-controller'},
        'labels': {'kustomize.toolkit.fluxcd.io/name': 'infra'}}}, NS)
    warnings = lbc(cluster.run('pause'))['warnings']
    assert ('Argo CD manages kube-system/aws-load-balancer-controller (argocd.argoproj.io/tracking-id): with automated sync or '
            'self-heal it scales the controller back up, and the controller then deletes the Sorry rules. Disable auto-sync of its '
            'Application for the maintenance.') in warnings
    assert ('Flux manages kube-system/aws-load-balancer-controller (kustomize.toolkit.fluxcd.io/name): its next reconcile scales the '
            'controller back up. Suspend the HelmRelease or Kustomization (flux suspend ...) for the maintenance.') in warnings


def test_chart_rendered_without_helm_is_flagged_as_gitops(cluster):
    cluster.api.patch('deployments', LBC_NAME, {'metadata': {'annotations': {
        'meta.helm.sh/release-name': None, 'meta.helm.sh/release-namespace': None}}}, NS)
    warnings = lbc(cluster.run('pause'))['warnings']
    assert [w for w in warnings if 'GitOps' in w or 'Helm' in w] == [
        'kube-system/aws-load-balancer-controller carries Helm chart labels without a Helm release (app.kubernetes.io/instance='
        'aws-load-balancer-controller): rendered by a GitOps tool (Argo CD tracks by that label)? If so, disable its auto-sync for '
        'the maintenance or it scales the controller back up.']


@pytest.mark.parametrize('step', ['pause', 'resume', 'status'])
def test_nothing_to_do_without_a_controller_managed_alb(cluster, step):
    cluster.api.clear_log()
    result = lbc(cluster.run(step, sorry_lbc_controller_managed=False))
    assert result['action'] == 'not_needed' and result['warnings'] == []
    assert result['message'] == (
        'Nothing to do with the AWS Load Balancer Controller: the ALB is not managed by the AWS Load Balancer Controller (no '
        'elbv2.k8s.aws/cluster or ingress.k8s.aws/* tags), so nothing deletes the Sorry rules.')
    assert cluster.api.request_log == [], 'no Kubernetes call at all for a plain ALB'


def test_eks_outage_false_warns_on_a_controller_managed_alb(cluster):
    result = lbc(cluster.run('pause', sorry_eks_outage=False))
    assert result['action'] == 'not_needed'
    assert result['warnings'] == ['sorry_eks_outage is false but the ALB is managed by the AWS Load Balancer Controller: it keeps '
                                  'running and deletes the Sorry rules at its next reconcile']
    assert cluster.replicas() == 2 and cluster.api.request_log == []


def test_no_controller_deployment(make_cluster):
    cluster = make_cluster(seed=False)
    plain = lbc(cluster.run('pause', sorry_eks_outage='true', sorry_lbc_controller_managed=False))
    assert plain['action'] == 'not_needed'
    assert plain['message'] == (
        'Nothing to pause: no Deployment matches app.kubernetes.io/name=aws-load-balancer-controller in namespace kube-system '
        '(context sandbox) and the ALB is not controller-managed (no AWS Load Balancer Controller here, or EKS Auto Mode).')

    result = cluster.run('pause')
    assert result.rc != 0
    assert failure(result) == (
        'No Deployment matches app.kubernetes.io/name=aws-load-balancer-controller in namespace kube-system (context sandbox), '
        'but the ALB is managed by the AWS Load Balancer Controller of cluster sandbox. Wrong kube context, namespace '
        '(sorry_lbc_namespace) or selector (sorry_lbc_selector)? With EKS Auto Mode the controller runs outside the cluster and '
        'cannot be paused. %s' % NOT_PAUSED)


def test_several_matching_deployments_are_refused(cluster):
    second = cluster.deployment()
    second['metadata'] = {'name': 'lbc-second', 'namespace': NS, 'labels': second['metadata']['labels']}
    second.pop('status', None)
    cluster.api.create(second)
    result = cluster.run('pause')
    assert result.rc != 0
    assert failure(result) == (
        '2 Deployments match app.kubernetes.io/name=aws-load-balancer-controller in namespace kube-system (context sandbox): '
        'kube-system/aws-load-balancer-controller, kube-system/lbc-second. Make sorry_lbc_selector match only the controller\'s. '
        'Nothing was changed in the cluster. %s' % NOT_PAUSED)
    assert cluster.replicas() == 2


def test_check_mode_changes_nothing(cluster):
    result = run_playbook(os.path.join(PLAYBOOKS, 'lbc_pause.yml'), inventory=cluster.inventory(['shop']), check=True)
    predicted = lbc(result)
    assert (predicted['action'], predicted['replicas_recorded'], predicted['holders']) == ('paused', 2, ['shop'])
    assert cluster.replicas() == 2 and cluster.record() == {}
    # The record write goes to the API as a server-side dry run only.
    assert [(r.method, r.status) for r in cluster.api.request_log if r.method != 'GET'] == [('PATCH', 200)]
    assert all('dryRun=All' in r.query for r in cluster.api.request_log if r.method != 'GET')


def test_two_sites_resuming_at_once_restore_it_once(cluster):
    assert lbc(cluster.run('pause', sites=('shop', 'blog'), forks=2))['replicas_recorded'] == 2
    result = cluster.run('resume', sites=('shop', 'blog'), forks=2)
    actions = sorted(lbc(result, host)['action'] for host in ('shop', 'blog'))
    assert actions == ['resumed', 'still_held']
    assert cluster.record() == {} and cluster.replicas() == 2 and cluster.api.controller_available_replicas() == 2


def test_pods_outliving_the_wait(make_cluster):
    cluster = make_cluster(pod_delay=None)  # never released: they outlive any wait
    result = cluster.run('pause', sorry_lbc_wait_timeout=2)
    assert result.rc != 0
    pods = cluster.pods()
    assert len(pods) == 2
    assert failure(result) == (
        'kube-system/aws-load-balancer-controller is scaled to zero (recorded 2 replicas), but 2 of its pods are still there after 2 s '
        '(%s): they may still reconcile. %s' % (', '.join(sorted(pods)), NOT_PAUSED))

    tolerant = lbc(cluster.run('pause', sorry_lbc_wait_timeout=2, sorry_eks_outage='true'))
    assert (tolerant['action'], tolerant['reapply']) == ('already_paused', True)
    assert ('2 pods of the controller are still there after 2 s (%s): if they still run they delete the Sorry rules; check with '
            '`kubectl -n kube-system get pods -l app.kubernetes.io/name=aws-load-balancer-controller,app.kubernetes.io/instance='
            'aws-load-balancer-controller` and run `on` again' % ', '.join(sorted(pods))) in tolerant['warnings']


def test_controller_not_available_in_time_after_resume(make_cluster):
    cluster = make_cluster(pod_delay=None, replicas=0)  # the new pods never get ready
    cluster.api.patch('deployments', LBC_NAME, {'metadata': {'annotations': {
        'sorrypage.aws/paused-replicas': '2', 'sorrypage.aws/holders': '["shop"]'}}}, NS)
    result = cluster.run('resume', sorry_lbc_wait_timeout=2)
    assert result.rc != 0
    assert failure(result) == (
        'The Sorry rules are off and the pause record is removed: kube-system/aws-load-balancer-controller was scaled back to 2 '
        'replicas, but 0 are available after 2 s. Until it is, its webhooks keep rejecting requests. Check `kubectl -n kube-system '
        'get pods -l app.kubernetes.io/name=aws-load-balancer-controller,app.kubernetes.io/instance=aws-load-balancer-controller` '
        'and `kubectl -n kube-system describe deployment aws-load-balancer-controller`.')
    assert cluster.replicas() == 2 and cluster.record() == {}


@pytest.mark.parametrize('holders', ['["shop", "blog"]', 'shop, blog'])
def test_a_record_written_by_the_first_version_is_resumed(make_cluster, holders):
    """The first version (Jinja in the role) wrote the same three annotations; a hand-written record may list holders with commas."""
    cluster = make_cluster(replicas=0)
    cluster.api.patch('deployments', LBC_NAME, {'metadata': {'annotations': {
        'sorrypage.aws/paused-replicas': '3', 'sorrypage.aws/holders': holders,
        'sorrypage.aws/paused-at': '2026-11-29T21:00:00Z'}}}, NS)

    status = lbc(cluster.run('status'))
    assert (status['action'], status['replicas_recorded'], status['holders']) == ('paused', 3, ['shop', 'blog'])
    assert status['paused_at'] == '2026-11-29T21:00:00Z'

    held = lbc(cluster.run('resume'))
    assert (held['action'], held['holders']) == ('still_held', ['blog'])
    assert cluster.record() == {'sorrypage.aws/paused-replicas': '3', 'sorrypage.aws/holders': '["blog"]',
                                'sorrypage.aws/paused-at': '2026-11-29T21:00:00Z'}

    last = lbc(cluster.run('resume', sites=('shop', 'blog'), limit='blog'), 'blog')
    assert (last['action'], last['replicas'], last['available_replicas']) == ('resumed', 3, 3)
    assert cluster.record() == {} and cluster.replicas() == 3


def test_module_defaults_of_the_k8s_group_reach_the_module_and_kubernetes_core(cluster, tmp_path):
    """group/sorrypage.aws.k8s extends kubernetes.core.k8s: one module_defaults for both."""
    playbook = tmp_path / 'defaults.yml'
    playbook.write_text(yaml.safe_dump([{
        'name': 'module_defaults for the k8s group', 'hosts': 'localhost', 'gather_facts': False,
        'module_defaults': {'group/sorrypage.aws.k8s': {'kubeconfig': cluster.kubeconfig, 'context': 'sandbox'}},
        'tasks': [
            {'name': 'Read the pause', 'sorrypage.aws.lbc_pause': {'state': 'status', 'site': 'shop', 'controller_managed': True},
             'register': 'status'},
            {'name': 'Read the Deployment', 'kubernetes.core.k8s_info': {
                'kind': 'Deployment', 'namespace': NS, 'name': LBC_NAME}, 'register': 'found'},
            {'name': 'Report the result', 'ansible.builtin.debug': {
                'msg': '{{ status.controller.action }} {{ found.resources | length }}'}},
        ]}]))
    env = {'K8S_AUTH_KUBECONFIG': str(tmp_path / 'missing-kubeconfig')}  # must not be the one used
    result = run_playbook(str(playbook), env=env)
    assert result.rc == 0, failure(result, 'localhost')
    assert result.task('Report the result', 'localhost')['msg'] == 'not_paused 1'


def module(cluster, state, site='shop', **args):
    """One lbc_pause module call (no role) against ``cluster``; its result."""
    params = dict(state=state, site=site, controller_managed=True, cluster_name='sandbox', kubeconfig=cluster.kubeconfig,
                  context='sandbox', wait_timeout=30, poll_interval=0.1)
    params.update(args)
    return run_module('sorrypage.aws.lbc_pause', params)


@pytest.mark.parametrize('before, by_hand', [(0, 1), (2, 1)], ids=['recorded-0-scaled-to-1', 'recorded-2-scaled-to-1'])
def test_a_person_scaling_it_while_paused_status_says_so_and_off_does_what_the_record_says(make_cluster, before, by_hand):
    cluster = make_cluster(replicas=before)
    paused = module(cluster, 'paused')
    assert paused['controller']['replicas_recorded'] == before and cluster.replicas() == 0
    cluster.api.patch('deployments', LBC_NAME, {'spec': {'replicas': by_hand}}, NS)  # `kubectl scale --replicas=1` at 3 a.m.

    status = module(cluster, 'status', in_maintenance=True)['controller']
    assert (status['replicas_recorded'], status['replicas'], status['holders']) == (before, by_hand, ['shop'])
    assert status['warnings'][:1] == [
        'DRIFT: the pause record and %s disagree: the record (held by shop) says paused, restore %d replicas at `off`, but it runs '
        'with %d replicas now, not 0 (scaled by hand, GitOps or Helm?): it deletes the Sorry rules at its next reconcile. Run `on` '
        'again to pause it; the last `off` sets it to %d as recorded.' % (DEPLOYMENT, before, by_hand, before)]
    assert cluster.replicas() == by_hand, 'status only reads'

    resumed = module(cluster, 'resumed')
    assert resumed['changed'] is True and resumed['controller']['action'] == 'resumed'
    assert resumed['controller']['warnings'] == [
        'the controller was at %d replicas at `off`, not 0, although the pause record says it was paused with %d replicas to '
        'restore (scaled by hand, GitOps or Helm while paused?): `off` did what the record says, set it to %d'
        % (by_hand, before, before)]
    assert cluster.replicas() == before and cluster.record() == {}
    if before:
        assert cluster.api.controller_available_replicas() == before, 'off waits until the recorded count is available'


def test_the_runbook_with_the_controller_already_at_zero_never_scales_it_up():
    """EKS-outage mode through playbooks/maintenance_{on,status,off}.yml (ALB driver), the controller at 0 before `on`,
    and a person scaling it to 1 during the maintenance."""
    from tests.sandbox.sandbox import Sandbox  # pylint: disable=import-outside-toplevel  # the whole sandbox, only here
    from tests.sandbox.seed import snapshot_listener  # pylint: disable=import-outside-toplevel

    def book(sandbox, entry):
        result = run_playbook(os.path.join('playbooks', 'maintenance_%s.yml' % entry),
                              inventory=os.path.join('inventories', 'local', 'hosts.yml'), env=sandbox.env(),
                              extra_vars={'sorry_eks_outage': True})
        assert result.rc == 0, 'rc %s\n%s\n%s' % (result.rc, result.stdout[-3000:], result.stderr[-2000:])
        return result

    with Sandbox(pod_delay=0.2) as sandbox:
        kube, elbv2 = sandbox.kube, sandbox.moto.client('elbv2')
        listeners = sandbox.sites[0]['listeners']
        original = dict((port, snapshot_listener(elbv2, arn)) for port, arn in listeners.items())
        kube.patch('deployments', LBC_NAME, {'spec': {'replicas': 0}}, NS)   # the user had it at 0 (EKS outage)

        on = book(sandbox, 'on')
        record = kube.get('deployments', LBC_NAME, NS)['metadata']['annotations']
        assert record['sorrypage.aws/paused-replicas'] == '0', 'the record must not claim another count'
        assert kube.get('deployments', LBC_NAME, NS)['spec']['replicas'] == 0
        assert 'recorded 0, so `off` leaves it at 0' in on.stdout

        kube.patch('deployments', LBC_NAME, {'spec': {'replicas': 1}}, NS)   # a person scales it during maintenance
        status = book(sandbox, 'status')
        assert 'the pause record and %s disagree' % DEPLOYMENT in status.stdout and \
            'restore 0 replicas at `off`, but it runs with 1 replicas now' in status.stdout

        off = book(sandbox, 'off')
        assert kube.get('deployments', LBC_NAME, NS)['spec']['replicas'] == 0, '`off` scaled up a controller the user had at 0'
        assert 'sorrypage.aws/paused-replicas' not in (kube.get('deployments', LBC_NAME, NS)['metadata'].get('annotations') or {})
        assert 'the controller was at 1 replicas at `off`, not 0, although the pause record says it was paused with 0' in off.stdout
        assert dict((port, snapshot_listener(elbv2, arn)) for port, arn in listeners.items()) == original
