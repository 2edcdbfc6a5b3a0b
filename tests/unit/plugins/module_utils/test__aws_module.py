# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.sorrypage.aws.plugins.module_utils._aws_module import SorryAWSModule


def finish(capsys, module_class, how):
    with patch_module_args({'region': 'us-east-1'}):
        module = module_class(argument_spec={}, supports_check_mode=True)
        module.warn('making room on listener 443')
        with pytest.raises(SystemExit):
            if how == 'exit':
                module.exit_json(changed=False)
            else:
                module.fail_json(msg='it went wrong')
    return json.loads(capsys.readouterr().out)


def messages(summaries):
    # ansible-core 2.19 returns each warning or deprecation as a summary of one event
    return [item['event']['msg'] if isinstance(item, dict) else item for item in summaries]


@pytest.mark.parametrize('how', ['exit', 'fail'])
def test_warnings_come_back_once_without_a_deprecation(capsys, how):
    result = finish(capsys, SorryAWSModule, how)
    assert messages(result['warnings']) == ['making room on listener 443']
    assert 'deprecations' not in result, result['deprecations']


@pytest.mark.parametrize('how', ['exit', 'fail'])
def test_amazon_aws_base_class_still_gives_the_deprecation_this_works_around(capsys, how):
    # When this fails, amazon.aws stopped injecting `warnings`: SorryAWSModule's override can go.
    result = finish(capsys, AnsibleAWSModule, how)
    assert 'Passing `warnings` to `exit_json` or `fail_json` is deprecated.' in messages(
        result['deprecations'])
