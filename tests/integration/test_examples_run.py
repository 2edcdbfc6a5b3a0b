"""Module EXAMPLES and role READMEs: fully qualified names, and they run as written.

Every task of every module's EXAMPLES uses ``sorrypage.aws.<module>`` (or an
``ansible.builtin`` / collection FQCN), and names modules and roles that
exist. The examples of the read-only modules (and, in check mode, of the
rule writers) run against the sandbox without a word of them changed: the
load balancers they name are made in moto under those very names (copies of
a seeded controller-managed site), the kube context they name is the
sandbox Kubernetes API's, the endpoint comes from ``module_defaults`` and
the variables they use (``alb_arn``, ``listener_arn``, ...) from the play.
"""
import ast
import glob
import os
import re
import tempfile

import pytest
import yaml

from tests.ansible_run import REPO, run_playbook
from tests.sandbox.dataplane import PUBLIC_IP, request
from tests.sandbox.k8s_api import K8sApi
from tests.sandbox.sandbox import Sandbox
from tests.sandbox.seed import seed_site

MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, 'plugins', 'modules', '*.py'))
                 if not os.path.basename(p).startswith('_'))
ROLES = sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(REPO, 'roles', '*', 'tasks')))
TASK_KEYWORDS = {'name', 'register', 'when', 'vars', 'loop', 'loop_control', 'check_mode', 'diff', 'no_log',
                 'changed_when', 'failed_when', 'tags', 'delegate_to', 'run_once', 'until', 'retries', 'delay',
                 'become', 'environment', 'notify', 'ignore_errors', 'module_defaults', 'block', 'rescue', 'always',
                 'args', 'async', 'poll', 'throttle', 'timeout', 'any_errors_fatal', 'connection'}
FQCN = re.compile(r'^[a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+$')
KUBE_CONTEXT = 'arn:aws:eks:eu-west-1:123456789012:cluster/prod'


def module_string(module, name):
    """The string constant ``name`` (EXAMPLES, DOCUMENTATION) of a module, read without importing it."""
    with open(os.path.join(REPO, 'plugins', 'modules', module + '.py'), encoding='utf-8') as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == name for t in node.targets):
            return node.value.value
    raise AssertionError('%s has no %s' % (module, name))


def examples(module):
    tasks = yaml.safe_load(module_string(module, 'EXAMPLES'))
    assert isinstance(tasks, list) and tasks, '%s: EXAMPLES is not a list of tasks' % module
    return tasks


def action_of(task):
    actions = [key for key in task if key not in TASK_KEYWORDS]
    assert len(actions) == 1, 'task %r: one action expected, found %r' % (task.get('name'), actions)
    return actions[0]


def walk_tasks(tasks):
    """Every task of a task list, or of the plays of a playbook, blocks opened."""
    for task in tasks:
        if 'hosts' in task and 'tasks' in task:
            yield from walk_tasks(task['tasks'])
            continue
        yield task
        for key in ('block', 'rescue', 'always'):
            if key in task:
                yield from walk_tasks(task[key])


def check_action(where, task):
    """The FQCN rules for one task: a full name; ours must exist; roles ours or FQCN."""
    action = action_of(task)
    assert FQCN.match(action), '%s: task %r uses %r, not a FQCN' % (where, task.get('name'), action)
    if action.startswith('sorrypage.aws.'):
        assert action.split('.')[2] in MODULES, '%s: no module %s' % (where, action)
    if action in ('ansible.builtin.include_role', 'ansible.builtin.import_role'):
        role = task[action]['name']
        assert role.startswith('sorrypage.aws.') and role.split('.')[2] in ROLES, '%s: role %r' % (where, role)
        entry = task[action].get('tasks_from', 'main')
        assert os.path.exists(os.path.join(REPO, 'roles', role.split('.')[2], 'tasks', entry + '.yml')), (
            '%s: %s has no tasks_from %r' % (where, role, entry))
    return action


# ----------------------------------------------------------------- FQCNs, no sandbox

@pytest.mark.parametrize('module', MODULES)
def test_every_example_task_uses_a_fqcn_and_shows_its_own_module(module):
    used = [check_action('%s EXAMPLES' % module, task) for task in walk_tasks(examples(module))]
    assert 'sorrypage.aws.%s' % module in used, '%s: EXAMPLES never calls sorrypage.aws.%s' % (module, module)
    assert all(task.get('name') for task in examples(module)), '%s: every example task has a name' % module


def readme_yaml_blocks(path):
    with open(path, encoding='utf-8') as handle:
        return re.findall(r'^```yaml\n(.*?)^```', handle.read(), re.S | re.M)


ROLE_READMES = sorted(glob.glob(os.path.join(REPO, 'roles', '*', 'README.md')))


@pytest.mark.parametrize('path', [os.path.relpath(p, REPO) for p in ROLE_READMES])
def test_role_readme_examples_use_fqcns_and_existing_entry_points(path):
    blocks = readme_yaml_blocks(os.path.join(REPO, path))
    assert blocks, '%s has no yaml example' % path
    for block in blocks:
        tasks = yaml.safe_load(block)
        for task in walk_tasks(tasks if isinstance(tasks, list) else [tasks]):
            check_action(path, task)


def test_the_fqcn_check_catches_a_short_name_and_a_missing_role():
    with pytest.raises(AssertionError, match='not a FQCN'):
        check_action('here', {'name': 'x', 'alb_sorry_info': {}})
    with pytest.raises(AssertionError, match="role 'lbc_pause'"):
        check_action('here', {'name': 'x', 'ansible.builtin.include_role': {'name': 'lbc_pause'}})
    with pytest.raises(AssertionError, match='no module sorrypage.aws.alb_sorry'):
        check_action('here', {'name': 'x', 'sorrypage.aws.alb_sorry': {}})


# ----------------------------------------------------------------- run as written

# module -> (the example tasks to run, by name (None: all), check mode)
RUNS = {
    'alb_sorry_info': (None, False),
    'alb_sorry_wait': (['Wait until nobody gets the page any more'], False),
    'alb_sorry_rule': (None, True),
    'alb_sorry_site': (None, True),
    'lbc_pause': (None, False),
    'alb_sorry_auto_off': (['How long until the window ends by itself?', 'Say it',
                            'Off - remove the schedules (those that fired are gone already)'], False),
    'alb_sorry_cloudfront_info': (['Which CloudFront distributions serve the site, and what do they do to the Sorry page?',
                                   'Say what to fix'], False),
    'ingress_sorry': (['What is in the Ingresses of an IngressGroup, and has a helm upgrade taken it out',
                       'Say when the cluster could not be read (status does not fail for it)'], False),
}


def literal_names(key):
    """Every literal value of ``key`` in the EXAMPLES that run (templated ones come from vars)."""
    found = set()
    for module in RUNS:
        for task in walk_tasks(examples(module)):
            value = task.get('sorrypage.aws.%s' % module, {}).get(key) if isinstance(task, dict) else None
            if isinstance(value, str) and '{{' not in value:
                found.add(value)
    return found


def copy_alb(elbv2, source_arn, name):
    """A load balancer called ``name`` with the listeners, rules and tags of ``source_arn``."""
    source = elbv2.describe_load_balancers(LoadBalancerArns=[source_arn])['LoadBalancers'][0]
    tags = elbv2.describe_tags(ResourceArns=[source_arn])['TagDescriptions'][0]['Tags']
    lb = elbv2.create_load_balancer(Name=name, Subnets=[z['SubnetId'] for z in source['AvailabilityZones']],
                                    SecurityGroups=source['SecurityGroups'], Scheme=source['Scheme'],
                                    Type='application', Tags=tags)['LoadBalancers'][0]
    listeners = {}
    for listener in elbv2.describe_listeners(LoadBalancerArn=source_arn)['Listeners']:
        extra = {'Certificates': listener['Certificates']} if listener.get('Certificates') else {}
        new = elbv2.create_listener(LoadBalancerArn=lb['LoadBalancerArn'], Protocol=listener['Protocol'],
                                    Port=listener['Port'], DefaultActions=listener['DefaultActions'], **extra)
        arn = new['Listeners'][0]['ListenerArn']
        listeners[listener['Port']] = arn
        for rule in elbv2.describe_rules(ListenerArn=listener['ListenerArn'])['Rules']:
            if rule['IsDefault']:
                continue
            conditions = [{k: v for k, v in c.items() if k != 'Values' or len(c) == 2} for c in rule['Conditions']]
            elbv2.create_rule(ListenerArn=arn, Priority=int(rule['Priority']), Conditions=conditions,
                              Actions=rule['Actions'])
    return {'arn': lb['LoadBalancerArn'], 'listeners': listeners}


@pytest.fixture(scope='module')
def estate(moto):
    """The load balancers the examples name, and a Kubernetes API whose controller serves cluster ``prod``."""
    site = seed_site(moto, name='examples', cluster_name='prod', hosts=('shop.example.com', 'blog.example.com'))
    elbv2 = moto.client('elbv2')
    albs = {name: copy_alb(elbv2, site['load_balancer_arn'], name) for name in sorted(literal_names('load_balancer_name'))}
    kube = K8sApi(pod_delay=0.2).start()
    kube.seed_lbc(cluster_name='prod')
    with tempfile.TemporaryDirectory() as workdir:
        kubeconfig = kube.write_kubeconfig(os.path.join(workdir, 'kubeconfig'), context=KUBE_CONTEXT)
        yield {'site': site, 'albs': albs, 'kube': kube, 'kubeconfig': kubeconfig, 'endpoint': moto.url}
    kube.stop()


def example_play(module, estate_, names):
    first = estate_['albs'][sorted(estate_['albs'])[0]]
    page = {'body': '<!doctype html><title>Sorry</title><p>Back soon.', 'marker': 'a1b2c3d4e5'}
    tasks = [t for t in examples(module) if names is None or t['name'] in names]
    assert names is None or len(tasks) == len(names), 'examples renamed? %r' % names
    return [{
        'name': 'EXAMPLES of %s' % module,
        'hosts': 'localhost',
        'connection': 'local',
        'gather_facts': False,
        'module_defaults': {
            'group/sorrypage.aws.aws': {'endpoint_url': estate_['endpoint'], 'region': 'us-east-1'},
            'group/sorrypage.aws.k8s': {'kubeconfig': estate_['kubeconfig']},
        },
        'vars': {
            'alb_arn': first['arn'],
            'listener_arn': first['listeners'][443],
            'bypass_secret': 'examples-not-a-secret',
            'sorry_bypass_secret': 'examples-not-a-secret',
            'pages': {'en': page, 'shop': page},
            'sorry_build': page,
            'sorry_load_balancer_name': 'k8s-shop-main-1234567890',
        },
        'tasks': tasks,
    }]


@pytest.mark.sandbox_only
@pytest.mark.parametrize('module', sorted(RUNS))
def test_examples_run_against_the_sandbox(tmp_path, estate, module):  # pylint: disable=redefined-outer-name
    names, check = RUNS[module]
    path = tmp_path / ('examples-%s.yml' % module)
    path.write_text(yaml.safe_dump(example_play(module, estate, names)), encoding='utf-8')
    res = run_playbook(str(path), inventory='localhost,', check=check)
    ran = list(res.tasks('localhost'))
    failed = [(name, r.get('msg')) for name, _h, r in ran if r.get('failed')]
    assert res.rc == 0 and not failed, 'rc %d, failed: %r\nstderr: %s' % (res.rc, failed, res.stderr[-3000:])
    expected = [t['name'] for t in examples(module) if names is None or t['name'] in names]
    assert [name for name, _h, _r in ran] == expected
    results = {name: r for name, _h, r in ran}
    if module == 'alb_sorry_info':
        said = results['Say whether maintenance is on']['msg']
        assert said == 'k8s-shop-main-1234567890 in maintenance: False', said
        assert [l['port'] for l in results['Only the HTTPS listener']['listeners']] == [443]
    elif module in ('alb_sorry_rule', 'alb_sorry_site'):
        # Check mode on a site that is off: every switch on would change it, no state=absent would.
        for task in examples(module):
            absent = task['sorrypage.aws.%s' % module].get('state') == 'absent'
            assert results[task['name']]['changed'] is not absent, (task['name'], results[task['name']].get('msg'))
    elif module == 'alb_sorry_auto_off':
        # No window that ends by itself on this site: nothing to say, nothing to remove.
        assert results['How long until the window ends by itself?'].get('next_at_utc') is None
        assert results['Say it'].get('skipped')
        assert not results['Off - remove the schedules (those that fired are gone already)']['changed']
    elif module == 'alb_sorry_cloudfront_info':
        # The example's ALB has no distribution in front of it.
        assert results['Which CloudFront distributions serve the site, and what do they do to the Sorry page?'][
            'in_front'] is False
        assert results['Say what to fix'].get('skipped')
    elif module == 'lbc_pause':
        assert results['Pause the controller of this site\'s cluster (after the Sorry rules are on)']['changed']
        deployment = estate['kube'].list('deployments', 'kube-system')[0]
        assert deployment['spec']['replicas'] == 2, 'the resume example brings the controller back'


@pytest.mark.sandbox_only
def test_the_lbc_pause_readme_example_runs_as_written(tmp_path, estate):  # pylint: disable=redefined-outer-name
    """The role README's example pauses the controller of the context it names; then the test resumes it."""
    example = yaml.safe_load(readme_yaml_blocks(os.path.join(REPO, 'roles', 'lbc_pause', 'README.md'))[0])
    resume = {'name': 'Resume (the test cleaning up)', 'ansible.builtin.include_role': {
        'name': 'sorrypage.aws.lbc_pause', 'tasks_from': 'resume'},
        'vars': dict(example[0]['vars'], sorry_lbc_site='localhost')}
    play = example_play('lbc_pause', estate, [])
    play[0]['vars']['info'] = {'load_balancer': {'controller_managed': True, 'cluster_name': 'prod'}}
    play[0]['tasks'] = example + [
        {'name': 'Look at the controller', 'ansible.builtin.set_fact': {'paused_replicas': '{{ sorry_lbc.replicas }}'}},
        resume]
    path = tmp_path / 'readme-lbc_pause.yml'
    path.write_text(yaml.safe_dump(play), encoding='utf-8')
    # The role leaves an empty sorry_kubeconfig to the client's defaults: the environment, as on a laptop.
    res = run_playbook(str(path), inventory='localhost,', env={'K8S_AUTH_KUBECONFIG': estate['kubeconfig']})
    failed = [(name, r.get('msg')) for name, _h, r in res.tasks('localhost') if r.get('failed')]
    assert res.rc == 0 and not failed, 'rc %d, failed: %r\nstderr: %s' % (res.rc, failed, res.stderr[-3000:])
    facts = [r for name, _h, r in res.tasks('localhost') if name == 'Look at the controller']
    assert facts and str(facts[0]['ansible_facts']['paused_replicas']) == '0', facts
    assert estate['kube'].list('deployments', 'kube-system')[0]['spec']['replicas'] == 2


@pytest.mark.sandbox_only
def test_the_maintenance_readme_example_runs_as_written(tmp_path):
    """The role README's release playbook against the sandbox (inventories/local, as `make demo` runs it)."""
    play = yaml.safe_load(readme_yaml_blocks(os.path.join(REPO, 'roles', 'maintenance', 'README.md'))[0])
    path = tmp_path / 'readme-maintenance.yml'
    path.write_text(yaml.safe_dump(play), encoding='utf-8')
    with Sandbox() as sandbox:
        url = sandbox.url_for(80) + '/'
        res = run_playbook(str(path), inventory=os.path.join(REPO, 'inventories', 'local'), env=sandbox.env(),
                           extra_vars={'sorry_eks_outage': 'false'})
        failed = [(name, r.get('msg')) for name, _h, r in res.tasks() if r.get('failed')]
        assert res.rc == 0 and not failed, 'rc %d, failed: %r\nstderr: %s' % (res.rc, failed, res.stderr[-3000:])
        said = [r['msg'] for name, _h, r in res.tasks() if name == 'Say what the public gets']
        assert said == ['sandbox is in maintenance: on'], said
        # And off is off: the public gets the application again.
        assert request(url, host='shop.example.test', source_ip=PUBLIC_IP).status == 200
