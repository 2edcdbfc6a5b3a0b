# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import os
import re

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _assets
from ansible_collections.sorrypage.aws.plugins.module_utils import _minify
from ansible_collections.sorrypage.aws.plugins.module_utils import _pages as P

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
DEFAULT_PAGES = os.path.join(REPO, 'roles', 'sorry_assets', 'files')
CDN = 'https://d111111abcdef8.cloudfront.net/sorry'

# Realistic values, at the long end of what an on-call engineer types.
REALISTIC_VARS = {
    'reason': 'We are upgrading our database to make the service faster. Thank you for your patience.',
    'until': '2026-03-02T14:00:00Z',
    'status_url': 'https://status.example.com/incidents/2026-03-02',
    'contact': 'support@example.com',
    'brand': 'Example Corp',
}
REALISTIC_PAGE_VARS = {
    'ja': {'reason': u'サービス向上のため、データベースのアップグレードを行っています。ご理解とご協力をお願いいたします。'},
}


def write(root, rel, content):
    path = os.path.join(str(root), *rel.split('/'))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as handle:
        handle.write(content.encode('utf-8') if isinstance(content, str) else content)
    return path


def short_hash(data):
    return hashlib.sha256(data).hexdigest()[:8]


@pytest.fixture
def site(tmp_path):
    """A small src tree: a page, CSS in a subfolder referencing images with
    ../, a font, and an unreferenced file that must not be picked up."""
    write(tmp_path, 'img/logo.png', b'\x89PNG fake logo')
    write(tmp_path, 'img/logo-2x.png', b'\x89PNG fake logo 2x')
    write(tmp_path, 'img/bg.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>')
    write(tmp_path, 'fonts/f.woff2', b'wOF2 font')
    write(tmp_path, 'css/base.css', 'body { background: url("../img/bg.svg") }\n')
    write(tmp_path, 'css/style.css', '@import "base.css";\n/* url(not-there.png) */\n'
                                     '@font-face { font-family: F; src: url(../fonts/f.woff2?v=2#iefix) format("woff2") }\n'
                                     'h1 { color: #123456; content: "url(also-not-there.png)" }\n')
    write(tmp_path, 'README.txt', 'not an asset')
    return tmp_path


def build_one(src, body, **kwargs):
    write(src, 'p.html.j2', body)
    kwargs.setdefault('public_url', CDN)
    kwargs.setdefault('minify', False)
    return P.build_pages(str(src), pages=['p'], **kwargs)


# ------------------------------------------------------------- references and assets

def test_page_references_are_rewritten(site):
    body = (
        '<html lang="en"><head><link rel="stylesheet" href="./css/style.css?v=3">'
        '<link rel="preconnect" href="https://fonts.example.com">'
        '<style>.x { background: url(img/bg.svg) }</style></head>'
        '<body><img src="img/logo.png" srcset="img/logo.png 1x, img/logo-2x.png 2x" alt="Logo">'
        '<img src="https://elsewhere.example.com/a.png" alt="A">'
        '<div style="background-image: url(\'/img/bg.svg\')">x</div>'
        '<a href="img/logo.png">a link is navigation, not an asset</a>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="">'
        '</body></html>')
    result = build_one(site, body)
    html = result['pages']['p']['body']
    keys = {asset.rel: asset.key_rel for asset in result['assets']}
    logo = keys['img/logo.png']
    assert logo == 'img/logo.%s.png' % short_hash(b'\x89PNG fake logo')
    assert 'href="%s/%s?v=3"' % (CDN, keys['css/style.css']) in html
    assert 'href="https://fonts.example.com"' in html
    assert '.x { background: url(%s/%s) }' % (CDN, keys['img/bg.svg']) in html
    assert 'src="%s/%s"' % (CDN, logo) in html
    assert 'srcset="%s/%s 1x, %s/%s 2x"' % (CDN, logo, CDN, keys['img/logo-2x.png']) in html
    assert 'src="https://elsewhere.example.com/a.png"' in html
    assert "url(%s/%s)" % (CDN, keys['img/bg.svg']) in html.split('<div style="')[1].split('"')[0]
    assert '<a href="img/logo.png">' in html
    assert 'src="data:image/gif;base64,R0lGODlhAQABAAAAACw="' in html
    # Only what the page references, dependencies before what needs them.
    order = [asset.rel for asset in result['assets']]
    assert sorted(order) == ['css/base.css', 'css/style.css', 'fonts/f.woff2', 'img/bg.svg', 'img/logo-2x.png', 'img/logo.png']
    assert order.index('img/bg.svg') < order.index('css/base.css') < order.index('css/style.css')
    assert order.index('fonts/f.woff2') < order.index('css/style.css')


def test_css_files_are_rewritten_and_fingerprints_cascade(site):
    body = '<link rel="stylesheet" href="css/style.css">'
    first = build_one(site, body)
    assets = {asset.rel: asset for asset in first['assets']}
    style = assets['css/style.css'].data.decode('utf-8')
    assert '@import "%s/%s";' % (CDN, assets['css/base.css'].key_rel) in style
    assert 'url(%s/%s?v=2#iefix)' % (CDN, assets['fonts/f.woff2'].key_rel) in style
    assert '/* url(not-there.png) */' in style
    assert 'content: "url(also-not-there.png)"' in style
    assert assets['css/base.css'].data.decode('utf-8') == 'body { background: url(%s/%s) }\n' % (CDN, assets['img/bg.svg'].key_rel)
    assert assets['css/style.css'].key_rel == 'css/style.%s.css' % short_hash(assets['css/style.css'].data)

    # A change deep down (an image used by an imported stylesheet) changes
    # every fingerprint on the way up, so no CDN cache can serve a stale one.
    write(site, 'img/bg.svg', '<svg xmlns="http://www.w3.org/2000/svg" width="2"/>')
    second = {asset.rel: asset for asset in build_one(site, body)['assets']}
    for rel in ('img/bg.svg', 'css/base.css', 'css/style.css'):
        assert second[rel].key_rel != assets[rel].key_rel
    assert second['fonts/f.woff2'].key_rel == assets['fonts/f.woff2'].key_rel


def test_missing_assets_are_all_named(site):
    body = '<img src="img/nope.png" alt=""><link rel="stylesheet" href="css/gone.css">'
    with pytest.raises(P.PageError) as err:
        build_one(site, body)
    assert str(err.value) == (
        "page 'p': p.html.j2: img/nope.png: asset not found: %s; p.html.j2: css/gone.css: asset not found: %s" % (
            os.path.join(str(site), 'img', 'nope.png'), os.path.join(str(site), 'css', 'gone.css')))


def test_missing_asset_inside_css_names_the_stylesheet(site):
    write(site, 'css/broken.css', 'a { background: url(../img/missing.png) }')
    with pytest.raises(P.PageError) as err:
        build_one(site, '<link rel="stylesheet" href="css/broken.css">')
    assert str(err.value) == "page 'p': p.html.j2: css/broken.css: css/broken.css: ../img/missing.png: asset not found: %s" % (
        os.path.join(str(site), 'img', 'missing.png'))


def test_circular_imports_fail(site):
    write(site, 'css/a.css', '@import "b.css";')
    write(site, 'css/b.css', '@import "a.css";')
    with pytest.raises(P.PageError) as err:
        build_one(site, '<link rel="stylesheet" href="css/a.css">')
    assert 'circular reference: css/a.css -> css/b.css -> css/a.css' in str(err.value)


# ------------------------------------------------------------- budget

def test_japanese_page_is_counted_in_characters_not_bytes(tmp_path):
    text = u'あ' * 900
    write(tmp_path, 'ja.html.j2', u'<html lang="ja"><p>%s</p>{{ marker }}' % text)
    page = P.build_pages(str(tmp_path), minify=False)['pages']['ja']
    assert page['bytes'] > 2700
    assert page['chars'] == len(u'<html lang="ja"><p>') + 900 + len('</p>') + P.MARKER_LENGTH
    assert page['room'] == 1024 - page['chars']


def test_over_budget_fails_naming_page_size_overage_and_parts(tmp_path):
    write(tmp_path, 'en.html.j2', '<html lang="en"><style>%s</style><p>{{ reason }}</p></html>' % ('p{color:red}' * 40))
    with pytest.raises(P.PageError) as err:
        P.build_pages(str(tmp_path), template_vars={'reason': 'r' * 700}, minify=False)
    chars = len('<html lang="en"><style>') + 480 + len('</style><p>') + 700 + len('</p></html>') + len('<!---->') + P.MARKER_LENGTH
    assert str(err.value) == (
        "page 'en' is %d characters, %d over the 1024-character limit of an ALB fixed response; "
        "largest parts: text 700, inline <style> 480, markup (tags and attributes) %d" % (chars, chars - 1024, chars - 1180))


def test_shorten_var_cuts_with_an_ellipsis_until_it_fits(tmp_path):
    write(tmp_path, 'en.html.j2', '<html lang="en"><p>{{ reason }}</p><p>{{ marker }}</p></html>')
    reason = ' '.join(['word%03d' % i for i in range(200)])
    result = P.build_pages(str(tmp_path), template_vars={'reason': reason}, minify=False, shorten_var='reason', max_chars=300)
    page = result['pages']['en']
    assert page['shortened'] is True
    assert page['chars'] <= 300
    shown = re.search(r'<p>(.*?)</p>', page['body']).group(1)
    assert shown.endswith(P.ELLIPSIS)
    assert reason.startswith(shown[:-1])
    # as long as possible: the longest cut (found here by brute force) that fits
    fixed = len('<html lang="en"><p>') + len('</p><p>') + P.MARKER_LENGTH + len('</p></html>')
    candidates = [reason[:n].rstrip() + P.ELLIPSIS for n in range(len(reason))]
    assert shown == max((c for c in candidates if fixed + len(c) <= 300), key=len)
    assert result['warnings'] == [
        "page 'en' was %d characters, over the 300 limit: template var 'reason' was cut from %d to %d characters to fit" % (
            len('<html lang="en"><p>') + len(reason) + len('</p><p>') + P.MARKER_LENGTH + len('</p></html>'), len(reason), len(shown))]


def test_shorten_var_that_cannot_help_fails(tmp_path):
    write(tmp_path, 'en.html.j2', '<html lang="en"><p>{{ reason }}</p>%s</html>' % ('x' * 400))
    with pytest.raises(P.PageError) as err:
        P.build_pages(str(tmp_path), template_vars={'reason': 'long ' * 20}, minify=False, shorten_var='reason', max_chars=300)
    assert str(err.value).startswith("page 'en' is ")
    assert str(err.value).endswith("; even with template var 'reason' cut to nothing it does not fit")


def test_shortened_page_is_unchanged_when_it_fits(tmp_path):
    write(tmp_path, 'en.html.j2', '<p>{{ reason }}</p>')
    page = P.build_pages(str(tmp_path), template_vars={'reason': 'short'}, shorten_var='reason', minify=False)['pages']['en']
    assert page['shortened'] is False
    assert '<p>short</p>' in page['body']


# ------------------------------------------------------------- rendering

def test_autoescape_shows_script_as_text(tmp_path):
    write(tmp_path, 'en.html.j2', '<p>{{ reason }}</p><a href="{{ status_url }}">s</a>')
    page = P.build_pages(str(tmp_path), template_vars={'reason': '<script>alert(1)</script> & more',
                                                       'status_url': 'https://s.example.com/?a=1&b="2"'},
                         minify=False)['pages']['en']
    assert '<script>' not in page['body']
    assert '<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</p>' in page['body']
    assert 'href="https://s.example.com/?a=1&amp;b=&#34;2&#34;"' in page['body']


def test_static_html_page_is_not_a_template(tmp_path):
    write(tmp_path, 'en.html', '<style>@media x{#a{color:red}}</style><p>{{ not a var }}</p>')
    page = P.build_pages(str(tmp_path), minify=False)['pages']['en']
    assert page['body'].startswith('<style>@media x{#a{color:red}}</style><p>{{ not a var }}</p><!--')
    assert page['body'] == '<style>@media x{#a{color:red}}</style><p>{{ not a var }}</p><!--%s-->' % page['marker']


def test_template_error_names_page_and_line(tmp_path):
    write(tmp_path, 'en.html.j2', '<p>\n{% if %}</p>')
    with pytest.raises(P.PageError) as err:
        P.build_pages(str(tmp_path))
    assert str(err.value).startswith("page 'en' (en.html.j2, line 2): template error: ")


# ------------------------------------------------------------- until

def test_until_is_shown_in_each_pages_language_and_zone(tmp_path):
    write(tmp_path, 'en.html.j2', '<html lang="en"><p>{{ until }}|{{ until_iso }}|{{ tz }}|{{ lang }}</p>')
    write(tmp_path, 'ja.html.j2', '<html lang="ja"><p>{{ until }}|{{ until_iso }}|{{ tz }}|{{ lang }}</p>')
    write(tmp_path, 'ops.html.j2', '<p>{{ until }}|{{ tz }}|{{ lang }}</p>')
    pages = P.build_pages(str(tmp_path), template_vars={'until': '2026-03-02T14:00:00Z'}, minify=False)['pages']
    assert '<p>2 March 2026, 14:00 UTC|2026-03-02T14:00+00:00|UTC|en</p>' in pages['en']['body']
    assert u'<p>2026年3月2日(月) 23:00 JST|2026-03-02T23:00+09:00|Asia/Tokyo|ja</p>' in pages['ja']['body']
    assert '<p>2026-03-02 14:00 UTC|UTC|ops</p>' in pages['ops']['body']
    assert (pages['en']['tz'], pages['ja']['tz']) == ('UTC', 'Asia/Tokyo')
    # tz given: every page uses it, unless page_vars says otherwise
    pages = P.build_pages(str(tmp_path), template_vars={'until': '2026-03-02T14:00:00Z', 'tz': 'America/New_York'},
                          page_vars={'ja': {'tz': 'Asia/Tokyo'}}, minify=False)['pages']
    assert '<p>2 March 2026, 09:00 EST|2026-03-02T09:00-05:00|America/New_York|en</p>' in pages['en']['body']
    assert u'23:00 JST' in pages['ja']['body']


def test_unparseable_until_is_shown_as_given_with_a_warning(tmp_path):
    write(tmp_path, 'en.html.j2', '<p>{{ until }}</p>')
    result = P.build_pages(str(tmp_path), template_vars={'until': 'about 15:00'}, minify=False)
    assert '<p>about 15:00</p>' in result['pages']['en']['body']
    assert result['warnings'] == ["page 'en': template var 'until' ('about 15:00') is not an ISO 8601 date and time "
                                  "such as 2026-03-02T14:00:00Z; it is shown as given"]


def test_unknown_time_zone_fails(tmp_path):
    write(tmp_path, 'en.html.j2', '<p>{{ until }}</p>')
    with pytest.raises(P.PageError) as err:
        P.build_pages(str(tmp_path), template_vars={'until': '2026-03-02T14:00:00Z', 'tz': 'Mars/Olympus'})
    assert str(err.value).startswith("unknown time zone 'Mars/Olympus': ")


# ------------------------------------------------------------- marker

def test_marker_is_in_the_body_and_follows_the_inputs(site):
    body = '<html lang="en"><link rel="stylesheet" href="css/style.css"><p>{{ reason }}</p><p>Ref {{ marker }}</p>'
    first = build_one(site, body, template_vars={'reason': 'a'})['pages']['p']
    again = build_one(site, body, template_vars={'reason': 'a'})['pages']['p']
    other = build_one(site, body, template_vars={'reason': 'b'})['pages']['p']
    assert re.match(r'^[0-9a-f]{%d}$' % P.MARKER_LENGTH, first['marker'])
    assert '<p>Ref %s</p>' % first['marker'] in first['body']
    assert P.MARKER_PLACEHOLDER not in first['body']
    assert first['marker'] == again['marker'] and first['body'] == again['body']
    assert other['marker'] != first['marker']
    # an asset change changes the marker too (its fingerprint is in the page)
    write(site, 'img/bg.svg', '<svg xmlns="http://www.w3.org/2000/svg" width="3"/>')
    changed = build_one(site, body, template_vars={'reason': 'a'})['pages']['p']
    assert changed['marker'] != first['marker']
    # and so does the CDN address
    assert build_one(site, body, template_vars={'reason': 'a'}, public_url='https://other.example.com')['pages']['p']['marker'] != changed['marker']


def test_marker_is_appended_when_the_template_has_none(tmp_path):
    write(tmp_path, 'en.html.j2', '<p>hi</p>')
    page = P.build_pages(str(tmp_path))['pages']['en']
    assert page['body'].endswith('<!--%s-->' % page['marker'])


# ------------------------------------------------------------- inlining without a CDN

def test_without_public_url_small_assets_are_inlined(site):
    body = ('<html lang="en"><link rel="stylesheet" href="css/base.css" media="screen">'
            '<img src="img/logo.png" alt="Logo"><div style="background:url(img/bg.svg)"></div>')
    result = build_one(site, body, public_url=None)
    html = result['pages']['p']['body']
    svg = '<svg xmlns="http://www.w3.org/2000/svg"/>'
    svg_uri = 'data:image/svg+xml,%3Csvg%20xmlns=%22http://www.w3.org/2000/svg%22/%3E'
    assert _assets.data_uri('img/bg.svg', svg.encode()) == svg_uri
    assert '<style media="screen">body { background: url(%s) }\n</style>' % svg_uri in html
    assert 'src="data:image/png;base64,%s"' % base64.b64encode(b'\x89PNG fake logo').decode() in html
    assert 'url(%s)' % svg_uri in html.split('<div style="')[1]
    assert 'http' not in html.replace('http://www.w3.org', '')
    assert result['assets'] == []


def test_without_public_url_the_budget_names_the_inline_image(tmp_path):
    write(tmp_path, 'img/photo.jpg', os.urandom(900))
    write(tmp_path, 'en.html.j2', '<html lang="en"><img src="img/photo.jpg" alt="Photo"><p>Back soon</p></html>')
    with pytest.raises(P.PageError) as err:
        P.build_pages(str(tmp_path))
    assert re.match(r"^page 'en' is (\d+) characters, (\d+) over the 1024-character limit of an ALB fixed response; "
                    r"largest parts: inline img/photo\.jpg \(data: URI\) 1223, ", str(err.value))


# ------------------------------------------------------------- pages and selection

def test_pages_are_discovered_and_selected(tmp_path):
    write(tmp_path, 'en.html.j2', '<p>en</p>')
    write(tmp_path, 'ja.html', '<p>ja</p>')
    write(tmp_path, 'notes.txt', 'x')
    write(tmp_path, 'sub/other.html', '<p>not a page: not at the top</p>')
    assert P.discover_pages(str(tmp_path)) == {'en': 'en.html.j2', 'ja': 'ja.html'}
    assert sorted(P.build_pages(str(tmp_path))['pages']) == ['en', 'ja']
    assert list(P.build_pages(str(tmp_path), pages=['ja.html'])['pages']) == ['ja']
    with pytest.raises(P.PageError) as err:
        P.build_pages(str(tmp_path), pages=['en', 'fr'])
    assert str(err.value) == 'pages not found in src: fr (available: en, ja)'
    with pytest.raises(P.PageError) as err:
        P.build_pages(str(tmp_path), page_vars={'fr': {}})
    assert str(err.value) == 'page_vars names pages not in src: fr'


def test_duplicate_and_missing_pages(tmp_path):
    with pytest.raises(P.PageError) as err:
        P.build_pages(str(tmp_path / 'nope'))
    assert str(err.value) == 'src %s is not a directory' % (tmp_path / 'nope')
    with pytest.raises(P.PageError) as err:
        P.build_pages(str(tmp_path))
    assert str(err.value) == 'no pages (*.html, *.html.j2) at the top of src'
    write(tmp_path, 'en.html', 'a')
    write(tmp_path, 'en.html.j2', 'b')
    with pytest.raises(P.PageError) as err:
        P.build_pages(str(tmp_path))
    assert str(err.value) == "page 'en' is defined twice in %s: en.html and en.html.j2" % tmp_path


@pytest.mark.parametrize('source, name, lang', [
    ('<html lang="ja">', 'en', 'ja'),
    ("<HTML class=x LANG='en-GB'>", 'page', 'en-GB'),
    ('<html>', 'ja', 'ja'),
    ('<p>', 'en_us', 'en'),
])
def test_page_lang(source, name, lang):
    assert P.page_lang(source, name) == lang


# ------------------------------------------------------------- the default pages

def test_default_pages_fit_with_realistic_values_and_room_to_spare():
    result = P.build_pages(DEFAULT_PAGES, template_vars=REALISTIC_VARS, page_vars=REALISTIC_PAGE_VARS, public_url=CDN)
    assert sorted(result['pages']) == ['en', 'ja']
    assert result['warnings'] == []
    for name, page in result['pages'].items():
        assert page['chars'] <= 1024
        assert page['room'] == 1024 - page['chars']
        assert page['room'] >= 120, '%s has only %d characters of room' % (name, page['room'])
        assert page['shortened'] is False
    assert sorted(asset.rel for asset in result['assets']) == ['logo.svg', 'style.css']


@pytest.mark.parametrize('name, expected', [
    ('en', ['<html lang=en>', '<meta content=noindex name=robots>', '<meta content=300 http-equiv=refresh>',
            '<h1>Down for maintenance</h1>', 'We are upgrading our database',
            'Expected back: <time datetime=2026-03-02T14:00+00:00>2 March 2026, 14:00 UTC</time>',
            '<a href=https://status.example.com/incidents/2026-03-02>status page</a>',
            '<a href=mailto:support@example.com>support@example.com</a>', 'alt="Example Corp"']),
    ('ja', [u'<html lang=ja>', '<meta content=noindex name=robots>', '<meta content=300 http-equiv=refresh>',
            u'<h1>ただいまメンテナンス中です</h1>', u'データベースのアップグレード',
            u'終了予定: <time datetime=2026-03-02T23:00+09:00>2026年3月2日(月) 23:00 JST</time>',
            u'<a href=https://status.example.com/incidents/2026-03-02>ステータスページ</a>',
            '<a href=mailto:support@example.com>support@example.com</a>', 'alt="Example Corp"']),
])
@pytest.mark.skipif(not _minify.HAS_MINIFY_HTML, reason='the expected strings are minify-html output')
def test_default_pages_content(name, expected):
    page = P.build_pages(DEFAULT_PAGES, template_vars=REALISTIC_VARS, page_vars=REALISTIC_PAGE_VARS, public_url=CDN)['pages'][name]
    for text in expected:
        assert text in page['body']
    assert re.search(r'<link href=%s/style\.[0-9a-f]{8}\.css rel=stylesheet>' % re.escape(CDN), page['body'])
    assert re.search(r'<img alt="Example Corp" height=56 src=%s/logo\.[0-9a-f]{8}\.svg width=56>' % re.escape(CDN), page['body'])
    assert page['marker'] in page['body']
    # the reload keeps the visitor on the URL they asked for: no url= in it
    assert 'url=' not in page['body'].lower()


def test_default_pages_need_a_cdn_and_say_so_without_one():
    # Inlined, the default stylesheet and logo alone are over the budget:
    # the message names them, so a team without a CDN knows what to trim.
    with pytest.raises(P.PageError) as err:
        P.build_pages(DEFAULT_PAGES, pages=['en'])
    assert re.match(r"^page 'en' is \d+ characters, \d+ over the 1024-character limit of an ALB fixed response; "
                    r"largest parts: inline <style> \d+, inline logo.svg \(data: URI\) \d+, ", str(err.value))


def test_default_pages_with_a_very_long_reason_are_shortened():
    result = P.build_pages(DEFAULT_PAGES, template_vars=dict(REALISTIC_VARS, reason='Maintenance. ' * 100),
                           public_url=CDN, shorten_var='reason')
    for page in result['pages'].values():
        assert page['shortened'] is True
        assert 1000 <= page['chars'] <= 1024
        assert P.ELLIPSIS in page['body']
    assert len(result['warnings']) == 2


# ------------------------------------------------------------- minifying

def test_without_minify_html_the_build_fails_naming_the_package(tmp_path, monkeypatch):
    monkeypatch.setattr(_minify, 'HAS_MINIFY_HTML', False)
    monkeypatch.setattr(_minify, 'minify_html', None)
    write(tmp_path, 'en.html', '<p>  hi  </p>')
    with pytest.raises(P.PageError) as err:
        P.build_pages(str(tmp_path))
    assert str(err.value) == _minify.MISSING_LIBRARY
    assert 'pip install minify-html' in str(err.value)
    # minify=false needs no minifier
    result = P.build_pages(str(tmp_path), minify=False)
    assert result['minifier'] is None
    assert result['pages']['en']['body'].startswith('<p>  hi  </p>')


@pytest.mark.skipif(not _minify.HAS_MINIFY_HTML, reason='minify-html is not installed')
def test_the_minifier_is_named(tmp_path):
    write(tmp_path, 'en.html', '<p>  hi  </p>')
    result = P.build_pages(str(tmp_path))
    assert result['minifier'] == 'minify-html'
    assert result['pages']['en']['body'].startswith('<p>hi<!--')
