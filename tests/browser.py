"""Debian's Chromium, headless, driven by Playwright for Python.

    from tests.browser import chromium_page

    with chromium_page() as page:
        page.goto(url)
        assert console_errors(page) == []
        assert problems(page) == []

Playwright drives /usr/bin/chromium (``make chromium`` installs it) with only
the flags below, a fresh profile in a temporary directory, and the pipe it
needs to talk to the browser; nothing is downloaded. The page it yields
records the console, uncaught exceptions, failed requests and error
responses as it goes (``page.console_log``, ``page.page_errors``,
``page.failed_requests``, ``page.bad_responses``); ``console_errors(page)``
gives the console errors that matter, ``problems(page)`` everything that
went wrong.
"""
import contextlib
import os
import shutil
import tempfile

CHROMIUM = os.environ.get('SORRYPAGE_CHROMIUM', '/usr/bin/chromium')
CHROMIUM_FLAGS = (
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
)


def chromium_available():
    return os.access(CHROMIUM, os.X_OK)


def require_chromium():
    """Fail (not skip) with the fix when Chromium is missing: a browser test
    that silently skips proves nothing."""
    if not chromium_available():
        raise AssertionError('%s is missing: run `make chromium` (hack/ensure-chromium.sh)' % CHROMIUM)


@contextlib.contextmanager
def chromium_browser(extra_args=()):
    """A launched Browser with a throwaway profile; closed and removed on exit.

    ``extra_args`` adds Chromium flags, e.g. ``--host-resolver-rules``."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix='sorrypage-chromium-')
    try:
        with sync_playwright() as playwright:
            # ignore_default_args: Playwright's own flag set is replaced by
            # ours; it still needs the debugging pipe to drive the browser.
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                ignore_default_args=True,
                args=list(CHROMIUM_FLAGS) + list(extra_args) + ['--user-data-dir=' + profile, '--remote-debugging-pipe'],
            )
            try:
                yield browser
            finally:
                browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


_LOAD_FAILED = 'Failed to load resource: the server responded with a status of %d'


def watch(page):
    page.console_log = []        # (type, text, url) of every console message
    page.page_errors = []        # uncaught exceptions
    page.failed_requests = []    # (url, failure) of requests that got no response
    page.bad_responses = []      # (status, url) of sub-resources answered >= 400
    page.document_statuses = {}  # main-frame document URL -> HTTP status

    def on_response(resp):
        if resp.request.is_navigation_request() and resp.frame == page.main_frame:
            page.document_statuses[resp.url] = resp.status
        elif resp.status >= 400:
            page.bad_responses.append((resp.status, resp.url))

    page.on('console', lambda msg: page.console_log.append((msg.type, msg.text, (msg.location or {}).get('url'))))
    page.on('pageerror', lambda exc: page.page_errors.append(str(exc)))
    page.on('requestfailed', lambda req: page.failed_requests.append((req.url, req.failure)))
    page.on('response', on_response)
    return page


def console_errors(page, allow_document_status=True):
    """Texts of the console errors of a page from chromium_page().

    Chromium logs 'Failed to load resource: ... status of 503' for a document
    served with an error status on purpose (the Sorry page is a 503); with
    allow_document_status that one line per loaded document, naming exactly
    the status the document was served with, is left out. Any other error,
    including a sub-resource (CSS, image) that failed, is returned.
    """
    errors = []
    for kind, text, url in page.console_log:
        if kind != 'error':
            continue
        status = page.document_statuses.get(url)
        if allow_document_status and status is not None and text.startswith(_LOAD_FAILED % status):
            continue
        errors.append(text)
    return errors


def problems(page):
    """Everything that went wrong loading a page, beyond its own status: the
    console errors that matter, requests without a response, sub-resources
    answered >= 400, uncaught exceptions. Chromium blocks a cross-origin
    image whose answer is an error document (ERR_BLOCKED_BY_ORB) without a
    console line, so the console alone would miss a broken logo."""
    return (console_errors(page) + ['%s: %s' % item for item in page.failed_requests]
            + ['HTTP %d: %s' % item for item in page.bad_responses] + page.page_errors)


@contextlib.contextmanager
def chromium_page(viewport=None, locale=None, timezone_id=None, color_scheme='light', **context_options):
    """A fresh Page (own context) in a fresh headless Chromium.

    ``viewport`` defaults to 1024x768; ``locale``/``timezone_id``/``color_scheme``
    go to the browser context, as do other Playwright context options.
    """
    with chromium_browser() as browser:
        options = dict(context_options)
        options['viewport'] = viewport or {'width': 1024, 'height': 768}
        if locale:
            options['locale'] = locale
        if timezone_id:
            options['timezone_id'] = timezone_id
        if color_scheme:
            options['color_scheme'] = color_scheme
        context = browser.new_context(**options)
        try:
            yield watch(context.new_page())
        finally:
            context.close()
