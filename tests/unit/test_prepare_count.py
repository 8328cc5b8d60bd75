"""prepare counts itself once the stack has its new outputs: converge
needs a complete run after the last prepare."""

import os
from unittest import mock

import pytest

from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import prepare
from tripleo_ffu.workflow import run_state


class Stop(Exception):
    pass


def _prepare(tmp_path, update):
    config_dir = str(tmp_path / 'cfg')
    os.makedirs(config_dir, mode=0o700)
    stack = mock.Mock(stack_name='overcloud', id='0f1e')
    options = prepare.Options(stack='overcloud', templates='/tht',
                              config_dir=config_dir, ssh_user='heat-admin')
    with mock.patch.object(prepare, 'check',
                           return_value=(stack, ['Controller'])), \
            mock.patch.object(prepare, '_build_update',
                              return_value=({}, {}, {})), \
            mock.patch('tripleo_ffu.workflow.stack.update',
                       side_effect=update), \
            mock.patch('tripleo_ffu.workflow.stack.outputs',
                       return_value={}), \
            mock.patch('tripleo_ffu.workflow.passwords.stack_parameters',
                       return_value={}), \
            mock.patch('tripleo_ffu.workflow.passwords.for_prepare'), \
            mock.patch('tripleo_ffu.workflow.preview.run'), \
            mock.patch('tripleo_ffu.workflow.host_keys.read',
                       return_value=''), \
            mock.patch('tripleo_ffu.workflow.config_download.download',
                       side_effect=Stop):
        with pytest.raises((Stop, errors.WorkflowError)):
            prepare.prepare(mock.Mock(), options, report=lambda line: None)
    return config_dir


def test_counted_once_the_stack_is_updated(tmp_path):
    config_dir = _prepare(tmp_path, None)
    assert run_state.prepare_count(config_dir) == 1


def test_not_counted_when_the_update_failed(tmp_path):
    config_dir = _prepare(tmp_path, errors.WorkflowError(
        'Heat refused the update of overcloud: ...; the stack is unchanged'))
    assert run_state.prepare_count(config_dir) == 0
