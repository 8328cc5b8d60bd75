"""The lab's setup: see tripleo_ffu/lab/standins.py."""

from tripleo_ffu.lab.standin_actions import Setup as ActionModule  # noqa: F401
