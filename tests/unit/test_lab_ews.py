# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab simulator's embedded web server (lab/printer_sim.py Ews) read by the collection's parser (ews_ports),
in-process: both login kinds, shuffled field numbers, a post that keeps every other field."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import json
import urllib.parse

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.printers import ews_pages as ews_ports
from ansible_collections.printfleet.mve.plugins.module_utils.printers import ews_profiles
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
from lab import lab as lab_tool
from lab import printer_sim

PROFILE = ews_profiles.merge_profile()


def make_printer(tmp_path, index):
    plan = lab_tool.plan_printers(index, '127.0.0.1')[-1]
    state_file = tmp_path / ('%s.json' % plan['name'])
    state_file.write_text(json.dumps(lab_tool.state_doc(plan, lab_tool.printer_ports(port_matrix))))
    cfg = dict(lab_tool.sim_printer_config(None, plan, 'cert', 'key', str(state_file), 9100))
    return printer_sim.Printer(cfg)


def request(printer, method, path, fields=None, cookie=None):
    target = urllib.parse.urlsplit(path)
    headers = {'cookie': cookie} if cookie else {}
    body = urllib.parse.urlencode(fields or []).encode() if fields is not None else b''
    req = (method, target.path, dict(urllib.parse.parse_qsl(target.query)), headers, body)
    answer, taken = asyncio.run(printer.ews.handle(req, None))
    head, dummy, page = answer.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    hdrs = dict(line.split(': ', 1) for line in lines[1:])
    return int(lines[0].split()[1]), hdrs, page, taken


def login(printer):
    status, hdrs, dummy, dummy2 = request(printer, 'GET', PROFILE['ports_path'])
    assert status == 302
    status, dummy, page, dummy2 = request(printer, 'GET', hdrs['Location'])
    form, kind, roles = ews_ports.login_form(ews_ports.parse_forms(page), PROFILE)
    creds = printer.cfg['ews']
    assert kind == creds['login']
    status, hdrs, dummy, dummy2 = request(printer, 'POST', form['action'],
                                          ews_ports.login_fields(form, roles, creds['username'], creds['password']))
    assert status == 302 and hdrs['Location'] == PROFILE['ports_path']
    return hdrs['Set-Cookie'].split(';', 1)[0]


@pytest.mark.parametrize('index, kind', [(1, 'form'), (2, 'password')])
def test_every_port_maps_by_label(tmp_path, index, kind):
    printer = make_printer(tmp_path, index)
    assert printer.cfg['ews']['login'] == kind
    cookie = login(printer)
    status, dummy, page, dummy2 = request(printer, 'GET', PROFILE['ports_path'], cookie=cookie)
    assert status == 200
    form = ews_ports.ports_form(ews_ports.parse_forms(page), PROFILE)
    mapped, unmapped = ews_ports.port_map(form, PROFILE)
    assert unmapped == []
    assert sorted(mapped) == sorted(printer.read_state()['ports'])
    assert mapped['tcp/21']['label'] == 'TCP 21 (FTP)'


def test_field_numbers_are_shuffled_per_printer(tmp_path):
    numberings = set()
    for index in range(1, 5):
        printer = make_printer(tmp_path, index)
        numbers = printer.ews.field_numbers(printer.read_state()['ports'])
        numberings.add(tuple(sorted(numbers.items())))
    assert len(numberings) > 1


def test_wrong_password_is_refused(tmp_path):
    printer = make_printer(tmp_path, 1)
    status, hdrs, dummy, dummy2 = request(printer, 'GET', PROFILE['ports_path'])
    status, dummy, page, dummy2 = request(printer, 'GET', hdrs['Location'])
    form, kind, roles = ews_ports.login_form(ews_ports.parse_forms(page), PROFILE)
    status, hdrs, page, dummy = request(printer, 'POST', form['action'],
                                        ews_ports.login_fields(form, roles, 'admin', 'wrong'))
    assert status == 200 and 'Set-Cookie' not in hdrs
    assert ews_ports.login_failed(ews_ports.parse_page(page), PROFILE)


def test_post_keeps_every_other_field_and_a_dropped_field_changes_the_printer(tmp_path):
    printer = make_printer(tmp_path, 2)
    cookie = login(printer)
    dummy, dummy2, page, dummy3 = request(printer, 'GET', PROFILE['ports_path'], cookie=cookie)
    form = ews_ports.ports_form(ews_ports.parse_forms(page), PROFILE)
    mapped, dummy = ews_ports.port_map(form, PROFILE)
    changes = ews_ports.plan(mapped, {'tcp/21': 'disabled'})
    fields = ews_ports.form_fields(form, checks=ews_ports.wanted_checks(changes))
    status, hdrs, dummy, taken = request(printer, 'POST', form['action'], fields, cookie=cookie)
    assert status == 302 and taken
    state = printer.read_state()
    assert [k for k, e in state['ports'].items() if not e['enabled']] == ['tcp/21']
    assert state['ews_settings'] == {'vac.255.LOGPORTCHANGES': True, 'vac.255.PORTACCESSMODE': '1',
                                     'vac.255.PORTCOMMENT': 'printfleet.mve lab'}
    # A client that drops the CSRF token is refused; one that drops other fields changes the printer.
    status, dummy, dummy2, taken = request(printer, 'POST', form['action'],
                                           [f for f in fields if f[0] != 'csrf_token'], cookie=cookie)
    assert status == 400 and not taken
    status, dummy, dummy2, taken = request(printer, 'POST', form['action'],
                                           [f for f in fields if f[0] in ('csrf_token', 'vac.255.PAGEID')],
                                           cookie=cookie)
    assert taken and not any(e['enabled'] for e in printer.read_state()['ports'].values())
