# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The filters' one way to fail: a ValueError of the logic they expose becomes
a filter error, its message kept (with a prefix the filter file chooses)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools

from ansible.errors import AnsibleFilterError


def refusing(function, prefix=''):
    """``function`` with its ValueError turned into an AnsibleFilterError ``prefix + message``."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except ValueError as exc:
            raise AnsibleFilterError('%s%s' % (prefix, exc))
    return wrapper
