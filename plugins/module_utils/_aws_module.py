# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of this collection's AWS modules: amazon.aws's AnsibleAWSModule
(auth options, clients, retries, fail_json_aws) with the results we want.

A failure for lack of credentials (botocore's NoCredentialsError, anywhere in
the exception's chain) adds one line saying where the sandbox's are: a run
from a fresh shell against ``make sandbox`` otherwise only reads "Unable to
locate credentials".

amazon.aws copies the warnings a module gave (``module.warn``) into the
``warnings`` key of exit_json / fail_json on ansible-core 2.19. ansible-core
already returns every ``module.warn`` with the result, and since 2.19 it
reports a ``warnings`` key given to exit_json as deprecated: every run that
warned printed a deprecation notice. The warnings themselves are unchanged.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Told apart by exception type: botocore raises NoCredentialsError ("Unable
# to locate credentials") when no provider of its chain had any.
try:
    from botocore.exceptions import NoCredentialsError
except ImportError:  # AnsibleAWSModule reports a missing botocore
    NoCredentialsError = None

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

NO_CREDENTIALS_HINT = '(no AWS credentials found; for the local sandbox: `source tests/output/sandbox.env`)'


class SorryAWSModule(AnsibleAWSModule):
    """AnsibleAWSModule whose results carry warnings the way ansible-core does (no deprecated ``warnings`` key),
    and whose failures for lack of credentials say where the sandbox's are."""

    _failure_hint = None

    def _should_inject_warnings(self):
        # ansible-core's own AnsibleModule.warn puts them in the result
        return False

    def fail_json_aws(self, exception, msg=None, **kwargs):
        # amazon.aws builds "msg: exception text" and calls fail_json, which adds the hint last
        self._failure_hint = credentials_hint(exception)
        super(SorryAWSModule, self).fail_json_aws(exception, msg=msg, **kwargs)

    def fail_json(self, *args, **kwargs):
        if self._failure_hint and 'msg' in kwargs:
            kwargs['msg'] = '%s\n%s' % (kwargs['msg'], self._failure_hint)
        super(SorryAWSModule, self).fail_json(*args, **kwargs)


def credentials_hint(exception):
    """The line to add to a failure caused, directly or not, by missing AWS credentials, or None."""
    seen = set()
    while exception is not None and id(exception) not in seen and NoCredentialsError is not None:
        if isinstance(exception, NoCredentialsError):
            return NO_CREDENTIALS_HINT
        seen.add(id(exception))
        exception = exception.__cause__ or exception.__context__
    return None
