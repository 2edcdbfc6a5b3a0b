# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _viewer_address as va

SECRET = 'Zq8-secret-origin-value-4711'


def alb_header_match(pattern, value):
    """The ALB's http-header value match, written here on purpose (not the code under test, not the sandbox's):
    the whole value, ignoring case, '*' any characters (also none), '?' exactly one."""
    regex = ''.join('.*' if char == '*' else '.' if char == '?' else re.escape(char) for char in pattern)
    return re.match('(?:%s)\\Z' % regex, value, re.IGNORECASE | re.DOTALL) is not None


def matched(values, header):
    return any(alb_header_match(v, header) for v in values)


# --- the matcher itself: a wrong matcher would make the proofs below worthless --------

@pytest.mark.parametrize('pattern, value, expected', [
    ('10.1.*', '10.1.2.3:4', True),
    ('10.1.*', '10.10.0.1:5', False),
    ('10.1.*', '10.100.2.3:4', False),
    ('10.1*', '10.10.0.1:5', True),           # why a value must end with the dot
    ('203.0.113.5:*', '203.0.113.5:46532', True),
    ('203.0.113.5:*', '203.0.113.50:46532', False),
    ('203.0.113.5*', '203.0.113.50:46532', True),  # why a /32 must end with the colon
    ('203.0.113.*', '203.0.113.7:1', True),
    ('203.0.113.*', '203.0.113x', False),
    ('203.0.113.*', '1203.0.113.7:1', False),  # the whole value, not a substring
    ('abc', 'ABC', True),
    ('a?c', 'abc', True),
    ('a?c', 'ac', False),
    ('*', '', True),
])
def test_the_test_matcher_follows_the_alb(pattern, value, expected):
    assert alb_header_match(pattern, value) is expected


# --- values -------------------------------------------------------------------

@pytest.mark.parametrize('cidrs, values', [
    ([], []),
    (None, []),
    (['203.0.113.5/32'], ['203.0.113.5:*']),
    (['203.0.113.5'], ['203.0.113.5:*']),
    ([' 203.0.113.0/24 '], ['203.0.113.*']),
    (['203.0.0.0/16'], ['203.0.*']),
    (['10.0.0.0/8'], ['10.*']),
    (['10.1.0.0/16'], ['10.1.*']),
    (['198.51.100.0/22'], ['198.51.100.*', '198.51.101.*', '198.51.102.*', '198.51.103.*']),
    (['198.51.100.0/23'], ['198.51.100.*', '198.51.101.*']),
    (['10.2.0.0/15'], ['10.2.*', '10.3.*']),
    (['10.0.0.0/14'], ['10.0.*', '10.1.*', '10.2.*', '10.3.*']),
    (['203.0.113.4/31'], ['203.0.113.4:*', '203.0.113.5:*']),
    (['203.0.113.4/30'], ['203.0.113.4:*', '203.0.113.5:*', '203.0.113.6:*', '203.0.113.7:*']),
    (['255.255.255.255/32'], ['255.255.255.255:*']),
    (['0.0.0.0/8'], ['0.*']),
    # several CIDRs: their order, without duplicates or values a wider one covers
    (['203.0.113.5/32', '10.0.0.0/8'], ['203.0.113.5:*', '10.*']),
    (['10.1.0.0/16', '10.0.0.0/8', '10.0.0.0/8', '10.1.2.3'], ['10.*']),
    (['198.51.100.0/22', '198.51.101.0/24', '198.51.101.9/32'],
     ['198.51.100.*', '198.51.101.*', '198.51.102.*', '198.51.103.*']),
    (['192.0.2.1', '192.0.2.1/32'], ['192.0.2.1:*']),
    (['10.1.0.0/255.255.0.0'], ['10.1.*']),
])
def test_values(cidrs, values):
    assert va.viewer_address_values(cidrs) == values


def test_one_cidr_as_a_string_is_one_cidr():
    # not a list of characters, where '1' would silently be 0.0.0.1/32
    assert va.viewer_address_values('10.1.0.0/16') == ['10.1.*']
    assert va.viewer_address_values(u'203.0.113.5') == ['203.0.113.5:*']


def test_max_values_is_a_parameter():
    assert len(va.viewer_address_values(['10.0.0.0/9'], max_values=128)) == 128
    assert va.viewer_address_values(['10.0.0.0/23'], max_values=2) == ['10.0.0.*', '10.0.1.*']
    with pytest.raises(ValueError) as err:
        va.viewer_address_values(['10.0.0.0/22'], max_values=3)
    assert "needs 4 CloudFront-Viewer-Address values (one per /24 in it); at most 3 fit" in str(err.value)


def test_every_value_fits_the_alb():
    values = va.viewer_address_values(['255.255.255.252/30', '10.0.0.0/8'])
    assert all(len(v) <= 128 for v in values) and len(values) <= va.DEFAULT_MAX_VALUES + 1
    assert va.DEFAULT_MAX_VALUES == 4


def _octet_neighbours(octet):
    """Octets that are equal, adjacent, or share leading decimal digits with ``octet`` (10 -> 1, 100, 101...)."""
    text = '%d' % octet
    near = {0, 1, 9, 10, 99, 100, 199, 200, 255, octet, octet - 1, octet + 1, int(text[:-1] or '0')}
    near.update(int(text + digit) for digit in '0159')
    near.update(int(text + tail) for tail in ('00', '05', '55'))
    near.update(int(digit + text) for digit in '12')
    return sorted(o for o in near if 0 <= o <= 255)


def _samples(network):
    """Addresses near every edge of ``network``: its ends, their neighbours, and every mix of octets that share
    decimal prefixes with its own, so a value matching one digit too many or too few shows."""
    first, last = int(network.network_address), int(network.broadcast_address)
    ends = [first, last, max(first - 1, 0), min(last + 1, 2 ** 32 - 1)]
    addresses = {ipaddress.IPv4Address(n) for n in ends}
    octets = [_octet_neighbours(int(o)) for o in ('%s' % network.network_address).split('.')]
    for a in octets[0]:
        for b in octets[1]:
            for c in octets[2]:
                for d in octets[3][::3]:
                    addresses.add(ipaddress.IPv4Address(u'%d.%d.%d.%d' % (a, b, c, d)))
    return sorted(addresses)


@pytest.mark.parametrize('cidr', [
    '203.0.113.5/32', '10.1.2.3/32', '1.1.1.1/32', '203.0.113.0/24', '10.1.1.0/24', '10.1.0.0/16', '1.0.0.0/16',
    '10.0.0.0/8', '1.0.0.0/8', '100.0.0.0/8', '198.51.100.0/22', '10.2.0.0/15', '203.0.113.4/31', '203.0.113.8/30',
    '25.25.24.0/23', '255.255.255.255/32',
])
def test_values_match_exactly_the_addresses_of_the_cidr(cidr):
    network = ipaddress.ip_network(u'%s' % cidr)
    values = va.viewer_address_values([cidr])
    samples = _samples(network)
    inside = [a for a in samples if a in network]
    assert inside and len(samples) > len(inside)  # the proof sees both sides
    for address in samples:
        for port in (7, 46532):
            header = '%s:%d' % (address, port)
            assert matched(values, header) is (address in network), (cidr, values, header)


@pytest.mark.parametrize('header', [
    '2001:db8::1:443', '[2001:db8::1]:443', '::ffff:10.1.2.3:80', '', '10', '10.1', 'garbage',
])
def test_values_do_not_match_what_is_not_an_ipv4_viewer(header):
    values = va.viewer_address_values(['10.1.2.3/32', '10.1.2.0/24'])
    assert not matched(values, header)


@pytest.mark.parametrize('cidr, message', [
    ('2001:db8::/32', "bypass CIDR: '2001:db8::/32' is IPv6: behind CloudFront the bypass matches the "
                      'CloudFront-Viewer-Address header of IPv4 viewers only; let IPv6 users in with a bypass header '
                      '(sorry_bypass_headers)'),
    ('::1', "bypass CIDR: '::1' is IPv6"),
    ('0.0.0.0/0', "bypass CIDR: '0.0.0.0/0' is every address: it would let every viewer through the Sorry page"),
    ('8.0.0.0/7', "bypass CIDR: '8.0.0.0/7' is wider than /8, the widest prefix matched on CloudFront-Viewer-Address"),
    ('128.0.0.0/1', "bypass CIDR: '128.0.0.0/1' is wider than /8"),
    ('10.0.0.0/9', "bypass CIDR: '10.0.0.0/9' needs 128 CloudFront-Viewer-Address values (one per /16 in it); at most 4 "
                   'fit in one bypass rule beside the origin header: widen it to 10.0.0.0/8, or list only the parts you '
                   'need as /8, /16, /24 or /32 CIDRs'),
    ('10.4.8.0/21', "bypass CIDR: '10.4.8.0/21' needs 8 CloudFront-Viewer-Address values (one per /24 in it); at most 4 "
                    'fit in one bypass rule beside the origin header: widen it to 10.4.0.0/16,'),
    ('203.0.113.8/29', "bypass CIDR: '203.0.113.8/29' needs 8 CloudFront-Viewer-Address values (one per /32 in it); at "
                       'most 4 fit in one bypass rule beside the origin header: widen it to 203.0.113.0/24,'),
    ('203.0.113.128/25', "bypass CIDR: '203.0.113.128/25' needs 128 CloudFront-Viewer-Address values"),
    ('10.1.2.3/16', "bypass CIDR: '10.1.2.3/16' has host bits set (the network is 10.1.0.0/16)"),
    ('10.1.2.3/255.255.0.0', "bypass CIDR: '10.1.2.3/255.255.0.0' has host bits set (the network is 10.1.0.0/16)"),
    ('10.0.0.1/0', "bypass CIDR: '10.0.0.1/0' is every address"),       # the width is the problem, not the typo
    ('10.1.2.3/7', "bypass CIDR: '10.1.2.3/7' is wider than /8"),
    ('2001:db8::1/32', "bypass CIDR: '2001:db8::1/32' is IPv6"),
    ('office', "bypass CIDR: 'office' is not an IPv4 CIDR"),
    ('10.0.0.0/33', "bypass CIDR: '10.0.0.0/33' is not an IPv4 CIDR"),
])
def test_refused(cidr, message):
    with pytest.raises(ValueError) as err:
        va.viewer_address_values(['203.0.113.5/32', cidr])
    assert str(err.value).startswith(message)


def test_refusal_names_the_input():
    with pytest.raises(ValueError) as err:
        va.viewer_address_values(['16.0.0.0/4'], label='sorry_bypass_cidrs')
    assert str(err.value).startswith("sorry_bypass_cidrs: '16.0.0.0/4' is wider than /8")


# --- the origin header ------------------------------------------------------------

@pytest.mark.parametrize('header', [
    {'name': 'X-Origin-Verify', 'value': SECRET},
    {'name': 'x-origin-verify', 'value': 'a'},
    {'name': 'X' * 40, 'value': 'v' * 128},
])
def test_origin_header_accepted(header):
    assert va.origin_header_problem(header) == ''


@pytest.mark.parametrize('header, message', [
    (None, 'the origin header must be a dict with a name and a value'),
    ('X-Origin-Verify', 'the origin header must be a dict with a name and a value'),
    ({'value': SECRET}, 'the origin header needs a name'),
    ({'name': '', 'value': SECRET}, 'the origin header needs a name'),
    ({'name': 'X' * 41, 'value': SECRET}, "the origin header name '%s' is 41 characters; the ALB allows at most 40" % ('X' * 41)),
    ({'name': 'X Origin', 'value': SECRET}, "the origin header name 'X Origin' is not a valid HTTP header name"),
    ({'name': 'X-Origin:', 'value': SECRET}, "the origin header name 'X-Origin:' is not a valid HTTP header name"),
    ({'name': 'cloudfront-viewer-address', 'value': SECRET},
     "the origin header name 'cloudfront-viewer-address' is CloudFront's viewer-address header itself: pick a name of "
     'your own'),
    ({'name': 'Host', 'value': SECRET}, "the origin header name 'Host' is one CloudFront does not add to origin requests"),
    ({'name': 'X-Amz-Secret', 'value': SECRET},
     "the origin header name 'X-Amz-Secret' is one CloudFront does not add to origin requests"),
    ({'name': 'X-Edge-Key', 'value': SECRET}, "the origin header name 'X-Edge-Key' is one CloudFront does not add to origin requests"),
    ({'name': 'X-Origin-Verify'}, "the origin header 'X-Origin-Verify' needs a value (a string)"),
    ({'name': 'X-Origin-Verify', 'value': 4711}, "the origin header 'X-Origin-Verify' needs a value (a string)"),
    ({'name': 'X-Origin-Verify', 'value': ''}, "the origin header 'X-Origin-Verify' has an empty value"),
    ({'name': 'X-Origin-Verify', 'value': SECRET * 5},
     "the value of the origin header 'X-Origin-Verify' is %d characters; the ALB allows at most 128" % (len(SECRET) * 5)),
    ({'name': 'X-Origin-Verify', 'value': SECRET + '*'},
     "the value of the origin header 'X-Origin-Verify' holds '*' or '?', which the ALB reads as wildcards: the bypass "
     'would accept other values too; pick a value of letters and digits'),
    ({'name': 'X-Origin-Verify', 'value': '?' + SECRET}, "the value of the origin header 'X-Origin-Verify' holds '*' or '?'"),
    ({'name': 'X-Origin-Verify', 'value': SECRET + ' '},
     "the value of the origin header 'X-Origin-Verify' starts or ends with white space, which HTTP drops: the bypass "
     'would never match'),
])
def test_origin_header_refused_without_saying_the_secret(header, message):
    problem = va.origin_header_problem(header)
    assert problem.startswith(message)
    assert SECRET not in problem and SECRET.lower() not in problem.lower()
