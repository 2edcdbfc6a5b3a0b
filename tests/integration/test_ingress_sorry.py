"""The ingress_sorry module through real ansible-playbook against the stand-in Kubernetes API.

The module talks to tests/sandbox/k8s_api.py with the kubeconfig it writes
(context ``sandbox``), as the lbc_pause tests do. The Ingresses are the
seeded ones (tests/sandbox/seed.py ``seed_ingress``: one Ingress without a
group, or an IngressGroup of two). One test lets the stand-in controller
(LbcReconciler in Ingress mode) turn the edit into listener rules on a moto
ALB and asks the data plane what a visitor gets.
"""
import copy
import datetime
import json
import socket

import pytest
import yaml

from tests.ansible_run import run_module, run_playbook
from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, DataPlane, request
from tests.sandbox.k8s_api import K8sApi
from tests.sandbox.lbc_reconciler import LbcReconciler
from tests.sandbox.sample_app import SampleApp
from tests.sandbox.seed import seed_ingress, seed_site, snapshot_listener

pytestmark = pytest.mark.sandbox_only

MODULE = 'sorrypage.aws.ingress_sorry'
SECRET = 'bypass-token-3f9c1d'
BODY = '<!doctype html><title>Maintenance</title><p>Back soon (ingress-sorry).</p>'
TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/k8s-ing-shopweb-0a1b2c3d4e/0123456789abcdef'
HOSTS = ['shop.example.test', 'blog.example.test']


@pytest.fixture
def kube(tmp_path):
    api = K8sApi(pod_delay=0).start()
    api.write_kubeconfig(str(tmp_path / 'kubeconfig'))
    yield api
    api.stop()


def fake_site(name, group=None):
    """What seed_ingress needs of a seeded site, without an ALB."""
    return {'name': name, 'controller_managed': True, 'stack': group or '%s/main' % name, 'hosts': HOSTS,
            'https': False, 'dns_name': '%s.elb.test' % name,
            'target_groups': {svc: TG for svc in ('shop-api', 'shop-web', 'blog-web')}}


def sets(office='%s/32' % OFFICE_IP, target_group=TG, body=BODY):
    return [{'hosts': [HOSTS[0]], 'body': body, 'source_ips': [office],
             'http_headers': [{'name': 'X-Sorry-Bypass', 'values': [SECRET]}], 'target_groups': [target_group]}]


def run(kube, state, check=False, diff=False, **args):
    args = dict(args, state=state, kubeconfig=kube.kubeconfig, context='sandbox')
    result = run_module(MODULE, args, check=check, diff=diff)
    assert SECRET not in json.dumps(result)  # never a header value, anywhere in the result
    return result


def ok(kube, state, **kwargs):
    result = run(kube, state, **kwargs)
    assert not result.get('failed'), result.get('msg') or result
    return result


def writes(kube):
    """(method, name, status) of every write request to an Ingress, in order."""
    return [(r.method, r.path.split('?')[0].rsplit('/', 1)[-1], r.status) for r in kube.request_log
            if r.method != 'GET' and '/ingresses' in r.path]


def comparable(ingress):
    """An Ingress without what the API server changes on every write."""
    ingress = copy.deepcopy(ingress)
    for key in ('resourceVersion', 'generation', 'managedFields'):
        ingress['metadata'].pop(key, None)
    return ingress


def test_in_place_on_off_round_trip_leaves_the_ingress_exactly_as_before(kube):
    seeded = seed_ingress(kube, fake_site('ing1'))
    stack = seeded['stack']
    before = comparable(kube.get('ingresses', 'main', 'ing1'))

    checked = ok(kube, 'present', check=True, diff=True, stack=stack, sets=sets())
    assert checked['changed'] is True and writes(kube) == []
    assert checked['ingresses'] == ['ing1/main'] and checked['shape'] == 'in_place'

    on = ok(kube, 'present', stack=stack, sets=sets())
    assert on['changed'] is True and on['maintenance'] == 'on'
    assert writes(kube) == [('PATCH', 'main', 200)]
    edited = kube.get('ingresses', 'main', 'ing1')
    first = edited['spec']['rules'][0]
    assert first['host'] == HOSTS[0]
    assert [p['backend']['service']['name'] for p in first['http']['paths']] == [
        'sorrypage-h0-bypass0', 'sorrypage-h0-bypass1', 'sorrypage-h0-sorry']
    assert edited['spec']['rules'][1:] == before['spec']['rules']
    assert 'sorrypage.aws/ingress-edit' in edited['metadata']['annotations']

    again = ok(kube, 'present', stack=stack, sets=sets())
    assert again['changed'] is False and len(writes(kube)) == 1

    half = ok(kube, 'sorry_absent', stack=stack)
    assert half['changed'] is True and half['maintenance'] == 'bypass_only'
    assert 'alb.ingress.kubernetes.io/actions.sorrypage-h0-sorry' not in kube.get('ingresses', 'main', 'ing1')['metadata']['annotations']
    off = ok(kube, 'absent', stack=stack)
    assert off['changed'] is True and off['maintenance'] == 'off'
    assert comparable(kube.get('ingresses', 'main', 'ing1')) == before
    assert ok(kube, 'absent', stack=stack)['changed'] is False
    assert len(writes(kube)) == 3


def test_what_a_helm_upgrade_changed_during_the_window_is_said_at_off_and_kept(kube):
    seeded = seed_ingress(kube, fake_site('ing9'))
    stack = seeded['stack']
    on = ok(kube, 'present', stack=stack, sets=sets())
    assert on['changed'] is True and on['changed_during'] == {} and on['gitops'] == []

    # a helm upgrade during the window: the release's marks, one annotation added, another changed
    kube.patch('ingresses', 'main', {'metadata': {
        'labels': {'app.kubernetes.io/managed-by': 'Helm'},
        'annotations': {'meta.helm.sh/release-name': 'ing9', 'alb.ingress.kubernetes.io/scheme': 'internal'}}},
        namespace='ing9')
    released = kube.get('ingresses', 'main', 'ing9')['metadata']

    off = ok(kube, 'absent', stack=stack)
    assert off['changed'] is True and off['maintenance'] == 'off'
    changes = ['annotation alb.ingress.kubernetes.io/scheme changed', 'annotation meta.helm.sh/release-name added']
    assert off['changed_during'] == {'ing9/main': changes}
    assert 'Left as the release made it: ing9/main: %s.' % ', '.join(changes) in off['message']
    assert 'internal' not in json.dumps(off['changed_during'])  # hashes, never values
    assert off['gitops'] == ['ing9/main is managed by Helm (release ing9): a helm upgrade during the window replaces '
                             'our edit and takes the Sorry page down; run `on` again after it']
    left = kube.get('ingresses', 'main', 'ing9')['metadata']
    # off took out only what we added (every key of ours holds 'sorrypage'); the release's edit stays
    assert left['annotations'] == dict((k, v) for k, v in released['annotations'].items() if 'sorrypage' not in k)
    assert left['annotations']['alb.ingress.kubernetes.io/scheme'] == 'internal'
    assert left['annotations']['meta.helm.sh/release-name'] == 'ing9'
    assert left['labels'] == {'app.kubernetes.io/managed-by': 'Helm'}


def test_a_409_is_reread_and_retried(kube):
    seeded = seed_ingress(kube, fake_site('ing2'))
    kube.inject_conflicts(1, plurals='ingresses')
    result = ok(kube, 'present', stack=seeded['stack'], sets=sets())
    assert result['conflicts'] == 1 and result['changed'] is True
    assert writes(kube) == [('PATCH', 'main', 409), ('PATCH', 'main', 200)]
    assert kube.get('ingresses', 'main', 'ing2')['spec']['rules'][0]['host'] == HOSTS[0]


def test_conflicts_that_never_end_fail_saying_so(kube):
    seeded = seed_ingress(kube, fake_site('ing3'))
    before = comparable(kube.get('ingresses', 'main', 'ing3'))
    kube.inject_conflicts(10, plurals='ingresses')
    result = run(kube, 'present', stack=seeded['stack'], sets=sets())
    assert result.get('failed') is True
    assert result['msg'].startswith('Gave up on Ingress ing3/main after 4 writes')
    assert [w[2] for w in writes(kube)] == [409] * 4
    assert comparable(kube.get('ingresses', 'main', 'ing3')) == before


def test_bad_input_fails_before_any_write(kube):
    seeded = seed_ingress(kube, fake_site('ing4'))
    result = run(kube, 'present', stack=seeded['stack'], sets=sets(body='x' * 1025))
    assert result.get('failed') is True and writes(kube) == []
    assert 'sets[0].body is 1025 characters, 1 over the 1024-character limit' in result['msg']


def test_group_gets_our_own_ingress_and_no_user_ingress_is_touched(kube):
    seeded = seed_ingress(kube, fake_site('ing5', group='main-group'))
    users = dict((key, comparable(kube.get('ingresses', key.split('/')[1], key.split('/')[0]))) for key in seeded['ingresses'])
    on = ok(kube, 'present', diff=True, stack='main-group', sets=sets())
    assert on['shape'] == 'group' and on['our_ingress'] == 'ing5/sorrypage-maintenance'
    assert writes(kube) == [('POST', 'ingresses', 201)]
    shown = on['diff']['after']['ing5/sorrypage-maintenance']['metadata']['annotations']
    assert json.loads(shown['alb.ingress.kubernetes.io/conditions.sorrypage-h0-bypass1'])[0]['httpHeaderConfig']['values'] == [
        '********']
    ours = kube.get('ingresses', 'sorrypage-maintenance', 'ing5')
    assert ours['metadata']['annotations']['alb.ingress.kubernetes.io/group.order'] == '-1000'
    assert ours['metadata']['annotations']['alb.ingress.kubernetes.io/group.name'] == 'main-group'
    assert ok(kube, 'present', stack='main-group', sets=sets())['changed'] is False
    status = ok(kube, 'status', stack='main-group')
    assert status['maintenance'] == 'on' and status['drift']['ing5/sorrypage-maintenance']['drifted'] is False
    ok(kube, 'sorry_absent', stack='main-group')
    ok(kube, 'absent', stack='main-group')
    assert kube.get('ingresses', 'sorrypage-maintenance', 'ing5') is None
    assert [w[0] for w in writes(kube)] == ['POST', 'PATCH', 'DELETE']
    for key, value in users.items():
        assert comparable(kube.get('ingresses', key.split('/')[1], key.split('/')[0])) == value


def test_the_controller_puts_the_page_in_front_and_off_restores_the_listener(moto, tmp_path):
    site = seed_site(moto, name='ingsorry', https=False)
    kube = K8sApi(pod_delay=0).start()
    try:
        kube.seed_lbc(cluster_name='sandbox')
        kube.write_kubeconfig(str(tmp_path / 'kubeconfig'))
        seeded = seed_ingress(kube, site)
        elbv2 = moto.client('elbv2')
        listener = site['listeners'][80]
        reconciler = LbcReconciler(kube, elbv2=elbv2, listener_arns=[listener], ingress_stack=seeded['stack'],
                                   target_groups=seeded['target_groups'])
        assert reconciler.tick() is True
        before = snapshot_listener(elbv2, listener)
        with SampleApp(name='shop-app') as app, \
                DataPlane(elbv2, listener, app.url, refresh_interval=None) as plane:
            url = plane.url_for(80) + '/cart'
            ok(kube, 'present', stack=site['stack'],
               sets=sets(target_group=site['target_groups']['shop-web']))
            assert reconciler.tick() is True and reconciler.errors == []
            plane.refresh()
            public = request(url, host=HOSTS[0], source_ip=PUBLIC_IP)
            assert (public.status, public.text) == (503, BODY)
            assert request(url, host=HOSTS[0], source_ip=OFFICE_IP).status == 200
            assert request(url, host=HOSTS[0], source_ip=PUBLIC_IP, headers={'X-Sorry-Bypass': SECRET}).status == 200
            assert request(url, host=HOSTS[1], source_ip=PUBLIC_IP).status == 200

            ok(kube, 'sorry_absent', stack=site['stack'])
            reconciler.tick()
            plane.refresh()
            assert request(url, host=HOSTS[0], source_ip=PUBLIC_IP).status == 200
            assert request(url, host=HOSTS[0], source_ip=OFFICE_IP).status == 200
            ok(kube, 'absent', stack=site['stack'])
            reconciler.tick()
        assert snapshot_listener(elbv2, listener) == before
    finally:
        kube.stop()


PREVIEW = '/_sorry-preview'


def test_the_preview_path_answers_the_page_any_day_and_nothing_else_changes(moto, tmp_path):
    site = seed_site(moto, name='ingprev', https=False)
    kube = K8sApi(pod_delay=0).start()
    try:
        kube.seed_lbc(cluster_name='sandbox')
        kube.write_kubeconfig(str(tmp_path / 'kubeconfig'))
        seeded = seed_ingress(kube, site)
        elbv2 = moto.client('elbv2')
        listener = site['listeners'][80]
        reconciler = LbcReconciler(kube, elbv2=elbv2, listener_arns=[listener], ingress_stack=seeded['stack'],
                                   target_groups=seeded['target_groups'])
        assert reconciler.tick() is True
        before = snapshot_listener(elbv2, listener)
        page = sets(target_group=site['target_groups']['shop-web'])
        with SampleApp(name='shop-app') as app, \
                DataPlane(elbv2, listener, app.url, refresh_interval=None) as plane:
            base = plane.url_for(80)

            def public(path, host=HOSTS[0], **kwargs):
                kwargs.setdefault('source_ip', PUBLIC_IP)
                return request(base + path, host=host, **kwargs)

            prepared = ok(kube, 'preview_present', stack=site['stack'], sets=page, preview_path=PREVIEW)
            assert prepared['changed'] is True and prepared['maintenance'] == 'off'
            assert prepared['preview'] == {'path': PREVIEW, 'hosts': [HOSTS[0]]}
            assert ok(kube, 'preview_present', stack=site['stack'], sets=page, preview_path=PREVIEW)['changed'] is False
            assert reconciler.tick() is True and reconciler.errors == []
            plane.refresh()
            seen = public(PREVIEW)
            assert (seen.status, seen.text) == (503, BODY)
            assert public('/cart').status == 200  # the application, as before
            assert public(PREVIEW + '/more').status == 200  # one exact path, nothing under it
            assert public(PREVIEW, host=HOSTS[1]).status == 200  # only the hosts of the sets

            # during the maintenance the preview path still answers the page, for the office too
            ok(kube, 'present', stack=site['stack'], sets=page)
            reconciler.tick()
            plane.refresh()
            assert public('/cart').status == 503
            assert public('/cart', source_ip=OFFICE_IP).status == 200
            assert public(PREVIEW, source_ip=OFFICE_IP).status == 503

            off = ok(kube, 'absent', stack=site['stack'])
            assert off['maintenance'] == 'off' and off['preview']['path'] == PREVIEW
            reconciler.tick()
            plane.refresh()
            assert public('/cart').status == 200
            assert (public(PREVIEW).status, public(PREVIEW).text) == (503, BODY)

            status = ok(kube, 'status', stack=site['stack'])
            assert status['maintenance'] == 'off' and status['preview'] == prepared['preview']
            assert ok(kube, 'preview_absent', stack=site['stack'])['preview'] is None
            reconciler.tick()
        assert snapshot_listener(elbv2, listener) == before
    finally:
        kube.stop()


def _closed_port():
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there any more: a connection is refused
    return port


def _seconds(duration):
    start, end = [datetime.datetime.strptime(duration[k], '%Y-%m-%dT%H:%M:%S.%fZ') for k in ('start', 'end')]
    return (end - start).total_seconds()


def _status_against(tmp_path, server):
    """Run state=status with a kubeconfig whose API is ``server``: (module result, seconds the task took)."""
    kubeconfig = tmp_path / 'kubeconfig'
    kubeconfig.write_text(json.dumps({
        'apiVersion': 'v1', 'kind': 'Config', 'current-context': 'gone',
        'clusters': [{'name': 'gone', 'cluster': {'server': server}}],
        'users': [{'name': 'gone-user', 'user': {'token': 'unused'}}],
        'contexts': [{'name': 'gone', 'context': {'cluster': 'gone', 'user': 'gone-user'}}]}))
    playbook = tmp_path / 'status.yml'
    playbook.write_text(yaml.safe_dump([{
        'hosts': 'localhost', 'gather_facts': False, 'connection': 'local',
        'tasks': [{'name': 'status', MODULE: {'state': 'status', 'stack': 'shop/web',
                                              'kubeconfig': str(kubeconfig), 'context': 'gone'}}]}]))
    ran = run_playbook(str(playbook), inventory='localhost,', timeout=120)
    assert ran.rc == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    result = ran.task('status', 'localhost')
    assert not result.get('failed'), result.get('msg')
    assert result['readable'] is False and result['maintenance'] == 'unknown' and result['changed'] is False
    assert result['record'] == {} and result['markers'] == [] and result['info'] == {}
    # the task's own time, without ansible-playbook's start
    return result, _seconds(ran.data['plays'][0]['tasks'][0]['task']['duration'])


def test_status_with_the_api_unreachable_returns_readable_false_promptly(tmp_path):
    result, seconds = _status_against(tmp_path, 'http://127.0.0.1:%d' % _closed_port())
    assert result['error'].startswith('Could not read stack shop/web in context gone: the Kubernetes API cannot be '
                                      'reached: '), result['error']
    assert 'Connection refused' in result['error'] and seconds < 15, (seconds, result['error'])

    silent = socket.socket()  # accepts connections (the kernel's backlog) and never answers
    silent.bind(('127.0.0.1', 0))
    silent.listen(16)
    try:
        result, seconds = _status_against(tmp_path, 'http://127.0.0.1:%d' % silent.getsockname()[1])
    finally:
        silent.close()
    assert result['error'] == ('Could not read stack shop/web in context gone: the Kubernetes API did not answer '
                               'within 20 seconds.')
    assert 19 < seconds < 35, seconds
