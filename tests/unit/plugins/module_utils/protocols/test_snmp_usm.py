"""protocols/snmp_usm.py without a peer: RFC 3414's key-localization vectors, a message built and read back,
and the replies it must refuse or ignore. Against a real net-snmp agent (every USM combination, wrong keys,
unknown users): tests/unit/plugins/module_utils/probes/test_windows_probe.py, through the Windows path."""
import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp as snmp_wire
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp_usm

# RFC 3414 appendix A.3: password "maplesyrup", engine id 00 00 00 00 00 00 00 00 00 00 00 02.
RFC_ENGINE = '000000000000000000000002'
RFC_LOCALIZED = {
    'md5': '526f5eed9fcce26f8964c2930787d82b',
    'sha': '6695febc9288e36282235fc7151f128497b38f3f',
}


@pytest.mark.parametrize('protocol', sorted(RFC_LOCALIZED))
def test_key_localization_matches_rfc3414_appendix_a3(protocol):
    user = snmp_usm.UsmUser(RFC_ENGINE, 'u', auth_protocol=protocol, auth_key='maplesyrup')
    assert bytes(user.auth_key).hex() == RFC_LOCALIZED[protocol]


USERS = [
    dict(auth_protocol='sha', auth_key='auth-key-1', priv_protocol='aes', priv_key='priv-key-1'),
    dict(auth_protocol='md5', auth_key='auth-key-1', priv_protocol='des', priv_key='priv-key-1'),
    dict(auth_protocol='sha512', auth_key='auth-key-1', priv_protocol='aes256', priv_key='priv-key-1'),
    dict(auth_protocol='sha256', auth_key='auth-key-1'),
    dict(),
]


@pytest.mark.parametrize('creds', USERS, ids=['sha-aes', 'md5-des', 'sha512-aes256', 'sha256-authnopriv', 'noauth'])
def test_built_message_reads_back(creds):
    """What build_get sends verifies and decrypts with the same user's keys (a GetRequest, read as the reply
    would be: the crypto path is the same) and carries the flags of its security level."""
    user = snmp_usm.UsmUser('80001f8880aabbccdd', 'mve', **creds)
    data = snmp_usm.build_get(user, 77, 78, 3, 12345, oids=[snmp_wire.SYS_DESCR_OID, '1.3.6.1.2.1.1.5.0'])
    header = snmp_wire.parse_v3_message(data)
    assert header['msg_id'] == 77 and header['user_name'] == 'mve'
    assert (header['engine_boots'], header['engine_time']) == (3, 12345)
    assert header['flags'] == {'auth': bool(creds), 'priv': 'priv_key' in creds, 'reportable': True}
    assert header['encrypted'] is ('priv_key' in creds)
    if 'priv_key' in creds:
        assert b'mve' in data and 'priv-key-1'.encode() not in data and 'auth-key-1'.encode() not in data
    read = snmp_usm.parse_get_reply(data, user, 77)
    assert read['ok'] is True and read['error_status_name'] == 'noError'
    assert read['varbinds'] == [(snmp_wire.SYS_DESCR_OID, None), ('1.3.6.1.2.1.1.5.0', None)]


def test_a_reply_to_another_message_is_ignored():
    user = snmp_usm.UsmUser('80001f8880aabbccdd', 'mve', **USERS[0])
    data = snmp_usm.build_get(user, 77, 78, 3, 12345)
    assert snmp_usm.parse_get_reply(data, user, 76) is None
    assert snmp_usm.parse_get_reply(snmp_wire.build_get_request(77, 'public'), user, 77) is None   # v2c


def test_a_tampered_reply_is_refused():
    user = snmp_usm.UsmUser('80001f8880aabbccdd', 'mve', **USERS[0])
    data = bytearray(snmp_usm.build_get(user, 77, 78, 3, 12345))
    data[-1] ^= 0x01   # one bit of the ciphertext
    with pytest.raises(snmp_usm.UsmError, match='digest does not verify'):
        snmp_usm.parse_get_reply(bytes(data), user, 77)
    other_creds = dict(USERS[0])
    other_creds['auth_key'] = 'another-key'
    other = snmp_usm.UsmUser('80001f8880aabbccdd', 'mve', **other_creds)
    with pytest.raises(snmp_usm.UsmError, match='digest does not verify'):
        snmp_usm.parse_get_reply(snmp_usm.build_get(user, 77, 78, 3, 12345), other, 77)


def test_an_encrypted_reply_to_a_plain_user_is_refused():
    user = snmp_usm.UsmUser('80001f8880aabbccdd', 'mve', **USERS[0])
    plain = snmp_usm.UsmUser('80001f8880aabbccdd', 'mve')
    with pytest.raises(snmp_usm.UsmError, match='authenticated, but the request was not'):
        snmp_usm.parse_get_reply(snmp_usm.build_get(user, 77, 78, 3, 12345), plain, 77)


def test_garbage_is_a_wire_error():
    user = snmp_usm.UsmUser('80001f8880aabbccdd', 'mve', **USERS[0])
    with pytest.raises(snmp_wire.SnmpWireError):
        snmp_usm.parse_get_reply(b'\x30\x03\x02\x01\x03', user, 77)


@pytest.mark.parametrize('field,creds', [
    ('auth_protocol', dict(auth_protocol='sha3', auth_key='auth-key-1')),
    ('priv_protocol', dict(auth_protocol='sha', auth_key='auth-key-1', priv_protocol='rc4', priv_key='priv-key-1')),
])
def test_unknown_protocols_name_the_field(field, creds):
    with pytest.raises(snmp_wire.SnmpWireError, match='^%s: got' % field):
        snmp_usm.UsmUser('80001f8880aabbccdd', 'mve', **creds)


def test_timeout_result_has_the_hlapi_kind():
    assert snmp_usm.timed_out()['error_kind'] == 'timeout' and snmp_usm.timed_out()['ok'] is False
