# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SNMPv3 with credentials on the wire (RFC 3412 / 3414 USM): build an authenticated (and encrypted) GET for an
agent whose engine id, boots and time are known from the engine discovery, and read its reply. No sockets.

This is what lets a vantage point without pysnmp (the Windows MVE server) make the authenticated GET: the
controller builds the datagram here, the host only sends it and returns what came back, and the controller
checks the digest, decrypts and parses it here. The cryptography is pysnmp's own USM services (key
localization, HMAC digests, DES/3DES/AES privacy, the same services its engine uses); the message layout is
pysnmp's ASN.1 types with the pyasn1 codec. The result has the shape of ``snmp.snmpv3_get``'s, with the same
error kinds, so both vantage points give the same verdicts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp as snmp_wire

try:
    from pyasn1.codec.ber import decoder as ber_decoder
    from pyasn1.codec.ber import encoder as ber_encoder
    from pyasn1.type import univ
    from pysnmp.proto import api as snmp_api
    from pysnmp.proto import error as pysnmp_error
    from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message, ScopedPDU
    from pysnmp.proto.secmod.rfc3414.service import SnmpUSMSecurityModel, UsmSecurityParameters
except ImportError:  # pragma: no cover - snmp_wire.HAS_PYSNMP tells the modules
    pass

# Our option names -> the names of pysnmp.entity.config's protocol constants (their values are the service ids
# of SnmpUSMSecurityModel.AUTH_SERVICES / PRIV_SERVICES). AES-192/256 as net-snmp extends the key (Blumenthal):
# see snmp._PRIV_ATTRS.
_AUTH_CONFIG = {
    'md5': 'USM_AUTH_HMAC96_MD5', 'sha': 'USM_AUTH_HMAC96_SHA', 'sha224': 'USM_AUTH_HMAC128_SHA224',
    'sha256': 'USM_AUTH_HMAC192_SHA256', 'sha384': 'USM_AUTH_HMAC256_SHA384', 'sha512': 'USM_AUTH_HMAC384_SHA512',
}
_PRIV_CONFIG = {
    'des': 'USM_PRIV_CBC56_DES', '3des': 'USM_PRIV_CBC168_3DES', 'aes': 'USM_PRIV_CFB128_AES',
    'aes192': 'USM_PRIV_CFB192_AES_BLUMENTHAL', 'aes256': 'USM_PRIV_CFB256_AES_BLUMENTHAL',
}
# A Report's usmStats counter -> the pysnmp error indication the hlapi path would raise (snmp.V3_ERROR_KINDS).
_REPORT_INDICATIONS = {
    'wrong_digests': 'WrongDigest', 'unknown_user_names': 'UnknownUserName',
    'unsupported_sec_levels': 'UnsupportedSecurityLevel', 'decryption_errors': 'DecryptionError',
    'not_in_time_windows': 'NotInTimeWindow', 'unknown_engine_ids': 'UnknownEngineID',
}
_FLAG_AUTH, _FLAG_PRIV, _FLAG_REPORTABLE = 0x01, 0x02, 0x04
_V3 = 3
_USM = 3


class UsmError(snmp_wire.SnmpWireError):
    """A reply that claims to be ours but cannot be trusted or read (bad digest, undecryptable)."""


def _service_id(table, name, field):
    from pysnmp.entity import config
    try:
        return getattr(config, table[name])
    except KeyError:
        raise snmp_wire.SnmpWireError('%s: got %r, expected one of: %s' % (field, name, ', '.join(sorted(table))))


class UsmUser(object):
    """A user's keys localized for one agent (engine id). ``auth_protocol`` / ``priv_protocol`` default as the
    modules' options do (sha, aes); no auth_key means noAuthNoPriv, an auth_key without priv_key authNoPriv."""

    def __init__(self, engine_id, username, auth_protocol=None, auth_key=None, priv_protocol=None, priv_key=None):
        snmp_wire._require_pysnmp()
        self.engine_id = bytes.fromhex(engine_id) if isinstance(engine_id, str) else bytes(engine_id)
        engine = univ.OctetString(self.engine_id)   # pysnmp's key localization wants its ASN.1 type
        self.username = snmp_wire._to_bytes(username)
        self.auth = self.priv = None
        self.auth_key = self.priv_key = None
        if auth_key is not None:
            auth_id = _service_id(_AUTH_CONFIG, auth_protocol or snmp_wire.DEFAULT_AUTH_PROTOCOL, 'auth_protocol')
            self.auth = SnmpUSMSecurityModel.AUTH_SERVICES[auth_id]
            self.auth_key = self.auth.localize_key(self.auth.hash_passphrase(snmp_wire._to_bytes(auth_key)),
                                                   engine)
            if priv_key is not None:
                priv_id = _service_id(_PRIV_CONFIG, priv_protocol or snmp_wire.DEFAULT_PRIV_PROTOCOL, 'priv_protocol')
                self.priv = SnmpUSMSecurityModel.PRIV_SERVICES[priv_id]
                self.priv_key = self.priv.localize_key(
                    auth_id, self.priv.hash_passphrase(auth_id, snmp_wire._to_bytes(priv_key)), engine)

    @property
    def flags(self):
        return (_FLAG_AUTH if self.auth else 0) | (_FLAG_PRIV if self.priv else 0)


def build_get(user, msg_id, request_id, engine_boots, engine_time, oids=(snmp_wire.SYS_DESCR_OID,), context=None):
    """BER bytes of an SNMPv3 GetRequest for ``oids`` from ``user`` (a UsmUser), digest and encryption applied."""
    for name, value in (('msgID', msg_id), ('request-id', request_id)):
        if not 0 <= int(value) <= 2147483647:
            raise snmp_wire.SnmpWireError('%s %r out of range 0..2147483647' % (name, value))
    mod = snmp_api.PROTOCOL_MODULES[snmp_wire._V2C]
    pdu = mod.GetRequestPDU()
    mod.apiPDU.set_defaults(pdu)
    mod.apiPDU.set_request_id(pdu, int(request_id))
    mod.apiPDU.set_varbinds(pdu, [(o, mod.null) for o in snmp_wire._oid_list(oids)])
    scoped = ScopedPDU()
    scoped.setComponentByPosition(0, user.engine_id)
    scoped.setComponentByPosition(1, snmp_wire._to_bytes(context or ''))
    scoped.setComponentByPosition(2).getComponentByPosition(2).setComponentByType(
        pdu.getTagSet(), pdu, verifyConstraints=False, matchTags=False, matchConstraints=False, innerFlag=True)

    usm = UsmSecurityParameters()
    usm.setComponentByPosition(0, user.engine_id)
    usm.setComponentByPosition(1, int(engine_boots))
    usm.setComponentByPosition(2, int(engine_time))
    usm.setComponentByPosition(3, user.username)
    usm.setComponentByPosition(4, b'\x00' * user.auth.digest_length if user.auth else b'')
    msg = SNMPv3Message()
    msg.setComponentByPosition(0, _V3)
    header = msg.setComponentByPosition(1).getComponentByPosition(1)
    header.setComponentByPosition(0, int(msg_id))
    header.setComponentByPosition(1, snmp_wire._MAX_MSG_SIZE)
    header.setComponentByPosition(2, bytes(bytearray([user.flags | _FLAG_REPORTABLE])))
    header.setComponentByPosition(3, _USM)
    data = msg.setComponentByPosition(3).getComponentByPosition(3)
    if user.priv:
        encrypted, salt = user.priv.encrypt_data(user.priv_key, (int(engine_boots), int(engine_time), None),
                                                 ber_encoder.encode(scoped))
        usm.setComponentByPosition(5, salt)
        data.setComponentByPosition(1, encrypted)
    else:
        usm.setComponentByPosition(5, b'')
        data.setComponentByPosition(0, scoped)
    msg.setComponentByPosition(2, ber_encoder.encode(usm))
    whole = ber_encoder.encode(msg)
    if user.auth:
        whole = user.auth.authenticate_outgoing_message(user.auth_key, whole)
    return whole


def empty_result():
    """A snmpv3_get-shaped result with nothing in it yet."""
    return {'ok': False, 'error_kind': None, 'error': None, 'error_status': None, 'error_status_name': None,
            'error_index': None, 'varbinds': [], 'exceptions': {}}


def _indication(result, name, detail):
    kind, sentence = snmp_wire.V3_ERROR_KINDS[name]
    result['error_kind'], result['error'] = kind, '%s [%s]' % (sentence, detail)
    return result


def timed_out():
    """The result when no reply came back (as the hlapi path reports a RequestTimedOut)."""
    return _indication(empty_result(), 'RequestTimedOut', 'no reply to the authenticated GET')


def parse_get_reply(data, user, msg_id):
    """The reply to ``build_get``'s message ``msg_id``: a dict shaped like ``snmp.snmpv3_get``'s result (``ok``,
    ``error_kind``, ``error``, ``error_status``, ``error_status_name``, ``error_index``, ``varbinds``,
    ``exceptions``), or None when the datagram is not that reply (another msgID). A Report (wrong digest,
    unknown user, decryption error ...) becomes its error kind; a reply whose digest does not verify or that
    does not decrypt raises UsmError."""
    if snmp_wire.message_version(data) != '3':
        return None
    try:
        msg, rest = ber_decoder.decode(bytes(data), asn1Spec=SNMPv3Message())
        header = msg.getComponentByPosition(1)
        if int(header.getComponentByPosition(0)) != int(msg_id):
            return None
        flags = bytearray(header.getComponentByPosition(2).asOctets() or b'\x00')[0]
        usm = ber_decoder.decode(msg.getComponentByPosition(2).asOctets(), asn1Spec=UsmSecurityParameters())[0]
        msg_data = msg.getComponentByPosition(3)
    except snmp_wire.DECODE_ERRORS as exc:
        raise snmp_wire.SnmpWireError('malformed SNMPv3 message: %s' % (snmp_wire.decode_reason(exc),))
    if rest:
        raise snmp_wire.SnmpWireError('%d trailing bytes after the SNMPv3 message' % len(rest))
    if flags & _FLAG_AUTH:
        if not user.auth:
            raise UsmError('the reply is authenticated, but the request was not')
        try:
            user.auth.authenticate_incoming_message(user.auth_key, usm.getComponentByPosition(4), bytes(data))
        except (pysnmp_error.StatusInformation, pysnmp_error.ProtocolError) as exc:
            raise UsmError('the reply\'s digest does not verify with this user\'s key: %s' % (exc,))
    if msg_data.getName() == 'encryptedPDU':
        if not (flags & _FLAG_PRIV) or not user.priv:
            raise UsmError('the reply is encrypted, but the request was not')
        salt = usm.getComponentByPosition(5)
        try:
            plain = user.priv.decrypt_data(
                user.priv_key, (int(usm.getComponentByPosition(1)), int(usm.getComponentByPosition(2)), salt),
                msg_data.getComponent())
            scoped = ber_decoder.decode(plain, asn1Spec=ScopedPDU())[0]
        except (pysnmp_error.StatusInformation,) + snmp_wire.DECODE_ERRORS as exc:
            raise UsmError('the reply does not decrypt with this user\'s privacy key: %s' % (snmp_wire.decode_reason(exc),))
    else:
        scoped = msg_data.getComponent()
    mod = snmp_api.PROTOCOL_MODULES[snmp_wire._V2C]
    try:
        fields = snmp_wire._pdu_fields(mod, scoped.getComponentByPosition(2).getComponent())
    except snmp_wire.DECODE_ERRORS as exc:
        raise snmp_wire.SnmpWireError('malformed SNMPv3 scoped PDU: %s' % (snmp_wire.decode_reason(exc),))
    result = empty_result()
    if fields['pdu_type'] == 'report':
        for oid, count in fields['varbinds']:
            name = snmp_wire.USM_STATS.get(oid)
            if name in _REPORT_INDICATIONS:
                return _indication(result, _REPORT_INDICATIONS[name], 'Report %s (%s)' % (name, count))
        result['error_kind'] = 'other'
        result['error'] = 'the agent answered with a Report: %s' % (fields['varbinds'],)
        return result
    result.update(error_status=fields['error_status'], error_status_name=snmp_wire.error_status_name(
        fields['error_status']), error_index=fields['error_index'], varbinds=fields['varbinds'],
        exceptions=fields['exceptions'])
    result['ok'] = fields['error_status'] == 0
    if not result['ok']:
        result['error_kind'] = 'error_status'
        result['error'] = 'the agent answered with error-status %s' % result['error_status_name']
    return result
