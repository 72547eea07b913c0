"""The action plugins of the dependency checks on a Windows connection.

No Windows host and no PowerShell run here. The connection stands where winrm or psrp would (each test runs
with both): the real PowerShell shell plugin encodes the bootstrap, and the simulated Windows host
(lab/windows/host.py) accepts only that bootstrap with a shipped, statically checked step as its input, delivered
on stdin (winrm) or as pipeline lines (psrp), then performs the relay step's actions with
lab/windows/relay_executor.py, the Python reference of relay.ps1, against a real aiosmtpd server on loopback.
Everything on the controller side runs for real: argument validation with the module's spec, the module's
conversation, the replay driver, the shared transport, the parsing of the step's result, verdict and secret
masking."""
import base64
import json
import ssl
import types

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from ansible_collections.printfleet.mve.plugins.action.smtp_check import ActionModule as SmtpAction
from ansible_collections.printfleet.mve.plugins.action.kerberos_check import ActionModule as KerberosAction
from lab.windows.host import FakePsrpConnection, FakeWinRMConnection, SimulatedWindowsHost, default_executors

PASSWORD = 'Sup3r-s3cret-pw'


class Handler(object):
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return '250 OK'


def _auth(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=auth_data.login == b'mve' and auth_data.password == PASSWORD.encode(), handled=False)


@pytest.fixture(scope='module')
def smtp_server(test_pki):
    import socket
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(test_pki.good.cert_path, test_pki.good.key_path)
    handler = Handler()
    controller = Controller(handler, hostname='127.0.0.1', port=port, tls_context=ctx, require_starttls=True,
                            authenticator=_auth, auth_required=True, server_hostname='localhost')
    controller.start()
    controller.handler_obj = handler
    yield controller
    controller.stop()


@pytest.fixture(params=['winrm', 'psrp'])
def windows(request, tmp_path):
    """A connection to the simulated Windows host (lab/windows/host.py), as winrm or as psrp delivers input."""
    host = SimulatedWindowsHost('mvewin01', default_executors(work_dir=str(tmp_path)))
    cls = FakeWinRMConnection if request.param == 'winrm' else FakePsrpConnection
    return cls(host)


def _action(cls, connection, args, check_mode=False):
    action = cls.__new__(cls)
    action._connection = connection
    action._task = types.SimpleNamespace(args=args, check_mode=check_mode, async_val=0)
    action._play_context = types.SimpleNamespace(remote_addr='mvewin01')
    return action


def _run(action):
    """What the plugin's run() does on a powershell connection, without ActionBase's task plumbing."""
    args = dict(action._task.args)
    return action.run_remote(args, None, check_mode=action._task.check_mode, local_fqdn='mve01.example.test')


def test_smtp_starttls_auth_and_message_from_the_windows_host(smtp_server, test_pki, windows):
    conn = windows
    before = len(smtp_server.handler_obj.messages)
    args = {'host': '127.0.0.1', 'port': smtp_server.port, 'encryption': 'starttls', 'username': 'mve',
            'password': PASSWORD, 'ca_path': test_pki.ca_path, 'mail_from': 'mve@example.test',
            'send_to': ['admins@example.test']}
    out = _run(_action(SmtpAction, conn, args))
    assert out['ok'] is True, out
    assert out['vantage'] == 'windows' and out['tls']['validated'] is True
    assert out['tls']['version'].startswith('TLSv1.')
    assert out['authenticated'] is True and out['message_sent'] is True
    assert out['helo_name'] == 'mve01.example.test'         # the Windows host's name, not the controller's
    assert out['round_trips'] == len(conn.commands) == len(conn.host.log) >= 5
    assert {entry[0] for entry in conn.host.log} == {conn.transport}
    assert len(smtp_server.handler_obj.messages) == before + 1   # the once-only DATA step was never replayed
    dumped = json.dumps(out)
    assert PASSWORD not in dumped and base64.b64encode(PASSWORD.encode()).decode() not in dumped


def test_smtp_wrong_password_from_the_windows_host(smtp_server, test_pki, windows):
    args = {'host': '127.0.0.1', 'port': smtp_server.port, 'username': 'mve', 'password': 'wrong-' + PASSWORD,
            'ca_path': test_pki.ca_path}
    out = _run(_action(SmtpAction, windows, args))
    assert out['ok'] is False and out['failed'] is True and out['msg'] == out['reason']
    assert out['authenticated'] is False and '535' in out['reason']
    assert PASSWORD not in json.dumps(out)


def test_check_mode_sends_nothing_from_the_windows_host(smtp_server, test_pki, windows):
    before = len(smtp_server.handler_obj.messages)
    args = {'host': '127.0.0.1', 'port': smtp_server.port, 'username': 'mve', 'password': PASSWORD,
            'ca_path': test_pki.ca_path, 'mail_from': 'mve@example.test', 'send_to': ['admins@example.test']}
    out = _run(_action(SmtpAction, windows, args, check_mode=True))
    assert out['ok'] is True and out['message_sent'] is False and 'check mode' in out['message_skipped']
    assert len(smtp_server.handler_obj.messages) == before


def test_untrusted_certificate_is_reported_from_the_windows_host(smtp_server, windows):
    out = _run(_action(SmtpAction, windows, {'host': '127.0.0.1', 'port': smtp_server.port}))
    assert out['ok'] is False and out['tls']['validated'] is False and out['tls']['subject']


@pytest.mark.parametrize('args,words', [
    ({'host': '127.0.0.1', 'encryption': 'bogus'}, 'encryption'),
    ({'host': '', 'port': 25}, 'host'),
    ({'host': 'h', 'port': 70000}, 'port'),
    ({'host': 'h', 'username': 'mve'}, 'password'),
])
def test_bad_input_fails_before_any_round_trip(windows, args, words):
    conn = windows
    out = _run(_action(SmtpAction, conn, args))
    assert out['failed'] is True and words in out['msg']
    assert conn.commands == []


def test_kerberos_refused_from_the_windows_host(free_port, windows):
    import socket
    port = free_port(socket.SOCK_DGRAM)
    out = _run(_action(KerberosAction, windows,
                       {'host': '127.0.0.1', 'port': port, 'realm': 'EXAMPLE.TEST', 'transport': 'udp'}))
    assert out['ok'] is False and out['vantage'] == 'windows'
    assert out['kdc']['udp']['reachable'] is False
