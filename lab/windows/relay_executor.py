"""A batch executor in Python: the reference implementation of the remote_replay executor contract.

The PowerShell executor (plugins/module_utils/windows/relay.ps1) implements the same contract on a Windows MVE
server; this one runs the same action lists from this host, so that the replay logic can be tested against
real servers here. Like the PowerShell step, a TLS handshake accepts any certificate and reports what
verification found (chain to ca_path or the system store, and the host name).
"""
import base64
import datetime
import ipaddress
import os
import ssl
import time

from cryptography import x509
from cryptography.x509 import verification

from ansible_collections.printfleet.mve.plugins.module_utils.common import tls_facts
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation as conv


def action_from_dict(d):
    kind = d['action']
    if kind == 'connect':
        return conv.Connect(d['transport'], d['host'], d['port'])
    if kind == 'send':
        return conv.Send(bytes.fromhex(d['data']))
    if kind == 'recv':
        return conv.Recv(d['framing'], d.get('size'))
    if kind == 'starttls':
        return conv.StartTls(d['server_name'])
    if kind == 'close':
        return conv.Close()
    raise ValueError('unknown action %r' % (kind,))


def verify_der(der, server_name, ca_path):
    """(validated, error): chain of a leaf (no intermediates) to ca_path or the system roots, and host name."""
    try:
        leaf = x509.load_der_x509_certificate(der)
        if ca_path:
            with open(ca_path, 'rb') as fh:
                roots = x509.load_pem_x509_certificates(fh.read())
        else:
            roots = [x509.load_der_x509_certificate(c)
                     for c in ssl.create_default_context().get_ca_certs(binary_form=True)]
        try:
            subject = x509.IPAddress(ipaddress.ip_address(server_name))
        except ValueError:
            subject = x509.DNSName(server_name)
        verifier = (verification.PolicyBuilder().store(verification.Store(roots))
                    .time(datetime.datetime.now(datetime.timezone.utc)).build_server_verifier(subject))
        verifier.verify(leaf, [])
        return True, None
    except (ValueError, verification.VerificationError) as exc:
        return False, 'certificate verify failed: %s' % (exc,)


def local_batch_executor(timeout=5.0, ca_path=None, log=None):
    """execute_batch(actions) -> steps, run from this host; appends each batch to ``log`` when given."""
    def execute_batch(actions):
        if log is not None:
            log.append(list(actions))
        driver = conv.LocalDriver(timeout=timeout, validate_certs=False)
        steps = []
        try:
            for a in actions:
                action = action_from_dict(a)
                try:
                    value = driver.execute(action)
                except conv.ConversationError as exc:
                    step = {'ok': False, 'error': exc.__class__.__name__, 'message': str(exc), 'at': time.time()}
                    if isinstance(exc, conv.ConnectFailed):
                        step['kind'] = exc.kind
                    if isinstance(exc, conv.PeerClosed):
                        step['partial'] = base64.b64encode(exc.partial).decode('ascii')
                    steps.append(step)
                    break
                if isinstance(action, conv.Recv):
                    value = base64.b64encode(value).decode('ascii')
                elif isinstance(action, conv.StartTls):
                    der = driver.sock.getpeercert(binary_form=True)
                    validated, error = verify_der(der, action.server_name, ca_path)
                    value = {'version': value['version'], 'cipher': value.get('cipher_suite') or value['cipher'],
                             'cert': base64.b64encode(der).decode('ascii'),
                             'validated': validated, 'validation_error': error}
                steps.append({'ok': True, 'value': value, 'at': time.time()})
        finally:
            driver.close()
        return steps
    return execute_batch


# What .NET's SslStream reports, from what Python's ssl reports: the relay step returns SslProtocol and
# CipherAlgorithm/CipherStrength, and module_utils/windows/relay.py names them as on Linux.
_DOTNET_VERSIONS = {'TLSv1': 'Tls', 'TLSv1.1': 'Tls11', 'TLSv1.2': 'Tls12', 'TLSv1.3': 'Tls13', 'SSLv3': 'Ssl3'}
_DOTNET_ALGORITHMS = {'AES-128': 'Aes128', 'AES-256': 'Aes256', '3DES-168': 'TripleDes', 'RC4-128': 'Rc4'}


def relay_step(payload, ca_dir, log=None):
    """The relay step as relay.ps1 performs it: ``payload`` (relay.relay_payload) -> ``{'steps': [...]}``,
    TLS facts in .NET's words. ``ca_dir``: where to put the PEM the controller sent along."""
    ca_path = None
    if payload.get('ca_pem'):
        ca_path = os.path.join(str(ca_dir), 'ca-from-controller-%d.pem' % os.getpid())
        with open(ca_path, 'w') as fh:
            fh.write(payload['ca_pem'])
    steps = local_batch_executor(payload['timeout_ms'] / 1000.0, ca_path, log=log)(payload['actions'])
    for step in steps:
        value = step.get('value')
        if isinstance(value, dict) and 'cert' in value:
            suite = value.pop('cipher', None)
            suite = suite[0] if isinstance(suite, (tuple, list)) else suite
            name = tls_facts.cipher_name(suite) or ''
            value['version'] = _DOTNET_VERSIONS.get(value['version'], value['version'])
            value['cipher_algorithm'] = _DOTNET_ALGORITHMS.get(name, name.split('-')[0].title() or None)
            value['cipher_bits'] = int(name.split('-')[1]) if name.count('-') == 1 and name.split('-')[1].isdigit() else 0
    return {'steps': steps}
