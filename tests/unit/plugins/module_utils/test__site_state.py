# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _info
from ansible_collections.sorrypage.aws.plugins.module_utils import _rules as R
from ansible_collections.sorrypage.aws.plugins.module_utils import _site_state as S
from ansible_collections.sorrypage.aws.plugins.module_utils import _tags

# Shapes as alb_sorry_info returns them, built by the same code (_info) from
# DescribeRules-like records.
BALANCER = {'LoadBalancerArn': 'arn:lb/shop', 'LoadBalancerName': 'k8s-shop', 'DNSName': 'k8s-shop.elb.test',
            'Scheme': 'internet-facing', 'IpAddressType': 'ipv4'}
MANAGED = {'elbv2.k8s.aws/cluster': 'prod'}
TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/k8s-shop-web-1a2b/0123456789abcdef'
TG2 = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/k8s-blog-web-9f8e/fedcba9876543210'
FORWARD = [R.forward(TG)]
REDIRECT = [{'Type': 'redirect', 'RedirectConfig': {'Protocol': 'HTTPS', 'Port': '443', 'StatusCode': 'HTTP_301'}}]
WHO = {'sorrypage:at': '2026-12-02T01:00:00Z', 'sorrypage:by': 'alice', 'sorrypage:why': 'Database upgrade',
       'sorrypage:until': '03:00 UTC'}
PAUSED = {'action': 'paused', 'message': 'kube-system/aws-load-balancer-controller is paused (2 replicas recorded)',
          'replicas_recorded': 2}


def owned(priority, kind, name, conditions, actions, part=0, drift=False, **tags):
    all_tags = _tags.ownership_tags(kind, name, part, 'changed' if drift else R.rule_hash(conditions, actions))
    all_tags.update(tags)
    return dict(arn='arn:rule/%s-%s-%d' % (kind, name, part), priority=priority, conditions=conditions, actions=actions,
                tags=all_tags)


def sorry(priority, name='shop', hosts=None, chars=700, **tags):
    conditions = ([R.host_condition(hosts)] if hosts else []) + [R.path_condition(['/*'])]
    all_tags = {'sorrypage:page': 'en', 'sorrypage:marker': 'sorry-%s-1a2b' % name}
    all_tags.update(WHO)
    all_tags.update(tags)
    return owned(priority, 'sorry', name, conditions, [R.fixed_response(503, 'text/html', 'x' * chars)], **all_tags)


def by_cidr(priority, cidrs, part=0, **tags):
    return owned(priority, 'bypass', 'bypass', [R.source_ip_condition(cidrs)], FORWARD, part=part, **tags)


def by_header(priority, name='X-Sorry-Bypass', part=1, **tags):
    return owned(priority, 'bypass', 'bypass', [R.header_condition(name, ['s3cret-value'])], FORWARD, part=part, **tags)


def passthrough(priority, paths, hosts=None, name='passthrough-shop'):
    conditions = ([R.host_condition(hosts)] if hosts else []) + [R.path_condition(paths)]
    return owned(priority, 'bypass', name, conditions, FORWARD)


def preview(priority, name='preview-shop'):
    return owned(priority, 'preview', name, [R.path_condition(['/__sorry'])], [R.fixed_response(200, 'text/html', 'p')])


def foreign(priority, shift=0, hosts=None):
    conditions = [R.host_condition(hosts or ['shop.example.com']), R.path_condition(['/*'])]
    return dict(arn='arn:rule/foreign-%d' % priority, priority=priority, conditions=conditions, actions=FORWARD,
                tags={_tags.SHIFT: _tags.origin_value(priority - shift)} if shift else {})


def listener(port, rules, default=None, protocol=None):
    return _info.listener_summary({'ListenerArn': 'arn:listener/%d' % port, 'Port': port,
                                   'Protocol': protocol or ('HTTPS' if port in (443, 8443) else 'HTTP')},
                                  rules, default if default is not None else [R.fixed_response(404, 'text/plain', '')])


def info(*listeners, **kwargs):
    tags = kwargs.get('tags', MANAGED)
    listeners = list(listeners)
    return dict(load_balancer=_info.load_balancer_summary(BALANCER, tags), listeners=listeners,
                in_maintenance=_info.in_maintenance(listeners))


def on_listener(port=443, extra=(), lbc_tags=None):
    lbc_tags = lbc_tags or {}
    return listener(port, [by_cidr(1, ['10.0.0.0/8', '192.168.0.0/16'], **lbc_tags), by_header(2, **lbc_tags),
                           sorry(3, **lbc_tags)] + list(extra) + [foreign(4, shift=3), foreign(5, shift=3)])


FIRST_MANAGED = 'shop: k8s-shop (internet-facing, ipv4, managed by the AWS Load Balancer Controller of cluster prod): maintenance '
OFFICE = '    office -> the application (2 bypass rule(s): source 10.0.0.0/8, 192.168.0.0/16; header X-Sorry-Bypass)'
SORRY_LINE = '    sorry shop (priority 3): 503, 700 chars, page en, marker sorry-shop-1a2b, hosts all'
ON_LINE = '  HTTPS:443 ON since 2026-12-02T01:00:00Z by alice - why: Database upgrade - until: 03:00 UTC'
MOVED = '    2 foreign rule(s) moved from 1,2 to 4,5 (put back by off)'


def state_of(site_info, lbc=None, eks_outage='auto', driver='alb', driver_reason=''):
    return S.build_state(site_info, lbc=lbc, eks_outage=eks_outage, driver=driver, driver_reason=driver_reason, site='shop')


# ------------------------------------------------------------------ the status block

def test_on_with_bypass_moved_rules_and_a_paused_controller():
    state = state_of(info(on_listener(), listener(80, [], REDIRECT)), lbc=PAUSED, driver_reason='sorry_driver=alb')
    assert state['lines'] == [
        FIRST_MANAGED + 'ON',
        '  driver: alb (sorry_driver=alb)',
        ON_LINE,
        SORRY_LINE,
        '    public -> 503, the Sorry page',
        OFFICE,
        MOVED,
        '  HTTP:80 only redirects (redirect HTTP_301; e.g. ssl-redirect): nothing to switch here, the page is on the '
        'listener it redirects to',
        '  controller: kube-system/aws-load-balancer-controller is paused (2 replicas recorded)',
    ]
    assert state['maintenance'] == 'on' and state['warnings'] == []
    assert 's3cret' not in repr(state)


def test_on_listener_fields():
    state = state_of(info(on_listener(extra=[preview(6)])), lbc=PAUSED)
    (l443,) = state['listeners']
    assert l443 == {
        'port': 443, 'protocol': 'HTTPS', 'where': 'HTTPS:443', 'on': True, 'since': '2026-12-02T01:00:00Z', 'by': 'alice',
        'why': 'Database upgrade', 'until': '03:00 UTC', 'hosts': [], 'public': '503, the Sorry page',
        'office': 'the application (2 bypass rule(s): source 10.0.0.0/8, 192.168.0.0/16; header X-Sorry-Bypass)',
        'bypass_cidrs': ['10.0.0.0/8', '192.168.0.0/16'], 'bypass_headers': ['X-Sorry-Bypass'], 'passthrough_paths': [],
        'sorry_rules': [{'name': 'shop', 'priority': 3, 'status_code': 503, 'body_chars': 700, 'page': 'en',
                         'marker': 'sorry-shop-1a2b', 'hosts': []}],
        'previews': ['preview-shop'],
        'moved_rules': [{'arn': 'arn:rule/foreign-4', 'priority': 4, 'original_priority': 1},
                        {'arn': 'arn:rule/foreign-5', 'priority': 5, 'original_priority': 2}],
        'lbc_tag': '', 'lbc_replicas': None}
    assert state['load_balancer'] == {'name': 'k8s-shop', 'arn': 'arn:lb/shop', 'scheme': 'internet-facing',
                                      'ip_address_type': 'ipv4', 'controller_managed': True, 'cluster_name': 'prod'}
    assert state['controller'] == {'managed': True, 'cluster_name': 'prod', 'looked_at': True, 'action': 'paused',
                                   'message': PAUSED['message']}
    assert state['markers'] == ['sorry-shop-1a2b'] and state['off_ports'] == [443]
    assert (state['site'], state['driver'], state['driver_reason']) == ('shop', 'alb', '')
    assert state['lines'][-2:] == ['    preview rules: preview-shop', '  controller: ' + PAUSED['message']]


def test_off_with_the_default_forwarding_to_target_groups():
    groups = [{'TargetGroupArn': TG, 'Weight': 1}, {'TargetGroupArn': TG2, 'Weight': 1}]
    default = [{'Type': 'forward', 'ForwardConfig': {'TargetGroups': groups}}]
    state = state_of(info(listener(443, [foreign(1), foreign(2, hosts=['blog.example.com'])], default)), lbc={
        'action': 'not_paused', 'message': 'kube-system/aws-load-balancer-controller runs (2 replicas)'})
    assert state['lines'] == [
        FIRST_MANAGED + 'off',
        '  driver: alb',
        "  HTTPS:443 off - public -> the listener's own rules (2 rules, default: forward to k8s-blog-web-9f8e, k8s-shop-web-1a2b)",
        '  controller: kube-system/aws-load-balancer-controller runs (2 replicas)',
    ]
    assert state['maintenance'] == 'off' and state['markers'] == [] and state['off_ports'] == []
    assert state['listeners'][0]['office'] == 'the same as the public'
    assert state['listeners'][0]['since'] == '' and state['listeners'][0]['by'] == ''


def test_partly_on():
    state = state_of(info(on_listener(), listener(8443, [foreign(1)], FORWARD)), lbc=PAUSED)
    assert state['maintenance'] == 'partly'
    assert state['lines'][0] == FIRST_MANAGED + 'ON'
    assert "  HTTPS:8443 off - public -> the listener's own rules (1 rules, default: forward to k8s-shop-web-1a2b)" in state['lines']
    assert state['warnings'] == ['partly on: 1 listener(s) on, 1 off: run on or off again']
    assert state['lines'][-1] == 'WARNING: partly on: 1 listener(s) on, 1 off: run on or off again'


def test_a_redirect_listener_left_alone_does_not_make_the_site_partly_on():
    state = state_of(info(on_listener(), listener(80, [], REDIRECT)))
    assert state['maintenance'] == 'on' and state['warnings'] == []
    with_rules = state_of(info(on_listener(), listener(80, [by_cidr(1, ['10.0.0.0/8'])], REDIRECT)))
    assert with_rules['maintenance'] == 'partly'


def test_sorry_without_bypass():
    state = state_of(info(listener(443, [sorry(1)]), tags={}), lbc={'action': 'not_needed', 'message': 'Nothing to do.'})
    assert state['lines'] == [
        'shop: k8s-shop (internet-facing, ipv4, no controller): maintenance ON',
        '  driver: alb',
        ON_LINE,
        SORRY_LINE.replace('priority 3', 'priority 1'),
        '    public -> 503, the Sorry page',
        '    office -> the Sorry page too (no bypass rule)',
        '  controller: Nothing to do.',
        'WARNING: HTTPS:443: a sorry rule without its bypass: internal users get the Sorry page too',
    ]
    assert state['listeners'][0]['office'] == 'the Sorry page too (no bypass rule)'
    assert state['listeners'][0]['bypass_cidrs'] == [] and state['listeners'][0]['bypass_headers'] == []


def test_bypass_without_sorry():
    state = state_of(info(listener(443, [by_cidr(1, ['10.0.0.0/8']), foreign(2)])), eks_outage='false')
    assert state['lines'] == [
        FIRST_MANAGED + 'off',
        '  driver: alb',
        "  HTTPS:443 off - public -> the listener's own rules (2 rules, default: fixed-response 404)",
        '    office -> the application (1 bypass rule(s): source 10.0.0.0/8)',
        '  controller: not looked at (sorry_eks_outage=false)',
        'WARNING: HTTPS:443: bypass rules without a sorry rule (an `on` or `off` cut short): run on or off again',
    ]
    assert state['maintenance'] == 'off' and state['off_ports'] == [443]


def test_drift_is_a_warning_per_rule():
    state = state_of(info(listener(443, [by_cidr(1, ['10.0.0.0/8'], drift=True), sorry(2, drift=True)])))
    assert state['warnings'] == [
        'HTTPS:443: bypass rule bypass (priority 1) was changed by someone else (the controller does that at priorities it '
        'wants); `on` puts it right',
        'HTTPS:443: sorry rule shop (priority 2) was changed by someone else (the controller does that at priorities it '
        'wants); `on` puts it right']
    assert state['lines'][-2:] == ['WARNING: ' + w for w in state['warnings']]


def test_rules_still_shifted_with_no_rule_of_ours():
    state = state_of(info(listener(443, [foreign(4, shift=3), foreign(5, shift=3), foreign(6)])))
    assert state['lines'][2:] == [
        "  HTTPS:443 off - public -> the listener's own rules (3 rules, default: fixed-response 404)",
        '  controller: not looked at',
        'WARNING: HTTPS:443: 2 rule(s) still shifted with no rule of ours in front (priorities still shifted): '
        'run off to put them back']
    assert state['off_ports'] == [443]
    assert state['listeners'][0]['moved_rules'][0]['original_priority'] == 1


def test_moved_rules_with_only_a_preview_are_still_shifted():
    state = state_of(info(listener(443, [preview(1), foreign(5, shift=3)])))
    assert state['lines'][3:] == ['    1 foreign rule(s) moved from 2 to 5 (put back by off)', '    preview rules: preview-shop',
                                  '  controller: not looked at']
    assert state['warnings'] == []  # a preview rule is "of ours in front": the Jinja said the same
    assert state['off_ports'] == [443]


@pytest.mark.parametrize('tags, lines, warnings', [
    ({'sorrypage:lbc': 'paused', 'sorrypage:lbc-replicas': '2'},
     ["    controller PAUSED (from the rules' tags, 2 replicas recorded)"], []),
    ({'sorrypage:lbc': 'paused'}, ["    controller PAUSED (from the rules' tags)"], []),
    ({'sorrypage:lbc': 'pending', 'sorrypage:lbc-replicas': '3'},
     ["    controller pause PENDING (from the rules' tags), 3 replicas recorded before"],
     ["HTTPS:443: controller pause PENDING (from the rules' tags): the Sorry page went on while the Kubernetes API could not be "
      'reached, so the AWS Load Balancer Controller was NOT paused; run `on` again as soon as the API is back']),
    ({'sorrypage:lbc': 'pending'}, ["    controller pause PENDING (from the rules' tags)"], None),
])
def test_pause_state_from_the_rules_tags(tags, lines, warnings):
    state = state_of(info(on_listener(lbc_tags=tags)), lbc=PAUSED)
    assert state['lines'][2:4] == [ON_LINE] + lines
    assert state['lines'][4] == SORRY_LINE
    if warnings is not None:
        assert state['warnings'] == warnings
    listener_state = state['listeners'][0]
    assert listener_state['lbc_tag'] == tags['sorrypage:lbc']
    assert listener_state['lbc_replicas'] == (int(tags['sorrypage:lbc-replicas']) if 'sorrypage:lbc-replicas' in tags else None)


def test_pending_wins_over_paused_across_rules():
    rules = [by_cidr(1, ['10.0.0.0/8'], **{'sorrypage:lbc': 'paused'}), sorry(2, **{'sorrypage:lbc': 'pending'})]
    assert state_of(info(listener(443, rules)))['listeners'][0]['lbc_tag'] == 'pending'


def test_path_passthrough_is_a_real_check_of_the_conditions():
    rules = [passthrough(1, ['/healthz', '/api/status']),
             passthrough(2, ['/healthz'], hosts=['blog.example.com'], name='passthrough-blog'),
             by_cidr(3, ['10.0.0.0/8']), sorry(4)]
    state = state_of(info(listener(443, rules)))
    assert state['lines'][4:6] == [
        '    public -> 503, the Sorry page, except /healthz, /api/status (passthrough: the application)',
        '    office -> the application (1 bypass rule(s): source 10.0.0.0/8)']
    assert state['listeners'][0]['passthrough_paths'] == ['/healthz', '/api/status']
    assert state['warnings'] == []


def test_a_path_named_like_a_condition_is_still_a_passthrough():
    # The Jinja searched the stringified conditions for "source-ip": this path fooled it.
    rules = [passthrough(1, ['/source-ip/*']), sorry(2)]
    state = state_of(info(listener(443, rules)))
    assert state['listeners'][0]['passthrough_paths'] == ['/source-ip/*']
    assert '    office -> the Sorry page too (no bypass rule)' in state['lines']


def test_passthrough_alone_is_no_office_bypass():
    state = state_of(info(listener(443, [passthrough(1, ['/healthz']), sorry(2)])))
    assert state['warnings'] == ['HTTPS:443: a sorry rule without its bypass: internal users get the Sorry page too']


def test_host_limited_sorry_rules():
    rules = [by_header(1, part=0), sorry(2, hosts=['shop.example.com', 'www.shop.example.com']),
             sorry(3, name='blog', hosts=['blog.example.com'], chars=1024, **{'sorrypage:page': 'ja'})]
    state = state_of(info(listener(443, rules, FORWARD)))
    assert state['lines'][3:7] == [
        '    sorry shop (priority 2): 503, 700 chars, page en, marker sorry-shop-1a2b, hosts shop.example.com, www.shop.example.com',
        '    sorry blog (priority 3): 503, 1024 chars, page ja, marker sorry-blog-1a2b, hosts blog.example.com',
        "    public -> 503, the Sorry page for those hosts; other hosts -> the listener's own rules (default: forward to "
        'k8s-shop-web-1a2b)',
        '    office -> the application (1 bypass rule(s); header X-Sorry-Bypass)']
    assert state['listeners'][0]['hosts'] == ['shop.example.com', 'www.shop.example.com', 'blog.example.com']
    assert state['markers'] == ['sorry-shop-1a2b', 'sorry-blog-1a2b']


def test_one_sorry_rule_for_all_hosts_makes_the_listener_all_hosts():
    rules = [sorry(2, hosts=['shop.example.com']), sorry(3, name='rest')]
    state = state_of(info(listener(443, rules)))
    assert state['listeners'][0]['hosts'] == []
    assert '    public -> 503, the Sorry page' in state['lines']


def test_sorry_rule_without_its_tags():
    rule = owned(1, 'sorry', 'shop', [R.path_condition(['/*'])], [R.fixed_response(503, 'text/html', 'x')])
    state = state_of(info(listener(443, [rule])))
    assert state['lines'][2:4] == ['  HTTPS:443 ON since ? by ?',
                                   '    sorry shop (priority 1): 503, 1 chars, page ?, marker ?, hosts all']
    assert state['markers'] == []
    assert state['listeners'][0]['why'] == '' and state['listeners'][0]['until'] == ''


def test_markers_are_unique_in_order_across_listeners():
    state = state_of(info(on_listener(), on_listener(8443)), lbc=PAUSED)
    assert state['markers'] == ['sorry-shop-1a2b']
    assert state['off_ports'] == [443, 8443]


@pytest.mark.parametrize('lbc, eks_outage, managed, line', [
    (PAUSED, 'auto', True, '  controller: ' + PAUSED['message']),
    (PAUSED, 'false', True, '  controller: not looked at (sorry_eks_outage=false)'),
    (None, 'false', True, '  controller: not looked at (sorry_eks_outage=false)'),
    ({}, 'auto', True, '  controller: not looked at'),
    (None, 'true', False, None),
    ({'action': 'unknown'}, 'true', True, '  controller: unknown'),
    ({'action': 'not_needed', 'message': 'Nothing to do with the AWS Load Balancer Controller.'}, 'auto', False,
     '  controller: Nothing to do with the AWS Load Balancer Controller.'),
])
def test_controller_line(lbc, eks_outage, managed, line):
    state = state_of(info(listener(443, [foreign(1)]), tags=MANAGED if managed else {}), lbc=lbc, eks_outage=eks_outage)
    controller_lines = [x for x in state['lines'] if x.startswith('  controller')]
    assert controller_lines == ([line] if line else [])
    assert state['controller']['looked_at'] is bool(lbc and eks_outage != 'false')


def test_managed_without_cluster_tag():
    state = state_of(info(listener(443, []), tags={'ingress.k8s.aws/stack': 'shop'}))
    assert state['lines'][0] == ('shop: k8s-shop (internet-facing, ipv4, managed by the AWS Load Balancer Controller of '
                                 'cluster ?): maintenance off')


def test_no_listener_at_all():
    state = state_of(info(tags={}))
    assert state['maintenance'] == 'off' and state['listeners'] == [] and state['off_ports'] == []
    assert state['lines'] == ['shop: k8s-shop (internet-facing, ipv4, no controller): maintenance off', '  driver: alb']


def test_a_bad_eks_outage_is_refused():
    with pytest.raises(ValueError, match="sorry_eks_outage must be auto, true or false, got 'maybe'"):
        state_of(info(), eks_outage='maybe')


# ------------------------------------------------------------------ helpers of `on` and `off`

@pytest.mark.parametrize('value, mode', [
    ('auto', 'auto'), ('AUTO', 'auto'), (' Auto ', 'auto'),
    (True, 'true'), (False, 'false'), ('true', 'true'), ('False', 'false'), ('yes', 'true'), ('NO', 'false'),
    ('on', 'true'), ('off', 'false'), ('1', 'true'), ('0', 'false'), (1, 'true'), (0, 'false'),
])
def test_parse_eks_outage(value, mode):
    assert S.parse_eks_outage(value) == mode


@pytest.mark.parametrize('value, shown', [
    ('maybe', 'maybe'), ('', ''), (None, 'None'), (2, '2'), (['auto'], "['auto']"), ({'a': 1}, "{'a': 1}"),
])
def test_parse_eks_outage_refuses_the_rest(value, shown):
    with pytest.raises(ValueError) as err:
        S.parse_eks_outage(value)
    assert str(err.value) == "sorry_eks_outage must be auto, true or false, got '%s'" % shown


@pytest.mark.parametrize('lbc, eks_outage, tags', [
    ({'action': 'paused', 'replicas_recorded': 2}, 'auto', {'sorrypage:lbc': 'paused', 'sorrypage:lbc-replicas': '2'}),
    ({'action': 'already_paused', 'replicas_recorded': 0}, 'true', {'sorrypage:lbc': 'paused', 'sorrypage:lbc-replicas': '0'}),
    ({'action': 'pending', 'replicas_recorded': None}, 'auto', {'sorrypage:lbc': 'pending'}),
    ({'action': 'pending'}, True, {'sorrypage:lbc': 'pending'}),
    ({'action': 'paused', 'replicas_recorded': 2}, 'false', {}),
    ({'action': 'paused', 'replicas_recorded': 2}, False, {}),
    ({'action': 'not_needed'}, 'auto', {}),
    ({}, 'auto', {}),
    (None, 'auto', {}),
])
def test_lbc_rule_tags(lbc, eks_outage, tags):
    assert S.lbc_rule_tags(lbc, eks_outage) == tags


def site_rule(kind, **tags):
    all_tags = {'sorrypage:kind': kind}
    all_tags.update(tags)
    return {'arn': 'arn:r', 'priority': 1, 'tags': all_tags}


WANTED = {'sorrypage:lbc': 'paused', 'sorrypage:lbc-replicas': '2'}


@pytest.mark.parametrize('listeners, wanted, stale', [
    ([{'rules': [site_rule('bypass', **WANTED), site_rule('sorry', **WANTED)]}], WANTED, False),
    ([{'rules': [site_rule('bypass', **WANTED)]}, {'rules': [site_rule('sorry', **{'sorrypage:lbc': 'paused'})]}], WANTED, True),
    ([{'rules': [site_rule('sorry', **{'sorrypage:lbc': 'pending', 'sorrypage:lbc-replicas': '2'})]}], WANTED, True),
    ([{'rules': [site_rule('preview')]}], WANTED, False),
    ([{'rules': [{'arn': 'arn:r', 'priority': 1}]}], WANTED, False),
    ([{'rules': [site_rule('sorry')]}], {}, False),
    ([{'port': 443}], WANTED, False),
    ([], WANTED, False),
    (None, WANTED, False),
])
def test_lbc_tags_stale(listeners, wanted, stale):
    assert S.lbc_tags_stale(listeners, wanted) is stale


# ------------------------------------------------------------------ the summary

def test_summary_after_on():
    state = state_of(info(on_listener(), listener(80, [], REDIRECT)), lbc=PAUSED, driver_reason='EKS API unreachable')
    assert S.summary_lines(state, 'on', elapsed=4.23) == [
        'shop: maintenance ON on k8s-shop (1 listener(s)) in 4.2s',
        'public: 503 Sorry page on all hosts; why: Database upgrade; until: 03:00 UTC',
        'bypass: source 10.0.0.0/8, 192.168.0.0/16; header X-Sorry-Bypass',
        'driver: alb (EKS API unreachable); controller: PAUSED',
        'next: check with `ansible-playbook playbooks/maintenance_status.yml -l shop`; end it with '
        '`ansible-playbook playbooks/maintenance_off.yml -l shop`',
    ]


def test_summary_never_shows_header_values():
    state = state_of(info(on_listener()), lbc=PAUSED)
    assert 's3cret' not in repr(S.summary_lines(state, 'status'))


def test_summary_of_on_in_check_mode():
    state = state_of(info(listener(443, [by_header(1), sorry(2, hosts=['shop.example.com'])])),
                     lbc={'action': 'pending', 'message': 'pending'})
    assert S.summary_lines(state, 'on', elapsed=2, check_mode=True) == [
        'shop: maintenance ON on k8s-shop (1 listener(s)) in 2s (check mode: predicted)',
        'public: 503 Sorry page on shop.example.com; why: Database upgrade; until: 03:00 UTC',
        'bypass: header X-Sorry-Bypass',
        'driver: alb; controller: pause PENDING (Kubernetes API unreachable): it may delete the Sorry rules',
        'next: nothing was changed (check mode): run the same command without --check to do it',
    ]


def test_summary_after_off():
    state = state_of(info(listener(443, [foreign(1)]), listener(80, [], REDIRECT)),
                     lbc={'action': 'resumed', 'message': 'resumed to 2'}, driver='alb', driver_reason='switched on by alb')
    assert S.summary_lines(state, 'off', elapsed=1.0) == [
        'shop: maintenance off on k8s-shop (2 listener(s)) in 1s',
        'public: the application (no Sorry page)',
        'driver: alb (switched on by alb); controller: running',
        'next: nothing to do; check with `ansible-playbook playbooks/maintenance_status.yml -l shop`',
    ]


def test_summary_after_an_off_that_left_the_page_on():
    state = state_of(info(on_listener()), lbc={'action': 'still_held'})
    assert S.summary_lines(state, 'off')[-1] == \
        'next: maintenance is still ON: run `ansible-playbook playbooks/maintenance_off.yml -l shop` again'
    assert S.summary_lines(state, 'off')[3] == 'driver: alb; controller: still PAUSED (other sites hold the pause)'


def test_summary_after_an_on_that_did_not_put_the_page_on():
    state = state_of(info(listener(443, [by_cidr(1, ['10.0.0.0/8'])])))
    assert S.summary_lines(state, 'on') == [
        'shop: maintenance off on k8s-shop (1 listener(s))',
        'public: the application (no Sorry page)',
        'driver: alb; controller: not looked at',
        'next: maintenance is NOT on: read the errors above and run `ansible-playbook playbooks/maintenance_on.yml -l shop` again',
        'WARNING: HTTPS:443: bypass rules without a sorry rule (an `on` or `off` cut short): run on or off again',
    ]


def test_summary_of_status_when_partly_on_folds_identical_warnings():
    state = state_of(info(listener(443, [sorry(1)]), listener(8443, [sorry(1)], FORWARD), listener(9443, [], FORWARD),
                          tags={}), driver='ingress')
    state['warnings'].append(state['warnings'][0])
    lines = S.summary_lines(state, 'status')
    assert lines == [
        'shop: maintenance PARTLY ON on k8s-shop (2 of 3 listener(s))',
        'public: 503 Sorry page on all hosts; why: Database upgrade; until: 03:00 UTC',
        'bypass: nobody: internal users get the page too',
        'no Retry-After header: an ALB fixed response cannot carry custom headers; the page refreshes itself and says '
        'until when',
        'driver: ingress; controller: not managed (no AWS Load Balancer Controller on this ALB)',
        'next: partly on: run `ansible-playbook playbooks/maintenance_on.yml -l shop` or '
        '`ansible-playbook playbooks/maintenance_off.yml -l shop` again',
        'WARNING: HTTPS:443: a sorry rule without its bypass: internal users get the Sorry page too',
        'WARNING: HTTPS:8443: a sorry rule without its bypass: internal users get the Sorry page too',
        'WARNING: partly on: 2 listener(s) on, 1 off: run on or off again',
    ]


@pytest.mark.parametrize('site_info, lbc, expected', [
    (info(on_listener()), PAUSED, 'next: end it with `ansible-playbook playbooks/maintenance_off.yml -l shop`'),
    (info(listener(443, [])), None, 'next: nothing to do; start it with `ansible-playbook playbooks/maintenance_on.yml -l shop`'),
])
def test_summary_of_status_says_what_comes_next(site_info, lbc, expected):
    lines = S.summary_lines(state_of(site_info, lbc=lbc), 'status', check_mode=True)
    assert lines[-1] == expected
    assert '(check mode: predicted)' in lines[0]


def test_summary_with_passthrough_and_the_controller_from_the_rules_tags():
    rules = [passthrough(1, ['/healthz']), by_cidr(2, ['10.0.0.0/8'], **{'sorrypage:lbc': 'paused'}),
             sorry(3, **{'sorrypage:lbc': 'paused', 'sorrypage:why': ''})]
    state = state_of(info(listener(443, rules)), eks_outage='false')
    lines = S.summary_lines(state, 'status')
    assert lines[1] == 'public: 503 Sorry page on all hosts (except /healthz); until: 03:00 UTC'
    assert lines[3].startswith('no Retry-After header')         # status only: on and off end without it
    assert lines[4] == "driver: alb; controller: PAUSED (from the rules' tags)"


@pytest.mark.parametrize('action', ['verify', '', None])
def test_summary_refuses_an_unknown_action(action):
    with pytest.raises(ValueError) as err:
        S.summary_lines(state_of(info()), action)
    assert str(err.value) == "summary action must be on, off or status, got '%s'" % (action,)


# ---- the Ingress driver: our rules are the controller's ------------------------------------------------------------
def controller_made(site_info):
    """``site_info`` as alb_sorry_info(markers=...) gives it for rules the controller made: its tags, not ours
    (but the marker, which alb_sorry_info finds in the body)."""
    for one in site_info['listeners']:
        rules = []
        for rule in one['owned_rules']:
            tags = {'ingress.k8s.aws/stack': 'shop/web'}
            if rule['kind'] == 'sorry':
                tags['sorrypage:marker'] = rule['tags']['sorrypage:marker']
            rules.append(dict(rule, made_by='controller', tags=tags))
        one['owned_rules'] = rules
        one['moved_rules'] = []
    return site_info


INGRESS = {'readable': True, 'maintenance': 'on', 'info': WHO, 'message': 'Sorry page through shop/web: on (wrote shop/web).',
           'drift': {'shop/web': {'drifted': False}}}


def test_ingress_state_takes_who_and_why_from_the_record_and_leaves_nothing_for_the_alb_off():
    state = S.build_state(controller_made(info(on_listener())), lbc={'action': 'not_paused', 'message': 'runs with 2 replicas'},
                          driver='ingress', driver_reason='auto: the controller runs', site='shop', ingress=INGRESS)
    assert state['maintenance'] == 'on' and state['driver'] == 'ingress'
    assert state['markers'] == ['sorry-shop-1a2b']
    assert state['off_ports'] == []
    assert ON_LINE in state['lines'] and OFFICE in state['lines']
    assert '  Ingress: Sorry page through shop/web: on (wrote shop/web).' in state['lines']
    assert '  controller: runs with 2 replicas' in state['lines']
    assert state['warnings'] == []
    summary = S.summary_lines(state, 'status')
    assert 'driver: ingress (auto: the controller runs); controller: running' in summary


def test_ingress_state_warns_when_our_edit_drifted_and_says_when_the_ingress_was_not_read():
    drifted = dict(INGRESS, drift={'shop/web': {'drifted': True, 'missing_rules': ['shop.example.com'],
                                                'missing_annotations': ['alb.ingress.kubernetes.io/actions.sorrypage-h0-sorry']}})
    state = S.build_state(controller_made(info(on_listener())), driver='ingress', site='shop', ingress=drifted)
    assert state['warnings'] == [
        'DRIFT: our edit in the Ingress shop/web is no longer all there (a helm upgrade or a GitOps sync replaced it?) - '
        'gone: the spec.rules entry of shop.example.com, annotation alb.ingress.kubernetes.io/actions.sorrypage-h0-sorry: '
        'the public may get the application. Run `on` again: it puts it back.']
    # who else re-applies the Ingress
    helm = 'shop/web is managed by Helm (release shop): a helm upgrade during the window replaces our edit'
    state = S.build_state(controller_made(info(on_listener())), driver='ingress', site='shop', ingress=dict(INGRESS, gitops=[helm]))
    assert state['warnings'] == [helm] and 'WARNING: ' + helm in state['lines']
    # the record says on, the ALB has none of our rules
    state = S.build_state(info(listener(443, [foreign(1)])), driver='ingress', site='shop', ingress=dict(INGRESS, drift={}))
    assert state['maintenance'] == 'off'
    assert state['warnings'] == ['DRIFT: our record in the Ingress says the Sorry page is on, but no listener of the ALB '
                                 'answers with it (the controller has not acted, or a release replaced our edit). Run `on` '
                                 'again.']
    state = S.build_state(controller_made(info(on_listener())), driver='ingress', site='shop',
                          ingress={'readable': False, 'error': 'connection refused'})
    assert '  Ingress: could not be read (connection refused)' in state['lines']
    # without the record's info, the listener says who and when as unknown
    assert '  HTTPS:443 ON since ? by ?' in state['lines']


def test_records_left_on_rules_already_back_are_work_for_off():
    """An off cut short after the restore (or a refused move) leaves sorrypage:shift=from=N on rules at N: nothing is
    shifted, nothing to warn about, but off must run on the listener to remove the records."""
    back = foreign(4)
    back['tags'] = {_tags.SHIFT: _tags.origin_value(4)}
    summary = listener(443, [back, foreign(5)])
    assert summary['moved_rules'] == [] and summary['stale_shift_records'] == ['arn:rule/foreign-4']
    state = state_of(info(summary))
    assert state['warnings'] == []
    assert state['off_ports'] == [443]
    assert state_of(info(listener(443, [foreign(4), foreign(5)])))['off_ports'] == []
