# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Protocol conversations written once, run from wherever the check must run.

Every dependency check (SMTP, LDAP, Kerberos, SQL Server TDS, Firebird) is a
*conversation*: a Python generator that yields I/O actions (connect, send,
receive one framed message, start TLS, close) and receives their results. The
generator holds all the protocol knowledge (what to send, how to parse the
reply, what the verdict is) and no socket. A *driver* carries the actions out:

* ``run_local()`` (here): blocking sockets on the host running the module
  (the controller or a Linux delegate).
* A remote driver (the Windows vantage point: an action plugin that executes
  the same actions on the MVE server through a thin PowerShell step) replays
  the action list on the target, one round trip per receive, and feeds the
  replies back to the same generator. That is why actions are plain data and
  why every receive names its *framing*: the remote side must know where one
  message ends without knowing the protocol.

Writing a conversation::

    def smtp_banner(host, port):
        yield Connect('tcp', host, port)
        reply = yield Recv('smtp')          # bytes of one complete SMTP reply
        return {'banner': reply.decode()}

Errors surface inside the generator as ConversationError subclasses thrown at
the ``yield`` (``ConnectFailed``, ``ReceiveTimeout``, ``PeerClosed``,
``TlsFailed``), so a conversation can turn each one into its own verdict.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os
import socket
import ssl
import time

from ansible_collections.printfleet.mve.plugins.module_utils.common import tls_facts
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import InputError, PrintfleetError

# ---------------------------------------------------------------------------------------------- framings
# How the receiver knows where one message ends. Kept small on purpose: a remote driver implements each.
FRAMINGS = (
    'line',      # up to and including the next LF
    'smtp',      # one SMTP reply: lines until one whose 4th character is a space ("250 ok")
    'ber',       # one BER TLV (LDAP messages): tag, definite length, content
    'tds',       # one TDS message: 8-byte packet headers, packets until the EOM status bit
    'len4',      # a 4-byte big-endian length, then that many bytes (Kerberos over TCP)
    'exact',     # exactly ``size`` bytes (fixed-size replies, e.g. Firebird op codes)
    'datagram',  # one UDP datagram
)
MAX_MESSAGE = 1024 * 1024


class ConversationError(PrintfleetError):
    """Base class of the I/O failures a conversation receives at its ``yield`` (kind ``io``)."""

    kind = 'io'


class ConnectFailed(ConversationError):
    """The connection could not be made. ``kind`` is refused, timeout, unreachable or dns."""

    def __init__(self, kind, message):
        super(ConnectFailed, self).__init__(message, kind=kind)


class ReceiveTimeout(ConversationError):
    """No (complete) message within the timeout."""

    kind = 'timeout'


class PeerClosed(ConversationError):
    """The peer closed the connection before a complete message arrived. ``partial`` holds what came."""

    kind = 'closed'

    def __init__(self, message, partial=b''):
        super(PeerClosed, self).__init__(message)
        self.partial = partial


class FramingError(ConversationError):
    """The bytes received do not fit the framing (e.g. a BER length beyond MAX_MESSAGE)."""

    kind = 'protocol'


class TlsFailed(ConversationError):
    """The TLS handshake failed. ``facts`` (tls_facts dict) is set when a certificate was seen:
    a verification failure still reports the certificate, taken from a second, unverified handshake."""

    kind = 'tls'

    def __init__(self, message, facts=None):
        super(TlsFailed, self).__init__(message)
        self.facts = facts


# ----------------------------------------------------------------------------------------------- actions
class Action(object):
    __slots__ = ()

    def as_dict(self):
        d = {'action': self.__class__.__name__.lower()}
        for name in self.__slots__:
            value = getattr(self, name)
            d[name] = value.hex() if isinstance(value, bytes) else value
        return d

    def __repr__(self):
        return '%s(%r)' % (self.__class__.__name__, self.as_dict())


class Connect(Action):
    """Open a TCP connection or a connected UDP socket. Result: {'rtt_ms': float, 'peer': 'ip:port'}."""
    __slots__ = ('transport', 'host', 'port')

    def __init__(self, transport, host, port):
        if transport not in ('tcp', 'udp'):
            raise ValueError('transport must be tcp or udp')
        self.transport, self.host, self.port = transport, host, int(port)


class Send(Action):
    """Send bytes. Result: None.

    ``once=True`` marks a step with an effect beyond the conversation (an e-mail handed over for delivery):
    a remote replay driver never performs it twice, so the conversation cannot receive anything after it
    from a remote host (the receive fails with ConversationError)."""
    __slots__ = ('data', 'once')

    def __init__(self, data, once=False):
        self.data = bytes(data)
        self.once = bool(once)


class Recv(Action):
    """Receive one framed message. Result: bytes (the whole message, framing bytes included)."""
    __slots__ = ('framing', 'size')

    def __init__(self, framing, size=None):
        if framing not in FRAMINGS:
            raise ValueError('framing must be one of %s' % ', '.join(FRAMINGS))
        if framing == 'exact' and not size:
            raise ValueError('framing exact needs a size')
        self.framing, self.size = framing, size


class StartTls(Action):
    """Wrap the connection in TLS now (STARTTLS after the protocol's command, or at once for implicit TLS).
    Result: tls_facts dict (validated true, or false with validation_error when validate_certs is off)."""
    __slots__ = ('server_name',)

    def __init__(self, server_name):
        self.server_name = server_name


class Close(Action):
    """Close the connection. Result: None."""
    __slots__ = ()


class Now(Action):
    """Read the clock of the host the I/O runs on (the check's vantage point). Result: float POSIX seconds.
    A remote driver answers with the target's clock at its latest step (within one round trip)."""
    __slots__ = ()


def result(ok, reason, **facts):
    """What a conversation returns: ``ok`` (bool), ``reason`` (one readable sentence) and the protocol's facts
    (``tls`` when TLS was used)."""
    out = {'ok': bool(ok), 'reason': reason}
    out.update(facts)
    return out


def literal_sockaddr(host, port):
    """(family, sockaddr) when ``host`` is an IP literal (no resolver needed), else None."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if ip.version == 6:
        return socket.AF_INET6, (host, port, 0, 0)
    return socket.AF_INET, (host, port)


def pick_address(infos, port):
    """(family, sockaddr) of getaddrinfo's answer for ``port``: IPv4 first when a name has both, like most
    management tools (IPv6-only names still work)."""
    infos = sorted(infos, key=lambda info: 0 if info[0] == socket.AF_INET else 1)
    family, sockaddr = infos[0][0], infos[0][4]
    return family, (sockaddr[0], port) + tuple(sockaddr[2:])


def connected_udp_socket(family, addr):
    """A non-blocking UDP socket connected to ``addr`` (so that ICMP port unreachable comes back as an error on
    it). Raises the OSError of the connect, with the socket closed."""
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setblocking(False)
    try:
        sock.connect(addr)
    except OSError:
        sock.close()
        raise
    return sock


def preview(data, limit=16):
    """A short printable view of unexpected bytes for a reason sentence: hex, then the ASCII-ish text."""
    data = bytes(data or b'')[:limit]
    text = ''.join(chr(b) if 32 <= b < 127 else '.' for b in data)
    return '%s (%r)' % (data.hex(), text)


# -------------------------------------------------------------------------------------------- framing
def frame_complete(framing, buf, size=None):
    """Length of the first complete message in ``buf`` under ``framing``, or None when more bytes are needed.

    Pure function, shared by every driver (and by tests).
    """
    if framing == 'datagram':
        return len(buf) if buf else None
    if framing == 'exact':
        return size if len(buf) >= size else None
    if framing == 'line':
        i = buf.find(b'\n')
        return i + 1 if i >= 0 else None
    if framing == 'smtp':
        start = 0
        while True:
            i = buf.find(b'\n', start)
            if i < 0:
                return None
            line = buf[start:i + 1]
            if len(line) < 4 or line[3:4] != b'-':
                return i + 1
            start = i + 1
    if framing == 'len4':
        if len(buf) < 4:
            return None
        n = int.from_bytes(buf[:4], 'big')
        if n > MAX_MESSAGE:
            raise FramingError('a length prefix of %d bytes is beyond the %d-byte limit' % (n, MAX_MESSAGE))
        return 4 + n if len(buf) >= 4 + n else None
    if framing == 'ber':
        if len(buf) < 2:
            return None
        first = buf[1]
        if first < 0x80:
            return 2 + first if len(buf) >= 2 + first else None
        count = first & 0x7f
        if count == 0 or count > 4:
            raise FramingError('BER length form %#x is not a definite length this check accepts' % first)
        if len(buf) < 2 + count:
            return None
        n = int.from_bytes(buf[2:2 + count], 'big')
        if n > MAX_MESSAGE:
            raise FramingError('a BER message of %d bytes is beyond the %d-byte limit' % (n, MAX_MESSAGE))
        total = 2 + count + n
        return total if len(buf) >= total else None
    if framing == 'tds':
        pos = 0
        while True:
            if len(buf) < pos + 8:
                return None
            length = int.from_bytes(buf[pos + 2:pos + 4], 'big')
            if length < 8:
                raise FramingError('a TDS packet header announces %d bytes (less than its own 8)' % length)
            if len(buf) < pos + length:
                return None
            status = buf[pos + 1]
            pos += length
            if status & 0x01:
                return pos
    raise ValueError('unknown framing %r' % (framing,))


# ------------------------------------------------------------------------------------------ local driver
def client_context(validate_certs=True, ca_path=None):
    """An ssl client context: verifying against ``ca_path`` (file or hashed dir) or the system store,
    or not verifying at all. Raises InputError (a ValueError) naming ca_path when it cannot be loaded."""
    if not validate_certs:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    try:
        if ca_path and os.path.isdir(ca_path):
            return ssl.create_default_context(capath=ca_path)
        if ca_path:
            return ssl.create_default_context(cafile=ca_path)
        return ssl.create_default_context()
    except (OSError, ssl.SSLError) as exc:
        raise InputError('ca_path', 'cannot load CA certificates from %r: %s' % (ca_path, exc))


def _connect_error(exc, timeout, host, port):
    if isinstance(exc, socket.gaierror):
        return ConnectFailed('dns', 'cannot resolve %s: %s' % (host, exc.strerror or exc))
    if isinstance(exc, socket.timeout):
        return ConnectFailed('timeout', 'no answer from %s:%s within %.1f s (filtered, or the host is down)'
                             % (host, port, timeout))
    if isinstance(exc, ConnectionRefusedError):
        return ConnectFailed('refused', 'connection to %s:%s refused: nothing listens there' % (host, port))
    return ConnectFailed('unreachable', 'cannot connect to %s:%s: %s' % (host, port, exc.strerror or exc))


class LocalDriver(object):
    """Carries actions out with blocking sockets from this host."""

    def __init__(self, timeout=5.0, validate_certs=True, ca_path=None):
        self.timeout = float(timeout)
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.sock = None
        self.transport = None
        self.buf = b''
        self.history = []     # actions since the last Connect, for the unverified TLS re-run
        self.round_trips = 0

    # -- helpers
    def _open(self, action):
        kind = socket.SOCK_STREAM if action.transport == 'tcp' else socket.SOCK_DGRAM
        try:
            infos = socket.getaddrinfo(action.host, action.port, 0, kind)
        except socket.gaierror as exc:
            raise _connect_error(exc, self.timeout, action.host, action.port)
        last = None
        for family, stype, proto, dummy, addr in infos:
            sock = socket.socket(family, stype, proto)
            sock.settimeout(self.timeout)
            start = time.perf_counter()
            try:
                sock.connect(addr)
            except OSError as exc:
                sock.close()
                last = exc
                continue
            return sock, addr, (time.perf_counter() - start) * 1000.0
        raise _connect_error(last, self.timeout, action.host, action.port)

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock, self.buf = None, b''

    def _recv_more(self):
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise ReceiveTimeout('no complete reply within %.1f s' % self.timeout)
        except ConnectionRefusedError:
            raise ConnectFailed('refused', 'ICMP port unreachable: nothing listens on that UDP port')
        except ssl.SSLError as exc:
            raise PeerClosed('TLS error while reading: %s' % (getattr(exc, 'reason', None) or exc), self.buf)
        except OSError as exc:
            raise PeerClosed('connection error while reading: %s' % (exc.strerror or exc), self.buf)
        return data

    def _recv(self, action):
        if self.transport == 'udp' or action.framing == 'datagram':
            data = self._recv_more()
            return data
        deadline = time.monotonic() + self.timeout
        while True:
            n = frame_complete(action.framing, self.buf, action.size)
            if n is not None:
                msg, self.buf = self.buf[:n], self.buf[n:]
                return msg
            if len(self.buf) > MAX_MESSAGE:
                raise FramingError('more than %d bytes without a complete %s message' % (MAX_MESSAGE, action.framing))
            left = deadline - time.monotonic()
            if left <= 0:
                raise ReceiveTimeout('no complete reply within %.1f s' % self.timeout)
            # The timeout bounds the whole message: a peer that trickles bytes must not stretch it.
            self.sock.settimeout(left)
            try:
                data = self._recv_more()
            finally:
                if self.sock is not None:
                    self.sock.settimeout(self.timeout)
            if not data:
                raise PeerClosed('the peer closed the connection%s' % (
                    ' after %d bytes of an incomplete reply' % len(self.buf) if self.buf else ''), self.buf)
            self.buf += data

    def _handshake(self, sock, server_name, verify):
        # An IP address as server_name sends no SNI and is matched against the certificate's IP SANs.
        return client_context(verify, self.ca_path).wrap_socket(sock, server_hostname=server_name or None)

    def _start_tls(self, action):
        if self.buf:
            raise FramingError('%d unread bytes before the TLS handshake' % len(self.buf))
        try:
            tls = self._handshake(self.sock, action.server_name, self.validate_certs)
        except ssl.SSLCertVerificationError as exc:
            message = tls_facts.verify_error_text(exc)
            self.sock = None
            raise TlsFailed(message, self._unverified_facts(action, message))
        except (ssl.SSLError, OSError) as exc:
            self.sock = None
            if isinstance(exc, socket.timeout):
                raise TlsFailed('no TLS handshake within %.1f s (the service may not speak TLS)' % self.timeout)
            if isinstance(exc, ConnectionResetError):
                raise TlsFailed('TLS handshake failed: the peer reset the connection in the middle of the handshake')
            raise TlsFailed('TLS handshake failed: %s' % (getattr(exc, 'reason', None) or exc))
        self.sock = tls
        validated = bool(self.validate_certs)
        return tls_facts.tls_facts(tls.getpeercert(binary_form=True), tls.version(), tls.cipher(),
                                   validated=validated,
                                   validation_error=None if validated else 'not verified: validate_certs is false')

    def _unverified_facts(self, action, message):
        """Re-run the conversation so far on a new connection and handshake without verification,
        so that a failed verification still reports which certificate the server sent."""
        history = list(self.history)
        self.close()
        try:
            connect = history[0]
            self.sock, dummy, dummy2 = self._open(connect)
            self.transport = connect.transport
            for past in history[1:]:
                if isinstance(past, Send):
                    self.sock.sendall(past.data)
                elif isinstance(past, Recv):
                    self._recv(past)
            tls = self._handshake(self.sock, action.server_name, False)
            facts = tls_facts.tls_facts(tls.getpeercert(binary_form=True), tls.version(), tls.cipher(),
                                        validated=False, validation_error=message)
            tls.close()
            return facts
        except (ConversationError, OSError, ssl.SSLError, tls_facts.TlsFactsError):
            return tls_facts.tls_facts(validated=False, validation_error=message)
        finally:
            self.close()

    # -- the one entry point
    def execute(self, action):
        if isinstance(action, Now):
            return time.time()
        if isinstance(action, Connect):
            self.close()
            self.sock, addr, rtt = self._open(action)
            self.transport = action.transport
            self.history = [action]
            return {'rtt_ms': round(rtt, 2), 'peer': '%s:%s' % (addr[0], addr[1])}
        if self.sock is None and not isinstance(action, Close):
            raise ConversationError('%s without an open connection' % action.__class__.__name__)
        self.history.append(action)
        if isinstance(action, Send):
            try:
                self.sock.sendall(action.data)
            except ConnectionRefusedError:
                raise ConnectFailed('refused', 'ICMP port unreachable: nothing listens on that UDP port')
            except OSError as exc:
                raise PeerClosed('cannot send: %s' % (exc.strerror or exc))
            return None
        if isinstance(action, Recv):
            self.round_trips += 1
            return self._recv(action)
        if isinstance(action, StartTls):
            return self._start_tls(action)
        if isinstance(action, Close):
            self.close()
            return None
        raise TypeError('not an action: %r' % (action,))


def drive(conversation, driver):
    """Run a conversation generator with ``driver``; return the generator's return value."""
    value = None
    error = None
    try:
        while True:
            if error is not None:
                action, error = conversation.throw(error), None
            else:
                action = conversation.send(value)
            try:
                value = driver.execute(action)
            except ConversationError as exc:
                value, error = None, exc
    except StopIteration as stop:
        return stop.value
    finally:
        driver.close()


def run_local(conversation, timeout=5.0, validate_certs=True, ca_path=None):
    """Run a conversation from this host. Returns (result, elapsed_ms)."""
    start = time.perf_counter()
    result = drive(conversation, LocalDriver(timeout=timeout, validate_certs=validate_certs, ca_path=ca_path))
    return result, round((time.perf_counter() - start) * 1000.0, 2)
