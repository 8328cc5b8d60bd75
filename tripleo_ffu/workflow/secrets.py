"""Secrets never reach our output, logs or error messages, at any
verbosity.

The stack's secrets are in the environment files (-e), in the stack's
parameters and outputs (each role's config_settings hold its services'
passwords), and come down with the config. With --debug the Heat client
logs its request bodies and the stack's outputs, and Ansible at -vvv its
module arguments. The process's Redactor (guard()) masks the secret values
it knows in every log record, ours and the clients', and learns more from
the text it masks: the value of any secret-looking key (`"AdminPassword":
"..."`, `keystone::admin_password: ...`) is masked there and everywhere
after.
"""

import logging
import os
import re
import sys
import threading

import yaml

from tripleo_ffu.workflow import yamlfile

MASK = '********'
# Hiera keys and THT parameter names that hold secrets:
# keystone::admin_password, rabbitmq::default_pass, *::secret_key, *_token
# (a token at the end: keystone::token_provider and
# keystone::cron::token_flush::* are settings, `fernet` or `keystone`),
# AdminPassword, HeatAuthEncryptionKey, KeystoneFernetKeys...
_SECRET_WORDS = (r'passw|_pass$|::pass$|secret|token$|private_key|api_key|'
                 r'passphrase|authkey$|(?-i:[a-z]Keys?\d*$)|Kek$|Cookie$|'
                 r'Credential\d*$|FSID$|HashSuffix$')
SECRET_KEY = re.compile(r'(%s|_key$)' % _SECRET_WORDS, re.IGNORECASE)
# In free text (a request body, Ansible's output) "*_key" is too wide
# (output_key, sort_key): only the words above, and the key kinds that are.
TEXT_SECRET_KEY = re.compile(
    r'(%s|(auth|access|activation|encryption|crypt|fernet)_key$)'
    % _SECRET_WORDS, re.IGNORECASE)
# Keys matching those whose values are not secret: file paths, public
# halves, host keys, resource registry aliases (OS::TripleO::Ssh::HostPubKey:
# OS::Heat::None).
NOT_SECRET_KEY = re.compile(r'(_file|_path|_dir|known_hosts|host_key|'
                            r'KeyName|key_name)$|public|PubKey|^OS::',
                            re.IGNORECASE)
SETTINGS_FILES = ('config_settings.yaml', 'global_config_settings.yaml',
                  'service_config_settings.yaml')
# Shorter values are not masked: "ok", "true" or a port would blank out
# half the output and hide nothing.
MIN_LENGTH = 6
# Options whose value is a secret.
ARGV_SECRETS = ('--reg-activation-key',)
# The undercloud's own credentials, as stackrc exports them.
CREDENTIAL_VARIABLES = ('OS_PASSWORD', 'OS_TOKEN', 'OS_AUTH_TOKEN')

# "key": "value" (JSON, Python reprs; quotes escaped once inside JSON
# strings too) and key: value / key=value (YAML, ini, command lines).
_QUOTED = re.compile(
    r'''(\\?["'])([^"'\\\n]{1,200})\1\s*(?:=>|:|=)\s*(\\?["'])'''
    r'''((?:(?!\3)[^\\]|\\[^"'])*)\3''')
_PLAIN = re.compile(r'''(?:^|(?<=[\s{,(]))([A-Za-z_][\w:.-]{0,200})'''
                    r'''\s*[:=]\s*(?!["'\\{\[])([^\s,;'"}\]\\)]+)''',
                    re.MULTILINE)


def is_secret_key(key, pattern=SECRET_KEY):
    key = str(key)
    return bool(pattern.search(key)) and not NOT_SECRET_KEY.search(key)


def _value(value):
    """A value worth masking: long enough, and not a mask already."""
    return len(value) >= MIN_LENGTH and value.strip('*')


def _strings(data, found):
    if isinstance(data, str):
        if _value(data):
            found.add(data)
    elif isinstance(data, dict):
        for value in data.values():
            _strings(value, found)
    elif isinstance(data, list):
        for item in data:
            _strings(item, found)


def _walk(data, found):
    """Every value under a secret-looking key, nested ones included
    (MigrationSshKey: {private_key: ...})."""
    if isinstance(data, dict):
        for key, value in data.items():
            if is_secret_key(key):
                _strings(value, found)
            else:
                _walk(value, found)
    elif isinstance(data, list):
        for item in data:
            _walk(item, found)


def values_of(data):
    """The secret values of a mapping (an environment, parameters)."""
    found = set()
    _walk(data, found)
    return found


def collect(config_dir):
    """The secret values of the config's settings files."""
    found = set()
    if not os.path.isdir(config_dir):
        return found
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


def from_files(paths):
    """The secret values of environment files (unreadable ones are left to
    the commands' own checks)."""
    found = set()
    for path in paths:
        try:
            with open(path) as source:
                _walk(yamlfile.load(source), found)
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
    return found


def from_environ():
    return {os.environ[name] for name in CREDENTIAL_VARIABLES
            if len(os.environ.get(name) or '') >= MIN_LENGTH}


def harvest(text):
    """The values of the secret-looking keys in a text."""
    found = set()
    for match in _QUOTED.finditer(text):
        value = match.group(4)
        if _value(value) and is_secret_key(match.group(2), TEXT_SECRET_KEY):
            found.add(value)
    for match in _PLAIN.finditer(text):
        value = match.group(2)
        if _value(value) and is_secret_key(match.group(1), TEXT_SECRET_KEY):
            found.add(value)
    return found


class Redactor:
    """Masks known secret values in text, and learns the values of the
    secret-looking keys of the text it masks."""

    def __init__(self, values=()):
        self._lock = threading.Lock()
        self.values = set()
        self.pattern = None
        self.add(values)

    @classmethod
    def from_config(cls, config_dir):
        return cls(collect(config_dir))

    def add(self, values):
        new = {value for value in values
               if isinstance(value, str) and len(value) >= MIN_LENGTH} - \
            self.values
        if not new:
            return self
        with self._lock:
            self.values |= new
            # Longest first: a secret holding another is masked whole.
            ordered = sorted(self.values, key=len, reverse=True)
            self.pattern = re.compile('|'.join(map(re.escape, ordered)))
        return self

    def __call__(self, text):
        if not text or not isinstance(text, str):
            return text
        self.add(harvest(text))
        pattern = self.pattern
        return pattern.sub(MASK, text) if pattern is not None else text


def _mask_record(record, redactor):
    """A record's message (its arguments merged in) and traceback,
    masked."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: logging reports it
        return record
    record.msg, record.args = redactor(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = redactor(
            logging.Formatter().formatException(record.exc_info))
    return record


_GUARD = Redactor()
_FACTORY = []


def guard(values=()):
    """The process's Redactor, with values added. Every log record made
    from the first call on, by any logger, is masked as it is made (a
    record factory: it needs no handler, so records logged before the
    command configures its handlers are masked too)."""
    if not _FACTORY:
        made = logging.getLogRecordFactory()
        _FACTORY.append(made)
        logging.setLogRecordFactory(
            lambda *args, **kwargs: _mask_record(made(*args, **kwargs),
                                                 _GUARD))
    return _GUARD.add(values)


def from_argv(argv):
    """Secrets given on the command line (upstream's
    --reg-activation-key), which the client logs at --debug."""
    found = set()
    for index, arg in enumerate(argv):
        for option in ARGV_SECRETS:
            if arg == option and index + 1 < len(argv):
                found.add(argv[index + 1])
            elif arg.startswith(option + '='):
                found.add(arg[len(option) + 1:])
    return {value for value in found if len(value) >= MIN_LENGTH}


class Writer:
    """A text stream that masks what goes through it (sys.stdout while a
    client prints Heat's events)."""

    def __init__(self, stream=None, redactor=None):
        self.stream = stream or sys.stdout
        self.redactor = redactor or _GUARD

    def write(self, text):
        return self.stream.write(self.redactor(text))

    def __getattr__(self, name):
        return getattr(self.stream, name)
