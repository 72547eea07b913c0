# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SMTP servers for the smtp_check tests: the real aiosmtpd servers of lab/servers/smtp.py (STARTTLS, implicit
TLS, plain, no STARTTLS, AUTH PLAIN/LOGIN) and raw TCP servers that misbehave (garbage, silence, a full backlog).

Every server listens on 127.0.0.1 on a port the kernel hands out and runs in a thread of the test process.
A server that cannot start fails the test with its log; nothing skips.
"""

from __future__ import absolute_import, division, print_function

import socket
import threading

import pytest

from lab.servers import ServerError
from lab.servers.smtp import HOST, PASSWORD, REFUSED_RECIPIENT, SERVER_NAME, USER, SmtpServers  # noqa: F401 pylint: disable=unused-import


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


class SmtpLab(SmtpServers):
    """The aiosmtpd servers with the test PKI's certificates (``cert``: good, expired, wronghost, untrusted, ...),
    plus the misbehaving peers; ``stop()`` ends them all."""

    def __init__(self, pki):
        super(SmtpLab, self).__init__(cert_source=self._leaf)
        self.pki = pki
        self.raw = []

    def _leaf(self, cert):
        leaf = getattr(self.pki, cert)
        return leaf.cert_path, leaf.key_path

    def smtp(self, kind, cert='good', port=0):
        try:
            return super(SmtpLab, self).smtp(kind, cert, port)
        except ServerError as exc:
            pytest.fail(str(exc), pytrace=False)

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
        super(SmtpLab, self).stop()
        for server in self.raw:
            server.stop()
