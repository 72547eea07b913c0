"""port_check from a Windows MVE server gives the same verdicts as from Linux, in one round trip.

The same targets (real services on loopback: a TCP listener, a closed port, a TLS server with the test PKI's
certificates, a real net-snmp agent, a UDP port nothing listens on, a silent UDP responder) are probed twice:
by the Linux engine (probes/port_probe.py) and through the port_check action plugin against the simulated
Windows host (lab/windows/host.py: the real shell plugin's encoding, only shipped and statically checked
PowerShell accepted, winrm and psrp delivery), whose port probe step runs with its Python reference
(lab/windows/port_probe_executor.py). States, reasons and facts must be equal, except what a vantage point
cannot know (the cipher suite from Windows, round-trip times) or words its own way (why a certificate does
not verify)."""
import copy
import socket
import types

import pytest
import yaml

from ansible_collections.printfleet.mve.plugins.action.port_check import ActionModule
from ansible_collections.printfleet.mve.plugins.module_utils.probes import port_probe
from ansible_collections.printfleet.mve.plugins.modules import port_check as port_check_module
from lab.windows.host import FakePsrpConnection, FakeWinRMConnection, SimulatedWindowsHost, default_executors


def windows_run(args, transport):
    host = SimulatedWindowsHost('mvewin01', default_executors())
    action = ActionModule.__new__(ActionModule)
    action._connection = (FakePsrpConnection if transport == 'psrp' else FakeWinRMConnection)(host)
    action._play_context = types.SimpleNamespace(remote_addr='mvewin01')
    return action.run_windows(copy.deepcopy(args)), host


def comparable(result):
    out = dict(result)
    out.pop('rtt_ms', None)
    if out.get('tls'):
        out['tls'] = dict(out['tls'], cipher_suite=None)
        if not out['tls']['validated']:   # each TLS library words its verification failure its own way
            out['tls']['validation_error'] = bool(out['tls']['validation_error'])
            out['reason'] = out['reason'].split(' but the certificate was not validated')[0]
    return out


@pytest.mark.parametrize('transport', ['winrm', 'psrp'])
def test_same_verdicts_from_windows_as_from_linux(transport, tcp_listener, tls_server, snmpd, udp_responder,
                                                  free_port, pki):
    good = tls_server('good')
    wrong = tls_server('wronghost')
    silent = udp_responder(lambda data: None)
    targets = [
        {'host': '127.0.0.1', 'port': tcp_listener},
        {'host': '127.0.0.1', 'port': free_port(socket.SOCK_STREAM)},
        {'host': '127.0.0.1', 'port': good.port, 'tls': True, 'server_name': 'localhost'},
        {'host': '127.0.0.1', 'port': wrong.port, 'tls': True, 'server_name': 'localhost'},
        {'host': '127.0.0.1', 'port': snmpd.port, 'transport': 'udp', 'probe': 'snmp', 'community': 'public'},
        {'host': '127.0.0.1', 'port': free_port(), 'transport': 'udp'},
        {'host': '127.0.0.1', 'port': silent.port, 'transport': 'udp'},
        {'host': '::1', 'port': free_port(socket.SOCK_STREAM)},
    ]
    args = {'targets': targets, 'timeout': 0.5, 'retries': 1, 'ca_path': pki.ca_path}
    linux = port_probe.run_checks(copy.deepcopy(targets), timeout=0.5, retries=1, ca_path=pki.ca_path)
    out, host = windows_run(args, transport)
    assert 'failed' not in out, out
    assert out['vantage'] == 'windows' and out['round_trips'] == 1 and len(host.log) == 1
    assert host.log[0][0] == transport and host.log[0][1] == 'port_probe'
    assert [r['state'] for r in out['results']] == [r['state'] for r in linux] == [
        'open', 'closed', 'open', 'open', 'open', 'closed', 'open_or_filtered', 'closed']
    assert [comparable(r) for r in out['results']] == [comparable(r) for r in linux]
    assert out['results'][2]['tls']['validated'] is True and out['results'][3]['tls']['validated'] is False
    assert out['results'][2]['tls']['cipher'] == linux[2]['tls']['cipher']       # named the same from both
    assert out['summary']['total'] == len(targets)
    documented = yaml.safe_load(port_check_module.RETURN)
    # The RETURN docs name every key, no more (field and error_kind are only returned on failure).
    assert set(out) - {'changed'} == set(documented) - {'field', 'error_kind'}
    assert set(out['results'][2]['tls']) == set(documented['results']['contains']['tls']['contains'])


def test_bad_target_fails_before_any_round_trip():
    out, host = windows_run({'targets': [{'host': 'h', 'port': 70000}]}, 'winrm')
    assert out['failed'] is True and out['round_trips'] == 0 and host.log == []
    assert 'port' in out['msg']


def _v3_target(agent, user, auth_key=None, priv_key=None):
    dummy_a, dummy_p, auth, priv, level = agent.users[user]
    target = {'host': agent.host, 'port': agent.port, 'transport': 'udp', 'probe': 'snmp', 'version': '3',
              'username': user, 'auth_protocol': auth, 'auth_key': auth_key or agent.auth_key}
    if priv:
        target.update(priv_protocol=priv, priv_key=priv_key or agent.priv_key)
    return target


def v3_comparable(result):
    """A result without what differs by vantage point or by the moment: the RTT, the agent's engine time, and
    the words in brackets after an SNMPv3 error (pysnmp's indication text on Linux, the Report's counter from
    Windows)."""
    out = comparable(result)
    snmp = dict(out['snmp'], engine_time=None)
    if snmp.get('error'):
        snmp['error'] = snmp['error'].split(' [')[0]
        out['reason'] = out['reason'].split(' [')[0]
    out['snmp'] = snmp
    return out


@pytest.mark.parametrize('transport', ['winrm', 'psrp'])
def test_snmpv3_credentials_from_windows_as_from_linux(transport, printer_snmpd):
    """Every USM combination of the printer agent (SHA-1..SHA-512, MD5, DES, AES-128/192/256, authNoPriv), a
    wrong auth key and an unknown user: the authenticated GETs all go in one second round trip, and the
    verdicts equal the Linux engine's (pysnmp's hlapi)."""
    targets = [_v3_target(printer_snmpd, user) for user in sorted(printer_snmpd.users)]
    targets.append(_v3_target(printer_snmpd, 'sha1aes', auth_key='wrong-auth-key'))
    unknown = _v3_target(printer_snmpd, 'sha1aes')
    unknown['username'] = 'nobody'
    targets.append(unknown)
    args = {'targets': targets, 'timeout': 1.0, 'retries': 1}
    linux = port_probe.run_checks(copy.deepcopy(targets), timeout=1.0, retries=1)
    out, host = windows_run(args, transport)
    assert 'failed' not in out, out
    assert out['round_trips'] == 2 and [entry[1] for entry in host.log] == ['port_probe', 'port_probe']
    assert [r['snmp']['authenticated'] for r in out['results']] == [True] * len(printer_snmpd.users) + [False, False]
    assert [r['snmp']['error_kind'] for r in out['results'][-2:]] == ['authentication', 'unknown_user']
    assert [v3_comparable(r) for r in out['results']] == [v3_comparable(r) for r in linux]
    assert all(r['snmp']['sys_descr'] for r in out['results'][:-2])
    assert printer_snmpd.auth_key not in str(out) and printer_snmpd.priv_key not in str(out)
    # The payloads carry datagrams (digests, ciphertext), never the keys.
    for entry in host.log:
        assert printer_snmpd.auth_key not in str(entry[2]) and printer_snmpd.priv_key not in str(entry[2])


def test_snmpv2c_only_fleet_takes_one_round_trip(snmpd):
    out, host = windows_run({'targets': [{'host': '127.0.0.1', 'port': snmpd.port, 'transport': 'udp',
                                          'probe': 'snmp', 'community': 'public'}]}, 'winrm')
    assert out['round_trips'] == 1 and out['results'][0]['state'] == 'open'
