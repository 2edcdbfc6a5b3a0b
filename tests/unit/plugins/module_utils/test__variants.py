# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import json

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _variants as V
from ansible_collections.sorrypage.aws.plugins.module_utils._budget import count_chars

SHOP = {'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com'], 'languages': {'ja': 'ja', 'en': 'en'}}


def alb_header_match(pattern, value):
    """The ALB's http-header matching: case-insensitive, * and ? wildcards, the whole value."""
    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


# languages

def test_a_language_other_than_the_default_gets_a_rule_on_accept_language():
    (variants,) = V.site_variants([SHOP])
    assert variants == [{'name': 'ja', 'page': 'ja', 'path_patterns': ['/*'], 'content_type': 'text/html',
                         'http_headers': [{'name': 'Accept-Language', 'values': ['ja*']}]}]


@pytest.mark.parametrize('header, japanese', [
    ('ja,en-US;q=0.9', True),
    ('ja', True),
    ('JA-jp,en;q=0.5', True),
    ('en-US,en;q=0.9,ja;q=0.8', False),
    ('en', False),
    ('', False),
])
def test_the_language_value_matches_the_first_preference_only(header, japanese):
    (variants,) = V.site_variants([SHOP])
    values = variants[0]['http_headers'][0]['values']
    assert any(alb_header_match(v, header) for v in values) is japanese


def test_several_languages_of_one_page_share_its_rule_and_order_is_kept():
    entry = {'name': 'shop', 'page': 'en', 'languages': {'ja': 'ja', 'ja-JP': 'ja', 'fr': 'fr', 'en-GB': 'en'}}
    (variants,) = V.site_variants([entry])
    assert [(v['name'], v['http_headers'][0]['values']) for v in variants] == [
        ('ja', ['ja*', 'ja-jp*']), ('fr', ['fr*'])]


def test_a_page_name_that_is_no_rule_token_gets_a_numbered_name():
    entry = {'name': 'shop', 'page': 'en', 'languages': {'ja': 'Japanese_Page', 'de': 'api'}}
    (variants,) = V.site_variants([entry])
    assert [v['name'] for v in variants] == ['lang1', 'lang2']


@pytest.mark.parametrize('languages, message', [
    ({'j a': 'ja'}, "'j a' is not a language tag"),
    ({'ja': ''}, 'languages[ja] must name a page'),
    (['ja'], 'languages must be a dict'),
])
def test_bad_languages_are_refused_naming_the_entry(languages, message):
    with pytest.raises(ValueError) as err:
        V.site_variants([{'name': 'shop', 'page': 'en', 'languages': languages}])
    assert 'sorry_pages[0] (shop)' in str(err.value)
    assert message in str(err.value)


def test_hosts_and_languages_over_five_condition_values_are_refused():
    entry = {'name': 'shop', 'page': 'en', 'hosts': ['a.example', 'b.example', 'c.example'],
             'languages': {'ja': 'ja', 'ja-JP': 'ja'}}
    with pytest.raises(ValueError) as err:
        V.site_variants([entry])
    assert 'the ja rule would have 6 condition values (3 hosts + 1 path + 2 header values)' in str(err.value)
    assert 'at most 5' in str(err.value)


# API clients

def test_api_paths_and_accept_come_first_in_that_order():
    (variants, other) = V.site_variants([SHOP, {'name': 'blog', 'page': 'ja'}],
                                        {'shop': {'paths': ['/api/*', '/v2/*']}})
    assert [v['name'] for v in variants] == ['api', 'json', 'ja']
    assert variants[0] == {'name': 'api', 'page': V.API_PAGE, 'path_patterns': ['/api/*', '/v2/*'],
                           'content_type': 'application/json', 'http_headers': []}
    assert variants[1]['http_headers'] == [{'name': 'Accept', 'values': ['application/json*']}]
    assert other == []


@pytest.mark.parametrize('accept, json_client', [
    ('application/json', True),
    ('application/json, text/plain, */*', True),
    ('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', False),
    ('*/*', False),
])
def test_the_accept_value_catches_api_clients_not_browsers(accept, json_client):
    (variants,) = V.site_variants([{'name': 'shop', 'page': 'en'}], {'shop': {}})
    assert alb_header_match(variants[0]['http_headers'][0]['values'][0], accept) is json_client


def test_accept_json_off_leaves_the_paths_only():
    (variants,) = V.site_variants([{'name': 'shop', 'page': 'en'}], {'shop': {'paths': ['/api/*'], 'accept_json': 'no'}})
    assert [v['name'] for v in variants] == ['api']


@pytest.mark.parametrize('api, message', [
    ({'nope': {}}, 'sorry_api[nope]: no sorry_pages entry is named nope (entries: shop)'),
    ({'shop': {'paths': 'api'}}, 'sorry_api[shop].paths must be a list'),
    ({'shop': {'paths': ['api/*']}}, "'api/*' is not a path pattern"),
    ({'shop': {'paths': [], 'accept_json': False}}, 'has neither paths nor accept_json'),
    ({'shop': {'accept_json': 'maybe'}}, 'accept_json must be true or false'),
    ({'shop': {'path': ['/api/*']}}, 'unknown key path'),
    (['shop'], 'sorry_api must be a dict'),
])
def test_bad_api_settings_are_refused(api, message):
    with pytest.raises(ValueError) as err:
        V.site_variants([{'name': 'shop', 'page': 'en'}], api)
    assert message in str(err.value)


def test_api_paths_beside_many_hosts_over_five_values_are_refused():
    entry = {'name': 'shop', 'page': 'en', 'hosts': ['a.example', 'b.example', 'c.example', 'd.example']}
    with pytest.raises(ValueError) as err:
        V.site_variants([entry], {'shop': {'paths': ['/api/*', '/v2/*'], 'accept_json': False}})
    assert 'the api rule would have 6 condition values (4 hosts + 2 paths)' in str(err.value)


# the JSON body

def test_the_json_body_parses_and_says_why_and_until():
    page = V.api_page('DB migration', '2026-12-02T10:00:00+09:00', 'https://status.example.com')
    doc = json.loads(page['body'])
    assert doc == {'status': 503, 'error': 'maintenance', 'message': 'DB migration', 'until': '2026-12-02T10:00:00+09:00',
                   'status_url': 'https://status.example.com', 'ref': page['marker']}
    assert list(doc) == ['status', 'error', 'message', 'until', 'status_url', 'ref']
    assert page['content_type'] == 'application/json'
    assert page['chars'] == count_chars(page['body']) and page['room'] == 1024 - page['chars']
    assert not page['shortened']


def test_the_json_body_has_nulls_and_a_default_message_when_nothing_is_given():
    doc = json.loads(V.api_page('', '', '')['body'])
    assert doc['message'] == V.DEFAULT_MESSAGE and doc['until'] is None and doc['status_url'] is None


def test_the_marker_changes_with_the_body():
    assert V.api_page('a')['marker'] != V.api_page('b')['marker']
    assert V.api_page('a')['marker'] == V.api_page('a')['marker']


def test_a_long_reason_is_shortened_to_fit_and_stays_valid_json():
    reason = u'\u30e1\u30f3\u30c6\u30ca\u30f3\u30b9 "quoted" ' * 80
    page = V.api_page(reason, '2026-12-02T10:00:00Z')
    doc = json.loads(page['body'])
    assert page['shortened'] and page['chars'] <= 1024
    assert doc['message'].endswith(u'\u2026') and reason.startswith(doc['message'][:-1].rstrip())
    assert page['room'] < 20     # as much of the reason as fits


def test_api_pages_only_when_an_api_is_set():
    assert V.api_pages({}, 'x') == {}
    assert list(V.api_pages({'shop': {}}, 'x')) == [V.API_PAGE]


# what is built and put on

def test_pages_used_and_markers_used_cover_every_language_and_the_json():
    pages = [SHOP, {'name': 'blog', 'page': 'ja', 'languages': {'fr': 'fr'}}]
    assert V.pages_used(pages) == ['en', 'ja', 'fr']
    rendered = {'en': {'marker': 'a'}, 'ja': {'marker': 'b'}, 'fr': {'marker': 'c'}, V.API_PAGE: {'marker': 'd'}}
    assert V.markers_used(pages, rendered) == ['a', 'b', 'c']
    assert V.markers_used(pages, rendered, {'shop': {}}) == ['a', 'b', 'c', 'd']
