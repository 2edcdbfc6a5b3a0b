# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who else writes an Ingress we edit in place (pure): Argo CD, Flux, Helm.

A sync, a reconcile or a ``helm upgrade`` during the window re-applies the
Ingress as the tool knows it and takes our ``spec.rules`` entries out, so the
Sorry page goes down with nobody asking. ``gitops_warnings`` says so, once per
Ingress and owner, with what to do about it.

Only marks that are certain count: Argo CD's ``argocd.argoproj.io/instance``
label or ``argocd.argoproj.io/tracking-id`` annotation (not the chart labels
``app.kubernetes.io/instance`` + ``last-applied-configuration``, which any
``kubectl apply`` leaves too); Flux's ``kustomize.toolkit.fluxcd.io/name`` /
``helm.toolkit.fluxcd.io/name`` labels; Helm's ``app.kubernetes.io/managed-by:
Helm`` label or ``meta.helm.sh/release-name`` annotation. Helm is named only
when no Argo CD or Flux mark is there: those render charts with Helm too (so
the Helm marks are on their Ingresses), but it is their sync that re-applies.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

ARGO_INSTANCE_LABEL = 'argocd.argoproj.io/instance'
ARGO_TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id'
FLUX_KUSTOMIZATION_LABEL = 'kustomize.toolkit.fluxcd.io/name'
FLUX_KUSTOMIZATION_NAMESPACE_LABEL = 'kustomize.toolkit.fluxcd.io/namespace'
FLUX_HELMRELEASE_LABEL = 'helm.toolkit.fluxcd.io/name'
FLUX_HELMRELEASE_NAMESPACE_LABEL = 'helm.toolkit.fluxcd.io/namespace'
HELM_MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
HELM_RELEASE_ANNOTATION = 'meta.helm.sh/release-name'
HELM_RELEASE_NAMESPACE_ANNOTATION = 'meta.helm.sh/release-namespace'

ARGO_CD = 'argocd'
FLUX_KUSTOMIZATION = 'flux_kustomization'
FLUX_HELMRELEASE = 'flux_helmrelease'
HELM = 'helm'


def _meta(ingress):
    return (ingress or {}).get('metadata') or {}


def _key(ingress):
    meta = _meta(ingress)
    return '%s/%s' % (meta.get('namespace') or 'default', meta.get('name'))


def _argo_application(labels, annotations):
    """The Argo CD Application's name as its CLI takes it, or None.

    The tracking id is ``<app>:<group>/<kind>:<namespace>/<name>``; an
    Application outside Argo CD's own namespace is written ``<ns>_<app>``
    there (a name cannot hold '_'), ``<ns>/<app>`` on the command line."""
    tracking = annotations.get(ARGO_TRACKING_ANNOTATION)
    if tracking:
        app = str(tracking).split(':', 1)[0]
        if app:
            return app.replace('_', '/', 1)
    instance = labels.get(ARGO_INSTANCE_LABEL)
    return str(instance) if instance else None


def _flux_target(labels, name_label, namespace_label):
    name = labels.get(name_label)
    if not name:
        return None
    namespace = labels.get(namespace_label)
    return ('%s -n %s' % (name, namespace)) if namespace else str(name)


def owners(ingress):
    """The tools that re-apply this Ingress: [(kind, name)], kind one of ARGO_CD, FLUX_KUSTOMIZATION,
    FLUX_HELMRELEASE, HELM; name as its CLI takes it (Flux: '<name> -n <namespace>' when the namespace
    label is there), or None for a Helm release marked only by its label."""
    meta = _meta(ingress)
    labels = meta.get('labels') or {}
    annotations = meta.get('annotations') or {}
    found = []
    app = _argo_application(labels, annotations)
    if app:
        found.append((ARGO_CD, app))
    kustomization = _flux_target(labels, FLUX_KUSTOMIZATION_LABEL, FLUX_KUSTOMIZATION_NAMESPACE_LABEL)
    if kustomization:
        found.append((FLUX_KUSTOMIZATION, kustomization))
    release = _flux_target(labels, FLUX_HELMRELEASE_LABEL, FLUX_HELMRELEASE_NAMESPACE_LABEL)
    if release:
        found.append((FLUX_HELMRELEASE, release))
    helm_release = annotations.get(HELM_RELEASE_ANNOTATION)
    if not found and (helm_release or labels.get(HELM_MANAGED_BY_LABEL) == 'Helm'):
        found.append((HELM, str(helm_release) if helm_release else None))
    return found


def warning(key, kind, name):
    """One sentence for an SRE: who re-applies Ingress ``key``, what that does to the page, what to do."""
    if kind == ARGO_CD:
        return ('%s is managed by Argo CD (application %s): a sync during the window replaces our edit and takes the '
                'Sorry page down; suspend auto-sync for the window (argocd app set %s --sync-policy none) or put the '
                'site in an IngressGroup, where our own Ingress is not tracked' % (key, name, name))
    if kind in (FLUX_KUSTOMIZATION, FLUX_HELMRELEASE):
        what = 'kustomization' if kind == FLUX_KUSTOMIZATION else 'helmrelease'
        label = 'Kustomization' if kind == FLUX_KUSTOMIZATION else 'HelmRelease'
        return ('%s is managed by Flux (%s %s): a reconcile during the window replaces our edit and takes the Sorry '
                'page down; suspend it for the window (flux suspend %s %s) and resume it after `off` (flux resume %s %s)'
                % (key, label, name, what, name, what, name))
    release = (' (release %s)' % name) if name else ''
    return ('%s is managed by Helm%s: a helm upgrade during the window replaces our edit and takes the Sorry page '
            'down; run `on` again after it' % (key, release))


def gitops_warnings(ingresses):
    """One warning per Ingress and owner, in the order given: for the Ingresses we edit in place only."""
    out = []
    for ingress in ingresses or []:
        key = _key(ingress)
        for kind, name in owners(ingress):
            out.append(warning(key, kind, name))
    return out
