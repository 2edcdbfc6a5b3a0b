# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The steps of the controller pause: pause, resume, status, over a cluster API object.

``api`` is anything with the methods of ``_k8s_api.ClusterApi`` (find_deployments,
get_deployment, patch_deployment, list_pods, list_services,
list_webhook_configurations), so the steps run against a fake in unit tests.
Writes carry the resourceVersion just read and are retried on 409 Conflict
(``Context.attempts`` in all); every other failure of the API is classified
by ``_k8s_errors`` and ends the step with a message that says what was left
undone, or, with sorry_eks_outage true and the API unreachable, a pending
result.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import time
import traceback

from ansible_collections.sorrypage.aws.plugins.module_utils import _k8s_errors as errors
from ansible_collections.sorrypage.aws.plugins.module_utils import _lbc_deployment as deployment
from ansible_collections.sorrypage.aws.plugins.module_utils import _lbc_record as records
from ansible_collections.sorrypage.aws.plugins.module_utils import _lbc_report as report

MODES = ('auto', 'true', 'false')
_TRUE = ('true', 'yes', 'on', '1')
_FALSE = ('false', 'no', 'off', '0')

Outcome = collections.namedtuple('Outcome', 'result changed banner')


class StepFailed(Exception):
    """A step ended with a message of its own (already saying what was left undone)."""

    def __init__(self, msg):
        super(StepFailed, self).__init__(msg)
        self.msg = msg


def parse_mode(value):
    """sorry_eks_outage: auto | true | false, from a bool or any of yes/no/on/off/1/0."""
    text = str(value).strip().lower() if value is not None else 'auto'
    if text in _TRUE:
        return 'true'
    if text in _FALSE:
        return 'false'
    if text in ('', 'auto', 'none'):
        return 'auto'
    raise ValueError('sorry_eks_outage must be auto, true or false, not %r' % (value,))


class Context:
    """What a step needs to know besides the cluster: the inputs, the clock, and how long to wait."""

    def __init__(self, site, mode='auto', controller_managed=False, cluster_name=None, namespace='kube-system',
                 selector='app.kubernetes.io/name=aws-load-balancer-controller', where='the current kube context',
                 wait_timeout=180, poll_interval=1.0, attempts=5, in_maintenance=None, check_mode=False,
                 clock=time.time, sleep=time.sleep, now=None):
        self.site = str(site)
        self.mode = parse_mode(mode)
        self.controller_managed = bool(controller_managed)
        self.cluster_name = cluster_name or None
        self.namespace = namespace
        self.selector = selector
        self.where = where
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self.attempts = attempts
        self.in_maintenance = in_maintenance
        self.check_mode = check_mode
        self.clock = clock
        self.sleep = sleep
        self.now = now or (lambda: time.strftime(records.TIME_FORMAT, time.gmtime(clock())))
        self.cluster_warnings = []
        # Set as the step goes: the Deployment found (for a pending result),
        # and the traceback of a failure nothing could classify.
        self.deployment_id = None
        self.traceback = None

    @property
    def wanted(self):
        return self.mode == 'true' or (self.mode == 'auto' and self.controller_managed)


def _dep_id(ctx, dep):
    return '%s/%s' % (ctx.namespace, deployment.name(dep))


def _find(api, ctx, step):
    """The controller's Deployment, None when there is none and the ALB is not controller-managed."""
    found = api.find_deployments(ctx.namespace, ctx.selector)
    if not found and ctx.controller_managed:
        raise StepFailed('%s %s' % (report.none_found(ctx), report.NOT_DONE[step]))
    if len(found) > 1:
        names = ['%s/%s' % (ctx.namespace, deployment.name(dep)) for dep in found]
        raise StepFailed('%s Nothing was changed in the cluster. %s' % (report.several_found(ctx, names), report.NOT_DONE[step]))
    if not found:
        return None
    dep = found[0]
    ctx.deployment_id = _dep_id(ctx, dep)
    problem = deployment.cluster_problem(dep, ctx.cluster_name)
    if problem:
        raise StepFailed(report.refused_cluster(ctx, step, _dep_id(ctx, dep), problem))
    ctx.cluster_warnings = deployment.cluster_warnings(dep, ctx.cluster_name, ctx.where)
    return dep


def _read_record(ctx, dep, step):
    try:
        return records.read_record(deployment.annotations(dep))
    except records.DamagedRecord as exc:
        raise StepFailed('%s %s' % (report.damaged(_dep_id(ctx, dep), records.KEY_REPLICAS, exc.value), report.NOT_DONE[step]))


def write_record(api, ctx, dep, step, plan_for):
    """Plan from the Deployment as read, write with its resourceVersion, re-read and replan on 409.

    ``plan_for(record, dep)`` gives a ``_lbc_record.Plan``. Returns (plan,
    record before, the Deployment as read before the write).
    """
    dep_id = _dep_id(ctx, dep)
    for attempt in range(ctx.attempts):
        if attempt:
            dep = api.get_deployment(ctx.namespace, deployment.name(dep))
            if dep is None:
                raise StepFailed('%s disappeared while it was being paused or resumed. Nothing was changed in the cluster. %s'
                                 % (dep_id, report.NOT_DONE[step]))
        record = _read_record(ctx, dep, step)
        plan = plan_for(record, dep)
        if plan.patch is None:
            return plan, record, dep
        patch = records.with_precondition(plan.patch, dep['metadata'].get('resourceVersion'))
        try:
            api.patch_deployment(ctx.namespace, deployment.name(dep), patch, dry_run=ctx.check_mode)
        except Exception as exc:  # pylint: disable=broad-except  # only 409 is handled here; re-raised as it was
            if errors.classify(exc) != 'conflict':
                raise
            continue
        return plan, record, dep
    raise StepFailed('%s %s' % (report.gave_up(dep_id, ctx.attempts), report.NOT_DONE[step]))


def _webhooks(api, ctx, dep):
    """The controller's failing-closed webhooks, and a warning instead when they cannot be read."""
    try:
        services = deployment.controller_services(dep, api.list_services(ctx.namespace))
        configurations = [(kind, cfg) for kind in ('MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration')
                          for cfg in api.list_webhook_configurations(kind)]
    except Exception as exc:  # pylint: disable=broad-except  # not being allowed to read them must not stop the pause
        if errors.classify(exc) == 'connection':
            raise
        return [], [report.hooks_unread(errors.short(exc))]
    return deployment.failing_webhooks(dep, ctx.namespace, services, configurations), []


def _wait(ctx, probe, done):
    """Poll ``probe()`` until ``done(value)`` or the wait times out; returns (last value, polls)."""
    deadline = ctx.clock() + ctx.wait_timeout
    polls = 0
    while True:
        value = probe()
        polls += 1
        if done(value) or ctx.clock() >= deadline:
            return value, polls
        ctx.sleep(ctx.poll_interval)


def pause(api, ctx):
    dep = _find(api, ctx, 'pause')
    if dep is None:
        return Outcome(report.no_controller(ctx), False, None)
    dep_id = _dep_id(ctx, dep)
    hooks, hook_errors = _webhooks(api, ctx, dep)

    def plan_for(record, current):
        return records.plan_pause(record, deployment.replicas(current), ctx.site, ctx.now())

    plan, before, current = write_record(api, ctx, dep, 'pause', plan_for)
    replicas_before = deployment.replicas(current)
    selector = deployment.pod_selector(current, ctx.selector)
    left, polls, seen = [], 0, False
    if not ctx.check_mode:
        pods, polls = _wait(ctx, lambda: api.list_pods(ctx.namespace, selector), lambda found: not found)
        left = sorted(deployment.name(pod) for pod in pods)
        seen = polls > 1 or bool(left)
        if left and ctx.mode != 'true':
            raise StepFailed(report.pods_left(ctx, dep_id, plan.after.recorded, left))
    warnings = hook_errors + deployment.gitops_warnings(current, dep_id) + ctx.cluster_warnings
    result = report.paused(ctx, dep_id, plan, replicas_before, before.present, hooks, warnings, left, selector,
                           reapply=replicas_before > 0 or seen, replicas_after=0)
    result['wait_polls'] = polls
    return Outcome(result, plan.patch is not None, report.banner(ctx, result, dep_id, hooks))


def resume(api, ctx):
    dep = _find(api, ctx, 'resume')
    if dep is None:
        return Outcome(report.no_controller(ctx), False, None)
    dep_id = _dep_id(ctx, dep)

    def plan_for(record, current):
        return records.plan_resume(record, ctx.site, deployment.replicas(current))

    plan, _before, current = write_record(api, ctx, dep, 'resume', plan_for)
    replicas_before = deployment.replicas(current)
    available, again = None, None
    if plan.action == 'resumed' and plan.after.recorded > 0 and not ctx.check_mode:
        name = deployment.name(current)
        now, _polls = _wait(ctx, lambda: api.get_deployment(ctx.namespace, name) or {},
                            lambda found: deployment.is_available(found, plan.after.recorded) or paused_again(found) is not None)
        available = deployment.available_replicas(now)
        again = paused_again(now)
        if again is None and not deployment.is_available(now, plan.after.recorded):
            raise StepFailed(report.not_available(ctx, dep_id, plan.after.recorded, available,
                                                  deployment.pod_selector(current, ctx.selector), name))
    elif plan.action == 'resumed' and plan.after.recorded > 0:
        available = plan.after.recorded  # check mode: predicted
    result = report.resumed(ctx, dep_id, plan, replicas_before, available, deployment.name(current), paused_by=again)
    return Outcome(result, plan.patch is not None, None)


def paused_again(dep):
    """The holders when ``dep`` (read while waiting after the last resume) carries a pause record again, else None.

    Another site's `on` may pause the controller while this `off` waits for
    it to be available: then it will not be, and must not be waited for.
    """
    try:
        record = records.read_record(deployment.annotations(dep))
    except records.DamagedRecord:
        return ['?']
    if not record.present:
        return None
    return list(record.holders) or ['?']


def status(api, ctx):
    found = api.find_deployments(ctx.namespace, ctx.selector)
    if len(found) != 1:
        if not found and not ctx.controller_managed:
            return Outcome(report.no_controller(ctx), False, None)
        names = ['%s/%s' % (ctx.namespace, deployment.name(dep)) for dep in found]
        if not found:
            return Outcome(report.status_unknown(ctx, report.none_found(ctx), 'none_found'), False, None)
        return Outcome(report.status_unknown(ctx, report.several_found(ctx, names), 'several_found'), False, None)
    dep = found[0]
    dep_id = _dep_id(ctx, dep)
    ctx.cluster_warnings = deployment.cluster_warnings(dep, ctx.cluster_name, ctx.where)
    damaged = None
    try:
        record = records.read_record(deployment.annotations(dep))
    except records.DamagedRecord as exc:
        record, damaged = records.NO_RECORD, exc.value
    result = report.status(ctx, dep_id, record, deployment.replicas(dep), deployment.available_replicas(dep),
                           deployment.cluster_problem(dep, ctx.cluster_name), deployment.gitops_warnings(dep, dep_id), damaged)
    return Outcome(result, False, None)


def with_lines(outcome):
    """The lines to print: the step's banner, or else its warnings and message."""
    if outcome.banner is not None:
        return outcome
    lines = ['WARNING: ' + warning for warning in outcome.result['warnings']] + [outcome.result['message']]
    return outcome._replace(banner=lines)


STEPS = {'paused': ('pause', pause), 'resumed': ('resume', resume), 'status': ('status', status)}


def run(make_api, ctx, state):
    """One step, with failures turned into (None, msg) and an unreachable API in outage mode into a pending result.

    ``make_api()`` gives the cluster API object; it is called only when the
    step needs the cluster, and its failures (a kubeconfig that cannot be
    loaded) are reported like those of any call. Returns (Outcome or None,
    failure message or None). A failure nothing classifies (not an API
    error, not a transport one) is reported the same way, saying what was
    left undone; its traceback is kept in ``ctx.traceback``.
    """
    step, func = STEPS[state]
    if not ctx.wanted:  # no Kubernetes client is made, no call is made
        return with_lines(Outcome(report.not_wanted(ctx), False, None)), None
    try:
        return with_lines(func(make_api(), ctx)), None
    except StepFailed as exc:
        return None, exc.msg
    except Exception as exc:  # pylint: disable=broad-except  # classified by type and status; every failure says what was left undone
        kind = errors.classify(exc)
        if kind == 'other' and errors.status_of(exc) is None:
            ctx.traceback = traceback.format_exc()
        if step == 'status':
            return with_lines(Outcome(report.status_error(ctx, errors.what(kind, exc), errors.short(exc), kind), False, None)), None
        if kind == 'connection' and ctx.mode == 'true':
            result = report.pending(ctx, step, ctx.deployment_id, errors.short(exc))
            return Outcome(result, False, report.pending_banner(result)), None
        return None, report.failed(step, kind, errors.what(kind, exc), errors.short(exc))
