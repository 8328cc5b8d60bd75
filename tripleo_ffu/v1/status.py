"""openstack overcloud ffwd-upgrade status."""

import logging

from cliff import columns
from osc_lib.cli import format_columns
from osc_lib.command import command
from osc_lib import exceptions
from osc_lib.i18n import _

from tripleo_ffu.v1 import common
from tripleo_ffu.v1 import options


class PhasesColumn(columns.FormattableColumn):
    """status' run_phases: a line per phase in a table, the mapping in
    JSON and YAML."""

    def human_readable(self):
        return '\n'.join(
            '%s: %d of %d nodes%s' % (
                phase, run['nodes_done'], run['nodes'],
                ', last at %s' % run['last_at'] if run['last_at']
                else ', never run')
            for phase, run in self._value.items())

    def machine_readable(self):
        return dict(self._value)


class NodesColumn(columns.FormattableColumn):
    """status' nodes: a line per node in a table, the mapping in JSON and
    YAML."""

    def human_readable(self):
        return '\n'.join(
            '%s (%s): done %s; left %s' % (
                host, node['role'], ', '.join(node['done']) or 'nothing',
                ', '.join(node['left']) or 'nothing')
            for host, node in sorted(self._value.items()))

    def machine_readable(self):
        return dict(self._value)


class RolesColumn(columns.FormattableColumn):
    """status' roles: a line per role in a table, the mapping in JSON and
    YAML."""

    def human_readable(self):
        lines = []
        for role, nodes in sorted(self._value.items()):
            line = '%s: %d of %d nodes through every phase' % (
                role, len(nodes['done']),
                len(nodes['done']) + len(nodes['left']))
            if nodes['left']:
                line += '; left: %s' % ', '.join(nodes['left'])
            lines.append(line)
        return '\n'.join(lines)

    def machine_readable(self):
        return dict(self._value)


class Status(command.ShowOne):
    """Show where the fast-forward upgrade of a stack stands.

    Reads the stack, the config dir, the plan, the run's journal and lock;
    changes nothing and can run while another command works.
    """

    log = logging.getLogger(__name__ + '.Status')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        options.add_stack_option(parser)
        options.add_config_dir_option(parser,
                                      _('Where prepare put the config'))
        return parser

    def take_action(self, parsed_args):
        from tripleo_ffu import conf
        from tripleo_ffu.workflow import errors
        from tripleo_ffu.workflow import status

        try:
            config_dir = common.config_dir(parsed_args, conf.load())
            common.guard_secrets(config_dir)
            report = status.status(
                self.app.client_manager.orchestration, parsed_args.stack,
                config_dir)
        except errors.WorkflowError as exc:
            raise exceptions.CommandError(str(exc))
        report['commits'] = format_columns.ListColumn(report['commits'])
        report['run_phases'] = PhasesColumn(report['run_phases'])
        report['roles'] = RolesColumn(report['roles'])
        report['nodes'] = NodesColumn(report['nodes'])
        return tuple(report), tuple(report.values())
