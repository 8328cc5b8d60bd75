"""The lab's gather_facts: see tripleo_ffu/lab/standins.py."""

from tripleo_ffu.lab.standin_actions import GatherFacts as ActionModule  # noqa: F401
