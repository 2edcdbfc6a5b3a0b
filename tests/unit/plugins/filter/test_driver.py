# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sorrypage.aws.plugins.filter.driver import FilterModule


def test_the_filter_fails_before_any_change():
    sorry_driver = FilterModule().filters()['sorry_driver']
    assert sorry_driver('auto')['driver'] == 'alb'
    with pytest.raises(AnsibleFilterError) as info:
        sorry_driver('ingress', eks_outage='auto')
    assert str(info.value).startswith("Nothing was changed: sorry_driver must be one of auto, alb, got 'ingress'")
