# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the controller pause says: its results, messages, warnings and banners (pure).

Every result has the same keys (the role's documented fact ``sorry_lbc``).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

RULE = '=' * 100
ALARM = '!' * 100

NOT_PAUSED = ('The Sorry page is ON, but the AWS Load Balancer Controller is NOT paused: while it runs it deletes the Sorry rules '
              'at its next reconcile. Fix this and run `on` again (or pause it by hand: docs/eks-outage.md).')
NOT_RESUMED = ("The Sorry rules are off, but this site's hold on the AWS Load Balancer Controller pause was NOT released: the "
               'controller may stay at zero and its webhooks keep rejecting requests. Fix this and run `off` again (or resume it by '
               'hand: docs/eks-outage.md).')
NOT_DONE = {'pause': NOT_PAUSED, 'resume': NOT_RESUMED}


def base(ctx, **values):
    """A result with every key; ``ctx`` is the step's Context."""
    out = {'action': None, 'site': ctx.site, 'mode': ctx.mode, 'deployment': None, 'cluster_name': ctx.cluster_name,
           'replicas_recorded': None, 'replicas': None, 'available_replicas': None, 'holders': [], 'paused_at': None,
           'webhooks': [], 'reapply': False, 'pending': False, 'warnings': [], 'message': '', 'cluster_problem': '',
           'read_problem': ''}
    out.update(values)
    return out


def not_wanted(ctx):
    why = ('sorry_eks_outage is false' if ctx.mode == 'false'
           else 'the ALB is not managed by the AWS Load Balancer Controller (no elbv2.k8s.aws/cluster or ingress.k8s.aws/* tags), '
                'so nothing deletes the Sorry rules')
    warnings = []
    if ctx.mode == 'false' and ctx.controller_managed:
        warnings.append('sorry_eks_outage is false but the ALB is managed by the AWS Load Balancer Controller: it keeps running and '
                        'deletes the Sorry rules at its next reconcile')
    return base(ctx, action='not_needed', warnings=warnings, message='Nothing to do with the AWS Load Balancer Controller: %s.' % why)


def no_controller(ctx):
    return base(ctx, action='not_needed', message=(
        'Nothing to pause: no Deployment matches %s in namespace %s (%s) and the ALB is not controller-managed (no AWS Load Balancer '
        'Controller here, or EKS Auto Mode).' % (ctx.selector, ctx.namespace, ctx.where)))


def none_found(ctx):
    return ('No Deployment matches %s in namespace %s (%s), but the ALB is managed by the AWS Load Balancer Controller%s. Wrong kube '
            'context, namespace (sorry_lbc_namespace) or selector (sorry_lbc_selector)? With EKS Auto Mode the controller runs outside '
            'the cluster and cannot be paused.' % (ctx.selector, ctx.namespace, ctx.where,
                                                   (' of cluster %s' % ctx.cluster_name) if ctx.cluster_name else ''))


def several_found(ctx, names):
    return ('%d Deployments match %s in namespace %s (%s): %s. Make sorry_lbc_selector match only the controller\'s.'
            % (len(names), ctx.selector, ctx.namespace, ctx.where, ', '.join(names)))


def refused_cluster(ctx, step, dep_id, problem):
    return 'Refused to %s %s (%s): %s Nothing was changed in the cluster. %s' % (step, dep_id, ctx.where, problem, NOT_DONE[step])


def damaged(dep_id, key, value):
    return ("The record on %s is damaged: annotation %s is '%s', not a replica count. Nothing was changed. Set it by hand to the "
            "controller's replica count before maintenance (see docs/eks-outage.md)." % (dep_id, key, value))


def gave_up(dep_id, attempts):
    return ('Gave up writing the pause record on %s after %d conflicting writes (409 Conflict: something else keeps changing the '
            'Deployment, a GitOps tool?).' % (dep_id, attempts))


def kubectl(ctx):
    return 'kubectl -n %s' % ctx.namespace


def hook_warning(hooks):
    names = sorted(set(hook['name'] for hook in hooks))
    if not names:
        return []
    return ['While the controller is at zero, its webhooks (failurePolicy Fail) reject matching requests cluster-wide: %s. New or '
            'changed Services, Ingresses and TargetGroupBindings fail until `off`.' % ', '.join(names)]


def hooks_unread(short):
    return ('Could not read the webhook configurations (%s): assume the controller\'s webhooks (Service mutator, Ingress validator, '
            'TargetGroupBinding) reject requests cluster-wide while it is at zero.' % short)


def pods_left(ctx, dep_id, recorded, pods):
    return ('%s is scaled to zero (recorded %s replicas), but %d of its pods are still there after %s s (%s): they may still '
            'reconcile. %s' % (dep_id, recorded, len(pods), ctx.wait_timeout, ', '.join(pods), NOT_PAUSED))


def paused(ctx, dep_id, plan, replicas_before, had_record, hooks, extra_warnings, left_pods, selector, reapply, replicas_after):
    """The result of a pause that wrote (or found) the record; ``plan.after`` is the record now."""
    record = plan.after
    warnings = list(hook_warning(hooks)) + list(extra_warnings)
    if not had_record and replicas_before == 0:
        warnings.append('the controller was already at 0 replicas with no record before this pause: recorded 0, so `off` leaves it at 0')
    if had_record and replicas_before > 0:
        warnings.append('the controller had been scaled back up to %d replicas while paused (GitOps, Helm or a person?): scaled to 0 '
                        'again' % replicas_before)
    if left_pods:
        warnings.append('%d pods of the controller are still there after %s s (%s): if they still run they delete the Sorry rules; '
                        'check with `%s get pods -l %s` and run `on` again'
                        % (len(left_pods), ctx.wait_timeout, ', '.join(left_pods), kubectl(ctx), selector))
    if plan.action == 'paused' and replicas_before > 0:
        head = 'Paused the AWS Load Balancer Controller %s: scaled from %d to 0 replicas' % (dep_id, replicas_before)
    elif plan.action == 'paused':
        head = 'The AWS Load Balancer Controller %s was already at 0 replicas with no record' % dep_id
    else:
        head = 'The AWS Load Balancer Controller %s was already paused' % dep_id
    names = sorted(set(hook['name'] for hook in hooks))
    message = '%s (recorded %s replicas), held by %s%s.' % (
        head, record.recorded, ', '.join(record.holders), '; its webhooks reject requests cluster-wide until `off`' if names else '')
    return base(ctx, action=plan.action, deployment=dep_id, replicas_recorded=record.recorded, replicas=replicas_after,
                available_replicas=0, holders=list(record.holders), paused_at=record.at, webhooks=names, reapply=reapply,
                warnings=warnings, message=message)


def banner(ctx, result, dep_id, hooks):
    """The loud lines `on` prints after a pause."""
    state = 'PAUSED' if result['action'] == 'paused' else 'STILL PAUSED'
    lines = [RULE, '  AWS LOAD BALANCER CONTROLLER %s: %s (%s)' % (state, dep_id, ctx.where), '  ' + result['message']]
    if hooks:
        lines.append('  These webhooks (failurePolicy Fail) now REJECT requests CLUSTER-WIDE until `off` resumes it:')
        lines.extend('    - %s [%s]: %s' % (hook['name'], hook['configuration'], hook['rejects']) for hook in hooks)
    skip = hook_warning(hooks)
    lines.extend('  WARNING: ' + warning for warning in result['warnings'] if warning not in skip)
    return lines + [RULE]


def pending(ctx, step, dep_id, short):
    if step == 'pause':
        warning = ('CONTROLLER PAUSE PENDING: the Kubernetes API cannot be reached (%s). The AWS Load Balancer Controller was NOT '
                   'paused: if it still runs, it deletes the Sorry rules at its next reconcile. Run `on` again as soon as the API '
                   'answers.' % short)
        message = ('Controller pause pending: the Kubernetes API cannot be reached; sorry_eks_outage is true, so `on` carries on. Run '
                   '`on` again when it answers.')
    else:
        warning = ('CONTROLLER RESUME PENDING: the Kubernetes API cannot be reached (%s). This site still holds the controller pause if '
                   '`on` recorded it: the controller may stay at zero. Run `off` again as soon as the API answers.' % short)
        message = ('Controller resume pending: the Kubernetes API cannot be reached; sorry_eks_outage is true, so `off` carries on. '
                   'Run `off` again when it answers.')
    return base(ctx, action='pending', pending=True, deployment=dep_id, warnings=[warning], message=message)


def pending_banner(result):
    return [ALARM, '  ' + result['warnings'][0], ALARM]


def failed(step, kind, what, short):
    msg = 'Could not %s the AWS Load Balancer Controller: %s (%s). %s' % (step, what, short, NOT_DONE[step])
    if step == 'pause' and kind == 'connection':
        msg += ' With sorry_eks_outage true, an unreachable API only leaves the pause pending.'
    return msg


def not_available(ctx, dep_id, recorded, available, selector, dep_name):
    return ('The Sorry rules are off and the pause record is removed: %s was scaled back to %s replicas, but %d are available after '
            '%s s. Until it is, its webhooks keep rejecting requests. Check `%s get pods -l %s` and `%s describe deployment %s`.'
            % (dep_id, recorded, available, ctx.wait_timeout, kubectl(ctx), selector, kubectl(ctx), dep_name))


def hand_scaled(dep_id, replicas, record, step_done):
    """The record and the Deployment disagree: paused (so 0 expected), but it has ``replicas``; ``step_done`` says what `off` does."""
    return ('DRIFT: the pause record and %s disagree: the record (held by %s) says paused, restore %d replicas at `off`, but it '
            'runs with %d replicas now, not 0 (scaled by hand, GitOps or Helm?): it deletes the Sorry rules at its next reconcile. %s'
            % (dep_id, ', '.join(record.holders) or 'nobody', record.recorded, replicas, step_done))


def resumed(ctx, dep_id, plan, replicas_before, available, dep_name, paused_by=None):
    """The result of a resume; ``paused_by``: the holders of a pause another site made while this one waited."""
    action, record = plan.action, plan.after
    scaled = action == 'resumed' and (record.recorded or 0) > 0 and paused_by is None
    warnings = []
    if paused_by is not None:
        warnings.append('while `off` waited for %s to be back at %d replicas, %s paused it again (their `on` recorded the count '
                        'anew): not waited for; it stays paused until their `off`' % (dep_id, record.recorded, ', '.join(paused_by)))
    if action == 'nothing_recorded' and replicas_before == 0:
        warnings.append('the controller is at 0 replicas with no pause record: not scaled (never without a record). If it was paused '
                        'by hand or its record was lost, scale it back yourself: `%s scale deployment/%s --replicas=<count before '
                        'the maintenance>`' % (kubectl(ctx), dep_name))
    if action == 'resumed' and replicas_before != 0:
        warnings.append('the controller was at %d replicas at `off`, not 0, although the pause record says it was paused with %d '
                        'replicas to restore (scaled by hand, GitOps or Helm while paused?): `off` did what the record says, %s'
                        % (replicas_before, record.recorded, 'set it to %d' % record.recorded if record.recorded != replicas_before
                           else 'kept it at %d' % record.recorded))
    if action == 'still_held' and replicas_before != 0:
        warnings.append(hand_scaled(dep_id, replicas_before, record, 'Run `on` again for %s to pause it.' % ', '.join(record.holders)))
    if record.recorded == 0 and replicas_before != 0:
        zero = 'it was at 0 replicas before the pause, so it is set back to 0 (not left at %d)' % replicas_before
    else:
        zero = 'it was at 0 replicas before the pause, so it stays at 0'
    if scaled:
        last_out = 'Resumed the AWS Load Balancer Controller %s: back to %s replicas, available; pause record removed.' % (
            dep_id, record.recorded)
    elif paused_by is not None:
        last_out = 'Released the last hold on %s and scaled it back to %s replicas; %s paused it again meanwhile.' % (
            dep_id, record.recorded, ', '.join(paused_by))
    else:
        last_out = 'Released the last hold on %s: %s; pause record removed.' % (dep_id, zero)
    messages = {
        'nothing_recorded': 'No pause recorded on %s: the controller was left as it is (%d replicas).' % (dep_id, replicas_before),
        'not_paused': 'This site does not hold the pause of %s: it stays paused for %s.' % (dep_id, ', '.join(record.holders)),
        'still_held': "Released this site's hold; %s stays paused for %s." % (dep_id, ', '.join(record.holders)),
        'resumed': last_out,
    }
    replicas = replicas_before
    if action == 'resumed':
        replicas = 0 if paused_by is not None else record.recorded
    return base(ctx, action=action, deployment=dep_id, replicas_recorded=record.recorded, replicas=replicas,
                available_replicas=available if scaled else None,
                holders=list(record.holders), paused_at=record.at if action in ('still_held', 'not_paused') else None,
                warnings=ctx.cluster_warnings + warnings, message=messages[action])


def status(ctx, dep_id, record, replicas, available, problem, gitops, damaged_value=None):
    """Read-only: the record and drift, for ``sorry_lbc_in_maintenance`` True, False or None (unknown)."""
    holders = list(record.holders) if record.present else []
    site = ctx.site
    pending_hold = ctx.in_maintenance is True and site not in holders
    warnings = list(ctx.cluster_warnings)
    if damaged_value is not None:
        warnings.append(damaged(dep_id, 'sorrypage.aws/paused-replicas', damaged_value))
    if problem:
        warnings.append('the controller in %s does not serve this ALB: %s' % (ctx.where, problem))
    if record.present and replicas > 0:
        warnings.append(hand_scaled(dep_id, replicas, record, 'Run `on` again to pause it; the last `off` sets it to %d as recorded.'
                                    % record.recorded))
        warnings.extend(gitops)
    if not record.present and damaged_value is None and replicas == 0:
        warnings.append('DRIFT: %s is at 0 replicas with no pause record (paused by hand, or the record was lost): its webhooks reject '
                        'requests cluster-wide, and `off` will not scale it back.' % dep_id)
    if pending_hold:
        warnings.append('PENDING: the Sorry page of %s is on, but %s does not hold the controller pause (pause pending or never '
                        'recorded): the controller may delete the Sorry rules. Run `on` again.' % (site, site))
    if ctx.in_maintenance is False and site in holders:
        warnings.append('STALE HOLD: %s holds the controller pause but its Sorry page is off: run `off` for it to release the pause.'
                        % site)
    if record.present:
        message = '%s is paused (recorded %s replicas, %d now) since %s, held by %s.' % (
            dep_id, record.recorded, replicas, record.at or '?', ', '.join(holders))
    else:
        message = '%s runs with %d replicas; no pause recorded.' % (dep_id, replicas)
    return base(ctx, action='paused' if record.present or damaged_value is not None else 'not_paused', deployment=dep_id,
                replicas_recorded=record.recorded, replicas=replicas, available_replicas=available, holders=holders,
                paused_at=record.at, pending=pending_hold, warnings=warnings, message=message, cluster_problem=problem or '')


def status_unknown(ctx, warning, problem):
    """``problem``: none_found or several_found (the Deployments sorry_lbc_selector matches)."""
    return base(ctx, action='unknown', warnings=[warning], read_problem=problem,
                message='The AWS Load Balancer Controller could not be identified.')


def status_error(ctx, what, short, kind='other'):
    """``kind``: the failure's kind (_k8s_errors.classify), kept as read_problem."""
    return base(ctx, action='unknown', read_problem=kind,
                warnings=['Could not read the AWS Load Balancer Controller (%s): %s (%s).' % (ctx.where, what, short)],
                message='The state of the AWS Load Balancer Controller is unknown: the Kubernetes API call failed.')
