"""A stack from THT's newton templates has no RoleData output: prepare
takes it as an overcloud, its roles from EnabledServices."""

from unittest import mock

import pytest

from tripleo_ffu.workflow import prepare
from tripleo_ffu.workflow import stack as overcloud_stack
from tripleo_ffu.workflow.errors import WorkflowError

NEWTON_OUTPUTS = {
    'EnabledServices': {'Controller': ['keystone', 'mysql'],
                        'Compute': ['nova_compute']},
    'KeystoneURL': 'http://127.0.0.1:5000/v2.0',
}


def _heat(outputs):
    heat = mock.Mock()
    stack = mock.Mock(id='1234', stack_name='overcloud',
                      stack_status='CREATE_COMPLETE',
                      outputs=[{'output_key': key, 'output_value': value}
                               for key, value in outputs.items()])
    heat.stacks.get.return_value = stack
    heat.stacks.output_list.return_value = {'outputs': [
        {'output_key': key} for key in outputs]}
    return heat, stack


def test_a_newton_stack_is_an_overcloud():
    heat, stack = _heat(NEWTON_OUTPUTS)
    assert overcloud_stack.find(heat, 'overcloud') is stack


def test_a_stack_without_role_outputs_is_refused():
    heat, _ = _heat({'KeystoneURL': 'x'})
    with pytest.raises(WorkflowError, match='not a TripleO overcloud'):
        overcloud_stack.find(heat, 'overcloud')


def test_a_newton_stack_names_its_roles_in_enabled_services():
    heat, stack = _heat(NEWTON_OUTPUTS)
    assert prepare._role_names(heat, stack) == ['Compute', 'Controller']


def test_role_data_names_the_roles_when_there_is_one():
    heat, stack = _heat(dict(NEWTON_OUTPUTS,
                             RoleData={'Controller': {}}))
    assert prepare._role_names(heat, stack) == ['Controller']
