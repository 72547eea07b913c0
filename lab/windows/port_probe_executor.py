"""The port probe step in Python: the reference of module_utils/windows/port_probe.ps1's contract.

Same payload (``targets`` with the bytes to send, ``timeout_ms``, ``retries``, ``concurrency``, ``ca_pem``) and the
same result per target: ``outcome`` open | refused | timeout | error | resolve_error (TCP), reply | refused |
silence | error | resolve_error (UDP), ``rtt_ms``, ``datagrams`` (base64, the first datagram that came back),
``tls`` in .NET's words (SslProtocol, CipherAlgorithm, CipherStrength, the DER certificate, what validation
found) or ``tls_error``, and for errors ``error_name`` (a .NET SocketError name) and ``error``. It runs the
probes from this host, with real sockets, bounded concurrency and the retries of the PowerShell.
"""
import asyncio
import base64
import errno
import os
import socket
import ssl
import tempfile
import time

from lab.windows import relay_executor

_SOCKET_ERRORS = {errno.EHOSTUNREACH: 'HostUnreachable', errno.ENETUNREACH: 'NetworkUnreachable',
                  errno.EACCES: 'AccessDenied', errno.EPERM: 'AccessDenied', errno.ETIMEDOUT: 'TimedOut',
                  errno.ECONNRESET: 'ConnectionReset', errno.EADDRNOTAVAIL: 'AddressNotAvailable'}


def _error(exc):
    return {'outcome': 'error', 'error_name': _SOCKET_ERRORS.get(getattr(exc, 'errno', None), 'SocketError'),
            'error': str(exc)}


async def _resolve(loop, host, port, kind):
    try:
        infos = await loop.getaddrinfo(host.strip('[]'), port, type=kind)
    except (OSError, UnicodeError) as exc:
        return None, str(exc)
    infos = sorted(infos, key=lambda info: 0 if info[0] == socket.AF_INET else 1)
    return infos[0], None


def _tls(sock, server_name, ca_path, timeout):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    sock.setblocking(True)
    sock.settimeout(timeout)
    try:
        tls = ctx.wrap_socket(sock, server_hostname=server_name)
    except (ssl.SSLError, OSError) as exc:
        return {'tls_error': 'TLS handshake failed: %s' % (getattr(exc, 'reason', None) or exc)}
    try:
        der = tls.getpeercert(binary_form=True)
        validated, error = relay_executor.verify_der(der, server_name, ca_path)
        suite, dummy, bits = tls.cipher()
        from ansible_collections.printfleet.mve.plugins.module_utils.common import tls_facts
        name = tls_facts.cipher_name(suite) or ''
        return {'tls': {'version': relay_executor._DOTNET_VERSIONS.get(tls.version(), tls.version()),
                        'cipher_algorithm': relay_executor._DOTNET_ALGORITHMS.get(name, name.split('-')[0].title()),
                        'cipher_bits': bits, 'cert': base64.b64encode(der).decode('ascii'),
                        'validated': validated, 'validation_error': error}}
    finally:
        tls.close()


async def _tcp(loop, t, timeout, ca_path):
    info, error = await _resolve(loop, t['host'], t['port'], socket.SOCK_STREAM)
    if info is None:
        return {'outcome': 'resolve_error', 'error': error}
    sock = socket.socket(info[0], socket.SOCK_STREAM)
    sock.setblocking(False)
    start = time.perf_counter()
    try:
        await asyncio.wait_for(loop.sock_connect(sock, info[4]), timeout)
    except asyncio.TimeoutError:
        sock.close()
        return {'outcome': 'timeout'}
    except ConnectionRefusedError:
        sock.close()
        return {'outcome': 'refused', 'rtt_ms': (time.perf_counter() - start) * 1000.0}
    except OSError as exc:
        sock.close()
        return _error(exc)
    out = {'outcome': 'open', 'rtt_ms': (time.perf_counter() - start) * 1000.0}
    if t.get('tls'):
        out.update(await loop.run_in_executor(None, _tls, sock, t['tls'], ca_path, timeout))
    else:
        sock.close()
    return out


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, loop):
        self.waiter = loop.create_future()

    def datagram_received(self, data, addr):
        if not self.waiter.done():
            self.waiter.set_result(('reply', data))

    def error_received(self, exc):
        if not self.waiter.done():
            self.waiter.set_result(('error', exc))


async def _udp(loop, t, timeout, attempts):
    info, error = await _resolve(loop, t['host'], t['port'], socket.SOCK_DGRAM)
    if info is None:
        return {'outcome': 'resolve_error', 'error': error}
    data = base64.b64decode(t['payload'])
    sock = socket.socket(info[0], socket.SOCK_DGRAM)
    sock.setblocking(False)
    try:
        sock.connect(info[4])
    except OSError as exc:
        sock.close()
        return _error(exc)
    transport, proto = await loop.create_datagram_endpoint(lambda: _Udp(loop), sock=sock)
    try:
        for dummy in range(attempts):
            sent = time.perf_counter()
            try:
                sock.send(data)
            except OSError:
                pass
            done, dummy_pending = await asyncio.wait([proto.waiter], timeout=timeout)
            if done:
                kind, value = proto.waiter.result()
                rtt = (time.perf_counter() - sent) * 1000.0
                if kind == 'reply':
                    return {'outcome': 'reply', 'rtt_ms': rtt, 'datagrams': [base64.b64encode(value).decode('ascii')]}
                if isinstance(value, ConnectionRefusedError):
                    return {'outcome': 'refused', 'rtt_ms': rtt}
                return _error(value)
        return {'outcome': 'silence'}
    finally:
        transport.close()


async def _all(payload, ca_path):
    loop = asyncio.get_running_loop()
    timeout = payload['timeout_ms'] / 1000.0
    attempts = int(payload['retries']) + 1
    sem = asyncio.Semaphore(max(1, int(payload['concurrency'])))

    async def one(t):
        async with sem:
            if t['transport'] == 'tcp':
                out = await _tcp(loop, t, timeout, ca_path)
            else:
                out = await _udp(loop, t, timeout, attempts)
            out['id'] = t['id']
            return out
    return list(await asyncio.gather(*[one(t) for t in payload['targets']]))


def port_probe_step(payload):
    """What port_probe.ps1 returns for ``payload``."""
    ca_path = None
    if payload.get('ca_pem'):
        fd, ca_path = tempfile.mkstemp(prefix='pfmve-ca-', suffix='.pem')
        with os.fdopen(fd, 'w') as fh:
            fh.write(payload['ca_pem'])
    try:
        return {'results': asyncio.run(_all(payload, ca_path))}
    finally:
        if ca_path:
            os.unlink(ca_path)
