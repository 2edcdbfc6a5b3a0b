"""What every visitor gets, through both drivers: their language, JSON for API clients, the office the application.

The real maintenance playbooks run against the sandbox (its stand-in AWS Load
Balancer Controller programs the ALB from the Ingress for the Ingress driver,
and is paused by the ALB driver). Each host has a default page and a second
language (shop: English, Japanese for ``ja*``; blog: Japanese, English for
``en*``); shop's ``/api/*`` and every ``Accept: application/json`` request get
the JSON 503. Visitors are asked through the data plane and in a real headless
Chromium whose language is set (its ``Accept-Language``).
"""
import json
import re

import pytest

from tests.integration.test_ingress_browser import HEADINGS, public_browser, site_url, visit
from tests.integration.test_ingress_driver import Book, sandbox, settled, summary  # noqa: F401 pylint: disable=unused-import
from tests.integration.test_runbook import BYPASS_HEADER, assert_ok, messages
from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, request

pytestmark = pytest.mark.sandbox_only

REASON = 'Database upgrade'                 # sorry_reason of test_ingress_driver.site_vars
JA = 'ja,en-US;q=0.9'
EN_FIRST = 'en-US,en;q=0.9,ja;q=0.8'        # knows Japanese, prefers English


def visitor_vars(box):
    hosts = box.sites[0]['hosts']
    return {
        'sorry_pages': [{'name': 'shop', 'page': 'en', 'hosts': [hosts[0]], 'languages': {'ja': 'ja'}},
                        {'name': 'blog', 'page': 'ja', 'hosts': [hosts[1]], 'languages': {'en': 'en'}}],
        'sorry_api': {'shop': {'paths': ['/api/*']}, 'blog': {}},
    }


def ask(box, host, path='/deep/path?q=1', source_ip=PUBLIC_IP, **headers):
    return request(box.url_for(80) + path, host=host, source_ip=source_ip,
                   headers=dict((k.replace('_', '-'), v) for k, v in headers.items()))


def page_lang(resp):
    assert resp.status == 503 and resp.headers.get('Content-Type', '').startswith('text/html'), resp
    found = re.search(r'<html lang="?([a-z-]+)', resp.text)
    return found.group(1) if found else resp.text[:200]


def api_answer(resp):
    assert resp.status == 503 and resp.headers.get('Content-Type', '').startswith('application/json'), resp
    return json.loads(resp.text)


@pytest.mark.parametrize('driver', ['alb', 'ingress'])
def test_each_visitor_gets_their_language_api_clients_json_and_the_office_the_application(tmp_path, sandbox, driver):
    box = sandbox
    shop, blog = box.sites[0]['hosts']
    before = settled(box)
    book = Book(tmp_path, box, sorry_driver=driver, **visitor_vars(box))

    if driver == 'alb':
        # the ALB driver writes the rules, then pauses the controller: the stand-in (ticking every 50 ms) holds still
        box.reconciler.stop_acting()
    res = book.run('on')
    box.reconciler.resume_acting()
    assert_ok(res)
    assert 'driver: %s' % driver in summary(res), summary(res)

    # the language: the first preference decides, on every host; nobody's language: the host's default
    for host, default in ((shop, 'en'), (blog, 'ja')):
        assert page_lang(ask(box, host, Accept_Language=JA)) == 'ja'
        assert page_lang(ask(box, host, Accept_Language='JA-jp')) == 'ja'       # the ALB compares case-insensitively
        assert page_lang(ask(box, host, Accept_Language=EN_FIRST)) == 'en'
        assert page_lang(ask(box, host, Accept_Language='fr-FR,fr;q=0.9')) == default
        assert page_lang(ask(box, host)) == default
    # API clients: parseable JSON with the reason, whatever their language; shop's /api/* whatever they accept
    for host in (shop, blog):
        doc = api_answer(ask(box, host, '/v1/orders', Accept='application/json', Accept_Language=JA))
        assert (doc['status'], doc['error'], doc['message'], doc['until'], doc['status_url']) == (
            503, 'maintenance', REASON, '2030-05-01T06:00:00Z', 'https://status.example.test/'), doc
    assert api_answer(ask(box, shop, '/api/cart', Accept='text/html'))['message'] == REASON
    assert page_lang(ask(box, blog, '/api/cart', Accept='text/html')) == 'ja'    # blog has no API path
    # the office, by address or by header, bypasses all of it
    for host in (shop, blog):
        for path, headers in (('/deep/path?q=1', {'Accept_Language': JA}), ('/api/cart', {'Accept': 'application/json'})):
            office = ask(box, host, path, source_ip=OFFICE_IP, **headers)
            assert office.status == 200 and office.first_line.startswith('sample-app OK'), office
            by_header = ask(box, host, path, **dict(headers, **{BYPASS_HEADER['name'].replace('-', '_'): BYPASS_HEADER['value']}))
            assert by_header.status == 200, by_header
    assert 'public: OK - HTTP 503, the Sorry page (marker found)' in messages(
        res, 'Report what the public and a bypassed user get')

    # a real browser, as set up in each language
    with public_browser(box) as browser:
        for host in (shop, blog):
            for locale, lang in (('ja-JP', 'ja'), ('en-US', 'en')):
                status, seen_lang, heading, text = visit(browser, site_url(box, host), '%s-%s' % (driver, locale),
                                                         locale=locale)
                assert (status, seen_lang, heading) == (503, lang, HEADINGS[lang]), (host, locale, heading)
                assert REASON in text

    if driver == 'alb':
        box.reconciler.stop_acting()
    res = book.run('off')
    box.reconciler.resume_acting()
    assert_ok(res)
    assert settled(box) == before
    for host in (shop, blog):
        assert ask(box, host, Accept='application/json', Accept_Language=JA).status == 200
