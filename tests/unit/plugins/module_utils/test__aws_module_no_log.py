# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The AWS access key ID is no_log in every AWS module of the collection and in
sorry_asset_upload's in-process build: no module result (``invocation``,
printed at -vvv) holds it, whether it came from the environment, an option
or an alias, and whether the run succeeded or failed while validating."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import glob
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec as amazon_spec

from ansible_collections.sorrypage.aws.plugins.module_utils import _aws_module
from ansible_collections.sorrypage.aws.plugins.module_utils import _build

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
MODULES = os.path.join(REPO, 'plugins', 'modules')
KEY_ID = 'AKIANOLOGTEST7Q3XZ2W'
SECRET = 'no-log-test-secret-access-key'
MASKED = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
SRC = os.path.join(REPO, 'roles', 'sorry_assets', 'files')
# a build that fits an ALB fixed response: assets on a CDN, the reason shortened
BUILD = {'src': SRC, 'public_url': 'https://d111111abcdef8.cloudfront.net/sorry', 'shorten_var': 'reason',
         'template_vars': {'reason': 'Database upgrade'}}


def _imports(path):
    """{module path: names} this file imports with ``from ... import``."""
    with open(path, encoding='utf-8') as handle:
        tree = ast.parse(handle.read())
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.setdefault(node.module, set()).update(alias.name for alias in node.names)
    return found


def aws_modules():
    """The modules that talk to AWS: those importing amazon.aws or botocore/boto3 (by file name)."""
    names = []
    for path in sorted(glob.glob(os.path.join(MODULES, '*.py'))):
        with open(path, encoding='utf-8') as handle:
            text = handle.read()
        if 'boto' in text or 'amazon.aws' in text:
            names.append(os.path.basename(path)[:-3])
    return names


def test_the_spec_marks_the_access_key_id_no_log_and_leaves_amazon_aws_alone():
    ours, theirs = _aws_module.aws_argument_spec(), amazon_spec()
    assert ours['access_key']['no_log'] is True
    assert theirs['access_key']['no_log'] is False  # amazon.aws's own spec is not changed by ours
    # otherwise the same option: names, environment variables, and the other options untouched
    assert dict(ours['access_key'], no_log=False) == theirs['access_key']
    assert {k: v for k, v in ours.items() if k != 'access_key'} == {k: v for k, v in theirs.items() if k != 'access_key'}
    assert ours['secret_key']['no_log'] is True and ours['session_token']['no_log'] is True
    # the asset build validates with the same spec in the controller process
    assert _build.full_argument_spec()['access_key']['no_log'] is True


def test_every_aws_module_is_a_sorry_aws_module():
    names = aws_modules()
    assert 'alb_sorry_site' in names and 'sorry_asset_upload' in names and 'ingress_sorry' not in names
    for name in names:
        imports = _imports(os.path.join(MODULES, name + '.py'))
        assert 'SorryAWSModule' in imports.get('ansible_collections.sorrypage.aws.plugins.module_utils._aws_module', ()), name
        direct = [m for m, n in imports.items() if {'AnsibleAWSModule', 'aws_argument_spec'} & n]
        assert direct == [], '%s builds on amazon.aws directly: %s' % (name, direct)


# Each module's main() in a forked child of a fresh interpreter (the modules imported once, before), with the
# case's environment: one JSON result a line.
RUN_MODULES = r"""
import importlib, json, os, sys
from ansible.module_utils.testing import patch_module_args
cases = json.load(sys.stdin)
mains = dict((name, importlib.import_module('ansible_collections.sorrypage.aws.plugins.modules.' + name).main)
             for name, _args, _env in cases)
for name, args, env in cases:
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        os.environ.update(env)
        with patch_module_args(dict(args, _ansible_module_name='sorrypage.aws.' + name, _ansible_verbosity=3)):
            mains[name]()
        os._exit(3)
    os.waitpid(pid, 0)
"""
CREDENTIALS = {
    'environment': ({}, {'AWS_ACCESS_KEY_ID': KEY_ID, 'AWS_SECRET_ACCESS_KEY': SECRET}),
    'option': ({'access_key': KEY_ID, 'secret_key': SECRET}, {}),
    'alias': ({'aws_access_key_id': KEY_ID, 'aws_secret_access_key': SECRET}, {}),
}


@pytest.fixture(scope='module')
def module_runs():
    """{(module, where the key is): (result line)} for every AWS module failing while it validates its arguments
    (an unknown option), which is where a value added to no_log_values after the module started would still
    show, and ('sorry_asset_upload', 'build'): a run to exit_json (the build) with the key in the environment."""
    keys = [(name, where) for where in sorted(CREDENTIALS) for name in aws_modules()]
    cases = [[name, dict(CREDENTIALS[where][0], region='us-east-1', no_such_option=1), CREDENTIALS[where][1]]
             for name, where in keys]
    keys.append(('sorry_asset_upload', 'build'))
    cases.append(['sorry_asset_upload', BUILD, CREDENTIALS['environment'][1]])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
    for name in ('AWS_ACCESS_KEY_ID', 'AWS_ACCESS_KEY', 'AWS_SECRET_ACCESS_KEY', 'AWS_SECRET_KEY', 'AWS_SESSION_TOKEN',
                 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE'):
        env.pop(name, None)
    proc = subprocess.run([sys.executable, '-c', RUN_MODULES], input=json.dumps(cases), env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == len(cases), proc.stdout + proc.stderr
    assert KEY_ID not in proc.stderr
    return dict(zip(keys, lines))


@pytest.mark.parametrize('where', sorted(CREDENTIALS))
def test_no_aws_module_result_holds_the_access_key_id(module_runs, where):
    for name in aws_modules():
        line = module_runs[(name, where)]
        assert KEY_ID not in line, name
        result = json.loads(line)
        # AnsibleModule's own validation failed: the unknown option, or a required one missing
        assert result['failed'] is True, (name, result)
        assert 'required' in result['msg'] or 'no_such_option' in result['msg'], (name, result)
        # the search looked at the value: the module did read it, and masked it
        args = result['invocation']['module_args']
        assert args.get('access_key', args.get('aws_access_key_id')) == MASKED, (name, args)


def test_a_module_run_to_its_end_does_not_hold_it(module_runs):
    """sorry_asset_upload without a bucket runs to exit_json (the build) with credentials from the environment."""
    line = module_runs[('sorry_asset_upload', 'build')]
    result = json.loads(line)
    assert 'failed' not in result and result['pages'], result
    assert KEY_ID not in line
    assert result['invocation']['module_args']['access_key'] == MASKED


def test_the_in_process_build_does_not_hold_it(monkeypatch):
    """sorry_asset_upload's action plugin validates with _build in the controller process, where the environment
    fallback reads the controller's AWS_ACCESS_KEY_ID."""
    monkeypatch.setenv('AWS_ACCESS_KEY_ID', KEY_ID)
    for args in (BUILD, dict(BUILD, aws_access_key=KEY_ID), dict(BUILD, no_such_option=1)):
        result = _build.run_build_only(dict(args))
        assert result.get('failed', False) is ('no_such_option' in args), result.get('msg')
        assert KEY_ID not in json.dumps(result), args
        assert result['invocation']['module_args']['access_key'] == MASKED, args
