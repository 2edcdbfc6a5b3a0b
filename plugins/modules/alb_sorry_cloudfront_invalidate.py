#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: alb_sorry_cloudfront_invalidate
short_description: Invalidate the CloudFront distributions in front of an ALB, and wait until they are done
version_added: 0.3.0
description:
  - Creates one invalidation per distribution (by default of C(/*)), so that pages CloudFront cached before the switch
    stop being served; run it after C(on) and after C(off).
  - With O(wait), polls GetInvalidation until each is C(Completed) and reports how long it took.
  - Always creates new invalidations (C(changed=true)); in check mode it makes no call and reports what it would do.
author:
  - sorrypage.aws maintainers (@sorrypage)
options:
  distribution_ids:
    description: The distributions to invalidate (RV(sorrypage.aws.alb_sorry_cloudfront_info#module:distributions[].id)).
    type: list
    elements: str
    required: true
  paths:
    description: The paths to invalidate, each starting with C(/); C(*) only at the end.
    type: list
    elements: str
    default: ['/*']
  wait:
    description: Wait until every invalidation is C(Completed).
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for all of them together. When it runs out the module fails naming the distribution and the
        invalidation; the invalidation goes on by itself.
    type: int
    default: 600
  caller_reference:
    description:
      - CloudFront's CallerReference, the same for every distribution. The same reference and paths again return the
        invalidation already made; the same reference with other paths is refused by CloudFront.
      - Default C(sorrypage-<distribution id>-<epoch ms>), new on every run.
    type: str
attributes:
  check_mode:
    support: full
    description: Makes no call; reports the invalidations it would create.
  diff_mode:
    support: none
    description: An invalidation has no before and after.
notes:
  - "IAM: C(cloudfront:CreateInvalidation) and, with O(wait), C(cloudfront:GetInvalidation)."
seealso:
  - module: sorrypage.aws.alb_sorry_cloudfront_info
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Invalidate what CloudFront cached of the site, and wait
  sorrypage.aws.alb_sorry_cloudfront_invalidate:
    distribution_ids: "{{ cdn.distributions | map(attribute='id') | list }}"
  when: cdn.in_front

- name: Only the pages, without waiting
  sorrypage.aws.alb_sorry_cloudfront_invalidate:
    distribution_ids: [E2QWRUHAPOMQZL]
    paths: [/, /index.html, /shop/*]
    wait: false
"""

RETURN = r"""
invalidations:
  description: One per distribution, in the order of O(distribution_ids).
  returned: always
  type: list
  elements: dict
  contains:
    distribution_id:
      description: The distribution.
      type: str
    id:
      description: The invalidation's id; null in check mode.
      type: str
    status:
      description: Its last status (C(InProgress), C(Completed)); C(would create) in check mode.
      type: str
    paths:
      description: The paths invalidated.
      type: list
      elements: str
    caller_reference:
      description: The CallerReference used; null in check mode without O(caller_reference).
      type: str
    waited_s:
      description: Seconds spent waiting for it (0 without O(wait)).
      type: float
    reads:
      description: GetInvalidation calls made for it.
      type: int
  sample:
    - distribution_id: E2QWRUHAPOMQZL
      id: I2J0I21PCUYOIK
      status: Completed
      paths: [/*]
      caller_reference: sorrypage-E2QWRUHAPOMQZL-1764662400000
      waited_s: 41.2
      reads: 9
"""

import time

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.sorrypage.aws.plugins.module_utils._aws_module import SorryAWSModule
from ansible_collections.sorrypage.aws.plugins.module_utils import _cloudfront

POLL_INTERVAL = 5


def create(client, distribution_id, paths, reference):
    batch = {'Paths': {'Quantity': len(paths), 'Items': list(paths)}, 'CallerReference': reference}
    created = client.create_invalidation(aws_retry=True, DistributionId=distribution_id, InvalidationBatch=batch)
    invalidation = created['Invalidation']
    return {'distribution_id': distribution_id, 'id': invalidation['Id'], 'status': invalidation.get('Status'),
            'paths': list(paths), 'caller_reference': reference, 'waited_s': 0, 'reads': 0}


def main():
    module = SorryAWSModule(
        argument_spec=dict(
            distribution_ids=dict(type='list', elements='str', required=True),
            paths=dict(type='list', elements='str', default=['/*']),
            wait=dict(type='bool', default=True),
            timeout=dict(type='int', default=600),
            caller_reference=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        _cloudfront.check_invalidation_inputs(params['distribution_ids'], params['paths'], params['timeout'])
    except _cloudfront.InvalidationInputError as e:
        module.fail_json(msg=str(e))
    if module.check_mode:
        planned = _cloudfront.planned(params['distribution_ids'], params['paths'])
        for item in planned:
            item['caller_reference'] = params['caller_reference']
        module.exit_json(changed=True, invalidations=planned)

    client = module.client('cloudfront', retry_decorator=AWSRetry.jittered_backoff())
    invalidations = []
    now = time.time()
    for did in params['distribution_ids']:
        reference = params['caller_reference'] or _cloudfront.caller_reference(now, did)
        try:
            invalidations.append(create(client, did, params['paths'], reference))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            done = ', '.join('%s (%s)' % (i['distribution_id'], i['id']) for i in invalidations) or 'none'
            module.fail_json_aws(e, msg='could not invalidate CloudFront distribution %s (already invalidated: %s)'
                                 % (did, done), changed=bool(invalidations), invalidations=invalidations)

    if params['wait']:
        start = time.time()
        for item in invalidations:
            def read_status(item=item):
                got = client.get_invalidation(aws_retry=True, DistributionId=item['distribution_id'], Id=item['id'])
                return got['Invalidation']['Status']
            left = max(0, params['timeout'] - (time.time() - start))
            try:
                state = _cloudfront.wait_invalidation(read_status, left, interval=POLL_INTERVAL)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                module.fail_json_aws(e, msg='could not read invalidation %s of CloudFront distribution %s; it goes on by '
                                     'itself' % (item['id'], item['distribution_id']),
                                     changed=True, invalidations=invalidations)
            item.update(status=state['status'], waited_s=state['waited_s'], reads=state['reads'])
            if not state['done']:
                module.fail_json(msg=_cloudfront.timeout_message(item['distribution_id'], item['id'], params['timeout'],
                                                                 state['status']),
                                 changed=True, invalidations=invalidations)
    module.exit_json(changed=True, invalidations=invalidations)


if __name__ == '__main__':
    main()
