# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's filters: the lists and tables that the roles build from module results and port matrix flows.

Each filter is documented in its own sidecar file beside this one (``plugins/filter/<name>.yml``), which is what
``ansible-doc -t filter printfleet.mve.<name>`` renders. None of them types a port number: the ports come from
the flows of ``query('printfleet.mve.mve_flows', ...)`` (the port matrix module_utils) or from the results given.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from numbers import Number

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.printfleet.mve.plugins.module_utils.checks import database as database_check
from ansible_collections.printfleet.mve.plugins.module_utils.compliance import report as compliance_report_mod
from ansible_collections.printfleet.mve.plugins.module_utils.compliance import verdicts as compliance
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import PrintfleetError
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import verify as firewall_verify

PRINTER_LINE = '%-16s %-8s %-12s %-14s fw %-16s pages %s'
PRINTER_UNREACHABLE_LINE = '%-16s UNREACHABLE: %s'
DEPENDENCY_LINE = '%-9s %-18s %-28s %-4s %s'
PORT_CHECK_LINE = '%-*s  %-*s  %-*s  %-*s  %-8s  %s'
PORT_CHECK_SUMMARY = ('%s checks in %s ms: %d open, %d closed, %d filtered, %d open_or_filtered, %d error; '
                      '%d failing')
# Keys of a registered module result that describe the task, not the check.
RESULT_TASK_KEYS = ('invocation', 'changed', 'failed', 'failed_when_result')
NOT_NEEDED = 'not needed by the features'


def _mapping(name, value, what):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AnsibleFilterError('printfleet.mve.%s: %s must be a dict, got %s' % (name, what, type(value).__name__))
    return value


def _sequence(name, value, what):
    if value is None:
        return []
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, '__iter__'):
        raise AnsibleFilterError('printfleet.mve.%s: %s must be a list, got %s' % (name, what, type(value).__name__))
    return list(value)


def _is_number(value):
    """Jinja's ``is number`` test."""
    return isinstance(value, Number)


def _text(value):
    """A value as Jinja's ``~`` and ``join`` render it (None as V(None))."""
    return to_text(value, nonstring='simplerepr')


def _out(value):
    """A value as a ``{{ }}`` expression of a template renders it (None as nothing)."""
    return '' if value is None else _text(value)


def _skipped(result):
    return bool((result or {}).get('skipped', False))


def printer_lines(printers):
    """One line per printer of printer_facts' ``printers`` dict, sorted by host (case-insensitive)."""
    printers = _mapping('printer_lines', printers, 'the input (printer_facts ``printers``)')
    lines = []
    # Jinja's dictsort: by key, case-insensitive.
    for host, p in sorted(printers.items(), key=lambda item: item[0].lower() if isinstance(item[0], str) else item[0]):
        p = _mapping('printer_lines', p, 'printers[%s]' % host)
        if p.get('reachable'):
            lines.append(PRINTER_LINE % (host, p.get('vendor', '?'), p.get('model', '?'), p.get('serial', '?'),
                                         p.get('firmware', '?'), p.get('page_count', '?')))
        else:
            lines.append(PRINTER_UNREACHABLE_LINE % (host, p.get('error', 'no reply')))
    return lines


def port_policy(flows, port_access=None):
    """The ``ports`` of printer_port_access from the flows towards printers and the role's port-access options."""
    flows = _sequence('port_policy', flows, 'the input (flows)')
    port_access = _mapping('port_policy', port_access, 'port_access')
    policy = {}
    if port_access.get('enable_needed', False):
        for f in flows:
            if not f.get('advisory') and _is_number(f.get('destination_port')):
                policy['%s/%s' % (f['transport'], f['destination_port'])] = 'enabled'
    for port in _sequence('port_policy', port_access.get('disable'), 'port_access.disable'):
        policy[port] = 'disabled'
    policy.update(_mapping('port_policy', port_access.get('ports'), 'port_access.ports'))
    return policy


def port_failure_summary(results):
    """``<host> <flow> <transport>/<port> is <state>`` per port_check result, joined by ``; ``, ending in ``.``."""
    results = _sequence('port_failure_summary', results, 'the input (port_check results)')
    parts = ['%s %s %s/%s is %s' % tuple(_out(r.get(key, '-' if key == 'flow' else None))
                                         for key in ('host', 'flow', 'transport', 'port', 'state'))
             for r in results]
    return '; '.join(parts) + ('.' if parts else '')


def _canonical(value):
    return json.dumps(value, sort_keys=True, separators=(',', ':'), default=str)


def _member_of(items):
    """``x in items`` for a list of results, as a set lookup: the role's tolerated list holds every silent UDP
    result (3 per printer), and ``r in tolerated`` for each of the fleet's results compared dicts pairwise
    (O(results x tolerated): 144 s of site.yml's 575 s at 1,000 printers, bench/scale.py site)."""
    keys = set(_canonical(item) for item in items)
    return lambda value: bool(keys) and _canonical(value) in keys


def _failing(r, fail_on, is_tolerated):
    """A port check result that fails: not advisory, its state in ``fail_on``, not tolerated."""
    return not r.get('advisory') and r.get('state') in fail_on and not is_tolerated(r)


def port_check_table(result, fail_on, tolerated=None):
    """The lines of the port check table: header, one row per result with its verdict, and the summary line."""
    result = _mapping('port_check_table', result, 'the input (port_check result)')
    results = _sequence('port_check_table', result.get('results'), 'results')
    fail_on = _sequence('port_check_table', fail_on, 'fail_on')
    is_tolerated = _member_of(_sequence('port_check_table', tolerated, 'tolerated'))
    rows = []
    failing = 0
    for r in results:
        if r.get('advisory'):
            verdict = 'advisory'
        elif _failing(r, fail_on, is_tolerated):
            verdict = 'FAIL'
            failing += 1
        elif r.get('state') == 'open' or is_tolerated(r):
            verdict = 'pass'
        else:
            verdict = 'warn'
        flow = ','.join(_text(f) for f in [r.get('flow', '-')] + list(r.get('also_flows', [])))
        rows.append((_text(r.get('host')), flow, '%s/%s' % (_text(r.get('transport')), _text(r.get('port'))),
                     _text(r.get('state')), verdict, r.get('reason')))
    widths = [4, 4, 4, 5]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row[:4])]
    lines = [PORT_CHECK_LINE % (widths[0], 'HOST', widths[1], 'FLOW', widths[2], 'PORT', widths[3], 'STATE',
                                'VERDICT', 'REASON')]
    for host, flow, port, state, verdict, reason in rows:
        lines.append(PORT_CHECK_LINE % (widths[0], host, widths[1], flow, widths[2], port, widths[3], state,
                                        verdict, reason))
    summary = _mapping('port_check_table', result.get('summary'), 'summary')
    lines.append(PORT_CHECK_SUMMARY % (_out(summary.get('total')), _out(summary.get('elapsed_ms')),
                                       summary.get('open'), summary.get('closed'), summary.get('filtered'),
                                       summary.get('open_or_filtered'), summary.get('error'), failing))
    return lines


def port_check_failures(result, fail_on, tolerated=None):
    """The results of a port_check result that fail: not advisory, state in ``fail_on``, not in ``tolerated``
    (a set lookup: ``reject('in', tolerated)`` in Jinja compared dicts pairwise, 14 s for 11,000 results)."""
    result = _mapping('port_check_failures', result, 'the input (port_check result)')
    results = _sequence('port_check_failures', result.get('results'), 'results')
    fail_on = set(_sequence('port_check_failures', fail_on, 'fail_on'))
    is_tolerated = _member_of(_sequence('port_check_failures', tolerated, 'tolerated'))
    return [r for r in results if _failing(r, fail_on, is_tolerated)]


def dependency_verdicts(checks):
    """One verdict dict per dependency check: dependency, flow, feature, endpoint, ran, ok, reason, elapsed_ms."""
    checks = _sequence('dependency_verdicts', checks, 'the input (checks)')
    verdicts = []
    for check in checks:
        check = _mapping('dependency_verdicts', check, 'each check')
        flow = _mapping('dependency_verdicts', check.get('flow'), 'flow')
        server = _mapping('dependency_verdicts', check.get('server'), 'server')
        res = _mapping('dependency_verdicts', check.get('result'), 'result')
        ran = not _skipped(res)
        verdicts.append({
            'dependency': check.get('dependency'),
            'flow': flow.get('id', ''),
            'feature': flow.get('feature', ''),
            'endpoint': '%s:%s' % (_text(server.get('host', '')), _text(flow.get('destination_port', ''))),
            'ran': ran,
            'ok': res.get('ok', False) if ran else True,
            'reason': res.get('reason', res.get('msg', '')) if ran else NOT_NEEDED,
            'elapsed_ms': res.get('elapsed_ms'),
        })
    return verdicts


def dependency_lines(verdicts):
    """One line per dependency verdict: dependency, flow, endpoint, ok or FAIL, reason."""
    verdicts = _sequence('dependency_lines', verdicts, 'the input (verdicts)')
    return [DEPENDENCY_LINE % (v.get('dependency'), v.get('flow'), v.get('endpoint'), 'ok' if v.get('ok') else 'FAIL',
                               v.get('reason')) for v in verdicts]


def dependency_failure_summary(verdicts):
    """``<dependency> (<flow>, <endpoint>): <reason>`` per verdict, joined by ``; ``, ending in ``.``."""
    verdicts = _sequence('dependency_failure_summary', verdicts, 'the input (verdicts)')
    parts = ['%s (%s, %s): %s' % tuple(_out(v.get(key)) for key in ('dependency', 'flow', 'endpoint', 'reason'))
             for v in verdicts]
    return '; '.join(parts) + ('.' if parts else '')


def result_details(results, drop=RESULT_TASK_KEYS):
    """The registered results by name, without the skipped ones and without the task's own keys."""
    results = _mapping('result_details', results, 'the input (results by name)')
    drop = _sequence('result_details', drop, 'drop')
    return dict((name, dict((k, v) for k, v in _mapping('result_details', res, name).items() if k not in drop))
                for name, res in results.items() if not _skipped(res))


def firewall_verify_targets(flows, host, blocked_port=None, enforce=False):
    """port_check targets: one per numeric TCP inbound port of the flows (unique), plus the blocked port with enforce."""
    flows = _sequence('firewall_verify_targets', flows, 'the input (flows)')
    targets = []
    for f in flows:
        if f.get('transport', 'tcp') == 'tcp' and _is_number(f.get('destination_port')):
            target = {'host': host, 'port': f['destination_port']}
            if target not in targets:
                targets.append(target)
    if enforce:
        targets.append({'host': host, 'port': blocked_port})
    return targets


def firewall_verify_plan(rules, host, source, enforce=False, management_ports=None, blocked_port=None):
    """The controller's probes of the firewall's inbound TCP ports: targets, and per port ``pass`` or ``drop``."""
    rules = _sequence('firewall_verify_plan', rules, 'the input (the rules mve_firewall returned)')
    try:
        return firewall_verify.plan(rules, host, source, enforce=enforce, management_ports=management_ports or (),
                                    blocked_port=blocked_port)
    except PrintfleetError as exc:
        raise AnsibleFilterError('printfleet.mve.firewall_verify_plan: %s' % exc)


def firewall_verify_findings(results, verify_plan):
    """``{blocked, leaked}``: allowed ports that the probes found dropped, ports outside the scope that answered."""
    results = _sequence('firewall_verify_findings', results, 'the input (port_check results)')
    verify_plan = _mapping('firewall_verify_findings', verify_plan, 'verify_plan (firewall_verify_plan output)')
    return firewall_verify.findings(results, verify_plan)


def printer_web_credentials(hosts, hostvars):
    """Printer address -> {username, password} of its web server, for the inventory hosts that carry
    ``mve_printer_https_password`` (and optionally ``mve_printer_https_username``)."""
    hosts = _sequence('printer_web_credentials', hosts, 'the input (inventory host names)')
    out = {}
    for name in hosts:
        hv = hostvars[name]
        if 'mve_printer_https_password' not in hv:
            continue
        address = hv['ansible_host'] if 'ansible_host' in hv else name
        out[address] = {'username': hv['mve_printer_https_username'] if 'mve_printer_https_username' in hv else '',
                        'password': hv['mve_printer_https_password']}
    return out


def port_access_printers(hosts, port_access=None):
    """printer_port_access's ``printers`` option for ``hosts``: each printer with its own web credentials from
    ``port_access['credentials']`` (keyed by address: username, password, fingerprint), when it has any."""
    hosts = _sequence('port_access_printers', hosts, 'the input (printer addresses)')
    port_access = _mapping('port_access_printers', port_access, 'port_access (the role\'s port-access options)')
    credentials = _mapping('port_access_printers', port_access.get('credentials'), 'port_access.credentials')
    out = []
    for host in hosts:
        own = _mapping('port_access_printers', credentials.get(host), 'port_access.credentials[%r]' % (host,))
        printer = {'host': host}
        printer.update((k, own[k]) for k in ('username', 'password', 'fingerprint') if own.get(k) not in (None, ''))
        out.append(printer)
    return out


def database_login_from(result, login_result, where='controller'):
    """database_check's result from a Windows host whose login had to run elsewhere, completed with that login."""
    result = _mapping('database_login_from', result, 'the input (database_check result from the MVE server)')
    login_result = _mapping('database_login_from', login_result, 'login_result (database_check result from %s)' % where)
    if (result.get('steps') or {}).get('login') != 'controller' or _skipped(login_result):
        return result
    return database_check.with_login_from(result, login_result, where)


COMPLIANCE_FORMATS = ('json', 'junit', 'html', 'stats', 'problems')


def compliance_verdicts(result, kind, host, error=None, settings=None, facts=None, fail_on=None, tolerated=None):
    """Compliance verdicts of one kind of check from the result a role registered in check mode."""
    if kind not in compliance.KINDS:
        raise AnsibleFilterError('printfleet.mve.compliance_verdicts: kind must be one of %s, got %r'
                                 % (', '.join(compliance.KINDS), kind))
    error = error or None
    if kind == 'firewall':
        return compliance.firewall(host, _mapping('compliance_verdicts', result, 'the input (mve_firewall result)'),
                                   error)
    if kind == 'printer_setting':
        return compliance.printer_settings(host, _mapping('compliance_verdicts', facts, 'facts'),
                                           _mapping('compliance_verdicts', result, 'the input (printer_snmp result)'),
                                           _mapping('compliance_verdicts', settings, 'settings'))
    if kind == 'printer_port':
        return compliance.printer_ports(host, _mapping('compliance_verdicts', result,
                                                       'the input (printer_port_access loop result)'))
    if kind == 'flow':
        return compliance.flows(host, _mapping('compliance_verdicts', result, 'the input (port_check result)'),
                                _sequence('compliance_verdicts', fail_on, 'fail_on'),
                                _sequence('compliance_verdicts', tolerated, 'tolerated'), error)
    return compliance.dependencies(host, _sequence('compliance_verdicts', result, 'the input (dependency verdicts)'),
                                   error)


def compliance_report(verdicts, fmt='json', generated=None, run=None):
    """The compliance report of ``verdicts`` as ``json`` (a dict), ``junit`` (XML text), ``html`` (one page),
    ``stats`` (the set_stats artifact) or ``problems`` (one line per check that is not compliant)."""
    verdicts = _sequence('compliance_report', verdicts, 'the input (verdicts)')
    for v in verdicts:
        if not isinstance(v, dict) or v.get('verdict') not in compliance.VERDICTS:
            raise AnsibleFilterError('printfleet.mve.compliance_report: each verdict must be a dict with verdict %s, '
                                     'got %r' % ('|'.join(compliance.VERDICTS), v))
    if fmt == 'json':
        return compliance_report_mod.document(verdicts, generated, run)
    if fmt == 'junit':
        return compliance_report_mod.junit(verdicts, generated)
    if fmt == 'html':
        return compliance_report_mod.html_page(verdicts, generated)
    if fmt == 'stats':
        return compliance_report_mod.stats(verdicts)
    if fmt == 'problems':
        return compliance_report_mod.problems(verdicts)
    raise AnsibleFilterError('printfleet.mve.compliance_report: fmt must be one of %s, got %r'
                             % (', '.join(COMPLIANCE_FORMATS), fmt))


class FilterModule(object):

    def filters(self):
        return {
            'printer_lines': printer_lines,
            'port_policy': port_policy,
            'port_failure_summary': port_failure_summary,
            'port_check_table': port_check_table,
            'port_check_failures': port_check_failures,
            'dependency_verdicts': dependency_verdicts,
            'dependency_lines': dependency_lines,
            'dependency_failure_summary': dependency_failure_summary,
            'result_details': result_details,
            'firewall_verify_targets': firewall_verify_targets,
            'firewall_verify_plan': firewall_verify_plan,
            'firewall_verify_findings': firewall_verify_findings,
            'database_login_from': database_login_from,
            'printer_web_credentials': printer_web_credentials,
            'port_access_printers': port_access_printers,
            'compliance_verdicts': compliance_verdicts,
            'compliance_report': compliance_report,
        }
