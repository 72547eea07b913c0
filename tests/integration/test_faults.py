"""The fault suite: every check module and the printers inventory against a network that misbehaves.

The network is the suite's own (faultnet.py: namespaces pfmvef-*, 198.19.x.0/24): 10% and 50% packet loss, a
600 ms round trip, a black hole, rate-limited ICMP, and hostile peers (faultpeers.py): one that accepts and never
answers, one that answers garbage, ones that send half a protocol greeting and close, ones that reset in the middle
of a TLS handshake, HTTPS servers answering 500 or an unexpected page; plus a name that does not resolve.

The modules run the way users run them, through ansible-playbook (one playbook per module family, every fault a
task; a callback plugin returns each task's result and wall time). For every case the test asserts the verdict,
that it came within the module's own time budget (timeout x attempts, plus a margin) and that the reason is a
sentence a person understands, with no traceback anywhere in the result. docs/faults.md says what the verdicts
mean, in particular what rate-limited ICMP lets one conclude.
"""
import datetime
import json
import os
import pathlib
import re

import pytest

import faultnet
from faultnet import COMMUNITY, PEER_PORTS, SYS_NAME, address

# Seconds allowed on top of a module's own budget: for elapsed times the module measures itself (probes only),
# and for task wall times (Python start, imports, Ansible's result handling on a busy 2-core machine).
MARGIN = 1.5
TASK_MARGIN = 4.0
PEER = address('peer')
HOLE = address('peer', 3)
ICMP_LIMITED = address('peer', 4)
NOWHERE = 'pfmvef-nowhere.invalid'   # .invalid never resolves (RFC 6761)


@pytest.fixture(scope='module')
def faults(tmp_path_factory, collection_installed):
    if os.geteuid() != 0:
        pytest.fail('the fault suite builds network namespaces: it needs root (CI runs as root)', pytrace=False)
    work = tmp_path_factory.mktemp('faults')
    from support.pki import Pki
    pki = Pki(pathlib.Path(str(work)))
    now = datetime.datetime.now(datetime.timezone.utc)
    leaf = pki.issue('faultpeer', [PEER], now - datetime.timedelta(days=1), now + datetime.timedelta(days=10))
    net = faultnet.FaultNet(str(work), leaf.cert_path, leaf.key_path)
    try:
        net.up()
    except Exception as exc:  # pylint: disable=broad-except
        net.down()
        pytest.fail('the fault network did not come up: %s' % exc, pytrace=False)
    try:
        yield {'dir': str(work), 'ca': pki.ca_path, 'net': net}
    finally:
        net.down()


def readable(text):
    """A reason a person understands: words, no traceback, not the bare repr or name of an exception."""
    assert isinstance(text, str) and len(text) >= 20, text
    assert 'Traceback' not in text, text
    assert ' ' in text.strip(), text
    assert not re.fullmatch(r'\s*[\w.]*(Error|Exception|Timeout)(\(.*\))?\.?\s*', text, re.S), text
    assert not re.search(r'<\w[\w.]* object at 0x', text), text
    return text


def no_traceback(entry):
    dumped = json.dumps(entry['result'])
    assert 'Traceback' not in dumped, dumped[-3000:]
    assert 'MODULE FAILURE' not in dumped, dumped[-3000:]


def within(seconds, budget, margin=MARGIN):
    assert seconds is not None and seconds <= budget + margin, (seconds, budget)


def run(faults, label, tasks):
    results, proc = faultnet.run_tasks(os.path.join(faults['dir']), label, tasks)
    missing = [t['name'] for t in tasks if t['name'] not in results]
    assert not missing, 'no result for %s:\n%s\n%s' % (missing, proc.stdout[-4000:], proc.stderr[-2000:])
    for entry in results.values():
        no_traceback(entry)
    return results


# ------------------------------------------------------------------------------------------------ port_check
def snmp_target(host, port=161):
    return {'host': host, 'port': port, 'transport': 'udp', 'probe': 'snmp', 'community': COMMUNITY}


PORT_CASES = {
    # name: (module arguments, attempts the budget allows)
    'loss10 snmp': ({'targets': [snmp_target(address('loss10'))], 'timeout': 0.5, 'retries': 8}, 9),
    'loss50 snmp': ({'targets': [snmp_target(address('loss50'))], 'timeout': 0.5, 'retries': 3}, 4),
    'loss50 tcp': ({'targets': [{'host': address('loss50'), 'port': faultnet.LISTEN_PORT}], 'timeout': 5.0}, 1),
    'slow tcp': ({'targets': [{'host': address('slow'), 'port': faultnet.LISTEN_PORT}], 'timeout': 2.0}, 1),
    'slow snmp': ({'targets': [snmp_target(address('slow'))], 'timeout': 2.0, 'retries': 1}, 2),
    'black hole tcp': ({'targets': [{'host': HOLE, 'port': 443}], 'timeout': 1.0}, 1),
    'black hole snmp': ({'targets': [snmp_target(HOLE)], 'timeout': 1.0, 'retries': 1}, 2),
    'icmp rate limited': ({'targets': [{'host': ICMP_LIMITED, 'port': p, 'transport': 'udp'}
                                       for p in range(7101, 7107)], 'timeout': 1.0, 'retries': 1}, 2),
    # TLS probes: the TCP connection and the handshake each have the timeout.
    'silent tls': ({'targets': [{'host': PEER, 'port': PEER_PORTS['silent'], 'probe': 'tls'}], 'timeout': 1.0}, 2),
    'garbage tls': ({'targets': [{'host': PEER, 'port': PEER_PORTS['garbage'], 'probe': 'tls'}], 'timeout': 1.0}, 2),
    'half greeting tls': ({'targets': [{'host': PEER, 'port': PEER_PORTS['smtp_half'], 'probe': 'tls'}],
                           'timeout': 1.0}, 2),
    'reset mid tls': ({'targets': [{'host': PEER, 'port': PEER_PORTS['tls_reset'], 'probe': 'tls'}],
                       'timeout': 1.0}, 2),
    'garbage snmp': ({'targets': [snmp_target(PEER, PEER_PORTS['udp_garbage'])], 'timeout': 1.0, 'retries': 1}, 2),
    'no such name': ({'targets': [{'host': NOWHERE, 'port': 443}], 'timeout': 1.0}, 1),
}


def test_port_check_faults(faults):
    tasks = [{'name': name, 'printfleet.mve.port_check': dict(args, ca_path=faults['ca'])}
             for name, (args, dummy) in PORT_CASES.items()]
    results = run(faults, 'port_check', tasks)
    got = {}
    for name, (args, attempts) in PORT_CASES.items():
        entry = results[name]
        assert entry['status'] == 'ok', entry
        out = entry['result']
        within(out['summary']['elapsed_ms'] / 1000.0, args['timeout'] * attempts)
        for r in out['results']:
            readable(r['reason'])
        got[name] = out['results']

    def one(name):
        assert len(got[name]) == 1
        return got[name][0]

    # Loss: the retries bring the right verdict.
    assert one('loss10 snmp')['state'] == 'open'
    assert one('loss10 snmp')['snmp']['sys_descr'] == faultnet.SYS_DESCR
    assert one('loss50 snmp')['state'] == 'open'
    # Every other packet lost: the SYN and the SYN-ACK each need the kernel's retransmission (1 s apart).
    assert one('loss50 tcp')['state'] == 'open' and one('loss50 tcp')['rtt_ms'] >= 1000
    # 600 ms round trip: open, and the RTT says so.
    for name in ('slow tcp', 'slow snmp'):
        assert one(name)['state'] == 'open', one(name)
        assert one(name)['rtt_ms'] >= 600, one(name)
    # Black hole: filtered (TCP) and open_or_filtered (UDP), within the timeout.
    assert one('black hole tcp')['state'] == 'filtered'
    assert 'within 1.0 s' in one('black hole tcp')['reason']
    assert one('black hole snmp')['state'] == 'open_or_filtered'
    assert one('black hole snmp')['rtt_ms'] is None
    # ICMP rate limiting: the first ICMP_BURST closed ports say closed, the rest fall silent (open_or_filtered).
    states = sorted(r['state'] for r in got['icmp rate limited'])
    assert states == ['closed'] * faultnet.ICMP_BURST + ['open_or_filtered'] * (6 - faultnet.ICMP_BURST), states
    # Hostile TLS peers: the port is open; the TLS facts say what went wrong.
    silent = one('silent tls')
    assert silent['state'] == 'open' and silent['tls']['version'] is None
    assert 'no TLS handshake within 1.0 s' in silent['reason'], silent['reason']
    for name in ('garbage tls', 'half greeting tls'):
        assert one(name)['state'] == 'open' and one(name)['tls']['version'] is None
        assert 'TLS handshake failed' in one(name)['reason'], one(name)['reason']
    assert 'reset the connection' in one('reset mid tls')['reason'], one('reset mid tls')['reason']
    # Garbage over UDP is no SNMP reply: not proven open, and the reason says junk came back.
    garbage = one('garbage snmp')
    assert garbage['state'] == 'open_or_filtered'
    assert 'not a matching SNMP reply' in garbage['reason'], garbage['reason']
    nowhere = one('no such name')
    assert nowhere['state'] == 'error' and 'Cannot resolve host %s' % NOWHERE in nowhere['reason']


# ------------------------------------------------------------------------------------------ dependency checks
def dep(module, host, port, attempts=1, **args):
    return module, dict(args, host=host, port=port, timeout=1.0, fail_on_error=False), attempts


DEP_CASES = {
    'smtp silent': (dep('smtp_check', PEER, PEER_PORTS['silent'], encryption='starttls'), 'banner', 'within 1.0 s'),
    'smtp garbage': (dep('smtp_check', PEER, PEER_PORTS['garbage'], encryption='starttls'), 'banner', 'not SMTP'),
    'smtp half greeting': (dep('smtp_check', PEER, PEER_PORTS['smtp_half'], encryption='starttls'), 'banner',
                           'closed the connection'),
    # A greeting dripping in one byte every 0.7 s: the timeout bounds the whole reply, not each byte.
    'smtp drip': (dep('smtp_check', PEER, PEER_PORTS['drip'], encryption='starttls'), 'banner', 'within 1.0 s'),
    'smtp reset mid starttls': (dep('smtp_check', PEER, PEER_PORTS['smtp_reset'], encryption='starttls'), 'tls',
                                'reset the connection'),
    'smtp reset mid tls': (dep('smtp_check', PEER, PEER_PORTS['tls_reset'], encryption='ssl'), 'tls',
                           'reset the connection'),
    'smtp black hole': (dep('smtp_check', HOLE, 25, encryption='none'), 'connect', 'within 1.0 s'),
    'smtp no such name': (dep('smtp_check', NOWHERE, 25, encryption='none'), 'connect', 'cannot resolve'),
    'ldap silent': (dep('ldap_check', PEER, PEER_PORTS['silent']), None, 'within 1.0 s'),
    'ldap garbage': (dep('ldap_check', PEER, PEER_PORTS['garbage']), None, 'LDAP message'),
    'ldap half greeting': (dep('ldap_check', PEER, PEER_PORTS['ldap_half']), None, 'incomplete'),
    'ldap reset mid tls': (dep('ldap_check', PEER, PEER_PORTS['tls_reset'], encryption='ldaps'), None,
                           'reset the connection'),
    'ldap black hole': (dep('ldap_check', HOLE, 389), None, 'within 1.0 s'),
    'ldap no such name': (dep('ldap_check', NOWHERE, 389), None, 'cannot resolve'),
    'kerberos silent': (dep('kerberos_check', PEER, PEER_PORTS['silent'], realm='FAULT.TEST', transport='tcp'),
                        None, 'No KDC answered'),
    'kerberos garbage': (dep('kerberos_check', PEER, PEER_PORTS['garbage'], realm='FAULT.TEST', transport='tcp'),
                         None, 'No KDC answered'),
    'kerberos half greeting': (dep('kerberos_check', PEER, PEER_PORTS['krb_half'], realm='FAULT.TEST',
                                   transport='tcp'), None, 'No KDC answered'),
    'kerberos udp garbage': (dep('kerberos_check', PEER, PEER_PORTS['udp_garbage'], realm='FAULT.TEST',
                                 transport='udp'), None, 'No KDC answered'),
    'kerberos black hole': (dep('kerberos_check', HOLE, 88, 2, realm='FAULT.TEST', transport='both'), None,
                            'No KDC answered'),
    'kerberos no such name': (dep('kerberos_check', NOWHERE, 88, 2, realm='FAULT.TEST', transport='both'), None,
                              'No KDC answered'),
    'database silent': (dep('database_check', PEER, PEER_PORTS['silent'], engine='sqlserver'), None,
                        'within the timeout'),
    'database garbage': (dep('database_check', PEER, PEER_PORTS['garbage'], engine='sqlserver'), None,
                         'does not look like SQL Server'),
    'database half greeting': (dep('database_check', PEER, PEER_PORTS['tds_half'], engine='sqlserver'), None,
                               'not a complete TDS reply'),
    'database firebird garbage': (dep('database_check', PEER, PEER_PORTS['garbage'], engine='firebird'), None,
                                  'does not look like Firebird'),
    'database black hole': (dep('database_check', HOLE, 1433, engine='sqlserver'), None, 'within 1.0 s'),
    'database no such name': (dep('database_check', NOWHERE, 1433, engine='sqlserver'), None, 'cannot resolve'),
}


def test_dependency_check_faults(faults):
    tasks = [{'name': name, 'printfleet.mve.%s' % module: dict(args, ca_path=faults['ca'])}
             for name, ((module, args, dummy), stage, text) in DEP_CASES.items()]
    results = run(faults, 'dependency_checks', tasks)
    for name, ((module, args, attempts), stage, text) in DEP_CASES.items():
        entry = results[name]
        out = entry['result']
        assert entry['status'] == 'ok', (name, entry)      # fail_on_error: false reports instead of failing
        assert out['ok'] is False, (name, out)
        reason = readable(out['reason'])
        if text:
            assert text.lower() in reason.lower(), (name, reason)
        if stage:
            assert out['failed_stage'] == stage, (name, out['failed_stage'], reason)
        # The hostile peers answer in the peer's own time (up to 0.3 s of draining) on top of the timeout.
        within(out['elapsed_ms'] / 1000.0, args['timeout'] * attempts, MARGIN)
        assert entry['seconds'] <= args['timeout'] * attempts + TASK_MARGIN, (name, entry['seconds'])
    # Tighter than the margin above: the drip would otherwise run to the next byte after the timeout (1.4 s).
    within(results['smtp drip']['result']['elapsed_ms'] / 1000.0, 1.0, 0.25)
    for name in ('smtp black hole', 'database black hole'):
        assert results[name]['result']['connect_error'] == 'timeout', results[name]['result']
    for name in ('smtp no such name', 'database no such name'):
        assert results[name]['result']['connect_error'] == 'dns', results[name]['result']


# ---------------------------------------------------------------------------------------------------- printers
SNMP_ARGS = {'community': COMMUNITY}
# (timeout, retries) per link. printer_facts sends its GET and its supplies walk at once, with the same timeout:
# on a link that drops exactly every other packet the two retry in step and one of them takes the dropped slot
# until the other is done, so 50% loss gets more retries than the single exchange of port_check needs.
ALIVE = {'loss10': (0.5, 8), 'loss50': (0.3, 9), 'slow': (2.0, 1)}


def printer_tasks():
    tasks = []
    for name, (timeout, retries) in ALIVE.items():
        tasks.append({'name': 'facts %s' % name, 'printfleet.mve.printer_facts': dict(
            SNMP_ARGS, printers=[address(name)], timeout=timeout, retries=retries)})
        tasks.append({'name': 'snmp %s' % name, 'printfleet.mve.printer_snmp': dict(
            SNMP_ARGS, host=address(name), get=['1.3.6.1.2.1.1.5.0'], timeout=timeout, retries=retries)})
    tasks.append({'name': 'facts dead', 'printfleet.mve.printer_facts': dict(
        SNMP_ARGS, printers=[HOLE, NOWHERE], timeout=1.0, retries=1)})
    tasks.append({'name': 'facts garbage', 'printfleet.mve.printer_facts': dict(
        SNMP_ARGS, printers=[PEER], port=PEER_PORTS['udp_garbage'], timeout=1.0, retries=1)})
    for label, host, port in (('black hole', HOLE, 161), ('no such name', NOWHERE, 161),
                              ('garbage', PEER, PEER_PORTS['udp_garbage'])):
        tasks.append({'name': 'snmp %s' % label, 'printfleet.mve.printer_snmp': dict(
            SNMP_ARGS, host=host, port=port, get=['1.3.6.1.2.1.1.5.0'], timeout=1.0, retries=1)})
    return tasks


def test_printer_snmp_faults(faults):
    results = run(faults, 'printers', printer_tasks())
    for name in ALIVE:
        facts = results['facts %s' % name]
        assert facts['status'] == 'ok', facts
        printer = facts['result']['printers'][address(name)]
        assert printer['reachable'] is True, (name, printer)
        assert printer['sys_name'] == SYS_NAME and printer['vendor'] == 'Lexmark', printer
        snmp = results['snmp %s' % name]
        assert snmp['status'] == 'ok', snmp
        assert SYS_NAME in json.dumps(snmp['result']), snmp['result']
    # Dead printers: not reachable, a reason and a kind, within timeout x (retries + 1).
    dead = results['facts dead']
    assert dead['status'] == 'ok', dead
    within(dead['result']['summary']['elapsed_ms'] / 1000.0, 1.0 * 2)
    hole, nowhere = dead['result']['printers'][HOLE], dead['result']['printers'][NOWHERE]
    assert hole['reachable'] is False and hole['error_kind'] == 'timeout', hole
    assert nowhere['reachable'] is False and nowhere['error_kind'] == 'resolve', nowhere
    garbage = results['facts garbage']['result']['printers'][PEER]
    assert garbage['reachable'] is False, garbage
    within(results['facts garbage']['result']['summary']['elapsed_ms'] / 1000.0, 1.0 * 2)
    for printer in (hole, nowhere, garbage):
        readable(printer['error'])
    for label in ('black hole', 'no such name', 'garbage'):
        entry = results['snmp %s' % label]
        assert entry['status'] == 'failed', entry
        readable(entry['result']['msg'])
        assert entry['result'].get('error_kind'), entry['result']
        assert entry['seconds'] <= 1.0 * 2 + TASK_MARGIN, (label, entry['seconds'])
    assert results['snmp black hole']['result']['error_kind'] == 'timeout'


# ----------------------------------------------------------------------------------------- printer_port_access
ACCESS_CASES = {
    # name: (host, HTTPS port, expected error_kind, words of the message)
    'https 500': (PEER, PEER_PORTS['https_500'], 'http_error', 'HTTP 500'),
    'unexpected page': (PEER, PEER_PORTS['https_page'], 'form_changed', 'no port-access form'),
    'reset mid tls': (PEER, PEER_PORTS['tls_reset'], 'tls_failed', 'reset the connection in the middle'),
    'half greeting': (PEER, PEER_PORTS['smtp_half'], 'tls_failed', 'TLS handshake with'),
    'silent': (PEER, PEER_PORTS['silent'], 'timeout', 'within 1.0 s'),
    'black hole': (HOLE, 443, 'timeout', 'within 1.0 s'),
    'no such name': (NOWHERE, 443, 'unreachable', 'cannot resolve %s' % NOWHERE),
}


def test_printer_port_access_faults(faults):
    tasks = [{'name': name, 'printfleet.mve.printer_port_access': {
        'host': host, 'username': 'admin', 'password': 'fault-password', 'ports': {'tcp/21': 'disabled'},
        'features': {'printer_protocols': ['snmp', 'https']}, 'ca_path': faults['ca'], 'timeout': 1.0,
        'profile': {'port': port}}} for name, (host, port, dummy, dummy2) in ACCESS_CASES.items()]
    results = run(faults, 'printer_port_access', tasks)
    for name, (host, port, kind, words) in ACCESS_CASES.items():
        entry = results[name]
        assert entry['status'] == 'failed', (name, entry)
        out = entry['result']
        readable(out['msg'])
        assert out.get('changed') is False, (name, out)
        assert out.get('error_kind'), (name, out)
        if kind:
            assert out['error_kind'] == kind, (name, out)
        if words:
            assert words in out['msg'], (name, out['msg'])
        # One request at most: the connection and the TLS handshake each have the timeout.
        assert entry['seconds'] <= 1.0 * 2 + TASK_MARGIN, (name, entry['seconds'])


# ------------------------------------------------------------------------------------------- inventory plugin
def test_printers_inventory_faults(faults):
    timeout, retries = ALIVE['loss50']
    config = {'plugin': 'printfleet.mve.printers', 'community': COMMUNITY, 'timeout': timeout, 'retries': retries,
              'targets': [address('loss10'), address('loss50'), address('slow'), HOLE]}
    inventory, proc, seconds = faultnet.run_inventory(faults['dir'], config)
    assert proc.returncode == 0 and inventory is not None, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr, proc.stderr
    hosts = set(inventory.get('_meta', {}).get('hostvars', {}))
    # The slow link's 600 ms round trip is longer than the 0.3 s timeout, but the reply to the first attempt still
    # counts when it comes in while a retry is out: the printer is found.
    assert {address('loss10'), address('loss50'), address('slow')} <= hosts, (hosts, proc.stderr)
    assert HOLE not in hosts, hosts
    # The silent black hole costs timeout x (retries + 1); ansible-inventory's own start comes on top.
    assert seconds <= timeout * (retries + 1) + TASK_MARGIN + 2.0, seconds
