"""prepare reads the updated stack (its outputs resolved) once."""

from unittest import mock

from tripleo_ffu.workflow import stack as overcloud_stack


def _heat():
    heat = mock.Mock()
    fetched = mock.Mock(id='1234', stack_name='overcloud',
                        outputs=[{'output_key': 'RoleData',
                                  'output_value': {'Controller': {}}}])
    heat.stacks.get.return_value = fetched
    return heat, fetched


def test_a_stack_is_fetched_once_by_name_or_id():
    heat, fetched = _heat()
    once = overcloud_stack.FetchedOnce(heat)
    assert once.stacks.get('overcloud') is fetched
    assert once.stacks.get('1234') is fetched
    assert overcloud_stack.outputs(once, 'overcloud') == {
        'RoleData': {'Controller': {}}}
    heat.stacks.get.assert_called_once_with('overcloud')


def test_other_calls_go_to_heat():
    heat, _ = _heat()
    once = overcloud_stack.FetchedOnce(heat)
    once.stacks.get('overcloud', resolve_outputs=False)
    once.stacks.environment('overcloud')
    once.stacks.environment('overcloud')
    once.resources.list('overcloud')
    assert heat.stacks.get.call_count == 1
    heat.stacks.environment.assert_called_once_with('overcloud')
    heat.resources.list.assert_called_once_with('overcloud')
