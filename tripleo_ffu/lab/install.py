"""Install what the lab needs: Debian packages and Heat's own virtualenv."""

import logging
import os
import shutil
import subprocess
import sys

from tripleo_ffu.lab import procs

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


def ensure_heat_venv(lab):
    """Heat in a virtualenv of its own: its pins must not touch ours."""
    if os.path.exists(heat_bin(lab, 'heat-all')):
        return
    LOG.info('Installing Heat (%s) into %s',
             ', '.join(HEAT_REQUIREMENTS), lab.heat_venv)
    base_python = getattr(sys, '_base_executable', sys.executable)
    procs.run([base_python, '-m', 'venv', '--clear', lab.heat_venv],
              'creating the Heat virtualenv')
    procs.run([heat_bin(lab, 'pip'), 'install', '-q',
               '--disable-pip-version-check'] + HEAT_REQUIREMENTS,
              'installing Heat into ' + lab.heat_venv)


def heat_version(lab):
    try:
        return subprocess.run(
            [heat_bin(lab, 'python'), '-c',
             'from importlib.metadata import version;'
             'print(version("openstack-heat"))'],
            capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'not installed'
