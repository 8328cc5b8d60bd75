"""Secret values from the config's settings are masked in what we print."""

import os

import pytest
import yaml

from tripleo_ffu.workflow import progress
from tripleo_ffu.workflow import secrets


def _config(tmp_path, settings, role='Controller',
            name='config_settings.yaml'):
    os.makedirs(tmp_path / role, exist_ok=True)
    (tmp_path / role / name).write_text(yaml.safe_dump(settings))
    return str(tmp_path)


def test_collect_takes_secret_looking_keys_only(tmp_path):
    config_dir = _config(tmp_path, {
        'keystone::admin_password': 'adminsecret1',
        'rabbitmq::default_pass': 'rabbitsecret',
        'nova::api::secret_key': 'novakey12345',
        'keystone::token_provider': 'fernet',
        'keystone::cron::token_flush::user': 'keystone',
        'keystone::admin_token': 'admintoken99',
        'mysql::bind_address': '192.168.24.1',
        'nested': {'db_password': 'nestedsecret', 'port': 3306},
        'short_password': 'abc',
    })
    assert secrets.collect(config_dir) == {
        'adminsecret1', 'rabbitsecret', 'novakey12345', 'admintoken99',
        'nestedsecret'}


def test_collect_reads_every_role_and_settings_file(tmp_path):
    _config(tmp_path, {'a_password': 'controller1'})
    _config(tmp_path, {'b_password': 'compute1234'}, role='Compute')
    _config(tmp_path, {'c_password': 'globalvalue'},
            name='global_config_settings.yaml')
    assert secrets.collect(str(tmp_path)) == {
        'controller1', 'compute1234', 'globalvalue'}


def test_collect_skips_unreadable_settings(tmp_path):
    os.makedirs(tmp_path / 'Controller')
    (tmp_path / 'Controller' / 'config_settings.yaml').write_text('{[')
    assert secrets.collect(str(tmp_path)) == set()


@pytest.mark.parametrize('text, masked', [
    ('mysql -p s3cretpass -e "select 1"',
     'mysql -p ******** -e "select 1"'),
    ('s3cretpass2 and s3cretpass', '******** and ********'),
    ('nothing to hide', 'nothing to hide'),
    ('', ''),
    (None, None),
])
def test_redactor_masks_every_occurrence_longest_first(text, masked):
    redact = secrets.Redactor(['s3cretpass', 's3cretpass2'])
    assert redact(text) == masked


def test_redactor_without_secrets_changes_nothing():
    assert secrets.Redactor()('a password: x') == 'a password: x'


def test_redactor_escapes_regex_characters():
    assert secrets.Redactor(['a.b*c(d']).__call__('x a.b*c(d y axbbc(d') \
        == 'x ******** y axbbc(d'


def test_progress_masks_its_lines_log_and_failures(tmp_path):
    lines = []
    log = open(tmp_path / 'log', 'w')
    handler = progress.Progress(lines.append, log,
                                redact=secrets.Redactor(['hunter2secret']))
    handler({'event': 'playbook_on_play_start',
             'event_data': {'play': 'pike-6'}})
    handler({'event': 'runner_on_failed',
             'stdout': 'fatal: [c0]: FAILED! => {"cmd": "db -p '
                       'hunter2secret"}',
             'event_data': {'host': 'c0', 'task': 'db check',
                            'res': {'msg': 'denied for hunter2secret'}}})
    handler.end_play()
    log.close()
    assert 'hunter2secret' not in (tmp_path / 'log').read_text()
    assert handler.failures[0]['message'] == 'denied for ********'
    assert not any('hunter2secret' in line for line in lines)


# What the clients log at --debug: learned from secret-looking keys.

REQUEST = ('REQ: curl -g -i -X PUT http://heat/v1/admin/stacks/x -d \'{'
           '"environment": {"parameter_defaults": {"AdminPassword": '
           '"Adm1nSecret", "ComputeCount": 2}}, "files": {"file:///p.yaml": '
           '"parameter_defaults:\\n  RabbitPassword: Rabb1tSecret\\n"}}\'')
OUTPUTS = ('RESP BODY: {"outputs": [{"output_key": "RoleData", '
           '"output_value": {"Controller": {"config_settings": {'
           '"nova::db::mysql::password": "N0vaDbSecret", '
           '"nova::database_connection": "mysql+pymysql://nova:N0vaDbSecret'
           '@10.0.0.1/nova"}}}}]}')


def test_harvest_takes_the_values_of_secret_looking_keys():
    assert secrets.harvest(REQUEST) == {'Adm1nSecret', 'Rabb1tSecret'}
    assert secrets.harvest(OUTPUTS) == {'N0vaDbSecret'}


@pytest.mark.parametrize('text', [
    '{"output_key": "RoleData"}', "{'sort_key': 'created_at'}",
    'ansible_ssh_private_key_file: /home/stack/.ssh/id_rsa',
    '"AdminPassword": "******"', 'password=********',
    '"SshKnownHosts": "[127.0.0.1]:22 ssh-ed25519 AAAA"',
    '"public_key": "ssh-rsa AAAAB3Nza"', '"KeyName": "default"',
    'OS::TripleO::Ssh::HostPubKey: OS::Heat::None',
    '"OS::TripleO::Ssh::HostPubKey": "OS::Heat::None"',
])
def test_harvest_leaves_what_is_not_secret(text):
    assert secrets.harvest(text) == set()


@pytest.mark.parametrize('text,value', [
    ("{'password': 'Py7honRepr'}", 'Py7honRepr'),
    ('"KeystoneFernetKeys": "fernetKey0"', 'fernetKey0'),
    ('"PacemakerRemoteAuthkey": "pcmkAuthKey"', 'pcmkAuthKey'),
    ('"rhel_reg_activation_key": "act1vation"', 'act1vation'),
    ('\\"HeatAuthEncryptionKey\\": \\"h3atEncKey\\"', 'h3atEncKey'),
    ('keystone::admin_token=t0kenValue other', 't0kenValue'),
])
def test_harvest_spellings(text, value):
    assert secrets.harvest(text) == {value}


def test_the_redactor_masks_what_it_learns_everywhere_after():
    redact = secrets.Redactor()
    masked = redact(OUTPUTS)
    assert 'N0vaDbSecret' not in masked
    assert 'mysql+pymysql://nova:********@10.0.0.1/nova' in masked
    assert redact('later: N0vaDbSecret alone') == 'later: ******** alone'


def test_every_tht_password_parameter_is_a_secret_key():
    from tripleo_common import constants
    for name in constants.PASSWORD_PARAMETER_NAMES:
        assert secrets.is_secret_key(name), name
        assert secrets.is_secret_key(name, secrets.TEXT_SECRET_KEY), name


def test_values_of_nested_secrets():
    assert secrets.values_of({'parameter_defaults': {
        'MigrationSshKey': {'private_key': '-----BEGIN KEY', 'x': 'y'},
        'ComputeCount': 'notsecret', 'rhel_reg_activation_key': 'act1vate',
    }}) == {'-----BEGIN KEY', 'act1vate'}


def test_from_files_reads_the_environments(tmp_path):
    env = tmp_path / 'passwords.yaml'
    env.write_text('parameter_defaults:\n  AdminPassword: fromFile1\n')
    assert secrets.from_files([str(env), str(tmp_path / 'missing')]) == {
        'fromFile1'}


def test_from_argv_and_environ(monkeypatch):
    assert secrets.from_argv(['openstack', '--reg-activation-key', 'argKey1',
                              '--reg-activation-key=argKey2', '-e', 'x']) \
        == {'argKey1', 'argKey2'}
    monkeypatch.setenv('OS_PASSWORD', 'undercloudPw')
    monkeypatch.delenv('OS_TOKEN', raising=False)
    assert 'undercloudPw' in secrets.from_environ()


def test_guard_masks_every_log_record_as_it_is_made(caplog):
    import logging
    secrets.guard(['gu4rdedValue'])
    log = logging.getLogger('keystoneauth.session')
    with caplog.at_level(logging.DEBUG):
        log.debug('REQ: %s', 'body gu4rdedValue')
        log.debug(OUTPUTS)
        try:
            raise RuntimeError('failed with gu4rdedValue')
        except RuntimeError:
            log.exception('oops')
    text = caplog.text
    assert 'gu4rdedValue' not in text and 'N0vaDbSecret' not in text
    assert 'REQ: body ********' in text
    assert 'RuntimeError: failed with ********' in text


def test_writer_masks_what_goes_through():
    import io
    out = io.StringIO()
    secrets.Writer(out, secrets.Redactor(['wr1terSecret'])).write(
        'event: wr1terSecret\n')
    assert out.getvalue() == 'event: ********\n'
