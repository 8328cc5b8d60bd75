"""The suite's split over pytest-xdist workers (tools/test.sh runs two):
the functional tests share one session lab, so one worker runs them all,
in tests/functional/conftest.py's order, while the other worker runs the
unit tests at the same time."""

import pytest

SUITES = ('functional', 'unit')


def suite_of(nodeid):
    """The suite a test belongs to (its directory under tests/)."""
    parts = nodeid.split('::', 1)[0].split('/')
    return next((part for part in parts if part in SUITES), nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist import scheduler

    class BySuite(scheduler.LoadScopeScheduling):
        """xdist's scope scheduling, a suite being the scope."""

        def _split_scope(self, nodeid):
            return suite_of(nodeid)

    return BySuite(config, log)
