# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
name: printers
short_description: Discover printers over SNMP in subnets and ranges, grouped by vendor and model
version_added: 0.1.0
description:
  - Sweeps the addresses of O(targets) (addresses, CIDR networks, ranges) less O(exclude) over SNMP, the way
    Markvision Enterprise's discovery profiles do, and adds every printer that answers as a host, named after
    O(hostname), with its address in C(ansible_host) and its facts in C(printfleet_printer).
  - Each printer goes into C(vendor_<vendor>) (from the enterprise number of sysObjectID, 641 is Lexmark) and
    C(model_<model>) (for example C(vendor_lexmark) and C(model_ms822de)); names are lower case with every run of
    other characters than letters and digits turned into C(_). A printer whose vendor is not known goes into
    C(vendor_unknown). O(compose), O(groups) and O(keyed_groups) add more.
  - The sweep is one asyncio run over all addresses with at most O(concurrency) in flight, through the engine of
    the P(printfleet.mve.printer_facts#module) module (one GET and one GETBULK per address for v1/v2c). Addresses
    that do not answer are skipped; how many, and why, is shown with C(-v) (and as a warning when none answered).
  - With O(cache=true) the discovered printers are kept in Ansible's inventory cache, keyed by this file's path
    and its discovery settings (targets, exclude, port, version, user and protocols; never the secrets). Later
    runs read the cache until O(cache_timeout) expires; C(--flush-cache) sweeps again.
  - Printers run no Python. Plays that target these hosts run the collection's modules on the controller or the
    MVE server, either per printer with a local connection (O(local_connection), the default) or once for the
    whole play with C(run_once) and C(delegate_to) (P(printfleet.mve.printer_facts#module)).
  - The configuration file's name must end with C(printers.yml) or C(printers.yaml).
author:
  - printfleet.mve contributors (@printfleet)
extends_documentation_fragment:
  - constructed
  - inventory_cache
requirements:
  - pysnmp >= 7.1 and pyasn1 on the controller
options:
  plugin:
    description: Marks the file as a source of this plugin.
    required: true
    type: str
    choices: ['printfleet.mve.printers']
  targets:
    description:
      - What to sweep. Each item is an IPv4 or IPv6 address (V(192.0.2.10)), a CIDR network (V(192.0.2.0/24), meaning its
        host addresses, without the network and broadcast addresses), or an inclusive range of two addresses
        (V(192.0.2.10-192.0.2.50)); for IPv4 the end of a range may be its last octet only (V(192.0.2.10-50)).
      - Overlapping items are swept once.
    type: list
    elements: str
    required: true
  exclude:
    description:
      - Addresses, CIDR networks (all their addresses) and ranges, in the syntax of O(targets), not to sweep.
    type: list
    elements: str
    default: []
  max_hosts:
    description:
      - The most addresses one sweep may cover (after O(exclude)). A bigger sweep fails before anything is sent,
        naming O(targets).
    type: int
    default: 65536
  port:
    description: UDP port of the printers' SNMP agents. When unset, the port matrix flow C(printer.snmp) (UDP 161).
    type: int
  version:
    description: SNMP version.
    type: str
    choices: ['1', '2c', '3']
    default: 2c
    env:
      - name: PRINTFLEET_SNMP_VERSION
  community:
    description:
      - SNMP v1/v2c community. When unset, V(public).
      - A secret. Give it through the environment (for AWX, a custom credential type that injects
        E(PRINTFLEET_SNMP_COMMUNITY)), or vault-encrypt it in the file (C(!vault |)).
      - Printers drop requests with a wrong community, so a wrong community looks like an empty network.
    type: str
    env:
      - name: PRINTFLEET_SNMP_COMMUNITY
  username:
    description: SNMPv3 user name; required when O(version=3).
    type: str
    env:
      - name: PRINTFLEET_SNMP_USERNAME
  auth_protocol:
    description: SNMPv3 authentication protocol. When unset and O(auth_key) is given, V(sha).
    type: str
    choices: [md5, sha, sha224, sha256, sha384, sha512]
    env:
      - name: PRINTFLEET_SNMP_AUTH_PROTOCOL
  auth_key:
    description: SNMPv3 authentication pass phrase (at least 8 characters). A secret, like O(community).
    type: str
    env:
      - name: PRINTFLEET_SNMP_AUTH_KEY
  priv_protocol:
    description: SNMPv3 privacy protocol. When unset and O(priv_key) is given, V(aes) (AES-128).
    type: str
    choices: [des, 3des, aes, aes192, aes256]
    env:
      - name: PRINTFLEET_SNMP_PRIV_PROTOCOL
  priv_key:
    description: SNMPv3 privacy pass phrase (at least 8 characters); needs O(auth_key). A secret, like O(community).
    type: str
    env:
      - name: PRINTFLEET_SNMP_PRIV_KEY
  context:
    description: SNMPv3 context name. When unset, the default (empty) context.
    type: str
  timeout:
    description:
      - Seconds to wait for each reply before resending. Most addresses of a sweep are empty, and each costs
        O(timeout) times (O(retries) + 1) unless the address answers with an ICMP unreachable.
    type: float
    default: 1.0
    env:
      - name: PRINTFLEET_SNMP_TIMEOUT
    ini:
      - section: printfleet_mve_printers
        key: timeout
  retries:
    description: How many times a request is resent after a silent O(timeout).
    type: int
    default: 1
    env:
      - name: PRINTFLEET_SNMP_RETRIES
    ini:
      - section: printfleet_mve_printers
        key: retries
  concurrency:
    description: How many addresses may be in flight at once. The open-files limit is raised to fit.
    type: int
    default: 256
    env:
      - name: PRINTFLEET_SNMP_CONCURRENCY
    ini:
      - section: printfleet_mve_printers
        key: concurrency
  hostname:
    description:
      - How to name each printer's host. V(address) is its IP address. V(sys_name) (sysName.0) and V(serial)
        (the serial number) fall back to the address when the printer has none, when the value is not a usable
        host name (letters, digits, C(.), C(_), C(-)), or when another printer of the sweep already has it.
    type: str
    choices: [address, sys_name, serial]
    default: address
  local_connection:
    description:
      - Set C(ansible_connection=local) on every printer, so that a play over the printers runs the collection's
        modules on the controller (each against C(ansible_host)), never trying SSH to a printer.
      - Set it to V(false) when plays reach the printers only through C(delegate_to), or to set the connection
        yourself (O(compose)).
    type: bool
    default: true
notes:
  - Only addresses are swept; host names in O(targets) are refused.
  - "Host variables: C(ansible_host) (the address) and C(printfleet_printer): C(address), C(vendor), C(model),
    C(serial), C(firmware), C(sys_descr), C(sys_object_id), C(sys_name), C(sys_location), C(sys_contact),
    C(uptime_s), C(page_count) and C(supplies), as P(printfleet.mve.printer_facts#module) returns them (read at
    discovery time: cached values age with the cache)."
  - The community and the SNMPv3 keys never reach the cache, the host variables or any message.
'''

EXAMPLES = r'''
# fleet.printers.yml: the printers of two subnets, but not the print servers
plugin: printfleet.mve.printers
targets:
  - 10.20.0.0/22
  - 10.30.5.10-10.30.5.99
exclude:
  - 10.20.0.1-10.20.0.9
# community: from PRINTFLEET_SNMP_COMMUNITY, or vault-encrypted here
hostname: sys_name
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: /var/cache/ansible/printers
cache_timeout: 86400
groups:
  printers: true
  mono: printfleet_printer.model is match('M')
keyed_groups:
  - key: printfleet_printer.firmware
    prefix: firmware

---
# A second file: SNMPv3 authPriv; the keys come from PRINTFLEET_SNMP_AUTH_KEY and PRINTFLEET_SNMP_PRIV_KEY
plugin: printfleet.mve.printers
targets: [192.0.2.0/24]
version: '3'
username: mve
auth_protocol: sha256
priv_protocol: aes256
concurrency: 512
compose:
  snmp_location: printfleet_printer.sys_location
'''

import hashlib
import ipaddress
import json
import re

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.printfleet.mve.plugins.module_utils.common import addresses
from ansible_collections.printfleet.mve.plugins.module_utils.common import errors as printfleet_errors
from ansible_collections.printfleet.mve.plugins.module_utils.printers import fleet_facts as printer_fleet
from ansible_collections.printfleet.mve.plugins.module_utils.printers import snmp_client
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp as snmp_wire

CACHE_FORMAT = 1
FACTS_VAR = 'printfleet_printer'
SECRET_OPTIONS = ('community', 'auth_key', 'priv_key')
# The options that decide which printers a sweep finds: part of the cache key (secrets never are).
DISCOVERY_OPTIONS = ('targets', 'exclude', 'port', 'version', 'username', 'context', 'auth_protocol',
                     'priv_protocol')
# Keys of printer_fleet.read_printer that describe the read, not the printer.
_READ_KEYS = ('reachable', 'error', 'error_kind')
_HOST_NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]*$')


# A bad item of targets or exclude, or a bad max_hosts; ``field`` names it (``targets[2]``).
TargetError = printfleet_errors.TargetError


# ---- targets --------------------------------------------------------------------------------------------

def parse_item(item, field, exclude=False):
    """``Interval(ip version, first int, last int)`` of one targets/exclude item (inclusive): a network of
    targets means its host addresses, one of exclude all its addresses."""
    return addresses.parse(item, field, hosts=not exclude)


def plan_targets(targets, exclude=None, max_hosts=65536):
    """The intervals to sweep: ``targets`` less ``exclude``, checked against ``max_hosts``.

    Raises TargetError naming the field (``targets``, ``targets[i]``, ``exclude[i]``, ``max_hosts``).
    """
    if isinstance(max_hosts, bool) or not isinstance(max_hosts, int) or max_hosts < 1:
        raise TargetError('max_hosts', 'got %r, expected a positive integer' % (max_hosts,))
    if not isinstance(targets, list) or not targets:
        raise TargetError('targets', 'give at least one address, CIDR network or range')
    wanted = addresses.parse_list(targets, 'targets', hosts=True)
    removed = addresses.parse_list(exclude or [], 'exclude')
    intervals = addresses.subtract(addresses.merge(wanted), addresses.merge(removed))
    count = addresses.count(intervals)
    if count > max_hosts:
        raise TargetError('targets', 'the targets cover %d addresses (after exclude), more than max_hosts (%d): '
                                     'sweep smaller networks, or raise max_hosts' % (count, max_hosts))
    return intervals


# Every address (str) of the intervals of plan_targets, in order.
expand = addresses.expand


# ---- naming ---------------------------------------------------------------------------------------------

def safe_name(text):
    """Lower case, each run of other characters than letters and digits as one ``_``: ``MS822de`` -> ``ms822de``."""
    return re.sub(r'[^a-z0-9]+', '_', str(text).lower()).strip('_')


def vendor_group(facts):
    name = safe_name(facts.get('vendor') or '')
    return 'vendor_' + (name or 'unknown')


def model_group(facts):
    name = safe_name(facts.get('model') or '')
    return 'model_' + name if name else None


def host_names(printers, hostname='address'):
    """{address: host name} for the printers ({address: facts}); collisions and unusable names -> the address."""
    names = {}
    taken = set(printers)  # an address is always its own printer's name, never another's
    for address in sorted(printers, key=_sort_key):
        name = address
        if hostname != 'address':
            value = printers[address].get(hostname)
            value = str(value).strip() if value is not None else ''
            if value and _HOST_NAME_RE.match(value) and value not in taken:
                name = value
                taken.add(value)
        names[address] = name
    return names


def _sort_key(address):
    try:
        ip = ipaddress.ip_address(address)
        return (ip.version, int(ip))
    except ValueError:
        return (99, address)


def host_facts(address, facts):
    """The ``printfleet_printer`` variable: the printer's facts without the read's status fields."""
    out = dict((k, v) for k, v in facts.items() if k not in _READ_KEYS)
    out['address'] = address
    return out


def describe(summary, cached=False):
    errors = ', '.join('%s %d' % (k, v) for k, v in sorted((summary.get('errors') or {}).items(), key=str))
    text = '%d printer%s answered of %d address%s' % (
        summary.get('reachable', 0), '' if summary.get('reachable') == 1 else 's', summary.get('total', 0),
        '' if summary.get('total') == 1 else 'es')
    if summary.get('unreachable'):
        text += '; %d did not (%s)' % (summary['unreachable'], errors)
    text += ' in %s ms' % summary.get('elapsed_ms')
    if cached:
        text += ' (from the inventory cache)'
    return text


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = 'printfleet.mve.printers'

    def verify_file(self, path):
        if not super(InventoryModule, self).verify_file(path):
            return False
        return path.endswith(('printers.yml', 'printers.yaml'))

    # ---- options ------------------------------------------------------------------------------------

    def _option(self, name):
        value = self.get_option(name)
        if isinstance(value, str) and self.templar.is_template(value):
            value = self.templar.template(value)  # "{{ lookup('env', ...) }}" and the like
        if value is not None and name in SECRET_OPTIONS + ('username', 'context'):
            value = str(value)  # a vaulted value decrypts here
        return value

    def snmp_params(self):
        """The module-style params of printer_fleet (shared SNMP argument spec names), validated."""
        params = dict((name, self._option(name)) for name in snmp_wire.SNMP_OPTION_NAMES)
        params.update(port=self.get_option('port'), timeout=self.get_option('timeout'),
                      retries=self.get_option('retries'))
        resolved = dict(params)
        resolved.update(snmp_wire.resolve_snmp_params(params))
        problems = snmp_client.option_errors(resolved)
        concurrency = self.get_option('concurrency')
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= 65536:
            problems.append(printfleet_errors.InputError('concurrency', 'got %r, expected an integer from 1 to '
                                                         '65536' % (concurrency,)))
        if problems:
            raise AnsibleParserError('%s: %s' % (self.NAME, printfleet_errors.InputError.gather(problems)))
        return resolved

    def plan(self):
        try:
            return plan_targets(self.get_option('targets'), self.get_option('exclude'), self.get_option('max_hosts'))
        except TargetError as exc:
            raise AnsibleParserError('%s: %s' % (self.NAME, exc))

    def get_cache_key(self, path):
        """The path and the discovery options, never the secrets: another sweep gets another entry."""
        config = dict((name, self.get_option(name)) for name in DISCOVERY_OPTIONS)
        text = json.dumps([str(path), config], sort_keys=True, default=str)
        return '%s_k%s' % (self.ansible_name or self.NAME, hashlib.sha256(text.encode('utf-8')).hexdigest()[:16])

    # ---- discovery ----------------------------------------------------------------------------------

    def discover(self, addresses, params):
        """{'format', 'printers': {address: facts} (answering ones), 'summary'}: one asyncio run."""
        if not snmp_wire.HAS_PYSNMP:
            raise AnsibleError('%s needs pysnmp >= 7.1 and pyasn1 on the controller: %s'
                               % (self.NAME, snmp_wire.PYSNMP_IMPORT_ERROR.strip().splitlines()[-1]))
        try:
            printers, summary = printer_fleet.collect(addresses, params, self.get_option('concurrency'))
        except Exception as exc:  # pylint: disable=broad-except
            # Messages of the SNMP engine never carry secrets (snmp_client's contract).
            raise AnsibleError('%s: the SNMP sweep failed: %s' % (self.NAME, to_native(exc)))
        answering = dict((address, facts) for address, facts in printers.items() if facts.get('reachable'))
        return {'format': CACHE_FORMAT, 'printers': answering, 'summary': summary}

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        intervals = self.plan()
        params = self.snmp_params()

        cache_key = self.get_cache_key(path)
        use_cache = self.get_option('cache')
        result = None
        cached = False
        if use_cache and cache:
            try:
                result = self._cache[cache_key]
            except KeyError:
                result = None
            if not isinstance(result, dict) or result.get('format') != CACHE_FORMAT:
                result = None
            else:
                cached = True
        if result is None:
            result = self.discover(expand(intervals), params)
            if use_cache:
                self._cache[cache_key] = result
        summary = result.get('summary') or {}
        self.display.v('%s %s: %s' % (self.NAME, path, describe(summary, cached)))
        if not cached and summary.get('total') and not summary.get('reachable'):
            self.display.warning('%s %s: no printer answered on %d addresses (%s): check the addresses, the '
                                 'community or SNMPv3 user, and ACLs on the way'
                                 % (self.NAME, path, summary['total'],
                                    ', '.join('%s %d' % kv for kv in sorted(summary.get('errors', {}).items()))))
        printers = result.get('printers') or {}
        del result
        # Without the cache nothing else holds the discovered facts: populate lets each printer's go once its
        # host variables are set (Ansible keeps its own tagged copy of every value; at 10,000 printers both at
        # once cost 22 MiB more at the peak).
        self.populate(printers, consume=not use_cache)

    def populate(self, printers, consume=False):
        names = host_names(printers, self.get_option('hostname'))
        strict = self.get_option('strict')
        for address in sorted(printers, key=_sort_key):
            facts = printers.pop(address) if consume else printers[address]
            host = self.inventory.add_host(names[address])
            self.inventory.set_variable(host, 'ansible_host', address)
            if self.get_option('local_connection'):
                self.inventory.set_variable(host, 'ansible_connection', 'local')
            self.inventory.set_variable(host, FACTS_VAR, host_facts(address, facts))
            for group in (vendor_group(facts), model_group(facts)):
                if group:
                    self.inventory.add_group(group)
                    self.inventory.add_child(group, host)
            variables = self.inventory.get_host(host).get_vars()
            self._set_composite_vars(self.get_option('compose'), variables, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), variables, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), variables, host, strict=strict)
