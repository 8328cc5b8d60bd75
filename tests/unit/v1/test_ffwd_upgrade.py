"""openstack overcloud ffwd-upgrade prepare."""

import io
import os
from unittest import mock

import fixtures
from osc_lib import exceptions
from osc_lib.test import base as utils
from oslo_config import cfg

from tripleo_ffu import conf
from tripleo_ffu.v1 import common
from tripleo_ffu.v1 import ffwd_upgrade
from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import plan
from tripleo_ffu.workflow import prepare

TEMPLATES = '/usr/share/openstack-tripleo-heat-templates'


def _result(config_dir='/cfg', changes=()):
    return prepare.Result(
        config_dir=config_dir, commits=['0123456789abcdef', 'fedcba98'],
        changes=list(changes),
        plays=[plan.Play('ffu-ocata-1', 'ffu',
                         (('release', 'ocata'), ('step', '1')),
                         {'Controller': 3, 'Compute': 2})],
        inventory=config_dir + '/tripleo-ansible-inventory.yaml',
        hosts=['overcloud-controller-0', 'overcloud-novacompute-0'],
        timings=[('Checking the stack and the inputs', 0.25)])


class TestPrepare(utils.TestCommand):
    """The prepare command: its options and what it hands the workflow."""

    def setUp(self):
        super().setUp()
        # osc_lib's FakeStdout has no flush(), which the command calls.
        self.app.stdout = io.StringIO()
        self.app.client_manager.orchestration = mock.Mock()
        self.useFixture(fixtures.EnvironmentVariable('OVERCLOUD_STACK_NAME'))
        # Defaults only: no config file of this machine is read.
        settings = cfg.ConfigOpts()
        settings.register_opts(conf.OPTS)
        self.useFixture(fixtures.MockPatchObject(conf, 'CONF', settings))
        self.useFixture(fixtures.MockPatchObject(conf, 'CONFIG_FILES', ()))
        self.prepare = self.useFixture(fixtures.MockPatchObject(
            prepare, 'prepare', return_value=_result())).mock
        self.cmd = ffwd_upgrade.Prepare(self.app, None)

    def _parse(self, args, verify=()):
        return self.check_parser(self.cmd, args, list(verify))

    def _options(self):
        self.assertEqual(1, self.prepare.call_count)
        args, kwargs = self.prepare.call_args
        self.assertIs(self.app.client_manager.orchestration, args[0])
        return args[1]

    # Parsing

    def test_parse_defaults(self):
        self._parse(['--templates', TEMPLATES], [
            ('templates', TEMPLATES),
            ('environment_files', []),
            ('environment_directory', None),
            ('roles_file', None),
            ('networks_file', None),
            ('stack', 'overcloud'),
            ('timeout', None),
            ('config_dir', None),
            ('overcloud_ssh_user', None),
            ('overcloud_ssh_key', None),
            ('skip_node_prep', False),
            ('yes', False),
        ])

    def test_parse_all_options(self):
        self._parse([
            '--templates', TEMPLATES,
            '-e', '/e/z.yaml', '--environment-file', '/e/a.yaml',
            '-e', '/e/m.yaml',
            '--environment-directory', '/envs',
            '-r', '/roles.yaml', '-n', '/networks.yaml',
            '--stack', 'prod', '--timeout', '90',
            '--config-dir', '/cfg',
            '--overcloud-ssh-user', 'heat-admin',
            '--overcloud-ssh-key', '/keys/id_rsa',
            '--skip-node-prep', '--yes',
        ], [
            ('templates', TEMPLATES),
            ('environment_files', ['/e/z.yaml', '/e/a.yaml', '/e/m.yaml']),
            ('environment_directory', '/envs'),
            ('roles_file', '/roles.yaml'),
            ('networks_file', '/networks.yaml'),
            ('stack', 'prod'),
            ('timeout', 90),
            ('config_dir', '/cfg'),
            ('overcloud_ssh_user', 'heat-admin'),
            ('overcloud_ssh_key', '/keys/id_rsa'),
            ('skip_node_prep', True),
            ('yes', True),
        ])

    def test_parse_long_names(self):
        self._parse(['--templates', TEMPLATES,
                     '--roles-file', '/r.yaml',
                     '--networks-file', '/n.yaml', '-y'],
                    [('roles_file', '/r.yaml'),
                     ('networks_file', '/n.yaml'),
                     ('yes', True)])

    def test_parse_templates_is_required(self):
        self.assertRaises(utils.ParserException, self._parse,
                          ['--stack', 'overcloud', '--yes'])

    def test_parse_templates_needs_a_value(self):
        self.assertRaises(utils.ParserException, self._parse,
                          ['--templates'])

    def test_parse_timeout_is_an_integer(self):
        self.assertRaises(utils.ParserException, self._parse,
                          ['--templates', TEMPLATES, '--timeout', 'soon'])

    def test_parse_unknown_option(self):
        self.assertRaises(utils.ParserException, self._parse,
                          ['--templates', TEMPLATES, '--force'])

    def test_parse_stack_from_the_environment(self):
        self.useFixture(fixtures.EnvironmentVariable(
            'OVERCLOUD_STACK_NAME', 'from-env'))
        self._parse(['--templates', TEMPLATES], [('stack', 'from-env')])
        self._parse(['--templates', TEMPLATES, '--stack', 'given'],
                    [('stack', 'given')])

    def test_default_stack(self):
        self.assertEqual('overcloud', common.default_stack())
        self.useFixture(fixtures.EnvironmentVariable(
            'OVERCLOUD_STACK_NAME', 'oc2'))
        self.assertEqual('oc2', common.default_stack())

    # take_action

    def test_take_action_defaults(self):
        parsed_args = self._parse(['--templates', TEMPLATES, '--yes'])
        self.cmd.take_action(parsed_args)
        self.assertEqual(prepare.Options(
            stack='overcloud', templates=TEMPLATES,
            config_dir=os.path.expanduser('~/tripleo-ffu/overcloud'),
            ssh_user='tripleo-admin', environment_files=[],
            environment_directory=None, roles_file=None,
            networks_file=None, timeout=240, ssh_key=None,
            skip_node_prep=False), self._options())

    def test_take_action_passes_every_option(self):
        parsed_args = self._parse([
            '--templates', TEMPLATES, '-e', '/e/b.yaml', '-e', '/e/a.yaml',
            '--environment-directory', '/envs', '-r', '/roles.yaml',
            '-n', '/networks.yaml', '--stack', 'prod', '--timeout', '30',
            '--config-dir', '/cfg', '--overcloud-ssh-user', 'heat-admin',
            '--overcloud-ssh-key', '/keys/id_rsa', '--skip-node-prep',
            '-y'])
        self.cmd.take_action(parsed_args)
        self.assertEqual(prepare.Options(
            stack='prod', templates=TEMPLATES, config_dir='/cfg',
            ssh_user='heat-admin',
            environment_files=['/e/b.yaml', '/e/a.yaml'],
            environment_directory='/envs', roles_file='/roles.yaml',
            networks_file='/networks.yaml', timeout=30,
            ssh_key='/keys/id_rsa', skip_node_prep=True), self._options())

    def test_take_action_config_dir_follows_the_stack(self):
        parsed_args = self._parse(['--templates', TEMPLATES,
                                   '--stack', 'prod', '--yes'])
        self.cmd.take_action(parsed_args)
        self.assertEqual(os.path.expanduser('~/tripleo-ffu/prod'),
                         self._options().config_dir)

    def test_take_action_uses_the_config_file_settings(self):
        conf.CONF.set_override('config_dir_base', '/srv/ffu')
        conf.CONF.set_override('ssh_user', 'stack')
        conf.CONF.set_override('stack_update_timeout', 60)
        parsed_args = self._parse(['--templates', TEMPLATES, '--yes'])
        self.cmd.take_action(parsed_args)
        options = self._options()
        self.assertEqual('/srv/ffu/overcloud', options.config_dir)
        self.assertEqual('stack', options.ssh_user)
        self.assertEqual(60, options.timeout)

    def test_take_action_unsafe_stack_name(self):
        parsed_args = self._parse(['--templates', TEMPLATES,
                                   '--stack', '../etc', '--yes'])
        exc = self.assertRaises(exceptions.CommandError,
                                self.cmd.take_action, parsed_args)
        self.assertIn('stack name', str(exc))
        self.assertNotCalled(self.prepare)

    def test_take_action_reports_to_stdout(self):
        parsed_args = self._parse(['--templates', TEMPLATES, '--yes'])
        self.cmd.take_action(parsed_args)
        self.prepare.call_args.kwargs['report']('Doing a step ...')
        self.assertIn('Doing a step ...\n', self.app.stdout.getvalue())

    def test_take_action_summary(self):
        self.prepare.return_value = _result(
            '/cfg', changes=['moved a task', 'moved another'])
        parsed_args = self._parse(['--templates', TEMPLATES,
                                   '--stack', 'prod', '--yes'])
        self.cmd.take_action(parsed_args)
        out = self.app.stdout.getvalue()
        self.assertIn('Generated tasks fixed (2 change(s)):', out)
        self.assertIn('FFU plan (1 plays):', out)
        self.assertIn('Config: /cfg (git: 01234567, fedcba98)', out)
        self.assertIn('(2 nodes)', out)
        self.assertTrue(out.endswith(
            'Next: openstack overcloud ffwd-upgrade run --stack prod\n'))

    def test_take_action_summary_nothing_to_fix(self):
        parsed_args = self._parse(['--templates', TEMPLATES, '--yes'])
        self.cmd.take_action(parsed_args)
        self.assertIn('Generated tasks: nothing to fix',
                      self.app.stdout.getvalue())

    def test_take_action_workflow_error_is_a_command_error(self):
        self.prepare.side_effect = errors.WorkflowError(
            'ssh key /k is readable by others')
        parsed_args = self._parse(['--templates', TEMPLATES, '--yes'])
        exc = self.assertRaises(exceptions.CommandError,
                                self.cmd.take_action, parsed_args)
        self.assertEqual('ssh key /k is readable by others', str(exc))
        self.assertNotIn('Next:', self.app.stdout.getvalue())

    def test_take_action_other_errors_are_not_hidden(self):
        self.prepare.side_effect = RuntimeError('bug')
        parsed_args = self._parse(['--templates', TEMPLATES, '--yes'])
        self.assertRaises(RuntimeError, self.cmd.take_action, parsed_args)

    def test_take_action_timeout_zero_is_refused(self):
        parsed_args = self._parse(['--templates', TEMPLATES,
                                   '--timeout', '0', '--yes'])
        exc = self.assertRaises(exceptions.CommandError,
                                self.cmd.take_action, parsed_args)
        self.assertIn('--timeout', str(exc))
        self.assertNotCalled(self.prepare)

    def test_take_action_negative_timeout_is_refused(self):
        parsed_args = self._parse(['--templates', TEMPLATES,
                                   '--timeout', '-5', '--yes'])
        self.assertRaises(exceptions.CommandError,
                          self.cmd.take_action, parsed_args)
        self.assertNotCalled(self.prepare)

    # Confirmation

    @mock.patch('tripleoclient.utils.prompt_user_for_confirmation')
    @mock.patch('sys.stdin.isatty', return_value=False)
    def test_no_yes_and_no_terminal_is_refused(self, isatty, prompt):
        parsed_args = self._parse(['--templates', TEMPLATES])
        exc = self.assertRaises(exceptions.CommandError,
                                self.cmd.take_action, parsed_args)
        self.assertIn('--yes', str(exc))
        self.assertNotCalled(prompt)
        self.assertNotCalled(self.prepare)

    @mock.patch('tripleoclient.utils.prompt_user_for_confirmation',
                return_value=False)
    @mock.patch('sys.stdin.isatty', return_value=True)
    def test_not_confirmed(self, isatty, prompt):
        parsed_args = self._parse(['--templates', TEMPLATES,
                                   '--stack', 'prod'])
        exc = self.assertRaises(exceptions.CommandError,
                                self.cmd.take_action, parsed_args)
        self.assertIn('not confirmed', str(exc))
        self.assertNotCalled(self.prepare)
        prompt.assert_called_once_with(mock.ANY, self.cmd.log,
                                       positive_response='yes')
        question = prompt.call_args.args[0]
        self.assertIn('prepare stack prod for a fast-forward upgrade',
                      question)
        self.assertIn('backup', question)

    @mock.patch('tripleoclient.utils.prompt_user_for_confirmation',
                return_value=True)
    @mock.patch('sys.stdin.isatty', return_value=True)
    def test_confirmed(self, isatty, prompt):
        parsed_args = self._parse(['--templates', TEMPLATES])
        self.cmd.take_action(parsed_args)
        prompt.assert_called_once()
        self.assertEqual('overcloud', self._options().stack)

    @mock.patch('tripleoclient.utils.prompt_user_for_confirmation')
    @mock.patch('sys.stdin.isatty', return_value=True)
    def test_yes_does_not_ask(self, isatty, prompt):
        parsed_args = self._parse(['--templates', TEMPLATES, '-y'])
        self.cmd.take_action(parsed_args)
        self.assertNotCalled(prompt)
        self.assertEqual(1, self.prepare.call_count)

    @mock.patch('tripleoclient.utils.prompt_user_for_confirmation')
    @mock.patch('sys.stdin.isatty', return_value=True)
    def test_timeout_checked_before_asking(self, isatty, prompt):
        parsed_args = self._parse(['--templates', TEMPLATES,
                                   '--timeout', '0'])
        self.assertRaises(exceptions.CommandError,
                          self.cmd.take_action, parsed_args)
        self.assertNotCalled(prompt)
