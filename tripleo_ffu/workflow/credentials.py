"""The overcloud's credentials file, `<stack>rc`, as upstream's prepare and
converge left it (tripleo-common queens' overcloudrc, which tripleoclient
wrote as `<stack>rc`, mode 0600): the admin's OS_* variables for the
overcloud's Keystone, from the stack's outputs."""

import os
import shlex
import socket
import urllib.parse

from tripleo_ffu.workflow import files
from tripleo_ffu.workflow.errors import WorkflowError

# The hieradata keys of keystone's admin password and region, in a role's
# config_settings (THT's keystone service sets them from AdminPassword
# and KeystoneRegion).
PASSWORD_KEYS = ('keystone::admin_password',
                 'keystone::roles::admin::password')
REGION_KEY = 'keystone::endpoint::region'
DEFAULT_REGION = 'regionOne'
# tripleo-common queens' DEFAULT_IMAGE_API_VERSION, _VOLUME_API_VERSION.
IMAGE_API_VERSION = '2'
VOLUME_API_VERSION = '3'
CLEAR_ENV = ('# Clear any old environment that may conflict.\n'
             'for key in $( set | awk \'{FS="="}  /^OS_/ {print $1}\' ); '
             'do unset $key ; done\n')


def path_of(directory, stack_name):
    return os.path.join(directory, '%src' % stack_name)


def _settings(outputs):
    """Every role's hieradata, merged (keystone's live on the control
    plane's roles): THT queens' RoleData has it as merged_config_settings
    (its config_settings hold the role's own few), older templates as
    config_settings."""
    merged = {}
    for role_data in (outputs.get('RoleData') or {}).values():
        role_data = role_data or {}
        merged.update(role_data.get('merged_config_settings') or
                      role_data.get('config_settings') or {})
    return merged


def _bracket_ipv6(address):
    try:
        socket.inet_pton(socket.AF_INET6, address)
        return '[%s]' % address
    except (OSError, ValueError):
        return address


def _admin_host(outputs):
    """Keystone's admin endpoint host: the EndpointMap's, or the
    KeystoneAdminVip output."""
    admin = (outputs.get('EndpointMap') or {}).get('KeystoneAdmin') or {}
    return admin.get('host') if isinstance(admin, dict) and admin.get(
        'host') else outputs.get('KeystoneAdminVip')


def variables(outputs, stack_name, no_proxy=''):
    """[(name, value)] of the file, as tripleo-common queens'
    create_overcloudrc."""
    endpoint = outputs.get('KeystoneURL')
    if not endpoint:
        raise WorkflowError('stack %s has no KeystoneURL output: no '
                            'credentials file can be written' % stack_name)
    settings = _settings(outputs)
    # Heat 24 masks hidden parameters (AdminPassword) in its API, and
    # upstream read it from the plan, which we do not have; the stack's
    # outputs hold it as keystone's hieradata (the config download holds
    # the same).
    password = next((settings[key] for key in PASSWORD_KEYS
                     if settings.get(key)), None)
    if not password:
        raise WorkflowError(
            'stack %s\'s config has no keystone admin password (%s): no '
            'credentials file can be written' % (stack_name,
                                                 PASSWORD_KEYS[0]))
    hosts = [no_proxy, urllib.parse.urlparse(endpoint).hostname,
             _admin_host(outputs)]
    return [
        ('NOVA_VERSION', '1.1'),
        ('COMPUTE_API_VERSION', '1.1'),
        ('OS_USERNAME', 'admin'),
        ('OS_PROJECT_NAME', 'admin'),
        ('OS_USER_DOMAIN_NAME', 'Default'),
        ('OS_PROJECT_DOMAIN_NAME', 'Default'),
        ('OS_NO_CACHE', 'True'),
        ('OS_CLOUDNAME', stack_name),
        ('no_proxy', ','.join(_bracket_ipv6(str(host))
                              for host in hosts if host)),
        ('PYTHONWARNINGS', 'ignore:Certificate has no, ignore:A true '
                           'SSLContext object is not available'),
        ('OS_AUTH_TYPE', 'password'),
        ('OS_PASSWORD', str(password)),
        ('OS_AUTH_URL', endpoint.replace('/v2.0', '').rstrip('/') + '/v3'),
        ('OS_IDENTITY_API_VERSION', '3'),
        ('OS_IMAGE_API_VERSION', IMAGE_API_VERSION),
        ('OS_VOLUME_API_VERSION', VOLUME_API_VERSION),
        ('OS_REGION_NAME', str(settings.get(REGION_KEY) or DEFAULT_REGION)),
    ]


def write(outputs, stack_name, directory):
    """Write `<stack>rc` into directory, owner-only; return its path.
    Every value is shell-quoted: the file is sourced, and the values come
    from the stack."""
    text = CLEAR_ENV + ''.join(
        'export %s=%s\n' % (name, shlex.quote(value))
        for name, value in variables(outputs, stack_name,
                                     os.environ.get('no_proxy', '')))
    path = os.path.abspath(path_of(directory, stack_name))
    if os.path.isdir(path):
        raise WorkflowError('%s is a directory: the credentials file cannot '
                            'be written there' % path)
    try:
        files.write_private(path, text)
    except OSError as exc:
        raise WorkflowError('cannot write the credentials file %s: %s'
                            % (path, exc.strerror or exc))
    return path


def step(run, options, outputs, stack_name):
    """prepare's and converge's step: the file's path, or why there is
    none ('' when options give no directory). outputs: the stack's, or
    what reads them. The upgrade does not fail for the credentials file
    (a stack without Keystone has none)."""
    if not options.credentials_dir:
        return ''
    with run.step('Writing the credentials file'):
        try:
            return write(outputs() if callable(outputs) else outputs,
                         stack_name, options.credentials_dir)
        except WorkflowError as exc:
            return 'not written: %s' % exc
