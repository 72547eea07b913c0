# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real loopback servers for the probe tests: net-snmp snmpd, TLS, mDNS-like and silent UDP services.

Everything listens on 127.0.0.1 on ports the kernel hands out, so these tests
run in parallel with other suites. Each server is a process or thread this
file starts and stops itself.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

SNMPD = '/usr/sbin/snmpd'
SNMPGET = shutil.which('snmpget') or '/usr/bin/snmpget'
COMMUNITY = 'public'
SYS_DESCR_OID = '1.3.6.1.2.1.1.1.0'
# name -> (net-snmp auth, net-snmp priv, collection auth_protocol, collection priv_protocol)
SNMP_USERS = {
    'shauser': ('SHA', 'AES', 'sha', 'aes'),
    'md5user': ('MD5', 'DES', 'md5', 'des'),
    'sha256user': ('SHA-256', 'AES', 'sha256', 'aes'),
}
AUTH_KEY = 'authpass123'
PRIV_KEY = 'privpass123'


def _free_port(kind=socket.SOCK_DGRAM):
    """A port nothing listens on right now (the kernel's choice, so unique across parallel runs)."""
    s = socket.socket(socket.AF_INET, kind)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Snmpd(object):
    def __init__(self, host, port, proc, workdir):
        self.host = host
        self.port = port
        self.proc = proc
        self.workdir = workdir
        self.community = COMMUNITY
        self.users = SNMP_USERS
        self.auth_key = AUTH_KEY
        self.priv_key = PRIV_KEY

    def snmpget(self, *args):
        env = dict(os.environ, MIBS='')
        cmd = [SNMPGET, '-On', '-Oqv', '-t', '2', '-r', '1'] + list(args) + [
            '%s:%d' % (self.host, self.port), SYS_DESCR_OID]
        out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True,
                             universal_newlines=True, timeout=10).stdout.strip()
        if out.startswith('"') and out.endswith('"'):
            out = out[1:-1]
        return out


def _wait_snmpd(host, port, proc, logfile, deadline=10.0):
    # v2c GET of sysDescr.0, request-id 1 (fixed bytes so that readiness does not depend on the code under test).
    request = bytes.fromhex('302602010104067075626c6963a019020101020100020100300e300c06082b060102010101000500')
    end = time.time() + deadline
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.1)
    try:
        while time.time() < end:
            if proc.poll() is not None:
                break
            try:
                s.sendto(request, (host, port))
                s.recvfrom(65535)
                return
            except (socket.timeout, ConnectionRefusedError):
                continue
    finally:
        s.close()
    log = open(logfile).read() if os.path.exists(logfile) else ''
    raise RuntimeError('snmpd did not answer on %s:%d (exit code %s); log:\n%s' % (host, port, proc.poll(), log))


@pytest.fixture(scope='session')
def snmpd(tmp_path_factory):
    """A real net-snmp agent on 127.0.0.1:<free port> with v1/v2c community 'public' and three v3 users."""
    assert os.path.exists(SNMPD), 'net-snmp snmpd is needed (apt-get install snmpd snmp)'
    workdir = tmp_path_factory.mktemp('snmpd')
    persist = workdir / 'persist'
    persist.mkdir()
    port = _free_port()
    conf = workdir / 'snmpd.conf'
    lines = ['agentaddress udp:127.0.0.1:%d' % port, 'rocommunity %s 127.0.0.1' % COMMUNITY]
    for user, (auth, priv, dummy_a, dummy_p) in sorted(SNMP_USERS.items()):
        lines.append('createUser %s %s "%s" %s "%s"' % (user, auth, AUTH_KEY, priv, PRIV_KEY))
        lines.append('rouser %s priv' % user)
    conf.write_text('\n'.join(lines) + '\n')
    logfile = str(workdir / 'snmpd.log')
    env = dict(os.environ, MIBS='', SNMP_PERSISTENT_DIR=str(persist))
    proc = subprocess.Popen([SNMPD, '-f', '-Lf', logfile, '-C', '-c', str(conf), '-r', '-I', '-smux',
                             '--persistentDir=%s' % persist], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_snmpd('127.0.0.1', port, proc, logfile)
        yield Snmpd('127.0.0.1', port, proc, workdir)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture
def free_port():
    """``free_port(kind=socket.SOCK_DGRAM)``: a loopback port nothing listens on."""
    return _free_port


# ---- TLS ----------------------------------------------------------------------

class TlsServer(object):
    """Accepts TCP connections on 127.0.0.1 and completes TLS handshakes in a thread."""

    def __init__(self, cert_path, key_path):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert_path, key_path)
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                conn, dummy = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(2)
            try:
                tls = self.ctx.wrap_socket(conn, server_side=True)
                tls.close()
            except (ssl.SSLError, OSError):
                conn.close()

    def close(self):
        self.stopping = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture(scope='session')
def pki(test_pki):
    return test_pki


@pytest.fixture
def tls_server(pki):
    servers = []

    def start(which='good'):
        cert, cert_path, key_path = getattr(pki, which)
        server = TlsServer(cert_path, key_path)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


# ---- simple TCP / UDP services -------------------------------------------------

class UdpResponder(object):
    """A UDP socket on 127.0.0.1 that answers each datagram with ``reply(data)`` (None: stay silent)."""

    def __init__(self, reply):
        self.reply = reply
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self.received.append(data)
            answer = self.reply(data)
            if answer is not None:
                self.sock.sendto(answer, addr)

    def close(self):
        self.stopping = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def udp_responder():
    responders = []

    def start(reply):
        r = UdpResponder(reply)
        responders.append(r)
        return r

    yield start
    for r in responders:
        r.close()


@pytest.fixture
def tcp_listener():
    """A listening TCP socket on 127.0.0.1 (connections complete in the kernel's accept queue)."""
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    s.listen(128)
    yield s.getsockname()[1]
    s.close()


@pytest.fixture
def tcp_blackhole():
    """A TCP port on 127.0.0.1 whose SYNs go unanswered: a listen(0) socket with its accept queue full.

    Linux drops a SYN when the listener's accept queue is full (tcp_abort_on_overflow=0), which is
    exactly what a dropping firewall looks like to the client: the connection attempt times out.
    """
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    s.listen(0)
    port = s.getsockname()[1]
    fillers = []
    for dummy in range(2):
        c = socket.socket()
        c.settimeout(0.05)
        try:
            c.connect(('127.0.0.1', port))
        except (socket.timeout, OSError):
            pass
        fillers.append(c)
    yield port
    for c in fillers:
        c.close()
    s.close()


# ---- a scripted TCP peer ---------------------------------------------------------

class Peer(object):
    """A TCP server on loopback running ``script(conn)`` for each connection, in a thread."""

    def __init__(self, script):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.script = script
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                conn, dummy = self.sock.accept()
            except OSError:
                return
            try:
                self.script(conn)
            except (OSError, ssl.SSLError):
                pass
            finally:
                conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def peer():
    peers = []

    def start(script):
        p = Peer(script)
        peers.append(p)
        return p

    yield start
    for p in peers:
        p.close()
