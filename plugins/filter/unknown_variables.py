# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter: the runbook variables that no entry point knows, each with the
closest known name, so a typo fails the run instead of being ignored."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: unknown_variables
author: sorrypage.aws contributors
version_added: 0.1.0
short_description: Name the variables with a prefix that no role knows, and the closest known name
description:
  - Returns one message per name in the input that starts with I(prefix) and is neither an option of any entry
    point in I(argument_specs) nor in I(known), for example C(unknown variable sorry_reasn - did you mean sorry_reason?).
  - The suggestion is the closest known name by C(difflib); when none is close, the message says so.
  - An empty list means every name is known.
options:
  _input:
    description: Variable names, e.g. C(lookup('ansible.builtin.varnames', '^sorry_')).
    type: list
    elements: str
    required: true
  argument_specs:
    description:
      - Parsed C(meta/argument_specs.yml) documents (each with an C(argument_specs) key). Every option of every
        entry point is a known name.
    type: list
    elements: dict
    default: []
  known:
    description: Other known names (facts and registered results the roles set, playbook variables).
    type: list
    elements: str
    default: []
  prefix:
    description: Only names that start with this prefix are checked.
    type: str
    default: sorry_
"""

EXAMPLES = r"""
- name: Refuse a misspelt runbook variable
  ansible.builtin.fail:
    msg: "{{ problems | join('; ') }}"
  vars:
    problems: >-
      {{ lookup('ansible.builtin.varnames', '^sorry_', wantlist=True)
         | sorrypage.aws.unknown_variables([lookup('ansible.builtin.file', role_path ~ '/meta/argument_specs.yml') | from_yaml],
                                           known=['sorry_rules_info']) }}
  when: problems | length > 0
"""

RETURN = r"""
_value:
  description: One message per unknown name, sorted by name.
  type: list
  elements: str
"""

import difflib

from ansible.errors import AnsibleFilterError

# Names are compared without the prefix they all share, which would
# otherwise make every pair look alike; difflib's default cutoff then pairs
# reasn with reason and leaves eks or foo without a guess.
CUTOFF = 0.6


def spec_options(argument_specs):
    """Every option name of every entry point of the given argument_specs documents."""
    names = set()
    for document in argument_specs or []:
        if not isinstance(document, dict) or not isinstance(document.get('argument_specs'), dict):
            raise AnsibleFilterError('unknown_variables: each argument_specs item must be a parsed '
                                     'meta/argument_specs.yml (a dict with an argument_specs key)')
        for entry in document['argument_specs'].values():
            names.update((entry or {}).get('options') or {})
    if argument_specs is not None and not names:
        # Reading the specs went wrong: every name would look unknown.
        raise AnsibleFilterError('unknown_variables: the argument_specs given hold no option at all')
    return names


def unknown_variables(names, argument_specs=None, known=None, prefix='sorry_'):
    known_names = spec_options(argument_specs) | set(known or [])
    by_rest = dict((k[len(prefix):], k) for k in known_names if k.startswith(prefix))
    messages = []
    for name in sorted(set(str(n) for n in names or [] if str(n).startswith(prefix))):
        if name in known_names:
            continue
        close = difflib.get_close_matches(name[len(prefix):], sorted(by_rest), n=1, cutoff=CUTOFF)
        if close:
            messages.append('unknown variable %s: did you mean %s?' % (name, by_rest[close[0]]))
        else:
            messages.append('unknown variable %s: no entry point of the runbook knows it '
                            '(docs/variables.md lists them)' % name)
    return messages


class FilterModule(object):
    def filters(self):
        return {'unknown_variables': unknown_variables}
