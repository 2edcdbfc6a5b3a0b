# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _minify as M

needs_library = pytest.mark.skipif(not M.HAS_MINIFY_HTML, reason='minify-html is not installed')


@pytest.fixture
def without_library(monkeypatch):
    monkeypatch.setattr(M, 'HAS_MINIFY_HTML', False)
    monkeypatch.setattr(M, 'minify_html', None)


@needs_library
@pytest.mark.parametrize('html, expected', [
    ('<p>  A  &lt;b&gt; </p>\n<p lang="ja">日本語</p>', '<p>A &lt;b><p lang=ja>日本語'),
    ('<!-- c --><div>\n  <p>x</p>\n</div>', '<div><p>x</div>'),
    ('<img alt="Two words" src="a.png" width="10">', '<img alt="Two words" src=a.png width=10>'),
    ('<!doctype html><html lang="en"><head><title>t</title></head><body><main>x</main></body></html>',
     '<!doctype html><html lang=en><title>t</title><body><main>x</main>'),
    ('<style>\n a { color: red ; }\n</style>', '<style>a{color:red}</style>'),
    # scripts are trimmed, not minified
    ('<script> var a = 1 ; </script>', '<script>var a = 1 ;</script>'),
])
def test_minify_page(html, expected):
    assert M.minify_page(html) == expected


@needs_library
@pytest.mark.parametrize('css, expected', [
    ('a , b > c { color: red ; }', 'a,b>c{color:red}'),
    ('/* x */ a { content: "  a ; b  " }', 'a{content:"  a ; b  "}'),
    # it cannot come back whole from inside <style>: returned as it was
    ('a { content: "</style>" }', 'a { content: "</style>" }'),
])
def test_minify_stylesheet(css, expected):
    assert M.minify_stylesheet(css) == expected


@pytest.mark.parametrize('call, arg', [(M.minify_page, '<p>x</p>'), (M.minify_stylesheet, 'a{}')])
def test_without_the_library_minifying_fails_naming_the_package(without_library, call, arg):
    with pytest.raises(M.MinifierMissing) as err:
        call(arg)
    assert str(err.value) == M.MISSING_LIBRARY
    assert 'pip install minify-html' in str(err.value)
    assert 'minify=false' in str(err.value)
