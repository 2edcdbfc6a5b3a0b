"""Two runs at once, their interleaving chosen by the test, never by sleeping.

Each run goes through its own hold proxy (tests/sandbox/k8s_hold_proxy.py in
front of the stand-in Kubernetes API, tests/sandbox/aws_hold_proxy.py in front
of moto); the proxies share a timeline, and a proxy holds one request of its
run until a named request of the other run has been answered. Every
interleaving is named in the test (``A`` and ``B`` are the two runs) and its
order is asserted on the timeline, so a test that did not get the
interleaving it names fails instead of passing by luck.
"""
import json
import threading

import pytest

from tests.ansible_run import run_module
from tests.sandbox.aws_hold_proxy import AwsHoldProxy
from tests.sandbox.k8s_api import LBC_NAME, K8sApi
from tests.sandbox.k8s_hold_proxy import Alternate, HoldProxy, Script, Timeline
from tests.sandbox.seed import snapshot_listener

pytestmark = pytest.mark.sandbox_only

NS = 'kube-system'
RECORD = 'PATCH deployments/%s$' % LBC_NAME     # the one write of a pause or a resume (record + replicas)
FIND = '^GET deployments$'                       # the read that finds the controller (its record and replicas)
RUN_TIMEOUT = 300


def together(**calls):
    """Run the callables at once, one thread each; their results by name (an exception is a result too)."""
    results = {}

    def one(name, call):
        try:
            results[name] = call()
        except Exception as exc:  # pylint: disable=broad-except  # reported by the assertion on the result
            results[name] = exc
    threads = [threading.Thread(target=one, args=item, daemon=True) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(RUN_TIMEOUT)
    assert sorted(results) == sorted(calls), 'a run did not finish in %d s' % RUN_TIMEOUT
    return results


def ok(result):
    assert isinstance(result, dict) and not result.get('failed'), result
    return result


# ---- two sites of one cluster pausing and resuming the controller at once ----------------------

class Cluster:
    """The stand-in API with the controller at 2 replicas, and lbc_pause runs through hold proxies."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.api = K8sApi(pod_delay=0.2).start()
        self.api.seed_lbc(cluster_name='sandbox', replicas=2)
        self.kubeconfig = self.api.write_kubeconfig(str(tmp_path / 'kubeconfig'))
        self.proxies = []

    def stop(self):
        for proxy in self.proxies:
            proxy.stop()
        self.api.stop()

    def doors(self, *names):
        """One hold proxy per run, sharing a timeline."""
        timeline = Timeline()
        made = [HoldProxy(self.api.url, name, timeline).start() for name in names]
        self.proxies.extend(made)
        return made + [timeline]

    def step(self, state, site, proxy=None):
        kubeconfig = self.kubeconfig if proxy is None else proxy.kubeconfig(
            self.kubeconfig, str(self.tmp / ('kubeconfig-%s-%d' % (proxy.name, len(self.proxies)))))
        return run_module('sorrypage.aws.lbc_pause', dict(
            state=state, site=site, controller_managed=True, cluster_name='sandbox', kubeconfig=kubeconfig,
            context='sandbox', wait_timeout=60, poll_interval=0.1))

    def race(self, a, b, hold_a_until_b, hold_b_until_a, after_b=None):
        """Run ``a`` = (state, site) and ``b`` at once; A's RECORD write waits for B's ``hold_a_until_b`` and vice versa.

        ``after_b`` = (pattern, nth, action): call ``action()`` once B's nth request matching pattern was answered.
        """
        pa, pb, timeline = self.doors(a[1], b[1])
        if hold_a_until_b:
            pa.hold(RECORD, until=pb.answered(hold_a_until_b))
        if hold_b_until_a:
            pb.hold(RECORD, until=pa.answered(hold_b_until_a))
        calls = dict(a=lambda: self.step(a[0], a[1], pa), b=lambda: self.step(b[0], b[1], pb))
        if after_b:
            event = pb.answered(after_b[0], after_b[1])
            calls['then'] = lambda: event.wait(RUN_TIMEOUT) and after_b[2]()
        results = together(**calls)
        assert timeline.timeouts == [], 'a held request was never released: the interleaving did not happen'
        return ok(results['a'])['controller'], ok(results['b'])['controller'], timeline

    def record(self):
        annotations = self.api.get('deployments', LBC_NAME, NS)['metadata'].get('annotations') or {}
        out = {k: v for k, v in annotations.items() if k.startswith('sorrypage.aws/')}
        if 'sorrypage.aws/holders' in out:
            out['sorrypage.aws/holders'] = json.loads(out['sorrypage.aws/holders'])
        out.pop('sorrypage.aws/paused-at', None)
        return out

    def replicas(self):
        return self.api.get('deployments', LBC_NAME, NS)['spec']['replicas']


def writes(timeline):
    """(run, status) of every record write, in the order answered."""
    return [(who, status) for who, label, status in timeline.answered if label.startswith('PATCH deployments/')]


@pytest.fixture
def cluster(tmp_path):
    made = Cluster(tmp_path)
    yield made
    made.stop()


def test_two_sites_pause_at_once_then_resume_at_once(cluster):
    # Interleaving "both pause, B writes between A's read and A's write": A finds the controller (2 replicas, no
    # record), B finds it too and writes first (records 2, scales to 0), A's write carries the old resourceVersion and
    # meets 409; A reads again and joins B's record instead of recording 0.
    shop, blog, timeline = cluster.race(('paused', 'shop'), ('paused', 'blog'), hold_a_until_b=RECORD, hold_b_until_a=FIND)
    assert writes(timeline) == [('blog', 200), ('shop', 409), ('shop', 200)]
    assert (blog['action'], blog['replicas_recorded']) == ('paused', 2)
    assert (shop['action'], shop['replicas_recorded'], shop['holders']) == ('already_paused', 2, ['blog', 'shop'])
    assert cluster.record() == {'sorrypage.aws/paused-replicas': '2', 'sorrypage.aws/holders': ['blog', 'shop']}
    assert cluster.replicas() == 0

    # Interleaving "both resume, B leaves between A's read and A's write": both read holders [blog, shop], B writes
    # first (still held by shop), A meets 409, reads again and is the last one out: restores the 2 replicas once.
    shop, blog, timeline = cluster.race(('resumed', 'shop'), ('resumed', 'blog'), hold_a_until_b=RECORD, hold_b_until_a=FIND)
    assert writes(timeline) == [('blog', 200), ('shop', 409), ('shop', 200)]
    assert (blog['action'], blog['holders']) == ('still_held', ['shop'])
    assert (shop['action'], shop['replicas'], shop['available_replicas']) == ('resumed', 2, 2)
    assert cluster.record() == {} and cluster.replicas() == 2
    assert cluster.api.controller_available_replicas() == 2


def test_a_site_pausing_while_the_last_holder_resumes_records_the_real_count(cluster):
    cluster.api.release_pods_after_lists(1)
    cluster.api.pod_delay = None   # pods start and go only when released below
    assert ok(cluster.step('paused', 'shop'))['controller']['replicas_recorded'] == 2
    # Interleaving "A (the last holder) resumes between B's read and B's write, and B pauses while A waits": B read the
    # record held by shop; A removes it and scales back to 2; while A waits for the 2 replicas (its first read of the
    # Deployment answered, no pod ready), B's join meets 409, reads again: no record, 2 replicas, so B records 2 (not
    # the 0 it first saw) and pauses the controller again. A stops waiting when it sees B's record; B's pods go once
    # B's write is answered.
    shop, blog, timeline = cluster.race(
        ('resumed', 'shop'), ('paused', 'blog'), hold_a_until_b=FIND, hold_b_until_a='GET deployments/%s$' % LBC_NAME,
        after_b=(RECORD, 2, lambda: cluster.api.release_pods_after_lists(1)))
    assert writes(timeline) == [('shop', 200), ('blog', 409), ('blog', 200)]
    assert (shop['action'], shop['replicas_recorded'], shop['replicas']) == ('resumed', 2, 0)
    assert shop['message'] == ('Released the last hold on kube-system/aws-load-balancer-controller and scaled it back to 2 '
                               'replicas; blog paused it again meanwhile.')
    assert (blog['action'], blog['replicas_recorded'], blog['holders']) == ('paused', 2, ['blog'])
    assert cluster.record() == {'sorrypage.aws/paused-replicas': '2', 'sorrypage.aws/holders': ['blog']}
    assert cluster.replicas() == 0
    cluster.api.pod_delay = 0.2

    # Interleaving "A pauses between B's read and B's resume write": B (the last holder) read holders [blog], A joins
    # first, B's release meets 409, reads again: shop holds it too, so B only leaves and nothing is scaled.
    shop, blog, timeline = cluster.race(('paused', 'shop'), ('resumed', 'blog'), hold_a_until_b=FIND, hold_b_until_a=RECORD)
    assert writes(timeline) == [('shop', 200), ('blog', 409), ('blog', 200)]
    assert (shop['action'], shop['holders']) == ('already_paused', ['blog', 'shop'])
    assert (blog['action'], blog['holders']) == ('still_held', ['shop'])
    assert cluster.record() == {'sorrypage.aws/paused-replicas': '2', 'sorrypage.aws/holders': ['shop']}
    assert cluster.replicas() == 0

    last = ok(cluster.step('resumed', 'shop'))['controller']
    assert (last['action'], last['replicas']) == ('resumed', 2)
    assert cluster.record() == {} and cluster.replicas() == 2 and cluster.api.controller_available_replicas() == 2


# ---- two `on` runs of alb_sorry_site for the same site at once ---------------------------------

SECRET = 'race-7c1e0b5d9a2f4e68'
AWS_WRITE = '^(CreateRule|ModifyRule|SetRulePriorities|AddTags|DeleteRule|RemoveTags)$'


def site_args(site, state='present'):
    shop, blog = site['hosts']
    if state == 'absent':
        return dict(load_balancer_name=site['load_balancer_name'], state='absent')
    return dict(
        load_balancer_name=site['load_balancer_name'], make_room=True,
        http_headers=[{'name': 'X-Sorry-Bypass', 'values': [SECRET]}],
        rule_sets=[
            dict(kind='bypass', name='bypass', source_ips=['203.0.113.0/24'], use_http_headers=True,
                 target_group_arn=site['target_groups']['shop-web']),
            dict(kind='sorry', name='shop', host_headers=[shop], content='<h1>shop is down</h1>'),
            dict(kind='sorry', name='blog', host_headers=[blog], content='<h1>blog is down</h1>'),
        ])


def switch(endpoint, args):
    return run_module('sorrypage.aws.alb_sorry_site', dict(args, endpoint_url=endpoint, region='us-east-1'))


def _key(tags):
    return (tags.get('sorrypage:kind'), tags.get('sorrypage:rule'), tags.get('sorrypage:part'))


def problems(elbv2, site):
    """What must never be after two `on` runs: a rule of ours twice, a sorry rule with a bypass of the site behind it
    or missing, a rule not ours in front of a sorry rule."""
    found = []
    for port, arn in sorted(site['listeners'].items()):
        rules = [(int(p), dict(tags)) for p, _arn, _c, _a, tags in snapshot_listener(elbv2, arn) if p != 'default']
        keys = [_key(tags) for _p, tags in rules if tags.get('sorrypage:kind')]
        found.extend('%s: %s twice' % (port, '/'.join(key)) for key in sorted(set(keys)) if keys.count(key) > 1)
        bypass = [p for p, tags in rules if tags.get('sorrypage:kind') == 'bypass']
        foreign = [p for p, tags in rules if not tags.get('sorrypage:kind')]
        for priority, tags in rules:
            if tags.get('sorrypage:kind') != 'sorry':
                continue
            if len(set(_key(t) for _p, t in rules if t.get('sorrypage:kind') == 'bypass')) != 2:
                found.append('%s: sorry %s without both bypass parts' % (port, tags['sorrypage:rule']))
            if any(p > priority for p in bypass):
                found.append('%s: sorry %s at %d in front of a bypass' % (port, tags['sorrypage:rule'], priority))
            if any(p < priority for p in foreign):
                found.append('%s: a rule not ours in front of sorry %s at %d' % (port, tags['sorrypage:rule'], priority))
    return found


def race_on(moto, site, hold_a, hold_b, alternate=None):
    """Two `on` runs (one ELBv2 call at a time each) through hold proxies; ``hold_x(proxy_x, proxy_y, y_done)``."""
    timeline = Timeline()
    pa, pb = AwsHoldProxy(moto.url, 'A', timeline).start(), AwsHoldProxy(moto.url, 'B', timeline).start()
    done = {'A': threading.Event(), 'B': threading.Event()}

    def run(proxy):
        try:
            return switch(proxy.url, dict(site_args(site), parallel_calls=1))
        finally:
            done[proxy.name].set()
            if alternate:
                alternate.end(proxy.name)
    try:
        hold_a(pa, pb, done['B'])
        hold_b(pb, pa, done['A'])
        results = together(a=lambda: run(pa), b=lambda: run(pb))
    finally:
        pa.stop()
        pb.stop()
    assert timeline.timeouts == [], 'a held request was never released: the interleaving did not happen; answered: %s' % (
        ', '.join('%s %s %s' % entry for entry in timeline.answered))
    return results, timeline


def off_restores(moto, site, original):
    elbv2 = moto.client('elbv2')
    off = ok(switch(moto.url, site_args(site, 'absent')))
    assert off['changed'] is True
    assert dict((port, snapshot_listener(elbv2, arn)) for port, arn in site['listeners'].items()) == original, \
        'rules, priorities or tags not restored exactly'


def answered(timeline, who, label):
    return [index for index, (run, name, _status) in enumerate(timeline.answered) if (run, name) == (who, label)]


def test_a_whole_on_between_the_read_and_the_first_write_of_another(moto, site):
    elbv2 = moto.client('elbv2')
    original = dict((port, snapshot_listener(elbv2, arn)) for port, arn in site['listeners'].items())
    # Interleaving "B's whole `on` between A's read and A's first write": B's first call waits until A has read the
    # listeners and the tags of their rules; A's first write (the shift that makes room) waits until B's run ended.
    results, timeline = race_on(
        moto, site,
        hold_a=lambda me, _other, other_done: me.hold(AWS_WRITE, until=other_done),
        hold_b=lambda me, other, _other_done: me.hold('^DescribeLoadBalancers$', until=other.answered('^DescribeTags$')))
    assert answered(timeline, 'A', 'DescribeTags')[0] < answered(timeline, 'B', 'DescribeLoadBalancers')[0]
    assert max(answered(timeline, 'B', 'CreateRule')) < min(answered(timeline, 'A', 'SetRulePriorities'))
    ok(results['b'])
    ok(results['a'])
    assert problems(elbv2, site) == []
    off_restores(moto, site, original)


def test_one_on_creating_its_rules_after_another_shifted_and_created_its_own(moto, site):
    elbv2 = moto.client('elbv2')
    original = dict((port, snapshot_listener(elbv2, arn)) for port, arn in site['listeners'].items())
    # Interleaving "A makes room, B's whole `on`, then A's CreateRule": A reads and shifts the controller's rules on
    # both listeners; B starts once A's shift tags were written (so B reads a listener with room made and none of
    # our rules) and runs to its end; A's first CreateRule waits until then and lands on priorities B took.
    results, timeline = race_on(
        moto, site,
        hold_a=lambda me, _other, other_done: me.hold('^CreateRule$', until=other_done),
        hold_b=lambda me, other, _other_done: me.hold('^DescribeLoadBalancers$', until=other.answered('^AddTags$')))
    assert answered(timeline, 'A', 'AddTags')[0] < answered(timeline, 'B', 'DescribeLoadBalancers')[0]
    assert max(answered(timeline, 'B', 'CreateRule')) < min(answered(timeline, 'A', 'CreateRule'))
    ok(results['b'])
    ok(results['a'])
    assert problems(elbv2, site) == []
    off_restores(moto, site, original)


def test_two_on_runs_in_lockstep_one_gives_up_cleanly_and_a_rerun_converges(moto, site):
    elbv2 = moto.client('elbv2')
    original = dict((port, snapshot_listener(elbv2, arn)) for port, arn in site['listeners'].items())
    args = site_args(site)
    # Interleaving "lockstep": A and B take turns call by call, A first (each run one ELBv2 call at a time), so both read
    # the same ALB, A's shift lands and B's meets PriorityInUse, B reads again and its CreateRule is answered after A's
    # first CreateRule (on a priority A took), and so on. B gives up after its one re-read, saying so, having created
    # nothing; A's rules are all there once.
    alternate = Alternate('A', 'B')

    def lockstep(me, _other, _other_done):
        me.hold('.', until=alternate.turn_of(me.name), nth=None)
        me.after_each('.', alternate.passer(me.name))
    results, timeline = race_on(moto, site, hold_a=lockstep, hold_b=lockstep, alternate=alternate)
    whose = [who for who, _label, _status in timeline.answered]
    assert whose[:20] == ['A', 'B'] * 10, 'not in lockstep'
    assert [(label, status) for who, label, status in timeline.answered if who == 'B' and label == 'CreateRule'] \
        == [('CreateRule', 400)] * 2
    ok(results['a'])
    assert results['b'].get('failed') and 'PriorityInUse' in results['b']['msg'], results['b']
    assert SECRET not in json.dumps(results['b'])
    assert problems(elbv2, site) == []
    before = dict((port, snapshot_listener(elbv2, arn)) for port, arn in site['listeners'].items())
    rerun = ok(switch(moto.url, args))
    assert rerun['changed'] is False, 'the rerun of the `on` that gave up found work left'
    assert dict((port, snapshot_listener(elbv2, arn)) for port, arn in site['listeners'].items()) == before
    off_restores(moto, site, original)


# Found by this interleaving (alb_sorry_site, not fixed here): see the reason.
SCRIPTED = 'A' * 5 + 'B' * 5 + 'AA' + 'BBBB' + 'AB' * 9 + 'A' * 4


class KnownRaceBug(AssertionError):
    """The state the xfail below is about; any other failure of that test is a real failure."""


@pytest.mark.xfail(strict=True, raises=KnownRaceBug, reason=(
    'alb_sorry_site: two `on` runs for one site whose calls interleave as SCRIPTED (both meet PriorityInUse and re-read '
    'the listener, once per phase) leave the bypass rule part 1 twice on listener 443, and both runs report success; '
    '`off` then restores exactly'))
def test_two_on_runs_interleaved_call_by_call_as_scripted(moto, site):
    elbv2 = moto.client('elbv2')
    original = dict((port, snapshot_listener(elbv2, arn)) for port, arn in site['listeners'].items())
    # Interleaving "scripted" (one ELBv2 call at a time each; who is answered next, call by call): A reads (5 calls), B
    # reads (5), A shifts and tags (2), B's shift meets PriorityInUse, B reads again and creates (4), then A and B
    # alternate (A's CreateRule meets PriorityInUse, both re-read, shift and create), then A's last 4 calls alone.
    script = Script(SCRIPTED)

    def scripted(me, _other, _other_done):
        me.hold('.', until=script.turn_of(me.name), nth=None)
        me.after_each('.', script.passer(me.name))
    results, timeline = race_on(moto, site, hold_a=scripted, hold_b=scripted, alternate=script)
    assert ''.join(who for who, _label, _status in timeline.answered) == SCRIPTED, 'not the scripted interleaving'
    found = problems(elbv2, site)
    failed = [name for name in ('a', 'b') if results[name].get('failed')]
    ok(switch(moto.url, site_args(site, 'absent')))
    restored = dict((port, snapshot_listener(elbv2, arn)) for port, arn in site['listeners'].items()) == original
    assert restored, 'off did not restore exactly after the race'
    if found:
        raise KnownRaceBug('%s; runs that failed: %s' % ('; '.join(found), failed or 'none'))
