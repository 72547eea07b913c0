# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kerberos_check against a real MIT krb5kdc (and against servers that answer nonsense or nothing).

Two KDCs run on loopback for this module: ``kdc`` (realm PRINTFLEET.TEST, principals with and without
+requires_preauth) and ``odd_kdc`` (same principals, its clock 600 s ahead with ``krb5kdc -T 600``, and UDP
replies capped at 500 bytes so that an AS-REP over UDP becomes KRB_ERR_RESPONSE_TOO_BIG). Most tests run the
conversation through dependency_check.run, as the module does; a few run the module through Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import subprocess

import pytest

from kdc_server import MASTER_PASSWORD, PRINCIPALS, REALM, KdcError, MitKdc, NonsenseServer, free_dual_port
from labtools import BIN, COLLECTIONS, ansible_env

from ansible_collections.printfleet.mve.plugins.module_utils.checks import dependency as dependency_check
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import kerberos as kerberos_wire

PREAUTH = 'preauth-user'
NO_PREAUTH = 'nopreauth-user'
SKEW = 600


def _start(workdir, **kwargs):
    kdc = MitKdc(workdir, **kwargs)
    try:
        kdc.create().start()
    except (KdcError, OSError, subprocess.SubprocessError) as exc:
        pytest.fail('the MIT KDC did not start: %s' % exc, pytrace=False)
    return kdc


@pytest.fixture(scope='module')
def kdc(tmp_path_factory):
    server = _start(tmp_path_factory.mktemp('kdc'))
    yield server
    server.stop()


@pytest.fixture(scope='module')
def odd_kdc(tmp_path_factory):
    server = _start(tmp_path_factory.mktemp('odd-kdc'), time_offset=SKEW,
                    extra_kdcdefaults=' kdc_max_dgram_reply_size = 500\n')
    yield server
    server.stop()


def check(host, port, realm=REALM, principal=None, transport='both', timeout=3.0, **extra):
    params = dict(host=host, port=port, realm=realm, principal=principal, transport=transport, timeout=timeout,
                  validate_certs=False, ca_path=None)
    params.update(extra)
    return dependency_check.run(kerberos_wire.kerberos_conversation(params), params)


TRANSPORTS = ['udp', 'tcp']


# ---- the four principal states, on each transport -------------------------------------------------------

@pytest.mark.parametrize('transport', TRANSPORTS)
def test_preauth_required(kdc, transport):
    out = check(kdc.host, kdc.port, principal=PREAUTH, transport=transport)
    facts = out['kdc'][transport]
    assert out['ok'] is True, out['reason']
    assert out['principal_state'] == 'preauth_required' and out['realm_accepted'] is True
    assert facts['reply_type'] == 'KRB-ERROR' and facts['error_code'] == 25
    assert facts['error_name'] == 'KDC_ERR_PREAUTH_REQUIRED' and facts['e_text'] == 'NEEDED_PREAUTH'
    assert 'PA-ENC-TIMESTAMP' in facts['preauth_types'] and facts['etypes'] == ['aes256-cts-hmac-sha1-96']
    assert list(out['kdc']) == [transport]


@pytest.mark.parametrize('transport', TRANSPORTS)
def test_no_preauth_gets_as_rep(kdc, transport):
    out = check(kdc.host, kdc.port, principal=NO_PREAUTH, transport=transport)
    facts = out['kdc'][transport]
    assert out['ok'] is True, out['reason']
    assert out['principal_state'] == 'known' and facts['reply_type'] == 'AS-REP'
    assert facts['error_code'] is None and facts['etype'] == 'aes256-cts-hmac-sha1-96'
    # The AS-REP has no clear-text time: the clock came from a second AS-REQ.
    assert out['clock_skew_s'] is not None and 'printfleet-clock-probe' in out['reason']


@pytest.mark.parametrize('transport', TRANSPORTS)
def test_unknown_principal_is_a_fact(kdc, transport):
    out = check(kdc.host, kdc.port, transport=transport)
    facts = out['kdc'][transport]
    assert out['ok'] is True, out['reason']
    assert out['principal'] == 'printfleet-probe@PRINTFLEET.TEST'
    assert out['principal_state'] == 'unknown' and out['realm_accepted'] is True
    assert facts['error_name'] == 'KDC_ERR_C_PRINCIPAL_UNKNOWN' and facts['error_code'] == 6
    assert facts['realm_probe'] == 'AS-REP'   # krbtgt/PRINTFLEET.TEST exists: the realm is served


@pytest.mark.parametrize('transport', TRANSPORTS)
def test_unknown_principal_fails_when_required(kdc, transport):
    out = check(kdc.host, kdc.port, principal='nobody', transport=transport, require_principal=True)
    assert out['ok'] is False and out['principal_state'] == 'unknown'
    assert 'does not know principal nobody@PRINTFLEET.TEST' in out['reason']


@pytest.mark.parametrize('transport', TRANSPORTS)
@pytest.mark.parametrize('principal', [PREAUTH, None])
def test_wrong_realm(kdc, transport, principal):
    # MIT answers KDC_ERR_C_PRINCIPAL_UNKNOWN for a realm it does not serve; the krbtgt probe tells.
    out = check(kdc.host, kdc.port, realm='OTHER.TEST', principal=principal, transport=transport)
    facts = out['kdc'][transport]
    assert out['ok'] is False
    assert out['principal_state'] == 'unknown_realm' and out['realm_accepted'] is False
    assert facts['error_name'] == 'KDC_ERR_C_PRINCIPAL_UNKNOWN'
    assert facts['realm_probe'] == 'KDC_ERR_C_PRINCIPAL_UNKNOWN (6)'
    assert 'does not serve realm OTHER.TEST' in out['reason']


def test_lower_case_realm_is_refused_with_a_hint(kdc):
    out = check(kdc.host, kdc.port, realm='printfleet.test', principal=PREAUTH)
    assert out['ok'] is False and out['principal_state'] == 'unknown_realm'
    assert 'case-sensitive' in out['reason'] and '(PRINTFLEET.TEST)' in out['reason']


def test_both_transports_and_small_skew(kdc):
    out = check(kdc.host, kdc.port, principal=PREAUTH, transport='both')
    assert out['ok'] is True, out['reason']
    assert sorted(out['kdc']) == ['tcp', 'udp']
    for transport in TRANSPORTS:
        facts = out['kdc'][transport]
        assert facts['reachable'] is True and facts['port'] == kdc.port and facts['error'] is None
        assert abs(facts['clock_skew_s']) < 5
    assert abs(out['clock_skew_s']) < 5
    assert re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$', out['kdc_time'])
    assert out['elapsed_ms'] > 0


# ---- clock skew and oversized UDP replies (odd_kdc: clock +600 s, UDP replies <= 500 bytes) --------------

def test_skewed_kdc_fails(odd_kdc):
    out = check(odd_kdc.host, odd_kdc.port, principal=PREAUTH)
    assert out['ok'] is False
    assert SKEW - 30 < out['clock_skew_s'] < SKEW + 30
    assert 'beyond the 300 s' in out['reason'] and out['principal_state'] == 'preauth_required'


def test_max_skew_allows_it(odd_kdc):
    out = check(odd_kdc.host, odd_kdc.port, principal=PREAUTH, max_skew=SKEW + 300)
    assert out['ok'] is True, out['reason']


def test_response_too_big_over_udp_then_tcp(odd_kdc):
    out = check(odd_kdc.host, odd_kdc.port, principal=NO_PREAUTH, max_skew=SKEW + 300)
    assert out['ok'] is True, out['reason']
    assert out['kdc']['udp']['error_name'] == 'KRB_ERR_RESPONSE_TOO_BIG' and out['kdc']['udp']['error_code'] == 52
    assert out['kdc']['tcp']['reply_type'] == 'AS-REP'
    assert out['principal_state'] == 'known'
    assert SKEW - 30 < out['kdc']['udp']['clock_skew_s'] < SKEW + 30


# ---- nothing there, nothing answering, nonsense answering -----------------------------------------------

@pytest.mark.parametrize('transport', ['udp', 'tcp', 'both'])
def test_kdc_down(transport):
    port = free_dual_port()
    out = check('127.0.0.1', port, transport=transport)
    assert out['ok'] is False and out['principal_state'] is None and out['realm_accepted'] is None
    assert out['reason'].startswith('No KDC answered')
    for facts in out['kdc'].values():
        assert facts['reachable'] is False and 'nothing listens' in facts['error']


@pytest.fixture
def server():
    started = []

    def start(transport, reply, port=0):
        srv = NonsenseServer(transport, reply, port).start()
        started.append(srv)
        return srv
    yield start
    for srv in started:
        srv.stop()


def test_silent_udp(server):
    srv = server('udp', None)
    out = check(srv.host, srv.port, transport='udp', timeout=0.5)
    assert out['ok'] is False and out['kdc']['udp']['reachable'] is False
    assert 'no reply on udp' in out['kdc']['udp']['error']


GARBAGE = [
    ('udp', b'HTTP/1.1 400 Bad Request\r\n\r\n', 'not a Kerberos message (first byte 0x48'),
    ('udp', b'\x7e\x05\x30\x03\x02\x01\x05', 'looks like a Kerberos KRB-ERROR but does not decode'),
    ('tcp', b'HTTP/1.1 400 Bad Request\r\n\r\n', 'beyond the 1048576-byte limit'),
    ('tcp', b'\x00\x00\x00\x05hello', 'not a Kerberos message (first byte 0x68'),
    ('tcp', b'\x00\x00\x01\x00short', 'closed the connection after 9 bytes'),
    ('tcp', b'', 'closed the connection without a reply'),
]


@pytest.mark.parametrize('transport, reply, message', GARBAGE)
def test_garbage_reply(server, transport, reply, message):
    srv = server(transport, reply)
    out = check(srv.host, srv.port, transport=transport, timeout=2.0)
    assert out['ok'] is False
    assert message in out['kdc'][transport]['error']
    assert message in out['reason']
    assert out['kdc'][transport]['reply_type'] is None


def test_udp_only_kdc_with_tcp_nonsense(tmp_path, server):
    """transport both needs both: a real KDC on UDP and nonsense on the same TCP port fails, naming TCP;
    transport udp alone passes."""
    udp_kdc = _start(tmp_path, tcp=False)
    try:
        server('tcp', b'SSH-2.0-OpenSSH_9.2\r\n', port=udp_kdc.port)
        out = check(udp_kdc.host, udp_kdc.port, principal=PREAUTH, transport='both', timeout=1.0)
        assert out['ok'] is False
        assert out['kdc']['udp']['error_name'] == 'KDC_ERR_PREAUTH_REQUIRED'
        assert out['kdc']['tcp']['reachable'] is True and out['kdc']['tcp']['reply_type'] is None
        assert 'answered on udp but not on tcp' in out['reason']
        out = check(udp_kdc.host, udp_kdc.port, principal=PREAUTH, transport='udp')
        assert out['ok'] is True, out['reason']
    finally:
        udp_kdc.stop()


# ---- through Ansible --------------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def ansible_module():
    path = os.path.join(COLLECTIONS, 'ansible_collections', 'printfleet', 'mve', 'plugins', 'modules',
                        'kerberos_check.py')
    if not os.path.exists(path):
        pytest.fail('printfleet.mve with kerberos_check is not installed in %s: run `make collection` first, or '
                    '`make integration`, which does it.' % COLLECTIONS, pytrace=False)

    def run(args, verbose=False, check_mode=False):
        cmd = [os.path.join(BIN, 'ansible'), 'localhost', '-m', 'printfleet.mve.kerberos_check', '-a',
               json.dumps(args)]
        if verbose:
            cmd.append('-vvvv')
        if check_mode:
            cmd.append('--check')
        env = ansible_env(ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
                          ANSIBLE_CALLBACK_RESULT_FORMAT='json')
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
        if verbose:
            return proc, None
        # The default ad-hoc output: "localhost | SUCCESS => {json}" (or "FAILED! => {json}").
        try:
            result = json.loads(proc.stdout[proc.stdout.index(' => ') + 4:])
        except ValueError:
            pytest.fail('ansible gave no JSON result (exit %d):\n%s\n%s' % (proc.returncode, proc.stdout, proc.stderr),
                        pytrace=False)
        return proc, result
    return run


def test_module_ok_and_check_mode(kdc, ansible_module):
    args = dict(host=kdc.host, port=kdc.port, realm=REALM, principal=PREAUTH)
    for check_mode in (False, True):
        proc, result = ansible_module(args, check_mode=check_mode)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert result['ok'] is True and result['changed'] is False
        assert result['principal_state'] == 'preauth_required' and result['realm_accepted'] is True
        assert sorted(result['kdc']) == ['tcp', 'udp']


def test_module_fails_on_wrong_realm_unless_told_not_to(kdc, ansible_module):
    args = dict(host=kdc.host, port=kdc.port, realm='OTHER.TEST', principal=PREAUTH)
    proc, result = ansible_module(args)
    assert proc.returncode != 0 and 'FAILED!' in proc.stdout
    assert 'does not serve realm OTHER.TEST' in result['msg'] and result['principal_state'] == 'unknown_realm'
    proc, result = ansible_module(dict(args, fail_on_error=False))
    assert proc.returncode == 0 and result['ok'] is False and 'SUCCESS' in proc.stdout


@pytest.mark.parametrize('args, field, message', [
    (dict(realm='BAD REALM'), 'realm', 'is not a realm name'),
    (dict(principal='svc@ELSEWHERE'), 'principal', 'differs from realm'),
    (dict(max_skew=0), 'max_skew', 'above 0'),
    (dict(port=70000), 'port', '65535'),
])
def test_module_input_errors(kdc, ansible_module, args, field, message):
    proc, result = ansible_module(dict(dict(host=kdc.host, port=kdc.port, realm=REALM), **args))
    assert proc.returncode != 0 and 'FAILED!' in proc.stdout
    assert result['msg'].startswith(field + ':') and message in result['msg']
    assert 'kdc' not in result   # nothing was sent


def test_module_vvvv_reveals_nothing_sensitive(kdc, ansible_module):
    """No password goes in (the check never authenticates); the principal and realm come out, and
    nothing else sensitive: no test password, no master password, no AS-REP cipher, no salt."""
    args = dict(host=kdc.host, port=kdc.port, realm=REALM, principal=NO_PREAUTH)
    proc, dummy = ansible_module(args, verbose=True)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert 'nopreauth-user@PRINTFLEET.TEST' in output and '"realm": "PRINTFLEET.TEST"' in output
    secrets = [MASTER_PASSWORD] + [opts.split('-pw ')[1] for opts in PRINCIPALS.values()]
    for secret in secrets:
        assert secret not in output
    assert 'PRINTFLEET.TESTnopreauth-user' not in output          # the ETYPE-INFO2 salt
    assert not re.search(r'[0-9a-f]{64}', output)                  # no hex dump of a ticket or enc-part
    proc, result = ansible_module(args)
    assert result['ok'] is True and result['principal_state'] == 'known'
    assert set(result) >= {'ok', 'reason', 'elapsed_ms', 'kdc', 'principal_state', 'realm_accepted',
                           'clock_skew_s', 'kdc_time', 'realm', 'principal'}


def test_module_params_default_port_from_matrix_and_tls_options_set_aside():
    from ansible_collections.printfleet.mve.plugins.module_utils.checks import kerberos as kerberos_check
    from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
    params = dict(host='dc01.example.com', port=None, timeout=5.0, validate_certs=True, ca_path='/nonexistent',
                  fail_on_error=True, realm='EXAMPLE.COM', principal='svc-mve', transport='both', max_skew=300.0,
                  require_principal=False)
    checked = kerberos_check.check_params(params)
    assert checked['port'] == port_matrix.get_flow('directory.kerberos')['destination_port']
    assert checked['validate_certs'] is False and checked['ca_path'] is None
    assert set(kerberos_check.ARGUMENT_SPEC.argument_spec) >= {
        'host', 'port', 'timeout', 'validate_certs', 'ca_path', 'fail_on_error', 'realm', 'principal', 'transport',
        'max_skew', 'require_principal'}


@pytest.mark.parametrize('principal,require,ok', [
    ('nobody', None, False),          # a principal the user names must exist
    ('nobody', False, True),          # unless the user says a missing one is expected
    (None, None, True),               # the built-in probe principal only tests the realm
], ids=['named-unknown-fails', 'named-unknown-allowed', 'probe-principal'])
def test_an_unknown_principal_fails_when_the_user_named_it(kdc, principal, require, ok):
    from ansible_collections.printfleet.mve.plugins.module_utils.checks import kerberos as kerberos_check
    params = dict(host=kdc.host, port=kdc.port, realm=REALM, principal=principal or kerberos_wire.DEFAULT_PRINCIPAL,
                  transport='udp', timeout=3.0, validate_certs=False, ca_path=None, fail_on_error=True,
                  max_skew=300.0, require_principal=require)
    conv, checked = kerberos_check.prepare(params)
    out = dependency_check.run(conv, checked)
    assert out['ok'] is ok and out['principal_state'] == 'unknown', out['reason']
