# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fuzzing the mDNS reply reader (split_cache_flush, then dnspython, then services): any bytes give a reply or
MdnsWireError."""

from __future__ import absolute_import, division, print_function

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import mdns
from support.fuzz_strategies import mutated
from support.fuzz_targets import TARGETS

MDNS = TARGETS['mdns']


def test_the_seeds_parse():
    plain, flushed = mdns.parse_response(MDNS.seeds()[0]), mdns.parse_response(MDNS.seeds()[1])
    assert mdns.services(plain) == ['Lexmark\\032MX521._printer._tcp.local.']
    assert [a['cache_flush'] for a in flushed['answers']] == [True]


@given(st.binary(max_size=200))
def test_arbitrary_bytes(data):
    MDNS.check(data)


@given(st.tuples(st.binary(min_size=4, max_size=4), st.lists(st.integers(0, 3), min_size=4, max_size=4),
                 st.binary(max_size=120)).map(lambda t: t[0] + b''.join(n.to_bytes(2, 'big') for n in t[1]) + t[2]))
def test_headers_with_small_counts(data):
    MDNS.check(data)


@given(mutated(MDNS.seeds()))
def test_mutated_replies(data):
    MDNS.check(data)
