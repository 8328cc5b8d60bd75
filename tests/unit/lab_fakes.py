"""Stack outputs shaped like the lab's templates' (the lab's services in
config_settings, every node on 127.0.0.1 with lab_node_root in
AnsibleHostVarsMap), for the lab's own tests; the product's tests use
fakes.py, shaped like THT's."""

from tests.unit import fakes

ROLE_SERVICES = {
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


def outputs(nodes_dir, roles=None):
    """Outputs of a lab stack with roles {role: [hostname, ...]}."""
    roles = roles or fakes.ROLES
    built = fakes.outputs(roles, host_vars={
        role: {h: {'ansible_port': 2222,
                   'lab_node_root': '%s/%s' % (nodes_dir, h)}
               for h in hosts}
        for role, hosts in roles.items()})
    built['RoleData'] = {role: {'config_settings': ROLE_SERVICES.get(role, {}),
                                'service_names': []}
                         for role in roles}
    built['RoleNetIpMap'] = {role: {'ctlplane': ['127.0.0.1'] * len(hosts)}
                             for role, hosts in roles.items()}
    built['EnabledServices'] = {role: [] for role in roles}
    return built
