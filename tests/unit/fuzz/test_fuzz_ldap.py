# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fuzzing the LDAP reply reader (parse_message as the conversation checks it, root_dse_facts, explain_bind):
any bytes give a reply or LdapError."""

from __future__ import absolute_import, division, print_function

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import ldap
from support.fuzz_strategies import ber_tree, mutated
from support.fuzz_targets import TARGETS

LDAP = TARGETS['ldap']
LDAP_TAGS = (0x30, 0x31, 0x02, 0x04, 0x0a, 0x01, 0x61, 0x64, 0x65, 0x73, 0x78, 0x8a, 0x8b, 0xa3, 0x42, 0x80)


def test_the_seeds_parse():
    ops = [ldap.parse_message(s)['op'] for s in LDAP.seeds()[:10]]
    assert ops[:3] == ['searchResEntry', 'searchResDone', 'bindResponse']
    assert ldap.root_dse_facts(ldap.parse_message(LDAP.seeds()[0]))['supported_ldap_versions'] == [3]


@given(st.binary(max_size=200))
def test_arbitrary_bytes(data):
    LDAP.check(data)


@given(ber_tree(LDAP_TAGS).map(lambda body: b'\x30' + bytes((len(body),)) + body if len(body) < 0x80 else body))
def test_ber_trees_of_ldap_tags(data):
    LDAP.check(data)


@given(mutated(LDAP.seeds()))
def test_mutated_messages(data):
    LDAP.check(data)


# ---- regressions: what the fuzzing found, with the exact bytes -----------------------------------------

# An 8-octet BER length: pyasn1's stream reader raised OverflowError, which escaped parse_message.
FOUND = [
    ('bindResponse, 8-octet length of matchedDN', '300c02010261070a01000488c0000000000000000400'),
    ('bindResponse, 8-octet length of resultCode', '300c02010261070a88c0000000000000000004000400'),
]


@pytest.mark.parametrize('label, hexdump', FOUND, ids=[f[0] for f in FOUND])
def test_found(label, hexdump):
    with pytest.raises(ldap.LdapError) as info:
        ldap.parse_message(bytes.fromhex(hexdump))
    assert 'not an LDAP message' in str(info.value)
