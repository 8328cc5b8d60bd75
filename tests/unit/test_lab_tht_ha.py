"""The default HA overcloud of the THT packages lab: newton's roles as THT
5.3 gives them, their queens conversion as tripleo-upgrade makes it, and
the images the queens templates require."""

import os

import yaml

from tripleo_ffu_lab import layout
from tripleo_ffu_lab import tht_ha
from tripleo_ffu_lab import tht_packages

S = tht_ha.PREFIX
# THT 5.3's Compute services, as roles_data.yaml lists them.
NEWTON_COMPUTE = [S + name for name in (
    'CACerts', 'CephClient', 'CephExternal', 'Timezone', 'Ntp', 'Snmp',
    'Sshd', 'NovaCompute', 'NovaLibvirt', 'Kernel',
    'ComputeNeutronCorePlugin', 'ComputeNeutronOvsAgent',
    'ComputeCeilometerAgent', 'ComputeNeutronL3Agent',
    'ComputeNeutronMetadataAgent', 'TripleoPackages', 'TripleoFirewall',
    'NeutronSriovAgent', 'OpenDaylightOvs', 'SensuClient', 'FluentdClient',
    'VipHosts')]


def test_newton_compute_is_converted_as_tripleo_upgrade_does():
    converted = tht_ha.convert(NEWTON_COMPUTE)
    assert len(NEWTON_COMPUTE) == 22 and len(converted) == 32
    assert S + 'VipHosts' not in converted
    assert S + 'FluentdClient' not in converted
    # Each with_items entry goes right after the anchor: the last first.
    at = converted.index(S + 'Timezone')
    assert converted[at + 1:at + 3] == [S + 'RsyslogSidecar', S + 'Rhsm']
    assert converted[at + 10] == S + 'AuditD'
    # Iscsid's replace runs before NovaMigrationTarget's.
    at = converted.index(S + 'NovaCompute')
    assert converted[at + 1:at + 3] == [S + 'NovaMigrationTarget',
                                        S + 'Iscsid']


def test_controller_anchors_are_whole_lines():
    converted = tht_ha.convert([S + 'NovaApi', S + 'MySQL', S + 'MySQLClient',
                                S + 'CephMon', S + 'CeilometerApi',
                                S + 'CinderVolume', S + 'Core'])
    assert converted == [S + name for name in (
        'NovaApi', 'Ec2Api', 'NovaPlacement', 'MySQL', 'Clustercheck',
        'MySQLClient', 'CephMon', 'CephRbdMirror', 'CephMds', 'CephMgr',
        'CeilometerApi', 'PankoApi', 'CinderVolume', 'Iscsid')]


def _tree(root, registry, environments, templates, roles):
    tree = root / 'tht'
    (tree / 'environments').mkdir(parents=True)
    (tree / 'docker').mkdir()
    (tree / tht_ha.QUEENS_REGISTRY).write_text(registry)
    for path in tht_ha.QUEENS_ENVIRONMENTS:
        (tree / path).write_text(yaml.safe_dump(
            {'resource_registry': environments.get(path, {})}))
    for path, template in templates.items():
        (tree / path).write_text(yaml.safe_dump(template))
    (tree / 'roles_data.yaml').write_text(yaml.safe_dump(roles))
    return tree


def test_images_come_from_the_templates_the_environments_select(tmp_path):
    registry = ('resource_registry:\n'
                '{% for role in roles %}  OS::TripleO::{{role.name}}: x\n'
                '{% endfor %}'
                '  OS::TripleO::Services::Keystone: docker/puppet.yaml\n'
                '  OS::TripleO::Services::Ntp: OS::Heat::None\n')
    image = {'type': 'string'}
    templates = {
        'docker/keystone.yaml': {
            'parameters': {'DockerKeystoneImage': image,
                           'DockerKeystoneConfigImage': image,
                           'DockerOptionalImage': dict(image, default='')},
            'resources': {'Common': {'type': './common.yaml'}}},
        'docker/common.yaml': {'parameters': {'DockerCrondImage': image}},
        'docker/puppet.yaml': {'parameters': {'DockerUnusedImage': image}},
    }
    roles = [{'name': 'Controller',
              'ServicesDefault': [S + 'Keystone', S + 'Ntp', S + 'Gone']}]
    tree = _tree(tmp_path, registry, {'environments/docker.yaml': {
        S + 'Keystone': '../docker/keystone.yaml'}}, templates, roles)
    assert tht_ha.registry(str(tree), roles)['OS::TripleO::Controller'] == 'x'
    assert tht_ha.required_images(str(tree), roles) == {
        'DockerKeystoneImage', 'DockerKeystoneConfigImage', 'DockerCrondImage'}
    assert tht_ha.images_environment(
        str(tree), roles, {'DockerCrondImage': 'known'}) == {
        'parameter_defaults': {
            'DockerCrondImage': 'known',
            'DockerKeystoneConfigImage': tht_ha.IMAGE_NAME % 'keystone',
            'DockerKeystoneImage': tht_ha.IMAGE_NAME % 'keystone'}}


def test_image_names():
    assert tht_ha.image_name('DockerNovaApiImage') == 'nova-api'
    assert tht_ha.image_name('DockerNovaConfigImage') == 'nova'
    assert tht_ha.image_name('DockerNeutronDHCPImage') == 'neutron-dhcp'
    assert tht_ha.image_name('DockerHAProxyImage') == 'ha-proxy'


def test_the_ha_arguments_put_thts_environments_first(tmp_path):
    lab = layout.Lab(str(tmp_path / 'lab'))
    queens = tht_packages.queens_templates(lab)
    argv = tht_packages.upgrade_arguments(lab, tht_ha.NAME)
    envs = argv[5::2]
    assert envs[:3] == [os.path.join(queens, path)
                        for path in tht_ha.QUEENS_ENVIRONMENTS]
    assert envs[3:-2] == tht_packages.environment_files(lab)
    assert envs[-2:] == [tht_packages.images_environment(lab),
                         tht_packages.UPGRADE_ENVIRONMENT]
    # The keystone-only lab's stay as they were.
    assert tht_packages.CONTAINERS_ENVIRONMENT in (
        tht_packages.upgrade_arguments(lab))
