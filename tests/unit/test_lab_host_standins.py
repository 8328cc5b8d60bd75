"""Nothing THT's tasks do may change the lab machine: the stand-ins for
group, user, seboolean, getent, filesystem, ip, setfacl, crontab, pgrep
and cinder's losetup/pvcreate/vgcreate, run by the real ansible-playbook
on a lab node; and the guard: every module and every command THT 8.4's
tasks of the HA overcloud's services use has a lab stand-in, or is on a
short allow-list."""

import json
import os
import re
import shutil
import subprocess
import sys

import yaml

from tests.unit import tht_tasks
from tests.unit.test_lab_standin_actions import _system_state
from tests.unit.test_lab_standins import _run_playbook
from tests.unit.test_lab_standins import _tree
from tripleo_ffu_lab import standins

# What the tasks below would change on this machine.
SYSTEM_PATHS = ('/etc/passwd', '/etc/group', '/etc/selinux',
                '/var/run/netns/ns_temp', '/var/spool/cron/ceilometer',
                '/dev/lab-swift-disk')

PLAYBOOK = [{
    'hosts': 'overcloud',
    'gather_facts': False,
    'tasks': [
        # THT 8.4's own tasks (nova-libvirt, logrotate-crond, neutron-dhcp,
        # swift-storage, ceilometer-expirer-disabled, rabbitmq host prep).
        {'name': 'ensure qemu group is present on the host',
         'group': {'name': 'qemu', 'gid': 107, 'state': 'present'}},
        {'name': 'ensure qemu user is present on the host',
         'user': {'name': 'qemu', 'uid': 107, 'group': 'qemu',
                  'state': 'present', 'shell': '/sbin/nologin',
                  'comment': 'qemu user'}},
        {'name': 'allow logrotate to read inside containers',
         'seboolean': {'name': 'logrotate_read_inside_containers',
                       'persistent': True, 'state': True}},
        {'name': 'Check for neutron user', 'getent': 'database=passwd '
         'key=neutron', 'ignore_errors': True},
        {'name': 'Set neutron_user_avail',
         'set_fact': {'neutron_user_avail': '{{ getent_passwd is defined '
                                            '}}'}},
        {'name': 'Format SwiftRawDisks',
         'filesystem': {'fstype': 'xfs', 'dev': '/dev/lab-swift-disk',
                        'opts': '-f -i size=1024'}},
        {'name': 'create /run/netns with temp namespace',
         'command': 'ip netns add ns_temp', 'register': 'ipnetns_add_result',
         'failed_when': False},
        {'copy': {'content': '{{ ipnetns_add_result.rc }}',
                  'dest': '/root/netns-rc'}},
        {'name': 'remove temp namespace', 'command': 'ip netns delete '
         'ns_temp', 'when': 'ipnetns_add_result.rc == 0'},
        {'name': 'Ensure read/write access for files created after upgrade',
         'shell': 'umask 0002\nsetfacl -d -R -m u:neutron:rwx '
                  '/var/lib/neutron\nsetfacl -R -m u:neutron:rw '
                  '/var/lib/neutron\nfind /var/lib/neutron -type d -exec '
                  "setfacl -m u:neutron:rwx '{}' \\;\n",
         'when': 'neutron_user_avail|bool'},
        {'name': 'Remove ceilometer expirer cron tab on upgrade',
         'shell': '/usr/bin/crontab -u ceilometer -r',
         'register': 'remove_ceilometer_expirer_crontab',
         'failed_when': "remove_ceilometer_expirer_crontab.rc != 0 and "
                        "remove_ceilometer_expirer_crontab.stderr != "
                        "'no crontab for ceilometer'"},
        {'shell': '/usr/bin/crontab -u ceilometer -r',
         'register': 'again', 'failed_when': False},
        {'name': 'stop the Erlang port mapper on the host',
         'shell': "for pid in $(pgrep epmd --ns 1 --nslist pid); do kill "
                  "$pid; done"},
        {'copy': {'content': '{{ neutron_user_avail }} {{ again.stderr }}',
                  'dest': '/root/host-result'}},
        # cinder-common.yaml's LVM backend (host prep; `creates:
        # /dev/loop2` left out: that device may exist on this machine).
        {'name': 'cinder create LVM volume group dd',
         'command': 'dd if=/dev/zero of=/var/lib/cinder/cinder-volumes '
                    'bs=1 count=0 seek=10280M',
         'args': {'creates': '/var/lib/cinder/cinder-volumes'}},
        {'name': 'cinder create LVM volume group',
         'shell': 'if ! losetup /dev/loop2; then\n'
                  '  losetup /dev/loop2 /var/lib/cinder/cinder-volumes\n'
                  'fi\n'
                  'if ! pvdisplay | grep cinder-volumes; then\n'
                  '  pvcreate /dev/loop2\n'
                  'fi\n'
                  'if ! vgdisplay | grep cinder-volumes; then\n'
                  '  vgcreate cinder-volumes /dev/loop2\n'
                  'fi\n',
         'args': {'executable': '/bin/bash'}},
    ],
}]


def _loop_devices():
    losetup = shutil.which('losetup', path='/usr/sbin:/sbin:/usr/bin:/bin')
    return losetup and subprocess.run(
        [losetup, '-a'], capture_output=True, text=True).stdout


def test_thts_host_changes_stay_in_the_node_tree(tmp_path):
    before = _system_state(SYSTEM_PATHS), _loop_devices()
    root = _tree(tmp_path / 'nodes', 'overcloud-controller-0')
    (root / 'etc/passwd').write_text(
        'root:x:0:0:root:/root:/bin/bash\n'
        'neutron:x:994:991::/var/lib/neutron:/sbin/nologin\n')
    (root / 'etc/group').write_text('root:x:0:\n')
    (root / 'var/lib/neutron/dhcp').mkdir(parents=True)
    (root / 'var/lib/cinder').mkdir(parents=True)
    (root / 'var/spool/cron').mkdir(parents=True)
    (root / 'var/spool/cron/ceilometer').write_text('0 0 * * * expirer\n')
    (root / 'run/services').mkdir(parents=True)
    (root / 'run/services/epmd').write_text('running\n')
    inventory = {'all': {'children': {'overcloud': {'hosts': {
        'overcloud-controller-0': {'lab_node_root': str(root)}}}},
        'vars': {'ansible_connection': 'local',
                 'ansible_python_interpreter': sys.executable}}}
    work = tmp_path / 'run'
    work.mkdir()
    _run_playbook(work, inventory, PLAYBOOK)
    assert (_system_state(SYSTEM_PATHS), _loop_devices()) == before
    lvm = json.loads((root / 'var/lib/lab/lvm.json').read_text())
    assert lvm == {'loops': {'/dev/loop2': str(
        root / 'var/lib/cinder/cinder-volumes')}, 'pvs': ['/dev/loop2'],
        'vgs': {'cinder-volumes': ['/dev/loop2']}}
    assert 'qemu:x:107:' in (root / 'etc/group').read_text()
    assert 'qemu:x:107:107::/home/qemu:/sbin/nologin' in (
        root / 'etc/passwd').read_text()
    assert (root / 'etc/selinux/lab-booleans').read_text() == \
        'logrotate_read_inside_containers on persistent\n'
    assert 'the lab runs no mkfs' in (
        root / 'var/log/lab/filesystem.log').read_text()
    assert (root / 'root/netns-rc').read_text() == '0'
    assert not (root / 'var/run/netns/ns_temp').exists()
    assert (root / 'root/host-result').read_text() == \
        'True no crontab for ceilometer'
    assert not (root / 'var/spool/cron/ceilometer').exists()
    setfacl = (root / 'var/log/lab/setfacl.log').read_text()
    assert '-m u:neutron:rwx %s/var/lib/neutron/dhcp' % root in setfacl


# Modules Ansible runs for itself: they set or check variables, or shape
# the play, and touch no host.
OWN_MODULES = {
    'set_fact': 'variables', 'debug': 'output', 'fail': 'fails the task',
    'assert': 'checks variables', 'include_tasks': 'the play',
    'import_tasks': 'the play', 'include': 'the play',
    'include_role': 'the play', 'import_role': 'the play',
    'include_vars': 'variables', 'meta': 'the play',
}
# Commands the lab lets run as they are, and why that cannot change this
# machine: they read, or act on paths the command stand-in moved into the
# node's tree, or are shell syntax.
OWN_COMMANDS = {
    **dict.fromkeys(('awk', 'grep', 'sed', 'tr', 'uniq', 'cut', 'head',
                     'tail', 'sort', 'wc', 'cat', 'ls', 'test', '[', 'echo',
                     'printf', 'true', 'false', 'sleep', 'basename',
                     'dirname', 'xargs', 'date', 'seq'),
                    'reads, or writes only its output'),
    **dict.fromkeys(('rm', 'find', 'touch', 'mkdir', 'cp', 'mv', 'ln',
                     'chmod', 'tee'),
                    'acts on paths, which the lab moves into the tree'),
    **dict.fromkeys(('umask', 'read', 'cd', 'export', 'set', 'exit',
                     'local', 'source', '.', 'eval', 'break', 'continue',
                     'return', 'shift'), 'shell syntax'),
    'kill': 'only pids from the lab\'s pgrep, which prints none',
    'timeout': 'runs the command after it (checked as such)',
}
# Programs the lab does not stand in for yet, each with what happens if a
# task runs it on a lab node: none left (build step 4 gave the db syncs
# and MySQL's upgrade script theirs, bin/lab-db).
KNOWN_MISSING = {}
SHELL_WORDS = {'if', 'then', 'else', 'elif', 'fi', 'for', 'do', 'done',
               'while', 'until', 'case', 'esac', 'in', '{', '}', '!',
               'function', '[[', ']]', 'time', 'sudo', 'exec', 'nohup',
               'env', 'timeout'}


def first_words(command):
    """The programs a shell text runs: the first word of each simple
    command (after a variable assignment, sudo, timeout N ...)."""
    text = re.sub(r'\{\{.*?\}\}', 'JINJA', command, flags=re.S)
    text = re.sub(r'\{%.*?%\}', ' ', text, flags=re.S)
    text = re.sub(r'#[^\n]*', ' ', text.replace('\\\n', ' '))
    text = re.sub(r"'[^']*'|\"[^\"]*\"", ' QUOTED ', text)
    words = []
    for part in re.split(r'\n|;|&&|\|\||\||\$\(|`|\(|\)', text):
        items = part.split()
        while items and (items[0] in SHELL_WORDS or
                         re.match(r'^[A-Za-z_]\w*=', items[0]) or
                         re.match(r'^-?[\d.]+[smh]?$', items[0]) or
                         items[0].startswith('-')):
            if items[0] in ('for', 'case', 'in'):
                items = []  # `for pid in LIST`: the list is no program
                break
            items = items[1:]
        word = re.split(r'[<>]', items[0])[0] if items else ''
        if word and word not in ('JINJA', 'QUOTED') and \
                not word.startswith('$'):
            words.append(word)
    return words


def _command_text(task, module):
    value = task[module]
    if isinstance(value, dict):
        value = value.get('cmd') or value.get('_raw_params') or ' '.join(
            str(item) for item in value.get('argv') or [])
    return str(value)


def _keywords():
    from ansible.playbook.block import Block
    from ansible.playbook.task import Task
    return (set(Task._valid_attrs) | set(Block._valid_attrs) | {
        'local_action', 'action', 'loop_control', 'args', 'vars', 'tags',
        'when', 'notify', 'register'}) - set(OWN_MODULES)


def _uses(root):
    """{module: {where}}, {program: {where}} of the HA overcloud's tasks."""
    keywords = _keywords()
    modules, programs = {}, {}
    sources = [(relative, section, tasks)
               for relative in tht_tasks.templates(root)
               for section, tasks in tht_tasks.sections(root,
                                                        relative).items()]
    sources += [(relative, 'tasks', tht_tasks.common_tasks(root, relative))
                for relative in tht_tasks.COMMON]
    for relative, section, tasks in sources:
        for task in tht_tasks.leaves(tasks):
            names = [key for key in task if key not in keywords and
                     not key.startswith('with_')]
            where = '%s %s' % (relative, section)
            for module in names:
                modules.setdefault(module, set()).add(where)
                if module in ('command', 'shell'):
                    for word in first_words(_command_text(task, module)):
                        programs.setdefault(word, set()).add(where)
    return modules, programs


def _stood_in_modules():
    """The lab's action plugins, and shell (Ansible's shell action runs
    the command action, the lab's)."""
    return {name[:-3] for name in os.listdir(standins.ACTION_PLUGINS)
            if name.endswith('.py')} | {'shell'}


def _stood_in(program):
    """The lab's command, or a node's own file: an absolute path that is
    no lab command moves into the node's tree (the lab's custom repo
    script /root/ffu_update_repo.sh is there)."""
    if program.startswith('/'):
        return standins.lab_command(program) or \
            program not in KNOWN_MISSING
    return os.path.lexists(os.path.join(standins.BIN, program))


def test_every_module_and_command_of_thts_tasks_is_stood_in():
    """A new THT task can never run on the lab machine unnoticed: every
    module of the HA overcloud's task sections and every program their
    commands run is the lab's, Ansible's own harmless one, or a known
    gap named in KNOWN_MISSING."""
    modules, programs = _uses(tht_tasks.tree())
    assert 'pacemaker_resource' in modules and 'pcs' in programs
    unknown_modules = sorted(set(modules) - _stood_in_modules() -
                             set(OWN_MODULES))
    assert unknown_modules == [], yaml.safe_dump(
        {name: sorted(modules[name]) for name in unknown_modules})
    missing = {program: sorted(where) for program, where in programs.items()
               if not _stood_in(program) and program not in OWN_COMMANDS}
    assert sorted(missing) == sorted(KNOWN_MISSING), yaml.safe_dump(
        {name: where for name, where in missing.items()
         if name not in KNOWN_MISSING})


def test_first_words_of_thts_shells():
    assert first_words("for pid in $(pgrep epmd --ns 1 --nslist pid); do "
                       "kill $pid; done") == ['pgrep', 'kill']
    assert first_words("cinder-manage service list |\\\n grep -v Binary | "
                       "tr '@' ' ' |\\\n awk '{print $1 \" \" $2}' |\\\n "
                       "while read i ; do cinder-manage service remove $i ;"
                       " done") == ['cinder-manage', 'grep', 'tr', 'awk',
                                    'read', 'cinder-manage']
    assert first_words('/usr/bin/crontab -u ceilometer -r') == \
        ['/usr/bin/crontab']
    assert first_words("umask 0002\nsetfacl -m u:neutron:rwx "
                       "\"{{ item }}\"") == ['umask', 'setfacl']
    assert first_words("timeout 60 sh -c 'x'") == ['sh']
    assert first_words("cat /etc/a > /etc/b; cat</dev/null>/etc/b") == \
        ['cat', 'cat']
    assert first_words("nova-manage cell_v2 list_cells | sed -e '1,3d' | "
                       "awk -F ' *| *' '$2 == \"default\" {print $4}'") == \
        ['nova-manage', 'sed', 'awk']
