# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real SMTP servers on loopback for the smtp_check tests: aiosmtpd (STARTTLS, implicit TLS, plain, no
STARTTLS, AUTH PLAIN/LOGIN), and raw TCP servers that misbehave (garbage, silence, a full backlog).

Every server listens on 127.0.0.1 on a port the kernel hands out (the socket is bound before aiosmtpd
starts, so there is no race for the port) and runs in a thread of the test process. A server that cannot
start fails the test with its log; nothing skips.
"""

from __future__ import absolute_import, division, print_function

import logging
import socket
import ssl
import threading

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

HOST = '127.0.0.1'
SERVER_NAME = 'smtp.printfleet.test'
USER = 'mve-mailer'
PASSWORD = 'Sm7p-Pa55!word'
REFUSED_RECIPIENT = 'nobody@printfleet.test'


class LogCapture(logging.Handler):
    """Keeps aiosmtpd's log lines, for failure messages."""

    def __init__(self):
        super(LogCapture, self).__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))

    def tail(self, n=40):
        return '\n'.join(self.lines[-n:])


class RecordingHandler(object):
    """aiosmtpd handler: refuses REFUSED_RECIPIENT, keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() == REFUSED_RECIPIENT:
            return '550 5.1.1 <%s>: Recipient address rejected: no such user' % address
        envelope.rcpt_tos.append(address)
        return '250 2.1.5 OK'

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({'mail_from': envelope.mail_from, 'rcpt_tos': list(envelope.rcpt_tos),
                              'content': envelope.original_content or envelope.content,
                              'authenticated': bool(session.authenticated)})
        return '250 2.0.0 Ok: queued as PFTEST%d' % len(self.messages)


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (mechanism in ('PLAIN', 'LOGIN') and auth_data.login == USER.encode()
          and auth_data.password == PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


class BoundController(Controller):
    """aiosmtpd's threaded Controller on a socket bound beforehand (port 0: the kernel picks)."""

    def __init__(self, handler, sock, **kwargs):
        self._bound = sock
        super(BoundController, self).__init__(handler, hostname=HOST, port=sock.getsockname()[1], **kwargs)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._bound, ssl=self.ssl_context)


def server_context(leaf):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(leaf.cert_path, leaf.key_path)
    return ctx


class SmtpServer(object):
    def __init__(self, name, controller, handler, log):
        self.name, self.controller, self.handler, self.log = name, controller, handler, log
        self.host, self.port = HOST, controller.port

    @property
    def messages(self):
        return self.handler.messages


class RawServer(object):
    """A TCP server that runs ``behaviour(conn)`` per connection in a thread (the misbehaving peers)."""

    def __init__(self, behaviour):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST, 0))
        self.sock.listen(8)
        self.host, self.port = HOST, self.sock.getsockname()[1]
        self.behaviour = behaviour
        self.conns = []
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                conn, dummy = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn):
        try:
            self.behaviour(conn)
        except OSError:
            pass

    def stop(self):
        self.stopping = True
        for s in [self.sock] + self.conns:
            try:
                s.close()
            except OSError:
                pass


def http_answer(conn):
    conn.sendall(b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
    conn.close()


def binary_then_close(conn):
    conn.sendall(b'\x16\x03\x01\x00\x05\xff\xfe\x00garbage')
    conn.close()


def garbage_ehlo(conn):
    conn.sendall(b'220 smtp.printfleet.test ESMTP ready\r\n')
    conn.recv(1024)
    conn.sendall(b'250-smtp.printfleet.test\r\n\x00\x01 nonsense that is no reply\r\n')
    conn.recv(1024)


def _lines(conn):
    buf = b''
    while True:
        while b'\n' not in buf:
            data = conn.recv(1024)
            if not data:
                return
            buf += data
        line, buf = buf.split(b'\n', 1)
        yield line.strip().upper()


def refuse_554(conn):
    """A server that refuses service in its greeting (RFC 5321 3.1), then answers QUIT."""
    conn.sendall(b'554 5.7.1 smtp.printfleet.test: no SMTP service here\r\n')
    for line in _lines(conn):
        conn.sendall(b'221 2.0.0 Bye\r\n' if line == b'QUIT' else b'503 5.5.1 no service\r\n')


def helo_only(conn):
    """An old RFC 821 server: EHLO is an unknown command, HELO works."""
    conn.sendall(b'220 old.printfleet.test SMTP\r\n')
    for line in _lines(conn):
        if line.startswith(b'HELO '):
            conn.sendall(b'250 old.printfleet.test\r\n')
        elif line == b'QUIT':
            conn.sendall(b'221 closing\r\n')
            return
        else:
            conn.sendall(b'500 Command unrecognized\r\n')


def silent(conn):
    threading.Event().wait(30)


class FullBacklog(object):
    """A listening socket whose accept queue is full (listen(0), never accepted): new SYNs are dropped."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(0)
        self.host, self.port = HOST, self.sock.getsockname()[1]
        self.fillers = []
        for dummy in range(8):
            c = socket.socket()
            c.settimeout(0.3)
            try:
                c.connect((self.host, self.port))
            except OSError:
                c.close()
                return
            self.fillers.append(c)
        raise RuntimeError('the backlog of 127.0.0.1:%d never filled up' % self.port)

    def stop(self):
        for s in self.fillers + [self.sock]:
            s.close()


class SmtpLab(object):
    """Starts servers on demand (cached for the session) and stops them all at the end."""

    def __init__(self, pki):
        self.pki = pki
        self.servers = {}
        self.raw = []
        self.log = LogCapture()
        self.log.setFormatter(logging.Formatter('%(asctime)s %(name)s %(levelname)s %(message)s'))
        logger = logging.getLogger('mail.log')
        logger.addHandler(self.log)
        logger.setLevel(logging.DEBUG)

    def smtp(self, kind, cert='good'):
        """kind: starttls (STARTTLS required, AUTH after TLS, auth required to send), ssl (implicit TLS,
        AUTH), ssl-login (implicit TLS, AUTH LOGIN only), plain (no TLS, AUTH offered in the clear), nostarttls (no TLS, no AUTH)."""
        key = (kind, cert)
        if key in self.servers:
            return self.servers[key]
        leaf = getattr(self.pki, cert)
        handler = RecordingHandler()
        kwargs = {'server_hostname': SERVER_NAME, 'ready_timeout': 10.0}
        if kind == 'starttls':
            kwargs.update(tls_context=server_context(leaf), require_starttls=True, authenticator=authenticator,
                          auth_required=True)
        elif kind == 'ssl':
            kwargs.update(ssl_context=server_context(leaf), authenticator=authenticator, auth_require_tls=False)
        elif kind == 'ssl-login':  # implicit TLS offering AUTH LOGIN only
            kwargs.update(ssl_context=server_context(leaf), authenticator=authenticator, auth_require_tls=False,
                          auth_exclude_mechanism=['PLAIN'])
        elif kind == 'plain':
            kwargs.update(authenticator=authenticator, auth_require_tls=False)
        elif kind == 'nostarttls':
            pass
        else:
            raise ValueError(kind)
        sock = socket.socket()
        sock.bind((HOST, 0))
        sock.listen(16)
        controller = BoundController(handler, sock, **kwargs)
        try:
            controller.start()
        except Exception as exc:  # the server could not start: fail the test with its log
            sock.close()
            pytest.fail('aiosmtpd (%s, %s certificate) did not start: %r\n%s' % (kind, cert, exc, self.log.tail()),
                        pytrace=False)
        server = SmtpServer('%s-%s' % key, controller, handler, self.log)
        self.servers[key] = server
        return server

    def raw_server(self, behaviour):
        server = RawServer(behaviour)
        self.raw.append(server)
        return server

    def full_backlog(self):
        server = FullBacklog()
        self.raw.append(server)
        return server

    def closed_port(self):
        """A port where nothing listens (bound, then closed)."""
        s = socket.socket()
        s.bind((HOST, 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def stop(self):
        for server in self.servers.values():
            server.controller.stop()
        for server in self.raw:
            server.stop()
        logging.getLogger('mail.log').removeHandler(self.log)
