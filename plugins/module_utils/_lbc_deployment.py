# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the controller's Deployment and the cluster's webhook configurations tell, as pure functions.

Its pod selector, the --cluster-name it runs with, who else manages it
(Argo CD, Flux, Helm) and the webhooks it serves that reject requests while
it is at zero. Objects are plain dicts as the Kubernetes API returns them.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re


def _get(obj, *path):
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def name(dep):
    return _get(dep, 'metadata', 'name') or ''


def labels(dep):
    return _get(dep, 'metadata', 'labels') or {}


def annotations(dep):
    return _get(dep, 'metadata', 'annotations') or {}


def replicas(dep):
    value = _get(dep, 'spec', 'replicas')
    return 1 if value is None else int(value)


def available_replicas(dep):
    return int(_get(dep, 'status', 'availableReplicas') or 0)


def is_available(dep, wanted):
    """At least ``wanted`` replicas available, and the status is about the current spec."""
    observed = int(_get(dep, 'status', 'observedGeneration') or 0)
    return available_replicas(dep) >= wanted and observed >= int(_get(dep, 'metadata', 'generation') or 0)


def pod_selector(dep, fallback):
    """The Deployment's own pod selector as a label selector string (its pods, not its own labels)."""
    selector = _get(dep, 'spec', 'selector') or {}
    items = ['%s=%s' % (key, value) for key, value in (selector.get('matchLabels') or {}).items()]
    for expr in selector.get('matchExpressions') or []:
        key, operator, values = expr.get('key'), expr.get('operator'), expr.get('values') or []
        if operator == 'In':
            items.append('%s in (%s)' % (key, ','.join(values)))
        elif operator == 'NotIn':
            items.append('%s notin (%s)' % (key, ','.join(values)))
        elif operator == 'Exists':
            items.append(key)
        elif operator == 'DoesNotExist':
            items.append('!' + key)
    return ','.join(items) if items else fallback


def cluster_names(dep):
    """The --cluster-name values its containers run with (`--cluster-name=x` or `--cluster-name x`)."""
    out = []
    for container in _get(dep, 'spec', 'template', 'spec', 'containers') or []:
        words = list(container.get('command') or []) + list(container.get('args') or [])
        for index, word in enumerate(words):
            value = None
            if re.match(r'^--?cluster-name=', word):
                value = word.split('=', 1)[1]
            elif word in ('--cluster-name', '-cluster-name') and index + 1 < len(words):
                value = words[index + 1]
            if value is not None and value not in out:
                out.append(value)
    return out


def cluster_problem(dep, wanted):
    """Why this controller must not be touched for an ALB of cluster ``wanted``; '' when it may."""
    if not wanted:
        return ''
    names = cluster_names(dep)
    if not names:
        return "it runs with no --cluster-name argument, so it cannot be checked against the ALB's cluster %s" % wanted
    if wanted in names:
        return ''
    return ('it serves cluster %s, but the ALB belongs to cluster %s (tag elbv2.k8s.aws/cluster): wrong kube context?'
            % (', '.join(names), wanted))


def cluster_warnings(dep, wanted, where):
    if wanted:
        return []
    return ["the ALB carries no elbv2.k8s.aws/cluster tag, so the controller's --cluster-name (%s) was not checked: make sure %s "
            "is the ALB's cluster" % (', '.join(cluster_names(dep)) or 'none', where)]


def gitops_warnings(dep, dep_id):
    """Who may scale the controller back behind our back: Argo CD, Flux, Helm."""
    dep_labels, dep_annotations = labels(dep), annotations(dep)
    keys = list(dep_labels) + list(dep_annotations)
    managers = []
    for field in _get(dep, 'metadata', 'managedFields') or []:
        manager = field.get('manager')
        if manager and manager not in managers:
            managers.append(manager)
    argo_keys = [key for key in keys if key.startswith('argocd.argoproj.io/')]
    argo_managers = [manager for manager in managers if 'argocd' in manager.lower()]
    flux_keys = [key for key in keys if re.match(r'(kustomize|helm)\.toolkit\.fluxcd\.io/', key)]
    flux_managers = [manager for manager in managers if manager in ('kustomize-controller', 'helm-controller')]
    release = dep_annotations.get('meta.helm.sh/release-name') or ''
    helm_label = dep_labels.get('app.kubernetes.io/managed-by') == 'Helm'
    out = []
    if argo_keys or argo_managers:
        out.append('Argo CD manages %s (%s): with automated sync or self-heal it scales the controller back up, and the controller '
                   'then deletes the Sorry rules. Disable auto-sync of its Application for the maintenance.'
                   % (dep_id, ', '.join(argo_keys + argo_managers)))
    elif helm_label and not release and 'app.kubernetes.io/instance' in dep_labels:
        out.append('%s carries Helm chart labels without a Helm release (app.kubernetes.io/instance=%s): rendered by a GitOps tool '
                   '(Argo CD tracks by that label)? If so, disable its auto-sync for the maintenance or it scales the controller '
                   'back up.' % (dep_id, dep_labels['app.kubernetes.io/instance']))
    if flux_keys or flux_managers:
        out.append('Flux manages %s (%s): its next reconcile scales the controller back up. Suspend the HelmRelease or Kustomization '
                   '(flux suspend ...) for the maintenance.' % (dep_id, ', '.join(flux_keys + flux_managers)))
    if release or (helm_label and not out):
        out.append("Helm manages %s%s: a helm upgrade during the maintenance scales the controller back to the chart's replicaCount."
                   % (dep_id, (' (release %s)' % release) if release else ''))
    return out


def controller_services(dep, services):
    """Names of the Services (of its namespace) that select the controller's pods."""
    pod_labels = _get(dep, 'spec', 'template', 'metadata', 'labels') or {}
    out = []
    for svc in services:
        selector = _get(svc, 'spec', 'selector') or {}
        if selector and all(pod_labels.get(key) == value for key, value in selector.items()):
            out.append(name(svc))
    return out


def failing_webhooks(dep, namespace, service_names, configurations):
    """The controller's webhooks with failurePolicy Fail: while it is at zero the API server rejects what they match.

    ``configurations`` is a list of (kind, configuration) pairs. A webhook is
    the controller's when its configuration carries the controller's
    app.kubernetes.io/name, when it calls one of the controller's Services,
    or by its name (*.elbv2.k8s.aws).
    """
    app = labels(dep).get('app.kubernetes.io/name') or ''
    out = []
    for kind, cfg in configurations:
        cfg_ours = bool(app) and (_get(cfg, 'metadata', 'labels') or {}).get('app.kubernetes.io/name') == app
        for hook in cfg.get('webhooks') or []:
            svc = _get(hook, 'clientConfig', 'service') or {}
            by_service = bool(svc) and svc.get('namespace') == namespace and svc.get('name') in service_names
            ours = cfg_ours or by_service or bool(re.match(r'.*\.elbv2\.k8s\.aws$', hook.get('name') or ''))
            if not ours or (hook.get('failurePolicy') or 'Fail') != 'Fail':
                continue
            what = ['%s %s' % ('/'.join(rule.get('operations') or ['*']), ','.join(rule.get('resources') or ['*']))
                    for rule in hook.get('rules') or []]
            scoped = bool(hook.get('namespaceSelector') or hook.get('objectSelector'))
            out.append({'name': hook.get('name'), 'configuration': '%s/%s' % (kind, name(cfg)),
                        'rejects': '; '.join(what) + (' (where its selectors match)' if scoped else '')})
    return out
