"""Progress a person can follow, from ansible-runner's events.

A line as each play starts and ends, the full Ansible output in a log
file, what failed (task, host, file, Ansible's message), the journal
updated at every play's end, and a final table per host.
"""

import collections
import re
import time

from tripleo_ffu.workflow import task_lists

COUNTS = ('ok', 'changed', 'failed', 'unreachable', 'skipped')
_ANSI = re.compile(r'\x1b\[[0-9;]*m')
_STEP_PLAY = re.compile(r'^(.+)-(\d+)$')
MAX_MESSAGE = 1000


def title(play):
    """'ffu-ocata-4' -> 'ffu-ocata step 4'; other ids as they are."""
    match = _STEP_PLAY.match(play)
    if match:
        return '%s step %s' % match.groups()
    return play


def _message(result):
    for key in ('msg', 'stderr', 'reason'):
        if result.get(key):
            return str(result[key])[:MAX_MESSAGE]
    return 'no message'


class Progress:
    """An ansible-runner event_handler."""

    def __init__(self, say, log_file, journal=None, redact=None,
                 limited=False):
        """limited: a run Ansible's --limit cuts to some nodes, where a
        play for other hosts (the undercloud's) rightly matches none."""
        self.redact = redact or (lambda text: text)
        self.limited = limited
        self.say = lambda line: say(self.redact(line))
        self.log = log_file
        self.journal = journal
        self.play = None
        self.pattern = None
        self.started = None
        self.counts = collections.Counter()
        self.hosts = set()
        self.failures = []
        self.stats = None
        # Per host, the tasks that ran there (includes not counted).
        self.worked = collections.Counter()

    def __call__(self, event):
        stdout = event.get('stdout')
        if stdout:
            self.log.write(self.redact(_ANSI.sub('', stdout)) + '\n')
            self.log.flush()
        kind = event.get('event')
        data = event.get('event_data') or {}
        if kind == 'playbook_on_play_start':
            self.end_play()
            self.pattern = data.get('play_pattern')
            self._start_play(data.get('play') or data.get('name') or '?')
        elif kind in ('runner_on_ok', 'runner_on_skipped',
                      'runner_on_failed', 'runner_on_unreachable'):
            self._result(kind, data)
        elif kind == 'playbook_on_no_hosts_matched':
            self._nothing_matched()
        elif kind == 'playbook_on_stats':
            self.end_play()
            self._add_stats(data)
        return True

    def _add_stats(self, data):
        """Ansible's per-host counts, summed over the runs (one per
        phase) this handler follows."""
        if self.stats is None:
            self.stats = {}
        for key, per_host in data.items():
            if not isinstance(per_host, dict):
                continue
            total = self.stats.setdefault(key, {})
            for host, count in per_host.items():
                if isinstance(count, int):
                    total[host] = total.get(host, 0) + count

    def _start_play(self, play):
        self.play = play
        self.started = time.monotonic()
        self.counts = collections.Counter()
        self.hosts = set()
        self.say('%s ...' % title(play))
        if self.journal:
            self.journal.mark(play, 'running')

    def _result(self, kind, data):
        host = data.get('host')
        result = data.get('res') or {}
        if host:
            self.hosts.add(host)
        if data.get('task_action') in task_lists.INCLUDE_KEYS and kind in (
                'runner_on_ok', 'runner_on_skipped'):
            return  # the plan's role includes: no work of their own
        if kind == 'runner_on_skipped':
            self.counts['skipped'] += 1
        elif kind == 'runner_on_ok' or data.get('ignore_errors'):
            self.counts['ok'] += 1
            self.worked[host] += 1
            if result.get('changed'):
                self.counts['changed'] += 1
        else:
            what = 'unreachable' if kind == 'runner_on_unreachable' \
                else 'failed'
            self.counts[what] += 1
            self.failures.append({
                'play': self.play, 'task': data.get('task'), 'host': host,
                'file': data.get('task_path'),
                'message': self.redact(_message(result)),
                'unreachable': what == 'unreachable'})

    def _nothing_matched(self):
        """A play that reaches no host upgrades nothing: a failure, never
        a success (a stack whose inventory lacks the play's group)."""
        if self.limited:
            return
        self.counts['failed'] += 1
        self.failures.append({
            'play': self.play, 'task': '(the play)',
            'host': 'no host of %r' % self.pattern, 'file': None,
            'message': 'the play matched no host of the inventory: check '
                       'that the inventory has the groups the stack\'s '
                       'playbooks name', 'unreachable': False})

    def idle_hosts(self, hosts):
        """The hosts of the run that ran no task at all."""
        return [host for host in hosts if not self.worked[host]]

    @property
    def play_failed(self):
        return bool(self.counts['failed'] or self.counts['unreachable'])

    def end_play(self):
        """Close the current play: its line, and the journal."""
        if self.play is None:
            return
        seconds = time.monotonic() - self.started
        hosts = len(self.hosts)
        self.say('%s: %d host%s, %d ok, %d changed, %d failed%s, %.1f s' % (
            title(self.play), hosts, '' if hosts == 1 else 's',
            self.counts['ok'], self.counts['changed'], self.counts['failed'],
            ', %d unreachable' % self.counts['unreachable']
            if self.counts['unreachable'] else '', seconds))
        if self.journal:
            self.journal.mark(self.play, 'failed' if self.play_failed
                              else 'done', seconds)
        self.play = None

    def abandon_play(self):
        """Ansible stopped inside the current play (no stats came): the
        play did not complete, whatever its results so far."""
        if self.play is None:
            return
        self.say('%s: interrupted after %.1f s' % (
            title(self.play), time.monotonic() - self.started))
        if self.journal:
            self.journal.mark(self.play, 'interrupted')
        self.play = None

    def host_table(self):
        """Lines of the final table, per host, from Ansible's stats."""
        if not self.stats:
            return []
        keys = (('ok', 'ok'), ('changed', 'changed'), ('failures', 'failed'),
                ('dark', 'unreachable'), ('skipped', 'skipped'))
        hosts = sorted({host for key, _ in keys
                        for host in self.stats.get(key) or {}})
        width = max([len(host) for host in hosts] + [4])
        lines = ['%-*s  %s' % (width, 'host', '  '.join(
            '%11s' % label for _, label in keys))]
        for host in hosts:
            lines.append('%-*s  %s' % (width, host, '  '.join(
                '%11d' % (self.stats.get(key) or {}).get(host, 0)
                for key, _ in keys)))
        return lines
