"""A batch executor in Python: the reference implementation of the remote_replay executor contract.

The PowerShell executor (plugins/module_utils/windows/relay.py) implements the same contract on a Windows MVE
server; this one runs the same action lists from this host, so that the replay logic can be tested against
real servers here. Like the PowerShell step, a TLS handshake accepts any certificate and reports what
verification found (chain to ca_path or the system store, and the host name).
"""
import base64
import datetime
import ipaddress
import ssl
import time

from cryptography import x509
from cryptography.x509 import verification

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
                    value = {'version': value['version'], 'cipher': value['cipher'],
                             'cert': base64.b64encode(der).decode('ascii'),
                             'validated': validated, 'validation_error': error}
                steps.append({'ok': True, 'value': value, 'at': time.time()})
        finally:
            driver.close()
        return steps
    return execute_batch
