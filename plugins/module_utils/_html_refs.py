# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Find and rewrite the asset references in HTML and CSS text (pure).

A small tokenizer, not a parser: it knows tags, attributes, comments and the
raw-text elements (script, style, textarea), which is all that reference
rewriting needs, and it leaves every other byte of the page as it was. What
a reference becomes is the caller's business: the rewriters take a
``replace(url)`` callback returning the new URL, or None to keep it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html as html_lib
import re


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


def split_raw(raw):
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


def rewrite_attrs(tag, replace):
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


# ---------------------------------------------------------------- pages

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


def rewrite_html(html, replace, inline_stylesheet=None):
    """Rewrite the asset references of a page: src, srcset, poster,
    <link href>, style="" and <style> url() / @import.

    With ``inline_stylesheet(attrs)``, a <link rel=stylesheet> with a
    relative href is replaced by what it returns (a <style> element).
    """
    out = []
    for kind, text in tokenize(html):
        if kind == 'start':
            name = tag_name(text)
            if inline_stylesheet is not None and name == 'link':
                attrs = dict(parse_attrs(text))
                rels = (attrs.get('rel') or '').lower().split()
                if 'stylesheet' in rels and is_relative_ref(attrs.get('href') or ''):
                    out.append(inline_stylesheet(attrs))
                    continue
            out.append(rewrite_attrs(text, lambda attr, value, name=name: _replace_attr(name, attr, value, replace)))
        elif kind == 'raw':
            start, content, end = split_raw(text)
            name = tag_name(start)
            start = rewrite_attrs(start, lambda attr, value, name=name: _replace_attr(name, attr, value, replace))
            if name == 'style':
                content = rewrite_css(content, replace)
            out.append(start + content + end)
        else:
            out.append(text)
    return ''.join(out)
