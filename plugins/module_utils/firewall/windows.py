# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows Defender Firewall backend of ``mve_firewall``: PowerShell text + pure Python parsers.

Nothing here talks to a host. The PowerShell is one shipped step, ``module_utils/windows/firewall.ps1``, sent by
the shared Windows transport (plugins/plugin_utils/windows_transport.py) with a JSON payload: the action
plugin (plugins/action/mve_firewall.py) runs it with ``read_payload()`` (one round trip), plans on the
controller with firewall_plan, and runs it with ``apply_payload()`` (at most one round trip). Nothing the user
wrote is ever part of PowerShell code, and the step is data-driven, so its Python reference
(lab/windows/fwpolicy_sim.py) follows the same contract and is what the tests run.

Why the ``HNetCfg.FwPolicy2`` COM object rather than the NetSecurity cmdlets: ``$policy.Rules`` hands out
every rule of the local policy store with its ports (``LocalPorts``/``RemotePorts``), addresses
(``RemoteAddresses``), protocol, direction, action and ``Grouping`` as plain properties, in one in-process
enumeration. ``Get-NetFirewallRule`` goes through CIM (``root/StandardCimv2``, ``MSFT_NetFirewallRule``) and
keeps ports and addresses in separate associated classes, so getting the same facts needs
``Get-NetFirewallPortFilter`` and ``Get-NetFirewallAddressFilter`` as well (association queries, per rule
or for the whole store then joined): on a Windows Server with several hundred rules this is widely reported
to take seconds where the COM enumeration takes a fraction of one. That claim has NOT been measured by this
project (there is no Windows host on the build machines): the opt-in Molecule scenario is where to measure
it (docs/firewall.md). Writes go through COM too (``HNetCfg.FWRule`` + ``$policy.Rules.Add``, property sets
on live rule objects), so one script does read-modify-write with one object model.

COM facts used (Microsoft's INetFwRule / INetFwPolicy2 documentation): ``Protocol`` 6 TCP, 17 UDP, 256
any, and it must be set before ``LocalPorts``/``RemotePorts``; ``Direction`` 1 in, 2 out; ``Action`` 0
block, 1 allow; ``Profiles`` a bit mask (1 domain, 2 private, 4 public, 0x7FFFFFFF all); ports are a
comma-separated string, ``*`` for any, ``a-b`` ranges, or keywords (``RPC``, ``RPC-EPMap``, ``IPHTTPS``,
...); addresses are a comma-separated string, ``*`` for any, addresses, ``a/len`` or ``a/mask`` subnets,
``a-b`` ranges, or keywords (``LocalSubnet``, ``DNS``, ``DHCP``, ``WINS``, ``DefaultGateway``, ...).
``Rules.Remove(name)`` and ``Rules.Item(name)`` go by *name*, and names are not unique across groups, so
the apply script never removes by a name it did not make unique itself (see APPLY below).

Ownership: a rule is ours when its ``Grouping`` equals the rule group. The scripts only enumerate,
change and remove rules with that Grouping; other groups' rules, even of the same name, are never touched.
The flow ids of a rule live in its ``Description`` (``description()``/``flows_from_description()``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.printfleet.mve.plugins.module_utils.common import addresses
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import BackendError
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as firewall_plan

PROTOCOLS = {'tcp': 6, 'udp': 17}
PROTOCOL_NAMES = dict((v, k) for k, v in PROTOCOLS.items())
DIRECTIONS = {'inbound': 1, 'outbound': 2}
DIRECTION_NAMES = dict((v, k) for k, v in DIRECTIONS.items())
ACTIONS = {'block': 0, 'allow': 1}
ACTION_NAMES = dict((v, k) for k, v in ACTIONS.items())
PROFILES_ALL = 0x7FFFFFFF
PROFILE_BITS = (('domain', 1), ('private', 2), ('public', 4))
ANY = '*'
# The line prefix of the scripts' JSON result, so that progress noise or warnings on stdout cannot confuse
# the parser.
SCRIPT = 'firewall'
DESCRIPTION_TEMPLATE = 'Markvision Enterprise flows: %s (managed by printfleet.mve.mve_firewall)'
_DESCRIPTION_RE = re.compile(r'Markvision Enterprise flows: ([^()]*?)\s*\(managed by printfleet\.mve')
# The properties the scripts read and write, in the order the apply script sets them (Protocol before ports).
COM_PROPERTIES = ('Name', 'Description', 'Grouping', 'Protocol', 'LocalPorts', 'RemotePorts', 'RemoteAddresses',
                  'Direction', 'Action', 'Profiles', 'Enabled')
# The other INetFwRule conditions a rule can carry, with the value the module writes: a rule of ours that a
# person narrowed to an application, a service, local addresses, interfaces, or opened to edge traversal no
# longer does what the plan says, so any difference is drift (the planner's ``conditions`` field) and an
# update writes these values back; the apply step's snapshots hold them too, so a rollback restores them.
CONDITION_DEFAULTS = (('ApplicationName', None), ('ServiceName', None), ('LocalAddresses', ANY),
                      ('InterfaceTypes', 'All'), ('Interfaces', None), ('EdgeTraversal', False),
                      ('IcmpTypesAndCodes', None))
COM_PROPERTIES = COM_PROPERTIES + tuple(pair[0] for pair in CONDITION_DEFAULTS)
# INetFwPolicy2.LocalPolicyModifyState: whether the local rules this module writes take effect.
MODIFY_STATES = {0: 'ok', 1: 'group_policy_override', 2: 'inbound_blocked'}


class WindowsFirewallError(BackendError):
    """The PowerShell step failed, or its output could not be understood. ``result``: the step's result."""

    def __init__(self, message, field=None, result=None):
        super(WindowsFirewallError, self).__init__(message, field=field)
        self.result = result


# ---- planner model -> COM properties -------------------------------------------------------------------

def description(rule):
    """The rule's Description: its flow ids, read back by flows_from_description()."""
    if not rule.get('flows'):
        return 'Managed by printfleet.mve.mve_firewall'
    return DESCRIPTION_TEMPLATE % ', '.join(rule['flows'])


def flows_from_description(text):
    match = _DESCRIPTION_RE.search(text or '')
    if not match:
        return []
    return [f.strip() for f in match.group(1).split(',') if f.strip()]


def ports_to_windows(ports):
    """Planner ports ([] = any, ints, 'lo-hi') -> the COM port string."""
    if not ports:
        return ANY
    return ','.join(str(p) for p in ports)


def addresses_to_windows(addresses):
    """Planner scope (['any'] or canonical addresses, networks, 'a-b' ranges) -> the COM address string.

    The planner's canonical forms are all valid Windows syntax as they are: ``10.0.0.5``, ``10.0.0.0/24``,
    ``10.0.0.10-10.0.0.20``, ``2001:db8::/64``; ``any`` is ``*``. (Windows keywords such as ``LocalSubnet``
    have no nftables equivalent, so the backend-neutral scopes do not offer them.)
    """
    if not addresses or list(addresses) == [firewall_plan.ANY]:
        return ANY
    return ','.join(addresses)


def profiles_text(names):
    """The ``profiles`` value of a rule for a list of profile names: ``all``, or the names in COM bit order."""
    wanted = set(names or ())
    if wanted >= set(n for n, dummy in PROFILE_BITS):
        return 'all'
    return ', '.join(n for n, dummy in PROFILE_BITS if n in wanted) or 'none'


def profiles_of_mask(mask):
    """A COM ``Profiles`` bit mask -> ``all``, or the profile names in bit order, or ``none``."""
    mask = int(mask or 0)
    if (mask & 7) == 7:
        return 'all'
    return ', '.join(n for n, bit in PROFILE_BITS if mask & bit) or 'none'


def profiles_mask(text):
    """A rule's ``profiles`` value -> the COM bit mask."""
    if text in (None, 'all'):
        return PROFILES_ALL
    names = [n.strip() for n in str(text).split(',')]
    return sum(bit for n, bit in PROFILE_BITS if n in names)


def to_com(rule, rule_group):
    """A planner rule -> the dict of COM properties the apply step sets (every key of COM_PROPERTIES)."""
    if rule['transport'] not in PROTOCOLS:
        raise WindowsFirewallError('rule %r: transport %r' % (rule['name'], rule['transport']), field='rules')
    com = {
        'Name': rule['name'],
        'Description': description(rule),
        'Grouping': rule_group,
        'Protocol': PROTOCOLS[rule['transport']],
        'LocalPorts': ports_to_windows(rule['local_ports']),
        'RemotePorts': ports_to_windows(rule['remote_ports']),
        'RemoteAddresses': addresses_to_windows(rule['remote_addresses']),
        'Direction': DIRECTIONS[rule['direction']],
        'Action': ACTIONS[rule.get('action', 'allow')],
        'Profiles': profiles_mask(rule.get('profiles', 'all')),
        'Enabled': bool(rule.get('enabled', True)),
    }
    com.update(CONDITION_DEFAULTS)
    return com


def conditions(com):
    """The conditions of a read rule that differ from what the module writes, or None when there are none."""
    out = {}
    for key, default in CONDITION_DEFAULTS:
        value = com.get(key, default)
        if key == 'InterfaceTypes':
            same = str(value or 'All').lower() == 'all'
        elif key == 'LocalAddresses':
            same = value in (None, '', ANY)
        elif key == 'EdgeTraversal':
            same = not value
        else:
            same = value in (None, '')
        if not same:
            out[key] = value
    return out or None


# ---- COM properties -> planner model --------------------------------------------------------------------

def _split(text):
    if text is None:
        return []
    if isinstance(text, (list, tuple)):
        text = ','.join(str(t) for t in text)
    return [t.strip() for t in str(text).split(',') if t.strip()]


def ports_from_windows(text):
    """The COM port string -> planner ports. Keywords (``RPC``...) are kept verbatim, so they never compare
    equal to a wanted rule (and get replaced)."""
    tokens = _split(text)
    if not tokens or ANY in tokens:
        return []
    numeric = [t for t in tokens if re.match(r'^\d+(-\d+)?$', t)]
    keywords = sorted(t for t in tokens if t not in numeric)
    return firewall_plan.canonical_ports([int(t) if t.isdigit() else t for t in numeric]) + keywords


def _address_token(token):
    """One COM address token -> a planner address item (a/len and a/255.255.255.0 networks, full ranges), or
    None for a keyword."""
    try:
        addresses.parse(token, short_ranges=False)
    except addresses.AddressError:
        return None
    return token


def addresses_from_windows(text):
    """The COM address string -> planner scope (``['any']``, or canonical addresses; keywords such as
    ``LocalSubnet`` are kept verbatim after them, so a hand-edited rule compares unequal and is rewritten)."""
    tokens = _split(text)
    if not tokens or ANY in tokens:
        return [firewall_plan.ANY]
    items, keywords = [], []
    for token in tokens:
        item = _address_token(token)
        if item is None:
            keywords.append(token)
        else:
            items.append(item)
    return (firewall_plan.canonical_addresses(items) if items else []) + sorted(keywords)


def from_com(com, rule_group):
    """One rule's COM properties -> the planner model, plus ``enabled``, ``profiles`` and ``description``."""
    protocol = com.get('Protocol')
    transport = PROTOCOL_NAMES.get(protocol, 'protocol %s' % protocol)
    flows = flows_from_description(com.get('Description'))
    profiles = com.get('Profiles')
    return {
        'name': com.get('Name') or '',
        'group': com.get('Grouping') if com.get('Grouping') is not None else rule_group,
        'direction': DIRECTION_NAMES.get(com.get('Direction'), 'direction %s' % com.get('Direction')),
        'transport': transport,
        'local_ports': ports_from_windows(com.get('LocalPorts')),
        'remote_ports': ports_from_windows(com.get('RemotePorts')),
        'remote_addresses': addresses_from_windows(com.get('RemoteAddresses')),
        'action': ACTION_NAMES.get(com.get('Action'), 'action %s' % com.get('Action')),
        'role': None,
        'flows': flows,
        'enabled': bool(com.get('Enabled')),
        'profiles': profiles_of_mask(profiles),
        'description': com.get('Description'),
        'conditions': conditions(com),
    }


def planner_view(rule):
    """A read rule as the planner compares it: the model's fields, plus ``enabled``/``profiles`` only when
    they differ from what the module writes (``True``/``all``), so an untouched rule compares equal to the
    wanted one and a disabled or narrowed one is updated (firewall_plan.OPTIONAL_SPEC)."""
    out = dict((k, rule[k]) for k in firewall_plan.RULE_FIELDS if k in rule)
    for key, default in firewall_plan.OPTIONAL_SPEC:
        if key in rule and rule[key] != default:
            out[key] = rule[key]
    return out


# ---- output parsing ---------------------------------------------------------------------------------------

def _as_list(value):
    """ConvertTo-Json in Windows PowerShell 5.1 may turn a one-element array into the element, none into null."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    return list(value)


def default_outbound_action(profiles):
    """``block`` when a current profile with the firewall on blocks outbound by default, else ``allow``."""
    current = [p for p in profiles if p.get('current')]
    for profile in current:
        if profile.get('enabled') and profile.get('default_outbound_action') == 'block':
            return 'block'
    return 'allow'


def parse_read(data, rule_group='printfleet.mve'):
    """The read step's returned object -> what the action plugin needs.

    Returns ``rules`` (ours, planner model with ``enabled``, ``profiles``, ``description``), ``profiles``
    (``name``, ``current``, ``enabled``, ``default_inbound_action``, ``default_outbound_action``),
    ``default_outbound_action`` (for ``outbound: auto``), ``dynamic_ports`` ((lo, hi) or None) and
    ``rule_count`` (all rules the host has, for the record) and ``local_policy_modify_state`` (``ok``,
    ``group_policy_override``, ``inbound_blocked``, or None when the host did not say).
    """
    try:
        return _parse_read(data, rule_group)
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
        raise WindowsFirewallError('the firewall step returned something this module cannot read (%s: %s)'
                                   % (type(exc).__name__, exc))


def _parse_read(data, rule_group='printfleet.mve'):
    if not isinstance(data, dict) or data.get('op') != 'read':
        raise WindowsFirewallError('the read step returned no rule list')
    if data.get('error'):
        raise WindowsFirewallError('reading the firewall rules failed on the Windows host: %s' % data['error'])
    rules = []
    for com in _as_list(data.get('rules')):
        if com.get('Grouping') != rule_group:  # the script filters already; never trust more than we asked
            continue
        rules.append(from_com(com, rule_group))
    profiles = []
    for profile in _as_list(data.get('profiles')):
        profiles.append({
            'name': profile.get('name'),
            'current': bool(profile.get('current')),
            'enabled': bool(profile.get('enabled')),
            'default_inbound_action': ACTION_NAMES.get(profile.get('default_inbound_action'), 'block'),
            'default_outbound_action': ACTION_NAMES.get(profile.get('default_outbound_action'), 'allow'),
        })
    dynamic = data.get('dynamic_ports') or {}
    dynamic_ports = None
    if dynamic.get('start') and dynamic.get('count'):
        start, count = int(dynamic['start']), int(dynamic['count'])
        if 0 < start and start + count - 1 <= 65535 and count > 0:
            dynamic_ports = (start, start + count - 1)
    return {'rules': rules, 'profiles': profiles, 'default_outbound_action': default_outbound_action(profiles),
            'management': [m for m in _as_list(data.get('management')) if isinstance(m, dict)],
            'dynamic_ports': dynamic_ports, 'rule_count': data.get('rule_count'),
            'local_policy_modify_state': MODIFY_STATES.get(data.get('local_policy_modify_state'),
                                                           data.get('local_policy_modify_state'))}


def parse_apply(data):
    """The apply step's returned object -> dict: ``ok``, ``done`` (steps applied: {step, op, name}), and on a failure
    ``failed_step``, ``error``, ``rolled_back`` (undo steps that worked) and ``rollback_errors``."""
    try:
        return _parse_apply(data)
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
        raise WindowsFirewallError('the firewall step returned something this module cannot read (%s: %s)'
                                   % (type(exc).__name__, exc))


def _parse_apply(data):
    if not isinstance(data, dict) or data.get('op') != 'apply':
        raise WindowsFirewallError('the apply step returned no outcome')
    out = {'ok': bool(data.get('ok')), 'done': _as_list(data.get('done')),
           'failed_step': data.get('failed_step'), 'error': data.get('error'),
           'rolled_back': _as_list(data.get('rolled_back')), 'rollback_errors': _as_list(data.get('rollback_errors'))}
    return out


# ---- payloads and scripts --------------------------------------------------------------------------------

def read_payload(rule_group, management_ports=()):
    """The read step's payload: the rules of ``rule_group``, the profiles, the policy's modify state, and the
    other groups' enabled inbound allow rules that open one of ``management_ports``."""
    return {'op': 'read', 'group': firewall_plan.validate_rule_group(rule_group),
            'management_ports': [int(p) for p in management_ports]}


def management_rule(com, scopes):
    """One reported management rule (another group's rule that opens a management port) -> the result's view,
    with ``outside_scopes``: whether it accepts peers outside ``scopes`` (a canonical list, or ``['any']``; a
    keyword such as ``LocalSubnet`` counts as outside, since the module cannot tell what it covers)."""
    remote = str(com.get('RemoteAddresses') or ANY)
    profiles = com.get('Profiles') if isinstance(com.get('Profiles'), int) else 0
    # '*' and keywords do not parse as addresses: within() says no, so they count as outside
    outside = not all(firewall_plan.within(token, scopes) for token in _split(remote))
    return {'name': str(com.get('Name') or ''), 'group': str(com.get('Grouping') or ''),
            'local_ports': str(com.get('LocalPorts') or ANY),
            'remote_addresses': remote,
            'profiles': profiles_of_mask(profiles),
            'outside_scopes': outside}


def apply_payload(changes, rule_group):
    """The planner's change list -> the apply step's data: one step per change, in the plan's order.

    ``add`` and ``update`` carry the full COM properties to set (``rule``); ``update`` and ``remove`` carry
    the rule as it was read (``before``, for the record: the script snapshots the live rule itself before
    touching it and rolls back to that snapshot).
    """
    group = firewall_plan.validate_rule_group(rule_group)
    steps = []
    for change in changes:
        if change['action'] not in ('add', 'update', 'remove'):
            raise WindowsFirewallError('change %r: action %r' % (change['name'], change['action']))
        if change['action'] == 'update' and 'name' in change['fields']:
            # A renamed rule (same flows, new name): remove the old one and add the new one, in the same
            # transaction (a failure rolls both back). The COM rule is found by its name, so no in-place rename.
            steps.append({'op': 'remove', 'name': change['before']['name'],
                          'before': to_com_loose(change['before'], group)})
            steps.append({'op': 'add', 'name': change['after']['name'], 'rule': to_com(change['after'], group)})
            continue
        step = {'op': change['action'], 'name': change['name']}
        if change['action'] in ('add', 'update'):
            step['rule'] = to_com(change['after'], group)
        if change['action'] in ('update', 'remove') and change.get('before') is not None:
            step['before'] = to_com_loose(change['before'], group)
        steps.append(step)
    return {'op': 'apply', 'group': group, 'steps': steps}


def to_com_loose(rule, rule_group):
    """Best-effort COM view of a read rule (for the record in the payload; fields the model could not map
    stay as read)."""
    try:
        com = to_com(rule, rule_group)
    except (KeyError, WindowsFirewallError):
        com = {'Name': rule.get('name'), 'Grouping': rule_group}
    com['Enabled'] = rule.get('enabled', True)
    return com
