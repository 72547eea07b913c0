# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real MIT krb5kdc.

``MitKdc(workdir)`` creates its own realm database (kdb5_util create -s), principals (kadmin.local), a
krb5.conf / kdc.conf of its own (KRB5_CONFIG, KRB5_KDC_PROFILE: nothing of the system's is read or touched)
and runs krb5kdc in the foreground (``-n``) on one port of ``host`` for both UDP and TCP (default: a free
port on 127.0.0.1). A KDC that does not come up raises KdcError with its log.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import time

from lab.servers import LOCALHOST, ServerError, free_dual_port, popen, stop_process, tail, tcp_open

REALM = 'PRINTFLEET.TEST'
MASTER_PASSWORD = 'masterpw'
# name -> kadmin.local addprinc options. Passwords are never used by the check; they only give keys.
PRINCIPALS = {
    'preauth-user': '+requires_preauth -pw Preauth-Pass-1',
    'nopreauth-user': '-requires_preauth -pw NoPreauth-Pass-1',
}
SBIN = '/usr/sbin'


class KdcError(ServerError):
    pass


class MitKdc(object):
    """MIT krb5kdc for ``realm`` on ``host``:``port`` (UDP, and TCP unless ``tcp=False``).

    ``log_path``: the KDC's own log (default workdir/kdc.log); ``out_path``: krb5kdc's output (default
    workdir/krb5kdc.out); ``pidfile``: krb5kdc writes its PID there (``-P``).
    """

    def __init__(self, workdir, realm=REALM, extra_kdcdefaults='', time_offset=0, tcp=True, host=LOCALHOST,
                 port=None, log_path=None, out_path=None, pidfile=None):
        self.dir = str(workdir)
        self.tcp = tcp
        self.time_offset = int(time_offset)
        self.realm = realm
        self.host = host
        self.port = port or free_dual_port(self.host)
        self.extra_kdcdefaults = extra_kdcdefaults
        self.proc = None
        self.pidfile = pidfile
        self.log = log_path or os.path.join(self.dir, 'kdc.log')
        self.stdout = out_path or os.path.join(self.dir, 'krb5kdc.out')
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

    def create(self, principals=None, master_password=MASTER_PASSWORD):
        """Write the configuration, create the realm database and add ``principals`` (name -> addprinc options)."""
        self._write_config()
        self._run([os.path.join(SBIN, 'kdb5_util'), 'create', '-s', '-r', self.realm, '-P', master_password])
        for name, options in (PRINCIPALS if principals is None else principals).items():
            self._run([os.path.join(SBIN, 'kadmin.local'), '-r', self.realm, '-q',
                       'addprinc %s %s' % (options, name)])
        return self

    def start(self, timeout=20.0, detach=False):
        # -T: the KDC's clock runs time_offset seconds ahead of the host's (a skewed KDC, for the skew test).
        argv = [os.path.join(SBIN, 'krb5kdc'), '-n', '-r', self.realm]
        argv += ['-T', str(self.time_offset)] if self.time_offset else []
        argv += ['-P', self.pidfile] if self.pidfile else []
        with open(self.stdout, 'a' if detach else 'w') as out:
            self.proc = popen(argv, out, env=self.env, detach=detach)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if 'commencing operation' in tail(self.log, 200) and (not self.tcp or tcp_open(self.host, self.port, 1)):
                return self
            time.sleep(0.1)
        self.stop()
        raise KdcError('krb5kdc did not come up on %s:%d:\n--- %s ---\n%s\n--- krb5kdc output ---\n%s'
                       % (self.host, self.port, self.log, tail(self.log), tail(self.stdout)))

    def stop(self):
        stop_process(self.proc)
        self.proc = None
