# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Firebird wire protocol's connect phase: build op_connect, parse the server's answer, no sockets.

A Firebird client opens the TCP connection (3050 by default) and sends
``op_connect`` (op code 1): the operation it intends (op_attach), CONNECT_VERSION3,
the architecture (generic), the database path or alias, a user identification
block (CNCT_* tags: the OS user and host, the Firebird login name and the list of
authentication plugins the client can run, no password) and the protocol versions
it speaks, each with the packet types it accepts. The server picks one and answers

* ``op_accept`` (3): protocol version, architecture, packet type (Firebird 2.5 and older);
* ``op_accept_data`` (94) / ``op_cond_accept`` (98): the same plus the authentication plugin
  the server wants (Srp, Srp256, Legacy_Auth) and its first data (Firebird 3 and later);
* ``op_cont_auth`` (92): the server wants another authentication round first;
* ``op_reject`` (4): none of the offered protocols fits;
* ``op_response`` (9): an error, with a status vector (GDS codes and their arguments).

Everything is XDR (RFC 4506): 4-byte big-endian integers, opaque data as a length
and the bytes padded to a multiple of 4. The stdlib ``xdrlib`` is deprecated and gone
in Python 3.13 and firebirdsql builds its packets inside its socket class, so the few
XDR rules needed are written here and tested against a real Firebird 3 server.

The attach with a password is left to the firebirdsql driver (SRP needs it); this file
only classifies its errors. ``firebird_connect_conversation(params)`` is the sans-IO
conversation (see conversation.py), reading the reply with 'exact' receives sized by
``bytes_needed``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import struct

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import ProtocolError
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation as conv

try:
    from firebirdsql.fberrmsgs import messages as _GDS_MESSAGES
except ImportError:  # pragma: no cover - the codes are reported without their text then
    _GDS_MESSAGES = {}

# Operation codes (Firebird src/remote/protocol.h).
OP_CONNECT = 1
OP_ACCEPT = 3
OP_REJECT = 4
OP_RESPONSE = 9
OP_ATTACH = 19
OP_DUMMY = 71
OP_CONT_AUTH = 92
OP_ACCEPT_DATA = 94
OP_COND_ACCEPT = 98
OP_NAMES = {OP_ACCEPT: 'op_accept', OP_REJECT: 'op_reject', OP_RESPONSE: 'op_response', OP_CONT_AUTH: 'op_cont_auth',
            OP_ACCEPT_DATA: 'op_accept_data', OP_COND_ACCEPT: 'op_cond_accept'}

CONNECT_VERSION3 = 3
ARCH_GENERIC = 1
ARCHITECTURES = {1: 'generic', 2: 'apollo', 3: 'sun', 8: 'sun4', 9: 'sunx86', 10: 'hpux', 14: 'rt', 29: 'intel_32',
                 36: 'linux', 37: 'freebsd', 38: 'netbsd', 39: 'darwin_ppc', 40: 'winnt_64', 41: 'darwin_x64',
                 42: 'darwin_ppc64', 43: 'arm', 44: 'arm64'}
PTYPE_RPC = 2
PTYPE_BATCH_SEND = 3
PTYPE_OUT_OF_BAND = 4
PTYPE_LAZY_SEND = 5
PTYPE_NAMES = {1: 'none', PTYPE_RPC: 'rpc', PTYPE_BATCH_SEND: 'batch_send', PTYPE_OUT_OF_BAND: 'out_of_band',
               PTYPE_LAZY_SEND: 'lazy_send'}
PTYPE_MASK = 0xFF
PFLAG_COMPRESS = 0x100
FB_PROTOCOL_FLAG = 0x8000
# (version, weight): 10 is Firebird 1.x/2.0; 11-13 are 2.1-2.5; 15 is 3.0; 16 is 4.0; 17 is 4.0.1+/5.0.
PROTOCOLS = tuple((v, 2 * (v - 9)) for v in range(10, 18))

# User identification block tags (CNCT_*).
CNCT_USER = 1
CNCT_HOST = 4
CNCT_USER_VERIFICATION = 6
CNCT_LOGIN = 9
CNCT_PLUGIN_LIST = 10
AUTH_PLUGINS = ('Srp256', 'Srp', 'Legacy_Auth')
# Login name sent when the check has no username: Firebird's administrator, which every server knows.
DEFAULT_LOGIN = 'SYSDBA'

# Status vector argument types (isc_arg_*).
ARG_END = 0
ARG_GDS = 1
ARG_STRING = 2
ARG_CSTRING = 3
ARG_NUMBER = 4
ARG_INTERPRETED = 5
ARG_SQL_STATE = 19
_STRING_ARGS = (ARG_STRING, ARG_CSTRING, ARG_INTERPRETED, ARG_SQL_STATE)

# GDS codes the check names.
ISC_LOGIN = 335544472          # Your user name and password are not defined
ISC_IO_ERROR = 335544344       # I/O error during "open" operation for file
ISC_BAD_DB_FORMAT = 335544323  # file is not a valid database
ISC_UNAVAILABLE = 335544375    # unavailable database
ISC_SHUTDOWN = 335544528       # database shutdown
ISC_NO_PRIV = 335544352        # no permission for access

MAX_OPAQUE = 64 * 1024


class FirebirdWireError(ProtocolError):
    """Bytes that are not a Firebird connect reply, or bad build arguments."""


class _NeedMore(Exception):
    def __init__(self, count):
        super(_NeedMore, self).__init__(count)
        self.count = count


# ---------------------------------------------------------------------------------------------- XDR
def xdr_int(value):
    """A 4-byte big-endian two's complement integer (XDR int / unsigned int)."""
    return struct.pack('>I', value & 0xFFFFFFFF)


def xdr_opaque(data):
    """XDR variable-length opaque: length, bytes, zero padding to a multiple of 4."""
    data = bytes(data)
    return xdr_int(len(data)) + data + b'\x00' * ((4 - len(data) % 4) % 4)


def protocol_word(version):
    """p_cnct_version as sent: versions above 10 carry FB_PROTOCOL_FLAG, sign-extended like the C client."""
    if version <= 10:
        return version
    value = FB_PROTOCOL_FLAG | version
    return value - 0x10000 if value & 0x8000 else value


def _text(value):
    return value.encode('utf-8') if not isinstance(value, bytes) else value


def user_identification(login=None, os_user='', host='', plugins=AUTH_PLUGINS):
    """The CNCT_* block: login name (when given), plugin list, OS user, host, empty user verification.

    Never a password: the connect phase only tells the server who asks and which plugins can run.
    """
    items = []
    if login:
        items.append((CNCT_LOGIN, _text(login)))
    if plugins:
        items.append((CNCT_PLUGIN_LIST, _text(','.join(plugins))))
    items.append((CNCT_USER, _text(os_user or '')))
    items.append((CNCT_HOST, _text(host or '')))
    items.append((CNCT_USER_VERIFICATION, b''))
    out = b''
    for tag, value in items:
        if len(value) > 255:
            raise FirebirdWireError('user identification item %d is longer than 255 bytes' % tag)
        out += struct.pack('BB', tag, len(value)) + value
    return out


def build_connect(database, login=None, os_user='', host='', plugins=AUTH_PLUGINS, protocols=PROTOCOLS,
                  max_type=PTYPE_LAZY_SEND):
    """op_connect for op_attach with CONNECT_VERSION3, architecture generic and ``protocols``
    (version, weight) each accepting packet types rpc to ``max_type``."""
    if not protocols:
        raise FirebirdWireError('at least one protocol version is needed')
    out = xdr_int(OP_CONNECT) + xdr_int(OP_ATTACH) + xdr_int(CONNECT_VERSION3) + xdr_int(ARCH_GENERIC)
    out += xdr_opaque(_text(database or ''))
    out += xdr_int(len(protocols))
    out += xdr_opaque(user_identification(login, os_user, host, plugins))
    for version, weight in protocols:
        out += xdr_int(protocol_word(version)) + xdr_int(ARCH_GENERIC) + xdr_int(PTYPE_RPC) + xdr_int(max_type) + xdr_int(weight)
    return out


# -------------------------------------------------------------------------------------------- parse
class _Reader(object):
    def __init__(self, data):
        self.data = bytes(data)
        self.pos = 0

    def take(self, count):
        if self.pos + count > len(self.data):
            raise _NeedMore(self.pos + count - len(self.data))
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk

    def uint(self):
        return struct.unpack('>I', self.take(4))[0]

    def opaque(self):
        length = self.uint()
        if length > MAX_OPAQUE:
            raise FirebirdWireError('an XDR string of %d bytes is beyond the %d-byte limit' % (length, MAX_OPAQUE))
        return self.take(length + (4 - length % 4) % 4)[:length]


def format_status(status):
    """The server's text for a status vector (list of (arg type, value)), as isc_interprete would build it."""
    lines = []
    args = []
    current = None

    def flush():
        if current is not None:
            text = _GDS_MESSAGES.get(current)
            if text is None:
                text = 'Firebird error %d' % current
            for i, arg in enumerate(args, 1):
                text = text.replace('@%d' % i, str(arg))
            lines.append(text.strip())

    for kind, value in status:
        if kind == ARG_GDS:
            flush()
            current, args = value, []
        elif kind == ARG_INTERPRETED:
            flush()
            current, args = None, []
            lines.append(str(value).strip())
        elif kind == ARG_SQL_STATE:
            continue
        else:
            args.append(value)
    flush()
    return '\n'.join(line for line in lines if line)


def _status_vector(reader):
    status = []
    while True:
        kind = reader.uint()
        if kind == ARG_END:
            return status
        if kind in _STRING_ARGS:
            status.append((kind, reader.opaque().decode('utf-8', 'replace')))
        elif kind == ARG_GDS or kind < 64:
            status.append((kind, reader.uint()))
        else:
            raise FirebirdWireError('status vector argument type %d is not a Firebird one' % kind)
        if len(status) > 256:
            raise FirebirdWireError('a status vector of more than 256 arguments')


def _parse(data):
    reader = _Reader(data)
    op = reader.uint()
    while op == OP_DUMMY:
        op = reader.uint()
    reply = {'op': OP_NAMES.get(op), 'op_code': op, 'protocol_version': None, 'architecture': None,
             'architecture_code': None, 'accept_type': None, 'compression': None, 'auth_plugin': None,
             'authenticated': None, 'gds_codes': [], 'error': None}
    if op == OP_REJECT:
        return reply
    if op in (OP_ACCEPT, OP_ACCEPT_DATA, OP_COND_ACCEPT):
        version, arch, ptype = struct.unpack('>III', reader.take(12))
        reply['protocol_version'] = version & 0x7FFF if version & FB_PROTOCOL_FLAG else version
        reply['architecture_code'] = arch
        reply['architecture'] = ARCHITECTURES.get(arch, 'unknown (%d)' % arch)
        reply['accept_type'] = PTYPE_NAMES.get(ptype & PTYPE_MASK, 'unknown (%d)' % (ptype & PTYPE_MASK))
        reply['compression'] = bool(ptype & PFLAG_COMPRESS)
        if op != OP_ACCEPT:
            reader.opaque()  # the plugin's first data (e.g. the SRP salt and public key)
            reply['auth_plugin'] = reader.opaque().decode('utf-8', 'replace') or None
            reply['authenticated'] = bool(reader.uint())
            reader.opaque()  # keys
        return reply
    if op == OP_CONT_AUTH:
        reader.opaque()
        reply['auth_plugin'] = reader.opaque().decode('utf-8', 'replace') or None
        reader.opaque()  # plugin list
        reader.opaque()  # keys
        reply['authenticated'] = False
        return reply
    if op == OP_RESPONSE:
        reader.take(12)  # object handle, object id
        reader.opaque()  # data
        status = _status_vector(reader)
        reply['gds_codes'] = [value for kind, value in status if kind == ARG_GDS and value]
        reply['error'] = format_status(status) or None
        return reply
    raise FirebirdWireError('op code %d (%#010x) is not an answer to op_connect' % (op, op))


def bytes_needed(data):
    """How many more bytes the connect reply in ``data`` needs (0: complete). Raises FirebirdWireError on
    bytes that cannot be a connect reply, as soon as that shows."""
    try:
        _parse(data)
    except _NeedMore as more:
        return more.count
    return 0


def parse_connect_reply(data):
    """The server's answer to op_connect -> dict (op, protocol_version, architecture, accept_type, compression,
    auth_plugin, authenticated, gds_codes, error)."""
    try:
        return _parse(data)
    except _NeedMore as more:
        raise FirebirdWireError('truncated connect reply: %d more bytes were expected' % more.count)


def classify_attach_error(gds_codes, message):
    """Kind of a failed attach: login_failed, database_missing, database_unavailable or error."""
    codes = set(gds_codes or ())
    low = (message or '').lower()
    if ISC_LOGIN in codes or low.strip() in ('unauthorized',) or 'user name and password are not defined' in low:
        return 'login_failed'
    if ISC_IO_ERROR in codes or ISC_BAD_DB_FORMAT in codes or 'i/o error' in low:
        return 'database_missing'
    if codes & set((ISC_UNAVAILABLE, ISC_SHUTDOWN)):
        return 'database_unavailable'
    if ISC_NO_PRIV in codes:
        return 'no_permission'
    return 'error'


# ------------------------------------------------------------------------------------- conversation
def _fail(params, reason, wire=None, **facts):
    return conv.result(False, reason, engine='firebird', host=params['host'], port=params['port'], wire=wire, **facts)


def firebird_connect_conversation(params):
    """op_connect -> the server's answer. Returns a check result with ``wire`` facts.

    ``params``: host, port, database (path or alias, sent in op_connect; the server checks it only at
    attach), username (sent as the login name; DEFAULT_LOGIN when not given, because Firebird 3 answers a
    connect without a login name with an error instead of its protocol choice), os_user and client_host (optional, sent in the
    user identification block).
    """
    host, port = params['host'], params['port']
    where = '%s:%s' % (host, port)
    request = build_connect(params.get('database') or '', login=params.get('username') or DEFAULT_LOGIN,
                            os_user=params.get('os_user') or 'printfleet.mve', host=params.get('client_host') or '')
    try:
        yield conv.Connect('tcp', host, port)
    except conv.ConnectFailed as exc:
        return _fail(params, 'Cannot reach Firebird at %s: %s.' % (where, exc), connect_error=exc.kind)
    data = b''
    try:
        yield conv.Send(request)
        need = 4
        while need:
            data += yield conv.Recv('exact', need)
            need = bytes_needed(data)
    except FirebirdWireError as exc:
        yield conv.Close()
        return _fail(params, 'The service on %s answered op_connect with bytes that are not a Firebird reply (%s; first bytes '
                             '%s): it does not look like Firebird.' % (where, exc, conv.preview(data)))
    except conv.ReceiveTimeout:
        return _fail(params, 'The service on %s sent no complete answer to op_connect within the timeout%s: it does not look '
                             'like Firebird.' % (where, ' (%d bytes came: %s)' % (len(data), conv.preview(data)) if data else ''))
    except conv.PeerClosed as exc:
        got = data + (exc.partial or b'')
        if got:
            return _fail(params, 'The service on %s closed the connection after %d bytes that are not a complete Firebird '
                                 'reply (first bytes %s): it does not look like Firebird.' % (where, len(got), conv.preview(got)))
        return _fail(params, 'The service on %s accepted the connection but closed it without answering op_connect: not '
                             'Firebird, or a firewall or proxy cut the connection.' % where)
    except conv.ConversationError as exc:
        return _fail(params, 'The Firebird connect exchange with %s failed: %s.' % (where, exc))
    yield conv.Close()
    reply = parse_connect_reply(data)
    keys = ('op', 'protocol_version', 'architecture', 'accept_type', 'compression', 'auth_plugin', 'authenticated',
            'gds_codes', 'error')
    wire = dict((k, reply[k]) for k in keys)
    if reply['op_code'] == OP_REJECT:
        return _fail(params, 'Firebird on %s rejected the connection (op_reject): it speaks none of the wire protocol '
                             'versions %d to %d.' % (where, PROTOCOLS[0][0], PROTOCOLS[-1][0]), wire=wire)
    if reply['op_code'] == OP_RESPONSE:
        text = '; '.join(line.strip() for line in (reply['error'] or 'no error text').splitlines() if line.strip())
        return _fail(params, 'Firebird on %s refused the connection: %s' % (where, text), wire=wire)
    if reply['protocol_version'] is None:
        text = 'Firebird on %s accepted the connection and asks for authentication (%s%s).' % (
            where, reply['op'], ', plugin %s' % reply['auth_plugin'] if reply['auth_plugin'] else '')
    else:
        text = 'Firebird on %s accepted the connection (%s): wire protocol %s, architecture %s%s.' % (
            where, reply['op'], reply['protocol_version'], reply['architecture'],
            ', authentication plugin %s' % reply['auth_plugin'] if reply['auth_plugin'] else '')
    return conv.result(True, text, engine='firebird', host=host, port=port, wire=wire)
