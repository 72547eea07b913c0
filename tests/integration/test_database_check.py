# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""database_check against real peers on loopback.

* Firebird: a real Firebird 3 server (tests/integration/firebird_server.py) with a test database:
  op_connect facts, attach by path and by alias, wrong password, missing database, server down,
  garbage, truncated and silent peers, and the module through Ansible (with a -vvvv secrets check).
* SQL Server cannot run on this machine. The TDS PRELOGIN conversation is run against a small loopback
  TCP peer that REPLAYS BYTES, it is not a SQL Server: it answers with the PRELOGIN structures printed
  in Microsoft's [MS-TDS] 4.1 and [MS-SSTDS] 4.1 examples wrapped in a 0x04 reply packet (the specs
  record no server reply; 2.2.6.5 says the server answers with that structure in a 0x04 packet), and
  with nonsense and truncated packets. A check against a real SQL Server is the opt-in test in
  tests/optin/test_database_check_sqlserver_optin.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket
import subprocess
import threading

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation as conv
from ansible_collections.printfleet.mve.plugins.module_utils.checks import dependency as dependency_check
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import firebird as firebird_wire
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import tds as tds_wire
from ansible_collections.printfleet.mve.plugins.module_utils.checks import database as database_check

# the firebird fixture, used by name
from firebird_server import firebird  # noqa: F401 pylint: disable=unused-import
from labtools import BIN, ROOT, ansible_env

MS_TDS_41 = bytes.fromhex('1201002F0000010000001A00060100200001020021000103002200040400260001FF0900000000000100B80D000001')
MS_SSTDS_41 = bytes.fromhex('120100340000010000001500060100 1B0001020 01C000C030028 0004FF08000155000000'.replace(' ', '')
                            + '4D5353514C5365727665720080190000')
RECORDED_COND_ACCEPT = bytes.fromhex('00000062ffff800f00000001000000050000000000000003537270000000000000000000')


def spec_reply(packet):
    """The spec's example PRELOGIN packet with its type byte set to 0x04 (reply)."""
    return b'\x04' + packet[1:]


class ReplayPeer(object):
    """A TCP peer on 127.0.0.1 that REPLAYS fixed bytes: not a database server.

    For each connection it reads the client's first message, records it, sends ``reply`` and closes
    (``hold=True``: keeps the connection open and says nothing more, so the client times out).
    """

    def __init__(self, reply, hold=False):
        self.reply = reply
        self.hold = hold
        self.received = []
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.held = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                conn, dummy = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(2)
            try:
                self.received.append(conn.recv(65536))
                if self.reply:
                    conn.sendall(self.reply)
            except OSError:
                pass
            if self.hold:
                self.held.append(conn)
            else:
                conn.close()

    def close(self):
        self.stopping = True
        self.thread.join(2)
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def replay():
    peers = []

    def start(reply, hold=False):
        peer = ReplayPeer(reply, hold)
        peers.append(peer)
        return peer

    yield start
    for peer in peers:
        peer.close()


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def params(engine, port, **extra):
    p = {'host': '127.0.0.1', 'port': port, 'timeout': 3.0, 'validate_certs': True, 'ca_path': None,
         'fail_on_error': True, 'engine': engine, 'username': None, 'password': None, 'database': None,
         'instance': None}
    p.update(extra)
    return database_check.validate(p)


# ---- Firebird: the real server -------------------------------------------------------------------

def test_firebird_op_connect_facts(firebird):
    out = database_check.check(params('firebird', firebird.port))
    assert out['ok'] is True, out
    assert out['engine'] == 'firebird'
    assert out['wire']['op'] == 'op_cond_accept'
    assert out['wire']['protocol_version'] == 15          # Firebird 3.0
    assert out['wire']['architecture'] == 'generic'
    assert out['wire']['accept_type'] == 'lazy_send'
    assert out['wire']['auth_plugin'] == 'Srp'
    assert out['login'] == {'attempted': False, 'ok': None, 'error_code': None, 'error_kind': None, 'error': None}
    assert 'wire protocol 15' in out['reason'] and out['elapsed_ms'] > 0


def test_firebird_conversation_through_dependency_check_run(firebird):
    p = dict(params('firebird', firebird.port, database=firebird.database), username=firebird.user)
    out = dependency_check.run(firebird_wire.firebird_connect_conversation(p), p)
    assert out['ok'] is True and out['wire']['auth_plugin'] == 'Srp' and 'elapsed_ms' in out


@pytest.mark.parametrize('which', ['path', 'alias'])
def test_firebird_attach_ok(firebird, which):
    database = firebird.database if which == 'path' else firebird.alias
    out = database_check.check(params('firebird', firebird.port, username=firebird.user, password=firebird.password,
                                      database=database))
    assert out['ok'] is True, out
    assert out['login'] == {'attempted': True, 'ok': True, 'error_code': None, 'error_kind': None, 'error': None}
    assert 'Login as SYSDBA succeeded' in out['reason']
    assert firebird.password not in json.dumps(out)


def test_firebird_wrong_password(firebird):
    out = database_check.check(params('firebird', firebird.port, username=firebird.user, password='not-the-password',
                                      database=firebird.database))
    assert out['ok'] is False
    assert out['wire']['protocol_version'] == 15           # the server itself was fine
    assert out['login']['attempted'] is True and out['login']['ok'] is False
    assert out['login']['error_kind'] == 'login_failed'
    assert out['login']['error_code'] == firebird_wire.ISC_LOGIN
    assert 'Your user name and password are not defined' in out['login']['error']
    assert 'rejected the user name or password' in out['reason']
    assert 'not-the-password' not in json.dumps(out)


def test_firebird_unknown_user(firebird):
    out = database_check.check(params('firebird', firebird.port, username='NOBODY', password='whatever1',
                                      database=firebird.database))
    assert out['ok'] is False and out['login']['error_kind'] == 'login_failed'


def test_firebird_missing_database(firebird):
    missing = os.path.join(firebird.workdir, 'data', 'missing.fdb')
    out = database_check.check(params('firebird', firebird.port, username=firebird.user, password=firebird.password,
                                      database=missing))
    assert out['ok'] is False
    assert out['login']['error_kind'] == 'database_missing'
    assert out['login']['error_code'] == firebird_wire.ISC_IO_ERROR
    assert 'I/O error during "open" operation for file' in out['login']['error'] and missing in out['login']['error']
    assert 'cannot open database' in out['reason']


def test_firebird_server_down():
    port = free_port()
    out = database_check.check(params('firebird', port, username='SYSDBA', password='x', database='/db.fdb'))
    assert out['ok'] is False and out['connect_error'] == 'refused'
    assert out['wire'] is None and out['login']['attempted'] is False
    assert 'Cannot reach Firebird at 127.0.0.1:%d' % port in out['reason']


@pytest.mark.parametrize('reply, words', [
    (b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n', 'not a Firebird reply'),
    (b'\x00\x00\x00\x62\xff\xff\x80\x0f\x00\x00\x00\x01\x00\x00\x00\x05\x7f\xff\xff\xff', 'not a Firebird reply'),
    (RECORDED_COND_ACCEPT[:20], 'closed the connection after 20 bytes'),
    (b'', 'closed it without answering'),
])
def test_firebird_garbage_and_truncated_replies(replay, reply, words):
    peer = replay(reply)
    out = database_check.check(params('firebird', peer.port, username='SYSDBA', password='secret-pw',
                                      database='/db.fdb'))
    assert out['ok'] is False and words in out['reason'], out
    assert out['login']['attempted'] is False
    assert peer.received and peer.received[0][:4] == b'\x00\x00\x00\x01'   # it was sent op_connect
    assert b'secret-pw' not in peer.received[0]                             # never the password


def test_firebird_silent_peer_times_out(replay):
    peer = replay(b'', hold=True)
    out = database_check.check(params('firebird', peer.port, timeout=0.5))
    assert out['ok'] is False and 'within the timeout' in out['reason']


def test_default_ports_come_from_the_port_matrix():
    for engine, flow in database_check.FLOWS.items():
        p = database_check.validate({'host': 'db', 'port': None, 'timeout': 1.0, 'engine': engine})
        assert p['port'] == port_matrix.get_flow(flow)['destination_port']


@pytest.mark.parametrize('extra, field', [
    ({'engine': 'firebird', 'instance': 'MVE'}, 'instance'),
    ({'engine': 'sqlserver', 'instance': 'a\\b'}, 'instance'),
    ({'engine': 'sqlserver', 'username': 'sa'}, 'username, password'),
    ({'engine': 'firebird', 'username': 'SYSDBA', 'password': 'x'}, 'database'),
    ({'engine': 'oracle'}, 'engine'),
    ({'engine': 'sqlserver', 'port': 70000}, 'port'),
])
def test_bad_input_names_the_field(extra, field):
    p = {'host': 'db', 'port': None, 'timeout': 1.0}
    p.update(extra)
    with pytest.raises(dependency_check.CheckInputError) as info:
        database_check.validate(p)
    assert str(info.value).startswith(field)


# ---- SQL Server: the spec's bytes replayed by a loopback peer (not a SQL Server) -------------------

def test_tds_prelogin_against_spec_replay(replay):
    """The peer replays the [MS-TDS] 4.1 example PRELOGIN structure in a 0x04 reply packet: this is the
    specification's example data, not a SQL Server."""
    peer = replay(spec_reply(MS_TDS_41))
    out = database_check.check(params('sqlserver', peer.port))
    assert out['ok'] is True, out
    assert peer.received[0] == tds_wire.build_prelogin()      # exactly the PRELOGIN packet, once
    assert out['prelogin']['server_version'] == '9.0.0'
    assert out['prelogin']['encryption'] == 'on'
    assert out['prelogin']['instance_ok'] is True and out['prelogin']['mars'] is True
    assert out['login']['attempted'] is False and 'encryption: on' in out['reason']


def test_tds_instance_mismatch_against_spec_replay(replay):
    """The peer replays the [MS-SSTDS] 4.1 example structure (INSTOPT "MSSQLServer", not 0x00): for a
    server reply that means the instance the client named is not this one. Spec data, not a SQL Server."""
    peer = replay(spec_reply(MS_SSTDS_41))
    out = database_check.check(params('sqlserver', peer.port, instance='MVE'))
    assert out['ok'] is False and 'not the instance MVE' in out['reason']
    assert peer.received[0] == tds_wire.build_prelogin(instance='MVE')
    assert out['prelogin']['server_version'] == '8.0.341' and out['prelogin']['instance_ok'] is False


@pytest.mark.parametrize('reply, words', [
    (b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n', 'not a complete TDS reply'),
    (b'\x00' * 32, 'not a TDS packet'),                                 # header length 0
    (spec_reply(MS_TDS_41)[:20], 'closed the connection after 20 bytes'),  # truncated packet
    (MS_TDS_41, 'not a TDS reply (0x04)'),                              # a request echoed back
    (b'\x04\x01\x00\x0c\x00\x00\x01\x00\x00\x00\x50\x00', 'not with a TDS PRELOGIN reply'),  # bad option list
    (b'', 'closed it without answering'),
])
def test_tds_garbage_replies(replay, reply, words):
    peer = replay(reply)
    out = database_check.check(params('sqlserver', peer.port, username='sa', password='secret-pw'))
    assert out['ok'] is False and words in out['reason'], out
    assert out['prelogin'] is None and out['login']['attempted'] is False


def test_tds_silent_peer_times_out(replay):
    peer = replay(b'', hold=True)
    out = database_check.check(params('sqlserver', peer.port, timeout=0.5))
    assert out['ok'] is False and 'no complete TDS PRELOGIN reply' in out['reason']


def test_tds_server_down():
    port = free_port()
    out = database_check.check(params('sqlserver', port))
    assert out['ok'] is False and out['connect_error'] == 'refused' and 'Cannot reach SQL Server' in out['reason']


def test_sqlserver_login_failure_is_reported_not_raised(replay):
    """python-tds logs in against the replay peer (spec bytes, encryption on, then the peer hangs up):
    the driver's failure must come back as a login error with a reason, never a traceback."""
    peer = replay(spec_reply(MS_TDS_41))
    out = database_check.check(params('sqlserver', peer.port, username='sa', password='secret-pw', timeout=2.0))
    assert out['ok'] is False
    assert out['login']['attempted'] is True and out['login']['ok'] is False
    assert out['login']['error_kind'] == 'tls_required'    # PRELOGIN said "on", and no ca_path was given
    assert out['login']['error'] and 'requires encryption' in out['reason']
    assert 'secret-pw' not in json.dumps(out)


# ---- through Ansible -----------------------------------------------------------------------------

@pytest.fixture(scope='module')
def installed_collection():
    """Build the collection tarball and install it into build/collections (retried: other suites do the same)."""
    dist = os.path.join(ROOT, 'build', 'dist-database')
    dest = os.path.join(ROOT, 'build', 'collections')
    last = None
    for dummy in range(3):
        build = subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path',
                                dist, '.'], cwd=ROOT, capture_output=True, text=True, env=ansible_env(), check=False)
        if build.returncode == 0:
            tarballs = sorted(n for n in os.listdir(dist) if n.startswith('printfleet-mve-') and n.endswith('.tar.gz'))
            install = subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--force', '-p', dest,
                                      os.path.join(dist, tarballs[-1])], cwd=ROOT, capture_output=True, text=True,
                                     env=ansible_env(), check=False)
            if install.returncode == 0:
                return dest
            last = install
        else:
            last = build
    pytest.fail('cannot build/install the collection:\n%s\n%s' % (last.stdout[-3000:], last.stderr[-3000:]))


def run_module(args, verbose=False):
    cmd = [os.path.join(BIN, 'ansible'), 'localhost', '-m', 'printfleet.mve.database_check', '-a', json.dumps(args)]
    if verbose:
        cmd.append('-vvvv')
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ansible_env(), cwd=ROOT, timeout=120, check=False)
    start = proc.stdout.find(' => {')
    assert start >= 0, 'no module result in the output:\n%s\n%s' % (proc.stdout[-3000:], proc.stderr[-3000:])
    result, dummy = json.JSONDecoder().raw_decode(proc.stdout[start + 4:])
    return proc, result


def test_ansible_firebird_login_vvvv_hides_the_password(firebird, installed_collection):
    proc, out = run_module({'engine': 'firebird', 'host': firebird.host, 'port': firebird.port,
                            'username': firebird.user, 'password': firebird.password,
                            'database': firebird.database}, verbose=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert out['ok'] is True and out['changed'] is False and out['login']['ok'] is True
    assert out['wire']['protocol_version'] == 15
    assert firebird.password not in proc.stdout and firebird.password not in proc.stderr


def test_ansible_wrong_password_fails_the_task_and_hides_it(firebird, installed_collection):
    wrong = 'Wr0ng-Passw0rd-xyz'
    proc, out = run_module({'engine': 'firebird', 'host': firebird.host, 'port': firebird.port,
                            'username': firebird.user, 'password': wrong, 'database': firebird.database}, verbose=True)
    assert proc.returncode != 0 and 'localhost | FAILED!' in proc.stdout
    assert out['ok'] is False and out['login']['error_kind'] == 'login_failed'
    assert 'rejected the user name or password' in out['msg']
    assert wrong not in proc.stdout and wrong not in proc.stderr


def test_ansible_fail_on_error_false_and_check_mode(firebird, installed_collection):
    proc, out = run_module({'engine': 'firebird', 'host': firebird.host, 'port': firebird.port, 'username': firebird.user,
                            'password': firebird.password, 'database': '/nonexistent/x.fdb', 'fail_on_error': False})
    assert proc.returncode == 0 and out['ok'] is False and out['login']['error_kind'] == 'database_missing'


def test_ansible_bad_input(installed_collection):
    proc, out = run_module({'engine': 'firebird', 'host': '127.0.0.1', 'instance': 'MVE'})
    assert proc.returncode != 0 and out['msg'].startswith('instance:')
    proc, out = run_module({'engine': 'mysql', 'host': '127.0.0.1'})
    assert proc.returncode != 0 and 'engine' in out['msg'] and 'sqlserver' in out['msg']


def test_no_traceback_from_a_garbage_peer_through_ansible(replay, installed_collection):
    peer = replay(b'\xde\xad\xbe\xef' * 8)
    proc, out = run_module({'engine': 'sqlserver', 'host': '127.0.0.1', 'port': peer.port, 'fail_on_error': False})
    assert proc.returncode == 0 and out['ok'] is False and 'Traceback' not in proc.stdout + proc.stderr
    assert conv.frame_complete('tds', b'\xde\xad\xbe\xef' * 8) is None   # 0xbeef bytes announced: waits, then closed


# ---- from a Windows MVE server (the simulated host of lab/windows, honest winrm/psrp delivery) ------------

def _windows_run(args, transport='winrm'):
    import types
    from ansible_collections.printfleet.mve.plugins.action.database_check import ActionModule
    from lab.windows.host import FakePsrpConnection, FakeWinRMConnection, SimulatedWindowsHost, default_executors
    host = SimulatedWindowsHost('mvewin01', default_executors())
    action = ActionModule.__new__(ActionModule)
    action._connection = (FakePsrpConnection if transport == 'psrp' else FakeWinRMConnection)(host)
    action._task = types.SimpleNamespace(args=args, check_mode=False, async_val=0)
    action._play_context = types.SimpleNamespace(remote_addr='mvewin01')
    return action.run_remote(dict(args), None, local_fqdn='mvewin01.example.test'), host


@pytest.mark.parametrize('transport', ['winrm', 'psrp'])
def test_firebird_login_from_windows_is_never_ok_when_not_tried(firebird, transport):
    out, host = _windows_run({'host': '127.0.0.1', 'port': firebird.port, 'engine': 'firebird',
                              'username': firebird.user, 'password': firebird.password,
                              'database': firebird.database, 'fail_on_error': False}, transport)
    assert out['vantage'] == 'windows' and out['wire']['op'] == 'op_cond_accept', out
    assert out['ok'] is False and out['login']['attempted'] is False
    assert out['steps'] == {'protocol': 'windows', 'login': 'controller'}
    assert 'must run from the controller' in out['reason']
    assert firebird.password not in json.dumps(out)
    assert [entry[1] for entry in host.log] == ['relay'] * out['round_trips']


def test_firebird_protocol_only_from_windows_is_ok(firebird):
    out, host = _windows_run({'host': '127.0.0.1', 'port': firebird.port, 'engine': 'firebird'})
    assert out['ok'] is True and out['steps'] == {'protocol': 'windows', 'login': None}


def test_sqlserver_login_runs_on_the_windows_host(replay):
    """From a Windows host the login is a step of its own (sql_login.ps1, SqlClient); here its reference logs in
    against the replay peer (spec bytes, not a SQL Server), which fails: a login error, tried from Windows."""
    peer = replay(spec_reply(MS_TDS_41))
    out, host = _windows_run({'host': '127.0.0.1', 'port': peer.port, 'engine': 'sqlserver', 'username': 'sa',
                              'password': 'secret-pw', 'timeout': 2.0, 'fail_on_error': False})
    assert out['steps'] == {'protocol': 'windows', 'login': 'windows'}, out
    assert out['login']['attempted'] is True and out['login']['ok'] is False and out['ok'] is False
    assert [entry[1] for entry in host.log][-1] == 'sql_login'
    assert out['round_trips'] == len(host.log)
    login_payload = host.log[-1][2]
    assert login_payload['encrypt'] is True          # the PRELOGIN said encryption on
    assert 'secret-pw' not in json.dumps(out)
