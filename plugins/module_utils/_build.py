# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""sorry_asset_upload's build, from plain params (pure: no AnsibleModule).

The module (with a bucket) and its action plugin (without one, in the
controller process, to save a module run at switch time) both call
``build``, so a page is built the same way whichever runs it.

``run_build_only`` is everything the module does when it only builds,
argument validation included, returning the result dict it would exit with.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.sorrypage.aws.plugins.module_utils._aws_module import aws_argument_spec
from ansible_collections.sorrypage.aws.plugins.module_utils import _budget
from ansible_collections.sorrypage.aws.plugins.module_utils import _minify
from ansible_collections.sorrypage.aws.plugins.module_utils import _pages
from ansible_collections.sorrypage.aws.plugins.module_utils import _s3sync

MODULE_NAME = 'sorry_asset_upload'
REQUIRED_BY = {'cloudfront_distribution_id': 'bucket'}


class BuildError(Exception):
    """A build that cannot be done; the message is the task's failure message."""


def argument_spec():
    """The module's own options (AnsibleAWSModule adds the AWS connection options)."""
    return dict(
        src=dict(type='path', required=True),
        pages=dict(type='list', elements='str'),
        template_vars=dict(type='dict', default={}),
        page_vars=dict(type='dict', default={}),
        public_url=dict(type='str'),
        bucket=dict(type='str'),
        prefix=dict(type='str', default=''),
        cache_control=dict(type='str', default=_s3sync.DEFAULT_CACHE_CONTROL),
        fingerprinted_cache_control=dict(type='str', default=_s3sync.FINGERPRINTED_CACHE_CONTROL),
        cloudfront_distribution_id=dict(type='str'),
        wait=dict(type='bool', default=False),
        wait_timeout=dict(type='int', default=600),
        max_chars=dict(type='int', default=_budget.DEFAULT_MAX_CHARS),
        minify=dict(type='bool', default=True),
        shorten_var=dict(type='str'),
    )


def full_argument_spec():
    """What the module validates against: the AWS connection options (SorryAWSModule's: the access key ID
    no_log) plus its own."""
    spec = aws_argument_spec()
    spec.update(argument_spec())
    return spec


def check_params(params):
    """Raise BuildError on values the argument spec cannot catch."""
    if params['max_chars'] < 1:
        raise BuildError('max_chars must be a positive number, got %d' % params['max_chars'])
    public_url = params['public_url']
    if public_url and not public_url.startswith(('https://', 'http://')):
        raise BuildError('public_url must be an absolute http(s) URL, got %r' % public_url)
    if not _pages.HAS_JINJA2:
        raise BuildError(missing_required_lib('jinja2'))
    if params['minify'] and not _minify.HAS_MINIFY_HTML:
        raise BuildError(missing_required_lib('minify-html', reason='to minify the pages: pip install minify-html, or set minify=false'))


def page_results(built, prefix, public_url, uploading):
    pages = {}
    for name, page in built['pages'].items():
        info = dict(page)
        info['preview_key'] = prefix + page['preview_key'] if uploading else None
        info['preview_url'] = '%s/%s' % (public_url.rstrip('/'), page['preview_key']) if uploading and public_url else None
        pages[name] = info
    return pages


def build(params):
    """Build the pages of validated ``params`` (the module's options).

    Returns (result, built): ``result`` is the module's result before any
    upload (changed false, nothing uploaded); ``built`` is
    _pages.build_pages()'s output (the assets with their data, and the
    build's ``warnings``, which the caller reports). Raises BuildError."""
    check_params(params)
    try:
        built = _pages.build_pages(
            params['src'], pages=params['pages'], template_vars=params['template_vars'],
            page_vars=params['page_vars'], public_url=params['public_url'], max_chars=params['max_chars'],
            minify=params['minify'], shorten_var=params['shorten_var'])
    except _pages.PageError as exc:
        raise BuildError(str(exc))
    prefix = _s3sync.normalize_prefix(params['prefix'])
    result = dict(
        changed=False,
        pages=page_results(built, prefix, params['public_url'], bool(params['bucket'])),
        assets=[dict(asset.as_dict(), key=prefix + asset.key_rel) for asset in built['assets']],
        uploaded=[], unchanged=[], invalidated_paths=[], invalidation_id=None,
        minifier=built['minifier'],
    )
    return result, built


def validate(args, module_name=MODULE_NAME):
    """Validate task ``args`` as the module's AnsibleModule does.

    Returns (params, error, warnings, deprecations, no_log_values): params
    with defaults and conversions, the failure message or None, and what
    the module would report."""
    validator = ArgumentSpecValidator(full_argument_spec(), required_by=REQUIRED_BY)
    validation = validator.validate(copy.deepcopy(args))
    params = dict(args)
    params.update(validation.validated_parameters)
    warnings = ['Both option {option} and its alias {alias} are set.'.format(option=w['option'], alias=w['alias'])
                for w in validation._warnings]  # pylint: disable=protected-access
    deprecations = [dict(d) for d in validation._deprecations]  # pylint: disable=protected-access
    error = None
    if validation.error_messages:
        error = validation.errors.msg
        if isinstance(validation.errors[0], UnsupportedError):
            error = 'Unsupported parameters for ({name}) module: {msg}'.format(name=module_name, msg=error)
    return params, error, warnings, deprecations, validation._no_log_values  # pylint: disable=protected-access


def run_build_only(args, module_name=MODULE_NAME):
    """What the module returns for task ``args`` without a bucket: the
    result of exit_json (or fail_json, with ``failed`` and ``msg``),
    ``invocation`` and ``warnings`` included, no_log values masked."""
    params, error, warnings, deprecations, no_log_values = validate(args, module_name)
    if error is None and params.get('bucket'):
        raise ValueError('run_build_only() builds without a bucket; the module uploads to %s' % params['bucket'])
    result = dict(failed=True, msg=error)
    if error is None:
        try:
            result, built = build(params)
            warnings.extend(built['warnings'])
        except BuildError as exc:
            result = dict(failed=True, msg=str(exc))
    if params.get('debug_botocore_endpoint_logs'):
        result['resource_actions'] = []  # AnsibleAWSModule's list of AWS calls: none were made
    result['invocation'] = {'module_args': params}
    if warnings:
        result['warnings'] = warnings
    if deprecations:
        result['deprecations'] = deprecations
    # as AnsibleModule does: mask no_log values, but keep bools and None as they are
    preserved = dict((key, value) for key, value in result.items() if value is None or isinstance(value, bool))
    result = remove_values(result, no_log_values)
    result.update(preserved)
    return result
