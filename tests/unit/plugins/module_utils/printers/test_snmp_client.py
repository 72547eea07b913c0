# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""snmp_client and the SET/GETNEXT/GETBULK half of snmp_wire, on the wire and against a real net-snmp snmpd."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio

import pytest
from pyasn1.codec.ber import decoder
from pysnmp.proto import api, rfc1902

from ansible_collections.printfleet.mve.plugins.module_utils.printers import snmp_client as sc
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp as w
from support.fake_snmp_agent import make_agent

SYS_NAME = '1.3.6.1.2.1.1.5.0'
SYS_LOCATION = '1.3.6.1.2.1.1.6.0'
SYS_CONTACT = '1.3.6.1.2.1.1.4.0'
SYS_DESCR = '1.3.6.1.2.1.1.1.0'
SERIAL = '1.3.6.1.2.1.43.5.1.1.17.1'
SUPPLY_DESCR = '1.3.6.1.2.1.43.11.1.1.6'
SUPPLY_MAX = '1.3.6.1.2.1.43.11.1.1.8'
SUPPLY_LEVEL = '1.3.6.1.2.1.43.11.1.1.9'
MISSING = '1.3.6.1.4.1.641.6.2.3.1.5.1'
V3_USERS = ['sha1aes', 'sha1aes256', 'sha224aes192', 'sha256aes256', 'sha384aes', 'sha512aes256', 'md5des',
            'sha256auth']


def run(coro):
    return asyncio.run(coro)


# ---- snmp_wire: SET, GETNEXT, GETBULK messages -------------------------------------------------------------

SET_VECTORS = [
    # type spelling, value, expected decoded python value, pysnmp class name on the wire
    ('octet_string', 'printer01', 'printer01', 'OctetString'),
    ('s', u'B\xe2timent 2', u'B\xe2timent 2', 'OctetString'),
    ('integer', -7, -7, 'Integer'),
    ('i', '42', 42, 'Integer'),
    ('ip_address', '192.0.2.10', '192.0.2.10', 'IpAddress'),
    ('ObjectIdentifier', '.1.3.6.1.4.1.641', '1.3.6.1.4.1.641', 'ObjectIdentifier'),
    ('counter32', 4294967295, 4294967295, 'Counter32'),
    ('gauge32', 0, 0, 'Gauge32'),
    ('unsigned32', '0x10', 16, 'Gauge32'),
    ('timeticks', 8640000, 8640000, 'TimeTicks'),
    ('hex_string', '00:1b:2c', '0x001b2c', 'OctetString'),
]


@pytest.mark.parametrize('version', ['1', '2c'])
@pytest.mark.parametrize('vtype, value, expected, wire_class', SET_VECTORS,
                         ids=[v[0] + '-' + str(i) for i, v in enumerate(SET_VECTORS)])
def test_set_request_round_trip(version, vtype, value, expected, wire_class):
    data = w.build_set_request(99, 'private', version, [(SYS_NAME, vtype, value)])
    parsed = w.parse_response(data)
    assert parsed['pdu_type'] == 'set' and parsed['request_id'] == 99 and parsed['version'] == version
    assert parsed['varbinds'] == [(SYS_NAME, expected)]
    mod = api.PROTOCOL_MODULES[0 if version == '1' else 1]
    msg, dummy = decoder.decode(data, asn1Spec=mod.Message())
    value_obj = mod.apiPDU.get_varbinds(mod.apiMessage.get_pdu(msg))[0][1]
    assert value_obj.__class__.__name__ in (wire_class, 'Integer32', wire_class[:-2])
    assert bytes(mod.apiMessage.get_community(msg)) == b'private'


@pytest.mark.parametrize('vtype, value, message', [
    ('integer', 2 ** 31, 'out of range'),
    ('integer', 'ten', 'whole number'),
    ('integer', True, 'boolean'),
    ('counter32', -1, 'out of range'),
    ('ip_address', '300.1.1.1', 'dotted IPv4'),
    ('ip_address', 'printer01', 'dotted IPv4'),
    ('object_identifier', 'sysName', 'bad OID'),
    ('hex_string', 'zz', 'hex digits'),
    ('float', 1.5, 'unknown SNMP value type'),
])
def test_set_request_bad_values(vtype, value, message):
    with pytest.raises(w.SnmpWireError, match=message):
        w.build_set_request(1, 'private', '2c', [(SYS_NAME, vtype, value)])


def test_set_request_refuses_v3_and_empty():
    with pytest.raises(w.SnmpWireError, match='v1 and v2c only'):
        w.build_set_request(1, 'private', '3', [(SYS_NAME, 's', 'x')])
    with pytest.raises(w.SnmpWireError, match='at least one varbind'):
        w.build_set_request(1, 'private', '2c', [])


@pytest.mark.parametrize('version', ['1', '2c'])
def test_getnext_round_trip(version):
    parsed = w.parse_response(w.build_getnext_request(7, 'public', version, [SUPPLY_DESCR, SUPPLY_LEVEL]))
    assert parsed['pdu_type'] == 'getnext'
    assert [oid for oid, dummy in parsed['varbinds']] == [SUPPLY_DESCR, SUPPLY_LEVEL]


def test_getbulk_fields():
    data = w.build_getbulk_request(8, 'public', [SYS_DESCR, SUPPLY_DESCR, SUPPLY_LEVEL], 1, 12)
    mod = api.PROTOCOL_MODULES[1]
    msg, dummy = decoder.decode(data, asn1Spec=mod.Message())
    pdu = mod.apiMessage.get_pdu(msg)
    assert pdu.__class__.__name__ == 'GetBulkRequestPDU'
    assert int(mod.apiBulkPDU.get_non_repeaters(pdu)) == 1
    assert int(mod.apiBulkPDU.get_max_repetitions(pdu)) == 12
    assert w.parse_response(data)['pdu_type'] == 'getbulk'
    with pytest.raises(w.SnmpWireError, match='non-repeaters'):
        w.build_getbulk_request(8, 'public', [SYS_DESCR], 2, 12)


@pytest.mark.parametrize('name, kind', [('notWritable', 'not_writable'), ('readOnly', 'read_only'),
                                        ('wrongType', 'wrong_type'), ('noAccess', 'no_access'),
                                        ('authorizationError', 'authorization'), ('noSuchName', 'no_such_object'),
                                        ('wrongLength', 'wrong_value'), ('genErr', 'general'),
                                        (17, 'not_writable'), (99, 'error_status')])
def test_error_status_kinds(name, kind):
    assert w.error_status_kind(name)[0] == kind


def test_subtree_and_order():
    assert w.oid_in_subtree('1.3.6.1.2.1.43.11.1.1.6.1.1', SUPPLY_DESCR)
    assert not w.oid_in_subtree(SUPPLY_DESCR, SUPPLY_DESCR)
    assert not w.oid_in_subtree('1.3.6.1.2.1.43.11.1.1.60.1', SUPPLY_DESCR)
    assert w.oid_key('1.3.6.1.2.1.1.10') > w.oid_key('1.3.6.1.2.1.1.9.1')


def test_response_exceptions_parsed():
    mod = api.PROTOCOL_MODULES[1]
    pdu = mod.GetResponsePDU()
    mod.apiPDU.set_defaults(pdu)
    mod.apiPDU.set_request_id(pdu, 3)
    mod.apiPDU.set_varbinds(pdu, [(mod.ObjectIdentifier(SYS_NAME), rfc1902.OctetString(b'x')),
                                  (mod.ObjectIdentifier(MISSING), mod.NoSuchObject('')),
                                  (mod.ObjectIdentifier(SERIAL), mod.NoSuchInstance('')),
                                  (mod.ObjectIdentifier('1.9'), mod.EndOfMibView(''))])
    msg = mod.Message()
    mod.apiMessage.set_defaults(msg)
    mod.apiMessage.set_community(msg, b'public')
    mod.apiMessage.set_pdu(msg, pdu)
    from pyasn1.codec.ber import encoder
    parsed = w.parse_response(encoder.encode(msg))
    assert parsed['exceptions'] == {MISSING: 'noSuchObject', SERIAL: 'noSuchInstance', '1.9': 'endOfMibView'}


# ---- the client against a real net-snmp agent ----------------------------------------------------------------

def client(agent, version='2c', community=None, host=None, timeout=2.0, retries=1, **kwargs):
    if version in ('1', '2c'):
        kwargs['community'] = community or agent.community
    return sc.SnmpClient(host or agent.host, agent.port, timeout=timeout, retries=retries, version=version, **kwargs)


def v3_client(agent, user, **overrides):
    params = agent.v3(user)
    params.update(overrides)
    return sc.SnmpClient(agent.host, agent.port, timeout=1.0, retries=1, **params)


async def _get(c, oids):
    try:
        return await c.get(oids)
    finally:
        c.close()


async def _walk(c, oid):
    try:
        return await c.walk(oid)
    finally:
        c.close()


async def _set_and_read(c, varbinds):
    try:
        reply = await c.set(varbinds)
        back = await c.get([oid for oid, dummy_t, dummy_v in varbinds])
        return reply, back
    finally:
        c.close()


def _error(coro):
    with pytest.raises(sc.SnmpError) as info:
        run(coro)
    return info.value


@pytest.mark.parametrize('version', ['1', '2c'])
def test_get_v1_v2c_with_missing_objects(printer_snmpd, version):
    reply = run(_get(client(printer_snmpd, version), [SYS_DESCR, MISSING, SERIAL]))
    values = reply.values()
    assert values[SYS_DESCR].startswith('Lexmark MS822de')
    assert values[SERIAL] == 'LAB0042'
    assert reply.exceptions == {MISSING: 'noSuchObject'}
    assert [oid for oid, dummy in reply.varbinds] == [SYS_DESCR, MISSING, SERIAL] or version == '1'


@pytest.mark.parametrize('user', V3_USERS)
def test_get_v3_every_user(printer_snmpd, user):
    reply = run(_get(v3_client(printer_snmpd, user), [SYS_DESCR, SERIAL, MISSING]))
    assert reply.values()[SERIAL] == 'LAB0042'
    assert reply.exceptions == {MISSING: 'noSuchObject'}


EXPECTED_SUPPLY_LEVELS = [(SUPPLY_LEVEL + '.1.1', 4500), (SUPPLY_LEVEL + '.1.2', 30000), (SUPPLY_LEVEL + '.1.3', -3)]


@pytest.mark.parametrize('version', ['1', '2c', '3'])
def test_walk_every_version(printer_snmpd, version):
    c = v3_client(printer_snmpd, 'sha1aes') if version == '3' else client(printer_snmpd, version)
    assert run(_walk(c, SUPPLY_LEVEL)) == EXPECTED_SUPPLY_LEVELS
    c = v3_client(printer_snmpd, 'sha1aes') if version == '3' else client(printer_snmpd, version)
    system = run(_walk(c, '1.3.6.1.2.1.1'))
    oids = [oid for oid, dummy in system]
    assert SYS_DESCR in oids and SYS_NAME in oids and len(oids) > 10
    assert oids == sorted(oids, key=w.oid_key)


@pytest.mark.parametrize('version', ['1', '2c'])
def test_walk_many_in_lockstep_across_pdus(printer_snmpd, version):
    async def go():
        c = client(printer_snmpd, version)
        try:
            return await c.walk_many([SUPPLY_DESCR, SUPPLY_MAX, SUPPLY_LEVEL], max_repetitions=2)
        finally:
            c.close()
    out = run(go())
    assert [v for dummy, v in out[SUPPLY_DESCR]] == ['Black Toner Cartridge', 'Imaging Unit', 'Waste Toner Bottle']
    assert [v for dummy, v in out[SUPPLY_MAX]] == [15000, 60000, -2]
    assert out[SUPPLY_LEVEL] == EXPECTED_SUPPLY_LEVELS


def test_walk_past_the_end_is_empty(printer_snmpd):
    assert run(_walk(client(printer_snmpd, '2c'), '1.3.6.1.4.1.99999')) == []
    assert run(_walk(client(printer_snmpd, '1'), '1.3.6.1.4.1.99999')) == []


@pytest.mark.parametrize('version', ['1', '2c'])
def test_set_v1_v2c_with_read_back(printer_snmpd, version):
    value = 'set by v%s' % version
    c = client(printer_snmpd, version, community=printer_snmpd.write_community)
    reply, back = run(_set_and_read(c, [(SYS_LOCATION, 'octet_string', value), (SYS_CONTACT, 's', value + '!')]))
    assert reply.values() == {SYS_LOCATION: value, SYS_CONTACT: value + '!'}
    assert back.values() == {SYS_LOCATION: value, SYS_CONTACT: value + '!'}


@pytest.mark.parametrize('user', V3_USERS)
def test_set_v3_every_user_with_read_back(printer_snmpd, user):
    reply, back = run(_set_and_read(v3_client(printer_snmpd, user), [(SYS_LOCATION, 'octet_string', 'v3 ' + user)]))
    assert back.values() == {SYS_LOCATION: 'v3 ' + user}


def test_wrong_community_is_a_timeout(printer_snmpd):
    error = _error(_get(client(printer_snmpd, '2c', community='not-the-community', timeout=0.3), [SYS_DESCR]))
    assert error.kind == 'timeout'
    assert 'no reply: wrong community, ACL, or no agent' in str(error)
    assert 'not-the-community' not in str(error)


def test_nothing_listening_is_unreachable(printer_snmpd, free_port):
    error = _error(_get(sc.SnmpClient('127.0.0.1', free_port(), timeout=0.5, community='public'), [SYS_DESCR]))
    assert error.kind == 'unreachable' and 'port unreachable' in str(error)


@pytest.mark.parametrize('user', V3_USERS)
def test_wrong_auth_key_is_an_authentication_error(printer_snmpd, user):
    error = _error(_get(v3_client(printer_snmpd, user, auth_key='wrong-auth-key'), [SYS_DESCR]))
    assert error.kind == 'authentication'
    assert 'Wrong SNMP PDU digest' in str(error)
    assert 'wrong-auth-key' not in str(error)


def test_unknown_user_is_an_authentication_error(printer_snmpd):
    error = _error(_get(v3_client(printer_snmpd, 'sha1aes', username='nobody'), [SYS_DESCR]))
    assert error.kind == 'authentication'
    assert 'user' in str(error).lower()


@pytest.mark.parametrize('user', ['sha1aes', 'sha256aes256', 'sha512aes256', 'md5des'])
def test_wrong_priv_key_is_a_decryption_error(printer_snmpd, user):
    error = _error(_get(v3_client(printer_snmpd, user, priv_key='wrong-priv-key'), [SYS_DESCR]))
    assert error.kind == 'decryption'
    assert 'priv_key' in str(error) and 'wrong-priv-key' not in str(error)


def test_wrong_priv_protocol_is_a_decryption_error(printer_snmpd):
    error = _error(_get(v3_client(printer_snmpd, 'sha1aes', priv_protocol='des'), [SYS_DESCR]))
    assert error.kind == 'decryption'


@pytest.mark.parametrize('version, kind', [('2c', 'not_writable'), ('1', 'no_such_object'), ('3', 'not_writable')])
def test_read_only_object_refused_with_the_agents_error(printer_snmpd, version, kind):
    if version == '3':
        c = v3_client(printer_snmpd, 'sha256aes256')
    else:
        c = client(printer_snmpd, version, community=printer_snmpd.write_community)
    error = _error(_set_and_read(c, [(SYS_DESCR, 'octet_string', 'not a printer')]))
    assert error.kind == kind
    assert error.oid == SYS_DESCR
    assert error.error_status == {'not_writable': 'notWritable', 'no_such_object': 'noSuchName'}[kind]


def test_read_only_community_cannot_set(printer_snmpd):
    error = _error(_set_and_read(client(printer_snmpd, '2c'), [(SYS_NAME, 's', 'x')]))
    assert error.kind == 'no_access'


def test_wrong_type_refused(printer_snmpd):
    c = client(printer_snmpd, '2c', community=printer_snmpd.write_community)
    error = _error(_set_and_read(c, [(SYS_NAME, 'integer', 5)]))
    assert error.kind == 'wrong_type' and error.error_status == 'wrongType'


def test_concurrent_requests_share_one_socket(printer_snmpd):
    async def go():
        c = client(printer_snmpd, '2c')
        try:
            return await asyncio.gather(*[c.get([SYS_DESCR, SERIAL]) for dummy in range(50)]
                                        + [c.walk(SUPPLY_DESCR) for dummy in range(5)])
        finally:
            c.close()
    out = run(go())
    assert all(r.values()[SERIAL] == 'LAB0042' for r in out[:50])
    assert all(len(r) == 3 for r in out[50:])


# ---- scripted agents: replies a real agent would not send ---------------------------------------------------

def test_walk_that_does_not_increase_is_stopped(udp_responder):
    agent = udp_responder(make_agent({SYS_NAME: rfc1902.OctetString(b'a'), SYS_NAME[:-1] + '7':
                                      rfc1902.OctetString(b'b')}, walk_repeat=True))
    error = _error(_walk(sc.SnmpClient('127.0.0.1', agent.port, timeout=1.0, community='public'), '1.3.6.1.2.1.1'))
    assert error.kind == 'protocol' and 'not increasing' in str(error)


def test_replies_to_other_request_ids_are_ignored(udp_responder):
    inner = make_agent({SYS_NAME: rfc1902.OctetString(b'right')})

    def reply(data):
        good = inner(data)
        parsed = w.parse_response(good)
        bogus = w.build_get_request((parsed['request_id'] + 1) % 1000, 'public', '2c', [SYS_NAME])
        return bogus + b''  # a GetRequest with another id: not a response, never matched

    agent = udp_responder(reply)
    error = _error(_get(sc.SnmpClient('127.0.0.1', agent.port, timeout=0.3, retries=0, community='public'),
                        [SYS_NAME]))
    assert error.kind == 'timeout'


def test_option_errors_and_argument_spec():
    spec = sc.argument_spec()
    assert spec['host']['required'] is True and spec['community']['no_log'] is True
    assert 'host' not in sc.argument_spec(host=False)
    assert sc.default_port() == 161
    params = w.resolve_snmp_params({'version': '3'})
    params.update(port=70000, timeout=0, retries=11)
    fields = [e.field for e in sc.option_errors(params)]
    assert fields == ['username', 'port', 'timeout', 'retries']


# ---- the fast BER path gives exactly what pyasn1 gives -------------------------------------------------------

def _pyasn1_request(kind, request_id, community, version, oids, non_repeaters=0, max_repetitions=0):
    from pyasn1.codec.ber import encoder
    mod = api.PROTOCOL_MODULES[0 if version == '1' else 1]
    pdu = {'get': mod.GetRequestPDU, 'getnext': mod.GetNextRequestPDU,
           'getbulk': getattr(mod, 'GetBulkRequestPDU', None)}[kind]()
    mod.apiPDU.set_defaults(pdu)
    mod.apiPDU.set_request_id(pdu, request_id)
    mod.apiPDU.set_varbinds(pdu, [(mod.ObjectIdentifier(o), mod.null) for o in oids])
    if kind == 'getbulk':
        mod.apiBulkPDU.set_non_repeaters(pdu, non_repeaters)
        mod.apiBulkPDU.set_max_repetitions(pdu, max_repetitions)
    msg = mod.Message()
    mod.apiMessage.set_defaults(msg)
    mod.apiMessage.set_community(msg, community.encode('utf-8'))
    mod.apiMessage.set_pdu(msg, pdu)
    return encoder.encode(msg)


FAST_OIDS = [['1.3.6.1.2.1.1.1.0'], ['0.0'], ['1.39.127.128.16383.16384.2097151.2097152.4294967295'],
             ['2.999.1', '1.3.6.1.4.1.641.2.1.2.1.2.1'], ['1.3.6.1.2.1.43.11.1.1.%d' % c for c in range(1, 40)]]


@pytest.mark.parametrize('oids', FAST_OIDS, ids=[str(i) for i in range(len(FAST_OIDS))])
@pytest.mark.parametrize('request_id', [0, 1, 127, 128, 255, 256, 32767, 32768, 65535, 2 ** 23, 2 ** 31 - 1])
@pytest.mark.parametrize('community', ['public', 'x' * 200])
def test_fast_requests_are_pyasn1_bytes(oids, request_id, community):
    for version in ('1', '2c'):
        assert w.build_get_request(request_id, community, version, oids) == _pyasn1_request(
            'get', request_id, community, version, oids)
        assert w.build_getnext_request(request_id, community, version, oids) == _pyasn1_request(
            'getnext', request_id, community, version, oids)
    for non_rep, max_rep in ((0, 0), (0, 10), (len(oids), 127), (0, 128), (0, 2 ** 31 - 1)):
        assert w.build_getbulk_request(request_id, community, oids, non_rep, max_rep) == _pyasn1_request(
            'getbulk', request_id, community, '2c', oids, non_rep, max_rep)


FAST_VALUES = [
    rfc1902.OctetString(b'Lexmark MS822de'), rfc1902.OctetString(b'nul\x00\x00'), rfc1902.OctetString(b''),
    rfc1902.OctetString(b'\x00\x1b\x2c\xff'), rfc1902.OctetString(u'caf\xe9'.encode('utf-8')),
    rfc1902.OctetString(b'x' * 300), rfc1902.Integer32(0), rfc1902.Integer32(-1), rfc1902.Integer32(-129),
    rfc1902.Integer32(127), rfc1902.Integer32(128), rfc1902.Integer32(-2147483648), rfc1902.Integer32(2147483647),
    rfc1902.Counter32(4294967295), rfc1902.Counter32(0), rfc1902.Gauge32(128), rfc1902.TimeTicks(8640000),
    rfc1902.Unsigned32(7), rfc1902.Counter64(18446744073709551615), rfc1902.IpAddress('192.0.2.10'),
    rfc1902.ObjectIdentifier('1.3.6.1.4.1.641.1.822'), rfc1902.ObjectIdentifier('0.0'),
    rfc1902.Opaque(b'\x9f\x78\x04'),
]


def _reply(mod, varbinds, request_id=42, error_status=0, error_index=0, pdu_class='GetResponsePDU'):
    from pyasn1.codec.ber import encoder
    pdu = getattr(mod, pdu_class)()
    mod.apiPDU.set_defaults(pdu)
    mod.apiPDU.set_request_id(pdu, request_id)
    mod.apiPDU.set_error_status(pdu, error_status)
    mod.apiPDU.set_error_index(pdu, error_index)
    mod.apiPDU.set_varbinds(pdu, varbinds)
    msg = mod.Message()
    mod.apiMessage.set_defaults(msg)
    mod.apiMessage.set_community(msg, b'public')
    mod.apiMessage.set_pdu(msg, pdu)
    return encoder.encode(msg)


@pytest.mark.parametrize('request_id', [0, 5, 300, 2 ** 31 - 1, -1])
@pytest.mark.parametrize('error_status', [0, 2, 17])
def test_fast_parse_matches_pyasn1(request_id, error_status):
    mod = api.PROTOCOL_MODULES[1]
    varbinds = [(mod.ObjectIdentifier('1.3.6.1.2.1.1.%d.0' % i), v) for i, v in enumerate(FAST_VALUES, 1)]
    varbinds += [(mod.ObjectIdentifier('1.3.6.1.9.1'), mod.NoSuchObject('')),
                 (mod.ObjectIdentifier('1.3.6.1.9.2'), mod.NoSuchInstance('')),
                 (mod.ObjectIdentifier('1.3.6.1.9.3'), mod.EndOfMibView('')),
                 (mod.ObjectIdentifier('1.3.6.1.9.4'), mod.null)]
    data = _reply(mod, varbinds, request_id, error_status, 3)
    fast = w._fast_parse(data)
    assert fast is not None
    assert fast == w._pyasn1_parse(data)


def test_fast_parse_v1_and_requests_match_pyasn1():
    v1 = api.PROTOCOL_MODULES[0]
    values = [v for v in FAST_VALUES if v.__class__.__name__ not in ('Counter64', 'Unsigned32', 'Counter32',
                                                                     'Gauge32', 'Integer32', 'TimeTicks')]
    data = _reply(v1, [(v1.ObjectIdentifier('1.3.6.1.2.1.1.%d.0' % i), v) for i, v in enumerate(values, 1)])
    assert w._fast_parse(data) == w._pyasn1_parse(data)
    for request in (w.build_get_request(9, 'c', '1', [SYS_NAME]), w.build_getbulk_request(9, 'c', [SYS_NAME], 0, 5),
                    w.build_set_request(9, 'c', '2c', [(SYS_NAME, 's', 'x'), (SYS_LOCATION, 'i', 3)])):
        assert w._fast_parse(request) == w._pyasn1_parse(request)


def test_fast_parse_leaves_the_unusual_to_pyasn1():
    v2 = api.PROTOCOL_MODULES[1]
    trap = _reply(v2, [(v2.ObjectIdentifier(SYS_NAME), v2.null)], pdu_class='SNMPv2TrapPDU')
    assert w._fast_parse(trap) is not None  # a v2c trap is just another PDU
    assert w._fast_parse(w.build_v3_discovery(1, 1)) is None
    assert w._fast_parse(b'') is None and w._fast_parse(b'\x30\x80\x00\x00') is None
    good = _reply(v2, [(v2.ObjectIdentifier(SYS_NAME), rfc1902.OctetString(b'x'))])
    assert w._fast_parse(good + b'\x00') is None
    for cut in range(1, len(good)):
        assert w._fast_parse(good[:cut]) is None


def test_port_check_authenticates_every_v3_user(printer_snmpd):
    """port_probe shares snmp_wire's protocol table: SHA-1 + AES-256 (Blumenthal key extension) works there too."""
    from ansible_collections.printfleet.mve.plugins.module_utils.probes import port_probe
    targets = [dict(printer_snmpd.v3(user), host=printer_snmpd.host, port=printer_snmpd.port, transport='udp',
                    probe='snmp') for user in V3_USERS]
    results = port_probe.run_checks(targets, timeout=1.0)
    assert [(r['snmp']['authenticated'], r['snmp']['error']) for r in results] == [(True, None)] * len(V3_USERS)
