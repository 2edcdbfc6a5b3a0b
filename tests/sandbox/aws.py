"""A moto server in its own process, on a free loopback port, at AWS's ELBv2 tag quota."""
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


class MotoServer:
    """moto's server on 127.0.0.1 (``python -m tests.sandbox.moto_launcher``: 50 tags per ELBv2 resource,
    as AWS); ``url`` is its endpoint."""

    def __init__(self, host='127.0.0.1', port=None):
        self.host = host
        self.port = port or free_port(host)
        self.url = 'http://%s:%d' % (host, self.port)
        self.proc = None

    def start(self):
        env = dict(os.environ)
        env.update(FAKE_CREDENTIALS)
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
