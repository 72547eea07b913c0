# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kerberos (RFC 4120) on the wire for the KDC check: an AS-REQ out, an AS-REP or KRB-ERROR back.

* The RFC 4120 section 5 ASN.1 types the check needs, declared with pyasn1 (pyasn1-modules has no Kerberos
  module). The request side is complete (KDC-REQ / AS-REQ with every KDC-REQ-BODY field, so a real client's
  AS-REQ decodes too); the reply side declares KDC-REP / AS-REP down to its outer fields (the ticket and the
  encrypted part stay opaque: nothing is decrypted), KRB-ERROR whole, and the METHOD-DATA / ETYPE-INFO(2)
  hints a KDC puts in a pre-authentication-required error.
* Pure functions: ``build_as_req`` (DER), ``parse_reply`` (BER, classifies the reply), ``clock_skew``,
  ``verdict`` (the check's result from the per-transport exchanges).
* ``kerberos_conversation(params)``: the check as a conversation (see conversation.py). It sends one AS-REQ
  without pre-authentication per transport: UDP (one datagram each way) and TCP (RFC 4120 section 7.2.2:
  a 4-byte big-endian length before each message). No password is ever needed or sent: the KDC's reply
  alone tells whether it is alive, serves the realm, knows the principal and requires pre-authentication,
  and its KRB-ERROR carries the KDC's clock (stime/susec) for the skew.

Two follow-up requests, both without credentials:

* KDC_ERR_C_PRINCIPAL_UNKNOWN is ambiguous: some KDCs (MIT krb5kdc among them) answer it for a realm they do
  not serve as well. The conversation then asks for ``krbtgt/REALM``, the one principal every realm a KDC
  serves has: unknown too means the realm is refused (``unknown_realm``).
* An AS-REP carries no clear-text time, so when every transport got an AS-REP the conversation sends one more
  AS-REQ, for a principal that does not exist (``CLOCK_PROBE_NAME``), only to read the KDC's clock.

The clock of "this host" is read with the conversation's ``Now`` action around each exchange, so the skew is
measured against the clock of the host the check runs from (the MVE server, also through the Windows replay
driver). ``clock()`` (time.time by default) only stamps the request's times.
The encrypted part of an AS-REP (which could be attacked offline) and the salts of ETYPE-INFO2 are never
copied into the results.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import random
import time
import traceback

try:
    from pyasn1.codec.ber import decoder as ber_decoder
    from pyasn1.codec.der import encoder as der_encoder
    from pyasn1.error import PyAsn1Error
    from pyasn1.type import char, constraint, namedtype, tag, univ, useful
except ImportError:  # pragma: no cover - exercised via HAS_PYASN1 in the module
    HAS_PYASN1 = False
    PYASN1_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_PYASN1 = True
    PYASN1_IMPORT_ERROR = None

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import InputError, ProtocolError
from ansible_collections.printfleet.mve.plugins.module_utils.protocols.conversation import (
    Close, Connect, ConnectFailed, ConversationError, FramingError, Now, PeerClosed, ReceiveTimeout, Recv, Send)

FLOW_ID = 'directory.kerberos'
TRANSPORTS = ('udp', 'tcp', 'both')
DEFAULT_PRINCIPAL = 'printfleet-probe'
CLOCK_PROBE_NAME = 'printfleet-clock-probe'
DEFAULT_MAX_SKEW = 300.0
PRINCIPAL_STATES = ('known', 'unknown', 'preauth_required', 'unknown_realm')
REPLY_TYPES = ('AS-REP', 'KRB-ERROR')

# Name types (RFC 4120 section 6.2).
NT_PRINCIPAL = 1
NT_SRV_INST = 2
# Message types (RFC 4120 section 5.10 and 7.5.7).
MSG_AS_REQ = 10
MSG_AS_REP = 11
MSG_KRB_ERROR = 30
# KDC options (RFC 4120 section 5.4.1): bit numbers in the 32-bit KDCOptions BIT STRING.
KDC_OPT_FORWARDABLE = 1
KDC_OPT_RENEWABLE = 8
DEFAULT_KDC_OPTIONS = (KDC_OPT_FORWARDABLE, KDC_OPT_RENEWABLE)

# Encryption types (RFC 3961, 3962, 4757, 6803, 8009), strongest first, as modern clients offer them.
ETYPE_NAMES = {
    1: 'des-cbc-crc',
    3: 'des-cbc-md5',
    16: 'des3-cbc-sha1',
    17: 'aes128-cts-hmac-sha1-96',
    18: 'aes256-cts-hmac-sha1-96',
    19: 'aes128-cts-hmac-sha256-128',
    20: 'aes256-cts-hmac-sha384-192',
    23: 'rc4-hmac',
    24: 'rc4-hmac-exp',
    25: 'camellia128-cts-cmac',
    26: 'camellia256-cts-cmac',
}
DEFAULT_ETYPES = (18, 17, 20, 19, 23)

# Pre-authentication data types (RFC 4120 section 7.5.2, RFC 6113, RFC 4556, MS-KILE).
PADATA_NAMES = {
    1: 'PA-TGS-REQ',
    2: 'PA-ENC-TIMESTAMP',
    3: 'PA-PW-SALT',
    11: 'PA-ETYPE-INFO',
    14: 'PA-PK-AS-REQ-OLD',
    15: 'PA-PK-AS-REP-OLD',
    16: 'PA-PK-AS-REQ',
    17: 'PA-PK-AS-REP',
    19: 'PA-ETYPE-INFO2',
    128: 'PA-PAC-REQUEST',
    133: 'PA-FX-COOKIE',
    136: 'PA-FX-FAST',
    137: 'PA-FX-ERROR',
    138: 'PA-ENCRYPTED-CHALLENGE',
    141: 'PA-OTP-CHALLENGE',
    149: 'PA-REQ-ENC-PA-REP',
    150: 'PA-AS-FRESHNESS',
    151: 'PA-SPAKE',
    165: 'PA-SUPPORTED-ENCTYPES',
}
PA_ETYPE_INFO = 11
PA_ETYPE_INFO2 = 19

# Error codes (RFC 4120 section 7.5.9, RFC 6113).
ERROR_NAMES = {
    0: 'KDC_ERR_NONE',
    1: 'KDC_ERR_NAME_EXP',
    2: 'KDC_ERR_SERVICE_EXP',
    3: 'KDC_ERR_BAD_PVNO',
    4: 'KDC_ERR_C_OLD_MAST_KVNO',
    5: 'KDC_ERR_S_OLD_MAST_KVNO',
    6: 'KDC_ERR_C_PRINCIPAL_UNKNOWN',
    7: 'KDC_ERR_S_PRINCIPAL_UNKNOWN',
    8: 'KDC_ERR_PRINCIPAL_NOT_UNIQUE',
    9: 'KDC_ERR_NULL_KEY',
    10: 'KDC_ERR_CANNOT_POSTDATE',
    11: 'KDC_ERR_NEVER_VALID',
    12: 'KDC_ERR_POLICY',
    13: 'KDC_ERR_BADOPTION',
    14: 'KDC_ERR_ETYPE_NOSUPP',
    15: 'KDC_ERR_SUMTYPE_NOSUPP',
    16: 'KDC_ERR_PADATA_TYPE_NOSUPP',
    17: 'KDC_ERR_TRTYPE_NOSUPP',
    18: 'KDC_ERR_CLIENT_REVOKED',
    19: 'KDC_ERR_SERVICE_REVOKED',
    20: 'KDC_ERR_TGT_REVOKED',
    21: 'KDC_ERR_CLIENT_NOTYET',
    22: 'KDC_ERR_SERVICE_NOTYET',
    23: 'KDC_ERR_KEY_EXPIRED',
    24: 'KDC_ERR_PREAUTH_FAILED',
    25: 'KDC_ERR_PREAUTH_REQUIRED',
    26: 'KDC_ERR_SERVER_NOMATCH',
    27: 'KDC_ERR_MUST_USE_USER2USER',
    28: 'KDC_ERR_PATH_NOT_ACCEPTED',
    29: 'KDC_ERR_SVC_UNAVAILABLE',
    31: 'KRB_AP_ERR_BAD_INTEGRITY',
    32: 'KRB_AP_ERR_TKT_EXPIRED',
    33: 'KRB_AP_ERR_TKT_NYV',
    34: 'KRB_AP_ERR_REPEAT',
    35: 'KRB_AP_ERR_NOT_US',
    36: 'KRB_AP_ERR_BADMATCH',
    37: 'KRB_AP_ERR_SKEW',
    38: 'KRB_AP_ERR_BADADDR',
    39: 'KRB_AP_ERR_BADVERSION',
    40: 'KRB_AP_ERR_MSG_TYPE',
    41: 'KRB_AP_ERR_MODIFIED',
    42: 'KRB_AP_ERR_BADORDER',
    44: 'KRB_AP_ERR_BADKEYVER',
    45: 'KRB_AP_ERR_NOKEY',
    46: 'KRB_AP_ERR_MUT_FAIL',
    47: 'KRB_AP_ERR_BADDIRECTION',
    48: 'KRB_AP_ERR_METHOD',
    49: 'KRB_AP_ERR_BADSEQ',
    50: 'KRB_AP_ERR_INAPP_CKSUM',
    51: 'KRB_AP_PATH_NOT_ACCEPTED',
    52: 'KRB_ERR_RESPONSE_TOO_BIG',
    60: 'KRB_ERR_GENERIC',
    61: 'KRB_ERR_FIELD_TOOLONG',
    62: 'KDC_ERROR_CLIENT_NOT_TRUSTED',
    63: 'KDC_ERROR_KDC_NOT_TRUSTED',
    64: 'KDC_ERROR_INVALID_SIG',
    65: 'KDC_ERR_KEY_TOO_WEAK',
    66: 'KDC_ERR_CERTIFICATE_MISMATCH',
    67: 'KRB_AP_ERR_NO_TGT',
    68: 'KDC_ERR_WRONG_REALM',
    69: 'KRB_AP_ERR_USER_TO_USER_REQUIRED',
    70: 'KDC_ERR_CANT_VERIFY_CERTIFICATE',
    71: 'KDC_ERR_INVALID_CERTIFICATE',
    72: 'KDC_ERR_REVOKED_CERTIFICATE',
    73: 'KDC_ERR_REVOCATION_STATUS_UNKNOWN',
    74: 'KDC_ERR_REVOCATION_STATUS_UNAVAILABLE',
    75: 'KDC_ERR_CLIENT_NAME_MISMATCH',
    76: 'KDC_ERR_KDC_NAME_MISMATCH',
    90: 'KDC_ERR_PREAUTH_EXPIRED',
    91: 'KDC_ERR_MORE_PREAUTH_DATA_REQUIRED',
    92: 'KDC_ERR_PREAUTH_BAD_AUTHENTICATION_SET',
    93: 'KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS',
}
KDC_ERR_C_PRINCIPAL_UNKNOWN = 6
KDC_ERR_S_PRINCIPAL_UNKNOWN = 7
KDC_ERR_PREAUTH_REQUIRED = 25
KRB_ERR_RESPONSE_TOO_BIG = 52
KDC_ERR_WRONG_REALM = 68
# Errors that only come back for a principal the KDC knows (its account is disabled, expired, or limited).
KNOWN_PRINCIPAL_ERRORS = (1, 12, 14, 18, 21, 23, 24)
# Of those, the ones that mean the account cannot log in now (a failure with require_principal).
UNUSABLE_PRINCIPAL_ERRORS = (1, 18, 21, 23)


class KerberosWireError(ProtocolError):
    """Bytes that are not a Kerberos reply this check understands."""


class KerberosInputError(InputError):
    """Bad check input; ``field`` names the option."""


# ------------------------------------------------------------------------------------- RFC 4120 types
if HAS_PYASN1:
    def _ctx(number):
        """An EXPLICIT context tag [number] (the Kerberos module is DEFINITIONS EXPLICIT TAGS)."""
        return tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, number)

    def _app(number):
        return tag.Tag(tag.tagClassApplication, tag.tagFormatConstructed, number)

    def _field(name, asn1_type, number):
        return namedtype.NamedType(name, asn1_type.subtype(explicitTag=_ctx(number)))

    def _optional(name, asn1_type, number):
        return namedtype.OptionalNamedType(name, asn1_type.subtype(explicitTag=_ctx(number)))

    class Int32(univ.Integer):
        subtypeSpec = univ.Integer.subtypeSpec + constraint.ValueRangeConstraint(-2147483648, 2147483647)

    class UInt32(univ.Integer):
        subtypeSpec = univ.Integer.subtypeSpec + constraint.ValueRangeConstraint(0, 4294967295)

    class Microseconds(univ.Integer):
        subtypeSpec = univ.Integer.subtypeSpec + constraint.ValueRangeConstraint(0, 999999)

    class KerberosString(char.GeneralString):
        pass

    class Realm(KerberosString):
        pass

    class KerberosTime(useful.GeneralizedTime):
        pass

    class KerberosFlags(univ.BitString):
        pass

    class PrincipalName(univ.Sequence):
        componentType = namedtype.NamedTypes(
            _field('name-type', Int32(), 0),
            _field('name-string', univ.SequenceOf(componentType=KerberosString()), 1),
        )

    class HostAddress(univ.Sequence):
        componentType = namedtype.NamedTypes(
            _field('addr-type', Int32(), 0),
            _field('address', univ.OctetString(), 1),
        )

    class HostAddresses(univ.SequenceOf):
        componentType = HostAddress()

    class EncryptedData(univ.Sequence):
        componentType = namedtype.NamedTypes(
            _field('etype', Int32(), 0),
            _optional('kvno', UInt32(), 1),
            _field('cipher', univ.OctetString(), 2),
        )

    class Ticket(univ.Sequence):
        tagSet = univ.Sequence.tagSet.tagExplicitly(_app(1))
        componentType = namedtype.NamedTypes(
            _field('tkt-vno', univ.Integer(), 0),
            _field('realm', Realm(), 1),
            _field('sname', PrincipalName(), 2),
            _field('enc-part', EncryptedData(), 3),
        )

    class PaData(univ.Sequence):
        # Tags start at 1 (RFC 4120 section 5.2.7).
        componentType = namedtype.NamedTypes(
            _field('padata-type', Int32(), 1),
            _field('padata-value', univ.OctetString(), 2),
        )

    class MethodData(univ.SequenceOf):
        componentType = PaData()

    class EtypeInfoEntry(univ.Sequence):
        componentType = namedtype.NamedTypes(
            _field('etype', Int32(), 0),
            _optional('salt', univ.OctetString(), 1),
        )

    class EtypeInfo(univ.SequenceOf):
        componentType = EtypeInfoEntry()

    class EtypeInfo2Entry(univ.Sequence):
        componentType = namedtype.NamedTypes(
            _field('etype', Int32(), 0),
            _optional('salt', KerberosString(), 1),
            _optional('s2kparams', univ.OctetString(), 2),
        )

    class EtypeInfo2(univ.SequenceOf):
        componentType = EtypeInfo2Entry()

    class KdcReqBody(univ.Sequence):
        componentType = namedtype.NamedTypes(
            _field('kdc-options', KerberosFlags(), 0),
            _optional('cname', PrincipalName(), 1),
            _field('realm', Realm(), 2),
            _optional('sname', PrincipalName(), 3),
            _optional('from', KerberosTime(), 4),
            _field('till', KerberosTime(), 5),
            _optional('rtime', KerberosTime(), 6),
            _field('nonce', UInt32(), 7),
            _field('etype', univ.SequenceOf(componentType=Int32()), 8),
            _optional('addresses', HostAddresses(), 9),
            _optional('enc-authorization-data', EncryptedData(), 10),
            _optional('additional-tickets', univ.SequenceOf(componentType=Ticket()), 11),
        )

    class KdcReq(univ.Sequence):
        # Tags start at 1 (RFC 4120 section 5.4.1).
        componentType = namedtype.NamedTypes(
            _field('pvno', univ.Integer(), 1),
            _field('msg-type', univ.Integer(), 2),
            _optional('padata', univ.SequenceOf(componentType=PaData()), 3),
            _field('req-body', KdcReqBody(), 4),
        )

    class AsReq(KdcReq):
        tagSet = univ.Sequence.tagSet.tagExplicitly(_app(MSG_AS_REQ))

    class KdcRep(univ.Sequence):
        componentType = namedtype.NamedTypes(
            _field('pvno', univ.Integer(), 0),
            _field('msg-type', univ.Integer(), 1),
            _optional('padata', univ.SequenceOf(componentType=PaData()), 2),
            _field('crealm', Realm(), 3),
            _field('cname', PrincipalName(), 4),
            _field('ticket', Ticket(), 5),
            _field('enc-part', EncryptedData(), 6),
        )

    class AsRep(KdcRep):
        tagSet = univ.Sequence.tagSet.tagExplicitly(_app(MSG_AS_REP))

    class KrbError(univ.Sequence):
        tagSet = univ.Sequence.tagSet.tagExplicitly(_app(MSG_KRB_ERROR))
        componentType = namedtype.NamedTypes(
            _field('pvno', univ.Integer(), 0),
            _field('msg-type', univ.Integer(), 1),
            _optional('ctime', KerberosTime(), 2),
            _optional('cusec', Microseconds(), 3),
            _field('stime', KerberosTime(), 4),
            _field('susec', Microseconds(), 5),
            _field('error-code', Int32(), 6),
            _optional('crealm', Realm(), 7),
            _optional('cname', PrincipalName(), 8),
            _field('realm', Realm(), 9),
            _field('sname', PrincipalName(), 10),
            _optional('e-text', KerberosString(), 11),
            _optional('e-data', univ.OctetString(), 12),
        )


# ---------------------------------------------------------------------------------------- helpers
_UTC = datetime.timezone.utc
_TIME_FORMAT = '%Y%m%d%H%M%SZ'


def kerberos_time(moment):
    """A datetime as KerberosTime text (GeneralizedTime, UTC, whole seconds: RFC 4120 section 5.2.3)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(_UTC)
    return moment.strftime(_TIME_FORMAT)


def parse_kerberos_time(text):
    """KerberosTime text -> aware UTC datetime. Raises KerberosWireError."""
    try:
        return datetime.datetime.strptime(str(text), _TIME_FORMAT).replace(tzinfo=_UTC)
    except ValueError:
        raise KerberosWireError('a KerberosTime must look like YYYYMMDDHHMMSSZ, got %r' % (str(text),))


def iso_time(moment):
    return moment.astimezone(_UTC).isoformat().replace('+00:00', 'Z') if moment is not None else None


def split_principal(principal, realm):
    """'name', 'name/instance' or 'name@REALM' -> list of name components. Raises KerberosInputError.

    A realm after '@' must be the check's ``realm`` (Kerberos realms are case-sensitive)."""
    if principal is None or not str(principal).strip():
        raise KerberosInputError('principal', 'must be a principal name such as mve-svc or HTTP/mve.example.com, '
                                 'got an empty string')
    principal = str(principal).strip()
    if '@' in principal:
        principal, dummy, suffix = principal.rpartition('@')
        if suffix != realm:
            raise KerberosInputError('principal', 'its realm %r differs from realm %r (realms are case-sensitive); '
                                     'give the name without @REALM or with the same realm' % (suffix, realm))
    parts = principal.split('/')
    if not all(parts) or any(c.isspace() for c in principal) or '@' in principal:
        raise KerberosInputError('principal', '%r is not a principal name (components separated by "/", no spaces)'
                                 % (principal,))
    return parts


def validate_realm(realm):
    if realm is None or not str(realm).strip():
        raise KerberosInputError('realm', 'must be a Kerberos realm such as EXAMPLE.COM, got an empty string')
    realm = str(realm)
    if any(c.isspace() for c in realm) or '@' in realm or '/' in realm:
        raise KerberosInputError('realm', '%r is not a realm name (no spaces, "@" or "/"; usually the upper-case '
                                 'DNS domain, for example EXAMPLE.COM)' % (realm,))
    return realm


def error_name(code):
    return ERROR_NAMES.get(code, 'KRB_ERROR_%d' % code) if code is not None else None


def etype_name(etype):
    return ETYPE_NAMES.get(etype, 'etype-%d' % etype)


def padata_name(padata_type):
    return PADATA_NAMES.get(padata_type, 'PA-%d' % padata_type)


def _text(value):
    """A decoded KerberosString / Realm as str (GeneralString bytes; MIT and AD send ASCII/UTF-8)."""
    return value.asOctets().decode('utf-8', 'replace')


def _principal_text(name):
    return '/'.join(_text(c) for c in name['name-string'])


def _fill_principal(name, name_type, components):
    """Fill a (tagged) PrincipalName component in place."""
    name['name-type'] = name_type
    strings = name['name-string']
    for i, component in enumerate(components):
        strings[i] = component


# ------------------------------------------------------------------------------------------- encode
def new_nonce():
    """A random 31-bit nonce (some KDCs mishandle the 32nd bit, so clients keep it clear)."""
    return random.SystemRandom().randint(1, 0x7fffffff)


def build_as_req(realm, principal, nonce, now, lifetime_s=86400, etypes=DEFAULT_ETYPES,
                 kdc_options=DEFAULT_KDC_OPTIONS, cname_type=NT_PRINCIPAL):
    """DER bytes of an AS-REQ without pre-authentication data, for ``principal`` (name components or a
    string) in ``realm``, asking for krbtgt/REALM@REALM, valid from ``now`` (datetime) for ``lifetime_s``."""
    components = principal if isinstance(principal, (list, tuple)) else split_principal(principal, realm)
    bits = ['0'] * 32
    for bit in kdc_options:
        bits[bit] = '1'
    till = kerberos_time(now + datetime.timedelta(seconds=lifetime_s))

    req = AsReq()
    req['pvno'] = 5
    req['msg-type'] = MSG_AS_REQ
    body = req['req-body']
    body['kdc-options'] = body['kdc-options'].clone(binValue=''.join(bits))
    _fill_principal(body['cname'], cname_type, components)
    body['realm'] = realm
    _fill_principal(body['sname'], NT_SRV_INST, ['krbtgt', realm])
    body['till'] = till
    if KDC_OPT_RENEWABLE in kdc_options:
        body['rtime'] = till
    body['nonce'] = nonce
    etype_list = body['etype']
    for i, etype in enumerate(etypes):
        etype_list[i] = etype
    return der_encoder.encode(req)


def decode_as_req(data):
    """Decode an AS-REQ (ours, or a real client's) into a plain dict; for tests and troubleshooting."""
    try:
        req, rest = _decode(bytes(data), AsReq())
    except PyAsn1Error as exc:
        raise KerberosWireError('not an AS-REQ: %s' % _first_line(exc))
    body = req['req-body']
    bits = ''.join(str(b) for b in body['kdc-options'])
    return {
        'pvno': int(req['pvno']),
        'msg_type': int(req['msg-type']),
        'padata_types': [int(p['padata-type']) for p in req['padata']] if req['padata'].isValue else [],
        'kdc_options': [i for i, b in enumerate(bits) if b == '1'],
        'cname': _principal_text(body['cname']) if body['cname'].isValue else None,
        'cname_type': int(body['cname']['name-type']) if body['cname'].isValue else None,
        'realm': _text(body['realm']),
        'sname': _principal_text(body['sname']) if body['sname'].isValue else None,
        'sname_type': int(body['sname']['name-type']) if body['sname'].isValue else None,
        'till': str(body['till']),
        'rtime': str(body['rtime']) if body['rtime'].isValue else None,
        'nonce': int(body['nonce']),
        'etypes': [int(e) for e in body['etype']],
        'trailing_bytes': len(rest),
    }


# -------------------------------------------------------------------------------------------- parse
# Python errors pyasn1's decoder lets through on some bytes (an 8-octet BER length: OverflowError; a malformed
# constructed value: IndexError); _decode turns them into PyAsn1Error, so every caller sees one error type.
_DECODER_LEAKS = (ValueError, TypeError, IndexError, KeyError, AttributeError, OverflowError)


def _decode(data, spec):
    try:
        obj, rest = ber_decoder.decode(data, asn1Spec=spec)
    except _DECODER_LEAKS as exc:
        raise PyAsn1Error('%s: %s' % (exc.__class__.__name__, exc))
    if not obj.isValue:  # an indefinite length closed at once (6b 80 00 00) decodes to the bare schema
        raise PyAsn1Error('an empty %s' % spec.__class__.__name__)
    return obj, rest


def _padata_hints(padata_list):
    """PA types offered and the enctypes of ETYPE-INFO2 / ETYPE-INFO (their salts are not kept)."""
    types, etypes = [], []
    for pa in padata_list:
        pa_type = int(pa['padata-type'])
        types.append(pa_type)
        value = pa['padata-value'].asOctets()
        spec = EtypeInfo2() if pa_type == PA_ETYPE_INFO2 else EtypeInfo() if pa_type == PA_ETYPE_INFO else None
        if spec is None:
            continue
        try:
            entries, dummy = _decode(value, spec)
        except PyAsn1Error:
            continue
        for entry in entries:
            etype = int(entry['etype'])
            if etype not in etypes:
                etypes.append(etype)
    return types, etypes


def _first_line(exc):
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else exc.__class__.__name__


def _tag_text(data):
    return '0x%02x' % data[0] if data else 'nothing'


def parse_reply(data):
    """Classify a KDC reply (the bare message, without the TCP length prefix).

    Returns a dict: ``reply_type`` ('AS-REP' or 'KRB-ERROR'), ``error_code``, ``error_name``, ``e_text``,
    ``kdc_time`` (aware datetime of stime/susec, KRB-ERROR only), ``realm`` (the realm the reply names: the
    KRB-ERROR's realm, the AS-REP's crealm), ``sname``, ``cname``, ``etype`` (of the AS-REP's encrypted part),
    ``padata_types`` and ``etypes`` (pre-authentication hints). Raises KerberosWireError for anything else.
    """
    data = bytes(data)
    if not data:
        raise KerberosWireError('an empty reply is not a Kerberos message')
    out = {'reply_type': None, 'error_code': None, 'error_name': None, 'e_text': None, 'kdc_time': None,
           'realm': None, 'sname': None, 'cname': None, 'etype': None, 'padata_types': [], 'etypes': []}
    try:
        rep, dummy = _decode(data, AsRep())
    except PyAsn1Error:
        rep = None
    if rep is not None:
        if int(rep['msg-type']) != MSG_AS_REP or int(rep['pvno']) != 5:
            raise KerberosWireError('an AS-REP with pvno %s and msg-type %s is not Kerberos 5'
                                    % (rep['pvno'], rep['msg-type']))
        out['reply_type'] = 'AS-REP'
        out['realm'] = _text(rep['crealm'])
        out['cname'] = _principal_text(rep['cname'])
        out['sname'] = _principal_text(rep['ticket']['sname'])
        out['etype'] = int(rep['enc-part']['etype'])
        if rep['padata'].isValue:
            out['padata_types'], out['etypes'] = _padata_hints(rep['padata'])
        return out
    try:
        err, dummy = _decode(data, KrbError())
    except PyAsn1Error as exc:
        kind = {0x6a: 'an AS-REQ', 0x6c: 'a TGS-REQ', 0x6d: 'a TGS-REP', 0x6e: 'an AP-REQ', 0x6f: 'an AP-REP'}
        what = kind.get(data[0])
        if what:
            raise KerberosWireError('the reply is %s, not an AS-REP or KRB-ERROR' % what)
        if data[0] in (0x6b, 0x7e):
            raise KerberosWireError('the reply looks like a Kerberos %s but does not decode: %s'
                                    % ('AS-REP' if data[0] == 0x6b else 'KRB-ERROR', _first_line(exc)))
        raise KerberosWireError('the reply is not a Kerberos message (first byte %s, %d bytes)'
                                % (_tag_text(data), len(data)))
    if int(err['msg-type']) != MSG_KRB_ERROR or int(err['pvno']) != 5:
        raise KerberosWireError('a KRB-ERROR with pvno %s and msg-type %s is not Kerberos 5'
                                % (err['pvno'], err['msg-type']))
    code = int(err['error-code'])
    stime = parse_kerberos_time(err['stime'])
    out.update({
        'reply_type': 'KRB-ERROR',
        'error_code': code,
        'error_name': error_name(code),
        'e_text': _text(err['e-text']).rstrip('\x00') if err['e-text'].isValue else None,
        'kdc_time': stime + datetime.timedelta(microseconds=int(err['susec'])),
        'realm': _text(err['realm']),
        'sname': _principal_text(err['sname']),
        'cname': _principal_text(err['cname']) if err['cname'].isValue else None,
    })
    if err['e-data'].isValue:
        try:
            method_data, dummy = _decode(err['e-data'].asOctets(), MethodData())
        except PyAsn1Error:
            method_data = None   # AD sends other TYPED-DATA (e.g. KERB-EXT-ERROR) for some errors
        if method_data is not None:
            out['padata_types'], out['etypes'] = _padata_hints(method_data)
    return out


def clock_skew(kdc_time, sent_at, received_at):
    """Seconds the KDC's clock is ahead (+) or behind (-) this host's, against the midpoint of the exchange.

    ``kdc_time`` is an aware datetime; ``sent_at``/``received_at`` are this host's POSIX times (float)."""
    local = (float(sent_at) + float(received_at)) / 2.0
    kdc = (kdc_time - datetime.datetime(1970, 1, 1, tzinfo=_UTC)).total_seconds()
    return round(kdc - local, 3)


def classify(reply, realm):
    """(principal_state, realm_accepted) from a parsed reply for a request in ``realm``.

    None means the reply does not tell. KDC_ERR_C_PRINCIPAL_UNKNOWN is taken as "realm served, principal
    unknown", but some KDCs (MIT krb5kdc among them) answer that for a realm they do not serve too: the
    conversation then asks for krbtgt/REALM, which exists in every realm a KDC serves, to tell the two apart."""
    if reply['reply_type'] == 'AS-REP':
        return 'known', True
    code = reply['error_code']
    if code == KDC_ERR_WRONG_REALM:
        return 'unknown_realm', False
    if code == KDC_ERR_S_PRINCIPAL_UNKNOWN and reply.get('sname', '').lower().startswith('krbtgt/'):
        return 'unknown_realm', False
    if reply.get('realm') is not None and reply['realm'] != realm and code == KDC_ERR_C_PRINCIPAL_UNKNOWN:
        return 'unknown_realm', False
    if code == KDC_ERR_PREAUTH_REQUIRED:
        return 'preauth_required', True
    if code == KDC_ERR_C_PRINCIPAL_UNKNOWN:
        return 'unknown', True
    if code in KNOWN_PRINCIPAL_ERRORS:
        return 'known', True
    if code == KRB_ERR_RESPONSE_TOO_BIG:
        return None, True
    return None, None


# -------------------------------------------------------------------------------------- conversation
def _blank(transport, port):
    return {'transport': transport, 'port': port, 'reachable': False, 'reply_type': None, 'error_code': None,
            'error_name': None, 'e_text': None, 'principal_state': None, 'realm_accepted': None, 'kdc_time': None,
            'clock_skew_s': None, 'etype': None, 'etypes': [], 'preauth_types': [], 'realm_probe': None,
            'error': None}


def exchange(transport, host, port, request):
    """Conversation: one AS-REQ over ``transport``; returns (raw reply or None, partial facts dict,
    sent_at, received_at). Never raises for I/O: the facts' ``error`` says what went wrong."""
    facts = _blank(transport, port)
    sent_at = received_at = None
    where = '%s/%s' % (transport, port)
    try:
        yield Connect(transport, host, port)
        sent_at = yield Now()
        if transport == 'udp':
            yield Send(request)
            data = yield Recv('datagram')
        else:
            yield Send(len(request).to_bytes(4, 'big') + request)
            framed = yield Recv('len4')
            data = framed[4:]
        received_at = yield Now()
    except ConnectFailed as exc:
        if exc.kind == 'refused':
            facts['error'] = 'nothing listens on %s at %s (%s)' % (where, host, exc)
        else:
            facts['error'] = 'no connection to %s at %s: %s' % (where, host, exc)
        return None, facts, sent_at, received_at
    except ReceiveTimeout as exc:
        facts['error'] = 'no reply on %s from %s: %s (no KDC there, or the port is filtered)' % (where, host, exc)
        return None, facts, sent_at, received_at
    except FramingError as exc:
        facts['reachable'] = True
        facts['error'] = 'the reply on %s is not a Kerberos message: %s' % (where, exc)
        return None, facts, sent_at, received_at
    except PeerClosed as exc:
        facts['reachable'] = bool(exc.partial)
        facts['error'] = ('the server on %s closed the connection after %d bytes that are not a Kerberos reply'
                          % (where, len(exc.partial))) if exc.partial else (
            'the server on %s closed the connection without a reply (%s)' % (where, exc))
        return None, facts, sent_at, received_at
    except ConversationError as exc:
        facts['error'] = 'the exchange on %s failed: %s' % (where, exc)
        return None, facts, sent_at, received_at
    yield Close()
    facts['reachable'] = True
    return data, facts, sent_at, received_at


def apply_reply(facts, data, realm, sent_at, received_at):
    """Fill the transport's facts from the raw reply. Returns the parsed reply or None."""
    try:
        reply = parse_reply(data)
    except KerberosWireError as exc:
        facts['error'] = 'the reply on %s/%s is not a Kerberos answer: %s' % (facts['transport'], facts['port'], exc)
        return None
    except (PyAsn1Error, ValueError, TypeError, IndexError, KeyError) as exc:
        facts['error'] = 'the reply on %s/%s could not be decoded: %s' % (facts['transport'], facts['port'], exc)
        return None
    facts['principal_state'], facts['realm_accepted'] = classify(reply, realm)
    for key in ('reply_type', 'error_code', 'error_name', 'e_text', 'etype'):
        facts[key] = reply[key]
    facts['etypes'] = [etype_name(e) for e in reply['etypes']]
    facts['preauth_types'] = [padata_name(p) for p in reply['padata_types']]
    if facts['etype'] is not None:
        facts['etype'] = etype_name(facts['etype'])
    if reply['kdc_time'] is not None:
        facts['kdc_time'] = iso_time(reply['kdc_time'])
        facts['clock_skew_s'] = clock_skew(reply['kdc_time'], sent_at, received_at)
    return reply


def kerberos_conversation(params, clock=time.time, nonce=None):
    """The kerberos_check conversation. ``params``: host, port (resolved), realm, principal, transport,
    max_skew, require_principal. ``clock`` gives this host's POSIX time (a remote driver would read the
    target's clock). Returns the check result (conversation.result shape, without elapsed_ms)."""
    realm = validate_realm(params['realm'])
    principal = params.get('principal') or DEFAULT_PRINCIPAL
    components = split_principal(principal, realm)
    transports = ('udp', 'tcp') if params.get('transport', 'both') == 'both' else (params['transport'],)
    host, port = params['host'], int(params['port'])

    def request(names, name_type=NT_PRINCIPAL):
        now = datetime.datetime.fromtimestamp(clock(), _UTC).replace(microsecond=0)
        return build_as_req(realm, names, nonce if nonce is not None else new_nonce(), now, cname_type=name_type)

    kdc = {}
    replies = {}
    for transport in transports:
        data, facts, sent_at, received_at = yield from exchange(transport, host, port, request(components))
        kdc[transport] = facts
        if data is None:
            continue
        replies[transport] = apply_reply(facts, data, realm, sent_at, received_at)
        if facts['principal_state'] == 'unknown' and components != ['krbtgt', realm]:
            # KDC_ERR_C_PRINCIPAL_UNKNOWN: a foreign realm or an unknown principal? Ask for the realm's own
            # krbtgt/REALM, the one principal every realm a KDC serves has.
            data, probe, sent_at, received_at = yield from exchange(
                transport, host, port, request(['krbtgt', realm], NT_SRV_INST))
            reply = apply_reply(probe, data, realm, sent_at, received_at) if data is not None else None
            facts['realm_probe'] = _summary(probe) if reply is not None else probe['error']
            if reply is not None and reply['error_code'] == KDC_ERR_C_PRINCIPAL_UNKNOWN:
                facts['principal_state'], facts['realm_accepted'] = 'unknown_realm', False

    clock_source = None
    if not any(f['kdc_time'] for f in kdc.values()):
        # Only AS-REPs (no clear-text time) or nothing: ask once more, for a principal that does not exist.
        for transport in transports:
            if replies.get(transport) is not None and kdc[transport]['reply_type'] == 'AS-REP':
                data, facts, sent_at, received_at = yield from exchange(
                    transport, host, port, request([CLOCK_PROBE_NAME]))
                if data is not None and apply_reply(facts, data, realm, sent_at, received_at) is not None \
                        and facts['kdc_time']:
                    kdc[transport]['kdc_time'] = facts['kdc_time']
                    kdc[transport]['clock_skew_s'] = facts['clock_skew_s']
                    clock_source = '%s (from a second AS-REQ for %s)' % (transport, CLOCK_PROBE_NAME)
                break
    return verdict(kdc, realm, '/'.join(components), params, clock_source)


def _summary(facts):
    if facts['reply_type'] == 'KRB-ERROR':
        return '%s (%s)' % (facts['error_name'], facts['error_code'])
    return facts['reply_type']


# ------------------------------------------------------------------------------------------- verdict
def _first(kdc, key):
    for transport in ('udp', 'tcp'):
        if transport in kdc and kdc[transport].get(key) is not None:
            return kdc[transport][key]
    return None


def verdict(kdc, realm, principal, params, clock_source=None):
    """The check result from the per-transport facts. Pure."""
    max_skew = params.get('max_skew')
    max_skew = DEFAULT_MAX_SKEW if max_skew is None else float(max_skew)
    require_principal = bool(params.get('require_principal'))
    full_name = '%s@%s' % (principal, realm)
    states = [f['principal_state'] for f in kdc.values() if f['principal_state']]
    realm_flags = [f['realm_accepted'] for f in kdc.values() if f['realm_accepted'] is not None]
    state = states[0] if states else None
    if 'unknown_realm' in states:
        state = 'unknown_realm'
    realm_accepted = (False if False in realm_flags else True) if realm_flags else None
    skew = _first(kdc, 'clock_skew_s')
    kdc_time = _first(kdc, 'kdc_time')
    facts = dict(kdc=kdc, realm=realm, principal=full_name, principal_state=state, realm_accepted=realm_accepted,
                 clock_skew_s=skew, kdc_time=kdc_time)

    def done(ok, reason):
        out = {'ok': bool(ok), 'reason': reason}
        out.update(facts)
        return out

    answered = [t for t, f in kdc.items() if f['reply_type']]
    silent = [t for t, f in kdc.items() if not f['reply_type']]
    where = ' and '.join('%s/%s' % (t, kdc[t]['port']) for t in kdc)
    if not answered:
        problems = '; '.join(kdc[t]['error'] or 'no answer' for t in kdc)
        return done(False, 'No KDC answered on %s: %s.' % (where, problems))
    if realm_accepted is False:
        codes = ', '.join('%s (%s)%s on %s' % (
            kdc[t]['error_name'], kdc[t]['error_code'],
            ' for %s and %s for krbtgt/%s' % (full_name, kdc[t]['realm_probe'], realm) if kdc[t]['realm_probe'] else '',
            t) for t in answered if kdc[t]['realm_accepted'] is False)
        hint = '' if realm == realm.upper() else (' Realm names are case-sensitive; an Active Directory realm is '
                                                  'the upper-case DNS domain (%s).' % realm.upper())
        return done(False, 'The KDC does not serve realm %s: it answered %s.%s' % (realm, codes, hint))
    if silent:
        problems = '; '.join(kdc[t]['error'] or 'no answer' for t in silent)
        return done(False, 'The KDC answered on %s but not on %s: %s.' % (
            ', '.join(answered), ', '.join(silent), problems))
    if realm_accepted is None:
        codes = ', '.join('%s (%s)' % (kdc[t]['error_name'], kdc[t]['error_code']) for t in answered)
        return done(False, 'The KDC answered %s, which does not tell whether it serves realm %s.' % (codes, realm))
    if len(set(states)) > 1:
        return done(False, 'The KDC gave different answers for %s over %s: %s.' % (
            full_name, where, ', '.join('%s on %s' % (kdc[t]['principal_state'], t) for t in kdc)))
    codes = [kdc[t]['error_code'] for t in answered]
    if require_principal and state not in ('known', 'preauth_required'):
        return done(False, 'The KDC serves realm %s but does not know principal %s (%s).' % (
            realm, full_name, ', '.join(sorted(set(kdc[t]['error_name'] or '' for t in answered)))))
    unusable = [c for c in codes if c in UNUSABLE_PRINCIPAL_ERRORS]
    if require_principal and unusable:
        return done(False, 'The KDC knows %s but the account cannot log in now: %s.' % (
            full_name, error_name(unusable[0])))
    if skew is not None and abs(skew) > max_skew:
        return done(False, 'The clocks of this host and the KDC differ by %.1f s, beyond the %.0f s Kerberos allows '
                           '(max_skew): fix time synchronisation (NTP) on one of them.' % (skew, max_skew))
    described = {
        'known': 'knows %s and issues tickets for it without pre-authentication' % full_name,
        'preauth_required': 'knows %s and requires pre-authentication for it' % full_name,
        'unknown': 'does not know %s (KDC_ERR_C_PRINCIPAL_UNKNOWN, while it answered %s for krbtgt/%s)' % (
            full_name, _first(kdc, 'realm_probe') or 'nothing', realm),
        None: 'answered %s' % ', '.join(sorted(set(kdc[t]['error_name'] or kdc[t]['reply_type'] for t in answered))),
    }[state]
    if unusable:
        described += ' (%s)' % error_name(unusable[0])
    skew_text = ('; clock skew %+.3f s%s' % (skew, ' via %s' % clock_source if clock_source else '')
                 if skew is not None else '; the KDC did not reveal its clock')
    return done(True, 'The KDC on %s serves realm %s and %s%s.' % (where, realm, described, skew_text))
