# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Action plugin for sorrypage.aws.sorry_asset_upload.

Without a bucket the module only renders the pages, from files on the
controller: here that build runs in the controller process, with the
module's own argument spec and build code (module_utils/_build.py), and
returns what the module would. A module run (packaging, a new Python
process) costs 1.5-2 s of the time to sorry at switch time.

With a bucket, or with async, the module runs as usual.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.sorrypage.aws.plugins.module_utils import _build

try:
    from ansible.module_utils.common.json import Direction, get_module_decoder, get_module_encoder
    AnsibleJSONEncoder = None  # deprecated from ansible-core 2.19 on
except ImportError:  # ansible-core < 2.19: module args and results are plain JSON
    from ansible.module_utils.common.json import AnsibleJSONEncoder
    Direction = get_module_decoder = get_module_encoder = None

# the serialization profile of Python modules that declare none (this one)
MODULE_PROFILE = 'legacy'


def uploads(args):
    """True when the module must run: it uploads when given a non-empty bucket."""
    return args.get('bucket') not in (None, '')


def as_module_sees(value, to_module):
    """``value`` as it crosses between controller and module (JSON, with the
    module serialization profile): plain types, dates as text, nothing
    marked trusted, as a module result would be."""
    if Direction is None:
        return json.loads(json.dumps(value, cls=AnsibleJSONEncoder))
    direction = Direction.CONTROLLER_TO_MODULE if to_module else Direction.MODULE_TO_CONTROLLER
    text = json.dumps(value, cls=get_module_encoder(MODULE_PROFILE, direction))
    return json.loads(text, cls=get_module_decoder(MODULE_PROFILE, direction))


class ActionModule(ActionBase):

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect

        if self._task.async_val or uploads(self._task.args):
            wrap_async = self._task.async_val and not self._connection.has_native_async
            result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result

        # Build only: nothing is written anywhere, so check mode changes nothing.
        args = as_module_sees(dict(self._task.args), to_module=True)
        built = _build.run_build_only(args, module_name=self._task.action)
        return merge_hash(result, as_module_sees(built, to_module=False))
