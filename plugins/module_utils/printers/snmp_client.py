# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One asyncio SNMP client for every version: ``get``, ``walk``, ``set`` against one target.

* SNMP v1/v2c take the lean path: BER messages built and parsed by snmp_wire,
  sent on one connected UDP socket per client (the port_probe design: each
  target has its own receive buffer, and an ICMP port-unreachable is
  attributed to it), replies matched by request-id, so several requests of
  one client can be in flight at once. No pysnmp engine is created.
* SNMPv3 goes through pysnmp 7's asyncio hlapi (``get_cmd``, ``set_cmd``,
  ``bulk_walk_cmd`` with ``UsmUserData``); the USM (keys, engine discovery,
  time windows) is the part worth not rewriting. Clients of a fleet can share
  one SnmpEngine (``engine=``); whoever created it closes its dispatcher.

Every failure is an SnmpError with a ``kind`` from ERROR_KINDS and one
readable sentence; secrets (community, keys) never appear in messages.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import copy
import random
import socket

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import InputError, PrintfleetError
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp as snmp_wire

DEFAULT_TIMEOUT = 2.0
DEFAULT_RETRIES = 1
# Successors per column in one GETBULK: a printer's supplies table has a handful of rows, a generic walk more.
WALK_MAX_REPETITIONS = 25
TABLE_MAX_REPETITIONS = 10
NO_REPLY = 'no reply: wrong community, ACL, or no agent'
NO_REPLY_V3 = 'no reply: wrong address or port, ACL, or no agent'

ERROR_KINDS = (
    'timeout',          # nothing came back (a wrong v1/v2c community looks exactly like this)
    'unreachable',      # ICMP port/host unreachable: no agent listens there
    'resolve',          # the host name does not resolve
    'authentication',   # SNMPv3: wrong auth key or protocol, unknown user, unsupported security level
    'decryption',       # SNMPv3: the agent could not decrypt (wrong priv key or protocol)
    'not_writable', 'read_only', 'no_access', 'authorization', 'wrong_type', 'wrong_value',
    'no_such_object', 'too_big', 'commit_failed', 'general', 'error_status',
    'protocol',         # a reply that breaks the protocol (OIDs not increasing during a walk, ...)
    'other',
)

# pysnmp v3 error kinds (snmp_wire.v3_error) folded into the client's kinds.
_V3_KIND = {
    'authentication': 'authentication', 'unknown_user': 'authentication', 'security_level': 'authentication',
    'privacy': 'decryption', 'timeout': 'timeout', 'time_window': 'authentication',
    'engine_id': 'authentication',
}


class SnmpError(PrintfleetError):
    """An SNMP request failed. ``kind`` is one of ERROR_KINDS; ``oid`` the object the agent blamed.
    ``fail_kwargs('error_kind')`` gives msg, error_kind, oid and error_status."""

    def __init__(self, kind, message, oid=None, error_status=None, error_index=None):
        super(SnmpError, self).__init__(message, kind=kind, oid=oid, error_status=error_status)
        self.oid = oid
        self.error_status = error_status
        self.error_index = error_index

    def as_dict(self):
        out = {'kind': self.kind, 'msg': self.message}
        if self.oid is not None:
            out['oid'] = self.oid
        if self.error_status is not None:
            out['error_status'] = self.error_status
        return out


def default_port():
    """The SNMP port of the port matrix flow printer.snmp (the one place ports are typed)."""
    return port_matrix.get_flow('printer.snmp')['destination_port']


# The connection options of every SNMP module (printer_snmp, printer_facts): host, port, timeout, retries and
# the SNMP credentials of snmp_wire.SNMP_ARGSPEC_OPTIONS. Documented once in doc fragment printfleet.mve.snmp.
SNMP_CONNECTION_ARGSPEC = dict(
    host=dict(type='str', required=True),
    port=dict(type='int'),
    timeout=dict(type='float', default=DEFAULT_TIMEOUT),
    retries=dict(type='int', default=DEFAULT_RETRIES),
)


def argument_spec(host=True):
    """A fresh copy of the shared SNMP argument spec; ``host=False`` leaves ``host`` out (fleet modules)."""
    spec = copy.deepcopy(SNMP_CONNECTION_ARGSPEC)
    if not host:
        del spec['host']
    spec.update(copy.deepcopy(snmp_wire.SNMP_ARGSPEC_OPTIONS))
    return spec


# The constraints of the SNMP options that the argument spec itself declares (ArgumentSpec keywords): an SNMPv3
# user name with version 3, no privacy key without an authentication key.
SNMP_CONSTRAINTS = dict(required_if=[('version', '3', ('username',))], required_by={'priv_key': ('auth_key',)})


def option_errors(params):
    """Problems with the connection options (after snmp_wire.resolve_snmp_params): a list of InputError."""
    errors = list(snmp_wire.snmp_param_errors(params))
    host = params.get('host')
    if host is not None and (not str(host).strip() or any(c.isspace() for c in str(host).strip())):
        errors.insert(0, InputError('host', 'got %r, expected a printer host name or address' % (host,)))
    port = params.get('port')
    if port is not None:
        try:
            port_matrix.validate_port('port', port)
        except port_matrix.MatrixError as exc:
            errors.append(exc)
    timeout = params.get('timeout')
    if timeout is not None and (isinstance(timeout, bool) or not 0 < float(timeout) <= 3600):
        errors.append(InputError('timeout', 'got %r, expected seconds greater than 0 (at most 3600)' % (timeout,)))
    retries = params.get('retries')
    if retries is not None and (isinstance(retries, bool) or not 0 <= int(retries) <= 10):
        errors.append(InputError('retries', 'got %r, expected an integer from 0 to 10' % (retries,)))
    return errors


class Reply(object):
    """The varbinds of a GET or SET reply: ``varbinds`` [(oid, value)], ``exceptions`` {oid: name}."""

    def __init__(self, varbinds=None, exceptions=None):
        self.varbinds = list(varbinds or [])
        self.exceptions = dict(exceptions or {})

    def values(self):
        """{oid: value} of the objects that exist (noSuchObject and friends left out)."""
        return dict((oid, value) for oid, value in self.varbinds if oid not in self.exceptions)

    def __repr__(self):
        return 'Reply(%r, %r)' % (self.varbinds, self.exceptions)


def _status_error(parsed_status, parsed_index, oids, what):
    name = snmp_wire.error_status_name(parsed_status)
    kind, sentence = snmp_wire.error_status_kind(name)
    oid = oids[parsed_index - 1] if 0 < parsed_index <= len(oids) else None
    where = ' on %s' % oid if oid else ''
    return SnmpError(kind, 'the agent refused the %s%s: %s' % (what, where, sentence), oid=oid,
                     error_status=name, error_index=parsed_index)


class _Protocol(asyncio.DatagramProtocol):
    """Dispatches replies on one connected socket to the waiting request by request-id."""

    def __init__(self):
        self.pending = {}
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        try:
            parsed = snmp_wire.parse_response(data)
        except snmp_wire.SnmpWireError:
            return
        waiter = self.pending.get(parsed['request_id'])
        if parsed['pdu_type'] == 'response' and waiter is not None and not waiter.done():
            waiter.set_result(parsed)

    def error_received(self, exc):
        for waiter in self.pending.values():
            if not waiter.done():
                waiter.set_exception(exc)

    def connection_lost(self, exc):
        self.error_received(exc or ConnectionAbortedError('socket closed'))


class SnmpClient(object):
    """SNMP against one target. Use ``async with SnmpClient(...) as c`` or call ``close()``.

    ``params`` take the names of the shared argument spec (version, community,
    username, auth_protocol, auth_key, priv_protocol, priv_key, context);
    unset ones get snmp_wire's defaults.
    """

    def __init__(self, host, port=None, timeout=DEFAULT_TIMEOUT, retries=DEFAULT_RETRIES, engine=None, **params):
        self.host = host
        self.port = int(port) if port is not None else default_port()
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.params = snmp_wire.resolve_snmp_params(params)
        self.version = self.params['version']
        self._engine = engine
        self._own_engine = False
        self._target = None
        self._sock = None
        self._transport = None
        self._proto = None
        self._opening = None
        self._next_id = random.randint(1, 0x3FFFFFFF)

    @classmethod
    def from_params(cls, params, host=None, engine=None):
        """A client from module params (the shared argument spec); ``host`` overrides params['host']."""
        kwargs = dict((k, params.get(k)) for k in snmp_wire.SNMP_OPTION_NAMES)
        return cls(host or params.get('host'), port=params.get('port'),
                   timeout=params.get('timeout') or DEFAULT_TIMEOUT,
                   retries=DEFAULT_RETRIES if params.get('retries') is None else params['retries'],
                   engine=engine, **kwargs)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        self.close()

    def close(self):
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._engine is not None and self._own_engine:
            self._engine.close_dispatcher()
            self._engine = None

    # ---- public API ----------------------------------------------------------------------------

    async def get(self, oids):
        """GET ``oids`` (dotted strings). Returns a Reply; missing objects are in ``exceptions``."""
        oids = [_dotted(o) for o in ([oids] if isinstance(oids, str) else oids)]
        if self.version == '3':
            return await self._v3_get(oids)
        return await self._lean_get(oids)

    async def walk(self, oid):
        """Every (oid, value) under ``oid``, in agent order (GETBULK for v2c/v3, GETNEXT for v1)."""
        base = _dotted(oid)
        return (await self.walk_many([base]))[base]

    async def walk_many(self, oids, max_repetitions=WALK_MAX_REPETITIONS):
        """Walk several subtrees in lockstep (table columns: one GETBULK carries a row of each).

        Returns {base oid: [(oid, value)]}.
        """
        bases = [_dotted(o) for o in oids]
        if self.version == '3':
            out = {}
            for base in bases:
                out[base] = await self._v3_walk(base, max_repetitions)
            return out
        return await self._lean_walk(bases, max_repetitions)

    async def set(self, varbinds):
        """SET ``varbinds`` [(oid, type, value)] in one PDU. Returns the agent's Reply.

        Raises SnmpError (kind not_writable, read_only, wrong_type, ...) when the agent refuses.
        """
        items = []
        for oid, vtype, value in varbinds:
            try:
                items.append((_dotted(oid), snmp_wire.value_type(vtype), value))
            except snmp_wire.SnmpWireError as exc:
                raise SnmpError('wrong_type', str(exc), oid=oid)
        if self.version == '3':
            return await self._v3_set(items)
        return await self._lean_set(items)

    # ---- lean v1/v2c path ------------------------------------------------------------------------

    def _request_id(self):
        self._next_id = self._next_id % 0x7FFFFFFE + 1
        return self._next_id

    async def _open(self):
        if self._transport is not None:
            return
        if self._opening is None:
            self._opening = asyncio.ensure_future(self._do_open())
        await asyncio.shield(self._opening)

    async def _do_open(self):
        loop = asyncio.get_running_loop()
        family, addr = await _resolve(loop, self.host, self.port)
        try:
            sock = conversation.connected_udp_socket(family, addr)
        except OSError as exc:
            raise SnmpError('unreachable', 'cannot reach %s:%d: %s' % (self.host, self.port, exc))
        self._sock = sock
        self._transport, self._proto = await loop.create_datagram_endpoint(_Protocol, sock=sock)

    async def _exchange(self, build):
        """Send ``build(request_id)`` with retries; the parsed reply (a dict of snmp_wire.parse_response)."""
        try:
            await self._open()
        except SnmpError:
            raise
        except (OSError, UnicodeError) as exc:
            raise SnmpError('resolve', 'cannot resolve %s: %s' % (self.host, exc))
        loop = asyncio.get_running_loop()
        request_id = self._request_id()
        payload = build(request_id)
        waiter = loop.create_future()
        self._proto.pending[request_id] = waiter
        try:
            for dummy in range(self.retries + 1):
                try:
                    self._sock.send(payload)
                except BlockingIOError:
                    pass  # dropped like any lost datagram: the retry covers it
                except OSError as exc:
                    # A pending ICMP error surfaces on whichever call comes next: share it with every waiter.
                    self._proto.error_received(exc)
                done, dummy_pending = await asyncio.wait([waiter], timeout=self.timeout)
                if done:
                    try:
                        return waiter.result()
                    except ConnectionRefusedError:
                        raise self._unreachable()
                    except OSError as exc:
                        raise SnmpError('unreachable', '%s:%d: %s' % (self.host, self.port, exc))
        finally:
            self._proto.pending.pop(request_id, None)
            if not waiter.done():
                waiter.cancel()
        attempts = self.retries + 1
        raise SnmpError('timeout', '%s (SNMP v%s to %s:%d, %d attempt%s of %.1f s)' % (
            NO_REPLY, self.version, self.host, self.port, attempts, 's' if attempts > 1 else '', self.timeout))

    def _unreachable(self):
        return SnmpError('unreachable', 'ICMP port unreachable from %s: no SNMP agent listens on UDP port %d'
                         % (self.host, self.port))

    async def _lean_get(self, oids):
        community, version = self.params['community'], self.version
        parsed = await self._exchange(lambda rid: snmp_wire.build_get_request(rid, community, version, oids))
        if parsed['error_status'] == 0:
            return Reply(parsed['varbinds'], parsed['exceptions'])
        if parsed['error_status_name'] == 'noSuchName' and version == '1':
            # SNMP v1 fails the whole PDU for one missing object: ask for each object on its own, concurrently.
            if len(oids) == 1:
                return Reply([(oids[0], None)], {oids[0]: 'noSuchObject'})
            parts = await asyncio.gather(*[self._lean_get([oid]) for oid in oids])
            reply = Reply()
            for part in parts:
                reply.varbinds.extend(part.varbinds)
                reply.exceptions.update(part.exceptions)
            return reply
        raise _status_error(parsed['error_status'], parsed['error_index'], oids, 'GET')

    async def _lean_walk(self, bases, max_repetitions):
        community, version = self.params['community'], self.version
        out = dict((b, []) for b in bases)
        cursors = dict((b, b) for b in bases)
        active = list(bases)
        while active:
            asked = [cursors[b] for b in active]
            if version == '1':
                parsed = await self._exchange(
                    lambda rid: snmp_wire.build_getnext_request(rid, community, version, asked))
            else:
                parsed = await self._exchange(
                    lambda rid: snmp_wire.build_getbulk_request(rid, community, asked, 0, max_repetitions))
            if parsed['error_status']:
                if parsed['error_status_name'] == 'noSuchName' and version == '1' \
                        and 0 < parsed['error_index'] <= len(active):
                    active.pop(parsed['error_index'] - 1)  # v1: the end of the MIB view for this column
                    continue
                raise _status_error(parsed['error_status'], parsed['error_index'], asked, 'walk')
            varbinds = parsed['varbinds']
            if not varbinds:
                raise SnmpError('protocol', 'the agent answered a walk step with no varbinds')
            still = []
            width = len(active)
            for column, base in enumerate(active):
                done = False
                for oid, value in varbinds[column::width]:
                    if oid in parsed['exceptions'] or not snmp_wire.oid_in_subtree(oid, base):
                        done = True
                        break
                    if snmp_wire.oid_key(oid) <= snmp_wire.oid_key(cursors[base]):
                        raise SnmpError('protocol', 'the agent returned %s after %s: OIDs not increasing, '
                                                    'walk stopped' % (oid, cursors[base]))
                    out[base].append((oid, value))
                    cursors[base] = oid
                if not done:
                    still.append(base)
            active = still
        return out

    async def _lean_set(self, items):
        community, version = self.params['community'], self.version
        oids = [oid for oid, dummy_t, dummy_v in items]
        try:
            build = list(items)
            snmp_wire.build_set_request(1, community, version, build)  # value errors before anything is sent
        except snmp_wire.SnmpWireError as exc:
            raise SnmpError('wrong_type', str(exc))
        parsed = await self._exchange(lambda rid: snmp_wire.build_set_request(rid, community, version, build))
        if parsed['error_status']:
            raise _status_error(parsed['error_status'], parsed['error_index'], oids, 'SET')
        return Reply(parsed['varbinds'], parsed['exceptions'])

    # ---- SNMPv3 through the pysnmp hlapi ----------------------------------------------------------

    def _hlapi(self):
        from pysnmp.hlapi.v3arch import asyncio as hlapi  # heavy: only the v3 path pays for it
        return hlapi

    async def _v3_setup(self):
        hlapi = self._hlapi()
        if self._engine is None:
            self._engine = hlapi.SnmpEngine()
            self._own_engine = True
        if self._target is None:
            try:
                self._target = await hlapi.UdpTransportTarget.create(
                    (self.host, self.port), timeout=self.timeout, retries=self.retries)
            except Exception as exc:  # pysnmp wraps resolver failures in PySnmpError
                raise SnmpError('resolve', 'cannot resolve %s: %s' % (self.host, exc))
        p = self.params
        kwargs = {}
        if p['auth_key'] is not None:
            kwargs['authKey'] = p['auth_key']
            kwargs['authProtocol'] = getattr(hlapi, snmp_wire._AUTH_ATTRS[p['auth_protocol']])
        if p['priv_key'] is not None:
            kwargs['privKey'] = p['priv_key']
            kwargs['privProtocol'] = getattr(hlapi, snmp_wire._PRIV_ATTRS[p['priv_protocol']])
        return (hlapi, self._engine, hlapi.UsmUserData(p['username'], **kwargs), self._target,
                hlapi.ContextData(contextName=p['context'] or ''))

    def _v3_indication(self, indication):
        kind, sentence = snmp_wire.v3_error(indication)
        kind = _V3_KIND.get(kind, 'other')
        if kind == 'timeout':
            attempts = self.retries + 1
            sentence = '%s (SNMPv3 to %s:%d, %d attempt%s of %.1f s)' % (
                NO_REPLY_V3, self.host, self.port, attempts, 's' if attempts > 1 else '', self.timeout)
        elif kind == 'authentication' and 'unknown' in sentence and 'user' in sentence:
            sentence = 'authentication error: ' + sentence
        return SnmpError(kind, sentence)

    @staticmethod
    def _v3_reply(varbinds):
        reply = Reply()
        for oid, value in varbinds:
            exc = snmp_wire.varbind_exception(value)
            if exc:
                reply.exceptions[str(oid)] = exc
            reply.varbinds.append((str(oid), snmp_wire.to_python(value)))
        return reply

    async def _v3_failure(self, indication):
        """The SnmpError for an hlapi error indication, with a diagnosis of authPriv silence.

        net-snmp drops an authPriv message it cannot decrypt without a report, so a wrong priv_key looks
        like a dead agent. When authPriv times out, one GET of sysDescr.0 as the same user with
        authentication only (on a throw-away engine) tells the cases apart: any answer, even
        authorizationError, proves the agent and the auth key, which leaves the privacy key or protocol.
        """
        error = self._v3_indication(indication)
        p = self.params
        if error.kind != 'timeout' or p['priv_key'] is None or p['auth_key'] is None:
            return error
        probe = SnmpClient(self.host, self.port, timeout=self.timeout, retries=0, version='3',
                           username=p['username'], auth_protocol=p['auth_protocol'], auth_key=p['auth_key'],
                           context=p['context'])
        try:
            await probe.get([snmp_wire.SYS_DESCR_OID])
        except SnmpError as exc:
            if exc.kind == 'timeout':
                return error
            if exc.kind == 'authentication':
                return exc
        finally:
            probe.close()
        return SnmpError('decryption', 'decryption error: no reply to the authPriv request, but the agent answers '
                                       'user %s with authentication only, so it could not decrypt the request '
                                       '(wrong priv_key or priv_protocol %s; agents drop what they cannot '
                                       'decrypt)' % (p['username'], p['priv_protocol']))

    async def _v3_get(self, oids):
        hlapi, engine, user, target, context = await self._v3_setup()
        indication, status, index, varbinds = await hlapi.get_cmd(
            engine, user, target, context, *[hlapi.ObjectType(hlapi.ObjectIdentity(o)) for o in oids],
            lookupMib=False)
        if indication:
            raise await self._v3_failure(indication)
        if int(status):
            raise _status_error(int(status), int(index), oids, 'GET')
        return self._v3_reply(varbinds)

    async def _v3_walk(self, base, max_repetitions):
        hlapi, engine, user, target, context = await self._v3_setup()
        rows = []
        last = base
        async for indication, status, index, varbinds in hlapi.bulk_walk_cmd(
                engine, user, target, context, 0, max_repetitions, hlapi.ObjectType(hlapi.ObjectIdentity(base)),
                lexicographicMode=False, lookupMib=False):
            if indication:
                raise await self._v3_failure(indication)
            if int(status):
                raise _status_error(int(status), int(index), [base], 'walk')
            for oid, value in varbinds:
                oid = str(oid)
                if snmp_wire.varbind_exception(value) or not snmp_wire.oid_in_subtree(oid, base):
                    return rows
                if snmp_wire.oid_key(oid) <= snmp_wire.oid_key(last):
                    raise SnmpError('protocol', 'the agent returned %s after %s: OIDs not increasing, walk '
                                                'stopped' % (oid, last))
                rows.append((oid, snmp_wire.to_python(value)))
                last = oid
        return rows

    async def _v3_set(self, items):
        hlapi, engine, user, target, context = await self._v3_setup()
        try:
            objects = [hlapi.ObjectType(hlapi.ObjectIdentity(oid), snmp_wire.encode_value(vtype, value))
                       for oid, vtype, value in items]
        except snmp_wire.SnmpWireError as exc:
            raise SnmpError('wrong_type', str(exc))
        indication, status, index, varbinds = await hlapi.set_cmd(engine, user, target, context, *objects,
                                                                  lookupMib=False)
        if indication:
            raise await self._v3_failure(indication)
        if int(status):
            raise _status_error(int(status), int(index), [oid for oid, dummy_t, dummy_v in items], 'SET')
        return self._v3_reply(varbinds)


def _dotted(oid):
    try:
        return '.'.join(str(p) for p in snmp_wire.oid_key(oid))
    except snmp_wire.SnmpWireError as exc:
        raise SnmpError('no_such_object', str(exc))


async def _resolve(loop, host, port):
    literal = conversation.literal_sockaddr(host, port)
    if literal is not None:
        return literal
    return conversation.pick_address(await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM), port)


def new_engine():
    """A pysnmp SnmpEngine for SNMPv3 clients to share; the caller closes its dispatcher."""
    from pysnmp.hlapi.v3arch import asyncio as hlapi
    return hlapi.SnmpEngine()
