"""tripleo-ffu-lab: bring the undercloud lab up, down, back to newton."""

import argparse
import json
import logging
import signal
import sys
import time

from tripleo_ffu_lab import control
from tripleo_ffu_lab import layout
from tripleo_ffu_lab import nodes
from tripleo_ffu_lab import procs
from tripleo_ffu.workflow import errors

LOG = logging.getLogger('tripleo_ffu_lab')


def build_parser():
    parser = argparse.ArgumentParser(
        prog='tripleo-ffu-lab',
        description='A real Heat on MariaDB holding a deployed Newton '
                    'overcloud whose nodes answer over SSH on loopback.')
    parser.add_argument('--lab-dir', default=layout.default_lab_dir(),
                        help='where the lab keeps its files and services '
                             '(default: $TRIPLEO_FFU_LAB_DIR or %(default)s)')
    parser.add_argument('--debug', action='store_true',
                        help='show debug messages and tracebacks')
    commands = parser.add_subparsers(dest='command', required=True,
                                     metavar='COMMAND')
    up = commands.add_parser(
        'up', help='install what is missing, start the services, deploy '
                   'the newton overcloud (reuses what already runs)')
    up.add_argument('--controllers', type=int, metavar='N',
                    help='Controller nodes of a new stack (default 3)')
    up.add_argument('--computes', type=int, metavar='N',
                    help='Compute nodes of a new stack (default 2)')
    up.add_argument('--extra-services', type=int, metavar='N',
                    help='bulk services added to every role by the queens '
                         'templates, for benchmarks (default 0; kept '
                         'until changed)')
    up.add_argument('--tasks-per-service', type=int, metavar='M',
                    help='fast-forward upgrade tasks of each bulk service, '
                         'rounded up to a multiple of 20 (default 100)')
    up.add_argument('--tht', choices=control.THT_SOURCES,
                    help='templates of a new stack: the lab\'s own small '
                         'ones (default, fast), or the tripleo-heat-'
                         'templates packages (THT 5.3 newton deployed, 8.4 '
                         'queens for prepare and converge; minutes): '
                         'packages with keystone-only roles, packages-ha '
                         'with THT\'s default services and Pacemaker')
    commands.add_parser('down', help='stop every lab process, keep the '
                                     'lab dir for inspection')
    status = commands.add_parser('status', help='show what runs where, the '
                                                'stack and the nodes')
    status.add_argument('--format', choices=('table', 'json'),
                        default='table')
    node = commands.add_parser(
        'node', help='stop or start one node\'s SSH (its own sshd on its '
                     'address): stopped, it refuses connections and its '
                     'sessions end, as a lost node')
    node.add_argument('action', choices=control.NODE_ACTIONS)
    node.add_argument('name', help='the node\'s host name, as `status` '
                                   'lists it')
    reset = commands.add_parser('reset', help='redeploy the newton overcloud '
                                              'and its nodes from scratch')
    reset.add_argument('--nodes', action='store_true',
                       help='only bring the node trees back to newton; '
                            'keep the stack as it is')
    return parser


def _counts(args):
    if args.controllers is None and args.computes is None:
        return None
    counts = {'controllers': 3 if args.controllers is None
              else args.controllers,
              'computes': 2 if args.computes is None else args.computes}
    if counts['controllers'] < 1 or counts['computes'] < 0:
        raise procs.LabError('a lab needs at least one controller and no '
                             'negative node count')
    return counts


def _bulk(args):
    if args.extra_services is None and args.tasks_per_service is None:
        return None
    bulk = {'services': args.extra_services or 0,
            'tasks': 100 if args.tasks_per_service is None
            else args.tasks_per_service}
    if bulk['services'] < 0 or bulk['tasks'] < 1:
        raise procs.LabError('--extra-services cannot be negative and '
                             '--tasks-per-service must be at least 1')
    return bulk


def format_status(report):
    lines = ['Lab dir:     %s' % report['lab_dir'],
             'Heat:        openstack-heat %s' % report['heat_version']]
    for proc in report['processes']:
        where = ('%s:%s' % (proc.get('address', '127.0.0.1'), proc['port'])
                 if proc['port'] else '-')
        state = 'running, pid %d' % proc['pid'] if proc['pid'] else 'stopped'
        lines.append('  %-10s %-17s %s' % (proc['name'], where, state))
    stack = report['stack']
    if stack:
        lines.append('Stack:       %s %s (%s)' % (stack['name'],
                                                  stack['status'],
                                                  stack['endpoint']))
    else:
        lines.append('Stack:       none')
    if report['nodes']:
        lines.append('Nodes:       (SSH as %s with %s)'
                     % (report['ssh_user'], report['ssh_key']))
        for node in report['nodes']:
            services = ', '.join('%s %s' % item
                                 for item in sorted(node['services'].items()))
            databases = ', '.join('%s schema %s' % item for item in
                                  sorted(node['databases'].items()))
            lines.append('  %-24s %-10s %-10s %-8s %s%s%s%s' % (
                node['hostname'], node['address'], node['role'],
                node['release'],
                'SSH stopped; ' if node['ssh'] == 'stopped' else '',
                'bootstrap; ' if node['bootstrap'] else '', services,
                ('; ' + databases) if databases else ''))
            if node.get('containers'):
                lines.append('%49s containers: %s' % (
                    '', ', '.join(node['containers'])))
            if node.get('upgrade_left'):
                lines.append('%49s left to queens: %s' % (
                    '', '; '.join(node['upgrade_left'])))
    for problem in report.get('overcloud_left') or ():
        lines.append('Left:        %s' % problem)
    lines.append('Templates:   %s (queens, for prepare and converge)'
                 % report['templates']['queens'])
    if report.get('upgrade_arguments'):
        lines.append('Upgrade:     prepare and converge with %s'
                     % ' '.join(report['upgrade_arguments']))
    lines.append('Credentials: source %s' % report['stackrc'])
    return '\n'.join(lines)


def _terminated(signum, frame):
    """SIGTERM ends a command as Ctrl-C does: a failing `up` or `reset`
    stops what it started."""
    raise KeyboardInterrupt


def main(argv=None):
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    # force: tripleo_common.inventory, imported with the workflow, sets up
    # a WARNING handler of its own, which hid every step of the lab.
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, force=True,
        format='%(asctime)s %(levelname)s %(message)s', datefmt='%H:%M:%S')
    # Heat's and keystoneauth's clients are chatty at INFO, and at DEBUG
    # show the requests' bodies (the stack's passwords): --debug is ours.
    for noisy in ('keystoneauth', 'heatclient', 'urllib3'):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.debug:
        for ours in ('tripleo_ffu', 'tripleo_ffu_lab'):
            logging.getLogger(ours).setLevel(logging.DEBUG)
    lab = layout.Lab(args.lab_dir)
    started = time.monotonic()
    try:
        if args.command == 'up':
            control.up(lab, _counts(args), _bulk(args), args.tht)
            print(format_status(control.status(lab)))
        elif args.command == 'reset':
            control.reset(lab, nodes_only=args.nodes)
            print(format_status(control.status(lab)))
        elif args.command == 'node':
            changed = control.node(lab, args.action, args.name)
            print('%s: SSH %s%s' % (
                args.name, 'stopped' if args.action == 'stop' else 'started',
                '' if changed else ' (it already was)'))
        elif args.command == 'down':
            stopped = control.down(lab)
            print('Stopped: %s' % (', '.join(stopped) or 'nothing'))
            print('The lab dir %s is kept.' % lab.root)
        else:
            report = control.status(lab)
            if args.format == 'json':
                print(json.dumps(report, indent=2, sort_keys=True))
            else:
                print(format_status(report))
    except (procs.LabError, nodes.NodeError, errors.WorkflowError) as exc:
        if args.debug:
            LOG.exception('failed')
        print('tripleo-ffu-lab %s: error: %s' % (args.command, exc),
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('tripleo-ffu-lab %s: interrupted' % args.command,
              file=sys.stderr)
        return 130
    if args.command in ('up', 'reset'):
        LOG.info('%s took %.1f s', args.command, time.monotonic() - started)
    return 0


if __name__ == '__main__':
    sys.exit(main())
