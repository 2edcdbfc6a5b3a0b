# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.sorrypage.aws.plugins.filter.unknown_variables import FilterModule, unknown_variables

ROLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'roles')
SPEC = {'argument_specs': {
    'on': {'options': {'sorry_reason': {'type': 'str'}, 'sorry_region': {'type': 'str'},
                       'sorry_bypass_cidrs': {'type': 'list'}}},
    'off': {'options': {'sorry_force_off': {'type': 'bool'}}},
    'status': {},
}}


def real_specs():
    out = []
    for role in sorted(os.listdir(ROLES)):
        path = os.path.join(ROLES, role, 'meta', 'argument_specs.yml')
        if os.path.isfile(path):
            with open(path, encoding='utf-8') as handle:
                out.append(yaml.safe_load(handle))
    return out


@pytest.mark.parametrize('names, expected', [
    (['sorry_reasn'], ['unknown variable sorry_reasn: did you mean sorry_reason?']),
    (['sorry_regoin'], ['unknown variable sorry_regoin: did you mean sorry_region?']),
    (['sorry_bypass_cidr'], ['unknown variable sorry_bypass_cidr: did you mean sorry_bypass_cidrs?']),
    (['sorry_force_of'], ['unknown variable sorry_force_of: did you mean sorry_force_off?']),
    (['sorry_rules_inf'], ['unknown variable sorry_rules_inf: did you mean sorry_rules_info?']),
    (['sorry_foo'], ['unknown variable sorry_foo: no entry point of the runbook knows it '
                     '(docs/variables.md lists them)']),
    (['sorry_zz', 'sorry_reasn', 'sorry_reasn'], [
        'unknown variable sorry_reasn: did you mean sorry_reason?',
        'unknown variable sorry_zz: no entry point of the runbook knows it (docs/variables.md lists them)']),
])
def test_unknown_names_get_the_closest_known_one(names, expected):
    assert unknown_variables(names, [SPEC], known=['sorry_rules_info']) == expected


@pytest.mark.parametrize('names', [
    [],
    ['sorry_reason', 'sorry_region', 'sorry_force_off', 'sorry_rules_info'],
    ['ansible_connection', 'reasn', '__sorry_internal', 'inventory_hostname'],
])
def test_known_names_and_names_without_the_prefix_pass(names):
    assert unknown_variables(names, [SPEC], known=['sorry_rules_info']) == []


def test_another_prefix():
    assert unknown_variables(['lbc_namespce', 'sorry_x'], [{'argument_specs': {'x': {'options': {'lbc_namespace': {}}}}}],
                             prefix='lbc_') == ['unknown variable lbc_namespce: did you mean lbc_namespace?']


@pytest.mark.parametrize('specs', [[{'on': {}}], ['sorry_reason'], [{'argument_specs': []}]])
def test_something_else_than_argument_specs_is_refused(specs):
    with pytest.raises(AnsibleFilterError, match='each argument_specs item must be a parsed meta/argument_specs.yml'):
        unknown_variables(['sorry_x'], specs)


def test_every_option_of_every_role_of_the_collection_is_known():
    specs = real_specs()
    options = set()
    for document in specs:
        for entry in document['argument_specs'].values():
            options.update(entry.get('options') or {})
    assert 'sorry_reason' in options and 'sorry_lbc_namespace' in options
    assert unknown_variables(sorted(options), specs) == []
    assert unknown_variables(['sorry_lbc_namespce'], specs) == [
        'unknown variable sorry_lbc_namespce: did you mean sorry_lbc_namespace?']


@pytest.mark.parametrize('specs', [[], [{'argument_specs': {'on': {}}}]])
def test_specs_without_any_option_are_refused(specs):
    with pytest.raises(AnsibleFilterError, match='the argument_specs given hold no option at all'):
        unknown_variables(['sorry_x'], specs)


def test_the_filter_is_registered():
    assert FilterModule().filters() == {'unknown_variables': unknown_variables}
