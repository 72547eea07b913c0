# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fuzzing the printer web-page reader (parse_page, and the login and port-access readers of its forms): any
page gives a result or EwsError."""

from __future__ import absolute_import, division, print_function

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.printfleet.mve.plugins.module_utils.printers import ews_pages
from support.fuzz_strategies import mutated
from support.fuzz_targets import EWS_PROFILE, TARGETS

EWS = TARGETS['ews']
TAGS = ('form', 'input', 'button', 'select', 'option', 'textarea', 'label', 'tr', 'td', 'title', 'table')
ATTRS = ('type', 'name', 'id', 'value', 'for', 'checked', 'selected', 'disabled', 'multiple', 'action', 'method')
TYPES = ('checkbox', 'radio', 'password', 'text', 'submit', 'hidden', 'reset', 'button', 'image', 'file', '')
NAMES = ('vac.255.GUIPORTENABLE.1', 'vac.255.GUIPORTENABLE.2', 'username', 'password', 'login', '')
LABELS = ('TCP 21 (FTP)', 'UDP 9300 (NPAP)', 'TCP 80', 'tcp 99999', 'Password', '')


def _attr(draw_pair):
    key, value = draw_pair
    return ' %s' % key if value is None else ' %s="%s"' % (key, value)


ELEMENT = st.builds(
    lambda tag, attrs, text, close: '<%s%s>%s%s' % (tag, ''.join(_attr(a) for a in attrs), text,
                                                    '</%s>' % tag if close else ''),
    st.sampled_from(TAGS),
    st.lists(st.tuples(st.sampled_from(ATTRS), st.none() | st.sampled_from(TYPES + NAMES + ('p1', 'p2')))),
    st.sampled_from(LABELS) | st.text(max_size=10), st.booleans())


def test_the_seeds_parse():
    login = ews_pages.parse_page(EWS.seeds()[0])
    assert ews_pages.login_form(login['forms'], EWS_PROFILE)[1:] == ('form', {'username': 'username',
                                                                              'password': 'password'})
    ports = ews_pages.parse_page(EWS.seeds()[1])
    with pytest.raises(ews_pages.EwsError):  # the seed repeats every checkbox: two of them name each port
        ews_pages.port_map(ews_pages.ports_form(ports['forms'], EWS_PROFILE), EWS_PROFILE)


@given(st.binary(max_size=300))
def test_arbitrary_bytes(data):
    EWS.check(data)


@given(st.lists(ELEMENT, max_size=16).map(lambda parts: ''.join(parts).encode('utf-8', 'surrogatepass')))
def test_form_shaped_pages(data):
    EWS.check(data)


@given(mutated(EWS.seeds()))
def test_mutated_pages(data):
    EWS.check(data)


# ---- regressions ------------------------------------------------------------------------------------------

# A <button> of type checkbox (an invalid type, which browsers treat as submit) was taken for a checkbox and
# port_map / form_fields raised KeyError('checked').
BUTTON_TYPES = [
    b'<form><input type="checkbox" name="vac.255.GUIPORTENABLE.1"><button type=checkbox name=b></form>',
    b'<form><button type=checkbox name="vac.255.GUIPORTENABLE.1">TCP 21</button></form>',
    b'<form><label>TCP 21 <button type=radio name="vac.255.GUIPORTENABLE.1"></button></label></form>',
]


@pytest.mark.parametrize('page', BUTTON_TYPES)
def test_a_button_is_never_a_checkbox(page):
    EWS.run(page)
    form = ews_pages.parse_page(page)['forms'][0]
    assert all(c['type'] in ('submit', 'reset', 'button') for c in form['controls'] if c['tag'] == 'button')
