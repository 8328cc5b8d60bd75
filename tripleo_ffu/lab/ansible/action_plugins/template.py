"""The lab's template: see tripleo_ffu/lab/standins.py."""

from tripleo_ffu.lab.standin_actions import Template as ActionModule  # noqa: F401
