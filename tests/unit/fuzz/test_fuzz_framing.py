# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fuzzing the framings that cut replies out of a stream before any parser sees them (conversation.frame_complete):
any bytes give a length, None (more needed) or FramingError; a length never runs past the buffer."""

from __future__ import absolute_import, division, print_function

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation
from support.fuzz_strategies import mutated
from support.fuzz_targets import TARGETS

FRAMING = TARGETS['framing']


@given(st.binary(max_size=200) | mutated(FRAMING.seeds()))
def test_framings(data):
    FRAMING.check(data)
    for framing in ('datagram', 'line', 'smtp', 'len4', 'ber', 'tds'):
        try:
            size = conversation.frame_complete(framing, data)
        except conversation.FramingError:
            continue
        assert size is None or 0 < size <= len(data), (framing, size)
