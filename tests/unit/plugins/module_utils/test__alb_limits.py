# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _alb_limits as L


# The values AWS documents (Elastic Load Balancing API reference and the
# "Quotas for your Application Load Balancers" page), so a slip in the
# numbers shows up here rather than as an ALB error at switch time.
@pytest.mark.parametrize('name, value', [
    ('MAX_BODY_CHARS', 1024),
    ('MAX_CONDITION_VALUES', 5),
    ('MAX_HEADER_NAME_CHARS', 40),
    ('MAX_CONDITION_VALUE_CHARS', 128),
    ('MIN_PRIORITY', 1),
    ('MAX_PRIORITY', 50000),
    ('DEFAULT_RULES_QUOTA', 100),
    ('DESCRIBE_TAGS_BATCH', 20),
    ('DESCRIBE_RULES_PAGE', 400),
    ('MAX_TAG_KEY_CHARS', 128),
    ('MAX_TAG_VALUE_CHARS', 256),
    ('MAX_TAGS_PER_RESOURCE', 50),
])
def test_documented_limits(name, value):
    assert getattr(L, name) == value


def test_fixed_response_content_types():
    assert L.CONTENT_TYPES == ('text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json')


@pytest.mark.parametrize('status, ok', [
    ('200', True), ('404', True), ('503', True), ('599', True),
    ('302', False), ('100', False), ('1503', False), ('50', False),
])
def test_status_code_pattern(status, ok):
    assert bool(re.match(L.STATUS_CODE_PATTERN, status)) is ok
