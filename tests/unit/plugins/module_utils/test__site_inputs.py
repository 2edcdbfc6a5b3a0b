# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _site_inputs as S

ARN = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/app/0123456789abcdef'
PAGES = [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com', 'www.shop.example.com']},
         {'name': 'blog', 'page': 'ja', 'hosts': ['blog.example.com']},
         {'name': 'rest', 'page': 'en'}]
RENDERED = {'en': {'body': '<p>sorry</p>', 'marker': 'm-en'}, 'ja': {'body': '<p>gomen</p>', 'marker': 'm-ja'}}
SORRY_SETS = [
    {'kind': 'sorry', 'name': 'shop', 'host_headers': ['shop.example.com', 'www.shop.example.com'],
     'content': '<p>sorry</p>', 'tags': {'sorrypage:page': 'en', 'sorrypage:marker': 'm-en'}},
    {'kind': 'sorry', 'name': 'blog', 'host_headers': ['blog.example.com'],
     'content': '<p>gomen</p>', 'tags': {'sorrypage:page': 'ja', 'sorrypage:marker': 'm-ja'}},
    {'kind': 'sorry', 'name': 'rest', 'host_headers': [],
     'content': '<p>sorry</p>', 'tags': {'sorrypage:page': 'en', 'sorrypage:marker': 'm-en'}},
]


def bypass(source_ips=(), by_header=False, mirror=False, arn=None):
    return {'kind': 'bypass', 'name': 'bypass', 'host_headers': [], 'path_patterns': [], 'source_ips': list(source_ips),
            'use_http_headers': by_header, 'mirror': mirror, 'target_group_arn': arn}


# site_rule_sets

def test_passthrough_per_page_entry_then_bypass_then_sorry():
    paths = ['/healthz', '/.well-known/acme-challenge/*']
    sets = S.site_rule_sets(PAGES, RENDERED, bypass_cidrs=['203.0.113.0/24'], bypass_header_names=['X-Office'],
                            bypass_target_group_arn=ARN, passthrough_paths=paths)
    passthrough = [
        {'kind': 'bypass', 'name': 'passthrough-shop', 'host_headers': ['shop.example.com', 'www.shop.example.com'],
         'path_patterns': paths, 'source_ips': [], 'use_http_headers': False, 'mirror': False, 'target_group_arn': ARN},
        {'kind': 'bypass', 'name': 'passthrough-blog', 'host_headers': ['blog.example.com'],
         'path_patterns': paths, 'source_ips': [], 'use_http_headers': False, 'mirror': False, 'target_group_arn': ARN},
        {'kind': 'bypass', 'name': 'passthrough-rest', 'host_headers': [],
         'path_patterns': paths, 'source_ips': [], 'use_http_headers': False, 'mirror': False, 'target_group_arn': ARN},
    ]
    assert sets == passthrough + [bypass(['203.0.113.0/24'], True, False, ARN)] + SORRY_SETS


def test_passthrough_without_bypass_and_without_target_group():
    sets = S.site_rule_sets(PAGES[:1], RENDERED, passthrough_paths=['/healthz'])
    assert sets == [
        {'kind': 'bypass', 'name': 'passthrough-shop', 'host_headers': ['shop.example.com', 'www.shop.example.com'],
         'path_patterns': ['/healthz'], 'source_ips': [], 'use_http_headers': False, 'mirror': False,
         'target_group_arn': None},
        SORRY_SETS[0]]


def test_no_bypass_no_passthrough_gives_sorry_sets_only():
    assert S.site_rule_sets(PAGES, RENDERED) == SORRY_SETS


def test_header_only_bypass():
    assert S.site_rule_sets(PAGES, RENDERED, bypass_header_names=['X-Office', 'X-Office'])[0] == bypass([], True)


def test_cidr_only_bypass():
    assert S.site_rule_sets(PAGES, RENDERED, bypass_cidrs=['10.0.0.0/8', '2001:db8::/32'])[0] == \
        bypass(['10.0.0.0/8', '2001:db8::/32'], False)


@pytest.mark.parametrize('mirror, arn, want_mirror, want_arn', [
    (False, '', False, None),
    (False, ARN, False, ARN),
    (True, '', True, None),
    (True, ARN, True, None),
    ('auto', '', 'auto', None),
    ('auto', ARN, False, ARN),
    ('AUTO', None, 'auto', None),
    ('true', '', True, None),
    ('yes', ARN, True, None),
    ('false', ARN, False, ARN),
    (None, ARN, False, ARN),
])
def test_mirror_and_target_group(mirror, arn, want_mirror, want_arn):
    sets = S.site_rule_sets(PAGES[:1], RENDERED, bypass_cidrs=['10.0.0.0/8'], bypass_target_group_arn=arn,
                            bypass_mirror=mirror)
    assert sets == [bypass(['10.0.0.0/8'], False, want_mirror, want_arn), SORRY_SETS[0]]


def test_mirror_auto_does_not_touch_passthrough_sets():
    sets = S.site_rule_sets(PAGES[:1], RENDERED, bypass_cidrs=['10.0.0.0/8'], bypass_mirror='auto',
                            passthrough_paths=['/healthz'])
    assert [(s['name'], s['mirror'], s['target_group_arn']) for s in sets[:2]] == [
        ('passthrough-shop', False, None), ('bypass', 'auto', None)]


def test_rendered_page_without_body_or_marker_gives_empty_strings():
    sets = S.site_rule_sets([{'name': 'x', 'page': 'en', 'hosts': None}], {'en': {}})
    assert sets == [{'kind': 'sorry', 'name': 'x', 'host_headers': [], 'content': '',
                     'tags': {'sorrypage:page': 'en', 'sorrypage:marker': ''}}]


def test_the_result_does_not_share_the_input_lists():
    pages = [{'name': 'shop', 'page': 'en', 'hosts': ['a.example.com']}]
    paths = ['/healthz']
    sets = S.site_rule_sets(pages, RENDERED, passthrough_paths=paths)
    sets[0]['host_headers'].append('b')
    sets[0]['path_patterns'].append('/x')
    sets[1]['host_headers'].append('c')
    assert pages[0]['hosts'] == ['a.example.com'] and paths == ['/healthz']


@pytest.mark.parametrize('pages, rendered, message', [
    ([{'name': 'shop', 'page': 'de'}, {'name': 'blog', 'page': 'fr'}, {'name': 'x', 'page': 'de'}], RENDERED,
     'no rendered page for de, fr (sorry_rendered_pages has en, ja)'),
    ([{'name': 'shop', 'page': 'en'}], {}, 'no rendered page for en (sorry_rendered_pages has none)'),
    ([{'name': 'shop', 'page': 'en'}], None, 'no rendered page for en (sorry_rendered_pages has none)'),
    ([{'name': 'shop', 'page': 'en'}, {'name': 'blog', 'page': 'ja'}, {'name': 'shop', 'page': 'ja'}], RENDERED,
     'sorry_pages names must be unique, got shop, blog, shop (shop more than once)'),
    ([{'name': 'a', 'page': 'en'}, {'name': 'a', 'page': 'de'}], RENDERED,
     'sorry_pages names must be unique, got a, a (a more than once); '
     'no rendered page for de (sorry_rendered_pages has en, ja)'),
    ([{'page': 'en'}, {'name': 'blog'}, {'name': '', 'page': ''}], RENDERED,
     'sorry_pages[0] has no name; sorry_pages[1] has no page (name blog); '
     'sorry_pages[2] has no name; sorry_pages[2] has no page'),
    (['en'], RENDERED, 'sorry_pages[0] must be a dict with name and page, got str'),
    ({'name': 'shop', 'page': 'en'}, RENDERED, 'sorry_pages must be a list of {name, page, hosts}, got dict'),
    ([{'name': 'shop', 'page': 'en'}], ['en'],
     'sorry_rendered_pages must be a dict of page name to rendered page, got list'),
])
def test_bad_pages_are_refused(pages, rendered, message):
    with pytest.raises(ValueError) as caught:
        S.site_rule_sets(pages, rendered, bypass_cidrs=['10.0.0.0/8'])
    assert str(caught.value) == message


def test_bad_mirror_is_refused_with_the_page_problems():
    with pytest.raises(ValueError) as caught:
        S.site_rule_sets([{'name': 'shop', 'page': 'de'}], RENDERED, bypass_mirror='sometimes')
    assert str(caught.value) == ("no rendered page for de (sorry_rendered_pages has en, ja); "
                                 "sorry_bypass_mirror must be true, false or auto, got 'sometimes'")


# http_headers

def test_headers_grouped_by_name_sorted_values_in_order():
    headers = [{'name': 'X-Office', 'value': 's1'}, {'name': 'X-Alpha', 'value': 'a1'},
               {'name': 'X-Office', 'value': 's2'}]
    assert S.http_headers(headers) == [{'name': 'X-Alpha', 'values': ['a1']},
                                       {'name': 'X-Office', 'values': ['s1', 's2']}]


@pytest.mark.parametrize('headers', [[], None])
def test_no_headers(headers):
    assert S.http_headers(headers) == []


def test_bad_headers_are_refused_without_their_values():
    headers = [{'name': 'X-Office'}, {'value': 'topsecret'}, {'name': 'X-B', 'value': ''}, 'X-C: topsecret']
    with pytest.raises(ValueError) as caught:
        S.http_headers(headers)
    assert str(caught.value) == ('sorry_bypass_headers[0] (X-Office) has no value; sorry_bypass_headers[1] has no name; '
                                 'sorry_bypass_headers[2] (X-B) has no value; '
                                 'sorry_bypass_headers[3] must be a dict with name and value')
    assert 'topsecret' not in str(caught.value)


def test_headers_not_a_list_are_refused():
    with pytest.raises(ValueError, match='^sorry_bypass_headers must be a list of {name, value}, got dict$'):
        S.http_headers({'name': 'X-Office', 'value': 'topsecret'})


# input_warnings

@pytest.mark.parametrize('cidrs, headers, expected', [
    ([], [], ['no bypass (sorry_bypass_cidrs, sorry_bypass_headers): internal users get the Sorry page too']),
    (None, None, ['no bypass (sorry_bypass_cidrs, sorry_bypass_headers): internal users get the Sorry page too']),
    (['10.0.0.0/8'], [], []),
    ([], [{'name': 'X-Office', 'value': 's'}], []),
])
def test_input_warnings(cidrs, headers, expected):
    assert S.input_warnings(cidrs, headers) == expected


# info_tags

@pytest.mark.parametrize('operator, reason, until, extra, expected', [
    ('alice', 'db upgrade', '2026-03-02T14:00:00Z', None,
     {'sorrypage:by': 'alice', 'sorrypage:why': 'db upgrade', 'sorrypage:until': '2026-03-02T14:00:00Z'}),
    ('alice', '', None, {}, {'sorrypage:by': 'alice'}),
    ('', '', '', None, {}),
    ('alice', 'db', '', {'sorrypage:lbc': 'paused', 'sorrypage:by': 'awx'},
     {'sorrypage:by': 'awx', 'sorrypage:why': 'db', 'sorrypage:lbc': 'paused'}),
])
def test_info_tags(operator, reason, until, extra, expected):
    assert S.info_tags(operator, reason, until, extra) == expected


# preview_plan / preview_report

def listener(port, protocol, redirect_only=False, owned=()):
    return {'port': port, 'protocol': protocol, 'arn': 'arn:listener/%d' % port, 'redirect_only': redirect_only,
            'owned_rules': [{'kind': kind, 'name': name} for kind, name in owned]}


def info(listeners, managed=False):
    return {'load_balancer': {'name': 'k8s-shop-main', 'controller_managed': managed,
                              'cluster_name': 'prod' if managed else None},
            'listeners': listeners}


def item(port, protocol, name, page='', hosts=(), state='present', make_room=False):
    return {'port': port, 'protocol': protocol, 'listener_arn': 'arn:listener/%d' % port, 'name': name, 'page': page,
            'hosts': list(hosts), 'state': state, 'make_room': make_room}


TWO_PAGES = [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com']}, {'name': 'blog', 'page': 'ja'}]


def test_preview_on_every_listener_that_does_more_than_redirect():
    found = info([listener(80, 'HTTP', redirect_only=True), listener(443, 'HTTPS'), listener(8443, 'HTTPS')])
    assert S.preview_plan(found, TWO_PAGES, '/_p') == [
        item(443, 'HTTPS', 'preview-shop', 'en', ['shop.example.com']), item(443, 'HTTPS', 'preview-blog', 'ja'),
        item(8443, 'HTTPS', 'preview-shop', 'en', ['shop.example.com']), item(8443, 'HTTPS', 'preview-blog', 'ja')]


def test_preview_on_the_listeners_asked_for_even_redirect_only():
    found = info([listener(80, 'HTTP', redirect_only=True)])
    assert S.preview_plan(found, TWO_PAGES[1:], '/_p', listener_ports=[80]) == [item(80, 'HTTP', 'preview-blog', 'ja')]


def test_previews_not_wanted_any_more_are_removed_on_every_listener():
    found = info([listener(80, 'HTTP', redirect_only=True, owned=[('preview', 'preview-old')]),
                  listener(443, 'HTTPS', owned=[('sorry', 'shop'), ('preview', 'preview-shop'), ('preview', 'preview-old'),
                                                ('preview', 'preview-old')])])
    assert S.preview_plan(found, TWO_PAGES[:1], '/_p') == [
        item(443, 'HTTPS', 'preview-shop', 'en', ['shop.example.com']),
        item(80, 'HTTP', 'preview-old', state='absent'),
        item(443, 'HTTPS', 'preview-old', state='absent')]


def test_empty_path_removes_every_preview():
    found = info([listener(443, 'HTTPS', owned=[('preview', 'preview-shop'), ('bypass', 'bypass')])])
    assert S.preview_plan(found, TWO_PAGES, '') == [item(443, 'HTTPS', 'preview-shop', state='absent')]


@pytest.mark.parametrize('managed', [True, 'true'])
def test_no_preview_on_a_controller_managed_alb_and_old_ones_removed(managed):
    found = info([listener(443, 'HTTPS', owned=[('preview', 'preview-shop')])], managed=managed)
    assert S.preview_plan(found, TWO_PAGES, '/_p') == [item(443, 'HTTPS', 'preview-shop', state='absent')]


def test_nothing_to_do_with_previews():
    assert S.preview_plan(info([listener(443, 'HTTPS')]), TWO_PAGES, '') == []


def test_report_on_a_controller_managed_alb():
    assert S.preview_report(info([], managed=True), [], '/_p') == [
        'no preview: k8s-shop-main is managed by the AWS Load Balancer Controller (cluster prod), which deletes rules it '
        'did not create, so a preview rule put on the ALB directly would last only until its next reconcile; with the '
        'controller running the Ingress driver installs the preview through the Ingress (sorry_driver auto or ingress), '
        'or look at the built page under the preview/ prefix of the assets bucket']


def test_report_on_a_controller_managed_alb_without_cluster_tag():
    found = {'load_balancer': {'name': 'shop', 'controller_managed': True, 'cluster_name': None}, 'listeners': []}
    assert S.preview_report(found, [], '/_p')[0].startswith(
        'no preview: shop is managed by the AWS Load Balancer Controller (cluster ?), which')


def test_report_lists_the_plan():
    plan = [item(443, 'HTTPS', 'preview-shop', 'en'), item(80, 'HTTP', 'preview-old', state='absent')]
    assert S.preview_report(info([]), plan, '/_p') == ['preview rule preview-shop present HTTPS 443 (path /_p)',
                                                       'preview rule preview-old absent HTTP 80 (path /_p)']
    assert S.preview_report(info([]), plan[1:], '') == ['preview rule preview-old absent HTTP 80 (path -)']


@pytest.mark.parametrize('found', [info([]), info([], managed=True)])
def test_report_nothing(found):
    assert S.preview_report(found, [], '') == ['preview rules: none']


@pytest.mark.parametrize('make_room, expected', [('auto', False), ('true', True), (True, True), ('false', False)])
def test_preview_make_room_follows_sorry_make_room_auto_meaning_no_room_without_a_controller(make_room, expected):
    plan = S.preview_plan(info([listener(443, 'HTTPS')]), TWO_PAGES[:1], '/_p', make_room=make_room)
    assert plan and all(entry['make_room'] is expected for entry in plan)


def test_preview_make_room_must_be_auto_or_a_boolean():
    found = info([listener(443, 'HTTPS')])
    with pytest.raises(ValueError) as raised:
        S.preview_plan(found, TWO_PAGES[:1], '/_p', make_room='sometimes')
    assert str(raised.value) == "sorry_make_room must be true, false or auto, got 'sometimes'"


# variants: languages and API clients

def test_variant_sets_go_in_front_of_their_entrys_default_sorry_set():
    pages = [{'name': 'shop', 'page': 'en', 'hosts': ['shop.example.com'], 'languages': {'ja': 'ja'}},
             {'name': 'rest', 'page': 'en'}]
    rendered = dict(RENDERED, **{'api.json': {'body': '{"status":503}', 'marker': 'm-api'}})
    sets = S.site_rule_sets(pages, rendered, api={'shop': {'paths': ['/api/*']}})
    assert [one['name'] for one in sets] == ['shop-api', 'shop-json', 'shop-ja', 'shop', 'rest']
    api, accept, ja = sets[:3]
    assert api == {'kind': 'sorry', 'name': 'shop-api', 'host_headers': ['shop.example.com'], 'content': '{"status":503}',
                   'path_patterns': ['/api/*'], 'content_type': 'application/json', 'match_headers': [],
                   'tags': {'sorrypage:page': 'api.json', 'sorrypage:marker': 'm-api'}}
    assert accept['match_headers'] == [{'name': 'Accept', 'values': ['application/json*']}]
    assert ja['content'] == '<p>gomen</p>' and ja['content_type'] == 'text/html'
    assert ja['match_headers'] == [{'name': 'Accept-Language', 'values': ['ja*']}]
    assert ja['tags'] == {'sorrypage:page': 'ja', 'sorrypage:marker': 'm-ja'}
    assert 'match_headers' not in sets[3]


def test_a_language_page_not_built_is_refused():
    pages = [{'name': 'shop', 'page': 'en', 'languages': {'fr': 'fr'}}]
    with pytest.raises(ValueError) as err:
        S.site_rule_sets(pages, RENDERED)
    assert 'no rendered page for fr' in str(err.value)


def test_an_api_without_its_json_page_is_refused():
    with pytest.raises(ValueError) as err:
        S.site_rule_sets([{'name': 'shop', 'page': 'en'}], RENDERED, api={'shop': {}})
    assert 'the JSON page (api.json) was not built' in str(err.value)


def test_an_entry_named_like_anothers_variant_is_refused():
    pages = [{'name': 'shop', 'page': 'en', 'languages': {'ja': 'ja'}}, {'name': 'shop-ja', 'page': 'ja', 'hosts': ['x']}]
    with pytest.raises(ValueError) as err:
        S.site_rule_sets(pages, RENDERED)
    assert 'the rule names shop-ja are given twice' in str(err.value)


# behind CloudFront: the office by CloudFront-Viewer-Address, with the origin header

def test_behind_cloudfront_the_cidrs_become_viewer_address_values_that_require_the_origin_header():
    sets = S.site_rule_sets([{'name': 'shop', 'page': 'en'}], RENDERED, bypass_cidrs=['203.0.113.0/24', '198.51.100.7/32'],
                            bypass_header_names=['X-Office'], bypass_target_group_arn=ARN, bypass_viewer_header=True,
                            origin_header_name='X-Origin-Verify')
    assert sets[:2] == [
        bypass(by_header=True, arn=ARN),
        {'kind': 'bypass', 'name': 'bypass-viewer', 'host_headers': [], 'path_patterns': [], 'source_ips': [],
         'use_http_headers': False, 'mirror': False, 'target_group_arn': ARN, 'use_origin_header': True,
         'match_headers': [{'name': 'CloudFront-Viewer-Address', 'values': ['203.0.113.*', '198.51.100.7:*']}]}]


def test_the_viewer_bypass_without_the_origin_header_or_with_a_cidr_it_cannot_write_is_refused():
    with pytest.raises(ValueError) as err:
        S.site_rule_sets([{'name': 'shop', 'page': 'en'}], RENDERED, bypass_cidrs=['203.0.113.0/24'],
                         bypass_viewer_header=True)
    assert 'sorry_bypass_viewer_header needs sorry_cloudfront_origin_header' in str(err.value)
    assert 'forge CloudFront-Viewer-Address' in str(err.value)
    with pytest.raises(ValueError) as err:
        S.site_rule_sets([{'name': 'shop', 'page': 'en'}], RENDERED, bypass_cidrs=['2001:db8::/32'],
                         bypass_viewer_header=True, origin_header_name='X-Origin-Verify')
    assert "sorry_bypass_cidrs: '2001:db8::/32'" in str(err.value)


def test_without_the_viewer_header_the_cidrs_stay_source_ips():
    sets = S.site_rule_sets([{'name': 'shop', 'page': 'en'}], RENDERED, bypass_cidrs=['203.0.113.0/24'],
                            bypass_viewer_header='false', origin_header_name='X-Origin-Verify')
    assert sets[0] == bypass(source_ips=['203.0.113.0/24'])


def test_stale_sets_are_ours_no_longer_wanted_sorry_first():
    def owned(kind, name, made_by='sorrypage'):
        return {'kind': kind, 'name': name, 'made_by': made_by}
    site = {'listeners': [
        {'owned_rules': [owned('bypass', 'bypass'), owned('bypass', 'passthrough-shop'), owned('sorry', 'shop-ja'),
                         owned('sorry', 'shop'), owned('preview', 'preview-shop'), owned('sorry', 'ingress-x', 'controller')]},
        {'owned_rules': [owned('sorry', 'shop-ja'), owned('sorry', 'shop')]}]}
    wanted = [{'kind': 'bypass', 'name': 'bypass'}, {'kind': 'sorry', 'name': 'shop'}]
    assert S.stale_sets(site, wanted) == [{'kind': 'sorry', 'name': 'shop-ja'}, {'kind': 'bypass', 'name': 'passthrough-shop'}]
    assert S.stale_sets(site, wanted + [{'kind': 'sorry', 'name': 'shop-ja'}, {'kind': 'bypass', 'name': 'passthrough-shop'}]) == []
    assert S.stale_sets(None, wanted) == []
