"""What every benchmark needs: where the repository and its venv are, the collection importable as
``ansible_collections.printfleet.mve`` from the work tree (the same symlink tests/conftest.py makes), and the
environment the ansible commands run with."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, '.venv', 'bin')

sys.path.insert(0, os.path.join(ROOT, 'build', 'pytest'))
_LINK = os.path.join(ROOT, 'build', 'pytest', 'ansible_collections', 'printfleet', 'mve')
if not os.path.islink(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(ROOT, _LINK)


def env(**extra):
    """os.environ plus the collection path, the venv first on PATH, no colour, numeric SNMP OIDs."""
    e = dict(os.environ)
    e.setdefault('ANSIBLE_COLLECTIONS_PATH', os.path.join(ROOT, 'build', 'collections'))
    e['PATH'] = BIN + os.pathsep + e.get('PATH', '')
    e['ANSIBLE_NOCOLOR'] = '1'
    e['MIBS'] = ''
    e.update(extra)
    return e
