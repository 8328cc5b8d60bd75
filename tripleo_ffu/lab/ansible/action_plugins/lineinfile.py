"""The lab's lineinfile: see tripleo_ffu/lab/standins.py."""

from tripleo_ffu.lab.standin_actions import LineInFile as ActionModule  # noqa: F401
