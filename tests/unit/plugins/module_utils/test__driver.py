# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sorrypage.aws.plugins.filter.driver import FilterModule
from ansible_collections.sorrypage.aws.plugins.module_utils import _driver


@pytest.mark.parametrize('requested, eks, expected', [
    ('auto', 'auto', dict(driver='alb', reason='auto: the ALB rules are the only driver of this version', eks_outage='auto')),
    ('AUTO', False, dict(driver='alb', reason='auto: the ALB rules are the only driver of this version', eks_outage='false')),
    ('auto', 'yes', dict(driver='alb', reason='auto: sorry_eks_outage=true switches on the ALB itself', eks_outage='true')),
    ('alb', 'off', dict(driver='alb', reason='sorry_driver=alb', eks_outage='false')),
    (' alb ', True, dict(driver='alb', reason='sorry_driver=alb', eks_outage='true')),
])
def test_choose(requested, eks, expected):
    assert _driver.choose(requested, eks) == expected


@pytest.mark.parametrize('requested, eks, message', [
    ('ingres', 'auto', "sorry_driver must be one of auto, alb, got 'ingres'"),
    (None, 'auto', "sorry_driver must be one of auto, alb, got 'None'"),
    ('alb', 'sometimes', "sorry_eks_outage must be auto, true or false, got 'sometimes'"),
])
def test_bad_values_name_the_variable_and_the_choices(requested, eks, message):
    with pytest.raises(ValueError) as info:
        _driver.choose(requested, eks)
    assert str(info.value) == message


def test_the_filter_fails_before_any_change():
    sorry_driver = FilterModule().filters()['sorry_driver']
    assert sorry_driver('auto')['driver'] == 'alb'
    with pytest.raises(AnsibleFilterError) as info:
        sorry_driver('ingress', eks_outage='auto')
    assert str(info.value).startswith("Nothing was changed: sorry_driver must be one of auto, alb, got 'ingress'")
