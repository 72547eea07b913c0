"""printfleet.mve.ldap_check against real OpenLDAP slapd servers that these tests start on loopback.

Servers (tests/integration/ldap_server.py), all with dc=printfleet,dc=test, the bind user uid=mve and uid=jane:
  main       good certificate (test CA; localhost, 127.0.0.1): plain LDAP + StartTLS on ``port``, LDAPS on
             ``ldaps_port``, anonymous binds allowed
  strict     no TLS at all, ``disallow bind_anon`` and ``security simple_bind=64`` (simple binds need TLS)
  authc      ``require authc``: anonymous binds succeed but every anonymous read is refused
  expired / wronghost / untrusted   like main with those certificates from the test PKI
plus a few Python sockets that answer garbage. Most cases run the conversation through
dependency_check.run (the module's own path); a few run the module through Ansible, -vvvv included.
"""
import json
import os
import socket
import subprocess
import threading

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.checks import dependency as dependency_check
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import ldap as ldap_wire
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
from labtools import BIN, COLLECTIONS, ROOT, ansible_env
from ldap_server import PEOPLE, SUFFIX, USER_DN, USER_PW, Slapd, free_port

WRONG_PW = 'Wrong-Pa55-Never-Shown'


# ------------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope='module')
def servers(test_pki, tmp_path_factory):
    made = {}
    specs = {
        'main': dict(leaf=test_pki.good),
        'strict': dict(extra='disallow bind_anon\nsecurity simple_bind=64\n'),
        'authc': dict(extra='require authc\n'),
        'expired': dict(leaf=test_pki.expired),
        'wronghost': dict(leaf=test_pki.wronghost),
        'untrusted': dict(leaf=test_pki.untrusted),
    }
    try:
        for name, spec in specs.items():
            made[name] = Slapd(tmp_path_factory.mktemp('slapd-' + name), ca_path=test_pki.ca_path, **spec).start()
        yield made
    finally:
        for server in made.values():
            server.stop()


def check(port, ca_path=None, validate_certs=True, timeout=5.0, **options):
    """Run the ldap_check conversation as the module does (validate, then dependency_check.run)."""
    params = dict(host=options.pop('host', '127.0.0.1'), port=port, timeout=timeout, validate_certs=validate_certs,
                  ca_path=ca_path, fail_on_error=True, encryption='none', bind_dn=None, bind_password=None,
                  search_base=None, search_scope='base', search_filter='(objectClass=*)')
    params.update(options)
    out = dependency_check.run(ldap_wire.ldap_conversation(ldap_wire.validate(params)), params)
    assert isinstance(out['reason'], str) and out['reason'].endswith('.')
    assert isinstance(out['elapsed_ms'], float)
    assert USER_PW not in json.dumps(out) and WRONG_PW not in json.dumps(out)
    return out


class Garbage(object):
    """A TCP server that reads the client's first request, answers it with ``payload``, then either half-closes
    (and drains, so the kernel never resets the connection under unread data) or stays silent."""

    def __init__(self, payload, close=True):
        self.payload, self.close = payload, close
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, dummy = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        try:
            conn.settimeout(10)
            conn.recv(65536)
            conn.sendall(self.payload)
            if self.close:
                conn.shutdown(socket.SHUT_WR)
                while conn.recv(65536):
                    pass
        except OSError:
            pass

    def stop(self):
        self.sock.close()
        for conn in self.conns:
            conn.close()


# ------------------------------------------------------------------------------------------ plain + RootDSE
def test_root_dse_over_plain_ldap(servers):
    out = check(servers['main'].port)
    assert out['ok'] is True, out['reason']
    assert out['encryption'] == 'none' and 'tls' not in out
    dse = out['root_dse']
    assert dse['result'] == 'success'
    assert dse['naming_contexts'] == [SUFFIX]
    assert dse['supported_ldap_versions'] == [3]
    assert ldap_wire.STARTTLS_OID in dse['supported_extensions']
    assert 'DIGEST-MD5' in dse['supported_sasl_mechanisms']
    assert dse['vendor_name'] is None  # OpenLDAP publishes no vendorName
    assert out['starttls_supported'] is True
    assert (out['bind'], out['bound'], out['bind_result']) == ('anonymous', True, 'success')
    assert 'search' not in out


# ------------------------------------------------------------------------------------------------ StartTLS
def test_starttls_with_ca_path_validates(servers, test_pki):
    out = check(servers['main'].port, ca_path=test_pki.ca_path, host='localhost', encryption='starttls')
    assert out['ok'] is True, out['reason']
    assert out['starttls_supported'] is True
    tls = out['tls']
    assert tls['validated'] is True and tls['validation_error'] is None
    assert tls['version'].startswith('TLSv1.')
    assert tls['subject'] == 'CN=localhost' and tls['san'] == ['localhost', '127.0.0.1']
    assert tls['issuer'] == 'CN=printfleet test CA'
    assert 9 <= tls['days_left'] <= 10
    assert 'with StartTLS' in out['reason']


def test_starttls_without_ca_path_fails_validation(servers):
    out = check(servers['main'].port, encryption='starttls')
    assert out['ok'] is False
    assert out['starttls_supported'] is True
    assert out['tls']['validated'] is False
    assert 'certificate verify failed' in out['tls']['validation_error']
    assert out['tls']['subject'] == 'CN=localhost'  # the certificate is reported all the same
    assert 'TLS handshake after StartTLS' in out['reason']
    assert out['bind_result'] is None and out['root_dse'] is None


def test_starttls_without_validation_reports_unvalidated(servers):
    out = check(servers['main'].port, validate_certs=False, encryption='starttls')
    assert out['ok'] is True, out['reason']
    assert out['tls']['validated'] is False and out['tls']['subject'] == 'CN=localhost'
    assert 'not verified' in out['reason']


def test_starttls_not_offered_never_sends_the_password(servers):
    out = check(servers['strict'].port, encryption='starttls', bind_dn=USER_DN, bind_password=USER_PW)
    assert out['ok'] is False
    assert out['starttls_supported'] is False
    assert 'protocolError' in out['reason'] and 'StartTLS' in out['reason']
    assert 'tls' not in out
    assert out['bind_result'] is None and out['bound'] is False


# ---------------------------------------------------------------------------------------------------- LDAPS
def test_ldaps_on_the_ldaps_port(servers, test_pki):
    out = check(servers['main'].ldaps_port, ca_path=test_pki.ca_path, encryption='ldaps',
                bind_dn=USER_DN, bind_password=USER_PW)
    assert out['ok'] is True, out['reason']
    assert out['tls']['validated'] is True and out['tls']['subject'] == 'CN=localhost'
    assert out['root_dse']['naming_contexts'] == [SUFFIX]
    assert (out['bind'], out['bound'], out['bind_result']) == ('simple', True, 'success')
    assert 'over LDAPS' in out['reason']


@pytest.mark.parametrize('encryption', ['ldaps', 'starttls'])
@pytest.mark.parametrize('name, error_words, cert_check', [
    ('expired', 'expired', lambda tls: tls['days_left'] < 0),
    ('wronghost', 'mismatch', lambda tls: tls['san'] == ['wrong.example.test']),
    ('untrusted', 'unable to get local issuer', lambda tls: tls['issuer'] == 'CN=printfleet untrusted CA'),
])
def test_bad_certificates(servers, test_pki, encryption, name, error_words, cert_check):
    server = servers[name]
    port = server.ldaps_port if encryption == 'ldaps' else server.port
    out = check(port, ca_path=test_pki.ca_path, encryption=encryption, bind_dn=USER_DN, bind_password=USER_PW)
    assert out['ok'] is False
    tls = out['tls']
    assert tls['validated'] is False
    assert error_words in tls['validation_error'], tls['validation_error']
    assert error_words in out['reason']
    assert cert_check(tls), tls
    assert out['bind_result'] is None  # nothing after a failed handshake, the password least of all


def test_ldaps_against_the_plain_port(servers, test_pki):
    out = check(servers['main'].port, ca_path=test_pki.ca_path, encryption='ldaps', timeout=3.0)
    assert out['ok'] is False
    assert 'LDAPS TLS handshake' in out['reason']
    assert out['tls']['validated'] is False and out['tls']['version'] is None


# ----------------------------------------------------------------------------------------------------- binds
def test_bind_success(servers, test_pki):
    out = check(servers['main'].port, ca_path=test_pki.ca_path, encryption='starttls', bind_dn=USER_DN,
                bind_password=USER_PW)
    assert out['ok'] is True, out['reason']
    assert (out['bind'], out['bound'], out['bind_result']) == ('simple', True, 'success')
    assert USER_DN in out['reason']


def test_bind_wrong_password(servers):
    out = check(servers['main'].port, bind_dn=USER_DN, bind_password=WRONG_PW)
    assert out['ok'] is False
    assert (out['bind'], out['bound'], out['bind_result']) == ('simple', False, 'invalidCredentials')
    assert 'invalidCredentials (49)' in out['reason']
    assert out['root_dse']['naming_contexts'] == [SUFFIX]  # the server itself was fine


def test_bind_unknown_user_is_invalid_credentials_too(servers):
    out = check(servers['main'].port, bind_dn='uid=nobody,' + PEOPLE, bind_password=WRONG_PW)
    assert (out['ok'], out['bind_result']) == (False, 'invalidCredentials')


def test_anonymous_bind_refused(servers):
    out = check(servers['strict'].port)
    assert out['ok'] is False
    assert (out['bind'], out['bound'], out['bind_result']) == ('anonymous', False, 'inappropriateAuthentication')
    assert 'anonymous' in out['reason'] and 'anonymous bind disallowed' in out['reason']
    assert out['bind_diagnostic'] == 'anonymous bind disallowed'
    assert out['starttls_supported'] is False


def test_simple_bind_needs_tls(servers):
    out = check(servers['strict'].port, bind_dn=USER_DN, bind_password=USER_PW)
    assert (out['ok'], out['bound'], out['bind_result']) == (False, False, 'confidentialityRequired')
    assert 'requires TLS' in out['reason']


def test_anonymous_reads_refused_after_an_accepted_bind(servers):
    out = check(servers['authc'].port)
    assert out['ok'] is False
    assert (out['bind'], out['bound'], out['bind_result']) == ('anonymous', True, 'success')
    assert out['root_dse']['result'] == 'unwillingToPerform'
    assert 'refuses anonymous reads' in out['reason']


def test_root_dse_read_again_after_the_bind(servers):
    out = check(servers['authc'].port, bind_dn=USER_DN, bind_password=USER_PW)
    assert out['ok'] is True, out['reason']
    assert out['root_dse']['result'] == 'success' and out['root_dse']['naming_contexts'] == [SUFFIX]


def test_upn_against_openldap_reports_the_server_error(servers):
    out = check(servers['main'].port, bind_dn='mve@printfleet.test', bind_password=USER_PW)
    assert (out['ok'], out['bind_result']) == (False, 'invalidDNSyntax')
    assert 'Active Directory' in out['reason']


# ---------------------------------------------------------------------------------------------------- search
def test_search_finds_the_base_dn(servers):
    out = check(servers['main'].port, bind_dn=USER_DN, bind_password=USER_PW, search_base=SUFFIX)
    assert out['ok'] is True, out['reason']
    assert out['search'] == {'base': SUFFIX, 'scope': 'base', 'filter': '(objectClass=*)', 'result': 'success',
                             'found': True, 'entries': 1, 'first_dn': SUFFIX}


def test_search_subtree_with_a_filter(servers):
    out = check(servers['main'].port, bind_dn=USER_DN, bind_password=USER_PW, search_base=PEOPLE,
                search_scope='sub', search_filter='(&(objectClass=inetOrgPerson)(|(mail=jane@*)(cn=Jane*)))')
    assert out['ok'] is True, out['reason']
    assert out['search']['first_dn'] == 'uid=jane,' + PEOPLE and out['search']['entries'] == 1


def test_search_size_limit_one_entry(servers):
    out = check(servers['main'].port, search_base=PEOPLE, search_scope='one', search_filter='(objectClass=person)')
    assert out['ok'] is True, out['reason']
    assert out['search']['result'] == 'sizeLimitExceeded' and out['search']['entries'] == 1


def test_search_missing_base(servers):
    out = check(servers['main'].port, bind_dn=USER_DN, bind_password=USER_PW, search_base='ou=nope,' + SUFFIX)
    assert out['ok'] is False
    assert out['bound'] is True
    assert out['search']['result'] == 'noSuchObject' and out['search']['found'] is False
    assert 'does not exist' in out['reason'] and SUFFIX in out['reason']


def test_search_that_finds_nobody(servers):
    out = check(servers['main'].port, search_base=PEOPLE, search_scope='sub', search_filter='(uid=ghost)')
    assert out['ok'] is False
    assert out['search']['result'] == 'success' and out['search']['entries'] == 0
    assert 'found no entry' in out['reason']


def test_anonymous_search_refused(servers):
    out = check(servers['authc'].port, bind_dn=USER_DN, bind_password=USER_PW, search_base=PEOPLE)
    assert out['ok'] is True  # the bound account may read it
    out = check(servers['authc'].port, search_base=PEOPLE)
    assert out['ok'] is False and out['search'] is None  # stopped at the refused anonymous RootDSE read


# ---------------------------------------------------------------------------------------------------- failures
def test_server_down():
    out = check(free_port())
    assert out['ok'] is False
    assert 'refused' in out['reason'] and 'Cannot reach' in out['reason']
    assert out['root_dse'] is None and out['bound'] is False and out['bind_result'] is None


@pytest.mark.parametrize('payload, close, words', [
    (b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nServer: not-ldap\r\n\r\n' * 3, True,
     'does not start like an LDAP message'),
    (b'\x30\x84\xff\xff\xff\xff', False, 'beyond'),
    (b'\x30\x03\x02\x01\x01', True, 'not an LDAP message'),
    (b'220 mail.example.com ESMTP\r\n', True, "closed the connection after 28 bytes of an incomplete reply (it sent b'220"),
    (b'\x15\x03\x03\x00\x02\x02\x46', True, 'this port speaks TLS (LDAPS), use encryption ldaps'),
], ids=['http', 'huge-ber-length', 'ber-not-ldap', 'smtp-banner', 'tls-alert'])
def test_garbage_replies(payload, close, words):
    garbage = Garbage(payload, close)
    try:
        out = check(garbage.port, timeout=3.0)
    finally:
        garbage.stop()
    assert out['ok'] is False
    assert words in out['reason'], out['reason']
    assert out['bound'] is False


# ----------------------------------------------------------------------------------------- through Ansible
@pytest.fixture(scope='module')
def ansible_ldap_check():
    module = os.path.join(COLLECTIONS, 'ansible_collections', 'printfleet', 'mve', 'plugins', 'modules',
                          'ldap_check.py')
    if not os.path.exists(module):
        pytest.fail('printfleet.mve with ldap_check is not installed in %s: run `make collection` first (or '
                    '`make integration`, which does it).' % COLLECTIONS, pytrace=False)

    def run(args, *extra):
        cmd = [os.path.join(BIN, 'ansible'), 'localhost', '-m', 'printfleet.mve.ldap_check', '-a',
               json.dumps(args)] + list(extra)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=ansible_env(), cwd=ROOT,
                              check=False)
        return proc
    return run


def _result(proc):
    """The JSON result of an ad-hoc ``ansible localhost -m`` run (after "localhost | STATUS => ")."""
    start = proc.stdout.index(' => {') + 4
    return json.loads(proc.stdout[start:proc.stdout.index('\n}', start) + 2])


def test_ansible_vvvv_never_shows_the_password(servers, test_pki, ansible_ldap_check):
    args = dict(host='localhost', port=servers['main'].port, encryption='starttls', ca_path=test_pki.ca_path,
                bind_dn=USER_DN, bind_password=USER_PW, search_base=PEOPLE, search_scope='sub',
                search_filter='(uid=mve)')
    proc = ansible_ldap_check(args, '-vvvv')
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    out = _result(proc)
    assert out['ok'] is True and out['changed'] is False and out['bind_result'] == 'success'
    assert out['search']['first_dn'] == USER_DN and out['tls']['validated'] is True
    assert USER_PW not in proc.stdout and USER_PW not in proc.stderr

    args['bind_password'] = WRONG_PW
    proc = ansible_ldap_check(args, '-vvvv', '--check')
    assert proc.returncode != 0
    out = _result(proc)
    assert 'localhost | FAILED! =>' in proc.stdout
    assert out['ok'] is False and out['bind_result'] == 'invalidCredentials'
    assert out['msg'] == out['reason']
    assert WRONG_PW not in proc.stdout and WRONG_PW not in proc.stderr


def test_ansible_fail_on_error_false_and_default_port(servers, ansible_ldap_check):
    proc = ansible_ldap_check(dict(host='127.0.0.1', port=servers['strict'].port, fail_on_error=False))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    out = _result(proc)
    assert out['ok'] is False and out['bind_result'] == 'inappropriateAuthentication'
    # Nothing listens on 127.0.0.1's LDAPS port here: the default comes from the port matrix (directory.ldaps).
    proc = ansible_ldap_check(dict(host='127.0.0.1', encryption='ldaps', fail_on_error=False, timeout=2))
    out = _result(proc)
    assert out['ok'] is False and out['port'] == port_matrix.get_flow('directory.ldaps')['destination_port']


def test_ansible_input_errors_before_any_network_io(ansible_ldap_check):
    proc = ansible_ldap_check(dict(host='192.0.2.1', bind_dn=USER_DN))
    out = _result(proc)
    # the argument spec declares the pair (required_together): "parameters are required together: bind_dn, bind_password"
    assert 'localhost | FAILED! =>' in proc.stdout and 'bind_password' in out['msg'] and 'together' in out['msg']
    proc = ansible_ldap_check(dict(host='192.0.2.1', search_filter='(uid=mve'))
    out = _result(proc)
    assert out['field'] == 'search_filter' and 'missing ")"' in out['msg']
