"""The layout docs/development.md draws, kept true: which module_utils package may use which, thin modules,
nothing imported from a module file."""
import ast
import glob
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MU = os.path.join(ROOT, 'plugins', 'module_utils')
PREFIX = 'ansible_collections.printfleet.mve.plugins.'
# package -> the packages it may import (the diagram of docs/development.md)
ALLOWED = {
    'common': set(),
    'matrix': {'common'},
    'protocols': {'common'},
    'windows': {'common', 'protocols'},
    'firewall': {'common', 'matrix'},
    'checks': {'common', 'matrix', 'protocols'},
    'probes': {'common', 'matrix', 'protocols', 'windows'},
    'printers': {'common', 'matrix', 'protocols', 'probes'},
    'compliance': {'common'},
}
MAX_MODULE_CODE_LINES = 60


def _imports(path):
    with open(path) as fh:
        tree = ast.parse(fh.read())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX):
            names.append(node.module[len(PREFIX):])
            names.extend('%s.%s' % (node.module[len(PREFIX):], a.name) for a in node.names)
        elif isinstance(node, ast.Import):
            names.extend(a.name[len(PREFIX):] for a in node.names if a.name.startswith(PREFIX))
    return names


def test_every_package_is_in_the_diagram():
    packages = sorted(d for d in os.listdir(MU) if os.path.isdir(os.path.join(MU, d)) and not d.startswith('_'))
    assert packages == sorted(ALLOWED)


@pytest.mark.parametrize('package', sorted(ALLOWED))
def test_package_uses_only_the_packages_below_it(package):
    for path in glob.glob(os.path.join(MU, package, '*.py')):
        for name in _imports(path):
            parts = name.split('.')
            assert parts[0] == 'module_utils', '%s imports %s (module_utils uses no plugin)' % (path, name)
            used = parts[1]
            assert used == package or used in ALLOWED[package], '%s imports %s' % (os.path.relpath(path, ROOT), name)


def test_nothing_imports_from_a_module_file():
    for path in glob.glob(os.path.join(ROOT, 'plugins', '**', '*.py'), recursive=True):
        for name in _imports(path):
            assert not name.startswith('modules'), '%s imports %s' % (os.path.relpath(path, ROOT), name)


@pytest.mark.parametrize('path', sorted(glob.glob(os.path.join(ROOT, 'plugins', 'modules', '*.py'))),
                         ids=os.path.basename)
def test_modules_are_thin(path):
    with open(path) as fh:
        src = fh.read()
    tree = ast.parse(src)
    docs = sum(node.end_lineno - node.lineno + 1 for node in tree.body if isinstance(node, ast.Assign)
               and any(getattr(t, 'id', '') in ('DOCUMENTATION', 'EXAMPLES', 'RETURN') for t in node.targets))
    code = [line for line in src.splitlines() if line.strip() and not line.strip().startswith('#')]
    assert len(code) - docs <= MAX_MODULE_CODE_LINES, '%s: %d lines of code' % (path, len(code) - docs)
