"""The lab's service: see tripleo_ffu/lab/standins.py."""

from tripleo_ffu.lab.standin_actions import Service as ActionModule  # noqa: F401
