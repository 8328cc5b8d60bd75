"""The command line of the lab's node command scripts (bin/lab-host,
bin/lab-db): each runs as one of its links (`crontab ...`), or as itself
with the command first (`lab-host group ...`), on the node tree
$LAB_NODE_ROOT names.

Standard library only: the scripts load it on a node with the system's
python3.
"""

import os
import sys


def main(argv, script, commands, doc, errors):
    """The exit code of the command argv names, run from commands
    ({name: function(args) -> rc}); an exception of errors is its
    message on stderr and its rc (1 without one)."""
    root = os.environ.get('LAB_NODE_ROOT', '')
    name, args = os.path.basename(argv[0]), argv[1:]
    if name == script:
        if not args:
            print(doc, file=sys.stderr)
            return 2
        name, args = args[0], args[1:]
    if not root.startswith('/') or not os.path.isdir(root):
        print("%s: LAB_NODE_ROOT is not a lab node's tree: this is the "
              "lab's stand-in" % name, file=sys.stderr)
        return 1
    if name not in commands:
        print('%s: no command %s' % (script, name), file=sys.stderr)
        return 2
    try:
        return commands[name](args)
    except errors as exc:
        print(exc, file=sys.stderr)
        return getattr(exc, 'rc', 1)
