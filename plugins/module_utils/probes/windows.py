# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""port_check from a Windows MVE server: the payload of the port probe step and the reading of its result.

The step (module_utils/windows/port_probe.ps1, sent by the shared Windows transport) does the socket work of
the whole target list in one round trip. Everything else happens here, on the controller, with the Linux
engine's own functions (probes/port_probe.py): the probe bytes (``udp_request``: SNMP GET, SNMPv3 engine
discovery, mDNS legacy unicast query, an empty datagram), the acceptance of a reply (the same parsers), and the
verdicts (``tcp_verdict``, ``tls_verdict``, ``udp_verdict``), so a target gets the same state, reason and facts
from either vantage point.

An SNMPv3 target with a user takes a second round trip, for all such targets at once: the first carries the
engine discovery, whose reply gives each agent's engine id, boots and time; with them the controller builds
each authenticated (and encrypted) GET (protocols/snmp_usm.py: pysnmp's USM services, no engine), the step sends
them, and the controller checks the digests, decrypts and applies the outcome as the Linux engine does
(``port_probe.apply_v3_get``). So the whole target list takes at most two round trips.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import errno
import random

from ansible_collections.printfleet.mve.plugins.module_utils.common import tls_facts
from ansible_collections.printfleet.mve.plugins.module_utils.probes import port_probe
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp_usm
from ansible_collections.printfleet.mve.plugins.module_utils.windows import relay

SCRIPT = 'port_probe'
# .NET SocketError names -> the errno the Linux engine classifies (port_probe._classify_oserror).
SOCKET_ERRORS = {
    'HostUnreachable': errno.EHOSTUNREACH, 'NetworkUnreachable': errno.ENETUNREACH, 'AccessDenied': errno.EACCES,
    'TimedOut': errno.ETIMEDOUT, 'HostDown': errno.EHOSTDOWN, 'ConnectionReset': errno.ECONNRESET,
    'AddressNotAvailable': errno.EADDRNOTAVAIL, 'NetworkDown': errno.ENETDOWN,
}


class _Settings(object):
    def __init__(self, timeout, retries):
        self.timeout, self.retries = float(timeout), int(retries)


class _Ids(object):
    def __init__(self, seed=None):
        self._next = seed if seed is not None else random.randint(1, 0x3FFFFFFF)

    def __call__(self, limit=0x7FFFFFFF):
        self._next = self._next % (limit - 1) + 1
        return self._next


def build(targets, timeout, retries, concurrency, ca_pem=None, seed=None):
    """(payload, accepts): the step's payload for normalized ``targets`` (port_probe.validate_targets) and, per
    UDP target, the function that accepts its reply."""
    ids = _Ids(seed)
    entries, accepts = [], {}
    for index, t in enumerate(targets):
        entry = {'id': index, 'host': t['host'], 'port': t['port'], 'transport': t['transport']}
        if t['transport'] == 'tcp':
            entry['tls'] = (t.get('server_name') or t['host']) if t.get('tls') else None
        else:
            data, accepts[index] = port_probe.udp_request(t, ids)
            entry['payload'] = base64.b64encode(data).decode('ascii')
        entries.append(entry)
    return step_payload(entries, timeout, retries, concurrency, ca_pem), accepts


def step_payload(entries, timeout, retries, concurrency, ca_pem=None):
    """The port probe step's payload for ``entries`` (its per-target dicts)."""
    return {'targets': entries, 'timeout_ms': int(float(timeout) * 1000), 'retries': int(retries),
            'concurrency': int(concurrency), 'ca_pem': ca_pem or None}


def _oserror(outcome):
    name = outcome.get('error_name') or 'Unknown'
    code = SOCKET_ERRORS.get(name)
    if name in ('ConnectionRefused',):
        return ConnectionRefusedError(errno.ECONNREFUSED, outcome.get('error') or name)
    return OSError(code, '%s: %s' % (name, outcome.get('error') or name)) if code else \
        OSError('%s (%s)' % (name, outcome.get('error') or 'no detail'))


def _tls(t, outcome, validate_certs):
    """(facts, failure) of the TLS step, as the Linux engine's _tls_step gives them."""
    if outcome.get('tls_error'):
        return None, outcome['tls_error']
    value = outcome.get('tls') or {}
    der = base64.b64decode(value['cert']) if value.get('cert') else None
    version = relay.TLS_VERSION_NAMES.get(value.get('version'), value.get('version'))
    cipher = tls_facts.dotnet_cipher(value.get('cipher_algorithm'), value.get('cipher_bits'))
    if not validate_certs:
        return tls_facts.tls_facts(der, version, cipher, validated=False,
                                   validation_error='not verified: validate_certs is false'), None
    return tls_facts.tls_facts(der, version, cipher, validated=bool(value.get('validated')),
                               validation_error=value.get('validation_error')), None


def results(targets, value, accepts, timeout, retries, validate_certs=True):
    """The port_check results (same keys and states as on Linux) from the step's returned object."""
    settings = _Settings(timeout, retries)
    outcomes = dict((o.get('id'), o) for o in (value or {}).get('results') or [] if isinstance(o, dict))
    out = []
    for index, t in enumerate(targets):
        outcome = outcomes.get(index) or {'outcome': 'error', 'error': 'the Windows host returned no result'}
        kind = outcome.get('outcome')
        rtt = outcome.get('rtt_ms')
        rtt = None if rtt is None else float(rtt) / 1000.0
        if kind == 'resolve_error':
            out.append(port_probe._result(t, 'error', 'Cannot resolve host %s: %s.' % (t['host'], outcome.get('error'))))
            continue
        if t['transport'] == 'tcp':
            tcp_kind = {'open': 'open', 'timeout': 'timeout', 'refused': 'refused'}.get(kind, 'error')
            state, reason = port_probe.tcp_verdict(tcp_kind, settings.timeout, _oserror(outcome))
            result = port_probe._result(t, state, reason, rtt if tcp_kind in ('open', 'refused') else None)
            if tcp_kind == 'open' and t.get('tls'):
                facts, failure = _tls(t, outcome, validate_certs)
                result = port_probe.tls_verdict(result, facts, failure)
            out.append(result)
            continue
        ignored = 0
        if kind == 'reply':
            datagrams = [base64.b64decode(d) for d in outcome.get('datagrams') or []]
            facts, ignored = port_probe.accept_first(datagrams, accepts[index])
            udp = ('reply', facts) if facts is not None else ('silence', None)
        elif kind == 'refused':
            udp = ('error', ConnectionRefusedError(errno.ECONNREFUSED, 'ICMP port unreachable'))
        elif kind == 'silence':
            udp = ('silence', None)
        else:
            udp = ('error', _oserror(outcome))
        out.append(port_probe.udp_verdict(settings, t, udp[0], udp[1], rtt, ignored))
    return out


def _v3_accept(user, msg_id):
    def accept(data):
        try:
            return snmp_usm.parse_get_reply(data, user, msg_id)
        except snmp_usm.UsmError as exc:   # ours, but not trustworthy: a verdict, not an unrelated datagram
            return dict(snmp_usm.empty_result(), error_kind='other', error=str(exc))
    return accept


def v3_followup(targets, first_results, timeout, retries, concurrency, seed=None):
    """(payload, pending) of the second round trip: the authenticated GET of every SNMPv3 target with a user whose
    engine discovery answered, or (None, {}) when there is none. ``pending``: target index -> accept(data)."""
    ids = _Ids(seed)
    entries, pending = [], {}
    for index, (t, result) in enumerate(zip(targets, first_results)):
        params = t.get('snmp') or {}
        facts = result.get('snmp') or {}
        if t['transport'] != 'udp' or params.get('version') != '3' or not params.get('username') \
                or not facts.get('engine_id'):
            continue
        user = snmp_usm.UsmUser(facts['engine_id'], params['username'], params.get('auth_protocol'),
                                params.get('auth_key'), params.get('priv_protocol'), params.get('priv_key'))
        msg_id = ids()
        data = snmp_usm.build_get(user, msg_id, ids(), facts['engine_boots'], facts['engine_time'],
                                  context=params.get('context'))
        entries.append({'id': index, 'host': t['host'], 'port': t['port'], 'transport': 'udp',
                        'payload': base64.b64encode(data).decode('ascii')})
        pending[index] = _v3_accept(user, msg_id)
    if not entries:
        return None, {}
    return step_payload(entries, timeout, retries, max(1, min(int(concurrency), len(entries)))), pending


def apply_v3_followup(targets, first_results, value, pending):
    """The second round trip's replies into the first round's results (in place; returns them)."""
    outcomes = dict((o.get('id'), o) for o in (value or {}).get('results') or [] if isinstance(o, dict))
    for index, accept in pending.items():
        outcome = outcomes.get(index) or {}
        get = None
        if outcome.get('outcome') == 'reply':
            get, _ignored = port_probe.accept_first([base64.b64decode(d) for d in outcome.get('datagrams') or []],
                                                    accept)
        if get is None:
            get = snmp_usm.timed_out() if outcome.get('outcome') in ('silence', 'reply') else dict(
                snmp_usm.empty_result(), error_kind='other',
                error='the authenticated GET did not run: %s' % (outcome.get('error') or 'no result from the host'))
        port_probe.apply_v3_get(targets[index], first_results[index]['snmp'], first_results[index], get)
    return first_results
