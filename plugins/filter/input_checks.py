# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters: inputs refused before anything is read or changed (the functions of module_utils/_input_checks.py).

sorry_input_problems(region, until='', entry=None)
    -> [] or one message per problem of sorry_region (an AWS region botocore knows, or shaped like one of a
       partition it knows or like every AWS region; checked even with sorry_aws_endpoint_url) and sorry_until (an
       ISO 8601 date and time; '' leaves it unchecked, and so does an ``entry`` (the playbook) other than on and
       prepare: a bad one never stops `off`), each naming the variable, its value and what it must be

sorry_pause_problem(mode, lbc)
    -> '' or why `on` must not switch with the ALB driver: the controller read while choosing the driver
       (lbc_pause status's controller) shows the pause after the switch would fail (no Deployment or several
       match sorry_lbc_selector, the kubeconfig or its context cannot be used)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sorrypage.aws.plugins.module_utils import _input_checks


def sorry_input_problems(region, until='', entry=None):
    return _input_checks.input_problems(region, until, entry=entry)


def sorry_pause_problem(mode, lbc=None):
    return _input_checks.pause_problem(mode, lbc)


class FilterModule(object):
    def filters(self):
        return {'sorry_input_problems': sorry_input_problems, 'sorry_pause_problem': sorry_pause_problem}
