# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, PartialCredentialsError

from ansible.module_utils.testing import patch_module_args

from ansible_collections.sorrypage.aws.plugins.module_utils._aws_module import (
    NO_CREDENTIALS_HINT, SorryAWSModule, credentials_hint, server_error_page)


# A module's exit in a fresh interpreter: once anything has imported
# ansible.errors (another unit test may have), ansible-core runs in controller
# mode and a module's warnings no longer come back in its result.
FINISH = r"""
import sys
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.sorrypage.aws.plugins.module_utils._aws_module import SorryAWSModule

module_class = {'sorry': SorryAWSModule, 'base': AnsibleAWSModule}[sys.argv[1]]
with patch_module_args({'region': 'us-east-1'}):
    module = module_class(argument_spec={}, supports_check_mode=True)
    module.warn('making room on listener 443')
    if sys.argv[2] == 'exit':
        module.exit_json(changed=False)
    module.fail_json(msg='it went wrong')
"""


def finish(which, how):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
    proc = subprocess.run([sys.executable, '-c', FINISH, which, how], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout)


def messages(summaries):
    # ansible-core 2.19 returns each warning or deprecation as a summary of one event
    return [item['event']['msg'] if isinstance(item, dict) else item for item in summaries]


@pytest.mark.parametrize('how', ['exit', 'fail'])
def test_warnings_come_back_once_without_a_deprecation(how):
    result = finish('sorry', how)
    assert messages(result['warnings']) == ['making room on listener 443']
    assert 'deprecations' not in result, result['deprecations']


@pytest.mark.parametrize('how', ['exit', 'fail'])
def test_amazon_aws_base_class_still_gives_the_deprecation_this_works_around(how):
    # When this fails, amazon.aws stopped injecting `warnings`: SorryAWSModule's override can go.
    result = finish('base', how)
    assert 'Passing `warnings` to `exit_json` or `fail_json` is deprecated.' in messages(
        result['deprecations'])


def boto_chain(outer_from_inner):
    try:
        try:
            raise NoCredentialsError()
        except NoCredentialsError as inner:
            raise outer_from_inner(inner)
    except Exception as outer:  # pylint: disable=broad-except
        return outer


@pytest.mark.parametrize('exception, hint', [
    (NoCredentialsError(), NO_CREDENTIALS_HINT),
    (boto_chain(lambda inner: RuntimeError('S3 sync failed')), NO_CREDENTIALS_HINT),
    (PartialCredentialsError(provider='env', cred_var='AWS_SECRET_ACCESS_KEY'), None),
    (ClientError({'Error': {'Code': 'InvalidClientTokenId', 'Message': 'bad token'}}, 'DescribeLoadBalancers'), None),
    (EndpointConnectionError(endpoint_url='http://127.0.0.1:9'), None),
    (None, None),
])
def test_credentials_hint_by_exception_type(exception, hint):
    assert credentials_hint(exception) == hint


def fail_aws(capsys, exception):
    with patch_module_args({'region': 'us-east-1'}):
        module = SorryAWSModule(argument_spec={}, supports_check_mode=True)
        with pytest.raises(SystemExit):
            module.fail_json_aws(exception, msg='could not describe the load balancer')
    return json.loads(capsys.readouterr().out)


def test_a_failure_without_credentials_says_where_the_sandbox_credentials_are(capsys):
    result = fail_aws(capsys, NoCredentialsError())
    assert result['msg'] == ('could not describe the load balancer: Unable to locate credentials\n'
                             '(no AWS credentials found; for the local sandbox: `source tests/output/sandbox.env`)')


def test_other_failures_get_no_hint(capsys):
    result = fail_aws(capsys, EndpointConnectionError(endpoint_url='http://127.0.0.1:9'))
    assert result['msg'] == ('could not describe the load balancer: Could not connect to the endpoint URL: '
                             '"http://127.0.0.1:9"')


class _PageServer:
    """A loopback HTTP server answering every request with ``status`` and ``body`` (a proxy's error page)."""

    def __init__(self, status, body):
        import http.server
        import threading
        server = self
        self.requests = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # pylint: disable=invalid-name
                self.rfile.read(int(self.headers.get('Content-Length') or 0))
                server.requests += 1
                self.send_response(status)
                self.send_header('Content-Type', 'text/html')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

        self.httpd = http.server.HTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d' % self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


HTML_500 = b'<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n'


def _elbv2(url, handler=True):
    import boto3
    from botocore.config import Config
    client = boto3.client('elbv2', region_name='us-east-1', endpoint_url=url, aws_access_key_id='k',
                          aws_secret_access_key='s', config=Config(retries={'mode': 'standard', 'total_max_attempts': 2}))
    if handler:
        client.meta.events.register('before-parse', server_error_page)
    return client


def test_an_html_server_error_page_is_a_retried_server_error_not_a_parser_traceback(monkeypatch):
    monkeypatch.setattr('time.sleep', lambda seconds: None)
    with _PageServer(500, HTML_500) as server:
        with pytest.raises(ClientError) as raised:
            _elbv2(server.url).describe_load_balancers()
    assert raised.value.response['Error']['Code'] == '500'
    assert 'Internal Server Error' in str(raised.value)
    assert server.requests == 2        # retried as a server error (2 attempts in all)


def test_without_the_handler_botocore_cannot_parse_that_page(monkeypatch):
    from botocore.parsers import ResponseParserError
    monkeypatch.setattr('time.sleep', lambda seconds: None)
    with _PageServer(500, HTML_500) as server:
        with pytest.raises(ResponseParserError):
            _elbv2(server.url, handler=False).describe_load_balancers()
    assert server.requests == 1


@pytest.mark.parametrize('status, body', [
    (500, b'<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>'),
    (400, b'<!doctype html><title>Bad Request</title>'),
    (503, b'{"__type": "ThrottlingException"}'),
])
def test_service_answers_and_client_errors_are_left_as_they_are(status, body):
    response = {'status_code': status, 'body': body, 'headers': {}}
    server_error_page(response)
    assert response['body'] == body


def test_every_client_of_the_module_gets_the_handler():
    with patch_module_args({'region': 'us-east-1', 'endpoint_url': 'http://127.0.0.1:9'}):
        module = SorryAWSModule(argument_spec={}, supports_check_mode=True)
    client = module.client('elbv2')
    response = {'status_code': 502, 'body': b'  <HTML><body>Bad Gateway</body></HTML>', 'headers': {}}
    client.meta.events.emit('before-parse.elastic-load-balancing.DescribeRules', response_dict=response,
                            operation_model=None, customized_response_dict={})
    assert response['body'] == b''
