# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Markvision Enterprise port matrix: every row of the vendor's
"Understanding ports and protocols" table, as data.

This is the one place in the collection where MVE port numbers are written.
Modules, lookups, roles and docs read them from here.

Pure Python (no Ansible imports) so that modules, action plugins, lookup
plugins, scripts and tests can all import it.

A *flow* is one directed communication: ``source`` opens it from
``source_port`` towards ``destination`` on ``destination_port``.
Ports are ints, or the string ``"ephemeral"``.

A *features* dict describes one deployment's choices; a flow whose
``feature`` is ``None`` is needed by every deployment, any other flow names
the ``"<key>=<value>"`` choice that needs it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

try:
    from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import InputError
except ImportError:  # loaded by its path (scripts/gen_ports_doc.py, lab/lab.py): the base beside it, by path too
    import importlib.util
    import os
    _ERRORS_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'common', 'errors.py')
    _SPEC = importlib.util.spec_from_file_location('printfleet_mve_errors', _ERRORS_PATH)
    _ERRORS = importlib.util.module_from_spec(_SPEC)
    _SPEC.loader.exec_module(_ERRORS)
    InputError = _ERRORS.InputError

EPHEMERAL = 'ephemeral'

ENDPOINTS = ('mve_server', 'printer', 'database', 'smtp', 'ldap', 'kdc', 'browser')
TRANSPORTS = ('tcp', 'udp')
PRINTER_PROTOCOLS = ('npap', 'xmlnt', 'lst', 'mdns', 'snmp', 'ftp', 'http', 'https', 'raw')
DATABASES = ('sqlserver', 'firebird')
SMTP_CHOICES = ('off', 'none', 'ssl', 'starttls')
DIRECTORY_CHOICES = ('off', 'ldap', 'ldaps')
FEATURE_KEYS = ('database', 'smtp', 'directory', 'kerberos', 'printer_protocols', 'ports')

# The vendor's table sections, in the vendor's order, with the vendor's headings.
SECTIONS = (
    ('server_to_printer', 'Server-to-printer communication'),
    ('printer_to_server', 'Printer-to-server communication'),
    ('server_to_database', 'Server-to-database communication'),
    ('client_to_server', 'Client-to-server communication'),
    ('server_to_mail', 'Server-to-mail-server communication'),
    ('server_to_ldap', 'Server-to-LDAP-server communication'),
)

# Defaults follow the vendor's: MVE installs with its bundled Firebird database
# unless SQL Server is chosen, e-mail and LDAP are off until configured, and
# "make sure that all the printer ports are enabled".
FEATURE_DEFAULTS = {
    'database': 'firebird',
    'smtp': 'off',
    'directory': 'off',
    'kerberos': False,
    'printer_protocols': list(PRINTER_PROTOCOLS),
    'ports': {},
}

_PRINTER_PURPOSE = 'Communicating with Lexmark network printers'
_DEPLOY = 'Deploying files or enforcing configurations'
_MAIL = ('Providing email functionality for receiving alerts from printers and '
         'scheduled view export emails related to printer data')


def _flow(flow_id, section, protocol, transport, source, source_port, destination,
          destination_port, purpose, feature=None, configurable=False, note=None,
          probe='none', advisory=False):
    return {
        'id': flow_id,
        'section': section,
        'protocol': protocol,
        'transport': transport,
        'source': source,
        'source_port': source_port,
        'destination': destination,
        'destination_port': destination_port,
        'configurable': configurable,
        'purpose': purpose,
        'feature': feature,
        'note': note,
        # Collection-specific, not the vendor's: the port_check probe that proves
        # this flow, and whether a closed port is only advisory (vendor anomalies).
        'probe': probe,
        'advisory': advisory,
    }


_FLOWS = (
    # ---- Server-to-printer -------------------------------------------------
    _flow('printer.npap', 'server_to_printer', 'NPAP', 'udp', 'mve_server', 9187, 'printer', 9300,
          _PRINTER_PURPOSE, feature='printer_protocols=npap'),
    _flow('printer.xmlnt', 'server_to_printer', 'XMLNT', 'udp', 'mve_server', 9187, 'printer', 6000,
          'Communicating with some Lexmark network printers', feature='printer_protocols=xmlnt'),
    _flow('printer.lst', 'server_to_printer', 'LST', 'udp', 'mve_server', 6100, 'printer', 6100,
          'Communicating securely with some Lexmark network printers', feature='printer_protocols=lst',
          note='The vendor lists LST as one row with two transports: UDP 6100 on both sides, and a TCP '
               'handshake from an ephemeral port on the MVE server to TCP 6110 on the printer. The '
               'collection keeps them as two flows, printer.lst and printer.lst_handshake.'),
    _flow('printer.lst_handshake', 'server_to_printer', 'LST', 'tcp', 'mve_server', EPHEMERAL, 'printer', 6110,
          'Communicating securely with some Lexmark network printers', feature='printer_protocols=lst',
          note='Handshaking for LST. The vendor writes the server side as "Ephemeral Transmission Control '
               'Protocol (TCP) port (handshaking)" in the same row as the fixed UDP 6100 port: the TCP '
               'handshake leaves the MVE server from an ephemeral port, like any client connection.'),
    _flow('printer.mdns', 'server_to_printer', 'mDNS', 'udp', 'mve_server', EPHEMERAL, 'printer', 5353,
          'Discovering Lexmark network printers and determining the security capabilities of printers',
          feature='printer_protocols=mdns', probe='mdns',
          note='The vendor notes that this port is required to allow MVE to communicate with secured '
               'printers.'),
    _flow('printer.snmp', 'server_to_printer', 'SNMP', 'udp', 'mve_server', EPHEMERAL, 'printer', 161,
          'Discovering and communicating with Lexmark and third-party network printers',
          feature='printer_protocols=snmp', probe='snmp'),
    _flow('printer.ftp', 'server_to_printer', 'FTP', 'tcp', 'mve_server', EPHEMERAL, 'printer', 21,
          'Deploying files', feature='printer_protocols=ftp'),
    _flow('printer.ftp_data', 'server_to_printer', 'FTP', 'tcp', 'printer', 20, 'mve_server', EPHEMERAL,
          'Deploying files', feature='printer_protocols=ftp', advisory=True,
          note='The vendor lists TCP 20 on the printer side of the FTP row. TCP 20 is the source port of '
               'the active-mode FTP data channel, which the printer opens towards an ephemeral port on the '
               'MVE server: this flow crosses the MVE server\'s firewall inbound. Nothing listens on TCP 20 '
               'of the printer, so a port check of it is advisory only.'),
    _flow('printer.http', 'server_to_printer', 'HTTP', 'tcp', 'mve_server', EPHEMERAL, 'printer', 80,
          _DEPLOY, feature='printer_protocols=http'),
    _flow('printer.http_443', 'server_to_printer', 'HTTP', 'tcp', 'mve_server', EPHEMERAL, 'printer', 443,
          _DEPLOY, feature='printer_protocols=http', probe='tls',
          note='The vendor lists TCP 443 under HTTP as well as under HTTPS. A printer serves TLS on 443; the '
               'collection treats this flow as the same port as printer.https (one firewall rule, one check).'),
    _flow('printer.https_161', 'server_to_printer', 'HTTPS', 'tcp', 'mve_server', EPHEMERAL, 'printer', 161,
          _DEPLOY, feature='printer_protocols=https', advisory=True,
          note='The vendor lists TCP 161 under HTTPS. SNMP uses UDP 161 (printer.snmp) and printers are not '
               'known to serve anything on TCP 161. Kept as listed: the firewall allows it, and a closed '
               'TCP 161 on a printer is reported as advisory, not as a failure.'),
    _flow('printer.https', 'server_to_printer', 'HTTPS', 'tcp', 'mve_server', EPHEMERAL, 'printer', 443,
          _DEPLOY, feature='printer_protocols=https', probe='tls'),
    _flow('printer.raw', 'server_to_printer', 'RAW', 'tcp', 'mve_server', EPHEMERAL, 'printer', 9100,
          _DEPLOY, feature='printer_protocols=raw'),
    # ---- Printer-to-server -------------------------------------------------
    _flow('alerts.npap', 'printer_to_server', 'NPAP', 'udp', 'printer', 9300, 'mve_server', 9187,
          'Generating and receiving alerts', feature='printer_protocols=npap'),
    # ---- Server-to-database ------------------------------------------------
    _flow('db.sqlserver', 'server_to_database', 'SQL Server', 'tcp', 'mve_server', EPHEMERAL, 'database', 1433,
          'Communicating with an SQL Server database', feature='database=sqlserver', configurable=True,
          note='The vendor table names no protocol for database rows; SQL Server speaks TDS.'),
    _flow('db.firebird', 'server_to_database', 'Firebird', 'tcp', 'mve_server', EPHEMERAL, 'database', 3050,
          'Communicating with a Firebird database', feature='database=firebird',
          note='The vendor table names no protocol for database rows; Firebird speaks its own wire '
               'protocol. The port is not listed as user-defined.'),
    # ---- Client-to-server --------------------------------------------------
    _flow('browser.https', 'client_to_server', 'HTTPS', 'tcp', 'browser', EPHEMERAL, 'mve_server', 443,
          'Accessing the MVE web console from a browser', probe='tls',
          note='The vendor row has no "Used for" column; the purpose is the collection\'s wording. The '
               'browser side is written as "TCP port", which is a client\'s ephemeral port.'),
    # ---- Server-to-mail-server ---------------------------------------------
    _flow('smtp.none', 'server_to_mail', 'SMTP', 'tcp', 'mve_server', EPHEMERAL, 'smtp', 25,
          _MAIL, feature='smtp=none', configurable=True),
    _flow('smtp.ssl', 'server_to_mail', 'SMTP', 'tcp', 'mve_server', EPHEMERAL, 'smtp', 465,
          _MAIL + ' over SSL', feature='smtp=ssl', configurable=True, probe='tls'),
    _flow('smtp.starttls', 'server_to_mail', 'SMTP', 'tcp', 'mve_server', EPHEMERAL, 'smtp', 587,
          _MAIL + ' over TLS/STARTTLS', feature='smtp=starttls', configurable=True),
    # ---- Server-to-LDAP-server ---------------------------------------------
    _flow('directory.ldap', 'server_to_ldap', 'LDAP', 'tcp', 'mve_server', EPHEMERAL, 'ldap', 389,
          'Authenticating MVE users using an LDAP server', feature='directory=ldap', configurable=True),
    _flow('directory.ldaps', 'server_to_ldap', 'LDAPS', 'tcp', 'mve_server', EPHEMERAL, 'ldap', 636,
          'Authenticating MVE users using an LDAP server over TLS', feature='directory=ldaps',
          configurable=True, probe='tls'),
    _flow('directory.kerberos', 'server_to_ldap', 'Kerberos', 'udp', 'mve_server', EPHEMERAL, 'kdc', 88,
          'Authenticating MVE users using Kerberos', feature='kerberos=true', configurable=True,
          note='The vendor lists UDP only. Kerberos clients retry over TCP 88 when a reply is too large '
               'for UDP (common with Active Directory group memberships); the collection follows the '
               'table and opens UDP 88.'),
)

FLOW_IDS = tuple(f['id'] for f in _FLOWS)


class MatrixError(InputError):
    """Bad input to the matrix. ``field`` names the offending option path."""


def all_flows():
    """Every flow, in the vendor's order, as fresh copies (callers may mutate them)."""
    return [copy.deepcopy(f) for f in _FLOWS]


def get_flow(flow_id):
    for f in _FLOWS:
        if f['id'] == flow_id:
            return copy.deepcopy(f)
    raise MatrixError('flow', 'unknown flow id %r; known ids: %s' % (flow_id, ', '.join(FLOW_IDS)))


def _choice(field, value, choices):
    if value not in choices:
        raise MatrixError(field, 'got %r, expected one of: %s' % (value, ', '.join(str(c) for c in choices)))
    return value


def _as_bool(field, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ('true', 'yes', 'on', '1'):
        return True
    if isinstance(value, str) and value.lower() in ('false', 'no', 'off', '0'):
        return False
    raise MatrixError(field, 'got %r, expected a boolean (true or false)' % (value,))


def validate_port(field, value):
    """Return ``value`` as an int in 1..65535 or raise MatrixError naming ``field``."""
    if isinstance(value, bool):
        raise MatrixError(field, 'got %r, expected a port number from 1 to 65535' % (value,))
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise MatrixError(field, 'got %r, expected a port number from 1 to 65535' % (value,))
    if str(port) != str(value).strip() and not isinstance(value, int):
        raise MatrixError(field, 'got %r, expected a port number from 1 to 65535' % (value,))
    if not 1 <= port <= 65535:
        raise MatrixError(field, 'got %r, expected a port number from 1 to 65535' % (value,))
    return port


def normalize_features(features=None):
    """Validate a features dict and fill in the vendor's defaults.

    Raises MatrixError naming ``features.<key>`` and the accepted values.
    """
    if features is None:
        features = {}
    if not isinstance(features, dict):
        raise MatrixError('features', 'expected a dict with keys %s, got %s'
                          % (', '.join(FEATURE_KEYS), type(features).__name__))
    unknown = sorted(set(features) - set(FEATURE_KEYS))
    if unknown:
        raise MatrixError('features', 'unknown key(s) %s; accepted keys: %s'
                          % (', '.join(unknown), ', '.join(FEATURE_KEYS)))
    out = copy.deepcopy(FEATURE_DEFAULTS)
    for key in ('database', 'smtp', 'directory'):
        if features.get(key) is not None:
            out[key] = features[key]
    if out['smtp'] is False:  # YAML "off" without quotes parses as false
        out['smtp'] = 'off'
    if out['directory'] is False:
        out['directory'] = 'off'
    _choice('features.database', out['database'], DATABASES)
    _choice('features.smtp', out['smtp'], SMTP_CHOICES)
    _choice('features.directory', out['directory'], DIRECTORY_CHOICES)
    if features.get('kerberos') is not None:
        out['kerberos'] = _as_bool('features.kerberos', features['kerberos'])
    protos = features.get('printer_protocols')
    if protos is not None:
        if isinstance(protos, str):
            protos = [p.strip() for p in protos.split(',') if p.strip()]
        if not isinstance(protos, (list, tuple)):
            raise MatrixError('features.printer_protocols', 'expected a list drawn from: %s'
                              % ', '.join(PRINTER_PROTOCOLS))
        for p in protos:
            _choice('features.printer_protocols', p, PRINTER_PROTOCOLS)
        # Keep the vendor's order and drop duplicates.
        out['printer_protocols'] = [p for p in PRINTER_PROTOCOLS if p in protos]
    ports = features.get('ports')
    if ports is not None:
        if not isinstance(ports, dict):
            raise MatrixError('features.ports', 'expected a dict of flow id -> port number')
        configurable = [f['id'] for f in _FLOWS if f['configurable']]
        clean = {}
        for flow_id, port in ports.items():
            field = 'features.ports.%s' % flow_id
            if flow_id not in FLOW_IDS:
                raise MatrixError(field, 'unknown flow id; user-definable flows: %s' % ', '.join(configurable))
            if flow_id not in configurable:
                raise MatrixError(field, 'the vendor does not list this port as user-defined; user-definable '
                                         'flows: %s' % ', '.join(configurable))
            clean[flow_id] = validate_port(field, port)
        out['ports'] = clean
    return out


def flow_needed(flow, features):
    """True when the (normalized) features need this flow."""
    feature = flow['feature']
    if feature is None:
        return True
    key, value = feature.split('=', 1)
    if key == 'printer_protocols':
        return value in features['printer_protocols']
    if key == 'kerberos':
        return features['kerberos'] is (value == 'true')
    return features[key] == value


def apply_overrides(flow, features):
    """Return a copy of ``flow`` with the user's port override applied, if any."""
    flow = copy.deepcopy(flow)
    port = features.get('ports', {}).get(flow['id'])
    if port is not None:
        flow['destination_port'] = port
    return flow


def direction(flow, endpoint='mve_server'):
    """``inbound`` or ``outbound`` as seen from ``endpoint``, or None when it is not a party."""
    if flow['destination'] == endpoint:
        return 'inbound'
    if flow['source'] == endpoint:
        return 'outbound'
    return None


def select_flows(features=None, source=None, destination=None, transport=None, endpoint=None, ids=None):
    """The flows a deployment needs, with port overrides applied.

    ``features=None`` means no feature filter (every flow of the vendor table).
    ``source``, ``destination``, ``endpoint`` (either side), ``transport`` and
    ``ids`` filter further; each accepts a string or a list.
    """
    norm = normalize_features(features) if features is not None else None

    def _set(field, value, choices):
        if value is None:
            return None
        values = [value] if isinstance(value, str) else list(value)
        for v in values:
            _choice(field, v, choices)
        return set(values)

    sources = _set('source', source, ENDPOINTS)
    destinations = _set('destination', destination, ENDPOINTS)
    endpoints = _set('endpoint', endpoint, ENDPOINTS)
    transports = _set('transport', transport, TRANSPORTS)
    wanted_ids = _set('ids', ids, FLOW_IDS)
    out = []
    for f in _FLOWS:
        if norm is not None and not flow_needed(f, norm):
            continue
        if sources is not None and f['source'] not in sources:
            continue
        if destinations is not None and f['destination'] not in destinations:
            continue
        if endpoints is not None and not ({f['source'], f['destination']} & endpoints):
            continue
        if transports is not None and f['transport'] not in transports:
            continue
        if wanted_ids is not None and f['id'] not in wanted_ids:
            continue
        out.append(apply_overrides(f, norm) if norm is not None else copy.deepcopy(f))
    return out


def listening_side(flow):
    """(endpoint, port) that listens for this flow, or None when both ends are ephemeral."""
    if flow['destination_port'] != EPHEMERAL:
        return flow['destination'], flow['destination_port']
    return None
