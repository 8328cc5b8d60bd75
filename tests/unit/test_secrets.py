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
        'keystone::token_provider': 'fernet-token',
        'mysql::bind_address': '192.168.24.1',
        'nested': {'db_password': 'nestedsecret', 'port': 3306},
        'short_password': 'abc',
    })
    assert secrets.collect(config_dir) == {
        'adminsecret1', 'rabbitsecret', 'novakey12345', 'fernet-token',
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
