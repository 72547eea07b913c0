# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firewalld backend of ``mve_firewall``: one firewalld *policy* per rule group and direction, read once and
written once per run through firewalld's D-Bus API.

Ownership. Each rule group owns two policies (``policy_names``): ``<group>_in`` (ingress zone ``ANY``, egress
zone ``HOST``: what reaches the host from any zone) and ``<group>_out`` (``HOST`` -> ``ANY``), both with target
``CONTINUE`` and priority ``POLICY_PRIORITY`` (negative: firewalld runs them before the zones, so their accepts and
scope drops come before a zone's services and its default reject). The names are the rule group with dots and
dashes as underscores; a group too long for firewalld's 18-character policy names is shortened with a hash. A
policy is ours when its description starts with ``[<rule_group>] ``; everything in it is ours, nothing outside it
is ever touched. A policy of that name that is not ours, or one of ours that holds something the module never
writes (a service, a port, a rich rule of another form), is reported and the run refused.

Rules. Every planner rule becomes firewalld rich rules, one per address network and port (a rich rule holds one
source and one port): ``rule priority="<role>" family="ipv4" source address="10.0.0.0/8" port port="9187"
protocol="udp" accept``. Ranges of a scope become the networks that cover them exactly (read back, they merge into
the range again). The rich rule's priority says the rule's peer role (``ROLE_PRIORITIES``), so a rule's identity
(``planner.rule_key``: direction from the policy, transport, role, the peers' source ports) survives in the
runtime configuration alone; the rule *names* are kept in the policy's description, one ``<key>: <name>`` line
per rule. Scopes restrict like on nftables: each scoped inbound port gets a rich rule without source that drops
it (priority ``DROP_PRIORITY``, after every accept). A rich rule holds one port element, so the active-mode FTP
data rule (peers' source port 20 to the local dynamic range) is a ``source-port`` rule: it accepts TCP from port
20 of the printers to any local port, and has no scope drop; its local ports are kept in the description.

Runtime and permanent. firewalld has no runtime-only policies: the policies (zones, priority, target and the
description with the names) are always permanent configuration. ``persist`` decides whether the rich rules are
written to the permanent configuration too (default) or to the runtime only. A policy created by this module
takes effect at runtime only after a reload, which also drops other people's runtime-only changes: the module
reloads only when one of its policies is missing at runtime (the first run on a host), and otherwise changes the
runtime policy in place (``setPolicySettings``, one transaction in firewalld).

Processes. The module's interpreter needs no firewalld bindings: a small program (``HELPER``) runs with the
interpreter of ``firewall-cmd`` (its shebang: the Python that has firewalld's own client library) and does one
read (both policies, runtime and permanent, and the other policies' targets) or one apply (the whole list of
operations, with the reload when needed) per process: one read and at most one apply per run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import ipaddress
import json
import re

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import BackendError
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as firewall_plan

POLICY_PRIORITY = -20000
MAX_POLICY_NAME = 18
# Rich rule priority per peer role (append only: a stored priority must keep its role).
ROLE_PRIORITIES = (('printer', -199), ('browser', -198), ('database', -197), ('smtp', -196), ('ldap', -195),
                   ('kdc', -194), ('mve_server', -193))
DROP_PRIORITY = -100
POLICY_DIRECTIONS = (('inbound', 'in', ['ANY'], ['HOST']), ('outbound', 'out', ['HOST'], ['ANY']))
# The settings keys the module writes; a policy of ours holding anything in the others is refused.
OWNED_KEYS = ('short', 'description', 'target', 'priority', 'ingress_zones', 'egress_zones', 'rich_rules')
EMPTY_KEYS = ('services', 'ports', 'protocols', 'source_ports', 'icmp_blocks', 'forward_ports')
TARGET = 'CONTINUE'

ENFORCE_REFUSED = ('true is not available with backend firewalld: firewalld\'s zones already reject the new '
                   'inbound connections they do not allow, and the module only adds its policy (accepts and scope '
                   'drops) in front of them. Set enforce: false, or use backend nftables on a host without '
                   'firewalld; refused, nothing changed')
DISABLED_REFUSED = ('false is not available with backend firewalld, which has no disabled rich rules: use '
                    'state: absent to remove the rules; refused, nothing changed')


class FirewalldError(BackendError):
    """firewalld (or the helper that talks to it) failed, printed something unreadable, or holds something in our
    policies that the module did not write (``field`` set)."""


def refusal(params):
    """The options this backend refuses before anything is read: (field, message), or None."""
    if params.get('state') == 'absent':
        return None
    if params.get('enforce'):
        return 'enforce', ENFORCE_REFUSED
    if not params.get('enabled', True):
        return 'enabled', DISABLED_REFUSED
    return None


# ---- names ---------------------------------------------------------------------------------------------

def policy_base(rule_group):
    base = ''.join(c if c.isalnum() or c == '_' else '_' for c in rule_group)
    if len(base) + len('_out') <= MAX_POLICY_NAME:
        return base
    digest = hashlib.sha1(rule_group.encode('utf-8')).hexdigest()[:4]
    return '%s_%s' % (base[:MAX_POLICY_NAME - len('_out') - 5], digest)


def policy_names(rule_group):
    """{direction: policy name} of a rule group."""
    base = policy_base(rule_group)
    return dict((direction, '%s_%s' % (base, suffix)) for direction, suffix, dummy, dummy2 in POLICY_DIRECTIONS)


def tag(rule_group):
    return '[%s] ' % rule_group


def role_priority(role):
    for name, priority in ROLE_PRIORITIES:
        if name == role:
            return priority
    return None


def role_of_priority(priority):
    for name, value in ROLE_PRIORITIES:
        if value == priority:
            return name
    return None


# ---- render ----------------------------------------------------------------------------------------------

def networks(items):
    """A canonical scope as CIDR networks (a rich rule takes an address or a network, no ``a-b`` range)."""
    out = []
    for item in items:
        if '-' in item:
            first, last = (ipaddress.ip_address(p) for p in item.split('-', 1))
            out.extend(str(n) for n in ipaddress.summarize_address_range(first, last))
        else:
            out.append(item)
    return out


def rich_text(priority=None, family=None, source=None, destination=None, element=None, port=None,
              protocol=None, action='accept'):
    """A rich rule as firewalld prints it (Rich_Rule.__str__: priority, family, source, destination, element,
    action), so that what the module writes and what it reads back compare as text."""
    parts = ['rule']
    if priority:
        parts.append('priority="%d"' % priority)
    if family:
        parts.append('family="%s"' % family)
    if source:
        parts.append('source address="%s"' % source)
    if destination:
        parts.append('destination address="%s"' % destination)
    if element:
        parts.append('%s port="%s" protocol="%s"' % (element, port, protocol))
    parts.append(action)
    return ' '.join(parts)


def _family(address):
    return 'ipv6' if ':' in address else 'ipv4'


def rule_rich_rules(rule):
    """The accept rich rules of one planner rule. Raises FirewalldError (field rules) for what a rich rule cannot
    hold."""
    priority = role_priority(rule.get('role') or (firewall_plan.parse_key(rule.get('key')) or (None, None, None))[2])
    if priority is None:
        raise FirewalldError('rule %r serves peer role %r, which the firewalld backend has no rich rule priority '
                             'for' % (rule['name'], rule.get('role')), field='rules', kind='input')
    if rule.get('action', 'allow') != 'allow':
        raise FirewalldError('rule %r: the firewalld backend writes allow rules only' % rule['name'], field='rules',
                             kind='input')
    inbound = rule['direction'] == 'inbound'
    transport = rule['transport']
    if inbound:
        if rule['remote_ports']:
            element, ports = 'source-port', rule['remote_ports']
        else:
            element, ports = 'port', rule['local_ports']
    else:
        if rule['local_ports']:
            raise FirewalldError('rule %r: an outbound rich rule cannot also hold local ports' % rule['name'],
                                 field='rules', kind='input')
        element, ports = 'port', rule['remote_ports']
    if not ports:
        raise FirewalldError('rule %r has no port for a rich rule' % rule['name'], field='rules', kind='input')
    out = []
    anywhere = rule['remote_addresses'] == [firewall_plan.ANY]
    for net in ([None] if anywhere else networks(rule['remote_addresses'])):
        for port in ports:
            out.append(rich_text(priority, _family(net) if net else None, source=net if inbound else None,
                                 destination=None if inbound else net, element=element, port=port,
                                 protocol=transport))
    return out


def scoped(rule):
    """An inbound allow rule limited to some peers, on local ports (the FTP data source-port rule has no drop)."""
    return (rule['direction'] == 'inbound' and rule.get('action', 'allow') == 'allow' and not rule['remote_ports']
            and rule['remote_addresses'] != [firewall_plan.ANY])


def scope_drop_rules(rules):
    out = []
    for rule in rules:
        if scoped(rule):
            for port in rule['local_ports']:
                text = rich_text(DROP_PRIORITY, element='port', port=port, protocol=rule['transport'], action='drop')
                if text not in out:
                    out.append(text)
    return out


_ENTRY = re.compile(r'([a-z]+/[a-z]+/[a-z_]+(?:/[0-9,-]+)?)="([^"]*)"(?: local=([0-9,-]+))?')


def description(rule_group, rules):
    """The policy's description: the tag, then ``<key>="<name>"`` per rule (`` local=<ports>`` for a source-port
    rule). One line: firewalld reads a description back from its XML file with newlines as spaces; a rule name
    holds no double quote (the planner refuses them), so the quotes delimit it."""
    entries = []
    for rule in sorted(rules, key=lambda r: firewall_plan.rule_key(r) or ''):   # the same text whatever the order
        entry = '%s="%s"' % (firewall_plan.rule_key(rule), rule['name'])
        if rule['direction'] == 'inbound' and rule['remote_ports']:
            entry += ' local=%s' % ','.join(str(p) for p in rule['local_ports'])
        entries.append(entry)
    return tag(rule_group) + 'MVE flows of the printfleet.mve.mve_firewall Ansible module: change them there, ' \
                             'not here. Rules (key="name"): ' + (' '.join(entries) or 'none')


def parse_description(text, rule_group):
    """(ours, {key: {name, local_ports}}) of a policy description."""
    text = text or ''
    if not text.startswith(tag(rule_group)):
        return False, {}
    out = {}
    for key, name, local in _ENTRY.findall(text):
        if not firewall_plan.parse_key(key):
            continue
        try:
            ports = firewall_plan.canonical_ports(local.split(',')) if local else []
        except ValueError:
            ports = []
        out[key] = {'name': name, 'local_ports': ports}
    return True, out


def policy_settings(rule_group, rules, direction):
    """The settings (the keys the module owns) of one direction's policy holding ``rules`` of that direction."""
    mine = [r for r in rules if r['direction'] == direction]
    for d, suffix, ingress, egress in POLICY_DIRECTIONS:
        if d == direction:
            break
    rich = []
    for rule in mine:
        rich.extend(rule_rich_rules(rule))
    if direction == 'inbound':
        rich.extend(scope_drop_rules(mine))
    return {'short': '%sMVE %s' % (tag(rule_group), direction), 'description': description(rule_group, mine),
            'target': TARGET, 'priority': POLICY_PRIORITY, 'ingress_zones': list(ingress), 'egress_zones': list(egress),
            'rich_rules': rich}


# ---- parse -----------------------------------------------------------------------------------------------

_TOKEN = re.compile(r'\s*([A-Za-z][A-Za-z-]*)(?:="([^"]*)")?')
_FAMILIES = ('ipv4', 'ipv6')
_PORT = re.compile(r'^[0-9]{1,5}(-[0-9]{1,5})?$')


def parse_rich_rule(text):
    """One rich rule of the form the module writes -> dict (priority, family, source, destination, element, port,
    protocol, action), or None for any other form (a log, a service, NOT, an ipset ...)."""
    if not isinstance(text, str):
        return None
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            if text[pos:].strip() == '':
                break
            return None
        tokens.append((match.group(1), match.group(2)))
        pos = match.end()
    if not tokens or tokens[0] != ('rule', None):
        return None
    out = {'priority': 0, 'family': None, 'source': None, 'destination': None, 'element': None, 'port': None,
           'protocol': None, 'action': None}
    i = 1
    while i < len(tokens):
        word, value = tokens[i]
        if word == 'priority' and value is not None and i == 1:
            try:
                out['priority'] = int(value)
            except ValueError:
                return None
        elif word == 'family' and value in _FAMILIES and out['family'] is None:
            out['family'] = value
        elif word in ('source', 'destination') and value is None and i + 1 < len(tokens) \
                and tokens[i + 1][0] == 'address' and tokens[i + 1][1] and out[word] is None:
            out[word] = tokens[i + 1][1]
            i += 1
        elif word in ('port', 'source-port') and value is None and out['element'] is None and i + 2 < len(tokens) \
                and tokens[i + 1][0] == 'port' and tokens[i + 1][1] and tokens[i + 2][0] == 'protocol' \
                and tokens[i + 2][1] in ('tcp', 'udp'):
            out['element'], out['port'], out['protocol'] = word, tokens[i + 1][1], tokens[i + 2][1]
            i += 2
        elif word in ('accept', 'drop') and value is None and i == len(tokens) - 1:
            out['action'] = word
        else:
            return None
        i += 1
    if out['action'] is None or out['element'] is None:
        return None
    if not _PORT.match(out['port']):
        return None
    try:
        port = firewall_plan.canonical_ports([out['port']])
    except ValueError:   # PlanError, MatrixError: out of range, an empty range
        return None
    if len(port) != 1:
        return None
    out['port'] = port[0]
    for where in ('source', 'destination'):
        if out[where] is not None:
            if out['family'] is None:
                return None
            try:
                net = ipaddress.ip_network(out[where], strict=True)
            except ValueError:
                return None
            if (net.version == 6) != (out['family'] == 'ipv6'):
                return None
    return out


def _rich_key(text):
    """A rich rule's comparable form (the parsed fields), or the text for a form the module does not write."""
    parsed = parse_rich_rule(text)
    if parsed is None:
        return ('text', text)
    return tuple(sorted((k, str(v)) for k, v in parsed.items()))


def same_rich_rules(a, b):
    return sorted(_rich_key(t) for t in a or []) == sorted(_rich_key(t) for t in b or [])


def _foreign_in(name, settings, rule_group, direction):
    """What in one policy's settings the module did not write: [text]."""
    out = []
    for key in EMPTY_KEYS:
        if settings.get(key):
            out.append('%s %s' % (key, json.dumps(settings[key])))
    if settings.get('masquerade'):
        out.append('masquerade')
    for text in settings.get('rich_rules') or []:
        parsed = parse_rich_rule(text)
        ok = parsed is not None and (
            (parsed['action'] == 'accept' and role_of_priority(parsed['priority']) is not None)
            or (direction == 'inbound' and parsed['action'] == 'drop' and parsed['priority'] == DROP_PRIORITY
                and parsed['element'] == 'port' and not parsed['source'] and not parsed['destination']))
        if ok and parsed['action'] == 'accept':
            ok = (parsed['destination'] is None) if direction == 'inbound' else (
                parsed['source'] is None and parsed['element'] == 'port')
        if not ok:
            out.append('rich rule %r' % text)
    return out


def rules_of_policy(settings, direction, rule_group, names):
    """The planner rules (and the scope drops, as ``transport/port``) of one policy's rich rules."""
    by_key = {}
    order = []
    drops = []
    for text in settings.get('rich_rules') or []:
        parsed = parse_rich_rule(text)
        if parsed is None:
            continue
        if parsed['action'] == 'drop':
            drops.append('%s/%s' % (parsed['protocol'], parsed['port']))
            continue
        role = role_of_priority(parsed['priority'])
        if role is None:
            continue
        source_port = parsed['element'] == 'source-port'
        remote_ports = [parsed['port']] if direction == 'outbound' or source_port else []
        rule = {'direction': direction, 'transport': parsed['protocol'], 'role': role,
                'remote_ports': remote_ports if direction == 'inbound' else []}
        key = firewall_plan.rule_key(rule)
        address = parsed['source'] if direction == 'inbound' else parsed['destination']
        if key not in by_key:
            entry = names.get(key) or {}
            by_key[key] = {'name': entry.get('name') or key, 'group': rule_group, 'direction': direction,
                           'transport': parsed['protocol'], 'local_ports': [], 'remote_ports': [],
                           'remote_addresses': [], 'action': 'allow', 'role': role, 'flows': [], 'key': key,
                           '_any': False}
            if source_port:
                by_key[key]['local_ports'] = list(entry.get('local_ports') or [])
            order.append(key)
        rule = by_key[key]
        if address is None:
            rule['_any'] = True
        else:
            rule['remote_addresses'].append(address)
        if direction == 'outbound' or source_port:
            rule['remote_ports'].append(parsed['port'])
        else:
            rule['local_ports'].append(parsed['port'])
    rules = []
    for key in order:
        rule = by_key[key]
        any_peer = rule.pop('_any')
        rule['remote_addresses'] = [firewall_plan.ANY] if any_peer or not rule['remote_addresses'] else \
            firewall_plan.canonical_addresses(rule['remote_addresses'])
        rule['local_ports'] = firewall_plan.canonical_ports(rule['local_ports'])
        rule['remote_ports'] = firewall_plan.canonical_ports(rule['remote_ports'])
        rules.append(rule)
    return rules, drops


def parse_state(data, rule_group):
    """The helper's read (JSON text or parsed) -> what the module needs to know, with the keys of
    ``nftables.parse_ruleset`` plus ``policies`` ({name: {runtime, permanent}}: the settings as read) and
    ``version``. ``rules`` come from the runtime configuration (what filters packets now)."""
    try:
        return _parse_state(data, rule_group)
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
        raise FirewalldError('the firewalld read printed something this module cannot read (%s: %s)'
                             % (type(exc).__name__, exc))


def _parse_state(data, rule_group):
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise FirewalldError('cannot parse the firewalld read: %s' % exc)
    if not isinstance(data, dict):
        raise FirewalldError('the firewalld read is not a JSON object')
    if not data.get('ok'):
        raise FirewalldError('firewalld: %s' % data.get('error', 'the read failed'))
    if not data.get('running'):
        raise FirewalldError('firewalld is not running (its D-Bus API does not answer): start it, or use backend '
                             'nftables', field='backend')
    names = policy_names(rule_group)
    result = {'exists': False, 'rules': [], 'enforce': False, 'management_ports': [], 'foreign': [],
              'drop_chains': [], 'default_outbound_action': 'allow', 'base': [], 'scope_drops': [],
              'management_scopes': [firewall_plan.ANY], 'firewalls': ['firewalld'], 'policies': {},
              'version': str(data.get('version') or '')}
    policies = data.get('policies', {})
    if not isinstance(policies, dict):
        raise FirewalldError('the firewalld read has no policies object')
    for direction, dummy, dummy2, dummy3 in POLICY_DIRECTIONS:
        name = names[direction]
        found = policies.get(name) or {}
        runtime, permanent = found.get('runtime'), found.get('permanent')
        for settings in (runtime, permanent):
            if settings is not None and not isinstance(settings, dict):
                raise FirewalldError('policy %s: settings are not an object' % name)
        result['policies'][name] = {'runtime': runtime, 'permanent': permanent}
        labels = {}
        for where, settings in (('runtime', runtime), ('permanent', permanent)):
            if settings is None:
                continue
            result['exists'] = True
            ours, described = parse_description(settings.get('description'), rule_group)
            if not ours:
                result['foreign'].append({'chain': name, 'handle': where, 'comment': 'a policy named %s that is '
                                          'not rule group %s\'s (its description does not start with %r)'
                                          % (name, rule_group, tag(rule_group).strip())})
                continue
            for text in _foreign_in(name, settings, rule_group, direction):
                result['foreign'].append({'chain': name, 'handle': where, 'comment': text})
            if where == 'permanent' or not labels:
                labels = described   # the names: the permanent description, else the runtime one
        if runtime is not None and not [f for f in result['foreign'] if f['chain'] == name]:
            rules, drops = rules_of_policy(runtime, direction, rule_group, labels)
            result['rules'].extend(rules)
            result['scope_drops'].extend(drops)
    for other in data.get('others') or []:
        if 'HOST' in (other.get('ingress_zones') or []) and other.get('target') in ('DROP', 'REJECT'):
            result['default_outbound_action'] = 'block'
    return result


# ---- the program that talks to firewalld (runs with firewall-cmd's interpreter) ---------------------------

HELPER = r'''
import json, sys
def emit(obj):
    sys.stdout.write(json.dumps(obj))
def main():
    mode = sys.argv[1]
    request = json.loads(sys.stdin.read() or '{}')
    try:
        from firewall.client import FirewallClient, FirewallClientPolicySettings
    except Exception as exc:
        return emit({'ok': False, 'error': 'cannot import firewalld\'s client library (%s)' % exc})
    try:
        fw = FirewallClient()
    except Exception as exc:
        return emit({'ok': True, 'running': False, 'error': str(exc)})
    if not fw.connected:
        return emit({'ok': True, 'running': False})
    def settings_of(obj):
        return dict(obj.getSettingsDict())
    config = fw.config()
    if mode == 'read':
        names = request['policies']
        permanent_names = config.getPolicyNames()
        runtime_names = fw.getPolicies()
        out = {'ok': True, 'running': True, 'version': str(fw.get_property('version')), 'policies': {}, 'others': []}
        for name in names:
            out['policies'][name] = {
                'permanent': settings_of(config.getPolicyByName(name).getSettings()) if name in permanent_names else None,
                'runtime': settings_of(fw.getPolicySettings(name)) if name in runtime_names else None}
        for name in runtime_names:
            if name not in names:
                s = settings_of(fw.getPolicySettings(name))
                out['others'].append({'name': name, 'ingress_zones': s.get('ingress_zones'),
                                      'egress_zones': s.get('egress_zones'), 'target': s.get('target')})
        return emit(out)
    done, undo = [], []
    def merged(base, ours):
        s = FirewallClientPolicySettings(base) if base is not None else FirewallClientPolicySettings()
        s.setSettingsDict(ours)
        return s
    try:
        for op in request['ops']:
            kind, name = op['op'], op.get('policy')
            if kind == 'add-permanent':
                config.addPolicy(name, merged(None, op['settings']))
                undo.append(('remove', name, None))
            elif kind == 'update-permanent':
                obj = config.getPolicyByName(name)
                old = settings_of(obj.getSettings())
                obj.update(merged(old, op['settings']))
                undo.append(('update', name, old))
            elif kind == 'delete-permanent':
                obj = config.getPolicyByName(name)
                old = settings_of(obj.getSettings())
                obj.remove()
                undo.append(('add', name, old))
            elif kind == 'reload':
                fw.reload()
                undo = []
            elif kind == 'set-runtime':
                old = settings_of(fw.getPolicySettings(name))
                fw.setPolicySettings(name, merged(old, op['settings']))
                undo.append(('runtime', name, old))
            else:
                raise ValueError('unknown operation %r' % kind)
            done.append(op['op'] + (' ' + name if name else ''))
    except Exception as exc:
        error = str(exc) or type(exc).__name__
        rolled, rollback_errors = [], []
        for what, name, old in reversed(undo):
            try:
                if what == 'remove':
                    config.getPolicyByName(name).remove()
                elif what == 'update':
                    config.getPolicyByName(name).update(FirewallClientPolicySettings(old))
                elif what == 'add':
                    config.addPolicy(name, FirewallClientPolicySettings(old))
                else:
                    fw.setPolicySettings(name, FirewallClientPolicySettings(old))
                rolled.append('%s %s' % (what, name))
            except Exception as again:
                rollback_errors.append('%s %s: %s' % (what, name, again))
        return emit({'ok': False, 'error': error, 'done': done, 'rolled_back': rolled,
                     'rollback_errors': rollback_errors})
    emit({'ok': True, 'done': done})
main()
'''


def interpreter(shebang):
    """The argv prefix that runs a Python program with ``firewall-cmd``'s interpreter, from its first line
    (``#!/usr/bin/python3``, ``#!/usr/libexec/platform-python -s``, ``#!/usr/bin/env python3``)."""
    line = (shebang or '').splitlines()[0] if shebang else ''
    if not line.startswith('#!'):
        return None
    words = line[2:].split()
    if not words:
        return None
    if words[0].endswith('/env') and len(words) > 1:
        words = words[1:]
    return words


def _differs(have, want, keys):
    if have is None:
        return True
    for key in keys:
        if key == 'rich_rules':
            if not same_rich_rules(have.get(key), want.get(key)):
                return True
        elif have.get(key) != want.get(key):
            return True
    return False


RUNTIME_KEYS = ('priority', 'ingress_zones', 'egress_zones', 'rich_rules')


def operations(rule_group, rules, policies, persist=True):
    """The operations (for HELPER's apply) that make the group's policies hold exactly ``rules``, from the
    ``policies`` as read ({name: {runtime, permanent}}). Permanent changes first, then at most one reload (only
    when a policy is missing at runtime), then the runtime changes."""
    names = policy_names(rule_group)
    ops, runtime_ops = [], []
    reload = False
    for direction, dummy, dummy2, dummy3 in POLICY_DIRECTIONS:
        name = names[direction]
        have = policies.get(name) or {}
        have_p, have_r = have.get('permanent'), have.get('runtime')
        if rules:
            want = policy_settings(rule_group, rules, direction)
            perm = dict(want)
            if not persist:
                perm['rich_rules'] = list((have_p or {}).get('rich_rules') or [])
            if have_p is None:
                ops.append({'op': 'add-permanent', 'policy': name, 'settings': perm})
            elif _differs(have_p, perm, OWNED_KEYS):
                ops.append({'op': 'update-permanent', 'policy': name, 'settings': perm})
            if have_r is None:
                reload = True
            runtime_ops.append((name, have_r, perm, dict((k, want[k]) for k in RUNTIME_KEYS)))
        else:
            if have_p is not None and (persist or not have_p.get('rich_rules')):
                ops.append({'op': 'delete-permanent', 'policy': name})
            if have_r is not None and have_r.get('rich_rules'):
                runtime_ops.append((name, have_r, None, {'rich_rules': []}))
    if reload:
        ops.append({'op': 'reload'})
    for name, have_r, perm, want_r in runtime_ops:
        current = perm if reload and perm is not None else have_r
        if current is None or _differs(current, want_r, list(want_r)):
            ops.append({'op': 'set-runtime', 'policy': name, 'settings': want_r})
    return ops


def _read_dynamic_ports(path='/proc/sys/net/ipv4/ip_local_port_range'):
    with open(path) as fh:
        lo, hi = fh.read().split()
    return int(lo), int(hi)


class FirewalldBackend(object):
    """Reads and applies one rule group's firewalld policies. ``runner(argv, data=None) -> (rc, out, err)`` runs
    ``argv`` (the helper, with the interpreter prefix ``python``) and feeds ``data`` on stdin."""

    name = 'firewalld'

    def __init__(self, runner, rule_group='printfleet.mve', python=None, persist=True,
                 dynamic_ports_reader=_read_dynamic_ports):
        self.runner = runner
        self.rule_group = rule_group
        self.python = list(python or ['/usr/bin/python3'])
        self.persist = persist
        self.policies = policy_names(rule_group)
        self.table = self.policies['inbound']
        self.layout_command = 'rewrite firewalld policies %s, %s' % (self.policies['inbound'], self.policies['outbound'])
        self._dynamic_ports_reader = dynamic_ports_reader
        self._have = None
        self.calls = []

    def _helper(self, mode, request):
        argv = self.python + ['-c', HELPER, mode]
        self.calls.append(mode)
        rc, out, err = self.runner(argv, json.dumps(request))
        if rc != 0:
            raise FirewalldError('the firewalld %s (%s) failed (exit %s): %s' % (
                mode, ' '.join(self.python), rc, (err or out or '').strip()[-2000:]))
        return out

    def dynamic_ports(self):
        return self._dynamic_ports_reader()

    def read(self):
        """One helper process: both policies (runtime and permanent) and the other policies' targets."""
        have = parse_state(self._helper('read', {'policies': [self.policies['inbound'], self.policies['outbound']]}),
                           self.rule_group)
        if have['foreign']:
            raise FirewalldError(
                'firewalld policies of rule group %s hold what the collection did not write (%s); the module would '
                'overwrite it: move it to another policy or zone, or choose another rule_group' % (
                    self.rule_group, '; '.join('%s (%s): %s' % (f['chain'], f['handle'], f['comment'])
                                               for f in have['foreign'])), field='rule_group', kind='conflict')
        self._have = have
        return have

    def validate(self, rules):
        """Raise FirewalldError (with ``field``) for rules a policy cannot hold, before anything is applied."""
        for rule in rules:
            rule_rich_rules(rule)

    def _ops(self, rules):
        return operations(self.rule_group, rules, (self._have or {}).get('policies') or {}, self.persist)

    def layout_changes(self, have, rules, enforce):
        """What the policies lack although the rules read back as wanted: a rich rule of a scope that is missing, the
        scope drops, the permanent configuration out of step with the runtime, a policy missing at runtime."""
        return [('%s %s' % (op['op'], op.get('policy', ''))).strip() for op in self._ops(rules)]

    def render(self, rules, enforce=False, management_ports=firewall_plan.MANAGEMENT_PORTS, management_scopes=None):
        """The request the apply sends to firewalld: its operations, as JSON (the module's ``script``)."""
        return json.dumps({'ops': self._ops(rules)}, indent=1, sort_keys=True) + '\n'

    def apply(self, script):
        """One helper process runs the operations; on a failure it restores what it changed (except a reload)."""
        out = self._helper('apply', json.loads(script))
        try:
            result = json.loads(out)
        except ValueError:
            raise FirewalldError('the firewalld apply printed something this module cannot read: %r' % out[-2000:])
        if not isinstance(result, dict) or not result.get('ok'):
            result = result if isinstance(result, dict) else {}
            raise FirewalldError('firewalld refused the change: %s (done: %s; rolled back: %s%s)' % (
                result.get('error', 'no reason given'), ', '.join(result.get('done') or []) or 'nothing',
                ', '.join(result.get('rolled_back') or []) or 'nothing',
                '; rollback errors: %s' % '; '.join(result['rollback_errors']) if result.get('rollback_errors') else ''),
                rollback={'done': result.get('done') or [], 'rolled_back': result.get('rolled_back') or [],
                          'rollback_errors': result.get('rollback_errors') or []})
        return result
