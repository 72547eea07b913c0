# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real SMTP servers (aiosmtpd): STARTTLS, implicit TLS, plain, no STARTTLS, AUTH PLAIN/LOGIN.

Each server runs in a thread of the calling process on a socket bound before aiosmtpd starts (port 0: the
kernel picks, so there is no race for the port; or a fixed port such as the port matrix's). The tests run them
in the pytest process; the lab runs them in its mail daemon (lab/mail_sim.py). A server that cannot start raises
ServerError with aiosmtpd's log.
"""

from __future__ import absolute_import, division, print_function

import collections
import logging
import socket
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from lab.servers import LOCALHOST, ServerError

HOST = LOCALHOST
SERVER_NAME = 'smtp.printfleet.test'
USER = 'mve-mailer'
PASSWORD = 'Sm7p-Pa55!word'
REFUSED_RECIPIENT = 'nobody@printfleet.test'
KINDS = ('starttls', 'ssl', 'ssl-login', 'plain', 'nostarttls')


class LogCapture(logging.Handler):
    """Keeps aiosmtpd's last log lines, for failure messages."""

    def __init__(self, keep=2000):
        super(LogCapture, self).__init__(logging.DEBUG)
        self.lines = collections.deque(maxlen=keep)

    def emit(self, record):
        self.lines.append(self.format(record))

    def tail(self, n=40):
        return '\n'.join(list(self.lines)[-n:])


class RecordingHandler(object):
    """aiosmtpd handler: refuses ``refused`` as a recipient, keeps every message it is given."""

    def __init__(self, refused=REFUSED_RECIPIENT):
        self.refused = refused.lower()
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() == self.refused:
            return '550 5.1.1 <%s>: Recipient address rejected: no such user' % address
        envelope.rcpt_tos.append(address)
        return '250 2.1.5 OK'

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({'mail_from': envelope.mail_from, 'rcpt_tos': list(envelope.rcpt_tos),
                              'content': envelope.original_content or envelope.content,
                              'authenticated': bool(session.authenticated)})
        return '250 2.0.0 Ok: queued as PFTEST%d' % len(self.messages)


class Authenticator(object):
    """aiosmtpd authenticator: PLAIN or LOGIN with one user and password."""

    def __init__(self, user=USER, password=PASSWORD):
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (mechanism in ('PLAIN', 'LOGIN') and auth_data.login == self.user
              and auth_data.password == self.password)
        return AuthResult(success=ok, handled=False)


class BoundController(Controller):
    """aiosmtpd's threaded Controller on a socket bound beforehand."""

    def __init__(self, handler, sock, **kwargs):
        self._bound = sock
        host, port = sock.getsockname()[:2]
        super(BoundController, self).__init__(handler, hostname=host, port=port, **kwargs)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._bound, ssl=self.ssl_context)


def server_context(cert_path, key_path):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx


def controller_options(kind, cert_path=None, key_path=None, server_name=SERVER_NAME, user=USER, password=PASSWORD):
    """aiosmtpd Controller options for a kind of server.

    starttls: STARTTLS required, AUTH after TLS, authentication required to send; ssl: implicit TLS, AUTH;
    ssl-login: implicit TLS offering AUTH LOGIN only; plain: no TLS, AUTH offered in the clear;
    nostarttls: no TLS, no AUTH.
    """
    kwargs = {'server_hostname': server_name, 'ready_timeout': 10.0}
    auth = Authenticator(user, password)
    if kind == 'starttls':
        kwargs.update(tls_context=server_context(cert_path, key_path), require_starttls=True, authenticator=auth,
                      auth_required=True)
    elif kind == 'ssl':
        kwargs.update(ssl_context=server_context(cert_path, key_path), authenticator=auth, auth_require_tls=False)
    elif kind == 'ssl-login':
        kwargs.update(ssl_context=server_context(cert_path, key_path), authenticator=auth, auth_require_tls=False,
                      auth_exclude_mechanism=['PLAIN'])
    elif kind == 'plain':
        kwargs.update(authenticator=auth, auth_require_tls=False)
    elif kind != 'nostarttls':
        raise ValueError(kind)
    return kwargs


class SmtpServer(object):
    """One running aiosmtpd server: ``host``, ``port``, ``messages`` (what it was given), ``stop()``."""

    def __init__(self, name, controller, handler, log):
        self.name, self.controller, self.handler, self.log = name, controller, handler, log
        self.host, self.port = controller.hostname, controller.port

    @property
    def messages(self):
        return self.handler.messages

    def stop(self):
        self.controller.stop()


class SmtpServers(object):
    """Starts aiosmtpd servers on ``host`` (cached by name) and stops them all at the end.

    ``cert_source(cert)`` returns (cert_path, key_path) for a certificate name; the tests map names such as
    ``good`` or ``expired`` to their PKI, the lab has one certificate.
    """

    def __init__(self, cert_source=None, host=HOST, server_name=SERVER_NAME, user=USER, password=PASSWORD,
                 refused=REFUSED_RECIPIENT):
        self.cert_source = cert_source
        self.host, self.server_name, self.user, self.password, self.refused = host, server_name, user, password, refused
        self.servers = {}
        self.log = LogCapture()
        self.log.setFormatter(logging.Formatter('%(asctime)s %(name)s %(levelname)s %(message)s'))
        logger = logging.getLogger('mail.log')
        logger.addHandler(self.log)
        logger.setLevel(logging.DEBUG)

    def smtp(self, kind, cert='good', port=0):
        """The server of ``kind`` (see controller_options) with certificate ``cert``, started on first use."""
        key = (kind, cert)
        if key in self.servers:
            return self.servers[key]
        cert_path, key_path = self.cert_source(cert) if kind in ('starttls', 'ssl', 'ssl-login') else (None, None)
        kwargs = controller_options(kind, cert_path, key_path, self.server_name, self.user, self.password)
        handler = RecordingHandler(self.refused)
        sock = socket.socket()
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, port))
            sock.listen(16)
            controller = BoundController(handler, sock, **kwargs)
            controller.start()
        except Exception as exc:  # the server could not start: say why, with its log
            sock.close()
            raise ServerError('aiosmtpd (%s, %s certificate) did not start on %s:%s: %r\n%s'
                              % (kind, cert, self.host, port, exc, self.log.tail()))
        server = SmtpServer('%s-%s' % key, controller, handler, self.log)
        self.servers[key] = server
        return server

    def stop(self):
        for server in self.servers.values():
            server.stop()
        logging.getLogger('mail.log').removeHandler(self.log)
