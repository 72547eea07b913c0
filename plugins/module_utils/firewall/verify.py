# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the host firewall must do to probes from one vantage point, and what the probes showed.

The mve_firewall role proves its rules with real packets from the controller: for each inbound TCP port of the
rules, ``plan`` says whether a connection from the controller's address must get through (the controller is in
the port's scope, or the port is a management port) or must be dropped (the controller is outside every scope of
that port: the nftables table drops it, Windows Defender's default inbound block drops it). ``findings`` compares
port_check's results with that plan: allowed flows still dropped, and peers outside the scope that got through.

Loopback is accepted by the collection's base rules (and never filtered by Windows Defender), so from a loopback
source every port must pass and no drop can be shown; the plan says so in each ``why``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import InputError
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner

PASS = 'pass'
DROP = 'drop'
PASSING_STATES = ('open', 'closed')


def _source(source):
    try:
        return ipaddress.ip_address((source or '').strip())
    except ValueError:
        raise InputError('source', 'got %r, expected the IP address the probes leave from' % (source,))


def _tcp_ports(rule):
    """The single TCP ports a rule accepts inbound (ranges, such as the FTP data channel's, are not probed)."""
    if rule.get('direction') != 'inbound' or rule.get('transport') != 'tcp' or rule.get('remote_ports'):
        return []
    ports = []
    for item in rule.get('local_ports') or []:
        text = str(item)
        if text.isdigit():
            ports.append(int(text))
    return ports


def plan(rules, host, source, enforce=False, management_ports=(), blocked_port=None):
    """port_check ``targets`` and, per port, what a probe from ``source`` must see: ``pass`` or ``drop``.

    ``rules``: the rules mve_firewall returned (planner rules). Returns ``{'targets': [{host, port}],
    'expect': {'<port>': {'expect': 'pass'|'drop', 'why': '...'}}}``.
    """
    src = _source(source)
    management = set(int(p) for p in management_ports or ())
    expect = {}
    order = []
    by_port = {}
    for rule in rules or []:
        for port in _tcp_ports(rule):
            if port not in by_port:
                by_port[port] = []
                order.append(port)
            by_port[port].append(rule)
    for port in order:
        inside = [r for r in by_port[port] if planner.within(str(src), r['remote_addresses'])]
        names = ', '.join(r['name'] for r in by_port[port])
        if src.is_loopback:
            verdict, why = PASS, 'a loopback source (%s) is always accepted: no drop can be shown from here' % src
        elif inside:
            verdict, why = PASS, '%s is in the scope of %s' % (src, ', '.join(r['name'] for r in inside))
        elif port in management:
            verdict, why = PASS, 'TCP %d is a management port, never dropped' % port
        else:
            verdict, why = DROP, '%s is outside the scope of %s' % (src, names)
        expect[str(port)] = {'expect': verdict, 'why': why}
    if enforce and blocked_port is not None and str(blocked_port) not in expect:
        port = int(blocked_port)
        if src.is_loopback:
            verdict, why = PASS, 'a loopback source (%s) is always accepted: no drop can be shown from here' % src
        else:
            verdict, why = DROP, 'TCP %d is allowed by no rule and the firewall enforces' % port
        order.append(port)
        expect[str(port)] = {'expect': verdict, 'why': why}
    return {'targets': [{'host': host, 'port': port} for port in order], 'expect': expect}


def findings(results, verify_plan):
    """``{'blocked': [...], 'leaked': [...]}``: allowed ports still dropped, ports that should drop but answered.

    A port passes when the probe saw it ``open`` or ``closed`` (a reset came back through the firewall) and is
    dropped when it saw ``filtered``; ``error`` counts as not passing.
    """
    expect = verify_plan.get('expect') or {}
    blocked, leaked = [], []
    for result in results or []:
        entry = expect.get(str(result.get('port')))
        if entry is None:
            continue
        item = {'port': result.get('port'), 'state': result.get('state'), 'reason': result.get('reason', ''),
                'why': entry['why']}
        if entry['expect'] == PASS and result.get('state') not in PASSING_STATES:
            blocked.append(item)
        elif entry['expect'] == DROP and result.get('state') != 'filtered':
            leaked.append(item)
    return {'blocked': blocked, 'leaked': leaked}
