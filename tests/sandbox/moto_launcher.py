"""``python -m tests.sandbox.moto_launcher -H HOST -p PORT``: moto's server at AWS's ELBv2 tag quota.

moto refuses an 11th tag on an ELBv2 resource (its ``add_tags`` checks for
10); AWS allows 50 per load balancer, target group, listener and rule
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html).
This launcher replaces that one check, before the server starts, with AWS's:
``TooManyTags`` when a call would leave a resource with more than 50 tags,
counting the keys it adds (a key already there is an update, not a new tag).
Creating a resource with more than 50 tags is refused the same way.

moto's backends are plain dicts and lists, not safe for threads, while its
server answers every connection in a thread of its own: two requests at
once (tests run several clients against one server) can meet a dict
changing under an iteration and get an HTML "500 Internal Server Error"
that no AWS service sends. The launcher answers one request at a time
(``serialise_requests``), as one AWS endpoint looks to a client: each call
atomic.

Two costs of moto's server that a sandbox does not need go (``lighten``):
it lists moto's package directory (``os.listdir`` and an ``isdir`` for each
of ~200 entries) for every request to name the service, and it logs every
request line to stderr, which the sandbox discards. The directory is listed
once, and werkzeug logs only errors.

A server is kept for the next sandbox of the process that started it
(tests/sandbox/aws.py), and stopped at that process's exit; should the
process die without stopping it, the launcher sees that (``watch_parent``:
``SORRYPAGE_MOTO_PARENT`` names it) and exits within a second. Then it runs
``moto.server.main`` with the arguments given, as ``python -m moto.server``
does.
"""
import functools
import inspect
import logging
import os
import sys
import threading
import time

import moto.backends
import moto.server
from moto.elbv2 import models as elbv2_models
from moto.elbv2.exceptions import TooManyTagsError

from tests.sandbox.aws import PARENT_ENV

ELBV2_TAGS_PER_RESOURCE = 50
MOTO_CHECK = '>= 10'  # the quota test in moto's ELBv2Backend.add_tags this replaces


def _tag_keys(tags):
    return {tag['Key'] for tag in tags or []}


def _check_create(original):
    """``original`` (a create_* method with a ``tags`` keyword) refused above the quota."""
    @functools.wraps(original)
    def create(self, *args, **kwargs):
        if len(_tag_keys(kwargs.get('tags'))) > ELBV2_TAGS_PER_RESOURCE:
            raise TooManyTagsError()
        return original(self, *args, **kwargs)
    create.sorrypage_quota = ELBV2_TAGS_PER_RESOURCE
    return create


def _add_tags(self, resource_arns, tags):
    """AddTags with AWS's quota: the resource's keys plus the new ones, at most 50."""
    added = _tag_keys(tags)
    for arn in resource_arns:
        have = set(self.tagging_service.get_tag_dict_for_resource(arn))
        if len(have | added) > ELBV2_TAGS_PER_RESOURCE:
            raise TooManyTagsError()
    for arn in resource_arns:
        self._get_resource_by_arn(arn)  # pylint: disable=protected-access  # ResourceNotFound / LoadBalancerNotFound as before
        self.tagging_service.tag_resource(arn, tags)


_add_tags.sorrypage_quota = ELBV2_TAGS_PER_RESOURCE


def raise_elbv2_tag_quota():
    """Patch moto's ELBv2 backend in this process; idempotent. Fails loudly if moto's check moved."""
    backend = elbv2_models.ELBv2Backend
    if getattr(backend.add_tags, 'sorrypage_quota', None) == ELBV2_TAGS_PER_RESOURCE:
        return
    source = inspect.getsource(backend.add_tags)
    if MOTO_CHECK not in source or 'TooManyTagsError' not in source:
        raise RuntimeError('moto %s: ELBv2Backend.add_tags no longer checks %r; review tests/sandbox/moto_launcher.py'
                           % (getattr(moto, '__version__', '?'), MOTO_CHECK))
    backend.add_tags = _add_tags
    for name in ('create_rule', 'create_load_balancer', 'create_listener'):
        method = getattr(backend, name)
        if 'tags' not in inspect.signature(method).parameters:
            raise RuntimeError('moto: ELBv2Backend.%s takes no tags any more; review tests/sandbox/moto_launcher.py' % name)
        setattr(backend, name, _check_create(method))


def serialise_requests():
    """moto's WSGI application answers one request at a time in this process; idempotent."""
    app = moto.server.DomainDispatcherApplication
    if getattr(app.__call__, 'sorrypage_serialised', False):
        return
    original = app.__call__
    lock = threading.Lock()

    @functools.wraps(original)
    def call(self, environ, start_response):
        with lock:
            return original(self, environ, start_response)
    call.sorrypage_serialised = True
    app.__call__ = call


def lighten():
    """moto's package directory listed once, not for every request; werkzeug's request log off. Idempotent."""
    listing = moto.backends.list_of_moto_modules
    if getattr(listing, 'sorrypage_listed_once', False):
        return
    modules = tuple(listing())
    if 'elbv2' not in modules:
        raise RuntimeError('moto %s: list_of_moto_modules() has no elbv2 any more; review tests/sandbox/moto_launcher.py'
                           % getattr(moto, '__version__', '?'))

    def listed_once():
        return iter(modules)
    listed_once.sorrypage_listed_once = True
    moto.backends.list_of_moto_modules = listed_once
    logging.getLogger('werkzeug').setLevel(logging.ERROR)


def watch_parent(parent):
    """Exit when process ``parent`` (the one that started the launcher) is gone, already or later: a daemon thread
    looks once a second."""
    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)  # pylint: disable=protected-access  # nobody is left to stop the server
    threading.Thread(target=watch, name='watch-parent', daemon=True).start()


def main(argv=None):
    if os.environ.get(PARENT_ENV, '').isdigit():
        watch_parent(int(os.environ[PARENT_ENV]))
    raise_elbv2_tag_quota()
    serialise_requests()
    lighten()
    moto.server.main(sys.argv[1:] if argv is None else argv)


if __name__ == '__main__':
    main()
