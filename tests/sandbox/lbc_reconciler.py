"""A stand-in for the AWS Load Balancer Controller's reconcile loop.

The real controller, on every reconcile, lists the rules of the listeners it
owns, deletes every rule that is not in its model, and puts its own rules back
at their priorities, modifying in place a rule it finds at one of them. This
thread does the same against the moto server, every ``interval`` seconds,
while a pod of the stand-in Deployment runs (read in-process from a
``K8sApi``; a Terminating pod still runs), so tests can show why the
controller must be paused, and paused until its pods are really gone.

Two modes:

- snapshot (the default): the model is the listeners' rules when the
  reconciler is created: the rules carrying the controller's
  ``ingress.k8s.aws/stack`` tag when any rule does, else every non-default
  rule (identified by its ARN at snapshot time);
- Ingress (``ingress_stack='namespace/name'`` or an IngressGroup name): the
  model is built, on every pass, from the Ingresses the ``K8sApi`` holds
  now, as the real controller builds it (``tests.sandbox.ingress_model``):
  rules 1..N per listener port, its tags, the listener's default action. A
  listener whose port no Ingress of the stack listens on loses its rules.
  An Ingress the controller would refuse changes nothing; the error is in
  ``errors`` and, as the controller does, in a Warning Event
  ``FailedBuildModel`` on each Ingress of the stack. After a pass it writes
  the ALB's DNS name into the members' ``status.loadBalancer`` (only when it
  differs).

With ``register_targets`` (Ingress mode), each pass also does what the
controller's TargetGroupBindings do for ``target-type: ip``: for every
target group of ``target_groups``, the podIPs of the Service's ready pods
are registered (port 8080) and the targets no longer backing it
deregistered. Paused or not acting, nobody registers: a release then leaves
the target groups with the old pods' addresses.

``stop_acting()`` makes a running controller do nothing (crash-looping,
webhook down, the Ingress rejected) until ``resume_acting()``.
"""
import json
import threading

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from tests.sandbox.ingress_model import IngressModelError, in_stack, listener_rules, stack_members

STACK_TAG = 'ingress.k8s.aws/stack'
CONTROLLER_SELECTOR = 'app.kubernetes.io/name=aws-load-balancer-controller'
_CONDITION_CONFIGS = {
    'host-header': 'HostHeaderConfig', 'path-pattern': 'PathPatternConfig', 'http-header': 'HttpHeaderConfig',
    'http-request-method': 'HttpRequestMethodConfig', 'query-string': 'QueryStringConfig', 'source-ip': 'SourceIpConfig',
}
_ACTION_CONFIGS = {
    'forward': 'ForwardConfig', 'fixed-response': 'FixedResponseConfig', 'redirect': 'RedirectConfig',
    'authenticate-oidc': 'AuthenticateOidcConfig', 'authenticate-cognito': 'AuthenticateCognitoConfig',
}


def normalize_conditions(conditions):
    """Conditions in their ``*Config`` form (what ModifyRule/CreateRule accept), in a stable order."""
    out = []
    for cond in conditions or []:
        key = _CONDITION_CONFIGS[cond['Field']]
        config = dict(cond.get(key) or {})
        if 'Values' in cond and not config:
            config = {'Values': list(cond['Values'])}
        out.append({'Field': cond['Field'], key: config})
    return sorted(out, key=lambda c: json.dumps(c, sort_keys=True))


def normalize_actions(actions):
    """Actions as the API accepts them back, in order; forwards reduced to their target groups."""
    out = []
    for action in sorted(actions or [], key=lambda a: a.get('Order', 0)):
        item = {'Type': action['Type']}
        if 'Order' in action:
            item['Order'] = action['Order']
        if action['Type'] == 'forward':
            groups = (action.get('ForwardConfig') or {}).get('TargetGroups') or [{'TargetGroupArn': action['TargetGroupArn']}]
            if len(groups) == 1:
                item['TargetGroupArn'] = groups[0]['TargetGroupArn']
            else:
                item['ForwardConfig'] = {'TargetGroups': sorted(
                    ({'TargetGroupArn': g['TargetGroupArn'], 'Weight': g.get('Weight', 1)} for g in groups),
                    key=lambda g: g['TargetGroupArn'])}
        else:
            key = _ACTION_CONFIGS[action['Type']]
            item[key] = dict(action.get(key) or {})
            if action['Type'] == 'fixed-response':
                item[key].setdefault('MessageBody', '')
        out.append(item)
    return out


def _same(left, right):
    return json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)


class LbcReconciler:
    """Reconcile ``listener_arns`` every ``interval`` seconds while a controller pod runs.

    ``api`` is the sandbox ``K8sApi``; ``endpoint_url`` the moto server (or
    pass a boto3 ``elbv2`` client). ``start()`` / ``stop()``, or use it as a
    context manager; or, not started, call ``tick()`` for each loop, so a test
    decides when the controller acts. ``passes`` counts reconciles done,
    ``ticks`` every loop (also idle ones, with the controller at zero);
    ``changes`` records each write as (operation, listener_arn, priority);
    ``errors`` AWS errors (and, in Ingress mode, Ingresses it would refuse).

    Ingress mode: ``ingress_stack`` (group name or ``namespace/name``),
    ``target_groups`` (``namespace/service[:port]`` -> ARN, for plain
    service backends; ``seed_ingress`` returns it), ``cluster_name`` and
    ``ingress_class`` as the controller's flags say. ``register_targets``:
    also register the Services' pods in their target groups on each pass
    (``target_changes`` records each as (operation, target_group_arn, ip)).
    """

    def __init__(self, api, endpoint_url=None, listener_arns=(), interval=1.0, selector=CONTROLLER_SELECTOR,
                 namespace=None, region='us-east-1', elbv2=None, ingress_stack=None, target_groups=None,
                 cluster_name='sandbox', ingress_class='alb', register_targets=False, target_port=8080):
        if register_targets and ingress_stack is None:
            raise ValueError('register_targets needs the Ingress mode (ingress_stack): the snapshot mode knows no Services')
        self.api = api
        self.elbv2 = elbv2 or boto3.client('elbv2', region_name=region, endpoint_url=endpoint_url,
                                           aws_access_key_id='testing', aws_secret_access_key='testing')
        self.listener_arns = list(listener_arns)
        self.interval = interval
        self.selector = selector
        self.namespace = namespace
        self.passes = 0
        self.ticks = 0
        self.changes = []
        self.errors = []
        self.last_tick_active = None
        self._started_ticks = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = None
        self.acting = True
        # The real controller rewrites a listener's rules one call at a time; a test that must see every state in
        # between sets this to 1 and ticks the reconciler itself (tick()).
        self.max_changes_per_tick = None
        self._budget = None
        self.ingress_stack = ingress_stack
        self.target_groups = dict(target_groups or {})
        self.cluster_name = cluster_name
        self.ingress_class = ingress_class
        self._ports = {}
        self._dns_name = None
        self.register_targets = register_targets
        self.target_port = target_port
        self.target_changes = []
        if ingress_stack is None:
            self.model = {arn: self._snapshot(arn) for arn in self.listener_arns}
        else:
            self.model = None

    @property
    def ingress_mode(self):
        return self.ingress_stack is not None

    def stop_acting(self):
        """The controller runs but does nothing (a crash loop, a rejected Ingress): ticks are idle."""
        self.acting = False

    def resume_acting(self):
        self.acting = True

    # ---- AWS reads -------------------------------------------------------
    def _rules(self, listener_arn):
        rules, marker = [], None
        while True:
            kwargs = {'ListenerArn': listener_arn, 'PageSize': 400}
            if marker:
                kwargs['Marker'] = marker
            page = self.elbv2.describe_rules(**kwargs)
            rules += page['Rules']
            marker = page.get('NextMarker')
            if not marker:
                return [r for r in rules if not r.get('IsDefault')]

    def _tags(self, arns):
        tags = {}
        for start in range(0, len(arns), 20):
            for desc in self.elbv2.describe_tags(ResourceArns=arns[start:start + 20])['TagDescriptions']:
                tags[desc['ResourceArn']] = {t['Key']: t['Value'] for t in desc.get('Tags', [])}
        return tags

    def _snapshot(self, listener_arn):
        rules = self._rules(listener_arn)
        tags = self._tags([r['RuleArn'] for r in rules]) if rules else {}
        if any(STACK_TAG in tags.get(r['RuleArn'], {}) for r in rules):
            rules = [r for r in rules if STACK_TAG in tags.get(r['RuleArn'], {})]
        listener = self.elbv2.describe_listeners(ListenerArns=[listener_arn])['Listeners'][0]
        return {
            'default_actions': normalize_actions(listener['DefaultActions']),
            'rules': {int(r['Priority']): {'arn': r['RuleArn'], 'conditions': normalize_conditions(r['Conditions']),
                                           'actions': normalize_actions(r['Actions']),
                                           'tags': tags.get(r['RuleArn'], {})} for r in rules},
        }

    # ---- one reconcile ---------------------------------------------------
    def reconcile_once(self):
        """One pass over every listener, whatever the controller's replicas."""
        if self.ingress_mode:
            try:
                self._reconcile_ingresses()
            finally:
                # The TargetGroupBindings reconcile on their own: a refused Ingress does not stop registration.
                if self.register_targets:
                    self.reconcile_targets()
            return
        for listener_arn in self.listener_arns:
            self._reconcile_listener(listener_arn, self.model[listener_arn])

    def ingress_model(self):
        """{listener_arn: {'default_actions', 'rules': {priority: {conditions, actions, tags}}}} from the Ingresses now.

        Raises IngressModelError when the controller would refuse the stack.
        """
        by_port = listener_rules(self.api.list('ingresses'), self.ingress_stack, self.target_groups,
                                 self.cluster_name, self.ingress_class)
        model = {}
        for listener_arn in self.listener_arns:
            port = self._port_of(listener_arn)
            wanted = by_port.get(port)
            if wanted is None:
                model[listener_arn] = {'default_actions': None, 'rules': {}}
                continue
            model[listener_arn] = {
                'default_actions': normalize_actions(wanted['default_actions']),
                'rules': {r['priority']: {'conditions': normalize_conditions(r['conditions']),
                                          'actions': normalize_actions(r['actions']), 'tags': r['tags']}
                          for r in wanted['rules']}}
        return model

    def _port_of(self, listener_arn):
        if listener_arn not in self._ports:
            listener = self.elbv2.describe_listeners(ListenerArns=[listener_arn])['Listeners'][0]
            self._ports[listener_arn] = (listener['Port'], listener['LoadBalancerArn'])
        return self._ports[listener_arn][0]

    def _reconcile_ingresses(self):
        try:
            model = self.ingress_model()
        except IngressModelError as exc:
            for ing in in_stack(self.api.list('ingresses'), self.ingress_stack, self.ingress_class):
                self.api.record_event(ing, 'FailedBuildModel', 'Failed build model due to %s' % exc)
            raise
        for listener_arn in self.listener_arns:
            self._reconcile_listener(listener_arn, model[listener_arn])
        self._publish_status()

    def _publish_status(self):
        """The ALB's DNS name in each member's status.loadBalancer, as the controller reports it."""
        lb_arns = sorted({self._ports[arn][1] for arn in self.listener_arns})
        if not lb_arns:
            return
        if self._dns_name is None:  # an ALB's DNS name never changes: read once
            self._dns_name = self.elbv2.describe_load_balancers(LoadBalancerArns=lb_arns[:1])['LoadBalancers'][0]['DNSName']
        hostname = self._dns_name
        wanted = {'loadBalancer': {'ingress': [{'hostname': hostname}]}}
        for ing in stack_members(self.api.list('ingresses'), self.ingress_stack, self.ingress_class):
            if (ing.get('status') or {}).get('loadBalancer') != wanted['loadBalancer']:
                meta = ing['metadata']
                self.api.patch('ingresses', meta['name'], {'status': wanted}, meta['namespace'])

    def _reconcile_listener(self, listener_arn, model):
        wanted = model['rules']
        actual = {int(r['Priority']): r for r in self._rules(listener_arn)}
        for priority, rule in sorted(actual.items()):
            if priority not in wanted:
                if not self._spend():
                    return
                self.elbv2.delete_rule(RuleArn=rule['RuleArn'])
                self.changes.append(('delete', listener_arn, priority))
        # The tags of the rules at the model's priorities, in one DescribeTags (by 20), not one per rule.
        tagged = [actual[p]['RuleArn'] for p, want in wanted.items() if p in actual and STACK_TAG in (want['tags'] or {})]
        tags_now = self._tags(tagged) if tagged else {}
        for priority, want in sorted(wanted.items()):
            have = actual.get(priority)
            if have is None:
                if not self._spend():
                    return
                kwargs = {'Tags': [{'Key': k, 'Value': v} for k, v in sorted(want['tags'].items())]} if want['tags'] else {}
                self.elbv2.create_rule(ListenerArn=listener_arn, Priority=priority, Conditions=want['conditions'],
                                       Actions=want['actions'], **kwargs)
                self.changes.append(('create', listener_arn, priority))
                continue
            if not (_same(normalize_conditions(have['Conditions']), want['conditions'])
                    and _same(normalize_actions(have['Actions']), want['actions'])):
                if not self._spend():
                    return
                self.elbv2.modify_rule(RuleArn=have['RuleArn'], Conditions=want['conditions'], Actions=want['actions'])
                self.changes.append(('modify', listener_arn, priority))
            if want['tags'] and STACK_TAG in want['tags']:
                self._reconcile_tags(have['RuleArn'], tags_now.get(have['RuleArn'], {}), want['tags'], listener_arn,
                                     priority)
        if model['default_actions'] is None:
            return
        listener = self.elbv2.describe_listeners(ListenerArns=[listener_arn])['Listeners'][0]
        if not _same(normalize_actions(listener['DefaultActions']), model['default_actions']):
            self.elbv2.modify_listener(ListenerArn=listener_arn, DefaultActions=model['default_actions'])
            self.changes.append(('modify-default', listener_arn, None))

    # ---- targets (TargetGroupBinding, target-type ip) --------------------
    def ready_pod_ips(self, namespace, service):
        """The podIPs of the ready pods behind ``namespace/service`` (a Terminating pod is out of the endpoints);
        None when the Service does not exist."""
        svc = self.api.get('services', service, namespace)
        if svc is None:
            return None
        selector = (svc.get('spec') or {}).get('selector') or {}
        if not selector:
            return []
        text = ','.join('%s=%s' % (k, v) for k, v in sorted(selector.items()))
        ips = []
        for pod in self.api.list('pods', namespace, text):
            status = pod.get('status') or {}
            ready = any(c.get('type') == 'Ready' and c.get('status') == 'True' for c in status.get('conditions') or [])
            if (status.get('phase') == 'Running' and ready and status.get('podIP')
                    and 'deletionTimestamp' not in pod['metadata']):
                ips.append(status['podIP'])
        return sorted(ips)

    def reconcile_targets(self):
        """Register the ready pods of each Service in its target group, deregister the targets no longer backing it."""
        for key, tg_arn in sorted(self.target_groups.items()):
            namespace, service = key.split(':', 1)[0].split('/', 1)
            wanted = self.ready_pod_ips(namespace, service)
            if wanted is None:
                continue  # no Service: the real binding fails and leaves the targets as they are
            have = {d['Target']['Id']: d['Target'].get('Port', self.target_port) for d in
                    self.elbv2.describe_target_health(TargetGroupArn=tg_arn)['TargetHealthDescriptions']}
            new, gone = sorted(set(wanted) - set(have)), sorted(set(have) - set(wanted))
            if new:
                self.elbv2.register_targets(TargetGroupArn=tg_arn, Targets=[{'Id': ip, 'Port': self.target_port} for ip in new])
                self.target_changes.extend(('register', tg_arn, ip) for ip in new)
            if gone:
                self.elbv2.deregister_targets(TargetGroupArn=tg_arn, Targets=[{'Id': ip, 'Port': have[ip]} for ip in gone])
                self.target_changes.extend(('deregister', tg_arn, ip) for ip in gone)

    def _spend(self):
        """Whether the pass may make one more rule change: a controller whose pods are gone writes nothing more (a pass
        that started while it ran stops there), and at most max_changes_per_tick changes per tick."""
        if not self.controller_running():
            return False
        if self._budget is None:
            return True
        if self._budget <= 0:
            return False
        self._budget -= 1
        return True

    def _reconcile_tags(self, rule_arn, have, wanted, listener_arn, priority):
        """The controller owns the tags of its rules: extra keys go, its own come back (``have``: the tags now)."""
        extra = sorted(set(have) - set(wanted))
        if extra:
            self.elbv2.remove_tags(ResourceArns=[rule_arn], TagKeys=extra)
        missing = [{'Key': k, 'Value': v} for k, v in sorted(wanted.items()) if have.get(k) != v]
        if missing:
            self.elbv2.add_tags(ResourceArns=[rule_arn], Tags=missing)
        if extra or missing:
            self.changes.append(('retag', listener_arn, priority))

    # ---- the loop --------------------------------------------------------
    def controller_running(self):
        """True while a controller pod runs, Terminating ones included (they reconcile until they exit)."""
        return bool(self.api.running_pods(self.selector, self.namespace))

    def tick(self):
        """One loop now, in the caller's thread: True if a controller pod ran and it reconciled."""
        if self._thread is not None:
            raise RuntimeError('the reconciler runs its own loop: use wait_for_pass()')
        return self._tick()

    def _tick(self):
        with self._cond:
            self._started_ticks += 1
        active = False
        self._budget = self.max_changes_per_tick
        try:
            active = self.acting and self.controller_running()
            if active:
                self.reconcile_once()
        except (BotoCoreError, ClientError, IngressModelError) as exc:
            self.errors.append(exc)
        finally:
            with self._cond:
                self.ticks += 1
                self.passes += 1 if active else 0
                self.last_tick_active = active
                self._cond.notify_all()
        return active

    def poke(self):
        """A client wrote to the Kubernetes API: the running loop starts its next pass now instead of at the end of
        its interval, as the real controller reconciles on a watch event. Otherwise it passes every ``interval``
        seconds (pods that become ready or go; what changed on the ALB, which it does not watch)."""
        self._wake.set()

    def _run(self):
        while not self._stop.is_set():
            self._wake.clear()
            self._tick()
            self._wake.wait(self.interval)

    def start(self):
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name='lbc-reconciler', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None

    def wait_for_pass(self, timeout=15.0):
        """Wait for a whole loop that started after this call; True if it reconciled, False if it was idle."""
        with self._cond:
            target = self._started_ticks + 1
        self.poke()
        with self._cond:
            if not self._cond.wait_for(lambda: self.ticks >= target, timeout):
                raise TimeoutError('the reconciler made no pass within %ss' % timeout)
            return self.last_tick_active

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
