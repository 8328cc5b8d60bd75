"""The overcloud stack: find it, check it, update it and wait."""

import contextlib
import logging
import signal
import sys
import time

from tripleo_ffu.workflow import secrets
from tripleo_ffu.workflow.errors import Interrupted
from tripleo_ffu.workflow.errors import WorkflowError

LOG = logging.getLogger(__name__)
NOOP = 'OS::Heat::None'
DEPLOYMENT_STEPS = 'OS::TripleO::DeploymentSteps'
STALL_POLL_SECONDS = 10


class NotFound(WorkflowError):
    """Heat has no stack of that name."""


def get(heat, name):
    """The stack, whatever its status; one clear error when Heat cannot
    show it."""
    from heatclient import exc as heat_exc
    try:
        stack = heat.stacks.get(name, resolve_outputs=False)
    except heat_exc.HTTPNotFound:
        raise NotFound('stack %r not found: check --stack (or '
                            '$OVERCLOUD_STACK_NAME) and `openstack stack '
                            'list`' % name)
    except heat_exc.HTTPException as exc:
        raise WorkflowError('Heat refused to show stack %r: %s' % (name, exc))
    except Exception as exc:
        if not unreachable(exc):
            raise
        raise WorkflowError('cannot reach Heat (%s): source the undercloud '
                            'stackrc, or check OS_ENDPOINT and OS_AUTH_URL'
                            % _first_line(exc))
    return stack


def unreachable(exc):
    """Heat did not answer (refused, reset, timed out), as keystoneauth or
    heatclient say it."""
    from heatclient import exc as heat_exc
    return (type(exc).__module__.startswith('keystoneauth1') or
            isinstance(exc, heat_exc.CommunicationError))


def _first_line(exc):
    return (str(exc).splitlines() or [type(exc).__name__])[0]


ROLE_OUTPUTS = {'RoleData', 'EnabledServices'}


def find(heat, name):
    """The stack, checked to be a TripleO overcloud at rest."""
    stack = get(heat, name)
    status = stack.stack_status
    if status == 'UPDATE_FAILED':
        # What a failed prepare or converge leaves: updating again is how
        # Heat recovers from it.
        LOG.warning('stack %s is UPDATE_FAILED (%s): updating it again',
                    name, stack.stack_status_reason)
    elif status.endswith('_IN_PROGRESS'):
        raise WorkflowError(
            'stack %s is %s: wait for it to finish, then run this again (if '
            'Heat\'s engine died during it and no event came since, reset it '
            'with `heat-manage reset_stack_status %s`)'
            % (name, status, stack.id))
    elif status.endswith('_FAILED'):
        raise WorkflowError('stack %s is %s (%s): fix the stack first; '
                            '`openstack stack failures list %s` shows why'
                            % (name, status, stack.stack_status_reason, name))
    # Newton's THT has no RoleData output yet: its EnabledServices (in
    # every release since) says the stack is an overcloud too.
    if not ROLE_OUTPUTS & output_keys(heat, stack):
        raise WorkflowError('stack %s has no RoleData output: it is not a '
                            'TripleO overcloud' % name)
    return stack


def output_keys(heat, stack):
    return {output['output_key'] for output in
            heat.stacks.output_list(stack.id).get('outputs', [])}


class FetchedOnce:
    """A Heat client whose stacks.get() fetches each stack once.

    Fetching a stack resolves its outputs, which Heat computes with yaql
    over every service and task: the slow part of reading a stack.
    tripleo-common's Config and TripleoInventory each fetch the stack
    again; prepare hands them this client after its update so that the
    outputs are computed once (and the environment read once). Everything
    else goes to the real client.
    """

    def __init__(self, heat):
        self._heat = heat
        self.stacks = _StacksFetchedOnce(heat.stacks)

    def __getattr__(self, name):
        return getattr(self._heat, name)


class _StacksFetchedOnce:
    def __init__(self, stacks):
        self._stacks = stacks
        self._fetched = {}
        self._environments = {}

    def environment(self, stack_id):
        """TripleoInventory asks twice."""
        if stack_id not in self._environments:
            self._environments[stack_id] = self._stacks.environment(stack_id)
        return self._environments[stack_id]

    def get(self, stack_id, **kwargs):
        if kwargs:  # resolve_outputs=False and the like: not cached
            return self._stacks.get(stack_id, **kwargs)
        if stack_id not in self._fetched:
            stack = self._stacks.get(stack_id)
            for key in (stack_id, stack.id, stack.stack_name):
                self._fetched[key] = stack
        return self._fetched[stack_id]

    def __getattr__(self, name):
        return getattr(self._stacks, name)


def outputs(heat, stack_id):
    stack = heat.stacks.get(stack_id)
    return {output['output_key']: output.get('output_value')
            for output in stack.outputs or []}


def role_names(heat, stack):
    """The stack's roles: its RoleData's (a newton stack names them in
    EnabledServices only)."""
    found = outputs(heat, stack.id)
    return sorted(found.get('RoleData') or found.get('EnabledServices') or
                  {})


def registry(heat, stack):
    """The stack's resource registry: what each type alias maps to."""
    return heat.stacks.environment(stack.id).get('resource_registry') or {}


def deploy_steps_are_noop(resource_registry):
    """What prepare sets (the stack is prepared) and converge undoes. Only
    the deploy steps tell: THT itself maps the role tasks
    (OS::TripleO::Tasks::<Role>PreConfig...) to OS::Heat::None by default."""
    return resource_registry.get(DEPLOYMENT_STEPS) == NOOP


def last_event_id(heat, stack):
    """The marker after which the update's events start."""
    from heatclient.common import event_utils
    events = event_utils.get_events(heat, stack_id=stack.id,
                                    event_args={'sort_dir': 'desc',
                                                'limit': 1})
    return events[0].id if events else None


def update(heat, stack, template, files, environment, timeout_minutes,
           advice='nothing was run on the nodes; fix the cause and run '
                  'prepare again', stall_minutes=60,
           then='run the same command again'):
    """Update the stack (Heat's PATCH, as upstream's deploy: a parameter
    no environment gives keeps the stack's value, hidden ones included)
    and wait, printing Heat's events as they come; advice ends the
    message of a failed update, then says what to run once an update the
    operator stopped waiting for (SIGINT, SIGTERM) has ended."""
    from heatclient import exc as heat_exc
    marker = last_event_id(heat, stack)
    try:
        # Heat may start the update before its answer arrives: a signal
        # during the request waits for it, then ends the wait.
        with _signals_stop_waiting() as held:
            try:
                heat.stacks.update(stack.id, template=template, files=files,
                                   environment=environment, existing=True,
                                   timeout_mins=timeout_minutes)
            except heat_exc.HTTPException as exc:
                raise WorkflowError(
                    'Heat refused the update of %s: %s; the stack is '
                    'unchanged' % (stack.stack_name, exc))
            held.release()
            ready = _wait(heat, stack, marker, stall_minutes)
    except _Stopped as stopped:
        raise Interrupted(
            '%s: stopped waiting for the update of stack %s, but Heat goes '
            'on with it; watch it with `openstack stack event list %s '
            '--follow` (or `openstack stack show %s -c stack_status`), and '
            'once it ends, %s' % (
                signal.Signals(stopped.signum).name, stack.stack_name,
                stack.stack_name, stack.stack_name, then), stopped.signum)
    except Exception as exc:
        if not unreachable(exc):
            raise
        raise WorkflowError(
            'lost Heat while waiting for the update of %s (%s): when Heat '
            'answers again (it marks an update its engine lost '
            'UPDATE_FAILED), run the same command again'
            % (stack.stack_name, _first_line(exc)))
    if not ready:
        raise WorkflowError('stack update of %s failed:%s\n%s'
                            % (stack.stack_name, failures(heat, stack.id),
                               advice))


class _Stopped(BaseException):
    """Like KeyboardInterrupt: no `except Exception` on the way catches
    it."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class _Held:
    """A signal that came before release, raised on release."""

    def __init__(self):
        self.hold = True
        self.signum = None

    def stop(self, signum, frame):
        if self.hold and self.signum is None:
            self.signum = signum  # a second one does not wait
            return
        raise _Stopped(signum)

    def release(self):
        self.hold = False
        if self.signum is not None:
            raise _Stopped(self.signum)


@contextlib.contextmanager
def _signals_stop_waiting():
    """SIGINT and SIGTERM end the wait (Heat's update goes on)."""
    held = _Held()
    previous = {}
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, held.stop)
    except ValueError:
        pass  # not the main thread: the signals stay as they were
    try:
        yield held
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _wait(heat, stack, marker, stall_minutes):
    """tripleoclient's wait_for_stack_ready, watched.

    It waits for as long as the stack is in progress, and an update Heat
    lost (its engine or its database restarted under it) stays in
    progress for good: no new event for stall_minutes ends the wait with
    what to do. Heat's own errors (a 5xx while its database restarts)
    are waited through; Heat not answering at all ends the wait at once.
    """
    seen, since = marker, time.monotonic()
    while True:
        outcome = _watch(heat, stack, seen)
        while outcome['thread'].is_alive():
            outcome['thread'].join(STALL_POLL_SECONDS)
            if not outcome['thread'].is_alive():
                break
            latest = _latest_event(heat, stack, seen)
            if latest != seen:
                seen, since = latest, time.monotonic()
            elif time.monotonic() - since > stall_minutes * 60:
                raise _stalled(stack, stall_minutes)
        error = outcome.get('error')
        if error is None:
            return outcome['ready']
        if not _heat_error(error):
            raise error
        if time.monotonic() - since > stall_minutes * 60:
            raise _stalled(stack, stall_minutes)
        LOG.warning('Heat answered %s while the update of %s goes on: '
                    'waiting again', _first_line(error), stack.stack_name)
        time.sleep(STALL_POLL_SECONDS)
        seen = _latest_event(heat, stack, seen)


def _watch(heat, stack, marker):
    import threading
    from tripleoclient import utils as tripleo_utils
    outcome = {}

    def wait():
        try:
            # It prints Heat's events to sys.stdout: masked as our output.
            with contextlib.redirect_stdout(secrets.Writer(sys.stdout)):
                outcome['ready'] = tripleo_utils.wait_for_stack_ready(
                    heat, stack.id, marker=marker, action='UPDATE')
        except Exception as exc:  # handed to _wait
            outcome['error'] = exc

    outcome['thread'] = threading.Thread(target=wait, daemon=True)
    outcome['thread'].start()
    return outcome


def _latest_event(heat, stack, seen):
    try:
        return last_event_id(heat, stack)
    except Exception as exc:
        if _heat_error(exc):
            return seen
        raise


def _heat_error(exc):
    """Heat answered, with a server error: its database restarting."""
    from heatclient import exc as heat_exc
    return isinstance(exc, heat_exc.HTTPException) and \
        (getattr(exc, 'code', 0) or 0) >= 500


def _stalled(stack, stall_minutes):
    return WorkflowError(
        'no event from Heat for %d minute(s) during the update of %s and it '
        'is still in progress: Heat may have lost it (its engine or database '
        'restarted). Check `openstack stack event list %s`; if nothing '
        'moves, reset it with `heat-manage reset_stack_status %s` and run the '
        'same command again' % (stall_minutes, stack.stack_name,
                                stack.stack_name, stack.id))


def failures(heat, stack_id):
    """The failed resources, each with its reason, one per line."""
    failed = [resource for resource in
              heat.resources.list(stack_id, nested_depth=5)
              if resource.resource_status.endswith('_FAILED')]
    if not failed:
        return ' (Heat gave no failed resource)'
    return ''.join('\n  %s (%s): %s' % (resource.resource_name,
                                        resource.resource_status,
                                        resource.resource_status_reason)
                   for resource in failed)


def preview_update(heat, stack, template, files, environment):
    """Heat's preview of the update (PATCH) with these fields: {change:
    [resource names]}, for 'added', 'deleted', 'replaced', 'updated',
    'unchanged'."""
    changes, _nested = preview_changes(heat, stack, template, files,
                                       environment, nested=False)
    return {change: sorted(name for name, _type in resources)
            for change, resources in changes.items()}


def preview_changes(heat, stack, template, files, environment, nested=True):
    """Heat's preview of the update (PATCH), nested stacks' resources
    included: ({change: [(resource name, resource type)]}, whether the
    nested stacks are in it)."""
    from heatclient import exc as heat_exc
    try:
        try:
            preview = heat.stacks.preview_update(
                stack.id, template=template, files=files,
                environment=environment, existing=True, show_nested=nested)
        except heat_exc.HTTPException:
            if not nested:
                raise
            # Heat 24 fails a nested preview where a nested stack's
            # resource is replaced (format_stack_resource on a resource
            # with no nested stack yet: 400 or 500): the top level's then,
            # which the preview's line says.
            LOG.debug('Heat could not preview the nested stacks of %s',
                      stack.stack_name, exc_info=True)
            nested = False
            preview = heat.stacks.preview_update(
                stack.id, template=template, files=files,
                environment=environment, existing=True)
    except heat_exc.HTTPException as exc:
        raise WorkflowError('Heat refused the preview of an update of %s: '
                            '%s' % (stack.stack_name, exc))
    changes = preview.get('resource_changes', preview)
    return {change: [(r.get('resource_name', '?'), r.get('resource_type', ''))
                     for r in _flat(resources)]
            for change, resources in changes.items()}, nested


def _flat(items):
    """A preview's resources; a nested stack's come as lists within."""
    for item in items or []:
        if isinstance(item, list):
            yield from _flat(item)
        else:
            yield item
