# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fuzzing the SNMP readers: parse_response (the hand-written BER fast path, pyasn1 behind it), parse_message
(v3 too) and the SNMPv3 USM reply reader. Any bytes give a result or SnmpWireError, never another exception;
and the fast path is only a shortcut: on every input it accepts, pyasn1 accepts the same message and reads the
same version, request id, error status and index, and varbinds with equal values."""

from __future__ import absolute_import, division, print_function

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyasn1.codec.ber import encoder
from pysnmp.proto import api, rfc1902, rfc1905

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp_usm
from support.fuzz_strategies import ber_tree, mutated
from support.fuzz_targets import SNMP_MSG_ID, SNMP_USERS, TARGETS, snmp_disagreement, snmp_paths

SNMP = TARGETS['snmp']
USM = TARGETS['snmp_usm']
V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
V1 = api.PROTOCOL_MODULES[api.SNMP_VERSION_1]
SNMP_TAGS = (0x30, 0x02, 0x04, 0x05, 0x06, 0x40, 0x41, 0x42, 0x43, 0x44, 0x46, 0x80, 0x81, 0x82,
             0xa0, 0xa1, 0xa2, 0xa3, 0xa5, 0xa7, 0xa8)


def test_the_seeds_parse_and_both_paths_agree_on_them():
    """The seeds are real messages (so mutations start from valid ones), and the fast path reads them."""
    fast_read = 0
    for data in SNMP.seeds():
        assert not isinstance(SNMP.check(data), Exception), data.hex()
        assert snmp_disagreement(data) is None, data.hex()
        fast_read += snmp_paths(data)[0] is not None
    assert fast_read >= 20


@given(st.binary(max_size=200))
def test_arbitrary_bytes(data):
    SNMP.check(data)
    assert snmp_disagreement(data) is None


@given(mutated(SNMP.seeds()))
def test_mutated_messages(data):
    SNMP.check(data)
    assert snmp_disagreement(data) is None


@given(ber_tree(SNMP_TAGS).map(lambda body: b'\x30' + snmp._ber_length(len(body)) + body))
def test_ber_trees_of_snmp_tags(data):
    SNMP.check(data)
    assert snmp_disagreement(data) is None


# ---- generated valid messages: both paths accept them, and read the same --------------------------------

def _oids():
    head = st.one_of(st.tuples(st.integers(0, 1), st.integers(0, 39)), st.tuples(st.just(2), st.integers(0, 2 ** 40)))
    return st.builds(lambda h, tail: '.'.join(str(a) for a in h + tuple(tail)), head,
                     st.lists(st.integers(0, 2 ** 40) | st.integers(0, 200), max_size=12))


def _values(mod):
    common = [
        st.integers(-2 ** 31, 2 ** 31 - 1).map(mod.Integer),
        st.binary(max_size=40).map(mod.OctetString),
        st.text(max_size=20).map(lambda t: mod.OctetString(t.encode('utf-8'))),
        st.binary(min_size=4, max_size=4).map(mod.IpAddress),
        _oids().map(mod.ObjectIdentifier),
        st.integers(0, 2 ** 32 - 1).map(mod.TimeTicks),
        st.just(mod.null),
    ]
    if mod is V1:
        return st.one_of(common + [st.integers(0, 2 ** 32 - 1).map(mod.Counter), st.integers(0, 2 ** 32 - 1).map(mod.Gauge),
                                   st.binary(max_size=8).map(mod.Opaque)])
    return st.one_of(common + [
        st.integers(0, 2 ** 32 - 1).map(rfc1902.Counter32), st.integers(0, 2 ** 32 - 1).map(rfc1902.Gauge32),
        st.integers(0, 2 ** 64 - 1).map(rfc1902.Counter64), st.binary(max_size=8).map(rfc1902.Opaque),
        st.sampled_from([rfc1905.NoSuchObject(''), rfc1905.NoSuchInstance(''), rfc1905.EndOfMibView('')])])


@st.composite
def valid_messages(draw):
    mod = draw(st.sampled_from([V1, V2C]))
    pdu_class = draw(st.sampled_from([mod.GetResponsePDU, mod.GetRequestPDU, mod.SetRequestPDU] +
                                     ([V2C.ReportPDU, V2C.InformRequestPDU] if mod is V2C else [])))
    pdu = pdu_class()
    mod.apiPDU.set_defaults(pdu)
    mod.apiPDU.set_request_id(pdu, draw(st.integers(-2 ** 31, 2 ** 31 - 1)))
    mod.apiPDU.set_error_status(pdu, draw(st.integers(0, 18) | st.integers(0, 2 ** 31 - 1)))
    mod.apiPDU.set_error_index(pdu, draw(st.integers(0, 2 ** 31 - 1)))
    mod.apiPDU.set_varbinds(pdu, draw(st.lists(st.tuples(_oids().map(mod.ObjectIdentifier), _values(mod)),
                                               max_size=6)))
    msg = mod.Message()
    mod.apiMessage.set_defaults(msg)
    mod.apiMessage.set_community(msg, draw(st.binary(max_size=20)))
    mod.apiMessage.set_pdu(msg, pdu)
    return encoder.encode(msg)


@given(valid_messages())
def test_fast_path_and_pyasn1_agree_on_generated_messages(data):
    fast, slow = snmp_paths(data)
    assert fast is not None, 'the fast path declines a plain message: %s' % data.hex()
    assert not isinstance(slow, Exception), slow
    assert snmp_disagreement(data) is None


# ---- SNMPv3: the discovery/report reader and the authenticated-GET reply reader -------------------------

def test_the_v3_seeds_read_back():
    """Each user's GET (noAuthNoPriv, authNoPriv, authPriv) reads back with that user's keys."""
    for user, data in zip(SNMP_USERS, USM.seeds()[1:4]):
        assert snmp_usm.parse_get_reply(data, user, SNMP_MSG_ID)['ok'] is True


@given(mutated(USM.seeds()))
def test_v3_mutated_messages(data):
    USM.check(data)
    SNMP.check(data)


@given(st.binary(max_size=200))
def test_v3_arbitrary_bytes(data):
    USM.check(data)


# ---- regressions: what the fuzzing found, with the exact bytes -----------------------------------------

def _msg(version, fields, values):
    """A v1/v2c response with the given raw header fields and raw varbind values (name 1.3.6.1.2.1.1.1.0)."""
    vbs = b''.join(snmp._ber_tlv(0x30, bytes.fromhex('06082b06010201010100') + v) for v in values)
    pdu = snmp._ber_tlv(0xa2, b''.join(fields) + snmp._ber_tlv(0x30, vbs))
    return snmp._ber_tlv(0x30, snmp._ber_int(version) + snmp._ber_tlv(0x04, b'public') + pdu)


_F = [snmp._ber_int(1), snmp._ber_int(0), snmp._ber_int(0)]

# Inputs the fast path accepted and pyasn1 refused (now the fast path declines them and pyasn1 refuses them).
FAST_PATH_REGRESSIONS = [
    ('noSuchInstance with content',
     '302b02010104067075626ca663a21e020227100201000201003012301006082b06810201010b008104c000020a'),
    ('OID sub-identifier with a leading 0x80 octet',
     '302602010004067075626c6963a219020163020102020101300e300c060880020102010101000500'),
    ('OID value with a leading 0x80 octet', _msg(1, _F, [b'\x06\x03\x2b\x80\x01']).hex()),
    ('Counter32 0xff (negative)', _msg(1, _F, [b'\x41\x01\xff']).hex()),
    ('v1 Counter 0xff (negative)', _msg(0, _F, [b'\x41\x01\xff']).hex()),
    ('TimeTicks 0x80 (negative)', _msg(1, _F, [b'\x43\x01\x80']).hex()),
    ('Gauge32 2^32', _msg(1, _F, [b'\x42\x05\x01\x00\x00\x00\x00']).hex()),
    ('Counter64 2^64', _msg(1, _F, [b'\x46\x09\x01' + b'\x00' * 8]).hex()),
    ('Counter64 negative', _msg(1, _F, [b'\x46\x01\xff']).hex()),
    ('Integer32 2^31', _msg(1, _F, [b'\x02\x05\x00\x80\x00\x00\x00']).hex()),
    ('NULL with content', _msg(1, _F, [b'\x05\x01\x00']).hex()),
    ('request-id 2^31', _msg(1, [b'\x02\x05\x00\x80\x00\x00\x00', snmp._ber_int(0), snmp._ber_int(0)],
                             [b'\x05\x00']).hex()),
    ('error-index -1', _msg(1, [snmp._ber_int(1), snmp._ber_int(0), snmp._ber_int(-1)], [b'\x05\x00']).hex()),
]


@pytest.mark.parametrize('label, hexdump', FAST_PATH_REGRESSIONS, ids=[r[0] for r in FAST_PATH_REGRESSIONS])
def test_fast_path_regressions(label, hexdump):
    data = bytes.fromhex(hexdump)
    assert snmp._fast_parse(data) is None
    with pytest.raises(snmp.SnmpWireError) as info:
        snmp.parse_response(data)
    assert len(str(info.value)) < 300


# An 8-octet BER length: pyasn1's stream reader raised OverflowError, which escaped every SNMP reader.
OVERFLOW_REGRESSIONS = [
    ('v2c response', '3082015202010104067075626c6963a282014302047fffffff02010002010030820133301c06082b060102010101'
     '0004104c65786d61726b204d58353231616465301006082b0601027f0102000404001b2cff301106082b060102010103000405636166c3'
     'a9301106082b060102010104000405' '6e756c0000300d06082b060102010105000201fb301006082b0601020101060002047fffffff'
     '301106082b06010201010700410500ffffffff300d06082b0601020101080042012a300f06082b06010201010900430301e240301506'
     '082b06010201010a00460900ffffffffffffffff301006082b06010201010b004088c000020a301506082b06010201010c0006092b060'
     '1040185010201300f06082b06010201010d0044039f7804300c06082b06010201010e008000300c06082b06010201010f008100300c06'
     '082b060102010110008200300c06082b060102010111000500'),
    ('v3 message', '306a020103300e02014d020300ffe3048880aabbccdd0400a02702014e020100020100301c300c06082b060102010101'
     '000500300c06082b060102010105000500'),
    ('v3 header', '3038020103300e0288cafa72014d020300ffe30401040201030410300e0400020100020100040004080400301104000400'
     'a00b'),
]


@pytest.mark.parametrize('label, hexdump', OVERFLOW_REGRESSIONS, ids=[r[0] for r in OVERFLOW_REGRESSIONS])
def test_overflowing_lengths_are_wire_errors(label, hexdump):
    data = bytes.fromhex(hexdump)
    with pytest.raises(snmp.SnmpWireError):
        snmp.parse_message(data)
    for user in SNMP_USERS:
        try:
            snmp_usm.parse_get_reply(data, user, SNMP_MSG_ID)
        except snmp.SnmpWireError:
            pass
