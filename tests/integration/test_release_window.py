"""A release during maintenance, end to end in the sandbox: why the Ingress driver exists (issue 13).

The sandbox's target groups are real ``target-type: ip`` ones here
(``Sandbox(app_pods=True)``): the application's Deployments have pods, the
stand-in controller registers their podIPs while it acts, and the data plane
forwards only to a registered pod that runs. A release rolls the
application's Deployment (new image, one more replica): every pod gets a new
address. With the Ingress driver the controller keeps running and registers
the new pods, so internal users reach the new version through the bypass.
With the ALB driver the controller is paused: nobody registers the new pods,
the bypass answers 502 and ``off`` refuses until forced.
"""
import pytest

from tests.integration.test_ingress_driver import Book, controller_replicas, summary, visitor
from tests.integration.test_runbook import assert_ok, failure
from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, TARGET_HEADER, VERSION_HEADER
from tests.sandbox.sandbox import Sandbox

pytestmark = pytest.mark.sandbox_only

APP = 'shop-web'            # the Service (and Deployment) behind hosts[0], the host the probes ask for
NEW_IMAGE = 'shop-web:2.0'


@pytest.fixture()
def sandbox():
    with Sandbox(pod_delay=0, controller=True, controller_interval=0.5, ingress=True, path_routed=False,
                 app_pods=True) as box:
        yield box


def namespace(box):
    return box.sites[0]['name']


def pod_ips(box):
    """The podIPs of the application's pods now."""
    return sorted(p['status']['podIP'] for p in box.kube.list('pods', namespace(box), 'app=%s' % APP))


def registered(box):
    arn = box.sites[0]['target_groups'][APP]
    found = box.moto.client('elbv2').describe_target_health(TargetGroupArn=arn)['TargetHealthDescriptions']
    return sorted(d['Target']['Id'] for d in found)


def wait_until_registered(box, passes=40):
    """Let the controller make passes (bounded) until the target group holds exactly the pods now; the addresses."""
    for _pass in range(passes):
        box.reconciler.wait_for_pass()
        if registered(box) == pod_ips(box):
            box.dataplane.refresh()   # the rules of that pass too (the data plane reuses a read for 50 ms)
            return registered(box)
    raise AssertionError('after %d passes the target group holds %s, the pods are %s'
                         % (passes, registered(box), pod_ips(box)))


def release(box):
    """Roll the application's Deployment: image 2.0 and 3 replicas; returns the addresses of the old pods."""
    old = pod_ips(box)
    dep = box.kube.get('deployments', APP, namespace(box))
    containers = dep['spec']['template']['spec']['containers']
    containers[0]['image'] = NEW_IMAGE
    box.kube.patch('deployments', APP, {'spec': {'replicas': 3, 'template': {'spec': {'containers': containers}}}},
                   namespace(box))
    new = pod_ips(box)
    assert len(new) == 3 and not set(new) & set(old), (old, new)   # every pod has a new address
    return old


def test_the_sandbox_registers_the_pods_and_forwards_only_to_registered_ones_that_run(sandbox):
    box = sandbox
    host = box.sites[0]['hosts'][0]
    first = wait_until_registered(box)
    assert len(first) == 2
    resp = visitor(box, host, PUBLIC_IP)
    assert resp.status == 200 and resp.headers[TARGET_HEADER] in first and resp.headers[VERSION_HEADER] == 'shop-web:1.0'
    for reconciler in box.reconcilers:
        reconciler.stop_acting()
    assert box.reconciler.wait_for_pass() is False            # and a pass in flight is over
    release(box)
    assert box.reconciler.wait_for_pass() is False
    assert registered(box) == first                           # nobody registers: only the old, gone pods
    assert visitor(box, host, PUBLIC_IP).status == 502
    box.kube.patch('deployments', APP, {'spec': {'replicas': 0}}, namespace(box))
    box.moto.client('elbv2').deregister_targets(TargetGroupArn=box.sites[0]['target_groups'][APP],
                                                Targets=[{'Id': ip, 'Port': 8080} for ip in first])
    assert visitor(box, host, PUBLIC_IP).status == 503          # an ALB with no registered target


def test_a_release_through_the_ingress_driver_reaches_internal_users_and_off_ends_on_the_new_version(tmp_path, sandbox):
    box = sandbox
    host = box.sites[0]['hosts'][0]
    wait_until_registered(box)
    book = Book(tmp_path, box)
    res = book.run('on')
    assert_ok(res)
    assert 'driver: ingress (auto:' in summary(res)

    old = release(box)
    new = wait_until_registered(box)                           # the controller runs and registers the new pods
    assert not set(new) & set(old)
    assert visitor(box, host, PUBLIC_IP).status == 503          # the public still gets the page
    office = visitor(box, host, OFFICE_IP)
    assert office.status == 200 and 'OK' in office.first_line
    assert office.headers[VERSION_HEADER] == NEW_IMAGE and office.headers[TARGET_HEADER] in new

    res = book.run('off')                                      # its bypass probe reaches the new pods
    assert_ok(res)
    assert 'maintenance off' in summary(res)
    public = visitor(box, host, PUBLIC_IP)
    assert public.status == 200 and public.headers[VERSION_HEADER] == NEW_IMAGE


def test_a_release_under_the_alb_driver_breaks_the_bypass_and_off_refuses_until_forced(tmp_path, sandbox):
    box = sandbox
    host = box.sites[0]['hosts'][0]
    wait_until_registered(box)
    book = Book(tmp_path, box, sorry_driver='alb')
    # The ALB driver writes the rules, then pauses the controller: a stand-in controller ticking every 50 ms would
    # race those writes (a real one reconciles on events, far more rarely), so it holds still until it is paused.
    box.reconciler.stop_acting()
    res = book.run('on')
    box.reconciler.resume_acting()
    assert_ok(res)
    assert controller_replicas(box) == 0                        # the ALB driver pauses the controller
    assert visitor(box, host, OFFICE_IP).status == 200
    assert box.reconciler.wait_for_pass() is False              # and a pass in flight is over

    old = release(box)
    assert box.reconciler.wait_for_pass() is False              # no controller pod: nothing registered
    assert registered(box) == old
    assert visitor(box, host, PUBLIC_IP).status == 503          # the page
    assert visitor(box, host, OFFICE_IP).status == 502          # the bypass: only the old pods, gone

    res = book.run('off')
    assert res.rc != 0
    assert ('Maintenance stays ON for %s: through the bypass (header X-Sorry-Bypass), %s answered HTTP 502. '
            'Fix the application first, or set sorry_force_off=true' % (box.sites[0]['name'], box.url_for(80) + '/')) \
        in failure(res), failure(res)
    assert controller_replicas(box) == 0 and registered(box) == old

    res = book.run('off', extra_vars={'sorry_force_off': True})
    assert_ok(res)
    assert controller_replicas(box) == 2                        # resumed: it registers the new pods
    new = wait_until_registered(box)
    assert len(new) == 3 and not set(new) & set(old)
    public = visitor(box, host, PUBLIC_IP)
    assert public.status == 200 and public.headers[VERSION_HEADER] == NEW_IMAGE and public.headers[TARGET_HEADER] in new
