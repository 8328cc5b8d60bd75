"""Heat's virtualenv, one for every lab of the machine."""

import os

import pytest

from tripleo_ffu_lab import install
from tripleo_ffu_lab import layout


@pytest.fixture
def installs(tmp_path, monkeypatch):
    """The commands run, each making what it would (a virtualenv dir, a
    heat-all); the cache in tmp_path."""
    monkeypatch.setenv(install.CACHE_ENV, str(tmp_path / 'cache'))
    ran = []

    def run(argv, what, **kwargs):
        ran.append(argv)
        if argv[1:3] == ['-m', 'venv']:
            os.makedirs(os.path.join(argv[-1], 'bin'), exist_ok=True)
        else:
            open(os.path.join(os.path.dirname(argv[0]), 'heat-all'),
                 'w').close()
    monkeypatch.setattr(install.procs, 'run', run)
    return ran


def _lab(tmp_path, name):
    lab = layout.Lab(str(tmp_path / name))
    lab.make_dirs()
    return lab


def test_the_first_lab_installs_the_next_ones_link(tmp_path, installs):
    first, second = _lab(tmp_path, 'first'), _lab(tmp_path, 'second')
    install.ensure_heat_venv(first)
    assert len(installs) == 2
    shared = os.readlink(first.heat_venv)
    assert shared.startswith(str(tmp_path / 'cache') + os.sep)
    assert os.path.exists(os.path.join(shared, install.COMPLETE))
    install.ensure_heat_venv(second)
    assert len(installs) == 2
    assert os.readlink(second.heat_venv) == shared
    assert os.path.exists(install.heat_bin(second, 'heat-all'))


def test_an_interrupted_install_is_done_again(tmp_path, installs):
    lab = _lab(tmp_path, 'lab')
    shared = install.shared_venv(install.base_python())
    os.makedirs(os.path.join(shared, 'bin'))  # no COMPLETE: cut short
    os.makedirs(os.path.join(lab.heat_venv, 'bin'))  # an old lab's, broken
    install.ensure_heat_venv(lab)
    assert len(installs) == 2
    assert os.path.islink(lab.heat_venv)
    assert os.path.exists(os.path.join(shared, install.COMPLETE))


def test_a_lab_with_a_virtualenv_of_its_own_keeps_it(tmp_path, installs):
    lab = _lab(tmp_path, 'lab')
    os.makedirs(os.path.join(lab.heat_venv, 'bin'))
    open(install.heat_bin(lab, 'heat-all'), 'w').close()
    install.ensure_heat_venv(lab)
    assert installs == [] and not os.path.islink(lab.heat_venv)
