"""Prepare the overcloud nodes for the upgrade (FFU prepare, step h).

Removes what the Newton-era agents leave behind and later releases trip
over: the os-apply-config template of os-net-config's config.json, and the
legacy hiera hook and data (the FFU demo's manual workaround).
"""

import os
import re

from tripleo_ffu.workflow import ansible
from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import yamlfile
from tripleo_ffu.workflow.errors import WorkflowError

PLAYBOOK = 'ffu_node_prep.yaml'
LEGACY_FILES = [
    '/usr/libexec/os-apply-config/templates/etc/os-net-config/config.json',
    '/usr/libexec/os-apply-config/templates/etc/puppet/hiera.yaml',
    '/usr/libexec/os-refresh-config/configure.d/40-hiera-datafiles',
]
LEGACY_GLOBS = [('/etc/puppet/hieradata', '*.yaml')]
# Ansible's own OSError on the ssh pipe, e.g. "...: [Errno 32] Broken pipe".
ANSIBLE_OS_ERROR = re.compile(r'\[Errno \d+\] [^:]*$')


def playbook(hosts):
    return [{
        'name': 'Prepare the overcloud nodes for the fast-forward upgrade',
        'hosts': hosts,
        'become': True,
        'gather_facts': False,
        'tasks': [
            {'name': 'Remove legacy os-apply-config and hiera files',
             'file': {'path': '{{ item }}', 'state': 'absent'},
             'loop': LEGACY_FILES},
            {'name': 'Find legacy hiera data',
             'find': {'paths': LEGACY_GLOBS[0][0],
                      'patterns': LEGACY_GLOBS[0][1]},
             'register': 'tripleo_ffu_legacy_hieradata'},
            {'name': 'Remove legacy hiera data',
             'file': {'path': '{{ item.path }}', 'state': 'absent'},
             'loop': '{{ tripleo_ffu_legacy_hieradata.files }}'},
        ],
    }]


def run(config_dir, inventory_path, hosts, ssh_key=None,
        host_key_checking=False, ssh_user=None):
    path = os.path.join(config_dir, PLAYBOOK)
    files.write_private(path, yamlfile.dump(playbook(hosts),
                                            default_flow_style=False))
    runner = ansible.run_playbook(
        path, inventory_path, os.path.join(config_dir, 'ffu-run', 'runner'),
        ssh_key=ssh_key, ident='node-prep',
        host_key_checking=host_key_checking)
    if runner.rc == 0:
        return
    stats = runner.stats or {}
    unreachable = sorted(stats.get('dark') or {})
    if unreachable:
        raise WorkflowError(login_failed(unreachable, ssh_user, ssh_key,
                                         _unreachable_message(runner)))
    raise WorkflowError('node preparation failed on %s; see %s' % (
        ', '.join(sorted(stats.get('failures') or {})) or 'the overcloud',
        os.path.join(runner.config.artifact_dir, 'stdout')))


def _unreachable_message(runner):
    """What ssh said for a node it could not reach: the first message
    from ssh, in the order Ansible reported them (a looped task says it
    per item).

    Ansible writes the module to ssh's stdin; when ssh has already quit
    (a refused login), that write may fail first and the item says only
    Ansible's own "[Errno 32] Broken pipe": ssh's words, from another
    item or node, are preferred to it.
    """
    said = []
    for event in runner.events:
        if event.get('event') == 'runner_on_unreachable':
            result = (event.get('event_data') or {}).get('res') or {}
            for item in [result] + list(result.get('results') or []):
                message = str((item or {}).get('msg') or '').strip()
                if message and item.get('unreachable', True) and \
                        message != 'All items completed':
                    said.append(message.splitlines()[-1][:300])
    from_ssh = [line for line in said if not ANSIBLE_OS_ERROR.search(line)]
    return (from_ssh or said or ['unreachable'])[0]


def login_failed(hosts, ssh_user, ssh_key, said,
                 options='--overcloud-ssh-user and --overcloud-ssh-key'):
    """A failed login, with the user and key tried and how to give others."""
    key = ('key %s' % os.path.abspath(ssh_key) if ssh_key else
           'no key given (ssh tried its default keys and agent)')
    return ('cannot log in to %s as %s with %s: %s. Give the user and key '
            'the nodes accept with %s' % (
                ', '.join(hosts), ssh_user or 'the inventory\'s user', key,
                said.rstrip('.'), options))
