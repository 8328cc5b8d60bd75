"""The phases of a fast-forward upgrade: the one home of their names, order
and the stack's playbook for each."""

# Each phase and the RoleConfig playbook that runs it, in order.
PHASE_PLAYBOOKS = (
    ('ffu', 'fast_forward_upgrade_playbook.yaml'),
    ('upgrade', 'upgrade_steps_playbook.yaml'),
    ('deploy', 'deploy_steps_playbook.yaml'),
    ('post-upgrade', 'post_upgrade_steps_playbook.yaml'),
)
PHASES = tuple(phase for phase, _ in PHASE_PLAYBOOKS)
STACK_PLAYBOOKS = dict(PHASE_PLAYBOOKS)
# The releases before the target run in this phase, on every node.
FFU_PHASE = PHASES[0]
# The target release's phases, run per role or batch of nodes.
TARGET_PHASES = PHASES[1:]
# Upstream's `overcloud upgrade run --playbook` values: the phases each
# stands for.
UPSTREAM_PLAYBOOKS = dict(
    [('all', TARGET_PHASES)]
    + [(playbook, (phase,)) for phase, playbook in PHASE_PLAYBOOKS])
