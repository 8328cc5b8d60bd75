"""The default HA overcloud of the THT packages lab
(`tripleo-ffu-lab up --tht packages-ha`).

Newton: THT 5.3's own Controller and Compute entries of roles_data.yaml
(every default service) with 5.3's environments/puppet-pacemaker.yaml, as
OSP 10's usual HA deployment. Queens: the same roles file converted as
tripleo-upgrade's fast-forward-upgrade/convert_roles_data.yaml converts an
operator's (services removed, and added after their anchors), in THT 8.4's
role entries; prepare and converge take 8.4's puppet-pacemaker.yaml,
docker.yaml and docker-ha.yaml, and the Docker*Image parameters the
templates those environments select require (read from the templates).
The other roles of THT's roles_data.yaml (CephStorage, BlockStorage,
ObjectStorage) are not in the lab's roles file: no node, no service.
"""

import os
import re

import jinja2
import yaml

NAME = 'packages-ha'
ROLES = ('Controller', 'Compute')
PREFIX = 'OS::TripleO::Services::'
NEWTON_ENVIRONMENTS = ('environments/puppet-pacemaker.yaml',)
QUEENS_ENVIRONMENTS = ('environments/puppet-pacemaker.yaml',
                       'environments/docker.yaml',
                       'environments/docker-ha.yaml')
QUEENS_REGISTRY = 'overcloud-resource-registry-puppet.j2.yaml'
# tripleo-upgrade's conversion, in its order: the lines it removes
# (lineinfile state=absent), then each replace (regexp, the lines each
# with_items entry puts right after every match, so the last comes first).
REMOVED = ('OS::TripleO::Services::Core', 'OS::TripleO::Services::VipHosts',
           'OS::TripleO::Services::FluentdClient',
           'OS::TripleO::Services::ManilaBackendGeneric')
ADDED = (
    (r'(- OS::TripleO::Services::Timezone)',
     ('AuditD', 'Collectd', 'MySQLClient', 'CertmongerUser', 'Docker',
      'Securetty', 'Tuned', 'ContainersLogrotateCrond', 'Rhsm',
      'RsyslogSidecar')),
    (r'(- OS::TripleO::Services::NovaApi$)', ('NovaPlacement', 'Ec2Api')),
    (r'(- OS::TripleO::Services::CephMon$)',
     ('CephMgr', 'CephMds', 'CephRbdMirror')),
    (r'(- OS::TripleO::Services::CeilometerApi$)', ('PankoApi',)),
    (r'(- OS::TripleO::Services::MySQL$)', ('Clustercheck',)),
    (r'(- .*CinderVolume)', ('Iscsid',)),
    (r'(- OS::TripleO::Services::NovaCompute)', ('Iscsid',)),
    (r'(- OS::TripleO::Services::NovaCompute)', ('NovaMigrationTarget',)),
)
# The schema syncs THT 8.4's tasks make on this overcloud, per release:
# the fast-forward phase's ocata and pike syncs (bootstrap node), then the
# queens db-sync containers (docker_config steps 3 and 5). Gnocchi has no
# FFU sync: THT's `Sync gnocchi DB` needs gnocchi_api_enabled, from
# `systemctl is-enabled openstack-gnocchi-api`, and newton runs gnocchi's
# API under httpd. Panko's service is new in the queens roles.
FFU_SYNCED = ('aodh', 'cinder', 'glance', 'heat', 'keystone', 'nova',
              'nova_api', 'ovs_neutron')
EXPECTED_SYNCS = dict({database: ('ocata', 'pike', 'queens')
                       for database in FFU_SYNCED},
                      gnocchi=('queens',), panko=('queens',))
IMAGE = re.compile(r'^Docker\w*Image$')
IMAGE_NAME = '192.168.24.1:8787/tripleoqueens/centos-binary-%s:current-tripleo'


def _entries(tree):
    with open(os.path.join(tree, 'roles_data.yaml')) as source:
        return {role['name']: role for role in yaml.safe_load(source)}


def newton_roles(tree):
    """THT 5.3's Controller and Compute entries as they are."""
    entries = _entries(tree)
    return [dict(entries[name]) for name in ROLES]


def convert(services):
    """A newton role's services as tripleo-upgrade converts them."""
    text = '\n'.join('    - ' + service for service in services
                     if not any(re.search(removed, service)
                                for removed in REMOVED))
    for pattern, added in ADDED:
        for service in added:
            text = re.sub(pattern, r'\1\n    - ' + PREFIX + service, text,
                          flags=re.MULTILINE)
    return [line.strip()[2:] for line in text.splitlines()]


def queens_roles(queens_tree, newton_tree):
    """THT 8.4's Controller and Compute entries, each with its newton
    services converted."""
    entries = _entries(queens_tree)
    roles = []
    for newton in newton_roles(newton_tree):
        role = dict(entries[newton['name']])
        role['ServicesDefault'] = convert(newton['ServicesDefault'])
        roles.append(role)
    return roles


def _registry(path, base, roles=None):
    with open(path) as source:
        text = source.read()
    if roles is not None:
        text = jinja2.Environment().from_string(text).render(roles=roles)
    found = {}
    for name, target in (yaml.safe_load(text).get('resource_registry')
                         or {}).items():
        if isinstance(target, str) and target.endswith('.yaml'):
            target = os.path.normpath(os.path.join(base, target))
        found[name] = target
    return found


def registry(tree, roles):
    """{type: template path or type} of THT 8.4's registry with the HA
    environments, later ones winning, as Heat merges them."""
    merged = _registry(os.path.join(tree, QUEENS_REGISTRY), tree, roles)
    for environment in QUEENS_ENVIRONMENTS:
        path = os.path.join(tree, environment)
        merged.update(_registry(path, os.path.dirname(path)))
    return merged


def _required_images(path, seen):
    """The Docker*Image parameters without default of a template and of
    the templates it nests (by relative path)."""
    if path in seen or not os.path.isfile(path):
        return set()
    seen.add(path)
    with open(path) as source:
        template = yaml.safe_load(source)
    found = {name for name, spec in (template.get('parameters')
                                     or {}).items()
             if IMAGE.match(name) and 'default' not in (spec or {})}
    for resource in (template.get('resources') or {}).values():
        nested = (resource or {}).get('type', '')
        if isinstance(nested, str) and nested.endswith('.yaml'):
            found |= _required_images(os.path.normpath(os.path.join(
                os.path.dirname(path), nested)), seen)
    return found


def required_images(tree, roles):
    """The Docker*Image parameters the roles' queens services require."""
    types = registry(tree, roles)
    found, seen = set(), set()
    for role in roles:
        for service in role['ServicesDefault']:
            target = types.get(service, '')
            if target.endswith('.yaml'):
                found |= _required_images(target, seen)
    return found


def image_name(parameter):
    """An image name from its parameter, as the undercloud registry names
    it: DockerNovaApiImage, DockerNovaConfigImage: nova-api, nova."""
    words = parameter[len('Docker'):-len('Image')]
    if words.endswith('Config') and words != 'Config':
        words = words[:-len('Config')]
    return re.sub(r'(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])', '-',
                  words).lower()


def images_environment(tree, roles, known):
    """parameter_defaults of every image the queens templates require:
    known's names where it has them, else named after the parameter.
    Names only: the lab pulls no image."""
    return {'parameter_defaults': {
        name: known.get(name, IMAGE_NAME % image_name(name))
        for name in sorted(required_images(tree, roles))}}
