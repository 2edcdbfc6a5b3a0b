# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Ingress driver says when its change did not reach the ALB (pure).

The controller reports why it did not program the ALB in the Ingress's
Events (FailedBuildModel, FailedDeployModel, ...) and, once it has, in the
Ingress's ``status.loadBalancer``. This gathers them with the failure of the
step, for the fallback to the ALB driver (auto) or the failure naming the
command to run next (sorry_driver=ingress).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

MAX_EVENTS = 5


def ingress_keys(edit, mode):
    """The ``namespace/name`` of the Ingresses our edit is in, or would have gone into."""
    edit = edit if isinstance(edit, dict) else {}
    keys = []
    for key in list(edit.get('ingresses') or []) + sorted((edit.get('record') or {}).keys()) + [edit.get('our_ingress')]:
        if key and key not in keys:
            keys.append(key)
    if keys:
        return keys
    mode = mode or {}
    named = list(mode.get('ingresses') or [])
    stack = mode.get('stack') or ''
    if not named and '/' in stack:  # an Ingress without a group: its stack is namespace/name
        named = [stack]
    return named


def _resources(results):
    """The resources of kubernetes.core.k8s_info runs registered over a loop (or one run)."""
    if not isinstance(results, dict):
        return []
    runs = results.get('results') if 'results' in results else [results]
    return [r for run in runs or [] if isinstance(run, dict) for r in run.get('resources') or []]


def _when(event):
    return event.get('lastTimestamp') or event.get('eventTime') or (event.get('metadata') or {}).get('creationTimestamp') or ''


def event_lines(events):
    """The newest Events of the Ingresses, oldest first: '<ns>/<name>: <type> <reason> (xN): <message>'."""
    found = sorted(_resources(events), key=_when)[-MAX_EVENTS:]
    lines = []
    for event in found:
        about = event.get('involvedObject') or {}
        count = event.get('count') or 1
        times = (' (x%d)' % count) if count > 1 else ''
        lines.append('  %s/%s: %s %s%s: %s' % (about.get('namespace'), about.get('name'), event.get('type') or '?',
                                               event.get('reason') or '?', times, (event.get('message') or '').strip()))
    return lines


def load_balancer_lines(ingresses):
    lines = []
    for ingress in _resources(ingresses):
        meta = ingress.get('metadata') or {}
        found = (((ingress.get('status') or {}).get('loadBalancer') or {}).get('ingress')) or []
        names = [i.get('hostname') or i.get('ip') for i in found if i.get('hostname') or i.get('ip')]
        shown = ', '.join(names) or 'empty (the controller has not reconciled it)'
        lines.append('  %s/%s status.loadBalancer: %s' % (meta.get('namespace'), meta.get('name'), shown))
    return lines


def failure(failed, task, events=None, ingresses=None, mode=None, timeout=None, action='', site=None, deployment=None):
    """{lines, next, kept, reason}: why the Ingress change did not reach the ALB, what to run next, what to say when a
    maintenance already on is left as it is, and the fallback's reason.

    ``failed``: ansible_failed_result; ``task`` / ``action``: the name and the
    module of ansible_failed_task; ``events`` / ``ingresses``: k8s_info
    results (Events, the Ingresses); ``deployment``: the controller's
    ``namespace/name``.
    """
    failed = failed if isinstance(failed, dict) else {}
    message = (failed.get('msg') or '').strip() or 'no message'
    waited = (action or '').endswith('alb_sorry_wait')
    within = timeout if timeout is not None else '?'
    if waited:
        head = ('The AWS Load Balancer Controller did not put the change on the ALB within %ss (crash-looping, webhook '
                'errors, the Ingress rejected?): %s' % (within, message))
        short = 'the controller did not put the Ingress change on the ALB within %ss' % within
    else:
        head = 'The Ingress could not be changed (%s): %s' % (task or '?', message)
        short = 'the Ingress could not be changed'
    lines = ['WARNING: ' + head]
    more = event_lines(events)
    if more:
        lines.append("The Ingress's newest events:")
        lines.extend(more)
    lines.extend(load_balancer_lines(ingresses))
    namespace, _sep, name = (deployment or 'kube-system/aws-load-balancer-controller').partition('/')
    limit = ' -l %s' % site if site else ''
    next_step = ('Next: fix the controller (kubectl -n %s logs deploy/%s) and run `on` again, or switch on the ALB itself '
                 'with the controller paused: ansible-playbook playbooks/maintenance_on.yml%s -e sorry_driver=alb '
                 '(sorry_driver=auto falls back to it by itself).' % (namespace, name, limit))
    kept = ('The maintenance that was already on through the Ingress is left as it is (nothing taken back, no other '
            'driver): the public gets what `status` shows. Once the controller acts, run `on` again%s.' % (' (-l %s)' % site if site else ''))
    return dict(lines=lines, next=next_step, kept=kept, reason='auto: fell back from the Ingress driver: %s' % short)
