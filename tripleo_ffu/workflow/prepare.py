"""`overcloud ffwd-upgrade prepare`: from the deployed stack to a config
that is fixed, compiled into a plan, with its inventory, ready to run."""

import dataclasses
import os

from tripleo_ffu.workflow import config_download
from tripleo_ffu.workflow import credentials
from tripleo_ffu.workflow import environments
from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import fixers
from tripleo_ffu.workflow import history
from tripleo_ffu.workflow import host_keys
from tripleo_ffu.workflow import inventory
from tripleo_ffu.workflow import node_prep
from tripleo_ffu.workflow import passwords as passwords_module
from tripleo_ffu.workflow import plan_compiler
from tripleo_ffu.workflow import plan_file
from tripleo_ffu.workflow import preview as preview_module
from tripleo_ffu.workflow import reach
from tripleo_ffu.workflow import run_state
from tripleo_ffu.workflow import secrets
from tripleo_ffu.workflow import stack as overcloud_stack
from tripleo_ffu.workflow import steps
from tripleo_ffu.workflow import update_options

CEPH_ANSIBLE_ENV = 'ffwd-upgrade-ceph-ansible-playbook.yaml'


@dataclasses.dataclass(frozen=True)
class Options(update_options.UpdateOptions):
    skip_node_prep: bool = False
    # Upstream's --container-registry-file and --ceph-ansible-playbook:
    # merged over every other environment, as upstream's update did.
    container_registry_file: str = None
    ceph_ansible_playbook: str = None


@dataclasses.dataclass
class Result:
    config_dir: str
    commits: list
    changes: list
    plays: list
    inventory: str
    hosts: list
    timings: list
    host_keys: str = ''
    credentials: str = ''
    preview: preview_module.Preview = None
    passwords: passwords_module.Passwords = None


def default_config_dir(base, stack_name):
    inventory.check_name(stack_name, 'stack name', '--stack gives')
    return os.path.join(os.path.expanduser(base), stack_name)


def check_inputs(options):
    """Everything that can be checked before the stack is touched."""
    environments.check_inputs(options)
    if options.container_registry_file:
        environments.read_environment(options.container_registry_file)
    if options.ssh_key:
        reach.check_ssh_key(options.ssh_key)


def _role_names(heat, stack):
    """The stack's roles (for the noop environment), each checked to be a
    plain name; the updated stack's names are checked before download.
    A newton stack names them in EnabledServices only (no RoleData)."""
    roles = overcloud_stack.role_names(heat, stack)
    for role in roles:
        inventory.check_name(role, 'role name')
    return roles


def _build_update(roles, options, out_dir, log, passwords=()):
    """The update's fields; passwords: their environments, after ours and
    before the -e files (an operator's value wins)."""
    noop = environments.write_generated(
        out_dir, 'ffwd-upgrade-noop-deploy-steps.yaml',
        environments.noop_environment(roles))
    last = []
    if options.container_registry_file:
        last.append(os.path.abspath(options.container_registry_file))
    if options.ceph_ansible_playbook:
        last.append(environments.write_generated(
            out_dir, CEPH_ANSIBLE_ENV, {'parameter_defaults': {
                'CephAnsiblePlaybook': options.ceph_ansible_playbook}}))
    return environments.build(options, environments.PREPARE_ENV,
                              environments.GENERATED_PREPARE, out_dir, log,
                              extra=[noop] + list(passwords), last=last)


def check(heat, options, report=None, run=None):
    """What prepare checks before it changes anything (all of --dry-run):
    the stack and its role names."""
    run = run or steps.Steps(report)
    with run.step('Checking the stack and the inputs'):
        check_inputs(options)
        stack = overcloud_stack.find(heat, options.stack)
        roles = _role_names(heat, stack)
    return stack, roles


def prepare(heat, options, report=None, log=None):
    run = steps.Steps(report)
    stack, roles = check(heat, options, run=run)
    files.check_private(options.config_dir)
    config_download.prepare_dir(options.config_dir)
    with run_state.Lock(options.config_dir, 'ffwd-upgrade prepare'):
        return _prepare(heat, stack, roles, options, run, log)


def _prepare(heat, stack, roles, options, run, log):
    commits = []
    aside = history.claim(options.config_dir, stack)
    if aside:
        run.report('%s held the upgrade state of an earlier stack %s (the '
                   'stack was deleted and deployed again): moved aside to '
                   '%s (kept)' % (options.config_dir, stack.stack_name,
                                  aside))
    with run.step('Building the environments and the passwords'):
        out_dir = os.path.join(options.config_dir, environments.GENERATED_DIR)
        on_stack = passwords_module.stack_parameters(heat, stack)
        passwords = passwords_module.for_prepare(
            heat, stack, out_dir, environments.given_parameters(options),
            on_stack)
        passwords_module.report(passwords, run.report)
        fields = _build_update(roles, options, out_dir, log, passwords.files)
    with run.step('Previewing the update'):
        preview = preview_module.run(heat, stack, fields, roles, passwords,
                                     on_stack, options.allow, run.report)
    # Before the update: prepare's environment maps the nodes' host key
    # deployments to OS::Heat::None, which leaves the entries keyless.
    stack_host_keys = host_keys.remember(
        options.config_dir, host_keys.read(heat, stack, roles))
    with run.step('Updating stack %s (noop deploy steps)' % stack.stack_name), \
            history.stack_update(options.config_dir, 'prepare', stack):
        overcloud_stack.update(
            heat, stack, *fields, options.timeout,
            stall_minutes=options.stall_minutes,
            then='run the same prepare again (the config is downloaded '
                 'after the update)')
    # The stack has the new outputs: a run before this is stale for
    # converge.
    run_state.record_prepare(options.config_dir, stack.id)
    # The updated stack, read once by the download and the inventory.
    updated = overcloud_stack.FetchedOnce(heat)
    with run.step('Downloading the config into %s' % options.config_dir):
        # The update may bring new roles and hosts: names are checked
        # before they become directories and files.
        inventory.check_stack_names(overcloud_stack.outputs(updated,
                                                            stack.id))
        commits.append(config_download.download(updated, stack.stack_name,
                                                options.config_dir))
        # The settings' secrets, those Heat generated included.
        secrets.guard(secrets.collect(options.config_dir))
    with run.step('Fixing the generated tasks'):
        task_files = {}
        changes = fixers.fix_config(options.config_dir, fixers.load_fixers(),
                                    task_files)
        if changes:
            commits.append(config_download.commit(
                options.config_dir, fixers.commit_message(changes)))
    with run.step('Compiling the FFU plan'):
        playbook, plays = plan_compiler.Compiler(
            options.config_dir, task_files).compile()
        plan_file.write(options.config_dir, playbook)
    with run.step('Writing the inventory'):
        built = inventory.build(
            updated, stack.stack_name, options.ssh_user, options.ssh_key,
            os.path.join(options.config_dir, host_keys.KNOWN_HOSTS_FILE),
            stack_host_keys)
        inventory_path = os.path.join(options.config_dir,
                                      inventory.INVENTORY_FILE)
        inventory.write(built, inventory_path)
        commits.append(config_download.commit(
            options.config_dir, 'FFU plan and inventory of stack %s'
            % stack.stack_name))
    rc = credentials.step(run, options, overcloud_stack.outputs(
        updated, stack.id), stack.stack_name)
    hosts = inventory.hosts(built, stack.stack_name)
    if not options.skip_node_prep:
        with run.step('Preparing the nodes (%d)' % len(hosts)):
            node_prep.run(options.config_dir, inventory_path,
                          stack.stack_name, options.ssh_key,
                          host_keys.checks(built, stack.stack_name),
                          ssh_user=options.ssh_user)
    run_state.record_prepared(options.config_dir)
    return Result(options.config_dir, [c for c in commits if c], changes,
                  plays, inventory_path, hosts, run.timings,
                  host_keys.describe(built, stack.stack_name, hosts),
                  rc, preview, passwords)
