"""Bad input: each refused with a message that names the input and the limit, before any change.

One sandbox for the whole module (AWS through moto, the stand-in Kubernetes
API with the controller's Deployment and the site's Ingress). Every case is
one host of one inventory, so the real ``maintenance_on.yml`` (and
``maintenance_prepare.yml``) runs once for all of them (strategy free, each
site at its own pace); each case has its own counting proxy in front of moto,
so a write is pinned on the case that made it. The cases of the modules
(alb_sorry_rule: priorities, a listener ARN) are the tasks of one playbook;
missing credentials need their own environment, so their own run.

After all runs: the listeners (every rule, priority, condition, action, tag),
the Ingresses and the Deployments of the cluster are as before, and the
Kubernetes API saw no write.

docs/errors.md is the table input -> message made from these cases; the test
fails when the committed file differs. Regenerate it with:

    SORRY_WRITE_ERRORS_MD=1 python -m pytest -q -p no:cacheprovider tests/integration/test_bad_input.py
"""
import collections
import fcntl
import http.server
import json
import os
import re
import threading
import time

import pytest
import yaml

from tests.ansible_run import REPO, run_playbook
from tests.integration.test_ingress_driver import site_vars
from tests.integration.test_runbook import BYPASS_HEADER, playbook
from tests.sandbox.counting_proxy import CountingProxy
from tests.sandbox.ports import free_port
from tests.sandbox.sandbox import Sandbox
from tests.sandbox.seed import snapshot_listener

pytestmark = pytest.mark.sandbox_only

ERRORS_MD = os.path.join(REPO, 'docs', 'errors.md')
WRITE_ENV = 'SORRY_WRITE_ERRORS_MD'
WRITE_CALLS = {'CreateRule', 'ModifyRule', 'DeleteRule', 'SetRulePriorities', 'AddTags', 'RemoveTags',
               'PutObject', 'DeleteObject', 'DeleteObjects', 'CreateInvalidation', 'CreateSchedule',
               'UpdateSchedule', 'DeleteSchedule', 'CreateScheduleGroup'}
NO_CREDENTIALS = {'AWS_ACCESS_KEY_ID': '', 'AWS_SECRET_ACCESS_KEY': '', 'AWS_SESSION_TOKEN': '',
                  'AWS_SHARED_CREDENTIALS_FILE': os.devnull, 'AWS_CONFIG_FILE': os.devnull,
                  'AWS_EC2_METADATA_DISABLED': 'true'}
DECOY = 'external-dns'
CONTROLLER = 'deployments/kube-system/aws-load-balancer-controller'
HOLDERS = 'sorrypage.aws/holders'   # the sites holding the controller paused (roles/lbc_pause)
ROLE_ARN = 'arn:aws:iam::123456789012:role/sorrypage-auto-off'

# One case: ``key`` (host name and test id), ``entry`` (on, prepare, on-no-credentials, module), ``text`` (the
# input, for docs/errors.md), ``make`` (box, workdir -> host vars, or module args), ``expect`` (substrings of the
# failure message), ``xfail`` (a finding: why the collection falls short).
Case = collections.namedtuple('Case', 'key entry text make expect xfail own_site')


def _case(key, entry, text, make, expect, xfail=None, own_site=False):
    """``own_site``: a site of its own, for a case that may go ahead and change it (a finding)."""
    return Case(key, entry, text, make, tuple(expect), xfail, own_site or bool(xfail))


def _long_page(_box, _site, workdir):
    """A page template whose fixed text alone is over 1024 characters."""
    src = os.path.join(workdir, 'long-page')
    os.makedirs(src, exist_ok=True)
    with open(os.path.join(src, 'en.html.j2'), 'w', encoding='utf-8') as handle:
        handle.write('<!DOCTYPE html><html><body><h1>Down</h1><p>%s</p><p>{{ marker }}</p></body></html>\n'
                     % ' '.join(['maintenance'] * 120))
    return {'sorry_assets_src': src, 'sorry_pages': [{'name': 'shop', 'page': 'en'}]}


def _missing_asset(_box, _site, workdir):
    src = os.path.join(workdir, 'missing-asset')
    os.makedirs(src, exist_ok=True)
    with open(os.path.join(src, 'en.html.j2'), 'w', encoding='utf-8') as handle:
        handle.write('<!DOCTYPE html><html><head><link rel="stylesheet" href="style.css"></head>'
                     '<body><img src="logo.svg" alt="x"><p>Down. {{ marker }}</p></body></html>\n')
    with open(os.path.join(src, 'style.css'), 'w', encoding='utf-8') as handle:
        handle.write('body{margin:0}\n')
    return {'sorry_assets_src': src, 'sorry_pages': [{'name': 'shop', 'page': 'en'}],
            'sorry_assets_bucket': _box.assets['bucket'], 'sorry_assets_prefix': _box.assets['prefix'],
            'sorry_public_url': _box.assets['public_url']}


def _many_cidrs(_box, _site, _workdir):
    return {'sorry_bypass_cidrs': ['10.%d.%d.0/24' % (i // 250, i % 250) for i in range(600)]}


def _vars(**values):
    return lambda _box, _site, _workdir: dict(values)


def _stub(name):
    return lambda box, _site, _workdir: {'sorry_aws_endpoint_url': box.stubs[name].url}


def _rule_args(**extra):
    def make(_box, site, _workdir):
        args = {'listener_arn': site['listeners'][80], 'kind': 'sorry', 'name': 'bad-input',
                'content': '<p>Down</p>', 'host_headers': [site['hosts'][0]]}
        args.update(extra)
        if args['listener_arn'] == 'missing':     # the site's own listener ARN with another id
            args['listener_arn'] = site['listeners'][80].rsplit('/', 1)[0] + '/0123456789abcdef'
        return args
    return make


CASES = [
    # The runbook with sorry_driver auto: the site's controller runs, so the Ingress driver is chosen.
    _case('body_too_long', 'on', 'a page whose fixed text alone is over 1024 characters (sorry_assets_src)', _long_page,
          ["page 'en' is 1489 characters, 465 over the 1024-character limit of an ALB fixed response"]),
    _case('cidr_invalid', 'on', "sorry_bypass_cidrs: ['198.51.100.300/32']", _vars(sorry_bypass_cidrs=['198.51.100.300/32']),
          ["Nothing was changed", "'198.51.100.300/32' is not an IPv4 or IPv6 CIDR"]),
    _case('cidr_any_ipv4', 'on', "sorry_bypass_cidrs: ['0.0.0.0/0']", _vars(sorry_bypass_cidrs=['0.0.0.0/0']),
          ["Nothing was changed", "'0.0.0.0/0' lets every client bypass the Sorry page; set allow_any_source=true"]),
    _case('cidr_any_ipv6', 'on', "sorry_bypass_cidrs: ['::/0']", _vars(sorry_bypass_cidrs=['::/0']),
          ["Nothing was changed", "'::/0' lets every client bypass the Sorry page; set allow_any_source=true"]),
    _case('header_name_long', 'on', 'sorry_bypass_headers: a name of 41 characters',
          _vars(sorry_bypass_headers=[{'name': 'X-' + 'a' * 39, 'value': BYPASS_HEADER['value']}]),
          ["Nothing was changed", "is 41 characters; the ALB allows at most 40"]),
    _case('header_value_long', 'on', 'sorry_bypass_headers: a value of 129 characters',
          _vars(sorry_bypass_headers=[{'name': 'X-Sorry-Bypass', 'value': 'v' * 129}]),
          ["Nothing was changed", "value 1 of header 'X-Sorry-Bypass' is 129 characters; the ALB allows at most 128"]),
    _case('too_many_rules', 'on', 'sorry_bypass_cidrs: 600 CIDRs (more rules than the quota of 100)', _many_cidrs,
          ["Nothing was changed", "needs 404 listener rules", "an ALB has 100 rules by default"]),
    _case('lb_unknown', 'on', "sorry_load_balancer_name: 'no-such-alb'", _vars(sorry_load_balancer_name='no-such-alb'),
          ["load balancer 'no-such-alb' was not found"]),
    _case('port_unknown', 'on', 'sorry_listener_ports: [80, 8080]', _vars(sorry_listener_ports=[80, 8080]),
          ['listener_ports 8080 not found on load balancer', '(its listeners: 80, 443)']),
    _case('region_unknown', 'on', "sorry_region: 'mars-north-1'", _vars(sorry_region='mars-north-1'),
          ["Nothing was changed: sorry_region: 'mars-north-1' is not an AWS region"]),
    _case('credentials_expired', 'on', 'expired credentials (AWS answers ExpiredToken)', _stub('ExpiredToken'),
          ['could not describe the load balancer', 'ExpiredToken', 'expired']),
    _case('credentials_invalid', 'on', 'an unknown access key (AWS answers InvalidClientTokenId)',
          _stub('InvalidClientTokenId'), ['could not describe the load balancer', 'InvalidClientTokenId']),
    _case('kube_context', 'on', "sorry_kube_context: 'no-such-context'", _vars(sorry_kube_context='no-such-context'),
          ['Nothing was changed: the ALB driver would put the Sorry page on and then pause',
           'context no-such-context', 'Check sorry_kubeconfig and sorry_kube_context']),
    _case('selector_none', 'on', "sorry_lbc_selector: 'app=nothing' (no Deployment)",
          _vars(sorry_lbc_selector='app=nothing'),
          ['Nothing was changed: the ALB driver would put the Sorry page on and then pause',
           'No Deployment matches app=nothing', 'Check sorry_lbc_selector and sorry_lbc_namespace']),
    _case('selector_two', 'on', "sorry_lbc_selector: 'app.kubernetes.io/managed-by=Helm' (two Deployments)",
          _vars(sorry_lbc_selector='app.kubernetes.io/managed-by=Helm'),
          ['Nothing was changed: the ALB driver would put the Sorry page on and then pause',
           '2 Deployments match app.kubernetes.io/managed-by=Helm', 'Check sorry_lbc_selector']),
    _case('until_past_auto_off', 'on', "sorry_until: '2020-01-01T00:00:00Z' with sorry_auto_off: true (ALB driver)",
          _vars(sorry_until='2020-01-01T00:00:00Z', sorry_auto_off=True, sorry_auto_off_role_arn=ROLE_ARN,
                sorry_driver='alb'),
          ["Nothing was changed: sorry_until: at '2020-01-01T00:00:00Z'",
           's in the past: the end of the window must be at least']),
    _case('until_unparsable_auto_off', 'on', "sorry_until: 'next tuesday' with sorry_auto_off: true (ALB driver)",
          _vars(sorry_until='next tuesday', sorry_auto_off=True, sorry_auto_off_role_arn=ROLE_ARN, sorry_driver='alb'),
          ["Nothing was changed: sorry_until: 'next tuesday' is not an ISO 8601 date and time"]),
    _case('until_unparsable', 'on', "sorry_until: 'next tuesday' (without sorry_auto_off)",
          _vars(sorry_until='next tuesday'),
          ["Nothing was changed: sorry_until: 'next tuesday' is not an ISO 8601 date and time with a UTC offset"]),
    # The same checks through the ALB driver (alb_sorry_site), which names the rule set.
    _case('cidr_any_ipv4_alb', 'on', "sorry_bypass_cidrs: ['0.0.0.0/0'] (ALB driver)",
          _vars(sorry_bypass_cidrs=['0.0.0.0/0'], sorry_driver='alb'),
          ["invalid input, nothing was changed", "source_ips: '0.0.0.0/0' lets every client bypass the Sorry page"]),
    _case('header_value_long_alb', 'on', 'sorry_bypass_headers: a value of 129 characters (ALB driver)',
          _vars(sorry_bypass_headers=[{'name': 'X-Sorry-Bypass', 'value': 'v' * 129}], sorry_driver='alb'),
          ["invalid input, nothing was changed", "is 129 characters; the ALB allows at most 128"]),
    _case('too_many_rules_alb', 'on', 'sorry_bypass_cidrs: 600 CIDRs (ALB driver)',
          lambda box, site, workdir: dict(_many_cidrs(box, site, workdir), sorry_driver='alb'),
          ["invalid input, nothing was changed", "this bypass needs 121 rules", "an ALB has 100 rules by default"]),
    _case('variable_typo', 'on', "sorry_reasn: 'db upgrade' (a typo)", _vars(sorry_reasn='db upgrade'),
          ['Nothing was changed: unknown variable sorry_reasn: did you mean sorry_reason?']),
    _case('asset_missing', 'prepare', 'a page referencing logo.svg, not in sorry_assets_src', _missing_asset,
          ["page 'en': en.html.j2: logo.svg: asset not found"]),
    _case('credentials_missing', 'on-no-credentials', 'no AWS credentials (empty AWS_ACCESS_KEY_ID, no profile)',
          _vars(), ['Unable to locate credentials', 'no AWS credentials found']),
    _case('priority_zero', 'module', 'alb_sorry_rule priority: 0', _rule_args(priority=0),
          ['invalid input: priority 0 is outside 1..50000']),
    _case('priority_high', 'module', 'alb_sorry_rule priority: 50001', _rule_args(priority=50001),
          ['invalid input: priority 50001 is outside 1..50000']),
    _case('priority_taken', 'module', 'alb_sorry_rule priority: 1 (a rule of the controller there)',
          _rule_args(priority=1), ['priority 1 is held by', 'a rule this collection does not own']),
    _case('listener_arn_missing', 'module', 'alb_sorry_rule listener_arn: one that does not exist',
          _rule_args(listener_arn='missing'), ["listener 'arn:aws:elasticloadbalancing:", "was not found"]),
]
OWN_SITES = [c.key for c in CASES if c.own_site]


def site_index(case):
    """The site of a case: its own (1..) or the shared one (0)."""
    return OWN_SITES.index(case.key) + 1 if case.own_site else 0


class ErrorStub:
    """An AWS endpoint that answers every call with one error, as AWS does for bad credentials."""

    def __init__(self, code, message):
        body = ('<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>'
                '<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>' % (code, message)).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get('Content-Length') or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(403)
                self.send_header('Content-Type', 'text/xml')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def cluster_state(box):
    """The Ingresses and Deployments of the cluster ('plural/namespace/name'), without what the API server moves."""
    found = {}
    for plural in ('ingresses', 'deployments'):
        for item in box.kube.list(plural):
            meta = item['metadata']
            found['%s/%s/%s' % (plural, meta.get('namespace'), meta['name'])] = json.dumps(
                {'labels': meta.get('labels'), 'annotations': meta.get('annotations'), 'spec': item.get('spec')},
                sort_keys=True)
    return found


def listener_state(box, index):
    elbv2 = box.moto.client('elbv2')
    return {str(port): snapshot_listener(elbv2, arn) for port, arn in box.sites[index]['listeners'].items()}


def _failure(results):
    """The first failure among a host's task results: (task name, message)."""
    for name, res in results:
        if res.get('failed') or res.get('unreachable'):
            return name, str(res.get('msg', ''))
    return None, ''


def shared_once(tmp_path_factory, name, compute):
    """``compute()`` (JSON data) once per test run, even when pytest-xdist spreads the tests over workers.

    ``make test`` keeps the tests of a module with module fixtures on one worker (``--dist loadgroup``,
    conftest.py); run with ``--dist load`` they may land on several workers, each with its own module fixtures.
    The first worker computes under a lock and leaves the result in a file of this run
    (PYTEST_XDIST_TESTRUNUID); the others read it. Without xdist: computed here.
    """
    run = os.environ.get('PYTEST_XDIST_TESTRUNUID')
    if not run:
        return json.loads(json.dumps(compute()))
    root = str(tmp_path_factory.getbasetemp().parent)
    path = os.path.join(root, '%s-%s.json' % (name, run))
    with open(path + '.lock', 'w', encoding='utf-8') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not os.path.exists(path):
                data = compute()
                with open(path + '.tmp', 'w', encoding='utf-8') as handle:
                    json.dump(data, handle)
                os.rename(path + '.tmp', path)
            with open(path, encoding='utf-8') as handle:
                return json.load(handle)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _decoy(kube):
    """A second Deployment in the controller's namespace, labelled by Helm too (a selector may match both)."""
    labels = {'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/name': DECOY}
    kube.create({'apiVersion': 'apps/v1', 'kind': 'Deployment',
                 'metadata': {'name': DECOY, 'namespace': 'kube-system', 'labels': labels},
                 'spec': {'replicas': 1, 'selector': {'matchLabels': {'app.kubernetes.io/name': DECOY}},
                          'template': {'metadata': {'labels': {'app.kubernetes.io/name': DECOY}},
                                       'spec': {'containers': [{'name': DECOY, 'image': DECOY + ':1'}]}}}})


@pytest.fixture(scope='module')
def outcome(tmp_path_factory):
    """What the runs left: per case its failure and the calls at its proxy; the listeners and cluster around them."""
    return shared_once(tmp_path_factory, 'bad-input', lambda: _run_cases(str(tmp_path_factory.mktemp('bad-input'))))


def _run_cases(workdir):
    started = time.time()
    names = ['shop'] + ['own%d' % (i + 1) for i in range(len(OWN_SITES))]
    result = {'cases': {}}
    stubs, proxies = {}, {}
    with Sandbox(site_names=names, pod_delay=0, controller=False, ingress=True, path_routed=False) as box:
        try:
            for code, message in (('ExpiredToken', 'The security token included in the request is expired'),
                                  ('InvalidClientTokenId', 'The security token included in the request is invalid.')):
                stubs[code] = ErrorStub(code, message).start()
            box.stubs = stubs
            _decoy(box.kube)
            result['listeners_before'] = [listener_state(box, i) for i in range(len(names))]
            result['cluster_before'] = cluster_state(box)
            box.kube.clear_log()
            _run_all(box, workdir, proxies, result, own_site=False)
            result['cluster_after'] = cluster_state(box)
            result['kube_writes'] = [list(r) for r in box.kube.request_log if r.method not in ('GET', 'HEAD')]
            # The cases that went ahead last (findings): each on a site of its own, looked at one by one.
            _run_all(box, workdir, proxies, result, own_site=True)
            result['listeners_after'] = [listener_state(box, i) for i in range(len(names))]
            result['cluster_final'] = cluster_state(box)
        finally:
            for server in list(proxies.values()) + list(stubs.values()):
                server.stop()
    result['seconds'] = time.time() - started
    return result


def _case_vars(box, case, endpoint, workdir):
    index = site_index(case)
    values = site_vars(box, index, sorry_aws_endpoint_url=endpoint, sorry_eks_outage='auto',
                       sorry_verify_timeout=3, sorry_verify_delay=1, sorry_ingress_timeout=5)
    values.update(case.make(box, box.sites[index], workdir))
    return values


def _run_all(box, workdir, proxies, result, own_site):
    """One run per entry point for all its cases (a host each); the module cases as the tasks of one play."""
    for entry in ('on', 'prepare', 'on-no-credentials'):
        cases = [c for c in CASES if c.entry == entry and c.own_site == own_site]
        if not cases:
            continue
        hosts = {}
        for case in cases:
            proxies[case.key] = CountingProxy(box.moto.url).start()
            hosts[case.key] = _case_vars(box, case, proxies[case.key].url, workdir)
        inventory = os.path.join(workdir, 'inventory-%s-%s.yml' % (entry, own_site))
        with open(inventory, 'w', encoding='utf-8') as handle:
            yaml.safe_dump({'sorry_sites': {'hosts': hosts}}, handle)
        env = NO_CREDENTIALS if entry == 'on-no-credentials' else None
        res = run_playbook(playbook(entry.split('-', maxsplit=1)[0]), inventory=inventory, env=env, timeout=300)
        for case in cases:
            task, msg = _failure([(name, r) for name, _h, r in res.tasks(case.key)])
            result['cases'][case.key] = {'task': task, 'msg': msg, 'calls': dict(proxies[case.key].snapshot()),
                                         'stderr': res.stderr[-2000:]}
    modules = [c for c in CASES if c.entry == 'module' and c.own_site == own_site]
    if not modules:
        return
    tasks = []
    for case in modules:
        proxies[case.key] = CountingProxy(box.moto.url).start()
        defaults = {'group/sorrypage.aws.aws': {'region': 'us-east-1', 'endpoint_url': proxies[case.key].url}}
        tasks.append({'name': case.key, 'ignore_errors': True, 'module_defaults': defaults,
                      'sorrypage.aws.alb_sorry_rule': case.make(box, box.sites[site_index(case)], workdir)})
    path = os.path.join(workdir, 'modules.yml')
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump([{'hosts': 'localhost', 'gather_facts': False, 'connection': 'local', 'tasks': tasks}], handle)
    res = run_playbook(path, inventory='localhost,')
    for case in modules:
        task, msg = _failure([(name, r) for name, _h, r in res.tasks('localhost') if name == case.key])
        result['cases'][case.key] = {'task': task, 'msg': msg, 'calls': dict(proxies[case.key].snapshot()),
                                     'stderr': res.stderr[-2000:]}


def _param(case):
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.key, marks=marks)


@pytest.mark.parametrize('case', [_param(c) for c in CASES])
def test_bad_input_is_refused_before_any_change_with_a_clear_message(outcome, case):
    got = outcome['cases'][case.key]
    assert got['task'] is not None, '%s was not refused: %s' % (case.text, got.get('stderr'))
    for part in case.expect:
        assert part in got['msg'], '%s: %r not in the message %r' % (case.text, part, got['msg'])
    writes = {op: n for op, n in got['calls'].items() if op in WRITE_CALLS}
    assert writes == {}, '%s: AWS was written before the refusal: %s' % (case.text, writes)
    index = site_index(case)
    assert outcome['listeners_after'][index] == outcome['listeners_before'][index], '%s changed the listeners' % case.text
    namespace = 'own%d' % index if index else 'shop'
    ingresses = [k for k in outcome['cluster_before'] if k.startswith('ingresses/%s/' % namespace)]
    assert ingresses and all(outcome['cluster_final'][k] == outcome['cluster_before'][k] for k in ingresses), \
        '%s changed an Ingress' % case.text
    controller = json.loads(outcome['cluster_final'][CONTROLLER])
    holders = json.loads((controller['annotations'] or {}).get(HOLDERS, '[]'))
    assert case.key not in holders, '%s paused the controller (a holder in %s)' % (case.text, HOLDERS)


def test_the_cluster_is_unchanged_and_saw_no_write(outcome):
    """After the runs of every case but the findings (those come after, on sites of their own)."""
    print('bad input: %d cases, 5 ansible-playbook runs against one sandbox: %.1f s'
          % (len(CASES), outcome['seconds']))
    assert outcome['cluster_after'] == outcome['cluster_before']
    assert outcome['kube_writes'] == []


def trimmed(message):
    """The message without what varies from run to run (ARNs, ports, names of the sandbox, paths)."""
    text = re.sub(r'arn:aws:[a-z0-9-]+:[a-z0-9-]*:\d*:[A-Za-z0-9/._:-]+', '<arn>', message)
    text = re.sub(r'k8s-[a-z0-9]+-main-[0-9a-f]+', '<load-balancer>', text)
    text = re.sub(r'\d+ s in the past', '<n> s in the past', text)
    text = re.sub(r'now is [0-9T:.+-]+Z?', 'now is <now>', text)
    text = re.sub(r'\(\d+ rounds of', '(<n> rounds of', text)
    text = re.sub(r'(127\.0\.0\.1|localhost):\d+', r'\1:<port>', text)
    text = re.sub(r'/[^\s\'"]*/(long-page|missing-asset)', r'<dir>/\1', text)
    return ' '.join(text.split()).replace('|', '\\|')


def render_errors_md(outcome):
    lines = [
        '# Errors: bad input and what it says',
        '',
        '<!-- Generated by tests/integration/test_bad_input.py from its cases: do not edit. Regenerate with',
        '     %s=1 python -m pytest -q -p no:cacheprovider tests/integration/test_bad_input.py -->' % WRITE_ENV,
        '',
        'Each input is refused before anything is changed (listener rules, priorities, tags, Ingresses, the',
    ] + ([
        "controller's Deployment: the test compares them before and after), except where a **Finding** says",
        'otherwise: there the collection falls short today and the message shown is what the run ends with.',
    ] if any(case.xfail for case in CASES) else [
        "controller's Deployment: the test compares them before and after).",
    ]) + [
        'The message is the one the run prints, with ARNs, ports, times and sandbox names replaced by',
        'placeholders. "Entry" is the playbook (`maintenance_<entry>.yml`) or the module that refused it. With',
        '`sorry_driver: auto` the sandbox site is switched by the Ingress driver; "(ALB driver)" rows set',
        '`sorry_driver: alb`.',
        '',
        'Credentials: the expired and unknown-key rows come from an endpoint answering as AWS does',
        '(`ExpiredToken`, `InvalidClientTokenId`); moto without IAM enforcement accepts any key, so against',
        'the sandbox a made-up key works.',
        '',
        '| Input | Entry | Message |',
        '| --- | --- | --- |',
    ]
    for case in CASES:
        got = outcome['cases'][case.key]
        entry = 'alb_sorry_rule' if case.entry == 'module' else case.entry.split('-', maxsplit=1)[0]
        message = trimmed(got['msg']) or '(not refused)'
        if case.xfail:
            message = '**Finding:** %s. The run ends with: %s' % (case.xfail, message)
        lines.append('| %s | %s | %s |' % (case.text.replace('|', '\\|'), entry, message))
    return '\n'.join(lines) + '\n'


def test_docs_errors_md_is_generated_from_these_cases(outcome):
    text = render_errors_md(outcome)
    if os.environ.get(WRITE_ENV):
        with open(ERRORS_MD, 'w', encoding='utf-8') as handle:
            handle.write(text)
    with open(ERRORS_MD, encoding='utf-8') as handle:
        committed = handle.read()
    assert committed == text, ('docs/errors.md differs from what the cases say; regenerate it: %s=1 python -m pytest -q '
                               '-p no:cacheprovider tests/integration/test_bad_input.py' % WRITE_ENV)
