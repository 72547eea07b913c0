# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.printfleet.mve.plugins.module_utils.common import tls_facts as t

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
_KEY = ec.generate_private_key(ec.SECP256R1())


def _name(cn, org=None):
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def _cert(subject, issuer=None, san=None, not_before=NOW - datetime.timedelta(days=1),
          not_after=NOW + datetime.timedelta(days=30)):
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer or subject)
               .public_key(_KEY.public_key()).serial_number(1000)
               .not_valid_before(not_before).not_valid_after(not_after))
    if san is not None:
        names = []
        for entry in san:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(entry)))
            except ValueError:
                names.append(x509.DNSName(entry))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(_KEY, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


CERT_VECTORS = [
    # id, cert kwargs, expected facts (subset)
    ('printer-with-san', dict(subject=_name(u'mx521.example.com', u'Lexmark'), issuer=_name(u'Example CA'),
                              san=[u'mx521.example.com', u'192.0.2.21', u'2001:db8::21']),
     {'subject': 'CN=mx521.example.com,O=Lexmark', 'issuer': 'CN=Example CA',
      'san': ['mx521.example.com', '192.0.2.21', '2001:db8::21'], 'days_left': 30,
      'not_after': '2026-03-31T12:00:00Z', 'not_before': '2026-02-28T12:00:00Z'}),
    ('self-signed-no-san', dict(subject=_name(u'ET0021B7C0FFEE')),
     {'subject': 'CN=ET0021B7C0FFEE', 'issuer': 'CN=ET0021B7C0FFEE', 'san': []}),
    ('expired-yesterday', dict(subject=_name(u'old'), not_before=NOW - datetime.timedelta(days=400),
                               not_after=NOW - datetime.timedelta(hours=1)),
     {'days_left': -1, 'not_after': '2026-03-01T11:00:00Z'}),
    ('expired-long-ago', dict(subject=_name(u'older'), not_before=NOW - datetime.timedelta(days=800),
                              not_after=NOW - datetime.timedelta(days=365)),
     {'days_left': -365}),
    ('expires-in-hours', dict(subject=_name(u'soon'), not_after=NOW + datetime.timedelta(hours=5)),
     {'days_left': 0}),
    ('escaped-rdn', dict(subject=_name(u'a,b+c', u'Example, Inc.')),
     {'subject': 'CN=a\\,b\\+c,O=Example\\, Inc.'}),
]


@pytest.mark.parametrize('name, kwargs, expected', CERT_VECTORS, ids=[v[0] for v in CERT_VECTORS])
def test_certificate_facts(name, kwargs, expected):
    facts = t.certificate_facts(_cert(**kwargs), now=NOW)
    for key, value in expected.items():
        assert facts[key] == value, key
    assert len(facts['fingerprint_sha256']) == 64


@pytest.mark.parametrize('validated, error, expected_error', [
    (True, None, None),
    (True, 'ignored when validated', None),
    (False, 'certificate verify failed: certificate has expired (X509 error 10)',
     'certificate verify failed: certificate has expired (X509 error 10)'),
])
def test_tls_facts_full_shape(validated, error, expected_error):
    der = _cert(_name(u'x'), san=[u'x'])
    facts = t.tls_facts(der, 'TLSv1.3', ('TLS_AES_256_GCM_SHA384', 'TLSv1.3', 256), validated=validated,
                        validation_error=error, now=NOW)
    assert set(facts) == set(t.TLS_FACT_KEYS)
    assert facts['version'] == 'TLSv1.3'
    assert facts['cipher_suite'] == 'TLS_AES_256_GCM_SHA384' and facts['cipher'] == 'AES-256'
    assert facts['validated'] is validated
    assert facts['validation_error'] == expected_error
    assert facts['san'] == ['x']


def test_tls_facts_without_certificate():
    facts = t.tls_facts(validated=False, validation_error='TLS handshake failed: WRONG_VERSION_NUMBER')
    assert set(facts) == set(t.TLS_FACT_KEYS)
    assert facts['subject'] is None and facts['san'] == [] and facts['days_left'] is None
    assert facts['validated'] is False
    assert facts['validation_error'].startswith('TLS handshake failed')


@pytest.mark.parametrize('data', [b'', b'\x30\x03\x02\x01\x01', b'-----BEGIN CERTIFICATE-----'])
def test_certificate_facts_garbage(data):
    with pytest.raises(t.TlsFactsError):
        t.certificate_facts(data)


@pytest.mark.parametrize('not_after, now, expected', [
    (NOW + datetime.timedelta(days=1), NOW, 1),
    (NOW + datetime.timedelta(days=1, seconds=-1), NOW, 0),
    (NOW, NOW, 0),
    (NOW - datetime.timedelta(seconds=1), NOW, -1),
    (NOW - datetime.timedelta(days=2), NOW, -2),
])
def test_days_left(not_after, now, expected):
    assert t.days_left(not_after, now) == expected


class _FakeVerifyError(Exception):
    def __init__(self, message, code):
        super(_FakeVerifyError, self).__init__(message)
        self.verify_message = message
        self.verify_code = code


@pytest.mark.parametrize('exc, expected', [
    (_FakeVerifyError('certificate has expired', 10), 'certificate verify failed: certificate has expired '
                                                      '(X509 error 10)'),
    (_FakeVerifyError("Hostname mismatch, certificate is not valid for 'x'.", 62),
     "certificate verify failed: Hostname mismatch, certificate is not valid for 'x'. (X509 error 62)"),
    (Exception('plain'), 'certificate verify failed: plain'),
])
def test_verify_error_text(exc, expected):
    assert t.verify_error_text(exc) == expected
