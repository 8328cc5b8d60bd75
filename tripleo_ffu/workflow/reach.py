"""How the workflow reaches the nodes over SSH: the private key prepare,
run and converge are given, Ansible's connection settings, and the check
that every node answers before a run or a converge changes anything."""

import os

from tripleo_ffu.workflow import ansible
from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import run_state
from tripleo_ffu.workflow import yamlfile
from tripleo_ffu.workflow.errors import WorkflowError

PING_PLAYBOOK = 'ffu-ping.yaml'


def check_ssh_key(path):
    if os.path.isdir(path):
        raise WorkflowError('ssh key %s is not a file' % path)
    if not os.path.isfile(path):
        raise WorkflowError('ssh key %s does not exist' % path)
    if not os.access(path, os.R_OK):
        raise WorkflowError('ssh key %s is not readable' % path)
    if os.stat(path).st_mode & 0o077:
        raise WorkflowError('ssh key %s is readable by others: ssh refuses '
                            'it; run chmod 600 %s' % (path, path))


def default_forks(nodes):
    """tripleoclient's default (4 per CPU, at most 100), and no more
    than there are nodes: Ansible's own default of 5 makes a 20-node
    overcloud wait four rounds on every task."""
    return max(1, min(nodes, (os.cpu_count() or 1) * 4, 100))


def extravars(options):
    """What the operator gave on the command line wins over the inventory
    prepare wrote (its user and key are group variables there)."""
    given = {}
    if options.ssh_user:
        given['ansible_ssh_user'] = options.ssh_user
    if options.ssh_key:
        given['ansible_ssh_private_key_file'] = os.path.abspath(
            options.ssh_key)
    return given


def ping(options, inventory_path, say, advice='nothing was run',
         users='--ssh-user and --ssh-key'):
    """Every node must answer before anything runs."""
    directory = run_state.run_dir(options.config_dir)
    # Beside the plays (the config dir): Ansible applies the host_vars/
    # and group_vars/ next to a playbook over the inventory's, so the
    # check reaches each node at the address, port, user and key the
    # plays use, whatever the inventory (prepare's or a static one).
    path = os.path.join(options.config_dir, PING_PLAYBOOK)
    # A limited run pings the nodes of its limit (the undercloud too, for
    # --limit undercloud); another every node of the overcloud.
    files.write_private(path, yamlfile.dump([{
        'name': 'ping', 'hosts': 'all' if options.limit else options.stack,
        'gather_facts': False, 'tasks': [{'name': 'ping', 'ping': {}}]}]))
    runner = ansible.run_playbook(
        path, inventory_path, os.path.join(directory, 'runner'),
        ssh_key=options.ssh_key, forks=options.forks, ident='ping',
        extravars=extravars(options),
        host_key_checking=options.host_key_checking,
        **ansible_limit(options))
    stats = runner.stats or {}
    down = sorted(set(stats.get('dark') or {}) |
                  set(stats.get('failures') or {}))
    answered = sorted(set(stats.get('ok') or {}) - set(down))
    if down or not answered:
        raise WorkflowError(
            'node(s) not answering: %s; %s. Check that they are up and '
            'reachable over SSH as the inventory says (%s)%s'
            % (', '.join(down) or 'no node in group %s' % options.stack,
               advice, inventory_path, _as_whom(options, users)))
    say('%s answers.' % answered[0] if len(answered) == 1
        else 'All %d nodes answer.' % len(answered))


def _as_whom(options, users):
    """The user and key given on the command line, and how to give
    others."""
    tried = [what % value for what, value in (
        ('user %s', options.ssh_user),
        ('key %s', options.ssh_key and os.path.abspath(options.ssh_key)))
        if value]
    return ', as %s (%s give others)' % (' with '.join(tried), users) \
        if tried else '; %s give another user and key' % users


def ansible_limit(options):
    """Ansible's --limit, for a run limited to some nodes."""
    return {'limit': options.limit} if options.limit else {}
