# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Another firewall on the same nftables host: what the user must run there for the MVE flows to pass.

An ``accept`` in the collection's table ends a packet's walk through that table's chain only; a base chain of
another table on the same hook that drops by policy, or ends in an unconditional drop or reject rule, still drops
it. firewalld (table ``inet firewalld``) and ufw (iptables-nft chains ``ufw-*``) are the usual such tables. This
module turns the wanted rules into the commands that allow the same flows in that firewall, so the module can
fail (``coexist: fail``) or warn (``coexist: warn``) with exactly what to run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as firewall_plan

COEXIST_CHOICES = ('fail', 'warn')
MAX_LISTED = 12


def _networks(addresses):
    """A scope as CIDR networks (firewalld and ufw take no ``a-b`` ranges)."""
    out = []
    for item in addresses:
        if '-' in item:
            first, last = (ipaddress.ip_address(p) for p in item.split('-', 1))
            out.extend(str(n) for n in ipaddress.summarize_address_range(first, last))
        else:
            out.append(item)
    return out


def _ports(ports, sep):
    return [str(p).replace('-', sep) for p in ports]


def firewalld_commands(rules):
    """``firewall-cmd`` lines (permanent, then one reload) for the inbound rules; firewalld filters no outbound."""
    lines = []
    for rule in rules:
        if rule['direction'] != 'inbound':
            continue
        proto = rule['transport']
        ports = _ports(rule['local_ports'], '-')
        anywhere = rule['remote_addresses'] == [firewall_plan.ANY]
        for net in ([None] if anywhere else _networks(rule['remote_addresses'])):
            source = '' if net is None else ' source address="%s"' % net
            family = 'ipv6' if net and ':' in net else 'ipv4'
            if rule['remote_ports']:
                # a rich rule holds one port element: the peers' source port (the FTP data channel's 20)
                for port in _ports(rule['remote_ports'], '-'):
                    lines.append("firewall-cmd --permanent --add-rich-rule='rule family=\"%s\"%s source-port "
                                 "port=\"%s\" protocol=\"%s\" accept'" % (family, source, port, proto))
                continue
            for port in ports:
                if net is None:
                    lines.append('firewall-cmd --permanent --add-port=%s/%s' % (port, proto))
                else:
                    lines.append("firewall-cmd --permanent --add-rich-rule='rule family=\"%s\"%s port port=\"%s\" "
                                 "protocol=\"%s\" accept'" % (family, source, port, proto))
    if lines:
        lines.append('firewall-cmd --reload')
    return lines


def ufw_commands(rules):
    """``ufw allow`` lines for the rules (inbound, and outbound for hosts whose ufw denies outgoing)."""
    lines = []
    for rule in rules:
        proto = rule['transport']
        anywhere = rule['remote_addresses'] == [firewall_plan.ANY]
        nets = ['any'] if anywhere else _networks(rule['remote_addresses'])
        if rule['direction'] == 'inbound':
            local = ','.join(_ports(rule['local_ports'], ':'))
            remote = ','.join(_ports(rule['remote_ports'], ':'))
            for net in nets:
                lines.append('ufw allow proto %s from %s%s to any port %s' % (
                    proto, net, ' port %s' % remote if remote else '', local))
        else:
            remote = ','.join(_ports(rule['remote_ports'], ':'))
            for net in nets:
                lines.append('ufw allow out proto %s to %s port %s' % (proto, net, remote))
    return lines


def chain_text(chain):
    how = 'ends in a drop or reject rule' if chain.get('by') == 'rule' else 'drops by default'
    return 'chain %s %s %s (hook %s) %s' % (chain['family'], chain['table'], chain['chain'], chain['hook'], how)


def conflicts(have, rules, table):
    """None when no other table can drop the wanted flows, else a dict: ``chains`` (the other tables' base chains
    that drop), ``firewalls`` (firewalld, ufw when detected), ``commands`` (what to run there) and ``message``."""
    if not rules or not have.get('drop_chains'):
        return None
    chains = have['drop_chains']
    firewalls = list(have.get('firewalls') or [])
    commands = []
    if 'firewalld' in firewalls:
        commands += firewalld_commands(rules)
    if 'ufw' in firewalls:
        commands += ufw_commands(rules)
    listed = commands[:MAX_LISTED]
    more = len(commands) - len(listed)
    if commands:
        todo = 'allow the MVE flows in %s too: %s%s' % (
            ' and '.join(firewalls), '; '.join(listed),
            ' (and %d more, listed in coexist.commands)' % more if more else '')
    else:
        todo = ('add accept rules for the MVE flows (the rules listed in the result) before the drop in %s'
                % ', '.join('%s %s %s' % (c['family'], c['table'], c['chain']) for c in chains))
    message = ('nftables: %s; an accept in table inet %s does not override a drop in another table, so the MVE '
               'flows stay blocked there. To make them pass, %s. Set coexist: warn to apply the rules anyway'
               % ('; '.join(chain_text(c) for c in chains), table, todo))
    return {'chains': chains, 'firewalls': firewalls, 'commands': commands, 'message': message}
