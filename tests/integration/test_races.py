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
import re
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
    # listeners and the tags of their rules; A's first write (the record on the first rule it moves to make room, before
    # the move) waits until B's run ended.
    results, timeline = race_on(
        moto, site,
        hold_a=lambda me, _other, other_done: me.hold(AWS_WRITE, until=other_done),
        hold_b=lambda me, other, _other_done: me.hold('^DescribeLoadBalancers$', until=other.answered('^DescribeTags$')))
    assert answered(timeline, 'A', 'DescribeTags')[0] < answered(timeline, 'B', 'DescribeLoadBalancers')[0]
    b_calls = [index for index, (who, _label, _status) in enumerate(timeline.answered) if who == 'B']
    a_writes = [index for index, (who, label, _status) in enumerate(timeline.answered)
                if who == 'A' and re.search(AWS_WRITE, label)]
    assert timeline.answered[a_writes[0]][1] == 'AddTags' and max(b_calls) < a_writes[0]
    ok(results['b'])
    ok(results['a'])
    assert problems(elbv2, site) == []
    off_restores(moto, site, original)


def test_one_on_creating_its_rules_after_another_shifted_and_created_its_own(moto, site):
    elbv2 = moto.client('elbv2')
    original = dict((port, snapshot_listener(elbv2, arn)) for port, arn in site['listeners'].items())
    # Interleaving "A makes room, B's whole `on`, then A's CreateRule": A reads, records where each of the
    # controller's rules on listener 80 comes from and moves them (its first CreateRule, on 80, is held, so A has
    # not touched 443 yet); B starts once A's move was answered (so B reads listener 80 with room made and none of our
    # rules) and runs to its end; A's first CreateRule waits until then and lands on a priority B took.
    results, timeline = race_on(
        moto, site,
        hold_a=lambda me, _other, other_done: me.hold('^CreateRule$', until=other_done),
        hold_b=lambda me, other, _other_done: me.hold('^DescribeLoadBalancers$',
                                                      until=other.answered('^SetRulePriorities$')))
    assert [label for who, label, _status in timeline.answered if who == 'A'][5:9] == ['AddTags'] * 3 + ['SetRulePriorities']
    assert answered(timeline, 'A', 'SetRulePriorities')[0] < answered(timeline, 'B', 'DescribeLoadBalancers')[0]
    assert max(answered(timeline, 'B', 'CreateRule')) < min(answered(timeline, 'A', 'CreateRule'))
    assert timeline.answered[min(answered(timeline, 'A', 'CreateRule'))][2] == 400
    ok(results['b'])
    ok(results['a'])
    assert problems(elbv2, site) == []
    off_restores(moto, site, original)


def rerun_changes_nothing(moto, site):
    elbv2 = moto.client('elbv2')
    before = dict((port, snapshot_listener(elbv2, arn)) for port, arn in site['listeners'].items())
    rerun = ok(switch(moto.url, site_args(site)))
    assert rerun['changed'] is False, 'the rerun found work left'
    assert dict((port, snapshot_listener(elbv2, arn)) for port, arn in site['listeners'].items()) == before


def scripted_race(moto, site, order):
    """Two `on` runs whose calls are answered in ``order`` (a run name per call); the answered order is asserted."""
    script = Script(order)

    def scripted(me, _other, _other_done):
        me.hold('.', until=script.turn_of(me.name), nth=None)
        me.after_each('.', script.passer(me.name))
    results, timeline = race_on(moto, site, hold_a=scripted, hold_b=scripted, alternate=script)
    assert ''.join(who for who, _label, _status in timeline.answered) == order, 'not the scripted interleaving'
    return results, timeline


def test_two_on_runs_in_lockstep_one_deletes_the_copy_it_made_and_a_rerun_converges(moto, site):
    elbv2 = moto.client('elbv2')
    original = dict((port, snapshot_listener(elbv2, arn)) for port, arn in site['listeners'].items())
    # Interleaving "lockstep": A and B take turns call by call, A first (each run one ELBv2 call at a time), so both read
    # the same ALB and record the same moves; A's move lands and B's meets PriorityInUse; B reads 80 again after A
    # created bypass part 0 and before part 1, so B creates part 1 at another priority (no call fails), reads 80 once
    # more (it met A) and deletes that copy, the one behind A's; on 443 and for the sorry rules B meets PriorityInUse
    # once each, reads again and finds nothing left. Both succeed; A's rules are all there once.
    alternate = Alternate('A', 'B')

    def lockstep(me, _other, _other_done):
        me.hold('.', until=alternate.turn_of(me.name), nth=None)
        me.after_each('.', alternate.passer(me.name))
    results, timeline = race_on(moto, site, hold_a=lockstep, hold_b=lockstep, alternate=alternate)
    whose = ''.join(who for who, _label, _status in timeline.answered)
    assert whose == 'AB' * 21 + 'B' * 7, 'not in lockstep until A ended: %s' % whose
    assert [status for who, label, status in timeline.answered if who == 'B' and label == 'CreateRule'] == [200, 400]
    assert [who for who, label, _status in timeline.answered if label == 'DeleteRule'] == ['B']
    ok(results['a'])
    ok(results['b'])
    assert any('deleted 1 rule that repeated one of the same kind, name and part' in warning
               for warning in results['b'].get('warnings') or []), results['b'].get('warnings')
    assert problems(elbv2, site) == []
    rerun_changes_nothing(moto, site)
    off_restores(moto, site, original)


# Lockstep, but B's re-read of 80 one call earlier: before A's first CreateRule. Past the script A has ended and B
# goes on alone (7 calls).
NEARLY_LOCKSTEP = 'AB' * 8 + 'A' + 'BB' + 'AB' * 12


def test_two_on_runs_nearly_in_lockstep_the_one_refused_twice_reads_again_and_both_succeed(moto, site):
    elbv2 = moto.client('elbv2')
    original = dict((port, snapshot_listener(elbv2, arn)) for port, arn in site['listeners'].items())
    # Interleaving NEARLY_LOCKSTEP: both read the same ALB and record the same moves; A's move on 80 lands and B's meets
    # PriorityInUse; B reads 80 again before A creates its bypass there, so B's CreateRule of part 0 meets PriorityInUse
    # a second time. B reads 80 once more (up to 3 re-reads: CONTENDED_REPLANS) and finds A's bypass: nothing left to
    # write there. On 443 B's move meets PriorityInUse, and after A's bypass and sorry rules its CreateRule once more;
    # each time B reads again, and at the end finds everything in place. Both succeed, nothing was written twice.
    # (Session 7 gave up after the second PriorityInUse on a listener; test_faults shows a run giving up after the
    # last re-read, cleanly, and the rerun converging.)
    results, timeline = scripted_race(moto, site, NEARLY_LOCKSTEP + 'B' * 7)
    assert [status for who, label, status in timeline.answered if who == 'B' and label == 'CreateRule'] == [400, 400]
    assert [status for who, label, status in timeline.answered if who == 'B' and label == 'SetRulePriorities'] == [
        400, 400]
    assert [who for who, label, _status in timeline.answered if label == 'DeleteRule'] == []
    ok(results['a'])
    ok(results['b'])
    assert SECRET not in json.dumps(results['b'])
    assert problems(elbv2, site) == []
    rerun_changes_nothing(moto, site)
    off_restores(moto, site, original)


# The interleaving that left a bypass part twice before alb_sorry_site looked for copies after a re-plan (one ELBv2
# call at a time each; who is answered next, call by call):
SCRIPTED = (
    'A' * 5 + 'B' * 5       # A reads the site (5 calls), then B (5): the same ALB
    + 'A' * 4               # A makes room on 80: the record on each of the 3 rules it moves, then the move
    + 'B' * 7               # B records too (3), its move meets PriorityInUse, B reads 80 again (2), creates bypass part 0
    + 'AB'                  # A's bypass part 0 meets PriorityInUse; B creates part 1
    + 'A' * 4               # A reads 80 again (nothing left there) and, having met B, reads it once more for copies
    + 'BB'                  # B, having met A, reads 80 for copies after creating
    + 'BA' * 16             # on 443: B and A each record the 3 moves, B moves, A's move meets PriorityInUse, B creates
                            # part 0, A reads 443 again, B creates part 1, A (its read without B's part 1) creates part 1
                            # at another priority, reads 443 for copies and deletes its own part 1, the copy behind
                            # B's; then B writes the sorry rules (and reads each listener for copies), A's sorry rule
                            # meets PriorityInUse on 80 (A re-reads, nothing left, looks for copies) and on 443 ...
    + 'A' * 4)              # ... where A re-reads and looks for copies alone


def test_two_on_runs_interleaved_call_by_call_as_scripted(moto, site):
    elbv2 = moto.client('elbv2')
    original = dict((port, snapshot_listener(elbv2, arn)) for port, arn in site['listeners'].items())
    # Interleaving "scripted" (SCRIPTED above): A re-reads listener 443 after B created bypass part 0 there and before
    # B created part 1, so A's re-plan creates part 1 at another priority than B's, and no call fails: A must find the
    # copy (it met another writer) and delete the one behind.
    results, timeline = scripted_race(moto, site, SCRIPTED)
    creates = [(who, status) for who, label, status in timeline.answered if label == 'CreateRule']
    # Bypass on 80 (B, A refused, B), on 443 (B, B, A: the copy), the sorry rules (B's go on, A's refused on 80 and 443).
    assert creates == [('B', 200), ('A', 400), ('B', 200), ('B', 200), ('B', 200), ('A', 200)] + [('B', 200)] * 2 + [
        ('A', 400)] + [('B', 200)] * 2 + [('A', 400)], creates
    assert [(who, label) for who, label, _status in timeline.answered if label == 'DeleteRule'] == [('A', 'DeleteRule')]
    assert problems(elbv2, site) == []
    ok(results['a'])
    ok(results['b'])
    assert any('deleted 1 rule that repeated one of the same kind, name and part' in warning
               for warning in results['a'].get('warnings') or []), results['a'].get('warnings')
    off_restores(moto, site, original)
