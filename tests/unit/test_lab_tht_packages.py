"""The lab's overcloud from THT's packages: the newton tree rendered as
newton's tripleo-common rendered a plan, the lab's roles, the environment
files prepare and converge take, and the heat agent."""

import json
import os
from unittest import mock

import yaml

from tripleo_ffu_lab import agent
from tripleo_ffu_lab import layout
from tripleo_ffu_lab import tht_packages

ROLES_DATA = [
    {'name': 'Controller', 'CountDefault': 1,
     'ServicesDefault': ['OS::TripleO::Services::Sahara']},
    {'name': 'Compute', 'CountDefault': 1,
     'HostnameFormatDefault': '%stackname%-novacompute-%index%',
     'ServicesDefault': ['OS::TripleO::Services::NovaCompute']},
    {'name': 'CephStorage', 'ServicesDefault': []},
]


def _newton_tree(root):
    tree = root / 'tht'
    (tree / 'puppet').mkdir(parents=True)
    (tree / 'roles_data.yaml').write_text(yaml.safe_dump(ROLES_DATA))
    (tree / 'j2_excludes.yaml').write_text(yaml.safe_dump(
        {'name': ['puppet/controller-role.yaml']}))
    (tree / 'overcloud.j2.yaml').write_text(
        'roles: [{% for role in roles %}{{role.name}}, {% endfor %}]\n')
    (tree / 'puppet' / 'role.role.j2.yaml').write_text('role: {{role}}\n')
    (tree / 'puppet' / 'controller-role.yaml').write_text('static: true\n')
    (tree / 'puppet' / 'config.role.j2.yaml').write_text(
        'manifest: {{role.lower()}}\n')
    return tree


def test_the_lab_roles_are_thts_entries_with_the_lab_services(tmp_path):
    tree = _newton_tree(tmp_path)
    roles = tht_packages.lab_roles(str(tree))
    assert [role['name'] for role in roles] == ['Controller', 'Compute']
    assert roles[1]['HostnameFormatDefault'] == (
        '%stackname%-novacompute-%index%')
    assert roles[0]['ServicesDefault'][-1] == (
        'OS::TripleO::Services::Timezone')
    assert 'OS::TripleO::Services::Sahara' not in roles[0]['ServicesDefault']
    assert 'OS::TripleO::Services::ComputeNeutronOvsAgent' in (
        roles[1]['ServicesDefault'])


def test_newton_is_rendered_as_its_tripleo_common_rendered_a_plan(tmp_path):
    tree = _newton_tree(tmp_path)
    tht_packages.render_newton(str(tree), tht_packages.lab_roles(str(tree)))
    assert yaml.safe_load((tree / 'overcloud.yaml').read_text()) == {
        'roles': ['Controller', 'Compute']}
    # A role template per role, but not over the static one it excludes.
    assert (tree / 'puppet' / 'controller-role.yaml').read_text() == (
        'static: true\n')
    assert (tree / 'puppet' / 'compute-role.yaml').read_text() == (
        'role: Compute')
    assert (tree / 'puppet' / 'controller-config.yaml').read_text() == (
        'manifest: controller')


def test_ensure_templates_copies_each_release_once(tmp_path):
    tree = _newton_tree(tmp_path)
    lab = layout.Lab(str(tmp_path / 'lab'))
    fetch = mock.Mock(return_value=str(tree))
    with mock.patch.object(tht_packages, 'fetch_newton', fetch), \
            mock.patch.object(tht_packages.tht, 'fetch', fetch):
        tht_packages.ensure_templates(lab)
        tht_packages.ensure_templates(lab)
    assert fetch.call_count == 2
    newton = tht_packages.newton_templates(lab)
    queens = tht_packages.queens_templates(lab)
    assert os.path.isfile(os.path.join(newton, 'overcloud.yaml'))
    # Queens as packaged: prepare renders it with the roles file.
    assert not os.path.exists(os.path.join(queens, 'overcloud.yaml'))
    with open(os.path.join(queens, tht_packages.ROLES_FILE)) as roles:
        assert [r['name'] for r in yaml.safe_load(roles)] == [
            'Controller', 'Compute']


def test_prepare_takes_the_deploys_environment_files_again(tmp_path):
    lab = layout.Lab(str(tmp_path / 'lab'))
    argv = tht_packages.upgrade_arguments(lab)
    assert argv[:4] == ['--templates', tht_packages.queens_templates(lab),
                        '-r', os.path.join(tht_packages.queens_templates(lab),
                                           tht_packages.ROLES_FILE)]
    envs = argv[5::2]
    assert envs[:-2] == tht_packages.environment_files(lab)
    assert envs[-2:] == [tht_packages.CONTAINERS_ENVIRONMENT,
                         tht_packages.UPGRADE_ENVIRONMENT]
    top, deploy_envs = (os.path.join(tht_packages.newton_templates(lab),
                                     'overcloud.yaml'),
                        tht_packages.environment_files(lab))
    assert tht_packages.LAB_ENVIRONMENT == deploy_envs[-1]
    assert top.endswith('tht-newton/overcloud.yaml')


def _roles_file(lab):
    tree = tht_packages.queens_templates(lab)
    os.makedirs(tree)
    with open(os.path.join(tree, tht_packages.ROLES_FILE), 'w') as out:
        yaml.safe_dump([
            {'name': 'Controller',
             'HostnameFormatDefault': '%stackname%-controller-%index%'},
            {'name': 'Compute',
             'HostnameFormatDefault': '%stackname%-novacompute-%index%'}],
            out)


def test_environments_of_the_deploy(tmp_path):
    lab = layout.Lab(str(tmp_path / 'lab'))
    lab.make_dirs()
    _roles_file(lab)
    tht_packages.write_environments(lab, {'controllers': 1, 'computes': 1},
                                    'cloud')
    with open(tht_packages.deploy_environment(lab)) as source:
        deploy = yaml.safe_load(source)['parameter_defaults']
    assert deploy['ControllerCount'] == 1 and deploy['ComputeCount'] == 1
    assert deploy['StackAction'] == 'CREATE'
    # Each node at its own address, by the name THT gives it.
    assert deploy['LabNodeAddresses'] == {'cloud-controller-0': '127.0.2.1',
                                          'cloud-novacompute-0': '127.0.3.1'}


def test_the_lab_registry_points_at_the_lab_templates():
    with open(tht_packages.LAB_ENVIRONMENT) as source:
        registry = yaml.safe_load(source)['resource_registry']
    for path in registry.values():
        assert os.path.isfile(os.path.join(tht_packages.DATA, path))


def test_the_agent_completes_the_deployments_heats_database_has_waiting():
    heat = mock.Mock()
    heat.software_configs.get.return_value = mock.Mock(outputs=[])
    rows = [('a', 'config-a')]
    with mock.patch('tripleo_ffu_lab.mariadb.query',
                    return_value=rows) as query:
        waiting = agent.waiting('the lab')
        assert agent.complete_waiting(heat, waiting) == 1
    assert "WHERE status = 'IN_PROGRESS'" in query.call_args.args[1]
    heat.software_deployments.list.assert_not_called()
    heat.software_configs.get.assert_called_once_with('config-a')
    heat.software_deployments.update.assert_called_once_with(
        'a', status='COMPLETE', status_reason=agent.REASON,
        output_values=agent.DONE)


def test_the_agent_reports_host_keys_as_thts_ssh_host_pub_key_does(
        tmp_path):
    """THT's SshHostPubKeyConfig outputs the node's public host keys: the
    lab's agent reports the lab sshd's, the keys it serves every node
    with."""
    from tripleo_ffu_lab import sshd
    (tmp_path / 'ssh_host_ecdsa_key.pub').write_text(
        'ecdsa-sha2-nistp256 AAAAE2Vj lab\n')
    keys = sshd.public_host_keys(None, str(tmp_path))
    assert keys == {'ecdsa': 'ecdsa-sha2-nistp256 AAAAE2Vj lab'}
    heat = mock.Mock()
    configs = {'keys': [{'name': 'rsa'}, {'name': 'ecdsa'},
                        {'name': 'ed25519'}],
               'other': [{'name': 'result'}]}
    heat.software_configs.get.side_effect = lambda config_id: mock.Mock(
        outputs=configs[config_id])
    assert agent.complete_waiting(heat, [
        agent.Waiting('keys', 'keys'), agent.Waiting('other', 'other')],
        keys) == 2
    reported = {call.args[0]: call.kwargs['output_values'] for call in
                heat.software_deployments.update.call_args_list}
    assert reported['keys'] == dict(
        agent.DONE, ecdsa='ecdsa-sha2-nistp256 AAAAE2Vj lab\n')
    assert reported['other'] == agent.DONE


def test_reset_nodes_brings_the_packages_lab_nodes_back(tmp_path):
    from tripleo_ffu_lab import control
    lab = layout.Lab(str(tmp_path / 'lab'))
    lab.make_dirs()
    _roles_file(lab)
    lab.save_state({'tht': 'packages', 'stack': 'overcloud',
                    'counts': {'controllers': 1, 'computes': 1}})
    outputs = {'EnabledServices': {'Controller': ['keystone', 'mysql'],
                                   'Compute': ['nova_compute']}}
    with mock.patch.object(control, 'start_services'), \
            mock.patch.object(control.overcloud, 'find'), \
            mock.patch.object(control.overcloud, 'outputs',
                              return_value=outputs):
        control.reset(lab, nodes_only=True)
    with open(tht_packages.addresses_file(lab)) as source:
        addresses = json.load(source)
    assert addresses == {
        '127.0.2.1': os.path.join(lab.nodes_dir, 'overcloud-controller-0'),
        '127.0.3.1': os.path.join(lab.nodes_dir, 'overcloud-novacompute-0')}
    with open(os.path.join(addresses['127.0.2.1'], 'var/lib/rpm',
                           'openstack-keystone')) as package:
        assert package.read() == 'newton\n'


def test_the_ha_labs_controllers_share_the_cluster_from_the_start(
        tmp_path):
    """up and reset of --tht packages-ha: the controllers (THT's pacemaker
    service), bootstrap first, on one newton cluster with the stack's
    VIPs; the computes on none; a reset starts the journal over."""
    from tripleo_ffu_lab import cluster
    from tripleo_ffu_lab import control
    from tripleo_ffu_lab import dbsync
    lab = layout.Lab(str(tmp_path / 'lab'))
    lab.make_dirs()
    _roles_file(lab)
    lab.save_state({'tht': 'packages-ha', 'stack': 'overcloud',
                    'counts': {'controllers': 3, 'computes': 1}})
    outputs = {
        'EnabledServices': {
            'Controller': ['pacemaker', 'mysql', 'rabbitmq', 'haproxy',
                           'keystone', 'cinder_volume'],
            'Compute': ['nova_compute']},
        'PublicVip': '127.0.2.254', 'KeystoneAdminVip': '127.0.2.253',
        'NovaInternalVip': '127.0.2.253', 'CephRgwInternalVip': None,
        'KeystoneURL': 'http://127.0.2.254:5000/v2.0'}
    with mock.patch.object(control, 'start_services'), \
            mock.patch.object(control.overcloud, 'find'), \
            mock.patch.object(control.overcloud, 'outputs',
                              return_value=outputs):
        control.reset(lab, nodes_only=True)
        path = os.path.join(tht_packages.cluster_dir(lab), 'cib.json')
        with open(path) as source:
            cib = json.load(source)
        names = ['overcloud-controller-%d' % index for index in range(3)]
        assert sorted(cib['nodes']) == names
        assert cib['resources']['openstack-cinder-volume']['node'] == \
            names[0]
        assert sorted(name for name in cib['resources']
                      if name.startswith('ip-')) == [
            'ip-127.0.2.253', 'ip-127.0.2.254']
        for name in names:
            root = os.path.join(lab.nodes_dir, name)
            assert cluster.cib_path(root) == path
            assert cib['nodes'][name]['root'] == root
            with open(os.path.join(root, 'run/services/mariadb')) as unit:
                assert unit.read() == 'running\n'
        assert cluster.cib_path(os.path.join(
            lab.nodes_dir, 'overcloud-novacompute-0')) is None
        journal = dbsync.journal_path(lab.nodes_dir, path)
        dbsync.append(journal, names[0], 'keystone-manage db_sync',
                      'keystone', 'ocata')
        assert 'database: keystone synced at ocata on ' not in ' '.join(
            tht_packages.overcloud_left(lab, names[0]))
        left = tht_packages.overcloud_left(lab, names[1])
        assert 'cluster: newton resource galera-master still in the ' \
            'cluster' in left
        assert 'database: keystone synced on %s, not on the bootstrap ' \
            'node %s (keystone-manage db_sync)' % (names[0], names[1]) in left
        assert 'database: panko never synced at queens' in left
        control.reset(lab, nodes_only=True)
        assert dbsync.read(journal) == []


def test_status_reports_the_upgrade_arguments_of_the_packages_lab(tmp_path):
    from tripleo_ffu_lab import control
    lab = layout.Lab(str(tmp_path / 'lab'))
    lab.make_dirs()
    lab.save_state({'tht': 'packages', 'ports': {}})
    report = control.status(lab)
    assert report['tht'] == 'packages'
    assert report['templates']['queens'] == (
        tht_packages.queens_templates(lab))
    assert report['upgrade_arguments'] == tht_packages.upgrade_arguments(lab)
    assert [proc['name'] for proc in report['processes']][-1] == agent.NAME


def test_the_deploy_has_newtons_passwords_and_prepare_none(tmp_path):
    lab = layout.Lab(str(tmp_path / 'lab'))
    os.makedirs(os.path.join(tht_packages.newton_templates(lab)))
    open(os.path.join(tht_packages.newton_templates(lab), 'overcloud.yaml'),
         'w').close()
    _top, deploy_envs = tht_packages.deploy_files(lab)
    assert lab.passwords_environment in deploy_envs
    argv = tht_packages.upgrade_arguments(lab)
    assert not [arg for arg in argv if 'passwords' in os.path.basename(arg)]


def test_newtons_passwords_are_tripleo_common_5s_list():
    from tripleo_ffu_lab import newton_passwords
    values = newton_passwords.generate()
    assert len(newton_passwords.NAMES) == 35
    assert sorted(values) == sorted(newton_passwords.NAMES)
    # THT 5.3 made these itself (RandomString), queens generates the rest.
    assert not {'MysqlRootPassword', 'RabbitCookie', 'KeystoneFernetKeys',
                'PcsdPassword'} & set(values)
    assert all(values.values())
