"""The compiled plan runs exactly what the stack's own playbooks run.

For every lab node, the sequence of (task, module, release, step, result)
that Ansible executes (not skipped) is the same under the stack's
playbooks (FFU, then upgrade, deploy and post-upgrade steps) and under the
plan (a run per phase), each run from a freshly deployed newton, through
ansible-runner.
"""

import collections
import json
import os
import shutil

from tripleo_ffu.workflow import ansible
from tripleo_ffu.workflow import plan
from tests.functional import test_tht
from tests.unit import ansible_standins

CALLBACKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), 'unit', 'standins', 'callback_plugins')
STACK_PLAYBOOKS = ('fast_forward_upgrade_playbook.yaml',
                   'upgrade_steps_playbook.yaml',
                   'deploy_steps_playbook.yaml',
                   'post_upgrade_steps_playbook.yaml')


def _run(prepared, config_dir, playbooks, log):
    prepared.lab.cli('reset', '--nodes')
    report = prepared.lab.status()
    # The operator's environment (the lab's stackrc: its stand-ins of the
    # nodes' actions), and the recorder.
    env = {name: value for name, value in prepared.lab.env.items()
           if name.startswith('ANSIBLE_')}
    env.update({'ANSIBLE_CALLBACK_PLUGINS': CALLBACKS,
                'ANSIBLE_CALLBACK_WHITELIST': 'callback_executed',
                'FFU_EXECUTED_LOG': str(log)})
    assert env.get('ANSIBLE_ACTION_PLUGINS'), 'no stand-ins: not the lab'
    for playbook in playbooks:
        runner = ansible.run_playbook(
            os.path.join(config_dir, playbook),
            os.path.join(config_dir, 'tripleo-ansible-inventory.yaml'),
            str(log) + '.runner', ssh_key=report['ssh_key'], extra_env=env,
            ident=os.path.basename(playbook))
        assert runner.rc == 0, '%s failed: %s' % (playbook, runner.stats)
    executed = collections.defaultdict(list)
    with open(log) as lines:
        for line in lines:
            event = json.loads(line)
            executed[event['host']].append(
                (event['task'], event['action'], event['release'],
                 event['step'], event['status']))
    assert {node['release'] for node in prepared.lab.status()['nodes']} == {
        'queens'}
    return executed


def test_plan_executes_what_the_stack_playbooks_execute(prepared, tmp_path):
    before = test_tht.present()
    # A copy: the plan's per-phase playbooks are written next to the
    # stack's, and the other tests share the prepared config dir.
    config_dir = str(tmp_path / 'config')
    shutil.copytree(prepared.config_dir, config_dir, symlinks=True)
    by_stack = _run(prepared, config_dir, STACK_PLAYBOOKS,
                    tmp_path / 'stack.jsonl')
    # THT's own playbooks went through the lab's stand-ins, in the trees.
    test_tht.check_node_trees(prepared.lab.status())
    # One run per phase, as `run` runs the plan.
    by_plan = _run(prepared, config_dir, ansible_standins.plan_playbooks(
        config_dir, plan.load(config_dir)), tmp_path / 'plan.jsonl')
    # The deploy playbook's undercloud plays (facts, global variables) run
    # on the undercloud too.
    assert sorted(by_stack) == sorted(by_plan) == sorted(
        [node['hostname'] for node in prepared.lab.status()['nodes']] +
        ['undercloud'])
    for host in by_stack:
        assert by_plan[host] == by_stack[host], host
    assert ('Update openstack-keystone to pike', 'copy', 'pike', '6',
            'ok') in by_plan['overcloud-controller-0']
    assert not any(event[0] == 'Update openstack-keystone to pike'
                   for event in by_plan['overcloud-controller-1'])
    # Nothing outside the lab dir, under either.
    assert test_tht.present() <= before, sorted(test_tht.present() - before)
