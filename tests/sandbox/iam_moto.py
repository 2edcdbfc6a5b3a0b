"""A moto server of its own that enforces IAM, and records every permission check it makes.

moto checks IAM only when ``INITIAL_NO_AUTH_ACTION_COUNT`` is set before its
server starts, and then for the whole server: after that many unauthenticated
actions, every request must be signed by a known access key whose policies
allow the action (against Resource ``*``, except S3, which moto checks against
the bucket or object ARN). So the least-privilege test gets a server of its
own (``IamMotoServer``), never the shared one.

``python -m tests.sandbox.iam_moto -H HOST -p PORT`` runs moto as
``tests.sandbox.moto_launcher`` does (AWS's ELBv2 tag quota; two fixes of moto's
IAM emulation, see ``sign_empty_bodies_as_empty`` and
``cloudfront_access_denied_as_aws``) and, when
``SORRYPAGE_IAM_LOG`` names a file, appends one JSON line per permission
check: the caller's IAM user, the action as IAM sees it
(``elasticloadbalancing:CreateRule``), the resource moto checked, whether it
was allowed, the request's method, path, parameters and (not for S3) body.
The admin user's checks are not written (the sandbox's own clients poll).

``IamMotoServer`` starts that server with ``INITIAL_NO_AUTH_ACTION_COUNT`` =
the three calls that make the admin user (``CreateUser``, ``PutUserPolicy``,
``CreateAccessKey``); ``client()`` then signs with the admin's key, so the
sandbox (seed, data plane) works as before, and ``user(name, actions)`` makes
a user holding exactly ``actions`` on Resource ``*``.
"""
import json
import os
import subprocess
import sys
import threading

from tests.sandbox.aws import FAKE_CREDENTIALS, REPO, MotoServer
from tests.sandbox.ports import wait_http

ADMIN = 'sorrypage-iam-admin'
ADMIN_SETUP_CALLS = 3      # CreateUser, PutUserPolicy, CreateAccessKey: unauthenticated, then IAM is enforced
LOG_ENV = 'SORRYPAGE_IAM_LOG'
_BODY_LIMIT = 65536


def _caller(check):
    """The IAM user name of the key a check is for (``None`` when moto did not resolve one)."""
    key = getattr(check, '_access_key', None)
    return getattr(key, '_owner_user_name', None)


def _jsonable(data):
    return json.loads(json.dumps(data, default=str))


def record_checks(path):
    """Patch moto's IAM check (in this process) to append each check to ``path``; idempotent."""
    from moto.iam import access_control
    base = access_control.IAMRequestBase
    if getattr(base.check_action_permitted, 'sorrypage_log', None):
        return
    original = base.check_action_permitted
    lock = threading.Lock()

    def check_action_permitted(self, resource):
        # pylint: disable=protected-access
        entry = {'user': _caller(self), 'action': self._action, 'resource': resource, 'method': self._method,
                 'path': self._path, 'data': _jsonable(self._data), 'allowed': False}
        if not self._action.startswith('s3:'):
            entry['body'] = (self._body or b'')[:_BODY_LIMIT].decode('utf-8', 'replace') \
                if isinstance(self._body, bytes) else str(self._body or '')[:_BODY_LIMIT]
        try:
            original(self, resource)
            entry['allowed'] = True
        finally:
            if entry['user'] != ADMIN:
                with lock, open(path, 'a', encoding='utf-8') as handle:
                    handle.write(json.dumps(entry) + '\n')

    check_action_permitted.sorrypage_log = path
    base.check_action_permitted = check_action_permitted


def sign_empty_bodies_as_empty():
    """moto's signature check hashes a request's parsed parameters when its body is empty, so every signed GET,
    HEAD or DELETE with parameters in its path (Scheduler's GetScheduleGroup, ListSchedules, ...) fails with
    SignatureDoesNotMatch; SigV4 hashes the body as sent: empty. (A POST keeps moto's way: EC2's form body is
    parsed away.) Patched in this process; idempotent."""
    from moto.iam import access_control
    base = access_control.IAMRequestBase
    if getattr(base._create_aws_request, 'sorrypage_empty_body', False):  # pylint: disable=protected-access
        return
    original = base._create_aws_request  # pylint: disable=protected-access

    def create_aws_request(self):
        request = original(self)
        if self._method in ('GET', 'HEAD', 'DELETE') and not self._body:  # pylint: disable=protected-access
            request.data = b''
        return request

    create_aws_request.sorrypage_empty_body = True
    base._create_aws_request = create_aws_request  # pylint: disable=protected-access


def cloudfront_access_denied_as_aws():
    """moto answers an AccessDenied in the query protocol's shape (``<ErrorResponse><Errors><Error>``) for every
    service. CloudFront (rest-xml) answers ``<ErrorResponse><Error>``, the shape botocore parses there (with moto's,
    a denied call reaches the modules with an empty code and message); the Scheduler (rest-json) answers JSON
    ``AccessDeniedException`` (with moto's, the code is "403" and the message the raw XML). Patched in this
    process; idempotent."""
    from moto.core.exceptions import AccessDeniedError, JsonRESTError
    from moto.iam import access_control
    request = access_control.IAMRequest
    if getattr(request._raise_access_denied, 'sorrypage_rest_xml', False):  # pylint: disable=protected-access
        return

    def raise_access_denied(self):
        # pylint: disable=protected-access
        error = AccessDeniedError(user_arn=self._access_key.arn, action=self._action)
        if self._service == 'cloudfront':
            error.description = error.description.replace('<Errors>', '').replace('</Errors>', '')
        elif self._service == 'scheduler':
            error = JsonRESTError('AccessDeniedException', error.message)
            error.code = 403
        raise error

    raise_access_denied.sorrypage_rest_xml = True
    request._raise_access_denied = raise_access_denied  # pylint: disable=protected-access


def main(argv=None):
    from tests.sandbox import moto_launcher
    sign_empty_bodies_as_empty()
    cloudfront_access_denied_as_aws()
    if os.environ.get(LOG_ENV):
        record_checks(os.environ[LOG_ENV])
    moto_launcher.main(argv)


class IamMotoServer(MotoServer):
    """moto with IAM enforced from its 4th action on; ``log`` is the file of recorded checks."""

    def __init__(self, log, host='127.0.0.1', port=None):
        super().__init__(host, port)
        self.log = log
        self.admin = None

    def release(self):
        """Never kept for another sandbox: its users and policies are this test's."""
        self.stop()

    def start(self):
        env = dict(os.environ)
        env.update(FAKE_CREDENTIALS)
        env.update({'INITIAL_NO_AUTH_ACTION_COUNT': str(ADMIN_SETUP_CALLS), LOG_ENV: self.log})
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'tests.sandbox.iam_moto', '-H', self.host, '-p', str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=REPO)
        wait_http(self.url + '/moto-api/', timeout=120.0, proc=self.proc)
        iam = super().client('iam')   # the unauthenticated calls: exactly ADMIN_SETUP_CALLS of them
        iam.create_user(UserName=ADMIN)
        iam.put_user_policy(UserName=ADMIN, PolicyName='admin', PolicyDocument=json.dumps(policy(['*'])))
        key = iam.create_access_key(UserName=ADMIN)['AccessKey']
        self.admin = (key['AccessKeyId'], key['SecretAccessKey'])
        return self

    def client(self, service, region='us-east-1', key=None):
        import boto3
        key_id, secret = key or self.admin
        return boto3.client(service, region_name=region, endpoint_url=self.url,
                            aws_access_key_id=key_id, aws_secret_access_key=secret)

    def user(self, name, actions=None):
        """A user with ``actions`` on Resource ``*`` (no policy at all when ``actions`` is None): (key id, secret)."""
        iam = self.client('iam')
        iam.create_user(UserName=name)
        if actions is not None:
            iam.put_user_policy(UserName=name, PolicyName='sorrypage', PolicyDocument=json.dumps(policy(actions)))
        key = iam.create_access_key(UserName=name)['AccessKey']
        return key['AccessKeyId'], key['SecretAccessKey']

    def checks(self, user=None):
        """The recorded permission checks (of ``user``), oldest first."""
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding='utf-8') as handle:
            found = [json.loads(line) for line in handle if line.strip()]
        return [c for c in found if user is None or c['user'] == user]


def policy(actions):
    """An IAM policy allowing ``actions`` on every resource (moto checks actions against ``*``)."""
    return {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': list(actions), 'Resource': '*'}]}


if __name__ == '__main__':
    main()
