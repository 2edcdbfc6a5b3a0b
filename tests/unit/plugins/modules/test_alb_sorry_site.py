# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""alb_sorry_site's message when a phase could not be written."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import botocore.exceptions
import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _elbv2
from ansible_collections.sorrypage.aws.plugins.module_utils import _site_apply
from ansible_collections.sorrypage.aws.plugins.modules import alb_sorry_site

LISTENER = {'arn': 'listener/443', 'port': 443, 'protocol': 'HTTPS'}


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self):
        self.failed = None

    def fail_json(self, **result):
        self.failed = result
        raise Failed()


class FakeRun:
    warnings = ['a warning']


def failed_message(code, done=()):
    error = botocore.exceptions.ClientError({'Error': {'Code': code, 'Message': code}}, 'CreateRule')
    module = FakeModule()
    failure = _site_apply.SiteWriteError(len(done), [(LISTENER, error)], list(done))
    with pytest.raises(Failed):
        alb_sorry_site._write_failed(module, FakeRun(), failure, 'present')
    assert module.failed['warnings_during_write'] == ['a warning']
    return module.failed['msg']


@pytest.mark.parametrize('code', ['PriorityInUse', 'RuleNotFound'])
def test_another_writer_in_the_way_after_every_read_says_so_and_that_a_rerun_converges(code):
    msg = failed_message(code)
    assert msg.startswith('writing the bypass and passthrough rules failed on 1 listener: listener HTTPS:443 (listener/443)')
    assert 'No earlier phase was written; nothing after that phase was written.' in msg
    assert 'changed the rules after each of %d reads of the listener; run again' % (_elbv2.CONTENDED_REPLANS + 1) in msg


def test_another_error_names_the_phases_done_and_no_writer():
    msg = failed_message('AccessDenied', done=[0])
    assert msg.startswith('writing the sorry and preview rules failed on 1 listener')
    assert 'Done on every listener before: bypass and passthrough; nothing after that phase was written.' in msg
    assert 'Another writer' not in msg
