"""`openstack overcloud ffwd-upgrade run` on the prepared lab, through the
real CLI. Every test starts from newton nodes (reset --nodes) and leaves
the prepared config as it found it."""

import contextlib
import json
import os
import shutil
import subprocess

import pytest
import yaml

from tripleo_ffu.workflow import plan_compiler

from tripleo_ffu.workflow import plan_file
from tripleo_ffu.workflow import run_state
from tests.functional.conftest import passwords

FAULT = {'name': 'Injected fault', 'fail': {'msg': 'injected fault'},
         'when': ['step|int == 6', "release == 'pike'"]}


def _run(prepared, *args, check=False):
    return prepared.lab.openstack(
        'overcloud', 'ffwd-upgrade', 'run', '--config-dir',
        prepared.config_dir, *args, check=check, timeout=1200)


def _fresh(prepared):
    prepared.lab.cli('reset', '--nodes')
    for name in (run_state.JOURNAL_FILE, run_state.NODES_FILE):
        path = os.path.join(prepared.config_dir, run_state.RUN_DIR, name)
        if os.path.exists(path):
            os.unlink(path)


def _releases(prepared):
    return {node['hostname']: node['release']
            for node in prepared.lab.status()['nodes']}


def _journal(prepared):
    with open(os.path.join(prepared.config_dir, run_state.RUN_DIR,
                           run_state.JOURNAL_FILE)) as source:
        return json.load(source)


@contextlib.contextmanager
def _edited(prepared, relative, edit):
    """Change a task file of the config and recompile; restore after."""
    path = os.path.join(prepared.config_dir, relative)
    with open(path) as source:
        original = source.read()

    def recompile():
        playbook, _ = plan_compiler.Compiler(prepared.config_dir).compile()
        plan_file.write(prepared.config_dir, playbook)

    tasks = edit(yaml.safe_load(original))
    with open(path, 'w') as out:
        yaml.safe_dump(tasks, out, default_flow_style=False)
    recompile()
    try:
        yield
    finally:
        with open(path, 'w') as out:
            out.write(original)
        recompile()


def test_run_upgrades_every_node_with_progress(upgraded):
    """The session's whole run (conftest.upgraded, which the equivalence
    test also reads)."""
    result = upgraded.result
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert 'All 5 nodes answer.' in out
    assert "Host keys: checked on 5 of 5 nodes against the stack's keys" \
        in out
    assert 'ffu-ocata step 4: 5 hosts, 1 ok, 1 changed, 0 failed, ' in out
    assert 'ffu-pike step 6: 5 hosts, 4 ok, 4 changed, 0 failed, ' in out
    table = out[out.index('\nhost '):]
    assert 'overcloud-controller-0' in table and 'unreachable' in table
    log = out.split('Ansible log: ')[-1].splitlines()[0].strip()
    assert os.path.isfile(log) and 'PLAY RECAP' in open(log).read()
    assert 'Every node has been through every phase' in out
    assert set(upgraded.releases.values()) == {'queens'}
    assert upgraded.journal['status'] == 'complete'
    assert {play['runs'] for play in upgraded.journal['plays']} == {1}


def test_the_stack_playbook_of_a_phase_runs_too(prepared):
    """--playbook stack runs the stack's own playbook of each phase (the
    equivalence test runs them all and checks they upgrade the lab). The
    post-upgrade phase runs on upgraded nodes: those the equivalence test
    left, or a plan run's."""
    if set(_releases(prepared).values()) != {'queens'}:
        _fresh(prepared)
        _run(prepared, '--whole-upgrade', '--yes', check=True)
    journal = os.path.join(prepared.config_dir, run_state.RUN_DIR,
                           run_state.JOURNAL_FILE)

    def journal_text():
        return open(journal).read() if os.path.exists(journal) else None

    before = journal_text()
    result = _run(prepared, '--playbook', 'stack', '--phase',
                  'post-upgrade', '--yes')
    assert result.returncode == 0, result.stdout + result.stderr
    # THT's post-upgrade play has no name: Ansible names it by its hosts.
    assert '\novercloud: 5 hosts, ' in result.stdout
    assert 'Run complete' in result.stdout
    assert journal_text() == before, 'the stack mode keeps no journal'


def test_a_failure_stops_the_run_and_resume_finishes_it(prepared):
    """On the fast-forward phase alone (a run without selection, as
    upstream's): the run and its resume are the same on every phase, and
    that one is the shortest. It leaves every node before the target
    release and names the next runs, the control plane first."""
    _fresh(prepared)
    relative = 'Controller/fast_forward_upgrade_tasks.yaml'
    # A failing task whose message holds a secret, as a failed command
    # line with a password would: we print and log it masked.
    secret = passwords(prepared.lab)[0]
    fault = dict(FAULT, fail={'msg': 'injected fault (password %s)'
                              % secret})
    with _edited(prepared, relative, lambda tasks: tasks + [fault]):
        failed = _run(prepared, '--yes')
    assert failed.returncode == 1
    assert 'FAILED: Injected fault on overcloud-controller-0 (play ffu-pike-6)' \
        in failed.stdout
    assert 'task from: %s' % relative in failed.stdout
    assert 'injected fault (password ********)' in failed.stdout
    log = failed.stdout.split('Ansible log: ')[-1].splitlines()[0].strip()
    with open(log) as source:
        logged = source.read()
    assert 'injected fault (password ********)' in logged
    assert secret not in logged + failed.stdout + failed.stderr
    journal = _journal(prepared)
    assert journal['status'] == 'failed'
    assert journal['failure']['task'] == 'Injected fault'
    assert secret not in json.dumps(journal)
    statuses = {play['id']: play['status'] for play in journal['plays']}
    assert statuses['ffu-pike-5'] == 'done' and statuses['ffu-pike-6'] == 'failed'
    assert statuses['ffu-pike-7'] == 'pending'
    status = prepared.lab.ffu_status(prepared.config_dir)
    assert status['state'] == 'failed' and status['run_status'] == 'failed'
    assert status['last_failure'] == ('Injected fault on '
                                      'overcloud-controller-0 (play ffu-pike-6)')
    assert status['plays_failed'] == 1
    assert status['plays_done'] == _count_done(statuses)
    assert status['next_step'].endswith('run --resume')
    assert status['log'] == journal['log']

    refused = _run(prepared, '--yes')
    assert refused.returncode == 1
    assert 'run again with --resume' in refused.stderr

    resumed = _run(prepared, '--resume', '--yes')
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert 'Resuming at ffu-pike-6' in resumed.stdout
    assert 'ffu-ocata step 6' not in resumed.stdout
    runs = {play['id']: play['runs'] for play in _journal(prepared)['plays']}
    assert runs['ffu-ocata-6'] == runs['ffu-pike-5'] == runs['ffu-end'] == 1
    assert runs['ffu-pike'] == runs['ffu-pike-0'] == runs['ffu-pike-6'] == 2
    assert _journal(prepared)['status'] == 'complete'
    status = prepared.lab.ffu_status(prepared.config_dir)
    nodes = status['nodes']
    assert len(nodes) == 5 and all(
        node['left'] == ['upgrade', 'deploy', 'post-upgrade']
        for node in nodes.values()), nodes
    assert 'queens' not in _releases(prepared).values()
    assert 'upgrade step' not in resumed.stdout
    assert resumed.stdout.rstrip().endswith(
        'Next: openstack overcloud ffwd-upgrade run --roles Controller (the '
        'control plane first)\n'
        'Then the other nodes, a role or a batch of nodes at a time (move '
        'the workloads off each batch first): openstack overcloud '
        'ffwd-upgrade run --roles Compute')
    # A normal state on the way, not a failure.
    assert (status['state'], status['run_status'], status['last_failure'],
            status['next_step']) == (
        'partly run', 'complete', '', 'openstack overcloud ffwd-upgrade run '
        '--roles Controller (the control plane first)')


def _count_done(statuses):
    return sum(1 for status in statuses.values() if status == 'done')


def _unfix(tasks):
    for task in tasks:
        if 'block' in task and isinstance(task.get('when'), list):
            task['when'] = task['when'][1:] + task['when'][:1]
    return tasks


def test_unfixed_ordering_fails_at_the_seed_task(prepared):
    _fresh(prepared)
    with _edited(prepared, 'Controller/upgrade_tasks.yaml', _unfix), \
            _edited(prepared, 'Compute/upgrade_tasks.yaml', _unfix):
        result = _run(prepared, '--playbook', 'stack', '--phase', 'upgrade',
                      '--yes')
    assert result.returncode == 1
    assert 'FAILED: Upgrade os-net-config' in result.stdout
    assert "has no attribute 'stdout'" in result.stdout


def _refused(prepared, *args):
    before = _releases(prepared)
    result = _run(prepared, *args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Traceback' not in result.stderr
    assert _releases(prepared) == before
    return result.stderr


def test_an_unreachable_node_stops_the_run_before_it_starts(
        prepared, tmp_path):
    """One node's SSH port wrong where the plays take it from (the
    config's host_vars, over any inventory): the check before the run
    names it, and nothing runs."""
    _fresh(prepared)
    config_dir = str(tmp_path / 'config')
    shutil.copytree(prepared.config_dir, config_dir, symlinks=True)
    host_vars = os.path.join(config_dir, 'host_vars',
                             'overcloud-novacompute-1')
    with open(host_vars) as source:
        node = yaml.safe_load(source)
    node['ansible_port'] = 1
    with open(host_vars, 'w') as out:
        yaml.safe_dump(node, out)
    before = _releases(prepared)
    result = prepared.lab.openstack(
        'overcloud', 'ffwd-upgrade', 'run', '--config-dir', config_dir,
        '--yes', check=False, timeout=1200)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Traceback' not in result.stderr
    assert _releases(prepared) == before
    assert 'not answering: overcloud-novacompute-1;' in result.stderr


@pytest.mark.parametrize('args, message', [
    (('--limit', 'overcloud-controller-0', '--yes'),
     'the fast-forward phase is not complete on every node'),
    ((), 'run it again with --yes'),
    (('--resume', '--yes'), 'no journal to resume'),
    (('--forks', '0', '--yes'), '--forks must be at least 1'),
])
def test_refusals(prepared, args, message):
    _fresh(prepared)
    assert message in _refused(prepared, *args)


def test_missing_config_says_which_file_and_what_makes_it(
        prepared, tmp_path):
    result = prepared.lab.openstack(
        'overcloud', 'ffwd-upgrade', 'run', '--config-dir',
        str(tmp_path / 'nothing'), '--yes', check=False)
    assert result.returncode == 1
    assert 'tripleo-ansible-inventory.yaml is missing: run `openstack ' \
        'overcloud ffwd-upgrade prepare' in result.stderr


def test_a_second_run_is_refused_while_one_runs(prepared):
    _fresh(prepared)
    with run_state.Lock(prepared.config_dir, 'ffwd-upgrade run (test)'):
        stderr = _refused(prepared, '--yes')
        status = prepared.lab.ffu_status(prepared.config_dir)
    assert 'another command works on this stack: ffwd-upgrade run ' \
        '(test) (pid %d' % os.getpid() in stderr
    assert status['lock_holder'].startswith(
        'ffwd-upgrade run (test) (pid %d, since ' % os.getpid())


def test_a_node_with_another_host_key_is_refused(prepared, tmp_path):
    """Host keys are checked, each node against its own: a node that
    shows another key than the one its SshHostPubKey gave the stack (a
    man in the middle, a reinstalled node) is refused, and only it."""
    _fresh(prepared)
    path = os.path.join(prepared.config_dir, 'ssh_known_hosts')
    with open(path) as source:
        original = source.read()
    lines = original.splitlines(True)
    swapped = lines[0].split()[0]
    subprocess.run(['ssh-keygen', '-q', '-t', 'ecdsa', '-N', '', '-f',
                    str(tmp_path / 'other')], check=True)
    with open(str(tmp_path / 'other.pub')) as pub:
        lines[0] = '%s %s\n' % (swapped, ' '.join(pub.read().split()[:2]))
    # ssh checks a host key when it connects: drop the connections that
    # earlier runs keep open (ControlPersist) so that this run connects.
    control = os.path.expanduser('~/.ansible/cp')
    for name in os.listdir(control) if os.path.isdir(control) else ():
        os.unlink(os.path.join(control, name))
    try:
        with open(path, 'w') as out:
            out.write(''.join(lines))
        stderr = _refused(prepared, '--yes')
    finally:
        with open(path, 'w') as out:
            out.write(original)
    assert 'node(s) not answering: %s;' % swapped in stderr


def test_ssh_key_readable_by_others_is_refused(prepared, tmp_path):
    key = tmp_path / 'key'
    key.write_text('x')
    os.chmod(key, 0o644)
    assert 'chmod 600' in _refused(prepared, '--ssh-key', str(key), '--yes')


def test_run_help_lists_the_options(prepared):
    result = prepared.lab.openstack('help', 'overcloud', 'ffwd-upgrade',
                                    'run')
    for option in ('--playbook', '--phase', '--resume', '--static-inventory',
                   '--skip-tags', '--forks', '--roles', '--nodes', '--limit',
                   '--force', '--whole-upgrade'):
        assert option in result.stdout


def test_ctrl_c_stops_ansible_and_the_journal_says_where(prepared):
    _fresh(prepared)
    import signal
    import time
    env = prepared.lab.env
    process = subprocess.Popen(
        [os.path.join(os.path.dirname(__import__('sys').executable),
                      'openstack'), 'overcloud', 'ffwd-upgrade', 'run',
         '--config-dir', prepared.config_dir, '--yes'],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    journal = os.path.join(prepared.config_dir, run_state.RUN_DIR,
                           run_state.JOURNAL_FILE)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if os.path.exists(journal) and any(
                play['status'] == 'done' and play['id'] == 'ffu-ocata-1'
                for play in _journal(prepared)['plays']):
            break
        time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 130, out + err
    journal_data = _journal(prepared)
    assert journal_data['status'] == 'interrupted'
    unfinished = [play['id'] for play in journal_data['plays']
                  if play['status'] != 'done']
    assert unfinished and unfinished[0] not in ('ffu', 'ffu-ocata-0',
                                                'ffu-ocata-1')
    # The play Ansible was in when it stopped is the first one not done.
    with open(journal_data['log']) as log:
        started = [line.split('[')[1].split(']')[0] for line in log
                   if line.startswith('PLAY [')]
    assert started[-1] == unfinished[0], (started, unfinished)
    # test_faults resumes runs cut short like this one, after SIGKILL.
