import socket
import ssl

import pytest
import urllib3.exceptions as u3

from ansible_collections.sorrypage.aws.plugins.module_utils import _k8s_errors as errors


class ApiException(Exception):
    """Shaped like kubernetes.client.ApiException."""

    def __init__(self, status, reason='', body=None):
        super(ApiException, self).__init__('(%s)' % status)
        self.status, self.reason, self.body = status, reason, body


def refused():
    cause = u3.NewConnectionError(None, 'Failed to establish a new connection: [Errno 111] Connection refused')
    return u3.MaxRetryError(None, '/apis/apps/v1', reason=cause)


def raised_from(outer, inner):
    try:
        try:
            raise inner
        except Exception as exc:
            raise outer from exc
    except Exception as exc:  # pylint: disable=broad-except
        return exc


@pytest.mark.parametrize('exc, kind', [
    (ApiException(409, 'Conflict'), 'conflict'),
    (ApiException(401, 'Unauthorized'), 'auth'),
    (ApiException(403, 'Forbidden'), 'auth'),
    (ApiException(502), 'connection'),
    (ApiException(503), 'connection'),
    (ApiException(504), 'connection'),
    (ApiException(404), 'other'),
    (ApiException(500), 'other'),
    (ApiException(422), 'other'),
    (refused(), 'connection'),
    (u3.ProtocolError('Connection aborted.'), 'connection'),
    (ConnectionResetError(104, 'reset'), 'connection'),
    (socket.timeout('timed out'), 'connection'),
    (socket.gaierror(-2, 'Name or service not known'), 'connection'),
    (u3.MaxRetryError(None, '/', reason=u3.SSLError('certificate verify failed')), 'tls'),
    (ssl.SSLError('handshake'), 'tls'),
    (raised_from(RuntimeError('Could not create API client'), ssl.SSLError('x')), 'tls'),
    (ValueError('a bug'), 'other'),
    # The message alone never decides: these words are not a connection failure.
    (RuntimeError('Connection refused'), 'other'),
    (RuntimeError('Unauthorized'), 'other'),
])
def test_classify_by_type_and_status(exc, kind):
    assert errors.classify(exc) == kind


def test_config_errors_are_told_apart_when_the_client_is_installed():
    config = pytest.importorskip('kubernetes.config.config_exception')
    exc = raised_from(RuntimeError('Could not create API client: x'), config.ConfigException('Invalid kube-config file'))
    assert errors.classify(exc) == 'config'
    assert errors.classify(config.ConfigException('Invalid kube-config file')) == 'config'


def test_a_failing_exec_credential_plugin_is_auth_not_config():
    """aws eks get-token failing (AWS or STS in trouble) is the credentials, not the kubeconfig: the ALB driver
    must still switch then (config refuses `on` before the switch, _input_checks.PAUSE_REFUSED)."""
    config = pytest.importorskip('kubernetes.config.config_exception')
    exc = raised_from(RuntimeError('Could not create API client: x'),
                      config.ConfigException('exec: process returned 255. An error occurred (ExpiredToken)'))
    assert errors.classify(exc) == 'auth'


def test_short_of_an_api_error_has_status_reason_and_message_only():
    exc = ApiException(403, 'Forbidden', body='{"kind": "Status", "message": "deployments.apps is forbidden: User x"}')
    assert errors.short(exc) == 'HTTP 403 Forbidden: deployments.apps is forbidden: User x'
    assert errors.short(ApiException(500, 'Internal Server Error', body='not json')) == 'HTTP 500 Internal Server Error: not json'


def test_short_of_a_connection_error_names_the_cause_and_is_bounded():
    assert 'Connection refused' in errors.short(refused())
    assert len(errors.short(RuntimeError('x' * 5000))) == errors.SHORT_CHARS


@pytest.mark.parametrize('kind, exc, text', [
    ('auth', ApiException(403), 'the Kubernetes API refused the credentials (HTTP 403 or an auth plugin failure)'),
    ('auth', None, 'the Kubernetes API refused the credentials (HTTP 401/403 or an auth plugin failure)'),
    ('connection', None, 'the Kubernetes API cannot be reached'),
    ('tls', None, 'the TLS connection to the Kubernetes API failed'),
    ('nonsense', None, 'a Kubernetes API call failed'),
])
def test_what(kind, exc, text):
    assert errors.what(kind, exc) == text
