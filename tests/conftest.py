"""Shared pytest set-up: make ``ansible_collections.printfleet.mve`` importable from the work tree.

The tests import the collection by its real package name, as Ansible does, without copying it:
a symlink ``build/pytest/ansible_collections/printfleet/mve`` points at the repository root.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_NS = os.path.join(ROOT, 'build', 'pytest')
_LINK = os.path.join(_NS, 'ansible_collections', 'printfleet', 'mve')
if not os.path.islink(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(ROOT, _LINK)
if _NS not in sys.path:
    sys.path.insert(0, _NS)
# tests/support: shared test helpers (``from support.pki import Pki``).
_TESTS = os.path.join(ROOT, 'tests')
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
# The repository root, for the lab's servers (``from lab.servers.ldap import Slapd``): appended, so that nothing
# above changes order.
if ROOT not in sys.path:
    sys.path.append(ROOT)
# Seed (vendor table): the in-repo transcription is what tests check against; SEED_ORIGINAL is the original
# (../shared/seed beside the clone, as in CI, or $MVE_SEED_FILE), compared with it only when it exists.
SEED = os.path.join(ROOT, 'tests', 'unit', 'data', 'mve-ports-and-protocols.txt')
SEED_ORIGINAL = os.environ.get('MVE_SEED_FILE') or os.path.join(
    os.path.dirname(ROOT), 'shared', 'seed', 'mve-ports-and-protocols.txt')


import pytest  # noqa: E402


@pytest.fixture(scope='session')
def test_pki(tmp_path_factory):
    """A CA with good, expired, wrong-host-name and untrusted server certificates (tests/support/pki.py)."""
    from support.pki import Pki
    return Pki(tmp_path_factory.mktemp('pki'))
