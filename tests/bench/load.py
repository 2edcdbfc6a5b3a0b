"""Load (issue 16): N sites x 2 listeners switched on and back off once each, ``--forks 25``, ELBv2 throttled.

The real playbooks/maintenance_on.yml and maintenance_off.yml run once
each over one inventory holding every site (the comparable switch of part
2: an office bypass and a sorry page for every host on every listener),
with their AWS endpoint pointed at tests/sandbox/fault_proxy.py in front of
moto. There every 20th ELBv2 call (counted at the proxy, whatever the
operation, in arrival order) answers ``Throttling`` (HTTP 400), as ELBv2
does when an account calls too fast: a deterministic 5 %. amazon.aws's
retries (and botocore's) must absorb it.

Checked for every site, at the data plane and in moto (read directly, not
through the proxy): after ``on`` the public gets the Sorry page and the
office is forwarded to the application on every listener, no foreign rule
is lost or changed (conditions, actions, tags), and no rule of ours is
there twice; after ``off`` every listener's rules, priorities and tags are
exactly as before (snapshot compare), so no rule of ours is left and none
lost. Reported: wall time of on and off, calls and throttles by operation,
sites ok. ``python -m tests.bench --only load [--load-sites N]`` runs it
alone; tests/integration/test_load.py runs it with 10 sites.
"""
import collections
import os
import time

import yaml

from tests.ansible_run import run_playbook
from tests.bench.poller import is_forwarded, is_sorry
from tests.bench.runbook import Estate
from tests.bench.runs import failures, playbook, task_seconds
from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, request
from tests.sandbox.fault_proxy import FaultProxy
from tests.sandbox.sandbox import Sandbox

FORKS = 25
THROTTLE_EVERY = 20          # every 20th ELBv2 call: 5 %
ELBV2_VERSION = '2015-12-01'
OURS = 'sorrypage:'
OWNERSHIP = ('sorrypage:kind', 'sorrypage:rule', 'sorrypage:part')


def site_names(count):
    return ['l%02d' % index for index in range(count)]


def is_elbv2(call):
    """An ELBv2 call (query protocol, its API version), whatever the operation."""
    return call.params.get('Version') == ELBV2_VERSION


def _calls(calls):
    """{operation: {'calls': n, 'throttled': n}} of ELBv2 calls, and the totals."""
    by_op = collections.defaultdict(lambda: {'calls': 0, 'throttled': 0})
    other = collections.Counter()
    for call in calls:
        if not is_elbv2(call):
            other[call.op] += 1
            continue
        by_op[call.op]['calls'] += 1
        by_op[call.op]['throttled'] += call.fault == 'throttle'
    return {'elbv2': dict(sorted(by_op.items())), 'other': dict(sorted(other.items())),
            'elbv2_calls': sum(v['calls'] for v in by_op.values()),
            'throttled': sum(v['throttled'] for v in by_op.values())}


def _rule_key(rule):
    """A rule's snapshot entry (seed.snapshot_listener) without its priority: what must survive a move."""
    _priority, arn, conditions, actions, tags = rule
    return arn, conditions, actions, tuple(t for t in tags if not t[0].startswith(OURS + 'shift'))


def _check_on(before, during):
    """Problems on one listener after ``on``: foreign rules lost or changed, rules of ours twice."""
    problems = []
    foreign_before = {_rule_key(r) for r in before if r[0] != 'default'}
    ours, foreign_now = [], set()
    for rule in during:
        tags = dict(rule[4])
        if any(key.startswith(OURS) and key != OURS + 'shift' for key in tags):
            ours.append(tuple(tags.get(k) for k in OWNERSHIP))
        elif rule[0] != 'default':
            foreign_now.add(_rule_key(rule))
    lost = foreign_before - foreign_now
    if lost:
        problems.append('%d foreign rule(s) lost or changed: %s' % (len(lost), sorted(r[0] for r in lost)))
    extra = foreign_now - foreign_before
    if extra:
        problems.append('%d foreign rule(s) not there before' % len(extra))
    twice = sorted(k for k, n in collections.Counter(ours).items() if n > 1)
    if twice:
        problems.append('rule(s) of ours twice: %s' % twice)
    if not ours:
        problems.append('no rule of ours')
    return problems, len(ours)


def _check_off(before, after):
    problems = []
    if after == before:
        return problems
    left = [r for r in after if any(k.startswith(OURS) for k, _v in r[4])]
    if left:
        problems.append('%d rule(s) with sorrypage: tags left' % len(left))
    arns_before, arns_after = {r[1] for r in before}, {r[1] for r in after}
    if arns_before - arns_after:
        problems.append('%d rule(s) lost' % len(arns_before - arns_after))
    moved = [(r[1].rsplit('/', 1)[-1], r[0]) for r in after if r[1] in arns_before and r not in before]
    if moved:
        problems.append('rule(s) not as before (priority, conditions, actions or tags): %s' % moved[:5])
    if not problems:
        problems.append('the listener differs from before')
    return problems


def _users(est, name):
    """Per listener of the site: (public gets the page, office forwarded, statuses) on the app's host name."""
    site = est.sites[name]
    out = {}
    for port in sorted(site['listeners']):
        url = est.url(name, port) + '/'
        pub = request(url, host=site['hosts'][0], source_ip=PUBLIC_IP)
        off = request(url, host=site['hosts'][0], source_ip=OFFICE_IP)
        out[port] = (is_sorry(pub), is_forwarded(off), [pub.status, off.status])
    return out


def inventory(est, path, names, endpoint):
    """The runbook's inventory of part 2 (Estate.ours_inventory), its AWS endpoint the fault proxy."""
    est.ours_inventory(path, names)
    with open(path, encoding='utf-8') as handle:
        data = yaml.safe_load(handle)
    for host in data['sorry_sites']['hosts'].values():
        host['sorry_aws_endpoint_url'] = endpoint
        # Fifty sites verify at once on two cores: give the probe time (it retries until then, never sleeps more).
        host['sorry_verify_timeout'] = 120
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(data, handle, default_flow_style=False)
    return path


def _run(proxy, name, inv, forks, timeout):
    start_index = len(proxy.calls)
    started = time.monotonic()
    res = run_playbook(playbook(name), inventory=inv, forks=forks, timeout=timeout)
    wall = time.monotonic() - started
    stats = res.stats()
    return {'playbook': name, 'rc': res.rc, 'wall': round(wall, 1), 'failures': failures(res),
            'failed_hosts': sorted(h for h, s in stats.items() if s.get('failures') or s.get('unreachable')),
            'hosts': len(stats), 'changed_hosts': sum(1 for s in stats.values() if s.get('changed')),
            'calls': _calls(list(proxy.calls[start_index:])),
            'task_seconds': {k: round(v, 1) for k, v in sorted(task_seconds(res).items(), key=lambda kv: -kv[1])}}


def run(sites=50, forks=FORKS, throttle_every=THROTTLE_EVERY, workdir=None, log=print, timeout=900):
    """The whole scenario in its own sandbox; returns the report (a dict)."""
    names = site_names(sites)
    out = {'sites': sites, 'listeners_per_site': 2, 'forks': forks, 'throttle_every': throttle_every,
           'problems': {}}
    started = time.monotonic()
    log('Load: seeding %d sites x 2 listeners...' % sites)
    sandbox = Sandbox(site_names=names, pod_delay=1.0).start()
    proxy = None
    try:
        out['seed_seconds'] = round(time.monotonic() - started, 1)
        est = Estate(sandbox, curve=(), log=log)
        proxy = FaultProxy(sandbox.moto.url).start()
        throttle = proxy.inject('throttle', match=is_elbv2, every_nth=throttle_every)
        inv = inventory(est, os.path.join(workdir or sandbox.workdir, 'load-inventory.yml'), names, proxy.url)
        before = est.snapshot(names)
        log('Load: maintenance on, %d sites, --forks %d, every %dth ELBv2 call throttled' % (sites, forks, throttle_every))
        out['on'] = _run(proxy, 'maintenance_on', inv, forks, timeout)
        log('  on: rc %s, %.1fs, %d ELBv2 calls, %d throttled' % (
            out['on']['rc'], out['on']['wall'], out['on']['calls']['elbv2_calls'], out['on']['calls']['throttled']))
        during = est.snapshot(names)
        ours_rules = 0
        for name in names:
            problems = []
            for port, (public, office, statuses) in sorted(_users(est, name).items()):
                if not public:
                    problems.append('on, port %d: the public does not get the Sorry page (%s)' % (port, statuses))
                if not office:
                    problems.append('on, port %d: the office is not forwarded (%s)' % (port, statuses))
            for port in sorted(est.sites[name]['listeners']):
                found, count = _check_on(before[(name, port)], during[(name, port)])
                ours_rules += count
                problems += ['on, port %d: %s' % (port, p) for p in found]
            out['problems'][name] = problems
        out['ours_rules_during'] = ours_rules
        log('Load: maintenance off')
        out['off'] = _run(proxy, 'maintenance_off', inv, forks, timeout)
        log('  off: rc %s, %.1fs, %d ELBv2 calls, %d throttled' % (
            out['off']['rc'], out['off']['wall'], out['off']['calls']['elbv2_calls'], out['off']['calls']['throttled']))
        after = est.snapshot(names)
        for name in names:
            for port in sorted(est.sites[name]['listeners']):
                out['problems'][name] += ['off, port %d: %s' % (port, p)
                                          for p in _check_off(before[(name, port)], after[(name, port)])]
        out['throttles_applied'] = len(throttle.hits)
        out['elbv2_seen'] = throttle.seen
    finally:
        if proxy is not None:
            proxy.stop()
        sandbox.stop()
    out['sites_ok'] = sum(1 for name in names if not out['problems'][name])
    out['problems'] = {k: v for k, v in out['problems'].items() if v}
    out['ok'] = (out['sites_ok'] == sites and out['on']['rc'] == 0 and out['off']['rc'] == 0)
    out['elapsed'] = round(time.monotonic() - started, 1)
    return out


def render(data):
    """The Load section of the bench's text report."""
    lines = ['Load: %d sites x %d listeners, --forks %d, every %dth ELBv2 call throttled (%.0fs in all, seeding %.0fs)'
             % (data['sites'], data['listeners_per_site'], data['forks'], data['throttle_every'], data['elapsed'],
                data['seed_seconds'])]
    for step in ('on', 'off'):
        run_ = data[step]
        calls = run_['calls']
        lines.append('  %s: rc %s, wall %.1fs, %d/%d hosts changed, %d ELBv2 calls, %d throttled%s' % (
            step, run_['rc'], run_['wall'], run_['changed_hosts'], run_['hosts'], calls['elbv2_calls'],
            calls['throttled'], ', failed hosts: %s' % ', '.join(run_['failed_hosts']) if run_['failed_hosts'] else ''))
        lines.append('    %-22s %6s %9s' % ('operation', 'calls', 'throttled'))
        for op, counts in calls['elbv2'].items():
            lines.append('    %-22s %6d %9d' % (op, counts['calls'], counts['throttled']))
        if calls['other']:
            lines.append('    other services: %s' % ', '.join('%s %d' % kv for kv in calls['other'].items()))
        lines.append('    task time by module (summed over tasks): %s' % ', '.join(
            '%s %.0fs' % (k.rsplit('.', 1)[-1], v) for k, v in list(run_['task_seconds'].items())[:5]))
        for failure in run_['failures'][:10]:
            lines.append('    FAILED: %s' % failure)
    lines.append('  sites ok: %d/%d%s' % (data['sites_ok'], data['sites'], '' if data['ok'] else '  NOT OK'))
    for name, problems in sorted(data['problems'].items()):
        for problem in problems[:6]:
            lines.append('    %s: %s' % (name, problem))
    return '\n'.join(lines)
