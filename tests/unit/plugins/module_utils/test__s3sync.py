# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.sorrypage.aws.plugins.module_utils import _s3sync as S

BUCKET = 'sorry-assets'
HTML = 'text/html; charset=utf-8'
CSS = 'text/css; charset=utf-8'


def wrap(client):
    """As the module makes it: calls take aws_retry=True."""
    return RetryingBotoClientWrapper(client, AWSRetry.jittered_backoff(retries=2, delay=0.01))


class CallLog:
    """Counts the API calls a boto3 client really sends."""

    def __init__(self, client):
        self.calls = []
        client.meta.events.register('before-call.*.*', self._record)

    def _record(self, model, **_kwargs):
        self.calls.append(model.name)

    def count(self, name):
        return self.calls.count(name)


@pytest.fixture
def aws(monkeypatch):
    for key, value in (('AWS_ACCESS_KEY_ID', 'testing'), ('AWS_SECRET_ACCESS_KEY', 'testing'),
                       ('AWS_DEFAULT_REGION', 'us-east-1')):
        monkeypatch.setenv(key, value)
    monkeypatch.delenv('AWS_PROFILE', raising=False)
    with mock_aws():
        yield


@pytest.fixture
def s3(aws):
    client = boto3.client('s3', region_name='us-east-1')
    client.create_bucket(Bucket=BUCKET)
    return client


def objects(css=b'h1{color:red}', page=b'<p>hi', cache='public, max-age=60'):
    return [
        S.desired_object('sorry/style.%s.css' % hashlib.sha256(css).hexdigest()[:8], css, CSS, S.FINGERPRINTED_CACHE_CONTROL, True),
        S.desired_object('sorry/preview/en.html', page, HTML, cache, False),
    ]


# ------------------------------------------------------------- pure parts

@pytest.mark.parametrize('prefix, expected', [
    ('', ''), (None, ''), ('sorry', 'sorry/'), ('sorry/', 'sorry/'), ('/sorry', 'sorry/'), ('a/b', 'a/b/'),
])
def test_normalize_prefix(prefix, expected):
    assert S.normalize_prefix(prefix) == expected


DESIRED = S.desired_object('k', b'abc', CSS, 'public, max-age=60', False)
MD5 = hashlib.md5(b'abc').hexdigest()


@pytest.mark.parametrize('head, current', [
    (None, False),
    ({'ETag': '"%s"' % MD5, 'ContentType': CSS, 'CacheControl': 'public, max-age=60'}, True),
    ({'ETag': '"other-1"', 'ContentType': CSS, 'CacheControl': 'public, max-age=60', 'Metadata': {S.MD5_METADATA: MD5}}, True),
    ({'ETag': '"%s"' % hashlib.md5(b'abd').hexdigest(), 'ContentType': CSS, 'CacheControl': 'public, max-age=60'}, False),
    ({'ETag': '"%s"' % MD5, 'ContentType': 'text/css', 'CacheControl': 'public, max-age=60'}, False),
    ({'ETag': '"%s"' % MD5, 'ContentType': CSS}, False),
    ({'ETag': '"%s"' % MD5, 'ContentType': CSS, 'CacheControl': 'no-cache'}, False),
])
def test_object_is_current(head, current):
    assert S.object_is_current(DESIRED, head) is current


@pytest.mark.parametrize('keys, prefix, public_url, expected', [
    (['sorry/preview/en.html'], 'sorry/', 'https://cdn.example.com/sorry', ['/sorry/preview/en.html']),
    (['sorry/preview/en.html'], 'sorry/', 'https://cdn.example.com/', ['/preview/en.html']),
    (['sorry/preview/en.html'], 'sorry/', 'https://cdn.example.com/x/y/', ['/x/y/preview/en.html']),
    (['sorry/preview/en.html', 'sorry/preview/ja.html'], 'sorry/', None, ['/sorry/preview/en.html', '/sorry/preview/ja.html']),
    (['preview/a b.html'], '', 'https://cdn.example.com', ['/preview/a%20b.html']),
])
def test_invalidation_paths(keys, prefix, public_url, expected):
    assert S.invalidation_paths(keys, prefix, public_url) == expected


class FakeCloudFront:
    """get_invalidation answering a scripted list of statuses."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.calls = 0

    def get_invalidation(self, DistributionId, Id, aws_retry=False):  # pylint: disable=invalid-name
        assert (DistributionId, Id, aws_retry) == ('E1', 'I1', True)
        self.calls += 1
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return {'Invalidation': {'Id': Id, 'Status': status}}


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


@pytest.mark.parametrize('final', ['Completed', 'COMPLETED', 'completed'])
def test_wait_for_invalidation_any_case(final):
    cloudfront = FakeCloudFront(['InProgress', 'InProgress', final])
    clock = FakeClock()
    assert S.wait_for_invalidation(cloudfront, 'E1', 'I1', 60, sleep=clock.sleep, clock=clock) == final
    assert cloudfront.calls == 3
    assert clock.sleeps == [2.0, 3.0]


def test_wait_for_invalidation_times_out():
    cloudfront = FakeCloudFront(['InProgress'])
    clock = FakeClock()
    with pytest.raises(S.SyncError) as err:
        S.wait_for_invalidation(cloudfront, 'E1', 'I1', 20, sleep=clock.sleep, clock=clock)
    assert str(err.value) == 'CloudFront invalidation I1 on E1 is still InProgress after 20 seconds'
    assert sum(clock.sleeps) == 20
    assert max(clock.sleeps) <= 15


# ------------------------------------------------------------- against moto

def test_sync_uploads_then_changes_nothing(s3):
    log = CallLog(s3)
    client = wrap(s3)
    first = S.sync(client, BUCKET, 'sorry/', objects())
    assert first == {'uploaded': [o['key'] for o in objects()], 'unchanged': [], 'to_invalidate': ['sorry/preview/en.html']}
    assert log.count('PutObject') == 2
    css_key = objects()[0]['key']
    head = s3.head_object(Bucket=BUCKET, Key=css_key)
    assert head['ContentType'] == CSS
    assert head['CacheControl'] == 'public, max-age=31536000, immutable'
    assert head['Metadata'] == {S.MD5_METADATA: hashlib.md5(b'h1{color:red}').hexdigest()}
    assert s3.get_object(Bucket=BUCKET, Key='sorry/preview/en.html')['Body'].read() == b'<p>hi'
    assert s3.head_object(Bucket=BUCKET, Key='sorry/preview/en.html')['CacheControl'] == 'public, max-age=60'

    second = S.sync(client, BUCKET, 'sorry/', objects())
    assert second == {'uploaded': [], 'unchanged': [o['key'] for o in objects()], 'to_invalidate': []}
    assert log.count('PutObject') == 2


def test_sync_uploads_only_what_changed(s3):
    client = wrap(s3)
    S.sync(client, BUCKET, 'sorry/', objects())
    log = CallLog(s3)
    result = S.sync(client, BUCKET, 'sorry/', objects(page=b'<p>new'))
    assert result['uploaded'] == ['sorry/preview/en.html']
    assert result['to_invalidate'] == ['sorry/preview/en.html']
    assert log.count('PutObject') == 1
    # a Cache-Control change alone is a change too
    result = S.sync(client, BUCKET, 'sorry/', objects(page=b'<p>new', cache='no-cache'))
    assert result['uploaded'] == ['sorry/preview/en.html']
    assert s3.head_object(Bucket=BUCKET, Key='sorry/preview/en.html')['CacheControl'] == 'no-cache'


def test_sync_check_mode_writes_nothing(s3):
    log = CallLog(s3)
    result = S.sync(wrap(s3), BUCKET, 'sorry/', objects(), check_mode=True)
    assert result['uploaded'] == [o['key'] for o in objects()]
    assert log.count('PutObject') == 0
    assert s3.list_objects_v2(Bucket=BUCKET).get('KeyCount') == 0


def test_sync_missing_bucket_fails_before_any_write(s3):
    log = CallLog(s3)
    with pytest.raises(S.SyncError) as err:
        S.sync(wrap(s3), 'no-such-bucket', 'sorry/', objects())
    assert str(err.value) == 'bucket no-such-bucket does not exist (NoSuchBucket); nothing was uploaded'
    assert err.value.cause.response['Error']['Code'] == 'NoSuchBucket'
    assert log.calls == ['ListObjectsV2']


@pytest.mark.parametrize('code, message', [
    ('InvalidAccessKeyId', 'AWS rejected the credentials (InvalidAccessKeyId) while reading bucket sorry-assets; nothing was uploaded. '
                           'Check the access key, secret key, session token or profile'),
    ('SignatureDoesNotMatch', 'AWS rejected the credentials (SignatureDoesNotMatch) while reading bucket sorry-assets; nothing was uploaded. '
                              'Check the access key, secret key, session token or profile'),
    ('ExpiredToken', 'AWS rejected the credentials (ExpiredToken) while reading bucket sorry-assets; nothing was uploaded. '
                     'Check the access key, secret key, session token or profile'),
    ('AccessDenied', 'access denied to bucket sorry-assets (needs s3:ListBucket on it, and s3:GetObject and s3:PutObject on sorry/*); '
                     'nothing was uploaded'),
])
def test_check_bucket_errors(aws, code, message):
    client = boto3.client('s3', region_name='us-east-1')
    with Stubber(client) as stub:
        stub.add_client_error('list_objects_v2', service_error_code=code, http_status_code=403)
        with pytest.raises(S.SyncError) as err:
            S.sync(wrap(client), BUCKET, 'sorry/', objects())
        stub.assert_no_pending_responses()
    assert str(err.value) == message


def test_invalidation_created_and_completed(aws):
    cloudfront = boto3.client('cloudfront', region_name='us-east-1')
    distribution = cloudfront.create_distribution(DistributionConfig={
        'CallerReference': 'test', 'Comment': '', 'Enabled': True,
        'Origins': {'Quantity': 1, 'Items': [
            {'Id': 's3', 'DomainName': BUCKET + '.s3.amazonaws.com', 'S3OriginConfig': {'OriginAccessIdentity': ''}}]},
        'DefaultCacheBehavior': {'TargetOriginId': 's3', 'ViewerProtocolPolicy': 'redirect-to-https', 'MinTTL': 0,
                                 'ForwardedValues': {'QueryString': False, 'Cookies': {'Forward': 'none'}}},
    })['Distribution']['Id']
    client = wrap(cloudfront)
    inv_id = S.create_invalidation(client, distribution, ['/sorry/preview/en.html'])
    listed = cloudfront.list_invalidations(DistributionId=distribution)['InvalidationList']['Items']
    assert [item['Id'] for item in listed] == [inv_id]
    batch = cloudfront.get_invalidation(DistributionId=distribution, Id=inv_id)['Invalidation']['InvalidationBatch']
    assert batch['Paths']['Items'] == ['/sorry/preview/en.html']
    assert batch['CallerReference'].startswith('sorrypage-')
    assert S.wait_for_invalidation(client, distribution, inv_id, 30).lower() == 'completed'
    # a second invalidation of the same paths is a new one (content may have
    # gone A -> B -> A), not CloudFront's replay of the first
    second = S.create_invalidation(client, distribution, ['/sorry/preview/en.html'])
    assert second != inv_id
    refs = {cloudfront.get_invalidation(DistributionId=distribution, Id=i)['Invalidation']['InvalidationBatch']['CallerReference']
            for i in (inv_id, second)}
    assert len(refs) == 2


def test_before_upload_can_stop_the_sync(s3):
    log = CallLog(s3)
    seen = []

    def before_upload(planned):
        seen.append(planned)
        raise S.SyncError('stop')

    with pytest.raises(S.SyncError):
        S.sync(wrap(s3), BUCKET, 'sorry/', objects(), before_upload=before_upload)
    assert seen == [{'uploaded': [o['key'] for o in objects()], 'unchanged': [], 'to_invalidate': ['sorry/preview/en.html']}]
    assert log.count('PutObject') == 0


def test_check_distribution(aws):
    client = wrap(boto3.client('cloudfront', region_name='us-east-1'))
    with pytest.raises(S.SyncError) as err:
        S.check_distribution(client, 'E0NOSUCHDIST')
    assert str(err.value) == 'CloudFront distribution E0NOSUCHDIST does not exist (NoSuchDistribution); nothing was uploaded'


def test_invalidation_of_a_missing_distribution(aws):
    client = wrap(boto3.client('cloudfront', region_name='us-east-1'))
    with pytest.raises(S.SyncError) as err:
        S.create_invalidation(client, 'E0NOSUCHDIST', ['/sorry/preview/en.html'])
    assert str(err.value) == ('CloudFront distribution E0NOSUCHDIST does not exist (NoSuchDistribution); '
                              'the objects were uploaded but /sorry/preview/en.html were not invalidated')


def test_a_head_object_refused_names_the_permission_it_needs():
    client = boto3.client('s3', region_name='us-east-1', aws_access_key_id='x', aws_secret_access_key='y')
    with Stubber(client) as stub:
        stub.add_response('list_objects_v2', {'KeyCount': 0}, {'Bucket': BUCKET, 'Prefix': 'sorry/', 'MaxKeys': 1})
        stub.add_client_error('head_object', service_error_code='403', service_message='Forbidden', http_status_code=403)
        with pytest.raises(S.SyncError) as err:
            S.sync(wrap(client), BUCKET, 'sorry/', objects())
    assert str(err.value).startswith('access denied reading s3://%s/sorry/' % BUCKET)
    assert 'it needs s3:GetObject on the object' in str(err.value)
