# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sorrypage.aws.plugins.filter.driver import FilterModule


def test_the_filters_fail_before_any_change():
    filters = FilterModule().filters()
    assert filters['sorry_driver']('alb')['driver'] == 'alb'
    with pytest.raises(AnsibleFilterError) as info:
        filters['sorry_driver']('ingres', eks_outage='auto')
    assert str(info.value).startswith("Nothing was changed: sorry_driver must be one of auto, alb, ingress, got 'ingres'")
    with pytest.raises(AnsibleFilterError) as info:
        filters['sorry_driver_for_site'](filters['sorry_driver']('ingress'), {'load_balancer': {}}, step='on')
    assert 'sorry_driver=ingress cannot switch this site' in str(info.value)
