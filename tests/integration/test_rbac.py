"""Least privilege in Kubernetes: docs/rbac.yaml proven against the requests the collection really makes.

The stand-in Kubernetes API logs every HTTP request (``K8sApi.request_log``:
method, path, query, status). Each one becomes what RBAC decides on: the verb
(from the method and whether the path names an object: get or list, delete or
deletecollection, watch from ``watch=true``), the API group, the resource, the
subresource, the namespace and the name. The requests come from the
maintenance playbooks only: the stand-in controller (lbc_reconciler.py) reads
and writes the API in-process, never over HTTP (proven below: its passes log
nothing), and every logged request carries the kubeconfig's token (the API
is made to refuse any other with 401).

Recorded in one test (one playbook run per step, 11 runs): the ALB driver's
full cycle (prepare, on with the controller pause of sorry_eks_outage auto,
status, verify, off) and the Ingress driver's full cycle on an Ingress of its
own; then, in an IngressGroup, the Ingress driver's ``on`` with a controller
that does not act: our own Ingress is created (the group listed across
namespaces), the failure path reads it and its Events, falls back to the ALB
driver (the pause) and takes its edit back out (deletes our Ingress). Then, with our own evaluator of
Role / ClusterRole rules (apiGroups, resources with subresources, verbs,
resourceNames, the namespace of a RoleBinding): every request is allowed by
some rule, and every verb x resource (x name) of every rule is used by some
request.
"""
import collections
import os
import time
from urllib.parse import parse_qs

import pytest
import yaml

from tests.ansible_run import REPO
from tests.integration.test_ingress_driver import Book, controller_replicas, summary
from tests.integration.test_runbook import assert_ok
from tests.sandbox.k8s_api import LoggedRequest
from tests.sandbox.sandbox import Sandbox

RBAC_YAML = os.path.join(REPO, 'docs', 'rbac.yaml')
OPERATOR_TOKEN = 'sorrypage-operator-token-7d41'     # what the kubeconfig of the playbooks carries
SUBJECT = {'apiGroup': 'rbac.authorization.k8s.io', 'kind': 'Group', 'name': 'sorrypage-maintenance'}
# What the built-in ClusterRole system:discovery grants every authenticated user (non-resource URLs).
DISCOVERY_URLS = ('/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz',
                  '/version', '/version/')

Request = collections.namedtuple('Request', 'verb group resource subresource namespace name')
NonResource = collections.namedtuple('NonResource', 'verb path')
Grant = collections.namedtuple('Grant', 'binding namespace rules')   # namespace None: every namespace and the cluster
Atom = collections.namedtuple('Atom', 'binding rule group resource verb name')


# ---------------------------------------------------------------- requests -> what RBAC decides on
def classify(logged):
    """A logged HTTP request -> Request (a resource request) or NonResource (discovery, /version...)."""
    parts = [p for p in logged.path.split('/') if p]
    if parts[:1] == ['api'] and len(parts) >= 3:
        group, rest = '', parts[2:]
    elif parts[:1] == ['apis'] and len(parts) >= 4:
        group, rest = parts[1], parts[3:]
    else:
        return NonResource(logged.method.lower(), logged.path)
    namespace = None
    if rest[0] == 'namespaces' and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    resource, name, sub = rest[0], (rest[1] if len(rest) > 1 else None), (rest[2] if len(rest) > 2 else None)
    query = parse_qs(logged.query or '')
    watching = (query.get('watch') or [''])[0] in ('true', '1')
    if logged.method == 'GET':
        verb = 'watch' if watching else ('get' if name else 'list')
    elif logged.method == 'DELETE':
        verb = 'delete' if name else 'deletecollection'
    else:
        verb = {'POST': 'create', 'PUT': 'update', 'PATCH': 'patch'}[logged.method]
    return Request(verb, group, resource, sub, namespace, name)


def non_resource_allowed(path):
    return any(path == url or (url.endswith('*') and path.startswith(url[:-1])) for url in DISCOVERY_URLS)


# ---------------------------------------------------------------- docs/rbac.yaml and its evaluator
def load_rbac(path=RBAC_YAML):
    """The objects of docs/rbac.yaml: one document, a v1 List (yamllint wants one document per file)."""
    with open(path, encoding='utf-8') as handle:
        doc = yaml.safe_load(handle)
    assert (doc.get('apiVersion'), doc.get('kind')) == ('v1', 'List'), 'docs/rbac.yaml must be one v1 List'
    return [item for item in doc.get('items') or [] if item]


def grants(docs, subject=None):
    """Every binding of ``subject`` (default: SUBJECT) -> Grant(binding, namespace or None, rules of its role)."""
    subject = subject or SUBJECT
    roles = dict(((d['kind'], d['metadata'].get('namespace'), d['metadata']['name']), d.get('rules') or [])
                 for d in docs if d['kind'] in ('Role', 'ClusterRole'))
    found = []
    for doc in docs:
        if doc['kind'] not in ('RoleBinding', 'ClusterRoleBinding') or subject not in doc.get('subjects', []):
            continue
        ref, namespace = doc['roleRef'], doc['metadata'].get('namespace')
        role_ns = namespace if ref['kind'] == 'Role' else None
        key = (ref['kind'], role_ns, ref['name'])
        assert key in roles, '%s %s refers to %s %s, not in %s' % (doc['kind'], doc['metadata']['name'], ref['kind'],
                                                                   ref['name'], RBAC_YAML)
        found.append(Grant('%s %s' % (doc['kind'], doc['metadata']['name']),
                           namespace if doc['kind'] == 'RoleBinding' else None, roles[key]))
    return found


def resource_of(request):
    return request.resource + ('/' + request.subresource if request.subresource else '')


def rule_allows(rule, request):
    if request.group not in rule.get('apiGroups', []) or resource_of(request) not in rule.get('resources', []):
        return False
    if request.verb not in rule.get('verbs', []):
        return False
    names = rule.get('resourceNames')
    return not names or request.name in names   # a list or a create names no object: a named rule never allows it


def allowed_by(all_grants, request):
    """The (binding, rule index) that allow ``request``; a RoleBinding only in its namespace."""
    return [(g.binding, i) for g in all_grants if g.namespace is None or g.namespace == request.namespace
            for i, rule in enumerate(g.rules) if rule_allows(rule, request)]


def atoms(all_grants):
    """Every permission one by one: binding x rule x group x resource x verb x resourceName."""
    return [Atom(g.binding, i, group, resource, verb, name)
            for g in all_grants for i, rule in enumerate(g.rules)
            for group in rule.get('apiGroups', []) for resource in rule.get('resources', [])
            for verb in rule.get('verbs', []) for name in rule.get('resourceNames') or [None]]


def atom_used(atom, all_grants, request):
    grant = [g for g in all_grants if g.binding == atom.binding][0]
    if grant.namespace is not None and grant.namespace != request.namespace:
        return False
    single = {'apiGroups': [atom.group], 'resources': [atom.resource], 'verbs': [atom.verb]}
    if atom.name is not None:
        single['resourceNames'] = [atom.name]
    return rule_allows(single, request)


# ---------------------------------------------------------------- pure checks of the evaluator and the file
def test_classify_tells_verbs_resources_subresources_and_namespaces_apart():
    def one(method, path, query=''):
        return classify(LoggedRequest(method, path, query, 200))
    assert one('GET', '/apis/apps/v1/namespaces/kube-system/deployments', 'labelSelector=a%3Db') == \
        Request('list', 'apps', 'deployments', None, 'kube-system', None)
    assert one('GET', '/apis/apps/v1/namespaces/kube-system/deployments/lbc') == \
        Request('get', 'apps', 'deployments', None, 'kube-system', 'lbc')
    assert one('PATCH', '/apis/apps/v1/namespaces/kube-system/deployments/lbc/scale') == \
        Request('patch', 'apps', 'deployments', 'scale', 'kube-system', 'lbc')
    assert one('GET', '/api/v1/namespaces/kube-system/pods', 'watch=true').verb == 'watch'
    assert one('GET', '/apis/networking.k8s.io/v1/ingresses') == \
        Request('list', 'networking.k8s.io', 'ingresses', None, None, None)
    assert one('POST', '/apis/networking.k8s.io/v1/namespaces/shop/ingresses').verb == 'create'
    assert one('PUT', '/apis/networking.k8s.io/v1/namespaces/shop/ingresses/main').verb == 'update'
    assert one('DELETE', '/apis/networking.k8s.io/v1/namespaces/shop/ingresses/main').verb == 'delete'
    assert one('DELETE', '/apis/networking.k8s.io/v1/namespaces/shop/ingresses').verb == 'deletecollection'
    assert one('GET', '/api/v1/namespaces/shop') == Request('get', '', 'namespaces', None, None, 'shop')
    assert one('GET', '/apis/apps/v1') == NonResource('get', '/apis/apps/v1')
    assert one('GET', '/version') == NonResource('get', '/version')
    assert non_resource_allowed('/apis/apps/v1') and non_resource_allowed('/version')
    assert not non_resource_allowed('/metrics') and not non_resource_allowed('/logs/kube-apiserver.log')


def test_the_evaluator_refuses_what_docs_rbac_yaml_does_not_grant():
    all_grants = grants(load_rbac())
    assert sorted(g.binding for g in all_grants) == ['ClusterRoleBinding sorrypage-maintenance',
                                                     'RoleBinding sorrypage-controller-pause']
    lbc = 'aws-load-balancer-controller'
    allowed = [Request('patch', 'apps', 'deployments', None, 'kube-system', lbc),
               Request('list', 'apps', 'deployments', None, 'kube-system', None),
               Request('list', 'networking.k8s.io', 'ingresses', None, None, None),
               Request('delete', 'networking.k8s.io', 'ingresses', None, 'shop', 'sorrypage-maintenance')]
    refused = [Request('patch', 'apps', 'deployments', None, 'shop', lbc),                # the Role is kube-system's
               Request('patch', 'apps', 'deployments', 'scale', 'kube-system', lbc),      # a subresource is its own
               Request('patch', 'apps', 'deployments', None, 'kube-system', 'coredns'),   # another Deployment
               Request('delete', 'apps', 'deployments', None, 'kube-system', lbc),
               Request('list', 'apps', 'deployments', None, None, None),                  # every namespace
               Request('watch', 'networking.k8s.io', 'ingresses', None, None, None),
               Request('update', 'networking.k8s.io', 'ingresses', None, 'shop', 'main'),
               Request('list', 'networking.k8s.io', 'ingressclasses', None, None, None),
               Request('get', '', 'secrets', None, 'kube-system', 'aws-load-balancer-tls'),
               Request('list', '', 'pods', None, 'shop', None),
               Request('patch', 'admissionregistration.k8s.io', 'validatingwebhookconfigurations', None, None, 'x')]
    assert [r for r in allowed if not allowed_by(all_grants, r)] == []
    assert [(r, allowed_by(all_grants, r)) for r in refused if allowed_by(all_grants, r)] == []
    # a subject the bindings do not name gets nothing
    assert grants(load_rbac(), subject={'apiGroup': 'rbac.authorization.k8s.io', 'kind': 'Group', 'name': 'x'}) == []


def test_docs_rbac_yaml_has_no_wildcard_and_every_role_is_bound():
    docs = load_rbac()
    assert sorted(d['kind'] for d in docs) == ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']
    for doc in docs:
        for rule in doc.get('rules') or []:
            for key in ('apiGroups', 'resources', 'verbs', 'resourceNames'):
                assert '*' not in ' '.join(rule.get(key) or []), (doc['metadata']['name'], rule)
            assert not rule.get('nonResourceURLs'), rule
            assert set(rule['verbs']) <= {'get', 'list', 'watch', 'create', 'update', 'patch', 'delete'}, rule
    bound = set((d['roleRef']['kind'], d['roleRef']['name']) for d in docs if 'roleRef' in d)
    assert bound == set((d['kind'], d['metadata']['name']) for d in docs if d['kind'] in ('Role', 'ClusterRole'))
    role = [d for d in docs if d['kind'] == 'Role'][0]
    binding = [d for d in docs if d['kind'] == 'RoleBinding'][0]
    assert role['metadata']['namespace'] == binding['metadata']['namespace'] == 'kube-system'   # sorry_lbc_namespace


# ---------------------------------------------------------------- the cycle, recorded
# One test, not a module fixture shared by several: `make integration` spreads the tests of a file over xdist
# workers (--dist load), and each worker would run the whole cycle again.
Step = collections.namedtuple('Step', 'scenario step summary requests')
ALB = 'alb driver (eks outage auto)'
OWN = 'ingress driver, an Ingress of its own'
GROUP = 'ingress driver, in an IngressGroup, the controller does not act'


def _as_operator(box):
    """From now on the API answers only the kubeconfig's token (any other: 401); the kubeconfig carries it."""
    box.kube.required_token = OPERATOR_TOKEN
    box.kube.write_kubeconfig(box.kubeconfig)
    box.reconciler.wait_for_pass()
    box.reconciler.wait_for_pass()
    return list(box.kube.request_log)     # the stand-in controller's passes: nothing over HTTP


def _run(box, steps, scenario, book, entries, hold=(), expect_driver=None):
    for entry in entries:
        box.kube.clear_log()
        if entry in hold:
            box.reconciler.stop_acting()
        try:
            res = book.run(entry)
        finally:
            box.reconciler.resume_acting()
        assert_ok(res)
        with box.kube._lock:  # pylint: disable=protected-access
            steps.append(Step(scenario, entry, summary(res), list(box.kube.request_log)))
        if entry == 'on' and expect_driver:
            assert 'driver: %s' % expect_driver in steps[-1].summary, steps[-1].summary


def record_cycle(tmp_path):
    """Every playbook run of the cycle -> Step(scenario, step, summary, logged requests); the idle logs."""
    steps, idle, cycle = [], [], ('prepare', 'on', 'status', 'verify', 'off')
    with Sandbox(pod_delay=0, controller=True, controller_interval=0.5, ingress=True, path_routed=False) as box:
        idle.append(_as_operator(box))
        # the ALB driver writes the rules, then pauses the controller: the stand-in holds still meanwhile
        _run(box, steps, ALB, Book(tmp_path / 'alb', box, sorry_driver='alb', sorry_eks_outage='auto'), cycle,
             hold=('on',), expect_driver='alb')
        assert controller_replicas(box) == 2
        _run(box, steps, OWN, Book(tmp_path / 'own', box), cycle, expect_driver='ingress')
    with Sandbox(pod_delay=0, controller=True, controller_interval=0.5, ingress=True, path_routed=False,
                 ingress_group='shopgroup') as box:
        idle.append(_as_operator(box))
        # the controller does not act on our edit (our own Ingress in the group, created): the failure path reads
        # the Ingress and its Events, falls back to the ALB driver (the pause) and takes its edit back out (deletes
        # our Ingress). The last run: the sandbox goes with it.
        _run(box, steps, GROUP, Book(tmp_path / 'group', box, sorry_ingress_timeout=3), ('on',), hold=('on',),
             expect_driver='alb')
        assert controller_replicas(box) == 0
        assert 'sorrypage-maintenance' not in [i['metadata']['name'] for i in box.kube.list('ingresses')]
    return steps, idle


def _resource_requests(steps):
    return [(s.scenario, s.step, classify(r)) for s in steps for r in s.requests if isinstance(classify(r), Request)]


def _table(rows):
    return '\n'.join('  %-66s %-8s %s' % row for row in rows)


def _show(request):
    return '%s %s/%s%s ns=%s' % (request.verb, request.group or 'core', resource_of(request),
                                 ' ' + request.name if request.name else '', request.namespace)


@pytest.mark.sandbox_only
def test_the_cycle_of_both_drivers_needs_exactly_docs_rbac_yaml(tmp_path):
    for sub in ('alb', 'own', 'group'):
        (tmp_path / sub).mkdir()
    started = time.time()
    steps, idle = record_cycle(tmp_path)
    print('test_rbac: %d playbook runs recorded in %.0f s' % (len(steps), time.time() - started))

    # only the playbooks talked to the API over HTTP, all with the kubeconfig's token
    assert idle == [[], []]
    logged = [r for s in steps for r in s.requests]
    assert len(logged) > 20 and [r for r in logged if r.status in (401, 403)] == []
    requests = _resource_requests(steps)
    print('requests of the cycle (scenario, step, request):\n'
          + _table(sorted(set((s, t, _show(r)) for s, t, r in requests))))

    # every request is allowed by docs/rbac.yaml; the rest is discovery, which every authenticated user may read
    all_grants = grants(load_rbac())
    denied = sorted(set((s, t, _show(r)) for s, t, r in requests if not allowed_by(all_grants, r)))
    assert denied == [], 'requests docs/rbac.yaml does not allow:\n' + _table(denied)
    others = sorted(set(classify(r).path for r in logged if isinstance(classify(r), NonResource)))
    assert others and [p for p in others if not non_resource_allowed(p)] == [], others

    # every permission of docs/rbac.yaml is used by some request
    unused = [a for a in atoms(all_grants) if not any(atom_used(a, all_grants, r) for _s, _t, r in requests)]
    assert unused == [], 'permissions no request of the cycle used:\n' + '\n'.join('  %s' % (a,) for a in unused)
    # and needed: without any one of them, some request is denied (no two rules grant the same thing)
    every = atoms(all_grants)
    sole = set(found[0] for found in ([a for a in every if atom_used(a, all_grants, r)] for _s, _t, r in requests)
               if len(found) == 1)
    assert [a for a in every if a not in sole] == [], 'permissions no request needs alone'

    # each step asks for what it is there for (the recorder saw both drivers)
    seen = set((s, t, r.verb, r.resource) for s, t, r in requests)
    for expected in ((ALB, 'on', 'patch', 'deployments'), (ALB, 'on', 'list', 'pods'),
                     (ALB, 'off', 'patch', 'deployments'), (OWN, 'on', 'patch', 'ingresses'),
                     (OWN, 'off', 'patch', 'ingresses'), (GROUP, 'on', 'create', 'ingresses'),
                     (GROUP, 'on', 'list', 'ingresses'), (GROUP, 'on', 'delete', 'ingresses'),
                     (GROUP, 'on', 'list', 'events'), (GROUP, 'on', 'get', 'ingresses')):
        assert expected in seen, expected
    # prepare and verify of the ALB driver need nothing of Kubernetes
    assert [s.requests for s in steps if s.scenario == ALB and s.step in ('prepare', 'verify')] == [[], []]
