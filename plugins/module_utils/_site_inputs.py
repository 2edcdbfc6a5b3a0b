# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The runbook inputs in the words of alb_sorry_site and alb_sorry_rule: the
rule sets of a site, the bypass headers, the informational tags and the
preview plan (pure; the filters of plugins/filter/rule_sets.py expose them).

Every check runs before anything is built, so a bad input stops the run
before the first write. Header values are secrets: no message names them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sorrypage.aws.plugins.module_utils import _variants
from ansible_collections.sorrypage.aws.plugins.module_utils import _viewer_address
from ansible_collections.sorrypage.aws.plugins.module_utils._rules import AUTO
from ansible_collections.sorrypage.aws.plugins.module_utils._rules import mirror_mode

NO_BYPASS = 'no bypass (sorry_bypass_cidrs, sorry_bypass_headers): internal users get the Sorry page too'


def _flag(value, what, allow_auto=False):
    """A bool from a bool or a YAML/Jinja-ish string; 'auto' kept when allowed (the modules' own reading)."""
    try:
        flag = mirror_mode(value)
    except ValueError:
        flag = None
    if flag is None or (flag == AUTO and not allow_auto):
        raise ValueError('%s must be true, false%s, got %r' % (what, ' or auto' if allow_auto else '', value))
    return flag


def _page_problems(pages, rendered_pages):
    """Every problem of sorry_pages / sorry_rendered_pages, in one list."""
    if not isinstance(pages, (list, tuple)):
        return ['sorry_pages must be a list of {name, page, hosts}, got %s' % type(pages).__name__]
    if not isinstance(rendered_pages, dict):
        return ['sorry_rendered_pages must be a dict of page name to rendered page, got %s'
                % type(rendered_pages).__name__]
    problems = []
    for index, entry in enumerate(pages):
        if not isinstance(entry, dict):
            problems.append('sorry_pages[%d] must be a dict with name and page, got %s' % (index, type(entry).__name__))
            continue
        for key in ('name', 'page'):
            if not entry.get(key):
                problems.append('sorry_pages[%d] has no %s%s' % (
                    index, key, ' (name %s)' % entry['name'] if key == 'page' and entry.get('name') else ''))
    if problems:
        return problems
    names = [entry['name'] for entry in pages]
    repeated = _unique([name for name in names if names.count(name) > 1])
    if repeated:
        problems.append('sorry_pages names must be unique, got %s (%s more than once)'
                        % (', '.join(names), ', '.join(repeated)))
    missing = _unique([page for page in _variants.pages_used(pages) if page not in rendered_pages])
    if missing:
        problems.append('no rendered page for %s (sorry_rendered_pages has %s)'
                        % (', '.join(missing), ', '.join(rendered_pages) or 'none'))
    return problems


def _unique(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _sorry_set(name, hosts, page_name, page, variant=None):
    page = page if isinstance(page, dict) else {}
    one = {'kind': 'sorry', 'name': name, 'host_headers': list(hosts), 'content': page.get('body') or '',
           'tags': {'sorrypage:page': page_name, 'sorrypage:marker': page.get('marker') or ''}}
    if variant:
        one.update(path_patterns=list(variant['path_patterns']), content_type=variant['content_type'],
                   match_headers=[dict(h) for h in variant['http_headers']])
    return one


def viewer_values(bypass_cidrs, bypass_viewer_header=False, origin_header_name=''):
    """The office CIDRs as CloudFront-Viewer-Address values, when the bypass is matched on that header (behind
    CloudFront); [] otherwise. Raises ValueError when a CIDR cannot be written so, or the origin header is missing
    (without it anyone reaching the ALB directly could send a forged viewer address)."""
    if not _flag(bypass_viewer_header, 'sorry_bypass_viewer_header') or not bypass_cidrs:
        return []
    if not origin_header_name:
        raise ValueError('sorry_bypass_viewer_header needs sorry_cloudfront_origin_header ({name, value}: the secret '
                         'custom header the distribution adds to every request to the ALB); without it anyone who '
                         'reaches the ALB directly could forge CloudFront-Viewer-Address and bypass the page')
    return _viewer_address.viewer_address_values(list(bypass_cidrs), label='sorry_bypass_cidrs')


def site_rule_sets(pages, rendered_pages, bypass_cidrs=(), bypass_header_names=(), bypass_target_group_arn='',
                   bypass_mirror=False, passthrough_paths=(), api=None, bypass_viewer_header=False,
                   origin_header_name=''):
    """The rule sets of one alb_sorry_site run (its rule_sets option).

    Passthrough sets first (one per page entry, for its hosts, so the target
    group is inferred from that product's catch-all rule: a path condition
    cannot be added to mirrored copies that have their own), then the bypass
    set (only when there is a CIDR or a header; with ``bypass_viewer_header``
    the CIDRs go into a set ``bypass-viewer`` of CloudFront-Viewer-Address
    values, each rule also requiring the distribution's origin header), then per page entry its
    variants (``_variants``: the JSON ones of ``api`` (sorry_api), one per
    other language, each named ``<entry>-<variant>``) and its default sorry
    set. Raises ValueError naming every problem of the inputs.
    """
    rendered_pages = {} if rendered_pages is None else rendered_pages
    pages = [] if pages is None else pages
    problems = _page_problems(pages, rendered_pages)
    variants = []
    try:
        variants = _variants.site_variants(pages, api)
    except ValueError as exc:
        problems.append(str(exc))
    if api and not problems and _variants.API_PAGE not in rendered_pages:
        problems.append('sorry_api is set but the JSON page (%s) was not built: add sorry_api_pages to the rendered '
                        'pages' % _variants.API_PAGE)
    mirror = None
    try:
        mirror = _flag(bypass_mirror, 'sorry_bypass_mirror', allow_auto=True)
    except ValueError as exc:
        problems.append(str(exc))
    viewer = []
    try:
        viewer = viewer_values(bypass_cidrs, bypass_viewer_header, origin_header_name)
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise ValueError('; '.join(problems))

    cidrs = [] if viewer else list(bypass_cidrs or [])
    by_header = len(bypass_header_names or []) > 0
    arn = bypass_target_group_arn or None
    sets = []
    for entry in pages if passthrough_paths else []:
        sets.append({'kind': 'bypass', 'name': 'passthrough-%s' % entry['name'], 'host_headers': list(entry.get('hosts') or []),
                     'path_patterns': list(passthrough_paths), 'source_ips': [], 'use_http_headers': False,
                     'mirror': False, 'target_group_arn': arn})
    if mirror == 'auto' and arn:
        # A target group given says where to go: nothing left to decide.
        mirror = False
    if cidrs or by_header:
        sets.append({'kind': 'bypass', 'name': 'bypass', 'host_headers': [], 'path_patterns': [], 'source_ips': cidrs,
                     'use_http_headers': by_header, 'mirror': mirror,
                     'target_group_arn': None if mirror else arn})
    if viewer:
        sets.append({'kind': 'bypass', 'name': 'bypass-viewer', 'host_headers': [], 'path_patterns': [],
                     'source_ips': [], 'use_http_headers': False, 'mirror': mirror,
                     'target_group_arn': None if mirror else arn, 'use_origin_header': True,
                     'match_headers': [{'name': _viewer_address.VIEWER_ADDRESS_HEADER, 'values': viewer}]})
    for entry, entry_variants in zip(pages, variants):
        hosts = entry.get('hosts') or []
        for variant in entry_variants:
            sets.append(_sorry_set('%s-%s' % (entry['name'], variant['name']), hosts, variant['page'],
                                   rendered_pages[variant['page']], variant))
        sets.append(_sorry_set(entry['name'], hosts, entry['page'], rendered_pages[entry['page']]))
    names = [one['name'] for one in sets if one['kind'] == 'sorry']
    clash = _unique([name for name in names if names.count(name) > 1])
    if clash:
        raise ValueError('the rule names %s are given twice: a sorry_pages entry is named like the language or API '
                         'rule of another (<entry>-<page>, <entry>-api, <entry>-json); rename it' % ', '.join(clash))
    return sets


def http_headers(bypass_headers):
    """sorry_bypass_headers ([{name, value}]) as alb_sorry_site takes them: one
    {name, values} per header name, by name, values in the order given."""
    if not isinstance(bypass_headers, (list, tuple)):
        if bypass_headers is None:
            return []
        raise ValueError('sorry_bypass_headers must be a list of {name, value}, got %s' % type(bypass_headers).__name__)
    problems = []
    groups = {}
    for index, header in enumerate(bypass_headers):
        if not isinstance(header, dict):
            problems.append('sorry_bypass_headers[%d] must be a dict with name and value' % index)
            continue
        name = header.get('name')
        if not name:
            problems.append('sorry_bypass_headers[%d] has no name' % index)
            continue
        if header.get('value') is None or header.get('value') == '':
            problems.append('sorry_bypass_headers[%d] (%s) has no value' % (index, name))
            continue
        groups.setdefault(name, []).append(header['value'])
    if problems:
        raise ValueError('; '.join(problems))
    return [{'name': name, 'values': groups[name]} for name in sorted(groups)]


def input_warnings(bypass_cidrs, bypass_headers):
    """Remarks on the inputs that do not stop the switch."""
    if bypass_cidrs or bypass_headers:
        return []
    return [NO_BYPASS]


def info_tags(operator, reason, until, extra=None):
    """Who / why / until for the rules' informational tags (empty ones left
    out), with ``extra`` over them. The start time (sorrypage:at) is the
    module's: it keeps the one of the rules already on."""
    tags = {}
    for key, value in (('sorrypage:by', operator), ('sorrypage:why', reason), ('sorrypage:until', until)):
        if value:
            tags[key] = value
    tags.update(extra or {})
    return tags


def _listeners(info):
    return list((info or {}).get('listeners') or [])


def _controller_managed(info):
    return _flag(((info or {}).get('load_balancer') or {}).get('controller_managed'), 'controller_managed')


def preview_plan(info, pages, preview_path, listener_ports=(), make_room='auto'):
    """What to do with the preview rules, one item per listener and rule:
    {port, protocol, listener_arn, name, page, hosts, state, make_room}.

    ``make_room`` is sorry_make_room: ``auto`` makes room only on an ALB the
    controller manages, so never for a preview (there is none there).

    ``info`` is an alb_sorry_info result. With ``listener_ports`` its
    listeners are the ones asked for; without, the redirect-only ones get no
    preview. Preview rules are wanted (one per page entry) only when a path
    is given and no controller manages the ALB (it would delete them); owned
    preview rules of any listener that are not wanted are removed.
    """
    listeners = _listeners(info)
    if not listener_ports:
        listeners = [listener for listener in listeners if not listener.get('redirect_only')]
    wanted = list(pages or []) if preview_path and not _controller_managed(info) else []
    wanted_names = ['preview-%s' % entry['name'] for entry in wanted]
    room = _flag(make_room, 'sorry_make_room', allow_auto=True)
    room = _controller_managed(info) if room == AUTO else room
    plan = []
    for listener in listeners:
        for entry in wanted:
            plan.append({'port': listener['port'], 'protocol': listener['protocol'], 'listener_arn': listener['arn'],
                         'name': 'preview-%s' % entry['name'], 'page': entry['page'],
                         'hosts': list(entry.get('hosts') or []), 'state': 'present', 'make_room': room})
    for listener in _listeners(info):
        owned = _unique([rule['name'] for rule in listener.get('owned_rules') or [] if rule.get('kind') == 'preview'])
        for name in owned:
            if name not in wanted_names:
                plan.append({'port': listener['port'], 'protocol': listener['protocol'],
                             'listener_arn': listener['arn'], 'name': name, 'page': '', 'hosts': [], 'state': 'absent',
                             'make_room': False})
    return plan


def preview_report(info, plan, preview_path):
    """The operator's lines about the preview rules of ``plan``."""
    balancer = (info or {}).get('load_balancer') or {}
    if preview_path and _controller_managed(info):
        return ['no preview: %s is managed by the AWS Load Balancer Controller (cluster %s), which deletes rules it did '
                'not create, so a preview rule put on the ALB directly would last only until its next reconcile; with the '
                'controller running the Ingress driver installs the preview through the Ingress (sorry_driver auto or '
                'ingress), or look at the built page under the preview/ prefix of the assets bucket'
                % (balancer.get('name') or '?', balancer.get('cluster_name') or '?')]
    if not plan:
        return ['preview rules: none']
    path = preview_path or '-'
    return ['preview rule %s %s %s %s (path %s)' % (item['name'], item['state'], item['protocol'], item['port'], path)
            for item in plan]


def stale_sets(site, rule_sets):
    """The bypass and sorry sets this collection owns on the site that ``rule_sets`` no longer want: [{kind, name}],
    sorry first. A rerun of ``on`` with a language, an API path, a passthrough path or a bypass taken out leaves
    them otherwise (a stale bypass still lets people through). ``site``: alb_sorry_site's ``site`` (or
    alb_sorry_info's result); the controller's rules (made_by controller) are not ours to prune here."""
    wanted = set((one.get('kind') or 'sorry', one.get('name') or one.get('kind') or 'sorry') for one in rule_sets or [])
    found = []
    for listener in (site if isinstance(site, dict) else {}).get('listeners') or []:
        for rule in listener.get('owned_rules') or []:
            key = (rule.get('kind'), rule.get('name'))
            if (key[0] in ('sorry', 'bypass') and rule.get('made_by', 'sorrypage') == 'sorrypage'
                    and key not in wanted and key not in found):
                found.append(key)
    found.sort(key=lambda key: (0 if key[0] == 'sorry' else 1, key[1]))
    return [dict(kind=kind, name=name) for kind, name in found]
