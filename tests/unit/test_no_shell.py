"""No stack-derived value reaches a shell: our code never starts one."""

import ast
import os

import pytest

PACKAGE = os.path.join(os.path.dirname(__file__), '..', '..', 'tripleo_ffu')


def _sources():
    for root, _dirs, names in os.walk(PACKAGE):
        for name in names:
            if name.endswith('.py'):
                yield os.path.join(root, name)


def _shell_calls(path):
    with open(path) as source:
        tree = ast.parse(source.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == 'shell' and \
                not (isinstance(node.value, ast.Constant) and
                     node.value.value is False):
            yield node.lineno, 'shell=...'
        if isinstance(node, ast.Attribute) and isinstance(
                node.value, ast.Name) and node.value.id == 'os' and \
                node.attr in ('system', 'popen'):
            yield node.lineno, 'os.%s' % node.attr


@pytest.mark.parametrize('path', sorted(_sources()),
                         ids=lambda path: os.path.relpath(path, PACKAGE))
def test_no_shell_in(path):
    assert list(_shell_calls(path)) == []


def test_the_check_finds_a_shell(tmp_path):
    sample = tmp_path / 'sample.py'
    sample.write_text('import os, subprocess\n'
                      'subprocess.run("x", shell=True)\nos.system("y")\n')
    assert list(_shell_calls(str(sample))) == [(2, 'shell=...'),
                                               (3, 'os.system')]
