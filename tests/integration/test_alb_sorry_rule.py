"""sorrypage.aws.alb_sorry_rule through real ansible-playbook against the moto sandbox.

The sites are shaped like ones the AWS Load Balancer Controller manages
(tests/sandbox/seed.py): rules 1..3 on each listener (shop /api/*, shop /*,
blog /*), a fixed 404 default action.
"""
import json
import math
import os
import sys

import pytest

from tests.ansible_run import run_module
from tests.sandbox.seed import snapshot_listener

MODULE = 'sorrypage.aws.alb_sorry_rule'
PAGE = '<!doctype html><title>Maintenance</title><h1>Back soon</h1>'
SECRET = 'b7f0c1d9e2a84f6b9c3d5e7f'
WRITES = {'CreateRule', 'ModifyRule', 'DeleteRule', 'SetRulePriorities', 'AddTags', 'RemoveTags'}


def run(endpoint, args, check=False, diff=False):
    return run_module(MODULE, dict(args, endpoint_url=endpoint, region='us-east-1'), check=check, diff=diff)


def ok(result):
    assert not result.get('failed'), result.get('msg', result)
    return result


def rules_by_priority(elbv2, listener):
    rules = elbv2.describe_rules(ListenerArn=listener, PageSize=400)['Rules']
    return dict((int(r['Priority']), r) for r in rules if not r.get('IsDefault'))


def priorities(elbv2, listener):
    return dict((r['RuleArn'], p) for p, r in rules_by_priority(elbv2, listener).items())


def tags_of(elbv2, arn):
    return dict((t['Key'], t['Value']) for t in elbv2.describe_tags(ResourceArns=[arn])['TagDescriptions'][0]['Tags'])


def add_foreign_rules(elbv2, listener, numbers, target_group):
    for number in numbers:
        elbv2.create_rule(ListenerArn=listener, Priority=number,
                          Conditions=[{'Field': 'host-header', 'HostHeaderConfig': {'Values': ['app%d.example.test' % number]}},
                                      {'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/*']}}],
                          Actions=[{'Type': 'forward', 'TargetGroupArn': target_group}],
                          Tags=[{'Key': 'ingress.k8s.aws/stack', 'Value': 'shop/main'}])


def four_steps(moto, listener, args):
    """check (changed), real (changed), check (not changed), real (not changed); check mode writes nothing
    and predicts what the real run does."""
    elbv2 = moto.client('elbv2')
    before = snapshot_listener(elbv2, listener)
    predicted = ok(run(moto.url, args, check=True, diff=True))
    assert predicted['changed'] is True
    assert snapshot_listener(elbv2, listener) == before, 'check mode wrote something'
    applied = ok(run(moto.url, args, diff=True))
    assert applied['changed'] is True
    assert [r['priority'] for r in predicted['rules']] == [r['priority'] for r in applied['rules']]
    assert [r['conditions'] for r in predicted['rules']] == [r['conditions'] for r in applied['rules']]
    assert [r['actions'] for r in predicted['rules']] == [r['actions'] for r in applied['rules']]
    assert predicted['moved_rules'] == applied['moved_rules']
    assert all(r['arn'] is None for r in predicted['rules'])
    assert all(r['arn'] for r in applied['rules'])
    assert applied['diff']['before'] == {'rules': []}
    assert applied['diff']['after']['rules'] == applied['rules']
    after = snapshot_listener(elbv2, listener)
    again = ok(run(moto.url, args, check=True, diff=True))
    assert again['changed'] is False
    assert again['rules'] == applied['rules']
    assert again['diff']['before']['rules'] == again['diff']['after']['rules'] == applied['rules']
    final = ok(run(moto.url, args))
    assert final['changed'] is False
    assert final['rules'] == applied['rules']
    assert snapshot_listener(elbv2, listener) == after
    return applied


# ---------------------------------------------------------------- the four steps for each kind

def test_sorry_four_steps(moto, site):
    listener = site['listeners'][443]
    elbv2 = moto.client('elbv2')
    original = priorities(elbv2, listener)
    result = four_steps(moto, listener, dict(listener_arn=listener, content=PAGE, make_room=True,
                                             tags={'sorrypage:why': 'DB migration (OPS-12)'}))
    rule = result['rule']
    assert rule == result['rules'][0]
    assert result['content_chars'] == len(PAGE)
    assert result['target_group_source'] is None
    assert rule['actions'] == [{'type': 'fixed-response', 'fixed_response_config': {
        'status_code': '503', 'content_type': 'text/html', 'message_body': PAGE}}]
    assert rule['conditions'] == [{'field': 'path-pattern', 'path_pattern_config': {'values': ['/*']}}]
    assert rule['tags']['sorrypage:rule'] == 'sorry' and rule['tags']['sorrypage:kind'] == 'sorry'
    assert rule['tags']['sorrypage:why'] == 'DB migration _OPS-12_'
    # In front of every controller rule, which moved up by one k, each marked with the priority it came from.
    now = priorities(elbv2, listener)
    assert rule['priority'] < min(p for arn, p in now.items() if arn in original)
    shift = now[result['moved_rules'][0]['arn']] - original[result['moved_rules'][0]['arn']]
    assert sorted((m['arn'], m['from'], m['to']) for m in result['moved_rules']) == sorted(
        (arn, p, p + shift) for arn, p in original.items())
    for arn, was in original.items():
        assert tags_of(elbv2, arn)['sorrypage:shift'] == 'from=%d' % was
    assert tags_of(elbv2, rule['arn']) == rule['tags']


def test_bypass_four_steps_infers_the_target_from_the_catch_all_rule(moto, site):
    listener = site['listeners'][443]
    elbv2 = moto.client('elbv2')
    catch_all = rules_by_priority(elbv2, listener)[2]['RuleArn']
    result = four_steps(moto, listener, dict(listener_arn=listener, kind='bypass', name='office', make_room=True,
                                             host_headers=['shop.example.test'],
                                             source_ips=['203.0.113.0/24', '2001:db8:1::/48', '198.51.100.7']))
    assert result['target_group_source'] == 'rule:%s' % catch_all
    assert result['content_chars'] == 0
    assert result['rule']['actions'] == [{'type': 'forward', 'target_group_arn': site['target_groups']['shop-web']}]
    assert result['rule']['conditions'][1] == {'field': 'source-ip', 'source_ip_config': {
        'values': ['203.0.113.0/24', '2001:db8:1::/48', '198.51.100.7/32']}}


def test_preview_four_steps(moto, site):
    listener = site['listeners'][80]
    result = four_steps(moto, listener, dict(listener_arn=listener, kind='preview', path_patterns=['/__sorry/preview'],
                                             content=PAGE, priority=500))
    assert result['rule']['priority'] == 500
    assert result['rule']['actions'][0]['fixed_response_config']['status_code'] == '200'
    assert result['rule']['tags']['sorrypage:pinned'] == 'true'
    assert result['moved_rules'] == []


def test_bypass_by_secret_header_never_shows_the_secret(moto, site):
    listener = site['listeners'][443]
    args = dict(listener_arn=listener, kind='bypass', name='header', make_room=True,
                target_group_arn=site['target_groups']['shop-web'],
                http_headers=[{'name': 'X-Sorry-Bypass', 'values': [SECRET]}])
    result = four_steps(moto, listener, args)
    assert result['target_group_source'] == 'parameter'
    assert result['rule']['conditions'] == [{'field': 'http-header', 'http_header_config': {
        'http_header_name': 'X-Sorry-Bypass', 'values': ['********']}}]
    diffed = ok(run(moto.url, dict(args, http_headers=[{'name': 'X-Sorry-Bypass', 'values': [SECRET + 'x']}]), diff=True))
    assert diffed['changed'] is True
    assert SECRET not in json.dumps(diffed)
    assert SECRET not in json.dumps(result)
    stored = rules_by_priority(moto.client('elbv2'), listener)[diffed['rule']['priority']]
    assert stored['Conditions'][0]['HttpHeaderConfig']['Values'] == [SECRET + 'x']


# ---------------------------------------------------------------- several sets, placement, restore

def test_several_sorry_rules_by_host_and_a_bypass_in_front(moto, site):
    listener = site['listeners'][443]
    elbv2 = moto.client('elbv2')
    bypass = ok(run(moto.url, dict(listener_arn=listener, kind='bypass', name='office', make_room=True,
                                   host_headers=['shop.example.test'], source_ips=['10.0.0.0/8'])))
    shop = ok(run(moto.url, dict(listener_arn=listener, name='shop', host_headers=['shop.example.test'],
                                 content='<p>shop is down</p>')))
    blog = ok(run(moto.url, dict(listener_arn=listener, name='blog', host_headers=['blog.example.test'],
                                 content='<p>blog is down</p>')))
    everything = ok(run(moto.url, dict(listener_arn=listener, content='<p>all down</p>')))
    assert shop['moved_rules'] == [] and blog['moved_rules'] == [] and everything['moved_rules'] == []
    order = [tags_of(elbv2, r['RuleArn']).get('sorrypage:rule') for _p, r in sorted(rules_by_priority(elbv2, listener).items())]
    assert order[0] == 'office'
    assert sorted(order[1:3]) == ['blog', 'shop']
    assert order[3] == 'sorry'
    assert order[4:] == [None, None, None]
    assert bypass['rule']['priority'] < shop['rule']['priority']
    # Each one is its own: taking the shop page off leaves the others.
    ok(run(moto.url, dict(listener_arn=listener, name='shop', state='absent')))
    left = [tags_of(elbv2, r['RuleArn']).get('sorrypage:rule') for r in rules_by_priority(elbv2, listener).values()]
    assert sorted(n for n in left if n) == ['blog', 'office', 'sorry']


def test_make_room_then_removal_restores_every_original_priority(moto, site):
    listener = site['listeners'][443]
    elbv2 = moto.client('elbv2')
    add_foreign_rules(elbv2, listener, range(4, 21), site['target_groups']['blog-web'])
    original = snapshot_listener(elbv2, listener)
    ok(run(moto.url, dict(listener_arn=listener, kind='bypass', name='office', make_room=True,
                          host_headers=['shop.example.test'], source_ips=['10.0.0.0/8'])))
    ok(run(moto.url, dict(listener_arn=listener, content=PAGE, make_room=True)))
    assert snapshot_listener(elbv2, listener) != original
    off_sorry = ok(run(moto.url, dict(listener_arn=listener, state='absent')))
    assert off_sorry['changed'] is True and off_sorry['moved_rules'] == []
    check_off = ok(run(moto.url, dict(listener_arn=listener, kind='bypass', name='office', state='absent'), check=True))
    assert len(check_off['moved_rules']) == 20
    off = ok(run(moto.url, dict(listener_arn=listener, kind='bypass', name='office', state='absent')))
    assert off['changed'] is True
    assert sorted(m['to'] for m in off['moved_rules']) == list(range(1, 21))
    assert check_off['moved_rules'] == off['moved_rules']
    assert snapshot_listener(elbv2, listener) == original, 'priorities or tags not restored exactly'
    again = ok(run(moto.url, dict(listener_arn=listener, kind='bypass', name='office', state='absent')))
    assert again['changed'] is False


def test_without_make_room_it_fails_and_says_so(moto, site):
    listener = site['listeners'][443]
    elbv2 = moto.client('elbv2')
    before = snapshot_listener(elbv2, listener)
    result = run(moto.url, dict(listener_arn=listener, content=PAGE))
    assert result['failed'] is True
    first = rules_by_priority(elbv2, listener)[1]['RuleArn']
    assert result['msg'] == (
        'no free priority in front of %s (priority 1), the first rule this collection does not own: 1 owned rules '
        'need 1 priorities and 0 are free; set make_room=true to move the other rules up (their priorities are '
        'restored when the last owned rule is removed), or give a priority' % first)
    assert snapshot_listener(elbv2, listener) == before


def test_foreign_rule_at_a_requested_priority(moto, site):
    listener = site['listeners'][443]
    elbv2 = moto.client('elbv2')
    before = snapshot_listener(elbv2, listener)
    holder = rules_by_priority(elbv2, listener)[2]['RuleArn']
    result = run(moto.url, dict(listener_arn=listener, content=PAGE, priority=2))
    assert result['failed'] is True
    assert result['msg'] == ('priority 2 is held by %s, a rule this collection does not own; choose another priority '
                             'or leave it out for automatic placement' % holder)
    assert snapshot_listener(elbv2, listener) == before


def test_lookup_by_name_and_port_and_what_is_not_found(moto, site):
    listener = site['listeners'][443]
    result = ok(run(moto.url, dict(load_balancer_name=site['load_balancer_name'], listener_port=443, content=PAGE,
                                   make_room=True)))
    assert result['listener_arn'] == listener
    missing_port = run(moto.url, dict(load_balancer_name=site['load_balancer_name'], listener_port=8443, content=PAGE))
    assert missing_port['msg'] == "listener_port 8443 was not found on load balancer '%s' (its listeners: 80, 443)" % (
        site['load_balancer_name'])
    missing_lb = run(moto.url, dict(load_balancer_name='no-such-alb', listener_port=443, content=PAGE))
    assert missing_lb['msg'] == "load balancer 'no-such-alb' was not found"
    missing_listener = run(moto.url, dict(listener_arn=listener + '0', content=PAGE))
    assert missing_listener['msg'] == "listener '%s0' was not found" % listener


# ---------------------------------------------------------------- drift, content change, split, mirror

def test_rule_changed_in_place_is_reported_and_put_right(moto, site):
    listener = site['listeners'][443]
    elbv2 = moto.client('elbv2')
    args = dict(listener_arn=listener, content=PAGE, make_room=True)
    arn = ok(run(moto.url, args))['rule']['arn']
    # What the controller does to a rule at a priority it wants: rewrite it in place.
    elbv2.modify_rule(RuleArn=arn, Conditions=[{'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/api/*']}}],
                      Actions=[{'Type': 'forward', 'TargetGroupArn': site['target_groups']['shop-api']}])
    fixed = ok(run(moto.url, args))
    assert fixed['changed'] is True
    assert len(fixed['drift']) == 1 and fixed['drift'][0].startswith('rule %s (sorry \'sorry\' part 0' % arn)
    assert fixed['drift'][0].endswith('was changed outside sorrypage: its conditions or actions differ from what was written')
    stored = [r for r in rules_by_priority(elbv2, listener).values() if r['RuleArn'] == arn][0]
    assert stored['Actions'][0]['FixedResponseConfig']['MessageBody'] == PAGE
    clean = ok(run(moto.url, args))
    assert clean['changed'] is False and clean['drift'] == []


def test_new_content_modifies_the_same_rule(moto, site):
    listener = site['listeners'][443]
    first = ok(run(moto.url, dict(listener_arn=listener, content=PAGE, make_room=True)))
    second = ok(run(moto.url, dict(listener_arn=listener, content='<p>Later</p>', status_code=500), diff=True))
    assert second['changed'] is True
    assert second['rule']['arn'] == first['rule']['arn'] and second['rule']['priority'] == first['rule']['priority']
    assert second['diff']['before']['rules'][0]['actions'][0]['fixed_response_config']['message_body'] == PAGE
    assert second['diff']['after']['rules'][0]['actions'][0]['fixed_response_config'] == {
        'message_body': '<p>Later</p>', 'status_code': '500', 'content_type': 'text/html'}
    assert second['rule']['tags']['sorrypage:hash'] != first['rule']['tags']['sorrypage:hash']
    assert tags_of(moto.client('elbv2'), first['rule']['arn'])['sorrypage:hash'] == second['rule']['tags']['sorrypage:hash']


def test_many_cidrs_are_split_and_shrink_back(moto, site):
    listener = site['listeners'][443]
    elbv2 = moto.client('elbv2')
    cidrs = ['192.0.2.%d/32' % i for i in range(1, 10)]
    args = dict(listener_arn=listener, kind='bypass', name='vpn', make_room=True, host_headers=['shop.example.test'],
                source_ips=cidrs)
    split = ok(run(moto.url, args))
    assert [r['conditions'][1]['source_ip_config']['values'] for r in split['rules']] == [cidrs[:4], cidrs[4:8], cidrs[8:]]
    assert [r['tags']['sorrypage:part'] for r in split['rules']] == ['0', '1', '2']
    assert all(r['tags']['sorrypage:rule'] == 'vpn' for r in split['rules'])
    assert ok(run(moto.url, args))['changed'] is False
    shrunk = ok(run(moto.url, dict(args, source_ips=cidrs[:2])))
    assert shrunk['changed'] is True and len(shrunk['rules']) == 1
    owned = [r for r in rules_by_priority(elbv2, listener).values() if tags_of(elbv2, r['RuleArn']).get('sorrypage:rule') == 'vpn']
    assert len(owned) == 1


def test_mirror_keeps_the_application_routing_for_bypassed_users(moto, site):
    listener = site['listeners'][443]
    elbv2 = moto.client('elbv2')
    foreign = [r for _p, r in sorted(rules_by_priority(elbv2, listener).items())]
    args = dict(listener_arn=listener, kind='bypass', name='office', mirror=True, make_room=True,
                source_ips=['10.0.0.0/8'])
    result = ok(run(moto.url, args))
    assert result['target_group_source'] == 'mirror'
    assert len(result['rules']) == 4
    copied = [r['actions'][0]['target_group_arn'] for r in result['rules'][:3]]
    assert copied == [r['Actions'][0]['TargetGroupArn'] for r in foreign]
    assert result['rules'][3]['actions'][0]['type'] == 'fixed-response'  # the default 404, for bypassed users too
    assert [r['priority'] for r in result['rules']] == sorted(r['priority'] for r in result['rules'])
    assert all(r['conditions'][-1] == {'field': 'source-ip', 'source_ip_config': {'values': ['10.0.0.0/8']}}
               for r in result['rules'])
    assert ok(run(moto.url, args))['changed'] is False
    # The application's routing changes: the copies follow on the next run.
    elbv2.modify_rule(RuleArn=foreign[0]['RuleArn'], Actions=[{'Type': 'forward', 'TargetGroupArn': site['target_groups']['shop-web']}])
    synced = ok(run(moto.url, args))
    assert synced['changed'] is True
    assert synced['rules'][0]['actions'][0]['target_group_arn'] == site['target_groups']['shop-web']
    gone = ok(run(moto.url, dict(listener_arn=listener, kind='bypass', name='office', state='absent')))
    assert gone['changed'] is True and gone['rules'] == []
    assert sorted(priorities(elbv2, listener).values()) == [1, 2, 3]


def test_bypass_target_that_cannot_be_inferred(moto, site):
    listener = site['listeners'][443]
    elbv2 = moto.client('elbv2')
    before = snapshot_listener(elbv2, listener)
    result = run(moto.url, dict(listener_arn=listener, kind='bypass', source_ips=['10.0.0.0/8'], make_room=True))
    assert result['failed'] is True
    assert result['msg'].startswith('cannot infer the bypass target: there is no catch-all (/*) forward rule for any '
                                    'host and the listener forwards to several target groups (')
    assert result['msg'].endswith("); give target_group_arn, or use mirror: true (or auto) to keep the application's "
                                  "own routing")
    assert snapshot_listener(elbv2, listener) == before


def test_bypass_to_the_default_action_on_a_plain_alb(moto, plain_site):
    listener = plain_site['listeners'][443]
    result = ok(run(moto.url, dict(listener_arn=listener, kind='bypass', source_ips=['10.0.0.0/8'], make_room=True)))
    assert result['target_group_source'] == 'default_action'
    assert result['rule']['actions'][0]['target_group_arn'] == plain_site['target_groups']['shop-web']


def test_mirror_auto_mirrors_a_listener_with_three_target_groups(moto, plain_site):
    """Path rules to two target groups and a default to a third: one forward target would send bypassed /api/*
    requests to the wrong group, so auto mirrors, says why, and behaves like mirror: true (four steps)."""
    elbv2 = moto.client('elbv2')
    groups = plain_site['target_groups']
    listener = elbv2.create_listener(LoadBalancerArn=plain_site['load_balancer_arn'], Protocol='HTTP', Port=8080,
                                     DefaultActions=[{'Type': 'forward', 'TargetGroupArn': groups['blog-web']}])
    listener = listener['Listeners'][0]['ListenerArn']
    for priority, path, group in ((1, '/api/*', 'shop-api'), (2, '/static/*', 'shop-web')):
        elbv2.create_rule(ListenerArn=listener, Priority=priority,
                          Conditions=[{'Field': 'path-pattern', 'PathPatternConfig': {'Values': [path]}}],
                          Actions=[{'Type': 'forward', 'TargetGroupArn': groups[group]}])
    foreign = priorities(elbv2, listener)
    args = dict(listener_arn=listener, kind='bypass', name='office', mirror='auto', make_room=True,
                source_ips=['10.0.0.0/8'])
    result = four_steps(moto, listener, args)
    assert result['target_group_source'] == 'mirror (auto: the listener routes to 3 target groups)'
    bypass = {'field': 'source-ip', 'source_ip_config': {'values': ['10.0.0.0/8']}}
    assert [r['conditions'] for r in result['rules']] == [
        [{'field': 'path-pattern', 'path_pattern_config': {'values': ['/api/*']}}, bypass],
        [{'field': 'path-pattern', 'path_pattern_config': {'values': ['/static/*']}}, bypass],
        [bypass],
    ]
    assert [r['actions'][0]['target_group_arn'] for r in result['rules']] == [
        groups['shop-api'], groups['shop-web'], groups['blog-web']]
    now = priorities(elbv2, listener)
    assert max(r['priority'] for r in result['rules']) < min(now[arn] for arn in foreign)
    # With a target group ARN, auto forwards there and mirrors nothing.
    pinned = ok(run(moto.url, dict(args, name='vpn', source_ips=['192.0.2.0/24'], target_group_arn=groups['shop-web'])))
    assert pinned['target_group_source'] == 'parameter'
    assert [r['actions'] for r in pinned['rules']] == [[{'type': 'forward', 'target_group_arn': groups['shop-web']}]]
    gone = ok(run(moto.url, dict(listener_arn=listener, kind='bypass', name='office', state='absent')))
    assert gone['changed'] is True and len(gone['rules']) == 0


def test_informational_tag_problems_only_warn(moto, site):
    listener = site['listeners'][443]
    result = ok(run(moto.url, dict(listener_arn=listener, content=PAGE, make_room=True,
                                   tags={'sorrypage:rule': 'hijack', 'sorrypage:why': 'line\nbreak (x)'})))
    assert "tag 'sorrypage:rule' is reserved for ownership and was not set" in result['warnings']
    assert "the value of tag 'sorrypage:why' was sanitised to 'line break _x_'" in result['warnings']
    assert result['rule']['tags']['sorrypage:rule'] == 'sorry'
    assert tags_of(moto.client('elbv2'), result['rule']['arn'])['sorrypage:why'] == 'line break _x_'


# ---------------------------------------------------------------- every bad input, listener unchanged

BAD_INPUTS = [
    (dict(content='x' * 1100), 'content is 1100 characters; a fixed-response body may have at most 1024 (over by 76)'),
    (dict(content=u'\u30e1' * 1030), 'content is 1030 characters; a fixed-response body may have at most 1024 (over by 6)'),
    (dict(content=PAGE, status_code=302),
     r'status_code 302 is not accepted in a fixed response: it must match ^(2|4|5)\d\d$ (2XX, 4XX or 5XX)'),
    (dict(content=PAGE, content_type='text/xml'),
     'value of content_type must be one of: text/plain, text/css, text/html, application/javascript, application/json, got: text/xml'),
    (dict(kind='bypass', source_ips=['10.0.0.300/8'], target_group_arn='arn:tg'),
     "source_ips: '10.0.0.300/8' is not an IPv4 or IPv6 CIDR"),
    (dict(kind='bypass', source_ips=['2001:db8::/129'], target_group_arn='arn:tg'),
     "source_ips: '2001:db8::/129' is not an IPv4 or IPv6 CIDR"),
    (dict(kind='bypass', source_ips=['0.0.0.0/0'], target_group_arn='arn:tg'),
     "source_ips: '0.0.0.0/0' lets every client bypass the Sorry page; set allow_any_source=true if that is really meant"),
    (dict(kind='bypass', source_ips=['::/0'], target_group_arn='arn:tg'),
     "source_ips: '::/0' lets every client bypass the Sorry page; set allow_any_source=true if that is really meant"),
    (dict(content=PAGE, host_headers=['a.test', 'b.test', 'c.test'], path_patterns=['/a', '/b', '/c']),
     'the rule would have 6 condition values (host_headers 3, path_patterns 3, source_ips 0, http_headers 0); '
     'the ALB allows at most 5 per rule'),
    (dict(kind='bypass', http_headers=[{'name': 'X-' + 'h' * 40, 'values': ['v' * 20]}], target_group_arn='arn:tg'),
     "http_headers: name 'X-%s' is 42 characters; the ALB allows at most 40" % ('h' * 40)),
    (dict(kind='bypass', http_headers=[{'name': 'X-Bypass', 'values': ['v' * 129]}], target_group_arn='arn:tg'),
     "http_headers: value 1 of header 'X-Bypass' is 129 characters; the ALB allows at most 128"),
    (dict(content=PAGE, priority=50001), 'priority 50001 is outside 1..50000'),
    (dict(content=PAGE, priority=0), 'priority 0 is outside 1..50000'),
    (dict(kind='preview', content=PAGE), 'path_patterns is required for kind=preview (the secret path that shows the page)'),
    (dict(), 'content is required for kind=sorry with state=present'),
    (dict(kind='bypass', source_ips=['10.0.0.0/8'], mirror='sometimes'), "mirror is 'sometimes'; use true, false or auto"),
    (dict(kind='bypass', path_patterns=['/healthz'], mirror='auto'),
     "mirror: auto copies the listener's rules, path conditions included, when it routes to several target groups, so "
     "path_patterns cannot be combined with it; use mirror: false or give target_group_arn"),
]


@pytest.mark.parametrize('args, message', BAD_INPUTS, ids=[m[:40] for _a, m in BAD_INPUTS])
def test_bad_input_is_refused_before_any_call(moto, site, args, message):
    listener = site['listeners'][443]
    elbv2 = moto.client('elbv2')
    before = snapshot_listener(elbv2, listener)
    # An endpoint nothing listens on: any AWS call would fail with a connection error, not this message.
    result = run('http://127.0.0.1:9', dict(args, listener_arn=listener, make_room=True))
    assert result['failed'] is True
    assert message in result['msg']
    assert snapshot_listener(elbv2, listener) == before


def test_moto_itself_would_accept_what_the_module_refuses(moto, site):
    """Why the module must check: the sandbox takes a 1100-character body, 6 values and priority 50001."""
    elbv2 = moto.client('elbv2')
    listener = site['listeners'][80]
    elbv2.create_rule(ListenerArn=listener, Priority=50001,
                      Conditions=[{'Field': 'host-header', 'HostHeaderConfig': {'Values': ['a.test', 'b.test', 'c.test']}},
                                  {'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/a', '/b', '/c']}}],
                      Actions=[{'Type': 'fixed-response', 'FixedResponseConfig': {
                          'StatusCode': '503', 'ContentType': 'text/html', 'MessageBody': 'x' * 1100}}])
    assert 50001 in rules_by_priority(elbv2, listener)


# ---------------------------------------------------------------- API calls, counted at the wire

def _reads_writes(counts):
    writes = sum(n for op, n in counts.items() if op in WRITES)
    return sum(counts.values()) - writes, writes


@pytest.mark.sandbox_only
@pytest.mark.parametrize('controller_numbering', [False, True], ids=['room-in-front', 'rules-from-1'])
def test_api_calls_with_20_foreign_rules(moto, counter, site, controller_numbering):
    elbv2 = moto.client('elbv2')
    listener = elbv2.create_listener(LoadBalancerArn=site['load_balancer_arn'], Protocol='HTTP', Port=8080, DefaultActions=[
        {'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': '404', 'ContentType': 'text/plain'}}])['Listeners'][0]['ListenerArn']
    first = 1 if controller_numbering else 101
    add_foreign_rules(elbv2, listener, range(first, first + 20), site['target_groups']['shop-web'])
    original = snapshot_listener(elbv2, listener)
    args = dict(listener_arn=listener, content=PAGE, make_room=controller_numbering,
                tags={'sorrypage:by': 'alice', 'sorrypage:why': 'DB migration'})
    report = {}

    counter.reset()
    moved = len(ok(run(counter.url, args))['moved_rules'])
    report['first apply'] = counter.snapshot()
    counter.reset()
    assert ok(run(counter.url, args))['changed'] is False
    report['rerun'] = counter.snapshot()
    counter.reset()
    ok(run(counter.url, dict(listener_arn=listener, state='absent')))
    report['removal'] = counter.snapshot()
    sys.stderr.write('\nAPI calls, 20 foreign rules, %s: %s\n' % (
        'rules from 1 (make_room)' if controller_numbering else 'room in front',
        json.dumps(dict((k, dict(v)) for k, v in report.items()), sort_keys=True)))

    # Making room costs one AddTags per moved rule, the priority it comes from, written before the move so that a
    # lost answer never leaves a rule moved without its record (test_faults); then one SetRulePriorities for all.
    assert moved == (20 if controller_numbering else 0)
    assert report['first apply']['AddTags'] == 1 + moved, report['first apply']
    budget = 6 if controller_numbering else 4
    assert sum(report['first apply'].values()) - moved <= budget, report['first apply']
    assert report['first apply']['CreateRule'] == 1
    reads, writes = _reads_writes(report['rerun'])
    assert writes == 0, report['rerun']
    assert reads <= 1 + math.ceil(21 / 20.0), report['rerun']
    assert sum(report['removal'].values()) <= budget, report['removal']
    assert report['removal']['DeleteRule'] == 1
    if controller_numbering:
        assert report['first apply']['SetRulePriorities'] == 1 and report['removal']['SetRulePriorities'] == 1
    assert snapshot_listener(elbv2, listener) == original


@pytest.mark.sandbox_only
def test_lookup_by_name_costs_two_reads(moto, counter, site):
    counter.reset()
    result = ok(run(counter.url, dict(load_balancer_name=site['load_balancer_name'], listener_port=443, content=PAGE,
                                      make_room=True)))
    counts = counter.snapshot()
    assert counts['DescribeLoadBalancers'] == 1 and counts['DescribeListeners'] == 1
    assert counts['AddTags'] == len(result['moved_rules'])  # each moved rule's record (no informational tags here)
    assert sum(counts.values()) - len(result['moved_rules']) <= 8


# ---------------------------------------------------------------- the ELBv2 reads, direct

def _module_utils():
    collections = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), '.collections')
    if collections not in sys.path:
        sys.path.insert(0, collections)
    from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper
    from ansible_collections.sorrypage.aws.plugins.module_utils import _elbv2
    return _elbv2, AWSRetry, RetryingBotoClientWrapper


@pytest.mark.sandbox_only
def test_read_listener_pages_rules_and_batches_tags(moto, counter, site):
    _elbv2, AWSRetry, Wrapper = _module_utils()
    elbv2 = moto.client('elbv2')
    listener = site['listeners'][80]
    add_foreign_rules(elbv2, listener, range(10, 408), site['target_groups']['shop-web'])  # 401 rules in all
    import boto3
    client = Wrapper(boto3.client('elbv2', endpoint_url=counter.url, region_name='us-east-1'), AWSRetry.jittered_backoff())
    counter.reset()
    state = _elbv2.read_listener(client, listener)
    assert len(state['rules']) == 401
    assert [r['priority'] for r in state['rules']] == sorted(r['priority'] for r in state['rules'])
    assert state['default_actions'][0]['FixedResponseConfig']['StatusCode'] == '404'
    assert state['rules'][0]['tags']['ingress.k8s.aws/stack'] == '%s/main' % site['name']
    assert counter.snapshot() == {'DescribeRules': 2, 'DescribeTags': 21}


@pytest.mark.sandbox_only
def test_a_concurrent_writer_taking_the_planned_priority_means_read_and_plan_again(moto, site):
    _elbv2, AWSRetry, Wrapper = _module_utils()
    from ansible_collections.sorrypage.aws.plugins.module_utils import _plan, _rules
    elbv2 = moto.client('elbv2')
    listener = site['listeners'][443]
    client = Wrapper(elbv2, AWSRetry.jittered_backoff())
    spec = _rules.build_spec(dict(kind='sorry', content=PAGE))
    plans = []

    def planner_racing_another_writer(state):
        plan = _plan.plan_present(spec, state, make_room=True)
        if not plans:
            # Between this read and the write, someone else takes the planned priority.
            elbv2.create_rule(ListenerArn=listener, Priority=plan['creates'][0]['priority'],
                              Conditions=[{'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/racer']}}],
                              Actions=[{'Type': 'forward', 'TargetGroupArn': site['target_groups']['shop-web']}])
        plans.append(plan)
        return plan

    warnings = []
    plan, created = _elbv2.reconcile(client, listener, planner_racing_another_writer, False, warnings.append)
    assert len(plans) == 2
    assert plans[0]['creates'][0]['priority'] != plans[1]['creates'][0]['priority']
    arn = created[0]
    rules = rules_by_priority(elbv2, listener)
    mine = [p for p, r in rules.items() if r['RuleArn'] == arn]
    assert mine == [plan['creates'][0]['priority']]
    assert mine[0] < min(p for p, r in rules.items() if r['RuleArn'] != arn), 'the sorry rule is not in front'
    assert warnings == []


@pytest.mark.sandbox_only
def test_a_concurrent_writer_deleting_the_rule_to_modify_means_read_and_plan_again(moto, site):
    _elbv2, AWSRetry, Wrapper = _module_utils()
    from ansible_collections.sorrypage.aws.plugins.module_utils import _plan, _rules
    elbv2 = moto.client('elbv2')
    listener = site['listeners'][443]
    first = ok(run(moto.url, dict(listener_arn=listener, content=PAGE, make_room=True)))
    client = Wrapper(elbv2, AWSRetry.jittered_backoff())
    spec = _rules.build_spec(dict(kind='sorry', content=PAGE + '<p>later</p>'))
    plans = []

    def planner_racing_another_writer(state):
        plan = _plan.plan_present(spec, state, make_room=True)
        if not plans:
            # Between this read and the ModifyRule, someone else deletes the rule.
            elbv2.delete_rule(RuleArn=plan['modifies'][0]['arn'])
        plans.append(plan)
        return plan

    plan, created = _elbv2.reconcile(client, listener, planner_racing_another_writer, False, [].append)
    assert len(plans) == 2
    assert plans[0]['modifies'][0]['arn'] == first['rule']['arn'] and plans[1]['modifies'] == []
    body = rules_by_priority(elbv2, listener)[plan['creates'][0]['priority']]['Actions'][0]
    assert body['FixedResponseConfig']['MessageBody'] == PAGE + '<p>later</p>'
    assert created[0] != first['rule']['arn']


@pytest.mark.sandbox_only
def test_changed_informational_tags_are_one_add_tags(moto, counter, site):
    listener = site['listeners'][443]
    ok(run(moto.url, dict(listener_arn=listener, content=PAGE, make_room=True, tags={'sorrypage:why': 'one'})))
    counter.reset()
    result = ok(run(counter.url, dict(listener_arn=listener, content=PAGE, make_room=True, tags={'sorrypage:why': 'two'})))
    assert result['changed'] is True
    assert result['rule']['tags']['sorrypage:why'] == 'two'
    assert counter.snapshot() == {'DescribeRules': 1, 'DescribeTags': 1, 'AddTags': 1}


@pytest.mark.sandbox_only
def test_rules_quota_for_the_too_many_rules_message(moto, counter):
    """moto never raises TooManyRules; the quota the message quotes comes from DescribeAccountLimits."""
    _elbv2, AWSRetry, Wrapper = _module_utils()
    import boto3
    client = Wrapper(boto3.client('elbv2', endpoint_url=counter.url, region_name='us-east-1'), AWSRetry.jittered_backoff())
    counter.reset()
    assert _elbv2.rules_quota(client) == 100
    assert counter.snapshot() == {'DescribeAccountLimits': 1}


def test_making_room_in_check_mode_is_a_note_and_a_warning_only_when_rules_move(moto, site):
    args = dict(listener_arn=site['listeners'][443], content=PAGE, make_room=True)
    predicted = ok(run(moto.url, args, check=True))
    assert not [w for w in predicted.get('warnings', []) if 'making room' in w], predicted['warnings']
    assert len(predicted['notes']) == 1, predicted['notes']
    assert predicted['notes'][0].startswith('would make room (check mode, nothing moved): 3 rules this collection '
                                            'does not own move up by'), predicted['notes']
    applied = ok(run(moto.url, args))
    assert applied['notes'] == []
    assert [w for w in applied['warnings'] if w.startswith('making room: 3 rules this collection does not own move up by')]
    assert predicted['moved_rules'] == applied['moved_rules']
