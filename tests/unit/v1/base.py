"""What the prepare, converge and status command tests share."""

import io
import os
from unittest import mock

import fixtures
from osc_lib.test import base as utils
from oslo_config import cfg

from tripleo_ffu import conf


class CommandTest(utils.TestCommand):
    """No config file of this machine read, no $OVERCLOUD_STACK_NAME, a
    stdout that can flush, and upstream's default environment directory
    under a HOME of the test's own."""

    def setUp(self):
        super().setUp()
        # osc_lib's FakeStdout has no flush(), which the command calls.
        self.app.stdout = io.StringIO()
        self.app.stderr = io.StringIO()
        self.app.client_manager.orchestration = mock.Mock()
        self.useFixture(fixtures.EnvironmentVariable('OVERCLOUD_STACK_NAME'))
        self.useFixture(fixtures.EnvironmentVariable(
            'TRIPLEO_ENVIRONMENT_DIRECTORY'))
        self.home = self.useFixture(fixtures.TempHomeDir()).path
        self.default_config_dir = os.path.join(self.home, 'tripleo-ffu',
                                               'overcloud')
        self.env_directory = os.path.join(self.home, '.tripleo',
                                          'environments')
        # Defaults only.
        settings = cfg.ConfigOpts()
        settings.register_opts(conf.OPTS)
        self.useFixture(fixtures.MockPatchObject(conf, 'CONF', settings))
        self.useFixture(fixtures.MockPatchObject(conf, 'CONFIG_FILES', ()))

    def _parse(self, args, verify=()):
        return self.check_parser(self.cmd, args, list(verify))

    def _take_action(self, args):
        return self.cmd.take_action(self._parse(args))
