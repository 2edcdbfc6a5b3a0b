# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters: what the Ingress driver says when its change did not reach the ALB
(the functions of module_utils/_ingress_report.py).

sorry_ingress_keys(edit, mode)  -> [namespace/name] of the Ingresses our edit is in (ingress_sorry's result), or would
                                   have gone into (__sorry_mode's stack or ingresses)
sorry_ingress_failure(failed, task, events=None, ingresses=None, mode=None, timeout=None)
                                -> {lines, next, reason}: the failure with the Ingresses' newest Events and
                                   status.loadBalancer (kubernetes.core.k8s_info results), the command to run next, and
                                   the fallback's reason
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sorrypage.aws.plugins.module_utils import _ingress_report
from ansible_collections.sorrypage.aws.plugins.plugin_utils.filter_errors import refusing


sorry_ingress_keys = refusing(_ingress_report.ingress_keys)
sorry_ingress_failure = refusing(_ingress_report.failure)


class FilterModule(object):
    def filters(self):
        return {'sorry_ingress_keys': sorry_ingress_keys, 'sorry_ingress_failure': sorry_ingress_failure}
