"""``make demo``: the whole story against the sandbox, with real HTTP requests.

Starts the sandbox (with the stand-in Load Balancer Controller reconciling,
so the pause is shown to matter), runs the real maintenance_prepare, _on,
_status and _off playbooks against inventories/local, and between them shows
what a public (127.0.0.3) and an office (127.0.0.2) visitor get. Exits
non-zero when anything a user should see is wrong.
"""
import os
import pwd
import subprocess
import sys
import threading

from tests.sandbox.__main__ import REPO, describe
from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, request
from tests.sandbox.sandbox import Sandbox
from tests.sandbox.seed import snapshot_listener

PATHS = ('/', '/deep/path?q=1', '/api/x')


class DemoFailure(Exception):
    pass


def banner(text):
    print('\n' + '=' * 78 + '\n== ' + text + '\n' + '=' * 78, flush=True)


def run_playbook(sandbox, name):
    banner('ansible-playbook playbooks/%s.yml -i inventories/local' % name)
    env = dict(os.environ)
    env.update(sandbox.env())
    env['ANSIBLE_CONFIG'] = os.path.join(REPO, 'ansible.cfg')
    env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
    # A real account name only: Ansible expands ~$USER for its temporary files, and an unknown name stays
    # a literal '~name' folder in the working directory (inside the repository).
    if not env.get('USER'):
        try:
            env['USER'] = pwd.getpwuid(os.getuid()).pw_name
        except KeyError:
            env.pop('USER', None)
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
           '-i', 'inventories/local/hosts.yml', 'playbooks/%s.yml' % name]
    proc = subprocess.run(cmd, cwd=REPO, env=env, check=False)
    if proc.returncode != 0:
        raise DemoFailure('playbooks/%s.yml exited with %d' % (name, proc.returncode))


def show_users(sandbox, title, public_sorry):
    """What a public and an office visitor get on each host and path; check it."""
    banner(title)
    problems = []
    for host in sandbox.sites[0]['hosts']:
        for path in PATHS:
            for who, source in (('public', PUBLIC_IP), ('office', OFFICE_IP)):
                resp = request(sandbox.url_for(80) + path, host=host, source_ip=source)
                rule = resp.headers.get('X-Sandbox-Rule', '?')
                print('  %-6s %-18s %-15s -> %d  rule %-7s %s' % (
                    who, host, path, resp.status, rule, resp.first_line[:60]))
                sorry = resp.status == 503 and resp.text.lstrip().lower().startswith('<!doctype html')
                if who == 'public' and public_sorry and not sorry:
                    problems.append('public %s%s got %d, not the Sorry page' % (host, path, resp.status))
                if (who == 'office' or not public_sorry) and (resp.status != 200 or 'sample-app OK' not in resp.text):
                    problems.append('%s %s%s got %d, not the application' % (who, host, path, resp.status))
    if problems:
        raise DemoFailure('; '.join(problems))
    print('  -> as expected', flush=True)


def listeners_snapshot(sandbox):
    """Priorities, conditions, actions and tags of every rule. Not the ARNs: while
    the controller runs it may recreate its own rules (new ARN, same rule)."""
    elbv2 = sandbox.moto.client('elbv2')
    return {port: sorted(rule[:1] + rule[2:] for rule in snapshot_listener(elbv2, arn))
            for port, arn in sandbox.sites[0]['listeners'].items()}


def controller_replicas(sandbox):
    deployment = sandbox.kube.list('deployments', 'kube-system',
                                   label_selector='app.kubernetes.io/name=aws-load-balancer-controller')[0]
    return deployment['spec']['replicas']


def story(sandbox):
    print(describe(sandbox))
    print('\nThe stand-in AWS Load Balancer Controller is reconciling the ALB every second:'
          ' a rule it did not create is deleted at its next pass unless it is paused.')
    before = listeners_snapshot(sandbox)
    show_users(sandbox, 'Before maintenance: everyone reaches the application', public_sorry=False)

    run_playbook(sandbox, 'maintenance_prepare')
    run_playbook(sandbox, 'maintenance_on')
    show_users(sandbox, 'Maintenance ON: the public gets 503 + the Sorry page, the office the application',
               public_sorry=True)
    if controller_replicas(sandbox) != 0:
        raise DemoFailure('the controller is not paused after maintenance_on')
    sandbox.reconciler.wait_for_pass(timeout=15)
    show_users(sandbox, 'Still ON after the controller would have reconciled (it is paused)', public_sorry=True)

    run_playbook(sandbox, 'maintenance_status')
    run_playbook(sandbox, 'maintenance_off')
    show_users(sandbox, 'Maintenance OFF: everyone reaches the application again', public_sorry=False)
    after = listeners_snapshot(sandbox)
    if after != before:
        for port in before:
            for line in sorted(set(before[port]) ^ set(after[port])):
                print('  %s %s' % ('before' if line in before[port] else 'after ', line))
        raise DemoFailure('the listeners are not exactly as before maintenance')
    if controller_replicas(sandbox) != 2:
        raise DemoFailure('the controller is not back at 2 replicas')
    banner('Restored: every rule, priority, action, condition and tag is as before; the controller is back at 2 replicas')


def main(keep=False):
    with Sandbox(controller=True) as sandbox:
        try:
            story(sandbox)
        except DemoFailure as exc:
            print('\nDEMO FAILED: %s' % exc, flush=True)
            return 1
        port = sandbox.url_for(80).rsplit(':', 1)[1]
        print('\nTo look around yourself:\n'
              '  make sandbox            # starts the sandbox and keeps it up (prints a file to source)\n'
              '  source tests/output/sandbox.env && ansible-playbook playbooks/maintenance_on.yml\n'
              '  chromium --host-resolver-rules="MAP shop.example.test 127.0.0.1" http://shop.example.test:<port>/\n'
              '  curl -H "Host: shop.example.test" http://127.0.0.1:<port>/\n'
              '(this run used port %s; `python -m tests.sandbox demo --keep` keeps this sandbox up)' % port)
        if keep:
            print('\n--keep: the sandbox stays up; Ctrl-C stops it.', flush=True)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
