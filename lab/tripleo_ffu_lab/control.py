"""What `tripleo-ffu-lab up|down|status|reset` do."""

import contextlib
import fcntl
import getpass
import logging
import os
import secrets
import shlex

import yaml

from tripleo_ffu_lab import agent
from tripleo_ffu_lab import heat
from tripleo_ffu_lab import install
from tripleo_ffu_lab import layout
from tripleo_ffu_lab import mariadb
from tripleo_ffu_lab import newton_passwords
from tripleo_ffu_lab import nodes
from tripleo_ffu_lab import overcloud
from tripleo_ffu_lab import procs
from tripleo_ffu_lab import sshd
from tripleo_ffu_lab import standins
from tripleo_ffu_lab import tht
from tripleo_ffu_lab import tht_ha
from tripleo_ffu_lab import tht_nodes
from tripleo_ffu_lab import tht_packages
from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import steps

LOG = logging.getLogger(__name__)

SERVICES = ('mariadb', 'heat', 'sshd')
# How each lab process stops, in the order `down` stops them.
STOPS = ((agent.NAME, agent.stop), (heat.NAME, heat.stop),
         (sshd.NAME, sshd.stop), (mariadb.NAME, mariadb.stop))
# Where the lab's overcloud comes from: its own small templates, or the
# tripleo-heat-templates packages (newton deployed, queens for prepare):
# the lab's keystone-only roles, or THT's default HA overcloud.
THT_SOURCES = ('lab', tht_packages.PACKAGES, tht_ha.NAME)


@contextlib.contextmanager
def locked(lab):
    """One lab command at a time on a lab."""
    lab.make_dirs()
    with open(os.path.join(lab.run_dir, 'lab.lock'), 'w') as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise procs.LabError('another tripleo-ffu-lab command is working '
                                 'on %s; wait for it to end' % lab.root)
        yield


@contextlib.contextmanager
def stopping_on_failure(lab, command):
    """If the command fails (or is interrupted), stop the lab processes
    it started: what ran before it is left as it was."""
    before = {name for name, _ in STOPS if procs.running_pid(lab, name)}
    try:
        yield
    except BaseException:
        started = [name for name, stop in STOPS
                   if name not in before and stop(lab)]
        if started:
            LOG.info('%s failed: stopped what it had started (%s); their '
                     'logs are in %s', command, ', '.join(started),
                     lab.log_dir)
        raise


def step(what):
    """A timed step, reported as the FFU commands report theirs."""
    return steps.Steps(LOG.info).step(what)


def _ports(lab, state):
    """Keep each service's port across restarts while it is free."""
    ports = state.setdefault('ports', {})
    running = {'mariadb': mariadb.NAME, 'heat': heat.NAME, 'sshd': sshd.NAME}
    for service in SERVICES:
        port = ports.get(service)
        if port and (procs.running_pid(lab, running[service])
                     or not procs.port_open(port)):
            continue
        if port and service == 'sshd' and os.path.exists(lab.lab_environment):
            raise procs.LabError(
                'port %d of the lab sshd is taken by another process, and '
                'the overcloud stack records it: free the port, or run '
                '`tripleo-ffu-lab reset` to redeploy on a new one' % port)
        ports[service] = procs.free_port()
    return ports


def bulk_parameters(bulk):
    """The queens templates' parameters of the bulk services: each item
    is 20 tasks (every step of two releases) of every bulk service."""
    bulk = bulk or {'services': 0, 'tasks': 0}
    items = -(-bulk['tasks'] // 20) if bulk['services'] else 0
    return {
        'LabBulkServices': ['bulk%02d' % n
                            for n in range(1, bulk['services'] + 1)],
        'LabBulkItems': ['%02d' % n for n in range(1, items + 1)],
    }


def _write_environments(lab, state):
    ports, counts = state['ports'], state['counts']
    environment = {'parameter_defaults': {
        'LabNodesDir': lab.nodes_dir,
        'LabNodeAddress': sshd.LOCALHOST,
        'LabNodeAddresses': nodes.addresses(nodes.LAB_ROLES, counts,
                                            state['stack']),
        'LabSshPort': ports['sshd'],
        'ControllerCount': counts['controllers'],
        'ComputeCount': counts['computes'],
        'LabHostPubKeys': sshd.public_host_keys(lab),
    }}
    environment['parameter_defaults'].update(bulk_parameters(
        state.get('bulk')))
    files.write_private(lab.lab_environment, yaml.safe_dump(environment))
    if not os.path.exists(lab.passwords_environment):
        passwords = {'parameter_defaults': newton_passwords.generate()}
        files.write_private(lab.passwords_environment,
                            yaml.safe_dump(passwords))


def stackrc_text(lab, heat_port, node_settings=None):
    """The lab's stackrc; node_settings: the ANSIBLE_* settings of the
    THT packages lab's nodes (standins.node_settings)."""
    return '\n'.join([
        '# Undercloud credentials of the tripleo-ffu lab in %s.' % lab.root,
        '# Heat runs without Keystone: no token, only the endpoint.',
        'unset OS_CLOUD OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_TOKEN',
        'unset OS_PROJECT_NAME OS_PROJECT_ID OS_USER_DOMAIN_NAME',
        'unset OS_PROJECT_DOMAIN_NAME OS_IDENTITY_API_VERSION',
        'export OS_AUTH_TYPE=none',
        'export OS_ENDPOINT=%s' % shlex.quote(heat.endpoint(heat_port)),
        'export OS_CLOUDNAME=undercloud',
        'export TRIPLEO_FFU_LAB_DIR=%s' % shlex.quote(lab.root),
        '# The lab\'s stand-ins for what THT\'s tasks do to a node: on a lab',
        '# node they act on its tree, not on this machine.',
    ] + ['export %s=%s${%s:+:$%s}' % (name, shlex.quote(path), name, name)
         for name, path in sorted(standins.ansible_environment().items())]
        + ['export %s=%s' % (name, shlex.quote(str(value)))
           for name, value in sorted((node_settings or {}).items())]
        + [''])


def node_addresses(lab, state):
    """{host name: loopback address} of the lab's nodes ({} for the THT
    packages lab before its templates are there)."""
    if not _packages(state):
        return nodes.addresses(nodes.LAB_ROLES, state['counts'],
                               state['stack'])
    if not os.path.isfile(os.path.join(tht_packages.queens_templates(lab),
                                       tht_packages.ROLES_FILE)):
        return {}
    return tht_packages.node_addresses(lab, state)


def _node_addresses(lab, state):
    return sorted(node_addresses(lab, state).values())


def node_settings(lab, state):
    """The ANSIBLE_* settings the THT packages lab's stackrc adds ({} with
    the lab's own templates)."""
    if not _packages(state):
        return {}
    return standins.node_settings(tht_packages.addresses_file(lab),
                                  state['ports']['sshd'])


def _write_stackrc(lab, state):
    files.write_private(lab.stackrc, stackrc_text(
        lab, state['ports']['heat'], node_settings(lab, state)))


def start_services(lab, state):
    """Install what is missing and start every service; keep what runs."""
    with step('Checking the Debian packages and the Heat virtualenv'):
        install.ensure_debian_packages()
        install.ensure_heat_venv(lab)
    ports = _ports(lab, state)
    state.setdefault('db_password', secrets.token_hex(16))
    lab.save_state(state)
    with step('Starting MariaDB on 127.0.0.1:%d' % ports['mariadb']):
        mariadb.start(lab, ports['mariadb'])
        mariadb.create_database(lab, 'heat', 'heat', state['db_password'])
    with step('Starting heat-all on 127.0.0.1:%d' % ports['heat']):
        heat.start(lab, ports['heat'], ports['mariadb'], state['db_password'])
    with step('Starting sshd on 127.0.0.1:%d' % ports['sshd']):
        sshd.start(lab, ports['sshd'], _node_addresses(lab, state))
    _write_stackrc(lab, state)
    return overcloud.client(heat.endpoint(ports['heat']))


def build_templates(lab):
    """The lab's queens templates with THT's own deploy steps, in the lab
    dir (built again only when the lab's templates changed): THT's sdist
    comes from the cache (fetched the first time)."""
    with step('Checking %s (the lab\'s queens templates with %s)'
              % (lab.queens_templates, tht.NAME)):
        tht.ensure_templates(overcloud.templates_dir('queens'),
                             lab.queens_templates)


def _packages(state):
    return state.get('tht') in THT_SOURCES[1:]


def _deploy(lab, client, state):
    name = state['stack']
    if _packages(state):
        _deploy_packages(lab, client, state)
        return
    with step('Deploying the %s stack from the newton templates' % name):
        overcloud.create(client, lab, name, 'newton')
    _deploy_nodes(lab, client, name)


def _deploy_packages(lab, client, state):
    """The stack from THT newton itself; its deployments completed by the
    lab's heat agent. The lab's nodes are not brought from it: THT's stack
    says nothing of the lab's node trees."""
    name = state['stack']
    template, env_files = tht_packages.deploy_files(lab, state['tht'])
    with step('Deploying the %s stack from %s (THT %s)'
              % (name, tht_packages.newton_templates(lab),
                 tht_packages.NEWTON_VERSION)):
        overcloud.create_from(client, name, overcloud.files_fields(
            template, env_files), timeout=1800)
    _deploy_packages_nodes(lab, client, state)


def _deploy_packages_nodes(lab, client, state):
    with step('Bringing the lab nodes to their newton state'):
        outputs = overcloud.outputs(client, state['stack'])
        found = tht_packages.nodes(lab, state, outputs)
        for node in found:
            tht_nodes.deploy(node, 'newton')
        tht_packages.write_cluster(lab, found, outputs)
        tht_nodes.write_addresses(found, tht_packages.addresses_file(lab))


def _deploy_nodes(lab, client, name):
    with step('Bringing the lab nodes to their newton state'):
        for node in nodes.nodes_from_outputs(
                overcloud.outputs(client, name), lab.nodes_dir):
            nodes.deploy(node, 'newton')


def _prepare_packages(lab, state, client):
    """THT's trees, the lab's environments for them, the heat agent."""
    with step('Checking %s and %s (THT %s and %s)' % (
            tht_packages.newton_templates(lab),
            tht_packages.queens_templates(lab),
            tht_packages.NEWTON_VERSION, tht.VERSION)):
        tht_packages.ensure_templates(lab, state['tht'])
    tht_packages.write_environments(lab, state['counts'], state['stack'])
    with step('Listening for the nodes on their addresses'):
        sshd.start(lab, state['ports']['sshd'], _node_addresses(lab, state))
    _write_stackrc(lab, state)
    with step('Starting the lab\'s heat agent'):
        agent.start(lab, heat.endpoint(state['ports']['heat']))


def up(lab, counts=None, bulk=None, tht_source=None):
    """Counts and the THT source apply to a new stack; bulk services to
    the next update with the queens templates (prepare)."""
    with locked(lab), stopping_on_failure(lab, 'up'):
        state = lab.load_state()
        state.setdefault('stack', layout.STACK_NAME)
        if counts or 'counts' not in state:
            state['counts'] = counts or {'controllers': 3, 'computes': 2}
        if bulk is not None:
            state['bulk'] = bulk
        deployed_from = state.get('tht', 'lab')
        build_templates(lab)
        client = start_services(lab, state)
        _write_environments(lab, state)
        stack = overcloud.find(client, state['stack'])
        if tht_source and tht_source != deployed_from:
            if stack is not None:
                raise procs.LabError(
                    'stack %s was deployed from the %s templates: run '
                    '`tripleo-ffu-lab --lab-dir %s down`, remove the lab '
                    'dir, and `up --tht %s` again' % (
                        stack.stack_name, deployed_from, lab.root,
                        tht_source))
            state['tht'] = tht_source
        if _packages(state):
            _prepare_packages(lab, state, client)
        if stack is None:
            _deploy(lab, client, state)
        elif stack.stack_status.startswith('CREATE_') and not \
                stack.stack_status.endswith('_COMPLETE'):
            raise procs.LabError(
                'stack %s is %s: run `tripleo-ffu-lab reset` to redeploy it'
                % (stack.stack_name, stack.stack_status))
        elif not stack.stack_status.endswith('_COMPLETE'):
            # An update the FFU commands made and will make again: theirs
            # to recover, not the lab's.
            print('Stack %s is %s: left as it is.'
                  % (stack.stack_name, stack.stack_status))
        lab.save_state(state)


def reset(lab, nodes_only=False):
    """Back to a freshly deployed newton overcloud, services kept.

    With nodes_only, only the node trees go back to newton: the stack
    stays as it is (prepared, say), so that a run can start again.
    """
    with locked(lab), stopping_on_failure(lab, 'reset'):
        state = lab.load_state()
        state.setdefault('stack', layout.STACK_NAME)
        state.setdefault('counts', {'controllers': 3, 'computes': 2})
        client = start_services(lab, state)
        if nodes_only:
            if overcloud.find(client, state['stack']) is None:
                raise procs.LabError('there is no %s stack to take the nodes '
                                     'from: run `tripleo-ffu-lab up`'
                                     % state['stack'])
            if _packages(state):
                _deploy_packages_nodes(lab, client, state)
            else:
                _deploy_nodes(lab, client, state['stack'])
            return
        build_templates(lab)
        _write_environments(lab, state)
        if _packages(state):
            _prepare_packages(lab, state, client)
        with step('Deleting the %s stack' % state['stack']):
            overcloud.delete(client, state['stack'])
        _deploy(lab, client, state)
        lab.save_state(state)


NODE_ACTIONS = ('stop', 'start')


def node(lab, action, hostname):
    """Stop or start the SSH of one node (its sshd instance): stopped, its
    address refuses connections and its open sessions end, as a node
    lost; the other nodes answer as before."""
    with locked(lab):
        state = lab.load_state()
        if 'ports' not in state:
            raise procs.LabError('the lab in %s was never up: run '
                                 '`tripleo-ffu-lab up`' % lab.root)
        state.setdefault('stack', layout.STACK_NAME)
        state.setdefault('counts', {'controllers': 3, 'computes': 2})
        found = node_addresses(lab, state)
        if hostname not in found:
            raise procs.LabError('no lab node is named %r; the nodes: %s' % (
                hostname, ', '.join(sorted(found)) or 'none'))
        address = found[hostname]
        if action == 'stop':
            return sshd.stop_one(lab, address)
        return sshd.start_one(lab, state['ports']['sshd'], address)


def down(lab):
    """Stop every lab process; the lab dir stays for inspection."""
    stopped = []
    with locked(lab):
        for name, stop in STOPS:
            if stop(lab):
                stopped.append(name)
    return stopped


def status(lab):
    """A dict of what runs where, the stack, and each node's state."""
    state = lab.load_state()
    ports = state.get('ports', {})
    report = {
        'lab_dir': lab.root,
        'heat_version': install.heat_version(lab),
        'processes': [],
        'stack': None,
        'nodes': [],
        'stackrc': lab.stackrc,
        'tht': state.get('tht', 'lab'),
        'templates': {'newton': overcloud.templates_dir('newton'),
                      'queens': lab.queens_templates},
        'ssh_user': getpass.getuser(),
        'ssh_key': lab.ssh_key,
        'known_hosts': sshd.known_hosts(lab),
    }
    if _packages(state):
        report['templates'] = {
            'newton': tht_packages.newton_templates(lab),
            'queens': tht_packages.queens_templates(lab)}
        report['upgrade_arguments'] = tht_packages.upgrade_arguments(
            lab, state['tht'])
    for name, service in ((mariadb.NAME, 'mariadb'), (heat.NAME, 'heat'),
                          (sshd.NAME, 'sshd')):
        report['processes'].append({'name': name, 'port': ports.get(service),
                                    'pid': procs.running_pid(lab, name)})
    if 'counts' in state:
        for address in _node_addresses(lab, state):
            name = sshd.instance(address)
            report['processes'].append({
                'name': name, 'port': ports.get('sshd'), 'address': address,
                'pid': procs.running_pid(lab, name)})
    if _packages(state):
        report['processes'].append({'name': agent.NAME, 'port': None,
                                    'pid': procs.running_pid(lab,
                                                             agent.NAME)})
    if not (ports.get('heat') and heat.api_ready(ports['heat'])):
        return report
    client = overcloud.client(heat.endpoint(ports['heat']))
    stack = overcloud.find(client, state.get('stack', layout.STACK_NAME))
    if stack is None:
        return report
    report['stack'] = {'name': stack.stack_name, 'id': stack.id,
                       'status': stack.stack_status,
                       'endpoint': heat.endpoint(ports['heat'])}
    if stack.stack_status.endswith('_IN_PROGRESS'):
        return report
    if _packages(state):
        report['nodes'] = _packages_nodes(lab, state, client, stack.id)
        report['overcloud_left'] = tht_packages.overcloud_left(lab, next(
            (node['hostname'] for node in report['nodes']
             if node['bootstrap'] and node['role'] == 'Controller'), None))
        return report
    for node in nodes.nodes_from_outputs(
            overcloud.outputs(client, stack.id), lab.nodes_dir):
        node_state = nodes.read_state(node)
        report['nodes'].append({
            'hostname': node.hostname, 'role': node.role,
            'address': node.address, 'ssh': _answering(lab, node.address),
            'bootstrap': node.bootstrap, 'root': node.root,
            'release': nodes.release_of(node),
            'services': node_state['services'],
            'databases': node_state['databases'],
        })
    return report


def _answering(lab, address):
    """'running' when the node's sshd instance runs, else 'stopped'."""
    return 'running' if procs.running_pid(lab, sshd.instance(address)) \
        else 'stopped'


def _packages_nodes(lab, state, client, stack_id):
    """The THT packages lab's nodes, each with what still differs from
    an upgraded queens node (upgrade_left)."""
    outputs = overcloud.outputs(client, stack_id)
    role_data = outputs.get('RoleData') or {}
    report = []
    for node in tht_packages.nodes(lab, state, outputs):
        node_state = tht_nodes.read_state(node)
        report.append({
            'hostname': node.hostname, 'role': node.role,
            'address': node.address, 'ssh': _answering(lab, node.address),
            'bootstrap': node.bootstrap,
            'root': node.root, 'release': tht_nodes.release_of(node_state),
            'services': node_state['services'],
            'containers': node_state['containers'],
            'databases': node_state['databases'],
            'upgrade_left': tht_nodes.problems(
                node_state, tht_nodes.role_containers(role_data, node.role)),
        })
    return report
