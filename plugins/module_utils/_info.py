# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What alb_sorry_info reports about a site: its load balancer, listeners and
owned rules, built from what the ELBv2 reads returned (pure)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.sorrypage.aws.plugins.module_utils import _plan
from ansible_collections.sorrypage.aws.plugins.module_utils import _rules
from ansible_collections.sorrypage.aws.plugins.module_utils import _tags

CLUSTER_TAG = 'elbv2.k8s.aws/cluster'
INGRESS_TAG_PREFIX = 'ingress.k8s.aws/'


def controller_managed(tags):
    """The load balancer carries the AWS Load Balancer Controller's tags."""
    return CLUSTER_TAG in (tags or {}) or any(k.startswith(INGRESS_TAG_PREFIX) for k in tags or {})


def load_balancer_summary(balancer, tags):
    tags = dict(tags or {})
    managed = controller_managed(tags)
    return dict(
        arn=balancer['LoadBalancerArn'],
        name=balancer['LoadBalancerName'],
        dns_name=balancer.get('DNSName'),
        scheme=balancer.get('Scheme'),
        ip_address_type=balancer.get('IpAddressType'),
        tags=tags,
        controller_managed=managed,
        cluster_name=tags.get(CLUSTER_TAG),
    )


MADE_BY_US = 'sorrypage'
MADE_BY_CONTROLLER = 'controller'
MARKER_TAG = 'sorrypage:marker'
BYPASS_FIELDS = ('source-ip', 'http-header')


def _reported_rule(rule, kind, name, part, tags, drift, made_by):
    """A rule as owned_rules reports it: http-header values masked (they are secrets)."""
    body = _rules.fixed_body(rule['actions'])
    summary = _rules.summarise_actions(rule['actions'])
    return dict(
        arn=rule['arn'],
        priority=rule['priority'],
        name=name,
        kind=kind,
        part=part,
        made_by=made_by,
        tags=tags,
        conditions=[camel_dict_to_snake_dict(c) for c in _rules.mask_conditions(
            [_rules.write_condition(c) for c in rule['conditions']])],
        action=summary,
        body_chars=len(body) if body is not None else None,
        status_code=int(summary['status_code']) if summary.get('type') == 'fixed-response' else None,
        drift=drift,
    )


def _owned_rule(rule):
    kind, name, part = rule['owner']
    return _reported_rule(rule, kind, name, part, dict(rule['tags']), _plan.drift_of(rule) is not None, MADE_BY_US)


def _host_values(conditions):
    """The host-header values of a rule, lower case (ALB matches hosts without regard to case)."""
    return _rules.dedupe(v.lower() for c in conditions or [] if c.get('Field') == 'host-header'
                         for v in _rules.condition_values(c))


def _path_values(conditions):
    return _rules.dedupe(v for c in conditions or [] if c.get('Field') == 'path-pattern'
                         for v in _rules.condition_values(c))


def _matches(host, patterns):
    """Whether a request for ``host`` can match a host-header condition of ``patterns`` (wildcards * and ?)."""
    return any(fnmatch.fnmatchcase(host, pattern) for pattern in patterns)


def _catch_all(conditions):
    """A rule nothing after it can reach for its hosts: only host and path conditions, the path (if any) /*."""
    fields = set(c.get('Field') for c in conditions or [])
    if fields - set(['host-header', 'path-pattern']):
        return False
    return 'path-pattern' not in fields or '/*' in _path_values(conditions)


def _fixed_content_type(actions):
    """The content type of a fixed-response terminal action ('' otherwise): the preview is HTML, API clients' JSON."""
    action = _rules._terminal(actions)
    return (action.get('FixedResponseConfig') or {}).get('ContentType') or ''


def _preview_path(conditions):
    """A rule on paths of its own: exact paths (no wildcard), no other condition than hosts (the always-on preview).
    A marker page behind a header condition or a path pattern is a variant of the Sorry page (a language, API
    clients), not a preview."""
    fields = set(c.get('Field') for c in conditions or [])
    paths = _path_values(conditions)
    return (not fields - set(['host-header', 'path-pattern']) and bool(paths)
            and not any('*' in p or '?' in p for p in paths))


def _forward_targets(actions):
    """[(arn, weight)] of a forward terminal action (weight None for a forward to one group), else []."""
    action = _rules._terminal(actions)
    if action.get('Type') != 'forward':
        return []
    groups = _rules._forward_groups(action)
    if len(groups) == 1:
        return [(groups[0][0], None)]
    weights = dict((g['TargetGroupArn'], g.get('Weight'))
                   for g in (action.get('ForwardConfig') or {}).get('TargetGroups') or [])
    # in the rule's own order, not _forward_groups' sorted one
    order = [g['TargetGroupArn'] for g in (action.get('ForwardConfig') or {}).get('TargetGroups') or []]
    return [(arn, 1 if weights.get(arn) is None else weights[arn]) for arn in _rules.dedupe(order)]


def _route(host, rules, default_actions):
    """The target groups requests for ``host`` (None: a host no rule names) can reach, in priority order."""
    found = []
    by_arn = {}
    for rule in rules:
        hosts = _host_values(rule['conditions'])
        if hosts and (host is None or not _matches(host, hosts)):
            continue
        paths = _path_values(rule['conditions'])
        for arn, weight in _forward_targets(rule['actions']):
            if arn not in by_arn:
                by_arn[arn] = dict(arn=arn, weight=weight, paths=list(paths))
                found.append(by_arn[arn])
            elif not paths or not by_arn[arn]['paths']:
                by_arn[arn]['paths'] = []
            else:
                by_arn[arn]['paths'] = _rules.dedupe(by_arn[arn]['paths'] + paths)
        if _catch_all(rule['conditions']):
            return found
    for arn, weight in _forward_targets(default_actions):
        if arn not in by_arn:
            by_arn[arn] = dict(arn=arn, weight=weight, paths=[])
            found.append(by_arn[arn])
        else:
            by_arn[arn]['paths'] = []
    return found


def routes(foreign_rules, default_actions):
    """Where a listener sends requests, host by host, as the application's own rules have it.

    ``foreign_rules``: the listener's rules not owned by this collection (as
    read_listener records); ``default_actions``: its default actions.

    Returns a list of ``{host, target_groups}``: one per host named by a
    host-header condition of a forward rule (lower case, wildcards kept as
    written), in priority order, then ``host: None`` (any other host) when a
    rule without host condition or the default action forwards. Each host's
    ``target_groups`` are those its requests can be forwarded to - its own
    rules and the rules without host condition, up to the first catch-all
    (``/*`` or no path), then the default action - in priority order, each
    ``{arn, weight, paths}``: ``weight`` the group's weight in a forward to
    several groups (None in a forward to one), ``paths`` the path-pattern
    values of the rules sending there ([] = every path). Rules that redirect
    or answer fixed responses send nowhere and are left out.
    """
    rules = sorted(foreign_rules or [], key=lambda r: r['priority'])
    forwarding = [r for r in rules if _forward_targets(r['actions'])]
    hosts = _rules.dedupe(h for r in forwarding for h in _host_values(r['conditions']))
    out = []
    for host in hosts:
        target_groups = _route(host, rules, default_actions)
        if target_groups:
            out.append(dict(host=host, target_groups=target_groups))
    if _forward_targets(default_actions) or any(not _host_values(r['conditions']) for r in forwarding):
        target_groups = _route(None, rules, default_actions)
        if target_groups:
            out.append(dict(host=None, target_groups=target_groups))
    return out


def _marker_in(actions, markers):
    """The first of ``markers`` the fixed-response body of ``actions`` holds, else None."""
    body = _rules.fixed_body(actions)
    if not body:
        return None
    return next((marker for marker in markers if marker in body), None)


def _hosts_overlap(hosts_a, hosts_b):
    """Whether a request can match both host lists ([]: any host); a wildcard is checked against the other's values."""
    if not hosts_a or not hosts_b:
        return True
    return any(a == b or fnmatch.fnmatchcase(a, b) or fnmatch.fnmatchcase(b, a) for a in hosts_a for b in hosts_b)


def _bypasses(rule, sorry_rules):
    """A forward with a source-ip or http-header condition in front of a sorry rule for some of the same hosts."""
    if _rules.summarise_actions(rule['actions']).get('type') != 'forward':
        return False
    if not set(c.get('Field') for c in rule['conditions'] or []) & set(BYPASS_FIELDS):
        return False
    hosts = _host_values(rule['conditions'])
    return any(sorry['priority'] > rule['priority'] and _hosts_overlap(hosts, _host_values(sorry['conditions']))
               for sorry in sorry_rules)


def controller_rules(foreign_rules, markers):
    """The rules the AWS Load Balancer Controller made from the Ingress driver's edit, recognised without our tags.

    ``foreign_rules``: a listener's rules not owned by this collection (as
    read_listener records); ``markers``: the Sorry pages' build markers (empty
    ones ignored; none: nothing is recognised).

    Returns ``[(rule, kind, marker)]`` by priority: kind ``sorry`` for a rule
    whose terminal action is a fixed response whose body holds a marker
    (``marker``: the first of ``markers`` found) and that takes every path of
    its hosts (path ``/*`` or none), or that is one of its variants (a header
    condition or a path pattern: a language, API clients); kind ``preview``
    for such a fixed response on an exact path of its own (the Ingress
    driver's always-on preview, which is not the Sorry page being on); kind ``bypass`` (``marker``
    None) for a rule in front of such a sorry rule (lower priority number)
    whose terminal action is a forward, with a source-ip or http-header
    condition, whose host-header values overlap the sorry rule's (or either
    has no host-header condition).
    """
    markers = [m for m in markers or [] if m]
    if not markers:
        return []
    rules = sorted(foreign_rules or [], key=lambda r: r['priority'])
    found = dict((r['arn'], _marker_in(r['actions'], markers)) for r in rules)
    sorry_rules = [r for r in rules if found[r['arn']] and _catch_all(r['conditions'])]
    out = []
    for rule in rules:
        if found[rule['arn']]:
            preview = (rule not in sorry_rules and _preview_path(rule['conditions'])
                       and _fixed_content_type(rule['actions']) != 'application/json')
            out.append((rule, 'preview' if preview else 'sorry', found[rule['arn']]))
        elif _bypasses(rule, sorry_rules):
            out.append((rule, 'bypass', None))
    return out


def _controller_name(rule, kind):
    """A name that survives the controller renumbering its rules: from the hosts, not the priority (and for a
    variant of the page, what else it matches; a bypass's header values are secrets, never in a name)."""
    hosts = _host_values(rule['conditions'])
    name = 'ingress-%s' % (','.join(hosts) if hosts else 'any-host')
    if kind != 'sorry' or _catch_all(rule['conditions']):
        return name
    # a variant of the page (a language, API clients): what it matches besides the host
    extra = [','.join(_rules.condition_values(c)) for c in rule['conditions'] if c.get('Field') != 'host-header']
    return '%s %s' % (name, ' '.join(extra))


def _controller_rule(rule, kind, marker):
    tags = dict(rule['tags'])
    if marker:
        # The controller keeps no tag of ours on its rules; readers of the marker tag find it here.
        tags[MARKER_TAG] = marker
    return _reported_rule(rule, kind, _controller_name(rule, kind), None, tags, False, MADE_BY_CONTROLLER)


def listener_summary(listener, rules, default_actions, markers=None):
    """listener: a DescribeListeners entry; rules: its non-default rules as
    read_listener records (arn, priority, conditions, actions, tags);
    markers: the Sorry pages' build markers, to recognise the controller's
    sorry and bypass rules (see controller_rules): reported in owned_rules
    (made_by controller), left out of moved_rules and routes."""
    owned, foreign = _plan.classify(rules)
    recognised = controller_rules(foreign, markers)
    taken = set(r['arn'] for r, _kind, _marker in recognised)
    foreign = [r for r in foreign if r['arn'] not in taken]
    reported = [_owned_rule(r) for r in owned] + [_controller_rule(r, kind, marker) for r, kind, marker in recognised]
    default = _rules.summarise_actions(default_actions)
    forwards = any(_rules.summarise_actions(r['actions']).get('type') == 'forward' for r in rules)
    return dict(
        arn=listener['ListenerArn'],
        port=listener['Port'],
        protocol=listener.get('Protocol'),
        redirect_only=default.get('type') == 'redirect' and not forwards,
        default_action=default,
        rule_count=len(rules),
        owned_rules=sorted(reported, key=lambda r: r['priority']),
        moved_rules=[dict(arn=r['arn'], priority=r['priority'],
                          original_priority=r['priority'] - _tags.parse_shift(r['tags'], r['priority']))
                     for r in foreign if _tags.parse_shift(r['tags'], r['priority'])],
        # Records of rules already back where they came from (an off cut short after the restore, or a move that
        # was refused): nothing to move, only the tags to remove, which off does.
        stale_shift_records=sorted(r['arn'] for r in foreign
                                   if _tags.SHIFT in r['tags'] and not _tags.parse_shift(r['tags'], r['priority'])),
        routes=routes(foreign, default_actions),
    )


def in_maintenance(listeners):
    return any(rule['kind'] == 'sorry' for listener in listeners for rule in listener['owned_rules'])
