"""The lab's sshd: the overcloud nodes' SSH, on a loopback port.

One instance per address, all on the same port with the same keys: the
instance `sshd` on 127.0.0.1, and `sshd-<address>` on each node's own
loopback address (nodes.layout). Stopping one node's instance (`node
stop`) ends its sessions too: that node, and only it, stops answering.
"""

import getpass
import os

from tripleo_ffu_lab import procs
from tripleo_ffu.workflow import files

NAME = 'sshd'
LOCALHOST = '127.0.0.1'
SSHD = '/usr/sbin/sshd'
# The environment of every SSH session on a lab node. sshd runs a command
# through the user's shell, and bash, run so (its stdin a socket) at shell
# level 1, reads the user's ~/.bashrc first: on the machine of a lab, a
# developer's (pyenv's set-up there cost 0.3 s of every Ansible task, and
# output from it breaks Ansible). A node's user has no such file: at shell
# level 2 bash skips it.
SESSION_ENV = {'SHLVL': '1'}


def _ssh_path(lab, name):
    return lab.path('ssh', name)


# The nodes' host key types: THT's known_hosts_entry carries the ecdsa
# key (its SshHostPubKey collects rsa, ecdsa and ed25519).
HOST_KEY_TYPES = ('ed25519', 'ecdsa')


def host_key(lab, kind='ed25519'):
    return _ssh_path(lab, 'ssh_host_%s_key' % kind)


def ensure_keys(lab):
    """Host keys for the nodes, and the client key that `run` will use."""
    keys = [(host_key(lab, kind), kind, 'tripleo-ffu lab node host key')
            for kind in HOST_KEY_TYPES]
    for key, kind, comment in keys + [
            (lab.ssh_key, 'ed25519', 'tripleo-ffu lab admin key')]:
        if not os.path.exists(key):
            procs.run(['ssh-keygen', '-q', '-t', kind, '-N', '',
                       '-C', comment, '-f', key], 'ssh-keygen for ' + key)
    with open(lab.ssh_key + '.pub') as pub:
        files.write_private(_ssh_path(lab, 'authorized_keys'), pub.read())


def public_host_keys(lab, directory=None):
    """{type: public key line}: what a node's /etc/ssh/ssh_host_*.pub
    hold, and so what THT's SshHostPubKey deployment reports."""
    found = {}
    for kind in HOST_KEY_TYPES:
        path = (os.path.join(directory, 'ssh_host_%s_key' % kind)
                if directory else host_key(lab, kind))
        try:
            with open(path + '.pub') as pub:
                found[kind] = pub.read().strip()
        except FileNotFoundError:
            pass
    return found


def known_hosts(lab):
    return _ssh_path(lab, 'known_hosts')


def _listen(addresses):
    return [LOCALHOST] + [address for address in addresses
                          if address != LOCALHOST]


def instance(address):
    """The lab process name of the instance listening on address."""
    return NAME if address == LOCALHOST else '%s-%s' % (NAME, address)


def write_known_hosts(lab, port, addresses=()):
    """The nodes' host key, as ssh wants it in a known_hosts file."""
    with open(host_key(lab) + '.pub') as pub:
        key = ' '.join(pub.read().split()[:2])
    files.write_private(known_hosts(lab), ''.join(
        '[%s]:%d %s\n' % (address, port, key)
        for address in _listen(addresses)))


def config_path(lab, address=LOCALHOST):
    suffix = '' if address == LOCALHOST else '-' + address
    return _ssh_path(lab, 'sshd_config' + suffix)


def write_config(lab, port, address=LOCALHOST):
    """The sshd_config of address's instance; True when it changed."""
    config = '\n'.join([
        'Port %d' % port,
        'ListenAddress ' + address,
    ] + ['HostKey ' + host_key(lab, kind) for kind in HOST_KEY_TYPES] + [
        'PidFile ' + os.path.join(lab.run_dir,
                                  instance(address) + '-daemon.pid'),
        'AuthorizedKeysFile ' + _ssh_path(lab, 'authorized_keys'),
        'AllowUsers ' + getpass.getuser(),
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        # The lab dir may sit under a world-writable /tmp, which
        # StrictModes would refuse; the files themselves are 0600.
        'StrictModes no',
        'PrintMotd no',
        'MaxSessions 100',
        'MaxStartups 100:30:200',
        'Subsystem sftp internal-sftp',
        'SetEnv ' + ' '.join('%s=%s' % item
                             for item in sorted(SESSION_ENV.items())),
        '',
    ])
    path = config_path(lab, address)
    try:
        with open(path) as current:
            if current.read() == config:
                return False
    except FileNotFoundError:
        pass
    files.write_private(path, config)
    return True


def start(lab, port, addresses=()):
    """Start the instance of 127.0.0.1 and of each address (again, if its
    config changed), and stop those of other addresses; True if one
    started."""
    ensure_keys(lab)
    write_known_hosts(lab, port, addresses)
    wanted = _listen(addresses)
    for address in running_addresses(lab):
        if address not in wanted:
            procs.stop(lab, instance(address), timeout=10)
    started = False
    for address in wanted:
        started = start_one(lab, port, address) or started
    return started


def start_one(lab, port, address):
    """Start address's instance unless it runs with its config; True if
    started."""
    changed = write_config(lab, port, address)
    name = instance(address)
    if procs.running_pid(lab, name):
        if not changed:
            return False
        procs.stop(lab, name, timeout=10)
    config = config_path(lab, address)
    check_config(config)
    proc = procs.start(lab, name, [SSHD, '-D', '-e', '-f', config])
    procs.wait_until(lambda: procs.port_probe(port, address), 30,
                     'sshd on %s:%d' % (address, port), lab, name, proc)
    return True


def running_addresses(lab):
    """The addresses whose instance runs, 127.0.0.1 first."""
    prefix = NAME + '-'
    found = [LOCALHOST] if procs.running_pid(lab, NAME) else []
    for entry in sorted(os.listdir(lab.run_dir)):
        name = entry[:-len('.pid')]
        if entry.endswith('.pid') and name.startswith(prefix) and \
                not name.endswith('-daemon') and \
                procs.running_pid(lab, name):
            found.append(name[len(prefix):])
    return found


def check_config(config):
    """sshd -t: the config is one sshd takes."""
    if os.geteuid() == 0:
        # sshd running as root wants its privilege separation directory
        # (a fresh machine has none until an sshd started once).
        os.makedirs('/run/sshd', mode=0o755, exist_ok=True)
    procs.run([SSHD, '-t', '-f', config], 'checking ' + config)


def stop_one(lab, address):
    """Stop address's instance and its sessions; True if it ran."""
    return procs.stop(lab, instance(address), timeout=10)


def stop(lab):
    """Stop every instance; True if one ran."""
    stopped = False
    for address in running_addresses(lab):
        stopped = stop_one(lab, address) or stopped
    return stopped
