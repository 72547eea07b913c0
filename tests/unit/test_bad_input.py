# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input, one table for every module: each row fails before any I/O, naming the field the user wrote.

Each row runs through the module's real entry point (``main()`` with ``patch_module_args``) and, where the
module has an action plugin, through the plugin's ``run()`` too: on a Linux connection (the plugin hands the
task to the module, run here in-process) and, for the plugins with a Windows path, on a PowerShell
connection (the plugin validates on the controller). A guard fixture makes every way out of the process
refuse and record the attempt (sockets, socket pairs and so event loops, name lookups, subprocesses, the
Windows connection), so "no I/O happened" is proven, not assumed. Every row asserts: the task failed,
fail_json was called (module runs), ``changed`` is false, the message names the field, the words of the
message (the accepted values where there is a choice) are there, and no I/O was attempted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import contextlib
import importlib
import io
import json
import os
import socket
import subprocess
import types

import pytest
from ansible.module_utils import basic as ansible_basic
from ansible.plugins.action import ActionBase
from support.module_args import patch_module_args

from ansible_collections.printfleet.mve.plugins.plugin_utils import windows_transport

COLLECTION = 'ansible_collections.printfleet.mve.plugins'
# module -> the connections its action plugin is run on besides the module itself ('linux': the plugin hands
# the task to the module; 'windows': the plugin's own path on a PowerShell connection).
ACTION_PATHS = {
    'database_check': ('linux', 'windows'),
    'smtp_check': ('linux', 'windows'),
    'ldap_check': ('linux', 'windows'),
    'kerberos_check': ('linux', 'windows'),
    'port_check': ('linux', 'windows'),
    'mve_firewall': ('linux', 'windows'),
    'printer_facts': ('linux',),
    'printer_snmp': (),
    'printer_port_access': (),
}


# Imported before any guard is up (importing Ansible's plugin machinery itself runs ldconfig).
MODULES = dict((name, importlib.import_module('%s.modules.%s' % (COLLECTION, name))) for name in ACTION_PATHS)
ACTIONS = dict((name, importlib.import_module('%s.action.%s' % (COLLECTION, name)))
               for name, paths in ACTION_PATHS.items() if paths)


class IOAttempted(BaseException):
    """Raised by the guard; a BaseException so that no ``except Exception`` in the code under test hides it."""


@pytest.fixture
def no_io(monkeypatch):
    """Every way out of the process refuses and is recorded: the list of attempts is returned."""
    attempts = []

    def refuse(name):
        def guard(*args, **kwargs):
            attempts.append(name)
            raise IOAttempted(name)
        return guard

    for name in ('socket', 'socketpair', 'create_connection', 'getaddrinfo', 'gethostbyname', 'gethostbyname_ex',
                 'gethostbyaddr', 'getfqdn', 'fromfd'):
        monkeypatch.setattr(socket, name, refuse('socket.' + name))
    for name in ('open_connection', 'create_subprocess_exec', 'create_subprocess_shell', 'new_event_loop', 'run'):
        monkeypatch.setattr(asyncio, name, refuse('asyncio.' + name))
    for name in ('Popen', 'run', 'call', 'check_call', 'check_output'):
        monkeypatch.setattr(subprocess, name, refuse('subprocess.' + name))
    for name in ('system', 'popen', 'execv', 'execve', 'fork'):
        monkeypatch.setattr(os, name, refuse('os.' + name))
    monkeypatch.setattr(windows_transport.WindowsTransport, 'run', refuse('windows step'))
    return attempts


class GuardedConnection(object):
    """A connection that must not be used: any command or file transfer is an attempt at I/O."""

    def __init__(self, family, attempts):
        self._attempts = attempts
        self.transport = 'winrm' if family == 'powershell' else 'local'
        self._shell = types.SimpleNamespace(SHELL_FAMILY=family, _encode_script=self._refuse('encode script'))
        self.exec_command = self._refuse('exec_command')
        self.put_file = self._refuse('put_file')
        self.fetch_file = self._refuse('fetch_file')

    def _refuse(self, name):
        def guard(*args, **kwargs):
            self._attempts.append('connection.' + name)
            raise IOAttempted(name)
        return guard


def run_module(name, args, fail_calls):
    """Run plugins/modules/<name>.py's main() in-process with ``args``: (exit code, result)."""
    module = MODULES[name]
    out = io.StringIO()
    with patch_module_args(dict(args)):
        with contextlib.redirect_stdout(out):
            with pytest.raises(SystemExit) as info:
                module.main()
    return info.value.code, json.loads(out.getvalue())


def run_action(name, args, family, attempts, fail_calls, monkeypatch):
    """Run the action plugin's run() on a Linux (``sh``) or Windows (``powershell``) connection."""
    plugin = ACTIONS[name]
    monkeypatch.setattr(ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})
    action = plugin.ActionModule.__new__(plugin.ActionModule)
    action._connection = GuardedConnection(family, attempts)
    action._task = types.SimpleNamespace(args=dict(args), check_mode=False, diff=False, async_val=0)
    action._play_context = types.SimpleNamespace(remote_addr='mve01.example.test', diff=False)
    handed = []

    def execute_module(module_name=None, module_args=None, task_vars=None, **kwargs):
        assert module_name == 'printfleet.mve.' + name
        handed.append(module_args)
        code, result = run_module(name, module_args, fail_calls)
        assert code == 1
        return result

    action._execute_module = execute_module
    result = action.run(task_vars={'inventory_hostname': 'mve01.example.test', 'ansible_play_hosts': []})
    if family == 'sh':
        assert handed, 'the action plugin did not hand the task to the module'
    return result


@pytest.fixture
def fail_calls(monkeypatch):
    """The keyword arguments of every AnsibleModule.fail_json call."""
    calls = []
    original = ansible_basic.AnsibleModule.fail_json

    def spy(self, msg=None, **kwargs):
        calls.append(dict(kwargs, msg=msg))
        return original(self, msg=msg, **kwargs)

    monkeypatch.setattr(ansible_basic.AnsibleModule, 'fail_json', spy)
    return calls


DB = {'engine': 'sqlserver', 'host': 'db.example.test'}
SMTP = {'host': 'mail.example.test'}
LDAP = {'host': 'ldap.example.test'}
KDC = {'host': 'kdc.example.test', 'realm': 'EXAMPLE.TEST'}
TCP = {'host': '192.0.2.10', 'port': 9100}
FACTS = {'printers': ['p1.example.test']}
SNMP = {'host': 'p1.example.test'}
PA = {'host': 'p1.example.test', 'ports': {'tcp/21': 'enabled'}}
SCOPES = {'printer': ['10.20.0.0/16'], 'browser': ['10.1.0.0/24'], 'database': ['10.5.0.12'], 'smtp': ['10.5.0.25']}
FW = {'features': {'database': 'sqlserver', 'smtp': 'starttls'}, 'scopes': SCOPES}
V3 = {'version': '3', 'username': 'mve'}
# (module, args, field the message must name, other words of the message[, {'skip': paths the row does not
# apply to, 'xfail': (paths, reason)}]); paths: 'module', and the action plugin's 'linux' / 'windows'.
CASES = [
    # ---- database_check
    ('database_check', {'host': 'db.example.test'}, 'engine', ['missing required']),
    ('database_check', dict(DB, engine='oracle'), 'engine', ['sqlserver', 'firebird', 'oracle']),
    ('database_check', dict(DB, port=70000), 'port', ['1 to 65535', '70000']),
    ('database_check', dict(DB, port='1433x'), 'port', ['int']),
    ('database_check', dict(DB, host=' '), 'host', ['host name or address']),
    ('database_check', {'engine': 'firebird'}, 'host', ['missing required']),
    ('database_check', dict(DB, timeout=0), 'timeout', ['above 0']),
    ('database_check', dict(DB, timeout='soon'), 'timeout', ['float']),
    ('database_check', dict(DB, username='mve'), 'password', ['together']),
    ('database_check', dict(DB, password='secret'), 'username', ['together']),
    ('database_check', dict(DB, engine='firebird', instance='SQLEXPRESS'), 'instance', ['sqlserver']),
    ('database_check', dict(DB, instance='MY INSTANCE'), 'instance', ['instance name']),
    ('database_check', dict(DB, engine='firebird', username='SYSDBA', password='masterkey'), 'database',
     ['database path or alias']),
    ('database_check', dict(DB, validate_certs='perhaps'), 'validate_certs', ['bool']),
    ('database_check', dict(DB, bogus=1), 'bogus', ['Supported parameters include']),
    # ---- smtp_check
    ('smtp_check', dict(SMTP, encryption='tls'), 'encryption', ['none', 'ssl', 'starttls', 'tls']),
    ('smtp_check', dict(SMTP, port=0), 'port', ['1 to 65535']),
    ('smtp_check', dict(SMTP, port='25/tcp'), 'port', ['int']),
    ('smtp_check', dict(SMTP, host=''), 'host', ['host name or address']),
    ('smtp_check', dict(SMTP, timeout=-1), 'timeout', ['above 0']),
    ('smtp_check', dict(SMTP, username='mve'), 'password', ['together']),
    ('smtp_check', dict(SMTP, username='', password='secret'), 'username', ['empty']),
    ('smtp_check', dict(SMTP, send_to=['alerts@example.test']), 'mail_from', ['send_to']),
    ('smtp_check', dict(SMTP, mail_from='mve@example.test', send_to=['not an address']), 'send_to',
     ['e-mail address']),
    ('smtp_check', dict(SMTP, mail_from='<mve@example.test>', send_to=['a@example.test']), 'mail_from',
     ['e-mail address']),
    ('smtp_check', dict(SMTP, helo_name='mve 01'), 'helo_name', ['domain name']),
    ('smtp_check', dict(SMTP, helo_name='mve.example.test', subject='a\r\nBcc: x@example.test'), 'subject',
     ['one line']),
    ('smtp_check', dict(SMTP, ca_path='/nonexistent/ca.pem'), 'ca_path', ['/nonexistent/ca.pem']),
    ('smtp_check', dict(SMTP, fail_on_error='sometimes'), 'fail_on_error', ['bool']),
    # ---- ldap_check
    ('ldap_check', dict(LDAP, encryption='tls'), 'encryption', ['none', 'starttls', 'ldaps', 'tls']),
    ('ldap_check', dict(LDAP, search_scope='tree'), 'search_scope', ['base', 'one', 'sub', 'tree']),
    ('ldap_check', dict(LDAP, bind_dn='cn=mve,dc=example,dc=test'), 'bind_password', []),
    ('ldap_check', dict(LDAP, bind_password='secret'), 'bind_dn', []),
    ('ldap_check', dict(LDAP, bind_dn='just words', bind_password='secret'), 'bind_dn', ['DN', 'UPN']),
    ('ldap_check', dict(LDAP, search_filter='(objectClass=*'), 'search_filter', []),
    ('ldap_check', dict(LDAP, port=65536), 'port', ['1 to 65535']),
    ('ldap_check', dict(LDAP, port=[389]), 'port', ['int']),
    ('ldap_check', dict(LDAP, host=''), 'host', ['host name or address']),
    ('ldap_check', {}, 'host', ['missing required']),
    ('ldap_check', dict(LDAP, timeout=0), 'timeout', ['above 0']),
    # ---- kerberos_check
    ('kerberos_check', {'host': 'kdc.example.test'}, 'realm', ['missing required']),
    ('kerberos_check', dict(KDC, realm='bad realm'), 'realm', []),
    ('kerberos_check', dict(KDC, transport='sctp'), 'transport', ['udp', 'tcp', 'both', 'sctp']),
    ('kerberos_check', dict(KDC, max_skew=0), 'max_skew', ['above 0']),
    ('kerberos_check', dict(KDC, max_skew='5m'), 'max_skew', ['float']),
    ('kerberos_check', dict(KDC, principal='mve@OTHER.TEST'), 'principal', []),
    ('kerberos_check', dict(KDC, port=0), 'port', ['1 to 65535']),
    ('kerberos_check', dict(KDC, host=' '), 'host', ['host name or address']),
    ('kerberos_check', dict(KDC, timeout=0), 'timeout', ['above 0']),
    ('kerberos_check', dict(KDC, require_principal='maybe'), 'require_principal', ['bool']),
    # ---- port_check
    ('port_check', {'targets': [dict(TCP, transport='sctp')]}, 'transport', ['tcp, udp', 'sctp']),
    ('port_check', {'targets': [dict(TCP, port=0)]}, 'targets[0].port', ['from 1 to 65535']),
    ('port_check', {'targets': [TCP, dict(TCP, port=70000)]}, 'targets[1].port', ['got 70000', 'from 1 to 65535']),
    ('port_check', {'targets': [dict(TCP, port='http')]}, 'port', ['int']),
    ('port_check', {'targets': [{'host': '192.0.2.10'}]}, 'port', ['missing required', 'targets']),
    ('port_check', {'targets': [dict(TCP, host='')]}, 'targets[0].host', ['host name or IP address']),
    ('port_check', {'targets': [dict(TCP, probe='http')]}, 'probe', ['none, snmp, mdns, tls', 'http']),
    ('port_check', {'targets': [dict(TCP, port=161, probe='snmp')]}, 'targets[0].probe', ['needs transport udp']),
    ('port_check', {'targets': [dict(TCP, port=161, transport='udp', probe='snmp', version='3')]},
     'targets[0].username', ['required when version is 3']),
    ('port_check', {'targets': [TCP], 'version': '4'}, 'version', ['1, 2c, 3']),
    ('port_check', {'targets': [TCP], 'timeout': 0}, 'timeout', ['greater than 0']),
    ('port_check', {'targets': [TCP], 'concurrency': 0}, 'concurrency', ['from 1']),
    ('port_check', {'targets': 'printer01:9100'}, 'targets', ['dict']),
    ('port_check', {'peers': {'printers': ['192.0.2.10']}}, 'peers.printers', ['accepted roles', 'printer']),
    ('port_check', {'peers': {'printer': ['192.0.2.10']}, 'features': {'database': 'oracle'}},
     'features.database', ['sqlserver, firebird']),
    ('port_check', {'features': {'smtp': 'sometimes'}}, 'features.smtp', ['off, none, ssl, starttls']),
    ('port_check', {'peers': {'printer': ['192.0.2.10']}, 'features': {'fax': True}}, 'features', ['fax', 'kerberos']),
    ('port_check', {'peers': {'printer': ['192.0.2.10']}, 'vantage': 'toaster'}, 'vantage', ['mve_server']),
    ('port_check', {'targets': [dict(TCP, port=443, probe='tls')], 'ca_path': '/nonexistent/ca.pem'}, 'ca_path',
     ['/nonexistent/ca.pem']),
    # ---- printer_facts
    ('printer_facts', dict(FACTS, version='4'), 'version', ['1, 2c, 3']),
    ('printer_facts', dict(FACTS, version='3'), 'username', ['version is 3']),
    ('printer_facts', dict(FACTS, priv_key='privpass123', **V3), 'priv_key', ['auth_key']),
    ('printer_facts', dict(FACTS, auth_key='short', **V3), 'auth_key', ['at least 8']),
    ('printer_facts', dict(FACTS, auth_protocol='sha1', **V3), 'auth_protocol', ['md5', 'sha256', 'sha1']),
    ('printer_facts', dict(FACTS, port=0), 'port', ['1 to 65535']),
    ('printer_facts', dict(FACTS, timeout=0), 'timeout', ['greater than 0']),
    ('printer_facts', dict(FACTS, retries=11), 'retries', ['0 to 10']),
    ('printer_facts', dict(FACTS, concurrency=0), 'concurrency', ['1 to 65536']),
    ('printer_facts', {'printers': ['']}, 'printers[0]', ['host name or IP address']),
    ('printer_facts', {'printers': ['p1.example.test', 'p2 example']}, 'printers[1]', ['host name or IP address']),
    ('printer_facts', {'printers': {'p1': 1}}, 'printers', ['list']),
    ('printer_facts', dict(FACTS, host='p1.example.test'), 'host', ['Supported parameters include']),
    # (through the action plugin, the play's hosts stand in for a missing list)
    ('printer_facts', {}, 'printers', ['no printers to read'], {'skip': ('linux',)}),
    # ---- printer_snmp
    ('printer_snmp', {'get': ['sysName']}, 'host', ['one of the following is required', 'printers']),
    ('printer_snmp', dict(SNMP, printers=['p2.example.test']), 'printers', ['mutually exclusive', 'host']),
    ('printer_snmp', dict(SNMP, get=['1.3.6.x']), 'get[0]', []),
    ('printer_snmp', dict(SNMP, walk=['noSuchSetting']), 'walk[0]', []),
    ('printer_snmp', {'printers': ['p1.example.test'], 'get': ['noSuchSetting']}, 'get[0]', []),
    ('printer_snmp', dict(SNMP, set=[{'name': 'sysLocation'}]), 'value', ['missing required', 'set']),
    ('printer_snmp', dict(SNMP, set=[{'oid': '1.3.6.1.2.1.1.6.0', 'name': 'sysLocation', 'value': 'x'}]), 'oid',
     ['mutually exclusive', 'name']),
    ('printer_snmp', dict(SNMP, set=[{'value': 'x'}]), 'oid', ['name']),
    ('printer_snmp', dict(SNMP, set=[{'oid': '1.3.6.1.4.1.99999.1.0', 'value': 'x'}]), 'set[0].type', []),
    ('printer_snmp', dict(SNMP, set=[{'name': 'sysDescr', 'value': 'x'}]), 'set[0]', ['read-only']),
    ('printer_snmp', dict(SNMP, version='3'), 'username', ['version is 3']),
    ('printer_snmp', dict(SNMP, priv_protocol='rc4', **V3), 'priv_protocol', ['des', 'aes', 'rc4']),
    ('printer_snmp', dict(SNMP, port=70000), 'port', ['1 to 65535']),
    ('printer_snmp', {'printers': ['p1.example.test'], 'concurrency': 0}, 'concurrency', ['1 to 4096']),
    ('printer_snmp', {'printers': ['p1.example.test', '']}, 'printers[1]', ['empty']),
    ('printer_snmp', dict(SNMP, host=''), 'host', []),
    # ---- printer_port_access
    ('printer_port_access', {'host': 'p1.example.test'}, 'ports', ['missing required']),
    ('printer_port_access', dict(PA, ports={'tcp/70000': 'disabled'}), 'ports.tcp/70000', ['1 to 65535']),
    ('printer_port_access', dict(PA, ports={'sctp/21': 'disabled'}), 'ports.sctp/21', ['tcp/<port>']),
    ('printer_port_access', dict(PA, ports={'tcp/21': 'off'}), 'ports.tcp/21', ['enabled or disabled']),
    ('printer_port_access', dict(PA, ports='tcp/21'), 'ports', ['dict']),
    ('printer_port_access', dict(PA, features={'database': 'oracle'}), 'features.database', ['sqlserver']),
    ('printer_port_access', dict(PA, profile={'port': 70000}), 'profile.port', ['1 to 65535']),
    ('printer_port_access', dict(PA, profile={'colour': 'blue'}), 'profile', ['unknown key', 'ports_path']),
    ('printer_port_access', dict(PA, fingerprint='ab:cd'), 'fingerprint', ['64 hex digits']),
    ('printer_port_access', dict(PA, ca_path='/nonexistent/ca.pem'), 'ca_path', ['cannot load CA certificates']),
    ('printer_port_access', dict(PA, timeout=0), 'timeout', ['greater than 0']),
    ('printer_port_access', dict(PA, host=''), 'host', ['host name or address']),
    ('printer_port_access', dict(PA, host='p1.example.test/admin'), 'host', ['host name or address']),
    ('printer_port_access', dict(PA, force='yes please'), 'force', ['bool']),
    ('printer_port_access', {'ports': {'tcp/21': 'enabled'}}, 'host', ['one of the following is required', 'printers']),
    ('printer_port_access', dict(PA, printers=[{'host': 'p2.example.test'}]), 'printers', ['mutually exclusive']),
    ('printer_port_access', {'printers': [{'host': 'p1.example.test'}, {'host': 'p1.example.test'}],
                             'ports': {'tcp/21': 'enabled'}}, 'printers[1].host', ['printers[0] is the same']),
    ('printer_port_access', {'printers': [{'host': 'p1.example.test', 'fingerprint': 'ab'}],
                             'ports': {'tcp/21': 'enabled'}}, 'printers[0].fingerprint', ['64 hex digits']),
    ('printer_port_access', {'printers': [{'username': 'admin'}], 'ports': {'tcp/21': 'enabled'}}, 'host',
     ['missing required', 'printers']),
    ('printer_port_access', {'printers': [{'host': 'p1.example.test'}], 'concurrency': 1000,
                             'ports': {'tcp/21': 'enabled'}}, 'concurrency', ['1 to 256']),
    # ---- mve_firewall
    ('mve_firewall', dict(FW, state='overridden'), 'state', ['merged', 'replaced', 'absent']),
    ('mve_firewall', dict(FW, features={'database': 'oracle'}), 'features.database', ['oracle', 'sqlserver']),
    ('mve_firewall', dict(FW, features={'ports': {'db.sqlserver': 70000}}), 'features.ports.db.sqlserver',
     ['70000']),
    ('mve_firewall', dict(FW, scopes=dict(SCOPES, printer=['10.0.0.0/33'])), 'scopes.printer[0]', ['10.0.0.0/33']),
    ('mve_firewall', dict(FW, scopes=dict(SCOPES, printer=['10.0.0.300'])), 'scopes.printer[0]', ['10.0.0.300']),
    ('mve_firewall', dict(FW, scopes=dict(SCOPES, printer=['10.0.0.9-10.0.0.1'])), 'scopes.printer[0]',
     ['empty range']),
    ('mve_firewall', dict(FW, scopes=dict(SCOPES, browser='any')), 'scopes.browser', ['strict']),
    ('mve_firewall', dict(FW, scopes={'printer': ['10.0.0.0/24']}), 'scopes.browser', ['required']),
    ('mve_firewall', dict(FW, scopes=dict(SCOPES, fax=['10.0.0.1'])), 'scopes.fax', ['unknown peer role']),
    ('mve_firewall', dict(FW, rule_names={'nope': 'A'}), 'rule_names.nope', ['unknown flow id']),
    ('mve_firewall', dict(FW, rule_group='a b'), 'rule_group', ['a b']),
    ('mve_firewall', dict(FW, management_ports=[70000]), 'management_ports[0]', ['70000']),
    ('mve_firewall', dict(FW, management_scopes=['10.0.0.300']), 'management_scopes[0]', ['10.0.0.300']),
    ('mve_firewall', dict(FW, management_scopes=['any', '10.0.0.1']), 'management_scopes', ['any cannot be combined']),
    ('mve_firewall', dict(FW, coexist='ignore'), 'coexist', ['fail', 'warn', 'ignore']),
    ('mve_firewall', dict(FW, management_ports=['ssh']), 'management_ports', ['int']),
    ('mve_firewall', dict(FW, profiles=['office']), 'profiles', ['domain', 'private', 'public']),
    ('mve_firewall', dict(FW, bogus=1), 'bogus', ['Supported parameters include']),
]


def _rows():
    rows = []
    for index, case in enumerate(CASES):
        module, args, field, words = case[:4]
        options = case[4] if len(case) > 4 else {}
        xfail_paths, reason = options.get('xfail', ((), None))
        for path in ('module',) + ACTION_PATHS[module]:
            if path in options.get('skip', ()):
                continue
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if path in xfail_paths else []
            rows.append(pytest.param(module, path, args, field, words, marks=marks,
                                     id='%s-%d-%s-%s' % (module, index, path, field)))
    return rows


@pytest.mark.parametrize('module, path, args, field, words', _rows())
def test_bad_input_fails_before_any_io_naming_the_field(module, path, args, field, words, no_io, fail_calls,
                                                        monkeypatch):
    if path == 'module':
        code, result = run_module(module, args, fail_calls)
        assert code == 1, result
        assert fail_calls, 'the module did not call fail_json'
    else:
        result = run_action(module, args, 'powershell' if path == 'windows' else 'sh', no_io, fail_calls,
                            monkeypatch)
    assert no_io == [], 'I/O before failing: %s (%s)' % (no_io, result.get('msg'))
    assert result.get('failed') is True, result
    assert result.get('changed', False) is False, result
    msg = result['msg']
    assert field in msg, 'the message does not name %r: %s' % (field, msg)
    if result.get('field'):
        assert field.startswith(result['field']) or result['field'].startswith(field) or \
            field in result['field'], (field, result['field'])
    for word in words:
        assert word in msg, 'missing %r in: %s' % (word, msg)
    if path == 'windows':
        assert result.get('round_trips', 0) == 0


def test_every_module_has_at_least_eight_rows():
    counts = dict((m, 0) for m in ACTION_PATHS)
    for case in CASES:
        counts[case[0]] += 1
    modules_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                               'plugins', 'modules')
    shipped = sorted(f[:-3] for f in os.listdir(modules_dir) if f.endswith('.py') and not f.startswith('_'))
    assert sorted(counts) == shipped
    assert min(counts.values()) >= 8, counts
