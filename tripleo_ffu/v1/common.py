"""What the ffwd-upgrade commands share: the base command, the config
dir, the stack updates' resolved options, secrets, confirmation."""

import os
import sys

from osc_lib.command import command
from osc_lib import exceptions
from osc_lib.i18n import _

from tripleo_ffu.v1 import upstream

CONFIRMATION = _(
    'Fast-forward upgrade is a critical operation: it takes every overcloud '
    'node from release N to N+3 with the control plane down. Make sure you '
    'have a valid backup of the undercloud and of the overcloud '
    'controllers before you go on.\n'
    'Are you sure you want to %s? [yes/N] ')


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


def update_options(parsed_args, settings, say):
    """What prepare's and converge's Options take from add_update_options
    and the settings."""
    from tripleo_ffu.workflow import preview
    path = config_dir(parsed_args, settings)
    templates, environment_files = _answers(parsed_args)
    return dict(
        allow=preview.Allow(
            destructive=parsed_args.allow_destructive_update,
            password_change=parsed_args.allow_password_change),
        stack=parsed_args.stack, templates=templates,
        config_dir=path, environment_files=environment_files,
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


def check_timeout(parsed_args):
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


def config_dir(parsed_args, settings):
    """The config dir, after --stack is checked to be a plain name (it
    reaches Heat's URLs and Ansible's patterns)."""
    from tripleo_ffu.workflow import errors
    from tripleo_ffu.workflow import inventory
    from tripleo_ffu.workflow import prepare
    inventory.check_name(parsed_args.stack, 'stack name', '--stack gives')
    path = parsed_args.config_dir or prepare.default_config_dir(
        settings.config_dir_base, parsed_args.stack)
    if os.path.exists(path) and not os.path.isdir(path):
        raise errors.WorkflowError(
            '%s is not a directory: --config-dir names the directory of '
            'the config' % path)
    return path


class Command(command.Command):
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

    def _settings(self, parsed_args, name):
        """prepare's and converge's start: their --timeout checked, a note
        for each upstream option that changes nothing, the settings."""
        from tripleo_ffu import conf
        check_timeout(parsed_args)
        for line in upstream.notices(parsed_args, name):
            self._note(line)
        return conf.load()
