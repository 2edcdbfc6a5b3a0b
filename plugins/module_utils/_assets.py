# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The files a page references: find them under src, fingerprint them, and
give each the URL the page will use (CDN or data: URI), with the content
type it is served with.

Pure: reads files under ``src`` and returns data; no network, no AWS.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import html as html_lib
import os
import posixpath
from urllib.parse import quote, unquote

from ansible_collections.sorrypage.aws.plugins.module_utils._html_refs import is_relative_ref
from ansible_collections.sorrypage.aws.plugins.module_utils._html_refs import rewrite_css
from ansible_collections.sorrypage.aws.plugins.module_utils._html_refs import rewrite_html
from ansible_collections.sorrypage.aws.plugins.module_utils._html_refs import split_ref
from ansible_collections.sorrypage.aws.plugins.module_utils._minify import minify_stylesheet

FINGERPRINT_LENGTH = 8

_CONTENT_TYPES = {
    'css': 'text/css', 'html': 'text/html', 'htm': 'text/html', 'js': 'text/javascript',
    'mjs': 'text/javascript', 'json': 'application/json', 'txt': 'text/plain',
    'svg': 'image/svg+xml', 'png': 'image/png', 'jpg': 'image/jpeg', 'jpeg': 'image/jpeg',
    'gif': 'image/gif', 'webp': 'image/webp', 'avif': 'image/avif', 'ico': 'image/x-icon',
    'woff': 'font/woff', 'woff2': 'font/woff2', 'ttf': 'font/ttf', 'otf': 'font/otf',
    'xml': 'application/xml', 'webmanifest': 'application/manifest+json', 'map': 'application/json',
}
_TEXT_TYPES = frozenset(('application/json', 'image/svg+xml', 'application/xml', 'application/manifest+json'))


class AssetError(Exception):
    """A referenced file cannot be used; the message says which and why."""


def resolve_ref(src, base_dir, path):
    """The src-relative POSIX path a reference names, or raise AssetError.

    ``base_dir`` is the src-relative directory of the referencing file; a
    path starting with '/' is taken from the root of src (the application's
    own origin serves nothing during maintenance).
    """
    path = unquote(path)
    joined = path.lstrip('/') if path.startswith('/') else posixpath.join(base_dir, path)
    norm = posixpath.normpath(joined)
    if norm in ('.', '..') or norm.startswith('../') or posixpath.isabs(norm):
        raise AssetError('%s points outside src' % path)
    full = os.path.join(src, *norm.split('/'))
    if not os.path.isfile(full):
        raise AssetError('asset not found: %s' % full)
    return norm


def fingerprint(rel, data):
    """'img/logo.svg' + content -> 'img/logo.<hash>.svg' (hash of the content)."""
    digest = hashlib.sha256(data).hexdigest()[:FINGERPRINT_LENGTH]
    directory, name = posixpath.split(rel)
    stem, dot, ext = name.rpartition('.')
    new = '%s.%s.%s' % (stem, digest, ext) if dot and stem else '%s.%s' % (name, digest)
    return posixpath.join(directory, new) if directory else new


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
    ``order`` lists them dependencies first, the order to upload them in;
    ``labels`` maps each URL back to its file, to name it in budget messages.
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
            raise AssetError('circular reference: %s' % ' -> '.join(self._building + [rel]))
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

    def _build_css(self, rel, data):
        try:
            css = data.decode('utf-8-sig')
        except UnicodeDecodeError:
            raise AssetError('%s: not UTF-8 text' % rel)
        errors = []
        css = rewrite_css(css, self.replacer(posixpath.dirname(rel), rel, errors))
        if errors:
            raise AssetError('; '.join(errors))
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
            except AssetError as exc:
                errors.append('%s: %s: %s' % (where, url, exc))
                return None
            if self.inline:
                return asset.url
            return asset.url + suffix
        return replace

    def style_element(self, attrs, where, errors):
        """The <style> element that replaces a <link rel=stylesheet> when inlining."""
        path, _suffix = split_ref(attrs['href'])
        try:
            css = self.get(resolve_ref(self.src, '', path)).data.decode('utf-8')
        except AssetError as exc:
            errors.append('%s: %s: %s' % (where, attrs['href'], exc))
            return ''
        media = attrs.get('media')
        opening = '<style media="%s">' % html_lib.escape(media, quote=True) if media and media != 'all' else '<style>'
        return opening + css.replace('</style', '<\\/style') + '</style>'

    def rewrite_html(self, html, where, errors):
        """A page with its relative asset references pointing at these assets;
        without public_url a <link rel=stylesheet> becomes a <style> element.
        Errors are collected, each naming ``where``."""
        inline = (lambda attrs: self.style_element(attrs, where, errors)) if self.inline else None
        return rewrite_html(html, self.replacer('', where, errors), inline_stylesheet=inline)
