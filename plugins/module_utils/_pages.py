# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Build Sorry pages: find them in src, render, rewrite their asset
references, minify, mark and fit them in the budget.

The parts live in their own files (``_html_refs``, ``_assets``, ``_minify``,
``_until``, ``_budget``); this one puts them together. Pure: reads files
under ``src`` and returns data; no network, no AWS. The ``on`` step calls
this at switch time, so it must work when S3 is down: fingerprints come from
the files in ``src`` alone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import re

try:
    import jinja2
    HAS_JINJA2 = True
except ImportError:
    jinja2 = None
    HAS_JINJA2 = False

from ansible_collections.sorrypage.aws.plugins.module_utils import _minify
from ansible_collections.sorrypage.aws.plugins.module_utils._assets import AssetSet
from ansible_collections.sorrypage.aws.plugins.module_utils._budget import DEFAULT_MAX_CHARS
from ansible_collections.sorrypage.aws.plugins.module_utils._budget import count_chars
from ansible_collections.sorrypage.aws.plugins.module_utils._budget import over_budget_message
from ansible_collections.sorrypage.aws.plugins.module_utils._budget import page_parts
from ansible_collections.sorrypage.aws.plugins.module_utils._until import format_until
from ansible_collections.sorrypage.aws.plugins.module_utils._until import page_zone
from ansible_collections.sorrypage.aws.plugins.module_utils._until import parse_until

PAGE_SUFFIXES = ('.html.j2', '.html')
PREVIEW_DIR = 'preview/'
ELLIPSIS = u'\u2026'
# Stands in for the marker while a page is built; the marker is a hash of
# the body built with it, so it covers every input (template, vars, asset
# fingerprints, public_url, minifier).
MARKER_PLACEHOLDER = 'sorrypageBUILDMARKERsorrypage'
MARKER_LENGTH = 10


class PageError(Exception):
    """A page cannot be built; the message says which and why."""


_LANG_RE = re.compile(r'<html\b[^>]*?\slang\s*=\s*["\']?([A-Za-z][A-Za-z0-9-]*)', re.I)


def page_lang(source, name):
    """The page's language: <html lang> in its source, else its name ('ja', 'en-gb')."""
    match = _LANG_RE.search(source)
    if match:
        return match.group(1)
    return re.split(r'[._]', name)[0]


def page_name(filename):
    for suffix in PAGE_SUFFIXES:
        if filename.endswith(suffix) and len(filename) > len(suffix):
            return filename[:-len(suffix)]
    return None


def discover_pages(src):
    """{page name: file name} for the pages at the top of src."""
    if not os.path.isdir(src):
        raise PageError('src %s is not a directory' % src)
    found = {}
    for filename in sorted(os.listdir(src)):
        name = page_name(filename)
        if name is None or not os.path.isfile(os.path.join(src, filename)):
            continue
        if name in found:
            raise PageError('page %r is defined twice in %s: %s and %s' % (name, src, found[name], filename))
        found[name] = filename
    return found


def select_pages(available, wanted):
    if not wanted:
        if not available:
            raise PageError('no pages (*.html, *.html.j2) at the top of src')
        return sorted(available)
    selected = []
    missing = []
    for item in wanted:
        name = page_name(item) or item
        if name in available:
            if name not in selected:
                selected.append(name)
        else:
            missing.append(item)
    if missing:
        raise PageError('pages not found in src: %s (available: %s)' % (', '.join(missing), ', '.join(sorted(available)) or 'none'))
    return selected


def make_marker(body):
    return hashlib.sha256(body.encode('utf-8')).hexdigest()[:MARKER_LENGTH]


class PageBuilder:
    """Builds pages from src; collects warnings."""

    def __init__(self, src, public_url=None, minify=True, max_chars=DEFAULT_MAX_CHARS):
        if not HAS_JINJA2:
            raise PageError('the jinja2 Python library is required')
        if minify and not _minify.HAS_MINIFY_HTML:
            raise PageError(_minify.MISSING_LIBRARY)
        self.src = src
        self.public_url = public_url or None
        self.minify = minify
        self.max_chars = max_chars
        self.assets = AssetSet(src, self.public_url, minify)
        self.warnings = []
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(src), autoescape=True,
                                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)

    def context(self, name, lang, variables):
        ctx = dict(variables)
        try:
            tz_name = page_zone(lang, ctx.get('tz'))
        except ValueError as exc:
            raise PageError(str(exc))
        until_iso = ''
        until = ctx.get('until')
        if until not in (None, ''):
            moment, warning = parse_until(until)
            if warning:
                self.warnings.append('page %r: %s' % (name, warning))
            if moment is None:
                until = str(until)
            else:
                until, until_iso = format_until(moment, lang, tz_name)
        ctx.update({'until': until or '', 'until_iso': until_iso, 'tz': tz_name, 'lang': lang,
                    'page': name, 'marker': MARKER_PLACEHOLDER})
        return ctx

    def render(self, name, filename, source, ctx):
        """One page, final: rendered, references rewritten, minified, marked."""
        if filename.endswith('.j2'):
            try:
                html = self.env.get_template(filename).render(ctx)
            except jinja2.TemplateError as exc:
                line = getattr(exc, 'lineno', None)
                raise PageError('page %r (%s%s): template error: %s' % (
                    name, filename, ', line %d' % line if line else '', exc))
        else:
            html = source
        errors = []
        html = self.assets.rewrite_html(html, filename, errors)
        if errors:
            raise PageError('page %r: %s' % (name, '; '.join(errors)))
        if self.minify:
            html = _minify.minify_page(html)
        marker = make_marker(html)
        if MARKER_PLACEHOLDER in html:
            html = html.replace(MARKER_PLACEHOLDER, marker)
        else:
            html = '%s<!--%s-->' % (html, marker)
        return html, marker

    def build(self, name, filename, variables, shorten_var=None):
        path = os.path.join(self.src, filename)
        with open(path, 'rb') as handle:
            try:
                source = handle.read().decode('utf-8-sig')
            except UnicodeDecodeError:
                raise PageError('page %r (%s): not UTF-8 text' % (name, filename))
        lang = page_lang(source, name)
        ctx = self.context(name, lang, variables)
        body, marker = self.render(name, filename, source, ctx)
        chars = count_chars(body)
        shortened = False
        if chars > self.max_chars:
            msg = over_budget_message(name, chars, self.max_chars, page_parts(body, self.assets.labels))
            value = ctx.get(shorten_var) if shorten_var else None
            if not value:
                raise PageError(msg)
            before = chars
            body, marker, kept = self._shorten(name, filename, source, ctx, shorten_var, value, msg)
            chars = count_chars(body)
            shortened = True
            self.warnings.append(
                "page '%s' was %d characters, over the %d limit: template var '%s' was cut from %d to %d characters to fit" % (
                    name, before, self.max_chars, shorten_var, len(str(value)), kept))
        return {
            'body': body,
            'chars': chars,
            'bytes': len(body.encode('utf-8')),
            'room': self.max_chars - chars,
            'marker': marker,
            'shortened': shortened,
            'lang': lang,
            'tz': ctx['tz'],
            'src': filename,
            'preview_key': PREVIEW_DIR + name + '.html',
        }

    def _shorten(self, name, filename, source, ctx, var, value, over_budget):
        """Longest prefix of ``value`` (+ ellipsis) whose page fits, as
        (body, marker, length kept); PageError when even an ellipsis alone
        does not fit. Page size grows with the prefix, so a binary search
        finds it."""
        value = str(value)

        def attempt(length):
            cut = value[:length].rstrip() + ELLIPSIS if length else ELLIPSIS
            local = dict(ctx)
            local[var] = cut
            body, marker = self.render(name, filename, source, local)
            return body, marker, len(cut)

        low, high = 0, len(value) - 1
        best = None
        while low <= high:
            mid = (low + high) // 2
            body, marker, kept = attempt(mid)
            if count_chars(body) <= self.max_chars:
                best = (body, marker, kept)
                low = mid + 1
            else:
                high = mid - 1
        if best is None:
            raise PageError("%s; even with template var '%s' cut to nothing it does not fit" % (over_budget, var))
        return best[0], best[1], best[2]


def build_pages(src, pages=None, template_vars=None, page_vars=None, public_url=None,
                max_chars=DEFAULT_MAX_CHARS, minify=True, shorten_var=None):
    """Build every selected page. Returns {'pages': {name: info}, 'assets':
    [Asset, dependencies first], 'warnings': [...], 'minifier': name}.
    Raises PageError naming every page that cannot be built."""
    src = os.path.abspath(os.path.expanduser(src))
    available = discover_pages(src)
    selected = select_pages(available, pages)
    unknown = sorted(set(page_vars or {}) - set(available))
    if unknown:
        raise PageError('page_vars names pages not in src: %s' % ', '.join(unknown))
    builder = PageBuilder(src, public_url, minify, max_chars)
    built = {}
    errors = []
    for name in selected:
        variables = dict(template_vars or {})
        variables.update((page_vars or {}).get(name) or {})
        try:
            built[name] = builder.build(name, available[name], variables, shorten_var)
        except PageError as exc:
            errors.append(str(exc))
    if errors:
        raise PageError('; '.join(errors))
    assets = [builder.assets.assets[rel] for rel in builder.assets.order]
    if builder.assets.inline:
        assets = []
    return {'pages': built, 'assets': assets, 'warnings': builder.warnings,
            'minifier': _minify.NAME if minify else None}
