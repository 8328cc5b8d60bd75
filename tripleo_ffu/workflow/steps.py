"""Named, timed steps: each reported when it starts and when it ends."""

import contextlib
import logging
import time

LOG = logging.getLogger(__name__)


class Steps:
    def __init__(self, report=None):
        self.report = report or LOG.info
        self.timings = []

    @contextlib.contextmanager
    def step(self, name):
        self.report('%s ...' % name)
        started = time.monotonic()
        yield
        elapsed = time.monotonic() - started
        self.timings.append((name, elapsed))
        self.report('%s: done in %.1f s' % (name, elapsed))
