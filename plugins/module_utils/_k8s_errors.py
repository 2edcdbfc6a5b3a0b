# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes client failures told apart by exception type and HTTP status, never by message text.

Kinds: ``conflict`` (409, retried by the caller), ``auth`` (401, 403),
``config`` (the kubeconfig, its context or its exec/auth plugin could not be
used), ``tls``, ``connection`` (the API cannot be reached: refused, reset,
timed out, DNS, or a 502/503/504 from a proxy in front of it), ``other``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket

try:
    import urllib3.exceptions as _u3
except ImportError:  # the module reports the missing kubernetes client itself
    _u3 = None

try:
    from kubernetes.config.config_exception import ConfigException as _ConfigException
except ImportError:
    _ConfigException = None

CONNECTION_STATUSES = (502, 503, 504)
AUTH_STATUSES = (401, 403)
SHORT_CHARS = 600

WHAT = {
    'auth': 'the Kubernetes API refused the credentials (HTTP {status} or an auth plugin failure)',
    'config': 'the Kubernetes client configuration could not be used (kubeconfig or context)',
    'tls': 'the TLS connection to the Kubernetes API failed',
    'connection': 'the Kubernetes API cannot be reached',
    'conflict': 'a write met a 409 Conflict',
    'other': 'a Kubernetes API call failed',
}


def status_of(exc):
    """The HTTP status of an API error (kubernetes ApiException and anything shaped like it), else None."""
    status = getattr(exc, 'status', None)
    return status if isinstance(status, int) and 100 <= status <= 599 else None


def _chain(exc):
    """The exception and those it was raised from, outermost first."""
    seen = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = getattr(exc, 'reason', None) if _u3 is not None and isinstance(exc, _u3.MaxRetryError) else (
            exc.__cause__ or exc.__context__)
    return seen


def _is_tls(exc):
    import ssl
    return isinstance(exc, ssl.SSLError) or (_u3 is not None and isinstance(exc, _u3.SSLError))


def _is_connection(exc):
    if isinstance(exc, (ConnectionError, socket.timeout, socket.gaierror, TimeoutError)):
        return True
    if _u3 is not None and isinstance(exc, (_u3.NewConnectionError, _u3.ProtocolError, _u3.TimeoutError,
                                            _u3.MaxRetryError, _u3.NameResolutionError)):
        return True
    return False


def _is_config(exc):
    # kubernetes.core raises its CoreException from the client's ConfigException: the chain has both.
    return _ConfigException is not None and isinstance(exc, _ConfigException)


def classify(exc):
    """The kind of a failure (see the module docstring)."""
    status = status_of(exc)
    if status is not None:
        if status == 409:
            return 'conflict'
        if status in AUTH_STATUSES:
            return 'auth'
        if status in CONNECTION_STATUSES:
            return 'connection'
        return 'other'
    chain = _chain(exc)
    # The client's exec credential plugin (aws eks get-token) fails with a ConfigException "exec: ...": that is the
    # credentials (AWS or STS in trouble), not the kubeconfig, and counts as auth.
    if any(_is_config(item) and 'exec:' in str(item) for item in chain):
        return 'auth'
    if any(_is_config(item) for item in chain):
        return 'config'
    if any(_is_tls(item) for item in chain):
        return 'tls'
    if any(_is_connection(item) for item in chain):
        return 'connection'
    return 'other'


def short(exc):
    """One line about the failure, without traceback or response headers."""
    status = status_of(exc)
    if status is not None:
        reason = getattr(exc, 'reason', '') or ''
        message = ''
        body = getattr(exc, 'body', None)
        if body:
            try:
                message = json.loads(body).get('message') or ''
            except (ValueError, AttributeError, TypeError):
                message = str(body)
        text = 'HTTP %d %s%s' % (status, reason, (': ' + message) if message else '')
    else:
        text = '%s: %s' % (type(exc).__name__, exc)
    text = ' '.join(text.split())
    return text if len(text) <= SHORT_CHARS else text[:SHORT_CHARS - 3] + '...'


def what(kind, exc=None):
    status = status_of(exc) if exc is not None else None
    return WHAT.get(kind, WHAT['other']).format(status=status or '401/403')
