# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
import yaml
from support.module_args import patch_module_args

from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
from ansible_collections.printfleet.mve.plugins.module_utils.probes import port_probe
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp as snmp_wire
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import mdns as mdns_wire
from ansible_collections.printfleet.mve.plugins.module_utils.common import tls_facts
from ansible_collections.printfleet.mve.plugins.module_utils.probes import port_check as port_check_options
from ansible_collections.printfleet.mve.plugins.modules import port_check

LOCAL = '127.0.0.1'


def run_module(args, capsys):
    """Run the module's main() with ``args``; return (exit code, parsed JSON output)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            port_check.main()
    out = capsys.readouterr().out
    return info.value.code, json.loads(out)


# ---- bad input fails before any probe -----------------------------------------------------------

BAD_INPUT = [
    # args, words the message must contain
    ({'targets': [{'host': LOCAL, 'port': 80, 'transport': 'sctp'}]}, ['transport', 'tcp, udp', 'sctp']),
    ({'targets': [{'host': LOCAL, 'port': 0}]}, ['targets[0].port', 'from 1 to 65535']),
    ({'targets': [{'host': LOCAL, 'port': 22}, {'host': LOCAL, 'port': 70000}]},
     ['targets[1].port', 'got 70000', 'from 1 to 65535']),
    ({'targets': [{'host': '', 'port': 80}]}, ['targets[0].host', 'host name or IP address']),
    ({'targets': [{'host': LOCAL, 'port': 80, 'probe': 'http'}]}, ['probe', 'none, snmp, mdns, tls', 'http']),
    ({'targets': [{'host': LOCAL, 'port': 161, 'probe': 'snmp'}]}, ['targets[0].probe', 'needs transport udp']),
    ({'targets': [{'host': LOCAL, 'port': 161, 'transport': 'udp', 'probe': 'snmp', 'version': '3'}]},
     ['targets[0].username', 'required when version is 3']),
    ({'targets': [{'host': LOCAL, 'port': 161, 'transport': 'udp', 'probe': 'snmp'}], 'version': '4'},
     ['version', '1, 2c, 3']),
    ({'targets': [{'host': LOCAL, 'port': 80}], 'timeout': 0}, ['timeout', 'greater than 0']),
    ({'targets': [{'host': LOCAL, 'port': 80}], 'concurrency': 0}, ['concurrency', 'from 1']),
    ({'peers': {'printers': [LOCAL]}}, ['peers.printers', 'accepted roles', 'printer']),
    ({'peers': {'printer': [LOCAL]}, 'features': {'database': 'oracle'}},
     ['features.database', 'sqlserver, firebird']),
    ({'features': {'smtp': 'sometimes'}}, ['features.smtp', 'off, none, ssl, starttls']),
    ({'peers': {'printer': [LOCAL]}, 'vantage': 'toaster'}, ['vantage', 'mve_server']),
    ({'targets': [{'host': LOCAL, 'port': 443, 'probe': 'tls'}], 'ca_path': '/nonexistent/ca.pem'},
     ['ca_path', 'cannot load CA certificates']),
]


@pytest.mark.parametrize('args, words', BAD_INPUT, ids=[str(i) for i in range(len(BAD_INPUT))])
def test_bad_input_fails_with_field_and_choices(args, words, capsys, monkeypatch):
    def no_probe(*a, **k):
        raise AssertionError('a probe ran despite bad input')

    monkeypatch.setattr(port_probe, 'check_all', no_probe)
    code, out = run_module(args, capsys)
    assert code == 1
    assert out['failed'] is True
    for word in words:
        assert word in out['msg'], out['msg']


# ---- results ------------------------------------------------------------------------------------

def test_results_and_summary(capsys, tcp_listener, free_port):
    closed = free_port(port_probe.socket.SOCK_STREAM)
    code, out = run_module({'targets': [{'host': LOCAL, 'port': tcp_listener}, {'host': LOCAL, 'port': closed},
                                        {'host': LOCAL, 'port': free_port(), 'transport': 'udp'}],
                            'timeout': 0.5}, capsys)
    assert code == 0
    assert out['changed'] is False
    assert [r['state'] for r in out['results']] == ['open', 'closed', 'closed']
    summary = out['summary']
    assert (summary['open'], summary['closed'], summary['total']) == (1, 2, 3)
    assert summary['filtered'] == 0 and summary['open_or_filtered'] == 0 and summary['error'] == 0
    assert summary['elapsed_ms'] >= 0


@pytest.mark.parametrize('details, kept', [
    ('full', ['closed', 'open', 'closed']), ('failures', ['closed', 'closed']), ('summary', [])])
def test_details_selects_the_results_and_the_summary_counts_them_all(details, kept, capsys, tcp_listener, free_port):
    closed = [free_port(port_probe.socket.SOCK_STREAM), free_port(port_probe.socket.SOCK_STREAM)]
    code, out = run_module({'targets': [{'host': LOCAL, 'port': closed[0]}, {'host': LOCAL, 'port': tcp_listener},
                                        {'host': LOCAL, 'port': closed[1]}],
                            'timeout': 0.5, 'details': details}, capsys)
    assert code == 0
    assert [r['state'] for r in out['results']] == kept
    if details == 'failures':
        assert [r['port'] for r in out['results']] == closed  # input order
    assert (out['summary']['open'], out['summary']['closed'], out['summary']['total']) == (1, 2, 3)


def test_invocation_names_the_number_of_targets_and_masks_secrets(capsys, free_port):
    port = free_port(port_probe.socket.SOCK_STREAM)
    code, out = run_module({'targets': [{'host': LOCAL, 'port': port},
                                        {'host': LOCAL, 'port': 161, 'transport': 'udp', 'probe': 'snmp',
                                         'community': 'per-target-secret'}],
                            'timeout': 0.2, 'retries': 0, 'community': 'module-secret'}, capsys)
    assert code == 0
    echoed = out['invocation']['module_args']
    assert echoed['targets'] == 2  # each target is in the results, not echoed again
    assert [(r['host'], r['port'], r['transport'], r['probe']) for r in out['results']] == [
        (LOCAL, port, 'tcp', 'none'), (LOCAL, 161, 'udp', 'snmp')]
    assert echoed['community'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert echoed['details'] == 'full' and echoed['timeout'] == 0.2
    assert 'secret' not in json.dumps(out).replace('VALUE_SPECIFIED_IN_NO_LOG_PARAMETER', '')


# ---- plain targets skip the suboption validation, with the same outcome ---------------------------

PLAIN = [
    [],
    [{'host': LOCAL, 'port': 9100}],
    [{'host': 'printer01.example.com', 'port': 443, 'probe': 'tls', 'server_name': 'p1.example.com'},
     {'host': LOCAL, 'port': 161, 'transport': 'udp', 'probe': 'snmp', 'version': '3', 'username': 'mve',
      'auth_protocol': 'sha256', 'priv_protocol': 'aes', 'context': 'c'},
     {'host': LOCAL, 'port': 5353, 'transport': 'udp', 'probe': 'mdns', 'tls': False, 'server_name': None}],
]
NOT_PLAIN = [
    # why the full argument spec must see it
    ([{'host': LOCAL, 'port': '9100'}], 'a string to convert to int'),
    ([{'host': LOCAL, 'port': True}], 'a boolean where an int is expected'),
    ([{'host': LOCAL, 'port': 443, 'tls': 'yes'}], 'a string to convert to bool'),
    ([{'host': 10, 'port': 80}], 'an int to convert to str'),
    ([{'host': LOCAL, 'port': 80, 'transport': None}], 'a null the default replaces'),
    ([{'host': LOCAL, 'port': 161, 'transport': 'udp', 'community': 'per-target-secret'}], 'a secret to mask'),
    ([{'host': LOCAL, 'port': 80}, {'host': LOCAL, 'port': 80, 'colour': 'red'}], 'an unknown key'),
    ([{'host': LOCAL, 'port': 80, 'transport': 'sctp'}], 'a bad choice'),
    ([{'port': 80}], 'a required option missing'),
    ('printer01:9100', 'not a list'),
]


def _modules(args):
    """(the module create_module makes, the module the full argument spec makes) for ``args``."""
    with patch_module_args(args):
        fast = port_check_options.create_module()
    with patch_module_args(args):
        full = port_check_options.ARGUMENT_SPEC.create_module()
    return fast, full


@pytest.mark.parametrize('targets', PLAIN, ids=[str(i) for i in range(len(PLAIN))])
def test_plain_targets_are_validated_as_the_argument_spec_would(targets):
    fast, full = _modules({'targets': targets, 'community': 'module-secret', 'timeout': 1})
    assert 'options' not in fast.argument_spec['targets']  # the suboptions were not run
    assert fast.params == full.params
    assert fast.no_log_values == full.no_log_values == {'module-secret'}


@pytest.mark.parametrize('targets, why', NOT_PLAIN, ids=[w for dummy, w in NOT_PLAIN])
def test_other_targets_go_through_the_full_argument_spec(targets, why, capsys):
    del why
    args = {'targets': targets}
    with patch_module_args(args):
        try:
            module = port_check_options.create_module()
        except SystemExit:  # the argument spec rejected it, as before
            assert json.loads(capsys.readouterr().out)['failed'] is True
            return
    assert module.argument_spec['targets']['options'] == port_check_options.ARGUMENT_SPEC.argument_spec['targets']['options']
    assert module.params['targets'] == _modules(args)[1].params['targets']


def test_a_target_secret_is_known_to_ansiblemodule_before_it_logs_the_invocation(monkeypatch):
    logged = []
    from ansible.module_utils import basic
    monkeypatch.setattr(basic.AnsibleModule, 'log', lambda self, msg, log_args=None: logged.append(msg))
    args = {'targets': [{'host': LOCAL, 'port': 161, 'transport': 'udp', 'probe': 'snmp', 'community': 'per-target-secret'}]}
    with patch_module_args(args):
        module = port_check_options.create_module()
    assert 'per-target-secret' in module.no_log_values
    assert logged and not any('per-target-secret' in m for m in logged)


def test_check_mode_returns_the_same_results(capsys, tcp_listener):
    args = {'targets': [{'host': LOCAL, 'port': tcp_listener}], 'timeout': 0.5}
    code, normal = run_module(args, capsys)
    check_args = dict(args, _ansible_check_mode=True)
    code_check, checked = run_module(check_args, capsys)
    assert code == code_check == 0
    assert checked['changed'] is False
    strip = [dict((k, v) for k, v in r.items() if k != 'rtt_ms') for r in checked['results']]
    assert strip == [dict((k, v) for k, v in r.items() if k != 'rtt_ms') for r in normal['results']]
    assert checked['results'][0]['state'] == 'open'


def test_features_and_peers_derive_matrix_flows(capsys, monkeypatch):
    seen = []

    async def fake_check_all(targets, *args, **kwargs):
        seen.extend(targets)
        return [port_probe._result(t, 'open_or_filtered', 'test') for t in targets]

    monkeypatch.setattr(port_probe, 'check_all', fake_check_all)
    code, out = run_module({
        'targets': [{'host': 'manual.example.com', 'port': 9100}],
        'features': {'printer_protocols': ['snmp', 'https']},
        'peers': {'printer': ['p1.example.com']},
        'community': 'fleet-community',
    }, capsys)
    assert code == 0
    got = [(r['host'], r['transport'], r['port'], r['probe'], r.get('flow')) for r in out['results']]
    snmp_port = port_matrix.get_flow('printer.snmp')['destination_port']
    https_port = port_matrix.get_flow('printer.https')['destination_port']
    https_161 = port_matrix.get_flow('printer.https_161')['destination_port']
    assert got == [
        ('manual.example.com', 'tcp', 9100, 'none', None),
        ('p1.example.com', 'udp', snmp_port, 'snmp', 'printer.snmp'),
        ('p1.example.com', 'tcp', https_161, 'none', 'printer.https_161'),
        ('p1.example.com', 'tcp', https_port, 'tls', 'printer.https'),
    ]
    assert out['results'][2]['advisory'] is True
    # the module-level community reaches the derived SNMP target, and never the results
    assert seen[1]['snmp']['community'] == 'fleet-community'
    assert 'fleet-community' not in json.dumps(out['results'])


def test_snmp_against_snmpd_with_module_level_defaults(capsys, snmpd):
    code, out = run_module({
        'targets': [{'host': snmpd.host, 'port': snmpd.port, 'transport': 'udp', 'probe': 'snmp'},
                    {'host': snmpd.host, 'port': snmpd.port, 'transport': 'udp', 'probe': 'snmp',
                     'community': 'wrong-community'}],
        'community': snmpd.community, 'version': '2c', 'timeout': 0.3, 'retries': 0,
    }, capsys)
    assert code == 0
    first, second = out['results']
    assert first['state'] == 'open' and 'Linux' in first['snmp']['sys_descr']
    assert second['state'] == 'open_or_filtered'


@pytest.mark.parametrize('flag, lib, target', [
    ('HAS_PYSNMP', 'pysnmp', {'host': LOCAL, 'port': 161, 'transport': 'udp', 'probe': 'snmp'}),
    ('HAS_DNSPYTHON', 'dnspython', {'host': LOCAL, 'port': 5353, 'transport': 'udp', 'probe': 'mdns'}),
    ('HAS_CRYPTOGRAPHY', 'cryptography', {'host': LOCAL, 'port': 443, 'probe': 'tls'}),
])
def test_missing_library(flag, lib, target, capsys, monkeypatch, tcp_listener):
    owner = {'HAS_PYSNMP': snmp_wire, 'HAS_DNSPYTHON': mdns_wire, 'HAS_CRYPTOGRAPHY': tls_facts}[flag]
    monkeypatch.setattr(owner, flag, False)
    monkeypatch.setattr(owner, flag.replace('HAS_', '') + '_IMPORT_ERROR', 'Traceback: ImportError: no ' + lib)
    code, out = run_module({'targets': [target]}, capsys)
    assert code == 1
    assert 'Failed to import the required Python library (%s)' % lib in out['msg']
    # a run that does not need the library still works
    code, out = run_module({'targets': [{'host': LOCAL, 'port': tcp_listener}]}, capsys)
    assert code == 0 and out['results'][0]['state'] == 'open'


# ---- documentation matches the argument spec ----------------------------------------------------------

def _compare(doc_options, spec, path='options'):
    assert set(doc_options) == set(spec), path
    for name, s in spec.items():
        d = doc_options[name]
        where = '%s.%s' % (path, name)
        assert d.get('type', 'str') == s.get('type', 'str'), where
        assert d.get('required', False) == s.get('required', False), where
        assert d.get('default') == s.get('default'), where
        assert d.get('choices') == s.get('choices'), where
        assert d.get('elements') == s.get('elements'), where
        if 'options' in s:
            _compare(d['suboptions'], s['options'], where)


def test_documentation_matches_argument_spec():
    doc = yaml.safe_load(port_check.DOCUMENTATION)
    _compare(doc['options'], port_check_options.ARGUMENT_SPEC.argument_spec)
    assert doc['version_added'] == '0.1.0'
    assert doc['attributes']['check_mode']['support'] == 'full'
    assert doc['attributes']['diff_mode']['support'] == 'none'
    yaml.safe_load(port_check.EXAMPLES)
    ret = yaml.safe_load(port_check.RETURN)
    assert set(ret) == {'results', 'summary', 'vantage', 'round_trips', 'field', 'error_kind'}
    assert set(ret['summary']['contains']) == set(port_probe.STATES) | {'total', 'elapsed_ms'}
    assert set(ret['results']['contains']['tls']['contains']) == set(tls_facts.TLS_FACT_KEYS)
