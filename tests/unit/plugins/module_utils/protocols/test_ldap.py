# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Encoder and decoder vectors for ldap_wire: no sockets.

Request vectors are the well-known byte strings of LDAP traces (anonymous bind, unbind, StartTLS, the
presence filter); reply vectors marked "slapd" were recorded from Debian's OpenLDAP 2.5 slapd by the
integration fixture (tests/integration/ldap_server.py). The conversation is driven with scripted replies
(bytes, or conversation errors) to check the verdict each reply leads to.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation as cv
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import ldap as lw

# ---------------------------------------------------------------------------------------------- vectors
SLAPD_ROOT_DSE = bytes.fromhex(
    '3082014f020101648201480400308201423029040e6e616d696e67436f6e74657874733117041564633d7072696e74666c656574'
    '2c64633d7465737430750412737570706f72746564457874656e73696f6e315f0417312e332e362e312e342e312e343230332e31'
    '2e31312e310417312e332e362e312e342e312e343230332e312e31312e33040b312e332e362e312e312e38040e312e332e362e31'
    '2e312e32312e33040e312e332e362e312e312e32312e31301b0414737570706f727465644c44415056657273696f6e3103040133'
    '3081800417737570706f727465645341534c4d656368616e69736d733165040d534352414d2d5348412d353132040d534352414d'
    '2d5348412d333834040d534352414d2d5348412d323536040d534352414d2d5348412d323234040b534352414d2d5348412d3104'
    '0a4449474553542d4d443504084352414d2d4d443504044e544c4d')
SLAPD_SEARCH_DONE = bytes.fromhex('300c02010165070a010004000400')
SLAPD_BIND_OK = bytes.fromhex('300c02010261070a010004000400')
SLAPD_BIND_49 = bytes.fromhex('300c02010261070a013104000400')
SLAPD_BIND_ANON_48 = bytes.fromhex('302502010261200a013004000419616e6f6e796d6f75732062696e6420646973616c6c6f776564')
SLAPD_NO_SUCH_OBJECT = bytes.fromhex('3021020103651c0a0120041564633d7072696e74666c6565742c64633d746573740400')
SLAPD_STARTTLS_REFUSED = bytes.fromhex(
    '302a02010178250a01020400041e756e737570706f7274656420657874656e646564206f7065726174696f6e')
SLAPD_STARTTLS_OK = bytes.fromhex('300c02010178070a010004000400')
SLAPD_ENTRY_JANE = bytes.fromhex(
    '3031020104642c04287569643d6a616e652c6f753d70656f706c652c64633d7072696e74666c6565742c64633d746573743000')
# Active Directory's refusal of a wrong password (its diagnostic text, encoded by the same rules).
AD_DIAG = '80090308: LdapErr: DSID-0C090447, comment: AcceptSecurityContext error, data 52e, v3839'
# Notice of disconnection (message id 0, unavailable, responseName 1.3.6.1.4.1.1466.20036).
NOTICE = bytes.fromhex('3024020100781f0a0134040004008a16312e332e362e312e342e312e313436362e3230303336')


def bind_response(message_id, code, diagnostic=''):
    diag = diagnostic.encode()
    body = bytes([0x0a, 1, code, 0x04, 0]) + bytes([0x04, len(diag)]) + diag
    op = bytes([0x61, len(body)]) + body
    inner = bytes([0x02, 1, message_id]) + op
    return bytes([0x30, len(inner)]) + inner


# ---------------------------------------------------------------------------------------------- requests
@pytest.mark.parametrize('built, expected', [
    (lambda: lw.bind_request(1), '300c020101600702010304008000'),
    (lambda: lw.bind_request(1, 'cn=a', 'b'), '3011020101600c0201030404636e3d61800162'),
    (lambda: lw.unbind_request(3), '30050201034200'),
    (lambda: lw.starttls_request(1), '301d02010177188016312e332e362e312e342e312e313436362e3230303337'),
    (lambda: lw.search_request(2, 'dc=x', 'sub', '(objectClass=*)'),
     '30290201026324040464633d780a01020a0100020100020100010100870b6f626a656374436c6173733000'),
    (lambda: lw.search_request(2, 'dc=x', 'base', '(cn=*a*b*c)'),
     '302d0201026328040464633d780a01000a0100020100020100010100a40f0402636e30098101618101628201633000'),
    (lambda: lw.search_request(2, 'dc=x', 'one', '(cn=a\\2a)', ('1.1',), 1),
     '302b0201026326040464633d780a01010a0100020101020100010100a3080402636e0402612a30050403312e31'),
], ids=['anonymous-bind', 'simple-bind', 'unbind', 'starttls', 'search-present', 'search-substrings',
        'search-escaped-equality'])
def test_request_bytes(built, expected):
    assert built().hex() == expected


def test_root_dse_request_asks_for_the_root_dse_attributes():
    msg = lw.ber_decoder.decode(lw.root_dse_request(1), asn1Spec=lw.LDAPMessage())[0]
    req = msg['protocolOp']['searchRequest']
    assert bytes(req['baseObject']) == b''
    assert int(req['scope']) == 0
    assert [str(a) for a in req['attributes']] == list(lw.ROOT_DSE_ATTRIBUTES)
    assert req['filter'].getName() == 'present'


@pytest.mark.parametrize('text, tree', [
    ('(objectClass=*)', ('present', 'objectClass')),
    ('objectClass=*', ('present', 'objectClass')),
    ('(uid=mve)', ('equalityMatch', 'uid', b'mve')),
    ('(cn~=jane)', ('approxMatch', 'cn', b'jane')),
    ('(uidNumber>=1000)', ('greaterOrEqual', 'uidNumber', b'1000')),
    ('(uidNumber<=9)', ('lessOrEqual', 'uidNumber', b'9')),
    ('(cn=MVE*)', ('substrings', 'cn', [('initial', b'MVE')])),
    ('(cn=*a*b*c)', ('substrings', 'cn', [('any', b'a'), ('any', b'b'), ('final', b'c')])),
    ('(cn=a\\28b\\29)', ('equalityMatch', 'cn', b'a(b)')),
    ('(!(uid=x))', ('not', ('equalityMatch', 'uid', b'x'))),
    ('(&(objectClass=user)(|(sAMAccountName=mve)(cn=MVE*))(!(uid=x)))',
     ('and', [('equalityMatch', 'objectClass', b'user'),
              ('or', [('equalityMatch', 'sAMAccountName', b'mve'), ('substrings', 'cn', [('initial', b'MVE')])]),
              ('not', ('equalityMatch', 'uid', b'x'))])),
    ('(2.5.4.3=x)', ('equalityMatch', '2.5.4.3', b'x')),
])
def test_parse_filter(text, tree):
    assert lw.parse_filter(text) == tree
    lw.search_request(1, '', 'base', text)  # every parsed filter also encodes


@pytest.mark.parametrize('text, words', [
    ('', 'must be an LDAP filter'),
    ('(uid=mve', 'missing ")"'),
    ('(uid=mve))', 'unexpected'),
    ('(&)', 'needs at least one filter'),
    ('(!(a=b)(c=d))', 'exactly one'),
    ('(cn=a\\zz)', 'hex escape'),
    ('(bad attr=1)', 'not an attribute description'),
    ('(cn:dn:=x)', 'extensible'),
    ('(&(|(!(&(a=b)))))', 'nest at most 3'),
])
def test_parse_filter_rejects(text, words):
    with pytest.raises(lw.LdapInputError) as info:
        lw.parse_filter(text)
    assert info.value.field == 'search_filter'
    assert words in str(info.value)


# ----------------------------------------------------------------------------------------------- replies
@pytest.mark.parametrize('data, expected', [
    (SLAPD_BIND_OK, {'message_id': 2, 'op': 'bindResponse', 'result_code': 0, 'result': 'success'}),
    (SLAPD_BIND_49, {'op': 'bindResponse', 'result_code': 49, 'result': 'invalidCredentials', 'diagnostic': ''}),
    (SLAPD_BIND_ANON_48, {'result': 'inappropriateAuthentication', 'diagnostic': 'anonymous bind disallowed'}),
    (SLAPD_NO_SUCH_OBJECT, {'op': 'searchResDone', 'result': 'noSuchObject', 'matched_dn': 'dc=printfleet,dc=test'}),
    (SLAPD_STARTTLS_REFUSED, {'op': 'extendedResp', 'result': 'protocolError', 'response_name': None,
                              'diagnostic': 'unsupported extended operation'}),
    (SLAPD_STARTTLS_OK, {'op': 'extendedResp', 'result_code': 0}),
    (SLAPD_ENTRY_JANE, {'op': 'searchResEntry', 'dn': 'uid=jane,ou=people,dc=printfleet,dc=test', 'attributes': {}}),
    (NOTICE, {'message_id': 0, 'op': 'extendedResp', 'result': 'unavailable',
              'response_name': lw.NOTICE_OF_DISCONNECTION_OID}),
    (bind_response(2, 49, AD_DIAG), {'result': 'invalidCredentials', 'diagnostic': AD_DIAG}),
    (bind_response(2, 118), {'result_code': 118, 'result': 'canceled'}),
    (bind_response(2, 99), {'result_code': 99, 'result': 'code99'}),
], ids=['bind-ok', 'bind-49', 'bind-anon-48', 'no-such-object', 'starttls-refused', 'starttls-ok', 'entry',
        'notice-of-disconnection', 'ad-52e', 'canceled', 'unknown-code'])
def test_parse_message(data, expected):
    parsed = lw.parse_message(data)
    for key, value in expected.items():
        assert parsed[key] == value, key


def test_root_dse_facts_from_slapd():
    facts = lw.root_dse_facts(lw.parse_message(SLAPD_ROOT_DSE))
    assert facts == {
        'result': 'success', 'naming_contexts': ['dc=printfleet,dc=test'], 'default_naming_context': None,
        'supported_ldap_versions': [3],
        'supported_extensions': ['1.3.6.1.4.1.4203.1.11.1', '1.3.6.1.4.1.4203.1.11.3', '1.3.6.1.1.8',
                                 '1.3.6.1.1.21.3', '1.3.6.1.1.21.1'],
        'supported_sasl_mechanisms': ['SCRAM-SHA-512', 'SCRAM-SHA-384', 'SCRAM-SHA-256', 'SCRAM-SHA-224',
                                      'SCRAM-SHA-1', 'DIGEST-MD5', 'CRAM-MD5', 'NTLM'],
        'vendor_name': None, 'vendor_version': None}


@pytest.mark.parametrize('data, words', [
    (b'', 'first byte missing'),
    (b'HTTP/1.1 400 Bad Request\r\n', 'first byte 0x48'),
    (bytes.fromhex('3003020101'), 'not an LDAP message'),
    (bytes.fromhex('30050201014200'), 'unbindRequest, which a server never sends'),
    (SLAPD_BIND_OK + b'\x00', '1 bytes follow'),
    (bytes.fromhex('300702010163020400'), 'not an LDAP message'),
], ids=['empty', 'http', 'no-operation', 'request-from-server', 'trailing', 'truncated-search'])
def test_parse_message_rejects(data, words):
    with pytest.raises(lw.LdapError) as info:
        lw.parse_message(data)
    assert words in str(info.value)


@pytest.mark.parametrize('name, form', [
    ('uid=mve,ou=people,dc=example,dc=com', 'dn'),
    ('CN=MVE Bind,OU=Service,DC=example,DC=com', 'dn'),
    ('mve@example.com', 'upn'),
    ('EXAMPLE\\mve', 'down_level'),
    ('mve', None),
])
def test_bind_name_form(name, form):
    assert lw.bind_name_form(name) == form


@pytest.mark.parametrize('data, anonymous, words', [
    (SLAPD_BIND_49, False, 'invalidCredentials (49): the DN or password is wrong'),
    (SLAPD_BIND_ANON_48, True, 'refused an anonymous bind with inappropriateAuthentication (48)'),
    (bind_response(2, 53), True, 'unwillingToPerform (53): the server is unwilling to accept anonymous binds'),
    (bind_response(2, 13), False, 'confidentialityRequired (13): the server requires TLS'),
    (bind_response(2, 8), False, 'strongAuthRequired (8)'),
    (bind_response(2, 49, AD_DIAG), False, 'Active Directory says the password is wrong; server message: 80090308'),
    (bind_response(2, 49, AD_DIAG.replace('52e', '775')), False, 'the account is locked out'),
])
def test_explain_bind(data, anonymous, words):
    assert words in lw.explain_bind(lw.parse_message(data), anonymous, 'cn=mve')


# ---------------------------------------------------------------------------------------------- validate
BASE = {'host': 'ldap.example.com', 'port': 389}


@pytest.mark.parametrize('extra, field', [
    ({'encryption': 'ssl'}, 'encryption'),
    ({'bind_dn': 'cn=mve'}, 'bind_password'),
    ({'bind_password': 'x'}, 'bind_dn'),
    ({'bind_dn': '   ', 'bind_password': 'x'}, 'bind_dn'),
    ({'bind_dn': 'mve', 'bind_password': 'x'}, 'bind_dn'),
    ({'search_scope': 'subtree'}, 'search_scope'),
    ({'search_filter': '(uid=mve'}, 'search_filter'),
])
def test_validate_rejects(extra, field):
    params = dict(BASE, **extra)
    with pytest.raises(lw.LdapInputError) as info:
        lw.validate(params)
    assert info.value.field == field
    assert str(info.value).startswith(field + ': ')


def test_validate_defaults():
    assert lw.validate(dict(BASE)) == {
        'host': 'ldap.example.com', 'port': 389, 'encryption': 'none', 'bind_dn': None, 'bind_password': None,
        'search_base': None, 'search_scope': 'base', 'search_filter': '(objectClass=*)',
        'server_name': 'ldap.example.com'}


# ------------------------------------------------------------------------------------ scripted conversation
def script(params, replies):
    """Drive the conversation with scripted results: each Recv takes the next reply (bytes or an exception)."""
    conv = lw.ldap_conversation(lw.validate(dict(BASE, **params)))
    actions, value, error = [], None, None
    replies = list(replies)
    try:
        while True:
            action = conv.throw(error) if error is not None else conv.send(value)
            error, value = None, None
            actions.append(action)
            if isinstance(action, cv.Connect) and replies and isinstance(replies[0], cv.ConnectFailed):
                error = replies.pop(0)
            elif isinstance(action, cv.Connect):
                value = {'rtt_ms': 0.1, 'peer': '192.0.2.1:389'}
            elif isinstance(action, (cv.Recv, cv.StartTls)):
                reply = replies.pop(0)
                if isinstance(reply, Exception):
                    error = reply
                else:
                    value = reply
    except StopIteration as stop:
        return stop.value, actions


def test_scripted_anonymous_success():
    out, actions = script({}, [SLAPD_ROOT_DSE, SLAPD_SEARCH_DONE, bind_response(2, 0)])
    assert out['ok'] is True and out['bound'] is True and out['bind'] == 'anonymous'
    assert out['starttls_supported'] is False  # this RootDSE lists no StartTLS extension
    assert [a.__class__.__name__ for a in actions] == ['Connect', 'Send', 'Recv', 'Recv', 'Send', 'Recv', 'Send',
                                                       'Close']
    assert actions[-2].data == lw.unbind_request(3)


def test_scripted_password_is_only_in_the_bind_request():
    out, actions = script({'bind_dn': 'cn=mve', 'bind_password': 'Zq9-secret'},
                          [SLAPD_ROOT_DSE, SLAPD_SEARCH_DONE, SLAPD_BIND_49])
    assert out['bind_result'] == 'invalidCredentials' and out['ok'] is False
    assert 'Zq9-secret' not in repr(out)
    carrying = [a for a in actions if isinstance(a, cv.Send) and b'Zq9-secret' in a.data]
    assert carrying == [actions[4]] and actions[4].data == lw.bind_request(2, 'cn=mve', 'Zq9-secret')


def test_scripted_starttls_refused_sends_no_password():
    out, actions = script({'encryption': 'starttls', 'bind_dn': 'cn=mve', 'bind_password': 'Zq9-secret'},
                          [SLAPD_STARTTLS_REFUSED])
    assert out['ok'] is False and out['starttls_supported'] is False and out['bind_result'] is None
    assert 'protocolError' in out['reason']
    assert not any(isinstance(a, cv.Send) and b'Zq9-secret' in a.data for a in actions)


@pytest.mark.parametrize('params, replies, words', [
    ({}, [cv.ConnectFailed('refused', 'connection to x:389 refused: nothing listens there')], 'Cannot reach'),
    ({}, [cv.ReceiveTimeout('no complete reply within 5.0 s')], 'during the RootDSE search: no complete reply'),
    ({}, [cv.PeerClosed('the peer closed the connection', b'\x15\x03')], "(it sent b'\\x15\\x03')"),
    ({}, [cv.FramingError('BER length form 0x80 is not a definite length')], 'BER length form'),
    ({}, [b'HTTP/1.1 400 Bad Request\r\n'], 'did not answer the RootDSE search as an LDAP server would'),
    ({}, [NOTICE], 'disconnected the session (unavailable)'),
    ({}, [SLAPD_BIND_OK], 'answered message 2 while message 1 was outstanding'),
    ({'encryption': 'ldaps'}, [cv.TlsFailed('TLS handshake failed: WRONG_VERSION_NUMBER')], 'LDAPS TLS handshake'),
    ({'search_base': 'ou=nope,dc=printfleet,dc=test'},
     [SLAPD_ROOT_DSE, SLAPD_SEARCH_DONE, bind_response(2, 0), SLAPD_NO_SUCH_OBJECT], 'does not exist'),
    ({'search_base': 'dc=printfleet,dc=test'},
     [SLAPD_ROOT_DSE, SLAPD_SEARCH_DONE, bind_response(2, 0), bytes.fromhex('300c02010365070a010004000400')],
     'found no entry'),
], ids=['refused', 'timeout', 'peer-closed', 'framing', 'garbage', 'notice', 'wrong-id', 'ldaps-handshake',
        'no-such-object', 'nothing-found'])
def test_scripted_failures(params, replies, words):
    out, dummy = script(params, replies)
    assert out['ok'] is False
    assert words in out['reason']
    if params.get('encryption') == 'ldaps':
        assert out['tls']['validated'] is False and out['tls']['validation_error']
