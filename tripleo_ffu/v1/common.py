"""What the ffwd-upgrade commands share: options, confirmation, errors."""

import os
import sys

from osc_lib import exceptions
from osc_lib.i18n import _

CONFIRMATION = _(
    'Fast-forward upgrade is a critical operation: it takes every overcloud '
    'node from release N to N+3 with the control plane down. Make sure you '
    'have a valid backup of the undercloud and of the overcloud '
    'controllers before you go on.\n'
    'Are you sure you want to %s? [yes/N] ')


def default_stack():
    return os.environ.get('OVERCLOUD_STACK_NAME', 'overcloud')


def add_stack_option(parser):
    parser.add_argument(
        '--stack', default=default_stack(), metavar='<stack>',
        help=_('Name or ID of the overcloud stack (default: '
               '$OVERCLOUD_STACK_NAME or "overcloud")'))


def add_yes_option(parser):
    parser.add_argument(
        '-y', '--yes', action='store_true',
        help=_('Do not ask for confirmation (for scripts and CI jobs)'))


def confirm(parsed_args, what, log):
    """Ask before a destructive action; refuse when nobody can answer."""
    if parsed_args.yes:
        return
    if not sys.stdin.isatty():
        raise exceptions.CommandError(_(
            'this command needs a confirmation and there is no terminal to '
            'ask it on: run it again with --yes'))
    from tripleoclient import utils as tripleo_utils
    if not tripleo_utils.prompt_user_for_confirmation(
            CONFIRMATION % what, log, positive_response='yes'):
        raise exceptions.CommandError(_('not confirmed: nothing was done'))
