"""The config dir stays owner-only: checked, repaired or refused."""

import os
import stat

import pytest

from tripleo_ffu.workflow import errors
from tripleo_ffu.workflow import files


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def config_dir(tmp_path):
    top = tmp_path / 'config'
    (top / 'Controller').mkdir(parents=True)
    (top / 'Controller' / 'config_settings.yaml').write_text('a: b\n')
    (top / 'run.sh').write_text('#!/bin/sh\n')
    files.make_private(str(top))
    os.chmod(top / 'run.sh', 0o700)
    return top


def test_a_private_config_dir_is_left_as_it_is(config_dir, caplog):
    assert files.check_private(str(config_dir)) == []
    assert caplog.text == ''


def test_entries_readable_by_others_are_made_owner_only(config_dir, caplog):
    settings = config_dir / 'Controller' / 'config_settings.yaml'
    os.chmod(settings, 0o644)
    os.chmod(config_dir / 'Controller', 0o755)
    os.chmod(config_dir / 'run.sh', 0o755)
    repaired = files.check_private(str(config_dir))
    assert sorted(repaired) == sorted([str(settings),
                                       str(config_dir / 'Controller'),
                                       str(config_dir / 'run.sh')])
    assert _mode(settings) == 0o600
    assert _mode(config_dir / 'Controller') == 0o700
    assert _mode(config_dir / 'run.sh') == 0o700
    assert 'Made 3 entries of %s owner-only again' % config_dir \
        in caplog.text


def test_without_repair_it_only_says(config_dir, caplog):
    os.chmod(config_dir, 0o755)
    assert files.check_private(str(config_dir), repair=False) == [
        str(config_dir)]
    assert _mode(config_dir) == 0o755
    assert 'can be read by others' in caplog.text


def test_entries_of_another_user_are_refused(config_dir):
    if os.geteuid() != 0:
        pytest.skip('only root can give a file to another user')
    settings = config_dir / 'Controller' / 'config_settings.yaml'
    os.chown(settings, 4242, 4242)
    with pytest.raises(errors.WorkflowError,
                       match='belongs to another user than you'):
        files.check_private(str(config_dir))


def test_symlinks_are_not_followed(config_dir, tmp_path):
    outside = tmp_path / 'outside'
    outside.write_text('x')
    os.chmod(outside, 0o644)
    os.symlink(outside, config_dir / 'link')
    assert files.check_private(str(config_dir)) == []
    assert _mode(outside) == 0o644


def test_a_missing_config_dir_is_nothing_to_check(tmp_path):
    assert files.check_private(str(tmp_path / 'nowhere')) == []


def test_a_config_dir_that_cannot_be_made_is_said_with_what_to_do():
    """Under /proc nothing can be made: not a raw [Errno 2]."""
    from tripleo_ffu.workflow import config_download
    with pytest.raises(errors.WorkflowError) as raised:
        config_download.prepare_dir('/proc/tripleo-ffu/config')
    assert str(raised.value) == (
        'cannot create /proc/tripleo-ffu/config (No such file or directory): '
        'the config dir must be a directory you can write to; give another '
        '--config-dir (default ~/tripleo-ffu/<stack>)')
