"""``make bench``: AWS API calls counted at the wire, and timings, against the sandbox.

``python -m tests.bench`` (``--help`` for the options) measures:

1. ``module_calls``: the API calls ``sorrypage.aws.alb_sorry_rule`` makes
   (first apply, rerun, removal; sorry, bypass, ``make_room``) on a listener
   with 20 foreign rules, beside ``amazon.aws.elb_application_lb`` with
   ``purge_rules: false`` adding the same two rules, checked against the
   targets of issue 3;
2. ``runbook``: the real ``maintenance_on`` / ``maintenance_off`` playbooks:
   API calls per listener by operation, time-to-sorry (seen by a poller on
   the sandbox data plane), whole on/off wall times, for 1 site x 1 listener,
   10 sites x 2 listeners with ``--forks 10``, and 1 / 5 / 20 listeners on one
   site, beside the same switch done with ``amazon.aws.elb_application_lb``
   (tests/bench/playbooks/), checked against the targets of issue 7;
3. ``load``: 50 sites x 2 listeners (``--load-sites``), ``maintenance_on`` then
   ``maintenance_off`` once each with ``--forks 25`` through the fault proxy,
   every 20th ELBv2 call answered ``Throttling``: every site switched on and
   restored exactly, the times and the throttles by operation (issue 16).

The report is printed as tables and written to tests/output/bench.json.
docs/benchmarks.md explains the method and keeps the numbers measured.
"""
