"""tripleo-ffu's settings that are not per-command flags.

A private ConfigOpts, so that we never touch another project's options.
Files read, later ones winning: /etc/tripleo-ffu/tripleo-ffu.conf,
~/.config/tripleo-ffu/tripleo-ffu.conf. The sample is generated with
oslo-config-generator (etc/tripleo-ffu-config-generator.conf).
"""

import os

from oslo_config import cfg

OPTS = [
    cfg.StrOpt('config_dir_base', default='~/tripleo-ffu',
               help='Directory holding one config dir per stack, used '
                    'when --config-dir is not given.'),
    cfg.StrOpt('credentials_dir', default='.',
               help='Directory where prepare and converge write the '
                    'overcloud\'s credentials file, <stack>rc (owner-only), '
                    'when --credentials-dir is not given: the working '
                    'directory by default, as upstream\'s overcloudrc.'),
    cfg.IntOpt('stack_update_timeout', default=240, min=1,
               help='Minutes a prepare or converge stack update may take.'),
    cfg.IntOpt('stack_update_stall_timeout', default=60, min=1,
               help='Minutes without any event from Heat after which a '
                    'prepare or converge stops waiting for a stack update '
                    'that is still in progress (Heat may have lost it).'),
    cfg.StrOpt('ssh_user', default='heat-admin',
               help='User Ansible logs in as on the overcloud nodes, when '
                    'prepare is not given --overcloud-ssh-user (upstream '
                    'queens\' default: a Newton overcloud has heat-admin, '
                    'not tripleo-admin).'),
    cfg.StrOpt('ssh_key', default='~/.ssh/id_rsa',
               help='Private key for that user, when prepare is not given '
                    '--overcloud-ssh-key and the file exists (upstream '
                    'queens\' default); otherwise ssh uses its own default '
                    'keys and agent.'),
]

CONFIG_FILES = ('/etc/tripleo-ffu/tripleo-ffu.conf',
                '~/.config/tripleo-ffu/tripleo-ffu.conf')

CONF = cfg.ConfigOpts()
CONF.register_opts(OPTS)


def load():
    """Read the config files once; return CONF."""
    if not getattr(CONF, '_tripleo_ffu_loaded', False):
        files = [os.path.expanduser(path) for path in CONFIG_FILES
                 if os.path.exists(os.path.expanduser(path))]
        CONF([], project='tripleo-ffu', default_config_files=files)
        CONF._tripleo_ffu_loaded = True
    return CONF


def list_opts():
    """For oslo-config-generator."""
    return [('DEFAULT', OPTS)]
