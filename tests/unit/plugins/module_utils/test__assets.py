# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import re

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _assets as A


@pytest.fixture
def site(tmp_path):
    """Two images and a stylesheet that imports another."""
    (tmp_path / 'img').mkdir()
    (tmp_path / 'css').mkdir()
    (tmp_path / 'img' / 'logo.png').write_bytes(b'\x89PNG fake logo')
    (tmp_path / 'img' / 'logo-2x.png').write_bytes(b'\x89PNG fake logo 2x')
    (tmp_path / 'css' / 'base.css').write_text('p { color: red }\n')
    (tmp_path / 'css' / 'style.css').write_text('@import "base.css";\nh1 { background: url(../img/logo.png) }\n')
    return tmp_path


@pytest.mark.parametrize('base_dir, path, expected', [
    ('', 'img/logo.png', 'img/logo.png'),
    ('', './img/logo.png', 'img/logo.png'),
    ('css', '../img/logo.png', 'img/logo.png'),
    ('css', './../img/./logo.png', 'img/logo.png'),
    ('css', '/img/logo.png', 'img/logo.png'),
    ('', 'img/logo%2D2x.png', 'img/logo-2x.png'),
])
def test_resolve_ref(site, base_dir, path, expected):
    assert A.resolve_ref(str(site), base_dir, path) == expected


def test_resolve_ref_outside_src(site):
    with pytest.raises(A.AssetError) as err:
        A.resolve_ref(str(site), '', '../etc/passwd')
    assert str(err.value) == '../etc/passwd points outside src'


def test_resolve_ref_missing(site):
    with pytest.raises(A.AssetError) as err:
        A.resolve_ref(str(site), 'css', '../img/nope.png')
    assert str(err.value) == 'asset not found: %s' % os.path.join(str(site), 'img', 'nope.png')


@pytest.mark.parametrize('rel, expected_pattern', [
    ('logo.svg', r'^logo\.[0-9a-f]{8}\.svg$'),
    ('img/logo.png', r'^img/logo\.[0-9a-f]{8}\.png$'),
    ('js/app.min.js', r'^js/app\.min\.[0-9a-f]{8}\.js$'),
    ('LICENSE', r'^LICENSE\.[0-9a-f]{8}$'),
    ('.hidden', r'^\.hidden\.[0-9a-f]{8}$'),
])
def test_fingerprint_names(rel, expected_pattern):
    assert re.match(expected_pattern, A.fingerprint(rel, b'content'))


def test_fingerprint_follows_content_only():
    assert A.fingerprint('a.css', b'x') == A.fingerprint('a.css', b'x')
    assert A.fingerprint('a.css', b'x') != A.fingerprint('a.css', b'y')
    assert A.fingerprint('a.css', b'x') == 'a.%s.css' % hashlib.sha256(b'x').hexdigest()[:8]


@pytest.mark.parametrize('path, expected', [
    ('style.css', 'text/css; charset=utf-8'),
    ('a.html', 'text/html; charset=utf-8'),
    ('a.js', 'text/javascript; charset=utf-8'),
    ('logo.SVG', 'image/svg+xml; charset=utf-8'),
    ('logo.png', 'image/png'),
    ('f.woff2', 'font/woff2'),
    ('blob', 'application/octet-stream'),
])
def test_content_type(path, expected):
    assert A.content_type(path) == expected


@pytest.mark.parametrize('rel, data, expected', [
    ('img/bg.svg', b'<svg xmlns="http://www.w3.org/2000/svg"/>',
     'data:image/svg+xml,%3Csvg%20xmlns=%22http://www.w3.org/2000/svg%22/%3E'),
    ('a.png', b'\x89PNG', 'data:image/png;base64,iVBORw=='),
    # text that is not UTF-8 goes as base64
    ('a.css', b'\xff\xfe', 'data:text/css;base64,//4='),
])
def test_data_uri_is_the_shorter_form(rel, data, expected):
    assert A.data_uri(rel, data) == expected


def test_asset_set_with_a_cdn_fingerprints_dependencies_first(site):
    assets = A.AssetSet(str(site), 'https://cdn.example.com/sorry/', minify=False)
    style = assets.get('css/style.css')
    logo = assets.get('img/logo.png')
    base = assets.get('css/base.css')
    assert assets.order == ['css/base.css', 'img/logo.png', 'css/style.css']
    assert logo.url == 'https://cdn.example.com/sorry/%s' % logo.key_rel
    assert style.data.decode('utf-8') == '@import "%s";\nh1 { background: url(%s) }\n' % (base.url, logo.url)
    assert style.key_rel == A.fingerprint('css/style.css', style.data)
    assert style.as_dict() == {'src': 'css/style.css', 'key': style.key_rel, 'url': style.url, 'bytes': len(style.data),
                               'content_type': 'text/css; charset=utf-8'}
    assert assets.labels[logo.url] == 'img/logo.png'


def test_asset_set_rewrites_a_page_and_inlines_its_stylesheet_without_a_cdn(site):
    assets = A.AssetSet(str(site), None, minify=False)
    errors = []
    html = assets.rewrite_html('<link rel="stylesheet" href="css/base.css" media="print"><img src="img/nope.png">',
                               'p.html', errors)
    assert html == '<style media="print">p { color: red }\n</style><img src="img/nope.png">'
    assert errors == ['p.html: img/nope.png: asset not found: %s' % os.path.join(str(site), 'img', 'nope.png')]


def test_circular_imports_are_named(site):
    (site / 'css' / 'a.css').write_text('@import "b.css";')
    (site / 'css' / 'b.css').write_text('@import "a.css";')
    assets = A.AssetSet(str(site), 'https://cdn.example.com', minify=False)
    errors = []
    assets.replacer('', 'p.html', errors)('css/a.css')
    assert errors == ['p.html: css/a.css: css/a.css: b.css: css/b.css: a.css: circular reference: css/a.css -> css/b.css -> css/a.css']
