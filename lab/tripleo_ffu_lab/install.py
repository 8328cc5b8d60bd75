"""Install what the lab needs: Debian packages and Heat's own virtualenv."""

import hashlib
import logging
import os
import shutil
import subprocess
import sys

from tripleo_ffu_lab import layout
from tripleo_ffu_lab import procs

LOG = logging.getLogger(__name__)

# Debian package -> the programs the lab runs that it brings (with the
# packages it depends on).
DEBIAN_PACKAGES = {
    'mariadb-server': ('/usr/sbin/mariadbd', '/usr/bin/mariadb-install-db',
                       '/usr/bin/mariadb'),
    'openssh-server': ('/usr/sbin/sshd', '/usr/bin/ssh-keygen',
                       '/usr/bin/ssh'),
}
HEAT_REQUIREMENTS = ['openstack-heat>=24,<25', 'PyMySQL']
CACHE_ENV = 'TRIPLEO_FFU_HEAT_CACHE'
# Written last into a shared virtualenv: the install went to its end.
COMPLETE = '.tripleo-ffu-complete'


def ensure_debian_packages():
    missing = [package for package, paths in sorted(DEBIAN_PACKAGES.items())
               if not all(os.path.exists(path) for path in paths)]
    if not missing:
        return
    prefix = []
    if os.geteuid() != 0:
        if not shutil.which('sudo'):
            raise procs.LabError(
                'the lab needs the Debian packages %s: install them as root '
                '(apt-get install %s) and run this again'
                % (', '.join(missing), ' '.join(missing)))
        prefix = ['sudo', '-n']
    LOG.info('Installing Debian packages: %s', ', '.join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    procs.run(prefix + ['apt-get', 'update', '-q'], 'apt-get update', env=env)
    procs.run(prefix + ['apt-get', 'install', '-y', '-q',
                        '--no-install-recommends'] + missing,
              'apt-get install ' + ' '.join(missing), env=env)


def heat_bin(lab, name):
    return os.path.join(lab.heat_venv, 'bin', name)


def cache_dir():
    """Where Heat's virtualenvs are kept, for every lab of the machine."""
    return layout.machine_cache(CACHE_ENV, 'heat')


def base_python():
    """The Python the virtualenvs are made from (not ours, a venv's)."""
    return getattr(sys, '_base_executable', sys.executable)


def shared_venv(python):
    """The shared virtualenv of these requirements and that Python."""
    digest = hashlib.sha256('\n'.join(
        HEAT_REQUIREMENTS + [os.path.realpath(python)]).encode())
    return os.path.join(cache_dir(), 'venv-' + digest.hexdigest()[:12])


def ensure_heat_venv(lab):
    """Heat in a virtualenv of its own: its pins must not touch ours.

    One virtualenv serves every lab of the machine (installing it takes
    a minute): <lab>/heat-venv links to it. A lab that has a virtualenv
    of its own keeps it.
    """
    if os.path.exists(heat_bin(lab, 'heat-all')):
        return
    python = base_python()
    shared = shared_venv(python)
    with layout.cache_locked(cache_dir()):
        if not os.path.exists(os.path.join(shared, COMPLETE)):
            LOG.info('Installing Heat (%s) into %s, for every lab of this '
                     'machine', ', '.join(HEAT_REQUIREMENTS), shared)
            procs.run([python, '-m', 'venv', '--clear', shared],
                      'creating the Heat virtualenv')
            procs.run([os.path.join(shared, 'bin', 'pip'), 'install', '-q',
                       '--disable-pip-version-check'] + HEAT_REQUIREMENTS,
                      'installing Heat into ' + shared)
            open(os.path.join(shared, COMPLETE), 'w').close()
    # What an earlier, interrupted install left in the lab dir.
    if os.path.islink(lab.heat_venv) or os.path.isfile(lab.heat_venv):
        os.unlink(lab.heat_venv)
    elif os.path.isdir(lab.heat_venv):
        shutil.rmtree(lab.heat_venv)
    os.symlink(shared, lab.heat_venv)
    LOG.info('Heat: %s (linked as %s)', shared, lab.heat_venv)


def heat_version(lab):
    try:
        return subprocess.run(
            [heat_bin(lab, 'python'), '-c',
             'from importlib.metadata import version;'
             'print(version("openstack-heat"))'],
            capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'not installed'
