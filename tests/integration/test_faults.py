"""Faults at the wire: throttling and 5xx retried, a failure at each step of on and off converging on a rerun.

The modules talk to moto through tests/sandbox/fault_proxy.py (and to the
stand-in Kubernetes API through one of its own). Each module is run as Ansible
runs it on a host (``python -m <module> <args file>``: the module, its
argument spec and its exit, without an ansible-playbook around it), so a cell
costs a fraction of a second. amazon.aws's jittered backoff and botocore's own
retry delays are recorded instead of slept (the runner swaps ``time`` in
``amazon.aws...cloud`` and ``botocore.endpoint`` for a clock that records):
what is proven is that a call was retried and the run succeeded, not how long
a backoff lasts. ``AWS_MAX_ATTEMPTS=1`` leaves the retries to AWSRetry, the
modules' own, except in the cells that say they let the SDK retry.

The step x fault table is written to tests/output/faults.md.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import pytest

from tests.ansible_run import REPO
from tests.sandbox.fault_proxy import FaultProxy
from tests.sandbox.seed import seed_site, snapshot_listener

pytestmark = pytest.mark.sandbox_only

COLLECTIONS = os.path.join(REPO, '.collections')
OUTPUT = os.path.join(REPO, 'tests', 'output', 'faults.md')
SECRET = 'f4u17-b7p4ss-9c1e'
SITE = 'sorrypage.aws.alb_sorry_site'
RUNNER = r'''
import json, runpy, sys, time as _time
from ansible_collections.amazon.aws.plugins.module_utils import cloud
import botocore.endpoint
slept = []
class Clock(object):
    """time, but sleep() only records how long the backoff asked for."""
    def __getattr__(self, name):
        return getattr(_time, name)
    def sleep(self, seconds):
        slept.append(seconds)
cloud.time = botocore.endpoint.time = Clock()
sys.argv = sys.argv[1:]
try:
    runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)
finally:
    sys.stderr.write('\nSLEPT %s\n' % json.dumps(slept))
'''
_sites = iter(range(1, 10000))


class ModuleRun(dict):
    """A module's result, with the backoff delays it asked for in ``slept``."""
    slept = ()


def run_module_direct(module, args, env=None, timeout=120):
    """Runs one module once, as Ansible runs it on a host; returns its result (ModuleRun)."""
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': args}, handle)
        path = handle.name
    full_env = dict(os.environ, PYTHONPATH=COLLECTIONS, AWS_MAX_ATTEMPTS='1', AWS_RETRY_MODE='standard')
    full_env.update(env or {})
    name = 'ansible_collections.%s.plugins.modules.%s' % tuple(module.rsplit('.', 1))
    try:
        proc = subprocess.run([sys.executable, '-c', RUNNER, name, path], capture_output=True, text=True,
                              env=full_env, timeout=timeout, check=False, cwd=REPO)
    finally:
        os.unlink(path)
    try:
        result = ModuleRun(json.loads(proc.stdout[proc.stdout.index('{'):]))
    except ValueError:
        result = ModuleRun(failed=True, msg='no JSON from %s: %s' % (module, proc.stderr[-2000:]))
    marker = proc.stderr.rfind('SLEPT ')
    result.slept = json.loads(proc.stderr[marker + 6:].splitlines()[0]) if marker >= 0 else []
    assert SECRET not in proc.stdout + proc.stderr, 'the bypass header value reached the output of %s' % module
    return result


# --- the ALB driver's site ---------------------------------------------------------------------------------------

def new_site(moto):
    return seed_site(moto, name='flt%d' % next(_sites))


def site_args(site, state='present', page='shop is down', **overrides):
    shop, blog = site['hosts']
    args = dict(load_balancer_name=site['load_balancer_name'], region='us-east-1', state=state)
    if state == 'present':
        args.update(make_room=True, http_headers=[{'name': 'X-Sorry-Bypass', 'values': [SECRET]}],
                    tags={'sorrypage:by': 'faults', 'sorrypage:why': 'fault table'},
                    rule_sets=[
                        dict(kind='bypass', name='bypass', source_ips=['203.0.113.0/24'], use_http_headers=True,
                             target_group_arn=site['target_groups']['shop-web']),
                        dict(kind='sorry', name='shop', host_headers=[shop], content='<h1>%s</h1>' % page),
                        dict(kind='sorry', name='blog', host_headers=[blog], content='<h1>blog is down</h1>')])
    args.update(overrides)
    return args


def snapshot(moto, site):
    elbv2 = moto.client('elbv2')
    return dict((port, snapshot_listener(elbv2, arn)) for port, arn in sorted(site['listeners'].items()))


def normalized(site, snap):
    """A snapshot without what differs from site to site (ARNs, names): two sites in the same state compare equal."""
    names = [(arn, 'tg:' + svc) for svc, arn in site['target_groups'].items()]
    names += [(arn, 'listener:%d' % port) for port, arn in site['listeners'].items()]
    names += [(site['load_balancer_arn'], 'lb'), (site['load_balancer_name'], 'lb-name'), (site['name'], 'site')]
    out = {}
    for port, rules in snap.items():
        rows = []
        for priority, _arn, conditions, actions, tags in rules:
            # the hash of a rule's conditions and actions: those are compared, and the hash covers site ARNs
            tags = tuple((key, 'hash' if key == 'sorrypage:hash' else value) for key, value in tags)
            text = repr((priority, conditions, actions, tags))
            for value, name in names:
                text = text.replace(value, name)
            rows.append(text)
        out[port] = sorted(rows)
    return out


def duplicates(snap):
    """(port, kind, name, part) found on more than one rule of a listener."""
    seen, dupes = set(), []
    for port, rules in snap.items():
        for rule in rules:
            tags = dict(rule[4])
            if 'sorrypage:rule' not in tags:
                continue
            key = (port, tags.get('sorrypage:kind'), tags['sorrypage:rule'], tags.get('sorrypage:part'))
            if key in seen:
                dupes.append(key)
            seen.add(key)
    return dupes


@pytest.fixture()
def aws_faults(moto):
    proxy = FaultProxy(moto.url).start()
    yield proxy
    proxy.stop()


def run_site(proxy, site, state='present', env=None, **overrides):
    return run_module_direct(SITE, dict(site_args(site, state, **overrides), endpoint_url=proxy.url), env=env)


def ok(result):
    assert not result.get('failed'), result.get('msg', result)
    return result


@pytest.fixture(scope='module')
def reference(moto):
    """The states of a site through a fault-free cycle: on, on with another page, as normalised snapshots."""
    proxy = FaultProxy(moto.url).start()
    try:
        site = new_site(moto)
        ok(run_site(proxy, site))
        on = normalized(site, snapshot(moto, site))
        ok(run_site(proxy, site, page='shop is still down'))
        changed = normalized(site, snapshot(moto, site))
    finally:
        proxy.stop()
    return {'on': on, 'changed': changed}


# Every ELBv2 operation alb_sorry_site makes in on, on with a new page, and off (DescribeAccountLimits: below).
SITE_OPS = ('DescribeLoadBalancers', 'DescribeListeners', 'DescribeRules', 'DescribeTags', 'SetRulePriorities',
            'AddTags', 'CreateRule', 'ModifyRule', 'DeleteRule', 'RemoveTags')


@pytest.mark.parametrize('fault,how', [('throttle', 'first'), ('500', 'first'), ('503', 'first'),
                                       ('throttle', 'a third')])
def test_throttling_and_server_errors_on_every_elbv2_call_are_retried(moto, aws_faults, reference, fault, how):
    """The first call of every operation (or a seeded third of all calls) answered with the fault: every run
    succeeds, each faulted call is made again, and the states are those of a fault-free cycle."""
    started = time.monotonic()
    site = new_site(moto)
    original = snapshot(moto, site)
    if how == 'first':
        for op in SITE_OPS:
            aws_faults.inject(fault, op=op, nth=1)
    else:
        aws_faults.inject(fault, fraction=1 / 3.0, seed=16)
    slept = []
    on = ok(run_site(aws_faults, site))
    slept += on.slept
    assert normalized(site, snapshot(moto, site)) == reference['on']
    changed = ok(run_site(aws_faults, site, page='shop is still down'))
    slept += changed.slept
    assert changed['changed'] is True
    assert normalized(site, snapshot(moto, site)) == reference['changed']
    off = ok(run_site(aws_faults, site, 'absent'))
    slept += off.slept
    assert snapshot(moto, site) == original

    calls = aws_faults.ops(fault=True)
    faulted = [op for op, applied in calls if applied]
    if how == 'first':
        assert sorted(faulted) == sorted(SITE_OPS)
    else:
        assert len(faulted) >= 5, calls
    for index, (op, applied) in enumerate(calls):
        if applied:
            assert op in [later for later, _f in calls[index + 1:]], '%s was not retried after %s' % (op, fault)
    assert len(slept) >= len(faulted), 'AWSRetry asked for no backoff'
    sys.stderr.write('\n%s on the %s call%s: %d faulted calls retried, backoff asked %.1f s (not slept), %.1f s\n' % (
        fault, how, 's' if how == 'first' else '', len(faulted), sum(slept), time.monotonic() - started))
