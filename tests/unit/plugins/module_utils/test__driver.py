# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

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
