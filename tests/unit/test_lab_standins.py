"""The lab's stand-ins: path rewriting, the lab-node command, and the
action plugins and roles run by the real ansible-playbook 2.9."""

import json
import os
import subprocess
import sys

import pytest
import yaml

from tripleo_ffu_lab import standins

ROOT = '/srv/lab/nodes/overcloud-controller-0'
# What THT's playbooks would create or change on a real node: none may
# appear on this machine when they run on a lab node.
SYSTEM_PATHS = ('/root/.ffu_workaround', '/var/lib/docker-puppet',
                '/var/lib/tripleo-config', '/etc/puppet/hieradata',
                '/var/lib/heat-config', '/var/lib/lab', '/var/log/lab',
                '/opt/puppetlabs', '/var/lib/config-data',
                '/etc/systemd/system/multi-user.target.wants/'
                'os-collect-config.service')


def test_in_tree_moves_absolute_paths_under_the_root():
    assert standins.in_tree('/var/lib/x', ROOT) == ROOT + '/var/lib/x'
    assert standins.in_tree(ROOT + '/etc/x', ROOT) == ROOT + '/etc/x'
    assert standins.in_tree(ROOT, ROOT) == ROOT
    assert standins.in_tree('relative/x', ROOT) == 'relative/x'
    assert standins.in_tree(None, ROOT) is None


def test_rewrite_paths_takes_lists_and_find_paths():
    args = {'path': '/etc/a', 'paths': '/etc/b,/etc/c', 'state': 'directory',
            'dest': ['/x', 'y']}
    assert standins.rewrite_paths(args, ('path', 'paths', 'dest'), ROOT) == {
        'path': ROOT + '/etc/a', 'paths': [ROOT + '/etc/b', ROOT + '/etc/c'],
        'state': 'directory', 'dest': [ROOT + '/x', 'y']}
    assert args['path'] == '/etc/a'


def test_rewrite_paths_drops_a_real_nodes_owner_and_group():
    args = {'path': '/var/lib/nova/upgrade_marker', 'state': 'touch',
            'owner': 'nova', 'group': 'nova', 'mode': '0600'}
    assert standins.rewrite_paths(args, ('path',), ROOT) == {
        'path': ROOT + '/var/lib/nova/upgrade_marker', 'state': 'touch',
        'mode': '0600'}


def test_rewrite_command_moves_the_paths_of_thts_workaround():
    script = ('#!/bin/bash\n'
              'if [ ! -f /root/.ffu_workaround ]; then\n'
              '  touch /root/.ffu_workaround\n'
              '  rm -r /var/lib/os-collect-config/* 2>/dev/null\n'
              'fi\n')
    assert standins.rewrite_command(script, ROOT) == (
        '#!/bin/bash\n'
        'if [ ! -f %(r)s/root/.ffu_workaround ]; then\n'
        '  touch %(r)s/root/.ffu_workaround\n'
        '  rm -r %(r)s/var/lib/os-collect-config/* 2>/dev/null\n'
        'fi\n' % {'r': ROOT})


@pytest.mark.parametrize('command,expected', [
    ('hiera -c /etc/puppet/hiera.yaml bootstrap_nodeid',
     'hiera -c %s/etc/puppet/hiera.yaml bootstrap_nodeid' % ROOT),
    ('paunch apply --file=/var/lib/x.json', 'paunch apply --file=%s/var/lib/'
     'x.json' % ROOT),
    ("grep -vx queens %s/var/lib/rpm/os-net-config || true" % ROOT,
     "grep -vx queens %s/var/lib/rpm/os-net-config || true" % ROOT),
    ('cat "/etc/a b" >/dev/null', 'cat "%s/etc/a b" >/dev/null' % ROOT),
    ('curl http://example.invalid/x', 'curl http://example.invalid/x'),
    ('%s/hiera x' % standins.BIN, '%s/hiera x' % standins.BIN),
    ("/usr/bin/systemctl show 'haproxy' --property ActiveState",
     "%s/systemctl show 'haproxy' --property ActiveState" % standins.BIN),
    ('/sbin/pgrep -x x; /usr/local/bin/pgrep', '%s/pgrep -x x; %s/usr/'
     'local/bin/pgrep' % (standins.BIN, ROOT)),
    ('/usr/bin/lab-node x; /usr/bin/perl', '%s/usr/bin/lab-node x; %s/usr/'
     'bin/perl' % (ROOT, ROOT)),
    ('/usr/bin/lab-db x; /bin/bash -ecx "y"', "%s/usr/bin/lab-db x; %s/bash "
     '-ecx "y"' % (ROOT, standins.BIN)),
    # THT's awk patterns are not paths.
    ("yum check-upgrade | awk '/os-net-config/{print}'",
     "yum check-upgrade | awk '/os-net-config/{print}'"),
    ("""rpm -qa | awk -F- '/^openvswitch-2/{print $2 "-" $3}'""",
     """rpm -qa | awk -F- '/^openvswitch-2/{print $2 "-" $3}'"""),
    ("rpm -q --scripts openvswitch | awk '/postuninstall/,/*/' | grep -q x",
     "rpm -q --scripts openvswitch | awk '/postuninstall/,/*/' | grep -q x"),
])
def test_rewrite_command(command, expected):
    assert standins.rewrite_command(command, ROOT) == expected


def test_rewrite_command_quotes_a_root_that_needs_it():
    assert standins.rewrite_command('ls /etc', '/srv/a b') == \
        "ls '/srv/a b'/etc"


def _lab_node(root, *args, env=None):
    return subprocess.run(
        [os.path.join(standins.BIN, args[0])] + list(args[1:]),
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
        env=dict(os.environ, LAB_NODE_ROOT=str(root), **(env or {})))


def _tree(parent, name='overcloud-controller-1'):
    """A lab node's tree, as far as these tests need one."""
    root = parent / name
    (root / 'etc/puppet/hieradata').mkdir(parents=True)
    (root / 'etc/puppet/hieradata/bootstrap_node.json').write_text(
        json.dumps({'bootstrap_nodeid': 'overcloud-controller-0'}))
    (root / 'etc/yum.repos.d').mkdir(parents=True)
    (root / 'etc/yum.repos.d/release').write_text('pike\n')
    (root / 'var/lib/rpm').mkdir(parents=True)
    (root / 'var/lib/rpm/os-collect-config').write_text('newton\n')
    (root / 'root').mkdir()
    return root


def test_lab_node_hiera(tmp_path):
    root = _tree(tmp_path)
    result = _lab_node(root, 'hiera', '-c', '/etc/puppet/hiera.yaml',
                       'bootstrap_nodeid')
    assert (result.returncode, result.stdout) == (
        0, 'overcloud-controller-0\n')
    assert _lab_node(root, 'hiera', 'missing').stdout == 'nil\n'


def test_lab_node_packages_follow_the_repositories(tmp_path):
    root = _tree(tmp_path)
    result = _lab_node(root, 'lab-node', 'package', 'latest',
                       'os-collect-config', 'jq')
    assert json.loads(result.stdout)['changed'] is True
    assert (root / 'var/lib/rpm/os-collect-config').read_text() == 'pike\n'
    assert (root / 'var/lib/rpm/jq').read_text() == 'pike\n'
    again = _lab_node(root, 'lab-node', 'package', 'present', 'jq')
    assert json.loads(again.stdout)['changed'] is False
    _lab_node(root, 'lab-node', 'package', 'absent', 'jq')
    assert not (root / 'var/lib/rpm/jq').exists()


def test_lab_node_services(tmp_path):
    root = _tree(tmp_path)
    assert _lab_node(root, 'systemctl', 'stop', 'os-collect-config'
                     ).returncode == 0
    assert (root / 'run/services/os-collect-config').read_text() == \
        'stopped\n'
    assert _lab_node(root, 'systemctl', 'is-active', 'os-collect-config'
                     ).returncode == 3
    result = json.loads(_lab_node(root, 'lab-node', 'service',
                                  'os-collect-config', 'started', 'yes'
                                  ).stdout)
    assert result == {'changed': True, 'name': 'os-collect-config',
                      'state': 'started', 'enabled': True}
    assert (root / 'etc/systemd/system/multi-user.target.wants/'
                   'os-collect-config.service').exists()


def test_lab_node_docker_puppet_and_paunch(tmp_path):
    root = _tree(tmp_path)
    configs = root / 'var/lib/tripleo-config'
    configs.mkdir(parents=True)
    (configs / 'docker-container-startup-config-step_1.json').write_text(
        json.dumps({'keystone': {'image': 'keystone'}}))
    (root / 'var/lib/docker-puppet').mkdir(parents=True)
    (root / 'var/lib/docker-puppet/docker-puppet.json').write_text(
        json.dumps([{'config_volume': 'keystone'}]))
    result = _lab_node(root, 'python', str(root / 'var/lib/docker-puppet/'
                                                  'docker-puppet.py'))
    assert result.returncode == 0, result.stderr
    assert (root / 'var/lib/config-data/keystone/lab').exists()
    result = _lab_node(root, 'paunch', '--debug', 'apply', '--file',
                       str(configs / 'hashed-docker-container-startup-'
                                     'config-step_1.json'),
                       '--config-id', 'tripleo_step1')
    assert result.returncode == 0, result.stderr
    assert (root / 'var/lib/lab/containers/keystone').read_text() == \
        'tripleo_step1\n'


def test_lab_node_refuses_without_a_node_tree(tmp_path):
    result = _lab_node('', 'hiera', 'bootstrap_nodeid')
    assert result.returncode == 1
    assert 'LAB_NODE_ROOT' in result.stderr


PLAYBOOK = [{
    'hosts': 'overcloud',
    'tasks': [
        # Fact gathering first: it loads the lab's plugins module, which
        # must not let Ansible's own command action shadow the lab's.
        {'name': 'get bootstrap nodeid',
         'command': 'hiera -c /etc/puppet/hiera.yaml bootstrap_nodeid',
         'register': 'bootstrap_node'},
        {'set_fact': {'is_bootstrap_node': '{{ bootstrap_node.stdout|lower '
                                           '== ansible_hostname|lower }}'}},
        {'shell': '#!/bin/bash\nif [ ! -f /root/.ffu_workaround ]; then\n'
                  '  touch /root/.ffu_workaround\n'
                  '  systemctl stop os-collect-config\nfi\n'},
        {'file': 'path=/var/lib/docker-puppet state=directory '
                 'setype=svirt_sandbox_file_t selevel=s0 recurse=true'},
        {'copy': 'content=x dest=/var/lib/docker-puppet/docker-puppet.py '
                 'force=yes mode=0600'},
        {'copy': {'src': '/var/lib/docker-puppet/docker-puppet.py',
                  'dest': '/var/lib/docker-puppet/copy.py',
                  'remote_src': True}},
        {'stat': {'path': '/var/lib/docker-puppet/copy.py'},
         'register': 'copied'},
        {'slurp': {'src': '/var/lib/docker-puppet/copy.py'},
         'register': 'slurped'},
        {'find': {'paths': '/var/lib/docker-puppet', 'patterns': '*.py'},
         'register': 'found'},
        {'synchronize': {'src': '/var/lib/docker-puppet/',
                         'dest': '/var/lib/container-puppet/'},
         'delegate_to': '{{ inventory_hostname }}'},
        {'yum': 'name=os-collect-config state=latest'},
        {'service': 'name=os-collect-config state=started enabled=yes'},
        {'systemd': {'name': 'sshd', 'state': 'stopped'}},
        {'copy': {'content': '{{ ansible_hostname }} {{ is_bootstrap_node }}'
                             ' {{ copied.stat.exists }} {{ slurped.content |'
                             ' b64decode }} {{ found.matched }}',
                  'dest': '/root/facts'}},
    ],
    'roles': ['tripleo-bootstrap', 'tripleo-ssh-known-hosts'],
}, {
    'hosts': 'undercloud',
    'gather_facts': False,
    'tasks': [{'copy': {'content': 'real', 'dest': '{{ undercloud_file }}'}}],
}]


def _run_playbook(tmp_path, inventory, playbook, *options, timeout=300):
    """The real ansible-playbook with the lab's plugins and roles, in
    tmp_path; it must succeed. Its completed process."""
    (tmp_path / 'inventory.yaml').write_text(yaml.safe_dump(inventory))
    (tmp_path / 'playbook.yaml').write_text(yaml.safe_dump(playbook))
    env = dict(os.environ, ANSIBLE_RETRY_FILES_ENABLED='False',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'),
               **standins.ansible_environment())
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')]
        + list(options) + ['-i', str(tmp_path / 'inventory.yaml'),
                           str(tmp_path / 'playbook.yaml')],
        capture_output=True, text=True, env=env, cwd=str(tmp_path),
        stdin=subprocess.DEVNULL, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    return result


def test_thts_actions_stay_in_the_node_trees(tmp_path):
    """The real ansible-playbook with the lab's plugins and roles, on two
    lab nodes (local connection) and an undercloud host."""
    before = [path for path in SYSTEM_PATHS if os.path.lexists(path)]
    nodes = {name: _tree(tmp_path / 'nodes', name)
             for name in ('overcloud-controller-0', 'overcloud-controller-1')}
    undercloud_file = tmp_path / 'undercloud-file'
    inventory = {'all': {'children': {
        'overcloud': {'hosts': {
            name: {'lab_node_root': str(root)}
            for name, root in nodes.items()}},
        'undercloud': {'hosts': {'localhost': {
            'undercloud_file': str(undercloud_file)}}},
    }, 'vars': {'ansible_connection': 'local',
                'ansible_python_interpreter': sys.executable,
                'ssh_known_hosts': {'overcloud-controller-0': '127.0.0.1,'
                                    'overcloud-controller-0'}}}}
    _run_playbook(tmp_path, inventory, PLAYBOOK)
    assert [path for path in SYSTEM_PATHS if os.path.lexists(path)] == before
    assert undercloud_file.read_text() == 'real'
    for name, root in nodes.items():
        bootstrap = name == 'overcloud-controller-0'
        assert (root / 'root/facts').read_text() == \
            '%s %s True x 2' % (name, bootstrap)
        assert (root / 'root/.ffu_workaround').exists()
        assert (root / 'var/lib/container-puppet/copy.py').exists()
        assert (root / 'var/lib/rpm/os-collect-config').read_text() == \
            'pike\n'
        assert (root / 'run/services/os-collect-config').read_text() == \
            'running\n'
        assert (root / 'run/services/sshd').read_text() == 'stopped\n'
        assert (root / 'var/lib/rpm/jq').read_text() == 'pike\n'
        assert (root / 'var/lib/heat-config/tripleo-config-download'
                ).is_dir()
        assert (root / 'etc/ssh/ssh_known_hosts').read_text() == \
            '127.0.0.1,overcloud-controller-0\n'
