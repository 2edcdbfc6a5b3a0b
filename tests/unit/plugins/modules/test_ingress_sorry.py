# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ingress_sorry's option spec: the sets' variants as Ansible fills them in, and what the planner makes of them."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.sorrypage.aws.plugins.module_utils import _ingress_plan as plan
from ansible_collections.sorrypage.aws.plugins.modules import ingress_sorry

TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/k8s-shop-web-0a1b2c3d4e/0123456789abcdef'
SECRET = 'hunter2-very-secret'


def validated(sets):
    result = ArgumentSpecValidator(ingress_sorry.argument_spec()).validate(
        {'stack': 'shop/web', 'state': 'present', 'sets': sets})
    return result


def test_a_variant_given_with_name_and_body_only_gets_the_documented_defaults():
    result = validated([{'hosts': ['shop.example.com'], 'body': '<p>down</p>', 'variants': [
        {'name': 'api', 'body': '{"status":503}', 'content_type': 'application/json', 'path_patterns': ['/api/*']},
        {'name': 'ja', 'body': '<p>ja</p>', 'http_headers': [{'name': 'Accept-Language', 'values': ['ja*']}]}]}])
    assert result.error_messages == []
    api, ja = result.validated_parameters['sets'][0]['variants']
    assert api == {'name': 'api', 'body': '{"status":503}', 'content_type': 'application/json',
                   'path_patterns': ['/api/*'], 'http_headers': [], 'marker': None}
    assert (ja['content_type'], ja['path_patterns'], ja['marker']) == ('text/html', ['/*'], None)
    # what the module hands the planner plans without complaint
    rules, _annotations = plan.desired(result.validated_parameters['sets'])
    assert [(p['path'], p['backend']['service']['name']) for p in rules[0]['http']['paths']] == [
        ('/api/*', 'sorrypage-h0-v0'), ('/*', 'sorrypage-h0-v1'), ('/*', 'sorrypage-h0-sorry')]


def test_a_variant_is_refused_by_the_spec_without_a_name_or_with_another_content_type():
    result = validated([{'body': '<p>down</p>', 'variants': [{'body': '<p>x</p>', 'content_type': 'text/plain'}]}])
    text = ' '.join(result.error_messages)
    assert 'missing required arguments: name found in sets -> variants' in text
    assert 'value of content_type must be one of: text/html, application/json, got: text/plain' in text


def test_bypass_header_values_are_secrets_and_the_variants_header_values_are_not():
    result = validated([{'body': '<p>down</p>', 'target_groups': [TG],
                         'http_headers': [{'name': 'X-Sorry-Bypass', 'values': [SECRET]}],
                         'variants': [{'name': 'ja', 'body': '<p>ja</p>',
                                       'http_headers': [{'name': 'Accept-Language', 'values': ['ja*']}]}]}])
    assert result.error_messages == []
    assert SECRET in result._no_log_values  # pylint: disable=protected-access  # what AnsibleModule masks
    assert 'ja*' not in result._no_log_values  # pylint: disable=protected-access
