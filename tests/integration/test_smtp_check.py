# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""printfleet.mve.smtp_check against real SMTP servers on loopback (aiosmtpd, see smtp_servers.py) and
misbehaving TCP peers: most cases run the conversation through dependency_check.run (as the module does),
a few run the module through Ansible itself, one of them with -vvvv to prove the password never shows."""

from __future__ import absolute_import, division, print_function

import base64
import email
import email.policy
import json
import os
import re
import subprocess

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.checks import dependency as dependency_check
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import smtp as smtp_wire
from ansible_collections.printfleet.mve.plugins.module_utils.checks import smtp as smtp_check
from ansible_collections.printfleet.mve.plugins.module_utils.common import tls_facts
from labtools import BIN, COLLECTIONS, ROOT, ansible_env
from smtp_servers import (HOST, PASSWORD, REFUSED_RECIPIENT, USER, SmtpLab, binary_then_close, garbage_ehlo,
                          helo_only, http_answer, refuse_554, silent)

MAIL_FROM = 'mve@printfleet.test'
ADMIN = 'printer-admins@printfleet.test'


@pytest.fixture(scope='module')
def smtp_lab(test_pki):
    smtp_lab = SmtpLab(test_pki)
    try:
        yield smtp_lab
    finally:
        smtp_lab.stop()


def check(server, pki=None, **kw):
    """Run the smtp_check conversation as the module does (validate, then dependency_check.run)."""
    params = dict(host=HOST, port=server.port if server is not None else None, timeout=5.0, validate_certs=True,
                  ca_path=pki.ca_path if pki else None, fail_on_error=True, encryption='starttls',
                  username=None, password=None, helo_name='mve01.printfleet.test', mail_from=None, send_to=None,
                  subject=None)
    params.update(kw)
    params = smtp_check.validate_params(params)
    out = dependency_check.run(smtp_wire.smtp_conversation(params), params)
    assert set(tls_facts.TLS_FACT_KEYS) <= set(out['tls'] or tls_facts.TLS_FACT_KEYS)
    assert isinstance(out['reason'], str) and out['reason'].endswith('.')
    assert PASSWORD not in json.dumps(out)
    return out


# ---- STARTTLS ----------------------------------------------------------------------------------

def test_starttls_with_ca_path(smtp_lab, test_pki):
    server = smtp_lab.smtp('starttls')
    out = check(server, test_pki)
    assert out['ok'] is True, out['reason']
    assert out['banner'].startswith('220 smtp.printfleet.test')
    assert out['esmtp'] is True and out['starttls_offered'] is True
    assert 'STARTTLS' in out['capabilities'] and not any(c.startswith('AUTH') for c in out['capabilities'])
    assert 'AUTH LOGIN PLAIN' in out['capabilities_after_tls'] and 'STARTTLS' not in out['capabilities_after_tls']
    assert out['auth_mechanisms'] == ['LOGIN', 'PLAIN']
    assert out['authenticated'] is None and out['message_sent'] is False
    assert out['failed_stage'] is None and out['server_reply'] is None
    tls = out['tls']
    assert tls['validated'] is True and tls['validation_error'] is None
    assert tls['version'] in ('TLSv1.2', 'TLSv1.3')
    assert tls['san'] == ['localhost', '127.0.0.1'] and tls['subject'] == 'CN=localhost'
    assert tls['days_left'] == 10
    assert any('expires in 10 days' in w for w in out['warnings'])
    assert 'after STARTTLS' in out['reason']


def test_starttls_system_store_does_not_validate(smtp_lab):
    out = check(smtp_lab.smtp('starttls'))
    assert out['ok'] is False and out['failed_stage'] == 'tls'
    assert out['tls']['validated'] is False
    assert 'certificate verify failed' in out['tls']['validation_error']
    assert out['tls']['subject'] == 'CN=localhost'  # the certificate is still described
    assert out['capabilities'] and out['capabilities_after_tls'] is None


def test_starttls_unverified_when_validate_certs_false(smtp_lab):
    out = check(smtp_lab.smtp('starttls'), validate_certs=False)
    assert out['ok'] is True
    assert out['tls']['validated'] is False and 'validate_certs' in out['tls']['validation_error']
    assert 'NOT verified' in out['reason']


@pytest.mark.parametrize('cert, in_error', [('expired', 'expired'), ('wronghost', 'mismatch, certificate is not valid for'),
                                            ('untrusted', 'unable to get local issuer')])
def test_starttls_bad_certificates(smtp_lab, test_pki, cert, in_error):
    out = check(smtp_lab.smtp('starttls', cert), test_pki)
    assert out['ok'] is False and out['failed_stage'] == 'tls'
    assert out['tls']['validated'] is False and in_error in out['tls']['validation_error']
    assert in_error in out['reason']
    if cert == 'expired':
        assert out['tls']['days_left'] < 0
    if cert == 'wronghost':
        assert out['tls']['san'] == ['wrong.example.test']


def test_starttls_not_offered(smtp_lab, test_pki):
    out = check(smtp_lab.smtp('nostarttls'), test_pki)
    assert out['ok'] is False and out['failed_stage'] == 'starttls'
    assert 'does not offer STARTTLS' in out['reason'] and 'never falls back to plaintext' in out['reason']
    assert out['starttls_offered'] is False and out['tls'] is None and out['esmtp'] is True


def test_starttls_not_offered_never_sends_credentials(smtp_lab, test_pki):
    out = check(smtp_lab.smtp('nostarttls'), test_pki, username=USER, password=PASSWORD)
    assert out['ok'] is False and out['failed_stage'] == 'starttls' and out['authenticated'] is None


# ---- AUTH --------------------------------------------------------------------------------------

def test_auth_plain_after_starttls(smtp_lab, test_pki):
    out = check(smtp_lab.smtp('starttls'), test_pki, username=USER, password=PASSWORD)
    assert out['ok'] is True, out['reason']
    assert out['authenticated'] is True and out['auth_mechanism'] == 'PLAIN'
    assert 'authenticated with PLAIN' in out['reason']


def test_auth_wrong_password(smtp_lab, test_pki):
    out = check(smtp_lab.smtp('starttls'), test_pki, username=USER, password='not-the-password')
    assert out['ok'] is False and out['authenticated'] is False and out['failed_stage'] == 'auth'
    assert out['server_reply'] == {'code': 535, 'enhanced_status': '5.7.8',
                                   'text': '5.7.8 Authentication credentials invalid'}
    assert '535' in out['reason'] and 'not-the-password' not in json.dumps(out)


def test_auth_login_over_implicit_tls(smtp_lab, test_pki):
    server = smtp_lab.smtp('ssl-login')
    good = check(server, test_pki, encryption='ssl', username=USER, password=PASSWORD)
    assert good['ok'] is True, good['reason']
    assert good['auth_mechanisms'] == ['LOGIN'] and good['auth_mechanism'] == 'LOGIN'
    bad = check(server, test_pki, encryption='ssl', username=USER, password='wrong')
    assert bad['ok'] is False and bad['server_reply']['code'] == 535 and bad['authenticated'] is False


# ---- implicit TLS ------------------------------------------------------------------------------

def test_implicit_tls(smtp_lab, test_pki):
    out = check(smtp_lab.smtp('ssl'), test_pki, encryption='ssl', username=USER, password=PASSWORD)
    assert out['ok'] is True, out['reason']
    assert out['tls']['validated'] is True and out['tls']['san'] == ['localhost', '127.0.0.1']
    assert out['capabilities_after_tls'] == out['capabilities'] and out['starttls_offered'] is False
    assert out['auth_mechanisms'] == ['LOGIN', 'PLAIN'] and out['authenticated'] is True
    assert 'implicit TLS' in out['reason']


def test_implicit_tls_expired(smtp_lab, test_pki):
    out = check(smtp_lab.smtp('ssl', 'expired'), test_pki, encryption='ssl')
    assert out['ok'] is False and out['failed_stage'] == 'tls' and out['banner'] is None
    assert out['tls']['days_left'] < 0 and 'expired' in out['tls']['validation_error']


def test_implicit_tls_on_a_plain_port(smtp_lab, test_pki):
    out = check(smtp_lab.smtp('plain'), test_pki, encryption='ssl')
    assert out['ok'] is False and out['failed_stage'] == 'tls'
    assert 'try encryption none or starttls' in out['reason']


def test_starttls_on_an_implicit_tls_port(smtp_lab, test_pki):
    out = check(smtp_lab.smtp('ssl'), test_pki, encryption='starttls', timeout=1.0)
    assert out['ok'] is False and out['failed_stage'] == 'banner'
    assert 'try encryption ssl' in out['reason']


# ---- plain SMTP (encryption none) --------------------------------------------------------------

def test_plain(smtp_lab):
    out = check(smtp_lab.smtp('plain'), encryption='none')
    assert out['ok'] is True and out['tls'] is None and out['capabilities_after_tls'] is None
    assert 'AUTH LOGIN PLAIN' in out['capabilities'] and out['starttls_offered'] is False
    assert 'without TLS' in out['reason'] and not out['warnings']


def test_plain_auth_warns(smtp_lab):
    out = check(smtp_lab.smtp('plain'), encryption='none', username=USER, password=PASSWORD)
    assert out['ok'] is True and out['authenticated'] is True
    assert any('unencrypted connection' in w for w in out['warnings'])


def test_banner_554(smtp_lab):
    out = check(smtp_lab.raw_server(refuse_554), encryption='none')
    assert out['ok'] is False and out['failed_stage'] == 'banner'
    assert out['server_reply'] == {'code': 554, 'enhanced_status': '5.7.1',
                                   'text': '5.7.1 smtp.printfleet.test: no SMTP service here'}
    assert 'refuses the connection' in out['reason'] and out['banner'].startswith('554 ')


def test_helo_only_server(smtp_lab):
    server = smtp_lab.raw_server(helo_only)
    out = check(server, encryption='none')
    assert out['ok'] is True and out['esmtp'] is False and out['capabilities'] == []
    assert 'HELO only' in out['reason']
    out = check(server, encryption='starttls')
    assert out['ok'] is False and out['failed_stage'] == 'ehlo' and out['server_reply']['code'] == 500
    assert 'cannot offer STARTTLS' in out['reason']
    out = check(server, encryption='none', username=USER, password=PASSWORD)
    assert out['ok'] is False and 'cannot offer AUTH' in out['reason'] and out['authenticated'] is None


# ---- test message ------------------------------------------------------------------------------

def _received(server, count):
    assert len(server.messages) == count
    msg = server.messages[-1]
    return msg, email.message_from_bytes(msg['content'], policy=email.policy.default)


def test_message_plain(smtp_lab):
    server = smtp_lab.smtp('plain')
    before = len(server.messages)
    out = check(server, encryption='none', mail_from=MAIL_FROM, send_to=[ADMIN], subject='MVE mail test')
    assert out['ok'] is True and out['message_sent'] is True, out['reason']
    assert out['recipients'] == [{'address': ADMIN, 'accepted': True, 'code': 250, 'enhanced_status': '2.1.5',
                                  'text': '2.1.5 OK'}]
    msg, parsed = _received(server, before + 1)
    assert msg['mail_from'] == MAIL_FROM and msg['rcpt_tos'] == [ADMIN]
    assert parsed['Subject'] == 'MVE mail test' and parsed['To'] == ADMIN
    assert out['queue_reply'] == '2.0.0 Ok: queued as PFTEST%d' % (before + 1)


def test_message_after_starttls_and_auth(smtp_lab, test_pki):
    server = smtp_lab.smtp('starttls')
    before = len(server.messages)
    out = check(server, test_pki, username=USER, password=PASSWORD, mail_from=MAIL_FROM,
                send_to=[ADMIN, 'second@printfleet.test'])
    assert out['ok'] is True and out['message_sent'] is True, out['reason']
    msg, parsed = _received(server, before + 1)
    assert msg['authenticated'] is True and msg['rcpt_tos'] == [ADMIN, 'second@printfleet.test']
    assert parsed['Subject'] == 'printfleet.mve SMTP check from mve01.printfleet.test'
    assert PASSWORD.encode() not in msg['content']


def test_message_needs_auth(smtp_lab, test_pki):
    server = smtp_lab.smtp('starttls')
    before = len(server.messages)
    out = check(server, test_pki, mail_from=MAIL_FROM, send_to=[ADMIN])
    assert out['ok'] is False and out['failed_stage'] == 'mail' and out['server_reply']['code'] == 530
    assert 'give username and password' in out['reason'] and out['message_sent'] is False
    assert len(server.messages) == before


def test_message_recipient_refused(smtp_lab):
    server = smtp_lab.smtp('plain')
    before = len(server.messages)
    out = check(server, encryption='none', mail_from=MAIL_FROM, send_to=[REFUSED_RECIPIENT])
    assert out['ok'] is False and out['failed_stage'] == 'rcpt' and out['message_sent'] is False
    assert out['server_reply']['code'] == 550 and REFUSED_RECIPIENT in out['reason']
    assert out['recipients'][0]['accepted'] is False
    assert len(server.messages) == before


# ---- network failures and garbage --------------------------------------------------------------

def test_server_down(smtp_lab):
    out = check(None, port=smtp_lab.closed_port())
    assert out['ok'] is False and out['connect_error'] == 'refused' and out['failed_stage'] == 'connect'
    assert 'refused' in out['reason'] and out['banner'] is None


def test_filtered_full_backlog(smtp_lab):
    backlog = smtp_lab.full_backlog()
    out = check(backlog, timeout=1.0)
    assert out['ok'] is False and out['connect_error'] == 'timeout' and out['failed_stage'] == 'connect'
    assert 'no answer' in out['reason']


def test_silent_server(smtp_lab):
    out = check(smtp_lab.raw_server(silent), timeout=1.0)
    assert out['ok'] is False and out['failed_stage'] == 'banner' and out['banner'] is None
    assert 'no complete greeting' in out['reason']


@pytest.mark.parametrize('behaviour, stage, in_reason', [
    (http_answer, 'banner', "is not SMTP: the server sent not an SMTP reply: 'HTTP/1.1 400 Bad Request'"),
    (binary_then_close, 'banner', 'closed the connection instead of the greeting (banner) after sending'),
    (garbage_ehlo, 'ehlo', 'reply to EHLO is not SMTP'),
], ids=['http', 'binary', 'ehlo'])
def test_garbage(smtp_lab, behaviour, stage, in_reason):
    out = check(smtp_lab.raw_server(behaviour), encryption='none', timeout=2.0)
    assert out['ok'] is False and out['failed_stage'] == stage
    assert in_reason in out['reason']


# ---- through Ansible ---------------------------------------------------------------------------

@pytest.fixture(scope='module')
def ansible_smtp_check(tmp_path_factory):
    module = os.path.join(COLLECTIONS, 'ansible_collections', 'printfleet', 'mve', 'plugins', 'modules',
                          'smtp_check.py')
    if not os.path.exists(module):
        pytest.fail('printfleet.mve.smtp_check is not installed in %s: run `make collection` first (or '
                    '`make integration`, which does it).' % COLLECTIONS, pytrace=False)
    work = tmp_path_factory.mktemp('smtp_ansible')

    def run(args, *extra):
        cmd = [os.path.join(BIN, 'ansible'), 'localhost', '-i', 'localhost,', '-c', 'local',
               '-e', 'ansible_python_interpreter=%s' % os.path.join(BIN, 'python'),
               '-m', 'printfleet.mve.smtp_check', '-a', json.dumps(args)] + list(extra)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
                              env=ansible_env(ANSIBLE_LOCAL_TEMP=str(work)))
        return proc
    return run


def _result(proc):
    """The module result from the ad-hoc output ``localhost | SUCCESS => {...}`` (or FAILED!)."""
    marker = re.search(r'^localhost \| ([A-Z!]+) => ', proc.stdout, re.M)
    if not marker:
        raise AssertionError('no result from ansible (exit %d):\n%s\n%s'
                             % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    res = json.JSONDecoder().raw_decode(proc.stdout[marker.end():])[0]
    res['status'] = marker.group(1)
    return res


def test_ansible_vvvv_never_shows_the_password(smtp_lab, test_pki, ansible_smtp_check):
    server = smtp_lab.smtp('starttls')
    before = len(server.messages)
    proc = ansible_smtp_check({'host': HOST, 'port': server.port, 'ca_path': test_pki.ca_path, 'username': USER,
                               'password': PASSWORD, 'mail_from': MAIL_FROM, 'send_to': [ADMIN]}, '-vvvv')
    res = _result(proc)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert res['ok'] is True and res['authenticated'] is True and res['message_sent'] is True
    assert res['status'] == 'SUCCESS' and res['changed'] is False
    assert '[WARNING]: The server certificate expires in 10 days' in proc.stdout + proc.stderr
    assert len(server.messages) == before + 1
    output = proc.stdout + proc.stderr
    assert 'smtp_check' in output and '<localhost> EXEC' in output  # really -vvvv
    assert '"password": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"' in output  # the invocation is shown, masked
    secrets = [PASSWORD, smtp_wire.auth_plain_response(USER, PASSWORD), smtp_wire.auth_login_responses(USER, PASSWORD)[1],
               base64.b64encode(PASSWORD.encode()).decode()]
    for secret in secrets:
        assert secret not in output


def test_ansible_starttls_not_offered_fails_the_task(smtp_lab, test_pki, ansible_smtp_check):
    server = smtp_lab.smtp('nostarttls')
    proc = ansible_smtp_check({'host': HOST, 'port': server.port, 'ca_path': test_pki.ca_path})
    res = _result(proc)
    assert proc.returncode != 0
    assert res['status'] == 'FAILED!' and res['ok'] is False and 'does not offer STARTTLS' in res['msg']
    relaxed = _result(ansible_smtp_check({'host': HOST, 'port': server.port, 'fail_on_error': False}, '--check'))
    assert relaxed['status'] == 'SUCCESS' and relaxed['ok'] is False and relaxed['failed_stage'] == 'starttls'


def test_ansible_input_error_before_any_connection(smtp_lab, ansible_smtp_check):
    proc = ansible_smtp_check({'host': HOST, 'port': smtp_lab.closed_port(), 'send_to': [ADMIN]})
    res = _result(proc)
    # the argument spec declares it (required_by): "missing parameter(s) required by 'send_to': mail_from"
    assert proc.returncode != 0 and res['status'] == 'FAILED!' and 'mail_from' in res['msg'] and 'send_to' in res['msg']
    proc = ansible_smtp_check({'host': HOST, 'encryption': 'tls'})
    assert 'encryption' in _result(proc)['msg'] and 'starttls' in _result(proc)['msg']
