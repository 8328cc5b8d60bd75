"""The upgrade node by node, and the runs limited to some nodes."""

import os

import pytest
import yaml

from tripleo_ffu.workflow import batch
from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import plan_file
from tripleo_ffu.workflow import run_state

CONTROLLERS = ['overcloud-controller-0', 'overcloud-controller-1']
COMPUTES = ['overcloud-novacompute-0', 'overcloud-novacompute-1']
INVENTORY = {
    'undercloud': {'hosts': {'undercloud': {}}},
    'Controller': {'hosts': dict.fromkeys(CONTROLLERS, {})},
    'Compute': {'hosts': dict.fromkeys(COMPUTES, {})},
    'CephStorage': {'hosts': {'overcloud-cephstorage-0': {}}},
    'overcloud': {'children': {'Controller': {}, 'Compute': {},
                               'CephStorage': {}}},
}
EVERY = CONTROLLERS + COMPUTES + ['overcloud-cephstorage-0']
# (id, hosts) as the plan holds them: an undercloud play and one for the
# primary role in the deploy phase, as THT's deploy_steps_playbook.
PLAYS = [('ffu', 'overcloud', 'ffu'), ('ffu-ocata-0', 'overcloud', 'ffu'),
         ('ffu-end', 'overcloud', 'ffu'),
         ('upgrade-0', 'overcloud', 'upgrade'),
         ('upgrade-1', 'overcloud', 'upgrade'),
         ('deploy.3', 'all', 'deploy'),
         ('deploy.8', 'undercloud', 'deploy'),
         ('deploy.9', 'Controller:overcloud', 'deploy'),
         ('post-upgrade-0', 'overcloud', 'post-upgrade')]
FFU = ['ffu', 'ffu-ocata-0', 'ffu-end']
TARGET = ['upgrade-0', 'upgrade-1', 'deploy.3', 'deploy.9',
          'post-upgrade-0']
SERVICES = {'Controller': ['keystone', 'mysql', 'rabbitmq'],
            'Compute': ['nova_compute', 'neutron_ovs_agent'],
            'CephStorage': ['ceph_osd']}


@pytest.fixture
def config_dir(tmp_path):
    path = str(tmp_path / 'cfg')
    for role, services in SERVICES.items():
        os.makedirs(os.path.join(path, role))
        with open(os.path.join(path, role, batch.SERVICE_NAMES), 'w') as out:
            yaml.safe_dump(services, out)
    return path


def _upgrade(config_dir):
    playbook = [{'hosts': hosts, 'vars': {plan_file.PLAY_VAR: play_id,
                                          plan_file.PHASE_VAR: phase}}
                for play_id, hosts, phase in PLAYS]
    return batch.Upgrade.load(config_dir, 'overcloud', playbook, INVENTORY)


def _through(config_dir, play_ids, hosts):
    """A run took hosts through play_ids."""
    upgrade = _upgrade(config_dir)
    nodes = run_state.Nodes.load(config_dir)
    for play_id in play_ids:
        nodes.mark(play_id, upgrade.targets(play_id) & set(hosts))


def _ffu_done(config_dir):
    _through(config_dir, FFU, EVERY)


def _plan(config_dir, option, pattern, phases=batch.TARGET_PHASES,
          force=False):
    return batch.plan(_upgrade(config_dir), option, pattern, phases, force)


# What the nodes went through

def test_a_node_left_with_the_phases(config_dir):
    upgrade = _upgrade(config_dir)
    assert upgrade.missing() == {host: list(batch.PHASES) for host in EVERY}
    _ffu_done(config_dir)
    _through(config_dir, TARGET, CONTROLLERS)
    upgrade = _upgrade(config_dir)
    assert upgrade.missing() == {
        host: ['upgrade', 'deploy', 'post-upgrade']
        for host in COMPUTES + ['overcloud-cephstorage-0']}
    # deploy.9 runs on the primary role only: a compute through the other
    # deploy plays is through deploy.
    _through(config_dir, TARGET, COMPUTES[:1])
    assert COMPUTES[0] not in _upgrade(config_dir).missing()


def test_undercloud_plays_are_left_by_limited_runs(config_dir):
    _ffu_done(config_dir)
    _through(config_dir, TARGET, EVERY)
    upgrade = _upgrade(config_dir)
    assert upgrade.missing() == {}
    assert upgrade.undercloud_left() == ['deploy.3', 'deploy.8']
    assert not upgrade.play_done('deploy.8')
    assert upgrade.play_done('upgrade-0')


def test_kinds_of_roles(config_dir):
    upgrade = _upgrade(config_dir)
    assert [upgrade.kind(role) for role in ('Controller', 'Compute',
                                            'CephStorage')] == [
        'control plane', 'compute', None]
    assert upgrade.role_of(COMPUTES[1]) == 'Compute'
    assert upgrade.role_of('undercloud') == 'undercloud'


def test_kinds_of_roles_without_service_names(tmp_path):
    upgrade = _upgrade(str(tmp_path))
    assert [upgrade.kind(role) for role in ('Controller', 'Compute',
                                            'CephStorage')] == [
        'control plane', 'compute', None]


# --roles, --nodes, --limit

@pytest.mark.parametrize('given, expected', [
    ({'roles': 'Controller'}, ('--roles', 'Controller')),
    ({'nodes': 'n-0, n-1'}, ('--nodes', 'n-0,n-1')),
    ({'limit': 'Compute:!n-1'}, ('--limit', 'Compute,!n-1')),
    ({}, (None, None)),
])
def test_limit_of(given, expected):
    assert batch.limit_of(**given) == expected


def test_limit_of_refuses_two_and_empty():
    with pytest.raises(errors.WorkflowError, match='--roles and --limit: '
                                                   'give one'):
        batch.limit_of(roles='Compute', limit='x')
    with pytest.raises(errors.WorkflowError, match='--nodes is empty'):
        batch.limit_of(nodes=' ,')


def test_the_control_plane_first(config_dir):
    _ffu_done(config_dir)
    chosen = _plan(config_dir, '--roles', 'Controller')
    assert (chosen.limit, chosen.hosts, chosen.skipped) == (
        'Controller', CONTROLLERS, [])


def test_computes_before_the_control_plane_are_refused(config_dir):
    _ffu_done(config_dir)
    with pytest.raises(errors.WorkflowError) as exc:
        _plan(config_dir, '--nodes', COMPUTES[0])
    assert str(exc.value) == (
        'the control plane goes first: overcloud-novacompute-0 (Compute) '
        'would go through upgrade, deploy, post-upgrade before '
        'overcloud-controller-0: upgrade, deploy, post-upgrade left; '
        'overcloud-controller-1: upgrade, deploy, post-upgrade left. Computes '
        'at the target release need its control plane (API, database, '
        'messaging); upgrade it first (`openstack overcloud ffwd-upgrade '
        'run --roles Controller`), or give --force')


def test_force_lets_computes_go_first(config_dir):
    _ffu_done(config_dir)
    chosen = _plan(config_dir, '--nodes', COMPUTES[0], force=True)
    assert chosen.hosts == COMPUTES[:1]
    assert chosen.notes[0].startswith('With --force, before the control '
                                      'plane (overcloud-controller-0: ')


def test_control_plane_and_computes_together(config_dir):
    """upstream's bulk upgrade: `--roles all`."""
    _ffu_done(config_dir)
    chosen = _plan(config_dir, '--roles', 'all')
    assert chosen.hosts == sorted(EVERY + ['undercloud'])


def test_storage_may_go_before_the_control_plane(config_dir):
    _ffu_done(config_dir)
    assert _plan(config_dir, '--roles', 'CephStorage').hosts == [
        'overcloud-cephstorage-0']


def test_computes_after_the_control_plane_phase_by_phase(config_dir):
    _ffu_done(config_dir)
    _through(config_dir, ['upgrade-0', 'upgrade-1'], CONTROLLERS)
    chosen = _plan(config_dir, '--roles', 'Compute', phases=('upgrade',))
    assert chosen.hosts == COMPUTES
    with pytest.raises(errors.WorkflowError, match='control plane goes '
                                                   'first'):
        _plan(config_dir, '--roles', 'Compute')


def test_nodes_already_through_are_left_out(config_dir):
    _ffu_done(config_dir)
    _through(config_dir, TARGET, CONTROLLERS + COMPUTES[:1])
    chosen = _plan(config_dir, '--roles', 'Compute')
    assert (chosen.limit, chosen.hosts, chosen.skipped) == (
        COMPUTES[1], COMPUTES[1:], COMPUTES[:1])
    assert chosen.notes == ['Already through upgrade, deploy, post-upgrade, '
                            'left out: overcloud-novacompute-0']


def test_nothing_to_do(config_dir):
    _ffu_done(config_dir)
    _through(config_dir, TARGET, CONTROLLERS)
    chosen = _plan(config_dir, '--roles', 'Controller')
    assert (chosen.limit, chosen.hosts) == (None, [])


def test_the_fast_forward_phase_first_on_every_node(config_dir):
    _through(config_dir, FFU, CONTROLLERS)
    with pytest.raises(errors.WorkflowError) as exc:
        _plan(config_dir, '--roles', 'Controller')
    assert str(exc.value).startswith(
        'the fast-forward phase is not complete on every node '
        '(overcloud-cephstorage-0: ffu left; overcloud-novacompute-0: ffu '
        'left; overcloud-novacompute-1: ffu left): run `openstack overcloud '
        'ffwd-upgrade run` first')


def test_the_fast_forward_phase_is_never_limited(config_dir):
    with pytest.raises(errors.WorkflowError, match='--roles with --phase '
                                                   'ffu: the fast-forward'):
        _plan(config_dir, '--roles', 'Controller', phases=('ffu', 'upgrade'))


def test_phases_in_order_on_each_node(config_dir):
    _ffu_done(config_dir)
    with pytest.raises(errors.WorkflowError) as exc:
        _plan(config_dir, '--roles', 'Controller', phases=('deploy',))
    assert str(exc.value) == (
        'the phases go in order on each node: overcloud-controller-0 has not '
        'been through upgrade, which comes before deploy; add --phase '
        'upgrade (or run it first)')


@pytest.mark.parametrize('option, pattern, message', [
    ('--roles', 'Controler', '--roles Controler: no such role in the '
                             'inventory (roles: CephStorage, Compute, '
                             'Controller)'),
    ('--nodes', 'compute-9', '--nodes compute-9: no such node in the '
                             'inventory (nodes: overcloud-cephstorage-0, '),
    ('--limit', 'nothing*', '--limit nothing*: no such node'),
])
def test_unknown_roles_and_nodes(config_dir, option, pattern, message):
    _ffu_done(config_dir)
    with pytest.raises(errors.WorkflowError) as exc:
        _plan(config_dir, option, pattern)
    assert str(exc.value).startswith(message)


def test_the_undercloud_alone(config_dir):
    """`--limit undercloud` runs the undercloud's plays."""
    _ffu_done(config_dir)
    chosen = _plan(config_dir, '--limit', 'undercloud')
    assert chosen.hosts == ['undercloud']


# What comes next, and the whole upgrade in one run

def test_next_after_the_fast_forward_phase_the_control_plane(config_dir):
    """The control plane's roles, then the others a role or a batch at a
    time (a storage role is neither control plane nor compute)."""
    _ffu_done(config_dir)
    upgrade = _upgrade(config_dir)
    assert batch.next_runs(upgrade, upgrade.missing()) == [
        'openstack overcloud ffwd-upgrade run --roles Controller (the '
        'control plane first)',
        'the other nodes, a role or a batch of nodes at a time (move the '
        'workloads off each batch first): openstack overcloud ffwd-upgrade '
        'run --roles CephStorage,Compute']


def test_next_while_the_fast_forward_phase_is_left(config_dir):
    _through(config_dir, FFU, CONTROLLERS)
    upgrade = _upgrade(config_dir)
    assert batch.next_runs(upgrade, upgrade.missing()) == [
        'openstack overcloud ffwd-upgrade run (the fast-forward phase on '
        'every node)']


def test_next_the_nodes_left_of_a_role(config_dir):
    _ffu_done(config_dir)
    _through(config_dir, TARGET, CONTROLLERS + COMPUTES[:1])
    upgrade = _upgrade(config_dir)
    assert batch.next_runs(upgrade, upgrade.missing()) == [
        'openstack overcloud ffwd-upgrade run --roles CephStorage, then '
        '--nodes overcloud-novacompute-1 (the nodes left)']
    assert batch.next_runs(upgrade, {}) == []


def _files(config_dir):
    playbook = [{'hosts': hosts, 'vars': {plan_file.PLAY_VAR: play_id,
                                          plan_file.PHASE_VAR: phase}}
                for play_id, hosts, phase in PLAYS]
    plan_file.write(config_dir, playbook)
    path = os.path.join(config_dir, 'inventory.yaml')
    with open(path, 'w') as out:
        yaml.safe_dump(INVENTORY, out)
    return path


def test_whole_every_phase_on_every_node_from_the_start(config_dir):
    assert batch.whole(config_dir, 'overcloud', _files(config_dir)) == (
        batch.PHASES, None)


def test_whole_the_target_release_after_the_fast_forward_phase(config_dir):
    """Upstream's bulk mode: `upgrade run --roles all` after the
    fast-forward phase; the nodes through it are left out by plan()."""
    inventory = _files(config_dir)
    _ffu_done(config_dir)
    assert batch.whole(config_dir, 'overcloud', inventory) == (
        batch.TARGET_PHASES, 'all')


def test_whole_before_prepare_is_every_phase(tmp_path):
    """The run then says what is missing."""
    assert batch.whole(str(tmp_path), 'overcloud',
                       str(tmp_path / 'none.yaml')) == (batch.PHASES, None)


@pytest.mark.parametrize('text', ['- a list\n', '[\n', 'x: 1\n'])
def test_whole_with_a_damaged_inventory_or_plan(config_dir, text):
    """A damaged inventory (or plan, or none): every phase; the run then
    says what is wrong with it."""
    path = _files(config_dir)
    with open(path, 'w') as out:
        out.write(text)
    if text == 'x: 1\n':
        os.unlink(os.path.join(config_dir, plan_file.PLAN_FILE))
    assert batch.whole(config_dir, 'overcloud', path) == (batch.PHASES, None)
