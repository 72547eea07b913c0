# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad role variables, table-driven, for every role: the role's meta/argument_specs.yml validation fails first,
naming the variable the user wrote (and the accepted values where there is a choice).

One ansible-playbook run on localhost (connection local, no facts, check mode) includes each role once per row
in a block whose rescue records what failed: the failed task's action (it must be the argument validation,
not a task of the role that ran anyway) and the message. No lab is needed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

import pytest

from labtools import run_playbook

SCOPES = {'printer': ['10.20.0.0/16'], 'browser': ['10.1.0.0/24']}
PEERS = {'printer': ['192.0.2.10']}
HOSTS = ['192.0.2.10']

# (role, its variables, the variable the message must name, other words of the message)
CASES = [
    ('mve_dependencies', {'mve_dependencies_timeout': 'soon'}, 'mve_dependencies_timeout', ['float']),
    ('mve_dependencies', {'mve_dependencies_features': 'sqlserver'}, 'mve_dependencies_features', ['dict']),
    ('mve_dependencies', {'mve_dependencies_kerberos': {'host': 'kdc', 'transport': 'sctp'}}, 'mve_dependencies_kerberos',
     ['transport', 'udp, tcp, both', 'sctp']),
    ('mve_dependencies', {'mve_dependencies_database': {'host': 'db', 'port': 1433}}, 'mve_dependencies_database',
     ['port']),
    ('mve_dependencies', {'mve_dependencies_ldap': {'host': 'ldap', 'starttls': 'maybe'}}, 'mve_dependencies_ldap',
     ['starttls', 'bool']),
    ('mve_dependencies', {'mve_dependencies_validate_certs': 'perhaps'}, 'mve_dependencies_validate_certs', ['bool']),
    ('mve_firewall', {}, 'mve_firewall_scopes', ['missing required']),
    ('mve_firewall', {'mve_firewall_scopes': SCOPES, 'mve_firewall_state': 'overridden'}, 'mve_firewall_state',
     ['merged, replaced, absent', 'overridden']),
    ('mve_firewall', {'mve_firewall_scopes': SCOPES, 'mve_firewall_backend': 'iptables'}, 'mve_firewall_backend',
     ['auto, windows, nftables']),
    ('mve_firewall', {'mve_firewall_scopes': SCOPES, 'mve_firewall_management_ports': ['ssh']},
     'mve_firewall_management_ports', ['int']),
    ('mve_firewall', {'mve_firewall_scopes': 'any'}, 'mve_firewall_scopes', ['dict']),
    ('mve_firewall', {'mve_firewall_scopes': SCOPES, 'mve_firewall_verify_blocked_port': 'nine'},
     'mve_firewall_verify_blocked_port', ['int']),
    ('mve_port_check', {}, 'mve_port_check_peers', ['missing required']),
    ('mve_port_check', {'mve_port_check_peers': PEERS, 'mve_port_check_snmp_version': '4'},
     'mve_port_check_snmp_version', ['1, 2c, 3']),
    ('mve_port_check', {'mve_port_check_peers': PEERS, 'mve_port_check_fail_on': ['broken']},
     'mve_port_check_fail_on', ['open_or_filtered', 'broken']),
    ('mve_port_check', {'mve_port_check_peers': PEERS, 'mve_port_check_concurrency': 'many'},
     'mve_port_check_concurrency', ['int']),
    ('mve_port_check', {'mve_port_check_peers': PEERS, 'mve_port_check_snmp_auth_protocol': 'sha1'},
     'mve_port_check_snmp_auth_protocol', ['sha256', 'sha1']),
    ('mve_port_check', {'mve_port_check_peers': ['192.0.2.10']}, 'mve_port_check_peers', ['dict']),
    ('mve_printers', {}, 'mve_printers_hosts', ['missing required']),
    ('mve_printers', {'mve_printers_hosts': HOSTS, 'mve_printers_snmp': {'version': '4'}}, 'mve_printers_snmp',
     ['version', "1, 2c, 3"]),
    ('mve_printers', {'mve_printers_hosts': HOSTS, 'mve_printers_snmp': {'port': 'snmp'}}, 'mve_printers_snmp',
     ['port', 'int']),
    ('mve_printers', {'mve_printers_hosts': HOSTS, 'mve_printers_port_access': {'force': 'please'}},
     'mve_printers_port_access', ['force', 'bool']),
    ('mve_printers', {'mve_printers_hosts': HOSTS, 'mve_printers_concurrency': 'lots'}, 'mve_printers_concurrency',
     ['int']),
    ('mve_printers', {'mve_printers_hosts': HOSTS, 'mve_printers_snmp_write': {'community': 'private', 'colour': 1}},
     'mve_printers_snmp_write', ['colour']),
]


def _playbook(path, results):
    tasks = []
    for index, (role, role_vars, dummy, dummy_words) in enumerate(CASES):
        key = str(index)
        tasks.append({
            'name': 'row %d: %s' % (index, role),
            'block': [
                {'ansible.builtin.include_role': {'name': 'printfleet.mve.' + role}, 'vars': role_vars},
                {'ansible.builtin.set_fact': {
                    'bad_input_results': "{{ bad_input_results | combine({'%s': {'action': 'none', 'msg': "
                                         "'the role ran past its argument validation'}}) }}" % key}},
            ],
            'rescue': [
                {'ansible.builtin.set_fact': {
                    'bad_input_results': "{{ bad_input_results | combine({'%s': {'action': ansible_failed_task.action, "
                                         "'msg': ansible_failed_result.msg | default(''), "
                                         "'errors': ansible_failed_result.argument_errors | default([])}}) }}" % key}},
            ],
        })
    copy = {'content': '{{ bad_input_results | to_nice_json }}', 'dest': results, 'mode': '0600'}
    tasks.append({'name': 'results', 'ansible.builtin.copy': copy, 'check_mode': False})
    play = {'name': 'bad role variables', 'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
            'vars': {'bad_input_results': {}, 'ansible_python_interpreter': sys.executable}, 'tasks': tasks}
    with open(path, 'w') as fh:
        json.dump([play], fh, indent=1)


@pytest.fixture(scope='module')
def outcomes(collection_installed, tmp_path_factory):
    work = tmp_path_factory.mktemp('role_bad_input')
    playbook, results = str(work / 'play.yml'), str(work / 'results.json')
    _playbook(playbook, results)
    # --check: a row that got past the validation by mistake would still change nothing.
    proc = run_playbook(playbook, 'localhost,', args=('--check',), timeout=120, check=False)
    assert os.path.exists(results), proc.stdout[-6000:] + proc.stderr[-3000:]
    with open(results) as fh:
        return json.load(fh)


@pytest.mark.parametrize('index', range(len(CASES)), ids=['%s-%d-%s' % (c[0], i, c[2]) for i, c in enumerate(CASES)])
def test_role_argument_validation_names_the_variable(outcomes, index):
    role, dummy, variable, words = CASES[index]
    out = outcomes[str(index)]
    assert out['action'].rsplit('.', 1)[-1] == 'validate_argument_spec', out
    text = ' '.join([out['msg']] + [str(e) for e in out.get('errors') or []])
    assert variable in text, text
    for word in words:
        assert word in text, (word, text)


def test_every_role_has_rows():
    roles_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'roles')
    roles = sorted(r for r in os.listdir(roles_dir)
                   if os.path.exists(os.path.join(roles_dir, r, 'meta', 'argument_specs.yml')))
    assert sorted(set(c[0] for c in CASES)) == roles
    assert all(sum(1 for c in CASES if c[0] == r) >= 5 for r in roles)


def test_no_role_argument_spec_holds_jinja():
    """ansible-core 2.19 templates a role's argument specs when it validates the variables: a ``{{ ... }}`` in a
    description is evaluated then (``groups['printers']`` failed the validation of every inventory without
    that group, whatever the variables)."""
    roles_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'roles')
    for role in sorted(os.listdir(roles_dir)):
        path = os.path.join(roles_dir, role, 'meta', 'argument_specs.yml')
        if os.path.exists(path):
            with open(path) as fh:
                text = fh.read()
            assert '{{' not in text and '{%' not in text, path
