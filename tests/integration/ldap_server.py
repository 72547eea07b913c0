"""OpenLDAP slapd instances for the ldap_check tests, each in its own directory on free loopback ports.

Debian's slapd links GnuTLS, which loads the EC (P-256, PKCS#8) keys of tests/support/pki.py as they are.
Every instance uses the old slapd.conf format, an mdb database for dc=printfleet,dc=test loaded with slapadd,
and runs in the foreground (``-d 0``) as a child process that ``stop()`` ends. An instance that does not come
up fails the test with its log; nothing skips.
"""
import os
import shutil
import socket
import subprocess
import time

import pytest

SLAPD = shutil.which('slapd') or '/usr/sbin/slapd'
SLAPADD = shutil.which('slapadd') or '/usr/sbin/slapadd'
SUFFIX = 'dc=printfleet,dc=test'
ROOT_DN = 'cn=admin,%s' % SUFFIX
ROOT_PW = 'R00t-Secret-Not-Returned'
USER_DN = 'uid=mve,ou=people,%s' % SUFFIX
USER_PW = 'Mve-Bind-Pa55-Secret'
PEOPLE = 'ou=people,%s' % SUFFIX

LDIF = """dn: {suffix}
objectClass: dcObject
objectClass: organization
dc: printfleet
o: printfleet test directory

dn: {people}
objectClass: organizationalUnit
ou: people

dn: {user}
objectClass: inetOrgPerson
uid: mve
cn: MVE service account
sn: service
userPassword: {password}

dn: uid=jane,{people}
objectClass: inetOrgPerson
uid: jane
cn: Jane Doe
sn: Doe
mail: jane@printfleet.test
""".format(suffix=SUFFIX, people=PEOPLE, user=USER_DN, password=USER_PW)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Slapd(object):
    """One slapd. ``leaf`` (a support.pki Leaf) enables TLS: StartTLS on ``port`` and LDAPS on ``ldaps_port``.
    ``extra`` lines go into the global section (e.g. ``disallow bind_anon``)."""

    def __init__(self, directory, leaf=None, ca_path=None, extra=''):
        self.dir = str(directory)
        self.leaf = leaf
        self.port = free_port()
        self.ldaps_port = free_port() if leaf else None
        self.proc = None
        self.log_path = os.path.join(self.dir, 'slapd.log')
        db = os.path.join(self.dir, 'db')
        os.makedirs(db, exist_ok=True)
        tls = ''
        if leaf:
            tls = ('TLSCertificateFile %s\nTLSCertificateKeyFile %s\nTLSCACertificateFile %s\n'
                   % (leaf.cert_path, leaf.key_path, ca_path))
        self.conf = os.path.join(self.dir, 'slapd.conf')
        with open(self.conf, 'w') as fh:
            fh.write('include /etc/ldap/schema/core.schema\n'
                     'include /etc/ldap/schema/cosine.schema\n'
                     'include /etc/ldap/schema/inetorgperson.schema\n'
                     'pidfile %s/slapd.pid\nargsfile %s/slapd.args\n'
                     'modulepath /usr/lib/ldap\nmoduleload back_mdb\n%s%s\n'
                     'database mdb\nsuffix "%s"\nrootdn "%s"\nrootpw %s\ndirectory %s\nmaxsize 10485760\n'
                     % (self.dir, self.dir, tls, extra, SUFFIX, ROOT_DN, ROOT_PW, db))
        ldif = os.path.join(self.dir, 'data.ldif')
        with open(ldif, 'w') as fh:
            fh.write(LDIF)
        load = subprocess.run([SLAPADD, '-f', self.conf, '-l', ldif], capture_output=True, text=True, check=False)
        if load.returncode != 0:
            pytest.fail('slapadd failed (exit %d):\n%s%s' % (load.returncode, load.stdout, load.stderr), pytrace=False)

    @property
    def urls(self):
        urls = 'ldap://127.0.0.1:%d/' % self.port
        if self.ldaps_port:
            urls += ' ldaps://127.0.0.1:%d/' % self.ldaps_port
        return urls

    def start(self):
        self.log = open(self.log_path, 'w')
        self.proc = subprocess.Popen([SLAPD, '-f', self.conf, '-h', self.urls, '-d', '0'],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        ports = [p for p in (self.port, self.ldaps_port) if p]
        while ports:
            if self.proc.poll() is not None:
                self.fail('slapd exited with %s before listening' % self.proc.returncode)
            try:
                with socket.create_connection(('127.0.0.1', ports[0]), timeout=0.5):
                    ports.pop(0)
            except OSError:
                if time.monotonic() > deadline:
                    self.fail('slapd did not listen on %s within 15 s' % ports[0])
                time.sleep(0.05)
        return self

    def fail(self, message):
        self.stop()
        with open(self.log_path, errors='replace') as fh:
            log = fh.read()[-4000:]
        pytest.fail('%s (%s)\n--- %s ---\n%s' % (message, self.urls, self.log_path, log), pytrace=False)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, 'log', None):
            self.log.close()
