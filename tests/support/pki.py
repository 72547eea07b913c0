"""A test PKI made with cryptography: a CA and server certificates for every TLS case the checks assert.

Certificates (attributes of Pki, each a Leaf with .cert_path, .key_path, .cert):
  good       signed by the test CA, SAN localhost + 127.0.0.1, valid for 10 more days
  expired    same names, expired 5 days ago
  wronghost  signed by the test CA, SAN wrong.example.test only
  untrusted  SAN localhost + 127.0.0.1, signed by a second CA that is not in ca_path
``ca_path`` is the test CA's PEM file; ``untrusted_ca_path`` the other CA's.
"""
import collections
import datetime
import ipaddress

Leaf = collections.namedtuple('Leaf', 'cert cert_path key_path')


class Pki(object):
    def __init__(self, directory):
        self.dir = directory
        self.now = datetime.datetime.now(datetime.timezone.utc)
        self._ca_key, self._ca_name, self.ca_path = self._make_ca('printfleet test CA', 'ca.pem')
        other_key, other_name, self.untrusted_ca_path = self._make_ca('printfleet untrusted CA', 'untrusted-ca.pem')
        day = datetime.timedelta(days=1)
        names = ['localhost', '127.0.0.1']
        self.good = self.issue('good', names, self.now - day, self.now + 10 * day + datetime.timedelta(hours=1))
        self.expired = self.issue('expired', names, self.now - 40 * day, self.now - 5 * day - datetime.timedelta(hours=1))
        self.wronghost = self.issue('wronghost', ['wrong.example.test'], self.now - day, self.now + 10 * day)
        self.untrusted = self.issue('untrusted', names, self.now - day, self.now + 10 * day,
                                    ca=(other_key, other_name))

    def _make_ca(self, common_name, filename):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(self.now - datetime.timedelta(days=1))
                .not_valid_after(self.now + datetime.timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False,
                                             key_agreement=False, key_cert_sign=True, crl_sign=True,
                                             encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        path = str(self.dir / filename)
        with open(path, 'wb') as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        return key, name, path

    def issue(self, name, names, not_before, not_after, ca=None):
        """A server certificate for ``names`` (DNS names or IP addresses), signed by the test CA or ``ca``."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        ca_key, ca_name = ca or (self._ca_key, self._ca_name)
        sans = []
        for n in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                sans.append(x509.DNSName(n))
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
                .issuer_name(ca_name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(not_before).not_valid_after(not_after)
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        cert_path = str(self.dir / ('%s.pem' % name))
        key_path = str(self.dir / ('%s.key' % name))
        with open(cert_path, 'wb') as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(key_path, 'wb') as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        return Leaf(cert, cert_path, key_path)
