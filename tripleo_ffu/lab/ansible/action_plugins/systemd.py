"""The lab's systemd: see tripleo_ffu/lab/standins.py."""

from tripleo_ffu.lab.standin_actions import Systemd as ActionModule  # noqa: F401
