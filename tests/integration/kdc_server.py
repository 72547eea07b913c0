# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real MIT krb5kdc of lab/servers/kdc.py for the Kerberos check tests, plus servers that answer nonsense
or nothing (test-only peers)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import threading

# Re-exported for the tests.
from lab.servers import free_dual_port  # noqa: F401 pylint: disable=unused-import
from lab.servers.kdc import MASTER_PASSWORD, PRINCIPALS, REALM, KdcError, MitKdc  # noqa: F401 pylint: disable=unused-import


# ------------------------------------------------------------------------------- not-a-KDC servers
class NonsenseServer(object):
    """Answers every UDP datagram / TCP connection on a free loopback port with ``reply`` bytes
    (``reply=None``: a UDP socket that swallows everything and never answers)."""

    def __init__(self, transport, reply, port=0):
        self.transport = transport
        self.reply = reply
        self.host = '127.0.0.1'
        kind = socket.SOCK_DGRAM if transport == 'udp' else socket.SOCK_STREAM
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((self.host, port))
        self.port = self.sock.getsockname()[1]
        if transport == 'tcp':
            self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _serve(self):
        while not self.stopping:
            try:
                if self.transport == 'udp':
                    dummy, peer = self.sock.recvfrom(65536)
                    if self.reply is not None:
                        self.sock.sendto(self.reply, peer)
                    continue
                conn, dummy = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            try:
                conn.settimeout(2)
                conn.recv(65536)
                conn.sendall(self.reply)
            except OSError:
                pass
            finally:
                conn.close()

    def stop(self):
        self.stopping = True
        self.thread.join(5)
        self.sock.close()
