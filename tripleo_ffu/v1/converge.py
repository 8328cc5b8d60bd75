"""openstack overcloud ffwd-upgrade converge."""

import logging

from osc_lib import exceptions
from osc_lib.i18n import _

from tripleo_ffu.v1 import common
from tripleo_ffu.v1 import options


class Converge(common.Command):
    """Converge the overcloud stack after a fast-forward upgrade.

    Updates the stack once more with the target templates and the FFU
    converge environment, so that every resource is back to its real type
    and later stack updates work as usual. Refuses while the run is not
    complete, unless --force.
    """

    log = logging.getLogger(__name__ + '.Converge')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        options.add_update_options(parser, 'converge')
        options.add_config_dir_option(
            parser, _('Where prepare and run worked, for the run\'s journal'))
        options.add_ssh_options(
            parser,
            _('User the nodes are checked to answer as before the update '
              '(default: the inventory\'s, from prepare)'),
            _('Private key for that user (default: the inventory\'s)'))
        options.add_force_option(
            parser, _('Converge even though the journal says the run is not '
                      'complete'))
        options.add_yes_option(parser)
        return parser

    def take_action(self, parsed_args):
        from tripleo_ffu.workflow import converge
        from tripleo_ffu.workflow import errors
        from tripleo_ffu.workflow import reach

        settings = self._settings(parsed_args, 'converge')
        heat = self.app.client_manager.orchestration
        try:
            options = converge.Options(
                force=parsed_args.force,
                ssh_user=parsed_args.overcloud_ssh_user,
                ssh_key=parsed_args.overcloud_ssh_key,
                **common.update_options(parsed_args, settings, self._note))
            common.guard_secrets(options.config_dir, options)
            if options.ssh_key:
                reach.check_ssh_key(options.ssh_key)
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
