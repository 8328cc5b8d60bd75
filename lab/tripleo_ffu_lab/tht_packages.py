"""The lab's overcloud from the tripleo-heat-templates packages
(`tripleo-ffu-lab up --tht packages`).

The stack is THT 5.3 (newton) itself, as an operator's: its top template,
resource registry and hundreds of nested stacks, rendered for the lab's
roles as newton's tripleo-common rendered a plan; prepare and converge
take THT 8.4 (queens) as packaged, with THT's own lifecycle environments.
What the lab adds, after THT's environments (tht-packages/):
lab-environment.yaml (lab nodes are deployed servers at the lab's
address; no Neutron), containers-environment.yaml (the queens image
names THT's service templates require), and the lab's heat agent that
completes software deployments. The deploy takes newton's passwords
(passwords.yaml, newton_passwords) as newton's tripleoclient did; prepare
and converge take none.
"""

import os
import shutil

import jinja2
import yaml

from tripleo_ffu_lab import bundles
from tripleo_ffu_lab import cluster
from tripleo_ffu_lab import dbsync
from tripleo_ffu_lab import procs
from tripleo_ffu_lab import tht
from tripleo_ffu_lab import nodes as lab_nodes
from tripleo_ffu_lab import tht_ha
from tripleo_ffu_lab import tht_nodes
from tripleo_ffu.workflow import environments as tht_files
from tripleo_ffu.workflow import files

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    'tht-packages')
LAB_ENVIRONMENT = os.path.join(DATA, 'lab-environment.yaml')
CONTAINERS_ENVIRONMENT = os.path.join(DATA, 'containers-environment.yaml')
UPGRADE_ENVIRONMENT = os.path.join(DATA, 'upgrade-environment.yaml')

PACKAGES = 'packages'
NEWTON_VERSION = '5.3.13'
NEWTON_SHA256 = ('f052c4accb235e2b9b72c9fba7e96bdf19a44db4b1a5f401709e14aa'
                 '6066da51')
# A keystone-only overcloud: THT's service names of each release.
SERVICES = {
    'Controller': ['TripleoPackages', 'MySQL', 'RabbitMQ', 'HAproxy',
                   'Keepalived', 'Keystone', 'Ntp', 'Timezone'],
    'Compute': ['TripleoPackages', 'Ntp', 'Timezone', 'NovaCompute',
                'ComputeNeutronOvsAgent'],
}
ROLES_FILE = 'lab_roles_data.yaml'
# What newton's tripleoclient passed with every deploy.
NEWTON_DEPLOY = {'StackAction': 'CREATE', 'UpdateIdentifier': ''}


def fetch_newton():
    return tht.fetch(version=NEWTON_VERSION, sha256=NEWTON_SHA256,
                     marker='overcloud.j2.yaml')


def lab_roles(tree):
    """THT's roles_data.yaml entries of the lab's roles, each with the
    lab's services (THT's names) as its ServicesDefault."""
    with open(os.path.join(tree, 'roles_data.yaml')) as source:
        entries = {role['name']: role for role in yaml.safe_load(source)}
    roles = []
    for name, services in SERVICES.items():
        role = dict(entries[name])
        role['ServicesDefault'] = ['OS::TripleO::Services::' + service
                                   for service in services]
        roles.append(role)
    return roles


def _render(path, destination, **data):
    with open(path) as source:
        text = jinja2.Environment().from_string(source.read()).render(**data)
    with open(destination, 'w') as out:
        out.write(text)


def render_newton(tree, roles):
    """Render a copy of THT newton in place, as newton's tripleo-common
    rendered a plan: each *.role.j2.yaml once per role (into
    <role>-<name>.yaml, unless j2_excludes.yaml names the result), each
    other *.j2.yaml with every role."""
    with open(os.path.join(tree, 'j2_excludes.yaml')) as source:
        excluded = set((yaml.safe_load(source) or {}).get('name') or [])
    for top, dirs, names in os.walk(tree):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(top, name)
            if name.endswith('.role.j2.yaml'):
                for role in roles:
                    out = os.path.join(
                        os.path.relpath(top, tree), '%s-%s' % (
                            role['name'].lower(),
                            name.replace('.role.j2.yaml', '.yaml')))
                    if os.path.normpath(out) not in excluded:
                        _render(path, os.path.join(tree, out),
                                role=role['name'])
            elif name.endswith('.j2.yaml'):
                _render(path, path.replace('.j2.yaml', '.yaml'), roles=roles)


def _copy(source, destination, roles, render):
    work = destination + '.new'
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(source, work)
    with open(os.path.join(work, ROLES_FILE), 'w') as out:
        yaml.safe_dump(roles, out, default_flow_style=False)
    if render:
        render_newton(work, roles)
    shutil.rmtree(destination, ignore_errors=True)
    os.replace(work, destination)
    return destination


def newton_templates(lab):
    return lab.path('templates', 'tht-newton')


def queens_templates(lab):
    return lab.path('templates', 'tht-queens')


def _roles(source, release, fetched):
    """A tree's roles for a THT source: the lab's keystone-only services,
    or THT 5.3's own entries and their queens conversion."""
    if source != tht_ha.NAME:
        return lab_roles(fetched)
    if release == 'newton':
        return tht_ha.newton_roles(fetched)
    return tht_ha.queens_roles(fetched, fetch_newton())


def ensure_templates(lab, source=PACKAGES):
    """The newton tree the lab deploys (rendered) and the queens tree
    prepare and converge take (as packaged, with the lab's roles file);
    for the HA overcloud, the queens images its templates require."""
    for release, tree, fetch in (
            ('newton', newton_templates(lab), fetch_newton),
            ('queens', queens_templates(lab), tht.fetch)):
        if os.path.isfile(os.path.join(tree, ROLES_FILE)):
            continue
        fetched = fetch()
        _copy(fetched, tree, _roles(source, release, fetched),
              release == 'newton')
    if source == tht_ha.NAME and not os.path.isfile(images_environment(lab)):
        with open(CONTAINERS_ENVIRONMENT) as known:
            images = tht_ha.images_environment(
                queens_templates(lab), roles(lab),
                yaml.safe_load(known)['parameter_defaults'])
        files.write_private(images_environment(lab), yaml.safe_dump(images))


def images_environment(lab):
    """The Docker*Image parameters of the HA overcloud's queens services
    (ensure_templates writes it from the templates)."""
    return lab.path('tht-images.yaml')


def deploy_environment(lab):
    return lab.path('tht-deploy.yaml')


def roles(lab):
    """The lab's roles file of its queens tree (ensure_templates wrote
    it): THT's entries, with their host name formats."""
    with open(os.path.join(queens_templates(lab), ROLES_FILE)) as source:
        return yaml.safe_load(source)


def write_environments(lab, counts, stack_name):
    """The node counts, node addresses and newton deploy parameters of the
    lab's deploy."""
    parameters = dict(NEWTON_DEPLOY, ControllerCount=counts['controllers'],
                      ComputeCount=counts['computes'],
                      LabNodeAddresses=lab_nodes.addresses(
                          roles(lab), counts, stack_name))
    files.write_private(deploy_environment(lab), yaml.safe_dump(
        {'parameter_defaults': parameters}))


def environment_files(lab):
    """The -e files of the lab's deploy but its passwords, as prepare and
    converge take them again (after the templates' own registry)."""
    return [lab.lab_environment, deploy_environment(lab), LAB_ENVIRONMENT]


def deploy_files(lab, source=PACKAGES):
    """Top template and environment files of the newton deploy: THT's
    registry and, for the HA overcloud, its pacemaker environment."""
    tree = newton_templates(lab)
    top = os.path.join(tree, tht_files.TOP_TEMPLATE)
    if not os.path.isfile(top):
        raise procs.LabError('%s has no %s: remove it and run `up` again'
                             % (tree, tht_files.TOP_TEMPLATE))
    tht_environments = [os.path.join(tree, path) for path in (
        tht_ha.NEWTON_ENVIRONMENTS if source == tht_ha.NAME else ())]
    return top, [os.path.join(tree, tht_files.REGISTRY)] + tht_environments + [
        lab.passwords_environment] + environment_files(lab)


def upgrade_arguments(lab, source=PACKAGES):
    """The arguments prepare and converge need for the lab's stack:
    THT's environments first (the HA overcloud's pacemaker and docker
    ones, as tripleo-upgrade passes them), then the lab's."""
    tree = queens_templates(lab)
    argv = ['--templates', tree, '-r', os.path.join(tree, ROLES_FILE)]
    paths = [CONTAINERS_ENVIRONMENT]
    if source == tht_ha.NAME:
        argv += [arg for path in tht_ha.QUEENS_ENVIRONMENTS
                 for arg in ('-e', os.path.join(tree, path))]
        paths = [images_environment(lab)]
    for path in environment_files(lab) + paths + [UPGRADE_ENVIRONMENT]:
        argv += ['-e', path]
    return argv


def addresses_file(lab):
    """{address: node tree} of the lab's nodes, for the stand-ins."""
    return lab.path('node-addresses.json')


def node_addresses(lab, state):
    """{host name: loopback address} of the lab's nodes."""
    return lab_nodes.addresses(roles(lab), state['counts'], state['stack'])


def nodes(lab, state, outputs):
    """The lab's nodes, with the services the stack enables per role
    (newton's EnabledServices; queens' RoleData service_names)."""
    enabled = outputs.get('EnabledServices') or {
        role: data.get('service_names') or []
        for role, data in (outputs.get('RoleData') or {}).items()}
    return tht_nodes.build(roles(lab), state['counts'], state['stack'],
                           enabled, lab.nodes_dir)


def cluster_dir(lab):
    """The HA overcloud's shared Pacemaker cluster and db-sync journal."""
    return lab.path('pacemaker')


def vips(outputs):
    """The stack's distinct virtual IPs: newton's *Vip outputs
    (PublicVip, KeystoneAdminVip, <Service>InternalVip)."""
    return sorted({value for key, value in outputs.items()
                   if key.endswith('Vip') and isinstance(value, str) and
                   value})


def write_cluster(lab, found, outputs):
    """The newton cluster of the nodes that run THT's pacemaker service
    (the bootstrap node first), one IPaddr2 per virtual IP of the stack,
    started over with its journal; its CIB's path, or None (no node runs
    pacemaker)."""
    members = sorted((node for node in found if 'pacemaker' in
                      node.services), key=lambda node: not node.bootstrap)
    if not members:
        return None
    directory = cluster_dir(lab)
    shutil.rmtree(directory, ignore_errors=True)
    return cluster.write_newton_cluster(
        directory, [(node.hostname, node.root) for node in members],
        vips(outputs))


def overcloud_left(lab, bootstrap):
    """What the HA overcloud's shared state still has of newton ([] when
    nothing, or with no cluster): the cluster (bundles.problems), and the
    db-sync journal (each schema synced once per release, on the
    bootstrap node's name `bootstrap`, in order, every sync THT makes)."""
    path = os.path.join(cluster_dir(lab), 'cib.json')
    if not os.path.isfile(path):
        return []
    with cluster.locked(path, write=False) as cib:
        found = ['cluster: %s' % problem for problem in bundles.problems(cib)]
    entries = dbsync.read(dbsync.journal_path(None, path))
    return found + ['database: %s' % problem for problem in dbsync.problems(
        entries, bootstrap, tht_ha.EXPECTED_SYNCS)]
