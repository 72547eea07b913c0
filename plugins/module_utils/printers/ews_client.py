# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTPS to a printer's embedded web server with the standard library: one session (cookies), redirects followed
on the same printer, and TLS either validated (system store or ``ca_path``, conversation.client_context) or
pinned to a SHA-256 certificate fingerprint (then chain validation is not needed: the pin is the trust).

The I/O only: what to request and how to read the pages is ews_ports' business.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import http.client as http_client
import re
import socket
import ssl
from urllib.parse import urlencode, urljoin, urlsplit

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import InputError
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation
from ansible_collections.printfleet.mve.plugins.module_utils.common import tls_facts
from ansible_collections.printfleet.mve.plugins.module_utils.printers.ews_pages import EwsError

REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 8
MAX_BODY = 4 * 1024 * 1024
_HEX = re.compile(r'^[0-9a-f]{64}$')


def normalize_fingerprint(value):
    """A SHA-256 fingerprint as 64 lowercase hex digits (colons, spaces and case ignored); EwsError otherwise."""
    if value is None:
        return None
    clean = re.sub(r'[\s:]', '', str(value)).lower()
    if clean.startswith('sha256/') or clean.startswith('sha256='):
        clean = clean[7:]
    if not _HEX.match(clean):
        raise EwsError('invalid_option', 'expected a SHA-256 fingerprint (64 hex digits, with or without '
                       'colons), got %d hex digits' % len(re.sub(r'[^0-9a-f]', '', clean)), field='fingerprint')
    return clean


def colon_hex(hexstr):
    return ':'.join(hexstr[i:i + 2] for i in range(0, len(hexstr), 2)).upper()


def validating_context(validate_certs, ca_path):
    """The TLS context that validates a printer's certificate (system store or ``ca_path``) or, with
    ``validate_certs`` false, does not; EwsError(invalid_option) naming ``ca_path`` when it cannot be loaded."""
    try:
        return conversation.client_context(validate_certs, ca_path)
    except InputError as exc:
        raise EwsError('invalid_option', exc.message, field=exc.field)


class Page(object):
    def __init__(self, status, url, headers, body):
        self.status, self.url, self.headers, self.body = status, url, headers, body

    @property
    def path(self):
        parts = urlsplit(self.url)
        return parts.path + ('?' + parts.query if parts.query else '')


class _Connection(http_client.HTTPSConnection):
    """HTTPSConnection that records the peer certificate and enforces a pin right after the handshake."""

    def __init__(self, host, port, timeout, context, pin):
        http_client.HTTPSConnection.__init__(self, host, port, timeout=timeout, context=context)
        self.pin = pin
        self.peer = None

    def connect(self):
        http_client.HTTPSConnection.connect(self)
        der = self.sock.getpeercert(binary_form=True)
        suite = (self.sock.cipher() or (None,))[0]
        self.peer = {'fingerprint_sha256': hashlib.sha256(der).hexdigest(), 'version': self.sock.version(),
                     'cipher': tls_facts.cipher_name(suite), 'cipher_suite': suite}
        if self.pin and self.peer['fingerprint_sha256'] != self.pin:
            self.close()
            raise EwsError('tls_pin_mismatch', 'TLS pin mismatch: %s:%s presents a certificate with SHA-256 fingerprint '
                           '%s, the fingerprint option pins %s; nothing was sent'
                           % (self.host, self.port, colon_hex(self.peer['fingerprint_sha256']), colon_hex(self.pin)),
                           fingerprint_sha256=self.peer['fingerprint_sha256'])


class EwsClient(object):
    """A session with one printer's embedded web server."""

    def __init__(self, host, port, timeout=10.0, validate_certs=True, ca_path=None, fingerprint=None, context=None):
        """``context``: a validating context made by ``validating_context`` with the same options, shared by the
        clients of a fleet (loading the CA store once); not used when a fingerprint is pinned."""
        self.host, self.port, self.timeout = host, int(port), float(timeout)
        self.pin = normalize_fingerprint(fingerprint)
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        if self.pin:
            # The pin replaces chain and name validation: a printer's self-signed certificate is the usual case.
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        else:
            ctx = context or validating_context(validate_certs, ca_path)
        self.context = ctx
        self.cookies = {}
        self.tls = None
        self.requests = 0
        host_part = '[%s]' % host if ':' in host else host
        self.base = 'https://%s:%d/' % (host_part, self.port)

    def url(self, path):
        return urljoin(self.base, path)

    def _same_printer(self, url):
        parts = urlsplit(url)
        return parts.scheme == 'https' and (parts.hostname or '').lower() == self.host.lower().strip('[]') \
            and (parts.port or http_client.HTTPS_PORT) == self.port

    def _unverified_fingerprint(self):
        try:
            raw = socket.create_connection((self.host, self.port), timeout=self.timeout)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            with ctx.wrap_socket(raw, server_hostname=self.host) as tls:
                return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()
        except (OSError, ssl.SSLError):
            return None

    def _once(self, method, url, body=None):
        parts = urlsplit(url)
        path = (parts.path or '/') + ('?' + parts.query if parts.query else '')
        conn = _Connection(self.host, self.port, self.timeout, self.context, self.pin)
        headers = {'Host': parts.netloc, 'User-Agent': 'printfleet.mve printer_port_access',
                   'Accept': 'text/html', 'Connection': 'close'}
        if self.cookies:
            headers['Cookie'] = '; '.join('%s=%s' % kv for kv in sorted(self.cookies.items()))
        if body is not None:
            headers['Content-Type'] = 'application/x-www-form-urlencoded'
        self.requests += 1
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read(MAX_BODY + 1)
            self.tls = dict(conn.peer or {}, validated=bool(self.validate_certs and not self.pin),
                            pinned=bool(self.pin))
            return resp.status, resp.msg, data[:MAX_BODY]
        except ssl.SSLCertVerificationError as exc:
            seen = self._unverified_fingerprint()
            hint = (' The printer presents a certificate with SHA-256 fingerprint %s: give ca_path (the CA that '
                    'signed it) or pin it with fingerprint.' % colon_hex(seen)) if seen else ''
            raise EwsError('certificate_invalid', 'TLS to %s:%d: %s.%s' % (self.host, self.port,
                                                                           tls_facts.verify_error_text(exc), hint),
                           fingerprint_sha256=seen)
        except ssl.SSLError as exc:
            raise EwsError('tls_failed', 'TLS handshake with %s:%d failed: %s' % (
                self.host, self.port, getattr(exc, 'reason', None) or exc))
        except socket.timeout:
            raise EwsError('timeout', 'no answer from https://%s:%d within %.1f s'
                           % (self.host, self.port, self.timeout))
        except ConnectionRefusedError:
            raise EwsError('unreachable', 'connection to %s:%d refused: the printer does not serve HTTPS there'
                           % (self.host, self.port))
        except ConnectionResetError:
            if conn.peer is None:   # no handshake yet: the printer's TLS broke off, the host is reachable
                raise EwsError('tls_failed', 'TLS handshake with %s:%d failed: the printer reset the connection in '
                               'the middle of the handshake' % (self.host, self.port))
            raise EwsError('unreachable', 'HTTPS to %s:%d failed: the printer reset the connection'
                           % (self.host, self.port))
        except socket.gaierror as exc:
            raise EwsError('unreachable', 'cannot resolve %s: %s' % (self.host, exc.strerror or exc))
        except (OSError, http_client.HTTPException) as exc:
            raise EwsError('unreachable', 'HTTPS to %s:%d failed: %s' % (self.host, self.port,
                                                                         getattr(exc, 'strerror', None) or exc))
        finally:
            conn.close()

    def _keep_cookies(self, headers):
        for line in headers.get_all('Set-Cookie') or []:
            first = line.split(';', 1)[0]
            if '=' not in first:
                continue
            name, value = [x.strip() for x in first.split('=', 1)]
            attrs = line.lower()
            if not value or 'max-age=0' in attrs or 'expires=thu, 01 jan 1970' in attrs:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def request(self, method, path_or_url, fields=None, follow=True):
        """Send a request (``fields``: (name, value) pairs, form-encoded) and, with ``follow``, follow redirects
        on the same printer; returns the final Page."""
        url = self.url(path_or_url)
        body = urlencode(fields or [], doseq=False) if fields is not None else None
        for dummy in range(MAX_REDIRECTS + 1):
            status, headers, data = self._once(method, url, body)
            self._keep_cookies(headers)
            if status not in REDIRECTS or not follow:
                return Page(status, url, headers, data)
            location = headers.get('Location')
            if not location:
                return Page(status, url, headers, data)
            target = urljoin(url, location)
            if not self._same_printer(target):
                raise EwsError('unexpected_redirect', 'https://%s:%d redirected to %s, off this printer: not followed'
                               % (self.host, self.port, target.split('?', 1)[0]))
            url = target
            if status in (301, 302, 303) and method != 'GET':
                method, body = 'GET', None
        raise EwsError('unexpected_redirect', 'more than %d redirects from %s' % (MAX_REDIRECTS, path_or_url))
