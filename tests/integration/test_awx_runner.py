"""AWX's engine in the tests: the job templates of playbooks/awx_setup.yml launched through ansible-runner.

AWX runs a job by laying out a private data dir and calling ansible_runner.run
(tests/awx_job.py does the same): the project's checkout, AWX's inventory
script, the survey answers and AWX's own variables as ``!unsafe`` extra vars,
the AWS credential as environment variables, the custom credential types
(bypass header, kubeconfig) as their injectors in playbooks/awx_setup.yml
say, and no $USER. Each test starts one sandbox and runs prepare / on /
status / off as the job templates would, answering the surveys of
playbooks/awx/surveys.yml with strings, and reads the runner's artifacts:
status, rc, the events of the Summary task, who is named, and that the
bypass header's secret value is in no event.
"""
import json
import os
import sys

import pytest
import yaml

from tests.awx_job import AWX_SCRUBBED_ENV, AwxJob, CustomCredential, awx_meta_vars, survey_answers
from tests.integration.test_runbook import BYPASS_HEADER, StaticServer, owned_rules
from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, request
from tests.sandbox.sandbox import Sandbox
from tests.sandbox.seed import snapshot_listener

pytestmark = pytest.mark.sandbox_only

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AWX_USER = 'carol.oncall'
INGRESS_RECORD = 'sorrypage.aws/ingress-edit'
INVENTORY_NAME = 'sorrypage sites'
AWS_CREDENTIAL = {'access_key': 'AKIAAWXJOBEXAMPLE', 'secret_key': 'awx-job-secret', 'session_token': 'awx-job-token'}
# AWX hands every job its inventory as an executable script (inventory/hosts) and runs it from the project,
# whose ansible.cfg must enable the script inventory plugin (it did not: every job failed, found by this test).


def _setup():
    """The job templates, credential types and surveys exactly as playbooks/awx_setup.yml declares them."""
    with open(os.path.join(REPO, 'playbooks', 'awx', 'surveys.yml'), encoding='utf-8') as handle:
        surveys = yaml.safe_load(handle)['sorrypage_awx_surveys']
    with open(os.path.join(REPO, 'playbooks', 'awx_setup.yml'), encoding='utf-8') as handle:
        play = yaml.load(handle, Loader=_SetupLoader)[0]  # !unsafe: the injector's text
    types = {}
    for task in play['tasks']:
        module = task.get('awx.awx.credential_type')
        if module:
            types[module['name']] = module['injectors']
    templates = {t['entry']: t for t in play['vars']['sorrypage_awx_job_templates']}
    return surveys, types, templates, play['vars']['sorrypage_awx_workflow_name']


class _SetupLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    pass


_SetupLoader.add_constructor('!unsafe', lambda loader, node: loader.construct_scalar(node))

SURVEYS, CREDENTIAL_TYPES, JOB_TEMPLATES, WORKFLOW = _setup()


def site_hostvars(box, **extra):
    """A site as AWX's inventory holds it after importing the project's inventory: the header value a reference
    to the vault variable the bypass credential injects; the sandbox's endpoints, as inventories/local has them."""
    site = box.sites[0]
    values = {
        'ansible_connection': 'local',
        'ansible_python_interpreter': sys.executable,
        'sorry_region': 'us-east-1',
        'sorry_aws_endpoint_url': box.proxy.url,
        'sorry_load_balancer_name': site['load_balancer_name'],
        'sorry_pages': [{'name': 'shop', 'page': 'en', 'hosts': [site['hosts'][0]]},
                        {'name': 'blog', 'page': 'ja', 'hosts': [site['hosts'][1]]}],
        'sorry_bypass_cidrs': ['127.0.0.2/32'],
        'sorry_bypass_headers': [{'name': BYPASS_HEADER['name'], 'value': '{{ vault_sorry_bypass_header_value }}'}],
        'sorry_status_url': 'https://status.example.test/',
        'sorry_assets_bucket': box.assets['bucket'],
        'sorry_assets_prefix': box.assets['prefix'],
        'sorry_public_url': box.assets['public_url'],
        'sorry_cloudfront_distribution_id': box.assets['distribution_id'],
        'sorry_verify_url': box.url_for(80) + '/',
        'sorry_verify_headers': {'Host': site['hosts'][0]},
        'sorry_verify_timeout': 20,
        'sorry_verify_delay': 1,
        'sorry_ingress_timeout': 30,
    }
    values.update(extra)
    return values


class Controller:
    """The AWX side of one sandbox: credentials, inventory, and a launcher of the job templates."""

    def __init__(self, tmp_path, box, **hostvars):
        self.tmp_path = tmp_path
        self.box = box
        self.site = box.sites[0]['name']
        # A second site of the inventory that is not in the sandbox: a job that ignored the limit would fail on it.
        self.inventory = {'sorry_sites': {self.site: site_hostvars(box, **hostvars),
                                          'elsewhere': site_hostvars(box, sorry_load_balancer_name='not-in-sandbox')}}
        with open(box.kubeconfig, encoding='utf-8') as handle:
            kubeconfig = handle.read()
        self.credentials = {
            'bypass': CustomCredential(CREDENTIAL_TYPES['sorrypage bypass header'],
                                       {'header_value': BYPASS_HEADER['value']}),
            'kube': CustomCredential(CREDENTIAL_TYPES['sorrypage kubeconfig'], {'kubeconfig': kubeconfig}),
        }
        self.jobs = []

    def launch(self, entry, workflow=None, **answers):
        """Launch the job template of ``entry`` with these survey answers (strings), limited to the site. With
        ``workflow`` (the answers to the survey of "Release with maintenance", the on survey), as that workflow's
        node: its own survey's defaults, then the workflow's answers over them."""
        template = JOB_TEMPLATES[entry]
        extravars = survey_answers(SURVEYS[entry], answers)
        if workflow is not None:
            extravars.update(survey_answers(SURVEYS['on'], workflow))
        extravars.update(awx_meta_vars(len(self.jobs) + 1, AWX_USER, template['name'], INVENTORY_NAME,
                                       workflow=WORKFLOW if workflow is not None else None))
        # secrets: false (status) carries the AWS and the kube credentials only, as awx_setup.yml attaches them
        credentials = [self.credentials['kube']] + ([self.credentials['bypass']] if template['secrets'] else [])
        job = AwxJob(self.tmp_path, 'playbooks/maintenance_%s.yml' % entry, self.inventory, extravars,
                     aws=AWS_CREDENTIAL, credentials=credentials, limit=self.site, job_id=len(self.jobs) + 1,
                     task_env=None)
        self.jobs.append(job)
        job.run()
        return job


@pytest.fixture()
def awx_env(monkeypatch):
    """The job's container does not inherit the test process's $USER, AWS credentials or ANSIBLE_CONFIG."""
    for name in AWX_SCRUBBED_ENV:
        monkeypatch.delenv(name, raising=False)


def assert_successful(job):
    runner = job.runner
    assert runner.status == 'successful' and runner.rc == 0, (
        'status=%s rc=%s\nfailures: %s\nstdout tail:\n%s' % (runner.status, runner.rc, job.failures(), job.stdout()[-4000:]))
    # the limit (ask_limit_on_launch) held: only the chosen site ran
    assert set(runner.stats['ok']) == {job.limit} and not runner.stats['failures'], runner.stats


def assert_secret_nowhere(job):
    """The bypass header's value is in no event (stdout and event_data) and not in the job's stdout."""
    secret = BYPASS_HEADER['value']
    injected = []
    for arg in job.cmdline:
        if arg.startswith('@'):
            with open(arg[1:], encoding='utf-8') as handle:
                injected.append(handle.read())
    assert any(secret in text for text in injected), 'the bypass credential did not reach the job: nothing to look for'
    leaked = [(e.get('event'), (e.get('event_data') or {}).get('task')) for e in job.events()
              if secret in e.get('stdout', '') or secret in json.dumps(e.get('event_data') or {})]
    assert not leaked, 'the bypass header value is in these events: %s' % leaked
    assert secret not in job.stdout()


def summary(job):
    text = job.messages('Summary')
    assert text, 'no Summary event (runner_on_ok); tasks: %s' % sorted(set(
        (e.get('event_data') or {}).get('task', '') for e in job.events()))
    return text


def listeners(box):
    elbv2 = box.moto.client('elbv2')
    return {port: snapshot_listener(elbv2, arn) for port, arn in box.sites[0]['listeners'].items()}


def visitor(box, host, source_ip, headers=None):
    return request(box.url_for(80) + '/deep/path', host=host, source_ip=source_ip, headers=headers)


# ---------------------------------------------------------------- the inputs the tests send are the surveys'

def test_the_answers_are_shaped_like_the_surveys():
    on = survey_answers(SURVEYS['on'], {'sorry_reason': 'Database upgrade', 'sorry_driver': 'alb'})
    assert on == {'sorry_reason': 'Database upgrade', 'sorry_until': '', 'sorry_driver': 'alb',
                  'sorry_eks_outage': 'auto', 'sorry_auto_off': 'auto'}
    off = survey_answers(SURVEYS['off'], {'sorry_force_off': 'no'})
    assert off['sorry_force_off'] == 'no' and all(isinstance(v, str) for v in off.values())
    with pytest.raises(ValueError, match="sorry_force_off: 'maybe' is not one of the choices"):
        survey_answers(SURVEYS['off'], {'sorry_force_off': 'maybe'})
    with pytest.raises(ValueError, match='asks no sorry_reason'):
        survey_answers(SURVEYS['status'], {'sorry_reason': 'x'})
    # the bypass credential reaches the vault variable the example inventory reads; the kubeconfig a file
    assert CREDENTIAL_TYPES['sorrypage bypass header']['extra_vars'] == {
        'vault_sorry_bypass_header_value': '{{ header_value }}'}
    assert CREDENTIAL_TYPES['sorrypage kubeconfig']['extra_vars'] == {'sorry_kubeconfig': '{{ tower.filename.kubeconfig }}'}
    assert JOB_TEMPLATES['status']['secrets'] is False and JOB_TEMPLATES['on']['secrets'] is True


def test_the_private_data_dir_is_laid_out_as_awx_does(tmp_path, awx_env):  # pylint: disable=unused-argument
    kube = CustomCredential(CREDENTIAL_TYPES['sorrypage kubeconfig'], {'kubeconfig': 'apiVersion: v1\n'})
    bypass = CustomCredential(CREDENTIAL_TYPES['sorrypage bypass header'], {'header_value': 's3cret'})
    job = AwxJob(tmp_path, 'playbooks/maintenance_status.yml', {'sorry_sites': {'web': {'sorry_region': 'x'}}},
                 {'sorry_driver': 'auto', 'awx_user_name': 'carol'}, aws=AWS_CREDENTIAL, credentials=[kube, bypass],
                 limit='web')
    env_dir = os.path.join(job.dir, 'env')
    with open(os.path.join(env_dir, 'extravars'), encoding='utf-8') as handle:
        text = handle.read()
    assert "!unsafe 'sorry_driver': !unsafe 'auto'" in text and "!unsafe 'awx_user_name': !unsafe 'carol'" in text
    kubeconfig = job.env['K8S_AUTH_KUBECONFIG']
    assert os.path.dirname(kubeconfig) == env_dir and oct(os.stat(kubeconfig).st_mode & 0o777) == '0o600'
    with open(kubeconfig, encoding='utf-8') as handle:
        assert handle.read() == 'apiVersion: v1\n'
    assert job.cmdline[:4] == ['-u', 'root', '-l', 'web']
    extra_files = [job.cmdline[i + 1][1:] for i, arg in enumerate(job.cmdline) if arg == '-e']
    assert len(extra_files) == 2
    with open(extra_files[0], encoding='utf-8') as handle:
        assert handle.read() == "!unsafe 'sorry_kubeconfig': !unsafe '%s'\n" % kubeconfig
    with open(extra_files[1], encoding='utf-8') as handle:
        assert handle.read() == "!unsafe 'vault_sorry_bypass_header_value': !unsafe 's3cret'\n"
    assert job.env['AWS_SESSION_TOKEN'] == job.env['AWS_SECURITY_TOKEN'] == 'awx-job-token'
    assert os.access(job.inventory, os.X_OK)
    assert 'USER' not in os.environ and 'AWS_ACCESS_KEY_ID' not in os.environ  # only what the job injects


def _inventory_job(tmp_path, task_env):
    """A status job on a site without its ALB settings: it fails on the inputs, after the inventory is read."""
    extravars = survey_answers(SURVEYS['status'], {})
    extravars.update(awx_meta_vars(1, AWX_USER, JOB_TEMPLATES['status']['name'], INVENTORY_NAME))
    job = AwxJob(tmp_path, 'playbooks/maintenance_status.yml', {'sorry_sites': {'web': {'sorry_region': 'us-east-1'}}},
                 extravars, aws=AWS_CREDENTIAL, limit='web', task_env=task_env)
    job.run(timeout=120)
    return job


def _hosts_seen(job):
    return {(e.get('event_data') or {}).get('host') for e in job.events()} - {None}


def test_awx_reads_its_inventory_with_the_projects_ansible_cfg(tmp_path, awx_env):  # pylint: disable=unused-argument
    job = _inventory_job(tmp_path, None)
    assert 'Unable to parse' not in job.stdout()
    assert 'No inventory was parsed' not in job.stdout()
    assert _hosts_seen(job) == {'web'}


# ---------------------------------------------------------------- the ALB driver, EKS outage auto (the controller paused)

def test_alb_driver_jobs_prepare_on_status_off(tmp_path, awx_env):  # pylint: disable=unused-argument
    with Sandbox(pod_delay=0) as box:
        before = listeners(box)
        awx = Controller(tmp_path, box)
        host = box.sites[0]['hosts'][0]

        job = awx.launch('prepare', sorry_reason='Database upgrade', sorry_driver='alb')
        assert_successful(job)
        assert_secret_nowhere(job)
        assert listeners(box) == before

        job = awx.launch('on', sorry_reason='Database upgrade', sorry_until='2030-05-01T06:00:00+09:00',
                         sorry_driver='alb', sorry_eks_outage='auto')
        assert_successful(job)
        text = summary(job)
        assert 'maintenance ON on %s' % box.sites[0]['load_balancer_name'] in text, text
        assert 'until: 2030-05-01T06:00:00+09:00' in text and 'controller: PAUSED' in text, text
        assert_secret_nowhere(job)
        sorry = [r for arn in box.sites[0]['listeners'].values() for r in owned_rules(box.moto, arn)
                 if r['kind'] == 'sorry']
        assert sorry and {r['tags']['sorrypage:by'] for r in sorry} == {AWX_USER}
        assert visitor(box, host, PUBLIC_IP).status == 503
        assert visitor(box, host, OFFICE_IP).status == 200
        assert visitor(box, host, PUBLIC_IP, headers={BYPASS_HEADER['name']: BYPASS_HEADER['value']}).status == 200

        job = awx.launch('status', sorry_driver='alb')
        assert_successful(job)
        text = job.messages('Show the maintenance status of the site') + summary(job)
        assert 'maintenance ON' in text and 'by %s' % AWX_USER in text, text

        # "no" (the survey's default) keeps the guard: an application answering 503 through the bypass stops off
        site = awx.inventory['sorry_sites'][awx.site]
        with StaticServer(503) as broken:
            site.update(sorry_verify_url=broken.url, sorry_verify_timeout=3)
            job = awx.launch('off', sorry_driver='alb', sorry_force_off='no')
            assert job.runner.status == 'failed' and job.runner.rc != 0
            assert ('Maintenance stays ON for %s: through the bypass (header X-Sorry-Bypass), %s answered HTTP 503'
                    % (awx.site, broken.url)) in job.failures(), job.failures()
            assert broken.requests and broken.requests[0][BYPASS_HEADER['name']] == BYPASS_HEADER['value']
            assert_secret_nowhere(job)
            assert visitor(box, host, PUBLIC_IP).status == 503

            # "yes" switches off anyway (and EKS outage "true", the string the survey sends, resumes the controller)
            job = awx.launch('off', sorry_driver='alb', sorry_eks_outage='true', sorry_force_off='yes')
            assert_successful(job)
            assert ('WARNING: the application answers HTTP 503 through the bypass; switching off anyway '
                    '(sorry_force_off)') in job.messages('Say what the probe found')
        text = summary(job)
        assert 'maintenance off on %s' % box.sites[0]['load_balancer_name'] in text, text
        assert 'controller: running' in text, text
        assert_secret_nowhere(job)
        assert listeners(box) == before
        assert visitor(box, host, PUBLIC_IP).status == 200


# ---------------------------------------------------------------- auto: the Ingress driver, the stand-in controller running

def test_auto_driver_jobs_on_status_off_through_the_ingress(tmp_path, awx_env):  # pylint: disable=unused-argument
    with Sandbox(pod_delay=0, controller=True, controller_interval=0.5, ingress=True, path_routed=False) as box:
        box.reconciler.wait_for_pass()
        before = listeners(box)
        awx = Controller(tmp_path, box)
        hosts = box.sites[0]['hosts']

        # launched as the workflow "Release with maintenance": its survey (on's) answered once for on and off
        answers = {'sorry_reason': 'Database upgrade'}   # until, driver, EKS outage: the survey's defaults
        job = awx.launch('on', workflow=answers)
        assert_successful(job)
        text = summary(job)
        assert 'maintenance ON on %s' % box.sites[0]['load_balancer_name'] in text, text
        assert 'driver: ingress (auto: the controller kube-system/aws-load-balancer-controller of cluster sandbox runs' \
            in text, text
        assert_secret_nowhere(job)
        annotations = box.kube.get('ingresses', 'main', awx.site)['metadata']['annotations']
        assert json.loads(annotations[INGRESS_RECORD])['info']['sorrypage:by'] == AWX_USER
        for name in hosts:
            assert visitor(box, name, PUBLIC_IP).status == 503
            assert visitor(box, name, PUBLIC_IP, headers={BYPASS_HEADER['name']: BYPASS_HEADER['value']}).status == 200

        job = awx.launch('status')
        assert_successful(job)
        text = job.messages('Show the maintenance status of the site')
        assert 'maintenance ON' in text and 'driver: ingress' in text and 'by %s - why: Database upgrade' % AWX_USER \
            in text, text

        job = awx.launch('off', workflow=answers)    # the node after the approval: sorry_reason and _until too
        assert_successful(job)
        assert job.extravars['sorry_reason'] == 'Database upgrade' and job.extravars['awx_job_launch_type'] == 'workflow'
        assert 'maintenance off on %s' % box.sites[0]['load_balancer_name'] in summary(job)
        assert_secret_nowhere(job)
        box.reconciler.wait_for_pass()
        assert listeners(box) == before
        assert all(visitor(box, name, PUBLIC_IP).status == 200 for name in hosts)
