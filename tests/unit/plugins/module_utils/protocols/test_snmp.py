# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import socket

import pytest
from pyasn1.codec.ber import encoder
from pysnmp.proto import api, rfc1902, rfc1905

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp as w

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
V1 = api.PROTOCOL_MODULES[api.SNMP_VERSION_1]

# ---- exact bytes (hand-checked against RFC 1157 / RFC 3416 BER) --------------------------------

KNOWN_REQUESTS = [
    # request_id, community, version, oids, hex
    (1234, 'public', '2c', [w.SYS_DESCR_OID],
     '302702010104067075626c6963a01a020204d2020100020100300e300c06082b060102010101000500'),
    (1234, 'public', '1', [w.SYS_DESCR_OID],
     '302702010004067075626c6963a01a020204d2020100020100300e300c06082b060102010101000500'),
    (1, 'public', '2c', ['.1.3.6.1.2.1.1.1.0'],
     '302602010104067075626c6963a019020101020100020100300e300c06082b060102010101000500'),
    (0, 'x', '2c', ['1.3.6.1.2.1.1.5.0'],
     '3021020101040178a019020100020100020100300e300c06082b060102010105000500'),
    (300, 'public', '2c', [w.SYS_DESCR_OID, '1.3.6.1.2.1.1.3.0'],
     '303502010104067075626c6963a0280202012c020100020100301c300c06082b060102010101000500'
     '300c06082b060102010103000500'),
]


@pytest.mark.parametrize('request_id, community, version, oids, expected', KNOWN_REQUESTS)
def test_build_get_request_known_bytes(request_id, community, version, oids, expected):
    assert w.build_get_request(request_id, community, version, oids).hex() == expected


# ---- round trips: every value type an agent can return -----------------------------------------

VALUE_VECTORS = [
    # (pysnmp value, expected python value, expected exception name or None)
    (rfc1902.OctetString(b'Lexmark MX521ade'), 'Lexmark MX521ade', None),
    (rfc1902.OctetString(b'trailing nul\x00\x00'), 'trailing nul', None),
    (rfc1902.OctetString(b'multi\r\nline\ttext'), 'multi\r\nline\ttext', None),
    (rfc1902.OctetString(u'caf\xe9'.encode('utf-8')), u'caf\xe9', None),
    (rfc1902.OctetString(b'\x00\x1b\x2c\xff'), '0x001b2cff', None),
    (rfc1902.OctetString(b''), '', None),
    (rfc1902.OctetString(b'\x01\x02'), '0x0102', None),
    (rfc1902.Integer32(-5), -5, None),
    (rfc1902.Integer32(2147483647), 2147483647, None),
    (rfc1902.Counter32(4294967295), 4294967295, None),
    (rfc1902.Gauge32(42), 42, None),
    (rfc1902.Unsigned32(7), 7, None),
    (rfc1902.TimeTicks(123456), 123456, None),
    (rfc1902.Counter64(18446744073709551615), 18446744073709551615, None),
    (rfc1902.IpAddress('192.0.2.10'), '192.0.2.10', None),
    (rfc1902.ObjectIdentifier('1.3.6.1.4.1.641.2.1'), '1.3.6.1.4.1.641.2.1', None),
    (rfc1902.Opaque(b'\x9f\x78\x04'), '0x9f7804', None),
    (rfc1905.NoSuchObject(''), None, 'noSuchObject'),
    (rfc1905.NoSuchInstance(''), None, 'noSuchInstance'),
    (rfc1905.EndOfMibView(''), None, 'endOfMibView'),
    (V2C.null, None, None),
]


def _response(varbinds, request_id=99, community='public', mod=V2C, error_status=0, error_index=0):
    pdu = mod.GetResponsePDU()
    mod.apiPDU.set_defaults(pdu)
    mod.apiPDU.set_request_id(pdu, request_id)
    mod.apiPDU.set_error_status(pdu, error_status)
    mod.apiPDU.set_error_index(pdu, error_index)
    mod.apiPDU.set_varbinds(pdu, varbinds)
    msg = mod.Message()
    mod.apiMessage.set_defaults(msg)
    mod.apiMessage.set_community(msg, community)
    mod.apiMessage.set_pdu(msg, pdu)
    return encoder.encode(msg)


@pytest.mark.parametrize('value, expected, exception', VALUE_VECTORS,
                         ids=[type(v[0]).__name__ + '-' + str(i) for i, v in enumerate(VALUE_VECTORS)])
def test_parse_response_value_types(value, expected, exception):
    oid = '1.3.6.1.2.1.1.1.0'
    parsed = w.parse_response(_response([(V2C.ObjectIdentifier(oid), value)], request_id=77))
    assert parsed['request_id'] == 77
    assert parsed['pdu_type'] == 'response'
    assert parsed['varbinds'] == [(oid, expected)]
    assert parsed['exceptions'] == ({oid: exception} if exception else {})
    assert 'community' not in parsed


@pytest.mark.parametrize('version', ['1', '2c'])
@pytest.mark.parametrize('request_id', [0, 1, 127, 128, 255, 256, 65535, 2 ** 24, 2 ** 31 - 1])
@pytest.mark.parametrize('community', ['public', 'pr1v@te community', u'\xe9t\xe9'])
def test_request_round_trip(version, request_id, community):
    oids = [w.SYS_DESCR_OID, '1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.25.3.2.1.3.1']
    data = w.build_get_request(request_id, community, version, oids)
    assert w.message_version(data) == version
    parsed = w.parse_response(data)
    assert parsed['pdu_type'] == 'get'
    assert parsed['request_id'] == request_id
    assert parsed['version'] == version
    assert [oid for oid, dummy in parsed['varbinds']] == oids
    assert all(value is None for dummy, value in parsed['varbinds'])


@pytest.mark.parametrize('status, name', [(0, 'noError'), (1, 'tooBig'), (2, 'noSuchName'), (5, 'genErr'),
                                          (16, 'authorizationError'), (18, 'inconsistentName'), (42, 'error-42')])
def test_error_status_round_trip(status, name):
    mod = V1 if status == 2 else V2C
    data = _response([(mod.ObjectIdentifier(w.SYS_DESCR_OID), mod.null)], error_status=status, error_index=1,
                     mod=mod)
    parsed = w.parse_response(data)
    assert parsed['error_status'] == status
    assert parsed['error_status_name'] == name
    assert parsed['error_index'] == 1


MALFORMED = [
    b'',
    b'\x30',
    b'\x30\x00',
    b'\x04\x03abc',
    b'not snmp at all',
    bytes.fromhex('302702010104067075626c6963a01a020204d2020100020100300e300c06082b0601020101'),  # truncated
    bytes.fromhex('3003020109'),  # version 9
    bytes.fromhex('302702010104067075626c6963a01a020204d2020100020100300e300c06082b060102010101000500') + b'\x00',
]


@pytest.mark.parametrize('data', MALFORMED, ids=[str(i) for i in range(len(MALFORMED))])
def test_parse_malformed(data):
    with pytest.raises(w.SnmpWireError):
        w.parse_message(data)


@pytest.mark.parametrize('kwargs, message', [
    ({'request_id': -1}, 'out of range'),
    ({'request_id': 2 ** 31}, 'out of range'),
    ({'request_id': 1, 'version': '3'}, 'v1 and v2c only'),
    ({'request_id': 1, 'oids': []}, 'at least one OID'),
    ({'request_id': 1, 'oids': ['sysDescr.0']}, 'bad OID'),
    ({'request_id': 1, 'oids': ['1']}, 'bad OID'),
    ({'request_id': 1, 'oids': ['1.3.-6']}, 'bad OID'),
])
def test_build_get_request_bad_arguments(kwargs, message):
    with pytest.raises(w.SnmpWireError, match=message):
        w.build_get_request(**kwargs)


def test_single_oid_string_is_accepted():
    assert w.build_get_request(5, oids=w.SYS_DESCR_OID) == w.build_get_request(5, oids=[w.SYS_DESCR_OID])


# ---- SNMPv3 discovery ---------------------------------------------------------------------------

@pytest.mark.parametrize('msg_id, request_id', [(1, 1), (0, 0), (4242, 777), (2 ** 31 - 1, 2 ** 31 - 1)])
def test_v3_discovery_round_trip(msg_id, request_id):
    data = w.build_v3_discovery(msg_id, request_id)
    assert w.message_version(data) == '3'
    parsed = w.parse_message(data)
    assert parsed['msg_id'] == msg_id
    assert parsed['request_id'] == request_id
    assert parsed['flags'] == {'auth': False, 'priv': False, 'reportable': True}
    assert parsed['security_model'] == 3
    assert parsed['engine_id'] == '' and parsed['user_name'] == ''
    assert parsed['pdu_type'] == 'get' and parsed['varbinds'] == []


def test_v3_discovery_known_bytes():
    # SEQUENCE { version 3, HeaderData { msgID 5, maxSize 65507, flags 0x04, model 3 },
    #            OCTET STRING(USM params, all empty/zero), ScopedPDU { '', '', GetRequest{ 6, 0, 0, {} } } }
    assert w.build_v3_discovery(5, 6).hex() == (
        '3038020103300e020105020300ffe30401040201030410300e0400020100020100040004000400'
        '301104000400a00b0201060201000201003000')


@pytest.mark.parametrize('value', [-1, 2 ** 31])
def test_v3_discovery_bad_ids(value):
    with pytest.raises(w.SnmpWireError):
        w.build_v3_discovery(value, 1)
    with pytest.raises(w.SnmpWireError):
        w.build_v3_discovery(1, value)


def test_parse_response_refuses_v3_and_v3_parser_refuses_v2c():
    with pytest.raises(w.SnmpWireError):
        w.parse_response(w.build_v3_discovery(1, 1))
    with pytest.raises(w.SnmpWireError):
        w.parse_v3_message(w.build_get_request(1))


# ---- SNMP parameters and the shared argument spec -------------------------------------------------

def test_argspec_shape():
    spec = w.SNMP_ARGSPEC_OPTIONS
    assert set(spec) == {'version', 'community', 'username', 'auth_protocol', 'auth_key', 'priv_protocol',
                         'priv_key', 'context'}
    assert {k for k, v in spec.items() if v.get('no_log')} == {'community', 'auth_key', 'priv_key'}
    assert spec['version']['choices'] == ['1', '2c', '3']
    assert all('default' not in v for v in spec.values())


@pytest.mark.parametrize('params, defaults, expected', [
    ({}, None, {'version': '2c', 'community': 'public', 'auth_protocol': None, 'priv_protocol': None}),
    ({'community': 'c1'}, {'community': 'c0', 'version': '1'}, {'version': '1', 'community': 'c1'}),
    ({}, {'version': '3', 'username': 'u', 'auth_key': 'k' * 8}, {'auth_protocol': 'sha', 'priv_protocol': None}),
    ({'priv_key': 'p' * 8, 'auth_key': 'a' * 8}, {'version': '3'}, {'auth_protocol': 'sha', 'priv_protocol': 'aes'}),
    ({'auth_protocol': 'md5', 'auth_key': 'a' * 8}, {'auth_protocol': 'sha512'}, {'auth_protocol': 'md5'}),
])
def test_resolve_snmp_params(params, defaults, expected):
    resolved = w.resolve_snmp_params(params, defaults)
    assert set(resolved) == set(w.SNMP_OPTION_NAMES)
    for key, value in expected.items():
        assert resolved[key] == value


@pytest.mark.parametrize('params, field, text', [
    ({'version': '4'}, 'version', "expected one of: 1, 2c, 3"),
    ({'version': '2c', 'auth_protocol': 'sha1'}, 'auth_protocol', 'md5, sha, sha224'),
    ({'version': '2c', 'priv_protocol': 'blowfish'}, 'priv_protocol', 'des, 3des, aes'),
    ({'version': '3'}, 'username', 'required when version is 3'),
    ({'version': '3', 'username': ''}, 'username', 'required when version is 3'),
    ({'version': '3', 'username': 'u', 'priv_key': 'p' * 8}, 'priv_key', 'needs auth_key'),
    ({'version': '3', 'username': 'u', 'auth_key': 'short'}, 'auth_key', 'at least 8'),
    ({'version': '3', 'username': 'u', 'auth_key': 'a' * 8, 'priv_key': 'short'}, 'priv_key', 'at least 8'),
])
def test_snmp_param_errors(params, field, text):
    errors = w.snmp_param_errors(params)
    assert any(e.field == field and text in e.message and str(e) == '%s: %s' % (field, e.message) for e in errors), errors


@pytest.mark.parametrize('params', [
    {'version': '1'}, {'version': '2c'}, {'version': '3', 'username': 'u'},
    {'version': '3', 'username': 'u', 'auth_key': 'a' * 8, 'priv_key': 'p' * 8, 'auth_protocol': 'sha384',
     'priv_protocol': 'aes256'},
])
def test_snmp_params_fine(params):
    assert w.snmp_param_errors(params) == []


@pytest.mark.parametrize('name, kind', [
    ('WrongDigest', 'authentication'), ('UnknownUserName', 'unknown_user'), ('DecryptionError', 'privacy'),
    ('RequestTimedOut', 'timeout'), ('UnsupportedSecurityLevel', 'security_level'), ('SomethingNew', 'other'),
])
def test_v3_error_mapping(name, kind):
    from pysnmp.proto import errind
    cls = getattr(errind, name, None) or type(name, (errind.ErrorIndication,), {})
    assert w.v3_error(cls('Wrong SNMP PDU digest' if name == 'WrongDigest' else 'x'))[0] == kind


# ---- against a real net-snmp agent ------------------------------------------------------------------

def _exchange(snmpd, data):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    try:
        s.sendto(data, (snmpd.host, snmpd.port))
        return s.recvfrom(65535)[0]
    finally:
        s.close()


@pytest.mark.parametrize('version, flag', [('1', '-v1'), ('2c', '-v2c')])
def test_get_against_net_snmp_agrees_with_snmpget(snmpd, version, flag):
    reply = _exchange(snmpd, w.build_get_request(31337, snmpd.community, version))
    parsed = w.parse_response(reply)
    assert parsed['request_id'] == 31337
    assert parsed['pdu_type'] == 'response'
    assert parsed['version'] == version
    assert parsed['error_status'] == 0
    descr = w.sys_descr(parsed['varbinds'])
    assert 'Linux' in descr
    assert descr == snmpd.snmpget(flag, '-c', snmpd.community)


def test_get_several_oids_against_net_snmp(snmpd):
    oids = [w.SYS_DESCR_OID, '1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.2.0', '1.3.6.1.2.1.1.99.0']
    parsed = w.parse_response(_exchange(snmpd, w.build_get_request(8, snmpd.community, '2c', oids)))
    values = dict(parsed['varbinds'])
    assert isinstance(values['1.3.6.1.2.1.1.3.0'], int)           # sysUpTime, TimeTicks
    assert values['1.3.6.1.2.1.1.2.0'].startswith('1.3.6.1.4.1.')  # sysObjectID
    assert parsed['exceptions'] == {'1.3.6.1.2.1.1.99.0': 'noSuchObject'}


def test_v3_discovery_against_net_snmp(snmpd):
    parsed = w.parse_message(_exchange(snmpd, w.build_v3_discovery(4711, 815)))
    assert parsed['version'] == '3'
    assert parsed['msg_id'] == 4711
    assert parsed['request_id'] == 815
    assert parsed['pdu_type'] == 'report'
    assert parsed['usm_stats'].get('unknown_engine_ids', 0) >= 1
    assert parsed['engine_id'].startswith('8000')  # RFC 3411 format, enterprise id with the high bit set
    assert parsed['engine_boots'] >= 1
    assert parsed['engine_time'] >= 0


@pytest.mark.parametrize('user', sorted(['shauser', 'md5user', 'sha256user']))
def test_snmpv3_get_right_credentials(snmpd, user):
    dummy_a, dummy_p, auth, priv = snmpd.users[user]
    result = asyncio.run(w.snmpv3_get(snmpd.host, snmpd.port, user, auth, snmpd.auth_key, priv, snmpd.priv_key,
                                      timeout=2, retries=1))
    assert result['ok'], result
    assert result['error_kind'] is None
    descr = w.sys_descr(result['varbinds'])
    assert 'Linux' in descr
    net_auth, net_priv = snmpd.users[user][:2]
    assert descr == snmpd.snmpget('-v3', '-l', 'authPriv', '-u', user, '-a', net_auth, '-A', snmpd.auth_key,
                                  '-x', net_priv, '-X', snmpd.priv_key)


@pytest.mark.parametrize('user, auth_key, priv_key, kind', [
    ('shauser', 'wrongpass123', 'privpass123', 'authentication'),
    ('nosuchuser', 'authpass123', 'privpass123', 'unknown_user'),
])
def test_snmpv3_get_wrong_credentials(snmpd, user, auth_key, priv_key, kind):
    result = asyncio.run(w.snmpv3_get(snmpd.host, snmpd.port, user, 'sha', auth_key, 'aes', priv_key,
                                      timeout=1, retries=0))
    assert not result['ok']
    assert result['error_kind'] == kind
    if kind == 'authentication':
        assert 'Wrong SNMP PDU digest' in result['error']
