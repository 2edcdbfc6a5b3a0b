"""``python -m tests.bench`` (``make bench``): see tests/bench/__init__.py and docs/benchmarks.md."""
import argparse
import datetime
import json
import os
import platform
import shutil
import sys
import tempfile
import time

from tests.ansible_run import REPO
from tests.bench import analysis, load, module_calls, report, runbook
from tests.sandbox.sandbox import Sandbox

DEFAULT_OUTPUT = os.path.join(REPO, 'tests', 'output', 'bench.json')
NEEDED_MODULES = ('plugins/modules/alb_sorry_rule.py',)
NEEDED_RUNBOOK = ('plugins/modules/alb_sorry_rule.py', 'plugins/modules/alb_sorry_info.py',
                  'playbooks/maintenance_on.yml', 'playbooks/maintenance_off.yml',
                  'roles/maintenance/tasks/on.yml', 'roles/maintenance/tasks/off.yml', 'inventories/local/hosts.yml')


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='python -m tests.bench', description=__doc__)
    parser.add_argument('--runs', type=int, default=3, help='runs per timed scenario; medians are reported (default 3)')
    parser.add_argument('--smoke', action='store_true',
                        help='the smallest case only: the sorry steps of part 1 and 1 site x 1 listener once')
    parser.add_argument('--skip-module', action='store_true', help='skip part 1 (module API calls)')
    parser.add_argument('--skip-runbook', action='store_true', help='skip part 2 (the runbook)')
    parser.add_argument('--budget', type=float, default=540.0,
                        help='the optional scenario (local) starts only before this many seconds (default 540)')
    parser.add_argument('--output', default=DEFAULT_OUTPUT, help='where to write the JSON report')
    parser.add_argument('--only', nargs='+', metavar='SCENARIO',
                        help='run only these runbook scenarios: 1x1 eks 10x2 curve-5 curve-20 first-site first-site-linear'
                        ' local; "load" is part 3 (alone: --only load runs nothing else)')
    parser.add_argument('--load-sites', type=int, default=50, metavar='N',
                        help='part 3 (load): N sites x 2 listeners on and off once, --forks %d, every %dth ELBv2 call'
                        ' throttled (default 50; 0 skips it; --smoke leaves it out)' % (load.FORKS, load.THROTTLE_EVERY))
    args = parser.parse_args(argv)
    if args.load_sites < 0:
        parser.error('--load-sites is 0 (skip) or more, got %d' % args.load_sites)
    if args.smoke:
        args.runs = 1
    return args


def _missing(paths):
    return [p for p in paths if not os.path.exists(os.path.join(REPO, p))]


def _cpu_model():
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as handle:
            for line in handle:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def _versions():
    found = {'python': platform.python_version()}
    try:
        from ansible import release  # pylint: disable=import-outside-toplevel
        found['ansible-core'] = release.__version__
    except ImportError:
        pass
    try:
        import ansible_collections.amazon.aws.plugins.module_utils.common as aws_common  # pylint: disable=import-outside-toplevel
        found['amazon.aws'] = getattr(aws_common, 'AMAZON_AWS_COLLECTION_VERSION', 'unknown')
    except ImportError:
        pass
    try:
        import moto  # pylint: disable=import-outside-toplevel
        found['moto'] = moto.__version__
    except ImportError:
        pass
    return found


def meta(args):
    return {
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'machine': {'cores': os.cpu_count(), 'cpu': _cpu_model(), 'system': platform.platform(),
                    'load_average_at_start': [round(x, 2) for x in os.getloadavg()]},
        'versions': _versions(),
        'runs': args.runs,
        'smoke': args.smoke,
    }


def _load_only(args):
    return bool(args.only) and set(args.only) == {'load'}


def _load_part(args, data, log):
    """Part 3 (load), in a sandbox of its own after the others are stopped."""
    if args.smoke:
        return
    if args.load_sites == 0:
        data['skipped'].append('part 3 (load): --load-sites 0')
    elif args.only and 'load' not in args.only:
        data['skipped'].append('part 3 (load): not in --only')
    elif _missing(NEEDED_RUNBOOK):
        data['skipped'].append('part 3 (load): missing %s' % ', '.join(_missing(NEEDED_RUNBOOK)))
    else:
        log('Part 3: load')
        data['load'] = load.run(sites=args.load_sites, log=log)
        if not data['load']['ok']:
            data['errors'].append('load: %d/%d sites ok, on rc %s, off rc %s' % (
                data['load']['sites_ok'], data['load']['sites'], data['load']['on']['rc'], data['load']['off']['rc']))


def bench(args, log=print):
    """Run everything asked for; returns the report as a dict (also what goes to the JSON)."""
    started = time.monotonic()
    data = {'meta': meta(args), 'skipped': [], 'errors': []}
    if _load_only(args):
        _load_part(args, data, log)
        data['meta']['load_average_at_end'] = [round(x, 2) for x in os.getloadavg()]
        data['meta']['elapsed'] = round(time.monotonic() - started, 1)
        return data
    missing_modules = _missing(NEEDED_MODULES)
    missing_runbook = _missing(NEEDED_RUNBOOK)
    workdir = tempfile.mkdtemp(prefix='sorrypage-bench-')
    site_names = runbook.SANDBOX_SITES if not args.smoke else ['shop']
    log('Starting the sandbox (%d sites, loopback only)...' % len(site_names))
    sandbox = Sandbox(site_names=site_names, pod_delay=1.0).start()
    est = None
    try:
        if args.skip_module:
            data['skipped'].append('part 1 (module API calls): --skip-module')
        elif missing_modules:
            data['skipped'].append('part 1 (module API calls): missing %s' % ', '.join(missing_modules))
        else:
            log('Part 1: module API calls')
            data['module_calls'] = module_calls.run(sandbox, workdir, smoke=args.smoke, log=log)
        if args.skip_runbook:
            data['skipped'].append('part 2 (runbook): --skip-runbook')
        elif missing_runbook:
            data['skipped'].append('part 2 (runbook): SKIPPED, the runbook is not there yet: missing %s'
                                   % ', '.join(missing_runbook))
        else:
            log('Part 2: the runbook')
            est = runbook.Estate(sandbox, curve=(1,) if args.smoke else runbook.CURVE, log=log)
            results = []
            for spec in runbook.scenarios(est, args):
                elapsed = time.monotonic() - started
                if spec.get('optional') and elapsed > args.budget:
                    data['skipped'].append('scenario %s: not started, %.0fs spent of the %.0fs budget (--budget)'
                                           % (spec['name'], elapsed, args.budget))
                    continue
                results.append(runbook.run_scenario(est, spec, spec['runs'], workdir, log=log))
            scenarios = [analysis.scenario(r) for r in results]
            by_name = {s['name']: s for s in scenarios}
            data['runbook'] = {'scenarios': scenarios, 'targets': analysis.targets(by_name), 'raw': results}
            for sc in scenarios:
                for key in ('ours', 'baseline'):
                    if sc[key] and not sc[key]['ok']:
                        data['errors'].append('%s %s: %s' % (sc['name'], key, ' | '.join(sc[key]['failures'])))
    finally:
        if est is not None:
            est.stop()
        sandbox.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    _load_part(args, data, log)
    data['meta']['load_average_at_end'] = [round(x, 2) for x in os.getloadavg()]
    data['meta']['elapsed'] = round(time.monotonic() - started, 1)
    if 'module_calls' in data:
        for step in data['module_calls']['steps'] + data['module_calls'].get('baseline', []):
            if step['failed']:
                data['errors'].append('module step %s: %s' % (step['step'], step['msg']))
    return data


def render(data):
    parts = []
    m = data['meta']
    parts.append('sorrypage.aws bench, %s, %s cores (%s), load average %s at start, %s at end, %.0fs' % (
        m['date'], m['machine']['cores'], m['machine']['cpu'], m['machine']['load_average_at_start'],
        m.get('load_average_at_end'), m.get('elapsed', 0)))
    if 'module_calls' in data:
        parts.append(report.module_calls(data['module_calls']))
    if 'runbook' in data:
        parts.append(report.runbook(data['runbook']))
    if 'load' in data:
        parts.append(load.render(data['load']))
    for line in data['skipped']:
        parts.append('SKIPPED: %s' % line)
    for line in data['errors']:
        parts.append('ERROR: %s' % line)
    return '\n'.join(parts)


def _all_targets(data):
    found = list(data.get('module_calls', {}).get('targets', []))
    found += data.get('runbook', {}).get('targets', [])
    return found


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    data = bench(args, log=lambda line: print(line, flush=True))
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, 'w', encoding='utf-8') as handle:
        json.dump(data, handle, indent=1, sort_keys=True, default=str)
    print(render(data))
    print('\nJSON: %s' % args.output)
    failed = [t for t in _all_targets(data) if t['ok'] is False]
    if data['errors']:
        return 1
    return 2 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
