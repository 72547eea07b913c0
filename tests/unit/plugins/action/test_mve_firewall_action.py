# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mve_firewall action plugin on a Windows (PowerShell) connection, and its hand-off on other connections.

No Windows host and no PowerShell run here. The fake WinRM connection below stands where the real one
would: it checks that the plugin sends the bootstrap on the command line and the step's script on stdin,
and runs the script against tests/support/fwpolicy_sim.py, a Python simulation of the Windows Defender
Firewall policy store that decodes the JSON payload the script carries and does what the PowerShell does
(including the rollback when told to fail at step k, and rules of other groups that must survive).
Everything on the controller side runs for real: argument validation with the module's spec, prepare(),
the planner, the payload encoding, the parsing of the step's output, the round trip count.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import json
import os
import types

import pytest

from ansible_collections.printfleet.mve.plugins.action import mve_firewall as action_mod
from ansible_collections.printfleet.mve.plugins.action.mve_firewall import ActionModule
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import windows as fw
from support.fwpolicy_sim import ComError, FwPolicySim

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


class FakeWinRMConnection(object):
    """Stands where the WinRM connection would; runs each step against the simulated policy store."""

    def __init__(self, sim, rc=0):
        self._shell = types.SimpleNamespace(SHELL_FAMILY='powershell', _encode_script=self._encode)
        self.sim = sim
        self.rc = rc
        self.scripts = []

    @staticmethod
    def _encode(script, preserve_rc=True):
        return 'PowerShell -NoProfile -EncodedCommand %s' % base64.b64encode(script.encode('utf-16-le')).decode()

    def exec_command(self, cmd, in_data=None, sudoable=True):
        assert 'ReadToEnd' in base64.b64decode(cmd.split()[-1]).decode('utf-16-le')  # only the bootstrap
        script = in_data.decode('utf-8')
        self.scripts.append(script)
        if self.rc:
            return self.rc, b'', b'#< CLIXML\nAccess is denied.'
        return 0, self.sim.run(script).encode('utf-8'), b''


def make_action(sim=None, **kwargs):
    sim = sim if sim is not None else FwPolicySim(rules=other_groups())
    action = ActionModule.__new__(ActionModule)
    action._connection = FakeWinRMConnection(sim, **kwargs)
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


def test_record_dir_saves_the_read_step(tmp_path, monkeypatch):
    monkeypatch.setenv(action_mod.RECORD_ENV, str(tmp_path))
    action = make_action()
    run(action, ARGS)
    saved = json.loads((tmp_path / 'fwpolicy-read-mve01.example.test.json').read_text())
    assert saved['group'] == GROUP and saved['rules'] == [] and len(saved['profiles']) == 3
