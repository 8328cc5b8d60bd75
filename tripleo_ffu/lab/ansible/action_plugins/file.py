"""The lab's file: see tripleo_ffu/lab/standins.py."""

from tripleo_ffu.lab.standin_actions import File as ActionModule  # noqa: F401
