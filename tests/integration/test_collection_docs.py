"""The installed collection documents every plugin and role (ansible-doc renders each one)."""
import glob
import json
import os
import subprocess

import pytest

from labtools import BIN, COLLECTIONS, ROOT, ansible_env

INSTALLED = os.path.join(COLLECTIONS, 'ansible_collections', 'printfleet', 'mve')


def _plugins(kind):
    names = sorted(os.path.splitext(os.path.basename(p))[0]
                   for p in glob.glob(os.path.join(ROOT, 'plugins', kind, '*.py')))
    return [n for n in names if not n.startswith('_')]


def _ansible_doc(*args):
    proc = subprocess.run([os.path.join(BIN, 'ansible-doc')] + list(args), capture_output=True, text=True,
                          env=ansible_env(), timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_installed_copy_matches_the_work_tree():
    """The tests run against the built and installed tarball: it must hold every plugin of the work tree."""
    for kind in ('modules', 'lookup', 'inventory'):
        for name in _plugins(kind):
            assert os.path.exists(os.path.join(INSTALLED, 'plugins', kind, name + '.py')), (
                '%s/%s is missing from %s: run make collection' % (kind, name, INSTALLED))
    # The lab, benchmarks and build helpers are not shipped.
    for path in ('lab', 'bench', '.ci', 'Makefile'):
        assert not os.path.exists(os.path.join(INSTALLED, path)), path


@pytest.mark.parametrize('kind,name', [('module', n) for n in _plugins('modules')]
                         + [('lookup', n) for n in _plugins('lookup')])
def test_ansible_doc_renders(kind, name):
    proc = _ansible_doc('-t', kind, '--json', 'printfleet.mve.' + name)
    doc = json.loads(proc.stdout)['printfleet.mve.' + name]
    assert doc['doc']['short_description']
    assert doc['doc'].get('options')
    assert doc['examples'].strip()
    assert doc['return']


@pytest.mark.parametrize('name', _plugins('inventory'))
def test_ansible_doc_renders_inventory_plugins(name):
    proc = _ansible_doc('-t', 'inventory', '--json', 'printfleet.mve.' + name)
    doc = json.loads(proc.stdout)['printfleet.mve.' + name]
    assert doc['doc']['short_description']
    assert {'plugin', 'cache', 'compose', 'keyed_groups'} <= set(doc['doc']['options'])
    assert doc['examples'].strip()


@pytest.mark.parametrize('role', sorted(os.listdir(os.path.join(ROOT, 'roles'))))
def test_role_argument_spec_renders(role):
    proc = _ansible_doc('-t', 'role', '--json', 'printfleet.mve.' + role)
    spec = json.loads(proc.stdout)['printfleet.mve.' + role]['entry_points']['main']
    assert spec['short_description']
    for name, option in spec['options'].items():
        assert option.get('description'), '%s.%s has no description' % (role, name)
        assert option.get('type'), '%s.%s has no type' % (role, name)


def _filters():
    return sorted(f[:-4] for f in os.listdir(os.path.join(ROOT, 'plugins', 'filter')) if f.endswith('.yml'))


@pytest.mark.parametrize('name', _filters())
def test_ansible_doc_renders_filters(name):
    proc = _ansible_doc('-t', 'filter', '--json', 'printfleet.mve.' + name)
    doc = json.loads(proc.stdout)['printfleet.mve.' + name]
    assert doc['doc']['short_description'] and doc['doc']['options']['_input']
    assert doc['examples'].strip() and doc['return']
