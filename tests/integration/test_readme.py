"""The README's first promises: two commands, and a PATH that works after `make venv`."""
import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def readme():
    with open(os.path.join(REPO, 'README.md'), encoding='utf-8') as handle:
        return handle.read()


def test_the_first_commands_are_make_demo_and_make_test():
    first_block = re.search(r'```sh\n(.*?)```', readme(), re.S).group(1)
    assert [line.split('#')[0].strip() for line in first_block.splitlines()] == ['make demo', 'make test']


def test_it_says_how_to_get_ansible_playbook_on_path_after_make_venv():
    text = readme()
    where = text.index('after `make venv`')
    assert '. .venv/bin/activate' in text[where:where + 600]
    assert 'export PATH=$PWD/.venv/bin:$PATH' in text[where:where + 600]
