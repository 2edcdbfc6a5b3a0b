# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _alb_eval as E

TG_WEB = 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/1'
TG_API = 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/api/2'
NOT_FOUND = [{'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': '404', 'ContentType': 'text/plain'}}]
MARKER = 'sorry-build-7f3a'
PAGE = {'Type': 'fixed-response', 'FixedResponseConfig': {
    'StatusCode': '503', 'ContentType': 'text/html', 'MessageBody': '<!-- %s --><h1>Back soon</h1>' % MARKER}}


def req(host='shop.example.com', path='/', source_ip='203.0.113.9', headers=None, method='GET', query=None):
    return dict(host=host, path=path, source_ip=source_ip, headers=headers or {}, method=method, query=query or [])


def forward(tg):
    return [{'Type': 'forward', 'TargetGroupArn': tg, 'Order': 1}]


def api_rule(priority, conditions, actions):
    """A DescribeRules entry as the API gives it."""
    return {'RuleArn': 'arn:rule/%s' % priority, 'Priority': str(priority), 'IsDefault': False,
            'Conditions': conditions, 'Actions': actions}


def host(*values):
    return {'Field': 'host-header', 'HostHeaderConfig': {'Values': list(values)}}


def path(*values):
    return {'Field': 'path-pattern', 'PathPatternConfig': {'Values': list(values)}}


def source(*values):
    return {'Field': 'source-ip', 'SourceIpConfig': {'Values': list(values)}}


def header(name, *values):
    return {'Field': 'http-header', 'HttpHeaderConfig': {'HttpHeaderName': name, 'Values': list(values)}}


def method(*values):
    return {'Field': 'http-request-method', 'HttpRequestMethodConfig': {'Values': list(values)}}


def query(*pairs):
    return {'Field': 'query-string', 'QueryStringConfig': {'Values': [
        dict(([('Key', k)] if k is not None else []) + [('Value', v)]) for k, v in pairs]}}


@pytest.mark.parametrize('pattern, text, ignore_case, expected', [
    ('shop.example.com', 'shop.example.com', True, True),
    ('*.example.com', 'shop.example.com', True, True),
    ('*.example.com', 'a.b.example.com', True, True),
    ('*.example.com', 'example.com', True, False),
    ('*example.com', 'example.com', True, True),
    ('shop.example.?om', 'shop.example.com', True, True),
    ('shop.example.?om', 'shop.example.om', True, False),
    ('sh?p.example.com', 'shoop.example.com', True, False),
    ('SHOP.Example.com', 'shop.example.COM', True, True),
    ('/API/*', '/api/x', False, False),
    ('/api/*', '/api/', False, True),
    ('/api/*', '/api', False, False),
    ('/api*', '/api', False, True),
    ('/img/*.png', '/img/a/b.png', False, True),
    ('/a.b', '/aXb', False, False),       # a dot is a dot, not a regex
    ('/a+b', '/a+b', False, True),
    ('/[x]', '/[x]', False, True),
    ('*', '', False, True),
    ('?', '', False, False),
])
def test_wildcard_match(pattern, text, ignore_case, expected):
    assert E.wildcard_match(pattern, text, ignore_case) is expected


@pytest.mark.parametrize('value, expected', [
    ('Shop.Example.com', 'shop.example.com'),
    ('shop.example.com:8443', 'shop.example.com'),
    ('  shop.example.com ', 'shop.example.com'),
    ('[2001:db8::1]:443', '[2001:db8::1]'),
    ('2001:db8::1', '2001:db8::1'),
    (None, ''),
])
def test_host_name(value, expected):
    assert E.host_name(value) == expected


@pytest.mark.parametrize('condition, request_, expected', [
    # host-header: case-insensitive, wildcards, port dropped, values OR'ed
    (host('shop.example.com'), req(host='SHOP.example.com'), True),
    (host('shop.example.com'), req(host='shop.example.com:443'), True),
    (host('blog.example.com', 'shop.example.com'), req(), True),
    (host('blog.example.com'), req(), False),
    (host('*.example.com'), req(), True),
    ({'Field': 'host-header', 'Values': ['shop.example.com']}, req(), True),   # the legacy form
    # path-pattern: case-sensitive, the path only
    (path('/*'), req(path='/anything/at/all'), True),
    (path('/api/*'), req(path='/API/v1'), False),
    (path('/api/*', '/healthz'), req(path='/healthz'), True),
    (path('/healthz'), req(path='/healthz/'), False),
    ({'Field': 'path-pattern', 'Values': ['/*']}, req(), True),
    # source-ip: CIDR, v4 and v6, never across versions
    (source('198.51.100.0/24'), req(source_ip='198.51.100.7'), True),
    (source('198.51.100.0/24'), req(), False),
    (source('10.0.0.0/8', '203.0.113.9/32'), req(), True),
    (source('203.0.113.0/24'), req(source_ip='2001:db8::1'), False),
    (source('2001:db8::/32'), req(source_ip='2001:db8::1'), True),
    (source('198.51.100.1/24'), req(source_ip='198.51.100.200'), True),   # host bits set: taken as its network
    (source('0.0.0.0/0'), req(source_ip='not-an-ip'), False),
    # http-header: name case-insensitive, values case-insensitive with wildcards
    (header('X-Sorry-Bypass', 's3cret'), req(headers={'x-sorry-bypass': 'S3CRET'}), True),
    (header('X-Sorry-Bypass', 's3*'), req(headers={'X-Sorry-Bypass': 's3cret'}), True),
    (header('X-Sorry-Bypass', 'other', 's3cret'), req(headers={'X-Sorry-Bypass': 's3cret'}), True),
    (header('X-Sorry-Bypass', 's3cret'), req(headers={'X-Other': 's3cret'}), False),
    (header('X-Sorry-Bypass', 's3cret'), req(), False),
    (header('X-Sorry-Bypass', '*'), req(), False),           # a wildcard value needs the header to be there
    # http-request-method: exact, case-sensitive
    (method('GET', 'HEAD'), req(), True),
    (method('POST'), req(), False),
    (method('get'), req(), False),
    # query-string: key optional, case-insensitive, wildcards; our requests carry none
    (query(('preview', 'yes')), req(), False),
    (query(('preview', 'yes')), req(query=[('Preview', 'YES')]), True),
    (query((None, 'yes')), req(query=[('anything', 'yes')]), True),
    (query(('pre*', 'y?s')), req(query=[('preview', 'yes')]), True),
    (query(('preview', 'yes')), req(query=[('preview', 'no')]), False),
])
def test_condition_matches(condition, request_, expected):
    assert E.condition_matches(condition, request_) is expected


@pytest.mark.parametrize('condition, said', [
    ({'Field': 'geo'}, "condition field 'geo'"),
    ({'Field': 'host-header', 'HostHeaderConfig': {'RegexValues': ['^shop']}}, 'a host-header condition with RegexValues'),
])
def test_condition_it_cannot_judge_is_named(condition, said):
    with pytest.raises(E.UnsupportedCondition) as info:
        E.condition_matches(condition, req())
    assert str(info.value) == said
    with pytest.raises(E.UnsupportedCondition) as info:
        E.evaluate([api_rule(7, [condition], forward(TG_WEB))], req())
    assert str(info.value) == 'rule 7: cannot evaluate %s' % said


def seeded():
    """Like a controller-managed site: shop /api/*, shop /*, blog /* and a 404 default."""
    return [
        api_rule(3, [host('blog.example.com'), path('/*')], forward('arn:blog')),
        api_rule(1, [host('shop.example.com'), path('/api/*')], forward(TG_API)),
        api_rule(2, [host('shop.example.com'), path('/*')], forward(TG_WEB)),
        {'RuleArn': 'arn:rule/default', 'Priority': 'default', 'IsDefault': True, 'Conditions': [], 'Actions': NOT_FOUND},
    ]


def in_maintenance():
    """seeded() with a bypass (office CIDR, or header) and the sorry page in front."""
    return seeded() + [
        api_rule(10, [host('shop.example.com'), source('198.51.100.0/24')], forward(TG_WEB)),
        api_rule(11, [host('shop.example.com'), header('X-Sorry-Bypass', 's3cret')], forward(TG_WEB)),
        api_rule(12, [host('shop.example.com')], [PAGE]),
    ]


def renumber(rules, shift):
    """The seeded rules moved behind ours, as make_room does."""
    out = []
    for rule in rules:
        if rule.get('IsDefault') or int(rule['Priority']) >= 10:
            out.append(rule)
        else:
            out.append(dict(rule, Priority=str(int(rule['Priority']) + shift)))
    return out


@pytest.mark.parametrize('rules, request_, priority', [
    (seeded(), req(path='/api/orders'), 1),        # priority order, not list order
    (seeded(), req(path='/'), 2),
    (seeded(), req(host='blog.example.com'), 3),
    (seeded(), req(host='other.example.com'), 'default'),
    (renumber(in_maintenance(), 100), req(), 12),
    (renumber(in_maintenance(), 100), req(source_ip='198.51.100.7'), 10),
    (renumber(in_maintenance(), 100), req(headers={'X-Sorry-Bypass': 's3cret'}), 11),
    (renumber(in_maintenance(), 100), req(host='blog.example.com'), 103),
    (in_maintenance(), req(), 2),                  # ours behind the app's: the app answers
])
def test_evaluate_takes_the_first_rule_whose_every_condition_matches(rules, request_, priority):
    assert E.evaluate(rules, request_)['priority'] == priority


def test_evaluate_returns_the_rule_and_its_terminal_action():
    found = E.evaluate(renumber(in_maintenance(), 100), req())
    assert found['rule']['RuleArn'] == 'arn:rule/12'
    assert found['action'] == PAGE
    assert E.is_page(found['action'], [MARKER]) is True


def test_default_from_the_default_rule_or_the_listener():
    rules = seeded()
    found = E.evaluate(rules, req(host='nope.example.com'))
    assert (found['priority'], found['rule']['RuleArn'], found['action']) == ('default', 'arn:rule/default', NOT_FOUND[0])
    found = E.evaluate(rules[:3], req(host='nope.example.com'), default_actions=forward(TG_WEB))
    assert (found['priority'], found['rule'], found['action']) == ('default', None, forward(TG_WEB)[0])
    assert E.evaluate([], req())['action'] is None


def test_rule_records_with_int_priorities_are_evaluated_too():
    records = [dict(arn='a', priority=5, conditions=[host('shop.example.com')], actions=[PAGE], tags={}),
               dict(arn='b', priority=4, conditions=[source('198.51.100.0/24')], actions=forward(TG_WEB), tags={})]
    assert E.evaluate(records, req())['priority'] == 5
    assert E.evaluate(records, req(source_ip='198.51.100.1'))['priority'] == 4


def test_every_condition_of_a_rule_must_match():
    rule = api_rule(1, [host('shop.example.com'), source('198.51.100.0/24'), header('X-Sorry-Bypass', 's3cret')],
                    forward(TG_WEB))
    assert E.rule_matches(rule, req(source_ip='198.51.100.2', headers={'X-Sorry-Bypass': 's3cret'})) is True
    assert E.rule_matches(rule, req(source_ip='198.51.100.2')) is False
    assert E.rule_matches(rule, req(headers={'X-Sorry-Bypass': 's3cret'})) is False
    assert E.rule_matches(api_rule(2, [], forward(TG_WEB)), req()) is True


@pytest.mark.parametrize('actions, expected_type', [
    ([{'Type': 'authenticate-oidc', 'Order': 1}, {'Type': 'forward', 'Order': 2}], 'forward'),
    ([{'Type': 'forward', 'Order': 2}, {'Type': 'authenticate-cognito', 'Order': 1}], 'forward'),
    ([{'Type': 'authenticate-oidc'}, {'Type': 'fixed-response'}], 'fixed-response'),   # no Order: list order
    ([{'Type': 'redirect'}], 'redirect'),
])
def test_terminal_action_is_the_last_by_order(actions, expected_type):
    assert E.terminal_action(actions)['Type'] == expected_type


@pytest.mark.parametrize('action, markers, expected', [
    (PAGE, [MARKER], True),
    (PAGE, ['other', MARKER], True),
    (PAGE, ['other'], False),
    (PAGE, [''], False),
    (NOT_FOUND[0], [MARKER], False),
    (forward(TG_WEB)[0], [MARKER], False),
    (None, [MARKER], False),
])
def test_is_page(action, markers, expected):
    assert E.is_page(action, markers) is expected


@pytest.mark.parametrize('action, expected', [
    (PAGE, 503),
    (NOT_FOUND[0], 404),
    ({'Type': 'redirect', 'RedirectConfig': {'StatusCode': 'HTTP_301'}}, 301),
    (forward(TG_WEB)[0], None),
    (None, None),
])
def test_status_code(action, expected):
    assert E.status_code(action) == expected


REDIRECT = [{'Type': 'redirect', 'RedirectConfig': {'Protocol': 'HTTPS', 'Port': '443', 'StatusCode': 'HTTP_301'}}]


@pytest.mark.parametrize('rules, default_actions, expected', [
    ([], REDIRECT, True),
    ([api_rule(1, [host('shop.example.com')], REDIRECT)], REDIRECT, True),
    ([api_rule(1, [host('shop.example.com')], forward(TG_WEB))], REDIRECT, False),
    ([], NOT_FOUND, False),
    (seeded(), None, False),
    ([{'RuleArn': 'd', 'Priority': 'default', 'IsDefault': True, 'Actions': REDIRECT}], None, True),
])
def test_redirect_only(rules, default_actions, expected):
    assert E.redirect_only(rules, default_actions) is expected
