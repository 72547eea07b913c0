# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQL Server's TDS PRELOGIN on the wire: build the request, parse the reply, no sockets.

[MS-TDS] 2.2.6.5 PRELOGIN: the client's first message is a packet of type 0x12
whose data is a list of option tokens (token BYTE, offset USHORT, length USHORT,
all big-endian, offsets counted from the start of the packet data) ended by 0xFF,
followed by the option data. The server answers with the same structure in a
packet of type 0x04 (tabular result). From that answer this file reads the
server's product version, its encryption mode, whether the named instance the
client asked for is the one listening on that port, and MARS.

No maintained Python library exposes PRELOGIN as plain functions (python-tds
builds and parses it inside its socket session), so the bytes are written here
and tested against the examples of [MS-TDS] section 4.1 and [MS-SSTDS] 4.1.

``tds_prelogin_conversation(params)`` is the sans-IO conversation (see
conversation.py): it yields Connect/Send/Recv('tds')/Close and returns a check
result, so the same code runs from the controller today and from the MVE server
through a remote driver later.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import struct

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import ProtocolError
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation as conv

# Packet types ([MS-TDS] 2.2.3.1.1) and the header's status bit that ends a message.
PACKET_REPLY = 0x04
PACKET_PRELOGIN = 0x12
STATUS_EOM = 0x01
HEADER_SIZE = 8

# PL_OPTION_TOKEN values ([MS-TDS] 2.2.6.5).
TOKEN_VERSION = 0x00
TOKEN_ENCRYPTION = 0x01
TOKEN_INSTOPT = 0x02
TOKEN_THREADID = 0x03
TOKEN_MARS = 0x04
TOKEN_TRACEID = 0x05
TOKEN_FEDAUTHREQUIRED = 0x06
TOKEN_NONCEOPT = 0x07
TOKEN_TERMINATOR = 0xFF

# B_FENCRYPTION values and the names the collection reports.
ENCRYPT_OFF = 0x00
ENCRYPT_ON = 0x01
ENCRYPT_NOT_SUP = 0x02
ENCRYPT_REQ = 0x03
ENCRYPT_CLIENT_CERT = 0x80  # TDS 7.4 flag, ORed with one of the four values above
ENCRYPTION_NAMES = {ENCRYPT_OFF: 'off', ENCRYPT_ON: 'on', ENCRYPT_NOT_SUP: 'not_supported', ENCRYPT_REQ: 'required'}
ENCRYPTION_CODES = dict((v, k) for k, v in ENCRYPTION_NAMES.items())

# What this check announces as its own version (the value of the [MS-TDS] 4.1 example client).
CLIENT_VERSION = (9, 0, 0, 0)

# Major version of the product -> marketing name, for a readable reason.
PRODUCTS = {
    8: 'SQL Server 2000', 9: 'SQL Server 2005', 10: 'SQL Server 2008', 11: 'SQL Server 2012',
    12: 'SQL Server 2014', 13: 'SQL Server 2016', 14: 'SQL Server 2017', 15: 'SQL Server 2019',
    16: 'SQL Server 2022', 17: 'SQL Server 2025',
}


class TdsWireError(ProtocolError):
    """Bytes that are not a TDS PRELOGIN reply, or bad build arguments."""


# -------------------------------------------------------------------------------------------- build
def packet_header(packet_type, length, status=STATUS_EOM, spid=0, packet_id=1, window=0):
    """The 8-byte TDS packet header ([MS-TDS] 2.2.3.1): type, status, length (header included), SPID,
    packet id, window; the multi-byte fields big-endian."""
    if not HEADER_SIZE <= length <= 0xFFFF:
        raise TdsWireError('a TDS packet is 8 to 65535 bytes long, got %d' % length)
    return struct.pack('>BBHHBB', packet_type, status, length, spid, packet_id, window)


def build_options(options):
    """PRELOGIN packet data from ``options``: a list of (token, bytes) in the order to send."""
    table = b''
    data = b''
    start = 5 * len(options) + 1
    for token, value in options:
        table += struct.pack('>BHH', token, start + len(data), len(value))
        data += value
    return table + struct.pack('B', TOKEN_TERMINATOR) + data


def build_prelogin(version=CLIENT_VERSION, encryption='off', instance='', thread_id=0, mars=False, packet_id=1):
    """A complete PRELOGIN packet (type 0x12, one packet, EOM set).

    ``version`` is (major, minor, build, sub_build) of the sender: UL_VERSION as major, minor and a
    big-endian build number, then US_SUBBUILD. ``encryption`` is a name of ENCRYPTION_NAMES or its
    byte. ``instance`` is the named instance the client wants ('' for the default one); it is sent
    as INSTOPT, bytes ended by 0x00. ``thread_id`` is sent big-endian as python-tds does. ``mars``
    None leaves the MARS option out (as TDS 7.1 and older clients do).
    """
    if isinstance(encryption, str):
        if encryption not in ENCRYPTION_CODES:
            raise TdsWireError('encryption must be one of %s, got %r' % (', '.join(sorted(ENCRYPTION_CODES)), encryption))
        encryption = ENCRYPTION_CODES[encryption]
    major, minor, build, sub_build = version
    try:
        instance_bytes = (instance or '').encode('ascii')
    except UnicodeEncodeError:
        raise TdsWireError('instance must be an ASCII name, got %r' % (instance,))
    if b'\x00' in instance_bytes:
        raise TdsWireError('instance must not contain NUL characters')
    options = [
        (TOKEN_VERSION, struct.pack('>BBHH', major, minor, build, sub_build)),
        (TOKEN_ENCRYPTION, struct.pack('B', encryption)),
        (TOKEN_INSTOPT, instance_bytes + b'\x00'),
        (TOKEN_THREADID, struct.pack('>I', thread_id & 0xFFFFFFFF)),
    ]
    if mars is not None:
        options.append((TOKEN_MARS, b'\x01' if mars else b'\x00'))
    payload = build_options(options)
    return packet_header(PACKET_PRELOGIN, HEADER_SIZE + len(payload), packet_id=packet_id) + payload


# -------------------------------------------------------------------------------------------- parse
def parse_header(data):
    """The fields of one 8-byte packet header as a dict."""
    if len(data) < HEADER_SIZE:
        raise TdsWireError('a TDS packet header is 8 bytes, got %d' % len(data))
    ptype, status, length, spid, packet_id, window = struct.unpack('>BBHHBB', bytes(data[:HEADER_SIZE]))
    return {'type': ptype, 'status': status, 'length': length, 'spid': spid, 'packet_id': packet_id, 'window': window}


def split_message(data):
    """(packet type, packet data) of one TDS message that may span several packets.

    Every packet must carry the same type, the last one (and only it) the EOM status bit, and the
    lengths must add up to exactly ``data``.
    """
    data = bytes(data)
    pos = 0
    ptype = None
    payload = b''
    while True:
        if len(data) - pos < HEADER_SIZE:
            raise TdsWireError('truncated TDS message: %d bytes where a packet header (8) was expected' % (len(data) - pos))
        header = parse_header(data[pos:pos + HEADER_SIZE])
        if header['length'] < HEADER_SIZE:
            raise TdsWireError('a TDS packet header announces %d bytes, less than its own 8' % header['length'])
        if pos + header['length'] > len(data):
            raise TdsWireError('truncated TDS packet: the header announces %d bytes, %d arrived'
                               % (header['length'], len(data) - pos))
        if ptype is None:
            ptype = header['type']
        elif header['type'] != ptype:
            raise TdsWireError('TDS packets of one message have different types (%#04x, %#04x)' % (ptype, header['type']))
        payload += data[pos + HEADER_SIZE:pos + header['length']]
        pos += header['length']
        if header['status'] & STATUS_EOM:
            break
    if pos != len(data):
        raise TdsWireError('%d bytes after the end of the TDS message' % (len(data) - pos))
    return ptype, payload


def parse_options(payload):
    """PRELOGIN packet data -> {token: bytes}. Rejects offsets outside the data and a missing terminator."""
    payload = bytes(payload)
    options = {}
    pos = 0
    while True:
        if pos >= len(payload):
            raise TdsWireError('the PRELOGIN option list has no terminator (0xFF)')
        token = payload[pos]
        if token == TOKEN_TERMINATOR:
            break
        if pos + 5 > len(payload):
            raise TdsWireError('the PRELOGIN option list ends inside an option entry')
        offset, length = struct.unpack('>HH', payload[pos + 1:pos + 5])
        if offset + length > len(payload):
            raise TdsWireError('PRELOGIN option %#04x points outside the packet data (offset %d, length %d, data %d bytes)'
                               % (token, offset, length, len(payload)))
        if token in options:
            raise TdsWireError('PRELOGIN option %#04x appears twice' % token)
        options[token] = payload[offset:offset + length]
        pos += 5
    return options


def _version(value):
    if len(value) < 6:
        raise TdsWireError('the PRELOGIN VERSION option is %d bytes, 6 expected' % len(value))
    major, minor, build, sub_build = struct.unpack('>BBHH', value[:6])
    return major, minor, build, sub_build


def decode_prelogin(options):
    """Facts of a PRELOGIN structure (either direction): version, encryption, instance, thread id, MARS."""
    if TOKEN_VERSION not in options:
        raise TdsWireError('the PRELOGIN structure has no VERSION option')
    major, minor, build, sub_build = _version(options[TOKEN_VERSION])
    facts = {
        'version': '%d.%d.%d' % (major, minor, build),
        'version_parts': [major, minor, build, sub_build],
        'sub_build': sub_build,
        'encryption': None, 'encryption_code': None, 'client_cert': None,
        'instance': None, 'thread_id': None, 'mars': None, 'fedauth_required': None,
    }
    if TOKEN_ENCRYPTION in options:
        value = options[TOKEN_ENCRYPTION]
        if len(value) != 1:
            raise TdsWireError('the PRELOGIN ENCRYPTION option is %d bytes, 1 expected' % len(value))
        code = value[0]
        if code & 0x7F not in ENCRYPTION_NAMES:
            raise TdsWireError('unknown PRELOGIN encryption value %#04x' % code)
        facts.update(encryption=ENCRYPTION_NAMES[code & 0x7F], encryption_code=code, client_cert=bool(code & ENCRYPT_CLIENT_CERT))
    if TOKEN_INSTOPT in options:
        raw = options[TOKEN_INSTOPT].split(b'\x00', 1)[0]
        facts['instance'] = raw.decode('latin-1')
        facts['instance_raw'] = options[TOKEN_INSTOPT].hex()
    if TOKEN_THREADID in options and len(options[TOKEN_THREADID]) == 4:
        facts['thread_id'] = struct.unpack('>I', options[TOKEN_THREADID])[0]
    if TOKEN_MARS in options and options[TOKEN_MARS]:
        facts['mars'] = bool(options[TOKEN_MARS][0])
    if TOKEN_FEDAUTHREQUIRED in options and options[TOKEN_FEDAUTHREQUIRED]:
        facts['fedauth_required'] = bool(options[TOKEN_FEDAUTHREQUIRED][0])
    return facts


def parse_prelogin_request(message):
    """A client's PRELOGIN packet -> facts (used by tests and by anyone replaying captures)."""
    ptype, payload = split_message(message)
    if ptype != PACKET_PRELOGIN:
        raise TdsWireError('packet type %#04x is not PRELOGIN (0x12)' % ptype)
    return decode_prelogin(parse_options(payload))


def parse_prelogin_response(message):
    """The server's PRELOGIN reply (a type 0x04 message) -> the facts the check reports.

    ``server_version`` is the product version major.minor.build (16.0.4135 is SQL Server 2022 CU);
    ``encryption`` one of off, on, required, not_supported; ``instance_ok`` False when the server's
    INSTOPT byte says the instance the client named is not the one on this port ([MS-TDS] 2.2.6.5:
    the server answers 0x00 when it matches), None when the server sent no INSTOPT.
    """
    ptype, payload = split_message(message)
    if ptype != PACKET_REPLY:
        raise TdsWireError('packet type %#04x is not a TDS reply (0x04)' % ptype)
    facts = decode_prelogin(parse_options(payload))
    instance_ok = None
    if facts['instance'] is not None:
        raw = bytes.fromhex(facts['instance_raw'])
        instance_ok = (raw[:1] in (b'', b'\x00'))
    major = facts['version_parts'][0]
    return {
        'server_version': facts['version'],
        'sub_build': facts['sub_build'],
        'product': PRODUCTS.get(major, 'SQL Server (major version %d)' % major),
        'encryption': facts['encryption'],
        'encryption_code': facts['encryption_code'],
        'client_cert': facts['client_cert'],
        'instance_ok': instance_ok,
        'mars': facts['mars'],
        'fedauth_required': facts['fedauth_required'],
    }


def classify_login_error(number, text):
    """Kind of a failed SQL Server login from the server's error number (or the driver's text):
    login_failed (18456), database_unavailable (4060), tls_required, tls_failed or error."""
    low = (text or '').lower()
    if number == 18456:
        return 'login_failed'
    if number == 4060:
        return 'database_unavailable'
    if 'encryption' in low and 'required' in low:
        return 'tls_required'
    if 'ssl' in low or 'tls' in low or 'certificate' in low:
        return 'tls_failed'
    return 'error'


# ------------------------------------------------------------------------------------- conversation
def _fail(params, reason, **facts):
    return conv.result(False, reason, engine='sqlserver', host=params['host'], port=params['port'], prelogin=None, **facts)


def tds_prelogin_conversation(params):
    """Connect, send PRELOGIN, read the server's reply, close. Returns a check result.

    ``params``: host, port, and optionally instance (sent in INSTOPT).
    The result: ok, reason, engine, host, port, prelogin (facts of parse_prelogin_response or None).
    """
    host, port = params['host'], params['port']
    instance = params.get('instance') or ''
    where = '%s:%s' % (host, port)
    request = build_prelogin(instance=instance)
    try:
        yield conv.Connect('tcp', host, port)
    except conv.ConnectFailed as exc:
        return _fail(params, 'Cannot reach SQL Server at %s: %s.' % (where, exc), connect_error=exc.kind)
    try:
        yield conv.Send(request)
        reply = yield conv.Recv('tds')
    except conv.ReceiveTimeout:
        return _fail(params, 'The service on %s sent no complete TDS PRELOGIN reply within the timeout: '
                             'it does not look like SQL Server.' % where)
    except conv.PeerClosed as exc:
        if exc.partial:
            return _fail(params, 'The service on %s closed the connection after %d bytes that are not a complete TDS '
                                 'reply (first bytes %s): it does not look like SQL Server.'
                         % (where, len(exc.partial), conv.preview(exc.partial)))
        return _fail(params, 'The service on %s accepted the connection but closed it without answering the TDS '
                             'PRELOGIN: not SQL Server, or a firewall or proxy cut the connection.' % where)
    except conv.FramingError as exc:
        return _fail(params, 'The service on %s answered bytes that are not a TDS packet (%s): it does not look like '
                             'SQL Server.' % (where, exc))
    except conv.ConversationError as exc:
        return _fail(params, 'The TDS PRELOGIN exchange with %s failed: %s.' % (where, exc))
    try:
        facts = parse_prelogin_response(reply)
    except TdsWireError as exc:
        yield conv.Close()
        return _fail(params, 'The service on %s answered, but not with a TDS PRELOGIN reply (%s; first bytes %s): it does '
                             'not look like SQL Server.' % (where, exc, conv.preview(reply)))
    yield conv.Close()
    label = '%s %s' % (facts['product'], facts['server_version'])
    if instance and facts['instance_ok'] is False:
        return conv.result(False, '%s answered on %s, but it is not the instance %s: the server says the instance name '
                           'does not match (use the port of that instance).' % (label, where, instance),
                           engine='sqlserver', host=host, port=port, prelogin=facts)
    return conv.result(True, '%s answered the TDS PRELOGIN on %s; encryption: %s.' % (label, where, facts['encryption']),
                       engine='sqlserver', host=host, port=port, prelogin=facts)
