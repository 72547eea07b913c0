# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firewall planner, as data: features and scopes -> rules, wanted vs actual -> changes, refusals."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as fp
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix

DYN = (32768, 60999)
SCOPES = {'printer': ['10.0.0.0/24'], 'browser': ['10.1.0.0/24'], 'database': ['10.9.0.5'],
          'smtp': ['10.9.0.6'], 'ldap': ['10.9.0.7'], 'kdc': ['10.9.0.8']}


def _port(flow_id):
    """A flow's destination port, from the matrix (tests never type MVE ports either)."""
    return port_matrix.get_flow(flow_id)['destination_port']


def rules_for(features, scopes=None, **kw):
    kw.setdefault('dynamic_ports', DYN)
    return fp.desired_rules(features, SCOPES if scopes is None else scopes, **kw)


def summary(rules):
    return [(r['direction'], r['transport'], r['role'], r['flows']) for r in rules]


# ---- features -> rules ----------------------------------------------------------------------------------

CASES = [
    # id, features, kwargs, expected (direction, transport, role, flows) in order
    ('defaults-inbound-only', {}, {'outbound': 'never'}, [
        ('inbound', 'tcp', 'printer', ['printer.ftp_data']),
        ('inbound', 'udp', 'printer', ['alerts.npap']),
        ('inbound', 'tcp', 'browser', ['browser.https']),
    ]),
    ('no-ftp-no-npap', {'printer_protocols': ['snmp', 'https']}, {'outbound': 'never'}, [
        ('inbound', 'tcp', 'browser', ['browser.https']),
    ]),
    ('auto-allow-means-no-outbound', {'printer_protocols': ['snmp']},
     {'outbound': 'auto', 'default_outbound_action': 'allow'}, [
        ('inbound', 'tcp', 'browser', ['browser.https']),
    ]),
    ('auto-block-adds-outbound', {'printer_protocols': ['snmp', 'npap']},
     {'outbound': 'auto', 'default_outbound_action': 'block'}, [
        ('inbound', 'udp', 'printer', ['alerts.npap']),
        ('inbound', 'tcp', 'browser', ['browser.https']),
        ('outbound', 'udp', 'printer', ['printer.npap', 'printer.snmp']),
        ('outbound', 'tcp', 'database', ['db.firebird']),
    ]),
    ('always-everything', {'database': 'sqlserver', 'smtp': 'starttls', 'directory': 'ldaps', 'kerberos': True},
     {'outbound': 'always'}, [
        ('inbound', 'tcp', 'printer', ['printer.ftp_data']),
        ('inbound', 'udp', 'printer', ['alerts.npap']),
        ('inbound', 'tcp', 'browser', ['browser.https']),
        ('outbound', 'udp', 'printer', ['printer.npap', 'printer.xmlnt', 'printer.lst', 'printer.mdns',
                                        'printer.snmp']),
        ('outbound', 'tcp', 'printer', ['printer.lst_handshake', 'printer.ftp', 'printer.http', 'printer.http_443',
                                        'printer.https_161', 'printer.https', 'printer.raw']),
        ('outbound', 'tcp', 'database', ['db.sqlserver']),
        ('outbound', 'tcp', 'smtp', ['smtp.starttls']),
        ('outbound', 'tcp', 'ldap', ['directory.ldaps']),
        ('outbound', 'udp', 'kdc', ['directory.kerberos']),
    ]),
]


@pytest.mark.parametrize('features,kwargs,expected', [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_desired_rules_by_features(features, kwargs, expected):
    rules = rules_for(features, **kwargs)
    assert summary(rules) == expected
    assert all(r['group'] == 'printfleet.mve' and r['action'] == 'allow' for r in rules)


def test_rule_shapes_and_names():
    rules = dict((r['flows'][0], r) for r in rules_for({'database': 'sqlserver', 'ports': {'db.sqlserver': 1533}},
                                                       outbound='always'))
    alerts = rules['alerts.npap']
    assert alerts['name'] == 'MVE - NPAP alerts from printers (UDP %d)' % _port('alerts.npap')
    assert (alerts['local_ports'], alerts['remote_ports'], alerts['remote_addresses']) == (
        [_port('alerts.npap')], [], ['10.0.0.0/24'])
    web = rules['browser.https']
    assert web['name'] == 'MVE - HTTPS web console from browsers (TCP %d)' % _port('browser.https')
    # Active-mode FTP data: remote port 20 (the flow's source port) to the host's dynamic range.
    ftp = rules['printer.ftp_data']
    source = port_matrix.get_flow('printer.ftp_data')['source_port']
    assert ftp['remote_ports'] == [source] and ftp['local_ports'] == ['32768-60999']
    assert ftp['name'] == 'MVE - FTP active-mode data from printers (TCP %d to 32768-60999)' % source
    # Outbound: the peer's port, any local port; the user's port override applies.
    db = rules['db.sqlserver']
    assert (db['direction'], db['local_ports'], db['remote_ports']) == ('outbound', [], [1533])
    assert db['name'] == 'MVE - SQL Server to database servers (TCP 1533)'
    shared = rules['printer.lst_handshake']
    assert shared['remote_ports'] == sorted(set(_port(f) for f in shared['flows']))  # 443 once, sorted


def test_default_dynamic_range_is_the_iana_one():
    ftp = fp.desired_rules({'printer_protocols': ['ftp']}, SCOPES, outbound='never')[0]
    assert ftp['local_ports'] == ['%d-%d' % fp.DEFAULT_DYNAMIC_PORTS]


def test_rule_names_option():
    names = {'alerts.npap': 'MVE alerts', 'printer.npap': 'MVE to printers UDP', 'printer.snmp': 'MVE to printers UDP'}
    rules = rules_for({'printer_protocols': ['npap', 'snmp']}, outbound='always', rule_names=names)
    assert [r['name'] for r in rules][:1] == ['MVE alerts']
    assert 'MVE to printers UDP' in [r['name'] for r in rules]


SCOPE_CASES = [
    (['10.0.0.0/25', '10.0.0.128/25'], ['10.0.0.0/24']),
    (['10.0.0.5/24'], ['10.0.0.0/24']),  # host bits: the network is meant
    (['10.0.0.9', '10.0.0.1-10.0.0.8'], ['10.0.0.1-10.0.0.9']),
    (['10.0.0.0-10.0.0.255', '2001:db8::1', '192.0.2.1'], ['10.0.0.0/24', '192.0.2.1', '2001:db8::1']),
    (['2001:db8::/48', '10.1.0.0/16', '10.0.0.0/16'], ['10.0.0.0/15', '2001:db8::/48']),
    (['10.2.0.0/16', '10.1.0.0/16'], ['10.1.0.0-10.2.255.255']),  # adjacent but not one network
    ('any', ['any']),
    (['any'], ['any']),
    ('10.0.0.1, 10.0.0.2', ['10.0.0.1-10.0.0.2']),
]


@pytest.mark.parametrize('given,expected', SCOPE_CASES)
def test_scopes_are_canonical(given, expected):
    assert fp.normalize_scopes({'printer': given})['printer'] == expected


# ---- bad input ------------------------------------------------------------------------------------------

BAD = [
    # kwargs for desired_rules, field, words in the message
    (dict(scopes={'printer': ['10.0.0.0/24', '10.0.0.1', '10.0.0.300/24']}),
     'scopes.printer[2]', ["'10.0.0.300/24' is not an IPv4/IPv6 address, network or range"]),
    (dict(scopes={'printer': ['10.0.0.9-10.0.0.1'], 'browser': ['10.1.0.0/24']}), 'scopes.printer[0]',
     ['empty range']),
    (dict(scopes={'printer': ['10.0.0.1-2001:db8::1'], 'browser': ['10.1.0.0/24']}), 'scopes.printer[0]',
     ['mixes IPv4 and IPv6']),
    (dict(scopes={'printer': ['printer01.example.com'], 'browser': ['10.1.0.0/24']}), 'scopes.printer[0]',
     ['not an IPv4/IPv6 address']),
    (dict(scopes={'printers': ['10.0.0.0/24']}), 'scopes.printers', ['unknown peer role', 'printer']),
    (dict(scopes={'mve_server': ['10.0.0.0/24']}), 'scopes.mve_server', ['unknown peer role']),
    (dict(scopes={'browser': ['10.1.0.0/24']}), 'scopes.printer', ['required for flows', 'alerts.npap']),
    (dict(scopes={'printer': ['10.0.0.0/24']}), 'scopes.browser', ['required for flows browser.https']),
    (dict(scopes={'printer': [], 'browser': ['10.1.0.0/24']}), 'scopes.printer', ['empty list']),
    (dict(scopes={'printer': None, 'browser': ['10.1.0.0/24']}), 'scopes.printer', ['no scope given']),
    (dict(scopes={'printer': ['any', '10.0.0.1'], 'browser': ['10.1.0.0/24']}), 'scopes.printer',
     ['cannot be combined']),
    (dict(scopes={'printer': ['10.0.0.0/24'], 'browser': 'any'}, strict=True), 'scopes.browser',
     ['refused in strict mode']),
    (dict(scopes=['10.0.0.0/24']), 'scopes', ['expected a dict']),
    (dict(outbound='always', scopes={'printer': ['10.0.0.0/24'], 'browser': ['10.1.0.0/24']}), 'scopes.database',
     ['db.firebird']),
    (dict(outbound='auto'), 'outbound', ['default outbound action']),
    (dict(outbound='sometimes'), 'outbound', ['auto, always, never']),
    (dict(endpoint='toaster'), 'endpoint', ['mve_server']),
    (dict(rule_group='my group!'), 'rule_group', ['letters, digits']),
    (dict(features={'printer_protocols': ['npap', 'telnet']}), 'features.printer_protocols', ['telnet']),
    (dict(features={'colour': True}), 'features', ['unknown key']),
    (dict(features={'database': 'sqlserver', 'ports': {'db.sqlserver': 70000}}), 'features.ports.db.sqlserver',
     ['from 1 to 65535']),
    (dict(features={'ports': {'browser.https': 8443}}), 'features.ports.browser.https', ['user-defined']),
    (dict(rule_names={'alerts.npop': 'x'}), 'rule_names.alerts.npop', ['unknown flow id']),
    (dict(rule_names={'alerts.npap': 'say "hi"'}), 'rule_names.alerts.npap', ['double quotes']),
    (dict(rule_names={'alerts.npap': 'Same', 'browser.https': 'Same'}), 'rule_names',
     ["duplicate rule name 'Same'", 'alerts.npap', 'browser.https']),
    (dict(rule_names={'printer.npap': 'A', 'printer.snmp': 'B'}, outbound='always'), 'rule_names',
     ['share one rule']),
    (dict(dynamic_ports=(60999, 32768)), 'dynamic_ports[0]', ['empty port range']),
]


@pytest.mark.parametrize('kwargs,field,words', BAD, ids=[b[1] for b in BAD])
def test_bad_input_names_the_field(kwargs, field, words):
    kwargs = dict(kwargs)
    features = kwargs.pop('features', {})
    scopes = kwargs.pop('scopes', SCOPES)
    kwargs.setdefault('outbound', 'never')
    with pytest.raises((fp.PlanError, port_matrix.MatrixError)) as info:
        fp.desired_rules(features, scopes, **kwargs)
    assert info.value.field == field
    assert str(info.value).startswith(field + ': ')
    for word in words:
        assert word in str(info.value)


def test_any_is_accepted_when_not_strict():
    rules = rules_for({}, {'printer': ['10.0.0.0/24'], 'browser': 'any'}, outbound='never', strict=False)
    assert rules[-1]['remote_addresses'] == ['any']


def test_duplicate_names_in_a_rule_list():
    rules = rules_for({}, outbound='never')
    with pytest.raises(fp.PlanError) as info:
        fp.check_duplicate_names(rules + [rules[0]])
    assert info.value.field == 'rules' and 'duplicate rule name' in str(info.value)


# ---- safety ---------------------------------------------------------------------------------------------

def _block(ports, transport='tcp', direction='inbound'):
    return {'name': 'blocker', 'group': 'printfleet.mve', 'direction': direction, 'transport': transport,
            'local_ports': ports, 'remote_ports': [], 'remote_addresses': ['any'], 'action': 'block'}


@pytest.mark.parametrize('rule,hit', [
    (_block([22]), '22'),
    (_block(['5980-5990']), '5985, 5986'),
    (_block([]), '22, 5985, 5986'),  # any port
])
def test_safety_refuses_blocking_management(rule, hit):
    with pytest.raises(fp.SafetyError) as info:
        fp.check_safety(rules_for({}, outbound='never') + [rule])
    assert info.value.field == 'rules[3]'
    assert 'management connection (TCP %s)' % hit in str(info.value)


@pytest.mark.parametrize('rule', [_block([23]), _block([22], transport='udp'), _block([22], direction='outbound'),
                                  dict(_block([22]), action='allow')])
def test_safety_allows_rules_that_spare_management(rule):
    assert fp.check_safety([rule]) == list(fp.MANAGEMENT_PORTS)


def test_safety_enforce_needs_management_ports():
    with pytest.raises(fp.SafetyError) as info:
        fp.check_safety([], management_ports=[], enforce=True)
    assert info.value.field == 'management_ports' and 'drop new SSH' in str(info.value)
    assert fp.check_safety([], management_ports=[], enforce=False) == []


def test_safety_enforce_keeps_the_current_connection():
    with pytest.raises(fp.SafetyError) as info:
        fp.check_safety([], management_ports=[22], enforce=True, connection_port=2222)
    assert 'arrived on TCP 2222' in str(info.value)
    assert fp.check_safety([], management_ports=[22, 2222], enforce=True, connection_port=2222) == [22, 2222]


def test_safety_validates_ports():
    with pytest.raises(port_matrix.MatrixError) as info:
        fp.check_safety([], management_ports=[22, 0])
    assert info.value.field == 'management_ports[1]'


# ---- plan -----------------------------------------------------------------------------------------------

def _foreign(name='Allow backup agent'):
    return {'name': name, 'group': 'backup', 'direction': 'inbound', 'transport': 'tcp', 'local_ports': [10000],
            'remote_ports': [], 'remote_addresses': ['any'], 'action': 'allow', 'role': None, 'flows': []}


WANT = rules_for({}, outbound='never')
OLD = [dict(copy.deepcopy(WANT[1]), remote_addresses=['10.0.0.0/16']),
       {'name': 'MVE - stale', 'group': 'printfleet.mve', 'direction': 'inbound', 'transport': 'udp',
        'local_ports': [1], 'remote_ports': [], 'remote_addresses': ['any'], 'action': 'allow', 'role': None,
        'flows': []}]

PLANS = [
    # id, have, state, expected (action, name) changes, expected after names
    ('merged-from-nothing', [], 'merged', [('add', r['name']) for r in WANT], [r['name'] for r in WANT]),
    ('merged-idempotent', WANT, 'merged', [], [r['name'] for r in WANT]),
    ('merged-keeps-stale', OLD, 'merged', [('update', WANT[1]['name']), ('add', WANT[0]['name']),
                                           ('add', WANT[2]['name'])],
     [WANT[1]['name'], 'MVE - stale', WANT[0]['name'], WANT[2]['name']]),
    ('replaced-removes-stale', OLD, 'replaced', [('update', WANT[1]['name']), ('remove', 'MVE - stale'),
                                                 ('add', WANT[0]['name']), ('add', WANT[2]['name'])],
     [r['name'] for r in WANT]),
    ('replaced-idempotent', WANT, 'replaced', [], [r['name'] for r in WANT]),
    ('absent', OLD, 'absent', [('remove', WANT[1]['name']), ('remove', 'MVE - stale')], []),
    ('absent-idempotent', [], 'absent', [], []),
    ('duplicate-owned-copy-removed', WANT + [WANT[0]], 'merged', [('remove', WANT[0]['name'])],
     [r['name'] for r in WANT]),
]


@pytest.mark.parametrize('have,state,changes,after', [p[1:] for p in PLANS], ids=[p[0] for p in PLANS])
def test_plan(have, state, changes, after):
    foreign = [_foreign(), _foreign(WANT[0]['name'])]  # even a same-named rule of another group is not ours
    result = fp.plan(WANT, foreign + copy.deepcopy(have), state)
    assert [(c['action'], c['name']) for c in result['changes']] == changes
    assert [r['name'] for r in result['after']] == after
    assert result['changed'] == bool(changes)
    assert len(result['commands']) == len(changes)
    assert [r['name'] for r in result['before']] == [r['name'] for r in have]
    assert all(r['group'] == 'printfleet.mve' for r in result['before'] + result['after'])


def test_plan_update_names_the_fields():
    result = fp.plan(WANT, OLD, 'merged')
    update = result['changes'][0]
    assert update['fields'] == ['remote_addresses']
    assert result['commands'][0] == ("update rule %r: remote_addresses ['10.0.0.0/16'] -> ['10.0.0.0/24']"
                                     % WANT[1]['name'])
    assert result['commands'][1].startswith("add rule %r: allow inbound tcp remote 20, local 32768-60999, from "
                                            "10.0.0.0/24" % WANT[0]['name'])


def test_plan_flows_are_annotations_not_spec():
    have = fp.annotate([dict(r, flows=[], role=None) for r in WANT], WANT)
    assert have == WANT
    assert not fp.plan(WANT, have, 'replaced')['changed']


def test_plan_refuses_bad_state_and_foreign_wants():
    with pytest.raises(fp.PlanError) as info:
        fp.plan(WANT, [], 'overridden')
    assert info.value.field == 'state'
    with pytest.raises(fp.PlanError) as info:
        fp.plan([_foreign()], [], 'merged')
    assert 'belongs to group' in str(info.value)
    with pytest.raises(fp.PlanError) as info:
        fp.plan(WANT + [WANT[0]], [], 'merged')
    assert 'duplicate rule name' in str(info.value)


# ---- identity by flow ----------------------------------------------------------------------------------------

SQL_SCOPES = {'database': ['10.5.0.12'], 'printer': ['10.20.0.0/16'], 'browser': ['10.1.0.0/24']}


def _sql(port, **kw):
    return fp.desired_rules({'database': 'sqlserver', 'printer_protocols': [], 'ports': {'db.sqlserver': port}},
                            SQL_SCOPES, outbound='always', **kw)


def _database_rules(rules):
    return [r for r in rules if r['role'] == 'database']


def test_rule_keys_are_the_flow_identity():
    keys = [r['key'] for r in _sql(1433)]
    assert 'outbound/tcp/database' in keys and 'inbound/tcp/browser' in keys
    assert [r['key'] for r in _sql(1533)] == keys                          # a port change keeps the identity
    ftp = fp.desired_rules({'printer_protocols': ['ftp']}, {'printer': ['10.20.0.0/16'], 'browser': ['10.1.0.0/24']},
                           outbound='never')
    assert 'inbound/tcp/printer/20' in [r['key'] for r in ftp]             # active FTP data: from port 20
    assert fp.parse_key('outbound/tcp/database') == ('outbound', 'tcp', 'database')
    assert fp.parse_key('MVE - something') is None


@pytest.mark.parametrize('state', ['merged', 'replaced'])
def test_a_moved_port_updates_the_rule_and_leaves_no_stale_one(state):
    """db.sqlserver from 1433 to 1533: one rule, updated in place (name and port), whatever the state."""
    have = fp.annotate(_sql(1433), _sql(1533))
    plan = fp.plan(_sql(1533), have, state, 'printfleet.mve')
    assert [(c['action'], c['fields']) for c in plan['changes']] == [('update', ['name', 'remote_ports'])]
    assert plan['commands'][0] == ("update rule 'MVE - SQL Server to database servers (TCP 1433)': name MVE - SQL Server "
                                   'to database servers (TCP 1433) -> MVE - SQL Server to database servers (TCP 1533); '
                                   'remote_ports [1433] -> [1533]')
    db = _database_rules(plan['after'])
    assert len(db) == 1 and db[0]['remote_ports'] == [1533] and db[0]['name'].endswith('(TCP 1533)')


def test_a_renamed_rule_is_updated_not_duplicated():
    have = fp.annotate(_sql(1433), _sql(1433, rule_names={'db.sqlserver': 'MVE - SQL'}))
    plan = fp.plan(_sql(1433, rule_names={'db.sqlserver': 'MVE - SQL'}), have, 'merged', 'printfleet.mve')
    assert [(c['action'], c['name'], c['fields']) for c in plan['changes']] == [('update', 'MVE - SQL', ['name'])]


def test_a_0_1_0_rule_without_identity_is_recognized_by_its_name_without_ports():
    """0.1.0 nftables rules carry their name only: the one for 1433 is the same rule as the wanted one for 1533."""
    old = [dict((k, v) for k, v in r.items() if k not in ('key', 'role', 'flows')) for r in _sql(1433)]
    have = fp.annotate(old, _sql(1533))
    assert [r['key'] for r in have] == [r['key'] for r in _sql(1533)]
    plan = fp.plan(_sql(1533), have, 'merged', 'printfleet.mve')
    assert [c['action'] for c in plan['changes']] == ['update'] and len(_database_rules(plan['after'])) == 1


def test_an_old_and_a_new_rule_of_one_flow_collapse_into_one():
    """A table that a version without identity left with both rules (1433 kept, 1533 added): one is removed."""
    both = _sql(1433) + _database_rules(_sql(1533))
    have = fp.annotate(both, _sql(1533))
    plan = fp.plan(_sql(1533), have, 'merged', 'printfleet.mve')
    assert sorted(c['action'] for c in plan['changes']) == ['remove', 'update']
    assert len(_database_rules(plan['after'])) == 1
