"""Host patterns, resolved over the inventory as Ansible resolves them."""

import os

import pytest
import yaml

from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import hosts

# The shape tripleo-common's TripleoInventory writes, with an undercloud.
INVENTORY = {
    'Undercloud': {'hosts': {'undercloud': {}}},
    'undercloud': {'children': {'Undercloud': {}}},
    'Controller': {'hosts': {'overcloud-controller-0': {},
                             'overcloud-controller-1': {}}},
    'Compute': {'hosts': {'overcloud-novacompute-0': {},
                          'overcloud-novacompute-1': {}}},
    'overcloud': {'children': {'Controller': {}, 'Compute': {}}},
    'allovercloud': {'children': {'overcloud': {}}},
    'nova_compute': {'children': {'Compute': {}}},
    'keystone': {'children': {'Controller': {}}},
    'excluded_overcloud': {'hosts': {}},
}
PATTERNS = [
    'overcloud', 'all', '*', 'undercloud', 'Controller:overcloud',
    'Compute', 'nova_compute', 'keystone', 'allovercloud',
    'overcloud-novacompute-0', 'overcloud-novacompute-0,Controller',
    'overcloud-novacompute-0, overcloud-novacompute-1',
    'Controller:Compute', 'overcloud:!Compute', 'overcloud:&Compute',
    '!Compute', '&Compute', '*compute*', 'overcloud-controller-?',
    '~overcloud-nova.*', 'nope', 'nope,Compute', 'all:!undercloud',
    'excluded_overcloud',
]


@pytest.mark.parametrize('pattern', PATTERNS)
def test_resolve_as_ansible_does(tmp_path, pattern):
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    path = str(tmp_path / 'inventory.yaml')
    with open(path, 'w') as out:
        yaml.safe_dump(INVENTORY, out)
    expected = {host.name for host in InventoryManager(
        loader=DataLoader(), sources=[path]).get_hosts(pattern)}
    assert hosts.resolve(INVENTORY, pattern) == expected


def test_groups_include_children_and_all():
    by_group = hosts.groups(INVENTORY)
    assert by_group['overcloud'] == by_group['allovercloud'] == {
        'overcloud-controller-0', 'overcloud-controller-1',
        'overcloud-novacompute-0', 'overcloud-novacompute-1'}
    assert by_group['all'] == by_group['overcloud'] | {'undercloud'}
    assert by_group['excluded_overcloud'] == set()


def test_groups_survive_a_cycle():
    cycle = {'a': {'children': {'b': {}}, 'hosts': {'x': {}}},
             'b': {'children': {'a': {}}, 'hosts': {'y': {}}}}
    assert hosts.groups(cycle)['a'] == {'x', 'y'}


@pytest.mark.parametrize('pattern, terms', [
    ('a,b', ['a', 'b']), ('a:b', ['a', 'b']), (' a , b ', ['a', 'b']),
    ('a:!b:&c', ['a', '!b', '&c']), (['a:b', 'c'], ['a', 'b', 'c']),
    ('', []), (',', []),
])
def test_split(pattern, terms):
    assert hosts.split(pattern) == terms


def test_subscripts_are_refused():
    with pytest.raises(errors.WorkflowError, match='subscripts'):
        hosts.resolve(INVENTORY, 'Compute[0:1]')


def test_ansible_is_at_hand():
    """The comparison above runs against the Ansible that runs the plays."""
    import ansible
    assert os.path.isdir(os.path.dirname(ansible.__file__))
