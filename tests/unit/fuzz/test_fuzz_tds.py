# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fuzzing the TDS PRELOGIN readers (reply and request): any bytes give facts or TdsWireError."""

from __future__ import absolute_import, division, print_function

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import tds
from support.fuzz_strategies import mutated
from support.fuzz_targets import TARGETS

TDS = TARGETS['tds']


def test_the_seeds_parse():
    replies = [s for s in TDS.seeds() if s[0] == tds.PACKET_REPLY]
    assert len(replies) >= 6
    for data in replies:
        assert tds.parse_prelogin_response(data)['server_version']
    assert tds.parse_prelogin_request(TDS.seeds()[2])['version'] == '9.0.0'


@given(st.binary(max_size=120))
def test_arbitrary_bytes(data):
    TDS.check(data)


@given(st.sampled_from((b'\x04\x01', b'\x12\x01', b'\x04\x00')).flatmap(
    lambda head: st.binary(max_size=100).map(lambda body: head + (len(body) + 4).to_bytes(2, 'big') + body[:4]
                                             + body[4:])))
def test_packets_with_a_plausible_header(data):
    TDS.check(data)


@given(mutated(TDS.seeds()))
def test_mutated_messages(data):
    TDS.check(data)
