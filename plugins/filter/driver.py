# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters: the driver that switches a site (the functions of module_utils/_driver.py).

sorry_driver(requested, eks_outage='auto')
    -> {driver, requested, reason, eks_outage (auto|true|false), resolved}
       from sorry_driver (auto, alb or ingress) and sorry_eks_outage, read once before anything else. alb, and
       auto with sorry_eks_outage=true, are resolved at once; otherwise the site is read and
sorry_driver_for_site(mode, info, lbc=None, ingress=None, step='on', ingresses=None)
    -> mode with driver, reason, recorded (the driver whose state is on the site, or none), stack, ingresses
       from alb_sorry_info's result, lbc_pause status's controller and ingress_sorry status's result. A site is
       switched off by the driver that switched it on.

sorry_controller_cannot_act(lbc, site='')
    -> why the controller cannot put an Ingress change on the ALB now (paused by another site, no available
       replica), '' when it can or when it could not be read

The first two fail, naming the variable and the choices or why sorry_driver=ingress cannot switch the site, before any change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sorrypage.aws.plugins.module_utils import _driver
from ansible_collections.sorrypage.aws.plugins.plugin_utils.filter_errors import refusing


sorry_driver = refusing(_driver.choose, 'Nothing was changed: ')
sorry_driver_for_site = refusing(_driver.resolve)
sorry_controller_cannot_act = refusing(_driver.controller_cannot_act)


class FilterModule(object):
    def filters(self):
        return {'sorry_driver': sorry_driver, 'sorry_driver_for_site': sorry_driver_for_site,
                'sorry_controller_cannot_act': sorry_controller_cannot_act}
