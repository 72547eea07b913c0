# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The login step of database_check: SQL authentication with python-tds, a Firebird attach with firebirdsql.

Both drivers open their own sockets, so this step runs where the module runs (a Linux host or the
controller), not through the conversation layer; the protocol handshakes before it (TDS PRELOGIN, Firebird
op_connect) are conversations in tds_wire and firebird_wire. Passwords are scrubbed from every error text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import traceback

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import firebird as firebird_wire
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import tds as tds_wire

try:
    import pytds
except ImportError:
    HAS_PYTDS = False
    PYTDS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_PYTDS = True
    PYTDS_IMPORT_ERROR = None

try:
    import firebirdsql
except ImportError:
    HAS_FIREBIRDSQL = False
    FIREBIRDSQL_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_FIREBIRDSQL = True
    FIREBIRDSQL_IMPORT_ERROR = None


def no_login():
    return {'attempted': False, 'ok': None, 'error_code': None, 'error_kind': None, 'error': None}


def scrub(text, secret):
    text = str(text or '').strip()
    if secret:
        text = text.replace(secret, '********')
    return text


def sqlserver_login(params, prelogin):
    """SQL authentication with python-tds (its own socket). Returns the ``login`` dict."""
    login = {'attempted': True, 'ok': False, 'error_code': None, 'error_kind': None, 'error': None}
    kwargs = {'dsn': params['host'], 'port': params['port'], 'user': params['username'], 'password': params['password'],
              'database': params.get('database') or '', 'login_timeout': params['timeout'], 'timeout': params['timeout'],
              'appname': 'printfleet.mve database_check', 'autocommit': True}
    if params.get('ca_path'):
        kwargs['cafile'] = params['ca_path']
        kwargs['validate_host'] = bool(params.get('validate_certs', True))
    try:
        conn = pytds.connect(**kwargs)
    except pytds.tds_base.Error as exc:
        number = getattr(exc, 'number', 0) or None
        text = scrub(getattr(exc, 'text', None) or exc, params['password'])
        login.update(error_code=number, error=text, error_kind=tds_wire.classify_login_error(number, text))
    except (socket.error, OSError) as exc:
        login.update(error=scrub(exc, params['password']), error_kind='connection')
    except Exception as exc:  # pylint: disable=broad-except  # the driver raises plain Exception/ValueError for TLS setup
        login.update(error=scrub('%s: %s' % (type(exc).__name__, exc), params['password']),
                     error_kind=tds_wire.classify_login_error(None, str(exc)))
    else:
        conn.close()
        login['ok'] = True
        return login
    if login['error_kind'] in ('error', 'tls_failed') and prelogin and prelogin.get('encryption') in ('on', 'required') \
            and not params.get('ca_path'):
        login['error_kind'] = 'tls_required'
    return login


def firebird_login(params):
    """Attach to ``database`` with firebirdsql (its own socket, SRP authentication). Returns the ``login`` dict."""
    login = {'attempted': True, 'ok': False, 'error_code': None, 'error_kind': None, 'error': None}
    try:
        conn = firebirdsql.connect(host=params['host'], port=params['port'], database=params['database'],
                                   user=params['username'], password=params['password'], timeout=params['timeout'])
    except firebirdsql.Error as exc:
        codes = sorted(getattr(exc, 'gds_codes', None) or ())
        text = scrub(exc, params['password'])
        login.update(error_code=codes[0] if codes else None, error=text,
                     error_kind=firebird_wire.classify_attach_error(codes, text))
    except (socket.error, OSError) as exc:
        login.update(error=scrub(exc, params['password']) or type(exc).__name__, error_kind='connection')
    except Exception as exc:  # pylint: disable=broad-except  # driver assertions on unexpected replies
        login.update(error=scrub('%s: %s' % (type(exc).__name__, exc), params['password']), error_kind='error')
    else:
        conn.close()
        login['ok'] = True
    return login


def login_reason(params, out, login):
    engine = params['engine']
    where = '%s:%s' % (params['host'], params['port'])
    user = params['username']
    database = params.get('database')
    if login['ok']:
        target = ' and opened database %s' % database if database else ''
        return '%s Login as %s succeeded%s.' % (out['reason'], user, target)
    kind = login['error_kind']
    text = '; '.join(line.strip() for line in (login['error'] or 'no error text').splitlines() if line.strip())
    code = ' (error %s)' % login['error_code'] if login['error_code'] else ''
    if engine == 'sqlserver':
        if kind == 'login_failed':
            return 'SQL Server on %s answered, but the login as %s failed%s: %s' % (where, user, code, text)
        if kind == 'database_unavailable':
            return 'SQL Server on %s accepted the login as %s, but database %s is missing or unavailable to it%s: %s' % (
                where, user, database or '(the default one)', code, text)
        if kind == 'tls_required':
            return ('SQL Server on %s requires encryption (PRELOGIN: %s) and the login could not set up TLS: %s. Give ca_path '
                    '(and install pyOpenSSL) to log in over TLS.' % (where, (out.get('prelogin') or {}).get('encryption'), text))
        return 'SQL Server on %s answered, but the login as %s failed%s: %s' % (where, user, code, text)
    if kind == 'login_failed':
        return 'Firebird on %s rejected the user name or password of %s%s: %s' % (where, user, code, text)
    if kind == 'database_missing':
        return 'Firebird on %s cannot open database %s%s: %s' % (where, database, code, text)
    return 'Firebird on %s accepted the connection, but the attach to %s as %s failed%s: %s' % (where, database, user, code, text)
