"""THT 8.4's service templates' task sections, read without Heat.

For tests that run or inspect THT's own tasks: the templates of the HA
overcloud's services (doc/plans/ha-overcloud.md §1.2), the task lists of
their role_data sections with Heat's functions walked as far as tasks go
(a list_concat's lists, both branches of an if; a get_attr to another
template's role_data yields nothing here, since that template is read on
its own), and their leaf tasks.
"""

import os

import pytest
import yaml

from tripleo_ffu_lab import tht

SECTIONS = ('fast_forward_upgrade_tasks', 'fast_forward_post_upgrade_tasks',
            'upgrade_tasks', 'post_upgrade_tasks', 'host_prep_tasks')
# THT 8.4's templates of the HA overcloud's services under docker.yaml and
# docker-ha.yaml (plan §1.2, the conversion's additions included); the
# templates they nest are read as well (templates()).
SERVICES = tuple('docker/services/%s.yaml' % name for name in (
    'aodh-api', 'aodh-evaluator', 'aodh-listener', 'aodh-notifier',
    'ceilometer-agent-central', 'ceilometer-agent-compute',
    'ceilometer-agent-notification', 'cinder-api', 'cinder-scheduler',
    'glance-api', 'gnocchi-api', 'gnocchi-metricd', 'gnocchi-statsd',
    'heat-api-cfn', 'heat-api', 'heat-engine', 'horizon', 'iscsid',
    'keystone', 'logrotate-crond', 'memcached', 'neutron-api',
    'neutron-dhcp', 'neutron-l3', 'neutron-metadata', 'neutron-ovs-agent',
    'neutron-plugin-ml2', 'nova-api', 'nova-compute', 'nova-conductor',
    'nova-consoleauth', 'nova-libvirt', 'nova-metadata',
    'nova-migration-target', 'nova-placement', 'nova-scheduler',
    'nova-vnc-proxy', 'pacemaker/cinder-volume', 'pacemaker/clustercheck',
    'pacemaker/database/mysql', 'pacemaker/database/redis',
    'pacemaker/haproxy', 'pacemaker/rabbitmq', 'panko-api', 'sshd',
    'swift-proxy', 'swift-ringbuilder', 'swift-storage')) + tuple(
    'puppet/services/%s.yaml' % name for name in (
        'ca-certs', 'database/mysql-client',
        'disabled/ceilometer-api-disabled',
        'disabled/ceilometer-collector-disabled',
        'disabled/ceilometer-expirer-disabled',
        'disabled/glance-registry-disabled',
        'disabled/heat-api-cloudwatch-disabled', 'disabled/mongodb-disabled',
        'docker', 'kernel', 'pacemaker', 'snmp', 'time/ntp', 'time/timezone',
        'tripleo-firewall', 'tripleo-packages', 'tuned'))
# RoleConfig's own task files, run on every node.
COMMON = ('common/deploy-steps-tasks.yaml',
          'extraconfig/pre_network/boot_param_tasks.yaml')
# Safe loading, by libyaml when there is one (the guard reads ~90
# templates).
LOADER = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
HEAT_FUNCTIONS = frozenset((
    'get_param', 'get_attr', 'get_resource', 'get_file', 'list_join',
    'list_concat', 'list_concat_unique', 'str_replace', 'str_replace_strict',
    'str_split', 'map_merge', 'map_replace', 'yaql', 'if', 'equals', 'and',
    'or', 'not', 'repeat', 'digest', 'filter', 'make_url', 'contains'))


def tree():
    """The extracted THT 8.4 sdist of the lab's cache, or a skip."""
    path = os.path.join(tht.cache_dir(), tht.NAME)
    if not os.path.isdir(path):
        pytest.skip('THT %s is not in the lab\'s cache (%s): the lab puts '
                    'it there on its first up (or `pip download --no-deps '
                    '--no-binary :all: tripleo-heat-templates==%s` into it)'
                    % (tht.VERSION, tht.cache_dir(), tht.VERSION))
    return path


def templates(root):
    """The service templates to read: SERVICES, the puppet base of each
    docker one, and every service template they nest (a resource whose
    type is a template: puppet/services/openvswitch.yaml holds the OVS
    agent's upgrade tasks)."""
    paths, queue = [], list(SERVICES)
    while queue:
        relative = queue.pop(0)
        if relative in paths or not os.path.isfile(
                os.path.join(root, relative)):
            continue
        paths.append(relative)
        base = relative.replace('docker/services/', 'puppet/services/', 1)
        queue.append(base)
        with open(os.path.join(root, relative)) as source:
            template = yaml.load(source, Loader=LOADER) or {}
        for resource in (template.get('resources') or {}).values():
            kind = (resource or {}).get('type')
            if isinstance(kind, str) and kind.endswith('.yaml'):
                nested = os.path.normpath(os.path.join(
                    os.path.dirname(relative), kind))
                if nested.startswith(('puppet/services/',
                                      'docker/services/')):
                    queue.append(nested)
    return paths


def heat_function(value):
    return isinstance(value, dict) and len(value) == 1 and \
        next(iter(value)) in HEAT_FUNCTIONS


def task_lists(value):
    """The tasks in a section's value: a list's items, through Heat's
    functions (both branches of an if, every list of a list_concat)."""
    if isinstance(value, list):
        for item in value:
            if heat_function(item) or isinstance(item, list):
                yield from task_lists(item)
            elif isinstance(item, dict):
                yield item
    elif heat_function(value):
        yield from task_lists(next(iter(value.values())))


def leaves(tasks):
    """The leaf tasks, through blocks."""
    for task in tasks:
        if not isinstance(task, dict):
            continue
        blocks = [key for key in ('block', 'rescue', 'always') if key in task]
        if blocks:
            for key in blocks:
                yield from leaves(list(task_lists(task[key])))
        else:
            yield task


def sections(root, relative):
    """{section: [top-level tasks]} of a service template."""
    with open(os.path.join(root, relative)) as source:
        template = yaml.load(source, Loader=LOADER)
    role_data = (template.get('outputs') or {}).get('role_data') or {}
    value = role_data.get('value') or {}
    if heat_function(value):  # a map_merge of the base's and its own
        merged = {}
        for part in task_lists([value]):
            merged.update(part)
        value = merged
    found = {section: list(task_lists(value.get(section)))
             for section in SECTIONS if value.get(section)}
    # A nested template's outputs that a role_data takes a section from
    # (cinder-common.yaml's cinder_volume_host_prep_tasks, through
    # get_attr): every output named *_tasks.
    for name, output in sorted((template.get('outputs') or {}).items()):
        if name != 'role_data' and name.endswith('_tasks'):
            tasks = list(task_lists((output or {}).get('value')))
            if tasks:
                found[name] = tasks
    return found


def common_tasks(root, relative):
    with open(os.path.join(root, relative)) as source:
        return list(task_lists(yaml.load(source, Loader=LOADER) or []))
