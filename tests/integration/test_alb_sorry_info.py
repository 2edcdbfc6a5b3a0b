"""sorrypage.aws.alb_sorry_info through real ansible-playbook against the moto sandbox."""
import math

import pytest

from tests.ansible_run import run_module
from tests.sandbox.seed import seed_site

RULE = 'sorrypage.aws.alb_sorry_rule'
INFO = 'sorrypage.aws.alb_sorry_info'
SECRET = 'c4a1f09e7b2d4e8a9f3c6b5d'


def run(module, endpoint, args, check=False):
    result = run_module(module, dict(args, endpoint_url=endpoint, region='us-east-1'), check=check)
    assert not result.get('failed'), result.get('msg', result)
    return result


def seeded_routes(site):
    """The seed's routing: shop /api/* -> shop-api, /* -> shop-web; blog /* -> blog-web; default 404."""
    groups = site['target_groups']
    shop, blog = site['hosts']
    return [
        {'host': shop, 'target_groups': [{'arn': groups['shop-api'], 'weight': None, 'paths': ['/api/*']},
                                         {'arn': groups['shop-web'], 'weight': None, 'paths': ['/*']}]},
        {'host': blog, 'target_groups': [{'arn': groups['blog-web'], 'weight': None, 'paths': ['/*']}]},
    ]


def test_untouched_controller_site(moto, site):
    info = run(INFO, moto.url, dict(load_balancer_name=site['load_balancer_name']))
    assert info['changed'] is False
    assert info['in_maintenance'] is False
    lb = info['load_balancer']
    assert lb['arn'] == site['load_balancer_arn'] and lb['name'] == site['load_balancer_name']
    assert lb['controller_managed'] is True and lb['cluster_name'] == 'sandbox'
    assert lb['tags']['ingress.k8s.aws/resource'] == 'LoadBalancer'
    assert lb['scheme'] == 'internet-facing' and lb['ip_address_type'] == 'ipv4' and lb['dns_name']
    assert [(l['port'], l['protocol']) for l in info['listeners']] == [(80, 'HTTP'), (443, 'HTTPS')]
    for listener in info['listeners']:
        assert listener['arn'] == site['listeners'][listener['port']]
        assert listener['rule_count'] == 3
        assert listener['owned_rules'] == [] and listener['moved_rules'] == []
        assert listener['redirect_only'] is False
        assert listener['default_action'] == {'type': 'fixed-response', 'status_code': '404',
                                              'content_type': 'text/plain', 'body_chars': 0}
        assert listener['routes'] == seeded_routes(site)


def test_site_in_maintenance(moto, site):
    listener = site['listeners'][443]
    run(RULE, moto.url, dict(listener_arn=listener, kind='bypass', name='office', make_room=True,
                             target_group_arn=site['target_groups']['shop-web'],
                             http_headers=[{'name': 'X-Sorry-Bypass', 'values': [SECRET]}]))
    run(RULE, moto.url, dict(listener_arn=listener, content=u'<p>\u30e1\u30f3\u30c6\u30ca\u30f3\u30b9</p>',
                             tags={'sorrypage:by': 'alice', 'sorrypage:why': 'migration'}))
    info = run(INFO, moto.url, dict(load_balancer_arn=site['load_balancer_arn'], listener_ports=[443]))
    assert info['in_maintenance'] is True
    [https] = info['listeners']
    assert https['port'] == 443 and https['rule_count'] == 5
    bypass, sorry = https['owned_rules']
    assert (bypass['kind'], bypass['name'], bypass['part']) == ('bypass', 'office', 0)
    assert bypass['conditions'] == [{'field': 'http-header', 'http_header_config': {
        'http_header_name': 'X-Sorry-Bypass', 'values': ['********']}}]
    assert bypass['action'] == {'type': 'forward', 'target_groups': [site['target_groups']['shop-web']]}
    assert bypass['body_chars'] is None and bypass['status_code'] is None
    assert (sorry['kind'], sorry['name']) == ('sorry', 'sorry')
    assert sorry['body_chars'] == 13 and sorry['status_code'] == 503
    assert sorry['tags']['sorrypage:by'] == 'alice' and sorry['tags']['sorrypage:why'] == 'migration'
    assert bypass['priority'] < sorry['priority']
    assert not bypass['drift'] and not sorry['drift']
    assert sorted(m['original_priority'] for m in https['moved_rules']) == [1, 2, 3]
    assert https['routes'] == seeded_routes(site)   # our bypass and sorry rules are not the application's routing
    assert all(m['priority'] > sorry['priority'] for m in https['moved_rules'])
    assert SECRET not in repr(info)

    # Someone rewrites the sorry rule in place: info says so.
    moto.client('elbv2').modify_rule(RuleArn=sorry['arn'], Actions=[
        {'Type': 'forward', 'TargetGroupArn': site['target_groups']['shop-web']}])
    info = run(INFO, moto.url, dict(load_balancer_name=site['load_balancer_name']), check=True)
    https = [l for l in info['listeners'] if l['port'] == 443][0]
    assert [r['drift'] for r in https['owned_rules']] == [False, True]
    assert https['owned_rules'][1]['action']['type'] == 'forward'
    assert info['in_maintenance'] is True
    plain_http = [l for l in info['listeners'] if l['port'] == 80][0]
    assert plain_http['owned_rules'] == []


def test_rules_the_controller_made_from_the_ingress_edit(moto, site):
    """What the AWS Load Balancer Controller programs from ingress_sorry's edit: its tags, none of ours."""
    elbv2 = moto.client('elbv2')
    listener, shop = site['listeners'][443], site['hosts'][0]
    marker = '5e0c2f9a7d'
    body = u'<!doctype html><title>Maintenance</title><p>\u30e1\u30f3\u30c6\u30ca\u30f3\u30b9</p><!--%s-->' % marker
    # The controller renumbers from 1: the application's rules come after the ones from our annotations.
    seeded = sorted((r for r in elbv2.describe_rules(ListenerArn=listener)['Rules'] if not r['IsDefault']),
                    key=lambda r: int(r['Priority']))
    elbv2.set_rule_priorities(RulePriorities=[{'RuleArn': r['RuleArn'], 'Priority': 10 + int(r['Priority'])}
                                              for r in seeded])

    def controller_rule(priority, conditions, actions):
        tags = [{'Key': 'elbv2.k8s.aws/cluster', 'Value': 'sandbox'},
                {'Key': 'ingress.k8s.aws/stack', 'Value': site['stack']},
                {'Key': 'ingress.k8s.aws/resource', 'Value': '443:%d' % priority}]
        host = {'Field': 'host-header', 'HostHeaderConfig': {'Values': [shop]}}
        path = {'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/*']}}
        return elbv2.create_rule(ListenerArn=listener, Priority=priority, Conditions=[host, path] + conditions,
                                 Actions=actions, Tags=tags)['Rules'][0]['RuleArn']

    forward = [{'Type': 'forward', 'TargetGroupArn': site['target_groups']['shop-web']}]
    office = controller_rule(1, [{'Field': 'source-ip', 'SourceIpConfig': {'Values': ['10.0.0.0/8']}}], forward)
    header = controller_rule(2, [{'Field': 'http-header', 'HttpHeaderConfig': {
        'HttpHeaderName': 'X-Sorry-Bypass', 'Values': [SECRET]}}], forward)
    sorry = controller_rule(3, [], [{'Type': 'fixed-response', 'FixedResponseConfig': {
        'StatusCode': '503', 'ContentType': 'text/html', 'MessageBody': body}}])

    info = run(INFO, moto.url, dict(load_balancer_name=site['load_balancer_name'], listener_ports=[443],
                                    markers=['0000000000', marker]))
    assert info['in_maintenance'] is True
    [https] = info['listeners']
    assert [(r['arn'], r['kind'], r['made_by'], r['name'], r['part']) for r in https['owned_rules']] == [
        (office, 'bypass', 'controller', 'ingress-' + shop, None),
        (header, 'bypass', 'controller', 'ingress-' + shop, None),
        (sorry, 'sorry', 'controller', 'ingress-' + shop, None)]
    page = https['owned_rules'][2]
    assert page['tags']['sorrypage:marker'] == marker
    assert page['tags']['ingress.k8s.aws/stack'] == site['stack']
    assert page['status_code'] == 503 and page['body_chars'] == len(body) and page['drift'] is False
    assert https['owned_rules'][1]['conditions'][2] == {'field': 'http-header', 'http_header_config': {
        'http_header_name': 'X-Sorry-Bypass', 'values': ['********']}}
    assert SECRET not in repr(info)
    assert https['rule_count'] == 6 and https['moved_rules'] == []
    assert https['routes'] == seeded_routes(site)   # the bypass forwards are not the application's routing

    # Without markers they are the controller's rules like any other, as before.
    plain = run(INFO, moto.url, dict(load_balancer_name=site['load_balancer_name'], listener_ports=[443]))
    assert plain['in_maintenance'] is False and plain['listeners'][0]['owned_rules'] == []


def test_plain_alb_and_redirect_listener(moto):
    site = seed_site(moto, name='redir', controller_managed=False, redirect_http=True)
    info = run(INFO, moto.url, dict(load_balancer_name=site['load_balancer_name']))
    assert info['load_balancer']['controller_managed'] is False
    assert info['load_balancer']['cluster_name'] is None
    http, https = info['listeners']
    assert http['redirect_only'] is True and http['rule_count'] == 0
    assert http['default_action']['type'] == 'redirect'
    assert https['redirect_only'] is False
    assert https['default_action'] == {'type': 'forward', 'target_groups': [site['target_groups']['shop-web']]}


def test_what_is_not_found(moto, site):
    missing = run_module(INFO, dict(load_balancer_name='no-such-alb', endpoint_url=moto.url, region='us-east-1'))
    assert missing['failed'] is True and missing['msg'] == "load balancer 'no-such-alb' was not found"
    port = run_module(INFO, dict(load_balancer_name=site['load_balancer_name'], listener_ports=[443, 8443],
                                 endpoint_url=moto.url, region='us-east-1'))
    assert port['failed'] is True
    assert port['msg'] == "listener_ports 8443 not found on load balancer '%s' (its listeners: 80, 443)" % site['load_balancer_name']


@pytest.mark.sandbox_only
def test_reads_are_few(moto, counter, site):
    elbv2 = moto.client('elbv2')
    for number in range(4, 30):
        elbv2.create_rule(ListenerArn=site['listeners'][443], Priority=number,
                          Conditions=[{'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/p%d' % number]}}],
                          Actions=[{'Type': 'forward', 'TargetGroupArn': site['target_groups']['shop-web']}])
    counter.reset()
    info = run(INFO, counter.url, dict(load_balancer_name=site['load_balancer_name']))
    rules = sum(l['rule_count'] for l in info['listeners'])
    assert rules == 3 + 29
    assert counter.snapshot() == {'DescribeLoadBalancers': 1, 'DescribeListeners': 1, 'DescribeRules': 2,
                                  'DescribeTags': math.ceil((1 + rules) / 20.0)}
