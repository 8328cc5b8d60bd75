"""openstack overcloud ffwd-upgrade run."""

import io
import os
from unittest import mock

import fixtures
from osc_lib import exceptions
from osc_lib.test import base as utils
from oslo_config import cfg

from tripleo_ffu import conf
from tripleo_ffu.v1 import run as run_command
from tripleo_ffu.workflow import batch
from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import inventory
from tripleo_ffu.workflow import phases
from tripleo_ffu.workflow import run

LOG = '/cfg/ffu-run/run-20240101-000000.log'


def _result(status='complete', exit_code=0, failures=(), host_table=(),
            left=None):
    return run.Result(status=status, exit_code=exit_code, log=LOG,
                      failures=list(failures), host_table=list(host_table),
                      seconds=12.34, plays_run=['setup', 'ocata-prep'],
                      left=left)


class _RunCommandTest(utils.TestCommand):
    """What the run command's tests share."""

    def setUp(self):
        super().setUp()
        # osc_lib's FakeStdout has no flush(), which the command calls.
        self.app.stdout = io.StringIO()
        self.app.options = mock.Mock(verbose_level=1)
        self.useFixture(fixtures.EnvironmentVariable('OVERCLOUD_STACK_NAME'))
        # Defaults only: no config file of this machine is read.
        settings = cfg.ConfigOpts()
        settings.register_opts(conf.OPTS)
        self.useFixture(fixtures.MockPatchObject(conf, 'CONF', settings))
        self.useFixture(fixtures.MockPatchObject(conf, 'CONFIG_FILES', ()))
        self.run = self.useFixture(fixtures.MockPatchObject(
            run, 'run', return_value=_result())).mock
        self.cmd = run_command.Run(self.app, None)

    def _parse(self, args, verify=()):
        return self.check_parser(self.cmd, args, list(verify))

    def _options(self):
        self.assertEqual(1, self.run.call_count)
        return self.run.call_args.args[0]

    def _take_action(self, args):
        return self.cmd.take_action(self._parse(args))


class TestRun(_RunCommandTest):
    """The run command: its options and what it hands the workflow."""

    # Parsing

    def test_parse_defaults(self):
        self._parse([], [
            ('stack', 'overcloud'),
            ('config_dir', None),
            ('static_inventory', None),
            ('ssh_user', None),
            ('ssh_key', None),
            ('tags', None),
            ('skip_tags', None),
            ('forks', None),
            ('playbook', 'plan'),
            ('phases', None),
            ('resume', False),
            ('limit', None),
            ('nodes', None),
            ('roles', None),
            ('force', False),
            ('whole_upgrade', False),
            ('yes', False),
        ])

    def test_parse_all_options(self):
        self._parse([
            '--stack', 'prod', '--config-dir', '/cfg',
            '--static-inventory', '/inv.yaml', '--ssh-user', 'heat-admin',
            '--ssh-key', '/keys/id_rsa', '--tags', 'a,b',
            '--skip-tags', 'c', '--forks', '5', '--playbook', 'stack',
            '--phase', 'upgrade', '--phase', 'ffu', '--resume',
            '--limit', 'c-0', '--nodes', 'c-1', '--roles', 'Compute',
            '--force', '--yes',
        ], [
            ('stack', 'prod'),
            ('config_dir', '/cfg'),
            ('static_inventory', '/inv.yaml'),
            ('ssh_user', 'heat-admin'),
            ('ssh_key', '/keys/id_rsa'),
            ('tags', 'a,b'),
            ('skip_tags', 'c'),
            ('forks', 5),
            ('playbook', 'stack'),
            ('phases', ['upgrade', 'ffu']),
            ('resume', True),
            ('limit', 'c-0'),
            ('nodes', 'c-1'),
            ('roles', 'Compute'),
            ('force', True),
            ('yes', True),
        ])

    def test_parse_short_yes(self):
        self._parse(['-y'], [('yes', True)])

    def test_parse_every_phase(self):
        for phase in phases.PHASES:
            self._parse(['--phase', phase], [('phases', [phase])])
        self._parse(['--phase', 'post-upgrade', '--phase', 'deploy',
                     '--phase', 'post-upgrade'],
                    [('phases', ['post-upgrade', 'deploy', 'post-upgrade'])])

    def test_parse_unknown_phase(self):
        for phase in ('queens', 'setup', 'all', 'FFU', ''):
            self.assertRaises(utils.ParserException, self._parse,
                              ['--phase', phase])

    def test_parse_playbook_choices(self):
        self._parse(['--playbook', 'plan'], [('playbook', 'plan')])
        self._parse(['--playbook', 'stack'], [('playbook', 'stack')])
        self._parse(['--playbook', 'all'], [('playbook', 'all')])
        self.assertRaises(utils.ParserException, self._parse,
                          ['--playbook', 'ffu_plan.yaml'])

    def test_parse_forks_is_an_integer(self):
        self.assertRaises(utils.ParserException, self._parse,
                          ['--forks', 'many'])

    def test_parse_unknown_option(self):
        self.assertRaises(utils.ParserException, self._parse, ['--dry-run'])

    def test_parse_stack_from_the_environment(self):
        self.useFixture(fixtures.EnvironmentVariable(
            'OVERCLOUD_STACK_NAME', 'from-env'))
        self._parse([], [('stack', 'from-env')])

    # take_action

    def test_take_action_defaults(self):
        self.assertEqual(0, self._take_action(['--yes']))
        self.assertEqual(run.Options(
            stack='overcloud',
            config_dir=os.path.expanduser('~/tripleo-ffu/overcloud'),
            inventory=None, ssh_user=None, ssh_key=None, tags=None,
            skip_tags=None, forks=None, playbook='plan',
            phases=('ffu',), resume=False, verbosity=0, limit=None,
            limit_option=None, force=False),
            self._options())
        self.run.assert_called_once_with(mock.ANY, self.cmd._say,
                                         self.cmd._unfinished,
                                         redact=mock.ANY)

    def test_take_action_passes_every_option(self):
        key = self.useFixture(fixtures.TempDir()).join('id_rsa')
        with open(key, 'w') as out:
            out.write('key\n')
        os.chmod(key, 0o600)
        self._take_action([
            '--stack', 'prod', '--config-dir', '/cfg',
            '--static-inventory', '/inv.yaml', '--ssh-user', 'heat-admin',
            '--ssh-key', key, '--tags', 'a,b', '--skip-tags', 'c',
            '--forks', '5', '--playbook', 'stack', '--phase', 'deploy',
            '--resume', '-y'])
        self.assertEqual(run.Options(
            stack='prod', config_dir='/cfg', inventory='/inv.yaml',
            ssh_user='heat-admin', ssh_key=key, tags='a,b', skip_tags='c',
            forks=5, playbook='stack', phases=('deploy',), resume=True,
            verbosity=0), self._options())

    def test_take_action_phases_in_plan_order(self):
        self._take_action(['--phase', 'post-upgrade', '--phase', 'ffu',
                           '--phase', 'upgrade', '--phase', 'ffu', '-y'])
        self.assertEqual(('ffu', 'upgrade', 'post-upgrade'),
                         self._options().phases)

    def test_take_action_every_phase_given_backwards(self):
        args = []
        for phase in reversed(phases.PHASES):
            args.extend(['--phase', phase])
        self._take_action(args + ['-y'])
        self.assertEqual(phases.PHASES, self._options().phases)

    def test_take_action_verbosity(self):
        for level, verbosity in ((0, 0), (1, 0), (2, 1), (4, 3)):
            self.run.reset_mock()
            self.app.options.verbose_level = level
            self._take_action(['-y'])
            self.assertEqual(verbosity, self._options().verbosity)

    def test_take_action_config_dir_follows_the_stack(self):
        conf.CONF.set_override('config_dir_base', '/srv/ffu')
        self._take_action(['--stack', 'prod', '-y'])
        self.assertEqual('/srv/ffu/prod', self._options().config_dir)

    def test_take_action_unsafe_stack_name(self):
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                ['--stack', '../etc', '-y'])
        self.assertIn('stack name', str(exc))
        self.assertNotCalled(self.run)

    def test_take_action_a_role_or_node_batch(self):
        """upstream's --roles, --nodes and --limit: the target release's
        phases on those nodes, without a question (as upstream's upgrade
        run)."""
        for option, value, pattern in (
                ('--roles', 'Controller', 'Controller'),
                ('--nodes', 'n-0, n-1', 'n-0,n-1'),
                ('--limit', 'n-0:n-1', 'n-0,n-1')):
            self.run.reset_mock()
            with mock.patch('sys.stdin.isatty', return_value=False):
                self._take_action([option, value, '--skip-tags',
                                   'validation'])
            options = self._options()
            self.assertEqual((option, pattern), (options.limit_option,
                                                 options.limit))
            self.assertEqual(('upgrade', 'deploy', 'post-upgrade'),
                             options.phases)
            self.assertEqual('validation', options.skip_tags)

    def test_take_action_without_selection_the_fast_forward_phase(self):
        """As upstream's ffwd-upgrade run: the releases before the target
        on every node, with the stack's playbooks too."""
        for args in ([], ['--playbook', 'stack']):
            self.run.reset_mock()
            self._take_action(args + ['-y'])
            self.assertEqual((('ffu',), None), (self._options().phases,
                                                self._options().limit))

    def _whole(self, phases, limit):
        return self.useFixture(fixtures.MockPatchObject(
            batch, 'whole', return_value=(phases, limit))).mock

    def test_take_action_whole_upgrade(self):
        """--whole-upgrade and --roles all: every phase on every node
        while the fast-forward phase is left, else the target release on
        the nodes that have it left."""
        whole = self._whole(phases.PHASES, None)
        for args in (['--whole-upgrade'], ['--roles', 'all']):
            self.run.reset_mock()
            self._take_action(args + ['-y'])
            options = self._options()
            self.assertEqual((phases.PHASES, None, None), (
                options.phases, options.limit, options.limit_option))
        whole.assert_called_with(
            os.path.expanduser('~/tripleo-ffu/overcloud'), 'overcloud',
            os.path.join(os.path.expanduser('~/tripleo-ffu/overcloud'),
                         inventory.INVENTORY_FILE))
        self._whole(batch.TARGET_PHASES, 'all')
        self.run.reset_mock()
        self._take_action(['--whole-upgrade', '-y'])
        options = self._options()
        self.assertEqual((batch.TARGET_PHASES, 'all', '--roles'), (
            options.phases, options.limit, options.limit_option))

    def test_take_action_whole_upgrade_with_the_stacks_playbooks(self):
        whole = self._whole(batch.TARGET_PHASES, 'all')
        self._take_action(['--whole-upgrade', '--playbook', 'stack', '-y'])
        self.assertEqual((phases.PHASES, None), (self._options().phases,
                                                 self._options().limit))
        self.assertNotCalled(whole)

    def test_take_action_roles_all_with_phases_is_a_batch(self):
        whole = self._whole(phases.PHASES, None)
        self._take_action(['--roles', 'all', '--phase', 'upgrade'])
        self.assertEqual((('upgrade',), 'all'), (self._options().phases,
                                                 self._options().limit))
        self.assertNotCalled(whole)

    def test_take_action_whole_upgrade_and_a_selection(self):
        for args, named in ((['--roles', 'Compute'], '--roles'),
                            (['--phase', 'ffu'], '--phase'),
                            (['--resume'], '--resume'),
                            (['--playbook', 'all'], '--playbook')):
            exc = self.assertRaises(exceptions.CommandError,
                                    self._take_action,
                                    ['--whole-upgrade', '-y'] + args)
            self.assertEqual('--whole-upgrade takes every node through '
                             'every phase it has left: give it without %s'
                             % named, str(exc))
        self.assertNotCalled(self.run)

    @mock.patch('tripleoclient.utils.prompt_user_for_confirmation')
    @mock.patch('sys.stdin.isatty', return_value=False)
    def test_roles_all_asks_only_for_the_fast_forward_phase(self, isatty,
                                                           prompt):
        """Upstream's bulk script gives `upgrade run --roles all` no --yes
        after the fast-forward phase: it runs; before it, it asks."""
        self._whole(batch.TARGET_PHASES, 'all')
        self._take_action(['--roles', 'all'])
        self.assertEqual(1, self.run.call_count)
        self._whole(phases.PHASES, None)
        self.run.reset_mock()
        for args in (['--roles', 'all'], ['--whole-upgrade']):
            exc = self.assertRaises(exceptions.CommandError,
                                    self._take_action, args)
            self.assertIn('--yes', str(exc))
        self.assertNotCalled(self.run)

    @mock.patch('tripleoclient.utils.prompt_user_for_confirmation',
                return_value=False)
    @mock.patch('sys.stdin.isatty', return_value=True)
    def test_the_question_names_the_phases_and_nodes(self, isatty, prompt):
        config_dir = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(config_dir, inventory.INVENTORY_FILE),
                  'w') as out:
            out.write('overcloud:\n  children: {Controller: {}}\n'
                      'Controller:\n  hosts: {c-0: {}, c-1: {}}\n'
                      'undercloud:\n  hosts: {undercloud: {}}\n')
        self._whole(phases.PHASES, None)
        self.assertRaises(exceptions.CommandError, self._take_action,
                          ['--config-dir', config_dir, '--whole-upgrade'])
        self.assertIn('run phases ffu (the releases before the target), '
                      'upgrade, deploy, post-upgrade (the target release '
                      'done) on every node of stack overcloud (2: c-0, '
                      'c-1)?', prompt.call_args.args[0])

    def test_take_action_one_of_roles_nodes_and_limit(self):
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                ['--roles', 'Compute', '--nodes', 'n-0',
                                 '-y'])
        self.assertIn('--roles and --nodes: give one of --roles, --nodes and '
                      '--limit', str(exc))
        self.assertNotCalled(self.run)

    def test_take_action_upstreams_playbook_names(self):
        for playbook, selected in (
                ('all', ('upgrade', 'deploy', 'post-upgrade')),
                ('upgrade_steps_playbook.yaml', ('upgrade',)),
                ('post_upgrade_steps_playbook.yaml', ('post-upgrade',))):
            self.run.reset_mock()
            self._take_action(['--roles', 'Compute', '--playbook', playbook])
            self.assertEqual(('plan', selected), (self._options().playbook,
                                                  self._options().phases))

    def test_take_action_forks_must_be_positive(self):
        for forks in ('0', '-3'):
            exc = self.assertRaises(exceptions.CommandError,
                                    self._take_action,
                                    ['--forks', forks, '-y'])
            self.assertIn('--forks', str(exc))
        self.assertNotCalled(self.run)

    def test_take_action_forks_one(self):
        self._take_action(['--forks', '1', '-y'])
        self.assertEqual(1, self._options().forks)

    def test_take_action_ssh_key_readable_by_others(self):
        key = self.useFixture(fixtures.TempDir()).join('id_rsa')
        with open(key, 'w') as out:
            out.write('key\n')
        os.chmod(key, 0o644)
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                ['--ssh-key', key, '-y'])
        self.assertIn('readable by others', str(exc))
        self.assertNotCalled(self.run)

    def test_take_action_ssh_key_missing(self):
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                ['--ssh-key', '/nonexistent/id_rsa', '-y'])
        self.assertIn('does not exist', str(exc))
        self.assertNotCalled(self.run)

    def test_take_action_returns_the_exit_code(self):
        self.run.return_value = _result('failed', 1)
        self.assertEqual(1, self._take_action(['-y']))
        self.run.return_value = _result('interrupted', 130)
        self.assertEqual(130, self._take_action(['-y']))

    def test_take_action_workflow_error_is_a_command_error(self):
        self.run.side_effect = errors.WorkflowError(
            'another command works on this stack')
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                ['-y'])
        self.assertEqual('another command works on this stack', str(exc))
        self.assertNotIn('Ansible log', self.app.stdout.getvalue())

    def test_take_action_other_errors_are_not_hidden(self):
        self.run.side_effect = RuntimeError('bug')
        self.assertRaises(RuntimeError, self._take_action, ['-y'])

    def test_take_action_says_to_stdout(self):
        self._take_action(['-y'])
        say = self.run.call_args.args[1]
        say('ocata step 4 ...')
        self.assertIn('ocata step 4 ...\n', self.app.stdout.getvalue())

    def test_summary_complete(self):
        self.run.return_value = _result(
            host_table=['host  ok', 'c-0    3'])
        self._take_action(['-y'])
        out = self.app.stdout.getvalue()
        self.assertIn('host  ok\nc-0    3\n', out)
        self.assertIn('Run complete in 12.3 s; Ansible log: %s\n' % LOG, out)
        self.assertNotIn('FAILED', out)
        self.assertNotIn('--resume', out)

    def test_summary_says_what_is_left(self):
        self.run.return_value = _result(left={'n-1': ['upgrade', 'deploy']})
        self._take_action(['--roles', 'Controller'])
        self.assertIn('Left: n-1 (upgrade, deploy)\n',
                      self.app.stdout.getvalue())
        self.run.reset_mock()
        self.run.return_value = _result(left={})
        self._take_action(['--nodes', 'n-1'])
        self.assertTrue(self.app.stdout.getvalue().endswith(
            'Every node has been through every phase; next: openstack '
            'overcloud ffwd-upgrade converge\n'))

    def test_summary_names_the_next_runs(self):
        self.run.return_value = _result(left={'c-0': ['upgrade']})
        self.run.return_value.next_runs = ['run --roles Controller (first)',
                                           'the others: run --roles Compute']
        self._take_action(['-y'])
        self.assertTrue(self.app.stdout.getvalue().endswith(
            'Left: c-0 (upgrade)\nNext: run --roles Controller (first)\n'
            'Then the others: run --roles Compute\n'))

    def test_summary_nothing_to_do(self):
        self.run.return_value = _result('nothing to do', left={})
        self._take_action(['--roles', 'Controller'])
        out = self.app.stdout.getvalue()
        self.assertIn('Nothing to run: those nodes have been through those '
                      'phases\n', out)
        self.assertNotIn('Ansible log', out)

    def test_summary_failed(self):
        failure = {'play': 'ocata-4', 'task': 'Stop nova', 'host': 'c-0',
                   'file': '/cfg/ffu_plan.yaml:12', 'message': 'boom',
                   'unreachable': False,
                   'source': ['Controller/upgrade_tasks.yaml']}
        unknown = dict(failure, task='Gone', source=[])
        self.run.return_value = _result('failed', 1, [failure, unknown])
        self._take_action(['-y'])
        out = self.app.stdout.getvalue()
        self.assertIn('FAILED: Stop nova on c-0 (play ocata-4)\n'
                      '  task from: Controller/upgrade_tasks.yaml '
                      '(as run: /cfg/ffu_plan.yaml:12)\n'
                      '  boom\n', out)
        self.assertIn('  task from: the playbook itself (as run', out)
        self.assertIn('Run failed in 12.3 s', out)
        self.assertTrue(out.endswith(
            'openstack overcloud ffwd-upgrade run --resume\n'))

    # Confirmation

    @mock.patch('tripleoclient.utils.prompt_user_for_confirmation')
    @mock.patch('sys.stdin.isatty', return_value=False)
    def test_no_yes_and_no_terminal_is_refused(self, isatty, prompt):
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                [])
        self.assertIn('--yes', str(exc))
        self.assertNotCalled(prompt)
        self.assertNotCalled(self.run)

    @mock.patch('tripleoclient.utils.prompt_user_for_confirmation')
    @mock.patch('sys.stdin.isatty', return_value=True)
    def test_a_limited_run_asks_nothing(self, isatty, prompt):
        self._take_action(['--roles', 'Compute'])
        self.assertNotCalled(prompt)
        self.assertEqual(1, self.run.call_count)

    @mock.patch('tripleoclient.utils.prompt_user_for_confirmation',
                return_value=False)
    @mock.patch('sys.stdin.isatty', return_value=True)
    def test_not_confirmed(self, isatty, prompt):
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                ['--stack', 'prod'])
        self.assertIn('not confirmed', str(exc))
        self.assertNotCalled(self.run)
        question = prompt.call_args.args[0]
        self.assertIn('Are you sure you want to run phase ffu (the releases '
                      'before the target) on every node of stack prod?',
                      question)

    @mock.patch('tripleoclient.utils.prompt_user_for_confirmation',
                return_value=True)
    @mock.patch('sys.stdin.isatty', return_value=True)
    def test_confirmed(self, isatty, prompt):
        self._take_action([])
        prompt.assert_called_once()
        self.assertEqual('overcloud', self._options().stack)

    # An unfinished journal without --resume

    def _journal(self):
        return mock.Mock(data={'status': 'failed'}, path='/cfg/j.json',
                         first_unfinished=mock.Mock(return_value='pike-6'))

    @mock.patch('sys.stdin')
    def test_unfinished_without_a_terminal(self, stdin):
        stdin.isatty.return_value = False
        self.assertIsNone(self.cmd._unfinished(self._journal()))
        self.assertIn('The last run did not finish: failed at pike-6 '
                      '(journal /cfg/j.json).', self.app.stdout.getvalue())
        self.assertNotCalled(stdin.readline)

    @mock.patch('sys.stdin')
    def test_unfinished_choices(self, stdin):
        stdin.isatty.return_value = True
        for answer, choice in (('r\n', 'resume'), ('Resume\n', 'resume'),
                               ('s\n', 'restart'), ('a\n', None),
                               ('\n', None), ('x\n', None)):
            stdin.readline.return_value = answer
            self.assertEqual(choice, self.cmd._unfinished(self._journal()))
        self.assertIn('[r]esume, [s]tart over or [a]bort? ',
                      self.app.stdout.getvalue())


class TestRunOwner(_RunCommandTest):
    """run works on the state of the stack prepare ran for."""

    def setUp(self):
        super().setUp()
        import types
        from tripleo_ffu.workflow import run_state
        self.config_dir = self.useFixture(fixtures.TempDir()).path
        run_state.record_prepare(self.config_dir, 'earlier-id')
        self.heat = self.app.client_manager.orchestration = mock.Mock()
        self.heat.stacks.get.return_value = types.SimpleNamespace(
            id='new-id', stack_name='overcloud')

    def test_the_state_of_an_earlier_stack_is_refused(self):
        exc = self.assertRaises(exceptions.CommandError, self._take_action,
                                ['--config-dir', self.config_dir, '--yes'])
        self.assertIn('holds the upgrade state of an earlier stack overcloud '
                      '(id earlier-id), not of the one deployed now (id '
                      'new-id)', str(exc))
        self.assertNotCalled(self.run)

    def test_without_heat_the_run_goes_on_and_says_it(self):
        from heatclient import exc as heat_exc
        self.heat.stacks.get.side_effect = heat_exc.CommunicationError(
            'refused')
        with self.assertLogs(self.cmd.log, 'WARNING') as logs:
            self._take_action(['--config-dir', self.config_dir, '--yes'])
        self.assertIn('Cannot check that %s holds the state of stack '
                      'overcloud' % self.config_dir, logs.output[0])
        self.assertEqual(1, self.run.call_count)

    def test_a_stack_heat_does_not_have_warns_of_nothing(self):
        """--stack naming no stack: the run's own check of the inventory
        says so in one line; no warning before it."""
        from heatclient import exc as heat_exc
        self.heat.stacks.get.side_effect = heat_exc.HTTPNotFound()
        with self.assertLogs(self.cmd.log, 'DEBUG') as logs:
            self._take_action(['--config-dir', self.config_dir, '--yes'])
        self.assertEqual(['DEBUG'], sorted({record.levelname
                                            for record in logs.records}))
        self.assertEqual(1, self.run.call_count)
