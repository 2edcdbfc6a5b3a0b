"""A small stand-in Kubernetes API server for the sandbox (standard library only).

Enough of the real API for the ``kubernetes`` client, kubernetes.core
(``k8s_info``, ``k8s``, ``k8s_scale``) and ``kubectl``: discovery, CRUD with
merge / JSON / strategic-merge (named lists by name) / apply patches, label and field
selectors, resourceVersion preconditions (409), the Deployment ``scale``
subresource, the ``status`` subresource of Deployments, Pods and Ingresses
(an Ingress's status is kept across writes of the main resource, as the real
API does), short-lived watches, and Pods that follow a Deployment's replicas
only after ``pod_delay`` seconds, so a wait that does not really wait fails.
With ``pod_delay=None`` the Pods are held instead: they start and go only when
the test says so (``release_pods``, or ``release_pods_after_lists(n)`` after
``n`` more Pod lists have seen them), so a test of a wait never depends on how
fast the machine is.
Fault hooks: ``set_unreachable``, ``inject_conflicts``, ``set_forbidden``,
``required_token``; every request is logged in ``request_log``.
"""
import collections
import copy
import datetime
import hashlib
import http.server
import json
import re
import select
import socket
import threading
import time
import uuid
from urllib.parse import parse_qs, urlsplit

# plural: (group, version, kind, namespaced, short names)
RESOURCES = {
    'namespaces': ('', 'v1', 'Namespace', False, ['ns']),
    'configmaps': ('', 'v1', 'ConfigMap', True, ['cm']),
    'pods': ('', 'v1', 'Pod', True, ['po']),
    'services': ('', 'v1', 'Service', True, ['svc']),
    'serviceaccounts': ('', 'v1', 'ServiceAccount', True, ['sa']),
    'deployments': ('apps', 'v1', 'Deployment', True, ['deploy']),
    'ingresses': ('networking.k8s.io', 'v1', 'Ingress', True, ['ing']),
    'ingressclasses': ('networking.k8s.io', 'v1', 'IngressClass', False, []),
    'events': ('', 'v1', 'Event', True, ['ev']),
    'mutatingwebhookconfigurations': ('admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration', False, []),
    'validatingwebhookconfigurations': ('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', False, []),
}
VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']
SUBRESOURCES = {'deployments': ['scale', 'status'], 'pods': ['status'], 'ingresses': ['status']}
_KEEP_STATUS = ('deployments', 'ingresses')   # written through the status subresource only
LBC_NAME = 'aws-load-balancer-controller'
LoggedRequest = collections.namedtuple('LoggedRequest', 'method path query status')


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def _api_version(plural):
    group, version = RESOURCES[plural][:2]
    return '%s/%s' % (group, version) if group else version


def _qualified(plural):
    group = RESOURCES[plural][0]
    return '%s.%s' % (plural, group) if group else plural


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details or {}

    def status(self):
        return {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Failure', 'message': self.message,
                'reason': self.reason, 'details': self.details, 'code': self.code}


def _not_found(plural, name):
    return ApiError(404, 'NotFound', '%s "%s" not found' % (_qualified(plural), name),
                    {'name': name, 'group': RESOURCES[plural][0], 'kind': plural})


def _conflict(plural, name):
    return ApiError(409, 'Conflict', 'Operation cannot be fulfilled on %s "%s": the object has been modified; '
                    'please apply your changes to the latest version and try again' % (_qualified(plural), name),
                    {'name': name, 'group': RESOURCES[plural][0], 'kind': plural})


def merge_patch(target, patch, strategic=False):
    """RFC 7386; with ``strategic``, lists of named items (containers, env, ports) merge by name, and
    strategic-merge directives (keys starting with '$') are ignored."""
    if strategic and isinstance(patch, list) and isinstance(target, list) and all(
            isinstance(i, dict) and 'name' in i for i in patch + target):
        merged = {i['name']: copy.deepcopy(i) for i in target}
        for item in patch:
            merged[item['name']] = merge_patch(merged.get(item['name']), item, strategic)
        return list(merged.values())
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith('$'):
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value, strategic)
    return result


def _pointer(path):
    if path and not path.startswith('/'):
        raise ValueError('invalid JSON pointer %r' % path)
    return [p.replace('~1', '/').replace('~0', '~') for p in path[1:].split('/')] if path else []


def _walk(doc, parts):
    for part in parts:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def json_patch(doc, ops):
    """RFC 6902 (add, remove, replace, move, copy, test)."""
    doc = copy.deepcopy(doc)
    for op in ops:
        kind, parts = op.get('op'), _pointer(op.get('path', ''))
        if kind in ('move', 'copy'):
            value = copy.deepcopy(_walk(doc, _pointer(op['from'])))
            if kind == 'move':
                doc = json_patch(doc, [{'op': 'remove', 'path': op['from']}])
            doc = json_patch(doc, [{'op': 'add', 'path': op['path'], 'value': value}])
            continue
        if kind == 'test':
            if _walk(doc, parts) != op.get('value'):
                raise ValueError('test operation failed at %s' % op['path'])
            continue
        if not parts:
            doc = copy.deepcopy(op['value'])
            continue
        parent, last = _walk(doc, parts[:-1]), parts[-1]
        if kind == 'remove':
            del parent[int(last) if isinstance(parent, list) else last]
        elif kind in ('add', 'replace'):
            value = copy.deepcopy(op['value'])
            if isinstance(parent, list) and kind == 'add':
                parent.insert(len(parent) if last == '-' else int(last), value)
            elif isinstance(parent, list):
                parent[int(last)] = value
            elif kind == 'replace' and last not in parent:
                raise KeyError(last)
            else:
                parent[last] = value
        else:
            raise ValueError('unknown JSON patch op %r' % kind)
    return doc


_REQ = re.compile(r'^\s*(!?)([A-Za-z0-9_./-]+)\s*(?:(==|=|!=)\s*([A-Za-z0-9_.-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$')


def parse_label_selector(text):
    """Equality-based and set-based requirements -> list of (key, op, values)."""
    reqs = []
    for part in re.findall(r'(?:[^,(]|\([^)]*\))+', text or ''):
        if not part.strip():
            continue
        match = _REQ.match(part)
        if not match:
            raise ApiError(400, 'BadRequest', 'unable to parse requirement: %r' % part)
        neg, key, eq_op, eq_val, set_op, set_vals = match.groups()
        if set_op:
            reqs.append((key, set_op, {v.strip() for v in set_vals.split(',') if v.strip()}))
        elif eq_op:
            reqs.append((key, '!=' if eq_op == '!=' else '=', {eq_val}))
        else:
            reqs.append((key, '!exists' if neg else 'exists', set()))
    return reqs


def labels_match(labels, reqs):
    labels = labels or {}
    for key, op, values in reqs:
        present, value = key in labels, labels.get(key)
        ok = {'=': present and value in values, 'in': present and value in values,
              '!=': not present or value not in values, 'notin': not present or value not in values,
              'exists': present, '!exists': not present}[op]
        if not ok:
            return False
    return True


_FIELDS = ('metadata.name', 'metadata.namespace', 'involvedObject.kind', 'involvedObject.name',
           'involvedObject.namespace', 'involvedObject.uid', 'reason', 'type')   # the last six: Events'


def _field_value(obj, dotted):
    for part in dotted.split('.'):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _field_filter(text):
    checks = []
    for part in filter(None, (text or '').split(',')):
        match = re.match(r'^([a-zA-Z.]+)(==|=|!=)(.*)$', part)
        if not match or match.group(1) not in _FIELDS:
            raise ApiError(400, 'BadRequest', 'field label not supported: %s' % part.split('=')[0].rstrip('!'))
        checks.append((match.group(1), match.group(2) == '!=', match.group(3)))
    return lambda obj: all((_field_value(obj, f) == v) != neg for f, neg, v in checks)


def _without_rv(obj):
    return dict(obj, metadata={k: v for k, v in obj['metadata'].items() if k != 'resourceVersion'})


def _template_hash(template):
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    return ''.join('bcdfghjklmnpqrstvwxz2456789'[int(digest[i:i + 2], 16) % 27] for i in range(0, 20, 2))


class K8sApi:
    """The stand-in API server; ``start()`` it, give clients ``write_kubeconfig()``."""

    def __init__(self, host='127.0.0.1', port=0, pod_delay=1.0, token='sandbox-token', required_token=None,
                 lagging_status=True):
        self.host, self.port = host, port
        self.pod_delay = pod_delay
        self._release_after_lists = None
        self.lagging_status = lagging_status
        self.token = token
        self.required_token = required_token
        self.kubeconfig = None
        self.request_log = []
        self.unknown_requests = []
        # called after each write a client made over HTTP (not the in-process ones, so a controller writing
        # events or status does not wake itself): the sandbox's controller reconciles at once, as on a watch event
        self.write_listeners = []
        self._lock = threading.RLock()
        self._objects = {}        # (plural, namespace or '', name) -> object
        self._pod_timing = {}     # pod uid -> {'ready_at': t, 'gone_at': t}
        self._rv = 100
        self._conflicts = 0
        self._conflict_plurals = ('deployments',)
        self._forbidden = False
        self._httpd = None
        self._thread = None
        self._connections = set()
        self._stopping = False
        for ns in ('default', 'kube-system', 'kube-public'):
            self.create({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': ns}})

    # ---- lifecycle and fault injection ---------------------------------
    @property
    def url(self):
        return 'http://%s:%d' % (self.host, self.port)

    def start(self):
        self._stopping = False
        handler = type('BoundHandler', (_Handler,), {'api': self})
        for attempt in range(50):   # coming back on the same port: it may still be settling
            try:
                self._httpd = http.server.ThreadingHTTPServer((self.host, self.port), handler)
                break
            except OSError:
                if not self.port or attempt == 49:
                    raise
                time.sleep(0.1)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={'poll_interval': 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping = True
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        for conn in list(self._connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def set_unreachable(self, unreachable=True):
        """Close the listening socket (clients get connection refused) or reopen it on the same port."""
        if unreachable and self._httpd is not None:
            self.stop()
        elif not unreachable and self._httpd is None:
            self.start()

    def inject_conflicts(self, count, plurals=('deployments',)):
        """The next ``count`` HTTP writes to ``plurals`` (Deployments incl. scale, by default) answer 409 Conflict."""
        with self._lock:
            self._conflicts = count
            self._conflict_plurals = tuple([plurals] if isinstance(plurals, str) else plurals)

    def _after_delay(self, now):
        return float('inf') if self.pod_delay is None else now + self.pod_delay

    def release_pods(self):
        """Held Pods (``pod_delay=None``) start or go now."""
        with self._lock:
            self._release_after_lists = None
            now = time.time()
            for timing in self._pod_timing.values():
                for key in ('ready_at', 'gone_at'):
                    if timing.get(key) == float('inf'):
                        timing[key] = now

    def release_pods_after_lists(self, count):
        """Held Pods start or go once ``count`` more Pod lists have been answered (counted, not timed)."""
        with self._lock:
            self._release_after_lists = count
            if count <= 0:
                self.release_pods()

    def set_forbidden(self, forbidden=True):
        """Every non-discovery request answers 403 Forbidden (RBAC denial)."""
        self._forbidden = forbidden

    def clear_log(self):
        with self._lock:
            del self.request_log[:]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def write_kubeconfig(self, path, context='sandbox', token=None, namespace='default'):
        """Write a kubeconfig (JSON, which is YAML) for this server; returns ``path`` (kept as ``kubeconfig`` unless ``token`` is given)."""
        config = {
            'apiVersion': 'v1', 'kind': 'Config', 'preferences': {}, 'current-context': context,
            'clusters': [{'name': context, 'cluster': {'server': self.url}}],
            'users': [{'name': context + '-user', 'user': {'token': token or self.required_token or self.token}}],
            'contexts': [{'name': context, 'context': {'cluster': context, 'user': context + '-user', 'namespace': namespace}}],
        }
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump(config, handle, indent=2)
        if token is None:
            self.kubeconfig = str(path)
        return str(path)

    # ---- in-process access for tests and the reconciler -----------------
    def create(self, obj, settled=True):
        """Store a new object (``settled``: a Deployment's pods start out ready)."""
        plural = self._plural_of(obj)
        with self._lock:
            return copy.deepcopy(self._write(plural, obj['metadata'].get('namespace'), None, obj, settled=settled))

    def get(self, plural, name, namespace=None):
        with self._lock:
            self._sync()
            obj = self._objects.get((plural, namespace or '', name))
            return copy.deepcopy(obj) if obj else None

    def list(self, plural, namespace=None, label_selector=None):
        with self._lock:
            self._sync()
            reqs = parse_label_selector(label_selector)
            return [copy.deepcopy(o) for (p, ns, _n), o in sorted(self._objects.items())
                    if p == plural and namespace in (None, ns) and labels_match(o['metadata'].get('labels'), reqs)]

    def patch(self, plural, name, patch, namespace=None):
        """Apply a merge patch in-process (no conflict injection, no precondition; may set an Ingress's status)."""
        with self._lock:
            self._sync()
            old = self._objects.get((plural, namespace or '', name))
            if old is None:
                raise _not_found(plural, name)
            new = merge_patch(old, patch)
            return copy.deepcopy(self._write(plural, namespace, name, new, old=old, status_write=plural != 'deployments'))

    def delete(self, plural, name, namespace=None):
        with self._lock:
            self._delete(plural, namespace or '', name)

    def record_event(self, obj, reason, message, event_type='Warning', component='ingress'):
        """An Event about ``obj`` as a controller records it; the same reason and message again counts up."""
        meta = obj['metadata']
        name = '%s.%s' % (meta['name'], hashlib.sha256(('%s/%s' % (reason, message)).encode()).hexdigest()[:16])
        with self._lock:
            old = self.get('events', name, meta['namespace'])
            if old is not None:
                return self.patch('events', name, {'count': old.get('count', 1) + 1, 'lastTimestamp': _now()},
                                  meta['namespace'])
            return self.create({'apiVersion': 'v1', 'kind': 'Event', 'metadata': {'name': name, 'namespace': meta['namespace']},
                                'involvedObject': {'apiVersion': obj.get('apiVersion'), 'kind': obj.get('kind'),
                                                   'name': meta['name'], 'namespace': meta['namespace'], 'uid': meta.get('uid')},
                                'reason': reason, 'message': message, 'type': event_type, 'count': 1,
                                'source': {'component': component}, 'firstTimestamp': _now(), 'lastTimestamp': _now()})

    def controller_available_replicas(self, selector='app.kubernetes.io/name=' + LBC_NAME, namespace=None):
        """Sum of status.availableReplicas of the Deployments matching ``selector``."""
        return sum(d.get('status', {}).get('availableReplicas', 0) for d in self.list('deployments', namespace, selector))

    def running_pods(self, selector='app.kubernetes.io/name=' + LBC_NAME, namespace=None):
        """Names of the Running pods matching ``selector``, Terminating ones included (they still run)."""
        return [p['metadata']['name'] for p in self.list('pods', namespace, selector) if p['status'].get('phase') == 'Running']

    # ---- storage ---------------------------------------------------------
    @staticmethod
    def _plural_of(obj):
        for plural, info in RESOURCES.items():
            if info[2] == obj.get('kind') and _api_version(plural) == obj.get('apiVersion'):
                return plural
        raise ApiError(400, 'BadRequest', 'unknown kind %s %s' % (obj.get('apiVersion'), obj.get('kind')))

    def _next_rv(self):
        self._rv += 1
        return str(self._rv)

    def _write(self, plural, namespace, name, obj, old=None, dry_run=False, settled=False, status_write=False):
        """Validate and store ``obj`` (create when ``old`` is None); returns the stored object.

        ``status_write``: a write through the status subresource (only then may an Ingress's status change).
        """
        group, _version, kind, namespaced, _short = RESOURCES[plural]
        obj = copy.deepcopy(obj)
        meta = obj.setdefault('metadata', {})
        obj['apiVersion'], obj['kind'] = _api_version(plural), kind
        if name is not None and meta.get('name', name) != name:
            raise ApiError(400, 'BadRequest', 'the name of the object (%s) does not match the name on the URL (%s)'
                           % (meta.get('name'), name))
        name = meta.get('name') or name
        if not name and meta.get('generateName'):
            name = meta['generateName'] + uuid.uuid4().hex[:5]
        if not name:
            raise ApiError(422, 'Invalid', '%s "" is invalid: metadata.name: Required value: name or generateName is required'
                           % kind, {'kind': kind})
        ns = (namespace or meta.get('namespace') or 'default') if namespaced else ''
        if namespaced and namespace and meta.get('namespace', namespace) != namespace:
            raise ApiError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request')
        if namespaced and ('namespaces', '', ns) not in self._objects:
            raise _not_found('namespaces', ns)
        meta['name'] = name
        if namespaced:
            meta['namespace'] = ns
        else:
            meta.pop('namespace', None)
        if old is None:
            if (plural, ns, name) in self._objects:
                raise ApiError(409, 'AlreadyExists', '%s "%s" already exists' % (_qualified(plural), name),
                               {'name': name, 'group': group, 'kind': plural})
            meta.update(uid=str(uuid.uuid4()), creationTimestamp=_now())
            meta.pop('resourceVersion', None)
            if 'spec' in obj and plural != 'pods':
                meta['generation'] = 1
        else:
            if meta.get('resourceVersion') and meta['resourceVersion'] != old['metadata']['resourceVersion']:
                raise _conflict(plural, name)
            for key in ('uid', 'creationTimestamp', 'generation', 'deletionTimestamp'):
                if key in old['metadata']:
                    meta[key] = old['metadata'][key]
                else:
                    meta.pop(key, None)
            if 'generation' in meta and obj.get('spec') != old.get('spec'):
                meta['generation'] += 1
            if plural == 'deployments' or plural in _KEEP_STATUS and not status_write:
                obj.pop('status', None)   # computed, never written by clients
                if 'status' in old or plural == 'deployments':
                    obj['status'] = old.get('status', {})
        if plural == 'deployments':
            self._default_deployment(obj, old)
        if dry_run:
            meta['resourceVersion'] = old['metadata']['resourceVersion'] if old else ''
            return obj
        if old is not None and _without_rv(obj) == _without_rv(old):
            return old   # a write that changes nothing keeps the resourceVersion, as the real API server does
        meta['resourceVersion'] = self._next_rv()
        self._objects[(plural, ns, name)] = obj
        if plural == 'deployments':
            self._sync_deployment(obj, time.time(), settled=settled)
        return obj

    @staticmethod
    def _default_deployment(obj, old):
        spec = obj.setdefault('spec', {})
        if not isinstance(spec.get('replicas', 1), int) or spec.get('replicas', 1) < 0:
            raise ApiError(422, 'Invalid', 'Deployment.apps "%s" is invalid: spec.replicas: Invalid value: %r: must be '
                           'greater than or equal to 0' % (obj['metadata']['name'], spec.get('replicas')),
                           {'name': obj['metadata']['name'], 'group': 'apps', 'kind': 'Deployment'})
        spec.setdefault('replicas', 1)
        spec.setdefault('revisionHistoryLimit', 10)
        spec.setdefault('progressDeadlineSeconds', 600)
        spec.setdefault('strategy', {'type': 'RollingUpdate', 'rollingUpdate': {'maxSurge': '25%', 'maxUnavailable': '25%'}})
        selector = spec.get('selector', {}).get('matchLabels')
        labels = spec.get('template', {}).get('metadata', {}).get('labels') or {}
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            raise ApiError(422, 'Invalid', 'Deployment.apps "%s" is invalid: spec.template.metadata.labels: Invalid value: '
                           '`selector` does not match template `labels`' % obj['metadata']['name'],
                           {'name': obj['metadata']['name'], 'group': 'apps', 'kind': 'Deployment'})
        if old is not None and old['spec'].get('selector') != spec['selector']:
            raise ApiError(422, 'Invalid', 'Deployment.apps "%s" is invalid: spec.selector: Invalid value: field is immutable'
                           % obj['metadata']['name'], {'name': obj['metadata']['name'], 'group': 'apps', 'kind': 'Deployment'})
        obj['metadata'].setdefault('annotations', {}).setdefault('deployment.kubernetes.io/revision', '1')
        obj.setdefault('status', {})

    def _delete(self, plural, ns, name):
        obj = self._objects.pop((plural, ns, name), None)
        if obj is None:
            raise _not_found(plural, name)
        now = time.time()
        if plural == 'namespaces':
            for key in [k for k in self._objects if k[1] == name]:
                self._objects.pop(key)
        elif plural == 'deployments':
            for pod in self._pods_of(obj):
                self._terminate(pod, now)
        elif plural == 'pods':
            self._objects[(plural, ns, name)] = obj
            self._terminate(obj, now)
        return obj

    # ---- deployments, pods and their lagging status -----------------------
    def _pods_of(self, dep):
        uid = dep['metadata']['uid']
        return [o for (p, _ns, _n), o in sorted(self._objects.items(), key=lambda kv: kv[1]['metadata']['creationTimestamp'])
                if p == 'pods' and any(r.get('uid') == uid for r in o['metadata'].get('ownerReferences', []))]

    def _terminate(self, pod, now):
        if 'deletionTimestamp' not in pod['metadata']:
            pod['metadata'].update(deletionTimestamp=_now(), deletionGracePeriodSeconds=30, resourceVersion=self._next_rv())
            self._pod_timing.setdefault(pod['metadata']['uid'], {})['gone_at'] = self._after_delay(now)

    def _sync(self):
        now = time.time()
        for key, obj in list(self._objects.items()):
            if key[0] == 'pods' and self._pod_timing.get(obj['metadata']['uid'], {}).get('gone_at', now + 1) <= now:
                del self._objects[key]
                self._pod_timing.pop(obj['metadata']['uid'], None)
        for key, obj in list(self._objects.items()):
            if key[0] == 'deployments':
                self._sync_deployment(obj, now)

    def _sync_deployment(self, dep, now, settled=False):
        meta, spec = dep['metadata'], dep['spec']
        tpl_hash = _template_hash(spec.get('template', {}))
        pods = self._pods_of(dep)
        active = [p for p in pods if 'deletionTimestamp' not in p['metadata']]
        for pod in active:
            if pod['metadata']['labels'].get('pod-template-hash') != tpl_hash:
                self._terminate(pod, now)
        active = [p for p in active if 'deletionTimestamp' not in p['metadata']]
        for pod in reversed(active[spec['replicas']:]):
            self._terminate(pod, now)
        for _i in range(spec['replicas'] - len(active)):
            self._new_pod(dep, tpl_hash, now if settled else self._after_delay(now))
        for pod in self._pods_of(dep):
            ready = self._pod_timing[pod['metadata']['uid']]['ready_at'] <= now
            if ready and pod['status']['phase'] == 'Pending':
                pod['status'].update(phase='Running', startTime=_now())
                pod['status']['conditions'] = [{'type': t, 'status': 'True', 'lastTransitionTime': _now()}
                                               for t in ('Initialized', 'Ready', 'ContainersReady', 'PodScheduled')]
                for cstat in pod['status']['containerStatuses']:
                    cstat.update(ready=True, started=True, state={'running': {'startedAt': _now()}},
                                 imageID=cstat['image'] + '@sha256:' + _template_hash(cstat['image']) * 4,
                                 containerID='containerd://' + uuid.uuid4().hex)
                pod['metadata']['resourceVersion'] = self._next_rv()
        pods = self._pods_of(dep)
        live = [p for p in pods if 'deletionTimestamp' not in p['metadata']]
        counted = pods if self.lagging_status else live
        ready = sum(1 for p in counted if p['status']['phase'] == 'Running')
        available_ok = ready >= spec['replicas'] - int(spec['replicas'] * 0.25)
        status = {'observedGeneration': meta.get('generation', 1), 'replicas': len(counted), 'updatedReplicas': sum(
            1 for p in live if p['metadata']['labels'].get('pod-template-hash') == tpl_hash), 'readyReplicas': ready,
            'availableReplicas': ready, 'unavailableReplicas': max(0, spec['replicas'] - ready),
            'terminatingReplicas': 0 if self.lagging_status else len(pods) - len(live)}
        status = {k: v for k, v in status.items() if v}  # omitempty, as the real API
        settled_now = len(pods) == len(live) == spec['replicas'] == ready
        old = dep.get('status', {})
        conds = {c['type']: c for c in old.get('conditions', [])}
        rs_name = '%s-%s' % (meta['name'], tpl_hash)
        wanted = [('Available', str(available_ok), 'MinimumReplicasAvailable' if available_ok else 'MinimumReplicasUnavailable',
                   'Deployment %s minimum availability.' % ('has' if available_ok else 'does not have')),
                  ('Progressing', 'True', 'NewReplicaSetAvailable' if settled_now else 'ReplicaSetUpdated',
                   'ReplicaSet "%s" %s.' % (rs_name, 'has successfully progressed' if settled_now else 'is progressing'))]
        for ctype, ok, reason, msg in wanted:
            prev = conds.get(ctype, {})
            same = prev.get('status') == ok
            conds[ctype] = {'type': ctype, 'status': ok, 'reason': reason, 'message': msg,
                            'lastTransitionTime': prev['lastTransitionTime'] if same else _now(),
                            'lastUpdateTime': prev['lastUpdateTime'] if same and prev.get('reason') == reason else _now()}
        status['conditions'] = [conds['Available'], conds['Progressing']]
        if status != old:
            dep['status'] = status
            meta['resourceVersion'] = self._next_rv()

    def _new_pod(self, dep, tpl_hash, ready_at):
        template = copy.deepcopy(dep['spec'].get('template', {}))
        name = '%s-%s-%s' % (dep['metadata']['name'], tpl_hash, uuid.uuid4().hex[:5])
        labels = dict(template.get('metadata', {}).get('labels') or {}, **{'pod-template-hash': tpl_hash})
        pod_spec = template.get('spec', {})
        pod = {'apiVersion': 'v1', 'kind': 'Pod', 'spec': pod_spec, 'metadata': {
            'name': name, 'namespace': dep['metadata']['namespace'], 'labels': labels,
            'annotations': dict(template.get('metadata', {}).get('annotations') or {}),
            'ownerReferences': [{'apiVersion': 'apps/v1', 'kind': 'ReplicaSet', 'name': '%s-%s' % (dep['metadata']['name'], tpl_hash),
                                 'uid': dep['metadata']['uid'], 'controller': True, 'blockOwnerDeletion': True}],
            'uid': str(uuid.uuid4()), 'creationTimestamp': _now(), 'resourceVersion': self._next_rv()},
            'status': {'phase': 'Pending', 'podIP': '10.0.%d.%d' % (self._rv // 250 % 250, self._rv % 250 + 1),
                       'conditions': [{'type': 'PodScheduled', 'status': 'True', 'lastTransitionTime': _now()}],
                       'containerStatuses': [{'name': c.get('name'), 'image': c.get('image'), 'imageID': '', 'ready': False, 'restartCount': 0,
                                              'started': False, 'state': {'waiting': {'reason': 'ContainerCreating'}}}
                                             for c in pod_spec.get('containers', [])]}}
        self._objects[('pods', pod['metadata']['namespace'], name)] = pod
        self._pod_timing[pod['metadata']['uid']] = {'ready_at': ready_at}

    # ---- HTTP API --------------------------------------------------------
    def discovery(self, path):
        groups = collections.OrderedDict()
        for plural, (group, version, _k, _n, _s) in RESOURCES.items():
            groups.setdefault((group, version), []).append(plural)
        if path == '/version':
            return {'major': '1', 'minor': '31', 'gitVersion': 'v1.31.0-sandbox', 'gitCommit': 'sandbox', 'gitTreeState': 'clean',
                    'buildDate': '2024-01-01T00:00:00Z', 'goVersion': 'go1.22.0', 'compiler': 'gc', 'platform': 'linux/amd64'}
        if path == '/api':
            return {'kind': 'APIVersions', 'versions': ['v1'],
                    'serverAddressByClientCIDRs': [{'clientCIDR': '0.0.0.0/0', 'serverAddress': '%s:%d' % (self.host, self.port)}]}
        group_docs = [{'name': g, 'versions': [{'groupVersion': '%s/%s' % (g, v), 'version': v}],
                       'preferredVersion': {'groupVersion': '%s/%s' % (g, v), 'version': v}} for g, v in groups if g]
        if path == '/apis':
            return {'kind': 'APIGroupList', 'apiVersion': 'v1', 'groups': group_docs}
        for doc in group_docs:
            if path == '/apis/' + doc['name']:
                return dict(doc, kind='APIGroup', apiVersion='v1')
        for (group, version), plurals in groups.items():
            if path == ('/apis/%s/%s' % (group, version) if group else '/api/' + version):
                resources = []
                for plural in plurals:
                    kind, namespaced, short = RESOURCES[plural][2:]
                    resources.append({'name': plural, 'singularName': kind.lower(), 'namespaced': namespaced, 'kind': kind,
                                      'verbs': VERBS, 'shortNames': short, 'storageVersionHash': _template_hash(plural)})
                    for sub in SUBRESOURCES.get(plural, []):
                        res = {'name': '%s/%s' % (plural, sub), 'singularName': '', 'namespaced': namespaced,
                               'kind': kind, 'verbs': ['get', 'patch', 'update']}
                        if sub == 'scale':
                            res.update(group='autoscaling', version='v1', kind='Scale')
                        resources.append(res)
                return {'kind': 'APIResourceList', 'apiVersion': 'v1', 'groupVersion': _api_version(plurals[0]),
                        'resources': resources}
        return None

    def route(self, path):
        """-> (plural, namespace, name, subresource) or None."""
        parts = path.strip('/').split('/')
        if parts[0] == 'api' and len(parts) >= 3:
            group, version, rest = '', parts[1], parts[2:]
        elif parts[0] == 'apis' and len(parts) >= 4:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return None
        namespace = None
        if len(rest) >= 3 and rest[0] == 'namespaces' and rest[2] in RESOURCES:
            namespace, rest = rest[1], rest[2:]
        plural = rest[0]
        if plural not in RESOURCES or RESOURCES[plural][:2] != (group, version) or len(rest) > 3:
            return None
        if namespace is not None and not RESOURCES[plural][3]:
            return None
        return plural, namespace, (rest[1] if len(rest) > 1 else None), (rest[2] if len(rest) > 2 else None)

    def handle(self, method, plural, namespace, name, sub, query, body, content_type):
        """One resource request -> (code, a copy of the object to send)."""
        with self._lock:
            self._sync()
            code, obj = self._handle(method, plural, namespace, name, sub, query, body, content_type)
            answer = code, copy.deepcopy(obj)
        if method in ('POST', 'PUT', 'PATCH', 'DELETE') and code < 400:
            for listener in list(self.write_listeners):
                listener()
        return answer

    def _handle(self, method, plural, namespace, name, sub, query, body, content_type):
        dry_run = 'All' in query.get('dryRun', [])
        if method in ('POST', 'PUT', 'PATCH') and not isinstance(body, (dict, list)) or method in ('POST', 'PUT') and not isinstance(body, dict):
            raise ApiError(400, 'BadRequest', 'the body of the request was in an unknown format')
        if plural in self._conflict_plurals and method in ('POST', 'PUT', 'PATCH') and self._conflicts > 0 and not dry_run:
            self._conflicts -= 1
            raise _conflict(plural, name or body.get('metadata', {}).get('name', ''))
        if method == 'GET' and name is None:
            listed = self._list(plural, namespace, query)
            if plural == 'pods' and self._release_after_lists is not None:
                self._release_after_lists -= 1
                if self._release_after_lists <= 0:
                    self.release_pods()
            return 200, listed
        if method == 'POST' and name is None:
            return 201, self._write(plural, namespace, None, body, dry_run=dry_run)
        if method == 'DELETE' and name is None:
            items = self._list(plural, namespace, query)['items']
            for item in items:
                self._delete(plural, item['metadata'].get('namespace', ''), item['metadata']['name'])
            return 200, dict(self._list(plural, namespace, {}), items=items)
        key = (plural, namespace or '', name)
        old = self._objects.get(key)
        if old is None and not (method == 'PATCH' and 'apply-patch' in content_type):
            raise _not_found(plural, name)
        if sub == 'scale':
            return self._scale(method, plural, old, body, content_type, dry_run)
        if sub not in (None, 'status'):
            raise _not_found(plural, name)
        if method == 'GET':
            return 200, old
        if method == 'DELETE':
            self._delete(*key)
            return 200, {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Success', 'details': {
                'name': name, 'group': RESOURCES[plural][0], 'kind': plural, 'uid': old['metadata']['uid']}}
        if method == 'PUT':
            if sub == 'status':
                body = dict(old, status=body.get('status', {}), metadata=dict(old['metadata'], **{
                    'resourceVersion': body.get('metadata', {}).get('resourceVersion', old['metadata']['resourceVersion'])}))
            return 200, self._write(plural, namespace, name, body, old=old, dry_run=dry_run, status_write=sub == 'status')
        if method == 'PATCH':
            if old is None:
                return 201, self._write(plural, namespace, name, self._apply_patch({}, body, content_type), dry_run=dry_run)
            new = self._apply_patch(old, body, content_type)
            if sub == 'status' and plural in _KEEP_STATUS:
                new = dict(old, status=new.get('status', {}), metadata=dict(old['metadata'], resourceVersion=(
                    new.get('metadata') or {}).get('resourceVersion', old['metadata']['resourceVersion'])))
            return 200, self._write(plural, namespace, name, new, old=old, dry_run=dry_run, status_write=sub == 'status')
        raise ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')

    @staticmethod
    def _apply_patch(old, body, content_type):
        try:
            if 'json-patch' in content_type:
                new = json_patch(old, body)
            else:
                new = merge_patch(old, body, strategic='strategic-merge' in content_type)
        except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
            raise ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request: %s' % exc) from exc
        if not isinstance(new, dict):
            raise ApiError(400, 'BadRequest', 'the patch did not produce an object')
        return new

    def _scale_of(self, dep):
        meta = dep['metadata']
        selector = ','.join('%s=%s' % kv for kv in sorted(dep['spec']['selector']['matchLabels'].items()))
        return {'kind': 'Scale', 'apiVersion': 'autoscaling/v1', 'metadata': {
            k: meta[k] for k in ('name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp')},
            'spec': {'replicas': dep['spec']['replicas']},
            'status': {'replicas': dep['status'].get('replicas', 0), 'selector': selector}}

    def _scale(self, method, plural, dep, body, content_type, dry_run):
        if plural != 'deployments':
            raise _not_found(plural, dep['metadata']['name'])
        if method == 'GET':
            return 200, self._scale_of(dep)
        if method not in ('PUT', 'PATCH'):
            raise ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')
        scale = body if method == 'PUT' else self._apply_patch(self._scale_of(dep), body, content_type)
        wanted_rv = (scale.get('metadata') or {}).get('resourceVersion')
        replicas = (scale.get('spec') or {}).get('replicas')
        if wanted_rv and wanted_rv != dep['metadata']['resourceVersion']:
            raise _conflict(plural, dep['metadata']['name'])
        if method == 'PUT' and replicas is None:
            replicas = 0
        new = copy.deepcopy(dep)
        new['spec']['replicas'] = replicas
        new['metadata'].pop('resourceVersion')
        stored = self._write(plural, dep['metadata']['namespace'], dep['metadata']['name'], new, old=dep, dry_run=dry_run)
        return 200, self._scale_of(stored)

    def _list(self, plural, namespace, query):
        reqs = parse_label_selector((query.get('labelSelector') or [''])[0])
        fields = _field_filter((query.get('fieldSelector') or [''])[0])
        items = [o for (p, ns, _n), o in sorted(self._objects.items()) if p == plural and namespace in (None, ns)
                 and labels_match(o['metadata'].get('labels'), reqs) and fields(o)]
        return {'kind': RESOURCES[plural][2] + 'List', 'apiVersion': _api_version(plural),
                'metadata': {'resourceVersion': str(self._rv)}, 'items': items}

    def watch(self, plural, namespace, query, client_gone=lambda: False):
        """Yield watch events until timeoutSeconds (at most 60) pass, the client leaves or the server stops."""
        timeout = min(int((query.get('timeoutSeconds') or ['30'])[0]), 60)
        since = int((query.get('resourceVersion') or ['0'])[0] or 0)
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline and not self._stopping and not client_gone():
            with self._lock:
                self._sync()
                current = {(o['metadata'].get('namespace'), o['metadata']['name']): copy.deepcopy(o)
                           for o in self._list(plural, namespace, query)['items']}
            for key, obj in current.items():
                rv = obj['metadata']['resourceVersion']
                if seen is None:
                    if since == 0 or int(rv) > since:
                        yield {'type': 'ADDED' if since == 0 else 'MODIFIED', 'object': obj}
                elif key not in seen:
                    yield {'type': 'ADDED', 'object': obj}
                elif seen[key] != rv:
                    yield {'type': 'MODIFIED', 'object': obj}
            if seen is None and (query.get('sendInitialEvents') or [''])[0] == 'true':
                yield {'type': 'BOOKMARK', 'object': {'kind': RESOURCES[plural][2], 'apiVersion': _api_version(plural), 'metadata': {
                    'resourceVersion': str(self._rv), 'annotations': {'k8s.io/initial-events-end': 'true'}}}}
            for key in set(seen or ()) - set(current):
                yield {'type': 'DELETED', 'object': {'kind': RESOURCES[plural][2], 'apiVersion': _api_version(plural),
                                                     'metadata': {'name': key[1], 'namespace': key[0]}}}
            seen = {key: obj['metadata']['resourceVersion'] for key, obj in current.items()}
            time.sleep(0.1)

    # ---- seeding ---------------------------------------------------------
    def seed_lbc(self, cluster_name='sandbox', replicas=2, namespace='kube-system', release=LBC_NAME,
                 app_namespace='shop', hosts=('shop.example.test', 'blog.example.test'), alb_hostname=''):
        """The AWS Load Balancer Controller as its Helm chart installs it, plus two ALB Ingresses."""
        chart = {'app.kubernetes.io/name': LBC_NAME, 'app.kubernetes.io/instance': release,
                 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/version': 'v2.13.3',
                 'helm.sh/chart': 'aws-load-balancer-controller-1.13.3'}
        helm = {'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': namespace}
        selector = {'app.kubernetes.io/name': LBC_NAME, 'app.kubernetes.io/instance': release}
        for ns in (namespace, app_namespace):
            if not self.get('namespaces', ns):
                self.create({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': ns}})

        def meta(name, ns=None):
            out = {'name': name, 'labels': dict(chart), 'annotations': dict(helm)}
            return dict(out, namespace=ns) if ns else out
        self.create({'apiVersion': 'v1', 'kind': 'ServiceAccount', 'metadata': meta(LBC_NAME, namespace)})
        self.create({'apiVersion': 'v1', 'kind': 'Service', 'metadata': meta('aws-load-balancer-webhook-service', namespace),
                     'spec': {'selector': selector, 'ports': [{'name': 'webhook-server', 'port': 443, 'targetPort': 'webhook-server'}],
                              'type': 'ClusterIP', 'clusterIP': '172.20.0.10'}})
        self.create({'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': meta(release, namespace), 'spec': {
            'replicas': replicas, 'selector': {'matchLabels': selector},
            'template': {'metadata': {'labels': dict(selector), 'annotations': {'prometheus.io/port': '8080'}}, 'spec': {
                'serviceAccountName': LBC_NAME, 'priorityClassName': 'system-cluster-critical',
                'containers': [{'name': LBC_NAME, 'image': 'public.ecr.aws/eks/aws-load-balancer-controller:v2.13.3',
                                'args': ['--cluster-name=%s' % cluster_name, '--ingress-class=alb'],
                                'ports': [{'name': 'webhook-server', 'containerPort': 9443, 'protocol': 'TCP'},
                                          {'name': 'metrics-server', 'containerPort': 8080, 'protocol': 'TCP'}]}]}}}})

        def hook(name, path, rules, **extra):
            return dict({'name': name, 'admissionReviewVersions': ['v1beta1'], 'sideEffects': 'None', 'failurePolicy': 'Fail',
                         'matchPolicy': 'Equivalent', 'timeoutSeconds': 10,
                         'clientConfig': {'service': {'name': 'aws-load-balancer-webhook-service', 'namespace': namespace,
                                                      'path': path, 'port': 443}, 'caBundle': 'U0FOREJPWA=='},
                         'rules': [dict(r, scope='*') for r in rules]}, **extra)
        not_self = {'objectSelector': {'matchExpressions': [{'key': 'app.kubernetes.io/name', 'operator': 'NotIn',
                                                             'values': [LBC_NAME]}]}}
        tgb = {'apiGroups': ['elbv2.k8s.aws'], 'apiVersions': ['v1beta1'], 'resources': ['targetgroupbindings']}
        self.create({'apiVersion': 'admissionregistration.k8s.io/v1', 'kind': 'MutatingWebhookConfiguration',
                     'metadata': meta('aws-load-balancer-webhook'), 'webhooks': [
                         hook('mpod.elbv2.k8s.aws', '/mutate-v1-pod', [{'apiGroups': [''], 'apiVersions': ['v1'],
                                                                        'operations': ['CREATE'], 'resources': ['pods']}],
                              namespaceSelector={'matchExpressions': [{'key': 'elbv2.k8s.aws/pod-readiness-gate-inject',
                                                                       'operator': 'In', 'values': ['enabled']}]}, **not_self),
                         hook('mservice.elbv2.k8s.aws', '/mutate-v1-service', [{'apiGroups': [''], 'apiVersions': ['v1'],
                                                                                'operations': ['CREATE'], 'resources': ['services']}],
                              **not_self),
                         hook('mtargetgroupbinding.elbv2.k8s.aws', '/mutate-elbv2-k8s-aws-v1beta1-targetgroupbinding',
                              [dict(tgb, operations=['CREATE', 'UPDATE'])])]})
        self.create({'apiVersion': 'admissionregistration.k8s.io/v1', 'kind': 'ValidatingWebhookConfiguration',
                     'metadata': meta('aws-load-balancer-webhook'), 'webhooks': [
                         hook('vingress.elbv2.k8s.aws', '/validate-networking-v1-ingress',
                              [{'apiGroups': ['networking.k8s.io'], 'apiVersions': ['v1'], 'operations': ['CREATE', 'UPDATE'],
                                'resources': ['ingresses']}]),
                         hook('vtargetgroupbinding.elbv2.k8s.aws', '/validate-elbv2-k8s-aws-v1beta1-targetgroupbinding',
                              [dict(tgb, operations=['CREATE', 'UPDATE'])])]})
        self.create({'apiVersion': 'networking.k8s.io/v1', 'kind': 'IngressClass', 'metadata': meta('alb'),
                     'spec': {'controller': 'ingress.k8s.aws/alb'}})
        for host in hosts:
            product = host.split('.', maxsplit=1)[0]
            annotations = {'alb.ingress.kubernetes.io/scheme': 'internet-facing', 'alb.ingress.kubernetes.io/target-type': 'ip',
                           'alb.ingress.kubernetes.io/group.name': app_namespace,
                           'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP": 80}, {"HTTPS": 443}]'}
            backend = {'service': {'name': product + '-web', 'port': {'number': 80}}}
            self.create({'apiVersion': 'networking.k8s.io/v1', 'kind': 'Ingress', 'metadata': {
                'name': product, 'namespace': app_namespace, 'labels': {'app.kubernetes.io/name': product}, 'annotations': annotations},
                'spec': {'ingressClassName': 'alb', 'rules': [
                    {'host': host, 'http': {'paths': [{'path': '/', 'pathType': 'Prefix', 'backend': backend}]}}]},
                'status': {'loadBalancer': {'ingress': [{'hostname': alb_hostname}] if alb_hostname else []}}})
        return self.get('deployments', release, namespace)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    api = None  # set on the bound subclass

    def setup(self):
        super().setup()
        self.api._connections.add(self.connection)  # pylint: disable=protected-access

    def finish(self):
        self.api._connections.discard(self.connection)  # pylint: disable=protected-access
        super().finish()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def _send(self, code, obj, content_type='application/json'):
        data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return code

    def _dispatch(self):
        api = self.api
        url = urlsplit(self.path)
        path = url.path.rstrip('/') or '/'
        query = parse_qs(url.query, keep_blank_values=True)
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        code = 500
        try:
            code = self._respond(api, path, query, raw)
        except ApiError as exc:
            code = self._send(exc.code, exc.status())
        except (BrokenPipeError, ConnectionResetError):
            code = 499
        finally:
            with api._lock:  # pylint: disable=protected-access
                api.request_log.append(LoggedRequest(self.command, path, url.query, code))

    def _respond(self, api, path, query, raw):
        auth = self.headers.get('Authorization')
        public = path in ('/version', '/healthz', '/livez', '/readyz')
        if api.required_token and (auth != 'Bearer ' + api.required_token) and not (public and auth is None):
            raise ApiError(401, 'Unauthorized', 'Unauthorized')
        if path in ('/healthz', '/livez', '/readyz'):
            return self._send(200, b'ok', 'text/plain')
        doc = api.discovery(path) if self.command == 'GET' else None
        if doc is not None:
            return self._send(200, doc)
        target = api.route(path)
        if target is None:
            api.unknown_requests.append((self.command, self.path))
            raise ApiError(404, 'NotFound', 'the server could not find the requested resource')
        if api._forbidden:  # pylint: disable=protected-access
            raise ApiError(403, 'Forbidden', '%s is forbidden: User "sandbox" cannot %s resource "%s" in API group "%s"' % (
                target[0], self.command.lower(), target[0], RESOURCES[target[0]][0]))
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                try:
                    import yaml  # pylint: disable=import-outside-toplevel
                    body = yaml.safe_load(raw)
                except (ImportError, ValueError) as exc:
                    raise ApiError(400, 'BadRequest', 'the body of the request could not be decoded: %s' % exc) from exc
        if self.command == 'GET' and (query.get('watch') or [''])[0] in ('true', '1'):
            return self._watch(api, target, query)
        code, obj = api.handle(self.command, *target, query, body, self.headers.get('Content-Type') or '')
        if self.command == 'GET' and 'as=Table' in (self.headers.get('Accept') or ''):
            obj = _table(target[0], obj)
        return self._send(code, obj)

    def _watch(self, api, target, query):
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()
        plural, namespace, name, _sub = target
        if name:
            query = dict(query, fieldSelector=['metadata.name=' + name])
        for event in api.watch(plural, namespace, query, self._client_gone):
            data = json.dumps(event).encode() + b'\n'
            self.wfile.write(b'%x\r\n%s\r\n' % (len(data), data))
            self.wfile.flush()
        self.wfile.write(b'0\r\n\r\n')
        self.close_connection = True
        return 200

    def _client_gone(self):
        try:
            readable = select.select([self.connection], [], [], 0)[0]
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b''
        except OSError:
            return True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch


def _age(meta):
    created = datetime.datetime.strptime(meta['creationTimestamp'], '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc)
    secs = int((datetime.datetime.now(datetime.timezone.utc) - created).total_seconds())
    return '%ds' % secs if secs < 120 else '%dm' % (secs // 60)


def _table(plural, obj):
    """meta.k8s.io/v1 Table for kubectl's default output."""
    items = obj['items'] if 'items' in obj else [obj]
    cols = [('Name', 'string')]
    if plural == 'deployments':
        cols += [('Ready', 'string'), ('Up-to-date', 'integer'), ('Available', 'integer')]
    elif plural == 'pods':
        cols += [('Ready', 'string'), ('Status', 'string'), ('Restarts', 'integer')]
    cols.append(('Age', 'string'))
    rows = []
    for item in items:
        meta, status = item['metadata'], item.get('status', {})
        cells = [meta['name']]
        if plural == 'deployments':
            cells += ['%d/%d' % (status.get('readyReplicas', 0), item['spec']['replicas']),
                      status.get('updatedReplicas', 0), status.get('availableReplicas', 0)]
        elif plural == 'pods':
            ready = sum(1 for c in status.get('containerStatuses', []) if c.get('ready'))
            cells += ['%d/%d' % (ready, len(status.get('containerStatuses', []))),
                      'Terminating' if 'deletionTimestamp' in meta else status.get('phase'), 0]
        cells.append(_age(meta))
        rows.append({'cells': cells, 'object': {'kind': 'PartialObjectMetadata', 'apiVersion': 'meta.k8s.io/v1', 'metadata': meta}})
    return {'kind': 'Table', 'apiVersion': 'meta.k8s.io/v1', 'metadata': {'resourceVersion': obj['metadata'].get('resourceVersion', '')},
            'columnDefinitions': [{'name': n, 'type': t, 'format': 'name' if n == 'Name' else '', 'description': '', 'priority': 0}
                                  for n, t in cols], 'rows': rows}
