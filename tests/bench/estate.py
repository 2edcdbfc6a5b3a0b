"""The listeners the bench measures on, built on top of tests/sandbox/seed.py.

``seed_site`` makes an ALB shaped like one the AWS Load Balancer Controller
manages: rules at 1..3 on each listener. The bench needs more of the same:
a listener with 20 controller-style rules (at 1..20, or further back so
there is room in front), and one site with many identical listeners (the
1 / 5 / 20 listener curve). Everything here talks to moto directly, never
through the counting proxy, so it is not counted.
"""
from tests.sandbox.seed import seed_site, snapshot_listener

FIRST_EXTRA_PORT = 8001


def _all_rules(elbv2, listener_arn):
    rules, kwargs = [], {'ListenerArn': listener_arn, 'PageSize': 400}
    while True:
        page = elbv2.describe_rules(**kwargs)
        rules.extend(page['Rules'])
        if not page.get('NextMarker'):
            return rules
        kwargs['Marker'] = page['NextMarker']


def foreign_rules(elbv2, listener_arn):
    """The listener's non-default rules, in priority order."""
    return sorted((r for r in _all_rules(elbv2, listener_arn) if not r.get('IsDefault')), key=lambda r: int(r['Priority']))


def rule_count(elbv2, listener_arn):
    """How many non-default rules the listener has now (the ``rules`` of the rerun target)."""
    return len(foreign_rules(elbv2, listener_arn))


def _controller_tags(site, port, index):
    stack = '%s/main' % site['name']
    return [{'Key': 'elbv2.k8s.aws/cluster', 'Value': site['cluster_name'] or 'sandbox'},
            {'Key': 'ingress.k8s.aws/stack', 'Value': stack},
            {'Key': 'ingress.k8s.aws/resource', 'Value': '%d:%d' % (port, index)}]


def grow_to(elbv2, site, port, count, first_priority=1):
    """Give the listener on ``port`` ``count`` controller-style rules at first_priority.. (seeded ones moved there)."""
    listener = site['listeners'][port]
    existing = foreign_rules(elbv2, listener)
    if first_priority != 1 and existing:
        # Move the seeded rules back, highest first, so no two share a priority on the way.
        elbv2.set_rule_priorities(RulePriorities=[
            {'RuleArn': r['RuleArn'], 'Priority': first_priority + i} for i, r in reversed(list(enumerate(existing)))])
    target_group = site['target_groups'][sorted(site['target_groups'])[-1]]
    for index in range(len(existing), count):
        elbv2.create_rule(
            ListenerArn=listener, Priority=first_priority + index,
            Conditions=[{'Field': 'host-header', 'HostHeaderConfig': {'Values': ['app%02d.example.test' % (index + 1)]}},
                        {'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/*']}}],
            Actions=[{'Type': 'forward', 'TargetGroupArn': target_group}],
            Tags=_controller_tags(site, port, index + 1))
    return listener


def add_listeners(elbv2, site, count):
    """Add HTTP listeners on 8001.. until the site has ``count``, each a copy of port 80 (rules and tags)."""
    template = site['listeners'][80]
    rules = foreign_rules(elbv2, template)
    default = elbv2.describe_listeners(ListenerArns=[template])['Listeners'][0]['DefaultActions']
    port = FIRST_EXTRA_PORT
    while len(site['listeners']) < count:
        while port in site['listeners']:
            port += 1
        arn = elbv2.create_listener(LoadBalancerArn=site['load_balancer_arn'], Protocol='HTTP', Port=port,
                                    DefaultActions=[_clean_action(a) for a in default])['Listeners'][0]['ListenerArn']
        for index, rule in enumerate(rules, start=1):
            elbv2.create_rule(ListenerArn=arn, Priority=int(rule['Priority']),
                              Conditions=[_clean_condition(c) for c in rule['Conditions']],
                              Actions=[_clean_action(a) for a in rule['Actions']],
                              Tags=_controller_tags(site, port, index))
        site['listeners'][port] = arn
    return site


def seed_curve_site(aws, name, listeners):
    """One controller-shaped site with ``listeners`` identical HTTP listeners (80, 8001, ...), 3 rules each."""
    site = seed_site(aws, name=name, https=False)
    return add_listeners(aws.client('elbv2'), site, listeners)


# -- the shapes amazon.aws.elb_application_lb wants ---------------------------

_CONDITION_CONFIG = {
    'host-header': 'HostHeaderConfig', 'path-pattern': 'PathPatternConfig', 'http-header': 'HttpHeaderConfig',
    'http-request-method': 'HttpRequestMethodConfig', 'query-string': 'QueryStringConfig',
    'source-ip': 'SourceIpConfig',
}


def _clean_condition(cond):
    key = _CONDITION_CONFIG[cond['Field']]
    config = cond.get(key)
    if config is None:
        config = {'Values': list(cond.get('Values') or [])}
    return {'Field': cond['Field'], key: config}


def _clean_action(action):
    kind = action['Type']
    if kind == 'forward':
        if action.get('TargetGroupArn'):
            return {'Type': 'forward', 'TargetGroupArn': action['TargetGroupArn']}
        return {'Type': 'forward', 'ForwardConfig': action['ForwardConfig']}
    if kind == 'fixed-response':
        return {'Type': kind, 'FixedResponseConfig': action['FixedResponseConfig']}
    if kind == 'redirect':
        return {'Type': kind, 'RedirectConfig': action['RedirectConfig']}
    raise ValueError('the bench does not copy %s actions' % kind)


def load_balancer_network(elbv2, load_balancer_arn):
    """Subnets and security groups: elb_application_lb requires them with state=present."""
    lb = elbv2.describe_load_balancers(LoadBalancerArns=[load_balancer_arn])['LoadBalancers'][0]
    return [z['SubnetId'] for z in lb['AvailabilityZones']], list(lb.get('SecurityGroups') or [])


def listener_specs(elbv2, site, ports=None):
    """Each listener as elb_application_lb's ``listeners`` entries want it, with its foreign rules.

    Returns a list of dicts: ``spec`` (Protocol, Port, DefaultActions, and
    SslPolicy / Certificates for HTTPS), ``rules`` (the foreign rules as
    Priority / Conditions / Actions), ``next_priority`` (the first free
    priority behind them: elb_application_lb cannot put a rule in front).
    """
    out = []
    for port in sorted(site['listeners']):
        if ports and port not in ports:
            continue
        arn = site['listeners'][port]
        listener = elbv2.describe_listeners(ListenerArns=[arn])['Listeners'][0]
        spec = {'Protocol': listener['Protocol'], 'Port': listener['Port'],
                'DefaultActions': [_clean_action(a) for a in listener['DefaultActions']]}
        if listener['Protocol'] == 'HTTPS':
            spec['SslPolicy'] = listener['SslPolicy']
            spec['Certificates'] = [{'CertificateArn': c['CertificateArn']} for c in listener['Certificates']]
        rules = [{'Priority': int(r['Priority']), 'Conditions': [_clean_condition(c) for c in r['Conditions']],
                  'Actions': [_clean_action(a) for a in r['Actions']]} for r in foreign_rules(elbv2, arn)]
        out.append({'arn': arn, 'port': port, 'spec': spec, 'rules': rules,
                    'next_priority': max([r['Priority'] for r in rules] or [0]) + 1})
    return out


def snapshot_sites(elbv2, sites):
    """Every rule (priority, conditions, actions, tags) of every listener of ``sites``, to compare before/after."""
    return {(site['name'], port): snapshot_listener(elbv2, arn)
            for site in sites for port, arn in sorted(site['listeners'].items())}
