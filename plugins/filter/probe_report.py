# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters: what the maintenance runbook's HTTP probes (ansible.builtin.uri results) mean.

The logic lives in module_utils/_probe_report.py; these filters only expose it to the roles.

- ``content | sorrypage.aws.sorry_is_sorry(markers)`` -> bool: any marker of a Sorry page is in the body.
- ``result | sorrypage.aws.sorry_probe_done(expect, markers, source_is_bypassed=false, bypass=false)`` -> bool:
  the probe's retry loop may stop (its ``until``).
- ``site | sorrypage.aws.sorry_verify_lines(url, expect, markers, public, bypass=none, bypass_header_name='',
  source_is_bypassed=false)`` -> list of str: the verify summary.
- ``site | sorrypage.aws.sorry_verify_failure(url, expect, markers, timeout, failed_result, failed_task_name)``
  -> str: why verify failed.
- ``site | sorrypage.aws.sorry_off_probe_verdict(url, probe, markers, can_bypass, bypass_by, in_maintenance,
  force_off, url_set=true)`` -> dict with refuse (bool), message (str, the refusal) and line (str): `off`'s guard.
- ``timeout | sorrypage.aws.sorry_verify_retries(delay)`` -> int: how many probes fit in the timeout.
- ``verify_headers | sorrypage.aws.sorry_bypass_probe(bypass_headers, source_is_bypassed)`` -> dict with can_bypass,
  headers (a secret: for no_log tasks) and by: how a probe passes the bypass.
- ``site | sorrypage.aws.sorry_probe_skip_reason(url, check_mode)`` -> str: why no probe runs ('' when they run).
- ``sorry_state | sorrypage.aws.sorry_verify_expect`` -> 'on' or 'off': what verify expects.

A wrong input (expect not on/off, a flag that is not a boolean, seconds that are not a number) fails
the filter with a message naming it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sorrypage.aws.plugins.module_utils import _probe_report as report
from ansible_collections.sorrypage.aws.plugins.plugin_utils.filter_errors import refusing


FILTERS = {
    'sorry_is_sorry': report.is_sorry,
    'sorry_probe_done': report.probe_done,
    'sorry_verify_lines': report.verify_lines,
    'sorry_verify_failure': report.verify_failure,
    'sorry_off_probe_verdict': report.off_probe_verdict,
    'sorry_verify_retries': report.verify_retries,
    'sorry_bypass_probe': report.bypass_probe,
    'sorry_probe_skip_reason': report.skip_reason,
    'sorry_verify_expect': report.expect_of,
}


class FilterModule(object):
    def filters(self):
        return dict((name, refusing(function, '%s: ' % name)) for name, function in FILTERS.items())
