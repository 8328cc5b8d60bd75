"""Lab nodes: read from the stack outputs, deployed, read back."""

import os

import pytest

from tripleo_ffu_lab import nodes
from tripleo_ffu.workflow import errors
from tests.unit import lab_fakes


@pytest.fixture
def nodes_dir(tmp_path):
    path = tmp_path / 'nodes'
    path.mkdir()
    return str(path)


def test_nodes_come_from_the_outputs(nodes_dir):
    found = nodes.nodes_from_outputs(lab_fakes.outputs(nodes_dir), nodes_dir)
    assert [(n.role, n.hostname, n.bootstrap) for n in found] == [
        ('Compute', 'overcloud-novacompute-0', False),
        ('Controller', 'overcloud-controller-0', True),
        ('Controller', 'overcloud-controller-1', False)]
    controller = found[1]
    assert controller.packages == ['openstack-keystone', 'os-net-config']
    assert controller.running_services == ['keystone']
    assert controller.databases == ['keystone']
    assert found[2].databases == []


@pytest.mark.parametrize('hostname', ['..', 'a/b', '-rf', ''])
def test_host_names_that_are_not_plain_are_refused(nodes_dir, hostname):
    outputs = lab_fakes.outputs(nodes_dir)
    outputs['RoleNetHostnameMap']['Compute']['ctlplane'] = [hostname]
    with pytest.raises(errors.WorkflowError, match='not a plain name'):
        nodes.nodes_from_outputs(outputs, nodes_dir)


def test_node_root_outside_the_nodes_dir_is_refused(nodes_dir):
    outputs = lab_fakes.outputs(nodes_dir)
    outputs['AnsibleHostVarsMap']['Compute']['overcloud-novacompute-0'][
        'lab_node_root'] = '/etc'
    with pytest.raises(nodes.NodeError, match='outside the lab nodes dir'):
        nodes.nodes_from_outputs(outputs, nodes_dir)


def test_deploy_writes_a_release_and_read_state_reads_it(nodes_dir):
    controller = nodes.nodes_from_outputs(lab_fakes.outputs(nodes_dir),
                                          nodes_dir)[1]
    nodes.deploy(controller, 'newton')
    assert nodes.read_state(controller) == {
        'repositories': 'newton',
        'packages': {'openstack-keystone': 'newton',
                     'os-net-config': 'newton'},
        'services': {'keystone': 'running'},
        'databases': {'keystone': 'newton'},
    }
    assert nodes.release_of(controller) == 'newton'
    assert nodes.problems(controller, 'newton') == []
    assert os.path.isfile(os.path.join(
        controller.root, 'etc/os-net-config/config.json'))


def test_problems_name_what_is_behind(nodes_dir):
    controller = nodes.nodes_from_outputs(lab_fakes.outputs(nodes_dir),
                                          nodes_dir)[1]
    nodes.deploy(controller, 'newton')
    with open(os.path.join(controller.root,
                           'var/lib/rpm/openstack-keystone'), 'w') as pkg:
        pkg.write('queens\n')
    with open(os.path.join(controller.root, 'run/services/keystone'),
              'w') as service:
        service.write('stopped\n')
    assert nodes.release_of(controller) == 'mixed'
    assert nodes.problems(controller, 'newton') == [
        'openstack-keystone at queens', 'keystone stopped']


def test_deploy_starts_from_a_clean_tree(nodes_dir):
    compute = nodes.nodes_from_outputs(lab_fakes.outputs(nodes_dir),
                                       nodes_dir)[0]
    os.makedirs(compute.root)
    leftover = os.path.join(compute.root, 'leftover')
    open(leftover, 'w').close()
    nodes.deploy(compute, 'newton')
    assert not os.path.exists(leftover)
