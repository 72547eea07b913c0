# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SMTP as Markvision Enterprise uses it (RFC 5321, STARTTLS RFC 3207, AUTH RFC 4954), without sockets.

Two layers, both pure:

* build/parse functions: commands (``build_command``), replies (``parse_reply``, multi-line, enhanced
  status codes RFC 3463), EHLO capabilities (``parse_ehlo``), AUTH PLAIN (RFC 4616) and LOGIN encodings, the
  test message (``build_message``, made with the standard library's ``email`` package) and its DATA
  transparency (``dot_stuff``);
* the conversation ``smtp_conversation(params)``: a generator of conversation actions (see conversation.py)
  that connects, reads the banner, says EHLO, upgrades with STARTTLS or starts with implicit TLS,
  optionally authenticates and sends a test message, and returns the check result. It never falls back to
  plaintext: STARTTLS asked for and not offered is a failure, and AUTH is only sent in the clear when the
  user chose ``encryption: none`` (with a warning).

``smtplib`` is not used for the conversation because it opens its own sockets; the conversation must run
unchanged through a remote driver (the Windows vantage point).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import collections
import re
from email import policy as email_policy
from email import utils as email_utils
from email.message import EmailMessage

from ansible_collections.printfleet.mve.plugins.module_utils.common import tls_facts as tls_facts_mod
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import ProtocolError
from ansible_collections.printfleet.mve.plugins.module_utils.protocols.conversation import (
    Close, Connect, ConnectFailed, ConversationError, FramingError, PeerClosed, ReceiveTimeout, Recv, Send,
    StartTls, TlsFailed, result)

ENCRYPTIONS = ('none', 'ssl', 'starttls')
# Port matrix flow of each encryption: the default port comes from there, never from this file.
FLOW_IDS = {'none': 'smtp.none', 'ssl': 'smtp.ssl', 'starttls': 'smtp.starttls'}
# AUTH mechanisms this check can use, in order of preference (both need TLS to be safe).
SUPPORTED_AUTH = ('PLAIN', 'LOGIN')
EXPIRY_WARNING_DAYS = 30
MAX_SHOWN = 120

_REPLY_LINE = re.compile(r'^([2-5][0-9][0-9])(?:([ -])(.*))?$', re.S)
_ENHANCED = re.compile(r'^([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:\s|$)')
_LABEL = r'[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
_DOMAIN = re.compile(r'^%s(?:\.%s)*\.?$' % (_LABEL, _LABEL))
_ADDRESS_LITERAL = re.compile(r'^\[[A-Za-z0-9:.]+\]$')
_ADDRESS = re.compile(r'^[^\s<>@\x00-\x1f\x7f]+@[^\s<>@\x00-\x1f\x7f]+$')
_FORBIDDEN = re.compile(r'[\r\n\x00]')


class SmtpProtocolError(ProtocolError):
    """Bytes that are not the SMTP reply (or challenge) the conversation expects."""


# ---------------------------------------------------------------------------------------------- replies
class Reply(object):
    """One SMTP reply: ``code`` (int) and the text of each line (without code and separator)."""
    __slots__ = ('code', 'lines')

    def __init__(self, code, lines):
        self.code, self.lines = int(code), list(lines)

    def __eq__(self, other):
        return isinstance(other, Reply) and (self.code, self.lines) == (other.code, other.lines)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self.code, tuple(self.lines)))

    def __repr__(self):
        return 'Reply(%r, %r)' % (self.code, self.lines)

    @property
    def text(self):
        return ' '.join(line.strip() for line in self.lines if line.strip())

    @property
    def enhanced_status(self):
        """The RFC 3463 enhanced status code of the first line (``5.7.8``), or None."""
        m = _ENHANCED.match(self.lines[0]) if self.lines else None
        return m.group(1) if m else None

    def as_dict(self):
        return {'code': self.code, 'enhanced_status': self.enhanced_status, 'text': self.text}

    def __str__(self):
        return ('%d %s' % (self.code, self.text)).strip()


def shown(data):
    """A short printable rendering of received bytes, for reasons (never of anything we sent)."""
    if isinstance(data, bytes):
        data = data.decode('utf-8', 'replace')
    text = ''.join(c if c.isprintable() else ' ' for c in data.strip())
    text = re.sub(r'\s+', ' ', text)
    return repr(text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + '...')


def parse_reply(data):
    """Parse one complete SMTP reply (bytes as framed by the ``smtp`` framing) into a Reply.

    Every line must be ``DDD-text`` (continuation) or ``DDD text`` / ``DDD`` (last), with one code from
    200 to 599 throughout. Raises SmtpProtocolError otherwise.
    """
    if not data:
        raise SmtpProtocolError('an empty reply')
    if isinstance(data, bytes):
        text = data.decode('utf-8', 'replace')
    else:
        text = data
    if not text.endswith('\n'):
        raise SmtpProtocolError('a reply that does not end with a line break: %s' % shown(data))
    raw_lines = text[:-1].split('\n')
    code = None
    lines = []
    for i, raw in enumerate(raw_lines):
        line = raw[:-1] if raw.endswith('\r') else raw
        m = _REPLY_LINE.match(line)
        if not m:
            raise SmtpProtocolError('not an SMTP reply: %s' % shown(data))
        if code is not None and m.group(1) != code:
            raise SmtpProtocolError('a multi-line reply that changes its code (%s then %s): %s'
                                    % (code, m.group(1), shown(data)))
        code = m.group(1)
        last = i == len(raw_lines) - 1
        if (m.group(2) == '-') == last:
            raise SmtpProtocolError('a multi-line reply with misplaced continuation marks: %s' % shown(data))
        lines.append(m.group(3) or '')
    return Reply(int(code), lines)


def parse_ehlo(reply):
    """Capabilities of a 250 EHLO reply (RFC 5321 4.1.1.1).

    Returns a dict: ``greeting`` (first line), ``capabilities`` (the other lines, as sent), ``keywords``
    (upper-case keyword -> list of parameters), ``auth_mechanisms`` (upper case, from ``AUTH`` and the old
    ``AUTH=`` form), ``starttls`` (bool), ``size`` (int or None), ``smtputf8`` (bool).
    """
    if reply.code != 250:
        raise SmtpProtocolError('an EHLO reply must be 250, got %s' % reply)
    capabilities = [line.strip() for line in reply.lines[1:] if line.strip()]
    keywords = collections.OrderedDict()
    mechanisms = []
    for cap in capabilities:
        parts = cap.split()
        keyword = parts[0].upper()
        params = parts[1:]
        if keyword.startswith('AUTH='):  # pre-RFC 4954 servers: "AUTH=LOGIN PLAIN"
            params = [keyword[5:]] + params
            keyword = 'AUTH'
        keywords.setdefault(keyword, []).extend(params)
        if keyword == 'AUTH':
            for mech in params:
                if mech and mech.upper() not in mechanisms:
                    mechanisms.append(mech.upper())
    size = None
    if keywords.get('SIZE'):
        try:
            size = int(keywords['SIZE'][0])
        except ValueError:
            size = None
    return {
        'greeting': reply.lines[0].strip() if reply.lines else '',
        'capabilities': capabilities,
        'keywords': dict(keywords),
        'auth_mechanisms': mechanisms,
        'starttls': 'STARTTLS' in keywords,
        'size': size,
        'smtputf8': 'SMTPUTF8' in keywords,
    }


# --------------------------------------------------------------------------------------------- commands
def build_command(verb, *args):
    """``VERB arg ...`` + CRLF as bytes (UTF-8). Rejects CR, LF and NUL, which would inject commands."""
    pieces = [verb] + [a for a in args if a is not None and a != '']
    for piece in pieces:
        if _FORBIDDEN.search(piece):
            raise ValueError('an SMTP command argument must not contain CR, LF or NUL: %r' % (verb,))
    return (' '.join(pieces) + '\r\n').encode('utf-8')


def ehlo(name):
    return build_command('EHLO', name)


def helo(name):
    return build_command('HELO', name)


def mail_from(address, smtputf8=False):
    return build_command('MAIL', 'FROM:<%s>' % address, 'SMTPUTF8' if smtputf8 else None)


def rcpt_to(address):
    return build_command('RCPT', 'TO:<%s>' % address)


def _b64(data):
    return base64.b64encode(data).decode('ascii')


def _utf8(value):
    return value.encode('utf-8') if not isinstance(value, bytes) else value


def auth_plain_response(username, password, authzid=''):
    """The RFC 4616 PLAIN response, base64: ``authzid NUL authcid NUL passwd`` (UTF-8)."""
    return _b64(_utf8(authzid) + b'\x00' + _utf8(username) + b'\x00' + _utf8(password))


def auth_login_responses(username, password):
    """The two base64 answers of AUTH LOGIN (user name, then password)."""
    return _b64(_utf8(username)), _b64(_utf8(password))


def decode_challenge(reply):
    """The decoded text of a 334 challenge (``Username:`` for AUTH LOGIN); raises SmtpProtocolError."""
    if reply.code != 334:
        raise SmtpProtocolError('an AUTH challenge must be 334, got %s' % reply)
    payload = reply.lines[0].strip() if reply.lines else ''
    try:
        return base64.b64decode(payload.encode('ascii'), validate=True).decode('utf-8', 'replace')
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise SmtpProtocolError('an AUTH challenge that is not base64: %s' % shown(payload))


def choose_mechanism(offered):
    """The first of SUPPORTED_AUTH that the server offers, or None."""
    offered = [m.upper() for m in offered or []]
    for mech in SUPPORTED_AUTH:
        if mech in offered:
            return mech
    return None


# ---------------------------------------------------------------------------------------------- message
def build_message(sender, recipients, subject, helo_name, date=None, message_id=None):
    """The test message as bytes with CRLF line ends (RFC 5322, made by ``email.message.EmailMessage``)."""
    msg = EmailMessage(policy=email_policy.SMTP)
    msg['From'] = sender
    msg['To'] = ', '.join(recipients)
    msg['Subject'] = subject
    msg['Date'] = date or email_utils.formatdate(usegmt=True)
    msg['Message-ID'] = message_id or email_utils.make_msgid('printfleet-mve', domain=helo_name.strip('[]') or None)
    msg['X-Mailer'] = 'printfleet.mve smtp_check'
    msg.set_content('This is a test message from the printfleet.mve smtp_check module,\n'
                    'sent from %s to prove that Markvision Enterprise\n'
                    'can deliver its e-mail through this server. No action is needed.\n' % helo_name, cte='7bit')
    return msg.as_bytes(policy=email_policy.SMTP.clone(utf8=any(not _is_ascii(a) for a in [sender] + recipients)))


def _is_ascii(value):
    try:
        value.encode('ascii')
    except UnicodeEncodeError:
        return False
    return True


def dot_stuff(payload):
    """DATA transparency (RFC 5321 4.5.2): CRLF line ends, a leading dot doubled, then ``CRLF.CRLF``."""
    lines = payload.replace(b'\r\n', b'\n').replace(b'\r', b'\n').split(b'\n')
    if lines and lines[-1] == b'':
        lines.pop()
    body = b''.join((b'.' + line if line.startswith(b'.') else line) + b'\r\n' for line in lines)
    return body + b'.\r\n'


# ------------------------------------------------------------------------------------------------ input
def default_helo_name(fqdn):
    """The name to say EHLO with: the host's FQDN when it is a valid domain, else ``localhost``."""
    return fqdn if fqdn and _DOMAIN.match(fqdn) else 'localhost'


def is_mailbox(value):
    """True for an e-mail address as the envelope carries it (user@example.com: no spaces or angle brackets)."""
    return isinstance(value, str) and bool(_ADDRESS.match(value))


def is_helo_name(value):
    """True for a name EHLO may carry: a domain name, or an address literal such as [192.0.2.1]."""
    return bool(_DOMAIN.match(value) or _ADDRESS_LITERAL.match(value))


def is_one_line(text):
    """True when ``text`` has no CR, LF or NUL (a header value, a command argument)."""
    return not _FORBIDDEN.search(text)


# ------------------------------------------------------------------------------------------ conversation
class _Verdict(Exception):
    """Ends the conversation with ok=false at ``stage``."""

    def __init__(self, stage, reason, reply=None, polite=True):
        super(_Verdict, self).__init__(reason)
        self.stage, self.reason, self.reply = stage, reason, reply
        # polite: the server speaks SMTP, so say QUIT before closing (not to a peer that sends garbage)
        self.polite = polite


def _initial_facts(p):
    return {
        'host': p['host'],
        'port': p['port'],
        'encryption': p['encryption'],
        'helo_name': p['helo_name'],
        'banner': None,
        'esmtp': False,
        'capabilities': [],
        'capabilities_after_tls': None,
        'starttls_offered': False,
        'auth_mechanisms': [],
        'authenticated': None,
        'message_sent': False,
        'tls': None,
        'failed_stage': None,
        'server_reply': None,
        'warnings': [],
    }


def _exchange(stage, data):
    """Send ``data`` (if any) and read one reply; yields actions, returns the parsed Reply."""
    if data is not None:
        yield Send(data)
    raw = yield Recv('smtp')
    try:
        return parse_reply(raw)
    except SmtpProtocolError as exc:
        raise _Verdict(stage, 'The %s is not SMTP: the server sent %s.' % (_STAGE_TEXT[stage], exc), polite=False)


_STAGE_TEXT = {
    'connect': 'connection',
    'tls': 'TLS handshake',
    'banner': 'greeting (banner)',
    'ehlo': 'reply to EHLO',
    'helo': 'reply to HELO',
    'starttls': 'reply to STARTTLS',
    'ehlo_after_tls': 'reply to EHLO after STARTTLS',
    'auth': 'reply to AUTH',
    'mail': 'reply to MAIL FROM',
    'rcpt': 'reply to RCPT TO',
    'data': 'reply to DATA',
}


def _tls_handshake(p, facts, stage):
    """Yield StartTls; record the facts; warn when the certificate is close to expiry."""
    tls = yield StartTls(p['host'])
    facts['tls'] = tls
    days = tls.get('days_left')
    if days is not None and 0 <= days <= EXPIRY_WARNING_DAYS:
        facts['warnings'].append('The server certificate expires in %d days (%s).' % (days, tls.get('not_after')))
    return tls


def _say_hello(p, facts, stage):
    """EHLO (HELO when EHLO is refused and ESMTP is not needed); returns the parsed EHLO dict or None."""
    reply = yield from _exchange(stage, ehlo(p['helo_name']))
    if reply.code == 250:
        return parse_ehlo(reply)
    if stage == 'ehlo' and reply.code in (500, 502, 504, 550) and p['encryption'] != 'starttls' and not p.get('username'):
        reply = yield from _exchange('helo', helo(p['helo_name']))
        if reply.code == 250:
            return None
        raise _Verdict('helo', 'The server refused both EHLO and HELO: %s.' % reply, reply)
    if reply.code in (500, 502, 504, 550) and stage == 'ehlo':
        needs = 'STARTTLS' if p['encryption'] == 'starttls' else 'AUTH'
        raise _Verdict(stage, 'The server refused EHLO (%s): without ESMTP it cannot offer %s.' % (reply, needs), reply)
    raise _Verdict(stage, 'The server refused EHLO %s: %s.' % (p['helo_name'], reply), reply)


def _authenticate(p, facts, mechanisms, encrypted):
    if not mechanisms:
        raise _Verdict('auth', 'The server does not offer AUTH%s, so the credentials cannot be checked.'
                       % (' after TLS' if encrypted else ''))
    mech = choose_mechanism(mechanisms)
    if mech is None:
        raise _Verdict('auth', 'The server offers no AUTH mechanism this check supports (offered: %s; supported: %s).'
                       % (', '.join(mechanisms), ', '.join(SUPPORTED_AUTH)))
    if not encrypted:
        facts['warnings'].append('The password was sent over an unencrypted connection (encryption: none), as MVE '
                                 'would send it with this configuration%s.'
                                 % ('; the server offers STARTTLS: consider encryption starttls'
                                    if facts['starttls_offered'] else ''))
    facts['auth_mechanism'] = mech
    if mech == 'PLAIN':
        reply = yield from _exchange('auth', build_command('AUTH', 'PLAIN', auth_plain_response(p['username'], p['password'])))
        if reply.code == 334:  # a server that does not take the initial response asks for it
            reply = yield from _exchange('auth', build_command(auth_plain_response(p['username'], p['password'])))
    else:
        user_b64, pass_b64 = auth_login_responses(p['username'], p['password'])
        reply = yield from _exchange('auth', build_command('AUTH', 'LOGIN'))
        if reply.code == 334:
            decode_challenge(reply)
            reply = yield from _exchange('auth', build_command(user_b64))
        if reply.code == 334:
            decode_challenge(reply)
            reply = yield from _exchange('auth', build_command(pass_b64))
    if reply.code == 235:
        facts['authenticated'] = True
        return
    facts['authenticated'] = False
    if reply.code == 535:
        what = 'rejected the credentials (wrong user name or password)'
    elif reply.code in (534, 538):
        what = 'refused this mechanism or wants a stronger one'
    elif reply.code == 454:
        what = 'could not check the credentials now (temporary failure)'
    else:
        what = 'did not accept the authentication'
    raise _Verdict('auth', 'AUTH %s failed: the server %s: %s.' % (mech, what, reply), reply)


def _send_test_message(p, facts, ehlo_facts):
    addresses = [p['mail_from']] + p['send_to']
    utf8 = any(not _is_ascii(a) for a in addresses)
    if utf8 and not (ehlo_facts and ehlo_facts['smtputf8']):
        raise _Verdict('mail', 'The addresses are not ASCII and the server does not offer SMTPUTF8.')
    reply = yield from _exchange('mail', mail_from(p['mail_from'], smtputf8=utf8))
    if reply.code != 250:
        hint = ' (the server requires authentication: give username and password)' if reply.code == 530 else ''
        raise _Verdict('mail', 'The server refused the sender %s: %s%s.' % (p['mail_from'], reply, hint), reply)
    refused = []
    recipients = []
    for address in p['send_to']:
        reply = yield from _exchange('rcpt', rcpt_to(address))
        recipients.append(dict(reply.as_dict(), address=address, accepted=reply.code in (250, 251)))
        if reply.code not in (250, 251):
            refused.append((address, reply))
    facts['recipients'] = recipients
    if refused:
        yield from _exchange('rcpt', build_command('RSET'))
        address, reply = refused[0]
        raise _Verdict('rcpt', 'The server refused the recipient %s: %s; no message was sent.' % (address, reply), reply)
    if p.get('dry_run'):
        # Check mode: the server accepted the sender and every recipient; stop before DATA, send nothing.
        yield from _exchange('rcpt', build_command('RSET'))
        facts['message_sent'] = False
        facts['message_skipped'] = 'check mode: sender and recipients accepted, no message sent'
        return
    reply = yield from _exchange('data', build_command('DATA'))
    if reply.code != 354:
        raise _Verdict('data', 'The server refused DATA: %s.' % reply, reply)
    message = build_message(p['mail_from'], p['send_to'], p['subject'], p['helo_name'])
    # once: a replaying remote driver must never hand the message over twice.
    yield Send(dot_stuff(message), once=True)
    reply = yield from _exchange('data', None)
    if reply.code != 250:
        raise _Verdict('data', 'The server did not accept the test message: %s.' % reply, reply)
    facts['message_sent'] = True
    facts['queue_reply'] = reply.text


def _session(p, facts):
    encryption = p['encryption']
    facts['failed_stage'] = 'connect'
    yield Connect('tcp', p['host'], p['port'])
    if encryption == 'ssl':
        facts['failed_stage'] = 'tls'
        yield from _tls_handshake(p, facts, 'tls')
    facts['failed_stage'] = 'banner'
    banner = yield from _exchange('banner', None)
    facts['banner'] = str(banner)
    if banner.code == 554:
        raise _Verdict('banner', 'The server refuses the connection: %s.' % banner, banner)
    if banner.code != 220:
        raise _Verdict('banner', 'The greeting is not 220 (service ready): %s.' % banner, banner)
    facts['failed_stage'] = 'ehlo'
    first = yield from _say_hello(p, facts, 'ehlo')
    last = first
    encrypted = encryption == 'ssl'
    if first is not None:
        facts['esmtp'] = True
        facts['capabilities'] = first['capabilities']
        facts['starttls_offered'] = first['starttls']
        facts['auth_mechanisms'] = first['auth_mechanisms']
        if encryption == 'ssl':
            facts['capabilities_after_tls'] = first['capabilities']
    if encryption == 'starttls':
        facts['failed_stage'] = 'starttls'
        if not first['starttls']:
            raise _Verdict('starttls', 'The server does not offer STARTTLS (its EHLO reply lists: %s); '
                           'this check never falls back to plaintext.' % (', '.join(first['capabilities']) or 'nothing'))
        reply = yield from _exchange('starttls', build_command('STARTTLS'))
        if reply.code != 220:
            raise _Verdict('starttls', 'The server offers STARTTLS but refused it: %s.' % reply, reply)
        facts['failed_stage'] = 'tls'
        yield from _tls_handshake(p, facts, 'tls')
        encrypted = True
        facts['failed_stage'] = 'ehlo_after_tls'
        last = yield from _say_hello(p, facts, 'ehlo_after_tls')
        facts['capabilities_after_tls'] = last['capabilities']
        facts['auth_mechanisms'] = last['auth_mechanisms']
    if p.get('username') is not None:
        facts['failed_stage'] = 'auth'
        yield from _authenticate(p, facts, facts['auth_mechanisms'], encrypted)
    if p['send_to']:
        facts['failed_stage'] = 'mail'
        yield from _send_test_message(p, facts, last)
    facts['failed_stage'] = None
    yield from _quit()


def _quit():
    try:
        yield Send(build_command('QUIT'))
        yield Recv('smtp')
    except ConversationError:
        pass  # the verdict is made; a server that drops the line at QUIT is fine


def _summary(p, facts):
    parts = ['The SMTP server %s:%s answered %s' % (p['host'], p['port'], 'ESMTP' if facts['esmtp'] else 'SMTP (HELO only)')]
    tls = facts['tls']
    if tls:
        how = 'with implicit TLS' if p['encryption'] == 'ssl' else 'after STARTTLS'
        parts.append('%s %s (%s)' % (how, tls.get('version'), 'certificate validated' if tls.get('validated')
                                     else 'certificate NOT verified: validate_certs is false'))
    else:
        parts.append('without TLS (encryption: none)')
    if facts['authenticated']:
        parts.append('authenticated with %s' % facts.get('auth_mechanism'))
    if facts['message_sent']:
        parts.append('and accepted the test message for %s' % ', '.join(p['send_to']))
    return ', '.join(parts) + '.'


def _connect_reason(exc, p):
    return 'The SMTP server cannot be reached: %s.' % (str(exc).rstrip('.'),)


def _tls_reason(exc, p):
    text = str(exc).rstrip('.')
    hint = ''
    if 'wrong version number' in text.lower() or 'wrong_version_number' in text.lower():
        hint = (' (the port answered in plaintext: it may be plain SMTP or STARTTLS; try encryption none or starttls)'
                if p['encryption'] == 'ssl' else '')
    how = 'implicit TLS (encryption: ssl)' if p['encryption'] == 'ssl' else 'STARTTLS'
    return 'TLS with %s:%s by %s failed: %s%s.' % (p['host'], p['port'], how, text, hint)


def _io_reason(exc, stage, p):
    what = _STAGE_TEXT.get(stage, stage)
    if isinstance(exc, ReceiveTimeout):
        hint = ''
        if stage == 'banner' and p['encryption'] != 'ssl':
            hint = ' (not an SMTP server, an overloaded one, or a port that expects implicit TLS: try encryption ssl)'
        return 'Connected to %s:%s, but no complete %s came: %s%s.' % (
            p['host'], p['port'], what, str(exc).rstrip('.'), hint)
    if isinstance(exc, PeerClosed):
        partial = ' after sending %s' % shown(exc.partial) if exc.partial else ''
        return 'The server %s:%s closed the connection instead of the %s%s.' % (p['host'], p['port'], what, partial)
    if isinstance(exc, FramingError):
        return 'The %s is not SMTP: %s.' % (what, str(exc).rstrip('.'))
    return 'The conversation with %s:%s failed at the %s: %s.' % (p['host'], p['port'], what, str(exc).rstrip('.'))


def smtp_conversation(params):
    """The SMTP check as a conversation generator; returns conversation.result(...).

    ``params``: the smtp_check options as checks/smtp.py's ``validate_params`` returns them (port resolved,
    ``helo_name`` the local FQDN, ``send_to`` a list, ``subject`` set).
    """
    p = params
    facts = _initial_facts(p)
    reason = None
    polite = False
    try:
        yield from _session(p, facts)
    except _Verdict as verdict:
        facts['failed_stage'] = verdict.stage
        facts['server_reply'] = verdict.reply.as_dict() if verdict.reply is not None else None
        reason = verdict.reason
        polite = verdict.polite
    except SmtpProtocolError as exc:
        reason = 'The server does not speak SMTP as expected at the %s: %s.' % (
            _STAGE_TEXT.get(facts['failed_stage'], facts['failed_stage']), str(exc).rstrip('.'))
    except ConnectFailed as exc:
        facts['connect_error'] = exc.kind
        reason = _connect_reason(exc, p)
    except TlsFailed as exc:
        facts['failed_stage'] = 'tls'
        facts['tls'] = exc.facts or tls_facts_mod.tls_facts(validated=False, validation_error=str(exc))
        reason = _tls_reason(exc, p)
    except ConversationError as exc:
        reason = _io_reason(exc, facts['failed_stage'], p)
    if reason is not None:
        if polite:
            yield from _quit()
        try:
            yield Close()
        except ConversationError:
            pass
        return result(False, reason, **facts)
    yield Close()
    return result(True, _summary(p, facts), **facts)
