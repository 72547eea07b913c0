"""Compliance verdicts from the results the roles register (shapes from each module's RETURN docs and from real
runs in the integration test), and the three reports made of them."""
import json
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.compliance import report
from ansible_collections.printfleet.mve.plugins.module_utils.compliance import verdicts as cv

RULE_A = {'name': 'MVE - NPAP alerts from printers (UDP 9187)'}
RULE_B = {'name': 'MVE - HTTPS web console from browsers (TCP 443)'}
RULE_C = {'name': 'MVE - SNMP to printers (UDP 161)'}


def test_firewall_rules_one_verdict_each():
    result = {'changed': True, 'rules': [RULE_A, RULE_B, RULE_C], 'changes': [
        {'action': 'add', 'name': RULE_A['name'], 'fields': [], 'before': None, 'after': {}},
        {'action': 'update', 'name': RULE_B['name'], 'fields': ['remote_addresses'],
         'before': {'remote_addresses': ['0.0.0.0/0']}, 'after': {'remote_addresses': ['10.1.0.0/24']}},
        {'action': 'remove', 'name': 'MVE - FTP (TCP 21)', 'fields': [], 'before': {}, 'after': None},
    ]}
    out = cv.firewall('mve01', result)
    by = dict((v['check'], v) for v in out)
    assert by[RULE_A['name']]['verdict'] == 'drifted' and by[RULE_A['name']]['found'] == 'missing'
    assert by[RULE_B['name']]['wanted'] == {'remote_addresses': ['10.1.0.0/24']}
    assert by[RULE_B['name']]['found'] == {'remote_addresses': ['0.0.0.0/0']}
    assert by[RULE_C['name']]['verdict'] == 'compliant'
    assert by['MVE - FTP (TCP 21)']['wanted'] == 'absent'
    assert [v['kind'] for v in out] == ['firewall'] * 4


def test_firewall_settings_and_boot_configuration():
    result = {'changed': True, 'rules': [RULE_A], 'changes': [
        {'action': 'set', 'name': 'enforce', 'fields': ['enforce'], 'before': {'enforce': False},
         'after': {'enforce': True}},
        {'action': 'persist', 'name': '/etc/nftables.d/printfleet_mve.nft', 'fields': ['content'], 'before': None,
         'after': 'table inet printfleet_mve ...'},
    ]}
    out = cv.firewall('mve01', result)
    by = dict((v['check'], v) for v in out)
    assert by[RULE_A['name']]['verdict'] == 'compliant'
    assert by['rule group settings (enforce)']['wanted'] == {'enforce': True}
    boot = by['boot configuration /etc/nftables.d/printfleet_mve.nft']
    assert (boot['verdict'], boot['found']) == ('drifted', 'missing') and 'reboot' in boot['reason']
    assert len(out) == 3


def test_firewall_error_and_skip():
    assert cv.firewall('mve01', {'failed': True, 'msg': 'nft: permission denied'})[0]['verdict'] == 'error'
    assert cv.firewall('mve01', {}, error='argument spec: mve_firewall_scopes is required')[0]['reason'].startswith(
        'argument spec')
    assert cv.firewall('mve01', {'skipped': True}) == []


FACTS = {'printers': {'10.0.0.5': {'reachable': True}, '10.0.0.6': {'reachable': True},
                      '10.0.0.7': {'reachable': False, 'error': 'no SNMP reply within 2.0 s'}}}
SETTINGS = {'sysContact': 'admins@example.com', 'sysLocation': 'HQ'}


def test_printer_settings():
    result = {'changed': True, 'printers': {
        '10.0.0.5': {'changed': True, 'changes': [{'name': 'sysContact', 'before': 'someone@else', 'after':
                                                   'admins@example.com'}]},
        '10.0.0.6': {'changed': False, 'changes': []},
    }, 'failed_printers': []}
    out = cv.printer_settings('mve01', FACTS, result, SETTINGS)
    by = dict((v['check'], v) for v in out)
    assert by['10.0.0.7 SNMP']['verdict'] == 'error' and 'no SNMP reply' in by['10.0.0.7 SNMP']['reason']
    assert by['10.0.0.5 sysContact'] == cv.verdict('mve01', 'printer_setting', '10.0.0.5 sysContact', 'drifted',
                                                   'admins@example.com', 'someone@else', 'sysContact differs')
    assert by['10.0.0.5 sysLocation']['verdict'] == 'compliant'
    assert [by['10.0.0.6 %s' % n]['verdict'] for n in SETTINGS] == ['compliant', 'compliant']


def test_printer_settings_failed_printer_and_no_settings():
    result = {'printers': {'10.0.0.5': {'failed': True, 'msg': 'not_writable: sysLocation'}}}
    out = cv.printer_settings('mve01', {'printers': {}}, result, SETTINGS)
    assert [v['verdict'] for v in out] == ['error', 'error']
    assert cv.printer_settings('mve01', {'printers': {}}, {'skipped': True}, {}) == []


def test_printer_ports():
    loop = {'results': [
        {'item': '10.0.0.5', 'changed': True, 'ports': {'tcp/21': 'disabled', 'tcp/9100': 'enabled'},
         'changes': [{'port': 'tcp/21', 'label': 'TCP 21 (FTP)', 'before': False, 'after': True}],
         'invocation': {'module_args': {'host': '10.0.0.5', 'ports': {'tcp/21': 'enabled', 'tcp/9100': 'enabled'}}}},
        {'item': '10.0.0.6', 'failed': True, 'msg': 'login_refused: the web server refused the password'},
        {'item': '10.0.0.7', 'skipped': True},
    ]}
    out = cv.printer_ports('mve01', loop)
    by = dict((v['check'], v) for v in out)
    assert by['10.0.0.5 tcp/21']['verdict'] == 'drifted'
    assert (by['10.0.0.5 tcp/21']['wanted'], by['10.0.0.5 tcp/21']['found']) == ('enabled', 'disabled')
    assert by['10.0.0.5 tcp/9100']['verdict'] == 'compliant'
    assert by['10.0.0.6 web server']['verdict'] == 'error'
    assert len(out) == 3


def test_printer_ports_fleet_result():
    fleet = {'failed': True, 'msg': '1 of 2 printers failed', 'failed_printers': ['10.0.0.6'], 'printers': {
        '10.0.0.5': {'changed': True, 'ports': {'tcp/21': 'enabled', 'tcp/9100': 'enabled'},
                     'changes': [{'port': 'tcp/21', 'label': 'TCP 21 (FTP)', 'before': 'disabled', 'after': 'enabled'}]},
        '10.0.0.6': {'failed': True, 'changed': False, 'msg': 'login refused', 'error_kind': 'login_refused'}},
        'invocation': {'module_args': {'printers': [{'host': '10.0.0.5'}, {'host': '10.0.0.6'}],
                                       'ports': {'tcp/21': 'enabled', 'tcp/9100': 'enabled'}}}}
    out = cv.printer_ports('mve01', fleet)
    by = dict((v['check'], v) for v in out)
    assert (by['10.0.0.5 tcp/21']['verdict'], by['10.0.0.5 tcp/21']['found']) == ('drifted', 'disabled')
    assert by['10.0.0.5 tcp/9100']['verdict'] == 'compliant'
    assert (by['10.0.0.6 web server']['verdict'], by['10.0.0.6 web server']['reason']) == ('error', 'login refused')
    assert len(out) == 3
    # refused before any printer (bad input, the guard rail): one error for the fleet; skipped: nothing
    refused = cv.printer_ports('mve01', {'failed': True, 'msg': 'refusing to disable tcp/443', 'error_kind': 'guard_rail'})
    assert [(v['verdict'], v['reason']) for v in refused] == [('error', 'refusing to disable tcp/443')]
    assert cv.printer_ports('mve01', {'skipped': True, 'changed': False}) == []


def test_flows():
    silent = {'flow': 'printer.npap', 'host': '10.0.0.5', 'transport': 'udp', 'port': 9300,
              'state': 'open_or_filtered', 'reason': 'silent', 'advisory': False}
    result = {'results': [
        {'flow': 'printer.raw', 'host': '10.0.0.5', 'transport': 'tcp', 'port': 9100, 'state': 'open', 'reason': 'ok',
         'advisory': False},
        {'flow': 'printer.ftp', 'host': '10.0.0.5', 'transport': 'tcp', 'port': 21, 'state': 'closed',
         'reason': 'refused', 'advisory': False},
        {'flow': 'printer.https_161', 'host': '10.0.0.5', 'transport': 'tcp', 'port': 161, 'state': 'closed',
         'reason': 'vendor anomaly', 'advisory': True},
        {'flow': 'db.firebird', 'host': 'db', 'transport': 'tcp', 'port': 3050, 'state': 'error',
         'reason': 'cannot resolve', 'advisory': False},
        silent,
    ]}
    out = cv.flows('mve01', result, ['closed', 'filtered', 'error', 'open_or_filtered'], [silent])
    assert [(v['check'], v['verdict']) for v in out] == [
        ('printer.raw 10.0.0.5 tcp/9100', 'compliant'), ('printer.ftp 10.0.0.5 tcp/21', 'drifted'),
        ('db.firebird db tcp/3050', 'error'), ('printer.npap 10.0.0.5 udp/9300', 'compliant')]


def test_dependencies():
    out = cv.dependencies('mve01', [
        {'dependency': 'database', 'flow': 'db.firebird', 'endpoint': 'db:3050', 'ran': True, 'ok': True, 'reason': 'ok'},
        {'dependency': 'mail', 'flow': 'smtp.starttls', 'endpoint': 'mail:587', 'ran': True, 'ok': False,
         'reason': 'refused'},
        {'dependency': 'directory', 'flow': '', 'endpoint': ':', 'ran': False, 'ok': True, 'reason': 'not needed'},
    ])
    assert [(v['check'], v['verdict']) for v in out] == [('database db:3050 (db.firebird)', 'compliant'),
                                                         ('mail mail:587 (smtp.starttls)', 'drifted')]


VERDICTS = [
    cv.verdict('mve01', 'flow', 'printer.raw 10.0.0.5 tcp/9100', 'compliant', 'open', 'open', 'connected'),
    cv.verdict('mvewin01', 'printer_setting', '10.0.0.5 sysContact', 'drifted', 'admins@example.com', 'x<y>&"z',
               'sysContact differs'),
    cv.verdict('mve01', 'firewall', 'MVE - NPAP alerts from printers (UDP 9187)', 'drifted', 'present', 'missing',
               'the rule is missing from the host firewall'),
    cv.verdict('mve01', 'printer_port', '10.0.0.6 web server', 'error', None, None, 'login refused'),
]


def test_summary_and_order():
    s = cv.summary(VERDICTS)
    assert (s['total'], s['drifted'], s['error'], s['compliant']) == (4, 2, 1, 1)
    assert s['hosts']['mve01'] == {'drifted': 1, 'error': 1, 'compliant': 1, 'total': 3}
    assert sorted(s['kinds']) == ['firewall', 'flow', 'printer_port', 'printer_setting']
    assert [v['verdict'] for v in cv.ordered(VERDICTS)] == ['drifted', 'drifted', 'error', 'compliant']
    assert report.stats(VERDICTS)['drifted'] == 2 and report.stats(VERDICTS)['errors'] == 1


def test_json_document():
    doc = json.loads(json.dumps(report.document(VERDICTS, generated='2026-12-07T00:00:00Z')))
    assert doc['summary']['drifted'] == 2
    assert [v['check'] for v in doc['hosts']['mve01']['firewall']] == ['MVE - NPAP alerts from printers (UDP 9187)']


def test_junit():
    root = ET.fromstring(report.junit(VERDICTS).split('\n', 1)[1])
    assert (root.get('tests'), root.get('failures'), root.get('errors')) == ('4', '2', '1')
    cases = root.findall('.//testcase')
    assert len(cases) == 4
    failures = [c for c in cases if c.find('failure') is not None]
    assert {c.get('name') for c in failures} == {'firewall: MVE - NPAP alerts from printers (UDP 9187)',
                                                 'printer_setting: 10.0.0.5 sysContact'}
    message = [c for c in failures if 'sysContact' in c.get('name')][0].find('failure').get('message')
    assert message == 'wanted admins@example.com, found x<y>&"z: sysContact differs'
    assert [c.get('name') for c in cases if c.find('error') is not None] == ['printer_port: 10.0.0.6 web server']


def test_html_is_self_contained_summary_first_drift_first():
    page = report.html_page(VERDICTS, generated='2026-12-07T00:00:00Z')
    assert page.startswith('<!DOCTYPE html>')
    for external in ('<script', 'src=', 'href=', '@import', 'url('):
        assert external not in page
    assert page.index('id="summary"') < page.index('id="per-host"') < page.index('id="per-kind"') < page.index(
        'id="checks"')
    assert '2 of 4 checks drifted; 1 could not run' in page
    rows = page.split('id="checks"')[1].split('<tr class="')[1:]
    assert [r.split('"')[0] for r in rows] == ['drifted', 'drifted', 'error', 'compliant']
    assert 'x&lt;y&gt;&amp;&quot;z' in page and 'x<y>' not in page


def test_problems():
    assert report.problems(VERDICTS) == [
        'DRIFTED mve01 firewall MVE - NPAP alerts from printers (UDP 9187): wanted present, found missing: the rule '
        'is missing from the host firewall',
        'DRIFTED mvewin01 printer_setting 10.0.0.5 sysContact: wanted admins@example.com, found x<y>&"z: sysContact '
        'differs',
        'ERROR mve01 printer_port 10.0.0.6 web server: login refused']


@pytest.mark.parametrize('verdicts', [[], [VERDICTS[0]]])
def test_all_compliant_or_empty(verdicts):
    page = report.html_page(verdicts)
    assert 'All %d checks compliant' % len(verdicts) in page
    assert report.stats(verdicts)['drifted'] == 0
