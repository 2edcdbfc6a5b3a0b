"""Shared fixtures: the sandbox's AWS side, seeded sites, a call counter.

By default every endpoint is the local sandbox. Set SORRY_TEST_AWS_ENDPOINT_URL
(and SORRY_TEST_KUBECONFIG) to point the non-destructive tests at another
endpoint; tests marked ``sandbox_only`` are then skipped (tests/README.md).
"""
import collections
import itertools
import json
import os

import pytest

from tests.sandbox.aws import FAKE_CREDENTIALS, MotoServer
from tests.sandbox.counting_proxy import CountingProxy
from tests.sandbox.seed import seed_assets, seed_site

_EXTERNAL_AWS = os.environ.get('SORRY_TEST_AWS_ENDPOINT_URL')
_site_numbers = itertools.count(1)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):  # pylint: disable=unused-argument
    if _EXTERNAL_AWS is not None:
        skip = pytest.mark.skip(reason='sandbox only: SORRY_TEST_AWS_ENDPOINT_URL points elsewhere')
        for item in items:
            if 'sandbox_only' in item.keywords:
                item.add_marker(skip)
    schedule(items)


def schedule(items):
    """Group and order the tests for ``make integration`` (pytest-xdist ``--dist loadgroup --no-loadscope-reorder``).

    The tests of a file that share a module-scoped fixture (a whole maintenance cycle, a sandbox) are marked
    ``xdist_group`` and kept together in the order, so that they go to one worker: spread over the workers, each
    builds the fixture again. The mark is added before xdist's own hook reads it (tryfirst), and xdist names the
    group in the test's id (``...@tests/integration/test_x.py``), which pytest 9 ignores: pytest is pinned to 8
    (requirements-test.txt). Then the longest work first (by
    tests/integration/durations.json, a past run's seconds per test; an unknown test counts 5 s), so no long test
    starts last while the other workers idle. Only the order changes, never what a test does.
    """
    weights = _durations()
    scopes, first = {}, {}
    for index, item in enumerate(items):
        scope = item.nodeid
        if any(defs and defs[-1].scope == 'module' for defs in item._fixtureinfo.name2fixturedefs.values()):  # pylint: disable=protected-access
            scope = item.nodeid.split('::')[0]
            item.add_marker(pytest.mark.xdist_group(scope))
        scopes[item.nodeid] = scope
        first.setdefault(scope, index)
    total = collections.Counter()
    for item in items:
        total[scopes[item.nodeid]] += weights.get(item.nodeid, 5.0)
    order = {item.nodeid: (-total[scopes[item.nodeid]], first[scopes[item.nodeid]], index)
             for index, item in enumerate(items)}
    items.sort(key=lambda item: order[item.nodeid])


def _durations():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'durations.json')
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


@pytest.fixture(scope='session', autouse=True)
def _fake_aws_credentials():
    """Never let a test reach a real account by accident with the machine's credentials."""
    if _EXTERNAL_AWS is not None:
        yield
        return
    saved = {k: os.environ.get(k) for k in FAKE_CREDENTIALS}
    os.environ.update(FAKE_CREDENTIALS)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope='session')
def moto():
    """The moto server (ELBv2, S3, CloudFront, IAM, EC2) over HTTP on loopback."""
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture()
def counter(moto):  # pylint: disable=redefined-outer-name
    """A counting proxy in front of moto: give modules ``counter.url`` as endpoint_url."""
    proxy = CountingProxy(moto.url).start()
    yield proxy
    proxy.stop()


@pytest.fixture()
def site(moto):  # pylint: disable=redefined-outer-name
    """A fresh ALB shaped like one the AWS Load Balancer Controller manages."""
    return seed_site(moto, name='shop%d' % next(_site_numbers))


@pytest.fixture()
def plain_site(moto):  # pylint: disable=redefined-outer-name
    """A fresh ALB with no controller: default action forwards to the app."""
    return seed_site(moto, name='plain%d' % next(_site_numbers), controller_managed=False)


@pytest.fixture()
def assets(moto):  # pylint: disable=redefined-outer-name
    """A fresh assets bucket with a CloudFront distribution."""
    return seed_assets(moto, bucket='sorrypage-assets-%d' % next(_site_numbers))
