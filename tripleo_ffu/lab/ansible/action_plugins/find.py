"""The lab's find: see tripleo_ffu/lab/standins.py."""

from tripleo_ffu.lab.standin_actions import Find as ActionModule  # noqa: F401
