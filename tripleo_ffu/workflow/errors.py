"""The error the workflow raises for anything the operator can act on."""


class WorkflowError(Exception):
    """One line: what is wrong and what to do."""
