# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _validate

LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/1/2'


def params(**overrides):
    """Module params as AnsibleModule hands them over (defaults filled in)."""
    base = dict(listener_arn=LISTENER, load_balancer_name=None, listener_port=None, kind='sorry', name=None,
                state='present', content='<p>Back soon</p>', content_type='text/html', status_code=None,
                host_headers=[], path_patterns=[], source_ips=[], http_headers=[], target_group_arn=None,
                mirror=False, priority=None, make_room=False, allow_any_source=False, tags={})
    base.update(overrides)
    return base


@pytest.mark.parametrize('overrides', [
    {},
    {'content': 'x' * 1024},
    {'content': u'\u65e5' * 1024},  # 1024 characters, 3072 bytes: characters are what count
    {'status_code': 200},
    {'status_code': 599},
    {'host_headers': ['shop.example.com', '*.example.com'], 'path_patterns': ['/*', '/api/*']},
    {'kind': 'preview', 'path_patterns': ['/__sorry'], 'content': 'hi'},
    {'kind': 'bypass', 'content': None, 'source_ips': ['10.0.0.0/8', '2001:db8::/32', '192.0.2.1']},
    {'kind': 'bypass', 'content': None, 'http_headers': [{'name': 'X-Bypass', 'values': ['s' * 128]}]},
    {'kind': 'bypass', 'content': None, 'path_patterns': ['/healthz']},
    {'kind': 'bypass', 'content': None, 'source_ips': ['0.0.0.0/0'], 'allow_any_source': True},
    {'kind': 'bypass', 'content': None, 'source_ips': ['10.%d.0.0/16' % i for i in range(40)], 'host_headers': ['a.test']},
    {'kind': 'bypass', 'content': None, 'mirror': True, 'source_ips': ['10.0.0.0/8']},
    {'kind': 'bypass', 'content': None, 'mirror': 'auto', 'source_ips': ['10.0.0.0/8']},
    {'kind': 'bypass', 'content': None, 'mirror': 'yes', 'http_headers': [{'name': 'X-Bypass', 'values': ['s']}]},
    # with an ARN, auto never mirrors: what mirror: true refuses is fine
    {'kind': 'bypass', 'content': None, 'mirror': 'auto', 'target_group_arn': 'arn:tg', 'path_patterns': ['/healthz']},
    {'kind': 'bypass', 'content': None, 'mirror': 'auto', 'source_ips': ['10.0.0.0/8'], 'host_headers': ['a.test']},
    {'priority': 1},
    {'priority': 50000},
    {'state': 'absent', 'content': None, 'status_code': 99, 'source_ips': ['nonsense']},
    {'listener_arn': None, 'load_balancer_name': 'shop', 'listener_port': 443},
    {'name': u'shop.example.com 443 @ops:+=/-_ \u65e5\u672c'},
])
def test_valid_input_has_no_errors(overrides):
    assert _validate.validate(params(**overrides)) == []


@pytest.mark.parametrize('overrides, message', [
    ({'content': 'x' * 1100},
     'content is 1100 characters; a fixed-response body may have at most 1024 (over by 76)'),
    ({'content': u'\u3042' * 1025},
     'content is 1025 characters; a fixed-response body may have at most 1024 (over by 1)'),
    ({'content': None},
     'content is required for kind=sorry with state=present'),
    ({'kind': 'preview', 'content': None, 'path_patterns': ['/p']},
     'content is required for kind=preview with state=present'),
    ({'status_code': 302},
     r'status_code 302 is not accepted in a fixed response: it must match ^(2|4|5)\d\d$ (2XX, 4XX or 5XX)'),
    ({'status_code': 1503},
     r'status_code 1503 is not accepted in a fixed response: it must match ^(2|4|5)\d\d$ (2XX, 4XX or 5XX)'),
    ({'content_type': 'text/xml'},
     "content_type 'text/xml' is not one the ALB serves; use one of: text/plain, text/css, text/html, "
     "application/javascript, application/json"),
    ({'priority': 0}, 'priority 0 is outside 1..50000'),
    ({'priority': 50001}, 'priority 50001 is outside 1..50000'),
    ({'kind': 'bypass', 'content': None, 'priority': 49999, 'source_ips': ['10.%d.0.0/16' % i for i in range(11)]},
     'priority 49999..50001 (3 rules) is outside 1..50000'),
    ({'kind': 'bypass', 'content': None, 'source_ips': ['10.0.0.300/8']},
     "source_ips: '10.0.0.300/8' is not an IPv4 or IPv6 CIDR"),
    ({'kind': 'bypass', 'content': None, 'source_ips': ['2001:db8::g/32']},
     "source_ips: '2001:db8::g/32' is not an IPv4 or IPv6 CIDR"),
    ({'kind': 'bypass', 'content': None, 'source_ips': ['10.1.2.3/8']},
     "source_ips: '10.1.2.3/8' has host bits set (the network is 10.0.0.0/8)"),
    ({'kind': 'bypass', 'content': None, 'source_ips': ['0.0.0.0/0']},
     "source_ips: '0.0.0.0/0' lets every client bypass the Sorry page; set allow_any_source=true if that is really meant"),
    ({'kind': 'bypass', 'content': None, 'source_ips': ['::/0']},
     "source_ips: '::/0' lets every client bypass the Sorry page; set allow_any_source=true if that is really meant"),
    ({'host_headers': ['a.test', 'b.test', 'c.test'], 'path_patterns': ['/a', '/b', '/c']},
     'the rule would have 6 condition values (host_headers 3, path_patterns 3, source_ips 0, http_headers 0); '
     'the ALB allows at most 5 per rule'),
    ({'host_headers': ['a.test'], 'source_ips': ['10.0.0.0/8', '10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16']},
     'the rule would have 6 condition values (host_headers 1, path_patterns 1, source_ips 4, http_headers 0); '
     'the ALB allows at most 5 per rule'),
    ({'kind': 'bypass', 'content': None, 'host_headers': ['a.test', 'b.test', 'c.test'], 'path_patterns': ['/a', '/b'],
      'source_ips': ['10.0.0.0/8']},
     'host_headers (3) and path_patterns (2) leave no room for a source_ips or http_headers value; '
     'the ALB allows at most 5 condition values per rule'),
    ({'kind': 'bypass', 'content': None, 'path_patterns': ['/%d' % i for i in range(6)]},
     'the rule would have 6 condition values (host_headers 0, path_patterns 6); the ALB allows at most 5 per rule'),
    ({'kind': 'bypass', 'content': None, 'http_headers': [{'name': 'X-' + 'a' * 39, 'values': ['v']}]},
     "http_headers: name 'X-%s' is 41 characters; the ALB allows at most 40" % ('a' * 39)),
    ({'kind': 'bypass', 'content': None, 'http_headers': [{'name': 'X Bypass', 'values': ['v']}]},
     "http_headers: name 'X Bypass' is not a valid HTTP header name"),
    ({'kind': 'bypass', 'content': None, 'http_headers': [{'name': 'X-Bypass', 'values': ['ok', 's' * 129]}]},
     "http_headers: value 2 of header 'X-Bypass' is 129 characters; the ALB allows at most 128"),
    ({'kind': 'bypass', 'content': None, 'http_headers': [{'name': 'X-Bypass', 'values': []}]},
     "http_headers: header 'X-Bypass' needs at least one value"),
    ({'kind': 'bypass', 'content': None, 'http_headers': [{'name': 'X-Bypass', 'values': ['']}]},
     "http_headers: value 1 of header 'X-Bypass' is empty"),
    ({'host_headers': ['shop_example.com']},
     "host_headers: 'shop_example.com' may contain only letters, digits, '-', '.', '*' and '?'"),
    ({'host_headers': ['a' * 129]},
     "host_headers: 'aaaaaaaaaaaaaaaaaaaa...' is 129 characters; the ALB allows at most 128"),
    ({'path_patterns': ['/a b']},
     "path_patterns: '/a b' may contain only letters, digits and _-.$/~\"'@:+&*?"),
    ({'path_patterns': ['/' + 'p' * 128]},
     "path_patterns: '/ppppppppppppppppppp...' is 129 characters; the ALB allows at most 128"),
    ({'kind': 'preview', 'content': 'x'},
     'path_patterns is required for kind=preview (the secret path that shows the page)'),
    ({'target_group_arn': 'arn:tg'}, 'target_group_arn applies to kind=bypass only'),
    ({'mirror': True}, 'mirror applies to kind=bypass only'),
    ({'kind': 'bypass', 'source_ips': ['10.0.0.0/8']},
     'content and status_code apply to kind sorry and preview, not bypass'),
    ({'kind': 'bypass', 'content': None, 'status_code': 503, 'source_ips': ['10.0.0.0/8']},
     'content and status_code apply to kind sorry and preview, not bypass'),
    ({'kind': 'bypass', 'content': None, 'mirror': True, 'target_group_arn': 'arn:tg', 'source_ips': ['10.0.0.0/8']},
     'mirror and target_group_arn are mutually exclusive: mirror keeps the routing of every rule'),
    ({'kind': 'bypass', 'content': None, 'mirror': True, 'path_patterns': ['/x']},
     'mirror needs source_ips or http_headers: the condition added to each copied rule'),
    ({'kind': 'bypass', 'content': None, 'mirror': True, 'source_ips': ['10.0.0.0/8'], 'path_patterns': ['/x']},
     'mirror copies the path conditions of each rule; path_patterns cannot be combined with it'),
    ({'mirror': 'auto'}, 'mirror applies to kind=bypass only'),
    ({'kind': 'bypass', 'content': None, 'mirror': 'sometimes', 'source_ips': ['10.0.0.0/8']},
     "mirror is 'sometimes'; use true, false or auto"),
    ({'kind': 'bypass', 'content': None, 'mirror': 'auto', 'path_patterns': ['/healthz']},
     "mirror: auto copies the listener's rules, path conditions included, when it routes to several target groups, "
     "so path_patterns cannot be combined with it; use mirror: false or give target_group_arn"),
    ({'kind': 'bypass', 'content': None, 'mirror': 'auto', 'host_headers': ['%s.test' % c for c in 'abcde'],
      'source_ips': ['10.0.0.0/8']},
     'host_headers (5) and path_patterns (0) leave no room for a source_ips or http_headers value; the ALB allows '
     'at most 5 condition values per rule'),
    ({'kind': 'bypass', 'content': None, 'host_headers': ['shop.test']},
     'a bypass needs source_ips, http_headers or path_patterns (a bypass by host alone would switch the Sorry page '
     'off for that host)'),
    ({'kind': 'bypass', 'content': None, 'source_ips': ['10.%d.%d.0/24' % (i // 256, i % 256) for i in range(505)]},
     'this bypass needs 101 rules (505 values, 5 per rule beside host_headers and path_patterns); an ALB has 100 '
     'rules by default (quota rules-per-application-load-balancer)'),
    ({'name': 'shop#1'},
     "name 'shop#1' may contain only letters, digits, spaces and _.:/=+-@ (it is stored in a tag); not: #"),
    ({'name': 'n' * 257}, 'name is 257 characters; at most 256 fit in a tag'),
    ({'listener_arn': None}, 'give listener_arn, or load_balancer_name and listener_port'),
])
def test_invalid_input_is_named_with_its_limit(overrides, message):
    assert message in _validate.validate(params(**overrides))


def test_all_errors_are_reported_at_once():
    errors = _validate.validate(params(content='x' * 1030, status_code=302, priority=0, host_headers=['bad_host']))
    assert len(errors) == 4
    assert errors[0].startswith('content is 1030 characters')


def test_source_ips_are_deduplicated_in_canonical_form():
    errors, cidrs = _validate.check_source_ips(['10.0.0.0/8', '10.0.0.0/8', '2001:DB8::/32', '2001:db8::/32'])
    assert errors == []
    assert cidrs == ['10.0.0.0/8', '2001:db8::/32']


def test_auto_without_a_bypass_condition_names_auto():
    errors = _validate.validate(params(kind='bypass', content=None, mirror='auto', host_headers=['a.test']))
    assert errors == ['mirror: auto needs source_ips or http_headers: the condition added to each copied rule',
                      'a bypass needs source_ips, http_headers or path_patterns (a bypass by host alone would switch '
                      'the Sorry page off for that host)']


def test_auto_and_path_patterns_is_one_error_not_two():
    errors = _validate.validate(params(kind='bypass', content=None, mirror='auto', path_patterns=['/healthz']))
    assert len(errors) == 1 and errors[0].startswith('mirror: auto copies the listener')


def test_mirror_auto_is_the_same_function_the_spec_uses():
    assert _validate.mirror_mode('auto') == 'auto'
