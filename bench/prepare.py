#!/usr/bin/env python3
"""prepare's local phases against tripleo-common's download alone.

On the stack of a running lab (`tripleo-ffu-lab up`, stack deployed or
prepared with the queens templates), in the same invocation, alternating:

* tripleo-common's `Config.download_config` into a fresh directory;
* prepare's local phases into a fresh directory: the download (the same
  call, plus our owner-only permissions and git), the task-ordering fixes
  and their commit, the plan compiled and written, the inventory built and
  written, and its commit.

The stack update is left out: it is Heat's time, the same for any tool.
Prints a table (median of N runs) and the ratio; exits 0.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tripleo_ffu_lab import heat as lab_heat  # noqa: E402
from tripleo_ffu_lab import layout  # noqa: E402
from tripleo_ffu_lab import overcloud  # noqa: E402
from tripleo_ffu.workflow import config_download  # noqa: E402
from tripleo_ffu.workflow import fixers  # noqa: E402
from tripleo_ffu.workflow import inventory  # noqa: E402
from tripleo_ffu.workflow import plan_compiler  # noqa: E402
from tripleo_ffu.workflow import plan_file  # noqa: E402
from tripleo_ffu.workflow import stack as overcloud_stack  # noqa: E402
from tripleo_ffu.workflow import steps  # noqa: E402


def tripleo_common_download(heat, stack, work):
    from tripleo_common.utils import config as tripleo_config
    tripleo_config.Config(heat).download_config(
        stack, os.path.join(work, 'config'), preserve_config_dir=True)


def local_phases(heat, stack, work):
    config_dir = os.path.join(work, 'config')
    timer = steps.Steps()
    heat = overcloud_stack.FetchedOnce(heat)  # as prepare reads the stack
    with timer.step('download'):
        inventory.check_stack_names(overcloud_stack.outputs(heat, stack))
        config_download.download(heat, stack, config_dir)
    with timer.step('fix'):
        task_files = {}
        changes = fixers.fix_config(config_dir, fixers.load_fixers(),
                                    task_files)
        if changes:
            config_download.commit(config_dir,
                                   fixers.commit_message(changes))
    with timer.step('compile'):
        playbook, _ = plan_compiler.Compiler(config_dir, task_files).compile()
        plan_file.write(config_dir, playbook)
    with timer.step('inventory'):
        built = inventory.build(heat, stack, 'tripleo-admin', None,
                                os.path.join(config_dir, 'ssh_known_hosts'))
        inventory.write(built, os.path.join(config_dir,
                                            inventory.INVENTORY_FILE))
        config_download.commit(config_dir, 'plan and inventory')
    return dict(timer.timings)


def timed(function, *args):
    work = tempfile.mkdtemp(prefix='tripleo-ffu-bench-prepare-')
    try:
        started = time.perf_counter()
        detail = function(*args, work)
        return time.perf_counter() - started, detail
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--lab-dir', default=layout.default_lab_dir())
    parser.add_argument('--stack', default='overcloud')
    parser.add_argument('--runs', type=int, default=5)
    options = parser.parse_args()
    lab = layout.Lab(options.lab_dir)
    port = lab.load_state().get('ports', {}).get('heat')
    if not port or not lab_heat.api_ready(port):
        sys.exit('no running lab in %s: run `tripleo-ffu-lab up` first'
                 % options.lab_dir)
    heat = overcloud.client(lab_heat.endpoint(port))
    theirs, ours, phases = [], [], []
    timed(local_phases, heat, options.stack)  # warm the imports
    for _ in range(options.runs):
        theirs.append(timed(tripleo_common_download, heat,
                            options.stack)[0])
        seconds, detail = timed(local_phases, heat, options.stack)
        ours.append(seconds)
        phases.append(detail)
    outputs = overcloud.outputs(heat, options.stack)
    tasks = sum(len(data.get(section) or []) for data in
                (outputs.get('RoleData') or {}).values()
                for section in fixers.ROLE_SECTIONS)
    base, mine = statistics.median(theirs), statistics.median(ours)
    print('stack %s: %d roles, %d tasks in RoleData' % (
        options.stack, len(outputs.get('RoleData') or {}), tasks))
    print('%-46s %9s' % ('what', 'seconds'))
    print('%-46s %9.3f' % ("tripleo-common's download_config alone", base))
    print('%-46s %9.3f' % ("prepare's local phases", mine))
    for name in phases[0]:
        print('  %-44s %9.3f' % (name, statistics.median(
            detail[name] for detail in phases)))
    print('%-46s %9.2f' % ('ratio (local phases / download alone)',
                           mine / base))
    print('(median of %d runs each, alternated; target: ratio at most 1.5)'
          % options.runs)
    return 0


if __name__ == '__main__':
    sys.exit(main())
