# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _cloudfront as C

ALB = 'k8s-shop-main-1234567890.us-east-1.elb.amazonaws.com'
OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6'
DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad'
ALL_VIEWER = '216adef6-5c7f-47e4-b989-5492eafa07d3'
ALL_VIEWER_CF = '33f36d7e-f396-46d9-90e0-52428a34d9dc'
EXCEPT_HOST = 'b689b0a8-53d0-40ab-baf2-68738e2966ac'
CUSTOM_CACHE = 'aaaaaaaa-0000-0000-0000-000000000001'
CUSTOM_REQUEST = 'bbbbbbbb-0000-0000-0000-000000000002'


def behavior(origin='alb', cache=OPTIMIZED, request=None, path=None, legacy_headers=None, max_ttl=None):
    out = {'TargetOriginId': origin}
    if path:
        out['PathPattern'] = path
    if cache:
        out['CachePolicyId'] = cache
        out['OriginRequestPolicyId'] = request or ''
    else:
        fwd = {'QueryString': False, 'Cookies': {'Forward': 'none'}}
        if legacy_headers is not None:
            fwd['Headers'] = {'Quantity': len(legacy_headers), 'Items': legacy_headers}
        out.update(ForwardedValues=fwd, MinTTL=0, DefaultTTL=86400, MaxTTL=31536000 if max_ttl is None else max_ttl)
    return out


def dist(did='E1', domain=ALB, default=None, behaviors=(), errors=(), headers=(), origins=None, aliases=()):
    items = [{'HeaderName': n, 'HeaderValue': 'v-%s' % n} for n in headers]
    origin = {'Id': 'alb', 'DomainName': domain, 'CustomHeaders': {'Quantity': len(items), 'Items': items}}
    return {
        'Id': did, 'DomainName': '%s.cloudfront.net' % did.lower(),
        'Aliases': {'Quantity': len(aliases), 'Items': list(aliases)},
        'Origins': {'Quantity': 1, 'Items': origins if origins is not None else [origin]},
        'DefaultCacheBehavior': default or behavior(),
        'CacheBehaviors': {'Quantity': len(behaviors), 'Items': list(behaviors)},
        'CustomErrorResponses': {'Quantity': len(errors), 'Items': list(errors)},
    }


def run(summaries, **kwargs):
    return C.report(summaries, ALB, **kwargs)


def only(summary, **kwargs):
    out = run([summary], **kwargs)
    [entry] = out['distributions']
    return entry, out['warnings']


def one(summary, **kwargs):
    return only(summary, **kwargs)[0]


def warned(summary, **kwargs):
    return only(summary, **kwargs)[1]


def about(warnings, text):
    return [w for w in warnings if text in w]


# ---------------------------------------------------------------- matching


@pytest.mark.parametrize('domain', [ALB, ALB.upper(), ALB + '.', 'dualstack.' + ALB, 'DualStack.%s.' % ALB])
def test_origin_matches_the_alb_dns_name(domain):
    assert C.origin_is_alb(domain, ALB)
    out = run([dist(domain=domain)])
    assert out['in_front'] is True and [d['id'] for d in out['distributions']] == ['E1']


@pytest.mark.parametrize('domain', ['other.us-east-1.elb.amazonaws.com', 'shop.example.com', 'x' + ALB, ''])
def test_other_origins_are_not_in_front(domain):
    assert not C.origin_is_alb(domain, ALB)
    assert run([dist(domain=domain)]) == {'distributions': [], 'warnings': [], 'in_front': False}


def test_no_alb_dns_name_matches_nothing():
    assert not C.origin_is_alb('', '')
    assert C.report([dist()], None)['in_front'] is False


def test_distribution_ids_take_a_cname_origin_by_its_default_behavior():
    cname = {'Id': 'app', 'DomainName': 'origin.shop.example.com'}
    other = {'Id': 's3', 'DomainName': 'assets.s3.amazonaws.com'}
    summary = dist(did='E2', origins=[other, cname], default=behavior(origin='app'))
    assert run([summary])['in_front'] is False
    entry = one(summary, distribution_ids=['E2'])
    assert entry['origin_id'] == 'app' and entry['behaviors'][0]['path_pattern'] == '*'


def test_distribution_ids_with_a_default_behavior_on_no_origin_takes_the_first():
    summary = dist(did='E2', origins=[{'Id': 'first', 'DomainName': 'a.example.com'}], default=behavior(origin='gone'))
    entry = one(summary, distribution_ids=['E2'])
    assert entry['origin_id'] == 'first' and entry['behaviors'] == []


def test_distribution_ids_without_origins_is_not_in_front():
    summary = dist(did='E2', origins=[])
    assert run([summary], distribution_ids=['E2'])['distributions'] == []


def test_an_id_not_listed_is_a_warning():
    out = run([dist()], distribution_ids=['E1', 'EMISSING'])
    assert [d['id'] for d in out['distributions']] == ['E1']
    assert out['warnings'][0] == ("CloudFront distribution EMISSING (distribution_ids) is not in this account's "
                                  "ListDistributions; fix: check the id, or drop it from distribution_ids")


def test_the_alb_origin_wins_over_the_default_behaviors_origin():
    s3 = {'Id': 's3', 'DomainName': 'assets.s3.amazonaws.com'}
    alb = {'Id': 'alb', 'DomainName': ALB}
    summary = dist(origins=[s3, alb], default=behavior(origin='s3'),
                   behaviors=[behavior(path='/api/*'), behavior(origin='s3', path='/static/*')])
    entry = one(summary, distribution_ids=['E1'])
    assert entry['origin_id'] == 'alb'
    assert [b['path_pattern'] for b in entry['behaviors']] == ['/api/*']


def test_entry_shape_and_header_values_never_returned():
    summary = dist(aliases=['shop.example.com'], headers=['X-Origin-Verify'],
                   behaviors=[behavior(path='/api/*', cache=DISABLED, request=ALL_VIEWER)])
    entry = one(summary)
    assert entry == {
        'id': 'E1', 'domain_name': 'e1.cloudfront.net', 'aliases': ['shop.example.com'], 'origin_id': 'alb',
        'error_caching_min_ttl_503': 10, 'custom_error_page_503': None,
        'cache_key_headers': [], 'forwarded_headers': ['*'], 'origin_custom_header_names': ['X-Origin-Verify'],
        'behaviors': [
            {'path_pattern': '*', 'caching': True, 'cache_policy_id': OPTIMIZED, 'origin_request_policy_id': None,
             'cache_key_headers': [], 'forwarded_headers': []},
            {'path_pattern': '/api/*', 'caching': False, 'cache_policy_id': DISABLED,
             'origin_request_policy_id': ALL_VIEWER, 'cache_key_headers': [], 'forwarded_headers': ['*']}]}
    assert 'v-X-Origin-Verify' not in repr(entry)


# ---------------------------------------------------------------- policies to read


def test_policies_to_read_skips_managed_ones_and_repeats():
    one = dist(did='E1', default=behavior(cache=CUSTOM_CACHE, request=CUSTOM_REQUEST),
               behaviors=[behavior(path='/a', cache=CUSTOM_CACHE, request=ALL_VIEWER_CF),
                          behavior(origin='s3', path='/s3', cache='cccccccc-0000-0000-0000-000000000003')])
    two = dist(did='E2', default=behavior(cache=OPTIMIZED, request=CUSTOM_REQUEST))
    found, missing = C.in_front([one, two], ALB)
    assert missing == []
    assert C.policies_to_read(found) == ([CUSTOM_CACHE], [CUSTOM_REQUEST])


def test_policies_to_read_legacy_behaviors_need_none():
    found = C.in_front([dist(default=behavior(cache=None, legacy_headers=['Accept']))], ALB)[0]
    assert C.policies_to_read(found) == ([], [])


# ---------------------------------------------------------------- 503 handling


def test_default_503_is_cached_10_seconds():
    entry, warnings = only(dist())
    assert entry['error_caching_min_ttl_503'] == 10 and entry['custom_error_page_503'] is None
    assert about(warnings, 'error caching minimum TTL') == [
        'CloudFront E1: a 503 is cached for the error caching minimum TTL (10 s), so the Sorry page can linger up to '
        '10 s after off; fix: lower ErrorCachingMinTTL for 503 (custom error response, no page) or set '
        'sorry_cloudfront_invalidate: true']


def test_503_with_ttl_zero_and_no_page_says_nothing_about_503():
    entry, warnings = only(dist(errors=[{'ErrorCode': 503, 'ErrorCachingMinTTL': 0},
                                        {'ErrorCode': 404, 'ResponsePagePath': '/404.html', 'ErrorCachingMinTTL': 300}]))
    assert entry['error_caching_min_ttl_503'] == 0 and entry['custom_error_page_503'] is None
    assert about(warnings, '503') == []


def test_503_without_ttl_in_its_custom_response_is_the_default():
    entry = one(dist(errors=[{'ErrorCode': 503, 'ResponsePagePath': ''}]))
    assert entry['error_caching_min_ttl_503'] == 10 and entry['custom_error_page_503'] is None


def test_custom_503_page_replaces_ours():
    entry, warnings = only(dist(errors=[{'ErrorCode': 503, 'ResponsePagePath': '/errors/503.html', 'ResponseCode': '503',
                                         'ErrorCachingMinTTL': 300}]))
    assert entry['error_caching_min_ttl_503'] == 300 and entry['custom_error_page_503'] == '/errors/503.html'
    assert about(warnings, 'serves') == [
        'CloudFront E1: a custom error response for 503 serves /errors/503.html instead of the Sorry page; fix: '
        'remove the 503 custom error response from the distribution']
    assert about(warnings, '(300 s)')


# ---------------------------------------------------------------- cached 200 pages


def test_caching_behaviors_warn_about_cached_200_pages():
    warnings = warned(dist(behaviors=[behavior(path='/api/*', cache=DISABLED), behavior(path='/img/*')]))
    assert about(warnings, '200') == [
        'CloudFront E1: behaviors *, /img/* cache 200 pages: cached pages keep being served after on, and bypassed 200 '
        'responses can be cached and served to the public during the window; fix: sorry_cloudfront_invalidate: true '
        '(invalidates /* after on and after off)']


def test_one_caching_behavior_is_said_in_the_singular():
    warnings = warned(dist())
    assert about(warnings, '200')[0].startswith('CloudFront E1: behavior * caches 200 pages: ')


@pytest.mark.parametrize('default', [behavior(cache=DISABLED), behavior(cache=None, max_ttl=0),
                                     behavior(cache=None, legacy_headers=['*'])], ids=['disabled', 'ttl0', 'legacy-all'])
def test_behaviors_that_cache_nothing_do_not_warn_about_200(default):
    entry, warnings = only(dist(default=default))
    assert entry['behaviors'][0]['caching'] is False
    assert about(warnings, '200') == []


def test_custom_cache_policy_caching_follows_max_ttl():
    off = C.cache_policy_entry({'CachePolicyConfig': {'MinTTL': 0, 'DefaultTTL': 0, 'MaxTTL': 0}})
    on = C.cache_policy_entry({'CachePolicyConfig': {'MinTTL': 0, 'DefaultTTL': 60, 'MaxTTL': 600}})
    assert off['caching'] is False and on['caching'] is True
    assert C.cache_policy_entry({})['caching'] is True


# ---------------------------------------------------------------- headers the rules need


LANG = {'accept_language': True}


def test_accept_language_not_forwarded():
    warnings = warned(dist(), needs=LANG)
    assert about(warnings, 'Accept-Language') == [
        'CloudFront E1 behavior *: Accept-Language is not forwarded to the ALB, so the language rules never match; fix: '
        'add Accept-Language to the cache policy of this behavior (it is then forwarded and in the cache key)']


def test_accept_language_forwarded_but_not_in_the_cache_key():
    warnings = warned(dist(default=behavior(request=ALL_VIEWER)), needs=LANG)
    assert about(warnings, 'Accept-Language') == [
        "CloudFront E1 behavior *: Accept-Language is forwarded but not in the cache key, so the first language's page "
        "is cached and served to everybody; fix: add Accept-Language to the cache policy of this behavior"]


def test_accept_language_forwarded_without_caching_is_fine():
    warnings = warned(dist(default=behavior(cache=DISABLED, request=ALL_VIEWER)), needs=LANG)
    assert about(warnings, 'Accept-Language') == []


def test_accept_language_in_a_custom_cache_policy_is_fine():
    cache = {CUSTOM_CACHE: C.cache_policy_entry({'CachePolicyConfig': {'MaxTTL': 600, 'ParametersInCacheKeyAndForwardedToOrigin': {
        'HeadersConfig': {'HeaderBehavior': 'whitelist', 'Headers': {'Quantity': 1, 'Items': ['accept-language']}}}}})}
    entry, warnings = only(dist(default=behavior(cache=CUSTOM_CACHE)), needs=LANG, cache_policies=cache)
    assert about(warnings, 'Accept-Language') == []
    assert entry['cache_key_headers'] == ['accept-language'] and entry['forwarded_headers'] == ['accept-language']


def test_accept_needed_for_json_rules():
    warnings = warned(dist(default=behavior(request=ALL_VIEWER)), needs={'accept': True})
    assert about(warnings, 'Accept ') == [
        'CloudFront E1 behavior *: Accept is forwarded but not in the cache key, so the first answer (JSON or HTML) is '
        'cached and served to everybody; fix: add Accept to the cache policy of this behavior']
    warnings = warned(dist(), needs={'accept': True})
    assert about(warnings, 'so the JSON rules (by Accept header) never match')


def test_no_needs_no_header_warnings():
    warnings = warned(dist())
    assert about(warnings, 'forwarded') == []


def test_each_alb_behavior_is_checked():
    summary = dist(default=behavior(cache=DISABLED, request=ALL_VIEWER), behaviors=[behavior(path='/api/*')])
    warnings = warned(summary, needs=LANG)
    assert [w.split(':')[0] for w in about(warnings, 'Accept-Language')] == ['CloudFront E1 behavior /api/*']


# ---------------------------------------------------------------- legacy forwarded values


def test_legacy_headers_are_forwarded_and_in_the_cache_key():
    entry, warnings = only(dist(default=behavior(cache=None, legacy_headers=['Accept-Language', 'Accept'])),
                           needs={'accept_language': True, 'accept': True})
    assert entry['cache_key_headers'] == ['Accept-Language', 'Accept'] == entry['forwarded_headers']
    assert entry['behaviors'][0]['cache_policy_id'] is None
    assert about(warnings, 'Accept') == []


def test_legacy_without_headers_forwards_none():
    entry, warnings = only(dist(default=behavior(cache=None)), needs=LANG)
    assert entry['forwarded_headers'] == []
    assert about(warnings, 'Accept-Language is not forwarded')


def test_legacy_star_forwards_everything():
    entry, warnings = only(dist(default=behavior(cache=None, legacy_headers=['*'])),
                           needs={'accept_language': True, 'accept': True, 'viewer_address': True})
    assert entry['forwarded_headers'] == ['*', 'CloudFront-*'] == entry['cache_key_headers']
    assert about(warnings, 'forwarded') == []


# ---------------------------------------------------------------- CloudFront-Viewer-Address


ADDRESS = {'viewer_address': True}


def test_viewer_address_forwarded_by_the_managed_policy():
    entry, warnings = only(dist(default=behavior(request=ALL_VIEWER_CF)), needs=ADDRESS)
    assert entry['forwarded_headers'] == ['*', 'CloudFront-*']
    assert about(warnings, 'CloudFront-Viewer-Address') == []


@pytest.mark.parametrize('request_policy', [None, ALL_VIEWER], ids=['none', 'all-viewer'])
def test_viewer_address_not_forwarded(request_policy):
    warnings = warned(dist(default=behavior(request=request_policy)), needs=ADDRESS)
    assert about(warnings, 'CloudFront-Viewer-Address') == [
        'CloudFront E1 behavior *: CloudFront-Viewer-Address is not forwarded to the ALB, so the bypass by address '
        'never matches; fix: use the origin request policy AllViewerAndCloudFrontHeaders-2022-06, or a custom one with '
        'CloudFront-Viewer-Address']


def test_viewer_address_not_known_with_all_viewer_except_host():
    entry, warnings = only(dist(default=behavior(request=EXCEPT_HOST)), needs=ADDRESS)
    assert entry['forwarded_headers'] == ['*', '-Host', 'CloudFront-*?']
    assert about(warnings, 'CloudFront-Viewer-Address') == [
        'CloudFront E1 behavior *: CloudFront-Viewer-Address may not be forwarded to the ALB (origin request policy '
        'AllViewerExceptHostHeader (%s): not known to add CloudFront headers), so the bypass by address may never '
        'match; fix: use the origin request policy AllViewerAndCloudFrontHeaders-2022-06, or a custom one with '
        'CloudFront-Viewer-Address' % EXCEPT_HOST]


@pytest.mark.parametrize('config, forwarded', [
    ({'HeaderBehavior': 'whitelist', 'Headers': {'Quantity': 1, 'Items': ['CloudFront-Viewer-Address']}}, True),
    ({'HeaderBehavior': 'allViewerAndWhitelistCloudFront',
      'Headers': {'Quantity': 1, 'Items': ['CloudFront-Viewer-Address']}}, True),
    ({'HeaderBehavior': 'allViewerAndWhitelistCloudFront',
      'Headers': {'Quantity': 1, 'Items': ['CloudFront-Viewer-Country']}}, False),
    ({'HeaderBehavior': 'allViewer'}, False),
    ({'HeaderBehavior': 'allExcept', 'Headers': {'Quantity': 1, 'Items': ['Host']}}, False),
    ({'HeaderBehavior': 'none'}, False),
], ids=['whitelist', 'all-viewer-and-cf', 'all-viewer-and-other-cf', 'all-viewer', 'all-except', 'none'])
def test_viewer_address_with_custom_origin_request_policies(config, forwarded):
    request = {CUSTOM_REQUEST: C.origin_request_policy_entry({'OriginRequestPolicyConfig': {'HeadersConfig': config}})}
    warnings = warned(dist(default=behavior(request=CUSTOM_REQUEST)), needs=ADDRESS, request_policies=request)
    assert bool(about(warnings, 'CloudFront-Viewer-Address is not forwarded')) is not forwarded


def test_all_except_leaves_its_headers_out():
    request = {CUSTOM_REQUEST: C.origin_request_policy_entry({'OriginRequestPolicyConfig': {'HeadersConfig': {
        'HeaderBehavior': 'allExcept', 'Headers': {'Quantity': 1, 'Items': ['Accept-Language']}}}})}
    warnings = warned(dist(default=behavior(cache=DISABLED, request=CUSTOM_REQUEST)), needs=LANG,
                      request_policies=request)
    assert about(warnings, 'Accept-Language is not forwarded')


# ---------------------------------------------------------------- unreadable policies


def test_unreadable_policies_skip_the_header_checks_and_say_so_first():
    read = [C.policy_read_warning('cache', CUSTOM_CACHE, 'AccessDenied'),
            C.policy_read_warning('origin request', CUSTOM_REQUEST, 'Not Found')]
    assert read == ['could not read cache policy %s: AccessDenied' % CUSTOM_CACHE,
                    'could not read origin request policy %s: Not Found' % CUSTOM_REQUEST]
    summary = dist(default=behavior(cache=CUSTOM_CACHE), behaviors=[behavior(path='/r', request=CUSTOM_REQUEST)])
    out = run([summary], needs={'accept_language': True, 'viewer_address': True}, read_warnings=read)
    assert out['warnings'][:2] == read
    assert about(out['warnings'], 'forwarded') == []
    [entry] = out['distributions']
    assert [(b['cache_key_headers'], b['forwarded_headers']) for b in entry['behaviors']] == [(None, None), ([], None)]
    assert entry['behaviors'][0]['caching'] is True   # not known: taken as caching


# ---------------------------------------------------------------- the secret origin header


@pytest.mark.parametrize('headers', [['X-Origin-Verify'], ['x-origin-verify', 'X-Other']])
def test_origin_header_present(headers):
    warnings = warned(dist(headers=headers), origin_header_name='X-Origin-Verify')
    assert about(warnings, 'custom header') == []


def test_origin_header_missing():
    warnings = warned(dist(headers=['X-Other']), origin_header_name='X-Origin-Verify')
    assert about(warnings, 'custom header') == [
        'CloudFront E1: origin alb has no custom header X-Origin-Verify, so the bypass that requires it never matches; '
        'fix: add the origin custom header X-Origin-Verify (with its secret value) to origin alb']


def test_every_warning_is_one_line_naming_the_distribution():
    summary = dist(did='EALL', errors=[{'ErrorCode': 503, 'ResponsePagePath': '/e.html', 'ErrorCachingMinTTL': 60}])
    out = run([summary], needs={'accept_language': True, 'accept': True, 'viewer_address': True},
              origin_header_name='X-Origin-Verify')
    assert len(out['warnings']) == 7
    assert all('\n' not in w and 'EALL' in w and 'fix: ' in w for w in out['warnings'])


# ---------------------------------------------------------------- header sets


def test_header_set_union_and_includes():
    a = C.header_set(all_viewer=True, except_=['Host', 'Cookie'])
    b = C.header_set(['Host'], all_viewer=True, except_=['Host'])
    both = C.union(a, b)
    assert both['except'] == ['Host'] and C.includes(both, 'host') and C.header_list(both) == ['*']
    assert not C.includes(C.union(a, C.header_set()), 'Cookie')
    assert C.union(C.header_set(), a)['except'] == ['Host', 'Cookie']
    assert C.union(C.header_set(['A']), C.header_set(['a', 'B']))['names'] == ['A', 'B']
    assert C.includes(C.header_set(all_cloudfront=None), 'CloudFront-Viewer-Address') is None
    assert C.union(C.header_set(all_cloudfront=None), C.header_set(all_cloudfront=True))['all_cloudfront'] is True
    assert C.union(C.header_set(all_cloudfront=None), C.header_set())['all_cloudfront'] is None
    assert C.header_list(C.header_set(['CloudFront-Viewer-Address', 'Accept'], all_viewer=True,
                                      all_cloudfront=True)) == ['*', 'CloudFront-*']


def test_managed_tables_hold_the_named_policies():
    assert C.MANAGED_ORIGIN_REQUEST_POLICIES[ALL_VIEWER_CF]['name'] == 'AllViewerAndCloudFrontHeaders-2022-06'
    assert C.includes(C.MANAGED_ORIGIN_REQUEST_POLICIES[ALL_VIEWER_CF]['headers'], 'CloudFront-Viewer-Address')
    assert C.MANAGED_CACHE_POLICIES[DISABLED]['caching'] is False
    assert all(p['caching'] for pid, p in C.MANAGED_CACHE_POLICIES.items() if pid != DISABLED)


# ---------------------------------------------------------------- invalidation


def test_caller_reference_is_per_distribution_and_time():
    assert C.caller_reference(1764662400.1234, 'E1') == 'sorrypage-E1-1764662400123'
    assert C.caller_reference(1764662400.1234, 'E1') != C.caller_reference(1764662401, 'E1')


@pytest.mark.parametrize('ids, paths, timeout, message', [
    ([], ['/*'], 600, 'distribution_ids is empty: name at least one CloudFront distribution'),
    (['E1'], [], 600, 'paths is empty: give at least one path, e.g. /*'),
    (['E1'], ['/*', 'index.html'], 600, 'paths must start with /: index.html'),
    (['E1'], ['/a*/b'], 600, 'paths may have * only as their last character (CloudFront): /a*/b'),
    (['E1'], ['/*'], -1, 'timeout must be 0 or more seconds, not -1'),
])
def test_invalidation_inputs(ids, paths, timeout, message):
    with pytest.raises(C.InvalidationInputError) as e:
        C.check_invalidation_inputs(ids, paths, timeout)
    assert str(e.value) == message


def test_invalidation_inputs_ok():
    assert C.check_invalidation_inputs(['E1'], ['/*', '/index.html'], 0) is None


@pytest.mark.parametrize('status, done', [('Completed', True), ('COMPLETED', True), ('InProgress', False), (None, False)])
def test_completed(status, done):
    assert C.completed(status) is done


def test_planned():
    assert C.planned(['E1', 'E2'], ['/*']) == [
        {'distribution_id': 'E1', 'id': None, 'status': 'would create', 'paths': ['/*'], 'waited_s': 0, 'reads': 0},
        {'distribution_id': 'E2', 'id': None, 'status': 'would create', 'paths': ['/*'], 'waited_s': 0, 'reads': 0}]


class Clock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_until_completed():
    clock = Clock()
    statuses = iter(['InProgress', 'InProgress', 'Completed'])
    state = C.wait_invalidation(lambda: next(statuses), 600, interval=5, clock=clock.time, sleep=clock.sleep)
    assert state == {'status': 'Completed', 'waited_s': 10.0, 'reads': 3, 'done': True}
    assert clock.sleeps == [5, 5]


def test_wait_says_completed_as_aws_does():
    clock = Clock()
    state = C.wait_invalidation(lambda: 'COMPLETED', 600, clock=clock.time, sleep=clock.sleep)
    assert state == {'status': 'Completed', 'waited_s': 0.0, 'reads': 1, 'done': True}


def test_wait_times_out_with_a_last_short_sleep():
    clock = Clock()
    state = C.wait_invalidation(lambda: 'InProgress', 12, interval=5, clock=clock.time, sleep=clock.sleep)
    assert state == {'status': 'InProgress', 'waited_s': 12.0, 'reads': 4, 'done': False}
    assert clock.sleeps == [5, 5, 2]


def test_wait_with_no_time_left_reads_once():
    clock = Clock()
    state = C.wait_invalidation(lambda: 'InProgress', 0, clock=clock.time, sleep=clock.sleep)
    assert state['reads'] == 1 and not state['done'] and clock.sleeps == []


def test_timeout_message_names_both_and_says_it_goes_on():
    assert C.timeout_message('E1', 'I2', 600, 'InProgress') == (
        'CloudFront E1: invalidation I2 is still InProgress after timeout 600 s; it goes on by itself (check it with '
        '`aws cloudfront get-invalidation --distribution-id E1 --id I2`), nothing to undo')
