# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _probe_report as pr

SITE = 'shop'
URL = 'http://alb.example/'
MARKERS = ['sorry-abc123', 'sorry-def456']
SORRY = '<html>We are sorry <!-- sorry-def456 --></html>'
APP = '<html>the shop</html>'
HINT = ('on the ALB; a real ALB applies changes within seconds, so look for a proxy or CDN in front of it, a wrong URL'
        ' (sorry_verify_url, sorry_verify_headers), or this node passing the bypass (sorry_verify_source_is_bypassed).')
NO_BYPASS = 'bypass: not probed (no bypass header; requests from this node are public ones)'


def answer(status, content=APP, attempts=None, **extra):
    out = {'status': status, 'content': content, 'msg': 'OK (%s bytes)' % len(content)}
    if attempts is not None:
        out['attempts'] = attempts
    out.update(extra)
    return out


NO_ANSWER = {'status': -1, 'msg': 'Status code was -1 and not [200]: Request failed: <urlopen error [Errno 111] Connection refused>',
             'attempts': 4}
SKIPPED = {'changed': False, 'skipped': True, 'skip_reason': 'Conditional result was False'}


# ---------------------------------------------------------------- is_sorry

@pytest.mark.parametrize('content, markers, expected', [
    (SORRY, MARKERS, True),
    (SORRY, ['sorry-def456'], True),
    (SORRY, ['sorry-abc123'], False),
    (APP, MARKERS, False),
    (SORRY, [], False),
    (SORRY, None, False),
    ('', MARKERS, False),
    (None, MARKERS, False),
    (SORRY, 'sorry-def456', True),       # one marker given as a string, not its characters
    (SORRY, 'zzz', False),
])
def test_is_sorry(content, markers, expected):
    assert pr.is_sorry(content, markers) is expected


# ---------------------------------------------------------------- probe_done (the until expressions)

@pytest.mark.parametrize('result, expect, bypassed, expected', [
    (answer(503, SORRY), 'on', False, True),
    (answer(200, SORRY), 'on', False, False),       # the page, but not with 503
    (answer(503, APP), 'on', False, False),         # the application's own 503
    (answer(200, APP), 'on', False, False),         # the page is not on yet
    ({'status': '503', 'content': SORRY}, 'on', False, True),
    (NO_ANSWER, 'on', False, False),
    ({}, 'on', False, False),                       # no status at all: no answer
    (answer(200, APP), 'on', True, True),           # this node is bypassed: it must get the application
    (answer(503, SORRY), 'on', True, False),
    (answer(200, APP), 'off', False, True),
    (answer(503, APP), 'off', False, True),         # the application's own 5xx is not the page
    (answer(503, SORRY), 'off', False, False),
    (answer(200, SORRY), 'off', True, False),
    (NO_ANSWER, 'off', False, False),
])
def test_public_probe_done(result, expect, bypassed, expected):
    assert pr.probe_done(result, expect, MARKERS, source_is_bypassed=bypassed) is expected


@pytest.mark.parametrize('result, expect, expected', [
    (answer(200, APP), 'on', True),
    (answer(502, APP), 'on', True),
    (answer(503, SORRY), 'on', False),
    (answer(200, SORRY), 'off', False),
    (answer(200, APP), 'off', True),
    (NO_ANSWER, 'on', False),
])
def test_bypass_probe_done(result, expect, expected):
    assert pr.probe_done(result, expect, MARKERS, bypass=True) is expected
    assert pr.probe_done(result, expect, MARKERS, source_is_bypassed=True, bypass='yes') is expected


def test_probe_done_without_markers_never_sees_the_page():
    assert pr.probe_done(answer(503, SORRY), 'on', []) is False
    assert pr.probe_done(answer(503, SORRY), 'off', []) is True


@pytest.mark.parametrize('expect', ['ON', 'yes', True, None, ''])
def test_expect_must_be_on_or_off(expect):
    with pytest.raises(ValueError, match=r"expect must be 'on' or 'off' \(the maintenance state the probe checks\), got "):
        pr.probe_done(answer(200), expect, MARKERS)


@pytest.mark.parametrize('value, expected', [(True, True), ('true', True), ('yes', True), ('on', True), (1, True),
                                             (False, False), ('false', False), ('no', False), (0, False), (None, False)])
def test_flags_read_like_ansible_bool(value, expected):
    assert pr.flag('x', value) is expected


def test_a_flag_that_is_not_a_boolean_is_refused_by_name():
    with pytest.raises(ValueError, match=r"^source_is_bypassed must be true or false, got 'maybe'$"):
        pr.probe_done(answer(200), 'on', MARKERS, source_is_bypassed='maybe')


# ---------------------------------------------------------------- verify_lines

def test_lines_on_with_a_bypass_header():
    assert pr.verify_lines(SITE, URL, 'on', MARKERS, answer(503, SORRY, attempts=3), bypass=answer(200, APP, attempts=1),
                           bypass_header_name='X-Sorry-Bypass') == [
        'verify shop (maintenance ON) at http://alb.example/',
        'public: OK - HTTP 503, the Sorry page (marker found) after 3 attempt(s)',
        'bypass (header X-Sorry-Bypass): OK - HTTP 200, not the Sorry page after 1 attempt(s)',
    ]


def test_lines_on_bypass_probe_answering_5xx_warns_and_attempts_default_to_one():
    assert pr.verify_lines(SITE, URL, 'on', MARKERS, answer(503, SORRY), bypass=answer(502, APP, attempts=2),
                           bypass_header_name='X-Sorry-Bypass')[1:] == [
        'public: OK - HTTP 503, the Sorry page (marker found) after 1 attempt(s)',
        'bypass (header X-Sorry-Bypass): OK - HTTP 502, not the Sorry page after 2 attempt(s)'
        ' (WARNING: the application itself answers 502)',
    ]


def test_lines_off_without_bypass_header():
    assert pr.verify_lines(SITE, URL, 'off', MARKERS, answer(200, APP, attempts=2), bypass=SKIPPED) == [
        'verify shop (maintenance OFF) at http://alb.example/',
        'public: OK - HTTP 200, not the Sorry page after 2 attempt(s)',
        NO_BYPASS,
    ]


def test_lines_off_public_5xx_warns():
    assert pr.verify_lines(SITE, URL, 'off', MARKERS, answer(500, APP, attempts=1))[1] == (
        'public: OK - HTTP 500, not the Sorry page after 1 attempt(s) (WARNING: the application itself answers 500)')
    assert pr.verify_lines(SITE, URL, 'off', MARKERS, answer(499, APP, attempts=1))[1] == (
        'public: OK - HTTP 499, not the Sorry page after 1 attempt(s)')


def test_lines_off_with_no_page_to_compare_with():
    assert pr.verify_lines(SITE, URL, 'off', [], answer(502, APP, attempts=5)) == [
        'verify shop (maintenance OFF) at http://alb.example/',
        'public: OK - HTTP 502, not the Sorry page (no Sorry page was on to compare with)',
        NO_BYPASS,
    ]


@pytest.mark.parametrize('expect, header, bypass, last', [
    ('on', '', None, 'bypass (this node by address): see the line above'),
    ('off', '', SKIPPED, 'bypass (this node by address): see the line above'),
    ('on', 'X-Sorry-Bypass', answer(200, APP, attempts=1),
     'bypass (header X-Sorry-Bypass): OK - HTTP 200, not the Sorry page after 1 attempt(s)'),
])
def test_lines_from_a_bypassed_node_are_inconclusive(expect, header, bypass, last):
    assert pr.verify_lines(SITE, URL, expect, MARKERS, answer(200, APP, attempts=1), bypass=bypass,
                           bypass_header_name=header, source_is_bypassed=True) == [
        'verify shop (maintenance %s) at http://alb.example/' % expect.upper(),
        'public: INCONCLUSIVE - this control node is in the bypass list (sorry_verify_source_is_bypassed), so its request is'
        ' not a public one; check from outside. It got HTTP 200, not the Sorry page, as a bypassed user should',
        last,
    ]


def test_lines_inconclusive_says_when_a_bypassed_node_got_the_page():
    assert pr.verify_lines(SITE, URL, 'on', MARKERS, answer(503, SORRY), source_is_bypassed='true')[1].endswith(
        'It got HTTP 503, the Sorry page (marker found), as a bypassed user should')


@pytest.mark.parametrize('bypass', [None, SKIPPED])
def test_lines_refuse_a_bypass_header_without_its_probe(bypass):
    with pytest.raises(ValueError, match=r'^verify_lines: there is a bypass header \(X-Sorry-Bypass\) but no result of the'
                                         r' probe with it$'):
        pr.verify_lines(SITE, URL, 'on', MARKERS, answer(503, SORRY), bypass=bypass, bypass_header_name='X-Sorry-Bypass')


# ---------------------------------------------------------------- verify_failure

def test_failure_no_answer():
    assert pr.verify_failure(SITE, URL, 'on', MARKERS, 20, NO_ANSWER,
                             'Request without the bypass header, until it gets the expected answer') == (
        'verify FAILED for shop after 20s (4 attempts): Request without the bypass header, until it gets the expected answer.'
        ' http://alb.example/ answered nothing (Status code was -1 and not [200]: Request failed: <urlopen error [Errno 111]'
        ' Connection refused>), not the Sorry page (no marker sorry-abc123 / sorry-def456 in the body). Maintenance is ON ' + HINT)


def test_failure_got_the_page():
    assert pr.verify_failure(SITE, URL, 'off', MARKERS, '120', answer(503, SORRY, attempts=40),
                             'Request with the bypass header, until it gets no Sorry page') == (
        'verify FAILED for shop after 120s (40 attempts): Request with the bypass header, until it gets no Sorry page.'
        ' http://alb.example/ answered HTTP 503, the Sorry page (marker found). Maintenance is OFF ' + HINT)


def test_failure_without_markers_or_attempts_or_msg():
    assert pr.verify_failure(SITE, URL, 'on', [], 3, {'failed': True}, 'Some task') == (
        'verify FAILED for shop after 3s (1 attempts): Some task. http://alb.example/ answered nothing (), not the Sorry'
        ' page (no marker known in the body). Maintenance is ON ' + HINT)


# ---------------------------------------------------------------- off_probe_verdict

def verdict(probe, **kwargs):
    args = dict(site=SITE, url=URL, probe=probe, markers=MARKERS, can_bypass=True, bypass_by='header X-Sorry-Bypass',
                in_maintenance=True, force_off=False)
    args.update(kwargs)
    return pr.off_probe_verdict(**args)


def test_off_healthy_application():
    assert verdict(answer(200)) == {
        'refuse': False, 'message': '',
        'line': 'the application answers HTTP 200 through the bypass (header X-Sorry-Bypass)'}
    assert verdict(answer(404), bypass_by="this node's address")['line'] == (
        "the application answers HTTP 404 through the bypass (this node's address)")


def test_off_refuses_an_application_answering_5xx():
    assert verdict(answer(503)) == {
        'refuse': True,
        'message': 'Maintenance stays ON for shop: through the bypass (header X-Sorry-Bypass), http://alb.example/ answered'
                   ' HTTP 503. Fix the application first, or set sorry_force_off=true to take the page down anyway.',
        'line': 'WARNING: the application answers HTTP 503 through the bypass; switching off anyway (sorry_force_off)'}


def test_off_refuses_an_application_answering_nothing():
    assert verdict(NO_ANSWER)['message'] == (
        'Maintenance stays ON for shop: through the bypass (header X-Sorry-Bypass), http://alb.example/ answered nothing'
        ' (Status code was -1 and not [200]: Request failed: <urlopen error [Errno 111] Connection refused>). Fix the'
        ' application first, or set sorry_force_off=true to take the page down anyway.')
    assert verdict({'status': -1})['message'] == (
        'Maintenance stays ON for shop: through the bypass (header X-Sorry-Bypass), http://alb.example/ answered nothing'
        ' (no answer). Fix the application first, or set sorry_force_off=true to take the page down anyway.')


@pytest.mark.parametrize('probe, what', [(answer(500), 'HTTP 500'), (NO_ANSWER, 'nothing')])
def test_off_forced_goes_on_with_a_warning(probe, what):
    assert verdict(probe, force_off='yes') == {
        'refuse': False, 'message': '',
        'line': 'WARNING: the application answers %s through the bypass; switching off anyway (sorry_force_off)' % what}


def test_off_probe_that_got_the_page_warns_and_does_not_refuse():
    assert verdict(answer(503, SORRY)) == {
        'refuse': False, 'message': '',
        'line': 'WARNING: the probe with header X-Sorry-Bypass got the Sorry page: the bypass does not let this node through,'
                ' the application was not checked'}
    # markers of pages no longer on the ALB do not count
    assert verdict(answer(503, SORRY), markers=['sorry-other'])['refuse'] is True


@pytest.mark.parametrize('kwargs, line', [
    ({'url': ''}, 'no probe: sorry_verify_url is not set'),
    ({'url_set': False}, 'no probe: sorry_verify_url is not set'),
    ({'url': '', 'in_maintenance': False, 'can_bypass': False}, 'no probe: sorry_verify_url is not set'),
    ({'in_maintenance': False}, 'no probe: maintenance is not on'),
    ({'in_maintenance': 'false', 'can_bypass': False}, 'no probe: maintenance is not on'),
    ({'can_bypass': False}, 'WARNING: no probe: no bypass header and this node is not marked as bypassed'
                            ' (sorry_verify_source_is_bypassed), so the application cannot be reached from here while the'
                            ' page is on'),
])
def test_off_without_probe(kwargs, line):
    for probe in (SKIPPED, None):
        assert verdict(probe, **kwargs) == {'refuse': False, 'message': '', 'line': line}


def test_off_verdict_refuses_a_flag_that_is_not_a_boolean():
    with pytest.raises(ValueError, match=r"^force_off must be true or false, got 'please'$"):
        verdict(answer(200), force_off='please')


# ---------------------------------------------------------------- verify_retries

@pytest.mark.parametrize('timeout, delay, retries', [
    (120, 3, 40), (20, 1, 20), (20, 3, 7), (3, 1, 3), (600, 1, 600),
    (1, 3, 1), (0, 3, 1), (-5, 3, 1),      # always one probe
    (10, 0, 10), (10, -2, 10),             # at least a second between probes
    ('20', '3', 7),
])
def test_verify_retries(timeout, delay, retries):
    assert pr.verify_retries(timeout, delay) == retries


@pytest.mark.parametrize('timeout, delay, message', [
    ('soon', 3, "^sorry_verify_timeout must be a whole number of seconds, got 'soon'$"),
    (None, 3, '^sorry_verify_timeout must be a whole number of seconds, got None$'),
    (20, True, '^sorry_verify_delay must be a whole number of seconds, got True$'),
    (20, '1.5', "^sorry_verify_delay must be a whole number of seconds, got '1.5'$"),
])
def test_verify_retries_refuses_what_is_not_seconds(timeout, delay, message):
    with pytest.raises(ValueError, match=message):
        pr.verify_retries(timeout, delay)


def test_bypass_probe_with_the_first_header_from_the_address_or_not_at_all():
    from ansible_collections.sorrypage.aws.plugins.module_utils import _probe_report as P
    headers = [{'name': 'X-Sorry-Bypass', 'value': 's3cret'}, {'name': 'X-Other', 'value': 'x'}]
    assert P.bypass_probe({'Host': 'shop'}, headers) == {
        'can_bypass': True, 'headers': {'Host': 'shop', 'X-Sorry-Bypass': 's3cret'}, 'by': 'header X-Sorry-Bypass'}
    assert P.bypass_probe({'Host': 'shop'}, [], source_is_bypassed=True) == {
        'can_bypass': True, 'headers': {'Host': 'shop'}, 'by': "this node's address"}
    assert P.bypass_probe(None, [], source_is_bypassed='no')['can_bypass'] is False


def test_why_no_probe_runs_and_what_verify_expects():
    from ansible_collections.sorrypage.aws.plugins.module_utils import _probe_report as P
    assert P.skip_reason('shop', '', False) == 'verify skipped for shop: sorry_verify_url is not set; check the site by hand'
    assert P.skip_reason('shop', 'http://x/', True) == 'verify skipped for shop: check mode (nothing was switched)'
    assert P.skip_reason('shop', 'http://x/', False) == ''
    assert [P.expect_of(s) for s in ({'maintenance': 'on'}, {'maintenance': 'partly'}, {'maintenance': 'off'}, {}, None)] == [
        'on', 'on', 'off', 'off', 'off']
