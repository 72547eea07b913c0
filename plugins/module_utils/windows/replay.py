# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a conversation from another host, one batch of actions per round trip.

The Windows vantage point: MVE runs on Windows Server, and the dependency checks must prove what the MVE
server itself reaches, without installing Python there. The protocol stays in Python, on the controller;
only the I/O happens on the target. A *batch executor* takes a list of actions (plain dicts, see
``Action.as_dict``), performs them on the target from a fresh connection, and returns one result per
action. Because a remote step cannot keep a socket open between two round trips, each round *replays* the
conversation's actions since its last Connect and adds the new ones; the replies to already-answered steps
are discarded. Protocols that are deterministic for the same bytes sent (SMTP, LDAP, Kerberos AS-REQ, TDS
PRELOGIN, Firebird op_connect) give the same answers, and a replay that diverges is reported.

Round trips per conversation: one per Connect, Recv and StartTls (Sends ride along with the next one).

Every step also carries ``at``: the target's clock (POSIX seconds) when the step finished; the ``Now``
action reads it (Kerberos clock skew is measured against the MVE server's clock, not the controller's).

Result of one step from an executor (JSON-friendly)::

    {"ok": true, "value": <connect: {"rtt_ms", "peer"}; recv: base64 bytes; starttls: {"version", "cipher",
                                "cert": base64 DER, "validated", "validation_error"}; send/close: null>}
    {"ok": false, "error": "ConnectFailed"|"ReceiveTimeout"|"PeerClosed"|"FramingError"|"TlsFailed",
     "kind": "refused"|"timeout"|"unreachable"|"dns" (ConnectFailed only), "message": "...",
     "tls": {...same as starttls value...} (TlsFailed with a certificate)}

The executor runs steps in order and stops at the first failed one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import time

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation as conv
from ansible_collections.printfleet.mve.plugins.module_utils.common import tls_facts

_ERRORS = {
    'ReceiveTimeout': conv.ReceiveTimeout,
    'FramingError': conv.FramingError,
}


def _error_from(step):
    name = step.get('error')
    message = step.get('message') or name or 'remote step failed'
    if name == 'ConnectFailed':
        return conv.ConnectFailed(step.get('kind') or 'unreachable', message)
    if name == 'PeerClosed':
        return conv.PeerClosed(message, base64.b64decode(step.get('partial') or ''))
    if name == 'TlsFailed':
        return conv.TlsFailed(message, _tls_value(step['tls']) if step.get('tls') else None)
    if name in _ERRORS:
        return _ERRORS[name](message)
    return conv.ConversationError('%s: %s' % (name, message))


def _tls_value(value):
    der = base64.b64decode(value['cert']) if value.get('cert') else None
    return tls_facts.tls_facts(der, value.get('version'), value.get('cipher'),
                               validated=bool(value.get('validated')),
                               validation_error=value.get('validation_error'))


class ReplayDriver(object):
    """A conversation driver whose I/O happens elsewhere, through ``execute_batch(list_of_action_dicts)``."""

    def __init__(self, execute_batch, validate_certs=True):
        self.execute_batch = execute_batch
        self.validate_certs = validate_certs
        self.log = []          # actions since the last Connect
        self.answered = 0      # how many of them the conversation has seen results for
        self.performed = 0     # how many of them the latest round performed on the remote host
        self.round_trips = 0
        self.remote_time = None  # the target's clock at the latest step it performed

    def close(self):
        self.log, self.answered, self.performed = [], 0, 0

    def _round(self):
        repeated = [a for a in self.log[:self.performed] if isinstance(a, conv.Send) and a.once]
        if repeated:
            raise conv.ConversationError('stopping here: going on would repeat a step that must happen once '
                                         '(%d bytes already sent from the remote host)' % len(repeated[0].data))
        self.round_trips += 1
        self.performed = len(self.log)
        steps = self.execute_batch([a.as_dict() for a in self.log])
        for index, step in enumerate(steps):
            if not step.get('ok', False):
                err = _error_from(step)
                if index < self.answered:
                    # A step that succeeded in an earlier round failed when replayed: say so.
                    err.message = 'on replay of step %d (%s): %s' % (index + 1, self.log[index].__class__.__name__,
                                                                     err.message)
                raise err
        if steps and steps[-1].get('at') is not None:
            self.remote_time = float(steps[-1]['at'])
        if len(steps) != len(self.log):
            raise conv.ConversationError('the remote step returned %d results for %d actions'
                                         % (len(steps), len(self.log)))
        return steps

    def execute(self, action):
        if isinstance(action, conv.Now):
            if self.remote_time is None:
                self.execute_batch([])  # nothing to replay yet: an empty round only to read the clock
            return self.remote_time if self.remote_time is not None else time.time()
        if isinstance(action, conv.Close):
            self.close()
            return None
        if isinstance(action, conv.Connect):
            self.log, self.answered, self.performed = [action], 0, 0
        elif not self.log:
            raise conv.ConversationError('%s without an open connection' % action.__class__.__name__)
        else:
            self.log.append(action)
        if isinstance(action, conv.Send):
            return None          # sent with the next round
        steps = self._round()
        last = steps[len(self.log) - 1]
        self.answered = len(self.log)
        value = last.get('value')
        if isinstance(action, conv.Connect):
            return value
        if isinstance(action, conv.Recv):
            data = base64.b64decode(value or '')
            if action.framing not in ('datagram',):
                n = conv.frame_complete(action.framing, data, action.size)
                if n is None or n != len(data):
                    raise conv.FramingError('the remote step returned %d bytes that are not one complete %s message'
                                            % (len(data), action.framing))
            return data
        if isinstance(action, conv.StartTls):
            facts = _tls_value(value)
            if self.validate_certs and not facts['validated']:
                raise conv.TlsFailed(facts['validation_error'] or 'certificate verify failed', facts)
            if not self.validate_certs:
                facts['validated'] = False
                facts['validation_error'] = 'not verified: validate_certs is false'
            return facts
        raise TypeError('not an action: %r' % (action,))


def run_replay(conversation, execute_batch, validate_certs=True):
    """Run a conversation through ``execute_batch``. Returns (result, round_trips)."""
    driver = ReplayDriver(execute_batch, validate_certs=validate_certs)
    result = conv.drive(conversation, driver)
    return result, driver.round_trips
