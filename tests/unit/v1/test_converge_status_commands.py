"""openstack overcloud ffwd-upgrade converge and status."""

import os
from unittest import mock

import fixtures
from osc_lib.cli import format_columns
from osc_lib import exceptions
from osc_lib.test import base as utils

from tests.unit.v1 import base
from tripleo_ffu import conf
from tripleo_ffu.v1 import converge as converge_command
from tripleo_ffu.v1 import status as status_command
from tripleo_ffu.workflow import converge
from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import status

TEMPLATES = '/usr/share/openstack-tripleo-heat-templates'
PHASES = ('ffu', 'upgrade', 'deploy', 'post-upgrade')


def _result(skipped=(), preview=None):
    return converge.Result(
        deploy_steps_type='OS::Heat::StructuredDeploymentGroup',
        deploy_steps_resources=3, update_type='',
        preview=preview or {'added': [], 'deleted': [], 'replaced': [],
                            'updated': ['AllNodesDeploySteps']},
        skipped_plays=list(skipped),
        timings=[('Building the environments', 1.5)],
        credentials='/home/stack/prodrc')


class TestConverge(base.CommandTest):
    """The converge command: its options and what it hands the workflow."""

    def setUp(self):
        super().setUp()
        self.run_check = converge.RunCheck()
        self.check_run = self.useFixture(fixtures.MockPatchObject(
            converge, 'check_run', return_value=self.run_check)).mock
        self.check_owner = self.useFixture(fixtures.MockPatchObject(
            converge, 'check_owner')).mock
        self.converge = self.useFixture(fixtures.MockPatchObject(
            converge, 'converge', return_value=_result())).mock
        self.cmd = converge_command.Converge(self.app, None)

    def _options(self):
        self.converge.assert_called_once_with(
            self.app.client_manager.orchestration, mock.ANY,
            report=self.cmd._say, log=self.cmd.log, run_check=self.run_check)
        options = self.converge.call_args.args[1]
        self.check_run.assert_called_once_with(options)
        self.check_owner.assert_called_once_with(
            self.app.client_manager.orchestration, options)
        return options

    # Parsing

    def test_parse_defaults(self):
        self._parse(['--templates', TEMPLATES], [
            ('templates', TEMPLATES),
            ('environment_files', []),
            ('environment_directories', [self.env_directory]),
            ('roles_file', None),
            ('networks_file', None),
            ('stack', 'overcloud'),
            ('timeout', None),
            ('config_dir', None),
            ('overcloud_ssh_user', None),
            ('overcloud_ssh_key', None),
            ('dry_run', False),
            ('update_plan_only', False),
            ('force', False),
            ('yes', False),
        ])

    def test_parse_all_options(self):
        self._parse([
            '--templates', TEMPLATES,
            '-e', '/e/z.yaml', '--environment-file', '/e/a.yaml',
            '--environment-directory', '/envs',
            '--environment-directory', '/more',
            '--roles-file', '/roles.yaml', '-n', '/networks.yaml',
            '--stack', 'prod', '-t', '90', '--config-dir', '/cfg',
            '--overcloud-ssh-user', 'heat-admin',
            '--overcloud-ssh-key', '/keys/id_rsa', '--update-plan-only',
            '--force', '--yes',
        ], [
            ('templates', TEMPLATES),
            ('environment_files', ['/e/z.yaml', '/e/a.yaml']),
            ('environment_directories', [self.env_directory, '/envs', '/more']),
            ('roles_file', '/roles.yaml'),
            ('networks_file', '/networks.yaml'),
            ('stack', 'prod'),
            ('timeout', 90),
            ('config_dir', '/cfg'),
            ('overcloud_ssh_user', 'heat-admin'),
            ('overcloud_ssh_key', '/keys/id_rsa'),
            ('update_plan_only', True),
            ('force', True),
            ('yes', True),
        ])

    def test_parse_short_options(self):
        self._parse(['--templates', TEMPLATES, '-r', '/r.yaml',
                     '--networks-file', '/n.yaml', '-y'],
                    [('roles_file', '/r.yaml'),
                     ('networks_file', '/n.yaml'),
                     ('yes', True)])

    def test_parse_templates_alone_is_upstreams_default(self):
        self._parse(['--templates'], [('templates',
                                       '/usr/share/openstack-tripleo-heat-'
                                       'templates/')])

    def test_templates_or_answers_file_is_required(self):
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                ['--yes'])
        self.assertIn('give --templates', str(exc))
        self.assertNotCalled(self.converge)

    def test_every_upstream_deploy_option_is_accepted(self):
        """What upstream's ffwd-upgrade converge took (overcloud deploy's
        options, queens to stein): each means something or says why not.
        """
        from tests.unit.v1 import test_prepare_command
        key = os.path.join(self.home, 'id_rsa')
        with open(key, 'w'):
            pass
        os.chmod(key, 0o600)
        args = [key if arg == '/keys/id_rsa' else arg
                for arg in test_prepare_command.UPSTREAM_ARGS]
        for prepare_only in ('--container-registry-file',
                             '--ceph-ansible-playbook'):
            index = args.index(prepare_only)
            del args[index:index + 2]
        self._take_action(args)
        said = [line.split(':')[0]
                for line in self.app.stderr.getvalue().splitlines()]
        self.assertEqual(sorted(test_prepare_command.SAY_WHY), sorted(said))
        options = self._options()
        self.assertEqual(('heat-admin', key, 30), (
            options.ssh_user, options.ssh_key, options.timeout))

    def test_parse_prepare_options_are_unknown(self):
        for option in ('--skip-node-prep', '--container-registry-file=x'):
            self.assertRaises(utils.ParserException, self._parse,
                              ['--templates', TEMPLATES, option])

    # take_action

    def test_take_action_defaults(self):
        self._take_action(['--templates', TEMPLATES, '--yes'])
        self.assertEqual(converge.Options(
            stack='overcloud', templates=TEMPLATES,
            config_dir=self.default_config_dir,
            environment_files=[], environment_directories=[],
            roles_file=None, networks_file=None, timeout=240, force=False,
            credentials_dir='.'), self._options())
        self.assertEqual('', self.app.stderr.getvalue())

    def test_take_action_passes_every_option(self):
        os.makedirs(os.path.join(self.home, '.tripleo', 'environments'))
        self._take_action([
            '--templates', TEMPLATES, '-e', '/e/b.yaml', '-e', '/e/a.yaml',
            '--environment-directory', '/envs', '-r', '/roles.yaml',
            '-n', '/networks.yaml', '--stack', 'prod', '--timeout', '30',
            '--config-dir', '/cfg', '--overcloud-ssh-user', 'heat-admin',
            '--compute-scale', '3', '--ntp-server', 'pool.ntp.org',
            '--credentials-dir', '/creds', '--force', '-y'])
        self.assertEqual(converge.Options(
            stack='prod', templates=TEMPLATES, config_dir='/cfg',
            environment_files=['/e/b.yaml', '/e/a.yaml'],
            environment_directories=[
                os.path.join(self.home, '.tripleo', 'environments'),
                '/envs'],
            parameters={'ComputeCount': 3, 'NtpServer': 'pool.ntp.org'},
            roles_file='/roles.yaml', networks_file='/networks.yaml',
            timeout=30, force=True, ssh_user='heat-admin',
            credentials_dir='/creds'), self._options())

    def test_take_action_upstream_options_that_change_nothing_say_why(self):
        self._take_action([
            '--templates', TEMPLATES, '--validation-errors-nonfatal',
            '--disable-validations', '--deployed-server',
            '--update-plan-only', '--yes'])
        lines = self.app.stderr.getvalue().splitlines()
        self.assertEqual(['--validation-errors-nonfatal', '--disable-'
                          'validations', '--deployed-server',
                          '--update-plan-only'],
                         [line.split(':')[0] for line in lines])
        self.assertIn('a plan-only converge left the stack prepared',
                      lines[-1])
        self.assertEqual(1, self.converge.call_count)

    def test_take_action_dry_run_changes_nothing(self):
        check = self.useFixture(fixtures.MockPatchObject(
            converge, 'check', return_value=(mock.Mock(), []))).mock
        self._take_action(['--templates', TEMPLATES, '--dry-run'])
        check.assert_called_once()
        self.assertNotCalled(self.converge)
        self.assertIn('Dry run: ', self.app.stdout.getvalue())

    def test_take_action_uses_the_config_file_settings(self):
        conf.CONF.set_override('config_dir_base', '/srv/ffu')
        conf.CONF.set_override('stack_update_timeout', 60)
        self._take_action(['--templates', TEMPLATES, '--stack', 'prod',
                           '--yes'])
        options = self._options()
        self.assertEqual('/srv/ffu/prod', options.config_dir)
        self.assertEqual(60, options.timeout)

    def test_take_action_timeout_zero_is_refused(self):
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                ['--templates', TEMPLATES, '--timeout', '0',
                                 '--yes'])
        self.assertIn('--timeout must be at least 1', str(exc))
        self.assertNotCalled(self.converge)

    def test_take_action_unsafe_stack_name(self):
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                ['--templates', TEMPLATES, '--stack',
                                 '../etc', '--yes'])
        self.assertIn('stack name', str(exc))
        self.assertNotCalled(self.converge)

    def test_take_action_workflow_error_is_a_command_error(self):
        self.converge.side_effect = errors.WorkflowError(
            'stack update of overcloud failed')
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                ['--templates', TEMPLATES, '--yes'])
        self.assertEqual('stack update of overcloud failed', str(exc))
        self.assertNotIn('Next:', self.app.stdout.getvalue())

    def test_take_action_reports_to_stdout(self):
        self._take_action(['--templates', TEMPLATES, '--yes'])
        self.converge.call_args.kwargs['report']('Updating stack ...')
        self.assertIn('Updating stack ...\n', self.app.stdout.getvalue())

    # Summary

    def test_summary(self):
        self._take_action(['--templates', TEMPLATES, '--stack', 'prod',
                           '--yes'])
        out = self.app.stdout.getvalue()
        self.assertIn(
            'Deploy steps: 3 resource(s), now '
            'OS::Heat::StructuredDeploymentGroup (no longer '
            'OS::Heat::None)\n'
            "StackUpdateType: ''\n"
            'A following update with these templates and environments is '
            'accepted by Heat and replaces or deletes nothing (Heat\'s '
            'preview)\n'
            'Time by step:\n'
            '     1.5 s  Building the environments\n'
            'Credentials: /home/stack/prodrc\n'
            'Next: openstack overcloud ffwd-upgrade status --stack prod\n',
            out)
        self.assertNotIn('--force', out)
        self.assertNotIn('WARNING', out)

    def test_summary_names_the_nodes_and_plays_force_skipped(self):
        result = _result(skipped=['deploy-0', 'post-upgrade-0'])
        result.nodes_left = {'n-0': ['deploy', 'post-upgrade']}
        result.never_ran = '1 node never ran deploy, post-upgrade'
        self.converge.return_value = result
        self._take_action(['--templates', TEMPLATES, '--force', '--yes'])
        out = self.app.stdout.getvalue()
        self.assertIn('Converged by force: 1 node never ran deploy, '
                      'post-upgrade (the plays not done: deploy-0, '
                      'post-upgrade-0)\n', out)
        self.assertIn('Next: those nodes are not upgraded; openstack '
                      'overcloud ffwd-upgrade prepare, then run and converge '
                      'again', out)
        self.assertNotIn('Next: openstack overcloud ffwd-upgrade status', out)

    def test_interrupted_update_says_its_line_and_exits_with_the_signal(
            self):
        self.converge.side_effect = errors.Interrupted(
            'SIGINT: stopped waiting for the update of stack overcloud, but '
            'Heat goes on with it', 2)
        code = self._take_action(['--templates', TEMPLATES, '--yes'])
        self.assertEqual(130, code)
        self.assertEqual('SIGINT: stopped waiting for the update of stack '
                         'overcloud, but Heat goes on with it\n',
                         self.app.stderr.getvalue())

    def test_summary_warns_of_replaced_and_deleted_resources(self):
        self.converge.return_value = _result(preview={
            'added': ['New'], 'deleted': ['Old', 'Older'],
            'replaced': ['Controller'], 'updated': ['Compute']})
        self._take_action(['--templates', TEMPLATES, '--yes'])
        out = self.app.stdout.getvalue()
        self.assertIn('WARNING: a following update with these templates and '
                      'environments would change resources: replaced '
                      'Controller; deleted Old, Older\n', out)
        self.assertNotIn('replaces or deletes nothing', out)

    # Confirmation

    @mock.patch('tripleoclient.utils.prompt_user_for_confirmation')
    @mock.patch('sys.stdin.isatty', return_value=False)
    def test_no_yes_and_no_terminal_is_refused(self, isatty, prompt):
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                ['--templates', TEMPLATES])
        self.assertIn('--yes', str(exc))
        self.assertNotCalled(prompt)
        self.assertNotCalled(self.converge)

    @mock.patch('tripleoclient.utils.prompt_user_for_confirmation',
                return_value=False)
    @mock.patch('sys.stdin.isatty', return_value=True)
    def test_not_confirmed(self, isatty, prompt):
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                ['--templates', TEMPLATES, '--stack', 'prod'])
        self.assertIn('not confirmed', str(exc))
        self.assertNotCalled(self.converge)
        self.assertIn('converge stack prod after its fast-forward upgrade',
                      prompt.call_args.args[0])

    @mock.patch('tripleoclient.utils.prompt_user_for_confirmation')
    @mock.patch('sys.stdin.isatty', return_value=True)
    def test_incomplete_run_refused_before_asking(self, isatty, prompt):
        self.check_run.side_effect = errors.WorkflowError(
            'the run is not complete: 2 of 8 plays not done')
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                ['--templates', TEMPLATES])
        self.assertEqual('the run is not complete: 2 of 8 plays not done',
                         str(exc))
        self.assertNotCalled(prompt)
        self.assertNotCalled(self.converge)

    @mock.patch('tripleoclient.utils.prompt_user_for_confirmation')
    @mock.patch('sys.stdin.isatty', return_value=True)
    def test_timeout_checked_before_asking(self, isatty, prompt):
        self.assertRaises(exceptions.CommandError, self._take_action,
                          ['--templates', TEMPLATES, '--timeout', '-1'])
        self.assertNotCalled(prompt)


REPORT = {'stack': 'overcloud', 'state': 'partly run',
          'commits': ['0123abcd FFU plan and inventory of stack overcloud',
                      '4567ef01 Config download of stack overcloud'],
          'fixes_applied': 0, 'plays_done': 8,
          'roles': {'Controller': {'done': ['c-0'], 'left': []},
                    'Compute': {'done': [], 'left': ['n-0']}},
          'nodes': {'c-0': {'role': 'Controller', 'done': list(PHASES),
                            'left': []},
                    'n-0': {'role': 'Compute', 'done': ['ffu'],
                            'left': list(PHASES[1:])}},
          'run_phases': {'ffu': {'nodes_done': 2, 'nodes': 2,
                                 'last_at': '2026-12-07T07:00:00+00:00'},
                         'upgrade': {'nodes_done': 1, 'nodes': 2,
                                     'last_at': ''}}}


class TestStatus(base.CommandTest):
    """The status command: its options, its columns, no questions."""

    def setUp(self):
        super().setUp()
        self.status = self.useFixture(fixtures.MockPatchObject(
            status, 'status', side_effect=lambda *args: dict(REPORT))).mock
        self.cmd = status_command.Status(self.app, None)

    def test_parse_defaults(self):
        self._parse([], [('stack', 'overcloud'), ('config_dir', None)])

    def test_parse_options(self):
        self._parse(['--stack', 'prod', '--config-dir', '/cfg',
                     '-f', 'value', '-c', 'state'],
                    [('stack', 'prod'), ('config_dir', '/cfg'),
                     ('formatter', 'value'), ('columns', ['state'])])

    def test_parse_asks_nothing_so_has_no_yes(self):
        self.assertRaises(utils.ParserException, self._parse, ['--yes'])

    def test_take_action_columns_and_values_in_order(self):
        columns, values = self._take_action([])
        self.assertEqual(tuple(REPORT), columns)
        self.assertEqual(('overcloud', 'partly run'), values[:2])
        self.assertEqual((0, 8), values[3:5])
        self.assertIsInstance(values[2], format_columns.ListColumn)
        self.assertEqual(REPORT['commits'], values[2].machine_readable())
        self.assertEqual(REPORT['roles'], values[5].machine_readable())
        self.assertEqual(
            'Compute: 0 of 1 nodes through every phase; left: n-0\n'
            'Controller: 1 of 1 nodes through every phase',
            values[5].human_readable())
        self.assertEqual(REPORT['nodes'], values[6].machine_readable())
        self.assertEqual(
            'c-0 (Controller): done ffu, upgrade, deploy, post-upgrade; left '
            'nothing\n'
            'n-0 (Compute): done ffu; left upgrade, deploy, post-upgrade',
            values[6].human_readable())
        self.assertEqual(REPORT['run_phases'], values[7].machine_readable())
        self.assertEqual(
            'ffu: 2 of 2 nodes, last at 2026-12-07T07:00:00+00:00\n'
            'upgrade: 1 of 2 nodes, never run', values[7].human_readable())

    def test_take_action_default_config_dir(self):
        self._take_action([])
        self.status.assert_called_once_with(
            self.app.client_manager.orchestration, 'overcloud',
            self.default_config_dir)

    def test_take_action_given_stack_and_config_dir(self):
        self._take_action(['--stack', 'prod', '--config-dir', '/cfg'])
        self.status.assert_called_once_with(
            self.app.client_manager.orchestration, 'prod', '/cfg')

    def test_take_action_config_dir_follows_the_stack(self):
        conf.CONF.set_override('config_dir_base', '/srv/ffu')
        self._take_action(['--stack', 'prod'])
        self.assertEqual('/srv/ffu/prod', self.status.call_args.args[2])

    def test_take_action_unsafe_stack_name(self):
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                ['--stack', '../etc'])
        self.assertIn('stack name', str(exc))
        self.assertNotCalled(self.status)

    def test_take_action_workflow_error_is_a_command_error(self):
        self.status.side_effect = errors.WorkflowError(
            "stack 'prod' not found: check --stack")
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                ['--stack', 'prod'])
        self.assertEqual("stack 'prod' not found: check --stack", str(exc))

    @mock.patch('tripleoclient.utils.prompt_user_for_confirmation')
    @mock.patch('sys.stdin.isatty', return_value=False)
    def test_no_confirmation_asked(self, isatty, prompt):
        columns, _values = self._take_action([])
        self.assertEqual(tuple(REPORT), columns)
        self.assertNotCalled(prompt)
