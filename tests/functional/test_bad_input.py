"""Bad input through the real `openstack overcloud ffwd-upgrade` CLI.

One table: each bad input, the command, the one-line message it must give
and the exit code (1: refused by the command; 2: argparse usage error).
Every case must also change nothing:

* no `Traceback` on stderr, and the error on one line of it (tripleoclient's
  import noise aside, conftest.NOISE; for exit 2, argparse's usage block
  before its one `error:` line);
* every Heat stack keeps its stack_status and updated_time (the overcloud,
  and the small stacks below; only the clone that a case prepares on
  purpose may change);
* the prepared config dir is byte for byte, mode for mode, the same
  (ffu-run/lock included: a refused command empties it again, as it found
  it), and so are this module's input files;
* nothing is written in the case's own sandbox directory, where a case
  that needs a config dir of its own gets `{fresh}`; only cases marked
  fresh_ok (the input is only known once the stack is updated) may leave
  that config dir behind, and nothing beside it.

A case that needs the prepared config dir in another state (no journal, a
corrupted one, a corrupted plan) sets it up just before the command and
restores it in a finally; should a command change the config dir anyway
(a defect), the pristine copy taken at module start is put back, so that
the next modules find the prepared config dir as prepare left it.
"""

import contextlib
import dataclasses
import hashlib
import http.server
import json
import os
import shutil
import socket
import stat
import subprocess
import threading
import time

import pytest
import yaml

from tests.functional.conftest import BIN
from tests.functional.conftest import NOISE
from tests.functional.conftest import run

PREFIX = 'bad-input-'
PLAIN = PREFIX + 'plain'          # no RoleData output
BUSY = PREFIX + 'busy'            # UPDATE_IN_PROGRESS for an hour
CLONE = PREFIX + 'clone'          # the overcloud's outputs, as literals
BAD_ROLES = {PREFIX + 'role-dotdot': '../evil', PREFIX + 'role-slash': 'a/b',
             PREFIX + 'role-shell': 'Controller;id'}
# Run cases pass --tags with a tag no task has: should a defect let a run
# through, Ansible still changes nothing on the nodes.
NO_TASK_TAG = 'tripleo-ffu-bad-input-no-such-tag'
DROP_DAC = ('setpriv', '--bounding-set', '-dac_override,-dac_read_search')


@dataclasses.dataclass
class Case:
    args: tuple
    message: str
    code: int = 1
    # {relative path in the prepared config dir: text, or None for
    # absent}, set up for the command only.
    state: dict = dataclasses.field(default_factory=dict)
    # {variable: value, or None to unset} over the stackrc environment.
    env: dict = dataclasses.field(default_factory=dict)
    # Without CAP_DAC_OVERRIDE: as root, a chmod 000 file is readable.
    drop_dac: bool = False
    # The case may leave {fresh} (and only it) in its sandbox.
    fresh_ok: bool = False
    # Stacks the command may update on purpose.
    updates: tuple = ()


PREPARE = ('prepare', '--templates', '{queens}',
           '-e', '{lab}/lab-environment.yaml',
           '--overcloud-ssh-user', '{ssh_user}',
           '--overcloud-ssh-key', '{ssh_key}', '--yes')
PREPARE_CFG = PREPARE + ('--config-dir', '{cfg}')
# A clone stack prepared with its own templates (the clone's template)
# into a config dir of its own: the bad names and tasks come with the
# update, from the -e file of the case.
PREPARE_CLONE = ('prepare', '--templates', '{in}/clone-templates',
                 '--stack', CLONE, '--config-dir', '{fresh}',
                 '--overcloud-ssh-user', '{ssh_user}',
                 '--overcloud-ssh-key', '{ssh_key}', '--skip-node-prep',
                 '--yes')
RUN = ('run', '--config-dir', '{cfg}', '--yes', '--tags', NO_TASK_TAG)
CONVERGE = ('converge', '--templates', '{queens}',
            '-e', '{lab}/lab-environment.yaml',
            '--config-dir', '{cfg}', '--yes')
STATUS = ('status', '--config-dir', '{cfg}')

JOURNAL = 'ffu-run/journal.json'
NO_JOURNAL = {JOURNAL: None, 'ffu-run/converge.json': None}
# The state of an earlier stack of the same name (deleted, deployed again).
EARLIER_STACK = {'ffu-run/prepare.json': json.dumps({
    'count': 1, 'at': '2026-12-01T00:00:00+00:00',
    'done': '2026-12-01T00:05:00+00:00', 'stack_id': 'an-earlier-stack'})}
EARLIER_MESSAGE = (
    '{cfg} holds the upgrade state of an earlier stack overcloud (id '
    'an-earlier-stack), not of the one deployed now (id ')


CLOSED_HEAT = {'OS_ENDPOINT': 'http://127.0.0.1:{closed}/v1/admin'}
WRONG_PASSWORD = {
    'OS_ENDPOINT': None, 'OS_AUTH_TYPE': 'password',
    'OS_AUTH_URL': 'http://127.0.0.1:{keystone}/v3', 'OS_USERNAME': 'admin',
    'OS_PASSWORD': 'wrong', 'OS_PROJECT_NAME': 'admin',
    'OS_USER_DOMAIN_NAME': 'Default', 'OS_PROJECT_DOMAIN_NAME': 'Default'}


def case(case_id, args, message, *marks, **kwargs):
    return pytest.param(Case(tuple(args), message, **kwargs), id=case_id,
                        marks=marks)


CASES = [
    # -- prepare: templates, environments, keys -----------------------------
    case('prepare-env-file-missing', PREPARE_CFG + (
        '-e', '{in}/missing.yaml'),
        'environment file {in}/missing.yaml does not exist'),
    case('prepare-env-file-unreadable', PREPARE_CFG + (
        '-e', '{in}/unreadable.yaml'),
        'environment file {in}/unreadable.yaml is not readable',
        drop_dac=True),
    case('prepare-env-file-invalid-yaml', PREPARE_CFG + (
        '-e', '{in}/invalid.yaml'),
        'environment file {in}/invalid.yaml is not valid YAML at line 2: '),
    case('prepare-env-file-a-list', PREPARE_CFG + ('-e', '{in}/list.yaml'),
         'environment file {in}/list.yaml holds a list, not a mapping of '
         'environment sections'),
    case('prepare-env-file-under-a-file', PREPARE_CFG + (
        '-e', '{in}/invalid.yaml/x.yaml'),
        'environment file {in}/invalid.yaml/x.yaml does not exist'),
    case('prepare-env-dir-missing', PREPARE_CFG + (
        '--environment-directory', '{in}/nowhere'),
        'environment directory {in}/nowhere does not exist'),
    case('prepare-env-dir-is-a-file', PREPARE_CFG + (
        '--environment-directory', '{in}/list.yaml'),
        'environment directory {in}/list.yaml is not a directory'),
    case('prepare-env-dir-with-invalid-file', PREPARE + (
        '--config-dir', '{fresh}', '--environment-directory',
        '{in}/env-dir'),
        'environment file {in}/env-dir/invalid.yaml is not valid YAML'),
    case('prepare-templates-without-overcloud-yaml', PREPARE_CFG + (
        '--templates', '{in}/empty-templates'),
        '{in}/empty-templates has no overcloud.yaml: --templates must be a '
        'tripleo-heat-templates directory'),
    case('prepare-ssh-key-missing', PREPARE_CFG + (
        '--overcloud-ssh-key', '{in}/missing-key'),
        'ssh key {in}/missing-key does not exist'),
    case('prepare-ssh-key-world-readable', PREPARE_CFG + (
        '--overcloud-ssh-key', '{in}/open-key'),
        'ssh key {in}/open-key is readable by others: ssh refuses it; run '
        'chmod 600 {in}/open-key'),
    case('prepare-timeout-zero', PREPARE_CFG + ('--timeout', '0'),
         '--timeout must be at least 1'),
    case('prepare-config-dir-is-a-file', PREPARE + (
        '--config-dir', '{in}/list.yaml'),
        '{in}/list.yaml is not a directory'),
    case('prepare-config-dir-cannot-be-made', PREPARE + (
        '--config-dir', '/proc/tripleo-ffu/config'),
        'cannot create /proc/tripleo-ffu/config (No such file or directory): '
        'the config dir must be a directory you can write to; give another '
        '--config-dir'),
    # -- prepare: the stack ---------------------------------------------------
    case('prepare-unknown-stack', PREPARE_CFG + ('--stack', 'nope'),
         "stack 'nope' not found: check --stack"),
    case('prepare-stack-name-dotdot', PREPARE + ('--stack', '../x'),
         "stack name '../x', which is not a plain name"),
    case('prepare-stack-mid-update', PREPARE_CFG + ('--stack', BUSY),
         'stack %s is UPDATE_IN_PROGRESS: wait for it to finish' % BUSY),
    case('prepare-stack-without-roledata', PREPARE_CFG + ('--stack', PLAIN),
         'stack %s has no RoleData output: it is not a TripleO overcloud'
         % PLAIN),
] + [
    case('prepare-role-name-%s' % stack_name[len(PREFIX + 'role-'):],
         PREPARE_CFG + ('--stack', stack_name),
         "role name %r, which is not a plain name" % role)
    for stack_name, role in sorted(BAD_ROLES.items())
] + [
    case('prepare-role-name-into-a-new-config-dir', PREPARE + (
        '--stack', PREFIX + 'role-dotdot', '--config-dir', '{fresh}'),
        "role name '../evil', which is not a plain name"),
    case('prepare-heat-unreachable', PREPARE_CFG, 'cannot reach Heat (',
         env=CLOSED_HEAT),
    case('prepare-wrong-credentials', PREPARE_CFG,
         'The request you have made requires authentication. (HTTP 401)',
         env=WRONG_PASSWORD),
    # -- prepare: what the updated stack gives ------------------------------
    case('prepare-when-a-mapping', PREPARE_CLONE + (
        '-e', '{in}/clone-when-mapping.yaml'),
        "task 'Bad when' has a `when` that is a dict; Ansible wants a "
        "string or a list", fresh_ok=True, updates=(CLONE,)),
    case('prepare-host-name-with-semicolon', PREPARE_CLONE + (
        '-e', '{in}/clone-host-semicolon.yaml'),
        "host name 'overcloud-controller-0;id.ctlplane.localdomain', which "
        "is not a plain name", fresh_ok=True, updates=(CLONE,)),
    case('prepare-host-name-out-of-the-config-dir', PREPARE_CLONE + (
        '-e', '{in}/clone-host-dotdot.yaml'),
        "host name '../../escaped.ctlplane.localdomain', which is not a "
        "plain name",
        fresh_ok=True, updates=(CLONE,)),
    case('prepare-role-name-from-the-update', PREPARE_CLONE + (
        '-e', '{in}/clone-role-dotdot.yaml'),
        "role name '../escaped-role', which is not a plain name",
        fresh_ok=True, updates=(CLONE,)),
    # -- run ------------------------------------------------------------------
    case('run-unknown-phase', RUN + ('--phase', 'nope'),
         "argument --phase: invalid choice: 'nope'", code=2),
    case('run-forks-zero', RUN + ('--forks', '0'),
         '--forks must be at least 1'),
    case('run-roles-before-the-ffu-phase', RUN + ('--roles', 'Controller'),
         'the fast-forward phase is not complete on every node '
         '(overcloud-controller-0: ffu left; ',
         state={'ffu-run/nodes.json': None}),
    case('run-roles-and-nodes', RUN + ('--roles', 'Controller', '--nodes',
                                       'overcloud-novacompute-0'),
         '--roles and --nodes: give one of --roles, --nodes and --limit, as '
         'upstream'),
    case('run-unknown-role', RUN + ('--roles', 'Controler'),
         '--roles Controler: no such role in the inventory (roles: Compute, '
         'Controller)'),
    case('run-limited-ffu-phase', RUN + ('--limit', 'overcloud-novacompute-0',
                                         '--phase', 'ffu'),
         '--limit with --phase ffu: the fast-forward phase (the releases '
         'before the target) runs on every node together; run it without '
         '--limit'),
    case('run-limited-stack-playbooks', RUN + ('--nodes',
                                               'overcloud-novacompute-0',
                                               '--playbook', 'stack'),
         '--nodes needs the plan (it records what each node went through): '
         'run without --playbook stack'),
    case('run-resume-without-journal', RUN + ('--resume',),
         'there is no journal to resume from in {cfg}: run without --resume',
         state=NO_JOURNAL),
    case('run-corrupted-journal', RUN,
         'the journal {cfg}/ffu-run/journal.json is corrupted (',
         state={JOURNAL: '{"plays": [\n'}),
    case('run-corrupted-plan', RUN,
         '{cfg}/ffu_plan.yaml is not valid YAML',
         state=dict(NO_JOURNAL, **{'ffu_plan.yaml': '- [\n'})),
    case('run-static-inventory-invalid-yaml', RUN + (
        '--static-inventory', '{in}/invalid.yaml'),
        'inventory {in}/invalid.yaml is not valid YAML'),
    case('run-static-inventory-a-list', RUN + (
        '--static-inventory', '{in}/list.yaml'),
        'inventory {in}/list.yaml is not a YAML mapping of groups'),
    case('run-static-inventory-not-utf8', RUN + (
        '--static-inventory', '{in}/binary.yaml'),
        'inventory {in}/binary.yaml is not UTF-8 text'),
    case('run-static-inventory-missing', RUN + (
        '--static-inventory', '{in}/missing-inventory.yaml'),
        'inventory {in}/missing-inventory.yaml (--static-inventory) does not '
        'exist'),
    case('run-unknown-stack', RUN + ('--stack', 'nope'),
         'has no group nope'),
    case('run-stack-name-dotdot', RUN + ('--stack', '../x'),
         "stack name '../x', which is not a plain name"),
    case('run-ssh-key-missing', RUN + ('--ssh-key', '{in}/missing-key'),
         'ssh key {in}/missing-key does not exist'),
    case('run-ssh-key-world-readable', RUN + ('--ssh-key', '{in}/open-key'),
         'ssh key {in}/open-key is readable by others: ssh refuses it'),
    case('run-ssh-key-a-directory', RUN + ('--ssh-key', '{in}/env-dir'),
         'ssh key {in}/env-dir is not a file'),
    case('run-state-of-an-earlier-stack', RUN, EARLIER_MESSAGE,
         state=EARLIER_STACK),
    # -- converge -------------------------------------------------------------
    case('converge-before-run', CONVERGE,
         'no run recorded in {cfg}/ffu-run: run `openstack overcloud '
         'ffwd-upgrade run --stack overcloud` before converge',
         state=NO_JOURNAL),
    case('converge-a-run-before-the-last-prepare', CONVERGE,
         'prepare ran after the last run (complete, ',
         state={JOURNAL: '{"status": "complete", "prepare": 0, "plays": []}',
               'ffu-run/converge.json': None}),
    case('converge-state-of-an-earlier-stack', CONVERGE, EARLIER_MESSAGE,
         state=EARLIER_STACK),
    # -- status ---------------------------------------------------------------
    case('status-state-of-an-earlier-stack', STATUS, EARLIER_MESSAGE,
         state=EARLIER_STACK),
    case('status-corrupted-journal', STATUS,
         'the journal {cfg}/ffu-run/journal.json is corrupted (',
         state={JOURNAL: '{"plays": [\n'}),
    case('status-journal-plays-not-mappings', STATUS,
         'the journal {cfg}/ffu-run/journal.json has a play that is not a '
         'mapping',
         state={JOURNAL: '{"status": "failed", "plays": [1, 2]}'}),
    case('status-config-dir-is-a-file', STATUS + (
        '--config-dir', '{in}/list.yaml'),
        '{in}/list.yaml is not a directory'),
    case('status-stack-name-with-a-path', STATUS + (
        '--stack', 'overcloud/../overcloud'),
        "stack name 'overcloud/../overcloud', which is not a plain name"),
]


# -- the module's world: inputs, small stacks, a Heat that is not there ----

class _Keystone(http.server.BaseHTTPRequestHandler):
    """A Keystone that knows nobody: version discovery, then 401."""

    def _answer(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._answer(200, {'version': {
            'id': 'v3.14', 'status': 'stable', 'links': [{
                'rel': 'self', 'href': 'http://127.0.0.1:%d/v3/'
                % self.server.server_port}]}})

    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length') or 0))
        self._answer(401, {'error': {
            'code': 401, 'title': 'Unauthorized',
            'message': 'The request you have made requires authentication.'}})

    def log_message(self, *args):
        pass


def _closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _write(path, text, mode=0o600):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    os.chmod(path, mode)


def _inputs(directory):
    _write(directory / 'invalid.yaml', 'parameter_defaults: [1\n')
    _write(directory / 'list.yaml', '- parameter_defaults\n')
    _write(directory / 'binary.yaml', b'\xff\xfe\x00\x01')
    _write(directory / 'unreadable.yaml', 'parameter_defaults: {}\n', 0o000)
    _write(directory / 'env-dir' / 'invalid.yaml', 'resource_registry: [\n')
    (directory / 'empty-templates').mkdir()
    _write(directory / 'open-key', 'not a key\n', 0o644)


def _clone_template(heat):
    """The overcloud's outputs as literals; the first controller's host
    name (in RoleNetHostnameMap and AnsibleHostVarsMap alike), the
    controller role's name and extra controller upgrade tasks come from
    parameters, so that an update can make them bad."""
    outputs = {output['output_key']: output['output_value']
               for output in heat.stacks.get('overcloud').outputs}
    fqdns = outputs['RoleNetHostnameMap']['Controller']['ctlplane']
    first, domain = fqdns[0].split('.', 1)
    role_data = dict(outputs['RoleData'])
    role_data['Controller'] = dict(role_data['Controller'], upgrade_tasks={
        'list_concat': [role_data['Controller']['upgrade_tasks'],
                        {'get_param': 'FfuTestUpgradeTasks'}]})
    values = {key: {'value': value} for key, value in outputs.items()}
    values['RoleData'] = {'value': {'map_replace': [role_data, {'keys': {
        'Controller': {'get_param': 'FfuTestRoleName'}}}]}}
    values['RoleNetHostnameMap'] = {'value': dict(
        outputs['RoleNetHostnameMap'], Controller={'ctlplane': [
            {'list_join': ['.', [{'get_param': 'FfuTestHostName'}, domain]]}
        ] + fqdns[1:]})}
    values['AnsibleHostVarsMap'] = {'value': dict(
        outputs['AnsibleHostVarsMap'], Controller={'map_replace': [
            outputs['AnsibleHostVarsMap']['Controller'],
            {'keys': {first: {'get_param': 'FfuTestHostName'}}}]})}
    return {
        'heat_template_version': 'queens',
        'parameters': {
            'FfuTestRoleName': {'type': 'string', 'default': 'Controller'},
            'FfuTestHostName': {'type': 'string', 'default': first},
            'FfuTestUpgradeTasks': {'type': 'json', 'default': []},
        },
        'resources': {},
        'outputs': values,
    }


def _clone_inputs(directory, heat):
    _write(directory / 'clone-templates' / 'overcloud.yaml',
           yaml.safe_dump(_clone_template(heat)))
    for name, parameters in (
            ('when-mapping', {'FfuTestUpgradeTasks': [
                {'name': 'Bad when', 'debug': {'msg': 'x'},
                 'when': {'a': 'b'}}]}),
            ('host-semicolon', {
                'FfuTestHostName': 'overcloud-controller-0;id'}),
            ('host-dotdot', {'FfuTestHostName': '../../escaped'}),
            ('role-dotdot', {'FfuTestRoleName': '../escaped-role'})):
        _write(directory / ('clone-%s.yaml' % name),
               yaml.safe_dump({'parameter_defaults': parameters}))


def _stacks_to_create(directory):
    """{name: template} of the small stacks, as test_prepare makes them."""
    def template(resources, outputs=None, parameters=None):
        return {'heat_template_version': 'queens',
                'parameters': parameters or {}, 'resources': resources,
                'outputs': outputs or {}}
    stacks = {
        PLAIN: template({'v': {'type': 'OS::Heat::Value',
                               'properties': {'value': 'x'}}},
                        {'Other': {'value': 1}}),
        BUSY: template(
            {'t': {'type': 'OS::Heat::TestResource', 'properties': {
                'value': {'get_param': 'v'},
                'action_wait_secs': {'update': 3600}}}},
            {'RoleData': {'value': {'Controller': {}}}},
            {'v': {'type': 'string', 'default': 'a'}}),
    }
    for name, role in BAD_ROLES.items():
        stacks[name] = template({}, {'RoleData': {'value': {role: {}}}})
    stacks[CLONE] = yaml.safe_load(
        (directory / 'clone-templates' / 'overcloud.yaml').read_text())
    return stacks


def _wait(heat, name, statuses, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack = heat.stacks.get(name, resolve_outputs=False)
        if stack.stack_status in statuses:
            return stack
        if stack.stack_status.endswith('_FAILED'):
            pytest.fail('%s is %s: %s' % (name, stack.stack_status,
                                          stack.stack_status_reason))
        time.sleep(0.5)
    pytest.fail('%s never reached %s' % (name, statuses))


def _delete_stacks(heat, names):
    from heatclient import exc as heat_exc
    for name in names:
        try:
            heat.stacks.delete(name)
        except heat_exc.HTTPNotFound:
            pass
    deadline = time.monotonic() + 300
    for name in names:
        while time.monotonic() < deadline:
            try:
                if heat.stacks.get(name, resolve_outputs=False) \
                        .stack_status == 'DELETE_FAILED':
                    heat.stacks.delete(name)
            except heat_exc.HTTPNotFound:
                break
            time.sleep(0.5)


def _tree(top, skip=()):
    """{relative path: (type and mode, sha256 of the content or link)}."""
    found = {}
    for root, dirs, names in os.walk(top):
        relative_root = os.path.relpath(root, top)
        dirs[:] = sorted(d for d in dirs if os.path.normpath(
            os.path.join(relative_root, d)) not in skip)
        for name in [''] + sorted(names):
            path = os.path.join(root, name) if name else root
            relative = os.path.normpath(os.path.relpath(path, top))
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                digest = os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                try:
                    with open(path, 'rb') as source:
                        digest = hashlib.sha256(source.read()).hexdigest()
                except PermissionError:  # not root: unreadable.yaml
                    digest = '(unreadable)'
            else:
                digest = ''
            found[relative] = (oct(info.st_mode), digest)
    return found


def _diff(before, after):
    return sorted('%s %s' % (sign, path) for sign, path in
                  [('-', p) for p in set(before) - set(after)] +
                  [('+', p) for p in set(after) - set(before)] +
                  [('~', p) for p in set(before) & set(after)
                   if before[p] != after[p]])


def _restore(top, pristine):
    """Put the pristine copy back, in place (the directory itself stays)."""
    for name in os.listdir(top):
        path = os.path.join(top, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    shutil.copytree(pristine, top, symlinks=True, dirs_exist_ok=True)
    shutil.copystat(pristine, top)


@dataclasses.dataclass
class World:
    lab: object
    heat: object
    config_dir: str
    pristine: str
    pristine_tree: dict
    inputs: str
    values: dict


@pytest.fixture(scope='module')
def world(prepared, tmp_path_factory):
    from tripleo_ffu_lab import overcloud
    lab = prepared.lab
    heat = overcloud.client(lab.env['OS_ENDPOINT'])
    inputs = tmp_path_factory.mktemp('bad-input')
    _inputs(inputs)
    _clone_inputs(inputs, heat)
    pristine = str(tmp_path_factory.mktemp('pristine') / 'config')
    shutil.copytree(prepared.config_dir, pristine, symlinks=True)
    stacks = _stacks_to_create(inputs)
    keystone = http.server.HTTPServer(('127.0.0.1', 0), _Keystone)
    threading.Thread(target=keystone.serve_forever, daemon=True).start()
    try:
        _delete_stacks(heat, stacks)  # left by an interrupted session
        for name, template in stacks.items():
            heat.stacks.create(stack_name=name, template=template)
        for name in stacks:
            _wait(heat, name, ('CREATE_COMPLETE',))
        heat.stacks.update(BUSY, existing=True, parameters={'v': 'b'})
        _wait(heat, BUSY, ('UPDATE_IN_PROGRESS',))
        report = lab.status()
        values = {'cfg': prepared.config_dir, 'in': str(inputs),
                  'lab': lab.root, 'queens': lab.queens,
                  'ssh_user': report['ssh_user'],
                  'ssh_key': report['ssh_key'], 'closed': _closed_port(),
                  'keystone': keystone.server_port}
        yield World(lab, heat, prepared.config_dir, pristine,
                    _tree(pristine), str(inputs), values)
    finally:
        keystone.shutdown()
        keystone.server_close()
        _delete_stacks(heat, stacks)


def _stacks(heat):
    return {stack.stack_name: (stack.stack_status, stack.updated_time)
            for stack in heat.stacks.list()}


@contextlib.contextmanager
def _state(config_dir, wanted):
    """The prepared config dir with these files set (or absent); put back
    as they were after."""
    saved = {}
    try:
        for relative, content in wanted.items():
            path = os.path.join(config_dir, relative)
            if os.path.lexists(path):
                with open(path, 'rb') as source:
                    saved[relative] = (source.read(), os.lstat(path).st_mode)
            else:
                saved[relative] = None
            if content is None:
                if os.path.lexists(path):
                    os.unlink(path)
            else:
                _write_private(path, content)
        yield
    finally:
        for relative, original in saved.items():
            path = os.path.join(config_dir, relative)
            if original is None:
                if os.path.lexists(path):
                    os.unlink(path)
            else:
                _write_private(path, original[0])
                os.chmod(path, stat.S_IMODE(original[1]))


def _write_private(path, content):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'wb') as out:
        out.write(content if isinstance(content, bytes) else content.encode())


def _command(world, the_case, values):
    env = dict(world.lab.env)
    for name, value in the_case.env.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value.format(**values)
    args = ('overcloud', 'ffwd-upgrade') + tuple(
        arg.format(**values) for arg in the_case.args)
    if not the_case.drop_dac or os.geteuid() != 0:
        return run(('openstack',) + args, env=env, check=False, timeout=300)
    if shutil.which(DROP_DAC[0]) is None:
        pytest.skip('as root, a chmod 000 file is readable, and setpriv (to '
                    'drop CAP_DAC_OVERRIDE) is missing')
    result = subprocess.run(
        DROP_DAC + (os.path.join(BIN, 'openstack'),) + args, env=env,
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
        timeout=300)
    result.stderr = '\n'.join(line for line in result.stderr.splitlines()
                              if not any(n in line for n in NOISE))
    return result


def _error_lines(stderr, code):
    lines = [line for line in stderr.splitlines() if line.strip()]
    if code == 2:
        # argparse: its usage block, then one `prog: error: ...` line.
        usage = [line for line in lines if line.startswith('usage: ') or
                 line.startswith(' ')]
        return [line for line in lines if line not in usage]
    return lines


@pytest.mark.parametrize('bad', CASES)
def test_bad_input_is_refused_and_changes_nothing(world, bad, request):
    box = os.path.join(world.inputs, 'cases', request.node.callspec.id)
    os.makedirs(box)
    values = dict(world.values, fresh=os.path.join(box, 'cfg'))
    message = bad.message.format(**values)
    inputs_before = _tree(world.inputs, skip=('cases',))
    try:
        with _state(world.config_dir, bad.state):
            config_before = _tree(world.config_dir)
            stacks_before = _stacks(world.heat)
            result = _command(world, bad, values)
            config_after = _tree(world.config_dir)
        stacks_after = _stacks(world.heat)
        output = 'exit %d\nstdout:\n%s\nstderr:\n%s' % (
            result.returncode, result.stdout[-2000:], result.stderr[-3000:])
        assert result.returncode == bad.code, output
        assert 'Traceback' not in result.stderr, output
        lines = _error_lines(result.stderr, bad.code)
        assert len(lines) == 1 and message in lines[0], (message, output)
        for name in bad.updates:
            stacks_before.pop(name, None)
            stacks_after.pop(name, None)
        assert stacks_after == stacks_before
        assert _diff(config_before, config_after) == []
        assert _diff(inputs_before,
                     _tree(world.inputs, skip=('cases',))) == []
        left = sorted(os.listdir(box))
        assert left == (['cfg'] if bad.fresh_ok and left else []), left
    finally:
        if _tree(world.config_dir) != world.pristine_tree:
            _restore(world.config_dir, world.pristine)
