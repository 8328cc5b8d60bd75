"""A plugin of the lab's heat-all (plugin_dirs): Heat's pauses, shortened.

Heat pauses one second after it triggers each leaf resource of a
convergence traversal (heat.engine.stack), and one second between the
steps of a resource's task (heat.engine.scheduler.TaskRunner: a nested
stack's parent polls it so). On an undercloud they spread the work over
engines and the message bus. The lab's heat-all is one engine on an
in-process bus, and there they are idle time: heat-all used half a CPU
while it created THT's HA overcloud, and a ServiceChain of 55 services
takes 55 s only to be started. The lab's Heat pauses PAUSE seconds
instead: it still yields to its other green threads, and does the same
work in the same order.
"""

import os

import eventlet
from heat.engine import scheduler
from heat.engine import stack

PAUSE = float(os.environ.get('TRIPLEO_FFU_LAB_HEAT_PAUSE', '0.05'))


class _Paced(object):
    """heat.engine.stack's eventlet, with shorter sleeps."""

    def __getattr__(self, name):
        return getattr(eventlet, name)

    @staticmethod
    def sleep(seconds=0):
        eventlet.sleep(min(seconds, PAUSE))


_task_sleep = scheduler.TaskRunner._sleep


def _paced_task_sleep(self, wait_time):
    _task_sleep(self, None if wait_time is None else min(wait_time, PAUSE))


stack.eventlet = _Paced()
scheduler.TaskRunner._sleep = _paced_task_sleep
