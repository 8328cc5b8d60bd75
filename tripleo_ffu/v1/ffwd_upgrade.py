"""openstack overcloud ffwd-upgrade prepare|run|converge|status."""

import logging

from osc_lib.command import command
from osc_lib import exceptions
from osc_lib.i18n import _

from tripleo_ffu.v1 import common


class Prepare(command.Command):
    """Prepare the overcloud for a fast-forward upgrade.

    Updates the stack with the new templates and noop deploy steps,
    downloads the config, fixes the task ordering, compiles the FFU plan,
    writes the inventory and prepares the nodes.
    """

    log = logging.getLogger(__name__ + '.Prepare')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--templates', required=True, metavar='<directory>',
            help=_('tripleo-heat-templates of the target release'))
        parser.add_argument(
            '-e', '--environment-file', action='append', default=[],
            dest='environment_files', metavar='<file>',
            help=_('Environment file, as given to the deploy; repeat it, '
                   'in the deploy\'s order'))
        parser.add_argument(
            '--environment-directory', metavar='<directory>',
            help=_('Directory of environment files, merged after the -e '
                   'files in name order'))
        parser.add_argument('-r', '--roles-file', metavar='<file>',
                            help=_('Roles file, for *.j2.yaml templates'))
        parser.add_argument('-n', '--networks-file', metavar='<file>',
                            help=_('Networks file, for *.j2.yaml templates'))
        common.add_stack_option(parser)
        parser.add_argument(
            '--timeout', type=int, metavar='<minutes>',
            help=_('Minutes the stack update may take (default: '
                   'stack_update_timeout, 240)'))
        parser.add_argument(
            '--config-dir', metavar='<directory>',
            help=_('Where the config goes (default: '
                   '~/tripleo-ffu/<stack>)'))
        parser.add_argument(
            '--overcloud-ssh-user', metavar='<user>',
            help=_('User Ansible logs in as on the nodes (default: '
                   'ssh_user, tripleo-admin)'))
        parser.add_argument('--overcloud-ssh-key', metavar='<file>',
                            help=_('Private key for that user'))
        parser.add_argument('--skip-node-prep', action='store_true',
                            help=_('Do not prepare the nodes'))
        common.add_yes_option(parser)
        return parser

    def take_action(self, parsed_args):
        from tripleo_ffu import conf
        from tripleo_ffu.workflow import errors
        from tripleo_ffu.workflow import prepare

        if parsed_args.timeout is not None and parsed_args.timeout < 1:
            raise exceptions.CommandError(_('--timeout must be at least 1'))
        common.confirm(parsed_args, _('prepare stack %s for a fast-forward '
                                      'upgrade') % parsed_args.stack,
                       self.log)
        settings = conf.load()
        try:
            options = prepare.Options(
                stack=parsed_args.stack,
                templates=parsed_args.templates,
                config_dir=parsed_args.config_dir or
                prepare.default_config_dir(settings.config_dir_base,
                                           parsed_args.stack),
                ssh_user=(parsed_args.overcloud_ssh_user or
                          settings.ssh_user),
                environment_files=parsed_args.environment_files,
                environment_directory=parsed_args.environment_directory,
                roles_file=parsed_args.roles_file,
                networks_file=parsed_args.networks_file,
                timeout=parsed_args.timeout or settings.stack_update_timeout,
                ssh_key=parsed_args.overcloud_ssh_key,
                skip_node_prep=parsed_args.skip_node_prep)
            result = prepare.prepare(
                self.app.client_manager.orchestration, options,
                report=self._say, log=self.log)
        except errors.WorkflowError as exc:
            raise exceptions.CommandError(str(exc))
        self._summary(result, parsed_args.stack)

    def _say(self, line):
        self.app.stdout.write(line + '\n')
        self.app.stdout.flush()

    def _summary(self, result, stack_name):
        say = self._say
        say('')
        if result.changes:
            say(_('Task ordering fixed (%d change(s)):') % len(result.changes))
            for change in result.changes:
                say('  %s' % change)
        else:
            say(_('Task ordering: nothing to fix'))
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
        say(_('Next: openstack overcloud ffwd-upgrade run --stack %s')
            % stack_name)
