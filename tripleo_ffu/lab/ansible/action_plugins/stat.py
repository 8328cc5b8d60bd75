"""The lab's stat: see tripleo_ffu/lab/standins.py."""

from tripleo_ffu.lab.standin_actions import Stat as ActionModule  # noqa: F401
