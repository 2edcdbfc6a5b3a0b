"""The controller pause state kept in the rules' tags (EKS-outage mode).

Real ansible-playbook runs of playbooks/maintenance_{on,off,status}.yml with
inventories/local against the whole sandbox (moto behind the counting proxy,
the stand-in Kubernetes API with the controller Deployment at 2 replicas).
"""
import os

import pytest

from tests.ansible_run import run_playbook
from tests.sandbox.k8s_api import LBC_NAME
from tests.sandbox.sandbox import Sandbox

pytestmark = pytest.mark.sandbox_only

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INVENTORY = os.path.join(REPO, 'inventories', 'local', 'hosts.yml')
NS = 'kube-system'
WRITE_CALLS = {'CreateRule', 'ModifyRule', 'DeleteRule', 'AddTags', 'RemoveTags', 'SetRulePriorities'}
PENDING_WARNING = ('the Sorry page is ON, but the AWS Load Balancer Controller is NOT paused (the Kubernetes API cannot be '
                   'reached)')
WARN_TASK = 'sorrypage.aws.driver_alb : Warn that the Sorry page is on but the controller is NOT paused'
RERUN_ADVICE = 'Run `on` again as soon as the Kubernetes API is back'


REASON, UNTIL = 'Database upgrade', '2030-05-01T06:00:00Z'


def run(sandbox, entry, **extra_vars):
    # Every informational tag (who/when/why/until) besides the ownership, page, marker and pause tags: more than
    # moto's own 10 per rule, within AWS's 50 (the sandbox starts moto with AWS's quota).
    extra_vars.setdefault('sorry_reason', REASON)
    extra_vars.setdefault('sorry_until', UNTIL)
    return run_playbook(os.path.join('playbooks', 'maintenance_%s.yml' % entry), inventory=INVENTORY, env=sandbox.env(),
                        extra_vars=extra_vars)


def assert_ok(res):
    assert res.rc == 0, 'rc %s\nstdout tail: %s\nstderr tail: %s' % (res.rc, res.stdout[-4000:], res.stderr[-2000:])


def owned_rule_tags(sandbox):
    """{(port, rule name, kind): tags} of every rule this collection owns on the site's listeners."""
    elbv2 = sandbox.moto.client('elbv2')
    out = {}
    for port, arn in sandbox.sites[0]['listeners'].items():
        rules = [r for r in elbv2.describe_rules(ListenerArn=arn)['Rules'] if not r['IsDefault']]
        arns = [r['RuleArn'] for r in rules]
        for start in range(0, len(arns), 20):
            for desc in elbv2.describe_tags(ResourceArns=arns[start:start + 20])['TagDescriptions']:
                tags = {t['Key']: t['Value'] for t in desc['Tags']}
                if 'sorrypage:kind' in tags:
                    out[(port, desc['ResourceArn'])] = tags
    return out


def sorry_tags(sandbox):
    tags = [t for t in owned_rule_tags(sandbox).values() if t['sorrypage:kind'] == 'sorry']
    assert tags, 'no sorry rule on the listeners'
    return tags


def replicas(sandbox):
    return sandbox.kube.get('deployments', LBC_NAME, NS)['spec']['replicas']


def writes(sandbox):
    return {op: n for op, n in sandbox.proxy.snapshot().items() if op in WRITE_CALLS}


def messages(res, name):
    found = [r for tname, _h, r in res.tasks() if tname.split(' : ', 1)[-1] == name.split(' : ', 1)[-1]]
    assert found, 'no task %r ran' % name
    msg = found[-1].get('msg')
    return '\n'.join(msg) if isinstance(msg, list) else str(msg)


def test_on_with_the_api_up_tags_every_rule_paused_with_the_recorded_count():
    with Sandbox() as sandbox:
        res = run(sandbox, 'on')
        assert_ok(res)
        assert replicas(sandbox) == 0
        listeners_with_sorry = {port for (port, _arn), tags in owned_rule_tags(sandbox).items()
                                if tags['sorrypage:kind'] == 'sorry'}
        assert listeners_with_sorry == set(sandbox.sites[0]['listeners']), listeners_with_sorry
        for tags in owned_rule_tags(sandbox).values():
            assert tags.get('sorrypage:lbc') == 'paused', tags
            assert tags.get('sorrypage:lbc-replicas') == '2', tags
        assert res.task(WARN_TASK).get('skipped') is True
        assert PENDING_WARNING not in res.stdout

        status = run(sandbox, 'status')
        assert_ok(status)
        text = messages(status, 'Show the maintenance status of the site')
        assert text.count("controller PAUSED (from the rules' tags, 2 replicas recorded)") == len(sandbox.sites[0]['listeners'])
        assert 'PENDING' not in text


def test_on_twice_with_reason_and_until_writes_nothing_the_second_time():
    """Every tag a sorry rule can carry (more than moto's own cap of 10), and a rerun that changes none of them."""
    with Sandbox() as sandbox:
        assert_ok(run(sandbox, 'on', sorry_reason=REASON, sorry_until=UNTIL))
        for tags in sorry_tags(sandbox):
            assert (tags.get('sorrypage:why'), tags.get('sorrypage:until')) == (REASON, UNTIL), tags
            assert tags.get('sorrypage:lbc') == 'paused' and tags.get('sorrypage:by') and tags.get('sorrypage:at'), tags
            assert len(tags) > 10, tags
        state = owned_rule_tags(sandbox)

        sandbox.proxy.reset()
        again = run(sandbox, 'on', sorry_reason=REASON, sorry_until=UNTIL)
        assert_ok(again)
        assert writes(sandbox) == {}, sandbox.proxy.snapshot()
        assert owned_rule_tags(sandbox) == state
        assert replicas(sandbox) == 0


def test_api_down_leaves_the_pause_pending_in_the_tags_and_a_later_on_completes_it():
    with Sandbox() as sandbox:
        sandbox.kube.set_unreachable(True)
        res = run(sandbox, 'on', sorry_eks_outage=True)
        assert_ok(res)
        banner = messages(res, WARN_TASK)
        assert PENDING_WARNING in banner and RERUN_ADVICE in banner, banner
        for tags in sorry_tags(sandbox):
            assert tags.get('sorrypage:lbc') == 'pending', tags
            assert 'sorrypage:lbc-replicas' not in tags, tags

        status = run(sandbox, 'status', sorry_eks_outage=True)
        assert_ok(status)
        text = messages(status, 'Show the maintenance status of the site')
        assert "controller pause PENDING (from the rules' tags)" in text, text
        assert ("WARNING: HTTP:80: controller pause PENDING (from the rules' tags): the Sorry page went on while the Kubernetes "
                'API could not be reached, so the AWS Load Balancer Controller was NOT paused; run `on` again as soon as the '
                'API is back') in text, text

        sandbox.kube.set_unreachable(False)
        assert replicas(sandbox) == 2
        back = run(sandbox, 'on', sorry_eks_outage=True)
        assert_ok(back)
        assert replicas(sandbox) == 0
        for tags in owned_rule_tags(sandbox).values():
            assert tags.get('sorrypage:lbc') == 'paused', tags
            assert tags.get('sorrypage:lbc-replicas') == '2', tags
        assert back.task(WARN_TASK).get('skipped') is True
        assert PENDING_WARNING not in back.stdout

        sandbox.proxy.reset()
        third = run(sandbox, 'on', sorry_eks_outage=True)
        assert_ok(third)
        assert writes(sandbox) == {}, sandbox.proxy.snapshot()
        assert replicas(sandbox) == 0

        off = run(sandbox, 'off', sorry_eks_outage=True)
        assert_ok(off)
        assert replicas(sandbox) == 2
        assert owned_rule_tags(sandbox) == {}
