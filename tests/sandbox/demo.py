"""``make demo``: the whole story against the sandbox, with real HTTP requests.

Starts the sandbox, shows what a public and an office user get, and exits
non-zero when anything a user should see is wrong.
"""
import sys

from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, request
from tests.sandbox.sandbox import Sandbox
from tests.sandbox.__main__ import describe


class DemoFailure(Exception):
    pass


def show_users(sandbox, title, expect_public=None, expect_office=None):
    """Print what a public (127.0.0.3) and an office (127.0.0.2) visitor get on each host."""
    print('\n== %s' % title)
    site = sandbox.sites[0]
    problems = []
    for host in site['hosts']:
        for who, source, expected in (('public', PUBLIC_IP, expect_public), ('office', OFFICE_IP, expect_office)):
            resp = request(sandbox.url_for(80) + '/deep/path?q=1', host=host, source_ip=source)
            rule = resp.headers.get('X-Sandbox-Rule', '?')
            print('  %-6s %-18s -> %d  rule %-7s  %s' % (who, host, resp.status, rule, resp.first_line[:70]))
            if expected is not None and resp.status != expected:
                problems.append('%s user on %s got %d, expected %d' % (who, host, resp.status, expected))
    if problems:
        raise DemoFailure('; '.join(problems))


def main(keep=False):
    with Sandbox() as sandbox:
        print(describe(sandbox))
        try:
            show_users(sandbox, 'Before maintenance: everyone reaches the application', 200, 200)
        except DemoFailure as exc:
            print('\nDEMO FAILED: %s' % exc)
            return 1
        print('\nThe maintenance playbooks are not wired into the demo yet.')
        if keep:
            print('\n--keep: the sandbox stays up; Ctrl-C stops it.')
            try:
                import threading  # pylint: disable=import-outside-toplevel
                threading.Event().wait()
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
