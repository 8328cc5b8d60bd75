"""The plan's files: ffu_plan.yaml and the task files of its includes
(ffu_plan_tasks/), as prepare writes them and run, status and converge
load them."""

import copy
import os
import shutil

import yaml

from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import task_lists
from tripleo_ffu.workflow import yamlfile
from tripleo_ffu.workflow.errors import WorkflowError

PLAN_FILE = 'ffu_plan.yaml'
# The task files of the plan's includes.
PLAN_TASKS_DIR = 'ffu_plan_tasks'
# Variables the plan's play headers carry for the run.
PLAY_VAR = 'tripleo_ffu_play'
PHASE_VAR = 'tripleo_ffu_phase'
RESUME_VAR = 'tripleo_ffu_resume'
# Where a compiled include holds its tasks until write puts them in their
# file.
INCLUDED = '_tripleo_ffu_tasks'


class PlanError(WorkflowError):
    pass


def load_yaml(config_dir, relative):
    """A YAML file of the config dir (the stack's playbooks and task
    files, the plan's), or a PlanError saying what to do."""
    path = os.path.join(config_dir, relative)
    try:
        with open(path) as source:
            return yamlfile.load(source)
    except FileNotFoundError:
        raise PlanError('%s is missing from the config: were the templates '
                        'of the target release (queens) used to prepare?'
                        % path)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise PlanError('%s is not valid YAML (%s): run prepare again to '
                        'download and compile it afresh'
                        % (path, str(exc).splitlines()[0]))


def write(config_dir, playbook):
    """The plan file, and the task files its includes load."""
    playbook = copy.deepcopy(playbook)
    tasks_dir = os.path.join(config_dir, PLAN_TASKS_DIR)
    shutil.rmtree(tasks_dir, ignore_errors=True)
    with files.private_umask():
        os.makedirs(tasks_dir, exist_ok=True)
    for play in playbook:
        _write_included(config_dir, play.get('tasks') or [])
    path = os.path.join(config_dir, PLAN_FILE)
    files.write_private(path, yamlfile.dump(playbook,
                                            default_flow_style=False,
                                            sort_keys=False))
    return path


def _write_included(config_dir, tasks):
    for task in tasks:
        if isinstance(task, dict) and INCLUDED in task:
            children = task.pop(INCLUDED)
            _write_included(config_dir, children)
            files.write_private(
                os.path.join(config_dir, task[task_lists.include_key(task)]),
                yamlfile.dump(children, default_flow_style=False,
                              sort_keys=False))


def load(config_dir):
    """The written plan, as a playbook (a list of plays)."""
    playbook = load_yaml(config_dir, PLAN_FILE)
    if not playbook or not isinstance(playbook, list) or not all(
            isinstance(play, dict) and isinstance(play.get('vars'), dict) and
            PLAY_VAR in play['vars'] for play in playbook):
        raise PlanError('%s is not a plan tripleo-ffu wrote: run prepare '
                        'again to compile it afresh'
                        % os.path.join(config_dir, PLAN_FILE))
    return playbook
