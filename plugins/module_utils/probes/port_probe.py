# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The port_check engine: protocol-aware TCP and UDP probes on one asyncio loop.

Sockets live here and nowhere else; the protocol knowledge (what to send,
what counts as a reply) comes from snmp_wire, mdns_wire and tls_facts, and
the ports of matrix-derived targets from port_matrix.

Design choice for UDP (measured on the 2-core build machine, Python 3.11,
1,000 SNMP v2c GETs of sysDescr.0 to 1,000 addresses 127.0.x.y served by one
net-snmp snmpd, timeout 2 s, 1 retry):

  one connected UDP socket per probe   concurrency   64: 0.46 s, 0 lost
                                       concurrency  256: 0.37 s, 0 lost
                                       concurrency 1000: 0.38 s, 0 lost
  one shared unconnected socket,       concurrency   64: 0.34 s, 0 lost
  request-id matching                  concurrency  256: 2.08 s, 59 replies lost (retried)
                                       concurrency 1000: 4.13 s, 227 lost after the retry

A connected socket per probe is as fast, loses nothing (each socket has its
own receive buffer, where the shared socket overflows its one buffer under
bursts), and is the only way to attribute an ICMP port-unreachable to its
target ("closed" instead of "open_or_filtered"). So each UDP probe gets its
own connected socket, the semaphore bounds how many exist at once, and the
v1/v2c path builds BER messages with snmp_wire (about 0.1 ms to build and
0.15 ms to parse one) instead of a pysnmp engine per target (10-14 ms).
Only SNMPv3 GETs with credentials go through the pysnmp hlapi, after a
discovery probe on our own socket has shown the agent is there.

Whole ansible-playbook runs of one port_check task (same machine, defaults:
timeout 2 s, retries 1, concurrency 256), wall time including Ansible's start:
1,000 TCP targets (open) 1.97 s, probes 108 ms; 1,000 SNMP v2c targets on
127.0.x.y served by one snmpd 1.97 s, probes 433 ms, 1,000 open, none lost.
Importing this module with its protocol helpers costs about 0.15 s.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import errno
import random
import socket
import ssl
import time

from ansible_collections.printfleet.mve.plugins.module_utils.common import errors as errors_mod
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp as snmp_wire
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import mdns as mdns_wire
from ansible_collections.printfleet.mve.plugins.module_utils.common import tls_facts

try:
    import resource
except ImportError:  # pragma: no cover - not on POSIX
    resource = None

STATES = ('open', 'closed', 'filtered', 'open_or_filtered', 'error')
TRANSPORTS = port_matrix.TRANSPORTS
PROBES = ('none', 'snmp', 'mdns', 'tls')
# The transport each protocol probe needs; 'none' works on both.
PROBE_TRANSPORT = {'snmp': 'udp', 'mdns': 'udp', 'tls': 'tcp'}
TARGET_KEYS = (('host', 'port', 'transport', 'probe', 'tls', 'server_name')
               + snmp_wire.SNMP_OPTION_NAMES)
# Keys that targets_from_matrix adds; accepted from code, not offered as module options.
MATRIX_KEYS = ('flow', 'advisory', 'also_flows')
_KNOWN_KEYS = frozenset(TARGET_KEYS + MATRIX_KEYS)
DEFAULT_TIMEOUT = 2.0
DEFAULT_RETRIES = 1
DEFAULT_CONCURRENCY = 256
# Payload of a UDP probe 'none': an empty datagram, the least a service can misread.
NONE_PAYLOAD = b''
# errno values that mean "something on the path refused to carry the packet".
_FILTER_ERRNOS = {
    errno.EHOSTUNREACH: 'no route to host',
    errno.ENETUNREACH: 'network unreachable',
    errno.EACCES: 'permission denied by a local firewall',
    errno.EPERM: 'operation not permitted by a local firewall',
}
_FD_RESERVE = 64


# Bad probe input. ``field`` is the path of the first offending option (``targets[3].port``), ``errors`` every
# problem found (``TargetError.gather``). The same class as the printers inventory's bad targets.
TargetError = errors_mod.TargetError


# ---- input ------------------------------------------------------------------

def _check_choice(errors, field, value, choices):
    if value not in choices:
        errors.append(TargetError(field, 'got %r, expected one of: %s' % (value, ', '.join(choices))))
        return False
    return True


def _target_errors(t, index, snmp_defaults=None, base=None):
    """``(normalized_target, errors)`` for one target dict; ``base`` names it in the errors (default
    ``targets[<index>]``; a target derived from ``peers`` is named after the peer the user wrote)."""
    base = base or 'targets[%d]' % index
    errors = []
    if not isinstance(t, dict):
        return None, [TargetError(base, 'expected a dict with keys host, port, transport, probe; got %s'
                                  % type(t).__name__)]
    unknown = sorted(k for k in t if k not in _KNOWN_KEYS)
    if unknown:
        errors.append(TargetError(base, 'unknown key(s) %s; accepted keys: %s'
                                  % (', '.join(unknown), ', '.join(TARGET_KEYS))))
    host = t.get('host')
    if not isinstance(host, str) or not host.strip():
        errors.append(TargetError(base + '.host', 'got %r, expected a host name or IP address' % (host,)))
    elif len(host.split()) > 1:  # whitespace inside the name (str.split splits on any whitespace)
        errors.append(TargetError(base + '.host', 'got %r, expected a host name or IP address without spaces'
                                  % (host,)))
    else:
        host = host.strip()
    port = t.get('port')
    try:
        port = port_matrix.validate_port(base + '.port', port)
    except port_matrix.MatrixError as exc:
        errors.append(exc)
    transport = t.get('transport')
    transport = 'tcp' if transport is None else transport
    transport_ok = _check_choice(errors, base + '.transport', transport, TRANSPORTS)
    probe = t.get('probe')
    probe = 'none' if probe is None else probe
    probe_ok = _check_choice(errors, base + '.probe', probe, PROBES)
    if probe_ok and transport_ok and probe in PROBE_TRANSPORT and PROBE_TRANSPORT[probe] != transport:
        errors.append(TargetError(base + '.probe', 'probe %s needs transport %s, got transport %s'
                                  % (probe, PROBE_TRANSPORT[probe], transport)))
    want_tls = t.get('tls')
    if want_tls is None:
        want_tls = False
    if not isinstance(want_tls, bool):
        errors.append(TargetError(base + '.tls', 'got %r, expected a boolean (true or false)' % (want_tls,)))
    want_tls = bool(want_tls) or probe == 'tls'
    if want_tls and transport_ok and transport != 'tcp':
        errors.append(TargetError(base + '.tls', 'a TLS handshake needs transport tcp, got transport %s' % transport))
    server_name = t.get('server_name')
    if server_name is not None and (not isinstance(server_name, str) or not server_name.strip()):
        errors.append(TargetError(base + '.server_name', 'got %r, expected a host name for SNI and the '
                                                         'certificate name check' % (server_name,)))
    snmp = None
    given = dict((k, t.get(k)) for k in snmp_wire.SNMP_OPTION_NAMES if t.get(k) is not None)
    if probe == 'snmp':
        snmp = snmp_wire.resolve_snmp_params(given, snmp_defaults)
        for problem in snmp_wire.snmp_param_errors(snmp):
            # A target that sets no SNMP option of its own took them all from the module's options: the error
            # is about the option the user wrote (``username``), not about a target key nobody wrote.
            field = '%s.%s' % (base, problem.field) if given else problem.field
            errors.append(TargetError(field, problem.message))
    else:
        # Only the explicitly given values can be wrong on a target that does not speak SNMP.
        for key, choices in (('version', snmp_wire.SNMP_VERSIONS), ('auth_protocol', snmp_wire.AUTH_PROTOCOLS),
                             ('priv_protocol', snmp_wire.PRIV_PROTOCOLS)):
            if key in given:
                _check_choice(errors, '%s.%s' % (base, key), str(given[key]), choices)
    if errors:
        return None, errors
    out = {
        'host': host,
        'port': port,
        'transport': transport,
        'probe': probe,
        'tls': want_tls,
        'server_name': server_name.strip() if server_name else None,
        'snmp': snmp,
    }
    for key in MATRIX_KEYS:
        if t.get(key) is not None:
            out[key] = t[key]
    return out, []


def validate_target(t, index, snmp_defaults=None):
    """Return the normalized target or raise TargetError naming ``targets[index].<key>``.

    ``snmp_defaults`` are module-level SNMP options a target inherits.
    """
    out, errors = _target_errors(t, index, snmp_defaults)
    if errors:
        raise TargetError.gather(errors)
    return out


def validate_targets(targets, snmp_defaults=None, labels=None):
    """Validate every target before any probe runs; one TargetError lists all problems (each once).
    ``labels`` name the targets in the errors (default ``targets[<index>]``)."""
    if not isinstance(targets, (list, tuple)):
        raise TargetError('targets', 'expected a list of dicts, got %s' % type(targets).__name__)
    out = []
    errors = []
    seen = set()
    for index, t in enumerate(targets):
        normalized, problems = _target_errors(t, index, snmp_defaults, labels[index] if labels else None)
        for problem in problems:
            if str(problem) not in seen:   # a module option's problem, shared by many targets, once
                seen.add(str(problem))
                errors.append(problem)
        out.append(normalized)
    if errors:
        raise TargetError.gather(errors)
    return out


def validate_options(timeout, retries, concurrency):
    errors = []
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 3600:
        errors.append(TargetError('timeout', 'got %r, expected seconds greater than 0 (at most 3600)' % (timeout,)))
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
        errors.append(TargetError('retries', 'got %r, expected an integer from 0 to 10' % (retries,)))
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= 65536:
        errors.append(TargetError('concurrency', 'got %r, expected an integer from 1 to 65536' % (concurrency,)))
    if errors:
        raise TargetError.gather(errors)


def targets_from_matrix(features, peers, vantage='mve_server'):
    """Targets for every matrix flow from ``vantage`` to a role listed in ``peers``.

    ``peers`` maps a role (port_matrix.ENDPOINTS) to a host or a list of
    hosts. Flows whose destination port is not a number (ephemeral) are
    skipped. Targets with the same (host, port, transport) are merged: the
    first flow id is kept in ``flow``, the others go to ``also_flows``, and
    ``advisory`` stays true only when every merged flow is advisory.
    Raises TargetError / port_matrix.MatrixError (both ValueError) on bad input.
    """
    if peers is None:
        peers = {}
    if not isinstance(peers, dict):
        raise TargetError('peers', 'expected a dict of role -> list of hosts, got %s' % type(peers).__name__)
    errors = []
    hosts_by_role = {}
    for role, hosts in peers.items():
        if role not in port_matrix.ENDPOINTS:
            errors.append(TargetError('peers.%s' % role, 'unknown role; accepted roles: %s'
                                      % ', '.join(port_matrix.ENDPOINTS)))
            continue
        if hosts is None:
            hosts = []
        if isinstance(hosts, str):
            hosts = [hosts]
        if not isinstance(hosts, (list, tuple)):
            errors.append(TargetError('peers.%s' % role, 'expected a list of hosts, got %s' % type(hosts).__name__))
            continue
        clean = []
        for i, host in enumerate(hosts):
            if not isinstance(host, str) or not host.strip():
                errors.append(TargetError('peers.%s[%d]' % (role, i), 'got %r, expected a host name or IP address'
                                          % (host,)))
            else:
                clean.append(host.strip())
        hosts_by_role[role] = clean
    if vantage not in port_matrix.ENDPOINTS:
        errors.append(TargetError('vantage', 'got %r, expected one of: %s'
                                  % (vantage, ', '.join(port_matrix.ENDPOINTS))))
    if errors:
        raise TargetError.gather(errors)
    flows = port_matrix.select_flows(features=features if features is not None else {}, source=vantage)
    targets = []
    index = {}
    for flow in flows:
        port = flow['destination_port']
        if flow['destination'] not in hosts_by_role or isinstance(port, bool) or not isinstance(port, int):
            continue
        for host in hosts_by_role[flow['destination']]:
            key = (host, port, flow['transport'])
            if key in index:
                first = index[key]
                first.setdefault('also_flows', []).append(flow['id'])
                first['advisory'] = first['advisory'] and bool(flow['advisory'])
                continue
            target = {
                'host': host,
                'port': port,
                'transport': flow['transport'],
                'probe': flow['probe'],
                'flow': flow['id'],
                'advisory': bool(flow['advisory']),
            }
            if flow['probe'] == 'tls':
                target['tls'] = True
            index[key] = target
            targets.append(target)
    return targets


def summarize(results, elapsed_ms=None):
    """Counts per state (every state present), ``total`` and ``elapsed_ms``."""
    summary = dict((state, 0) for state in STATES)
    for r in results:
        summary[r['state']] = summary.get(r['state'], 0) + 1
    summary['total'] = len(results)
    summary['elapsed_ms'] = elapsed_ms
    return summary


def needed_libraries(targets):
    """Names of the Python libraries the (normalized) targets need: pysnmp, dnspython, cryptography."""
    need = []
    if any(t['probe'] == 'snmp' for t in targets):
        need.append('pysnmp')
    if any(t['probe'] == 'mdns' for t in targets):
        need.append('dnspython')
    if any(t['tls'] for t in targets):
        need.append('cryptography')
    return need


def raise_fd_limit(concurrency):
    """Raise RLIMIT_NOFILE's soft limit to fit ``concurrency`` probes; return the concurrency that fits."""
    # A TLS probe may hold two sockets (verified, then unverified handshake) and an
    # SNMPv3 GET one more for the pysnmp engine: budget two per probe.
    needed = concurrency * 2 + _FD_RESERVE
    if resource is None:
        return concurrency
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        new_soft = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
            soft = new_soft
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < needed:
        return max(1, (soft - _FD_RESERVE) // 2)
    return concurrency


# ---- the engine -------------------------------------------------------------

def _ms(seconds):
    return round(seconds * 1000.0, 3)


def _errno_text(exc):
    code = getattr(exc, 'errno', None)
    name = errno.errorcode.get(code, str(code)) if code is not None else exc.__class__.__name__
    return '%s (%s)' % (name, exc.strerror or exc) if getattr(exc, 'strerror', None) else '%s (%s)' % (name, exc)


def _classify_oserror(exc, what):
    """(state, reason) for an OSError from connect/send/recv other than a refusal."""
    code = getattr(exc, 'errno', None)
    if code in _FILTER_ERRNOS:
        return 'filtered', '%s failed with %s: %s, the path is blocked.' % (
            what, _errno_text(exc), _FILTER_ERRNOS[code])
    if code == errno.ETIMEDOUT:
        return 'filtered', '%s timed out in the kernel (%s): a firewall drops the packets or the host is down.' % (
            what, _errno_text(exc))
    return 'error', '%s failed with %s.' % (what, _errno_text(exc))


class _Context(object):
    def __init__(self, loop, timeout, retries, concurrency, validate_certs, ca_path):
        self.loop = loop
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.sem = asyncio.Semaphore(concurrency)
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self._resolved = {}
        self._next_id = random.randint(1, 0x3FFFFFFF)
        self._ssl_verify = None
        self._ssl_noverify = None

    def next_id(self, limit=0x7FFFFFFF):
        self._next_id = self._next_id % (limit - 1) + 1
        return self._next_id

    def ssl_context(self, verify):
        if verify:
            if self._ssl_verify is None:
                self._ssl_verify = verifying_context(self.ca_path)
            return self._ssl_verify
        if self._ssl_noverify is None:
            self._ssl_noverify = conversation.client_context(False)
        return self._ssl_noverify

    async def resolve(self, host, port, transport):
        """(family, sockaddr) for host:port; IP literals skip the resolver, names resolve once per run."""
        literal = conversation.literal_sockaddr(host, port)
        if literal is not None:
            return literal
        key = (host, transport)
        if key not in self._resolved:
            socktype = socket.SOCK_STREAM if transport == 'tcp' else socket.SOCK_DGRAM
            self._resolved[key] = asyncio.ensure_future(self.loop.getaddrinfo(host, None, type=socktype))
        return conversation.pick_address(await asyncio.shield(self._resolved[key]), port)


def verifying_context(ca_path=None):
    """An ssl context that verifies against ``ca_path`` (a CA file or hashed directory) or the system store.

    Raises TargetError naming ``ca_path`` when it cannot be loaded.
    """
    try:
        return conversation.client_context(True, ca_path)
    except errors_mod.InputError as exc:
        raise TargetError(exc.field, exc.message)


def _result(t, state, reason, rtt=None):
    r = {
        'host': t['host'],
        'port': t['port'],
        'transport': t['transport'],
        'probe': t['probe'],
        'state': state,
        'reason': reason,
        'rtt_ms': None if rtt is None else _ms(rtt),
    }
    for key in MATRIX_KEYS:
        if key in t:
            r[key] = t[key]
    return r


def tcp_verdict(outcome, timeout, exc=None):
    """(state, reason) of a TCP connection attempt: ``outcome`` is ``open``, ``timeout``, ``refused`` or
    ``error`` (then ``exc`` is the OSError). Shared by this engine and the Windows path (probes/windows.py)."""
    if outcome == 'open':
        return 'open', 'The TCP connection was accepted.'
    if outcome == 'timeout':
        return ('filtered', 'No answer to the TCP connection attempt within %.1f s: a firewall drops the packets, '
                            'or the host is down.' % timeout)
    if outcome == 'refused':
        return ('closed', 'The host refused the TCP connection (reset or ICMP port unreachable): nothing listens '
                          'on this port, or a firewall rejects it.')
    return _classify_oserror(exc, 'The TCP connection attempt')


async def _tcp_connect(ctx, family, addr):
    """(state, reason, rtt, sock or None)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    start = time.perf_counter()
    try:
        await asyncio.wait_for(ctx.loop.sock_connect(sock, addr), ctx.timeout)
    except asyncio.TimeoutError:
        sock.close()
        return tcp_verdict('timeout', ctx.timeout) + (None, None)
    except ConnectionRefusedError:
        sock.close()
        return tcp_verdict('refused', ctx.timeout) + (time.perf_counter() - start, None)
    except OSError as exc:
        sock.close()
        return tcp_verdict('error', ctx.timeout, exc) + (None, None)
    return tcp_verdict('open', ctx.timeout) + (time.perf_counter() - start, sock)


async def _tls_handshake(ctx, sock, server_hostname, verify):
    """Handshake on a connected socket; returns (version, cipher, der). Closes the socket."""
    transport = None
    try:
        transport, dummy = await asyncio.wait_for(
            ctx.loop.create_connection(asyncio.Protocol, sock=sock, ssl=ctx.ssl_context(verify),
                                       server_hostname=server_hostname, ssl_handshake_timeout=ctx.timeout + 1.0),
            ctx.timeout)  # ours fires first: a TimeoutError that _tls_failure words, not asyncio's abort message
        sslobj = transport.get_extra_info('ssl_object')
        return sslobj.version(), sslobj.cipher(), sslobj.getpeercert(binary_form=True)
    finally:
        if transport is not None:
            transport.abort()
        sock.close()


async def _tls_step(ctx, t, family, addr, sock):
    """TLS facts for an open TCP port; ``sock`` is the connected socket (consumed)."""
    server_hostname = t['server_name'] or t['host']
    verify = ctx.validate_certs
    try:
        version, cipher, der = await _tls_handshake(ctx, sock, server_hostname, verify)
        if verify:
            return tls_facts.tls_facts(der, version, cipher, validated=True), None
        return tls_facts.tls_facts(der, version, cipher, validated=False,
                                   validation_error='not verified: validate_certs is false'), None
    except ssl.SSLCertVerificationError as exc:
        verify_error = tls_facts.verify_error_text(exc)
    except (ssl.SSLError, OSError, asyncio.TimeoutError, EOFError) as exc:
        return None, _tls_failure(exc, ctx.timeout)
    # Verification failed: handshake again without verification to still report the certificate.
    state, reason, rtt, sock2 = await _tcp_connect(ctx, family, addr)
    if sock2 is None:
        return tls_facts.tls_facts(validated=False, validation_error=verify_error), None
    try:
        version, cipher, der = await _tls_handshake(ctx, sock2, server_hostname, False)
    except (ssl.SSLError, OSError, asyncio.TimeoutError, EOFError):
        return tls_facts.tls_facts(validated=False, validation_error=verify_error), None
    return tls_facts.tls_facts(der, version, cipher, validated=False, validation_error=verify_error), None


def _tls_failure(exc, timeout):
    if isinstance(exc, asyncio.TimeoutError):
        return 'no TLS handshake within %.1f s (the service may not speak TLS)' % timeout
    if isinstance(exc, ConnectionResetError):
        return 'TLS handshake failed: the peer reset the connection in the middle of the handshake'
    text = getattr(exc, 'reason', None) or str(exc) or exc.__class__.__name__
    return 'TLS handshake failed: %s' % text


async def _probe_tcp(ctx, t, family, addr):
    state, reason, rtt, sock = await _tcp_connect(ctx, family, addr)
    result = _result(t, state, reason, rtt)
    if sock is None:
        return result
    if not t['tls']:
        sock.close()
        return result
    facts, failure = await _tls_step(ctx, t, family, addr, sock)
    return tls_verdict(result, facts, failure)


def tls_verdict(result, facts, failure):
    """``result`` (an open TCP port) with its ``tls`` facts and reason; ``failure``: why no handshake happened."""
    if failure:
        result['tls'] = tls_facts.tls_facts(validated=False, validation_error=failure)
        article = 'the ' if failure.startswith('TLS') else ''
        result['reason'] = 'The TCP connection was accepted, but %s%s.' % (article, failure)
        return result
    result['tls'] = facts
    if facts['validated']:
        result['reason'] = ('The TCP connection was accepted and the %s handshake succeeded with a certificate '
                            'that verifies.' % facts['version'])
    elif facts['version']:
        result['reason'] = ('The TCP connection was accepted and the %s handshake succeeded, but the certificate '
                            'was not validated: %s.' % (facts['version'], facts['validation_error']))
    else:
        result['reason'] = ('The TCP connection was accepted, but the certificate was not validated: %s.'
                            % facts['validation_error'])
    return result


class _UdpProtocol(asyncio.DatagramProtocol):
    """Collects the first datagram that ``accept`` turns into facts, or the first socket error."""

    def __init__(self, loop, accept):
        self.waiter = loop.create_future()
        self.accept = accept
        self.ignored = 0

    def datagram_received(self, data, addr):
        if self.waiter.done():
            return
        try:
            facts = self.accept(data)
        except ValueError:
            facts = None
        if facts is None:
            self.ignored += 1
            return
        self.waiter.set_result(('reply', facts))

    def error_received(self, exc):
        if not self.waiter.done():
            self.waiter.set_result(('error', exc))

    def connection_lost(self, exc):
        if not self.waiter.done():
            self.waiter.set_result(('error', exc or ConnectionAbortedError('socket closed')))


async def _udp_exchange(ctx, family, addr, payload, accept):
    """Send ``payload`` (with retries) on a connected UDP socket and wait for an accepted reply.

    Returns (kind, value, rtt, ignored) with kind 'reply' (value = facts),
    'error' (value = OSError) or 'silence'.
    """
    try:
        sock = conversation.connected_udp_socket(family, addr)
    except OSError as exc:
        return 'error', exc, None, 0
    transport, proto = await ctx.loop.create_datagram_endpoint(lambda: _UdpProtocol(ctx.loop, accept), sock=sock)
    try:
        sent = None
        for dummy in range(ctx.retries + 1):
            sent = time.perf_counter()
            try:
                sock.send(payload)
            except BlockingIOError:
                pass  # the datagram is dropped like any lost UDP packet; the retry covers it
            except OSError as exc:
                return 'error', exc, None, proto.ignored
            done, dummy_pending = await asyncio.wait([proto.waiter], timeout=ctx.timeout)
            if done:
                kind, value = proto.waiter.result()
                return kind, value, time.perf_counter() - sent, proto.ignored
        return 'silence', None, None, proto.ignored
    finally:
        transport.close()


def _silence_reason(ctx, what, extra=''):
    attempts = ctx.retries + 1
    total = ctx.timeout * attempts
    return ('No %s within %.1f s (%d attempt%s of %.1f s)%s: an open UDP port that ignores the probe and a '
            'firewall that drops it look the same, so the port is open or filtered, not proven open.'
            % (what, total, attempts, 's' if attempts > 1 else '', ctx.timeout, extra))


def _udp_error_result(t, exc, rtt):
    if isinstance(exc, ConnectionRefusedError):
        return _result(t, 'closed', 'ICMP port unreachable came back: nothing listens on UDP port %d, or a '
                                    'firewall rejects it.' % t['port'], rtt)
    state, reason = _classify_oserror(exc, 'The UDP probe')
    return _result(t, state, reason)


def _ignored_note(ignored, what):
    if not ignored:
        return ''
    plural = ignored > 1
    return '; %d datagram%s arrived that %s not %s' % (ignored, 's' if plural else '', 'were' if plural else 'was',
                                                       what)


def _snmp_accept(request_id):
    def accept(data):
        parsed = snmp_wire.parse_response(data)
        if parsed['pdu_type'] != 'response' or parsed['request_id'] != request_id:
            return None
        return parsed
    return accept


def _v3_accept(msg_id):
    def accept(data):
        parsed = snmp_wire.parse_v3_message(data)
        if parsed['msg_id'] != msg_id:
            return None
        return parsed
    return accept


def udp_request(t, next_id):
    """(payload, accept) of a UDP target's probe: the datagram to send, and accept(data) -> the reply's facts,
    or None for a datagram that is not the reply. Shared by this engine and the Windows path."""
    if t['probe'] == 'snmp':
        params = t['snmp']
        if params['version'] == '3':
            msg_id = next_id()
            return snmp_wire.build_v3_discovery(msg_id, next_id()), _v3_accept(msg_id)
        request_id = next_id()
        return snmp_wire.build_get_request(request_id, params['community'], params['version']), \
            _snmp_accept(request_id)
    if t['probe'] == 'mdns':
        query_id = next_id(0xFFFF)
        return (mdns_wire.build_query(query_id, mdns_wire.SERVICES_QUERY, 'PTR'),
                lambda data: mdns_wire.parse_response(data, query_id))
    return NONE_PAYLOAD, lambda data: {'bytes': len(data)}


def accept_first(datagrams, accept):
    """(facts of the first accepted datagram or None, number of datagrams that were not the reply)."""
    ignored = 0
    for data in datagrams:
        try:
            facts = accept(data)
        except ValueError:
            facts = None
        if facts is not None:
            return facts, ignored
        ignored += 1
    return None, ignored


def udp_verdict(ctx, t, kind, value, rtt, ignored):
    """The result of a UDP target from its exchange: ``kind`` reply (``value``: the accepted reply's facts),
    error (``value``: the OSError) or silence. ``ctx`` has ``timeout`` and ``retries``."""
    if kind == 'error':
        return _udp_error_result(t, value, rtt)
    if t['probe'] == 'snmp':
        params = t['snmp']
        if params['version'] == '3':
            return _snmp_v3_discovery_verdict(ctx, t, kind, value, rtt, ignored)
        if kind == 'silence':
            return _result(t, 'open_or_filtered', _silence_reason(
                ctx, 'SNMP v%s reply' % params['version'],
                ' (agents silently drop requests with a wrong community, so a wrong community looks the same as a '
                'filtered port)' + _ignored_note(ignored, 'a matching SNMP reply')))
        descr = snmp_wire.sys_descr(value['varbinds'])
        facts = {
            'version': params['version'],
            'sys_descr': descr,
            'error_status': value['error_status_name'],
            'error_index': value['error_index'],
            'varbinds': [list(vb) for vb in value['varbinds']],
        }
        if value['error_status']:
            reason = ('The SNMP v%s agent answered, with error-status %s.'
                      % (params['version'], value['error_status_name']))
        else:
            reason = 'The SNMP v%s agent answered the GET of sysDescr.0.' % params['version']
        result = _result(t, 'open', reason, rtt)
        result['snmp'] = facts
        return result
    if t['probe'] == 'mdns':
        if kind == 'silence':
            return _result(t, 'open_or_filtered', _silence_reason(
                ctx, 'mDNS reply', _ignored_note(ignored, 'DNS messages')))
        result = _result(t, 'open', 'An mDNS responder answered the legacy unicast query for %s with %d '
                                    'answer(s).' % (mdns_wire.SERVICES_QUERY, len(value['answers'])), rtt)
        result['mdns'] = {'query': mdns_wire.SERVICES_QUERY, 'rcode': value['rcode'],
                          'id_matches': value['id_matches'], 'answers': value['answers'],
                          'additional': value['additional']}
        return result
    if kind == 'reply':
        return _result(t, 'open', 'A datagram came back (%d bytes): the UDP port is open.' % value['bytes'], rtt)
    return _result(t, 'open_or_filtered', _silence_reason(ctx, 'reply to an empty datagram'))


def _snmp_v3_discovery_verdict(ctx, t, kind, value, rtt, ignored):
    if kind == 'silence':
        return _result(t, 'open_or_filtered', _silence_reason(
            ctx, 'reply to the SNMPv3 engine discovery', _ignored_note(ignored, 'an SNMPv3 report')))
    result = _result(t, 'open', 'The SNMPv3 agent answered the engine discovery (engine id %s).'
                     % value['engine_id'], rtt)
    result['snmp'] = {
        'version': '3',
        'engine_id': value['engine_id'],
        'engine_boots': value['engine_boots'],
        'engine_time': value['engine_time'],
        'sys_descr': None,
        'authenticated': None,
        'error_kind': None,
        'error': None,
    }
    return result


async def _probe_udp(ctx, t, family, addr):
    payload, accept = udp_request(t, ctx.next_id)
    kind, value, rtt, ignored = await _udp_exchange(ctx, family, addr, payload, accept)
    result = udp_verdict(ctx, t, kind, value, rtt, ignored)
    if t['probe'] == 'snmp' and t['snmp']['version'] == '3' and kind == 'reply' and t['snmp'].get('username'):
        await _snmp_v3_get(ctx, t, addr, value, result)
    return result


async def _snmp_v3_get(ctx, t, addr, discovery, result):
    """After the engine discovery answered: the authenticated GET of sysDescr.0 (pysnmp's USM), into ``result``."""
    params = t['snmp']
    get = await snmp_wire.snmpv3_get(
        addr[0], addr[1], params['username'], auth_protocol=params['auth_protocol'], auth_key=params['auth_key'],
        priv_protocol=params['priv_protocol'], priv_key=params['priv_key'], context=params['context'],
        timeout=ctx.timeout, retries=ctx.retries)
    apply_v3_get(t, discovery, result, get)


def apply_v3_get(t, discovery, result, get):
    """The authenticated GET's outcome (``get``: snmp.snmpv3_get's result shape) into ``result``, whichever
    vantage point made it (this engine through pysnmp's hlapi, the Windows path through protocols/snmp_usm)."""
    params = t['snmp']
    facts = result['snmp']
    facts['sys_descr'] = snmp_wire.sys_descr(get['varbinds'])
    facts['varbinds'] = [list(vb) for vb in get['varbinds']]
    facts['error_kind'] = get['error_kind']
    facts['error'] = get['error']
    if get['ok'] or get['error_kind'] == 'error_status':
        facts['authenticated'] = True
    elif get['error_kind'] in ('authentication', 'unknown_user', 'privacy', 'security_level'):
        facts['authenticated'] = False
    if get['ok']:
        result['reason'] = ('The SNMPv3 agent (engine id %s) answered the authenticated GET of sysDescr.0 as '
                            'user %s.' % (discovery['engine_id'], params['username']))
    else:
        result['reason'] = ('The SNMPv3 agent (engine id %s) is alive, but the GET as user %s failed: %s.'
                            % (discovery['engine_id'], params['username'], get['error']))


async def _probe(ctx, t):
    async with ctx.sem:
        try:
            family, addr = await ctx.resolve(t['host'], t['port'], t['transport'])
        except (OSError, UnicodeError) as exc:
            return _result(t, 'error', 'Cannot resolve host %s: %s.' % (t['host'], exc))
        try:
            if t['transport'] == 'tcp':
                return await _probe_tcp(ctx, t, family, addr)
            return await _probe_udp(ctx, t, family, addr)
        except (OSError, ValueError) as exc:
            return _result(t, 'error', 'The probe failed: %s: %s.' % (exc.__class__.__name__, exc))


async def check_all(targets, timeout=DEFAULT_TIMEOUT, retries=DEFAULT_RETRIES, concurrency=DEFAULT_CONCURRENCY,
                    validate_certs=True, ca_path=None):
    """Coroutine behind run_checks, for callers that already run an event loop.

    ``targets`` must already be normalized by validate_targets.
    """
    ctx = _Context(asyncio.get_running_loop(), timeout, retries, concurrency, validate_certs, ca_path)
    return list(await asyncio.gather(*[_probe(ctx, t) for t in targets]))


def run_checks(targets, timeout=DEFAULT_TIMEOUT, retries=DEFAULT_RETRIES, concurrency=DEFAULT_CONCURRENCY,
               validate_certs=True, ca_path=None, snmp_defaults=None):
    """Probe every target on one asyncio loop; results come back in input order.

    Every target is validated first (TargetError before any packet leaves).
    ``snmp_defaults`` holds module-level SNMP options that targets inherit.
    """
    validate_options(timeout, retries, concurrency)
    return run_normalized(validate_targets(targets, snmp_defaults), timeout, retries, concurrency, validate_certs,
                          ca_path)


def run_normalized(normalized, timeout=DEFAULT_TIMEOUT, retries=DEFAULT_RETRIES, concurrency=DEFAULT_CONCURRENCY,
                   validate_certs=True, ca_path=None):
    """run_checks for targets that validate_targets already normalized (validated once, not twice)."""
    if not normalized:
        return []
    if validate_certs and any(t['tls'] for t in normalized):
        verifying_context(ca_path)  # a bad ca_path fails here, before any probe
    concurrency = raise_fd_limit(min(concurrency, len(normalized)))
    return asyncio.run(check_all(normalized, timeout, retries, concurrency, validate_certs, ca_path))
