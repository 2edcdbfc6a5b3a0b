"""``make bench`` end to end on its smallest case: the harness runs and reports counts.

Counts only, never times: the timings are the bench's output, not something
a test can hold to. The counts asserted are the ones the harness itself
measures at the wire, so a harness that stops counting (or counts the
seeding, or a baseline that stops switching) fails here.
"""
import json

import pytest

from tests.bench import __main__ as bench_main
from tests.bench.report import table

pytestmark = pytest.mark.sandbox_only


@pytest.fixture(scope='module')
def smoke(tmp_path_factory):
    output = str(tmp_path_factory.mktemp('bench') / 'bench.json')
    printed = []
    args = bench_main.parse_args(['--smoke', '--output', output])
    data = bench_main.bench(args, log=printed.append)
    return data, bench_main.render(data), printed


def test_the_smoke_run_has_no_errors_and_skips_nothing(smoke):
    data, _text, printed = smoke
    assert data['errors'] == []
    assert data['skipped'] == []
    assert data['meta']['smoke'] is True and data['meta']['machine']['cores'] >= 1
    assert any('Part 1' in line for line in printed) and any('Part 2' in line for line in printed)


def test_module_steps_are_counted_at_the_wire(smoke):
    data, _text, _printed = smoke
    steps = {s['step']: s for s in data['module_calls']['steps']}
    assert sorted(steps) == ['room: sorry first apply', 'room: sorry removal', 'room: sorry rerun']
    first, rerun, removal = (steps['room: sorry %s' % s] for s in ('first apply', 'rerun', 'removal'))
    assert first['calls'].get('CreateRule') == 1 and first['writes'] >= 1 and first['changed'] is True
    assert rerun['writes'] == 0 and rerun['reads'] >= 1 and rerun['changed'] is False
    assert removal['calls'].get('DeleteRule') == 1
    for step in (first, rerun, removal):
        assert step['total'] == step['reads'] + step['writes'] == sum(step['calls'].values())
    # 20 foreign rules, plus ours while it is on.
    assert (first['rules_after'], rerun['rules_after'], removal['rules_after']) == (21, 21, 20)
    assert [t['ok'] for t in data['module_calls']['targets']] == [True, True, True]


def test_runbook_and_baseline_switch_one_listener_and_are_counted(smoke):
    data, _text, _printed = smoke
    (scenario,) = data['runbook']['scenarios']
    assert (scenario['name'], scenario['sites'], scenario['listeners'], scenario['runs']) == ('1x1', 1, 1, 1)
    ours, base = scenario['ours'], scenario['baseline']
    for side in (ours, base):
        assert side['ok'] and side['restored_exactly'], side['failures']
        assert side['calls']['on']['by_operation']['CreateRule'] == 2       # bypass + sorry
        assert side['calls']['off']['by_operation']['DeleteRule'] == 2
        assert side['calls']['rerun']['writes'] == 0
        assert side['time_to_sorry_missing'] == 0                            # the poller saw the page
        assert side['users_after_on']['listeners'] == 1
    # In front of the controller's rules, the public gets the page on the application's host; behind them, not.
    assert ours['users_after_on']['public_sorry'] == 1 and base['users_after_on']['public_sorry'] == 0
    assert ours['users_after_on']['office_app'] == 1 and base['users_after_on']['office_app'] == 1
    # The controller numbers its rules from 1: the runbook shifts them once and puts them back.
    assert ours['calls']['on']['by_operation']['SetRulePriorities'] == 1
    assert ours['calls']['off']['by_operation']['SetRulePriorities'] == 1
    assert ours['calls_per_listener']['on']['CreateRule'] == 2.0
    assert set(scenario['ratios']) >= {'time_to_sorry_first', 'on_wall', 'calls_on', 'calls_rerun', 'calls_off'}
    names = [t['target'] for t in data['runbook']['targets']]
    assert len(names) == 4 and all(t['ok'] is None for t in data['runbook']['targets'])  # they need the full run


def test_the_report_prints_and_the_json_is_written(smoke, tmp_path):
    data, text, _printed = smoke
    assert 'Issue 3 targets' in text and 'Issue 7 targets' in text
    assert 'room: sorry first apply' in text and '1x1 | runbook' in text and '1x1 | elb_application_lb' in text
    output = str(tmp_path / 'out.json')
    assert bench_main.main(['--smoke', '--skip-module', '--skip-runbook', '--output', output]) == 0
    with open(output, encoding='utf-8') as handle:
        written = json.load(handle)
    assert written['skipped'] == ['part 1 (module API calls): --skip-module', 'part 2 (runbook): --skip-runbook']
    assert 'module_calls' not in written and 'runbook' not in written
    assert written['meta']['machine']['cores'] == data['meta']['machine']['cores']


def test_table_lines_up_columns():
    text = table(['name', 'n'], [['a', 1], ['longer', 22], ['x', None]], title='T')
    lines = text.splitlines()
    assert lines[1:3] == ['T', '=']
    assert lines[3:] == ['name    n', '------  --', 'a        1', 'longer  22', 'x        -']
