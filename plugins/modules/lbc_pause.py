#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: lbc_pause
short_description: Pause, resume or show the AWS Load Balancer Controller for one site, with a shared record
version_added: 0.2.0
description:
  - EKS-outage mode. The AWS Load Balancer Controller deletes every listener rule it did not create at its next
    reconcile, so while Sorry rules are on an ALB it manages, it must be at zero replicas. One controller serves every
    ALB (site) of its cluster, so the pause is shared - a record on its Deployment keeps the replica count from before
    the first pause and the sites holding it; the last site out restores the count.
  - The record is three annotations on the Deployment, C(sorrypage.aws/paused-replicas) (the count, a decimal string),
    C(sorrypage.aws/holders) (a JSON list of sites) and C(sorrypage.aws/paused-at) (UTC). Every write is a merge patch
    carrying the resourceVersion just read, re-read and retried on 409 Conflict (O(conflict_attempts) in all).
  - O(state=paused) finds the Deployment by O(selector) in O(namespace) (it fails when none or several match), refuses
    before any change when its C(--cluster-name) is not O(cluster_name), adds O(site) to the holders and scales it to
    zero in one write (the first holder records the replicas as they are, 0 included; later holders keep the recorded
    count), then waits until its pods are gone from the API (a Terminating pod still reconciles). It reports the
    controller's webhooks with C(failurePolicy=Fail), read from the cluster, which reject requests cluster-wide while it
    is at zero, and whether Argo CD, Flux or Helm manage the Deployment and may scale it back.
  - O(state=resumed) removes O(site) from the holders. The last holder scales the controller back to the recorded count
    and removes the record in the same write, then waits until it is available. Without a record nothing is ever
    scaled, and a recorded count of 0 is never scaled up. The last holder does what the record says whatever the
    Deployment has now - a controller scaled by hand while paused goes back to the recorded count (0 stays 0), with a
    warning naming both numbers. When another site's O(state=paused) pauses it again while this step waits for it to be
    available, the wait ends there, with a warning naming the new holders.
  - O(state=status) only reads - the record, the holders, the replicas now, and drift (the pause held but the controller
    running again, with the recorded count and the replicas now, the controller at zero with no record, a pending pause,
    a stale hold). It never fails on a cluster
    problem, it says so in RV(controller.warnings).
  - Failures are told apart by exception type and HTTP status - 401 and 403 (credentials), the client configuration or
    its auth plugin, TLS, and an unreachable API. With O(eks_outage=true) an unreachable API (and only that) leaves the
    step pending, reported loudly, instead of failing; every failure message says what was left undone.
author:
  - sorrypage.aws maintainers (@sorrypage)
options:
  state:
    description:
      - C(paused) joins the pause, C(resumed) leaves it, C(status) only reads.
    type: str
    choices: [paused, resumed, status]
    required: true
  site:
    description:
      - This site's name among the holders of the pause (one site is one ALB, usually the inventory host).
    type: str
    required: true
  eks_outage:
    description:
      - C(auto) acts only when O(controller_managed) is true; C(true) always, and an unreachable Kubernetes API leaves the
        step pending instead of failing; C(false) never (with a warning on a controller-managed ALB).
      - C(yes)/C(no), C(on)/C(off), C(1)/C(0) and booleans are read as C(true)/C(false).
    type: str
    default: auto
  controller_managed:
    description:
      - Whether the ALB is managed by the AWS Load Balancer Controller (M(sorrypage.aws.alb_sorry_info)
        RV(sorrypage.aws.alb_sorry_info#module:load_balancer.controller_managed)). Then a missing controller is an error.
    type: bool
    default: false
  cluster_name:
    description:
      - The ALB's C(elbv2.k8s.aws/cluster) tag. The controller's C(--cluster-name) must match it, or nothing is changed.
        Empty skips that check, with a warning.
    type: str
  namespace:
    description: Namespace of the controller's Deployment.
    type: str
    default: kube-system
  selector:
    description:
      - Label selector of the controller's Deployment. Helm names it after the release, so it is found by its label;
        exactly one Deployment must match.
    type: str
    default: app.kubernetes.io/name=aws-load-balancer-controller
  wait_timeout:
    description: Seconds to wait for the pods to be gone (paused) or the Deployment to be available (resumed).
    type: int
    default: 180
  poll_interval:
    description: Seconds between two reads while waiting.
    type: float
    default: 1.0
  conflict_attempts:
    description: Writes of the record answered 409 Conflict are re-read and retried, this many attempts in all.
    type: int
    default: 5
  in_maintenance:
    description:
      - O(state=status) only, whether this site's Sorry page is on, to report a pending pause (page on, no hold) and a
        stale hold (hold, page off). Unset skips those two checks.
    type: bool
attributes:
  check_mode:
    support: full
    description: The record write goes to the API as a server-side dry run; nothing is scaled and nothing is waited for.
  diff_mode:
    support: none
    description: The record is returned in RV(controller) instead.
notes:
  - "RBAC: get and list Deployments, patch Deployments in O(namespace), list Pods and Services there, and list
    mutating and validating webhook configurations (read-only, for the report). See docs/eks-outage.md."
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
"""

EXAMPLES = r"""
- name: Pause the controller of this site's cluster (after the Sorry rules are on)
  sorrypage.aws.lbc_pause:
    state: paused
    site: "{{ inventory_hostname }}"
    controller_managed: true
    cluster_name: prod
    context: arn:aws:eks:eu-west-1:123456789012:cluster/prod
  register: pause

- name: Release this site's hold (after the Sorry rules are off); the last site out resumes it
  sorrypage.aws.lbc_pause:
    state: resumed
    site: "{{ inventory_hostname }}"
    controller_managed: true
    cluster_name: prod
    context: arn:aws:eks:eu-west-1:123456789012:cluster/prod

- name: Show the pause, with drift warnings
  sorrypage.aws.lbc_pause:
    state: status
    site: "{{ inventory_hostname }}"
    controller_managed: true
    in_maintenance: true
"""

RETURN = r"""
controller:
  description:
    - What became of the controller (the role's fact C(sorry_lbc)).
  returned: always
  type: dict
  contains:
    action:
      description:
        - paused gives C(paused), C(already_paused), C(pending) or C(not_needed); resumed gives C(resumed), C(still_held),
          C(not_paused) (other sites hold it), C(nothing_recorded), C(pending) or C(not_needed); status gives C(paused),
          C(not_paused), C(unknown) or C(not_needed).
      type: str
      sample: paused
    site:
      description: The holder's name.
      type: str
    mode:
      description: O(eks_outage) as read, C(auto), C(true) or C(false).
      type: str
    deployment:
      description: C(namespace/name) of the controller, or null.
      type: str
      sample: kube-system/aws-load-balancer-controller
    cluster_name:
      description: O(cluster_name) as given.
      type: str
    cluster_problem:
      description:
        - status only, why the controller found must not be used for this ALB (its C(--cluster-name) is not O(cluster_name),
          or it has none); empty when it serves the ALB or was not read. The Ingress driver is chosen only when empty.
      type: str
      version_added: 0.3.0
    read_problem:
      description:
        - status only, why the controller could not be identified, when C(action=unknown) - C(none_found) or
          C(several_found) (the Deployments O(selector) matches in O(namespace)), or the kind of the failed call -
          C(config) (the kubeconfig or its context could not be used), C(auth), C(tls), C(connection), C(other).
          Empty when it was read. C(on) refuses before any change when the ALB driver would have to pause a controller
          it cannot identify (C(none_found), C(several_found), C(config)).
      type: str
      version_added: 0.3.0
    replicas_recorded:
      description: The count kept in the record, or null.
      type: int
    replicas:
      description: The Deployment's C(spec.replicas) after the step.
      type: int
    available_replicas:
      description: C(status.availableReplicas) after the step, where it was waited for or read.
      type: int
    holders:
      description: The sites holding the pause after the step.
      type: list
      elements: str
    paused_at:
      description: When the first holder paused it (UTC).
      type: str
    webhooks:
      description: paused only, the controller's webhooks (C(failurePolicy=Fail)) that now reject requests cluster-wide.
      type: list
      elements: str
    reapply:
      description:
        - paused only, the controller was running during this step, so a reconcile may have raced the Sorry rules - read
          them once more.
      type: bool
    pending:
      description:
        - The step could not be done because the API is unreachable (O(eks_outage=true)), or (status) the Sorry page is on
          without this site holding the pause.
      type: bool
    warnings:
      description: Webhooks, GitOps and Helm ownership, drift, a controller already at 0, pods outliving the wait.
      type: list
      elements: str
    message:
      description: One sentence for the summary.
      type: str
    wait_polls:
      description: paused only, how many times the pods were listed while waiting for them to go.
      type: int
      returned: when the pods were waited for
banner:
  description: Lines to print loudly after the step (the pause and its webhooks, or a pending step); empty when quiet.
  returned: always
  type: list
  elements: str
"""

import copy
import os

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule

from ansible_collections.sorrypage.aws.plugins.module_utils import _lbc_pause
from ansible_collections.sorrypage.aws.plugins.module_utils._k8s_api import ClusterApi


def argument_spec():
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(
        state=dict(type='str', required=True, choices=['paused', 'resumed', 'status']),
        site=dict(type='str', required=True),
        eks_outage=dict(type='str', default='auto'),
        controller_managed=dict(type='bool', default=False),
        cluster_name=dict(type='str'),
        namespace=dict(type='str', default='kube-system'),
        selector=dict(type='str', default='app.kubernetes.io/name=aws-load-balancer-controller'),
        wait_timeout=dict(type='int', default=180),
        poll_interval=dict(type='float', default=1.0),
        conflict_attempts=dict(type='int', default=5),
        in_maintenance=dict(type='bool'),
    )
    return spec


def where(params):
    """Which cluster, in the words of the messages.

    The kubeconfig option is no_log in kubernetes.core (it may hold
    credentials), so only a path from K8S_AUTH_KUBECONFIG is named.
    """
    context = params.get('context') or os.environ.get('K8S_AUTH_CONTEXT')
    text = ('context %s' % context) if context else 'the current kube context'
    if not params.get('kubeconfig') and os.environ.get('K8S_AUTH_KUBECONFIG'):
        text += ' of %s' % os.environ['K8S_AUTH_KUBECONFIG']
    return text


def main():
    module = AnsibleK8SModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    for name in ('wait_timeout', 'conflict_attempts'):
        if params[name] < 1:
            module.fail_json(msg='%s must be at least 1, not %d' % (name, params[name]))
    try:
        ctx = _lbc_pause.Context(
            site=params['site'], mode=params['eks_outage'], controller_managed=params['controller_managed'],
            cluster_name=params['cluster_name'], namespace=params['namespace'], selector=params['selector'], where=where(params),
            wait_timeout=params['wait_timeout'], poll_interval=max(params['poll_interval'], 0.0),
            attempts=params['conflict_attempts'], in_maintenance=params['in_maintenance'], check_mode=module.check_mode)
    except ValueError as e:
        module.fail_json(msg='eks_outage: %s' % e)

    outcome, failure = _lbc_pause.run(lambda: ClusterApi(get_api_client(module=module)), ctx, params['state'])
    if failure:
        if ctx.traceback:
            module.fail_json(msg=failure, exception=ctx.traceback)
        module.fail_json(msg=failure)
    module.exit_json(changed=outcome.changed, controller=outcome.result, banner=outcome.banner or [])


if __name__ == '__main__':
    main()
