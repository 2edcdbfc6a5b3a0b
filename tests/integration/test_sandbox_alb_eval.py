"""Rule evaluation of the sandbox ALB, against the ALB documentation's examples.

Sources: "Condition types for listener rules" and "Listener rules for your
Application Load Balancer" (Elastic Load Balancing user guide), and the API
reference of HostHeaderConditionConfig, PathPatternConditionConfig,
HttpHeaderConditionConfig, QueryStringConditionConfig,
SourceIpConditionConfig and RedirectActionConfig.
"""
import pytest

from tests.sandbox.alb_eval import (
    Request, RuleError, condition_matches, evaluate, fixed_response, forward_target_group, host_without_port,
    ordered_rules, redirect_location, target_group_name, terminal_action, wildcard_match)

TG_A = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-a/0123456789abcdef'
TG_B = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-b/fedcba9876543210'


def host(*values):
    return {'Field': 'host-header', 'HostHeaderConfig': {'Values': list(values)}}


def path(*values):
    return {'Field': 'path-pattern', 'PathPatternConfig': {'Values': list(values)}}


def header(name, *values):
    return {'Field': 'http-header', 'HttpHeaderConfig': {'HttpHeaderName': name, 'Values': list(values)}}


def method(*values):
    return {'Field': 'http-request-method', 'HttpRequestMethodConfig': {'Values': list(values)}}


def query(*pairs):
    return {'Field': 'query-string', 'QueryStringConfig': {'Values': list(pairs)}}


def source(*cidrs):
    return {'Field': 'source-ip', 'SourceIpConfig': {'Values': list(cidrs)}}


def req(target='/', verb='GET', hdrs=None, ip='203.0.113.7', host_name=None):
    return Request.parse(verb, target, hdrs or {}, ip, host=host_name)


def fixed(status, body=''):
    return [{'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': status, 'ContentType': 'text/plain',
                                                               'MessageBody': body}}]


def rule(priority, conditions, actions=None, arn=None):
    return {'RuleArn': arn or 'arn:rule/%s' % priority, 'Priority': str(priority), 'Conditions': conditions,
            'Actions': fixed('200', 'rule %s' % priority) if actions is None else actions, 'IsDefault': False}


DEFAULT = {'RuleArn': 'arn:rule/default', 'Priority': 'default', 'Conditions': [], 'Actions': fixed('404'), 'IsDefault': True}


CONDITION_CASES = [
    # Host conditions: the doc's example names, case-insensitive, wildcards, port ignored.
    ('host exact', host('example.com'), req(host_name='example.com'), True),
    ('host other name', host('example.com'), req(host_name='test.example.com'), False),
    ('host is case-insensitive', host('example.com'), req(host_name='EXAMPLE.Com'), True),
    ('host pattern case-insensitive', host('*.EXAMPLE.com'), req(host_name='test.example.COM'), True),
    ('host *.example.com matches a subdomain', host('*.example.com'), req(host_name='test.example.com'), True),
    ('host *.example.com does not match the apex', host('*.example.com'), req(host_name='example.com'), False),
    ('host * spans dots', host('*.example.com'), req(host_name='a.b.example.com'), True),
    ('host ? is exactly one char', host('www?.example.com'), req(host_name='www1.example.com'), True),
    ('host ? is not zero chars', host('www?.example.com'), req(host_name='www.example.com'), False),
    ('host ? is not two chars', host('www?.example.com'), req(host_name='www12.example.com'), False),
    ('host port is ignored', host('example.com'), req(host_name='example.com:8080'), True),
    ('host values are ORed', host('a.example.com', 'b.example.com'), req(host_name='b.example.com'), True),
    ('host missing header never matches', host('*'), req(), False),
    ('host legacy Values', {'Field': 'host-header', 'Values': ['*.example.com']}, req(host_name='x.example.com'), True),
    ('host dot is literal, not regex', host('a.example.com'), req(host_name='aXexample.com'), False),
    ('host regex values', {'Field': 'host-header', 'HostHeaderConfig': {'RegexValues': ['^api-[0-9]+\\.example\\.com$']}},
     req(host_name='API-42.example.com'), True),
    # Path conditions: the doc's /img/* and /img/*/pics, case-sensitive, path only.
    ('path /img/* matches a picture', path('/img/*'), req('/img/picture.jpg'), True),
    ('path /img/* matches deeper paths', path('/img/*'), req('/img/a/b/c.png'), True),
    ('path /img/* needs the slash', path('/img/*'), req('/img'), False),
    ('path /img/*/pics', path('/img/*/pics'), req('/img/2024/pics'), True),
    ('path /img/*/pics is anchored at the end', path('/img/*/pics'), req('/img/2024/pics/x.jpg'), False),
    ('path is case-sensitive', path('/img/*'), req('/IMG/picture.jpg'), False),
    ('path ignores the query string', path('/search'), req('/search?q=/img/x'), True),
    ('path query is not part of the path', path('/img/*'), req('/search?q=/img/x'), False),
    ('path ? is one character', path('/v?/*'), req('/v2/users'), True),
    ('path /* matches the root', path('/*'), req('/'), True),
    ('path exact without wildcard', path('/health'), req('/healthz'), False),
    ('path legacy Values', {'Field': 'path-pattern', 'Values': ['/api/*']}, req('/api/x'), True),
    ('path regex is case-sensitive', {'Field': 'path-pattern', 'PathPatternConfig': {'RegexValues': ['^/api/v[0-9]+/']}},
     req('/API/v1/x'), False),
    # HTTP header conditions: the doc's User-Agent *Chrome* / *Safari* example.
    ('header *Chrome*', header('User-Agent', '*Chrome*', '*Safari*'),
     req(hdrs={'User-Agent': 'Mozilla/5.0 (X11) AppleWebKit Chrome/120.0'}), True),
    ('header *Safari*', header('User-Agent', '*Chrome*', '*Safari*'), req(hdrs={'User-Agent': 'Mozilla/5.0 Safari/605'}), True),
    ('header no browser match', header('User-Agent', '*Chrome*', '*Safari*'), req(hdrs={'User-Agent': 'curl/8.5.0'}), False),
    ('header name is case-insensitive', header('x-sorry-bypass', 's3cret'), req(hdrs={'X-SORRY-BYPASS': 's3cret'}), True),
    ('header value is case-insensitive', header('X-Sorry-Bypass', 's3cret'), req(hdrs={'X-Sorry-Bypass': 'S3CRET'}), True),
    ('header value is a whole match', header('X-Sorry-Bypass', 's3cret'), req(hdrs={'X-Sorry-Bypass': 's3cret-and-more'}), False),
    ('header absent', header('X-Sorry-Bypass', '*'), req(), False),
    ('header repeated: searched in order', header('X-Team', 'ops'), req(hdrs=[('X-Team', 'dev'), ('X-Team', 'ops')]), True),
    ('header X-Forwarded-For by wildcard', header('X-Forwarded-For', '192.0.2.*'), req(hdrs={'X-Forwarded-For': '192.0.2.44'}), True),
    # HTTP request method: exact and case-sensitive.
    ('method GET', method('GET'), req(verb='GET'), True),
    ('method is case-sensitive', method('GET'), req(verb='get'), False),
    ('method HEAD is not GET', method('GET'), req(verb='HEAD'), False),
    ('method custom', method('CUSTOM-METHOD'), req(verb='CUSTOM-METHOD'), True),
    ('method values are ORed', method('GET', 'HEAD'), req(verb='HEAD'), True),
    ('method no wildcards', method('G*'), req(verb='GET'), False),
    # Query string: the doc's version=v1 and *example* example.
    ('query key/value', query({'Key': 'version', 'Value': 'v1'}, {'Value': '*example*'}), req('/?version=v1'), True),
    ('query value only', query({'Key': 'version', 'Value': 'v1'}, {'Value': '*example*'}), req('/?q=my-example-1'), True),
    ('query neither', query({'Key': 'version', 'Value': 'v1'}, {'Value': '*example*'}), req('/?version=v2'), False),
    ('query is case-insensitive', query({'Key': 'Version', 'Value': 'V1'}), req('/?VERSION=v1'), True),
    ('query value wildcard', query({'Key': 'lang', 'Value': 'en-??'}), req('/?a=1&lang=en-us'), True),
    ('query key wildcard', query({'Key': 'utm_*', 'Value': '*'}), req('/?utm_source=mail'), True),
    ('query key must match', query({'Key': 'version', 'Value': 'v1'}), req('/?other=v1'), False),
    ('query percent-decoded', query({'Key': 'name', 'Value': 'a b'}), req('/?name=a%20b'), True),
    ('query escaped * is literal', query({'Value': 'a\\*b'}), req('/?x=a*b'), True),
    ('query escaped * does not wildcard', query({'Value': 'a\\*b'}), req('/?x=axxb'), False),
    ('query empty value matches *', query({'Key': 'debug', 'Value': '*'}), req('/?debug='), True),
    ('query bare token matches a value-only condition', query({'Value': 'preview'}), req('/?preview'), True),
    ('query bare token has no key', query({'Key': 'preview', 'Value': '*'}), req('/?preview'), False),
    ('query no query string', query({'Value': '*'}), req('/'), False),
    ('query fragment dropped', query({'Key': 'a', 'Value': '1'}), req('/?a=1#frag'), True),
    # Source IP: the doc's 192.0.2.0/24 and 198.51.100.10/32, and IPv6.
    ('source in /24', source('192.0.2.0/24', '198.51.100.10/32'), req(ip='192.0.2.200'), True),
    ('source /32 exact', source('192.0.2.0/24', '198.51.100.10/32'), req(ip='198.51.100.10'), True),
    ('source /32 neighbour', source('192.0.2.0/24', '198.51.100.10/32'), req(ip='198.51.100.11'), False),
    ('source ipv6', source('2001:db8::/32'), req(ip='2001:db8:1::5'), True),
    ('source ipv6 outside', source('2001:db8::/32'), req(ip='2001:db9::5'), False),
    ('source v4 rule, v6 peer', source('0.0.0.0/0'), req(ip='2001:db8::1'), False),
    ('source v4-mapped v6 peer', source('127.0.0.2/32'), req(ip='::ffff:127.0.0.2'), True),
    ('source office loopback', source('127.0.0.2/32'), req(ip='127.0.0.2'), True),
    ('source public loopback', source('127.0.0.2/32'), req(ip='127.0.0.3'), False),
    ('source ignores X-Forwarded-For', source('127.0.0.2/32'), req(ip='127.0.0.3', hdrs={'X-Forwarded-For': '127.0.0.2'}), False),
]


@pytest.mark.parametrize('condition, request_, expected', [c[1:] for c in CONDITION_CASES], ids=[c[0] for c in CONDITION_CASES])
def test_condition(condition, request_, expected):
    assert condition_matches(condition, request_) is expected


@pytest.mark.parametrize('pattern, value, ignore_case, escapes, expected', [
    ('*', '', False, False, True),
    ('a*c', 'abbbc', False, False, True),
    ('a?c', 'ac', False, False, False),
    ('a.c', 'abc', False, False, False),
    ('[ab]', 'a', False, False, False),
    ('[ab]', '[ab]', False, False, True),
    ('A*', 'abc', True, False, True),
    ('A*', 'abc', False, False, False),
    ('a\\?', 'a?', False, True, True),
    ('a\\?', 'ab', False, True, False),
    ('a\\?', 'a\\b', False, False, True),
    ('x*', None, False, False, False),
])
def test_wildcard_match(pattern, value, ignore_case, escapes, expected):
    assert wildcard_match(pattern, value, ignore_case, escapes) is expected


@pytest.mark.parametrize('value, expected', [
    ('example.com', 'example.com'), ('example.com:8080', 'example.com'), (' example.com ', 'example.com'),
    ('[2001:db8::1]:443', '[2001:db8::1]'), ('[2001:db8::1]', '[2001:db8::1]'), ('2001:db8::1', '2001:db8::1'),
])
def test_host_without_port(value, expected):
    assert host_without_port(value) == expected


def test_request_parse_splits_path_query_and_host():
    parsed = Request.parse('GET', 'http://ignored.example/p/q?x=1#f', [('Host', 'a.example.com:81')], '127.0.0.3')
    assert (parsed.path, parsed.query, parsed.host, parsed.source_ip) == ('/p/q', 'x=1', 'a.example.com', '127.0.0.3')
    replaced = Request.parse('GET', '/', {'Host': 'old.example.com'}, host='new.example.com')
    assert replaced.header_values('host') == ['new.example.com']


# --- evaluation order -------------------------------------------------------

RULES = [
    rule('10', [path('/*')]),
    rule('9', [path('/nine/*')]),
    rule('100', [host('*.example.com')]),
    DEFAULT,
]


@pytest.mark.parametrize('rules, request_, expected', [
    pytest.param(RULES, req('/nine/x'), '9', id='priority 9 before 10 (numeric, not string order)'),
    pytest.param(RULES, req('/other'), '10', id='priority 10 before 100'),
    pytest.param(list(reversed(RULES)), req('/nine/x'), '9', id='input order does not matter'),
    pytest.param([rule('1', [path('/a')]), DEFAULT], req('/b'), 'default', id='default rule last'),
    pytest.param([DEFAULT, rule('50000', [path('/*')])], req('/b'), '50000', id='default listed first still last'),
    pytest.param([rule('1', [host('shop.example.com'), path('/api/*')]), DEFAULT], req('/api/x', host_name='shop.example.com'),
                 '1', id='AND: all conditions match'),
    pytest.param([rule('1', [host('shop.example.com'), path('/api/*')]), DEFAULT], req('/web', host_name='shop.example.com'),
                 'default', id='AND: one condition fails'),
    pytest.param([rule('1', [source('127.0.0.2/32')]), rule('2', [path('/*')], fixed('503', 'sorry')), DEFAULT],
                 req('/', ip='127.0.0.2'), '1', id='bypass before sorry: office'),
    pytest.param([rule('1', [source('127.0.0.2/32')]), rule('2', [path('/*')], fixed('503', 'sorry')), DEFAULT],
                 req('/deep/path?q=1', ip='127.0.0.3'), '2', id='bypass before sorry: public'),
    pytest.param([rule('1', [header('X-Sorry-Bypass', 'token')]), rule('2', [path('/*')]), DEFAULT],
                 req('/', hdrs={'x-sorry-bypass': 'TOKEN'}), '1', id='header bypass'),
    pytest.param([rule('1', [method('POST'), path('/api/*')]), DEFAULT], req('/api/x', verb='GET'), 'default',
                 id='method mismatch falls through'),
    pytest.param([rule('1', [query({'Key': 'preview', 'Value': 'sorry'})]), DEFAULT], req('/?preview=sorry'), '1',
                 id='query string rule'),
])
def test_evaluate_picks_rule(rules, request_, expected):
    assert evaluate(rules, request_).label == expected


def test_evaluate_reports_arn_action_and_default_actions():
    match = evaluate([rule('7', [path('/x')], arn='arn:seven')], req('/x'), default_actions=fixed('404'))
    assert (match.priority, match.rule_arn, match.is_default, match.action['Type']) == ('7', 'arn:seven', False, 'fixed-response')
    fallback = evaluate([rule('7', [path('/x')])], req('/y'), default_actions=fixed('404'))
    assert (fallback.label, fallback.rule_arn, fallback.action['FixedResponseConfig']['StatusCode']) == ('default', None, '404')


@pytest.mark.parametrize('rules, request_, default_actions, message', [
    ([rule('1', [path('/x')])], req('/y'), None, 'no default rule and no default_actions for this listener'),
    ([rule('x1', [path('/x')]), DEFAULT], req('/'), None, "rule arn:rule/x1 has a priority that is not a number: 'x1'"),
    ([rule('1', [{'Field': 'cookie', 'Values': ['a']}]), DEFAULT], req('/'), None,
     "unknown condition field 'cookie' (known: host-header, path-pattern, http-header, http-request-method, query-string, source-ip)"),
    ([rule('1', [source('10.0.0.0/33')]), DEFAULT], req('/', ip='10.0.0.1'), None,
     "source-ip value '10.0.0.0/33' is not a CIDR block: '10.0.0.0/33' does not appear to be an IPv4 or IPv6 network"),
    ([rule('1', [{'Field': 'http-header', 'HttpHeaderConfig': {'Values': ['a']}}]), DEFAULT], req('/'), None,
     "http-header condition without HttpHeaderName: {'Field': 'http-header', 'HttpHeaderConfig': {'Values': ['a']}}"),
    ([rule('1', [path('/*')], actions=[{'Type': 'authenticate-oidc', 'Order': 1}]), DEFAULT], req('/'), None,
     "last action is 'authenticate-oidc', not one of forward, fixed-response, redirect"),
    ([rule('1', [path('/*')], actions=[]), DEFAULT], req('/'), None, 'rule has no action'),
])
def test_evaluate_errors(rules, request_, default_actions, message):
    with pytest.raises(RuleError) as err:
        evaluate(rules, request_, default_actions)
    assert str(err.value) == message


def test_ordered_rules_sorts_numerically_with_default_last():
    assert [r['Priority'] for r in ordered_rules([DEFAULT, rule('10', []), rule('9', []), rule('100', [])])] == \
        ['9', '10', '100', 'default']


# --- actions ------------------------------------------------------------------

def test_terminal_action_follows_order():
    actions = [{'Type': 'forward', 'TargetGroupArn': TG_A, 'Order': 2}, {'Type': 'authenticate-cognito', 'Order': 1}]
    assert terminal_action(actions)['Type'] == 'forward'


@pytest.mark.parametrize('action, expected', [
    ({'Type': 'forward', 'TargetGroupArn': TG_A}, TG_A),
    ({'Type': 'forward', 'TargetGroupArn': TG_A, 'ForwardConfig': {'TargetGroups': [{'TargetGroupArn': TG_A, 'Weight': 1}]}}, TG_A),
    ({'Type': 'forward', 'ForwardConfig': {'TargetGroups': [{'TargetGroupArn': TG_A, 'Weight': 10},
                                                            {'TargetGroupArn': TG_B, 'Weight': 90}]}}, TG_B),
    ({'Type': 'forward', 'ForwardConfig': {'TargetGroups': [{'TargetGroupArn': TG_A, 'Weight': 50},
                                                            {'TargetGroupArn': TG_B, 'Weight': 50}]}}, TG_A),
    ({'Type': 'forward', 'ForwardConfig': {'TargetGroups': [{'TargetGroupArn': TG_A, 'Weight': 0},
                                                            {'TargetGroupArn': TG_B, 'Weight': 0}]}}, None),
])
def test_forward_target_group(action, expected):
    assert forward_target_group(action) == expected


def test_target_group_name():
    assert (target_group_name(TG_A), target_group_name('not-an-arn')) == ('app-a', 'not-an-arn')


@pytest.mark.parametrize('config, expected', [
    ({'StatusCode': '503', 'ContentType': 'text/html', 'MessageBody': '<p>Sorry – back soon</p>'},
     (503, 'text/html; charset=utf-8', '<p>Sorry – back soon</p>'.encode('utf-8'))),
    ({'StatusCode': '404'}, (404, 'text/plain; charset=utf-8', b'')),
    ({'StatusCode': '200', 'ContentType': 'application/json', 'MessageBody': '{}'}, (200, 'application/json; charset=utf-8', b'{}')),
])
def test_fixed_response(config, expected):
    assert fixed_response({'Type': 'fixed-response', 'FixedResponseConfig': config}) == expected


@pytest.mark.parametrize('config, target, protocol, port, expected', [
    # The doc's HTTP -> HTTPS redirect keeps host, path and query.
    ({'Protocol': 'HTTPS', 'Port': '443', 'StatusCode': 'HTTP_301'}, '/a/b?x=1', 'HTTP', 80, (301, 'https://shop.example.com:443/a/b?x=1')),
    ({'StatusCode': 'HTTP_302'}, '/p', 'HTTP', 8080, (302, 'http://shop.example.com:8080/p')),
    ({'Host': 'www.#{host}', 'Path': '/new/#{path}', 'Query': 'from=#{port}', 'StatusCode': 'HTTP_301'}, '/old?x=1', 'HTTPS', 443,
     (301, 'https://www.shop.example.com:443/new/old?from=443')),
    ({'Protocol': '#{protocol}', 'Host': 'other.example.com', 'Path': 'maintenance', 'Query': '', 'StatusCode': 'HTTP_302'}, '/x?y=1',
     'HTTP', 80, (302, 'http://other.example.com:80/maintenance')),
])
def test_redirect_location(config, target, protocol, port, expected):
    request_ = req(target, host_name='shop.example.com:%d' % port)
    assert redirect_location({'Type': 'redirect', 'RedirectConfig': config}, request_, protocol, port) == expected


def test_redirect_bad_status_code():
    with pytest.raises(RuleError) as err:
        redirect_location({'Type': 'redirect', 'RedirectConfig': {'StatusCode': 'HTTP_3XX'}}, req('/'), 'HTTP', 80)
    assert str(err.value) == "redirect StatusCode 'HTTP_3XX' is not HTTP_301 or HTTP_302"
