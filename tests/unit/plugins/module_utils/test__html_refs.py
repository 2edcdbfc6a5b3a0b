# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _html_refs as H


@pytest.mark.parametrize('url, expected', [
    ('logo.png', True),
    ('./logo.png', True),
    ('../img/logo.png', True),
    ('/img/logo.png', True),
    ('logo.png?v=1', True),
    ('https://cdn.example.com/logo.png', False),
    ('HTTP://cdn.example.com/logo.png', False),
    ('//cdn.example.com/logo.png', False),
    ('data:image/png;base64,AAAA', False),
    ('mailto:a@example.com', False),
    ('#top', False),
    ('', False),
    ('   ', False),
])
def test_is_relative_ref(url, expected):
    assert H.is_relative_ref(url) is expected


@pytest.mark.parametrize('url, expected', [
    ('a.png', ('a.png', '')),
    ('a.png?v=1', ('a.png', '?v=1')),
    ('a.woff2?#iefix', ('a.woff2', '?#iefix')),
    ('a.svg#icon', ('a.svg', '#icon')),
    ('dir/a.png?x=1#y', ('dir/a.png', '?x=1#y')),
])
def test_split_ref(url, expected):
    assert H.split_ref(url) == expected


@pytest.mark.parametrize('value, expected', [
    ('a.png', 'X(a.png)'),
    ('a.png 1x, b.png 2x', 'X(a.png) 1x, X(b.png) 2x'),
    ('a.png 480w,b.png 800w', 'X(a.png) 480w, X(b.png) 800w'),
    ('  a.png  1x ,  b.png  2x  ', 'X(a.png) 1x, X(b.png) 2x'),
    ('https://x/a.png 1x, b.png 2x', 'https://x/a.png 1x, X(b.png) 2x'),
    ('data:image/png;base64,AA,BB 1x, b.png 2x', 'data:image/png;base64,AA,BB 1x, X(b.png) 2x'),
    ('a.png, b.png 2x', 'X(a.png), X(b.png) 2x'),
])
def test_rewrite_srcset(value, expected):
    def replace(url):
        return None if not H.is_relative_ref(url) else 'X(%s)' % url
    assert H.rewrite_srcset(value, replace) == expected


@pytest.mark.parametrize('css, expected', [
    ('a{background:url(x.png)}', 'a{background:url(X:x.png)}'),
    ('a{background:url( "x.png" )}', 'a{background:url(X:x.png)}'),
    ("a{background:url('./x.png')}", 'a{background:url(X:./x.png)}'),
    ('a{background:URL(x.png)}', 'a{background:url(X:x.png)}'),
    ('a{background:url(https://x/y.png)}', 'a{background:url(https://x/y.png)}'),
    ('a{background:url(data:image/png;base64,AA)}', 'a{background:url(data:image/png;base64,AA)}'),
    ('@import "b.css";', '@import "X:b.css";'),
    ("@import url('b.css') screen;", '@import url(X:b.css) screen;'),
    ('/* url(x.png) */a{}', '/* url(x.png) */a{}'),
    ('a{content:"url(x.png)"}', 'a{content:"url(x.png)"}'),
    ('a{background:url("my file.png")}', 'a{background:url("X:my file.png")}'),
])
def test_rewrite_css(css, expected):
    def replace(url):
        return None if not H.is_relative_ref(url) else 'X:' + url
    assert H.rewrite_css(css, replace) == expected


@pytest.mark.parametrize('html', [
    '<!doctype html><html lang="en"><!-- c --><p class=x>a &amp; b</p><br/></html>',
    '<style>a>b{c:d}</style><script>if (a < b) {}</script><textarea><p></textarea>',
    'text only',
])
def test_tokenize_keeps_every_character(html):
    assert ''.join(text for _kind, text in H.tokenize(html)) == html


def test_tokenize_kinds():
    assert [kind for kind, _text in H.tokenize('<!doctype html><!--c--><p>x</p><style>s</style>')] == [
        'decl', 'comment', 'start', 'text', 'end', 'raw']


def test_parse_attrs():
    assert H.parse_attrs('<img SRC="a.png" alt=\'A &amp; B\' hidden width=10>') == [
        ('src', 'a.png'), ('alt', 'A & B'), ('hidden', None), ('width', '10')]


def _cdn(url):
    return 'https://cdn/' + url if H.is_relative_ref(url) else None


@pytest.mark.parametrize('html, expected', [
    ('<img src="a.png" alt="a.png">', '<img src="https://cdn/a.png" alt="a.png">'),
    ('<video poster=p.jpg></video>', '<video poster="https://cdn/p.jpg"></video>'),
    ('<link rel=stylesheet href=s.css><a href="s.css">s</a>', '<link rel=stylesheet href="https://cdn/s.css"><a href="s.css">s</a>'),
    ('<p style="background:url(b.svg)">x</p>', '<p style="background:url(https://cdn/b.svg)">x</p>'),
    ('<style>p{background:url(b.svg)}</style>', '<style>p{background:url(https://cdn/b.svg)}</style>'),
    ('<img src="https://elsewhere/a.png">', '<img src="https://elsewhere/a.png">'),
    ('<!-- <img src="a.png"> -->', '<!-- <img src="a.png"> -->'),
])
def test_rewrite_html(html, expected):
    assert H.rewrite_html(html, _cdn) == expected


def test_rewrite_html_inlines_relative_stylesheets_when_asked():
    html = '<link rel="stylesheet" href="s.css"><link rel="stylesheet" href="https://x/s.css"><link rel="icon" href="i.png">'
    out = H.rewrite_html(html, _cdn, inline_stylesheet=lambda attrs: '<style>/* %s */</style>' % attrs['href'])
    assert out == '<style>/* s.css */</style><link rel="stylesheet" href="https://x/s.css"><link rel="icon" href="https://cdn/i.png">'
