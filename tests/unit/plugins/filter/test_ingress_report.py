# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sorrypage.aws.plugins.filter import ingress_report as F


def test_the_filters_are_registered_under_their_names():
    filters = F.FilterModule().filters()
    assert sorted(filters) == ['sorry_ingress_failure', 'sorry_ingress_keys']
    assert filters['sorry_ingress_keys']({}, {'stack': 'shop/main'}) == ['shop/main']
    out = filters['sorry_ingress_failure']({'msg': 'boom'}, 'Put the bypass and the Sorry page into the Ingress')
    assert out['lines'] == ['WARNING: The Ingress could not be changed (Put the bypass and the Sorry page into the Ingress): boom']
