"""The lab's configuration writers."""

import configparser
import logging
import os
import shlex
import socket
import subprocess
import sys

import pytest

from tripleo_ffu_lab import control
from tripleo_ffu_lab import heat
from tripleo_ffu_lab import layout
from tripleo_ffu_lab import sshd
from tripleo_ffu_lab import standins


@pytest.fixture
def lab(tmp_path):
    lab = layout.Lab(str(tmp_path / 'lab'))
    lab.make_dirs()
    return lab


def _heat_conf(lab):
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(heat.config_text(lab, 8004, 3306, 's3cret'))
    return conf


def test_heat_conf_runs_api_and_engine_without_keystone(lab):
    conf = _heat_conf(lab)
    assert conf['heat_all']['enabled_services'] == 'api,engine'
    assert conf['paste_deploy']['flavor'] == 'noauth'
    assert conf['DEFAULT']['transport_url'] == 'fake://'
    assert conf['DEFAULT']['keystone_backend'] == heat.FAKE_KEYSTONE
    assert conf['DEFAULT']['deferred_auth_method'] == 'password'
    assert conf['DEFAULT']['convergence_engine'] == 'true'
    assert conf['oslo_policy']['enforce_new_defaults'] == 'false'


def test_heat_conf_listens_on_loopback_and_uses_mariadb(lab):
    conf = _heat_conf(lab)
    assert conf['heat_api']['bind_host'] == '127.0.0.1'
    assert conf['heat_api']['bind_port'] == '8004'
    assert conf['database']['connection'] == (
        'mysql+pymysql://heat:s3cret@127.0.0.1:3306/heat')


def test_heat_conf_has_threads_for_nested_stacks(lab):
    conf = _heat_conf(lab)
    assert int(conf['DEFAULT']['executor_thread_pool_size']) >= 1000


def test_heat_files_live_in_the_lab_dir(lab):
    conf = _heat_conf(lab)
    for path in (conf['paste_deploy']['api_paste_config'],
                 conf['noauth']['token_response'],
                 conf['oslo_concurrency']['lock_path']):
        assert path.startswith(lab.root + os.sep)


def test_token_response_lists_heat_endpoint_for_every_interface():
    token = heat.token_response(8004)['token']
    orchestration = [entry for entry in token['catalog']
                     if entry['type'] == 'orchestration'][0]
    assert sorted(e['interface'] for e in orchestration['endpoints']) == [
        'admin', 'internal', 'public']
    assert {e['url'] for e in orchestration['endpoints']} == {
        'http://127.0.0.1:8004/v1/admin'}
    assert token['expires_at'] > token['issued_at']
    assert [role['name'] for role in token['roles']] == ['admin']


def test_sshd_config_is_key_only_on_loopback(lab):
    sshd.ensure_keys(lab)
    assert sshd.write_config(lab, 2222)
    assert not sshd.write_config(lab, 2222)
    path = lab.path('ssh', 'sshd_config')
    with open(path) as config:
        lines = set(config.read().splitlines())
    assert {'Port 2222', 'ListenAddress 127.0.0.1',
            'PasswordAuthentication no', 'PubkeyAuthentication yes',
            'KbdInteractiveAuthentication no'} <= lines
    assert oct(os.stat(path).st_mode & 0o777) == '0o600'
    if not os.path.exists(sshd.SSHD):
        pytest.skip('%s is not installed yet: tripleo-ffu-lab up '
                    'installs openssh-server' % sshd.SSHD)
    sshd.check_config(path)


def test_authorized_key_is_the_lab_key(lab):
    sshd.ensure_keys(lab)
    with open(lab.ssh_key + '.pub') as pub, \
            open(lab.path('ssh', 'authorized_keys')) as authorized:
        assert pub.read() == authorized.read()
    assert oct(os.stat(lab.ssh_key).st_mode & 0o777) == '0o600'


def test_each_node_address_has_an_sshd_instance_of_its_own(lab):
    sshd.ensure_keys(lab)
    assert sshd.write_config(lab, 2222, '127.0.2.1')
    with open(sshd.config_path(lab, '127.0.2.1')) as config:
        text = config.read().splitlines()
    assert [line for line in text if line.startswith('ListenAddress')] == [
        'ListenAddress 127.0.2.1']
    assert 'PidFile %s' % os.path.join(
        lab.run_dir, 'sshd-127.0.2.1-daemon.pid') in text
    assert sshd.config_path(lab) == lab.path('ssh', 'sshd_config')
    assert (sshd.instance('127.0.0.1'), sshd.instance('127.0.2.1')) == (
        'sshd', 'sshd-127.0.2.1')
    sshd.write_known_hosts(lab, 2222, ['127.0.2.1'])
    with open(sshd.known_hosts(lab)) as known:
        hosts = [line.split()[0] for line in known.read().splitlines()]
    assert hosts == ['[127.0.0.1]:2222', '[127.0.2.1]:2222']


def test_known_hosts_names_the_port(lab):
    sshd.ensure_keys(lab)
    sshd.write_known_hosts(lab, 2222)
    with open(sshd.known_hosts(lab)) as known:
        host, keytype, _ = known.read().split()
    assert host == '[127.0.0.1]:2222'
    assert keytype == 'ssh-ed25519'


def test_stackrc_sets_a_noauth_endpoint_and_quotes_paths(tmp_path):
    lab = layout.Lab(str(tmp_path / "it's a lab"))
    text = control.stackrc_text(lab, 8004)
    env = subprocess.run(
        ['bash', '-c', 'set -a; . /dev/stdin; env -0'], input=text,
        capture_output=True, text=True, check=True,
        env={'PATH': os.environ['PATH'], 'OS_CLOUD': 'other'}).stdout
    values = dict(item.split('=', 1) for item in env.split('\0') if item)
    assert values['OS_AUTH_TYPE'] == 'none'
    assert values['OS_ENDPOINT'] == 'http://127.0.0.1:8004/v1/admin'
    assert values['TRIPLEO_FFU_LAB_DIR'] == lab.root
    assert 'OS_CLOUD' not in values
    assert shlex.quote(lab.root) in text


def test_stackrc_puts_the_lab_stand_ins_first(tmp_path):
    text = control.stackrc_text(layout.Lab(str(tmp_path)), 8004)
    env = subprocess.run(
        ['bash', '-c', 'set -a; . /dev/stdin; env -0'], input=text,
        capture_output=True, text=True, check=True,
        env={'PATH': os.environ['PATH'],
             'ANSIBLE_ACTION_PLUGINS': '/operator/plugins'}).stdout
    values = dict(item.split('=', 1) for item in env.split('\0') if item)
    assert values['ANSIBLE_ACTION_PLUGINS'] == (
        standins.ACTION_PLUGINS + ':/operator/plugins')
    assert values['ANSIBLE_ROLES_PATH'] == standins.ROLES


def test_lab_dirs_are_private(lab):
    for directory in (lab.root, lab.run_dir, lab.log_dir, lab.nodes_dir,
                      lab.path('heat'), lab.path('mariadb')):
        assert oct(os.stat(directory).st_mode & 0o777) == '0o700'


def test_state_round_trips_and_is_private(lab):
    lab.save_state({'ports': {'heat': 8004}, 'db_password': 'x'})
    assert lab.load_state() == {'ports': {'heat': 8004}, 'db_password': 'x'}
    assert oct(os.stat(lab.state_file).st_mode & 0o777) == '0o600'


def test_default_lab_dir_follows_the_environment(monkeypatch):
    monkeypatch.setenv('TRIPLEO_FFU_LAB_DIR', '/srv/lab')
    assert layout.default_lab_dir() == '/srv/lab'
    monkeypatch.delenv('TRIPLEO_FFU_LAB_DIR')
    assert layout.default_lab_dir() == os.path.expanduser('~/tripleo-ffu-lab')


def test_no_bulk_services_by_default():
    assert control.bulk_parameters(None) == {'LabBulkServices': [],
                                             'LabBulkItems': []}


def test_bulk_tasks_come_in_items_of_twenty():
    parameters = control.bulk_parameters({'services': 3, 'tasks': 50})
    assert parameters['LabBulkServices'] == ['bulk01', 'bulk02', 'bulk03']
    assert parameters['LabBulkItems'] == ['01', '02', '03']


def test_bulk_options_are_checked():
    from tripleo_ffu_lab import cli
    from tripleo_ffu_lab import procs
    args = cli.build_parser().parse_args(['up', '--extra-services', '2'])
    assert cli._bulk(args) == {'services': 2, 'tasks': 100}
    args = cli.build_parser().parse_args(['up', '--tasks-per-service', '0'])
    with pytest.raises(procs.LabError):
        cli._bulk(args)


def test_debug_is_for_the_lab_s_own_loggers(tmp_path):
    """At DEBUG, keystoneauth logs the stack create's body: passwords."""
    code = ('import logging, sys\n'
            'from tripleo_ffu_lab import cli\n'
            'cli.main(["--debug", "--lab-dir", sys.argv[1], "status"])\n'
            'print(*(logging.getLogger(name).getEffectiveLevel() for name '
            'in ("", "tripleo_ffu_lab.procs", "keystoneauth.session", '
            '"heatclient.common.http", "urllib3.connectionpool")))\n')
    result = subprocess.run([sys.executable, '-c', code, str(tmp_path)],
                            capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1].split() == [
        str(logging.INFO), str(logging.DEBUG)] + [str(logging.WARNING)] * 3


def test_sshd_sessions_skip_the_users_bashrc(tmp_path):
    """bash as sshd runs a command (stdin a socket, the SSH_CLIENT sshd
    sets) reads ~/.bashrc, unless the lab's session environment is set."""
    (tmp_path / '.bashrc').write_text('echo sourced\n')
    env = {'HOME': str(tmp_path), 'PATH': os.environ['PATH'],
           'SSH_CLIENT': '127.0.0.1 40000 22'}

    def output(extra):
        ours, theirs = socket.socketpair()
        with ours, theirs:
            return subprocess.run(
                ['bash', '-c', 'echo ran'], stdin=theirs,
                env=dict(env, **extra), capture_output=True,
                text=True).stdout
    assert output({}) == 'sourced\nran\n'
    assert output(sshd.SESSION_ENV) == 'ran\n'
