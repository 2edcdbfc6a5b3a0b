"""A reverse proxy in front of the moto server that counts AWS API calls.

Counting at the wire sees every call a module really makes, retries
included, whatever library made it. Query-protocol services (ELBv2, IAM,
EC2) are counted by their ``Action``; REST services by method and path:
CloudFront and EventBridge Scheduler by their operation's name, S3 by a
coarse one.
"""
import collections
import http.client
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.sandbox.ports import free_port

_HOP_BY_HOP = {'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade',
               'proxy-authorization', 'proxy-authenticate'}


def _cloudfront_operation(method, parts):
    """CloudFront's REST API (/2020-05-31/...) by resource and method."""
    if parts[:1] == ['distribution']:
        if 'invalidation' in parts:
            return 'CreateInvalidation' if method == 'POST' else 'GetInvalidation'
        if len(parts) == 1:
            return 'ListDistributions' if method == 'GET' else 'CreateDistribution'
        if parts[-1] == 'config':
            return 'GetDistributionConfig' if method == 'GET' else 'UpdateDistribution'
        return {'GET': 'GetDistribution', 'DELETE': 'DeleteDistribution'}.get(method, 'CloudFront%s' % method.title())
    if parts[:1] in (['cache-policy'], ['origin-request-policy']):
        noun = 'CachePolicy' if parts[0] == 'cache-policy' else 'OriginRequestPolicy'
        if len(parts) == 1:
            return ('List%sies' % noun[:-1]) if method == 'GET' else 'Create%s' % noun
        return {'GET': 'Get%s' % noun, 'PUT': 'Update%s' % noun, 'DELETE': 'Delete%s' % noun}.get(method, noun)
    return 'CloudFront%s' % method.title()


def _scheduler_operation(method, parts):
    """EventBridge Scheduler's REST API (/schedules, /schedule-groups) by resource and method."""
    if parts[0] == 'schedules':
        if len(parts) == 1:
            return 'ListSchedules'
        return {'GET': 'GetSchedule', 'POST': 'CreateSchedule', 'PUT': 'UpdateSchedule',
                'DELETE': 'DeleteSchedule'}.get(method, 'Scheduler%s' % method.title())
    if len(parts) == 1:
        return 'ListScheduleGroups'
    return {'GET': 'GetScheduleGroup', 'POST': 'CreateScheduleGroup',
            'DELETE': 'DeleteScheduleGroup'}.get(method, 'Scheduler%s' % method.title())


def operation_name(method, path, body, headers):
    """Best-effort AWS operation name of one request."""
    ctype = headers.get('Content-Type', '')
    if method == 'POST' and 'x-www-form-urlencoded' in ctype:
        params = urllib.parse.parse_qs(body.decode('utf-8', 'replace'))
        if 'Action' in params:
            return params['Action'][0]
    target = headers.get('X-Amz-Target')
    if target:
        return target.rsplit('.', 1)[-1]
    parsed = urllib.parse.urlsplit(path)
    parts = [p for p in parsed.path.split('/') if p]
    if parts[:1] == ['2020-05-31']:
        return _cloudfront_operation(method, parts[1:])
    if parts[:1] in (['schedules'], ['schedule-groups']):
        return _scheduler_operation(method, parts)
    query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
    if len(parts) <= 1:
        if method == 'GET':
            return 'ListObjects' if parts else 'ListBuckets'
        return {'PUT': 'CreateBucket', 'HEAD': 'HeadBucket', 'DELETE': 'DeleteBucket'}.get(method, 'S3%s' % method.title())
    if 'delete' in query:
        return 'DeleteObjects'
    return {'GET': 'GetObject', 'PUT': 'PutObject', 'HEAD': 'HeadObject', 'DELETE': 'DeleteObject'}.get(method, 'S3%s' % method.title())


class CountingProxy:
    """Listens on 127.0.0.1 and forwards everything to ``upstream`` (the moto URL)."""

    def __init__(self, upstream, host='127.0.0.1', port=None):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.host = host
        self.port = port or free_port(host)
        self.url = 'http://%s:%d' % (host, self.port)
        self.counts = collections.Counter()
        self.calls = []
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    def reset(self):
        with self._lock:
            self.counts.clear()
            del self.calls[:]

    def snapshot(self):
        with self._lock:
            return collections.Counter(self.counts)

    def _record(self, op):
        with self._lock:
            self.counts[op] += 1
            self.calls.append(op)

    def start(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

            def _forward(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                proxy._record(operation_name(self.command, self.path, body, self.headers))  # pylint: disable=protected-access
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status, resp.reason)
                for key, value in resp.getheaders():
                    if key.lower() not in _HOP_BY_HOP and key.lower() != 'content-length':
                        self.send_header(key, value)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                if self.command != 'HEAD':
                    self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name='counting-proxy', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
