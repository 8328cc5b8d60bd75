"""The suite's split over pytest-xdist workers (tools/test.sh runs two).

Each scope below goes whole to one worker. The functional tests that
share one session lab are one scope, run in tests/functional/conftest.py's
order; a module that needs a lab of its own (a fresh newton overcloud) is
a scope of its own, so that its lab runs beside the shared one, on the
worker the unit tests leave free (xdist gives the largest scope out
first: the unit tests, then the shared lab's tests, then the others to
whichever worker runs out of work first).
"""

import pytest

SUITES = ('functional', 'unit')
# Functional modules whose session lab is their own (a worker's session
# fixtures are its own): they go beside the shared lab's tests.
OWN_LAB = ('test_ci.py',)


def suite_of(nodeid):
    """The scope a test belongs to: its directory under tests/, or its
    module when that module brings its own lab."""
    path = nodeid.split('::', 1)[0]
    parts = path.split('/')
    if parts[-1] in OWN_LAB:
        return path
    return next((part for part in parts if part in SUITES), nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist import scheduler

    class BySuite(scheduler.LoadScopeScheduling):
        """xdist's scope scheduling, a suite being the scope."""

        def _split_scope(self, nodeid):
            return suite_of(nodeid)

    return BySuite(config, log)
