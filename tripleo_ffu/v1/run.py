"""openstack overcloud ffwd-upgrade run."""

import dataclasses
import logging

from osc_lib import exceptions
from osc_lib.i18n import _

from tripleo_ffu.v1 import common
from tripleo_ffu.v1 import options
from tripleo_ffu.workflow import phases


class Run(common.Command):
    """Run the fast-forward upgrade: the releases before the target on
    every node, then the target release per role or batch.

    Runs the plan compiled by prepare (or the stack's own playbooks),
    release by release and step by step, showing progress, keeping a log
    and a journal, and resuming after a failure with --resume. Without
    selection, the fast-forward phase on every node, as upstream's
    `ffwd-upgrade run`; with --roles, --nodes or --limit, the target
    release's phases on those nodes only, as upstream's `upgrade run`,
    the control plane first; with --whole-upgrade (or --roles all), every
    node through every phase it has left.
    """

    log = logging.getLogger(__name__ + '.Run')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        options.add_stack_option(parser)
        options.add_config_dir_option(parser,
                                      _('Where prepare put the config'))
        parser.add_argument('--static-inventory', metavar='<file>',
                            help=_('Inventory to use instead of the one '
                                   'prepare wrote'))
        options.add_ssh_options(
            parser, _('User Ansible logs in as (default: the one prepare '
                      'wrote in the inventory)'),
            _('Private key for that user (default: the one in the '
              'inventory)'), prefix='--')
        parser.add_argument('--tags', metavar='<tags>',
                            help=_('Only run tasks with these tags'))
        parser.add_argument('--skip-tags', metavar='<tags>',
                            help=_('Skip tasks with these tags'))
        parser.add_argument('--forks', type=int, metavar='<n>',
                            help=_('Nodes Ansible works on at once '
                                   '(default: the node count, at most 4 '
                                   'per CPU and 100)'))
        parser.add_argument(
            '--playbook', default='plan', metavar='<playbook>',
            choices=('plan', 'stack') + tuple(phases.UPSTREAM_PLAYBOOKS),
            help=_('plan: the plan compiled by prepare, with journal and '
                   'resume (default); stack: the stack\'s own playbooks; '
                   'upstream\'s "all" or a playbook\'s file name: the plan, '
                   'for the phase it stands for'))
        parser.add_argument(
            '--phase', action='append', choices=phases.PHASES, dest='phases',
            metavar='<phase>',
            help=_('ffu, upgrade, deploy or post-upgrade; repeat for more '
                   '(default: ffu, the releases before the target, as '
                   'upstream\'s ffwd-upgrade run; with --roles, --nodes or '
                   '--limit: the target release\'s three)'))
        parser.add_argument(
            '--whole-upgrade', action='store_true',
            help=_('Every node through every phase it has left, the target '
                   'release included, in one run (as --roles all); no '
                   'time to move workloads off the computes'))
        limits = parser.add_argument_group(
            _('Per role or node batch'),
            _('The target release\'s phases on some nodes only, as '
              'upstream\'s `overcloud upgrade run`, once the fast-forward '
              'phase is complete on every node; the control plane first'))
        limits.add_argument('--roles', metavar='<role>[,<role>]',
                            help=_('Roles whose nodes go, e.g. Controller '
                                   '(all: as --whole-upgrade, upstream\'s '
                                   'bulk mode)'))
        limits.add_argument('--nodes', metavar='<node>[,<node>]',
                            help=_('Nodes that go, e.g. '
                                   'overcloud-novacompute-0'))
        limits.add_argument('--limit', metavar='<pattern>',
                            help=_('Any Ansible host pattern'))
        options.add_force_option(
            limits, _('With --roles, --nodes or --limit: let compute nodes '
                      'go before the control plane'))
        parser.add_argument('--resume', action='store_true',
                            help=_('Go on from where the last run stopped '
                                   '(on the same nodes)'))
        parser.add_argument(
            '--accept-unchecked-hosts', action='store_true',
            help=_('Reach nodes whose host key the stack did not give '
                   '(prepare names them) without checking it'))
        options.add_yes_option(parser)
        return parser

    @staticmethod
    def _playbook(parsed_args, limited):
        """(playbook, phases): upstream's --playbook values are the plan,
        for the phases they stand for."""
        chosen, playbook = set(parsed_args.phases or ()), parsed_args.playbook
        if playbook in phases.UPSTREAM_PLAYBOOKS:
            chosen |= set(phases.UPSTREAM_PLAYBOOKS[playbook])
            playbook = 'plan'
        if not chosen:
            chosen = set(phases.TARGET_PHASES if limited
                         else (phases.FFU_PHASE,))
        return playbook, tuple(phase for phase in phases.PHASES
                               if phase in chosen)

    @staticmethod
    def _whole(parsed_args, option, limit):
        """--whole-upgrade, or upstream's bulk --roles all (without
        --phase or --playbook)."""
        if not parsed_args.whole_upgrade:
            return (option, limit) == ('--roles', 'all') and not (
                parsed_args.phases or parsed_args.playbook != 'plan')
        clash = [name for name, given in (
            ('--phase', parsed_args.phases), ('--resume', parsed_args.resume),
            (option, limit), ('--playbook', parsed_args.playbook not in (
                'plan', 'stack'))) if given]
        if clash:
            raise exceptions.CommandError(_(
                '--whole-upgrade takes every node through every phase it '
                'has left: give it without %s') % ', '.join(clash))
        return True

    @staticmethod
    def _whole_options(options):
        """The Options of a whole run: every phase on every node (the
        stack's playbooks, or while the fast-forward phase is left), else
        the target release on the nodes that have it left."""
        from tripleo_ffu.workflow import batch
        from tripleo_ffu.workflow import run
        if options.playbook == 'stack':
            return dataclasses.replace(options, phases=phases.PHASES)
        left, limit = batch.whole(options.config_dir, options.stack,
                                  run.inventory_path(options))
        return dataclasses.replace(options, phases=left, limit=limit,
                                   limit_option=limit and '--roles')

    def take_action(self, parsed_args):
        from tripleo_ffu.workflow import errors
        from tripleo_ffu.workflow import run

        try:
            options, redact, ask = self._options(parsed_args)
        except errors.WorkflowError as exc:
            raise exceptions.CommandError(str(exc))
        if ask:
            common.confirm(parsed_args, run.scope(options), self.log)
        try:
            result = run.run(options, self._say, self._unfinished,
                             redact=redact)
        except errors.WorkflowError as exc:
            raise exceptions.CommandError(str(exc))
        self._summary(result)
        return result.exit_code

    def _options(self, parsed_args):
        """(the run's Options, the secrets' guard, whether to ask)."""
        from tripleo_ffu import conf
        from tripleo_ffu.workflow import batch
        from tripleo_ffu.workflow import reach
        from tripleo_ffu.workflow import run

        if parsed_args.forks is not None and parsed_args.forks < 1:
            raise exceptions.CommandError(_('--forks must be at least 1'))
        settings = conf.load()
        option, limit = batch.limit_of(parsed_args.roles, parsed_args.nodes,
                                       parsed_args.limit)
        whole = self._whole(parsed_args, option, limit)
        playbook, chosen = self._playbook(parsed_args, limit is not None)
        config_dir = common.config_dir(parsed_args, settings)
        redact = common.guard_secrets(config_dir)
        options = run.Options(
            stack=parsed_args.stack, config_dir=config_dir,
            inventory=parsed_args.static_inventory,
            ssh_user=parsed_args.ssh_user, ssh_key=parsed_args.ssh_key,
            tags=parsed_args.tags, skip_tags=parsed_args.skip_tags,
            forks=parsed_args.forks, phases=chosen, playbook=playbook,
            resume=parsed_args.resume,
            verbosity=max(self.app.options.verbose_level - 1, 0),
            limit=limit, limit_option=option, force=parsed_args.force,
            accept_unchecked_hosts=parsed_args.accept_unchecked_hosts)
        if whole:
            options = self._whole_options(options)
        if options.ssh_key:
            reach.check_ssh_key(options.ssh_key)
        self._check_owner(parsed_args.stack, config_dir)
        # A run limited to some nodes asks nothing, as upstream's upgrade
        # run (the role's scripts give it no --yes): it only runs the
        # target release, once the fast-forward phase, whose run asked, is
        # complete. Any run that takes the fast-forward phase asks.
        return options, redact, (
            option is None or whole and 'ffu' in options.phases)

    def _check_owner(self, stack_name, config_dir):
        """The config dir's state is the stack's: checked when Heat
        answers (the run itself needs no Heat)."""
        from tripleo_ffu.workflow import errors
        from tripleo_ffu.workflow import history
        from tripleo_ffu.workflow import stack
        if not history.owner(config_dir):
            return
        try:
            found = stack.get(self.app.client_manager.orchestration,
                              stack_name)
        except stack.NotFound as exc:
            # The run's own checks of --stack (the inventory's groups) say
            # what is wrong, in one line.
            self.log.debug('Cannot check that %s holds the state of stack '
                           '%s (%s): going on', config_dir, stack_name, exc)
            return
        except Exception as exc:
            # No credentials (keystoneauth's errors) or no Heat.
            if not (isinstance(exc, (errors.WorkflowError,
                                     exceptions.ClientException,
                                     exceptions.CommandError)) or
                    stack.unreachable(exc)):
                raise
            self.log.warning('Cannot check that %s holds the state of stack '
                             '%s (%s): going on', config_dir, stack_name,
                             exc)
            return
        history.check_owner(config_dir, found)

    def _unfinished(self, journal):
        """Without --resume, the operator chooses (or is told how to)."""
        import sys
        self._say(_('The last run did not finish: %s at %s (journal %s).')
                  % (journal.data.get('status'), journal.first_unfinished(),
                     journal.path))
        if not sys.stdin.isatty():
            return None
        self.app.stdout.write(_('[r]esume, [s]tart over or [a]bort? '))
        self.app.stdout.flush()
        answer = sys.stdin.readline().strip().lower()
        return {'r': 'resume', 's': 'restart'}.get(answer[:1])

    def _summary(self, result):
        say = self._say
        say('')
        for line in result.host_table:
            say(line)
        for failure in result.failures[:5]:
            say(_('FAILED: %(task)s on %(host)s (play %(play)s)')
                % failure)
            # A task in no task file of the config is one of the
            # playbook's own (facts, set_fact): where it ran says it.
            say(_('  task from: %s (as run: %s)') % (
                ', '.join(failure['source']) or _('the playbook itself'),
                failure['file']))
            say('  %s' % failure['message'])
        if result.status == 'nothing to do':
            say(_('Nothing to run: those nodes have been through those '
                  'phases'))
        else:
            say(_('Run %s in %.1f s; Ansible log: %s')
                % (result.status, result.seconds, result.log))
        if result.status == 'failed':
            say(_('Fix the cause, then: openstack overcloud ffwd-upgrade run '
                  '--resume'))
        elif result.status == 'interrupted':
            say(_('Interrupted: the plays done are recorded, the one cut '
                  'short runs again; go on with: openstack overcloud '
                  'ffwd-upgrade run --resume'))
        elif result.left is not None and result.status in (
                'complete', 'nothing to do'):
            self._left(result)

    def _left(self, result):
        """What the other nodes have left, after a plan run, and the runs
        that come next."""
        if not result.left:
            self._say(_('Every node has been through every phase; next: '
                        'openstack overcloud ffwd-upgrade converge'))
            return
        for host, left in sorted(result.left.items()):
            self._say(_('Left: %s (%s)') % (host, ', '.join(left)))
        for index, line in enumerate(result.next_runs):
            self._say((_('Next: %s') if index == 0 else _('Then %s')) % line)
