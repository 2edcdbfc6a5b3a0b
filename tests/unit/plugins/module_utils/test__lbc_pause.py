import copy
import json

import pytest
import urllib3.exceptions as u3

from ansible_collections.sorrypage.aws.plugins.module_utils import _lbc_pause as lp
from ansible_collections.sorrypage.aws.plugins.module_utils import _lbc_record as rec
from ansible_collections.sorrypage.aws.plugins.module_utils._lbc_report import NOT_PAUSED, NOT_RESUMED

NS = 'kube-system'
NAME = 'aws-load-balancer-controller'


class ApiException(Exception):
    def __init__(self, status, reason=''):
        super(ApiException, self).__init__('(%s) %s' % (status, reason))
        self.status, self.reason, self.body = status, reason, None


def refused():
    return u3.MaxRetryError(None, '/', reason=u3.NewConnectionError(None, 'Failed to establish a new connection: Connection refused'))


class FakeApi:
    """One controller Deployment; pods go after ``pod_lists`` lists; faults by method, in call order."""

    def __init__(self, replicas=2, annotations=None, pod_lists=1, available_after=1):
        self.dep = {'metadata': {'name': NAME, 'namespace': NS, 'resourceVersion': '1', 'generation': 1,
                                 'labels': {'app.kubernetes.io/name': NAME}, 'annotations': dict(annotations or {})},
                    'spec': {'replicas': replicas, 'selector': {'matchLabels': {'app.kubernetes.io/name': NAME}},
                             'template': {'metadata': {'labels': {'app.kubernetes.io/name': NAME}},
                                          'spec': {'containers': [{'args': ['--cluster-name=prod']}]}}},
                    'status': {'availableReplicas': replicas, 'observedGeneration': 1}}
        self.pod_lists = pod_lists
        self.available_after = available_after
        self.faults = {}
        self.calls = []
        self.writes = []
        self.before_patch = None

    def _call(self, method):
        self.calls.append(method)
        queue = self.faults.get(method)
        if queue:
            fault = queue.pop(0)
            if fault is not None:
                raise fault

    def find_deployments(self, namespace, selector):
        self._call('find_deployments')
        return [copy.deepcopy(self.dep)]

    def get_deployment(self, namespace, name):
        self._call('get_deployment')
        if self.available_after > 0:
            self.available_after -= 1
        else:
            self.dep['status'] = {'availableReplicas': self.dep['spec']['replicas'], 'observedGeneration': self.dep['metadata']['generation']}
        return copy.deepcopy(self.dep)

    def write(self, patch):
        """What the API server does with a merge patch (no precondition check)."""
        annotations = self.dep['metadata']['annotations']
        for key, value in (patch.get('metadata') or {}).get('annotations', {}).items():
            if value is None:
                annotations.pop(key, None)
            else:
                annotations[key] = value
        if 'spec' in patch:
            self.dep['spec'].update(patch['spec'])
            self.dep['metadata']['generation'] += 1
            self.dep['status'] = {'availableReplicas': 0, 'observedGeneration': self.dep['metadata']['generation'] - 1}
        self.dep['metadata']['resourceVersion'] = str(int(self.dep['metadata']['resourceVersion']) + 1)

    def patch_deployment(self, namespace, name, patch, dry_run=False):
        if self.before_patch:
            hook, self.before_patch = self.before_patch, None
            hook(self)
        self._call('patch_deployment')
        if patch['metadata']['resourceVersion'] != self.dep['metadata']['resourceVersion']:
            self.writes.append(409)
            raise ApiException(409, 'Conflict')
        self.writes.append(200)
        if dry_run:
            return copy.deepcopy(self.dep)
        body = copy.deepcopy(patch)
        del body['metadata']['resourceVersion']
        self.write(body)
        return copy.deepcopy(self.dep)

    def list_pods(self, namespace, selector):
        self._call('list_pods')
        self.pod_lists -= 1
        return [{'metadata': {'name': 'lbc-b'}}, {'metadata': {'name': 'lbc-a'}}] if self.pod_lists >= 0 else []

    def list_services(self, namespace):
        self._call('list_services')
        return []

    def list_webhook_configurations(self, kind):
        self._call('list_webhook_configurations')
        return []

    def record(self):
        return {k: v for k, v in self.dep['metadata']['annotations'].items() if k.startswith('sorrypage.aws/')}


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds


def ctx(site='shop', mode='auto', **kwargs):
    clock = Clock()
    values = dict(site=site, mode=mode, controller_managed=True, cluster_name='prod', where='context prod', wait_timeout=10,
                  poll_interval=1.0, attempts=5, clock=clock, sleep=clock.sleep, now=lambda: '2026-12-01T00:00:00Z')
    values.update(kwargs)
    return lp.Context(**values)


def run(api, state, **kwargs):
    return lp.run(lambda: api, ctx(**kwargs), state)


def ok(api, state, **kwargs):
    outcome, failure = run(api, state, **kwargs)
    assert failure is None, failure
    return outcome


def test_pause_records_scales_and_waits_until_the_pods_are_gone():
    api = FakeApi(pod_lists=3)
    out = ok(api, 'paused')
    assert out.changed is True
    assert out.result['action'] == 'paused' and out.result['replicas_recorded'] == 2 and out.result['holders'] == ['shop']
    assert out.result['wait_polls'] == 4 and out.result['reapply'] is True
    assert api.writes == [200] and api.dep['spec']['replicas'] == 0
    assert api.record() == {rec.KEY_REPLICAS: '2', rec.KEY_HOLDERS: '["shop"]', rec.KEY_AT: '2026-12-01T00:00:00Z'}
    assert out.banner[0] == '=' * 100 and 'PAUSED' in out.banner[1]


def test_holders_join_and_leave_and_the_last_one_out_restores_the_count():
    api = FakeApi()
    assert ok(api, 'paused', site='shop').result['action'] == 'paused'
    joined = ok(api, 'paused', site='blog').result
    assert joined['action'] == 'already_paused' and joined['holders'] == ['shop', 'blog'] and joined['replicas_recorded'] == 2
    again = ok(api, 'paused', site='blog')
    assert again.changed is False and api.writes == [200, 200]
    left = ok(api, 'resumed', site='shop').result
    assert (left['action'], left['holders']) == ('still_held', ['blog']) and api.dep['spec']['replicas'] == 0
    not_holder = ok(api, 'resumed', site='shop')
    assert (not_holder.result['action'], not_holder.changed) == ('not_paused', False)
    last = ok(api, 'resumed', site='blog').result
    assert (last['action'], last['replicas'], last['available_replicas']) == ('resumed', 2, 2)
    assert api.record() == {} and api.dep['spec']['replicas'] == 2
    nothing = ok(api, 'resumed', site='blog')
    assert (nothing.result['action'], nothing.changed) == ('nothing_recorded', False)
    assert api.writes == [200, 200, 200, 200]


@pytest.mark.parametrize('conflicts', [1, 2, 4])
@pytest.mark.parametrize('state, site, annotations, replicas', [
    ('paused', 'shop', {}, 2),
    ('paused', 'blog', {rec.KEY_REPLICAS: '2', rec.KEY_HOLDERS: '["shop"]', rec.KEY_AT: 'T'}, 0),
    ('resumed', 'shop', {rec.KEY_REPLICAS: '2', rec.KEY_HOLDERS: '["shop", "blog"]', rec.KEY_AT: 'T'}, 0),
    ('resumed', 'shop', {rec.KEY_REPLICAS: '2', rec.KEY_HOLDERS: '["shop"]', rec.KEY_AT: 'T'}, 0),
])
def test_409_on_every_write_is_reread_and_retried(conflicts, state, site, annotations, replicas):
    api = FakeApi(replicas=replicas, annotations=annotations)
    api.faults['patch_deployment'] = [ApiException(409, 'Conflict')] * conflicts
    out = ok(api, state, site=site)
    assert api.calls.count('patch_deployment') == conflicts + 1
    assert api.calls.count('get_deployment') >= conflicts, 'every retry reads the Deployment again'
    assert out.changed is True


@pytest.mark.parametrize('state, note', [('paused', NOT_PAUSED), ('resumed', NOT_RESUMED)])
def test_endless_conflicts_give_up_saying_what_was_left_undone(state, note):
    api = FakeApi(annotations={rec.KEY_REPLICAS: '2', rec.KEY_HOLDERS: '["other", "shop"]'} if state == 'resumed' else {})
    api.faults['patch_deployment'] = [ApiException(409, 'Conflict')] * 5
    outcome, failure = run(api, state)
    assert outcome is None
    assert failure == ('Gave up writing the pause record on kube-system/aws-load-balancer-controller after 5 conflicting writes '
                       '(409 Conflict: something else keeps changing the Deployment, a GitOps tool?). ' + note)
    assert api.writes == [] and api.calls.count('patch_deployment') == 5


def test_a_site_pausing_between_our_read_and_write_is_kept():
    """Another site writes after our read: the precondition fails, we read again and join its record."""
    api = FakeApi()

    def other_site_pauses(fake):
        fake.write({'metadata': {'annotations': {rec.KEY_REPLICAS: '2', rec.KEY_HOLDERS: '["blog"]', rec.KEY_AT: 'T0'}},
                    'spec': {'replicas': 0}})
    api.before_patch = other_site_pauses
    out = ok(api, 'paused', site='shop')
    assert api.writes == [409, 200]
    assert json.loads(api.record()[rec.KEY_HOLDERS]) == ['blog', 'shop']
    assert api.record()[rec.KEY_REPLICAS] == '2' and api.record()[rec.KEY_AT] == 'T0'
    assert out.result['action'] == 'already_paused'


def test_a_site_resuming_between_our_read_and_write_leaves_us_the_last_one_out():
    api = FakeApi(replicas=0, annotations={rec.KEY_REPLICAS: '2', rec.KEY_HOLDERS: '["blog", "shop"]', rec.KEY_AT: 'T0'})

    def other_site_leaves(fake):
        fake.write({'metadata': {'annotations': {rec.KEY_HOLDERS: '["shop"]'}}})
    api.before_patch = other_site_leaves
    out = ok(api, 'resumed', site='shop')
    assert api.writes == [409, 200]
    assert out.result['action'] == 'resumed' and api.record() == {} and api.dep['spec']['replicas'] == 2


@pytest.mark.parametrize('fault, state, mode, expected', [
    (ApiException(401, 'Unauthorized'), 'paused', 'true',
     'Could not pause the AWS Load Balancer Controller: the Kubernetes API refused the credentials (HTTP 401 or an auth plugin '
     'failure) (HTTP 401 Unauthorized). ' + NOT_PAUSED),
    (ApiException(403, 'Forbidden'), 'resumed', 'true',
     'Could not resume the AWS Load Balancer Controller: the Kubernetes API refused the credentials (HTTP 403 or an auth plugin '
     'failure) (HTTP 403 Forbidden). ' + NOT_RESUMED),
    (ApiException(503, 'Service Unavailable'), 'paused', 'auto',
     'Could not pause the AWS Load Balancer Controller: the Kubernetes API cannot be reached (HTTP 503 Service Unavailable). '
     + NOT_PAUSED + ' With sorry_eks_outage true, an unreachable API only leaves the pause pending.'),
    (ApiException(500, 'Internal Server Error'), 'paused', 'true',
     'Could not pause the AWS Load Balancer Controller: a Kubernetes API call failed (HTTP 500 Internal Server Error). ' + NOT_PAUSED),
    (u3.MaxRetryError(None, '/', reason=u3.SSLError('certificate verify failed')), 'resumed', 'true', None),
])
def test_each_failure_class_fails_with_what_was_left_undone(fault, state, mode, expected):
    api = FakeApi()
    api.faults['find_deployments'] = [fault]
    outcome, failure = run(api, state, mode=mode)
    assert outcome is None
    if expected is None:
        assert failure.startswith('Could not resume the AWS Load Balancer Controller: the TLS connection to the Kubernetes API failed (')
        assert failure.endswith(NOT_RESUMED)
    else:
        assert failure == expected
    assert api.writes == []


@pytest.mark.parametrize('state, head', [('paused', 'CONTROLLER PAUSE PENDING'), ('resumed', 'CONTROLLER RESUME PENDING')])
@pytest.mark.parametrize('where', ['find_deployments', 'patch_deployment'])
def test_unreachable_api_in_outage_mode_is_pending(state, head, where):
    api = FakeApi(annotations={rec.KEY_REPLICAS: '2', rec.KEY_HOLDERS: '["shop"]'} if state == 'resumed' else {})
    api.faults[where] = [refused()]
    out = ok(api, state, mode='true')
    assert (out.result['action'], out.result['pending'], out.changed) == ('pending', True, False)
    assert out.result['warnings'][0].startswith(head + ': the Kubernetes API cannot be reached (MaxRetryError: ')
    assert 'Connection refused' in out.result['warnings'][0]
    assert out.banner[0] == '!' * 100


def test_unreachable_api_in_auto_mode_fails():
    api = FakeApi()
    api.faults['list_pods'] = [refused()]
    outcome, failure = run(api, 'paused', mode='auto')
    assert outcome is None and failure.startswith('Could not pause the AWS Load Balancer Controller: the Kubernetes API cannot be reached')


def test_the_client_configuration_failing_is_a_failure_even_in_outage_mode():
    config = pytest.importorskip('kubernetes.config.config_exception')

    def broken():
        raise config.ConfigException('Invalid kube-config file. No configuration found.')
    outcome, failure = lp.run(broken, ctx(mode='true'), 'paused')
    assert outcome is None
    assert failure.startswith('Could not pause the AWS Load Balancer Controller: the Kubernetes client configuration could not be '
                              'used (kubeconfig or context) (ConfigException: Invalid kube-config file.')


def test_status_never_fails_on_a_cluster_problem():
    api = FakeApi()
    api.faults['find_deployments'] = [ApiException(403, 'Forbidden')]
    out = ok(api, 'status')
    assert out.result['action'] == 'unknown'
    assert out.result['warnings'] == ['Could not read the AWS Load Balancer Controller (context prod): the Kubernetes API refused the '
                                      'credentials (HTTP 403 or an auth plugin failure) (HTTP 403 Forbidden).']
    assert out.result['read_problem'] == 'auth'


def test_webhooks_unreadable_do_not_stop_the_pause():
    api = FakeApi()
    api.faults['list_services'] = [ApiException(403, 'Forbidden')]
    out = ok(api, 'paused')
    assert out.result['action'] == 'paused'
    assert out.result['warnings'][0].startswith('Could not read the webhook configurations (HTTP 403 Forbidden)')


def test_pods_outliving_the_wait_fail_unless_outage_mode():
    api = FakeApi(pod_lists=100)
    outcome, failure = run(api, 'paused', wait_timeout=3)
    assert outcome is None
    assert failure == ('kube-system/aws-load-balancer-controller is scaled to zero (recorded 2 replicas), but 2 of its pods are still '
                       'there after 3 s (lbc-a, lbc-b): they may still reconcile. ' + NOT_PAUSED)
    assert api.calls.count('list_pods') == 4, 'polled at 0, 1, 2 and 3 s'
    tolerant = ok(api, 'paused', mode='true', wait_timeout=3).result
    assert tolerant['action'] == 'already_paused' and tolerant['reapply'] is True
    assert any(w.startswith('2 pods of the controller are still there after 3 s (lbc-a, lbc-b)') for w in tolerant['warnings'])


def test_controller_not_available_after_resume():
    api = FakeApi(replicas=0, annotations={rec.KEY_REPLICAS: '2', rec.KEY_HOLDERS: '["shop"]'}, available_after=100)
    outcome, failure = run(api, 'resumed', wait_timeout=2)
    assert outcome is None
    assert failure.startswith('The Sorry rules are off and the pause record is removed: kube-system/aws-load-balancer-controller was '
                              'scaled back to 2 replicas, but 0 are available after 2 s.')
    assert api.record() == {} and api.dep['spec']['replicas'] == 2


def test_a_record_of_the_first_version_is_resumed():
    api = FakeApi(replicas=0, annotations={rec.KEY_REPLICAS: '3', rec.KEY_HOLDERS: '["shop", "blog"]',
                                           rec.KEY_AT: '2026-11-29T21:00:00Z'})
    status = ok(api, 'status').result
    assert (status['action'], status['holders'], status['paused_at']) == ('paused', ['shop', 'blog'], '2026-11-29T21:00:00Z')
    assert ok(api, 'resumed', site='shop').result['action'] == 'still_held'
    assert api.record() == {rec.KEY_REPLICAS: '3', rec.KEY_HOLDERS: '["blog"]', rec.KEY_AT: '2026-11-29T21:00:00Z'}
    assert ok(api, 'resumed', site='blog').result['replicas'] == 3 and api.dep['spec']['replicas'] == 3


def test_a_damaged_record_is_refused_before_any_write():
    api = FakeApi(annotations={rec.KEY_REPLICAS: 'two'})
    outcome, failure = run(api, 'paused')
    assert outcome is None and api.writes == []
    assert failure.startswith("The record on kube-system/aws-load-balancer-controller is damaged: annotation "
                              "sorrypage.aws/paused-replicas is 'two', not a replica count. Nothing was changed.")
    assert ok(api, 'status').result['warnings'][0].startswith('The record on kube-system/aws-load-balancer-controller is damaged')


def test_check_mode_writes_only_as_a_dry_run_and_does_not_wait():
    api = FakeApi()
    out = ok(api, 'paused', check_mode=True)
    assert out.result['action'] == 'paused' and out.result['holders'] == ['shop'] and out.changed is True
    assert api.record() == {} and api.dep['spec']['replicas'] == 2 and 'list_pods' not in api.calls


def test_wrong_cluster_is_refused_before_any_write():
    api = FakeApi()
    outcome, failure = run(api, 'paused', cluster_name='stage')
    assert outcome is None and api.writes == []
    assert failure == ('Refused to pause kube-system/aws-load-balancer-controller (context prod): it serves cluster prod, but the ALB '
                       'belongs to cluster stage (tag elbv2.k8s.aws/cluster): wrong kube context? Nothing was changed in the cluster. '
                       + NOT_PAUSED)


@pytest.mark.parametrize('mode, managed', [('false', True), ('auto', False), ('no', True)])
def test_nothing_to_do_makes_no_client(mode, managed):
    def no_client():
        raise AssertionError('no Kubernetes client may be made')
    for state in ('paused', 'resumed', 'status'):
        outcome, failure = lp.run(no_client, ctx(mode=mode, controller_managed=managed), state)
        assert failure is None and outcome.result['action'] == 'not_needed'


@pytest.mark.parametrize('value, mode', [(True, 'true'), (False, 'false'), ('yes', 'true'), ('OFF', 'false'), ('1', 'true'),
                                         (None, 'auto'), ('auto', 'auto')])
def test_parse_mode(value, mode):
    assert lp.parse_mode(value) == mode


def test_parse_mode_refuses_anything_else():
    with pytest.raises(ValueError) as err:
        lp.parse_mode('sometimes')
    assert str(err.value) == "sorry_eks_outage must be auto, true or false, not 'sometimes'"


@pytest.mark.parametrize('state, note', [('paused', NOT_PAUSED), ('resumed', NOT_RESUMED)])
def test_a_failure_nothing_classifies_still_says_what_was_left_undone(state, note):
    api = FakeApi()
    api.faults['find_deployments'] = [ValueError('host must start with https://')]
    context = ctx(mode='true')
    outcome, failure = lp.run(lambda: api, context, state)
    assert outcome is None
    assert failure == ('Could not %s the AWS Load Balancer Controller: a Kubernetes API call failed (ValueError: host must start '
                       'with https://). %s' % (state[:-1] if state == 'paused' else 'resume', note))
    assert 'ValueError' in context.traceback


def test_status_says_so_for_a_failure_nothing_classifies():
    api = FakeApi()
    api.faults['find_deployments'] = [ValueError('bad host')]
    out = ok(api, 'status')
    assert out.result['action'] == 'unknown'
    assert out.result['warnings'] == ['Could not read the AWS Load Balancer Controller (context prod): a Kubernetes API call failed '
                                      '(ValueError: bad host).']
    assert out.result['read_problem'] == 'other'


def test_a_pending_result_names_the_deployment_found_before_the_api_went_away():
    api = FakeApi()
    api.faults['patch_deployment'] = [refused()]
    out = ok(api, 'paused', mode='true')
    assert out.result['action'] == 'pending' and out.result['deployment'] == 'kube-system/aws-load-balancer-controller'


DEP_ID = '%s/%s' % (NS, NAME)


def test_a_controller_already_at_zero_is_recorded_at_zero_and_never_scaled_up():
    api = FakeApi(replicas=0, pod_lists=0)
    paused = ok(api, 'paused').result
    assert (paused['action'], paused['replicas_recorded'], paused['replicas'], paused['reapply']) == ('paused', 0, 0, False)
    assert api.record()[rec.KEY_REPLICAS] == '0'
    assert 'the controller was already at 0 replicas with no record before this pause: recorded 0, so `off` leaves it at 0' \
        in paused['warnings']
    generation = api.dep['metadata']['generation']
    resumed = ok(api, 'resumed').result
    assert (resumed['action'], resumed['replicas_recorded'], resumed['replicas'], resumed['warnings']) == ('resumed', 0, 0, [])
    assert resumed['message'] == ('Released the last hold on %s: it was at 0 replicas before the pause, so it stays at 0; pause '
                                  'record removed.' % DEP_ID)
    assert api.dep['spec']['replicas'] == 0 and api.record() == {} and api.dep['metadata']['generation'] == generation
    assert 'get_deployment' not in api.calls, 'nothing to wait for at 0'


@pytest.mark.parametrize('recorded, by_hand', [(0, 1), (2, 1), (2, 3)])
def test_status_names_both_numbers_when_someone_scaled_it_while_paused(recorded, by_hand):
    api = FakeApi(replicas=by_hand, annotations={rec.KEY_REPLICAS: str(recorded), rec.KEY_HOLDERS: '["shop"]', rec.KEY_AT: 'T'})
    status = ok(api, 'status').result
    assert (status['action'], status['replicas_recorded'], status['replicas']) == ('paused', recorded, by_hand)
    assert status['warnings'] == [
        'DRIFT: the pause record and %s disagree: the record (held by shop) says paused, restore %d replicas at `off`, but it runs '
        'with %d replicas now, not 0 (scaled by hand, GitOps or Helm?): it deletes the Sorry rules at its next reconcile. Run `on` '
        'again to pause it; the last `off` sets it to %d as recorded.' % (DEP_ID, recorded, by_hand, recorded)]
    assert api.writes == []


@pytest.mark.parametrize('recorded, by_hand, action', [(0, 1, 'set it to 0'), (2, 1, 'set it to 2'), (2, 2, 'kept it at 2')])
def test_off_does_what_the_record_says_with_a_warning_naming_both_numbers(recorded, by_hand, action):
    api = FakeApi(replicas=by_hand, annotations={rec.KEY_REPLICAS: str(recorded), rec.KEY_HOLDERS: '["shop"]', rec.KEY_AT: 'T'})
    out = ok(api, 'resumed')
    assert (out.result['action'], out.result['replicas_recorded'], out.result['replicas']) == ('resumed', recorded, recorded)
    assert out.result['warnings'] == [
        'the controller was at %d replicas at `off`, not 0, although the pause record says it was paused with %d replicas to '
        'restore (scaled by hand, GitOps or Helm while paused?): `off` did what the record says, %s' % (by_hand, recorded, action)]
    assert api.dep['spec']['replicas'] == recorded and api.record() == {} and api.writes == [200]
    if recorded == 0:
        assert out.result['message'] == ('Released the last hold on %s: it was at 0 replicas before the pause, so it is set back to '
                                         '0 (not left at 1); pause record removed.' % DEP_ID)


def test_a_site_leaving_while_another_holds_warns_when_the_controller_runs_again():
    api = FakeApi(replicas=1, annotations={rec.KEY_REPLICAS: '0', rec.KEY_HOLDERS: '["shop", "blog"]', rec.KEY_AT: 'T'})
    out = ok(api, 'resumed')
    assert (out.result['action'], out.result['holders'], out.result['replicas']) == ('still_held', ['blog'], 1)
    assert out.result['warnings'] == [
        'DRIFT: the pause record and %s disagree: the record (held by blog) says paused, restore 0 replicas at `off`, but it runs '
        'with 1 replicas now, not 0 (scaled by hand, GitOps or Helm?): it deletes the Sorry rules at its next reconcile. Run `on` '
        'again for blog to pause it.' % DEP_ID]
    assert api.dep['spec']['replicas'] == 1 and api.record()[rec.KEY_HOLDERS] == '["blog"]'


class RepausedApi(FakeApi):
    """The Deployment never becomes available; at the ``at``-th read while waiting another site has paused it again."""

    def __init__(self, at, **kwargs):
        super(RepausedApi, self).__init__(**kwargs)
        self.at = at
        self.available_after = 10 ** 6

    def get_deployment(self, namespace, name):
        self.at -= 1
        if self.at == 0:
            self.write({'metadata': {'annotations': {rec.KEY_REPLICAS: '2', rec.KEY_HOLDERS: '["blog"]', rec.KEY_AT: 'T2'}},
                        'spec': {'replicas': 0}})
        return super(RepausedApi, self).get_deployment(namespace, name)


def test_the_last_one_out_stops_waiting_when_another_site_pauses_it_again():
    api = RepausedApi(at=3, replicas=0, annotations={rec.KEY_REPLICAS: '2', rec.KEY_HOLDERS: '["shop"]', rec.KEY_AT: 'T'})
    out = ok(api, 'resumed')
    assert (out.result['action'], out.result['replicas_recorded'], out.result['replicas']) == ('resumed', 2, 0)
    assert out.result['message'] == ('Released the last hold on %s and scaled it back to 2 replicas; blog paused it again '
                                     'meanwhile.' % DEP_ID)
    assert out.result['warnings'] == [
        'while `off` waited for %s to be back at 2 replicas, blog paused it again (their `on` recorded the count anew): not '
        'waited for; it stays paused until their `off`' % DEP_ID]
    assert api.calls.count('get_deployment') == 3, 'stopped waiting at the read that saw the new record'


def test_the_last_one_out_still_fails_when_the_controller_does_not_come_back_and_nobody_paused_it():
    api = RepausedApi(at=-1, replicas=0, annotations={rec.KEY_REPLICAS: '2', rec.KEY_HOLDERS: '["shop"]', rec.KEY_AT: 'T'})
    outcome, failure = run(api, 'resumed')
    assert outcome is None and failure.startswith('The Sorry rules are off and the pause record is removed: %s was scaled back to '
                                                  '2 replicas, but 0 are available after 10 s.' % DEP_ID)


@pytest.mark.parametrize('count, problem', [(0, 'none_found'), (2, 'several_found')])
def test_status_says_why_the_controller_could_not_be_identified(count, problem):
    api = FakeApi()
    found = [copy.deepcopy(api.dep)] * count
    api.find_deployments = lambda namespace, selector: found
    out = ok(api, 'status')
    assert (out.result['action'], out.result['read_problem']) == ('unknown', problem)


def test_status_of_a_kubeconfig_that_cannot_be_used_says_config():
    from kubernetes import config

    def broken():
        raise config.ConfigException('Invalid kube-config file. Expected object with name nope in contexts list')
    outcome, failure = lp.run(broken, ctx(), 'status')
    assert failure is None
    assert (outcome.result['action'], outcome.result['read_problem']) == ('unknown', 'config')


def test_status_read_says_no_problem():
    assert ok(FakeApi(), 'status').result['read_problem'] == ''
