# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters for sorrypage.aws.alb_sorry_auto_off: the sorry rules of a site
switch, each with a stable key, as its rules option (sorry_auto_off_rules);
and the problems of its inputs, to refuse them before anything is switched on
(sorry_auto_off_problems)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: sorry_auto_off_rules
author: sorrypage.aws contributors
version_added: 0.3.0
short_description: The sorry rules of a site, keyed, for the auto-off schedules
description:
  - Turns the result of M(sorrypage.aws.alb_sorry_site) (C(listeners[].rules), this collection's rules with their
    tags) into the O(sorrypage.aws.alb_sorry_auto_off#module:rules) option of M(sorrypage.aws.alb_sorry_auto_off),
    one item per sorry rule (tag C(sorrypage:kind=sorry)), every listener, every sorry set.
  - Also takes the result of M(sorrypage.aws.alb_sorry_info), or the C(site) of M(sorrypage.aws.alb_sorry_site)
    (C(listeners[].owned_rules) with C(kind), C(name), C(part)); sorry rules the controller made (C(made_by=controller))
    are left out, since the controller re-creates what is deleted.
  - The key is C(<port>-<sorry set name>-<part>), so a sorry rule re-created by a later C(on) keeps its key and its
    schedule follows it to the new ARN.
options:
  _input:
    description: The registered result of M(sorrypage.aws.alb_sorry_site) or M(sorrypage.aws.alb_sorry_info).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: One schedule per sorry rule the switch put on
  sorrypage.aws.alb_sorry_auto_off:
    group: "sorrypage-{{ sorry_load_balancer_name }}"
    at: "{{ sorry_until }}"
    role_arn: "{{ sorry_auto_off_role_arn }}"
    rules: "{{ sorry_rules_site | sorrypage.aws.sorry_auto_off_rules }}"
"""

RETURN = r"""
_value:
  description:
    - One item per sorry rule, by port then key; C(arn) is null for a rule a check-mode run would create.
  type: list
  elements: dict
  contains:
    key:
      description: C(<port>-<sorry set name>-<part>), e.g. C(443-shop-0).
      type: str
    arn:
      description: The rule's ARN.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.sorrypage.aws.plugins.module_utils import _auto_off

KIND = 'sorrypage:kind'
NAME = 'sorrypage:rule'
PART = 'sorrypage:part'


def _describe(rule):
    """(kind, set name, part, made by the controller) of a rule in either shape."""
    tags = rule.get('tags') or {}
    kind = rule.get('kind') or tags.get(KIND)
    name = rule.get('name') if rule.get('name') is not None else tags.get(NAME)
    part = rule.get('part') if rule.get('part') is not None else tags.get(PART, 0)
    return kind, name, part, rule.get('made_by') == 'controller'


def sorry_auto_off_rules(result):
    if not isinstance(result, dict) or not isinstance(result.get('listeners'), list):
        raise AnsibleFilterError('sorry_auto_off_rules: expects the registered result of sorrypage.aws.alb_sorry_site or '
                                 'alb_sorry_info (a dict with a listeners list); got %s%s'
                                 % (type(result).__name__, ' (a skipped task?)' if isinstance(result, dict)
                                    and result.get('skipped') else ''))
    out = []
    for listener in result['listeners']:
        port = listener.get('port')
        rules = listener['rules'] if 'rules' in listener else listener.get('owned_rules') or []
        for rule in rules:
            kind, name, part, by_controller = _describe(rule)
            if kind != 'sorry' or by_controller:
                continue
            if port is None or name is None:
                raise AnsibleFilterError('sorry_auto_off_rules: sorry rule %s has no %s: not a result of alb_sorry_site '
                                         'or alb_sorry_info?' % (rule.get('arn'), 'port' if port is None else 'set name'))
            out.append(dict(key='%s-%s-%s' % (port, name, part), arn=rule.get('arn')))
    return sorted(out, key=lambda item: (int(item['key'].split('-', 1)[0]), item['key']))


# Before the switch, the end must leave room for the switch, the controller pause and the probes: the schedules are
# written after them.
SWITCH_LEAD_SECONDS = 600


def sorry_auto_off_problems(until, role_arn, group, driver=None, requested=True):
    """What alb_sorry_auto_off would refuse, as sorry_ variable names, checked now (``on`` runs it before the switch,
    so a bad sorry_until never leaves the page on without its end): [] when all is well. ``driver``: the one chosen
    (the Ingress driver cannot end a window by itself). ``requested``: sorry_auto_off; only true is checked here
    (auto follows what the site has, read by the switch)."""
    try:
        if _auto_off.mode(requested, '', until) == 'none':
            return []
    except _auto_off.AutoOffError as e:
        return [str(e)]
    problems = [p for p in [_auto_off.driver_problem(driver)] if p]
    checks = [('sorry_until', lambda: _auto_off.parse_at(until, _auto_off.now_utc(), SWITCH_LEAD_SECONDS)),
              ('sorry_auto_off_role_arn', lambda: _auto_off.validate_role_arn(role_arn)),
              ('the schedule group', lambda: _auto_off.validate_group(group))]
    for name, check in checks:
        try:
            check()
        except _auto_off.AutoOffError as e:
            problems.append('%s: %s' % (name, e))
    return problems


def sorry_auto_off_group(load_balancer_name):
    """The schedule group of a site."""
    return _auto_off.group_name(load_balancer_name)


def sorry_auto_off_recorded_group(result):
    """The schedule group the site's rules name (their sorrypage:auto-off tag), '' when its window has no end set."""
    return _auto_off.recorded_group(result)


def sorry_auto_off_tags(auto_off, load_balancer_name):
    """The rules' tag naming the schedule group when sorry_auto_off is on, {} otherwise."""
    return _auto_off.group_tags(auto_off, load_balancer_name)


def sorry_auto_off_report(result):
    """The lines `status` says about a window that ends by itself."""
    return _auto_off.status_lines(result)


def sorry_auto_off_mode(requested, recorded_group, until):
    """present / absent / keep / none: what `on` does with the schedules after the switch (_auto_off.mode)."""
    try:
        return _auto_off.mode(requested, recorded_group, until)
    except _auto_off.AutoOffError as e:
        raise AnsibleFilterError('Nothing was changed: %s' % e)


class FilterModule(object):
    def filters(self):
        return {'sorry_auto_off_rules': sorry_auto_off_rules, 'sorry_auto_off_problems': sorry_auto_off_problems,
                'sorry_auto_off_group': sorry_auto_off_group, 'sorry_auto_off_tags': sorry_auto_off_tags,
                'sorry_auto_off_report': sorry_auto_off_report, 'sorry_auto_off_mode': sorry_auto_off_mode,
                'sorry_auto_off_recorded_group': sorry_auto_off_recorded_group}
