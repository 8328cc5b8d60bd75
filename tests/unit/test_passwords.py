"""The overcloud's passwords across prepare and converge: kept (the
update is a PATCH), carried (newton's RandomString resources), generated
(only what the stack lacks, once); and the preview's refusals."""

import os
import stat
import types
from unittest import mock

from heatclient import exc as heat_exc
import pytest
import yaml

from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import passwords
from tripleo_ffu.workflow import preview
from tripleo_ffu.workflow import stack as overcloud_stack

LEGACY = {'HeatAuthEncryptionKey': 'heat-key', 'HorizonSecret': 'horizon',
          'MysqlRootPassword': 'mysql-root', 'PcsdPassword': 'pcsd',
          'RabbitCookie': 'cookie'}
STACK = types.SimpleNamespace(id='0f1e', stack_name='overcloud')


def _heat(legacy=LEGACY, parameter_defaults=None):
    heat = mock.Mock()
    heat.stacks.environment.return_value = {
        'parameter_defaults': parameter_defaults or {
            'AdminPassword': passwords.MASKED, 'NovaPassword':
            passwords.MASKED, 'ControllerCount': 3}}

    def resource(stack_id, name):
        if name not in legacy:
            raise heat_exc.HTTPNotFound()
        return types.SimpleNamespace(resource_type='OS::Heat::RandomString',
                                     attributes={'value': legacy[name]})
    heat.resources.get.side_effect = resource
    return heat


def _values(path):
    with open(path) as source:
        return yaml.safe_load(source)['parameter_defaults']


def _for_prepare(heat, out_dir, given=None):
    return passwords.for_prepare(heat, STACK, out_dir, given or {},
                                 passwords.stack_parameters(heat, STACK))


def test_kept_the_stack_has_them_and_the_update_is_a_patch(tmp_path):
    heat = _heat()
    result = _for_prepare(heat, str(tmp_path))
    assert result.kept == ['AdminPassword', 'NovaPassword']
    generated = _values(str(tmp_path / passwords.GENERATED_ENV))
    # Nothing the stack has is generated (nor a parameter that is no
    # password): Heat keeps those values itself.
    assert not {'AdminPassword', 'NovaPassword', 'ControllerCount'} & set(
        generated)
    with mock.patch.object(overcloud_stack, '_wait', return_value=True), \
            mock.patch.object(overcloud_stack, 'last_event_id'):
        overcloud_stack.update(heat, STACK, {}, {}, {}, 60)
    assert heat.stacks.update.call_args.kwargs['existing'] is True


def test_carried_newtons_randomstrings_with_their_values(tmp_path):
    result = _for_prepare(_heat(), str(tmp_path))
    path = str(tmp_path / passwords.CARRIED_ENV)
    assert _values(path) == LEGACY
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert result.carried == sorted(LEGACY)
    assert path in result.files
    # A later prepare: the resources are gone (queens has parameters);
    # the file is given again, with the same values.
    again = _for_prepare(_heat(legacy={}), str(tmp_path))
    assert _values(path) == LEGACY and again.known == dict(
        _values(str(tmp_path / passwords.GENERATED_ENV)), **LEGACY)


def test_generated_only_the_missing_ones_once(tmp_path):
    result = _for_prepare(_heat(), str(tmp_path),
                          given={'KeystoneFernetKeys': {'k': 'v'}})
    path = str(tmp_path / passwords.GENERATED_ENV)
    generated = _values(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert {'KeystoneCredential0', 'MigrationSshKey'} <= set(generated)
    assert not set(LEGACY) & set(generated)
    # The operator's -e value wins: not generated, and said (by name).
    assert 'KeystoneFernetKeys' not in generated
    assert result.given == ['KeystoneFernetKeys']
    assert all(generated.values())
    _for_prepare(_heat(legacy={}), str(tmp_path),
                 given={'KeystoneFernetKeys': {'k': 'v'}})
    assert _values(path) == generated
    # What an earlier prepare's file lacks is added; the rest is kept.
    del generated['PankoPassword']
    passwords.environments.write_generated(
        str(tmp_path), passwords.GENERATED_ENV,
        {'parameter_defaults': generated})
    _for_prepare(_heat(legacy={}), str(tmp_path),
                 given={'KeystoneFernetKeys': {'k': 'v'}})
    added = _values(path)
    assert added.pop('PankoPassword') and added == generated
    converge = passwords.for_converge(str(tmp_path))
    assert converge.files == [str(tmp_path / passwords.CARRIED_ENV), path]
    assert converge.known == dict(_values(path), **LEGACY)


def test_report_names_never_values(tmp_path):
    lines = []
    passwords.report(_for_prepare(_heat(), str(tmp_path),
                                  given={'MysqlRootPassword': 'other'}),
                     lines.append)
    text = '\n'.join(lines)
    assert '5 carried' in text and 'MysqlRootPassword: the value' in text
    assert not [value for value in LEGACY.values() if value in text]


def test_a_randomstring_without_value_is_refused(tmp_path):
    heat = _heat(legacy={'RabbitCookie': ''})
    with pytest.raises(errors.WorkflowError, match='RabbitCookie resource'):
        _for_prepare(heat, str(tmp_path))


# The preview

def _preview(changes, on_stack=None, environment=None, known=LEGACY):
    heat = mock.Mock()
    heat.stacks.preview_update.return_value = {'resource_changes': changes}
    return preview.build(heat, STACK, ({}, {}, environment or {}),
                         ['Controller', 'Compute'], known, on_stack or {})


def test_preview_counts_and_a_server_replaced_is_refused():
    result = _preview({
        'updated': [{'resource_name': 'AllNodesDeploySteps',
                     'resource_type': 'OS::TripleO::PostDeploySteps'}],
        'added': [], 'unchanged': [],
        'deleted': [{'resource_name': 'MysqlRootPassword',
                     'resource_type': 'OS::Heat::RandomString'}],
        'replaced': [{'resource_name': '0',
                      'resource_type': 'OS::TripleO::Controller'},
                     {'resource_name': 'ControlPlanePort',
                      'resource_type': 'OS::Neutron::Port'}]})
    assert result.counts == {'updated': 1, 'added': 0, 'deleted': 1,
                             'replaced': 2}
    assert result.risky == [
        'replaced 0 (OS::TripleO::Controller)',
        'replaced ControlPlanePort (OS::Neutron::Port)']
    with pytest.raises(errors.WorkflowError,
                       match='replaced 0 .*--allow-destructive-update'):
        preview.check(result, preview.Allow(), 'overcloud')
    preview.check(result, preview.Allow(destructive=True), 'overcloud')


def test_preview_a_changed_password_is_refused_by_name_only():
    result = _preview(
        {}, on_stack={'AdminPassword': passwords.MASKED,
                      'StackUpdateType': '', 'KeystoneURL': 'a'},
        environment={'parameter_defaults': {
            'MysqlRootPassword': 'new-root', 'AdminPassword': 'secret-x',
            'StackUpdateType': 'FASTFORWARDUPGRADE'}})
    assert result.changed_parameters == ['StackUpdateType']
    assert result.hidden_parameters == ['AdminPassword']
    assert [name for name, _ in result.changed_passwords] == [
        'AdminPassword', 'MysqlRootPassword']
    with pytest.raises(errors.WorkflowError) as raised:
        preview.check(result, preview.Allow(destructive=True), 'overcloud')
    assert 'MysqlRootPassword' in str(raised.value)
    assert '--allow-password-change' in str(raised.value)
    assert 'new-root' not in str(raised.value)
    assert 'secret-x' not in str(raised.value)
    preview.check(result, preview.Allow(password_change=True), 'overcloud')


def test_preview_our_own_values_are_no_change():
    result = _preview(
        {}, on_stack={'MysqlRootPassword': passwords.MASKED},
        environment={'parameter_defaults': dict(LEGACY)})
    assert result.changed_passwords == [] and result.hidden_parameters == []


@pytest.mark.parametrize('error', [heat_exc.HTTPBadRequest,
                                   heat_exc.HTTPInternalServerError])
def test_preview_falls_back_to_the_top_level(error):
    heat = mock.Mock()
    heat.stacks.preview_update.side_effect = [
        error(), {'resource_changes': {'updated': [
            {'resource_name': 'Controller',
             'resource_type': 'OS::Heat::ResourceGroup'}]}}]
    assert overcloud_stack.preview_changes(heat, STACK, {}, {}, {}) == ({
        'updated': [('Controller', 'OS::Heat::ResourceGroup')]}, False)


def test_queens_passwords_a_later_tripleo_common_dropped_are_made():
    """THT 8.4's panko-base.yaml requires PankoPassword (no default):
    tripleo-common queens made it, later releases do not (the HA
    overcloud's prepare failed with "Property PankoPassword not
    assigned")."""
    from tripleo_ffu_lab import tht
    path = os.path.join(tht.fetch(), 'puppet', 'services', 'panko-base.yaml')
    with open(path) as source:
        spec = yaml.safe_load(source)['parameters']['PankoPassword']
    assert 'default' not in spec and spec['hidden']
    made = passwords.generate({'AdminPassword', 'ZaqarPassword'})
    assert len(made['PankoPassword']) == passwords.PASSWORD_SIZE
    assert made['CephMonKey'] and 'AdminPassword' not in made
    assert 'ZaqarPassword' not in made
    assert 'PankoPassword' in passwords._generated_names()
