# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compliance verdicts: what a check-mode run of the roles found, one verdict per check.

A verdict is a dict ``{host, kind, check, verdict, wanted, found, reason}``: ``verdict`` is ``compliant`` (what
site.yml enforces is in place), ``drifted`` (the check ran and found a difference: ``wanted`` vs ``found``) or
``error`` (the check could not run: a printer that does not answer, a module that failed). ``kind`` says which
part of site.yml the check belongs to (``KINDS``). The functions read the module results the roles registered
(pure data in, list of verdicts out); nothing here talks to a host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

COMPLIANT, DRIFTED, ERROR = 'compliant', 'drifted', 'error'
VERDICTS = (DRIFTED, ERROR, COMPLIANT)   # the order a report shows them in
KINDS = ('firewall', 'printer_setting', 'printer_port', 'flow', 'dependency')


def verdict(host, kind, check, state, wanted=None, found=None, reason=''):
    return {'host': host, 'kind': kind, 'check': check, 'verdict': state, 'wanted': wanted, 'found': found,
            'reason': reason}


def _error_text(result):
    result = result or {}
    return result.get('msg') or result.get('reason') or 'the check failed'


def firewall(host, result, error=None):
    """mve_firewall's result (check mode): one verdict per rule the collection wants, and per owned rule it would
    remove. A change planned for a rule is its drift: added (missing), updated (fields differ), removed (stale)."""
    if error or not result or result.get('failed') or result.get('skipped'):
        if result and result.get('skipped') and not error:
            return []
        return [verdict(host, 'firewall', 'host firewall', ERROR, reason=error or _error_text(result))]
    rule_actions = ('add', 'update', 'remove')
    changes = dict((c.get('name'), c) for c in result.get('changes') or [] if c.get('action') in rule_actions)
    out = []
    for c in result.get('changes') or []:
        if c.get('action') == 'persist':
            out.append(verdict(host, 'firewall', 'boot configuration %s' % c.get('name'), DRIFTED,
                               wanted='absent' if c.get('after') is None else 'in step with the live rules',
                               found='missing' if c.get('before') is None else 'different',
                               reason='the rules would not survive a reboot as they are' if c.get('after') is not None
                               else 'a file of removed rules is still loaded at boot'))
        elif c.get('action') == 'set':
            out.append(verdict(host, 'firewall', 'rule group settings (%s)' % c.get('name'), DRIFTED,
                               wanted=c.get('after'), found=c.get('before'),
                               reason='the %s of the rule group differs' % c.get('name')))
    for rule in result.get('rules') or []:
        name = rule.get('name')
        change = changes.pop(name, None)
        if change is None:
            out.append(verdict(host, 'firewall', name, COMPLIANT, wanted='present', found='present',
                               reason='the rule is in place'))
        elif change.get('action') == 'add':
            out.append(verdict(host, 'firewall', name, DRIFTED, wanted='present', found='missing',
                               reason='the rule is missing from the host firewall'))
        else:
            fields = change.get('fields') or []
            before, after = change.get('before') or {}, change.get('after') or {}
            out.append(verdict(host, 'firewall', name, DRIFTED,
                               wanted=dict((f, after.get(f)) for f in fields) or after,
                               found=dict((f, before.get(f)) for f in fields) or before,
                               reason='the rule differs: %s' % (', '.join(fields) or 'its definition')))
    for name, change in sorted(changes.items()):
        out.append(verdict(host, 'firewall', name, DRIFTED, wanted='absent', found='present',
                           reason='an owned rule that the features no longer need is still there (%s)'
                           % change.get('action', 'remove')))
    return out


def printer_settings(host, facts, result, settings):
    """printer_snmp's fleet result (check mode) for ``settings`` (name -> wanted value): one verdict per printer
    and setting. Unreachable printers (printer_facts) are one error each."""
    out = []
    printers = (facts or {}).get('printers') or {}
    for address in sorted(printers):
        if not printers[address].get('reachable'):
            out.append(verdict(host, 'printer_setting', '%s SNMP' % address, ERROR,
                               reason='the printer did not answer SNMP: %s' % (printers[address].get('error')
                                                                               or 'no reply')))
    if not settings:
        return out
    if not result or result.get('skipped'):
        return out
    if result.get('failed') and not result.get('printers'):
        return out + [verdict(host, 'printer_setting', 'SNMP settings', ERROR, reason=_error_text(result))]
    for address, item in sorted((result.get('printers') or {}).items()):
        changes = dict((c.get('name'), c) for c in item.get('changes') or [])
        failed = item.get('failed') or item.get('error')
        for name in sorted(settings):
            check = '%s %s' % (address, name)
            if failed:
                out.append(verdict(host, 'printer_setting', check, ERROR, wanted=settings[name],
                                   reason=item.get('msg') or item.get('error') or 'the printer failed'))
            elif name in changes:
                out.append(verdict(host, 'printer_setting', check, DRIFTED, wanted=changes[name].get('after'),
                                   found=changes[name].get('before'), reason='%s differs' % name))
            else:
                out.append(verdict(host, 'printer_setting', check, COMPLIANT, wanted=settings[name],
                                   found=settings[name], reason='%s is set' % name))
    return out


def _printer_port_items(result):
    """(address, result, wanted ports) of each printer of printer_port_access's result: the fleet result
    (``printers``, one task, the ports of its arguments) or the looped one (``results``, one item per printer)."""
    if isinstance(result.get('printers'), dict):
        wanted = ((result.get('invocation') or {}).get('module_args') or {}).get('ports') or {}
        return [(address, r, wanted) for address, r in sorted(result['printers'].items())]
    out = []
    for item in result.get('results') or []:
        args = (item.get('invocation') or {}).get('module_args') or {}
        out.append((item.get('item') or args.get('host'), item, args.get('ports') or {}))
    return out


def printer_ports(host, result):
    """printer_port_access's result (check mode): one verdict per printer and port of the policy."""
    result = result or {}
    if result.get('failed') and result.get('printers') is None and not result.get('results'):
        # the fleet task failed before any printer (bad input, the guard rail): one error for the fleet
        return [verdict(host, 'printer_port', 'printers\' web servers', ERROR, reason=_error_text(result))]
    out = []
    for address, item, wanted in _printer_port_items(result):
        if item.get('skipped'):
            continue
        if item.get('failed'):
            out.append(verdict(host, 'printer_port', '%s web server' % address, ERROR, reason=_error_text(item)))
            continue
        changes = dict((c.get('port'), c) for c in item.get('changes') or [])
        for port in sorted(set(wanted) | set(changes)):
            check = '%s %s' % (address, port)
            if port in changes:
                c = changes[port]
                out.append(verdict(host, 'printer_port', check, DRIFTED, wanted=_port_state(c.get('after')),
                                   found=_port_state(c.get('before')),
                                   reason='%s is %s on the printer\'s web server' % (
                                       c.get('label') or port, _port_state(c.get('before')))))
            else:
                out.append(verdict(host, 'printer_port', check, COMPLIANT, wanted=wanted.get(port),
                                   found=(item.get('ports') or {}).get(port, wanted.get(port)),
                                   reason='as wanted'))
    return out


def _port_state(value):
    if isinstance(value, bool):
        return 'enabled' if value else 'disabled'
    return value


def flows(host, result, fail_on, tolerated=(), error=None):
    """port_check's result from an MVE server: one verdict per probed flow and peer. A state in ``fail_on`` (and
    not tolerated, such as a silent UDP port) is drift; ``error`` is an error."""
    if error and not (result or {}).get('results'):
        return [verdict(host, 'flow', 'port matrix flows', ERROR, reason=error)]
    out = []
    for r in (result or {}).get('results') or []:
        if r.get('advisory'):
            continue
        check = '%s %s %s/%s' % (r.get('flow') or '-', r.get('host'), r.get('transport'), r.get('port'))
        state = r.get('state')
        if state == 'error':
            out.append(verdict(host, 'flow', check, ERROR, wanted='open', found=state, reason=r.get('reason')))
        elif state in fail_on and r not in tolerated:
            out.append(verdict(host, 'flow', check, DRIFTED, wanted='open', found=state, reason=r.get('reason')))
        else:
            out.append(verdict(host, 'flow', check, COMPLIANT, wanted='open', found=state, reason=r.get('reason')))
    return out


def dependencies(host, verdicts, error=None):
    """The mve_dependencies role's verdicts: one per dependency the features need."""
    if error and not verdicts:
        return [verdict(host, 'dependency', 'dependencies', ERROR, reason=error)]
    out = []
    for v in verdicts or []:
        if not v.get('ran', True):
            continue
        check = '%s %s (%s)' % (v.get('dependency'), v.get('endpoint'), v.get('flow'))
        out.append(verdict(host, 'dependency', check, COMPLIANT if v.get('ok') else DRIFTED,
                           wanted='reachable, login ok', found='ok' if v.get('ok') else 'failing',
                           reason=v.get('reason')))
    return out


def summary(verdicts):
    """Counts: total, per verdict, per host (per verdict), per kind (per verdict), and ``drifted`` / ``errors``."""
    def counts(items):
        c = dict((v, 0) for v in VERDICTS)
        for item in items:
            c[item['verdict']] = c.get(item['verdict'], 0) + 1
        c['total'] = len(items)
        return c
    hosts = sorted(set(v['host'] for v in verdicts))
    kinds = [k for k in KINDS if any(v['kind'] == k for v in verdicts)]
    out = counts(verdicts)
    out['hosts'] = dict((h, counts([v for v in verdicts if v['host'] == h])) for h in hosts)
    out['kinds'] = dict((k, counts([v for v in verdicts if v['kind'] == k])) for k in kinds)
    return out


def ordered(verdicts):
    """Drifted first, then errors, then compliant; within each by host, kind, check."""
    rank = dict((v, i) for i, v in enumerate(VERDICTS))
    kind_rank = dict((k, i) for i, k in enumerate(KINDS))
    return sorted(verdicts, key=lambda v: (rank.get(v['verdict'], 9), v['host'], kind_rank.get(v['kind'], 9),
                                           str(v['check'])))
