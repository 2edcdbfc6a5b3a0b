#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: sorry_asset_upload
short_description: Build Sorry pages that fit an ALB fixed response and sync their assets to S3 and CloudFront
version_added: 0.1.0
description:
  - Renders each page in O(src) (C(*.html.j2) with Jinja2, autoescape on; C(*.html) as is), rewrites
    its relative asset references to O(public_url) with content-hashed (fingerprinted) names, minifies it
    and measures it in characters against the ALB fixed-response limit (O(max_chars), 1024).
  - Returns each page's final body, ready for M(sorrypage.aws.alb_sorry_rule) as C(content).
  - With O(bucket), uploads the referenced assets and the built pages (under C(<prefix>preview/<page>.html),
    so anyone can look at the exact page on the CDN) to S3, skipping objects whose content (MD5),
    Content-Type and Cache-Control are already right; with O(cloudfront_distribution_id), invalidates the
    non-fingerprinted paths that changed.
  - Without O(bucket) it only builds, and makes no AWS call at all; the page is built from the files in
    O(src) alone, so it can be rendered at switch time even when S3 is slow or down.
  - Without O(bucket) (and without C(async)) the build runs in the controller's Ansible process, through the action
    plugin of the same name, with no module run. O(src) is then read on the controller whatever the target host, and
    the result is the one the module would return.
  - Everything is validated before the first upload (every page built and within budget, every referenced
    asset present, the bucket readable with these credentials), and assets are uploaded before the pages
    that reference them, so a failure never leaves a page pointing at a missing asset.
author:
  - sorrypage.aws maintainers (@sorrypage)
options:
  src:
    description:
      - Folder holding the pages (C(*.html), C(*.html.j2) at its top) and their assets (any layout below).
      - The role C(sorrypage.aws.sorry_assets) ships default English (C(en)) and Japanese (C(ja)) pages in its C(files/).
    type: path
    required: true
  pages:
    description:
      - Names of the pages to build (file name without C(.html)/C(.html.j2), e.g. C(en)); default every page at the top of O(src).
    type: list
    elements: str
  template_vars:
    description:
      - Variables for the C(*.html.j2) pages. Values are escaped (a reason containing C(<script>) shows as text).
      - The default pages use C(reason), C(until), C(status_url), C(contact), C(brand) (logo alt text), C(title) and
        C(refresh) (seconds between automatic reloads, default 300).
      - C(until) is ISO 8601 (C(2026-03-02T14:00:00Z)); the page gets it as display text in its language and time zone,
        and as C(until_iso). Text that is not ISO 8601 is shown as given, with a warning; a time without offset is taken as UTC.
      - C(tz) is the time zone (IANA name) for C(until); default per page language, C(Asia/Tokyo) for C(ja), C(UTC) otherwise.
      - The templates also get C(lang) (from C(<html lang>) or the page name), C(page) and C(marker).
    type: dict
    default: {}
  page_vars:
    description:
      - Per-page variables that override O(template_vars) for that page, keyed by page name,
        for example a Japanese C(reason) for C(ja).
    type: dict
    default: {}
  public_url:
    description:
      - Base URL of the CDN that serves O(prefix) of O(bucket), for example C(https://d111111abcdef8.cloudfront.net/sorry).
      - Relative references in C(src), C(srcset), C(poster), C(<link href>) and CSS C(url()) / C(@import) (inline and in CSS files)
        are rewritten to it, with file names fingerprinted by content hash. Absolute URLs are left alone.
      - Without it, referenced assets are inlined (CSS into C(<style>), images and fonts as C(data:) URIs) and the
        same budget applies.
    type: str
  bucket:
    description:
      - S3 bucket to upload the assets and the preview pages to. When omitted the module only builds and makes no AWS call.
    type: str
  prefix:
    description:
      - Key prefix in O(bucket) (a C(/) is added when missing).
    type: str
    default: ''
  cache_control:
    description:
      - Cache-Control of the objects that are not fingerprinted (the preview pages).
    type: str
    default: public, max-age=60
  fingerprinted_cache_control:
    description:
      - Cache-Control of the fingerprinted assets; their name changes with their content, so they can be cached for ever.
    type: str
    default: public, max-age=31536000, immutable
  cloudfront_distribution_id:
    description:
      - CloudFront distribution in front of O(bucket); the non-fingerprinted objects that changed are invalidated
        (fingerprinted ones never need it). Paths are O(public_url)'s path plus the key after O(prefix)
        (C(/<key>) without O(public_url)).
    type: str
  wait:
    description:
      - Wait for the invalidation to complete.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for the invalidation.
    type: int
    default: 600
  max_chars:
    description:
      - Character budget of each final page. Every character counts 1 (a Japanese character too); a character outside the
        Basic Multilingual Plane (an emoji) counts 2, so the count never falls short of the ALB's.
    type: int
    default: 1024
  minify:
    description:
      - Minify the pages and the CSS files with the minify-html Python library.
      - When that library is missing the task fails, naming it (C(pip install minify-html)); set O(minify=false)
        to build without it, with pages that are larger and may not fit O(max_chars).
    type: bool
    default: true
  shorten_var:
    description:
      - Name of a template variable (such as C(reason)) that may be cut, with an ellipsis, until an over-budget page fits;
        a warning says so and the page's C(shortened) is true.
      - Without it an over-budget page fails the task, naming the page, its size, the overage and its largest parts,
        before anything is uploaded.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Builds every page and reports what would be uploaded and invalidated, reading S3 but writing nothing.
  diff_mode:
    support: none
    description: The module reports what it uploads in RV(uploaded), not as a diff.
notes:
  - The objects are not made public by this module; serve the bucket through CloudFront (origin access control) or a bucket policy.
  - Permissions with O(bucket) are C(s3:ListBucket), C(s3:GetObject) and C(s3:PutObject); with O(cloudfront_distribution_id)
    also C(cloudfront:GetDistribution) (checked before the first upload), C(cloudfront:CreateInvalidation) and,
    with O(wait), C(cloudfront:GetInvalidation).
requirements:
  - jinja2
  - minify-html (with O(minify=true), the default)
  - boto3 and botocore (only with O(bucket))
"""

EXAMPLES = r"""
- name: Build the default pages and upload their assets
  sorrypage.aws.sorry_asset_upload:
    src: "{{ role_path }}/files"
    public_url: https://d111111abcdef8.cloudfront.net/sorry
    bucket: example-sorry-assets
    prefix: sorry/
    cloudfront_distribution_id: E2EXAMPLE123
    wait: true
    template_vars:
      reason: Database upgrade.
      until: "2026-03-02T14:00:00Z"
      status_url: https://status.example.com/
      contact: support@example.com
    page_vars:
      ja:
        reason: データベースのアップグレードを実施しています。
  register: sorry_build

- name: Show the room left in each page
  ansible.builtin.debug:
    msg: "{{ sorry_build.pages | dict2items | map(attribute='value.room') | list }}"

- name: Build only (no AWS call), cutting the reason if the page would not fit
  sorrypage.aws.sorry_asset_upload:
    src: "{{ role_path }}/files"
    pages: [en]
    public_url: https://d111111abcdef8.cloudfront.net/sorry
    template_vars:
      reason: "{{ sorry_reason }}"
    shorten_var: reason
  register: sorry_page

- name: Put the page up
  sorrypage.aws.alb_sorry_rule:
    load_balancer_name: my-alb
    listener_port: 443
    kind: sorry
    content: "{{ sorry_page.pages.en.body }}"
"""

RETURN = r"""
pages:
  description:
    - Each built page, keyed by page name (C(en), C(ja), ...).
    - C(body) is the final HTML, for M(sorrypage.aws.alb_sorry_rule) O(sorrypage.aws.alb_sorry_rule#module:content).
    - C(chars) is its size in characters as counted against O(max_chars); C(bytes) its size in UTF-8;
      C(room) is O(max_chars) minus C(chars).
    - C(marker) is a short build id (a hash of the built page) that appears verbatim in C(body); probes look for it.
    - C(shortened) is true when O(shorten_var) was cut to make the page fit.
    - C(lang) is the page language, C(tz) the time zone C(until) is shown in, C(src) the template file.
    - C(preview_key) is the S3 key of the preview copy (null without O(bucket)), C(preview_url) its URL on the CDN
      (null without O(bucket) or O(public_url)).
  returned: always
  type: dict
  sample:
    en:
      body: "<!doctype html><html lang=en>...<p class=ref>Sorry for the inconvenience. Ref 8b8902a8aa</main>"
      chars: 857
      bytes: 857
      room: 167
      marker: 8b8902a8aa
      shortened: false
      lang: en
      tz: UTC
      src: en.html.j2
      preview_key: sorry/preview/en.html
      preview_url: https://d111111abcdef8.cloudfront.net/sorry/preview/en.html
assets:
  description: The assets the pages reference, dependencies first (empty without O(public_url), since they are inlined).
  returned: always
  type: list
  elements: dict
  contains:
    src:
      description: Path in O(src).
      type: str
      sample: logo.svg
    key:
      description: S3 key (with O(prefix)), fingerprinted.
      type: str
      sample: sorry/logo.a1fa257f.svg
    url:
      description: URL the pages use.
      type: str
      sample: https://d111111abcdef8.cloudfront.net/sorry/logo.a1fa257f.svg
    bytes:
      description: Size as uploaded.
      type: int
      sample: 373
    content_type:
      description: Content-Type it is uploaded with.
      type: str
      sample: image/svg+xml; charset=utf-8
uploaded:
  description: Keys uploaded (in check mode, that would be uploaded), in upload order. Empty without O(bucket).
  returned: always
  type: list
  elements: str
  sample: [sorry/style.a255de4b.css, sorry/preview/en.html]
unchanged:
  description: Keys already up to date (not uploaded).
  returned: always
  type: list
  elements: str
  sample: [sorry/logo.a1fa257f.svg]
invalidated_paths:
  description: CloudFront paths invalidated (in check mode, that would be invalidated).
  returned: always
  type: list
  elements: str
  sample: [/sorry/preview/en.html]
invalidation_id:
  description: Id of the CloudFront invalidation created, or null when none was needed (or in check mode).
  returned: always
  type: str
  sample: I2J0I21PCUYOIK
minifier:
  description: The HTML minifier used (C(minify-html)), or null with O(minify=false).
  returned: always
  type: str
  sample: minify-html
"""

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.amazon.aws.plugins.module_utils.botocore import HAS_BOTO3
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.sorrypage.aws.plugins.module_utils._aws_module import SorryAWSModule
from ansible_collections.sorrypage.aws.plugins.module_utils import _assets
from ansible_collections.sorrypage.aws.plugins.module_utils import _build
from ansible_collections.sorrypage.aws.plugins.module_utils import _s3sync

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # HAS_BOTO3 is checked before any AWS call


def desired_objects(module, built, prefix):
    params = module.params
    objects = []
    for asset in built['assets']:
        objects.append(_s3sync.desired_object(prefix + asset.key_rel, asset.data, _assets.content_type(asset.rel),
                                              params['fingerprinted_cache_control'], fingerprinted=True))
    for name in sorted(built['pages']):
        page = built['pages'][name]
        objects.append(_s3sync.desired_object(prefix + page['preview_key'], page['body'].encode('utf-8'),
                                              _assets.content_type('page.html'), params['cache_control'],
                                              fingerprinted=False))
    return objects


def fail(module, exc, result):
    if exc.cause is not None:
        module.fail_json_aws(exc.cause, msg=str(exc), **result)
    module.fail_json(msg=str(exc), **result)


def main():
    # Without a bucket the action plugin of the same name builds in the
    # controller process (plugins/action/sorry_asset_upload.py); the module
    # runs with a bucket, or when called directly.
    module = SorryAWSModule(argument_spec=_build.argument_spec(), supports_check_mode=True, check_boto3=False,
                            required_by=_build.REQUIRED_BY)
    params = module.params
    prefix = _s3sync.normalize_prefix(params['prefix'])
    bucket = params['bucket']

    try:
        result, built = _build.build(params)
    except _build.BuildError as exc:
        module.fail_json(msg=str(exc))
    for warning in built['warnings']:
        module.warn(warning)
    if not bucket:
        module.exit_json(**result)

    if not HAS_BOTO3:
        module.fail_json(msg=missing_required_lib('botocore and boto3'))
    s3 = module.client('s3', retry_decorator=AWSRetry.jittered_backoff())
    distribution = params['cloudfront_distribution_id']
    cloudfront = module.client('cloudfront', retry_decorator=AWSRetry.jittered_backoff()) if distribution else None

    def before_upload(planned):
        if distribution and planned['to_invalidate']:
            _s3sync.check_distribution(cloudfront, distribution)

    try:
        synced = _s3sync.sync(s3, bucket, prefix, desired_objects(module, built, prefix),
                              check_mode=module.check_mode, before_upload=before_upload)
    except _s3sync.SyncError as exc:
        fail(module, exc, result)
    except (BotoCoreError, ClientError) as exc:  # pylint: disable=duplicate-except
        module.fail_json_aws(exc, msg='S3 sync to bucket %s failed' % bucket, **result)
    result.update(uploaded=synced['uploaded'], unchanged=synced['unchanged'], changed=bool(synced['uploaded']))

    if distribution and synced['to_invalidate']:
        result['invalidated_paths'] = _s3sync.invalidation_paths(synced['to_invalidate'], prefix, params['public_url'])
        if not module.check_mode:
            try:
                result['invalidation_id'] = _s3sync.create_invalidation(cloudfront, distribution, result['invalidated_paths'])
                if params['wait']:
                    _s3sync.wait_for_invalidation(cloudfront, distribution, result['invalidation_id'], params['wait_timeout'])
            except _s3sync.SyncError as exc:
                fail(module, exc, result)
            except (BotoCoreError, ClientError) as exc:  # pylint: disable=duplicate-except
                module.fail_json_aws(exc, msg='CloudFront invalidation on %s failed after the upload' % distribution, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
