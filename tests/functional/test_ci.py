"""The scripts a CI job runs (doc/source/ci.rst), on the lab: those the
tripleo-upgrade role renders (stable/queens, the node scripts of
stable/stein too), with upstream's options and no terminal, each through
`set -euo pipefail` and `| tee` to a log, the per-role and per-node
scripts calling `ffwd-upgrade run` instead of tripleoclient's `upgrade
run` (nothing else changed: the run script takes every node through the
fast-forward phase alone, as upstream's, and the target release goes per
role and node). The scripts run in the job's home, where prepare and
converge leave the overcloud's credentials file. Every command runs with --debug (the Controller's
run with -vvv too), and none of the lab's secrets may be anywhere.

Its lab is its own (tests/conftest.OWN_LAB: on the worker the unit tests
leave, beside the shared lab's tests): it prepares the freshly deployed
newton stack and converges it.
"""

import dataclasses
import json
import os
import shutil
import stat
import subprocess

import pytest
import yaml

from tests.functional.conftest import BIN
from tests.functional.conftest import passwords
from tripleo_ffu_lab import overcloud
from tripleo_ffu.workflow import inventory
from tripleo_ffu.workflow import plan_compiler
from tripleo_ffu.workflow import plan_file
from tripleo_ffu.workflow import run_state

STACK = 'overcloud'
COMPUTES = ('overcloud-novacompute-0', 'overcloud-novacompute-1')
FAULT = {'name': 'Injected CI fault', 'fail': {'msg': 'injected CI fault'},
         'when': ['step|int == 1']}


@dataclasses.dataclass
class Job:
    lab: object
    home: str
    env: dict
    user: str

    @property
    def config_dir(self):
        """The default one: the role gives no --config-dir."""
        return os.path.join(self.home, 'tripleo-ffu', STACK)

    def script(self, name, command):
        """A script as the role writes them; its log beside it."""
        path = os.path.join(self.home, name + '.sh')
        with open(path, 'w') as out:
            out.write('#!/bin/bash\n#\nset -euo pipefail\n\nsource %s\n%s\n'
                      % (os.path.join(self.lab.root, 'stackrc'), command))
        os.chmod(path, 0o755)
        return path

    def run(self, name, command, timeout=1500):
        """The script's output and exit code; no terminal to ask on."""
        result = subprocess.run(
            [self.script(name, command)], env=self.env, timeout=timeout,
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
            cwd=self.home)
        return result

    def log(self, name):
        with open(os.path.join(self.home, name + '.log')) as source:
            return source.read()


@pytest.fixture(scope='module')
def job(lab, tmp_path_factory):
    """A HOME of the job's own, holding the lab's key as ~/.ssh/id_rsa:
    the role passes no key, upstream queens' default is that one."""
    home = str(tmp_path_factory.mktemp('ci-home'))
    os.makedirs(os.path.join(home, '.ssh'), mode=0o700)
    report = lab.status()
    shutil.copy(report['ssh_key'], os.path.join(home, '.ssh', 'id_rsa'))
    os.chmod(os.path.join(home, '.ssh', 'id_rsa'), 0o600)
    env = dict(lab.env, HOME=home,
               PATH=BIN + os.pathsep + os.environ.get('PATH', ''))
    lab.cli('reset', '--nodes')
    return Job(lab, home, env, report['ssh_user'])


def _prepare(job, user=True):
    """upstream's overcloud_upgrade_prepare.sh.j2 (queens, splitstack CI
    variant, tripleo_upgrade_debug and validations non fatal); without
    the role's overcloud_ssh_user, no --overcloud-ssh-user."""
    lab = job.lab.root
    return job.run('overcloud_upgrade_prepare', '''\
echo "Running  ffwd-upgrade upgrade prepare step"
openstack overcloud ffwd-upgrade prepare --stack %s \\
    --templates %s \\
    --yes \\
    %s\
    --debug \\
    --validation-errors-nonfatal \\
    --disable-validations \\
    --deployed-server \\
    -e %s/lab-environment.yaml 2>&1 | tee %s/overcloud_upgrade_prepare.log'''
                   % (STACK, job.lab.queens, '--overcloud-ssh-user %s \\\n    '
                      % job.user if user else '', lab, job.home))


def _ffu(job):
    """upstream's fast-forward-upgrade/overcloud_upgrade_run.sh.j2."""
    return job.run('overcloud_upgrade_run', '''\
openstack overcloud ffwd-upgrade run --yes --stack %s  --ssh-user %s  \
--debug | tee %s/overcloud_upgrade_run.log'''
                   % (STACK, job.user, job.home))


def _role(job, role, verbose=''):
    """upstream's fast-forward-upgrade/overcloud_upgrade_role.sh.j2."""
    return job.run('overcloud_upgrade_%s' % role, '''\
openstack overcloud ffwd-upgrade run \\
    --stack %s \\
    --ssh-user %s \\
    --roles %s \\
    --skip-tags validation --debug %s| tee %s/overcloud_upgrade_%s.log'''
                   % (STACK, job.user, role, verbose, job.home, role))


def _node(job, node, option='--nodes'):
    """upstream's fast-forward-upgrade/overcloud_upgrade_nodes.sh.j2
    (queens: --nodes; stein: --limit)."""
    return job.run('overcloud_upgrade_%s' % node, '''\
openstack overcloud ffwd-upgrade run \\
    --stack %s \\
    %s %s \\
    --skip-tags validation --debug | tee %s/overcloud_upgrade_%s.log'''
                   % (STACK, option, node, job.home, node))


def _converge(job):
    """upstream's overcloud_upgrade_converge.sh.j2 (the CI variant that
    converged plan-only)."""
    lab = job.lab.root
    return job.run('overcloud_upgrade_converge', '''\
echo "[$(date)] Running  ffwd-upgrade upgrade converge step"
openstack overcloud  ffwd-upgrade converge \\
        --yes \\
    --overcloud-ssh-user %s \\
    --debug \\
    --validation-errors-nonfatal \\
    --update-plan-only \\
    --templates %s \\
    --stack %s \\
    --disable-validations \\
    --deployed-server \\
        -e %s/lab-environment.yaml \\
     2>&1 | tee %s/overcloud_upgrade_converge.log
echo "[$(date)] Finished  ffwd-upgrade upgrade converge step"'''
                   % (job.user, job.lab.queens, STACK, lab, job.home))


def _edit_and_recompile(config_dir, relative, tasks):
    with open(os.path.join(config_dir, relative), 'w') as out:
        yaml.safe_dump(tasks, out, default_flow_style=False)
    playbook, _ = plan_compiler.Compiler(config_dir).compile()
    plan_file.write(config_dir, playbook)


def _releases(job):
    return {node['hostname']: node['release']
            for node in job.lab.status()['nodes']}


def _status(job):
    result = job.run('status', 'openstack overcloud ffwd-upgrade status '
                               '--debug -f json')
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.fixture(scope='module')
def procedure(job):
    """The whole job: prepare, the fast-forward phase, the control plane,
    the computes one at a time (the second failing once and resumed),
    converge; with the refusals on the way. {step: CompletedProcess}."""
    steps = {}
    steps['role before ffu'] = _role(job, 'Controller')
    steps['prepare as heat-admin'] = _prepare(job, user=False)
    steps['prepare'] = _prepare(job)
    assert steps['prepare'].returncode == 0, steps['prepare'].stdout[-3000:]
    steps['node before ffu'] = _node(job, COMPUTES[0])
    steps['ffu'] = _ffu(job)
    steps['releases after ffu'] = _releases(job)
    steps['status after ffu'] = _status(job)
    steps['compute before controller'] = _node(job, COMPUTES[0])
    steps['Controller'] = _role(job, 'Controller', '-vvv ')
    steps['releases after Controller'] = _releases(job)
    steps['status after Controller'] = _status(job)
    steps['compute 0'] = _node(job, COMPUTES[0])
    steps['releases after compute 0'] = _releases(job)
    relative = 'Compute/upgrade_tasks.yaml'
    with open(os.path.join(job.config_dir, relative)) as source:
        original = yaml.safe_load(source)
    _edit_and_recompile(job.config_dir, relative, original + [FAULT])
    try:
        steps['compute 1 failing'] = _node(job, COMPUTES[1], '--limit')
    finally:
        _edit_and_recompile(job.config_dir, relative, original)
    steps['resume'] = job.run('resume', 'openstack overcloud ffwd-upgrade '
                                        'run --resume --yes --debug')
    steps['status before converge'] = _status(job)
    steps['Controller again'] = _role(job, 'Controller')
    steps['converge'] = _converge(job)
    steps['status check'] = job.run(
        'status_check', 'test "$(openstack overcloud ffwd-upgrade status '
                        '-f value -c state)" = converged')
    return steps


def _ok(result):
    assert result.returncode == 0, (result.stdout[-3000:] +
                                    result.stderr[-3000:])
    return result.stdout


def _refused(result, message):
    """Exit 1 with the message (and, at --debug, the traceback)."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in result.stdout + result.stderr


def test_prepare_with_upstreams_options_and_default_key(procedure, job):
    out = _ok(procedure['prepare'])
    assert 'Next: openstack overcloud ffwd-upgrade run --stack overcloud' \
        in out
    for option in ('--validation-errors-nonfatal', '--disable-validations',
                   '--deployed-server'):
        assert '\n%s: ' % option in out
    with open(os.path.join(job.config_dir,
                           inventory.INVENTORY_FILE)) as source:
        group = yaml.safe_load(source)[STACK]['vars']
    assert group['ansible_ssh_private_key_file'] == os.path.join(
        job.home, '.ssh', 'id_rsa')
    assert out.endswith(job.log('overcloud_upgrade_prepare'))
    assert 'Dry run' not in out and 'REQ: curl' in out


def _credentials(job):
    """The variables of ~/overcloudrc, as `source` leaves them."""
    path = os.path.join(job.home, 'overcloudrc')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    out = subprocess.run(['bash', '-c', 'source "$1" && env', '_', path],
                         env={'PATH': os.environ['PATH']}, cwd=job.home,
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split('=', 1) for line in out.splitlines()
                if line.startswith('OS_'))


def test_prepare_and_converge_leave_the_credentials_file(procedure, job):
    """As upstream's: ~/overcloudrc (the scripts run in the job's home),
    from the stack's values. The lab's overcloud has no Keystone to ask
    (`openstack endpoint list` has nothing to answer it): the file is
    checked against the stack's KeystoneURL and the lab's AdminPassword."""
    path = os.path.join(job.home, 'overcloudrc')
    assert 'Credentials: %s\n' % path in _ok(procedure['prepare'])
    assert 'Credentials: %s\n' % path in _ok(procedure['converge'])
    with open(os.path.join(job.lab.root, 'passwords.yaml')) as source:
        admin = yaml.safe_load(source)['parameter_defaults']['AdminPassword']
    outputs = overcloud.outputs(overcloud.client(
        job.lab.env['OS_ENDPOINT']), STACK)
    variables = _credentials(job)
    assert (variables['OS_AUTH_URL'], variables['OS_PASSWORD'],
            variables['OS_USERNAME'], variables['OS_PROJECT_NAME'],
            variables['OS_CLOUDNAME']) == (
        outputs['KeystoneURL'] + '/v3', admin, 'admin', 'admin', STACK)


def test_a_failed_login_names_the_user_and_key_tried(procedure, job):
    """The role passes no user unless told: upstream queens' heat-admin,
    which the lab's nodes do not have."""
    _refused(procedure['prepare as heat-admin'],
             'cannot log in to overcloud-controller-0, overcloud-controller-'
             '1, overcloud-controller-2, overcloud-novacompute-0, '
             'overcloud-novacompute-1 as heat-admin with key %s: '
             % os.path.join(job.home, '.ssh', 'id_rsa'))
    assert 'Permission denied (publickey). Give the user and key the nodes ' \
        'accept with --overcloud-ssh-user and --overcloud-ssh-key' in \
        procedure['prepare as heat-admin'].stdout


def test_the_limited_runs_refuse_out_of_order(procedure):
    _refused(procedure['role before ffu'], 'tripleo-ansible-inventory.yaml '
             'is missing')
    _refused(procedure['node before ffu'], 'the fast-forward phase is not '
             'complete on every node (overcloud-controller-0: ffu left; ')
    _refused(procedure['compute before controller'],
             'the control plane goes first: overcloud-novacompute-0 '
             '(Compute) would go through upgrade, deploy, post-upgrade '
             'before overcloud-controller-0: ')


def test_the_fast_forward_phase_on_every_node(procedure):
    """The run script, unchanged: every node after the fast-forward
    phase and before queens; the control plane's run named next."""
    out = _ok(procedure['ffu'])
    assert 'All 5 nodes answer.' in out
    assert 'ffu-pike step 6: 5 hosts' in out and 'upgrade step' not in out
    assert 'Left: overcloud-controller-0 (upgrade, deploy, post-upgrade)' \
        in out
    assert 'Next: openstack overcloud ffwd-upgrade run --roles Controller ' \
        '(the control plane first)' in out
    # Before queens: packages at pike (the repositories already switched).
    assert 'queens' not in procedure['releases after ffu'].values()
    status = procedure['status after ffu']
    assert (status['state'], status['next_step']) == (
        'partly run', 'openstack overcloud ffwd-upgrade run --roles '
        'Controller (the control plane first)')


def test_the_control_plane_then_the_computes(procedure):
    out = _ok(procedure['Controller'])
    assert 'All 3 nodes answer.' in out
    assert 'upgrade step 3: 3 hosts' in out and 'ocata' not in out
    status = procedure['status after Controller']
    assert status['state'] == 'partly run'
    assert status['run_limit'] == 'Controller'
    assert status['next_step'] == ('openstack overcloud ffwd-upgrade run '
                                   '--roles Compute (the nodes left)')
    assert status['roles'] == {
        'Controller': {'done': ['overcloud-controller-0',
                                'overcloud-controller-1',
                                'overcloud-controller-2'], 'left': []},
        'Compute': {'done': [], 'left': list(COMPUTES)}}
    nodes = status['nodes']
    assert nodes['overcloud-controller-1'] == {
        'role': 'Controller', 'done': ['ffu', 'upgrade', 'deploy',
                                       'post-upgrade'], 'left': []}
    assert nodes[COMPUTES[0]]['left'] == ['upgrade', 'deploy',
                                          'post-upgrade']
    releases = procedure['releases after Controller']
    assert {host for host, release in releases.items()
            if release == 'queens'} == {'overcloud-controller-0',
                                        'overcloud-controller-1',
                                        'overcloud-controller-2'}
    out = _ok(procedure['compute 0'])
    assert '%s answers.' % COMPUTES[0] in out
    releases = procedure['releases after compute 0']
    assert releases[COMPUTES[0]] == 'queens' != releases[COMPUTES[1]]
    assert 'Left: overcloud-novacompute-1 (upgrade, deploy, post-upgrade)' \
        in out


def test_a_failed_batch_goes_on_with_resume(procedure):
    failed = procedure['compute 1 failing']
    assert failed.returncode == 1
    assert 'FAILED: Injected CI fault on overcloud-novacompute-1 (play ' \
        'upgrade-1)' in failed.stdout
    resumed = _ok(procedure['resume'])
    assert 'Resuming at upgrade-1 on overcloud-novacompute-1' in resumed
    assert 'overcloud-novacompute-1 answers.' in resumed
    assert 'Every node has been through every phase; next: openstack ' \
        'overcloud ffwd-upgrade converge' in resumed
    status = procedure['status before converge']
    assert status['state'] == 'upgraded'
    assert all(not node['left'] for node in status['nodes'].values())


def test_a_role_already_through_is_nothing_to_run(procedure):
    out = _ok(procedure['Controller again'])
    assert 'Nothing to run: those nodes have been through those phases' \
        in out


def test_converge_with_upstreams_options_then_converged(procedure, job):
    out = _ok(procedure['converge'])
    assert '--update-plan-only: converge updates the stack all the same' \
        in out
    assert 'All 5 nodes answer.' in out
    assert 'Stack UPDATE completed successfully' in out
    _ok(procedure['status check'])
    releases = {node['hostname']: node['release']
                for node in job.lab.status()['nodes']}
    assert set(releases.values()) == {'queens'}, releases


def test_no_secret_anywhere(procedure, job):
    """Every output and log of the job, at --debug and -vvv, and every file
    of the upgrade's state (ffu-run/, Ansible's artifacts included)."""
    secrets = passwords(job.lab)
    assert secrets
    texts = {}
    for step, result in procedure.items():
        if isinstance(result, subprocess.CompletedProcess):
            texts[step] = result.stdout + result.stderr
    assert 'REQ: curl' in texts['prepare'], 'no debug lines: no test'
    for name in os.listdir(job.home):
        if name.endswith(('.log', '.sh')):
            with open(os.path.join(job.home, name)) as source:
                texts[name] = source.read()
    run_dir = os.path.join(job.config_dir, run_state.RUN_DIR)
    for root, _dirs, names in os.walk(run_dir):
        for name in names:
            path = os.path.join(root, name)
            with open(path, errors='replace') as source:
                texts[path] = source.read()
    found = sorted(where for where, text in texts.items()
                   if any(secret in text for secret in secrets))
    assert found == []
