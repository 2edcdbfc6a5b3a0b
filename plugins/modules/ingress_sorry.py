#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ingress_sorry
short_description: Put the Sorry page in front through the Ingress, so the AWS Load Balancer Controller programs the ALB
version_added: 0.2.0
description:
  - The Kubernetes side of the Ingress driver, for normal times (the controller running). It writes into the Ingresses of
    one ALB what makes the controller itself put the Sorry page in front - a fixed-response action on C(/*) for each host,
    after bypass paths that forward internal users (source IPs, HTTP headers) to the application's own target groups.
    It does not wait for the ALB; read the listener back to know the controller has acted.
  - The Ingresses are those of O(stack), the ALB's C(ingress.k8s.aws/stack) tag, or O(ingresses).
  - An explicit IngressGroup (C(alb.ingress.kubernetes.io/group.name)) - no Ingress of the user's is touched. Our own
    Ingress, C(<name_prefix>-maintenance), joins the group with C(group.order) C(-1000) and the group's class, listen-ports
    and certificate-arn. It is created in the namespace of the group's first member in the controller's order
    (C(group.order), then namespace/name), where the team owning the group's first rules can write; once it exists it is
    kept where it is.
  - An Ingress without a group - edited in place with one JSON patch per change - our C(spec.rules) entries go first, our
    prefix-named C(actions.*) and C(conditions.*) annotations beside the user's, and the annotation
    C(sorrypage.aws/ingress-edit) records what was added, so O(state=absent) takes out exactly that.
  - Every write carries the resourceVersion just read. A write answered 409 Conflict, or 422 when the Ingress has moved on
    since it was read, is re-read and re-planned, at most 3 times; then the module fails saying so.
  - Bad input (a body over 1024 characters, a bad CIDR or header, a member already at C(group.order) C(-1000), an Ingress
    with C(use-regex-path-match)) fails before any write, naming the input and the limit.
  - Header values of a bypass are secrets. They are in the C(conditions.*) annotations (where the controller reads them)
    and nowhere in the result, the diff or a message.
  - The always-on preview (O(state=preview_present), the runbook's C(prepare), any day before the window) - for each host
    of O(sets), the one path O(preview_path) answers the set's page (503, text/html) through the Ingress, so the page can
    be checked in a browser on the real ALB. Nothing else the public sees changes. It is a part of its own, recorded
    under the key C(preview) of C(sorrypage.aws/ingress-edit) - one C(spec.rules) entry per host holding only that path
    (C(pathType) C(ImplementationSpecific), the exact path) to the action C(<name_prefix>-h<N>-preview), in place or in
    our own Ingress of the group. Its entries go first, ahead of the maintenance's (bypass, then C(/*)), each in a
    separate entry, so the preview path answers the page during a maintenance too and nothing relies on how the
    controller sorts the paths of one entry.
  - What else a release (a C(helm upgrade), an Argo CD or Flux sync) changed in an Ingress edited in place during the
    window - the first write of O(state=present) keeps in the record a fingerprint of the rest of the Ingress (a hash of
    each annotation not ours, of the C(spec.rules) entries of each host, of C(spec.tls), C(spec.defaultBackend) and
    C(spec.ingressClassName)); O(state=sorry_absent), O(state=absent) and O(state=status) compare and say what changed
    (RV(changed_during)), values never shown. Off takes out only what we added and leaves the rest as the release made it.
  - Who else re-applies an Ingress edited in place - Argo CD, Flux or Helm, by their labels and annotations - is said in
    every state (RV(gitops)), before any write. In an IngressGroup no Ingress of the user's is edited, so nothing is said
    of the members.
  - The parts do not disturb each other - O(state=present) keeps a preview there; O(state=sorry_absent) and
    O(state=absent) take out only the maintenance and keep the preview (in an IngressGroup our own Ingress stays while it
    holds a preview, and is deleted when the last part of ours goes); O(state=preview_absent) takes out only the preview.
author:
  - sorrypage.aws maintainers (@sorrypage)
options:
  state:
    description:
      - C(present) puts the bypass and the Sorry page in. A rerun with the same input writes nothing.
      - C(sorry_absent) takes the Sorry path out and keeps the bypass, the first half of C(off) (so no internal user sees
        the page while the controller rewrites the rules one at a time).
      - C(absent) takes out everything of ours.
      - C(preview_present) puts the always-on preview in (needs O(sets) and O(preview_path)), ahead of a maintenance
        there, which it does not touch. A rerun with the same input writes nothing. Only the hosts and body of O(sets)
        show in the preview, but the whole of O(sets) is checked as for C(present).
      - C(preview_absent) takes the preview out and nothing else; without a maintenance the Ingress is again exactly as
        before the preview (in an IngressGroup, our own Ingress is deleted).
      - C(status) only reads - the drift of our edit per Ingress and whether our own Ingress is there. It never fails
        because of the cluster - when the Kubernetes API cannot be reached or answers an error, it returns
        RV(readable=false), the RV(error) and RV(maintenance=unknown), within 20 seconds even when the API does not
        answer at all (for this state only). Bad input still fails.
    type: str
    choices: [present, sorry_absent, absent, status, preview_present, preview_absent]
    default: present
  stack:
    description:
      - The value of the ALB's C(ingress.k8s.aws/stack) tag - an IngressGroup name, or C(namespace/name) of an Ingress
        without a group.
      - Exactly one of O(stack) and O(ingresses) is required.
    type: str
  ingresses:
    description:
      - The Ingresses of the ALB as C(namespace/name), instead of O(stack). All in one IngressGroup, or none in a group.
    type: list
    elements: str
  sets:
    description:
      - The pages, one per set of hosts. Required with O(state=present) and O(state=preview_present).
    type: list
    elements: dict
    suboptions:
      hosts:
        description: The hosts of this page; empty for every host.
        type: list
        elements: str
      body:
        description: The page, at most 1024 characters as the ALB counts them.
        type: str
        required: true
      source_ips:
        description: CIDRs that bypass the page.
        type: list
        elements: str
      allow_any_source:
        description: Allow C(0.0.0.0/0) or C(::/0) in O(sets[].source_ips).
        type: bool
        default: false
      http_headers:
        description: HTTP headers that bypass the page (any one of the values).
        type: list
        elements: dict
        suboptions:
          name:
            description: The header's name.
            type: str
            required: true
          values:
            description: The values, secrets - never shown.
            type: list
            elements: str
            required: true
      viewer_values:
        description:
          - Behind CloudFront, the office's addresses as C(CloudFront-Viewer-Address) values (for example
            C(203.0.113.*) for a /24, C(203.0.113.5:*) for a /32); every rule of theirs also requires
            O(sets[].origin_header). Not secret.
        type: list
        elements: str
      origin_header:
        description:
          - The secret custom header the CloudFront distribution adds to every request to the ALB, required with
            O(sets[].viewer_values) (anyone reaching the ALB directly could forge the viewer header).
        type: dict
        suboptions:
          name:
            description: The header's name.
            type: str
            required: true
          value:
            description: Its value, a secret - never shown.
            type: str
            required: true
      target_groups:
        description:
          - The target groups the host's rules forward to, read from the ALB (at most 5) - ARNs, or dicts with C(arn)
            and C(weight) (0 to 999). Required with a bypass. The bypass forwards there by ARN, never by service name.
        type: list
        elements: raw
      marker:
        description:
          - The page's unique build marker, 10 lowercase hex characters (RV(sorrypage.aws.sorry_asset_upload#module:marker)).
          - Kept in the record, so C(off) and C(status) can tell the page from the record alone (RV(markers)).
        type: str
        version_added: 0.3.0
      variants:
        description:
          - Other pages of this set for some of its visitors - a language, API clients - in priority order, each in
            front of O(sets[].body) and behind the bypass, on every host of the set.
          - Each becomes, in the host's C(spec.rules) entry, one path per O(sets[].variants[].path_patterns) to one
            fixed-response action C(<name_prefix>-h<N>-v<K>) (503, its content type and body), its
            O(sets[].variants[].http_headers) in the annotation C(conditions.<action>), so the controller puts its
            rules between the bypass and the set's own page.
          - Each of its rules holds the host, one path pattern and the header values - at most 5 condition values.
            A variant of C(/*) without headers (it would take every request) is refused, before any write.
          - O(state=sorry_absent) takes the variants out with the set's own page.
        type: list
        elements: dict
        version_added: 0.3.0
        suboptions:
          name:
            description: A short token, unique within the set - 1 to 12 lowercase letters, digits or C(-), like C(ja).
            type: str
            required: true
          body:
            description: Its page, at most 1024 characters as the ALB counts them.
            type: str
            required: true
          content_type:
            description: C(application/json) for API clients (the body must then parse as JSON).
            type: str
            choices: [text/html, application/json]
            default: text/html
          path_patterns:
            description: ALB path patterns, each starting with C(/), like C(/api/*); one rule each.
            type: list
            elements: str
            default: ['/*']
          http_headers:
            description:
              - HTTP header conditions ANDed with the path, like C(Accept-Language) C(ja*) or C(Accept)
                C(application/json*) (case-insensitive, C(*) and C(?) wildcards). Not secrets - shown in the result.
            type: list
            elements: dict
            default: []
            suboptions:
              name:
                description: The header's name.
                type: str
                required: true
              values:
                description: The values, any one of which matches.
                type: list
                elements: str
                required: true
          marker:
            description: Its body's build marker, 10 lowercase hex characters, kept in the record like O(sets[].marker).
            type: str
  info:
    description:
      - Who, why and until when of the maintenance, string keys and values as for the ALB driver's tags
        (C(sorrypage:by), C(sorrypage:why), C(sorrypage:until), C(sorrypage:at)), at most 4096 characters as JSON.
      - Kept as given (not secrets) in the record annotation, for C(off) and C(status) from another machine (RV(info)).
      - The start time C(sorrypage:at) already in the record is kept - a rerun with another C(sorrypage:at) writes
        nothing. A change of any other key is written.
    type: dict
    default: {}
    version_added: 0.3.0
  preview_path:
    description:
      - The secret path of the always-on preview on every host of O(sets), like C(/_sorry-preview). Required with
        O(state=preview_present).
      - One exact path - starting with C(/), no wildcard (C(*) or C(?)), only letters, digits and C(_.$/~@:+-),
        at most 128 characters (an ALB path pattern), not C(/) alone; refused before any write otherwise.
    type: str
    version_added: 0.3.0
  name_prefix:
    description:
      - Prefix of our action names and of our own Ingress's name, a DNS-1035 label.
    type: str
    default: sorrypage
attributes:
  check_mode:
    support: full
    description: Plans from the Ingresses as read and returns what would change; nothing is written.
  diff_mode:
    support: full
    description: Before and after of every Ingress written, header values redacted.
notes:
  - "RBAC: get, list (all namespaces for an IngressGroup) and patch Ingresses; create and delete them in the group's
    namespace for an IngressGroup."
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
"""

EXAMPLES = r"""
- name: Sorry page on through the Ingress of the shop (an Ingress without a group)
  sorrypage.aws.ingress_sorry:
    stack: shop/web
    state: present
    sets:
      - hosts: [shop.example.com]
        body: "{{ lookup('file', 'sorry.html') }}"
        source_ips: [10.0.0.0/8]
        http_headers:
          - name: X-Sorry-Bypass
            values: ["{{ vault_bypass_token }}"]
        target_groups:
          - arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/k8s-shop-web-0a1b2c3d4e/0123456789abcdef
        marker: "{{ sorry_build.marker }}"
        variants:
          - name: ja
            body: "{{ lookup('file', 'sorry.ja.html') }}"
            http_headers:
              - name: Accept-Language
                values: ["ja*"]
          - name: api
            body: '{"status":503,"error":"maintenance"}'
            content_type: application/json
            path_patterns: ["/api/*"]
    info:
      "sorrypage:by": "{{ operator }}"
      "sorrypage:why": planned database upgrade
      "sorrypage:until": "2026-12-02T06:00:00Z"
      "sorrypage:at": "{{ now(utc=true).isoformat() }}"
  register: ingress

- name: Off, first half - the Sorry path goes, the bypass stays
  sorrypage.aws.ingress_sorry:
    stack: shop/web
    state: sorry_absent

- name: Off, second half (after the ALB no longer answers with the page)
  sorrypage.aws.ingress_sorry:
    stack: shop/web
    state: absent

- name: Prepare, any day before the window - the page at a secret path of each host, through the real ALB
  sorrypage.aws.ingress_sorry:
    stack: shop/web
    state: preview_present
    preview_path: /_sorry-preview
    sets:
      - hosts: [shop.example.com]
        body: "{{ lookup('file', 'sorry.html') }}"
        source_ips: [10.0.0.0/8]
        target_groups:
          - arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/k8s-shop-web-0a1b2c3d4e/0123456789abcdef

- name: After the window, the preview out too (the maintenance's states keep it)
  sorrypage.aws.ingress_sorry:
    stack: shop/web
    state: preview_absent

- name: What is in the Ingresses of an IngressGroup, and has a helm upgrade taken it out
  sorrypage.aws.ingress_sorry:
    stack: shop
    state: status
  register: ingress_status

- name: Say when the cluster could not be read (status does not fail for it)
  ansible.builtin.debug:
    msg: "{{ ingress_status.error }}"
  when: not ingress_status.readable
"""

RETURN = r"""
changed:
  description: Whether an Ingress was (or, in check mode, would be) written.
  returned: always
  type: bool
shape:
  description: C(group) (our own Ingress in an IngressGroup) or C(in_place) (an Ingress without a group, edited).
  returned: success
  type: str
  sample: in_place
group:
  description: The IngressGroup's name, or null.
  returned: success
  type: str
ingresses:
  description: C(namespace/name) of every Ingress written (or that would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: [shop/web]
patches:
  description:
    - What was (or would be) written, in order, header values redacted - C(ingress), C(action) (C(patch), C(create),
      C(update) or C(delete)), and C(patch) (the JSON patch) or C(manifest) (our Ingress as created).
  returned: success
  type: list
  elements: dict
drift:
  description:
    - Per Ingress holding our edit, what of it is no longer there (C(drifted), C(missing_rules), C(missing_annotations),
      C(changed_annotations), C(not_first)); null for an Ingress without our record.
  returned: success
  type: dict
record:
  description:
    - Per Ingress, our record annotation after the step (what we added, annotations by hash), or null. Its C(rules) and
      C(annotations) are the maintenance's; the preview's are under C(preview) (C(path), C(rules), C(annotations)); the
      fingerprint of the rest of an Ingress edited in place under C(others) (hashes only).
  returned: success
  type: dict
our_ingress:
  description: C(namespace/name) of our own Ingress in the group after the step, or null.
  returned: success
  type: str
maintenance:
  description:
    - What the records say is in force after the step - C(on), C(bypass_only) or C(off); C(unknown) when a
      O(state=status) could not read the cluster. The maintenance only - a preview alone is C(off).
  returned: success
  type: str
  sample: on
preview:
  description:
    - The always-on preview the records hold after the step - C(path) and C(hosts) (null for the entry of every host) -
      or null when there is none (or a O(state=status) could not read the cluster).
  returned: success
  type: dict
  sample: {"path": "/_sorry-preview", "hosts": ["shop.example.com"]}
  version_added: 0.3.0
readable:
  description: Whether the cluster was read. Only a O(state=status) returns V(false) (the other states fail instead).
  returned: success
  type: bool
  sample: true
  version_added: 0.3.0
error:
  description: When RV(readable) is V(false), one sentence naming what could not be read and why; else null.
  returned: success
  type: str
  sample: null
  version_added: 0.3.0
markers:
  description:
    - The pages' build markers (O(sets[].marker), then O(sets[].variants[].marker) of each set) in the records read or
      written by the step, in order, each once.
  returned: success
  type: list
  elements: str
  sample: [8b8902a8aa]
  version_added: 0.3.0
info:
  description:
    - The maintenance info (O(info)) of the first record that has one - the records after the step first, then as
      read - or an empty dict. The start time C(sorrypage:at) is the one first recorded.
  returned: success
  type: dict
  sample: {"sorrypage:by": "alice", "sorrypage:at": "2026-12-02T04:00:00Z"}
  version_added: 0.3.0
conflicts:
  description: How many writes met a newer Ingress and were re-read and re-planned.
  returned: success
  type: int
changed_during:
  description:
    - Per Ingress edited in place, what else changed in it since the first write of O(state=present) of the window, one
      short line per change (an annotation not ours added, removed or changed; the C(spec.rules) entries of a host added,
      removed, changed or reordered; C(spec.tls), C(spec.defaultBackend), C(spec.ingressClassName)), never a value. Left
      as the release made it. Said by O(state=sorry_absent), O(state=absent) and O(state=status), also in RV(message).
    - Empty when nothing else changed, in an IngressGroup, and for records written before this version.
  returned: success
  type: dict
  sample: {"shop/web": ["annotation alb.ingress.kubernetes.io/healthcheck-path changed",
                        "spec.rules entry for host api.example.com added", "spec.tls changed"]}
  version_added: 0.3.0
gitops:
  description:
    - One warning per Ingress edited in place and per tool that re-applies it (Argo CD, Flux, Helm) - a sync or upgrade
      during the window takes our edit out and the Sorry page down - with what to do about it. Empty in an IngressGroup.
  returned: success
  type: list
  elements: str
  sample: ["shop/web is managed by Helm (release shop): a helm upgrade during the window replaces our edit and takes the
           Sorry page down; run `on` again after it"]
  version_added: 0.3.0
message:
  description: One sentence for the summary.
  returned: success
  type: str
"""

import copy
import os
import signal

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule

from ansible_collections.sorrypage.aws.plugins.module_utils import _ingress_edit
from ansible_collections.sorrypage.aws.plugins.module_utils._ingress_plan import DEFAULT_NAME_PREFIX
from ansible_collections.sorrypage.aws.plugins.module_utils._k8s_api import ClusterApi


def argument_spec():
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(
        state=dict(type='str', default='present', choices=list(_ingress_edit.STATES)),
        stack=dict(type='str'),
        ingresses=dict(type='list', elements='str'),
        sets=dict(type='list', elements='dict', options=dict(
            hosts=dict(type='list', elements='str'),
            body=dict(type='str', required=True),
            source_ips=dict(type='list', elements='str'),
            allow_any_source=dict(type='bool', default=False),
            http_headers=dict(type='list', elements='dict', options=dict(
                name=dict(type='str', required=True),
                values=dict(type='list', elements='str', required=True, no_log=True),
            )),
            target_groups=dict(type='list', elements='raw'),
            marker=dict(type='str'),
            viewer_values=dict(type='list', elements='str'),
            origin_header=dict(type='dict', options=dict(
                name=dict(type='str', required=True),
                value=dict(type='str', required=True, no_log=True),
            )),
            variants=dict(type='list', elements='dict', options=dict(
                name=dict(type='str', required=True),
                body=dict(type='str', required=True),
                content_type=dict(type='str', default='text/html', choices=['text/html', 'application/json']),
                path_patterns=dict(type='list', elements='str', default=['/*']),
                http_headers=dict(type='list', elements='dict', default=[], options=dict(
                    name=dict(type='str', required=True),
                    values=dict(type='list', elements='str', required=True),
                )),
                marker=dict(type='str'),
            )),
        )),
        info=dict(type='dict', default={}),
        name_prefix=dict(type='str', default=DEFAULT_NAME_PREFIX),
        preview_path=dict(type='str'),
    )
    return spec


def where(params):
    """Which cluster, in the words of the messages (the kubeconfig option is no_log: only a path from the environment)."""
    context = params.get('context') or os.environ.get('K8S_AUTH_CONTEXT')
    text = ('context %s' % context) if context else 'the current kube context'
    if not params.get('kubeconfig') and os.environ.get('K8S_AUTH_KUBECONFIG'):
        text += ' of %s' % os.environ['K8S_AUTH_KUBECONFIG']
    return text


# A status gives the cluster this many seconds in all. The kubernetes client sends every request without a timeout
# (its discovery call too, inside get_api_client), so an API that drops packets or never answers would hold the
# run for minutes; a refused connection fails at once anyway. Other states keep the client's own behaviour.
STATUS_DEADLINE = 20


def _status_deadline(_signum, _frame):
    raise _ingress_edit.NoAnswer('the Kubernetes API did not answer within %d seconds' % STATUS_DEADLINE)


def main():
    module = AnsibleK8SModule(argument_spec=argument_spec(), supports_check_mode=True,
                              mutually_exclusive=[('stack', 'ingresses')], required_one_of=[('stack', 'ingresses')],
                              required_if=[('state', 'present', ['sets']),
                                           ('state', 'preview_present', ['sets', 'preview_path'])])
    params = module.params
    ctx = _ingress_edit.Context(state=params['state'], stack=params['stack'], ingresses=params['ingresses'],
                                sets=params['sets'], name_prefix=params['name_prefix'], check_mode=module.check_mode,
                                diff=module._diff, where=where(params), info=params['info'],
                                preview_path=params['preview_path'])
    if params['state'] == 'status':
        signal.signal(signal.SIGALRM, _status_deadline)
        signal.alarm(STATUS_DEADLINE)
    try:
        result, diff, failure = _ingress_edit.run(lambda: ClusterApi(get_api_client(module=module)), ctx)
    finally:
        signal.alarm(0)
    if failure:
        module.fail_json(msg=failure)
    if diff is not None:
        result['diff'] = diff
    if params['state'] == 'present':
        for text in result.get('gitops') or []:
            module.warn(text)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
