# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter: the driver that switches a site, from sorry_driver and sorry_eks_outage."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: sorry_driver
author: sorrypage.aws contributors
version_added: 0.2.0
short_description: Choose the driver of a site and read sorry_eks_outage, once
description:
  - Returns C(driver) (the role C(sorrypage.aws.driver_<driver>) that switches the site), C(reason) (why, for
    C(status) and the summary) and C(eks_outage) (V(auto), V(true) or V(false); Ansible's booleans are accepted).
  - Fails, naming the variable and its choices, for any other value.
options:
  _input:
    description: The value of C(sorry_driver), V(auto) or V(alb).
    type: str
    required: true
  eks_outage:
    description: The value of C(sorry_eks_outage).
    type: raw
    default: auto
"""

EXAMPLES = r"""
- name: Choose the driver once
  ansible.builtin.set_fact:
    __sorry_mode: "{{ sorry_driver | sorrypage.aws.sorry_driver(eks_outage=sorry_eks_outage) }}"
"""

RETURN = r"""
_value:
  description: C(driver), C(reason) and C(eks_outage).
  type: dict
"""

from ansible_collections.sorrypage.aws.plugins.module_utils import _driver
from ansible_collections.sorrypage.aws.plugins.plugin_utils.filter_errors import refusing


sorry_driver = refusing(_driver.choose, 'Nothing was changed: ')


class FilterModule(object):
    def filters(self):
        return {'sorry_driver': sorry_driver}
