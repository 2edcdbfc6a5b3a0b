# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _tags


@pytest.mark.parametrize('value, expected', [
    ('DB migration', 'DB migration'),
    ('DB (migration) #42', 'DB _migration_ _42'),
    ('line one\nline two\tend', 'line one line two end'),
    (u'\u30e1\u30f3\u30c6\u30ca\u30f3\u30b9', u'\u30e1\u30f3\u30c6\u30ca\u30f3\u30b9'),
    ('alice@example.com', 'alice@example.com'),
    ('2024-05-01T03:00:00+09:00', '2024-05-01T03:00:00+09:00'),
    ('a' * 300, 'a' * 256),
    (None, ''),
    (42, '42'),
])
def test_sanitise_value(value, expected):
    assert _tags.sanitise_value(value) == expected


def test_sanitised_values_only_use_allowed_characters():
    text = u''.join(chr(c) for c in range(32, 0x3100, 7))
    clean = _tags.sanitise_value(text, limit=100000)
    assert len(clean) == len(text)
    assert all(c.isalnum() or c.isspace() or c in '_.:/=+-@' for c in clean)


def test_sanitise_tags_warns_and_never_fails():
    tags, warnings = _tags.sanitise_tags({'sorrypage:why': 'DB (migration)', 'sorrypage:rule': 'x',
                                          'ticket#': 'OPS-1', 'sorrypage:by': 'alice'})
    assert tags == {'sorrypage:why': 'DB _migration_', 'ticket_': 'OPS-1', 'sorrypage:by': 'alice'}
    assert warnings == [
        "tag 'sorrypage:rule' is reserved for ownership and was not set",
        "the value of tag 'sorrypage:why' was sanitised to 'DB _migration_'",
        "tag key 'ticket#' was sanitised to 'ticket_'",
    ]


def test_sanitise_tags_drops_what_does_not_fit():
    tags, warnings = _tags.sanitise_tags(dict(('k%02d' % i, 'v') for i in range(5)), room=3)
    assert sorted(tags) == ['k00', 'k01', 'k02']
    assert warnings == ["tag 'k03' was not set: a rule has room for 3 tags beside ownership",
                        "tag 'k04' was not set: a rule has room for 3 tags beside ownership"]


def test_sanitise_tags_drops_empty_key():
    assert _tags.sanitise_tags({'': 'x'}) == ({}, ['a tag with an empty key was not set'])


@pytest.mark.parametrize('tags, owner', [
    ({}, None),
    ({'ingress.k8s.aws/stack': 'shop'}, None),
    ({'sorrypage:rule': 'office', 'sorrypage:kind': 'bypass', 'sorrypage:part': '2'}, ('bypass', 'office', 2)),
    ({'sorrypage:rule': 'office', 'sorrypage:kind': 'bypass', 'sorrypage:part': 'x'}, ('bypass', 'office', -1)),
    ({'sorrypage:rule': 'sorry'}, ('', 'sorry', -1)),
])
def test_owner_of(tags, owner):
    assert _tags.owner_of(tags) == owner


@pytest.mark.parametrize('tags, shift', [
    ({'sorrypage:shift': 'from=3'}, 20),  # at 23, from 3
    ({'sorrypage:shift': 'from=23'}, 0),  # tagged, never moved (or back already)
    ({'sorrypage:shift': 'from=30'}, -7),  # moved down by someone else: off still puts it at 30
    ({'sorrypage:shift': 'from=0'}, 0),
    ({'sorrypage:shift': 'from=x'}, 0),
    ({'sorrypage:shift': '+20'}, 20),  # the record of earlier versions: the shift itself
    ({'sorrypage:shift': '+0'}, 0),
    ({'sorrypage:shift': '20'}, 0),
    ({'sorrypage:shift': '-3'}, 0),
    ({}, 0),
    (None, 0),
])
def test_parse_shift(tags, shift):
    assert _tags.parse_shift(tags, 23) == shift


def test_shift_round_trip():
    assert _tags.parse_shift({_tags.SHIFT: _tags.origin_value(4)}, 21) == 17


def test_ownership_tags_are_valid_tag_values():
    tags = _tags.ownership_tags('sorry', 'shop.example.com', 0, _tags.digest({'a': 1}))
    assert tags == {'sorrypage:rule': 'shop.example.com', 'sorrypage:kind': 'sorry', 'sorrypage:part': '0',
                    'sorrypage:hash': tags['sorrypage:hash']}
    assert all(_tags.sanitise_value(v) == v for v in tags.values())


def test_digest_is_stable_and_order_independent_for_dict_keys():
    assert _tags.digest({'a': 1, 'b': [1, 2]}) == _tags.digest({'b': [1, 2], 'a': 1})
    assert _tags.digest({'a': 1}) != _tags.digest({'a': 2})
    assert re.match('^[0-9a-f]{20}$', _tags.digest([]))


def test_tag_list_and_dict_round_trip():
    tags = {'b': '2', 'a': '1'}
    assert _tags.tag_list(tags) == [{'Key': 'a', 'Value': '1'}, {'Key': 'b', 'Value': '2'}]
    assert _tags.tag_dict(_tags.tag_list(tags)) == tags


def test_informational_leaves_out_reserved_keys():
    assert _tags.informational({'sorrypage:rule': 'x', 'sorrypage:shift': '+1', 'sorrypage:pinned': 'true',
                                'sorrypage:why': 'y'}) == {'sorrypage:why': 'y'}


@pytest.mark.parametrize('char, ok', [('a', True), (u'\u65e5', True), ('7', True), (' ', True), ('@', True),
                                      ('#', False), ('(', False), ('\n', False), ('*', False)])
def test_tag_characters(char, ok):
    assert _tags.is_tag_char(char) is ok
