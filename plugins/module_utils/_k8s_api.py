# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The few Kubernetes calls the controller pause and the Ingress edit make, over kubernetes.core's client.

Plain dicts in and out. Errors are the kubernetes client's own (ApiException
with its status, urllib3 errors): ``_k8s_errors`` tells them apart.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

MERGE_PATCH = 'application/merge-patch+json'
JSON_PATCH = 'application/json-patch+json'
INGRESS_API = 'networking.k8s.io/v1'
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

    # ---------------------------------------------------------- Ingresses

    def list_ingresses(self, namespace=None):
        """Every Ingress of ``namespace``, or of all namespaces when it is None."""
        resource = self._resource(INGRESS_API, 'Ingress')
        return self._items(resource.get(namespace=namespace) if namespace else resource.get())

    def get_ingress(self, namespace, name):
        """The Ingress, or None when there is none."""
        try:
            found = self._resource(INGRESS_API, 'Ingress').get(namespace=namespace, name=name)
        except Exception as exc:  # pylint: disable=broad-except  # only 404 means none; anything else is raised as it was
            if getattr(exc, 'status', None) == 404:
                return None
            raise
        return found.to_dict() if hasattr(found, 'to_dict') else found

    def patch_ingress(self, namespace, name, ops):
        """Send a JSON patch (RFC 6902, a list of ops); returns the Ingress as written."""
        found = self._resource(INGRESS_API, 'Ingress').patch(body=ops, name=name, namespace=namespace,
                                                             content_type=JSON_PATCH)
        return found.to_dict() if hasattr(found, 'to_dict') else found

    def create_ingress(self, namespace, manifest):
        found = self._resource(INGRESS_API, 'Ingress').create(body=manifest, namespace=namespace)
        return found.to_dict() if hasattr(found, 'to_dict') else found

    def delete_ingress(self, namespace, name, resource_version=None):
        """Delete the Ingress (only the version read, when ``resource_version`` is given); False when it was already gone."""
        params = {'name': name, 'namespace': namespace}
        if resource_version:
            params['body'] = {'apiVersion': 'v1', 'kind': 'DeleteOptions',
                              'preconditions': {'resourceVersion': resource_version}}
        try:
            self._resource(INGRESS_API, 'Ingress').delete(**params)
        except Exception as exc:  # pylint: disable=broad-except  # only 404 means already gone; anything else is raised as it was
            if getattr(exc, 'status', None) == 404:
                return False
            raise
        return True
