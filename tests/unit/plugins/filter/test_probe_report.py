# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError
import jinja2

from ansible_collections.sorrypage.aws.plugins.filter.probe_report import FilterModule
from ansible_collections.sorrypage.aws.plugins.module_utils import _probe_report

NAMES = ['sorry_bypass_probe', 'sorry_is_sorry', 'sorry_off_probe_verdict', 'sorry_probe_done', 'sorry_probe_skip_reason',
         'sorry_verify_expect', 'sorry_verify_failure', 'sorry_verify_lines', 'sorry_verify_retries']


def filters():
    return FilterModule().filters()


def test_the_filters_are_registered():
    assert sorted(filters()) == NAMES


def test_the_filters_call_the_module_utils():
    f = filters()
    assert f['sorry_is_sorry']('x sorry-1 y', ['sorry-1']) is True
    assert f['sorry_probe_done']({'status': 503, 'content': 'sorry-1'}, 'on', ['sorry-1']) is True
    assert f['sorry_verify_retries'](120, 3) == 40
    assert f['sorry_verify_lines']('shop', 'http://x/', 'off', [], {'status': 200, 'content': ''}) == \
        _probe_report.verify_lines('shop', 'http://x/', 'off', [], {'status': 200, 'content': ''})
    assert f['sorry_off_probe_verdict']('shop', 'http://x/', {'status': 502}, [], True, "this node's address", True,
                                        False)['refuse'] is True
    assert f['sorry_verify_failure']('shop', 'http://x/', 'on', [], 3, {'status': 200}, 'T').startswith(
        'verify FAILED for shop after 3s (1 attempts): T. http://x/ answered HTTP 200,')


@pytest.mark.parametrize('name, args, message', [
    ('sorry_verify_retries', (20, 'x'), "^sorry_verify_retries: sorry_verify_delay must be a whole number of seconds, got 'x'$"),
    ('sorry_probe_done', ({'status': 200}, 'maybe', []),
     r"^sorry_probe_done: expect must be 'on' or 'off' \(the maintenance state the probe checks\), got 'maybe'$"),
    ('sorry_off_probe_verdict', ('shop', 'http://x/', None, [], 'perhaps', 'h', True, False),
     "^sorry_off_probe_verdict: can_bypass must be true or false, got 'perhaps'$"),
])
def test_wrong_input_fails_the_filter_by_name(name, args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        filters()[name](*args)


def test_the_filters_work_in_a_template():
    """The argument order the roles use: the piped value first, then the rest, keywords where optional."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters.update(filters())
    variables = {'probe': {'status': 503, 'content': '<p>sorry-1</p>', 'attempts': 2}, 'markers': ['sorry-1'],
                 'skipped_probe': {'skipped': True, 'changed': False}}

    def render(template):
        return env.from_string(template).render(variables)

    assert render('{{ probe | sorry_probe_done("on", markers) }}') == 'True'
    assert render('{{ probe | sorry_probe_done("off", markers, source_is_bypassed=false, bypass=true) }}') == 'False'
    assert render('{{ probe.content | sorry_is_sorry(markers) }}') == 'True'
    assert render('{{ 20 | sorry_verify_retries(3) }}') == '7'
    assert render('{{ "shop" | sorry_verify_lines("http://x/", "on", markers, probe, bypass=skipped_probe,'
                  ' bypass_header_name="", source_is_bypassed=false) | join("|") }}') == (
        'verify shop (maintenance ON) at http://x/|'
        'public: OK - HTTP 503, the Sorry page (marker found) after 2 attempt(s)|'
        'bypass: not probed (no bypass header; requests from this node are public ones)')
    assert render('{{ ("shop" | sorry_off_probe_verdict("http://x/", skipped_probe, markers, true,'
                  ' "header X", false, false, url_set=true)).line }}') == 'no probe: maintenance is not on'
    assert render('{{ "shop" | sorry_verify_failure("http://x/", "on", markers, 20, probe, "T") }}').startswith(
        'verify FAILED for shop after 20s (2 attempts): T. http://x/ answered HTTP 503, the Sorry page (marker found).')
