# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fuzzing the firewall readers: the ``nft -j list ruleset`` reader (nftables.parse_ruleset) and the reader of
what the Windows firewall step returns (windows.parse_read / parse_apply). Any JSON gives a result or the
backend's own error (NftError, WindowsFirewallError), never a KeyError or TypeError from deep inside.

Seeds: the rulesets captured from the real nft (tests/unit/fixtures/nft/) and the documented Windows shapes
(tests/unit/fixtures/windows/), with nodes replaced by JSON of other types and values."""

from __future__ import absolute_import, division, print_function

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.printfleet.mve.plugins.module_utils.firewall import firewalld as fw_fwd
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import nftables as fw_nft
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import windows as fw_win
from support.fuzz_strategies import json_values, mutated, mutated_json
from support.fuzz_targets import TARGETS, run_windows_object

NFT = TARGETS['nft']
WINDOWS = TARGETS['windows_firewall']
NFT_DOCS = [json.loads(s) for s in NFT.seeds()]
WINDOWS_DOCS = [json.loads(s) for s in WINDOWS.seeds()]


def test_the_seeds_parse():
    assert any(fw_nft.parse_ruleset(s, 'printfleet.mve')['rules'] for s in NFT.seeds())
    assert fw_win.parse_read(WINDOWS_DOCS[0])['rules']
    assert fw_win.parse_apply(WINDOWS_DOCS[-1])['error'] == 'Access is denied.'


def _nft(doc):
    try:
        fw_nft.parse_ruleset(doc, 'printfleet.mve')
    except fw_nft.NftError:
        pass


def _windows(doc):
    try:
        run_windows_object(doc)
    except fw_win.WindowsFirewallError:
        pass


@given(mutated_json(NFT_DOCS))
def test_nft_mutated_rulesets(doc):
    _nft(doc)


@given(json_values())
def test_nft_arbitrary_json(doc):
    _nft(doc)
    _nft({'nftables': doc})


@given(mutated(NFT.seeds()))
def test_nft_mutated_text(data):
    _nft(data)


@given(mutated_json(WINDOWS_DOCS))
def test_windows_mutated_results(doc):
    _windows(doc)


@given(json_values())
def test_windows_arbitrary_json(doc):
    _windows(doc)
    _windows({'op': 'read', 'rules': doc})
    _windows({'op': 'apply', 'done': doc})


FIREWALLD = TARGETS['firewalld']
FIREWALLD_DOCS = [json.loads(s) for s in FIREWALLD.seeds()]


def _firewalld(doc):
    try:
        fw_fwd.parse_state(doc, 'printfleet.mve')
    except fw_fwd.FirewalldError:
        pass


def test_the_firewalld_seeds_parse():
    assert len(fw_fwd.parse_state(FIREWALLD_DOCS[0], 'printfleet.mve')['rules']) >= 8
    assert len(fw_fwd.parse_state(FIREWALLD_DOCS[1], 'printfleet.mve')['rules']) >= 2
    with pytest.raises(fw_fwd.FirewalldError, match='not running'):
        fw_fwd.parse_state(FIREWALLD_DOCS[-1], 'printfleet.mve')


@given(mutated_json(FIREWALLD_DOCS))
def test_firewalld_mutated_reads(doc):
    _firewalld(doc)


@given(json_values())
def test_firewalld_arbitrary_json(doc):
    _firewalld(doc)
    _firewalld({'ok': True, 'running': True, 'policies': doc})


@given(mutated(FIREWALLD.seeds()))
def test_firewalld_mutated_text(data):
    _firewalld(data)


@given(st.text(max_size=200))
def test_rich_rule_reader_any_text(text):
    assert fw_fwd.parse_rich_rule(text) is None or isinstance(fw_fwd.parse_rich_rule(text), dict)


# ---- what the fuzzing found (for the lead: nftables.py and windows.py raise foreign exceptions) -----------

def _our_rule(**changes):
    """The captured inbound ruleset's rule for FTP active-mode data, with ``changes``."""
    rule = {'chain': 'input', 'family': 'inet', 'handle': 5, 'table': 'printfleet_mve',
            'comment': '[printfleet.mve] inbound/tcp/printer/20: MVE - FTP active-mode data from printers '
                       '(TCP 20 to 32768-60999)',
            'expr': [{'match': {'op': '==', 'left': {'meta': {'key': 'l4proto'}}, 'right': 'tcp'}}, {'accept': None}]}
    rule.update(changes)
    return {'nftables': [{'rule': rule}]}


def _l4(*exprs):
    return list(exprs) + [{'match': {'op': '==', 'left': {'meta': {'key': 'l4proto'}}, 'right': 'tcp'}},
                          {'accept': None}]


NFT_FINDINGS = [
    # (label, document, what escapes today)
    ('item not an object', {'nftables': [1]}, 'TypeError at nftables.py parse_ruleset'),
    ('table without family', {'nftables': [{'table': {}}]}, "KeyError 'family'"),
    ('chain without table', {'nftables': [{'chain': {'family': 'inet'}}]}, "KeyError 'table'"),
    ('rule without family', {'nftables': [{'rule': {}}]}, "KeyError 'family'"),
    ('comment not a string', _our_rule(comment=5), "AttributeError 'startswith'"),
    ('our rule with expr null', _our_rule(expr=None), 'TypeError in _parse_rule'),
    ('our rule, expr of numbers', _our_rule(expr=[1]), 'TypeError in _parse_rule'),
    ('match without left', _our_rule(expr=[{'match': {'op': '=='}}]), "KeyError 'left'"),
    ('port range of strings', _our_rule(expr=_l4({'match': {'op': '==', 'left': {'payload': {
        'protocol': 'tcp', 'field': 'dport'}}, 'right': {'range': ['a', 'b']}}})), 'TypeError %d format'),
    ('address prefix without len', _our_rule(expr=_l4({'match': {'op': '==', 'left': {'payload': {
        'protocol': 'ip', 'field': 'saddr'}}, 'right': {'prefix': {'addr': '10.0.0.0'}}}})), "KeyError 'len'"),
    ('address that is not one', _our_rule(expr=_l4({'match': {'op': '==', 'left': {'payload': {
        'protocol': 'ip', 'field': 'saddr'}}, 'right': 'not-an-address'}})), 'planner.PlanError'),
    # make fuzz (atheris, artifact nft-crash-5794b6ec: the captured inbound ruleset with one address edited)
    ('address with a leading zero octet', _our_rule(expr=_l4({'match': {'op': '==', 'left': {'payload': {
        'protocol': 'ip', 'field': 'saddr'}}, 'right': '00.9.0.9'}})), 'planner.PlanError'),
]

WINDOWS_FINDINGS = [
    ('rule not an object', {'op': 'read', 'rules': [1]}, "AttributeError 'get'"),
    ('rules a string', {'op': 'read', 'rules': 'abc'}, "AttributeError 'get'"),
    ('rules a number', {'op': 'read', 'rules': 5}, 'TypeError in _as_list'),
    ('Profiles not a number', {'op': 'read', 'rules': [{'Grouping': 'printfleet.mve', 'Profiles': 'x'}]},
     'ValueError int()'),
    ('LocalPorts out of range', {'op': 'read', 'rules': [{'Grouping': 'printfleet.mve', 'LocalPorts': '70000'}]},
     'port_matrix.MatrixError'),
    ('profile not an object', {'op': 'read', 'profiles': [1]}, "AttributeError 'get'"),
    ('dynamic_ports a number', {'op': 'read', 'dynamic_ports': 5}, "AttributeError 'get'"),
    ('dynamic_ports start not a number', {'op': 'read', 'dynamic_ports': {'start': 'a', 'count': 1}},
     'ValueError int()'),
    ('local_policy_modify_state a list', {'op': 'read', 'local_policy_modify_state': []}, 'TypeError unhashable'),
    ('apply done a number', {'op': 'apply', 'done': 5}, 'TypeError in _as_list'),
    # make fuzz (atheris, artifact windows_firewall-crash-a826b68e: read_mixed.json with a port edited to 0)
    ('LocalPorts 0', {'op': 'read', 'rules': [{'Grouping': 'printfleet.mve', 'LocalPorts': '0'}]},
     'port_matrix.MatrixError'),
]


@pytest.mark.parametrize('label, doc, today', NFT_FINDINGS, ids=[f[0] for f in NFT_FINDINGS])
def test_nft_findings(label, doc, today):
    _nft(doc)
    _nft(json.dumps(doc))


@pytest.mark.parametrize('label, doc, today', WINDOWS_FINDINGS, ids=[f[0] for f in WINDOWS_FINDINGS])
def test_windows_findings(label, doc, today):
    _windows(doc)
