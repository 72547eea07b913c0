# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The port matrix against the vendor's table (the seed file), row by row, and the matrix's functions.

The seed is the vendor's "Understanding ports and protocols" page flattened to text: the HTML table cells
end with ``|``, a line holding only ``|`` starts a row, ``|---|...`` ends the header row. This module parses
it independently of the matrix, then checks that every vendor row is covered by flows and that every flow
comes from a vendor row.

The seed checked against is the repository's copy, tests/unit/data/mve-ports-and-protocols.txt, so that a
clone alone passes. Its original, ../shared/seed/mve-ports-and-protocols.txt beside the clone (or
``$MVE_SEED_FILE``), is compared with that copy whenever it exists.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import os
import re

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix as pm

# Same locations as tests/conftest.py (SEED, SEED_ORIGINAL): the in-repo transcription is what the matrix is
# checked against; the original (../shared/seed beside the clone, or $MVE_SEED_FILE) only when it exists.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED = os.path.join(ROOT, 'tests', 'unit', 'data', 'mve-ports-and-protocols.txt')
SEED_ORIGINAL = os.environ.get('MVE_SEED_FILE') or os.path.join(
    os.path.dirname(ROOT), 'shared', 'seed', 'mve-ports-and-protocols.txt')
# The in-repo copy always; the original beside it when present (a parameter, not a skip).
SEED_SOURCES = [('in-repo', SEED)] + ([('original', SEED_ORIGINAL)] if os.path.isfile(SEED_ORIGINAL) else [])


# ---------------------------------------------------------------------------------------------------------
# Seed parser
# ---------------------------------------------------------------------------------------------------------

_HEADING = re.compile(r'^[A-Za-z]+(?:-[A-Za-z]+)*-to-[A-Za-z]+(?:-[A-Za-z]+)* communication$')
_SEPARATOR = re.compile(r'^\|(?:-+\|)+$')
_PORT = re.compile(r'\b(TCP|UDP) (\d+|port)\b')

# Vendor column heading -> the matrix endpoints that this column can stand for.
COLUMN_ENDPOINTS = {
    'MVE server': ('mve_server',),
    'Printer': ('printer',),
    'Database': ('database',),
    'Browser client': ('browser',),
    'SMTP server': ('smtp',),
    # The collection splits the Kerberos row's server off as its own endpoint, the KDC.
    'LDAP server': ('ldap', 'kdc'),
}
SMTP_ENCRYPTION_FEATURE = {'None': 'smtp=none', 'SSL': 'smtp=ssl', 'TLS/STARTTLS': 'smtp=starttls'}


def _normalize(text):
    # The vendor's page uses non-breaking hyphens (U+2011) and, in places, non-breaking spaces.
    return text.replace(u'\u2011', '-').replace(u'\u00a0', ' ')


def parse_table_text(text):
    """The flattened table as ``[{'heading', 'header', 'rows'}]``, cells as stripped strings."""
    sections = []
    current = row = None
    cell = None  # text of a cell that spans lines and is not closed yet
    in_header = False
    for line in (raw.strip() for raw in _normalize(text).splitlines()):
        if cell is None and _HEADING.match(line):
            current = {'heading': line, 'header': None, 'rows': []}
            sections.append(current)
            row, in_header = None, True
            continue
        if current is None:
            continue  # the page's introduction
        if _SEPARATOR.match(line):
            current['header'], row, in_header = row, None, False
            continue
        if line == '|' and not cell:
            row, cell = [], None
            if not in_header:
                current['rows'].append(row)
            continue
        parts = line.split('|')
        for i, part in enumerate(parts):
            part = part.strip()
            if i < len(parts) - 1:  # a '|' follows: the cell ends here
                row.append(' '.join(x for x in (cell, part) if x))
                cell = None
            elif part:
                cell = ' '.join(x for x in (cell, part) if x)
    # A row with fewer cells than the header continues the row above (rowspan): the vendor's HTTP row
    # lists TCP 80 and, on a second line, TCP 443 under the same protocol and MVE server cells.
    for section in sections:
        previous = None
        for cells in section['rows']:
            while cells and cells[-1] == '':
                cells.pop()
            missing = len(section['header']) - len(cells)
            if missing > 0 and previous is not None:
                cells[:0] = previous[:missing]
            previous = cells
    return sections


def port_tokens(cell):
    """``{(transport, port)}`` of a vendor port cell; an unnumbered port is ``ephemeral``."""
    cell = cell.replace('Transmission Control Protocol (TCP)', 'TCP').replace('User Datagram Protocol (UDP)', 'UDP')
    return set((t.lower(), pm.EPHEMERAL if p == 'port' else int(p)) for t, p in _PORT.findall(cell))


def seed_rows(path):
    """One dict per vendor row, in the vendor's order."""
    with io.open(path, encoding='utf-8') as handle:
        sections = parse_table_text(handle.read())
    section_keys = dict((heading, key) for key, heading in pm.SECTIONS)
    rows = []
    for section in sections:
        header = section['header']
        for index, cells in enumerate(section['rows']):
            data = dict(zip(header, cells))
            protocol_cell = data.get('Protocol')
            protocol = None
            if protocol_cell is not None:
                m = re.search(r'\(([A-Za-z]+)\)', protocol_cell)
                protocol = m.group(1) if m else protocol_cell
            encryption = re.search(r'\[Encryption = ([^\]]+)\]', protocol_cell or '')
            purpose, vendor_note = data.get('Used for'), None
            if purpose and ' Note: ' in purpose:
                purpose, vendor_note = purpose.split(' Note: ', 1)
            columns = [h for h in header if h in COLUMN_ENDPOINTS]
            rows.append({
                'id': '%s-%d-%s' % (section_keys.get(section['heading'], section['heading']), index + 1,
                                    protocol or 'no-protocol'),
                'heading': section['heading'],
                'section': section_keys.get(section['heading']),
                'cells': cells,
                'protocol': protocol,
                'encryption': encryption.group(1) if encryption else None,
                'purpose': purpose,
                'vendor_note': vendor_note,
                'columns': columns,
                'ports': dict((h, port_tokens(data[h])) for h in columns),
                'user_defined': [h for h in columns if 'User-defined port' in data[h]],
            })
    return rows


SEED_SECTIONS = []
SEED_ROWS = []
if os.path.isfile(SEED):
    with io.open(SEED, encoding='utf-8') as _handle:
        SEED_SECTIONS = parse_table_text(_handle.read())
    SEED_ROWS = seed_rows(SEED)


def _column_of(row, endpoint):
    for heading in row['columns']:
        if endpoint in COLUMN_ENDPOINTS[heading]:
            return heading
    return None


def flow_matches_row(flow, row):
    """True when ``flow`` is (one of the flows of) vendor ``row``."""
    if flow['section'] != row['section']:
        return False
    if row['protocol'] is not None:
        if flow['protocol'].lower() != row['protocol'].lower():
            return False
    elif flow['protocol'] not in (row['purpose'] or ''):
        return False  # the database rows have no protocol column: the product is named in "Used for"
    if row['purpose'] is not None and flow['purpose'] != row['purpose']:
        return False
    for side in ('source', 'destination'):
        column = _column_of(row, flow[side])
        if column is None or (flow['transport'], flow[side + '_port']) not in row['ports'][column]:
            return False
    return True


# ---------------------------------------------------------------------------------------------------------
# The seed itself
# ---------------------------------------------------------------------------------------------------------

# Rows per vendor section, counted by hand on the vendor's page (the HTTP row spans two lines: TCP 80, TCP 443).
EXPECTED_ROWS_PER_SECTION = [
    ('server_to_printer', 10),
    ('printer_to_server', 1),
    ('server_to_database', 2),
    ('client_to_server', 1),
    ('server_to_mail', 3),
    ('server_to_ldap', 3),
]


def test_seed_file_exists():
    # Fail, never skip: without the vendor's table the matrix is checked against nothing.
    assert os.path.isfile(SEED), 'vendor table (seed) not found at %s' % SEED


def _seed_body(path):
    """The vendor text of a seed file: without the in-repo copy's ``#`` header and the final newline."""
    with io.open(path, encoding='utf-8') as handle:
        lines = handle.read().split('\n')
    while lines and lines[0].startswith('#'):
        lines.pop(0)
    return '\n'.join(lines).rstrip('\n')


def test_in_repo_seed_names_its_origin():
    with io.open(SEED, encoding='utf-8') as handle:
        header = ''.join(line for line in handle if line.startswith('#'))
    for words in ('Lexmark Markvision Enterprise', 'Understanding ports and protocols',
                  '/work/shared/seed/mve-ports-and-protocols.txt', '../shared/seed'):
        assert words in header


@pytest.mark.parametrize('path', [p for _name, p in SEED_SOURCES], ids=[n for n, _p in SEED_SOURCES])
def test_seed_source_is_the_in_repo_transcription(path):
    # The original, when it sits beside the clone, says exactly what the repository's copy says: same text
    # below the header, same sections and rows once parsed.
    assert _seed_body(path) == _seed_body(SEED)
    with io.open(path, encoding='utf-8') as handle:
        assert parse_table_text(handle.read()) == SEED_SECTIONS
    assert seed_rows(path) == SEED_ROWS


def test_seed_sections_are_the_matrix_sections_in_order():
    assert [s['heading'] for s in SEED_SECTIONS] == [heading for _key, heading in pm.SECTIONS]


def test_seed_row_counts():
    counts = [(key, len([r for r in SEED_ROWS if r['section'] == key])) for key, _n in EXPECTED_ROWS_PER_SECTION]
    assert counts == EXPECTED_ROWS_PER_SECTION


def test_seed_rows_are_complete():
    # Every row has a cell per column and at least one port in each endpoint column: the parser understood it.
    assert SEED_ROWS
    for section in SEED_SECTIONS:
        for cells in section['rows']:
            assert len(cells) == len(section['header']), (section['heading'], cells)
    for row in SEED_ROWS:
        for column in row['columns']:
            assert row['ports'][column], (row['id'], column)


def test_seed_parser_handles_multiline_cell_and_rowspan():
    text = u'\n'.join([
        u'Server\u2011to\u2011printer communication', '|', 'Protocol |', 'MVE server |', 'Printer |', 'Used for |',
        '|---|---|---|---|', '|', 'Proto (P) |', 'Ephemeral TCP port |', 'TCP 1 |', 'First line',
        'second line', '|', '|', 'TCP 2 |', 'Second use |', '||',
    ])
    [section] = parse_table_text(text)
    assert section['heading'] == 'Server-to-printer communication'
    assert section['header'] == ['Protocol', 'MVE server', 'Printer', 'Used for']
    assert section['rows'] == [
        ['Proto (P)', 'Ephemeral TCP port', 'TCP 1', 'First line second line'],
        ['Proto (P)', 'Ephemeral TCP port', 'TCP 2', 'Second use'],
    ]


@pytest.mark.parametrize('cell, expected', [
    ('UDP 9187', {('udp', 9187)}),
    ('Ephemeral TCP port', {('tcp', 'ephemeral')}),
    ('Ephemeral User Datagram Protocol (UDP) port', {('udp', 'ephemeral')}),
    ('UDP 6100 Ephemeral Transmission Control Protocol (TCP) port (handshaking)',
     {('udp', 6100), ('tcp', 'ephemeral')}),
    ('TCP 21 TCP 20', {('tcp', 21), ('tcp', 20)}),
    (u'User\u2011defined port. The default port is TCP 1433.', {('tcp', 1433)}),
    ('TCP port', {('tcp', 'ephemeral')}),
])
def test_port_tokens(cell, expected):
    assert port_tokens(_normalize(cell)) == expected


# ---------------------------------------------------------------------------------------------------------
# Row by row: seed -> flows, flows -> seed
# ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('row', SEED_ROWS, ids=[r['id'] for r in SEED_ROWS])
def test_seed_row_is_covered_by_flows(row):
    flows = [f for f in pm.all_flows() if flow_matches_row(f, row)]
    assert flows, 'no flow of the matrix matches vendor row %r' % (row['cells'],)
    # Every port the vendor lists in each column is some matching flow's port on that side.
    for column in row['columns']:
        covered = set()
        for flow in flows:
            for side in ('source', 'destination'):
                if _column_of(row, flow[side]) == column:
                    covered.add((flow['transport'], flow[side + '_port']))
        assert covered == row['ports'][column], (row['id'], column)
    # "User-defined port" <=> configurable.
    for flow in flows:
        assert flow['configurable'] == bool(row['user_defined']), flow['id']
        if row['user_defined']:
            assert _column_of(row, flow['destination']) in row['user_defined'], flow['id']
    # The vendor's in-cell note travels with the flow.
    if row['vendor_note']:
        for flow in flows:
            assert row['vendor_note'].lower().rstrip('.') in (flow['note'] or '').lower(), flow['id']
    # SMTP rows differ by encryption only: each maps to its smtp feature choice.
    if row['encryption']:
        assert [f['feature'] for f in flows] == [SMTP_ENCRYPTION_FEATURE[row['encryption']]]


@pytest.mark.parametrize('flow_id', pm.FLOW_IDS)
def test_flow_comes_from_exactly_one_seed_row(flow_id):
    flow = pm.get_flow(flow_id)
    rows = [r['id'] for r in SEED_ROWS if flow_matches_row(flow, r)]
    assert len(rows) == 1, 'flow %s matches vendor rows %r (expected exactly one)' % (flow_id, rows)


@pytest.mark.parametrize('flow_id', pm.FLOW_IDS)
def test_flow_that_departs_from_the_vendor_explains_why(flow_id):
    # The first endpoint column of a vendor section is the side that opens the communication; a flow that
    # runs the other way, or whose purpose is not the vendor's wording, must say so in its note.
    flow = pm.get_flow(flow_id)
    [row] = [r for r in SEED_ROWS if flow_matches_row(flow, r)] or [None]
    assert row is not None
    if flow['source'] not in COLUMN_ENDPOINTS[row['columns'][0]]:
        assert flow['note'] and str(flow['source_port']) in flow['note']
    if row['purpose'] is None:
        assert flow['note'] and 'Used for' in flow['note']


def test_purposes_are_the_vendors_words():
    vendor = set(r['purpose'] for r in SEED_ROWS if r['purpose'])
    for flow in pm.all_flows():
        if flow['section'] != 'client_to_server':
            assert flow['purpose'] in vendor, flow['id']


# ---------------------------------------------------------------------------------------------------------
# Shape of the data
# ---------------------------------------------------------------------------------------------------------

FLOW_FIELDS = {'id', 'section', 'protocol', 'transport', 'source', 'source_port', 'destination',
               'destination_port', 'configurable', 'purpose', 'feature', 'note', 'probe', 'advisory'}


def _valid_port(port):
    return port == pm.EPHEMERAL or (isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535)


@pytest.mark.parametrize('flow', pm.all_flows(), ids=pm.FLOW_IDS)
def test_flow_shape(flow):
    assert set(flow) == FLOW_FIELDS
    assert flow['section'] in [key for key, _h in pm.SECTIONS]
    assert flow['transport'] in pm.TRANSPORTS
    assert flow['source'] in pm.ENDPOINTS and flow['destination'] in pm.ENDPOINTS
    assert flow['source'] != flow['destination']
    assert _valid_port(flow['source_port']) and _valid_port(flow['destination_port'])
    assert isinstance(flow['configurable'], bool) and isinstance(flow['advisory'], bool)
    assert flow['purpose'] and isinstance(flow['probe'], str)
    if flow['configurable']:
        assert flow['destination_port'] != pm.EPHEMERAL
    if flow['feature'] is not None:
        key, value = flow['feature'].split('=', 1)
        choices = {'printer_protocols': pm.PRINTER_PROTOCOLS, 'database': pm.DATABASES,
                   'smtp': pm.SMTP_CHOICES, 'directory': pm.DIRECTORY_CHOICES, 'kerberos': ('true',)}
        assert value in choices[key]
    if flow['advisory']:
        assert flow['note'], 'an advisory flow must explain the anomaly'


def test_flow_ids_are_unique_and_in_vendor_order():
    assert len(set(pm.FLOW_IDS)) == len(pm.FLOW_IDS)
    order = [key for key, _h in pm.SECTIONS]
    sections = [f['section'] for f in pm.all_flows()]
    assert sections == sorted(sections, key=order.index)


def test_every_printer_protocol_and_feature_choice_selects_a_flow():
    features = set(f['feature'] for f in pm.all_flows())
    expected = set('printer_protocols=%s' % p for p in pm.PRINTER_PROTOCOLS)
    expected |= set('database=%s' % d for d in pm.DATABASES)
    expected |= set('smtp=%s' % s for s in pm.SMTP_CHOICES if s != 'off')
    expected |= set('directory=%s' % d for d in pm.DIRECTORY_CHOICES if d != 'off')
    expected |= {'kerberos=true', None}
    assert features == expected


def test_all_flows_returns_copies():
    flows = pm.all_flows()
    flows[0]['destination_port'] = 1
    flows.pop()
    assert pm.all_flows()[0]['destination_port'] != 1
    assert len(pm.all_flows()) == len(pm.FLOW_IDS)


def test_get_flow():
    assert pm.get_flow('printer.snmp')['destination_port'] == 161
    with pytest.raises(pm.MatrixError) as exc:
        pm.get_flow('printer.ipp')
    assert exc.value.field == 'flow' and 'printer.snmp' in str(exc.value)


# ---------------------------------------------------------------------------------------------------------
# Features: defaults and normalization
# ---------------------------------------------------------------------------------------------------------

DEFAULTS = {
    'database': 'firebird',
    'smtp': 'off',
    'directory': 'off',
    'kerberos': False,
    'printer_protocols': ['npap', 'xmlnt', 'lst', 'mdns', 'snmp', 'ftp', 'http', 'https', 'raw'],
    'ports': {},
}


def _defaults(**changes):
    out = dict(DEFAULTS, printer_protocols=list(DEFAULTS['printer_protocols']), ports={})
    out.update(changes)
    return out


NORMALIZE_CASES = [
    # (id, features, expected normalized features)
    ('none', None, _defaults()),
    ('empty', {}, _defaults()),
    ('nulls-take-defaults', {'database': None, 'smtp': None, 'kerberos': None, 'printer_protocols': None,
                             'ports': None}, _defaults()),
    ('sqlserver', {'database': 'sqlserver'}, _defaults(database='sqlserver')),
    ('smtp-ssl', {'smtp': 'ssl'}, _defaults(smtp='ssl')),
    ('smtp-yaml-off', {'smtp': False}, _defaults(smtp='off')),
    ('directory-yaml-off', {'directory': False}, _defaults(directory='off')),
    ('directory-ldaps', {'directory': 'ldaps'}, _defaults(directory='ldaps')),
    ('kerberos-true', {'kerberos': True}, _defaults(kerberos=True)),
    ('kerberos-yes', {'kerberos': 'yes'}, _defaults(kerberos=True)),
    ('kerberos-TRUE', {'kerberos': 'TRUE'}, _defaults(kerberos=True)),
    ('kerberos-on', {'kerberos': 'on'}, _defaults(kerberos=True)),
    ('kerberos-1', {'kerberos': '1'}, _defaults(kerberos=True)),
    ('kerberos-no', {'kerberos': 'no'}, _defaults(kerberos=False)),
    ('kerberos-false', {'kerberos': 'False'}, _defaults(kerberos=False)),
    ('protocols-vendor-order-no-dups', {'printer_protocols': ['raw', 'snmp', 'raw']},
     _defaults(printer_protocols=['snmp', 'raw'])),
    ('protocols-comma-string', {'printer_protocols': 'snmp, npap'}, _defaults(printer_protocols=['npap', 'snmp'])),
    ('protocols-empty', {'printer_protocols': []}, _defaults(printer_protocols=[])),
    ('ports-int', {'ports': {'db.sqlserver': 1533}}, _defaults(ports={'db.sqlserver': 1533})),
    ('ports-string', {'ports': {'smtp.ssl': '10465', 'directory.kerberos': ' 8888 '}},
     _defaults(ports={'smtp.ssl': 10465, 'directory.kerberos': 8888})),
    ('ports-bounds', {'ports': {'smtp.none': 1, 'smtp.starttls': 65535}},
     _defaults(ports={'smtp.none': 1, 'smtp.starttls': 65535})),
]


@pytest.mark.parametrize('features, expected', [c[1:] for c in NORMALIZE_CASES], ids=[c[0] for c in NORMALIZE_CASES])
def test_normalize_features(features, expected):
    assert pm.normalize_features(features) == expected


def test_feature_defaults_constant():
    assert pm.FEATURE_DEFAULTS == DEFAULTS
    assert tuple(pm.FEATURE_DEFAULTS) == pm.FEATURE_KEYS


def test_normalize_does_not_share_defaults():
    out = pm.normalize_features({})
    out['printer_protocols'].append('bogus')
    out['ports']['db.sqlserver'] = 1
    assert pm.normalize_features({}) == DEFAULTS


_CONFIGURABLE = ['db.sqlserver', 'smtp.none', 'smtp.ssl', 'smtp.starttls', 'directory.ldap', 'directory.ldaps',
                 'directory.kerberos']
_PORT_RANGE = ['1', '65535']

NORMALIZE_ERROR_CASES = [
    # (id, features, field named in the error, words that the message must contain)
    ('not-a-dict', 'sqlserver', 'features', list(pm.FEATURE_KEYS)),
    ('unknown-key', {'colour': 'blue'}, 'features', ['colour'] + list(pm.FEATURE_KEYS)),
    ('database', {'database': 'mysql'}, 'features.database', ['mysql', 'sqlserver', 'firebird']),
    ('database-case', {'database': 'SQLServer'}, 'features.database', ['sqlserver', 'firebird']),
    ('smtp', {'smtp': 'tls'}, 'features.smtp', ['tls', 'off', 'none', 'ssl', 'starttls']),
    ('smtp-true', {'smtp': True}, 'features.smtp', ['off', 'none', 'ssl', 'starttls']),
    ('directory', {'directory': 'kerberos'}, 'features.directory', ['off', 'ldap', 'ldaps']),
    ('kerberos-word', {'kerberos': 'maybe'}, 'features.kerberos', ['maybe', 'true', 'false']),
    ('kerberos-list', {'kerberos': ['yes']}, 'features.kerberos', ['true', 'false']),
    ('protocol-unknown', {'printer_protocols': ['snmp', 'ipp']}, 'features.printer_protocols',
     ['ipp'] + list(pm.PRINTER_PROTOCOLS)),
    ('protocol-string-unknown', {'printer_protocols': 'snmp,ipp'}, 'features.printer_protocols', ['ipp', 'snmp']),
    ('protocols-not-a-list', {'printer_protocols': 161}, 'features.printer_protocols', list(pm.PRINTER_PROTOCOLS)),
    ('ports-not-a-dict', {'ports': [1433]}, 'features.ports', ['dict']),
    ('port-zero', {'ports': {'db.sqlserver': 0}}, 'features.ports.db.sqlserver', _PORT_RANGE),
    ('port-negative', {'ports': {'db.sqlserver': -1}}, 'features.ports.db.sqlserver', _PORT_RANGE),
    ('port-too-big', {'ports': {'db.sqlserver': 70000}}, 'features.ports.db.sqlserver', ['70000'] + _PORT_RANGE),
    ('port-word', {'ports': {'smtp.ssl': 'abc'}}, 'features.ports.smtp.ssl', ['abc'] + _PORT_RANGE),
    ('port-float', {'ports': {'smtp.ssl': 465.5}}, 'features.ports.smtp.ssl', _PORT_RANGE),
    ('port-bool', {'ports': {'smtp.ssl': True}}, 'features.ports.smtp.ssl', _PORT_RANGE),
    ('port-none', {'ports': {'smtp.ssl': None}}, 'features.ports.smtp.ssl', _PORT_RANGE),
    ('port-unknown-flow', {'ports': {'printer.ipp': 631}}, 'features.ports.printer.ipp', _CONFIGURABLE),
    ('port-not-user-defined', {'ports': {'db.firebird': 3051}}, 'features.ports.db.firebird',
     ['user-defined'] + _CONFIGURABLE),
]


@pytest.mark.parametrize('features, field, words', [c[1:] for c in NORMALIZE_ERROR_CASES],
                         ids=[c[0] for c in NORMALIZE_ERROR_CASES])
def test_normalize_features_errors(features, field, words):
    with pytest.raises(pm.MatrixError) as exc:
        pm.normalize_features(features)
    assert exc.value.field == field
    message = str(exc.value)
    assert message.startswith(field + ': ')
    for word in words:
        assert word in message
    assert isinstance(exc.value, ValueError)


@pytest.mark.parametrize('flow_id', [i for i in pm.FLOW_IDS if i not in _CONFIGURABLE])
def test_override_of_a_fixed_port_is_refused(flow_id):
    with pytest.raises(pm.MatrixError) as exc:
        pm.select_flows({'ports': {flow_id: 1234}})
    assert exc.value.field == 'features.ports.%s' % flow_id
    assert 'user-defined' in str(exc.value)


def test_configurable_flows_are_the_vendors_user_defined_ports():
    assert [f['id'] for f in pm.all_flows() if f['configurable']] == _CONFIGURABLE


# ---------------------------------------------------------------------------------------------------------
# select_flows
# ---------------------------------------------------------------------------------------------------------

PRINTER_DEFAULT_IDS = ['printer.npap', 'printer.xmlnt', 'printer.lst', 'printer.lst_handshake', 'printer.mdns',
                       'printer.snmp', 'printer.ftp', 'printer.ftp_data', 'printer.http', 'printer.http_443',
                       'printer.https_161', 'printer.https', 'printer.raw', 'alerts.npap']

SELECT_CASES = [
    # (id, features, filters, expected flow ids in order)
    ('no-features-every-flow', None, {}, list(pm.FLOW_IDS)),
    ('defaults', {}, {}, PRINTER_DEFAULT_IDS + ['db.firebird', 'browser.https']),
    ('firebird-default', {}, {'destination': 'database'}, ['db.firebird']),
    ('firebird', {'database': 'firebird'}, {'destination': 'database'}, ['db.firebird']),
    ('sqlserver', {'database': 'sqlserver'}, {'destination': 'database'}, ['db.sqlserver']),
    ('smtp-off', {}, {'destination': 'smtp'}, []),
    ('smtp-none', {'smtp': 'none'}, {'destination': 'smtp'}, ['smtp.none']),
    ('smtp-ssl', {'smtp': 'ssl'}, {'destination': 'smtp'}, ['smtp.ssl']),
    ('smtp-starttls', {'smtp': 'starttls'}, {'destination': 'smtp'}, ['smtp.starttls']),
    ('directory-off', {}, {'endpoint': ['ldap', 'kdc']}, []),
    ('directory-ldap', {'directory': 'ldap'}, {'endpoint': ['ldap', 'kdc']}, ['directory.ldap']),
    ('directory-ldaps', {'directory': 'ldaps'}, {'endpoint': ['ldap', 'kdc']}, ['directory.ldaps']),
    ('kerberos', {'kerberos': True}, {'endpoint': ['ldap', 'kdc']}, ['directory.kerberos']),
    ('kerberos-and-ldaps', {'kerberos': 'yes', 'directory': 'ldaps'}, {'endpoint': ['ldap', 'kdc']},
     ['directory.ldaps', 'directory.kerberos']),
    ('kerberos-off', {'kerberos': False}, {'destination': 'kdc'}, []),
    ('protocols-snmp', {'printer_protocols': ['snmp']}, {'endpoint': 'printer'}, ['printer.snmp']),
    ('protocols-npap-both-ways', {'printer_protocols': ['npap']}, {'endpoint': 'printer'},
     ['printer.npap', 'alerts.npap']),
    ('protocols-ftp-lst', {'printer_protocols': ['ftp', 'lst']}, {'endpoint': 'printer'},
     ['printer.lst', 'printer.lst_handshake', 'printer.ftp', 'printer.ftp_data']),
    ('protocols-http-https', {'printer_protocols': 'https,http'}, {'endpoint': 'printer'},
     ['printer.http', 'printer.http_443', 'printer.https_161', 'printer.https']),
    ('protocols-none', {'printer_protocols': []}, {'endpoint': 'printer'}, []),
    ('browser-always', {'printer_protocols': []}, {}, ['db.firebird', 'browser.https']),
    ('transport-udp', None, {'transport': 'udp'},
     ['printer.npap', 'printer.xmlnt', 'printer.lst', 'printer.mdns', 'printer.snmp', 'alerts.npap',
      'directory.kerberos']),
    ('transport-both', {'printer_protocols': ['lst']}, {'transport': ['tcp', 'udp'], 'endpoint': 'printer'},
     ['printer.lst', 'printer.lst_handshake']),
    ('source-printer', None, {'source': 'printer'}, ['printer.ftp_data', 'alerts.npap']),
    ('source-browser', {}, {'source': 'browser'}, ['browser.https']),
    ('destination-mve-server', None, {'destination': 'mve_server'},
     ['printer.ftp_data', 'alerts.npap', 'browser.https']),
    ('endpoint-mail-and-ldap', None, {'endpoint': ['smtp', 'ldap']},
     ['smtp.none', 'smtp.ssl', 'smtp.starttls', 'directory.ldap', 'directory.ldaps']),
    ('ids-in-vendor-order', None, {'ids': ['db.firebird', 'printer.snmp']}, ['printer.snmp', 'db.firebird']),
    ('ids-filtered-by-features', {}, {'ids': ['db.sqlserver', 'db.firebird']}, ['db.firebird']),
    ('combined', {'printer_protocols': ['snmp', 'npap', 'lst']}, {'source': 'mve_server', 'transport': 'udp'},
     ['printer.npap', 'printer.lst', 'printer.snmp']),
    ('no-match', None, {'source': 'database'}, []),
]


@pytest.mark.parametrize('features, filters, expected', [c[1:] for c in SELECT_CASES], ids=[c[0] for c in SELECT_CASES])
def test_select_flows(features, filters, expected):
    assert [f['id'] for f in pm.select_flows(features, **filters)] == expected


OVERRIDE_CASES = [
    # (id, features, flow id, expected destination port)
    ('sqlserver-1533', {'database': 'sqlserver', 'ports': {'db.sqlserver': 1533}}, 'db.sqlserver', 1533),
    ('sqlserver-string', {'database': 'sqlserver', 'ports': {'db.sqlserver': '1533'}}, 'db.sqlserver', 1533),
    ('sqlserver-default', {'database': 'sqlserver'}, 'db.sqlserver', 1433),
    ('smtp-ssl', {'smtp': 'ssl', 'ports': {'smtp.ssl': 10465}}, 'smtp.ssl', 10465),
    ('smtp-none', {'smtp': 'none', 'ports': {'smtp.none': 2525}}, 'smtp.none', 2525),
    ('starttls', {'smtp': 'starttls', 'ports': {'smtp.starttls': 1587}}, 'smtp.starttls', 1587),
    ('ldap', {'directory': 'ldap', 'ports': {'directory.ldap': 3389}}, 'directory.ldap', 3389),
    ('ldaps', {'directory': 'ldaps', 'ports': {'directory.ldaps': 3636}}, 'directory.ldaps', 3636),
    ('kerberos', {'kerberos': True, 'ports': {'directory.kerberos': 8888}}, 'directory.kerberos', 8888),
]


@pytest.mark.parametrize('features, flow_id, port', [c[1:] for c in OVERRIDE_CASES], ids=[c[0] for c in OVERRIDE_CASES])
def test_select_flows_applies_overrides(features, flow_id, port):
    vendor_default = pm.get_flow(flow_id)
    [flow] = pm.select_flows(features, ids=flow_id)
    assert flow['destination_port'] == port
    # Nothing else changes, and the matrix itself keeps the vendor's default.
    expected = dict(vendor_default, destination_port=port)
    assert flow == expected
    assert pm.get_flow(flow_id) == vendor_default


def test_overrides_touch_only_their_flow():
    features = {'database': 'sqlserver', 'smtp': 'ssl', 'ports': {'db.sqlserver': 1533}}
    by_id = dict((f['id'], f) for f in pm.select_flows(features))
    assert by_id['db.sqlserver']['destination_port'] == 1533
    assert by_id['smtp.ssl']['destination_port'] == 465
    assert pm.get_flow('db.sqlserver')['destination_port'] == 1433


def test_without_features_no_override_applies():
    [flow] = pm.select_flows(None, ids='db.sqlserver')
    assert flow['destination_port'] == 1433


SELECT_ERROR_CASES = [
    # (id, kwargs, field, words)
    ('source', {'source': 'nas'}, 'source', ['nas'] + list(pm.ENDPOINTS)),
    ('destination', {'destination': ['printer', 'fax']}, 'destination', ['fax'] + list(pm.ENDPOINTS)),
    ('endpoint', {'endpoint': 'dns'}, 'endpoint', list(pm.ENDPOINTS)),
    ('transport', {'transport': 'sctp'}, 'transport', ['sctp', 'tcp', 'udp']),
    ('transport-case', {'transport': 'TCP'}, 'transport', ['tcp', 'udp']),
    ('ids', {'ids': ['printer.ipp']}, 'ids', ['printer.ipp', 'printer.snmp']),
    ('features', {'features': {'smtp': 'tls'}}, 'features.smtp', ['starttls']),
]


@pytest.mark.parametrize('kwargs, field, words', [c[1:] for c in SELECT_ERROR_CASES],
                         ids=[c[0] for c in SELECT_ERROR_CASES])
def test_select_flows_errors(kwargs, field, words):
    with pytest.raises(pm.MatrixError) as exc:
        pm.select_flows(**kwargs)
    assert exc.value.field == field
    for word in words:
        assert word in str(exc.value)


# ---------------------------------------------------------------------------------------------------------
# Direction and listening side
# ---------------------------------------------------------------------------------------------------------

INBOUND_ON_MVE_SERVER = ('browser.https', 'alerts.npap', 'printer.ftp_data')


@pytest.mark.parametrize('flow_id', pm.FLOW_IDS)
def test_direction_from_mve_server(flow_id):
    expected = 'inbound' if flow_id in INBOUND_ON_MVE_SERVER else 'outbound'
    flow = pm.get_flow(flow_id)
    assert pm.direction(flow) == expected
    assert pm.direction(flow, 'mve_server') == expected


DIRECTION_CASES = [
    ('printer.snmp', 'printer', 'inbound'),
    ('alerts.npap', 'printer', 'outbound'),
    ('printer.ftp_data', 'printer', 'outbound'),
    ('browser.https', 'browser', 'outbound'),
    ('db.sqlserver', 'database', 'inbound'),
    ('directory.kerberos', 'kdc', 'inbound'),
    ('directory.kerberos', 'ldap', None),
    ('db.firebird', 'printer', None),
]


@pytest.mark.parametrize('flow_id, endpoint, expected', DIRECTION_CASES)
def test_direction_from_other_endpoints(flow_id, endpoint, expected):
    assert pm.direction(pm.get_flow(flow_id), endpoint) == expected


@pytest.mark.parametrize('flow_id, expected', [
    ('printer.snmp', ('printer', 161)),
    ('alerts.npap', ('mve_server', 9187)),
    ('browser.https', ('mve_server', 443)),
    ('db.firebird', ('database', 3050)),
    ('printer.ftp_data', None),
])
def test_listening_side(flow_id, expected):
    assert pm.listening_side(pm.get_flow(flow_id)) == expected


def test_validate_port():
    assert pm.validate_port('x', 80) == 80
    assert pm.validate_port('x', '8080') == 8080
    with pytest.raises(pm.MatrixError) as exc:
        pm.validate_port('features.ports.smtp.none', 0)
    assert exc.value.field == 'features.ports.smtp.none'
