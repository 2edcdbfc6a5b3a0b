# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudFront in front of the ALB: which distributions, what they cache and
forward, what that does to the Sorry page, and the invalidation's progress (pure).

The modules alb_sorry_cloudfront_info and alb_sorry_cloudfront_invalidate make
the calls; everything that decides lives here.

Headers a cache behavior forwards to the origin are the cache key's headers
plus its origin request policy's (AWS: "All URL query strings, HTTP headers,
and cookies that you include in the cache key are automatically included in
origin requests"). A behavior without a cache policy uses the legacy
ForwardedValues: its headers are both forwarded and in the cache key.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

# CloudFront's default error-caching minimum TTL (seconds) for an error code
# the distribution has no custom error response for.
DEFAULT_ERROR_CACHING_MIN_TTL = 10

ACCEPT_LANGUAGE = 'Accept-Language'
ACCEPT = 'Accept'
VIEWER_ADDRESS = 'CloudFront-Viewer-Address'
MANAGED_VIEWER_ADDRESS_POLICY = 'AllViewerAndCloudFrontHeaders-2022-06'

# A header set: the headers of a cache key or of an origin request.
#   names: explicit header names; all_viewer: every header of the viewer's request;
#   all_cloudfront: every CloudFront-* header CloudFront adds (None: not known); except: viewer headers left out
#   of all_viewer.


def header_set(names=(), all_viewer=False, all_cloudfront=False, except_=()):
    """``all_cloudfront`` None: not known (a managed policy whose CloudFront headers this collection does not know)."""
    return {'names': list(names), 'all_viewer': bool(all_viewer),
            'all_cloudfront': None if all_cloudfront is None else bool(all_cloudfront), 'except': list(except_)}


def _either(first, second):
    """True when one is, None (not known) when one may be, else False."""
    if first or second:
        return True
    return None if first is None or second is None else False


# AWS managed cache policies (docs: "Use managed cache policies"): the headers in their cache key, and
# whether they cache at all (CachingDisabled has every TTL at 0).
MANAGED_CACHE_POLICIES = {
    '2e54312d-136d-493c-8eb9-b001f22f67d2': {'name': 'Amplify', 'caching': True,
                                             'headers': header_set(['Authorization', 'CloudFront-Viewer-Country', 'Host'])},
    '4135ea2d-6df8-44a3-9df3-4b5a84be39ad': {'name': 'CachingDisabled', 'caching': False, 'headers': header_set()},
    '658327ea-f89d-4fab-a63d-7e88639e58f6': {'name': 'CachingOptimized', 'caching': True, 'headers': header_set()},
    'b2884449-e4de-46a7-ac36-70bc7f1ddd6d': {'name': 'CachingOptimizedForUncompressedObjects', 'caching': True,
                                             'headers': header_set()},
    '08627262-05a9-4f76-9ded-b50ca2e3a84f': {'name': 'Elemental-MediaPackage', 'caching': True,
                                             'headers': header_set(['Origin'])},
    '83da9c7e-98b4-4e11-a168-04f0df8e2c65': {'name': 'UseOriginCacheControlHeaders', 'caching': True,
                                             'headers': header_set(['Host', 'Origin', 'X-HTTP-Method-Override',
                                                                    'X-HTTP-Method', 'X-Method-Override'])},
    '4cc15a8a-d715-48a4-82b8-cc0b614638fe': {'name': 'UseOriginCacheControlHeaders-QueryStrings', 'caching': True,
                                             'headers': header_set(['Host', 'Origin', 'X-HTTP-Method-Override',
                                                                    'X-HTTP-Method', 'X-Method-Override'])},
}

# AWS managed origin request policies (docs: "Use managed origin request policies"): the headers they add to
# origin requests. AllViewerAndCloudFrontHeaders-2022-06 adds the CloudFront-* headers (CloudFront-Viewer-Address
# among them); whether AllViewerExceptHostHeader does is left as not known (a warning says "may not").
MANAGED_ORIGIN_REQUEST_POLICIES = {
    '216adef6-5c7f-47e4-b989-5492eafa07d3': {'name': 'AllViewer', 'headers': header_set(all_viewer=True)},
    '33f36d7e-f396-46d9-90e0-52428a34d9dc': {'name': MANAGED_VIEWER_ADDRESS_POLICY,
                                             'headers': header_set(all_viewer=True, all_cloudfront=True)},
    'b689b0a8-53d0-40ab-baf2-68738e2966ac': {'name': 'AllViewerExceptHostHeader',
                                             'headers': header_set(all_viewer=True, all_cloudfront=None,
                                                                   except_=['Host'])},
    '59781a5b-3903-41f3-afcb-af62929ccde1': {'name': 'CORS-CustomOrigin', 'headers': header_set(['Origin'])},
    '88a5eaf4-2fd4-4709-b370-b4c650ea3fcf': {'name': 'CORS-S3Origin', 'headers': header_set(
        ['Origin', 'Access-Control-Request-Headers', 'Access-Control-Request-Method'])},
    'acba4595-bd28-49b8-b9fe-13317c0390fa': {'name': 'UserAgentRefererHeaders', 'headers': header_set(
        ['User-Agent', 'Referer'])},
}


class InvalidationInputError(ValueError):
    """A bad option of alb_sorry_cloudfront_invalidate; the message names it."""


# ---------------------------------------------------------------- matching


def normalize_dns(name):
    """Lower case, no trailing dot, no ``dualstack.`` prefix: how two names of one ALB compare."""
    name = (name or '').strip().lower().rstrip('.')
    if name.startswith('dualstack.'):
        name = name[len('dualstack.'):]
    return name


def origin_is_alb(domain_name, alb_dns_name):
    return bool(alb_dns_name) and normalize_dns(domain_name) == normalize_dns(alb_dns_name)


def _items(container):
    return (container or {}).get('Items') or []


def _default_origin_id(summary):
    return (summary.get('DefaultCacheBehavior') or {}).get('TargetOriginId')


def find_alb_origin(summary, alb_dns_name, distribution_ids):
    """The origin of ``summary`` that is the ALB, or None.

    An origin whose DomainName is the ALB's DNS name; else, for a distribution named in ``distribution_ids``
    (its origin is a CNAME of the ALB), the default cache behavior's origin."""
    origins = _items(summary.get('Origins'))
    for origin in origins:
        if origin_is_alb(origin.get('DomainName'), alb_dns_name):
            return origin
    if summary.get('Id') in (distribution_ids or []):
        target = _default_origin_id(summary)
        for origin in origins:
            if origin.get('Id') == target:
                return origin
        return origins[0] if origins else None
    return None


def in_front(summaries, alb_dns_name, distribution_ids=None):
    """[(summary, alb origin)] of the distributions in front of the ALB, and the given ids not found."""
    found = []
    for summary in summaries:
        origin = find_alb_origin(summary, alb_dns_name, distribution_ids)
        if origin is not None:
            found.append((summary, origin))
    listed = set(s.get('Id') for s in summaries)
    missing = [i for i in (distribution_ids or []) if i not in listed]
    return found, missing


def alb_behaviors(summary, origin_id):
    """The cache behaviors routing to ``origin_id``: the default one (path pattern ``*``) first."""
    behaviors = []
    default = summary.get('DefaultCacheBehavior') or {}
    if default.get('TargetOriginId') == origin_id:
        behaviors.append(dict(default, PathPattern='*'))
    behaviors.extend(b for b in _items(summary.get('CacheBehaviors')) if b.get('TargetOriginId') == origin_id)
    return behaviors


def policies_to_read(found):
    """The cache and origin request policy ids the ALB behaviors use that are not AWS managed, each once, in order."""
    cache_ids, request_ids = [], []
    for summary, origin in found:
        for behavior in alb_behaviors(summary, origin.get('Id')):
            cid, rid = behavior.get('CachePolicyId'), behavior.get('OriginRequestPolicyId')
            if cid and cid not in MANAGED_CACHE_POLICIES and cid not in cache_ids:
                cache_ids.append(cid)
            if rid and rid not in MANAGED_ORIGIN_REQUEST_POLICIES and rid not in request_ids:
                request_ids.append(rid)
    return cache_ids, request_ids


# ---------------------------------------------------------------- policies and headers


def _header_names(headers_config):
    return list(_items((headers_config or {}).get('Headers')))


def cache_policy_entry(policy):
    """{caching, headers} of a cache policy as GetCachePolicy returns it (``CachePolicy``)."""
    config = (policy or {}).get('CachePolicyConfig') or {}
    params = config.get('ParametersInCacheKeyAndForwardedToOrigin') or {}
    headers_config = params.get('HeadersConfig') or {}
    names = _header_names(headers_config) if headers_config.get('HeaderBehavior') == 'whitelist' else []
    caching = config.get('MaxTTL') is None or config['MaxTTL'] > 0
    return {'caching': caching, 'headers': header_set(names)}


def origin_request_policy_entry(policy):
    """{headers} of an origin request policy as GetOriginRequestPolicy returns it (``OriginRequestPolicy``)."""
    config = (policy or {}).get('OriginRequestPolicyConfig') or {}
    headers_config = config.get('HeadersConfig') or {}
    behavior = headers_config.get('HeaderBehavior')
    names = _header_names(headers_config)
    if behavior == 'whitelist':
        return {'headers': header_set(names)}
    if behavior == 'allViewer':
        return {'headers': header_set(all_viewer=True)}
    if behavior == 'allViewerAndWhitelistCloudFront':
        return {'headers': header_set(names, all_viewer=True)}
    if behavior == 'allExcept':
        return {'headers': header_set(all_viewer=True, except_=names)}
    return {'headers': header_set()}


def legacy_headers(behavior):
    """The headers of legacy ForwardedValues: ``*`` is every header, forwarded and in the cache key."""
    names = _items(((behavior.get('ForwardedValues') or {}).get('Headers')))
    if '*' in names:
        return header_set(all_viewer=True, all_cloudfront=True)
    return header_set(names)


def union(first, second):
    """The headers in either set."""
    if first['all_viewer'] and second['all_viewer']:
        left_out = [n for n in first['except'] if n.lower() in [m.lower() for m in second['except']]]
    else:
        left_out = first['except'] if first['all_viewer'] else second['except']
    names = list(first['names']) + [n for n in second['names'] if n.lower() not in [m.lower() for m in first['names']]]
    return header_set(names, first['all_viewer'] or second['all_viewer'],
                      _either(first['all_cloudfront'], second['all_cloudfront']), left_out)


def includes(headers, name):
    """Whether the header set holds header ``name`` (case-insensitive); None when not known."""
    lower = name.lower()
    if lower in [n.lower() for n in headers['names']]:
        return True
    if lower.startswith('cloudfront-'):
        return headers['all_cloudfront']
    return headers['all_viewer'] and lower not in [n.lower() for n in headers['except']]


def header_list(headers):
    """The header set as a list of str: ``*`` for every viewer header, ``CloudFront-*`` for every CloudFront header,
    ``-Name`` for a viewer header left out of ``*``."""
    out = []
    if headers['all_viewer']:
        out.append('*')
        out.extend('-%s' % n for n in headers['except'] if n.lower() not in [m.lower() for m in headers['names']])
    if headers['all_cloudfront']:
        out.append('CloudFront-*')
    elif headers['all_cloudfront'] is None:
        out.append('CloudFront-*?')
    out.extend(n for n in headers['names']
               if not (headers['all_cloudfront'] and n.lower().startswith('cloudfront-'))
               and not (headers['all_viewer'] and not n.lower().startswith('cloudfront-')))
    return out


def behavior_headers(behavior, cache_policies, request_policies):
    """{path_pattern, caching, cache_key, forwarded} of one behavior; cache_key / forwarded None when a policy it
    uses could not be read. ``cache_policies`` / ``request_policies``: id -> entry of the policies that were read."""
    cid, rid = behavior.get('CachePolicyId'), behavior.get('OriginRequestPolicyId')
    out = {'path_pattern': behavior.get('PathPattern'), 'cache_policy_id': cid or None,
           'origin_request_policy_id': rid or None}
    if not cid:
        headers = legacy_headers(behavior)
        # legacy settings forwarding all headers cache nothing (CloudFront: "doesn't cache the objects")
        caching = (behavior.get('MaxTTL') is None or behavior['MaxTTL'] > 0) and not headers['all_viewer']
        out.update(caching=caching, cache_key=headers, forwarded=headers)
        return out
    cache = MANAGED_CACHE_POLICIES.get(cid) or cache_policies.get(cid)
    request = (MANAGED_ORIGIN_REQUEST_POLICIES.get(rid) or request_policies.get(rid)) if rid else {'headers': header_set()}
    out.update(caching=cache['caching'] if cache else True, cache_key=cache['headers'] if cache else None)
    out['forwarded'] = union(cache['headers'], request['headers']) if cache and request else None
    return out


# ---------------------------------------------------------------- the report


def error_response_503(summary):
    """(error caching minimum TTL in s, ResponsePagePath or None) for 503."""
    for item in _items(summary.get('CustomErrorResponses')):
        if int(item.get('ErrorCode', 0)) == 503:
            ttl = item.get('ErrorCachingMinTTL')
            return (DEFAULT_ERROR_CACHING_MIN_TTL if ttl is None else int(ttl)), (item.get('ResponsePagePath') or None)
    return DEFAULT_ERROR_CACHING_MIN_TTL, None


def _where(did, behavior):
    return 'CloudFront %s behavior %s' % (did, behavior['path_pattern'])


CACHED_FOR_ALL = {ACCEPT_LANGUAGE: "the first language's page", ACCEPT: 'the first answer (JSON or HTML)'}


def header_warnings(did, behavior, header, needed_for):
    """The warnings for a header the site's rules match on: not forwarded, else not in the cache key."""
    if behavior['forwarded'] is None:
        return []
    if not includes(behavior['forwarded'], header):
        return ['%s: %s is not forwarded to the ALB, so %s never match; fix: add %s to the cache policy of this behavior '
                '(it is then forwarded and in the cache key)' % (_where(did, behavior), header, needed_for, header)]
    if behavior['caching'] and not includes(behavior['cache_key'], header):
        return ['%s: %s is forwarded but not in the cache key, so %s is cached and served to everybody; fix: add %s '
                'to the cache policy of this behavior' % (_where(did, behavior), header, CACHED_FOR_ALL[header], header)]
    return []


def viewer_address_warnings(did, behavior):
    if behavior['forwarded'] is None:
        return []
    forwarded = includes(behavior['forwarded'], VIEWER_ADDRESS)
    if forwarded:
        return []
    if forwarded is None:
        rid = behavior['origin_request_policy_id']
        name = '%s (%s)' % (MANAGED_ORIGIN_REQUEST_POLICIES[rid]['name'], rid) if rid in MANAGED_ORIGIN_REQUEST_POLICIES else rid
        return ['%s: %s may not be forwarded to the ALB (origin request policy %s: not known to add CloudFront '
                'headers), so the bypass by address may never match; fix: use the origin request policy %s, or a '
                'custom one with %s' % (_where(did, behavior), VIEWER_ADDRESS, name, MANAGED_VIEWER_ADDRESS_POLICY,
                                        VIEWER_ADDRESS)]
    return ['%s: %s is not forwarded to the ALB, so the bypass by address never matches; fix: use the origin request '
            'policy %s, or a custom one with %s' % (_where(did, behavior), VIEWER_ADDRESS, MANAGED_VIEWER_ADDRESS_POLICY,
                                                    VIEWER_ADDRESS)]


def describe(summary, origin, cache_policies, request_policies, needs=None, origin_header_name=None):
    """(entry, warnings) of one distribution in front of the ALB."""
    needs = needs or {}
    did = summary.get('Id')
    ttl, page = error_response_503(summary)
    behaviors = [behavior_headers(b, cache_policies, request_policies) for b in alb_behaviors(summary, origin.get('Id'))]
    header_names = [h.get('HeaderName') for h in _items(origin.get('CustomHeaders'))]
    warnings = []
    if page:
        warnings.append('CloudFront %s: a custom error response for 503 serves %s instead of the Sorry page; fix: remove '
                        'the 503 custom error response from the distribution' % (did, page))
    if ttl > 0:
        warnings.append('CloudFront %s: a 503 is cached for the error caching minimum TTL (%d s), so the Sorry page can '
                        'linger up to %d s after off; fix: lower ErrorCachingMinTTL for 503 (custom error response, no '
                        'page) or set sorry_cloudfront_invalidate: true' % (did, ttl, ttl))
    caching = [b['path_pattern'] for b in behaviors if b['caching']]
    if caching:
        warnings.append('CloudFront %s: %s 200 pages: cached pages keep being served after on, and bypassed 200 '
                        'responses can be cached and served to the public during the window; fix: '
                        'sorry_cloudfront_invalidate: true (invalidates /* after on and after off)'
                        % (did, 'behavior %s caches' % caching[0] if len(caching) == 1 else
                           'behaviors %s cache' % ', '.join(caching)))
    for behavior in behaviors:
        if needs.get('accept_language'):
            warnings.extend(header_warnings(did, behavior, ACCEPT_LANGUAGE, 'the language rules'))
        if needs.get('accept'):
            warnings.extend(header_warnings(did, behavior, ACCEPT, 'the JSON rules (by Accept header)'))
        if needs.get('viewer_address'):
            warnings.extend(viewer_address_warnings(did, behavior))
    if origin_header_name and origin_header_name.lower() not in [(n or '').lower() for n in header_names]:
        warnings.append('CloudFront %s: origin %s has no custom header %s, so the bypass that requires it never '
                        'matches; fix: add the origin custom header %s (with its secret value) to origin %s'
                        % (did, origin.get('Id'), origin_header_name, origin_header_name, origin.get('Id')))
    cache_key, forwarded = header_set(), header_set()
    for behavior in behaviors:
        if behavior['cache_key'] is not None:
            cache_key = union(cache_key, behavior['cache_key'])
        if behavior['forwarded'] is not None:
            forwarded = union(forwarded, behavior['forwarded'])
    entry = {
        'id': did,
        'domain_name': summary.get('DomainName'),
        'aliases': list(_items(summary.get('Aliases'))),
        'origin_id': origin.get('Id'),
        'error_caching_min_ttl_503': ttl,
        'custom_error_page_503': page,
        'cache_key_headers': header_list(cache_key),
        'forwarded_headers': header_list(forwarded),
        'origin_custom_header_names': header_names,
        'behaviors': [{'path_pattern': b['path_pattern'], 'caching': b['caching'],
                       'cache_policy_id': b['cache_policy_id'], 'origin_request_policy_id': b['origin_request_policy_id'],
                       'cache_key_headers': None if b['cache_key'] is None else header_list(b['cache_key']),
                       'forwarded_headers': None if b['forwarded'] is None else header_list(b['forwarded'])}
                      for b in behaviors],
    }
    return entry, warnings


def not_found_warning(did):
    return ('CloudFront distribution %s (distribution_ids) is not in this account\'s ListDistributions; fix: check the '
            'id, or drop it from distribution_ids' % did)


def policy_read_warning(kind, pid, error):
    return 'could not read %s policy %s: %s' % (kind, pid, error)


def report(summaries, alb_dns_name, distribution_ids=None, cache_policies=None, request_policies=None, needs=None,
           origin_header_name=None, read_warnings=None):
    """{distributions, warnings, in_front}. ``read_warnings``: the policy read failures, said first."""
    found, missing = in_front(summaries, alb_dns_name, distribution_ids)
    warnings = [not_found_warning(did) for did in missing] + list(read_warnings or [])
    distributions = []
    for summary, origin in found:
        entry, said = describe(summary, origin, cache_policies or {}, request_policies or {}, needs, origin_header_name)
        distributions.append(entry)
        warnings.extend(said)
    return {'distributions': distributions, 'warnings': warnings, 'in_front': bool(distributions)}


# ---------------------------------------------------------------- invalidation


def caller_reference(now, distribution_id):
    """A CallerReference unique per run and distribution: ``sorrypage-<id>-<epoch ms>``."""
    return 'sorrypage-%s-%d' % (distribution_id, int(now * 1000))


def check_invalidation_inputs(distribution_ids, paths, timeout):
    if not distribution_ids:
        raise InvalidationInputError('distribution_ids is empty: name at least one CloudFront distribution')
    if not paths:
        raise InvalidationInputError('paths is empty: give at least one path, e.g. /*')
    bad = [p for p in paths if not p.startswith('/')]
    if bad:
        raise InvalidationInputError('paths must start with /: %s' % ', '.join(bad))
    bad = [p for p in paths if '*' in p[:-1]]
    if bad:
        raise InvalidationInputError('paths may have * only as their last character (CloudFront): %s' % ', '.join(bad))
    if timeout < 0:
        raise InvalidationInputError('timeout must be 0 or more seconds, not %s' % timeout)


def completed(status):
    """AWS says ``Completed``; moto says ``COMPLETED``."""
    return (status or '').lower() == 'completed'


def planned(distribution_ids, paths):
    """What check mode reports: one invalidation per distribution, not created."""
    return [{'distribution_id': did, 'id': None, 'status': 'would create', 'paths': list(paths), 'waited_s': 0,
             'reads': 0} for did in distribution_ids]


def wait_invalidation(read_status, timeout, interval=5, clock=time.time, sleep=time.sleep):
    """Poll ``read_status()`` until it says Completed or ``timeout`` s have passed.

    Returns {status, waited_s, reads, done}; a completed status is said as AWS says it (``Completed``)."""
    start = clock()
    reads = 0
    while True:
        status = read_status()
        reads += 1
        elapsed = clock() - start
        if completed(status):
            return {'status': 'Completed', 'waited_s': round(elapsed, 1), 'reads': reads, 'done': True}
        left = timeout - elapsed
        if left <= 0:
            return {'status': status, 'waited_s': round(elapsed, 1), 'reads': reads, 'done': False}
        sleep(min(interval, left))


def timeout_message(distribution_id, invalidation_id, timeout, status):
    return ('CloudFront %s: invalidation %s is still %s after timeout %s s; it goes on by itself (check it with '
            '`aws cloudfront get-invalidation --distribution-id %s --id %s`), nothing to undo'
            % (distribution_id, invalidation_id, status, timeout, distribution_id, invalidation_id))
