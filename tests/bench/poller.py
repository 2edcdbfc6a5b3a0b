"""Time-to-sorry: a thread that asks the sandbox data plane what the public gets.

Each target is one listener's local URL, the Host header to send, the
source address to send from and what to wait for. The poller sends one GET
per target per round, drops a target once it has seen what it waits for,
and records the time since ``t0`` (the moment before ansible-playbook was
started). A round lasts at least ``interval`` seconds, so the resolution is
about one round (``resolution`` in the results: the longest round seen).
``settle()`` waits for the page by rounds of probes, not by seconds.

On the way in it waits for the Sorry page for the public (503 from a
fixed-response rule, ``is_sorry``) and for the office being forwarded
(``is_forwarded``: the bypass rule is in); on the way out for the public no
longer getting the page. It can also watch a callable (the controller's
running pods) and record when it first returned 0.
"""
import threading
import time

from tests.sandbox.dataplane import ACTION_HEADER, request


def is_sorry(resp):
    return resp.status == 503 and resp.headers.get(ACTION_HEADER) == 'fixed-response'


def not_sorry(resp):
    return not is_sorry(resp)


def is_forwarded(resp):
    return resp.status == 200 and resp.headers.get(ACTION_HEADER) == 'forward'


class Watch:
    """``Watch(targets)``: targets are ``(key, url, host, source_ip, until)``; ``start(t0)``, ``stop()``, ``times()``."""

    def __init__(self, targets, interval=0.05, pods=None, timeout=2.0):
        self.targets = list(targets)
        self.interval = interval
        self.pods = pods
        self.timeout = timeout
        self.seen = {}
        self.pods_gone = None
        self.errors = 0
        self.requests = 0
        self.resolution = 0.0
        self._rounds_started = 0
        self._answered_rounds = []  # numbers of the rounds in which every probe got an answer
        self._thread_done = False
        self._cond = threading.Condition()
        self._t0 = None
        self._stop = threading.Event()
        self._thread = None

    def start(self, t0):
        self._t0 = t0
        self._thread = threading.Thread(target=self._run, name='bench-watch', daemon=True)
        self._thread.start()
        return self

    def _probe(self, key, url, host, source_ip, until):
        self.requests += 1
        try:
            resp = request(url + '/', host=host, source_ip=source_ip, timeout=self.timeout)
        except OSError:
            self.errors += 1
            return False
        if until(resp):
            self.seen[key] = time.monotonic() - self._t0
        return True

    def _run(self):
        try:
            self._loop()
        finally:
            with self._cond:
                self._thread_done = True
                self._cond.notify_all()

    def _loop(self):
        while not self._stop.is_set():
            started = time.monotonic()
            with self._cond:
                self._rounds_started += 1
                number = self._rounds_started
            pending = [t for t in self.targets if t[0] not in self.seen]
            answered = True
            for target in pending:
                if self._stop.is_set():
                    return
                answered = self._probe(*target) and answered
            if answered:  # a round whose probes timed out does not count for settle()
                with self._cond:
                    self._answered_rounds.append(number)
                    self._cond.notify_all()
            if self.pods is not None and self.pods_gone is None:
                try:
                    if self.pods() == 0:
                        self.pods_gone = time.monotonic() - self._t0
                except OSError:
                    self.errors += 1
            if not pending and (self.pods is None or self.pods_gone is not None):
                return
            spent = time.monotonic() - started
            self.resolution = max(self.resolution, spent, self.interval)
            self._stop.wait(max(0.0, self.interval - spent))

    def settle(self, rounds=3, timeout=300.0):
        """Wait until every target is seen, or ``rounds`` whole rounds begun after this call have had an
        answer to every probe of the ones still missing (so a page that shows only later is counted, by
        rounds, not seconds). ``timeout`` only bounds a hang."""
        with self._cond:
            first = self._rounds_started + 1
            if not self._cond.wait_for(lambda: self._thread_done or len(self.seen) >= len(self.targets)
                                       or sum(1 for n in self._answered_rounds if n >= first) >= rounds, timeout):
                raise TimeoutError('the poller made no %d rounds within %ss' % (rounds, timeout))

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def times(self):
        """Seconds per target key (None: never seen while watching)."""
        return {target[0]: self.seen.get(target[0]) for target in self.targets}
