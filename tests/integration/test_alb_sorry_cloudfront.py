"""sorrypage.aws.alb_sorry_cloudfront_info and alb_sorry_cloudfront_invalidate through real ansible-playbook
against the moto sandbox: a distribution whose origin is the sandbox ALB's DNS name."""
import itertools

import pytest

from tests.ansible_run import run_module

INFO = 'sorrypage.aws.alb_sorry_cloudfront_info'
INVALIDATE = 'sorrypage.aws.alb_sorry_cloudfront_invalidate'
OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6'
ALL_VIEWER = '216adef6-5c7f-47e4-b989-5492eafa07d3'
CUSTOM_CACHE = 'a1b2c3d4-0000-4000-8000-00000000c0de'
ORIGIN_SECRET = 'origin-secret-5e1f0a9b7c'
LEGACY_LANGUAGE = {'QueryString': True, 'Cookies': {'Forward': 'all'},
                   'Headers': {'Quantity': 1, 'Items': ['Accept-Language']}}
_refs = itertools.count(1)


def run(module, endpoint, args, check=False):
    return run_module(module, dict(args, endpoint_url=endpoint, region='us-east-1'), check=check)


def ok(result):
    assert not result.get('failed'), result.get('msg', result)
    return result


def behavior(origin_id, path=None, **extra):
    out = {'TargetOriginId': origin_id, 'ViewerProtocolPolicy': 'redirect-to-https'}
    if path:
        out['PathPattern'] = path
    out.update(extra)
    return out


def create_distribution(moto, origin_domain, default, behaviors=(), errors=(), headers=None, aliases=()):
    origin = {'Id': 'alb', 'DomainName': origin_domain,
              'CustomOriginConfig': {'HTTPPort': 80, 'HTTPSPort': 443, 'OriginProtocolPolicy': 'https-only'}}
    if headers:
        origin['CustomHeaders'] = {'Quantity': len(headers),
                                   'Items': [{'HeaderName': k, 'HeaderValue': v} for k, v in headers.items()]}
    config = {
        'CallerReference': 'sorrypage-test-%d' % next(_refs), 'Comment': 'in front of the ALB', 'Enabled': True,
        'Origins': {'Quantity': 1, 'Items': [origin]},
        'DefaultCacheBehavior': default,
        'CacheBehaviors': {'Quantity': len(behaviors), 'Items': list(behaviors)},
        'CustomErrorResponses': {'Quantity': len(errors), 'Items': list(errors)},
    }
    if aliases:
        config['Aliases'] = {'Quantity': len(aliases), 'Items': list(aliases)}
    return moto.client('cloudfront').create_distribution(DistributionConfig=config)['Distribution']


@pytest.fixture()
def front(moto, site):
    """Two distributions in front of the site's ALB (one by its DNS name, one through a CNAME) and one that is not."""
    by_dns = create_distribution(
        moto, 'DualStack.%s.' % site['dns_name'].upper(),
        default=behavior('alb', CachePolicyId=OPTIMIZED, OriginRequestPolicyId=ALL_VIEWER),
        behaviors=[behavior('alb', '/api/*', MinTTL=0, DefaultTTL=0, MaxTTL=0, ForwardedValues=LEGACY_LANGUAGE),
                   behavior('alb', '/account/*', CachePolicyId=CUSTOM_CACHE)],
        errors=[{'ErrorCode': 503, 'ResponsePagePath': '/errors/503.html', 'ResponseCode': '503',
                 'ErrorCachingMinTTL': 300}],
        headers={'X-Origin-Verify': ORIGIN_SECRET}, aliases=['shop.example.com'])
    by_cname = create_distribution(moto, 'origin.blog.example.com',
                                   default=behavior('alb', CachePolicyId=OPTIMIZED))
    unrelated = create_distribution(moto, 'elsewhere.us-east-1.elb.amazonaws.com',
                                    default=behavior('alb', CachePolicyId=OPTIMIZED))
    return {'by_dns': by_dns['Id'], 'by_cname': by_cname['Id'], 'unrelated': unrelated['Id'],
            'by_dns_domain': by_dns['DomainName']}


@pytest.mark.sandbox_only
def test_info_reports_and_warns_with_one_list(moto, site, counter, front):
    args = dict(load_balancer_name=site['load_balancer_name'], distribution_ids=[front['by_cname'], 'EDOESNOTEXIST'],
                needs=dict(accept_language=True, viewer_address=True), origin_header_name='X-Sorry-Origin')
    counter.reset()
    info = ok(run(INFO, counter.url, args))
    counts = counter.snapshot()
    assert counts == {'DescribeLoadBalancers': 1, 'ListDistributions': 1, 'GetCachePolicy': 1}, counts

    assert info['changed'] is False and info['in_front'] is True
    assert info['load_balancer_dns_name'] == site['dns_name']
    by_id = {d['id']: d for d in info['distributions']}
    assert sorted(by_id) == sorted([front['by_dns'], front['by_cname']])
    dns = by_id[front['by_dns']]
    assert dns['domain_name'] == front['by_dns_domain'] and dns['aliases'] == ['shop.example.com']
    assert dns['origin_id'] == 'alb'
    assert dns['error_caching_min_ttl_503'] == 300 and dns['custom_error_page_503'] == '/errors/503.html'
    assert dns['origin_custom_header_names'] == ['X-Origin-Verify']
    assert [(b['path_pattern'], b['caching']) for b in dns['behaviors']] == [
        ('*', True), ('/api/*', False), ('/account/*', True)]
    assert dns['behaviors'][1]['forwarded_headers'] == ['Accept-Language']
    assert dns['behaviors'][2]['forwarded_headers'] is None
    assert dns['forwarded_headers'] == ['*'] and dns['cache_key_headers'] == ['Accept-Language']
    cname = by_id[front['by_cname']]
    assert cname['error_caching_min_ttl_503'] == 10 and cname['custom_error_page_503'] is None
    assert ORIGIN_SECRET not in repr(info)

    warnings = info['cloudfront_warnings']
    assert info['warnings'] == warnings   # also said as Ansible warnings
    assert warnings[0].startswith('CloudFront distribution EDOESNOTEXIST (distribution_ids) is not in')
    assert warnings[1].startswith('could not read cache policy %s: ' % CUSTOM_CACHE)
    mine = [w for w in warnings if w.startswith('CloudFront %s' % front['by_dns'])]
    expected = [
        'a custom error response for 503 serves /errors/503.html',
        'a 503 is cached for the error caching minimum TTL (300 s)',
        'behaviors *, /account/* cache 200 pages',
        'behavior *: Accept-Language is forwarded but not in the cache key',
        'behavior *: CloudFront-Viewer-Address is not forwarded',
        'behavior /api/*: CloudFront-Viewer-Address is not forwarded',
        'origin alb has no custom header X-Sorry-Origin',
    ]
    assert len(mine) == len(expected), mine
    for line, text in zip(mine, expected):
        assert text in line and 'fix: ' in line, (line, text)
    assert not [w for w in warnings if front['unrelated'] in w]
    assert all('\n' not in w for w in warnings)
    theirs = [w for w in warnings if w.startswith('CloudFront %s' % front['by_cname'])]
    assert [w.split(': ', 1)[1][:22] for w in theirs] == [
        'a 503 is cached for th', 'behavior * caches 200 ', 'Accept-Language is not', 'CloudFront-Viewer-Addr',
        'origin alb has no cust']

    check = ok(run(INFO, moto.url, args, check=True))
    assert check['distributions'] == info['distributions'] and check['cloudfront_warnings'] == warnings


@pytest.mark.sandbox_only
def test_info_nothing_in_front_by_dns_name(moto, plain_site, counter):
    counter.reset()
    info = ok(run(INFO, counter.url, dict(load_balancer_dns_name=plain_site['dns_name'])))
    assert info['in_front'] is False and info['distributions'] == [] and info['cloudfront_warnings'] == []
    assert 'warnings' not in info
    assert counter.snapshot() == {'ListDistributions': 1}


def test_info_unknown_load_balancer(moto):
    result = run(INFO, moto.url, dict(load_balancer_name='no-such-alb'))
    assert result.get('failed') and "load balancer 'no-such-alb' was not found" in result['msg']


@pytest.mark.sandbox_only
def test_invalidate_check_mode_then_real_then_no_wait(moto, counter, front):
    ids = [front['by_dns'], front['by_cname']]
    counter.reset()
    planned = ok(run(INVALIDATE, counter.url, dict(distribution_ids=ids), check=True))
    assert planned['changed'] is True
    assert [(i['distribution_id'], i['id'], i['status'], i['paths']) for i in planned['invalidations']] == [
        (ids[0], None, 'would create', ['/*']), (ids[1], None, 'would create', ['/*'])]
    assert counter.snapshot() == {}

    cloudfront = moto.client('cloudfront')
    done = ok(run(INVALIDATE, counter.url, dict(distribution_ids=ids, paths=['/*', '/index.html'])))
    assert done['changed'] is True
    assert counter.snapshot() == {'CreateInvalidation': 2, 'GetInvalidation': 2}
    for item, did in zip(done['invalidations'], ids):
        assert item['distribution_id'] == did and item['id'] and item['reads'] == 1
        assert item['status'] == 'Completed'   # moto says COMPLETED at once; said as AWS says it
        assert item['caller_reference'].startswith('sorrypage-%s-' % did)
        stored = cloudfront.get_invalidation(DistributionId=did, Id=item['id'])['Invalidation']
        assert stored['InvalidationBatch']['Paths']['Items'] == ['/*', '/index.html']

    counter.reset()
    quick = ok(run(INVALIDATE, counter.url, dict(distribution_ids=ids[:1], wait=False, caller_reference='after-off-1')))
    [item] = quick['invalidations']
    assert quick['changed'] is True and item['reads'] == 0 and item['waited_s'] == 0
    assert item['caller_reference'] == 'after-off-1'
    assert counter.snapshot() == {'CreateInvalidation': 1}


def test_invalidate_unknown_distribution_fails_naming_it(moto):
    result = run(INVALIDATE, moto.url, dict(distribution_ids=['EDOESNOTEXIST']))
    assert result.get('failed')
    assert 'could not invalidate CloudFront distribution EDOESNOTEXIST (already invalidated: none)' in result['msg']


def test_invalidate_bad_path_fails_before_any_call(moto, counter):
    counter.reset()
    result = run(INVALIDATE, counter.url, dict(distribution_ids=['E1'], paths=['index.html']))
    assert result.get('failed') and result['msg'] == 'paths must start with /: index.html'
    assert counter.snapshot() == {}
