"""Files that may hold secrets: owner-only, written whole or not at all."""

import contextlib
import os


@contextlib.contextmanager
def private_umask():
    """Whatever is created meanwhile, by us or a child, is owner-only."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def make_private(top):
    """Directories 0700, files 0600, all the way down (git included)."""
    for root, dirs, names in os.walk(top):
        os.chmod(root, 0o700)
        for name in names:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, 0o600)


def write_private(path, text):
    """Write text to path with mode 0600, atomically."""
    tmp = '%s.tmp.%d' % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, 'w') as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
