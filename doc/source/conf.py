"""Sphinx configuration of the tripleo-ffu documentation."""

import copy
import os
import re

from cliff import sphinxext as cliff_sphinxext

_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

project = 'tripleo-ffu'
copyright = '2026, tripleo-ffu developers'
extensions = [
    # reference.rst: the commands and their options, from their parsers.
    'cliff.sphinxext',
    # configuration.rst: the options, and the sample file generated at
    # build time into _generated/ (ignored by git).
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
]
master_doc = 'index'
exclude_patterns = ['_generated']
html_theme = 'alabaster'
# Quotes and ellipses only: "--resume" stays two hyphens, in command
# help too.
smartquotes_action = 'qe'

# cliff.sphinxext
autoprogram_cliff_application = 'openstack'

# oslo_config.sphinxconfiggen: [(generator config, output file without
# ".conf.sample", relative to this directory)].
config_generator_config_file = [
    (os.path.join(_ROOT, 'etc', 'tripleo-ffu-config-generator.conf'),
     '_generated/tripleo-ffu'),
]

# cliff renders option help as reStructuredText; ours is plain text, where
# a word such as "*.j2.yaml" would open an emphasis that never closes.
_OPENING_STAR = re.compile(r'(?<![\w\\*`])\*(?=\S)')


def _plain_help(format_action):
    def format_plain(action):
        if isinstance(action.help, str):
            action = copy.copy(action)
            action.help = _OPENING_STAR.sub(r'\\*', action.help)
        return format_action(action)
    return format_plain


cliff_sphinxext._format_optional_action = _plain_help(
    cliff_sphinxext._format_optional_action)
cliff_sphinxext._format_positional_action = _plain_help(
    cliff_sphinxext._format_positional_action)
