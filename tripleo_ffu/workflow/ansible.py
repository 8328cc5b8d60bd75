"""Run a playbook with ansible-runner, as tripleoclient does, without its
hard-coded system paths (tripleo-ansible callbacks, /usr/share dirs)."""

import logging
import datetime
import os
import shutil
import sys

from tripleo_ffu.workflow import files
from tripleo_ffu.workflow.errors import WorkflowError

LOG = logging.getLogger(__name__)
KEEP_ARTIFACTS = 50
# Where a queens undercloud keeps the modules THT's tasks use beyond
# Ansible's own (ansible-pacemaker's pacemaker_resource, a pacemaker_cluster
# with check_and_fail): RoleConfig's SoftwareConfig names it as modulepath.
QUEENS_MODULES = '/usr/share/ansible-modules'


def environment(ssh_key=None, forks=None, host_key_checking=False):
    """ANSIBLE_* settings for an overcloud run. Host key checking is the
    environment's: Ansible 2.9's ssh plugin reads only the global setting
    (an inventory's ansible_host_key_checking is not enough)."""
    env = {
        'ANSIBLE_HOST_KEY_CHECKING': str(bool(host_key_checking)),
        'ANSIBLE_SSH_ARGS': '-o ControlMaster=auto -o ControlPersist=300s '
                            '-o ServerAliveInterval=30',
        'ANSIBLE_PIPELINING': 'True',
        'ANSIBLE_RETRY_FILES_ENABLED': 'False',
        'ANSIBLE_DISPLAY_SKIPPED_HOSTS': 'False',
        'ANSIBLE_TIMEOUT': '30',
        # How often the controller looks for its workers' results:
        # Ansible's 0.001 s keeps a CPU busy polling. tripleo-common's own
        # runs set 0.01 (measured: doc/source/performance.rst).
        'ANSIBLE_INTERNAL_POLL_INTERVAL': '0.01',
        # ansible-playbook next to our Python first: the version
        # tripleoclient brings (ansible-runner's `binary` would switch it
        # to raw mode, without events).
        'PATH': os.path.dirname(sys.executable) + os.pathsep +
        os.environ.get('PATH', ''),
    }
    library = [path for path in
               os.environ.get('ANSIBLE_LIBRARY', '').split(os.pathsep) +
               [QUEENS_MODULES] if path and os.path.isdir(path)]
    if library:
        env['ANSIBLE_LIBRARY'] = os.pathsep.join(library)
    if forks:
        env['ANSIBLE_FORKS'] = str(forks)
    if ssh_key:
        env['ANSIBLE_PRIVATE_KEY_FILE'] = os.path.abspath(ssh_key)
    return env


def run_playbook(playbook, inventory, private_data_dir, ssh_key=None,
                 forks=None, verbosity=0, event_handler=None, ident=None,
                 quiet=True, extra_env=None, host_key_checking=False,
                 **kwargs):
    """Run playbook; return the ansible_runner Runner (status, rc, stats)."""
    import ansible_runner
    with files.private_umask():
        os.makedirs(private_data_dir, exist_ok=True)
    # ansible-runner dumps the first run's envvars into env/ and reloads
    # them over later runs' own: start every run without them.
    shutil.rmtree(os.path.join(private_data_dir, 'env'), ignore_errors=True)
    envvars = environment(ssh_key, forks, host_key_checking)
    envvars.update(extra_env or {})
    LOG.info('Running %s (ansible-runner, artifacts in %s)', playbook,
             private_data_dir)
    # A fresh ident per run: ansible-runner reads a run's stats from its
    # artifacts dir, where a reused ident mixes in earlier runs' events.
    ident = '%s-%s' % (ident or 'run', datetime.datetime.now().strftime(
        '%Y%m%d-%H%M%S-%f'))
    with files.private_umask():
        runner = ansible_runner.run(
            private_data_dir=private_data_dir,
            playbook=os.path.abspath(playbook),
            inventory=os.path.abspath(inventory), envvars=envvars,
            verbosity=verbosity or None, quiet=quiet, ident=ident,
            event_handler=event_handler, rotate_artifacts=KEEP_ARTIFACTS,
            **kwargs)
    files.make_private(private_data_dir)
    if runner.status == 'failed' and runner.rc is None:
        raise WorkflowError('ansible-runner could not run %s' % playbook)
    return runner
