"""Launch a job template the way AWX does: a private data dir, then ansible-runner.

AWX (awx/main/tasks/jobs.py, RunJob) prepares a private data dir and hands it
to ``ansible_runner.run``; this module lays one out the same way, from the
survey answers and the credentials a job template would carry:

- ``project/``: the project's checkout (here: the repository's ansible.cfg and
  playbooks/, without the git-ignored .venv and .collections);
- ``requirements_collections/``: the collections the execution environment
  holds (here: a link to this collection), first in ANSIBLE_COLLECTIONS_PATH(S)
  as AWX puts it;
- ``inventory/hosts``: an executable script printing the inventory as JSON
  (what AWX writes from its database, host vars with ``remote_tower_id``);
- ``env/extravars``: the survey answers and AWX's own variables
  (``awx_user_name``, ``awx_job_id`` ... and their ``tower_`` twins), every
  key and string marked ``!unsafe`` as AWX dumps them (no Jinja in answers);
- credentials as their injectors say: the Amazon Web Services credential as
  environment variables; a custom type's ``file`` rendered into ``env/tmp*``
  (mode 0600), its ``env`` into the environment and its ``extra_vars`` into
  another ``env/tmp*`` file passed with ``-e @file``;
- ``env/cmdline``: ``-u root``, ``-l LIMIT`` and those ``-e @`` arguments;
  the environment is given as ``envvars`` (not written to disk).

Nothing in the test process's environment that a container would not have
reaches the job: the caller removes it (``AWX_SCRUBBED_ENV``).
"""
import json
import os
import shlex
import stat
import sys
import tempfile

import ansible_runner
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What an execution environment's container does not inherit from the test process: no $USER (why AWX jobs
# cannot name the operator from the OS), no AWS credentials but the job's, no ANSIBLE_CONFIG (the project's
# ansible.cfg is read from the working directory, as in AWX).
AWX_SCRUBBED_ENV = ('USER', 'LOGNAME', 'ANSIBLE_CONFIG', 'ANSIBLE_STDOUT_CALLBACK', 'AWS_ACCESS_KEY_ID',
                    'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'AWS_DEFAULT_REGION',
                    'AWS_REGION', 'AWS_PROFILE', 'K8S_AUTH_KUBECONFIG', 'KUBECONFIG')

# The ANSIBLE_* settings AWX puts into every job's environment (awx/settings/defaults.py).
AWX_SETTINGS_ENV = {
    'ANSIBLE_HOST_KEY_CHECKING': 'False',
    'ANSIBLE_PARAMIKO_RECORD_HOST_KEYS': 'False',
    'ANSIBLE_FORCE_COLOR': 'True',
    'ANSIBLE_INVENTORY_UNPARSED_FAILED': 'True',
}


class _UnsafeDumper(yaml.SafeDumper):
    """Every string, key or value, as ``!unsafe``: how AWX writes extra vars a survey or a credential gave."""

    def represent_str(self, data):
        return self.represent_scalar('!unsafe', data)


_UnsafeDumper.add_representer(str, _UnsafeDumper.represent_str)


def dump_unsafe(values):
    return yaml.dump(values, Dumper=_UnsafeDumper, default_flow_style=False)


def survey_answers(survey, answers):
    """The extra vars a survey sends: every question's variable, the answer or the question's default, as a
    string for text, password and multiplechoice questions (the survey has no other types here). An answer to a
    variable the survey does not ask, or a choice it does not offer, is a mistake of the test."""
    questions = {q['variable']: q for q in survey['spec']}
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise ValueError('the survey %r asks no %s' % (survey['name'], ', '.join(unknown)))
    values = {}
    for name, question in questions.items():
        value = answers.get(name, question.get('default', ''))
        if not isinstance(value, str):
            raise ValueError('%s: a survey answer is a string, got %r' % (name, value))
        if question['type'] == 'multiplechoice' and value not in question['choices']:
            raise ValueError('%s: %r is not one of the choices %s' % (name, value, question['choices']))
        values[name] = value
    return values


def awx_meta_vars(job_id, user, template, inventory_name, workflow=None):
    """AWX's own extra vars of a job a user launched from a job template (awx_meta_vars: awx_ and tower_); with
    ``workflow`` (its name), a node of a workflow job the user launched (the job carries the workflow's creator)."""
    values = {}
    for prefix in ('awx', 'tower'):
        if workflow:
            values.update({prefix + '_workflow_job_id': 900 + job_id, prefix + '_workflow_job_name': workflow,
                           prefix + '_workflow_job_launch_type': 'manual'})
        values.update({
            prefix + '_job_id': job_id,
            prefix + '_job_launch_type': 'workflow' if workflow else 'manual',
            prefix + '_user_id': 7,
            prefix + '_user_name': user,
            prefix + '_user_email': user + '@example.test',
            prefix + '_user_first_name': user.capitalize(),
            prefix + '_user_last_name': '',
            prefix + '_inventory_id': 3,
            prefix + '_inventory_name': inventory_name,
            prefix + '_project_revision': '0123456789abcdef0123456789abcdef01234567',
            prefix + '_project_scm_branch': 'main',
            prefix + '_job_template_id': 11,
            prefix + '_job_template_name': template,
            prefix + '_execution_node': 'awx-task-0',
        })
    return values


class CustomCredential:
    """A credential of a custom type: its type's injectors (as awx_setup.yml defines them) and its inputs."""

    def __init__(self, injectors, inputs):
        self.injectors = injectors
        self.inputs = inputs


def _render(template, namespace):
    """AWX renders injector templates with Jinja in a sandbox; these injectors only name a field or a file."""
    import jinja2.sandbox  # pylint: disable=import-outside-toplevel
    return jinja2.sandbox.ImmutableSandboxedEnvironment().from_string(template).render(**namespace)


class _Namespace:
    pass


class AwxJob:
    """One job's private data dir. ``run()`` launches it through ansible-runner and returns the runner."""

    def __init__(self, root, playbook, inventory, extravars, aws=None, credentials=(), limit=None, job_id=1,
                 task_env=None):
        self.dir = os.path.join(str(root), 'job-%d' % job_id)
        self.playbook = playbook
        self.limit = limit
        self.extravars = extravars
        env_dir = os.path.join(self.dir, 'env')
        os.makedirs(env_dir)
        self._project()
        self.inventory = self._inventory(inventory)
        with open(os.path.join(env_dir, 'extravars'), 'w', encoding='utf-8') as handle:
            handle.write(dump_unsafe(extravars))
        args = ['-u', 'root']
        if limit:
            args += ['-l', limit]
        self.env = dict(AWX_SETTINGS_ENV)
        collections = os.pathsep.join([os.path.join(self.dir, 'requirements_collections'),
                                       '~/.ansible/collections', '/usr/share/ansible/collections'])
        self.env.update({
            'JOB_ID': str(job_id), 'INVENTORY_ID': '3', 'PROJECT_REVISION': '0123456789abcdef',
            'ANSIBLE_RETRY_FILES_ENABLED': 'False', 'MAX_EVENT_RES': '700000', 'AWX_HOST': 'https://awx.example.test',
            'AWX_PRIVATE_DATA_DIR': self.dir, 'ANSIBLE_COLLECTIONS_PATHS': collections,
            'ANSIBLE_COLLECTIONS_PATH': collections,
            'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
            'PATH': os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''),
        })
        # AWX_TASK_ENV: the "Extra Environment Variables" an AWX administrator sets for every job.
        self.env.update(task_env or {})
        if aws:
            # The built-in Amazon Web Services credential: environment variables only (AWS_SECURITY_TOKEN
            # and AWS_SESSION_TOKEN when it has a token).
            self.env['AWS_ACCESS_KEY_ID'] = aws['access_key']
            self.env['AWS_SECRET_ACCESS_KEY'] = aws['secret_key']
            if aws.get('session_token'):
                self.env['AWS_SECURITY_TOKEN'] = self.env['AWS_SESSION_TOKEN'] = aws['session_token']
        for credential in credentials:
            args += self._inject(credential, env_dir)
        self.cmdline = args
        with open(os.path.join(env_dir, 'cmdline'), 'w', encoding='utf-8') as handle:
            handle.write(' '.join(shlex.quote(a) for a in args))
        self.runner = None

    def _project(self):
        project = os.path.join(self.dir, 'project')
        os.makedirs(project)
        with open(os.path.join(REPO, 'ansible.cfg'), encoding='utf-8') as src, \
                open(os.path.join(project, 'ansible.cfg'), 'w', encoding='utf-8') as dst:
            dst.write(src.read())
        os.symlink(os.path.join(REPO, 'playbooks'), os.path.join(project, 'playbooks'))
        namespace = os.path.join(self.dir, 'requirements_collections', 'ansible_collections', 'sorrypage')
        os.makedirs(namespace)
        os.symlink(REPO, os.path.join(namespace, 'aws'))

    def _inventory(self, inventory):
        """inventory: {group: {host: hostvars}} -> AWX's inventory script (towervars included)."""
        data = {'all': {'children': sorted(inventory)}, '_meta': {'hostvars': {}}}
        host_id = 100
        for group, hosts in sorted(inventory.items()):
            data[group] = {'hosts': sorted(hosts)}
            for name, hostvars in sorted(hosts.items()):
                host_id += 1
                values = dict(hostvars, remote_tower_enabled='true', remote_tower_id=host_id)
                data['_meta']['hostvars'][name] = values
        folder = os.path.join(self.dir, 'inventory')
        os.makedirs(folder)
        path = os.path.join(folder, 'hosts')
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write('#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(%r)\n' % json.dumps(data))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR | stat.S_IXUSR)
        return path

    def _inject(self, credential, env_dir):
        """A custom credential type's injectors, in AWX's order: files, then env, then extra vars (-e @file)."""
        namespace = dict(credential.inputs)
        tower = namespace['tower'] = _Namespace()
        for label, template in credential.injectors.get('file', {}).items():
            handle, path = tempfile.mkstemp(dir=env_dir)
            with os.fdopen(handle, 'w') as out:
                out.write(_render(template, namespace))
            os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
            if '.' not in label:
                tower.filename = path
            else:
                if not hasattr(tower, 'filename'):
                    tower.filename = _Namespace()
                setattr(tower.filename, label.split('.', 1)[1], path)
        for name, template in credential.injectors.get('env', {}).items():
            self.env[name] = _render(template, namespace)
        extra = {name: _render(template, namespace) for name, template in credential.injectors.get('extra_vars', {}).items()}
        if not extra:
            return []
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, 'w') as out:
            out.write(dump_unsafe(extra))
        os.chmod(path, stat.S_IRUSR)
        return ['-e', '@%s' % path]

    def run(self, timeout=240):
        self.runner = ansible_runner.run(private_data_dir=self.dir, playbook=self.playbook, inventory=self.inventory,
                                         envvars=self.env, suppress_env_files=True, quiet=True, timeout=timeout)
        return self.runner

    def events(self):
        return list(self.runner.events)

    def task_results(self, task, event='runner_on_ok'):
        """event_data.res of every ``event`` of the task named ``task`` (role prefixes aside)."""
        found = []
        for item in self.runner.events:
            data = item.get('event_data') or {}
            name = data.get('task', '')
            if item.get('event') == event and (name == task or name.endswith(' : ' + task)):
                found.append(data.get('res') or {})
        return found

    def messages(self, task):
        out = []
        for res in self.task_results(task):
            msg = res.get('msg', '')
            out.append('\n'.join(msg) if isinstance(msg, list) else str(msg))
        return '\n'.join(out)

    def failures(self):
        out = []
        for item in self.runner.events:
            if item.get('event') in ('runner_on_failed', 'runner_on_unreachable'):
                res = (item.get('event_data') or {}).get('res') or {}
                out.append('%s: %s' % ((item.get('event_data') or {}).get('task'), res.get('msg', res)))
        return '\n'.join(out)

    def stdout(self):
        with open(os.path.join(self.runner.config.artifact_dir, 'stdout'), encoding='utf-8', errors='replace') as handle:
            return handle.read()
