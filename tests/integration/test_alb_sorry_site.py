"""sorrypage.aws.alb_sorry_site through real ansible-playbook against the moto sandbox, calls counted at the wire.

The sites are shaped like ones the AWS Load Balancer Controller manages
(tests/sandbox/seed.py): two listeners (80, 443), each with rules 1..3
(shop /api/*, shop /*, blog /*) and a fixed 404 default action.
"""
import json
import math
import sys

import pytest

from tests.ansible_run import run_module
from tests.sandbox.seed import snapshot_listener

MODULE = 'sorrypage.aws.alb_sorry_site'
SECRET = 'b7f0c1d9e2a84f6b9c3d5e7f'
WRITES = {'CreateRule', 'ModifyRule', 'DeleteRule', 'SetRulePriorities', 'AddTags', 'RemoveTags'}
SITE_READS = {'DescribeLoadBalancers', 'DescribeListeners'}


def run(endpoint, args, check=False, diff=False):
    return run_module(MODULE, dict(args, endpoint_url=endpoint, region='us-east-1'), check=check, diff=diff)


def ok(result):
    assert not result.get('failed'), result.get('msg', result)
    return result


def site_args(site, **overrides):
    """A realistic site: passthrough per product, one bypass by CIDR and header, a sorry page per product."""
    shop, blog = site['hosts']
    args = dict(
        load_balancer_name=site['load_balancer_name'], make_room=True,
        http_headers=[{'name': 'X-Sorry-Bypass', 'values': [SECRET]}],
        tags={'sorrypage:by': 'alice', 'sorrypage:why': 'DB migration'},
        rule_sets=[
            dict(kind='bypass', name='passthrough-shop', host_headers=[shop], path_patterns=['/healthz']),
            dict(kind='bypass', name='bypass', source_ips=['203.0.113.0/24'], use_http_headers=True,
                 target_group_arn=site['target_groups']['shop-web']),
            dict(kind='sorry', name='shop', host_headers=[shop], content='<h1>shop is down</h1>',
                 tags={'sorrypage:page': 'shop'}),
            dict(kind='sorry', name='blog', host_headers=[blog], content='<h1>blog is down</h1>',
                 tags={'sorrypage:page': 'blog'}),
        ])
    args.update(overrides)
    return args


def snapshot(elbv2, site):
    return dict((port, snapshot_listener(elbv2, arn)) for port, arn in site['listeners'].items())


def split(counts):
    writes = dict((op, n) for op, n in counts.items() if op in WRITES)
    reads = dict((op, n) for op, n in counts.items() if op not in WRITES)
    return reads, writes


def report(label, counts):
    sys.stderr.write('\nalb_sorry_site API calls, %s: %s\n' % (label, json.dumps(dict(counts), sort_keys=True)))


def site_reads(listeners, rules):
    """DescribeLoadBalancers + DescribeListeners + one DescribeRules per listener + DescribeTags by 20 rules."""
    expected = {'DescribeLoadBalancers': 1, 'DescribeListeners': 1, 'DescribeRules': listeners}
    if rules:
        expected['DescribeTags'] = int(math.ceil(rules / 20.0))
    return expected


@pytest.mark.sandbox_only
def test_two_listeners_on_rerun_off_exact_calls(moto, counter, site):
    elbv2 = moto.client('elbv2')
    original = snapshot(elbv2, site)
    args = site_args(site)

    counter.reset()
    predicted = ok(run(counter.url, args, check=True, diff=True))
    assert predicted['changed'] is True
    reads, writes = split(counter.snapshot())
    assert writes == {}, 'check mode wrote'
    assert reads == site_reads(2, 6)
    assert snapshot(elbv2, site) == original
    assert predicted['notes'] == ['would make room in front of 6 rules this collection does not own on 2 listeners; '
                                  'they go back when the last owned rule on each listener is removed']
    assert not [w for w in predicted.get('warnings', []) if 'room' in w]

    counter.reset()
    applied = ok(run(counter.url, args, diff=True))
    counts = counter.snapshot()
    report('first run, 2 listeners', counts)
    reads, writes = split(counts)
    assert reads == site_reads(2, 6)
    # Per listener: one AddTags per moved foreign rule (3: the priority each comes from, before the move) and one
    # SetRulePriorities for the shift, 4 rule sets -> 4 CreateRule
    # (passthrough 1, bypass 2 (CIDR, header), sorry 1 + 1 = 5 creates).
    assert writes == {'SetRulePriorities': 2, 'AddTags': 6, 'CreateRule': 10}
    assert applied['changed'] is True
    assert applied['rules_added'] == 10
    assert [w for w in applied['warnings'] if 'room' in w] == [
        'made room in front of 6 rules this collection does not own on 2 listeners; they go back when the last '
        'owned rule on each listener is removed']
    assert SECRET not in json.dumps(applied) and SECRET not in json.dumps(predicted)
    for before, after in zip(predicted['listeners'], applied['listeners']):
        assert [(r['priority'], r['conditions'], r['actions'], sorted(r['tags'])) for r in before['rules']] == [
            (r['priority'], r['conditions'], r['actions'], sorted(r['tags'])) for r in after['rules']]
        assert all(r['arn'] is None for r in before['rules']) and all(r['arn'] for r in after['rules'])
        kinds = [r['tags']['sorrypage:kind'] for r in after['rules']]
        assert kinds == ['bypass'] * 3 + ['sorry'] * 2, kinds
        assert all(r['tags']['sorrypage:by'] == 'alice' for r in after['rules'])
        assert [r['tags'].get('sorrypage:page') for r in after['rules'] if r['tags']['sorrypage:kind'] == 'sorry'] \
            == ['shop', 'blog']
        on_alb = dict((arn, tags) for arn, tags in (
            (d['ResourceArn'], dict((t['Key'], t['Value']) for t in d['Tags']))
            for d in elbv2.describe_tags(ResourceArns=[r['arn'] for r in after['rules']])['TagDescriptions']))
        assert all(on_alb[r['arn']] == r['tags'] for r in after['rules'])
    assert sorted(applied['diff']['after']) == ['443', '80']

    counter.reset()
    again = ok(run(counter.url, args))
    counts = counter.snapshot()
    report('rerun, 2 listeners', counts)
    reads, writes = split(counts)
    assert writes == {} and again['changed'] is False
    assert reads == site_reads(2, 16)
    assert sum(reads.values()) - 2 <= 2 * 2

    counter.reset()
    off = ok(run(counter.url, dict(load_balancer_name=site['load_balancer_name'], state='absent',
                                   rule_sets=[dict(kind=s['kind'], name=s['name']) for s in args['rule_sets']])))
    counts = counter.snapshot()
    report('absent, 2 listeners', counts)
    reads, writes = split(counts)
    assert off['changed'] is True
    assert reads == site_reads(2, 16)
    assert writes == {'DeleteRule': 10, 'SetRulePriorities': 2, 'RemoveTags': 2}
    assert snapshot(elbv2, site) == original, 'rules, priorities or tags not restored exactly'

    counter.reset()
    assert ok(run(counter.url, dict(load_balancer_name=site['load_balancer_name'], state='absent')))['changed'] is False
    assert split(counter.snapshot())[1] == {}


@pytest.mark.sandbox_only
def test_one_listener_exact_calls(moto, counter, site):
    elbv2 = moto.client('elbv2')
    original = snapshot(elbv2, site)
    args = site_args(site, listener_ports=[443])
    counter.reset()
    applied = ok(run(counter.url, args))
    counts = counter.snapshot()
    report('first run, 1 listener', counts)
    reads, writes = split(counts)
    # Every listener's rules are read (the quota counts them all); tags only for the listener worked on.
    assert reads == site_reads(2, 3)
    assert writes == {'SetRulePriorities': 1, 'AddTags': 3, 'CreateRule': 5}
    assert [listener['port'] for listener in applied['listeners']] == [443]
    assert applied['skipped_listeners'] == [80]
    assert snapshot(elbv2, site)[80] == original[80]

    counter.reset()
    assert ok(run(counter.url, args))['changed'] is False
    counts = counter.snapshot()
    report('rerun, 1 listener', counts)
    assert split(counts) == (site_reads(2, 8), {})

    counter.reset()
    ok(run(counter.url, dict(load_balancer_name=site['load_balancer_name'], listener_ports=[443], state='absent')))
    counts = counter.snapshot()
    report('absent (every owned set), 1 listener', counts)
    assert split(counts) == (site_reads(2, 8), {'DeleteRule': 5, 'SetRulePriorities': 1, 'RemoveTags': 1})
    assert snapshot(elbv2, site) == original


BAD_LAST = [
    ('an invalid CIDR in the last set',
     dict(kind='sorry', name='blog', host_headers=['blog.example.test'], content='x', source_ips=['198.51.100.300/32']),
     "invalid input, nothing was changed: rule_sets[3] (sorry 'blog'): source_ips: '198.51.100.300/32' is not an "
     "IPv4 or IPv6 CIDR"),
    ('a body over 1024 characters',
     dict(kind='sorry', name='blog', host_headers=['blog.example.test'], content='x' * 1100),
     "invalid input, nothing was changed: rule_sets[3] (sorry 'blog'): content is 1100 characters; a fixed-response "
     "body may have at most 1024 (over by 76)"),
]


@pytest.mark.sandbox_only
@pytest.mark.parametrize('what, last, message', BAD_LAST, ids=[b[0] for b in BAD_LAST])
def test_invalid_input_in_the_last_set_changes_nothing(moto, counter, site, what, last, message):  # pylint: disable=unused-argument
    elbv2 = moto.client('elbv2')
    original = snapshot(elbv2, site)
    args = site_args(site)
    args['rule_sets'][-1] = last
    counter.reset()
    result = run(counter.url, args)
    assert result['failed'] is True
    assert result['msg'] == message
    assert dict(counter.snapshot()) == {}, 'input errors are found before any call'
    assert snapshot(elbv2, site) == original


@pytest.mark.sandbox_only
def test_target_that_cannot_be_inferred_on_the_last_listener_changes_nothing(moto, counter, site):
    elbv2 = moto.client('elbv2')
    # The 443 listener forwards to several groups with no catch-all for "any host"; port 80 gets a forward
    # default so the bypass target is inferred there, and only there.
    elbv2.modify_listener(ListenerArn=site['listeners'][80], DefaultActions=[
        {'Type': 'forward', 'TargetGroupArn': site['target_groups']['shop-web']}])
    for rule in elbv2.describe_rules(ListenerArn=site['listeners'][80])['Rules']:
        if not rule['IsDefault']:
            elbv2.delete_rule(RuleArn=rule['RuleArn'])
    original = snapshot(elbv2, site)
    args = site_args(site)
    del args['rule_sets'][1]['target_group_arn']
    counter.reset()
    result = run(counter.url, args)
    assert result['failed'] is True
    assert result['msg'].startswith("nothing was changed: listener HTTPS:443 (%s): rule_sets[1] (bypass 'bypass'): "
                                    "cannot infer the bypass target: there is no catch-all (/*) forward rule for any "
                                    "host and the listener forwards to several target groups" % site['listeners'][443])
    assert 'listener HTTP:80' not in result['msg']
    reads, writes = split(counter.snapshot())
    assert writes == {}
    assert snapshot(elbv2, site) == original


@pytest.mark.sandbox_only
def test_quota_exceeded_changes_nothing(moto, counter, site):
    elbv2 = moto.client('elbv2')
    original = snapshot(elbv2, site)
    args = site_args(site)
    args['rule_sets'][1]['source_ips'] = ['192.0.2.%d/32' % i for i in range(1, 251)]  # 50 + 1 bypass rules per listener
    counter.reset()
    result = run(counter.url, args)
    assert result['failed'] is True
    assert result['msg'] == (
        "load balancer '%s' has 6 rules and this run would add 108, 114 in all: over its quota of 100 "
        "(rules-per-application-load-balancer, default rules not counted) by 14; after this run: sorry 4, bypass 102, "
        "passthrough 2, the controller's 6; to fit, drop 14: fewer sorry_pages entries (one entry may hold several "
        "hosts); fewer bypass CIDRs or headers (5 values per rule); fewer sorry_passthrough_paths; or give fewer "
        "listener_ports, or ask AWS to raise the quota; nothing was changed" % site['load_balancer_name'])
    reads, writes = split(counter.snapshot())
    assert writes == {}
    assert reads['DescribeAccountLimits'] == 1
    assert snapshot(elbv2, site) == original


@pytest.mark.sandbox_only
def test_the_budget_takes_a_plan_of_exactly_the_quota_and_refuses_one_rule_more(moto, counter, site):
    """On one listener: the site's 6 rules + passthrough 1 + sorry 2 + a language rule 1 + the header bypass 1 +
    one rule per 5 CIDRs; 445 CIDRs make 100 rules, 446 make 101."""
    elbv2 = moto.client('elbv2')
    original = snapshot(elbv2, site)
    port = sorted(site['listeners'])[0]

    def args_with(count):
        args = site_args(site, listener_ports=[port])
        args['rule_sets'][1]['source_ips'] = ['10.%d.%d.0/24' % (i // 250, i % 250) for i in range(count)]
        args['rule_sets'].insert(2, dict(kind='sorry', name='shop-ja', host_headers=[site['hosts'][0]],
                                         content='<h1>ja</h1>', match_headers=[{'name': 'Accept-Language', 'values': ['ja*']}]))
        return args

    assert ok(run(counter.url, args_with(445), check=True))['changed'] is True
    counter.reset()
    result = run(counter.url, args_with(446))
    assert result['failed'] is True
    assert "this run would add 95, 101 in all: over its quota of 100" in result['msg'], result['msg']
    assert 'after this run: language 1, sorry 2, bypass 91, passthrough 1, the controller' in result['msg'], result['msg']
    assert 'fewer languages per entry (sorry_pages[].languages)' in result['msg']
    assert split(counter.snapshot())[1] == {}
    assert snapshot(elbv2, site) == original


@pytest.mark.sandbox_only
def test_make_room_auto_keeps_the_start_time_and_returns_the_site(moto, counter, site):
    """make_room auto follows the controller's tags (read with the rules: no extra call); keep_tags keeps the
    start time of the rules already on, so a rerun with a later time writes nothing; `site` is alb_sorry_info's shape."""
    args = site_args(site, make_room='auto', keep_tags=['sorrypage:at'],
                     tags={'sorrypage:by': 'alice', 'sorrypage:at': '2026-12-02T01:00:00Z'})
    counter.reset()
    applied = ok(run(counter.url, args))
    assert applied['make_room'] is True
    reads, writes = split(counter.snapshot())
    assert reads == site_reads(2, 6)
    assert writes['SetRulePriorities'] == 2
    summary = applied['site']
    assert summary['load_balancer']['controller_managed'] is True
    assert summary['load_balancer']['cluster_name'] == 'sandbox'
    assert summary['in_maintenance'] is True
    assert [listener['port'] for listener in summary['listeners']] == [80, 443]
    for listener in summary['listeners']:
        kinds = [rule['kind'] for rule in listener['owned_rules']]
        assert kinds == ['bypass', 'bypass', 'bypass', 'sorry', 'sorry'], kinds
        assert all(rule['arn'] and rule['tags']['sorrypage:at'] == '2026-12-02T01:00:00Z' for rule in listener['owned_rules'])
        assert len(listener['moved_rules']) == 3
    info = run_module('sorrypage.aws.alb_sorry_info', dict(load_balancer_name=site['load_balancer_name'],
                                                           endpoint_url=counter.url, region='us-east-1'))
    assert summary['listeners'] == info['listeners']

    counter.reset()
    rerun = ok(run(counter.url, dict(args, tags={'sorrypage:by': 'alice', 'sorrypage:at': '2026-12-02T03:00:00Z'})))
    assert rerun['changed'] is False
    assert split(counter.snapshot())[1] == {}
    assert rerun['site'] == summary


@pytest.mark.sandbox_only
@pytest.mark.parametrize('value', ['sometimes', 'maybe'])
def test_make_room_must_be_auto_or_a_boolean(moto, counter, site, value):  # pylint: disable=unused-argument
    counter.reset()
    result = run(counter.url, site_args(site, make_room=value))
    assert result['failed'] is True
    assert "make_room must be auto, true or false, got '%s'" % value in result['msg']
    assert dict(counter.snapshot()) == {}


@pytest.mark.sandbox_only
def test_dual_stack_without_an_ipv6_bypass_range_warns(moto, counter):
    from tests.sandbox.seed import seed_site
    dual = seed_site(moto, name='dualstack-check', ip_address_type='dualstack')
    args = site_args(dual)
    applied = ok(run(counter.url, args, check=True))
    assert any('dual-stack but the bypass source addresses have no IPv6 range' in w for w in applied.get('warnings', []))
    args['rule_sets'][1]['source_ips'] = ['203.0.113.0/24', '2001:db8::/32']
    applied = ok(run(counter.url, args, check=True))
    assert not any('dual-stack' in w for w in applied.get('warnings', []))


@pytest.mark.sandbox_only
def test_off_with_markers_also_deletes_the_rules_the_controller_made_from_the_ingress(moto, counter, site):
    """Off while another site holds the controller pause: the Ingress change cannot reach the ALB, so the rules the
    controller made from the Ingress edit (443) go with ours (80); its preview and the application's rules stay."""
    elbv2 = moto.client('elbv2')
    listener, shop = site['listeners'][443], site['hosts'][0]
    marker = '5e0c2f9a7d'
    body = u'<!doctype html><title>Maintenance</title><p>\u30e1\u30f3\u30c6\u30ca\u30f3\u30b9</p><!--%s-->' % marker
    original = snapshot(elbv2, site)
    ok(run(counter.url, site_args(site, listener_ports=[80])))
    # The controller renumbers from 1: the application's rules come after the ones from the Ingress edit.
    seeded = [r for r in elbv2.describe_rules(ListenerArn=listener)['Rules'] if not r['IsDefault']]
    elbv2.set_rule_priorities(RulePriorities=[{'RuleArn': r['RuleArn'], 'Priority': 10 + int(r['Priority'])}
                                              for r in seeded])

    def controller_rule(priority, conditions, actions, path='/*'):
        tags = [{'Key': 'elbv2.k8s.aws/cluster', 'Value': 'sandbox'},
                {'Key': 'ingress.k8s.aws/stack', 'Value': site['stack']},
                {'Key': 'ingress.k8s.aws/resource', 'Value': '443:%d' % priority}]
        host = {'Field': 'host-header', 'HostHeaderConfig': {'Values': [shop]}}
        paths = {'Field': 'path-pattern', 'PathPatternConfig': {'Values': [path]}}
        return elbv2.create_rule(ListenerArn=listener, Priority=priority, Conditions=[host, paths] + conditions,
                                 Actions=actions, Tags=tags)['Rules'][0]['RuleArn']

    forward = [{'Type': 'forward', 'TargetGroupArn': site['target_groups']['shop-web']}]
    office = controller_rule(1, [{'Field': 'source-ip', 'SourceIpConfig': {'Values': ['10.0.0.0/8']}}], forward)
    header = controller_rule(2, [{'Field': 'http-header', 'HttpHeaderConfig': {
        'HttpHeaderName': 'X-Sorry-Bypass', 'Values': [SECRET]}}], forward)
    sorry = controller_rule(3, [], [{'Type': 'fixed-response', 'FixedResponseConfig': {
        'StatusCode': '503', 'ContentType': 'text/html', 'MessageBody': body}}])
    preview = controller_rule(4, [], [{'Type': 'fixed-response', 'FixedResponseConfig': {
        'StatusCode': '200', 'ContentType': 'text/html', 'MessageBody': body}}], path='/__sorry-preview')
    on_443 = snapshot(elbv2, site)[443]
    off = dict(load_balancer_name=site['load_balancer_name'], state='absent', markers=[marker])

    counter.reset()
    refused = run(counter.url, site_args(site, markers=[marker]))
    assert refused['failed'] is True
    assert 'markers is only used with state=absent' in refused['msg']
    assert dict(counter.snapshot()) == {}, 'refused before any call'

    counter.reset()
    predicted = ok(run(counter.url, off, check=True, diff=True))
    assert split(counter.snapshot())[1] == {}, 'check mode wrote'
    assert predicted['changed'] is True
    assert snapshot(elbv2, site)[443] == on_443
    expected_note = ('%s 3 rules the controller made from the Ingress on HTTPS:443 (it is paused: the Ingress change '
                     'could not reach the ALB)')
    assert expected_note % 'would delete' in predicted['notes']
    assert [r['arn'] for r in predicted['diff']['before']['443']] == [office, header, sorry]
    assert predicted['diff']['after']['443'] == []

    counter.reset()
    applied = ok(run(counter.url, off, diff=True))
    reads, writes = split(counter.snapshot())
    report('absent with markers, 2 listeners', counter.snapshot())
    # 80: our 5 rules and the shift undone; 443: the controller's office, header and sorry rules, nothing moved.
    assert writes == {'DeleteRule': 8, 'SetRulePriorities': 1, 'RemoveTags': 1}
    assert expected_note % 'deleted' in applied['notes']
    https = [l for l in applied['listeners'] if l['port'] == 443][0]
    assert [(r['arn'], r['priority'], r['kind'], r['name']) for r in https['controller_rules_deleted']] == [
        (office, 1, 'bypass', 'ingress-' + shop), (header, 2, 'bypass', 'ingress-' + shop),
        (sorry, 3, 'sorry', 'ingress-' + shop)]
    assert SECRET not in json.dumps(applied) and SECRET not in json.dumps(predicted)
    after = snapshot(elbv2, site)
    assert after[80] == original[80], 'our rules off and the moved rules back, as without markers'
    gone = set([office, header, sorry])
    assert after[443] == [rule for rule in on_443 if rule[1] not in gone]
    assert preview in [rule[1] for rule in after[443]]
    assert applied['site']['in_maintenance'] is False

    counter.reset()
    again = ok(run(counter.url, off))
    assert again['changed'] is False
    assert split(counter.snapshot())[1] == {}, 'a rerun wrote'
    assert all(l['controller_rules_deleted'] == [] for l in again['listeners'])
    assert not [n for n in again['notes'] if 'controller made' in n]


@pytest.mark.sandbox_only
def test_a_rerun_that_adds_language_and_api_rules_puts_them_in_front_of_the_page_they_refine(moto, counter, site):
    """The narrower sorry rules of a host (API paths, then Accept, then a language) go in front of its page, also
    when a rerun adds them to a site already on (they would never match behind it)."""
    elbv2 = moto.client('elbv2')
    shop = site['hosts'][0]
    ok(run(counter.url, site_args(site)))
    args = site_args(site)
    args['rule_sets'][2:2] = [
        dict(kind='sorry', name='shop-ja', host_headers=[shop], content='<h1>ja</h1>',
             match_headers=[{'name': 'Accept-Language', 'values': ['ja*']}]),
        dict(kind='sorry', name='shop-json', host_headers=[shop], content='{}', content_type='application/json',
             match_headers=[{'name': 'Accept', 'values': ['application/json*']}]),
        dict(kind='sorry', name='shop-api', host_headers=[shop], path_patterns=['/api/*'], content='{}',
             content_type='application/json')]
    ok(run(counter.url, args))
    for listener in site['listeners'].values():
        rules = elbv2.describe_rules(ListenerArn=listener)['Rules']
        tags = dict((t['ResourceArn'], dict((x['Key'], x['Value']) for x in t['Tags'])) for t in elbv2.describe_tags(
            ResourceArns=[r['RuleArn'] for r in rules if not r['IsDefault']])['TagDescriptions'])
        priority = dict((tags[r['RuleArn']].get('sorrypage:rule'), int(r['Priority'])) for r in rules
                        if not r['IsDefault'] and tags[r['RuleArn']].get('sorrypage:kind') == 'sorry')
        assert priority['shop-api'] < priority['shop-json'] < priority['shop-ja'] < priority['shop'], priority
