"""Secrets never reach our output, logs or error messages.

The stack's secrets come down with the config: each role's
config_settings (hiera) hold its services' passwords. A run collects the
values under secret-looking keys and masks them wherever we print or log
what Ansible said (a failing task's command line or message may hold one).
"""

import os
import re

import yaml

from tripleo_ffu.workflow import yamlfile

MASK = '********'
# Hiera keys that hold secrets: keystone::admin_password,
# rabbitmq::default_pass, *::secret_key, *_token...
SECRET_KEY = re.compile(r'(passw|_pass$|::pass$|secret|token|private_key|'
                        r'api_key|_key$)', re.IGNORECASE)
SETTINGS_FILES = ('config_settings.yaml', 'global_config_settings.yaml',
                  'service_config_settings.yaml')
# Shorter values are not masked: "ok", "true" or a port would blank out
# half the output and hide nothing.
MIN_LENGTH = 6


def _walk(data, found):
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str) and SECRET_KEY.search(str(key)):
                if len(value) >= MIN_LENGTH:
                    found.add(value)
            else:
                _walk(value, found)
    elif isinstance(data, list):
        for item in data:
            _walk(item, found)


def collect(config_dir):
    """The secret values of the config's settings files."""
    found = set()
    for entry in sorted(os.listdir(config_dir)):
        for name in SETTINGS_FILES:
            path = os.path.join(config_dir, entry, name)
            if not os.path.isfile(path):
                continue
            try:
                with open(path) as source:
                    _walk(yamlfile.load(source), found)
            except (OSError, yaml.YAMLError, UnicodeDecodeError):
                continue  # not ours to judge here; prepare checks the config
    return found


class Redactor:
    """Masks known secret values in text."""

    def __init__(self, values=()):
        # Longest first: a secret holding another is masked whole.
        values = sorted(set(values), key=len, reverse=True)
        self.pattern = re.compile('|'.join(map(re.escape, values))) \
            if values else None

    @classmethod
    def from_config(cls, config_dir):
        return cls(collect(config_dir))

    def __call__(self, text):
        if self.pattern is None or not text:
            return text
        return self.pattern.sub(MASK, text)
