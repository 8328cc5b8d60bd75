"""Stack outputs shaped like THT's (stable/queens), for tests that need no
Heat. The lab's own tests use lab_fakes.py."""

import types

ROLES = {'Controller': ['overcloud-controller-0', 'overcloud-controller-1'],
         'Compute': ['overcloud-novacompute-0']}
# A few of what THT's service templates give a role: config_settings
# (hiera keys, a password among them) and service_names.
ROLE_DATA = {
    'Controller': {
        'config_settings': {'keystone::admin_password': 'sekrit',
                            'keystone::debug': False},
        'service_names': ['keystone', 'mysql', 'tripleo_packages']},
    'Compute': {
        'config_settings': {'nova::compute::enabled': True},
        'service_names': ['nova_compute', 'tripleo_packages']},
}


def outputs(roles=None, host_vars=None):
    """Outputs of a stack with roles {role: [hostname, ...]}, each node
    at its own ctlplane address (192.168.24.x, the undercloud's default
    range). host_vars {role: {hostname: {name: value}}}: an
    AnsibleHostVarsMap output, which queens' THT does not have."""
    roles = roles or ROLES
    ids = {role: ['%s-id-%d' % (role, i) for i in range(len(hosts))]
           for role, hosts in roles.items()}
    addresses = {role: ['192.168.24.%d' % (10 * (index + 1) + i)
                        for i in range(len(hosts))]
                 for index, (role, hosts) in enumerate(roles.items())}
    empty = {'config_settings': {}, 'service_names': []}
    stack_outputs = {
        'RoleData': {role: dict(ROLE_DATA.get(role, empty))
                     for role in roles},
        'ServerIdData': {'server_ids': ids,
                         'bootstrap_server_id': ids['Controller'][0]},
        'RoleNetHostnameMap': {
            role: {'ctlplane': [h + '.ctlplane.localdomain' for h in hosts]}
            for role, hosts in roles.items()},
        'RoleNetIpMap': {role: {'ctlplane': addresses[role]}
                         for role in roles},
        'EnabledServices': {
            role: list(ROLE_DATA.get(role, empty)['service_names'])
            for role in roles},
    }
    if host_vars is not None:
        stack_outputs['AnsibleHostVarsMap'] = host_vars
    return stack_outputs


class Heat:
    """The few heatclient calls tripleo-common's inventory makes."""

    def __init__(self, stack_outputs):
        stack = types.SimpleNamespace(outputs=[
            {'output_key': key, 'output_value': value}
            for key, value in stack_outputs.items()])
        self.stacks = types.SimpleNamespace(
            get=lambda name, **kwargs: stack,
            environment=lambda name: {})
