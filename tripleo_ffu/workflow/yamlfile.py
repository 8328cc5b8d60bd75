"""YAML of the config dir: safe loading only, through libyaml's C parser
and emitter when PyYAML has them.

A large overcloud's task files are megabytes; PyYAML's pure-Python safe
loader and dumper take seconds over them, the C ones a tenth of that.
"""

import yaml

_LOADER = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
_DUMPER = getattr(yaml, 'CSafeDumper', yaml.SafeDumper)


def load(stream):
    return yaml.load(stream, Loader=_LOADER)


def dump(data, **kwargs):
    return yaml.dump(data, Dumper=_DUMPER, **kwargs)
