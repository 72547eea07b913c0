# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The database_check module's options, validation, set-up and the whole check (protocol handshake, then
the optional login), shared by the module and its action plugin (Windows vantage point)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import time
from ansible_collections.printfleet.mve.plugins.module_utils.common.argspec import ArgumentSpec
from ansible_collections.printfleet.mve.plugins.module_utils.checks import db_login
from ansible_collections.printfleet.mve.plugins.module_utils.checks import dependency as dependency_check
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import firebird as firebird_wire
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import tds as tds_wire


ENGINES = ('sqlserver', 'firebird')


FLOWS = {'sqlserver': 'db.sqlserver', 'firebird': 'db.firebird'}


OPTIONS = {
    'engine': {'type': 'str', 'required': True, 'choices': list(ENGINES)},
    'username': {'type': 'str'},
    'password': {'type': 'str', 'no_log': True},
    'database': {'type': 'str'},
    'instance': {'type': 'str'},
}


ARGUMENT_SPEC = ArgumentSpec(dependency_check.argument_spec(**OPTIONS), required_together=[('username', 'password')])


def validate(params):
    """Check the input before any network I/O; returns the params with ``port`` resolved.
    Raises dependency_check.CheckInputError naming the field and what it accepts."""
    dependency_check.validate_common(params)
    engine = params.get('engine')
    if engine not in ENGINES:
        raise dependency_check.CheckInputError('engine', 'must be one of %s, got %r'
                                               % (', '.join(ENGINES), engine))
    if bool(params.get('username')) != bool(params.get('password')):
        raise dependency_check.CheckInputError('username, password',
                                               'give both for a login, or neither for the protocol check only')
    if params.get('instance') is not None:
        if engine != 'sqlserver':
            raise dependency_check.CheckInputError('instance', 'only for engine sqlserver (got engine %s)' % engine)
        name = params['instance']
        if not name or '\\' in name or not all(32 < ord(c) < 127 for c in name):
            raise dependency_check.CheckInputError('instance', 'must be a SQL Server instance name (ASCII, no '
                                                               'backslash or spaces), got %r' % (name,))
    if engine == 'firebird' and params.get('username') and not params.get('database'):
        raise dependency_check.CheckInputError('database',
                                               'a Firebird login needs the database path or alias to attach to')
    out = dict(params)
    out['port'] = dependency_check.resolve_port(params.get('port'), FLOWS[engine])
    return out


def prepare(params, check_mode=False, local_fqdn=None):
    """Validated params and the protocol conversation (TDS PRELOGIN or Firebird op_connect); shared with the
    action plugin (Windows vantage point). Raises CheckInputError naming the field."""
    params = validate(params)
    if params['engine'] == 'sqlserver':
        return tds_wire.tds_prelogin_conversation(params), params
    conv_params = dict(params, client_host=local_fqdn or socket.gethostname())
    return firebird_wire.firebird_connect_conversation(conv_params), params


SQL_LOGIN_STEP = 'sql_login'


def sql_login_payload(params, prelogin):
    """The Windows SQL Server login step's payload (module_utils/windows/sql_login.ps1): encrypt when the
    server's PRELOGIN asks for it or ca_path asks for TLS; the certificate is checked against the Windows
    trust store unless validate_certs is false."""
    encrypt = bool(params.get('ca_path')) or (prelogin or {}).get('encryption') in ('on', 'required')
    return {'host': params['host'], 'port': params['port'], 'username': params['username'],
            'password': params['password'], 'database': params.get('database') or None,
            'timeout': params['timeout'], 'encrypt': encrypt, 'validate_certs': bool(params.get('validate_certs', True))}


def sql_login_result(value, params):
    """The step's result -> the ``login`` dict of the Linux path (same keys, same error kinds)."""
    value = value or {}
    login = {'attempted': True, 'ok': bool(value.get('ok')), 'error_code': value.get('error_code'),
             'error_kind': None, 'error': db_login.scrub(value.get('error'), params.get('password')) or None}
    if not login['ok']:
        login['error_kind'] = tds_wire.classify_login_error(login['error_code'], login['error'] or '')
    return login


def remote_finish(params, out, run_step=None):
    """After the protocol conversation ran on a Windows host: the login, where it can run from there.

    SQL Server: the login runs on the Windows host too, through .NET's own SqlClient (``run_step(name,
    payload)`` runs a shipped PowerShell step). Firebird has no client on a plain Windows Server: the login
    is not tried there, ``ok`` is false and ``steps.login`` says it must run from the controller (the
    mve_dependencies role does that with delegate_to). ``steps`` says where each step ran.
    """
    out['login'] = db_login.no_login()
    out['steps'] = {'protocol': 'windows', 'login': None}
    if not (params.get('username') and params.get('password')) or not out['ok']:
        return out
    if params['engine'] == 'sqlserver' and run_step is not None:
        try:
            login = sql_login_result(run_step(SQL_LOGIN_STEP, sql_login_payload(params, out.get('prelogin'))), params)
        except Exception as exc:  # pylint: disable=broad-except  # the step did not report back: a failed login
            login = dict(db_login.no_login(), attempted=True, ok=False, error_kind='error',
                         error=db_login.scrub('the login step did not report back: %s' % exc, params['password']))
        out['login'] = login
        out['steps']['login'] = 'windows'
        out['reason'] = db_login.login_reason(params, out, login)
        out['ok'] = bool(login['ok'])
        return out
    out['ok'] = False
    out['steps']['login'] = 'controller'
    out['login']['error'] = ('a Firebird login needs a Firebird client, which a Windows MVE server does not have: '
                             'run the login from the controller (delegate_to: localhost); the mve_dependencies '
                             'role does')
    out['reason'] = out['reason'] + LOGIN_ELSEWHERE
    return out


LOGIN_ELSEWHERE = ' The login was not tried from the Windows host: it must run from the controller.'


def with_login_from(remote_out, local_out, where='controller'):
    """A Windows host's result whose login had to run elsewhere (``steps.login == 'controller'``), completed with
    the login of the same check run from ``where`` (``local_out``, a database_check result from there).

    The protocol step stays the Windows host's; ``login``, ``ok`` and the login half of ``reason`` come from
    ``local_out``; ``steps.login`` names where the login ran (null, and ``ok`` false, when it did not run).
    """
    out = dict(remote_out)
    reason = out.get('reason') or ''
    if reason.endswith(LOGIN_ELSEWHERE):
        reason = reason[:-len(LOGIN_ELSEWHERE)]
    local_out = local_out or {}
    login = local_out.get('login') or db_login.no_login()
    out['login'] = login
    out['steps'] = dict(out.get('steps') or {}, login=where if login.get('attempted') else None)
    local_reason = local_out.get('reason') or local_out.get('msg') or 'no result'
    if login.get('attempted'):
        out['ok'] = bool(login.get('ok'))
        if reason and local_reason.startswith(reason):   # the same protocol reply from there: say it once
            local_reason = local_reason[len(reason):].strip()
        out['reason'] = '%s From the %s: %s' % (reason, where, local_reason)
    else:
        out['ok'] = False
        out['reason'] = '%s The login from the %s did not run: %s' % (reason, where, local_reason)
    return out


def check(params):
    """The whole check from validated ``params`` (see validate): protocol exchange, then the optional login."""
    start = time.perf_counter()
    conv, params = prepare(params)
    out = dependency_check.run(conv, params)
    login = db_login.no_login()
    if out['ok'] and params.get('username') and params.get('password'):
        if params['engine'] == 'sqlserver':
            login = db_login.sqlserver_login(params, out.get('prelogin'))
        else:
            login = db_login.firebird_login(params)
        out['reason'] = db_login.login_reason(params, out, login)
        out['ok'] = bool(login['ok'])
    out['login'] = login
    out['steps'] = {'protocol': 'linux', 'login': 'linux' if login['attempted'] else None}
    out['elapsed_ms'] = round((time.perf_counter() - start) * 1000.0, 2)
    return out
