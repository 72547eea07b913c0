# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""port_check's target list: an error names the option the user wrote, also for targets derived from peers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import TargetError
from ansible_collections.printfleet.mve.plugins.module_utils.probes import port_check


def _params(**args):
    validation = port_check.ARGUMENT_SPEC.validate(args)
    assert not validation.errors, validation.errors
    return validation.params


SNMP_ONLY = {'printer_protocols': ['snmp']}


def test_a_module_option_missing_for_peers_names_the_option_once():
    """version 3 without a user name, for three printers from peers: one error about ``username``, not
    ``targets[N].username`` for targets the user never wrote."""
    params = _params(features=SNMP_ONLY, peers={'printer': ['192.0.2.1', '192.0.2.2', '192.0.2.3']}, version='3')
    with pytest.raises(TargetError) as info:
        port_check.prepare(params)
    assert info.value.field == 'username'
    assert str(info.value) == 'username: required when version is 3 (the SNMPv3 USM user name)'
    assert 'targets[' not in str(info.value)


def test_an_explicit_target_that_inherits_the_options_names_the_option():
    params = _params(targets=[{'host': '192.0.2.1', 'port': 161, 'transport': 'udp', 'probe': 'snmp'}],
                     version='3', username='mve', auth_key='short')
    with pytest.raises(TargetError) as info:
        port_check.prepare(params)
    assert info.value.field == 'auth_key'


def test_an_explicit_target_with_its_own_snmp_options_names_its_key():
    params = _params(targets=[{'host': '192.0.2.1', 'port': 161, 'transport': 'udp', 'probe': 'snmp',
                               'version': '3'}])
    with pytest.raises(TargetError) as info:
        port_check.prepare(params)
    assert info.value.field == 'targets[0].username'


def test_peer_labels_name_the_peer_the_user_wrote():
    params = _params(features=SNMP_ONLY, peers={'printer': [' 192.0.2.1', '192.0.2.2']})
    targets, dummy, dummy = port_check.prepare(params)
    assert [port_check._peer_label(t, params['peers']) for t in targets] == ['peers.printer[0]', 'peers.printer[1]']
    assert port_check._peer_label(targets[0], {'printer': '192.0.2.1'}) == 'peers.printer'
