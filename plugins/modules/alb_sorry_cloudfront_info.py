#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: alb_sorry_cloudfront_info
short_description: Find the CloudFront distributions in front of an ALB and say what they do to the Sorry page
version_added: 0.3.0
description:
  - Read-only. Lists the CloudFront distributions once and keeps those in front of the Application Load Balancer, that
    is those with an origin whose domain name is the load balancer's DNS name (case-insensitive, trailing dot and
    C(dualstack.) prefix ignored), plus those named in O(distribution_ids).
  - For each, what it caches and forwards to the load balancer, and one warning per thing that changes what the public
    sees during maintenance, each with its fix (docs/cloudfront.md explains every one).
  - One DescribeLoadBalancers call with O(load_balancer_name), one paginated ListDistributions, and one GetCachePolicy
    or GetOriginRequestPolicy per custom (not AWS managed) policy the load balancer's cache behaviors use. A policy that
    cannot be read gives a warning, never a failure.
author:
  - sorrypage.aws maintainers (@sorrypage)
options:
  load_balancer_name:
    description:
      - Name of the load balancer; its DNS name is read with DescribeLoadBalancers.
      - Mutually exclusive with O(load_balancer_dns_name); one of them is required.
    type: str
  load_balancer_dns_name:
    description:
      - DNS name of the load balancer, when it is already known (no ELBv2 call then).
    type: str
  distribution_ids:
    description:
      - Distributions taken as in front of the load balancer whatever their origins say (an origin that is a CNAME of
        the load balancer). Their load balancer origin is the default cache behavior's.
      - An id that ListDistributions does not return gives a warning.
    type: list
    elements: str
    default: []
  needs:
    description: What the site's rules match on, so what the distributions must forward.
    type: dict
    default: {}
    suboptions:
      accept_language:
        description: The site has language rules (C(Accept-Language) must be forwarded and in the cache key).
        type: bool
        default: false
      accept:
        description: The site has JSON rules by C(Accept) header (C(Accept) must be forwarded and in the cache key).
        type: bool
        default: false
      viewer_address:
        description: The bypass is matched on C(CloudFront-Viewer-Address) (it must be forwarded).
        type: bool
        default: false
  origin_header_name:
    description:
      - Name of the secret origin custom header the bypass requires; a load balancer origin without it gives a warning.
      - Only names are compared and returned, never values.
    type: str
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to show.
notes:
  - "IAM: C(cloudfront:ListDistributions), C(cloudfront:GetCachePolicy), C(cloudfront:GetOriginRequestPolicy) and,
    with O(load_balancer_name), C(elasticloadbalancing:DescribeLoadBalancers)."
seealso:
  - module: sorrypage.aws.alb_sorry_cloudfront_invalidate
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Which CloudFront distributions serve the site, and what do they do to the Sorry page?
  sorrypage.aws.alb_sorry_cloudfront_info:
    load_balancer_name: k8s-shop-main-1234567890
    needs:
      accept_language: true
      viewer_address: true
    origin_header_name: X-Origin-Verify
  register: cdn

- name: Say what to fix
  ansible.builtin.debug:
    msg: "{{ cdn.cloudfront_warnings }}"
  when: cdn.in_front

- name: A distribution whose origin is a CNAME of the ALB
  sorrypage.aws.alb_sorry_cloudfront_info:
    load_balancer_dns_name: k8s-shop-main-1234567890.eu-west-1.elb.amazonaws.com
    distribution_ids: [E2QWRUHAPOMQZL]
"""

RETURN = r"""
distributions:
  description: The distributions in front of the load balancer, in ListDistributions order.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Distribution id.
      type: str
    domain_name:
      description: Its C(*.cloudfront.net) domain name.
      type: str
    aliases:
      description: Its alternate domain names (CNAMEs).
      type: list
      elements: str
    origin_id:
      description: Id of its origin that is the load balancer.
      type: str
    error_caching_min_ttl_503:
      description: Seconds CloudFront caches a 503; 10 (CloudFront's default) without a custom error response for 503.
      type: int
    custom_error_page_503:
      description: ResponsePagePath of its custom error response for 503, or null.
      type: str
    cache_key_headers:
      description:
        - Headers in the cache key of the cache behaviors routing to the load balancer (union over them).
        - C(*) is every viewer header, C(-Name) a viewer header left out of C(*), C(CloudFront-*) every CloudFront
          header, C(CloudFront-*?) CloudFront headers not known to be there.
      type: list
      elements: str
    forwarded_headers:
      description: Headers forwarded to the load balancer by those behaviors (union over them), written as RV(distributions[].cache_key_headers).
      type: list
      elements: str
    origin_custom_header_names:
      description: Names of the load balancer origin's custom headers; never their values.
      type: list
      elements: str
    behaviors:
      description: The cache behaviors routing to the load balancer, the default one (path pattern C(*)) first.
      type: list
      elements: dict
      contains:
        path_pattern:
          description: Its path pattern; C(*) for the default cache behavior.
          type: str
        caching:
          description: It can cache responses (false for a maximum TTL of 0, or legacy settings forwarding all headers).
          type: bool
        cache_policy_id:
          description: Its cache policy, or null with legacy settings (ForwardedValues).
          type: str
        origin_request_policy_id:
          description: Its origin request policy, or null.
          type: str
        cache_key_headers:
          description: Headers in its cache key; null when its cache policy could not be read.
          type: list
          elements: str
        forwarded_headers:
          description: Headers it forwards; null when one of its policies could not be read.
          type: list
          elements: str
cloudfront_warnings:
  description:
    - One line each, naming the distribution, what goes wrong and the fix (docs/cloudfront.md); ids of
      O(distribution_ids) not found and policies that could not be read (C(could not read cache policy <id>) and the error)
      come first.
    - Each is also said as an Ansible warning, so it is in the result's C(warnings) too when there is one (C(warnings)
      belongs to Ansible, and is left out when empty).
  returned: always
  type: list
  elements: str
in_front:
  description: Some distribution is in front of the load balancer.
  returned: always
  type: bool
load_balancer_dns_name:
  description: The DNS name distributions were matched against.
  returned: always
  type: str
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.sorrypage.aws.plugins.module_utils._aws_module import SorryAWSModule
from ansible_collections.sorrypage.aws.plugins.module_utils import _cloudfront
from ansible_collections.sorrypage.aws.plugins.module_utils import _elbv2


def list_distributions(client):
    """Every distribution summary: one paginated ListDistributions (retried as one on throttling)."""
    result = paginated_query_with_retries(client, 'list_distributions', retry_decorator=AWSRetry.jittered_backoff())
    return (result.get('DistributionList') or {}).get('Items') or []


def read_policies(client, cache_ids, request_ids):
    """(cache policies, origin request policies, warnings): a policy that cannot be read is a warning."""
    cache, request, warnings = {}, {}, []
    for pid in cache_ids:
        try:
            cache[pid] = _cloudfront.cache_policy_entry(client.get_cache_policy(aws_retry=True, Id=pid)['CachePolicy'])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            warnings.append(_cloudfront.policy_read_warning('cache', pid, e))
    for pid in request_ids:
        try:
            request[pid] = _cloudfront.origin_request_policy_entry(
                client.get_origin_request_policy(aws_retry=True, Id=pid)['OriginRequestPolicy'])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            warnings.append(_cloudfront.policy_read_warning('origin request', pid, e))
    return cache, request, warnings


def main():
    module = SorryAWSModule(
        argument_spec=dict(
            load_balancer_name=dict(type='str'),
            load_balancer_dns_name=dict(type='str'),
            distribution_ids=dict(type='list', elements='str', default=[]),
            needs=dict(type='dict', default={}, options=dict(
                accept_language=dict(type='bool', default=False),
                accept=dict(type='bool', default=False),
                viewer_address=dict(type='bool', default=False),
            )),
            origin_header_name=dict(type='str'),
        ),
        supports_check_mode=True,
        mutually_exclusive=[('load_balancer_name', 'load_balancer_dns_name')],
        required_one_of=[('load_balancer_name', 'load_balancer_dns_name')],
    )
    params = module.params
    dns_name = params['load_balancer_dns_name']
    if params['load_balancer_name']:
        elbv2 = module.client('elbv2', retry_decorator=AWSRetry.jittered_backoff())
        try:
            dns_name = _elbv2.describe_load_balancer(elbv2, name=params['load_balancer_name'])['DNSName']
        except _elbv2.NotFound as e:
            module.fail_json(msg=str(e))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg='could not describe load balancer %s' % params['load_balancer_name'])
    client = module.client('cloudfront', retry_decorator=AWSRetry.jittered_backoff())
    try:
        summaries = list_distributions(client)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg='could not list the CloudFront distributions')
    found, _missing = _cloudfront.in_front(summaries, dns_name, params['distribution_ids'])
    cache_ids, request_ids = _cloudfront.policies_to_read(found)
    cache, request, read_warnings = read_policies(client, cache_ids, request_ids)
    result = _cloudfront.report(summaries, dns_name, params['distribution_ids'], cache, request,
                                needs=params['needs'], origin_header_name=params['origin_header_name'],
                                read_warnings=read_warnings)
    for warning in result['warnings']:
        module.warn(warning)
    module.exit_json(changed=False, load_balancer_dns_name=dns_name, distributions=result['distributions'],
                     cloudfront_warnings=result['warnings'], in_front=result['in_front'])


if __name__ == '__main__':
    main()
