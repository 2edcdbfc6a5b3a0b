# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Build Sorry pages: render, rewrite asset references, fingerprint, minify, measure.

Pure: reads files under ``src`` and returns data; no network, no AWS. The
``on`` step calls this at switch time, so it must work when S3 is down:
fingerprints come from the files in ``src`` alone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import html as html_lib
import os
import posixpath
import re
from datetime import datetime, timezone
from urllib.parse import quote, unquote

try:
    from zoneinfo import ZoneInfo
except ImportError:  # Python < 3.9; the collection needs 3.9+
    ZoneInfo = None

try:
    import jinja2
    HAS_JINJA2 = True
except ImportError:
    jinja2 = None
    HAS_JINJA2 = False

try:
    import minify_html
    HAS_MINIFY_HTML = True
except ImportError:
    minify_html = None
    HAS_MINIFY_HTML = False


DEFAULT_MAX_CHARS = 1024
PAGE_SUFFIXES = ('.html.j2', '.html')
PREVIEW_DIR = 'preview/'
ELLIPSIS = u'\u2026'
# Stands in for the marker while a page is built; the marker is a hash of
# the body built with it, so it covers every input (template, vars, asset
# fingerprints, public_url, minifier).
MARKER_PLACEHOLDER = 'sorrypageBUILDMARKERsorrypage'
MARKER_LENGTH = 10
FINGERPRINT_LENGTH = 8
DEFAULT_TZ = {'ja': 'Asia/Tokyo'}

_EN_MONTHS = ('January', 'February', 'March', 'April', 'May', 'June', 'July',
              'August', 'September', 'October', 'November', 'December')
_JA_WEEKDAYS = u'\u6708\u706b\u6c34\u6728\u91d1\u571f\u65e5'  # Mon..Sun


class PageError(Exception):
    """A page cannot be built; the message says which and why."""


# ---------------------------------------------------------------- counting

def count_chars(text):
    """Characters as the ALB budget counts them.

    Every character counts 1 (a Japanese character is 1, not 3 as in UTF-8);
    a character outside the Basic Multilingual Plane (an emoji) counts 2, as
    a UTF-16 count would, so the estimate is never below the real count.
    """
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


# ---------------------------------------------------------------- HTML tokens

_ATTRS = r'''(?:\s*(?:[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?|/))*\s*'''
_TOKEN_RE = re.compile(
    r'(?P<comment><!--.*?-->)'
    r'|(?P<decl><![^>]*>)'
    r'|(?P<raw><(?P<rawname>script|style|textarea)(?=[\s/>])' + _ATTRS + r'>.*?</(?P=rawname)\s*>)'
    r'|(?P<start><[a-zA-Z][^\s/>]*' + _ATTRS + r'>)'
    r'|(?P<end></[a-zA-Z][^\s/>]*\s*>)',
    re.S | re.I)
_ATTR_RE = re.compile(r'''([^\s"'>/=]+)(?:(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'=<>`]+))?''')
_TAG_NAME_RE = re.compile(r'</?([a-zA-Z][^\s/>]*)')


def tokenize(html):
    """Split HTML into (kind, text) with kind text|comment|decl|raw|start|end."""
    pos = 0
    for match in _TOKEN_RE.finditer(html):
        if match.start() > pos:
            yield 'text', html[pos:match.start()]
        yield match.lastgroup if match.lastgroup != 'rawname' else 'raw', match.group(0)
        pos = match.end()
    if pos < len(html):
        yield 'text', html[pos:]


def tag_name(tag):
    match = _TAG_NAME_RE.match(tag)
    return match.group(1).lower() if match else ''


_START_TAG_RE = re.compile(r'<[a-zA-Z][^\s/>]*' + _ATTRS + '>')


def _split_raw(raw):
    """A raw element (script/style/textarea) as (start tag, content, end tag)."""
    start_end = _START_TAG_RE.match(raw).end()
    end_start = raw.rindex('</')
    return raw[:start_end], raw[start_end:end_start], raw[end_start:]


def parse_attrs(tag):
    """Attributes of a start tag as a list of (name, value or None)."""
    name_match = _TAG_NAME_RE.match(tag)
    body = tag[name_match.end():-1]
    attrs = []
    for match in _ATTR_RE.finditer(body):
        value = match.group(3)
        if value is not None:
            if value[:1] in ('"', "'"):
                value = value[1:-1]
            value = html_lib.unescape(value)
        attrs.append((match.group(1).lower(), value))
    return attrs


def _rewrite_attrs(tag, replace):
    """Rewrite attribute values in a start tag; ``replace(attr, value)`` returns
    the new (unescaped) value or None to keep the original text."""
    name_match = _TAG_NAME_RE.match(tag)
    head, body, tail = tag[:name_match.end()], tag[name_match.end():-1], '>'

    def sub(match):
        if match.group(3) is None:
            return match.group(0)
        value = match.group(3)
        if value[:1] in ('"', "'"):
            value = value[1:-1]
        new = replace(match.group(1).lower(), html_lib.unescape(value))
        if new is None:
            return match.group(0)
        return '%s%s"%s"' % (match.group(1), match.group(2), html_lib.escape(new, quote=True))

    return head + _ATTR_RE.sub(sub, body) + tail


# ---------------------------------------------------------------- references

_SCHEME_RE = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:')


def is_relative_ref(url):
    """True for a reference to a file in ``src``: not absolute (scheme or //),
    not a fragment, not empty, not a template leftover."""
    url = url.strip()
    return bool(url) and not _SCHEME_RE.match(url) and not url.startswith(('//', '#', '{', '\\'))


def split_ref(url):
    """'img/a.png?v=1#x' -> ('img/a.png', '?v=1#x')."""
    url = url.strip()
    cut = len(url)
    for sep in ('?', '#'):
        idx = url.find(sep)
        if idx != -1:
            cut = min(cut, idx)
    return url[:cut], url[cut:]


def resolve_ref(src, base_dir, path):
    """The src-relative POSIX path a reference names, or raise PageError.

    ``base_dir`` is the src-relative directory of the referencing file; a
    path starting with '/' is taken from the root of src (the application's
    own origin serves nothing during maintenance).
    """
    path = unquote(path)
    joined = path.lstrip('/') if path.startswith('/') else posixpath.join(base_dir, path)
    norm = posixpath.normpath(joined)
    if norm in ('.', '..') or norm.startswith('../') or posixpath.isabs(norm):
        raise PageError('%s points outside src' % path)
    full = os.path.join(src, *norm.split('/'))
    if not os.path.isfile(full):
        raise PageError('asset not found: %s' % full)
    return norm


def fingerprint(rel, data):
    """'img/logo.svg' + content -> 'img/logo.<hash>.svg' (hash of the content)."""
    digest = hashlib.sha256(data).hexdigest()[:FINGERPRINT_LENGTH]
    directory, name = posixpath.split(rel)
    stem, dot, ext = name.rpartition('.')
    new = '%s.%s.%s' % (stem, digest, ext) if dot and stem else '%s.%s' % (name, digest)
    return posixpath.join(directory, new) if directory else new


def rewrite_srcset(value, replace):
    """Rewrite each URL of a srcset value; descriptors are kept."""
    out = []
    pos, length = 0, len(value)
    while pos < length:
        while pos < length and (value[pos].isspace() or value[pos] == ','):
            pos += 1
        if pos >= length:
            break
        start = pos
        while pos < length and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        descriptor = ''
        if url.endswith(','):
            url = url.rstrip(',')
        else:
            dstart = pos
            while pos < length and value[pos] != ',':
                pos += 1
            descriptor = value[dstart:pos].strip()
        new = replace(url)
        out.append((new if new is not None else url) + (' ' + descriptor if descriptor else ''))
    return ', '.join(out)


_CSS_TOKEN_RE = re.compile(
    r'(?P<comment>/\*.*?\*/)'
    r'|(?P<import>@import\s+)(?P<istr>"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\')'
    r'|(?P<url>url\(\s*(?P<uval>"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|[^)\s\'"]*)\s*\))'
    r'|(?P<string>"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\')',
    re.S | re.I)


def _css_unquote(value):
    if value[:1] in ('"', "'"):
        value = value[1:-1]
    return re.sub(r'\\(.)', r'\1', value)


def _css_url(url):
    if re.search(r'[\s()\'"\\]', url):
        return 'url("%s")' % url.replace('\\', '\\\\').replace('"', '\\"')
    return 'url(%s)' % url


def rewrite_css(css, replace):
    """Rewrite url() and @import references in CSS, skipping comments and strings."""
    def sub(match):
        if match.group('import'):
            new = replace(_css_unquote(match.group('istr')))
            return match.group(0) if new is None else '%s"%s"' % (match.group('import'), new.replace('"', '\\"'))
        if match.group('url'):
            new = replace(_css_unquote(match.group('uval')))
            return match.group(0) if new is None else _css_url(new)
        return match.group(0)
    return _CSS_TOKEN_RE.sub(sub, css)


# ---------------------------------------------------------------- minifying

_INLINE_TAGS = frozenset((
    'a', 'abbr', 'audio', 'b', 'bdi', 'bdo', 'br', 'button', 'canvas', 'cite', 'code', 'data', 'del',
    'dfn', 'em', 'embed', 'i', 'iframe', 'img', 'input', 'ins', 'kbd', 'label', 'mark', 'math', 'meter',
    'object', 'output', 'picture', 'progress', 'q', 's', 'samp', 'select', 'slot', 'small', 'span',
    'strong', 'sub', 'sup', 'svg', 'textarea', 'time', 'u', 'var', 'video', 'wbr'))
_P_CLOSERS = frozenset((
    'address', 'article', 'aside', 'blockquote', 'details', 'div', 'dl', 'fieldset', 'figcaption',
    'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hgroup', 'hr', 'main',
    'menu', 'nav', 'ol', 'p', 'pre', 'section', 'table', 'ul'))
_P_KEEP_PARENTS = frozenset(('a', 'audio', 'del', 'ins', 'map', 'noscript', 'video'))
_UNQUOTED_OK_RE = re.compile(r'^[^\s"\'=<>`]+$')


def minify_css(css):
    """Drop comments and needless whitespace; strings are left alone."""
    parts = []
    pos = 0
    for match in re.finditer(r'/\*.*?\*/|"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'', css, re.S):
        parts.append(('code', css[pos:match.start()]))
        if not match.group(0).startswith('/*'):
            parts.append(('str', match.group(0)))
        else:
            parts.append(('code', ' '))
        pos = match.end()
    parts.append(('code', css[pos:]))
    code = []
    strings = []
    for kind, text in parts:
        if kind == 'str':
            strings.append(text)
            code.append('\x00%d\x00' % (len(strings) - 1))
        else:
            code.append(text)
    out = re.sub(r'\s+', ' ', ''.join(code))
    out = re.sub(r'\s*([{};,>])\s*', r'\1', out)
    out = re.sub(r':\s+', ':', out)
    out = re.sub(r'\s*!important', '!important', out)
    out = out.replace(';}', '}').strip()
    return re.sub('\x00(\\d+)\x00', lambda m: strings[int(m.group(1))], out)


def _serialize_start(tag):
    name = tag_name(tag)
    out = ['<' + name]
    for attr, value in parse_attrs(tag):
        if value is None:
            out.append(' ' + attr)
        elif attr == 'style':
            out.append(' %s=%s' % (attr, _attr_value(minify_css(value).rstrip(';'))))
        else:
            out.append(' %s=%s' % (attr, _attr_value(value)))
    out.append('>')
    return ''.join(out)


def _attr_value(value):
    if _UNQUOTED_OK_RE.match(value) and '&' not in value:
        return value
    return '"%s"' % value.replace('&', '&amp;').replace('"', '&quot;')


def own_minify(html):
    """A small, conservative HTML minifier (the fallback when minify-html is
    missing): comments and inter-block whitespace go, attributes lose needless
    quotes, CSS in <style> and style="" is minified, and a few optional tags
    (</p>, </li>, <head>, </head>, <body>, </body>, </html>) are omitted where
    the HTML parsing rules allow it."""
    tokens = [(kind, text) for kind, text in tokenize(html) if kind != 'comment']
    merged = []
    for kind, text in tokens:
        if kind == 'text' and merged and merged[-1][0] == 'text':
            merged[-1] = ('text', merged[-1][1] + text)
        else:
            merged.append((kind, text))

    def is_block(token):
        kind, text = token
        if kind in ('start', 'end', 'raw'):
            return tag_name(text) not in _INLINE_TAGS
        return kind == 'decl'

    out = []
    pre_depth = 0
    for idx, (kind, text) in enumerate(merged):
        prev_tok = merged[idx - 1] if idx else ('decl', '')
        next_tok = merged[idx + 1] if idx + 1 < len(merged) else ('decl', '')
        if kind == 'text':
            if pre_depth:
                out.append(text)
                continue
            text = re.sub(r'\s+', ' ', text)
            if is_block(prev_tok):
                text = text.lstrip(' ')
            if is_block(next_tok):
                text = text.rstrip(' ')
            out.append(text)
        elif kind == 'raw':
            start, content, end = _split_raw(text)
            name = tag_name(start)
            if name == 'style':
                content = minify_css(content)
            elif name == 'script':
                content = content.strip()
            out.append(_serialize_start(start) + content + '</%s>' % name)
        elif kind == 'start':
            name = tag_name(text)
            if name == 'pre':
                pre_depth += 1
            if name in ('head', 'body') and not parse_attrs(text) and next_tok[0] in ('start', 'raw'):
                if name == 'head' or tag_name(next_tok[1]) not in ('meta', 'link', 'script', 'style', 'template'):
                    continue
            out.append(_serialize_start(text))
        elif kind == 'end':
            name = tag_name(text)
            if name == 'pre':
                pre_depth = max(0, pre_depth - 1)
            if name in ('head', 'body', 'html'):
                if name != 'head' or next_tok[0] != 'text':
                    continue
            if name in ('p', 'li') and _may_omit_end(name, merged, idx):
                continue
            out.append('</%s>' % name)
        else:
            out.append(text.strip() if kind == 'decl' else text)
    return ''.join(out).strip()


def _may_omit_end(name, tokens, idx):
    """True when </p> or </li> at tokens[idx] may be left out (HTML
    optional-tag rules, simplified to what is certain)."""
    following = tokens[idx + 1:]
    while following and following[0][0] == 'text' and not following[0][1].strip():
        following = following[1:]
    if not following:
        return True
    kind, text = following[0]
    next_name = tag_name(text)
    if name == 'li':
        return (kind == 'start' and next_name == 'li') or kind == 'end'
    if kind in ('start', 'raw') and next_name in _P_CLOSERS:
        return True
    if kind == 'end' and next_name not in _P_KEEP_PARENTS and next_name != 'p':
        # the parent closes; it is not one whose </p> must stay
        return next_name in _P_CLOSERS or next_name in ('body', 'html', 'li', 'td', 'th', 'dd', 'section', 'main', 'div')
    return False


def library_minify(html):
    """minify-html, with spec-compliant output (quotes kept where needed, the
    doctype kept as is) and CSS minified."""
    return minify_html.minify(html, minify_css=True, minify_js=False, keep_closing_tags=False,
                              keep_html_and_head_opening_tags=False, minify_doctype=False,
                              allow_noncompliant_unquoted_attribute_values=False,
                              allow_removing_spaces_between_attributes=False,
                              keep_comments=False)


def library_minify_css(css):
    out = library_minify('<style>%s</style>' % css)
    if out.startswith('<style>') and out.endswith('</style>'):
        return out[len('<style>'):-len('</style>')]
    return minify_css(css)


def minifier_name():
    return 'minify-html' if HAS_MINIFY_HTML else 'builtin'


def minify_page(html):
    return library_minify(html) if HAS_MINIFY_HTML else own_minify(html)


def minify_stylesheet(css):
    return library_minify_css(css) if HAS_MINIFY_HTML else minify_css(css)


# ---------------------------------------------------------------- assets

_CONTENT_TYPES = {
    'css': 'text/css', 'html': 'text/html', 'htm': 'text/html', 'js': 'text/javascript',
    'mjs': 'text/javascript', 'json': 'application/json', 'txt': 'text/plain',
    'svg': 'image/svg+xml', 'png': 'image/png', 'jpg': 'image/jpeg', 'jpeg': 'image/jpeg',
    'gif': 'image/gif', 'webp': 'image/webp', 'avif': 'image/avif', 'ico': 'image/x-icon',
    'woff': 'font/woff', 'woff2': 'font/woff2', 'ttf': 'font/ttf', 'otf': 'font/otf',
    'xml': 'application/xml', 'webmanifest': 'application/manifest+json', 'map': 'application/json',
}
_TEXT_TYPES = frozenset(('application/json', 'image/svg+xml', 'application/xml', 'application/manifest+json'))


def media_type(path):
    """Media type from the file name (a fixed table, so every machine agrees)."""
    ext = path.rsplit('.', 1)[-1].lower() if '.' in path else ''
    return _CONTENT_TYPES.get(ext, 'application/octet-stream')


def content_type(path):
    """Content-Type header: the media type, with charset=utf-8 for text."""
    mtype = media_type(path)
    if mtype.startswith('text/') or mtype in _TEXT_TYPES:
        return mtype + '; charset=utf-8'
    return mtype


def data_uri(rel, data):
    """The shorter of a percent-encoded (text) or base64 data: URI."""
    mtype = media_type(rel)
    b64 = 'data:%s;base64,%s' % (mtype, base64.b64encode(data).decode('ascii'))
    if mtype.startswith('text/') or mtype in _TEXT_TYPES:
        try:
            text = data.decode('utf-8')
        except UnicodeDecodeError:
            return b64
        plain = 'data:%s,%s' % (mtype, quote(text, safe=" /:;=,.-_~!$*+?@()[]{}|^"))
        plain = plain.replace(' ', '%20')
        if len(plain) < len(b64):
            return plain
    return b64


class Asset:
    """One file under src referenced by a page, as it will be served."""

    def __init__(self, rel, data, key_rel, url):
        self.rel = rel
        self.data = data
        self.key_rel = key_rel
        self.url = url

    def as_dict(self):
        return {'src': self.rel, 'key': self.key_rel, 'url': self.url, 'bytes': len(self.data),
                'content_type': content_type(self.rel)}


class AssetSet:
    """The assets referenced by the pages, built on demand.

    With a public_url an asset becomes a fingerprinted object served from
    the CDN; without one it is inlined (data: URI, CSS into <style>).
    ``order`` lists them dependencies first, the order to upload them in.
    """

    def __init__(self, src, public_url, minify):
        self.src = src
        self.public_url = public_url.rstrip('/') if public_url else None
        self.minify = minify
        self.assets = {}
        self.order = []
        self.labels = {}
        self._building = []

    @property
    def inline(self):
        return self.public_url is None

    def get(self, rel):
        if rel in self.assets:
            return self.assets[rel]
        if rel in self._building:
            raise PageError('circular reference: %s' % ' -> '.join(self._building + [rel]))
        self._building.append(rel)
        try:
            path = os.path.join(self.src, *rel.split('/'))
            with open(path, 'rb') as handle:
                data = handle.read()
            if media_type(rel) == 'text/css':
                data = self._build_css(rel, data)
        finally:
            self._building.pop()
        key_rel = fingerprint(rel, data)
        url = data_uri(rel, data) if self.inline else '%s/%s' % (self.public_url, quote(key_rel, safe='/-_.~'))
        asset = Asset(rel, data, key_rel, url)
        self.assets[rel] = asset
        self.order.append(rel)
        self.labels[url] = rel
        return asset

    def css_text(self, rel):
        return self.get(rel).data.decode('utf-8')

    def _build_css(self, rel, data):
        try:
            css = data.decode('utf-8-sig')
        except UnicodeDecodeError:
            raise PageError('%s: not UTF-8 text' % rel)
        errors = []
        css = rewrite_css(css, self.replacer(posixpath.dirname(rel), rel, errors))
        if errors:
            raise PageError('; '.join(errors))
        if self.minify:
            css = minify_stylesheet(css)
        return css.encode('utf-8')

    def replacer(self, base_dir, where, errors):
        """A callback for the rewriters: new URL for a relative reference,
        None to leave the reference as it is. Errors are collected."""
        def replace(url):
            if not is_relative_ref(url):
                return None
            path, suffix = split_ref(url)
            if not path:
                return None
            try:
                asset = self.get(resolve_ref(self.src, base_dir, path))
            except PageError as exc:
                errors.append('%s: %s: %s' % (where, url, exc))
                return None
            if self.inline:
                return asset.url
            return asset.url + suffix
        return replace


def rewrite_html(html, assets, where, errors):
    """Rewrite the relative asset references of a page (src, srcset, poster,
    <link href>, style="" and <style> url()); without public_url a
    <link rel=stylesheet> becomes a <style> element."""
    replace = assets.replacer('', where, errors)
    out = []
    for kind, text in tokenize(html):
        if kind == 'start':
            name = tag_name(text)
            attrs = dict(parse_attrs(text))
            rels = (attrs.get('rel') or '').lower().split()
            if name == 'link' and assets.inline and 'stylesheet' in rels and is_relative_ref(attrs.get('href') or ''):
                out.append(_inline_stylesheet(attrs, assets, where, errors))
                continue
            out.append(_rewrite_attrs(text, lambda attr, value, name=name: _replace_attr(name, attr, value, replace)))
        elif kind == 'raw':
            start, content, end = _split_raw(text)
            start = _rewrite_attrs(start, lambda attr, value, name=tag_name(start): _replace_attr(name, attr, value, replace))
            if tag_name(start) == 'style':
                content = rewrite_css(content, replace)
            out.append(start + content + end)
        else:
            out.append(text)
    return ''.join(out)


def _replace_attr(name, attr, value, replace):
    if attr in ('src', 'poster') or (attr == 'href' and name == 'link'):
        return replace(value)
    if attr == 'srcset':
        new = rewrite_srcset(value, replace)
        return new if new != value else None
    if attr == 'style':
        new = rewrite_css(value, replace)
        return new if new != value else None
    return None


def _inline_stylesheet(attrs, assets, where, errors):
    path, _suffix = split_ref(attrs['href'])
    try:
        css = assets.css_text(resolve_ref(assets.src, '', path))
    except PageError as exc:
        errors.append('%s: %s: %s' % (where, attrs['href'], exc))
        return ''
    media = attrs.get('media')
    opening = '<style media="%s">' % html_lib.escape(media, quote=True) if media and media != 'all' else '<style>'
    return opening + css.replace('</style', '<\\/style') + '</style>'


# ---------------------------------------------------------------- budget

def page_parts(body, labels):
    """The parts of a final page and their size in characters, largest first:
    inline <style>/<script>, each inline data: URI, asset URLs, style
    attributes, text, and the remaining markup."""
    parts = {}

    def add(label, text):
        parts[label] = parts.get(label, 0) + count_chars(text)

    for kind, text in tokenize(body):
        if kind == 'text':
            add('text', text)
        if kind not in ('start', 'raw'):
            continue
        start = text
        if kind == 'raw':
            start, content, _end = _split_raw(text)
            add('inline <%s>' % tag_name(start), content)
        for attr, value in parse_attrs(start):
            if not value:
                continue
            if value.startswith('data:'):
                add('inline %s (data: URI)' % labels.get(value, attr), value)
            elif value in labels or any(url in value for url in labels if not url.startswith('data:')):
                add('asset URLs', value)
            elif attr == 'style':
                add('style attributes', value)
    total = count_chars(body)
    parts['markup (tags and attributes)'] = total - sum(parts.values())
    return sorted(((label, size) for label, size in parts.items() if size > 0), key=lambda item: (-item[1], item[0]))


def over_budget_message(name, chars, max_chars, parts, top=4):
    largest = ', '.join('%s %d' % (label, size) for label, size in parts[:top])
    return ("page '%s' is %d characters, %d over the %d-character limit of an ALB fixed response; "
            "largest parts: %s" % (name, chars, chars - max_chars, max_chars, largest))


# ---------------------------------------------------------------- time

def _zone(name):
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise PageError('unknown time zone %r: %s' % (name, exc))


def parse_until(value):
    """An aware datetime from ISO 8601 text (or a datetime), and a warning or None.

    Returns (None, warning) when it is not a date and time."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        if text[-1:] in ('Z', 'z'):
            text = text[:-1] + '+00:00'
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None, ("template var 'until' (%r) is not an ISO 8601 date and time such as "
                          "2026-03-02T14:00:00Z; it is shown as given" % str(value))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc), "template var 'until' (%s) has no UTC offset; taken as UTC" % value
    return moment, None


def format_until(moment, lang, tz_name):
    """(display text in the page's language and zone, ISO 8601 in that zone)."""
    local = moment.astimezone(_zone(tz_name))
    abbr = local.tzname() or tz_name
    base = lang.split('-')[0].lower()
    if base == 'en':
        text = '%d %s %d, %02d:%02d %s' % (local.day, _EN_MONTHS[local.month - 1], local.year, local.hour, local.minute, abbr)
    elif base == 'ja':
        text = u'%d\u5e74%d\u6708%d\u65e5(%s) %02d:%02d %s' % (
            local.year, local.month, local.day, _JA_WEEKDAYS[local.weekday()], local.hour, local.minute, abbr)
    else:
        text = '%04d-%02d-%02d %02d:%02d %s' % (local.year, local.month, local.day, local.hour, local.minute, abbr)
    return text, local.isoformat(timespec='minutes')


# ---------------------------------------------------------------- pages

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
        tz_name = ctx.get('tz') or DEFAULT_TZ.get(lang.split('-')[0].lower(), 'UTC')
        _zone(tz_name)
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
        html = rewrite_html(html, self.assets, '%s' % filename, errors)
        if errors:
            raise PageError('page %r: %s' % (name, '; '.join(errors)))
        if self.minify:
            html = minify_page(html)
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
            'minifier': minifier_name() if minify else None}
