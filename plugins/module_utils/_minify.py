# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Minify pages and stylesheets with the minify-html library.

There is deliberately one minifier: the page body is what the sorry rule
holds and what its hash and marker are made of, so every machine that builds
a page must produce the same bytes. A fallback that only some control nodes
use would change the rule on every run from another machine. Without the
library, minifying fails and says which package to install.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import minify_html
    HAS_MINIFY_HTML = True
except ImportError:
    minify_html = None
    HAS_MINIFY_HTML = False

NAME = 'minify-html'
MISSING_LIBRARY = ("minifying the pages needs the minify-html Python library, which is not installed on the "
                   "control node: pip install minify-html (it is in the collection's requirements.txt), "
                   "or set minify=false")

_STYLE_OPEN = '<style>'
_STYLE_CLOSE = '</style>'


class MinifierMissing(Exception):
    """minify-html is not installed; the message says what to install."""

    def __init__(self):
        super(MinifierMissing, self).__init__(MISSING_LIBRARY)


def _require():
    if not HAS_MINIFY_HTML:
        raise MinifierMissing()


def minify_page(html):
    """A whole page, minified, with spec-compliant output: quotes kept where
    needed, the doctype kept as it is, CSS minified, scripts left alone."""
    _require()
    return minify_html.minify(html, minify_css=True, minify_js=False, keep_closing_tags=False,
                              keep_html_and_head_opening_tags=False, minify_doctype=False,
                              allow_noncompliant_unquoted_attribute_values=False,
                              allow_removing_spaces_between_attributes=False,
                              keep_comments=False)


def minify_stylesheet(css):
    """A CSS file, minified through a <style> element (the library takes HTML).

    CSS that does not come back whole inside that element (it holds text
    that closes it) is returned as it was: unminified is better than broken.
    """
    out = minify_page(_STYLE_OPEN + css + _STYLE_CLOSE)
    if out.startswith(_STYLE_OPEN) and out.endswith(_STYLE_CLOSE) and _STYLE_CLOSE not in out[len(_STYLE_OPEN):-len(_STYLE_CLOSE)]:
        return out[len(_STYLE_OPEN):-len(_STYLE_CLOSE)]
    return css
