"""Files that may hold secrets: owner-only, written whole or not at all."""

import contextlib
import logging
import os

LOG = logging.getLogger(__name__)


@contextlib.contextmanager
def private_umask():
    """Whatever is created meanwhile, by us or a child, is owner-only."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def make_dirs(path):
    """path and its parents, owner-only; one clear error when they
    cannot be made (a read-only or pseudo filesystem, no permission)."""
    from tripleo_ffu.workflow.errors import WorkflowError
    try:
        with private_umask():
            os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise WorkflowError(
            'cannot create %s (%s): the config dir must be a directory you '
            'can write to; give another --config-dir (default '
            '~/tripleo-ffu/<stack>)' % (path, exc.strerror or exc))


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


def exposed(top):
    """What others than the owner can reach under top (symlinks aside),
    and what is not ours at all: (exposed paths, foreign paths)."""
    uid = os.geteuid()
    opened, foreign = [], []
    for root, dirs, names in os.walk(top):
        for path in [root] + [os.path.join(root, name) for name in names]:
            info = os.lstat(path)
            if os.path.islink(path):
                continue
            if info.st_uid != uid:
                foreign.append(path)
            elif info.st_mode & 0o077:
                opened.append(path)
    return opened, foreign


def check_private(top, repair=True):
    """At every command's start: the config dir holds passwords. What
    others can read is made owner-only again (and said), or, without
    repair, only said; what belongs to another user is refused."""
    from tripleo_ffu.workflow.errors import WorkflowError
    if not os.path.isdir(top):
        return []
    opened, foreign = exposed(top)
    if foreign:
        raise WorkflowError(
            '%s belongs to another user than you (uid %d) and so do %d '
            'more entries of %s: the config dir holds passwords; give it '
            'back to you (chown -R) and run this again'
            % (foreign[0], os.geteuid(), len(foreign) - 1, top))
    if opened and repair:
        for path in opened:
            os.chmod(path, 0o700 if os.path.isdir(path) else
                     os.stat(path).st_mode & 0o700 or 0o600)
        LOG.warning('Made %d entries of %s owner-only again (others could '
                    'read them; the config dir holds passwords): %s%s',
                    len(opened), top, ', '.join(opened[:3]),
                    ', ...' if len(opened) > 3 else '')
    elif opened:
        LOG.warning('%d entries of %s can be read by others (the config '
                    'dir holds passwords): %s%s; prepare, run and converge '
                    'make them owner-only', len(opened), top,
                    ', '.join(opened[:3]), ', ...' if len(opened) > 3 else '')
    return opened
