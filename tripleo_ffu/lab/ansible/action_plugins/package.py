"""The lab's package: see tripleo_ffu/lab/standins.py."""

from tripleo_ffu.lab.standin_actions import Package as ActionModule  # noqa: F401
