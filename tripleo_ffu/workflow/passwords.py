"""The overcloud's passwords across the upgrade: kept, carried, generated.

On an undercloud the passwords are in no file: they live in the stack.
As tripleo-common queens' password generation did, the stack's own
values are kept (the updates are Heat PATCHes, so a parameter no file
gives keeps its value, hidden ones included); the five secrets newton's
overcloud.yaml made as OS::Heat::RandomString resources are carried over
to the queens parameters of the same names (LEGACY_HEAT_PASSWORD_RESOURCE_
NAMES there); and only the passwords the stack lacks are generated, with
tripleo-common's generator. Both generated environments are written once,
owner-only, in the config dir, and every later prepare and converge give
them again.
"""

import dataclasses
import logging
import os

from tripleo_ffu.workflow import environments
from tripleo_ffu.workflow import secrets
from tripleo_ffu.workflow import yamlfile
from tripleo_ffu.workflow.errors import WorkflowError

LOG = logging.getLogger(__name__)

# tripleo-common queens' constants.LEGACY_HEAT_PASSWORD_RESOURCE_NAMES:
# THT 5.3's RandomString resources, THT 8.4's parameters.
LEGACY_RESOURCES = ('HeatAuthEncryptionKey', 'HorizonSecret',
                    'MysqlRootPassword', 'PcsdPassword', 'RabbitCookie')
# tripleo-common queens' PASSWORD_PARAMETER_NAMES that later releases
# dropped with their services, though THT 8.4's templates still require
# them (panko-base.yaml's PankoPassword has no default): generated as
# queens generated them when the installed tripleo-common lacks them.
QUEENS_ONLY = ('AdminToken', 'CongressPassword', 'Ec2ApiPassword',
               'MistralPassword', 'NovajoinPassword', 'OpenDaylightPassword',
               'PankoPassword', 'SaharaPassword', 'TackerPassword',
               'TrovePassword', 'ZaqarPassword')
QUEENS_ONLY_CEPHX = ('CephAdminKey', 'CephMdsKey', 'CephMonKey')
# tripleo-common queens' _MIN_PASSWORD_SIZE.
PASSWORD_SIZE = 25
CARRIED_ENV = 'ffwd-upgrade-legacy-passwords.yaml'
GENERATED_ENV = 'ffwd-upgrade-new-passwords.yaml'
# What Heat shows for a hidden parameter's value.
MASKED = '******'


@dataclasses.dataclass
class Passwords:
    """What prepare (or converge) gives the update, and what it did."""
    files: list
    kept: list
    carried: list
    generated: list
    given: list
    # {name: value} of the carried and generated ones: what the stack has
    # after prepare, for the preview's comparison.
    known: dict


def stack_parameters(heat, stack):
    """{name: value} of the parameters the stack's environment holds
    (parameter_defaults over parameters); hidden ones are MASKED."""
    return given_parameters(heat.stacks.environment(stack.id) or {})


def given_parameters(environment):
    """{name: value} an assembled environment sets (heatclient's merge of
    every file)."""
    values = dict(environment.get('parameters') or {})
    values.update(environment.get('parameter_defaults') or {})
    return values


def _read(path):
    if not os.path.isfile(path):
        return {}
    with open(path) as source:
        data = yamlfile.load(source) or {}
    values = data.get('parameter_defaults') if isinstance(data, dict) \
        else None
    if not isinstance(values, dict):
        raise WorkflowError('%s is not a tripleo-ffu passwords environment: '
                            'remove it and run prepare again' % path)
    return values


def legacy_values(heat, stack):
    """{name: value} of the newton RandomString resources the stack still
    has (their attribute `value`, readable where Heat masks parameters)."""
    from heatclient import exc as heat_exc
    found = {}
    for name in LEGACY_RESOURCES:
        try:
            resource = heat.resources.get(stack.id, name)
        except heat_exc.HTTPNotFound:
            continue
        if resource.resource_type != 'OS::Heat::RandomString':
            continue
        value = (resource.attributes or {}).get('value')
        if not value:
            raise WorkflowError(
                'the stack\'s %s resource has no value: Heat did not resolve '
                'it; the stack was not changed' % name)
        found[name] = value
    return found


def generate(known):
    """tripleo-common's passwords for every name not in known."""
    from tripleo_common.utils import passwords as tripleo_passwords
    unset = object()
    made = tripleo_passwords.generate_passwords(
        stack_env={'parameter_defaults': dict.fromkeys(known, unset)})
    made.update(_queens_only(set(made) | set(known)))
    return {name: value for name, value in made.items()
            if name not in known and value is not unset}


def _queens_only(have):
    """Queens' passwords the installed tripleo-common does not make."""
    import passlib.pwd
    from tripleo_common.utils import passwords as tripleo_passwords
    made = {name: passlib.pwd.genword(length=PASSWORD_SIZE)
            for name in QUEENS_ONLY if name not in have}
    made.update({name: tripleo_passwords.create_cephx_key()
                 for name in QUEENS_ONLY_CEPHX if name not in have})
    return made


def _generated_names():
    from tripleo_common import constants
    return (set(constants.PASSWORD_PARAMETER_NAMES) | set(LEGACY_RESOURCES)
            | set(QUEENS_ONLY) | set(QUEENS_ONLY_CEPHX))


def for_prepare(heat, stack, out_dir, given, on_stack):
    """The passwords environments of prepare's update; given: the
    parameters the -e files (and the other inputs) set; on_stack:
    stack_parameters."""
    carried_path = os.path.join(out_dir, CARRIED_ENV)
    carried = dict(_read(carried_path))
    carried.update(legacy_values(heat, stack))
    secrets.guard(secrets.values_of({'parameter_defaults': carried}))
    paths = []
    if carried:
        paths.append(environments.write_generated(
            out_dir, CARRIED_ENV, {'parameter_defaults': carried}))
    generated_path = os.path.join(out_dir, GENERATED_ENV)
    generated = _read(generated_path)
    # Kept from an earlier prepare; only what it lacked is added.
    missing = generate(set(on_stack) | set(carried) | set(given)
                       | set(generated))
    if missing or not os.path.isfile(generated_path):
        generated = dict(generated, **missing)
        environments.write_generated(out_dir, GENERATED_ENV,
                                     {'parameter_defaults': generated})
    secrets.guard(secrets.values_of({'parameter_defaults': generated}))
    paths.append(generated_path)
    return Passwords(
        files=paths,
        kept=sorted(name for name in on_stack
                    if _is_password(name, on_stack) and name not in given),
        carried=sorted(carried), generated=sorted(set(generated) -
                                                  set(given)),
        given=sorted(name for name in given if name in _generated_names()
                     or name in generated or name in carried),
        known=dict(generated, **carried))


def for_converge(out_dir):
    """The environments prepare wrote (none when it wrote none: the
    stack keeps its values)."""
    paths = [os.path.join(out_dir, name)
             for name in (CARRIED_ENV, GENERATED_ENV)]
    carried, generated = (_read(path) for path in paths)
    known = dict(generated, **carried)
    secrets.guard(secrets.values_of({'parameter_defaults': known}))
    return Passwords(files=[path for path in paths if os.path.isfile(path)],
                     kept=[], carried=sorted(carried),
                     generated=sorted(generated), given=[], known=known)


def _is_password(name, values):
    """A secret of the stack: Heat hides it, or its name says so."""
    return values.get(name) == MASKED or name in LEGACY_RESOURCES or \
        secrets.is_secret_key(name)


def changed_passwords(on_stack, new, known):
    """[(name, why)] of the passwords the nodes use that the update's
    parameters (new) would change; known: the values tripleo-ffu carried
    or generated."""
    changed = []
    for name in sorted(new):
        if name in known:
            old = known[name]
        elif name in on_stack and _is_password(name, on_stack):
            old = on_stack[name]
        else:
            continue
        if old == MASKED:
            changed.append((name, 'Heat hides the stack\'s value, so it '
                                  'cannot be compared'))
        elif new.get(name) != old:
            changed.append((name, 'a value other than the stack\'s'))
    return changed


def report(passwords, say):
    """Names and counts only, never a value."""
    say('Passwords: %d kept from the stack, %d carried from newton\'s '
        'RandomString resources%s, %d generated'
        % (len(passwords.kept), len(passwords.carried),
           ' (%s)' % ', '.join(passwords.carried) if passwords.carried
           else '', len(passwords.generated)))
    for name in passwords.given:
        say('%s: the value of your environment file is used' % name)
