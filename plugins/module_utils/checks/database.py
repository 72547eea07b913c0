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


ARGUMENT_SPEC = ArgumentSpec(dependency_check.argument_spec(**OPTIONS))


def validate(params):
    """Check the input before any network I/O; returns the params with ``port`` resolved.
    Raises dependency_check.CheckInputError naming the field and what it accepts."""
    dependency_check.validate_common(params)
    engine = params.get('engine')
    if engine not in ENGINES:
        raise dependency_check.CheckInputError('engine: must be one of %s, got %r' % (', '.join(ENGINES), engine))
    if bool(params.get('username')) != bool(params.get('password')):
        raise dependency_check.CheckInputError('username, password: give both for a login, or neither for the protocol check only')
    if params.get('instance') is not None:
        if engine != 'sqlserver':
            raise dependency_check.CheckInputError('instance: only for engine sqlserver (got engine %s)' % engine)
        name = params['instance']
        if not name or '\\' in name or not all(32 < ord(c) < 127 for c in name):
            raise dependency_check.CheckInputError('instance: must be a SQL Server instance name (ASCII, no backslash or '
                                                   'spaces), got %r' % (name,))
    if engine == 'firebird' and params.get('username') and not params.get('database'):
        raise dependency_check.CheckInputError('database: a Firebird login needs the database path or alias to attach to')
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


def remote_finish(params, out):
    """After the conversation ran on a Windows host: the login needs a database driver (python-tds,
    firebirdsql), which runs from a Linux host or the controller only."""
    out['login'] = db_login.no_login()
    if params.get('username'):
        out['login']['error'] = ('the login step runs from a Linux host or the controller (it needs a database '
                                 'driver); run this check there, with delegate_to, to test the credentials')
        out['reason'] = '%s The login was not tried from the Windows host.' % out['reason']
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
    out['elapsed_ms'] = round((time.perf_counter() - start) * 1000.0, 2)
    return out
