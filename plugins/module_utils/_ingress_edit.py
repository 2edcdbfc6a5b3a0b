# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ingress driver's Kubernetes steps: present, sorry_absent, absent, status,
preview_present, preview_absent, over a cluster API object (the module
``ingress_sorry``).

``api`` is anything with the Ingress methods of ``_k8s_api.ClusterApi``
(list_ingresses, get_ingress, patch_ingress, create_ingress, delete_ingress),
so the steps run against a fake in unit tests. What to write comes from the
pure planner ``_ingress_plan``; this file reads, writes and retries:

* Which Ingresses: the ALB's ``ingress.k8s.aws/stack`` tag value (an
  IngressGroup name, or ``namespace/name`` of an Ingress without a group), or
  an explicit list of ``namespace/name``.
* An IngressGroup: no Ingress of the user's is touched; our own Ingress
  (``our_ingress``) is created, updated or deleted. It goes in the namespace
  of the group's first member in the controller's order (group.order, then
  namespace/name): the team that owns the group's first rules can write
  there, and the choice does not depend on the page. Once ours exists, it is
  kept where it is (a later change of the members' order moves nothing).
* An Ingress without a group: edited in place with one JSON patch per change.
* Every write carries the resourceVersion just read (the planner's ``test``
  op, a delete precondition). A 409, or a 422 after which the Ingress reads
  back at another resourceVersion (the failed ``test``), is re-read and
  re-planned, at most ``REREADS`` times; then the step fails saying so.
* The planner's validation errors end the step before any write.
* ``status`` only reads and never fails because of the cluster: when the
  API cannot be reached or answers an error, the result says
  ``readable: false``, the ``error`` and ``maintenance: unknown``.
* The record keeps the pages' build markers and the maintenance info
  (who/why/until/at), so ``off`` and ``status`` work from it alone; a rerun
  of ``present`` keeps the recorded start time (sorrypage:at).
* The always-on preview (``preview_present``: the page at a secret path of
  each host, any day) is a part of its own: the maintenance's states keep it
  (``absent`` leaves our own Ingress of a group while it holds a preview),
  ``preview_absent`` takes out only it.
* What else a release changed in an Ingress edited in place during the
  window (``changed_during``, from the fingerprint the first write of
  ``present`` keeps in the record) is said at ``sorry_absent``, ``absent``
  and ``status``, and left as the release made it. Who else re-applies the
  Ingresses edited in place (Argo CD, Flux, Helm: ``gitops``) is said in
  every state; in an IngressGroup we edit no Ingress of the user's, so
  nothing is said of the members.
* Header values of a bypass (secrets) never leave: patches, manifests and
  diffs go through ``redact``, and every string of the result and of the
  messages is scrubbed of the values given.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.module_utils.six import string_types

from ansible_collections.sorrypage.aws.plugins.module_utils import _ingress_owners as owners
from ansible_collections.sorrypage.aws.plugins.module_utils import _ingress_plan as plan
from ansible_collections.sorrypage.aws.plugins.module_utils import _k8s_errors as errors

STATES = ('present', 'sorry_absent', 'absent', 'status', 'preview_present', 'preview_absent')
# The states that write a part from the input (the others only take parts out, or read).
BUILDING = ('present', 'preview_present')
SHAPE_GROUP = 'group'
SHAPE_IN_PLACE = 'in_place'
# A write that met a newer Ingress is re-read and re-planned this many times (REREADS + 1 writes in all).
REREADS = 3
STALE_STATUSES = (409, 422)
# The states that say what else changed during the window (the window's end, and a look).
REPORTING = ('sorry_absent', 'absent', 'status')
# Fields of a read Ingress that say nothing to a person reading a diff.
_NOISE = ('managedFields',)

DONE = {
    'present': 'The Sorry page is not on through the Ingress.',
    'sorry_absent': 'The Sorry path is still in the Ingress.',
    'absent': 'The maintenance is still in the Ingress.',
    'status': '',
    'preview_present': 'The preview is not in the Ingress.',
    'preview_absent': 'The preview is still in the Ingress.',
}


class EditFailed(Exception):
    """A step ended with a message of its own (saying what was left undone)."""

    def __init__(self, msg):
        super(EditFailed, self).__init__(msg)
        self.msg = msg


class NoAnswer(Exception):
    """The cluster took longer than the caller's deadline (the module raises it from an alarm, status only).

    Not an OSError: the client's retries would swallow a socket timeout and wait again."""


class _Stale(Exception):
    """A write met a newer Ingress than the one it was planned from."""


class Context:
    """The inputs of one step; ``written`` collects the keys of the Ingresses written so far."""

    def __init__(self, state, stack=None, ingresses=None, sets=None, name_prefix=plan.DEFAULT_NAME_PREFIX,
                 check_mode=False, diff=False, rereads=REREADS, where='the current kube context', info=None,
                 preview_path=None):
        self.state = state
        self.preview_path = preview_path
        self.info = {} if info is None else info
        self.stack = stack or None
        self.ingresses = list(ingresses or [])
        self.sets = sets
        self.name_prefix = name_prefix or plan.DEFAULT_NAME_PREFIX
        self.check_mode = bool(check_mode)
        self.diff = bool(diff)
        self.rereads = rereads
        self.where = where
        self.secrets = secrets_of(sets)
        self.written = []
        self.conflicts = 0


# ------------------------------------------------------------ pure helpers

def secrets_of(sets):
    """The header values of every set (what must never be shown), longest first."""
    found = set()
    for page in sets or []:
        if not isinstance(page, dict):
            continue
        for header in page.get('http_headers') or []:
            if isinstance(header, dict):
                for value in header.get('values') or []:
                    if isinstance(value, string_types) and value:
                        found.add(value)
    return sorted(found, key=lambda v: (-len(v), v))


def scrub(value, secrets):
    """A copy of ``value`` with every occurrence of a secret in a string (key or value) replaced."""
    if not secrets:
        return value
    if isinstance(value, string_types):
        for secret in secrets:
            value = value.replace(secret, plan.REDACTED)
        return value
    if isinstance(value, list):
        return [scrub(item, secrets) for item in value]
    if isinstance(value, tuple):
        return tuple(scrub(item, secrets) for item in value)
    if isinstance(value, dict):
        return dict((scrub(k, secrets), scrub(v, secrets)) for k, v in value.items())
    return value


def split_key(key, label):
    """'namespace/name' -> (namespace, name); ValueError naming ``label`` otherwise."""
    parts = key.split('/') if isinstance(key, string_types) else []
    if len(parts) != 2 or not all(parts):
        raise ValueError("%s: '%s' is not namespace/name" % (label, key))
    return parts[0], parts[1]


def _tokens(pointer):
    return [t.replace('~1', '/').replace('~0', '~') for t in pointer.split('/')[1:]]


def apply_patch(doc, ops):
    """``doc`` after a JSON patch (test, add, remove, replace), as the API server would
    make it: what check mode and diff mode show. ValueError when a ``test`` fails."""
    doc = copy.deepcopy(doc)
    for op in ops:
        tokens = _tokens(op['path'])
        if not tokens:
            doc = copy.deepcopy(op['value'])
            continue
        node = doc
        for token in tokens[:-1]:
            node = node[int(token)] if isinstance(node, list) else node[token]
        last = tokens[-1]
        if op['op'] == 'test':
            actual = node[int(last)] if isinstance(node, list) else node.get(last)
            if actual != op['value']:
                raise ValueError('test failed at %s' % op['path'])
        elif op['op'] == 'remove':
            del node[int(last) if isinstance(node, list) else last]
        elif op['op'] == 'add' and isinstance(node, list):
            node.insert(len(node) if last == '-' else int(last), copy.deepcopy(op['value']))
        elif op['op'] in ('add', 'replace'):
            node[int(last) if isinstance(node, list) else last] = copy.deepcopy(op['value'])
        else:
            raise ValueError('unsupported JSON patch op %s' % op['op'])
    return doc


def _meta(ingress):
    return (ingress or {}).get('metadata') or {}


def _group_of(ingress):
    return (_meta(ingress).get('annotations') or {}).get(plan.GROUP_NAME) or None


def is_ours(ingress, name_prefix):
    """Our own Ingress of a group: our name and our label (or our record)."""
    meta = _meta(ingress)
    return (meta.get('name') == plan.our_ingress_name(name_prefix)
            and ((meta.get('labels') or {}).get(plan.MANAGED_BY_LABEL) == plan.MANAGED_BY
                 or plan.RECORD_ANNOTATION in (meta.get('annotations') or {})))


def first_member(members):
    """The group's first member in the controller's order (group.order, then namespace/name)."""
    def order(ingress):
        try:
            return plan.group_order(ingress)
        except ValueError:
            return plan.MAX_GROUP_ORDER + 1
    return sorted(members, key=lambda ing: (order(ing), plan.ingress_key(ing)))[0]


def update_ops(ours, manifest):
    """The JSON patch that makes our Ingress as read hold ``manifest``, or None when it does."""
    meta = _meta(ours)
    labels = dict(meta.get('labels') or {})
    wanted_labels = dict(labels, **manifest['metadata']['labels'])
    wanted_annotations = manifest['metadata']['annotations']
    if (meta.get('annotations') or {}) == wanted_annotations and labels == wanted_labels \
            and (ours.get('spec') or {}) == manifest['spec']:
        return None
    return [plan._resource_version_test(ours),  # pylint: disable=protected-access  # the planner's own precondition
            {'op': 'add', 'path': '/metadata/labels', 'value': wanted_labels},
            {'op': 'add', 'path': '/metadata/annotations', 'value': wanted_annotations},
            {'op': 'add', 'path': '/spec', 'value': manifest['spec']}]


def phase(record):
    """What a record says is in force: on (the sorry path), bypass_only, or off."""
    if record is None:
        return 'off'
    names = [plan._backend_name(p) or ''  # pylint: disable=protected-access  # the planner's reading of a path
             for rule in record.get('rules') or [] for p in (rule.get('http') or {}).get('paths') or []]
    if any(name.endswith('-sorry') for name in names):
        return 'on'
    return 'bypass_only' if names else 'off'


def _shown(ingress):
    """An Ingress as a diff shows it: redacted, without managedFields."""
    if ingress is None:
        return {}
    shown = copy.deepcopy(ingress)
    for key in _NOISE:
        _meta(shown).pop(key, None)
    return plan.redact(shown)


# ------------------------------------------------------------ the steps

class _Step:
    """What one run saw and did, for the result."""

    def __init__(self, ctx, shape, group=None):
        self.ctx = ctx
        self.shape = shape
        self.group = group
        self.patches = []
        self.touched = []
        self.before = {}
        self.after = {}
        self.our_ingress = None
        self.records = {}
        self.read = {}  # the record of each Ingress as first read
        self.drift = {}
        self.changed_during = {}
        self.gitops = []

    def saw(self, ingress):
        key = plan.ingress_key(ingress)
        self.read.setdefault(key, plan.read_record(ingress))
        if self.ctx.state in REPORTING and self.shape == SHAPE_IN_PLACE:
            lines = plan.changed_during(ingress)
            if lines:
                self.changed_during[key] = lines
            else:
                self.changed_during.pop(key, None)

    def did(self, key, action, before, after, body):
        entry = {'ingress': key, 'action': action}
        if action in ('patch', 'update'):
            entry['patch'] = plan.redact(body)
        elif action == 'create':
            entry['manifest'] = plan.redact(body)
        self.patches.append(entry)
        if key not in self.touched:
            self.touched.append(key)
        self.before.setdefault(key, _shown(before))
        self.after[key] = _shown(after)


def _nothing_changed(ctx):
    return 'Nothing was changed.' if not ctx.written else (
        'Written before this failure: %s.' % ', '.join(ctx.written))


def _write(ctx, api, key, current, send):
    """Call ``send()``; turn a stale-read failure into _Stale (a 422 only when the Ingress moved on)."""
    try:
        result = send()
    except Exception as exc:  # pylint: disable=broad-except  # only a stale read is handled here; re-raised as it was
        status = errors.status_of(exc)
        if status not in STALE_STATUSES:
            raise
        if status == 422:
            if current is None:
                raise  # a create refused: nothing was read to be stale
            namespace, name = split_key(key, 'ingress')
            now = api.get_ingress(namespace, name)
            if now is not None and _meta(now).get('resourceVersion') == _meta(current).get('resourceVersion'):
                raise  # the same Ingress: the API refused the edit itself, not our resourceVersion
        raise _Stale(key)
    if key not in ctx.written:
        ctx.written.append(key)
    return result


def _retrying(ctx, what, attempt):
    """Run ``attempt(number)`` until it does not meet a newer Ingress, at most REREADS re-reads."""
    for number in range(ctx.rereads + 1):
        try:
            return attempt(number)
        except _Stale:
            ctx.conflicts += 1
    raise EditFailed('Gave up on %s after %d writes: each met a newer version of it than the one just read '
                     '(409 Conflict or a failed resourceVersion test; something else keeps changing it, a GitOps '
                     'tool or a deploy?). %s %s' % (what, ctx.rereads + 1, _nothing_changed(ctx), DONE[ctx.state]))


def _refuse(ctx, exc):
    return EditFailed('%s %s' % (str(exc).rstrip('.') + '.', _nothing_changed(ctx)))


def _in_place_plan(ctx):
    if ctx.state == 'present':
        return lambda ing: plan.plan_on_in_place(ing, ctx.sets, ctx.name_prefix, ctx.info)
    if ctx.state == 'preview_present':
        return lambda ing: plan.plan_preview_on_in_place(ing, ctx.sets, ctx.preview_path, ctx.name_prefix)
    if ctx.state == 'preview_absent':
        return plan.plan_preview_off_in_place
    if ctx.state == 'sorry_absent':
        return lambda ing: plan.plan_off_in_place(ing, only='sorry')
    return plan.plan_off_in_place


def _edit_in_place(ctx, api, step, ingresses):
    plan_for = _in_place_plan(ctx)
    planned = []
    for ingress in ingresses:  # every plan first: a refusal comes before any write
        step.saw(ingress)
        try:
            planned.append((ingress, plan_for(ingress)))
        except ValueError as exc:
            raise _refuse(ctx, exc)
    for ingress, first_ops in planned:
        key = plan.ingress_key(ingress)
        final = _retrying(ctx, 'Ingress %s' % key, _in_place_attempt(ctx, api, step, plan_for, ingress, first_ops))
        step.after.setdefault(key, _shown(final))
        step.before.setdefault(key, _shown(final))
        step.records[key] = plan.read_record(final)
        step.drift[key] = plan.drift(final)


def _in_place_attempt(ctx, api, step, plan_for, ingress, first_ops):
    """One attempt at one Ingress: the first from the plan made before any write, later ones re-read and re-planned."""
    key = plan.ingress_key(ingress)
    namespace, name = split_key(key, 'ingress')
    state = {'current': ingress, 'ops': first_ops}

    def attempt(number):
        if number:
            state['current'] = api.get_ingress(namespace, name)
            if state['current'] is None:
                raise EditFailed('Ingress %s disappeared while it was being edited. %s %s'
                                 % (key, _nothing_changed(ctx), DONE[ctx.state]))
            try:
                state['ops'] = plan_for(state['current'])
            except ValueError as exc:
                raise _refuse(ctx, exc)
        current, ops = state['current'], state['ops']
        if ops is None:
            return current
        after = apply_patch(current, ops)
        if not ctx.check_mode:
            after = _write(ctx, api, key, current, lambda: api.patch_ingress(namespace, name, ops))
        step.did(key, 'patch', current, after, ops)
        return after
    return attempt


def _read_group(ctx, api, group):
    """(members, ours) of an IngressGroup, across all namespaces."""
    found = [ing for ing in api.list_ingresses() if _group_of(ing) == group]
    ours = sorted((ing for ing in found if is_ours(ing, ctx.name_prefix)), key=plan.ingress_key)
    members = [ing for ing in found if not is_ours(ing, ctx.name_prefix)]
    return members, ours


def _edit_group(ctx, api, step, group):
    if ctx.state in BUILDING:
        try:  # the page's own errors before anything is read
            if ctx.state == 'present':
                plan.desired(ctx.sets, ctx.name_prefix)
            else:
                plan.preview_part(ctx.sets, ctx.preview_path, ctx.name_prefix)
        except ValueError as exc:
            raise _refuse(ctx, exc)

    def attempt(_number):
        members, ours = _read_group(ctx, api, group)
        for one in ours:
            step.saw(one)
        if ctx.state in BUILDING and len(ours) > 1:
            raise EditFailed('IngressGroup %s holds %d Ingresses of ours (%s); delete all but one. %s'
                             % (group, len(ours), ', '.join(plan.ingress_key(i) for i in ours), _nothing_changed(ctx)))
        if ctx.state in BUILDING:
            return _group_present(ctx, api, step, group, members, ours[0] if ours else None)
        return [_group_off(ctx, api, step, one) for one in ours] or [None]
    results = _retrying(ctx, 'our Ingress in IngressGroup %s' % group, attempt)
    final = results if isinstance(results, list) else [results]
    for ours in final:
        if ours is not None:
            key = plan.ingress_key(ours)
            step.our_ingress = key
            step.after.setdefault(key, _shown(ours))
            step.before.setdefault(key, _shown(ours))
            step.records[key] = plan.read_record(ours)
            step.drift[key] = plan.drift(ours)


def _group_present(ctx, api, step, group, members, ours):
    if not members:
        raise EditFailed('IngressGroup %s has no Ingress in %s: our Ingress copies its class and listeners from the '
                         "group's members; check the stack and the context. %s" % (group, ctx.where, _nothing_changed(ctx)))
    namespace = _meta(ours).get('namespace') if ours else _meta(first_member(members)).get('namespace')
    maintenance, preview = plan.parts_of(ours) if ours else (None, None)
    try:
        if ctx.state == 'present':  # the preview there stays
            manifest = plan.our_ingress(members, namespace, ctx.sets, ctx.name_prefix,
                                        plan.kept_info(ctx.info, plan.read_record(ours) if ours else None), preview)
        else:  # the maintenance there stays
            manifest = plan.our_ingress_of(members, namespace, ctx.name_prefix, maintenance,
                                           plan.preview_part(ctx.sets, ctx.preview_path, ctx.name_prefix))
    except ValueError as exc:
        raise _refuse(ctx, exc)
    name = manifest['metadata']['name']
    key = '%s/%s' % (namespace, name)
    if ours is None and key in [plan.ingress_key(ing) for ing in members]:
        raise EditFailed('Ingress %s is in IngressGroup %s but is not ours (no label %s=%s): choose another name_prefix. %s'
                         % (key, group, plan.MANAGED_BY_LABEL, plan.MANAGED_BY, _nothing_changed(ctx)))
    if ours is None:
        after = manifest
        if not ctx.check_mode:
            after = _write(ctx, api, key, None, lambda: api.create_ingress(namespace, manifest))
        step.did(key, 'create', None, after, manifest)
        return after
    ops = update_ops(ours, manifest)
    if ops is None:
        return ours
    after = apply_patch(ours, ops)
    if not ctx.check_mode:
        after = _write(ctx, api, key, ours, lambda: api.patch_ingress(namespace, name, ops))
    step.did(key, 'update', ours, after, ops)
    return after


def _group_off(ctx, api, step, ours):
    """Our Ingress without the sorry path (sorry_absent), the maintenance (absent) or the preview
    (preview_absent): updated while something of ours is left in it, else deleted; the Ingress left, or None."""
    key = plan.ingress_key(ours)
    namespace, name = split_key(key, 'ingress')
    record = plan.read_record(ours)
    if ctx.state == 'sorry_absent':
        ops = plan.plan_off_in_place(ours, only='sorry')
    elif ctx.state == 'preview_absent':
        ops = plan.plan_preview_off_in_place(ours)
        if ops is None:
            return ours  # no preview in it: nothing of the maintenance is touched
    elif plan.recorded_preview(record) is not None:
        ops = plan.plan_off_in_place(ours)
        if ops is None:
            return ours  # the preview alone: nothing of the maintenance to take out
    else:
        ops = []  # absent, nothing else of ours in it: it goes whole, record or not
    after = apply_patch(ours, ops) if ops else ours
    if ops != [] and (after.get('spec') or {}).get('rules'):
        if ops is None:
            return ours
        if not ctx.check_mode:
            after = _write(ctx, api, key, ours, lambda: api.patch_ingress(namespace, name, ops))
        step.did(key, 'update', ours, after, ops)
        return after
    # nothing of ours left in it (or a maintenance without a bypass): an Ingress without rules is not valid,
    # so ours goes whole
    if not ctx.check_mode:
        _write(ctx, api, key, ours, lambda: api.delete_ingress(namespace, name, _meta(ours).get('resourceVersion')))
    step.did(key, 'delete', ours, None, None)
    return None


def _resolve(ctx, api):
    """(shape, group name or None, the Ingresses without a group as read)."""
    if ctx.ingresses:
        read = []
        for key in ctx.ingresses:
            namespace, name = split_key(key, 'ingresses')
            ingress = api.get_ingress(namespace, name)
            if ingress is None:
                raise EditFailed('ingresses: Ingress %s is not in %s. %s' % (key, ctx.where, _nothing_changed(ctx)))
            read.append(ingress)
        groups = sorted(set(_group_of(ing) or '' for ing in read))
        if len(groups) > 1:
            raise EditFailed('ingresses: %s are not all in the same IngressGroup (%s); give the Ingresses of one ALB. %s'
                             % (', '.join(ctx.ingresses), ', '.join(g or '(no group)' for g in groups), _nothing_changed(ctx)))
        if groups[0]:
            return SHAPE_GROUP, groups[0], []
        return SHAPE_IN_PLACE, None, read
    kind, value = plan.stack_of({plan.STACK_TAG: ctx.stack})
    if kind == 'group':
        return SHAPE_GROUP, value, []
    namespace, name = split_key(value, 'stack')
    ingress = api.get_ingress(namespace, name)
    if ingress is None:
        if ctx.state in BUILDING:
            raise EditFailed('stack %s: Ingress %s is not in %s; check the ALB\'s %s tag and the context. %s'
                             % (ctx.stack, value, ctx.where, plan.STACK_TAG, _nothing_changed(ctx)))
        return SHAPE_IN_PLACE, None, []
    return SHAPE_IN_PLACE, None, [ingress]


def check_inputs(ctx):
    """Input errors, before any call: (one message or None)."""
    problems = []
    if ctx.state not in STATES:
        problems.append('state must be one of %s, not %s' % (', '.join(STATES), ctx.state))
    if bool(ctx.stack) == bool(ctx.ingresses):
        problems.append('give either stack (the ALB\'s %s tag) or ingresses (namespace/name, ...), not %s'
                        % (plan.STACK_TAG, 'both' if ctx.stack else 'neither'))
    if ctx.stack and '/' in ctx.stack:
        try:
            split_key(ctx.stack, 'stack')
        except ValueError as exc:
            problems.append('%s (an IngressGroup name, or namespace/name of an Ingress without a group)' % exc)
    for key in ctx.ingresses:
        try:
            split_key(key, 'ingresses')
        except ValueError as exc:
            problems.append(str(exc))
    if ctx.state == 'present' and not ctx.sets:
        problems.append('state=present needs sets (hosts, body, bypass)')
    if ctx.state == 'preview_present' and not ctx.sets:
        problems.append('state=preview_present needs sets (hosts, body)')
    if ctx.state == 'preview_present' and not ctx.preview_path:
        problems.append('state=preview_present needs preview_path (a secret path like /_sorry-preview)')
    if ctx.preview_path is not None:
        problems += plan.check_preview_path(ctx.preview_path)
    if not isinstance(ctx.rereads, int) or ctx.rereads < 0:
        problems.append('rereads must be an integer of 0 or more')
    problems += plan.check_info(ctx.info)
    return '; '.join(problems) + '.' if problems else None


def left_as_made(changed):
    """One sentence of what else a release changed, per Ingress ({key: [line]}), or ''."""
    if not changed:
        return ''
    return 'Left as the release made it: %s.' % '; '.join(
        '%s: %s' % (key, ', '.join(changed[key])) for key in sorted(changed))


def _message(ctx, step, changed, maintenance, preview):
    text = _step_message(ctx, step, changed, maintenance, preview)
    extra = left_as_made(step.changed_during)
    return ('%s %s' % (text, extra)) if extra else text


def _step_message(ctx, step, changed, maintenance, preview):
    target = ('IngressGroup %s' % step.group) if step.shape == SHAPE_GROUP else (
        ', '.join(sorted(step.drift)) or 'no Ingress')
    if ctx.state == 'status':
        drifted = sorted(key for key, value in step.drift.items() if value and value['drifted'])
        text = 'Sorry page through %s: %s.' % (target, maintenance)
        if preview:
            text += ' Preview at %s.' % preview['path']
        if drifted:
            text += ' Our edit drifted in %s: run `on` again.' % ', '.join(drifted)
        return text
    verb = {'present': 'on', 'sorry_absent': 'sorry path removed, bypass kept', 'absent': 'off',
            'preview_present': 'preview in at %s' % ctx.preview_path, 'preview_absent': 'preview out'}[ctx.state]
    if not changed:
        return 'Sorry page through %s: already %s; nothing written.' % (target, verb)
    done = 'would write' if ctx.check_mode else 'wrote'
    return 'Sorry page through %s: %s (%s %s).' % (target, verb, done, ', '.join(step.touched))


def step_result(ctx, step):
    changed = bool(step.patches)
    phases = [phase(record) for record in step.records.values()]
    maintenance = 'on' if 'on' in phases else ('bypass_only' if 'bypass_only' in phases else 'off')
    preview = plan.preview_in([step.records[key] for key in sorted(step.records)])
    # after the step first (the info now in force), then as read (what absent took out)
    seen = [step.records[key] for key in sorted(step.records)] + [step.read[key] for key in sorted(step.read)]
    result = {
        'changed': changed,
        'readable': True,
        'error': None,
        'shape': step.shape,
        'group': step.group,
        'ingresses': list(step.touched),
        'patches': step.patches,
        'drift': step.drift,
        'record': step.records,
        'our_ingress': step.our_ingress,
        'maintenance': maintenance,
        'preview': preview,
        'markers': plan.markers_in(seen),
        'info': plan.info_in(seen),
        'conflicts': ctx.conflicts,
        'changed_during': step.changed_during,
        'gitops': step.gitops,
        'message': _message(ctx, step, changed, maintenance, preview),
    }
    diff = None
    if ctx.diff and changed:
        diff = {'before': dict((k, step.before[k]) for k in step.touched),
                'after': dict((k, step.after[k]) for k in step.touched)}
    return scrub(result, ctx.secrets), scrub(diff, ctx.secrets)


def execute(api, ctx):
    """One step over ``api``; returns (result, diff or None). Raises EditFailed and the API's own errors."""
    shape, group, ingresses = _resolve(ctx, api)
    step = _Step(ctx, shape, group)
    # before any write: who else re-applies the Ingresses we edit in place (none of the user's in a group)
    step.gitops = owners.gitops_warnings(ingresses) if shape == SHAPE_IN_PLACE else []
    if ctx.state == 'status':
        if shape == SHAPE_GROUP:
            _members, ours = _read_group(ctx, api, group)
            ingresses = ours
            step.our_ingress = plan.ingress_key(ours[0]) if ours else None
        for ingress in ingresses:
            key = plan.ingress_key(ingress)
            step.saw(ingress)
            step.records[key] = plan.read_record(ingress)
            step.drift[key] = plan.drift(ingress)
    elif shape == SHAPE_GROUP:
        _edit_group(ctx, api, step, group)
    else:
        _edit_in_place(ctx, api, step, ingresses)
    return step_result(ctx, step)


def _target_of(ctx):
    return ('stack %s' % ctx.stack) if ctx.stack else ('Ingresses %s' % ', '.join(ctx.ingresses))


def unreadable(ctx, error):
    """The result of a ``status`` that could not read the cluster: it says so instead of failing."""
    return {
        'changed': False,
        'readable': False,
        'error': error,
        'shape': None,
        'group': None,
        'ingresses': [],
        'patches': [],
        'drift': {},
        'record': {},
        'our_ingress': None,
        'maintenance': 'unknown',
        'preview': None,
        'markers': [],
        'info': {},
        'conflicts': 0,
        'changed_during': {},
        'gitops': [],
        'message': 'Sorry page through %s: unknown, the cluster could not be read.' % _target_of(ctx),
    }


def _is_cluster_failure(exc):
    """A failure of the cluster or of reaching it, as ``_k8s_errors`` tells them apart (not a bug of ours)."""
    return errors.classify(exc) != 'other' or errors.status_of(exc) is not None


def run(make_api, ctx):
    """One step with every failure turned into a message: (result, diff, None) or (None, None, message).

    ``make_api()`` gives the cluster API object, called only after the
    inputs are checked. Messages are scrubbed of header values. A ``status``
    the cluster does not let read returns ``unreadable`` instead of a
    message; its bad inputs still fail."""
    problem = check_inputs(ctx)
    if problem:
        return None, None, scrub(problem + ' Nothing was changed.', ctx.secrets)
    try:
        result, diff = execute(make_api(), ctx)
        return result, diff, None
    except NoAnswer as exc:
        error = 'Could not read %s in %s: %s.' % (_target_of(ctx), ctx.where, str(exc).rstrip('.'))
        if ctx.state == 'status':
            return scrub(unreadable(ctx, error), ctx.secrets), None, None
        return None, None, scrub('%s %s %s' % (error, _nothing_changed(ctx), DONE[ctx.state]), ctx.secrets)
    except EditFailed as exc:
        if ctx.state == 'status':
            return scrub(unreadable(ctx, exc.msg.strip()), ctx.secrets), None, None
        return None, None, scrub(exc.msg, ctx.secrets)
    except Exception as exc:  # pylint: disable=broad-except  # classified by type and status; every failure says what was left undone
        kind = errors.classify(exc)
        if ctx.state == 'status' and _is_cluster_failure(exc):
            error = 'Could not read %s in %s: %s: %s.' % (
                _target_of(ctx), ctx.where, errors.what(kind, exc), errors.short(exc).rstrip('.'))
            return scrub(unreadable(ctx, error), ctx.secrets), None, None
        msg = '%s: %s. %s %s' % (errors.what(kind, exc), errors.short(exc), _nothing_changed(ctx), DONE[ctx.state])
        return None, None, scrub(msg.strip(), ctx.secrets)
