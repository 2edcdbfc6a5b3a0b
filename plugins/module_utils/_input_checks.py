# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inputs the runbook refuses before it reads or changes anything (pure, but for the botocore data read).

``region_problem``: sorry_region must be an AWS region that botocore knows,
or one shaped like the regions of a partition it knows (a region newer than
the installed botocore still passes). An endpoint override
(sorry_aws_endpoint_url, the sandbox's moto) does not lift the check: the
region still signs every request.

``until_problem``: sorry_until, when set, must be an ISO 8601 date and time
(it is shown on the page and, with sorry_auto_off, ends the window).

``pause_problem``: the ALB driver puts the page up and only then pauses the
AWS Load Balancer Controller. When the read of the controller that chose
the driver already showed the pause cannot be done (no Deployment matches
sorry_lbc_selector, several do, or the kubeconfig or its context cannot be
used), ``on`` is refused before the switch instead of failing after it. A
controller that cannot be reached (an EKS outage) is not refused: that is
what the ALB driver is for.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import re

from ansible.module_utils.six import string_types

from ansible_collections.sorrypage.aws.plugins.module_utils import _until

# What lbc_pause status's read_problem says, and the inputs that decide it.
PAUSE_REFUSED = {
    'none_found': 'sorry_lbc_selector and sorry_lbc_namespace',
    'several_found': 'sorry_lbc_selector',
    'config': 'sorry_kubeconfig and sorry_kube_context',
}
EXAMPLE_REGIONS = ('us-east-1', 'eu-west-1', 'ap-northeast-1')
# A two-letter area, one or more words, a number: the shape of every AWS region so far.
REGION_SHAPE = re.compile(r'^[a-z]{2}(-[a-z]+)+-[0-9]+$')
# The entry points that take sorry_until (shown on the page, ends the window): a bad one never stops `off`.
UNTIL_ENTRIES = ('on', 'prepare')


def endpoint_partitions():
    """[(partition name, region pattern, [region names])] from the installed botocore's endpoint data; [] without it."""
    try:
        import botocore.session
    except ImportError:
        return []
    data = botocore.session.get_session().get_data('endpoints') or {}
    return [(p.get('partition') or '?', p.get('regionRegex') or '', sorted(p.get('regions') or {}))
            for p in data.get('partitions') or []]


def region_problem(region, partitions):
    """'' when ``region`` (sorry_region) is an AWS region of ``partitions`` (``endpoint_partitions()``) or matches
    one's pattern, else why not, naming sorry_region and its value. With no partitions (no botocore) it passes."""
    text = region if isinstance(region, string_types) else ('' if region is None else str(region))
    if not text.strip():
        return 'sorry_region is empty: set the AWS region of the load balancer, e.g. %s' % EXAMPLE_REGIONS[1]
    if not partitions:
        return ''
    for _name, pattern, regions in partitions:
        if text in regions or (pattern and re.match(pattern, text)):
            return ''
    if REGION_SHAPE.match(text):
        return ''  # shaped like every AWS region (us-east-1, us-gov-west-1, mx-central-1): newer than this botocore
    close = difflib.get_close_matches(text.strip().lower(), sorted(r for _n, _p, regions in partitions for r in regions), n=3, cutoff=0.8)
    return ("sorry_region: '%s' is not an AWS region: botocore knows no region of that name, nor has any of its "
            "partitions regions of that form (e.g. %s)%s" % (
                text, ', '.join(EXAMPLE_REGIONS), ('; did you mean one of %s?' % ', '.join(close)) if close else ''))


def until_problem(until):
    """'' when ``until`` (sorry_until) is empty or an ISO 8601 date and time, else why not, naming both."""
    if until is None or (isinstance(until, string_types) and not until.strip()):
        return ''
    moment, _warning = _until.parse_until(until)
    if moment is not None:
        return ''
    return ("sorry_until: '%s' is not an ISO 8601 date and time with a UTC offset such as 2030-05-01T06:00:00+09:00 "
            'or 2030-04-30T21:00:00Z (the end of maintenance the page shows)' % str(until).strip())


def input_problems(region, until='', partitions=None, entry=None):
    """The problems of sorry_region and sorry_until, [] when all is well. ``entry``: the playbook (on, off, ...);
    sorry_until is checked only for UNTIL_ENTRIES (and always when ``entry`` is None)."""
    problems = [region_problem(region, endpoint_partitions() if partitions is None else partitions),
                until_problem(until) if entry is None or entry in UNTIL_ENTRIES else '']
    return [p for p in problems if p]


def pause_problem(mode, lbc):
    """Why ``on`` must not switch the ALB driver on now ('' when it may).

    ``mode``: the driver chosen (``_driver.resolve``); ``lbc``: lbc_pause
    status's ``controller`` read while choosing it (None when not read). The
    ALB driver pauses the controller after the switch unless
    sorry_eks_outage is false; when the read already failed in a way the
    pause would fail too (``PAUSE_REFUSED``), that failure is said now.
    """
    mode, lbc = mode or {}, lbc or {}
    if mode.get('driver') != 'alb' or mode.get('eks_outage') == 'false':
        return ''
    problem = lbc.get('read_problem') or ''
    if lbc.get('action') != 'unknown' or problem not in PAUSE_REFUSED:
        return ''
    why = ' '.join(lbc.get('warnings') or []) or lbc.get('message') or problem
    return ('Nothing was changed: the ALB driver would put the Sorry page on and then pause the AWS Load Balancer '
            'Controller, which cannot be done: %s Check %s, or run with sorry_eks_outage=false to switch without '
            'pausing it.' % (why if why.endswith('.') else why + '.', PAUSE_REFUSED[problem]))
