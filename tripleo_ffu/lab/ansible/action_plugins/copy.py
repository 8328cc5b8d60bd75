"""The lab's copy: see tripleo_ffu/lab/standins.py."""

from tripleo_ffu.lab.standin_actions import Copy as ActionModule  # noqa: F401
