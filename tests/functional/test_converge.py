"""`converge` and `status` at the end of an FFU, on the lab, through the
real CLI. Runs last (conftest.MODULE_ORDER): converge takes the stack out
of its prepared state."""

import dataclasses
import os
import shutil
import subprocess

import pytest
import yaml

from tripleo_ffu.workflow import phases

from tripleo_ffu.workflow import plan

from tripleo_ffu.workflow import plan_file
from tripleo_ffu.workflow import run_state
from tests.functional.conftest import LEGACY_SETTINGS
from tests.functional.conftest import OUTPUTS
from tests.functional.conftest import deployment_steps
from tests.functional.conftest import passwords
from tests.functional.conftest import role_settings


def _converge(lab, config_dir, *args):
    return lab.openstack(
        'overcloud', 'ffwd-upgrade', 'converge', '--templates', lab.queens,
        '-e', os.path.join(lab.root, 'lab-environment.yaml'),
        '--config-dir', config_dir, *args, check=False, timeout=1200)


def _updated_time(lab):
    return yaml.safe_load(lab.openstack(
        'stack', 'show', 'overcloud', '-f', 'yaml').stdout)['updated_time']


def _registry(lab):
    return yaml.safe_load(lab.openstack(
        'stack', 'environment', 'show', 'overcloud', '-f', 'yaml').stdout)[
        'resource_registry']


def _copy_of_the_plan(prepared, tmp_path):
    config_dir = tmp_path / 'config'
    config_dir.mkdir()
    shutil.copy(os.path.join(prepared.config_dir, plan_file.PLAN_FILE),
                config_dir)
    return str(config_dir)


def _refused(prepared, config_dir, message):
    before = _updated_time(prepared.lab)
    result = _converge(prepared.lab, config_dir, '--yes')
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in result.stderr
    assert 'Traceback' not in result.stderr
    assert _updated_time(prepared.lab) == before
    return result


def test_converge_refused_without_a_run(prepared, tmp_path):
    config_dir = _copy_of_the_plan(prepared, tmp_path)
    _refused(prepared, config_dir, 'no run recorded in %s/ffu-run: run '
             '`openstack overcloud ffwd-upgrade run --stack overcloud` '
             'before converge (--force converges anyway)' % config_dir)
    assert os.listdir(config_dir) == [plan_file.PLAN_FILE]


def test_converge_refused_while_the_run_is_incomplete(prepared, tmp_path):
    config_dir = _copy_of_the_plan(prepared, tmp_path)
    ids = plan.load_plays(config_dir)
    journal = run_state.Journal.start(config_dir, ids, 'run.log')
    for play_id in ids[:ids.index('ffu-pike-6')]:
        journal.mark(play_id, 'done')
    journal.mark('ffu-pike-6', 'failed')
    journal.finish('failed')
    missing = len(ids) - ids.index('ffu-pike-6')
    _refused(prepared, config_dir, 'the run is not complete: %d of %d plays '
             'not done (ffu-pike-6, ffu-pike-7, ffu-pike-8, ffu-pike-9, '
             'ffu-end, upgrade-facts, ...)' % (missing, len(ids)))


@dataclasses.dataclass
class Converged:
    lab: object
    config_dir: str
    before: dict
    result: subprocess.CompletedProcess
    after: dict


@pytest.fixture(scope='module')
def converged(prepared, upgraded):
    """Converge after the session's complete run (conftest.upgraded, in
    its copy of the prepared config)."""
    lab = prepared.lab
    before = lab.ffu_status(upgraded.config_dir)
    result = _converge(lab, upgraded.config_dir, '--yes')
    return Converged(lab, upgraded.config_dir, before, result,
                     lab.ffu_status(upgraded.config_dir))


def test_status_after_a_complete_run(converged):
    status = converged.before
    assert status['state'] == 'upgraded'
    assert status['run_status'] == 'complete'
    assert status['prepared_at'] and status['converged_at'] == ''
    assert status['plays_done'] == status['plan_plays'] > 30
    assert status['plays_failed'] == status['plays_pending'] == 0
    assert status['next_step'] == 'openstack overcloud ffwd-upgrade converge'


def test_converge_completes_and_reports(converged):
    result = converged.result
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert 'Stack UPDATE completed successfully' in out
    assert 'Deploy steps: 4 resource(s), now ' in out
    assert '(no longer OS::Heat::None)' in out
    assert "StackUpdateType: ''" in out
    assert 'replaces or deletes nothing' in out
    for step in ('Checking the stack, the inputs and the run', 'Building '
                 'the environments', 'Updating stack overcloud', 'Checking '
                 'the converged stack'):
        assert step in out.split('Time by step:')[1]


def test_deploy_steps_have_their_real_types_again(converged):
    steps = deployment_steps(converged.lab)
    assert steps and all(steps.values())
    registry = _registry(converged.lab)
    assert 'OS::Heat::None' not in [
        target for alias, target in registry.items()
        if alias.startswith('OS::TripleO::')]


def test_status_after_converge(converged):
    status = converged.after
    assert status['state'] == 'converged'
    assert status['run_status'] == 'complete'
    assert status['next_step'].startswith('nothing')
    # A history: each step when it happened, in order.
    assert status['summary'] == 'converged at %s' % status['converged_at']
    assert '' < status['prepared_at'] < status['converged_at']
    assert set(status['run_phases']) == set(phases.PHASES)
    for phase in status['run_phases'].values():
        assert phase['nodes_done'] == phase['nodes'] == 5
        assert status['prepared_at'] <= phase['last_at'] <= \
            status['converged_at']
    assert 'prepared' not in status and 'converged' not in status


def test_newtons_five_passwords_after_converge(converged, prepared):
    """Converge got no passwords file: newton's RandomString values are
    the stack's queens parameters still."""
    out = converged.result.stdout
    assert 'Heat\'s preview: ' in out
    print('converge preview:',  # shown with -rP
          out.split('Heat\'s preview: ')[1].splitlines()[0])
    settings = role_settings(converged.lab)
    for name, (role, key) in LEGACY_SETTINGS.items():
        assert settings[role][key] == prepared.legacy[name], name


def test_a_following_update_without_ffu_environments_completes(converged,
                                                             prepared):
    """The next deploy, as upstream's (a PATCH, no passwords file)."""
    lab = converged.lab
    result = lab.openstack(
        'stack', 'update', 'overcloud', '--wait', '--existing',
        '-t', os.path.join(lab.queens, 'overcloud.yaml'),
        '-e', os.path.join(lab.queens,
                           'overcloud-resource-registry-puppet.yaml'),
        '-e', os.path.join(lab.root, 'lab-environment.yaml'), timeout=900)
    assert result.returncode == 0
    stack = yaml.safe_load(lab.openstack('stack', 'show', 'overcloud', '-f',
                                         'yaml').stdout)
    assert stack['stack_status'] == 'UPDATE_COMPLETE'
    assert all(deployment_steps(lab).values())
    settings = role_settings(lab)
    for name, (role, key) in LEGACY_SETTINGS.items():
        assert settings[role][key] == prepared.legacy[name], name


def test_converge_forced_right_after_prepare_says_what_never_ran(
        converged, prepared, tmp_path):
    """On a copy of the prepared config with no run: converge --force
    warns once, and converge and status say that the nodes never ran
    their phases, and what comes next (the stack ends converged, as it
    was; the nodes are not touched)."""
    lab = converged.lab
    config_dir = str(tmp_path / 'config')
    shutil.copytree(prepared.config_dir, config_dir, symlinks=True)
    for name in (run_state.JOURNAL_FILE, run_state.NODES_FILE,
                 run_state.CONVERGE_FILE):
        path = os.path.join(config_dir, run_state.RUN_DIR, name)
        if os.path.exists(path):
            os.unlink(path)
    releases = {node['hostname']: node['release']
                for node in lab.status()['nodes']}
    result = _converge(lab, config_dir, '--force', '--yes')
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.count('Converging with --force, although') == 1
    never = '5 nodes never ran ffu, upgrade, deploy, post-upgrade'
    assert 'Converged by force: %s (the plays not done: ' % never \
        in result.stdout
    assert 'Next: those nodes are not upgraded; openstack overcloud ' \
        'ffwd-upgrade prepare, then run and converge again' in result.stdout
    status = lab.ffu_status(config_dir)
    assert status['state'] == 'converged by force'
    assert status['summary'] == 'converged by force at %s; %s' % (
        status['converged_at'], never)
    assert status['next_step'].startswith(
        'openstack overcloud ffwd-upgrade prepare, then run and converge')
    assert all(phase['nodes_done'] == 0
               for phase in status['run_phases'].values())
    assert all(deployment_steps(lab).values())
    assert {node['hostname']: node['release']
            for node in lab.status()['nodes']} == releases


def test_no_secret_in_any_output_or_log_of_the_session(converged,
                                                      prepared):
    """Every output of our commands in this session (prepare, run,
    converge, status, the lab, bad input, faults) and every run log (the
    complete run's, and those of test_run's and test_faults' runs in the
    prepared config)."""
    secrets = passwords(converged.lab)
    assert secrets and len(OUTPUTS) > 20
    for command, text in OUTPUTS:
        for secret in secrets:
            assert secret not in text, 'a secret in the output of %s' % (
                command)
    logs = [os.path.join(run_dir, name)
            for run_dir in (os.path.join(config_dir, run_state.RUN_DIR)
                            for config_dir in (converged.config_dir,
                                               prepared.config_dir))
            if os.path.isdir(run_dir)
            for name in os.listdir(run_dir) if name.endswith('.log')]
    assert any(log.startswith(converged.config_dir + os.sep) for log in logs)
    for log in logs:
        with open(log) as source:
            text = source.read()
        assert not [s for s in secrets if s in text], log
