# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The sorry_asset_upload action plugin, through the ActionBase API with a
fake task and connection: it builds in-process without a bucket, runs the
module otherwise, and returns what the module returns."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

from unittest.mock import MagicMock

from ansible.playbook.play_context import PlayContext

from ansible_collections.sorrypage.aws.plugins.action import sorry_asset_upload as action

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
DEFAULT_PAGES = os.path.join(REPO, 'roles', 'sorry_assets', 'files')
CDN = 'https://d111111abcdef8.cloudfront.net/sorry'
FQCN = 'sorrypage.aws.sorry_asset_upload'
VARS = {'reason': 'Database upgrade <script>alert(1)</script>', 'until': '2026-03-02T14:00:00Z',
        'status_url': 'https://status.example.com/', 'contact': 'support@example.com'}
PAGE_VARS = {'ja': {'reason': u'データベースのアップグレードを行っています。'}}
MODULE_RESULT = {'changed': True, 'uploaded': ['sorry/preview/en.html'], 'pages': {}}


def make_plugin(args, check_mode=False, async_val=0):
    task = MagicMock()
    task.action = FQCN
    task.args = args
    task.async_val = async_val
    task.check_mode = check_mode
    connection = MagicMock()
    connection._shell.tmpdir = None
    connection.has_native_async = False
    plugin = action.ActionModule(task, connection, PlayContext(), loader=None, templar=None, shared_loader_obj=None)
    plugin._execute_module = MagicMock(return_value=dict(MODULE_RESULT))
    plugin._remove_tmp_path = MagicMock()
    plugin._make_tmp_path = MagicMock(side_effect=AssertionError('a build needs no remote tmp dir'))
    return plugin


def build_args(**extra):
    args = {'src': DEFAULT_PAGES, 'public_url': CDN, 'template_vars': VARS, 'page_vars': PAGE_VARS,
            'shorten_var': 'reason'}
    args.update(extra)
    return args


# The module's own exits, in a fresh interpreter (once ansible.errors is
# imported, as here, a module's warnings no longer come back in its result),
# one forked child per case so that nothing carries over between them.
RUN_MODULE = r"""
import json, os, sys
from ansible.module_utils.testing import patch_module_args
from ansible_collections.sorrypage.aws.plugins.modules.sorry_asset_upload import main
for args in json.load(sys.stdin):
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        with patch_module_args(args):
            main()
    os.waitpid(pid, 0)
"""


def module_results(cases):
    """What the module itself returns for each of ``cases`` (task args)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
    stdin = json.dumps([dict(args, _ansible_module_name=FQCN) for args in cases])
    proc = subprocess.run([sys.executable, '-c', RUN_MODULE], input=stdin, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(results) == len(cases), proc.stderr
    for result in results:
        # ansible-core 2.19 returns each warning as a summary of one event; the
        # controller makes the same of a plain message
        if 'warnings' in result:
            result['warnings'] = [w['event']['msg'] if isinstance(w, dict) else w for w in result['warnings']]
    return results


PARITY_CASES = {
    'default': build_args(),
    'shortened': build_args(template_vars=dict(VARS, reason='Maintenance. ' * 60), pages=['en']),  # with a warning
    'inline': build_args(public_url=None, minify=False, max_chars=4000, prefix='sorry'),  # assets inlined
    'no_log': build_args(secret_key='Database', access_key='AKIAEXAMPLE'),  # masked everywhere
    'bad_url': build_args(public_url='cdn.example.com/sorry'),
    'max_chars': build_args(max_chars=0),
    'over_budget': build_args(template_vars=dict(VARS, reason='Maintenance. ' * 60), shorten_var=None),
    'no_src': build_args(src=os.path.join(REPO, 'no-such-dir')),
    'required_by': build_args(cloudfront_distribution_id='E1'),
    'unsupported': build_args(colour='red'),
    'bad_type': build_args(wait_timeout='soon'),
    'alias': build_args(region='us-east-1', aws_region='us-east-1'),
    'debug_logs': build_args(debug_botocore_endpoint_logs=True),
}


def test_returns_what_the_module_returns():
    names = sorted(PARITY_CASES)
    expected = dict(zip(names, module_results([PARITY_CASES[name] for name in names])))
    for name in names:
        plugin = make_plugin(dict(PARITY_CASES[name]))
        result = plugin.run(task_vars={})
        plugin._execute_module.assert_not_called()
        assert result == expected[name], name
    # the cases do cover success, warnings and failure
    assert expected['default']['changed'] is False and 'failed' not in expected['default']
    assert expected['shortened']['warnings'] and expected['alias']['warnings']
    assert expected['no_log']['invocation']['module_args']['secret_key'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert all(expected[name]['failed'] is True for name in
               ('bad_url', 'max_chars', 'over_budget', 'no_src', 'required_by', 'unsupported', 'bad_type'))
    assert expected['unsupported']['msg'].startswith('Unsupported parameters for (%s) module: colour.' % FQCN)


def test_builds_in_process_without_a_bucket():
    plugin = make_plugin(build_args(bucket=''))
    result = plugin.run(task_vars={})
    plugin._execute_module.assert_not_called()
    plugin._remove_tmp_path.assert_not_called()
    assert result['changed'] is False and 'failed' not in result
    assert sorted(result['pages']) == ['en', 'ja']
    assert result['pages']['en']['preview_key'] is None
    assert CDN + '/style.' in result['pages']['en']['body']
    assert 'Database upgrade &lt;script>' in result['pages']['en']['body']
    assert [asset['src'] for asset in result['assets']] == ['style.css', 'logo.svg']
    assert result['uploaded'] == [] and result['invalidation_id'] is None
    assert result['invocation']['module_args']['bucket'] == ''


def test_check_mode_builds_the_same_pages():
    real = make_plugin(build_args()).run(task_vars={})
    check = make_plugin(build_args(), check_mode=True).run(task_vars={})
    assert check == real
    assert check['pages']['ja']['body'] == real['pages']['ja']['body']


def test_a_bad_argument_fails_the_task_without_a_module_run():
    plugin = make_plugin(build_args(public_url='cdn.example.com/sorry'))
    result = plugin.run(task_vars={})
    plugin._execute_module.assert_not_called()
    assert result['failed'] is True
    assert result['msg'] == "public_url must be an absolute http(s) URL, got 'cdn.example.com/sorry'"


def test_the_result_is_plain_data():
    # as a module result crosses JSON: lists, not tuples; dates as text
    import datetime
    result = make_plugin(build_args(template_vars=dict(VARS, until=datetime.datetime(2026, 3, 2, 14, 0)))).run(task_vars={})
    assert result['invocation']['module_args']['template_vars']['until'] == '2026-03-02T14:00:00'
    assert '<time datetime=2026-03-02T14:00+00:00>' in result['pages']['en']['body']
    assert json.loads(json.dumps(result)) == result


@pytest.mark.parametrize('check_mode', [False, True])
def test_with_a_bucket_the_module_runs(check_mode):
    args = build_args(bucket='sorry-assets', prefix='sorry/')
    plugin = make_plugin(args, check_mode=check_mode)
    result = plugin.run(task_vars={'inventory_hostname': 'localhost'})
    plugin._execute_module.assert_called_once_with(task_vars={'inventory_hostname': 'localhost'}, wrap_async=False)
    plugin._remove_tmp_path.assert_called_once()
    assert result == MODULE_RESULT


@pytest.mark.parametrize('bucket', [False, 0, 'False'])
def test_a_bucket_the_module_would_take_is_left_to_the_module(bucket):
    # the module turns any value but None and '' into a bucket name
    plugin = make_plugin(build_args(bucket=bucket))
    plugin.run(task_vars={})
    plugin._execute_module.assert_called_once()


def test_async_runs_the_module():
    plugin = make_plugin(build_args(), async_val=60)
    result = plugin.run(task_vars={})
    plugin._execute_module.assert_called_once_with(task_vars={}, wrap_async=True)
    plugin._remove_tmp_path.assert_not_called()  # the async wrapper cleans up
    assert result == MODULE_RESULT
