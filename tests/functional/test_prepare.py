"""`openstack overcloud ffwd-upgrade prepare` on the lab, through the CLI."""

import json
import os
import re
import subprocess

import git
import pytest
import yaml

from tripleo_ffu.workflow import conditions
from tripleo_ffu.workflow import fixers
from tripleo_ffu.workflow import inventory
from tripleo_ffu.workflow import plan
from tripleo_ffu.workflow import plan_file
from tripleo_ffu.workflow import task_lists
from tests.functional.conftest import BIN
from tests.functional.conftest import LEGACY_SETTINGS
from tests.functional.conftest import deployment_steps
from tests.functional.conftest import prepare_args
from tests.functional.conftest import role_settings


def test_stack_update_completes(prepared):
    stack = json.loads(prepared.lab.openstack(
        'stack', 'show', 'overcloud', '-f', 'json').stdout)
    assert stack['stack_status'] == 'UPDATE_COMPLETE'
    assert 'Stack UPDATE completed successfully' in prepared.result.stdout


def test_deployment_steps_are_none(prepared):
    steps = deployment_steps(prepared.lab)
    assert steps and not any(steps.values())
    registry = yaml.safe_load(prepared.lab.openstack(
        'stack', 'environment', 'show', 'overcloud', '-f', 'yaml').stdout)[
        'resource_registry']
    assert registry['OS::TripleO::DeploymentSteps'] == 'OS::Heat::None'
    for role in ('Controller', 'Compute'):
        for when in ('PreConfig', 'PostConfig'):
            assert registry['OS::TripleO::Tasks::%s%s' % (role, when)] == (
                'OS::Heat::None')


def test_ffu_status_of_the_prepared_stack(prepared):
    status = prepared.lab.ffu_status(prepared.config_dir)
    assert status['state'] == 'prepared'
    assert status['next_step'] == 'openstack overcloud ffwd-upgrade run'
    assert status['prepared_at'] and status['converged_at'] == ''
    assert all(phase['nodes_done'] == 0 and phase['last_at'] == ''
               for phase in status['run_phases'].values())
    assert status['fixes_applied'] == 4
    assert [commit.split(' ', 1)[1] for commit in status['commits']] == [
        'FFU plan and inventory of stack overcloud',
        'Fix generated tasks: 4 change(s)',
        'Config download of stack overcloud']
    assert status['plan_plays'] == len(plan.load_plays(prepared.config_dir))
    assert status['plan_tasks'] > status['plan_plays']
    assert status['run_status'] == 'none' and status['lock_holder'] == ''


def test_host_keys_are_checked_against_the_stacks(prepared):
    """Each node's key, as its SshHostPubKey gave the newton stack (read
    before the update, which maps those resources to OS::Heat::None)."""
    assert "Host keys: checked on 5 of 5 nodes against the stack's keys" \
        in prepared.result.stdout
    with open(os.path.join(prepared.config_dir,
                           inventory.INVENTORY_FILE)) as source:
        built = yaml.safe_load(source)
    assert built['overcloud']['vars']['ansible_host_key_checking'] is True
    known_hosts = os.path.join(prepared.config_dir, 'ssh_known_hosts')
    hosts = inventory.hosts(built, 'overcloud')
    for role in ('Controller', 'Compute'):
        for host, variables in built[role]['hosts'].items():
            assert variables['ansible_ssh_common_args'] == (
                '-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes '
                '-o HostKeyAlias=%s' % (known_hosts, host))
    lab_ssh = os.path.dirname(prepared.lab.status()['known_hosts'])
    with open(os.path.join(lab_ssh, 'ssh_host_ecdsa_key.pub')) as pub:
        key = ' '.join(pub.read().split()[:2])
    with open(known_hosts) as written:
        assert written.read() == ''.join(
            '%s %s\n' % (host, key) for host in sorted(hosts))


def test_every_step_is_reported_with_its_time(prepared):
    out = prepared.result.stdout
    for step in ('Checking the stack and the inputs', 'Building the '
                 'environments', 'Previewing the update',
                 'Updating stack overcloud', 'Downloading '
                 'the config', 'Fixing the generated tasks', 'Compiling the '
                 'FFU plan', 'Writing the inventory', 'Preparing the nodes'):
        assert step in out and '%s' % step in out.split('Time by step:')[1]
    assert 'Next: openstack overcloud ffwd-upgrade run' in out


def test_no_passwords_file_newtons_five_carried_with_their_values(
        prepared):
    """prepare got no passwords file: the stack kept its own, newton's
    RandomString secrets reached the queens parameters unchanged (in the
    downloaded config and in the stack), and the preview was shown."""
    out = prepared.result.stdout
    assert 'passwords.yaml' not in ' '.join(prepare_args(prepared.lab, 'x'))
    assert '5 carried from newton\'s RandomString resources' in out
    assert 'Heat\'s preview: ' in out
    preview = out.split('Heat\'s preview: ')[1].splitlines()[0]
    # Counts, then what Heat could not preview (its nested stacks, on
    # Heat 24 when a nested resource would be replaced), if anything.
    assert re.match(r'\d+ updated, \d+ created, \d+ deleted, \d+ '
                    r'replaced( \(the top level only: .*\))?$', preview), \
        preview
    print('prepare preview:', preview)  # shown with -rP
    assert len(prepared.legacy) == 5 and all(prepared.legacy.values())
    now = role_settings(prepared.lab)
    with open(os.path.join(prepared.config_dir, 'Controller',
                           'config_settings.yaml')) as source:
        downloaded = yaml.safe_load(source)
    for name, (role, key) in LEGACY_SETTINGS.items():
        assert now[role][key] == prepared.legacy[name], name
        assert downloaded[key] == prepared.legacy[name], name
    carried = os.path.join(prepared.config_dir, 'ffu-environments',
                           'ffwd-upgrade-legacy-passwords.yaml')
    generated = os.path.join(prepared.config_dir, 'ffu-environments',
                             'ffwd-upgrade-new-passwords.yaml')
    for path in (carried, generated):
        assert os.stat(path).st_mode & 0o077 == 0
    for value in prepared.legacy.values():
        assert value not in out + prepared.result.stderr


def test_config_dir_has_playbooks_role_files_and_plan(prepared):
    config_dir = prepared.config_dir
    for name in ('fast_forward_upgrade_playbook.yaml',
                 'upgrade_steps_playbook.yaml', plan_file.PLAN_FILE,
                 inventory.INVENTORY_FILE):
        assert os.path.isfile(os.path.join(config_dir, name)), name
    for role in ('Controller', 'Compute'):
        for section in fixers.ROLE_SECTIONS:
            assert os.path.isfile(os.path.join(config_dir, role,
                                               section + '.yaml'))
    assert plan.load_plays(config_dir)[:4] == ['ffu-facts', 'ffu',
                                               'ffu-ocata', 'ffu-ocata-0']


def _whens(tasks):
    for task in tasks or []:
        if 'when' in task:
            yield task['when']
        for key in task_lists.BLOCK_KEYS:
            yield from _whens(task.get(key))


def test_no_when_tests_anything_before_the_step(prepared):
    for relative in fixers.task_files(prepared.config_dir):
        with open(os.path.join(prepared.config_dir, relative)) as source:
            for when in _whens(yaml.safe_load(source)):
                parts = conditions.all_conjuncts(when) or []
                steps = [i for i, part in enumerate(parts)
                         if conditions.step_of(part) is not None]
                assert not steps or steps[0] == 0, (relative, when)


def test_the_seed_block_was_fixed_and_reported(prepared):
    assert 'Controller/upgrade_tasks.yaml: block (Upgrade os-net-config' in (
        prepared.result.stdout)
    with open(os.path.join(prepared.config_dir,
                           'Controller/upgrade_tasks.yaml')) as source:
        block = [task for task in yaml.safe_load(source) if 'block' in task][0]
    assert block['when'][0] == 'step|int == 3'


def test_git_has_the_download_and_the_fix_commits(prepared):
    commits = list(git.Repo(prepared.config_dir).iter_commits())
    summaries = [commit.summary for commit in commits]
    assert summaries[-1] == 'Config download of stack overcloud'
    assert summaries[-2].startswith('Fix generated tasks: ')
    assert 'Controller/upgrade_tasks.yaml' in commits[-2].message
    assert summaries[-3] == 'FFU plan and inventory of stack overcloud'


def test_config_dir_is_private(prepared):
    for root, dirs, names in os.walk(prepared.config_dir):
        assert os.stat(root).st_mode & 0o777 == 0o700, root
        for name in names:
            path = os.path.join(root, name)
            assert os.lstat(path).st_mode & 0o777 == 0o600, path


@pytest.mark.parametrize('playbook', ['fast_forward_upgrade_playbook.yaml',
                                      'deploy_steps_playbook.yaml',
                                      plan_file.PLAN_FILE])
def test_playbooks_pass_the_syntax_check(prepared, playbook):
    """With the operator's environment: the lab's stackrc gives the roles
    THT's deploy playbook names (an undercloud has them installed)."""
    result = subprocess.run(
        [os.path.join(BIN, 'ansible-playbook'), '--syntax-check', '-i',
         inventory.INVENTORY_FILE, playbook],
        cwd=prepared.config_dir, capture_output=True, text=True,
        env=prepared.lab.env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_node_preparation_removed_the_legacy_files(prepared):
    nodes = os.path.join(prepared.lab.root, 'nodes')
    for node in os.listdir(nodes):
        root = os.path.join(nodes, node)
        assert not os.path.exists(os.path.join(
            root, 'usr/libexec/os-apply-config/templates/etc/os-net-config/'
            'config.json'))
        # The hiera data THT's tasks read (bootstrap_nodeid) is JSON: node
        # preparation removes the legacy YAML only.
        assert os.listdir(os.path.join(root, 'etc/puppet/hieradata')) == [
            'bootstrap_node.json']


def _stack_updated_time(lab, name='overcloud'):
    return json.loads(lab.openstack('stack', 'show', name, '-f',
                                    'json').stdout)['updated_time']


def _bad(lab, config_dir, *args, **kwargs):
    result = lab.openstack(*args, check=False, **kwargs)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Traceback' not in result.stderr
    assert not os.path.exists(config_dir)
    return result.stderr


def test_without_a_terminal_and_without_yes_it_refuses(prepared, tmp_path):
    before = _stack_updated_time(prepared.lab)
    stderr = _bad(prepared.lab, str(tmp_path / 'cfg'),
                  *prepare_args(prepared.lab, str(tmp_path / 'cfg')))
    assert 'run it again with --yes' in stderr
    assert _stack_updated_time(prepared.lab) == before


def test_an_unknown_stack_is_named(prepared, tmp_path):
    stderr = _bad(prepared.lab, str(tmp_path / 'cfg'),
                  *prepare_args(prepared.lab, str(tmp_path / 'cfg'),
                                '--stack', 'nope', '--yes'))
    assert "stack 'nope' not found" in stderr


def test_templates_without_overcloud_yaml(prepared, tmp_path):
    before = _stack_updated_time(prepared.lab)
    args = list(prepare_args(prepared.lab, str(tmp_path / 'cfg'), '--yes'))
    args[args.index('--templates') + 1] = str(tmp_path)
    stderr = _bad(prepared.lab, str(tmp_path / 'cfg'), *args)
    assert 'has no overcloud.yaml' in stderr
    assert _stack_updated_time(prepared.lab) == before


def _small_stack(lab, tmp_path, name, resources, outputs=None):
    template = tmp_path / (name + '.yaml')
    template.write_text(yaml.safe_dump({
        'heat_template_version': 'queens', 'resources': resources,
        'outputs': outputs or {}}))
    lab.openstack('stack', 'create', '-t', str(template), name)


def _wait_status(lab, name, status):
    import time
    for _ in range(120):
        shown = json.loads(lab.openstack('stack', 'show', name, '-f',
                                         'json').stdout)
        if shown['stack_status'] == status:
            return
        time.sleep(1)
    pytest.fail('%s never reached %s' % (name, status))


@pytest.mark.parametrize('name, resources, outputs, status, message', [
    ('not-tripleo', {'v': {'type': 'OS::Heat::Value',
                           'properties': {'value': 'x'}}},
     {'Other': {'value': 1}}, 'CREATE_COMPLETE', 'has no RoleData output'),
    ('failed', {'t': {'type': 'OS::Heat::TestResource',
                      'properties': {'fail': True}}},
     None, 'CREATE_FAILED', 'is CREATE_FAILED'),
    ('busy', {'t': {'type': 'OS::Heat::TestResource',
                    'properties': {'action_wait_secs': {'create': 600}}}},
     None, 'CREATE_IN_PROGRESS', 'is CREATE_IN_PROGRESS: wait for it'),
])
def test_stacks_that_cannot_be_prepared(prepared, tmp_path, name,
                                        resources, outputs, status,
                                        message):
    lab = prepared.lab
    _small_stack(lab, tmp_path, name, resources, outputs)
    try:
        _wait_status(lab, name, status)
        stderr = _bad(lab, str(tmp_path / 'cfg'),
                      *prepare_args(lab, str(tmp_path / 'cfg'), '--stack',
                                    name, '--yes'))
        assert message in stderr
        assert len([line for line in stderr.splitlines() if line]) == 1
        shown = json.loads(lab.openstack('stack', 'show', name, '-f',
                                         'json').stdout)
        assert shown['stack_status'] == status
    finally:
        lab.openstack('stack', 'delete', '--yes', '--wait', name,
                      check=False, timeout=300)


def test_the_credentials_file_holds_the_stacks_values(prepared):
    """<stack>rc in the working directory (the lab dir, as the
    undercloud's home), owner-only, its path printed and its password
    nowhere in the output. The lab's overcloud has no Keystone to ask:
    the file holds the stack's KeystoneURL and the lab's AdminPassword."""
    path = os.path.join(prepared.lab.root, 'overcloudrc')
    assert 'Credentials: %s\n' % path in prepared.result.stdout
    assert os.stat(path).st_mode & 0o777 == 0o600
    with open(os.path.join(prepared.lab.root, 'passwords.yaml')) as source:
        admin = yaml.safe_load(source)['parameter_defaults']['AdminPassword']
    assert admin not in prepared.result.stdout + prepared.result.stderr
    out = subprocess.run(['bash', '-c', 'source "$1" && env', '_', path],
                         env={'PATH': os.environ['PATH']},
                         capture_output=True, text=True, check=True).stdout
    variables = dict(line.split('=', 1) for line in out.splitlines()
                     if line.startswith('OS_'))
    assert (variables['OS_AUTH_URL'], variables['OS_PASSWORD'],
            variables['OS_USERNAME'], variables['OS_CLOUDNAME']) == (
        'http://127.0.0.1:5000/v3', admin, 'admin', 'overcloud')
