"""The printfleet.mve.mve_dependencies role and site.yml against the session lab's real dependencies.

The session lab (conftest.py) runs Firebird, aiosmtpd, slapd and krb5kdc on 127.0.5.1-4 (lab/servers/, started by
``lab.py up --services-address 127.0.5.1``). The failure cases never touch the shared lab: they give the role a
wrong LDAP password and move the SMTP STARTTLS port (the features' ``ports``) to a port where nothing listens.
One more lab, on 127.0.5.11-21, shows that ``up`` fails loudly when a service cannot start.
"""
import json
import os
import socket

import yaml

from labtools import ROOT, lab_command, role_playbook, run_playbook

SITE = os.path.join(ROOT, 'playbooks', 'site.yml')
WRONG_LDAP_PASSWORD = 'Wrong-Ldap-Pa55-Never-Shown'


def passwords(lab):
    deps = lab['services']['dependencies']
    return [deps['database']['password'], deps['smtp']['password'], deps['ldap']['bind_password']]


def dependency_lines(out):
    """The role's table: one line per dependency (from the debug task's msg list)."""
    names = ('database ', 'mail ', 'directory ', 'kerberos ')
    return [line.strip().strip('",') for line in out.splitlines()
            if line.strip().startswith('"') and line.strip().strip('"').startswith(names)]


def test_lab_runs_the_services_and_writes_them_to_the_inventory(lab):
    services = lab['services']
    assert services['available'] is True
    endpoints = services['endpoints']
    assert {n: e['address'] for n, e in endpoints.items()} == {
        'database': '127.0.5.1', 'mail': '127.0.5.2', 'directory': '127.0.5.3', 'kdc': '127.0.5.4'}
    proc = lab_command('status', '--dir', lab['dir'], '--json', timeout=60)
    status = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stdout
    for name, svc in status['services']['endpoints'].items():
        assert svc['ok'] and svc['running'], (name, svc)
    with open(lab['inventory']) as fh:
        inventory = yaml.safe_load(fh)
    lab_vars = inventory['all']['vars']
    assert lab_vars['mve_lab_dependencies'] == services['dependencies']
    deps = lab_vars['mve_lab_dependencies']
    assert sorted(deps['database']) == ['database', 'host', 'password', 'username']
    assert sorted(deps['smtp']) == ['host', 'mail_from', 'password', 'username']
    assert sorted(deps['ldap']) == ['bind_dn', 'bind_password', 'host', 'search_base', 'starttls']
    assert sorted(deps['kerberos']) == ['host', 'principal', 'realm']
    features = lab_vars['mve_lab_features']
    assert features['database'] == 'firebird' and features['smtp'] == 'starttls'
    assert features['directory'] == 'ldaps' and features['kerberos'] is True
    assert len(features['printer_protocols']) == 9


def test_site_yml_checks_every_dependency_ok(lab, collection_installed, tmp_path):
    """site.yml prints both tables for both MVE servers; each dependency report says all four are ok, and says
    where each step ran (the Firebird login of the Windows server from the controller); -vvvv shows no password."""
    report = str(tmp_path / 'dependencies-{{ inventory_hostname }}.json')
    ports_report = str(tmp_path / 'ports-{{ inventory_hostname }}.json')
    proc = run_playbook(SITE, lab['inventory'], args=['-vvvv'], extra_vars={
        'mve_dependencies_report_path': report, 'mve_port_check_report_path': ports_report})
    out = proc.stdout + proc.stderr
    assert 'HOST' in proc.stdout and 'VERDICT' in proc.stdout
    lines = dependency_lines(proc.stdout)
    assert len(lines) == 8 and all(' ok ' in line for line in lines), lines
    for host in ('mve01', 'mvewin01'):
        with open(str(tmp_path / ('dependencies-%s.json' % host))) as fh:
            text = fh.read()
        data = json.loads(text)
        assert {v['dependency']: v['ok'] for v in data['verdicts']} == {
            'database': True, 'mail': True, 'directory': True, 'kerberos': True}, host
        assert data['failures'] == []
        details = data['details']
        assert details['directory']['bound'] is True and details['mail']['authenticated'] is True
        assert details['database']['login']['ok'] is True and details['database']['login']['attempted'] is True
        assert details['kerberos']['realm'] == 'PRINTFLEET.LAB'
        if host == 'mve01':
            assert details['database']['steps'] == {'protocol': 'linux', 'login': 'linux'}
            assert all('vantage' not in d for d in details.values())
        else:
            # The op_connect exchange ran on the Windows host; the Firebird login from the controller.
            assert details['database']['steps'] == {'protocol': 'windows', 'login': 'controller'}
            assert 'From the controller: Login as' in details['database']['reason'], details['database']['reason']
            assert {n: d['vantage'] for n, d in details.items()} == {
                'database': 'windows', 'mail': 'windows', 'directory': 'windows', 'kerberos': 'windows'}
        with open(str(tmp_path / ('ports-%s.json' % host))) as fh:
            ports = json.load(fh)
        flows = {r['flow'] for r in ports['results']}
        assert flows >= {'db.firebird', 'smtp.starttls', 'directory.ldaps', 'directory.kerberos'}
        for secret in passwords(lab):
            assert secret not in text
    for secret in passwords(lab):
        assert secret not in out


def test_role_fails_once_naming_every_failed_dependency(lab, collection_installed, tmp_path):
    deps = lab['services']['dependencies']
    with socket.socket() as s:  # a port where nothing listens on the mail server's address
        s.bind((deps['smtp']['host'], 0))
        closed = s.getsockname()[1]
    features = dict(lab['services']['features'], ports={'smtp.starttls': closed})
    report = str(tmp_path / 'dependencies-{{ inventory_hostname }}.json')
    playbook = role_playbook(tmp_path / 'dependencies.yml', 'MVE dependencies with two faults',
                             'printfleet.mve.mve_dependencies', {
                                 'mve_dependencies_features': features,
                                 'mve_dependencies_database': deps['database'],
                                 'mve_dependencies_smtp': deps['smtp'],
                                 'mve_dependencies_ldap': dict(deps['ldap'], bind_password=WRONG_LDAP_PASSWORD),
                                 'mve_dependencies_kerberos': deps['kerberos'],
                                 'mve_dependencies_ca_path': lab['ca'],
                                 'mve_dependencies_report_path': report,
                                 'mve_dependencies_timeout': 3.0,
                             })
    proc = run_playbook(playbook, lab['inventory'], check=False, args=['-vvvv'])
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, proc.stdout[-4000:]
    # Every check ran, then one failure at the end.
    for task in ('Check the database', 'Check the mail server', 'Check the directory', 'Check the Kerberos KDC',
                 'Fail with every failed dependency and why'):
        assert task in proc.stdout
    # Both MVE servers (Linux and the simulated Windows one) fail once, at the end, naming both faults.
    for host in ('mve01', 'mvewin01'):
        assert proc.stdout.count('fatal: [%s]' % host) == 1, proc.stdout[-4000:]
        assert '2 of 4 MVE dependencies failed from %s' % host in proc.stdout
    assert 'mail (smtp.starttls, %s:%d)' % (deps['smtp']['host'], closed) in proc.stdout
    assert 'directory (directory.ldaps, %s:' % deps['ldap']['host'] in proc.stdout
    lines = dependency_lines(proc.stdout)
    assert len(lines) == 8, lines
    for name, verdict in (('database', ' ok '), ('kerberos', ' ok '), ('mail', ' FAIL '), ('directory', ' FAIL ')):
        mine = [line for line in lines if line.split()[0] == name]
        assert len(mine) == 2 and all(verdict in line for line in mine), mine
    for host in ('mve01', 'mvewin01'):
        with open(str(tmp_path / ('dependencies-%s.json' % host))) as fh:
            data = json.load(fh)
        assert sorted(f['dependency'] for f in data['failures']) == ['directory', 'mail'], host
        assert 'invalidCredentials' in data['details']['directory']['reason'] or \
            'invalid' in data['details']['directory']['reason'].lower()
    for secret in passwords(lab) + [WRONG_LDAP_PASSWORD]:
        assert secret not in out


def test_lab_up_fails_loudly_when_a_service_cannot_start(tmp_path):
    """Another process holds the mail server's STARTTLS port: `up` fails with the mail log and leaves nothing running;
    --no-services then starts the same lab without them."""
    lab_dir = str(tmp_path / 'lab')
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
        holder.bind(('127.0.5.12', port_matrix.get_flow('smtp.starttls')['destination_port']))
        holder.listen(1)
        proc = lab_command('up', '--dir', lab_dir, '--printers', '1', '--first-address', '127.0.5.21', '--no-remote',
                           '--services-address', '127.0.5.11')
    out = proc.stdout + proc.stderr
    try:
        assert proc.returncode == 1, out
        assert '1 of 4 services did not start' in out and 'mail on 127.0.5.12 did not start' in out, out
        assert 'address already in use' in out.lower(), out   # the mail daemon's log
        status = lab_command('status', '--dir', lab_dir)
        assert status.returncode == 3, status.stdout   # down: everything that started was stopped
        proc = lab_command('up', '--dir', lab_dir, '--printers', '1', '--first-address', '127.0.5.21', '--no-remote',
                           '--no-services')
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert 'services: none (--no-services)' in proc.stdout
        with open(os.path.join(lab_dir, 'inventory.yml')) as fh:
            lab_vars = yaml.safe_load(fh)['all']['vars']
        assert 'mve_lab_dependencies' not in lab_vars and lab_vars['mve_lab_services_available'] is False
    finally:
        lab_command('down', '--dir', lab_dir)
