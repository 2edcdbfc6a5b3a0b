"""The fault proxy itself (tests/sandbox/fault_proxy.py): which calls it faults, what the clients see, what reached
the server. A tiny counting upstream shows whether a request got through; boto3 against moto shows the errors
parse as the services' own."""
import http.client
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import botocore.config
import botocore.exceptions
import pytest

from tests.sandbox.fault_proxy import FaultProxy, Rule, k8s_name
from tests.sandbox.ports import free_port

NO_RETRY = botocore.config.Config(retries={'total_max_attempts': 1, 'mode': 'standard'})


class Upstream:
    """Answers 200 with the request path; counts the requests that reached it."""

    def __init__(self):
        self.seen = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

            def _any(self):
                length = int(self.headers.get('Content-Length') or 0)
                self.rfile.read(length)
                upstream.seen.append((self.command, self.path))
                data = json.dumps({'path': self.path}).encode()
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _any

        self.server = ThreadingHTTPServer(('127.0.0.1', free_port()), Handler)
        self.server.daemon_threads = True
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def upstream():
    server = Upstream()
    yield server
    server.stop()


def post_action(proxy, action, **params):
    """An ELBv2-style query request; (status, body) or the exception the connection raised."""
    conn = http.client.HTTPConnection('127.0.0.1', proxy.port, timeout=10)
    try:
        conn.request('POST', '/', body=urllib.parse.urlencode(dict(params, Action=action)),
                     headers={'Content-Type': 'application/x-www-form-urlencoded'})
        resp = conn.getresponse()
        return resp.status, resp.read()
    except (http.client.HTTPException, OSError) as exc:
        return exc
    finally:
        conn.close()


def test_the_nth_call_of_an_operation_gets_the_fault_and_every_call_is_recorded(upstream):
    with FaultProxy(upstream.url) as proxy:
        proxy.inject('throttle', op='DescribeRules', nth=2)
        results = [post_action(proxy, 'DescribeRules'), post_action(proxy, 'DescribeTags'),
                   post_action(proxy, 'DescribeRules'), post_action(proxy, 'DescribeRules')]
        assert [r[0] for r in results] == [200, 200, 400, 200]
        assert b'<Code>Throttling</Code>' in results[2][1]
        assert proxy.ops(fault=True) == [('DescribeRules', None), ('DescribeTags', None),
                                         ('DescribeRules', 'throttle'), ('DescribeRules', None)]
        assert len(upstream.seen) == 3


def test_a_predicate_every_call_and_server_errors(upstream):
    with FaultProxy(upstream.url) as proxy:
        proxy.inject('503', op='CreateRule', match=lambda call: call.params.get('ListenerArn') == 'b', every=True)
        statuses = [post_action(proxy, 'CreateRule', ListenerArn=arn)[0] for arn in ('a', 'b', 'b', 'a')]
        assert statuses == [200, 503, 503, 200]
        assert [c.params['ListenerArn'] for c in proxy.faulted()] == ['b', 'b']


def test_drop_before_never_reaches_the_server_and_drop_after_does(upstream):
    with FaultProxy(upstream.url) as proxy:
        proxy.inject('drop_before', op='DeleteRule', nth=1)
        proxy.inject('drop_after', op='DeleteRule', nth=2)
        assert isinstance(post_action(proxy, 'DeleteRule', RuleArn='r1'), Exception)
        assert upstream.seen == []
        assert isinstance(post_action(proxy, 'DeleteRule', RuleArn='r2'), Exception)
        assert len(upstream.seen) == 1  # the write happened, the answer was lost
        assert post_action(proxy, 'DeleteRule', RuleArn='r3')[0] == 200
        assert [c.status for c in proxy.calls] == ['dropped', 'lost 200', 200]


def test_a_held_call_waits_until_the_test_releases_it(upstream):
    with FaultProxy(upstream.url) as proxy:
        hold = proxy.inject('hold', op='SetRulePriorities', nth=1, then='500')
        answers = []
        worker = threading.Thread(target=lambda: answers.append(post_action(proxy, 'SetRulePriorities')))
        worker.start()
        assert hold.arrived.wait(10)
        assert post_action(proxy, 'DescribeRules')[0] == 200  # other calls go on meanwhile
        assert upstream.seen == [('POST', '/')] and answers == []
        hold.release()
        worker.join(10)
        assert answers[0][0] == 500 and b'InternalFailure' in answers[0][1]
        assert proxy.ops(fault=True) == [('SetRulePriorities', 'hold+500'), ('DescribeRules', None)]


def test_a_seeded_fraction_repeats_and_is_roughly_that_share():
    def picks(seed):
        rule = Rule('throttle', fraction=0.25, seed=seed)
        return [rule.chooses() for _index in range(400)]
    assert picks(7) == picks(7)
    assert picks(7) != picks(8)
    assert 60 <= sum(picks(7)) <= 140


def test_rules_refuse_unclear_choices():
    with pytest.raises(ValueError):
        Rule('throttle', nth=1, every=True)
    with pytest.raises(ValueError):
        Rule('explode', nth=1)
    with pytest.raises(ValueError):
        Rule('500', nth=1, then='503')


def test_aws_clients_parse_the_injected_errors_as_the_services_own(moto):
    with FaultProxy(moto.url) as proxy:
        elbv2 = boto3.client('elbv2', endpoint_url=proxy.url, region_name='us-east-1', config=NO_RETRY)
        scheduler = boto3.client('scheduler', endpoint_url=proxy.url, region_name='us-east-1', config=NO_RETRY)
        proxy.inject('throttle', op='DescribeLoadBalancers', nth=1)
        proxy.inject('500', op='DescribeLoadBalancers', nth=2)
        proxy.inject('throttle', op='ListSchedules', nth=1)
        proxy.inject('throttle', op='ListSchedules', nth=2, code='TooManyRequestsException')
        codes = []
        for call in (elbv2.describe_load_balancers, elbv2.describe_load_balancers,
                     scheduler.list_schedules, scheduler.list_schedules):
            with pytest.raises(botocore.exceptions.ClientError) as caught:
                call()
            codes.append((caught.value.response['Error']['Code'],
                          caught.value.response['ResponseMetadata']['HTTPStatusCode']))
        assert codes == [('Throttling', 400), ('InternalFailure', 500), ('ThrottlingException', 429),
                         ('TooManyRequestsException', 429)]
        assert elbv2.describe_load_balancers()['LoadBalancers'] is not None  # the next call goes through


def test_kubernetes_requests_are_named_as_rbac_sees_them():
    assert k8s_name('PATCH', '/apis/apps/v1/namespaces/kube-system/deployments/lbc/scale', b'', {}) \
        == 'patch deployments/scale'
    assert k8s_name('GET', '/apis/networking.k8s.io/v1/ingresses?labelSelector=x', b'', {}) == 'list ingresses'
    assert k8s_name('POST', '/apis/networking.k8s.io/v1/namespaces/shop/ingresses', b'', {}) == 'create ingresses'
    assert k8s_name('GET', '/api/v1/namespaces/kube-system/pods', b'', {}) == 'list pods'
    assert k8s_name('PATCH', '/apis/apps/v1/namespaces/kube-system/deployments/lbc', b'', {}) == 'patch deployments'
