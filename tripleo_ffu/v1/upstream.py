"""Upstream's options, so that scripts written for python-tripleoclient's
ffwd-upgrade commands (stable/queens to stable/stein) and the
tripleo-upgrade role run unchanged.

prepare and converge inherited every option of `overcloud deploy`. Those
that mean something here are read by the commands (see options and
common); the others are accepted, and each one given says in one line on
stderr why it changes nothing here. None is silently ignored.
"""

from osc_lib.i18n import _

DEFAULT_TEMPLATES = '/usr/share/openstack-tripleo-heat-templates/'
DEFAULT_ENV_DIRECTORY = '~/.tripleo/environments'
# Upstream adds this variable's directory after the --environment-directory
# ones.
ENV_DIRECTORY_VARIABLE = 'TRIPLEO_ENVIRONMENT_DIRECTORY'
SSH_NETWORK = 'ctlplane'
REGISTRATION_REGISTRY = ('extraconfig/pre_deploy/rhel-registration/'
                         'rhel-registration-resource-registry.yaml')

# Deprecated deploy options that set stack parameters, as upstream's
# _update_parameters did: (option, type, parameters).
PARAMETER_OPTIONS = (
    ('--ntp-server', str, ('NtpServer',)),
    ('--control-scale', int, ('ControllerCount',)),
    ('--compute-scale', int, ('ComputeCount',)),
    ('--ceph-storage-scale', int, ('CephStorageCount',)),
    ('--block-storage-scale', int, ('BlockStorageCount',)),
    ('--swift-storage-scale', int, ('ObjectStorageCount',)),
    ('--control-flavor', str, ('OvercloudControlFlavor',
                               'OvercloudControllerFlavor')),
    ('--compute-flavor', str, ('OvercloudComputeFlavor',)),
    ('--ceph-storage-flavor', str, ('OvercloudCephStorageFlavor',)),
    ('--block-storage-flavor', str, ('OvercloudBlockStorageFlavor',)),
    ('--swift-storage-flavor', str, ('OvercloudObjectStorageFlavor',
                                     'OvercloudSwiftStorageFlavor')),
)
# --rhel-reg's companions: (option, parameter, argparse kwargs).
REGISTRATION_OPTIONS = (
    ('--reg-method', 'rhel_reg_method',
     {'choices': ('satellite', 'portal'), 'default': 'satellite'}),
    ('--reg-org', 'rhel_reg_org', {'default': '', 'metavar': '<org>'}),
    ('--reg-force', 'rhel_reg_force', {'action': 'store_true'}),
    ('--reg-sat-url', 'rhel_reg_sat_url',
     {'default': '', 'metavar': '<url>'}),
    ('--reg-activation-key', 'rhel_reg_activation_key',
     {'default': '', 'metavar': '<key>'}),
)
FLAG = {'action': 'store_true'}
VALUE = {'metavar': '<value>'}

_VALIDATIONS = _('tripleo-ffu runs no Mistral validations (its own checks '
                 'of the inputs and the stack always run)')
_CONFIG_DOWNLOAD = _('prepare always downloads the config and converge '
                     'updates the stack, as upstream\'s ffwd-upgrade '
                     'commands did')
_POSTCONFIG = _('the post-deploy configuration (the endpoints of a new '
                'overcloud) is never run by the ffwd-upgrade commands')
# (flags, argparse kwargs, why it changes nothing here), for prepare and
# converge.
NO_EFFECT = (
    (('--validation-errors-nonfatal',), FLAG, _VALIDATIONS),
    (('--validation-warnings-fatal',), FLAG, _VALIDATIONS),
    (('--disable-validations',), FLAG, _VALIDATIONS),
    (('--run-validations',), FLAG, _VALIDATIONS),
    (('--inflight-validations',), FLAG, _VALIDATIONS),
    (('--libvirt-type',), {'choices': ('kvm', 'qemu')},
     _('upstream set NovaComputeLibvirtType only when creating a stack; '
       'give it in an environment file')),
    (('--no-proxy',), VALUE,
     _('upstream used it only for the post-deploy configuration of a new '
       'overcloud')),
    (('--plan-environment-file', '-p'), VALUE,
     _('there is no Swift plan here: give its parameter_defaults in an '
       'environment file (-e)')),
    (('--no-cleanup',), FLAG,
     _('tripleo-ffu keeps the environments it generates in '
       '<config-dir>/ffu-environments')),
    (('--skip-postconfig',), FLAG, _POSTCONFIG),
    (('--force-postconfig',), FLAG, _POSTCONFIG),
    (('--skip-deploy-identifier',), FLAG,
     _('tripleo-ffu never sets DeployIdentifier')),
    (('--disable-password-generation',), FLAG,
     _('tripleo-ffu keeps the stack\'s passwords and generates only those '
       'it lacks (give them with -e to have none generated)')),
    (('--config-download',), FLAG, _CONFIG_DOWNLOAD),
    (('--no-config-download', '--stack-only'), FLAG, _CONFIG_DOWNLOAD),
    (('--config-download-only',), FLAG, _CONFIG_DOWNLOAD),
    (('--config-download-timeout',),
     {'type': int, 'metavar': '<minutes>'},
     _('--timeout is the stack update\'s; `ffwd-upgrade run` runs the '
       'config')),
    (('--output-dir',), VALUE, _('the config goes to --config-dir')),
    (('--override-ansible-cfg',), VALUE,
     _('tripleo-ffu gives Ansible its own settings (see `ffwd-upgrade run '
       '--help`)')),
    (('--deployment-python-interpreter',), VALUE,
     _('Ansible finds the nodes\' Python itself and tripleo-ffu runs no '
       'deployment action on the undercloud')),
    (('--deployed-server',), FLAG,
     _('nothing to change: tripleo-ffu never asks Nova or Ironic for the '
       'nodes, it reaches them at the stack\'s addresses, pre-provisioned '
       'or not')),
)
UPDATE_PLAN_ONLY = {
    'prepare': _('prepare only recomputes the stack\'s outputs anyway (what '
                 'upstream\'s prepare forced this option on for)'),
    'converge': _('converge updates the stack all the same: there is no '
                  'Swift plan here, and a plan-only converge left the stack '
                  'prepared (a known upstream bug)'),
}


def _dest(flags):
    return 'upstream_' + flags[0].lstrip('-').replace('-', '_')


def add_deploy_options(parser, command):
    """`overcloud deploy`'s options that prepare and converge accept
    without meaning (each given says why), and those that set
    parameters."""
    group = parser.add_argument_group(
        _('Options of upstream\'s overcloud deploy'),
        _('Accepted so that scripts written for upstream run unchanged; '
          'those that change nothing here say why on stderr'))
    for option, kind, _parameters in PARAMETER_OPTIONS:
        group.add_argument(option, type=kind, metavar='<value>',
                           help=_('Sets %s, as upstream did (deprecated: '
                                  'give it in an environment file)')
                           % ', '.join(_parameters))
    group.add_argument('--rhel-reg', action='store_true',
                       help=_('Register the nodes with THT\'s '
                              'rhel-registration environment, as upstream '
                              'did'))
    for option, _parameter, kwargs in REGISTRATION_OPTIONS:
        group.add_argument(option, help=_('For --rhel-reg'), **kwargs)
    group.add_argument('--answers-file', metavar='<file>',
                       help=_('YAML file with "templates" and '
                              '"environments" (before the -e files)'))
    group.add_argument(
        '--overcloud-ssh-network', default=SSH_NETWORK, metavar='<network>',
        help=_('Only %s: the inventory reaches the nodes there') %
        SSH_NETWORK)
    group.add_argument('--update-plan-only', action='store_true',
                       help=UPDATE_PLAN_ONLY[command])
    for flags, kwargs, why in NO_EFFECT:
        group.add_argument(*flags, dest=_dest(flags), help=why, **kwargs)


def given(parsed_args, flags):
    value = getattr(parsed_args, _dest(flags), None)
    return value not in (None, False)


def notices(parsed_args, command):
    """One line per option given that changes nothing here."""
    lines = []
    for flags, _kwargs, why in NO_EFFECT:
        if given(parsed_args, flags):
            lines.append('%s: %s' % (flags[0], why))
    if parsed_args.update_plan_only:
        lines.append('--update-plan-only: %s' % UPDATE_PLAN_ONLY[command])
    if parsed_args.overcloud_ssh_network != SSH_NETWORK:
        lines.append(_('--overcloud-ssh-network: the inventory reaches the '
                       'nodes on %s, as tripleo-ansible-inventory does') %
                     SSH_NETWORK)
    if not parsed_args.rhel_reg:
        for option, parameter, kwargs in REGISTRATION_OPTIONS:
            if getattr(parsed_args, parameter[5:]) != kwargs.get('default',
                                                                 False):
                lines.append(_('%s: used only with --rhel-reg, as upstream')
                             % option)
    return lines


def parameters(parsed_args):
    """parameter_defaults from the deprecated parameter options, and the
    registration parameters with --rhel-reg."""
    found = {}
    for option, _kind, names in PARAMETER_OPTIONS:
        value = getattr(parsed_args, option[2:].replace('-', '_'))
        if value is not None:
            found.update(dict.fromkeys(names, value))
    if parsed_args.rhel_reg:
        for _option, parameter, _kwargs in REGISTRATION_OPTIONS:
            found[parameter] = getattr(parsed_args, parameter[5:])
    return found
