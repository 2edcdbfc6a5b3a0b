"""The sandbox ALB data plane: what a visitor of the emulated load balancer gets.

One HTTP server per emulated listener, on 127.0.0.1 and a free port. Each
request is answered by evaluating that listener's rules as the moto server
holds them (``describe_rules``), with ``tests.sandbox.alb_eval``:

- ``forward`` proxies to the application (``app_url``), adding the target
  group's name and ARN in ``X-Sandbox-Target-Group`` /
  ``X-Sandbox-Target-Group-Arn`` plus X-Forwarded-For/-Proto/-Port; a
  weighted forward goes to the highest weight (deterministic); the app
  unreachable gives 502, too slow 504, every weight 0 gives 503;
- with ``live_targets`` (a callable: the addresses that answer now ->
  their version, e.g. the running pods' podIP -> image), a forward goes as
  an ALB's to a ``target-type: ip`` target group: to a registered target
  (moto ``describe_target_health``; the first alive, by address) with
  ``X-Sandbox-Target`` (its address) and ``X-Sandbox-Version`` (its version)
  to the app and in the response; registered targets all gone gives 502, no
  registered target 503. Without it, a forward always reaches the app;
- ``fixed-response`` returns its status, content type (``; charset=utf-8``)
  and body; ``redirect`` returns 301/302 with the Location ALB would build;
- every response says which rule answered: ``X-Sandbox-Rule`` (the priority,
  or ``default``), ``X-Sandbox-Rule-Arn``, ``X-Sandbox-Action``,
  ``X-Sandbox-Listener`` (``HTTP:80``); HEAD gets the headers only.

The source address is the TCP peer's: Linux routes all of 127.0.0.0/8 to
``lo``, so a client that binds 127.0.0.2 (an "office" address) or 127.0.0.3
(a "public" one) before connecting to 127.0.0.1 is seen with that address
(``request(..., source_ip=...)`` does it).

Rules are read at most every ``refresh_interval`` seconds (None: only on
``refresh()``). A real ALB applies a rule change only after a while, so a
caller must wait, not race: ``hold_propagation()`` makes the data plane keep
serving the rules it serves now, whatever moto holds, until
``release_propagation()``, or until it has answered ``release_after``
requests from those stale rules. The test decides when "later" comes, so no
outcome depends on how fast a step ran. If a read fails (moto gone), the last
rules keep being served and ``last_error`` says why. HTTPS listeners are
served as plain HTTP locally, with X-Forwarded-Proto: https.

Behind CloudFront: ``set_cloudfront(origin_header=(name, value),
edge_ip='127.0.0.9', hosts=None)`` gives every listener a second port that
plays the distribution in front of it (``cloudfront_url_for(port)``). A
request there reaches the rules as CloudFront's would: the source address
they see is the edge's (``edge_ip``), ``CloudFront-Viewer-Address`` is the
client's real address and TCP port (replacing any the client sent), the
origin custom header is added (replacing any the client sent), and the
client's address is appended to X-Forwarded-For. ``hosts`` are the
distribution's alternate domain names (None: every host; another host gets
CloudFront's 403). Every viewer header is forwarded (an AllViewer origin
request policy) and nothing is cached. The response gets CloudFront's
``Via`` and ``X-Cache``. A request to the listener's own port is still
answered with exactly the headers the client sent, so a forged viewer
address can be tried.
"""
import http.client
import secrets
import threading
import time
from collections import namedtuple
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional, Tuple
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from tests.sandbox.alb_eval import (
    Request, RuleError, evaluate, fixed_response, forward_target_group, redirect_location, target_group_name)
from tests.sandbox.ports import free_port

RULE_HEADER = 'X-Sandbox-Rule'
RULE_ARN_HEADER = 'X-Sandbox-Rule-Arn'
ACTION_HEADER = 'X-Sandbox-Action'
LISTENER_HEADER = 'X-Sandbox-Listener'
TARGET_GROUP_HEADER = 'X-Sandbox-Target-Group'
TARGET_GROUP_ARN_HEADER = 'X-Sandbox-Target-Group-Arn'
TARGET_HEADER = 'X-Sandbox-Target'
VERSION_HEADER = 'X-Sandbox-Version'
VIEWER_ADDRESS_HEADER = 'CloudFront-Viewer-Address'

OFFICE_IP = '127.0.0.2'
PUBLIC_IP = '127.0.0.3'
EDGE_IP = '127.0.0.9'
CLOUDFRONT_EDGE_ID = '0123456789abcdef0123456789abcdef'  # the <id>.cloudfront.net in Via

# Hop-by-hop headers (RFC 9110 7.6.1) are not forwarded by a proxy.
_HOP_BY_HOP = frozenset(('connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
                         'te', 'trailer', 'transfer-encoding', 'upgrade'))
_NON_TERMINAL = ('authenticate-oidc', 'authenticate-cognito', 'jwt-validation')


class Response(namedtuple('Response', 'status headers body')):
    """``(status, headers, body)``; headers is an http.client.HTTPMessage (case-insensitive ``get``)."""
    __slots__ = ()

    @property
    def text(self):
        return self.body.decode('utf-8', 'replace')

    @property
    def first_line(self):
        return self.text.split('\n', 1)[0]


def request(url, method='GET', host=None, headers=None, source_ip=PUBLIC_IP, body=None, timeout=10.0):
    """One HTTP request from ``source_ip`` (bound as the TCP source; None: don't bind).

    ``url`` is ``http://127.0.0.1:PORT/path?query``; ``host`` sets the Host
    header (the emulated site's name). Returns a Response.
    """
    parts = urlsplit(url)
    target = (parts.path or '/') + ('?' + parts.query if parts.query else '')
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout,
                                      source_address=(source_ip, 0) if source_ip else None)
    sent = dict(headers or {})
    if host is not None:
        sent = {k: v for k, v in sent.items() if k.lower() != 'host'}
        sent['Host'] = host
    if isinstance(body, str):
        body = body.encode('utf-8')
    try:
        conn.request(method, target, body=body, headers=sent)
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, resp.headers, data)
    finally:
        conn.close()


class RuleHistory:
    """The rules a listener serves: the newest read, unless propagation is held.

    While held (``hold()``), rules read are kept as ``latest()`` but
    ``effective()`` stays what it was, until ``release()``.
    """

    def __init__(self):
        self._served = None
        self._latest = None
        self._held = False
        self._lock = threading.Lock()

    def record(self, rules):
        """Keep ``rules`` as the newest read (served at once unless held); True when they changed."""
        rules = tuple(rules)
        with self._lock:
            changed = rules != self._latest
            self._latest = rules
            if not self._held or self._served is None:  # the first read is the state before we looked
                self._served = rules
            return changed

    def hold(self):
        with self._lock:
            self._held = True

    def release(self):
        """Serve the newest rules from now on; True when that changed what is served."""
        with self._lock:
            self._held = False
            changed = self._served != self._latest
            self._served = self._latest
            return changed

    @property
    def held(self):
        return self._held

    def stale(self):
        """True while a newer read than the rules served is held back."""
        with self._lock:
            return self._held and self._served != self._latest

    def effective(self):
        return self.served()[0]

    def served(self):
        """``(rules served, stale())`` at one moment."""
        with self._lock:
            if self._served is None:
                raise LookupError('no rules read yet')
            return list(self._served), self._held and self._served != self._latest

    def latest(self):
        with self._lock:
            if self._latest is None:
                raise LookupError('no rules read yet')
            return list(self._latest)


@dataclass(frozen=True)
class CloudFront:
    """The distribution in front of the listeners: its origin custom header ``(name, value)`` (None: none), the
    address its edge connects to the ALB from, and its alternate domain names (empty: every host)."""
    origin_header: Optional[Tuple[str, str]] = None
    edge_ip: str = EDGE_IP
    hosts: Tuple[str, ...] = ()

    def serves(self, host):
        return not self.hosts or (host or '').lower() in {h.lower() for h in self.hosts}

    def origin_request_headers(self, headers, viewer_ip, viewer_port):
        """The headers CloudFront sends to the origin for a viewer request with ``headers`` from ``viewer_ip:port``."""
        replaced = {VIEWER_ADDRESS_HEADER.lower(), 'x-forwarded-for', 'via'}
        if self.origin_header:
            replaced.add(self.origin_header[0].lower())
        out = [(k, v) for k, v in headers if k.lower() not in replaced]
        sent_for = [v for k, v in headers if k.lower() == 'x-forwarded-for']
        sent_via = [v for k, v in headers if k.lower() == 'via']
        out += [('X-Forwarded-For', ', '.join(sent_for + [viewer_ip])),
                ('Via', ', '.join(sent_via + ['1.1 %s.cloudfront.net (CloudFront)' % CLOUDFRONT_EDGE_ID])),
                (VIEWER_ADDRESS_HEADER, '%s:%d' % (viewer_ip, viewer_port))]
        if self.origin_header:
            out.append(tuple(self.origin_header))
        return out


@dataclass
class Listener:
    """One emulated listener and where it is served locally."""
    arn: str
    port: int
    protocol: str
    load_balancer_arn: str
    default_actions: list
    history: RuleHistory
    url: str = ''
    cloudfront_url: str = ''
    last_read: float = float('-inf')
    last_error: str = ''
    read_lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'awselb/2.0'
    timeout = 30

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        return  # the data plane keeps its own log (DataPlane.log)

    def __getattr__(self, name):
        # BaseHTTPRequestHandler dispatches to do_<METHOD>: answer every method, as ALB does.
        if name.startswith('do_'):
            return self._handle
        raise AttributeError(name)

    def _read_body(self):
        if 'chunked' in (self.headers.get('Transfer-Encoding') or '').lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b';', 1)[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                        pass
                    return b''.join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length > 0 else b''

    def _handle(self):
        self.server.dataplane.handle(self, self.server.listener, via_cloudfront=self.server.front)

    def reply(self, status, headers, body, reason=None):
        # A forwarded response keeps the target's Server/Date, as ALB does; ALB's own answers say awselb/2.0.
        names = {name.lower() for name, _value in headers}
        self.log_request(status)
        self.send_response_only(status, reason)
        if 'server' not in names:
            self.send_header('Server', self.server_version)
        if 'date' not in names:
            self.send_header('Date', self.date_time_string())
        for name, value in headers:
            self.send_header(name, value)
        if 'content-length' not in names:
            self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD' and body:
            self.wfile.write(body)


class _ListenerServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, dataplane, listener, front=False):
        self.dataplane = dataplane
        self.listener = listener
        self.front = front  # True: this port plays the CloudFront distribution in front of the listener
        super().__init__(address, _Handler)


def _cloudfront_answer(status):
    """The headers CloudFront adds to what it returns to the viewer (no caching here)."""
    return [('Via', '1.1 %s.cloudfront.net (CloudFront)' % CLOUDFRONT_EDGE_ID),
            ('X-Cache', 'Error from cloudfront' if status >= 400 else 'Miss from cloudfront')]


def _error_page(status, reason):
    return ('<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n'
            '</body>\r\n</html>\r\n' % (status, reason, status, reason)).encode('ascii')


class DataPlane:
    """``DataPlane(elbv2, listeners, app_url).start()``.

    ``listeners``: a listener ARN, a load balancer ARN (all its listeners), or
    a list mixing both. ``app_url``: the application's base URL, or a dict
    from target group name or ARN to URL (``'*'`` for the rest).
    ``refresh_interval``: seconds the rules read are reused (None: until
    ``refresh()``). ``stale_answers`` counts requests answered from held-back
    rules since the last ``hold_propagation()``. ``live_targets``: None
    (every forward reaches the app), or a callable returning ``{address:
    version}`` of the targets that answer now: forwards then go to registered
    targets only, as with ``target-type: ip``. ``cloudfront``: a CloudFront
    to serve every listener behind from the start (or ``set_cloudfront()``).
    """

    def __init__(self, elbv2, listeners, app_url, refresh_interval=0.2,
                 host='127.0.0.1', upstream_timeout=10.0, clock=time.monotonic, live_targets=None, cloudfront=None):
        self.elbv2 = elbv2
        self.targets = [listeners] if isinstance(listeners, str) else list(listeners)
        self.app_url = app_url
        self.refresh_interval = None if refresh_interval is None else float(refresh_interval)
        self.stale_answers = 0
        self._release_after = None
        self.host = host
        self.upstream_timeout = upstream_timeout
        self.live_targets = live_targets
        self.cloudfront = cloudfront
        self.listeners = {}
        self.log = []
        self._clock = clock
        self._log_lock = threading.Lock()
        self._servers = []
        self._threads = []

    # -- lifecycle -----------------------------------------------------------

    def _describe_listeners(self):
        found = []
        for arn in self.targets:
            if ':listener/' in arn:
                found.extend(self.elbv2.describe_listeners(ListenerArns=[arn])['Listeners'])
            elif ':loadbalancer/' in arn:
                kwargs = {'LoadBalancerArn': arn}
                while True:
                    page = self.elbv2.describe_listeners(**kwargs)
                    found.extend(page['Listeners'])
                    if not page.get('NextMarker'):
                        break
                    kwargs['Marker'] = page['NextMarker']
            else:
                raise ValueError('%r is neither a listener ARN nor a load balancer ARN' % (arn,))
        return found

    def start(self):
        for desc in self._describe_listeners():
            listener = Listener(arn=desc['ListenerArn'], port=desc['Port'], protocol=desc.get('Protocol') or 'HTTP',
                                load_balancer_arn=desc['LoadBalancerArn'], default_actions=desc.get('DefaultActions') or [],
                                history=RuleHistory())
            self._read_rules(listener)
            if listener.last_error:
                self.stop()
                raise RuntimeError('cannot read the rules of %s: %s' % (listener.arn, listener.last_error))
            listener.url = self._serve(listener)
            self.listeners[listener.arn] = listener
        if self.cloudfront is not None:
            self._serve_cloudfront()
        return self

    def _serve(self, listener, front=False):
        port = free_port(self.host)
        server = _ListenerServer((self.host, port), self, listener, front=front)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,),
                                  name='dataplane-%s%d' % ('cloudfront-' if front else '', port), daemon=True)
        thread.start()
        self._servers.append(server)
        self._threads.append(thread)
        return 'http://%s:%d' % (self.host, port)

    def _serve_cloudfront(self):
        for listener in self.listeners.values():
            if not listener.cloudfront_url:
                listener.cloudfront_url = self._serve(listener, front=True)

    def set_cloudfront(self, origin_header=None, edge_ip=EDGE_IP, hosts=None):
        """Put a CloudFront distribution in front of every listener (or change the one there): ``origin_header``
        ``(name, value)`` is its secret origin custom header (None: none), ``edge_ip`` the address the rules see,
        ``hosts`` its alternate domain names (None: every host). Its ports: ``cloudfront_url_for()``."""
        self.cloudfront = CloudFront(origin_header=tuple(origin_header) if origin_header else None, edge_ip=edge_ip,
                                     hosts=tuple(hosts or ()))
        if self._servers:
            self._serve_cloudfront()
        return self.cloudfront

    def stop(self):
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(10)
        self._servers, self._threads = [], []
        for listener in self.listeners.values():
            listener.cloudfront_url = ''

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- addresses -----------------------------------------------------------

    @property
    def urls(self):
        """Listener ARN -> local URL."""
        return {arn: listener.url for arn, listener in self.listeners.items()}

    def listener(self, key, load_balancer_arn=None):
        """The Listener for an ARN, or for a port (with ``load_balancer_arn`` when several ALBs share it)."""
        if isinstance(key, str) and key in self.listeners:
            return self.listeners[key]
        found = [lst for lst in self.listeners.values()
                 if lst.port == int(key) and load_balancer_arn in (None, lst.load_balancer_arn)]
        if not found:
            raise KeyError('no emulated listener for %r' % (key,))
        if len(found) > 1:
            raise ValueError('port %s is a listener of %d load balancers here: pass load_balancer_arn or the listener ARN'
                             % (key, len(found)))
        return found[0]

    def url_for(self, key, load_balancer_arn=None):
        """Local base URL of the listener on port ``key`` (or with ARN ``key``)."""
        return self.listener(key, load_balancer_arn).url

    def cloudfront_url_for(self, key, load_balancer_arn=None):
        """Local base URL of the CloudFront distribution in front of the listener on port ``key`` (or ARN ``key``)."""
        listener = self.listener(key, load_balancer_arn)
        if not listener.cloudfront_url:
            raise LookupError('no CloudFront in front of %s: call set_cloudfront() first' % listener.arn)
        return listener.cloudfront_url

    # -- rules ---------------------------------------------------------------

    def _read_rules(self, listener):
        rules, kwargs = [], {'ListenerArn': listener.arn}
        try:
            while True:
                page = self.elbv2.describe_rules(**kwargs)
                rules.extend(page['Rules'])
                if not page.get('NextMarker'):
                    break
                kwargs['Marker'] = page['NextMarker']
        except (BotoCoreError, ClientError) as exc:
            listener.last_error = '%s: %s' % (type(exc).__name__, exc)
            return
        listener.last_error = ''
        listener.last_read = self._clock()
        listener.history.record(rules)

    def refresh(self, key=None):
        """Read the rules now (every listener, or one by port/ARN), ignoring the cache."""
        for listener in ([self.listener(key)] if key is not None else list(self.listeners.values())):
            with listener.read_lock:
                self._read_rules(listener)

    def _due(self, listener):
        return self.refresh_interval is not None and self._clock() - listener.last_read >= self.refresh_interval

    def _maybe_refresh(self, listener):
        if not self._due(listener):
            return
        if listener.read_lock.acquire(blocking=False):  # another request is already reading: serve what we have
            try:
                if self._due(listener):
                    self._read_rules(listener)
            finally:
                listener.read_lock.release()

    # -- propagation ---------------------------------------------------------

    def hold_propagation(self, release_after=None):
        """Keep serving the rules served now, whatever changes in moto, until ``release_propagation()``
        or, with ``release_after`` = N, until N requests have been answered from rules a change has made stale."""
        with self._log_lock:
            self.stale_answers = 0
            self._release_after = release_after
        for listener in self.listeners.values():
            listener.history.hold()

    def release_propagation(self):
        """Serve the rules moto holds now on every listener (as a real ALB does, later)."""
        with self._log_lock:
            self._release_after = None
        self.refresh()
        for listener in self.listeners.values():
            listener.history.release()

    def rules_in_effect(self, key, load_balancer_arn=None):
        """The rules the listener answers with right now (held back while propagation is held)."""
        listener = self.listener(key, load_balancer_arn)
        self._maybe_refresh(listener)
        return listener.history.effective()

    def last_error(self, key, load_balancer_arn=None):
        return self.listener(key, load_balancer_arn).last_error

    # -- requests ------------------------------------------------------------

    def clear_log(self):
        with self._log_lock:
            del self.log[:]

    def _upstream(self, target_group_arn):
        if isinstance(self.app_url, str):
            return self.app_url
        for key in (target_group_arn, target_group_name(target_group_arn), '*'):
            if key in self.app_url:
                return self.app_url[key]
        return None

    def handle(self, handler, listener, via_cloudfront=False):
        """Answer one request that ``handler`` received on ``listener`` (``via_cloudfront``: on its CloudFront port)."""
        started = time.monotonic()
        body_in = handler._read_body()  # pylint: disable=protected-access
        client_ip, headers_in, viewer = handler.client_address[0], list(handler.headers.items()), None
        front = self.cloudfront if via_cloudfront else None
        if front is not None:
            viewer = '%s:%d' % handler.client_address[:2]
            headers_in = front.origin_request_headers(headers_in, *handler.client_address[:2])
            client_ip = front.edge_ip
        req = Request.parse(handler.command, handler.path, headers_in, client_ip)
        entry = {'time': time.time(), 'listener_arn': listener.arn, 'listener_port': listener.port, 'client_ip': client_ip,
                 'method': handler.command, 'host': req.host, 'target': handler.path, 'rule': None, 'rule_arn': None,
                 'action': None, 'target_group': None, 'target_ip': None, 'stale': False, 'viewer': viewer}
        if front is not None and not front.serves(req.host):
            body = ('sandbox CloudFront: %s is not an alternate domain name of the distribution (%s)\n'
                    % (req.host, ', '.join(front.hosts))).encode('utf-8')
            entry.update(status=403, bytes=len(body), seconds=time.monotonic() - started)
            with self._log_lock:
                self.log.append(entry)
            handler.reply(403, [('Content-Type', 'text/plain; charset=utf-8')] + _cloudfront_answer(403), body)
            return
        common = [(LISTENER_HEADER, '%s:%d' % (listener.protocol, listener.port))]
        try:
            self._maybe_refresh(listener)
            rules, entry['stale'] = listener.history.served()
            match = evaluate(rules, req, listener.default_actions)
        except (RuleError, LookupError) as exc:
            status, headers, body, reason = 500, [('Content-Type', 'text/plain; charset=utf-8')], (
                'sandbox data plane cannot evaluate the rules of %s: %s\n' % (listener.arn, exc)).encode('utf-8'), None
        else:
            entry.update(rule=match.label, rule_arn=match.rule_arn, action=match.action.get('Type'))
            common += [(RULE_HEADER, match.label), (RULE_ARN_HEADER, match.rule_arn or ''),
                       (ACTION_HEADER, match.action.get('Type'))]
            status, headers, body, reason = self._answer(match, req, listener, handler, body_in, entry)
        entry['status'] = status
        entry['bytes'] = len(body)
        entry['seconds'] = time.monotonic() - started
        with self._log_lock:
            self.log.append(entry)
            if entry.get('stale'):
                self.stale_answers += 1
            release = self._release_after is not None and self.stale_answers >= self._release_after
        if release:
            self.release_propagation()  # before replying: the caller's next request gets the new rules
        if front is not None:
            headers = [(k, v) for k, v in headers if k.lower() not in ('via', 'x-cache')] + _cloudfront_answer(status)
        handler.reply(status, common + headers, body, reason)

    def _answer(self, match, req, listener, handler, body_in, entry):
        kinds = [a.get('Type') for a in match.actions[:-1]]
        if any(k in _NON_TERMINAL for k in kinds):
            return (501, [('Content-Type', 'text/plain; charset=utf-8')],
                    b'sandbox data plane does not emulate authenticate/jwt-validation actions\n', None)
        kind = match.action.get('Type')
        if kind == 'fixed-response':
            status, content_type, body = fixed_response(match.action)
            return status, [('Content-Type', content_type)], body, None
        if kind == 'redirect':
            status, location = redirect_location(match.action, req, listener.protocol, listener.port)
            return status, [('Location', location), ('Content-Type', 'text/html')], b'', None
        return self._forward(match, req, listener, handler, body_in, entry)

    def _forward(self, match, req, listener, handler, body_in, entry):  # pylint: disable=too-many-locals
        tg_arn = forward_target_group(match.action)
        upstream = self._upstream(tg_arn) if tg_arn else None
        if upstream is None:
            return 503, [('Content-Type', 'text/html')], _error_page(503, 'Service Temporarily Unavailable'), None
        name = target_group_name(tg_arn)
        entry['target_group'] = name
        target = []
        if self.live_targets is not None:
            picked, failed = self._pick_target(tg_arn)
            if failed:
                return failed
            entry['target_ip'] = picked[0]
            target = [(TARGET_HEADER, picked[0]), (VERSION_HEADER, picked[1])]
        ours = ('content-length', TARGET_GROUP_HEADER.lower(), TARGET_GROUP_ARN_HEADER.lower(), TARGET_HEADER.lower(),
                VERSION_HEADER.lower())
        # req carries what the ALB received: the client's headers, or CloudFront's origin request and its edge address.
        headers = [(k, v) for k, v in req.headers if k.lower() not in _HOP_BY_HOP and k.lower() not in ours]
        forwarded_for = ', '.join(req.header_values('X-Forwarded-For'))
        client_ip = req.source_ip
        headers = [(k, v) for k, v in headers if k.lower() not in ('x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-port')]
        headers += [('X-Forwarded-For', '%s, %s' % (forwarded_for, client_ip) if forwarded_for else client_ip),
                    ('X-Forwarded-Proto', listener.protocol.lower()),
                    ('X-Forwarded-Port', str(listener.port)),
                    ('X-Amzn-Trace-Id', 'Root=1-%08x-%s' % (int(time.time()), secrets.token_hex(12))),
                    (TARGET_GROUP_HEADER, name), (TARGET_GROUP_ARN_HEADER, tg_arn)] + target
        parts = urlsplit(upstream)
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=self.upstream_timeout)
        try:
            conn.putrequest(handler.command, parts.path.rstrip('/') + handler.path, skip_host=True, skip_accept_encoding=True)
            for key, value in headers:
                conn.putheader(key, value)
            if body_in or handler.command in ('POST', 'PUT', 'PATCH'):
                conn.putheader('Content-Length', str(len(body_in)))
            conn.endheaders(body_in or None)
            resp = conn.getresponse()
            body = resp.read()
        except TimeoutError:
            return 504, [('Content-Type', 'text/html')], _error_page(504, 'Gateway Time-out'), None
        except (OSError, http.client.HTTPException):
            return 502, [('Content-Type', 'text/html')], _error_page(502, 'Bad Gateway'), None
        finally:
            conn.close()
        # HEAD: the app's own Content-Length stays (that of the GET); otherwise reply() sets it.
        drop = _HOP_BY_HOP if handler.command == 'HEAD' else _HOP_BY_HOP | {'content-length'}
        out = [(k, v) for k, v in resp.getheaders() if k.lower() not in drop]
        return resp.status, out + [(TARGET_GROUP_HEADER, name)] + target, body, resp.reason

    def _pick_target(self, tg_arn):
        """``((address, version), None)``: the first registered target alive, by address; else ``(None, answer)``:
        502 when the registered targets are all gone, 503 when none is registered (as an ALB answers)."""
        try:
            found = self.elbv2.describe_target_health(TargetGroupArn=tg_arn)['TargetHealthDescriptions']
        except (BotoCoreError, ClientError) as exc:
            return None, (500, [('Content-Type', 'text/plain; charset=utf-8')], (
                'sandbox data plane cannot read the targets of %s: %s\n' % (tg_arn, exc)).encode('utf-8'), None)
        registered = sorted(d['Target']['Id'] for d in found
                            if (d.get('TargetHealth') or {}).get('State') not in ('draining', 'unused'))
        if not registered:
            return None, (503, [('Content-Type', 'text/html')], _error_page(503, 'Service Temporarily Unavailable'), None)
        alive = self.live_targets()
        for address in registered:
            if address in alive:
                return (address, alive[address]), None
        return None, (502, [('Content-Type', 'text/html')], _error_page(502, 'Bad Gateway'), None)
