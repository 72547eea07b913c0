# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Vectors for the pure SMTP encoders/decoders of smtp_wire (no sockets; the real server is in
tests/integration/test_smtp_check.py). Reference values come from the RFCs named beside them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import email
import email.policy

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation
from ansible_collections.printfleet.mve.plugins.module_utils.checks import dependency as dependency_check
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import smtp as w
from ansible_collections.printfleet.mve.plugins.module_utils.checks import smtp as smtp_check

# ---- replies -----------------------------------------------------------------------------------

REPLIES = [
    # raw, code, lines, text, enhanced_status
    (b'220 mail.example.com ESMTP Postfix\r\n', 220, ['mail.example.com ESMTP Postfix'],
     'mail.example.com ESMTP Postfix', None),
    (b'250-mail.example.com\r\n250-PIPELINING\r\n250 8BITMIME\r\n', 250,
     ['mail.example.com', 'PIPELINING', '8BITMIME'], 'mail.example.com PIPELINING 8BITMIME', None),
    (b'535 5.7.8 Authentication credentials invalid\r\n', 535, ['5.7.8 Authentication credentials invalid'],
     '5.7.8 Authentication credentials invalid', '5.7.8'),
    (b'250\r\n', 250, [''], '', None),                                    # RFC 5321 4.2: text is optional
    (b'354 End data with <CR><LF>.<CR><LF>\n', 354, ['End data with <CR><LF>.<CR><LF>'],
     'End data with <CR><LF>.<CR><LF>', None),                            # bare LF tolerated
    (b'334 VXNlcm5hbWU6\r\n', 334, ['VXNlcm5hbWU6'], 'VXNlcm5hbWU6', None),
    (b'421-4.3.2 going down\r\n421 4.3.2 try later\r\n', 421, ['4.3.2 going down', '4.3.2 try later'],
     '4.3.2 going down 4.3.2 try later', '4.3.2'),
    (b'220 caf\xc3\xa9 ready\r\n', 220, [u'caf\xe9 ready'], u'caf\xe9 ready', None),
]


@pytest.mark.parametrize('raw, code, lines, text, enhanced', REPLIES)
def test_parse_reply(raw, code, lines, text, enhanced):
    reply = w.parse_reply(raw)
    assert (reply.code, reply.lines, reply.text, reply.enhanced_status) == (code, lines, text, enhanced)
    assert reply.as_dict() == {'code': code, 'enhanced_status': enhanced, 'text': text}
    # every reply the parser accepts is exactly one message under the driver's smtp framing
    assert conversation.frame_complete('smtp', raw + b'250 next\r\n') == len(raw)


GARBAGE = [
    (b'HTTP/1.1 400 Bad Request\r\n', 'not an SMTP reply'),
    (b'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n', 'not an SMTP reply'),
    (b'\x16\x03\x01\x00\x05\r\n', 'not an SMTP reply'),
    (b'\r\n', 'not an SMTP reply'),
    (b'999 nine hundred\r\n', 'not an SMTP reply'),
    (b'120 wait\r\n', 'not an SMTP reply'),
    (b'220ready\r\n', 'not an SMTP reply'),
    (b'250-a\r\n251 b\r\n', 'changes its code'),
    (b'250 a\r\n250 b\r\n', 'misplaced continuation'),
    (b'250-a\r\n', 'misplaced continuation'),
    (b'220 no line end', 'does not end with a line break'),
    (b'', 'empty reply'),
]


@pytest.mark.parametrize('raw, message', GARBAGE)
def test_parse_reply_rejects_garbage(raw, message):
    with pytest.raises(w.SmtpProtocolError, match=message):
        w.parse_reply(raw)


# ---- EHLO capabilities (RFC 5321 4.1.1.1, RFC 3207, RFC 4954) -----------------------------------

EHLOS = [
    ('postfix', b'250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n'
     b'250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n',
     {'greeting': 'mail.example.com', 'starttls': True, 'auth_mechanisms': [], 'size': 10240000, 'smtputf8': True,
      'capabilities': ['PIPELINING', 'SIZE 10240000', 'VRFY', 'ETRN', 'STARTTLS', 'ENHANCEDSTATUSCODES',
                       '8BITMIME', 'DSN', 'SMTPUTF8', 'CHUNKING']}),
    ('exchange after tls', b'250-EX01.corp.example Hello [192.0.2.5]\r\n250-SIZE 37748736\r\n250-PIPELINING\r\n'
     b'250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-AUTH GSSAPI NTLM LOGIN\r\n250-8BITMIME\r\n250-BINARYMIME\r\n'
     b'250 CHUNKING\r\n',
     {'greeting': 'EX01.corp.example Hello [192.0.2.5]', 'starttls': False,
      'auth_mechanisms': ['GSSAPI', 'NTLM', 'LOGIN'], 'size': 37748736, 'smtputf8': False,
      'capabilities': ['SIZE 37748736', 'PIPELINING', 'DSN', 'ENHANCEDSTATUSCODES', 'AUTH GSSAPI NTLM LOGIN',
                       '8BITMIME', 'BINARYMIME', 'CHUNKING']}),
    ('old AUTH= form and lower case', b'250-relay.example\r\n250-auth plain login\r\n250-AUTH=LOGIN PLAIN\r\n'
     b'250-starttls\r\n250 SIZE\r\n',
     {'greeting': 'relay.example', 'starttls': True, 'auth_mechanisms': ['PLAIN', 'LOGIN'], 'size': None,
      'smtputf8': False, 'capabilities': ['auth plain login', 'AUTH=LOGIN PLAIN', 'starttls', 'SIZE']}),
    ('greeting only', b'250 tiny.example\r\n',
     {'greeting': 'tiny.example', 'starttls': False, 'auth_mechanisms': [], 'size': None, 'smtputf8': False,
      'capabilities': []}),
]


@pytest.mark.parametrize('name, raw, expected', EHLOS, ids=[e[0] for e in EHLOS])
def test_parse_ehlo(name, raw, expected):
    facts = w.parse_ehlo(w.parse_reply(raw))
    for key, value in expected.items():
        assert facts[key] == value, key


def test_parse_ehlo_needs_250():
    with pytest.raises(w.SmtpProtocolError, match='must be 250'):
        w.parse_ehlo(w.parse_reply(b'502 5.5.2 Error: command not recognized\r\n'))


# ---- commands ----------------------------------------------------------------------------------

COMMANDS = [
    (w.ehlo('mve01.example.com'), b'EHLO mve01.example.com\r\n'),
    (w.helo('[192.0.2.1]'), b'HELO [192.0.2.1]\r\n'),
    (w.build_command('STARTTLS'), b'STARTTLS\r\n'),
    (w.build_command('QUIT'), b'QUIT\r\n'),
    (w.mail_from('mve@example.com'), b'MAIL FROM:<mve@example.com>\r\n'),
    (w.mail_from(u'mv\xe9@example.com', smtputf8=True), u'MAIL FROM:<mv\xe9@example.com> SMTPUTF8\r\n'.encode('utf-8')),
    (w.rcpt_to('admin@example.com'), b'RCPT TO:<admin@example.com>\r\n'),
    (w.build_command('AUTH', 'PLAIN', 'AHRpbQB0YW5zdGFhZnRhbnN0YWFm'), b'AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n'),
]


@pytest.mark.parametrize('built, expected', COMMANDS)
def test_commands(built, expected):
    assert built == expected


@pytest.mark.parametrize('arg', ['a\r\nRSET', 'x\n', 'nul\x00'])
def test_command_injection_refused(arg):
    with pytest.raises(ValueError, match='CR, LF or NUL'):
        w.build_command('EHLO', arg)


# ---- AUTH encodings ----------------------------------------------------------------------------

PLAIN = [
    # RFC 4616 section 4 examples, and RFC 4954 section 4 ("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=")
    ('tim', 'tanstaaftanstaaf', '', 'AHRpbQB0YW5zdGFhZnRhbnN0YWFm'),
    ('Ursel', 'kurt', 'Kurt', 'S3VydABVcnNlbABrdXJ0'),
    ('test', '1234', 'test', 'dGVzdAB0ZXN0ADEyMzQ='),
    (u'j\xfcrgen', u'p\xe4ss', '', base64.b64encode(u'\x00j\xfcrgen\x00p\xe4ss'.encode('utf-8')).decode()),
]


@pytest.mark.parametrize('user, password, authzid, expected', PLAIN)
def test_auth_plain(user, password, authzid, expected):
    assert w.auth_plain_response(user, password, authzid) == expected


def test_auth_login():
    assert w.auth_login_responses('tim', 'tanstaaftanstaaf') == ('dGlt', 'dGFuc3RhYWZ0YW5zdGFhZg==')


CHALLENGES = [
    (b'334 VXNlcm5hbWU6\r\n', 'Username:'),
    (b'334 UGFzc3dvcmQ6\r\n', 'Password:'),
    (b'334 \r\n', ''),
]


@pytest.mark.parametrize('raw, text', CHALLENGES)
def test_decode_challenge(raw, text):
    assert w.decode_challenge(w.parse_reply(raw)) == text


@pytest.mark.parametrize('raw', [b'334 not*base64\r\n', b'235 ok\r\n'])
def test_decode_challenge_rejects(raw):
    with pytest.raises(w.SmtpProtocolError):
        w.decode_challenge(w.parse_reply(raw))


@pytest.mark.parametrize('offered, chosen', [
    (['LOGIN', 'PLAIN'], 'PLAIN'), (['login'], 'LOGIN'), (['CRAM-MD5', 'GSSAPI'], None), ([], None), (None, None)])
def test_choose_mechanism(offered, chosen):
    assert w.choose_mechanism(offered) == chosen


# ---- DATA transparency (RFC 5321 4.5.2) and the test message ------------------------------------

DOT_STUFF = [
    (b'a\r\nb\r\n', b'a\r\nb\r\n.\r\n'),
    (b'.hidden\r\n..two\r\n', b'..hidden\r\n...two\r\n.\r\n'),
    (b'line\nbare lf\n.\n', b'line\r\nbare lf\r\n..\r\n.\r\n'),
    (b'no final newline', b'no final newline\r\n.\r\n'),
]


@pytest.mark.parametrize('payload, expected', DOT_STUFF)
def test_dot_stuff(payload, expected):
    assert w.dot_stuff(payload) == expected


def test_build_message_fixed():
    raw = w.build_message('mve@example.com', ['a@example.com', 'b@example.com'], 'MVE mail test', 'mve01.example.com',
                          date='Wed, 25 Nov 2026 09:00:00 +0000', message_id='<1@mve01.example.com>')
    head, body = raw.split(b'\r\n\r\n', 1)
    assert head.split(b'\r\n')[:6] == [
        b'From: mve@example.com', b'To: a@example.com, b@example.com', b'Subject: MVE mail test',
        b'Date: Wed, 25 Nov 2026 09:00:00 +0000', b'Message-ID: <1@mve01.example.com>',
        b'X-Mailer: printfleet.mve smtp_check']
    assert b'Content-Transfer-Encoding: 7bit' in head
    assert b'sent from mve01.example.com' in body and b'\n' not in body.replace(b'\r\n', b'')


def test_build_message_encodes_subject():
    raw = w.build_message('mve@example.com', ['a@example.com'], u'Pr\xfcfung', 'h.example')
    raw.decode('ascii')
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed['Subject'] == u'Pr\xfcfung'
    assert parsed['Message-ID'].endswith('@h.example>')


# ---- input -------------------------------------------------------------------------------------

def params(**kw):
    p = dict(host='mail.example.com', port=None, timeout=5.0, validate_certs=True, ca_path=None, encryption='starttls',
             username=None, password=None, helo_name='mve01.example.com', mail_from=None, send_to=None, subject=None)
    p.update(kw)
    return p


@pytest.mark.parametrize('encryption, flow', sorted(w.FLOW_IDS.items()))
def test_default_port_from_matrix(encryption, flow):
    assert smtp_check.validate_params(params(encryption=encryption))['port'] == port_matrix.get_flow(flow)['destination_port']


BAD_INPUT = [
    (dict(encryption='tls'), 'encryption: .* expected one of: none, ssl, starttls'),
    (dict(host=' '), 'host:'),
    (dict(timeout=0), 'timeout:'),
    (dict(port=70000), 'port'),
    (dict(helo_name='bad name'), 'helo_name:'),
    (dict(helo_name='x\r\nQUIT'), 'helo_name:'),
    (dict(username='u'), 'username and password'),
    (dict(password='p'), 'username and password'),
    (dict(username='', password='p'), 'username: must not be empty'),
    (dict(send_to=['a@example.com']), 'mail_from: required'),
    (dict(send_to=['not-an-address'], mail_from='m@example.com'), 'send_to:'),
    (dict(send_to=['a@example.com'], mail_from='<m@example.com>'), 'mail_from:'),
    (dict(send_to=['a@example.com>\r\nRCPT TO:<b@example.com'], mail_from='m@example.com'), 'send_to:'),
    (dict(subject='two\r\nlines'), 'subject:'),
]


@pytest.mark.parametrize('override, message', BAD_INPUT)
def test_validate_params_rejects(override, message):
    with pytest.raises(dependency_check.CheckInputError, match=message):
        smtp_check.validate_params(params(**override))


@pytest.mark.parametrize('fqdn, name', [('mve01.corp.example', 'mve01.corp.example'), ('mve01', 'mve01'),
                                        ('', 'localhost'), ('bad_host.example', 'localhost')])
def test_default_helo_name(fqdn, name):
    assert w.default_helo_name(fqdn) == name


def test_validate_params_defaults():
    p = smtp_check.validate_params(params(send_to='a@example.com', mail_from='m@example.com'))
    assert p['send_to'] == ['a@example.com']
    assert p['subject'] == 'printfleet.mve SMTP check from mve01.example.com'
    assert smtp_check.validate_params(params(helo_name='[192.0.2.1]'))['helo_name'] == '[192.0.2.1]'


# ---- the conversation's first actions (what a remote driver must replay) ------------------------

@pytest.mark.parametrize('encryption, first', [
    ('none', ['connect', 'recv']), ('starttls', ['connect', 'recv']), ('ssl', ['connect', 'starttls'])])
def test_conversation_opens(encryption, first):
    conv = w.smtp_conversation(smtp_check.validate_params(params(encryption=encryption, port=2525)))
    actions = [next(conv).as_dict()]
    actions.append(conv.send({'rtt_ms': 0.1, 'peer': '192.0.2.1:2525'}).as_dict())
    assert [a['action'] for a in actions] == first
    assert actions[0] == {'action': 'connect', 'transport': 'tcp', 'host': 'mail.example.com', 'port': 2525}
    if first[1] == 'recv':
        assert actions[1]['framing'] == 'smtp'


# ---- recorded conversations, replayed ----------------------------------------------------------
# Recorded with conversation.LocalDriver against aiosmtpd 1.4.6 (tests/integration/smtp_servers.py, kind
# "plain", encryption none, user mve-mailer). A remote driver must produce exactly these actions; replaying
# the recorded replies must give the same verdict without a network.

_BANNER = b'220 smtp.printfleet.test Python SMTP 1.4.6\r\n'
_EHLO = b'250-smtp.printfleet.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-AUTH LOGIN PLAIN\r\n250 HELP\r\n'
RECORDED = [
    ('good password', 'Sm7p-Pa55!word', [
        ('connect', {'rtt_ms': 0.03, 'peer': '127.0.0.1:2525'}),
        ('recv', _BANNER),
        (b'EHLO mve01.printfleet.test\r\n', None),
        ('recv', _EHLO),
        (b'AUTH PLAIN AG12ZS1tYWlsZXIAU203cC1QYTU1IXdvcmQ=\r\n', None),
        ('recv', b'235 2.7.0 Authentication successful\r\n'),
        (b'QUIT\r\n', None),
        ('recv', b'221 Bye\r\n'),
        ('close', None),
    ], True, None),
    ('wrong password', 'wrong', [
        ('connect', {'rtt_ms': 0.05, 'peer': '127.0.0.1:2525'}),
        ('recv', _BANNER),
        (b'EHLO mve01.printfleet.test\r\n', None),
        ('recv', _EHLO),
        (b'AUTH PLAIN AG12ZS1tYWlsZXIAd3Jvbmc=\r\n', None),
        ('recv', b'535 5.7.8 Authentication credentials invalid\r\n'),
        (b'QUIT\r\n', None),
        ('recv', b'221 Bye\r\n'),
        ('close', None),
    ], False, 535),
]


@pytest.mark.parametrize('name, password, transcript, ok, code', RECORDED, ids=[r[0] for r in RECORDED])
def test_recorded_conversation_replays(name, password, transcript, ok, code):
    conv = w.smtp_conversation(smtp_check.validate_params(params(
        host='127.0.0.1', port=2525, encryption='none', username='mve-mailer', password=password,
        helo_name='mve01.printfleet.test')))
    value = None
    for expected, result in transcript:
        action = conv.send(value)
        if isinstance(expected, bytes):
            assert isinstance(action, conversation.Send) and action.data == expected
        else:
            assert action.as_dict()['action'] == expected
            if expected == 'recv':
                assert action.framing == 'smtp'
        value = result
    with pytest.raises(StopIteration) as stop:
        conv.send(value)
    out = stop.value.value
    assert out['ok'] is ok and out['authenticated'] is ok
    assert (out['server_reply'] or {}).get('code') == code
    assert out['auth_mechanisms'] == ['LOGIN', 'PLAIN'] and out['tls'] is None
    assert any('unencrypted connection' in x for x in out['warnings'])
