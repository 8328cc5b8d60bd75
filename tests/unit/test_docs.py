"""The documentation builds without a warning; the release notes lint."""

import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
TIMEOUT = 120
# reno has no __main__ module: call its entry point the way its console
# script does, with the interpreter running the tests.
RENO = ('import sys; from reno import main; '
        'sys.exit(main.main(sys.argv[1:]))')


def _run(args, cwd):
    result = subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            timeout=TIMEOUT)
    assert result.returncode == 0, '%s exited %d:\n%s' % (
        ' '.join(args), result.returncode, result.stdout)
    return result


def test_docs_build_without_warnings(tmp_path):
    out = tmp_path / 'html'
    # From another directory than the repository's: the configuration
    # must not depend on where sphinx-build runs.
    _run([sys.executable, '-m', 'sphinx', '-W', '-q', '-b', 'html',
          os.path.join(ROOT, 'doc', 'source'), str(out)], cwd=tmp_path)
    for page in ('operator-guide', 'prepare', 'run', 'converge', 'status',
                 'reference', 'configuration', 'architecture', 'lab'):
        assert (out / ('%s.html' % page)).is_file(), page
    reference = (out / 'reference.html').read_text()
    for command in ('prepare', 'run', 'converge', 'status'):
        assert 'overcloud ffwd-upgrade %s' % command in reference
    configuration = (out / 'configuration.html').read_text()
    assert 'stack_update_timeout' in configuration
    assert '#config_dir_base = ~/tripleo-ffu' in configuration


def test_release_notes_lint():
    _run([sys.executable, '-c', RENO, 'lint'], cwd=ROOT)


def test_release_notes_build_without_warnings(tmp_path):
    # reno reads the committed notes from the git repository it runs in.
    out = tmp_path / 'notes'
    _run([sys.executable, '-m', 'sphinx', '-W', '-q', '-b', 'html',
          os.path.join(ROOT, 'releasenotes', 'source'), str(out)],
         cwd=ROOT)
    assert 'ffwd-upgrade' in (out / 'index.html').read_text()
