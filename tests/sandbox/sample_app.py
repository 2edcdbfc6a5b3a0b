"""The application behind the sandbox ALB: says which target group it served.

Every method and path gets 200 and a plain-text body whose first line names
the target group (taken from the header the data plane adds), the method and
the request target, so a test or a person can tell at a glance that the
application answered and which rule routed there. ``broken = True`` makes it
answer 503 everywhere, ``/healthz`` included (the app down during an
incident); that 503 says "application error", never the Sorry page's words.
"""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.sandbox.dataplane import TARGET_GROUP_ARN_HEADER, TARGET_GROUP_HEADER
from tests.sandbox.ports import free_port, wait_http

APP_NAME_HEADER = 'X-App-Name'
APP_TARGET_GROUP_HEADER = 'X-App-Target-Group'
APP_METHOD_HEADER = 'X-App-Method'
APP_PATH_HEADER = 'X-App-Path'
HEALTH_PATH = '/healthz'


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'sandbox-app/1'
    timeout = 30

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        return  # tests read app.requests instead of stderr noise

    def __getattr__(self, name):
        # BaseHTTPRequestHandler dispatches to do_<METHOD>: answer every method.
        if name.startswith('do_'):
            return self._handle
        raise AttributeError(name)

    def _read_body(self):
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length > 0 else b''

    def _handle(self):
        app = self.server.app
        body_in = self._read_body()
        target_group = self.headers.get(TARGET_GROUP_HEADER) or '-'
        record = {
            'method': self.command,
            'path': self.path,
            'target_group': target_group,
            'target_group_arn': self.headers.get(TARGET_GROUP_ARN_HEADER),
            'host': self.headers.get('Host'),
            'client': self.client_address[0],
            'headers': dict(self.headers.items()),
            'body': body_in,
        }
        with app.lock:
            app.requests.append(record)
        healthz = self.path.split('?', 1)[0] == HEALTH_PATH
        if app.broken:
            status = 503
            lines = ['%s application error (503): target-group=%s method=%s path=%s'
                     % (app.name, target_group, self.command, self.path)]
        elif healthz:
            status, lines = 200, ['ok']
        else:
            status = 200
            lines = ['%s OK: target-group=%s method=%s path=%s' % (app.name, target_group, self.command, self.path),
                     'host=%s' % (self.headers.get('Host') or '-'),
                     'forwarded-for=%s' % (self.headers.get('X-Forwarded-For') or '-'),
                     'body-bytes=%d' % len(body_in)]
        payload = ('\n'.join(lines) + '\n').encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'text/plain; charset=utf-8')
        self.send_header('Content-Length', str(len(payload)))
        self.send_header('Cache-Control', 'no-store')
        self.send_header(APP_NAME_HEADER, app.name)
        self.send_header(APP_TARGET_GROUP_HEADER, target_group)
        self.send_header(APP_METHOD_HEADER, self.command)
        self.send_header(APP_PATH_HEADER, self.path)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app):
        self.app = app
        super().__init__(address, _Handler)


class SampleApp:
    """``SampleApp(name='sample-app').start()``; ``url``; ``broken``; ``requests``; ``stop()``."""

    def __init__(self, name='sample-app', host='127.0.0.1', port=None):
        self.name = name
        self.host = host
        self.port = port or free_port(host)
        self.url = 'http://%s:%d' % (host, self.port)
        self.broken = False
        self.requests = []
        self.lock = threading.Lock()
        self._server = None
        self._thread = None

    def start(self):
        self._server = _Server((self.host, self.port), self)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name='sample-app-%d' % self.port,
                                        daemon=True)
        self._thread.start()
        wait_http(self.url + HEALTH_PATH, timeout=10)
        self.clear()  # ``requests`` holds what came after start, not the readiness probe
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(10)
            self._server = None

    def clear(self):
        with self.lock:
            del self.requests[:]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
