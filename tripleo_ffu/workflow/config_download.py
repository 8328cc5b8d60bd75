"""Download the stack's config into a git-tracked directory.

tripleo-common's Config does the download and the commit; we make sure
everything in the directory is private (it holds passwords) and commit our
own changes (fixes, plan, inventory) on top.
"""

import errno
import logging
import os

from tripleo_ffu.workflow import files
from tripleo_ffu.workflow import yamlfile
from tripleo_ffu.workflow.errors import WorkflowError

LOG = logging.getLogger(__name__)

DOWNLOAD_COMMIT = 'Config download of stack '
# Run state lives in the config dir but is not config: keep it out of git.
GITIGNORE = '\n'.join([
    '*.tar.gz',
    'artifacts/',
    'ffu-run/',
    '',
])


def prepare_dir(config_dir):
    files.make_dirs(config_dir)
    ignore = os.path.join(config_dir, '.gitignore')
    if not os.path.exists(ignore):
        try:
            files.write_private(ignore, GITIGNORE)
        except OSError as exc:
            raise WorkflowError(
                'cannot write in the config dir %s (%s): give a --config-dir '
                'you can write to' % (config_dir, exc.strerror or exc))


def _queens_config_class():
    """tripleo-common's Config, bridged to a queens stack's outputs.

    Today's Config reads a RoleGroupVars output (a KeyError without it):
    queens' stacks have none, their groups get no variables from it. It
    writes each host's deployments as `pre_deployments_<Role>`; queens'
    deploy playbook reads `<Role>_pre_deployments` and
    `<Role>_post_deployments`, which queens' config download wrote in
    group_vars/<Role> (beside today's names, as queens' last releases
    did): they are added there.

    A null task (THT queens' boot-params-service deploy_steps_tasks with
    no KernelArgs, kept by Heat) is dropped: Ansible skips it, but
    today's Config splits deploy_steps_tasks by step with task.get().

    Config adds `.yaml` to each RoleConfig file's name only when the whole
    path has no dot: in a config dir such as /home/jane.doe/... it wrote
    `fast_forward_upgrade_playbook` and the like, which nothing reads.
    They get their `.yaml` here, wherever the config dir is.
    """
    from tripleo_common.utils import config as tripleo_config

    class QueensConfig(tripleo_config.Config):
        def fetch_config(self, name):
            stack = super().fetch_config(name)
            for sections in (self.stack_outputs.get('RoleData') or
                             {}).values():
                for key, value in sections.items():
                    if isinstance(value, list) and None in value:
                        sections[key] = [item for item in value
                                         if item is not None]
            self.stack_outputs.setdefault('RoleGroupVars', {
                role: {} for role in
                self.stack_outputs.get('RoleData') or {}})
            return stack

        def write_config(self, stack, name, config_dir, config_type=None):
            self._named = {
                os.path.join(config_dir, config_name): os.path.join(
                    config_dir, config_name + '.yaml')
                for config_name in self.get_role_config()
                if '.' not in config_name}
            written = super().write_config(stack, name, config_dir,
                                           config_type)
            _queens_deployment_vars(config_dir)
            return written

        def _open_file(self, path):
            return super()._open_file(self._named.get(path, path))

    return QueensConfig


def _queens_deployment_vars(config_dir):
    """group_vars/<Role> gets `<Role>_pre_deployments` and
    `<Role>_post_deployments` from what today's Config wrote per host."""
    group_vars = os.path.join(config_dir, 'group_vars')
    host_vars = os.path.join(config_dir, 'host_vars')
    found = {}
    for host in sorted(os.listdir(host_vars)):
        with open(os.path.join(host_vars, host)) as source:
            variables = yamlfile.load(source) or {}
        for key, names in variables.items():
            for kind in ('pre_deployments', 'post_deployments'):
                prefix = kind + '_'
                if key.startswith(prefix) and isinstance(names, list):
                    listed = found.setdefault(
                        (key[len(prefix):], kind), [])
                    listed.extend(n for n in names if n not in listed)
    for role in sorted(os.listdir(group_vars)):
        path = os.path.join(group_vars, role)
        with open(path) as source:
            variables = yamlfile.load(source) or {}
        for kind in ('pre_deployments', 'post_deployments'):
            variables.setdefault('%s_%s' % (role, kind),
                                 found.get((role, kind), []))
        files.write_private(path, yamlfile.dump(variables,
                                                default_flow_style=False))


def download(heat, stack_name, config_dir):
    """Download the config; return the commit it made (or None)."""
    prepare_dir(config_dir)
    before = head(config_dir)
    with files.private_umask():
        try:
            _queens_config_class()(heat).download_config(
                stack_name, config_dir, preserve_config_dir=True,
                commit_message=DOWNLOAD_COMMIT + stack_name)
        except Exception as exc:  # OSError, git's, tripleo-common's own
            kept = ('the previous config is whole in git (commit %s; `git '
                    '-C %s status` shows what the download changed)'
                    % (before[:8], config_dir) if before else
                    'there was no previous config')
            raise WorkflowError('config download into %s failed: %s%s; %s. '
                                'Fix the cause and run prepare again'
                                % (config_dir, _first_line(exc),
                                   _space_left(config_dir), kept))
    files.make_private(config_dir)
    after = head(config_dir)
    return after if after != before else None


# Less free space than this is worth saying when a download fails: git's
# own message may not say it ("failed to write new configuration file").
LOW_SPACE = 16 * 1024 * 1024


def _space_left(config_dir):
    try:
        info = os.statvfs(config_dir)
    except OSError:
        return ''
    free = info.f_bavail * info.f_frsize
    if free >= LOW_SPACE:
        return ''
    return (' (the filesystem of %s is full: %d KiB free; free space '
            'there)' % (config_dir, free // 1024))


_CAUSES = (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS, errno.EIO)


def _first_line(exc):
    """The reason in one line: git's own words for a failed git command
    (GitPython's message starts with its command line)."""
    import git
    stderr = str(getattr(exc, 'stderr', '') or '').strip()
    if stderr.startswith('stderr:'):
        stderr = stderr[len('stderr:'):].strip().strip('\'"')
    lines = [line.strip() for line in (stderr or str(exc)).splitlines()
             if line.strip()]
    # git says several things; the system's reason is the one to act on.
    causes = [line for line in lines
              if any(os.strerror(code) in line for code in _CAUSES)]
    reason = (causes or lines or [''])[0]
    if isinstance(exc, (OSError, git.GitError)):
        return reason or type(exc).__name__
    return '%s: %s' % (type(exc).__name__, reason)


def _repo(config_dir):
    import git
    return git.Repo(config_dir)


def head(config_dir):
    try:
        return _repo(config_dir).head.commit.hexsha
    except Exception:  # no repository or no commit yet
        return None


def recent_commits(config_dir, count):
    """[(sha, subject)] of the last commits, newest first."""
    if head(config_dir) is None:
        return []
    return [(commit.hexsha, (commit.message.splitlines() or [''])[0])
            for commit in _repo(config_dir).iter_commits(
                max_count=count, topo_order=True)]


def commit(config_dir, message):
    """Commit every change in the config dir; None when nothing changed."""
    repo = _repo(config_dir)
    if not repo.is_dirty(untracked_files=True):
        return None
    with files.private_umask():
        repo.git.add('.')
        sha = repo.index.commit(message).hexsha
    files.make_private(config_dir)
    return sha
