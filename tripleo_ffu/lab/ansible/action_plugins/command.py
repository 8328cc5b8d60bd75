"""The lab's command: see tripleo_ffu/lab/standins.py."""

from tripleo_ffu.lab.standin_actions import Command as ActionModule  # noqa: F401
