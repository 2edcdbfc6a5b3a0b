"""Write tests/integration/durations.json from a JUnit XML report of `make integration`.

`make integration` writes tests/output/integration-junit.xml; run
`python hack/durations.py tests/output/integration-junit.xml` after a run on
a quiet machine to refresh the seconds per test that order the tests (longest
first: tests/integration/conftest.py, schedule). Only the order depends on it.
"""
import json
import os
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(HERE, 'tests', 'integration', 'durations.json')


def nodeid(case):
    """pytest's node id from a JUnit testcase (classname 'tests.integration.test_x[.Class]', name 'test_y[param]')."""
    parts = case.get('classname', '').split('.')
    name = case.get('name')
    # --dist loadgroup: xdist names the group (the file) after the test's id: 'test_y[param]@tests/integration/x.py'
    if '@tests/' in name:
        name = name[:name.rindex('@tests/')]
    for cut in range(len(parts), 0, -1):
        path = '/'.join(parts[:cut]) + '.py'
        if os.path.exists(os.path.join(HERE, path)):
            return '::'.join([path] + parts[cut:] + [name])
    raise ValueError('no test file for %r' % case.get('classname'))


def main(report):
    found = {}
    for case in ET.parse(report).getroot().iter('testcase'):
        seconds = float(case.get('time') or 0)
        if seconds >= 1.0:
            found[nodeid(case)] = round(seconds, 1)
    with open(OUT, 'w', encoding='utf-8') as handle:
        json.dump(dict(sorted(found.items())), handle, indent=1)
        handle.write('\n')
    print('%s: %d tests, %.0f s in all' % (OUT, len(found), sum(found.values())))


if __name__ == '__main__':
    main(sys.argv[1])
