"""Secrets at -vvv: the bypass header value and the AWS credentials reach no output and no place but the rules.

The whole cycle (prepare, on, status, verify, off) runs at ``-vvv`` with a
random bypass header value and random AWS credentials in the environment
(moto accepts any), through each driver, and through the ALB driver behind a
CloudFront distribution whose secret origin header is random (the office
matched on CloudFront-Viewer-Address, the origin header ANDed on the rules). Everything written is kept in files
(stdout, stderr, ANSIBLE_LOG_PATH, the task results, the rules' tags, the
Ingresses, the controller's Deployment, the pages in the bucket and the
bodies of the rules) and searched for the secrets. The header value must be
where it is needed and nowhere else: in the conditions of the listener rules
(ALB driver) or in the conditions annotation of the Ingress (Ingress driver),
which the test also checks, so a search that finds nothing has looked in the
right places. The cycle behind CloudFront has no verify URL and skips verify
(status runs the same input checks).
"""
import glob
import json
import os
import re
import secrets
import string
import subprocess
import time

import pytest
import yaml

from tests.ansible_run import REPO, VENV_BIN, ansible_env
from tests.integration.test_bad_input import shared_once
from tests.integration.test_ingress_driver import site_vars
from tests.integration.test_runbook import playbook
from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, request
from tests.sandbox.sandbox import Sandbox
from tests.sandbox.seed import snapshot_listener

pytestmark = pytest.mark.sandbox_only

CONDITIONS = 'alb.ingress.kubernetes.io/conditions.'
STEPS = ('prepare', 'on', 'status', 'verify', 'off')
# Behind CloudFront the test sets no verify URL (sorry_verify_url ''): verify would only check its inputs, as status
# does with the same inventory and callback, and say why it probes nothing. That cycle skips it (one run fewer).
VARIANT_STEPS = {'alb': STEPS, 'ingress': STEPS, 'cloudfront': tuple(step for step in STEPS if step != 'verify')}
# The steps that write run with the JSON callback (every task result, in a file of its own); status and verify
# with the default one, as a person reads them.
JSON_STEPS = ('prepare', 'on', 'off')


def _random(alphabet, size):
    return ''.join(secrets.choice(alphabet) for _index in range(size))


def random_secrets():
    return {
        'header': 'bypass-' + secrets.token_hex(16),
        'AWS_ACCESS_KEY_ID': 'AKIA' + _random(string.ascii_uppercase + string.digits, 16),
        'AWS_SECRET_ACCESS_KEY': _random(string.ascii_letters + string.digits, 40),
        'AWS_SESSION_TOKEN': 'FwoG' + _random(string.ascii_letters + string.digits, 60),
    }


def _json_results(stdout):
    """The ansible.posix.json document at the end of a -vvv stdout (verbose lines come before it)."""
    match = re.search(r'^\{\n\s*"custom_stats"', stdout, re.M)
    return json.loads(stdout[match.start():]) if match else None


def _task_results(data):
    for play in (data or {}).get('plays', []):
        for task in play.get('tasks', []):
            for res in task.get('hosts', {}).values():
                yield task['task']['name'], res


def run_step(inventory, step, outdir, env, callback='ansible.posix.json'):
    """One playbook at -vvv; stdout, stderr, the log file and the task results land in ``outdir``. Returns stdout."""
    log = os.path.join(outdir, '%s-%s.log' % (step, callback))
    full_env = ansible_env(dict(env, ANSIBLE_STDOUT_CALLBACK=callback, ANSIBLE_LOG_PATH=log))
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), playbook(step), '-i', inventory, '-vvv'],
                          cwd=REPO, env=full_env, capture_output=True, text=True, timeout=600, check=False)
    for name, text in (('stdout', proc.stdout), ('stderr', proc.stderr)):
        with open(os.path.join(outdir, '%s-%s.%s' % (step, callback, name)), 'w', encoding='utf-8') as handle:
            handle.write(text)
    data = _json_results(proc.stdout) if callback == 'ansible.posix.json' else None
    assert data is not None or callback != 'ansible.posix.json', '%s: no task results in the output' % step
    if data is not None:
        with open(os.path.join(outdir, '%s-results.json' % step), 'w', encoding='utf-8') as handle:
            json.dump(list(_task_results(data)), handle)
    assert proc.returncode == 0, '%s failed (rc %s): %s' % (step, proc.returncode, proc.stdout[-3000:] + proc.stderr[-2000:])
    # -vvv: the connection of each module run (JSON callback, the steps that call modules), task paths (default)
    assert ('ESTABLISH LOCAL CONNECTION' if data is not None else 'task path:') in proc.stdout, 'the run was not verbose'
    return proc.stdout


def dump_state(box, outdir, name):
    """What the site holds now, as files: every rule (tags included) with its body, Ingresses, Deployments, bucket."""
    elbv2, s3 = box.moto.client('elbv2'), box.moto.client('s3')
    site = box.sites[0]
    state = {'listeners': {}, 'rule_tags': {}, 'bodies': [], 'ingresses': {}, 'deployments': {}, 'objects': {}}
    for port, arn in site['listeners'].items():
        state['listeners'][port] = snapshot_listener(elbv2, arn)
        for _priority, rule_arn, _conditions, actions, tags in state['listeners'][port]:
            state['rule_tags'][rule_arn] = tags
            state['bodies'].append(actions)
    state['lb_tags'] = elbv2.describe_tags(ResourceArns=[site['load_balancer_arn']])['TagDescriptions']
    for item in box.kube.list('ingresses'):
        meta = item['metadata']
        state['ingresses']['%s/%s' % (meta['namespace'], meta['name'])] = {
            'annotations': meta.get('annotations') or {}, 'spec': item.get('spec')}
    for item in box.kube.list('deployments'):
        meta = item['metadata']
        state['deployments']['%s/%s' % (meta['namespace'], meta['name'])] = {
            'annotations': meta.get('annotations') or {}, 'labels': meta.get('labels') or {}}
    for obj in s3.list_objects_v2(Bucket=box.assets['bucket']).get('Contents', []):
        state['objects'][obj['Key']] = s3.get_object(Bucket=box.assets['bucket'], Key=obj['Key'])['Body'].read().decode(
            'utf-8', 'replace')
    with open(os.path.join(outdir, 'state-%s.json' % name), 'w', encoding='utf-8') as handle:
        json.dump(state, handle, default=str)
    return state


def where(values, outdir):
    """Files of ``outdir`` and of tests/output/ (hidden ones too) holding one of ``values``: {file: [names]}."""
    found = {}
    for top in (outdir, os.path.join(REPO, 'tests', 'output')):
        for root, _dirs, files in os.walk(top):
            for name in files:
                path = os.path.join(root, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                with open(path, 'rb') as handle:
                    data = handle.read()
                hits = sorted(key for key, value in values.items() if value.encode() in data)
                if hits:
                    found[os.path.relpath(path, outdir) if top == outdir else os.path.relpath(path, REPO)] = hits
    return found


def _cycle(workdir, variant):
    """The whole cycle at -vvv in a sandbox of its own; JSON data: the secrets, where the files are, outputs, states."""
    with Sandbox(pod_delay=0, controller=True, controller_interval=0.5, ingress=True, path_routed=False) as box:
        return _cycle_in(box, workdir, variant)


def _behind_cloudfront(box, origin):
    """A distribution in front of the site's ALB with ``origin`` as its secret origin header; the data plane plays it."""
    dns = box.moto.client('elbv2').describe_load_balancers(
        LoadBalancerArns=[box.sites[0]['load_balancer_arn']])['LoadBalancers'][0]['DNSName']
    box.moto.client('cloudfront').create_distribution(DistributionConfig={
        'CallerReference': 'sorrypage-secrets-test', 'Comment': 'in front of the sandbox ALB', 'Enabled': True,
        'Origins': {'Quantity': 1, 'Items': [{
            'Id': 'alb', 'DomainName': dns,
            'CustomOriginConfig': {'HTTPPort': 80, 'HTTPSPort': 443, 'OriginProtocolPolicy': 'http-only'},
            'CustomHeaders': {'Quantity': 1, 'Items': [{'HeaderName': origin['name'], 'HeaderValue': origin['value']}]}}]},
        'DefaultCacheBehavior': {'TargetOriginId': 'alb', 'ViewerProtocolPolicy': 'redirect-to-https',
                                 'ForwardedValues': {'QueryString': True, 'Cookies': {'Forward': 'none'},
                                                     'Headers': {'Quantity': 0, 'Items': []}}}})
    box.dataplane.set_cloudfront(origin_header=(origin['name'], origin['value']))


def _cycle_in(box, workdir, variant):
    """``variant``: alb or ingress (the driver, a bypass header), or cloudfront (ALB driver behind a distribution:
    the office by CloudFront-Viewer-Address, the secret is the distribution's origin header)."""
    started = time.time()
    secret = random_secrets()
    outdir = os.path.join(workdir, 'runs-%s' % variant)
    os.makedirs(outdir)
    site = box.sites[0]
    driver = 'ingress' if variant == 'ingress' else 'alb'
    header = {'name': 'X-Sorry-Bypass', 'value': secret['header']}
    values = site_vars(box, sorry_driver=driver, sorry_eks_outage='auto', sorry_bypass_headers=[header],
                       sorry_assets_bucket=box.assets['bucket'], sorry_assets_prefix=box.assets['prefix'],
                       sorry_public_url=box.assets['public_url'],
                       sorry_cloudfront_distribution_id=box.assets['distribution_id'])
    if variant == 'cloudfront':
        header = {'name': 'X-Origin-Verify', 'value': secret['header']}
        _behind_cloudfront(box, header)
        values.update(sorry_bypass_headers=[], sorry_bypass_viewer_header=True, sorry_cloudfront_origin_header=header,
                      sorry_verify_url='')
    inventory = os.path.join(workdir, 'inventory-%s.yml' % variant)
    with open(inventory, 'w', encoding='utf-8') as handle:
        yaml.safe_dump({'sorry_sites': {'hosts': {site['name']: values}}}, handle)
    env = {key: secret[key] for key in ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN')}
    before = dump_state(box, outdir, 'before')
    outputs, states, visitors = {}, {}, {}
    for step in VARIANT_STEPS[variant]:
        acting = driver == 'alb' and step in ('on', 'off')
        if acting:
            box.reconciler.stop_acting()   # the ALB driver writes, then pauses the stand-in controller
        try:
            outputs[step] = run_step(inventory, step, outdir, env,
                                     callback='ansible.posix.json' if step in JSON_STEPS else 'default')
        finally:
            if acting:
                box.reconciler.resume_acting()
        if step == 'on':
            states['on'] = dump_state(box, outdir, 'on')
            host = site['hosts'][0]
            if variant == 'cloudfront':
                url = box.dataplane.cloudfront_url_for(80, site['load_balancer_arn']) + '/'
                visitors['public'] = request(url, host=host, source_ip=PUBLIC_IP).status
                visitors['bypass'] = request(url, host=host, source_ip=OFFICE_IP).status
            else:
                visitors['public'] = request(box.url_for(80) + '/', host=host, source_ip=PUBLIC_IP).status
                visitors['bypass'] = request(box.url_for(80) + '/', host=host, source_ip=PUBLIC_IP,
                                             headers={header['name']: header['value']}).status
    box.reconciler.wait_for_pass()
    states['off'] = dump_state(box, outdir, 'off')
    found = where(secret, outdir)       # every file written: outputs, logs, task results, states; tests/output/
    return json.loads(json.dumps({'secret': secret, 'outdir': outdir, 'outputs': outputs, 'states': states,
                                  'before': before, 'visitors': visitors, 'found': found, 'header_name': header['name'],
                                  'seconds': time.time() - started}, default=str))


@pytest.fixture(scope='module', params=['alb', 'ingress', 'cloudfront'])
def cycle(request, tmp_path_factory):
    variant = request.param
    data = shared_once(tmp_path_factory, 'secrets-%s' % variant,
                       lambda: _cycle(str(tmp_path_factory.mktemp('secrets-%s' % variant)), variant))
    data['driver'] = 'ingress' if variant == 'ingress' else 'alb'
    data['variant'] = variant
    return data


def needed(data):
    """Where the header value must be: the rule conditions (ALB driver), the conditions annotation (Ingress)."""
    state = data['states']['on']
    if data['driver'] == 'alb':
        return json.dumps(state['listeners'])
    return json.dumps([v for ingress in state['ingresses'].values()
                       for k, v in ingress['annotations'].items() if k.startswith(CONDITIONS)])


def test_the_cycle_works_and_off_restores(cycle):
    print('secrets, %s: the cycle at -vvv took %.1f s' % (cycle['variant'], cycle['seconds']))
    assert cycle['visitors'] == {'public': 503, 'bypass': 200}
    assert cycle['states']['off']['listeners'] == cycle['before']['listeners']
    assert cycle['states']['off']['ingresses'] == cycle['before']['ingresses']


def test_the_bypass_header_and_the_secret_key_are_only_where_needed(cycle):
    secret = {k: v for k, v in cycle['secret'].items() if k != 'AWS_ACCESS_KEY_ID'}
    outputs, states = cycle['outputs'], cycle['states']
    for step in set(outputs) - set(JSON_STEPS):     # status, verify: the default callback, as a person reads them
        assert [k for k, v in secret.items() if v in outputs[step]] == [], step
    # the search looks in the right places: the header is where the bypass needs it
    assert cycle['header_name'] in json.dumps(states['on']['listeners'])
    assert secret['header'] in needed(cycle), 'the bypass header value is not where it is needed'
    for name, state in states.items():
        assert secret['header'] not in json.dumps(state['rule_tags']), name
        assert secret['header'] not in json.dumps(state['bodies']), name
        assert secret['header'] not in json.dumps(state['objects']), name
        assert secret['header'] not in json.dumps(state['deployments']), name
        for key, ingress in state['ingresses'].items():
            others = {k: v for k, v in ingress['annotations'].items() if not k.startswith(CONDITIONS)}
            assert secret['header'] not in json.dumps([others, ingress['spec']]), '%s %s' % (name, key)
    written = glob.glob(os.path.join(cycle['outdir'], '*'))
    steps = VARIANT_STEPS[cycle['variant']]
    assert sorted(outputs) == sorted(steps)
    assert len(written) == 3 * len(steps) + len(JSON_STEPS) + 3, 'not every run wrote its files: %s' % written
    # every file written: outputs, logs, task results, states (only state-on.json may hold the header: the rules),
    # and tests/output/
    assert 'header' in cycle['found'].get('state-on.json', []), 'the search of the files does not work'
    found = {f: [h for h in hits if h in secret] for f, hits in cycle['found'].items()}
    assert {f: hits for f, hits in found.items() if hits and not (f == 'state-on.json' and hits == ['header'])} == {}


def test_the_access_key_id_is_in_no_output(cycle):
    # amazon.aws declares access_key no_log=False: every AWS module result held it in invocation.module_args at
    # -vvv; SorryAWSModule's argument spec marks it no_log. The search looks in the right place: the modules did
    # read the key (from the environment) and their invocations are in the task results, masked.
    masked = set()
    for step in JSON_STEPS:
        with open(os.path.join(cycle['outdir'], '%s-results.json' % step), encoding='utf-8') as handle:
            for _name, res in json.load(handle):
                masked.add(((res.get('invocation') or {}).get('module_args') or {}).get('access_key'))
    assert 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' in masked, 'no AWS module invocation in the task results'
    assert [f for f, hits in cycle['found'].items() if 'AWS_ACCESS_KEY_ID' in hits] == []
