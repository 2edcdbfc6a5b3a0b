# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What each visitor of a host gets: the variants of a sorry_pages entry in
front of its default page (pure).

A variant is one more sorry rule for the entry's hosts, placed before the
entry's default sorry rule, in this order:

1. ``api``: the JSON body for the API's paths (``sorry_api[name].paths``);
2. ``json``: the JSON body for ``Accept: application/json*`` (API clients);
3. one per other page of ``languages``: an ``Accept-Language`` condition on
   the visitor's first preference (``ja*`` matches ``ja,en-US;q=0.9`` and
   ``ja-JP``, not ``en-US,en;q=0.9,ja;q=0.8``: the header starts with the
   first preference; the ALB matches case-insensitively).

Both drivers build their rules from these (the ALB driver's rule sets,
the Ingress driver's paths), so they cannot disagree. The JSON body is built
here too (``api_page``), from the reason, the end and the status page.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import re

from ansible.module_utils.six import string_types

from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_BODY_CHARS
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_CONDITION_VALUES
from ansible_collections.sorrypage.aws.plugins.module_utils._budget import count_chars

API_PAGE = 'api.json'           # page names come from *.html files: this one cannot clash
JSON_CONTENT_TYPE = 'application/json'
HTML_CONTENT_TYPE = 'text/html'
ACCEPT_JSON = 'application/json*'
DEFAULT_MESSAGE = 'This service is down for maintenance. Please try again later.'
MARKER_LENGTH = 10
ELLIPSIS = u'\u2026'

_RANGE_RE = re.compile(r'^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$')
_NAME_RE = re.compile(r'^[a-z0-9][a-z0-9-]{0,11}$')
_RESERVED = ('api', 'json')


def _marker(text):
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:MARKER_LENGTH]


def _json_body(message, until, status_url, marker):
    doc = [('status', 503), ('error', 'maintenance'), ('message', message), ('until', until or None),
           ('status_url', status_url or None)]
    if marker is not None:
        doc.append(('ref', marker))
    return '{%s}' % ','.join('%s:%s' % (json.dumps(key), json.dumps(value, ensure_ascii=False)) for key, value in doc)


def api_page(reason, until='', status_url='', max_chars=MAX_BODY_CHARS):
    """The JSON 503 body API clients get, as a rendered page:
    ``{body, marker, chars, room, content_type, shortened}``.

    ``{"status":503,"error":"maintenance","message":...,"until":...,"status_url":...,"ref":<marker>}``;
    ``until`` and ``status_url`` are null when not given; ``ref`` is the
    body's build marker (how our rules are recognised on the ALB). A reason
    that does not fit the ALB's 1024 characters is shortened with an ellipsis,
    as the HTML pages' is.
    """
    message = (reason or '').strip() or DEFAULT_MESSAGE
    shortened = False

    def build(text):
        draft = _json_body(text, until, status_url, '0' * MARKER_LENGTH)
        marker = _marker(draft)
        return _json_body(text, until, status_url, marker), marker

    body, marker = build(message)
    if count_chars(body) > max_chars:
        shortened = True
        low, high = 0, len(message)
        best = None
        while low <= high:
            mid = (low + high) // 2
            candidate = build(message[:mid].rstrip() + ELLIPSIS)
            if count_chars(candidate[0]) <= max_chars:
                best = candidate
                low = mid + 1
            else:
                high = mid - 1
        if best is None:
            raise ValueError('the JSON body for API clients does not fit the ALB\'s %d characters even without its '
                             'message: shorten sorry_until or sorry_status_url' % max_chars)
        body, marker = best
    chars = count_chars(body)
    return dict(body=body, marker=marker, chars=chars, room=max_chars - chars, content_type=JSON_CONTENT_TYPE,
                shortened=shortened)


def api_pages(api, reason, until='', status_url=''):
    """The rendered pages to add for sorry_api: ``{API_PAGE: api_page(...)}``, or ``{}`` when no entry has an API."""
    if not api:
        return {}
    return {API_PAGE: api_page(reason, until, status_url)}


def _api_problems(api, names):
    if api is None or api == {}:
        return {}, []
    if not isinstance(api, dict):
        return {}, ['sorry_api must be a dict of sorry_pages entry name to {paths, accept_json}, got %s'
                    % type(api).__name__]
    problems = []
    out = {}
    for name in sorted(api, key=str):
        conf = api[name]
        label = 'sorry_api[%s]' % name
        if name not in names:
            problems.append('%s: no sorry_pages entry is named %s (entries: %s)' % (label, name, ', '.join(names) or 'none'))
            continue
        if conf is None:
            conf = {}
        if not isinstance(conf, dict):
            problems.append('%s must be a dict with paths and/or accept_json, got %s' % (label, type(conf).__name__))
            continue
        unknown = sorted(set(conf) - set(['paths', 'accept_json']))
        if unknown:
            problems.append('%s: unknown key %s (known: paths, accept_json)' % (label, ', '.join(unknown)))
        paths = conf.get('paths') or []
        if isinstance(paths, string_types) or not isinstance(paths, (list, tuple)):
            problems.append('%s.paths must be a list of path patterns such as /api/*' % label)
            paths = []
        for path in paths:
            if not isinstance(path, string_types) or not path.startswith('/') or len(path) > 128:
                problems.append("%s.paths: '%s' is not a path pattern (it starts with / and has at most 128 "
                                'characters)' % (label, path))
        accept = conf.get('accept_json', True)
        if not isinstance(accept, bool):
            text = ('%s' % accept).strip().lower()
            if text in ('true', 'yes', 'on', '1'):
                accept = True
            elif text in ('false', 'no', 'off', '0'):
                accept = False
            else:
                problems.append('%s.accept_json must be true or false, got %r' % (label, accept))
                accept = False
        if not paths and not accept:
            problems.append('%s has neither paths nor accept_json: API clients would get the HTML page' % label)
        out[name] = dict(paths=list(paths), accept_json=accept)
    return out, problems


def _language_variants(label, entry, taken):
    """(variants, problems) of one entry's ``languages`` ({range: page name})."""
    languages = entry.get('languages')
    if languages is None or languages == {}:
        return [], []
    if not isinstance(languages, dict):
        return [], ['%s.languages must be a dict of language to page, e.g. {ja: ja, en: en}, got %s'
                    % (label, type(languages).__name__)]
    problems = []
    by_page = []
    for lang in languages:
        page = languages[lang]
        lang_text = '%s' % lang
        if not _RANGE_RE.match(lang_text):
            problems.append("%s.languages: '%s' is not a language tag such as ja, en or pt-BR" % (label, lang_text))
            continue
        if not page or not isinstance(page, string_types):
            problems.append('%s.languages[%s] must name a page (e.g. ja for ja.html.j2)' % (label, lang_text))
            continue
        if page == entry.get('page'):
            continue    # the default page already answers it
        for item in by_page:
            if item[0] == page:
                item[1].append(lang_text.lower() + '*')
                break
        else:
            by_page.append((page, [lang_text.lower() + '*']))
    variants = []
    for number, (page, values) in enumerate(by_page):
        name = page.lower() if _NAME_RE.match(page.lower()) else ''
        count = number
        while not name or name in taken:
            count += 1
            name = 'lang%d' % count
        taken.append(name)
        variants.append(dict(name=name, page=page, path_patterns=['/*'], content_type=HTML_CONTENT_TYPE,
                             http_headers=[dict(name='Accept-Language', values=values)]))
    return variants, problems


def _check_values(label, hosts, variant):
    values = len(hosts) + len(variant['path_patterns']) + sum(len(h['values']) for h in variant['http_headers'])
    if values <= MAX_CONDITION_VALUES:
        return []
    what = ('%d hosts + %d paths' % (len(hosts), len(variant['path_patterns'])) if variant['name'] == 'api' else
            '%d hosts + 1 path + %d header values' % (len(hosts), values - len(hosts) - 1))
    return ["%s: the %s rule would have %d condition values (%s); the ALB allows at most %d per rule: split the "
            "hosts into several sorry_pages entries%s" % (label, variant['name'], values, what, MAX_CONDITION_VALUES,
                                                          '' if variant['name'] in _RESERVED else
                                                          ' or map fewer languages to the page')]


def site_variants(pages, api=None):
    """The variants of every sorry_pages entry: ``[[variant, ...] per entry]``, in rule order.

    A variant: ``{name, page, path_patterns, http_headers: [{name, values}],
    content_type}``; ``page`` names a rendered page (``API_PAGE`` for the
    JSON). Raises ValueError naming every problem of ``languages`` and
    ``sorry_api`` (unknown entries, bad tags or paths, over the ALB's 5
    condition values per rule).
    """
    pages = pages if isinstance(pages, (list, tuple)) else []
    names = [entry.get('name') for entry in pages if isinstance(entry, dict)]
    api_conf, problems = _api_problems(api, names)
    out = []
    for index, entry in enumerate(pages):
        if not isinstance(entry, dict):
            out.append([])
            continue
        label = 'sorry_pages[%d] (%s)' % (index, entry.get('name'))
        hosts = list(entry.get('hosts') or [])
        variants = []
        conf = api_conf.get(entry.get('name'))
        if conf and conf['paths']:
            variants.append(dict(name='api', page=API_PAGE, path_patterns=list(conf['paths']),
                                 content_type=JSON_CONTENT_TYPE, http_headers=[]))
        if conf and conf['accept_json']:
            variants.append(dict(name='json', page=API_PAGE, path_patterns=['/*'], content_type=JSON_CONTENT_TYPE,
                                 http_headers=[dict(name='Accept', values=[ACCEPT_JSON])]))
        languages, language_problems = _language_variants(label, entry, list(_RESERVED))
        problems.extend(language_problems)
        variants.extend(languages)
        for variant in variants:
            problems.extend(_check_values(label, hosts, variant))
        out.append(variants)
    if problems:
        raise ValueError('; '.join(problems))
    return out


def pages_used(pages):
    """Every page name the entries use (their default and their languages' pages), each once, in order."""
    found = []
    for entry in pages if isinstance(pages, (list, tuple)) else []:
        if not isinstance(entry, dict):
            continue
        names = [entry.get('page')]
        languages = entry.get('languages')
        if isinstance(languages, dict):
            names.extend(languages[lang] for lang in languages)
        for name in names:
            if name and isinstance(name, string_types) and name not in found:
                found.append(name)
    return found


def markers_used(pages, rendered_pages, api=None):
    """The build markers of every page the site puts on (HTML pages of every language, the JSON one), each once."""
    rendered_pages = rendered_pages if isinstance(rendered_pages, dict) else {}
    names = pages_used(pages)
    if api:
        names.append(API_PAGE)
    found = []
    for name in names:
        page = rendered_pages.get(name)
        marker = page.get('marker') if isinstance(page, dict) else None
        if marker and marker not in found:
            found.append(marker)
    return found
