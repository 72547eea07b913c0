# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""printer_port_access: option errors and the guard rail, which fail before any connection (the host is an address
nothing listens on: a connection attempt would fail with another error_kind). The HTTPS conversation itself runs
against the lab simulator in tests/integration/test_printer_port_access.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from support.module_args import patch_module_args

from ansible_collections.printfleet.mve.plugins.modules import printer_port_access

NOWHERE = '127.0.0.1'   # profile port 9: nothing listens (discard), a connection would be refused


def run_module(args, capsys):
    args = dict({'host': NOWHERE, 'password': 'Secret-Pa55', 'profile': {'port': 9}, 'timeout': 1.0}, **args)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            printer_port_access.main()
    return info.value.code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize('args, kind, field', [
    ({'ports': {'tcp/21': 'off'}}, 'invalid_option', 'ports.tcp/21'),
    ({'ports': {'ftp': 'disabled'}}, 'invalid_option', 'ports.ftp'),
    ({'ports': {'tcp/21': 'disabled'}, 'features': {'printer_protocols': ['nope']}}, 'invalid_option',
     'features.printer_protocols'),
    ({'ports': {'tcp/21': 'disabled'}, 'profile': {'label_patterns': ['(']}}, 'invalid_option',
     'profile.label_patterns[0]'),
    ({'ports': {'tcp/21': 'disabled'}, 'features': {'printer_protocols': ['snmp']}, 'fingerprint': 'abc'},
     'invalid_option', 'fingerprint'),
])
def test_option_errors_name_the_field(args, kind, field, capsys):
    code, out = run_module(args, capsys)
    assert code == 1 and out['failed']
    assert out['error_kind'] == kind
    assert out['field'] == field
    assert 'Secret-Pa55' not in json.dumps(out)


def test_guard_rail_names_the_flows_and_sends_nothing(capsys):
    code, out = run_module({'ports': {'tcp/443': 'disabled', 'tcp/21': 'disabled'},
                            'features': {'printer_protocols': ['https', 'snmp']}}, capsys)
    assert out['error_kind'] == 'guard_rail'
    assert out['blocked'] == {'tcp/443': ['printer.https']}
    assert 'printer.https' in out['msg'] and 'force' in out['msg']


def test_guard_rail_with_vendor_defaults(capsys):
    code, out = run_module({'ports': {'tcp/21': 'disabled'}}, capsys)
    assert out['error_kind'] == 'guard_rail'
    assert out['blocked'] == {'tcp/21': ['printer.ftp']}


def test_force_passes_the_guard_rail_then_connects(capsys):
    code, out = run_module({'ports': {'tcp/21': 'disabled'}, 'force': True}, capsys)
    assert out['error_kind'] == 'unreachable'   # it went on to connect: nothing listens there
    assert 'refused' in out['msg']


# ---- printers: the fleet in one task ---------------------------------------------------------------------------

def run_fleet(args, capsys):
    args = dict({'password': 'Secret-Pa55', 'profile': {'port': 9}, 'timeout': 1.0,
                 'ports': {'tcp/21': 'disabled'}, 'force': True}, **args)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            printer_port_access.main()
    return info.value.code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize('args, field, words', [
    ({'printers': []}, 'printers', 'at least one printer'),
    ({'printers': [{'host': '127.0.0.1'}, {'host': 'https://127.0.0.2/'}]}, 'printers[1].host', 'no scheme'),
    ({'printers': [{'host': '127.0.0.1'}, {'host': '127.0.0.1 '}]}, 'printers[1].host', 'printers[0] is the same'),
    ({'printers': [{'host': '127.0.0.1', 'fingerprint': 'abc'}]}, 'printers[0].fingerprint', 'SHA-256'),
    ({'printers': [{'host': '127.0.0.1'}], 'fingerprint': 'abc'}, 'fingerprint', 'SHA-256'),
    ({'printers': [{'host': '127.0.0.1'}], 'concurrency': 0}, 'concurrency', 'from 1 to 256'),
    ({'printers': [{'host': '127.0.0.1'}], 'timeout': 0}, 'timeout', 'greater than 0'),
    ({'printers': [{'host': '127.0.0.1'}], 'ports': {'tcp/21': 'off'}}, 'ports.tcp/21', 'enabled'),
    ({'printers': [{'host': '127.0.0.1'}], 'ca_path': '/nonexistent/ca.pem'}, 'ca_path', 'cannot load'),
])
def test_fleet_input_errors_name_the_field_before_any_printer(args, field, words, capsys):
    code, out = run_fleet(args, capsys)
    assert code == 1 and out['error_kind'] == 'invalid_option'
    assert out['field'] == field and words in out['msg']
    assert 'printers' not in out and out['changed'] is False   # failed before any printer: no per-printer results
    assert 'Secret-Pa55' not in json.dumps(out)


def test_fleet_input_lists_every_problem(capsys):
    code, out = run_fleet({'printers': [{'host': 'a b'}, {'host': '127.0.0.1', 'fingerprint': 'xyz'}],
                           'concurrency': 9999}, capsys)
    assert out['field'] == 'concurrency'
    for text in ('concurrency:', 'printers[0].host:', 'printers[1].fingerprint:'):
        assert text in out['msg']


def test_fleet_guard_rail_refuses_before_any_printer(capsys):
    code, out = run_fleet({'printers': [{'host': '127.0.0.1'}], 'force': False}, capsys)
    assert out['error_kind'] == 'guard_rail' and out['blocked'] == {'tcp/21': ['printer.ftp']}
    assert 'printers' not in out


def test_fleet_runs_every_printer_and_lists_the_failures(capsys):
    code, out = run_fleet({'printers': [{'host': '127.0.0.1'}, {'host': '127.0.0.2', 'password': 'Other-Pa55'}],
                           'concurrency': 2}, capsys)
    assert code == 1 and out['failed_printers'] == ['127.0.0.1', '127.0.0.2']
    assert set(out['printers']) == {'127.0.0.1', '127.0.0.2'}
    for result in out['printers'].values():
        assert result['failed'] and result['error_kind'] == 'unreachable' and result['changed'] is False
    assert out['msg'].startswith('2 of 2 printers failed: 127.0.0.1: connection to 127.0.0.1:9 refused')
    assert out['forced'] == {'tcp/21': ['printer.ftp']}
    text = json.dumps(out)
    assert 'Secret-Pa55' not in text and 'Other-Pa55' not in text
