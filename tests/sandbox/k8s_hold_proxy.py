"""A reverse proxy that holds chosen requests until another request has been answered.

Races made deterministic, never by sleeping: each run under test gets its own
proxy (its own port, so the proxy knows whose request it is) in front of the
same server, and the proxies share one ``Timeline``. A test says

    b_wrote = proxy_b.answered('PATCH deployments/aws-load-balancer-controller')
    proxy_a.hold('PATCH deployments/aws-load-balancer-controller', until=b_wrote)

and run A's first matching request waits in the proxy until run B's first
matching request has been answered (its response sent back to B). Requests
are matched by a label, here ``METHOD <plural>[/<name>[/<sub>]]`` of a
Kubernetes API path; ``aws_hold_proxy`` labels AWS requests by operation.

A hold that is never released is let through after ``timeout`` seconds and
recorded in ``Timeline.timeouts``, so a wrong interleaving fails the test
instead of hanging it. Loopback only; stopped by the test.
"""
import http.client
import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_HOP_BY_HOP = {'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade',
               'proxy-authorization', 'proxy-authenticate', 'content-length'}
_K8S_PATH = re.compile(r'^/(?:api/v1|apis/[^/]+/[^/]+)(?:/namespaces/[^/]+)?/(?P<rest>[^?]*)$')


def k8s_label(method, path, body, headers):  # pylint: disable=unused-argument
    """``GET deployments``, ``PATCH deployments/<name>``, ``GET pods`` ...; discovery requests are ``GET /api...`` as sent."""
    plain = urllib.parse.urlsplit(path).path
    found = _K8S_PATH.match(plain)
    if not found or not found.group('rest'):
        return '%s %s' % (method, plain)
    return '%s %s' % (method, found.group('rest').rstrip('/'))


class Timeline:
    """What every proxy sharing it saw, in the order it was answered: (proxy name, label, status)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.answered = []
        self.timeouts = []

    def names(self, label_re=None):
        """``[(proxy, label), ...]`` in answer order, only labels matching ``label_re`` when given."""
        return [(who, label) for who, label, _status in self.answered if label_re is None or re.search(label_re, label)]


class _Rule:
    def __init__(self, pattern, nth):
        self.pattern = re.compile(pattern)
        self.nth = nth
        self.seen = 0

    def hit(self, label):
        """True for the ``nth`` request matching (counted once each); for every one when ``nth`` is None."""
        if not self.pattern.search(label):
            return False
        self.seen += 1
        return self.nth is None or self.seen == self.nth


class _Callback:
    def __init__(self, callback):
        self.set = callback


class Alternate:
    """Two runs take turns call by call (``first`` starts); a run that ended lets the other run freely.

    ``proxy.hold('.', until=alt.turn_of(name), nth=None)`` and
    ``proxy.after_each('.', alt.passer(name))`` on each run's proxy.
    """

    def __init__(self, first, second):
        self.cond = threading.Condition()
        self.turn = first
        self.other = {first: second, second: first}
        self.ended = set()

    def turn_of(self, name):
        alt = self

        class _Waiter:
            @staticmethod
            def wait(timeout):
                with alt.cond:
                    return alt.cond.wait_for(lambda: alt.turn == name or alt.other[name] in alt.ended, timeout)
        return _Waiter()

    def passer(self, name):
        def give():
            with self.cond:
                self.turn = self.other[name]
                self.cond.notify_all()
        return give

    def end(self, name):
        with self.cond:
            self.ended.add(name)
            self.cond.notify_all()


class Script(Alternate):
    """Runs take turns in the order given (a list of run names, one per call answered); past its end, all run freely."""

    def __init__(self, order):
        names = sorted(set(order))
        super(Script, self).__init__(names[0], names[-1])
        self.order = list(order)
        self.step = 0
        self.turn = self.order[0]

    def turn_of(self, name):
        script = self

        class _Waiter:
            @staticmethod
            def wait(timeout):
                with script.cond:
                    return script.cond.wait_for(lambda: script.step >= len(script.order) or script.order[script.step] == name
                                                or script.other[name] in script.ended, timeout)
        return _Waiter()

    def passer(self, name):
        def give():
            with self.cond:
                self.step += 1
                self.cond.notify_all()
        return give


class HoldProxy:
    """One run's door to ``upstream``: ``hold()`` some of its requests, ``answered()`` events for others to wait on."""

    label = staticmethod(k8s_label)

    def __init__(self, upstream, name, timeline=None, timeout=30.0):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.name = name
        self.timeline = timeline or Timeline()
        self.timeout = timeout
        self._holds = []      # (rule, event to wait for)
        self._signals = []    # (rule, event to set once answered)
        self._lock = threading.Lock()
        self._httpd = None
        self._thread = None

    # ---- what the test says --------------------------------------------
    def hold(self, pattern, until, nth=1):
        """Hold the ``nth`` request whose label matches ``pattern`` (every one: None) until ``until`` (an Event) is set."""
        with self._lock:
            self._holds.append((_Rule(pattern, nth), until))
        return self

    def answered(self, pattern, nth=1):
        """An Event set once the ``nth`` request matching ``pattern`` has been answered through this proxy."""
        event = threading.Event()
        with self._lock:
            self._signals.append((_Rule(pattern, nth), event))
        return event

    def after_each(self, pattern, callback):
        """Call ``callback()`` each time a request matching ``pattern`` has been answered through this proxy."""
        with self._lock:
            self._signals.append((_Rule(pattern, None), _Callback(callback)))
        return self

    # ---- lifecycle -------------------------------------------------------
    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self._httpd.server_address[1]

    def start(self):
        handler = type('HoldHandler', (_Handler,), {'proxy': self})
        self._httpd = ThreadingHTTPServer(('127.0.0.1', 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={'poll_interval': 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def kubeconfig(self, source, path):
        """A copy of the kubeconfig ``source`` whose clusters all point at this proxy; returns ``path``."""
        with open(source, encoding='utf-8') as handle:
            config = json.load(handle)
        for cluster in config.get('clusters') or []:
            cluster['cluster']['server'] = self.url
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump(config, handle)
        return str(path)

    # ---- one request ------------------------------------------------------
    def _before(self, label):
        with self._lock:
            waits = [event for rule, event in self._holds if rule.hit(label)]
            signals = [event for rule, event in self._signals if rule.hit(label)]
        for event in waits:
            if not event.wait(self.timeout):
                with self.timeline.lock:
                    self.timeline.timeouts.append((self.name, label))
        return signals

    def _after(self, label, status, signals):
        with self.timeline.lock:
            self.timeline.answered.append((self.name, label, status))
        for event in signals:
            event.set()

    def forward(self, method, path, body, headers):
        """(status, reason, headers, body) from upstream."""
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=self.timeout)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP and k.lower() != 'host'}
            sent['Host'] = self.upstream.netloc
            conn.request(method, path, body=body if body else None, headers=sent)
            resp = conn.getresponse()
            return resp.status, resp.reason, resp.getheaders(), resp.read()
        finally:
            conn.close()


class _Handler(BaseHTTPRequestHandler):
    proxy = None
    protocol_version = 'HTTP/1.1'

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def _any(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        label = self.proxy.label(self.command, self.path, body, self.headers)
        signals = self.proxy._before(label)  # pylint: disable=protected-access
        try:
            status, reason, headers, data = self.proxy.forward(self.command, self.path, body, self.headers)
        except OSError as exc:
            status, reason, headers, data = 502, 'Bad Gateway', [('Content-Type', 'text/plain')], str(exc).encode()
        self.send_response(status, reason)
        for key, value in headers:
            if key.lower() not in _HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)
        self.wfile.flush()
        self.proxy._after(label, status, signals)  # pylint: disable=protected-access

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _any
