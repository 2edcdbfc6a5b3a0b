"""The Ingress driver seen from a real headless Chromium (Debian's, through Playwright).

``on`` runs through the Ingress driver against the sandbox whose stand-in AWS
Load Balancer Controller programs the ALB from the Ingress (the set-up of
test_ingress_driver.py). Then a browser visits the data plane:

- the public: Chromium connects straight to the data plane from 127.0.0.1,
  which is not in the bypass list (``--host-resolver-rules`` maps the site's
  host name to loopback, every other name to NOTFOUND: nothing leaves the
  machine, so the CDN stylesheet and logo of the page do not load here);
- the office: Chromium cannot pick its TCP source address, and the data plane
  takes the source from the TCP peer, so the browser goes through
  ``OfficeProxy``, an HTTP proxy on 127.0.0.1 whose requests to the data plane
  leave from 127.0.0.2 (the office CIDR), as from an office egress.

The page is asserted on what Chromium rendered (its DOM and text), the status
on the main document's response.
"""
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from tests.ansible_run import REPO
from tests.browser import chromium_browser, watch
from tests.integration.test_ingress_driver import Book, sandbox, summary  # noqa: F401 pylint: disable=unused-import
from tests.integration.test_runbook import BYPASS_HEADER, assert_ok
from tests.sandbox.dataplane import OFFICE_IP, request

pytestmark = [pytest.mark.browser, pytest.mark.sandbox_only]

REASON = 'Database upgrade'                 # sorry_reason of test_ingress_driver.site_vars
HEADINGS = {'en': 'Down for maintenance', 'ja': u'ただいまメンテナンス中です'}
WAIT_MS = 15000                             # every browser wait; the data plane answers in milliseconds
SCREENSHOTS = os.path.join(REPO, 'tests', 'output', 'browser')
_HOP_BY_HOP = frozenset(('connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer',
                         'transfer-encoding', 'upgrade', 'content-length'))


class OfficeProxy:
    """An HTTP proxy on 127.0.0.1 for a browser in the office: each request for one of ``hosts`` is sent to the
    data plane at ``upstream`` from ``source_ip`` (bound as the TCP source), with the request's Host; anything else
    (another host, CONNECT) gets 502 and is listed in ``refused``. ``forwarded`` lists (method, host, target)."""

    def __init__(self, upstream, hosts, source_ip=OFFICE_IP):
        self.forwarded, self.refused = [], []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'
            timeout = 30

            def __getattr__(self, name):
                if name.startswith('do_'):
                    return self._relay
                raise AttributeError(name)

            def _relay(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length > 0 else None
                if self.command == 'CONNECT' or parts.scheme != 'http' or parts.hostname not in hosts:
                    outer.refused.append((self.command, self.path))
                    self._reply(502, [('Content-Type', 'text/plain')], b'office proxy: not a site of the sandbox\n')
                    return
                target = (parts.path or '/') + ('?' + parts.query if parts.query else '')
                sent = dict((k, v) for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP | {'host'})
                outer.forwarded.append((self.command, parts.netloc, target))
                resp = request(upstream + target, method=self.command, host=parts.netloc, headers=sent,
                               source_ip=source_ip, body=body)
                self._reply(resp.status, [(k, v) for k, v in resp.headers.items() if k.lower() not in _HOP_BY_HOP],
                            resp.body)

            def _reply(self, status, headers, body):
                self.send_response_only(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                if self.command != 'HEAD':
                    self.wfile.write(body)

            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


def visit(browser, url, who, **context_options):
    """Load ``url`` in a fresh context of ``browser``: (HTTP status of the document, lang, h1 text or None,
    the rendered text of the body); a screenshot goes to tests/output/browser/ingress-HOST-WHO.png."""
    context = browser.new_context(viewport={'width': 1024, 'height': 768}, **context_options)
    try:
        context.set_default_timeout(WAIT_MS)
        page = watch(context.new_page())
        response = page.goto(url, wait_until='load', timeout=WAIT_MS)
        assert response is not None, url
        heading = page.locator('h1').inner_text() if page.locator('h1').count() else None
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, 'ingress-%s-%s.png' % (urlsplit(url).hostname, who)),
                        full_page=True)
        return (response.status, page.evaluate('document.documentElement.lang'), heading,
                page.evaluate('document.body.innerText'))
    finally:
        context.close()


def public_browser(box):
    """Chromium as the public: straight to the data plane from 127.0.0.1; the site's hosts go to loopback, any
    other name does not resolve."""
    rules = ', '.join(['MAP %s 127.0.0.1' % host for host in box.sites[0]['hosts']] + ['MAP * ~NOTFOUND'])
    return chromium_browser(['--host-resolver-rules=' + rules])


def office_browser(proxy):
    """Chromium in the office: every request through ``proxy`` (its egress is the office address)."""
    return chromium_browser(['--proxy-server=' + proxy.url, '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'])


def site_url(box, host, path='/deep/path?q=1'):
    return 'http://%s:%s%s' % (host, box.url_for(80).rsplit(':', 1)[1], path)


def assert_sorry_page(seen, lang):
    status, page_lang, heading, text = seen
    assert (status, page_lang, heading) == (503, lang, HEADINGS[lang]), seen
    assert REASON in text and 'sample-app OK' not in text, text


def assert_application(seen, forwarded_for):
    status, _lang, heading, text = seen
    assert status == 200 and heading is None, seen
    assert text.startswith('sample-app OK: target-group=') and 'forwarded-for=%s' % forwarded_for in text, text
    assert REASON not in text, text


def test_chromium_sees_the_page_the_ingress_driver_put_on_and_the_application_after_off(tmp_path, sandbox):
    box = sandbox
    hosts = box.sites[0]['hosts']
    pages = {hosts[0]: 'en', hosts[1]: 'ja'}      # sorry_pages of test_ingress_driver.site_vars
    book = Book(tmp_path, box)

    res = book.run('on')
    assert_ok(res)
    assert 'driver: ingress' in summary(res), summary(res)

    box.dataplane.clear_log()
    with public_browser(box) as browser:
        for host, lang in pages.items():
            assert_sorry_page(visit(browser, site_url(box, host), 'public-on'), lang)
            # the bypass header, set by the browser context on every request it sends, lets the public through
            assert_application(visit(browser, site_url(box, host), 'header-on',
                                     extra_http_headers={BYPASS_HEADER['name']: BYPASS_HEADER['value']}),
                               '127.0.0.1')
    public = [(e['host'], e['client_ip'], e['action']) for e in box.dataplane.log if e['target'] == '/deep/path?q=1']
    assert sorted(set(public)) == sorted(set((h, '127.0.0.1', a) for h in hosts for a in ('fixed-response', 'forward'))), \
        public

    box.dataplane.clear_log()
    with OfficeProxy(box.url_for(80), hosts) as proxy, office_browser(proxy) as browser:
        for host in hosts:
            assert_application(visit(browser, site_url(box, host), 'office-on'), OFFICE_IP)
    # every request the office browser made (the page, and Chromium's /favicon.ico for a page without an icon link)
    # reached the data plane from the office address and was forwarded to the application
    office = [(e['host'], e['target'], e['client_ip'], e['action']) for e in box.dataplane.log]
    assert [(h, t) for h, t, _ip, _a in office if t == '/deep/path?q=1'] == [(h, '/deep/path?q=1') for h in hosts], office
    assert set((ip, a) for _h, _t, ip, a in office) == {(OFFICE_IP, 'forward')}, office
    # (Chromium's own background requests, e.g. CONNECT to a search engine, are refused by the proxy: proxy.refused)
    assert len(proxy.forwarded) == len(office), (proxy.forwarded, office)

    res = book.run('off')
    assert_ok(res)
    assert 'maintenance off' in summary(res), summary(res)
    with public_browser(box) as browser:
        for host in hosts:
            assert_application(visit(browser, site_url(box, host), 'public-off'), '127.0.0.1')
