# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the dependency checks (database_check, smtp_check, ldap_check, kerberos_check) share.

Options common to all four, the default port from the port matrix, and the result shape:
``ok`` (bool), ``reason`` (one readable sentence), ``elapsed_ms``, ``tls`` when TLS was used, plus each
protocol's facts. Checks never change anything; a failed check fails the task unless
``fail_on_error: false``. Pure Python: the module object is only passed in.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import InputError
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix

COMMON_OPTIONS = {
    'host': {'type': 'str', 'required': True},
    'port': {'type': 'int'},
    'timeout': {'type': 'float', 'default': 5.0},
    'validate_certs': {'type': 'bool', 'default': True},
    'ca_path': {'type': 'path'},
    'fail_on_error': {'type': 'bool', 'default': True},
}


class CheckInputError(InputError):
    """Bad module input: ``CheckInputError(field, message)``, the message says what the field accepts."""


def argument_spec(**extra):
    """COMMON_OPTIONS plus the module's own options (which may override a common one)."""
    spec = dict((k, dict(v)) for k, v in COMMON_OPTIONS.items())
    spec.update(extra)
    return spec


def resolve_port(port, flow_id):
    """The user's port, or the flow's default from the port matrix. Validated 1..65535."""
    if port is None:
        return port_matrix.get_flow(flow_id)['destination_port']
    try:
        return port_matrix.validate_port('port', port)
    except port_matrix.MatrixError as exc:
        raise CheckInputError(exc.field, exc.message)


def validate_common(params):
    """Checks shared by every dependency check; raises CheckInputError."""
    if not (params.get('host') or '').strip():
        raise CheckInputError('host', 'must be a host name or address, got an empty string')
    if params.get('timeout') is not None and not params['timeout'] > 0:
        raise CheckInputError('timeout', 'must be a number of seconds above 0, got %r' % (params['timeout'],))


# A check result: what every conversation returns (protocols/conversation.py).
result = conversation.result


def run(conv, params):
    """Run a conversation from this host with the common options; adds ``elapsed_ms``."""
    out, elapsed = conversation.run_local(conv, timeout=params['timeout'],
                                          validate_certs=params['validate_certs'], ca_path=params.get('ca_path'))
    out['elapsed_ms'] = elapsed
    return out


def finish(module, out):
    """exit_json / fail_json with the check result (never changed)."""
    if not out['ok'] and module.params.get('fail_on_error', True):
        module.fail_json(msg=out['reason'], changed=False, **out)
    module.exit_json(changed=False, **out)
