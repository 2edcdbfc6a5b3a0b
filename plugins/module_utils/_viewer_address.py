# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bypass behind CloudFront: office CIDRs as ALB http-header values (pure).

Behind CloudFront the ALB's TCP peer is an edge server, so a source-ip
condition never matches an office. CloudFront can send the viewer's address
to the origin in ``CloudFront-Viewer-Address`` (``IP:port``, e.g.
``203.0.113.5:46532``; IPv6 viewers get an IPv6 address there). The bypass
rule then matches that header with values built here, AND the distribution's
secret origin custom header, without which anyone reaching the ALB directly
could send a forged viewer address.

An ALB http-header value matches the whole header value, case-insensitively,
with ``*`` (any characters, also none) and ``?`` (exactly one). A value is
exact for its CIDR when every literal part ends where the CIDR's fixed
octets end:

- /32 ``203.0.113.5`` -> ``203.0.113.5:*``: the ``:`` right after the last
  octet refuses ``203.0.113.50:…``;
- /24, /16, /8 -> ``203.0.113.*``, ``203.0.*``, ``10.*``: the prefix ends
  with the dot, so ``10.1.*`` needs a dot right after ``10.1`` and refuses
  ``10.10.0.1:…`` and ``10.100.2.3:…``;
- any other prefix length is expanded to the next octet boundary below it
  (a /22 is four /24 values, a /31 two /32 values), as long as that stays
  within ``max_values`` values for the CIDR.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_CONDITION_VALUES
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_CONDITION_VALUE_CHARS
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_HEADER_NAME_CHARS

VIEWER_ADDRESS_HEADER = 'CloudFront-Viewer-Address'

# One of the rule's condition values is the origin header's.
DEFAULT_MAX_VALUES = MAX_CONDITION_VALUES - 1

# The widest prefix taken: a /7 would be two /8 values, but an office that
# wide is a typing mistake, not an office.
MIN_PREFIX = 8

# An HTTP header name is an RFC 9110 token.
_HEADER_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

# Names CloudFront will not add as an origin custom header (its documented
# list, the prefixes checked apart), and its own viewer-address header, which
# the bypass rule already matches and CloudFront overwrites.
_REFUSED_NAMES = frozenset((
    'cache-control', 'connection', 'content-length', 'cookie', 'host', 'if-match', 'if-modified-since',
    'if-none-match', 'if-range', 'if-unmodified-since', 'max-forwards', 'pragma', 'proxy-authorization',
    'proxy-connection', 'range', 'request-range', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'via',
    'x-real-ip', VIEWER_ADDRESS_HEADER.lower()))
_REFUSED_PREFIXES = ('x-amz-', 'x-edge-')


def _network(cidr, label):
    text = ('%s' % (cidr,)).strip()
    try:
        network = ipaddress.ip_network(u'%s' % text, strict=False)
    except ValueError:
        raise ValueError("%s: '%s' is not an IPv4 CIDR" % (label, text))
    # What cannot work is said before host bits that are only a typo.
    if network.version != 4:
        raise ValueError("%s: '%s' is IPv6: behind CloudFront the bypass matches the CloudFront-Viewer-Address header "
                         "of IPv4 viewers only; let IPv6 users in with a bypass header (sorry_bypass_headers)"
                         % (label, text))
    if network.prefixlen == 0:
        raise ValueError("%s: '%s' is every address: it would let every viewer through the Sorry page" % (label, text))
    if network.prefixlen < MIN_PREFIX:
        raise ValueError("%s: '%s' is wider than /%d, the widest prefix matched on CloudFront-Viewer-Address"
                         % (label, text, MIN_PREFIX))
    try:
        ipaddress.ip_network(u'%s' % text, strict=True)
    except ValueError:  # it parsed loosely, so only host bits are wrong
        raise ValueError("%s: '%s' has host bits set (the network is %s)" % (label, text, network))
    return text, network


def _aligned(network):
    """The octet-aligned networks that make up ``network`` (itself when aligned)."""
    aligned = -(-network.prefixlen // 8) * 8  # the next multiple of 8, up to 32
    if aligned == network.prefixlen:
        return [network]
    return list(network.subnets(new_prefix=aligned))


def _value(network):
    """The http-header value matching exactly the addresses of an octet-aligned IPv4 network."""
    octets = ('%s' % network.network_address).split('.')
    if network.prefixlen == 32:
        return '%s:*' % '.'.join(octets)
    return '%s.*' % '.'.join(octets[:network.prefixlen // 8])


def viewer_address_values(cidrs, max_values=DEFAULT_MAX_VALUES, label='bypass CIDR'):
    """CloudFront-Viewer-Address values matching exactly the IPv4 addresses of ``cidrs``.

    ``cidrs``: CIDR strings (a bare address is a /32). Returns a list of
    values in the order of the CIDRs, duplicates and values a wider one
    already covers left out; ``[]`` for no CIDR. The caller splits the list
    over rules (each also needs the origin header's value).

    Raises ValueError naming the CIDR (``label`` says which input it came
    from) for an IPv6 CIDR, 0.0.0.0/0, a prefix wider than /8, host bits set,
    or a CIDR needing more than ``max_values`` values.
    """
    if isinstance(cidrs, (type(u''), type(''))):
        cidrs = [cidrs]  # one CIDR, not a list of characters
    networks = []
    for cidr in cidrs or []:
        text, network = _network(cidr, label)
        parts = _aligned(network)
        if len(parts) > max_values:
            raise ValueError("%s: '%s' needs %d CloudFront-Viewer-Address values (one per /%d in it); at most %d fit "
                             "in one bypass rule beside the origin header: widen it to %s/%d, or list only the parts "
                             "you need as /8, /16, /24 or /32 CIDRs"
                             % (label, text, len(parts), parts[0].prefixlen, max_values,
                                network.supernet(new_prefix=network.prefixlen // 8 * 8).network_address,
                                network.prefixlen // 8 * 8))
        networks.extend(parts)
    kept = []
    for index, network in enumerate(networks):
        covered = any(other.prefixlen < network.prefixlen and network.supernet(new_prefix=other.prefixlen) == other
                      for other in networks)
        if not covered and network not in networks[:index]:
            kept.append(network)
    return [_value(network) for network in kept]


def origin_header_problem(header):
    """Why ``{name, value}`` cannot be the distribution's secret origin header; '' when it can.

    The message never holds the value: it is the secret that makes the
    viewer-address bypass safe. Make it long and random: the ALB compares it
    ignoring case.
    """
    if not isinstance(header, dict):
        return 'the origin header must be a dict with a name and a value'
    name = header.get('name')
    value = header.get('value')
    name = '' if name is None else '%s' % (name,)
    if not name:
        return 'the origin header needs a name'
    if len(name) > MAX_HEADER_NAME_CHARS:
        return ("the origin header name '%s' is %d characters; the ALB allows at most %d"
                % (name, len(name), MAX_HEADER_NAME_CHARS))
    if not _HEADER_NAME_RE.match(name):
        return "the origin header name '%s' is not a valid HTTP header name" % name
    lowered = name.lower()
    if lowered == VIEWER_ADDRESS_HEADER.lower():
        return ("the origin header name '%s' is CloudFront's viewer-address header itself: pick a name of your own"
                % name)
    if lowered in _REFUSED_NAMES or lowered.startswith(_REFUSED_PREFIXES):
        return "the origin header name '%s' is one CloudFront does not add to origin requests" % name
    if value is None or not isinstance(value, (type(u''), type(''))):
        return "the origin header '%s' needs a value (a string)" % name
    if not value:
        return "the origin header '%s' has an empty value" % name
    if len(value) > MAX_CONDITION_VALUE_CHARS:
        return ("the value of the origin header '%s' is %d characters; the ALB allows at most %d"
                % (name, len(value), MAX_CONDITION_VALUE_CHARS))
    if '*' in value or '?' in value:
        return ("the value of the origin header '%s' holds '*' or '?', which the ALB reads as wildcards: the bypass "
                'would accept other values too; pick a value of letters and digits' % name)
    if value != value.strip():
        return ("the value of the origin header '%s' starts or ends with white space, which HTTP drops: the bypass "
                'would never match' % name)
    return ''
