#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: alb_sorry_auto_off
short_description: End a maintenance window by itself, with one EventBridge Scheduler schedule per sorry rule
version_added: 0.3.0
description:
  - Keeps, in one EventBridge Scheduler schedule group per site, one one-time schedule per sorry rule the ALB driver
    put on. At O(at) each schedule calls ELBv2 C(DeleteRule) on its rule through the Scheduler's universal target
    C(arn:aws:scheduler:::aws-sdk:elasticloadbalancingv2:deleteRule), then deletes itself
    (C(ActionAfterCompletion=DELETE)). The public gets the application back even if nobody runs C(off); the bypass
    rules and the priorities moved to make room stay until C(off).
  - Each schedule is C(at(YYYY-MM-DDThh:mm:ss)) in C(UTC), C(FlexibleTimeWindow) V(OFF), C(State) V(ENABLED), run by
    O(role_arn), with as input a JSON object whose C(RuleArn) is the sorry rule's ARN.
  - Only for rules written straight to the listeners (ALB driver). Not for the Ingress driver, whose controller
    re-creates deleted rules and may later put an application rule where a recorded ARN pointed.
  - See docs/auto-off.md for the permissions of the caller and of the execution role.
author:
  - sorrypage.aws maintainers (@sorrypage)
options:
  group:
    description:
      - The schedule group of the site, for example C(sorrypage-<load balancer name>). Every schedule in it belongs
        to this module; V(present) deletes the ones no rule of O(rules) wants.
      - 1 to 64 characters among C(0-9 a-z A-Z - _ .).
    type: str
    required: true
  state:
    description:
      - V(present) creates the group if missing and makes its schedules exactly one per rule of O(rules), at O(at).
      - V(absent) deletes every schedule of the group and the group, taking schedules already gone as done (a
        schedule that fired deleted itself).
      - V(status) reads the group's schedules and the time left (read-only; like the runbook's C(status)).
    type: str
    choices: [present, absent, status]
    default: present
  at:
    description:
      - The end of the window, ISO 8601 with a UTC offset (C(2026-03-02T14:00:00+09:00), C(2026-03-02T05:00:00Z)),
        at least 60 seconds from now. Written in UTC, to the second.
      - Required with O(state=present).
    type: str
  role_arn:
    description:
      - The IAM role the Scheduler assumes to delete the rules (trust C(scheduler.amazonaws.com), permission
        C(elasticloadbalancing:DeleteRule) on the site's listener rules). Passed with C(iam:PassRole).
      - Required with O(state=present) for a group without schedules; omitted, the role of the group's schedules is
        kept (moving a window an earlier run set).
    type: str
  rules:
    description:
      - The sorry rules, one schedule each; filter P(sorrypage.aws.sorry_auto_off_rules#filter) builds this list
        from the result of M(sorrypage.aws.alb_sorry_site).
      - Required with O(state=present). With O(state=absent), optional; the names of these rules' schedules not
        found are reported in RV(already_gone).
    type: list
    elements: dict
    suboptions:
      key:
        description:
          - A stable key for the rule, such as C(443-shop-0) (port, sorry set, part). The schedule's name is the key,
            or, when the key has characters outside C(0-9 a-z A-Z - _ .) or is longer than 64, the key with those
            replaced by C(-), cut, and a short hash of the key appended.
          - A re-created rule keeps its key, so its schedule is updated to the new ARN.
        type: str
        required: true
      arn:
        description:
          - The sorry rule's ARN. Null only in check mode (a rule still to create).
        type: str
attributes:
  check_mode:
    support: full
    description: Reads, then reports what it would create, update and delete, with no write.
  diff_mode:
    support: none
    description: RV(schedules) says what changes, schedule by schedule.
notes:
  - "Minimal IAM policy: see docs/auto-off.md."
  - A rerun with the same inputs makes no write (one C(GetScheduleGroup), one C(ListSchedules) page per 100
    schedules, one C(GetSchedule) per schedule).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: End the Sorry page by itself at the announced time
  sorrypage.aws.alb_sorry_auto_off:
    group: "sorrypage-{{ sorry_load_balancer_name }}"
    at: "2030-05-01T06:00:00+09:00"
    role_arn: arn:aws:iam::123456789012:role/sorrypage-auto-off
    rules: "{{ sorry_rules_site | sorrypage.aws.sorry_auto_off_rules }}"

- name: How long until the window ends by itself?
  sorrypage.aws.alb_sorry_auto_off:
    group: "sorrypage-{{ sorry_load_balancer_name }}"
    state: status
  register: auto_off

- name: Say it
  ansible.builtin.debug:
    msg: "ends by itself at {{ auto_off.next_at_utc }} ({{ auto_off.seconds_left }} s)"
  when: auto_off.next_at_utc is not none

- name: Off - remove the schedules (those that fired are gone already)
  sorrypage.aws.alb_sorry_auto_off:
    group: "sorrypage-{{ sorry_load_balancer_name }}"
    state: absent
"""

RETURN = r"""
group:
  description: The schedule group.
  returned: always
  type: str
  sample: sorrypage-k8s-shop-main-1234567890
group_exists:
  description: Whether the group exists after the run (would, in check mode).
  returned: always
  type: bool
at_utc:
  description: O(at) in UTC, C(YYYY-MM-DDThh:mm:ssZ).
  returned: when O(state=present)
  type: str
  sample: "2026-03-02T05:00:00Z"
schedules:
  description:
    - With O(state=present), every schedule wanted (C(state) V(created), V(updated) or V(unchanged)), then every
      schedule deleted because no rule wants it any more (C(state) V(deleted)); in check mode what would be.
    - With O(state=status), the schedules the group holds (no C(state)).
  returned: when O(state) is V(present) or V(status)
  type: list
  elements: dict
  contains:
    name:
      description: The schedule's name.
      type: str
    rule_arn:
      description: The sorry rule its target deletes (C(RuleArn) of its input); null when the input names none.
      type: str
    at_utc:
      description: When it fires, UTC; null for an expression that is not C(at(...)).
      type: str
    state:
      description: V(created), V(updated), V(unchanged) or V(deleted) (O(state=present) only).
      type: str
  sample:
    - name: 443-shop-0
      rule_arn: >-
        arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/k8s-shop-main-1234567890/0123456789abcdef/0123456789abcdef/0123456789abcdef
      at_utc: "2026-03-02T05:00:00Z"
      state: created
deleted:
  description: Names of the schedules deleted (would be, in check mode).
  returned: when O(state) is V(present) or V(absent)
  type: list
  elements: str
already_gone:
  description: Names of the schedules that were gone when deleted, or of O(rules) not found in the group (they fired).
  returned: when O(state=absent)
  type: list
  elements: str
group_deleted:
  description: Whether the group was deleted (would be, in check mode).
  returned: when O(state=absent)
  type: bool
next_at_utc:
  description: The earliest time a schedule of the group fires, UTC; null without schedules.
  returned: when O(state=status)
  type: str
seconds_left:
  description: Seconds from now to RV(next_at_utc); negative when a schedule is overdue; null without schedules.
  returned: when O(state=status)
  type: int
time_left_warnings:
  description:
    - With less than 15 minutes left, the warning that the Sorry page ends by itself soon (also given as a warning),
      and for an overdue schedule that it did not fire; else empty.
  returned: when O(state=status)
  type: list
  elements: str
  sample:
    - "the Sorry page ends by itself in 12 min (at 2026-03-02T05:00:00Z): run `on` with a later sorry_until to extend it"
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.sorrypage.aws.plugins.module_utils._aws_module import SorryAWSModule
from ansible_collections.sorrypage.aws.plugins.module_utils import _auto_off

STAYS_ON = 'A sorry rule without its schedule stays on until `off`.'


def _group_exists(module, client, group):
    try:
        client.get_schedule_group(Name=group, aws_retry=True)
    except is_boto3_error_code('ResourceNotFoundException'):
        return False
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="could not read schedule group '%s'; nothing was changed" % group)
    return True


# EventBridge Scheduler throttles with ThrottlingException, which AWSRetry does not know by itself.
SCHEDULER_RETRY = AWSRetry.jittered_backoff(catch_extra_error_codes=['ThrottlingException'])


@SCHEDULER_RETRY
def _list_names(client, group):
    names = []
    for page in client.get_paginator('list_schedules').paginate(GroupName=group, PaginationConfig={'PageSize': 100}):
        names.extend(item['Name'] for item in page.get('Schedules', []))
    return names


def _read_schedules(module, client, group):
    """{name: GetSchedule response} of the group's schedules; one gone between list and get is left out."""
    try:
        names = _list_names(client, group)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="could not list the schedules of group '%s'; nothing was changed" % group)
    current = {}
    for name in names:
        try:
            current[name] = client.get_schedule(GroupName=group, Name=name, aws_retry=True)
        except is_boto3_error_code('ResourceNotFoundException'):
            continue  # fired (and deleted itself) since the list
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg="could not read schedule '%s' of group '%s'; nothing was changed" % (name, group))
    return current


def _delete(module, client, group, name, done):
    """True when deleted, False when it was gone already."""
    try:
        client.delete_schedule(GroupName=group, Name=name, aws_retry=True)
    except is_boto3_error_code('ResourceNotFoundException'):
        return False
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="could not delete schedule '%s' of group '%s'; done before it: %s"
                             % (name, group, ', '.join(done) or 'nothing'))
    return True


def present(module, client):
    params = module.params
    group = params['group']
    try:
        moment = _auto_off.parse_at(params['at'], _auto_off.now_utc())
        if params['role_arn']:
            _auto_off.validate_role_arn(params['role_arn'])
        validated = _auto_off.validate_rules(params['rules'], need_arns=not module.check_mode)
    except _auto_off.AutoOffError as e:
        module.fail_json(msg='%s; nothing was changed' % e)
    exists = _group_exists(module, client, group)
    current = _read_schedules(module, client, group) if exists else {}
    try:
        # Moving a window set by an earlier run (from another machine): its schedules' role unless one is given.
        role_arn = _auto_off.validate_role_arn(params['role_arn'] or _auto_off.recorded_role(current))
    except _auto_off.AutoOffError as e:
        module.fail_json(msg='%s; nothing was changed' % e)
    desired = _auto_off.desired_schedules(validated, moment, role_arn)
    actions = _auto_off.plan(desired, current)
    create_group = not exists and bool(desired)
    result = dict(changed=_auto_off.changed(actions) or create_group, group=group, group_exists=exists or create_group,
                  at_utc=_auto_off.utc_text(moment), deleted=actions['delete'],
                  schedules=_auto_off.present_summary(desired, current, actions))
    if module.check_mode:
        module.exit_json(**result)
    done = []
    try:
        if create_group:
            client.create_schedule_group(Name=group, aws_retry=True)
            done.append('created group %s' % group)
        for name in actions['create']:
            client.create_schedule(GroupName=group, aws_retry=True, **desired[name])
            done.append('created %s' % name)
        for name in actions['update']:
            client.update_schedule(GroupName=group, aws_retry=True, **desired[name])
            done.append('updated %s' % name)
    except is_boto3_error_code('ConflictException') as e:
        module.fail_json_aws(e, msg="could not write the schedules of group '%s' (is the group still being deleted by a "
                             "recent off? wait a minute and run again); done before the failure: %s. %s"
                             % (group, ', '.join(done) or 'nothing', STAYS_ON))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="could not write the schedules of group '%s'; done before the failure: %s. %s"
                             % (group, ', '.join(done) or 'nothing', STAYS_ON))
    for name in actions['delete']:
        _delete(module, client, group, name, done)
        done.append('deleted %s' % name)
    module.exit_json(**result)


def absent(module, client):
    group = module.params['group']
    try:
        expected = [name for name, _key, _arn in _auto_off.validate_rules(module.params['rules'], need_arns=False)]
    except _auto_off.AutoOffError as e:
        module.fail_json(msg='%s; nothing was changed' % e)
    if not _group_exists(module, client, group):
        module.exit_json(changed=False, group=group, group_exists=False, deleted=[], already_gone=sorted(expected),
                         group_deleted=False)
    listed = sorted(_read_schedules(module, client, group))
    gone = []
    if not module.check_mode:
        done = []
        for name in listed:
            if _delete(module, client, group, name, done):
                done.append(name)
            else:
                gone.append(name)
        try:
            client.delete_schedule_group(Name=group, aws_retry=True)
        except is_boto3_error_code('ResourceNotFoundException'):
            pass
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg="deleted the schedules (%s) but not schedule group '%s'"
                                 % (', '.join(done) or 'none', group))
    deleted, already_gone = _auto_off.absent_summary(listed, gone, expected)
    module.exit_json(changed=True, group=group, group_exists=False, deleted=deleted, already_gone=already_gone,
                     group_deleted=True)


def status(module, client):
    group = module.params['group']
    exists = _group_exists(module, client, group)
    current = _read_schedules(module, client, group) if exists else {}
    next_at, seconds, warnings = _auto_off.time_left(list(current.values()), _auto_off.now_utc())
    for line in warnings:
        module.warn(line)
    module.exit_json(changed=False, group=group, group_exists=exists,
                     schedules=[_auto_off.summary(name, current[name]) for name in sorted(current)],
                     next_at_utc=next_at, seconds_left=seconds, time_left_warnings=warnings)


def main():
    module = SorryAWSModule(
        argument_spec=dict(
            group=dict(type='str', required=True),
            state=dict(type='str', default='present', choices=['present', 'absent', 'status']),
            at=dict(type='str'),
            role_arn=dict(type='str'),
            rules=dict(type='list', elements='dict', options=dict(
                key=dict(type='str', required=True, no_log=False),
                arn=dict(type='str'),
            )),
        ),
        supports_check_mode=True,
        required_if=[('state', 'present', ('at', 'rules'))],
    )
    try:
        _auto_off.validate_group(module.params['group'])
    except _auto_off.AutoOffError as e:
        module.fail_json(msg='%s; nothing was changed' % e)
    client = module.client('scheduler', retry_decorator=SCHEDULER_RETRY)
    dict(present=present, absent=absent, status=status)[module.params['state']](module, client)


if __name__ == '__main__':
    main()
