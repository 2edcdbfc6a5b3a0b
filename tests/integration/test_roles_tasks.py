"""The roles order steps; they do not repeat them. No run of 5 or more identical tasks stands in two task files."""
import glob
import json
import os

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = 5


def flat(tasks):
    """Every task, blocks and their children in order, as comparable text."""
    out = []
    for task in tasks or []:
        out.append(json.dumps(task, sort_keys=True))
        for key in ('block', 'rescue', 'always'):
            out.extend(flat(task.get(key)))
    return out


def longest_common_run(a, b):
    best = 0
    for x in range(len(a)):
        for y in range(len(b)):
            n = 0
            while x + n < len(a) and y + n < len(b) and a[x + n] == b[y + n]:
                n += 1
            best = max(best, n)
    return best


def test_longest_common_run_counts_consecutive_equal_tasks():
    assert longest_common_run(list('abcdefg'), list('xxcdefz')) == 4
    assert longest_common_run(list('abc'), list('xyz')) == 0


def test_no_run_of_identical_tasks_in_two_files():
    files = {}
    for path in sorted(glob.glob(os.path.join(REPO, 'roles', '*', 'tasks', '*.yml'))):
        with open(path, encoding='utf-8') as handle:
            files[os.path.relpath(path, REPO)] = flat(yaml.safe_load(handle))
    assert len(files) > 10
    names = sorted(files)
    repeated = [(a, b, longest_common_run(files[a], files[b])) for i, a in enumerate(names) for b in names[i + 1:]]
    assert [r for r in repeated if r[2] >= RUN] == []
