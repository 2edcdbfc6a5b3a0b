"""A CloudFront distribution in front of the sandbox ALB, through the real maintenance playbooks and both drivers.

The distribution lives in moto (its origin is the sandbox ALB's DNS name, with
a secret origin header, a custom error response for 503 and no header
forwarded); the data plane plays it (``set_cloudfront``): through it the rules
see the edge's address, ``CloudFront-Viewer-Address`` of the real client and
the origin header, as CloudFront would send them. Invalidations are counted at
the wire (the sandbox's counting proxy).
"""
import pytest

from tests.integration.test_ingress_driver import Book, sandbox, settled, summary  # noqa: F401 pylint: disable=unused-import
from tests.integration.test_runbook import assert_ok, failure, messages
from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, VIEWER_ADDRESS_HEADER, request

pytestmark = pytest.mark.sandbox_only

ORIGIN = {'name': 'X-Origin-Verify', 'value': 'cf-origin-9d2e44b1a7c3f0e8'}


def distribution(box):
    """A distribution whose origin is the site's ALB: legacy settings forwarding no header, 503s cached 60 s."""
    dns = box.moto.client('elbv2').describe_load_balancers(
        LoadBalancerArns=[box.sites[0]['load_balancer_arn']])['LoadBalancers'][0]['DNSName']
    config = {
        'CallerReference': 'sorrypage-runbook-test', 'Comment': 'in front of the sandbox ALB', 'Enabled': True,
        'Origins': {'Quantity': 1, 'Items': [{
            'Id': 'alb', 'DomainName': dns,
            'CustomOriginConfig': {'HTTPPort': 80, 'HTTPSPort': 443, 'OriginProtocolPolicy': 'http-only'},
            'CustomHeaders': {'Quantity': 1, 'Items': [{'HeaderName': ORIGIN['name'], 'HeaderValue': ORIGIN['value']}]}}]},
        'DefaultCacheBehavior': {'TargetOriginId': 'alb', 'ViewerProtocolPolicy': 'redirect-to-https',
                                 'ForwardedValues': {'QueryString': True, 'Cookies': {'Forward': 'none'},
                                                     'Headers': {'Quantity': 0, 'Items': []}}},
        'CustomErrorResponses': {'Quantity': 1, 'Items': [{'ErrorCode': 503, 'ErrorCachingMinTTL': 60}]},
    }
    return box.moto.client('cloudfront').create_distribution(DistributionConfig=config)['Distribution']['Id']


def through_cloudfront(box, host, source_ip):
    return request(box.dataplane.cloudfront_url_for(80, box.sites[0]['load_balancer_arn']) + '/deep/path?q=1',
                   host=host, source_ip=source_ip)


def directly(box, host, headers=None):
    return request(box.url_for(80) + '/deep/path?q=1', host=host, source_ip=PUBLIC_IP, headers=headers)


def invalidations(box):
    return box.proxy.snapshot().get('CreateInvalidation', 0)


@pytest.mark.parametrize('driver', ['alb', 'ingress'])
def test_behind_cloudfront_the_office_is_matched_on_the_viewer_address_and_the_page_is_invalidated(
        tmp_path, sandbox, driver):
    box = sandbox
    did = distribution(box)
    box.dataplane.set_cloudfront(origin_header=(ORIGIN['name'], ORIGIN['value']))
    shop, blog = box.sites[0]['hosts']
    before = settled(box)
    pages = [{'name': 'shop', 'page': 'en', 'hosts': [shop], 'languages': {'ja': 'ja'}},
             {'name': 'blog', 'page': 'ja', 'hosts': [blog]}]

    # status: the distribution and what it changes, each with its fix
    res = Book(tmp_path, box, sorry_driver=driver, sorry_pages=pages).run('status')
    assert_ok(res)
    text = messages(res, 'Say what CloudFront changes for the public')
    assert text.startswith('CloudFront: %s (' % did) and 'a 503 is cached 60 s' in text, text
    assert 'WARNING: CloudFront %s behavior *: Accept-Language is not forwarded to the ALB' % did in text, text
    assert 'ErrorCachingMinTTL' in text, text

    # a bypass by CIDR alone cannot work behind CloudFront: refused before any change
    res = Book(tmp_path, box, sorry_driver=driver, sorry_bypass_headers=[]).run('on')
    assert res.rc != 0
    assert "the ALB is behind CloudFront (%s): it sees CloudFront's addresses" % did in failure(res), failure(res)
    assert settled(box) == before

    # the viewer-address bypass, with the origin header, and invalidations after on and off
    book = Book(tmp_path, box, sorry_driver=driver, sorry_bypass_headers=[], sorry_pages=pages,
                sorry_bypass_viewer_header=True, sorry_cloudfront_origin_header=ORIGIN,
                sorry_cloudfront_invalidate=True, sorry_verify_url='')
    box.proxy.reset()
    if driver == 'alb':
        box.reconciler.stop_acting()      # the ALB driver writes, then pauses the stand-in controller
    res = book.run('on')
    box.reconciler.resume_acting()
    assert_ok(res)
    assert 'driver: %s' % driver in summary(res), summary(res)
    assert ORIGIN['value'] not in res.stdout                          # the secret never reaches the output
    assert invalidations(box) == 1
    assert messages(res, 'Say what was invalidated').startswith('CloudFront: invalidation ')
    assert ' of /* on %s: Completed after ' % did in messages(res, 'Say what was invalidated')
    for host in (shop, blog):
        office = through_cloudfront(box, host, OFFICE_IP)
        assert office.status == 200 and office.first_line.startswith('sample-app OK'), office
        assert through_cloudfront(box, host, PUBLIC_IP).status == 503
        # straight to the ALB: a forged viewer header without the origin header gets the page
        forged = directly(box, host, {VIEWER_ADDRESS_HEADER: '%s:40000' % OFFICE_IP})
        assert forged.status == 503, forged
    res = book.run('status')
    assert_ok(res)
    assert 'no Retry-After header: an ALB fixed response cannot carry custom headers' in summary(res), summary(res)

    box.proxy.reset()
    if driver == 'alb':
        box.reconciler.stop_acting()
    res = book.run('off')
    box.reconciler.resume_acting()
    assert_ok(res)
    assert invalidations(box) == 1
    assert settled(box) == before
    for host in (shop, blog):
        assert through_cloudfront(box, host, PUBLIC_IP).status == 200
