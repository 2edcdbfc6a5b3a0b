# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of this collection's AWS modules: amazon.aws's AnsibleAWSModule
(auth options, clients, retries, fail_json_aws) with the results we want.

amazon.aws copies the warnings a module gave (``module.warn``) into the
``warnings`` key of exit_json / fail_json on ansible-core 2.19. ansible-core
already returns every ``module.warn`` with the result, and since 2.19 it
reports a ``warnings`` key given to exit_json as deprecated: every run that
warned printed a deprecation notice. The warnings themselves are unchanged.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


class SorryAWSModule(AnsibleAWSModule):
    """AnsibleAWSModule whose results carry warnings the way ansible-core does (no deprecated ``warnings`` key)."""

    def _should_inject_warnings(self):
        # ansible-core's own AnsibleModule.warn puts them in the result
        return False
