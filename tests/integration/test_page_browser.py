"""The default Sorry pages in a real headless Chromium (Debian's, through Playwright).

As in production, the page and its assets come from two origins: the page
from a tiny HTTP server on loopback standing in for the ALB's fixed response
(HTTP 503, whatever the path), the stylesheet and logo from the sandbox S3
endpoint standing in for the CDN (public_url = http://127.0.0.1:<moto>/<bucket>/<prefix>).
Screenshots are kept under tests/output/browser/.
"""
import hashlib
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from tests.ansible_run import REPO, run_module
from tests.browser import chromium_page, console_errors, problems

sys.path.insert(0, os.path.join(REPO, '.collections'))
from ansible_collections.sorrypage.aws.plugins.module_utils import _assets  # noqa: E402 pylint: disable=wrong-import-position
from ansible_collections.sorrypage.aws.plugins.module_utils import _budget  # noqa: E402 pylint: disable=wrong-import-position
from ansible_collections.sorrypage.aws.plugins.module_utils import _minify  # noqa: E402 pylint: disable=wrong-import-position
from ansible_collections.sorrypage.aws.plugins.module_utils import _pages  # noqa: E402 pylint: disable=wrong-import-position

pytestmark = [pytest.mark.browser, pytest.mark.sandbox_only]

MODULE = 'sorrypage.aws.sorry_asset_upload'
DEFAULT_PAGES = os.path.join(REPO, 'roles', 'sorry_assets', 'files')
OUTPUT = os.path.join(REPO, 'tests', 'output', 'browser')
VARS = {
    'reason': 'We are upgrading our database to make the service faster. <b>Thank you</b> for your patience.',
    'until': '2026-03-02T14:00:00Z',
    'status_url': 'https://status.example.com/',
    'contact': 'support@example.com',
    'brand': 'Example Corp',
}
PAGE_VARS = {'ja': {'reason': u'サービス向上のため、データベースのアップグレードを行っています。'}}
ACCENT = 'rgb(26, 79, 139)'  # --accent in style.css (#1a4f8b): the h1 colour


class FixedResponse:
    """Answers every GET with one body and status, as an ALB fixed response does."""

    def __init__(self, status=503):
        self.status = status
        self.body = b''
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # pylint: disable=invalid-name
                outer.requests.append(self.path)
                self.send_response(outer.status)
                self.send_header('Content-Type', 'text/html; charset=utf-8')
                self.send_header('Content-Length', str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def uploaded(moto, assets):
    """The default pages built and their assets uploaded to the sandbox S3,
    readable anonymously (as through a CDN): moto refuses an anonymous GET on
    a private object, so the bucket gets a public-read policy."""
    moto.client('s3').put_bucket_policy(Bucket=assets['bucket'], Policy=json.dumps({
        'Version': '2012-10-17',
        'Statement': [{'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject',
                       'Resource': 'arn:aws:s3:::%s/*' % assets['bucket']}]}))
    result = run_module(MODULE, {
        'src': DEFAULT_PAGES, 'public_url': assets['public_url'], 'bucket': assets['bucket'],
        'prefix': assets['prefix'], 'template_vars': VARS, 'page_vars': PAGE_VARS,
        'endpoint_url': moto.url, 'region': 'us-east-1'})
    assert result.get('failed') is not True, result.get('msg')
    return result


def load(page, server, body, path='/some/deep/link?q=1'):
    server.body = body.encode('utf-8')
    response = page.goto(server.url + path)
    page.wait_for_load_state('networkidle')
    return response


@pytest.mark.parametrize('name, heading', [('en', 'Down for maintenance'), ('ja', u'ただいまメンテナンス中です')])
def test_default_page_renders_with_cdn_assets(moto, uploaded, name, heading):
    built = uploaded['pages'][name]
    cdn_origin = '%s://%s' % urlsplit(moto.url)[:2]
    with FixedResponse() as alb, chromium_page() as page:
        responses = []
        page.on('response', lambda resp: responses.append((resp.url, resp.status)))
        response = load(page, alb, built['body'])
        assert response.status == 503
        assert alb.requests == ['/some/deep/link?q=1']  # the page asked for no favicon from the site

        # the stylesheet from the other origin applied
        assert page.evaluate("getComputedStyle(document.querySelector('h1')).color") == ACCENT
        assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") == '576px'
        sheets = page.evaluate('Array.from(document.styleSheets).map(s => s.href)')
        assert len(sheets) == 1 and sheets[0].startswith(cdn_origin + '/') and sheets[0] != alb.url
        # the logo loaded, from the CDN origin, with its alt text
        logo = page.locator('img')
        assert logo.evaluate('img => img.complete && img.naturalWidth') > 0
        assert logo.get_attribute('alt') == 'Example Corp'
        assert logo.evaluate('img => img.currentSrc').startswith(cdn_origin + '/')
        assert sorted(status for url, status in responses if url.startswith(cdn_origin)) == [200, 200]

        # what a visitor sees and what a probe looks for
        assert page.locator('h1').inner_text() == heading
        assert page.evaluate('document.documentElement.lang') == name
        assert page.locator('meta[name=robots]').get_attribute('content') == 'noindex'
        assert page.locator('meta[http-equiv=refresh]').get_attribute('content') == '300'
        assert page.locator('a[href="https://status.example.com/"]').count() == 1
        assert built['marker'] in page.locator('main').inner_text()
        if name == 'en':
            assert '<b>Thank you</b>' in page.locator('main').inner_text()  # escaped: shown as text
            assert page.locator('main b').count() == 0
            assert '2 March 2026, 14:00 UTC' in page.locator('time').inner_text()
        else:
            assert page.locator('time').inner_text() == u'2026年3月2日(月) 23:00 JST'

        # the only console error Chromium may log is the document's own
        # 503, which is the point; nothing else (a missing asset would show)
        assert [t for k, t, _u in page.console_log if k == 'error'] == [
            'Failed to load resource: the server responded with a status of 503 (Service Unavailable)']
        assert console_errors(page) == []
        assert problems(page) == []
        os.makedirs(OUTPUT, exist_ok=True)
        page.screenshot(path=os.path.join(OUTPUT, 'sorry-%s.png' % name), full_page=True)
        page.set_viewport_size({'width': 375, 'height': 667})
        page.screenshot(path=os.path.join(OUTPUT, 'sorry-%s-mobile.png' % name), full_page=True)
        # no horizontal scrolling on a phone
        assert page.evaluate('document.documentElement.scrollWidth') <= 375


def test_minified_pages_render_exactly_like_the_source(moto, assets, uploaded):
    """The minified default pages: the same pixels as the unminified page in
    Chromium, and fewer characters."""
    unminified = _pages.build_pages(DEFAULT_PAGES, template_vars=VARS, page_vars=PAGE_VARS,
                                    public_url=assets['public_url'], minify=False)
    # The stylesheet is referenced by its minified fingerprint in the uploaded
    # build; serve this build's (unminified) CSS and logo as well.
    s3 = moto.client('s3')
    for asset in unminified['assets']:
        s3.put_object(Bucket=assets['bucket'], Key=assets['prefix'] + asset.key_rel, Body=asset.data,
                      ContentType=_assets.content_type(asset.rel))
    with FixedResponse() as alb, chromium_page() as page:
        for name, built in sorted(unminified['pages'].items()):
            source = built['body']
            shots = {}
            for variant, html in (('source', source), ('minify-html', _minify.minify_page(source))):
                load(page, alb, html)
                assert page.evaluate("getComputedStyle(document.querySelector('h1')).color") == ACCENT
                shots[variant] = (hashlib.sha256(page.screenshot(full_page=True)).hexdigest(),
                                  page.evaluate('document.body.innerText'), _budget.count_chars(html))
            assert shots['minify-html'][:2] == shots['source'][:2], name
            assert shots['minify-html'][2] < shots['source'][2], (name, shots)
            assert problems(page) == [], page.console_log


def test_a_missing_asset_would_be_seen(moto, uploaded):
    """The checks above can fail: with an asset's key wrong the page loses
    its style or logo, and problems() names the request."""
    built = uploaded['pages']['en']['body']
    urls = {a['src']: a['url'] for a in uploaded['assets']}
    with FixedResponse() as alb, chromium_page() as page:
        gone = urls['logo.svg'].replace('/logo.', '/logo-gone.')
        load(page, alb, built.replace(urls['logo.svg'], gone))
        assert page.locator('img').evaluate('img => img.naturalWidth') == 0
        assert [url for url, _failure in page.failed_requests] + [url for _status, url in page.bad_responses] == [gone]
        assert len(problems(page)) == 1
    with FixedResponse() as alb, chromium_page() as page:
        gone = urls['style.css'].replace('/style.', '/style-gone.')
        load(page, alb, built.replace(urls['style.css'], gone))
        assert page.evaluate("getComputedStyle(document.querySelector('h1')).color") != ACCENT
        assert [url for url, _failure in page.failed_requests] + [url for _status, url in page.bad_responses] == [gone]
        assert len(problems(page)) >= 1


CONTRAST_JS = """() => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const bg = getComputedStyle(document.querySelector('main')).backgroundColor;
  const out = {};
  for (const sel of ['h1', 'main p', 'main a', '.ref']) {
    out[sel] = ratio(getComputedStyle(document.querySelector(sel)).color, bg);
  }
  return out;
}"""


@pytest.mark.parametrize('scheme', ['light', 'dark'])
def test_text_contrast_meets_wcag_aa(uploaded, scheme):
    with FixedResponse() as alb, chromium_page(color_scheme=scheme) as page:
        load(page, alb, uploaded['pages']['en']['body'])
        ratios = page.evaluate(CONTRAST_JS)
        assert set(ratios) == {'h1', 'main p', 'main a', '.ref'}
        for selector, ratio in ratios.items():
            assert ratio >= 4.5, (scheme, selector, ratio)
        os.makedirs(OUTPUT, exist_ok=True)
        page.screenshot(path=os.path.join(OUTPUT, 'sorry-en-%s.png' % scheme), full_page=True)
