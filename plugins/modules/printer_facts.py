#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: printer_facts
short_description: Read the SNMP facts of many printers in one task, concurrently
version_added: 0.1.0
description:
  - Reads, for every printer of O(printers), its identity (sysDescr, sysObjectID and the vendor it names, model,
    serial number, firmware), uptime, page count and supplies levels, and reports them keyed by printer.
  - One task reads the whole fleet on one asyncio loop with at most O(concurrency) printers in flight. For SNMP
    v1 and v2c each printer costs one GET carrying all the scalar objects and one GETBULK (v2c) or GETNEXT (v1)
    over the supplies table, sent at once on the printer's own UDP socket; no pysnmp engine is created.
  - Sources. Model from Lexmark's private C(prtgenPrinterName) (LEXMARK-PVT-MIB) or C(deviceModel)
    (LEXMARK-MPS-MIB) when present, else HOST-RESOURCES C(hrDeviceDescr); serial from Printer-MIB
    C(prtGeneralSerialNumber), else Lexmark's private serial; firmware from Lexmark's C(prtgenCodeRevision) or
    the C(version) word of sysDescr; page count from C(prtMarkerLifeCount); supplies from
    C(prtMarkerSuppliesDescription), C(prtMarkerSuppliesLevel) and C(prtMarkerSuppliesMaxCapacity).
  - Run it once per play (C(run_once=true)) over the play's printers; AWX job slicing then spreads a large fleet
    across execution nodes.
author:
  - printfleet.mve contributors (@printfleet)
extends_documentation_fragment:
  - printfleet.mve.snmp
  - printfleet.mve.results
attributes:
  check_mode:
    support: full
    description: The module only reads; check mode reads the same facts.
  diff_mode:
    support: none
    description: The module changes nothing.
options:
  printers:
    description:
      - Host names or addresses of the printers to read.
      - When omitted, the play's hosts (C(ansible_play_hosts)) are read, each by its C(ansible_host). Run the task
        once (C(run_once=true)) in a play over the printers and the whole play's fleet is read in that one task;
        AWX job slicing then gives each slice its share of the fleet.
    type: list
    elements: str
  concurrency:
    description: How many printers may be read at once. The open-files limit is raised to fit.
    type: int
    default: 256
'''

EXAMPLES = r'''
- name: Read the facts of every printer of this play (or of this AWX job slice) in one task
  printfleet.mve.printer_facts:
    community: "{{ vault_snmp_community }}"
  run_once: true
  delegate_to: localhost
  register: fleet

- name: Read the facts of every printer of the play in one task
  printfleet.mve.printer_facts:
    printers: "{{ ansible_play_hosts | map('extract', hostvars, 'ansible_host') | list }}"
    community: "{{ vault_snmp_community }}"
  run_once: true
  delegate_to: localhost
  register: fleet

- name: Printers that did not answer, and why
  ansible.builtin.debug:
    msg: "{{ item.key }}: {{ item.value.error }}"
  loop: "{{ fleet.printers | dict2items | rejectattr('value.reachable') }}"
  run_once: true

- name: SNMPv3 authPriv
  printfleet.mve.printer_facts:
    printers: [192.0.2.10, 192.0.2.11]
    version: '3'
    username: mve
    auth_protocol: sha256
    auth_key: "{{ vault_snmp_auth_key }}"
    priv_protocol: aes
    priv_key: "{{ vault_snmp_priv_key }}"
  delegate_to: localhost
'''

RETURN = r'''
printers:
  description: Facts per printer, keyed by the host as given in O(printers).
  returned: always
  type: dict
  sample:
    192.0.2.10:
      reachable: true
      error: null
      error_kind: null
      sys_descr: Lexmark MS822de version MXTGM.081.215 kernel 4.17.19-yocto-standard All-N-1
      sys_object_id: 1.3.6.1.4.1.641.1.822
      vendor: Lexmark
      model: MS822de
      serial: LAB5000001
      firmware: MXTGM.081.215
      uptime_s: 86400
      page_count: 12345
      sys_name: printer01
      sys_location: Building 2
      sys_contact: helpdesk
      supplies:
        - {index: '1.1', description: Black Toner Cartridge, level: 4500, max_capacity: 15000, percent: 30.0}
    192.0.2.99:
      reachable: false
      error_kind: timeout
      error: 'no reply: wrong community, ACL, or no agent (SNMP v2c to 192.0.2.99:161, 2 attempts of 2.0 s)'
  contains:
    reachable:
      description: Whether the printer's facts could be read.
      type: bool
    error:
      description: Why not, as a sentence; null when reachable.
      type: str
    error_kind:
      description: V(timeout), V(unreachable), V(resolve), V(authentication), V(decryption), ...; null when reachable.
      type: str
    sys_descr:
      description: sysDescr.0.
      type: str
    sys_object_id:
      description: sysObjectID.0.
      type: str
    vendor:
      description: Vendor from the sysObjectID's enterprise number (641 is Lexmark), else from the description.
      type: str
    model:
      description: Model name, without the vendor's name.
      type: str
    serial:
      description: Serial number.
      type: str
    firmware:
      description: Firmware version, when known.
      type: str
    uptime_s:
      description: Seconds since the SNMP agent started (sysUpTime).
      type: int
    page_count:
      description: Lifetime page count (prtMarkerLifeCount).
      type: int
    sys_name:
      description: sysName.0.
      type: str
    sys_location:
      description: sysLocation.0.
      type: str
    sys_contact:
      description: sysContact.0.
      type: str
    supplies:
      description:
        - Supplies (toner, imaging unit, ...). V(level) and V(max_capacity) are the Printer-MIB values
          (-2 unknown, -3 some remaining); V(percent) is null unless both are known.
      type: list
      elements: dict
    supplies_error:
      description: Why the supplies table could not be read, when the other facts could.
      type: str
summary:
  description: Counts and time.
  returned: always
  type: dict
  sample: {total: 1000, reachable: 999, unreachable: 1, errors: {timeout: 1}, elapsed_ms: 812.4}
field:
  description:
    - The option a failure is about, as the user wrote it (for example C(port), C(targets[3].port),
      C(peers.printer[2]), C(username)); see the notes.
  returned: on failure, when the failure is about an option
  type: str
  sample: port
error_kind:
  description:
    - V(input) when the task failed on its options (see the notes). A printer that cannot be read does not
      fail the task; its own C(error_kind) is in RV(printers).
  returned: on failure
  type: str
  sample: input
'''

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import InputError, failure
from ansible_collections.printfleet.mve.plugins.module_utils.printers import fleet_facts as printer_fleet
from ansible_collections.printfleet.mve.plugins.module_utils.printers import snmp_client
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp as snmp_wire


def main():
    module = printer_fleet.ARGUMENT_SPEC.create_module()
    if not snmp_wire.HAS_PYSNMP:
        module.fail_json(msg=missing_required_lib('pysnmp'), exception=snmp_wire.PYSNMP_IMPORT_ERROR)
    params = dict(module.params)
    params.update(snmp_wire.resolve_snmp_params(module.params))
    errors = snmp_client.option_errors(params)
    if not 1 <= params['concurrency'] <= 65536:
        errors.append(InputError('concurrency', 'got %r, expected an integer from 1 to 65536'
                                 % (params['concurrency'],)))
    if params['printers'] is None:
        errors.append(InputError('printers', 'no printers to read: give the list, or run the task in a play over '
                                             'the printers (the action plugin then reads the play\'s hosts)'))
    hosts = []
    for index, host in enumerate(params['printers'] or []):
        if not isinstance(host, str) or not host.strip() or any(c.isspace() for c in host.strip()):
            errors.append(InputError('printers[%d]' % index, 'got %r, expected a host name or IP address'
                                     % (host,)))
        else:
            hosts.append(host.strip())
    if errors:
        module.fail_json(changed=False, **failure(InputError.gather(errors)))
    printers, summary = printer_fleet.collect(hosts, params, params['concurrency'])
    module.exit_json(changed=False, printers=printers, summary=summary)


if __name__ == '__main__':
    main()
