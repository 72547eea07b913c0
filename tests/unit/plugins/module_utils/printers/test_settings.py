# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""printer_settings: the settings as data and the one engine (resolve, plan, read-back check, facts)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.printers import settings as ps
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp as snmp_wire

SYS_NAME = '1.3.6.1.2.1.1.5.0'
SYS_LOCATION = '1.3.6.1.2.1.1.6.0'
SYS_CONTACT = '1.3.6.1.2.1.1.4.0'


def test_settings_are_well_formed_data():
    for name, s in ps.SETTINGS.items():
        assert set(s) == {'oid', 'type', 'writable', 'description', 'fact', 'optional', 'source'}, name
        assert snmp_wire.value_type(s['type']) == s['type'], name
        assert s['description'].endswith('.') or s['description'].endswith(')'), name
        snmp_wire.oid_key(s['oid'])
        assert s['optional'] == s['oid'].startswith('1.3.6.1.4.1.641.'), name
    assert sorted(n for n, s in ps.SETTINGS.items() if s['writable']) == ['sysContact', 'sysLocation', 'sysName']
    assert len(set(s['oid'] for s in ps.SETTINGS.values())) == len(ps.SETTINGS)
    assert set(ps.FACT_NAMES) == set(ps.SETTINGS)


@pytest.mark.parametrize('ref, oid, name', [
    ('sysName', SYS_NAME, 'sysName'),
    ('SYSNAME', SYS_NAME, 'sysName'),
    ('sysName.0', SYS_NAME, 'sysName'),
    ('.1.3.6.1.2.1.1.5.0', SYS_NAME, 'sysName'),
    ('1.3.6.1.2.1.1.6.0', SYS_LOCATION, 'sysLocation'),
    ('prtMarkerLifeCount', '1.3.6.1.2.1.43.10.2.1.4.1.1', 'prtMarkerLifeCount'),
    ('1.3.6.1.4.1.99999.1.0', '1.3.6.1.4.1.99999.1.0', None),
])
def test_resolve(ref, oid, name):
    assert ps.resolve(ref) == (oid, name)


def test_resolve_unknown_name():
    with pytest.raises(ps.SettingError, match='unknown setting name or bad OID .*sysNmae.*sysLocation'):
        ps.resolve('sysNmae')


def test_wanted_sets_normalizes_and_types():
    wanted = ps.wanted_sets([{'name': 'sysName', 'value': 'p01'}, {'oid': '1.3.6.1.4.1.99999.1.0', 'type': 'i',
                                                                   'value': '7'}])
    assert wanted == [{'oid': SYS_NAME, 'name': 'sysName', 'type': 'octet_string', 'value': 'p01'},
                      {'oid': '1.3.6.1.4.1.99999.1.0', 'name': None, 'type': 'integer', 'value': 7}]


@pytest.mark.parametrize('items, field, words', [
    ([{'value': 'x'}], 'set[0]', 'needs oid or name'),
    ([{'oid': SYS_NAME, 'name': 'sysName', 'value': 'x'}], 'set[0]', 'not both'),
    ([{'name': 'sysNmae', 'value': 'x'}], 'set[0].name', 'unknown setting name'),
    ([{'oid': '1.3.6.1.4.1.99999.1.0', 'value': 1}], 'set[0].type', 'required for OID'),
    ([{'name': 'sysDescr', 'value': 'x'}], 'set[0]', 'read-only; writable settings: sysContact, sysLocation, sysName'),
    ([{'name': 'sysName', 'value': None}], 'set[0].value', 'required'),
    ([{'name': 'sysName', 'value': 'x', 'type': 'float'}], 'set[0].type', 'unknown SNMP value type'),
    ([{'oid': '1.3.6.1.4.1.99999.1.0', 'type': 'integer', 'value': 'lots'}], 'set[0].value', 'whole number'),
    ([{'name': 'sysName', 'value': 'a'}, {'oid': SYS_NAME, 'value': 'b'}], 'set[1]', 'already set by set[0]'),
])
def test_wanted_sets_errors(items, field, words):
    with pytest.raises(ps.SettingError) as info:
        ps.wanted_sets(items)
    assert info.value.field == field
    assert words in str(info.value)


def test_plan_sets_only_what_differs_and_is_idempotent():
    wanted = ps.wanted_sets([{'name': 'sysName', 'value': 'p01'}, {'name': 'sysLocation', 'value': 'Room 2'},
                             {'name': 'sysContact', 'value': 'help'},
                             {'oid': '1.3.6.1.4.1.99999.1.0', 'type': 'integer', 'value': '5'},
                             {'oid': '1.3.6.1.4.1.99999.2.0', 'type': 'ip', 'value': '192.0.2.1'}])
    current = {SYS_NAME: 'p01', SYS_LOCATION: 'Room 1', SYS_CONTACT: None, '1.3.6.1.4.1.99999.1.0': 5,
               '1.3.6.1.4.1.99999.2.0': '192.0.2.1'}
    changes = ps.plan_sets(wanted, current)
    assert changes == [
        {'oid': SYS_LOCATION, 'name': 'sysLocation', 'type': 'octet_string', 'before': 'Room 1', 'after': 'Room 2'},
        {'oid': SYS_CONTACT, 'name': 'sysContact', 'type': 'octet_string', 'before': None, 'after': 'help'},
    ]
    after = dict(current)
    after.update((c['oid'], c['after']) for c in changes)
    assert ps.plan_sets(wanted, after) == []
    assert ps.unconfirmed(changes, after) == []
    bad = ps.unconfirmed(changes, current)
    assert [c['oid'] for c in bad] == [SYS_LOCATION, SYS_CONTACT]
    assert bad[0]['read_back'] == 'Room 1'


@pytest.mark.parametrize('vtype, wanted, have, same', [
    ('integer', '5', 5, True),
    ('integer', 5, '5', True),
    ('octet_string', 'a', 'a ', False),
    ('octet_string', 7, '7', True),
    ('ip_address', '192.0.2.1', '192.000.2.1', True),
    ('object_identifier', '.1.3.6.1', '1.3.6.1', True),
    ('hex_string', '00:1B', '0x001b', True),
    ('timeticks', 100, 'not a number', False),
])
def test_normalization_per_type(vtype, wanted, have, same):
    want = ps.wanted_sets([{'oid': '1.3.6.1.4.1.99999.1.0', 'type': vtype, 'value': wanted}])
    assert (ps.plan_sets(want, {'1.3.6.1.4.1.99999.1.0': have}) == []) is same


@pytest.mark.parametrize('sys_oid, descr, vendor', [
    ('1.3.6.1.4.1.641.1.822', None, 'Lexmark'),
    ('1.3.6.1.4.1.11.2.3.9.1', None, 'HP'),
    ('1.3.6.1.4.1.253.8.62.1', None, 'Xerox'),
    ('1.3.6.1.4.1.367.1.1', None, 'Ricoh'),
    ('1.3.6.1.4.1.1602.4.7', None, 'Canon'),
    ('1.3.6.1.4.1.1347.41', None, 'Kyocera'),
    ('1.3.6.1.4.1.2435.2.3.9.1', None, 'Brother'),
    ('1.3.6.1.4.1.18334.1.2.1.2.1.142.3.2', None, 'Konica Minolta'),
    ('1.3.6.1.4.1.1248.1.1.2', None, 'Epson'),
    ('1.3.6.1.4.1.2385.3.1', None, 'Sharp'),
    ('1.3.6.1.4.1.1129.2.3.45.1', None, 'Toshiba'),
    ('1.3.6.1.4.1.8072.3.2.10', 'Lexmark CX825de', 'Lexmark'),
    ('1.3.6.1.4.1.8072.3.2.10', 'Linux printserver', None),
    (None, 'HP LaserJet 4250', 'HP'),
    ('not an oid', None, None),
])
def test_vendor(sys_oid, descr, vendor):
    assert ps.vendor(sys_oid, descr) == vendor


def test_facts_of_a_lexmark():
    values = {
        '1.3.6.1.2.1.1.1.0': 'Lexmark CX825de version CXTPP.081.215 kernel 4.17.19-yocto-standard All-N-1',
        '1.3.6.1.2.1.1.2.0': '1.3.6.1.4.1.641.1.825',
        '1.3.6.1.2.1.1.3.0': 123456,
        '1.3.6.1.2.1.25.3.2.1.3.1': 'Lexmark CX825de',
        '1.3.6.1.2.1.43.5.1.1.17.1': 'LAB5000002',
        '1.3.6.1.2.1.43.10.2.1.4.1.1': 1074,
        '1.3.6.1.4.1.641.2.1.2.1.4.1': 'CXTPP.081.216',
    }
    facts = ps.printer_facts(values, {
        '1.3.6.1.2.1.43.11.1.1.6': [('1.3.6.1.2.1.43.11.1.1.6.1.1', 'Cyan Cartridge'),
                                    ('1.3.6.1.2.1.43.11.1.1.6.1.10', 'Fuser')],
        '1.3.6.1.2.1.43.11.1.1.9': [('1.3.6.1.2.1.43.11.1.1.9.1.1', 500), ('1.3.6.1.2.1.43.11.1.1.9.1.10', -3)],
        '1.3.6.1.2.1.43.11.1.1.8': [('1.3.6.1.2.1.43.11.1.1.8.1.1', 2000), ('1.3.6.1.2.1.43.11.1.1.8.1.10', 0)],
    })
    assert facts['vendor'] == 'Lexmark' and facts['model'] == 'CX825de' and facts['serial'] == 'LAB5000002'
    assert facts['firmware'] == 'CXTPP.081.216'  # the private OID wins over sysDescr
    assert facts['uptime_s'] == 1234 and facts['page_count'] == 1074
    assert facts['supplies'] == [
        {'index': '1.1', 'description': 'Cyan Cartridge', 'level': 500, 'max_capacity': 2000, 'percent': 25.0},
        {'index': '1.10', 'description': 'Fuser', 'level': -3, 'max_capacity': 0, 'percent': None}]


def test_facts_of_another_vendor_and_of_a_bare_agent():
    facts = ps.printer_facts({'1.3.6.1.2.1.1.1.0': 'HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,FW:2409048',
                              '1.3.6.1.2.1.1.2.0': '1.3.6.1.4.1.11.2.3.9.1',
                              '1.3.6.1.2.1.25.3.2.1.3.1': 'HP LaserJet M607'})
    assert (facts['vendor'], facts['model'], facts['firmware'], facts['serial']) == ('HP', 'LaserJet M607',
                                                                                     '2409048', None)
    bare = ps.printer_facts({})
    assert bare['vendor'] is None and bare['supplies'] == [] and bare['uptime_s'] is None
    assert ps.fact_oids()[0] == '1.3.6.1.2.1.1.1.0' and len(ps.supply_columns()) == 3
