"""The runbook end to end: the real maintenance playbooks against the sandbox.

Each test seeds fresh ALBs in the moto server (shaped like ones the AWS Load
Balancer Controller manages: rules at priorities 1..N, a fixed 404 default
action), writes an inventory for them, and runs playbooks/maintenance_*.yml
through ansible-playbook. AWS calls go through a counting proxy, so "changes
nothing" is checked at the wire. The listener state is compared with
tests.sandbox.seed.snapshot_listener: every rule, priority, condition, action
and tag.
"""
import glob
import http.server
import itertools
import json
import os
import re
import sys
import threading

import pytest
import yaml

from tests.ansible_run import REPO, run_playbook
from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, DataPlane, request
from tests.sandbox.ports import free_port
from tests.sandbox.sample_app import SampleApp
from tests.sandbox.seed import seed_site, snapshot_listener

pytestmark = pytest.mark.sandbox_only

WRITE_CALLS = {'CreateRule', 'ModifyRule', 'DeleteRule', 'SetRulePriorities', 'AddTags', 'RemoveTags',
               'PutObject', 'CreateInvalidation', 'DeleteObject', 'DeleteObjects'}
BYPASS_HEADER = {'name': 'X-Sorry-Bypass', 'value': 'office-secret-4f1c2e9a7b'}
OPERATOR = 'alice'
_numbers = itertools.count(1)


# ----------------------------------------------------------------- helpers

def playbook(entry):
    return os.path.join(REPO, 'playbooks', 'maintenance_%s.yml' % entry)


def site_vars(site, endpoint, **extra):
    """A production-like site: two products by host, office CIDR, a secret header, passthrough."""
    values = {
        'ansible_connection': 'local',
        'ansible_python_interpreter': sys.executable,
        'sorry_region': 'us-east-1',
        'sorry_aws_endpoint_url': endpoint,
        'sorry_load_balancer_name': site['load_balancer_name'],
        'sorry_pages': [{'name': 'shop', 'page': 'en', 'hosts': [site['hosts'][0]]},
                        {'name': 'blog', 'page': 'ja', 'hosts': [site['hosts'][1]]}],
        'sorry_bypass_cidrs': ['127.0.0.2/32'],
        'sorry_bypass_headers': [BYPASS_HEADER],
        'sorry_bypass_mirror': True,
        'sorry_passthrough_paths': ['/healthz'],
        'sorry_reason': 'Database upgrade',
        'sorry_until': '2030-05-01T06:00:00Z',
        'sorry_status_url': 'https://status.example.test/',
        'sorry_public_url': 'https://d111111abcdef8.cloudfront.net/sorry',
        'sorry_operator': OPERATOR,
        # No Kubernetes API here: the controller step has its own tests (lbc_pause).
        'sorry_eks_outage': 'false',
    }
    values.update(extra)
    return values


class Runbook:
    """An inventory of sites (host name -> vars) and a way to run the playbooks on it."""

    def __init__(self, tmp_path, sites):
        self.path = str(tmp_path / ('inventory-%d.yml' % next(_numbers)))
        with open(self.path, 'w', encoding='utf-8') as handle:
            yaml.safe_dump({'sorry_sites': {'hosts': sites}}, handle, allow_unicode=True)

    def run(self, entry, extra_vars=None, fqcn=False, **kwargs):
        name = 'sorrypage.aws.maintenance_%s' % entry if fqcn else playbook(entry)
        return run_playbook(name, inventory=self.path, extra_vars=extra_vars, **kwargs)


def listener_state(moto, site):
    elbv2 = moto.client('elbv2')
    return {port: snapshot_listener(elbv2, arn) for port, arn in site['listeners'].items()}


def owned_rules(moto, listener_arn):
    """Every rule this collection owns on a listener (by its ownership tag), in priority order."""
    elbv2 = moto.client('elbv2')
    rules = [r for r in elbv2.describe_rules(ListenerArn=listener_arn)['Rules'] if not r['IsDefault']]
    tags = {}
    for i in range(0, len(rules), 20):
        for desc in elbv2.describe_tags(ResourceArns=[r['RuleArn'] for r in rules[i:i + 20]])['TagDescriptions']:
            tags[desc['ResourceArn']] = {t['Key']: t['Value'] for t in desc['Tags']}
    found = []
    for rule in rules:
        rule_tags = tags.get(rule['RuleArn'], {})
        if 'sorrypage:rule' in rule_tags:
            found.append({'arn': rule['RuleArn'], 'priority': int(rule['Priority']), 'kind': rule_tags['sorrypage:kind'],
                          'name': rule_tags['sorrypage:rule'], 'conditions': rule['Conditions'],
                          'actions': rule['Actions'], 'tags': rule_tags})
    return sorted(found, key=lambda r: r['priority'])


def sorry_rules(moto, listener_arn):
    return [r for r in owned_rules(moto, listener_arn) if r['kind'] == 'sorry']


def body(rule):
    return rule['actions'][0]['FixedResponseConfig']['MessageBody']


def host_of(rule):
    for cond in rule['conditions']:
        if cond['Field'] == 'host-header':
            return (cond.get('HostHeaderConfig') or {}).get('Values') or cond.get('Values')
    return None


def writes(counter):
    return {op: n for op, n in counter.snapshot().items() if op in WRITE_CALLS}


def results(res, name, host=None):
    """Every result of the tasks whose name ends with ``name`` (role prefixes vary)."""
    return [r for tname, _h, r in res.tasks(host) if tname == name or tname.endswith(' : ' + name)]


def messages(res, name, host=None):
    """The msg of a debug task, as one string."""
    out = []
    for r in results(res, name, host):
        msg = r.get('msg', '')
        out.append('\n'.join(msg) if isinstance(msg, list) else str(msg))
    return '\n'.join(out)


def failure(res):
    """Every failure message of a run, as one string."""
    return '\n'.join(str(r.get('msg', '')) for _t, _h, r in res.tasks() if r.get('failed'))


def changed_count(res, host):
    return res.stats().get(host, {}).get('changed')


def assert_ok(res):
    assert res.rc == 0, 'rc=%s\nfailures: %s\nstderr: %s' % (res.rc, failure(res), res.stderr[-3000:])


class StaticServer:
    """A tiny HTTP server answering ``status`` to everything (an application behind the bypass)."""

    def __init__(self, status, body=b'application error\n'):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # pylint: disable=invalid-name
                outer.requests.append(dict(self.headers.items()))
                self.send_response(status)
                self.send_header('Content-Type', 'text/plain')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

        self.requests = []
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d/' % self.port
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def second_site(moto):
    return seed_site(moto, name='blogco%d' % next(_numbers), hosts=('news.example.test', 'docs.example.test'))


@pytest.fixture()
def app():
    with SampleApp() as application:
        yield application


# ----------------------------------------------------------------- inputs and docs

ROLES = ('maintenance',)


def _load(role, path):
    with open(os.path.join(REPO, 'roles', role, path), encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def test_every_documented_default_matches_defaults_main_and_roles_agree():
    """argument_specs defaults are documentation; defaults/main.yml is what ansible uses. They must agree."""
    master = _load('maintenance', 'defaults/main.yml')
    for role in ROLES:
        defaults = _load(role, 'defaults/main.yml')
        for key, value in defaults.items():
            assert key.startswith('sorry_'), '%s: %s is not a public sorry_ variable' % (role, key)
            assert master.get(key) == value, '%s/defaults %s=%r differs from maintenance %r' % (role, key, value, master.get(key))
        specs = _load(role, 'meta/argument_specs.yml')['argument_specs']
        for entry, spec in specs.items():
            for name, option in spec['options'].items():
                assert option.get('description'), '%s %s %s has no description' % (role, entry, name)
                assert option.get('type'), '%s %s %s has no type' % (role, entry, name)
                if 'default' in option:
                    assert name in defaults, '%s %s: %s has a documented default but none in defaults/main.yml' % (
                        role, entry, name)
                    assert str(option['default']).lower() == str(defaults[name]).lower(), (
                        '%s %s: %s documented default %r, defaults/main.yml %r' % (role, entry, name, option['default'],
                                                                                   defaults[name]))
                else:
                    assert defaults.get(name) is None or option.get('required'), (
                        '%s %s: %s has a default in defaults/main.yml but none documented' % (role, entry, name))
    # The EKS-outage inputs pass through to lbc_pause: same defaults there.
    lbc = _load('lbc_pause', 'defaults/main.yml')
    for key in sorted(set(lbc) & set(master)):
        assert lbc[key] == master[key], 'lbc_pause default %s=%r, maintenance %r' % (key, lbc[key], master[key])


def test_the_maintenance_role_is_the_only_public_surface():
    """Its argument specs and defaults hold every public variable once; the driver roles and sorry_assets have none
    (lbc_pause stays a role of its own for release playbooks that pause the controller themselves)."""
    for role in sorted(os.listdir(os.path.join(REPO, 'roles'))):
        if role in ('maintenance', 'lbc_pause'):
            continue
        for path in ('defaults/main.yml', 'meta/argument_specs.yml'):
            assert not os.path.exists(os.path.join(REPO, 'roles', role, path)), '%s/%s: inputs belong to maintenance' % (role, path)
    assert os.path.isdir(os.path.join(REPO, 'roles', 'driver_alb', 'tasks'))


def test_every_public_variable_is_documented_in_variables_md():
    with open(os.path.join(REPO, 'docs', 'variables.md'), encoding='utf-8') as handle:
        text = handle.read()
    names = set()
    for role in ROLES:
        for spec in _load(role, 'meta/argument_specs.yml')['argument_specs'].values():
            names.update(spec['options'])
    missing = sorted(n for n in names if '`%s`' % n not in text)
    assert not missing, 'not in docs/variables.md: %s' % missing


def test_every_sorry_name_the_roles_register_or_set_is_known_to_the_unknown_variables_check():
    """A second entry point in the same play sees what the first registered: it must not call it a typo."""
    known = set(_load('maintenance', 'vars/main.yml')['__sorry_known_outputs'])
    set_here = set()
    for path in glob.glob(os.path.join(REPO, 'roles', '*', 'tasks', '*.yml')):
        with open(path, encoding='utf-8') as handle:
            text = handle.read()
        set_here.update(re.findall(r'register: (sorry_[a-z_]+)', text))
        for indent, block in re.findall(r'^( *)\S.*set_fact:\n((?:\1 +\S.*\n)+)', text, re.M):
            set_here.update(re.findall(r'^%s  +(sorry_[a-z_]+):' % indent, block, re.M))
    assert 'sorry_lbc' in set_here and 'sorry_rules_info' in set_here
    assert not sorted(set_here - known), 'add to __sorry_known_outputs: %s' % sorted(set_here - known)
    with open(os.path.join(REPO, 'docs', 'variables.md'), encoding='utf-8') as handle:
        text = handle.read()
    assert not sorted(n for n in known if '`%s`' % n not in text), 'not in docs/variables.md'


def test_maintenance_entry_points_are_the_five_steps():
    specs = _load('maintenance', 'meta/argument_specs.yml')['argument_specs']
    assert sorted(specs) == ['off', 'on', 'prepare', 'status', 'verify']
    for entry in specs:
        assert os.path.isfile(os.path.join(REPO, 'roles', 'maintenance', 'tasks', '%s.yml' % entry))
        assert os.path.isfile(playbook(entry))


def test_example_inventory_parses_without_a_vault_password():
    import subprocess  # pylint: disable=import-outside-toplevel
    from tests.ansible_run import ansible_env  # pylint: disable=import-outside-toplevel
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i',
                           os.path.join(REPO, 'inventories', 'example'), '--list'],
                          cwd=REPO, env=ansible_env(), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert 'WARNING' not in proc.stderr, proc.stderr
    data = yaml.safe_load(proc.stdout)
    site = data['_meta']['hostvars']['prod-web']
    assert [p['hosts'] for p in site['sorry_pages']] == [['shop.example.com', 'www.shop.example.com'], ['blog.example.com']]
    # The header value is a reference to a vault variable, defined in no loaded file.
    assert site['sorry_bypass_headers'] == [{'name': 'X-Sorry-Bypass', 'value': '{{ vault_sorry_bypass_header_value }}'}]
    assert 'vault_sorry_bypass_header_value' not in site


def test_bad_input_fails_before_any_task_and_any_aws_call(tmp_path, moto, counter, site):
    cases = [
        ({'sorry_make_room': 'sometimes'}, 'value of sorry_make_room must be one of: auto, true, false, got: sometimes'),
        ({'sorry_pages': [{'name': 'shop'}]}, 'missing required arguments: page found in sorry_pages'),
        ({'sorry_listener_ports': ['https']},
         "Elements value for option 'sorry_listener_ports' is of type str and we were unable to convert to int"),
        ({'sorry_bypass_headers': [BYPASS_HEADER, {'name': 'X-Other'}]},
         'missing required arguments: value found in sorry_bypass_headers'),
    ]
    for extra, message in cases:
        book = Runbook(tmp_path, {'shop': site_vars(site, counter.url, **extra)})
        counter.reset()
        res = book.run('on')
        assert res.rc != 0
        assert message in failure(res), failure(res)
        assert counter.snapshot() == {}, 'AWS was called before the inputs were checked: %s' % counter.snapshot()
        assert not results(res, 'Render the Sorry pages locally')
        assert BYPASS_HEADER['value'] not in res.stdout + res.stderr


def test_an_unknown_sorry_variable_fails_before_any_aws_call_and_names_the_closest(tmp_path, moto, counter, site):
    """A typo (inventory or -e) would be silently ignored: every entry point refuses it first."""
    book = Runbook(tmp_path, {'shop': site_vars(site, counter.url, sorry_bypass_cidr=['10.0.0.0/8'])})
    for entry, extra in (('on', {'sorry_reasn': 'db upgrade'}), ('off', None), ('status', None)):
        counter.reset()
        res = book.run(entry, extra_vars=extra)
        assert res.rc != 0
        text = failure(res)
        assert 'unknown variable sorry_bypass_cidr: did you mean sorry_bypass_cidrs?' in text, text
        if extra:
            assert 'unknown variable sorry_reasn: did you mean sorry_reason?' in text, text
        assert text.startswith('Nothing was changed: '), text
        assert counter.snapshot() == {}, 'AWS was called before the names were checked: %s' % counter.snapshot()
        assert not results(res, 'Render the Sorry pages on the control node')
    # The playbooks' own variables and what the roles register are known.
    counter.reset()
    res = Runbook(tmp_path, {'shop': site_vars(site, counter.url)}).run(
        'status', extra_vars={'sorry_target': 'sorry_sites', 'sorry_play_strategy': 'linear', 'sorry_assets_build': {}})
    assert_ok(res)


def test_inputs_wrong_for_the_alb_fail_before_any_write(tmp_path, moto, counter, site):
    before = listener_state(moto, site)
    cases = [
        ({'sorry_pages': [{'name': 'shop', 'page': 'en'}, {'name': 'shop', 'page': 'ja'}]},
         'Nothing was changed: sorry_pages names must be unique, got shop, shop (shop more than once)'),
        ({'sorry_listener_ports': [80, 8080]},
         "listener_ports 8080 not found on load balancer '%s' (its listeners: 80, 443)" % site['load_balancer_name']),
        ({'sorry_load_balancer_name': 'no-such-alb'}, "load balancer 'no-such-alb' was not found"),
        # Found by the switch run before its first write, on every listener (the first version put passthrough
        # rules on and moved the controller's rules before it failed).
        ({'sorry_bypass_cidrs': ['198.51.100.300/32']},
         "invalid input, nothing was changed: rule_sets[2] (bypass 'bypass'): source_ips: '198.51.100.300/32' is not an "
         "IPv4 or IPv6 CIDR"),
    ]
    for extra, message in cases:
        book = Runbook(tmp_path, {'shop': site_vars(site, counter.url, **extra)})
        counter.reset()
        res = book.run('on')
        assert res.rc != 0
        assert message in failure(res), failure(res)
        assert writes(counter) == {}
    assert listener_state(moto, site) == before


def test_an_alb_whose_listeners_only_redirect_is_refused(tmp_path, moto, counter):
    redirect_only = seed_site(moto, name='redir%d' % next(_numbers), https=False, redirect_http=True)
    book = Runbook(tmp_path, {'r': site_vars(redirect_only, counter.url)})
    counter.reset()
    res = book.run('on')
    assert res.rc != 0
    assert ("no listener to work on on load balancer '{0}' (every listener only redirects: 80); nothing was changed".format(
        redirect_only['load_balancer_name'])) in failure(res), failure(res)
    assert writes(counter) == {}


# ----------------------------------------------------------------- on / status / off

def test_round_trip_on_status_off_leaves_the_listeners_exactly_as_before(tmp_path, moto, counter, site):
    before = listener_state(moto, site)
    book = Runbook(tmp_path, {'shop': site_vars(site, counter.url, sorry_passthrough_paths=['/healthz'])})

    res = book.run('on')
    assert_ok(res)
    for port, arn in site['listeners'].items():
        rules = owned_rules(moto, arn)
        kinds = [(r['kind'], r['name']) for r in rules]
        # Passthrough per product, bypass copies (mirror: one per controller rule and the default action, per
        # condition type), then one sorry rule per product, all before the controller's rules.
        assert kinds[:2] == [('bypass', 'passthrough-shop'), ('bypass', 'passthrough-blog')], kinds
        assert kinds[2:-2] == [('bypass', 'bypass')] * 8, kinds
        assert kinds[-2:] == [('sorry', 'shop'), ('sorry', 'blog')], kinds
        owned = {r['arn'] for r in rules}
        foreign = [int(r[0]) for r in snapshot_listener(moto.client('elbv2'), arn) if r[0] != 'default' and r[1] not in owned]
        assert len(foreign) == 3 and rules[-1]['priority'] < min(foreign), 'owned rules must come before the foreign ones'
        shop, blog = rules[-2], rules[-1]
        assert host_of(shop) == [site['hosts'][0]] and host_of(blog) == [site['hosts'][1]]
        assert shop['actions'][0]['FixedResponseConfig']['StatusCode'] == '503'
        assert re.search(r'<html lang="?en', body(shop)) and re.search(r'<html lang="?ja', body(blog))
        for rule in (shop, blog):
            tags = rule['tags']
            assert tags['sorrypage:by'] == OPERATOR
            assert tags['sorrypage:why'] == 'Database upgrade'
            assert re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$', tags['sorrypage:at'])
            assert tags['sorrypage:marker'] in body(rule)
        # The header value never shows up in the output.
    assert BYPASS_HEADER['value'] not in res.stdout + res.stderr

    # status needs no secret: the header value here refers to a vault variable nobody loaded.
    no_vault = Runbook(tmp_path, {'shop': site_vars(site, counter.url, sorry_bypass_headers=[
        {'name': 'X-Sorry-Bypass', 'value': '{{ vault_sorry_bypass_header_value }}'}])})
    counter.reset()
    status = no_vault.run('status')
    assert_ok(status)
    # The driver is chosen from the site (sorry_driver auto): the ALB driver uses that read, it reads no second time.
    assert counter.snapshot()['DescribeListeners'] == 1, counter.snapshot()
    text = messages(status, 'Show the maintenance status of the site')
    assert 'ON' in text and OPERATOR in text and 'Database upgrade' in text, text
    assert 'shop.example.test' in text and 'chars' in text, text
    assert BYPASS_HEADER['value'] not in status.stdout
    assert changed_count(status, 'shop') == 0

    counter.reset()
    res = book.run('off')
    assert_ok(res)
    # One read to choose the driver (used again for the probe), one by the switch run.
    assert counter.snapshot()['DescribeListeners'] == 2, counter.snapshot()
    assert listener_state(moto, site) == before

    status = book.run('status')
    assert_ok(status)
    assert 'off' in messages(status, 'Show the maintenance status of the site')


def test_on_twice_and_off_twice_the_second_writes_nothing(tmp_path, moto, counter, site):
    before = listener_state(moto, site)
    book = Runbook(tmp_path, {'shop': site_vars(site, counter.url)})
    assert_ok(book.run('on'))
    state_on = listener_state(moto, site)

    counter.reset()
    res = book.run('on', fqcn=True)  # the same playbook, by its name in the collection
    assert_ok(res)
    assert results(res, ON_TASK)
    assert writes(counter) == {}, counter.snapshot()
    assert changed_count(res, 'shop') == 0
    assert listener_state(moto, site) == state_on

    assert_ok(book.run('off'))
    counter.reset()
    res = book.run('off')
    assert_ok(res)
    assert writes(counter) == {}
    assert changed_count(res, 'shop') == 0
    assert results(res, OFF_TASK)[0].get('skipped') is True
    assert 'shop: maintenance off on %s' % site['load_balancer_name'] in messages(res, 'Summary')
    assert listener_state(moto, site) == before


def test_off_after_an_on_interrupted_after_the_first_listener(tmp_path, moto, counter, site):
    before = listener_state(moto, site)
    book = Runbook(tmp_path, {'shop': site_vars(site, counter.url)})
    # What an `on` cut after its first listener leaves: HTTP:80 fully on, HTTPS:443 untouched.
    assert_ok(book.run('on', extra_vars={'sorry_listener_ports': [80]}))
    assert owned_rules(moto, site['listeners'][80]) and not owned_rules(moto, site['listeners'][443])
    assert listener_state(moto, site)[443] == before[443]

    res = book.run('off')  # another machine would know nothing more: everything comes from the ALB
    assert_ok(res)
    assert listener_state(moto, site) == before


def test_off_after_an_on_cut_between_bypass_and_sorry(tmp_path, moto, counter, site):
    before = listener_state(moto, site)
    book = Runbook(tmp_path, {'shop': site_vars(site, counter.url)})
    # Only the bypass rules (and the priority shift) made it: an `on` with no page does exactly that.
    assert_ok(book.run('on', extra_vars={'sorry_pages': []}))
    for arn in site['listeners'].values():
        assert {r['kind'] for r in owned_rules(moto, arn)} == {'bypass'}
    assert listener_state(moto, site) != before
    status = book.run('status')
    assert_ok(status)
    assert 'bypass rules without a sorry rule' in messages(status, 'Show the maintenance status of the site')
    assert_ok(book.run('off'))
    assert listener_state(moto, site) == before


def test_two_sites_with_forks_then_limit_one(tmp_path, moto, counter, site, second_site):
    before = {'a': listener_state(moto, site), 'b': listener_state(moto, second_site)}
    book = Runbook(tmp_path, {'a': site_vars(site, counter.url), 'b': site_vars(second_site, counter.url)})
    res = book.run('on', forks=2)
    assert_ok(res)
    for name, seeded in (('a', site), ('b', second_site)):
        assert changed_count(res, name) > 0
        for arn in seeded['listeners'].values():
            assert {r['name'] for r in sorry_rules(moto, arn)} == {'shop', 'blog'}

    res = book.run('off', limit='a')
    assert_ok(res)
    assert listener_state(moto, site) == before['a']
    assert all(owned_rules(moto, arn) for arn in second_site['listeners'].values())
    assert results(res, 'Read the ALB (its controller tags, and rules of ours)', 'a')
    assert not results(res, 'Read the ALB (its controller tags, and rules of ours)', 'b')

    assert_ok(book.run('off', forks=2))
    assert listener_state(moto, second_site) == before['b']


ON_TASK = 'Put bypass, passthrough and sorry rules on every listener, in one run'
OFF_TASK = 'Remove sorry rules, then bypass and passthrough rules (moved rules go back), in one run'


def _site_sets(res, task):
    """(listener port, rule set result) of every rule set of the alb_sorry_site run(s) of ``task``, in write order."""
    return [(listener['port'], item) for r in results(res, task) for listener in r.get('listeners', [])
            for item in listener.get('rule_sets', [])]


def _predicted(res, task):
    """(listener port, kind, name) -> (changed, rules) of every rule set a run wrote or would write.

    ``rules`` are the set's rules as the module returns them, without what only
    a real run can know (ARNs, informational tags) and without priorities.
    """
    out = {}
    for port, item in _site_sets(res, task):
        rules = sorted(json.dumps([r['conditions'], r['actions']], sort_keys=True) for r in item.get('rules', []))
        out[(port, item['kind'], item['name'])] = (item['changed'], rules)
    return out


def _first_sets(res, task):
    """Priorities and moves of the first rule set on each listener: predicted exactly, even in check mode."""
    out = {}
    for port, item in _site_sets(res, task):
        if port not in out:
            out[port] = ([r['priority'] for r in item['rules']], sorted((m['from'], m['to']) for m in item['moved_rules']))
    return out


def test_check_diff_predicts_on_and_off_and_changes_nothing(tmp_path, moto, counter, site):
    before = listener_state(moto, site)
    book = Runbook(tmp_path, {'shop': site_vars(site, counter.url)})
    on_task, off_task = ON_TASK, OFF_TASK

    counter.reset()
    nowhere = 'http://127.0.0.1:%d/' % free_port()  # never probed in check mode
    check = book.run('on', check=True, diff=True, extra_vars={'sorry_verify_url': nowhere})
    assert_ok(check)
    assert writes(counter) == {}
    assert listener_state(moto, site) == before
    predicted = _predicted(check, on_task)
    assert len(predicted) == 2 * 5 and all(changed for changed, _r in predicted.values())
    assert all(rules for _c, rules in predicted.values())
    assert all(r.get('diff') for r in results(check, on_task)) and results(check, on_task)
    assert 'verify skipped for shop: check mode' in messages(check, 'Say why nothing is probed')
    first = _first_sets(check, on_task)
    assert all(moves for _p, moves in first.values()), 'the shift of the controller rules is predicted'

    real = book.run('on')
    assert_ok(real)
    assert _predicted(real, on_task) == predicted
    assert _first_sets(real, on_task) == first

    state_on = listener_state(moto, site)
    counter.reset()
    check = book.run('off', check=True, diff=True)
    assert_ok(check)
    assert writes(counter) == {}
    assert listener_state(moto, site) == state_on
    predicted = _predicted(check, off_task)
    assert len(predicted) == 2 * 5 and all(changed for changed, _r in predicted.values())

    real = book.run('off')
    assert_ok(real)
    assert _predicted(real, off_task) == predicted
    assert listener_state(moto, site) == before


def test_reason_with_characters_tags_refuse_and_too_long_still_puts_the_page_up(tmp_path, moto, counter, site):
    before = listener_state(moto, site)
    reason = 'DB <upgrade> & "cache" - 100% «fertig» ✓; ' + 'very long explanation ' * 120
    book = Runbook(tmp_path, {'shop': site_vars(site, counter.url, sorry_reason=reason)})
    res = book.run('on')
    assert_ok(res)
    build = results(res, 'Render the Sorry pages locally', 'shop')[0]
    assert all(page['shortened'] for page in build['pages'].values())
    assert any('reason' in w for w in build.get('warnings', [])), build.get('warnings')
    for arn in site['listeners'].values():
        sorry = sorry_rules(moto, arn)
        assert len(sorry) == 2
        for rule in sorry:
            text = body(rule)
            assert len(text) <= 1024
            assert 'DB &lt;upgrade' in text and '<upgrade' not in text  # escaped (minified: &lt; is enough)
            assert '\u2026' in text  # the ellipsis of the shortened reason
            why = rule['tags']['sorrypage:why']
            assert len(why) <= 256 and '<' not in why and '«' not in why and '%' not in why, why
            assert why.startswith('DB _upgrade_ _ _cache_ - 100_ _fertig_ __ ')
    assert_ok(book.run('off'))
    assert listener_state(moto, site) == before


# ----------------------------------------------------------------- probes: verify and the off guard

@pytest.fixture()
def dataplane(moto, site, app):
    with DataPlane(moto.client('elbv2'), [site['load_balancer_arn']], app.url) as plane:
        yield plane


def verify_vars(dataplane, site, **extra):
    values = {'sorry_verify_url': dataplane.url_for(80) + '/', 'sorry_verify_headers': {'Host': site['hosts'][0]},
              'sorry_verify_timeout': 20, 'sorry_verify_delay': 1}
    values.update(extra)
    return values


def test_on_and_off_verify_through_the_data_plane(tmp_path, moto, counter, site, app, dataplane):
    before = listener_state(moto, site)
    book = Runbook(tmp_path, {'shop': site_vars(site, counter.url, **verify_vars(dataplane, site))})
    res = book.run('on')
    assert_ok(res)
    text = messages(res, 'Report what the public and a bypassed user get')
    assert 'public: OK - HTTP 503, the Sorry page (marker found)' in text, text
    assert 'bypass (header X-Sorry-Bypass): OK - HTTP 200, not the Sorry page' in text, text
    marker = [r for r in sorry_rules(moto, site['listeners'][80]) if r['name'] == 'shop'][0]['tags']['sorrypage:marker']
    for host in site['hosts']:
        public = request(dataplane.url_for(80) + '/deep/path?q=1', host=host, source_ip=PUBLIC_IP)
        office = request(dataplane.url_for(80) + '/deep/path?q=1', host=host, source_ip=OFFICE_IP)
        assert public.status == 503 and 'text/html' in public.headers['Content-Type']
        assert office.status == 200 and 'OK' in office.first_line
    assert marker in request(dataplane.url_for(80) + '/', host=site['hosts'][0], source_ip=PUBLIC_IP).text

    res = book.run('verify')
    assert_ok(res)
    assert 'public: OK - HTTP 503, the Sorry page' in messages(res, 'Report what the public and a bypassed user get')

    res = book.run('off')
    assert_ok(res)
    assert 'the application answers HTTP 200 through the bypass (header X-Sorry-Bypass)' in messages(
        res, 'Say what the probe found')
    text = messages(res, 'Report what the public and a bypassed user get')
    assert 'maintenance OFF' in text and 'public: OK - HTTP 200, not the Sorry page' in text, text
    assert listener_state(moto, site) == before
    assert request(dataplane.url_for(80) + '/', host=site['hosts'][0], source_ip=PUBLIC_IP).status == 200


def test_off_refuses_while_the_app_fails_behind_the_bypass_and_force_goes_ahead(tmp_path, moto, counter, site, app,
                                                                                dataplane):
    before = listener_state(moto, site)
    book = Runbook(tmp_path, {'shop': site_vars(site, counter.url, **verify_vars(dataplane, site))})
    assert_ok(book.run('on'))
    state_on = listener_state(moto, site)

    app.broken = True
    counter.reset()
    res = book.run('off')
    assert res.rc != 0
    assert ('Maintenance stays ON for shop: through the bypass (header X-Sorry-Bypass), %s answered HTTP 503. '
            'Fix the application first, or set sorry_force_off=true' % (dataplane.url_for(80) + '/')) in failure(res)
    assert writes(counter) == {}
    assert listener_state(moto, site) == state_on
    assert BYPASS_HEADER['value'] not in res.stdout + res.stderr

    res = book.run('off', extra_vars={'sorry_force_off': True})
    assert_ok(res)
    assert ('WARNING: the application answers HTTP 503 through the bypass; switching off anyway (sorry_force_off)'
            in messages(res, 'Say what the probe found'))
    assert listener_state(moto, site) == before
    text = messages(res, 'Report what the public and a bypassed user get')
    assert 'public: OK - HTTP 503, not the Sorry page' in text and 'the application itself answers 503' in text, text


def test_off_refuses_when_the_app_does_not_answer_at_all(tmp_path, moto, counter, site):
    book = Runbook(tmp_path, {'shop': site_vars(site, counter.url)})
    assert_ok(book.run('on'))
    url = 'http://127.0.0.1:%d/' % free_port()  # nothing listens there
    res = book.run('off', extra_vars={'sorry_verify_url': url})
    assert res.rc != 0
    assert 'through the bypass (header X-Sorry-Bypass), %s answered nothing (' % url in failure(res), failure(res)
    assert all(owned_rules(moto, arn) for arn in site['listeners'].values())
    assert_ok(book.run('off', extra_vars={'sorry_verify_url': ''}))


def test_off_refuses_on_a_plain_503_server(tmp_path, moto, counter, site):
    """The guard with a bare application answering 503 as the verify URL (no data plane involved)."""
    book = Runbook(tmp_path, {'shop': site_vars(site, counter.url)})
    assert_ok(book.run('on'))
    with StaticServer(503) as server:
        res = book.run('off', extra_vars={'sorry_verify_url': server.url, 'sorry_verify_timeout': 3})
        assert res.rc != 0
        assert 'answered HTTP 503' in failure(res)
        assert server.requests and server.requests[0]['X-Sorry-Bypass'] == BYPASS_HEADER['value']
        res = book.run('off', extra_vars={'sorry_verify_url': server.url, 'sorry_force_off': True,
                                          'sorry_verify_timeout': 3})
        assert_ok(res)
    assert not any(owned_rules(moto, arn) for arn in site['listeners'].values())


def test_verify_from_a_bypassed_address_is_inconclusive(tmp_path, moto, counter, site, app, dataplane):
    # 127.0.0.1 (where the probes come from) is in the bypass list.
    values = site_vars(site, counter.url, sorry_bypass_cidrs=['127.0.0.1/32', '127.0.0.2/32'],
                       **verify_vars(dataplane, site, sorry_verify_timeout=3))
    book = Runbook(tmp_path, {'shop': values})
    res = book.run('on')
    assert res.rc != 0, 'a bypassed probe must not pass as a public one'
    text = failure(res)
    assert 'verify FAILED for shop' in text and 'Request without the bypass header, until it gets the expected answer' in text
    assert 'answered HTTP 200, not the Sorry page (no marker' in text, text
    assert all(owned_rules(moto, arn) for arn in site['listeners'].values()), 'the page stays up when verify fails'

    res = book.run('verify', extra_vars={'sorry_verify_source_is_bypassed': True})
    assert_ok(res)
    text = messages(res, 'Report what the public and a bypassed user get')
    assert 'public: INCONCLUSIVE - this control node is in the bypass list' in text, text
    assert_ok(book.run('off', extra_vars={'sorry_verify_source_is_bypassed': True}))


def test_verify_without_url_says_so(tmp_path, moto, counter, site):
    book = Runbook(tmp_path, {'shop': site_vars(site, counter.url)})
    res = book.run('verify')
    assert_ok(res)
    assert 'verify skipped for shop: sorry_verify_url is not set' in messages(res, 'Say why nothing is probed')
    assert counter.snapshot() == {}


# ----------------------------------------------------------------- prepare

def test_prepare_uploads_checks_and_dry_runs_without_touching_the_listeners(tmp_path, moto, counter, site, assets):
    before = listener_state(moto, site)
    book = Runbook(tmp_path, {'shop': site_vars(
        site, counter.url, sorry_assets_bucket=assets['bucket'], sorry_assets_prefix=assets['prefix'],
        sorry_public_url=assets['public_url'], sorry_cloudfront_distribution_id=assets['distribution_id'],
        sorry_preview_path='/_sorry-preview')})
    res = book.run('prepare')
    assert_ok(res)
    assert 'no preview: %s is managed by the AWS Load Balancer Controller' % site['load_balancer_name'] in messages(
        res, 'Report the preview rules')
    keys = [o['Key'] for o in moto.client('s3').list_objects_v2(Bucket=assets['bucket']).get('Contents', [])]
    assert any(k.endswith('preview/en.html') for k in keys) and any(k.endswith('.css') for k in keys), keys
    dry = [item for _port, item in _site_sets(res, ON_TASK)]
    assert dry and all(item['changed'] for item in dry)
    assert listener_state(moto, site) == before

    counter.reset()
    res = book.run('prepare')
    assert_ok(res)
    assert writes(counter) == {}
    assert listener_state(moto, site) == before


def test_prepare_fails_when_a_page_does_not_fit(tmp_path, moto, counter, site):
    book = Runbook(tmp_path, {'shop': site_vars(site, counter.url, sorry_reason='x' * 3000)})
    res = book.run('prepare')
    assert res.rc != 0
    assert 'characters' in failure(res) and 'en' in failure(res), failure(res)


def test_prepare_puts_the_preview_rule_on_an_alb_without_controller(tmp_path, moto, counter, plain_site):
    before = listener_state(moto, plain_site)
    # Rules numbered from 1 here too: without a controller, make_room must be asked for.
    values = site_vars(plain_site, counter.url, sorry_preview_path='/_sorry-preview', sorry_bypass_mirror=False,
                       sorry_make_room='true')
    book = Runbook(tmp_path, {'plain': values})
    assert_ok(book.run('prepare'))
    for arn in plain_site['listeners'].values():
        previews = [r for r in owned_rules(moto, arn) if r['kind'] == 'preview']
        assert sorted(r['name'] for r in previews) == ['preview-blog', 'preview-shop']
        assert all(r['actions'][0]['FixedResponseConfig']['StatusCode'] == '200' for r in previews)
    # on/off leave the preview rules alone; an empty preview path removes them.
    assert_ok(book.run('on'))
    assert_ok(book.run('off'))
    assert all(len([r for r in owned_rules(moto, arn) if r['kind'] == 'preview']) == 2
               for arn in plain_site['listeners'].values())
    assert_ok(book.run('prepare', extra_vars={'sorry_preview_path': ''}))
    assert listener_state(moto, plain_site) == before


# ----------------------------------------------------------------- warnings, embedding, the shipped sandbox inventory

def test_on_warns_about_a_dual_stack_alb_without_ipv6_bypass_and_about_no_bypass(tmp_path, moto, counter):
    dual = seed_site(moto, name='dual%d' % next(_numbers), ip_address_type='dualstack')
    book = Runbook(tmp_path, {'dual': site_vars(dual, counter.url, sorry_listener_ports=[80])})
    res = book.run('on')
    assert_ok(res)
    text = '\n'.join(results(res, ON_TASK)[0].get('warnings', []))
    assert ("load balancer '%s' is dual-stack but the bypass source addresses have no IPv6 range: office users on IPv6 "
            "get the Sorry page" % dual['load_balancer_name']) in text, text
    assert_ok(book.run('off'))

    book = Runbook(tmp_path, {'dual': site_vars(dual, counter.url, sorry_listener_ports=[80], sorry_passthrough_paths=[],
                                                sorry_bypass_cidrs=['127.0.0.2/32', '2001:db8::/48'])})
    res = book.run('on')
    assert_ok(res)
    assert not any('dual-stack' in w for w in results(res, ON_TASK)[0].get('warnings', []))
    assert_ok(book.run('off'))

    book = Runbook(tmp_path, {'dual': site_vars(dual, counter.url, sorry_listener_ports=[80], sorry_passthrough_paths=[],
                                                sorry_bypass_cidrs=[], sorry_bypass_headers=[])})
    res = book.run('on')
    assert_ok(res)
    assert ('WARNING: no bypass (sorry_bypass_cidrs, sorry_bypass_headers): internal users get the Sorry page too'
            in messages(res, 'Say what does not stop the switch'))
    status = book.run('status')
    assert 'HTTP:80: a sorry rule without its bypass: internal users get the Sorry page too' in messages(
        status, 'Show the maintenance status of the site')
    assert_ok(book.run('off'))


def test_release_example_keeps_the_page_on_when_a_step_fails(tmp_path, moto, counter, site):
    before = listener_state(moto, site)
    book = Runbook(tmp_path, {'shop': site_vars(site, counter.url)})
    example = os.path.join(REPO, 'playbooks', 'examples', 'release_with_maintenance.yml')

    res = run_playbook(example, inventory=book.path, extra_vars={'release_version': '2.14.0', 'release_fail': True})
    assert res.rc != 0
    assert ("Release 2.14.0 failed at 'Run the database migration (your step here)': migration of release 2.14.0 failed. "
            'The Sorry page STAYS ON for shop.') in failure(res), failure(res)
    assert all(len(sorry_rules(moto, arn)) == 2 for arn in site['listeners'].values())
    assert sorry_rules(moto, site['listeners'][80])[0]['tags']['sorrypage:why'] == 'Release 2.14.0 in progress.'
    assert 'maintenance ON' in messages(res, 'Show the maintenance status of the site')

    res = run_playbook(example, inventory=book.path, extra_vars={'release_version': '2.14.0'})
    assert_ok(res)
    assert 'maintenance off' in messages(res, 'Show the maintenance status of the site')
    assert listener_state(moto, site) == before


def test_the_local_inventory_drives_the_sandbox():
    """inventories/local with the environment the sandbox CLI prints: the whole runbook, as `make demo` runs it."""
    from tests.sandbox.sandbox import Sandbox  # pylint: disable=import-outside-toplevel
    inventory = os.path.join(REPO, 'inventories', 'local', 'hosts.yml')
    with Sandbox() as sandbox:
        seeded = sandbox.sites[0]
        before = listener_state(sandbox.moto, seeded)
        env = sandbox.env()
        runs = {}
        for entry in ('prepare', 'on', 'status', 'verify', 'off'):
            runs[entry] = run_playbook(playbook(entry), inventory=inventory, env=env)
            assert_ok(runs[entry])
            if entry == 'on':
                url = sandbox.url_for(80) + '/'
                public = request(url, host=seeded['hosts'][1], source_ip=PUBLIC_IP)
                office = request(url, host=seeded['hosts'][1], source_ip=OFFICE_IP)
                assert public.status == 503 and '<html lang=ja' in public.text
                assert office.status == 200
        assert 'page en:' in messages(runs['prepare'], 'Report the pages and the upload')
        assert 'public: OK - HTTP 503, the Sorry page (marker found)' in messages(
            runs['verify'], 'Report what the public and a bypassed user get')
        status = messages(runs['status'], 'Show the maintenance status of the site')
        assert 'maintenance ON' in status and 'controller: kube-system/aws-load-balancer-controller is paused' in status, status
        assert listener_state(sandbox.moto, seeded) == before


def test_mirror_auto_is_the_default_and_says_where_it_mirrors(tmp_path, moto, counter, site):
    """No target group given and listeners that route to several: the bypass keeps the application's routing."""
    values = site_vars(site, counter.url)
    del values['sorry_bypass_mirror']
    book = Runbook(tmp_path, {'shop': values})
    counter.reset()
    res = book.run('on', check=True)
    assert_ok(res)
    assert writes(counter) == {}
    text = messages(res, 'Say what the switch decided')
    assert ("bypass 'bypass' keeps the application's own routing (mirror auto) on HTTP:80, HTTPS:443: " in text), text
    sets = [s for listener in results(res, ON_TASK)[0]['listeners'] for s in listener['rule_sets'] if s['name'] == 'bypass']
    assert len(sets) == 2 and all(s['target_group_source'].startswith('mirror (auto: ') for s in sets), sets
