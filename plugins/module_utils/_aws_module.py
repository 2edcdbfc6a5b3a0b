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

The AWS access key ID is ``no_log`` here (``aws_argument_spec``): amazon.aws
declares ``access_key`` with ``no_log=False`` (AWS does not call the key ID
secret), so every module result carried it in ``invocation.module_args``,
printed at ``-vvv`` and kept by AWX and the json callback. Credentials reach
no log in this collection. It is an option of the argument spec rather than a
value added to ``no_log_values`` after the module started: AnsibleModule's
own ``__init__`` already fails on invalid arguments (that result's invocation
holds every option) and logs the invocation to syslog/journald by the spec's
``no_log``, and sorry_asset_upload's action plugin validates with the spec
alone (``_build``), in the controller, without a module.

A 5xx answered with an HTML page (a proxy in between) is read as the server
error it is, retried and then reported, not a parser traceback
(``server_error_page``).
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
from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec as amazon_aws_argument_spec

NO_CREDENTIALS_HINT = '(no AWS credentials found; for the local sandbox: `source tests/output/sandbox.env`)'

# amazon.aws's connection options that hold credentials and that it does not mark no_log
NO_LOG_OPTIONS = ('access_key',)


def aws_argument_spec():
    """amazon.aws's AWS connection options (a new dict each call), with the access key ID no_log too."""
    spec = amazon_aws_argument_spec()
    for name in NO_LOG_OPTIONS:
        # a copy of the entry: amazon.aws's own spec is left as it is
        spec[name] = dict(spec[name], no_log=True)
    return spec


class SorryAWSModule(AnsibleAWSModule):
    """AnsibleAWSModule whose results carry warnings the way ansible-core does (no deprecated ``warnings`` key),
    whose failures for lack of credentials say where the sandbox's are, and whose access key ID is no_log."""

    _failure_hint = None

    def __init__(self, **kwargs):
        if kwargs.get('default_args', True):
            # AnsibleAWSModule puts its connection options under the module's own: ours replace them
            spec = aws_argument_spec()
            spec.update(kwargs.get('argument_spec') or {})
            kwargs['argument_spec'] = spec
        super(SorryAWSModule, self).__init__(**kwargs)

    def client(self, service, retry_decorator=None, **extra_params):
        conn = super(SorryAWSModule, self).client(service, retry_decorator=retry_decorator, **extra_params)
        conn.meta.events.register('before-parse', server_error_page)
        return conn

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


def server_error_page(response_dict, **kwargs):  # pylint: disable=unused-argument
    """botocore ``before-parse`` handler: a 5xx answered with an HTML page instead of the service's error document.

    A proxy or load balancer between us and AWS (or a server's own crash page) may answer ``<!DOCTYPE html>...``;
    botocore only recognises a page starting with ``<html>``, so any other raised ResponseParserError: no retry,
    and the module ended in a traceback. With the page emptied, botocore reads the answer as the server error it is:
    retried like any 5xx, then a ClientError whose code is the HTTP status, reported as a message.
    """
    if response_dict.get('status_code', 0) >= 500 and isinstance(response_dict.get('body'), bytes):
        start = response_dict['body'].lstrip()[:15].lower()
        if start.startswith(b'<!doctype html') or start.startswith(b'<html'):
            response_dict['body'] = b''


def credentials_hint(exception):
    """The line to add to a failure caused, directly or not, by missing AWS credentials, or None."""
    seen = set()
    while exception is not None and id(exception) not in seen and NoCredentialsError is not None:
        if isinstance(exception, NoCredentialsError):
            return NO_CREDENTIALS_HINT
        seen.add(id(exception))
        exception = exception.__cause__ or exception.__context__
    return None
