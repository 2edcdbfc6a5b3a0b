"""Free loopback ports and readiness waits shared by the sandbox servers."""
import socket
import time
import urllib.error
import urllib.request


def free_port(host='127.0.0.1'):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_http(url, timeout=30.0, proc=None):
    """Wait until ``url`` answers at all (any HTTP status counts)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError('server for %s exited with %s' % (url, proc.returncode))
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError as exc:
            last = exc
            time.sleep(0.1)
    raise RuntimeError('%s did not answer within %ss: %s' % (url, timeout, last))
