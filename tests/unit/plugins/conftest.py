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
import random
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


def start_snmpd(workdir, agent_addresses, lines, seed=None, probe=None):
    """Start ``snmpd -f`` on ``agent_addresses`` [(host, port)] with config ``lines``; return its Popen.

    ``seed`` lines go to a second config file (psysname & co.: values that stay writable over SNMP).
    ``probe`` (host, port) is polled with a v2c GET of sysDescr.0 until the agent answers.
    """
    persist = workdir / 'persist'
    persist.mkdir()
    conf = workdir / 'snmpd.conf'
    conf.write_text('\n'.join(['agentaddress ' + ','.join('udp:%s:%d' % a for a in agent_addresses)]
                              + list(lines)) + '\n')
    confs = str(conf)
    if seed:
        seed_file = workdir / 'seed.conf'
        seed_file.write_text('\n'.join(seed) + '\n')
        confs += ',' + str(seed_file)
    logfile = str(workdir / 'snmpd.log')
    env = dict(os.environ, MIBS='', SNMP_PERSISTENT_DIR=str(persist))
    proc = subprocess.Popen([SNMPD, '-f', '-Lf', logfile, '-C', '-c', confs, '-r', '-I', '-smux',
                             '--persistentDir=%s' % persist], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    host, port = probe or agent_addresses[0]
    try:
        _wait_snmpd(host, port, proc, logfile)
    except Exception:
        stop_snmpd(proc)
        raise
    return proc


def stop_snmpd(proc):
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture(scope='session')
def snmpd(tmp_path_factory):
    """A real net-snmp agent on 127.0.0.1:<free port> with v1/v2c community 'public' and three v3 users."""
    assert os.path.exists(SNMPD), 'net-snmp snmpd is needed (apt-get install snmpd snmp)'
    workdir = tmp_path_factory.mktemp('snmpd')
    port = _free_port()
    lines = ['rocommunity %s 127.0.0.1' % COMMUNITY]
    for user, (auth, priv, dummy_a, dummy_p) in sorted(SNMP_USERS.items()):
        lines.append('createUser %s %s "%s" %s "%s"' % (user, auth, AUTH_KEY, priv, PRIV_KEY))
        lines.append('rouser %s priv' % user)
    proc = start_snmpd(workdir, [('127.0.0.1', port)], lines)
    try:
        yield Snmpd('127.0.0.1', port, proc, workdir)
    finally:
        stop_snmpd(proc)


# ---- a printer-like agent: writable sys* objects, rw community, v3 users of every security level ----------

PRINTER_COMMUNITY = 'public'
PRINTER_WRITE_COMMUNITY = 'private'
PRINTER_SYS_DESCR = 'Lexmark MS822de version MXTGM.081.215 kernel 4.17.19-yocto-standard All-N-1'
PRINTER_SYS_OBJECT_ID = '1.3.6.1.4.1.641.1.822'
# name -> (net-snmp auth, net-snmp priv, collection auth_protocol, collection priv_protocol, security level)
PRINTER_V3_USERS = {
    'sha1aes': ('SHA', 'AES', 'sha', 'aes', 'priv'),
    # SHA-1's 20-byte key is too short for AES-256: net-snmp extends it (Blumenthal), and so must we.
    'sha1aes256': ('SHA', 'AES-256', 'sha', 'aes256', 'priv'),
    'sha224aes192': ('SHA-224', 'AES-192', 'sha224', 'aes192', 'priv'),
    'sha384aes': ('SHA-384', 'AES', 'sha384', 'aes', 'priv'),
    'sha256aes256': ('SHA-256', 'AES-256', 'sha256', 'aes256', 'priv'),
    'sha512aes256': ('SHA-512', 'AES-256', 'sha512', 'aes256', 'priv'),
    'md5des': ('MD5', 'DES', 'md5', 'des', 'priv'),
    'sha256auth': ('SHA-256', None, 'sha256', None, 'auth'),
}
PRINTER_AUTH_KEY = 'printer-auth-key1'
PRINTER_PRIV_KEY = 'printer-priv-key1'
# Printer-MIB / HOST-RESOURCES values served with net-snmp ``override`` (read-only unless -rw).
PRINTER_OVERRIDES = (
    ('1.3.6.1.2.1.43.5.1.1.17.1', 'octet_str', '"LAB0042"'),
    ('1.3.6.1.2.1.25.3.2.1.3.1', 'octet_str', '"Lexmark MS822de"'),
    ('1.3.6.1.2.1.43.10.2.1.4.1.1', 'counter', '12345'),
    ('1.3.6.1.2.1.43.11.1.1.6.1.1', 'octet_str', '"Black Toner Cartridge"'),
    ('1.3.6.1.2.1.43.11.1.1.6.1.2', 'octet_str', '"Imaging Unit"'),
    ('1.3.6.1.2.1.43.11.1.1.6.1.3', 'octet_str', '"Waste Toner Bottle"'),
    ('1.3.6.1.2.1.43.11.1.1.8.1.1', 'integer', '15000'),
    ('1.3.6.1.2.1.43.11.1.1.8.1.2', 'integer', '60000'),
    ('1.3.6.1.2.1.43.11.1.1.8.1.3', 'integer', '-2'),
    ('1.3.6.1.2.1.43.11.1.1.9.1.1', 'integer', '4500'),
    ('1.3.6.1.2.1.43.11.1.1.9.1.2', 'integer', '30000'),
    ('1.3.6.1.2.1.43.11.1.1.9.1.3', 'integer', '-3'),
    # Lexmark's LEXMARK-PVT-MIB prtgenInfoTable: printer name and code revision
    ('1.3.6.1.4.1.641.2.1.2.1.2.1', 'octet_str', '"Lexmark MS822de"'),
    ('1.3.6.1.4.1.641.2.1.2.1.4.1', 'octet_str', '"MXTGM.081.215"'),
)


class PrinterSnmpd(object):
    def __init__(self, hosts, port, proc, workdir):
        self.hosts = hosts
        self.host = hosts[0]
        self.port = port
        self.proc = proc
        self.workdir = workdir
        self.community = PRINTER_COMMUNITY
        self.write_community = PRINTER_WRITE_COMMUNITY
        self.users = PRINTER_V3_USERS
        self.auth_key = PRINTER_AUTH_KEY
        self.priv_key = PRINTER_PRIV_KEY

    def v3(self, user):
        """SNMP options of v3 ``user`` (the collection's option names)."""
        dummy_a, dummy_p, auth, priv, level = self.users[user]
        out = {'version': '3', 'username': user, 'auth_protocol': auth, 'auth_key': self.auth_key}
        if level == 'priv':
            out.update(priv_protocol=priv, priv_key=self.priv_key)
        return out


def _loopback_hosts(count):
    """``count`` loopback addresses 127.X.Y.1.. with random X, Y (apart from parallel runs and the lab's 127.0.*)."""
    rnd = random.Random()
    base = '127.%d.%d' % (rnd.randint(100, 250), rnd.randint(1, 250))
    return ['%s.%d' % (base, i + 1) for i in range(count)]


@pytest.fixture(scope='session')
def printer_snmpd(tmp_path_factory):
    """A printer-like net-snmp agent on three loopback addresses (same port): rw community 'private',
    writable sysName/sysLocation/sysContact (seeded with psys*), a read-only sysDescr, Printer-MIB values
    and supplies via ``override``, and v3 users authPriv (SHA/AES, SHA/AES-256, SHA-224/AES-192, SHA-256/AES-256,
    SHA-384/AES, SHA-512/AES-256, MD5/DES) and authNoPriv (SHA-256)."""
    assert os.path.exists(SNMPD), 'net-snmp snmpd is needed (apt-get install snmpd snmp)'
    workdir = tmp_path_factory.mktemp('printer-snmpd')
    hosts = _loopback_hosts(3)
    port = _free_port()
    lines = [
        'rocommunity %s default' % PRINTER_COMMUNITY,
        'rwcommunity %s default' % PRINTER_WRITE_COMMUNITY,
        'sysDescr %s' % PRINTER_SYS_DESCR,
        'sysObjectID %s' % PRINTER_SYS_OBJECT_ID,
        'sysServices 72',
    ]
    lines += ['override %s %s %s' % item for item in PRINTER_OVERRIDES]
    for user, (auth, priv, dummy_a, dummy_p, level) in sorted(PRINTER_V3_USERS.items()):
        if priv:
            lines.append('createUser %s %s "%s" %s "%s"' % (user, auth, PRINTER_AUTH_KEY, priv, PRINTER_PRIV_KEY))
        else:
            lines.append('createUser %s %s "%s"' % (user, auth, PRINTER_AUTH_KEY))
        lines.append('rwuser %s %s' % (user, level))
    # sysContact/sysName/sysLocation: never in snmpd.conf proper (that makes them read-only), seeded here.
    seed = ['psysname printer-under-test', 'psyslocation lab rack 1', 'psyscontact lab admin']
    proc = start_snmpd(workdir, [(h, port) for h in hosts], lines, seed=seed)
    try:
        yield PrinterSnmpd(hosts, port, proc, workdir)
    finally:
        stop_snmpd(proc)


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


def _started(cls):
    """A fixture body: ``start(*args)`` makes a ``cls(*args)`` server; every one made is closed at the end."""
    made = []

    def start(*args):
        server = cls(*args)
        made.append(server)
        return server

    yield start
    for server in made:
        server.close()


@pytest.fixture
def udp_responder():
    yield from _started(UdpResponder)


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
    yield from _started(Peer)
