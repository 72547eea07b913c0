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
  - printfleet.mve.snmp.host
  - printfleet.mve.snmp
attributes:
  check_mode:
    support: full
    description: In check mode the module reads the objects and reports the changes it would make, and sends no SET.
  diff_mode:
    support: full
    description: The diff shows the touched objects before and after, by name (or OID).
options:
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
values:
  description: Every object read (O(get), O(walk), and the objects of O(set) as last read), OID -> value.
  returned: always
  type: dict
  sample: {'1.3.6.1.2.1.1.5.0': printer01, '1.3.6.1.2.1.1.3.0': 8640000}
named:
  description: The values of the objects that have a name, name -> value.
  returned: always
  type: dict
  sample: {sysName: printer01, sysUpTime: 8640000}
missing:
  description: Objects of O(get) the agent does not have, OID -> V(noSuchObject) or V(noSuchInstance).
  returned: always
  type: dict
  sample: {'1.3.6.1.4.1.641.2.1.2.1.6.1': noSuchObject}
walked:
  description: For each O(walk) subtree (as a dotted OID), the OIDs found under it, in order.
  returned: always
  type: dict
  sample: {'1.3.6.1.2.1.43.11.1.1.6': ['1.3.6.1.2.1.43.11.1.1.6.1.1', '1.3.6.1.2.1.43.11.1.1.6.1.2']}
changes:
  description: The objects that differed and were set (or would be, in check mode).
  returned: always
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
    - Why the module failed, for example V(timeout), V(unreachable), V(authentication), V(decryption),
      V(not_writable), V(read_only), V(no_access), V(wrong_type), V(no_such_object) or V(not_taken).
  returned: on failure
  type: str
  sample: not_writable
'''

import asyncio

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.printfleet.mve.plugins.module_utils import printer_settings
from ansible_collections.printfleet.mve.plugins.module_utils import snmp_client
from ansible_collections.printfleet.mve.plugins.module_utils import snmp_wire


def argument_spec():
    spec = snmp_client.argument_spec()
    spec.update(
        get=dict(type='list', elements='str', default=[]),
        walk=dict(type='list', elements='str', default=[]),
        set=dict(type='list', elements='dict', default=[], options=dict(
            oid=dict(type='str'),
            name=dict(type='str'),
            value=dict(type='raw', required=True),
            type=dict(type='str'),
        )),
    )
    return spec


class Failure(Exception):
    def __init__(self, msg, **extra):
        super(Failure, self).__init__(msg)
        self.msg = msg
        self.extra = extra


def _refs(field, items):
    out = []
    for index, ref in enumerate(items or []):
        try:
            out.append(printer_settings.resolve(ref)[0])
        except printer_settings.SettingError as exc:
            raise Failure('%s[%d]: %s' % (field, index, str(exc).split(': ', 1)[1]), field='%s[%d]' % (field, index))
    return out


async def run(params, check_mode):
    """Do the module's work; returns the result dict or raises Failure / SnmpError."""
    get_oids = _refs('get', params['get'])
    walk_oids = _refs('walk', params['walk'])
    try:
        wanted = printer_settings.wanted_sets(params['set'])
    except printer_settings.SettingError as exc:
        raise Failure(str(exc), field=exc.field)
    result = {'changed': False, 'values': {}, 'missing': {}, 'walked': {}, 'changes': []}
    client = snmp_client.SnmpClient.from_params(params)
    try:
        if get_oids:
            reply = await client.get(get_oids)
            result['values'].update(reply.values())
            result['missing'].update(reply.exceptions)
        for base in walk_oids:
            rows = await client.walk(base)
            result['walked'][base] = [oid for oid, dummy in rows]
            result['values'].update(rows)
        if wanted:
            await _apply(client, wanted, result, check_mode)
    finally:
        client.close()
    result['named'] = dict((printer_settings.name_of(oid), value) for oid, value in result['values'].items()
                           if printer_settings.name_of(oid))
    return result


async def _apply(client, wanted, result, check_mode):
    oids = [w['oid'] for w in wanted]
    current = await client.get(oids)
    absent = [oid for oid in oids if oid in current.exceptions]
    if absent:
        raise Failure('cannot set %s: the agent has no such object (%s)' % (
            ', '.join(absent), ', '.join(current.exceptions[o] for o in absent)), error_kind='no_such_object',
            oid=absent[0])
    values = current.values()
    changes = printer_settings.plan_sets(wanted, values)
    result['values'].update(values)
    result['changes'] = changes
    result['changed'] = bool(changes)
    result['diff'] = {
        'before': dict((printer_settings.label(c), c['before']) for c in changes),
        'after': dict((printer_settings.label(c), c['after']) for c in changes),
    }
    if not changes or check_mode:
        return
    await client.set([(c['oid'], c['type'], c['after']) for c in changes])
    back = await client.get([c['oid'] for c in changes])
    read_back = back.values()
    result['values'].update(read_back)
    bad = printer_settings.unconfirmed(changes, read_back)
    if bad:
        raise Failure('the printer accepted the SET but did not take %s (read back: %s)' % (
            ', '.join('%s=%r' % (printer_settings.label(c), c['after']) for c in bad),
            ', '.join('%s=%r' % (printer_settings.label(c), c['read_back']) for c in bad)),
            error_kind='not_taken', oid=bad[0]['oid'], changes=changes)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if not snmp_wire.HAS_PYSNMP:
        module.fail_json(msg=missing_required_lib('pysnmp'), exception=snmp_wire.PYSNMP_IMPORT_ERROR)
    params = dict(module.params)
    params.update(snmp_wire.resolve_snmp_params(module.params))
    errors = snmp_client.option_errors(params)
    if errors:
        module.fail_json(msg='; '.join('%s: %s' % e for e in errors), field=errors[0][0])
    try:
        result = asyncio.run(run(params, module.check_mode))
    except Failure as exc:
        module.fail_json(msg=exc.msg, **exc.extra)
    except snmp_client.SnmpError as exc:
        module.fail_json(msg=exc.message, error_kind=exc.kind, oid=exc.oid, error_status=exc.error_status)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
