# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.sorrypage.aws.plugins.module_utils import _build
from ansible_collections.sorrypage.aws.plugins.module_utils import _minify
from ansible_collections.sorrypage.aws.plugins.modules import sorry_asset_upload

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
CDN = 'https://d111111abcdef8.cloudfront.net/sorry'
PAGE = u'<!doctype html><html lang="en"><title>Sorry</title><img src="logo.svg" alt=""><p>{{ reason }}</p></html>'
LOGO = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>'


@pytest.fixture()
def src(tmp_path):
    (tmp_path / 'en.html.j2').write_text(PAGE)
    (tmp_path / 'logo.svg').write_bytes(LOGO)
    return str(tmp_path)


def params(src, **extra):
    """Validated params, as the module sees them."""
    args = dict(src=src, template_vars={'reason': 'Database upgrade.'})
    args.update(extra)
    validated, error = _build.validate(args)[:2]
    assert error is None, error
    return validated


def test_argument_spec_is_what_the_module_documents():
    documented = yaml.safe_load(sorry_asset_upload.DOCUMENTATION)['options']
    assert sorted(_build.argument_spec()) == sorted(documented)
    full = _build.full_argument_spec()
    assert set(_build.argument_spec()) < set(full)
    assert {'region', 'endpoint_url', 'access_key', 'secret_key', 'profile'} <= set(full)


def test_build_without_bucket_has_no_preview_and_uploads_nothing(src):
    result, built = _build.build(params(src, public_url=CDN, prefix='sorry'))
    assert sorted(result) == ['assets', 'changed', 'invalidated_paths', 'invalidation_id', 'minifier', 'pages',
                              'unchanged', 'uploaded']
    assert result['changed'] is False
    assert result['uploaded'] == [] and result['unchanged'] == [] and result['invalidated_paths'] == []
    assert result['invalidation_id'] is None
    page = result['pages']['en']
    assert page['preview_key'] is None and page['preview_url'] is None
    assert 'Database upgrade.' in page['body'] and page['marker'] in page['body']
    assert page['room'] == 1024 - page['chars']
    [asset] = result['assets']
    assert asset['src'] == 'logo.svg' and asset['key'].startswith('sorry/logo.') and asset['key'].endswith('.svg')
    assert asset['url'] == '%s/%s' % (CDN, asset['key'][len('sorry/'):])
    assert built['warnings'] == []
    assert [a.rel for a in built['assets']] == ['logo.svg']
    assert built['assets'][0].data == LOGO


def test_build_with_bucket_names_the_preview_copy(src):
    result = _build.build(params(src, public_url=CDN + '/', prefix='/sorry', bucket='assets'))[0]
    page = result['pages']['en']
    assert page['preview_key'] == 'sorry/preview/en.html'
    assert page['preview_url'] == CDN + '/preview/en.html'
    # without a public_url there is no URL to give, only the key
    page = _build.build(params(src, bucket='assets', minify=False))[0]['pages']['en']
    assert page['preview_key'] == 'preview/en.html' and page['preview_url'] is None


def test_build_reports_the_warnings_of_the_build(src):
    result, built = _build.build(params(src, template_vars={'reason': 'Maintenance. ' * 90}, shorten_var='reason'))
    assert result['pages']['en']['shortened'] is True
    assert len(built['warnings']) == 1
    assert built['warnings'][0].startswith("page 'en' was ")
    assert "template var 'reason' was cut from 1170 to " in built['warnings'][0]


@pytest.mark.parametrize('extra, msg', [
    ({'max_chars': 0}, 'max_chars must be a positive number, got 0'),
    ({'max_chars': -5}, 'max_chars must be a positive number, got -5'),
    ({'public_url': 'cdn.example.com/sorry'}, "public_url must be an absolute http(s) URL, got 'cdn.example.com/sorry'"),
    ({'public_url': 'ftp://cdn.example.com/sorry'}, "public_url must be an absolute http(s) URL, got 'ftp://cdn.example.com/sorry'"),
    ({'pages': ['fr']}, 'pages not found in src: fr (available: en)'),
    ({'page_vars': {'de': {'reason': 'x'}}}, 'page_vars names pages not in src: de'),
])
def test_build_fails_naming_the_input(src, extra, msg):
    with pytest.raises(_build.BuildError) as exc:
        _build.build(params(src, **extra))
    assert str(exc.value) == msg


def test_build_fails_on_a_missing_src(tmp_path):
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(_build.BuildError) as exc:
        _build.build(params(missing))
    assert str(exc.value) == 'src %s is not a directory' % missing


def test_build_without_minify_html_names_the_library(src, monkeypatch):
    monkeypatch.setattr(_minify, 'HAS_MINIFY_HTML', False)
    with pytest.raises(_build.BuildError) as exc:
        _build.build(params(src))
    assert str(exc.value).startswith('Failed to import the required Python library (minify-html) on ')
    assert 'This is required to minify the pages: pip install minify-html, or set minify=false.' in str(exc.value)
    # minify=false needs no library
    assert _build.build(params(src, minify=False))[0]['minifier'] is None


@pytest.mark.parametrize('args, msg', [
    ({'src': 'x', 'bogus': 1}, 'Unsupported parameters for (my.coll.upload) module: bogus. Supported parameters include: '),
    ({'src': 'x', 'cloudfront_distribution_id': 'E1'}, "missing parameter(s) required by 'cloudfront_distribution_id': bucket"),
    ({'src': 'x', 'max_chars': 'lots'}, "argument 'max_chars' is of type str and we were unable to convert to int: "),
    ({}, 'missing required arguments: src'),
])
def test_validate_fails_as_the_module_does(args, msg):
    error = _build.validate(args, module_name='my.coll.upload')[1]
    assert error.startswith(msg), error


def test_validate_fills_defaults_and_warns_on_option_and_alias():
    validated, error, warnings, deprecations, no_log = _build.validate(
        {'src': '~/pages', 'region': 'eu-west-1', 'aws_region': 'eu-west-1', 'secret_key': 'wJalrXUt', 'max_chars': '900'})
    assert error is None
    assert validated['src'] == os.path.expanduser('~/pages')
    assert validated['max_chars'] == 900
    assert validated['prefix'] == '' and validated['minify'] is True and validated['template_vars'] == {}
    assert warnings == ['Both option region and its alias aws_region are set.']
    assert deprecations == []
    assert 'wJalrXUt' in no_log


def test_run_build_only_returns_the_module_result(src):
    result = _build.run_build_only({'src': src, 'template_vars': {'reason': 'Maintenance. ' * 90}, 'shorten_var': 'reason',
                                    'public_url': CDN})
    assert result['changed'] is False and 'failed' not in result
    assert result['pages']['en']['shortened'] is True
    assert result['invocation']['module_args']['shorten_var'] == 'reason'
    assert result['invocation']['module_args']['max_chars'] == 1024
    assert len(result['warnings']) == 1 and result['warnings'][0].startswith("page 'en' was ")
    assert 'resource_actions' not in result
    assert 'deprecations' not in result


def test_run_build_only_fails_with_the_message_and_the_invocation(src):
    result = _build.run_build_only({'src': src, 'max_chars': 0})
    assert result['failed'] is True
    assert result['msg'] == 'max_chars must be a positive number, got 0'
    assert result['invocation']['module_args']['max_chars'] == 0
    assert 'pages' not in result and 'warnings' not in result
    result = _build.run_build_only({'src': src, 'nope': 1}, module_name='sorrypage.aws.sorry_asset_upload')
    assert result['failed'] is True
    assert result['msg'].startswith('Unsupported parameters for (sorrypage.aws.sorry_asset_upload) module: nope.')


def test_run_build_only_masks_no_log_values(src):
    result = _build.run_build_only({'src': src, 'secret_key': 'Database', 'template_vars': {'reason': 'Database upgrade.'},
                                    'debug_botocore_endpoint_logs': True})
    assert result['invocation']['module_args']['secret_key'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert 'Database' not in result['pages']['en']['body']
    assert result['changed'] is False and result['invalidation_id'] is None  # booleans and None kept as they are
    assert result['resource_actions'] == []


def test_run_build_only_refuses_a_bucket(src):
    with pytest.raises(ValueError) as exc:
        _build.run_build_only({'src': src, 'bucket': 'assets'})
    assert str(exc.value) == 'run_build_only() builds without a bucket; the module uploads to assets'
