"""tripleo-heat-templates stable/queens, as released, for the lab.

The lab's queens RoleConfig is THT's own: its ``common/deploy-steps.j2``
rendered for the lab's roles. This module fetches THT's last queens sdist
once per machine with pip (its wheels hold no templates), keeps it in a
cache shared by every lab and test run, and renders the template exactly
as THT's ``tools/process-templates.py`` does. Nothing of THT is copied
into this repository; what the lab uses is copied unchanged from the sdist.
"""

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

import jinja2
import yaml

from tripleo_ffu_lab import layout
from tripleo_ffu_lab import procs

LOG = logging.getLogger(__name__)

VERSION = '8.4.1'
NAME = 'tripleo-heat-templates-%s' % VERSION
SDIST = NAME + '.tar.gz'
# sha256 of the sdist pip downloads: what the lab renders is always this.
SDIST_SHA256 = ('9c4800e6e0d9cdaa95c90e4f5db7612960ef267eba88804df117fc65'
                '1d98f5d9')
# pip's metadata step on this sdist needs an old setuptools (pbr's
# setup_requires), hence a throwaway virtualenv and no build isolation.
FETCH_REQUIREMENTS = ['setuptools<61', 'pbr', 'wheel']
CACHE_ENV = 'TRIPLEO_FFU_THT_CACHE'

# The lab's roles, as named in THT's roles_data.yaml (whose entries give
# each its tags and deprecated names): Controller is the primary role.
ROLES = ('Controller', 'Compute')
# THT renders common/post.j2.yaml (it includes deploy-steps.j2) into the
# template of OS::TripleO::PostDeploySteps.
POST_TEMPLATE = os.path.join('common', 'post.j2.yaml')
# The files the rendered template reads with get_file, relative to THT.
GET_FILES = (os.path.join('common', 'deploy-steps-tasks.yaml'),
             os.path.join('docker', 'docker-puppet.py'),
             os.path.join('extraconfig', 'pre_network',
                          'boot_param_tasks.yaml'))


def cache_dir():
    """Where the sdist and its extracted tree are kept, for every lab."""
    return layout.machine_cache(CACHE_ENV, 'tht')


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as source:
        for chunk in iter(lambda: source.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _pip_download(directory, version=VERSION):
    """The sdist, downloaded by pip into directory (a throwaway venv's pip:
    ours must not get an old setuptools)."""
    sdist_name = 'tripleo-heat-templates-%s.tar.gz' % version
    base_python = getattr(sys, '_base_executable', sys.executable)
    with tempfile.TemporaryDirectory(prefix='tht-fetch-') as work:
        venv = os.path.join(work, 'venv')
        pip = os.path.join(venv, 'bin', 'pip')
        steps = [
            ([base_python, '-m', 'venv', venv], 'creating a virtualenv'),
            ([pip, 'install', '-q', '--disable-pip-version-check'] +
             FETCH_REQUIREMENTS, 'installing ' +
             ' '.join(FETCH_REQUIREMENTS)),
            ([pip, 'download', '-q', '--disable-pip-version-check',
              '--no-deps', '--no-binary', ':all:', '--no-build-isolation',
              'tripleo-heat-templates==' + version, '-d', work],
             'pip download tripleo-heat-templates==' + version),
        ]
        for argv, what in steps:
            result = subprocess.run(argv, capture_output=True, text=True,
                                    stdin=subprocess.DEVNULL)
            if result.returncode != 0:
                lines = [line for line in (result.stderr or result.stdout)
                         .splitlines() if line.strip() and
                         not line.startswith('WARNING: Location')]
                raise procs.LabError(
                    'cannot fetch %s (%s failed: %s): put %s in %s and '
                    'run this again' % (
                        sdist_name, what, lines[-1].strip() if lines
                        else 'exit %d' % result.returncode,
                        sdist_name, directory))
        downloaded = os.path.join(work, sdist_name)
        if not os.path.isfile(downloaded):
            raise procs.LabError('cannot fetch %s: pip saved no %s; put it '
                                 'in %s and run this again'
                                 % (sdist_name, sdist_name, directory))
        partial = os.path.join(directory, sdist_name + '.part')
        shutil.copyfile(downloaded, partial)
        os.replace(partial, os.path.join(directory, sdist_name))


def _extract(sdist, directory, name=NAME):
    """sdist's tree into directory/name, whole or not at all."""
    work = tempfile.mkdtemp(prefix='.extract-', dir=directory)
    try:
        with tarfile.open(sdist) as archive:
            archive.extractall(work, filter='data')
        os.replace(os.path.join(work, name), os.path.join(directory, name))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def fetch(directory=None, version=None, sha256=None, marker=POST_TEMPLATE):
    """THT's extracted tree of a release (queens by default); fetched with
    pip the first time only. marker: a file every extracted tree has."""
    directory = directory or cache_dir()
    version = version or VERSION
    sha256 = sha256 or SDIST_SHA256
    name = 'tripleo-heat-templates-%s' % version
    sdist_name = name + '.tar.gz'
    tree = os.path.join(directory, name)
    if os.path.isfile(os.path.join(tree, marker)):
        return tree
    try:
        with layout.cache_locked(directory):
            if os.path.isfile(os.path.join(tree, marker)):
                return tree
            sdist = os.path.join(directory, sdist_name)
            if not os.path.isfile(sdist):
                LOG.info('Fetching %s with pip into %s', sdist_name,
                         directory)
                _pip_download(directory, version)
            digest = _sha256(sdist)
            if digest != sha256:
                raise procs.LabError(
                    '%s has sha256 %s, not the released %s: remove it and '
                    'run this again' % (sdist, digest, sha256))
            shutil.rmtree(tree, ignore_errors=True)
            _extract(sdist, directory, name)
    except OSError as exc:
        raise procs.LabError('cannot keep %s in %s: %s' % (
            sdist_name, directory, exc.strerror or exc))
    except tarfile.TarError as exc:
        raise procs.LabError('%s is not a readable sdist (%s): remove it '
                             'and run this again'
                             % (os.path.join(directory, sdist_name), exc))
    return tree


def _load_yaml(tht, relative):
    with open(os.path.join(tht, relative)) as source:
        return yaml.safe_load(source)


def roles_data(tht, names=ROLES):
    """THT's roles_data.yaml entries of the lab's roles, in the lab's
    order."""
    entries = {role['name']: role
               for role in _load_yaml(tht, 'roles_data.yaml')}
    return [entries[name] for name in names]


def render_post(tht, roles):
    """common/post.j2.yaml rendered for roles, as THT's
    tools/process-templates.py renders a *.j2.yaml: a default jinja2
    Environment whose loader looks next to the template, then in THT."""
    path = os.path.join(tht, POST_TEMPLATE)
    with open(path) as source:
        text = source.read()
    loader = jinja2.loaders.FileSystemLoader([os.path.dirname(path), tht])
    template = jinja2.Environment(loader=loader).from_string(text)
    return template.render(roles=roles,
                           networks=_load_yaml(tht, 'network_data.yaml'))


# The resources of THT's rendered template that RoleConfig reads: Heat
# values only, which the lab's Heat resolves as THT's would. The others
# need real servers, Mistral or os-collect-config (RoleConfig,
# ArtifactsDeploy, HostPrepDeployment, WorkflowTasks_*, Deployment_Step*,
# PreConfig/PostConfig, ExtraConfigPost): the lab has stand-ins instead.
KEPT_RESOURCES = ('BootstrapServerId', 'ExternalDeployTasks',
                  'ExternalPostDeployTasks')
# In the lab's copy of its queens templates: the stand-ins it adds to
# THT's template, and where the result goes (THT's name for it).
STANDINS = os.path.join('common', 'lab-deploy-steps.yaml')
POST = os.path.join('common', 'post.yaml')
# In a built tree: what it was built from (THT's version, the sources').
STAMP = '.built-from'


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (RoleConfig's playbooks) as literal blocks."""


def _represent_str(dumper, data):
    style = '|' if '\n' in data else None
    return dumper.represent_scalar('tag:yaml.org,2002:str', data,
                                   style=style)


_Dumper.add_representer(str, _represent_str)


def _references(node, function):
    """The first argument of every `function` (get_attr...) under node."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == function:
                yield value[0] if isinstance(value, list) else value
            else:
                yield from _references(value, function)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item, function)


def post_template(rendered, standins):
    """The lab's OS::TripleO::PostDeploySteps: THT's rendered template
    with its parameters and outputs as they are, the resources its
    outputs read, and the lab's stand-ins for the rest."""
    outputs = rendered['outputs']
    read = set(_references(outputs, 'get_attr')) | set(
        _references(outputs, 'get_resource'))
    if not read <= set(KEPT_RESOURCES):
        raise procs.LabError('THT\'s RoleConfig reads resources the lab does '
                             'not keep: %s' % ', '.join(sorted(
                                 read - set(KEPT_RESOURCES))))
    resources = {name: rendered['resources'][name]
                 for name in KEPT_RESOURCES}
    resources.update(standins['resources'])
    return {
        'heat_template_version': rendered['heat_template_version'],
        'description': (
            'THT %s common/post.yaml (rendered from common/deploy-steps.j2 '
            'for the roles %s) as the lab runs it: parameters and outputs '
            'unchanged, the resources RoleConfig reads (%s), and the '
            'stand-ins of %s for the rest.' % (
                VERSION, ', '.join(ROLES), ', '.join(KEPT_RESOURCES),
                STANDINS)),
        'parameters': rendered['parameters'],
        'resources': resources,
        'outputs': outputs,
    }


def build_templates(source, destination, tht):
    """destination: a copy of the lab's queens templates (source) with the
    lab's OS::TripleO::PostDeploySteps built from THT's deploy steps, and
    the files its get_file reads, copied unchanged from THT."""
    work = destination + '.new'
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(source, work)
    for relative in GET_FILES:
        os.makedirs(os.path.dirname(os.path.join(work, relative)),
                    exist_ok=True)
        shutil.copyfile(os.path.join(tht, relative),
                        os.path.join(work, relative))
    rendered = yaml.safe_load(render_post(tht, roles_data(tht)))
    standins = _load_yaml(work, STANDINS)
    with open(os.path.join(work, POST), 'w') as out:
        out.write('# Built by tripleo-ffu-lab from %s; do not edit.\n'
                  % os.path.join(NAME, POST_TEMPLATE))
        yaml.dump(post_template(rendered, standins), out, Dumper=_Dumper,
                  default_flow_style=False, sort_keys=False, width=1000)
    shutil.rmtree(destination, ignore_errors=True)
    os.replace(work, destination)
    return destination


def _stamp(source):
    """What a tree built from source is built from: THT's sdist and a
    digest of the lab's templates."""
    digest = hashlib.sha256()
    for top, dirs, names in sorted(os.walk(source)):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(top, name)
            digest.update(os.path.relpath(path, source).encode() + b'\0')
            with open(path, 'rb') as data:
                digest.update(data.read() + b'\0')
    return '%s %s\n' % (SDIST_SHA256, digest.hexdigest())


def ensure_templates(source, destination):
    """destination built from source and THT's sdist (fetched if need be),
    unless it already is: a lab renders THT's deploy steps once."""
    stamp = _stamp(source)
    try:
        with open(os.path.join(destination, STAMP)) as built:
            if built.read() == stamp:
                return destination
    except FileNotFoundError:
        pass
    build_templates(source, destination, fetch())
    with open(os.path.join(destination, STAMP), 'w') as out:
        out.write(stamp)
    return destination
