# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The runbook inputs against the CloudFront distributions found in front of
the ALB (alb_sorry_cloudfront_info's result), pure: what the read must check,
whether the bypass can work there, whether to invalidate, and the lines
``status`` says about it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sorrypage.aws.plugins.module_utils import _variants
from ansible_collections.sorrypage.aws.plugins.module_utils import _viewer_address
from ansible_collections.sorrypage.aws.plugins.module_utils._site_inputs import _flag


def needs(pages, api=None, bypass_viewer_header=False):
    """What the distribution must forward for the site's rules: ``{accept_language, accept, viewer_address}``."""
    languages = any(isinstance(entry, dict) and entry.get('languages') for entry in pages or [])
    accept = False
    if api:
        try:
            for variants in _variants.site_variants(pages, api):
                accept = accept or any(v['name'] == 'json' for v in variants)
        except ValueError:
            accept = True       # the inputs are refused later, with their own message
    return dict(accept_language=bool(languages), accept=accept,
                viewer_address=_flag(bypass_viewer_header, 'sorry_bypass_viewer_header'))


def _found(cloudfront):
    cloudfront = cloudfront if isinstance(cloudfront, dict) else {}
    return [d for d in cloudfront.get('distributions') or [] if isinstance(d, dict)]


def bypass_problem(cloudfront, bypass_cidrs, bypass_headers, bypass_viewer_header=False):
    """Why the bypass cannot work behind the distributions found ('' when it can).

    Behind CloudFront the ALB sees CloudFront's addresses: a bypass by CIDR
    alone would let nobody through, so it is refused unless the CIDRs are
    matched on CloudFront-Viewer-Address (sorry_bypass_viewer_header).
    """
    found = _found(cloudfront)
    if not found or not bypass_cidrs or bypass_headers or _flag(bypass_viewer_header, 'sorry_bypass_viewer_header'):
        return ''
    return ('the ALB is behind CloudFront (%s): it sees CloudFront\'s addresses, never the office\'s, so a bypass by '
            'sorry_bypass_cidrs alone would let nobody through; set sorry_bypass_viewer_header: true and '
            'sorry_cloudfront_origin_header (the CIDRs are then matched on CloudFront-Viewer-Address, with the '
            'distribution\'s secret origin header), or add sorry_bypass_headers (docs/cloudfront.md)'
            % ', '.join(d.get('id') or '?' for d in found))


def invalidation_ids(cloudfront, invalidate=False):
    """The distributions to invalidate (/*) after the switch: those found, when sorry_cloudfront_invalidate."""
    if not _flag(invalidate, 'sorry_cloudfront_invalidate'):
        return []
    return [d['id'] for d in _found(cloudfront) if d.get('id')]


def report(cloudfront, invalidate=False):
    """The operator's lines about CloudFront: which distributions are in front, or that none is."""
    found = _found(cloudfront)
    if not found:
        return ['CloudFront: no distribution in front of the ALB']
    lines = []
    for dist in found:
        if dist.get('unverified'):
            lines.append('CloudFront: %s is taken as in front of the ALB (named in sorry_cloudfront_distribution_ids, '
                         'not read: its settings are not checked)%s'
                         % (dist.get('id'), '; /* is invalidated after on and off'
                            if _flag(invalidate, 'sorry_cloudfront_invalidate') else ''))
            continue
        lines.append('CloudFront: %s (%s) is in front of the ALB; a 503 is cached %s s%s'
                     % (dist.get('id'), dist.get('domain_name') or '?', dist.get('error_caching_min_ttl_503', 10),
                        '; /* is invalidated after on and off' if _flag(invalidate, 'sorry_cloudfront_invalidate') else
                        '; cached pages are not invalidated (sorry_cloudfront_invalidate: false)'))
    return lines


def invalidation_report(result):
    """One line per invalidation of alb_sorry_cloudfront_invalidate's result."""
    lines = []
    for item in (result if isinstance(result, dict) else {}).get('invalidations') or []:
        lines.append('CloudFront: invalidation %s of %s on %s: %s after %.0f s (%d reads)'
                     % (item.get('id') or '-', ', '.join(item.get('paths') or []), item.get('distribution_id'),
                        item.get('status'), float(item.get('waited_s') or 0), int(item.get('reads') or 0)))
    return lines


def origin_header_problem(origin_header, bypass_viewer_header=False):
    """Why sorry_cloudfront_origin_header cannot guard the viewer-address bypass ('' when it can, or when the bypass
    is not matched on the viewer address). Never holds the value."""
    if not _flag(bypass_viewer_header, 'sorry_bypass_viewer_header'):
        return ''
    if not origin_header:
        return ''     # the rule sets refuse it, saying why
    problem = _viewer_address.origin_header_problem(origin_header)
    return 'sorry_cloudfront_origin_header: %s' % problem if problem else ''


def unverified(distribution_ids):
    """The distributions named in sorry_cloudfront_distribution_ids, taken as in front of the ALB when they could not be
    read (no permission, or sorry_cloudfront_lookup false): the bypass check and the invalidations still act."""
    ids = [d for d in distribution_ids or [] if d]
    return dict(distributions=[dict(id=d, unverified=True) for d in ids], in_front=bool(ids), cloudfront_warnings=[])
