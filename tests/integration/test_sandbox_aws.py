"""The sandbox's AWS side: a rule created in moto over HTTP reads back; the seed looks like the controller's."""
from tests.ansible_run import run_module
from tests.sandbox.seed import snapshot_listener


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
