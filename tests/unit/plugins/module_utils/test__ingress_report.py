# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sorrypage.aws.plugins.module_utils import _ingress_report as R


def event(name, reason, message, when, count=1, kind='Warning'):
    return {'involvedObject': {'kind': 'Ingress', 'namespace': 'shop', 'name': name}, 'reason': reason, 'message': message,
            'type': kind, 'count': count, 'lastTimestamp': when}


def test_ingress_keys_from_the_edit_else_from_the_stack_or_the_names():
    edit = {'ingresses': ['shop/web'], 'record': {'shop/web': {}, 'shop/api': {}}, 'our_ingress': None}
    assert R.ingress_keys(edit, {'stack': 'shop/web'}) == ['shop/web', 'shop/api']
    assert R.ingress_keys({}, {'stack': 'shop/web'}) == ['shop/web']
    assert R.ingress_keys(None, {'stack': 'shared-group'}) == []          # a group's members are not known here
    assert R.ingress_keys({}, {'stack': None, 'ingresses': ['a/b']}) == ['a/b']
    assert R.ingress_keys({'our_ingress': 'shop/sorrypage-maintenance'}, {}) == ['shop/sorrypage-maintenance']


def test_a_wait_that_timed_out_says_so_with_the_newest_events_and_the_load_balancer_status():
    events = {'results': [{'resources': [event('web', 'FailedBuildModel', 'webhook said no', '2026-12-02T01:00:02Z', 3),
                                         event('web', 'SuccessfullyReconciled', 'ok', '2026-12-02T00:00:00Z', kind='Normal')]
                           + [event('web', 'Old%d' % n, 'x', '2026-12-01T00:00:0%dZ' % n) for n in range(6)]}]}
    ingresses = {'results': [{'resources': [{'metadata': {'namespace': 'shop', 'name': 'web'},
                                             'status': {'loadBalancer': {}}}]}]}
    out = R.failure({'msg': 'HTTPS:443 shop.example.com: the public still gets the application'},
                    'Wait until the controller has put the page in front on the ALB', events, ingresses,
                    {'requested': 'auto'}, 120, action='sorrypage.aws.alb_sorry_wait', site='shop',
                    deployment='lbc/my-controller')
    assert out['lines'][0] == ('WARNING: The AWS Load Balancer Controller did not put the change on the ALB within 120s '
                               '(crash-looping, webhook errors, the Ingress rejected?): HTTPS:443 shop.example.com: the '
                               'public still gets the application')
    assert out['lines'][1] == "The Ingress's newest events:"
    assert out['lines'][2:7] == ['  shop/web: Warning Old3: x', '  shop/web: Warning Old4: x', '  shop/web: Warning Old5: x',
                                 '  shop/web: Normal SuccessfullyReconciled: ok',
                                 '  shop/web: Warning FailedBuildModel (x3): webhook said no']
    assert out['lines'][7] == '  shop/web status.loadBalancer: empty (the controller has not reconciled it)'
    assert out['reason'] == 'auto: fell back from the Ingress driver: the controller did not put the Ingress change on the ALB within 120s'
    assert out['next'] == ('Next: fix the controller (kubectl -n lbc logs deploy/my-controller) and run `on` again, or '
                           'switch on the ALB itself with the controller paused: ansible-playbook '
                           'playbooks/maintenance_on.yml -l shop -e sorry_driver=alb (sorry_driver=auto falls back to it by '
                           'itself).')
    assert out['kept'].endswith('Once the controller acts, run `on` again (-l shop).')


def test_a_refused_write_names_the_task_and_no_events_is_fine():
    out = R.failure({'msg': 'admission webhook denied the request'}, 'Put the bypass and the Sorry page into the Ingress',
                    action='sorrypage.aws.ingress_sorry')
    assert out['lines'] == ['WARNING: The Ingress could not be changed (Put the bypass and the Sorry page into the Ingress): '
                            'admission webhook denied the request']
    assert out['reason'] == 'auto: fell back from the Ingress driver: the Ingress could not be changed'


def test_the_kind_of_failure_comes_from_the_module_not_the_task_name():
    out = R.failure({'msg': 'x'}, 'Wait until something', action='sorrypage.aws.ingress_sorry')
    assert out['lines'][0].startswith('WARNING: The Ingress could not be changed (Wait until something)')
    assert 'kubectl -n kube-system logs deploy/aws-load-balancer-controller' in out['next']
