# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timezone

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _until as U


@pytest.mark.parametrize('lang, tz, until, text, iso', [
    ('en', 'UTC', '2026-03-02T14:00:00Z', '2 March 2026, 14:00 UTC', '2026-03-02T14:00+00:00'),
    ('en', 'UTC', '2026-03-02T23:30:00+09:00', '2 March 2026, 14:30 UTC', '2026-03-02T14:30+00:00'),
    ('ja', 'Asia/Tokyo', '2026-03-02T14:00:00Z', u'2026年3月2日(月) 23:00 JST', '2026-03-02T23:00+09:00'),
    ('ja', 'Asia/Tokyo', '2026-03-01T15:05:00+00:00', u'2026年3月2日(月) 00:05 JST', '2026-03-02T00:05+09:00'),
    ('en-GB', 'Europe/London', '2026-07-01T12:00:00Z', '1 July 2026, 13:00 BST', '2026-07-01T13:00+01:00'),
    ('de', 'Europe/Berlin', '2026-03-02T14:00:00Z', '2026-03-02 15:00 CET', '2026-03-02T15:00+01:00'),
])
def test_format_until(lang, tz, until, text, iso):
    moment, warning = U.parse_until(until)
    assert warning is None
    assert U.format_until(moment, lang, tz) == (text, iso)


def test_parse_until_accepts_datetime_and_warns_on_naive_or_text():
    aware = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)
    assert U.parse_until(aware) == (aware, None)
    moment, warning = U.parse_until('2026-03-02T14:00')
    assert moment == aware
    assert warning == "template var 'until' (2026-03-02T14:00) has no UTC offset; taken as UTC"
    assert U.parse_until('after lunch') == (None, "template var 'until' ('after lunch') is not an ISO 8601 date and time "
                                                  "such as 2026-03-02T14:00:00Z; it is shown as given")


@pytest.mark.parametrize('lang, given, expected', [
    ('en', None, 'UTC'),
    ('ja', None, 'Asia/Tokyo'),
    ('ja-JP', None, 'Asia/Tokyo'),
    ('ja', 'Europe/Paris', 'Europe/Paris'),
    ('de', None, 'UTC'),
])
def test_page_zone(lang, given, expected):
    assert U.page_zone(lang, given) == expected


@pytest.mark.parametrize('call', [lambda: U.page_zone('en', 'Mars/Olympus'), lambda: U.zone('Mars/Olympus')])
def test_unknown_time_zone_is_named(call):
    with pytest.raises(ValueError) as err:
        call()
    assert str(err.value).startswith("unknown time zone 'Mars/Olympus': ")
