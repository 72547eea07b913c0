# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mve_firewall's main(): argument handling, check/diff mode and fail_json, with a recorded nft runner."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest
from support.module_args import patch_module_args

from ansible_collections.printfleet.mve.plugins.module_utils.firewall import nftables as firewall_nft
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import converge
from ansible_collections.printfleet.mve.plugins.modules import mve_firewall

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        'fixtures', 'nft')
SCOPES = {'printer': ['198.51.100.0/24', '203.0.113.10-203.0.113.20', '192.0.2.7', '2001:db8:10::/64'],
          'browser': 'any'}


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as fh:
        return fh.read()


@pytest.fixture
def nft(monkeypatch):
    """Replace the real nft with a recorder that serves ``state['ruleset']`` and records applied scripts."""
    state = {'ruleset': fixture('empty.json'), 'applied': [], 'apply_rc': 0}

    def runner(args, data=None):
        if args == ['-j', 'list', 'ruleset']:
            return 0, state['ruleset'], ''
        state['applied'].append(data)
        return state['apply_rc'], '', 'Error: boom' if state['apply_rc'] else ''

    real_select = converge.select_backend

    def select(module):
        if module.params['backend'] == 'windows':
            return real_select(module)  # fails before nft is looked for
        return firewall_nft.NftablesBackend(runner, module.params['rule_group'],
                                            dynamic_ports_reader=lambda: (32768, 60999))
    monkeypatch.setattr(converge, 'select_backend', select)
    monkeypatch.delenv('SSH_CONNECTION', raising=False)
    return state


def run_module(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            mve_firewall.main()
    return info.value.code, json.loads(capsys.readouterr().out)


def test_apply_then_unchanged(nft, capsys):
    args = {'scopes': SCOPES, 'strict': False, 'outbound': 'never', '_ansible_diff': True}
    code, out = run_module(args, capsys)
    assert code == 0 and out['changed'] is True and out['backend'] == 'nftables'
    assert nft['applied'] == [fixture('inbound.nft')]
    assert out['diff']['before'] == {'rule_group': 'printfleet.mve', 'enforce': False, 'rules': []}
    assert out['diff']['after']['rules'] == out['rules'] == json.loads(fixture('inbound.want.json'))['rules']
    nft['ruleset'] = fixture('inbound.json')
    code, out = run_module(args, capsys)
    assert code == 0 and out['changed'] is False and out['commands'] == [] and len(nft['applied']) == 1
    assert out['diff']['before'] == out['diff']['after']


def test_check_mode_reports_without_applying(nft, capsys):
    code, out = run_module({'scopes': SCOPES, 'strict': False, 'outbound': 'never', '_ansible_check_mode': True},
                           capsys)
    assert code == 0 and out['changed'] is True and len(out['commands']) == 3
    assert nft['applied'] == []
    assert out['script'] == fixture('inbound.nft')


BAD = [
    ({'scopes': dict(SCOPES, printer=['10.0.0.300/24'])}, 'scopes.printer[0]'),
    ({'scopes': SCOPES, 'strict': True}, 'scopes.browser'),
    ({'scopes': SCOPES, 'features': {'toner': 'black'}}, 'features'),
    ({'scopes': SCOPES, 'features': {'smtp': 'ssl', 'ports': {'smtp.ssl': 0}}, 'outbound': 'always'},
     'features.ports.smtp.ssl'),
    ({'scopes': SCOPES, 'rule_names': {'alerts.npap': 'A', 'browser.https': 'A'}}, 'rule_names'),
    ({'scopes': SCOPES, 'rule_names': {'alerts.npap': 'MVE ' + 'x' * 120}}, 'rule_names'),
    ({'scopes': SCOPES, 'rule_group': 'a b'}, 'rule_group'),
    ({'scopes': SCOPES, 'enforce': True, 'management_ports': []}, 'management_ports'),
    ({'scopes': SCOPES, 'management_ports': [70000]}, 'management_ports[0]'),
    ({'backend': 'windows'}, 'backend'),
]


@pytest.mark.parametrize('args,field', BAD, ids=[b[1] for b in BAD])
def test_bad_input_fails_naming_the_field(nft, capsys, args, field):
    args = dict({'strict': False, 'outbound': 'never'}, **args)
    code, out = run_module(args, capsys)
    assert code == 1 and out['failed'] is True and out['changed'] is False
    assert out['field'] == field and out['msg'].startswith(field + ': ')
    assert nft['applied'] == []


def test_failed_apply_is_reported_unchanged(nft, capsys):
    nft['apply_rc'] = 1
    code, out = run_module({'scopes': SCOPES, 'strict': False, 'outbound': 'never'}, capsys)
    assert code == 1 and out['changed'] is False and 'Error: boom' in out['msg']


def test_windows_message_names_the_plan(nft, capsys):
    code, out = run_module({'backend': 'windows'}, capsys)
    assert code == 1 and 'action plugin' in out['msg'] and 'backend: nftables' in out['msg']
