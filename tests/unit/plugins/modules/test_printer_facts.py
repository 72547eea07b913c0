# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""printer_facts against a real net-snmp snmpd serving three loopback addresses, plus a dead address."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from support.module_args import patch_module_args

from ansible_collections.printfleet.mve.plugins.module_utils.printers import fleet_facts as printer_fleet
from ansible_collections.printfleet.mve.plugins.module_utils.printers import snmp_client
from ansible_collections.printfleet.mve.plugins.modules import printer_facts

EXPECTED_SUPPLIES = [
    {'index': '1.1', 'description': 'Black Toner Cartridge', 'level': 4500, 'max_capacity': 15000, 'percent': 30.0},
    {'index': '1.2', 'description': 'Imaging Unit', 'level': 30000, 'max_capacity': 60000, 'percent': 50.0},
    {'index': '1.3', 'description': 'Waste Toner Bottle', 'level': -3, 'max_capacity': -2, 'percent': None},
]


def run_module(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            printer_facts.main()
    return info.value.code, json.loads(capsys.readouterr().out)


def dead_address(agent):
    """An address beside the agent's on which nothing listens (ICMP port unreachable comes back)."""
    return agent.hosts[0].rsplit('.', 1)[0] + '.200'


@pytest.mark.parametrize('version', ['1', '2c', '3'])
def test_facts_of_several_printers_and_a_dead_one(printer_snmpd, capsys, version):
    dead = dead_address(printer_snmpd)
    args = {'printers': printer_snmpd.hosts + [dead], 'port': printer_snmpd.port, 'timeout': 1.0,
            'concurrency': 2}
    if version == '3':
        args.update(printer_snmpd.v3('sha256aes256'))
    else:
        args.update(version=version, community=printer_snmpd.community)
    code, out = run_module(args, capsys)
    assert code == 0, out
    assert out['changed'] is False
    assert sorted(out['printers']) == sorted(printer_snmpd.hosts + [dead])
    for host in printer_snmpd.hosts:
        facts = out['printers'][host]
        assert facts['reachable'] is True and facts['error'] is None, facts
        assert facts['vendor'] == 'Lexmark'
        assert facts['sys_object_id'] == '1.3.6.1.4.1.641.1.822'
        assert facts['model'] == 'MS822de'
        assert facts['serial'] == 'LAB0042'
        assert facts['firmware'] == 'MXTGM.081.215'
        assert facts['page_count'] == 12345
        assert isinstance(facts['uptime_s'], int)
        assert facts['supplies'] == EXPECTED_SUPPLIES
    down = out['printers'][dead]
    assert down['reachable'] is False
    assert down['error_kind'] in ('unreachable', 'timeout')
    assert dead in down['error'] or 'no reply' in down['error']
    assert out['summary']['total'] == 4 and out['summary']['reachable'] == 3 and out['summary']['unreachable'] == 1
    dumped = json.dumps(out['printers']) + json.dumps(out['summary'])
    assert printer_snmpd.auth_key not in dumped and printer_snmpd.priv_key not in dumped


def test_wrong_community_reported_per_printer(printer_snmpd, capsys):
    code, out = run_module({'printers': printer_snmpd.hosts[:2], 'port': printer_snmpd.port, 'community': 'nope-123',
                            'timeout': 0.3, 'retries': 0}, capsys)
    assert code == 0
    for facts in out['printers'].values():
        assert facts == {'reachable': False, 'error_kind': 'timeout', 'error': facts['error']}
        assert 'wrong community' in facts['error'] and 'nope-123' not in facts['error']
    assert out['summary']['errors'] == {'timeout': 2}


def test_wrong_v3_auth_key_reported_per_printer(printer_snmpd, capsys):
    args = {'printers': printer_snmpd.hosts[:1], 'port': printer_snmpd.port, 'timeout': 1.0}
    args.update(printer_snmpd.v3('sha1aes'))
    args['auth_key'] = 'wrong-auth-key'
    code, out = run_module(args, capsys)
    assert code == 0
    assert out['printers'][printer_snmpd.hosts[0]]['error_kind'] == 'authentication'


def test_no_pysnmp_engine_on_the_v2c_path(printer_snmpd, monkeypatch):
    def boom(*a, **k):
        raise AssertionError('a pysnmp engine was created for SNMP v2c')

    monkeypatch.setattr(snmp_client, 'new_engine', boom)
    monkeypatch.setattr(snmp_client.SnmpClient, '_hlapi', boom)
    printers, summary = printer_fleet.collect(printer_snmpd.hosts * 3, {'version': '2c', 'community': 'public',
                                                                        'port': printer_snmpd.port})
    assert summary['reachable'] == 3 and summary['total'] == 3  # duplicates are read once


def test_in_flight_is_bounded(printer_snmpd, monkeypatch):
    state = {'now': 0, 'max': 0}
    original = printer_fleet.read_printer

    async def counting(client):
        state['now'] += 1
        state['max'] = max(state['max'], state['now'])
        try:
            return await original(client)
        finally:
            state['now'] -= 1

    monkeypatch.setattr(printer_fleet, 'read_printer', counting)
    hosts = [printer_snmpd.hosts[0].rsplit('.', 1)[0] + '.%d' % i for i in range(1, 21)]
    printers, summary = printer_fleet.collect(hosts, {'community': 'public', 'port': printer_snmpd.port,
                                                      'timeout': 0.5}, concurrency=4)
    assert state['max'] == 4
    assert summary['reachable'] == 3 and summary['total'] == 20
    assert list(printers) == hosts   # in the order given, whichever printer answered first


@pytest.mark.parametrize('args, field', [
    ({'printers': ['ok', ' '], 'port': 161}, 'printers[1]'),
    ({'printers': ['ok'], 'concurrency': 0}, 'concurrency'),
    ({'printers': ['ok'], 'version': '3'}, 'username'),
])
def test_bad_input(capsys, args, field):
    code, out = run_module(args, capsys)
    # the argument spec's own constraints (version 3 needs username) name the field in the message only
    assert code == 1 and out.get('field', field) == field and field in out['msg'], out


def test_empty_fleet(capsys):
    code, out = run_module({'printers': []}, capsys)
    assert code == 0 and out['printers'] == {} and out['summary']['total'] == 0
