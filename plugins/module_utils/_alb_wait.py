# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting until an ALB's listeners answer as maintenance should, read through ELBv2 (pure).

The AWS Load Balancer Controller programs the rules some time after an
Ingress edit, so ``on`` and ``off`` are not done until the listener rules,
evaluated with ``_alb_eval``, give what ``expect`` asks for:

- ``on``: the public request gets the page, the bypass request does not;
- ``bypass_only``: the bypass request does not get the page (the public one may);
- ``off``: no request gets the page.

The reads and the clock are injected: ``read()`` returns the listeners and
their rules for one round, ``clock()`` the time in seconds, ``sleep(s)``
waits; unit tests pass a fake clock.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import time

from ansible_collections.sorrypage.aws.plugins.module_utils import _alb_eval

EXPECTS = ('on', 'bypass_only', 'off')
# TEST-NET-3, outside any office CIDR a real site uses: "someone on the internet"
PUBLIC_SOURCE_IP = '203.0.113.9'


class WaitInputError(ValueError):
    """The inputs cannot make a wait; the message names the input."""


class Spec:
    """What to evaluate: the hosts, the page markers, the requests and what they must get."""

    def __init__(self, expect, hosts, markers, bypass_source_ip=None, bypass_header=None, ports=None):
        if expect not in EXPECTS:
            raise WaitInputError('expect must be one of %s, not %r' % (', '.join(EXPECTS), expect))
        self.hosts = [h.strip() for h in hosts or [] if h and h.strip()]
        if not self.hosts:
            raise WaitInputError('hosts is empty: name at least one host whose requests to evaluate')
        self.markers = [m for m in markers or [] if m]
        if not self.markers:
            raise WaitInputError("markers is empty: give the Sorry pages' build markers, or nothing can be told to be the page")
        if bypass_source_ip:
            try:
                ipaddress.ip_address(u'%s' % bypass_source_ip)
            except ValueError:
                raise WaitInputError('bypass_source_ip %r is not an IP address (give one address inside the office CIDRs)'
                                     % (bypass_source_ip,))
        if bypass_header and not (bypass_header.get('name') and bypass_header.get('value')):
            raise WaitInputError('bypass_header needs both name and value')
        self.has_bypass = bool(bypass_source_ip or bypass_header)
        if expect == 'bypass_only' and not self.has_bypass:
            raise WaitInputError('expect bypass_only needs bypass_source_ip or bypass_header: there is no bypass request to evaluate')
        self.expect = expect
        self.bypass_source_ip = bypass_source_ip or None
        self.bypass_header = dict(bypass_header) if bypass_header else None
        self.ports = list(ports) if ports else None

    def public_request(self, host):
        return dict(host=host, path='/', source_ip=PUBLIC_SOURCE_IP, headers={}, method='GET', query=[])

    def bypass_request(self, host):
        if not self.has_bypass:
            return None
        headers = {self.bypass_header['name']: self.bypass_header['value']} if self.bypass_header else {}
        return dict(host=host, path='/', source_ip=self.bypass_source_ip or PUBLIC_SOURCE_IP, headers=headers,
                    method='GET', query=[])


def answer(rules, default_actions, request, markers):
    """What one request gets: {priority, action_type, status_code, page}."""
    found = _alb_eval.evaluate(rules, request, default_actions)
    action = found['action']
    return dict(priority=found['priority'], action_type=action.get('Type') if action else None,
                status_code=_alb_eval.status_code(action), page=_alb_eval.is_page(action, markers))


def host_met(expect, public, bypass):
    if expect == 'on':
        return public['page'] and not (bypass and bypass['page'])
    if expect == 'bypass_only':
        return not bypass['page']
    return not public['page'] and not (bypass and bypass['page'])


def describe(got):
    """'the page (rule 3, fixed-response 503)' / 'no page (rule 1, forward)'."""
    where = 'the default action' if got['priority'] == 'default' else 'rule %s' % got['priority']
    what = got['action_type'] or 'no action'
    if got['status_code']:
        what = '%s %s' % (what, got['status_code'])
    return '%s (%s, %s)' % ('the page' if got['page'] else 'no page', where, what)


def evaluate_round(spec, listeners):
    """One round over ``listeners``: [(listener, rules)] with listener a DescribeListeners entry
    (ListenerArn, Port, Protocol, DefaultActions) and rules its DescribeRules entries.

    Returns {met, listeners: [{arn, port, protocol, evaluated, redirect_only, hosts: [{host, public,
    bypass, met}]}], unmet: [one line per listener/host that is not there yet]}.
    """
    out, unmet = [], []
    for listener, rules in listeners:
        default_actions = listener.get('DefaultActions')
        skip = spec.ports is None and _alb_eval.redirect_only(rules, default_actions)
        entry = dict(arn=listener['ListenerArn'], port=listener['Port'], protocol=listener.get('Protocol'),
                     redirect_only=_alb_eval.redirect_only(rules, default_actions), evaluated=not skip, hosts=[])
        out.append(entry)
        if skip:
            continue
        for host in spec.hosts:
            public = answer(rules, default_actions, spec.public_request(host), spec.markers)
            bypass_request = spec.bypass_request(host)
            bypass = answer(rules, default_actions, bypass_request, spec.markers) if bypass_request else None
            met = host_met(spec.expect, public, bypass)
            entry['hosts'].append(dict(host=host, public=public, bypass=bypass, met=met))
            if not met:
                said = 'public gets %s' % describe(public)
                if bypass:
                    said += ', bypass gets %s' % describe(bypass)
                unmet.append('listener %s host %s: %s' % (listener['Port'], host, said))
    if not any(entry['evaluated'] for entry in out):
        unmet.append('no listener to evaluate: every listener only redirects (name listener_ports to evaluate one anyway)')
    return dict(met=not unmet, listeners=out, unmet=unmet)


WANTED = {
    'on': 'the public gets the page and the bypass does not',
    'bypass_only': 'the bypass does not get the page',
    'off': 'nobody gets the page',
}


def timeout_message(spec, name, timeout, rounds, unmet):
    return ('load balancer %s did not reach expect=%s (%s) within timeout %s s (%d rounds of DescribeRules); still: %s'
            % (name, spec.expect, WANTED[spec.expect], _seconds(timeout), rounds, '; '.join(unmet)))


def _seconds(value):
    return ('%d' % value) if float(value) == int(value) else ('%.1f' % value)


def wait(spec, read, timeout=120, interval=3, check_mode=False, clock=time.time, sleep=time.sleep, progress=None):
    """Evaluate rounds of ``read()`` until ``spec`` is met or ``timeout`` seconds have passed.

    Check mode evaluates once and never waits. ``progress(round, elapsed, unmet)`` is called after each
    round that is not met. Returns {met, rounds, waited, listeners, unmet} (the last round's);
    the caller fails with ``timeout_message`` when not met outside check mode.
    """
    if timeout < 0:
        raise WaitInputError('timeout must be 0 or more seconds, not %s' % timeout)
    if interval <= 0:
        raise WaitInputError('interval must be more than 0 seconds, not %s' % interval)
    start = clock()
    rounds = 0
    while True:
        rounds += 1
        state = evaluate_round(spec, read())
        elapsed = clock() - start
        state.update(rounds=rounds, waited=round(elapsed, 1))
        if state['met'] or check_mode:
            return state
        if progress:
            progress(rounds, elapsed, state['unmet'])
        left = timeout - elapsed
        if left <= 0:
            return state
        sleep(min(interval, left))
