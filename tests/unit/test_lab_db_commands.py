"""The database commands THT 8.4's tasks of the HA overcloud run
(bin/lab-db): each db sync in the overcloud's one journal, nova's cells,
cinder's services, and MySQL's upgrade script from the host, all in the
node's tree, never on this machine."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.unit import tht_tasks
from tests.unit.test_lab_cluster import NODES
from tests.unit.test_lab_cluster import _resolved
from tests.unit.test_lab_cluster import lab  # noqa: F401 (a fixture)
from tests.unit.test_lab_node_commands import _log
from tests.unit.test_lab_node_commands import _tree
from tests.unit.test_lab_standin_actions import _system_state
from tests.unit.test_lab_standins import _lab_node
from tests.unit.test_lab_standins import _run_playbook
from tripleo_ffu_lab import cluster
from tripleo_ffu_lab import dbsync
from tripleo_ffu_lab import standins
from tripleo_ffu.workflow.fixers import tests_as_filters

COMMANDS = ('keystone-manage', 'nova-manage', 'cinder-manage',
            'glance-manage', 'heat-manage', 'neutron-db-manage',
            'gnocchi-upgrade', 'aodh-dbsync', 'mysqld_safe', 'mysqladmin',
            'mysql_upgrade', 'chown', 'bash')
PACKAGES = {'openstack-keystone': 'ocata', 'python-nova': 'ocata',
            'openstack-cinder': 'ocata', 'openstack-glance': 'ocata',
            'openstack-heat-engine': 'ocata', 'openstack-neutron': 'ocata',
            'openstack-gnocchi-api': 'ocata', 'openstack-aodh-api': 'ocata',
            'mariadb-server-galera': 'pike'}
# THT 8.4's commands (cmds.txt of the plan) and the database each syncs.
SYNCS = (('keystone-manage db_sync', 'keystone'),
         ('glance-manage db_sync', 'glance'),
         ('heat-manage db_sync', 'heat'),
         ('neutron-db-manage upgrade head', 'ovs_neutron'),
         ('gnocchi-upgrade --skip-storage', 'gnocchi'),
         ('aodh-dbsync', 'aodh'), ('cinder-manage db sync', 'cinder'),
         ('nova-manage db sync', 'nova'),
         ('nova-manage api_db sync', 'nova_api'))


def _database(root):
    (root / 'run/services').mkdir(parents=True, exist_ok=True)
    (root / 'run/services/mariadb').write_text('running\n')


def _shell(root, text):
    """A task's shell text as the lab's command stand-in runs it."""
    return subprocess.run(standins.rewrite_command(text, str(root)),
                          shell=True, capture_output=True, text=True,
                          env=dict(os.environ,
                                   **standins.environment(str(root))))


@pytest.fixture
def controllers(tmp_path):
    """Two controllers of one cluster, controller-0 bootstraps."""
    roots = []
    for index in range(2):
        root = _tree(tmp_path / str(index), installed=PACKAGES)
        root = root.rename(tmp_path / ('overcloud-controller-%d' % index))
        roots.append(root)
    path = cluster.write_newton_cluster(
        str(tmp_path / 'pacemaker'),
        [(root.name, str(root)) for root in roots], ['127.0.2.254'])
    return roots, path


def test_every_command_is_a_link_to_lab_db():
    for name in COMMANDS:
        assert os.readlink(os.path.join(standins.BIN, name)) == 'lab-db'
        assert standins.lab_command('/usr/bin/' + name)


def test_each_sync_goes_in_the_clusters_one_journal(controllers):
    (first, second), cib = controllers
    journal = dbsync.journal_path(str(first), cib)
    assert journal == os.path.join(os.path.dirname(cib), dbsync.JOURNAL)
    for text, database in SYNCS:
        result = _shell(first, text)
        assert result.returncode == 0, (text, result.stderr)
        assert (first / 'var/lib/mysql' / (database + '.schema')
                ).read_text() == 'ocata\n'
    (second / 'var/lib/rpm/openstack-keystone').write_text('pike\n')
    assert _shell(second, 'keystone-manage db_sync').returncode == 0
    entries = dbsync.read(journal)
    assert [(entry['command'], entry['database'], entry['release'],
             entry['node']) for entry in entries] == [
        (text.replace(' --skip-storage', ''), database, 'ocata',
         'overcloud-controller-0') for text, database in SYNCS] + [
        ('keystone-manage db_sync', 'keystone', 'pike',
         'overcloud-controller-1')]
    assert all(entry['time'] for entry in entries)
    # Not a sync: recorded in the node's log only.
    assert _shell(first, 'nova-manage db online_data_migrations'
                  ).returncode == 0
    assert _shell(first, 'cinder-manage db online_data_migrations'
                  ).returncode == 0
    assert len(dbsync.read(journal)) == len(entries)
    assert 'online_data_migrations' in _log(first, 'nova-manage.log')


def test_a_sync_needs_the_database_and_the_package(tmp_path):
    root = _tree(tmp_path, installed={'openstack-glance': 'ocata'})
    (root / 'run/services').mkdir(parents=True)
    (root / 'run/services/mariadb').write_text('stopped\n')
    result = _lab_node(root, 'glance-manage', 'db_sync')
    assert result.returncode == 1
    assert "Can't connect to MySQL server" in result.stderr
    assert not (root / 'var/lib/mysql/glance.schema').exists()
    assert _lab_node(root, 'heat-manage', 'db_sync').returncode == 127
    (root / 'var/lib/lab/containers').mkdir(parents=True)
    (root / 'var/lib/lab/containers/galera-bundle-docker-0').write_text(
        'pacemaker\n')
    assert _lab_node(root, 'glance-manage', 'db_sync').returncode == 0
    # No cluster: the node's own journal.
    assert [entry['database'] for entry in dbsync.read(
        dbsync.journal_path(str(root)))] == ['glance']


def test_keystone_manage_db_sync_needs_a_database(tmp_path):
    root = _tree(tmp_path, installed={'openstack-keystone': 'ocata'})
    result = _lab_node(root, 'keystone-manage', 'db_sync')
    assert result.returncode == 1
    assert "Can't connect to MySQL server" in result.stderr
    assert not (root / 'var/lib/mysql/keystone.schema').exists()
    _database(root)
    assert _lab_node(root, 'keystone-manage', 'db_sync').returncode == 0
    assert (root / 'var/lib/mysql/keystone.schema').read_text() == \
        'ocata\n'
    (root / 'run/services/mariadb').write_text('stopped\n')
    (root / 'var/lib/rpm/openstack-keystone').write_text('pike\n')
    (root / 'var/lib/lab/containers').mkdir(parents=True)
    (root / 'var/lib/lab/containers/mysql').write_text('tripleo_step1\n')
    assert _lab_node(root, 'keystone-manage', '--config-file',
                     '/etc/keystone/keystone.conf', 'db_sync'
                     ).returncode == 0
    assert (root / 'var/lib/mysql/keystone.schema').read_text() == 'pike\n'
    assert _lab_node(root, 'keystone-manage', 'credential_setup'
                     ).returncode == 0
    assert 'credential_setup' in _log(root, 'keystone-manage.log')


def test_keystone_manage_without_keystone_is_not_found(tmp_path):
    result = _lab_node(_tree(tmp_path), 'keystone-manage', 'db_sync')
    assert result.returncode == 127


# THT 8.4's cell_v2 tasks (nova-api.yaml, FFU ocata step 7).
CREATE = ("nova-manage cell_v2 create_cell --name='default' "
          "--database_connection=$(hiera nova::database_connection)")
UUID = ("nova-manage cell_v2 list_cells | sed -e '1,3d' -e '$d' | "
        "%s -F ' *| *' '$2 == \"default\" {print $4}'")


@pytest.mark.parametrize('awk', ['gawk', 'mawk'])
def test_nova_cell_v2_as_thts_tasks_run_it(tmp_path, awk):
    if not shutil.which(awk):
        pytest.skip('no %s here' % awk)
    root = _tree(tmp_path, installed={'python-nova': 'ocata'})
    _database(root)
    (root / 'etc/puppet/hieradata').mkdir(parents=True)
    (root / 'etc/puppet/hieradata/nova.json').write_text(json.dumps(
        {'nova::database_connection': 'mysql+pymysql://nova:s3cret@'
         '192.0.2.1/nova'}))
    assert _shell(root, "nova-manage cell_v2 map_cell0 "
                  "--database_connection='mysql+pymysql://nova:s3cret@x/"
                  "nova_cell0'").returncode == 0
    created = _shell(root, CREATE)
    assert created.returncode == 0, created.stderr
    again = _shell(root, CREATE)
    assert again.returncode == 2
    uuid = _shell(root, UUID % awk)
    assert uuid.returncode == 0
    assert uuid.stdout.strip() == created.stdout.strip()
    for verb in ('discover_hosts', 'map_instances'):
        assert _shell(root, 'nova-manage cell_v2 %s --cell_uuid %s '
                      '--verbose' % (verb, uuid.stdout.strip())
                      ).returncode == 0
        assert _shell(root, 'nova-manage cell_v2 %s --cell_uuid '
                      % verb).returncode == 1
    assert 's3cret' not in _log(root, 'nova-manage.log')


def test_cinder_services_removed_as_thts_task_does(tmp_path):
    root = _tree(tmp_path, installed={'openstack-cinder': 'ocata'})
    text = ("cinder-manage service list |\\\n grep -v Binary | "
            "tr '@' ' ' |\\\n awk '{print $1 \" \" $2}' |\\\n while read "
            "i ; do cinder-manage service remove $i ; done\n")
    result = _shell(root, text)
    assert result.returncode == 0, result.stderr
    listed = _shell(root, 'cinder-manage service list')
    assert listed.stdout.splitlines()[0].split()[:2] == ['Binary', 'Host']
    assert len(listed.stdout.splitlines()) == 1
    assert 'service remove cinder-volume hostgroup' in _log(
        root, 'cinder-manage.log')


# THT 8.4's docker/services/pacemaker/database/mysql.yaml, upgrade step
# 3, not containerized: its mysql_upgrade_script as the set_fact makes it.
MYSQL_UPGRADE = (
    '/bin/bash -ecx " chown -R mysql:mysql /var/lib/mysql; mysqld_safe '
    '--user=mysql --wsrep-provider=none --skip-networking --wsrep-on=off '
    "& timeout 60 sh -c 'while ! mysqladmin ping --silent; do sleep 1; "
    "done'; mysql_upgrade; mysqladmin shutdown\"")


def test_mysql_upgrade_from_the_host_runs_in_the_tree(tmp_path):
    root = _tree(tmp_path, installed={'mariadb-server-galera': 'pike'})
    (root / 'var/lib/mysql').mkdir(parents=True)
    rewritten = standins.rewrite_command(MYSQL_UPGRADE, str(root))
    assert rewritten.startswith("'%s/bash' -ecx" % standins.BIN) or \
        rewritten.startswith('%s/bash -ecx' % standins.BIN)
    result = _shell(root, MYSQL_UPGRADE)
    assert result.returncode == 0, result.stderr
    assert (root / 'var/lib/mysql/mysql_upgrade_info').read_text() == \
        'pike\n'
    assert not (root / 'run/lab/mysqld_safe').exists()
    assert 'mysql:mysql %s/var/lib/mysql' % root in _log(root, 'chown.log')
    assert '--wsrep-on=off' in _log(root, 'mysqld_safe.log')
    assert 'shutdown' in _log(root, 'mysqladmin.log')


def test_mysqladmin_without_mysqld(tmp_path):
    root = _tree(tmp_path)
    assert _lab_node(root, 'mysqladmin', 'ping', '--silent').returncode == 1
    assert _lab_node(root, 'mysql_upgrade').returncode == 1
    assert _lab_node(root, 'mysqld_safe', '--user=mysql').returncode == 0
    alive = _lab_node(root, 'mysqladmin', 'ping')
    assert (alive.returncode, alive.stdout) == (0, 'mysqld is alive\n')


def _host_state():
    """What MySQL's upgrade script would change on this machine."""
    state = _system_state(('/var/lib/mysql/mysql_upgrade_info',
                           '/run/lab/mysqld_safe'))
    if os.path.exists('/var/lib/mysql'):
        info = os.stat('/var/lib/mysql')
        state['/var/lib/mysql'] = (info.st_uid, info.st_gid)
    return state


def _joined(value):
    """value with Heat's list_join of plain strings done (the upgrade
    script of mysql.yaml)."""
    if isinstance(value, list):
        return [_joined(item) for item in value]
    if isinstance(value, dict):
        if list(value) == ['list_join'] and all(
                isinstance(item, str) for item in value['list_join'][1]):
            separator, items = value['list_join']
            return separator.join(items)
        return {key: _joined(item) for key, item in value.items()}
    return value


def test_thts_mysql_upgrade_from_the_host(lab, tmp_path, monkeypatch):
    """THT 8.4's real mysql upgrade tasks, steps 0 and 3, not
    containerized, on a controller of a lab cluster: its /bin/bash
    script runs the lab's mysqld_safe, mysqladmin and mysql_upgrade in
    the node's tree."""
    roots, _ = lab
    root = roots[NODES[0]]
    relative = 'docker/services/pacemaker/database/mysql.yaml'
    tasks = _resolved(_joined(tht_tasks.sections(
        tht_tasks.tree(), relative)['upgrade_tasks']), 'mysql')
    tests_as_filters.TestsAsTests().fix(tasks, relative)
    monkeypatch.setenv('ANSIBLE_PIPELINING', 'True')
    inventory = {'all': {
        'children': {'Controller': {'hosts': {NODES[0]: {
            'lab_node_root': str(root), 'ansible_hostname': NODES[0]}}}},
        'vars': {'ansible_connection': 'local',
                 'ansible_python_interpreter': sys.executable}}}
    playbook = [{'hosts': 'Controller', 'gather_facts': False,
                 'vars': {'step': step}, 'tasks': tasks}
                for step in (0, 3)]
    (tmp_path / 'run').mkdir()
    before = _host_state()
    _run_playbook(tmp_path / 'run', inventory, playbook, timeout=600)
    assert _host_state() == before
    assert (root / 'var/lib/rpm/mariadb-server-galera').read_text() == \
        'pike\n'
    assert (root / 'var/lib/mysql/mysql_upgrade_info').read_text() == \
        'pike\n'
    assert not (root / 'run/lab/mysqld_safe').exists()
    assert '-ecx' in _log(root, 'bash.log')
    assert 'shutdown' in _log(root, 'mysqladmin.log')
