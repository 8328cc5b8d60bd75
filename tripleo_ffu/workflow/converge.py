"""`overcloud ffwd-upgrade converge`: after the run, one more full stack
update puts every resource back to its real type, so that later updates
(the next `overcloud deploy`) work as usual."""

import dataclasses
import logging
import os

from tripleo_ffu.workflow import credentials
from tripleo_ffu.workflow import environments
from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import history
from tripleo_ffu.workflow import host_keys
from tripleo_ffu.workflow import inventory as inventory_module
from tripleo_ffu.workflow import passwords as passwords_module
from tripleo_ffu.workflow import preview as preview_module
from tripleo_ffu.workflow import reach
from tripleo_ffu.workflow import run as run_module
from tripleo_ffu.workflow import run_state
from tripleo_ffu.workflow import stack as overcloud_stack
from tripleo_ffu.workflow import status
from tripleo_ffu.workflow import steps
from tripleo_ffu.workflow import update_options
from tripleo_ffu.workflow.errors import WorkflowError

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Options(update_options.UpdateOptions):
    # Converge over a run that is not complete (--force).
    force: bool = False


@dataclasses.dataclass
class Result:
    deploy_steps_type: str
    deploy_steps_resources: int
    update_type: str
    preview: dict
    skipped_plays: list
    timings: list
    credentials: str = ''
    update_preview: preview_module.Preview = None
    # A forced converge over an incomplete run: {node: phases it never
    # ran} and the words of it ('' after a complete run).
    nodes_left: dict = dataclasses.field(default_factory=dict)
    never_ran: str = ''


@dataclasses.dataclass
class RunCheck:
    """What converge found of the run: nothing missing, or (--force)
    why it converges anyway, the plays not done and the nodes left."""
    forced: str = ''
    skipped_plays: list = dataclasses.field(default_factory=list)
    nodes_left: dict = dataclasses.field(default_factory=dict)


def check_run(options):
    """Every node through every phase in a complete run after the last
    prepare, or (with --force) what is not done, said once."""
    try:
        summary = status.check_run_complete(options.config_dir,
                                            options.stack)
    except WorkflowError as exc:
        if not options.force:
            raise
        LOG.warning('Converging with --force, although %s', exc)
        try:
            summary = status.run_summary(options.config_dir, options.stack)
        except WorkflowError:  # a plan or journal that cannot be read
            return RunCheck(forced=str(exc))
        return RunCheck(str(exc), summary.missing, summary.missing_nodes)
    skipped = summary.upgrade.undercloud_left() if summary.upgrade else []
    if skipped:
        LOG.warning('The undercloud\'s plays %s did not run: runs limited '
                    'with --roles, --nodes or --limit leave them out, as '
                    'upstream\'s did (a run with --limit undercloud runs '
                    'them)', ', '.join(skipped))
    return RunCheck()


def check_owner(heat, options):
    """The config dir's state is the stack's (not an earlier stack's of
    the same name)."""
    history.check_owner(options.config_dir,
                        overcloud_stack.get(heat, options.stack))


def check(heat, options, report=None, run=None, dry_run=False,
          run_check=None):
    """What converge checks before it changes anything (all of
    --dry-run, which repairs nothing either): the inputs, the stack and
    the run (unless run_check, check_run's, is given)."""
    run = run or steps.Steps(report)
    with run.step('Checking the stack, the inputs and the run'):
        environments.check_inputs(options)
        stack = overcloud_stack.find(heat, options.stack)
        history.check_owner(options.config_dir, stack)
        files.check_private(options.config_dir, repair=not dry_run)
        run_check = run_check or check_run(options)
    return stack, run_check


def check_nodes(options, say):
    """Every node answers: a converge on a real overcloud applies the
    deploy steps to every node, and one that is down holds the update
    until its timeout."""
    path = os.path.join(options.config_dir, inventory_module.INVENTORY_FILE)
    if not os.path.isfile(path):
        say('No inventory in %s (prepare did not run there): the nodes are '
            'not checked' % options.config_dir)
        return
    inventory = run_module.read_inventory(path)
    ping_options = run_module.Options(
        stack=options.stack, config_dir=options.config_dir,
        ssh_user=options.ssh_user, ssh_key=options.ssh_key,
        host_key_checking=host_keys.checks(inventory, options.stack),
        forks=reach.default_forks(
            len(inventory_module.hosts(inventory, options.stack))))
    reach.ping(ping_options, path, say, advice='the stack was not changed',
               users='--overcloud-ssh-user and --overcloud-ssh-key')


def converge(heat, options, report=None, log=None, run_check=None):
    run = steps.Steps(report)
    stack, run_check = check(heat, options, run=run, run_check=run_check)
    with run_state.Lock(options.config_dir, 'ffwd-upgrade converge'):
        with run.step('Checking that every node answers'):
            check_nodes(options, run.report)
        with run.step('Building the environments'):
            out_dir = os.path.join(options.config_dir,
                                   environments.GENERATED_DIR)
            # prepare's passwords, before the -e files as in prepare.
            passwords = passwords_module.for_converge(out_dir)
            fields = environments.build(
                options, environments.CONVERGE_ENV,
                environments.GENERATED_CONVERGE, out_dir, log,
                extra=passwords.files)
        with run.step('Previewing the update'):
            update_preview = preview_module.run(
                heat, stack, fields, overcloud_stack.role_names(heat, stack), passwords,
                passwords_module.stack_parameters(heat, stack),
                options.allow, run.report)
        with run.step('Updating stack %s (deploy steps back to their real '
                      'types)' % stack.stack_name), \
                history.stack_update(options.config_dir, 'converge', stack):
            overcloud_stack.update(
                heat, stack, *fields, options.timeout,
                advice='the upgrade itself is done; fix the cause and run '
                       'converge again', stall_minutes=options.stall_minutes,
                then='run the same converge again (it checks the stack and '
                     'records the converge)')
        with run.step('Checking the converged stack'):
            result = _check_converged(heat, stack, fields)
        rc = credentials.step(run, options, lambda: overcloud_stack.outputs(
            heat, stack.id), stack.stack_name)
        record = {'stack': stack.stack_name,
                  'deploy_steps_type': result['deploy_steps_type'],
                  'skipped_plays': run_check.skipped_plays,
                  'forced': run_check.forced,
                  'nodes_left': run_check.nodes_left}
        run_state.record_converge(options.config_dir, record)
    return Result(skipped_plays=run_check.skipped_plays,
                  timings=run.timings, nodes_left=run_check.nodes_left,
                  never_ran=history.converge_words(record), credentials=rc,
                  update_preview=update_preview, **result)


def _check_converged(heat, stack, fields):
    """The deploy steps real again, StackUpdateType empty, and Heat would
    take a following update with the same templates and environments."""
    stack = heat.stacks.get(stack.id)
    registry = overcloud_stack.registry(heat, stack)
    if overcloud_stack.deploy_steps_are_noop(registry):
        raise WorkflowError(
            'the stack update completed but %s still maps to %s: an '
            'environment file given with -e maps it; remove that mapping '
            'and run converge again' % (overcloud_stack.DEPLOYMENT_STEPS,
                                        overcloud_stack.NOOP))
    update_type = (stack.parameters or {}).get('StackUpdateType', '')
    if update_type:
        raise WorkflowError(
            'the stack update completed but StackUpdateType is still %r: an '
            'environment file given with -e sets it; remove it and run '
            'converge again' % update_type)
    resources = [r for r in heat.resources.list(stack.id, nested_depth=2)
                 if r.resource_type == overcloud_stack.DEPLOYMENT_STEPS]
    return {
        'deploy_steps_type': registry.get(overcloud_stack.DEPLOYMENT_STEPS,
                                          overcloud_stack.DEPLOYMENT_STEPS),
        'deploy_steps_resources': len(resources),
        'update_type': update_type,
        'preview': overcloud_stack.preview_update(heat, stack, *fields),
    }
