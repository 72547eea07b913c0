# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nftables backend of ``mve_firewall``: read the owned table once, apply the whole table once.

Table design. Each rule group owns one table, ``inet <rule_group with . and - as _>`` (``inet
printfleet_mve`` by default), with up to two base chains, ``input`` and ``output``, both ``policy accept``:

- every rule of the planner becomes one nft rule per address family in the scope (``ip saddr`` for IPv4,
  ``ip6 saddr`` for IPv6, none for ``any``), with a ``counter`` and ``accept``, and the comment
  ``[<rule_group>] <rule name>``: that tag is how rules are recognized as ours (nft comments hold at most
  128 characters, so the flow ids are not stored; ``firewall_plan.annotate`` restores them by name);
- without ``enforce`` that is all: the table never drops anything, so it can never lock anyone out, and a
  host's own firewall (another table, firewalld, ufw) keeps its verdicts. Note what this means in nftables:
  an ``accept`` ends the packet's walk through *one* base chain only; a ``drop`` in another table's chain
  on the same hook still drops. The table then documents and counts the MVE flows; it cannot open a port
  that another table blocks (the backend reports such chains so the module can warn);
- with ``enforce`` the input chain makes the MVE server's inbound policy "exactly the MVE flows": it first
  accepts loopback, replies (``ct state established,related``), ICMP/ICMPv6 and new TCP connections to the
  management ports (SSH 22, WinRM 5985/5986 by default), then the MVE rules, then ``counter drop``. These
  base rules carry the comment ``[<rule_group>] base: ...``. The output chain never drops (enforcing
  outbound would also cut DNS, NTP and updates that the matrix does not list).

Apply. The whole table is rendered as one ``nft -f`` script: ``table`` (creates it when missing, so the
next line cannot fail), ``delete table``, then the full definition. ``nft -f`` runs a file as one
transaction: if any rule is refused, nothing changes and the previous table stays as it was.

Read. ``nft -j list ruleset`` (one process) gives our table and the other tables' base chains, which the
module needs for ``outbound: auto`` (any other ``output`` base chain with ``policy drop`` means the host
blocks outbound by default) and for the warning above. A rule inside our table without our tag (added by
hand) is reported as foreign; the module refuses to recreate the table over it.

The runner is injected: ``runner(args, data=None) -> (rc, stdout, stderr)``, with ``args`` the nft argument
list (without the binary) and ``data`` the script fed on stdin.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import BackendError
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as firewall_plan

MAX_COMMENT = 128
CHAINS = {'inbound': 'input', 'outbound': 'output'}
DIRECTION_OF_CHAIN = {'input': 'inbound', 'output': 'outbound'}
BASE_PREFIX = 'base: '


class NftError(BackendError):
    """nft failed, or its output could not be understood (or a wanted rule it cannot hold, ``field`` set)."""


def table_name(rule_group):
    return ''.join(c if c.isalnum() or c == '_' else '_' for c in rule_group)


def tag(rule_group):
    return '[%s] ' % rule_group


# ---- render ----------------------------------------------------------------------------------------------

def _set(values):
    values = [str(v) for v in values]
    if len(values) == 1:
        return values[0]
    return '{ %s }' % ', '.join(values)


def _comment(rule_group, text):
    comment = tag(rule_group) + text
    if len(comment) > MAX_COMMENT:
        raise NftError('rule name %r is too long for nftables: with the tag %r the comment has %d characters, '
                       'nft allows %d' % (text, tag(rule_group), len(comment), MAX_COMMENT), field='rule_names')
    return comment


def rule_lines(rule, rule_group):
    """The nft rule statements (without ``add rule``) of one planner rule."""
    inbound = rule['direction'] == 'inbound'
    transport = rule['transport']
    if inbound:
        port_parts = [('sport', rule['remote_ports']), ('dport', rule['local_ports'])]
    else:
        port_parts = [('sport', rule['local_ports']), ('dport', rule['remote_ports'])]
    ports = ' '.join('%s %s %s' % (transport, key, _set(values)) for key, values in port_parts if values)
    if not ports:
        ports = 'meta l4proto %s' % transport
    verdict = 'accept' if rule.get('action', 'allow') == 'allow' else 'drop'
    comment = _comment(rule_group, rule['name'])
    tail = '%s counter %s comment "%s"' % (ports, verdict, comment)
    addresses = rule['remote_addresses']
    if addresses == [firewall_plan.ANY]:
        return [tail]
    field = 'saddr' if inbound else 'daddr'
    lines = []
    for family, version in (('ip', 4), ('ip6', 6)):
        mine = [a for a in addresses if firewall_plan.address_version(a) == version]
        if mine:
            lines.append('%s %s %s %s' % (family, field, _set(mine), tail))
    return lines


def base_lines(rule_group, management_ports):
    """The enforce-mode rules around ours: (before, after)."""
    def c(text):
        return _comment(rule_group, BASE_PREFIX + text)
    before = [
        'iif "lo" accept comment "%s"' % c('loopback'),
        'ct state established,related accept comment "%s"' % c('replies'),
        'meta l4proto { icmp, ipv6-icmp } accept comment "%s"' % c('icmp'),
        'tcp dport %s accept comment "%s"' % (
            _set(firewall_plan.canonical_ports(management_ports, 'management_ports')), c('management')),
    ]
    after = ['counter drop comment "%s"' % c('drop')]
    return before, after


def render(rules, rule_group, enforce=False, management_ports=firewall_plan.MANAGEMENT_PORTS, remove=False):
    """The ``nft -f`` script that makes our table exactly ``rules`` (or removes it: ``remove``)."""
    name = table_name(rule_group)
    lines = ['table inet %s' % name, 'delete table inet %s' % name]
    if remove:
        return '\n'.join(lines) + '\n'
    chains = {'input': [], 'output': []}
    for rule in rules:
        chains[CHAINS[rule['direction']]].extend(rule_lines(rule, rule_group))
    if enforce:
        before, after = base_lines(rule_group, management_ports)
        chains['input'] = before + chains['input'] + after
    lines.append('table inet %s {' % name)
    for chain in ('input', 'output'):
        if not chains[chain]:
            continue
        lines.append('\tchain %s {' % chain)
        lines.append('\t\ttype filter hook %s priority filter; policy accept;' % chain)
        lines.extend('\t\t' + line for line in chains[chain])
        lines.append('\t}')
    lines.append('}')
    return '\n'.join(lines) + '\n'


# ---- parse -----------------------------------------------------------------------------------------------

def _set_items(right):
    """The elements of a match's right-hand side: an anonymous set's items, or the one value."""
    return right['set'] if isinstance(right, dict) and 'set' in right else [right]


def _addr_values(right):
    out = []
    for item in _set_items(right):
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and 'prefix' in item:
            out.append('%s/%d' % (item['prefix']['addr'], item['prefix']['len']))
        elif isinstance(item, dict) and 'range' in item:
            out.append('%s-%s' % tuple(item['range']))
        else:
            raise NftError('unexpected address expression %s' % json.dumps(item))
    return out


def _port_values(right):
    out = []
    for item in _set_items(right):
        if isinstance(item, int):
            out.append(item)
        elif isinstance(item, dict) and 'range' in item:
            out.append('%d-%d' % tuple(item['range']))
        else:
            raise NftError('unexpected port expression %s' % json.dumps(item))
    return out


def _parse_rule(rule, rule_group):
    """One of our nft rules -> partial planner rule (addresses of one family)."""
    name = rule['comment'][len(tag(rule_group)):]
    direction = DIRECTION_OF_CHAIN.get(rule['chain'])
    if direction is None:
        raise NftError('rule %r (handle %s) sits in unexpected chain %r' % (name, rule.get('handle'), rule['chain']))
    out = {'name': name, 'group': rule_group, 'direction': direction, 'transport': None, 'local_ports': [],
           'remote_ports': [], 'remote_addresses': [firewall_plan.ANY], 'action': None}
    for expr in rule['expr']:
        if 'match' in expr:
            match = expr['match']
            left = match['left']
            if match.get('op') not in ('==', 'in'):
                raise NftError('rule %r: unexpected operator %r' % (name, match.get('op')))
            if 'payload' in left and left['payload'].get('protocol') in ('ip', 'ip6'):
                out['remote_addresses'] = _addr_values(match['right'])
            elif 'payload' in left and left['payload'].get('protocol') in ('tcp', 'udp'):
                out['transport'] = left['payload']['protocol']
                local = (left['payload']['field'] == 'dport') == (direction == 'inbound')
                out['local_ports' if local else 'remote_ports'] = _port_values(match['right'])
            elif 'meta' in left and left['meta'].get('key') == 'l4proto' and match['right'] in ('tcp', 'udp'):
                out['transport'] = match['right']
            else:
                raise NftError('rule %r: unexpected match %s' % (name, json.dumps(match)))
        elif 'counter' in expr:
            continue
        elif 'accept' in expr:
            out['action'] = 'allow'
        elif 'drop' in expr:
            out['action'] = 'block'
        else:
            raise NftError('rule %r: unexpected statement %s' % (name, json.dumps(expr)))
    if out['transport'] is None or out['action'] is None:
        raise NftError('rule %r (handle %s) has no transport or no verdict' % (name, rule.get('handle')))
    return out


def _parse_management(rule):
    for expr in rule['expr']:
        match = expr.get('match')
        if match and 'payload' in match['left'] and match['left']['payload'].get('field') == 'dport':
            return _port_values(match['right'])
    return []


def parse_ruleset(data, rule_group):
    """``nft -j list ruleset`` output (text or parsed) -> what the module needs to know.

    Returns a dict: ``exists`` (our table is there), ``rules`` (ours, planner model, in chain order; the
    nft rules of one planner rule are merged back by name), ``enforce`` and ``management_ports`` (from the
    base rules), ``foreign`` (rules in our table without our tag: {chain, handle, comment}),
    ``drop_chains`` (other tables' base chains with policy drop: {family, table, chain, hook}) and
    ``default_outbound_action`` (``block`` when any other output base chain drops by default).
    """
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise NftError('cannot parse nft -j output: %s' % exc)
    items = data.get('nftables') if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise NftError('nft -j output has no "nftables" list')
    name = table_name(rule_group)
    prefix = tag(rule_group)
    result = {'exists': False, 'rules': [], 'enforce': False, 'management_ports': [], 'foreign': [],
              'drop_chains': [], 'default_outbound_action': 'allow'}
    by_name = {}
    for item in items:
        if 'table' in item:
            t = item['table']
            if t['family'] == 'inet' and t['name'] == name:
                result['exists'] = True
        elif 'chain' in item:
            c = item['chain']
            ours = c['family'] == 'inet' and c['table'] == name
            if not ours and c.get('hook') in ('input', 'output', 'forward') and c.get('policy') == 'drop':
                result['drop_chains'].append({'family': c['family'], 'table': c['table'], 'chain': c['name'],
                                              'hook': c['hook']})
                if c['hook'] == 'output':
                    result['default_outbound_action'] = 'block'
        elif 'rule' in item:
            r = item['rule']
            if r['family'] != 'inet' or r['table'] != name:
                continue
            comment = r.get('comment') or ''
            if not comment.startswith(prefix):
                result['foreign'].append({'chain': r['chain'], 'handle': r.get('handle'), 'comment': r.get('comment')})
                continue
            text = comment[len(prefix):]
            if text.startswith(BASE_PREFIX):
                if text == BASE_PREFIX + 'drop':
                    result['enforce'] = True
                elif text == BASE_PREFIX + 'management':
                    result['management_ports'] = _parse_management(r)
                continue
            part = _parse_rule(r, rule_group)
            if text in by_name:
                whole = by_name[text]
                if firewall_plan.ANY in whole['remote_addresses'] or firewall_plan.ANY in part['remote_addresses']:
                    whole['remote_addresses'] = [firewall_plan.ANY]
                else:
                    whole['remote_addresses'] = whole['remote_addresses'] + part['remote_addresses']
                for key in ('direction', 'transport', 'local_ports', 'remote_ports', 'action'):
                    if whole[key] != part[key]:
                        whole[key] = '(inconsistent nft rules)'
                continue
            by_name[text] = part
            result['rules'].append(part)
    for rule in result['rules']:
        if rule['remote_addresses'] != [firewall_plan.ANY]:
            rule['remote_addresses'] = firewall_plan.canonical_addresses(rule['remote_addresses'])
        for key in ('local_ports', 'remote_ports'):
            if isinstance(rule[key], list):
                rule[key] = firewall_plan.canonical_ports(rule[key])
        rule['role'] = None
        rule['flows'] = []
    return result


# ---- backend ---------------------------------------------------------------------------------------------

def _read_dynamic_ports(path='/proc/sys/net/ipv4/ip_local_port_range'):
    with open(path) as fh:
        lo, hi = fh.read().split()
    return int(lo), int(hi)


class NftablesBackend(object):
    """Reads and applies one rule group's table. ``runner(args, data=None) -> (rc, out, err)``."""

    name = 'nftables'

    def __init__(self, runner, rule_group='printfleet.mve', dynamic_ports_reader=_read_dynamic_ports):
        self.runner = runner
        self.rule_group = rule_group
        self.table = table_name(rule_group)
        self._dynamic_ports_reader = dynamic_ports_reader
        self.calls = []

    def _run(self, args, data=None):
        self.calls.append(list(args))
        rc, out, err = self.runner(list(args), data)
        if rc != 0:
            raise NftError('nft %s failed (exit %s): %s' % (' '.join(args), rc, (err or out or '').strip()))
        return out

    def dynamic_ports(self):
        """The host's dynamic (ephemeral) port range, where active-mode FTP data connections arrive."""
        return self._dynamic_ports_reader()

    def read(self):
        """One ``nft -j list ruleset``; see parse_ruleset."""
        return parse_ruleset(self._run(['-j', 'list', 'ruleset']), self.rule_group)

    def validate(self, rules):
        """Raise NftError (with ``field``) for rules nftables cannot hold, before anything is applied."""
        for rule in rules:
            rule_lines(rule, self.rule_group)

    def render(self, rules, enforce=False, management_ports=firewall_plan.MANAGEMENT_PORTS):
        return render(rules, self.rule_group, enforce=enforce, management_ports=management_ports,
                      remove=not rules and not enforce)

    def apply(self, script):
        """Run ``script`` as one ``nft -f`` transaction: all of it, or nothing."""
        self._run(['-f', '-'], script)
