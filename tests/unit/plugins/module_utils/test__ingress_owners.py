# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _ingress_owners as owners


def ingress(labels=None, annotations=None, name='main', namespace='shop'):
    meta = {'name': name, 'namespace': namespace}
    if labels is not None:
        meta['labels'] = labels
    if annotations is not None:
        meta['annotations'] = annotations
    return {'metadata': meta, 'spec': {}}


ARGO = ('shop/main is managed by Argo CD (application shop): a sync during the window replaces our edit and takes the '
        'Sorry page down; suspend auto-sync for the window (argocd app set shop --sync-policy none) or put the site in '
        'an IngressGroup, where our own Ingress is not tracked')


@pytest.mark.parametrize('labels, annotations, found', [
    ({'argocd.argoproj.io/instance': 'shop'}, None, [('argocd', 'shop')]),
    (None, {'argocd.argoproj.io/tracking-id': 'shop:networking.k8s.io/Ingress:shop/main'}, [('argocd', 'shop')]),
    # an Application outside argocd's namespace: <ns>_<app> in the tracking id, <ns>/<app> for the CLI
    (None, {'argocd.argoproj.io/tracking-id': 'team-a_shop:networking.k8s.io/Ingress:shop/main'}, [('argocd', 'team-a/shop')]),
    ({'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system'}, None,
     [('flux_kustomization', 'apps -n flux-system')]),
    ({'helm.toolkit.fluxcd.io/name': 'shop'}, None, [('flux_helmrelease', 'shop')]),
    ({'app.kubernetes.io/managed-by': 'Helm'}, None, [('helm', None)]),
    (None, {'meta.helm.sh/release-name': 'shop', 'meta.helm.sh/release-namespace': 'shop'}, [('helm', 'shop')]),
    # a chart rendered by Argo CD or Flux carries Helm's marks too: the sync is what re-applies it
    ({'argocd.argoproj.io/instance': 'shop', 'app.kubernetes.io/managed-by': 'Helm'}, None, [('argocd', 'shop')]),
    ({'helm.toolkit.fluxcd.io/name': 'shop', 'app.kubernetes.io/managed-by': 'Helm'},
     {'meta.helm.sh/release-name': 'shop'}, [('flux_helmrelease', 'shop')]),
    # uncertain marks are not taken: chart labels with kubectl's last-applied annotation, another managed-by
    ({'app.kubernetes.io/instance': 'shop', 'app.kubernetes.io/managed-by': 'kustomize'},
     {'kubectl.kubernetes.io/last-applied-configuration': '{}'}, []),
    (None, None, []),
])
def test_owners_are_found_by_their_certain_marks(labels, annotations, found):
    assert owners.owners(ingress(labels, annotations)) == found


def test_argo_cd_warning_names_the_application_and_what_to_do():
    assert owners.gitops_warnings([ingress({'argocd.argoproj.io/instance': 'shop'})]) == [ARGO]


@pytest.mark.parametrize('labels, annotations, text', [
    ({'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system'}, None,
     'shop/main is managed by Flux (Kustomization apps -n flux-system): a reconcile during the window replaces our edit '
     'and takes the Sorry page down; suspend it for the window (flux suspend kustomization apps -n flux-system) and '
     'resume it after `off` (flux resume kustomization apps -n flux-system)'),
    ({'helm.toolkit.fluxcd.io/name': 'shop'}, None,
     'shop/main is managed by Flux (HelmRelease shop): a reconcile during the window replaces our edit and takes the '
     'Sorry page down; suspend it for the window (flux suspend helmrelease shop) and resume it after `off` '
     '(flux resume helmrelease shop)'),
    (None, {'meta.helm.sh/release-name': 'shop'},
     'shop/main is managed by Helm (release shop): a helm upgrade during the window replaces our edit and takes the '
     'Sorry page down; run `on` again after it'),
    ({'app.kubernetes.io/managed-by': 'Helm'}, None,
     'shop/main is managed by Helm: a helm upgrade during the window replaces our edit and takes the Sorry page down; '
     'run `on` again after it'),
])
def test_flux_and_helm_warnings(labels, annotations, text):
    assert owners.gitops_warnings([ingress(labels, annotations)]) == [text]


def test_one_warning_per_ingress_and_owner_in_order():
    both = ingress({'argocd.argoproj.io/instance': 'shop', 'kustomize.toolkit.fluxcd.io/name': 'apps'})
    plain = ingress(name='plain')
    helm = ingress(annotations={'meta.helm.sh/release-name': 'blog'}, name='blog', namespace='blog')
    found = owners.gitops_warnings([both, plain, helm])
    assert [w.split(':')[0] for w in found] == [
        'shop/main is managed by Argo CD (application shop)', 'shop/main is managed by Flux (Kustomization apps)',
        'blog/blog is managed by Helm (release blog)']
    assert owners.gitops_warnings([]) == [] and owners.gitops_warnings(None) == []
