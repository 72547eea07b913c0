# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SNMP on the wire: build requests and parse replies, no sockets.

* SNMP v1/v2c GET, GETNEXT, GETBULK (v2c) and SET requests (typed values:
  VALUE_TYPES) and their replies (noSuchObject/noSuchInstance/endOfMibView,
  error-status names and kinds: ERROR_STATUS_KINDS), built and parsed with
  pysnmp's lower-level message API (``pysnmp.proto.api`` protocol modules)
  and the pyasn1 BER codec. This path creates no pysnmp engine, so a fleet
  probe can send thousands of requests from plain asyncio sockets and match
  request-ids (snmp_client, port_probe).
* SNMPv3 engine discovery (RFC 3414 section 4): a noAuthNoPriv, reportable
  GET with an empty user name. Any agent answers it with a Report PDU that
  carries its engine id, boots and time (usmStatsUnknownEngineIDs), which
  proves an SNMPv3 agent is alive without credentials.
* An SNMPv3 GET with real credentials through pysnmp 7's asyncio hlapi
  (``snmpv3_get``, the only function here that does I/O).
* ``SNMP_ARGSPEC_OPTIONS``, the one SNMP argument spec the collection's
  modules share.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import string
import traceback

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import InputError, ProtocolError

try:
    from pyasn1.codec.ber import decoder as ber_decoder
    from pyasn1.codec.ber import encoder as ber_encoder
    from pyasn1.error import PyAsn1Error
    from pyasn1.type import univ
    from pysnmp.proto import api as snmp_api
    from pysnmp.proto import rfc1905
    from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message, ScopedPDU
    from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters
except ImportError:  # pragma: no cover - exercised via HAS_PYSNMP in the module
    HAS_PYSNMP = False
    PYSNMP_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_PYSNMP = True
    PYSNMP_IMPORT_ERROR = None
    # What pyasn1 and pysnmp raise on bytes that do not decode: their own error, and the Python errors their
    # decoders let through (an 8-octet BER length raises OverflowError from the stream reader).
    DECODE_ERRORS = (PyAsn1Error, ValueError, TypeError, AttributeError, IndexError, KeyError, OverflowError)

SYS_DESCR_OID = '1.3.6.1.2.1.1.1.0'
SNMP_VERSIONS = ('1', '2c', '3')
AUTH_PROTOCOLS = ('md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512')
PRIV_PROTOCOLS = ('des', '3des', 'aes', 'aes192', 'aes256')
DEFAULT_VERSION = '2c'
DEFAULT_COMMUNITY = 'public'
DEFAULT_AUTH_PROTOCOL = 'sha'
DEFAULT_PRIV_PROTOCOL = 'aes'
# RFC 3414 section 11.2 asks for pass phrases of at least 8 characters; net-snmp enforces it.
MIN_KEY_LENGTH = 8

# usmStats counters (RFC 3414 section 5) that an agent reports in a Report PDU.
USM_STATS = {
    '1.3.6.1.6.3.15.1.1.1.0': 'unsupported_sec_levels',
    '1.3.6.1.6.3.15.1.1.2.0': 'not_in_time_windows',
    '1.3.6.1.6.3.15.1.1.3.0': 'unknown_user_names',
    '1.3.6.1.6.3.15.1.1.4.0': 'unknown_engine_ids',
    '1.3.6.1.6.3.15.1.1.5.0': 'wrong_digests',
    '1.3.6.1.6.3.15.1.1.6.0': 'decryption_errors',
}

# error-status values of RFC 3416 section 3.
ERROR_STATUS_NAMES = (
    'noError', 'tooBig', 'noSuchName', 'badValue', 'readOnly', 'genErr', 'noAccess', 'wrongType',
    'wrongLength', 'wrongEncoding', 'wrongValue', 'noCreation', 'inconsistentValue',
    'resourceUnavailable', 'commitFailed', 'undoFailed', 'authorizationError', 'notWritable',
    'inconsistentName',
)

# The SNMP options every collection module that talks SNMP accepts, with the
# same names, types and secrecy. No defaults here on purpose: a per-target
# value that is unset falls back to the module-level value, then to
# DEFAULT_VERSION / DEFAULT_COMMUNITY / DEFAULT_AUTH_PROTOCOL / DEFAULT_PRIV_PROTOCOL.
SNMP_ARGSPEC_OPTIONS = dict(
    version=dict(type='str', choices=list(SNMP_VERSIONS)),
    community=dict(type='str', no_log=True),
    username=dict(type='str'),
    auth_protocol=dict(type='str', choices=list(AUTH_PROTOCOLS)),
    auth_key=dict(type='str', no_log=True),
    priv_protocol=dict(type='str', choices=list(PRIV_PROTOCOLS)),
    priv_key=dict(type='str', no_log=True),
    context=dict(type='str'),
)
SNMP_OPTION_NAMES = tuple(SNMP_ARGSPEC_OPTIONS)
SNMP_SECRET_OPTIONS = ('community', 'auth_key', 'priv_key')

_V1 = 0
_V2C = 1
_V3 = 3
_VERSION_TO_WIRE = {'1': _V1, '2c': _V2C}
_WIRE_TO_VERSION = {_V1: '1', _V2C: '2c', _V3: '3'}
# msgFlags bits (RFC 3412 section 6.4)
_FLAG_AUTH = 0x01
_FLAG_PRIV = 0x02
_FLAG_REPORTABLE = 0x04
_USM_SECURITY_MODEL = 3
_MAX_MSG_SIZE = 65507
_PRINTABLE = set(string.printable)


class SnmpWireError(ProtocolError):
    """Bytes that are not the SNMP message we expected, or bad build arguments."""


def _require_pysnmp():
    if not HAS_PYSNMP:
        raise SnmpWireError('pysnmp and pyasn1 are required for SNMP probes: %s'
                            % PYSNMP_IMPORT_ERROR.strip().splitlines()[-1], kind='dependency')


def resolve_snmp_params(params, defaults=None):
    """Merge one target's SNMP options over module-level ``defaults``.

    Returns a new dict with every key of SNMP_ARGSPEC_OPTIONS, the version and
    community defaults filled in, and the auth/priv protocol defaults filled in
    only when the matching key is set.
    """
    out = {}
    for key in SNMP_OPTION_NAMES:
        value = params.get(key) if params else None
        if value is None and defaults:
            value = defaults.get(key)
        out[key] = value
    if out['version'] is None:
        out['version'] = DEFAULT_VERSION
    out['version'] = str(out['version'])
    if out['community'] is None:
        out['community'] = DEFAULT_COMMUNITY
    if out['auth_key'] is not None and out['auth_protocol'] is None:
        out['auth_protocol'] = DEFAULT_AUTH_PROTOCOL
    if out['priv_key'] is not None and out['priv_protocol'] is None:
        out['priv_protocol'] = DEFAULT_PRIV_PROTOCOL
    return out


def snmp_param_errors(params):
    """Problems with resolved SNMP params as a list of InputError (one per option); empty when fine."""
    errors = []
    version = params.get('version')
    if version not in SNMP_VERSIONS:
        errors.append(InputError('version', 'got %r, expected one of: %s' % (version, ', '.join(SNMP_VERSIONS))))
        return errors
    for key, choices in (('auth_protocol', AUTH_PROTOCOLS), ('priv_protocol', PRIV_PROTOCOLS)):
        value = params.get(key)
        if value is not None and value not in choices:
            errors.append(InputError(key, 'got %r, expected one of: %s' % (value, ', '.join(choices))))
    if version != '3':
        return errors
    if not params.get('username'):
        errors.append(InputError('username', 'required when version is 3 (the SNMPv3 USM user name)'))
    auth_key = params.get('auth_key')
    priv_key = params.get('priv_key')
    if priv_key is not None and auth_key is None:
        errors.append(InputError('priv_key', 'needs auth_key as well: SNMPv3 has no privacy without authentication'))
    for key, value in (('auth_key', auth_key), ('priv_key', priv_key)):
        if value is not None and len(value) < MIN_KEY_LENGTH:
            errors.append(InputError(key, 'must be at least %d characters long (RFC 3414)' % MIN_KEY_LENGTH))
    return errors


def _oid(value):
    text = str(value).strip().lstrip('.')
    try:
        parts = tuple(int(p) for p in text.split('.'))
    except ValueError:
        raise SnmpWireError('bad OID %r: expected dotted numbers such as %s' % (value, SYS_DESCR_OID))
    if len(parts) < 2 or any(p < 0 for p in parts):
        raise SnmpWireError('bad OID %r: expected dotted numbers such as %s' % (value, SYS_DESCR_OID))
    return parts


def _to_bytes(value):
    if isinstance(value, bytes):
        return value
    return str(value).encode('utf-8')


# ---- the fast BER path ---------------------------------------------------------------------------------
# GET/GETNEXT/GETBULK requests carry only OIDs and NULLs, and a reply is a flat list of OID/value pairs, so
# both are encoded and decoded here by hand: pyasn1 spends about 0.25 ms per varbind decoding a reply (a
# printer's 45-varbind facts reply cost 6 ms of CPU, measured in bench/printer_facts.py), this path about
# 0.01 ms. The bytes are the same as pyasn1's (tests compare them); anything this path does not know (v3,
# traps, indefinite lengths, v2c-only types in a v1 message, trailing garbage) goes to the pyasn1 path.

_PDU_TAGS = {0xa0: 'get', 0xa1: 'getnext', 0xa2: 'response', 0xa3: 'set', 0xa5: 'getbulk', 0xa6: 'inform',
             0xa7: 'trap', 0xa8: 'report'}
_V1_PDU_TAGS = (0xa0, 0xa1, 0xa2, 0xa3)
_EXCEPTION_TAGS = {0x80: 'noSuchObject', 0x81: 'noSuchInstance', 0x82: 'endOfMibView'}
_UNSIGNED_TAGS = (0x41, 0x42, 0x43, 0x46)   # Counter32, Gauge32/Unsigned32, TimeTicks, Counter64
_V1_VALUE_TAGS = (0x02, 0x04, 0x05, 0x06, 0x40, 0x41, 0x42, 0x43, 0x44)
_OID_CACHE = {}


def _ber_length(n):
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes((0x80 | len(body),)) + body


def _ber_tlv(tag, body):
    return bytes((tag,)) + _ber_length(len(body)) + body


def _ber_int(value):
    value = int(value)
    return _ber_tlv(0x02, value.to_bytes(max(1, (value + (value < 0)).bit_length() // 8 + 1), 'big', signed=True))


def _ber_oid(parts):
    cached = _OID_CACHE.get(parts)
    if cached is None:
        if parts[0] > 2 or (parts[0] < 2 and parts[1] > 39):
            raise SnmpWireError('bad OID %s: the first two arcs must be 0.0-39, 1.0-39 or 2.x'
                                % '.'.join(str(p) for p in parts))
        body = bytearray()
        for arc in (parts[0] * 40 + parts[1],) + tuple(parts[2:]):
            chunk = [arc & 0x7f]
            arc >>= 7
            while arc:
                chunk.append(0x80 | (arc & 0x7f))
                arc >>= 7
            body.extend(reversed(chunk))
        cached = _ber_tlv(0x06, bytes(body))
        if len(_OID_CACHE) < 4096:
            _OID_CACHE[parts] = cached
    return cached


def _null_request(pdu_tag, request_id, community, version, parts, field2, field3):
    """A v1/v2c request whose varbinds all carry NULL (GET, GETNEXT, GETBULK)."""
    varbinds = b''.join(_ber_tlv(0x30, _ber_oid(p) + b'\x05\x00') for p in parts)
    pdu = _ber_tlv(pdu_tag, _ber_int(request_id) + _ber_int(field2) + _ber_int(field3) + _ber_tlv(0x30, varbinds))
    return _ber_tlv(0x30, _ber_int(_VERSION_TO_WIRE[version]) + _ber_tlv(0x04, _to_bytes(community)) + pdu)


class _Short(Exception):
    pass


def _read_tlv(data, pos, end):
    """(tag, start of value, end of value) of the TLV at ``pos``; raises _Short on anything unusual."""
    if pos + 2 > end:
        raise _Short()
    tag = data[pos]
    first = data[pos + 1]
    pos += 2
    if first & 0x80:
        count = first & 0x7f
        if count == 0 or count > 4 or pos + count > end:
            raise _Short()   # indefinite or absurd length
        length = int.from_bytes(data[pos:pos + count], 'big')
        pos += count
    else:
        length = first
    if pos + length > end:
        raise _Short()
    return tag, pos, pos + length


def _decode_oid(body):
    if not body:
        raise _Short()
    arcs = []
    arc = 0
    for i, byte in enumerate(body):
        if byte == 0x80 and (i == 0 or not body[i - 1] & 0x80):
            raise _Short()   # a sub-identifier with a leading 0x80 octet is not valid BER (pyasn1 refuses it)
        arc = (arc << 7) | (byte & 0x7f)
        if not byte & 0x80:
            arcs.append(arc)
            arc = 0
    if body[-1] & 0x80:
        raise _Short()
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return '.'.join(str(a) for a in head + arcs[1:])


def _fast_value(tag, body, v1):
    if v1 and tag not in _V1_VALUE_TAGS:
        raise _Short()
    if tag == 0x02:
        value = int.from_bytes(body, 'big', signed=True) if body else 0
        if not -2147483648 <= value <= 2147483647:
            raise _Short()   # out of Integer32's range: pyasn1 refuses it
        return value
    if tag in _UNSIGNED_TAGS:
        # Counter32, Gauge32, TimeTicks (0..2^32-1) and Counter64 (0..2^64-1) are INTEGERs: a first octet with
        # the high bit set is a negative number, which pyasn1 refuses like any value out of range.
        value = int.from_bytes(body, 'big')
        if (body and body[0] & 0x80) or value > (0xffffffffffffffff if tag == 0x46 else 0xffffffff):
            raise _Short()
        return value
    if tag == 0x04:
        return _octets(body)
    if tag == 0x06:
        return _decode_oid(body)
    if tag == 0x40 and len(body) == 4:
        return '.'.join(str(b) for b in body)
    if tag == 0x44:
        return _octets(body, text=False)
    if (tag == 0x05 or tag in _EXCEPTION_TAGS) and not body:
        return None
    raise _Short()   # a NULL or an exception with content, or a type this path does not know


def _fast_parse(data):
    """parse_response's result for a plain v1/v2c message, or None to let pyasn1 decide."""
    data = bytes(data)
    try:
        tag, start, end = _read_tlv(data, 0, len(data))
        if tag != 0x30 or end != len(data):
            return None
        tag, vstart, vend = _read_tlv(data, start, end)
        if tag != 0x02 or vend - vstart != 1 or data[vstart] not in _WIRE_TO_VERSION or data[vstart] == _V3:
            return None
        wire = data[vstart]
        tag, cstart, cend = _read_tlv(data, vend, end)
        if tag != 0x04:
            return None
        pdu_tag, pstart, pend = _read_tlv(data, cend, end)
        if pend != end or pdu_tag not in _PDU_TAGS or (wire == _V1 and pdu_tag not in _V1_PDU_TAGS):
            return None
        fields = []
        pos = pstart
        for dummy in range(3):
            tag, fstart, fend = _read_tlv(data, pos, pend)
            if tag != 0x02 or fend == fstart or fend - fstart > 5:
                return None
            fields.append(int.from_bytes(data[fstart:fend], 'big', signed=True))
            pos = fend
        if not -2147483648 <= fields[0] <= 2147483647 or not 0 <= fields[1] <= 2147483647 \
                or not 0 <= fields[2] <= 2147483647:
            return None   # out of the ranges RFC 3416 gives them: pyasn1 decides
        tag, lstart, lend = _read_tlv(data, pos, pend)
        if tag != 0x30 or lend != pend:
            return None
        varbinds = []
        exceptions = {}
        pos = lstart
        v1 = wire == _V1
        while pos < lend:
            tag, bstart, bend = _read_tlv(data, pos, lend)
            if tag != 0x30:
                return None
            tag, ostart, oend = _read_tlv(data, bstart, bend)
            if tag != 0x06:
                return None
            oid = _decode_oid(data[ostart:oend])
            vtag, vstart, vend = _read_tlv(data, oend, bend)
            if vend != bend:
                return None
            if vtag in _EXCEPTION_TAGS:
                if v1:
                    return None
                exceptions[oid] = _EXCEPTION_TAGS[vtag]
            varbinds.append((oid, _fast_value(vtag, data[vstart:vend], v1)))
            pos = bend
    except (_Short, IndexError, ValueError):
        return None
    return {'version': _WIRE_TO_VERSION[wire], 'pdu_type': _PDU_TAGS[pdu_tag], 'request_id': fields[0],
            'error_status': fields[1], 'error_index': fields[2], 'varbinds': varbinds, 'exceptions': exceptions,
            'error_status_name': error_status_name(fields[1])}


def _check_version(what, version):
    version = str(version)
    if version not in _VERSION_TO_WIRE:
        raise SnmpWireError('%s builds SNMP v1 and v2c only, got version %r' % (what, version))
    return version


def _check_request_id(request_id):
    if not 0 <= int(request_id) <= 2147483647:
        raise SnmpWireError('request-id %r out of range 0..2147483647' % (request_id,))


def _oid_list(oids):
    if isinstance(oids, str):
        oids = [oids]
    if not oids:
        raise SnmpWireError('at least one OID is needed')
    return [_oid(o) for o in oids]


def _message(mod, pdu, request_id, community, varbinds):
    mod.apiPDU.set_defaults(pdu)
    mod.apiPDU.set_request_id(pdu, int(request_id))
    mod.apiPDU.set_varbinds(pdu, varbinds)
    msg = mod.Message()
    mod.apiMessage.set_defaults(msg)
    mod.apiMessage.set_community(msg, _to_bytes(community))
    mod.apiMessage.set_pdu(msg, pdu)
    return msg


def build_get_request(request_id, community=DEFAULT_COMMUNITY, version=DEFAULT_VERSION, oids=(SYS_DESCR_OID,)):
    """BER bytes of an SNMP v1 or v2c GetRequest for ``oids`` with ``request_id``."""
    version = _check_version('build_get_request', version)
    _check_request_id(request_id)
    return _null_request(0xa0, request_id, community, version, _oid_list(oids), 0, 0)


def build_getnext_request(request_id, community=DEFAULT_COMMUNITY, version=DEFAULT_VERSION, oids=(SYS_DESCR_OID,)):
    """BER bytes of an SNMP v1 or v2c GetNextRequest (one walk step per OID)."""
    version = _check_version('build_getnext_request', version)
    _check_request_id(request_id)
    return _null_request(0xa1, request_id, community, version, _oid_list(oids), 0, 0)


def build_getbulk_request(request_id, community=DEFAULT_COMMUNITY, oids=(SYS_DESCR_OID,), non_repeaters=0,
                          max_repetitions=10):
    """BER bytes of an SNMP v2c GetBulkRequest (RFC 3416 section 4.2.3).

    The first ``non_repeaters`` OIDs get one GETNEXT each, the others up to
    ``max_repetitions`` successors each. SNMP v1 has no GETBULK.
    """
    _require_pysnmp()
    _check_request_id(request_id)
    parts = _oid_list(oids)
    if not 0 <= int(non_repeaters) <= len(parts):
        raise SnmpWireError('non-repeaters %r out of range 0..%d' % (non_repeaters, len(parts)))
    if not 0 <= int(max_repetitions) <= 2147483647:
        raise SnmpWireError('max-repetitions %r out of range 0..2147483647' % (max_repetitions,))
    return _null_request(0xa5, request_id, community, '2c', parts, int(non_repeaters), int(max_repetitions))


# SET value types: canonical name -> accepted spellings (RFC 2578 SMIv2 names, net-snmp's snmpset letters).
VALUE_TYPES = {
    'integer': ('integer', 'int', 'integer32', 'i'),
    'octet_string': ('octet_string', 'octetstring', 'string', 'str', 'octets', 'displaystring', 's'),
    'hex_string': ('hex_string', 'hexstring', 'hex', 'x'),
    'ip_address': ('ip_address', 'ipaddress', 'ip', 'a'),
    'object_identifier': ('object_identifier', 'objectidentifier', 'oid', 'o'),
    'counter32': ('counter32', 'counter', 'c'),
    'gauge32': ('gauge32', 'gauge', 'unsigned32', 'unsigned', 'u'),
    'timeticks': ('timeticks', 'time_ticks', 't'),
}
_TYPE_ALIASES = dict((alias, name) for name, aliases in VALUE_TYPES.items() for alias in aliases)
_UINT32_TYPES = ('counter32', 'gauge32', 'timeticks')


def value_type(name):
    """The canonical VALUE_TYPES name for a type spelling (``OctetString``, ``s``, ``ip``...)."""
    key = str(name).strip().lower().replace('-', '_').replace(' ', '_')
    if key in _TYPE_ALIASES:
        return _TYPE_ALIASES[key]
    if key.replace('_', '') in _TYPE_ALIASES:
        return _TYPE_ALIASES[key.replace('_', '')]
    raise SnmpWireError('unknown SNMP value type %r; expected one of: %s' % (name, ', '.join(sorted(VALUE_TYPES))))


def normalize_value(vtype, value):
    """``value`` as the plain Python value that parse_response returns for ``vtype``.

    Raises SnmpWireError when the value does not fit the type.
    """
    vtype = value_type(vtype)
    if vtype in ('integer',) + _UINT32_TYPES:
        if isinstance(value, bool):
            raise SnmpWireError('%s needs a number, got a boolean %r' % (vtype, value))
        try:
            number = int(str(value).strip(), 0) if isinstance(value, str) else int(value)
        except (TypeError, ValueError):
            raise SnmpWireError('%s needs a whole number, got %r' % (vtype, value))
        if isinstance(value, float) and value != number:
            raise SnmpWireError('%s needs a whole number, got %r' % (vtype, value))
        low, high = (-2147483648, 2147483647) if vtype == 'integer' else (0, 4294967295)
        if not low <= number <= high:
            raise SnmpWireError('%s %d out of range %d..%d' % (vtype, number, low, high))
        return number
    if vtype == 'ip_address':
        parts = str(value).strip().split('.')
        try:
            octets = [int(p) for p in parts]
        except ValueError:
            octets = []
        if len(octets) != 4 or any(not 0 <= o <= 255 for o in octets):
            raise SnmpWireError('ip_address needs a dotted IPv4 address, got %r' % (value,))
        return '.'.join(str(o) for o in octets)
    if vtype == 'object_identifier':
        return '.'.join(str(p) for p in _oid(value))
    if vtype == 'hex_string':
        text = str(value).strip().lower()
        text = text[2:] if text.startswith('0x') else text
        text = text.replace(':', '').replace(' ', '')
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise SnmpWireError('hex_string needs hex digits, got %r' % (value,))
        return '0x' + raw.hex()
    if value is None:
        return ''
    if isinstance(value, bytes):
        return to_python(univ.OctetString(value))
    return str(value)


def encode_value(vtype, value, version=DEFAULT_VERSION):
    """A pysnmp value object of ``vtype`` for a SET varbind (v1 and v2c share these types)."""
    _require_pysnmp()
    vtype = value_type(vtype)
    plain = normalize_value(vtype, value)
    mod = snmp_api.PROTOCOL_MODULES[_VERSION_TO_WIRE.get(str(version), _V2C)]
    if vtype == 'integer':
        return mod.Integer(plain)
    if vtype == 'counter32':
        return (getattr(mod, 'Counter32', None) or mod.Counter)(plain)  # SMIv1 (RFC 1155) calls it Counter
    if vtype == 'gauge32':
        return (getattr(mod, 'Gauge32', None) or mod.Gauge)(plain)
    if vtype == 'timeticks':
        return mod.TimeTicks(plain)
    if vtype == 'ip_address':
        return mod.IpAddress(plain)
    if vtype == 'object_identifier':
        return mod.ObjectIdentifier(_oid(plain))
    if vtype == 'hex_string':
        return mod.OctetString(bytes.fromhex(plain[2:]))
    return mod.OctetString(_to_bytes(plain))


def build_set_request(request_id, community, version, varbinds):
    """BER bytes of an SNMP v1 or v2c SetRequest.

    ``varbinds`` is a list of ``(oid, type, value)``; ``type`` is a VALUE_TYPES
    name or alias, ``value`` a Python value that fits it.
    """
    _require_pysnmp()
    version = _check_version('build_set_request', version)
    _check_request_id(request_id)
    if not varbinds:
        raise SnmpWireError('at least one varbind is needed')
    mod = snmp_api.PROTOCOL_MODULES[_VERSION_TO_WIRE[version]]
    encoded = []
    for item in varbinds:
        try:
            oid, vtype, value = item
        except (TypeError, ValueError):
            raise SnmpWireError('a SET varbind is (oid, type, value), got %r' % (item,))
        encoded.append((mod.ObjectIdentifier(_oid(oid)), encode_value(vtype, value, version)))
    return ber_encoder.encode(_message(mod, mod.SetRequestPDU(), request_id, community, encoded))


def oid_in_subtree(oid, base):
    """True when dotted ``oid`` lies strictly under dotted ``base``."""
    oid_parts, base_parts = _oid(oid), _oid(base)
    return len(oid_parts) > len(base_parts) and oid_parts[:len(base_parts)] == base_parts


def oid_key(oid):
    """Sort key of a dotted OID (numeric, lexicographic per sub-identifier)."""
    return _oid(oid)


# error-status name -> (kind, readable sentence), for the client and the modules.
ERROR_STATUS_KINDS = {
    'tooBig': ('too_big', 'the reply would be too big for one message'),
    'noSuchName': ('no_such_object', 'the agent has no such object (SNMP v1 noSuchName; a v1 agent also '
                                     'says so for an object it will not write)'),
    'badValue': ('wrong_value', 'the agent refused the value (badValue)'),
    'readOnly': ('read_only', 'the object is read-only'),
    'genErr': ('general', 'the agent reported a general error (genErr)'),
    'noAccess': ('no_access', 'the community or user has no write access to the object (noAccess)'),
    'wrongType': ('wrong_type', 'the value has the wrong type for the object (wrongType)'),
    'wrongLength': ('wrong_value', 'the value has the wrong length for the object (wrongLength)'),
    'wrongEncoding': ('wrong_value', 'the value is wrongly encoded (wrongEncoding)'),
    'wrongValue': ('wrong_value', 'the agent refused the value (wrongValue)'),
    'noCreation': ('no_such_object', 'the object does not exist and cannot be created (noCreation)'),
    'inconsistentValue': ('wrong_value', 'the value is inconsistent with the agent\'s state (inconsistentValue)'),
    'resourceUnavailable': ('general', 'the agent lacks the resources to make the change (resourceUnavailable)'),
    'commitFailed': ('commit_failed', 'the agent could not commit the change (commitFailed)'),
    'undoFailed': ('commit_failed', 'the agent could not commit nor undo the change (undoFailed)'),
    'authorizationError': ('authorization', 'the community or user is not authorized for this request '
                                            '(authorizationError)'),
    'notWritable': ('not_writable', 'the object is not writable (notWritable)'),
    'inconsistentName': ('no_such_object', 'the object cannot be created with this name (inconsistentName)'),
}


def error_status_kind(status):
    """``(kind, sentence)`` for an error-status number or name."""
    name = status if isinstance(status, str) else error_status_name(status)
    return ERROR_STATUS_KINDS.get(name, ('error_status', 'the agent answered with error-status %s' % name))


def message_version(data):
    """SNMP version of a BER message as '1', '2c' or '3'; raises SnmpWireError on garbage."""
    _require_pysnmp()
    try:
        wire = int(snmp_api.decodeMessageVersion(bytes(data)))
    except Exception as exc:  # pysnmp raises ProtocolError, pyasn1 its own errors
        raise SnmpWireError('not an SNMP message: %s' % (decode_reason(exc),))
    if wire not in _WIRE_TO_VERSION:
        raise SnmpWireError('unknown SNMP message version %d' % wire)
    return _WIRE_TO_VERSION[wire]


def decode_reason(exc):
    """The first line of a decoder's error, at most 200 characters (pyasn1 may print a whole schema)."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else exc.__class__.__name__
    return text if len(text) <= 200 else text[:200] + '...'


def _is(value, name):
    return value.__class__.__name__ == name


def to_python(value):
    """A JSON-friendly Python value for one decoded SNMP value.

    Integers (Integer32, Counter32/64, Gauge32, TimeTicks, Unsigned32) become
    int, OIDs dotted strings, IpAddress a dotted quad, printable OCTET STRINGs
    text (trailing NULs dropped) and other OCTET STRINGs ``0x``-prefixed hex;
    Null and the v2c exceptions (noSuchObject, ...) become None.
    """
    if isinstance(value, univ.Null):
        return None
    if isinstance(value, univ.ObjectIdentifier):
        return str(value)
    if isinstance(value, univ.Integer):
        return int(value)
    if isinstance(value, univ.OctetString):
        raw = value.asOctets()
        if _is(value, 'IpAddress') and len(raw) == 4:
            return '.'.join(str(b) for b in bytearray(raw))
        return _octets(raw, text=not (_is(value, 'Opaque') or _is(value, 'Bits')))
    return value.prettyPrint()


def _octets(raw, text=True):
    """An OCTET STRING's Python value: printable text (trailing NULs dropped) or ``0x`` hex."""
    if text:
        stripped = raw.rstrip(b'\x00')
        try:
            decoded = stripped.decode('utf-8')
        except UnicodeDecodeError:
            decoded = None
        if decoded is not None and all(c in _PRINTABLE or ord(c) > 127 for c in decoded):
            return decoded
    return '0x' + raw.hex()


def varbind_exception(value):
    """'noSuchObject', 'noSuchInstance', 'endOfMibView' or None."""
    if isinstance(value, rfc1905.NoSuchObject):
        return 'noSuchObject'
    if isinstance(value, rfc1905.NoSuchInstance):
        return 'noSuchInstance'
    if isinstance(value, rfc1905.EndOfMibView):
        return 'endOfMibView'
    return None


def error_status_name(status):
    status = int(status)
    if 0 <= status < len(ERROR_STATUS_NAMES):
        return ERROR_STATUS_NAMES[status]
    return 'error-%d' % status


def _pdu_fields(mod, pdu):
    """The fields every response/report PDU carries, as plain Python values."""
    varbinds, exceptions = _varbinds(mod, pdu)
    return {
        'pdu_type': _pdu_type(pdu),
        'request_id': int(mod.apiPDU.get_request_id(pdu)),
        'error_status': int(mod.apiPDU.get_error_status(pdu)),
        'error_index': int(pdu.getComponentByPosition(2)),
        'varbinds': varbinds,
        'exceptions': exceptions,
    }


def _varbinds(mod, pdu):
    varbinds = []
    exceptions = {}
    for oid, value in mod.apiPDU.get_varbinds(pdu):
        oid_text = str(oid)
        exc = varbind_exception(value)
        if exc:
            exceptions[oid_text] = exc
        varbinds.append((oid_text, to_python(value)))
    return varbinds, exceptions


def _pdu_type(pdu):
    return {
        'GetRequestPDU': 'get', 'GetNextRequestPDU': 'getnext', 'GetResponsePDU': 'response',
        'ResponsePDU': 'response', 'SetRequestPDU': 'set', 'GetBulkRequestPDU': 'getbulk',
        'InformRequestPDU': 'inform', 'SNMPv2TrapPDU': 'trap', 'TrapPDU': 'trap', 'ReportPDU': 'report',
    }.get(pdu.__class__.__name__, pdu.__class__.__name__)


def parse_response(data):
    """Parse an SNMP v1/v2c message (normally a GetResponse).

    Returns ``{'version', 'pdu_type', 'request_id', 'error_status',
    'error_status_name', 'error_index', 'varbinds': [(oid, value)],
    'exceptions': {oid: 'noSuchObject'|...}}``. The community is deliberately
    not returned (it is a secret). Raises SnmpWireError on anything else.
    """
    fast = _fast_parse(data)
    if fast is not None:
        return fast
    return _pyasn1_parse(data)


def _pyasn1_parse(data):
    """parse_response through pyasn1: the reference for the fast path, and the path for unusual messages."""
    version = message_version(data)
    if version == '3':
        raise SnmpWireError('an SNMPv3 message, not v1/v2c')
    mod = snmp_api.PROTOCOL_MODULES[_VERSION_TO_WIRE[version]]
    try:
        msg, rest = ber_decoder.decode(bytes(data), asn1Spec=mod.Message())
        pdu = mod.apiMessage.get_pdu(msg)
        if _pdu_type(pdu) == 'trap' and version == '1':
            raise SnmpWireError('an SNMPv1 trap, not a response')
        result = {'version': version}
        result.update(_pdu_fields(mod, pdu))
    except SnmpWireError:
        raise
    except DECODE_ERRORS as exc:
        raise SnmpWireError('malformed SNMP v%s message: %s' % (version, decode_reason(exc)))
    if rest:
        raise SnmpWireError('%d trailing bytes after the SNMP message' % len(rest))
    result['error_status_name'] = error_status_name(result['error_status'])
    return result


def build_v3_discovery(msg_id, request_id):
    """BER bytes of an SNMPv3 engine-discovery request (RFC 3414 section 4).

    noAuthNoPriv with the reportable flag, USM, empty engine id and user name,
    and an empty GetRequest in a plaintext scoped PDU.
    """
    _require_pysnmp()
    for name, value in (('msgID', msg_id), ('request-id', request_id)):
        if not 0 <= int(value) <= 2147483647:
            raise SnmpWireError('%s %r out of range 0..2147483647' % (name, value))
    mod = snmp_api.PROTOCOL_MODULES[_V2C]
    usm = UsmSecurityParameters()
    usm.setComponentByPosition(0, b'')
    usm.setComponentByPosition(1, 0)
    usm.setComponentByPosition(2, 0)
    usm.setComponentByPosition(3, b'')
    usm.setComponentByPosition(4, b'')
    usm.setComponentByPosition(5, b'')

    pdu = mod.GetRequestPDU()
    mod.apiPDU.set_defaults(pdu)
    mod.apiPDU.set_request_id(pdu, int(request_id))
    mod.apiPDU.set_varbinds(pdu, [])

    scoped = ScopedPDU()
    scoped.setComponentByPosition(0, b'')
    scoped.setComponentByPosition(1, b'')
    scoped.setComponentByPosition(2).getComponentByPosition(2).setComponentByType(
        pdu.getTagSet(), pdu, verifyConstraints=False, matchTags=False, matchConstraints=False, innerFlag=True)

    msg = SNMPv3Message()
    msg.setComponentByPosition(0, _V3)
    header = msg.setComponentByPosition(1).getComponentByPosition(1)
    header.setComponentByPosition(0, int(msg_id))
    header.setComponentByPosition(1, _MAX_MSG_SIZE)
    header.setComponentByPosition(2, bytes(bytearray([_FLAG_REPORTABLE])))
    header.setComponentByPosition(3, _USM_SECURITY_MODEL)
    msg.setComponentByPosition(2, ber_encoder.encode(usm))
    msg.setComponentByPosition(3).getComponentByPosition(3).setComponentByPosition(0, scoped)
    return ber_encoder.encode(msg)


def parse_v3_message(data):
    """Parse an unencrypted SNMPv3 message (a discovery Report, normally).

    Returns ``{'version': '3', 'msg_id', 'flags': {'auth', 'priv',
    'reportable'}, 'engine_id' (hex), 'engine_boots', 'engine_time',
    'user_name', 'encrypted', 'pdu_type', 'request_id', 'error_status',
    'error_index', 'varbinds', 'exceptions', 'usm_stats': {name: count}}``.
    For an encrypted scoped PDU only the header fields are filled in.
    """
    if message_version(data) != '3':
        raise SnmpWireError('an SNMP v1/v2c message, not v3')
    mod = snmp_api.PROTOCOL_MODULES[_V2C]
    try:
        msg, rest = ber_decoder.decode(bytes(data), asn1Spec=SNMPv3Message())
        header = msg.getComponentByPosition(1)
        flags = bytearray(header.getComponentByPosition(2).asOctets() or b'\x00')[0]
        usm = ber_decoder.decode(msg.getComponentByPosition(2).asOctets(), asn1Spec=UsmSecurityParameters())[0]
        result = {
            'version': '3',
            'msg_id': int(header.getComponentByPosition(0)),
            'security_model': int(header.getComponentByPosition(3)),
            'flags': {
                'auth': bool(flags & _FLAG_AUTH),
                'priv': bool(flags & _FLAG_PRIV),
                'reportable': bool(flags & _FLAG_REPORTABLE),
            },
            'engine_id': usm.getComponentByPosition(0).asOctets().hex(),
            'engine_boots': int(usm.getComponentByPosition(1)),
            'engine_time': int(usm.getComponentByPosition(2)),
            'user_name': usm.getComponentByPosition(3).asOctets().decode('utf-8', 'replace'),
            'encrypted': False,
            'pdu_type': None,
            'request_id': None,
            'error_status': None,
            'error_index': None,
            'varbinds': [],
            'exceptions': {},
            'usm_stats': {},
        }
        msg_data = msg.getComponentByPosition(3)
        if msg_data.getName() == 'encryptedPDU':
            result['encrypted'] = True
        else:
            scoped = msg_data.getComponent()
            pdu = scoped.getComponentByPosition(2).getComponent()
            result['context_engine_id'] = scoped.getComponentByPosition(0).asOctets().hex()
            result.update(_pdu_fields(mod, pdu))
            for oid, value in result['varbinds']:
                if oid in USM_STATS:
                    result['usm_stats'][USM_STATS[oid]] = value
    except SnmpWireError:
        raise
    except DECODE_ERRORS as exc:
        raise SnmpWireError('malformed SNMPv3 message: %s' % (decode_reason(exc),))
    if rest:
        raise SnmpWireError('%d trailing bytes after the SNMPv3 message' % len(rest))
    return result


def parse_message(data):
    """Parse any SNMP message we understand (v1/v2c or an unencrypted v3 one)."""
    if message_version(data) == '3':
        return parse_v3_message(data)
    return parse_response(data)


def sys_descr(varbinds):
    """The sysDescr.0 value from a varbind list, or None."""
    for oid, value in varbinds:
        if oid == SYS_DESCR_OID:
            return value
    return None


# ---- SNMPv3 GET with credentials (pysnmp asyncio hlapi) --------------------

_AUTH_ATTRS = {
    'md5': 'USM_AUTH_HMAC96_MD5', 'sha': 'USM_AUTH_HMAC96_SHA', 'sha224': 'USM_AUTH_HMAC128_SHA224',
    'sha256': 'USM_AUTH_HMAC192_SHA256', 'sha384': 'USM_AUTH_HMAC256_SHA384',
    'sha512': 'USM_AUTH_HMAC384_SHA512',
}
# AES-192/256 need a key longer than SHA-1's or SHA-224's digest. net-snmp (and the printers built on it)
# extends it as in draft-blumenthal-aes-usm-04; pysnmp's plain CFB192/CFB256 use Reeder's (Cisco's) extension
# and never talk to net-snmp with SHA-1 + AES-256 (measured against snmpd 5.9). With SHA-256 and longer digests
# both extensions give the same key.
_PRIV_ATTRS = {
    'des': 'USM_PRIV_CBC56_DES', '3des': 'USM_PRIV_CBC168_3DES', 'aes': 'USM_PRIV_CFB128_AES',
    'aes192': 'USM_PRIV_CFB192_AES_BLUMENTHAL', 'aes256': 'USM_PRIV_CFB256_AES_BLUMENTHAL',
}
# pysnmp error-indication class name -> (kind, readable sentence)
V3_ERROR_KINDS = {
    'WrongDigest': ('authentication', 'authentication error: the agent rejected the message digest '
                                      '(wrong auth_key or auth_protocol)'),
    'AuthenticationError': ('authentication', 'authentication error'),
    'AuthenticationFailure': ('authentication', 'authentication error: authenticator mismatch'),
    'UnknownUserName': ('unknown_user', 'the agent does not know this SNMPv3 user name'),
    'UnsupportedSecurityLevel': ('security_level', 'the agent does not support this security level for '
                                                   'the user (auth/priv settings do not match)'),
    'DecryptionError': ('privacy', 'privacy error: the agent could not decrypt the request '
                                   '(wrong priv_key or priv_protocol)'),
    'NotInTimeWindow': ('time_window', 'the request fell outside the agent\'s time window'),
    'UnknownEngineID': ('engine_id', 'the agent reported an unknown engine id'),
    'RequestTimedOut': ('timeout', 'no SNMPv3 reply before the timeout'),
}


def v3_error(indication):
    """Map a pysnmp error indication to ``(kind, sentence)``."""
    name = indication.__class__.__name__
    text = str(indication)
    if name in V3_ERROR_KINDS:
        kind, sentence = V3_ERROR_KINDS[name]
        return kind, '%s [%s]' % (sentence, text)
    if 'digest' in text.lower():
        return 'authentication', 'authentication error [%s]' % text
    return 'other', text


async def snmpv3_get(host, port, username, auth_protocol=None, auth_key=None, priv_protocol=None,
                     priv_key=None, context=None, oids=(SYS_DESCR_OID,), timeout=2.0, retries=1):
    """One SNMPv3 GET with credentials. Returns a dict, never raises for SNMP errors.

    ``{'ok': bool, 'error_kind': None|'authentication'|'unknown_user'|'privacy'|
    'timeout'|..., 'error': None|str, 'error_status', 'error_status_name',
    'error_index', 'varbinds': [(oid, value)], 'exceptions': {...}}``
    """
    # Imported here: the hlapi is heavy and only this slow path needs it.
    from pysnmp.hlapi.v3arch import asyncio as hlapi

    if isinstance(oids, str):
        oids = [oids]
    kwargs = {}
    if auth_key is not None:
        kwargs['authKey'] = auth_key
        kwargs['authProtocol'] = getattr(hlapi, _AUTH_ATTRS[auth_protocol or DEFAULT_AUTH_PROTOCOL])
    if priv_key is not None:
        kwargs['privKey'] = priv_key
        kwargs['privProtocol'] = getattr(hlapi, _PRIV_ATTRS[priv_protocol or DEFAULT_PRIV_PROTOCOL])
    result = {'ok': False, 'error_kind': None, 'error': None, 'error_status': None,
              'error_status_name': None, 'error_index': None, 'varbinds': [], 'exceptions': {}}
    engine = hlapi.SnmpEngine()
    try:
        target = await hlapi.UdpTransportTarget.create((host, int(port)), timeout=timeout, retries=retries)
        indication, status, index, varbinds = await hlapi.get_cmd(
            engine, hlapi.UsmUserData(username, **kwargs), target, hlapi.ContextData(contextName=context or ''),
            *[hlapi.ObjectType(hlapi.ObjectIdentity('.'.join(str(p) for p in _oid(o)))) for o in oids],
            lookupMib=False)
    except Exception as exc:  # pysnmp raises PySnmpError and friends for transport problems
        result['error_kind'] = 'other'
        result['error'] = '%s: %s' % (exc.__class__.__name__, exc)
        return result
    finally:
        engine.close_dispatcher()
    if indication:
        result['error_kind'], result['error'] = v3_error(indication)
        return result
    result['error_status'] = int(status)
    result['error_status_name'] = error_status_name(status)
    result['error_index'] = int(index)
    for oid, value in varbinds:
        exc = varbind_exception(value)
        if exc:
            result['exceptions'][str(oid)] = exc
        result['varbinds'].append((str(oid), to_python(value)))
    result['ok'] = int(status) == 0
    if not result['ok']:
        result['error_kind'] = 'error_status'
        result['error'] = 'the agent answered with error-status %s' % result['error_status_name']
    return result
