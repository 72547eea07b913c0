# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's filters (plugins/filter/mve.py): exact outputs as data tables, their sidecar documentation,
and once through ansible's own plugin loader and templating (the ``ansible`` CLI)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml
from support import adhoc

from ansible.errors import AnsibleFilterError

from ansible_collections.printfleet.mve.plugins.filter import mve as f
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix as pm

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
FILTER_DIR = os.path.join(ROOT, 'plugins', 'filter')
FILTERS = sorted(f.FilterModule().filters())


def flow(flow_id, transport, port, advisory=False, **extra):
    """A port matrix flow with only the keys the filters read (synthetic: the real ones come from port_matrix)."""
    out = {'id': flow_id, 'transport': transport, 'destination_port': port, 'advisory': advisory}
    out.update(extra)
    return out


# ---------------------------------------------------------------------------------------------------------
# The plugin itself and its documentation
# ---------------------------------------------------------------------------------------------------------

def test_filter_module_lists_every_filter():
    assert FILTERS == ['compliance_report', 'compliance_verdicts', 'database_login_from', 'dependency_failure_summary',
                       'dependency_lines', 'dependency_verdicts', 'firewall_verify_findings', 'firewall_verify_plan',
                       'firewall_verify_targets', 'port_access_printers', 'port_check_failures', 'port_check_table',
                       'port_failure_summary', 'port_policy', 'printer_lines', 'printer_web_credentials',
                       'result_details']
    for name, func in f.FilterModule().filters().items():
        assert func is getattr(f, name)


@pytest.mark.parametrize('name', FILTERS)
def test_every_filter_has_a_sidecar_doc(name):
    with open(os.path.join(FILTER_DIR, name + '.yml')) as fh:
        doc = yaml.safe_load(fh)
    assert sorted(doc) == ['DOCUMENTATION', 'EXAMPLES', 'RETURN']
    assert doc['DOCUMENTATION']['name'] == name
    assert doc['DOCUMENTATION']['short_description']
    assert doc['DOCUMENTATION']['options']['_input']['required'] is True
    assert all(isinstance(d, str) for d in doc['DOCUMENTATION']['description'])
    assert 'printfleet.mve.%s' % name in doc['EXAMPLES']
    assert doc['RETURN']['_value']['type'] in ('list', 'dict', 'str', 'raw')


def test_no_sidecar_without_its_filter():
    sidecars = sorted(os.path.splitext(n)[0] for n in os.listdir(FILTER_DIR) if n.endswith('.yml'))
    assert sidecars == FILTERS


# ---------------------------------------------------------------------------------------------------------
# printer_lines
# ---------------------------------------------------------------------------------------------------------

LEXMARK = {'reachable': True, 'vendor': 'Lexmark', 'model': 'MS822de', 'serial': 'LAB5000001',
           'firmware': 'MXTGM.081.215', 'page_count': 12345, 'error': None}


@pytest.mark.parametrize('printers,lines', [
    pytest.param({}, [], id='no-printers'),
    pytest.param({'192.0.2.10': LEXMARK},
                 ['192.0.2.10       Lexmark  MS822de      LAB5000001     fw MXTGM.081.215    pages 12345'],
                 id='reachable'),
    pytest.param({'192.0.2.99': {'reachable': False, 'error_kind': 'timeout', 'error': 'no reply: wrong community'}},
                 ['192.0.2.99       UNREACHABLE: no reply: wrong community'], id='unreachable'),
    pytest.param({'p1': {'reachable': False}}, ['p1               UNREACHABLE: no reply'], id='unreachable-no-error'),
    pytest.param({'p1': {'reachable': True}}, ['p1               ?        ?            ?              fw ?'
                                               '                pages ?'], id='reachable-no-facts'),
    pytest.param({'p1': {'reachable': True, 'vendor': None, 'model': None, 'serial': None, 'firmware': None,
                         'page_count': 0}},
                 ['p1               None     None         None           fw None             pages 0'],
                 id='reachable-null-facts'),
    pytest.param({'printer-with-a-long-name.example.com': dict(LEXMARK, vendor='Hewlett-Packard')},
                 ['printer-with-a-long-name.example.com Hewlett-Packard MS822de      LAB5000001     fw MXTGM.081.215'
                  '    pages 12345'], id='long-values-widen-their-column'),
    pytest.param({'b': {'reachable': False}, 'C': {'reachable': False, 'error': 'x'}, 'a': LEXMARK,
                  'A2': {'reachable': False, 'error': 'y'}},
                 ['a                Lexmark  MS822de      LAB5000001     fw MXTGM.081.215    pages 12345',
                  'A2               UNREACHABLE: y',
                  'b                UNREACHABLE: no reply',
                  'C                UNREACHABLE: x'], id='sorted-by-host-case-insensitive'),
])
def test_printer_lines(printers, lines):
    assert f.printer_lines(printers) == lines


# ---------------------------------------------------------------------------------------------------------
# port_policy
# ---------------------------------------------------------------------------------------------------------

PRINTER_FLOWS = [
    flow('printer.ftp', 'tcp', 21),
    flow('printer.ftp_data', 'tcp', 'ephemeral'),
    flow('printer.snmp', 'udp', 161),
    flow('printer.https_161', 'tcp', 161, advisory=True),
    flow('printer.https', 'tcp', 443),
]


@pytest.mark.parametrize('port_access,policy', [
    pytest.param({}, {}, id='nothing-asked'),
    pytest.param(None, {}, id='no-options'),
    pytest.param({'enable_needed': False, 'ports': {'tcp/9100': 'disabled'}}, {'tcp/9100': 'disabled'},
                 id='ports-only'),
    pytest.param({'enable_needed': True}, {'tcp/21': 'enabled', 'udp/161': 'enabled', 'tcp/443': 'enabled'},
                 id='enable-needed-without-advisory-and-ephemeral'),
    pytest.param({'disable': ['tcp/21', 'udp/9300']}, {'tcp/21': 'disabled', 'udp/9300': 'disabled'},
                 id='disable-only'),
    pytest.param({'enable_needed': True, 'disable': ['tcp/21', 'udp/9300']},
                 {'tcp/21': 'disabled', 'udp/161': 'enabled', 'tcp/443': 'enabled', 'udp/9300': 'disabled'},
                 id='disable-wins-over-enable'),
    pytest.param({'enable_needed': True, 'disable': ['tcp/21'], 'ports': {'tcp/21': 'enabled', 'tcp/80': 'disabled'}},
                 {'tcp/21': 'enabled', 'udp/161': 'enabled', 'tcp/443': 'enabled', 'tcp/80': 'disabled'},
                 id='ports-win-over-both'),
])
def test_port_policy(port_access, policy):
    out = f.port_policy(PRINTER_FLOWS, port_access)
    assert out == policy
    assert list(out) == list(policy)  # the order the ports were first named


def test_port_policy_without_flows():
    assert f.port_policy([], {'enable_needed': True, 'disable': ['tcp/21']}) == {'tcp/21': 'disabled'}


def test_port_policy_on_the_real_matrix():
    flows = pm.select_flows(features={}, destination='printer')
    expected = dict(('%s/%s' % (x['transport'], x['destination_port']), 'enabled') for x in flows
                    if not x['advisory'] and isinstance(x['destination_port'], int))
    assert any(x['advisory'] for x in flows)  # the matrix has advisory printer flows: they must stay out
    assert f.port_policy(flows, {'enable_needed': True}) == expected
    advisory_only = set('%s/%s' % (x['transport'], x['destination_port']) for x in flows if x['advisory'])
    advisory_only -= set(expected)
    assert advisory_only and not advisory_only & set(f.port_policy(flows, {'enable_needed': True}))


# ---------------------------------------------------------------------------------------------------------
# port_failure_summary
# ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('results,text', [
    pytest.param([], '', id='none'),
    pytest.param([{'host': '192.0.2.10', 'flow': 'printer.raw', 'transport': 'tcp', 'port': 9100, 'state': 'closed'}],
                 '192.0.2.10 printer.raw tcp/9100 is closed.', id='one'),
    pytest.param([{'host': 'h1', 'flow': 'printer.raw', 'transport': 'tcp', 'port': 9100, 'state': 'filtered'},
                  {'host': 'h2', 'transport': 'udp', 'port': 161, 'state': 'error'},
                  {'host': 'h3', 'flow': None, 'transport': 'tcp', 'port': 1, 'state': 'closed'}],
                 'h1 printer.raw tcp/9100 is filtered; h2 - udp/161 is error; h3  tcp/1 is closed.',
                 id='several-flowless-and-null-flow'),
])
def test_port_failure_summary(results, text):
    assert f.port_failure_summary(results) == text


# ---------------------------------------------------------------------------------------------------------
# port_check_table
# ---------------------------------------------------------------------------------------------------------

def result(host, flow_id, transport, port, state, reason, probe='none', advisory=False, **extra):
    out = {'host': host, 'port': port, 'transport': transport, 'probe': probe, 'state': state, 'reason': reason,
           'rtt_ms': None, 'advisory': advisory}
    if flow_id is not None:
        out['flow'] = flow_id
    out.update(extra)
    return out


OPEN = result('192.0.2.10', 'printer.raw', 'tcp', 9100, 'open', 'connected')
CLOSED = result('192.0.2.10', 'printer.https', 'tcp', 443, 'closed', 'refused', probe='tls',
                also_flows=['printer.ews'])
ADVISORY = result('192.0.2.10', 'printer.https_161', 'tcp', 161, 'closed', 'refused', advisory=True)
SILENT = result('192.0.2.10', 'printer.npap', 'udp', 9300, 'open_or_filtered', 'silent')
MDNS_SILENT = result('192.0.2.10', 'printer.mdns', 'udp', 5353, 'open_or_filtered', 'no answer', probe='mdns')
ADHOC = result('mail.example.com', None, 'tcp', 25, 'error', 'does not resolve')
SUMMARY = {'total': 6, 'elapsed_ms': 12.5, 'open': 1, 'closed': 2, 'filtered': 0, 'open_or_filtered': 2,
           'error': 1}
FAIL_ON = ['closed', 'filtered', 'error']


def test_port_check_table_every_verdict():
    lines = f.port_check_table({'results': [OPEN, CLOSED, ADVISORY, SILENT, MDNS_SILENT, ADHOC], 'summary': SUMMARY},
                               FAIL_ON, [SILENT])
    assert lines == [
        'HOST              FLOW                       PORT      STATE             VERDICT   REASON',
        '192.0.2.10        printer.raw                tcp/9100  open              pass      connected',
        '192.0.2.10        printer.https,printer.ews  tcp/443   closed            FAIL      refused',
        '192.0.2.10        printer.https_161          tcp/161   closed            advisory  refused',
        '192.0.2.10        printer.npap               udp/9300  open_or_filtered  pass      silent',
        '192.0.2.10        printer.mdns               udp/5353  open_or_filtered  warn      no answer',
        'mail.example.com  -                          tcp/25    error             FAIL      does not resolve',
        '6 checks in 12.5 ms: 1 open, 2 closed, 0 filtered, 2 open_or_filtered, 1 error; 2 failing',
    ]


def test_port_check_table_exact_columns():
    lines = f.port_check_table({'results': [OPEN, ADHOC], 'summary': dict(SUMMARY, total=2, elapsed_ms=3)}, FAIL_ON)
    assert lines == [
        'HOST              FLOW         PORT      STATE  VERDICT   REASON',
        '192.0.2.10        printer.raw  tcp/9100  open   pass      connected',
        'mail.example.com  -            tcp/25    error  FAIL      does not resolve',
        '2 checks in 3 ms: 1 open, 2 closed, 0 filtered, 2 open_or_filtered, 1 error; 1 failing',
    ]


@pytest.mark.parametrize('fail_on,tolerated,verdicts,failing', [
    pytest.param(FAIL_ON, [], ['pass', 'FAIL', 'advisory', 'warn'], 1, id='default-fail-on'),
    pytest.param(FAIL_ON + ['open_or_filtered'], [], ['pass', 'FAIL', 'advisory', 'FAIL'], 2, id='strict'),
    pytest.param(FAIL_ON + ['open_or_filtered'], [SILENT], ['pass', 'FAIL', 'advisory', 'pass'], 1,
                 id='strict-with-silent-udp-tolerated'),
    pytest.param([], [], ['pass', 'warn', 'advisory', 'warn'], 0, id='nothing-fails'),
])
def test_port_check_table_verdicts(fail_on, tolerated, verdicts, failing):
    lines = f.port_check_table({'results': [OPEN, CLOSED, ADVISORY, SILENT], 'summary': SUMMARY}, fail_on, tolerated)
    assert [line.split()[4] for line in lines[1:-1]] == verdicts
    assert lines[-1].endswith('; %d failing' % failing)


def test_port_check_table_tolerates_equal_results_not_just_the_same_objects():
    """tolerated is matched by value (a copy, keys in another order), and only the results it holds: the set lookup
    that replaced ``r in tolerated`` (quadratic at 1,000 printers) keeps list semantics."""
    other_host = dict(SILENT, host='192.0.2.11')
    reordered = dict(reversed(list(SILENT.items())))
    lines = f.port_check_table({'results': [SILENT, other_host], 'summary': SUMMARY},
                               FAIL_ON + ['open_or_filtered'], [reordered])
    assert [line.split()[4] for line in lines[1:-1]] == ['pass', 'FAIL']
    many = [dict(SILENT, host='10.0.%d.%d' % (i // 250, i % 250 + 1)) for i in range(3000)]
    lines = f.port_check_table({'results': many + [CLOSED], 'summary': SUMMARY}, FAIL_ON + ['open_or_filtered'],
                               list(many))
    assert lines[-1].endswith('; 1 failing')


def test_port_check_table_minimum_widths_are_the_headers():
    short = result('h', 'f', 'tcp', 1, 'open', None)
    assert f.port_check_table({'results': [short], 'summary': dict(SUMMARY, total=1)}, FAIL_ON) == [
        'HOST  FLOW  PORT   STATE  VERDICT   REASON',
        'h     f     tcp/1  open   pass      None',
        '1 checks in 12.5 ms: 1 open, 2 closed, 0 filtered, 2 open_or_filtered, 1 error; 0 failing',
    ]


def test_port_check_table_no_results():
    empty = {'total': 0, 'elapsed_ms': 0, 'open': 0, 'closed': 0, 'filtered': 0, 'open_or_filtered': 0, 'error': 0}
    assert f.port_check_table({'results': [], 'summary': empty}, FAIL_ON) == [
        'HOST  FLOW  PORT  STATE  VERDICT   REASON',
        '0 checks in 0 ms: 0 open, 0 closed, 0 filtered, 0 open_or_filtered, 0 error; 0 failing',
    ]


# ---------------------------------------------------------------------------------------------------------
# dependency_verdicts, dependency_lines, dependency_failure_summary
# ---------------------------------------------------------------------------------------------------------

SKIPPED = {'changed': False, 'skipped': True, 'skip_reason': 'Conditional result was False',
           'false_condition': 'mve_dependencies_db_flow | length > 0'}
SMTP_FLOW = {'id': 'smtp.starttls', 'feature': 'smtp=starttls', 'destination_port': 587}
LDAP_FLOW = {'id': 'directory.ldaps', 'feature': 'directory=ldaps', 'destination_port': 636}
KDC_FLOW = {'id': 'directory.kerberos', 'feature': 'kerberos=true', 'destination_port': 88}
MAIL_OK = {'ok': True, 'reason': 'STARTTLS, authenticated', 'elapsed_ms': 41.2, 'authenticated': True,
           'changed': False, 'failed': False, 'failed_when_result': False, 'invocation': {'module_args': {}}}
LDAP_FAIL = {'ok': False, 'reason': 'invalidCredentials', 'elapsed_ms': 9, 'bound': False, 'changed': False}
KDC_MSG = {'ok': False, 'msg': 'module crashed', 'failed': True}

CHECKS = [
    {'dependency': 'database', 'flow': {}, 'server': {}, 'result': SKIPPED},
    {'dependency': 'mail', 'flow': SMTP_FLOW, 'server': {'host': 'mail.example.com'}, 'result': MAIL_OK},
    {'dependency': 'directory', 'flow': LDAP_FLOW, 'server': {'host': 'ldap.example.com'}, 'result': LDAP_FAIL},
    {'dependency': 'kerberos', 'flow': KDC_FLOW, 'server': {'host': 'kdc', 'realm': 'R'}, 'result': KDC_MSG},
]
VERDICTS = [
    {'dependency': 'database', 'flow': '', 'feature': '', 'endpoint': ':', 'ran': False, 'ok': True,
     'reason': 'not needed by the features', 'elapsed_ms': None},
    {'dependency': 'mail', 'flow': 'smtp.starttls', 'feature': 'smtp=starttls', 'endpoint': 'mail.example.com:587',
     'ran': True, 'ok': True, 'reason': 'STARTTLS, authenticated', 'elapsed_ms': 41.2},
    {'dependency': 'directory', 'flow': 'directory.ldaps', 'feature': 'directory=ldaps',
     'endpoint': 'ldap.example.com:636', 'ran': True, 'ok': False, 'reason': 'invalidCredentials', 'elapsed_ms': 9},
    {'dependency': 'kerberos', 'flow': 'directory.kerberos', 'feature': 'kerberos=true', 'endpoint': 'kdc:88',
     'ran': True, 'ok': False, 'reason': 'module crashed', 'elapsed_ms': None},
]


def test_dependency_verdicts():
    out = f.dependency_verdicts(CHECKS)
    assert out == VERDICTS
    assert [sorted(v) for v in out] == [sorted(['dependency', 'flow', 'feature', 'endpoint', 'ran', 'ok', 'reason',
                                                'elapsed_ms'])] * 4


@pytest.mark.parametrize('check,verdict', [
    pytest.param({'dependency': 'mail', 'flow': SMTP_FLOW, 'server': {'host': 'm'}, 'result': {}},
                 {'endpoint': 'm:587', 'ran': True, 'ok': False, 'reason': '', 'elapsed_ms': None},
                 id='ran-with-an-empty-result'),
    pytest.param({'dependency': 'mail', 'flow': SMTP_FLOW, 'server': {}, 'result': {'skipped': False, 'ok': True}},
                 {'endpoint': ':587', 'ran': True, 'ok': True, 'reason': '', 'elapsed_ms': None},
                 id='skipped-false-ran-no-host'),
    pytest.param({'dependency': 'mail', 'flow': SMTP_FLOW, 'server': {'host': None},
                  'result': {'ok': True, 'reason': None, 'msg': 'ignored'}},
                 {'endpoint': 'None:587', 'ran': True, 'ok': True, 'reason': None, 'elapsed_ms': None},
                 id='null-reason-kept-null-host-rendered'),
    pytest.param({'dependency': 'mail', 'flow': SMTP_FLOW, 'server': {'host': 'm'},
                  'result': dict(SKIPPED, ok=False, reason='x', elapsed_ms=5)},
                 {'endpoint': 'm:587', 'ran': False, 'ok': True, 'reason': 'not needed by the features',
                  'elapsed_ms': 5},
                 id='skipped-wins'),
    pytest.param({'dependency': 'database'},
                 {'endpoint': ':', 'ran': True, 'ok': False, 'reason': '', 'elapsed_ms': None}, id='nothing-given'),
])
def test_dependency_verdict_edge_cases(check, verdict):
    out = f.dependency_verdicts([check])[0]
    assert dict((k, out[k]) for k in verdict) == verdict


def test_dependency_lines():
    assert f.dependency_lines([v for v in VERDICTS if v['ran']]) == [
        'mail      smtp.starttls      mail.example.com:587         ok   STARTTLS, authenticated',
        'directory directory.ldaps    ldap.example.com:636         FAIL invalidCredentials',
        'kerberos  directory.kerberos kdc:88                       FAIL module crashed',
    ]
    assert f.dependency_lines(VERDICTS[:1]) == [
        'database                     :                            ok   not needed by the features']
    assert f.dependency_lines([]) == []


@pytest.mark.parametrize('verdicts,text', [
    pytest.param([], '', id='none'),
    pytest.param(VERDICTS[2:3], 'directory (directory.ldaps, ldap.example.com:636): invalidCredentials.', id='one'),
    pytest.param(VERDICTS[2:], 'directory (directory.ldaps, ldap.example.com:636): invalidCredentials; '
                               'kerberos (directory.kerberos, kdc:88): module crashed.', id='two'),
    pytest.param([dict(VERDICTS[2], reason=None)], 'directory (directory.ldaps, ldap.example.com:636): .',
                 id='null-reason'),
])
def test_dependency_failure_summary(verdicts, text):
    assert f.dependency_failure_summary(verdicts) == text


# ---------------------------------------------------------------------------------------------------------
# result_details
# ---------------------------------------------------------------------------------------------------------

def test_result_details():
    out = f.result_details({'database': SKIPPED, 'mail': MAIL_OK, 'directory': LDAP_FAIL, 'kerberos': KDC_MSG})
    assert out == {
        'mail': {'ok': True, 'reason': 'STARTTLS, authenticated', 'elapsed_ms': 41.2, 'authenticated': True},
        'directory': {'ok': False, 'reason': 'invalidCredentials', 'elapsed_ms': 9, 'bound': False},
        'kerberos': {'ok': False, 'msg': 'module crashed'},
    }
    assert list(out) == ['mail', 'directory', 'kerberos']
    assert 'invocation' in MAIL_OK  # the input is left alone


@pytest.mark.parametrize('results,drop,details', [
    pytest.param({}, None, {}, id='empty'),
    pytest.param({'a': SKIPPED}, None, {}, id='all-skipped'),
    pytest.param({'a': {'skipped': False, 'ok': True, 'changed': True}}, None, {'a': {'skipped': False, 'ok': True}},
                 id='skipped-false-is-kept'),
    pytest.param({'a': {'ok': True, 'changed': True, 'invocation': {}}}, ['ok'],
                 {'a': {'changed': True, 'invocation': {}}}, id='other-keys-dropped'),
    pytest.param({'a': {'ok': True, 'changed': True}}, [], {'a': {'ok': True, 'changed': True}}, id='nothing-dropped'),
])
def test_result_details_edge_cases(results, drop, details):
    if drop is None:
        assert f.result_details(results) == details
    else:
        assert f.result_details(results, drop) == details


# ---------------------------------------------------------------------------------------------------------
# firewall_verify_targets
# ---------------------------------------------------------------------------------------------------------

INBOUND = [
    flow('browser.https', 'tcp', 443),
    flow('printer.ftp_data', 'tcp', 'ephemeral', advisory=True),
    flow('printer.https_push', 'tcp', 443),
    flow('alerts.npap', 'udp', 9187),
    flow('browser.http', 'tcp', 80),
]


@pytest.mark.parametrize('flows,kwargs,targets', [
    pytest.param(INBOUND, {}, [{'host': 'mve01', 'port': 443}, {'host': 'mve01', 'port': 80}], id='enforce-off'),
    pytest.param(INBOUND, {'blocked_port': 9, 'enforce': False},
                 [{'host': 'mve01', 'port': 443}, {'host': 'mve01', 'port': 80}], id='enforce-off-port-given'),
    pytest.param(INBOUND, {'blocked_port': 9, 'enforce': True},
                 [{'host': 'mve01', 'port': 443}, {'host': 'mve01', 'port': 80}, {'host': 'mve01', 'port': 9}],
                 id='enforce-on'),
    pytest.param(INBOUND, {'blocked_port': 443, 'enforce': True},
                 [{'host': 'mve01', 'port': 443}, {'host': 'mve01', 'port': 80}, {'host': 'mve01', 'port': 443}],
                 id='blocked-port-appended-even-when-allowed'),
    pytest.param([], {'blocked_port': 9, 'enforce': True}, [{'host': 'mve01', 'port': 9}], id='no-flows-enforce'),
    pytest.param([], {}, [], id='no-flows'),
])
def test_firewall_verify_targets(flows, kwargs, targets):
    assert f.firewall_verify_targets(flows, 'mve01', **kwargs) == targets


def test_firewall_verify_targets_on_the_real_matrix():
    features = {'smtp': 'starttls', 'directory': 'ldaps'}
    flows = pm.select_flows(features=features, destination='mve_server', transport='tcp')
    ports = []
    for x in flows:
        if isinstance(x['destination_port'], int) and x['destination_port'] not in ports:
            ports.append(x['destination_port'])
    assert ports and len(ports) < len(flows)  # an ephemeral (or repeated) port is left out
    assert f.firewall_verify_targets(flows, '192.0.2.5') == [{'host': '192.0.2.5', 'port': p} for p in ports]


# ---------------------------------------------------------------------------------------------------------
# database_login_from: a Firebird check from a Windows MVE server, its login run from the controller
# ---------------------------------------------------------------------------------------------------------

def _windows_firebird(reason='Firebird on db:3050 accepted op_connect (protocol 16).'):
    """What database_check returns from a Windows host for a Firebird check with credentials (remote_finish)."""
    from ansible_collections.printfleet.mve.plugins.module_utils.checks import database
    out = {'ok': True, 'reason': reason, 'elapsed_ms': 4.0, 'vantage': 'windows', 'round_trips': 1}
    return database.remote_finish({'engine': 'firebird', 'username': 'SYSDBA', 'password': 'pw'}, out)


CONTROLLER_LOGIN_OK = {'ok': True, 'changed': False, 'reason': 'Firebird on db:3050 accepted op_connect. Login as '
                       'SYSDBA succeeded and opened database MVE.',
                       'login': {'attempted': True, 'ok': True, 'error_code': None, 'error_kind': None, 'error': None},
                       'steps': {'protocol': 'linux', 'login': 'linux'}}
CONTROLLER_LOGIN_BAD = {'ok': False, 'changed': False, 'reason': 'Firebird on db:3050 refused the login as SYSDBA: '
                        'Your user name and password are not defined.',
                        'login': {'attempted': True, 'ok': False, 'error_code': 335544472,
                                  'error_kind': 'login_failed', 'error': 'Your user name and password are not defined.'},
                        'steps': {'protocol': 'linux', 'login': 'linux'}}


def test_windows_firebird_result_is_not_ok_until_the_login_ran():
    remote = _windows_firebird()
    assert remote['ok'] is False and remote['steps'] == {'protocol': 'windows', 'login': 'controller'}
    assert remote['login']['attempted'] is False


@pytest.mark.parametrize('login,ok,reason_end', [
    (CONTROLLER_LOGIN_OK, True, 'From the controller: ' + CONTROLLER_LOGIN_OK['reason']),
    (dict(CONTROLLER_LOGIN_OK, reason='Firebird on db:3050 accepted op_connect (protocol 16). Login as SYSDBA '
          'succeeded.'), True, 'From the controller: Login as SYSDBA succeeded.'),
    (CONTROLLER_LOGIN_BAD, False, 'From the controller: ' + CONTROLLER_LOGIN_BAD['reason']),
    ({'ok': False, 'msg': 'firebirdsql is not installed', 'failed': True}, False,
     'The login from the controller did not run: firebirdsql is not installed'),
], ids=['login-ok', 'login-ok-same-protocol-reply', 'login-refused', 'login-not-run'])
def test_database_login_from(login, ok, reason_end):
    merged = f.database_login_from(_windows_firebird(), login)
    assert merged['ok'] is ok
    assert merged['reason'] == 'Firebird on db:3050 accepted op_connect (protocol 16). ' + reason_end
    assert merged['steps'] == {'protocol': 'windows', 'login': 'controller' if login.get('login') else None}
    assert merged['vantage'] == 'windows' and merged['round_trips'] == 1
    assert merged['login'] == login.get('login', {'attempted': False, 'ok': None, 'error_code': None,
                                                  'error_kind': None, 'error': None})


@pytest.mark.parametrize('result,login', [
    ({'ok': True, 'reason': 'r', 'steps': {'protocol': 'windows', 'login': 'windows'}}, CONTROLLER_LOGIN_OK),
    ({'ok': True, 'reason': 'r', 'steps': {'protocol': 'linux', 'login': None}}, CONTROLLER_LOGIN_OK),
    ({'ok': False, 'reason': 'r', 'steps': {'protocol': 'windows', 'login': 'controller'}},
     {'skipped': True, 'changed': False}),
], ids=['sqlserver-on-windows', 'linux', 'login-skipped'])
def test_database_login_from_leaves_other_results_alone(result, login):
    assert f.database_login_from(result, login) == result


# ---------------------------------------------------------------------------------------------------------
# port_check_failures
# ---------------------------------------------------------------------------------------------------------

def test_port_check_failures_agrees_with_the_table():
    silent = {'host': 'p1', 'transport': 'udp', 'port': 9300, 'probe': 'none', 'state': 'open_or_filtered'}
    results = [
        {'host': 'p1', 'transport': 'tcp', 'port': 21, 'probe': 'tcp', 'state': 'closed', 'advisory': False},
        {'host': 'p1', 'transport': 'tcp', 'port': 161, 'probe': 'tls', 'state': 'closed', 'advisory': True},
        dict(silent),
        {'host': 'p1', 'transport': 'udp', 'port': 161, 'probe': 'snmp', 'state': 'open_or_filtered'},
        {'host': 'p1', 'transport': 'tcp', 'port': 9100, 'probe': 'tcp', 'state': 'open'},
    ]
    fail_on = ['closed', 'filtered', 'open_or_filtered']
    failures = f.port_check_failures({'results': results}, fail_on, [dict(silent)])
    assert [(r['transport'], r['port']) for r in failures] == [('tcp', 21), ('udp', 161)]
    summary = dict((k, 0) for k in ('total', 'elapsed_ms', 'open', 'closed', 'filtered', 'open_or_filtered', 'error'))
    table = f.port_check_table({'results': results, 'summary': summary}, fail_on, [dict(silent)])
    assert table[-1].endswith('; 2 failing')
    assert len(f.port_check_failures({'results': results}, fail_on)) == 3   # without tolerated, the silent one fails
    assert f.port_check_failures({'results': []}, fail_on, []) == []


# ---------------------------------------------------------------------------------------------------------
# printer_web_credentials
# ---------------------------------------------------------------------------------------------------------

def test_printer_web_credentials():
    hostvars = {
        'p1': {'ansible_host': '10.0.0.5', 'mve_printer_https_username': 'admin', 'mve_printer_https_password': 's'},
        'p2': {'ansible_host': '10.0.0.6'},
        'p3': {'mve_printer_https_password': 'pin-only'},
    }
    assert f.printer_web_credentials(['p1', 'p2', 'p3'], hostvars) == {
        '10.0.0.5': {'username': 'admin', 'password': 's'},
        'p3': {'username': '', 'password': 'pin-only'},
    }
    assert f.printer_web_credentials([], hostvars) == {}


def test_port_access_printers_each_with_its_own_credentials():
    access = {'username': 'admin', 'password': 'common', 'credentials': {
        '10.0.0.5': {'username': 'root', 'password': 's', 'fingerprint': 'AB:CD'},
        '10.0.0.7': {'username': '', 'password': 'pin-only'}}}
    assert f.port_access_printers(['10.0.0.5', '10.0.0.6', '10.0.0.7'], access) == [
        {'host': '10.0.0.5', 'username': 'root', 'password': 's', 'fingerprint': 'AB:CD'},
        {'host': '10.0.0.6'},
        {'host': '10.0.0.7', 'password': 'pin-only'},   # an empty user name is the module-wide one's business
    ]
    assert f.port_access_printers(['10.0.0.6']) == [{'host': '10.0.0.6'}]
    assert f.port_access_printers([], access) == []


# ---------------------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('call,message', [
    pytest.param(lambda: f.printer_lines(['p1']), 'printer_lines: the input', id='printer_lines-list'),
    pytest.param(lambda: f.printer_lines({'p1': 'down'}), 'printers[p1] must be a dict', id='printer_lines-str'),
    pytest.param(lambda: f.port_policy({'a': 1}), 'port_policy: the input (flows) must be a list', id='policy-dict'),
    pytest.param(lambda: f.port_policy([], {'disable': 'tcp/21'}), 'port_access.disable must be a list',
                 id='policy-disable-str'),
    pytest.param(lambda: f.port_policy([], ['enable_needed']), 'port_access must be a dict', id='policy-options'),
    pytest.param(lambda: f.port_check_table([], FAIL_ON), 'port_check_table: the input', id='table-list'),
    pytest.param(lambda: f.port_check_table({'results': []}, 'closed'), 'fail_on must be a list', id='table-fail-on'),
    pytest.param(lambda: f.dependency_verdicts([('mail', {}, {}, {})]), 'each check must be a dict',
                 id='verdicts-tuple'),
    pytest.param(lambda: f.result_details([MAIL_OK]), 'result_details: the input', id='details-list'),
    pytest.param(lambda: f.firewall_verify_targets('tcp/443', 'h'), 'firewall_verify_targets: the input',
                 id='targets-str'),
    pytest.param(lambda: f.printer_web_credentials('p1', {}), 'printer_web_credentials: the input',
                 id='credentials-str'),
    pytest.param(lambda: f.port_check_failures([], ['closed']), 'port_check_failures: the input', id='failures-list'),
    pytest.param(lambda: f.port_access_printers('p1'), 'port_access_printers: the input', id='printers-str'),
    pytest.param(lambda: f.port_access_printers(['p1'], {'credentials': {'p1': 'pw'}}),
                 "port_access.credentials['p1'] must be a dict", id='printers-credentials-str'),
    pytest.param(lambda: f.database_login_from({'ok': True}, 'ok'), 'login_result (database_check result from '
                 'controller) must be a dict', id='login-from-str'),
])
def test_bad_input(call, message):
    with pytest.raises(AnsibleFilterError, match=r'^printfleet\.mve\.') as err:
        call()
    assert message in str(err.value)


# ---------------------------------------------------------------------------------------------------------
# Through ansible itself: plugin loader, FQCN, templating with ansible's lazy containers
# ---------------------------------------------------------------------------------------------------------

def _ansible(tmp_path, expression, extra_vars):
    return adhoc.msg(adhoc.debug(tmp_path, expression, extra_vars))


def test_filters_through_ansible(tmp_path):
    msg = _ansible(tmp_path, "{'lines': printers | printfleet.mve.printer_lines, "
                             "'policy': query('printfleet.mve.mve_flows', features={'printer_protocols': ['snmp']}, "
                             "destination='printer') | printfleet.mve.port_policy(access), "
                             "'table': probe | printfleet.mve.port_check_table(['closed'], [probe.results[1]]), "
                             "'verdicts': checks | printfleet.mve.dependency_verdicts}",
                   {'printers': {'p2': {'reachable': False}, 'p1': LEXMARK},
                    'access': {'enable_needed': True, 'disable': ['tcp/21']},
                    'probe': {'results': [OPEN, SILENT], 'summary': dict(SUMMARY, total=2)},
                    'checks': CHECKS[:2]})
    assert msg == {
        'lines': ['p1               Lexmark  MS822de      LAB5000001     fw MXTGM.081.215    pages 12345',
                  'p2               UNREACHABLE: no reply'],
        'policy': {'udp/%d' % pm.get_flow('printer.snmp')['destination_port']: 'enabled', 'tcp/21': 'disabled'},
        'table': ['HOST        FLOW          PORT      STATE             VERDICT   REASON',
                  '192.0.2.10  printer.raw   tcp/9100  open              pass      connected',
                  '192.0.2.10  printer.npap  udp/9300  open_or_filtered  pass      silent',
                  '2 checks in 12.5 ms: 1 open, 2 closed, 0 filtered, 2 open_or_filtered, 1 error; 0 failing'],
        'verdicts': VERDICTS[:2],
    }
