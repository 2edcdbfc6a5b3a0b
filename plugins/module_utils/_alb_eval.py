# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which rule of a listener answers a request, evaluated the way an ALB does (pure).

Rules are taken by priority (lowest first); a rule matches when every one of
its conditions matches, and a condition matches when any one of its values
does. Nothing matching means the default action. What AWS documents for the
condition types (Elastic Load Balancing, "Condition types for listener rules"):

- host-header: case-insensitive, wildcards ``*`` (0 or more characters) and
  ``?`` (exactly one); compared with the host name (a ``:port`` is dropped);
- path-pattern: case-sensitive, same wildcards, the path only (no query);
- http-header: the header name case-insensitive and without wildcards, the
  values case-insensitive with wildcards;
- http-request-method: case-sensitive, exact;
- query-string: key (optional) and value case-insensitive with wildcards;
- source-ip: the client address inside one of the CIDR blocks (IPv4 or IPv6),
  not X-Forwarded-For.

A request is a dict: host, path (default ``/``), source_ip, headers
({name: value}), method (default ``GET``), query ([(key, value)]).
Rules are DescribeRules entries (``Priority`` text, ``IsDefault``) or the
records of ``_elbv2.rule_record`` (``priority`` int), both with their
conditions and actions in the API's spelling.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re


class UnsupportedCondition(ValueError):
    """A rule has a condition this evaluator cannot judge; the message names the rule and the field."""


def _pattern(value, ignore_case):
    parts = []
    for char in value:
        if char == '*':
            parts.append('.*')
        elif char == '?':
            parts.append('.')
        else:
            parts.append(re.escape(char))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile('^' + ''.join(parts) + '$', flags)


def wildcard_match(pattern, text, ignore_case):
    """``pattern`` with ``*`` and ``?`` matches the whole of ``text``."""
    return _pattern(pattern, ignore_case).match(text) is not None


def host_name(host):
    """The host name of a Host header: lower case, without a ``:port`` (an IPv6 literal keeps its brackets)."""
    text = (host or '').strip()
    if text.startswith('['):
        end = text.find(']')
        return text[:end + 1].lower() if end > 0 else text.lower()
    if text.count(':') == 1:
        text = text.split(':', 1)[0]
    return text.lower()


def _values(condition, config_key):
    config = condition.get(config_key)
    if config and config.get('Values') is not None:
        return config['Values']
    return condition.get('Values') or []


def _source_ip_matches(values, address):
    try:
        client = ipaddress.ip_address(u'%s' % address)
    except ValueError:
        return False
    for value in values:
        network = ipaddress.ip_network(u'%s' % value, strict=False)
        if network.version == client.version and client in network:
            return True
    return False


def _header_matches(config, headers):
    name = (config.get('HttpHeaderName') or '').lower()
    found = [value for key, value in (headers or {}).items() if key.lower() == name]
    return any(wildcard_match(pattern, value, True) for pattern in config.get('Values') or [] for value in found)


def _query_matches(values, query):
    for wanted in values:
        for key, value in query or []:
            if wanted.get('Key') is not None and not wildcard_match(wanted['Key'], key, True):
                continue
            if wildcard_match(wanted.get('Value', ''), value, True):
                return True
    return False


def condition_matches(condition, request):
    """One condition against one request; UnsupportedCondition for a field or form it cannot judge."""
    field = condition.get('Field')
    for key in ('HostHeaderConfig', 'PathPatternConfig', 'HttpHeaderConfig'):
        if (condition.get(key) or {}).get('RegexValues'):
            raise UnsupportedCondition('a %s condition with RegexValues' % field)
    if field == 'host-header':
        host = host_name(request.get('host'))
        return any(wildcard_match(v, host, True) for v in _values(condition, 'HostHeaderConfig'))
    if field == 'path-pattern':
        path = request.get('path') or '/'
        return any(wildcard_match(v, path, False) for v in _values(condition, 'PathPatternConfig'))
    if field == 'source-ip':
        return _source_ip_matches(_values(condition, 'SourceIpConfig'), request.get('source_ip'))
    if field == 'http-header':
        return _header_matches(condition.get('HttpHeaderConfig') or {}, request.get('headers'))
    if field == 'http-request-method':
        return (request.get('method') or 'GET') in _values(condition, 'HttpRequestMethodConfig')
    if field == 'query-string':
        return _query_matches(_values(condition, 'QueryStringConfig'), request.get('query'))
    raise UnsupportedCondition('condition field %r' % (field,))


def _is_default(rule):
    return bool(rule.get('IsDefault')) or rule.get('Priority') == 'default'


def _priority(rule):
    return int(rule['priority'] if 'priority' in rule else rule['Priority'])


def _conditions(rule):
    return rule.get('conditions', rule.get('Conditions')) or []


def _actions(rule):
    return rule.get('actions', rule.get('Actions')) or []


def rule_matches(rule, request):
    """Every condition of the rule matches (a rule without conditions matches everything)."""
    for condition in _conditions(rule):
        try:
            if not condition_matches(condition, request):
                return False
        except UnsupportedCondition as exc:
            raise UnsupportedCondition('rule %s: cannot evaluate %s' % (rule.get('priority', rule.get('Priority')), exc))
    return True


def terminal_action(actions):
    """The action that answers: the last by Order (authenticate-* actions come before it)."""
    if not actions:
        return None
    ordered = sorted(enumerate(actions), key=lambda item: (item[1].get('Order', item[0] + 1), item[0]))
    return ordered[-1][1]


def evaluate(rules, request, default_actions=None):
    """What answers ``request``: {priority (int, or 'default'), rule (the entry, None for the default),
    action (the terminal action, None when there is none)}.

    ``rules`` may hold the default rule (IsDefault); ``default_actions`` is used when it does not.
    """
    default = [r for r in rules if _is_default(r)]
    ordered = sorted((r for r in rules if not _is_default(r)), key=_priority)
    for rule in ordered:
        if rule_matches(rule, request):
            return dict(priority=_priority(rule), rule=rule, action=terminal_action(_actions(rule)))
    actions = _actions(default[0]) if default else (default_actions or [])
    return dict(priority='default', rule=default[0] if default else None, action=terminal_action(actions))


def fixed_body(action):
    """The MessageBody of a fixed-response action, else None."""
    if not action or action.get('Type') != 'fixed-response':
        return None
    return (action.get('FixedResponseConfig') or {}).get('MessageBody') or ''


def is_page(action, markers):
    """The action is a fixed response whose body carries one of the Sorry pages' build markers."""
    body = fixed_body(action)
    return body is not None and any(marker and marker in body for marker in markers)


def status_code(action):
    """The status a fixed-response or redirect answers with, as an int, else None."""
    if not action:
        return None
    if action.get('Type') == 'fixed-response':
        return int((action.get('FixedResponseConfig') or {}).get('StatusCode') or 0) or None
    if action.get('Type') == 'redirect':
        code = (action.get('RedirectConfig') or {}).get('StatusCode') or ''
        return int(code.replace('HTTP_', '')) if code.replace('HTTP_', '').isdigit() else None
    return None


def redirect_only(rules, default_actions=None):
    """Every answer of the listener (rules and default) is a redirect: an HTTP-to-HTTPS listener."""
    default = [r for r in rules if _is_default(r)]
    actions = [terminal_action(_actions(r)) for r in rules if not _is_default(r)]
    actions.append(terminal_action(_actions(default[0]) if default else (default_actions or [])))
    return all(action is not None and action.get('Type') == 'redirect' for action in actions)
