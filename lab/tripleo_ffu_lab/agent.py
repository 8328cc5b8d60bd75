"""The lab's stand-in for the nodes' heat agents (os-collect-config and
heat-config-notify), for the stacks built from THT's packages.

THT's templates make hundreds of software deployments, each waiting for
the node's agent to say it has run. Lab nodes run no agent, and Heat 24
refuses NO_SIGNAL as a default signal transport (heat.conf allows only
CFN_SIGNAL, TEMP_URL_SIGNAL, HEAT_SIGNAL, ZAQAR_SIGNAL). So this process
does what the agents' notification does through Heat's API: it marks each
deployment Heat has made COMPLETE, with an empty output and status 0;
THT's SshHostPubKey deployment (its config's outputs: rsa, ecdsa,
ed25519, each the `cat` of a /etc/ssh/ssh_host_<type>_key.pub) gets the
host keys of the lab's sshd, which serves every node, as the node's
agent would report them.
It runs beside heat-all (`tripleo-ffu-lab up --tht packages`) and stops
with it (`down`).

It finds the waiting deployments in Heat's database, not through Heat's
API: listing them there (every deployment with its inputs, each second)
took about 15 % of heat-all's CPU during the HA overcloud's stack
updates, and more in its API.
"""

import argparse
import collections
import logging
import os
import sys
import time

from tripleo_ffu_lab import layout
from tripleo_ffu_lab import mariadb
from tripleo_ffu_lab import procs
from tripleo_ffu_lab import sshd

LOG = logging.getLogger(__name__)

NAME = 'heat-agent'
# What an agent that ran a deployment's config without error reports.
DONE = {'deploy_stdout': '', 'deploy_stderr': '', 'deploy_status_code': 0}
REASON = 'Completed by the tripleo-ffu lab (no agent on lab nodes)'


# The outputs of THT's SshHostPubKeyConfig (host_public_key.yaml).
HOST_KEY_OUTPUTS = {'rsa', 'ecdsa', 'ed25519'}
# A deployment made and not yet signalled, as Heat's database has it.
Waiting = collections.namedtuple('Waiting', 'id config_id')
WAITING_SQL = ("SELECT id, config_id FROM heat.software_deployment "
               "WHERE status = 'IN_PROGRESS'")


def waiting(lab):
    """The deployments Heat has made and no agent has signalled."""
    return [Waiting(*row) for row in mariadb.query(
        lab, WAITING_SQL, 'listing the waiting deployments')]


def _outputs(heat, deployment, host_keys):
    """What the node's agent reports for this deployment."""
    config = heat.software_configs.get(deployment.config_id)
    names = {output.get('name') for output in config.outputs or []}
    values = dict(DONE)
    if names and names <= HOST_KEY_OUTPUTS:
        # `cat key.pub > $heat_outputs_path.<type>`: with its newline.
        values.update((name, host_keys[name] + '\n')
                      for name in names if name in host_keys)
    return values


def complete_waiting(heat, deployments, host_keys=None):
    """Mark each of the waiting deployments complete: the count."""
    for deployment in deployments:
        heat.software_deployments.update(
            deployment.id, status='COMPLETE', status_reason=REASON,
            output_values=_outputs(heat, deployment, host_keys or {}))
    return len(deployments)


def serve(lab, heat, interval=1.0, sleep=time.sleep, host_keys=None):
    """Complete deployments as Heat makes them, until stopped."""
    total = 0
    while True:
        try:
            done = complete_waiting(heat, waiting(lab), host_keys)
        except Exception as exc:  # Heat restarting, a deployment deleted
            LOG.warning('cannot complete the waiting deployments: %s', exc)
            done = 0
        if done:
            total += done
            LOG.info('completed %d deployment(s), %d in all', done, total)
        sleep(interval)


def start(lab, heat_endpoint):
    """Start the agent beside heat-all (once): True if started."""
    if procs.running_pid(lab, NAME):
        return False
    procs.start(lab, NAME, [sys.executable, '-m', 'tripleo_ffu_lab.agent',
                            '--lab-dir', lab.root,
                            '--endpoint', heat_endpoint,
                            '--host-keys', os.path.dirname(
                                sshd.host_key(lab))])
    return True


def stop(lab):
    return procs.stop(lab, NAME)


def main(argv=None):
    parser = argparse.ArgumentParser(prog='tripleo-ffu-lab-agent')
    parser.add_argument('--lab-dir', required=True,
                        help='the lab whose Heat database lists the '
                             'waiting deployments')
    parser.add_argument('--endpoint', required=True,
                        help='the lab Heat\'s orchestration endpoint')
    parser.add_argument('--interval', type=float, default=1.0)
    parser.add_argument('--host-keys', metavar='DIR',
                        help='where the nodes\' ssh_host_<type>_key.pub are')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                        format='%(asctime)s %(levelname)s %(message)s')
    for noisy in ('keystoneauth', 'heatclient', 'urllib3'):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from tripleo_ffu_lab import overcloud
    try:
        serve(layout.Lab(args.lab_dir), overcloud.client(args.endpoint),
              args.interval,
              host_keys=sshd.public_host_keys(None, args.host_keys)
              if args.host_keys else None)
    except KeyboardInterrupt:
        return 0


if __name__ == '__main__':
    sys.exit(main())
