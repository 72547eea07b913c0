# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The printfleet.mve.printers inventory plugin without a network: targets, naming, options, cache.

The sweep (printer_fleet.collect) is replaced by injected facts; the plugin runs with its documented options
(doc fragments constructed and inventory_cache merged, as ansible's loader does) on a real DataLoader.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible import constants as C
from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultLib, VaultSecret
try:
    from ansible.parsing.vault import VaultSecretsContext
except ImportError:  # ansible-core < 2.19: the loader's vault secrets are all there is
    VaultSecretsContext = None
from ansible.plugins.loader import fragment_loader
from ansible.utils.plugin_docs import get_docstring

from ansible_collections.printfleet.mve.plugins.inventory import printers
from ansible_collections.printfleet.mve.plugins.module_utils.printers import fleet_facts as printer_fleet

NAME = 'printfleet.mve.printers'
SECRET = 'Unit-Secret-Community-7'


def lexmark(model, serial, sys_name, firmware='MXTGM.081.215'):
    return {'reachable': True, 'error': None, 'error_kind': None, 'vendor': 'Lexmark', 'model': model,
            'serial': serial, 'sys_name': sys_name, 'firmware': firmware,
            'sys_descr': 'Lexmark %s version %s kernel 4.17.19' % (model, firmware),
            'sys_object_id': '1.3.6.1.4.1.641.1.822', 'page_count': 1037, 'uptime_s': 5, 'sys_location': 'rack 1',
            'sys_contact': 'admin', 'supplies': []}


FLEET = {
    '192.0.2.1': lexmark('MS822de', 'LAB1', 'printer01'),
    '192.0.2.2': lexmark('CX825de', 'LAB2', 'printer02'),
    '192.0.2.3': lexmark('MS822de', 'LAB3', 'printer01'),      # same sysName as .1
    '192.0.2.4': dict(lexmark('M/X 9', 'LAB 4', None), vendor=None),
    '192.0.2.5': {'reachable': False, 'error': 'no reply', 'error_kind': 'timeout'},
}


# ---- targets ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('item, expected', [
    ('192.0.2.7', ['192.0.2.7']),
    ('192.0.2.0/30', ['192.0.2.1', '192.0.2.2']),
    ('192.0.2.8/31', ['192.0.2.8', '192.0.2.9']),
    ('192.0.2.9/32', ['192.0.2.9']),
    ('192.0.2.5/30', ['192.0.2.5', '192.0.2.6']),            # host bits set: the network of the address
    ('192.0.2.250-192.0.3.1', ['192.0.2.250', '192.0.2.251', '192.0.2.252', '192.0.2.253', '192.0.2.254',
                               '192.0.2.255', '192.0.3.0', '192.0.3.1']),
    ('192.0.2.10-12', ['192.0.2.10', '192.0.2.11', '192.0.2.12']),
    (' 192.0.2.10 - 192.0.2.11 ', ['192.0.2.10', '192.0.2.11']),
    ('2001:db8::/126', ['2001:db8::1', '2001:db8::2', '2001:db8::3']),
    ('2001:db8::5-2001:db8::6', ['2001:db8::5', '2001:db8::6']),
])
def test_target_items_expand(item, expected):
    assert printers.expand(printers.plan_targets([item])) == expected


def test_targets_merge_overlaps_and_exclude():
    intervals = printers.plan_targets(['192.0.2.0/29', '192.0.2.3-192.0.2.9', '192.0.2.4'],
                                      exclude=['192.0.2.2', '192.0.2.4/31', '192.0.2.9-9'])
    assert printers.expand(intervals) == ['192.0.2.1', '192.0.2.3', '192.0.2.6', '192.0.2.7', '192.0.2.8']


def test_exclude_network_takes_every_address_of_it():
    assert printers.expand(printers.plan_targets(['192.0.2.0/29'], exclude=['192.0.2.0/30'])) == [
        '192.0.2.4', '192.0.2.5', '192.0.2.6']


def test_mixed_families_sorted():
    assert printers.expand(printers.plan_targets(['2001:db8::1', '192.0.2.1'])) == ['192.0.2.1', '2001:db8::1']


@pytest.mark.parametrize('targets, exclude, field, words', [
    (['192.0.2.0/33'], [], 'targets[0]', 'not a CIDR network'),
    (['192.0.2.1', '10.0.0.300'], [], 'targets[1]', 'not an IP address'),
    (['printer01.example.com'], [], 'targets[0]', 'not an IP address'),
    (['192.0.2.9-192.0.2.1'], [], 'targets[0]', 'ends before it starts'),
    (['192.0.2.1-2001:db8::1'], [], 'targets[0]', 'mixes IPv4 and IPv6'),
    (['192.0.2.1-256'], [], 'targets[0]', 'above 255'),
    ([''], [], 'targets[0]', 'expected an address'),
    ([5], [], 'targets[0]', 'expected an address'),
    ([], [], 'targets', 'at least one'),
    (['192.0.2.0/24'], ['192.0.2.0/40'], 'exclude[0]', 'not a CIDR network'),
])
def test_bad_targets_name_the_field(targets, exclude, field, words):
    with pytest.raises(printers.TargetError) as info:
        printers.plan_targets(targets, exclude)
    assert info.value.field == field
    assert str(info.value).startswith(field + ': ')
    assert words in str(info.value)


def test_max_hosts_caps_after_exclude_and_before_expansion():
    with pytest.raises(printers.TargetError) as info:
        printers.plan_targets(['10.0.0.0/8'])
    assert info.value.field == 'targets'
    assert '16777214 addresses' in str(info.value) and 'max_hosts (65536)' in str(info.value)
    # A /8 less all but one /24 fits.
    intervals = printers.plan_targets(['10.0.0.0/8'], exclude=['10.0.0.0-10.0.254.255', '10.1.0.0-10.255.255.255'])
    assert len(printers.expand(intervals)) == 256  # 10.0.255.0-255: only 10.0.0.0 and 10.255.255.255 were left out
    assert len(printers.expand(printers.plan_targets(['192.0.2.0/24'], max_hosts=254))) == 254
    with pytest.raises(printers.TargetError, match='more than max_hosts [(]253[)]'):
        printers.plan_targets(['192.0.2.0/24'], max_hosts=253)
    with pytest.raises(printers.TargetError) as info:
        printers.plan_targets(['192.0.2.1'], max_hosts=0)
    assert info.value.field == 'max_hosts'
    # Huge IPv6 networks are counted, never expanded.
    with pytest.raises(printers.TargetError, match='more than max_hosts'):
        printers.plan_targets(['2001:db8::/32'])


# ---- naming ------------------------------------------------------------------------------------------------

def test_group_names():
    assert printers.vendor_group({'vendor': 'Lexmark'}) == 'vendor_lexmark'
    assert printers.vendor_group({'vendor': 'Konica Minolta'}) == 'vendor_konica_minolta'
    assert printers.vendor_group({'vendor': 'HP (Samsung)'}) == 'vendor_hp_samsung'
    assert printers.vendor_group({'vendor': None}) == 'vendor_unknown'
    assert printers.model_group({'model': 'MS822de'}) == 'model_ms822de'
    assert printers.model_group({'model': 'CX 825-de / MFP'}) == 'model_cx_825_de_mfp'
    assert printers.model_group({'model': None}) is None
    assert printers.model_group({'model': ' -- '}) is None


def test_host_names():
    facts = dict((a, f) for a, f in FLEET.items() if f['reachable'])
    assert printers.host_names(facts) == dict((a, a) for a in facts)
    # .3 repeats .1's sysName and .4 has none: both fall back to their address.
    assert printers.host_names(facts, 'sys_name') == {'192.0.2.1': 'printer01', '192.0.2.2': 'printer02',
                                                      '192.0.2.3': '192.0.2.3', '192.0.2.4': '192.0.2.4'}
    # 'LAB 4' is not a usable host name.
    assert printers.host_names(facts, 'serial') == {'192.0.2.1': 'LAB1', '192.0.2.2': 'LAB2', '192.0.2.3': 'LAB3',
                                                    '192.0.2.4': '192.0.2.4'}
    # A printer may not take another printer's address as its name.
    clash = {'192.0.2.1': {'sys_name': '192.0.2.2'}, '192.0.2.2': {'sys_name': 'b'}}
    assert printers.host_names(clash, 'sys_name') == {'192.0.2.1': '192.0.2.1', '192.0.2.2': 'b'}


def test_describe():
    summary = {'total': 8, 'reachable': 5, 'unreachable': 3, 'errors': {'unreachable': 2, 'timeout': 1},
               'elapsed_ms': 12.5}
    assert printers.describe(summary) == ('5 printers answered of 8 addresses; 3 did not (timeout 1, unreachable 2) '
                                          'in 12.5 ms')
    assert printers.describe(dict(summary, unreachable=0, reachable=1, total=1), cached=True) == (
        '1 printer answered of 1 address in 12.5 ms (from the inventory cache)')


# ---- the plugin ----------------------------------------------------------------------------------------------

@pytest.fixture(scope='module', autouse=True)
def plugin_options():
    doc = get_docstring(printers.__file__, fragment_loader)[0]
    C.config.initialize_plugin_configuration_definitions('inventory', NAME, doc['options'])


class Sweep(object):
    """Stands in for printer_fleet.collect: records the calls, answers FLEET for the addresses asked."""

    def __init__(self, fleet=None):
        self.fleet = FLEET if fleet is None else fleet
        self.calls = []

    def __call__(self, hosts, params, concurrency):
        self.calls.append({'hosts': list(hosts), 'params': dict(params), 'concurrency': concurrency})
        found = dict((h, self.fleet[h]) for h in hosts if h in self.fleet)
        dead = dict((h, {'reachable': False, 'error': 'no reply', 'error_kind': 'timeout'})
                    for h in hosts if h not in self.fleet)
        found.update(dead)
        return found, printer_fleet.summarize(found, 1.0)


@pytest.fixture
def sweep(monkeypatch):
    s = Sweep()
    monkeypatch.setattr(printer_fleet, 'collect', s)
    return s


def write_config(tmp_path, config, name='fleet.printers.yml'):
    path = tmp_path / name
    path.write_text(config if isinstance(config, str) else json.dumps(dict({'plugin': NAME}, **config)))
    return str(path)


def run(path, cache=True, loader=None):
    plugin = printers.InventoryModule()
    # What the plugin loader sets on the plugins it loads (ansible-core 2.16 has no class defaults for these).
    plugin._load_name = plugin.ansible_name = NAME
    plugin._redirected_names = [NAME]
    inventory = InventoryData()
    plugin.parse(inventory, loader or DataLoader(), path, cache=cache)
    try:
        plugin.update_cache_if_changed()  # what the InventoryManager does after parse
    except AttributeError:
        pass
    return inventory, plugin


def groups_of(inventory):
    return dict((name, sorted(h.name for h in g.get_hosts())) for name, g in inventory.groups.items()
                if name not in ('all', 'ungrouped'))


def test_verify_file(tmp_path):
    plugin = printers.InventoryModule()
    for name, ok in (('fleet.printers.yml', True), ('printers.yaml', True), ('fleet.yml', False),
                     ('printers.yml.bak', False)):
        path = tmp_path / name
        path.write_text('plugin: %s\n' % NAME)
        assert plugin.verify_file(str(path)) is ok, name
    assert plugin.verify_file(str(tmp_path / 'missing.printers.yml')) is False


def test_hosts_groups_and_vars(tmp_path, sweep):
    path = write_config(tmp_path, {'targets': ['192.0.2.1-192.0.2.6'], 'exclude': ['192.0.2.6'], 'community': SECRET,
                                   'hostname': 'sys_name', 'concurrency': 3, 'timeout': 0.5, 'retries': 0,
                                   'compose': {'fw': 'printfleet_printer.firmware'},
                                   'groups': {'printers': True},
                                   'keyed_groups': [{'key': 'printfleet_printer.serial', 'prefix': 'serial'}]})
    inventory, dummy = run(path)
    call, = sweep.calls
    assert call['hosts'] == ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5']
    assert call['concurrency'] == 3
    assert call['params']['community'] == SECRET and call['params']['version'] == '2c'
    assert call['params']['timeout'] == 0.5 and call['params']['retries'] == 0 and call['params']['port'] is None
    assert sorted(inventory.hosts) == ['192.0.2.3', '192.0.2.4', 'printer01', 'printer02']
    groups = groups_of(inventory)
    assert groups['vendor_lexmark'] == ['192.0.2.3', 'printer01', 'printer02']
    assert groups['vendor_unknown'] == ['192.0.2.4']
    assert groups['model_ms822de'] == ['192.0.2.3', 'printer01']
    assert groups['model_cx825de'] == ['printer02']
    assert groups['model_m_x_9'] == ['192.0.2.4']
    assert groups['printers'] == ['192.0.2.3', '192.0.2.4', 'printer01', 'printer02']
    assert groups['serial_LAB1'] == ['printer01']
    host = inventory.get_host('printer02').get_vars()
    assert host['ansible_host'] == '192.0.2.2'
    assert host['ansible_connection'] == 'local'
    assert host['fw'] == 'MXTGM.081.215'
    facts = host['printfleet_printer']
    assert facts['address'] == '192.0.2.2' and facts['vendor'] == 'Lexmark' and facts['model'] == 'CX825de'
    assert facts['serial'] == 'LAB2' and facts['page_count'] == 1037 and facts['sys_name'] == 'printer02'
    assert facts['sys_object_id'] == '1.3.6.1.4.1.641.1.822' and facts['sys_descr'].startswith('Lexmark CX825de')
    assert 'reachable' not in facts and 'error' not in facts
    assert SECRET not in json.dumps(dict((h, inventory.get_host(h).get_vars()) for h in inventory.hosts), default=str)


def test_local_connection_off(tmp_path, sweep):
    inventory, dummy = run(write_config(tmp_path, {'targets': ['192.0.2.1'], 'local_connection': False}))
    assert 'ansible_connection' not in inventory.get_host('192.0.2.1').get_vars()


def test_cache_hit_needs_no_network_and_flush_rescans(tmp_path, sweep, monkeypatch):
    cache_dir = tmp_path / 'cache'
    path = write_config(tmp_path, {'targets': ['192.0.2.0/29'], 'community': SECRET, 'cache': True,
                                   'cache_plugin': 'jsonfile', 'cache_connection': str(cache_dir)})
    first, dummy = run(path)
    assert len(sweep.calls) == 1 and len(first.hosts) == 4
    files = os.listdir(str(cache_dir))
    assert len(files) == 1
    stored = (cache_dir / files[0]).read_text()
    assert SECRET not in stored and '192.0.2.2' in stored

    def no_network(*args, **kwargs):
        raise AssertionError('the cache should have answered')

    monkeypatch.setattr(printer_fleet, 'collect', no_network)
    second, dummy = run(path)
    assert sorted(second.hosts) == sorted(first.hosts)
    assert groups_of(second) == groups_of(first)
    assert second.get_host('192.0.2.2').get_vars()['printfleet_printer']['model'] == 'CX825de'

    # --flush-cache (cache=False): a new sweep, here of an empty network, which replaces the cached one.
    empty = Sweep(fleet={})
    monkeypatch.setattr(printer_fleet, 'collect', empty)
    flushed, dummy = run(path, cache=False)
    assert len(empty.calls) == 1 and not flushed.hosts
    monkeypatch.setattr(printer_fleet, 'collect', no_network)
    after, dummy = run(path)
    assert not after.hosts


def test_cache_key_follows_the_discovery_settings_not_the_secrets(tmp_path, sweep):
    keys = []
    for config in ({'targets': ['192.0.2.1']}, {'targets': ['192.0.2.1'], 'community': 'other'},
                   {'targets': ['192.0.2.1'], 'timeout': 3}, {'targets': ['192.0.2.2']},
                   {'targets': ['192.0.2.1'], 'version': '1'}):
        path = write_config(tmp_path, config)
        dummy, plugin = run(path)
        keys.append(plugin.get_cache_key(path))
    assert keys[0] == keys[1] == keys[2]
    assert len(set([keys[0], keys[3], keys[4]])) == 3
    assert all(k.startswith(NAME) or k.startswith('printers_k') for k in keys)


def test_secrets_from_env_and_vault(tmp_path, sweep, monkeypatch):
    monkeypatch.setenv('PRINTFLEET_SNMP_COMMUNITY', 'from-env-1')
    run(write_config(tmp_path, {'targets': ['192.0.2.1']}))
    assert sweep.calls[-1]['params']['community'] == 'from-env-1'
    # The file wins over the environment; a vaulted value is decrypted.
    secret = VaultSecret(b'unit-vault-password')
    vault = VaultLib([('default', secret)])
    encrypted = vault.encrypt(SECRET, secret).decode()
    text = 'plugin: %s\ntargets: [192.0.2.1]\nversion: "3"\nusername: mve\nauth_key: !vault |\n%s\n' % (
        NAME, '\n'.join('  ' + line for line in encrypted.splitlines()))
    loader = DataLoader()
    loader.set_vault_secrets([('default', secret)])
    if VaultSecretsContext is not None:  # as the CLI does (ansible-core 2.19+)
        monkeypatch.setattr(VaultSecretsContext, '_current', VaultSecretsContext([('default', secret)]))
    run(write_config(tmp_path, text), loader=loader)
    params = sweep.calls[-1]['params']
    assert params['auth_key'] == SECRET and params['auth_protocol'] == 'sha' and params['username'] == 'mve'
    monkeypatch.setenv('PRINTFLEET_SNMP_AUTH_KEY', 'env-auth-key-1')
    run(write_config(tmp_path, {'targets': ['192.0.2.1'], 'version': '3', 'username': 'mve'}))
    assert sweep.calls[-1]['params']['auth_key'] == 'env-auth-key-1'


@pytest.mark.parametrize('config, words', [
    ({'targets': ['192.0.2.0/33']}, 'targets[0]: '),
    ({'targets': ['192.0.2.1'], 'exclude': ['nope']}, 'exclude[0]: '),
    ({'targets': ['10.0.0.0/8']}, 'targets: the targets cover 16777214 addresses'),
    ({'targets': ['192.0.2.0/24'], 'max_hosts': 100}, 'more than max_hosts (100)'),
    ({'targets': ['192.0.2.1'], 'version': '3'}, 'username: required'),
    ({'targets': ['192.0.2.1'], 'version': '3', 'username': 'u', 'auth_key': 'short'}, 'auth_key: must be at least'),
    ({'targets': ['192.0.2.1'], 'concurrency': 0}, 'concurrency: got 0'),
    ({'targets': ['192.0.2.1'], 'port': 70000}, 'port: '),
    ({'targets': ['192.0.2.1'], 'timeout': 0}, 'timeout: '),
])
def test_bad_config_fails_naming_the_field_before_any_sweep(tmp_path, sweep, config, words):
    with pytest.raises(AnsibleParserError) as info:
        run(write_config(tmp_path, dict(config, community=SECRET)))
    assert words in str(info.value)
    assert SECRET not in str(info.value)
    assert not sweep.calls


def test_bad_choice_is_refused_by_the_options(tmp_path, sweep):
    with pytest.raises(AnsibleError, match='hostname'):
        run(write_config(tmp_path, {'targets': ['192.0.2.1'], 'hostname': 'mac'}))
    assert not sweep.calls


def test_a_sweep_failure_is_an_ansible_error(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError('boom')

    monkeypatch.setattr(printer_fleet, 'collect', broken)
    with pytest.raises(AnsibleError, match='the SNMP sweep failed: boom'):
        run(write_config(tmp_path, {'targets': ['192.0.2.1']}))
