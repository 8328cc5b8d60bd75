"""The lab-node commands THT 8.4's keystone-only upgrade runs: each acts on
the node's tree ($LAB_NODE_ROOT), never on this machine."""

import getpass
import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.unit.test_lab_standins import _lab_node
from tripleo_ffu_lab import standins

COMMANDS = ('yum', 'rpm', 'yumdownloader', 'pgrep', 'ntpdate', 'httpd',
            'os-net-config', 'docker', 'lab-become')


def _tree(parent, release='queens', installed=None):
    """A node whose repositories are at release, with packages installed
    ({name: release})."""
    root = parent / 'overcloud-controller-0'
    (root / 'etc/yum.repos.d').mkdir(parents=True)
    (root / 'etc/yum.repos.d/release').write_text(release + '\n')
    (root / 'var/lib/rpm').mkdir(parents=True)
    for name, at in (installed or {}).items():
        (root / 'var/lib/rpm' / name).write_text(at + '\n')
    return root


def _log(root, name):
    return (root / 'var/log/lab' / name).read_text()


def test_every_command_is_a_link_to_lab_node():
    for name in COMMANDS:
        path = os.path.join(standins.BIN, name)
        assert os.readlink(path) == 'lab-node', name


def test_yum_update_takes_the_globs_to_the_repositories_release(tmp_path):
    root = _tree(tmp_path, installed={
        'openstack-keystone': 'pike', 'python-keystone': 'pike',
        'os-net-config': 'pike'})
    result = _lab_node(root, 'yum', '-y', 'update', 'openstack-keystone*')
    assert result.returncode == 0, result.stderr
    assert 'openstack-keystone' in result.stdout
    assert (root / 'var/lib/rpm/openstack-keystone').read_text() == \
        'queens\n'
    assert (root / 'var/lib/rpm/python-keystone').read_text() == 'pike\n'
    assert _lab_node(root, 'yum', '-y', 'update').returncode == 0
    assert (root / 'var/lib/rpm/os-net-config').read_text() == 'queens\n'
    again = _lab_node(root, 'yum', '-y', 'update')
    assert 'No packages marked for update' in again.stdout
    assert 'update' in _log(root, 'yum.log')


def test_yum_install_and_housekeeping(tmp_path):
    root = _tree(tmp_path, installed={'jq': 'pike'})
    assert _lab_node(root, 'yum', '-y', 'install', 'ntpdate', 'jq'
                     ).returncode == 0
    assert (root / 'var/lib/rpm/ntpdate').read_text() == 'queens\n'
    assert (root / 'var/lib/rpm/jq').read_text() == 'queens\n'
    for args in (('makecache',), ('clean', 'all')):
        assert _lab_node(root, 'yum', *args).returncode == 0


def test_yum_check_upgrade_as_thts_os_net_config_check(tmp_path):
    root = _tree(tmp_path, installed={'os-net-config': 'pike',
                                      'jq': 'queens'})
    result = _lab_node(root, 'yum', 'check-upgrade')
    assert result.returncode == 100
    assert result.stdout.split() == ['os-net-config.noarch', 'queens', 'lab']
    shell = subprocess.run(
        "yum check-upgrade | awk '/os-net-config/{print}'", shell=True,
        capture_output=True, text=True,
        env=dict(os.environ, PATH=standins.PATH, LAB_NODE_ROOT=str(root)))
    assert shell.stdout.split() == ['os-net-config.noarch', 'queens', 'lab']
    (root / 'var/lib/rpm/os-net-config').write_text('queens\n')
    result = _lab_node(root, 'yum', 'check-upgrade')
    assert (result.returncode, result.stdout) == (0, '')


def test_yum_check_update_of_named_packages(tmp_path):
    root = _tree(tmp_path, installed={'docker': 'pike', 'jq': 'pike'})
    result = _lab_node(root, 'yum', 'check-update', 'docker')
    assert result.returncode == 100
    assert result.stdout.split() == ['docker.noarch', 'queens', 'lab']
    assert _lab_node(root, 'yum', 'check-update', 'ceph*').returncode == 0


def test_systemctl_show_and_quiet_checks(tmp_path):
    """As THT's validations and checks ask: `systemctl show 'haproxy'
    --property ActiveState | grep '\\bactive\\b'`, `systemctl is-active
    --quiet httpd`."""
    root = _tree(tmp_path)
    (root / 'run/services').mkdir(parents=True)
    (root / 'run/services/haproxy').write_text('running\n')
    (root / 'run/services/httpd').write_text('stopped\n')
    result = _lab_node(root, 'systemctl', 'show', 'haproxy', '--property',
                       'ActiveState')
    assert (result.returncode, result.stdout) == (0, 'ActiveState=active\n')
    assert _lab_node(root, 'systemctl', 'show', 'httpd',
                     '--property=ActiveState,SubState').stdout == \
        'ActiveState=inactive\nSubState=dead\n'
    assert 'UnitFileState=disabled\n' in _lab_node(
        root, 'systemctl', 'show', 'httpd').stdout
    result = _lab_node(root, 'systemctl', 'is-active', '--quiet', 'httpd')
    assert (result.returncode, result.stdout) == (3, '')
    result = _lab_node(root, 'systemctl', 'is-enabled', '-q', 'haproxy')
    assert (result.returncode, result.stdout) == (1, '')
    assert (root / 'run/services/haproxy').read_text() == 'running\n'


def test_yum_without_repositories_fails(tmp_path):
    root = _tree(tmp_path)
    (root / 'etc/yum.repos.d/release').unlink()
    result = _lab_node(root, 'yum', '-y', 'update')
    assert result.returncode == 1
    assert 'etc/yum.repos.d/release' in result.stderr


def test_rpm_queries(tmp_path):
    root = _tree(tmp_path, installed={'openvswitch': 'pike', 'jq': 'pike'})
    assert _lab_node(root, 'rpm', '-qa').stdout == \
        'jq-pike\nopenvswitch-pike\n'
    result = _lab_node(root, 'rpm', '-q', 'openvswitch')
    assert (result.returncode, result.stdout) == (0, 'openvswitch-pike\n')
    result = _lab_node(root, 'rpm', '-q', 'ceph-osd')
    assert (result.returncode, result.stdout) == (
        1, 'package ceph-osd is not installed\n')
    result = _lab_node(root, 'rpm', '-q', '--scripts', 'openvswitch')
    assert (result.returncode, result.stdout) == (0, '')
    assert _lab_node(root, 'rpm', '-q', '--scripts', 'ceph-osd'
                     ).returncode == 1


def test_yumdownloader_and_rpm_upgrade_as_thts_ovs_upgrade(tmp_path):
    root = _tree(tmp_path, installed={'openvswitch': 'pike'})
    result = _lab_node(root, 'yumdownloader', '--destdir',
                       '/root/OVS_UPGRADE', '--resolve', 'openvswitch')
    assert result.returncode == 0, result.stderr
    rpm = root / 'root/OVS_UPGRADE/openvswitch-queens.noarch.rpm'
    assert rpm.is_file()
    result = _lab_node(root, 'rpm', '-U', '--replacepkgs', '--notriggerun',
                       '--nopostun', str(rpm))
    assert result.returncode == 0, result.stderr
    assert str(rpm) in _log(root, 'rpm.log')
    missing = _lab_node(root, 'rpm', '-U', '/root/OVS_UPGRADE/none.rpm')
    assert missing.returncode == 1
    assert 'none.rpm' in missing.stderr


def test_pgrep_finds_running_services(tmp_path):
    root = _tree(tmp_path)
    (root / 'run/services').mkdir(parents=True)
    (root / 'run/services/httpd').write_text('running\n')
    (root / 'run/services/ceph-osd').write_text('stopped\n')
    result = _lab_node(root, 'pgrep', '-x', 'httpd')
    assert (result.returncode, result.stdout) == (0, '')
    (root / 'run/services/epmd').write_text('running\n')
    result = _lab_node(root, 'pgrep', 'epmd', '--ns', '1', '--nslist', 'pid')
    assert (result.returncode, result.stdout) == (0, '')
    for name in ('ceph-osd', 'mariadb'):
        result = _lab_node(root, 'pgrep', '-x', name)
        assert (result.returncode, result.stdout) == (1, '')


def test_ntpdate_records(tmp_path):
    root = _tree(tmp_path)
    result = _lab_node(root, 'ntpdate', '-u', '0.pool.ntp.org',
                       '1.pool.ntp.org')
    assert result.returncode == 0, result.stderr
    assert '0.pool.ntp.org 1.pool.ntp.org' in _log(root, 'ntpdate.log')
    assert _lab_node(root, 'ntpdate', '-u').returncode == 1


def test_httpd_dumps_the_vhosts_of_the_tree(tmp_path):
    root = _tree(tmp_path)
    conf = root / 'etc/httpd/conf.d'
    conf.mkdir(parents=True)
    (conf / '10-keystone_wsgi_admin.conf').write_text(
        '<VirtualHost *:35357>\n  ServerName x\n</VirtualHost>\n')
    (conf / '10-keystone_wsgi_main.conf').write_text(
        '# main\n<VirtualHost 172.16.2.5:5000>\n</VirtualHost>\n')
    (conf / 'README').write_text('<VirtualHost *:1>\n')
    result = _lab_node(root, 'httpd', '-t', '-D', 'DUMP_VHOSTS')
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == 'VirtualHost configuration:'
    assert lines[1].split()[0] == '*:35357'
    assert lines[1].endswith(
        '(/etc/httpd/conf.d/10-keystone_wsgi_admin.conf:1)')
    assert lines[2].split()[0] == '172.16.2.5:5000'
    assert lines[2].endswith('10-keystone_wsgi_main.conf:2)')
    assert len(lines) == 3
    shell = 'httpd -t -D DUMP_VHOSTS | grep -q keystone_wsgi'
    env = dict(os.environ, PATH=standins.PATH, LAB_NODE_ROOT=str(root))
    assert subprocess.run(shell, shell=True, env=env).returncode == 0
    for path in conf.iterdir():
        path.unlink()
    assert subprocess.run(shell, shell=True, env=env).returncode == 1


def test_os_net_config_needs_its_config(tmp_path):
    root = _tree(tmp_path)
    args = ('os-net-config', '--no-activate', '-c',
            '/etc/os-net-config/config.json', '-v', '--detailed-exit-codes')
    result = _lab_node(root, *args)
    assert result.returncode == 1
    assert '/etc/os-net-config/config.json' in result.stderr
    (root / 'etc/os-net-config').mkdir(parents=True)
    (root / 'etc/os-net-config/config.json').write_text('{}')
    assert _lab_node(root, *args).returncode == 0
    assert 'config.json' in _log(root, 'os-net-config.log')


def test_docker_exec_and_ps_on_the_lab_containers(tmp_path):
    root = _tree(tmp_path)
    result = _lab_node(root, 'docker', 'exec', '-u', 'root', 'mysql',
                       'mysql_upgrade')
    assert (result.returncode, result.stderr) == (
        1, 'Error: No such container: mysql\n')
    (root / 'var/lib/lab/containers').mkdir(parents=True)
    for name in ('mysql', 'keystone'):
        (root / 'var/lib/lab/containers' / name).write_text('step\n')
    result = _lab_node(root, 'docker', 'exec', '-u', 'root', 'mysql',
                       'mysql_upgrade')
    assert result.returncode == 0, result.stderr
    assert 'exec -u root mysql mysql_upgrade' in _log(root, 'docker.log')
    assert _lab_node(root, 'docker', 'ps', '-q').stdout == \
        'keystone\nmysql\n'
    listed = _lab_node(root, 'docker', 'ps').stdout.splitlines()
    assert len(listed) == 3 and listed[2].endswith('mysql')
    assert _lab_node(root, 'docker', 'ps', '-q', '-f', 'name=key').stdout \
        == 'keystone\n'
    assert _lab_node(root, 'docker', 'ps', '-a', '-q', '-f',
                     'ancestor=image').stdout == ''
    assert _lab_node(root, 'docker', 'rmi', '-f', 'image').returncode == 0
    assert 'rmi -f image' in _log(root, 'docker.log')


def test_lab_become_runs_the_command_as_is_without_a_node_root(tmp_path):
    """As Ansible 2.9's sudo become plugin calls sudo: its success marker
    comes through, and no LAB_NODE_ROOT is needed."""
    env = {key: value for key, value in os.environ.items()
           if key != 'LAB_NODE_ROOT'}
    for options in (['-H', '-S', '-n', '-u', 'root'],
                    ['-H', '-S', '-p', '[sudo via ansible, key=x] password:',
                     '-u', 'root'],
                    ['-HSn', '--user=root', '--'],
                    ['--user', 'root']):
        result = subprocess.run(
            [os.path.join(standins.BIN, 'lab-become')] + options +
            ['/bin/sh', '-c', 'echo BECOME-SUCCESS-abc ; echo "$0" ran'],
            capture_output=True, text=True, env=env, cwd=str(tmp_path),
            stdin=subprocess.DEVNULL)
        assert (result.returncode, result.stdout) == (
            0, 'BECOME-SUCCESS-abc\n/bin/sh ran\n'), options
    result = subprocess.run(
        [os.path.join(standins.BIN, 'lab-become'), '-u', 'root'],
        capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert 'no command' in result.stderr


@pytest.mark.parametrize('password', [None, 'not-asked'])
def test_lab_become_as_ansibles_become_exe(tmp_path, password):
    """The real ansible-playbook becomes another user (nobody: so that it
    does even when the tests run as root) through lab-become, with and
    without a become password."""
    (tmp_path / 'playbook.yaml').write_text(yaml.safe_dump([{
        'hosts': 'all', 'gather_facts': False, 'become': True,
        'tasks': [{'command': 'id -un', 'register': 'who'},
                  {'copy': {'content': '{{ who.stdout }}',
                            'dest': str(tmp_path / 'who')},
                   'become': False}]}]))
    extra = ['-e', 'ansible_become_password=' + password] if password \
        else []
    env = {key: value for key, value in os.environ.items()
           if key != 'LAB_NODE_ROOT'}
    env.update(ANSIBLE_BECOME_EXE=os.path.join(standins.BIN, 'lab-become'),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'),
               ANSIBLE_REMOTE_TEMP=str(tmp_path / 'remote'),
               ANSIBLE_ALLOW_WORLD_READABLE_TMPFILES='true',
               ANSIBLE_RETRY_FILES_ENABLED='False')
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
         '-vvv', '-i', 'localhost,', '-c', 'local',
         '-e', 'ansible_python_interpreter=' + sys.executable,
         '-e', 'ansible_become_user=nobody'] + extra +
        [str(tmp_path / 'playbook.yaml')],
        capture_output=True, text=True, env=env, cwd=str(tmp_path),
        stdin=subprocess.DEVNULL, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert 'lab-become -H -S' in result.stdout
    assert (tmp_path / 'who').read_text() == getpass.getuser()


def test_lab_node_mysql_databases_and_users(tmp_path):
    root = _tree(tmp_path)

    def mysql(*args):
        result = _lab_node(root, 'lab-node', 'mysql', *args)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)['changed']

    assert mysql('db', 'nova_cell0', 'present') is True
    assert (root / 'var/lib/mysql/nova_cell0.schema').read_text() == \
        'created\n'
    (root / 'var/lib/mysql/nova_cell0.schema').write_text('pike\n')
    assert mysql('db', 'nova_cell0', 'present') is False
    assert (root / 'var/lib/mysql/nova_cell0.schema').read_text() == \
        'pike\n'
    assert mysql('db', 'nova_cell0', 'dump') is False
    assert mysql('db', 'nova_cell0', 'absent') is True
    assert not (root / 'var/lib/mysql/nova_cell0.schema').exists()
    priv = 'nova.*:ALL/nova_cell0.*:ALL,GRANT'
    assert mysql('user', 'nova', 'present', priv) is True
    assert (root / 'var/lib/mysql/users/nova').read_text() == priv + '\n'
    assert mysql('user', 'nova', 'present', '-') is False
    assert (root / 'var/lib/mysql/users/nova').read_text() == priv + '\n'
    assert mysql('user', 'nova', 'absent') is True
    assert not (root / 'var/lib/mysql/users/nova').exists()
    assert 'user nova absent' in _log(root, 'mysql.log')


def test_lab_node_mount_never_mounts(tmp_path):
    root = _tree(tmp_path)

    def mount(state):
        result = _lab_node(root, 'lab-node', 'mount', state,
                           '/var/lib/nova/instances', 'nfs:/share', 'nfs4',
                           '_netdev,bg', '/etc/fstab')
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)['changed']

    (root / 'etc/fstab').write_text('/dev/vda1 / xfs defaults 0 0\n')
    record = root / 'var/lib/lab/mounts/var-lib-nova-instances'
    assert mount('mounted') is True
    entry = 'nfs:/share /var/lib/nova/instances nfs4 _netdev,bg 0 0\n'
    assert (root / 'etc/fstab').read_text() == \
        '/dev/vda1 / xfs defaults 0 0\n' + entry
    assert record.read_text() == entry
    assert (root / 'var/lib/nova/instances').is_dir()
    assert not os.path.ismount(str(root / 'var/lib/nova/instances'))
    assert mount('mounted') is False
    assert mount('unmounted') is True
    assert not record.exists()
    assert (root / 'etc/fstab').read_text().endswith(entry)
    assert mount('absent') is True
    assert (root / 'etc/fstab').read_text() == \
        '/dev/vda1 / xfs defaults 0 0\n'
