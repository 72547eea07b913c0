# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firewall planner of ``mve_firewall``: port matrix + scopes -> wanted rules, wanted vs actual -> changes.

Pure Python, no I/O: backends (nftables here, Windows Defender Firewall later) read the host's owned rules
into the rule model below, and apply the planner's ``after`` list.

Rule model (a plain dict, JSON-friendly, the same for every backend)::

    name              readable, unique within a rule group ("MVE - NPAP alerts from printers (UDP 9187)")
    group             the ownership tag (rule_group); rules of any other group are never touched
    direction         inbound | outbound, seen from the host the rules are for
    transport         tcp | udp
    local_ports       ports on this host: ints and "lo-hi" strings, sorted; [] means any
    remote_ports      ports on the peer, same form; [] means any
    remote_addresses  ["any"], or canonical addresses, networks and "a-b" ranges (v4 first, then v6)
    action            allow (the planner only creates allow rules; block exists for the safety check)
    role              the peer's port matrix role (printer, browser, database, smtp, ldap, kdc)
    flows             the port matrix flow ids the rule serves

``direction``, ``transport``, the three port/address fields and ``action`` are the rule's *spec*: two rules
with the same name and spec are equal. ``role`` and ``flows`` are annotations (a backend that cannot store
them gets them back from the wanted rule of the same name, see ``annotate``).

How flows become rules:

- Inbound flows (the peer opens them): local port = the flow's destination port; the peer's (ephemeral)
  source port is not constrained. The one inbound flow whose destination port is ephemeral,
  ``printer.ftp_data`` (active-mode FTP: the printer connects *from* TCP 20 to the port the MVE server
  announced in its PORT command), becomes "remote port 20 -> local dynamic port range": the source port
  is the only thing that identifies that flow, and the announced port comes from the host's dynamic range
  (``dynamic_ports``: Windows and IANA default 49152-65535; the nftables backend reads
  ``net.ipv4.ip_local_port_range``).
- Outbound flows (this host opens them): remote port = the flow's destination port; the local source
  port is not constrained (NPAP and LST leave from fixed ports, but constraining them only adds ways to
  break). Outbound rules exist only when ``outbound`` is ``always``, or ``auto`` and the host's default
  outbound action is ``block``.
- Flows with the same direction, transport, peer role (hence scope) and remote ports share one rule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.printfleet.mve.plugins.module_utils.common import addresses
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import InputError
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix

# The management connection of the hosts this collection configures: SSH, WinRM over HTTP, WinRM over HTTPS.
# These are not MVE ports (the port matrix holds those); they are what the safety check keeps open.
MANAGEMENT_PORTS = (22, 5985, 5986)
# IANA dynamic and private ports, the Windows default dynamic range for TCP and UDP.
DEFAULT_DYNAMIC_PORTS = (49152, 65535)

STATES = ('merged', 'replaced', 'absent')
OUTBOUND_CHOICES = ('auto', 'always', 'never')
OUTBOUND_ACTIONS = ('allow', 'block')
DIRECTIONS = ('inbound', 'outbound')
ACTIONS = ('allow', 'block')
SPEC_FIELDS = ('direction', 'transport', 'local_ports', 'remote_ports', 'remote_addresses', 'action')
RULE_FIELDS = ('name', 'group') + SPEC_FIELDS + ('role', 'flows')
# Spec fields a backend may report only when they differ from what the module always writes (the Windows
# backend: a disabled rule, or one narrowed to some firewall profiles). Absent means the default.
OPTIONAL_SPEC = (('enabled', True), ('profiles', 'all'), ('conditions', None))
ANY = 'any'
NAME_PREFIX = 'MVE - '

_ROLE_PLURALS = {
    'mve_server': 'MVE servers',
    'printer': 'printers',
    'browser': 'browsers',
    'database': 'database servers',
    'smtp': 'mail servers',
    'ldap': 'LDAP servers',
    'kdc': 'Kerberos KDCs',
}
# Names for single-flow rules where the protocol alone says too little.
_LABELS = {
    'alerts.npap': 'NPAP alerts',
    'browser.https': 'HTTPS web console',
    'printer.ftp_data': 'FTP active-mode data',
}
_GROUP_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$')
_NAME_RE = re.compile(r'^[^"\\\x00-\x1f\x7f]+$')


class PlanError(InputError):
    """Bad input to the planner. ``field`` names the offending option path (``scopes.printer[2]``)."""


class SafetyError(PlanError):
    """A rule set that could cut the management connection, refused before anything is applied."""

    kind = 'safety'


# ---- addresses and ports --------------------------------------------------------------------------------

# The planner's words for a bad scope entry (common.addresses parses it), by AddressError.reason.
_ADDRESS_MESSAGES = {
    'mixed': '%r mixes IPv4 and IPv6 in one range',
    'reversed': '%r is an empty range (the first address is above the last)',
}
_BAD_ADDRESS = '%r is not an IPv4/IPv6 address, network or range'


def canonical_addresses(values, field='addresses'):
    """Addresses, networks and ``a-b`` ranges -> the canonical list (merged, sorted, v4 first).

    Overlapping and adjacent entries merge; a range that is exactly one network is written as the network
    (this is also how ``nft`` prints them, so canonical lists survive a round trip through the kernel).
    A network means all its addresses; a range names both ends in full. Raises PlanError naming the entry.
    """
    intervals = []
    for index, value in enumerate(values):
        try:
            intervals.append(addresses.parse(value, '%s[%d]' % (field, index), short_ranges=False))
        except addresses.AddressError as exc:
            raise PlanError(exc.field, _ADDRESS_MESSAGES.get(exc.reason, _BAD_ADDRESS) % (value,))
    return [addresses.interval_text(*interval) for interval in addresses.merge(intervals)]


address_version = addresses.version_of


def canonical_ports(values, field='ports'):
    """Ints and ``lo-hi`` strings -> merged, sorted list (single ports as ints, ranges as ``lo-hi``)."""
    intervals = []
    for index, value in enumerate(values):
        item = '%s[%d]' % (field, index)
        if isinstance(value, str) and '-' in value:
            lo_text, hi_text = value.split('-', 1)
            lo = port_matrix.validate_port(item, lo_text.strip())
            hi = port_matrix.validate_port(item, hi_text.strip())
            if lo > hi:
                raise PlanError(item, '%r is an empty port range' % (value,))
            intervals.append((lo, hi))
        else:
            port = port_matrix.validate_port(item, value)
            intervals.append((port, port))
    return [lo if lo == hi else '%d-%d' % (lo, hi) for lo, hi in addresses.merge_ranges(intervals)]


def port_intervals(ports):
    """Canonical ports -> [(lo, hi)]."""
    out = []
    for p in ports:
        if isinstance(p, str):
            lo, hi = p.split('-', 1)
            out.append((int(lo), int(hi)))
        else:
            out.append((int(p), int(p)))
    return out


def ports_text(ports):
    return ', '.join(str(p) for p in ports)


# ---- scopes -------------------------------------------------------------------------------------------

def normalize_scopes(scopes, endpoint='mve_server'):
    """Validate ``scopes`` (peer role -> list of addresses, or ``any``) -> role -> canonical list.

    ``any`` (a string, or a one-item list) stays ``['any']``; it cannot be mixed with addresses.
    """
    if scopes is None:
        scopes = {}
    if not isinstance(scopes, dict):
        raise PlanError('scopes', 'expected a dict of peer role -> list of addresses, networks or ranges, got %s'
                        % type(scopes).__name__)
    roles = [e for e in port_matrix.ENDPOINTS if e != endpoint]
    out = {}
    for role, value in scopes.items():
        field = 'scopes.%s' % role
        if role not in roles:
            raise PlanError(field, 'unknown peer role; accepted roles: %s' % ', '.join(roles))
        if value is None:
            raise PlanError(field, 'no scope given; list addresses, networks or ranges, or write any')
        if isinstance(value, str):
            value = [v.strip() for v in value.split(',')] if value.strip() != ANY else [ANY]
        if not isinstance(value, (list, tuple)):
            raise PlanError(field, 'expected a list of addresses, networks or ranges, or the word any')
        if not value:
            raise PlanError(field, 'empty list; list addresses, networks or ranges, or write any')
        if ANY in value:
            if len(value) > 1:
                raise PlanError(field, 'any cannot be combined with addresses')
            out[role] = [ANY]
            continue
        out[role] = canonical_addresses(value, field)
    return out


# ---- wanted rules ---------------------------------------------------------------------------------------

def outbound_enabled(outbound, default_outbound_action=None):
    """Whether outbound rules are wanted, for ``outbound`` and the host's default outbound action."""
    if outbound not in OUTBOUND_CHOICES:
        raise PlanError('outbound', 'got %r, expected one of: %s' % (outbound, ', '.join(OUTBOUND_CHOICES)))
    if outbound == 'always':
        return True
    if outbound == 'never':
        return False
    if default_outbound_action not in OUTBOUND_ACTIONS:
        raise PlanError('outbound', 'auto needs the host\'s default outbound action (allow or block), got %r'
                        % (default_outbound_action,))
    return default_outbound_action == 'block'


def validate_rule_group(rule_group):
    if not isinstance(rule_group, str) or not _GROUP_RE.match(rule_group):
        raise PlanError('rule_group', 'got %r, expected 1 to 48 letters, digits, dots, dashes or underscores, '
                                      'starting with a letter or digit' % (rule_group,))
    return rule_group


def validate_name(field, name):
    if not isinstance(name, str) or not name.strip() or not _NAME_RE.match(name) or name != name.strip():
        raise PlanError(field, 'got %r, expected a non-empty rule name without double quotes, backslashes, '
                               'control characters or surrounding spaces' % (name,))
    return name


def _rule_name(direction, transport, role, flows, local_ports, remote_ports):
    if len(flows) == 1 and flows[0]['id'] in _LABELS:
        label = _LABELS[flows[0]['id']]
    else:
        protocols = []
        for f in flows:
            if f['protocol'] not in protocols:
                protocols.append(f['protocol'])
        label = ', '.join(protocols)
    peers = _ROLE_PLURALS.get(role, role)
    if direction == 'inbound':
        if remote_ports:
            ports = '%s %s to %s' % (transport.upper(), ports_text(remote_ports), ports_text(local_ports))
        else:
            ports = '%s %s' % (transport.upper(), ports_text(local_ports))
        return '%s%s from %s (%s)' % (NAME_PREFIX, label, peers, ports)
    return '%s%s to %s (%s %s)' % (NAME_PREFIX, label, peers, transport.upper(), ports_text(remote_ports))


def desired_rules(features, scopes, endpoint='mve_server', outbound='auto', default_outbound_action=None,
                  strict=False, rule_group='printfleet.mve', dynamic_ports=DEFAULT_DYNAMIC_PORTS, rule_names=None):
    """The rules ``endpoint``'s host firewall needs for ``features``, scoped by ``scopes``.

    ``scopes`` maps each peer role the selected flows need to addresses, networks, ``a-b`` ranges or the
    explicit word ``any``. A needed role without a scope is an error naming ``scopes.<role>``; with
    ``strict``, ``any`` is refused too. ``rule_names`` maps a flow id to the name of the rule that serves it.
    Raises PlanError (or port_matrix.MatrixError) naming the field.
    """
    if endpoint not in port_matrix.ENDPOINTS:
        raise PlanError('endpoint', 'got %r, expected one of: %s' % (endpoint, ', '.join(port_matrix.ENDPOINTS)))
    validate_rule_group(rule_group)
    norm_scopes = normalize_scopes(scopes, endpoint)
    with_outbound = outbound_enabled(outbound, default_outbound_action)
    dyn = canonical_ports(['%d-%d' % tuple(dynamic_ports)], 'dynamic_ports')
    names = _validate_rule_names(rule_names)

    flows = port_matrix.select_flows(features=features if features is not None else {}, endpoint=endpoint)
    groups = []
    index = {}
    for flow in flows:
        direction = port_matrix.direction(flow, endpoint)
        if direction == 'outbound' and not with_outbound:
            continue
        role = flow['destination'] if direction == 'outbound' else flow['source']
        if direction == 'inbound':
            if flow['destination_port'] == port_matrix.EPHEMERAL:
                local_ports = dyn
                remote_ports = [] if flow['source_port'] == port_matrix.EPHEMERAL else [flow['source_port']]
            else:
                local_ports = [flow['destination_port']]
                remote_ports = []
        else:
            local_ports = []
            remote_ports = [flow['destination_port']]
        key = (direction, flow['transport'], role, tuple(remote_ports) if direction == 'inbound' else ())
        if key not in index:
            index[key] = len(groups)
            groups.append({'key': key, 'flows': [], 'local': [], 'remote': []})
        group = groups[index[key]]
        group['flows'].append(flow)
        group['local'].extend(local_ports)
        group['remote'].extend(remote_ports)

    # Scopes: every needed role must have one; strict mode refuses "any".
    for group in groups:
        role = group['key'][2]
        needed_by = ', '.join(f['id'] for g in groups if g['key'][2] == role for f in g['flows'])
        if role not in norm_scopes:
            raise PlanError('scopes.%s' % role, 'required for flows %s; list addresses, networks or ranges '
                                                '(or write any%s)' % (needed_by, '' if not strict else
                                                                      ' with strict: false'))
        if strict and norm_scopes[role] == [ANY]:
            raise PlanError('scopes.%s' % role, 'any is refused in strict mode (flows %s); list addresses, '
                                                'networks or ranges, or set strict: false' % needed_by)

    rules = []
    for group in groups:
        direction, transport, role, dummy = group['key']
        local_ports = canonical_ports(group['local'], 'ports')
        remote_ports = canonical_ports(group['remote'], 'ports')
        flow_ids = [f['id'] for f in group['flows']]
        name = _rule_name(direction, transport, role, group['flows'], local_ports, remote_ports)
        custom = set(names[f] for f in flow_ids if f in names)
        if len(custom) > 1:
            raise PlanError('rule_names', 'flows %s share one rule but were given different names: %s'
                            % (', '.join(f for f in flow_ids if f in names), ', '.join(sorted(custom))))
        if custom:
            name = custom.pop()
        rules.append({
            'name': name,
            'group': rule_group,
            'direction': direction,
            'transport': transport,
            'local_ports': local_ports,
            'remote_ports': remote_ports,
            'remote_addresses': list(norm_scopes[role]),
            'action': 'allow',
            'role': role,
            'flows': flow_ids,
        })
        rules[-1]['key'] = rule_key(rules[-1])
    rules.sort(key=lambda r: DIRECTIONS.index(r['direction']))  # stable: inbound first, matrix order inside
    check_duplicate_names(rules, 'rule_names' if names else 'rules')
    return rules


def _validate_rule_names(rule_names):
    if rule_names is None:
        return {}
    if not isinstance(rule_names, dict):
        raise PlanError('rule_names', 'expected a dict of flow id -> rule name')
    for flow_id, name in rule_names.items():
        field = 'rule_names.%s' % flow_id
        if flow_id not in port_matrix.FLOW_IDS:
            raise PlanError(field, 'unknown flow id; known ids: %s' % ', '.join(port_matrix.FLOW_IDS))
        validate_name(field, name)
    return dict(rule_names)


def check_duplicate_names(rules, field='rules'):
    seen = {}
    for rule in rules:
        key = (rule.get('group'), rule['name'])
        if key in seen:
            raise PlanError(field, 'duplicate rule name %r (rules serving %s and %s); rule names must be unique '
                                   'within a rule group' % (rule['name'], ', '.join(seen[key].get('flows') or []),
                                                            ', '.join(rule.get('flows') or [])))
        seen[key] = rule


# ---- safety ---------------------------------------------------------------------------------------------

def validate_management_ports(management_ports):
    return [port_matrix.validate_port('management_ports[%d]' % i, p) for i, p in enumerate(management_ports or [])]


def normalize_management_scopes(values):
    """``management_scopes`` -> ``['any']`` or the canonical list of addresses, networks and ranges."""
    if values is None or values == ANY or list(values) == [ANY]:
        return [ANY]
    if isinstance(values, str):
        values = [v.strip() for v in values.split(',')]
    values = list(values)
    if not values:
        raise PlanError('management_scopes', 'empty list; list the addresses, networks or ranges the management '
                                             'connections come from, or write any')
    if ANY in values:
        raise PlanError('management_scopes', 'any cannot be combined with addresses')
    return canonical_addresses(values, 'management_scopes')


def within(address, scope):
    """Whether the IP ``address`` lies in ``scope`` (a canonical list, or ``['any']``)."""
    if scope == [ANY]:
        return True
    try:
        parsed = addresses.parse(address)
    except addresses.AddressError:
        return False
    return any(i.version == parsed.version and i.first <= parsed.first and parsed.last <= i.last
               for i in (addresses.parse(item) for item in scope))


def _covers(ports, port):
    if not ports:
        return True
    return any(lo <= port <= hi for lo, hi in port_intervals(ports))


def check_safety(rules, management_ports=MANAGEMENT_PORTS, enforce=False, connection_port=None,
                 management_scopes=None, connection_source=None):
    """Refuse a rule set that would cut the management connection (SSH 22, WinRM 5985/5986 by default).

    - a ``block`` rule that matches inbound TCP to a management port is refused;
    - ``enforce`` (the backend drops what no rule allows) needs at least one management port, and the port
      of the connection this run arrived on (``connection_port``, for example from ``SSH_CONNECTION``)
      must be one of them; with ``management_scopes`` the address it came from (``connection_source``) must be
      in them.
    Returns the validated management ports. Raises SafetyError naming the field.
    """
    ports = validate_management_ports(management_ports)
    for index, rule in enumerate(rules):
        if rule.get('action', 'allow') != 'block':
            continue
        if rule['direction'] != 'inbound' or rule['transport'] != 'tcp':
            continue
        hit = [p for p in ports if _covers(rule['local_ports'], p)]
        if hit:
            raise SafetyError('rules[%d]' % index, 'rule %r would block the management connection (TCP %s); '
                                                   'refused, nothing changed' % (rule['name'], ports_text(hit)))
    if enforce:
        if not ports:
            raise SafetyError('management_ports', 'enforce: true with no management ports would drop new SSH '
                                                  'and WinRM connections; refused, nothing changed')
        if connection_port is not None and int(connection_port) not in ports:
            raise SafetyError('management_ports', 'this run arrived on TCP %s, which is not in management_ports '
                                                  '(%s): enforce would cut it; refused, nothing changed'
                              % (connection_port, ports_text(ports)))
        scopes = normalize_management_scopes(management_scopes)
        if connection_source and not within(connection_source, scopes):
            raise SafetyError('management_scopes', 'this run came from %s, which is not in management_scopes (%s): '
                                                   'enforce would cut it; refused, nothing changed'
                              % (connection_source, ', '.join(scopes)))
    return ports


# ---- plan: wanted vs actual -----------------------------------------------------------------------------

def spec(rule):
    return dict((k, rule.get(k)) for k in SPEC_FIELDS)


_KEY_RE = re.compile(r'^(inbound|outbound)/(tcp|udp)/([a-z_]+)(?:/([0-9,-]+))?$')


def rule_key(rule):
    """A rule's identity: the direction, transport and peer role it serves, and for inbound rules the peers'
    source ports (what desired_rules groups flows by). A changed port, scope or name keeps it, so the rule is
    updated in place instead of a new one being added beside it. From ``key`` (stored by the backend), else
    ``role``, else the role of its ``flows``; None for a rule that carries none of them (a 0.1.0 nftables rule)."""
    if rule.get('key'):
        return rule['key']
    role = rule.get('role')
    if not role and rule.get('flows'):
        roles = set()
        for flow_id in rule['flows']:
            try:
                flow = port_matrix.get_flow(flow_id)
            except port_matrix.MatrixError:
                return None
            roles.add(flow['destination'] if rule['direction'] == 'outbound' else flow['source'])
        role = roles.pop() if len(roles) == 1 else None
    if not role or rule.get('direction') not in DIRECTIONS or rule.get('transport') not in ('tcp', 'udp'):
        return None
    key = '%s/%s/%s' % (rule['direction'], rule['transport'], role)
    if rule['direction'] == 'inbound' and rule.get('remote_ports'):
        key += '/' + ','.join(str(p) for p in rule['remote_ports'])
    return key


def parse_key(key):
    """(direction, transport, role) of a stored key, or None when it is not one."""
    match = _KEY_RE.match(key or '')
    return match.groups()[:3] if match else None


def _base_name(name):
    """A generated name without its trailing ``(ports)``: how a 0.1.0 rule is recognized after a port change."""
    return re.sub(r'\s*\([^()]*\)$', '', name or '')


def annotate(have_rules, want_rules):
    """Give each actual rule its identity (``key``) and copy ``role`` and ``flows`` from the wanted rule with the
    same identity onto the ones that lack them (nftables stores only the key in its 128-character comments).

    A rule without any identity (written by 0.1.0, which stored only the name) takes the identity of the
    wanted rule of the same name, or of the same direction, transport and name without its ``(ports)`` suffix,
    so that a migration updates it instead of keeping a stale rule beside the new one."""
    by_key = dict(((w.get('group'), rule_key(w)), w) for w in want_rules)
    by_name = dict(((w.get('group'), w['name']), w) for w in want_rules)
    by_base = {}
    for w in want_rules:
        by_base.setdefault((w.get('group'), w['direction'], w['transport'], _base_name(w['name'])), []).append(w)
    out = []
    for rule in have_rules:
        rule = copy.deepcopy(rule)
        key = rule_key(rule)
        match = by_key.get((rule.get('group'), key)) if key else None
        if match is None and key is not None and (rule.get('group'), rule['name']) in by_name:
            # stale or hand-edited flow ids (Windows Description): the name still says which rule it is, and the
            # flows stay as read, so that the plan rewrites them
            match = by_name[(rule.get('group'), rule['name'])]
            key = rule_key(match)
        elif key is None:
            match = by_name.get((rule.get('group'), rule['name']))
            if match is None:
                same = by_base.get((rule.get('group'), rule.get('direction'), rule.get('transport'),
                                    _base_name(rule['name']))) or []
                match = same[0] if len(same) == 1 else None
            key = rule_key(match) if match is not None else None
        rule['key'] = key
        for field in ('role', 'flows'):
            if rule.get(field) in (None, []) and match is not None:
                rule[field] = copy.deepcopy(match[field])
        rule.setdefault('role', None)
        rule.setdefault('flows', [])
        out.append(rule)
    return out


def _describe(rule):
    if rule['direction'] == 'inbound':
        where = 'from %s' % ', '.join(rule['remote_addresses'])
        ports = 'local %s' % (ports_text(rule['local_ports']) or 'any')
        if rule['remote_ports']:
            ports = 'remote %s, %s' % (ports_text(rule['remote_ports']), ports)
    else:
        where = 'to %s' % ', '.join(rule['remote_addresses'])
        ports = 'remote %s' % (ports_text(rule['remote_ports']) or 'any')
    return '%s %s %s %s, %s' % (rule.get('action', 'allow'), rule['direction'], rule['transport'], ports, where)


def plan(want, have, state, rule_group='printfleet.mve'):
    """Changes that make the rules of ``rule_group`` match ``want`` for ``state``.

    ``have`` may hold rules of other groups: they are never changed, and never appear in the result.
    Returns a dict: ``changes`` (list of {action: add|update|remove, name, before, after, fields}),
    ``before`` and ``after`` (the owned rules), ``commands`` (one readable line per change) and ``changed``.
    """
    if state not in STATES:
        raise PlanError('state', 'got %r, expected one of: %s' % (state, ', '.join(STATES)))
    want = [] if state == 'absent' else list(want)
    for rule in want:
        if rule.get('group') != rule_group:
            raise PlanError('rules', 'wanted rule %r belongs to group %r, not %r'
                            % (rule['name'], rule.get('group'), rule_group))
    check_duplicate_names(want)
    owned = [copy.deepcopy(r) for r in have if r.get('group') == rule_group]
    before = copy.deepcopy(owned)
    # Identity by flow (rule_key), not by name: a rule whose port, scope or name changed is the same rule.
    want_by_key = dict((rule_key(w), w) for w in want)
    changes = []
    after = []
    seen_names, matched = set(), set()
    for rule in owned:
        name = rule['name']
        key = rule_key(rule)
        wanted = want_by_key.get(key) if key else None
        if name in seen_names or (wanted is not None and key in matched):
            # a duplicate of one of ours (a hand-made copy, or an old and a new rule of one flow): keep one
            changes.append({'action': 'remove', 'name': name, 'before': rule, 'after': None, 'fields': []})
            continue
        seen_names.add(name)
        if wanted is not None:
            matched.add(key)
            fields = [k for k in ('name',) + SPEC_FIELDS if rule.get(k) != wanted.get(k)]
            fields += [k for k, default in OPTIONAL_SPEC if rule.get(k, default) != wanted.get(k, default)]
            if rule.get('flows') and wanted.get('flows') and rule['flows'] != wanted['flows']:
                fields.append('flows')  # a backend that stores the flow ids (Windows: Description) has stale ones
            if fields:
                changes.append({'action': 'update', 'name': wanted['name'], 'before': rule,
                                'after': copy.deepcopy(wanted), 'fields': fields})
            after.append(copy.deepcopy(wanted))
        elif state == 'merged':
            after.append(rule)
        else:
            changes.append({'action': 'remove', 'name': name, 'before': rule, 'after': None, 'fields': []})
    for wanted in want:
        if rule_key(wanted) not in matched:
            changes.append({'action': 'add', 'name': wanted['name'], 'before': None, 'after': copy.deepcopy(wanted),
                            'fields': list(SPEC_FIELDS)})
            after.append(copy.deepcopy(wanted))
    if state == 'replaced':
        order = dict((w['name'], i) for i, w in enumerate(want))
        after.sort(key=lambda r: order[r['name']])
    commands = []
    for change in changes:
        if change['action'] == 'add':
            commands.append('add rule %r: %s' % (change['name'], _describe(change['after'])))
        elif change['action'] == 'update':
            defaults = dict(OPTIONAL_SPEC)
            commands.append('update rule %r: %s' % (change['before']['name'], '; '.join(
                '%s %s -> %s' % (k, change['before'].get(k, defaults.get(k)), change['after'].get(k, defaults.get(k)))
                for k in change['fields'])))
        else:
            commands.append('remove rule %r' % change['name'])
    return {'changes': changes, 'before': before, 'after': after, 'commands': commands, 'changed': bool(changes)}
