"""The lab's pacemaker_resource: see tripleo_ffu/lab/standins.py."""

from tripleo_ffu.lab import standin_actions

ActionModule = standin_actions.PacemakerResource
