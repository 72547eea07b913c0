# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows Defender Firewall backend's Python half: mapping, parsers, payloads, script text.

No Windows host and no PowerShell run here (none can be installed on the build machines). The parser is
checked against JSON *shaped after the documented INetFwRule properties, not recorded from a host*
(tests/unit/fixtures/windows/README.md); the scripts' data path is checked end to end against
lab/windows/fwpolicy_sim.py, a Python simulation of the policy store that follows the PowerShell step's
contract (it decodes the payload the script carries and does what the script does). The PowerShell text
itself runs only in the opt-in Windows scenario (docs/windows.md).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import re

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as fp
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import windows as fw
from ansible_collections.printfleet.mve.plugins.plugin_utils import windows_transport
from lab.windows.fwpolicy_sim import FwPolicySim, new_rule

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
                        'fixtures', 'windows')
GROUP = 'printfleet.mve'


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as fh:
        return json.load(fh)


def printed(data):
    """What the read step returns (the transport has decoded its result line)."""
    return dict(data, op='read')


def script_text():
    return windows_transport.load_script(fw.SCRIPT)


# ---- parse_read -----------------------------------------------------------------------------------------

def test_parse_read_of_the_documented_shape():
    read = fw.parse_read(printed(fixture('read_mixed.json')), GROUP)
    rules = dict((r['name'], r) for r in read['rules'])
    assert len(read['rules']) == 4 and all(r['group'] == GROUP for r in read['rules'])  # contoso.backup dropped
    npap = rules['MVE - NPAP alerts from printers (UDP 9187)']
    assert npap['direction'] == 'inbound' and npap['transport'] == 'udp' and npap['action'] == 'allow'
    assert npap['local_ports'] == [9187] and npap['remote_ports'] == []
    # address/mask forms become the planner's canonical forms; the range stays; IPv6 after IPv4
    assert npap['remote_addresses'] == ['10.9.9.9', '10.20.0.0/16', '10.30.1.10-10.30.1.99', '2001:db8:10::/64']
    assert npap['flows'] == ['alerts.npap'] and npap['enabled'] is True and npap['profiles'] == 'all'
    ftp = rules['MVE - FTP active-mode data from printers (TCP 20 to 49152-65535)']
    assert ftp['local_ports'] == ['49152-65535'] and ftp['remote_ports'] == [20]
    assert ftp['enabled'] is False and ftp['profiles'] == 'domain'
    https = rules['MVE - HTTPS web console from browsers (TCP 443)']
    assert https['remote_addresses'] == ['10.1.0.0/24', 'LocalSubnet']       # keyword kept verbatim
    sql = rules['MVE - SQL Server to database servers (TCP 1433)']
    assert sql['direction'] == 'outbound' and sql['local_ports'] == ['RPC'] and sql['remote_addresses'] == ['any']
    assert read['default_outbound_action'] == 'block'          # the current (domain) profile blocks
    assert read['dynamic_ports'] == (49152, 65535) and read['rule_count'] == 412
    assert [p['name'] for p in read['profiles'] if p['current']] == ['domain']


def test_planner_view_shows_only_drift():
    read = fw.parse_read(printed(fixture('read_mixed.json')), GROUP)
    views = dict((r['name'], fw.planner_view(r)) for r in read['rules'])
    assert 'enabled' not in views['MVE - NPAP alerts from printers (UDP 9187)']
    ftp = views['MVE - FTP active-mode data from printers (TCP 20 to 49152-65535)']
    assert ftp['enabled'] is False and ftp['profiles'] == 'domain' and 'description' not in ftp


@pytest.mark.parametrize('data', [
    {'group': GROUP, 'rules': None, 'profiles': None},
    {'group': GROUP, 'rules': {'Name': 'MVE - x', 'Grouping': GROUP, 'Protocol': 6, 'LocalPorts': '1',
                               'RemotePorts': '*', 'RemoteAddresses': '*', 'Direction': 1, 'Action': 1,
                               'Profiles': 2147483647, 'Enabled': True},
     'profiles': {'name': 'public', 'current': True, 'enabled': True, 'default_inbound_action': 0,
                  'default_outbound_action': 1}},
], ids=['null-lists', 'one-element-unwrapped'])
def test_parse_read_tolerates_windows_powershell_json(data):
    """ConvertTo-Json on Windows PowerShell 5.1 prints an empty array as null and may unwrap one element."""
    read = fw.parse_read(printed(data), GROUP)
    assert len(read['rules']) == (1 if data['rules'] else 0)
    assert read['default_outbound_action'] == 'allow' and read['dynamic_ports'] is None


def test_parse_read_errors():
    with pytest.raises(fw.WindowsFirewallError) as info:
        fw.parse_read(None, GROUP)
    assert 'returned no rule list' in str(info.value)
    with pytest.raises(fw.WindowsFirewallError) as info:
        fw.parse_read(printed({'group': GROUP, 'error': 'Access is denied.'}), GROUP)
    assert 'Access is denied' in str(info.value)


def test_disabled_profile_does_not_count_for_outbound():
    data = fixture('read_mixed.json')
    data['profiles'][0]['enabled'] = False
    assert fw.parse_read(printed(data), GROUP)['default_outbound_action'] == 'allow'


# ---- mapping ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('planner,windows', [
    (['any'], '*'),
    (['10.0.0.5'], '10.0.0.5'),
    (['10.0.0.0/24', '10.0.1.10-10.0.1.20', '2001:db8::/64'], '10.0.0.0/24,10.0.1.10-10.0.1.20,2001:db8::/64'),
])
def test_addresses_to_windows(planner, windows):
    assert fw.addresses_to_windows(planner) == windows
    assert fw.addresses_from_windows(windows) == planner


@pytest.mark.parametrize('windows,planner', [
    ('*', ['any']), (None, ['any']), ('10.0.0.0/255.255.255.0', ['10.0.0.0/24']),
    ('10.0.0.7/255.255.255.255', ['10.0.0.7']), ('10.0.0.0/255.255.255.128,10.0.0.128/25', ['10.0.0.0/24']),
    ('LocalSubnet,DNS', ['DNS', 'LocalSubnet']), ('fe80::1-fe80::9', ['fe80::1-fe80::9']),
])
def test_addresses_from_windows(windows, planner):
    assert fw.addresses_from_windows(windows) == planner


@pytest.mark.parametrize('windows,planner', [
    ('*', []), ('', []), (None, []), ('443', [443]), ('161,5353,6000-6100', [161, 5353, '6000-6100']),
    ('RPC-EPMap,135', [135, 'RPC-EPMap']),
])
def test_ports(windows, planner):
    assert fw.ports_from_windows(windows) == planner


def test_to_com():
    rule = fp.desired_rules({}, {'printer': ['10.0.0.0/24'], 'browser': 'any'}, outbound='never')[1]
    com = fw.to_com(rule, GROUP)
    assert com == {'Name': 'MVE - NPAP alerts from printers (UDP 9187)',
                   'Description': 'Markvision Enterprise flows: alerts.npap (managed by printfleet.mve.mve_firewall)',
                   'Grouping': GROUP, 'Protocol': 17, 'LocalPorts': '9187', 'RemotePorts': '*',
                   'RemoteAddresses': '10.0.0.0/24', 'Direction': 1, 'Action': 1, 'Profiles': 0x7FFFFFFF,
                   'Enabled': True, 'ApplicationName': None, 'ServiceName': None, 'LocalAddresses': '*',
                   'InterfaceTypes': 'All', 'Interfaces': None, 'EdgeTraversal': False, 'IcmpTypesAndCodes': None}
    assert sorted(com) == sorted(fw.COM_PROPERTIES)   # every property firewall.ps1 reads from the payload
    assert fw.flows_from_description(com['Description']) == ['alerts.npap']
    with pytest.raises(fw.WindowsFirewallError):
        fw.to_com(dict(rule, transport='icmp'), GROUP)


# ---- payload and script text ----------------------------------------------------------------------------

def _want(outbound='always', scopes=None, features=None):
    scopes = scopes or {'printer': ['10.20.0.0/16', '10.30.1.10-10.30.1.99', '2001:db8:10::/64'],
                        'browser': ['10.1.0.0/24'], 'database': ['10.5.0.12'], 'smtp': ['10.5.0.25'],
                        'ldap': ['10.5.0.30', '10.5.0.31'], 'kdc': ['10.5.0.40']}
    features = features or {'database': 'sqlserver', 'smtp': 'ssl', 'directory': 'ldaps', 'kerberos': True}
    return fp.desired_rules(features, scopes, outbound=outbound, rule_group=GROUP)


def test_apply_payload_is_data():
    want = _want()
    plan = fp.plan(want, [], 'merged', GROUP)
    payload = fw.apply_payload(plan['changes'], GROUP)
    assert payload['group'] == GROUP and payload['op'] == 'apply'
    assert [s['op'] for s in payload['steps']] == ['add'] * len(want)
    assert [s['rule'] for s in payload['steps']] == [fw.to_com(r, GROUP) for r in want]
    assert set(s['rule']['Direction'] for s in payload['steps']) == {1, 2}
    # nothing of the data is in the PowerShell text: the script is a shipped file, the data its payload
    assert 'MVE - ' not in script_text() and '10.20.0.0' not in script_text()
    assert json.loads(json.dumps(payload)) == payload


def test_scripts_touch_only_our_group():
    for code in ('\n'.join(line for line in script_text().splitlines() if not line.strip().startswith('#')),):
        assert 'HNetCfg.FwPolicy2' in code
        assert 'Get-NetFirewallRule' not in code and 'Remove-NetFirewallRule' not in code
        assert 'netsh' not in code.lower()
        # every rule the scripts consider is filtered on the exact Grouping
        assert set(re.findall(r'\$r\.Grouping -\w+ \$group', code)) == {'$r.Grouping -ceq $group'}
        assert GROUP not in code                       # the group travels in the payload only
    apply = '\n'.join(line for line in script_text().splitlines() if not line.strip().startswith('#'))
    # Remove() is only ever called with a name this run just made unique
    assert re.findall(r'Rules\.Remove\(([^)]*)\)', apply) == ['$tmp']
    assert 'New-TempName' in apply and 'Rules.Item($tmp)' in apply
    # rollback: the before-state of each touched rule is kept and replayed in reverse
    assert 'before = (Get-RuleState $r)' in apply and '$before = Get-RuleState $r' in apply
    assert 'for ($i = $undo.Count - 1; $i -ge 0; $i--)' in apply and 'rolled_back' in apply
    # Protocol is set before the ports (INetFwRule documentation)
    assert apply.index('$r.Protocol =') < apply.index('$r.LocalPorts =')


def test_bad_group_is_refused_before_any_script():
    with pytest.raises(fp.PlanError):
        fw.read_payload("x'; Remove-Item C:\\ -Recurse; '")


# ---- round trip through the simulated store -------------------------------------------------------------

SCENARIOS = [
    ('full-outbound', dict(outbound='always')),
    ('inbound-any-browsers', dict(outbound='never', scopes={'printer': ['192.0.2.7', '198.51.100.0/24'],
                                                            'browser': 'any'}, features={})),
    ('ipv6-only', dict(outbound='never', scopes={'printer': ['2001:db8::/48', 'fe80::1-fe80::9'],
                                                 'browser': ['2001:db8:1::5']}, features={})),
]


def _converge(sim, want, state='merged'):
    read = fw.parse_read(sim.step(fw.read_payload(GROUP)), GROUP)
    have = fp.annotate([fw.planner_view(r) for r in read['rules']], want)
    plan = fp.plan(want, have, state, GROUP)
    applied = None
    if plan['changed']:
        applied = fw.parse_apply(sim.step(fw.apply_payload(plan['changes'], GROUP)))
    return plan, applied


def _read_back(sim, want):
    read = fw.parse_read(sim.step(fw.read_payload(GROUP)), GROUP)
    return fp.annotate([fw.planner_view(r) for r in read['rules']], want)


@pytest.mark.parametrize('kwargs', [s[1] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS])
def test_plan_apply_read_back_equals_wanted(kwargs):
    sim = FwPolicySim(rules=fixture('store_other_groups.json'))
    others = copy.deepcopy(sim.rules)
    want = _want(**kwargs)
    plan, applied = _converge(sim, want)
    assert plan['changed'] and applied['ok'] and len(applied['done']) == len(want)
    assert _read_back(sim, want) == want
    assert [r for r in sim.rules if r['Grouping'] != GROUP] == others
    assert _converge(sim, want) == (fp.plan(want, want, 'merged', GROUP), None)   # rerun: nothing to do


def test_drift_is_repaired():
    """A rule disabled by hand, narrowed to one profile, given LocalSubnet or stale flow ids is rewritten."""
    want = _want(outbound='never', scopes={'printer': ['10.20.0.0/16'], 'browser': ['10.1.0.0/24']}, features={})
    sim = FwPolicySim()
    _converge(sim, want)
    ours = sim.group(GROUP)
    ours[0]['Enabled'] = False
    ours[1]['Profiles'] = 2
    ours[2]['RemoteAddresses'] = 'LocalSubnet,10.1.0.0/255.255.255.0'
    ours[2]['Description'] = fw.DESCRIPTION_TEMPLATE % 'printer.http'
    plan, applied = _converge(sim, want)
    assert [(c['action'], c['fields']) for c in plan['changes']] == [
        ('update', ['enabled']), ('update', ['profiles']), ('update', ['remote_addresses', 'flows'])]
    assert "enabled False -> True" in plan['commands'][0]
    assert applied['ok'] and _read_back(sim, want) == want


@pytest.mark.parametrize('fail_how', ['before', 'during'])
@pytest.mark.parametrize('fail_at', [1, 3, 5])
def test_failure_at_step_k_leaves_the_store_as_before(fail_at, fail_how):
    want = _want(outbound='always')
    sim = FwPolicySim(rules=fixture('store_other_groups.json'))
    old = _want(outbound='never', scopes={'printer': ['10.99.0.0/16'], 'browser': ['10.98.0.0/24']}, features={})
    stale = dict(copy.deepcopy(old[0]), name='MVE - stale rule')
    _converge(sim, old + [stale])
    before = sim.snapshot()
    sim.fail_at, sim.fail_how = fail_at, fail_how
    plan, applied = _converge(sim, want, state='replaced')
    kinds = [c['action'] for c in plan['changes']]
    assert 'update' in kinds and 'remove' in kinds and 'add' in kinds
    assert applied['ok'] is False and applied['failed_step'] == fail_at and 'injected' in applied['error']
    assert len(applied['done']) == fail_at - 1
    assert len(applied['rolled_back']) == fail_at - 1 + (1 if fail_how == 'during' and
                                                         kinds[fail_at - 1] == 'update' else 0)
    assert applied['rollback_errors'] == []
    assert sim.snapshot() == before


def test_duplicates_and_same_name_in_other_groups():
    """Two copies of one of our rules: the plan keeps the first and the script removes the last; a rule of
    another group with the same name (which Rules.Remove(name) could hit) survives."""
    want = _want(outbound='never', scopes={'printer': ['10.20.0.0/16'], 'browser': ['10.1.0.0/24']}, features={})
    sim = FwPolicySim(rules=fixture('store_other_groups.json'))
    _converge(sim, want)
    sim.rules.append(copy.deepcopy(sim.group(GROUP)[1]))
    assert len([r for r in sim.rules if r['Name'] == want[1]['name']]) == 3
    plan, applied = _converge(sim, want)
    assert [(c['action'], c['name']) for c in plan['changes']] == [('remove', want[1]['name'])]
    assert applied['ok'] and _read_back(sim, want) == want
    assert [r['Grouping'] for r in sim.rules if r['Name'] == want[1]['name']] == ['contoso.backup', GROUP]
    _converge(sim, want, state='absent')
    assert sim.group(GROUP) == [] and len(sim.rules) == 4


def test_hand_made_rule_in_other_case_is_not_ours():
    sim = FwPolicySim(rules=[new_rule(Name='MVE - x', Grouping=GROUP.upper(), Enabled=True)])
    assert fw.parse_read(sim.step(fw.read_payload(GROUP)), GROUP)['rules'] == []
