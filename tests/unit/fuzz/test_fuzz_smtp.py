# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fuzzing the SMTP reply reader (parse_reply, then parse_ehlo and decode_challenge on what it returns): any
bytes give a Reply or SmtpProtocolError."""

from __future__ import absolute_import, division, print_function

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import smtp
from support.fuzz_strategies import mutated
from support.fuzz_targets import TARGETS

SMTP = TARGETS['smtp']
LINE = st.builds(lambda code, sep, text, end: ('%s%s%s%s' % (code, sep, text, end)).encode('utf-8', 'surrogatepass'),
                 st.sampled_from(('220', '250', '334', '535', '199', '600', '25', '2500')),
                 st.sampled_from(('-', ' ', '', '\t')), st.text(max_size=30), st.sampled_from(('\r\n', '\n', '\r')))


def test_the_seeds_parse():
    replies = [smtp.parse_reply(s) for s in SMTP.seeds()]
    assert smtp.parse_ehlo(replies[1])['auth_mechanisms'] == ['LOGIN', 'PLAIN']
    assert smtp.decode_challenge(replies[3]) == 'Username:'


@given(st.binary(max_size=200))
def test_arbitrary_bytes(data):
    SMTP.check(data)


@given(st.lists(LINE, min_size=1, max_size=6).map(b''.join))
def test_reply_shaped_lines(data):
    SMTP.check(data)


@given(mutated(SMTP.seeds()))
def test_mutated_replies(data):
    SMTP.check(data)
