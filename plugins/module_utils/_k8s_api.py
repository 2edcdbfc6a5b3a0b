# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The few Kubernetes calls the controller pause makes, over kubernetes.core's client.

Plain dicts in and out. Errors are the kubernetes client's own (ApiException
with its status, urllib3 errors): ``_k8s_errors`` tells them apart.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

MERGE_PATCH = 'application/merge-patch+json'
WEBHOOK_API = 'admissionregistration.k8s.io/v1'


class ClusterApi:
    """``client`` is a kubernetes.core ``K8SClient`` (``get_api_client(module)``)."""

    def __init__(self, client):
        self._client = client
        self._resources = {}

    def _resource(self, api_version, kind):
        key = (api_version, kind)
        if key not in self._resources:
            self._resources[key] = self._client.resource(kind, api_version)
        return self._resources[key]

    @staticmethod
    def _items(found):
        data = found.to_dict() if hasattr(found, 'to_dict') else found
        return list(data.get('items') or [])

    def find_deployments(self, namespace, selector):
        return self._items(self._resource('apps/v1', 'Deployment').get(namespace=namespace, label_selector=selector))

    def get_deployment(self, namespace, name):
        """The Deployment, or None when it is gone."""
        try:
            found = self._resource('apps/v1', 'Deployment').get(namespace=namespace, name=name)
        except Exception as exc:  # pylint: disable=broad-except  # only 404 means gone; anything else is raised as it was
            if getattr(exc, 'status', None) == 404:
                return None
            raise
        return found.to_dict() if hasattr(found, 'to_dict') else found

    def patch_deployment(self, namespace, name, patch, dry_run=False):
        params = {'name': name, 'namespace': namespace, 'content_type': MERGE_PATCH}
        if dry_run:
            params['dry_run'] = 'All'
        found = self._resource('apps/v1', 'Deployment').patch(body=patch, **params)
        return found.to_dict() if hasattr(found, 'to_dict') else found

    def list_pods(self, namespace, selector):
        return self._items(self._resource('v1', 'Pod').get(namespace=namespace, label_selector=selector))

    def list_services(self, namespace):
        return self._items(self._resource('v1', 'Service').get(namespace=namespace))

    def list_webhook_configurations(self, kind):
        return self._items(self._resource(WEBHOOK_API, kind).get())
