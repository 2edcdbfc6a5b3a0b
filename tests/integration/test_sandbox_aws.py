"""The sandbox's AWS side: a rule created in moto over HTTP reads back; the seed looks like the controller's;
moto runs at AWS's ELBv2 tag quota; a server is reset and kept for the next sandbox, and never outlives its process."""
import os
import signal
import subprocess
import sys
import time

import pytest
from botocore.exceptions import ClientError

from tests.ansible_run import run_module
from tests.sandbox.aws import REPO, MotoServer
from tests.sandbox.seed import seed_assets, seed_site, snapshot_listener


def test_seeded_site_is_controller_shaped(moto, site):
    elbv2 = moto.client('elbv2')
    tags = {t['Key']: t['Value'] for t in elbv2.describe_tags(
        ResourceArns=[site['load_balancer_arn']])['TagDescriptions'][0]['Tags']}
    assert tags['elbv2.k8s.aws/cluster'] == 'sandbox'
    assert tags['ingress.k8s.aws/stack'] == '%s/main' % site['name']
    for port in (80, 443):
        rules = elbv2.describe_rules(ListenerArn=site['listeners'][port])['Rules']
        assert [r['Priority'] for r in rules] == ['1', '2', '3', 'default']
        default = rules[-1]['Actions'][0]
        assert default['Type'] == 'fixed-response'
        assert default['FixedResponseConfig']['StatusCode'] == '404'
    listeners = elbv2.describe_listeners(LoadBalancerArn=site['load_balancer_arn'])['Listeners']
    assert sorted((l['Port'], l['Protocol']) for l in listeners) == [(80, 'HTTP'), (443, 'HTTPS')]


def test_rule_created_through_ansible_reads_back_over_http(moto, site):
    listener = site['listeners'][80]
    before = snapshot_listener(moto.client('elbv2'), listener)
    res = run_module('amazon.aws.elb_application_lb_info', {
        'names': [site['load_balancer_name']], 'endpoint_url': moto.url, 'region': 'us-east-1'})
    assert res.get('failed') is not True, res
    assert res['load_balancers'][0]['load_balancer_arn'] == site['load_balancer_arn']

    elbv2 = moto.client('elbv2')
    created = elbv2.create_rule(
        ListenerArn=listener, Priority=100,
        Conditions=[{'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/probe']}}],
        Actions=[{'Type': 'fixed-response', 'FixedResponseConfig': {
            'StatusCode': '503', 'ContentType': 'text/plain', 'MessageBody': 'down'}}])['Rules'][0]
    after = snapshot_listener(moto.client('elbv2'), listener)
    assert len(after) == len(before) + 1
    read = [r for r in elbv2.describe_rules(ListenerArn=listener)['Rules'] if r['RuleArn'] == created['RuleArn']][0]
    assert read['Actions'][0]['FixedResponseConfig']['MessageBody'] == 'down'
    assert read['Priority'] == '100'


def test_counting_proxy_counts_each_call_by_operation(moto, counter, site):
    import boto3
    elbv2 = boto3.client('elbv2', endpoint_url=counter.url, region_name='us-east-1')
    elbv2.describe_rules(ListenerArn=site['listeners'][80])
    elbv2.describe_rules(ListenerArn=site['listeners'][443])
    elbv2.describe_tags(ResourceArns=[site['load_balancer_arn']])
    assert counter.snapshot() == {'DescribeRules': 2, 'DescribeTags': 1}


def _tags(count, start=0):
    return [{'Key': 'k%02d' % i, 'Value': 'v%d' % i} for i in range(start, start + count)]


def _rule(elbv2, listener, priority, **kwargs):
    return elbv2.create_rule(
        ListenerArn=listener, Priority=priority,
        Conditions=[{'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/quota-%d' % priority]}}],
        Actions=[{'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': '503', 'ContentType': 'text/plain'}}],
        **kwargs)['Rules'][0]['RuleArn']


def _tag_count(elbv2, arn):
    return len(elbv2.describe_tags(ResourceArns=[arn])['TagDescriptions'][0]['Tags'])


def test_a_rule_takes_aws_quota_of_50_tags_and_not_51(moto, site):
    """moto alone stops at 10; the sandbox starts it with AWS's 50 (tests/sandbox/moto_launcher.py)."""
    elbv2, listener = moto.client('elbv2'), site['listeners'][80]
    arn = _rule(elbv2, listener, 200, Tags=_tags(1))
    for count in range(2, 51):  # one AddTags per new key: 11th ... 50th all accepted
        elbv2.add_tags(ResourceArns=[arn], Tags=_tags(1, start=count - 1))
        assert _tag_count(elbv2, arn) == count
    elbv2.add_tags(ResourceArns=[arn], Tags=[{'Key': 'k00', 'Value': 'changed'}])  # an update is no new tag
    with pytest.raises(ClientError) as err:
        elbv2.add_tags(ResourceArns=[arn], Tags=_tags(1, start=50))
    assert err.value.response['Error']['Code'] == 'TooManyTags'
    assert _tag_count(elbv2, arn) == 50

    # Counted per call too: 40 held plus 11 new in one AddTags is 51.
    many = _rule(elbv2, listener, 201, Tags=_tags(40))
    with pytest.raises(ClientError) as err:
        elbv2.add_tags(ResourceArns=[many], Tags=_tags(11, start=40))
    assert err.value.response['Error']['Code'] == 'TooManyTags'
    assert _tag_count(elbv2, many) == 40
    elbv2.add_tags(ResourceArns=[many], Tags=_tags(10, start=40))
    assert _tag_count(elbv2, many) == 50

    # At creation: 50 tags are fine, 51 refused and no rule made.
    assert _tag_count(elbv2, _rule(elbv2, listener, 202, Tags=_tags(50))) == 50
    before = len(elbv2.describe_rules(ListenerArn=listener)['Rules'])
    with pytest.raises(ClientError) as err:
        _rule(elbv2, listener, 203, Tags=_tags(51))
    assert err.value.response['Error']['Code'] == 'TooManyTags'
    assert len(elbv2.describe_rules(ListenerArn=listener)['Rules']) == before


# ---------------------------------------------------------------- one moto server per process, reset between sandboxes
def test_a_released_server_is_taken_again_reset_and_a_dead_one_is_not():
    first = MotoServer.take()
    seed_site(first, name='pooled', cluster_name='sandbox')
    seed_assets(first)
    first.release()
    again = MotoServer.take()
    assert again is first and again.proc.poll() is None
    assert again.client('elbv2').describe_load_balancers()['LoadBalancers'] == []
    assert again.client('s3').list_buckets()['Buckets'] == []
    assert again.client('cloudfront').list_distributions()['DistributionList']['Quantity'] == 0
    again.release()
    again.release()                         # twice: still kept once
    assert MotoServer._idle.count(again) == 1  # pylint: disable=protected-access

    again.proc.kill()
    again.proc.wait()
    fresh = MotoServer.take()
    try:
        assert fresh is not again and fresh.proc.poll() is None
        assert again not in MotoServer._idle  # pylint: disable=protected-access
    finally:
        fresh.release()


def _gone(pid):
    try:
        with open('/proc/%d/stat' % pid, encoding='ascii') as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except FileNotFoundError:
        return True


def test_a_server_whose_process_died_without_stopping_it_exits():
    """A test process killed mid-run leaves no moto server behind: the launcher watches its parent."""
    child = subprocess.run(
        [sys.executable, '-c', 'import os, sys; from tests.sandbox.aws import MotoServer; '
                               'print(MotoServer().start().proc.pid, flush=True); os._exit(0)'],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    pid = int(child.stdout.split()[0])
    try:
        for _second in range(300):            # bounded: the launcher looks once a second
            if _gone(pid):
                break
            time.sleep(0.1)
        assert _gone(pid), 'moto server %d outlived the process that started it' % pid
    finally:
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)
