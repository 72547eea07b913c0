"""Integration fixtures: one local lab for the whole session, and helpers that drive Ansible against it.

The lab (lab/lab.py) comes up in a temporary directory with three printers on 127.0.3.1-3 (away from the
127.0.1.x printers of ``make demo``, so both can run at once), the remote site in netns ``pfmve-lab`` and MVE's
dependencies (Firebird, SMTP, LDAP, KDC) on 127.0.5.1-4 (``make demo`` uses 127.0.2.x, molecule 127.0.6.x).
Nothing here skips: a lab that cannot start fails the session loudly, with its logs.

Ansible runs from the repository's virtualenv with the collection that ``make collection`` installed in
``$ANSIBLE_COLLECTIONS_PATH`` (default: build/collections), exactly as a user would run it.
"""
import json
import os

import pytest

from labtools import (COLLECTIONS, LAB_FIRST_ADDRESS, LAB_PRINTERS, LAB_SERVICES_ADDRESS, lab_command, run_playbook,
                      tail)


@pytest.fixture(scope='session')
def collection_installed():
    module = os.path.join(COLLECTIONS, 'ansible_collections', 'printfleet', 'mve', 'plugins', 'modules',
                          'port_check.py')
    if not os.path.exists(module):
        pytest.fail('printfleet.mve is not installed in %s (no plugins/modules/port_check.py there): run '
                    '`make collection` first, or `make integration`, which does it.' % COLLECTIONS, pytrace=False)
    return COLLECTIONS


@pytest.fixture(scope='session')
def lab(tmp_path_factory):
    """The running lab (the content of its lab.json: dir, inventory, printers, ...); ``down`` at session end.

    The lab directory stays in pytest's temporary area (the last few sessions are kept) for its logs.
    """
    lab_dir = str(tmp_path_factory.mktemp('lab'))
    proc = lab_command('up', '--dir', lab_dir, '--printers', str(LAB_PRINTERS), '--first-address', LAB_FIRST_ADDRESS,
                       '--services-address', LAB_SERVICES_ADDRESS)
    if proc.returncode != 0:
        logs = os.path.join(lab_dir, 'logs')
        details = ''.join('\n--- %s ---\n%s' % (name, tail(os.path.join(logs, name)))
                          for name in sorted(os.listdir(logs))) if os.path.isdir(logs) else ''
        lab_command('down', '--dir', lab_dir)
        pytest.fail('the lab did not come up (exit %d):\n%s%s%s'
                    % (proc.returncode, proc.stdout, proc.stderr, details), pytrace=False)
    with open(os.path.join(lab_dir, 'lab.json')) as fh:
        info = json.load(fh)
    try:
        yield info
    finally:
        down = lab_command('down', '--dir', lab_dir)
        assert down.returncode == 0, down.stdout + down.stderr


@pytest.fixture(scope='session')
def remote_site(lab):
    """The filtered remote site; fails (never skips) when the namespace could not be built."""
    remote = lab['remote']
    if not remote.get('available'):
        pytest.fail('the lab remote site (netns pfmve-lab) is unavailable: %s. These tests need root, ip and nft '
                    '(make os-deps).' % remote.get('reason'), pytrace=False)
    return remote


@pytest.fixture(scope='session')
def port_check(lab, collection_installed, tmp_path_factory):
    """Call printfleet.mve.port_check through ansible-playbook on mve01; returns the registered result.

    ``port_check(args)`` embeds ``args`` in a one-task playbook, registers the result and has Ansible write it
    as JSON; with ``expect_failure=True`` the task may fail and the failed result comes back.
    """
    work = tmp_path_factory.mktemp('port_check')
    counter = [0]

    def call(args, expect_failure=False):
        counter[0] += 1
        out = str(work / ('result-%d.json' % counter[0]))
        playbook = str(work / ('play-%d.yml' % counter[0]))
        play = [{
            'name': 'Run printfleet.mve.port_check for an integration test',
            'hosts': 'mve01',
            'gather_facts': False,
            'tasks': [
                {'name': 'Probe', 'printfleet.mve.port_check': args, 'register': 'pc_result',
                 'ignore_errors': bool(expect_failure)},
                {'name': 'Save the result', 'ansible.builtin.copy': {
                    'content': '{{ pc_result | to_json }}', 'dest': out, 'mode': '0644'}},
            ],
        }]
        with open(playbook, 'w') as fh:
            json.dump(play, fh, indent=1)  # JSON is YAML
        run_playbook(playbook, lab['inventory'])
        with open(out) as fh:
            return json.load(fh)
    return call
