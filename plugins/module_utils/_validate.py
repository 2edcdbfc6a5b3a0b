# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of alb_sorry_rule input against the ALB's limits.

Everything here is pure and runs before the first AWS call: moto (and a
hurried operator) accept inputs the real ALB rejects, and a failure half way
through switching a site on is the worst time to learn about a limit.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import CONTENT_TYPES
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import DEFAULT_RULES_QUOTA
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_BODY_CHARS
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_CONDITION_VALUE_CHARS
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_CONDITION_VALUES
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_HEADER_NAME_CHARS
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_PRIORITY
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_TAG_VALUE_CHARS
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MIN_PRIORITY
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import STATUS_CODE_PATTERN
from ansible_collections.sorrypage.aws.plugins.module_utils._rules import AUTO
from ansible_collections.sorrypage.aws.plugins.module_utils._rules import DEFAULT_PATHS
from ansible_collections.sorrypage.aws.plugins.module_utils._rules import chunk_size
from ansible_collections.sorrypage.aws.plugins.module_utils._rules import dedupe
from ansible_collections.sorrypage.aws.plugins.module_utils._rules import mirror_mode
from ansible_collections.sorrypage.aws.plugins.module_utils._rules import normalise_cidr
from ansible_collections.sorrypage.aws.plugins.module_utils._rules import split_values
from ansible_collections.sorrypage.aws.plugins.module_utils._tags import is_tag_char

# The characters AWS documents for condition values. host-header: A-Z a-z 0-9
# - . * ?; path-pattern: A-Z a-z 0-9 _ - . $ / ~ " ' @ : + & * ?
_HOST_RE = re.compile(r'^[A-Za-z0-9.*?-]+$')
_PATH_RE = re.compile(r'''^[A-Za-z0-9_.$/~"'@:+&*?-]+$''')
# An HTTP header name is an RFC 9110 token.
_HEADER_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_STATUS_RE = re.compile(STATUS_CODE_PATTERN)


def body_chars(content):
    """The ALB counts the fixed-response body in characters, not bytes."""
    return len(content or '')


def check_body(content):
    chars = body_chars(content)
    if chars > MAX_BODY_CHARS:
        return ['content is %d characters; a fixed-response body may have at most %d (over by %d)'
                % (chars, MAX_BODY_CHARS, chars - MAX_BODY_CHARS)]
    return []


def check_status_code(status_code):
    if status_code is None or _STATUS_RE.match(str(status_code)):
        return []
    return ['status_code %s is not accepted in a fixed response: it must match %s (2XX, 4XX or 5XX)'
            % (status_code, STATUS_CODE_PATTERN)]


def check_content_type(content_type):
    if content_type is None or content_type in CONTENT_TYPES:
        return []
    return ["content_type '%s' is not one the ALB serves; use one of: %s" % (content_type, ', '.join(CONTENT_TYPES))]


def check_priority(priority, parts=1):
    if priority is None:
        return []
    last = priority + max(parts, 1) - 1
    if priority < MIN_PRIORITY or last > MAX_PRIORITY:
        if parts > 1:
            return ['priority %d..%d (%d rules) is outside %d..%d' % (priority, last, parts, MIN_PRIORITY, MAX_PRIORITY)]
        return ['priority %d is outside %d..%d' % (priority, MIN_PRIORITY, MAX_PRIORITY)]
    return []


def _check_condition_values(option, values, pattern, allowed):
    errors = []
    for value in values:
        if len(value) > MAX_CONDITION_VALUE_CHARS:
            errors.append("%s: '%s...' is %d characters; the ALB allows at most %d"
                          % (option, value[:20], len(value), MAX_CONDITION_VALUE_CHARS))
        elif not pattern.match(value):
            errors.append("%s: '%s' may contain only %s" % (option, value, allowed))
    return errors


def check_hosts(hosts):
    return _check_condition_values('host_headers', hosts, _HOST_RE, "letters, digits, '-', '.', '*' and '?'")


def check_paths(paths):
    return _check_condition_values('path_patterns', paths, _PATH_RE, "letters, digits and _-.$/~\"'@:+&*?")


def check_source_ips(source_ips, allow_any_source=False):
    """Returns (errors, canonical CIDRs in order without repeats)."""
    errors = []
    cidrs = []
    for value in source_ips:
        try:
            cidr = normalise_cidr(value)
        except ValueError as e:
            errors.append(str(e))
            continue
        if ipaddress.ip_network(cidr).prefixlen == 0 and not allow_any_source:
            errors.append("source_ips: '%s' lets every client bypass the Sorry page; "
                          "set allow_any_source=true if that is really meant" % value)
        cidrs.append(cidr)
    return errors, dedupe(cidrs)


def check_http_headers(http_headers):
    """Header names and value lengths. Values are secrets: messages never show them."""
    errors = []
    for header in http_headers:
        name = header.get('name') or ''
        values = header.get('values') or []
        if len(name) > MAX_HEADER_NAME_CHARS:
            errors.append("http_headers: name '%s' is %d characters; the ALB allows at most %d"
                          % (name, len(name), MAX_HEADER_NAME_CHARS))
        elif not _HEADER_NAME_RE.match(name):
            errors.append("http_headers: name '%s' is not a valid HTTP header name" % name)
        if not values:
            errors.append("http_headers: header '%s' needs at least one value" % name)
        for index, value in enumerate(values):
            if len(value) > MAX_CONDITION_VALUE_CHARS:
                errors.append("http_headers: value %d of header '%s' is %d characters; the ALB allows at most %d"
                              % (index + 1, name, len(value), MAX_CONDITION_VALUE_CHARS))
            elif not value:
                errors.append("http_headers: value %d of header '%s' is empty" % (index + 1, name))
    return errors


def check_name(name):
    if not name:
        return ['name must not be empty']
    bad = sorted(set(c for c in name if not is_tag_char(c)))
    if bad:
        return ["name '%s' may contain only letters, digits, spaces and _.:/=+-@ (it is stored in a tag); not: %s"
                % (name, ' '.join(bad))]
    if len(name) > MAX_TAG_VALUE_CHARS:
        return ['name is %d characters; at most %d fit in a tag' % (len(name), MAX_TAG_VALUE_CHARS)]
    return []


def validate(params):
    """All input errors of alb_sorry_rule, as a list of messages (empty when valid).

    ``params`` is the module's params dict. Only the identity (listener, kind,
    name) matters for state=absent.
    """
    errors = []
    kind = params.get('kind') or 'sorry'
    name = params.get('name') or kind
    errors += check_name(name)
    if params.get('listener_arn') is None and not (params.get('load_balancer_name') and params.get('listener_port')):
        errors.append('give listener_arn, or load_balancer_name and listener_port')
    if params.get('state', 'present') == 'absent':
        return errors

    hosts = dedupe(params.get('host_headers'))
    paths = dedupe(params.get('path_patterns'))
    headers = params.get('http_headers') or []
    content = params.get('content')
    try:
        mirror = mirror_mode(params.get('mirror'))
    except ValueError as e:
        errors.append(str(e))
        mirror = False
    # True always mirrors; auto mirrors when the listener routes to several target groups, unless an ARN is given.
    may_mirror = mirror is True or (mirror == AUTO and not params.get('target_group_arn'))

    if kind in ('sorry', 'preview'):
        if content is None:
            errors.append('content is required for kind=%s with state=present' % kind)
        errors += check_body(content)
        errors += check_status_code(params.get('status_code'))
        errors += check_content_type(params.get('content_type'))
        if params.get('target_group_arn'):
            errors.append('target_group_arn applies to kind=bypass only')
        if mirror:
            errors.append('mirror applies to kind=bypass only')
        if kind == 'preview' and not paths:
            errors.append('path_patterns is required for kind=preview (the secret path that shows the page)')
    else:
        if content is not None or params.get('status_code') is not None:
            errors.append('content and status_code apply to kind sorry and preview, not bypass')
        if mirror is True and params.get('target_group_arn'):
            errors.append('mirror and target_group_arn are mutually exclusive: mirror keeps the routing of every rule')
        if mirror == AUTO and may_mirror and paths:
            errors.append('mirror: auto copies the listener\'s rules, path conditions included, when it routes to several '
                          'target groups, so path_patterns cannot be combined with it; use mirror: false or give '
                          'target_group_arn')
        elif mirror == AUTO and may_mirror and not (params.get('source_ips') or headers):
            errors.append('mirror: auto needs source_ips or http_headers: the condition added to each copied rule')
        if mirror is True and not (params.get('source_ips') or headers):
            errors.append('mirror needs source_ips or http_headers: the condition added to each copied rule')
        if mirror is True and paths:
            errors.append('mirror copies the path conditions of each rule; path_patterns cannot be combined with it')
        if not (params.get('source_ips') or headers or paths):
            errors.append('a bypass needs source_ips, http_headers or path_patterns (a bypass by host alone would '
                          'switch the Sorry page off for that host)')

    errors += check_hosts(hosts)
    errors += check_paths(paths)
    ip_errors, cidrs = check_source_ips(params.get('source_ips') or [], params.get('allow_any_source'))
    errors += ip_errors
    errors += check_http_headers(headers)
    required = params.get('required_headers') or []
    if required and kind != 'bypass':
        errors.append('required_headers apply to kind bypass only (the origin header of a CloudFront distribution)')
    errors += check_http_headers(required)

    if kind == 'sorry' and not paths:
        paths = DEFAULT_PATHS['sorry']
    base = len(hosts) + len(paths)
    header_values = sum(len(h.get('values') or []) for h in headers)
    parts = 1
    if kind in ('sorry', 'preview'):
        total = base + len(cidrs) + header_values
        if total > MAX_CONDITION_VALUES:
            errors.append('the rule would have %d condition values (host_headers %d, path_patterns %d, source_ips %d, '
                          'http_headers %d); the ALB allows at most %d per rule'
                          % (total, len(hosts), len(paths), len(cidrs), header_values, MAX_CONDITION_VALUES))
    elif cidrs or headers:
        base += sum(len(h.get('values') or []) for h in required)
        if mirror is not True and base >= MAX_CONDITION_VALUES:
            errors.append('host_headers (%d) and path_patterns (%d) leave no room for a source_ips or http_headers '
                          'value; the ALB allows at most %d condition values per rule'
                          % (len(hosts), len(paths), MAX_CONDITION_VALUES))
        elif mirror is not True:
            size = chunk_size(base)
            parts = len(split_values(cidrs, size)) + sum(len(split_values(h.get('values') or [], size)) for h in headers)
            if parts > DEFAULT_RULES_QUOTA:
                errors.append('this bypass needs %d rules (%d values, %d per rule beside host_headers and path_patterns); '
                              'an ALB has %d rules by default (quota rules-per-application-load-balancer)'
                              % (parts, len(cidrs) + header_values, size, DEFAULT_RULES_QUOTA))
    elif base > MAX_CONDITION_VALUES:
        errors.append('the rule would have %d condition values (host_headers %d, path_patterns %d); the ALB allows '
                      'at most %d per rule' % (base, len(hosts), len(paths), MAX_CONDITION_VALUES))

    if params.get('priority') is not None:
        errors += check_priority(params['priority'], parts)
    return errors
