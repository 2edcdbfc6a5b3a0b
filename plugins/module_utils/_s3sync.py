# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Sync built objects to S3 by MD5, and invalidate CloudFront for what changed.

Clients are passed in (made by the module with a retry decorator); calls use
``aws_retry=True``. Expected AWS errors become SyncError with a message that
says what to do; anything else propagates to the module's fail_json_aws.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import time
from urllib.parse import quote, urlparse

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

FINGERPRINTED_CACHE_CONTROL = 'public, max-age=31536000, immutable'
DEFAULT_CACHE_CONTROL = 'public, max-age=60'
MD5_METADATA = 'sorrypage-md5'

_MISSING_CODES = ('404', 'NoSuchKey', 'NotFound')
_CREDENTIAL_CODES = ('InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken',
                     'TokenRefreshRequired', 'InvalidClientTokenId', 'UnrecognizedClientException',
                     'AuthFailure')


class SyncError(Exception):
    """An expected failure; ``cause`` is the botocore exception, if any."""

    def __init__(self, msg, cause=None):
        super(SyncError, self).__init__(msg)
        self.cause = cause


def normalize_prefix(prefix):
    """'' stays ''; 'sorry' and '/sorry/' become 'sorry/'."""
    prefix = (prefix or '').lstrip('/')
    if prefix and not prefix.endswith('/'):
        prefix += '/'
    return prefix


def md5_hex(data):
    return hashlib.md5(data).hexdigest()  # nosec: S3's ETag, not security


def desired_object(key, data, content_type, cache_control, fingerprinted):
    return {
        'key': key,
        'data': data,
        'md5': md5_hex(data),
        'content_type': content_type,
        'cache_control': cache_control,
        'fingerprinted': fingerprinted,
    }


def object_is_current(desired, head):
    """True when the stored object (a head_object response, or None) already
    has this content, Content-Type and Cache-Control.

    The content is compared by the MD5 kept in metadata when present (an
    SSE-KMS object's ETag is not its MD5), else by the single-part ETag."""
    if not head:
        return False
    etag = (head.get('ETag') or '').strip('"')
    stored_md5 = (head.get('Metadata') or {}).get(MD5_METADATA)
    same_content = desired['md5'] in (etag, stored_md5)
    return (same_content and head.get('ContentType') == desired['content_type']
            and (head.get('CacheControl') or None) == (desired['cache_control'] or None))


def check_bucket(s3, bucket, prefix):
    """One cheap read that fails clearly on a missing bucket or bad
    credentials before anything is written."""
    try:
        s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1, aws_retry=True)
    except is_boto3_error_code('NoSuchBucket') as exc:
        raise SyncError('bucket %s does not exist (NoSuchBucket); nothing was uploaded' % bucket, exc)
    except is_boto3_error_code(_CREDENTIAL_CODES) as exc:  # pylint: disable=duplicate-except
        raise SyncError('AWS rejected the credentials (%s) while reading bucket %s; nothing was uploaded. '
                        'Check the access key, secret key, session token or profile'
                        % (exc.response['Error']['Code'], bucket), exc)
    except is_boto3_error_code(('AccessDenied', '403')) as exc:  # pylint: disable=duplicate-except
        raise SyncError('access denied to bucket %s (needs s3:ListBucket on it, and s3:GetObject and '
                        's3:PutObject on %s*); nothing was uploaded' % (bucket, prefix), exc)


def head(s3, bucket, key):
    try:
        return s3.head_object(Bucket=bucket, Key=key, aws_retry=True)
    except is_boto3_error_code(_MISSING_CODES):
        return None
    except is_boto3_error_code(('AccessDenied', '403', 'Forbidden')) as exc:  # pylint: disable=duplicate-except
        # HEAD has no body: S3 says only 403, never which permission
        raise SyncError('access denied reading s3://%s/%s (HeadObject answered 403: it needs s3:GetObject on the '
                        'object); nothing more was uploaded' % (bucket, key), exc)


def plan(s3, bucket, objects):
    """Split the desired objects into (to upload, unchanged), order kept."""
    to_upload, unchanged = [], []
    for obj in objects:
        (unchanged if object_is_current(obj, head(s3, bucket, obj['key'])) else to_upload).append(obj)
    return to_upload, unchanged


def put(s3, bucket, obj):
    s3.put_object(Bucket=bucket, Key=obj['key'], Body=obj['data'], ContentType=obj['content_type'],
                  CacheControl=obj['cache_control'], Metadata={MD5_METADATA: obj['md5']}, aws_retry=True)


def sync(s3, bucket, prefix, objects, check_mode=False, before_upload=None):
    """Upload what differs, in the order given (assets before the pages that
    use them). Returns {'uploaded': [keys], 'unchanged': [keys],
    'to_invalidate': [keys]}; in check mode 'uploaded' lists what would be
    uploaded. 'to_invalidate' lists the uploaded keys that are not
    fingerprinted (the only ones a CDN may hold stale).

    ``before_upload(result)`` runs after the plan and before the first write,
    to validate what the upload leads to (a CloudFront distribution): failing
    there leaves S3 untouched, so a rerun still sees the change."""
    check_bucket(s3, bucket, prefix)
    to_upload, unchanged = plan(s3, bucket, objects)
    result = {'uploaded': [obj['key'] for obj in to_upload],
              'unchanged': [obj['key'] for obj in unchanged],
              'to_invalidate': [obj['key'] for obj in to_upload if not obj['fingerprinted']]}
    if before_upload is not None:
        before_upload(result)
    if not check_mode:
        for obj in to_upload:
            put(s3, bucket, obj)
    return result


def check_distribution(cloudfront, distribution_id):
    """Fail clearly, before any upload, on a distribution that does not exist."""
    try:
        cloudfront.get_distribution(Id=distribution_id, aws_retry=True)
    except is_boto3_error_code('NoSuchDistribution') as exc:
        raise SyncError('CloudFront distribution %s does not exist (NoSuchDistribution); nothing was uploaded' % distribution_id, exc)


def invalidation_paths(keys, prefix, public_url=None):
    """CloudFront paths for changed object keys.

    public_url is the CDN address of ``prefix`` in the bucket, so a key's
    path is public_url's path plus the key after the prefix; without it the
    distribution is taken to serve the bucket from its root ('/' + key)."""
    paths = []
    base = urlparse(public_url).path.rstrip('/') if public_url else None
    for key in keys:
        if base is not None and key.startswith(prefix):
            path = base + '/' + key[len(prefix):]
        else:
            path = '/' + key
        paths.append(quote(path, safe="/-_.~!$&'()*+,;=:@"))
    return sorted(set(paths))


def create_invalidation(cloudfront, distribution_id, paths, caller_reference=None):
    if caller_reference is None:
        caller_reference = 'sorrypage-%d' % time.time_ns()
    try:
        result = cloudfront.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={'Paths': {'Quantity': len(paths), 'Items': list(paths)}, 'CallerReference': caller_reference},
            aws_retry=True)
    except is_boto3_error_code('NoSuchDistribution') as exc:
        raise SyncError('CloudFront distribution %s does not exist (NoSuchDistribution); the objects were uploaded '
                        'but %s were not invalidated' % (distribution_id, ', '.join(paths)), exc)
    return result['Invalidation']['Id']


def wait_for_invalidation(cloudfront, distribution_id, invalidation_id, timeout,
                          sleep=time.sleep, clock=time.monotonic, interval=2.0, max_interval=15.0):
    """Poll until the invalidation is completed. The status is compared
    case-insensitively: CloudFront says 'Completed', moto 'COMPLETED' (which
    the botocore waiter does not accept)."""
    deadline = clock() + timeout
    status = None
    while True:
        result = cloudfront.get_invalidation(DistributionId=distribution_id, Id=invalidation_id, aws_retry=True)
        status = result['Invalidation']['Status']
        if status.lower() == 'completed':
            return status
        remaining = deadline - clock()
        if remaining <= 0:
            raise SyncError('CloudFront invalidation %s on %s is still %s after %s seconds' % (
                invalidation_id, distribution_id, status, timeout))
        sleep(min(interval, remaining))
        interval = min(interval * 1.5, max_interval)
