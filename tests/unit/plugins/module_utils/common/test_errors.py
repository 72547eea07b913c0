# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception base: message, field, kind, details, errors; the text; fail_json kwargs; every family."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import pickle

import pytest

from ansible_collections.printfleet.mve.plugins.inventory import printers as inventory
from ansible_collections.printfleet.mve.plugins.module_utils.checks import dependency
from ansible_collections.printfleet.mve.plugins.module_utils.common import addresses, tls_facts
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import (
    BackendError, InputError, PrintfleetError, ProtocolError, TargetError, failure)
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import nftables, planner, windows
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
from ansible_collections.printfleet.mve.plugins.module_utils.printers import (
    ews_pages, ews_profiles, settings, snmp_client, snmp_ops)
from ansible_collections.printfleet.mve.plugins.module_utils.probes import port_probe
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import (
    conversation, firebird, kerberos, ldap, mdns, smtp, snmp, tds)


# ---- the base ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('error, text', [
    (PrintfleetError('no reply'), 'no reply'),
    (PrintfleetError('no reply', field='host'), 'host: no reply'),
    (InputError('targets[3].port', 'got 0, expected a port number from 1 to 65535'),
     'targets[3].port: got 0, expected a port number from 1 to 65535'),
    (BackendError('nft failed (exit 1): oops'), 'nft failed (exit 1): oops'),
    (BackendError('too long', field='rule_names'), 'rule_names: too long'),
])
def test_text_is_field_colon_message(error, text):
    assert str(error) == text
    assert error.errors == [error]


def test_attributes_and_defaults():
    error = PrintfleetError('bad', field='f', kind='timeout', oid='1.3.6')
    assert (error.message, error.field, error.kind, error.details) == ('bad', 'f', 'timeout', {'oid': '1.3.6'})
    assert PrintfleetError('x').kind == 'error' and PrintfleetError('x').field is None
    assert (InputError('f', 'm').kind, ProtocolError('m').kind, BackendError('m').kind) == (
        'input', 'protocol', 'backend')
    assert InputError('f', 'm', kind='odd').kind == 'odd'


@pytest.mark.parametrize('cls, bases', [
    (InputError, (ValueError,)), (ProtocolError, (ValueError,)), (BackendError, (RuntimeError,)),
    (TargetError, (InputError, ValueError)),
])
def test_second_bases_for_callers_that_catch_them(cls, bases):
    for base in (PrintfleetError,) + bases:
        assert issubclass(cls, base)


def test_message_change_shows_in_the_text():
    error = conversation.ConnectFailed('refused', 'connection refused')
    error.message = 'on replay of step 1 (Connect): %s' % error.message
    assert str(error) == 'on replay of step 1 (Connect): connection refused'


def test_gather_lists_every_problem_with_the_first_field():
    problems = [TargetError('timeout', 'got 0'), port_matrix.MatrixError('targets[1].port', 'got 0'),
                InputError('retries', 'got 11')]
    error = TargetError.gather(problems)
    assert isinstance(error, TargetError)
    assert (error.field, error.message) == ('timeout', 'got 0')
    assert str(error) == 'timeout: got 0; targets[1].port: got 0; retries: got 11'
    assert error.errors == problems
    # a gathered error in a list counts with its problems, not as one
    again = InputError.gather([error, InputError('vantage', 'bad')])
    assert [e.field for e in again.errors] == ['timeout', 'targets[1].port', 'retries', 'vantage']


def test_fail_kwargs():
    assert InputError('port', 'bad').fail_kwargs() == {'msg': 'port: bad', 'field': 'port'}
    assert PrintfleetError('gone').fail_kwargs() == {'msg': 'gone'}
    error = ews_pages.EwsError('form_changed', 'no checkbox', missing=['tcp/21'])
    assert error.fail_kwargs('error_kind') == {'msg': 'no checkbox', 'error_kind': 'form_changed',
                                               'missing': ['tcp/21']}
    gathered = InputError.gather([InputError('a', 'x'), InputError('b', 'y')])
    assert gathered.fail_kwargs() == {'msg': 'a: x; b: y', 'field': 'a'}


def test_failure_gives_every_module_the_same_keys():
    assert failure(InputError('port', 'got 0')) == {'msg': 'port: got 0', 'field': 'port', 'error_kind': 'input'}
    assert failure(ews_pages.EwsError('guard_rail', 'refusing', blocked={'tcp/443': ['printer.https']})) == {
        'msg': 'refusing', 'error_kind': 'guard_rail', 'blocked': {'tcp/443': ['printer.https']}}
    # A library's ValueError: the field and kind the caller knows.
    assert failure(ValueError('bad PEM'), field='ca_path') == {
        'msg': 'bad PEM', 'field': 'ca_path', 'error_kind': 'input'}
    assert failure(PrintfleetError('no answer', kind='timeout'), field='host') == {
        'msg': 'no answer', 'field': 'host', 'error_kind': 'timeout'}


@pytest.mark.parametrize('error', [
    InputError('f', 'm'), port_matrix.MatrixError('flow', 'unknown'), snmp_client.SnmpError('timeout', 'late', oid='1'),
    ews_pages.EwsError('invalid_option', 'bad', field='ports', changes=[]),
    conversation.PeerClosed('closed', b'ab'), InputError.gather([InputError('a', 'x'), InputError('b', 'y')]),
    windows.WindowsFirewallError('failed', field='rules', result={'ok': False}),
])
def test_copy_and_pickle_keep_everything(error):
    for clone in (copy.deepcopy(error), pickle.loads(pickle.dumps(error))):
        assert type(clone) is type(error)
        assert str(clone) == str(error)
        assert (clone.field, clone.message, clone.kind, clone.details) == (
            error.field, error.message, error.kind, error.details)


# ---- the families ------------------------------------------------------------------------------------------

INPUT = [dependency.CheckInputError, port_matrix.MatrixError, settings.SettingError, ews_profiles.ProfileError,
         ldap.LdapInputError, kerberos.KerberosInputError, planner.PlanError, planner.SafetyError, TargetError,
         addresses.AddressError]
PROTOCOL = [snmp.SnmpWireError, tds.TdsWireError, mdns.MdnsWireError, firebird.FirebirdWireError,
            kerberos.KerberosWireError, ldap.LdapError, smtp.SmtpProtocolError, tls_facts.TlsFactsError]


@pytest.mark.parametrize('cls', INPUT, ids=[c.__name__ for c in INPUT])
def test_input_errors_take_field_then_message(cls):
    args = ('f', 'm', 'address', 'x') if cls is addresses.AddressError else ('f', 'm')
    error = cls(*args)
    assert isinstance(error, InputError) and isinstance(error, ValueError)
    assert (error.field, error.message, str(error)) == ('f', 'm', 'f: m')


@pytest.mark.parametrize('cls', PROTOCOL, ids=[c.__name__ for c in PROTOCOL])
def test_protocol_errors_take_the_message(cls):
    error = cls('not an SNMP message')
    assert isinstance(error, ProtocolError) and isinstance(error, ValueError)
    assert (error.field, error.kind, str(error)) == (None, 'protocol', 'not an SNMP message')


def test_one_target_error_for_the_inventory_and_the_probes():
    assert port_probe.TargetError is inventory.TargetError is TargetError


@pytest.mark.parametrize('error, kind', [
    (conversation.ConversationError('x'), 'io'), (conversation.ConnectFailed('refused', 'x'), 'refused'),
    (conversation.ReceiveTimeout('x'), 'timeout'), (conversation.PeerClosed('x'), 'closed'),
    (conversation.FramingError('x'), 'protocol'), (conversation.TlsFailed('x'), 'tls'),
    (snmp_client.SnmpError('authentication', 'x'), 'authentication'),
    (ews_pages.EwsError('login_refused', 'x'), 'login_refused'),
    (nftables.NftError('x'), 'backend'), (windows.WindowsFirewallError('x'), 'backend'),
    (planner.SafetyError('management_ports', 'x'), 'safety'),
    (snmp_ops.Failure('x', field='get[0]'), 'input'),
    (snmp_ops.Failure('x', error_kind='not_taken', oid='1'), 'not_taken'),
])
def test_kinds_keep_each_familys_vocabulary(error, kind):
    assert isinstance(error, PrintfleetError)
    assert error.kind == kind


def test_snmp_error_fail_kwargs_are_the_modules_result_keys():
    error = snmp_client.SnmpError('wrong_type', 'the agent refused', oid='1.3.6.1.2.1.1.6.0', error_status='wrongType',
                                  error_index=1)
    assert error.fail_kwargs('error_kind') == {'msg': 'the agent refused', 'error_kind': 'wrong_type',
                                               'oid': '1.3.6.1.2.1.1.6.0', 'error_status': 'wrongType'}
    assert (error.oid, error.error_status, error.error_index) == ('1.3.6.1.2.1.1.6.0', 'wrongType', 1)
    assert error.as_dict() == {'kind': 'wrong_type', 'msg': 'the agent refused', 'oid': '1.3.6.1.2.1.1.6.0',
                               'error_status': 'wrongType'}


def test_failure_of_printer_snmp():
    bad_ref = snmp_ops.Failure('unknown setting name', field='get[1]')
    assert bad_ref.fail_kwargs() == {'msg': 'get[1]: unknown setting name', 'field': 'get[1]'}
    not_taken = snmp_ops.Failure('did not take it', error_kind='not_taken', oid='1', changes=[])
    assert not_taken.fail_kwargs() == {'msg': 'did not take it', 'error_kind': 'not_taken', 'oid': '1', 'changes': []}


def test_ews_error_keeps_extra_as_the_details():
    error = ews_pages.EwsError('not_taken', 'refused', changes=[{'port': 'tcp/21'}])
    assert error.extra is error.details and error.extra == {'changes': [{'port': 'tcp/21'}]}


def test_ca_path_that_cannot_load_names_the_field(tmp_path):
    missing = str(tmp_path / 'nope.pem')
    with pytest.raises(InputError) as info:
        conversation.client_context(True, missing)
    assert info.value.field == 'ca_path' and str(info.value).startswith('ca_path: cannot load CA certificates')
    with pytest.raises(TargetError) as info:
        port_probe.verifying_context(missing)
    assert info.value.field == 'ca_path' and str(info.value).startswith('ca_path: cannot load CA certificates')


def test_check_input_errors_carry_their_field():
    with pytest.raises(dependency.CheckInputError) as info:
        dependency.validate_common({'host': ' ', 'timeout': 5})
    assert (info.value.field, str(info.value)) == ('host', 'host: must be a host name or address, got an empty string')
    with pytest.raises(dependency.CheckInputError) as info:
        dependency.resolve_port(0, 'db.sqlserver')
    assert info.value.field == 'port' and str(info.value).startswith('port: got 0')
    with pytest.raises(kerberos.KerberosInputError) as info:
        kerberos.validate_realm('EXAMPLE COM')
    assert info.value.field == 'realm' and str(info.value).startswith("realm: 'EXAMPLE COM' is not a realm name")
