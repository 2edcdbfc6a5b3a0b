# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sorrypage.aws.plugins.module_utils import _budget as B


@pytest.mark.parametrize('text, chars, utf8', [
    ('hello', 5, 5),
    (u'メンテナンス中', 7, 21),
    (u'é', 1, 2),
    (u'a\U0001F600', 3, 5),  # an emoji counts 2, as UTF-16 would
    ('', 0, 0),
])
def test_count_chars(text, chars, utf8):
    assert B.count_chars(text) == chars
    assert len(text.encode('utf-8')) == utf8


def test_page_parts_and_over_budget_message():
    body = '<html><style>%s</style><p>%s</p><img src="%s" alt="x"></html>' % ('a' * 300, 'b' * 200, 'data:image/png;base64,' + 'C' * 478)
    parts = B.page_parts(body, {'data:image/png;base64,' + 'C' * 478: 'logo.png'})
    assert parts[0] == ('inline logo.png (data: URI)', 500)
    assert parts[1] == ('inline <style>', 300)
    assert parts[2] == ('text', 200)
    assert sum(size for _label, size in parts) == B.count_chars(body)
    assert B.over_budget_message('en', 1100, 1024, parts) == (
        "page 'en' is 1100 characters, 76 over the 1024-character limit of an ALB fixed response; "
        "largest parts: inline logo.png (data: URI) 500, inline <style> 300, text 200, markup (tags and attributes) %d" % parts[3][1])
