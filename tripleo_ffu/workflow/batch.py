"""The upgrade node by node: what each node went through, and the runs
limited to some of them (--roles, --nodes, --limit).

As in the OSP 10 to 13 procedure, the fast-forward phase (the releases
before the target) runs on every node together (a run without
selection, as upstream's `ffwd-upgrade run`); then the target release's
phases (upgrade, deploy, post-upgrade) go per role or per batch of
nodes, the control plane before the computes. A limited run
is Ansible's --limit, as upstream's `openstack overcloud upgrade run
--roles/--nodes` was: a play for `all` runs on the limited nodes only, a
play for the undercloud does not run (no limited node is the
undercloud), a play for `Controller:overcloud` on the limited nodes it
names.
"""

import dataclasses
import os

import yaml

from tripleo_ffu.workflow import hosts as hosts_module
from tripleo_ffu.workflow import inventory as inventory_module
from tripleo_ffu.workflow import phases
from tripleo_ffu.workflow import plan as plan_module
from tripleo_ffu.workflow import plan_file
from tripleo_ffu.workflow import run_state
from tripleo_ffu.workflow import yamlfile
from tripleo_ffu.workflow.errors import WorkflowError

PHASES = phases.PHASES
TARGET_PHASES = phases.TARGET_PHASES
# A role is a compute role when it runs nova-compute, and a control plane
# role when it runs what the control plane is made of (its API, database
# and messaging); a role may be neither (storage, networker).
COMPUTE_SERVICES = ('nova_compute', 'nova_libvirt')
CONTROL_PLANE_SERVICES = ('keystone', 'mysql', 'rabbitmq', 'pacemaker',
                          'haproxy', 'nova_api', 'neutron_api')
SERVICE_NAMES = 'service_names.yaml'


def words(phases):
    return ', '.join(phases) if phases else 'nothing'


@dataclasses.dataclass
class Upgrade:
    """The plan's plays, the inventory's nodes and what each node went
    through (run_state.Nodes)."""
    stack: str
    plays: list            # [(play id, phase, hosts pattern)], plan order
    inventory: dict
    nodes: run_state.Nodes
    config_dir: str = None

    def __post_init__(self):
        self.by_group = hosts_module.groups(self.inventory)
        self._targets = {}

    @classmethod
    def load(cls, config_dir, stack, playbook, inventory):
        plays = [(plan_module.play_ids([play])[0],
                  plan_module.phase_of(play),
                  play.get('hosts', 'all')) for play in playbook]
        return cls(stack, plays, inventory, run_state.Nodes.load(config_dir),
                   config_dir)

    # The nodes

    def overcloud(self):
        """The overcloud's nodes (the stack's group)."""
        return self.by_group.get(self.stack, set())

    def roles(self):
        """{role: [its nodes]}: the stack group's children."""
        children = (self.inventory.get(self.stack) or {}).get('children') \
            or {}
        return {role: sorted(self.by_group.get(role, ()))
                for role in children}

    def role_of(self, host):
        for role, members in self.roles().items():
            if host in members:
                return role
        return 'undercloud' if host not in self.overcloud() else '?'

    def resolve(self, pattern):
        return hosts_module.resolve(self.inventory, pattern, self.by_group)

    # The plays

    def targets(self, play_id):
        """The hosts a play runs on, without limit."""
        if play_id not in self._targets:
            pattern = next(p for i, _, p in self.plays if i == play_id)
            self._targets[play_id] = self.resolve(pattern)
        return self._targets[play_id]

    def done_on(self, play_id):
        return self.nodes.hosts(play_id) or set()

    def play_done(self, play_id):
        """Completed on every host it runs on (a play matching no host is
        done once a run went through it)."""
        done = self.nodes.hosts(play_id)
        return done is not None and self.targets(play_id) <= done

    def ids(self, phases=None):
        return [play_id for play_id, phase, _ in self.plays
                if phases is None or phase in phases]

    def left_on(self, host, phases=PHASES):
        """The phases host has not been through (a phase is through when
        every play of it that runs on host completed there)."""
        return [phase for phase in phases if any(
            host in self.targets(play_id) and
            host not in self.done_on(play_id)
            for play_id in self.ids([phase]))]

    def missing(self, phases=PHASES, among=None):
        """{host: [phases left]} for the overcloud's nodes (or among)."""
        found = {}
        for host in sorted(self.overcloud() if among is None else among):
            left = self.left_on(host, phases)
            if left:
                found[host] = left
        return found

    def undercloud_left(self):
        """Plays for hosts outside the overcloud (the undercloud) not
        completed there: limited runs skip them, as upstream's did."""
        outside = set(self.by_group['all']) - self.overcloud()
        return [play_id for play_id in self.ids()
                if (self.targets(play_id) & outside) - self.done_on(play_id)]

    # The roles' kinds

    def services(self, role):
        path = os.path.join(self.config_dir or '', role, SERVICE_NAMES)
        try:
            with open(path) as source:
                names = yamlfile.load(source)
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            names = None
        return [str(name) for name in names] if isinstance(names,
                                                           list) else None

    def kind(self, role):
        """'control plane', 'compute' or None, from the role's services
        (its name when the config has no service_names)."""
        services = self.services(role)
        if services is None:
            return ('compute' if 'compute' in role.lower() else
                    'control plane' if 'controller' in role.lower()
                    else None)
        if any(name in CONTROL_PLANE_SERVICES for name in services):
            return 'control plane'
        if any(name in COMPUTE_SERVICES for name in services):
            return 'compute'
        return None

    def of_kind(self, kind):
        return {host: role for role, members in self.roles().items()
                if self.kind(role) == kind for host in members}


@dataclasses.dataclass
class Batch:
    limit: str             # for Ansible's --limit
    hosts: list            # the nodes the run takes
    skipped: list          # nodes of the limit already through its phases
    notes: list


def limit_of(roles=None, nodes=None, limit=None):
    """(option, pattern) of upstream's --roles, --nodes or --limit: a
    comma-separated list, spaces allowed, as upstream's help shows."""
    given = [(option, value) for option, value in (
        ('--roles', roles), ('--nodes', nodes), ('--limit', limit))
        if value is not None]
    if len(given) > 1:
        raise WorkflowError('%s: give one of --roles, --nodes and --limit, '
                            'as upstream' % ' and '.join(o for o, _ in given))
    if not given:
        return None, None
    option, value = given[0]
    terms = hosts_module.split(value)
    if not terms:
        raise WorkflowError('%s is empty: name roles or nodes' % option)
    return option, ','.join(terms)


def _check_names(upgrade, option, pattern):
    """--roles names roles and --nodes nodes of the inventory; a --limit
    matches at least one node."""
    roles = upgrade.roles()
    if option == '--roles':
        unknown = [term for term in hosts_module.split(pattern)
                   if term not in roles and term != 'all']
        what = 'roles: %s' % ', '.join(sorted(roles))
    elif option == '--nodes':
        unknown = [term for term in hosts_module.split(pattern)
                   if not upgrade.resolve(term) & upgrade.overcloud()]
        what = 'nodes: %s' % ', '.join(sorted(upgrade.overcloud()))
    else:
        unknown = [] if upgrade.resolve(pattern) else [pattern]
        what = 'roles: %s; nodes: %s' % (', '.join(sorted(roles)), ', '.join(
            sorted(upgrade.overcloud())))
    if unknown:
        raise WorkflowError('%s %s: no such %s in the inventory (%s)' % (
            option, ', '.join(unknown),
            'role' if option == '--roles' else 'node', what))


def plan(upgrade, option, pattern, phases, force=False):
    """The Batch a run limited by option's pattern takes for phases, or
    the one clear refusal."""
    _check_names(upgrade, option, pattern)
    if 'ffu' in phases:
        raise WorkflowError(
            '%s with --phase ffu: the fast-forward phase (the releases '
            'before the target) runs on every node together; run it without '
            '%s' % (option, option))
    ffu_left = upgrade.missing(['ffu'])
    if ffu_left:
        raise WorkflowError(
            'the fast-forward phase is not complete on every node (%s): '
            'run `openstack overcloud ffwd-upgrade run` first; '
            'the releases before the target go on every node together, then '
            'the target release per role or node' % _hosts(ffu_left))
    batch = upgrade.resolve(pattern)
    skipped = sorted(host for host in batch
                     if not upgrade.left_on(host, phases))
    taken = sorted(set(batch) - set(skipped))
    notes = []
    if skipped:
        notes.append('Already through %s, left out: %s'
                     % (words(phases), ', '.join(skipped)))
    if not taken:
        return Batch(None, [], skipped, notes)
    _check_order(upgrade, taken, phases)
    late = _control_plane_left(upgrade, taken, phases)
    if late and not force:
        raise WorkflowError(
            'the control plane goes first: %s would go through %s before '
            '%s. Computes at the target release need its control plane '
            '(API, database, messaging); upgrade it first (`openstack '
            'overcloud ffwd-upgrade run --roles %s`), or give --force'
            % (_computes(upgrade, taken), words(phases), _hosts(late),
               ','.join(sorted({upgrade.role_of(h) for h in late}))))
    if late:
        notes.append('With --force, before the control plane (%s)'
                     % _hosts(late))
    limit = ','.join(taken) if skipped else pattern
    return Batch(limit, taken, skipped, notes)


def _check_order(upgrade, taken, phases):
    """On each node the target phases go in order."""
    for host in taken:
        for index, phase in enumerate(TARGET_PHASES):
            if phase not in phases:
                continue
            before = [p for p in TARGET_PHASES[:index] if p not in phases]
            left = upgrade.left_on(host, before)
            if left:
                raise WorkflowError(
                    'the phases go in order on each node: %s has not been '
                    'through %s, which comes before %s; add --phase %s (or '
                    'run it first)' % (host, words(left), phase,
                                       ' --phase '.join(left)))


def _control_plane_left(upgrade, taken, phases):
    """{control plane node: phases left} when a compute node is taken
    before the control plane went through those phases."""
    computes = set(upgrade.of_kind('compute')) & set(taken)
    if not computes:
        return {}
    control = set(upgrade.of_kind('control plane')) - set(taken)
    return upgrade.missing(phases, among=control)


def _hosts(left):
    return '; '.join('%s: %s left' % (host, words(phases))
                     for host, phases in sorted(left.items()))


def _computes(upgrade, taken):
    computes = upgrade.of_kind('compute')
    return ', '.join('%s (%s)' % (host, computes[host])
                     for host in taken if host in computes)


def whole(config_dir, stack, inventory_path):
    """(phases, pattern) of a run taking every node through every phase
    it has left (--whole-upgrade, upstream's bulk --roles all): the whole
    upgrade on every node while the fast-forward phase is left on one
    (or nothing can be read yet: the run says what is missing), else the
    target release's phases on the nodes that have them left."""
    try:
        with open(inventory_path) as source:
            inventory = yamlfile.load(source)
        ffu_left = not isinstance(inventory, dict) or Upgrade.load(
            config_dir, stack, plan_file.load(config_dir),
            inventory).missing(['ffu'])
    except (OSError, yaml.YAMLError, UnicodeDecodeError, WorkflowError):
        ffu_left = True
    return (PHASES, None) if ffu_left else (TARGET_PHASES, 'all')


def next_runs(upgrade, left):
    """The runs that come next for the nodes left ({node: phases}), as
    lines: the fast-forward phase on every node; then the control plane's
    roles; then the computes, a role or a batch of nodes at a time."""
    if not left:
        return []
    run = 'openstack overcloud ffwd-upgrade run'
    if any('ffu' in phases for phases in left.values()):
        return ['%s (the fast-forward phase on every node)' % run]
    control = set(left) & set(upgrade.of_kind('control plane'))
    lines = ['%s %s (%s)' % (run, _selection(upgrade, control or set(left)),
                             'the control plane first' if control
                             else 'the nodes left')]
    rest = set(left) - control
    if control and rest:
        lines.append('the other nodes, a role or a batch of nodes at a '
                     'time (move the workloads off each batch first): %s %s'
                     % (run, _selection(upgrade, rest)))
    return lines


def _selection(upgrade, hosts):
    """--roles for the roles whose nodes are all in hosts, --nodes for
    the others."""
    whole = [role for role, members in sorted(upgrade.roles().items())
             if members and set(members) <= hosts]
    nodes = sorted(host for host in hosts
                   if upgrade.role_of(host) not in whole)
    return ', then '.join((['--roles %s' % ','.join(whole)] if whole else [])
                          + (['--nodes %s' % ','.join(nodes)] if nodes
                             else []))


def load(config_dir, stack, playbook, inventory_path):
    """The Upgrade of a prepared config dir."""
    with open(inventory_path) as source:
        inventory = yamlfile.load(source)
    inventory_module.check_name(stack, 'stack name', '--stack gives')
    return Upgrade.load(config_dir, stack, playbook, inventory or {})
