"""AWX as code (playbooks/awx_setup.yml): it parses, it lints, and its surveys ask for the runbook's real variables.

No controller is needed. Each survey of playbooks/awx/surveys.yml is checked against the argument specs of
the maintenance role's entry point its job template runs: the variable exists there, the choices and the
default are the same, and the types map as docs/awx.md states (text <-> str, multiplechoice <-> a str with
choices, or yes/no <-> bool, password <-> a no_log str, integer <-> int). Every answer a survey can give is
then read the way the role reads it (Ansible's argument validation, and the role's own parsers), since AWX
passes every answer as a string. The workflow is checked for its one rule: no path reaches ``off`` except
through a person's approval.
"""
import copy
import importlib
import os
import subprocess
import sys

import pytest
import yaml

from tests.ansible_run import REPO, VENV_BIN, ansible_env

_COLLECTIONS = os.path.join(REPO, '.collections')
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)

# pylint: disable=wrong-import-position
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # noqa: E402
from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.template import Templar  # noqa: E402
from ansible_collections.sorrypage.aws.plugins.module_utils import _auto_off, _driver, _probe_report, _site_state  # noqa: E402

PLAYBOOK = os.path.join(REPO, 'playbooks', 'awx_setup.yml')
SURVEYS = os.path.join(REPO, 'playbooks', 'awx', 'surveys.yml')
SPECS = os.path.join(REPO, 'roles', 'maintenance', 'meta', 'argument_specs.yml')
YES_NO = {'yes': True, 'no': False}
TEXT_TYPES = ('text', 'textarea')

# How the role reads each multiple-choice answer (a string from AWX). A new multiple-choice question needs its
# reader here: the test below fails until it has one.
READERS = {
    'sorry_driver': lambda value: _driver.choose(value, 'auto'),
    'sorry_eks_outage': _site_state.parse_eks_outage,
    'sorry_force_off': lambda value: _probe_report.flag('sorry_force_off', value),
    'sorry_auto_off': lambda value: _auto_off.mode(value, '', '2030-01-01T00:00:00Z'),
}


def _load(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def _choices(question):
    choices = question.get('choices') or []
    return choices.split('\n') if isinstance(choices, str) else list(choices)


def survey_problems(entry, survey, argument_specs):
    """Every way ``survey`` (an AWX survey_spec) disagrees with the options of the role's ``entry`` point, one
    message each naming the survey, the variable and what differs. An empty list means they agree."""
    options = argument_specs[entry]['options']
    problems = []
    seen = set()
    for question in survey['spec']:
        var = question['variable']
        where = '%s survey, %s' % (entry, var)
        if var in seen:
            problems.append('%s: asked twice' % where)
        seen.add(var)
        if var not in options:
            problems.append('%s: not an option of the maintenance role\'s %s entry point' % (where, entry))
            continue
        option = options[var]
        kind, typ, default = question['type'], option.get('type', 'str'), option.get('default')
        answer = question.get('default', '')
        if option.get('required') and not question.get('required'):
            problems.append('%s: required by the role, optional in the survey' % where)
        if kind in TEXT_TYPES or kind == 'password':
            if typ != 'str' or option.get('choices'):
                problems.append('%s: a %s question for a %s%s' % (where, kind, typ, ' with choices' if option.get(
                    'choices') else ''))
            if (kind == 'password') != bool(option.get('no_log')):
                problems.append('%s: a %s question for a%s no_log option' % (where, kind, '' if option.get(
                    'no_log') else ' non'))
            if kind != 'password' and answer != ('' if default is None else default):
                problems.append('%s: default %r, the role\'s is %r' % (where, answer, default))
        elif kind == 'integer':
            if typ != 'int':
                problems.append('%s: an integer question for a %s' % (where, typ))
            elif answer != default:
                problems.append('%s: default %r, the role\'s is %r' % (where, answer, default))
        elif kind == 'multiplechoice':
            choices = _choices(question)
            if typ == 'bool':
                if sorted(choices) != sorted(YES_NO):
                    problems.append('%s: a bool asked with choices %s, not yes/no' % (where, '/'.join(choices)))
                elif YES_NO.get(answer) != default:
                    problems.append('%s: default %r, the role\'s is %r' % (where, answer, default))
            elif typ != 'str' or not option.get('choices'):
                problems.append('%s: a multiplechoice question for a %s without choices' % (where, typ))
            else:
                if sorted(choices) != sorted(str(c) for c in option['choices']):
                    problems.append('%s: choices %s, the role\'s are %s' % (
                        where, '/'.join(choices), '/'.join(str(c) for c in option['choices'])))
                if answer != default:
                    problems.append('%s: default %r, the role\'s is %r' % (where, answer, default))
        else:
            problems.append('%s: question type %s has no mapping to the role\'s types' % (where, kind))
    return problems


# What AWX accepts in a survey_spec (its API refuses the rest with a 400): question types and the Python type of
# a non-empty default for each.
AWX_TYPES = {'text': str, 'textarea': str, 'password': str, 'multiplechoice': str, 'multiselect': (str, list),
             'integer': int, 'float': (float, int)}


def awx_spec_problems(survey):
    """What the controller's API would refuse in ``survey`` (a survey_spec), one message each; empty: accepted."""
    problems = []
    for field, kind in (('name', str), ('description', str), ('spec', list)):
        if not isinstance(survey.get(field), kind):
            problems.append('%s: missing or not a %s' % (field, kind.__name__))
    if problems or not survey['spec']:
        return problems or ['spec: no question']
    variables = set()
    for index, question in enumerate(survey['spec']):
        where = 'question %d (%s)' % (index, question.get('variable'))
        for field, kind in (('type', str), ('question_name', str), ('variable', str), ('required', bool)):
            if not isinstance(question.get(field), kind):
                problems.append('%s: %s missing or not a %s' % (where, field, kind.__name__))
        if question.get('variable') in variables:
            problems.append('%s: variable asked twice' % where)
        variables.add(question.get('variable'))
        kind = question.get('type')
        if kind not in AWX_TYPES:
            problems.append('%s: type %s is not one of %s' % (where, kind, ', '.join(sorted(AWX_TYPES))))
            continue
        default = question.get('default', '')
        if default != '' and not isinstance(default, AWX_TYPES[kind]):
            problems.append('%s: default %r is not a %s' % (where, default, kind))
        for limit in ('min', 'max'):
            if question.get(limit) is not None and not isinstance(question[limit], int):
                problems.append('%s: %s %r is not an integer' % (where, limit, question[limit]))
        if kind in ('multiplechoice', 'multiselect'):
            if 'choices' not in question:
                problems.append('%s: a %s without choices' % (where, kind))
            elif default != '' and default not in _choices(question):
                problems.append('%s: default %r is not one of the choices' % (where, default))
    return problems


def _answers(question):
    """Every answer the question can give, as AWX passes them (strings)."""
    if question['type'] == 'multiplechoice':
        return _choices(question)
    return [question.get('default', '')]


@pytest.fixture(scope='module')
def surveys():
    return _load(SURVEYS)['sorrypage_awx_surveys']


@pytest.fixture(scope='module')
def argument_specs():
    return _load(SPECS)['argument_specs']


@pytest.fixture(scope='module')
def play():
    return DataLoader().load_from_file(PLAYBOOK)[0]


class _Spec(Exception):
    """Carries the argument spec an awx.awx module builds in main(), caught before it reaches a controller."""

    def __init__(self, argument_spec, **kwargs):
        super().__init__('argument spec')
        self.argument_spec = argument_spec
        self.kwargs = kwargs


def _raise_spec(argument_spec=None, **kwargs):
    raise _Spec(argument_spec, **kwargs)


def awx_module_spec(name, monkeypatch):
    """(argument_spec, checks) of awx.awx module ``name``, the way its main() builds them."""
    module = importlib.import_module('ansible_collections.awx.awx.plugins.modules.%s' % name)
    monkeypatch.setattr(module, 'ControllerAPIModule', _raise_spec)
    with pytest.raises(_Spec) as caught:
        module.main()
    checks = dict((k, v) for k, v in caught.value.kwargs.items()
                  if k in ('mutually_exclusive', 'required_together', 'required_one_of', 'required_if', 'required_by'))
    return caught.value.argument_spec, checks


def _task(play, module):  # pylint: disable=redefined-outer-name
    tasks = [t for t in play['tasks'] if module in t]
    assert len(tasks) == 1, module
    return tasks[0]


def test_syntax_check():
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '--syntax-check', PLAYBOOK], cwd=REPO,
                          env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ansible_lint_production_profile():
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-lint'), '--profile', 'production', '--nocolor',
                           PLAYBOOK, SURVEYS], cwd=REPO, env=ansible_env(), capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'Found duplicate' not in proc.stderr, proc.stderr


@pytest.mark.parametrize('entry', ['prepare', 'on', 'off', 'status'])
def test_survey_matches_the_argument_specs(entry, surveys, argument_specs):  # pylint: disable=redefined-outer-name
    assert survey_problems(entry, surveys[entry], argument_specs) == []


@pytest.mark.parametrize('entry', ['prepare', 'on', 'off', 'status'])
def test_survey_is_one_the_controller_accepts(entry, surveys):  # pylint: disable=redefined-outer-name
    assert awx_spec_problems(surveys[entry]) == []


def test_controller_rules_report_a_bad_survey(surveys):  # pylint: disable=redefined-outer-name
    bad = copy.deepcopy(surveys['off'])
    bad['spec'][0]['default'] = 'fast'
    bad['spec'][1]['type'] = 'boolean'
    bad['spec'][2]['required'] = 'yes'
    bad['spec'].append(dict(bad['spec'][0], default='auto'))
    assert awx_spec_problems(bad) == [
        "question 0 (sorry_driver): default 'fast' is not one of the choices",
        'question 1 (sorry_eks_outage): type boolean is not one of float, integer, multiplechoice, multiselect, '
        'password, text, textarea',
        'question 2 (sorry_force_off): required missing or not a bool',
        'question 3 (sorry_driver): variable asked twice',
    ]
    assert awx_spec_problems({'name': 'x', 'description': '', 'spec': []}) == ['spec: no question']


def test_surveys_ask_the_runbook_variables(surveys):  # pylint: disable=redefined-outer-name
    asked = dict((entry, [q['variable'] for q in survey['spec']]) for entry, survey in surveys.items())
    assert asked == {
        'prepare': ['sorry_reason', 'sorry_until', 'sorry_driver'],
        'on': ['sorry_reason', 'sorry_until', 'sorry_driver', 'sorry_eks_outage', 'sorry_auto_off'],
        'off': ['sorry_driver', 'sorry_eks_outage', 'sorry_force_off'],
        'status': ['sorry_driver', 'sorry_eks_outage'],
    }
    reason = surveys['on']['spec'][0]
    assert reason['required'] and reason['min'] == 1, 'on needs a reason for the page'


@pytest.mark.parametrize('entry', ['prepare', 'on', 'off', 'status'])
def test_every_answer_is_read_by_the_role(entry, surveys, argument_specs):  # pylint: disable=redefined-outer-name
    """AWX passes answers as strings: Ansible's argument validation (validate_argument_spec) and the role's own
    readers must take every one, "yes"/"no" for a bool included."""
    options = argument_specs[entry]['options']
    for question in surveys[entry]['spec']:
        var = question['variable']
        spec = dict((k, v) for k, v in options[var].items() if k in ('type', 'choices', 'elements', 'no_log'))
        for answer in _answers(question):
            result = ArgumentSpecValidator({var: spec}).validate({var: answer})
            assert not result.error_messages, (var, answer, result.error_messages)
            if question['type'] == 'multiplechoice':
                assert var in READERS, 'no reader for %s: add how the role reads it to READERS' % var
                READERS[var](answer)  # raises ValueError naming the variable when the role refuses it
    force_off = [q for q in surveys['off']['spec'] if q['variable'] == 'sorry_force_off']
    if entry == 'off':
        assert READERS['sorry_force_off'](force_off[0]['default']) is False


def test_checker_reports_a_drift(surveys, argument_specs):  # pylint: disable=redefined-outer-name
    """Mutated copies of the surveys, as the role or the survey would drift: each one is reported by name."""
    drifted = copy.deepcopy(surveys['on'])
    questions = dict((q['variable'], q) for q in drifted['spec'])
    questions['sorry_driver']['default'] = 'alb'
    questions['sorry_eks_outage']['choices'] = ['auto', 'yes', 'no']
    questions['sorry_until']['type'] = 'integer'
    drifted['spec'].append({'variable': 'sorry_reasn', 'type': 'text', 'default': ''})
    assert survey_problems('on', drifted, argument_specs) == [
        'on survey, sorry_until: an integer question for a str',
        "on survey, sorry_driver: default 'alb', the role's is 'auto'",
        "on survey, sorry_eks_outage: choices auto/yes/no, the role's are auto/true/false",
        "on survey, sorry_reasn: not an option of the maintenance role's on entry point",
    ]
    off = copy.deepcopy(surveys['off'])
    force = [q for q in off['spec'] if q['variable'] == 'sorry_force_off'][0]
    force['default'] = 'yes'
    assert survey_problems('off', off, argument_specs) == [
        "off survey, sorry_force_off: default 'yes', the role's is False"]
    force['choices'], force['default'] = ['false', 'true'], 'false'
    assert survey_problems('off', off, argument_specs) == [
        'off survey, sorry_force_off: a bool asked with choices false/true, not yes/no']
    # A question the prepare entry point does not have (the controller is not paused by prepare).
    assert survey_problems('prepare', surveys['status'], argument_specs) == [
        "prepare survey, sorry_eks_outage: not an option of the maintenance role's prepare entry point"]
    secret = {'spec': [{'variable': 'sorry_reason', 'type': 'password', 'default': ''}]}
    assert survey_problems('on', secret, argument_specs) == [
        'on survey, sorry_reason: a password question for a non no_log option']


INPUTS = {
    'bare': {'sorrypage_awx_project_url': 'https://git.example.com/ops/sorrypage.git'},
    'everything': {
        'sorrypage_awx_project_url': 'https://git.example.com/ops/sorrypage.git',
        'sorrypage_awx_project_credential': 'git',
        'sorrypage_awx_execution_environment_image': 'registry.example.com/ops/sorrypage-aws-ee:0.1.0',
        'sorrypage_awx_aws_credential': 'prod AWS',
        'sorrypage_awx_bypass_credential': 'bypass', 'sorrypage_awx_bypass_header_value': 'secret',
        'sorrypage_awx_kube_credential': 'kube', 'sorrypage_awx_kubeconfig': 'apiVersion: v1',
        'sorrypage_awx_vault_credential': 'vault',
        'sorrypage_awx_notification_url': 'https://hooks.example.com/x',
        'sorrypage_awx_release_job_template': 'shop release',
        'sorrypage_awx_approval_timeout': '3600',
    },
}


@pytest.mark.parametrize('inputs', sorted(INPUTS))
def test_every_task_passes_the_awx_modules_argument_specs(inputs, monkeypatch):
    """Each awx.awx task's arguments, templated as the play would with these inputs, are valid for the module
    (names, types, choices, suboptions of workflow_nodes and survey_spec): what a controller-less test can check."""
    loader = DataLoader()
    play = loader.load_from_file(PLAYBOOK, trusted_as_template=True)[0]  # pylint: disable=redefined-outer-name
    variables = dict(play['vars'])
    variables.update(loader.load_from_file(SURVEYS, trusted_as_template=True))
    variables.update(INPUTS[inputs])
    checked = set()
    for task in play['tasks']:
        action = [k for k in task if k.startswith('awx.awx.')]
        if not action:
            continue
        name = action[0].split('.')[-1]
        argument_spec, checks = awx_module_spec(name, monkeypatch)
        for item in variables[task['loop'][3:-3].strip()] if 'loop' in task else [None]:
            templar = Templar(loader=loader, variables=dict(variables, item=item))
            if 'when' in task and not templar.evaluate_conditional(task['when']):
                continue
            params = templar.template(task[action[0]])
            result = ArgumentSpecValidator(argument_spec, **checks).validate(params)
            assert not result.error_messages, (task['name'], result.error_messages)
            checked.add(name)
    expected = {'project', 'credential_type', 'inventory', 'inventory_source', 'job_template'}
    if inputs == 'everything':
        expected |= {'execution_environment', 'credential', 'notification_template', 'workflow_job_template'}
    assert checked == expected


def test_job_templates_run_the_entry_points_with_their_surveys(play, surveys):  # pylint: disable=redefined-outer-name
    templates = play['vars']['sorrypage_awx_job_templates']
    assert sorted(t['entry'] for t in templates) == sorted(surveys)
    task = _task(play, 'awx.awx.job_template')
    args = task['awx.awx.job_template']
    assert args['ask_limit_on_launch'] is True and args['survey_enabled'] is True
    assert args['playbook'] == 'playbooks/maintenance_{{ item.entry }}.yml'
    assert args['survey_spec'] == '{{ sorrypage_awx_surveys[item.entry] }}'
    for template in templates:
        with open(os.path.join(REPO, 'playbooks', 'maintenance_%s.yml' % template['entry'])) as handle:
            role_tasks = yaml.safe_load(handle)[0]['tasks']
        assert [t['ansible.builtin.import_role']['tasks_from'] for t in role_tasks] == [template['entry']]
    assert [t['secrets'] for t in templates if t['entry'] == 'status'] == [False]


def test_credential_types_inject_what_the_role_reads(play):  # pylint: disable=redefined-outer-name
    types = dict((t['awx.awx.credential_type']['name'], t['awx.awx.credential_type'])
                 for t in play['tasks'] if 'awx.awx.credential_type' in t)
    bypass = types['sorrypage bypass header']
    assert bypass['inputs']['fields'][0]['secret'] is True
    # AWX's template, kept literal by !unsafe; the example inventory's sorry_bypass_headers reads this variable.
    assert bypass['injectors']['extra_vars'] == {'vault_sorry_bypass_header_value': '{{ header_value }}'}
    with open(os.path.join(REPO, 'inventories', 'example', 'group_vars', 'sorry_sites', 'main.yml')) as handle:
        assert '{{ vault_sorry_bypass_header_value }}' in handle.read()
    kube = types['sorrypage kubeconfig']
    assert kube['injectors']['file'] == {'template.kubeconfig': '{{ kubeconfig }}'}
    assert kube['injectors']['env'] == {'K8S_AUTH_KUBECONFIG': '{{ tower.filename.kubeconfig }}'}
    assert kube['injectors']['extra_vars'] == {'sorry_kubeconfig': '{{ tower.filename.kubeconfig }}'}
    assert all(t['kind'] == 'cloud' for t in types.values())


def test_inventory_source_is_the_example_inventory_of_the_project(play):  # pylint: disable=redefined-outer-name
    args = _task(play, 'awx.awx.inventory_source')['awx.awx.inventory_source']
    assert args['source'] == 'scm' and args['source_project'] == '{{ sorrypage_awx_project_name }}'
    assert play['vars']['sorrypage_awx_inventory_path'] == 'inventories/example'
    assert os.path.isfile(os.path.join(REPO, play['vars']['sorrypage_awx_inventory_path'], 'hosts.yml'))


def test_notification_only_when_its_url_is_given(play):  # pylint: disable=redefined-outer-name
    task = _task(play, 'awx.awx.notification_template')
    assert task['when'] == 'sorrypage_awx_notification_url | length > 0'
    assert task['no_log'] is True
    assert play['vars']['sorrypage_awx_notification_url'] == ''


def test_workflow_never_switches_off_without_an_approval(play):  # pylint: disable=redefined-outer-name
    task = _task(play, 'awx.awx.workflow_job_template')
    args = task['awx.awx.workflow_job_template']
    assert task['when'] == 'sorrypage_awx_release_job_template | length > 0'
    assert args['ask_limit_on_launch'] is True
    assert args['survey_spec'] == "{{ sorrypage_awx_surveys['on'] }}"
    nodes = dict((n['identifier'], n) for n in args['workflow_nodes'])
    kinds = dict((i, n['unified_job_template']['type']) for i, n in nodes.items())
    names = dict((i, n['unified_job_template']['name']) for i, n in nodes.items())
    edges = [(i, kind[:-len('_nodes')], child['identifier']) for i, n in nodes.items()
             for kind, children in (n.get('related') or {}).items() for child in children]
    assert names['maintenance-on'] == 'Maintenance - ON' and names['maintenance-off'] == 'Maintenance - OFF'
    assert names['release'] == '{{ sorrypage_awx_release_job_template }}'
    assert sorted(edges) == sorted([('maintenance-on', 'success', 'release'), ('release', 'success', 'approve-off'),
                                    ('approve-off', 'success', 'maintenance-off')])
    # The only way into off: the approval's success. No failure or always edge anywhere.
    assert [(src, how) for src, how, dst in edges if dst == 'maintenance-off'] == [('approve-off', 'success')]
    assert kinds['approve-off'] == 'workflow_approval'
    assert all(edge[1] == 'success' for edge in edges)
