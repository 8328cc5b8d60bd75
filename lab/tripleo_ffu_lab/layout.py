"""Where a lab keeps its files, and the state it keeps between runs."""

import contextlib
import fcntl
import json
import os

from tripleo_ffu.workflow import files

DEFAULT_LAB_DIR = os.path.join('~', 'tripleo-ffu-lab')
STACK_NAME = 'overcloud'


def machine_cache(env_name, kind):
    """A cache every lab of the machine shares (THT's sdists, Heat's
    virtualenvs): $env_name, else tripleo-ffu/<kind> in the user's cache."""
    configured = os.environ.get(env_name)
    if configured:
        return os.path.abspath(os.path.expanduser(configured))
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
        os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'tripleo-ffu', kind)


@contextlib.contextmanager
def cache_locked(directory):
    """One writer at a time per shared cache (labs and test runs)."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def default_lab_dir():
    return os.path.expanduser(os.environ.get('TRIPLEO_FFU_LAB_DIR',
                                             DEFAULT_LAB_DIR))


class Lab:
    """Paths of one lab, all under its root directory."""

    def __init__(self, root):
        self.root = os.path.abspath(os.path.expanduser(root))

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    @property
    def state_file(self):
        return self.path('lab.json')

    @property
    def run_dir(self):
        return self.path('run')

    @property
    def log_dir(self):
        return self.path('logs')

    @property
    def heat_venv(self):
        return self.path('heat-venv')

    @property
    def nodes_dir(self):
        return self.path('nodes')

    @property
    def stackrc(self):
        return self.path('stackrc')

    @property
    def lab_environment(self):
        """Environment file with the lab's addresses, as the deploy used it."""
        return self.path('lab-environment.yaml')

    @property
    def passwords_environment(self):
        return self.path('passwords.yaml')

    @property
    def ssh_key(self):
        """Private key the overcloud nodes accept (what `run` uses)."""
        return self.path('ssh', 'id_lab')

    @property
    def queens_templates(self):
        """The lab's queens templates, with THT's deploy steps (what
        prepare and converge take as --templates)."""
        return self.path('templates', 'queens')

    def node_root(self, hostname):
        return os.path.join(self.nodes_dir, hostname)

    def exists(self):
        return os.path.exists(self.state_file)

    def make_dirs(self):
        for directory in (self.root, self.run_dir, self.log_dir,
                          self.nodes_dir, self.path('ssh'), self.path('heat'),
                          self.path('mariadb')):
            os.makedirs(directory, mode=0o700, exist_ok=True)
            os.chmod(directory, 0o700)

    def load_state(self):
        try:
            with open(self.state_file) as state:
                return json.load(state)
        except FileNotFoundError:
            return {}

    def save_state(self, state):
        files.write_private(self.state_file,
                            json.dumps(state, indent=2, sort_keys=True) + '\n')
