"""Part 1: the API calls of one module run, at the wire, on a listener with 20 foreign rules.

Three fresh sites (seeded like the AWS Load Balancer Controller's ALBs):

- ``room``: listener 80 with 20 controller-style rules at 101..120, so there
  is room in front: sorry and bypass, each first apply / rerun / removal,
  without ``make_room``;
- ``lbc``: listener 80 with 20 rules at 1..20 (the controller numbers from 1):
  the runbook's order with ``make_room``: bypass, sorry, both rerun, sorry
  removed, bypass removed (the last owned rule: the moved rules go back);
- ``baseline``: the same 1..20 listener, amazon.aws.elb_application_lb with
  ``purge_rules: false`` adding the same two rules (behind the 20: it cannot
  put them in front), its rerun, and its way out (restate the listener with
  ``purge_rules: true``).

Every step is one ansible-playbook run; the counting proxy is reset before
each, so a step's count is exactly that module's calls (rendering the page
in the baseline playbook makes none).
"""
import math
import os

from tests.ansible_run import REPO, run_module
from tests.bench import estate
from tests.bench.runs import local_host_vars, measured, split_calls, write_inventory

MODULE = 'sorrypage.aws.alb_sorry_rule'
FOREIGN_RULES = 20
OFFICE_CIDR = '127.0.0.2/32'
PAGE = ('<!doctype html><html lang="en"><meta charset="utf-8"><title>Maintenance</title>'
        '<h1>We will be back soon</h1><p>Database upgrade in progress.</p></html>')

# Issue 3: first apply <= 4 (<= 6 with make_room), rerun 0 writes and <= 1 + ceil(rules/20) reads,
# removal <= 4 (<= 6 restoring priorities). Issue 16 adds one AddTags per rule make_room moves: the priority it
# comes from, written before the move, so that a lost answer never leaves a rule moved without its record.
APPLY_MAX, APPLY_MAKE_ROOM_MAX = 4, 6
REMOVE_MAX, REMOVE_RESTORE_MAX = 4, 6


def rerun_reads_max(rules):
    return 1 + int(math.ceil(rules / 20.0))


def _step(proxy, elbv2, listener, label, args):
    proxy.reset()
    result = run_module(MODULE, dict(args, listener_arn=listener, endpoint_url=proxy.url, region='us-east-1'))
    calls = proxy.snapshot()
    reads, writes = split_calls(calls)
    return {'step': label, 'calls': dict(sorted(calls.items())), 'reads': reads, 'writes': writes,
            'total': reads + writes, 'changed': result.get('changed'), 'failed': bool(result.get('failed')),
            'msg': str(result.get('msg', ''))[:500] if result.get('failed') else '',
            'moved_rules': len(result.get('moved_rules') or []), 'rules_after': estate.rule_count(elbv2, listener)}


def _sorry(**extra):
    return dict(kind='sorry', name='sorry', content=PAGE, tags={'sorrypage:why': 'bench'}, **extra)


def _bypass(target_group, **extra):
    return dict(kind='bypass', name='office', source_ips=[OFFICE_CIDR], target_group_arn=target_group,
                tags={'sorrypage:why': 'bench'}, **extra)


def _check(step, target, limit, what):
    if step['failed']:
        return {'target': target, 'step': step['step'], 'measured': 'failed: ' + step['msg'], 'ok': False}
    if what == 'total':
        return {'target': target, 'step': step['step'], 'measured': '%d calls' % step['total'],
                'limit': limit, 'ok': step['total'] <= limit}
    # rerun: no write at all, and few reads
    return {'target': target, 'step': step['step'],
            'measured': '%d writes, %d reads (%d rules)' % (step['writes'], step['reads'], step['rules_after']),
            'limit': limit, 'ok': step['writes'] == 0 and step['reads'] <= limit}


def targets(steps):
    """PASS/FAIL of each issue 3 target, per measured step."""
    by = {s['step']: s for s in steps}
    out = []
    for label in ('room: sorry first apply', 'room: bypass first apply'):
        out.append(_check(by[label], 'first apply <= %d calls' % APPLY_MAX, APPLY_MAX, 'total'))
    for label in ('lbc: bypass first apply (make_room)', 'lbc: sorry first apply (make_room)'):
        moved = by[label]['moved_rules']
        out.append(_check(by[label], 'first apply with make_room <= %d calls + 1 per moved rule (%d)'
                          % (APPLY_MAKE_ROOM_MAX, moved), APPLY_MAKE_ROOM_MAX + moved, 'total'))
    for label in ('room: sorry rerun', 'room: bypass rerun', 'lbc: bypass rerun', 'lbc: sorry rerun'):
        limit = rerun_reads_max(by[label]['rules_after'])
        out.append(_check(by[label], 'rerun 0 writes, reads <= 1 + ceil(rules/20)', limit, 'rerun'))
    for label in ('room: sorry removal', 'room: bypass removal', 'lbc: sorry removal'):
        out.append(_check(by[label], 'removal <= %d calls' % REMOVE_MAX, REMOVE_MAX, 'total'))
    out.append(_check(by['lbc: bypass removal (last: priorities restored)'],
                      'removal restoring priorities <= %d calls' % REMOVE_RESTORE_MAX, REMOVE_RESTORE_MAX, 'total'))
    return out


def _baseline(sandbox, elbv2, site, workdir):
    """elb_application_lb adding the same two rules, rerun, and taken off again."""
    subnets, groups = estate.load_balancer_network(elbv2, site['load_balancer_arn'])
    listeners = estate.listener_specs(elbv2, site, ports=[80])
    host = dict(local_host_vars(), **baseline_vars(sandbox, site, subnets, groups, listeners))
    inventory = write_inventory(os.path.join(workdir, 'bench-module-baseline.yml'), 'bench_sites', {'base': host})
    before = estate.snapshot_sites(elbv2, [site])
    steps = []
    for label, name in (('baseline: add bypass + sorry (purge_rules false)', 'baseline_on'),
                        ('baseline: rerun', 'baseline_on'),
                        ('baseline: take them off (restate, purge_rules true)', 'baseline_off')):
        run = measured(sandbox.proxy, name, inventory)
        steps.append({'step': label, 'calls': run['calls'], 'reads': run['reads'], 'writes': run['writes'],
                      'total': run['total'], 'changed': bool(run['changed']), 'failed': not run.ok,
                      'msg': '; '.join(run['failures'])[:500],
                      'rules_after': estate.rule_count(elbv2, site['listeners'][80])})
    restored = estate.snapshot_sites(elbv2, [site]) == before
    return steps, restored


def baseline_vars(sandbox, site, subnets, groups, listeners):
    """Host variables of tests/bench/playbooks/baseline_*.yml for one site."""
    return {
        'bench_region': 'us-east-1',
        'bench_endpoint_url': sandbox.proxy.url,
        'bench_load_balancer_name': site['load_balancer_name'],
        'bench_subnets': subnets,
        'bench_security_groups': groups,
        'bench_listeners': [{'port': l['port'], 'spec': l['spec'], 'rules': l['rules'], 'next_priority': l['next_priority']}
                            for l in listeners],
        'bench_bypass_cidrs': [OFFICE_CIDR],
        'bench_bypass_target_group_arn': site['target_groups'][sorted(site['target_groups'])[-1]],
        'bench_assets_src': os.path.join(REPO, 'roles', 'sorry_assets', 'files'),
        'bench_public_url': sandbox.assets['public_url'],
        'bench_reason': 'Database upgrade in progress.',
    }


def run(sandbox, workdir, smoke=False, log=print):
    """Measure every step; returns the part-1 section of the report."""
    elbv2 = sandbox.moto.client('elbv2')
    room = estate.seed_site(sandbox.moto, name='mroom', https=False)
    room_listener = estate.grow_to(elbv2, room, 80, FOREIGN_RULES, first_priority=101)
    room_tg = room['target_groups'][sorted(room['target_groups'])[-1]]
    steps = []

    def step(listener, label, args):
        log('  %s' % label)
        steps.append(_step(sandbox.proxy, elbv2, listener, label, args))
        return steps[-1]

    step(room_listener, 'room: sorry first apply', _sorry())
    step(room_listener, 'room: sorry rerun', _sorry())
    step(room_listener, 'room: sorry removal', _sorry(state='absent'))
    section = {'foreign_rules': FOREIGN_RULES, 'steps': steps}
    if smoke:
        section['targets'] = [_check(steps[0], 'first apply <= %d calls' % APPLY_MAX, APPLY_MAX, 'total'),
                              _check(steps[1], 'rerun 0 writes, reads <= 1 + ceil(rules/20)',
                                     rerun_reads_max(steps[1]['rules_after']), 'rerun'),
                              _check(steps[2], 'removal <= %d calls' % REMOVE_MAX, REMOVE_MAX, 'total')]
        return section
    step(room_listener, 'room: bypass first apply', _bypass(room_tg))
    step(room_listener, 'room: bypass rerun', _bypass(room_tg))
    step(room_listener, 'room: bypass removal', _bypass(room_tg, state='absent'))

    lbc = estate.seed_site(sandbox.moto, name='mlbc', https=False)
    lbc_listener = estate.grow_to(elbv2, lbc, 80, FOREIGN_RULES)
    lbc_tg = lbc['target_groups'][sorted(lbc['target_groups'])[-1]]
    before = estate.snapshot_sites(elbv2, [lbc])
    step(lbc_listener, 'lbc: bypass first apply (make_room)', _bypass(lbc_tg, make_room=True))
    step(lbc_listener, 'lbc: sorry first apply (make_room)', _sorry(make_room=True))
    step(lbc_listener, 'lbc: bypass rerun', _bypass(lbc_tg, make_room=True))
    step(lbc_listener, 'lbc: sorry rerun', _sorry(make_room=True))
    step(lbc_listener, 'lbc: sorry removal', _sorry(state='absent'))
    step(lbc_listener, 'lbc: bypass removal (last: priorities restored)', _bypass(lbc_tg, state='absent'))
    section['lbc_restored_exactly'] = estate.snapshot_sites(elbv2, [lbc]) == before
    section['targets'] = targets(steps)

    base = estate.seed_site(sandbox.moto, name='mbase', https=False)
    estate.grow_to(elbv2, base, 80, FOREIGN_RULES)
    log('  baseline: amazon.aws.elb_application_lb')
    section['baseline'], section['baseline_restored_exactly'] = _baseline(sandbox, elbv2, base, workdir)
    return section
