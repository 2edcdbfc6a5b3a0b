# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: runbook
type: stdout
author: sorrypage.aws maintainers (@sorrypage)
version_added: 0.2.0
short_description: "Screen output for the maintenance runbook at 3 a.m.: what changed and what the runbook says"
description:
  - Without C(-v), prints the play banner, one line per task that changed something, what the runbook's own
    messages say (its C(debug) tasks, such as the summary, the probes, warnings and banners), Ansible's warnings, failures in
    full and the recap. Tasks that only read, skipped tasks and includes print nothing.
  - With C(-v) or more, prints exactly what the C(default) callback prints.
  - Enable it with C(stdout_callback = sorrypage.aws.runbook) in C(ansible.cfg) (this repository's does) or
    C(ANSIBLE_STDOUT_CALLBACK=sorrypage.aws.runbook). AWX and the C(json) callback are not affected.
extends_documentation_fragment:
  - default_callback
  - result_format_callback
requirements:
  - set as stdout callback in the configuration
"""

from ansible import constants as C
from ansible import context
from ansible.playbook.task_include import TaskInclude
from ansible.plugins.callback.default import CallbackModule as DefaultCallback

DEBUG_ACTIONS = frozenset(('debug', 'ansible.builtin.debug', 'ansible.legacy.debug'))


def message_lines(msg):
    """A debug message as lines: a list gives one line per item, a string its own lines."""
    if isinstance(msg, (list, tuple)):
        return [u'%s' % (item,) for item in msg]
    return (u'%s' % (msg,)).splitlines() or [u'']


def predicted(task):
    """A note for a change made in check mode (--check, or a task the role runs in check mode): nothing was written."""
    if task.check_mode or context.CLIARGS.get('check'):
        return u' (check mode: predicted, nothing written)'
    return u''


class CallbackModule(DefaultCallback):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'sorrypage.aws.runbook'

    def _terse(self):
        return self._display.verbosity < 1

    def v2_playbook_on_task_start(self, task, is_conditional):
        if not self._terse():
            super(CallbackModule, self).v2_playbook_on_task_start(task, is_conditional)
            return
        self._task_type_cache[task._uuid] = 'TASK'
        self._last_task_name = None  # a failure prints its banner with the task's own name

    def v2_playbook_on_include(self, included_file):
        if not self._terse():
            super(CallbackModule, self).v2_playbook_on_include(included_file)

    def v2_runner_on_skipped(self, result):
        if not self._terse():
            super(CallbackModule, self).v2_runner_on_skipped(result)

    def v2_runner_item_on_skipped(self, result):
        if not self._terse():
            super(CallbackModule, self).v2_runner_item_on_skipped(result)

    def v2_runner_on_ok(self, result):
        if not self._terse():
            super(CallbackModule, self).v2_runner_on_ok(result)
            return
        task = result.task
        if isinstance(task, TaskInclude):
            return
        self._handle_warnings_and_exception(result)
        outcome = result.result
        name = task.get_name().strip()
        host = self.host_label(result)
        if task.action in DEBUG_ACTIONS and 'msg' in outcome:
            lines = message_lines(outcome['msg'])
            if len(lines) == 1:
                self._display.display(u'[%s] %s' % (host, lines[0]), color=C.COLOR_OK)
            else:
                self._display.display(u'[%s] %s:' % (host, name), color=C.COLOR_OK)
                for line in lines:
                    self._display.display(u'  %s' % line, color=C.COLOR_OK)
        elif outcome.get('changed', False) and not (task.loop and 'results' in outcome):
            self._display.display(u'changed: [%s] %s%s' % (host, name, predicted(task)), color=C.COLOR_CHANGED)

    def v2_runner_item_on_ok(self, result):
        if not self._terse():
            super(CallbackModule, self).v2_runner_item_on_ok(result)
            return
        if isinstance(result.task, TaskInclude):
            return
        self._handle_warnings_and_exception(result)
        if result.result.get('changed', False):
            line = u'changed: [%s] %s (%s)' % (self.host_label(result), result.task.get_name().strip(),
                                               self._get_item_label(result.result))
            self._display.display(line, color=C.COLOR_CHANGED)
