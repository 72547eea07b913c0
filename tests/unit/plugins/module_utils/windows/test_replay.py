"""The replay driver (Windows vantage point) runs the same conversations as the local driver, one round trip
per receive. The batch executor here is lab/windows/relay_executor.py, the Python reference of the
contract that the PowerShell step implements on Windows: the replay logic is tested against real loopback
peers; the PowerShell itself runs only on a real Windows host (opt-in, see docs/windows.md)."""
import socket
import ssl

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation as c
from ansible_collections.printfleet.mve.plugins.module_utils.windows import replay as rr
from lab.windows.relay_executor import local_batch_executor


def _starttls_server(cert):
    def script(conn):
        conn.sendall(b'220 hi\r\n')
        conn.recv(100)
        conn.sendall(b'220 go ahead\r\n')
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert.cert_path, cert.key_path)
        tls = ctx.wrap_socket(conn, server_side=True)
        data = tls.recv(100)
        tls.sendall(b'250 ' + data)
        tls.close()
    return script


def _starttls(port):
    yield c.Connect('tcp', '127.0.0.1', port)
    banner = yield c.Recv('smtp')
    yield c.Send(b'STARTTLS\r\n')
    yield c.Recv('smtp')
    try:
        facts = yield c.StartTls('localhost')
    except c.TlsFailed as exc:
        return {'banner': banner, 'error': str(exc), 'tls': exc.facts}
    yield c.Send(b'echo\r\n')
    echoed = yield c.Recv('line')
    return {'banner': banner, 'tls': facts, 'echo': echoed}


def test_replay_gives_the_local_result_with_one_round_trip_per_receive(peer, test_pki):
    p = peer(_starttls_server(test_pki.good))
    batches = []
    out, rounds = rr.run_replay(_starttls(p.port), local_batch_executor(3, test_pki.ca_path, batches))
    local, dummy = c.run_local(_starttls(p.port), timeout=3, ca_path=test_pki.ca_path)
    assert out['echo'] == local['echo'] == b'250 echo\r\n'
    assert out['tls']['validated'] is True and out['tls']['subject'] == local['tls']['subject']
    # Connect, Recv banner, Recv 220, StartTls, Recv echo: five round trips; every batch replays from Connect.
    assert rounds == 5
    assert [len(b) for b in batches] == [1, 2, 4, 5, 7]
    assert all(b[0]['action'] == 'connect' for b in batches)
    assert batches[-1][5] == {'action': 'send', 'data': b'echo\r\n'.hex(), 'once': False}


def test_replay_tls_verification_failure_reports_the_certificate(peer, test_pki):
    p = peer(_starttls_server(test_pki.expired))
    out, dummy = rr.run_replay(_starttls(p.port), local_batch_executor(3, test_pki.ca_path))
    assert 'expired' in out['error'].lower() or 'not valid at validation time' in out['error']
    assert out['tls']['validated'] is False and out['tls']['days_left'] < 0


def test_replay_unverified_mode(peer, test_pki):
    p = peer(_starttls_server(test_pki.untrusted))
    out, dummy = rr.run_replay(_starttls(p.port), local_batch_executor(3, test_pki.ca_path), validate_certs=False)
    assert out['tls']['validated'] is False
    assert out['echo'] == b'250 echo\r\n'


def _one_reply(port, transport='tcp', framing='smtp'):
    try:
        yield c.Connect(transport, '127.0.0.1', port)
        if transport == 'udp':
            yield c.Send(b'ping')
        reply = yield c.Recv(framing)
    except c.ConversationError as exc:
        return {'error': exc.__class__.__name__, 'kind': getattr(exc, 'kind', None), 'message': str(exc)}
    return {'reply': reply}


def test_replay_errors_arrive_where_the_local_driver_raises_them(free_port, tcp_listener, udp_responder):
    ex = local_batch_executor(0.3)
    assert rr.run_replay(_one_reply(free_port(socket.SOCK_STREAM)), ex)[0]['kind'] == 'refused'
    assert rr.run_replay(_one_reply(tcp_listener), ex)[0]['error'] == 'ReceiveTimeout'
    assert rr.run_replay(_one_reply(free_port(socket.SOCK_DGRAM), 'udp', 'datagram'), ex)[0]['kind'] == 'refused'
    r = udp_responder(lambda data: b'pong')
    assert rr.run_replay(_one_reply(r.port, 'udp', 'datagram'), ex)[0] == {'reply': b'pong'}


def test_a_step_that_fails_on_replay_says_so():
    calls = []

    def flaky(actions):
        calls.append(len(actions))
        if len(calls) == 1:
            return [{'ok': True, 'value': {'rtt_ms': 1.0, 'peer': 'x'}}]
        return [{'ok': False, 'error': 'ConnectFailed', 'kind': 'refused', 'message': 'refused now'}]

    def conv():
        yield c.Connect('tcp', 'h', 1)
        try:
            yield c.Recv('line')
        except c.ConnectFailed as exc:
            return str(exc)
    out, rounds = rr.run_replay(conv(), flaky)
    assert out.startswith('on replay of step 1 (Connect)') and rounds == 2


def test_a_reply_that_is_not_one_framed_message_is_refused():
    def bad(actions):
        steps = [{'ok': True, 'value': {'rtt_ms': 1.0, 'peer': 'x'}}]
        if len(actions) == 1:
            return steps
        return steps + [{'ok': True, 'value': 'MjUwLWE='}]   # "250-a": an unfinished SMTP reply

    def conv():
        yield c.Connect('tcp', 'h', 1)
        try:
            yield c.Recv('smtp')
        except c.FramingError as exc:
            return str(exc)
    out, dummy = rr.run_replay(conv(), bad)
    assert 'not one complete smtp message' in out


def test_a_step_marked_once_is_never_performed_twice(udp_responder):
    """After a Send(once=True) reached the remote host, a further round would repeat it: refused."""
    r = udp_responder(lambda data: b'ack:' + data)

    def conv():
        yield c.Connect('udp', '127.0.0.1', r.port)
        yield c.Send(b'deliver', once=True)
        first = yield c.Recv('datagram')
        try:
            yield c.Send(b'bye')
            yield c.Recv('datagram')
        except c.ConversationError as exc:
            return first, str(exc)
        return first, None
    (first, error), rounds = rr.run_replay(conv(), local_batch_executor(1))
    assert first == b'ack:deliver'
    assert 'repeat a step that must happen once' in error
    assert r.received.count(b'deliver') == 1 and rounds == 2
