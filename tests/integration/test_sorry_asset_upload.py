"""sorrypage.aws.sorry_asset_upload through real ansible-playbook against moto over HTTP.

The ``counter`` proxy sits in front of moto, so the API calls counted are
the ones the module really sent.
"""
import os
import re
import shutil

import pytest

from tests.ansible_run import REPO, run_module
from tests.sandbox.aws import MotoServer

MODULE = 'sorrypage.aws.sorry_asset_upload'
DEFAULT_PAGES = os.path.join(REPO, 'roles', 'sorry_assets', 'files')
VARS = {
    'reason': 'Database upgrade <script>alert(1)</script>',
    'until': '2026-03-02T14:00:00Z',
    'status_url': 'https://status.example.com/',
    'contact': 'support@example.com',
}
PAGE_VARS = {'ja': {'reason': u'データベースのアップグレードを行っています。'}}


@pytest.fixture()
def src(tmp_path):
    """A copy of the default pages that a test may change."""
    path = tmp_path / 'src'
    shutil.copytree(DEFAULT_PAGES, str(path))
    return path


def module_args(src, endpoint, assets, **extra):
    args = {
        'src': str(src),
        'public_url': assets['public_url'],
        'bucket': assets['bucket'],
        'prefix': assets['prefix'],
        'cloudfront_distribution_id': assets['distribution_id'],
        'wait': True,
        'wait_timeout': 60,
        'template_vars': VARS,
        'page_vars': PAGE_VARS,
        'endpoint_url': endpoint,
        'region': 'us-east-1',
    }
    args.update(extra)
    return args


def bucket_keys(moto, bucket):
    return sorted(obj['Key'] for obj in moto.client('s3').list_objects_v2(Bucket=bucket).get('Contents', []))


def invalidations(moto, distribution_id):
    listed = moto.client('cloudfront').list_invalidations(DistributionId=distribution_id)['InvalidationList']
    return [item['Id'] for item in listed.get('Items', [])]


def ok(result):
    assert result.get('failed') is not True, result.get('msg', result)
    return result


def test_four_steps_check_real_check_real(moto, counter, assets, src):
    args = module_args(src, counter.url, assets)
    s3 = moto.client('s3')

    # 1. check mode: builds, reads S3, reports what it would upload, writes nothing
    first = ok(run_module(MODULE, args, check=True))
    assert first['changed'] is True
    keys = sorted(first['uploaded'])
    assert [k for k in keys if '/preview/' in k] == ['sorry/preview/en.html', 'sorry/preview/ja.html']
    assert [re.sub(r'\.[0-9a-f]{8}\.', '.#.', k) for k in keys if '/preview/' not in k] == ['sorry/logo.#.svg', 'sorry/style.#.css']
    assert first['unchanged'] == []
    assert first['invalidated_paths'] == ['/%s/sorry/preview/en.html' % assets['bucket'], '/%s/sorry/preview/ja.html' % assets['bucket']]
    assert first['invalidation_id'] is None
    assert counter.counts['PutObject'] == 0 and counter.counts['CreateInvalidation'] == 0
    assert bucket_keys(moto, assets['bucket']) == []

    # 2. real run: assets first, then the preview pages; one invalidation, waited for
    counter.reset()
    second = ok(run_module(MODULE, args))
    assert second['changed'] is True
    assert sorted(second['uploaded']) == keys
    assert second['uploaded'][-2:] == ['sorry/preview/en.html', 'sorry/preview/ja.html']
    assert counter.counts['PutObject'] == 4
    assert bucket_keys(moto, assets['bucket']) == keys
    assert invalidations(moto, assets['distribution_id']) == [second['invalidation_id']]
    assert counter.counts['CreateInvalidation'] == 1 and counter.counts['GetInvalidation'] >= 1
    status = moto.client('cloudfront').get_invalidation(DistributionId=assets['distribution_id'], Id=second['invalidation_id'])
    assert status['Invalidation']['Status'].lower() == 'completed'
    assert status['Invalidation']['InvalidationBatch']['Paths']['Items'] == first['invalidated_paths']

    # What was uploaded is the built page, with the right headers.
    for name in ('en', 'ja'):
        page = second['pages'][name]
        obj = s3.get_object(Bucket=assets['bucket'], Key='sorry/preview/%s.html' % name)
        assert obj['Body'].read().decode('utf-8') == page['body']
        assert obj['ContentType'] == 'text/html; charset=utf-8'
        assert obj['CacheControl'] == 'public, max-age=60'
        assert page['preview_key'] == 'sorry/preview/%s.html' % name
        assert page['preview_url'] == '%s/preview/%s.html' % (assets['public_url'], name)
        assert page['marker'] in page['body']
        assert page['chars'] <= 1024 and page['room'] == 1024 - page['chars']
    assert '&lt;script>alert(1)&lt;/script>' in second['pages']['en']['body']
    assert '<script>' not in second['pages']['en']['body']
    for asset in second['assets']:
        head = s3.head_object(Bucket=assets['bucket'], Key=asset['key'])
        assert head['CacheControl'] == 'public, max-age=31536000, immutable'
        assert head['ContentType'] == asset['content_type']
        assert asset['url'] == '%s/%s' % (assets['public_url'], asset['key'][len('sorry/'):])
        assert asset['url'] in second['pages']['en']['body']
    assert {a['content_type'] for a in second['assets']} == {'text/css; charset=utf-8', 'image/svg+xml; charset=utf-8'}

    # 3. check mode again: nothing to do
    counter.reset()
    third = ok(run_module(MODULE, args, check=True))
    assert third['changed'] is False
    assert third['uploaded'] == [] and sorted(third['unchanged']) == keys
    assert third['invalidated_paths'] == [] and third['invalidation_id'] is None

    # 4. real run again: zero PUTs, no invalidation, same pages
    counter.reset()
    fourth = ok(run_module(MODULE, args))
    assert fourth['changed'] is False
    assert fourth['uploaded'] == [] and sorted(fourth['unchanged']) == keys
    assert counter.counts['PutObject'] == 0
    assert counter.counts['CreateInvalidation'] == 0
    assert fourth['invalidation_id'] is None
    assert invalidations(moto, assets['distribution_id']) == [second['invalidation_id']]
    assert {n: p['marker'] for n, p in fourth['pages'].items()} == {n: p['marker'] for n, p in second['pages'].items()}


def test_a_changed_asset_uploads_only_that_asset(moto, counter, assets, src):
    args = module_args(src, counter.url, assets)
    before = ok(run_module(MODULE, args))
    old = {a['src']: a['key'] for a in before['assets']}

    with open(str(src / 'logo.svg'), 'a') as handle:
        handle.write('<!-- new logo -->\n')
    counter.reset()
    after = ok(run_module(MODULE, args))
    new = {a['src']: a['key'] for a in after['assets']}
    assert new['logo.svg'] != old['logo.svg']
    assert new['style.css'] == old['style.css']
    # the new logo, then the pages that now point at it; the stylesheet stays
    assert after['uploaded'] == [new['logo.svg'], 'sorry/preview/en.html', 'sorry/preview/ja.html']
    assert sorted(after['unchanged']) == [old['style.css']]
    assert counter.counts['PutObject'] == 3
    # only the non-fingerprinted paths are invalidated
    assert after['invalidated_paths'] == ['/%s/sorry/preview/en.html' % assets['bucket'], '/%s/sorry/preview/ja.html' % assets['bucket']]
    assert len(invalidations(moto, assets['distribution_id'])) == 2
    # the old logo stays for pages still cached or already switched on
    assert old['logo.svg'] in bucket_keys(moto, assets['bucket'])
    for name in ('en', 'ja'):
        assert new['logo.svg'].split('/')[-1] in after['pages'][name]['body']
        assert after['pages'][name]['marker'] != before['pages'][name]['marker']


def test_changed_template_vars_upload_only_the_pages(moto, counter, assets, src):
    args = module_args(src, counter.url, assets)
    ok(run_module(MODULE, args))
    counter.reset()
    result = ok(run_module(MODULE, dict(args, page_vars={'ja': {'reason': u'緊急メンテナンスです。'}})))
    assert result['uploaded'] == ['sorry/preview/ja.html']
    assert counter.counts['PutObject'] == 1
    assert result['invalidated_paths'] == ['/%s/sorry/preview/ja.html' % assets['bucket']]


def test_build_only_makes_no_aws_call(counter, src):
    args = {'src': str(src), 'public_url': 'https://d111111abcdef8.cloudfront.net/sorry',
            'template_vars': VARS, 'page_vars': PAGE_VARS, 'endpoint_url': counter.url, 'region': 'us-east-1'}
    result = ok(run_module(MODULE, args))
    assert counter.calls == []
    assert result['changed'] is False
    assert result['uploaded'] == [] and result['invalidation_id'] is None
    assert sorted(result['pages']) == ['en', 'ja']
    assert result['pages']['en']['preview_key'] is None
    assert result['minifier'] == 'minify-html'
    assert 'https://d111111abcdef8.cloudfront.net/sorry/style.' in result['pages']['en']['body']
    # and with no reachable endpoint at all, it still builds the same page
    dead = ok(run_module(MODULE, dict(args, endpoint_url='http://127.0.0.1:9')))
    assert dead['pages']['en']['body'] == result['pages']['en']['body']


def test_over_budget_fails_before_uploading(moto, counter, assets, src):
    args = module_args(src, counter.url, assets, template_vars=dict(VARS, reason='Maintenance. ' * 60))
    result = run_module(MODULE, args)
    assert result['failed'] is True
    assert re.match(r"^page 'en' is (\d+) characters, (\d+) over the 1024-character limit of an ALB fixed response; "
                    r"largest parts: text \d+, ", result['msg'])
    chars, over = map(int, re.match(r"^page 'en' is (\d+) characters, (\d+) over", result['msg']).groups())
    assert chars - over == 1024
    assert counter.calls == []
    assert bucket_keys(moto, assets['bucket']) == []


def test_shorten_var_fits_the_page_and_warns(moto, counter, assets, src):
    args = module_args(src, counter.url, assets, template_vars=dict(VARS, reason='Maintenance. ' * 60),
                       shorten_var='reason', pages=['en'])
    result = ok(run_module(MODULE, args))
    page = result['pages']['en']
    assert page['shortened'] is True and page['chars'] <= 1024
    assert u'Maintenance. Maintenance.' in page['body'] and u'\u2026' in page['body']
    assert any(re.match(r"^page 'en' was \d+ characters, over the 1024 limit: template var 'reason' was cut from 780 to \d+ characters to fit$",
                        w) for w in result['warnings']), result['warnings']
    assert result['uploaded'][-1] == 'sorry/preview/en.html'


def test_missing_asset_fails_before_uploading(moto, counter, assets, src):
    with open(str(src / 'en.html.j2')) as handle:
        text = handle.read()
    with open(str(src / 'en.html.j2'), 'w') as handle:
        handle.write(text.replace('src="logo.svg"', 'src="img/brand.png"'))
    result = run_module(MODULE, module_args(src, counter.url, assets))
    assert result['failed'] is True
    assert result['msg'] == "page 'en': en.html.j2: img/brand.png: asset not found: %s" % (src / 'img' / 'brand.png')
    assert counter.calls == []
    assert bucket_keys(moto, assets['bucket']) == []


def test_nonexistent_bucket(counter, assets, src):
    result = run_module(MODULE, module_args(src, counter.url, dict(assets, bucket='no-such-sorry-bucket')))
    assert result['failed'] is True
    assert result['msg'].startswith('bucket no-such-sorry-bucket does not exist (NoSuchBucket); nothing was uploaded')
    assert counter.counts['PutObject'] == 0


def test_missing_distribution_fails_before_uploading(moto, counter, assets, src):
    # Found after the upload, a rerun would see nothing changed and never
    # invalidate the stale preview pages: it is checked before.
    result = run_module(MODULE, module_args(src, counter.url, dict(assets, distribution_id='E0NOSUCHDIST')))
    assert result['failed'] is True
    assert result['msg'].startswith('CloudFront distribution E0NOSUCHDIST does not exist (NoSuchDistribution); nothing was uploaded')
    assert counter.counts['PutObject'] == 0
    assert bucket_keys(moto, assets['bucket']) == []


def test_bad_public_url_and_option_dependencies(src):
    result = run_module(MODULE, {'src': str(src), 'public_url': 'cdn.example.com/sorry'})
    assert result['failed'] is True
    assert result['msg'] == "public_url must be an absolute http(s) URL, got 'cdn.example.com/sorry'"
    result = run_module(MODULE, {'src': str(src), 'cloudfront_distribution_id': 'E1'})
    assert result['failed'] is True
    assert result['msg'] == 'missing parameter(s) required by \'cloudfront_distribution_id\': bucket'
    result = run_module(MODULE, {'src': str(src), 'max_chars': 0})
    assert result['failed'] is True
    assert result['msg'] == 'max_chars must be a positive number, got 0'


@pytest.mark.sandbox_only
def test_bad_credentials(monkeypatch, src):
    # A moto server that checks credentials against its IAM: the fake keys
    # of the environment do not exist there.
    monkeypatch.setenv('INITIAL_NO_AUTH_ACTION_COUNT', '0')
    with MotoServer() as strict:
        monkeypatch.delenv('INITIAL_NO_AUTH_ACTION_COUNT')
        result = run_module(MODULE, {'src': str(src), 'public_url': strict.url + '/sorrypage-assets/sorry',
                                     'bucket': 'sorrypage-assets', 'prefix': 'sorry/', 'template_vars': VARS,
                                     'endpoint_url': strict.url, 'region': 'us-east-1'})
    assert result['failed'] is True
    assert result['msg'].startswith('AWS rejected the credentials (InvalidAccessKeyId) while reading bucket sorrypage-assets; '
                                    'nothing was uploaded. Check the access key, secret key, session token or profile')
