"""Lab stand-ins for what THT's tasks do to a real node.

Every lab node is a directory tree on this machine, reached as root over
SSH on loopback: a task that writes /var/lib/docker-puppet, runs hiera or
starts a service would do it to this machine. The lab ships Ansible action
plugins named like the modules THT's playbooks use (an action plugin in
ANSIBLE_ACTION_PLUGINS takes precedence over Ansible's own) and the roles
those playbooks name (ANSIBLE_ROLES_PATH); the lab's stackrc exports both.
On a host with ``lab_node_root`` (a lab node) they act on the node's tree:

* path-taking modules (file, copy, template, stat, slurp, lineinfile,
  replace, blockinfile, ini_file, find, synchronize): absolute paths
  outside the tree move under it; the owner and group a real node's file
  has are dropped (the tree is the SSH user's, and users such as nova
  may not exist here);
* command and shell: the same for the absolute paths in the command
  (/usr/bin/systemctl and the like are the lab's own commands), run
  with the lab's commands (bin/: hiera, os-apply-config, systemctl,
  puppet, facter, paunch, python for docker-puppet.py, yum, rpm,
  yumdownloader, pgrep, ntpdate, httpd, os-net-config, docker; bin/lab-db's
  db-sync commands, mysqld_safe, mysqladmin, mysql_upgrade, chown and
  bash) first on PATH and LAB_NODE_ROOT set, so that the node's tree is
  what they act on;
* yum, package, service, systemd: a package or service change recorded in
  the tree (var/lib/rpm/<package>, run/services/<service>);
* mysql_db, mysql_user: var/lib/mysql/<db>.schema, var/lib/mysql/users/
  <user> (its privileges, never its password);
* mount: the entry in the tree's etc/fstab and var/lib/lab/mounts/;
  nothing is ever mounted;
* git: fails (a lab node has no network: FastForwardRepoType
  custom-script, not tripleo-repos);
* gather_facts, setup: the node's facts say its own host name (its tree's
  name), as a real node's would.

A task's when, register, loop, block and tags are untouched: only what a
module does changes. On any other host (the undercloud) everything is
Ansible's own. bin/lab-become stands in for sudo (ANSIBLE_BECOME_EXE):
a lab node's tree belongs to the SSH user.
"""

import json
import os
import re
import shlex

ANSIBLE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           'ansible')
ACTION_PLUGINS = os.path.join(ANSIBLE_DIR, 'action_plugins')
ROLES = os.path.join(ANSIBLE_DIR, 'roles')
BIN = os.path.join(ANSIBLE_DIR, 'bin')
LAB_NODE = os.path.join(BIN, 'lab-node')
# The cluster's commands (pcs, cibadmin, crm_resource; see cluster.py).
LAB_CLUSTER = os.path.join(BIN, 'lab-cluster')
# What would change the host itself (ip, setfacl, crontab, users ...).
LAB_HOST = os.path.join(BIN, 'lab-host')
# PATH on a lab node: the lab's commands, then the system's.
PATH = os.pathsep.join([BIN, '/usr/local/sbin', '/usr/local/bin',
                        '/usr/sbin', '/usr/bin', '/sbin', '/bin'])
# The lab's map of node addresses to node trees (see _root_by_address).
NODES_ENV = 'TRIPLEO_FFU_LAB_NODES'
LAB_BECOME = os.path.join(BIN, 'lab-become')
# Absolute paths that stay as they are in commands: devices.
KEPT = ('/dev/',)
# Where a real node keeps programs: /usr/bin/systemctl in a command is the
# lab's systemctl (bin/), as systemctl would be.
PROGRAM_DIRS = ('/usr/bin', '/usr/sbin', '/bin', '/sbin')
# Not a path but an awk (or sed) pattern, as THT's
# `awk '/os-net-config/{print}'`, `awk -F- '/^openvswitch-2/{print ...}'`
# and `awk '/postuninstall/,/*/'`.
PATTERN = re.compile(r'^/\^|/\{|/,/')
# An absolute path in a command: after a start, a blank, a quote, `=`,
# `>` or `<` (so neither `#!/bin/bash` nor the `//` of a URL).
COMMAND_PATH = re.compile(r'''(?:(?<=^)|(?<=[\s'"=<>]))/[^\s'";|&<>()`]*''')


def node_root(action, task_vars):
    """The tree of the lab node a task acts on, or None (not a lab node).

    A delegated task acts on the host it is delegated to.
    """
    variables = task_vars or {}
    delegate = action._task.delegate_to
    if delegate:
        delegated = (variables.get('ansible_delegated_vars') or {}).get(
            delegate)
        if delegated is not None:
            variables = delegated
    root = variables.get('lab_node_root')
    root = action._templar.template(root) if root else \
        _root_by_address(action, variables)
    return root.rstrip('/') if isinstance(root, str) and root else None


def _root_by_address(action, variables):
    """The tree of the node at ansible_host, when the lab's stackrc names
    the lab's address map (NODES_ENV: the THT packages lab, whose stack
    gives the nodes no lab_node_root)."""
    path = os.environ.get(NODES_ENV)
    address = variables.get('ansible_host')
    if not path or not address:
        return None
    try:
        with open(path) as source:
            roots = json.load(source)
    except (OSError, ValueError):
        return None
    return roots.get(action._templar.template(address))


def in_tree(path, root):
    """path on the node: an absolute path outside root moves under it."""
    if not isinstance(path, str) or not path.startswith('/'):
        return path
    if path == root or path.startswith(root + '/'):
        return path
    return root + path


# Who owns a file on a real node (nova, mysql, ...): the users may not
# exist here, and a node's tree is the SSH user's.
OWNERSHIP = ('owner', 'group')


def rewrite_paths(args, keys, root):
    """args with the paths under keys in the node's tree; a list, or a
    comma-separated string (find's paths), path by path; without an owner
    or group (OWNERSHIP)."""
    args = {key: value for key, value in args.items()
            if key not in OWNERSHIP}
    for key in keys:
        value = args.get(key)
        if isinstance(value, str) and key == 'paths':
            value = [item.strip() for item in value.split(',')]
        if isinstance(value, list):
            args[key] = [in_tree(item, root) for item in value]
        elif value is not None:
            args[key] = in_tree(value, root)
    return args


def rewrite_command(text, root):
    """A command line with its absolute paths in the node's tree."""
    quoted = shlex.quote(root)

    def move(match):
        path = match.group(0)
        if path == root or path.startswith(root + '/') or \
                path.startswith(BIN + '/') or path.startswith(KEPT) or \
                PATTERN.search(path):
            return path
        if lab_command(path):
            return shlex.quote(os.path.join(BIN, os.path.basename(path)))
        return quoted + path
    return COMMAND_PATH.sub(move, text)


def lab_command(path):
    """Whether path is where a node keeps a program the lab stands in
    for."""
    directory, name = os.path.split(path)
    return directory in PROGRAM_DIRS and \
        name not in ('lab-node', 'lab-cluster', 'lab-host', 'lab-db') and \
        os.path.lexists(os.path.join(BIN, name))


def environment(root):
    """What a command on a lab node runs with."""
    return {'PATH': PATH, 'LAB_NODE_ROOT': root}


def with_environment(task, root):
    """The task's environment with the lab's last (it wins)."""
    current = task.environment
    if not current:
        current = []
    elif not isinstance(current, list):
        current = [current]
    task.environment = list(current) + [environment(root)]


def node_hostname(root):
    """A lab node's host name: its tree's name (nodes.py names it so)."""
    return os.path.basename(root)


def hostname_facts(root):
    """The facts that name the host, as the node itself reports them."""
    hostname = node_hostname(root)
    return {'ansible_hostname': hostname, 'ansible_nodename': hostname,
            'ansible_fqdn': hostname + '.localdomain',
            'ansible_domain': 'localdomain'}


def ansible_environment():
    """ANSIBLE_* settings that make the stand-ins active (for stackrc)."""
    return {'ANSIBLE_ACTION_PLUGINS': ACTION_PLUGINS,
            'ANSIBLE_ROLES_PATH': ROLES}


def node_settings(addresses_file, ssh_port):
    """What the THT packages lab's stackrc adds, in place of the host
    variables the lab's own templates give each node: the sshd's port,
    the nodes' Python, become as the SSH user (a node's tree is the SSH
    user's: lab-become runs the command as it is), and the address map."""
    return {'ANSIBLE_REMOTE_PORT': ssh_port,
            'ANSIBLE_PYTHON_INTERPRETER': '/usr/bin/python3',
            'ANSIBLE_BECOME_EXE': LAB_BECOME,
            NODES_ENV: addresses_file}
