"""The inventory built from the stack outputs."""

import os

from unittest import mock

import pytest
import yaml

from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import host_keys
from tripleo_ffu.workflow import inventory
from tests.unit import fakes


def test_inventory_has_roles_hosts_and_host_vars():
    host_vars = {'Controller': {'overcloud-controller-0': {
        'ansible_port': 2222, 'ansible_python_interpreter': 'python2'}}}
    built = inventory.build(fakes.Heat(fakes.outputs(host_vars=host_vars)),
                            'overcloud', 'stack', '/keys/id')
    assert inventory.hosts(built, 'overcloud') == [
        'overcloud-novacompute-0', 'overcloud-controller-0',
        'overcloud-controller-1']
    host = built['Controller']['hosts']['overcloud-controller-0']
    assert host['ansible_host'] == '192.168.24.10'
    assert host['ansible_port'] == 2222
    assert host['ansible_python_interpreter'] == 'python2'
    assert 'ansible_port' not in (
        built['Controller']['hosts']['overcloud-controller-1'])
    assert host['deploy_server_id'] == 'Controller-id-0'
    assert built['Controller']['vars']['bootstrap_server_id'] == (
        'Controller-id-0')
    assert built['Controller']['vars']['ansible_ssh_user'] == 'stack'
    assert built['overcloud']['vars']['ansible_ssh_private_key_file'] == (
        '/keys/id')
    assert 'Undercloud' not in built


@pytest.mark.parametrize('hostname', ['../etc', 'a;reboot', 'a b', '$(x)'])
def test_host_names_with_tricks_are_refused(hostname):
    outputs = fakes.outputs(roles={'Controller': [hostname]})
    with pytest.raises(inventory.InventoryError, match='not a plain name'):
        inventory.build(fakes.Heat(outputs), 'overcloud', 'stack')


def test_role_names_with_tricks_are_refused():
    outputs = fakes.outputs()
    outputs['RoleNetHostnameMap']['../Evil'] = {'ctlplane': []}
    with pytest.raises(inventory.InventoryError, match='role name'):
        inventory.build(fakes.Heat(outputs), 'overcloud', 'stack')


def test_written_inventory_is_private_yaml(tmp_path):
    built = inventory.build(fakes.Heat(fakes.outputs()), 'overcloud',
                            'stack')
    path = str(tmp_path / 'inventory.yaml')
    inventory.write(built, path)
    assert oct(os.stat(path).st_mode & 0o777) == '0o600'
    with open(path) as written:
        assert yaml.safe_load(written) == built


ECDSA = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY='
# THT newton's known_hosts_entry of a node, and queens' (bracketed names).
NEWTON = ('192.168.24.10,overcloud-controller-0.localdomain,'
          'overcloud-controller-0 %s root@c0\n' % ECDSA)
QUEENS = ('[192.168.24.20]*,[overcloud-novacompute-0.localdomain]*,'
          '[overcloud-novacompute-0]* %s\n' % ECDSA)


def _built(tmp_path, text):
    path = str(tmp_path / host_keys.KNOWN_HOSTS_FILE)
    return path, inventory.build(fakes.Heat(fakes.outputs()),
                                 'overcloud', 'stack', known_hosts_path=path,
                                 stack_host_keys=text)


def test_each_node_is_checked_against_its_own_key_from_the_stack(tmp_path):
    path, built = _built(tmp_path, '# keys\n' + NEWTON + QUEENS)
    assert built['overcloud']['vars']['ansible_host_key_checking'] is True
    host = built['Controller']['hosts']['overcloud-controller-0']
    assert host['ansible_ssh_common_args'] == (
        '-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes '
        '-o HostKeyAlias=overcloud-controller-0' % path)
    with open(path) as written:
        assert written.read() == (
            'overcloud-controller-0 %s\novercloud-novacompute-0 %s\n'
            % (ECDSA, ECDSA))
    assert oct(os.stat(path).st_mode & 0o777) == '0o600'
    # The stack gives no key for overcloud-controller-1.
    assert host_keys.unchecked(built, 'overcloud') == [
        'overcloud-controller-1']
    hosts = inventory.hosts(built, 'overcloud')
    assert host_keys.describe(built, 'overcloud', hosts) == (
        "checked on 2 of 3 nodes against the stack's keys; NOT checked on "
        "overcloud-controller-1 (the stack gives no key for it)")
    with pytest.raises(errors.WorkflowError, match='overcloud-controller-1'):
        host_keys.refuse_unchecked(built, 'overcloud', False, '--accept')
    assert host_keys.refuse_unchecked(built, 'overcloud', True, '--x') == [
        'overcloud-controller-1']


@pytest.mark.parametrize('text', [None, '', '\n# nothing\n',
                                  '192.168.24.10,overcloud-controller-0 \n'])
def test_without_host_keys_from_the_stack_checking_is_off_and_said(
        tmp_path, text):
    path, built = _built(tmp_path, text)
    assert built['overcloud']['vars']['ansible_host_key_checking'] is False
    assert not os.path.exists(path)
    assert host_keys.unchecked(built, 'overcloud') == inventory.hosts(
        built, 'overcloud')
    assert host_keys.describe(built, 'overcloud', []).startswith(
        "NOT checked on any node: the stack gives no key (its roles' "
        "known_hosts_entry)")


def test_host_keys_that_are_not_known_hosts_keys_are_refused(tmp_path):
    with pytest.raises(errors.WorkflowError,
                       match='not a known_hosts key'):
        _built(tmp_path, 'host ssh-rsa AAAA$(reboot)\n')


def test_keys_are_read_from_each_roles_known_hosts_entry_and_kept(
        tmp_path):
    heat = mock.Mock()
    heat.resources.get.side_effect = lambda stack, role: mock.Mock(
        physical_resource_id=role + '-group')
    members = {'Controller-group': [mock.Mock(physical_resource_id='c0')],
               'Compute-group': [mock.Mock(physical_resource_id='n0'),
                                 mock.Mock(physical_resource_id='n1')]}
    for group in members.values():
        for index, member in enumerate(group):
            member.resource_name = str(index)
    heat.resources.list.side_effect = members.get
    entries = {'c0': NEWTON, 'n0': QUEENS, 'n1': None}
    heat.stacks.output_show.side_effect = lambda stack_id, key: {
        'output': {'output_key': key, 'output_value': entries[stack_id]}}
    text = host_keys.read(heat, mock.Mock(id='id'), ['Controller', 'Compute'])
    assert text == NEWTON.strip() + '\n' + QUEENS.strip()
    assert host_keys.remember(str(tmp_path), text) == text
    # After prepare's update the stack has no keys: the kept ones hold.
    assert host_keys.remember(str(tmp_path), '') == text + '\n'


def test_a_stack_with_another_name_still_has_an_overcloud_group():
    """Queens' playbooks run on `hosts: overcloud` whatever the stack's
    name: every node must be in that group."""
    built = inventory.build(fakes.Heat(fakes.outputs()), 'mycloud',
                            'stack')
    assert sorted(built['overcloud']['children']) == sorted(
        built['mycloud']['children']) == ['Compute', 'Controller']
    assert inventory.hosts(built, 'mycloud') == inventory.hosts(
        built, 'overcloud')


def test_the_undercloud_plays_run_locally_without_the_admin_password():
    built = inventory.build(fakes.Heat(fakes.outputs()), 'overcloud',
                            'stack')
    host = built['undercloud']['hosts']['undercloud']
    assert host['ansible_connection'] == 'local'
    assert 'vars' not in built['undercloud']
    assert 'undercloud' not in inventory.hosts(built, 'overcloud')
