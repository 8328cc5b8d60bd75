"""The lab's synchronize: see tripleo_ffu/lab/standins.py."""

from tripleo_ffu.lab.standin_actions import Synchronize as ActionModule  # noqa: F401
