"""What a person sees: `on` through the repository's stdout callback (sorrypage.aws.runbook) fits on one screen,
with no skipped task, no deprecation notice and the per-site summary; `-v` gives the detail; check mode makes no
"made room" warning. Real ansible-playbook runs against the whole sandbox (inventories/local, EKS-outage mode)."""
import os
import re

import pytest

from tests.ansible_run import run_playbook
from tests.sandbox.sandbox import Sandbox

pytestmark = pytest.mark.sandbox_only

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INVENTORY = os.path.join(REPO, 'inventories', 'local', 'hosts.yml')
SCREEN = 60


def run(sandbox, entry, args=(), check=False):
    env = dict(sandbox.env(), ANSIBLE_STDOUT_CALLBACK='sorrypage.aws.runbook', ANSIBLE_NOCOLOR='1')
    return run_playbook(os.path.join('playbooks', 'maintenance_%s.yml' % entry), inventory=INVENTORY, env=env,
                        extra_vars={'sorry_reason': 'Database upgrade', 'sorry_until': '2030-05-01T06:00:00Z'},
                        args=args, check=check)


def ok(res):
    assert res.rc == 0, 'rc %s\nstdout: %s\nstderr: %s' % (res.rc, res.stdout[-4000:], res.stderr[-2000:])
    return res.stdout.splitlines()


def test_on_fits_on_one_screen_and_says_what_the_public_gets():
    with Sandbox() as sandbox:
        site = sandbox.sites[0]
        predicted = ok(run(sandbox, 'on', check=True))
        assert not [line for line in predicted if 'made room' in line], 'check mode moved nothing'
        assert any('(check mode: predicted)' in line for line in predicted), predicted
        changes = [line for line in predicted if line.startswith('changed: ')]
        assert changes and all(line.endswith('(check mode: predicted, nothing written)') for line in changes), changes

        lines = ok(run(sandbox, 'on'))
        text = '\n'.join(lines)
        assert len(lines) <= SCREEN, '%d lines:\n%s' % (len(lines), text)
        assert 'skipping:' not in text and 'included:' not in text and 'DEPRECATION' not in text, text
        assert re.search(r'^  sandbox: maintenance ON on %s \(%d listener\(s\)\) in [0-9.]+s$'
                         % (re.escape(site['load_balancer_name']), len(site['listeners'])), text, re.M), text
        assert '  public: 503 Sorry page on ' in text and 'why: Database upgrade' in text, text
        assert '  bypass: source 127.0.0.2/32; header X-Sorry-Bypass' in text, text
        assert 'controller: PAUSED' in text and 'maintenance_off.yml -l sandbox' in text, text
        assert sum(1 for line in lines if 'made room' in line) <= 2, text

        detail = ok(run(sandbox, 'status', args=('-v',)))
        assert any(line.startswith('TASK [') for line in detail), 'with -v the default callback prints every task'

        off = ok(run(sandbox, 'off'))
        assert len(off) <= SCREEN, '\n'.join(off)
        assert any(re.match(r'^  sandbox: maintenance off on ', line) for line in off), off
