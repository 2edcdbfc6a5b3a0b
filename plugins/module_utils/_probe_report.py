# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the runbook's HTTP probes mean (pure): is it the Sorry page, may the retry loop stop,
what verify reports, why it failed, and whether `off` may take the page down.

A probe is an ``ansible.builtin.uri`` result: ``status`` (-1: no answer), ``content``, ``msg``,
``attempts`` (set by ``until``). A skipped task's result is ``{'skipped': True, ...}``.
The texts are the runbook's output: integration tests and SREs read them, keep them stable.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.module_utils.six import integer_types, string_types
from ansible.module_utils.six.moves.collections_abc import Mapping

EXPECTS = ('on', 'off')

NOT_SORRY_HINT = ('. Maintenance is %s on the ALB; a real ALB applies changes within seconds,'
                  ' so look for a proxy or CDN in front of it, a wrong URL (sorry_verify_url, sorry_verify_headers),'
                  ' or this node passing the bypass (sorry_verify_source_is_bypassed).')


def _text(value):
    return u'%s' % (value,)


def _jinja_int(value):
    """Jinja's ``int`` filter: a number, a numeric string, else 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, integer_types):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return 0


def flag(name, value):
    """A yes/no input as Ansible's ``bool`` understands it; None is no; anything else is refused by name."""
    if value is None:
        return False
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise ValueError('%s must be true or false, got %r' % (name, value))


def _expect(expect):
    if expect not in EXPECTS:
        raise ValueError("expect must be 'on' or 'off' (the maintenance state the probe checks), got %r" % (expect,))
    return expect


def _result(result):
    return result if isinstance(result, Mapping) else {}


def status(result):
    """The probe's HTTP status as a number; -1 (no answer) when the result has none."""
    return _jinja_int(_result(result).get('status', -1))


def skipped(result):
    """Whether the probe task did not run (Ansible's ``skipped`` test); no result at all counts as skipped."""
    return result is None or bool(_result(result).get('skipped', False))


def is_sorry(content, markers):
    """Whether any of the Sorry pages' unique markers is in the body."""
    if content is None:
        content = ''
    if isinstance(markers, string_types):
        markers = [markers]
    content = _text(content)
    return any(_text(marker) in content for marker in markers or [])


def _probe_is_sorry(result, markers):
    return is_sorry(_result(result).get('content', ''), markers)


def probe_done(result, expect, markers, source_is_bypassed=False, bypass=False):
    """Whether the retry loop of a probe may stop (its ``until``).

    Every probe needs an answer. The bypass probe must not get the Sorry page. The public probe must
    get 503 and the page while maintenance is on (unless this node is itself bypassed), and must not
    get the page otherwise.
    """
    expect = _expect(expect)
    if status(result) == -1:
        return False
    sorry = _probe_is_sorry(result, markers)
    if flag('bypass', bypass):
        return not sorry
    if expect == 'on' and not flag('source_is_bypassed', source_is_bypassed):
        return status(result) == 503 and sorry
    return not sorry


def _answered(result, no_answer):
    if status(result) == -1:
        return 'nothing (%s)' % _text(_result(result).get('msg', no_answer))
    return 'HTTP %s' % _text(_result(result).get('status'))


def _server_error(result):
    return ' (WARNING: the application itself answers %s)' % _text(_result(result).get('status')) if status(result) >= 500 else ''


def _tries(result):
    return ' after %s attempt(s)' % _text(_result(result).get('attempts', 1))


def verify_lines(site, url, expect, markers, public, bypass=None, bypass_header_name='', source_is_bypassed=False):
    """The verify summary, one line per probe: ``public`` is the public probe, ``bypass`` the probe with
    the first bypass header (whose name is ``bypass_header_name``; empty when there is none)."""
    expect = _expect(expect)
    source_is_bypassed = flag('source_is_bypassed', source_is_bypassed)
    pub = _result(public)
    pub_what = 'HTTP %s%s' % (_text(pub.get('status', -1)),
                              ', the Sorry page (marker found)' if _probe_is_sorry(pub, markers) else ', not the Sorry page')
    lines = ['verify %s (maintenance %s) at %s' % (_text(site), expect.upper(), _text(url))]
    if source_is_bypassed:
        lines.append('public: INCONCLUSIVE - this control node is in the bypass list (sorry_verify_source_is_bypassed),'
                     ' so its request is not a public one; check from outside. It got %s, as a bypassed user should' % pub_what)
    elif expect == 'on':
        lines.append('public: OK - %s%s' % (pub_what, _tries(pub)))
    elif not markers:
        lines.append('public: OK - %s (no Sorry page was on to compare with)' % pub_what)
    else:
        lines.append('public: OK - %s%s%s' % (pub_what, _tries(pub), _server_error(pub)))
    if bypass_header_name:
        if skipped(bypass):
            raise ValueError('verify_lines: there is a bypass header (%s) but no result of the probe with it' % bypass_header_name)
        byp = _result(bypass)
        lines.append('bypass (header %s): OK - HTTP %s, not the Sorry page%s%s'
                     % (_text(bypass_header_name), _text(byp.get('status', -1)), _tries(byp), _server_error(byp)))
    elif source_is_bypassed:
        lines.append('bypass (this node by address): see the line above')
    else:
        lines.append('bypass: not probed (no bypass header; requests from this node are public ones)')
    return lines


def verify_failure(site, url, expect, markers, timeout, failed_result, failed_task_name):
    """The message when a probe never got the expected answer (``failed_result`` is the rescued
    ``ansible_failed_result``, ``failed_task_name`` the name of ``ansible_failed_task``)."""
    expect = _expect(expect)
    failed = _result(failed_result)
    if _probe_is_sorry(failed, markers):
        page = ', the Sorry page (marker found)'
    else:
        page = ', not the Sorry page (no marker %s in the body)' % (' / '.join(_text(m) for m in markers or []) or 'known')
    return ('verify FAILED for %s after %ss (%s attempts): %s. %s answered %s%s'
            % (_text(site), _text(timeout), _text(failed.get('attempts', 1)), _text(failed_task_name), _text(url),
               _answered(failed, ''), page)
            + NOT_SORRY_HINT % expect.upper())


def off_probe_verdict(site, url, probe, markers, can_bypass, bypass_by, in_maintenance, force_off, url_set=True):
    """Whether `off` must keep the page up, after probing the application through the bypass.

    ``probe`` is the probe's result (skipped when there was no URL, no maintenance or no way through the
    bypass); ``markers`` the markers of the Sorry pages on the ALB; ``bypass_by`` how the probe passes
    the bypass (``header X-Sorry-Bypass`` or ``this node's address``). An empty ``url`` counts as not set.

    Returns ``refuse`` (the application answers 5xx or nothing through the bypass, and
    ``force_off`` is not set), ``message`` (why, when refused; empty otherwise) and ``line`` (what the
    probe found, for the log).
    """
    url_set = flag('url_set', url_set) and len(_text(url or '')) > 0
    in_maintenance = flag('in_maintenance', in_maintenance)
    can_bypass = flag('can_bypass', can_bypass)
    force_off = flag('force_off', force_off)
    ran = not skipped(probe)
    sorry = ran and _probe_is_sorry(probe, markers)
    bad = status(probe) == -1 or status(probe) >= 500
    refuse = ran and bad and not sorry and not force_off
    message = ''
    if refuse:
        message = ('Maintenance stays ON for %s: through the bypass (%s), %s answered %s. Fix the application first,'
                   ' or set sorry_force_off=true to take the page down anyway.'
                   % (_text(site), _text(bypass_by), _text(url), _answered(probe, 'no answer')))
    if not url_set:
        line = 'no probe: sorry_verify_url is not set'
    elif not in_maintenance:
        line = 'no probe: maintenance is not on'
    elif not can_bypass:
        line = ('WARNING: no probe: no bypass header and this node is not marked as bypassed (sorry_verify_source_is_bypassed),'
                ' so the application cannot be reached from here while the page is on')
    elif sorry:
        line = ('WARNING: the probe with %s got the Sorry page: the bypass does not let this node through, the application'
                ' was not checked' % _text(bypass_by))
    elif bad:
        line = ('WARNING: the application answers %s through the bypass; switching off anyway (sorry_force_off)'
                % ('nothing' if status(probe) == -1 else 'HTTP %s' % _text(_result(probe).get('status'))))
    else:
        line = 'the application answers HTTP %s through the bypass (%s)' % (_text(_result(probe).get('status')), _text(bypass_by))
    return {'refuse': refuse, 'message': message, 'line': line}


def _seconds(name, value):
    if isinstance(value, bool):
        raise ValueError('%s must be a whole number of seconds, got %r' % (name, value))
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError('%s must be a whole number of seconds, got %r' % (name, value))


def verify_retries(timeout, delay):
    """How many probes fit in ``timeout`` seconds, one every ``delay`` seconds (at least 1 second): at least one."""
    timeout = _seconds('sorry_verify_timeout', timeout)
    delay = _seconds('sorry_verify_delay', delay)
    return max(int(math.ceil(timeout / max(delay, 1))), 1)


def bypass_probe(verify_headers, bypass_headers, source_is_bypassed=False):
    """How a probe passes the bypass: {can_bypass, headers, by}.

    With the first of ``bypass_headers`` (its value joins ``verify_headers``:
    the result is a secret, for no_log tasks only), else from this node's
    address when it is in the bypass list (a probe cannot choose its source
    address), else not at all.
    """
    headers = dict(verify_headers or {})
    first = (bypass_headers or [None])[0]
    if first:
        headers[first['name']] = first['value']
        return {'can_bypass': True, 'headers': headers, 'by': 'header %s' % _text(first['name'])}
    bypassed = flag('source_is_bypassed', source_is_bypassed)
    return {'can_bypass': bypassed, 'headers': headers, 'by': "this node's address"}


def skip_reason(site, url, check_mode):
    """Why the probes of on/off/verify do not run, or '' when they do."""
    if not _text(url or ''):
        return 'verify skipped for %s: sorry_verify_url is not set; check the site by hand' % _text(site)
    if flag('check_mode', check_mode):
        return 'verify skipped for %s: check mode (nothing was switched)' % _text(site)
    return ''


def expect_of(state):
    """What verify expects from the site as its driver read it: 'off' when no listener is on, else 'on'."""
    return 'off' if ((state or {}).get('maintenance') or 'off') == 'off' else 'on'
