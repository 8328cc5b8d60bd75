"""The plugin's distribution holds the plugin only: the lab (lab/, the
tripleo-ffu-lab distribution) installs no stand-in with it."""

import os
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
# Run `openstack` with every import of the lab refused: the plugin's
# commands must not need it.
WITHOUT_LAB = '''
import sys
class NoLab:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'tripleo_ffu_lab':
            raise ImportError('the lab is not installed')
sys.meta_path.insert(0, NoLab())
from openstackclient import shell
sys.exit(shell.main(sys.argv[1:]))
'''


def test_the_plugin_wheel_has_no_lab(tmp_path):
    subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
         '--no-build-isolation', '--disable-pip-version-check',
         '-w', str(tmp_path), ROOT], check=True, capture_output=True)
    wheel, = [name for name in os.listdir(tmp_path)
              if name.startswith('tripleo_ffu-')]
    with zipfile.ZipFile(tmp_path / wheel) as archive:
        names = archive.namelist()
        entry_points, = [name for name in names
                         if name.endswith('/entry_points.txt')]
        entry_points = archive.read(entry_points).decode()
    assert names and all(name.startswith(('tripleo_ffu/', 'tripleo_ffu-'))
                         for name in names), names
    assert not [name for name in names if 'lab' in name.split('/')[-2:-1]
                or os.path.basename(name) == 'lab-node']
    assert 'tripleo-ffu-lab' not in entry_points
    assert 'openstack.cli.extension' in entry_points


def test_the_commands_need_no_lab():
    result = subprocess.run(
        [sys.executable, '-c', WITHOUT_LAB, 'overcloud', 'ffwd-upgrade',
         'prepare', '--help'], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert '--config-dir' in result.stdout


def test_the_product_never_imports_the_lab():
    package = os.path.join(ROOT, 'tripleo_ffu')
    importing = [os.path.relpath(os.path.join(directory, name), ROOT)
                 for directory, _, names in os.walk(package)
                 for name in names if name.endswith('.py')
                 and 'tripleo_ffu_lab' in open(
                     os.path.join(directory, name)).read()]
    assert importing == []
