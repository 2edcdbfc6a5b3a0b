"""One measured ansible-playbook run: API calls at the wire, wall time, time-to-sorry."""
import collections
import datetime
import os
import statistics
import sys
import time

import yaml

from tests.ansible_run import REPO, run_playbook
from tests.bench.poller import Watch

BENCH_PLAYBOOKS = os.path.join(REPO, 'tests', 'bench', 'playbooks')
READ_PREFIXES = ('Describe', 'Get', 'List', 'Head')


def is_read(operation):
    return operation.startswith(READ_PREFIXES)


def split_calls(calls):
    """(reads, writes) of a Counter/dict of calls by operation."""
    reads = sum(n for op, n in calls.items() if is_read(op))
    return reads, sum(calls.values()) - reads


def playbook(name):
    """A runbook playbook (maintenance_on) or a bench one (baseline_on)."""
    if name.startswith('baseline_'):
        return os.path.join(BENCH_PLAYBOOKS, name + '.yml')
    return os.path.join(REPO, 'playbooks', name + '.yml')


def write_inventory(path, group, hosts):
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump({group: {'hosts': hosts}}, handle, default_flow_style=False)
    return path


def local_host_vars():
    return {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}


def _seconds(stamp):
    return datetime.datetime.strptime(stamp.replace('Z', '+0000'), '%Y-%m-%dT%H:%M:%S.%f%z').timestamp()


def task_seconds(res):
    """Seconds spent per module (task action), summed over tasks, from the JSON callback's durations."""
    spent = collections.Counter()
    for play in (res.data or {}).get('plays', []):
        for task in play.get('tasks', []):
            duration = task['task'].get('duration') or {}
            if not duration.get('start') or not duration.get('end'):
                continue
            actions = {r.get('action') for r in task.get('hosts', {}).values() if r.get('action')}
            for action in actions:
                spent[action] += _seconds(duration['end']) - _seconds(duration['start'])
    return dict(spent)


def failures(res):
    lines = []
    for name, host, result in res.tasks():
        if result.get('failed') or result.get('unreachable'):
            lines.append('%s [%s]: %s' % (name, host, str(result.get('msg', ''))[:500]))
    if not lines and res.rc != 0:
        lines.append((res.stderr or res.stdout or '')[-1500:])
    return lines


class Run(dict):
    """The result of one measured run (a dict, so it goes to the JSON as is)."""

    @property
    def ok(self):
        return self['rc'] == 0


def poll_interval(targets):
    """One round per 50 ms for a listener or two; longer for many, so the poller does not load the machine."""
    return max(0.05, 0.0125 * len(targets))


def measured(proxy, name, inventory, targets=(), forks=None, env=None, extra_vars=None, pods=None, timeout=600):
    """Run ``playbook(name)`` once with the proxy's counter reset and a poller (poller.Watch) watching ``targets``."""
    proxy.reset()
    watch = Watch(targets, interval=poll_interval(targets), pods=pods)
    started = time.monotonic()
    watch.start(started)
    try:
        res = run_playbook(playbook(name), inventory=inventory, forks=forks, env=env, extra_vars=extra_vars,
                           timeout=timeout)
        wall = time.monotonic() - started
        if watch.targets and res.rc == 0:
            # The page may only be visible after the run (a real ALB's propagation): a few more rounds of
            # probes, not forever. Counted in rounds, so a loaded machine does not turn "late" into "missing".
            watch.settle(rounds=3)
    finally:
        watch.stop()
    calls = proxy.snapshot()
    reads, writes = split_calls(calls)
    return Run(playbook=name, rc=res.rc, wall=round(wall, 3), calls=dict(sorted(calls.items())),
               reads=reads, writes=writes, total=reads + writes, time_to=watch.times(),
               pods_gone=watch.pods_gone, resolution=round(watch.resolution, 3), probe_requests=watch.requests,
               probe_errors=watch.errors, task_seconds=task_seconds(res), failures=failures(res),
               changed=sum(h.get('changed', 0) for h in res.stats().values()))


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def spread(times):
    """first / median / last of per-listener times (None when a listener never got there)."""
    values = list(times.values())
    if not values:
        return {'first': None, 'median': None, 'last': None, 'missing': 0}
    seen = sorted(v for v in values if v is not None)
    return {'first': seen[0] if seen else None, 'median': median(seen),
            'last': seen[-1] if len(seen) == len(values) else None, 'missing': len(values) - len(seen)}


def per_listener(calls, listeners):
    return {op: round(n / float(listeners), 2) for op, n in sorted(calls.items())}
