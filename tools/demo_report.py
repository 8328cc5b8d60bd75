"""The demo's last word (tools/demo.sh): whether the lab's overcloud is
upgraded, and a summary of the FFU: nodes, services, tasks run and time
per phase.

  demo_report.py CONFIG_DIR PHASES < `tripleo-ffu-lab status --format json`

PHASES: a file of one line per phase the demo ran, "<seconds>\t<label>\t<log>"
(log: the Ansible log of a run, or -). Exits 1, saying what is left, when
a node or the overcloud's shared state is not upgraded.
"""

import collections
import json
import os
import re
import sys

import yaml

RECAP = re.compile(r'^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)'
                   r'\s+failed=(\d+)\s+skipped=(\d+)', re.M)


def behind(report):
    """What is not upgraded ([] when everything is)."""
    found = []
    for node in report['nodes']:
        left = node.get('upgrade_left')
        if left:
            found.append('%s (%s)' % (node['hostname'], '; '.join(left)))
        elif node['release'] != 'queens' or (
                left is None and set(node['services'].values()) !=
                {'running'}):
            # The lab's own nodes run every service when upgraded.
            found.append(node['hostname'])
    return found + list(report.get('overcloud_left') or ())


def tasks_run(log):
    """Tasks Ansible ran (ok, changed included) per host, over the
    log's PLAY RECAPs."""
    counts = collections.Counter()
    if log == '-' or not os.path.isfile(log):
        return counts
    with open(log, errors='replace') as source:
        for host, ok, *_ in RECAP.findall(source.read()):
            counts[host] += int(ok)
    return counts


def services(config_dir, role):
    try:
        with open(os.path.join(config_dir, role,
                               'service_names.yaml')) as source:
            return len(yaml.safe_load(source) or [])
    except OSError:
        return None


def summary(report, config_dir, phases):
    roles = collections.Counter(node['role'] for node in report['nodes'])
    lines = ['Summary',
             '  nodes:    %s' % ', '.join(
                 '%d %s' % (count, role) for role, count in roles.items()),
             '  services: %s (queens RoleData)' % ', '.join(
                 '%s %s' % (role, services(config_dir, role))
                 for role in roles),
             '  %8s %10s  %s' % ('seconds', 'tasks run', 'phase')]
    total_seconds = total_tasks = 0
    for seconds, label, log in phases:
        tasks = sum(tasks_run(log).values())
        total_seconds += seconds
        total_tasks += tasks
        lines.append('  %8d %10s  %s' % (seconds, tasks if log != '-'
                                         else '', label))
    lines.append('  %8d %10d  %s' % (total_seconds, total_tasks, 'all'))
    return '\n'.join(lines)


def main(argv):
    config_dir, phases_file = argv[1:3]
    report = json.load(sys.stdin)
    with open(phases_file) as source:
        phases = [(int(seconds), label, log) for seconds, label, log in
                  (line.rstrip('\n').split('\t') for line in source
                   if line.strip())]
    print(summary(report, config_dir, phases))
    left = behind(report)
    if left or not report['nodes']:
        sys.exit('not upgraded: %s' % ('; '.join(left) or 'no node'))
    print('All %d nodes run queens, nothing left.' % len(report['nodes']))


if __name__ == '__main__':
    main(sys.argv)
