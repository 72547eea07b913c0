# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nftables backend of ``mve_firewall``: read the owned table once, apply the whole table once.

Table design. Each rule group owns one table, ``inet <rule_group with . and - as _>`` (``inet
printfleet_mve`` by default), with up to two base chains, ``input`` and ``output``, both ``policy accept``:

- every rule of the planner becomes one nft rule per address family in the scope (``ip saddr`` for IPv4,
  ``ip6 saddr`` for IPv6, none for ``any``), with a ``counter`` and ``accept``, and the comment
  ``[<rule_group>] <key>: <rule name>``: the tag is how rules are recognized as ours, the key (``planner.rule_key``:
  direction, transport, peer role) is the rule's identity, so a changed port or name updates the rule instead
  of adding one beside it (nft comments hold at most 128 characters, so the flow ids are not stored;
  ``firewall_plan.annotate`` restores them from the wanted rule of the same key). 0.1.0 stored the name only;
  such rules are recognized by name;
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
import os
import tempfile

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import BackendError
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as firewall_plan

MAX_COMMENT = 128
CHAINS = {'inbound': 'input', 'outbound': 'output'}
DIRECTION_OF_CHAIN = {'input': 'inbound', 'output': 'outbound'}
BASE_PREFIX = 'base: '
SCOPE_PREFIX = 'scope: '


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
                       'nft allows %d' % (text, tag(rule_group), len(comment), MAX_COMMENT), field='rule_names',
                       kind='input')
    return comment


def _port_match(rule):
    """The transport and port part of a rule's nft match."""
    transport = rule['transport']
    if rule['direction'] == 'inbound':
        port_parts = [('sport', rule['remote_ports']), ('dport', rule['local_ports'])]
    else:
        port_parts = [('sport', rule['local_ports']), ('dport', rule['remote_ports'])]
    ports = ' '.join('%s %s %s' % (transport, key, _set(values)) for key, values in port_parts if values)
    return ports or 'meta l4proto %s' % transport


def scoped(rule):
    """True for an inbound allow rule limited to some peers: the table drops that port for everyone else."""
    return (rule['direction'] == 'inbound' and rule.get('action', 'allow') == 'allow'
            and rule['remote_addresses'] != [firewall_plan.ANY])


def scope_drop_line(rule, rule_group):
    """The rule that drops a scoped rule's port for the peers outside its scope (after every accept)."""
    return '%s counter drop comment "%s"' % (_port_match(rule), _comment(rule_group, SCOPE_PREFIX + rule['name']))


def rule_lines(rule, rule_group):
    """The nft rule statements (without ``add rule``) of one planner rule."""
    inbound = rule['direction'] == 'inbound'
    ports = _port_match(rule)
    verdict = 'accept' if rule.get('action', 'allow') == 'allow' else 'drop'
    key = firewall_plan.rule_key(rule)
    comment = _comment(rule_group, '%s: %s' % (key, rule['name']) if key else rule['name'])
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


def base_lines(rule_group, management_ports, enforce=False, management_scopes=None):
    """The rules around ours: (before, after). Always loopback and replies first (the scope drops must never
    cut the host's own traffic or the replies to its own connections); with enforce also ICMP and the
    management ports (from ``management_scopes`` only, when given: one line per address family), and the final
    drop."""
    def c(text):
        return _comment(rule_group, BASE_PREFIX + text)
    before = [
        'iif "lo" accept comment "%s"' % c('loopback'),
        'ct state established,related accept comment "%s"' % c('replies'),
    ]
    if not enforce:
        return before, []
    before.append('meta l4proto { icmp, ipv6-icmp } accept comment "%s"' % c('icmp'))
    ports = 'tcp dport %s accept comment "%s"' % (
        _set(firewall_plan.canonical_ports(management_ports, 'management_ports')), c('management'))
    if not management_scopes or management_scopes == [firewall_plan.ANY]:
        before.append(ports)
    else:
        for family, version in (('ip', 4), ('ip6', 6)):
            mine = [a for a in management_scopes if firewall_plan.address_version(a) == version]
            if mine:
                before.append('%s saddr %s %s' % (family, _set(mine), ports))
    after = ['counter drop comment "%s"' % c('drop')]
    return before, after


def expected_base(enforce):
    """The base rule names (after BASE_PREFIX) a table of this layout has."""
    return {'loopback', 'replies'} | ({'icmp', 'management', 'drop'} if enforce else set())


def render(rules, rule_group, enforce=False, management_ports=firewall_plan.MANAGEMENT_PORTS, remove=False,
           management_scopes=None):
    """The ``nft -f`` script that makes our table exactly ``rules`` (or removes it: ``remove``)."""
    name = table_name(rule_group)
    lines = ['table inet %s' % name, 'delete table inet %s' % name]
    if remove:
        return '\n'.join(lines) + '\n'
    chains = {'input': [], 'output': []}
    for rule in rules:
        chains[CHAINS[rule['direction']]].extend(rule_lines(rule, rule_group))
    drops = [scope_drop_line(rule, rule_group) for rule in rules if scoped(rule)]
    if chains['input'] or enforce:
        before, after = base_lines(rule_group, management_ports, enforce, management_scopes)
        chains['input'] = before + chains['input'] + drops + after
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


def split_comment(text):
    """(key, name) of a rule comment after the tag: ``<key>: <name>``, or (None, text) for a rule written by
    0.1.0, which stored the name only."""
    head, sep, rest = text.partition(': ')
    if sep and firewall_plan.parse_key(head):
        return head, rest
    return None, text


def _parse_rule(rule, rule_group):
    """One of our nft rules -> partial planner rule (addresses of one family)."""
    key, name = split_comment(rule['comment'][len(tag(rule_group)):])
    direction = DIRECTION_OF_CHAIN.get(rule['chain'])
    if direction is None:
        raise NftError('rule %r (handle %s) sits in unexpected chain %r' % (name, rule.get('handle'), rule['chain']))
    out = {'name': name, 'group': rule_group, 'direction': direction, 'transport': None, 'local_ports': [],
           'remote_ports': [], 'remote_addresses': [firewall_plan.ANY], 'action': None, 'key': key}
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


def _unconditional_drop(rule):
    """True for a rule that drops or rejects every packet that reaches it (no match before the verdict)."""
    exprs = rule.get('expr') or []
    return not any('match' in e for e in exprs) and any('drop' in e or 'reject' in e for e in exprs)


def _parse_management(rule):
    """(ports, source addresses or None for any) of one management base rule."""
    ports, sources = [], None
    for expr in rule['expr']:
        match = expr.get('match')
        if not match or 'payload' not in match['left']:
            continue
        payload = match['left']['payload']
        if payload.get('field') == 'dport':
            ports = _port_values(match['right'])
        elif payload.get('protocol') in ('ip', 'ip6') and payload.get('field') == 'saddr':
            sources = _addr_values(match['right'])
    return ports, sources


def parse_ruleset(data, rule_group):
    """``nft -j list ruleset`` output (text or parsed) -> what the module needs to know.

    Returns a dict: ``exists`` (our table is there), ``rules`` (ours, planner model, in chain order; the
    nft rules of one planner rule are merged back by name), ``enforce`` and ``management_ports`` (from the
    base rules), ``foreign`` (rules in our table without our tag: {chain, handle, comment}),
    ``drop_chains`` (other tables' base chains with policy drop: {family, table, chain, hook}) and
    ``default_outbound_action`` (``block`` when any other output base chain drops by default).
    """
    try:
        return _parse_ruleset(data, rule_group)
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
        # a shape this reader does not know (another nft version, a hand-made rule): say so, never a traceback
        raise NftError('nft -j list ruleset printed something this module cannot read (%s: %s)'
                       % (type(exc).__name__, exc))


def _parse_ruleset(data, rule_group):
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
              'drop_chains': [], 'default_outbound_action': 'allow', 'base': [], 'scope_drops': [],
              'management_scopes': [firewall_plan.ANY], 'firewalls': []}
    management_sources = []
    by_name = {}
    base_chains = {}
    for item in items:
        if 'table' in item:
            t = item['table']
            if t['family'] == 'inet' and t['name'] == name:
                result['exists'] = True
        elif 'chain' in item:
            c = item['chain']
            ours = c['family'] == 'inet' and c['table'] == name
            seen = 'firewalld' if c['table'] == 'firewalld' else 'ufw' if c['name'].startswith('ufw') else None
            if seen and seen not in result['firewalls']:
                result['firewalls'].append(seen)
            if not ours and c.get('hook') in ('input', 'output', 'forward'):
                base_chains[(c['family'], c['table'], c['name'])] = c['hook']
            if not ours and c.get('hook') in ('input', 'output', 'forward') and c.get('policy') == 'drop':
                result['drop_chains'].append({'family': c['family'], 'table': c['table'], 'chain': c['name'],
                                              'hook': c['hook'], 'by': 'policy'})
                if c['hook'] == 'output':
                    result['default_outbound_action'] = 'block'
        elif 'rule' in item:
            r = item['rule']
            if r['family'] != 'inet' or r['table'] != name:
                where = (r['family'], r['table'], r['chain'])
                if where in base_chains and _unconditional_drop(r) and not any(
                        d['family'] == where[0] and d['table'] == where[1] and d['chain'] == where[2]
                        for d in result['drop_chains']):
                    result['drop_chains'].append({'family': where[0], 'table': where[1], 'chain': where[2],
                                                  'hook': base_chains[where], 'by': 'rule'})
                continue
            comment = r.get('comment') or ''
            if not comment.startswith(prefix):
                result['foreign'].append({'chain': r['chain'], 'handle': r.get('handle'), 'comment': r.get('comment')})
                continue
            text = comment[len(prefix):]
            if text.startswith(BASE_PREFIX):
                result['base'].append(text[len(BASE_PREFIX):])
                if text == BASE_PREFIX + 'drop':
                    result['enforce'] = True
                elif text == BASE_PREFIX + 'management':
                    ports, sources = _parse_management(r)
                    result['management_ports'] = ports
                    if sources is not None:
                        management_sources.extend(sources)
                continue
            if text.startswith(SCOPE_PREFIX):
                result['scope_drops'].append(text[len(SCOPE_PREFIX):])
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
    if management_sources:
        result['management_scopes'] = firewall_plan.canonical_addresses(management_sources)
    for rule in result['rules']:
        if rule['remote_addresses'] != [firewall_plan.ANY]:
            rule['remote_addresses'] = firewall_plan.canonical_addresses(rule['remote_addresses'])
        for key in ('local_ports', 'remote_ports'):
            if isinstance(rule[key], list):
                rule[key] = firewall_plan.canonical_ports(rule[key])
        parsed_key = firewall_plan.parse_key(rule.get('key'))
        rule['role'] = parsed_key[2] if parsed_key else None
        rule['flows'] = []
    return result


# ---- backend ---------------------------------------------------------------------------------------------

# ---- persistence: what the distribution's nftables service loads at boot -----------------------------------

PERSIST_DIR = '/etc/nftables.d'
PERSIST_CONF = '/etc/nftables.conf'


def persist_path(rule_group, directory=PERSIST_DIR):
    return os.path.join(directory, table_name(rule_group) + '.nft')


def include_line(directory=PERSIST_DIR):
    return 'include "%s/*.nft"' % directory.rstrip('/')


def _read_text(path):
    try:
        with open(path) as fh:
            return fh.read()
    except (IOError, OSError):
        return None


def _write_atomic(path, text, mode=0o644):
    """Write ``text`` to ``path`` through a temporary file in the same directory and a rename."""
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory or '.')
    try:
        with os.fdopen(fd, 'w') as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def persist_changes(script, rule_group, directory=PERSIST_DIR, conf=PERSIST_CONF):
    """The file changes that keep the boot configuration in step with the live table: a list of dicts
    ``{path, before, after}`` (``after`` None: remove the file). ``script`` is the live table's full script
    (empty: the table is gone). The table's file lives in ``directory``; ``conf`` (the file the nftables service
    loads) must include ``directory/*.nft``, and gets that line appended when it lacks it."""
    path = persist_path(rule_group, directory)
    before = _read_text(path)
    out = []
    after = script or None
    if before != after:
        out.append({'path': path, 'before': before, 'after': after})
    if after:
        text = _read_text(conf)
        line = include_line(directory)
        if text is None or line not in [t.strip() for t in text.splitlines()]:
            new = (text or '#!/usr/sbin/nft -f\n')
            new = new + ('' if new.endswith('\n') else '\n') + line + '\n'
            out.append({'path': conf, 'before': text, 'after': new})
    return out


def persist_apply(changes):
    for change in changes:
        if change['after'] is None:
            if os.path.exists(change['path']):
                os.unlink(change['path'])
        else:
            _write_atomic(change['path'], change['after'])


def _read_dynamic_ports(path='/proc/sys/net/ipv4/ip_local_port_range'):
    with open(path) as fh:
        lo, hi = fh.read().split()
    return int(lo), int(hi)


class NftablesBackend(object):
    """Reads and applies one rule group's table. ``runner(args, data=None) -> (rc, out, err)``."""

    name = 'nftables'

    def __init__(self, runner, rule_group='printfleet.mve', dynamic_ports_reader=_read_dynamic_ports,
                 persist_dir=None, persist_conf=PERSIST_CONF):
        self.runner = runner
        self.rule_group = rule_group
        self.table = table_name(rule_group)
        self._dynamic_ports_reader = dynamic_ports_reader
        self.persist_dir = persist_dir   # None: the live table only (persist: false)
        self.persist_conf = persist_conf
        self.calls = []

    def boot_changes(self, rules, enforce=False, management_ports=firewall_plan.MANAGEMENT_PORTS,
                     management_scopes=None):
        """The file changes that make the boot configuration hold exactly ``rules`` (see persist_changes)."""
        if self.persist_dir is None:
            return []
        script = self.render(rules, enforce=enforce, management_ports=management_ports,
                             management_scopes=management_scopes) if rules or enforce else ''
        return persist_changes(script, self.rule_group, self.persist_dir, self.persist_conf)

    def persist(self, changes):
        persist_apply(changes)

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
            if scoped(rule):
                scope_drop_line(rule, self.rule_group)

    def layout_changes(self, have, rules, enforce):
        """What the live table lacks of this version's layout for ``rules`` (the scope drops, the base rules),
        though its rules are the wanted ones: an installation of an earlier version. Empty when in step."""
        if not rules and not enforce:
            return []
        missing = []
        want_drops = sorted(r['name'] for r in rules if scoped(r))
        if sorted(have.get('scope_drops') or []) != want_drops:
            missing.append('scope drops for %s' % (', '.join(want_drops) or 'no rule'))
        if any(r['direction'] == 'inbound' for r in rules) or enforce:
            lacking = expected_base(enforce) - set(have.get('base') or [])
        else:
            lacking = set()
        if lacking:
            missing.append('base rules %s' % ', '.join(sorted(lacking)))
        return missing

    def render(self, rules, enforce=False, management_ports=firewall_plan.MANAGEMENT_PORTS, management_scopes=None):
        return render(rules, self.rule_group, enforce=enforce, management_ports=management_ports,
                      management_scopes=management_scopes,
                      remove=not rules and not enforce)

    def apply(self, script):
        """Run ``script`` as one ``nft -f`` transaction: all of it, or nothing."""
        self._run(['-f', '-'], script)
