from tests.ansible_run import run_module


def test_ansible_runs_a_module_and_reports_json():
    res = run_module('ansible.builtin.set_fact', {'x': 1})
    assert res['ansible_facts'] == {'x': 1}
