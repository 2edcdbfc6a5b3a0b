# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters: the runbook inputs in the words of alb_sorry_site and
alb_sorry_rule (the functions of module_utils/_site_inputs.py).

sorry_rule_sets(pages, rendered_pages, bypass_cidrs, bypass_header_names, bypass_target_group_arn, bypass_mirror,
                passthrough_paths, api)  -> the rule_sets option of alb_sorry_site
sorry_api_pages(api, reason, until, status_url) -> {'api.json': the JSON page} when sorry_api is set, else {}
                                                   (module_utils/_variants.py)
sorry_pages_used(pages)                            -> every page the entries use (default and languages), once
sorry_markers_used(pages, rendered_pages, api)     -> the build markers of every page the site puts on
sorry_http_headers(bypass_headers)   -> its http_headers option ([{name, values}])
sorry_stale_sets(site, rule_sets)    -> [{kind, name}]: our bypass and sorry sets on the site the rule sets no longer want
sorry_input_warnings(bypass_cidrs, bypass_headers) -> [str]
sorry_info_tags(operator, reason, until, extra)    -> {sorrypage:by, sorrypage:why, sorrypage:until, ...}
sorry_preview_plan(info, pages, preview_path, listener_ports) -> [{port, protocol, listener_arn, name, page, hosts,
                                                                   state}]
sorry_preview_report(info, plan, preview_path)     -> [str]
sorry_ingress_sets(info, pages, rendered_pages, bypass_cidrs, bypass_headers, allow_any_source, api)
                                                   -> the sets option of ingress_sorry (module_utils/_ingress_inputs.py)
sorry_ingress_wait(sets, bypass_cidrs, bypass_headers, info) -> {hosts, bypass_source_ip, bypass_header} of
                                                   alb_sorry_wait (the header's value: no_log options only)
sorry_ingress_record_hosts(ingress, info)          -> the hosts of our rules in ingress_sorry's records, for off's wait
sorry_ingress_budget(info, sets, quota, reread)             -> {needed, quota, over_default, message}: the rules the
                                                   Ingress driver's maintenance needs on the load balancer
sorry_ingress_problem(info, pages, bypass_cidrs, bypass_headers, allow_any_source)
                                                   -> why the Ingress driver cannot take these inputs, '' when it can

A bad input fails the filter with a message that starts with 'Nothing was
changed: ': the rule sets are built before the first write.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sorrypage.aws.plugins.module_utils import _ingress_inputs
from ansible_collections.sorrypage.aws.plugins.module_utils import _site_inputs
from ansible_collections.sorrypage.aws.plugins.module_utils import _variants
from ansible_collections.sorrypage.aws.plugins.plugin_utils.filter_errors import refusing

NOTHING_CHANGED = 'Nothing was changed: '


sorry_rule_sets = refusing(_site_inputs.site_rule_sets, NOTHING_CHANGED)
sorry_http_headers = refusing(_site_inputs.http_headers, NOTHING_CHANGED)
sorry_stale_sets = refusing(_site_inputs.stale_sets, NOTHING_CHANGED)
sorry_input_warnings = refusing(_site_inputs.input_warnings, NOTHING_CHANGED)
sorry_info_tags = refusing(_site_inputs.info_tags, NOTHING_CHANGED)
sorry_preview_plan = refusing(_site_inputs.preview_plan, NOTHING_CHANGED)
sorry_preview_report = refusing(_site_inputs.preview_report, NOTHING_CHANGED)
sorry_ingress_sets = refusing(_ingress_inputs.ingress_sets, NOTHING_CHANGED)
sorry_ingress_wait = refusing(_ingress_inputs.wait_inputs, NOTHING_CHANGED)
sorry_ingress_record_hosts = refusing(_ingress_inputs.record_hosts, NOTHING_CHANGED)
sorry_ingress_problem = refusing(_ingress_inputs.ingress_problem, NOTHING_CHANGED)
sorry_ingress_budget = refusing(_ingress_inputs.ingress_budget, NOTHING_CHANGED)
sorry_api_pages = refusing(_variants.api_pages, NOTHING_CHANGED)
sorry_pages_used = refusing(_variants.pages_used, NOTHING_CHANGED)
sorry_markers_used = refusing(_variants.markers_used, NOTHING_CHANGED)


class FilterModule(object):
    def filters(self):
        return {
            'sorry_rule_sets': sorry_rule_sets,
            'sorry_api_pages': sorry_api_pages,
            'sorry_pages_used': sorry_pages_used,
            'sorry_markers_used': sorry_markers_used,
            'sorry_http_headers': sorry_http_headers,
            'sorry_stale_sets': sorry_stale_sets,
            'sorry_input_warnings': sorry_input_warnings,
            'sorry_info_tags': sorry_info_tags,
            'sorry_preview_plan': sorry_preview_plan,
            'sorry_preview_report': sorry_preview_report,
            'sorry_ingress_sets': sorry_ingress_sets,
            'sorry_ingress_budget': sorry_ingress_budget,
            'sorry_ingress_wait': sorry_ingress_wait,
            'sorry_ingress_record_hosts': sorry_ingress_record_hosts,
            'sorry_ingress_problem': sorry_ingress_problem,
        }
