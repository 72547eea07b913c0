# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mve_firewall action plugin on a Windows (PowerShell) connection, and its hand-off on other connections.

No Windows host and no PowerShell run here. The connection stands where winrm (or psrp) would: the real
PowerShell shell plugin encodes the bootstrap, the simulated Windows host (lab/windows/host.py) accepts only it
with a shipped, statically checked step as input, and runs the firewall step against
lab/windows/fwpolicy_sim.py, a Python simulation of the Windows Defender Firewall policy store that takes the
step's payload and does what firewall.ps1 does
(including the rollback when told to fail at step k, and rules of other groups that must survive).
Everything on the controller side runs for real: argument validation with the module's spec, prepare(),
the planner, the shared transport, the parsing of the step's result, the round trip count.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import types

import pytest

from ansible_collections.printfleet.mve.plugins.action import mve_firewall as action_mod
from ansible_collections.printfleet.mve.plugins.action.mve_firewall import ActionModule
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import windows as fw
from ansible_collections.printfleet.mve.plugins.plugin_utils import windows_transport
from lab.windows.fwpolicy_sim import ComError, FwPolicySim
from lab.windows.host import FakePsrpConnection, FakeWinRMConnection, SimulatedWindowsHost, default_executors

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        'fixtures', 'windows')
GROUP = 'printfleet.mve'
FEATURES = {'database': 'sqlserver', 'smtp': 'starttls', 'printer_protocols': ['npap', 'snmp', 'https']}
SCOPES = {'printer': ['10.20.0.0/16', '10.30.1.10-10.30.1.99', '2001:db8:10::/64'], 'browser': ['10.1.0.0/24'],
          'database': ['10.5.0.12'], 'smtp': ['10.5.0.25']}
ARGS = {'features': FEATURES, 'scopes': SCOPES}


def other_groups():
    with open(os.path.join(FIXTURES, 'store_other_groups.json')) as fh:
        return json.load(fh)


def connection(sim, rc=None, transport='winrm'):
    """A connection to the simulated Windows host (lab/windows/host.py) whose policy store is ``sim``: the real
    PowerShell shell plugin, input on stdin (winrm) or as pipeline lines (psrp), only shipped steps accepted."""
    host = SimulatedWindowsHost('mve01.example.test', default_executors(sim))
    conn = (FakePsrpConnection if transport == 'psrp' else FakeWinRMConnection)(
        host, rc=(rc, b'#< CLIXML\r\nAccess is denied.') if rc else None)
    conn.sim, conn.scripts = sim, sim.scripts
    return conn


def make_action(sim=None, **kwargs):
    sim = sim if sim is not None else FwPolicySim(rules=other_groups())
    action = ActionModule.__new__(ActionModule)
    action._connection = connection(sim, **kwargs)
    action._play_context = types.SimpleNamespace(diff=False, remote_addr='mve01.example.test')
    return action


def run(action, args, check_mode=False, diff=False):
    return action.run_windows(copy.deepcopy(args), check_mode=check_mode, diff=diff)


def others(sim):
    return [r for r in sim.rules if r['Grouping'] != GROUP]


def kinds(sim):
    return [fw.planner_view(fw.from_com(r, GROUP))['direction'] for r in sim.group(GROUP)]


# ---- round trips and idempotence -------------------------------------------------------------------------

def test_first_run_two_round_trips_then_one_and_unchanged():
    action = make_action()
    kept = copy.deepcopy(others(action._connection.sim))
    out = run(action, ARGS)
    assert out['changed'] is True and out['backend'] == 'windows' and 'failed' not in out
    assert out['round_trips'] == 2 == len(action._connection.scripts)
    assert len(out['commands']) == len(out['rules']) == len(out['changes']) == 2   # outbound allowed by default
    assert [r['direction'] for r in out['rules']] == ['inbound', 'inbound']
    assert [r['Name'] for r in action._connection.sim.group(GROUP)] == [r['name'] for r in out['rules']]
    assert others(action._connection.sim) == kept
    again = run(action, ARGS)
    assert again['changed'] is False and again['round_trips'] == 1 and again['commands'] == []
    assert again['rules'] == out['rules'] and len(action._connection.scripts) == 3


def test_check_mode_one_round_trip_nothing_applied():
    action = make_action()
    before = action._connection.sim.snapshot()
    out = run(action, ARGS, check_mode=True)
    assert out['changed'] is True and out['round_trips'] == 1 and len(out['commands']) == 2
    assert action._connection.sim.snapshot() == before


def test_diff_before_after():
    action = make_action()
    out = run(action, ARGS, diff=True)
    assert out['diff']['before'] == {'rule_group': GROUP, 'enforce': False, 'rules': []}
    assert out['diff']['after'] == {'rule_group': GROUP, 'enforce': False, 'rules': out['rules']}
    out = run(action, dict(ARGS, scopes=dict(SCOPES, browser=['10.1.0.0/24', '10.2.0.0/24'])), diff=True)
    assert [c['fields'] for c in out['changes']] == [['remote_addresses']]
    changed = [r for r in out['diff']['after']['rules'] if r['role'] == 'browser'][0]
    assert changed['remote_addresses'] == ['10.1.0.0/24', '10.2.0.0/24']
    assert out['diff']['before']['rules'] != out['diff']['after']['rules']
    assert 'diff' not in run(action, ARGS)


def test_run_uses_the_task_diff_and_check_flags(monkeypatch):
    action = make_action()
    action._task = types.SimpleNamespace(args=dict(ARGS), check_mode=True, diff=True, async_val=0)
    monkeypatch.setattr(action_mod.ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})
    out = action.run(task_vars={})
    assert out['round_trips'] == 1 and out['changed'] is True and 'diff' in out


def test_non_windows_connection_runs_the_module(monkeypatch):
    action = ActionModule.__new__(ActionModule)
    action._connection = types.SimpleNamespace(_shell=types.SimpleNamespace(SHELL_FAMILY='sh'))
    action._task = types.SimpleNamespace(args={'state': 'absent'}, check_mode=False, diff=False, async_val=0)
    calls = []

    def execute_module(module_name=None, module_args=None, task_vars=None):
        calls.append((module_name, module_args))
        return {'changed': False, 'backend': 'nftables'}
    action._execute_module = execute_module
    monkeypatch.setattr(action_mod.ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})
    assert action.run(task_vars={}) == {'changed': False, 'backend': 'nftables'}
    assert calls == [('printfleet.mve.mve_firewall', {'state': 'absent'})]


# ---- states --------------------------------------------------------------------------------------------

def test_absent_removes_only_ours():
    action = make_action()
    kept = copy.deepcopy(others(action._connection.sim))
    run(action, ARGS)
    assert action._connection.sim.group(GROUP)
    out = run(action, {'state': 'absent'}, diff=True)
    assert out['changed'] is True and out['round_trips'] == 2 and out['rules'] == []
    assert [c['action'] for c in out['changes']] == ['remove'] * 2
    assert action._connection.sim.group(GROUP) == []
    assert others(action._connection.sim) == kept           # same-named contoso.backup rule included
    out = run(action, {'state': 'absent'})
    assert out['changed'] is False and out['round_trips'] == 1


def test_merged_keeps_ours_replaced_removes_them():
    action = make_action()
    run(action, dict(ARGS, features={'printer_protocols': ['npap'], 'database': 'sqlserver'}, outbound='always'))
    outbound_before = [r['Name'] for r in action._connection.sim.group(GROUP) if r['Direction'] == 2]
    assert outbound_before
    merged = run(action, dict(ARGS, outbound='never'))
    assert merged['changed'] is False and merged['round_trips'] == 1   # merged: extra owned rules stay
    assert [r['name'] for r in merged['rules'] if r['direction'] == 'outbound'] == outbound_before
    replaced = run(action, dict(ARGS, outbound='never', state='replaced'))
    assert [c['action'] for c in replaced['changes']] == ['remove'] * len(outbound_before)
    assert replaced['round_trips'] == 2 and kinds(action._connection.sim) == ['inbound'] * 2
    assert all(r['direction'] == 'inbound' for r in replaced['rules'])


# ---- outbound: auto ------------------------------------------------------------------------------------

@pytest.mark.parametrize('outbound,enabled,expect', [('block', True, True), ('allow', True, False),
                                                     ('block', False, False)])
def test_outbound_auto_follows_default_outbound_action(outbound, enabled, expect):
    action = make_action(FwPolicySim(rules=other_groups(), outbound=outbound, enabled=enabled))
    out = run(action, ARGS)
    outbound_rules = [r for r in out['rules'] if r['direction'] == 'outbound']
    assert bool(outbound_rules) is expect
    assert ('outbound' in kinds(action._connection.sim)) is expect
    if expect:
        assert set(r['role'] for r in outbound_rules) == {'printer', 'database', 'smtp'}
    current = [p for p in out['profiles'] if p['current']][0]
    assert current['default_outbound_action'] == outbound
    assert bool(out.get('warnings')) is (not enabled)   # firewall off: rules have no effect


def test_outbound_auto_needs_scopes_of_outbound_peers_after_the_read():
    action = make_action(FwPolicySim(outbound='block'))
    out = run(action, dict(ARGS, scopes={'printer': ['10.20.0.0/16'], 'browser': ['10.1.0.0/24']}))
    assert out['failed'] is True and out['field'] == 'scopes.database' and out['round_trips'] == 1
    assert action._connection.sim.rules == []


# ---- bad input -----------------------------------------------------------------------------------------

BAD = [
    ({'state': 'overridden'}, None, 'state'),
    ({'features': {'database': 'oracle'}}, 'features.database', 'oracle'),
    ({'features': {'ports': {'db.sqlserver': 70000}}}, 'features.ports.db.sqlserver', '70000'),
    ({'scopes': dict(SCOPES, printer=['10.0.0.0/33'])}, 'scopes.printer[0]', '10.0.0.0/33'),
    ({'scopes': dict(SCOPES, printer=['10.0.0.9-10.0.0.1'])}, 'scopes.printer[0]', 'empty range'),
    ({'scopes': dict(SCOPES, browser='any')}, 'scopes.browser', 'strict'),
    ({'scopes': {'printer': ['10.0.0.0/24']}}, 'scopes.browser', 'required'),
    ({'scopes': dict(SCOPES, fax=['10.0.0.1'])}, 'scopes.fax', 'unknown peer role'),
    ({'rule_names': {'alerts.npap': 'A', 'browser.https': 'A'}}, 'rule_names', 'duplicate'),
    ({'rule_names': {'nope': 'A'}}, 'rule_names.nope', 'unknown flow id'),
    ({'rule_names': {'alerts.npap': 'MVE | NPAP'}, 'outbound': 'never'}, 'rule_names', '|'),
    ({'rule_group': 'a b'}, 'rule_group', 'a b'),
    ({'management_ports': [70000]}, 'management_ports[0]', '70000'),
    ({'enforce': True}, 'enforce', 'DefaultInboundAction'),
    ({'backend': 'nftables'}, 'backend', 'PowerShell'),
    ({'bogus': 1}, None, 'bogus'),
]


@pytest.mark.parametrize('args,field,words', BAD, ids=[b[2] for b in BAD])
def test_bad_input_fails_before_any_round_trip(args, field, words):
    action = make_action()
    out = run(action, dict(ARGS, **args))
    assert out['failed'] is True and out['changed'] is False and words in out['msg']
    assert out.get('field') == field
    if field:
        assert out['msg'].startswith(field + ': ')
    assert out['round_trips'] == 0 and action._connection.scripts == []


# ---- failures ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('fail_how', ['before', 'during'])
@pytest.mark.parametrize('fail_at', [1, 2, 4])
def test_apply_failure_reports_the_rollback_and_leaves_the_store(fail_at, fail_how):
    sim = FwPolicySim(rules=other_groups(), outbound='block')
    action = make_action(sim)
    run(action, dict(ARGS, scopes=dict(SCOPES, printer=['10.99.0.0/16'])))
    before = sim.snapshot()
    sim.fail_at, sim.fail_how = fail_at, fail_how
    wanted = dict(ARGS, features={'printer_protocols': ['npap', 'ftp'], 'smtp': 'ssl'}, state='replaced')
    out = run(action, wanted, diff=True)
    assert out['failed'] is True and out['changed'] is False and out['round_trips'] == 2
    assert 'step %d of' % fail_at in out['msg'] and 'rolled back' in out['msg'] and 'injected' in out['msg']
    assert out['rollback']['failed_step'] == fail_at and out['rollback']['rollback_errors'] == []
    assert len(out['rollback']['done']) == fail_at - 1
    assert sim.snapshot() == before
    assert out['rules'] == out['diff']['before']['rules'] == out['diff']['after']['rules']
    sim.fail_at = None
    out = run(action, wanted)                                 # the next run converges
    assert out['changed'] is True and 'failed' not in out and run(action, wanted)['changed'] is False


def test_rollback_that_fails_is_reported_as_partial(monkeypatch):
    sim = FwPolicySim(rules=other_groups())
    action = make_action(sim)
    real_remove = sim._remove

    def remove(rule):
        if sim.fail_at is not None and rule['Name'].startswith('MVE'):
            raise ComError('E_ACCESSDENIED on undo')
        return real_remove(rule)
    monkeypatch.setattr(sim, '_remove', remove)
    sim.fail_at = 2
    out = run(action, ARGS)
    assert out['failed'] is True and out['changed'] is True and 'did NOT complete' in out['msg']
    assert out['rollback']['rollback_errors'][0]['error'] == 'E_ACCESSDENIED on undo'


def test_powershell_failure_on_read():
    action = make_action(rc=1)
    out = run(action, ARGS)
    assert out['failed'] is True and out['round_trips'] == 1 and 'Access is denied' in out['msg']
    assert 'nothing changed' in out['msg']


def test_record_dir_saves_every_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv(windows_transport.RECORD_ENV, str(tmp_path))
    action = make_action()
    run(action, ARGS)
    read = json.loads((tmp_path / 'mve01.example.test-001-firewall.json').read_text())
    assert read['script'] == 'firewall' and read['rc'] == 0
    assert read['payload'] == {'op': 'read', 'group': GROUP, 'management_ports': [22, 5985, 5986]}
    value = json.loads(read['stdout'].split(windows_transport.MARKER, 1)[1])['value']
    assert value['group'] == GROUP and value['rules'] == [] and len(value['profiles']) == 3
    apply = json.loads((tmp_path / 'mve01.example.test-002-firewall.json').read_text())
    assert apply['payload']['op'] == 'apply' and len(apply['payload']['steps']) == 2


# ---- the Windows defects of issue 10, each seen through the honest connection ----------------------------

@pytest.mark.parametrize('transport', ['winrm', 'psrp'])
def test_non_ascii_rule_name_reads_back_equal_and_reruns_unchanged(transport):
    """The step's result travels as base64 of UTF-8 JSON: a German rule name survives any console code page."""
    sim = FwPolicySim(rules=other_groups())
    action = make_action(sim, transport=transport)
    args = dict(ARGS, rule_names={'alerts.npap': u'MVE \u2013 Drucker-Alarme (\u00dcberwachung)'})
    out = run(action, args)
    assert out['changed'] is True and 'failed' not in out
    assert u'MVE \u2013 Drucker-Alarme (\u00dcberwachung)' in [r['Name'] for r in sim.group(GROUP)]
    again = run(action, args)
    assert again['changed'] is False and again['round_trips'] == 1, again['commands']
    assert {entry[0] for entry in action._connection.host.log} == {transport}
    replaced = run(action, dict(args, state='replaced', rule_names={}))
    assert u'MVE \u2013 Drucker-Alarme (\u00dcberwachung)' not in [r['Name'] for r in sim.group(GROUP)]
    assert replaced['changed'] is True


@pytest.mark.parametrize('prop,value', [
    ('ApplicationName', 'C:\\Program Files\\Lexmark\\mve.exe'), ('ServiceName', 'MVE'),
    ('LocalAddresses', '10.0.0.5'), ('InterfaceTypes', 'Lan'), ('Interfaces', 'Ethernet 2'),
    ('EdgeTraversal', True),
])
def test_a_condition_set_by_hand_on_our_rule_is_drift_and_is_restored(prop, value):
    sim = FwPolicySim(rules=other_groups())
    action = make_action(sim)
    run(action, ARGS)
    rule = sim.group(GROUP)[0]
    rule[prop] = value
    check = run(action, ARGS, check_mode=True)
    assert check['changed'] is True and rule[prop] == value
    assert check['changes'][0]['fields'] == ['conditions'] and prop in check['commands'][0]
    out = run(action, ARGS)
    assert out['changed'] is True and 'failed' not in out
    assert rule[prop] == dict(fw.CONDITION_DEFAULTS)[prop]
    assert run(action, ARGS)['changed'] is False


def test_rollback_restores_the_conditions_of_a_rule_it_had_updated():
    sim = FwPolicySim(rules=other_groups())
    action = make_action(sim)
    run(action, ARGS)
    ours = sim.group(GROUP)
    ours[0]['ServiceName'] = 'MVE'
    ours[1]['Enabled'] = False
    sim.fail_at, sim.fail_how = 2, 'during'
    out = run(action, ARGS)
    assert out['failed'] is True and out['changed'] is False
    assert ours[0]['ServiceName'] == 'MVE' and ours[1]['Enabled'] is False   # as before the run


@pytest.mark.parametrize('state,words', [(1, 'Group Policy overrides'), (2, 'inbound traffic is blocked')])
def test_local_policy_modify_state_is_reported(state, words):
    action = make_action(FwPolicySim(rules=other_groups(), modify_state=state))
    out = run(action, ARGS)
    assert out['local_policy_modify_state'] == {1: 'group_policy_override', 2: 'inbound_blocked'}[state]
    assert any(words in w for w in out['warnings'])


def test_only_the_collection_steps_run_on_the_simulated_host():
    """What a Windows host without Python does with an Ansible module: the simulated host refuses it."""
    conn = connection(FwPolicySim())
    rc, stdout, stderr = conn.exec_command(conn._shell.build_module_command('', '', ''), in_data=b'{"module_entry": 1}')
    assert rc == 1 and stdout == b'' and b'no Python here' in stderr
    transport = windows_transport.WindowsTransport(conn)
    with pytest.raises(windows_transport.WindowsStepError, match='printed no result line'):
        transport.connection.exec_command = lambda cmd, in_data=None, sudoable=False: conn.host.exec_winrm(
            cmd, b'bm90IGEgc2hpcHBlZCBzdGVw\ne30=\n')
        transport.run('firewall', {'op': 'read', 'group': GROUP})


def test_a_moved_database_port_leaves_one_rule_on_windows():
    """db.sqlserver from 1433 to 1533 (merged): the rule of that flow is replaced in one apply step (remove the
    old name, add the new, rolled back together on failure), never kept beside the new one."""
    sim = FwPolicySim(rules=other_groups())
    action = make_action(sim)
    args = dict(ARGS, features=dict(FEATURES, database='sqlserver'), outbound='always')
    run(action, args)
    names = [r['Name'] for r in sim.group(GROUP)]
    assert 'MVE - SQL Server to database servers (TCP 1433)' in names
    moved = run(action, dict(args, features=dict(args['features'], ports={'db.sqlserver': 1533})))
    assert moved['changed'] is True and moved['round_trips'] == 2
    assert [(c['action'], c['fields']) for c in moved['changes']] == [('update', ['name', 'remote_ports'])]
    names = [r['Name'] for r in sim.group(GROUP)]
    assert 'MVE - SQL Server to database servers (TCP 1533)' in names
    assert not [n for n in names if '1433' in n]
    assert len(names) == len(set(names))
    again = run(action, dict(args, features=dict(args['features'], ports={'db.sqlserver': 1533})))
    assert again['changed'] is False and again['round_trips'] == 1


class _SshConnection(object):
    """Stands where ansible.builtin.ssh stands, as far as the lock-out guard looks at it."""
    transport = 'ssh'

    def __init__(self, port):
        self._shell = types.SimpleNamespace(SHELL_FAMILY='sh')
        self.port = port

    def get_option(self, name):
        assert name == 'port'
        return self.port


@pytest.mark.parametrize('connection,task_vars,port', [
    (_SshConnection(2222), {}, 2222),
    (_SshConnection(None), {'ansible_port': 2200}, 2200),
    (_SshConnection(None), {}, 22),
    (types.SimpleNamespace(transport='local', _shell=types.SimpleNamespace(SHELL_FAMILY='sh')), {}, None),
], ids=['ssh-option', 'ansible_port', 'ssh-default', 'local'])
def test_the_management_port_comes_from_the_connection_under_become(monkeypatch, connection, task_vars, port):
    """Under become, sudo resets SSH_CONNECTION: the action plugin gives the module the port from Ansible's own
    connection instead, and the module's guard refuses an enforce that would cut it."""
    action = ActionModule.__new__(ActionModule)
    action._connection = connection
    action._play_context = types.SimpleNamespace(remote_addr='127.0.0.9')
    action._task = types.SimpleNamespace(args=dict(ARGS, enforce=True), check_mode=False, diff=False, async_val=0,
                                         become=True)
    calls = []
    action._execute_module = lambda module_name=None, module_args=None, task_vars=None: calls.append(module_args) or {}
    monkeypatch.setattr(action_mod.ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})
    action.run(task_vars=task_vars)
    assert calls[0].get('connection_port') == port
    assert 'connection_port' not in ARGS
    # and the address the connection comes from (the controller's route to the host), for management_scopes
    assert calls[0].get('connection_source') == ('127.0.0.1' if port else None)


def test_the_guard_refuses_enforce_that_would_cut_the_connection_port():
    from ansible_collections.printfleet.mve.plugins.module_utils.firewall import converge
    from ansible_collections.printfleet.mve.plugins.module_utils.firewall import nftables as fn
    from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as fp
    backend = fn.NftablesBackend(lambda args, data=None: (0, '{"nftables": [{"metainfo": {}}]}', ''),
                                 dynamic_ports_reader=lambda: (32768, 60999))
    params = dict(converge.ARGUMENT_SPEC.validate(dict(ARGS, enforce=True, management_ports=[22],
                                                       connection_port=2222)).params)
    with pytest.raises(fp.SafetyError) as info:
        converge.converge(backend, params, environ={})
    assert '2222' in str(info.value)
    assert backend.calls == [['-j', 'list', 'ruleset']]   # read, never applied


def test_rules_leave_the_public_profile_out_unless_asked():
    sim = FwPolicySim(rules=other_groups())
    action = make_action(sim)
    run(action, ARGS)
    assert {r['Profiles'] for r in sim.group(GROUP)} == {1 | 2}          # domain and private
    public = run(action, dict(ARGS, profiles=['domain', 'private', 'public']))
    assert public['changed'] and {c['fields'][0] for c in public['changes']} == {'profiles'}
    assert {r['Profiles'] for r in sim.group(GROUP)} == {fw.PROFILES_ALL}
    assert run(action, dict(ARGS, profiles=['public', 'domain', 'private']))['changed'] is False
    bad = run(action, dict(ARGS, profiles=['work']))
    assert bad['failed'] and 'profiles' in bad['msg'] and bad['round_trips'] == 0


# ---- enabled, and the management rules of other groups ---------------------------------------------------

def test_enabled_false_stages_the_rules_disabled_and_true_enables_them():
    sim = FwPolicySim(rules=other_groups())
    action = make_action(sim)
    staged = run(action, dict(ARGS, enabled=False))
    assert staged['changed'] and {r['Enabled'] for r in sim.group(GROUP)} == {False}
    assert run(action, dict(ARGS, enabled=False))['changed'] is False
    enabled = run(action, ARGS)
    assert enabled['changed'] and {c['fields'][0] for c in enabled['changes']} == {'enabled'}
    assert {r['Enabled'] for r in sim.group(GROUP)} == {True}
    assert 'enabled False -> True' in enabled['commands'][0]


def test_management_rules_of_other_groups_are_reported_and_checked_against_the_scopes():
    sim = FwPolicySim(rules=other_groups())
    winrm = [r for r in sim.rules if r['Grouping'] != GROUP and '5985' in str(r.get('LocalPorts'))]
    assert winrm, 'the fixture holds the built-in WinRM rule'
    before = copy.deepcopy(sim.rules)
    result = run(make_action(sim), dict(ARGS, management_scopes=['10.7.0.0/16']))
    reported = dict((r['name'], r) for r in result['management_rules'])
    for rule in winrm:
        if rule['Enabled'] and rule['Direction'] == 1 and rule['Action'] == 1:
            assert rule['Name'] in reported
    assert any(r['outside_scopes'] for r in result['management_rules'])
    assert any('management_scopes: these rules of other groups' in w for w in result['warnings'])
    assert others(sim) == [r for r in before if r['Grouping'] != GROUP]   # never changed
    anywhere = run(make_action(sim), ARGS)
    assert anywhere['management_rules'] and not any(r['outside_scopes'] for r in anywhere['management_rules'])
    assert not any('management_scopes' in w for w in anywhere.get('warnings', []))


@pytest.mark.parametrize('remote,scopes,outside', [
    ('*', ['10.0.0.0/8'], True),
    ('LocalSubnet', ['10.0.0.0/8'], True),
    ('10.1.0.0/255.255.0.0', ['10.0.0.0/8'], False),
    ('10.1.0.0/255.255.0.0,192.0.2.1', ['10.0.0.0/8'], True),
    ('10.0.0.5-10.0.0.9', ['10.0.0.0/29', '10.0.0.8/29'], False),
    ('*', ['any'], False),
])
def test_management_rule_outside_scopes(remote, scopes, outside):
    from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as fp
    com = {'Name': 'Windows Remote Management (HTTP-In)', 'Grouping': '@FirewallAPI.dll,-30267', 'LocalPorts': '5985',
           'RemoteAddresses': remote, 'Profiles': 3}
    view = fw.management_rule(com, fp.normalize_management_scopes(scopes))
    assert view['outside_scopes'] is outside and view['profiles'] == 'domain, private'
