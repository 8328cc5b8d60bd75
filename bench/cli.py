#!/usr/bin/env python3
"""How much the plugin adds to the `openstack` CLI's start.

Times `openstack --help` and `openstack help overcloud ffwd-upgrade run`
with the plugin installed (the project's .venv) and without it (a
hard-linked copy of .venv with tripleo-ffu's distribution removed), in
the same invocation, alternating the two, median of N runs each. Prints
a table and the differences; exits 0 (a benchmark, not a test).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, '.venv')
COMMANDS = (('openstack --help', ['--help']),
            ('openstack help overcloud ffwd-upgrade run',
             ['help', 'overcloud', 'ffwd-upgrade', 'run']))


def venv_without_plugin(work):
    """A copy of .venv (hard links: seconds) without tripleo-ffu."""
    copy = os.path.join(work, 'venv')
    subprocess.run(['cp', '-al', VENV, copy], check=True)
    site = os.path.join(copy, 'lib', 'python%d.%d' % sys.version_info[:2],
                        'site-packages')
    for name in os.listdir(site):
        if 'tripleo_ffu' in name:
            path = os.path.join(site, name)
            if os.path.isdir(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
    return copy


def seconds(venv, args, cache):
    env = dict(os.environ, XDG_CACHE_HOME=cache)
    started = time.perf_counter()
    result = subprocess.run(
        [os.path.join(venv, 'bin', 'python'), '-m', 'openstackclient.shell']
        + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    return elapsed, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=7)
    options = parser.parse_args()
    work = tempfile.mkdtemp(prefix='tripleo-ffu-bench-cli-')
    try:
        variants = {'with plugin': VENV,
                    'without plugin': venv_without_plugin(work)}
        caches = {name: os.path.join(work, 'cache-%d' % number)
                  for number, name in enumerate(variants)}
        rows = []
        for label, args in COMMANDS:
            times = {name: [] for name in variants}
            for name, venv in variants.items():  # warm the caches
                seconds(venv, args, caches[name])
            for _ in range(options.runs):
                for name, venv in variants.items():
                    elapsed, result = seconds(venv, args, caches[name])
                    times[name].append(elapsed)
            with_plugin = statistics.median(times['with plugin'])
            without = statistics.median(times['without plugin'])
            rows.append((label, with_plugin, without))
        print('%-44s %12s %15s %10s %7s' % (
            'command', 'with plugin', 'without plugin', 'added', 'ratio'))
        for label, with_plugin, without in rows:
            print('%-44s %10.3f s %13.3f s %7.0f ms %7.2f' % (
                label, with_plugin, without, (with_plugin - without) * 1000,
                with_plugin / without))
        print('(median of %d runs each, alternated; target: the plugin adds '
              'under 50 ms to `openstack --help`)' % options.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
