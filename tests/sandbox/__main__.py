"""``python -m tests.sandbox up|demo``: the sandbox for a person.

``up`` starts everything, prints the endpoints and a kubeconfig path, writes
them as shell exports to tests/output/sandbox.env, and keeps running until
Ctrl-C (or SIGTERM); then it removes that file, so a stale one never points a
later run at a sandbox that is gone. ``demo`` runs the maintenance playbooks against it (tests/sandbox/demo.py).
"""
import argparse
import contextlib
import os
import signal
import sys
import threading

from tests.sandbox.sandbox import Sandbox

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def describe(sandbox):
    lines = ['Sandbox is up (all on loopback):',
             '  AWS (moto, counted)  %s' % sandbox.proxy.url,
             '  Kubernetes API       %s' % sandbox.kube.url,
             '  kubeconfig           %s' % sandbox.kubeconfig,
             '  sample application   %s' % sandbox.app.url]
    for index, site in enumerate(sandbox.sites):
        lines.append('  site %-15s ALB %s' % (site['name'], site['load_balancer_name']))
        for port in sorted(site['listeners']):
            lines.append('    listener :%-5d -> %s' % (port, sandbox.url_for(port, index)))
        lines.append('    hosts: %s' % ', '.join(site['hosts']))
    lines.append('  assets               %s (bucket %s, CloudFront %s)' % (
        sandbox.assets['public_url'], sandbox.assets['bucket'], sandbox.assets['distribution_id']))
    return '\n'.join(lines)


DEFAULT_ENV_FILE = os.path.join(REPO, 'tests', 'output', 'sandbox.env')


def env_text(sandbox):
    return ''.join('export %s=%s\n' % (key, value) for key, value in sorted(sandbox.env().items()))


@contextlib.contextmanager
def env_file(sandbox, path):
    """The sandbox's shell exports in ``path`` while the block runs; removed after it.

    Only a file that still holds this sandbox's exports is removed: another
    sandbox started meanwhile may have written its own there.
    """
    text = env_text(sandbox)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)
    try:
        yield path
    finally:
        try:
            with open(path, encoding='utf-8') as handle:
                ours = handle.read() == text
        except FileNotFoundError:
            ours = False
        if ours:
            os.unlink(path)


def cmd_up(args):
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Sandbox(controller=args.controller) as sandbox, env_file(sandbox, args.env_file) as env_path:
        sys.stdout.write(describe(sandbox) + '\n')
        sys.stdout.write('\nIn another shell:\n  source %s\n  ansible-playbook playbooks/maintenance_on.yml\n'
                         'Open %s/ with Host: %s in a browser (or curl -H "Host: ...").\nCtrl-C stops it.\n' % (
                             env_path, sandbox.url_for(80), sandbox.sites[0]['hosts'][0]))
        sys.stdout.flush()
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return 0


def cmd_demo(args):
    from tests.sandbox import demo  # pylint: disable=import-outside-toplevel
    return demo.main(keep=args.keep)


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m tests.sandbox')
    sub = parser.add_subparsers(dest='command', required=True)
    up = sub.add_parser('up', help='start the sandbox and keep it up')
    up.add_argument('--controller', action='store_true', help='run the stand-in controller reconcile loop')
    up.add_argument('--env-file', default=DEFAULT_ENV_FILE,
                    help='where to write the shell exports while the sandbox runs (removed when it stops)')
    up.set_defaults(func=cmd_up)
    demo = sub.add_parser('demo', help='run maintenance on/off against the sandbox and show what users get')
    demo.add_argument('--keep', action='store_true', help='keep the sandbox up at the end')
    demo.set_defaults(func=cmd_demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
