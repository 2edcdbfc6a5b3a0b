# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired listener rules and their comparison with the listener's rules (pure).

Conditions and actions are built in the shape CreateRule/ModifyRule take.
Comparison goes through a canonical form, so the legacy ``Values`` the API
echoes beside ``HostHeaderConfig``, the ``TargetGroupArn`` it echoes beside a
one-group ``ForwardConfig``, value order and host-name case never count as a
difference.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import ipaddress
import json

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_CONDITION_VALUES
from ansible_collections.sorrypage.aws.plugins.module_utils._tags import digest

MASK = '********'
AUTH_ACTIONS = ('authenticate-oidc', 'authenticate-cognito')
_CONFIG_KEY = {
    'host-header': 'HostHeaderConfig',
    'path-pattern': 'PathPatternConfig',
    'source-ip': 'SourceIpConfig',
    'http-header': 'HttpHeaderConfig',
    'http-request-method': 'HttpRequestMethodConfig',
    'query-string': 'QueryStringConfig',
}
_REDIRECT_DEFAULTS = {'Protocol': '#{protocol}', 'Port': '#{port}', 'Host': '#{host}', 'Path': '/#{path}', 'Query': '#{query}'}


# mirror: auto infers one target when the listener's routing leaves no doubt, and mirrors otherwise.
AUTO = 'auto'

DEFAULT_STATUS = {'sorry': 503, 'preview': 200}
DEFAULT_PATHS = {'sorry': ['/*']}


class RuleError(Exception):
    pass


# ---------------------------------------------------------------- values

def dedupe(values):
    """The values in their first order, without repeats (the ALB rejects duplicates)."""
    seen = set()
    out = []
    for value in values or []:
        if value not in seen:
            seen.add(value)
            out.append(value)
    return out


def normalise_cidr(value):
    """A CIDR (or a bare address, taken as /32 or /128) in its canonical text form.

    Raises ValueError with a message naming the value.
    """
    text = str(value).strip()
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError("source_ips: '%s' is not an IPv4 or IPv6 CIDR" % text)
        raise ValueError("source_ips: '%s' has host bits set (the network is %s)" % (text, loose))
    return str(network)


def chunk_size(base_values):
    """How many values of a bypass condition fit beside ``base_values`` others."""
    return MAX_CONDITION_VALUES - base_values


def split_values(values, size):
    return [values[i:i + size] for i in range(0, len(values), size)] if size > 0 else []


# ---------------------------------------------------------------- the input

def mirror_mode(value):
    """The mirror option as True, False or 'auto' (None, the default, is False).

    Booleans come as YAML or Jinja gives them (true, 'yes', 'False', 1, ...).
    Raises ValueError with a message naming the option and what it takes.
    """
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() == AUTO:
        return AUTO
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise ValueError("mirror is '%s'; use true, false or auto" % value)


def build_spec(params):
    """The validated module params as the set of rules they describe."""
    kind = params.get('kind') or 'sorry'
    paths = dedupe(params.get('path_patterns'))
    if not paths and kind in DEFAULT_PATHS:
        paths = list(DEFAULT_PATHS[kind])
    status = params.get('status_code')
    if status is None:
        status = DEFAULT_STATUS.get(kind)
    return dict(
        kind=kind,
        name=params.get('name') or kind,
        hosts=dedupe(params.get('host_headers')),
        paths=paths,
        cidrs=dedupe([normalise_cidr(c) for c in params.get('source_ips') or []]),
        headers=[(h['name'], dedupe(h['values'])) for h in params.get('http_headers') or []],
        # ANDed on every rule of a bypass (the secret origin header of a CloudFront distribution in front)
        required=[(h['name'], dedupe(h['values'])) for h in params.get('required_headers') or []],
        content=params.get('content'),
        content_type=params.get('content_type') or 'text/html',
        status_code=status,
        target_group_arn=params.get('target_group_arn'),
        mirror=mirror_mode(params.get('mirror')),
    )


# ---------------------------------------------------------------- shapes

def host_condition(values):
    return {'Field': 'host-header', 'HostHeaderConfig': {'Values': list(values)}}


def path_condition(values):
    return {'Field': 'path-pattern', 'PathPatternConfig': {'Values': list(values)}}


def source_ip_condition(values):
    return {'Field': 'source-ip', 'SourceIpConfig': {'Values': list(values)}}


def header_condition(name, values):
    return {'Field': 'http-header', 'HttpHeaderConfig': {'HttpHeaderName': name, 'Values': list(values)}}


def fixed_response(status_code, content_type, body):
    return {'Type': 'fixed-response',
            'FixedResponseConfig': {'StatusCode': str(status_code), 'ContentType': content_type, 'MessageBody': body}}


def forward(target_group_arn):
    return {'Type': 'forward', 'TargetGroupArn': target_group_arn}


def condition_values(condition):
    """The values a condition counts towards the 5-per-rule limit."""
    field = condition.get('Field')
    config = condition.get(_CONFIG_KEY.get(field, ''), None)
    if config is not None and 'Values' in config:
        return list(config['Values'])
    return list(condition.get('Values') or [])


def write_condition(condition):
    """A condition as DescribeRules gives it, in the shape CreateRule takes."""
    field = condition['Field']
    key = _CONFIG_KEY.get(field)
    if key and key in condition:
        return {'Field': field, key: copy.deepcopy(condition[key])}
    if field == 'host-header':
        return host_condition(condition.get('Values') or [])
    if field == 'path-pattern':
        return path_condition(condition.get('Values') or [])
    return copy.deepcopy(condition)


def write_action(action):
    """An action as DescribeRules gives it, in the shape CreateRule takes."""
    out = copy.deepcopy(action)
    if out.get('Type') == 'forward' and out.get('ForwardConfig', {}).get('TargetGroups'):
        out.pop('TargetGroupArn', None)
    return out


# ---------------------------------------------------------------- canonical form

def _canonical_condition(condition):
    field = condition.get('Field')
    values = condition_values(condition)
    if field == 'host-header':
        return [field, sorted(v.lower() for v in values)]
    if field == 'source-ip':
        canonical = []
        for value in values:
            try:
                canonical.append(normalise_cidr(value))
            except ValueError:
                canonical.append(value)
        return [field, sorted(canonical)]
    if field == 'http-header':
        config = condition.get('HttpHeaderConfig') or {}
        return [field, (config.get('HttpHeaderName') or '').lower(), sorted(config.get('Values') or [])]
    if field == 'query-string':
        pairs = (condition.get('QueryStringConfig') or {}).get('Values') or []
        return [field, sorted([p.get('Key') or '', p.get('Value') or ''] for p in pairs)]
    return [field, sorted(values)]


def _forward_groups(action):
    config = action.get('ForwardConfig') or {}
    groups = config.get('TargetGroups') or []
    if groups:
        return sorted([g['TargetGroupArn'], g.get('Weight', 1) if g.get('Weight') is not None else 1] for g in groups)
    if action.get('TargetGroupArn'):
        return [[action['TargetGroupArn'], 1]]
    return []


def _canonical_action(action):
    kind = action.get('Type')
    if kind == 'forward':
        sticky = (action.get('ForwardConfig') or {}).get('TargetGroupStickinessConfig') or {}
        return [kind, _forward_groups(action), sticky.get('DurationSeconds') if sticky.get('Enabled') else False]
    if kind == 'fixed-response':
        config = action.get('FixedResponseConfig') or {}
        return [kind, str(config.get('StatusCode')), config.get('ContentType') or '', config.get('MessageBody') or '']
    if kind == 'redirect':
        config = dict(_REDIRECT_DEFAULTS)
        config.update(action.get('RedirectConfig') or {})
        return [kind, sorted(config.items())]
    rest = dict((k, v) for k, v in action.items() if k not in ('Type', 'Order'))
    return [kind, json.dumps(rest, sort_keys=True, default=str)]


def canonical(conditions, actions):
    ordered = sorted(enumerate(actions or []), key=lambda ia: (ia[1].get('Order', ia[0] + 1), ia[0]))
    return {
        'conditions': sorted((_canonical_condition(c) for c in conditions or []), key=json.dumps),
        'actions': [_canonical_action(a) for _i, a in ordered],
    }


def rule_hash(conditions, actions):
    return digest(canonical(conditions, actions))


def same_rule(conditions_a, actions_a, conditions_b, actions_b):
    return canonical(conditions_a, actions_a) == canonical(conditions_b, actions_b)


def host_specific(conditions):
    return any(c.get('Field') == 'host-header' for c in conditions or [])


# How narrow a sorry rule is, narrowest first: a path of its own (API paths), the content type the client asks for
# (Accept), another header (a language), the page for everybody else.
NARROW_PATH, NARROW_ACCEPT, NARROW_HEADER, NARROW_NONE = 0, 1, 2, 3


def narrowness(conditions):
    """How narrow a rule is (NARROW_*), so that of one host's sorry rules the narrower go first: an API client
    gets the JSON, a Japanese visitor the Japanese page, everybody else the page."""
    found = NARROW_NONE
    for condition in conditions or []:
        field = condition.get('Field')
        if field == 'path-pattern' and any(value != '/*' for value in condition_values(condition)):
            found = min(found, NARROW_PATH)
        elif field == 'http-header':
            name = ((condition.get('HttpHeaderConfig') or {}).get('HttpHeaderName') or '').lower()
            found = min(found, NARROW_ACCEPT if name == 'accept' else NARROW_HEADER)
    return found


# ---------------------------------------------------------------- bypass target

def _terminal(actions):
    ordered = sorted(enumerate(actions or []), key=lambda ia: (ia[1].get('Order', ia[0] + 1), ia[0]))
    return ordered[-1][1] if ordered else {}


def _is_catch_all(rule, hosts):
    fields = {}
    for condition in rule['conditions']:
        fields.setdefault(condition['Field'], []).append(condition)
    if set(fields) - set(['host-header', 'path-pattern']):
        return False
    if any(len(found) > 1 for found in fields.values()):
        return False
    if 'path-pattern' in fields and condition_values(fields['path-pattern'][0]) != ['/*']:
        return False
    rule_hosts = set(v.lower() for v in condition_values(fields['host-header'][0])) if 'host-header' in fields else set()
    return rule_hosts == set(h.lower() for h in hosts)


def _hosts_label(hosts):
    return 'host_headers %s' % ', '.join(hosts) if hosts else 'any host'


def _inference(hosts, foreign_rules, default_actions):
    """(target group ARN, source, None), or (None, None, why no single target)."""
    what = _hosts_label(hosts)
    for rule in foreign_rules:
        action = _terminal(rule['actions'])
        if action.get('Type') != 'forward' or not _is_catch_all(rule, hosts):
            continue
        groups = _forward_groups(action)
        if len(groups) != 1:
            return None, None, 'the catch-all rule %s for %s forwards to %d target groups' % (rule['arn'], what, len(groups))
        return groups[0][0], 'rule:%s' % rule['arn'], None
    default = _terminal(default_actions)
    if default.get('Type') == 'forward':
        groups = _forward_groups(default)
        if len(groups) == 1:
            return groups[0][0], 'default_action', None
        return None, None, 'the default action forwards to %d target groups' % len(groups)
    seen = dedupe(g[0] for r in foreign_rules for g in _forward_groups(_terminal(r['actions'])))
    if len(seen) > 1:
        return None, None, ('there is no catch-all (/*) forward rule for %s and the listener forwards to several '
                            'target groups (%s)' % (what, ', '.join(seen)))
    return None, None, ('there is no catch-all (/*) forward rule for %s and the default action is %s, not a forward'
                        % (what, summarise_actions(default_actions).get('type')))


def infer_target(hosts, foreign_rules, default_actions):
    """(target group ARN, source) for a bypass without target_group_arn.

    The first foreign catch-all (``/*``) forward rule for exactly these host
    headers, else the default action. Raises RuleError when that is ambiguous
    (several target groups) or finds nothing.
    """
    target, source, problem = _inference(hosts, foreign_rules, default_actions)
    if problem:
        raise RuleError('cannot infer the bypass target: %s; give target_group_arn, or use mirror: true (or auto) to '
                        'keep the application\'s own routing' % problem)
    return target, source


def _applies_to_hosts(conditions, hosts):
    """Whether a rule can match a request for one of ``hosts`` (lower case; empty: any host), as _mirror decides."""
    if not hosts:
        return True
    values = set(v.lower() for c in conditions if c.get('Field') == 'host-header' for v in condition_values(c))
    return not values or bool(values & hosts)


def routed_target_groups(hosts, foreign_rules, default_actions):
    """The target groups the listener forwards requests for ``hosts`` to, in rule order, the default's last."""
    wanted = set(h.lower() for h in hosts)
    actions = [r['actions'] for r in foreign_rules if _applies_to_hosts(r['conditions'], wanted)]
    actions.append(default_actions)
    return dedupe(g[0] for a in actions for g in _forward_groups(_terminal(a)))


def auto_mirror_reason(hosts, foreign_rules, default_actions):
    """Why mirror: auto mirrors on this listener, or None when one target group takes every bypassed request.

    One target is unambiguous only when every rule that can match these hosts,
    and the default action, forward to that same group: otherwise forwarding
    bypassed users to one group would break the application's path routing.
    """
    groups = routed_target_groups(hosts, foreign_rules, default_actions)
    if len(groups) > 1:
        return 'the listener routes %sto %d target groups' % ('%s ' % ', '.join(hosts) if hosts else '', len(groups))
    return _inference(hosts, foreign_rules, default_actions)[2]


# ---------------------------------------------------------------- desired rules

def _alternatives(spec, room):
    """The bypass conditions, one rule's worth each: CIDRs and each header's values
    in chunks of ``room``. [None] for a bypass by path alone."""
    chunks = [source_ip_condition(chunk) for chunk in split_values(spec['cidrs'], room)]
    for name, values in spec['headers']:
        chunks += [header_condition(name, chunk) for chunk in split_values(values, room)]
    return chunks or [None]


def _base_conditions(spec):
    base = []
    if spec['hosts']:
        base.append(host_condition(spec['hosts']))
    if spec['paths']:
        base.append(path_condition(spec['paths']))
    return base


def _required_conditions(spec):
    """The conditions every rule of a bypass carries besides its alternative (a distribution's origin header)."""
    return [header_condition(name, values) for name, values in spec.get('required') or []]


def _mirror(spec, foreign_rules, default_actions):
    hosts = set(h.lower() for h in spec['hosts'])
    copies = []
    sources = [(rule, rule['conditions'], rule['actions']) for rule in foreign_rules]
    sources.append((None, [], default_actions))
    for rule, conditions, actions in sources:
        where = 'rule %s (priority %s)' % (rule['arn'], rule['priority']) if rule else 'the default action'
        for action in actions:
            if action.get('Type') in AUTH_ACTIONS:
                raise RuleError('cannot mirror %s: its %s action cannot be copied (DescribeRules does not return '
                                'the client secret); give target_group_arn instead' % (where, action['Type']))
        written = [write_condition(c) for c in conditions]
        if hosts:
            host = [c for c in written if c['Field'] == 'host-header']
            if host:
                keep = [v for v in condition_values(host[0]) if v.lower() in hosts]
                if not keep:
                    continue
                host[0]['HostHeaderConfig'] = {'Values': keep}
            else:
                written.insert(0, host_condition(spec['hosts']))
        fields = [c['Field'] for c in written]
        if spec['cidrs'] and 'source-ip' in fields:
            raise RuleError('cannot mirror %s: it already has a source-ip condition and a rule takes only one' % where)
        names = set(((c.get('HttpHeaderConfig') or {}).get('HttpHeaderName') or '').lower() for c in written)
        for name, _values in spec['headers']:
            if name.lower() in names:
                raise RuleError('cannot mirror %s: it already has an http-header condition on %s' % (where, name))
        required = _required_conditions(spec)
        for name, _values in spec.get('required') or []:
            if name.lower() in names:
                raise RuleError('cannot mirror %s: it already has an http-header condition on %s' % (where, name))
        used = sum(len(condition_values(c)) for c in written + required)
        room = chunk_size(used)
        if room <= 0:
            raise RuleError('cannot mirror %s: its conditions already use %d of the %d condition values a rule may have, '
                            'leaving none for the bypass condition' % (where, used, MAX_CONDITION_VALUES))
        for alternative in _alternatives(spec, room):
            copies.append({'conditions': written + [alternative] + required, 'actions': [write_action(a) for a in actions],
                           'source': rule['arn'] if rule else 'default'})
    return copies


def desired_rules(spec, foreign_rules, default_actions):
    """The rules this set should be, in part order: (rules, target_group_source).

    A bypass goes to target_group_arn; else with mirror True to owned copies of
    the foreign rules; else with mirror 'auto' to those copies when
    auto_mirror_reason gives a reason (the source then says it), else to the
    one target infer_target finds.

    foreign_rules: the listener's rules this collection does not own, in
    priority order, as dicts with arn, priority, conditions, actions.
    Raises RuleError (nothing has been changed yet).
    """
    kind = spec['kind']
    base = _base_conditions(spec)
    if kind in ('sorry', 'preview'):
        conditions = list(base)
        if spec['cidrs']:
            conditions.append(source_ip_condition(spec['cidrs']))
        for name, values in spec['headers']:
            conditions.append(header_condition(name, values))
        action = fixed_response(spec['status_code'], spec['content_type'], spec['content'] or '')
        return [{'conditions': conditions, 'actions': [action]}], None
    if spec['mirror'] is True:
        return _mirror(spec, foreign_rules, default_actions), 'mirror'
    why = None
    if spec['mirror'] == AUTO and not spec['target_group_arn']:
        why = auto_mirror_reason(spec['hosts'], foreign_rules, default_actions)
    if why:
        try:
            return _mirror(spec, foreign_rules, default_actions), 'mirror (auto: %s)' % why
        except RuleError as e:
            raise RuleError('%s (mirror: auto mirrors here because %s)' % (e, why))
    if spec['target_group_arn']:
        target, source = spec['target_group_arn'], 'parameter'
    else:
        target, source = infer_target(spec['hosts'], foreign_rules, default_actions)
    required = _required_conditions(spec)
    used = sum(len(condition_values(c)) for c in base + required)
    rules = []
    for alternative in _alternatives(spec, chunk_size(used)):
        conditions = base + ([alternative] if alternative else []) + required
        rules.append({'conditions': conditions, 'actions': [forward(target)]})
    return rules, source


# ---------------------------------------------------------------- what is returned

def mask_conditions(conditions):
    """Conditions with every http-header value replaced by a mask (they are secrets)."""
    out = copy.deepcopy(conditions or [])
    for condition in out:
        if condition.get('Field') == 'http-header':
            config = condition.get('HttpHeaderConfig') or {}
            config['Values'] = [MASK for _v in config.get('Values') or []]
            if 'Values' in condition:
                condition['Values'] = [MASK for _v in condition['Values']]
    return out


def public_rule(arn, priority, conditions, actions, tags):
    """An owned rule as the module returns it: snake_case, header values masked."""
    return {
        'arn': arn,
        'priority': priority,
        'conditions': [camel_dict_to_snake_dict(c) for c in mask_conditions([write_condition(c) for c in conditions])],
        'actions': [camel_dict_to_snake_dict(write_action(a)) for a in actions],
        'tags': dict(tags or {}),
    }


def summarise_actions(actions):
    """The terminal action in a few fields, for status output."""
    action = _terminal(actions)
    kind = action.get('Type')
    summary = {'type': kind}
    if kind == 'forward':
        summary['target_groups'] = [g[0] for g in _forward_groups(action)]
    elif kind == 'fixed-response':
        config = action.get('FixedResponseConfig') or {}
        summary.update(status_code=str(config.get('StatusCode')), content_type=config.get('ContentType'),
                       body_chars=len(config.get('MessageBody') or ''))
    elif kind == 'redirect':
        config = dict(_REDIRECT_DEFAULTS)
        config.update(action.get('RedirectConfig') or {})
        summary.update(status_code=config.get('StatusCode'), url='%s://%s:%s%s?%s' % (
            config['Protocol'], config['Host'], config['Port'], config['Path'], config['Query']))
    authenticate = [a.get('Type') for a in actions or [] if a.get('Type') in AUTH_ACTIONS]
    if authenticate:
        summary['authenticate'] = authenticate[0]
    return summary


def fixed_body(actions):
    action = _terminal(actions)
    if action.get('Type') != 'fixed-response':
        return None
    return (action.get('FixedResponseConfig') or {}).get('MessageBody') or ''
