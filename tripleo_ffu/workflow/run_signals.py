"""How a run stops: SIGINT, SIGTERM and SIGHUP ask Ansible to stop (a
lost terminal stops the run as cleanly as Ctrl-C does), and the exit code
each gives."""

import signal

EXIT_FAILED = 1
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


class Signals:
    """SIGINT, SIGTERM and SIGHUP ask Ansible to stop; the run records
    where."""

    def __init__(self):
        self.received = None

    def __enter__(self):
        self.previous = {sig: signal.signal(sig, self._handle)
                         for sig in EXIT_SIGNAL}
        return self

    def _handle(self, signum, frame):
        self.received = signum

    def __exit__(self, *exc):
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)

    def cancel(self):
        return self.received is not None


def exit_code(status, received):
    """0 for a complete run, the signal's code for an interrupted one,
    else 1."""
    return 0 if status == 'complete' else EXIT_SIGNAL.get(received,
                                                          EXIT_FAILED)
