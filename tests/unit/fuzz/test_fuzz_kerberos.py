# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fuzzing the Kerberos readers (parse_reply with classify and the clock skew, decode_as_req): any bytes give a
result or KerberosWireError."""

from __future__ import absolute_import, division, print_function

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import kerberos
from support.fuzz_strategies import ber_tree, mutated
from support.fuzz_targets import TARGETS

KERBEROS = TARGETS['kerberos']
KRB_TAGS = (0x30, 0x02, 0x04, 0x18, 0x1b, 0x03, 0x6a, 0x6b, 0x7e, 0x61, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
            0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac)


def test_the_seeds_parse():
    types = [kerberos.parse_reply(s)['reply_type'] for s in KERBEROS.seeds()[:4]]
    assert types == ['KRB-ERROR', 'KRB-ERROR', 'KRB-ERROR', 'AS-REP']
    assert kerberos.decode_as_req(KERBEROS.seeds()[4])['realm'] == 'PRINTFLEET.TEST'


@given(st.binary(max_size=200))
def test_arbitrary_bytes(data):
    KERBEROS.check(data)


@given(ber_tree(KRB_TAGS))
def test_ber_trees_of_kerberos_tags(data):
    KERBEROS.check(data)


@given(mutated(KERBEROS.seeds()))
def test_mutated_messages(data):
    KERBEROS.check(data)


# ---- regressions: what the fuzzing found, with the exact bytes -----------------------------------------

# pyasn1's decoder let Python errors through: IndexError for a constructed value of indefinite length inside an
# AS-REQ, OverflowError for an 8-octet length. parse_reply and decode_as_req raised them bare.
FOUND = [
    ('indefinite-length PrincipalName in an AS-REQ: IndexError',
     '6a81b33081b0a103020105a20302010aa481a33081a0a00703050040800000a11d3080a003020101a11430121b107072696e74666c6'
     '565742d70726f6265a2111b0f5052494e54464c45c5542e54455354a324627467741b0f50'),
    ('8-octet length in a KRB-ERROR: OverflowError',
     '7e82010530820101a003020105a1030288a20204003031a103020113a22a042830263024a003020112a11d1b1b5052494e54464c4545'
     '542e54455354707265617574682d757365723009a103060102a2020400300da10402020085a20504034d4954'),
    ('8-octet length of pvno: OverflowError',
     '7e82010530820101a0030288c00000000000000005a10302011ea411180f32303236313132353039303532375a'),
]


@pytest.mark.parametrize('label, hexdump', FOUND, ids=[f[0] for f in FOUND])
def test_found(label, hexdump):
    data = bytes.fromhex(hexdump)
    with pytest.raises(kerberos.KerberosWireError):
        kerberos.parse_reply(data)
    with pytest.raises(kerberos.KerberosWireError):
        kerberos.decode_as_req(data)


# Found by `make fuzz` (atheris): an indefinite length closed at once decodes to pyasn1's bare schema object,
# whose fields raise PyAsn1Error ("operation on ASN.1 schema object") in parse_reply and decode_as_req.
EMPTY_VALUES = [
    ('atheris crash-bbda499d: AS-REP', '6b80000000003a81b33081b0a103020105a20302010aa481a330'),
    ('AS-REP', '6b800000'), ('KRB-ERROR', '7e800000'), ('AS-REQ', '6a800000'),
]


@pytest.mark.parametrize('label, hexdump', EMPTY_VALUES, ids=[f[0] for f in EMPTY_VALUES])
def test_empty_indefinite_values(label, hexdump):
    data = bytes.fromhex(hexdump)
    with pytest.raises(kerberos.KerberosWireError):
        kerberos.parse_reply(data)
    with pytest.raises(kerberos.KerberosWireError):
        kerberos.decode_as_req(data)
