# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The expected end of maintenance (template var ``until``): parse it, and
show it in the page's language and time zone (pure)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timezone

try:
    from zoneinfo import ZoneInfo
except ImportError:  # Python < 3.9; the collection needs 3.9+
    ZoneInfo = None

# The zone a page shows ``until`` in when the caller names none, by language.
DEFAULT_TZ = {'ja': 'Asia/Tokyo'}
FALLBACK_TZ = 'UTC'

_EN_MONTHS = ('January', 'February', 'March', 'April', 'May', 'June', 'July',
              'August', 'September', 'October', 'November', 'December')
_JA_WEEKDAYS = u'\u6708\u706b\u6c34\u6728\u91d1\u571f\u65e5'  # Mon..Sun


def _base_lang(lang):
    return lang.split('-')[0].lower()


def zone(name):
    """The time zone called ``name``; ValueError naming it when there is none."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError('unknown time zone %r: %s' % (name, exc))


def page_zone(lang, tz_name=None):
    """The zone name a page in ``lang`` uses: ``tz_name`` when given, else its
    language's default. ValueError when the zone does not exist."""
    name = tz_name or DEFAULT_TZ.get(_base_lang(lang), FALLBACK_TZ)
    zone(name)
    return name


def parse_until(value):
    """An aware datetime from ISO 8601 text (or a datetime), and a warning or None.

    Returns (None, warning) when it is not a date and time."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        if text[-1:] in ('Z', 'z'):
            text = text[:-1] + '+00:00'
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None, ("template var 'until' (%r) is not an ISO 8601 date and time such as "
                          "2026-03-02T14:00:00Z; it is shown as given" % str(value))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc), "template var 'until' (%s) has no UTC offset; taken as UTC" % value
    return moment, None


def format_until(moment, lang, tz_name):
    """(display text in the page's language and zone, ISO 8601 in that zone)."""
    local = moment.astimezone(zone(tz_name))
    abbr = local.tzname() or tz_name
    base = _base_lang(lang)
    if base == 'en':
        text = '%d %s %d, %02d:%02d %s' % (local.day, _EN_MONTHS[local.month - 1], local.year, local.hour, local.minute, abbr)
    elif base == 'ja':
        text = u'%d\u5e74%d\u6708%d\u65e5(%s) %02d:%02d %s' % (
            local.year, local.month, local.day, _JA_WEEKDAYS[local.weekday()], local.hour, local.minute, abbr)
    else:
        text = '%04d-%02d-%02d %02d:%02d %s' % (local.year, local.month, local.day, local.hour, local.minute, abbr)
    return text, local.isoformat(timespec='minutes')
