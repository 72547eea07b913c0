# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ews_ports and ews_profiles: parsing login and port-access pages, label mapping, form computation (vectors)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.printers import ews_client
from ansible_collections.printfleet.mve.plugins.module_utils.printers import ews_pages as ews_ports
from ansible_collections.printfleet.mve.plugins.module_utils.printers import ews_profiles
from ansible_collections.printfleet.mve.plugins.module_utils.printers.ews_pages import EwsError

PROFILE = ews_profiles.merge_profile()

LOGIN_FORM = '''<html><head><title>Login</title></head><body><h1>Login</h1>
<form name="login" method="post" action="/cgi-bin/posttest/login">
<input type="hidden" name="redirect" value="/cgi-bin/dynamic/config/secure/ports.html">
<input type="hidden" name="auth_type" value="account">
<p><label>Username <input type="text" name="username" value=""></label></p>
<p><label>Password <input type="password" name="password"></label></p>
<p><input type="submit" name="login" value="Log In"></p>
</form></body></html>'''

LOGIN_PASSWORD_ONLY = '''<html><body><form method=post action="/cgi-bin/posttest/password">
<input type=hidden name=redirect value="/x">
Password <input type=password name=password>
<input type=submit value="Go"></form></body></html>'''

SEARCH_THEN_LOGIN = '''<form action="/search"><input name="q"></form>
<form method="POST" action="login.cgi"><input name="user"><input type="password" name="pwd"><button name="b" value="1">OK</button></form>'''


def ports_page(numbers, style='for', extra=True, labels=None):
    """A port-access page with the given field numbers per port key; ``style``: for, wrap or row."""
    labels = labels or {'tcp/80': 'TCP 80 (HTTP)', 'tcp/21': 'TCP 21 (FTP)', 'udp/9300': 'UDP 9300 (NPAP)',
                        'tcp/9100': 'TCP 9100 (RAW)', 'tcp/443': 'TCP 443 (HTTPS)'}
    enabled = {'tcp/21': True, 'tcp/80': True, 'udp/9300': False, 'tcp/9100': True, 'tcp/443': True}
    rows = []
    for key in sorted(numbers, key=numbers.get):
        n = numbers[key]
        box = '<input type="checkbox" name="vac.255.GUIPORTENABLE.%d" id="p%d" value="1"%s>' % (
            n, n, ' checked' if enabled[key] else '')
        if style == 'for':
            rows.append('<tr><td>%s</td><td><label for="p%d">%s</label></td></tr>' % (box, n, labels[key]))
        elif style == 'wrap':
            rows.append('<div><label>%s %s</label></div>' % (box, labels[key]))
        else:
            rows.append('<tr><td>%s</td><td>%s</td></tr>' % (box, labels[key]))
    more = '''<input type="hidden" name="csrf_token" value="abc123">
<input type="hidden" name="vac.255.PAGEID" value="portaccess">
<select name="vac.255.PORTACCESSMODE"><option value="0">Standard</option><option value="1" selected>Custom</option></select>
<select name="vac.255.NOSELECTION"><option value="a">A</option><option value="b">B</option></select>
<input type="text" name="vac.255.PORTCOMMENT" value="a &amp; b">
<textarea name="vac.255.NOTES">line1
line2</textarea>
<input type="checkbox" name="vac.255.LOGPORTCHANGES" value="1" checked> Log
<input type="checkbox" name="vac.255.AUDIT" value="yes"> Audit
<input type="text" name="vac.255.DISABLED" value="x" disabled>
<input type="text" value="nameless">
<input type="submit" name="submit" value="Submit"><input type="submit" name="cancel" value="Cancel">
<input type="reset" name="reset" value="Reset">''' if extra else ''
    return ('<html><body><h1>TCP/IP Port Access</h1><form name="portaccess" method="post" '
            'action="/cgi-bin/dynamic/config/secure/ports.html">%s<table>%s</table></form></body></html>'
            % (more, '\n'.join(rows)))


NUMBERS_A = {'tcp/80': 3, 'tcp/21': 7, 'udp/9300': 12, 'tcp/9100': 1, 'tcp/443': 30}
NUMBERS_B = {'tcp/80': 3, 'tcp/21': 22, 'udp/9300': 2, 'tcp/9100': 17, 'tcp/443': 5}


# ------------------------------------------------------------------------------------------------ login

@pytest.mark.parametrize('page, kind, roles', [
    (LOGIN_FORM, 'form', {'username': 'username', 'password': 'password'}),
    (LOGIN_PASSWORD_ONLY, 'password', {'password': 'password'}),
    (SEARCH_THEN_LOGIN, 'form', {'username': 'user', 'password': 'pwd'}),
])
def test_login_form_kinds(page, kind, roles):
    form, found_kind, found_roles = ews_ports.login_form(ews_ports.parse_forms(page), PROFILE)
    assert found_kind == kind
    assert found_roles == roles


def test_login_fields_form_keeps_hidden_fields_and_submit():
    form, kind, roles = ews_ports.login_form(ews_ports.parse_forms(LOGIN_FORM), PROFILE)
    assert form['action'] == '/cgi-bin/posttest/login' and form['method'] == 'post'
    assert ews_ports.login_fields(form, roles, 'admin', 's3cret') == [
        ('redirect', '/cgi-bin/dynamic/config/secure/ports.html'), ('auth_type', 'account'),
        ('username', 'admin'), ('password', 's3cret'), ('login', 'Log In')]


def test_login_fields_password_only_ignores_username():
    form, kind, roles = ews_ports.login_form(ews_ports.parse_forms(LOGIN_PASSWORD_ONLY), PROFILE)
    assert ews_ports.login_fields(form, roles, 'admin', 'pw') == [('redirect', '/x'), ('password', 'pw')]


def test_login_form_needs_username_names_the_option():
    form, kind, roles = ews_ports.login_form(ews_ports.parse_forms(LOGIN_FORM), PROFILE)
    with pytest.raises(EwsError) as info:
        ews_ports.login_fields(form, roles, None, 'pw')
    assert info.value.field == 'username'


def test_no_login_form_and_unknown_password_input():
    assert ews_ports.login_form(ews_ports.parse_forms(ports_page(NUMBERS_A)), PROFILE) is None
    odd = '<form method=post><input type=password name=secret_code></form>'
    assert ews_ports.login_form(ews_ports.parse_forms(odd), PROFILE) is None
    custom = ews_profiles.merge_profile({'login_kinds': [{'name': 'code', 'fields': {'password': ['secret_code']}}]})
    assert ews_ports.login_form(ews_ports.parse_forms(odd), custom)[1] == 'code'


def test_login_failed_text():
    page = ews_ports.parse_page('<p class="error">Login failed: invalid credentials.</p>' + LOGIN_FORM)
    assert ews_ports.login_failed(page, PROFILE)
    assert ews_ports.login_failed(ews_ports.parse_page(LOGIN_FORM), PROFILE) is None
    assert ews_ports.is_login_page(page) and not ews_ports.is_login_page(ews_ports.parse_page(ports_page(NUMBERS_A)))


# ------------------------------------------------------------------------------------------------ ports

@pytest.mark.parametrize('style', ['for', 'wrap', 'row'])
@pytest.mark.parametrize('numbers', [NUMBERS_A, NUMBERS_B], ids=['numbering-a', 'numbering-b'])
def test_port_map_by_label_whatever_the_numbers(numbers, style):
    form = ews_ports.ports_form(ews_ports.parse_forms(ports_page(numbers, style)), PROFILE)
    mapped, unmapped = ews_ports.port_map(form, PROFILE)
    assert unmapped == []
    assert dict((k, e['field']) for k, e in mapped.items()) == dict(
        (k, 'vac.255.GUIPORTENABLE.%d' % n) for k, n in numbers.items())
    assert ews_ports.states(mapped) == {'tcp/21': 'enabled', 'tcp/443': 'enabled', 'tcp/80': 'enabled',
                                        'tcp/9100': 'enabled', 'udp/9300': 'disabled'}


@pytest.mark.parametrize('label, expected', [
    ('TCP 80 (HTTP)', ('tcp', 80)), ('  UDP   9300 (NPAP) ', ('udp', 9300)), ('tcp 6110 (LST handshake)', ('tcp', 6110)),
    ('HTTP (TCP 80)', ('tcp', 80)), ('NPAP - UDP port 9300', ('udp', 9300)), ('TCP:21 (FTP)', ('tcp', 21)),
    ('Telnet', None), ('TCP 99999 (bogus)', None), ('', None),
])
def test_label_port(label, expected):
    assert ews_ports.label_port(label, PROFILE) == expected


def test_unmapped_labels_are_reported_not_guessed():
    labels = {'tcp/80': 'TCP 80 (HTTP)', 'tcp/21': 'File transfer', 'udp/9300': 'UDP 9300 (NPAP)',
              'tcp/9100': 'TCP 9100 (RAW)', 'tcp/443': 'TCP 443 (HTTPS)'}
    form = ews_ports.ports_form(ews_ports.parse_forms(ports_page(NUMBERS_A, labels=labels)), PROFILE)
    mapped, unmapped = ews_ports.port_map(form, PROFILE)
    assert 'tcp/21' not in mapped
    assert unmapped == [{'field': 'vac.255.GUIPORTENABLE.7', 'label': 'File transfer'}]
    with pytest.raises(EwsError) as info:
        ews_ports.plan(mapped, {'tcp/21': 'disabled'}, unmapped)
    assert info.value.kind == 'form_changed'
    assert info.value.details['missing'] == ['tcp/21']
    assert 'File transfer' in str(info.value) and 'nothing was posted' in str(info.value)


def test_profile_whose_label_regex_matches_nothing():
    profile = ews_profiles.merge_profile({'label_patterns': [r'^NOTHING (?P<transport>tcp) (?P<port>\d+)$']})
    form = ews_ports.ports_form(ews_ports.parse_forms(ports_page(NUMBERS_A)), profile)
    mapped, unmapped = ews_ports.port_map(form, profile)
    assert mapped == {} and len(unmapped) == 5
    with pytest.raises(EwsError) as info:
        ews_ports.plan(mapped, {'tcp/21': 'disabled'}, unmapped)
    assert info.value.kind == 'form_changed'


def test_duplicate_labels_are_an_error():
    labels = {'tcp/80': 'TCP 80 (HTTP)', 'tcp/21': 'TCP 80 (HTTP again)', 'udp/9300': 'UDP 9300 (NPAP)',
              'tcp/9100': 'TCP 9100 (RAW)', 'tcp/443': 'TCP 443 (HTTPS)'}
    form = ews_ports.ports_form(ews_ports.parse_forms(ports_page(NUMBERS_A, labels=labels)), PROFILE)
    with pytest.raises(EwsError) as info:
        ews_ports.port_map(form, PROFILE)
    assert info.value.kind == 'form_changed'


def test_form_fields_preserve_every_other_field():
    form = ews_ports.ports_form(ews_ports.parse_forms(ports_page(NUMBERS_B)), PROFILE)
    mapped, dummy = ews_ports.port_map(form, PROFILE)
    changes = ews_ports.plan(mapped, {'tcp/21': 'disabled', 'udp/9300': 'enabled', 'tcp/80': 'enabled'})
    assert [(c['port'], c['before'], c['after']) for c in changes] == [
        ('tcp/21', 'enabled', 'disabled'), ('udp/9300', 'disabled', 'enabled')]
    fields = ews_ports.form_fields(form, checks=ews_ports.wanted_checks(changes))
    assert fields == [
        ('csrf_token', 'abc123'), ('vac.255.PAGEID', 'portaccess'), ('vac.255.PORTACCESSMODE', '1'),
        ('vac.255.NOSELECTION', 'a'), ('vac.255.PORTCOMMENT', 'a & b'), ('vac.255.NOTES', 'line1\nline2'),
        ('vac.255.LOGPORTCHANGES', '1'), ('submit', 'Submit'),
        # the port boxes in document order (sorted by number on this page): 2 udp/9300, 3 tcp/80, 5 tcp/443,
        # 17 tcp/9100, 22 tcp/21 (now unchecked: left out, as a browser does)
        ('vac.255.GUIPORTENABLE.2', '1'), ('vac.255.GUIPORTENABLE.3', '1'), ('vac.255.GUIPORTENABLE.5', '1'),
        ('vac.255.GUIPORTENABLE.17', '1')]


def test_form_fields_without_changes_is_the_page_as_is():
    form = ews_ports.ports_form(ews_ports.parse_forms(ports_page(NUMBERS_A, extra=False)), PROFILE)
    assert ews_ports.form_fields(form) == [('vac.255.GUIPORTENABLE.%d' % n, '1') for n in (1, 3, 7, 30)]


def test_no_ports_form():
    assert ews_ports.ports_form(ews_ports.parse_forms(LOGIN_FORM), PROFILE) is None


def test_unconfirmed():
    changes = [{'port': 'tcp/21', 'field': 'f', 'label': 'l', 'before': 'enabled', 'after': 'disabled'}]
    assert ews_ports.unconfirmed(changes, {'tcp/21': {'enabled': False}}) == []
    assert ews_ports.unconfirmed(changes, {'tcp/21': {'enabled': True}})[0]['read_back'] == 'enabled'
    assert ews_ports.unconfirmed(changes, {})[0]['read_back'] is None


# ------------------------------------------------------------------------------------------------ options

def test_parse_wanted_normalizes():
    assert ews_ports.parse_wanted({'TCP/21': 'Disabled', 'udp/09300': 'enabled'}) == {
        'tcp/21': 'disabled', 'udp/9300': 'enabled'}


@pytest.mark.parametrize('ports, field', [
    ({'tcp21': 'disabled'}, 'ports.tcp21'), ({'sctp/21': 'disabled'}, 'ports.sctp/21'),
    ({'tcp/0': 'disabled'}, 'ports.tcp/0'), ({'tcp/65536': 'disabled'}, 'ports.tcp/65536'),
    ({'tcp/21': 'off'}, 'ports.tcp/21'), ({'tcp/21': True}, 'ports.tcp/21'), ([], 'ports'),
])
def test_parse_wanted_names_the_field(ports, field):
    with pytest.raises(EwsError) as info:
        ews_ports.parse_wanted(ports)
    assert info.value.field == field
    assert info.value.kind == 'invalid_option'


def test_guard_rail_uses_the_port_matrix():
    wanted = {'tcp/443': 'disabled', 'tcp/21': 'disabled', 'udp/9300': 'enabled'}
    assert ews_ports.guard_rail(wanted, {'printer_protocols': ['https', 'snmp']}) == {'tcp/443': ['printer.https']}
    assert ews_ports.guard_rail(wanted, {'printer_protocols': ['http']}) == {'tcp/443': ['printer.http_443']}
    # the vendor's defaults need every printer protocol
    assert ews_ports.guard_rail(wanted) == {'tcp/21': ['printer.ftp'], 'tcp/443': ['printer.http_443', 'printer.https']}
    assert ews_ports.guard_rail({'tcp/9999': 'disabled'}) == {}


def test_profile_merge_and_errors():
    profile = ews_profiles.merge_profile({'ports_path': '/webglue/ports', 'port': 8443})
    assert profile['ports_path'] == '/webglue/ports' and profile['port'] == 8443
    assert profile['label_patterns'] == ews_profiles.DEFAULT_PROFILE['label_patterns']
    assert 'session_lost_status' in ews_profiles.public_profile(profile)
    assert '_compiled' not in ews_profiles.public_profile(profile)
    for bad, field in [({'label_patterns': ['(']}, 'profile.label_patterns[0]'),
                       ({'label_patterns': [r'TCP (\d+)']}, 'profile.label_patterns[0]'),
                       ({'nope': 1}, 'profile'), ({'port': 0}, 'profile.port'),
                       ({'ports_path': 'relative'}, 'profile.ports_path'),
                       ({'login_kinds': [{'name': 'x', 'fields': {'username': ['u']}}]}, 'profile.login_kinds[0].fields')]:
        with pytest.raises(ews_profiles.ProfileError) as info:
            ews_profiles.merge_profile(bad)
        assert info.value.field == field, bad


@pytest.mark.parametrize('value', ['AB' * 32, ':'.join(['ab'] * 32), ' '.join(['Ab'] * 32), 'sha256/' + 'ab' * 32])
def test_fingerprint_forms(value):
    assert ews_client.normalize_fingerprint(value) == 'ab' * 32


@pytest.mark.parametrize('value', ['ab' * 31, 'zz' * 32, 'ab' * 33])
def test_fingerprint_bad(value):
    with pytest.raises(EwsError) as info:
        ews_client.normalize_fingerprint(value)
    assert info.value.field == 'fingerprint'
