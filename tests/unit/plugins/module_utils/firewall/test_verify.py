# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""firewall/verify.py: what a probe from the controller must see, port by port, and the comparison with results."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import yaml

from ansible import constants as C

from ansible.errors import AnsibleFilterError, AnsibleLookupError

from ansible_collections.printfleet.mve.plugins.filter import mve as filters
from ansible_collections.printfleet.mve.plugins.lookup import source_address
from ansible_collections.printfleet.mve.plugins.plugin_utils import routes
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import InputError
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import verify

NAME = 'printfleet.mve.source_address'


def rules(browser, printer=('10.9.0.0/24',), features=None):
    return planner.desired_rules(features or {}, {'browser': list(browser), 'printer': list(printer)},
                                 outbound='never')


def test_controller_outside_the_browser_scope_must_be_dropped_on_443():
    plan = verify.plan(rules(['10.1.0.0/16']), '192.0.2.5', '192.0.2.10')
    assert plan['targets'] == [{'host': '192.0.2.5', 'port': 443}]   # the FTP data range is not probed
    assert plan['expect']['443']['expect'] == 'drop'
    assert '192.0.2.10 is outside the scope of' in plan['expect']['443']['why']


def test_controller_inside_a_range_or_any_must_pass():
    for scope in (['192.0.2.1-192.0.2.20'], ['192.0.2.0/24', '10.0.0.1'], [planner.ANY]):
        plan = verify.plan(rules(scope), '192.0.2.5', '192.0.2.10')
        assert plan['expect']['443']['expect'] == 'pass', scope
        assert 'is in the scope of' in plan['expect']['443']['why']


def test_ipv6_source_is_not_in_an_ipv4_scope():
    plan = verify.plan(rules(['0.0.0.0/0']), '2001:db8::5', '2001:db8::10')
    assert plan['expect']['443']['expect'] == 'drop'


def test_loopback_passes_everything_and_says_why():
    plan = verify.plan(rules(['10.1.0.0/16']), '127.0.0.1', '127.0.0.1', enforce=True, blocked_port=9)
    assert [t['port'] for t in plan['targets']] == [443, 9]
    assert {e['expect'] for e in plan['expect'].values()} == {'pass'}
    assert 'no drop can be shown' in plan['expect']['9']['why']


def test_enforce_adds_the_blocked_port_and_management_ports_pass():
    wanted = rules(['10.1.0.0/16'])
    wanted.append({'name': 'ssh', 'direction': 'inbound', 'transport': 'tcp', 'local_ports': [22],
                   'remote_ports': [], 'remote_addresses': ['10.7.0.1']})
    plan = verify.plan(wanted, 'mve', '192.0.2.10', enforce=True, management_ports=[22], blocked_port=9)
    assert [t['port'] for t in plan['targets']] == [443, 22, 9]
    assert plan['expect']['22']['expect'] == 'pass' and 'management port' in plan['expect']['22']['why']
    assert plan['expect']['9']['expect'] == 'drop' and 'allowed by no rule' in plan['expect']['9']['why']
    assert len(verify.plan(wanted, 'mve', '192.0.2.10')['targets']) == 2   # no blocked port without enforce


def test_findings_tell_blocked_from_leaked():
    plan = {'expect': {'443': {'expect': 'drop', 'why': 'w1'}, '22': {'expect': 'pass', 'why': 'w2'},
                       '9': {'expect': 'drop', 'why': 'w3'}, '80': {'expect': 'pass', 'why': 'w4'}}}
    results = [{'port': 443, 'state': 'open', 'reason': 'accepted'}, {'port': 22, 'state': 'filtered', 'reason': 'x'},
               {'port': 9, 'state': 'filtered'}, {'port': 80, 'state': 'closed'}, {'port': 1234, 'state': 'open'}]
    found = verify.findings(results, plan)
    assert found['leaked'] == [{'port': 443, 'state': 'open', 'reason': 'accepted', 'why': 'w1'}]
    assert found['blocked'] == [{'port': 22, 'state': 'filtered', 'reason': 'x', 'why': 'w2'}]
    assert verify.findings([{'port': 80, 'state': 'error'}], plan)['blocked'][0]['port'] == 80


def test_bad_source_names_the_field():
    with pytest.raises(InputError, match=r"^source: got 'controller'"):
        verify.plan([], 'mve', 'controller')
    with pytest.raises(AnsibleFilterError, match='firewall_verify_plan: source: got'):
        filters.firewall_verify_plan([], 'mve', '')
    with pytest.raises(AnsibleFilterError, match='must be a list'):
        filters.firewall_verify_findings({'port': 1}, {})


def test_filters_wrap_the_module_utils():
    wanted = rules(['192.0.2.0/24'])
    plan = filters.firewall_verify_plan(wanted, 'mve', '192.0.2.10', enforce=True, management_ports=[22],
                                        blocked_port=9)
    assert plan == verify.plan(wanted, 'mve', '192.0.2.10', True, [22], 9)
    assert filters.firewall_verify_findings([{'port': 443, 'state': 'closed'}], plan) == {'blocked': [], 'leaked': []}


def test_source_address_lookup_uses_the_route():
    # What ansible's plugin loader does when it loads the plugin: register the documented options.
    C.config.initialize_plugin_configuration_definitions('lookup', NAME,
                                                         yaml.safe_load(source_address.DOCUMENTATION)['options'])
    lookup = source_address.LookupModule()
    lookup._load_name = NAME
    assert lookup.run(['127.0.0.1']) == ['127.0.0.1']
    assert lookup.run(['127.0.3.9'], port=22) == ['127.0.0.1']
    assert routes.source_address('::1') == '::1'
    with pytest.raises(routes.RouteError, match='does not resolve'):
        routes.source_address('no-such-host.invalid')
    with pytest.raises(AnsibleLookupError, match='printfleet.mve.source_address: .* does not resolve'):
        lookup.run(['no-such-host.invalid'])
