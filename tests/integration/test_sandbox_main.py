"""``python -m tests.sandbox up``: the file to source exists while the sandbox runs, and only then."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.sandbox import __main__ as sandbox_main

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class FakeSandbox:
    def __init__(self, port):
        self.port = port

    def env(self):
        return {'SORRY_AWS_ENDPOINT_URL': 'http://127.0.0.1:%d' % self.port, 'AWS_DEFAULT_REGION': 'us-east-1'}


def test_env_file_is_written_for_the_block_and_removed_after(tmp_path):
    path = str(tmp_path / 'output' / 'sandbox.env')
    with sandbox_main.env_file(FakeSandbox(4566), path):
        with open(path, encoding='utf-8') as handle:
            assert handle.read() == ('export AWS_DEFAULT_REGION=us-east-1\n'
                                     'export SORRY_AWS_ENDPOINT_URL=http://127.0.0.1:4566\n')
    assert not os.path.exists(path)


def test_env_file_is_removed_when_the_block_fails(tmp_path):
    path = str(tmp_path / 'sandbox.env')
    with pytest.raises(KeyboardInterrupt):
        with sandbox_main.env_file(FakeSandbox(1), path):
            raise KeyboardInterrupt
    assert not os.path.exists(path)


def test_a_file_another_sandbox_wrote_meanwhile_stays(tmp_path):
    path = str(tmp_path / 'sandbox.env')
    with sandbox_main.env_file(FakeSandbox(1), path):
        with sandbox_main.env_file(FakeSandbox(2), path):
            pass
        assert not os.path.exists(path)  # the second one removed its own
    with sandbox_main.env_file(FakeSandbox(1), path):
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write('export SORRY_AWS_ENDPOINT_URL=http://127.0.0.1:2\n')
    assert os.path.exists(path)


@pytest.mark.sandbox_only
def test_up_writes_the_file_and_removes_it_when_stopped(tmp_path):
    path = str(tmp_path / 'sandbox.env')
    proc = subprocess.Popen([sys.executable, '-m', 'tests.sandbox', 'up', '--env-file', path], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while not os.path.exists(path) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert os.path.exists(path), 'no %s; sandbox exited with %s' % (path, proc.poll())
        with open(path, encoding='utf-8') as handle:
            assert 'export ' in handle.read()
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=120)[0]
    assert proc.returncode == 0, out[-3000:]
    assert 'source %s' % path in out
    assert not os.path.exists(path), 'the sandbox stopped but left %s' % path
