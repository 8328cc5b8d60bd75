"""The inventory built from the stack outputs."""

import os

import pytest
import yaml

from tripleo_ffu.workflow import inventory
from tests.unit import fakes


def test_inventory_has_roles_hosts_and_host_vars():
    built = inventory.build(fakes.Heat(fakes.outputs('/nodes')), 'overcloud',
                            'stack', '/keys/id')
    assert inventory.hosts(built, 'overcloud') == [
        'overcloud-novacompute-0', 'overcloud-controller-0',
        'overcloud-controller-1']
    host = built['Controller']['hosts']['overcloud-controller-0']
    assert host['ansible_host'] == '127.0.0.1'
    assert host['ansible_port'] == 2222
    assert host['lab_node_root'] == '/nodes/overcloud-controller-0'
    assert host['deploy_server_id'] == 'Controller-id-0'
    assert built['Controller']['vars']['bootstrap_server_id'] == (
        'Controller-id-0')
    assert built['Controller']['vars']['ansible_ssh_user'] == 'stack'
    assert built['overcloud']['vars']['ansible_ssh_private_key_file'] == (
        '/keys/id')
    assert 'Undercloud' not in built


@pytest.mark.parametrize('hostname', ['../etc', 'a;reboot', 'a b', '$(x)'])
def test_host_names_with_tricks_are_refused(hostname):
    outputs = fakes.outputs('/nodes', roles={'Controller': [hostname]})
    with pytest.raises(inventory.InventoryError, match='not a plain name'):
        inventory.build(fakes.Heat(outputs), 'overcloud', 'stack')


def test_role_names_with_tricks_are_refused():
    outputs = fakes.outputs('/nodes')
    outputs['RoleNetHostnameMap']['../Evil'] = {'ctlplane': []}
    with pytest.raises(inventory.InventoryError, match='role name'):
        inventory.build(fakes.Heat(outputs), 'overcloud', 'stack')


def test_written_inventory_is_private_yaml(tmp_path):
    built = inventory.build(fakes.Heat(fakes.outputs('/nodes')), 'overcloud',
                            'stack')
    path = str(tmp_path / 'inventory.yaml')
    inventory.write(built, path)
    assert oct(os.stat(path).st_mode & 0o777) == '0o600'
    with open(path) as written:
        assert yaml.safe_load(written) == built


KNOWN = '[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc\n'


def _with_known_hosts(text):
    outputs = fakes.outputs('/nodes')
    outputs[inventory.KNOWN_HOSTS_OUTPUT] = text
    return fakes.Heat(outputs)


def test_host_keys_from_the_stack_are_checked(tmp_path):
    path = str(tmp_path / inventory.KNOWN_HOSTS_FILE)
    built = inventory.build(_with_known_hosts('# keys\n' + KNOWN),
                            'overcloud', 'stack', known_hosts_path=path)
    group = built['overcloud']['vars']
    assert group['ansible_host_key_checking'] is True
    assert group['ansible_ssh_common_args'] == (
        '-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes' % path)
    with open(path) as written:
        assert written.read() == KNOWN
    assert oct(os.stat(path).st_mode & 0o777) == '0o600'
    assert inventory.host_key_checking(built, 'overcloud') == (
        "checked against the stack's SshKnownHosts (%s)" % path)


@pytest.mark.parametrize('text', [None, '', '\n# nothing\n'])
def test_without_host_keys_from_the_stack_checking_is_off_and_said(
        tmp_path, text):
    path = str(tmp_path / inventory.KNOWN_HOSTS_FILE)
    built = inventory.build(_with_known_hosts(text), 'overcloud', 'stack',
                            known_hosts_path=path)
    assert built['overcloud']['vars']['ansible_host_key_checking'] is False
    assert 'ansible_ssh_common_args' not in built['overcloud']['vars']
    assert not os.path.exists(path)
    assert inventory.host_key_checking(built, 'overcloud').startswith(
        'NOT checked: the stack gives no SshKnownHosts output')


def test_host_keys_that_are_not_known_hosts_lines_are_refused(tmp_path):
    with pytest.raises(inventory.InventoryError,
                       match='not a known_hosts entry'):
        inventory.build(_with_known_hosts('just-a-word\n'), 'overcloud',
                        'stack', known_hosts_path=str(tmp_path / 'k'))


def test_a_stack_with_another_name_still_has_an_overcloud_group():
    """Queens' playbooks run on `hosts: overcloud` whatever the stack's
    name: every node must be in that group."""
    built = inventory.build(fakes.Heat(fakes.outputs('/nodes')), 'mycloud',
                            'stack')
    assert sorted(built['overcloud']['children']) == sorted(
        built['mycloud']['children']) == ['Compute', 'Controller']
    assert inventory.hosts(built, 'mycloud') == inventory.hosts(
        built, 'overcloud')


def test_the_undercloud_plays_run_locally_without_the_admin_password():
    built = inventory.build(fakes.Heat(fakes.outputs('/nodes')), 'overcloud',
                            'stack')
    host = built['undercloud']['hosts']['undercloud']
    assert host['ansible_connection'] == 'local'
    assert 'vars' not in built['undercloud']
    assert 'undercloud' not in inventory.hosts(built, 'overcloud')
