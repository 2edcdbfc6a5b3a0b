"""Docs that run: every command block tagged for the sandbox is executed against it.

The convention (docs/runbook.md says it at the top): an HTML comment
``<!-- sandbox expect="..." -->`` on the line right before a fenced ``sh``
block. The block runs with ``bash -e -o pipefail`` from the repository root,
in document order, against one sandbox per document (``make demo``'s: the
stand-in AWS Load Balancer Controller reconciling), with the sandbox's
environment (what ``make sandbox`` writes to tests/output/sandbox.env, which
inventories/local reads) plus ``INV=inventories/local`` and ``SITE=sandbox``.
Every tagged block must exit 0 and print each of its ``expect`` strings.
Untagged blocks (console steps, the aws CLI, kubectl) are never run.
"""
import glob
import os
import pwd
import re
import subprocess
import sys

import pytest

from tests.ansible_run import REPO
from tests.sandbox.dataplane import OFFICE_IP, PUBLIC_IP, request
from tests.sandbox.sandbox import Sandbox
from tests.sandbox.demo import controller_replicas, listeners_snapshot as listeners

TAG = re.compile(r'^<!--\s*sandbox\b(?P<attrs>[^>]*?)-->\s*$')
EXPECT = re.compile(r'expect="([^"]+)"')
FENCE = re.compile(r'^```(?P<info>[^`]*)$')
SANDBOX_ENV = {'INV': 'inventories/local', 'SITE': 'sandbox'}
SITE_HOSTS = ('shop.example.test', 'blog.example.test')
ENTRY = re.compile(r'playbooks/maintenance_(prepare|on|off|status|verify)\.yml')
UNTIL = re.compile(r'sorry_until=(\S+)')


def documents():
    """Every Markdown file a user reads: README, docs/, the roles' READMEs."""
    found = [os.path.join(REPO, 'README.md')]
    found += sorted(glob.glob(os.path.join(REPO, 'docs', '*.md')))
    found += sorted(glob.glob(os.path.join(REPO, 'roles', '*', 'README.md')))
    return found


def fenced_blocks(text):
    """(line number of the fence, info string, code, tag attributes or None) for every fenced block."""
    lines = text.splitlines()
    blocks, index = [], 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and lines[end].rstrip() != '```':
            end += 1
        tag = TAG.match(lines[index - 1]) if index else None
        blocks.append((index + 1, opening.group('info').strip(), '\n'.join(lines[index + 1:end]) + '\n',
                       tag.group('attrs') if tag else None))
        index = end + 1
    return blocks


def sandbox_blocks(path):
    """The tagged blocks of one document: [(line, code, [expected strings])]."""
    with open(path, encoding='utf-8') as handle:
        text = handle.read()
    return [(line, code, EXPECT.findall(attrs)) for line, _info, code, attrs in fenced_blocks(text) if attrs is not None]


def relative(path):
    return os.path.relpath(path, REPO)


def runnable_documents():
    return [relative(p) for p in documents() if sandbox_blocks(p)]


def entries(code):
    """The maintenance entry points a block runs, in order."""
    return ENTRY.findall(code)


# ----------------------------------------------------------------- the convention, without a sandbox

def test_parser_finds_tags_fences_and_expectations():
    text = ('intro\n<!-- sandbox expect="maintenance ON" expect="public: OK" -->\n```sh\necho on\n```\n'
            '```sh\nnot tagged\n```\n<!-- sandbox -->\n\n```sh\nblank line between: not tagged\n```\n')
    blocks = fenced_blocks(text)
    assert [(b[0], b[2], b[3] is not None) for b in blocks] == [
        (3, 'echo on\n', True), (6, 'not tagged\n', False), (11, 'blank line between: not tagged\n', False)]
    assert EXPECT.findall(blocks[0][3]) == ['maintenance ON', 'public: OK']


@pytest.mark.parametrize('path', [relative(p) for p in documents()])
def test_every_sandbox_tag_sits_on_a_sh_block_and_expects_something(path):
    with open(os.path.join(REPO, path), encoding='utf-8') as handle:
        text = handle.read()
    tags = [number for number, line in enumerate(text.splitlines(), 1) if TAG.match(line)]
    blocks = [b for b in fenced_blocks(text) if b[3] is not None]
    assert [b[0] - 1 for b in blocks] == tags, '%s: a sandbox tag not right before a fence, at lines %s' % (
        path, sorted(set(tags) - {b[0] - 1 for b in blocks}))
    for line, info, code, attrs in blocks:
        assert info == 'sh', '%s:%d: tagged blocks are ```sh, not %r' % (path, line, info)
        assert EXPECT.findall(attrs), '%s:%d: a tagged block says what its output must show (expect="...")' % (path, line)
        assert code.strip(), '%s:%d: empty tagged block' % (path, line)


def test_the_runbook_runs_every_step_an_engineer_on_call_takes():
    blocks = sandbox_blocks(os.path.join(REPO, 'docs', 'runbook.md'))
    ran = [entry for _line, code, _expect in blocks for entry in entries(code)]
    for entry in ('prepare', 'on', 'status', 'verify', 'off'):
        assert entry in ran, 'docs/runbook.md runs no tagged %s' % entry
    # Extending: `on` again with a later sorry_until, while the page is on.
    untils = [UNTIL.search(code).group(1) for _line, code, _expect in blocks
              if entries(code) == ['on'] and UNTIL.search(code)]
    assert len(untils) >= 2 and untils[1] > untils[0], untils
    # EKS is down: the same `on` with the outage forced, and `off`.
    assert any('sorry_eks_outage=true' in code and 'on' in entries(code) for _line, code, _expect in blocks)
    # Every tagged command is written the way users run it: inventory, playbook path, limit.
    for line, code, _expect in blocks:
        for command in re.findall(r'ansible-playbook[^\n]*', code):
            assert command.startswith('ansible-playbook -i "$INV" playbooks/maintenance_') and '-l "$SITE"' in command, (
                'docs/runbook.md:%d: %s' % (line, command))


def test_every_maintenance_command_of_the_runbook_is_one_that_runs():
    """The short version and the sandbox section repeat commands: they must be ones a tagged block runs."""
    with open(os.path.join(REPO, 'docs', 'runbook.md'), encoding='utf-8') as handle:
        blocks = fenced_blocks(handle.read())
    tested = {command.strip() for _line, _info, code, attrs in blocks if attrs is not None
              for command in re.findall(r'ansible-playbook[^\n]*', code)}
    for line, info, code, attrs in blocks:
        if attrs is None and info == 'sh':
            for command in re.findall(r'ansible-playbook[^\n]*', code):
                assert command.strip() in tested, 'docs/runbook.md:%d: not run by any tagged block: %s' % (line, command)


def test_the_runbook_states_the_convention_at_the_top():
    with open(os.path.join(REPO, 'docs', 'runbook.md'), encoding='utf-8') as handle:
        top = handle.read()[:4000]
    assert '<!-- sandbox' in top and 'tests/integration/test_docs_run.py' in top


# ----------------------------------------------------------------- against the sandbox

def public_gets(sandbox, host):
    return request(sandbox.url_for(80) + '/deep/path?q=1', host=host, source_ip=PUBLIC_IP)


def assert_page_is(sandbox, on, where):
    for host in SITE_HOSTS:
        public = public_gets(sandbox, host)
        office = request(sandbox.url_for(80) + '/', host=host, source_ip=OFFICE_IP)
        if on:
            sorry = public.status == 503 and public.text.lstrip().lower().startswith('<!doctype html')
            assert sorry, '%s: public %s got %d, not the Sorry page' % (where, host, public.status)
        else:
            assert public.status == 200, '%s: public %s got %d after off' % (where, host, public.status)
        assert office.status == 200, '%s: office %s got %d' % (where, host, office.status)


def block_env(sandbox):
    env = dict(os.environ)
    env.update(sandbox.env())
    env.update(SANDBOX_ENV)
    env.update({'ANSIBLE_CONFIG': os.path.join(REPO, 'ansible.cfg'), 'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_FORCE_COLOR': '0',
                'PATH': os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', '')})
    # A real account name only: Ansible expands ~$USER for its temporary files, and an unknown name stays
    # a literal '~name' folder in the working directory (inside the repository).
    if not env.get('USER'):
        try:
            env['USER'] = pwd.getpwuid(os.getuid()).pw_name
        except KeyError:
            env.pop('USER', None)
    for name in ('ANSIBLE_STDOUT_CALLBACK', 'ANSIBLE_ASK_VAULT_PASS', 'ANSIBLE_VAULT_PASSWORD_FILE'):
        env.pop(name, None)
    return env


@pytest.mark.sandbox_only
@pytest.mark.parametrize('path', runnable_documents())
def test_tagged_blocks_run_against_the_sandbox(path):
    blocks = sandbox_blocks(os.path.join(REPO, path))
    with Sandbox(controller=True) as sandbox:
        before = listeners(sandbox)
        env = block_env(sandbox)
        for line, code, expected in blocks:
            where = '%s:%d' % (path, line)
            proc = subprocess.run(['bash', '-e', '-o', 'pipefail', '-c', code], cwd=REPO, env=env,
                                  capture_output=True, text=True, timeout=900, check=False)
            output = proc.stdout + proc.stderr
            assert proc.returncode == 0, '%s exited %d\n%s\nstdout tail:\n%s\nstderr tail:\n%s' % (
                where, proc.returncode, code, proc.stdout[-4000:], proc.stderr[-2000:])
            for text in expected:
                assert text in output, '%s: %r not in its output:\n%s' % (where, text, proc.stdout[-4000:])
            ran = entries(code)
            if ran and ran[-1] == 'on':
                assert_page_is(sandbox, True, where)
                if 'sorry_until=' in code:
                    assert UNTIL.search(code).group(1) in output, '%s: the summary shows another end' % where
            elif ran and ran[-1] == 'off':
                assert_page_is(sandbox, False, where)
        # The runbook ends where it started: every rule as before, the controller back.
        if 'off' in [entry for _line, code, _expect in blocks for entry in entries(code)]:
            assert listeners(sandbox) == before
            assert controller_replicas(sandbox) == 2


def test_architecture_has_a_mermaid_diagram_of_both_drivers():
    with open(os.path.join(REPO, 'docs', 'architecture.md'), encoding='utf-8') as handle:
        diagrams = [code for _line, info, code, _attrs in fenced_blocks(handle.read()) if info == 'mermaid']
    assert len(diagrams) == 1
    diagram = diagrams[0]
    assert diagram.startswith('flowchart ')
    for part in ('ALB driver', 'Ingress driver', 'alb_sorry_site', 'lbc_pause', 'ingress_sorry', 'Ingress',
                 'AWS Load Balancer Controller', 'ALB listener rules'):
        assert part in diagram, part
    # Every edge joins nodes that are declared with a label (a typo would draw a bare box).
    declared = set(re.findall(r'\b([a-z_]+)[\[({]', diagram))
    for line in diagram.splitlines():
        if '--' in line:
            ends = re.findall(r'(?:^|\|\s*|-->\s*|-\.->\s*)([a-z_]+)\b', line.strip())
            assert ends and set(ends) <= declared, (line, set(ends) - declared)
