"""A fault-injecting HTTP proxy for the sandbox: between the modules and moto, or the stand-in Kubernetes API.

Every request is forwarded to ``upstream`` unless a rule says otherwise. A
rule names the calls it applies to (an operation name, a set of names, or a
predicate on the call) and which of them (the N-th matching call, some of
them, every one, or a fraction drawn from a seeded RNG), and what happens:

- ``throttle``: the service's throttling error (ELBv2 and the other query
  APIs: ``Throttling``, XML, 400; JSON APIs: ``ThrottlingException``; REST
  JSON APIs such as EventBridge Scheduler: ``ThrottlingException``, 429;
  CloudFront: ``Throttling``, XML, 400; S3: ``SlowDown``, 503; Kubernetes:
  429 ``TooManyRequests``). ``code`` overrides the error code (for
  ``TooManyRequestsException``, say);
- ``500`` / ``503``: a server error with the service's error body
  (``InternalFailure`` / ``ServiceUnavailable``; Kubernetes: a Status);
- ``drop_before``: the connection is closed before the request reaches the
  server (nothing was done);
- ``drop_after``: the request reaches the server, its answer is read and the
  connection closed instead of answering (the write happened, the answer is
  lost);
- ``hold``: the call waits until the test calls ``rule.release()`` (the rule
  says ``arrived`` when a call is waiting), then goes on; ``then`` may add a
  fault after the release. Holds are bounded by ``hold_timeout``: a test that
  forgets to release fails instead of hanging.

Every call is recorded in ``calls`` (index, operation, params, fault applied,
status), so a test can check what was retried and in which order. Operations
are named by ``namer``: AWS requests as the counting proxy names them
(``Action`` of query APIs, ``X-Amz-Target``, REST paths), Kubernetes
requests as RBAC sees them (``patch deployments/scale``, ``create ingresses``).
Responses are read whole and sent with a Content-Length: no watch streams.
"""
import http.client
import json
import random
import re
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.sandbox.counting_proxy import operation_name
from tests.sandbox.ports import free_port

_HOP_BY_HOP = {'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade',
               'proxy-authorization', 'proxy-authenticate'}
FAULTS = ('throttle', '500', '503', 'drop_before', 'drop_after', 'hold')
_DROPS = ('drop_before', 'drop_after')


class Call:
    """One request seen by the proxy."""

    def __init__(self, index, op, method, path, params):
        self.index = index
        self.op = op
        self.method = method
        self.path = path
        self.params = params
        self.fault = None
        self.status = None

    def __repr__(self):
        return 'Call(%d, %s, fault=%s, status=%s)' % (self.index, self.op, self.fault, self.status)


# --- naming and error bodies -------------------------------------------------------------------------------------

def aws_protocol(method, path, headers):
    """query, json, rest-json, rest-xml or s3: how the service wants its errors."""
    ctype = headers.get('Content-Type', '') or ''
    if method == 'POST' and 'x-www-form-urlencoded' in ctype:
        return 'query'
    if headers.get('X-Amz-Target'):
        return 'json'
    parsed = urllib.parse.urlsplit(path).path
    if parsed.startswith('/2020-05-31/'):
        return 'rest-xml'
    if parsed.startswith('/schedules') or parsed.startswith('/schedule-groups'):
        return 'rest-json'
    return 's3'


def aws_params(method, path, body, headers):
    """The request's parameters as a flat dict: form fields of query APIs, the JSON body of JSON APIs."""
    if aws_protocol(method, path, headers) == 'query':
        return dict((k, v[0]) for k, v in urllib.parse.parse_qs(body.decode('utf-8', 'replace')).items())
    if body[:1] == b'{':
        try:
            return json.loads(body.decode('utf-8'))
        except ValueError:
            return {}
    return {}


def aws_error(fault, method, path, headers, code=None):
    """(status, headers, body) of an AWS error answer for ``fault`` in the request's protocol."""
    protocol = aws_protocol(method, path, headers)
    if fault == 'throttle':
        status, default = {'query': (400, 'Throttling'), 'json': (400, 'ThrottlingException'),
                           'rest-json': (429, 'ThrottlingException'), 'rest-xml': (400, 'Throttling'),
                           's3': (503, 'SlowDown')}[protocol]
    elif fault == '500':
        status, default = 500, 'InternalError' if protocol == 's3' else 'InternalFailure'
    else:
        status, default = 503, 'ServiceUnavailable'
    code = code or default
    message = 'Injected by the sandbox fault proxy'
    if protocol in ('json', 'rest-json'):
        body = json.dumps({'__type': code, 'message': message}).encode()
        return status, {'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': code,
                        'x-amzn-RequestId': 'fault-proxy'}, body
    if protocol == 's3':
        body = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message>'
                '<RequestId>fault-proxy</RequestId></Error>' % (code, message)).encode()
        return status, {'Content-Type': 'application/xml'}, body
    body = ('<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>'
            '<RequestId>fault-proxy</RequestId></ErrorResponse>'
            % ('Sender' if status < 500 else 'Receiver', code, message)).encode()
    return status, {'Content-Type': 'text/xml', 'x-amzn-RequestId': 'fault-proxy'}, body


def aws_name(method, path, body, headers):
    """The counting proxy's names, and EventBridge Scheduler's REST operations by path."""
    parts = [p for p in urllib.parse.urlsplit(path).path.split('/') if p]
    if parts and parts[0] in ('schedules', 'schedule-groups'):
        noun = 'Schedule' if parts[0] == 'schedules' else 'ScheduleGroup'
        if len(parts) == 1:
            return 'List%ss' % noun
        return {'GET': 'Get', 'POST': 'Create', 'PUT': 'Update', 'DELETE': 'Delete'}.get(method, method.title()) + noun
    return operation_name(method, path, body, headers)


_K8S_PATH = re.compile(r'^/(?:api/v1|apis/[^/]+/[^/]+)(?:/namespaces/(?P<ns>[^/]+))?/(?P<plural>[^/]+)'
                       r'(?:/(?P<name>[^/]+))?(?:/(?P<sub>[^/]+))?$')


def k8s_name(method, path, body, headers):  # pylint: disable=unused-argument
    """'<verb> <resource>[/<subresource>]' as RBAC names it: 'patch deployments/scale', 'list ingresses'."""
    parsed = urllib.parse.urlsplit(path)
    found = _K8S_PATH.match(parsed.path.rstrip('/'))
    if not found or found.group('plural') == 'namespaces' and not found.group('ns') and found.group('sub'):
        return '%s %s' % (method.lower(), parsed.path)
    plural, name, sub = found.group('plural'), found.group('name'), found.group('sub')
    verb = {'GET': 'get' if name else 'list', 'POST': 'create', 'PUT': 'update', 'PATCH': 'patch',
            'DELETE': 'delete'}.get(method, method.lower())
    return '%s %s%s' % (verb, plural, '/' + sub if sub else '')


def k8s_params(method, path, body, headers):  # pylint: disable=unused-argument
    found = _K8S_PATH.match(urllib.parse.urlsplit(path).path.rstrip('/'))
    params = dict(found.groupdict()) if found else {}
    if body[:1] in (b'{', b'['):
        try:
            params['body'] = json.loads(body.decode('utf-8'))
        except ValueError:
            pass
    return params


def k8s_error(fault, method, path, headers, code=None):  # pylint: disable=unused-argument
    status, reason = {'throttle': (429, 'TooManyRequests'), '500': (500, 'InternalError'),
                      '503': (503, 'ServiceUnavailable')}[fault]
    body = json.dumps({'kind': 'Status', 'apiVersion': 'v1', 'status': 'Failure', 'reason': code or reason,
                       'message': 'Injected by the sandbox fault proxy', 'code': status}).encode()
    return status, {'Content-Type': 'application/json'}, body


# --- rules -------------------------------------------------------------------------------------------------------

class Rule:
    """Which calls get which fault. ``op``: a name, a collection of names or None (any); ``match``:
    predicate(call) -> bool; ``nth``: a call number or a collection of them (1 = the first matching call);
    ``every``: all matching calls; ``fraction`` with ``seed``: that share of them, repeatably; ``every_nth``:
    every that many-th matching call (20: the 20th, 40th, ...; a deterministic 5 %)."""

    def __init__(self, fault, op=None, match=None, nth=None, every=False, fraction=None, seed=0, code=None,
                 then=None, hold_timeout=30.0, every_nth=None):
        if fault not in FAULTS:
            raise ValueError('fault must be one of %s, got %r' % (', '.join(FAULTS), fault))
        if sum(1 for chosen in (nth is not None, every, fraction is not None, every_nth is not None) if chosen) != 1:
            raise ValueError('give exactly one of nth, every, fraction, every_nth')
        if every_nth is not None and (not isinstance(every_nth, int) or every_nth < 1):
            raise ValueError('every_nth is a whole number of calls, 1 or more, got %r' % (every_nth,))
        if then is not None and (fault != 'hold' or then not in FAULTS or then == 'hold'):
            raise ValueError('then is a fault other than hold, after a hold')
        self.fault = fault
        self.ops = None if op is None else frozenset([op] if isinstance(op, str) else op)
        self.match = match
        self.nth = None if nth is None else frozenset([nth] if isinstance(nth, int) else nth)
        self.every = every
        self.fraction = fraction
        self.every_nth = every_nth
        self._rng = random.Random(seed)
        self.code = code
        self.then = then
        self.hold_timeout = hold_timeout
        self.seen = 0          # matching calls so far
        self.hits = []         # the calls this rule applied to
        self.arrived = threading.Event()
        self._released = threading.Event()
        self.enabled = True

    def matches(self, call):
        if not self.enabled or self.ops is not None and call.op not in self.ops:
            return False
        return self.match is None or bool(self.match(call))

    def chooses(self):
        """Called once per matching call, in arrival order (under the proxy's lock)."""
        self.seen += 1
        if self.every:
            return True
        if self.nth is not None:
            return self.seen in self.nth
        if self.every_nth is not None:
            return self.seen % self.every_nth == 0
        return self._rng.random() < self.fraction

    def release(self):
        self._released.set()

    def wait_released(self):
        if not self._released.wait(self.hold_timeout):
            raise RuntimeError('a held call was never released (%.0f s)' % self.hold_timeout)


class FaultProxy:
    """Listens on 127.0.0.1 (a free port) and forwards to ``upstream`` unless a rule applies."""

    def __init__(self, upstream, namer=aws_name, params=aws_params, error=aws_error, host='127.0.0.1'):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.host = host
        self.port = free_port(host)
        self.url = 'http://%s:%d' % (host, self.port)
        self.namer, self.params, self.error = namer, params, error
        self.rules = []
        self.calls = []
        self._lock = threading.Lock()
        self._server = None

    @classmethod
    def for_k8s(cls, upstream):
        return cls(upstream, namer=k8s_name, params=k8s_params, error=k8s_error)

    def inject(self, fault, op=None, **kwargs):
        """Adds a rule (see Rule); returns it. Each rule counts the calls it matches; when several choose a call,
        the first added applies."""
        rule = Rule(fault, op=op, **kwargs)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self):
        """Drops every rule (a held call waiting on one is released) and the record of calls."""
        with self._lock:
            for rule in self.rules:
                rule.enabled = False
                rule.release()
            del self.rules[:]
            del self.calls[:]

    def ops(self, fault=False):
        """The operations called, in order; with fault=True, (operation, fault) pairs."""
        with self._lock:
            return [(c.op, c.fault) if fault else c.op for c in self.calls]

    def faulted(self):
        with self._lock:
            return [c for c in self.calls if c.fault]

    def _admit(self, method, path, body, headers):
        op = self.namer(method, path, body, headers)
        params = self.params(method, path, body, headers)
        with self._lock:
            call = Call(len(self.calls) + 1, op, method, path, params)
            self.calls.append(call)
            chosen = None
            for rule in self.rules:  # every rule counts the calls it matches, whichever rule applies
                if rule.matches(call) and rule.chooses() and chosen is None:
                    chosen = rule
            if chosen is not None:
                chosen.hits.append(call)
                call.fault = chosen.fault
        return call, chosen

    def start(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

            def _drop(self):
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

            def _answer(self, status, headers, data):
                self.send_response(status)
                for key, value in headers:
                    if key.lower() not in _HOP_BY_HOP and key.lower() != 'content-length':
                        self.send_header(key, value)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                if self.command != 'HEAD':
                    self.wfile.write(data)

            def _forward(self, body):
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
                try:
                    headers = dict((k, v) for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP)
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    return resp.status, resp.getheaders(), resp.read()
                finally:
                    conn.close()

            def _handle(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                call, rule = proxy._admit(self.command, self.path, body, self.headers)  # pylint: disable=protected-access
                fault = rule.fault if rule else None
                if fault == 'hold':
                    rule.arrived.set()
                    rule.wait_released()
                    fault = rule.then
                    if fault:
                        call.fault = 'hold+' + fault
                if fault == 'drop_before':
                    call.status = 'dropped'
                    return self._drop()
                if fault in ('throttle', '500', '503'):
                    status, headers, data = proxy.error(fault, self.command, self.path, self.headers, rule.code)
                    call.status = status
                    return self._answer(status, list(headers.items()), data)
                status, headers, data = self._forward(body)
                if fault == 'drop_after':
                    call.status = 'lost %d' % status
                    return self._drop()
                call.status = status
                return self._answer(status, headers, data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name='fault-proxy', daemon=True).start()
        return self

    def stop(self):
        if self._server:
            with self._lock:
                for rule in self.rules:
                    rule.release()
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
