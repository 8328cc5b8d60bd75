"""THT stable/queens' own RoleConfig, for tests that need no Heat.

The lab's stack gets RoleConfig from THT's common/deploy-steps.j2 through
Heat; here the same rendered template's RoleConfig output is resolved
with the few intrinsic functions it uses (get_param from the defaults,
get_file, str_replace, get_attr of its value resources), and written as
config download writes it, with role task files the test gives.
"""

import json
import os

import yaml

from tripleo_ffu_lab import tht

BOOTSTRAP_SERVER_ID = 'controller-0-id'


def role_config(parameters=None):
    """The RoleConfig output as Heat resolves it, for the lab's roles."""
    tree = tht.fetch()
    template = yaml.safe_load(tht.render_post(tree, tht.roles_data(tree)))
    values = {name: spec.get('default') for name, spec in
              template['parameters'].items()}
    values.update({'DeployIdentifier': 'lab', 'ssh_known_hosts_hostnames':
                   {}, 'stack_name': 'overcloud'})
    values.update(parameters or {})
    attributes = {'BootstrapServerId': BOOTSTRAP_SERVER_ID,
                  'ExternalDeployTasks': [], 'ExternalPostDeployTasks': []}
    common = os.path.join(tree, 'common')

    def resolve(value):
        if isinstance(value, list):
            return [resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (function, args), = value.items()
            if function == 'get_param':
                name = args[0] if isinstance(args, list) else args
                return values[name]
            if function == 'get_attr':
                return attributes[args[0]]
            if function == 'get_file':
                with open(os.path.join(common, args)) as source:
                    return source.read()
            if function == 'str_replace':
                text = resolve(args['template'])
                for key, replacement in resolve(args['params']).items():
                    # As Heat's str_replace: JSON for lists and maps,
                    # str() for other values.
                    if isinstance(replacement, (list, dict)):
                        replacement = json.dumps(replacement)
                    text = text.replace(key, str(replacement))
                return text
        return {key: resolve(item) for key, item in value.items()}

    return resolve(template['outputs']['RoleConfig']['value'])


def _write(path, data):
    """A string as it is, anything else as YAML (as config download)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as out:
        if isinstance(data, str):
            out.write(data)
        else:
            yaml.safe_dump(data, out, default_flow_style=False)


def write_config(config_dir, role_tasks, parameters=None):
    """A config dir as config download writes it: RoleConfig's entries
    (strings as they are, the rest as YAML) and role_tasks, {path: data}
    of the role files (a string is written as it is)."""
    for name, value in role_config(parameters).items():
        _write(os.path.join(config_dir, name if '.' in name
                            else name + '.yaml'), value)
    for relative, data in role_tasks.items():
        _write(os.path.join(config_dir, relative), data)
    return config_dir


def _role_files(role):
    """Task files of one role: pinned to steps and releases, registers,
    blocks, bootstrap-only tasks, and the files config download writes
    for the deploy steps."""
    return {
        '%s/fast_forward_upgrade_tasks.yaml' % role: [
            {'name': '%s check' % role, 'command': 'true',
             'register': 'check', 'when': 'step|int == 0'},
            {'name': '%s stop' % role, 'command': 'true',
             'when': ['step|int == 1', 'check is skipped']},
            {'name': '%s ocata only' % role, 'command': 'true',
             'when': ['step|int == 2', "release == 'ocata'"]},
            {'name': '%s repos {{ release }}' % role,
             'command': 'echo {{ release }}', 'when': 'step|int == 3'},
            {'name': '%s packages' % role, 'when': 'step|int == 6',
             'block': [{'name': '%s update' % role, 'command': 'true',
                        'when': 'ffu_packages_apply|bool'}]},
            {'name': '%s db sync' % role, 'command': 'true',
             'when': ['step|int == 8', 'is_bootstrap_node|bool']},
            {'name': '%s either' % role, 'command': 'true',
             'when': 'step|int == 4 or step|int == 5'},
        ],
        '%s/fast_forward_post_upgrade_tasks.yaml' % role: [
            {'name': '%s post {{ release }}' % role,
             'debug': {'msg': '{{ release }}'}}],
        '%s/upgrade_tasks.yaml' % role: [
            {'name': '%s upgrade %d' % (role, step), 'command': 'true',
             'when': 'step|int == %d' % step} for step in (0, 2, 5)],
        '%s/deploy_steps_tasks.yaml' % role: [
            {'name': '%s deploy' % role, 'command': 'true',
             'when': 'step|int == 2'}],
        '%s/post_upgrade_tasks.yaml' % role: [
            {'name': '%s post upgrade' % role, 'command': 'true',
             'when': 'step|int == 3'}],
        '%s/host_prep_tasks.yaml' % role: [
            {'name': '%s host prep' % role, 'command': 'true'}],
        '%s/step_config.pp' % role: 'include tripleo::profile::base\n',
        '%s/puppet_config.yaml' % role: [],
        '%s/docker_config.yaml' % role: {},
        '%s/docker_config_scripts.yaml' % role: {},
        '%s/kolla_config.yaml' % role: {},
        '%s/docker_puppet_tasks.yaml' % role: {},
    }


# Role files for a plan to compile: pinned tasks, registers, blocks.
ROLE_FILES = dict(_role_files('Controller'), **_role_files('Compute'))
