# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real MIT krb5kdc for the Kerberos check tests, plus servers that answer nonsense or nothing.

``MitKdc(workdir)`` creates its own realm database (kdb5_util create -s), principals (kadmin.local), a
krb5.conf / kdc.conf of its own (KRB5_CONFIG, KRB5_KDC_PROFILE: nothing of the system's is read or
touched) and runs krb5kdc in the foreground on one free loopback port for both UDP and TCP. A KDC that does
not come up raises KdcError with its log.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import subprocess
import threading
import time

REALM = 'PRINTFLEET.TEST'
MASTER_PASSWORD = 'masterpw'
# name -> kadmin.local addprinc options. Passwords are never used by the check; they only give keys.
PRINCIPALS = {
    'preauth-user': '+requires_preauth -pw Preauth-Pass-1',
    'nopreauth-user': '-requires_preauth -pw NoPreauth-Pass-1',
}
SBIN = '/usr/sbin'


class KdcError(RuntimeError):
    pass


def free_dual_port(host='127.0.0.1'):
    """A port free for both TCP and UDP on ``host`` (checked by binding both)."""
    for dummy in range(50):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind((host, 0))
        port = tcp.getsockname()[1]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind((host, port))
        except OSError:
            continue
        finally:
            udp.close()
            tcp.close()
        return port
    raise KdcError('no port free for both TCP and UDP on %s' % host)


def tail(path, lines=40):
    try:
        with open(path, errors='replace') as fh:
            return ''.join(fh.readlines()[-lines:])
    except OSError:
        return '(no %s)' % path


class MitKdc(object):
    """MIT krb5kdc for realm REALM on 127.0.0.1:``port`` (UDP and TCP)."""

    def __init__(self, workdir, realm=REALM, extra_kdcdefaults='', time_offset=0, tcp=True):
        self.dir = str(workdir)
        self.tcp = tcp
        self.time_offset = int(time_offset)
        self.realm = realm
        self.host = '127.0.0.1'
        self.port = free_dual_port(self.host)
        self.extra_kdcdefaults = extra_kdcdefaults
        self.proc = None
        self.log = os.path.join(self.dir, 'kdc.log')
        self.stdout = os.path.join(self.dir, 'krb5kdc.out')
        self.krb5_conf = os.path.join(self.dir, 'krb5.conf')
        self.kdc_conf = os.path.join(self.dir, 'kdc.conf')
        self.env = dict(os.environ, KRB5_CONFIG=self.krb5_conf, KRB5_KDC_PROFILE=self.kdc_conf)

    def _write_config(self):
        addr = '%s:%d' % (self.host, self.port)
        tcp_addr = addr if self.tcp else '""'   # the empty string turns TCP off
        with open(self.krb5_conf, 'w') as fh:
            fh.write('[libdefaults]\n default_realm = %s\n dns_lookup_kdc = false\n dns_lookup_realm = false\n'
                     '\n[realms]\n %s = {\n  kdc = %s\n }\n' % (self.realm, self.realm, addr))
        with open(self.kdc_conf, 'w') as fh:
            fh.write('[kdcdefaults]\n kdc_listen = %s\n kdc_tcp_listen = %s\n%s\n'
                     '[realms]\n %s = {\n  database_name = %s\n  key_stash_file = %s\n  acl_file = %s\n'
                     '  kdc_listen = %s\n  kdc_tcp_listen = %s\n  max_life = 10h\n  max_renewable_life = 7d\n }\n\n'
                     '[logging]\n kdc = FILE:%s\n default = FILE:%s\n'
                     % (addr, tcp_addr, self.extra_kdcdefaults, self.realm, os.path.join(self.dir, 'principal'),
                        os.path.join(self.dir, 'stash'), os.path.join(self.dir, 'kadm5.acl'), addr, tcp_addr,
                        self.log, self.log))
        with open(os.path.join(self.dir, 'kadm5.acl'), 'w') as fh:
            fh.write('')

    def _run(self, args):
        proc = subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=60, check=False)
        if proc.returncode != 0:
            raise KdcError('%s failed (exit %d):\n%s%s' % (' '.join(args[:2]), proc.returncode, proc.stdout,
                                                           proc.stderr))
        return proc

    def create(self, principals=None):
        self._write_config()
        self._run([os.path.join(SBIN, 'kdb5_util'), 'create', '-s', '-r', self.realm, '-P', MASTER_PASSWORD])
        for name, options in (PRINCIPALS if principals is None else principals).items():
            self._run([os.path.join(SBIN, 'kadmin.local'), '-r', self.realm, '-q',
                       'addprinc %s %s' % (options, name)])
        return self

    def start(self, timeout=20.0):
        with open(self.stdout, 'w') as out:
            # -T: the KDC's clock runs time_offset seconds ahead of the host's (a skewed KDC, for the skew test).
            offset = ['-T', str(self.time_offset)] if self.time_offset else []
            self.proc = subprocess.Popen([os.path.join(SBIN, 'krb5kdc'), '-n', '-r', self.realm] + offset,
                                         env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if 'commencing operation' in tail(self.log, 200) and (self._tcp_open() or not self.tcp):
                return self
            time.sleep(0.1)
        self.stop()
        raise KdcError('krb5kdc did not come up on %s:%d:\n--- kdc.log ---\n%s\n--- krb5kdc output ---\n%s'
                       % (self.host, self.port, tail(self.log), tail(self.stdout)))

    def _tcp_open(self):
        try:
            socket.create_connection((self.host, self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


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
