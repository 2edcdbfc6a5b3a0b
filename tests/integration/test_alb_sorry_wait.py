"""sorrypage.aws.alb_sorry_wait through real ansible-playbook against the moto sandbox, calls counted at the wire.

The seeded site (tests/sandbox/seed.py) has two listeners (80, 443), each with
rules shop /api/*, shop /*, blog /* and a fixed 404 default action. The sorry
rules are put by sorrypage.aws.alb_sorry_site, the way ``on`` does.
"""
import json

import pytest

from tests.ansible_run import run_module

MODULE = 'sorrypage.aws.alb_sorry_wait'
MARKER = 'sorry-build-5d2e9c'
SECRET = 'c4a1e8f07b3d4a9e'
OFFICE = '198.51.100.0/24'


def run(module, endpoint, args, check=False):
    return run_module(module, dict(args, endpoint_url=endpoint, region='us-east-1'), check=check)


def ok(result):
    assert not result.get('failed'), result.get('msg', result)
    return result


def put_sorry(moto, site, state='present'):
    shop, blog = site['hosts']
    args = dict(load_balancer_name=site['load_balancer_name'], make_room=True, state=state)
    if state == 'present':
        args.update(
            http_headers=[{'name': 'X-Sorry-Bypass', 'values': [SECRET]}],
            rule_sets=[
                dict(kind='bypass', name='bypass', source_ips=[OFFICE], use_http_headers=True,
                     target_group_arn=site['target_groups']['shop-web']),
                dict(kind='sorry', name='shop', host_headers=[shop], content='<!-- %s --><h1>shop is down</h1>' % MARKER),
                dict(kind='sorry', name='blog', host_headers=[blog], content='<!-- %s --><h1>blog is down</h1>' % MARKER),
            ])
    return ok(run('sorrypage.aws.alb_sorry_site', moto.url, args))


def wait_args(site, expect, **overrides):
    args = dict(load_balancer_name=site['load_balancer_name'], expect=expect, hosts=list(site['hosts']),
                markers=[MARKER], bypass_source_ip='198.51.100.7',
                bypass_header={'name': 'X-Sorry-Bypass', 'value': SECRET})
    args.update(overrides)
    return args


@pytest.mark.sandbox_only
def test_on_met_in_one_round_off_times_out_naming_the_public_answer_then_met_after_removal(moto, counter, site):
    put_sorry(moto, site)

    counter.reset()
    on = ok(run(MODULE, counter.url, wait_args(site, 'on')))
    counts = counter.snapshot()
    assert (on['met'], on['rounds'], on['changed'], on['unmet']) == (True, 1, False, [])
    assert counts == {'DescribeLoadBalancers': 1, 'DescribeListeners': 1, 'DescribeRules': 2}, dict(counts)
    assert [listener['port'] for listener in on['listeners']] == [80, 443]
    for listener in on['listeners']:
        assert listener['evaluated'] is True
        for answer in listener['hosts']:
            assert answer['met'] is True
            assert (answer['public']['action_type'], answer['public']['status_code'], answer['public']['page']) == (
                'fixed-response', 503, True)
            assert (answer['bypass']['action_type'], answer['bypass']['page']) == ('forward', False)
            assert answer['bypass']['priority'] < answer['public']['priority']
    assert SECRET not in json.dumps(on)

    counter.reset()
    off = run(MODULE, counter.url, wait_args(site, 'off', timeout=1, interval=1))
    assert off.get('failed') is True
    assert off['met'] is False
    rounds = off['rounds']
    assert rounds >= 1
    assert counter.snapshot()['DescribeRules'] == 2 * rounds
    assert off['msg'].startswith('load balancer %s did not reach expect=off (nobody gets the page) within timeout 1 s '
                                 '(%d rounds of DescribeRules); still: ' % (site['load_balancer_name'], rounds))
    shop, blog = site['hosts']
    for port in (80, 443):
        for host in (shop, blog):
            assert 'listener %d host %s: public gets the page (rule ' % (port, host) in off['msg']
    assert 'fixed-response 503), bypass gets no page (rule ' in off['msg']
    assert len(off['unmet']) == 4
    assert SECRET not in json.dumps(off)

    put_sorry(moto, site, state='absent')
    counter.reset()
    after = ok(run(MODULE, counter.url, wait_args(site, 'off', timeout=5, interval=1)))
    assert (after['met'], after['rounds'], after['unmet']) == (True, 1, [])
    assert counter.snapshot()['DescribeRules'] == 2
    for listener in after['listeners']:
        for answer in listener['hosts']:
            assert answer['public']['action_type'] == 'forward' and answer['public']['page'] is False


@pytest.mark.sandbox_only
def test_check_mode_reports_not_met_without_failing_or_waiting(moto, counter, site):
    counter.reset()
    result = ok(run(MODULE, counter.url, wait_args(site, 'on', timeout=600), check=True))
    assert (result['met'], result['rounds'], result['changed']) == (False, 1, False)
    assert counter.snapshot()['DescribeRules'] == 2
    assert result['unmet'][0].startswith('listener 80 host %s: public gets no page (rule ' % site['hosts'][0])


@pytest.mark.sandbox_only
def test_inputs_refused_before_any_call(moto, counter, site):
    counter.reset()
    result = run(MODULE, counter.url, dict(load_balancer_name=site['load_balancer_name'], expect='bypass_only',
                                           hosts=list(site['hosts']), markers=[MARKER]))
    assert result.get('failed') is True
    assert result['msg'] == ('expect bypass_only needs bypass_source_ip or bypass_header: there is no bypass request '
                             'to evaluate')
    assert sum(counter.snapshot().values()) == 0
    result = run(MODULE, counter.url, wait_args(site, 'on', listener_ports=[8080]))
    assert result.get('failed') is True
    assert result['msg'] == "listener_ports 8080 not found on load balancer '%s' (its listeners: 80, 443)" % (
        site['load_balancer_name'])
