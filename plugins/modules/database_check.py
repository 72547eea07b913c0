#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: database_check
short_description: Prove that Markvision Enterprise can reach and log in to its SQL Server or Firebird database
version_added: 0.1.0
description:
  - Checks the database of a Markvision Enterprise (MVE) server the way MVE connects to it, and reports
    structured facts and one verdict, RV(ok) with a readable RV(reason). Nothing is changed.
  - For O(engine=sqlserver) it runs the TDS PRELOGIN exchange ([MS-TDS] 2.2.6.5) and reports the server's
    product version, its encryption mode (V(off), V(on), V(required) or V(not_supported)) and, when
    O(instance) is given, whether that named instance is the one listening on O(port). With O(username) and
    O(password) it then logs in with SQL authentication (and opens O(database) when given) and reports the
    server's exact error, telling a failed login (error 18456) from a missing or unavailable database
    (error 4060) and from a server that requires encryption.
  - For O(engine=firebird) it sends the wire protocol's C(op_connect) and reports the server's answer
    (C(op_accept), C(op_accept_data) or C(op_cond_accept)), that is the wire protocol version, the architecture
    and the authentication plugin the server asks for. With O(username) and O(password) it then attaches to
    O(database) and reports the server's error text (for example C(Your user name and password are not
    defined) or C(I/O error during "open" operation for file)).
  - The default port comes from the collection's port matrix (flows C(db.sqlserver) and C(db.firebird)).
author:
  - printfleet.mve contributors (@printfleet)
extends_documentation_fragment:
  - printfleet.mve.dependency_check
  - printfleet.mve.results
requirements:
  - python-tds >= 1.17 (only for a SQL Server login with O(username) and O(password))
  - pyOpenSSL (only for a SQL Server login over TLS, that is with O(ca_path))
  - firebirdsql >= 1.2 (only for a Firebird attach with O(username) and O(password); also gives the text of
    Firebird error codes)
options:
  engine:
    description:
      - The database engine MVE is configured with.
    type: str
    required: true
    choices: [sqlserver, firebird]
  username:
    description:
      - Database login to try (SQL Server SQL authentication, or a Firebird user).
      - Needs O(password). Without both, only the protocol exchange runs.
      - For O(engine=firebird) the name is also sent in C(op_connect); without it the check names the login
        C(SYSDBA) there (no password is ever sent in that phase).
    type: str
  password:
    description:
      - Password of O(username). Never returned, never logged.
    type: str
  database:
    description:
      - SQL Server database name to open after the login (optional; the login's default database otherwise).
      - Firebird database path or alias on the server, for example C(C:/ProgramData/Lexmark/MVE/FRAMEWORK.FDB)
        or an alias from the server's C(databases.conf). Required for a Firebird login.
    type: str
  instance:
    description:
      - SQL Server named instance expected on O(port), sent in the PRELOGIN C(INSTOPT) option. When the server
        answers that the name does not match, the check fails.
      - Only for O(engine=sqlserver). The SQL Server Browser (UDP 1434) is not asked, so give the instance's port.
    type: str
notes:
  - What runs where. On the controller or a Linux host the module runs there. On a Windows host (the MVE
    server itself, C(ansible_connection) V(winrm) or V(psrp)) nothing is installed; the action plugin runs the
    same conversation on the controller and each batch of socket work on the Windows host through one
    PowerShell step; the result adds RV(vantage) and RV(round_trips).
  - The logins use maintained drivers on the controller or a Linux host (python-tds for SQL Server, firebirdsql
    for Firebird). From a Windows host the SQL Server login runs there through .NET's own SqlClient; a Firebird
    login cannot (no Firebird client on Windows Server), so RV(steps) says V(controller) and RV(ok) is false
    until it ran from there (the P(printfleet.mve.mve_dependencies#role) role does that).
  - For SQL Server, TLS lives inside TDS; the check reports the encryption mode the PRELOGIN reply announces
    and returns no TLS certificate facts (no C(tls) key). O(ca_path) and O(validate_certs) are passed to python-tds for the login.
  - Firebird wire encryption is not TLS; O(validate_certs) and O(ca_path) do not apply to it.
  - Passwords are never copied into the results, nor a hash of them.
'''

EXAMPLES = r'''
- name: Check the SQL Server that MVE uses, with its login
  printfleet.mve.database_check:
    engine: sqlserver
    host: sql01.example.com
    username: mve
    password: "{{ vault_mve_db_password }}"
    database: FRAMEWORK
  register: db

- name: Check a named instance on its own port, protocol only
  printfleet.mve.database_check:
    engine: sqlserver
    host: sql01.example.com
    port: 49170
    instance: MVE

- name: Check the bundled Firebird database, reporting instead of failing
  printfleet.mve.database_check:
    engine: firebird
    host: mve01.example.com
    database: C:/ProgramData/Lexmark/MVE/FRAMEWORK.FDB
    username: SYSDBA
    password: "{{ vault_firebird_password }}"
    fail_on_error: false
  register: fb

- name: Show why
  ansible.builtin.debug:
    msg: "{{ fb.reason }}"
  when: not fb.ok
'''

RETURN = r'''
ok:
  description: The verdict. True when the protocol exchange succeeded and, when credentials were given, the login too.
  returned: always
  type: bool
  sample: true
reason:
  description: One readable sentence explaining RV(ok).
  returned: always
  type: str
  sample: "SQL Server 2022 16.0.4135 answered the TDS PRELOGIN on sql01.example.com:1433; encryption: off."
elapsed_ms:
  description: Milliseconds the whole check took.
  returned: always
  type: float
  sample: 42.7
engine:
  description: The engine checked, V(sqlserver) or V(firebird).
  returned: always
  type: str
  sample: sqlserver
host:
  description: The host checked, as given.
  returned: always
  type: str
  sample: sql01.example.com
port:
  description: The port checked (O(port) or the port matrix default).
  returned: always
  type: int
  sample: 1433
connect_error:
  description: Why the TCP connection failed, V(refused), V(timeout), V(unreachable) or V(dns).
  returned: when the connection could not be made
  type: str
  sample: refused
prelogin:
  description: Facts of the server's TDS PRELOGIN reply; null when there was no valid reply.
  returned: when O(engine=sqlserver)
  type: dict
  contains:
    server_version:
      description: Product version major.minor.build.
      type: str
      sample: 16.0.4135
    sub_build:
      description: Sub-build number of the product version.
      type: int
      sample: 0
    product:
      description: Product name derived from the major version.
      type: str
      sample: SQL Server 2022
    encryption:
      description:
        - The server's encryption answer, V(off) (only the login packet is encrypted), V(on) or V(required)
          (the whole session is encrypted) or V(not_supported).
      type: str
      sample: required
    encryption_code:
      description: The raw encryption byte.
      type: int
      sample: 3
    client_cert:
      description: True when the server set the TDS 7.4 client-certificate flag.
      type: bool
      sample: false
    instance_ok:
      description:
        - False when the server says the named instance sent in O(instance) is not this one, True when it matches
          (or the default instance was asked for), null when the server sent no instance answer.
      type: bool
      sample: true
    mars:
      description: MARS byte of the reply; null when absent.
      type: bool
      sample: false
    fedauth_required:
      description: FEDAUTHREQUIRED byte of the reply; null when absent.
      type: bool
      sample: null
wire:
  description: Facts of the Firebird server's answer to C(op_connect); null when there was no valid answer.
  returned: when O(engine=firebird)
  type: dict
  contains:
    op:
      description: The answer, V(op_accept), V(op_accept_data), V(op_cond_accept), V(op_cont_auth), V(op_reject) or V(op_response).
      type: str
      sample: op_cond_accept
    protocol_version:
      description: Accepted wire protocol version (13 is Firebird 2.5, 15 is 3.0, 16 and 17 are 4.0 and 5.0).
      type: int
      sample: 15
    architecture:
      description: Accepted architecture, normally V(generic).
      type: str
      sample: generic
    accept_type:
      description: Accepted packet type, for example V(lazy_send).
      type: str
      sample: lazy_send
    compression:
      description: Whether the server turned wire compression on.
      type: bool
      sample: false
    auth_plugin:
      description: Authentication plugin the server asks for (V(Srp), V(Srp256), V(Legacy_Auth)); null with op_accept.
      type: str
      sample: Srp
    authenticated:
      description: Whether the server considers the client authenticated already.
      type: bool
      sample: false
    gds_codes:
      description: Firebird error codes of an op_response.
      type: list
      elements: int
      sample: []
    error:
      description: The server's error text of an op_response.
      type: str
      sample: null
login:
  description: The login (SQL Server) or attach (Firebird) with O(username) and O(password).
  returned: always
  type: dict
  contains:
    attempted:
      description: Whether a login was tried (credentials given and the protocol exchange succeeded).
      type: bool
      sample: true
    ok:
      description: Whether the login succeeded; null when not attempted.
      type: bool
      sample: false
    error_code:
      description:
        - The server's error number (SQL Server, for example 18456 login failed or 4060 database unavailable) or
          the first Firebird GDS code (for example 335544472 or 335544344); null when none.
      type: int
      sample: 18456
    error_kind:
      description:
        - V(login_failed), V(database_unavailable) (SQL Server), V(database_missing) (Firebird), V(tls_required),
          V(tls_failed), V(no_permission), V(connection) or V(error); null on success.
      type: str
      sample: login_failed
    error:
      description: The server's (or driver's) error text; null on success.
      type: str
      sample: Login failed for user 'mve'.
steps:
  description:
    - Where each step of the check ran. C(protocol) (the TDS PRELOGIN or Firebird op_connect exchange) is
      V(linux) (the host the module ran on) or V(windows) (a Windows MVE server, through the action plugin).
      C(login) is V(linux), V(windows) (SQL Server, through .NET's SqlClient on the MVE server), null when no login
      was tried, or V(controller) when it still has to run from the controller (Firebird from a Windows host,
      and then C(ok) is false, never true for a login that was not tried).
  returned: always
  type: dict
  sample: {protocol: windows, login: windows}
vantage:
  description: V(windows) when the check ran from a Windows host through the action plugin.
  returned: when the task's host is a Windows host
  type: str
  sample: windows
round_trips:
  description: PowerShell round trips to the Windows host (the conversation's replay, then the login step).
  returned: when the task's host is a Windows host
  type: int
  sample: 3
field:
  description:
    - The option a failure is about, as the user wrote it (for example C(port), C(targets[3].port),
      C(peers.printer[2]), C(username)); see the notes.
  returned: on failure, when the failure is about an option
  type: str
  sample: port
error_kind:
  description:
    - V(input) when the task failed on its options, before the check ran (see the notes). A check that ran
      and failed says why in RV(ok), RV(reason) and its own keys instead.
  returned: on failure, when the task failed on its input
  type: str
  sample: input
'''

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.printfleet.mve.plugins.module_utils.checks import database as database_check
from ansible_collections.printfleet.mve.plugins.module_utils.checks import db_login
from ansible_collections.printfleet.mve.plugins.module_utils.checks import dependency as dependency_check
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import failure


def main():
    module = database_check.ARGUMENT_SPEC.create_module()
    try:
        params = database_check.validate(module.params)
    except dependency_check.CheckInputError as exc:
        module.fail_json(changed=False, **failure(exc))
    if params.get('username') and params.get('password'):
        if params['engine'] == 'sqlserver' and not db_login.HAS_PYTDS:
            module.fail_json(msg=missing_required_lib('python-tds', reason='for a SQL Server login'),
                             exception=db_login.PYTDS_IMPORT_ERROR)
        tls_login = params['engine'] == 'sqlserver' and params.get('ca_path')
        if tls_login and not getattr(db_login.pytds.tls, 'OPENSSL_AVAILABLE', False):
            module.fail_json(msg=missing_required_lib('pyOpenSSL', reason='for a SQL Server login over TLS (ca_path)'))
        if params['engine'] == 'firebird' and not db_login.HAS_FIREBIRDSQL:
            module.fail_json(msg=missing_required_lib('firebirdsql', reason='for a Firebird attach'),
                             exception=db_login.FIREBIRDSQL_IMPORT_ERROR)
    dependency_check.finish(module, database_check.check(params))


if __name__ == '__main__':
    main()
