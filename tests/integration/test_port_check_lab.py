"""printfleet.mve.port_check and the mve_port_check role against the local lab, through Ansible.

Every state of the contract is produced by something real: a listener (open), a kernel RST or ICMP port
unreachable (closed), an nftables drop in the remote site's namespace (filtered / open_or_filtered), a UDP
service that stays silent (open_or_filtered), net-snmp agents (SNMP v2c and v3), TLS signed by the lab CA.
Port numbers come from the port matrix.
"""
import json
import os
import socket
import subprocess

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix

from labtools import COLLECTIONS, LAB_FIRST_ADDRESS, ROOT, ansible_env, lab_command, role_playbook, run_playbook

PORT = {flow_id: port_matrix.get_flow(flow_id)['destination_port'] for flow_id in port_matrix.FLOW_IDS}
# Nothing listens on TCP 20 of a printer: the matrix lists it as the *source* port of active FTP data.
PRINTER_TCP_NOTHING = port_matrix.get_flow('printer.ftp_data')['source_port']
SYSDESCR = '1.3.6.1.2.1.1.1.0'
SYSNAME = '1.3.6.1.2.1.1.5.0'


def printer(lab, index):
    return lab['printers'][index]


def v3_user(lab, name):
    return next(u for u in lab['snmp']['v3_users'] if u['username'] == name)


def free_udp_port(address):
    """A UDP port on ``address`` that nothing binds (bound once to learn it, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((address, 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- the lab itself


def snmpget(args, timeout=20):
    return subprocess.run(['snmpget', '-Oqv', '-t', '1', '-r', '2'] + args, capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, MIBS=''), check=False)


def test_lab_status_reports_up(lab):
    proc = lab_command('status', '--dir', lab['dir'], timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'remote site: up' in proc.stdout


def test_each_printer_answers_snmp_v2c_with_its_sys_descr(lab):
    for p in lab['printers']:
        proc = snmpget(['-v2c', '-c', lab['snmp']['community'], '%s:%d' % (p['address'], lab['snmp']['port']),
                        SYSDESCR, SYSNAME])
        assert proc.returncode == 0, proc.stderr
        descr, name = proc.stdout.splitlines()
        assert descr.strip('"') == lab['snmp']['sys_descr'][p['name']]
        assert descr.startswith('"Lexmark %s version ' % p['model'])
        assert name.strip('"') == p['name']


@pytest.mark.parametrize('user', ['mveauth', 'mvemd5', 'mvesha512'])
def test_printer_snmp_v3_auth_priv(lab, user):
    u = v3_user(lab, user)
    netsnmp_auth = {'md5': 'MD5', 'sha256': 'SHA-256', 'sha512': 'SHA-512'}[u['auth_protocol']]
    netsnmp_priv = {'aes': 'AES', 'des': 'DES', 'aes256': 'AES-256'}[u['priv_protocol']]
    p = printer(lab, 1)
    target = '%s:%d' % (p['address'], lab['snmp']['port'])
    ok = snmpget(['-v3', '-l', 'authPriv', '-u', u['username'], '-a', netsnmp_auth, '-A', u['auth_key'],
                  '-x', netsnmp_priv, '-X', u['priv_key'], target, SYSNAME])
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip().strip('"') == p['name']
    wrong = snmpget(['-v3', '-l', 'authPriv', '-u', u['username'], '-a', netsnmp_auth, '-A', 'not-the-key',
                     '-x', netsnmp_priv, '-X', u['priv_key'], target, SYSNAME])
    assert wrong.returncode != 0


# --------------------------------------------------------------------------- port_check through Ansible


@pytest.fixture(scope='module')
def probes(lab, remote_site, port_check):
    """One port_check call with a target per case; returns {case: result}."""
    p1, p2, p3 = lab['printers']
    auth = v3_user(lab, 'mveauth')
    md5 = v3_user(lab, 'mvemd5')
    cases = {
        'tcp_open': {'host': p1['address'], 'port': PORT['printer.raw']},
        'tcp_closed': {'host': p1['address'], 'port': PRINTER_TCP_NOTHING},
        'tcp_filtered': {'host': remote_site['address'], 'port': PORT['printer.raw']},
        'tcp_open_remote': {'host': remote_site['address'], 'port': PORT['printer.ftp']},
        'tcp_closed_remote': {'host': remote_site['address'], 'port': remote_site['closed_tcp_port']},
        'udp_snmp_v2c': {'host': p2['address'], 'port': PORT['printer.snmp'], 'transport': 'udp', 'probe': 'snmp',
                         'community': lab['snmp']['community']},
        'udp_snmp_v3': dict({'host': p3['address'], 'port': PORT['printer.snmp'], 'transport': 'udp',
                             'probe': 'snmp'}, **auth),
        'udp_snmp_v3_md5': dict({'host': p1['address'], 'port': PORT['printer.snmp'], 'transport': 'udp',
                                 'probe': 'snmp'}, **md5),
        'udp_snmp_v3_wrong_key': dict({'host': p1['address'], 'port': PORT['printer.snmp'], 'transport': 'udp',
                                       'probe': 'snmp'}, **dict(auth, auth_key='wrong-key-123')),
        'udp_closed': {'host': p1['address'], 'port': free_udp_port(p1['address']), 'transport': 'udp'},
        'udp_snmp_dropped': {'host': remote_site['address'], 'port': PORT['printer.snmp'], 'transport': 'udp',
                             'probe': 'snmp', 'community': lab['snmp']['community']},
        'udp_silent': {'host': p2['address'], 'port': PORT['printer.npap'], 'transport': 'udp'},
        'udp_mdns': {'host': p3['address'], 'port': PORT['printer.mdns'], 'transport': 'udp', 'probe': 'mdns'},
        'tls_lab_ca': {'host': p1['address'], 'port': PORT['printer.https'], 'probe': 'tls'},
    }
    names = list(cases)
    result = port_check({'targets': [cases[n] for n in names], 'timeout': 1.0, 'retries': 0,
                         'ca_path': lab['ca'], 'validate_certs': True})
    assert not result.get('failed'), result
    assert result['changed'] is False
    assert len(result['results']) == len(names)
    by_case = dict(zip(names, result['results']))
    for name in names:  # results come back in input order
        assert by_case[name]['host'] == cases[name]['host'], name
        assert by_case[name]['port'] == cases[name]['port'], name
    by_case['_summary'] = result['summary']
    return by_case


def assert_state(probes, case, state):
    r = probes[case]
    assert r['state'] == state, '%s: %s' % (case, json.dumps(r, indent=1))
    assert r['reason'], case
    return r


def test_tcp_open_printer_raw(probes):
    r = assert_state(probes, 'tcp_open', 'open')
    assert r['transport'] == 'tcp' and r['rtt_ms'] is not None


def test_tcp_closed_printer_port_without_listener(probes):
    assert_state(probes, 'tcp_closed', 'closed')


def test_tcp_filtered_behind_nft_drop(probes):
    assert_state(probes, 'tcp_filtered', 'filtered')


def test_tcp_remote_site_open_and_rejected(probes):
    assert_state(probes, 'tcp_open_remote', 'open')
    assert_state(probes, 'tcp_closed_remote', 'closed')


def test_udp_open_snmp_v2c(lab, probes):
    r = assert_state(probes, 'udp_snmp_v2c', 'open')
    assert r['snmp']['sys_descr'] == lab['snmp']['sys_descr'][lab['printers'][1]['name']]


def test_udp_open_snmp_v3_auth_priv(lab, probes):
    r = assert_state(probes, 'udp_snmp_v3', 'open')
    assert r['snmp']['version'] == '3'
    assert r['snmp']['authenticated'] is True, r
    assert r['snmp']['sys_descr'] == lab['snmp']['sys_descr'][lab['printers'][2]['name']]
    r = assert_state(probes, 'udp_snmp_v3_md5', 'open')
    assert r['snmp']['authenticated'] is True, r


def test_udp_snmp_v3_wrong_key_is_open_but_not_authenticated(probes):
    r = assert_state(probes, 'udp_snmp_v3_wrong_key', 'open')
    assert r['snmp']['authenticated'] is False, r


def test_udp_closed_icmp_unreachable(probes):
    assert_state(probes, 'udp_closed', 'closed')


def test_udp_open_or_filtered_dropped_snmp(probes):
    assert_state(probes, 'udp_snmp_dropped', 'open_or_filtered')


def test_udp_open_or_filtered_silent_printer_port(probes):
    assert_state(probes, 'udp_silent', 'open_or_filtered')


def test_udp_mdns_answers(lab, probes):
    r = assert_state(probes, 'udp_mdns', 'open')
    assert r['mdns']['answers'], r


def test_tls_printer_https_verified_against_lab_ca(lab, probes):
    r = assert_state(probes, 'tls_lab_ca', 'open')
    tls = r['tls']
    assert tls['validated'] is True, tls
    assert tls['validation_error'] is None, tls
    assert lab['printers'][0]['name'] in tls['san'] and lab['printers'][0]['address'] in tls['san'], tls
    assert 'printfleet.mve lab CA' in tls['issuer'], tls


def test_tls_printer_https_not_validated_without_lab_ca(lab, port_check):
    p = lab['printers'][0]
    result = port_check({'targets': [{'host': p['address'], 'port': PORT['printer.https'], 'probe': 'tls'}],
                         'timeout': 1.0, 'validate_certs': True})
    r = result['results'][0]
    assert r['state'] == 'open', r  # the port is open; only the certificate does not verify
    assert r['tls']['validated'] is False, r
    assert r['tls']['validation_error'], r


def test_summary_counts_every_state(probes):
    summary = probes['_summary']
    assert summary['total'] == len(probes) - 1
    assert summary['open'] >= 8 and summary['closed'] == 3 and summary['filtered'] == 1
    assert summary['open_or_filtered'] == 2 and summary['error'] == 0


def test_disabled_port_closes_on_reload(lab, port_check):
    """The simulator follows its state file on SIGHUP (the hook later issues use to flip printer ports)."""
    p = lab['printers'][2]
    key = 'tcp/%d' % PORT['printer.raw']
    with open(p['state_file']) as fh:
        state = json.load(fh)
    assert state['ports'][key]['enabled'] is True
    target = {'targets': [{'host': p['address'], 'port': PORT['printer.raw']}], 'timeout': 1.0}
    try:
        state['ports'][key]['enabled'] = False
        with open(p['state_file'], 'w') as fh:
            json.dump(state, fh)
        assert lab_command('reload', '--dir', lab['dir'], timeout=60).returncode == 0
        assert port_check(target)['results'][0]['state'] == 'closed'
    finally:
        state['ports'][key]['enabled'] = True
        with open(p['state_file'], 'w') as fh:
            json.dump(state, fh)
        assert lab_command('reload', '--dir', lab['dir'], timeout=60).returncode == 0
    assert port_check(target)['results'][0]['state'] == 'open'


# --------------------------------------------------------------------------- role and site.yml


MVE_SERVERS = ('mve01', 'mvewin01')   # the lab's Linux MVE server and its simulated Windows MVE server


def per_host_reports(tmp_path, stem):
    """A report path that each MVE server fills for itself, and the reports by host once the run is over."""
    pattern = str(tmp_path / (stem + '-{{ inventory_hostname }}.json'))

    def read():
        out = {}
        for host in MVE_SERVERS:
            with open(str(tmp_path / ('%s-%s.json' % (stem, host)))) as fh:
                out[host] = json.load(fh)
        return out
    return pattern, read


def recap(out):
    """PLAY RECAP counters by host."""
    lines = out.split('PLAY RECAP', 1)[1].splitlines()
    counters = {}
    for line in lines:
        if ' : ' in line:
            host, dummy, rest = line.partition(' : ')
            counters[host.strip()] = {k: int(v) for k, v in (item.split('=') for item in rest.split())}
    return counters


def test_site_yml_end_to_end(lab, collection_installed, tmp_path):
    """site.yml against both MVE servers: mve01 (Linux) and mvewin01 (the simulated Windows server, where every
    Python module runs on the controller and port_check sends the whole fleet in one PowerShell round trip);
    the same verdicts from both, and a rerun changes nothing."""
    report, reports = per_host_reports(tmp_path, 'report')
    proc = run_playbook(os.path.join(ROOT, 'playbooks', 'site.yml'), lab['inventory'],
                        extra_vars={'mve_port_check_report_path': report})
    out = proc.stdout
    assert 'HOST' in out and 'FLOW' in out and 'VERDICT' in out, out
    counters = recap(out)
    assert sorted(counters) == sorted(MVE_SERVERS), out[-3000:]
    assert all(c['failed'] == 0 and c['unreachable'] == 0 for c in counters.values()), counters
    # The printer modules ran on the controller for the Windows host (it has no Python).
    assert 'ok: [mvewin01 -> localhost]' in out, out
    # Every printer flow from the MVE server with a fixed port, TCP 443 counted once per printer, and one flow
    # to each of MVE's dependencies (the lab's features: Firebird, SMTP STARTTLS, LDAPS, Kerberos).
    features = lab['services']['features']
    flows = port_matrix.select_flows(features=features, source='mve_server', destination='printer')
    ports = {(f['transport'], f['destination_port']) for f in flows if isinstance(f['destination_port'], int)}
    dependencies = [f for f in port_matrix.select_flows(features=features, source='mve_server')
                    if f['destination'] in ('database', 'smtp', 'ldap', 'kdc')]
    assert sorted(f['id'] for f in dependencies) == ['db.firebird', 'directory.kerberos', 'directory.ldaps',
                                                     'smtp.starttls']
    by_host = reports()
    assert by_host['mve01']['platform'] == 'linux' and by_host['mve01']['round_trips'] is None
    assert by_host['mvewin01']['platform'] == 'windows'
    assert 1 <= by_host['mvewin01']['round_trips'] <= 2   # the whole fleet in one round trip
    for host, data in by_host.items():
        assert data['host'] == host
        assert data['summary']['total'] == len(ports) * len(lab['printers']) + len(dependencies), host
        assert data['failures'] == [], (host, data['failures'])
        by_flow = {r['flow']: r for r in data['results']}
        for flow in dependencies:
            assert by_flow[flow['id']]['state'] in ('open', 'open_or_filtered'), (host, by_flow[flow['id']])
        states = {(r['host'], r['transport'], r['port']): r['state'] for r in data['results']}
        for p in lab['printers']:
            assert states[(p['address'], 'tcp', PORT['printer.raw'])] == 'open'
            assert states[(p['address'], 'udp', PORT['printer.snmp'])] == 'open'
            assert states[(p['address'], 'udp', PORT['printer.mdns'])] == 'open'
            assert states[(p['address'], 'tcp', PORT['printer.https'])] == 'open'
            assert states[(p['address'], 'udp', PORT['printer.npap'])] == 'open_or_filtered'
    verdicts = {host: sorted((r['host'], r['transport'], r['port'], r['flow'], r['state'])
                             for r in data['results']) for host, data in by_host.items()}
    assert verdicts['mvewin01'] == verdicts['mve01']
    for p in lab['printers']:
        assert '%s ' % p['address'] in out or p['address'] in out
    # Idempotent on both hosts: the firewall rules (nftables on mve01, the simulated policy store of mvewin01)
    # and the printers' port access are in place.
    again = run_playbook(os.path.join(ROOT, 'playbooks', 'site.yml'), lab['inventory'],
                         extra_vars={'mve_port_check_report_path': report})
    counters = recap(again.stdout)
    assert {h: (c['changed'], c['failed']) for h, c in counters.items()} == {h: (0, 0) for h in MVE_SERVERS}, \
        again.stdout[-3000:]


def test_site_yml_snmp_v3_and_strict_fail_on(lab, collection_installed, tmp_path):
    """SNMPv3 through the role's options; open_or_filtered in fail_on still lets silent UDP flows pass."""
    report, reports = per_host_reports(tmp_path, 'report-v3')
    auth = v3_user(lab, 'mveauth')
    proc = run_playbook(os.path.join(ROOT, 'playbooks', 'site.yml'), lab['inventory'], extra_vars={
        'mve_port_check_report_path': report,
        'mve_port_check_timeout': 0.5,
        'mve_port_check_fail_on': ['closed', 'filtered', 'error', 'open_or_filtered'],
        'mve_port_check_snmp_version': '3',
        'mve_port_check_snmp_username': auth['username'],
        'mve_port_check_snmp_auth_protocol': auth['auth_protocol'],
        'mve_port_check_snmp_auth_key': auth['auth_key'],
        'mve_port_check_snmp_priv_protocol': auth['priv_protocol'],
        'mve_port_check_snmp_priv_key': auth['priv_key'],
    })
    assert {h: c['failed'] for h, c in recap(proc.stdout).items()} == {h: 0 for h in MVE_SERVERS}, proc.stdout
    assert auth['auth_key'] not in proc.stdout and auth['priv_key'] not in proc.stdout
    for host, data in reports().items():
        snmp = [r for r in data['results'] if r['probe'] == 'snmp']
        assert len(snmp) == len(lab['printers']), host
        for r in snmp:
            assert r['state'] == 'open' and r['snmp']['authenticated'] is True, (host, r)
        # NPAP, XMLNT, LST: silent; the KDC ignores the empty datagram of the UDP probe.
        assert data['summary']['open_or_filtered'] == 3 * len(lab['printers']) + 1, host
        # From Windows: the discovery with the whole fleet, then every authenticated GET in one more round trip.
        assert data['round_trips'] == (2 if host == 'mvewin01' else None), host


def test_role_fails_with_summary_on_filtered_port(lab, remote_site, collection_installed, tmp_path):
    playbook = role_playbook(tmp_path / 'blocked.yml', 'Port check towards the filtered remote site',
                             'printfleet.mve.mve_port_check', {
                                 'mve_port_check_features': {'printer_protocols': ['raw', 'ftp']},
                                 'mve_port_check_peers': {'printer': [remote_site['address']]},
                                 'mve_port_check_timeout': 1.0,
                             })
    proc = run_playbook(playbook, lab['inventory'], check=False)
    assert proc.returncode != 0, proc.stdout
    out = proc.stdout
    assert '%s printer.raw tcp/%d' % (remote_site['address'], PORT['printer.raw']) in out, out
    assert 'is filtered' in out, out
    assert 'printer.ftp' in out  # the open FTP port is in the table, not in the failure summary


def test_role_rejects_bad_options_before_probing(lab, collection_installed, tmp_path):
    playbook = role_playbook(tmp_path / 'bad.yml', 'Bad role input', 'printfleet.mve.mve_port_check', {
        'mve_port_check_peers': {'printer': [LAB_FIRST_ADDRESS]},
        'mve_port_check_fail_on': ['closed', 'shut'],
    })
    proc = run_playbook(playbook, lab['inventory'], check=False)
    assert proc.returncode != 0
    assert 'mve_port_check_fail_on' in proc.stdout and 'shut' in proc.stdout, proc.stdout
    assert 'Probe the port matrix flows' not in proc.stdout  # argument validation ran first


def test_ansible_env_uses_installed_collection(collection_installed):
    assert ansible_env()['ANSIBLE_COLLECTIONS_PATH'] == collection_installed == COLLECTIONS


def test_site_yml_a_dead_printer_does_not_stop_the_other_plays(lab, collection_installed, tmp_path):
    """A printer that does not answer fails the printer play, but the port check and the dependency check still run
    on both MVE servers, and the last play fails with everything that was found."""
    dead = '127.0.3.250'   # a loopback address no lab printer uses: SNMP and TCP are refused at once
    extra = tmp_path / 'dead-printer.yml'
    extra.write_text(json.dumps({'printers': {'hosts': {'deadprinter': {'ansible_host': dead}}}}))
    report, reports = per_host_reports(tmp_path, 'dead')
    proc = run_playbook(os.path.join(ROOT, 'playbooks', 'site.yml'), lab['inventory'], check=False,
                        extra_vars={'mve_port_check_report_path': report}, args=['-i', str(extra)])
    out = proc.stdout
    assert proc.returncode != 0, out[-3000:]
    counters = recap(out)
    assert {h: (c['rescued'], c['failed']) for h, c in counters.items() if h in MVE_SERVERS} == {
        'mve01': (2, 1), 'mvewin01': (2, 1)}, out[-3000:]   # printers and port check rescued; the last play failed
    # The later plays ran for both MVE servers.
    assert 'TASK [printfleet.mve.mve_dependencies : Check the database the way MVE connects to it]' in out
    for host, data in reports().items():
        dead_results = [r for r in data['results'] if r['host'] == dead]
        assert dead_results and all(r['state'] in ('closed', 'open_or_filtered') for r in dead_results), host
    tail = out.split('TASK [Every play of this MVE server succeeded]', 1)[1]
    for host in MVE_SERVERS:
        fatal = [line for line in tail.splitlines() if line.startswith('fatal: [%s]' % host)]
        assert len(fatal) == 1, tail[-3000:]
        assert 'printers: 1 printer(s) did not answer SNMP (%s)' % dead in fatal[0]
        assert 'port check: ' in fatal[0] and '%s printer.raw tcp/' % dead in fatal[0]


def test_site_yml_a_failed_fleet_task_keeps_every_mve_server_in_the_run(lab, collection_installed, tmp_path):
    """The printer fleet tasks run once for all MVE servers. When one fails (here printer_snmp, refused by a wrong
    write community), every MVE server fails that play and goes on to the port and dependency checks: a run_once
    failure rescued for one host only would silently drop the others (ansible/ansible#87308)."""
    wrong = tmp_path / 'wrong-write-community.yml'
    wrong.write_text(json.dumps({'mve_snmp_write_community': 'not-the-write-community'}))
    report, reports = per_host_reports(tmp_path, 'wrongcommunity')
    proc = run_playbook(os.path.join(ROOT, 'playbooks', 'site.yml'), lab['inventory'], check=False,
                        extra_vars={'mve_port_check_report_path': report}, args=['-e', '@%s' % wrong])
    out = proc.stdout
    assert proc.returncode != 0, out[-3000:]
    before_end = out.split('TASK [Every play of this MVE server succeeded]', 1)[0]
    stops = [line for line in before_end.splitlines() if line.startswith('fatal: [') and 'printer_snmp failed' in line]
    assert sorted(line.split(']')[0][len('fatal: ['):] for line in stops) == sorted(MVE_SERVERS), out[-4000:]
    counters = recap(out)
    assert {h: counters[h]['rescued'] >= 1 for h in MVE_SERVERS} == {h: True for h in MVE_SERVERS}
    assert sorted(reports()) == sorted(MVE_SERVERS)   # both ran the port check after the printer play
    tail = out.split('TASK [Every play of this MVE server succeeded]', 1)[1]
    for host in MVE_SERVERS:
        assert [line for line in tail.splitlines() if line.startswith('fatal: [%s]' % host)], tail[-3000:]
