# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters: the runbook inputs against the CloudFront distributions in front
of the ALB (the functions of module_utils/_cloudfront_inputs.py).

sorry_cloudfront_needs(pages, api, bypass_viewer_header) -> {accept_language, accept, viewer_address}: the needs
                                                            option of alb_sorry_cloudfront_info
sorry_cloudfront_bypass_problem(cloudfront, bypass_cidrs, bypass_headers, bypass_viewer_header)
                                                         -> why the bypass cannot work behind the distributions, ''
sorry_cloudfront_invalidation_ids(cloudfront, invalidate) -> [distribution id] to invalidate after a switch
sorry_cloudfront_report(cloudfront, invalidate)          -> [str]
sorry_cloudfront_invalidation_report(result)             -> [str], one per invalidation
sorry_cloudfront_unverified(distribution_ids)            -> the named distributions taken as in front, unread
sorry_cloudfront_origin_header_problem(origin_header, bypass_viewer_header) -> why the origin header cannot guard the
                                                            viewer-address bypass, '' (never the value)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sorrypage.aws.plugins.module_utils import _cloudfront_inputs
from ansible_collections.sorrypage.aws.plugins.plugin_utils.filter_errors import refusing

NOTHING_CHANGED = 'Nothing was changed: '

sorry_cloudfront_needs = refusing(_cloudfront_inputs.needs, NOTHING_CHANGED)
sorry_cloudfront_bypass_problem = refusing(_cloudfront_inputs.bypass_problem, NOTHING_CHANGED)
sorry_cloudfront_invalidation_ids = refusing(_cloudfront_inputs.invalidation_ids, NOTHING_CHANGED)
sorry_cloudfront_report = refusing(_cloudfront_inputs.report, NOTHING_CHANGED)
sorry_cloudfront_invalidation_report = refusing(_cloudfront_inputs.invalidation_report, NOTHING_CHANGED)
sorry_cloudfront_unverified = refusing(_cloudfront_inputs.unverified, NOTHING_CHANGED)
sorry_cloudfront_origin_header_problem = refusing(_cloudfront_inputs.origin_header_problem, NOTHING_CHANGED)


class FilterModule(object):
    def filters(self):
        return {
            'sorry_cloudfront_needs': sorry_cloudfront_needs,
            'sorry_cloudfront_bypass_problem': sorry_cloudfront_bypass_problem,
            'sorry_cloudfront_invalidation_ids': sorry_cloudfront_invalidation_ids,
            'sorry_cloudfront_report': sorry_cloudfront_report,
            'sorry_cloudfront_invalidation_report': sorry_cloudfront_invalidation_report,
            'sorry_cloudfront_origin_header_problem': sorry_cloudfront_origin_header_problem,
            'sorry_cloudfront_unverified': sorry_cloudfront_unverified,
        }
