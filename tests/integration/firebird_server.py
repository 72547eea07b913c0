# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real Firebird 3 server (Debian firebird3.0-server) on 127.0.0.1, started and stopped by the tests.

The server runs from its own ``FIREBIRD=`` directory: a firebird.conf with RemoteServicePort on a free
port, a copy of the package's security database (SYSDBA and its password from
/etc/firebird/3.0/SYSDBA.password), its own lock and temp directories, and the package's intl/ and
plugins/ directories linked in. A test database is created through the server with firebirdsql and
is also reachable through an alias. No system service is touched.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import socket
import subprocess
import time

import pytest

FIREBIRD_BIN = '/usr/sbin/firebird'
FIREBIRD_HOME = '/usr/lib/x86_64-linux-gnu/firebird/3.0'
SECURITY_DB = '/var/lib/firebird/3.0/system/security3.fdb'
SYSDBA_PASSWORD_FILE = '/etc/firebird/3.0/SYSDBA.password'
ALIAS = 'mvetest'


class FirebirdServer(object):
    def __init__(self, workdir, port, proc, password):
        self.host = '127.0.0.1'
        self.port = port
        self.proc = proc
        self.workdir = str(workdir)
        self.user = 'SYSDBA'
        self.password = password
        self.database = os.path.join(self.workdir, 'data', 'mvetest.fdb')
        self.alias = ALIAS

    def log(self):
        chunks = []
        for name in ('firebird.log', 'server.out'):
            path = os.path.join(self.workdir, name)
            if os.path.exists(path):
                with open(path, errors='replace') as fh:
                    chunks.append('--- %s\n%s' % (name, fh.read()[-4000:]))
        return '\n'.join(chunks)


def _free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sysdba_password():
    with open(SYSDBA_PASSWORD_FILE) as fh:
        match = re.search(r'^ISC_PASSWORD="?([^"\n]*)"?', fh.read(), re.M)
    assert match, '%s has no ISC_PASSWORD line' % SYSDBA_PASSWORD_FILE
    return match.group(1)


def _write_config(workdir, port):
    for name in ('intl', 'plugins'):
        os.symlink(os.path.join(FIREBIRD_HOME, name), os.path.join(workdir, name))
    for name in ('firebird.msg', 'plugins.conf'):
        shutil.copy(os.path.join(FIREBIRD_HOME, name), os.path.join(workdir, name))
    for name in ('lock', 'tmp', 'data'):
        os.mkdir(os.path.join(workdir, name))
    security = os.path.join(workdir, 'security3.fdb')
    shutil.copy(SECURITY_DB, security)
    with open(os.path.join(workdir, 'firebird.conf'), 'w') as fh:
        fh.write('RemoteServicePort = %d\nRemoteBindAddress = 127.0.0.1\nSecurityDatabase = %s\n'
                 'ServerMode = Super\nAuthServer = Srp\nWireCrypt = Enabled\n' % (port, security))
    with open(os.path.join(workdir, 'databases.conf'), 'w') as fh:
        fh.write('security.db = %s\n{\n\tRemoteAccess = false\n}\n%s = %s\n'
                 % (security, ALIAS, os.path.join(workdir, 'data', 'mvetest.fdb')))


def _wait_listening(port, proc, deadline=15.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope='session')
def firebird(tmp_path_factory):
    """A running Firebird 3 server with a test database; fails (with the server's log) when it cannot start."""
    import firebirdsql
    for path in (FIREBIRD_BIN, SECURITY_DB, SYSDBA_PASSWORD_FILE):
        assert os.path.exists(path), '%s is missing: apt-get install firebird3.0-server' % path
    workdir = str(tmp_path_factory.mktemp('firebird'))
    port = _free_port()
    _write_config(workdir, port)
    env = dict(os.environ, FIREBIRD=workdir, FIREBIRD_LOCK=os.path.join(workdir, 'lock'),
               FIREBIRD_TMP=os.path.join(workdir, 'tmp'))
    out = open(os.path.join(workdir, 'server.out'), 'w')
    proc = subprocess.Popen([FIREBIRD_BIN], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=workdir)
    server = FirebirdServer(workdir, port, proc, sysdba_password())
    try:
        if not _wait_listening(port, proc):
            pytest.fail('Firebird did not listen on 127.0.0.1:%d (exit code %s)\n%s' % (port, proc.poll(), server.log()))
        try:
            conn = firebirdsql.create_database(host=server.host, port=port, database=server.database,
                                               user=server.user, password=server.password)
            conn.close()
        except Exception as exc:  # pylint: disable=broad-except
            pytest.fail('cannot create the test database through Firebird: %s\n%s' % (exc, server.log()))
        yield server
    finally:
        stop(proc)
        out.close()
