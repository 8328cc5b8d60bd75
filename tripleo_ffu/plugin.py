"""OpenStackClient plugin: `openstack overcloud ffwd-upgrade ...`.

A plugin of its own (API name tripleo_ffu, command group
openstack.tripleo_ffu.v1), so that no other package's commands are
replaced. Kept import-light: `openstack --help` loads it every time.
"""

import os
import sys

API_NAME = 'tripleo_ffu'
API_VERSION_OPTION = 'os_tripleo_ffu_api_version'
DEFAULT_API_VERSION = '1'
API_VERSIONS = {'1': 'tripleo_ffu.plugin'}


def make_client(instance):
    """Our commands talk to Heat, through the orchestration client."""
    return instance.orchestration


def build_option_parser(parser):
    if 'ffwd-upgrade' in sys.argv:
        # Before the client logs its command line (at --debug): secrets
        # are masked from the first log record of our commands on.
        from tripleo_ffu.workflow import secrets
        secrets.guard(secrets.from_argv(sys.argv) | secrets.from_environ())
    parser.add_argument(
        '--os-tripleo-ffu-api-version', metavar='<tripleo-ffu-api-version>',
        default=os.environ.get('OS_TRIPLEO_FFU_API_VERSION',
                               DEFAULT_API_VERSION),
        help='tripleo-ffu command version, default=%s '
             '(Env: OS_TRIPLEO_FFU_API_VERSION)' % DEFAULT_API_VERSION)
    return parser
