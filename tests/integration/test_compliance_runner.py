"""playbooks/compliance.yml through ansible-runner (what AWX execution nodes run), against the session lab.

The story a scheduled compliance run must tell: site.yml converges both MVE servers; then, behind the
collection's back, mve01's firewall table is deleted, a printer's FTP port is disabled through its web server and
another printer's sysContact is changed over SNMP. compliance.yml (through ansible_runner.run) fails, changes
nothing, names each drift in compliance.json, compliance.junit.xml and compliance.html (which headless Chromium
shows with the summary and the drifted rows first), and publishes mve_compliance in the runner's stats event.
site.yml repairs everything and compliance passes again.
"""
import glob
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import ansible_runner
import pytest
import yaml

from labtools import BIN, COLLECTIONS, ROOT, ansible_env, run_playbook

SITE = os.path.join(ROOT, 'playbooks', 'site.yml')
COMPLIANCE = os.path.join(ROOT, 'playbooks', 'compliance.yml')
SYS_CONTACT = '1.3.6.1.2.1.1.4.0'
STRANGER = 'someone-else@example.com'


def lab_settings(lab):
    with open(lab['inventory']) as fh:
        return yaml.safe_load(fh)['all']['vars']['mve_lab_printer_settings']


def run_compliance(lab, tmp_path, name):
    """compliance.yml through ansible-runner; returns (runner, report dir, the mve_compliance stats artifact)."""
    private = tmp_path / ('runner-' + name)
    private.mkdir()
    report_dir = tmp_path / ('report-' + name)
    env = ansible_env(ANSIBLE_CONFIG=os.path.join(lab['dir'], 'ansible.cfg'), ANSIBLE_COLLECTIONS_PATH=COLLECTIONS)
    envvars = {k: v for k, v in env.items() if k.startswith('ANSIBLE_') or k in ('MIBS', 'PATH')}
    runner = ansible_runner.run(private_data_dir=str(private), playbook=COMPLIANCE, inventory=lab['inventory'],
                                envvars=envvars, extravars={'mve_compliance_report_dir': str(report_dir)},
                                quiet=True, timeout=600)
    stats = None
    for event in runner.events:
        if event.get('event') == 'playbook_on_stats':
            stats = (event.get('event_data') or {}).get('artifact_data', {}).get('mve_compliance')
    return runner, report_dir, stats


def nft_tables():
    out = subprocess.run(['nft', '-j', 'list', 'tables'], capture_output=True, text=True, check=True).stdout
    return {t['table']['name'] for t in json.loads(out)['nftables'] if 'table' in t}


def snmp_get(address, oid):
    proc = subprocess.run(['snmpget', '-Oqv', '-v2c', '-c', 'public', '-t', '1', '-r', '2', address, oid],
                          capture_output=True, text=True, env=dict(os.environ, MIBS=''), check=True)
    return proc.stdout.strip().strip('"')


def ansible_module(lab, module, args, check=False):
    cmd = [os.path.join(BIN, 'ansible'), 'localhost', '-m', module, '-a', json.dumps(args)]
    if check:
        cmd.append('--check')
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ansible_env(), cwd=ROOT, check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def port_access(lab, printer, ports, check=False):
    args = {'host': printer['address'], 'username': printer['ews']['username'],
            'password': printer['ews']['password'], 'ports': ports, 'force': True, 'ca_path': lab['ca']}
    return ansible_module(lab, 'printfleet.mve.printer_port_access', args, check=check)


def chromium_dom(html_path, tmp_path):
    """What a person's browser renders: headless Chromium's DOM of the page, and a screenshot of it."""
    browser = shutil.which('chromium') or shutil.which('chromium-browser')
    assert browser, 'chromium is needed (make os-deps installs the Debian package)'
    args = [browser, '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
            '--user-data-dir=%s' % (tmp_path / 'chromium-profile')]
    dom = subprocess.run(args + ['--dump-dom', 'file://' + str(html_path)], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    shot = tmp_path / 'compliance.png'
    subprocess.run(args + ['--window-size=1280,900', '--screenshot=%s' % shot, 'file://' + str(html_path)],
                   capture_output=True, text=True, timeout=120, check=True)
    return dom, shot


@pytest.fixture()
def converged(lab, collection_installed):
    run_playbook(SITE, lab['inventory'])
    yield lab
    # Whatever happened, leave the session lab converged for the other tests.
    run_playbook(SITE, lab['inventory'], check=False)


def test_compliance_finds_reports_and_fails_on_drift_then_passes_after_site(converged, tmp_path):
    lab = converged
    settings = lab_settings(lab)
    first, second = lab['printers'][0], lab['printers'][1]
    ours = [t for t in nft_tables() if t.startswith('printfleet_mve_lab')]
    assert len(ours) == 1, nft_tables()

    # A converged lab is compliant.
    runner, report_dir, stats = run_compliance(lab, tmp_path, 'before')
    assert runner.status == 'successful', runner.stdout.read()[-4000:]
    assert stats['drifted'] == 0 and stats['errors'] == 0 and stats['total'] == stats['compliant'] > 50
    assert sorted(stats['hosts']) == ['mve01', 'mvewin01']

    # Drift behind the collection's back.
    subprocess.run(['nft', 'delete', 'table', 'inet', ours[0]], check=True)
    subprocess.run(['snmpset', '-v2c', '-c', 'private', second['address'], SYS_CONTACT, 's', STRANGER],
                   capture_output=True, check=True, env=dict(os.environ, MIBS=''))
    assert '"changed": true' in port_access(lab, first, {'tcp/21': 'disabled'})

    runner, report_dir, stats = run_compliance(lab, tmp_path, 'drifted')
    assert runner.status == 'failed' and runner.rc != 0
    # Nothing changed: the drift is still there.
    assert ours[0] not in nft_tables()
    assert snmp_get(second['address'], SYS_CONTACT) == STRANGER
    assert '"changed": true' in port_access(lab, first, {'tcp/21': 'enabled'}, check=True)

    # The stats artifact (what an AWX workflow or notification reads).
    assert stats['drifted'] >= 5 and stats['errors'] == 0
    assert stats['kinds']['firewall']['drifted'] >= 1
    assert stats['kinds']['printer_setting']['drifted'] == 1
    assert stats['kinds']['printer_port']['drifted'] == 1
    assert stats['hosts']['mvewin01']['drifted'] >= 1   # its port check sees the FTP port closed too

    # JSON: per host and check, with the difference.
    with open(str(report_dir / 'compliance.json')) as fh:
        doc = json.load(fh)
    mve01 = doc['hosts']['mve01']
    assert all(v['verdict'] == 'drifted' and v['found'] == 'missing' for v in mve01['firewall'])
    setting = [v for v in mve01['printer_setting'] if v['verdict'] == 'drifted']
    assert [(v['check'], v['wanted'], v['found']) for v in setting] == [
        ('%s sysContact' % second['address'], settings['sysContact'], STRANGER)]
    port = [v for v in mve01['printer_port'] if v['verdict'] == 'drifted']
    assert [(v['check'], v['wanted'], v['found']) for v in port] == [('%s tcp/21' % first['address'], 'enabled',
                                                                      'disabled')]
    assert any(v['verdict'] == 'drifted' and v['check'].startswith('printer.ftp %s ' % first['address'])
               for v in doc['hosts']['mvewin01']['flow'])

    # JUnit: one testcase per check, each drift a <failure> with the difference.
    root = ET.parse(str(report_dir / 'compliance.junit.xml')).getroot()
    failures = {(c.get('classname'), c.get('name')): c.find('failure').get('message') for c in root.iter('testcase')
                if c.find('failure') is not None}
    assert int(root.get('failures')) == stats['drifted'] == len(failures)
    assert int(root.get('tests')) == stats['total']
    assert 'found %s' % STRANGER in failures[('mve.mve01.printer_setting', 'printer_setting: %s sysContact'
                                              % second['address'])]
    assert 'wanted enabled, found disabled' in failures[('mve.mve01.printer_port', 'printer_port: %s tcp/21'
                                                         % first['address'])]
    assert any(cls == 'mve.mve01.firewall' and 'found missing' in msg for (cls, name), msg in failures.items())
    assert any(cls == 'mve.mvewin01.flow' and 'printer.ftp' in name for (cls, name) in failures)

    # HTML, as headless Chromium renders it: the summary first, then drifted rows first.
    dom, shot = chromium_dom(report_dir / 'compliance.html', tmp_path)
    assert '%d of %d checks drifted' % (stats['drifted'], stats['total']) in dom
    assert dom.index('id="summary"') < dom.index('id="per-host"') < dom.index('id="checks"')
    rows = dom.split('id="checks"')[1].split('<tr class="')[1:]
    verdicts = [r.split('"')[0] for r in rows]
    assert verdicts[:stats['drifted']] == ['drifted'] * stats['drifted']
    assert set(verdicts[stats['drifted']:]) == {'compliant'}
    assert STRANGER in dom and 'printer_port' in dom
    assert os.path.getsize(str(shot)) > 10000

    # site.yml repairs; compliance passes.
    repair = run_playbook(SITE, lab['inventory'])
    assert 'failed=0' in repair.stdout
    assert snmp_get(second['address'], SYS_CONTACT) == settings['sysContact']
    runner, report_dir, stats = run_compliance(lab, tmp_path, 'repaired')
    assert runner.status == 'successful', runner.stdout.read()[-4000:]
    assert stats['drifted'] == 0 and stats['errors'] == 0
    assert glob.glob(str(report_dir / 'compliance.*')) and len(glob.glob(str(report_dir / 'compliance.*'))) == 3
