"""Part 2: the runbook (playbooks/maintenance_on.yml, maintenance_off.yml) against the sandbox.

Every scenario switches its own freshly seeded, controller-shaped sites
(rules at 1..3 on every listener, a fixed 404 default action), and the
baseline switches identical twins, in the same run, interleaved (ours on,
[rerun], off, then the baseline on, [rerun], off), so both see the same
machine load.

The switch compared (the ``comparable`` configuration): on every listener a
bypass for the office CIDR (forward to the application's target group) and a
sorry rule for every host and path. The runbook puts both in front of the
controller's rules (``make_room``); elb_application_lb can only put them
behind. Time-to-sorry is measured with a Host header that none of the
controller's rules routes (the ALB's DNS name), so that a request reaches
the baseline's rule too; after each ``on`` a request with the application's
host name shows what the public really gets (the runbook: 503; the baseline:
the application, its sorry rule sits behind the controller's).

Scenarios: ``1x1`` (1 site x 1 listener), ``eks`` (1x1 in EKS-outage mode: the
controller paused after the page is up), ``10x2`` (10 sites x 2 listeners,
``--forks 10``), ``curve-5`` and ``curve-20`` (one site with 5 / 20
listeners; the curve's 1 is ``1x1``), ``first-site`` and
``first-site-linear`` (the 1-listener site beside the 5-listener one, with
the free and the linear play strategy: does the small site wait for the
big one?), and, within the time budget, ``local`` (inventories/local as
shipped: two products by host, bypass by CIDR and header, mirror,
passthrough).
"""
import os

from tests.bench import estate
from tests.bench.module_calls import OFFICE_CIDR, baseline_vars
from tests.bench.poller import is_forwarded, is_sorry, not_sorry
from tests.bench.runs import local_host_vars, measured, write_inventory
from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, DataPlane, request

# Ports of the main sandbox sites (80 HTTP, 443 HTTPS): 10x2 uses both.
TEN = ['s%d' % i for i in range(10)]
TEN_BASE = ['b%d' % i for i in range(10)]
SANDBOX_SITES = ['shop'] + TEN + TEN_BASE
CURVE = (1, 5, 20)


class Estate:
    """The sites of part 2: the sandbox's own plus the curve sites with their own data plane."""

    def __init__(self, sandbox, curve=CURVE, log=print):
        self.sandbox = sandbox
        self.elbv2 = sandbox.moto.client('elbv2')
        by_name = {s['name']: (i, s) for i, s in enumerate(sandbox.sites)}
        self.sites = {name: site for name, (_i, site) in by_name.items()}
        self._urls = {}
        for name, (index, site) in by_name.items():
            for port in site['listeners']:
                self._urls[(name, port)] = sandbox.url_for(port, index)
        extra = []
        for count in curve:
            for prefix in ('c', 'cb'):
                name = '%s%d' % (prefix, count)
                log('  seeding %s: one site with %d listener(s)' % (name, count))
                self.sites[name] = estate.seed_curve_site(sandbox.moto, name, count)
                extra.append(self.sites[name])
        self.dataplane = None
        if extra:
            self.dataplane = DataPlane(self.elbv2, [s['load_balancer_arn'] for s in extra], sandbox.app.url,
                                       refresh_interval=0.05).start()
            for site in extra:
                for port in site['listeners']:
                    self._urls[(site['name'], port)] = self.dataplane.url_for(port, site['load_balancer_arn'])

    def url(self, name, port):
        return self._urls[(name, port)]

    def stop(self):
        if self.dataplane is not None:
            self.dataplane.stop()
            self.dataplane = None

    def targets(self, names, step, host='dns'):
        """Poller targets for every listener of the sites (Host: the ALB's DNS name, or the first app host).

        on: ``sorry SITE:PORT`` (the public gets the page) and ``bypass
        SITE:PORT`` (the office is forwarded: the bypass rule is in); off:
        ``app SITE:PORT`` (the public no longer gets the page).
        """
        out = []
        for name in names:
            site = self.sites[name]
            header = site['dns_name'] if host == 'dns' else site['hosts'][0]
            for port in sorted(site['listeners']):
                where = '%s:%d' % (name, port)
                if step == 'on':
                    out.append(('sorry ' + where, self.url(name, port), header, PUBLIC_IP, is_sorry))
                    out.append(('bypass ' + where, self.url(name, port), header, OFFICE_IP, is_forwarded))
                else:
                    out.append(('app ' + where, self.url(name, port), header, PUBLIC_IP, not_sorry))
        return out

    def listeners(self, names):
        return sum(len(self.sites[n]['listeners']) for n in names)

    def what_users_get(self, names):
        """After `on`: per listener, what the public and the office get on the application's host name."""
        public = office = 0
        statuses = {}
        for name in names:
            site = self.sites[name]
            for port in sorted(site['listeners']):
                url = self.url(name, port) + '/'
                pub = request(url, host=site['hosts'][0], source_ip=PUBLIC_IP)
                off = request(url, host=site['hosts'][0], source_ip=OFFICE_IP)
                public += is_sorry(pub)
                office += off.status == 200
                statuses['%s:%d' % (name, port)] = [pub.status, off.status]
        return {'public_sorry': public, 'office_app': office, 'listeners': len(statuses), 'statuses': statuses}

    def snapshot(self, names):
        return estate.snapshot_sites(self.elbv2, [self.sites[n] for n in names])

    # -- inventories ---------------------------------------------------------

    def ours_inventory(self, path, names, eks_outage=False):
        """The comparable switch with the real runbook: office bypass + one sorry page for every host."""
        sandbox = self.sandbox
        hosts = {}
        for name in names:
            site = self.sites[name]
            hosts[name] = dict(local_host_vars(), **{
                'sorry_region': 'us-east-1',
                'sorry_aws_endpoint_url': sandbox.proxy.url,
                'sorry_load_balancer_name': site['load_balancer_name'],
                'sorry_pages': [{'name': 'sorry', 'page': 'en'}],
                'sorry_bypass_cidrs': [OFFICE_CIDR],
                'sorry_bypass_target_group_arn': site['target_groups'][sorted(site['target_groups'])[-1]],
                'sorry_public_url': sandbox.assets['public_url'],
                'sorry_reason': 'Database upgrade in progress.',
                'sorry_operator': 'bench',
                'sorry_verify_url': self.url(name, 80) + '/',
                'sorry_verify_headers': {'Host': site['hosts'][0]},
                'sorry_verify_delay': 1,
                'sorry_verify_timeout': 30,
                'sorry_eks_outage': bool(eks_outage),
                # The switch measured is the ALB driver's (the baseline edits the ALB too). Under auto the choice
                # of driver reads the ALB and the cluster first (docs/benchmarks.md).
                'sorry_driver': 'alb',
                'sorry_kubeconfig': sandbox.kubeconfig,
            })
        return write_inventory(path, 'sorry_sites', hosts)

    def baseline_inventory(self, path, names):
        hosts = {}
        for name in names:
            site = self.sites[name]
            subnets, groups = estate.load_balancer_network(self.elbv2, site['load_balancer_arn'])
            hosts[name] = dict(local_host_vars(), **baseline_vars(
                self.sandbox, site, subnets, groups, estate.listener_specs(self.elbv2, site)))
        return write_inventory(path, 'bench_sites', hosts)


def _switch(est, kind, names, inventory, forks, rerun, env=None, extra_vars=None, host='dns', pods=None, log=print):
    """on, [rerun], off for one side (ours or the baseline); returns the runs and the checks."""
    on_name, off_name = ('maintenance_on', 'maintenance_off') if kind == 'ours' else ('baseline_on', 'baseline_off')
    before = est.snapshot(names)
    out = {}
    log('    %s on' % kind)
    out['on'] = measured(est.sandbox.proxy, on_name, inventory, targets=est.targets(names, 'on', host=host),
                         forks=forks, env=env, extra_vars=extra_vars, pods=pods)
    out['users_after_on'] = est.what_users_get(names)
    if rerun:
        log('    %s rerun of on' % kind)
        out['rerun'] = measured(est.sandbox.proxy, on_name, inventory, forks=forks, env=env, extra_vars=extra_vars)
    log('    %s off' % kind)
    out['off'] = measured(est.sandbox.proxy, off_name, inventory, targets=est.targets(names, 'off', host=host),
                          forks=forks, env=env, extra_vars=extra_vars)
    out['restored_exactly'] = est.snapshot(names) == before
    return out


def run_scenario(est, spec, runs, workdir, log=print):
    """Run a scenario ``runs`` times; the rerun of `on` only in the first run (its counts do not vary)."""
    name = spec['name']
    ours_inv = est.ours_inventory(os.path.join(workdir, 'bench-%s-ours.yml' % name), spec['ours'],
                                  eks_outage=spec.get('eks', False)) if spec.get('inventory') is None else spec['inventory']
    base_inv = est.baseline_inventory(os.path.join(workdir, 'bench-%s-base.yml' % name), spec['base']) \
        if spec.get('base') else None
    result = {'name': name, 'title': spec['title'], 'sites': len(spec['ours']),
              'listeners': est.listeners(spec['ours']), 'forks': spec.get('forks'), 'runs': [],
              'strategy': (spec.get('extra_vars') or {}).get('sorry_play_strategy', 'free')}
    for index in range(runs):
        log('  %s, run %d/%d' % (spec['title'], index + 1, runs))
        one = {'ours': _switch(est, 'ours', spec['ours'], ours_inv, spec.get('forks'), spec.get('rerun') and index == 0,
                               env=spec.get('env'), extra_vars=spec.get('extra_vars'), host=spec.get('host', 'dns'),
                               pods=spec.get('pods'), log=log)}
        if base_inv:
            one['baseline'] = _switch(est, 'baseline', spec['base'], base_inv, spec.get('forks'),
                                      spec.get('rerun') and index == 0, log=log)
        result['runs'].append(one)
    return result


def scenarios(est, args):
    """The scenario list for these options, in the order they run (``optional`` ones only within the budget)."""
    sandbox = est.sandbox
    out = [{'name': '1x1', 'title': '1 site x 1 listener', 'ours': ['c1'], 'base': ['cb1'], 'rerun': True,
            'runs': args.runs}]
    if args.smoke:
        return out
    out.append({'name': 'eks', 'title': '1 site x 1 listener, EKS-outage mode (controller paused after the page)',
                'ours': ['c1'], 'eks': True, 'runs': 1, 'pods': lambda: len(sandbox.kube.running_pods())})
    out.append({'name': '10x2', 'title': '10 sites x 2 listeners, --forks 10', 'ours': TEN, 'base': TEN_BASE,
                'forks': 10, 'rerun': True, 'runs': args.runs})
    for count in CURVE[1:]:
        out.append({'name': 'curve-%d' % count, 'title': '1 site x %d listeners' % count, 'ours': ['c%d' % count],
                    'base': ['cb%d' % count], 'rerun': count == CURVE[1], 'runs': 1})
    # A small site beside a bigger one: with the free strategy the small one shows its page without waiting for
    # the other's bypass rules; with linear it waits at every task.
    for strategy in ('free', 'linear'):
        out.append({'name': 'first-site' + ('' if strategy == 'free' else '-linear'),
                    'title': '2 sites (1 and %d listeners), %s strategy' % (CURVE[1], strategy),
                    'ours': ['c1', 'c%d' % CURVE[1]], 'runs': 1, 'extra_vars': {'sorry_play_strategy': strategy}})
    out.append({'name': 'local', 'title': 'inventories/local as shipped (2 products by host, CIDR + header bypass,'
                ' mirror, passthrough), 1 site x 2 listeners', 'ours': ['shop'], 'rerun': True, 'runs': 1,
                'inventory': os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                          'inventories', 'local', 'hosts.yml'),
                'env': sandbox.env(0), 'host': 'app', 'optional': True})
    if args.only:
        out = [spec for spec in out if spec['name'] in args.only]
    return out
