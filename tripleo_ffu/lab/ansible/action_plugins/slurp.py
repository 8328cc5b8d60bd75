"""The lab's slurp: see tripleo_ffu/lab/standins.py."""

from tripleo_ffu.lab.standin_actions import Slurp as ActionModule  # noqa: F401
