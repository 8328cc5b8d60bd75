"""The error the workflow raises for anything the operator can act on."""


class WorkflowError(Exception):
    """One line: what is wrong and what to do."""


class Interrupted(WorkflowError):
    """A signal stopped the command: the message says what goes on
    without it and what to run next; exit_code is the shell's for the
    signal (130 for SIGINT, 143 for SIGTERM)."""

    def __init__(self, message, signum):
        super().__init__(message)
        self.exit_code = 128 + int(signum)
