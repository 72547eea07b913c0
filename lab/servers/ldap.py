# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenLDAP slapd, each instance in its own directory.

Debian's slapd links GnuTLS, which loads EC (P-256, PKCS#8) keys as they are. Every instance uses the old
slapd.conf format, an mdb database for ``suffix`` loaded with slapadd (the organization, ``ou=people``, the bind
user ``uid=mve`` and a user ``uid=jane``), and runs in the foreground (``-d 0``) as a child process that
``stop()`` ends. An instance that does not come up raises ServerError with its log.
"""
import os
import shutil
import subprocess

from lab.servers import LOCALHOST, ServerError, free_port, popen, stop_process, tail, wait_tcp

SLAPD = shutil.which('slapd') or '/usr/sbin/slapd'
SLAPADD = shutil.which('slapadd') or '/usr/sbin/slapadd'
SUFFIX = 'dc=printfleet,dc=test'
ROOT_PW = 'R00t-Secret-Not-Returned'
USER_PW = 'Mve-Bind-Pa55-Secret'


def names(suffix):
    """(root DN, people OU, bind user DN) under ``suffix``."""
    people = 'ou=people,%s' % suffix
    return 'cn=admin,%s' % suffix, people, 'uid=mve,%s' % people


ROOT_DN, PEOPLE, USER_DN = names(SUFFIX)

LDIF = """dn: {suffix}
objectClass: dcObject
objectClass: organization
dc: printfleet
o: printfleet {label} directory

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
mail: jane@printfleet.{label}
"""


class Slapd(object):
    """One slapd on ``host``. ``leaf`` (anything with ``cert_path`` and ``key_path``) enables TLS: StartTLS on
    ``port`` and LDAPS on ``ldaps_port``. ``extra`` lines go into the global section (e.g. ``disallow bind_anon``).
    Ports default to free ones; ``suffix`` and ``user_password`` to the tests' directory."""

    def __init__(self, directory, leaf=None, ca_path=None, extra='', host=LOCALHOST, port=None, ldaps_port=None,
                 suffix=SUFFIX, user_password=USER_PW, root_password=ROOT_PW, log_path=None):
        self.dir = str(directory)
        self.leaf = leaf
        self.host = host
        self.port = port or free_port(host)
        self.ldaps_port = (ldaps_port or free_port(host)) if leaf else None
        self.suffix = suffix
        self.root_dn, self.people, self.user_dn = names(suffix)
        self.user_password = user_password
        self.proc = None
        self.log = None
        self.log_path = log_path or os.path.join(self.dir, 'slapd.log')
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
                     % (self.dir, self.dir, tls, extra, suffix, self.root_dn, root_password, db))
        ldif = os.path.join(self.dir, 'data.ldif')
        with open(ldif, 'w') as fh:
            fh.write(LDIF.format(suffix=suffix, people=self.people, user=self.user_dn, password=user_password,
                                 label=suffix.split(',')[-1].split('=')[-1]))
        load = subprocess.run([SLAPADD, '-f', self.conf, '-l', ldif], capture_output=True, text=True, check=False)
        if load.returncode != 0:
            raise ServerError('slapadd failed (exit %d):\n%s%s' % (load.returncode, load.stdout, load.stderr))

    @property
    def urls(self):
        urls = 'ldap://%s:%s/' % (self.host, self.port)
        if self.ldaps_port:
            urls += ' ldaps://%s:%s/' % (self.host, self.ldaps_port)
        return urls

    def start(self, detach=False, timeout=15):
        self.log = open(self.log_path, 'a' if detach else 'w')
        self.proc = popen([SLAPD, '-f', self.conf, '-h', self.urls, '-d', '0'], self.log, detach=detach)
        why = wait_tcp(self.host, [self.port, self.ldaps_port], self.proc, timeout)
        if why:
            self.stop()
            raise ServerError('slapd %s (%s)\n--- %s ---\n%s' % (why, self.urls, self.log_path, tail(self.log_path, 60)))
        return self

    def stop(self):
        stop_process(self.proc)
        if self.log:
            self.log.close()
            self.log = None
