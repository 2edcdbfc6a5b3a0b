"""What our modules print in a normal run: their own warnings, once, and no
deprecation notice (amazon.aws's AnsibleAWSModule would pass ``warnings`` to
exit_json on ansible-core 2.19, which ansible-core reports as deprecated)."""
import os
import tempfile

import pytest
import yaml

from tests.ansible_run import REPO, run_module, run_playbook

PAGE = '<!doctype html><title>Maintenance</title><h1>Back soon</h1>'
DEFAULT_PAGES = os.path.join(REPO, 'roles', 'sorry_assets', 'files')


def run_printed(module, module_args, check=False):
    """Run one task with the default (human) output; return (result, printed text)."""
    play = [{'hosts': 'localhost', 'gather_facts': False, 'connection': 'local',
             'tasks': [{'name': 'under test', module: module_args, 'register': 'out'},
                       {'name': 'the result', 'ansible.builtin.debug': {'var': 'out'}}]}]
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as handle:
        yaml.safe_dump(play, handle)
        path = handle.name
    try:
        proc = run_playbook(path, inventory='localhost,', check=check,
                            env={'ANSIBLE_STDOUT_CALLBACK': 'ansible.builtin.default',
                                 'ANSIBLE_DEPRECATION_WARNINGS': 'true'})
    finally:
        os.unlink(path)
    assert proc.rc == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def assert_no_deprecation(printed):
    assert 'deprecat' not in printed.lower(), printed


def test_alb_sorry_rule_warns_without_a_deprecation_notice(moto, site):
    printed = run_printed('sorrypage.aws.alb_sorry_rule', {
        'listener_arn': site['listeners'][443], 'content': PAGE, 'make_room': True,
        'tags': {'sorrypage:rule': 'hijack'}, 'endpoint_url': moto.url, 'region': 'us-east-1'})
    assert_no_deprecation(printed)
    # the module's own warning still shows, in the output and in the result
    assert "[WARNING]: tag 'sorrypage:rule' is reserved for ownership and was not set" in printed, printed
    assert "- tag 'sorrypage:rule' is reserved for ownership and was not set" in printed, printed


def test_alb_sorry_info_prints_no_deprecation_notice(moto, site):
    printed = run_printed('sorrypage.aws.alb_sorry_info', {
        'load_balancer_name': site['load_balancer_name'], 'endpoint_url': moto.url, 'region': 'us-east-1'})
    assert_no_deprecation(printed)


def test_sorry_asset_upload_warns_without_a_deprecation_notice(tmp_path):
    printed = run_printed('sorrypage.aws.sorry_asset_upload', {
        'src': DEFAULT_PAGES, 'public_url': 'https://d111111abcdef8.cloudfront.net/sorry', 'pages': ['en'],
        'template_vars': {'reason': 'Maintenance. ' * 60}, 'shorten_var': 'reason',
        'endpoint_url': 'http://127.0.0.1:9', 'region': 'us-east-1'})
    assert_no_deprecation(printed)
    assert "[WARNING]: page 'en' was" in printed, printed


# Empty values count as unset for botocore's providers; the container
# provider's variables must be absent, so the test removes them.
NO_CREDENTIALS = {'AWS_ACCESS_KEY_ID': '', 'AWS_SECRET_ACCESS_KEY': '', 'AWS_SESSION_TOKEN': '',
                  'AWS_SHARED_CREDENTIALS_FILE': '/nonexistent/credentials', 'AWS_CONFIG_FILE': '/nonexistent/config',
                  'AWS_EC2_METADATA_DISABLED': 'true'}
UNSET = ('AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_WEB_IDENTITY_TOKEN_FILE',
         'AWS_PROFILE')
HINT = '(no AWS credentials found; for the local sandbox: `source tests/output/sandbox.env`)'


@pytest.mark.parametrize('module, args', [
    ('sorrypage.aws.alb_sorry_info', {'load_balancer_name': 'shop'}),
    ('sorrypage.aws.alb_sorry_rule', {'load_balancer_name': 'shop', 'listener_port': 443, 'content': PAGE}),
    ('sorrypage.aws.alb_sorry_site', {'load_balancer_name': 'shop', 'rule_sets': [{'kind': 'sorry', 'name': 'sorry', 'content': PAGE}]}),
    ('sorrypage.aws.sorry_asset_upload', {'src': DEFAULT_PAGES, 'public_url': 'https://d111111abcdef8.cloudfront.net/sorry',
                                          'bucket': 'sorrypage-assets'}),
])
def test_a_run_without_credentials_says_to_source_the_sandbox_env(monkeypatch, moto, module, args):
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    result = run_module(module, dict(args, endpoint_url=moto.url, region='us-east-1'), env=NO_CREDENTIALS)
    assert result['failed'] is True
    assert 'Unable to locate credentials' in result['msg'], result['msg']
    assert result['msg'].endswith('\n' + HINT), result['msg']
