"""The overcloud's credentials file, <stack>rc, from the stack's outputs."""

import os
import stat
import subprocess
import types

import pytest

from tripleo_ffu.workflow import credentials
from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import steps

PASSWORD = "a'b c$(touch pwned)\"d"
# As a queens stack's outputs hold them: keystone's hieradata in the
# control plane's config_settings (Heat's API masks AdminPassword itself).
OUTPUTS = {
    'KeystoneURL': 'http://192.0.2.10:5000/v2.0',
    'EndpointMap': {'KeystoneAdmin': {'host': 'fd00::10', 'port': 35357}},
    'RoleData': {
        'Controller': {'config_settings': {
            'keystone::admin_password': PASSWORD,
            'keystone::endpoint::region': 'regionTwo'}},
        'Compute': {'config_settings': {'nova::compute::enabled': True}},
    },
}


def _sourced(path):
    """The OS_* variables after `source path` in a clean bash."""
    out = subprocess.run(
        ['bash', '-c', 'source "$1" && env', '_', path],
        env={'PATH': os.environ['PATH'], 'OS_TOKEN': 'old'},
        cwd=os.path.dirname(path), capture_output=True, text=True,
        check=True).stdout
    return dict(line.split('=', 1) for line in out.splitlines()
                if line.startswith(('OS_', 'no_proxy')))


def test_the_file_holds_the_stacks_values(tmp_path, monkeypatch):
    monkeypatch.setenv('no_proxy', 'undercloud.local')
    path = credentials.write(OUTPUTS, 'prod', str(tmp_path))
    assert path == str(tmp_path / 'prodrc')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    variables = _sourced(path)
    assert variables == {
        'OS_USERNAME': 'admin', 'OS_PROJECT_NAME': 'admin',
        'OS_USER_DOMAIN_NAME': 'Default',
        'OS_PROJECT_DOMAIN_NAME': 'Default', 'OS_NO_CACHE': 'True',
        'OS_CLOUDNAME': 'prod', 'OS_AUTH_TYPE': 'password',
        'OS_PASSWORD': PASSWORD,
        'OS_AUTH_URL': 'http://192.0.2.10:5000/v3',
        'OS_IDENTITY_API_VERSION': '3', 'OS_IMAGE_API_VERSION': '2',
        'OS_VOLUME_API_VERSION': '3', 'OS_REGION_NAME': 'regionTwo',
        'no_proxy': 'undercloud.local,192.0.2.10,[fd00::10]'}
    assert not (tmp_path / 'pwned').exists()


def test_thts_queens_role_data_keeps_them_in_merged_config_settings(
        tmp_path):
    """THT 8.4's RoleData: the role's config_settings nearly empty, the
    hieradata in merged_config_settings (as on the packages lab)."""
    outputs = dict(OUTPUTS, KeystoneURL='http://192.0.2.10:5000/')
    outputs['RoleData'] = {
        'Controller': {'config_settings': {},
                       'merged_config_settings': {
                           'keystone::admin_password': PASSWORD,
                           'keystone::endpoint::region': 'regionTwo'}},
        'Compute': {'config_settings': {}, 'merged_config_settings': {}}}
    variables = _sourced(credentials.write(outputs, 'prod', str(tmp_path)))
    assert variables['OS_PASSWORD'] == PASSWORD
    assert variables['OS_REGION_NAME'] == 'regionTwo'
    assert variables['OS_AUTH_URL'] == 'http://192.0.2.10:5000/v3'


def test_the_defaults_of_a_small_stack(tmp_path, monkeypatch):
    """No region, no endpoint map: upstream's defaults."""
    monkeypatch.delenv('no_proxy', raising=False)
    outputs = {'KeystoneURL': 'http://127.0.0.1:5000', 'RoleData': {
        'Controller': {'config_settings': {
            'keystone::roles::admin::password': 'secret123'}}}}
    variables = _sourced(credentials.write(outputs, 'overcloud',
                                           str(tmp_path)))
    assert (variables['OS_REGION_NAME'], variables['OS_AUTH_URL'],
            variables['OS_PASSWORD'], variables['no_proxy']) == (
        'regionOne', 'http://127.0.0.1:5000/v3', 'secret123', '127.0.0.1')


def test_a_file_written_again_stays_private(tmp_path):
    path = tmp_path / 'overcloudrc'
    path.write_text('stale-content')
    os.chmod(path, 0o644)
    credentials.write(OUTPUTS, 'overcloud', str(tmp_path))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert 'stale-content' not in path.read_text()


@pytest.mark.parametrize('outputs, message', [
    ({'RoleData': OUTPUTS['RoleData']}, 'stack prod has no KeystoneURL '
                                        'output'),
    ({'KeystoneURL': 'http://k:5000', 'RoleData': {}},
     "stack prod's config has no keystone admin password"),
])
def test_what_the_stack_lacks_is_said(tmp_path, outputs, message):
    with pytest.raises(errors.WorkflowError, match=message):
        credentials.write(outputs, 'prod', str(tmp_path))
    assert os.listdir(tmp_path) == []


def test_the_step_says_why_there_is_no_file(tmp_path):
    """prepare and converge go on without it; no directory: no step."""
    run = steps.Steps(None)
    options = types.SimpleNamespace(credentials_dir=str(tmp_path))
    assert credentials.step(run, options, {}, 'prod') == (
        'not written: stack prod has no KeystoneURL output: no credentials '
        'file can be written')
    assert credentials.step(run, options, lambda: OUTPUTS, 'prod') == str(
        tmp_path / 'prodrc')
    assert [name for name, _ in run.timings] == [
        'Writing the credentials file'] * 2
    options.credentials_dir = None
    assert credentials.step(run, options, OUTPUTS, 'prod') == ''
    assert len(run.timings) == 2


def test_an_unwritable_place_is_said(tmp_path):
    (tmp_path / 'prodrc').mkdir()
    with pytest.raises(errors.WorkflowError, match='is a directory'):
        credentials.write(OUTPUTS, 'prod', str(tmp_path))
    with pytest.raises(errors.WorkflowError, match='cannot write the '
                                                   'credentials file'):
        credentials.write(OUTPUTS, 'prod', str(tmp_path / 'none'))
