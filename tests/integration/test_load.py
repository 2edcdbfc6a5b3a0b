"""Load (issue 16), small: 10 sites x 2 listeners on and back off, ``--forks 25``, every 20th ELBv2 call throttled.

tests/bench/load.py with 10 sites (``make bench`` runs it with 50). The
outcome is asserted, never the time: the times go to stderr.
"""
import sys

import pytest

from tests.bench import load

pytestmark = pytest.mark.sandbox_only

SITES = 10


@pytest.fixture(scope='module')
def result(tmp_path_factory, pytestconfig):
    data = load.run(sites=SITES, workdir=str(tmp_path_factory.mktemp('load')), log=lambda line: None)
    capture = pytestconfig.pluginmanager.getplugin('capturemanager')
    with capture.global_and_fixture_disabled():  # the times, for the log: shown, never asserted
        sys.stderr.write('\n' + load.render(data) + '\n')
    return data


@pytest.mark.parametrize('step', ['on', 'off'])
def test_both_runs_succeed_on_every_site(result, step):
    run = result[step]
    assert run['rc'] == 0, run['failures']
    assert run['failed_hosts'] == []
    assert run['hosts'] == SITES and run['changed_hosts'] == SITES


def test_every_site_shows_the_page_lets_the_office_through_and_is_back_exactly(result):
    assert result['problems'] == {}
    assert result['sites_ok'] == SITES
    assert result['ours_rules_during'] >= 2 * SITES * 2  # a bypass and a sorry rule at least, per listener


@pytest.mark.parametrize('step', ['on', 'off'])
def test_every_20th_elbv2_call_was_throttled_and_the_run_still_succeeded(result, step):
    """A throttled call never reaches moto: the run succeeding on every site (the tests above) means each was
    retried; here, that the throttling really happened in this run."""
    calls = result[step]['calls']
    assert calls['elbv2_calls'] >= 20 * SITES // 2
    # The counter runs over both runs; within one run, the 20th calls are one in 20 give or take one.
    assert abs(calls['throttled'] - calls['elbv2_calls'] / 20.0) <= 1
    assert calls['throttled'] >= 1 and result[step]['rc'] == 0 and result[step]['failed_hosts'] == []
