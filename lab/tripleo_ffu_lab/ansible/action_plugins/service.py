"""The lab's service: see lab/tripleo_ffu_lab/standins.py."""

from tripleo_ffu_lab import standin_actions

ActionModule = standin_actions.Service
