"""How an Application Load Balancer picks the rule that answers a request.

Pure functions over listener rules exactly as ``describe_rules`` returns them
(``Priority`` as a string, ``'default'`` for the default rule, conditions
with ``Field`` and a ``*Config`` or the legacy ``Values``), following the ALB
documentation ("Listener rules", "Condition types for listener rules"):

- rules are tried in ascending numeric priority, the default rule last;
- every condition of a rule must match (AND), any value of a condition may
  match (OR);
- ``host-header``: the Host header without its port, case-insensitive,
  ``*`` (0 or more characters) and ``?`` (exactly one) wildcards;
- ``path-pattern``: the path only (never the query string), case-sensitive,
  same wildcards;
- ``http-header``: header name case-insensitive, values case-insensitive with
  wildcards; repeated headers are searched in order;
- ``http-request-method``: exact and case-sensitive, no wildcards;
- ``query-string``: key/value pairs (key optional), case-insensitive,
  wildcards, ``\\*`` and ``\\?`` for literal characters, matched against the
  percent-decoded pairs;
- ``source-ip``: CIDR blocks (IPv4/IPv6) against the TCP peer, never
  X-Forwarded-For.

``RegexValues`` (host-header, path-pattern, http-header) are searched with
Python's ``re`` (the AWS examples anchor them with ``^``/``$``), with the same
case rule as the plain values of that field.

Also pure helpers for what the data plane does with the chosen action:
``terminal_action``, ``forward_target_group``, ``target_group_name``,
``fixed_response`` and ``redirect_location``.
"""
import functools
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Optional, Tuple
from urllib.parse import unquote, urlsplit

DEFAULT_PRIORITY = 'default'
TERMINAL_ACTIONS = ('forward', 'fixed-response', 'redirect')
FIELDS = ('host-header', 'path-pattern', 'http-header', 'http-request-method', 'query-string', 'source-ip')


class RuleError(ValueError):
    """A rule or action this evaluator cannot make sense of."""


def _normalise_headers(headers):
    """A tuple of (name, value) pairs from a dict, a list of pairs or an HTTPMessage."""
    if headers is None:
        return ()
    items = headers.items() if hasattr(headers, 'items') else headers
    return tuple((str(name), str(value)) for name, value in items)


@dataclass(frozen=True)
class Request:
    """What the load balancer knows about one request.

    ``path`` is the path as sent (no query string), ``query`` the raw query
    string without ``?``, ``headers`` (name, value) pairs in the order
    received, ``source_ip`` the TCP peer's address.
    """
    method: str = 'GET'
    path: str = '/'
    query: str = ''
    headers: Tuple[Tuple[str, str], ...] = ()
    source_ip: str = ''

    def __post_init__(self):
        object.__setattr__(self, 'headers', _normalise_headers(self.headers))

    @classmethod
    def parse(cls, method, target, headers=None, source_ip='', host=None):
        """Build a Request from a request line target (``/path?query#frag``).

        An absolute-form target (``http://host/path``) gives its path and
        query; ``host`` adds or replaces the Host header.
        """
        if target.startswith(('http://', 'https://')):
            parts = urlsplit(target)
            path, query = parts.path or '/', parts.query
        else:
            target = target.split('#', 1)[0]
            path, _sep, query = target.partition('?')
        pairs = _normalise_headers(headers)
        if host is not None:
            pairs = tuple(p for p in pairs if p[0].lower() != 'host') + (('Host', host),)
        return cls(method=method, path=path or '/', query=query, headers=pairs, source_ip=source_ip)

    def header_values(self, name):
        """Every value of header ``name`` (case-insensitive), in order."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    @property
    def host(self):
        """The Host header without its port, or None when absent."""
        values = self.header_values('host')
        return host_without_port(values[0]) if values else None

    @property
    def query_pairs(self):
        """Percent-decoded (key, value) pairs; a bare ``token`` is (None, token)."""
        pairs = []
        for part in self.query.split('&'):
            if not part:
                continue
            if '=' in part:
                key, value = part.split('=', 1)
                pairs.append((unquote(key), unquote(value)))
            else:
                pairs.append((None, unquote(part)))
        return pairs


@dataclass(frozen=True)
class Match:
    """The rule that answers a request and what it does."""
    priority: str
    rule_arn: Optional[str]
    is_default: bool
    action: dict
    actions: tuple = ()
    rule: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def label(self):
        """``'10'`` or ``'default'``: what the data plane reports as the answering rule."""
        return DEFAULT_PRIORITY if self.is_default else self.priority


def host_without_port(value):
    """``example.com:8080`` -> ``example.com``; ``[::1]:80`` -> ``[::1]``."""
    value = value.strip()
    if value.startswith('['):
        end = value.find(']')
        return value[:end + 1] if end != -1 else value
    if value.count(':') == 1:
        return value.split(':', 1)[0]
    return value


@functools.lru_cache(maxsize=4096)
def _wildcard_regex(pattern, ignore_case, escapes):
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if escapes and char == '\\' and i + 1 < len(pattern) and pattern[i + 1] in '*?\\':
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if char == '*':
            out.append('.*')
        elif char == '?':
            out.append('.')
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile(''.join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern, value, ignore_case=False, escapes=False):
    """Whole-string match of ``value`` against an ALB pattern with ``*`` and ``?``.

    ``escapes`` honours ``\\*``, ``\\?`` and ``\\\\`` as literal characters
    (documented for query-string values).
    """
    if value is None:
        return False
    return _wildcard_regex(pattern, bool(ignore_case), bool(escapes)).fullmatch(value) is not None


@functools.lru_cache(maxsize=1024)
def _compiled(regex, ignore_case):
    return re.compile(regex, re.IGNORECASE if ignore_case else 0)


def regex_match(regex, value, ignore_case=False):
    if value is None:
        return False
    return _compiled(regex, bool(ignore_case)).search(value) is not None


def _values(condition, config_key, legacy=False):
    config = condition.get(config_key) or {}
    values = list(config.get('Values') or [])
    regexes = list(config.get('RegexValues') or []) + list(condition.get('RegexValues') or [])
    if legacy and not values and not config:
        values = list(condition.get('Values') or [])
    return values, regexes


def _match_any(values, regexes, candidates, ignore_case):
    for candidate in candidates:
        if any(wildcard_match(v, candidate, ignore_case) for v in values):
            return True
        if any(regex_match(r, candidate, ignore_case) for r in regexes):
            return True
    return False


def _source_ip_matches(cidrs, source_ip):
    if not source_ip:
        return False
    try:
        address = ipaddress.ip_address(source_ip.split('%', 1)[0])
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError as exc:
            raise RuleError('source-ip value %r is not a CIDR block: %s' % (cidr, exc)) from exc
        if network.version == address.version and address in network:
            return True
    return False


def _query_matches(entries, pairs):
    for entry in entries:
        want_key, want_value = entry.get('Key'), entry.get('Value', '')
        for key, value in pairs:
            if want_key is not None:
                if key is None or not wildcard_match(want_key, key, ignore_case=True, escapes=True):
                    continue
            if wildcard_match(want_value, value, ignore_case=True, escapes=True):
                return True
    return False


def condition_matches(condition, request):
    """Whether one rule condition matches ``request``."""
    kind = condition.get('Field')
    if kind == 'host-header':
        values, regexes = _values(condition, 'HostHeaderConfig', legacy=True)
        host = request.host
        return _match_any(values, regexes, [host] if host is not None else [], ignore_case=True)
    if kind == 'path-pattern':
        values, regexes = _values(condition, 'PathPatternConfig', legacy=True)
        return _match_any(values, regexes, [request.path], ignore_case=False)
    if kind == 'http-header':
        config = condition.get('HttpHeaderConfig') or {}
        name = config.get('HttpHeaderName')
        if not name:
            raise RuleError('http-header condition without HttpHeaderName: %r' % (condition,))
        values, regexes = _values(condition, 'HttpHeaderConfig')
        return _match_any(values, regexes, request.header_values(name), ignore_case=True)
    if kind == 'http-request-method':
        values, _regexes = _values(condition, 'HttpRequestMethodConfig')
        return request.method in values
    if kind == 'query-string':
        entries = (condition.get('QueryStringConfig') or {}).get('Values') or []
        return _query_matches(entries, request.query_pairs)
    if kind == 'source-ip':
        values, _regexes = _values(condition, 'SourceIpConfig')
        return _source_ip_matches(values, request.source_ip)
    raise RuleError('unknown condition field %r (known: %s)' % (kind, ', '.join(FIELDS)))


def is_default_rule(rule):
    return bool(rule.get('IsDefault')) or str(rule.get('Priority')) == DEFAULT_PRIORITY


def rule_matches(rule, request):
    """All conditions of ``rule`` match ``request`` (the default rule always does)."""
    if is_default_rule(rule):
        return True
    return all(condition_matches(c, request) for c in rule.get('Conditions') or [])


def ordered_rules(rules):
    """Non-default rules by ascending numeric priority, then the default rule(s)."""
    regular, default = [], []
    for rule in rules:
        if is_default_rule(rule):
            default.append(rule)
            continue
        try:
            int(rule.get('Priority'))
        except (TypeError, ValueError) as exc:
            raise RuleError('rule %s has a priority that is not a number: %r'
                            % (rule.get('RuleArn'), rule.get('Priority'))) from exc
        regular.append(rule)
    return sorted(regular, key=lambda r: int(r['Priority'])) + default


def _sorted_actions(actions):
    indexed = list(enumerate(actions or []))
    indexed.sort(key=lambda pair: (pair[1].get('Order', 50001), pair[0]))
    return tuple(action for _index, action in indexed)


def terminal_action(actions):
    """The action that answers (forward, fixed-response or redirect), last by Order."""
    ordered = _sorted_actions(actions)
    if not ordered:
        raise RuleError('rule has no action')
    last = ordered[-1]
    if last.get('Type') not in TERMINAL_ACTIONS:
        raise RuleError('last action is %r, not one of %s' % (last.get('Type'), ', '.join(TERMINAL_ACTIONS)))
    return last


def evaluate(rules, request, default_actions=None):
    """The Match for ``request`` on a listener with ``rules``.

    ``rules`` is describe_rules' ``Rules`` list; when it holds no default rule,
    ``default_actions`` (the listener's DefaultActions) answers last.
    """
    ordered = ordered_rules(rules)
    if not any(is_default_rule(r) for r in ordered):
        if default_actions is None:
            raise RuleError('no default rule and no default_actions for this listener')
        ordered.append({'Priority': DEFAULT_PRIORITY, 'IsDefault': True, 'Conditions': [],
                        'Actions': list(default_actions), 'RuleArn': None})
    for rule in ordered:
        if rule_matches(rule, request):
            actions = _sorted_actions(rule.get('Actions'))
            return Match(priority=str(rule.get('Priority')), rule_arn=rule.get('RuleArn'),
                         is_default=is_default_rule(rule), action=terminal_action(actions),
                         actions=actions, rule=rule)
    raise RuleError('no rule matched and the default rule is missing')  # unreachable: default matches


def target_group_name(arn):
    """``arn:...:targetgroup/NAME/ID`` -> ``NAME`` (the ARN itself if it is not one)."""
    if arn and ':targetgroup/' in arn:
        return arn.split(':targetgroup/', 1)[1].split('/', 1)[0]
    return arn


def forward_target_group(action):
    """The one target group a sandbox forward goes to, deterministically.

    The highest weight wins (the first on a tie); None when every weight is
    0, which a real ALB answers with 503.
    """
    groups = (action.get('ForwardConfig') or {}).get('TargetGroups') or []
    if not groups:
        return action.get('TargetGroupArn')
    best = None
    for group in groups:
        weight = group.get('Weight', 1)
        if weight > 0 and (best is None or weight > best[0]):
            best = (weight, group['TargetGroupArn'])
    return best[1] if best else None


def fixed_response(action):
    """(status, content type with charset, body bytes) of a fixed-response action."""
    config = action.get('FixedResponseConfig') or {}
    status = int(config.get('StatusCode', 200))
    content_type = config.get('ContentType') or 'text/plain'
    body = (config.get('MessageBody') or '').encode('utf-8')
    return status, '%s; charset=utf-8' % content_type, body


def redirect_location(action, request, protocol, port):
    """(status, Location) of a redirect action for ``request`` on a listener.

    ``protocol``/``port`` are the listener's (``HTTP``, 80). Unset components
    keep the request's: ``#{protocol}``, ``#{host}``, ``#{port}``, ``/#{path}``,
    ``#{query}``; the port is always written, as ALB does.
    """
    config = action.get('RedirectConfig') or {}
    keys = {
        '#{protocol}': protocol.lower(),
        '#{host}': request.host or '',
        '#{port}': str(port),
        '#{path}': request.path.lstrip('/'),
        '#{query}': request.query,
    }

    def fill(template):
        for key, value in keys.items():
            template = template.replace(key, value)
        return template

    scheme = fill(config.get('Protocol') or '#{protocol}').lower()
    host = fill(config.get('Host') or '#{host}')
    out_port = fill(config.get('Port') or '#{port}')
    path = fill(config.get('Path') or '/#{path}')
    if not path.startswith('/'):
        path = '/' + path
    query = fill(config.get('Query') if config.get('Query') is not None else '#{query}')
    status_code = config.get('StatusCode') or 'HTTP_302'
    try:
        status = int(status_code.replace('HTTP_', ''))
    except ValueError as exc:
        raise RuleError('redirect StatusCode %r is not HTTP_301 or HTTP_302' % status_code) from exc
    location = '%s://%s:%s%s' % (scheme, host, out_port, path)
    if query:
        location += '?' + query
    return status, location
