# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts about a TLS endpoint from its DER certificate, no sockets.

The key names (``version``, ``subject``, ``issuer``, ``san``, ``not_after``,
``days_left``, ``validated``, ``validation_error``, ``cipher``) are the
collection's vocabulary for every TLS check: HTTPS here, and later the
database, SMTP and LDAP checks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import traceback

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import ProtocolError

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
except ImportError:  # pragma: no cover - exercised via HAS_CRYPTOGRAPHY in the module
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

TLS_FACT_KEYS = ('version', 'cipher', 'cipher_suite', 'subject', 'issuer', 'san', 'not_before', 'not_after', 'days_left',
                 'validated', 'validation_error', 'fingerprint_sha256')

_UTC = datetime.timezone.utc
_DAY = 86400


class TlsFactsError(ProtocolError):
    """A certificate that cannot be parsed (kind ``dependency`` without cryptography)."""


def _utc(cert, attr):
    # cryptography >= 42 has the timezone-aware *_utc properties; older ones return naive UTC.
    value = getattr(cert, attr + '_utc', None)
    if value is None:
        value = getattr(cert, attr).replace(tzinfo=_UTC)
    return value


def _iso(moment):
    return moment.astimezone(_UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


def _san(cert):
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    names = [str(n) for n in ext.get_values_for_type(x509.DNSName)]
    names.extend(str(ip) for ip in ext.get_values_for_type(x509.IPAddress))
    return names


def days_left(not_after, now=None):
    """Whole days from ``now`` to ``not_after`` (floor), negative once expired."""
    now = now or datetime.datetime.now(_UTC)
    seconds = (not_after - now).total_seconds()
    return int(seconds // _DAY)


def certificate_facts(der, now=None):
    """Facts of one DER certificate: subject, issuer, san, not_before, not_after, days_left, fingerprint."""
    if not HAS_CRYPTOGRAPHY:
        raise TlsFactsError('cryptography is required for TLS facts: %s'
                            % CRYPTOGRAPHY_IMPORT_ERROR.strip().splitlines()[-1], kind='dependency')
    try:
        cert = x509.load_der_x509_certificate(bytes(der))
    except (ValueError, TypeError) as exc:
        raise TlsFactsError('not a DER certificate: %s' % (exc,))
    not_after = _utc(cert, 'not_valid_after')
    not_before = _utc(cert, 'not_valid_before')
    return {
        'subject': cert.subject.rfc4514_string(),
        'issuer': cert.issuer.rfc4514_string(),
        'san': _san(cert),
        'not_before': _iso(not_before),
        'not_after': _iso(not_after),
        'days_left': days_left(not_after, now),
        'fingerprint_sha256': cert.fingerprint(hashes.SHA256()).hex(),
    }


def tls_facts(der=None, version=None, cipher=None, validated=False, validation_error=None, now=None):
    """The full TLS facts dict (every key of TLS_FACT_KEYS).

    ``der`` may be None (no certificate seen); ``cipher`` is the cipher suite name or
    the tuple that ``ssl.SSLObject.cipher()`` returns, or a dict ``{'cipher', 'cipher_suite'}``
    already named (the Windows vantage point, see dotnet_cipher).
    """
    if isinstance(cipher, dict):
        suite, cipher = cipher.get('cipher_suite'), cipher.get('cipher')
    else:
        suite = (cipher[0] if cipher else None) if isinstance(cipher, (tuple, list)) else cipher
        cipher = cipher_name(suite)
    facts = dict((key, None) for key in TLS_FACT_KEYS)
    facts['san'] = []
    if der:
        facts.update(certificate_facts(der, now=now))
    facts.update({
        'version': version,
        'cipher': cipher,
        'cipher_suite': suite,
        'validated': bool(validated),
        'validation_error': None if validated else validation_error,
    })
    return facts


def verify_error_text(exc):
    """One readable sentence for an ``ssl.SSLCertVerificationError`` (or any SSL error)."""
    message = getattr(exc, 'verify_message', None) or getattr(exc, 'reason', None) or str(exc)
    code = getattr(exc, 'verify_code', None)
    if code:
        return 'certificate verify failed: %s (X509 error %s)' % (message, code)
    return 'certificate verify failed: %s' % (message,)


# The bulk cipher and its key size, named the same from every vantage point: Python's ssl reports the suite
# (OpenSSL or IANA name), .NET Framework's SslStream only the algorithm and its strength (it has no API for the
# negotiated suite). ``cipher`` is what both can say; ``cipher_suite`` is the suite where the vantage point
# knows it (Linux and the controller), None from Windows.
_SUITE_CIPHERS = (
    ('CHACHA20', 'CHACHA20-256'), ('AES_256', 'AES-256'), ('AES256', 'AES-256'), ('AES_128', 'AES-128'),
    ('AES128', 'AES-128'), ('CAMELLIA256', 'CAMELLIA-256'), ('CAMELLIA128', 'CAMELLIA-128'),
    ('3DES', '3DES-168'), ('DES-CBC3', '3DES-168'), ('DES_EDE3', '3DES-168'), ('RC4', 'RC4-128'),
)
_DOTNET_CIPHERS = {'aes128': 'AES-128', 'aes192': 'AES-192', 'aes256': 'AES-256', 'tripledes': '3DES-168',
                   'des': 'DES-56', 'rc4': 'RC4-128', 'rc2': 'RC2-128', 'null': 'NULL'}


def cipher_name(suite):
    """'TLS_AES_256_GCM_SHA384' / 'ECDHE-RSA-AES128-GCM-SHA256' -> 'AES-256' / 'AES-128' (None stays None)."""
    if not suite:
        return None
    upper = suite.upper()
    for token, name in _SUITE_CIPHERS:
        if token in upper:
            return name
    return upper


def dotnet_cipher(algorithm, bits=None):
    """SslStream's CipherAlgorithm and CipherStrength -> the facts' ``{'cipher', 'cipher_suite'}``."""
    if not algorithm:
        return {'cipher': None, 'cipher_suite': None}
    key = str(algorithm).lower()
    name = _DOTNET_CIPHERS.get(key)
    if name is None:
        name = '%s-%s' % (str(algorithm).upper(), bits) if bits else str(algorithm).upper()
    if key == 'aes' and bits:
        name = 'AES-%s' % bits
    return {'cipher': name, 'cipher_suite': None}
