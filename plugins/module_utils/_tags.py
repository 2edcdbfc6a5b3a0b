# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ownership tags on listener rules, tag sanitising and content hashes (pure).

A rule belongs to this collection when it carries ``sorrypage:rule``; its
identity on the listener is (``sorrypage:kind``, ``sorrypage:rule``) and its
place in a split set is ``sorrypage:part``. ``sorrypage:hash`` is the hash of
the conditions and actions as this collection wrote them, so a rule changed in
place by someone else (the Load Balancer Controller does that to a rule at a
priority it wants) is noticed. A foreign rule moved out of the way carries
``sorrypage:shift`` = ``from=N``, its original priority, written before the
move: whether the move's answer arrived or not, the record says where the rule
goes back to (a rule at N with the tag was never moved, or is back). Rules
moved by earlier versions carry ``+k`` (original = priority - k), still read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import re
import unicodedata

from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_TAG_KEY_CHARS
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_TAG_VALUE_CHARS
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_TAGS_PER_RESOURCE

PREFIX = 'sorrypage:'
RULE = PREFIX + 'rule'
KIND = PREFIX + 'kind'
PART = PREFIX + 'part'
HASH = PREFIX + 'hash'
SHIFT = PREFIX + 'shift'
# On an owned rule whose priority the caller chose: automatic placement of
# other sets leaves it where it is.
PINNED = PREFIX + 'pinned'
OWNERSHIP_KEYS = (RULE, KIND, PART, HASH)
RESERVED_KEYS = OWNERSHIP_KEYS + (SHIFT, PINNED)

_SHIFT_RE = re.compile(r'^\+([1-9][0-9]*)$')
_ORIGIN_RE = re.compile(r'^from=([1-9][0-9]*)$')


def is_tag_char(char):
    """ELBv2 tag keys and values: Unicode letters, numbers, separators and _.:/=+-@."""
    return unicodedata.category(char)[0] in 'LNZ' or char in '_.:/=+-@'


def tag_list(tags):
    """dict -> the [{'Key': .., 'Value': ..}] list the API takes, in key order."""
    return [{'Key': key, 'Value': tags[key]} for key in sorted(tags)]


def tag_dict(tag_list_):
    return dict((t['Key'], t.get('Value', '')) for t in tag_list_ or [])


def sanitise_value(value, limit=MAX_TAG_VALUE_CHARS):
    """A tag value the ELBv2 API accepts.

    Line breaks and tabs become spaces, any other character outside letters,
    digits, spaces and ``_.:/=+-@`` becomes ``_``, and the result is cut to
    ``limit`` characters.
    """
    text = '' if value is None else str(value)
    out = []
    for char in text:
        if char in '\r\n\t':
            out.append(' ')
        elif is_tag_char(char):
            out.append(char)
        else:
            out.append('_')
    return ''.join(out)[:limit]


def sanitise_tags(tags, room=MAX_TAGS_PER_RESOURCE - len(OWNERSHIP_KEYS) - 1):
    """Informational tags made safe to send: returns (tags, warnings).

    Never fails: a bad informational tag must not keep the Sorry page off.
    Reserved keys are dropped, keys and values sanitised and cut, and tags
    beyond ``room`` dropped, each with a warning.
    """
    clean = {}
    warnings = []
    for key in sorted(tags or {}):
        value = tags[key]
        new_key = sanitise_value(key, MAX_TAG_KEY_CHARS)
        if new_key in RESERVED_KEYS:
            warnings.append("tag '%s' is reserved for ownership and was not set" % key)
            continue
        if not new_key:
            warnings.append('a tag with an empty key was not set')
            continue
        new_value = sanitise_value(value)
        if new_key != key:
            warnings.append("tag key '%s' was sanitised to '%s'" % (key, new_key))
        if new_value != ('' if value is None else str(value)):
            warnings.append("the value of tag '%s' was sanitised to '%s'" % (new_key, new_value))
        if len(clean) >= room:
            warnings.append("tag '%s' was not set: a rule has room for %d tags beside ownership" % (new_key, room))
            continue
        clean[new_key] = new_value
    return clean, warnings


def digest(canonical):
    """A short stable hash of JSON-able data (the canonical conditions and actions)."""
    text = json.dumps(canonical, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:20]


def ownership_tags(kind, name, part, content_hash):
    return {RULE: name, KIND: kind, PART: str(part), HASH: content_hash}


def owner_of(tags):
    """(kind, name, part) of an owned rule, or None for a rule this collection does not own.

    A rule with an ownership tag but an unreadable part gets part -1, so it is
    recognised as owned and cleaned up rather than mistaken for a foreign rule.
    """
    if not tags or RULE not in tags:
        return None
    try:
        part = int(tags.get(PART, ''))
    except ValueError:
        part = -1
    return tags.get(KIND, ''), tags[RULE], part


def origin_value(priority):
    """The shift record of a foreign rule whose original priority is ``priority``."""
    return 'from=%d' % priority


def parse_shift(tags, priority):
    """How far a foreign rule now at ``priority`` is from the priority its
    shift record names (0 when it has none, an unreadable one, or is there)."""
    value = (tags or {}).get(SHIFT, '')
    match = _ORIGIN_RE.match(value)
    if match:
        return priority - int(match.group(1))
    match = _SHIFT_RE.match(value)
    if not match or priority - int(match.group(1)) < 1:
        return 0  # none, unreadable, or a +k record that cannot hold: the rule is back already
    return int(match.group(1))


def is_legacy_shift(tags):
    """A shift record of earlier versions (``+k``): relative, so it must become ``from=N`` before the rule moves."""
    return bool(_SHIFT_RE.match((tags or {}).get(SHIFT, '')))


def informational(tags):
    """The tags of an owned rule that are not ownership tags."""
    return dict((k, v) for k, v in (tags or {}).items() if k not in RESERVED_KEYS)
