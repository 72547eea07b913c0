#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: printer_snmp
short_description: Read and set a printer's SNMP objects (v1, v2c, v3), idempotently
version_added: 0.1.0
description:
  - Reads objects of one printer's SNMP agent with O(get) and O(walk), and sets objects with O(set).
  - With O(printers) instead of O(host) it does the same on a whole fleet in one task, concurrently
    (O(concurrency) printers at a time), and returns one result per printer in RV(printers).
  - Objects are given as dotted OIDs or by name. Names cover the MIB-II system group (V(sysName),
    V(sysLocation), V(sysContact) are writable; V(sysDescr), V(sysObjectID), V(sysUpTime) are not),
    V(hrDeviceDescr), V(prtGeneralSerialNumber), V(prtMarkerLifeCount) and Lexmark's private
    V(prtgenPrinterName), V(prtgenCodeRevision), V(prtgenSerialNo).
  - Sets are idempotent. The module reads the objects first and sends one SET with only the objects whose value
    differs, then reads them back and fails when the printer did not take a value.
  - SNMP v1 and v2c use the collection's own lean message path; SNMPv3 (noAuthNoPriv, authNoPriv, authPriv with
    SHA-1, SHA-2 or MD5 and AES or DES) goes through pysnmp's asyncio API.
author:
  - printfleet.mve contributors (@printfleet)
extends_documentation_fragment:
  - printfleet.mve.snmp
  - printfleet.mve.results
attributes:
  check_mode:
    support: full
    description: In check mode the module reads the objects and reports the changes it would make, and sends no SET.
  diff_mode:
    support: full
    description: The diff shows the touched objects before and after, by name (or OID).
options:
  host:
    description:
      - Host name or IP address (IPv4 or IPv6) of the printer.
      - Give O(host) or O(printers).
    type: str
  printers:
    description:
      - Printers (host names or addresses) to do the same work on, concurrently, in this one task.
      - Give O(host) or O(printers). The task fails, listing them, when any printer failed; the others are done.
    type: list
    elements: str
  concurrency:
    description: With O(printers), how many printers are worked on at the same time.
    type: int
    default: 64
  get:
    description: Objects to read with one GET, as names or dotted OIDs.
    type: list
    elements: str
    default: []
  walk:
    description:
      - Subtrees to walk, as names or dotted OIDs. GETBULK for SNMP v2c and v3, GETNEXT for v1.
    type: list
    elements: str
    default: []
  set:
    description:
      - Objects to set, all in one SET request.
      - Use the write community (O(community)) or an SNMPv3 user with write access.
    type: list
    elements: dict
    default: []
    suboptions:
      oid:
        description: Dotted OID of the object. Give O(set[].oid) or O(set[].name).
        type: str
      name:
        description: Name of a known writable object, for example V(sysLocation).
        type: str
      value:
        description: The wanted value.
        type: raw
        required: true
      type:
        description:
          - SNMP type of the value. Known names bring their type; an OID needs one.
          - Also accepted are the single letters of net-snmp's C(snmpset) (V(i), V(s), V(a), V(o), V(c), V(u), V(t), V(x)).
        type: str
notes:
  - A wrong community is reported as a timeout (C(error_kind=timeout)), since agents drop such requests silently.
  - A wrong SNMPv3 authentication key fails with C(error_kind=authentication); a wrong privacy key with
    C(error_kind=decryption) (the module proves it by asking the same user with authentication only).
  - An object the agent will not write fails with the agent's error, for example C(error_kind=not_writable)
    (SNMP v2c/v3 notWritable) or C(error_kind=no_such_object) (SNMP v1 noSuchName).
'''

EXAMPLES = r'''
- name: Set the location and contact of the whole fleet in one task
  printfleet.mve.printer_snmp:
    printers: "{{ groups['printers'] | map('extract', hostvars, 'ansible_host') | list }}"
    community: "{{ vault_snmp_write_community }}"
    set:
      - name: sysLocation
        value: HQ
      - name: sysContact
        value: printer-admins@example.com
  run_once: true

- name: Name and place a printer (SNMP v2c write community)
  printfleet.mve.printer_snmp:
    host: printer01.example.com
    community: "{{ vault_snmp_write_community }}"
    set:
      - name: sysName
        value: printer01
      - name: sysLocation
        value: Building 2, floor 3
      - name: sysContact
        value: helpdesk@example.com
  delegate_to: localhost

- name: Same with SNMPv3 authPriv (SHA-256 / AES-256)
  printfleet.mve.printer_snmp:
    host: "{{ ansible_host }}"
    version: '3'
    username: mve
    auth_protocol: sha256
    auth_key: "{{ vault_snmp_auth_key }}"
    priv_protocol: aes256
    priv_key: "{{ vault_snmp_priv_key }}"
    set:
      - name: sysLocation
        value: Building 2, floor 3
  delegate_to: localhost

- name: Read a few objects and walk the supplies descriptions
  printfleet.mve.printer_snmp:
    host: 192.0.2.10
    get: [sysDescr, sysObjectID, 1.3.6.1.2.1.43.5.1.1.17.1]
    walk: [1.3.6.1.2.1.43.11.1.1.6]
  delegate_to: localhost
  register: snmp

- name: Set an object by OID with its type
  printfleet.mve.printer_snmp:
    host: 192.0.2.10
    community: "{{ vault_snmp_write_community }}"
    set:
      - oid: 1.3.6.1.4.1.99999.1.2.0
        type: integer
        value: 3
  delegate_to: localhost
'''

RETURN = r'''
printers:
  description:
    - With O(printers), the result of each printer (the keys below, plus C(failed), C(msg) and C(error_kind)
      for a printer that failed), keyed by printer.
  returned: when O(printers) is given
  type: dict
  sample: {'10.20.0.15': {changed: true, changes: [{name: sysLocation, before: '', after: HQ floor 2}]}}
failed_printers:
  description: With O(printers), the printers whose work failed.
  returned: when O(printers) is given
  type: list
  elements: str
  sample: ['10.20.0.99']
values:
  description: Every object read (O(get), O(walk), and the objects of O(set) as last read), OID -> value.
  returned: when O(host) is given
  type: dict
  sample: {'1.3.6.1.2.1.1.5.0': printer01, '1.3.6.1.2.1.1.3.0': 8640000}
named:
  description: The values of the objects that have a name, name -> value.
  returned: when O(host) is given
  type: dict
  sample: {sysName: printer01, sysUpTime: 8640000}
missing:
  description: Objects of O(get) the agent does not have, OID -> V(noSuchObject) or V(noSuchInstance).
  returned: when O(host) is given
  type: dict
  sample: {'1.3.6.1.4.1.641.2.1.2.1.6.1': noSuchObject}
walked:
  description: For each O(walk) subtree (as a dotted OID), the OIDs found under it, in order.
  returned: when O(host) is given
  type: dict
  sample: {'1.3.6.1.2.1.43.11.1.1.6': ['1.3.6.1.2.1.43.11.1.1.6.1.1', '1.3.6.1.2.1.43.11.1.1.6.1.2']}
changes:
  description: The objects that differed and were set (or would be, in check mode).
  returned: when O(host) is given, and on failure when the printer did not take a SET (RV(error_kind=not_taken))
  type: list
  elements: dict
  contains:
    oid:
      description: Dotted OID.
      type: str
      sample: 1.3.6.1.2.1.1.6.0
    name:
      description: The object's name, or null.
      type: str
      sample: sysLocation
    type:
      description: The SNMP type sent.
      type: str
      sample: octet_string
    before:
      description: The value read before the SET (null when the object had no value).
      type: raw
      sample: Building 1
    after:
      description: The value set.
      type: raw
      sample: Building 2, floor 3
error_kind:
  description:
    - Why the module failed, V(input) for bad options (see the notes), else the agent's answer, for example
      V(timeout), V(unreachable), V(authentication), V(decryption), V(not_writable), V(read_only), V(no_access),
      V(wrong_type), V(no_such_object) or V(not_taken).
    - With O(printers), a failed printer's own C(error_kind) is in RV(printers).
  returned: on failure, except when printers of O(printers) failed
  type: str
  sample: not_writable
oid:
  description: The object the agent's error is about; null when the agent blamed none.
  returned: on failure, when an SNMP request failed or the printer did not take a SET
  type: str
  sample: 1.3.6.1.2.1.1.1.0
error_status:
  description: The agent's error-status name (for example V(notWritable)); null when the request got no error-status.
  returned: on failure, when an SNMP request failed
  type: str
  sample: notWritable
field:
  description:
    - The option a failure is about, as the user wrote it (for example C(port), C(targets[3].port),
      C(peers.printer[2]), C(username)); see the notes.
  returned: on failure, when the failure is about an option
  type: str
  sample: port
'''

import asyncio

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import InputError, failure
from ansible_collections.printfleet.mve.plugins.module_utils.printers import snmp_ops as printer_ops
from ansible_collections.printfleet.mve.plugins.module_utils.printers import snmp_client
from ansible_collections.printfleet.mve.plugins.module_utils.printers import fleet
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp as snmp_wire


def main():
    module = printer_ops.ARGUMENT_SPEC.create_module()
    if not snmp_wire.HAS_PYSNMP:
        module.fail_json(msg=missing_required_lib('pysnmp'), exception=snmp_wire.PYSNMP_IMPORT_ERROR)
    params = dict(module.params)
    params.update(snmp_wire.resolve_snmp_params(module.params))
    errors = snmp_client.option_errors(params) + printer_ops.input_errors(params)
    if params['printers'] is not None:
        errors += [InputError('printers[%d]' % i, 'must be a printer host name or address, got an empty string')
                   for i, h in enumerate(params['printers']) if not (h or '').strip()]
        if not 1 <= params['concurrency'] <= 4096:
            errors.append(InputError('concurrency', 'got %r, expected an integer from 1 to 4096'
                                     % (params['concurrency'],)))
    if errors:
        module.fail_json(changed=False, **failure(InputError.gather(errors)))
    if params['printers'] is not None:
        fleet_main(module, params)
    try:
        result = asyncio.run(printer_ops.run(params, module.check_mode))
    except printer_ops.Failure as exc:
        module.fail_json(changed=fleet.sent(exc), **failure(exc))
    except snmp_client.SnmpError as exc:
        module.fail_json(changed=fleet.sent(exc), **failure(exc))
    module.exit_json(**result)


def fleet_main(module, params):
    """O(printers): the same work on every printer in one task; fails listing the printers that failed."""
    try:
        printers = asyncio.run(printer_ops.run_fleet(params, params['printers'], module.check_mode,
                                                     params['concurrency']))
    except printer_ops.Failure as exc:  # bad get/walk/set input, the same for every printer
        module.fail_json(changed=False, **failure(exc))
    changed, failed, msg = fleet.outcome(printers)
    diff = fleet.diff(dict((h, r['diff']) for h, r in printers.items() if r.get('diff')))
    result = dict(changed=changed, printers=printers, failed_printers=failed, diff=diff)
    if msg:
        module.fail_json(msg=msg, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
