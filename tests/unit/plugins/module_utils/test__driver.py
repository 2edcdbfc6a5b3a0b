# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _driver

OUTAGE_REASON = 'auto: sorry_eks_outage=true switches on the ALB itself and pauses the controller'


@pytest.mark.parametrize('requested, eks, expected', [
    ('auto', 'auto', dict(driver='auto', requested='auto', reason='', eks_outage='auto', resolved=False, site_read=False)),
    ('AUTO', False, dict(driver='auto', requested='auto', reason='', eks_outage='false', resolved=False, site_read=False)),
    ('auto', 'yes', dict(driver='alb', requested='auto', reason=OUTAGE_REASON, eks_outage='true', resolved=True, site_read=False)),
    ('alb', 'off', dict(driver='alb', requested='alb', reason='sorry_driver=alb', eks_outage='false', resolved=True, site_read=False)),
    (' alb ', True, dict(driver='alb', requested='alb', reason='sorry_driver=alb', eks_outage='true', resolved=True, site_read=False)),
    ('Ingress', 'auto', dict(driver='ingress', requested='ingress', reason='', eks_outage='auto', resolved=False, site_read=False)),
])
def test_choose(requested, eks, expected):
    assert _driver.choose(requested, eks) == expected


def test_resolve_says_the_site_was_read_so_the_alb_driver_reads_it_no_second_time():
    assert resolve()['site_read'] is True
    assert resolve(step='off')['site_read'] is True
    assert _driver.resolve(_driver.choose('auto', 'auto'), None, None, None, 'status')['site_read'] is False


@pytest.mark.parametrize('requested, eks, message', [
    ('ingres', 'auto', "sorry_driver must be one of auto, alb, ingress, got 'ingres'"),
    (None, 'auto', "sorry_driver must be one of auto, alb, ingress, got 'None'"),
    ('alb', 'sometimes', "sorry_eks_outage must be auto, true or false, got 'sometimes'"),
])
def test_bad_values_name_the_variable_and_the_choices(requested, eks, message):
    with pytest.raises(ValueError) as info:
        _driver.choose(requested, eks)
    assert str(info.value) == message


# ---- resolve: what the site says ---------------------------------------------------------------------------------
def info(managed=True, cluster='prod', stack='shop/web', owned=()):
    tags = {}
    if managed:
        tags = {'elbv2.k8s.aws/cluster': cluster, 'ingress.k8s.aws/stack': stack}
        tags = dict((k, v) for k, v in tags.items() if v)
    return {'load_balancer': {'controller_managed': managed, 'cluster_name': cluster if managed else None, 'tags': tags},
            'listeners': [{'port': 443, 'owned_rules': list(owned)}]}


RUNNING = {'action': 'not_paused', 'deployment': 'kube-system/aws-load-balancer-controller', 'replicas': 2,
           'available_replicas': 2, 'holders': [], 'cluster_problem': '', 'warnings': [], 'message': ''}
READABLE = {'readable': True, 'maintenance': 'off', 'record': {}, 'our_ingress': None, 'error': None}
RECORDED = dict(READABLE, maintenance='on', record={'shop/web': {'version': 1}})


def lbc(**changes):
    return dict(RUNNING, **changes)


def resolve(requested='auto', eks='auto', site=None, controller='running', ingress='readable', step='on', ingresses=None):
    controller = RUNNING if controller == 'running' else controller
    ingress = READABLE if ingress == 'readable' else ingress
    return _driver.resolve(_driver.choose(requested, eks), site or info(), controller, ingress, step, ingresses)


def test_auto_picks_the_ingress_when_the_controller_of_the_alb_runs():
    out = resolve()
    assert out['driver'] == 'ingress' and out['resolved'] and out['recorded'] is None
    assert out['stack'] == 'shop/web'
    assert out['reason'] == ('auto: the controller kube-system/aws-load-balancer-controller of cluster prod runs '
                             '(2 available) and manages this ALB (stack shop/web)')


@pytest.mark.parametrize('site, controller, ingress, why', [
    (info(managed=False), RUNNING, READABLE, 'the ALB carries no AWS Load Balancer Controller tags'),
    (info(stack=None), RUNNING, READABLE, 'the ALB carries no ingress.k8s.aws/stack tag'),
    (info(), {'action': 'unknown', 'warnings': ['Could not read the AWS Load Balancer Controller: connection refused']},
     {'readable': False, 'error': 'unreachable'}, 'the controller could not be read: Could not read'),
    (info(), None, None, 'the controller could not be read: not looked at'),
    (info(), lbc(action='not_paused', available_replicas=0, replicas=0), READABLE, 'has no available replica (0 wanted)'),
    (info(), lbc(cluster_problem='it serves cluster staging, but the ALB belongs to cluster prod'), READABLE,
     'does not serve this ALB: it serves cluster staging'),
    (info(), lbc(action='paused', holders=['blog'], available_replicas=0, replicas=0), READABLE,
     'the controller is paused (held by blog)'),
    (info(), RUNNING, {'readable': False, 'error': 'Forbidden (403)'}, 'the Ingresses could not be read: Forbidden'),
])
def test_auto_falls_back_to_the_alb_driver_and_says_why(site, controller, ingress, why):
    out = resolve(site=site, controller=controller, ingress=ingress)
    assert out['driver'] == 'alb'
    assert out['reason'].startswith('auto: ') and why in out['reason']


def test_an_outage_forces_the_alb_without_reading_anything():
    mode = _driver.choose('auto', 'true')
    out = _driver.resolve(mode, None, None, None, 'on')
    assert out['driver'] == 'alb' and out['reason'] == OUTAGE_REASON and out['recorded'] is None


def test_sorry_ingress_names_the_ingresses_instead_of_the_stack_tag():
    out = resolve(site=info(stack=None), ingresses=['shop/web'])
    assert out['driver'] == 'ingress' and out['stack'] is None and out['ingresses'] == ['shop/web']
    assert out['reason'].endswith('(Ingresses shop/web)')


ALB_RULE = {'kind': 'sorry', 'made_by': 'sorrypage'}
CONTROLLER_RULE = {'kind': 'sorry', 'made_by': 'controller'}


@pytest.mark.parametrize('step', ['off', 'status', 'verify', 'on'])
def test_a_site_keeps_the_driver_that_switched_it_on(step):
    # on through the ALB: auto would pick the Ingress now, but the ALB driver switches it off
    out = resolve(site=info(owned=[ALB_RULE, {'kind': 'bypass'}]), step=step)
    assert out['driver'] == 'alb' and out['recorded'] == 'alb'
    assert out['reason'].startswith('switched on by the ALB driver')
    # on through the Ingress: the controller is down now, the Ingress driver still switches it off
    out = resolve(site=info(owned=[CONTROLLER_RULE]), controller=lbc(available_replicas=0), ingress=RECORDED, step=step)
    assert out['driver'] == 'ingress' and out['recorded'] == 'ingress'
    assert 'our record on shop/web' in out['reason']


def test_an_explicit_driver_gives_way_to_the_record_when_switching_off_and_says_so():
    out = resolve('ingress', site=info(owned=[ALB_RULE]), step='off')
    assert out['driver'] == 'alb' and out['reason'].endswith(', whatever sorry_driver=ingress says')


def test_sorry_driver_ingress_refuses_a_site_the_alb_driver_holds_and_one_it_cannot_switch():
    with pytest.raises(ValueError) as exc:
        resolve('ingress', site=info(owned=[ALB_RULE]))
    assert 'run `off` first' in str(exc.value) and 'Nothing was changed' in str(exc.value)
    with pytest.raises(ValueError) as exc:
        resolve('ingress', controller=lbc(available_replicas=0))
    assert str(exc.value).startswith('sorry_driver=ingress cannot switch this site: the controller '
                                     'kube-system/aws-load-balancer-controller has no available replica')
    # status only reports
    out = resolve('ingress', controller=lbc(available_replicas=0), step='status')
    assert out['driver'] == 'ingress' and 'no available replica' in out['reason']


def test_bypass_only_is_still_recorded_and_an_unreadable_ingress_records_nothing():
    out = resolve(ingress=dict(RECORDED, maintenance='bypass_only'), step='off')
    assert out['recorded'] == 'ingress'
    out = resolve(ingress={'readable': False, 'maintenance': 'unknown'}, step='off')
    assert out['recorded'] is None and out['driver'] == 'alb'


def test_an_unknown_step_is_refused():
    with pytest.raises(ValueError):
        resolve(step='sideways')


def test_inputs_the_ingress_cannot_take_choose_the_alb_under_auto_and_fail_under_ingress():
    problem = "sorry_pages[0] (shop): the ALB routes host 'shop.example.com' to 2 target groups"
    out = _driver.resolve(_driver.choose('auto'), info(), RUNNING, READABLE, 'on', ingress_problem=problem)
    assert out['driver'] == 'alb' and out['reason'] == 'auto: the Ingress driver cannot take these inputs: ' + problem
    with pytest.raises(ValueError) as exc:
        _driver.resolve(_driver.choose('ingress'), info(), RUNNING, READABLE, 'prepare', ingress_problem=problem)
    assert problem in str(exc.value)
    # off and status do not switch on: the inputs of `on` do not matter
    out = _driver.resolve(_driver.choose('auto'), info(), RUNNING, READABLE, 'status', ingress_problem=problem)
    assert out['driver'] == 'ingress'


def test_an_ingress_edit_beside_alb_rules_is_said_and_flagged_for_the_alb_off():
    out = resolve(site=info(owned=[ALB_RULE]), ingress=RECORDED, step='off')
    assert out['driver'] == 'alb' and out['ingress_record'] == 'shop/web'
    assert out['reason'] == ('switched on by the ALB driver (rules tagged sorrypage:* on the ALB); our edit is also in the '
                             'Ingress (shop/web): the ALB driver takes it out before the controller resumes')
    assert resolve(site=info(owned=[ALB_RULE]), step='off')['ingress_record'] == ''
    assert _driver.resolve(_driver.choose('alb'), info(), None, None, 'off')['ingress_record'] == ''


def test_an_unreadable_ingress_is_said_when_switching_off_or_showing():
    unknown = {'action': 'unknown', 'warnings': ['API down']}
    out = resolve(controller=unknown, ingress={'readable': False, 'error': 'connection refused'}, step='status')
    assert out['driver'] == 'alb' and out['reason'] == (
        'auto: the controller could not be read: API down (the Ingress could not be read, so a maintenance switched on '
        'through it is not seen: connection refused)')
    # the controller readable, the Ingress not: said once
    out = resolve(ingress={'readable': False, 'error': 'Forbidden'}, step='off')
    assert out['reason'] == 'auto: the Ingresses could not be read: Forbidden'
    # switching on: nothing of a maintenance to miss
    out = resolve(controller=unknown, ingress={'readable': False, 'error': 'x'}, step='on')
    assert out['reason'] == 'auto: the controller could not be read: API down'
    # the controller unreadable, the Ingress read: a record is still seen
    out = resolve(controller=unknown, ingress=RECORDED, step='off')
    assert out['driver'] == 'ingress' and out['recorded'] == 'ingress'


def test_sorry_driver_ingress_in_an_outage_is_a_contradiction():
    with pytest.raises(ValueError) as exc:
        _driver.choose('ingress', 'true')
    assert str(exc.value).startswith('sorry_driver=ingress and sorry_eks_outage=true contradict each other')


@pytest.mark.parametrize('controller, why', [
    (RUNNING, ''),
    (lbc(action='paused', holders=['blog'], replicas=0, available_replicas=0), 'the controller is paused, held by blog'),
    (lbc(available_replicas=0), 'the controller kube-system/aws-load-balancer-controller has no available replica'),
    ({'action': 'unknown'}, ''),
    (None, ''),
])
def test_controller_cannot_act(controller, why):
    assert _driver.controller_cannot_act(controller, 'shop').startswith(why) and bool(why) == bool(
        _driver.controller_cannot_act(controller, 'shop'))
