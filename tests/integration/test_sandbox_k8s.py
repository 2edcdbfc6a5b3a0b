"""The stand-in Kubernetes API against the real clients: kubernetes, kubernetes.core and kubectl."""
import contextlib
import json
import os
import subprocess
import sys
import threading

import pytest
import urllib3
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.rest import ApiException

from tests.ansible_run import run_module
from tests.sandbox.k8s_api import K8sApi

pytestmark = pytest.mark.sandbox_only

NS = 'kube-system'
LBC = 'aws-load-balancer-controller'
SELECTOR = 'app.kubernetes.io/name=aws-load-balancer-controller'
KUBECTL = os.path.join(os.path.dirname(sys.executable), 'kubectl')


@contextlib.contextmanager
def pods_released_after_a_wait_poll(k8s):
    """Held pods (``pod_delay=None``) start or go once the code under test has read the Deployment again
    after scaling it, i.e. once it is waiting: a wait that does not wait finds them as they were."""
    scaled, stop = len(k8s.request_log), threading.Event()

    def release_when_polled():
        while not stop.is_set():
            log = k8s.request_log[scaled:]
            patched = [i for i, r in enumerate(log) if r.method in ('PATCH', 'PUT') and '/deployments/' in r.path]
            if patched and any(r.method == 'GET' and '/deployments' in r.path for r in log[patched[0] + 1:]):
                k8s.release_pods()
                return
            stop.wait(0.05)

    watcher = threading.Thread(target=release_when_polled, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join(10)


@pytest.fixture
def k8s(tmp_path):
    api = K8sApi(pod_delay=1.0).start()
    api.seed_lbc(cluster_name='sandbox')
    api.write_kubeconfig(str(tmp_path / "kubeconfig"))
    yield api
    api.stop()


def apps_api(kubeconfig):
    return k8s_client.AppsV1Api(k8s_config.new_client_from_config(config_file=kubeconfig))


def core_api(kubeconfig):
    return k8s_client.CoreV1Api(k8s_config.new_client_from_config(config_file=kubeconfig))


def kubectl(api, *args, check=True):
    proc = subprocess.run([KUBECTL, '--kubeconfig', api.kubeconfig, '--cache-dir', os.path.dirname(api.kubeconfig) + '/kcache']
                          + list(args), capture_output=True, text=True, timeout=120, check=False)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def scale_args(api, replicas, **extra):
    return dict({'kubeconfig': api.kubeconfig, 'api_version': 'apps/v1', 'kind': 'Deployment', 'name': LBC,
                 'namespace': NS, 'replicas': replicas}, **extra)


def test_client_lists_by_label_selector_and_patches_annotations(k8s):
    apps = apps_api(k8s.kubeconfig)
    for selector in (SELECTOR, 'app.kubernetes.io/name in (aws-load-balancer-controller,other)',
                     'app.kubernetes.io/managed-by=Helm,app.kubernetes.io/instance'):
        assert [d.metadata.name for d in apps.list_namespaced_deployment(NS, label_selector=selector).items] == [LBC]
    for selector in ('app.kubernetes.io/name=other', 'app.kubernetes.io/name notin (aws-load-balancer-controller)',
                     '!app.kubernetes.io/name'):
        assert apps.list_deployment_for_all_namespaces(label_selector=selector).items == []

    before = apps.read_namespaced_deployment(LBC, NS)
    assert before.spec.replicas == 2 and before.status.available_replicas == 2
    assert '--cluster-name=sandbox' in before.spec.template.spec.containers[0].args
    patched = apps.patch_namespaced_deployment(LBC, NS, {'metadata': {'annotations': {'sorrypage.aws/replicas': '2'}}})
    assert patched.metadata.annotations['sorrypage.aws/replicas'] == '2'
    assert patched.metadata.annotations['meta.helm.sh/release-name'] == LBC
    assert int(patched.metadata.resource_version) > int(before.metadata.resource_version)
    assert patched.metadata.generation == before.metadata.generation

    removed = apps.patch_namespaced_deployment(LBC, NS, {'metadata': {'annotations': {'sorrypage.aws/replicas': None}}})
    assert 'sorrypage.aws/replicas' not in removed.metadata.annotations

    names = {d.metadata.name for d in core_api(k8s.kubeconfig).list_namespaced_pod(NS, label_selector=SELECTOR).items}
    assert len(names) == 2 and all(n.startswith(LBC + '-') for n in names)
    by_name = core_api(k8s.kubeconfig).list_namespace(field_selector='metadata.name=shop').items
    assert [n.metadata.name for n in by_name] == ['shop']


def test_strategic_merge_by_name_and_a_template_change_rolls_the_pods(k8s):
    k8s.pod_delay = None  # held: the old pods keep terminating, the new ones pending
    apps = apps_api(k8s.kubeconfig)
    old_pods = {p['metadata']['name'] for p in k8s.list('pods', NS)}
    before = apps.read_namespaced_deployment(LBC, NS)
    patched = apps.patch_namespaced_deployment(LBC, NS, {'spec': {'template': {'spec': {'containers': [
        {'name': LBC, 'args': ['--cluster-name=other', '--ingress-class=alb']}]}}}})
    container = patched.spec.template.spec.containers[0]
    assert container.args == ['--cluster-name=other', '--ingress-class=alb']
    assert container.image == before.spec.template.spec.containers[0].image
    assert [p.name for p in container.ports] == ['webhook-server', 'metrics-server']
    assert patched.metadata.generation == before.metadata.generation + 1
    pods = k8s.list('pods', NS)
    assert {p['metadata']['name'] for p in pods if 'deletionTimestamp' in p['metadata']} == old_pods
    fresh = [p for p in pods if 'deletionTimestamp' not in p['metadata']]
    assert len(fresh) == 2 and all(p['status']['phase'] == 'Pending' for p in fresh)
    status = apps.read_namespaced_deployment(LBC, NS).status
    assert (status.replicas, status.updated_replicas, status.ready_replicas, status.unavailable_replicas) == (4, 2, 2, None)


def test_stale_resource_version_gets_409_conflict(k8s):
    apps = apps_api(k8s.kubeconfig)
    stale = apps.read_namespaced_deployment(LBC, NS)
    apps.patch_namespaced_deployment(LBC, NS, {'metadata': {'labels': {'touched': 'yes'}}})

    stale.metadata.annotations['sorrypage.aws/replicas'] = '2'
    with pytest.raises(ApiException) as err:
        apps.replace_namespaced_deployment(LBC, NS, stale)
    body = json.loads(err.value.body)
    assert err.value.status == 409
    assert (body['kind'], body['reason'], body['code']) == ('Status', 'Conflict', 409)
    assert body['message'] == ('Operation cannot be fulfilled on deployments.apps "aws-load-balancer-controller": the object '
                               'has been modified; please apply your changes to the latest version and try again')

    with pytest.raises(ApiException) as err:
        apps.patch_namespaced_deployment(LBC, NS, {'metadata': {'resourceVersion': stale.metadata.resource_version,
                                                                'annotations': {'x': 'y'}}})
    assert err.value.status == 409
    with pytest.raises(ApiException) as err:
        apps.patch_namespaced_deployment_scale(LBC, NS, {'metadata': {'resourceVersion': stale.metadata.resource_version},
                                                         'spec': {'replicas': 0}})
    assert err.value.status == 409

    current = apps.read_namespaced_deployment(LBC, NS)
    assert 'x' not in current.metadata.annotations and current.spec.replicas == 2
    current.metadata.annotations['sorrypage.aws/replicas'] = '2'
    assert apps.replace_namespaced_deployment(LBC, NS, current).metadata.annotations['sorrypage.aws/replicas'] == '2'


def test_injected_conflicts_hit_the_next_deployment_writes_only(k8s):
    apps = apps_api(k8s.kubeconfig)
    k8s.inject_conflicts(2)
    for _attempt in range(2):
        with pytest.raises(ApiException) as err:
            apps.patch_namespaced_deployment_scale(LBC, NS, {'spec': {'replicas': 1}})
        assert json.loads(err.value.body)['reason'] == 'Conflict'
    assert apps.patch_namespaced_deployment_scale(LBC, NS, {'spec': {'replicas': 1}}).spec.replicas == 1
    assert [(r.method, r.status) for r in k8s.request_log if r.path.endswith('/scale')] == [
        ('PATCH', 409), ('PATCH', 409), ('PATCH', 200)]


def test_k8s_scale_waits_for_the_pods_and_kubectl_reads_it_back(k8s):
    k8s.pod_delay = None  # the pods go, and start, only when released (once the module is waiting)
    with pods_released_after_a_wait_poll(k8s):
        res = run_module('kubernetes.core.k8s_scale', scale_args(k8s, 0, wait=True, wait_sleep=1, wait_timeout=600))
    assert res.get('changed') is True, res
    assert res['result']['spec']['replicas'] == 0
    # A wait that did not wait would still see the pods Terminating.
    assert core_api(k8s.kubeconfig).list_namespaced_pod(NS, label_selector=SELECTOR).items == []
    status = apps_api(k8s.kubeconfig).read_namespaced_deployment(LBC, NS).status
    assert (status.replicas, status.available_replicas, status.ready_replicas) == (None, None, None)

    with pods_released_after_a_wait_poll(k8s):
        res = run_module('kubernetes.core.k8s_scale', scale_args(k8s, 2, wait=True, wait_sleep=1, wait_timeout=600))
    assert res.get('changed') is True, res
    dep = apps_api(k8s.kubeconfig).read_namespaced_deployment(LBC, NS)
    assert (dep.spec.replicas, dep.status.replicas, dep.status.ready_replicas, dep.status.available_replicas) == (2, 2, 2, 2)
    assert dep.status.observed_generation == dep.metadata.generation
    assert {c.type: c.status for c in dep.status.conditions}['Available'] == 'True'

    listed = json.loads(kubectl(k8s, 'get', 'deploy', '-n', NS, '-o', 'json').stdout)
    assert [(d['metadata']['name'], d['spec']['replicas'], d['status']['availableReplicas']) for d in listed['items']] == [(LBC, 2, 2)]
    pods = json.loads(kubectl(k8s, 'get', 'pods', '-n', NS, '-l', SELECTOR, '-o', 'json').stdout)['items']
    assert len(pods) == 2 and all(p['status']['phase'] == 'Running' for p in pods)

    res = run_module('kubernetes.core.k8s_scale', scale_args(k8s, 2, wait=True, wait_sleep=1))
    assert res.get('changed') is False, res


def test_status_lags_spec_by_the_pod_delay(k8s):
    k8s.pod_delay = None   # held: the pods must still be there, the new one never ready
    res = run_module('kubernetes.core.k8s_scale', scale_args(k8s, 0, wait=False))
    assert res.get('changed') is True, res
    pods = core_api(k8s.kubeconfig).list_namespaced_pod(NS, label_selector=SELECTOR).items
    assert len(pods) == 2 and all(p.metadata.deletion_timestamp is not None for p in pods)
    dep = apps_api(k8s.kubeconfig).read_namespaced_deployment(LBC, NS)
    assert (dep.spec.replicas, dep.status.replicas, dep.status.available_replicas) == (0, 2, 2)
    table = kubectl(k8s, 'get', 'pods', '-n', NS).stdout
    assert table.count('Terminating') == 2, table

    res = run_module('kubernetes.core.k8s_scale', scale_args(k8s, 1, wait=True, wait_sleep=1, wait_timeout=3))
    assert res.get('failed') is True
    assert res['msg'] == 'Resource scaling timed out'


def test_realistic_status_drops_terminating_pods_at_once(k8s):
    """With lagging_status=False, as on a real cluster, a k8s_scale wait returns while the pods still terminate."""
    k8s.lagging_status = False
    k8s.pod_delay = None  # held: the pods keep terminating
    res = run_module('kubernetes.core.k8s_scale', scale_args(k8s, 0, wait=True, wait_sleep=1, wait_timeout=30))
    assert res.get('changed') is True, res
    status = apps_api(k8s.kubeconfig).read_namespaced_deployment(LBC, NS).status
    assert (status.replicas, status.available_replicas, status.terminating_replicas) == (None, None, 2)
    pods = core_api(k8s.kubeconfig).list_namespaced_pod(NS, label_selector=SELECTOR).items
    assert len(pods) == 2 and all(p.metadata.deletion_timestamp for p in pods)
    assert len(k8s.running_pods()) == 2


def test_k8s_info_and_k8s_patch_annotations(k8s):
    info = run_module('kubernetes.core.k8s_info', {'kubeconfig': k8s.kubeconfig, 'kind': 'Deployment', 'namespace': NS,
                                                   'label_selectors': [SELECTOR]})
    assert [r['metadata']['name'] for r in info['resources']] == [LBC]
    assert info['resources'][0]['metadata']['labels']['app.kubernetes.io/managed-by'] == 'Helm'
    none = run_module('kubernetes.core.k8s_info', {'kubeconfig': k8s.kubeconfig, 'kind': 'Deployment',
                                                   'label_selectors': ['app.kubernetes.io/name=nothing']})
    assert none['resources'] == []
    hooks = run_module('kubernetes.core.k8s_info', {'kubeconfig': k8s.kubeconfig, 'kind': 'ValidatingWebhookConfiguration',
                                                    'api_version': 'admissionregistration.k8s.io/v1'})
    assert [(w['name'], w['failurePolicy']) for w in hooks['resources'][0]['webhooks']] == [
        ('vingress.elbv2.k8s.aws', 'Fail'), ('vtargetgroupbinding.elbv2.k8s.aws', 'Fail')]

    definition = {'apiVersion': 'apps/v1', 'kind': 'Deployment',
                  'metadata': {'name': LBC, 'namespace': NS, 'annotations': {'sorrypage.aws/holders': 'shop'}}}
    args = {'kubeconfig': k8s.kubeconfig, 'state': 'present', 'definition': definition}
    checked = run_module('kubernetes.core.k8s', args, check=True)
    assert checked.get('changed') is True, checked
    assert 'sorrypage.aws/holders' not in k8s.get('deployments', LBC, NS)['metadata']['annotations']
    first = run_module('kubernetes.core.k8s', args)
    assert first.get('changed') is True, first
    assert first['result']['metadata']['annotations']['sorrypage.aws/holders'] == 'shop'
    assert run_module('kubernetes.core.k8s', args).get('changed') is False
    assert apps_api(k8s.kubeconfig).read_namespaced_deployment(LBC, NS).metadata.annotations['sorrypage.aws/holders'] == 'shop'
    assert k8s.get('deployments', LBC, NS)['spec']['replicas'] == 2

    applied = run_module('kubernetes.core.k8s', dict(args, apply=True, server_side_apply={'field_manager': 'sorrypage'},
                                                     definition=dict(definition, metadata=dict(
                                                         definition['metadata'], annotations={'sorrypage.aws/at': 'now'}))))
    assert applied.get('changed') is True, applied
    assert {'sorrypage.aws/holders', 'sorrypage.aws/at'} <= set(k8s.get('deployments', LBC, NS)['metadata']['annotations'])


def test_kubectl_scale_annotate_patch_and_discovery(k8s):
    assert 'scaled' in kubectl(k8s, 'scale', 'deploy/' + LBC, '-n', NS, '--replicas=1').stdout
    kubectl(k8s, 'annotate', 'deploy/' + LBC, '-n', NS, 'sorrypage.aws/why=release')
    kubectl(k8s, 'patch', 'deploy/' + LBC, '-n', NS, '--type=merge', '-p', '{"metadata":{"labels":{"team":"sre"}}}')
    kubectl(k8s, 'patch', 'deploy/' + LBC, '-n', NS, '--type=json', '-p',
            '[{"op":"add","path":"/metadata/annotations/sorrypage.aws~1by","value":"me"}]')
    failed = kubectl(k8s, 'patch', 'deploy/' + LBC, '-n', NS, '--type=json', '-p',
                     '[{"op":"test","path":"/spec/replicas","value":5},{"op":"replace","path":"/spec/replicas","value":0}]', check=False)
    assert failed.returncode == 1
    assert 'test operation failed at /spec/replicas' in failed.stderr
    kubectl(k8s, 'rollout', 'status', 'deploy/' + LBC, '-n', NS, '--timeout=60s')
    dep = apps_api(k8s.kubeconfig).read_namespaced_deployment(LBC, NS)
    assert dep.spec.replicas == 1 and dep.status.available_replicas == 1
    assert (dep.metadata.annotations['sorrypage.aws/why'], dep.metadata.annotations['sorrypage.aws/by']) == ('release', 'me')
    assert dep.metadata.labels['team'] == 'sre'

    resources = kubectl(k8s, 'api-resources').stdout
    for name in ('deployments', 'ingresses', 'mutatingwebhookconfigurations', 'validatingwebhookconfigurations', 'configmaps'):
        assert name in resources
    hooks = json.loads(kubectl(k8s, 'get', 'mutatingwebhookconfigurations', '-o', 'json').stdout)['items']
    assert [w['name'] for w in hooks[0]['webhooks']] == [
        'mpod.elbv2.k8s.aws', 'mservice.elbv2.k8s.aws', 'mtargetgroupbinding.elbv2.k8s.aws']
    ingresses = json.loads(kubectl(k8s, 'get', 'ingress', '-A', '-o', 'json').stdout)['items']
    assert {i['spec']['ingressClassName'] for i in ingresses} == {'alb'} and len(ingresses) == 2
    missing = kubectl(k8s, 'get', 'deploy', 'nope', '-n', NS, check=False)
    assert missing.returncode == 1
    assert 'deployments.apps "nope" not found' in missing.stderr


def test_unreachable_then_back_on_the_same_port(k8s):
    core = core_api(k8s.kubeconfig)
    port = k8s.port
    k8s.set_unreachable(True)
    with pytest.raises(urllib3.exceptions.MaxRetryError) as err:
        core.list_namespace(_request_timeout=5)
    assert 'Connection refused' in str(err.value)
    res = run_module('kubernetes.core.k8s_info', {'kubeconfig': k8s.kubeconfig, 'kind': 'Deployment', 'namespace': NS})
    assert res.get('failed') is True and 'Connection refused' in res['msg']

    k8s.set_unreachable(False)
    assert k8s.port == port
    assert 'kube-system' in {n.metadata.name for n in core.list_namespace().items}


def test_wrong_token_gets_401_and_forbidden_gets_403(tmp_path):
    api = K8sApi(pod_delay=0, required_token='right-token').start()
    try:
        api.seed_lbc()
        good = api.write_kubeconfig(str(tmp_path / 'good'))
        bad = api.write_kubeconfig(str(tmp_path / 'bad'), token='wrong-token')
        assert [d.metadata.name for d in apps_api(good).list_namespaced_deployment(NS).items] == [LBC]
        with pytest.raises(ApiException) as err:
            apps_api(bad).list_namespaced_deployment(NS)
        assert err.value.status == 401 and json.loads(err.value.body)['reason'] == 'Unauthorized'
        res = run_module('kubernetes.core.k8s_info', {'kubeconfig': bad, 'kind': 'Deployment', 'namespace': NS})
        assert res.get('failed') is True and '401' in res['msg']

        api.set_forbidden(True)
        with pytest.raises(ApiException) as err:
            apps_api(good).list_namespaced_deployment(NS)
        assert err.value.status == 403
        assert json.loads(err.value.body)['message'] == (
            'deployments is forbidden: User "sandbox" cannot get resource "deployments" in API group "apps"')
    finally:
        api.stop()


def test_in_process_helpers_and_webhooks_seeded(k8s):
    assert k8s.controller_available_replicas() == 2
    mutating = k8s.get('mutatingwebhookconfigurations', 'aws-load-balancer-webhook')
    assert {w['name']: w['failurePolicy'] for w in mutating['webhooks']} == {
        'mpod.elbv2.k8s.aws': 'Fail', 'mservice.elbv2.k8s.aws': 'Fail', 'mtargetgroupbinding.elbv2.k8s.aws': 'Fail'}
    k8s.pod_delay = None   # held: the new pod stays pending
    k8s.patch('deployments', LBC, {'spec': {'replicas': 3}}, NS)
    assert len(k8s.list('pods', NS, SELECTOR)) == 3
    assert k8s.controller_available_replicas() == 2   # the new pod is not ready while held
    assert {r.path for r in k8s.request_log} == set()  # in-process calls are not HTTP requests
