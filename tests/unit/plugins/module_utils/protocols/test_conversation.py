"""The conversation layer: framings as data, and the local driver against real loopback peers."""
import socket
import ssl

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation as c

# (framing, buffer, size, expected length of the first complete message or None)
FRAMES = [
    ('line', b'abc', None, None),
    ('line', b'abc\r\nrest', None, 5),
    ('smtp', b'220 ready\r\n', None, 11),
    ('smtp', b'250-one\r\n250-two\r\n', None, None),
    ('smtp', b'250-one\r\n250-two\r\n250 end\r\nnext', None, 27),
    ('smtp', b'250-one\r\n', None, None),
    ('ber', b'\x30', None, None),
    ('ber', b'\x30\x03\x02\x01\x01', None, 5),
    ('ber', b'\x30\x03\x02\x01', None, None),
    ('ber', b'\x30\x81\x03\x02\x01\x01\xff', None, 6),
    ('ber', b'\x30\x82\x01\x00' + b'\x00' * 256, None, 260),
    ('ber', b'\x30\x82\x01\x00' + b'\x00' * 255, None, None),
    ('len4', b'\x00\x00\x00\x02ab', None, 6),
    ('len4', b'\x00\x00\x00\x02a', None, None),
    ('exact', b'abcdef', 4, 4),
    ('exact', b'abc', 4, None),
    ('datagram', b'x', None, 1),
    ('datagram', b'', None, None),
    # TDS: two packets, the first without EOM (status 0x00), the second with it (status 0x01).
    ('tds', b'\x04\x00\x00\x0a\x00\x00\x01\x00ab' + b'\x04\x01\x00\x09\x00\x00\x02\x00c', None, 19),
    ('tds', b'\x04\x00\x00\x0a\x00\x00\x01\x00ab', None, None),
    ('tds', b'\x04\x01\x00\x0a\x00\x00', None, None),
]


@pytest.mark.parametrize('framing,buf,size,expected', FRAMES)
def test_frame_complete(framing, buf, size, expected):
    assert c.frame_complete(framing, buf, size) == expected


@pytest.mark.parametrize('framing,buf', [
    ('ber', b'\x30\x80'),                      # indefinite length
    ('ber', b'\x30\x85\x00\x00\x00\x00\x01'),  # 5 length octets
    ('ber', b'\x30\x84\x7f\xff\xff\xff'),      # beyond MAX_MESSAGE
    ('len4', b'\x7f\xff\xff\xff'),
    ('tds', b'\x04\x01\x00\x02\x00\x00\x01\x00'),  # packet shorter than its header
])
def test_frame_errors(framing, buf):
    with pytest.raises(c.FramingError):
        c.frame_complete(framing, buf)


@pytest.mark.parametrize('args', [('smoke',), ('exact',)])
def test_bad_recv_arguments(args):
    with pytest.raises(ValueError):
        c.Recv(*args)


def test_actions_are_plain_data():
    assert c.Send(b'\x01\x02').as_dict() == {'action': 'send', 'data': '0102', 'once': False}
    assert c.Connect('udp', 'h', '88').as_dict() == {'action': 'connect', 'transport': 'udp', 'host': 'h', 'port': 88}
    with pytest.raises(ValueError):
        c.Connect('sctp', 'h', 1)


def _starttls_server(cert):
    def script(conn):
        conn.sendall(b'220 hi\r\n')
        conn.recv(100)                       # "STARTTLS"
        conn.sendall(b'220 go ahead\r\n')
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert.cert_path, cert.key_path)
        tls = ctx.wrap_socket(conn, server_side=True)
        data = tls.recv(100)
        tls.sendall(b'250 ' + data)
        tls.close()
    return script


def _starttls(port, server_name='localhost'):
    yield c.Connect('tcp', '127.0.0.1', port)
    banner = yield c.Recv('smtp')
    yield c.Send(b'STARTTLS\r\n')
    yield c.Recv('smtp')
    try:
        facts = yield c.StartTls(server_name)
    except c.TlsFailed as exc:
        return {'banner': banner, 'error': str(exc), 'tls': exc.facts}
    yield c.Send(b'echo\r\n')
    echoed = yield c.Recv('line')
    return {'banner': banner, 'tls': facts, 'echo': echoed}


def test_exchange_and_starttls_validated(peer, test_pki):
    p = peer(_starttls_server(test_pki.good))
    out, elapsed = c.run_local(_starttls(p.port), timeout=3, ca_path=test_pki.ca_path)
    assert out['banner'] == b'220 hi\r\n'
    assert out['echo'] == b'250 echo\r\n'
    assert out['tls']['validated'] is True
    assert out['tls']['version'].startswith('TLS')
    assert 'localhost' in out['tls']['san']
    assert elapsed > 0


@pytest.mark.parametrize('which,words,days_negative', [
    ('expired', 'expired', True),
    ('untrusted', 'unable to get local issuer', False),
    ('wronghost', 'mismatch', False),
])
def test_starttls_verification_failure_still_reports_the_certificate(peer, test_pki, which, words, days_negative):
    p = peer(_starttls_server(getattr(test_pki, which)))
    out, dummy = c.run_local(_starttls(p.port), timeout=3, ca_path=test_pki.ca_path)
    assert words in out['error'].lower()
    assert out['tls']['validated'] is False
    # The certificate came from a second, unverified run of the same conversation.
    assert out['tls']['subject'] is not None
    assert (out['tls']['days_left'] < 0) is days_negative


def test_unverified_mode_reports_not_validated(peer, test_pki):
    p = peer(_starttls_server(test_pki.untrusted))
    out, dummy = c.run_local(_starttls(p.port), timeout=3, validate_certs=False)
    assert out['tls']['validated'] is False
    assert 'validate_certs is false' in out['tls']['validation_error']
    assert out['echo'] == b'250 echo\r\n'


def test_tls_against_plaintext_peer_fails_cleanly(peer):
    def script(conn):
        conn.sendall(b'220 hi\r\n')
        conn.recv(100)
        conn.sendall(b'220 go ahead\r\n')
        conn.recv(1000)
        conn.sendall(b'this is not TLS\r\n' * 10)
    p = peer(script)
    out, dummy = c.run_local(_starttls(p.port), timeout=2, validate_certs=False)
    assert 'TLS handshake failed' in out['error'] or 'no TLS handshake' in out['error']
    assert out['tls'] is None


def _one_reply(port, framing='smtp', transport='tcp'):
    try:
        yield c.Connect(transport, '127.0.0.1', port)
        if transport == 'udp':
            yield c.Send(b'ping')
        reply = yield c.Recv(framing)
    except c.ConversationError as exc:
        return {'error': exc.__class__.__name__, 'kind': getattr(exc, 'kind', None), 'message': str(exc)}
    return {'reply': reply}


def test_refused(free_port):
    out, dummy = c.run_local(_one_reply(free_port(socket.SOCK_STREAM)), timeout=1)
    assert out['error'] == 'ConnectFailed' and out['kind'] == 'refused'


def test_connect_timeout(tcp_blackhole):
    out, dummy = c.run_local(_one_reply(tcp_blackhole), timeout=0.5)
    assert out['error'] == 'ConnectFailed' and out['kind'] == 'timeout'


def test_silent_server_times_out(tcp_listener):
    out, dummy = c.run_local(_one_reply(tcp_listener), timeout=0.3)
    assert out['error'] == 'ReceiveTimeout'


def test_peer_closes_mid_message(peer):
    p = peer(lambda conn: conn.sendall(b'250-partial\r\n'))
    out, dummy = c.run_local(_one_reply(p.port), timeout=2)
    assert out['error'] == 'PeerClosed'
    assert 'incomplete' in out['message']


def test_udp_port_unreachable_is_refused(free_port):
    out, dummy = c.run_local(_one_reply(free_port(socket.SOCK_DGRAM), 'datagram', 'udp'), timeout=1)
    assert out['error'] == 'ConnectFailed' and out['kind'] == 'refused'


def test_udp_reply(udp_responder):
    r = udp_responder(lambda data: b'pong:' + data)
    out, dummy = c.run_local(_one_reply(r.port, 'datagram', 'udp'), timeout=1)
    assert out['reply'] == b'pong:ping'


def test_dns_failure():
    def conv():
        try:
            yield c.Connect('tcp', 'no-such-host.invalid', 25)
        except c.ConnectFailed as exc:
            return exc.kind
    out, dummy = c.run_local(conv(), timeout=1)
    assert out == 'dns'
