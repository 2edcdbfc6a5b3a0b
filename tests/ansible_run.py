"""Run real ansible-playbook from tests and read the results as data.

Results come from the ``ansible.posix.json`` stdout callback, so a test sees
each task's real return values (and failure messages) per host.
"""
import json
import os
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.dirname(sys.executable)


class PlaybookResult:
    def __init__(self, proc, data):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.data = data

    def tasks(self, host=None):
        """Yield (task name, host, result) for every task result in order."""
        for play in (self.data or {}).get('plays', []):
            for task in play.get('tasks', []):
                for hname, res in task.get('hosts', {}).items():
                    if host is None or hname == host:
                        yield task['task']['name'], hname, res

    def task(self, name, host=None):
        found = [res for tname, _h, res in self.tasks(host) if tname == name]
        if not found:
            raise AssertionError('no task named %r ran; tasks: %r\nstderr: %s' % (
                name, [t for t, _h, _r in self.tasks(host)], self.stderr[-3000:]))
        return found[-1]

    def stats(self):
        return (self.data or {}).get('stats', {})


def ansible_env(extra=None):
    env = dict(os.environ)
    env.update({
        'ANSIBLE_CONFIG': os.path.join(REPO, 'ansible.cfg'),
        'ANSIBLE_STDOUT_CALLBACK': 'ansible.posix.json',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'PATH': VENV_BIN + os.pathsep + env.get('PATH', ''),
        'AWS_ACCESS_KEY_ID': env.get('AWS_ACCESS_KEY_ID', 'testing'),
        'AWS_SECRET_ACCESS_KEY': env.get('AWS_SECRET_ACCESS_KEY', 'testing'),
        'AWS_DEFAULT_REGION': env.get('AWS_DEFAULT_REGION', 'us-east-1'),
    })
    env.pop('AWS_SESSION_TOKEN', None) if env.get('AWS_SESSION_TOKEN') == '' else None
    if extra:
        env.update(extra)
    return env


def run_playbook(playbook, inventory=None, extra_vars=None, check=False, diff=False,
                 limit=None, forks=None, env=None, timeout=600, args=()):
    cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), playbook]
    if inventory:
        cmd += ['-i', inventory]
    if extra_vars:
        cmd += ['-e', json.dumps(extra_vars)]
    if check:
        cmd.append('--check')
    if diff:
        cmd.append('--diff')
    if limit:
        cmd += ['--limit', limit]
    if forks:
        cmd += ['--forks', str(forks)]
    cmd += list(args)
    proc = subprocess.run(cmd, cwd=REPO, env=ansible_env(env), capture_output=True,
                          text=True, timeout=timeout, check=False)
    try:
        data = json.loads(proc.stdout[proc.stdout.index('{'):]) if '{' in proc.stdout else None
    except ValueError:
        data = None
    return PlaybookResult(proc, data)


def run_module(module, module_args, check=False, diff=False, env=None, module_defaults=None):
    """Run one module once on localhost; return its result dict."""
    play = [{
        'hosts': 'localhost',
        'gather_facts': False,
        'connection': 'local',
        'module_defaults': module_defaults or {},
        'tasks': [{'name': 'under test', module: module_args}],
    }]
    with tempfile.NamedTemporaryFile('w', suffix='.yml', dir=None, delete=False) as fh:
        yaml.safe_dump(play, fh)
        path = fh.name
    try:
        result = run_playbook(path, inventory='localhost,', check=check, diff=diff, env=env)
    finally:
        os.unlink(path)
    return result.task('under test', 'localhost') if result.data else {
        'failed': True, 'msg': 'ansible-playbook produced no JSON', 'rc': result.rc,
        'stdout': result.stdout, 'stderr': result.stderr}
