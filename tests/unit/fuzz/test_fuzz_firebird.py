# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fuzzing the Firebird connect-reply reader (parse_connect_reply, and bytes_needed that sizes the read):
any bytes give a reply, a byte count or FirebirdWireError."""

from __future__ import absolute_import, division, print_function

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import firebird
from support.fuzz_strategies import mutated
from support.fuzz_targets import TARGETS

FIREBIRD = TARGETS['firebird']
XDR_WORDS = st.sampled_from((0, 1, 2, 3, 4, 5, 9, 19, 71, 92, 94, 98, 0xffff800f, 0x7fffffff, 0xffffffff, 64 * 1024,
                             64 * 1024 + 1)) | st.integers(0, 2 ** 32 - 1)


def test_the_seeds_parse():
    ops = [firebird.parse_connect_reply(s)['op'] for s in FIREBIRD.seeds()[:7]]
    assert ops == ['op_cond_accept', 'op_response', 'op_cont_auth', 'op_accept', 'op_accept_data', 'op_reject',
                   'op_response']


@given(st.binary(max_size=120))
def test_arbitrary_bytes(data):
    FIREBIRD.check(data)


@given(st.lists(XDR_WORDS, max_size=24).map(lambda words: b''.join(w.to_bytes(4, 'big') for w in words)))
def test_xdr_words(data):
    FIREBIRD.check(data)


@given(mutated(FIREBIRD.seeds()))
def test_mutated_replies(data):
    FIREBIRD.check(data)
    needed = firebird.bytes_needed(data) if not isinstance(FIREBIRD.check(data), Exception) else None
    assert needed in (None, 0)
