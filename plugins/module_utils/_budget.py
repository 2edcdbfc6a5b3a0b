# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The character budget of an ALB fixed response: count a page, and when it
is over, say which of its parts are the largest (pure)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_BODY_CHARS
from ansible_collections.sorrypage.aws.plugins.module_utils._html_refs import parse_attrs
from ansible_collections.sorrypage.aws.plugins.module_utils._html_refs import split_raw
from ansible_collections.sorrypage.aws.plugins.module_utils._html_refs import tag_name
from ansible_collections.sorrypage.aws.plugins.module_utils._html_refs import tokenize

DEFAULT_MAX_CHARS = MAX_BODY_CHARS


def count_chars(text):
    """Characters as the ALB budget counts them.

    Every character counts 1 (a Japanese character is 1, not 3 as in UTF-8);
    a character outside the Basic Multilingual Plane (an emoji) counts 2, as
    a UTF-16 count would, so the estimate is never below the real count.
    """
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def page_parts(body, labels):
    """The parts of a final page and their size in characters, largest first:
    inline <style>/<script>, each inline data: URI, asset URLs, style
    attributes, text, and the remaining markup.

    ``labels`` maps each asset URL (or data: URI) in the page to the file it
    came from, to name it.
    """
    parts = {}

    def add(label, text):
        parts[label] = parts.get(label, 0) + count_chars(text)

    for kind, text in tokenize(body):
        if kind == 'text':
            add('text', text)
        if kind not in ('start', 'raw'):
            continue
        start = text
        if kind == 'raw':
            start, content, _end = split_raw(text)
            add('inline <%s>' % tag_name(start), content)
        for attr, value in parse_attrs(start):
            if not value:
                continue
            if value.startswith('data:'):
                add('inline %s (data: URI)' % labels.get(value, attr), value)
            elif value in labels or any(url in value for url in labels if not url.startswith('data:')):
                add('asset URLs', value)
            elif attr == 'style':
                add('style attributes', value)
    total = count_chars(body)
    parts['markup (tags and attributes)'] = total - sum(parts.values())
    return sorted(((label, size) for label, size in parts.items() if size > 0), key=lambda item: (-item[1], item[0]))


def over_budget_message(name, chars, max_chars, parts, top=4):
    largest = ', '.join('%s %d' % (label, size) for label, size in parts[:top])
    return ("page '%s' is %d characters, %d over the %d-character limit of an ALB fixed response; "
            "largest parts: %s" % (name, chars, chars - max_chars, max_chars, largest))
