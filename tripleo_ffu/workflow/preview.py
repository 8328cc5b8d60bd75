"""What a stack update would do, asked of Heat before prepare and
converge update: counts, the parameters whose values change, and the
refusals (a server or data replaced or deleted; a password the nodes
use changed)."""

import dataclasses
import re

from tripleo_ffu.workflow import passwords as passwords_module
from tripleo_ffu.workflow import stack as overcloud_stack
from tripleo_ffu.workflow.errors import WorkflowError

COUNTED = ('updated', 'added', 'deleted', 'replaced')
RISKY = ('replaced', 'deleted')
# Resources that are a node or hold its data: servers (a role's server
# alias, OS::TripleO::<Role>, is matched by the role's name), volumes,
# ports (a port's fixed address is the node's).
DATA_TYPES = re.compile(
    r'^(OS::Nova::Server|OS::TripleO::Server|OS::Heat::DeployedServer|'
    r'OS::Cinder::Volume.*|OS::Neutron::Port|OS::TripleO::.*Port)$')
DESTRUCTIVE_FLAG = '--allow-destructive-update'
PASSWORD_FLAG = '--allow-password-change'


@dataclasses.dataclass
class Preview:
    counts: dict
    risky: list
    changed_parameters: list
    hidden_parameters: list
    changed_passwords: list
    # Heat could preview the top level only (its nested preview failed).
    top_level_only: bool = False


@dataclasses.dataclass
class Allow:
    """What the operator's flags allow despite the preview."""
    destructive: bool = False
    password_change: bool = False


def holds_data(name, resource_type, roles):
    return bool(DATA_TYPES.match(resource_type)) or \
        resource_type in {'OS::TripleO::%s' % role for role in roles} or \
        (resource_type == 'OS::Heat::ResourceGroup' and name in roles)


def parameter_changes(on_stack, new, known):
    """(names whose visible value changes, names whose stack value Heat
    hides and an environment sets to a value tripleo-ffu does not know):
    names only."""
    changed, hidden = [], []
    for name in sorted(new):
        if name not in on_stack or \
                (name in known and known[name] == new[name]):
            continue
        if on_stack[name] == passwords_module.MASKED:
            hidden.append(name)
        elif on_stack[name] != new[name]:
            changed.append(name)
    return changed, hidden


def build(heat, stack, fields, roles, known, on_stack):
    changes, nested = overcloud_stack.preview_changes(heat, stack, *fields)
    new = passwords_module.given_parameters(fields[2])
    changed, hidden = parameter_changes(on_stack, new, known)
    return Preview(
        counts={change: len(changes.get(change) or []) for change in COUNTED},
        risky=sorted('%s %s (%s)' % (change, name, resource_type)
                     for change in RISKY
                     for name, resource_type in changes.get(change) or []
                     if holds_data(name, resource_type, roles)),
        changed_parameters=changed, hidden_parameters=hidden,
        changed_passwords=passwords_module.changed_passwords(
            on_stack, new, known),
        top_level_only=not nested)


def report(preview, say):
    counts = preview.counts
    say('Heat\'s preview: %d updated, %d created, %d deleted, %d replaced%s'
        % (counts['updated'], counts['added'], counts['deleted'],
           counts['replaced'], ' (the top level only: Heat could not '
           'preview the nested stacks)' if preview.top_level_only else ''))
    if preview.changed_parameters:
        say('Parameters whose value changes: %s'
            % ', '.join(preview.changed_parameters))
    if preview.hidden_parameters:
        say('Hidden parameters an environment file sets (Heat hides the '
            'stack\'s values): %s' % ', '.join(preview.hidden_parameters))


def check(preview, allow, stack_name):
    """The refusals, each naming what (never a value) and the flag."""
    if preview.risky and not allow.destructive:
        raise WorkflowError(
            'the update of %s would replace or delete what holds a node or '
            'its data: %s; the stack was not changed (give %s if that is '
            'meant)' % (stack_name, '; '.join(preview.risky),
                        DESTRUCTIVE_FLAG))
    if preview.changed_passwords and not allow.password_change:
        raise WorkflowError(
            'an environment file changes password(s) the nodes already use: '
            '%s; the stack was not changed (remove them from the file, or '
            'give %s if the change is meant)'
            % ('; '.join('%s (%s)' % item
                         for item in preview.changed_passwords),
               PASSWORD_FLAG))


def run(heat, stack, fields, roles, passwords, on_stack, allow, say):
    """Preview, report and refuse; the preview."""
    preview = build(heat, stack, fields, roles, passwords.known, on_stack)
    report(preview, say)
    check(preview, allow, stack.stack_name)
    return preview
