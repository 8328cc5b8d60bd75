"""`ffwd-upgrade converge`: the stack update after a complete run."""

import json
import os
import shutil
import stat
import types
from unittest import mock

from heatclient import exc as heat_exc
import pytest
import yaml

from tests.unit import test_status
from tripleo_ffu.workflow import converge
from tripleo_ffu.workflow import environments
from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import inventory
from tripleo_ffu.workflow import run_state
from tripleo_ffu.workflow import stack as overcloud_stack

PLAN_IDS = test_status.PLAN_IDS
STEPS = overcloud_stack.DEPLOYMENT_STEPS
NOOP = overcloud_stack.NOOP
REAL_STEPS = 'OS::Heat::StructuredDeploymentGroup'
PREVIEW = {'added': [], 'deleted': [], 'replaced': [],
           'updated': [{'resource_name': 'ControllerDeployment_Step1'},
                       {'resource_name': 'AllNodesDeploySteps'}],
           'unchanged': [{'resource_name': 'Controller'}]}


def _heat(registry=test_status.CONVERGED, parameters=None,
          stack_status='UPDATE_COMPLETE'):
    """Heat with a TripleO overcloud that converges to registry."""
    heat = test_status.fake_heat(registry, parameters, stack_status)
    heat.stacks.output_list.return_value = {
        'outputs': [{'output_key': 'RoleData'}]}
    heat.resources.list.return_value = [
        types.SimpleNamespace(resource_type=STEPS)] * 3 + [
        types.SimpleNamespace(resource_type='OS::Heat::Value')]
    heat.stacks.get.return_value.outputs = [
        {'output_key': 'RoleData', 'output_value': {'Controller': {}}}]
    heat.stacks.preview_update.return_value = {'resource_changes': PREVIEW}
    return heat


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as out:
        yaml.safe_dump(data, out)
    return path


@pytest.fixture
def templates(tmp_path):
    """Queens templates, with no converge lifecycle environment."""
    tht = str(tmp_path / 'tht')
    _write(os.path.join(tht, environments.TOP_TEMPLATE),
           {'heat_template_version': 'queens'})
    _write(os.path.join(tht, environments.REGISTRY),
           {'resource_registry': {STEPS: REAL_STEPS}})
    return tht


@pytest.fixture
def config_dir(tmp_path):
    """Where prepare and a whole run left their files, prepare's noop
    environment included."""
    path = str(tmp_path / 'cfg')
    os.makedirs(path)
    test_status.write_plan(path)
    test_status.write_run(path, done=PLAN_IDS)
    _write(os.path.join(path, environments.GENERATED_DIR,
                        'ffwd-upgrade-noop-deploy-steps.yaml'),
           environments.noop_environment(['Controller']))
    return path


@pytest.fixture(autouse=True)
def ping():
    """No node to answer here: the tests that check it patch it again."""
    with mock.patch('tripleo_ffu.workflow.reach.ping') as patched:
        yield patched


@pytest.fixture
def update():
    with mock.patch.object(overcloud_stack, 'update') as patched:
        yield patched


def _options(templates, config_dir, **kwargs):
    return converge.Options(stack='overcloud', templates=templates,
                            config_dir=config_dir, **kwargs)


def _fields(update):
    """template, files and environment the stack update was given."""
    update.assert_called_once()
    return update.call_args.args[2:5]


def _lock_path(config_dir):
    return os.path.join(config_dir, run_state.RUN_DIR, run_state.LOCK_FILE)


def _record_path(config_dir):
    return os.path.join(config_dir, run_state.RUN_DIR,
                        run_state.CONVERGE_FILE)


# The run must be complete

def _incomplete_run(config_dir):
    """Only a run that failed at upgrade-0, on the inventory's nodes."""
    shutil.rmtree(os.path.join(config_dir, run_state.RUN_DIR))
    _write(os.path.join(config_dir, inventory.INVENTORY_FILE), {
        'overcloud': {'children': {'Controller': {}}},
        'Controller': {'hosts': {'c-0': {}, 'c-1': {}}}})
    test_status.write_run(config_dir, done=PLAN_IDS[:5], run_status='failed',
                          hosts=['c-0', 'c-1'])


def test_converge_refused_while_the_run_is_incomplete(templates, config_dir,
                                                      update):
    _incomplete_run(config_dir)
    with pytest.raises(errors.WorkflowError,
                       match='not every node has been through every phase: '
                             'c-0: upgrade, deploy, post-upgrade left; c-1: '):
        converge.converge(_heat(), _options(templates, config_dir))
    update.assert_not_called()
    assert not os.path.exists(_lock_path(config_dir))
    assert not os.path.exists(_record_path(config_dir))


def test_converge_refused_after_a_failed_run_of_nodes_done_before(
        templates, config_dir, update):
    """The nodes went through everything, but the last run (on another
    host, the undercloud) failed: finish it first."""
    _incomplete_run(config_dir)
    test_status.write_run(config_dir, done=PLAN_IDS, hosts=['c-0', 'c-1'])
    test_status.write_run(config_dir, failed=['setup'], run_status='failed',
                          play_ids=['setup'], hosts=['undercloud'])
    with pytest.raises(errors.WorkflowError,
                       match='the last run is failed \\(at setup\\)'):
        converge.converge(_heat(), _options(templates, config_dir))
    update.assert_not_called()


def test_converge_with_force_goes_on_and_says_what_was_skipped(
        templates, config_dir, update):
    _incomplete_run(config_dir)
    result = converge.converge(_heat(), _options(templates, config_dir,
                                                 force=True))
    assert result.skipped_plays == PLAN_IDS[5:]
    assert result.nodes_left == {
        'c-0': ['upgrade', 'deploy', 'post-upgrade'],
        'c-1': ['upgrade', 'deploy', 'post-upgrade']}
    assert result.never_ran == '2 nodes never ran upgrade, deploy, ' \
        'post-upgrade'
    update.assert_called_once()
    with open(_record_path(config_dir)) as source:
        record = json.load(source)
    assert record['skipped_plays'] == PLAN_IDS[5:]
    assert record['nodes_left'] == result.nodes_left
    assert record['forced'].startswith('not every node has been through')


def test_converge_with_force_says_why_once(templates, config_dir, update,
                                          caplog):
    """The command checks the run before its question and hands what it
    found to converge: one warning."""
    _incomplete_run(config_dir)
    options = _options(templates, config_dir, force=True)
    run_check = converge.check_run(options)
    converge.converge(_heat(), options, run_check=run_check)
    assert caplog.text.count('Converging with --force, although') == 1


def test_converge_with_force_goes_past_a_corrupted_journal(
        templates, config_dir, update, caplog):
    os.makedirs(os.path.join(config_dir, run_state.RUN_DIR), exist_ok=True)
    with open(os.path.join(config_dir, run_state.RUN_DIR,
                           run_state.JOURNAL_FILE), 'w') as out:
        out.write('{not json')
    result = converge.converge(_heat(), _options(templates, config_dir,
                                                 force=True))
    assert result.skipped_plays == []
    update.assert_called_once()
    assert 'Converging with --force, although the journal' in caplog.text


def test_converge_refused_while_another_command_holds_the_lock(
        templates, config_dir, update):
    with run_state.Lock(config_dir, 'ffwd-upgrade run'):
        with pytest.raises(errors.WorkflowError, match='ffwd-upgrade run'):
            converge.converge(_heat(), _options(templates, config_dir))
    update.assert_not_called()


def test_converge_checks_the_inputs_before_the_stack(tmp_path, config_dir,
                                                     update):
    heat = _heat()
    with pytest.raises(errors.WorkflowError, match='--templates'):
        converge.converge(heat, _options(str(tmp_path), config_dir))
    heat.stacks.get.assert_not_called()


# The update

def test_converge_update_has_our_converge_environment_and_no_noop(
        templates, config_dir, update):
    converge.converge(_heat(), _options(templates, config_dir, timeout=90))
    template, files, environment = _fields(update)
    assert template == {'heat_template_version': 'queens'}
    assert environment['resource_registry'] == {STEPS: REAL_STEPS}
    assert environment['parameter_defaults'] == {
        'StackUpdateType': '', 'EnableOnlineDataMigrations': True}
    assert NOOP not in json.dumps([template, files, environment])
    assert update.call_args.args[1].stack_name == 'overcloud'
    assert update.call_args.args[5] == 90
    generated = os.path.join(config_dir, environments.GENERATED_DIR,
                             environments.CONVERGE_ENV)
    assert environments.read_environment(generated) == (
        environments.GENERATED_CONVERGE)


def test_converge_update_has_the_templates_converge_environment(
        templates, config_dir, update):
    _write(os.path.join(templates, environments.LIFECYCLE,
                        environments.CONVERGE_ENV),
           {'parameter_defaults': {'StackUpdateType': '',
                                   'CephAnsiblePlaybook': ['site.yml']}})
    converge.converge(_heat(), _options(templates, config_dir))
    assert _fields(update)[2]['parameter_defaults'] == {
        'StackUpdateType': '', 'CephAnsiblePlaybook': ['site.yml']}
    assert not os.path.exists(os.path.join(
        config_dir, environments.GENERATED_DIR, environments.CONVERGE_ENV))


def test_converge_update_ends_with_the_user_environment_files(
        templates, config_dir, tmp_path, update):
    user = _write(str(tmp_path / 'user.yaml'), {'parameter_defaults': {
        'EnableOnlineDataMigrations': False, 'NtpServer': 'pool.ntp.org'}})
    converge.converge(_heat(), _options(templates, config_dir,
                                        environment_files=[user]))
    assert _fields(update)[2]['parameter_defaults'] == {
        'StackUpdateType': '', 'EnableOnlineDataMigrations': False,
        'NtpServer': 'pool.ntp.org'}


def test_converge_holds_the_lock_during_the_update(templates, config_dir,
                                                   update):
    holders = []
    update.side_effect = lambda *args, **kwargs: holders.append(
        run_state.Lock.holder(config_dir))
    converge.converge(_heat(), _options(templates, config_dir))
    assert [holder['command'] for holder in holders] == [
        'ffwd-upgrade converge']
    assert run_state.Lock.holder(config_dir) == {}


def test_converge_failed_update_leaves_no_record(templates, config_dir,
                                                 update):
    update.side_effect = errors.WorkflowError('stack update failed')
    with pytest.raises(errors.WorkflowError, match='stack update failed'):
        converge.converge(_heat(), _options(templates, config_dir))
    assert not os.path.exists(_record_path(config_dir))
    assert run_state.Lock.holder(config_dir) == {}


def test_converge_failed_update_says_to_converge_again(
        templates, config_dir):
    heat = _heat()
    heat.resources.list.return_value = []
    with mock.patch.object(overcloud_stack, 'last_event_id'), \
            mock.patch('tripleoclient.utils.wait_for_stack_ready',
                       return_value=False):
        with pytest.raises(errors.WorkflowError) as exc:
            converge.converge(heat, _options(templates, config_dir))
    message = str(exc.value)
    assert message.startswith('stack update of overcloud failed')
    assert message.endswith('run converge again')
    assert 'prepare' not in message


def test_converge_updates_a_stack_its_failed_update_left(templates,
                                                         config_dir, update):
    converge.converge(_heat(stack_status='UPDATE_FAILED'),
                      _options(templates, config_dir))
    update.assert_called_once()


@pytest.mark.parametrize('stack_status', ['UPDATE_IN_PROGRESS',
                                          'CREATE_FAILED'])
def test_converge_refused_on_a_stack_not_at_rest(templates, config_dir,
                                                 update, stack_status):
    with pytest.raises(errors.WorkflowError, match=stack_status):
        converge.converge(_heat(stack_status=stack_status),
                          _options(templates, config_dir))
    update.assert_not_called()


# After the update

def test_converge_result(templates, config_dir, update):
    heat = _heat()
    reports = []
    result = converge.converge(heat, _options(templates, config_dir),
                               report=reports.append)
    assert result.deploy_steps_type == REAL_STEPS
    assert result.deploy_steps_resources == 3
    assert result.update_type == ''
    assert result.preview == {
        'added': [], 'deleted': [], 'replaced': [],
        'updated': ['AllNodesDeploySteps', 'ControllerDeployment_Step1'],
        'unchanged': ['Controller']}
    assert result.skipped_plays == []
    assert [name for name, _ in result.timings] == [
        'Checking the stack, the inputs and the run',
        'Checking that every node answers',
        'Building the environments',
        'Previewing the update',
        'Updating stack overcloud (deploy steps back to their real types)',
        'Checking the converged stack']
    assert len(reports) == 14
    assert 'the nodes are not checked' in reports[3]
    assert 'Heat\'s preview: 2 updated, 0 created, 0 deleted, 0 replaced' \
        in reports
    heat.resources.list.assert_called_once_with('0f1e2d3c', nested_depth=2)
    # Before the update (nested stacks too) and after it: both PATCH.
    assert heat.stacks.preview_update.call_args_list == [
        mock.call('0f1e2d3c', template=mock.ANY, files=mock.ANY,
                  environment=_fields(update)[2], existing=True,
                  show_nested=nested) for nested in (True, False)]


def _inventory(config_dir):
    """The inventory prepare wrote, and a run through on its nodes."""
    _write(os.path.join(config_dir, inventory.INVENTORY_FILE), {
        'overcloud': {'children': {'Controller': {}},
                      'vars': {'ansible_host_key_checking': True}},
        'Controller': {'hosts': {'c-0': {}, 'c-1': {}}}})
    test_status.write_run(config_dir, done=PLAN_IDS, hosts=['c-0', 'c-1'])


def test_converge_checks_the_nodes_answer_as_given(templates, config_dir,
                                                  update):
    _inventory(config_dir)
    with mock.patch('tripleo_ffu.workflow.reach.ping') as ping:
        converge.converge(_heat(), _options(
            templates, config_dir, ssh_user='heat-admin', ssh_key='/k'))
    options = ping.call_args.args[0]
    assert (options.ssh_user, options.ssh_key, options.stack) == (
        'heat-admin', '/k', 'overcloud')
    assert options.host_key_checking is True and options.forks == 2
    assert ping.call_args.kwargs['users'] == (
        '--overcloud-ssh-user and --overcloud-ssh-key')


def test_converge_refused_when_a_node_does_not_answer(templates, config_dir,
                                                      update):
    _inventory(config_dir)
    with mock.patch('tripleo_ffu.workflow.reach.ping',
                    side_effect=errors.WorkflowError('not answering')):
        with pytest.raises(errors.WorkflowError, match='not answering'):
            converge.converge(_heat(), _options(templates, config_dir))
    update.assert_not_called()
    assert not os.path.exists(_record_path(config_dir))


def test_converge_record_is_written_owner_only(templates, config_dir,
                                               update):
    converge.converge(_heat(), _options(templates, config_dir))
    path = _record_path(config_dir)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as source:
        record = json.load(source)
    assert record.pop('converged')
    assert record == {'stack': 'overcloud', 'deploy_steps_type': REAL_STEPS,
                      'skipped_plays': [], 'forced': '', 'nodes_left': {}}


def test_converge_refuses_deploy_steps_left_noop(templates, config_dir,
                                                 update):
    heat = _heat(dict(test_status.CONVERGED, **{STEPS: NOOP}))
    with pytest.raises(errors.WorkflowError) as exc:
        converge.converge(heat, _options(templates, config_dir))
    message = str(exc.value)
    assert '%s still maps to %s' % (STEPS, NOOP) in message
    assert 'environment file given with -e' in message
    assert not os.path.exists(_record_path(config_dir))


def test_check_converged_refuses_a_left_update_type():
    heat = _heat(parameters={'StackUpdateType': 'FASTFORWARDUPGRADE'})
    stack = heat.stacks.get.return_value
    with pytest.raises(errors.WorkflowError,
                       match="StackUpdateType is still 'FASTFORWARDUPGRADE'"):
        converge._check_converged(heat, stack, ({}, {}, {}))
    heat.stacks.get.assert_called_once_with(stack.id)


def test_check_converged_without_deploy_steps_mapping():
    heat = _heat({})
    heat.resources.list.return_value = []
    checked = converge._check_converged(
        heat, heat.stacks.get.return_value, ({}, {}, {}))
    assert (checked['deploy_steps_type'], checked['deploy_steps_resources'],
            checked['update_type']) == (STEPS, 0, '')


def test_check_converged_accepts_tht_default_role_tasks():
    heat = _heat(test_status.THT_DEFAULTS)
    checked = converge._check_converged(
        heat, heat.stacks.get.return_value, ({}, {}, {}))
    assert checked['deploy_steps_type'] == REAL_STEPS


# stack: deploy_steps_are_noop and preview_update

@pytest.mark.parametrize('registry, noop', [
    (test_status.PREPARED, True),
    (test_status.CONVERGED, False),
    (test_status.THT_DEFAULTS, False),
    ({'OS::TripleO::Tasks::ControllerPreConfig': NOOP,
      'OS::TripleO::Services::CephMon': NOOP}, False),
    ({}, False),
])
def test_deploy_steps_are_noop(registry, noop):
    assert overcloud_stack.deploy_steps_are_noop(registry) is noop


@pytest.mark.parametrize('answer', [{'resource_changes': PREVIEW}, PREVIEW])
def test_preview_update(answer):
    heat = _heat()
    heat.stacks.preview_update.return_value = answer
    stack = heat.stacks.get.return_value
    assert overcloud_stack.preview_update(
        heat, stack, {'t': 1}, {'f': 'x'}, {'e': 2}) == {
        'added': [], 'deleted': [], 'replaced': [],
        'updated': ['AllNodesDeploySteps', 'ControllerDeployment_Step1'],
        'unchanged': ['Controller']}
    heat.stacks.preview_update.assert_called_once_with(
        stack.id, template={'t': 1}, files={'f': 'x'},
        environment={'e': 2}, existing=True, show_nested=False)


def test_preview_update_unnamed_resource():
    heat = _heat()
    heat.stacks.preview_update.return_value = {'resource_changes': {
        'replaced': [{'resource_type': 'OS::Nova::Server'}]}}
    assert overcloud_stack.preview_update(
        heat, heat.stacks.get.return_value, {}, {}, {}) == {
        'replaced': ['?']}


def test_preview_update_refused_by_heat():
    heat = _heat()
    heat.stacks.preview_update.side_effect = heat_exc.HTTPBadRequest(
        'Property error')
    with pytest.raises(errors.WorkflowError,
                       match='Heat refused the preview of an update of '
                             'overcloud: .*Property error'):
        overcloud_stack.preview_update(heat, heat.stacks.get.return_value,
                                       {}, {}, {})


def test_converge_writes_the_credentials_file(templates, config_dir, update,
                                              tmp_path):
    """As upstream's converge: <stack>rc from the converged stack's
    outputs, its path in the result."""
    heat = _heat()
    heat.stacks.get.return_value.outputs = [
        {'output_key': 'KeystoneURL', 'output_value': 'http://k:5000'},
        {'output_key': 'RoleData', 'output_value': {'Controller': {
            'config_settings': {'keystone::admin_password': 'pw-123456'}}}}]
    result = converge.converge(heat, _options(
        templates, config_dir, credentials_dir=str(tmp_path)))
    assert result.credentials == str(tmp_path / 'overcloudrc')
    text = (tmp_path / 'overcloudrc').read_text()
    assert 'export OS_PASSWORD=pw-123456\n' in text
    assert 'export OS_AUTH_URL=http://k:5000/v3\n' in text
    assert result.timings[-1][0] == 'Writing the credentials file'
