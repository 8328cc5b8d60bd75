"""The lab's yum: see tripleo_ffu/lab/standins.py."""

from tripleo_ffu.lab.standin_actions import Yum as ActionModule  # noqa: F401
