# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import resource

import dns.message
import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
from ansible_collections.printfleet.mve.plugins.module_utils.probes import port_probe as pp
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import mdns as mdns_wire

FAST = dict(timeout=0.25, retries=1)
LOCAL = '127.0.0.1'


def _one(target, **kwargs):
    options = dict(FAST)
    options.update(kwargs)
    results = pp.run_checks([target], **options)
    assert len(results) == 1
    return results[0]


# ---- validation -----------------------------------------------------------------------------------

BAD_TARGETS = [
    # target, field, text in the message
    ({'host': 'h', 'port': 80, 'transport': 'sctp'}, 'targets[0].transport', 'expected one of: tcp, udp'),
    ({'host': 'h', 'port': 0}, 'targets[0].port', 'got 0, expected a port number from 1 to 65535'),
    ({'host': 'h', 'port': 70000}, 'targets[0].port', 'got 70000, expected a port number from 1 to 65535'),
    ({'host': 'h', 'port': 'http'}, 'targets[0].port', 'expected a port number from 1 to 65535'),
    ({'host': 'h', 'port': 8.5}, 'targets[0].port', 'expected a port number from 1 to 65535'),
    ({'host': 'h', 'port': True}, 'targets[0].port', 'expected a port number from 1 to 65535'),
    ({'host': 'h'}, 'targets[0].port', 'got None'),
    ({'host': '', 'port': 80}, 'targets[0].host', 'expected a host name or IP address'),
    ({'host': '   ', 'port': 80}, 'targets[0].host', 'expected a host name or IP address'),
    ({'port': 80}, 'targets[0].host', 'expected a host name or IP address'),
    ({'host': 'a b', 'port': 80}, 'targets[0].host', 'without spaces'),
    ({'host': 'h', 'port': 80, 'probe': 'http'}, 'targets[0].probe', 'expected one of: none, snmp, mdns, tls'),
    ({'host': 'h', 'port': 161, 'probe': 'snmp'}, 'targets[0].probe', 'probe snmp needs transport udp'),
    ({'host': 'h', 'port': 5353, 'probe': 'mdns', 'transport': 'tcp'}, 'targets[0].probe',
     'probe mdns needs transport udp'),
    ({'host': 'h', 'port': 443, 'probe': 'tls', 'transport': 'udp'}, 'targets[0].probe',
     'probe tls needs transport tcp'),
    ({'host': 'h', 'port': 443, 'tls': True, 'transport': 'udp'}, 'targets[0].tls', 'needs transport tcp'),
    ({'host': 'h', 'port': 443, 'tls': 'maybe'}, 'targets[0].tls', 'expected a boolean'),
    ({'host': 'h', 'port': 161, 'transport': 'udp', 'probe': 'snmp', 'version': '4'}, 'targets[0].version',
     'expected one of: 1, 2c, 3'),
    ({'host': 'h', 'port': 80, 'version': 'v2'}, 'targets[0].version', 'expected one of: 1, 2c, 3'),
    ({'host': 'h', 'port': 161, 'transport': 'udp', 'probe': 'snmp', 'version': '3'}, 'targets[0].username',
     'required when version is 3'),
    ({'host': 'h', 'port': 161, 'transport': 'udp', 'probe': 'snmp', 'version': '3', 'username': 'u',
      'auth_key': 'a' * 8, 'auth_protocol': 'sha1'}, 'targets[0].auth_protocol', 'expected one of'),
    ({'host': 'h', 'port': 80, 'colour': 'red'}, 'targets[0]', 'unknown key(s) colour'),
    ({'host': 'h', 'port': 443, 'server_name': ''}, 'targets[0].server_name', 'expected a host name'),
    ('h:80', 'targets[0]', 'expected a dict'),
]


@pytest.mark.parametrize('target, field, text', BAD_TARGETS, ids=[str(i) for i in range(len(BAD_TARGETS))])
def test_validate_target_errors(target, field, text):
    with pytest.raises(pp.TargetError) as info:
        pp.validate_target(target, 0)
    assert isinstance(info.value, ValueError)
    assert info.value.field == field
    assert str(info.value).startswith(field + ': ')
    assert text in str(info.value)


def test_validate_target_message_format():
    with pytest.raises(ValueError) as info:
        pp.validate_target({'host': 'h', 'port': 70000}, 3)
    assert str(info.value) == 'targets[3].port: got 70000, expected a port number from 1 to 65535'


def test_validate_target_defaults_and_inheritance():
    t = pp.validate_target({'host': ' printer01 ', 'port': 161, 'transport': 'udp', 'probe': 'snmp'}, 0,
                           snmp_defaults={'version': '3', 'username': 'mve', 'auth_key': 'a' * 8})
    assert t['host'] == 'printer01'
    assert t['snmp']['version'] == '3' and t['snmp']['username'] == 'mve'
    assert t['snmp']['auth_protocol'] == 'sha'
    plain = pp.validate_target({'host': 'h', 'port': 443, 'probe': 'tls'}, 0)
    assert (plain['transport'], plain['tls'], plain['snmp']) == ('tcp', True, None)


def test_all_targets_validated_before_any_probe(tcp_listener):
    targets = [{'host': LOCAL, 'port': tcp_listener}, {'host': LOCAL, 'port': 0},
               {'host': LOCAL, 'port': 80, 'transport': 'icmp'}]
    with pytest.raises(pp.TargetError) as info:
        pp.run_checks(targets, **FAST)
    fields = [e.field for e in info.value.errors]
    assert fields == ['targets[1].port', 'targets[2].transport']
    assert str(info.value) == '; '.join(str(e) for e in info.value.errors)


@pytest.mark.parametrize('options, field', [
    (dict(timeout=0), 'timeout'), (dict(timeout=-1), 'timeout'), (dict(retries=-1), 'retries'),
    (dict(concurrency=0), 'concurrency'), (dict(concurrency=1.5), 'concurrency'),
])
def test_run_options_validated(options, field):
    with pytest.raises(pp.TargetError) as info:
        pp.run_checks([{'host': LOCAL, 'port': 1}], **options)
    assert info.value.field == field


# ---- targets from the port matrix ---------------------------------------------------------------

def _by_flow(targets):
    return dict((t['flow'], t) for t in targets)


def test_targets_from_matrix_printer_snmp():
    targets = pp.targets_from_matrix({'printer_protocols': ['snmp']}, {'printer': ['p1', 'p2']})
    snmp_flow = port_matrix.get_flow('printer.snmp')
    assert [(t['host'], t['port'], t['transport'], t['probe'], t['flow']) for t in targets] == [
        ('p1', snmp_flow['destination_port'], 'udp', 'snmp', 'printer.snmp'),
        ('p2', snmp_flow['destination_port'], 'udp', 'snmp', 'printer.snmp'),
    ]
    assert all(t['advisory'] is False for t in targets)


def test_targets_from_matrix_follow_the_matrix():
    features = {'database': 'sqlserver', 'smtp': 'ssl', 'directory': 'ldaps', 'kerberos': True}
    peers = {'printer': ['p1'], 'database': ['db1'], 'smtp': ['mail'], 'ldap': ['dc1'], 'kdc': ['dc1']}
    targets = pp.targets_from_matrix(features, peers)
    expected = [f for f in port_matrix.select_flows(features=features, source='mve_server')
                if f['destination'] in peers and isinstance(f['destination_port'], int)]
    covered = set()
    for t in targets:
        covered.add(t['flow'])
        covered.update(t.get('also_flows', []))
    assert covered == set(f['id'] for f in expected)
    flows = _by_flow(targets)
    for f in expected:
        t = flows.get(f['id'])
        if t is None:
            continue
        assert (t['port'], t['transport'], t['probe']) == (f['destination_port'], f['transport'], f['probe'])
        assert t.get('tls', False) is (f['probe'] == 'tls')
        assert t['advisory'] is f['advisory']
    # validate_targets accepts everything the matrix produces
    pp.validate_targets(targets)


def test_targets_from_matrix_dedupes_same_port():
    targets = pp.targets_from_matrix({'printer_protocols': ['http', 'https']}, {'printer': ['p1']})
    tls_port = port_matrix.get_flow('printer.https')['destination_port']
    same = [t for t in targets if t['port'] == tls_port and t['transport'] == 'tcp']
    assert len(same) == 1
    assert same[0]['flow'] == 'printer.http_443'
    assert same[0]['also_flows'] == ['printer.https']
    assert same[0]['probe'] == 'tls' and same[0]['tls'] is True
    advisory = [t for t in targets if t['flow'] == 'printer.https_161']
    assert advisory and advisory[0]['advisory'] is True


def test_targets_from_matrix_port_override_and_vantage(free_port):
    override = free_port()
    targets = pp.targets_from_matrix({'smtp': 'starttls', 'ports': {'smtp.starttls': override}},
                                     {'smtp': 'mail.example.com'})
    assert [(t['flow'], t['port']) for t in targets] == [('smtp.starttls', override)]
    from_printer = pp.targets_from_matrix(None, {'mve_server': ['mve']}, vantage='printer')
    assert [t['flow'] for t in from_printer] == ['alerts.npap']
    assert from_printer[0]['port'] == port_matrix.get_flow('alerts.npap')['destination_port']
    # ephemeral destinations never become targets
    assert pp.targets_from_matrix({'printer_protocols': ['ftp']}, {'mve_server': ['mve']}, vantage='printer') == []


@pytest.mark.parametrize('features, peers, vantage, field', [
    (None, {'printers': ['p1']}, 'mve_server', 'peers.printers'),
    (None, {'printer': ['']}, 'mve_server', 'peers.printer[0]'),
    (None, {'printer': 5}, 'mve_server', 'peers.printer'),
    (None, ['p1'], 'mve_server', 'peers'),
    (None, {'printer': ['p1']}, 'toaster', 'vantage'),
    ({'database': 'oracle'}, {'printer': ['p1']}, 'mve_server', 'features.database'),
])
def test_targets_from_matrix_errors(features, peers, vantage, field):
    with pytest.raises(ValueError) as info:
        pp.targets_from_matrix(features, peers, vantage)
    assert info.value.field == field


# ---- TCP --------------------------------------------------------------------------------------------

def test_tcp_open(tcp_listener):
    r = _one({'host': LOCAL, 'port': tcp_listener})
    assert r['state'] == 'open'
    assert r['rtt_ms'] is not None and r['rtt_ms'] >= 0
    assert set(r) == {'host', 'port', 'transport', 'probe', 'state', 'reason', 'rtt_ms'}


def test_tcp_closed(free_port):
    r = _one({'host': LOCAL, 'port': free_port(pp.socket.SOCK_STREAM)})
    assert r['state'] == 'closed'
    assert 'refused' in r['reason']


def test_tcp_filtered_when_syn_is_dropped(tcp_blackhole):
    r = _one({'host': LOCAL, 'port': tcp_blackhole})
    assert r['state'] == 'filtered'
    assert 'No answer' in r['reason'] and r['rtt_ms'] is None


def test_host_that_does_not_resolve():
    r = _one({'host': 'no-such-host.invalid', 'port': 80})
    assert r['state'] == 'error'
    assert 'resolve' in r['reason']


def test_hostname_target(tcp_listener):
    assert _one({'host': 'localhost', 'port': tcp_listener})['state'] == 'open'


@pytest.mark.parametrize('code, state', [
    (errno.EHOSTUNREACH, 'filtered'), (errno.ENETUNREACH, 'filtered'), (errno.EPERM, 'filtered'),
    (errno.EACCES, 'filtered'), (errno.ETIMEDOUT, 'filtered'), (errno.EADDRNOTAVAIL, 'error'),
])
def test_oserror_classification(code, state):
    got, reason = pp._classify_oserror(OSError(code, 'x'), 'The TCP connection attempt')
    assert got == state
    assert errno.errorcode[code] in reason


# ---- UDP --------------------------------------------------------------------------------------------

def test_udp_closed_by_icmp(free_port):
    r = _one({'host': LOCAL, 'port': free_port(), 'transport': 'udp'})
    assert r['state'] == 'closed'
    assert 'ICMP port unreachable' in r['reason']


def test_udp_silent_is_open_or_filtered(udp_responder):
    silent = udp_responder(lambda data: None)
    r = _one({'host': LOCAL, 'port': silent.port, 'transport': 'udp'})
    assert r['state'] == 'open_or_filtered'
    assert 'open or filtered' in r['reason'] and 'not proven open' in r['reason']
    assert r['rtt_ms'] is None
    assert len(silent.received) == 2  # the first try and one retry, same datagram


def test_udp_any_datagram_is_open_for_probe_none(udp_responder):
    echo = udp_responder(lambda data: b'pong')
    r = _one({'host': LOCAL, 'port': echo.port, 'transport': 'udp'})
    assert r['state'] == 'open'
    assert r['rtt_ms'] is not None


def test_udp_retries_zero_sends_once(udp_responder):
    silent = udp_responder(lambda data: None)
    r = _one({'host': LOCAL, 'port': silent.port, 'transport': 'udp'}, retries=0)
    assert r['state'] == 'open_or_filtered'
    assert len(silent.received) == 1


# ---- SNMP -------------------------------------------------------------------------------------------

def _snmp(snmpd, **extra):
    t = {'host': snmpd.host, 'port': snmpd.port, 'transport': 'udp', 'probe': 'snmp'}
    t.update(extra)
    return t


@pytest.mark.parametrize('version', ['1', '2c'])
def test_snmp_open(snmpd, version):
    r = _one(_snmp(snmpd, version=version, community=snmpd.community))
    assert r['state'] == 'open', r
    assert r['snmp']['version'] == version
    assert 'Linux' in r['snmp']['sys_descr']
    assert r['snmp']['error_status'] == 'noError'


def test_snmp_wrong_community_is_open_or_filtered(snmpd):
    r = _one(_snmp(snmpd, community='not-the-community'))
    assert r['state'] == 'open_or_filtered'
    assert 'No SNMP v2c reply' in r['reason'] and 'wrong community' in r['reason']
    assert 'snmp' not in r


def test_snmp_closed_port(free_port):
    r = _one({'host': LOCAL, 'port': free_port(), 'transport': 'udp', 'probe': 'snmp'})
    assert r['state'] == 'closed'


def test_snmp_ignores_replies_that_do_not_match(udp_responder):
    from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp as snmp_wire
    liar = udp_responder(lambda data: snmp_wire.build_get_request(1, 'public'))  # a GetRequest, wrong id
    r = _one({'host': LOCAL, 'port': liar.port, 'transport': 'udp', 'probe': 'snmp'})
    assert r['state'] == 'open_or_filtered'
    assert 'not a matching SNMP reply' in r['reason']


def test_snmp_v3_discovery_and_get(snmpd):
    dummy_a, dummy_p, auth, priv = snmpd.users['shauser']
    r = _one(_snmp(snmpd, version='3', username='shauser', auth_protocol=auth, auth_key=snmpd.auth_key,
                   priv_protocol=priv, priv_key=snmpd.priv_key), timeout=2)
    assert r['state'] == 'open', r
    assert r['snmp']['engine_id'].startswith('8000')
    assert r['snmp']['engine_boots'] >= 1
    assert r['snmp']['authenticated'] is True
    assert 'Linux' in r['snmp']['sys_descr']


def test_snmp_v3_wrong_auth_key_is_an_authentication_error(snmpd):
    r = _one(_snmp(snmpd, version='3', username='shauser', auth_protocol='sha', auth_key='wrong-auth-key',
                   priv_protocol='aes', priv_key=snmpd.priv_key), timeout=1)
    assert r['state'] == 'open'  # the agent is alive (it answered discovery); the credentials are wrong
    assert r['snmp']['authenticated'] is False
    assert r['snmp']['error_kind'] == 'authentication'
    assert 'authentication error' in r['reason']
    assert 'Wrong SNMP PDU digest' in r['snmp']['error']


def test_secrets_never_in_results(snmpd):
    secrets = ['community-s3cret', 'auth-s3cret-key', 'priv-s3cret-key']
    results = pp.run_checks([
        _snmp(snmpd, community=secrets[0]),
        _snmp(snmpd, version='3', username='shauser', auth_key=secrets[1], priv_key=secrets[2]),
    ], **FAST)
    text = json.dumps(results)
    for secret in secrets:
        assert secret not in text


# ---- mDNS -------------------------------------------------------------------------------------------

def _mdns_answer(data):
    query = dns.message.from_wire(data)
    response = dns.message.make_response(query)
    response.answer.append(dns.rrset.from_text(query.question[0].name, 4500, 'IN', 'PTR', '_printer._tcp.local.'))
    return response.to_wire()


def test_mdns_open(udp_responder):
    responder = udp_responder(_mdns_answer)
    r = _one({'host': LOCAL, 'port': responder.port, 'transport': 'udp', 'probe': 'mdns'})
    assert r['state'] == 'open'
    assert r['mdns']['query'] == mdns_wire.SERVICES_QUERY
    assert r['mdns']['id_matches'] is True
    assert [a['value'] for a in r['mdns']['answers']] == ['_printer._tcp.local.']
    query = dns.message.from_wire(responder.received[0])
    assert query.question[0].name.to_text() == mdns_wire.SERVICES_QUERY + '.'


def test_mdns_garbage_is_not_a_reply(udp_responder):
    responder = udp_responder(lambda data: b'\x01')
    r = _one({'host': LOCAL, 'port': responder.port, 'transport': 'udp', 'probe': 'mdns'})
    assert r['state'] == 'open_or_filtered'
    assert 'not DNS messages' in r['reason'] or 'not DNS' in r['reason']


# ---- TLS --------------------------------------------------------------------------------------------

def test_tls_validated_with_ca_path(tls_server, pki):
    server = tls_server('good')
    r = _one({'host': LOCAL, 'port': server.port, 'probe': 'tls'}, ca_path=pki.ca_path, timeout=2)
    assert r['state'] == 'open'
    tls = r['tls']
    assert tls['validated'] is True and tls['validation_error'] is None
    assert tls['version'].startswith('TLSv1.')
    assert tls['cipher']
    assert tls['subject'] == 'CN=localhost'
    assert tls['issuer'] == 'CN=printfleet test CA'
    assert tls['san'] == ['localhost', '127.0.0.1']
    assert tls['days_left'] == 10
    assert tls['not_after'].endswith('Z')


def test_tls_not_validated_without_ca(tls_server):
    server = tls_server('good')
    r = _one({'host': LOCAL, 'port': server.port, 'tls': True}, timeout=2)
    assert r['state'] == 'open'
    assert r['tls']['validated'] is False
    assert 'certificate verify failed' in r['tls']['validation_error']
    assert r['tls']['subject'] == 'CN=localhost'  # facts still reported from the unverified handshake
    assert 'not validated' in r['reason']


def test_tls_expired_certificate(tls_server, pki):
    server = tls_server('expired')
    r = _one({'host': LOCAL, 'port': server.port, 'probe': 'tls'}, ca_path=pki.ca_path, timeout=2)
    assert r['tls']['validated'] is False
    assert 'expired' in r['tls']['validation_error']
    assert r['tls']['days_left'] < 0


def test_tls_server_name_mismatch(tls_server, pki):
    server = tls_server('good')
    r = _one({'host': LOCAL, 'port': server.port, 'probe': 'tls', 'server_name': 'printer.example.com'},
             ca_path=pki.ca_path, timeout=2)
    assert r['tls']['validated'] is False
    assert 'printer.example.com' in r['tls']['validation_error']


def test_tls_validate_certs_false(tls_server):
    server = tls_server('good')
    r = _one({'host': LOCAL, 'port': server.port, 'probe': 'tls'}, validate_certs=False, timeout=2)
    assert r['tls']['validated'] is False
    assert r['tls']['validation_error'] == 'not verified: validate_certs is false'
    assert r['tls']['subject'] == 'CN=localhost'


def test_tls_bad_ca_path_fails_before_probing(tmp_path):
    with pytest.raises(pp.TargetError) as info:
        pp.run_checks([{'host': LOCAL, 'port': 443, 'probe': 'tls'}], ca_path=str(tmp_path / 'missing.pem'))
    assert info.value.field == 'ca_path'
    bad = tmp_path / 'bad.pem'
    bad.write_text('not a certificate')
    with pytest.raises(pp.TargetError, match='ca_path'):
        pp.run_checks([{'host': LOCAL, 'port': 443, 'probe': 'tls'}], ca_path=str(bad))


def test_tls_on_a_port_that_does_not_speak_tls(tcp_listener):
    r = _one({'host': LOCAL, 'port': tcp_listener, 'probe': 'tls'}, timeout=0.3)
    assert r['state'] == 'open'
    assert r['tls']['validated'] is False and r['tls']['version'] is None
    assert 'TLS handshake' in r['tls']['validation_error']


# ---- the engine as a whole ---------------------------------------------------------------------------

def test_results_in_input_order_with_bounded_concurrency(tcp_listener, udp_responder, free_port):
    echo = udp_responder(lambda data: b'x')
    closed = free_port(pp.socket.SOCK_STREAM)
    targets = []
    for i in range(60):
        targets.append({'host': LOCAL, 'port': [tcp_listener, closed][i % 2]})
        targets.append({'host': LOCAL, 'port': echo.port, 'transport': 'udp'})
    results = pp.run_checks(targets, timeout=1, retries=1, concurrency=7)
    assert [(r['port'], r['transport']) for r in results] == [(t['port'], t.get('transport', 'tcp'))
                                                              for t in targets]
    assert [r['state'] for r in results[:4]] == ['open', 'open', 'closed', 'open']
    summary = pp.summarize(results, 12.5)
    assert summary == {'open': 90, 'closed': 30, 'filtered': 0, 'open_or_filtered': 0, 'error': 0,
                       'total': 120, 'elapsed_ms': 12.5}


def test_matrix_targets_carry_flow_and_advisory(tcp_listener):
    targets = pp.targets_from_matrix({'smtp': 'none', 'ports': {'smtp.none': tcp_listener}}, {'smtp': [LOCAL]})
    r = pp.run_checks(targets, **FAST)[0]
    assert (r['state'], r['flow'], r['advisory']) == ('open', 'smtp.none', False)


def test_empty_target_list():
    assert pp.run_checks([]) == []


def test_fd_limit_raised():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
        assert pp.raise_fd_limit(1000) == 1000
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= 2064
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.parametrize('targets, need', [
    ([{'host': 'h', 'port': 1}], []),
    ([{'host': 'h', 'port': 1, 'transport': 'udp', 'probe': 'snmp'}], ['pysnmp']),
    ([{'host': 'h', 'port': 1, 'transport': 'udp', 'probe': 'mdns'}, {'host': 'h', 'port': 2, 'tls': True}],
     ['dnspython', 'cryptography']),
])
def test_needed_libraries(targets, need):
    assert pp.needed_libraries(pp.validate_targets(targets)) == need
