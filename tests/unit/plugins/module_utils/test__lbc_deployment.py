import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _lbc_deployment as dep

FALLBACK = 'app.kubernetes.io/name=aws-load-balancer-controller'


def deployment(args=None, command=None, labels=None, annotations=None, managers=(), selector=None):
    return {'metadata': {'name': 'lbc', 'labels': labels or {}, 'annotations': annotations or {},
                         'managedFields': [{'manager': m} for m in managers]},
            'spec': {'replicas': 2, 'selector': selector if selector is not None else {'matchLabels': {'app': 'lbc'}},
                     'template': {'metadata': {'labels': {'app': 'lbc', 'tier': 'ctl'}},
                                  'spec': {'containers': [{'name': 'c', 'args': args or [], 'command': command or []}]}}}}


@pytest.mark.parametrize('selector, text', [
    ({'matchLabels': {'a': '1', 'b': '2'}}, 'a=1,b=2'),
    ({'matchExpressions': [{'key': 'a', 'operator': 'In', 'values': ['x', 'y']},
                           {'key': 'b', 'operator': 'NotIn', 'values': ['z']},
                           {'key': 'c', 'operator': 'Exists'}, {'key': 'd', 'operator': 'DoesNotExist'}]},
     'a in (x,y),b notin (z),c,!d'),
    ({}, FALLBACK),
])
def test_pod_selector(selector, text):
    assert dep.pod_selector(deployment(selector=selector), FALLBACK) == text


@pytest.mark.parametrize('args, command, names', [
    (['--cluster-name=prod', '--ingress-class=alb'], [], ['prod']),
    (['--cluster-name', 'prod'], [], ['prod']),
    ([], ['/controller', '-cluster-name=prod'], ['prod']),
    (['--cluster-name'], [], []),
    (['--ingress-class=alb'], [], []),
])
def test_cluster_names(args, command, names):
    assert dep.cluster_names(deployment(args, command)) == names


@pytest.mark.parametrize('args, wanted, problem', [
    (['--cluster-name=prod'], 'prod', ''),
    (['--cluster-name=prod'], None, ''),
    (['--cluster-name=prod'], 'stage', 'it serves cluster prod, but the ALB belongs to cluster stage (tag elbv2.k8s.aws/cluster): '
                                       'wrong kube context?'),
    ([], 'prod', "it runs with no --cluster-name argument, so it cannot be checked against the ALB's cluster prod"),
])
def test_cluster_problem(args, wanted, problem):
    assert dep.cluster_problem(deployment(args), wanted) == problem


def test_cluster_warning_only_without_a_cluster_tag():
    assert dep.cluster_warnings(deployment(['--cluster-name=prod']), 'prod', 'context x') == []
    assert dep.cluster_warnings(deployment(['--cluster-name=prod']), None, 'context x') == [
        "the ALB carries no elbv2.k8s.aws/cluster tag, so the controller's --cluster-name (prod) was not checked: make sure "
        "context x is the ALB's cluster"]


def test_gitops_and_helm_owners():
    out = dep.gitops_warnings(deployment(annotations={'argocd.argoproj.io/tracking-id': 'x', 'meta.helm.sh/release-name': 'lbc'},
                                         labels={'kustomize.toolkit.fluxcd.io/name': 'infra'}, managers=['helm-controller']), 'ns/lbc')
    assert [w.split(' ', 2)[0] for w in out] == ['Argo', 'Flux', 'Helm']
    assert '(kustomize.toolkit.fluxcd.io/name, helm-controller)' in out[1]
    assert out[2] == "Helm manages ns/lbc (release lbc): a helm upgrade during the maintenance scales the controller back to the " \
                     "chart's replicaCount."


def test_chart_labels_without_a_release_look_like_gitops():
    out = dep.gitops_warnings(deployment(labels={'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': 'lbc'}), 'ns/lbc')
    assert len(out) == 1 and 'rendered by a GitOps tool' in out[0]


def test_nobody_else_manages_a_plain_deployment():
    assert dep.gitops_warnings(deployment(managers=['kubectl']), 'ns/lbc') == []


def test_webhooks_that_fail_closed_are_the_controllers():
    d = deployment(labels={'app.kubernetes.io/name': 'aws-load-balancer-controller'})
    services = dep.controller_services(d, [{'metadata': {'name': 'webhook'}, 'spec': {'selector': {'app': 'lbc'}}},
                                           {'metadata': {'name': 'other'}, 'spec': {'selector': {'app': 'x'}}},
                                           {'metadata': {'name': 'none'}, 'spec': {}}])
    assert services == ['webhook']
    configurations = [
        ('MutatingWebhookConfiguration', {'metadata': {'name': 'by-service'}, 'webhooks': [
            {'name': 'mpod.example', 'clientConfig': {'service': {'namespace': 'kube-system', 'name': 'webhook'}},
             'rules': [{'operations': ['CREATE'], 'resources': ['pods']}], 'namespaceSelector': {'matchLabels': {'x': 'y'}}}]}),
        ('ValidatingWebhookConfiguration', {'metadata': {'name': 'by-name'}, 'webhooks': [
            {'name': 'vingress.elbv2.k8s.aws', 'rules': [{'operations': ['CREATE', 'UPDATE'], 'resources': ['ingresses']}]},
            {'name': 'ignored.elbv2.k8s.aws', 'failurePolicy': 'Ignore'}]}),
        ('ValidatingWebhookConfiguration', {'metadata': {'name': 'foreign'}, 'webhooks': [{'name': 'other.example.com'}]}),
    ]
    hooks = dep.failing_webhooks(d, 'kube-system', services, configurations)
    assert hooks == [
        {'name': 'mpod.example', 'configuration': 'MutatingWebhookConfiguration/by-service',
         'rejects': 'CREATE pods (where its selectors match)'},
        {'name': 'vingress.elbv2.k8s.aws', 'configuration': 'ValidatingWebhookConfiguration/by-name', 'rejects': 'CREATE/UPDATE ingresses'},
    ]


@pytest.mark.parametrize('status, generation, wanted, ok', [
    ({'availableReplicas': 2, 'observedGeneration': 3}, 3, 2, True),
    ({'availableReplicas': 2, 'observedGeneration': 2}, 3, 2, False),
    ({'availableReplicas': 1, 'observedGeneration': 3}, 3, 2, False),
    ({}, 1, 2, False),
])
def test_is_available(status, generation, wanted, ok):
    assert dep.is_available({'metadata': {'generation': generation}, 'status': status}, wanted) is ok
