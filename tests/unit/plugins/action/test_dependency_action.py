"""The action plugins of the dependency checks on a Windows connection.

No Windows host and no PowerShell run here. The fake connection below stands where WinRM would: it takes
the relay script the plugin sends (winrelay.relay_script), decodes the batch of actions embedded in it and
performs them with tests/support/replay_executor.py, the Python reference of the PowerShell step's
contract, against a real aiosmtpd server on loopback. Everything on the controller side runs for real:
argument validation with the module's spec, the module's conversation, the replay driver, the script's
payload encoding, the parsing of the step's JSON output, verdict and secret masking."""
import base64
import json
import re
import ssl
import types

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from ansible_collections.printfleet.mve.plugins.action.smtp_check import ActionModule as SmtpAction
from ansible_collections.printfleet.mve.plugins.action.kerberos_check import ActionModule as KerberosAction
from support.replay_executor import local_batch_executor

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


class FakeWindowsConnection(object):
    """Stands where the WinRM connection would; records each round trip."""

    def __init__(self, ca_dir):
        self._shell = types.SimpleNamespace(SHELL_FAMILY='powershell', _encode_script=self._encode)
        self.scripts = []
        self.ca_dir = ca_dir

    @staticmethod
    def _encode(script, preserve_rc=True):
        return 'PowerShell -EncodedCommand %s' % base64.b64encode(script.encode('utf-16-le')).decode()

    def exec_command(self, cmd, in_data=None, sudoable=True):
        script = in_data.decode('utf-8')
        self.scripts.append(script)
        payload = json.loads(base64.b64decode(re.search(r"FromBase64String\('([^']+)'\)", script).group(1)))
        ca_path = None
        if payload['ca_pem']:
            ca_path = str(self.ca_dir / 'ca-from-controller.pem')
            with open(ca_path, 'w') as fh:
                fh.write(payload['ca_pem'])
        steps = local_batch_executor(payload['timeout_ms'] / 1000.0, ca_path)(payload['actions'])
        for step in steps:   # .NET names the TLS versions differently; winrelay maps them back
            value = step.get('value')
            if isinstance(value, dict) and 'cert' in value:
                value['version'] = {'TLSv1.2': 'Tls12', 'TLSv1.3': 'Tls13'}[value['version']]
        return 0, ('progress noise\n' + json.dumps(steps)).encode(), b''


def _action(cls, connection, args, check_mode=False):
    action = cls.__new__(cls)
    action._connection = connection
    action._task = types.SimpleNamespace(args=args, check_mode=check_mode, async_val=0)
    return action


def _run(action):
    """What the plugin's run() does on a powershell connection, without ActionBase's task plumbing."""
    args = dict(action._task.args)
    return action.run_remote(args, action._relay, check_mode=action._task.check_mode, local_fqdn='mve01.example.test')


def test_smtp_starttls_auth_and_message_from_the_windows_host(smtp_server, test_pki, tmp_path):
    conn = FakeWindowsConnection(tmp_path)
    args = {'host': '127.0.0.1', 'port': smtp_server.port, 'encryption': 'starttls', 'username': 'mve',
            'password': PASSWORD, 'ca_path': test_pki.ca_path, 'mail_from': 'mve@example.test',
            'send_to': ['admins@example.test']}
    out = _run(_action(SmtpAction, conn, args))
    assert out['ok'] is True, out
    assert out['vantage'] == 'windows' and out['tls']['validated'] is True
    assert out['tls']['version'].startswith('TLSv1.')
    assert out['authenticated'] is True and out['message_sent'] is True
    assert out['helo_name'] == 'mve01.example.test'         # the Windows host's name, not the controller's
    assert out['round_trips'] == len(conn.scripts) >= 5
    assert len(smtp_server.handler_obj.messages) == 1
    dumped = json.dumps(out)
    assert PASSWORD not in dumped and base64.b64encode(PASSWORD.encode()).decode() not in dumped


def test_smtp_wrong_password_from_the_windows_host(smtp_server, test_pki, tmp_path):
    args = {'host': '127.0.0.1', 'port': smtp_server.port, 'username': 'mve', 'password': 'wrong-' + PASSWORD,
            'ca_path': test_pki.ca_path}
    out = _run(_action(SmtpAction, FakeWindowsConnection(tmp_path), args))
    assert out['ok'] is False and out['failed'] is True and out['msg'] == out['reason']
    assert out['authenticated'] is False and '535' in out['reason']
    assert PASSWORD not in json.dumps(out)


def test_check_mode_sends_nothing_from_the_windows_host(smtp_server, test_pki, tmp_path):
    before = len(smtp_server.handler_obj.messages)
    args = {'host': '127.0.0.1', 'port': smtp_server.port, 'username': 'mve', 'password': PASSWORD,
            'ca_path': test_pki.ca_path, 'mail_from': 'mve@example.test', 'send_to': ['admins@example.test']}
    out = _run(_action(SmtpAction, FakeWindowsConnection(tmp_path), args, check_mode=True))
    assert out['ok'] is True and out['message_sent'] is False and 'check mode' in out['message_skipped']
    assert len(smtp_server.handler_obj.messages) == before


def test_untrusted_certificate_is_reported_from_the_windows_host(smtp_server, tmp_path):
    out = _run(_action(SmtpAction, FakeWindowsConnection(tmp_path), {'host': '127.0.0.1', 'port': smtp_server.port}))
    assert out['ok'] is False and out['tls']['validated'] is False and out['tls']['subject']


@pytest.mark.parametrize('args,words', [
    ({'host': '127.0.0.1', 'encryption': 'bogus'}, 'encryption'),
    ({'host': '', 'port': 25}, 'host'),
    ({'host': 'h', 'port': 70000}, 'port'),
    ({'host': 'h', 'username': 'mve'}, 'password'),
])
def test_bad_input_fails_before_any_round_trip(tmp_path, args, words):
    conn = FakeWindowsConnection(tmp_path)
    out = _run(_action(SmtpAction, conn, args))
    assert out['failed'] is True and words in out['msg']
    assert conn.scripts == []


def test_kerberos_refused_from_the_windows_host(free_port, tmp_path):
    import socket
    port = free_port(socket.SOCK_DGRAM)
    out = _run(_action(KerberosAction, FakeWindowsConnection(tmp_path),
                       {'host': '127.0.0.1', 'port': port, 'realm': 'EXAMPLE.TEST', 'transport': 'udp'}))
    assert out['ok'] is False and out['vantage'] == 'windows'
    assert out['kdc']['udp']['reachable'] is False
