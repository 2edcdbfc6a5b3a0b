# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The runbook inputs in the words of ingress_sorry: its ``sets`` option,
with the bypass target groups read from the ALB (alb_sorry_info's
``routes``), pure.

The Ingress driver forwards the bypass of a host to one target group (or one
weighted forward): when the application routes a host's paths to several
target groups, the sets cannot be built and the caller falls back to the ALB
driver, which mirrors the application's rules for the bypass. Header values
are secrets: no message names them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import ipaddress
import re

from ansible_collections.sorrypage.aws.plugins.module_utils import _variants
from ansible_collections.sorrypage.aws.plugins.module_utils._site_inputs import _flag
from ansible_collections.sorrypage.aws.plugins.module_utils._site_inputs import _page_problems
from ansible_collections.sorrypage.aws.plugins.module_utils._site_inputs import http_headers
from ansible_collections.sorrypage.aws.plugins.module_utils._site_inputs import viewer_values

_VARIANT_RE = re.compile(r'^v[0-9]+$')
USE_ALB = "use the ALB driver (sorry_driver: alb), which mirrors the application's rules for the bypass"
FALLBACK = 'the Ingress driver forwards a bypass to one target group per host (or one weighted forward); ' + USE_ALB


def _label(index, entry):
    return 'sorry_pages[%d] (%s)' % (index, entry['name'])


def _host_label(host):
    return "host '%s'" % host if host else 'every host'


def _entries_for(host, listener_routes):
    """The target group entries ({arn, weight, paths}) requests for ``host`` (None: every host) reach on one listener."""
    if host is None:
        return [group for route in listener_routes for group in route['target_groups']]
    host = host.lower()
    exact = [route for route in listener_routes if route['host'] == host]
    if exact:
        return list(exact[0]['target_groups'])
    # No rule names the host: the rules of the host patterns it can match (or that match it), and of any host.
    found = []
    for route in listener_routes:
        named = route['host']
        if named is None or fnmatch.fnmatchcase(host, named) or fnmatch.fnmatchcase(named, host):
            found.extend(route['target_groups'])
    return found


def _describe(entries):
    parts = []
    for arn in _arns(entries):
        paths = []
        for entry in entries:
            if entry['arn'] == arn:
                paths.extend(p for p in entry['paths'] or ['every path'] if p not in paths)
        parts.append('%s for %s' % (arn, ', '.join(paths)))
    return '; '.join(parts)


def _groups_text(groups):
    return ', '.join('%s (weight %s)' % (g['arn'], g['weight']) if isinstance(g, dict) else g for g in groups)


def _arns(entries):
    out = []
    for entry in entries:
        if entry['arn'] not in out:
            out.append(entry['arn'])
    return out


def _one_forward(per_listener):
    """The target_groups of one forward taking every request of a host, or None when the host is path-routed.

    ``per_listener``: the host's entries on each listener that routes it.
    """
    entries = [entry for listener in per_listener for entry in listener]
    arns = _arns(entries)
    if len(arns) == 1:
        return [arns[0]]
    # Several groups are one weighted forward when, on every listener, they are the same weighted groups of the same
    # paths (one rule's forward to several groups).
    shapes = set()
    for listener in per_listener:
        if any(entry['weight'] is None for entry in listener):
            return None
        if len(set(tuple(entry['paths']) for entry in listener)) != 1:
            return None
        shapes.add(tuple(sorted((entry['arn'], entry['weight']) for entry in listener)))
    if len(shapes) != 1:
        return None
    first = per_listener[0]
    return [dict(arn=entry['arn'], weight=entry['weight']) for entry in first]


def _listener_routes(info):
    """[(port, routes)] of alb_sorry_info's listeners, and problems."""
    if not isinstance(info, dict) or not isinstance(info.get('listeners'), list):
        return [], ['the ALB read (alb_sorry_info) has no listeners: read the load balancer first']
    found = []
    problems = []
    for listener in info['listeners']:
        if not isinstance(listener.get('routes'), list):
            problems.append('listener %s of the ALB read has no routes: read it with alb_sorry_info of this collection '
                            'version' % listener.get('port'))
            continue
        found.append((listener.get('port'), listener['routes']))
    return found, problems


def _target_groups(label, hosts, listeners):
    """(target_groups, problems) of one sorry_pages entry."""
    problems = []
    by_host = []
    for host in hosts or [None]:
        per_listener = [entries for entries in (_entries_for(host, routes) for _port, routes in listeners) if entries]
        if not per_listener:
            problems.append('%s: no rule of the ALB forwards %s to a target group, so a bypass has nowhere to go; '
                            'check the hosts of the entry against the application\'s Ingress' % (label, _host_label(host)))
            continue
        groups = _one_forward(per_listener)
        if groups is None:
            entries = [entry for listener in per_listener for entry in listener]
            problems.append('%s: the ALB routes %s to %d target groups (%s); %s'
                            % (label, _host_label(host), len(_arns(entries)), _describe(entries), FALLBACK))
            continue
        by_host.append((host, groups))
    if problems:
        return [], problems
    distinct = []
    for _host, groups in by_host:
        if groups not in distinct:
            distinct.append(groups)
    if len(distinct) > 1:
        return [], ['%s: its hosts go to different target groups (%s); the bypass of one entry forwards to one target '
                    'group: give each host its own sorry_pages entry, or %s'
                    % (label, '; '.join('%s: %s' % (host, _groups_text(groups)) for host, groups in by_host), USE_ALB)]
    return distinct[0], []


def _variant_sets(entry_variants, rendered_pages):
    """The ``variants`` of one set: ``_variants``' with the body and marker of their page."""
    out = []
    for variant in entry_variants:
        page = rendered_pages[variant['page']]
        page = page if isinstance(page, dict) else {}
        one = dict(name=variant['name'], body=page.get('body') or '', content_type=variant['content_type'],
                   path_patterns=list(variant['path_patterns']), http_headers=[dict(h) for h in variant['http_headers']])
        if page.get('marker'):
            one['marker'] = page['marker']
        out.append(one)
    return out


def ingress_sets(info, pages, rendered_pages, bypass_cidrs, bypass_headers, allow_any_source=False, api=None,
                 bypass_viewer_header=False, origin_header=None):
    """The ``sets`` option of ingress_sorry: one set per sorry_pages entry.

    ``info``: alb_sorry_info's result (its ``listeners`` with ``routes``);
    ``pages``: sorry_pages ([{name, page, hosts}]); ``rendered_pages``: page
    name to {body, ...}; ``bypass_cidrs``: CIDRs; ``bypass_headers``:
    sorry_bypass_headers ([{name, value}]).

    Each set is ``{hosts, body, source_ips, allow_any_source, http_headers:
    [{name, values}], target_groups}``; target_groups is ``[arn]`` when the
    hosts' requests go to one target group, ``[{arn, weight}]`` when they go
    to one weighted forward, ``[]`` when there is no bypass; ``variants``
    (when the entry has languages or ``api``, sorry_api, names it): the
    variants of ``_variants.site_variants`` in rule order, each ``{name, body,
    content_type, path_patterns, http_headers, marker}``. With
    ``bypass_viewer_header`` (behind CloudFront) the CIDRs are
    ``viewer_values`` with the ``origin_header`` ({name, value}: a secret)
    instead of ``source_ips``. Raises
    ValueError naming every problem (the hosts and the target groups of a
    path-routed host), header values never shown. A page with a build
    marker gives its set a ``marker`` (ingress_sorry keeps it in its record).
    """
    rendered_pages = {} if rendered_pages is None else rendered_pages
    pages = [] if pages is None else pages
    problems = _page_problems(pages, rendered_pages)
    headers = []
    try:
        headers = http_headers(bypass_headers)
    except ValueError as exc:
        problems.append(str(exc))
    try:
        allow_any_source = _flag(allow_any_source, 'sorry_bypass_allow_any_source')
    except ValueError as exc:
        problems.append(str(exc))
    if bypass_cidrs is not None and not isinstance(bypass_cidrs, (list, tuple)):
        problems.append('sorry_bypass_cidrs must be a list of CIDRs, got %s' % type(bypass_cidrs).__name__)
    variants = []
    try:
        variants = _variants.site_variants(pages, api)
    except ValueError as exc:
        problems.append(str(exc))
    if api and not problems and _variants.API_PAGE not in rendered_pages:
        problems.append('sorry_api is set but the JSON page (%s) was not built' % _variants.API_PAGE)
    viewer = []
    try:
        viewer = viewer_values(bypass_cidrs, bypass_viewer_header, (origin_header or {}).get('name'))
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise ValueError('; '.join(problems))
    cidrs = list(bypass_cidrs or [])
    bypass = bool(cidrs or headers)
    listeners, problems = _listener_routes(info) if bypass else ([], [])
    sets = []
    for index, entry in enumerate(pages):
        hosts = [host.lower() for host in entry.get('hosts') or []]   # an Ingress takes hosts in lower case
        groups = []
        if bypass and listeners:
            groups, entry_problems = _target_groups(_label(index, entry), hosts, listeners)
            problems.extend(entry_problems)
        page = rendered_pages[entry['page']]
        page = page if isinstance(page, dict) else {}
        one = dict(hosts=hosts, body=page.get('body') or '', source_ips=[] if viewer else list(cidrs),
                   allow_any_source=allow_any_source, http_headers=[dict(h) for h in headers], target_groups=groups)
        if viewer:
            one.update(viewer_values=list(viewer), origin_header=dict(name=origin_header['name'],
                                                                      value=origin_header.get('value')))
        if page.get('marker'):
            one['marker'] = page['marker']
        if variants[index]:
            one['variants'] = _variant_sets(variants[index], rendered_pages)
        sets.append(one)
    if problems:
        raise ValueError('; '.join(problems))
    return sets


ANY_HOST = 'maintenance.invalid'


def _one_address(cidr):
    """An address inside ``cidr`` (the first host address, or the address of a /32 or /128)."""
    network = ipaddress.ip_network(u'%s' % cidr, strict=False)
    if network.num_addresses <= 2:
        return str(network.network_address)
    return str(next(network.hosts()))


def wait_inputs(sets, bypass_cidrs, bypass_headers, info=None):
    """What alb_sorry_wait evaluates after an Ingress change: ``{hosts, bypass_source_ip, bypass_header}``.

    ``sets``: ingress_sorry's sets; hosts are theirs, and for a set of every
    host the hosts the ALB routes (alb_sorry_info's ``routes``), or a host no
    rule names. The bypass request carries the first bypass header
    (``{name, value}``: pass it only to a no_log option), else comes from an
    address inside the first bypass CIDR; both None without a bypass.
    """
    hosts = []
    every_host = False
    for one in sets or []:
        if not one.get('hosts'):
            every_host = True
        hosts.extend(h for h in one.get('hosts') or [] if h not in hosts)
    if every_host:
        listeners, _problems = _listener_routes(info)
        for _port, routes in listeners:
            hosts.extend(r['host'] for r in routes if r.get('host') and '*' not in r['host'] and '?' not in r['host']
                         and r['host'] not in hosts)
        hosts.append(ANY_HOST)
    headers = http_headers(bypass_headers)
    header = dict(name=headers[0]['name'], value=headers[0]['values'][0]) if headers else None
    cidrs = list(bypass_cidrs or [])
    # behind CloudFront the office is matched on a header the wait cannot send (with the secret origin header)
    behind_cloudfront = any(one.get('viewer_values') for one in sets or [])
    source = _one_address(cidrs[0]) if cidrs and not header and not behind_cloudfront else None
    return dict(hosts=hosts, bypass_source_ip=source, bypass_header=header)


def record_hosts(ingress, info=None):
    """The hosts of our spec.rules entries in the records ingress_sorry returned (a rule of every host: the hosts
    the ALB routes, and one no rule names); [ANY_HOST] when there is no record."""
    ingress = ingress if isinstance(ingress, dict) else {}
    sets = []
    for record in (ingress.get('record') or {}).values():
        for rule in (record or {}).get('rules') or []:
            sets.append({'hosts': [rule['host']] if rule.get('host') else []})
    return wait_inputs(sets or [{'hosts': []}], [], [], info)['hosts']


def ingress_problem(info, pages, bypass_cidrs, bypass_headers, allow_any_source=False, passthrough_paths=None,
                    bypass_mirror='auto', bypass_target_group_arn='', api=None):
    """Why the Ingress driver cannot take the runbook inputs on this ALB ('' when it can), for the choice of driver,
    before the pages are built: inputs only the ALB driver has (passthrough paths, a mirrored bypass, a given bypass
    target group), a path-routed host, a host no rule forwards, a bad input."""
    only_alb = []
    if passthrough_paths:
        only_alb.append('sorry_passthrough_paths')
    if bypass_mirror is True or '%s' % bypass_mirror in ('True', 'true', 'yes'):
        only_alb.append('sorry_bypass_mirror=true')
    if bypass_target_group_arn:
        only_alb.append('sorry_bypass_target_group_arn')
    if only_alb:
        return '%s: only the ALB driver has %s' % (', '.join(only_alb), 'them' if len(only_alb) > 1 else 'it')
    pages = pages if isinstance(pages, list) else []
    placeholders = dict((name, {'body': ''}) for name in _variants.pages_used(pages) + [_variants.API_PAGE])
    try:
        ingress_sets(info, pages, placeholders, bypass_cidrs, bypass_headers, allow_any_source, api)
    except ValueError as exc:
        return str(exc)
    return ''


_BUDGET_KINDS = (('bypass', 'bypass', 'fewer bypass CIDRs or headers (5 values per rule)'),
                 ('variant', 'language and API', 'fewer languages (sorry_pages[].languages) or sorry_api paths'),
                 ('sorry', 'sorry', 'fewer hosts per entry (one rule per host)'))


def _path_kind(action_name):
    """The budget kind of one of our paths, by its action's name (<prefix>-h<N>-bypass<K> / -v<K> / -sorry)."""
    last = action_name.rsplit('-', 1)[-1]
    if last.startswith('bypass'):
        return 'bypass'
    return 'language and API' if _VARIANT_RE.match(last) else 'sorry'


def ingress_budget(info, sets, quota=None, reread=None):
    """The rules the load balancer holds once the controller has made ours, against the rules quota:
    ``{needed, quota, over_default, message}``; ``message`` is '' when they fit.

    ``info``: alb_sorry_info's read of every listener (their ``rule_count``;
    with ``markers``, our sorry and bypass rules the controller already made,
    ``owned_rules`` made_by controller, are not counted twice: a read without
    them over-counts a rerun, so the caller reads again with them before
    refusing); ``sets``: ingress_sorry's sets (their paths, as ``desired`` makes
    them, go on every listener that does not only redirect); ``quota``: the
    account's quota when read, else the default (100); ``reread``: the
    second read (alb_sorry_info with ``markers`` and ``rules_quota``), which
    wins over ``info`` and ``quota`` when it ran (a skipped task has no
    listeners).
    """
    if isinstance(reread, dict) and isinstance(reread.get('listeners'), list):
        info, quota = reread, reread.get('rules_quota')
    from ansible_collections.sorrypage.aws.plugins.module_utils import _ingress_plan   # pylint: disable=import-outside-toplevel
    listeners = [listener for listener in (info or {}).get('listeners') or [] if isinstance(listener, dict)]
    rules, _annotations = _ingress_plan.desired(sets)
    ours = {}
    for rule in rules:
        for path in rule['http']['paths']:
            kind = _path_kind(path['backend']['service']['name'])
            ours[kind] = ours.get(kind, 0) + 1
    switched = [listener for listener in listeners if not listener.get('redirect_only')]
    now = sum(int(listener.get('rule_count') or 0) for listener in listeners)
    made = sum(1 for listener in listeners for rule in listener.get('owned_rules') or []
               if rule.get('made_by') == 'controller' and rule.get('kind') in ('sorry', 'bypass'))
    per_listener = sum(ours.values())
    needed = now - made + per_listener * len(switched)
    limit = int(quota or _ingress_plan.DEFAULT_RULES_QUOTA)
    out = dict(needed=needed, quota=limit, over_default=needed > _ingress_plan.DEFAULT_RULES_QUOTA, message='')
    if needed <= limit:
        return out
    counts = ['%s %d' % (label, ours[label] * len(switched)) for _key, label, _drop in _BUDGET_KINDS if ours.get(label)]
    drops = [drop for _key, label, drop in _BUDGET_KINDS if ours.get(label)]
    out['message'] = ('the maintenance needs %d rules on the load balancer: over its quota of %d '
                      '(rules-per-application-load-balancer) by %d: ours %s on %d listener(s), and %d rules there now '
                      "(the controller's and others); to fit, drop %d: %s, or ask AWS to raise the quota"
                      % (needed, limit, needed - limit, ', '.join(counts), len(switched), now - made, needed - limit,
                         '; '.join(drops)))
    return out
