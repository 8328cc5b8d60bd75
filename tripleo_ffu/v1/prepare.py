"""openstack overcloud ffwd-upgrade prepare."""

import logging

from osc_lib import exceptions
from osc_lib.i18n import _

from tripleo_ffu.v1 import common
from tripleo_ffu.v1 import options


class Prepare(common.Command):
    """Prepare the overcloud for a fast-forward upgrade.

    Updates the stack with the new templates and noop deploy steps,
    downloads the config, fixes the generated tasks, compiles the FFU plan,
    writes the inventory and prepares the nodes.
    """

    log = logging.getLogger(__name__ + '.Prepare')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        options.add_update_options(parser, 'prepare')
        options.add_config_dir_option(parser, _('Where the config goes'))
        options.add_ssh_options(
            parser,
            _('User Ansible logs in as on the nodes (default: ssh_user, '
              'heat-admin as upstream queens: a Newton overcloud has no '
              'tripleo-admin)'),
            _('Private key for that user (default: ssh_key, ~/.ssh/id_rsa, '
              'when it exists)'))
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
        options.add_yes_option(parser)
        return parser

    def take_action(self, parsed_args):
        from tripleo_ffu.workflow import errors
        from tripleo_ffu.workflow import prepare

        settings = self._settings(parsed_args, 'prepare')
        try:
            options = prepare.Options(
                ssh_user=(parsed_args.overcloud_ssh_user or
                          settings.ssh_user),
                ssh_key=(parsed_args.overcloud_ssh_key or
                         common.default_ssh_key(settings)),
                skip_node_prep=parsed_args.skip_node_prep,
                container_registry_file=parsed_args.container_registry_file,
                ceph_ansible_playbook=parsed_args.ceph_ansible_playbook,
                **common.update_options(parsed_args, settings, self._note))
            common.guard_secrets(options.config_dir, options)
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
            say(_('Generated tasks fixed (%d change(s)):')
                % len(result.changes))
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
