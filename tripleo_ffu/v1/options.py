"""The ffwd-upgrade commands' options, each defined once; a command
gives the help that says what the option means for it."""

import os

from osc_lib.i18n import _

from tripleo_ffu.v1 import upstream


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


def add_config_dir_option(parser, what):
    parser.add_argument('--config-dir', metavar='<directory>',
                        help=_('%s (default: ~/tripleo-ffu/<stack>)') % what)


def add_ssh_options(parser, user, key, prefix='--overcloud-'):
    """The user Ansible logs in as and the private key for that user:
    prepare's and converge's --overcloud-ssh-*, run's --ssh-*."""
    parser.add_argument(prefix + 'ssh-user', metavar='<user>', help=user)
    parser.add_argument(prefix + 'ssh-key', metavar='<file>', help=key)


def add_force_option(parser, what):
    """--force: what it forces is the command's (run: computes before the
    control plane; converge: over an incomplete run)."""
    parser.add_argument('--force', action='store_true', help=what)


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
    add_stack_option(parser)
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
