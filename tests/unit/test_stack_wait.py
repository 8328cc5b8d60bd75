"""Waiting for a stack update: Heat's events, or a stall said plainly."""

import os
import signal
import threading
import time
import types
from unittest import mock

import pytest

from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import stack as overcloud_stack

STACK = types.SimpleNamespace(id='0f1e', stack_name='overcloud')


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setattr(overcloud_stack, 'STALL_POLL_SECONDS', 0.01)


def _events(ids):
    events = iter(ids)
    return mock.patch.object(overcloud_stack, 'last_event_id',
                             side_effect=lambda heat, stack: next(events))


def test_a_wait_that_ends_gives_its_answer():
    with mock.patch('tripleoclient.utils.wait_for_stack_ready',
                    return_value=True), _events(['e1'] * 100):
        assert overcloud_stack._wait(None, STACK, 'e0', 1) is True


def test_an_error_of_the_wait_is_raised_here():
    with mock.patch('tripleoclient.utils.wait_for_stack_ready',
                    side_effect=ValueError('boom')), _events(['e1'] * 100):
        with pytest.raises(ValueError, match='boom'):
            overcloud_stack._wait(None, STACK, 'e0', 1)


def test_no_event_for_too_long_ends_the_wait_with_what_to_do():
    never = threading.Event()
    with mock.patch('tripleoclient.utils.wait_for_stack_ready',
                    side_effect=lambda *a, **k: never.wait()), \
            _events(['e0'] * 10000):
        with pytest.raises(errors.WorkflowError) as raised:
            overcloud_stack._wait(None, STACK, 'e0', 0.001)
    never.set()
    message = str(raised.value)
    assert 'no event from Heat for 0 minute(s) during the update of ' \
        'overcloud' in message
    assert 'heat-manage reset_stack_status 0f1e' in message


def test_events_keep_the_wait_going():
    done = threading.Event()
    calls = []

    def events(heat, stack):
        calls.append(1)
        if len(calls) > 20:
            done.set()
        return 'e%d' % len(calls)

    with mock.patch('tripleoclient.utils.wait_for_stack_ready',
                    side_effect=lambda *a, **k: done.wait() and True), \
            mock.patch.object(overcloud_stack, 'last_event_id',
                              side_effect=events):
        assert overcloud_stack._wait(None, STACK, 'e0', 0.002) is True


def test_a_server_error_of_heat_is_waited_through():
    from heatclient import exc as heat_exc
    answers = iter([heat_exc.HTTPInternalServerError('db down'), True])

    def wait(*args, **kwargs):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    with mock.patch('tripleoclient.utils.wait_for_stack_ready',
                    side_effect=wait), _events(['e1'] * 100):
        assert overcloud_stack._wait(None, STACK, 'e0', 1) is True


@pytest.mark.parametrize('signum, name, code', [
    (signal.SIGINT, 'SIGINT', 130), (signal.SIGTERM, 'SIGTERM', 143)])
def test_a_signal_while_waiting_says_heat_goes_on(signum, name, code):
    """Ctrl-C or a kill during the wait: one line with what goes on and
    what to run once it ends; the handlers are put back."""
    heat = mock.Mock()
    # ansible-runner, run by earlier tests in this process, may have put
    # its own SIGINT handler: what was there is what comes back.
    before = signal.getsignal(signal.SIGTERM)
    before_int = signal.getsignal(signal.SIGINT)

    def wait_for_ever(*args):
        os.kill(os.getpid(), signum)
        time.sleep(30)
    with mock.patch.object(overcloud_stack, '_wait',
                           side_effect=wait_for_ever), _events(['e0']):
        with pytest.raises(errors.Interrupted) as raised:
            overcloud_stack.update(heat, STACK, {}, {}, {}, 10,
                                   then='run prepare again')
    assert str(raised.value) == (
        '%s: stopped waiting for the update of stack overcloud, but Heat '
        'goes on with it; watch it with `openstack stack event list '
        'overcloud --follow` (or `openstack stack show overcloud -c '
        'stack_status`), and once it ends, run prepare again' % name)
    assert raised.value.exit_code == code
    assert signal.getsignal(signal.SIGTERM) is before
    assert signal.getsignal(signal.SIGINT) is before_int


def test_a_signal_while_heat_accepts_the_update_ends_the_wait_after_it():
    """Found in CI: Heat starts the update before its answer arrives, and
    Ctrl-C then came before the wait's handler. The signal waits for the
    answer (the update is Heat's), then ends the wait with the same line;
    the wait itself never starts."""
    heat = mock.Mock()
    accepted = []

    def update(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        accepted.append(True)
    heat.stacks.update.side_effect = update
    with mock.patch.object(overcloud_stack, '_wait') as wait, \
            _events(['e0']):
        with pytest.raises(errors.Interrupted) as raised:
            overcloud_stack.update(heat, STACK, {}, {}, {}, 10)
    assert accepted == [True]
    assert not wait.called
    assert str(raised.value).startswith(
        'SIGINT: stopped waiting for the update of stack overcloud, but '
        'Heat goes on with it')
    assert raised.value.exit_code == 130


def test_a_second_signal_while_heat_accepts_the_update_does_not_wait():
    heat = mock.Mock()

    def update(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)
    heat.stacks.update.side_effect = update
    with _events(['e0']):
        with pytest.raises(errors.Interrupted) as raised:
            overcloud_stack.update(heat, STACK, {}, {}, {}, 10)
    assert raised.value.exit_code == 143
