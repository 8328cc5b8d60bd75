"""Stack outputs shaped like the lab's, for tests that need no Heat."""

import types


def outputs(nodes_dir, roles=None):
    """Outputs of a stack with roles {role: [hostname, ...]}."""
    roles = roles or {'Controller': ['overcloud-controller-0',
                                     'overcloud-controller-1'],
                      'Compute': ['overcloud-novacompute-0']}
    role_services = {
        'Controller': {
            'lab::service::keystone': {'packages': ['openstack-keystone'],
                                       'service': True,
                                       'database': 'keystone'},
            'lab::service::tripleo_packages': {
                'packages': ['os-net-config'], 'service': False,
                'database': ''},
            'keystone::admin_password': 'sekrit'},
        'Compute': {
            'lab::service::nova_compute': {
                'packages': ['openstack-nova-compute'], 'service': True,
                'database': ''}},
    }
    ids = {role: ['%s-id-%d' % (role, i) for i in range(len(hosts))]
           for role, hosts in roles.items()}
    return {
        'RoleData': {role: {'config_settings': role_services.get(role, {}),
                            'service_names': []}
                     for role in roles},
        'ServerIdData': {'server_ids': ids,
                         'bootstrap_server_id': ids['Controller'][0]},
        'RoleNetHostnameMap': {
            role: {'ctlplane': [h + '.ctlplane.localdomain' for h in hosts]}
            for role, hosts in roles.items()},
        'RoleNetIpMap': {role: {'ctlplane': ['127.0.0.1'] * len(hosts)}
                         for role, hosts in roles.items()},
        'AnsibleHostVarsMap': {
            role: {h: {'ansible_port': 2222,
                       'lab_node_root': '%s/%s' % (nodes_dir, h)}
                   for h in hosts}
            for role, hosts in roles.items()},
        'EnabledServices': {role: [] for role in roles},
    }


class Heat:
    """The few heatclient calls tripleo-common's inventory makes."""

    def __init__(self, stack_outputs):
        stack = types.SimpleNamespace(outputs=[
            {'output_key': key, 'output_value': value}
            for key, value in stack_outputs.items()])
        self.stacks = types.SimpleNamespace(
            get=lambda name, **kwargs: stack,
            environment=lambda name: {})
