"""Reading a written plan: its plays' ids, phases and what a resume
runs again, and its tasks counted. run, status, batch, converge and
progress read the plan through it; plan_file loads it."""

from tripleo_ffu.workflow import plan_file
from tripleo_ffu.workflow import task_lists

# Tasks that only give the later plays of a playbook their context.
CONTEXT_MODULES = ('include_vars', 'set_fact', 'debug')


def count_tasks(tasks, config_dir=None):
    """The tasks of a task list, those inside blocks included, and with
    config_dir those of the written plan's includes (not the includes)."""
    count = 0
    for task in tasks or []:
        target = task_lists.include_target(task) \
            if isinstance(task, dict) else None
        if config_dir and isinstance(target, str) and target.startswith(
                plan_file.PLAN_TASKS_DIR + '/'):
            count += count_tasks(plan_file.load_yaml(config_dir, target),
                                 config_dir)
        elif isinstance(task, dict) and any(
                key in task for key in task_lists.BLOCK_KEYS):
            count += sum(count_tasks(task.get(key), config_dir)
                         for key in task_lists.BLOCK_KEYS)
        else:
            count += 1
    return count


def load_plays(config_dir):
    """The play ids of a written plan, in order."""
    return play_ids(plan_file.load(config_dir))


def play_ids(playbook):
    return [play['vars'][plan_file.PLAY_VAR] for play in playbook]


def phase_of(play):
    return play['vars'].get(plan_file.PHASE_VAR)


def resume_of(play):
    return list(play['vars'].get(plan_file.RESUME_VAR) or [])


def gathers(play):
    """Whether a play gathers facts (Ansible's default)."""
    gather = play.get('gather_facts', True)
    return gather not in (False, 'no', 'false', 'False', 0)


def sets_context_only(play):
    """Whether a play only gathers facts or sets variables (THT's deploy
    playbook's "Gather facts from overcloud" and its include_vars of
    global_vars.yaml). Later plays of the same ansible-playbook run rely
    on what it set, which a new run does not have: a resumed run runs it
    again first; running it again changes nothing on a node."""
    tasks = play.get('tasks') or []
    if any(play.get(key) for key in task_lists.OTHER_PLAY_KEYS):
        return False
    if not tasks:
        return gathers(play)
    return all(isinstance(task, dict) and not task.get('block') and any(
        module in task for module in CONTEXT_MODULES) for task in tasks)
