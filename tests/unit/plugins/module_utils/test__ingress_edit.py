# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _ingress_edit as edit
from ansible_collections.sorrypage.aws.plugins.module_utils import _ingress_plan as plan

TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/k8s-shop-web-0a1b2c3d4e/0123456789abcdef'
SECRET = 'hunter2-very-secret'
BODY = '<h1>Back soon</h1>'
A = 'alb.ingress.kubernetes.io/'
SETS = [{'hosts': ['shop.example.com'], 'body': BODY, 'source_ips': ['10.0.0.0/8'],
         'http_headers': [{'name': 'X-Bypass', 'values': [SECRET]}], 'target_groups': [TG]}]


class ApiException(Exception):
    def __init__(self, status, reason='', message=''):
        super(ApiException, self).__init__('(%s) %s' % (status, reason))
        self.status, self.reason = status, reason
        self.body = json.dumps({'message': message}) if message else None


class FakeApi:
    """Ingresses as plain dicts, keyed namespace/name; JSON patches applied as the API server does
    (a failed ``test`` is a 422). ``conflicts``: write numbers (1-based) answered 409;
    ``before_write``: {write number: hook(api)} run before that write (someone else's edit)."""

    def __init__(self, ingresses=()):
        self.objects = {}
        self.rv = 100
        for ing in ingresses:
            self.put(ing)
        self.writes = []
        self.conflicts = set()
        self.before_write = {}
        self.refuse = {}
        self.fail_list = None

    def put(self, ing):
        ing = copy.deepcopy(ing)
        self.rv += 1
        ing['metadata']['resourceVersion'] = str(self.rv)
        self.objects[plan.ingress_key(ing)] = ing
        return copy.deepcopy(ing)

    def _write(self, kind, key):
        number = len(self.writes) + 1
        self.writes.append((kind, key))
        hook = self.before_write.pop(number, None)
        if hook:
            hook(self)
        if number in self.conflicts:
            raise ApiException(409, 'Conflict', 'Operation cannot be fulfilled on ingresses "%s"' % key)
        if number in self.refuse:
            raise self.refuse[number]

    def list_ingresses(self, namespace=None):
        if self.fail_list:
            raise self.fail_list
        return [copy.deepcopy(i) for k, i in sorted(self.objects.items()) if namespace in (None, k.split('/')[0])]

    def get_ingress(self, namespace, name):
        found = self.objects.get('%s/%s' % (namespace, name))
        return copy.deepcopy(found) if found else None

    def patch_ingress(self, namespace, name, ops):
        key = '%s/%s' % (namespace, name)
        self._write('patch', key)
        try:
            new = edit.apply_patch(self.objects[key], ops)
        except (ValueError, KeyError, IndexError) as exc:
            raise ApiException(422, 'Invalid', 'the server rejected our request due to an error in our request: %s' % exc)
        return self.put(new)

    def create_ingress(self, namespace, manifest):
        key = '%s/%s' % (namespace, manifest['metadata']['name'])
        self._write('create', key)
        if key in self.objects:
            raise ApiException(409, 'AlreadyExists', 'ingresses "%s" already exists' % key)
        return self.put(manifest)

    def delete_ingress(self, namespace, name, resource_version=None):
        key = '%s/%s' % (namespace, name)
        self._write('delete', key)
        if key not in self.objects:
            return False
        if resource_version and self.objects[key]['metadata']['resourceVersion'] != resource_version:
            raise ApiException(409, 'Conflict', 'the ResourceVersion in the precondition does not match')
        del self.objects[key]
        return True


def ingress(name='web', namespace='shop', annotations=None, rules=None):
    meta = {'name': name, 'namespace': namespace, 'resourceVersion': '1'}
    if annotations is not None:
        meta['annotations'] = annotations
    return {'apiVersion': 'networking.k8s.io/v1', 'kind': 'Ingress', 'metadata': meta,
            'spec': {'ingressClassName': 'alb', 'rules': rules if rules is not None else [
                {'host': 'shop.example.com', 'http': {'paths': [
                    {'path': '/', 'pathType': 'Prefix',
                     'backend': {'service': {'name': name, 'port': {'number': 80}}}}]}}]}}


def member(name, namespace, order=None, group='shop'):
    annotations = {A + 'group.name': group, A + 'listen-ports': '[{"HTTP": 80}]'}
    if order is not None:
        annotations[A + 'group.order'] = str(order)
    return ingress(name, namespace, annotations=annotations)


def run(api, state='present', sets=None, **kwargs):
    kwargs.setdefault('stack', 'shop/web' if 'ingresses' not in kwargs else None)
    ctx = edit.Context(state, sets=(sets or SETS) if state in edit.BUILDING else None, **kwargs)
    result, diff, failure = edit.run(lambda: api, ctx)
    blob = json.dumps([result, diff, failure])
    assert SECRET not in blob  # never a header value, anywhere
    return result, diff, failure


def ok(api, state='present', **kwargs):
    result, diff, failure = run(api, state, **kwargs)
    assert failure is None, failure
    return result, diff


def without_rv(ing):
    ing = copy.deepcopy(ing)
    del ing['metadata']['resourceVersion']
    return ing


# ------------------------------------------------------------ in place

def test_present_in_place_puts_our_entry_first_then_rerun_writes_nothing():
    api = FakeApi([ingress()])
    result, _diff = ok(api)
    assert result['changed'] is True and result['shape'] == 'in_place' and result['ingresses'] == ['shop/web']
    assert api.writes == [('patch', 'shop/web')]
    web = api.objects['shop/web']
    names = [p['backend']['service']['name'] for p in web['spec']['rules'][0]['http']['paths']]
    assert names == ['sorrypage-h0-bypass0', 'sorrypage-h0-bypass1', 'sorrypage-h0-sorry']
    assert web['spec']['rules'][1]['http']['paths'][0]['backend']['service']['name'] == 'web'
    assert SECRET in web['metadata']['annotations'][A + 'conditions.sorrypage-h0-bypass1']  # the controller needs it
    assert result['patches'][0]['action'] == 'patch' and result['patches'][0]['patch'][0]['op'] == 'test'
    assert result['maintenance'] == 'on' and result['drift']['shop/web']['drifted'] is False
    assert result['record']['shop/web']['prefix'] == 'sorrypage'
    assert result['message'] == 'Sorry page through shop/web: on (wrote shop/web).'

    again, _diff = ok(api)
    assert again['changed'] is False and again['patches'] == [] and again['ingresses'] == []
    assert len(api.writes) == 1
    assert again['message'] == 'Sorry page through shop/web: already on; nothing written.'


def test_round_trip_leaves_the_ingress_exactly_as_before():
    original = ingress(annotations={'team': 'shop'})
    api = FakeApi([original])
    before = without_rv(api.objects['shop/web'])
    ok(api)
    half, _diff = ok(api, 'sorry_absent')
    assert half['changed'] is True and half['maintenance'] == 'bypass_only'
    paths = api.objects['shop/web']['spec']['rules'][0]['http']['paths']
    assert [p['backend']['service']['name'] for p in paths] == ['sorrypage-h0-bypass0', 'sorrypage-h0-bypass1']
    assert A + 'actions.sorrypage-h0-sorry' not in api.objects['shop/web']['metadata']['annotations']
    assert ok(api, 'sorry_absent')[0]['changed'] is False
    off, _diff = ok(api, 'absent')
    assert off['changed'] is True and off['maintenance'] == 'off' and off['record'] == {'shop/web': None}
    assert without_rv(api.objects['shop/web']) == before
    assert ok(api, 'absent')[0]['changed'] is False
    assert len(api.writes) == 3


def test_round_trip_removes_the_containers_we_created():
    api = FakeApi([ingress()])  # no annotations at all
    before = without_rv(api.objects['shop/web'])
    ok(api)
    ok(api, 'absent')
    assert without_rv(api.objects['shop/web']) == before


def test_a_409_is_reread_and_retried():
    api = FakeApi([ingress()])
    api.conflicts = {1}
    result, _diff = ok(api)
    assert result['changed'] is True and result['conflicts'] == 1
    assert api.writes == [('patch', 'shop/web'), ('patch', 'shop/web')]
    assert result['maintenance'] == 'on'


def test_an_edit_made_between_read_and_write_fails_the_test_and_survives_the_replan():
    api = FakeApi([ingress()])

    def someone_else(fake):
        ing = fake.objects['shop/web']
        ing['metadata'].setdefault('annotations', {})['deploy'] = 'v2'
        fake.put(ing)
    api.before_write = {1: someone_else}
    result, _diff = ok(api)
    assert result['conflicts'] == 1 and len(api.writes) == 2
    web = api.objects['shop/web']
    assert web['metadata']['annotations']['deploy'] == 'v2'
    assert web['spec']['rules'][0]['http']['paths'][-1]['backend']['service']['name'] == 'sorrypage-h0-sorry'


def test_gives_up_after_three_rereads_and_says_so():
    api = FakeApi([ingress()])
    api.conflicts = {1, 2, 3, 4, 5}
    result, _diff, failure = run(api)
    assert result is None
    assert len(api.writes) == 4
    assert failure.startswith('Gave up on Ingress shop/web after 4 writes: each met a newer version of it')
    assert failure.endswith('Nothing was changed. The Sorry page is not on through the Ingress.')
    assert 'sorrypage' not in json.dumps(api.objects['shop/web'])


def test_a_422_on_an_unchanged_ingress_is_a_refusal_not_a_conflict():
    api = FakeApi([ingress()])
    api.refuse = {1: ApiException(422, 'Invalid', 'admission webhook "vingress.elbv2.k8s.aws" denied the request: %s' % SECRET)}
    result, _diff, failure = run(api)
    assert result is None and len(api.writes) == 1
    assert failure.startswith('a Kubernetes API call failed: HTTP 422 Invalid: admission webhook "vingress.elbv2.k8s.aws" '
                              'denied the request: ********.')
    assert failure.endswith('The Sorry page is not on through the Ingress.')


@pytest.mark.parametrize('sets, expected', [
    ([dict(SETS[0], body='x' * 1025)], 'sets[0].body is 1025 characters, 1 over the 1024-character limit'),
    ([dict(SETS[0], target_groups=[])], 'sets[0]: a bypass (source_ips or http_headers) needs target_groups'),
    ([dict(SETS[0], source_ips=['10.0.0.0/33'])], 'sets[0].source_ips'),
])
def test_bad_input_fails_before_any_write_naming_it(sets, expected):
    api = FakeApi([ingress()])
    result, _diff, failure = run(api, sets=sets)
    assert result is None and api.writes == []
    assert expected in failure and failure.endswith('Nothing was changed.')


def test_regex_path_ingress_is_refused_before_any_write():
    api = FakeApi([ingress(annotations={A + 'use-regex-path-match': 'true'})])
    _result, _diff, failure = run(api)
    assert api.writes == []
    assert "switch this site with the alb driver" in failure


def test_several_ingresses_without_a_group_all_planned_before_the_first_write():
    api = FakeApi([ingress('api'), ingress('web', annotations={A + 'use-regex-path-match': 'true'})])
    _result, _diff, failure = run(api, ingresses=['shop/api', 'shop/web'])
    assert api.writes == [] and 'Ingress shop/web sets' in failure
    api.objects['shop/web']['metadata']['annotations'] = {}
    result, _diff = ok(api, ingresses=['shop/api', 'shop/web'])
    assert result['ingresses'] == ['shop/api', 'shop/web'] and len(api.writes) == 2


def test_check_mode_writes_nothing_and_shows_the_redacted_change():
    api = FakeApi([ingress()])
    result, diff = ok(api, check_mode=True, diff=True)
    assert api.writes == [] and result['changed'] is True and result['ingresses'] == ['shop/web']
    assert result['message'] == 'Sorry page through shop/web: on (would write shop/web).'
    added = diff['after']['shop/web']['metadata']['annotations'][A + 'conditions.sorrypage-h0-bypass1']
    assert json.loads(added)[0]['httpHeaderConfig']['values'] == ['********']
    assert diff['before']['shop/web'] == json.loads(json.dumps(api.objects['shop/web']))
    redacted = [op for op in result['patches'][0]['patch'] if op['path'].endswith('conditions.sorrypage-h0-bypass1')]
    assert json.loads(redacted[0]['value'])[0]['httpHeaderConfig']['values'] == ['********']


def test_missing_ingress_of_the_stack():
    api = FakeApi([])
    _result, _diff, failure = run(api, where='context sandbox')
    assert failure == ("stack shop/web: Ingress shop/web is not in context sandbox; check the ALB's ingress.k8s.aws/stack "
                       'tag and the context. Nothing was changed.')
    result, _diff = ok(api, 'absent')
    assert result['changed'] is False and result['maintenance'] == 'off'


# ------------------------------------------------------------ an IngressGroup

def group_api():
    return FakeApi([member('web', 'shop', order=10), member('api', 'payments', order=-5),
                    ingress('other', 'misc')])


def test_group_present_creates_ours_in_the_first_members_namespace_and_touches_no_user_ingress():
    api = group_api()
    users = copy.deepcopy(api.objects)
    result, _diff = ok(api, stack='shop')
    assert result['shape'] == 'group' and result['group'] == 'shop'
    assert result['our_ingress'] == 'payments/sorrypage-maintenance'  # group.order -5 comes before 10
    assert api.writes == [('create', 'payments/sorrypage-maintenance')]
    ours = api.objects['payments/sorrypage-maintenance']
    assert ours['metadata']['annotations'][A + 'group.order'] == '-1000'
    assert ours['metadata']['annotations'][A + 'listen-ports'] == '[{"HTTP":80}]'
    for key, value in users.items():
        assert api.objects[key] == value
    assert result['patches'][0]['action'] == 'create'
    assert '********' in result['patches'][0]['manifest']['metadata']['annotations'][A + 'conditions.sorrypage-h0-bypass1']

    again, _diff = ok(api, stack='shop')
    assert again['changed'] is False and len(api.writes) == 1


def test_group_update_sorry_absent_then_absent():
    api = group_api()
    ok(api, stack='shop')
    changed, diff = ok(api, stack='shop', sets=[dict(SETS[0], body='<h1>Later</h1>')], diff=True)
    assert changed['patches'][0]['action'] == 'update' and api.writes[-1] == ('patch', 'payments/sorrypage-maintenance')
    assert '<h1>Later</h1>' in json.dumps(diff['after']) and '<h1>Later</h1>' not in json.dumps(diff['before'])
    half, _diff = ok(api, 'sorry_absent', stack='shop')
    assert half['maintenance'] == 'bypass_only' and half['our_ingress'] == 'payments/sorrypage-maintenance'
    ours = api.objects['payments/sorrypage-maintenance']
    assert [p['backend']['service']['name'] for p in ours['spec']['rules'][0]['http']['paths']] == [
        'sorrypage-h0-bypass0', 'sorrypage-h0-bypass1']
    off, _diff = ok(api, 'absent', stack='shop')
    assert off['patches'] == [{'ingress': 'payments/sorrypage-maintenance', 'action': 'delete'}]
    assert 'payments/sorrypage-maintenance' not in api.objects and off['our_ingress'] is None
    assert ok(api, 'absent', stack='shop')[0]['changed'] is False


def test_group_sorry_absent_without_a_bypass_deletes_ours():
    api = group_api()
    ok(api, stack='shop', sets=[{'hosts': ['shop.example.com'], 'body': BODY}])
    result, _diff = ok(api, 'sorry_absent', stack='shop')
    assert result['patches'][0]['action'] == 'delete' and 'payments/sorrypage-maintenance' not in api.objects


def test_group_existing_ours_stays_where_it_is():
    api = group_api()
    ok(api, stack='shop')
    api.objects['shop/web']['metadata']['annotations'][A + 'group.order'] = '-20'
    result, _diff = ok(api, stack='shop', sets=[dict(SETS[0], body='<p>x</p>')])
    assert result['our_ingress'] == 'payments/sorrypage-maintenance'
    assert 'shop/sorrypage-maintenance' not in api.objects


def test_group_refuses_a_member_at_minus_1000_before_any_write():
    api = FakeApi([member('web', 'shop', order=-1000)])
    _result, _diff, failure = run(api, stack='shop')
    assert api.writes == []
    assert failure.startswith('shop/web already use alb.ingress.kubernetes.io/group.order -1000')
    assert failure.endswith('Nothing was changed.')


def test_group_without_members():
    api = FakeApi([ingress('other', 'misc')])
    _result, _diff, failure = run(api, stack='shop', where='context sandbox')
    assert failure.startswith('IngressGroup shop has no Ingress in context sandbox')


def test_group_create_conflict_rereads_and_updates_what_appeared():
    api = group_api()

    def someone_created(fake):
        manifest = plan.our_ingress([fake.objects['shop/web']], 'payments', [dict(SETS[0], body='<p>old</p>')])
        fake.put(manifest)
    api.before_write = {1: someone_created}
    result, _diff = ok(api, stack='shop')
    assert result['conflicts'] == 1
    assert api.writes == [('create', 'payments/sorrypage-maintenance'), ('patch', 'payments/sorrypage-maintenance')]
    assert BODY in api.objects['payments/sorrypage-maintenance']['metadata']['annotations'][A + 'actions.sorrypage-h0-sorry']


def test_group_delete_conflict_is_retried():
    api = group_api()
    ok(api, stack='shop')
    api.conflicts = {2}
    result, _diff = ok(api, 'absent', stack='shop')
    assert result['conflicts'] == 1 and 'payments/sorrypage-maintenance' not in api.objects


def test_explicit_ingresses_of_a_group_use_the_group_shape():
    api = group_api()
    result, _diff = ok(api, ingresses=['shop/web'])
    assert result['shape'] == 'group' and result['our_ingress'] == 'payments/sorrypage-maintenance'


@pytest.mark.parametrize('keys, expected', [
    (['shop/web', 'misc/other'], 'ingresses: shop/web, misc/other are not all in the same IngressGroup ((no group), shop)'),
    (['shop/nope'], 'ingresses: Ingress shop/nope is not in the current kube context.'),
])
def test_explicit_ingresses_refusals(keys, expected):
    api = group_api()
    _result, _diff, failure = run(api, ingresses=keys)
    assert failure.startswith(expected) and api.writes == []


# ------------------------------------------------------------ status, inputs, errors

def test_status_reports_drift_and_ours():
    api = FakeApi([ingress()])
    ok(api)
    api.objects['shop/web']['spec']['rules'].pop(0)  # a helm upgrade replaced the spec
    result, _diff = ok(api, 'status')
    assert result['changed'] is False and len(api.writes) == 1
    assert result['drift']['shop/web']['missing_rules'] == ['shop.example.com']
    assert result['message'] == 'Sorry page through shop/web: on. Our edit drifted in shop/web: run `on` again.'

    group = group_api()
    assert ok(group, 'status', stack='shop')[0]['our_ingress'] is None
    ok(group, stack='shop')
    status, _diff = ok(group, 'status', stack='shop')
    assert status['our_ingress'] == 'payments/sorrypage-maintenance' and status['maintenance'] == 'on'


@pytest.mark.parametrize('kwargs, expected', [
    ({'stack': None}, 'give either stack'),
    ({'stack': 'shop', 'ingresses': ['shop/web']}, 'not both'),
    ({'stack': 'a/b/c'}, "stack: 'a/b/c' is not namespace/name"),
    ({'stack': None, 'ingresses': ['web']}, "ingresses: 'web' is not namespace/name"),
])
def test_inputs_checked_before_any_call(kwargs, expected):
    made = []
    ctx = edit.Context('present', sets=SETS, **kwargs)
    result, _diff, failure = edit.run(lambda: made.append(1), ctx)
    assert result is None and made == [] and expected in failure


def test_api_errors_are_classified_and_say_what_was_left_undone():
    api = group_api()
    api.fail_list = ApiException(403, 'Forbidden', 'ingresses is forbidden: cannot list resource "ingresses"')
    _result, _diff, failure = run(api, stack='shop')
    assert failure == ('the Kubernetes API refused the credentials (HTTP 403 or an auth plugin failure): HTTP 403 Forbidden: '
                       'ingresses is forbidden: cannot list resource "ingresses". Nothing was changed. '
                       'The Sorry page is not on through the Ingress.')


def test_scrub_and_secrets_of():
    assert edit.secrets_of(SETS + [{'http_headers': [{'name': 'X', 'values': ['ab', SECRET]}]}]) == [SECRET, 'ab']
    assert edit.scrub({'k': ['x %s y' % SECRET]}, [SECRET]) == {'k': ['x ******** y']}


def test_apply_patch_test_op_fails_on_another_version():
    with pytest.raises(ValueError):
        edit.apply_patch({'metadata': {'resourceVersion': '2'}}, [{'op': 'test', 'path': '/metadata/resourceVersion', 'value': '1'}])


def test_group_check_mode_creates_nothing_and_diffs_from_nothing():
    api = group_api()
    result, diff = ok(api, stack='shop', check_mode=True, diff=True)
    assert api.writes == [] and result['changed'] is True and result['patches'][0]['action'] == 'create'
    assert diff['before'] == {'payments/sorrypage-maintenance': {}}
    assert diff['after']['payments/sorrypage-maintenance']['metadata']['labels'] == {plan.MANAGED_BY_LABEL: plan.MANAGED_BY}
    assert 'payments/sorrypage-maintenance' not in api.objects


def test_an_ingress_gone_during_the_retry_is_said():
    api = FakeApi([ingress()])

    def gone(fake):
        del fake.objects['shop/web']
    api.before_write = {1: gone}
    api.conflicts = {1}
    _result, _diff, failure = run(api)
    assert failure == ('Ingress shop/web disappeared while it was being edited. Nothing was changed. '
                       'The Sorry page is not on through the Ingress.')


# ------------------------------------------------------------ ClusterApi's Ingress calls

class FakeResource:
    def __init__(self, raise_404=False):
        self.calls = []
        self.raise_404 = raise_404

    def _answer(self, method, kwargs):
        self.calls.append((method, kwargs))
        if self.raise_404:
            raise ApiException(404, 'Not Found')
        return {'items': [{'metadata': {'name': 'web'}}]} if method == 'get' and 'name' not in kwargs else {'ok': method}

    def get(self, **kwargs):
        return self._answer('get', kwargs)

    def patch(self, **kwargs):
        return self._answer('patch', kwargs)

    def create(self, **kwargs):
        return self._answer('create', kwargs)

    def delete(self, **kwargs):
        return self._answer('delete', kwargs)


class FakeClient:
    def __init__(self, resource):
        self.resource_calls = []
        self._resource = resource

    def resource(self, kind, api_version):
        self.resource_calls.append((kind, api_version))
        return self._resource


def test_cluster_api_ingress_calls():
    from ansible_collections.sorrypage.aws.plugins.module_utils._k8s_api import ClusterApi
    resource = FakeResource()
    client = FakeClient(resource)
    api = ClusterApi(client)
    assert api.list_ingresses() == [{'metadata': {'name': 'web'}}]
    api.list_ingresses('shop')
    api.patch_ingress('shop', 'web', [{'op': 'test'}])
    api.create_ingress('shop', {'metadata': {'name': 'x'}})
    assert api.delete_ingress('shop', 'x', '7') is True
    assert client.resource_calls == [('Ingress', 'networking.k8s.io/v1')]  # looked up once
    assert resource.calls == [
        ('get', {}), ('get', {'namespace': 'shop'}),
        ('patch', {'body': [{'op': 'test'}], 'name': 'web', 'namespace': 'shop',
                   'content_type': 'application/json-patch+json'}),
        ('create', {'body': {'metadata': {'name': 'x'}}, 'namespace': 'shop'}),
        ('delete', {'name': 'x', 'namespace': 'shop', 'body': {
            'apiVersion': 'v1', 'kind': 'DeleteOptions', 'preconditions': {'resourceVersion': '7'}}})]
    gone = ClusterApi(FakeClient(FakeResource(raise_404=True)))
    assert gone.get_ingress('shop', 'web') is None
    assert gone.delete_ingress('shop', 'web') is False
    with pytest.raises(ApiException):
        gone.patch_ingress('shop', 'web', [])


def test_group_member_with_our_name_but_not_ours_is_refused():
    api = FakeApi([member('web', 'shop'), member('sorrypage-maintenance', 'shop')])
    _result, _diff, failure = run(api, stack='shop')
    assert api.writes == []
    assert failure == ('Ingress shop/sorrypage-maintenance is in IngressGroup shop but is not ours (no label '
                       'app.kubernetes.io/managed-by=sorrypage.aws): choose another name_prefix. Nothing was changed.')


# ------------------------------------------------------------ markers and info in the record, status never fails

MARKER = '8b8902a8aa'
INFO = {'sorrypage:by': 'alice', 'sorrypage:why': 'db upgrade', 'sorrypage:until': '06:00 UTC',
        'sorrypage:at': '2026-12-02T04:00:00Z'}
MARKED = [dict(SETS[0], marker=MARKER)]


@pytest.mark.parametrize('stack, key', [('shop/web', 'shop/web'), ('shop', 'payments/sorrypage-maintenance')])
def test_markers_and_info_are_recorded_and_returned_in_every_state(stack, key):
    api = FakeApi([ingress()]) if stack == 'shop/web' else group_api()
    on, _diff = ok(api, sets=MARKED, info=INFO, stack=stack)
    assert on['readable'] is True and on['error'] is None
    assert on['markers'] == [MARKER] and on['info'] == INFO
    record = json.loads(api.objects[key]['metadata']['annotations'][plan.RECORD_ANNOTATION])
    assert record['markers'] == [MARKER] and record['info'] == INFO
    for state in ('status', 'sorry_absent', 'absent'):  # absent: from the record as read, before it went
        result, _diff = ok(api, state, stack=stack)
        assert (result['readable'], result['markers'], result['info']) == (True, [MARKER], INFO), state
    assert ok(api, 'status', stack=stack)[0]['markers'] == []


@pytest.mark.parametrize('stack', ['shop/web', 'shop'])
def test_rerun_with_another_start_time_writes_nothing_and_keeps_the_first(stack):
    api = FakeApi([ingress()]) if stack == 'shop/web' else group_api()
    ok(api, sets=MARKED, info=INFO, stack=stack)
    writes = len(api.writes)
    again, _diff = ok(api, sets=MARKED, info=dict(INFO, **{'sorrypage:at': '2026-12-02T05:59:00Z'}), stack=stack)
    assert again['changed'] is False and len(api.writes) == writes
    assert again['info']['sorrypage:at'] == INFO['sorrypage:at']


@pytest.mark.parametrize('stack', ['shop/web', 'shop'])
def test_another_info_value_is_written_with_the_first_start_time(stack):
    api = FakeApi([ingress()]) if stack == 'shop/web' else group_api()
    ok(api, sets=MARKED, info=INFO, stack=stack)
    writes = len(api.writes)
    longer = dict(INFO, **{'sorrypage:until': '08:00 UTC', 'sorrypage:at': '2026-12-02T05:59:00Z'})
    again, _diff = ok(api, sets=MARKED, info=longer, stack=stack)
    assert again['changed'] is True and len(api.writes) == writes + 1
    assert again['info'] == dict(INFO, **{'sorrypage:until': '08:00 UTC'})


def test_bad_info_fails_before_any_call_in_every_state():
    for state in edit.STATES:
        made = []
        ctx = edit.Context(state, stack='shop/web', sets=SETS, info={'sorrypage:until': 6}, preview_path='/_sorry-preview')
        result, _diff, failure = edit.run(lambda: made.append(1), ctx)
        assert result is None and made == []
        assert failure == "info['sorrypage:until'] is int, not a string: quote it. Nothing was changed."


def refused():
    urllib3 = pytest.importorskip('urllib3')
    reason = urllib3.exceptions.NewConnectionError(None, 'Failed to establish a new connection: [Errno 111] '
                                                         'Connection refused')
    return urllib3.exceptions.MaxRetryError(None, '/version', reason)


def _unreadable(result, diff, failure):
    assert failure is None and diff is None
    assert result['readable'] is False and result['changed'] is False and result['maintenance'] == 'unknown'
    assert result['record'] == {} and result['drift'] == {} and result['markers'] == [] and result['info'] == {}
    assert result['changed_during'] == {} and result['gitops'] == []
    return result['error']


def test_status_when_the_api_cannot_be_reached_says_so_and_does_not_fail():
    def make_api():
        raise refused()
    ctx = edit.Context('status', stack='shop/web', where='context prod')
    error = _unreadable(*edit.run(make_api, ctx))
    assert error.startswith('Could not read stack shop/web in context prod: the Kubernetes API cannot be reached: '
                            'MaxRetryError: ')
    assert 'Connection refused' in error
    # the other states keep failing
    result, _diff, failure = edit.run(make_api, edit.Context('absent', stack='shop/web'))
    assert result is None and failure.startswith('the Kubernetes API cannot be reached: MaxRetryError')


def test_status_forbidden_says_so_and_does_not_fail():
    api = group_api()
    api.fail_list = ApiException(403, 'Forbidden', 'ingresses is forbidden: cannot list resource "ingresses"')
    error = _unreadable(*run(api, 'status', stack='shop'))
    assert error == ('Could not read stack shop in the current kube context: the Kubernetes API refused the '
                     'credentials (HTTP 403 or an auth plugin failure): HTTP 403 Forbidden: ingresses is forbidden: '
                     'cannot list resource "ingresses".')


def test_status_of_a_missing_explicit_ingress_says_so_and_does_not_fail():
    error = _unreadable(*run(FakeApi([ingress()]), 'status', ingresses=['shop/web', 'shop/gone']))
    assert error.startswith('ingresses: Ingress shop/gone is not in the current kube context.')


def test_status_still_fails_on_bad_input_and_on_a_bug_of_ours():
    result, _diff, failure = edit.run(FakeApi, edit.Context('status', stack='a/b/c'))
    assert result is None and "stack: 'a/b/c' is not namespace/name" in failure

    def broken():
        raise TypeError('unexpected keyword')
    result, _diff, failure = edit.run(broken, edit.Context('status', stack='shop/web'))
    assert result is None and failure.startswith('a Kubernetes API call failed: TypeError: unexpected keyword')


def test_no_answer_before_the_deadline_is_unreadable_for_status_and_a_failure_otherwise():
    def make_api():
        raise edit.NoAnswer('the Kubernetes API did not answer within 20 seconds')
    error = _unreadable(*edit.run(make_api, edit.Context('status', stack='shop', where='context prod')))
    assert error == 'Could not read stack shop in context prod: the Kubernetes API did not answer within 20 seconds.'
    result, _diff, failure = edit.run(make_api, edit.Context('absent', stack='shop', where='context prod'))
    assert result is None and failure == ('Could not read stack shop in context prod: the Kubernetes API did not '
                                          'answer within 20 seconds. Nothing was changed. The maintenance is still '
                                          'in the Ingress.')


# ------------------------------------------------------------ the always-on preview

PREVIEW = '/_sorry-preview'


def preview(api, state='preview_present', **kwargs):
    if state == 'preview_present':
        kwargs.setdefault('preview_path', PREVIEW)
    return ok(api, state, **kwargs)


def entries(ing):
    """[backend names] of each spec.rules entry, in order."""
    return [[(p['backend'].get('service') or {}).get('name') for p in r['http']['paths']] for r in ing['spec']['rules']]


MAINTENANCE = ['sorrypage-h0-bypass0', 'sorrypage-h0-bypass1', 'sorrypage-h0-sorry']


def test_preview_in_place_then_present_then_off_keeps_it_and_preview_absent_restores_the_ingress():
    api = FakeApi([ingress(annotations={'team': 'shop'})])
    before = without_rv(api.objects['shop/web'])
    result, _diff = preview(api)
    assert result['changed'] is True and result['maintenance'] == 'off'
    assert result['preview'] == {'path': PREVIEW, 'hosts': ['shop.example.com']}
    assert result['message'] == 'Sorry page through shop/web: preview in at /_sorry-preview (wrote shop/web).'
    web = api.objects['shop/web']
    assert entries(web) == [['sorrypage-h0-preview'], ['web']]
    assert web['spec']['rules'][0]['http']['paths'][0]['path'] == PREVIEW
    assert preview(api)[0]['changed'] is False and len(api.writes) == 1

    on, _diff = ok(api)
    assert on['maintenance'] == 'on' and on['preview'] == result['preview']
    assert entries(api.objects['shop/web']) == [['sorrypage-h0-preview'], MAINTENANCE, ['web']]
    assert ok(api)[0]['changed'] is False
    assert preview(api)[0]['changed'] is False
    half, _diff = ok(api, 'sorry_absent')
    assert half['maintenance'] == 'bypass_only' and half['preview'] == result['preview']
    off, _diff = ok(api, 'absent')
    assert off['maintenance'] == 'off' and off['preview'] == result['preview']
    assert entries(api.objects['shop/web']) == [['sorrypage-h0-preview'], ['web']]
    assert ok(api, 'absent')[0]['changed'] is False
    status, _diff = ok(api, 'status')
    assert status['maintenance'] == 'off' and status['preview'] == result['preview']
    assert status['message'] == 'Sorry page through shop/web: off. Preview at /_sorry-preview.'

    gone, _diff = preview(api, 'preview_absent')
    assert gone['changed'] is True and gone['preview'] is None and gone['record'] == {'shop/web': None}
    assert without_rv(api.objects['shop/web']) == before
    assert preview(api, 'preview_absent')[0]['changed'] is False
    assert len(api.writes) == 5  # preview, present, sorry_absent, absent, preview_absent


def test_preview_absent_leaves_a_maintenance_as_it_is():
    api = FakeApi([ingress()])
    ok(api)
    maintained = without_rv(api.objects['shop/web'])
    preview(api)
    assert entries(api.objects['shop/web']) == [['sorrypage-h0-preview'], MAINTENANCE, ['web']]
    result, _diff = preview(api, 'preview_absent')
    assert result['maintenance'] == 'on' and result['preview'] is None
    assert without_rv(api.objects['shop/web']) == maintained


def test_preview_check_mode_and_diff_write_nothing_and_show_no_secret():
    api = FakeApi([ingress()])
    ok(api)
    result, diff = preview(api, check_mode=True, diff=True)
    assert result['changed'] is True and len(api.writes) == 1
    assert result['message'] == 'Sorry page through shop/web: preview in at /_sorry-preview (would write shop/web).'
    assert entries(diff['after']['shop/web']) == [['sorrypage-h0-preview'], MAINTENANCE, ['web']]
    shown = diff['after']['shop/web']['metadata']['annotations'][A + 'conditions.sorrypage-h0-bypass1']
    assert json.loads(shown)[0]['httpHeaderConfig']['values'] == ['********']  # run() checked SECRET is nowhere


def test_preview_409_is_reread_and_retried():
    api = FakeApi([ingress()])
    api.conflicts = {1}
    result, _diff = preview(api)
    assert result['conflicts'] == 1 and result['preview']['path'] == PREVIEW
    assert api.writes == [('patch', 'shop/web'), ('patch', 'shop/web')]


@pytest.mark.parametrize('kwargs, expected', [
    ({}, 'state=preview_present needs preview_path (a secret path like /_sorry-preview).'),
    ({'preview_path': '/_sorry/*'}, "preview_path '/_sorry/*' holds a wildcard (* or ?)"),
    ({'preview_path': '/' + 'x' * 200}, "preview_path is 201 characters, over the ALB's 128-character limit"),
])
def test_bad_preview_path_fails_before_any_call_naming_it(kwargs, expected):
    made = []
    ctx = edit.Context('preview_present', stack='shop/web', sets=SETS, **kwargs)
    result, _diff, failure = edit.run(lambda: made.append(1), ctx)
    assert result is None and made == [] and expected in failure and failure.endswith('Nothing was changed.')


def test_preview_present_needs_sets():
    ctx = edit.Context('preview_present', stack='shop/web', preview_path=PREVIEW)
    assert 'state=preview_present needs sets' in edit.check_inputs(ctx)


def test_group_preview_then_present_then_absent_keeps_ours_until_preview_absent():
    api = group_api()
    users = copy.deepcopy(api.objects)
    result, _diff = preview(api, stack='shop')
    assert result['our_ingress'] == 'payments/sorrypage-maintenance' and result['maintenance'] == 'off'
    assert api.writes == [('create', 'payments/sorrypage-maintenance')]
    ours = api.objects['payments/sorrypage-maintenance']
    assert entries(ours) == [['sorrypage-h0-preview']]
    assert ours['metadata']['annotations'][A + 'group.order'] == '-1000'
    assert preview(api, stack='shop')[0]['changed'] is False

    on, _diff = ok(api, stack='shop')
    assert on['patches'][0]['action'] == 'update' and on['preview']['path'] == PREVIEW
    assert entries(api.objects['payments/sorrypage-maintenance']) == [['sorrypage-h0-preview'], MAINTENANCE]
    assert ok(api, stack='shop')[0]['changed'] is False
    assert preview(api, stack='shop')[0]['changed'] is False
    ok(api, 'sorry_absent', stack='shop')
    off, _diff = ok(api, 'absent', stack='shop')
    assert off['patches'][0]['action'] == 'update' and off['our_ingress'] == 'payments/sorrypage-maintenance'
    assert off['maintenance'] == 'off' and off['preview']['path'] == PREVIEW
    assert entries(api.objects['payments/sorrypage-maintenance']) == [['sorrypage-h0-preview']]
    assert ok(api, 'absent', stack='shop')[0]['changed'] is False

    gone, _diff = preview(api, 'preview_absent', stack='shop')
    assert gone['patches'] == [{'ingress': 'payments/sorrypage-maintenance', 'action': 'delete'}]
    assert 'payments/sorrypage-maintenance' not in api.objects
    assert sorted(api.objects) == sorted(users)
    for key, value in users.items():
        assert api.objects[key] == value
    assert preview(api, 'preview_absent', stack='shop')[0]['changed'] is False


def test_group_preview_absent_during_a_maintenance_keeps_ours_with_the_maintenance():
    api = group_api()
    ok(api, stack='shop')
    maintained = without_rv(api.objects['payments/sorrypage-maintenance'])
    preview(api, stack='shop')
    assert entries(api.objects['payments/sorrypage-maintenance']) == [['sorrypage-h0-preview'], MAINTENANCE]
    result, _diff = preview(api, 'preview_absent', stack='shop')
    assert result['patches'][0]['action'] == 'update' and result['maintenance'] == 'on'
    assert without_rv(api.objects['payments/sorrypage-maintenance']) == maintained
    # a maintenance alone: preview_absent has nothing to take out
    assert preview(api, 'preview_absent', stack='shop')[0]['changed'] is False


# ------------------------------------------------------------ what else changed, who else manages it

HELM_TOKEN = 'annotation-secret-9d2e'


def helm_upgrade(api, key='shop/web'):
    """What a helm upgrade during the window does: an annotation added, another changed, a host added."""
    ing = copy.deepcopy(api.objects[key])
    ing['metadata']['annotations'][A + 'healthcheck-path'] = '/healthz'
    ing['metadata']['annotations'][A + 'scheme'] = HELM_TOKEN
    ing['spec']['rules'].append({'host': 'api.example.com', 'http': {'paths': [
        {'path': '/', 'pathType': 'Prefix', 'backend': {'service': {'name': 'api', 'port': {'number': 80}}}}]}})
    api.put(ing)


EXPECTED_CHANGES = ['annotation %shealthcheck-path added' % A, 'annotation %sscheme changed' % A,
                    'spec.rules entry for host api.example.com added']


def test_what_a_release_changed_is_said_at_off_and_left_as_it_made_it():
    api = FakeApi([ingress(annotations={A + 'scheme': 'internet-facing'})])
    on, _diff = ok(api)
    assert on['changed_during'] == {} and 'Left as the release made it' not in on['message']
    helm_upgrade(api)
    look, _diff = ok(api, 'status')
    assert look['changed_during'] == {'shop/web': EXPECTED_CHANGES}
    half, _diff = ok(api, 'sorry_absent')
    assert half['changed_during'] == {'shop/web': EXPECTED_CHANGES}
    off, _diff = ok(api, 'absent')
    assert off['changed_during'] == {'shop/web': EXPECTED_CHANGES}
    assert off['message'].endswith(' Left as the release made it: shop/web: %s.' % ', '.join(EXPECTED_CHANGES))
    assert HELM_TOKEN not in json.dumps(off) and '/healthz' not in json.dumps(off['changed_during'])
    left = api.objects['shop/web']
    assert left['metadata']['annotations'] == {A + 'scheme': HELM_TOKEN, A + 'healthcheck-path': '/healthz'}
    assert [r['host'] for r in left['spec']['rules']] == ['shop.example.com', 'api.example.com']
    again, _diff = ok(api, 'status')
    assert again['changed_during'] == {}  # the record went with the maintenance


def test_nothing_is_said_when_nothing_else_changed_or_the_record_has_no_fingerprint():
    api = FakeApi([ingress(annotations={A + 'scheme': 'internet-facing'})])
    ok(api)
    assert ok(api, 'absent')[0]['changed_during'] == {}
    ok(api)
    ing = copy.deepcopy(api.objects['shop/web'])
    record = json.loads(ing['metadata']['annotations'][plan.RECORD_ANNOTATION])
    del record[plan.OTHERS_KEY]  # as 0.2.0 wrote it
    ing['metadata']['annotations'][plan.RECORD_ANNOTATION] = json.dumps(record)
    api.put(ing)
    helm_upgrade(api)
    off, _diff = ok(api, 'absent')
    assert off['changed_during'] == {} and 'Left as the release made it' not in off['message']


def test_a_rerun_of_present_keeps_the_fingerprint_of_the_first_write():
    api = FakeApi([ingress(annotations={A + 'scheme': 'internet-facing'})])
    ok(api)
    first = api.objects['shop/web']['metadata']['annotations'][plan.RECORD_ANNOTATION]
    helm_upgrade(api)
    writes = len(api.writes)
    assert ok(api)[0]['changed'] is False and len(api.writes) == writes  # the release left our edit in place
    assert api.objects['shop/web']['metadata']['annotations'][plan.RECORD_ANNOTATION] == first
    ok(api, sets=[dict(SETS[0], body='<h1>Later</h1>')])
    record = json.loads(api.objects['shop/web']['metadata']['annotations'][plan.RECORD_ANNOTATION])
    assert record[plan.OTHERS_KEY] == json.loads(first)[plan.OTHERS_KEY]
    assert ok(api, 'absent')[0]['changed_during'] == {'shop/web': EXPECTED_CHANGES}


def gitops_ingress(name='web', namespace='shop'):
    ing = ingress(name, namespace)
    ing['metadata']['labels'] = {'argocd.argoproj.io/instance': 'shop'}
    return ing


@pytest.mark.parametrize('state', ['present', 'status', 'sorry_absent', 'absent'])
def test_gitops_owners_of_an_ingress_edited_in_place_are_warned_about_in_every_state(state):
    api = FakeApi([gitops_ingress()])
    if state != 'present':
        ok(api)
    result, _diff = ok(api, state)
    assert result['gitops'] == [
        'shop/web is managed by Argo CD (application shop): a sync during the window replaces our edit and takes the '
        'Sorry page down; suspend auto-sync for the window (argocd app set shop --sync-policy none) or put the site in '
        'an IngressGroup, where our own Ingress is not tracked']


def test_gitops_warnings_come_before_any_write_even_in_check_mode():
    api = FakeApi([gitops_ingress()])
    result, _diff = ok(api, check_mode=True)
    assert api.writes == [] and len(result['gitops']) == 1


def test_group_shape_says_nothing_of_the_members_owners():
    api = FakeApi([dict(member('web', 'shop', order=10), metadata=dict(
        member('web', 'shop', order=10)['metadata'], labels={'argocd.argoproj.io/instance': 'shop',
                                                             'app.kubernetes.io/managed-by': 'Helm'}))])
    for state in ('present', 'status', 'absent'):
        result, _diff = ok(api, state, stack='shop')
        assert result['shape'] == 'group' and result['gitops'] == [] and result['changed_during'] == {}
