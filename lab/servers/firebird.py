# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real Firebird 3 server (Debian firebird3.0-server).

The server runs from its own ``FIREBIRD=`` directory: a firebird.conf with RemoteServicePort and
RemoteBindAddress, a copy of the package's security database (SYSDBA and its password from
/etc/firebird/3.0/SYSDBA.password), its own lock and temp directories, and the package's intl/ and plugins/
directories linked in. A database is created through the server with firebirdsql and is also reachable
through an alias; ``create_user`` adds users to the server's security database. No system service is touched.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil

from lab.servers import LOCALHOST, ServerError, free_port, popen, stop_process, wait_tcp

FIREBIRD_BIN = '/usr/sbin/firebird'
FIREBIRD_HOME = '/usr/lib/x86_64-linux-gnu/firebird/3.0'
SECURITY_DB = '/var/lib/firebird/3.0/system/security3.fdb'
SYSDBA_PASSWORD_FILE = '/etc/firebird/3.0/SYSDBA.password'
ALIAS = 'mvetest'


def sysdba_password():
    with open(SYSDBA_PASSWORD_FILE) as fh:
        match = re.search(r'^ISC_PASSWORD="?([^"\n]*)"?', fh.read(), re.M)
    if not match:
        raise ServerError('%s has no ISC_PASSWORD line' % SYSDBA_PASSWORD_FILE)
    return match.group(1)


class FirebirdServer(object):
    """Firebird on ``host``:``port`` (default: a free port on 127.0.0.1) from ``workdir`` (empty or missing),
    with the database ``alias`` -> workdir/data/<alias>.fdb. ``out_path``: the server's output (default
    workdir/server.out). ``start()`` runs it and creates the database as SYSDBA."""

    def __init__(self, workdir, host=LOCALHOST, port=None, alias=ALIAS, out_path=None):
        for path in (FIREBIRD_BIN, SECURITY_DB, SYSDBA_PASSWORD_FILE):
            if not os.path.exists(path):
                raise ServerError('%s is missing: apt-get install firebird3.0-server' % path)
        self.workdir = str(workdir)
        self.host = host
        self.port = port or free_port(host)
        self.proc = None
        self.user = 'SYSDBA'
        self.password = sysdba_password()
        self.alias = alias
        self.database = os.path.join(self.workdir, 'data', alias + '.fdb')
        self.out_path = out_path or os.path.join(self.workdir, 'server.out')

    def _write_config(self):
        workdir = self.workdir
        os.makedirs(workdir, exist_ok=True)
        for name in ('intl', 'plugins'):
            os.symlink(os.path.join(FIREBIRD_HOME, name), os.path.join(workdir, name))
        for name in ('firebird.msg', 'plugins.conf'):
            shutil.copy(os.path.join(FIREBIRD_HOME, name), os.path.join(workdir, name))
        for name in ('lock', 'tmp', 'data'):
            os.mkdir(os.path.join(workdir, name))
        security = os.path.join(workdir, 'security3.fdb')
        shutil.copy(SECURITY_DB, security)
        with open(os.path.join(workdir, 'firebird.conf'), 'w') as fh:
            fh.write('RemoteServicePort = %d\nRemoteBindAddress = %s\nSecurityDatabase = %s\n'
                     'ServerMode = Super\nAuthServer = Srp\nWireCrypt = Enabled\n' % (self.port, self.host, security))
        with open(os.path.join(workdir, 'databases.conf'), 'w') as fh:
            fh.write('security.db = %s\n{\n\tRemoteAccess = false\n}\n%s = %s\n'
                     % (security, self.alias, self.database))

    def log(self):
        chunks = []
        for path in (os.path.join(self.workdir, 'firebird.log'), self.out_path):
            if os.path.exists(path):
                with open(path, errors='replace') as fh:
                    chunks.append('--- %s\n%s' % (path, fh.read()[-4000:]))
        return '\n'.join(chunks)

    def _connect(self):
        import firebirdsql
        return firebirdsql.connect(host=self.host, port=self.port, database=self.database, user=self.user,
                                   password=self.password)

    def start(self, detach=False, timeout=15.0):
        """Run the server, wait until it listens and create the database; ServerError (with the log) if not."""
        import firebirdsql
        self._write_config()
        env = dict(os.environ, FIREBIRD=self.workdir, FIREBIRD_LOCK=os.path.join(self.workdir, 'lock'),
                   FIREBIRD_TMP=os.path.join(self.workdir, 'tmp'))
        with open(self.out_path, 'a' if detach else 'w') as out:
            self.proc = popen([FIREBIRD_BIN], out, env=env, cwd=self.workdir, detach=detach)
        why = wait_tcp(self.host, [self.port], self.proc, timeout)
        if why:
            self.stop()
            raise ServerError('Firebird %s\n%s' % (why, self.log()))
        try:
            firebirdsql.create_database(host=self.host, port=self.port, database=self.database, user=self.user,
                                        password=self.password).close()
        except Exception as exc:  # pylint: disable=broad-except
            self.stop()
            raise ServerError('cannot create the database %s through Firebird: %s\n%s' % (self.database, exc, self.log()))
        return self

    def create_user(self, name, password):
        """CREATE USER in the server's security database (connected as SYSDBA)."""
        try:
            conn = self._connect()
            try:
                conn.cursor().execute("CREATE USER %s PASSWORD '%s'" % (name, password.replace("'", "''")))
                conn.commit()
            finally:
                conn.close()
        except Exception as exc:  # pylint: disable=broad-except
            raise ServerError('cannot create the Firebird user %s: %s\n%s' % (name, exc, self.log()))

    def stop(self):
        stop_process(self.proc)
