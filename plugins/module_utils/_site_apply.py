# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ELBv2 side of a site run: one read of the whole site, and the writes of
a site plan (``_site_plan``) phase by phase, listeners in parallel.

Within a phase each listener's sets are written in order by one worker; at
most ``parallel`` workers run at once, each with one call in flight, so at
most ``parallel`` ELBv2 calls are in flight. A phase starts only when the one
before it has finished on every listener: no listener ever gets a sorry rule
before every listener has its bypass. boto3 clients are safe to share
between threads for calls.

Another run writing to the same listeners at the same time (or the
controller reconciling) is met as PriorityInUse or RuleNotFound: the
listener is read and planned again, up to ``_elbv2.CONTENDED_REPLANS``
times per phase. Two runs can still each create the same part of a set, at
different priorities (each planned from a read without the other's rule),
and no call fails. So once a run has met another writer, it reads every
listener again after creating rules on it and deletes the exact copies
(same conditions, actions and hash) behind the first of each kind, name and
part (``shadowed_copies``): a copy behind an identical rule is never
reached, so deleting it changes no routing, and every run that reads picks
the same copies. A rule of that part that differs is left to the re-plan.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
from concurrent.futures import ThreadPoolExecutor

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.sorrypage.aws.plugins.module_utils import _elbv2
from ansible_collections.sorrypage.aws.plugins.module_utils import _plan
from ansible_collections.sorrypage.aws.plugins.module_utils import _rules
from ansible_collections.sorrypage.aws.plugins.module_utils import _site_plan
from ansible_collections.sorrypage.aws.plugins.module_utils import _tags

PHASE_NAMES = {'present': ('bypass and passthrough', 'sorry and preview'), 'absent': ('sorry and preview', 'bypass')}


class SiteWriteError(Exception):
    """A write failed on some listeners; ``failures`` is [(listener, exception)]."""

    def __init__(self, phase, failures, done):
        Exception.__init__(self, 'phase %d failed' % phase)
        self.phase = phase
        self.failures = failures
        self.done = done


def _pool_map(function, items, parallel):
    """function(item) for every item, at most ``parallel`` at once; [(item, result, exception)]."""
    def guarded(item):
        try:
            return item, function(item), None
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, _elbv2.NotFound, _plan.PlanError) as e:
            return item, None, e
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(items)))) as pool:
        return list(pool.map(guarded, items))


def redirect_only(rules, default_actions):
    """A listener that only redirects (HTTP to HTTPS) exposes nothing to switch."""
    default = _rules.summarise_actions(default_actions)
    forwards = any(_rules.summarise_actions(rule.get('Actions') or []).get('type') == 'forward' for rule in rules)
    return default.get('type') == 'redirect' and not forwards


def read_site(client, name=None, arn=None, ports=None, parallel=4):
    """The whole site from one read: {balancer, listeners, rules_now, skipped}.

    One DescribeLoadBalancers, one DescribeListeners, one DescribeRules per
    listener (every listener: the rules quota counts them all) and one
    DescribeTags per 20 ARNs (the load balancer and the non-default rules of
    the listeners to work on).
    listeners: [{arn, port, protocol, rules, default_actions}] by port;
    balancer_tags: the load balancer's tags.
    """
    balancer = _elbv2.describe_load_balancer(client, name=name, arn=arn)
    listeners = _elbv2.describe_listeners(client, balancer['LoadBalancerArn'])
    _elbv2.check_ports(balancer, listeners, ports)
    # A rule deleted between DescribeRules and DescribeTags (RuleNotFound: the
    # controller still reconciles during `on`) means someone else is
    # writing: read the rules once more, as _elbv2.read_listener does.
    tags, chosen, skipped, rules_now = {}, [], [], 0
    for attempt in (1, 2):
        described = []
        for listener, rules, error in _pool_map(lambda item: _elbv2.describe_rules(client, item['ListenerArn']), listeners, parallel):
            if error is not None:
                raise error
            described.append((listener, rules))
        rules_now = sum(1 for _listener, rules in described for rule in rules if not rule.get('IsDefault'))
        chosen = []
        skipped = []
        for listener, rules in described:
            others = [rule for rule in rules if not rule.get('IsDefault')]
            default = [rule for rule in rules if rule.get('IsDefault')]
            default_actions = default[0].get('Actions', []) if default else listener.get('DefaultActions', [])
            if ports and listener['Port'] not in ports or not ports and redirect_only(others, default_actions):
                skipped.append(listener['Port'])
                continue
            chosen.append((listener, others, default_actions))
        try:
            # The load balancer's own tags (is the controller managing it?) ride
            # in the first batch of the rules' tags.
            tags = _elbv2.describe_tags(client, [balancer['LoadBalancerArn']]
                                        + [rule['RuleArn'] for _l, others, _d in chosen for rule in others])
        except is_boto3_error_code('RuleNotFound'):
            if attempt == 2:
                raise
            continue
        break
    site = []
    for listener, others, default_actions in chosen:
        site.append(dict(arn=listener['ListenerArn'], port=listener['Port'], protocol=listener.get('Protocol'),
                         rules=sorted((_elbv2.rule_record(rule, tags) for rule in others), key=lambda rule: rule['priority']),
                         default_actions=default_actions))
    return dict(balancer=balancer, balancer_tags=tags.get(balancer['LoadBalancerArn'], {}), listeners=site,
                rules_now=rules_now, skipped=skipped)


def _swap(value, created):
    """``value`` with every placeholder ARN in ``created`` replaced by the real one."""
    if isinstance(value, dict):
        return dict((key, _swap(item, created)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(_swap(item, created) for item in value)
    if isinstance(value, str) and value in created:
        return created[value]
    return value


def shadowed_copies(rules):
    """ARNs of the owned rules behind an identical one of the same kind, name and part (``rules`` as read; the
    first, by priority, is kept, as ``_plan.plan_present`` keeps it), in priority order.

    Only exact copies (the same conditions and actions, the same recorded hash) go: requests never reach them, so
    deleting them changes no routing. A rule that differs (another run's other CIDRs or page), a pinned rule and one
    whose part cannot be read stay; the re-plan from the same read puts the set right."""
    owned, _foreign = _plan.classify(rules)
    first = {}
    extra = []
    for rule in sorted(owned, key=lambda item: item['priority']):
        key = tuple(rule['owner'][:3])
        kept = first.setdefault(key, rule)
        if kept is rule or key[2] < 0 or rule['tags'].get(_tags.PINNED) == 'true':
            continue
        if rule['tags'].get(_tags.HASH) == kept['tags'].get(_tags.HASH) and _rules.same_rule(
                kept['conditions'], kept['actions'], rule['conditions'], rule['actions']):
            extra.append(rule['arn'])
    return extra


class SiteRun:
    """Writes a planned site (``_site_plan.plan_site``) phase by phase."""

    def __init__(self, client, entries, state, make_room=False, parallel=4):
        self.client = client
        self.entries = entries
        self.state = state
        self.make_room = make_room
        self.parallel = parallel
        self.warnings = []
        self.contended = False      # another writer met (PriorityInUse, RuleNotFound): check for copies after creating
        self._lock = threading.Lock()

    def warn(self, message):
        with self._lock:
            self.warnings.append(message)

    def _replan(self, listener, done):
        """After another writer got in the way: read the listener again and plan
        what is left of it (this phase and the later ones)."""
        with self._lock:
            self.contended = True
        self._plan_rest(listener, done, _elbv2.read_listener(self.client, listener['arn']))

    def _settle(self, listener, done):
        """After creating rules while another writer is about: read the listener again, delete the copies of a part
        behind the first (``shadowed_copies``) and plan what is left from that read."""
        fresh = _elbv2.read_listener(self.client, listener['arn'])
        extra = shadowed_copies(fresh['rules'])
        for arn in extra:
            _elbv2.delete_rule(self.client, arn)
        if extra:
            self.warn('another run wrote to %s at the same time: deleted %d rule%s that repeated one of the same '
                      'kind, name and part in front of it' % (_site_plan.listener_label(listener), len(extra),
                                                              '' if len(extra) == 1 else 's'))
            gone = set(extra)
            fresh = dict(fresh, rules=[rule for rule in fresh['rules'] if rule['arn'] not in gone])
        self._plan_rest(listener, done, fresh)

    def _plan_rest(self, listener, done, fresh):
        state = dict(arn=listener['arn'], port=listener['port'], protocol=listener['protocol'], rules=fresh['rules'],
                     default_actions=fresh['default_actions'])
        left = [entry for entry in self.entries if entry['index'] not in done]
        # The controller's rules as recognised on the first read: a bypass is known by the sorry rule behind it.
        steps, final, errors = _site_plan.plan_listener(state, left, self.state, self.make_room,
                                                        listener.get('controller_rules') or [])
        if errors:
            raise _plan.PlanError('; '.join(errors))
        listener['steps'] = [step for step in listener['steps'] if step['index'] in done] + steps
        listener['final'] = final

    def _write_listener(self, listener, phase):
        created = listener.setdefault('created', {})
        done = listener.setdefault('done', set())
        replans = 0
        creating = False
        while True:
            try:
                for step in listener['steps']:
                    if step['phase'] != phase or step['index'] in done:
                        continue
                    if step['plan']['changed']:
                        creating = creating or bool(step['plan']['creates'])
                        new = _elbv2.apply_plan(self.client, listener['arn'], _swap(step['plan'], created), self.warn)
                        for part, arn in new.items():
                            created[_site_plan.placeholder(listener['arn'], step['kind'], step['name'], part)] = arn
                    done.add(step['index'])
                break
            except is_boto3_error_code(['PriorityInUse', 'RuleNotFound']):
                if replans == _elbv2.CONTENDED_REPLANS:
                    raise
                replans += 1
                self._replan(listener, done)
        # A part this run created may repeat one another run created meanwhile at another priority (no call fails):
        # once another writer was met, look.
        if creating and self.contended:
            self._settle(listener, done)
        return True

    def run(self, planned):
        """Every phase in turn; raises SiteWriteError when a phase failed anywhere
        (the next phases are not started)."""
        phases = sorted(set(step['phase'] for listener in planned for step in listener['steps']))
        done = []
        for phase in phases:
            work = [listener for listener in planned
                    if any(step['phase'] == phase and step['plan']['changed'] for step in listener['steps'])]
            results = _pool_map(lambda listener, phase=phase: self._write_listener(listener, phase), work, self.parallel)
            failures = [(listener, error) for listener, _ok, error in results if error is not None]
            if failures:
                raise SiteWriteError(phase, failures, done)
            done.append(phase)
        return planned


def final_state(listener):
    """The listener after the run, with the real ARNs of created rules (placeholders in check mode)."""
    return _swap(listener['final'], listener.get('created', {}))


def final_rules(listener, key=None):
    """The owned rules after the run, with the real ARNs of created rules (None in check mode)."""
    return _site_plan.owned_after(final_state(listener), key)


def listener_result(listener):
    """What the module returns for one listener: the owned rules after, and what changed, by rule set."""
    created = listener.get('created', {})
    sets = []
    moved = []
    for step in listener['steps']:
        plan = step['plan']
        moves = _swap(plan['moved_rules'], created)
        moved.extend(moves)
        if step.get('controller'):
            continue
        sets.append(dict(kind=step['kind'], name=step['name'], changed=plan['changed'],
                         rules=final_rules(listener, (step['kind'], step['name'])), moved_rules=moves,
                         target_group_source=plan['target_group_source'], drift=plan['drift']))
    return dict(arn=listener['arn'], port=listener['port'], protocol=listener['protocol'],
                changed=any(step['plan']['changed'] for step in listener['steps']), rules=final_rules(listener),
                rule_sets=sets, moved_rules=moved, controller_rules_deleted=_site_plan.controller_deleted(listener))


def listener_diff(listener):
    """Before and after of the owned rules of the sets in this run, and of the controller's rules it deletes
    (header values masked)."""
    before = []
    for step in listener['steps']:
        before.extend(step['plan']['before'])
    keys = set((step['kind'], step['name']) for step in listener['steps'] if not step.get('controller'))
    after = [rule for key in sorted(keys) for rule in final_rules(listener, key)]
    return sorted(before, key=lambda rule: rule['priority']), sorted(after, key=lambda rule: rule['priority'])
