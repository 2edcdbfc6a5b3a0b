# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters: a site's maintenance state, its status block and summary, and the
controller pause tags of the rules (the functions of module_utils/_site_state.py).

sorry_site_state(info, lbc=None, eks_outage='auto', driver='alb', driver_reason='', site='', ingress=None)
    -> sorry_state: {site, driver, driver_reason, load_balancer, maintenance (on|off|partly), listeners,
                     markers, off_ports, controller, warnings, lines (the status block)}
       info is what alb_sorry_info returned, lbc the sorry_lbc fact (none or {} when not looked at)
sorry_summary(state, action, elapsed=None, check_mode=False) -> [str], action on|off|status
sorry_lbc_rule_tags(lbc, eks_outage)       -> {sorrypage:lbc, sorrypage:lbc-replicas} or {}
sorry_lbc_tags_stale(listeners, wanted)    -> bool, listeners as alb_sorry_site returned them

A bad input (sorry_eks_outage not auto or a boolean, an unknown summary
action) fails the filter with the message of the check.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sorrypage.aws.plugins.module_utils import _site_state
from ansible_collections.sorrypage.aws.plugins.plugin_utils.filter_errors import refusing


sorry_site_state = refusing(_site_state.build_state)
sorry_summary = refusing(_site_state.summary_lines)
sorry_lbc_rule_tags = refusing(_site_state.lbc_rule_tags)
sorry_lbc_tags_stale = refusing(_site_state.lbc_tags_stale)


class FilterModule(object):
    def filters(self):
        return {
            'sorry_site_state': sorry_site_state,
            'sorry_summary': sorry_summary,
            'sorry_lbc_rule_tags': sorry_lbc_rule_tags,
            'sorry_lbc_tags_stale': sorry_lbc_tags_stale,
        }
