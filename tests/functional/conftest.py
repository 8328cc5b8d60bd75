"""A real lab (MariaDB, heat-all, sshd, newton stack) for the session."""

import dataclasses
import functools
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

BIN = os.path.dirname(sys.executable)
# tripleoclient, loaded by every `openstack` run, logs these at import.
NOISE = ('Journal socket does not exist', 'Could not load ',
         'DeprecationWarning', 'warnings.warn(')


# The modules share one lab and one prepared stack, each leaving it as the
# next expects: converge (which unprepares the stack) comes after them,
# then test_tht (the stack's own playbooks on the lab's nodes); then
# test_ci prepares it again on its own, per role and batch.
MODULE_ORDER = ('test_lab', 'test_prepare', 'test_prepare_equivalence',
                'test_bad_input', 'test_run', 'test_lost_node', 'test_faults',
                'test_converge', 'test_tht', 'test_stack_name')


def _module(item):
    module = getattr(item, 'module', None)
    return module.__name__ if module else ''


def pytest_collection_modifyitems(items):
    """Functional tests in MODULE_ORDER; other tests stay where they are."""
    def rank(item):
        name = _module(item).rsplit('.', 1)[-1]
        return (MODULE_ORDER.index(name) if name in MODULE_ORDER
                else len(MODULE_ORDER))
    places = [index for index, item in enumerate(items)
              if _module(item).startswith(__package__ + '.')]
    ordered = sorted((items[index] for index in places), key=rank)
    for index, item in zip(places, ordered):
        items[index] = item


# What our commands printed in this session, for the secrets check.
OUTPUTS = []


def record(argv, *texts):
    """Keep the output of our commands (not of Heat's own CLI, which shows
    parameters as the operator asks)."""
    if 'ffwd-upgrade' in argv or os.path.basename(argv[0]) == \
            'tripleo-ffu-lab':
        OUTPUTS.append((' '.join(argv[:4]), '\n'.join(texts)))


def passwords(lab):
    """The lab's secrets (its strings), as its passwords environment (the
    newton deploy's) holds them."""
    import yaml
    with open(os.path.join(lab.root, 'passwords.yaml')) as source:
        return [value for value in
                yaml.safe_load(source)['parameter_defaults'].values()
                if isinstance(value, str)]


def run(argv, env=None, check=True, timeout=900, cwd=None):
    """Run one of our console scripts; fail with its output."""
    argv = [os.path.join(BIN, argv[0])] + list(argv[1:])
    result = subprocess.run(argv, env=env, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=timeout,
                            cwd=cwd)
    result.stderr = '\n'.join(line for line in result.stderr.splitlines()
                              if not any(n in line for n in NOISE))
    record(argv, result.stdout, result.stderr)
    if check and result.returncode != 0:
        pytest.fail('%s exited %d\nstdout:\n%s\nstderr:\n%s' % (
            ' '.join(argv), result.returncode, result.stdout[-3000:],
            result.stderr[-3000:]))
    return result


@dataclasses.dataclass
class RunningLab:
    root: str
    env: dict

    def cli(self, *args, **kwargs):
        return run(('tripleo-ffu-lab', '--lab-dir', self.root) + args,
                   **kwargs)

    def openstack(self, *args, **kwargs):
        """In the lab dir, as an operator in the undercloud's home:
        prepare and converge write the overcloud's credentials file into
        the working directory."""
        return run(('openstack',) + args, env=self.env, cwd=self.root,
                   **kwargs)

    def status(self):
        return json.loads(self.cli('status', '--format', 'json').stdout)

    @functools.cached_property
    def queens(self):
        """The lab's queens templates, with THT's deploy steps (what
        prepare and converge take as --templates)."""
        return self.status()['templates']['queens']

    def ffu_status(self, config_dir):
        """`openstack overcloud ffwd-upgrade status -f json`."""
        return json.loads(self.openstack(
            'overcloud', 'ffwd-upgrade', 'status', '--config-dir',
            config_dir, '-f', 'json').stdout)


def stackrc_env(root):
    """The environment after `source <lab>/stackrc`, as an operator has."""
    dump = subprocess.run(
        ['bash', '-c', 'set -a; . "$1"; env -0', '_',
         os.path.join(root, 'stackrc')],
        capture_output=True, text=True, check=True).stdout
    return dict(item.split('=', 1) for item in dump.split('\0') if item)


def start_lab(root, *up_args):
    """`up` a lab; when that fails, `down` it before failing the test.

    The caller calls `down` on what this returns, whatever its test does.
    """
    try:
        run(('tripleo-ffu-lab', '--lab-dir', root, 'up') + up_args)
        return RunningLab(root, stackrc_env(root))
    except BaseException:
        run(('tripleo-ffu-lab', '--lab-dir', root, 'down'), check=False)
        raise


def lab_processes(root):
    """(pid, command line) of every process whose command line names a
    path under root, from /proc (lab processes name their lab's)."""
    marker = (os.path.abspath(root) + os.sep).encode()
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as cmdline:
                argv = cmdline.read()
        except OSError:
            continue
        if marker in argv:
            found.append((int(entry), argv.replace(b'\0', b' ').decode(
                errors='replace').strip()))
    return found


@pytest.fixture(scope='session', autouse=True)
def no_lab_process_left(tmp_path_factory):
    """After the session, no process of a lab of it runs: each is
    reported as an error, and killed."""
    yield
    base = str(tmp_path_factory.getbasetemp())
    left = lab_processes(base)
    for pid, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not left, 'lab processes left running:\n' + '\n'.join(
        '%d %s' % item for item in left)


@pytest.fixture(scope='session')
def lab(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('lab'))
    running = start_lab(root)
    yield running
    running.cli('down', check=False)


def deployment_steps(lab):
    """{resource name: has a nested stack} for every step deployment."""
    from tripleo_ffu_lab import overcloud
    heat = overcloud.client(lab.env['OS_ENDPOINT'])
    return {r.resource_name: any(link['rel'] == 'nested' for link in r.links)
            for r in heat.resources.list('overcloud', nested_depth=2)
            if r.resource_type == 'OS::TripleO::DeploymentSteps'}


@dataclasses.dataclass
class Prepared:
    lab: RunningLab
    config_dir: str
    result: subprocess.CompletedProcess
    # {name: value} of newton's RandomString secrets before prepare.
    legacy: dict = dataclasses.field(default_factory=dict)


# Where the lab's templates put newton's five RandomString secrets (THT's
# hieradata keys; the lab has no heat, horizon or pacemaker service).
LEGACY_SETTINGS = {
    'MysqlRootPassword': ('Controller', 'mysql::root_password'),
    'RabbitCookie': ('Controller', 'rabbitmq::erlang_cookie'),
    'HeatAuthEncryptionKey': ('Controller',
                              'heat::engine::auth_encryption_key'),
    'HorizonSecret': ('Controller', 'horizon::secret_key'),
    'PcsdPassword': ('Controller', 'pacemaker::corosync::cluster_password'),
}


def legacy_passwords(lab):
    """Newton's RandomString secrets, read from the stack's resources."""
    values = {}
    for name in LEGACY_SETTINGS:
        shown = json.loads(lab.openstack(
            'stack', 'resource', 'show', 'overcloud', name, '-f',
            'json').stdout)
        values[name] = shown['attributes']['value']
    return values


def role_settings(lab):
    """{role: config_settings} of the stack's RoleData now."""
    role_data = json.loads(lab.openstack(
        'stack', 'output', 'show', 'overcloud', 'RoleData', '-f',
        'json').stdout)['output_value']
    if isinstance(role_data, str):
        role_data = json.loads(role_data)
    return {role: data.get('config_settings') or {}
            for role, data in role_data.items()}


def prepare_args(lab, config_dir, *extra):
    """The prepare command an operator runs on the lab."""
    report = lab.status()
    return ('overcloud', 'ffwd-upgrade', 'prepare',
            '--templates', lab.queens,
            '-e', os.path.join(lab.root, 'lab-environment.yaml'),
            '--overcloud-ssh-user', report['ssh_user'],
            '--overcloud-ssh-key', report['ssh_key'],
            '--config-dir', config_dir) + extra


@pytest.fixture(scope='session')
def prepared(lab, tmp_path_factory):
    """The lab's overcloud after `prepare --yes` with the queens templates.

    Session-wide: the test files after test_lab.py (which redeploys the
    stack) share it; their tests may reset the nodes, never the stack.
    """
    # A dot in the path, as in /home/jane.doe: tripleo-common's download
    # names files by whether the whole path has one.
    config_dir = str(tmp_path_factory.mktemp('ffu.d') / 'config')
    legacy = legacy_passwords(lab)
    result = lab.openstack(*prepare_args(lab, config_dir, '--yes'),
                           timeout=1200)
    return Prepared(lab, config_dir, result, legacy)


# A test-only callback that records every task that ran (not skipped).
RECORDER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), 'unit', 'standins', 'callback_plugins')


def recorder_env(log):
    """ANSIBLE_* settings that record every task run into log."""
    return {'ANSIBLE_CALLBACK_PLUGINS': RECORDER,
            'ANSIBLE_CALLBACK_WHITELIST': 'callback_executed',
            'FFU_EXECUTED_LOG': str(log)}


def executed(log, skip=('ping',)):
    """{host: [(task, module, release, step, status)]} from log."""
    found = {}
    with open(log) as lines:
        for line in lines:
            event = json.loads(line)
            if event['action'] not in skip:
                found.setdefault(event['host'], []).append(
                    (event['task'], event['action'], event['release'],
                     event['step'], event['status']))
    return found


@dataclasses.dataclass
class Upgraded:
    config_dir: str     # a copy of the prepared config, where it ran
    result: subprocess.CompletedProcess
    executed: dict      # executed(): what each host ran
    journal: dict       # the run's journal as it ended
    releases: dict      # {node: release} as the run left them
    present_before: set  # test_tht.present() before the run


@pytest.fixture(scope='session')
def upgraded(prepared, tmp_path_factory):
    """`run --whole-upgrade --yes` (every node through every phase)
    from freshly deployed newton nodes through the CLI, every task it ran
    recorded: the equivalence test compares that with
    the stack's playbooks, test_run reads its output, test_converge
    converges after it. One whole run for the three (each is several
    minutes).

    It runs in a copy of the prepared config (as test_bad_input's and
    test_converge's own): the runs test_run and test_faults break and
    resume in the prepared one leave its journal complete for converge.
    """
    from tripleo_ffu.workflow import run_state
    from tests.functional import test_tht
    lab = prepared.lab
    present_before = test_tht.present()
    lab.cli('reset', '--nodes')
    config_dir = str(tmp_path_factory.mktemp('upgraded') / 'config')
    shutil.copytree(prepared.config_dir, config_dir, symlinks=True)
    for name in (run_state.JOURNAL_FILE, run_state.NODES_FILE):
        path = os.path.join(config_dir, run_state.RUN_DIR, name)
        if os.path.exists(path):
            os.unlink(path)
    log = os.path.join(os.path.dirname(config_dir), 'executed.jsonl')
    result = run(('openstack', 'overcloud', 'ffwd-upgrade', 'run',
                  '--config-dir', config_dir, '--whole-upgrade', '--yes'),
                 env=dict(lab.env, **recorder_env(log)), check=False,
                 timeout=1800, cwd=lab.root)
    with open(os.path.join(config_dir, run_state.RUN_DIR,
                           run_state.JOURNAL_FILE)) as source:
        journal = json.load(source)
    return Upgraded(config_dir, result,
                    executed(log) if os.path.exists(log) else {},
                    journal, {node['hostname']: node['release']
                              for node in lab.status()['nodes']},
                    present_before)
