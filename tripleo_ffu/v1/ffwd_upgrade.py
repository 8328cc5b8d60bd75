"""openstack overcloud ffwd-upgrade prepare|run|converge|status."""

import dataclasses
import logging
import os

from cliff import columns
from osc_lib.cli import format_columns
from osc_lib.command import command
from osc_lib import exceptions
from osc_lib.i18n import _

from tripleo_ffu.v1 import common
from tripleo_ffu.v1 import upstream
from tripleo_ffu.workflow import phases


def add_update_options(parser, command):
    """The options of the stack updates (prepare and converge): those of
    upstream's `overcloud deploy`, which they inherited."""
    parser.add_argument(
        '--templates', nargs='?', const=upstream.DEFAULT_TEMPLATES,
        metavar='<directory>',
        help=_('tripleo-heat-templates of the target release (alone: %s, '
               'as upstream)') % upstream.DEFAULT_TEMPLATES)
    parser.add_argument(
        '-e', '--environment-file', action='append', default=[],
        dest='environment_files', metavar='<file>',
        help=_('Environment file, as given to the deploy; repeat it, '
               'in the deploy\'s order'))
    parser.add_argument(
        '--environment-directory', action='append',
        dest='environment_directories', metavar='<directory>',
        default=[os.path.expanduser(upstream.DEFAULT_ENV_DIRECTORY)],
        help=_('Directory of environment files, merged in name order '
               'before the -e files; repeat it. As upstream, %s comes '
               'first (when it exists) and $%s last')
        % (upstream.DEFAULT_ENV_DIRECTORY, upstream.ENV_DIRECTORY_VARIABLE))
    parser.add_argument('-r', '--roles-file', metavar='<file>',
                        help=_('Roles file, for *.j2.yaml templates (a '
                               'path relative to --templates too)'))
    parser.add_argument('-n', '--networks-file', metavar='<file>',
                        help=_('Networks file, for *.j2.yaml templates'))
    common.add_stack_option(parser)
    parser.add_argument(
        '--timeout', '-t', type=int, metavar='<minutes>',
        help=_('Minutes the stack update may take (default: '
               'stack_update_timeout, 240)'))
    parser.add_argument(
        '--credentials-dir', metavar='<directory>',
        help=_('Where the overcloud\'s credentials file, <stack>rc, is '
               'written (default: credentials_dir, the working directory, '
               'as upstream\'s overcloudrc)'))
    parser.add_argument(
        '--dry-run', action='store_true',
        help=_('Check the inputs and the stack, and change nothing (as '
               'upstream\'s "only run validations")'))
    parser.add_argument(
        '--allow-destructive-update', action='store_true',
        help=_('Update even though Heat\'s preview says a server, volume '
               'or port would be replaced or deleted (--yes does not)'))
    parser.add_argument(
        '--allow-password-change', action='store_true',
        help=_('Update even though an environment file changes a password '
               'the nodes already use (or one Heat hides and that cannot be '
               'compared)'))
    upstream.add_deploy_options(parser, command)


def _answers(parsed_args):
    """--templates and the environment files, with upstream's answers
    file (its environments before the -e files)."""
    from tripleo_ffu.workflow import environments
    templates, files = parsed_args.templates, []
    if parsed_args.answers_file:
        answered, files = environments.read_answers(parsed_args.answers_file)
        templates = templates or answered
    if not templates:
        raise exceptions.CommandError(_(
            'give --templates (the target release\'s '
            'tripleo-heat-templates) or --answers-file'))
    return templates, files + parsed_args.environment_files


def _directories(parsed_args, say):
    """The environment directories: upstream's default one when it
    exists, those given, then $TRIPLEO_ENVIRONMENT_DIRECTORY."""
    default = os.path.expanduser(upstream.DEFAULT_ENV_DIRECTORY)
    found = [directory for directory in parsed_args.environment_directories
             if directory != default or os.path.isdir(default)]
    variable = os.environ.get(upstream.ENV_DIRECTORY_VARIABLE)
    if variable and os.path.isdir(variable):
        found.append(variable)
    elif variable:
        say(_('$%s: %s is not a directory: skipped, as upstream did')
            % (upstream.ENV_DIRECTORY_VARIABLE, variable))
    return found


def _in_templates(path, templates):
    """A roles or networks file, which may be given relative to the
    templates (as upstream's --roles-file)."""
    if path and not os.path.isabs(path) and not os.path.exists(path) and \
            os.path.exists(os.path.join(templates, path)):
        return os.path.join(templates, path)
    return path


def _update_options(parsed_args, settings, config_dir, say):
    """What prepare's and converge's Options take from add_update_options
    and the settings."""
    from tripleo_ffu.workflow import preview
    templates, environment_files = _answers(parsed_args)
    return dict(
        allow=preview.Allow(
            destructive=parsed_args.allow_destructive_update,
            password_change=parsed_args.allow_password_change),
        stack=parsed_args.stack, templates=templates,
        config_dir=config_dir, environment_files=environment_files,
        environment_directories=_directories(parsed_args, say),
        parameters=upstream.parameters(parsed_args),
        registration_files=[os.path.join(
            templates, upstream.REGISTRATION_REGISTRY)]
        if parsed_args.rhel_reg else [],
        roles_file=_in_templates(parsed_args.roles_file, templates),
        networks_file=_in_templates(parsed_args.networks_file, templates),
        timeout=parsed_args.timeout or settings.stack_update_timeout,
        stall_minutes=settings.stack_update_stall_timeout,
        credentials_dir=os.path.expanduser(parsed_args.credentials_dir or
                                           settings.credentials_dir))


def _check_timeout(parsed_args):
    if parsed_args.timeout is not None and parsed_args.timeout < 1:
        raise exceptions.CommandError(_('--timeout must be at least 1'))


def guard_secrets(config_dir=None, options=None, values=()):
    """From now on, mask the secrets of the environment files, the config
    dir and the undercloud's credentials in every output and log, the
    clients' --debug lines included (and those the logs show)."""
    from tripleo_ffu.workflow import environments
    from tripleo_ffu.workflow import errors
    from tripleo_ffu.workflow import secrets
    known = set(values) | secrets.from_environ()
    if config_dir:
        known |= secrets.collect(config_dir)
    if options is not None:
        paths = list(options.environment_files)
        for directory in options.environment_directories:
            try:
                paths.extend(environments.directory_files(directory))
            except errors.WorkflowError:
                pass  # the command's own checks say it
        paths.append(getattr(options, 'container_registry_file', None))
        known |= secrets.from_files(path for path in paths if path)
        known |= secrets.values_of({'parameter_defaults': options.parameters})
    return secrets.guard(known)


def default_ssh_key(settings):
    """Upstream queens' default key, when the file exists."""
    path = os.path.expanduser(settings.ssh_key or '')
    return path if path and os.path.isfile(path) else None


class _Command(command.Command):
    """What the ffwd-upgrade commands share."""

    def _say(self, line):
        from tripleo_ffu.workflow import secrets
        self.app.stdout.write(secrets.guard()(line) + '\n')
        self.app.stdout.flush()

    def _note(self, line):
        """A line on stderr: an option that changes nothing, a skip."""
        self.app.stderr.write(line + '\n')
        self.app.stderr.flush()

    def _interrupted(self, exc):
        """A signal stopped the command: its one line, and the signal's
        exit code."""
        self._note(str(exc))
        return exc.exit_code

    @staticmethod
    def _config_dir(parsed_args, settings):
        """The config dir, after --stack is checked to be a plain name
        (it reaches Heat's URLs and Ansible's patterns)."""
        from tripleo_ffu.workflow import errors
        from tripleo_ffu.workflow import inventory
        from tripleo_ffu.workflow import prepare
        inventory.check_name(parsed_args.stack, 'stack name',
                             '--stack gives')
        path = parsed_args.config_dir or prepare.default_config_dir(
            settings.config_dir_base, parsed_args.stack)
        if os.path.exists(path) and not os.path.isdir(path):
            raise errors.WorkflowError(
                '%s is not a directory: --config-dir names the directory of '
                'the config' % path)
        return path


class Prepare(_Command):
    """Prepare the overcloud for a fast-forward upgrade.

    Updates the stack with the new templates and noop deploy steps,
    downloads the config, fixes the generated tasks, compiles the FFU plan,
    writes the inventory and prepares the nodes.
    """

    log = logging.getLogger(__name__ + '.Prepare')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_update_options(parser, 'prepare')
        parser.add_argument(
            '--config-dir', metavar='<directory>',
            help=_('Where the config goes (default: '
                   '~/tripleo-ffu/<stack>)'))
        parser.add_argument(
            '--overcloud-ssh-user', metavar='<user>',
            help=_('User Ansible logs in as on the nodes (default: '
                   'ssh_user, heat-admin as upstream queens: a Newton '
                   'overcloud has no tripleo-admin)'))
        parser.add_argument(
            '--overcloud-ssh-key', metavar='<file>',
            help=_('Private key for that user (default: ssh_key, '
                   '~/.ssh/id_rsa, when it exists)'))
        parser.add_argument('--skip-node-prep', action='store_true',
                            help=_('Do not prepare the nodes'))
        parser.add_argument(
            '--container-registry-file', metavar='<file>',
            help=_('Environment file of the container images, merged over '
                   'every other one (upstream\'s early queens option)'))
        parser.add_argument(
            '--ceph-ansible-playbook', metavar='<path>',
            help=_('Sets CephAnsiblePlaybook, over every environment file, '
                   'as upstream queens did'))
        common.add_yes_option(parser)
        return parser

    def take_action(self, parsed_args):
        from tripleo_ffu import conf
        from tripleo_ffu.workflow import errors
        from tripleo_ffu.workflow import prepare

        _check_timeout(parsed_args)
        for line in upstream.notices(parsed_args, 'prepare'):
            self._note(line)
        settings = conf.load()
        try:
            options = prepare.Options(
                ssh_user=(parsed_args.overcloud_ssh_user or
                          settings.ssh_user),
                ssh_key=(parsed_args.overcloud_ssh_key or
                         default_ssh_key(settings)),
                skip_node_prep=parsed_args.skip_node_prep,
                container_registry_file=parsed_args.container_registry_file,
                ceph_ansible_playbook=parsed_args.ceph_ansible_playbook,
                **_update_options(parsed_args, settings,
                                  self._config_dir(parsed_args, settings),
                                  self._note))
            guard_secrets(options.config_dir, options)
            if parsed_args.dry_run:
                prepare.check(self.app.client_manager.orchestration, options,
                              report=self._say)
                self._say(_('Dry run: the inputs and stack %s are fine; '
                            'nothing was changed') % parsed_args.stack)
                return
            common.confirm(parsed_args, _('prepare stack %s for a '
                                          'fast-forward upgrade')
                           % parsed_args.stack, self.log)
            result = prepare.prepare(
                self.app.client_manager.orchestration, options,
                report=self._say, log=self.log)
        except errors.Interrupted as exc:
            return self._interrupted(exc)
        except errors.WorkflowError as exc:
            raise exceptions.CommandError(str(exc))
        self._summary(result, parsed_args.stack)

    def _summary(self, result, stack_name):
        say = self._say
        say('')
        if result.changes:
            say(_('Generated tasks fixed (%d change(s)):') % len(result.changes))
            for change in result.changes:
                say('  %s' % change)
        else:
            say(_('Generated tasks: nothing to fix'))
        say(_('FFU plan (%d plays):') % len(result.plays))
        for play in result.plays:
            roles = ', '.join('%s %d' % item for item in
                              sorted(play.tasks_per_role.items()))
            say('  %-16s %3d  %s' % (play.id, play.task_count, roles))
        say(_('Time by step:'))
        for name, seconds in result.timings:
            say('  %6.1f s  %s' % (seconds, name))
        commits = ', '.join(sha[:8] for sha in result.commits)
        say(_('Config: %s (git: %s)') % (result.config_dir, commits))
        say(_('Inventory: %s (%d nodes)')
            % (result.inventory, len(result.hosts)))
        say(_('Host keys: %s') % result.host_keys)
        if result.credentials:
            say(_('Credentials: %s') % result.credentials)
        say(_('Next: openstack overcloud ffwd-upgrade run --stack %s')
            % stack_name)


UPSTREAM_PLAYBOOKS = phases.UPSTREAM_PLAYBOOKS


class Run(_Command):
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
        from tripleo_ffu.workflow import phases
        parser = super().get_parser(prog_name)
        common.add_stack_option(parser)
        parser.add_argument('--config-dir', metavar='<directory>',
                            help=_('Where prepare put the config (default: '
                                   '~/tripleo-ffu/<stack>)'))
        parser.add_argument('--static-inventory', metavar='<file>',
                            help=_('Inventory to use instead of the one '
                                   'prepare wrote'))
        parser.add_argument('--ssh-user', metavar='<user>',
                            help=_('User Ansible logs in as (default: the '
                                   'one prepare wrote in the inventory)'))
        parser.add_argument('--ssh-key', metavar='<file>',
                            help=_('Private key for that user (default: '
                                   'the one in the inventory)'))
        parser.add_argument('--tags', metavar='<tags>',
                            help=_('Only run tasks with these tags'))
        parser.add_argument('--skip-tags', metavar='<tags>',
                            help=_('Skip tasks with these tags'))
        parser.add_argument('--forks', type=int, metavar='<n>',
                            help=_('Nodes Ansible works on at once '
                                   '(default: the node count, at most 4 '
                                   'per CPU and 100)'))
        parser.add_argument(
            '--playbook', choices=('plan', 'stack') + tuple(
                UPSTREAM_PLAYBOOKS), default='plan', metavar='<playbook>',
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
        limits.add_argument(
            '--force', action='store_true',
            help=_('Let compute nodes go before the control plane'))
        parser.add_argument('--resume', action='store_true',
                            help=_('Go on from where the last run stopped '
                                   '(on the same nodes)'))
        parser.add_argument(
            '--accept-unchecked-hosts', action='store_true',
            help=_('Reach nodes whose host key the stack did not give '
                   '(prepare names them) without checking it'))
        common.add_yes_option(parser)
        return parser

    def _phases(self, parsed_args, limited):
        chosen = set(parsed_args.phases or ())
        if parsed_args.playbook in UPSTREAM_PLAYBOOKS:
            chosen |= set(UPSTREAM_PLAYBOOKS[parsed_args.playbook])
            parsed_args.playbook = 'plan'
        if not chosen:
            chosen = set(phases.TARGET_PHASES if limited
                         else (phases.FFU_PHASE,))
        return tuple(phase for phase in phases.PHASES if phase in chosen)

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
        from tripleo_ffu.workflow import phases
        from tripleo_ffu.workflow import run
        if options.playbook == 'stack':
            return dataclasses.replace(options, phases=phases.PHASES)
        left, limit = batch.whole(options.config_dir, options.stack,
                                  run.inventory_path(options))
        return dataclasses.replace(options, phases=left, limit=limit,
                                   limit_option=limit and '--roles')

    def take_action(self, parsed_args):
        from tripleo_ffu import conf
        from tripleo_ffu.workflow import batch
        from tripleo_ffu.workflow import errors
        from tripleo_ffu.workflow import prepare
        from tripleo_ffu.workflow import run

        if parsed_args.forks is not None and parsed_args.forks < 1:
            raise exceptions.CommandError(_('--forks must be at least 1'))
        settings = conf.load()
        try:
            option, limit = batch.limit_of(parsed_args.roles,
                                           parsed_args.nodes,
                                           parsed_args.limit)
            whole = self._whole(parsed_args, option, limit)
            config_dir = self._config_dir(parsed_args, settings)
            guard_secrets(config_dir)
            options = run.Options(
                stack=parsed_args.stack, config_dir=config_dir,
                inventory=parsed_args.static_inventory,
                ssh_user=parsed_args.ssh_user, ssh_key=parsed_args.ssh_key,
                tags=parsed_args.tags, skip_tags=parsed_args.skip_tags,
                forks=parsed_args.forks,
                phases=self._phases(parsed_args, limit is not None),
                playbook=parsed_args.playbook, resume=parsed_args.resume,
                verbosity=max(self.app.options.verbose_level - 1, 0),
                limit=limit, limit_option=option, force=parsed_args.force,
                accept_unchecked_hosts=parsed_args.accept_unchecked_hosts)
            if whole:
                options = self._whole_options(options)
            if options.ssh_key:
                prepare.check_ssh_key(options.ssh_key)
            self._check_owner(parsed_args.stack, config_dir)
        except errors.WorkflowError as exc:
            raise exceptions.CommandError(str(exc))
        # A run limited to some nodes asks nothing, as upstream's upgrade
        # run (the role's scripts give it no --yes): it only runs the
        # target release, once the fast-forward phase, whose run asked, is
        # complete. Any run that takes the fast-forward phase asks.
        if option is None or whole and 'ffu' in options.phases:
            common.confirm(parsed_args, run.scope(options), self.log)
        try:
            result = run.run(options, self._say, self._unfinished)
        except errors.WorkflowError as exc:
            raise exceptions.CommandError(str(exc))
        self._summary(result)
        return result.exit_code

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


class Converge(_Command):
    """Converge the overcloud stack after a fast-forward upgrade.

    Updates the stack once more with the target templates and the FFU
    converge environment, so that every resource is back to its real type
    and later stack updates work as usual. Refuses while the run is not
    complete, unless --force.
    """

    log = logging.getLogger(__name__ + '.Converge')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_update_options(parser, 'converge')
        parser.add_argument(
            '--config-dir', metavar='<directory>',
            help=_('Where prepare and run worked, for the run\'s journal '
                   '(default: ~/tripleo-ffu/<stack>)'))
        parser.add_argument(
            '--overcloud-ssh-user', metavar='<user>',
            help=_('User the nodes are checked to answer as before the '
                   'update (default: the inventory\'s, from prepare)'))
        parser.add_argument(
            '--overcloud-ssh-key', metavar='<file>',
            help=_('Private key for that user (default: the '
                   'inventory\'s)'))
        parser.add_argument(
            '--force', action='store_true',
            help=_('Converge even though the journal says the run is not '
                   'complete'))
        common.add_yes_option(parser)
        return parser

    def take_action(self, parsed_args):
        from tripleo_ffu import conf
        from tripleo_ffu.workflow import converge
        from tripleo_ffu.workflow import errors
        from tripleo_ffu.workflow import prepare

        _check_timeout(parsed_args)
        for line in upstream.notices(parsed_args, 'converge'):
            self._note(line)
        settings = conf.load()
        heat = self.app.client_manager.orchestration
        try:
            options = converge.Options(
                force=parsed_args.force,
                ssh_user=parsed_args.overcloud_ssh_user,
                ssh_key=parsed_args.overcloud_ssh_key,
                **_update_options(parsed_args, settings,
                                  self._config_dir(parsed_args, settings),
                                  self._note))
            guard_secrets(options.config_dir, options)
            if options.ssh_key:
                prepare.check_ssh_key(options.ssh_key)
            # Refused before the question, not after the operator's yes.
            converge.check_owner(heat, options)
            run_check = converge.check_run(options)
            if parsed_args.dry_run:
                converge.check(heat, options, report=self._say,
                               dry_run=True, run_check=run_check)
                self._say(_('Dry run: the inputs, stack %s and the run are '
                            'fine; nothing was changed') % parsed_args.stack)
                return
        except errors.WorkflowError as exc:
            raise exceptions.CommandError(str(exc))
        common.confirm(parsed_args, _('converge stack %s after its '
                                      'fast-forward upgrade')
                       % parsed_args.stack, self.log)
        try:
            result = converge.converge(heat, options, report=self._say,
                                       log=self.log, run_check=run_check)
        except errors.Interrupted as exc:
            return self._interrupted(exc)
        except errors.WorkflowError as exc:
            raise exceptions.CommandError(str(exc))
        self._summary(result, parsed_args.stack)

    def _summary(self, result, stack_name):
        say = self._say
        say('')
        if result.never_ran:
            say(_('Converged by force: %s (the plays not done: %s)')
                % (result.never_ran, ', '.join(result.skipped_plays) or
                   'unknown'))
        say(_('Deploy steps: %(count)d resource(s), now %(type)s (no '
              'longer OS::Heat::None)')
            % {'count': result.deploy_steps_resources,
               'type': result.deploy_steps_type})
        say(_('StackUpdateType: %r') % result.update_type)
        risky = ['%s %s' % (change, ', '.join(result.preview[change]))
                 for change in ('replaced', 'deleted')
                 if result.preview.get(change)]
        if risky:
            say(_('WARNING: a following update with these templates and '
                  'environments would change resources: %s')
                % '; '.join(risky))
        else:
            say(_('A following update with these templates and environments '
                  'is accepted by Heat and replaces or deletes nothing '
                  '(Heat\'s preview)'))
        say(_('Time by step:'))
        for name, seconds in result.timings:
            say('  %6.1f s  %s' % (seconds, name))
        if result.credentials:
            say(_('Credentials: %s') % result.credentials)
        if result.never_ran:
            say(_('Next: those nodes are not upgraded; openstack overcloud '
                  'ffwd-upgrade prepare, then run and converge again (status '
                  '--stack %s says the same)') % stack_name)
            return
        say(_('Next: openstack overcloud ffwd-upgrade status --stack %s')
            % stack_name)


class PhasesColumn(columns.FormattableColumn):
    """status' run_phases: a line per phase in a table, the mapping in
    JSON and YAML."""

    def human_readable(self):
        return '\n'.join(
            '%s: %d of %d nodes%s' % (
                phase, run['nodes_done'], run['nodes'],
                ', last at %s' % run['last_at'] if run['last_at']
                else ', never run')
            for phase, run in self._value.items())

    def machine_readable(self):
        return dict(self._value)


class NodesColumn(columns.FormattableColumn):
    """status' nodes: a line per node in a table, the mapping in JSON and
    YAML."""

    def human_readable(self):
        return '\n'.join(
            '%s (%s): done %s; left %s' % (
                host, node['role'], ', '.join(node['done']) or 'nothing',
                ', '.join(node['left']) or 'nothing')
            for host, node in sorted(self._value.items()))

    def machine_readable(self):
        return dict(self._value)


class RolesColumn(columns.FormattableColumn):
    """status' roles: a line per role in a table, the mapping in JSON and
    YAML."""

    def human_readable(self):
        lines = []
        for role, nodes in sorted(self._value.items()):
            line = '%s: %d of %d nodes through every phase' % (
                role, len(nodes['done']),
                len(nodes['done']) + len(nodes['left']))
            if nodes['left']:
                line += '; left: %s' % ', '.join(nodes['left'])
            lines.append(line)
        return '\n'.join(lines)

    def machine_readable(self):
        return dict(self._value)


class Status(command.ShowOne):
    """Show where the fast-forward upgrade of a stack stands.

    Reads the stack, the config dir, the plan, the run's journal and lock;
    changes nothing and can run while another command works.
    """

    log = logging.getLogger(__name__ + '.Status')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_stack_option(parser)
        parser.add_argument('--config-dir', metavar='<directory>',
                            help=_('Where prepare put the config (default: '
                                   '~/tripleo-ffu/<stack>)'))
        return parser

    def take_action(self, parsed_args):
        from tripleo_ffu import conf
        from tripleo_ffu.workflow import errors
        from tripleo_ffu.workflow import status

        try:
            config_dir = _Command._config_dir(parsed_args, conf.load())
            guard_secrets(config_dir)
            report = status.status(
                self.app.client_manager.orchestration, parsed_args.stack,
                config_dir)
        except errors.WorkflowError as exc:
            raise exceptions.CommandError(str(exc))
        report['commits'] = format_columns.ListColumn(report['commits'])
        report['run_phases'] = PhasesColumn(report['run_phases'])
        report['roles'] = RolesColumn(report['roles'])
        report['nodes'] = NodesColumn(report['nodes'])
        return tuple(report), tuple(report.values())
