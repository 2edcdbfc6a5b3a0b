# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which driver switches a site, and why (pure).

A driver is the role that puts the page up and takes it down: ``alb`` edits
the ALB's listener rules directly (and pauses the AWS Load Balancer
Controller on an ALB it manages, so it does not delete them). ``auto`` picks
the driver for the site; until the Ingress driver exists that is ``alb``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.six import string_types

from ansible_collections.sorrypage.aws.plugins.module_utils import _site_state

DRIVERS = ('alb',)
CHOICES = ('auto',) + DRIVERS


def choose(requested, eks_outage='auto'):
    """{driver, reason, eks_outage} for sorry_driver and sorry_eks_outage, both read here once.

    Raises ValueError naming the variable, its value and the choices.
    """
    mode = _site_state.parse_eks_outage(eks_outage)
    text = requested.strip().lower() if isinstance(requested, string_types) else requested
    if text not in CHOICES:
        raise ValueError("sorry_driver must be one of %s, got '%s'" % (', '.join(CHOICES), requested))
    if text != 'auto':
        return dict(driver=text, reason='sorry_driver=%s' % text, eks_outage=mode)
    if mode == 'true':
        reason = 'auto: sorry_eks_outage=true switches on the ALB itself'
    else:
        reason = 'auto: the ALB rules are the only driver of this version'
    return dict(driver='alb', reason=reason, eks_outage=mode)
