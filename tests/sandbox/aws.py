"""A moto server in its own process, on a free loopback port, at AWS's ELBv2 tag quota.

Starting one costs about 2 CPU-seconds (importing moto, its first backends);
a sandbox takes one with ``MotoServer.take()`` and gives it back with
``release()``: the server is reset (every resource of every service gone,
as new) and kept for the next sandbox of the same process. The launcher
exits when the process that started it is gone.
"""
import atexit
import os
import subprocess
import sys

from tests.sandbox.ports import free_port, wait_http

# The repository root: ``-m tests.sandbox.moto_launcher`` is found from there, whatever the caller's directory.
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAKE_CREDENTIALS = {
    'AWS_ACCESS_KEY_ID': 'testing',
    'AWS_SECRET_ACCESS_KEY': 'testing',
    'AWS_SESSION_TOKEN': 'testing',
    'AWS_DEFAULT_REGION': 'us-east-1',
    'AWS_REGION': 'us-east-1',
}


# The environment variable that names the process a launcher watches (tests/sandbox/moto_launcher.py).
PARENT_ENV = 'SORRYPAGE_MOTO_PARENT'


class MotoServer:
    """moto's server on 127.0.0.1 (``python -m tests.sandbox.moto_launcher``: 50 tags per ELBv2 resource,
    as AWS); ``url`` is its endpoint."""

    _idle = []   # reset servers of this process that nobody uses now (take / release); stopped at exit

    @classmethod
    def take(cls):
        """A started server with no resources: one released before in this process, or a new one."""
        while MotoServer._idle:
            server = MotoServer._idle.pop()
            if server.proc.poll() is None:
                return server
        return cls().start()

    def release(self):
        """Done with the server: reset, it waits for the next ``take()``; stopped if the reset fails.
        Released twice, it is kept once (never handed to two sandboxes)."""
        if self.proc is None or self.proc.poll() is not None or self in MotoServer._idle:
            return
        try:
            self.reset()
        except OSError:
            self.stop()
            return
        MotoServer._idle.append(self)

    @staticmethod
    def stop_idle():
        """Stop the servers waiting for a ``take()`` (at the exit of the process)."""
        while MotoServer._idle:
            MotoServer._idle.pop().stop()

    def __init__(self, host='127.0.0.1', port=None):
        self.host = host
        self.port = port or free_port(host)
        self.url = 'http://%s:%d' % (host, self.port)
        self.proc = None

    def start(self):
        env = dict(os.environ)
        env.update(FAKE_CREDENTIALS)
        env[PARENT_ENV] = str(os.getpid())
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'tests.sandbox.moto_launcher', '-H', self.host, '-p', str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=REPO)
        wait_http(self.url + '/moto-api/', timeout=120.0, proc=self.proc)  # a bound for a hang: two busy cores start it slowly
        return self

    def reset(self):
        import urllib.request
        urllib.request.urlopen(urllib.request.Request(self.url + '/moto-api/reset', method='POST'), timeout=10).close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def client(self, service, region='us-east-1'):
        import boto3
        return boto3.client(service, region_name=region, endpoint_url=self.url,
                            aws_access_key_id='testing', aws_secret_access_key='testing')

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


atexit.register(MotoServer.stop_idle)
