"""The templates and environments of the prepare and converge updates."""

import glob
import logging
import os
import tempfile

import yaml

from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import yamlfile
from tripleo_ffu.workflow.errors import WorkflowError

LOG = logging.getLogger(__name__)

TOP_TEMPLATE = 'overcloud.yaml'
TOP_TEMPLATE_SOURCE = 'overcloud.j2.yaml'
REGISTRY = 'overcloud-resource-registry-puppet.yaml'
LIFECYCLE = os.path.join('environments', 'lifecycle')
PREPARE_ENV = 'ffwd-upgrade-prepare.yaml'
CONVERGE_ENV = 'ffwd-upgrade-converge.yaml'
GENERATED_DIR = 'ffu-environments'
# The parameters given by upstream's deprecated options (--compute-scale,
# --ntp-server, ...) and --rhel-reg's, as upstream's tripleoclient-*.yaml.
PARAMETERS_ENV = 'ffwd-upgrade-cli-parameters.yaml'

# What THT's lifecycle environments set, for templates that lack them.
GENERATED_PREPARE = {
    'resource_registry': {'OS::TripleO::DeploymentSteps': 'OS::Heat::None'},
    'parameter_defaults': {'StackUpdateType': 'FASTFORWARDUPGRADE',
                           'EnableOnlineDataMigrations': False},
}
GENERATED_CONVERGE = {
    'parameter_defaults': {'StackUpdateType': '',
                           'EnableOnlineDataMigrations': True},
}


def check_templates(templates_dir):
    """The top template; a THT tree as packaged has only its jinja2
    source (rendered before the update, as upstream's deploy did)."""
    top = os.path.join(templates_dir, TOP_TEMPLATE)
    if os.path.isfile(top):
        return top
    source = os.path.join(templates_dir, TOP_TEMPLATE_SOURCE)
    if os.path.isfile(source):
        return source
    raise WorkflowError('%s has no %s: --templates must be a '
                        'tripleo-heat-templates directory'
                        % (templates_dir, TOP_TEMPLATE))


def read_environment(path):
    """An environment file, checked to be a YAML mapping."""
    try:
        with open(path) as source:
            data = yamlfile.load(source)
    except (FileNotFoundError, NotADirectoryError):
        raise WorkflowError('environment file %s does not exist' % path)
    except PermissionError:
        raise WorkflowError('environment file %s is not readable' % path)
    except IsADirectoryError:
        raise WorkflowError('environment file %s is a directory: use '
                            '--environment-directory for that' % path)
    except UnicodeDecodeError:
        raise WorkflowError('environment file %s is not UTF-8 text' % path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None)
        where = ' at line %d' % (mark.line + 1) if mark else ''
        raise WorkflowError('environment file %s is not valid YAML%s: %s'
                            % (path, where, getattr(exc, 'problem', exc)))
    if data is not None and not isinstance(data, dict):
        raise WorkflowError('environment file %s holds a %s, not a mapping '
                            'of environment sections'
                            % (path, type(data).__name__))
    return data or {}


def read_answers(path):
    """(templates, environment files) of upstream's --answers-file."""
    try:
        with open(path) as source:
            answers = yamlfile.load(source)
    except OSError as exc:
        raise WorkflowError('answers file %s cannot be read: %s'
                            % (path, exc.strerror))
    except (yaml.YAMLError, UnicodeDecodeError):
        raise WorkflowError('answers file %s is not valid YAML' % path)
    if not isinstance(answers, dict):
        raise WorkflowError('answers file %s is not a mapping with '
                            '"templates" and "environments"' % path)
    templates = answers.get('templates')
    environments = answers.get('environments') or []
    if templates is not None and not isinstance(templates, str) or \
            not isinstance(environments, list) or \
            not all(isinstance(item, str) for item in environments):
        raise WorkflowError('answers file %s: "templates" must be a path and '
                            '"environments" a list of paths' % path)
    return templates, environments


def check_inputs(options):
    """The templates and environment files of a stack update (prepare's or
    converge's Options), before the stack is touched."""
    check_templates(options.templates)
    for path in options.environment_files:
        read_environment(path)
    for directory in options.environment_directories:
        for path in directory_files(directory):
            read_environment(path)
    for path in options.registration_files:
        read_environment(path)
    for label, path in (('roles file', options.roles_file),
                        ('networks file', options.networks_file)):
        if path and not os.path.isfile(path):
            raise WorkflowError('%s %s does not exist' % (label, path))


def directory_files(directory):
    """The *.yaml files of an environment directory, in name order."""
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise WorkflowError('environment directory %s is not a directory'
                            % directory)
    if not os.path.isdir(directory):
        raise WorkflowError('environment directory %s does not exist'
                            % directory)
    return sorted(path for path in glob.glob(
        os.path.join(glob.escape(directory), '*.yaml'))
        if os.path.isfile(path))


def given_parameters(options):
    """{name: value} of the parameters the operator's inputs set: the
    environment directories' files, the -e files and upstream's options
    (later ones win, as in the update)."""
    paths = []
    for directory in options.environment_directories:
        paths.extend(directory_files(directory))
    paths.extend(options.environment_files)
    paths.append(getattr(options, 'container_registry_file', None))
    given = dict(options.parameters)
    for path in filter(None, paths):
        data = read_environment(path)
        for section in ('parameters', 'parameter_defaults'):
            if isinstance(data.get(section), dict):
                given.update(data[section])
    return given


def noop_environment(roles):
    """Deploy steps and every role's pre/post config mapped to None."""
    registry = {'OS::TripleO::DeploymentSteps': 'OS::Heat::None'}
    for role in roles:
        for when in ('PreConfig', 'PostConfig'):
            registry['OS::TripleO::Tasks::%s%s' % (role, when)] = (
                'OS::Heat::None')
    return {'resource_registry': registry}


def write_generated(directory, name, content):
    os.makedirs(directory, mode=0o700, exist_ok=True)
    path = os.path.join(directory, name)
    files.write_private(path, '# Generated by tripleo-ffu.\n' +
                        yamlfile.dump(content, default_flow_style=False))
    return path


def lifecycle_environment(templates_dir, name, generated, out_dir):
    """The templates' lifecycle environment, or ours when they lack it."""
    path = os.path.join(templates_dir, LIFECYCLE, name)
    if os.path.isfile(path):
        return path
    LOG.info('%s has no %s: using tripleo-ffu\'s own', templates_dir,
             os.path.join(LIFECYCLE, name))
    return write_generated(out_dir, name, generated)


def ordered_files(templates_dir, lifecycle, options, out_dir, extra=(),
                  last=()):
    """The environment files in the order Heat must merge them, as
    upstream's deploy merged them: the templates' registry; the parameters
    of upstream's options; the environment directories' files; the
    registration environment; the lifecycle environment (first of the
    environment files, as upstream put it); ours (extra); the -e files;
    then what must win over them all (last)."""
    ordered = []
    registry = os.path.join(templates_dir, REGISTRY)
    if os.path.isfile(registry):
        ordered.append(registry)
    if options.parameters:
        ordered.append(write_generated(
            out_dir, PARAMETERS_ENV,
            {'parameter_defaults': dict(options.parameters)}))
    for directory in options.environment_directories:
        ordered.extend(directory_files(directory))
    ordered.extend(options.registration_files)
    ordered.append(lifecycle)
    ordered.extend(extra)
    ordered.extend(os.path.abspath(path) for path in
                   options.environment_files)
    ordered.extend(last)
    for path in ordered:
        read_environment(path)
    return ordered


def render_templates(templates_dir, roles_file, networks_file, log):
    """A rendered copy of templates holding *.j2.yaml files, else as is.

    tripleoclient's jinja_render_files runs THT's own
    tools/process-templates.py, exactly as `overcloud deploy` does.
    """
    if not glob.glob(os.path.join(glob.escape(templates_dir), '**',
                                  '*.j2.yaml'), recursive=True):
        return templates_dir
    import shutil
    from tripleoclient import utils as tripleo_utils
    work = tempfile.mkdtemp(prefix='tripleo-ffu-templates-')
    rendered = os.path.join(work, 'templates')
    shutil.copytree(templates_dir, rendered, symlinks=True)
    output = _RenderOutput(log or LOG)
    try:
        tripleo_utils.jinja_render_files(
            output, templates=rendered, working_dir=work,
            roles_file=roles_file or os.path.join(rendered,
                                                  'roles_data.yaml'),
            networks_file=networks_file or os.path.join(
                rendered, 'network_data.yaml'),
            base_path=rendered, output_dir=rendered)
    except Exception:  # tripleoclient's DeploymentError
        raise WorkflowError(
            'THT\'s tools/process-templates.py could not render %s: %s'
            % (templates_dir, output.last() or 'no output'))
    return rendered


class _RenderOutput:
    """The log tripleoclient's jinja_render_files writes to. It logs each
    line of process-templates.py (one per rendered file, about a hundred)
    as a warning: here they are debug messages, and the last one is kept
    for the error if rendering fails."""

    def __init__(self, log):
        self._log = log
        self._lines = []

    def warning(self, message, *args):
        self._lines.append(message % args if args else message)
        self._log.debug(message, *args)

    def error(self, message, *args):
        self._log.debug(message, *args)

    def last(self):
        return self._lines[-1] if self._lines else ''

    def __getattr__(self, name):
        return getattr(self._log, name)


def stack_fields(templates_dir, env_files, user_templates_dir=None):
    """template, files and environment for heatclient, as tripleoclient
    builds them (process_multiple_environments and template_utils)."""
    from heatclient.common import template_utils
    from tripleoclient import utils as tripleo_utils
    env_file_contents, environment = (
        tripleo_utils.process_multiple_environments(
            env_files, templates_dir, user_templates_dir or templates_dir))
    template_files, template = template_utils.get_template_contents(
        template_file=os.path.join(templates_dir, TOP_TEMPLATE))
    all_files = dict(template_files)
    all_files.update(env_file_contents)
    return template, all_files, environment


def build(options, lifecycle_name, generated, out_dir, log, extra=(),
          last=()):
    """template, files and environment of a stack update (the order is
    ordered_files')."""
    templates = render_templates(options.templates, options.roles_file,
                                 options.networks_file, log)
    lifecycle = lifecycle_environment(templates, lifecycle_name, generated,
                                      out_dir)
    env_files = ordered_files(templates, lifecycle, options, out_dir,
                              extra=extra, last=last)
    try:
        return stack_fields(templates, env_files, options.templates)
    except Exception as exc:  # heatclient's CommandError, file errors
        raise WorkflowError('cannot assemble the templates and '
                            'environments: %s' % exc)
