"""openstack overcloud ffwd-upgrade prepare."""

import os
from unittest import mock

import fixtures
from osc_lib import exceptions
from osc_lib.test import base as utils

from tests.unit.v1 import base
from tripleo_ffu import conf
from tripleo_ffu.v1 import options
from tripleo_ffu.v1 import prepare as prepare_command
from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import inventory
from tripleo_ffu.workflow import plan_compiler
from tripleo_ffu.workflow import prepare

TEMPLATES = '/usr/share/openstack-tripleo-heat-templates'
# Every option of upstream's overcloud deploy (stable/queens to
# stable/stein) and of ffwd-upgrade prepare, each with a value.
UPSTREAM_ARGS = [
    '--templates', TEMPLATES, '--stack', 'overcloud', '-t', '30',
    '--control-scale', '3', '--compute-scale', '2',
    '--ceph-storage-scale', '0', '--block-storage-scale', '0',
    '--swift-storage-scale', '0', '--control-flavor', 'control',
    '--compute-flavor', 'compute', '--ceph-storage-flavor', 'ceph',
    '--block-storage-flavor', 'block', '--swift-storage-flavor', 'swift',
    '--libvirt-type', 'qemu', '--ntp-server', 'pool.ntp.org',
    '--no-proxy', 'localhost', '--overcloud-ssh-user', 'heat-admin',
    '--overcloud-ssh-key', '/keys/id_rsa', '--overcloud-ssh-network',
    'ctlplane', '-e', '/e.yaml', '--environment-file', '/f.yaml',
    '--environment-directory', '/envs', '-r', '/roles.yaml',
    '-n', '/networks.yaml', '-p', '/plan-environment.yaml',
    '--no-cleanup', '--update-plan-only', '--validation-errors-nonfatal',
    '--validation-warnings-fatal', '--disable-validations',
    '--inflight-validations', '--run-validations',
    '--skip-postconfig', '--force-postconfig', '--skip-deploy-identifier',
    '--rhel-reg', '--reg-method', 'portal', '--reg-org', 'org',
    '--reg-force', '--reg-sat-url', 'https://sat', '--reg-activation-key',
    'key', '--disable-password-generation', '--deployed-server',
    '--config-download', '--no-config-download', '--stack-only',
    '--config-download-only', '--output-dir', '/out',
    '--override-ansible-cfg', '/ansible.cfg', '--config-download-timeout',
    '60', '--deployment-python-interpreter', '/usr/bin/python3',
    '--container-registry-file', '/images.yaml', '--ceph-ansible-playbook',
    '/usr/share/ceph-ansible/site-docker.yml.sample', '--yes',
]
# The options in UPSTREAM_ARGS that change nothing here.
SAY_WHY = [
    '--libvirt-type', '--no-proxy', '--plan-environment-file',
    '--no-cleanup', '--update-plan-only', '--validation-errors-nonfatal',
    '--validation-warnings-fatal', '--disable-validations',
    '--inflight-validations', '--run-validations', '--skip-postconfig',
    '--force-postconfig', '--skip-deploy-identifier',
    '--disable-password-generation', '--deployed-server',
    '--config-download', '--no-config-download', '--config-download-only',
    '--output-dir', '--override-ansible-cfg', '--config-download-timeout',
    '--deployment-python-interpreter',
]


def _result(config_dir='/cfg', changes=()):
    return prepare.Result(
        config_dir=config_dir, commits=['0123456789abcdef', 'fedcba98'],
        changes=list(changes),
        plays=[plan_compiler.Play('ffu-ocata-1', 'ffu',
                                  (('release', 'ocata'), ('step', '1')),
                                  {'Controller': 3, 'Compute': 2})],
        inventory=os.path.join(config_dir, inventory.INVENTORY_FILE),
        hosts=['overcloud-controller-0', 'overcloud-novacompute-0'],
        timings=[('Checking the stack and the inputs', 0.25)],
        credentials='/home/stack/overcloudrc')


class TestPrepare(base.CommandTest):
    """The prepare command: its options and what it hands the workflow."""

    def setUp(self):
        super().setUp()
        self.prepare = self.useFixture(fixtures.MockPatchObject(
            prepare, 'prepare', return_value=_result())).mock
        self.cmd = prepare_command.Prepare(self.app, None)

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
            ('environment_directories', [self.env_directory]),
            ('roles_file', None),
            ('networks_file', None),
            ('stack', 'overcloud'),
            ('timeout', None),
            ('config_dir', None),
            ('overcloud_ssh_user', None),
            ('overcloud_ssh_key', None),
            ('skip_node_prep', False),
            ('container_registry_file', None),
            ('ceph_ansible_playbook', None),
            ('dry_run', False),
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
            ('environment_directories', [self.env_directory, '/envs']),
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

    def test_templates_or_answers_file_is_required(self):
        exc = self.assertRaises(exceptions.CommandError, self.cmd.take_action,
                                self._parse(['--stack', 'overcloud',
                                             '--yes']))
        self.assertIn('give --templates', str(exc))
        self.assertNotCalled(self.prepare)

    def test_parse_templates_alone_is_upstreams_default(self):
        self._parse(['--templates'], [
            ('templates', '/usr/share/openstack-tripleo-heat-templates/')])

    def test_parse_every_upstream_deploy_option(self):
        """What upstream's overcloud deploy (queens to stein) took, and
        prepare's own upstream options: none is an argparse error."""
        self._parse(UPSTREAM_ARGS, [('timeout', 30), ('yes', True)])

    def test_parse_timeout_is_an_integer(self):
        self.assertRaises(utils.ParserException, self._parse,
                          ['--templates', TEMPLATES, '--timeout', 'soon'])

    def test_parse_unknown_option(self):
        self.assertRaises(utils.ParserException, self._parse,
                          ['--templates', TEMPLATES, '--nonsense'])

    def test_parse_stack_from_the_environment(self):
        self.useFixture(fixtures.EnvironmentVariable(
            'OVERCLOUD_STACK_NAME', 'from-env'))
        self._parse(['--templates', TEMPLATES], [('stack', 'from-env')])
        self._parse(['--templates', TEMPLATES, '--stack', 'given'],
                    [('stack', 'given')])

    def test_default_stack(self):
        self.assertEqual('overcloud', options.default_stack())
        self.useFixture(fixtures.EnvironmentVariable(
            'OVERCLOUD_STACK_NAME', 'oc2'))
        self.assertEqual('oc2', options.default_stack())

    # take_action

    def test_take_action_defaults(self):
        parsed_args = self._parse(['--templates', TEMPLATES, '--yes'])
        self.cmd.take_action(parsed_args)
        self.assertEqual(prepare.Options(
            stack='overcloud', templates=TEMPLATES,
            config_dir=os.path.join(self.home, 'tripleo-ffu', 'overcloud'),
            ssh_user='heat-admin', environment_files=[],
            environment_directories=[], roles_file=None,
            networks_file=None, timeout=240, ssh_key=None,
            skip_node_prep=False, credentials_dir='.'), self._options())
        self.assertEqual('', self.app.stderr.getvalue())

    def test_take_action_default_key_when_it_exists(self):
        key = os.path.join(self.home, '.ssh', 'id_rsa')
        os.makedirs(os.path.dirname(key))
        with open(key, 'w'):
            pass
        self.cmd.take_action(self._parse(['--templates', TEMPLATES,
                                          '--yes']))
        self.assertEqual(key, self._options().ssh_key)
        self.assertEqual('heat-admin', self._options().ssh_user)

    def test_take_action_passes_every_option(self):
        parsed_args = self._parse([
            '--templates', TEMPLATES, '-e', '/e/b.yaml', '-e', '/e/a.yaml',
            '--environment-directory', '/envs', '-r', '/roles.yaml',
            '-n', '/networks.yaml', '--stack', 'prod', '--timeout', '30',
            '--config-dir', '/cfg', '--overcloud-ssh-user', 'heat-admin',
            '--overcloud-ssh-key', '/keys/id_rsa', '--skip-node-prep',
            '--credentials-dir', '~/creds', '-y'])
        self.cmd.take_action(parsed_args)
        self.assertEqual(prepare.Options(
            stack='prod', templates=TEMPLATES, config_dir='/cfg',
            ssh_user='heat-admin',
            environment_files=['/e/b.yaml', '/e/a.yaml'],
            environment_directories=['/envs'], roles_file='/roles.yaml',
            networks_file='/networks.yaml', timeout=30,
            ssh_key='/keys/id_rsa', skip_node_prep=True,
            credentials_dir=os.path.join(self.home, 'creds')),
            self._options())

    def test_take_action_environment_directories_as_upstream(self):
        """The default directory first when it exists, then those given,
        then $TRIPLEO_ENVIRONMENT_DIRECTORY."""
        os.makedirs(self.env_directory)
        variable = os.path.join(self.home, 'from-variable')
        os.makedirs(variable)
        self.useFixture(fixtures.EnvironmentVariable(
            'TRIPLEO_ENVIRONMENT_DIRECTORY', variable))
        self.cmd.take_action(self._parse([
            '--templates', TEMPLATES, '--environment-directory', '/a',
            '--environment-directory', '/b', '--yes']))
        self.assertEqual([self.env_directory, '/a', '/b', variable],
                         self._options().environment_directories)

    def test_take_action_upstream_meanings(self):
        answers = os.path.join(self.home, 'answers.yaml')
        with open(answers, 'w') as out:
            out.write('templates: /answered\nenvironments: [/ans.yaml]\n')
        self.cmd.take_action(self._parse([
            '--answers-file', answers, '-e', '/e.yaml',
            '--control-scale', '3', '--control-flavor', 'control',
            '--rhel-reg', '--reg-org', '42',
            '--container-registry-file', '/images.yaml',
            '--ceph-ansible-playbook', '/ceph.yml', '--yes']))
        options = self._options()
        self.assertEqual('/answered', options.templates)
        self.assertEqual(['/ans.yaml', '/e.yaml'], options.environment_files)
        self.assertEqual({
            'ControllerCount': 3, 'OvercloudControlFlavor': 'control',
            'OvercloudControllerFlavor': 'control',
            'rhel_reg_method': 'satellite', 'rhel_reg_org': '42',
            'rhel_reg_force': False, 'rhel_reg_sat_url': '',
            'rhel_reg_activation_key': ''}, options.parameters)
        self.assertEqual(['/answered/extraconfig/pre_deploy/'
                          'rhel-registration/rhel-registration-resource-'
                          'registry.yaml'], options.registration_files)
        self.assertEqual('/images.yaml', options.container_registry_file)
        self.assertEqual('/ceph.yml', options.ceph_ansible_playbook)
        self.assertEqual('', self.app.stderr.getvalue())

    def test_take_action_every_upstream_option_is_accepted(self):
        """Each one means something here or says on stderr, in one line,
        why it changes nothing."""
        self.cmd.take_action(self._parse(UPSTREAM_ARGS))
        lines = self.app.stderr.getvalue().splitlines()
        said = [line.split(':')[0] for line in lines]
        self.assertEqual(sorted(set(said)), sorted(said))
        for option in SAY_WHY:
            self.assertIn(option, said)
        self.assertEqual(len(SAY_WHY), len(said))
        self.assertEqual(1, self.prepare.call_count)

    def test_take_action_registration_options_need_rhel_reg(self):
        self.cmd.take_action(self._parse(['--templates', TEMPLATES,
                                          '--reg-org', '1', '--yes']))
        self.assertEqual('--reg-org: used only with --rhel-reg, as upstream',
                         self.app.stderr.getvalue().strip())
        self.assertEqual({}, self._options().parameters)

    def test_take_action_dry_run_changes_nothing(self):
        check = self.useFixture(fixtures.MockPatchObject(
            prepare, 'check', return_value=(mock.Mock(), ['Controller']))).mock
        self.cmd.take_action(self._parse(['--templates', TEMPLATES,
                                          '--dry-run']))
        check.assert_called_once()
        self.assertNotCalled(self.prepare)
        self.assertIn('Dry run: ', self.app.stdout.getvalue())

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
            'Credentials: /home/stack/overcloudrc\n'
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
