# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Printer SNMP settings and facts declared as data, and the one engine that plans, checks and reads them.

* SETTINGS: name -> OID, value type, writable, description (MIB-II system group, HOST-RESOURCES,
  Printer-MIB, and Lexmark's private MIBs, the latter marked ``optional``: absent on other vendors).
* TABLES: the Printer-MIB supplies table, read by walking its columns.
* VENDORS: enterprise number (the 7th arc of sysObjectID) -> vendor.
* ``resolve`` (name or OID -> setting), ``plan_sets`` (wanted vs current -> changes, idempotent),
  ``unconfirmed`` (read-back check), ``printer_facts`` (raw values -> the facts printer_facts returns).

No sockets here: snmp_client does the I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import InputError
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp as snmp_wire

LEXMARK_ENTERPRISE = 641
ENTERPRISES_PREFIX = (1, 3, 6, 1, 4, 1)


def _s(oid, vtype, writable, description, fact=None, optional=False, source=None):
    return {'oid': oid, 'type': vtype, 'writable': writable, 'description': description, 'fact': fact,
            'optional': optional, 'source': source}


# name -> setting. ``fact`` is the key printer_facts derives from the object; ``optional`` objects are vendor
# specific (a GET of them answers noSuchObject elsewhere).
SETTINGS = {
    # RFC 3418 (SNMPv2-MIB) system group
    'sysDescr': _s('1.3.6.1.2.1.1.1.0', 'octet_string', False, 'Full name and version of the device.', 'sys_descr'),
    'sysObjectID': _s('1.3.6.1.2.1.1.2.0', 'object_identifier', False,
                      "The vendor's identification of the model (enterprises.<vendor>...).", 'sys_object_id'),
    'sysUpTime': _s('1.3.6.1.2.1.1.3.0', 'timeticks', False, 'Hundredths of a second since the agent started.',
                    'uptime'),
    'sysContact': _s('1.3.6.1.2.1.1.4.0', 'octet_string', True, 'Contact person for the device.', 'sys_contact'),
    'sysName': _s('1.3.6.1.2.1.1.5.0', 'octet_string', True, "The device's administratively assigned name.",
                  'sys_name'),
    'sysLocation': _s('1.3.6.1.2.1.1.6.0', 'octet_string', True, 'Physical location of the device.',
                      'sys_location'),
    # RFC 2790 HOST-RESOURCES-MIB: the printer's device entry (index 1 on printers)
    'hrDeviceDescr': _s('1.3.6.1.2.1.25.3.2.1.3.1', 'octet_string', False,
                        'Manufacturer and model of the printer device.', 'hr_device_descr'),
    # RFC 3805 Printer-MIB
    'prtGeneralSerialNumber': _s('1.3.6.1.2.1.43.5.1.1.17.1', 'octet_string', False,
                                 'Serial number of the printer.', 'serial_prt'),
    'prtMarkerLifeCount': _s('1.3.6.1.2.1.43.10.2.1.4.1.1', 'counter32', False,
                             'Pages (impressions) printed over the life of the printer.', 'page_count'),
    # Lexmark LEXMARK-PVT-MIB prtgenInfoTable (enterprises.641.2.1.2.1), row 1
    'prtgenPrinterName': _s('1.3.6.1.4.1.641.2.1.2.1.2.1', 'octet_string', False,
                            'Lexmark: printer model name (LEXMARK-PVT-MIB).', 'model_vendor', True,
                            'LEXMARK-PVT-MIB'),
    'prtgenCodeRevision': _s('1.3.6.1.4.1.641.2.1.2.1.4.1', 'octet_string', False,
                             'Lexmark: firmware code revision (LEXMARK-PVT-MIB).', 'firmware_vendor', True,
                             'LEXMARK-PVT-MIB'),
    'prtgenSerialNo': _s('1.3.6.1.4.1.641.2.1.2.1.6.1', 'octet_string', False,
                         'Lexmark: serial number (LEXMARK-PVT-MIB).', 'serial_vendor', True, 'LEXMARK-PVT-MIB'),
    # Lexmark LEXMARK-MPS-MIB (enterprises.641.6): names extrapolated by the GLPI agent, newer models only
    'lexmarkDeviceModel': _s('1.3.6.1.4.1.641.6.2.3.1.4.1', 'octet_string', False,
                             'Lexmark: device model (LEXMARK-MPS-MIB, newer models).', 'model_vendor', True,
                             'LEXMARK-MPS-MIB'),
    'lexmarkDeviceSerial': _s('1.3.6.1.4.1.641.6.2.3.1.5.1', 'octet_string', False,
                              'Lexmark: device serial number (LEXMARK-MPS-MIB, newer models).', 'serial_vendor',
                              True, 'LEXMARK-MPS-MIB'),
    'lexmarkSwRevision': _s('1.3.6.1.4.1.641.6.3.3.1.7.1.1', 'octet_string', False,
                            'Lexmark: software (firmware) revision (LEXMARK-MPS-MIB, newer models).',
                            'firmware_vendor', True, 'LEXMARK-MPS-MIB'),
}

# Tables read by walking columns: name -> {column name: (column OID, type)}.
TABLES = {
    'supplies': {
        'description': ('1.3.6.1.2.1.43.11.1.1.6', 'octet_string'),       # prtMarkerSuppliesDescription
        'max_capacity': ('1.3.6.1.2.1.43.11.1.1.8', 'integer'),           # prtMarkerSuppliesMaxCapacity
        'level': ('1.3.6.1.2.1.43.11.1.1.9', 'integer'),                  # prtMarkerSuppliesLevel
    },
}

# The scalar objects printer_facts reads in one GET, in a stable order.
FACT_NAMES = ('sysDescr', 'sysObjectID', 'sysUpTime', 'sysContact', 'sysName', 'sysLocation', 'hrDeviceDescr',
              'prtGeneralSerialNumber', 'prtMarkerLifeCount', 'prtgenPrinterName', 'prtgenCodeRevision',
              'prtgenSerialNo', 'lexmarkDeviceModel', 'lexmarkDeviceSerial', 'lexmarkSwRevision')

# Enterprise numbers (IANA "SMI Network Management Private Enterprise Codes") of common printer vendors.
VENDORS = {
    11: 'HP', 23: 'Novell', 236: 'Samsung', 253: 'Xerox', 367: 'Ricoh', 641: 'Lexmark', 674: 'Dell',
    1129: 'Toshiba', 1248: 'Epson', 1347: 'Kyocera', 1602: 'Canon', 2001: 'OKI', 2385: 'Sharp', 2435: 'Brother',
    2590: 'Develop', 10642: 'Zebra', 18334: 'Konica Minolta', 683: 'Zebra (ESI)', 26696: 'HP (Samsung)',
}
# sysDescr/hrDeviceDescr prefixes -> vendor, for agents whose sysObjectID is generic (net-snmp's 8072, ...).
_VENDOR_WORDS = (('lexmark', 'Lexmark'), ('hewlett', 'HP'), ('hp ', 'HP'), ('xerox', 'Xerox'), ('ricoh', 'Ricoh'),
                 ('canon', 'Canon'), ('kyocera', 'Kyocera'), ('brother', 'Brother'), ('konica', 'Konica Minolta'),
                 ('epson', 'Epson'), ('sharp', 'Sharp'), ('toshiba', 'Toshiba'), ('samsung', 'Samsung'),
                 ('oki', 'OKI'), ('dell', 'Dell'))
# Firmware in sysDescr: Lexmark "... version MXTGM.081.215 kernel ...", HP "... FW:2409048_052608 ..."
_FIRMWARE_RES = (re.compile(r'\bversion\s+([A-Za-z0-9][\w.\-]*)', re.I), re.compile(r'\bFW:\s*([\w.\-]+)'))

_BY_OID = dict((s['oid'], name) for name, s in SETTINGS.items())
_BY_KEY = dict((name.lower(), name) for name in SETTINGS)


class SettingError(InputError):
    """Bad setting input; ``field`` names the offending option (``set[2].type``)."""


def resolve(ref):
    """``(oid, name or None)`` for a setting name (any case, ``.0`` tolerated) or a dotted OID."""
    text = str(ref).strip()
    key = text.lower()
    if key.endswith('.0') and key[:-2] in _BY_KEY and SETTINGS[_BY_KEY[key[:-2]]]['oid'].endswith('.0'):
        key = key[:-2]
    if key in _BY_KEY:
        name = _BY_KEY[key]
        return SETTINGS[name]['oid'], name
    try:
        oid = '.'.join(str(p) for p in snmp_wire.oid_key(text))
    except snmp_wire.SnmpWireError:
        raise SettingError('oid', 'unknown setting name or bad OID %r; names: %s' % (ref, ', '.join(sorted(SETTINGS))))
    return oid, _BY_OID.get(oid)


def name_of(oid):
    """The setting name of a dotted OID, or None."""
    return _BY_OID.get(oid)


def normalize(vtype, value):
    """``value`` as the device reports it for ``vtype`` (what a read-back is compared with)."""
    return snmp_wire.normalize_value(vtype, value)


def wanted_sets(items):
    """Validate the module's ``set`` list into ``[{oid, name, type, value}]`` (value normalized).

    Each item has ``oid`` or ``name``, ``value`` and (required for an OID that is not a known setting)
    ``type``. Read-only settings given by name are refused here, before anything is sent.
    """
    out = []
    seen = {}
    for index, item in enumerate(items or []):
        base = 'set[%d]' % index
        ref = item.get('oid') or item.get('name')
        if item.get('oid') and item.get('name'):
            raise SettingError(base, 'give oid or name, not both')
        if not ref:
            raise SettingError(base, 'needs oid or name (for example name: sysLocation)')
        try:
            oid, name = resolve(ref)
        except SettingError as exc:
            raise SettingError(base + ('.oid' if item.get('oid') else '.name'), exc.message)
        setting = SETTINGS.get(name) if name else None
        vtype = item.get('type')
        if vtype is None and setting is None:
            raise SettingError(base + '.type', 'required for OID %s, which is not a known setting; one of: %s'
                               % (oid, ', '.join(sorted(snmp_wire.VALUE_TYPES))))
        try:
            vtype = snmp_wire.value_type(vtype) if vtype is not None else setting['type']
        except snmp_wire.SnmpWireError as exc:
            raise SettingError(base + '.type', exc.message)
        # A read-only setting named by name is refused here; given by OID, it goes to the agent, which answers.
        if setting is not None and not setting['writable'] and item.get('name'):
            raise SettingError(base, '%s (%s) is read-only; writable settings: %s'
                               % (name, oid, ', '.join(n for n in sorted(SETTINGS) if SETTINGS[n]['writable'])))
        if item.get('value') is None:
            raise SettingError(base + '.value', 'required')
        try:
            value = normalize(vtype, item['value'])
        except snmp_wire.SnmpWireError as exc:
            raise SettingError(base + '.value', exc.message)
        if oid in seen:
            raise SettingError(base, '%s is already set by set[%d]' % (name or oid, seen[oid]))
        seen[oid] = index
        out.append({'oid': oid, 'name': name, 'type': vtype, 'value': value})
    return out


def _same(vtype, want, have):
    if have is None:
        return False
    try:
        return normalize(vtype, have) == want
    except snmp_wire.SnmpWireError:
        return False


def plan_sets(wanted, current):
    """The changes that make ``current`` ({oid: value}) match ``wanted`` (from wanted_sets); only what differs.

    Returns ``[{oid, name, type, before, after}]``.
    """
    changes = []
    for w in wanted:
        have = current.get(w['oid'])
        if not _same(w['type'], w['value'], have):
            changes.append({'oid': w['oid'], 'name': w['name'], 'type': w['type'], 'before': have,
                            'after': w['value']})
    return changes


def unconfirmed(changes, read_back):
    """The changes whose read-back value ({oid: value}) differs from what was set."""
    return [dict(c, read_back=read_back.get(c['oid'])) for c in changes
            if not _same(c['type'], c['after'], read_back.get(c['oid']))]


def label(change):
    """How results name a change: the setting name, else the OID."""
    return change['name'] or change['oid']


# ---- facts ----------------------------------------------------------------------------------------

def fact_oids():
    """The OIDs printer_facts GETs in one PDU."""
    return [SETTINGS[name]['oid'] for name in FACT_NAMES]


def supply_columns():
    """Column OIDs of the supplies table, walked in lockstep."""
    return [oid for oid, dummy in TABLES['supplies'].values()]


def enterprise(sys_object_id):
    """The enterprise number of a sysObjectID under 1.3.6.1.4.1, or None."""
    try:
        parts = snmp_wire.oid_key(sys_object_id)
    except (snmp_wire.SnmpWireError, TypeError):
        return None
    if len(parts) > len(ENTERPRISES_PREFIX) and parts[:len(ENTERPRISES_PREFIX)] == ENTERPRISES_PREFIX:
        return parts[len(ENTERPRISES_PREFIX)]
    return None


def vendor(sys_object_id, descr=None):
    """Vendor name from the sysObjectID's enterprise number, else from a description's first words."""
    number = enterprise(sys_object_id) if sys_object_id else None
    if number in VENDORS:
        return VENDORS[number]
    text = (descr or '').strip().lower() + ' '
    for word, name in _VENDOR_WORDS:
        if text.startswith(word) or (' ' + word) in text[:40]:
            return name
    return None


def _text(value):
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _strip_vendor(descr, vendor_name):
    if not descr:
        return None
    if vendor_name:
        for prefix in (vendor_name, vendor_name.split()[0]):
            if descr.lower().startswith(prefix.lower() + ' '):
                return descr[len(prefix) + 1:].strip() or descr
    return descr


def supplies_rows(columns):
    """Rows of the supplies table from walked columns {column oid: [(oid, value)]}, ordered by index."""
    rows = {}
    for key, (column_oid, dummy) in TABLES['supplies'].items():
        for oid, value in columns.get(column_oid, []):
            index = oid[len(column_oid) + 1:]
            rows.setdefault(index, {})[key] = value
    out = []
    for index in sorted(rows, key=lambda i: tuple(int(p) for p in i.split('.'))):
        row = rows[index]
        level, capacity = row.get('level'), row.get('max_capacity')
        percent = None
        # Printer-MIB: -1 other, -2 unknown, -3 "some remaining"; a positive capacity makes a percentage.
        if isinstance(level, int) and isinstance(capacity, int) and capacity > 0 and level >= 0:
            percent = round(100.0 * level / capacity, 1)
        out.append({'index': index, 'description': _text(row.get('description')), 'level': level,
                    'max_capacity': capacity, 'percent': percent})
    return out


def printer_facts(values, supply_columns_walked=None):
    """The facts of one printer from {oid: value} (a GET of fact_oids()) and the walked supplies columns."""
    by_fact = {}
    for name in FACT_NAMES:
        setting = SETTINGS[name]
        value = values.get(setting['oid'])
        if value is not None and setting['fact'] not in by_fact:
            by_fact[setting['fact']] = value
    descr = _text(by_fact.get('sys_descr'))
    sys_oid = _text(by_fact.get('sys_object_id'))
    hr_descr = _text(by_fact.get('hr_device_descr'))
    vendor_name = vendor(sys_oid, hr_descr or descr)
    model = _text(by_fact.get('model_vendor')) or hr_descr
    firmware = _text(by_fact.get('firmware_vendor'))
    if firmware is None and descr:
        for pattern in _FIRMWARE_RES:
            match = pattern.search(descr)
            if match:
                firmware = match.group(1)
                break
    uptime = by_fact.get('uptime')
    page_count = by_fact.get('page_count')
    return {
        'reachable': True,
        'sys_descr': descr,
        'sys_object_id': sys_oid,
        'vendor': vendor_name,
        'model': _strip_vendor(model, vendor_name),
        'serial': _text(by_fact.get('serial_prt')) or _text(by_fact.get('serial_vendor')),
        'firmware': firmware,
        'uptime_s': uptime // 100 if isinstance(uptime, int) else None,
        'page_count': page_count if isinstance(page_count, int) else None,
        'sys_name': _text(by_fact.get('sys_name')),
        'sys_location': _text(by_fact.get('sys_location')),
        'sys_contact': _text(by_fact.get('sys_contact')),
        'supplies': supplies_rows(supply_columns_walked or {}),
    }
