# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _alb_wait as W

MARKER = 'sorry-build-7f3a'
SECRET = 'b7f0c1d9e2a84f6b'
TG = 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/1'
NOT_FOUND = [{'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': '404', 'ContentType': 'text/plain'}}]
REDIRECT = [{'Type': 'redirect', 'RedirectConfig': {'Protocol': 'HTTPS', 'Port': '443', 'StatusCode': 'HTTP_301'}}]
PAGE = [{'Type': 'fixed-response', 'FixedResponseConfig': {
    'StatusCode': '503', 'ContentType': 'text/html', 'MessageBody': '<!-- %s -->Back soon' % MARKER}}]
OTHER_503 = [{'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': '503', 'MessageBody': 'someone else'}}]
HOSTS = ['shop.example.com', 'blog.example.com']


def rule(priority, conditions, actions):
    return {'RuleArn': 'arn:rule/%s' % priority, 'Priority': str(priority), 'IsDefault': False,
            'Conditions': conditions, 'Actions': actions}


def host(name):
    return {'Field': 'host-header', 'HostHeaderConfig': {'Values': [name]}}


def forward():
    return [{'Type': 'forward', 'TargetGroupArn': TG}]


APP = [rule(100, [host('shop.example.com')], forward()), rule(101, [host('blog.example.com')], forward())]
BYPASS = [rule(1, [{'Field': 'source-ip', 'SourceIpConfig': {'Values': ['198.51.100.0/24']}}], forward()),
          rule(2, [{'Field': 'http-header', 'HttpHeaderConfig': {'HttpHeaderName': 'X-Sorry-Bypass', 'Values': [SECRET]}}],
               forward())]
SORRY = [rule(3, [host('shop.example.com')], PAGE), rule(4, [host('blog.example.com')], PAGE)]


def listener(port=443, default=None, protocol='HTTPS'):
    return {'ListenerArn': 'arn:listener/%d' % port, 'Port': port, 'Protocol': protocol,
            'DefaultActions': default or NOT_FOUND}


def spec(expect='on', hosts=None, markers=None, **kwargs):
    return W.Spec(expect, HOSTS if hosts is None else hosts, [MARKER] if markers is None else markers, **kwargs)


def bypass(**kwargs):
    values = dict(bypass_source_ip='198.51.100.7', bypass_header={'name': 'X-Sorry-Bypass', 'value': SECRET})
    values.update(kwargs)
    return values


class Clock:
    def __init__(self):
        self.t = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.t += seconds


class Alb:
    """A listener whose rules change as rounds are read: ``states[i]`` for read i (the last one stays)."""

    def __init__(self, *states, **kwargs):
        self.states = states
        self.reads = 0
        self.clock = kwargs.get('clock')
        self.cost = kwargs.get('cost', 0)

    def __call__(self):
        state = self.states[min(self.reads, len(self.states) - 1)]
        self.reads += 1
        if self.clock is not None:
            self.clock.t += self.cost   # reads take time too
        return [(listener(80, REDIRECT, 'HTTP'), [])] + [(listener(443), list(state))]


# --- inputs -----------------------------------------------------------------

@pytest.mark.parametrize('args, kwargs, msg', [
    (('maybe', HOSTS, [MARKER]), {}, "expect must be one of on, bypass_only, off, not 'maybe'"),
    (('on', [], [MARKER]), {}, 'hosts is empty: name at least one host whose requests to evaluate'),
    (('on', ['  '], [MARKER]), {}, 'hosts is empty: name at least one host whose requests to evaluate'),
    (('on', HOSTS, []), {}, "markers is empty: give the Sorry pages' build markers, or nothing can be told to be the page"),
    (('on', HOSTS, ['']), {}, "markers is empty: give the Sorry pages' build markers, or nothing can be told to be the page"),
    (('on', HOSTS, [MARKER]), {'bypass_source_ip': '198.51.100.0/24'},
     "bypass_source_ip '198.51.100.0/24' is not an IP address (give one address inside the office CIDRs)"),
    (('on', HOSTS, [MARKER]), {'bypass_header': {'name': 'X-Sorry-Bypass', 'value': ''}},
     'bypass_header needs both name and value'),
    (('bypass_only', HOSTS, [MARKER]), {},
     'expect bypass_only needs bypass_source_ip or bypass_header: there is no bypass request to evaluate'),
])
def test_spec_refuses_bad_inputs_naming_them(args, kwargs, msg):
    with pytest.raises(W.WaitInputError) as info:
        W.Spec(*args, **kwargs)
    assert str(info.value) == msg


def test_requests():
    s = spec(**bypass())
    assert s.public_request('shop.example.com') == dict(host='shop.example.com', path='/', source_ip='203.0.113.9',
                                                        headers={}, method='GET', query=[])
    assert s.bypass_request('shop.example.com') == dict(host='shop.example.com', path='/', source_ip='198.51.100.7',
                                                        headers={'X-Sorry-Bypass': SECRET}, method='GET', query=[])
    assert spec(bypass_header={'name': 'X-B', 'value': 'v'}).bypass_request('a.example.com')['source_ip'] == '203.0.113.9'
    assert spec().bypass_request('a.example.com') is None


# --- one round ----------------------------------------------------------------

@pytest.mark.parametrize('expect, rules, kwargs, met', [
    ('on', BYPASS + SORRY + APP, bypass(), True),
    ('on', SORRY + APP, {}, True),                                    # no bypass asked about
    ('on', SORRY + APP, bypass(), False),                             # the bypass gets the page too
    ('on', BYPASS + APP, bypass(), False),                            # the public still gets the app
    ('on', BYPASS + SORRY[:1] + APP, bypass(), False),                # blog not yet
    ('on', SORRY + BYPASS + APP, bypass(), True),                     # by priority, not list order
    ('on', SORRY + [dict(r, Priority=str(int(r['Priority']) + 10)) for r in BYPASS] + APP, bypass(), False),  # bypass behind
    ('bypass_only', BYPASS + SORRY + APP, bypass(), True),
    ('bypass_only', BYPASS + APP, bypass(), True),
    ('bypass_only', SORRY + APP, bypass(), False),
    ('bypass_only', BYPASS[:1] + SORRY + APP, bypass(bypass_header=None), True),
    ('off', APP, bypass(), True),
    ('off', BYPASS + APP, bypass(), True),
    ('off', BYPASS + SORRY + APP, bypass(), False),
    ('off', SORRY + APP, {}, False),
    ('off', [rule(3, [host('shop.example.com')], OTHER_503)] + APP, {}, True),   # a 503 without our marker is not the page
])
def test_evaluate_round(expect, rules, kwargs, met):
    state = W.evaluate_round(spec(expect, **kwargs), [(listener(), rules)])
    assert state['met'] is met
    assert (state['unmet'] == []) is met


def test_round_reports_each_request_and_names_what_is_not_there_yet():
    listeners = [(listener(80, REDIRECT, 'HTTP'), []), (listener(), BYPASS + SORRY[:1] + APP)]
    state = W.evaluate_round(spec('on', **bypass()), listeners)
    http, https = state['listeners']
    assert http == dict(arn='arn:listener/80', port=80, protocol='HTTP', redirect_only=True, evaluated=False, hosts=[])
    assert https['evaluated'] is True and https['redirect_only'] is False
    shop, blog = https['hosts']
    assert shop == dict(host='shop.example.com', met=True,
                        public=dict(priority=3, action_type='fixed-response', status_code=503, page=True),
                        bypass=dict(priority=1, action_type='forward', status_code=None, page=False))
    assert blog['met'] is False
    assert blog['public'] == dict(priority=101, action_type='forward', status_code=None, page=False)
    assert state['unmet'] == ['listener 443 host blog.example.com: public gets no page (rule 101, forward), '
                              'bypass gets no page (rule 1, forward)']
    assert SECRET not in repr(state)


def test_round_names_the_default_action_and_a_page_the_bypass_gets():
    state = W.evaluate_round(spec('off', hosts=['other.example.com'], bypass_source_ip='198.51.100.7'),
                             [(listener(default=PAGE), [])])
    assert state['unmet'] == ['listener 443 host other.example.com: public gets the page (the default action, '
                              'fixed-response 503), bypass gets the page (the default action, fixed-response 503)']


def test_named_ports_evaluate_a_redirect_listener_and_no_listener_left_is_not_met():
    redirect_only = [(listener(80, REDIRECT, 'HTTP'), [])]
    state = W.evaluate_round(spec('off'), redirect_only)
    assert state['met'] is False
    assert state['unmet'] == ['no listener to evaluate: every listener only redirects (name listener_ports to evaluate one anyway)']
    state = W.evaluate_round(spec('off', ports=[80]), redirect_only)
    assert state['met'] is True
    assert state['listeners'][0]['evaluated'] is True
    assert state['listeners'][0]['hosts'][0]['public'] == dict(priority='default', action_type='redirect', status_code=301,
                                                               page=False)


# --- the wait ---------------------------------------------------------------------

def test_met_at_once_is_one_round_and_no_sleep():
    clock = Clock()
    alb = Alb(BYPASS + SORRY + APP)
    state = W.wait(spec('on', **bypass()), alb, timeout=120, interval=3, clock=clock, sleep=clock.sleep)
    assert (state['met'], state['rounds'], state['waited'], alb.reads, clock.sleeps) == (True, 1, 0, 1, [])


def test_waits_while_the_controller_programs_the_rules_one_at_a_time():
    clock = Clock()
    seen = []
    alb = Alb(APP, BYPASS[:1] + APP, BYPASS + APP, BYPASS + SORRY[:1] + APP, BYPASS + SORRY + APP)
    state = W.wait(spec('on', **bypass()), alb, timeout=120, interval=3, clock=clock, sleep=clock.sleep,
                   progress=lambda rounds, elapsed, unmet: seen.append((rounds, elapsed, len(unmet))))
    assert state['met'] is True
    assert state['rounds'] == 5 and alb.reads == 5
    assert clock.sleeps == [3, 3, 3, 3]
    assert state['waited'] == 12
    # progress after each round not met: both hosts, both hosts, both, then blog only
    assert seen == [(1, 0, 2), (2, 3, 2), (3, 6, 2), (4, 9, 1)]


def test_timeout_returns_the_last_round_not_met_and_the_message_names_the_limit_and_what_answers():
    clock = Clock()
    alb = Alb(BYPASS + SORRY + APP)
    s = spec('off', **bypass())
    state = W.wait(s, alb, timeout=10, interval=3, clock=clock, sleep=clock.sleep)
    assert state['met'] is False
    # reads at 0, 3, 6, 9, then a last one at the deadline (10)
    assert clock.sleeps == [3, 3, 3, 1]
    assert (state['rounds'], alb.reads, state['waited']) == (5, 5, 10)
    msg = W.timeout_message(s, 'k8s-shop-main', 10, state['rounds'], state['unmet'])
    assert msg == ('load balancer k8s-shop-main did not reach expect=off (nobody gets the page) within timeout 10 s '
                   '(5 rounds of DescribeRules); still: '
                   'listener 443 host shop.example.com: public gets the page (rule 3, fixed-response 503), '
                   'bypass gets no page (rule 1, forward); '
                   'listener 443 host blog.example.com: public gets the page (rule 4, fixed-response 503), '
                   'bypass gets no page (rule 1, forward)')
    assert SECRET not in msg


def test_slow_reads_count_against_the_timeout():
    clock = Clock()
    alb = Alb(APP, clock=clock, cost=4)
    state = W.wait(spec('on'), alb, timeout=10, interval=3, clock=clock, sleep=clock.sleep)
    # read (4 s) at 0 -> 4; sleep 3; read -> 11 past the deadline: stop
    assert (state['met'], state['rounds'], clock.sleeps) == (False, 2, [3])


def test_timeout_zero_is_one_round():
    clock = Clock()
    state = W.wait(spec('on'), Alb(APP), timeout=0, interval=3, clock=clock, sleep=clock.sleep)
    assert (state['met'], state['rounds'], clock.sleeps) == (False, 1, [])


def test_met_just_before_the_deadline_counts():
    clock = Clock()
    alb = Alb(SORRY + APP, SORRY + APP, APP)
    state = W.wait(spec('off'), alb, timeout=6, interval=3, clock=clock, sleep=clock.sleep)
    assert (state['met'], state['rounds'], clock.sleeps) == (True, 3, [3, 3])


def test_check_mode_evaluates_once_and_never_waits():
    clock = Clock()
    alb = Alb(APP, SORRY + APP)
    state = W.wait(spec('on'), alb, timeout=120, interval=3, check_mode=True, clock=clock, sleep=clock.sleep)
    assert (state['met'], state['rounds'], alb.reads, clock.sleeps) == (False, 1, 1, [])
    assert state['unmet'] == ['listener 443 host shop.example.com: public gets no page (rule 100, forward)',
                              'listener 443 host blog.example.com: public gets no page (rule 101, forward)']


@pytest.mark.parametrize('timeout, interval, msg', [
    (-1, 3, 'timeout must be 0 or more seconds, not -1'),
    (10, 0, 'interval must be more than 0 seconds, not 0'),
])
def test_bad_timing_is_refused(timeout, interval, msg):
    clock = Clock()
    with pytest.raises(W.WaitInputError) as info:
        W.wait(spec('on'), Alb(APP), timeout=timeout, interval=interval, clock=clock, sleep=clock.sleep)
    assert str(info.value) == msg
