#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: printer_port_access
short_description: Enable and disable a printer's TCP/UDP ports through its embedded web server (HTTPS)
version_added: 0.1.0
description:
  - Sets the "TCP/IP Port Access" page of a Lexmark printer's embedded web server (EWS) over HTTPS, the way an
    administrator would in a browser.
  - Requests the port-access page, follows the redirect to whatever login page the printer serves, logs in (a form
    with user name and password, or password only as on some models), reads and parses the port-access form, maps
    each checkbox to its port by its label (for example "TCP 21 (FTP)"), sets the wanted states, posts the form
    back with every other field preserved, then reads the page again and fails when the printer did not take a
    state.
  - Field numbers (C(vac.255.GUIPORTENABLE.<n>)) are never assumed, only the labels identify the ports. Paths,
    login forms and label patterns come from a data profile (Lexmark's by default) that O(profile) extends for
    other models.
  - 'Guard rail: by default the module refuses to disable a port that the Markvision Enterprise port matrix says
    MVE needs for O(features), and names the flows; O(force) overrides it.'
  - Runs on the controller (or a delegate), since printers run no Python.
author:
  - printfleet.mve contributors (@printfleet)
attributes:
  check_mode:
    support: full
    description: In check mode the module logs in, reads the form and reports the changes it would make; it posts
      nothing.
  diff_mode:
    support: full
    description: The diff shows every mapped port's state (V(enabled) or V(disabled)) before and after.
options:
  host:
    description: Address or DNS name of the printer.
    type: str
    required: true
  username:
    description:
      - User name for a login form that asks for one. Ignored when the printer asks for a password only.
    type: str
  password:
    description: The EWS password (of O(username), or the device password on password-only models).
    type: str
  ports:
    description:
      - Wanted port states, keyed C(tcp/<port>) or C(udp/<port>), each V(enabled) or V(disabled). Ports not
        listed keep their state.
      - Every listed port must have a checkbox on the printer's form, or the module fails and posts nothing.
    type: dict
    required: true
  features:
    description:
      - The deployment's features, as for the port matrix (keys C(database), C(smtp), C(directory), C(kerberos),
        C(printer_protocols), C(ports)). The guard rail refuses to disable a printer port that a flow needed for
        these features uses. Omitted, the vendor's defaults apply (every printer protocol is needed).
    type: dict
  force:
    description: Disable ports even when the port matrix says MVE needs them for O(features).
    type: bool
    default: false
  validate_certs:
    description:
      - Validate the printer's certificate chain and name (system store, or O(ca_path)).
      - Not needed to be false for self-signed printer certificates, pin them with O(fingerprint) instead.
    type: bool
    default: true
  ca_path:
    description: A CA file (PEM) or a hashed CA directory to validate the printer's certificate with.
    type: path
  fingerprint:
    description:
      - SHA-256 fingerprint of the printer's certificate, hex with or without colons, any case. When given, the
        certificate must match it, and chain and name validation are not required (O(validate_certs) and
        O(ca_path) are not used).
      - A certificate that fails validation is reported with its fingerprint, ready to pin.
    type: str
  timeout:
    description: Seconds to wait for each HTTPS connection and answer.
    type: float
    default: 10.0
  profile:
    description:
      - Merged over the default Lexmark profile (dicts merged, lists replaced). Keys C(ports_path), C(port)
        (default the port matrix's C(printer.https) port), C(port_field_pattern), C(label_patterns) (regexes with
        the named groups C(transport) and C(port)), C(login_kinds), C(login_failed_patterns),
        C(session_lost_status). See the collection's C(docs/printer_https.md).
    type: dict
    default: {}
notes:
  - Disabling the HTTPS port the module talks over cuts it off. The printer is then not read back (RV(verified) is
    false and a warning says so), and re-enabling it needs the printer's panel or another management path. The guard
    rail refuses it unless O(force) is set.
seealso:
  - module: printfleet.mve.port_check
  - module: printfleet.mve.printer_snmp
'''

EXAMPLES = r'''
- name: Disable FTP and keep NPAP on, on a printer whose certificate the company CA signed
  printfleet.mve.printer_port_access:
    host: "{{ ansible_host }}"
    username: admin
    password: "{{ vault_printer_password }}"
    ca_path: /etc/pki/printers-ca.pem
    features:
      printer_protocols: [npap, xmlnt, lst, mdns, snmp, http, https, raw]
    ports:
      tcp/21: disabled
      udp/9300: enabled
  delegate_to: localhost

- name: A printer with its self-signed certificate, pinned
  printfleet.mve.printer_port_access:
    host: 192.0.2.10
    password: "{{ vault_printer_password }}"
    fingerprint: "3A:9F:...:C4"
    ports:
      tcp/21: disabled
    features: "{{ mve_features }}"
  delegate_to: localhost

- name: Another model whose labels read "FTP (port 21/TCP)"
  printfleet.mve.printer_port_access:
    host: 192.0.2.11
    password: "{{ vault_printer_password }}"
    ca_path: /etc/pki/printers-ca.pem
    profile:
      ports_path: /webglue/portaccess
      label_patterns:
        - 'port (?P<port>\d+)/(?P<transport>tcp|udp)'
    ports:
      tcp/21: disabled
    features: "{{ mve_features }}"
  delegate_to: localhost
'''

RETURN = r'''
ports:
  description: The state of every port the form has a checkbox for, after the run (as planned, in check mode).
  returned: success
  type: dict
  sample: {tcp/21: disabled, tcp/80: enabled, udp/9300: enabled}
changes:
  description: The ports whose state changed (or would, in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    port:
      description: C(tcp/<port>) or C(udp/<port>).
      type: str
      sample: tcp/21
    field:
      description: The checkbox's field name on this printer.
      type: str
      sample: vac.255.GUIPORTENABLE.7
    label:
      description: The checkbox's label.
      type: str
      sample: TCP 21 (FTP)
    before:
      description: V(enabled) or V(disabled).
      type: str
    after:
      description: V(enabled) or V(disabled).
      type: str
unmapped:
  description: Port checkboxes whose label no label pattern of the profile matches (left as they are).
  returned: success
  type: list
  elements: dict
  sample: [{field: vac.255.GUIPORTENABLE.12, label: Telnet}]
login_kind:
  description: The login the printer asked for, V(form) (user name and password) or V(password), or V(none).
  returned: success
  type: str
  sample: form
url:
  description: The port-access page.
  returned: always
  type: str
  sample: https://192.0.2.10:443/cgi-bin/dynamic/config/secure/ports.html
tls:
  description: The printer's certificate fingerprint and how it was trusted (V(validated) or V(pinned)).
  returned: success
  type: dict
  sample: {fingerprint_sha256: 3a9f..., validated: true, pinned: false, version: TLSv1.3}
forced:
  description: The ports disabled although MVE needs them (O(force)), with the port-matrix flows that need them.
  returned: always
  type: dict
  sample: {tcp/443: [printer.https]}
verified:
  description:
    - After posting, whether the printer was read back and confirmed every change. False only when the module
      disabled the HTTPS port it talks over (it cannot read the printer back then).
  returned: when the form was posted
  type: bool
blocked:
  description: On a guard-rail refusal, the refused ports and the port-matrix flows that need them.
  returned: on failure
  type: dict
  sample: {tcp/443: [printer.http_443, printer.https]}
error_kind:
  description:
    - Why the module failed, for example V(guard_rail), V(login_refused), V(form_changed), V(tls_pin_mismatch),
      V(certificate_invalid), V(unreachable), V(timeout), V(not_taken), V(invalid_option).
  returned: on failure
  type: str
  sample: form_changed
'''

from urllib.parse import urljoin

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.printfleet.mve.plugins.module_utils.printers import ews_pages as ews_ports
from ansible_collections.printfleet.mve.plugins.module_utils.printers import ews_profiles
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
from ansible_collections.printfleet.mve.plugins.module_utils.printers.ews_client import EwsClient
from ansible_collections.printfleet.mve.plugins.module_utils.printers.ews_pages import EwsError


def argument_spec():
    return dict(
        host=dict(type='str', required=True),
        username=dict(type='str'),
        password=dict(type='str', no_log=True),
        ports=dict(type='dict', required=True),
        features=dict(type='dict'),
        force=dict(type='bool', default=False),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        fingerprint=dict(type='str'),
        timeout=dict(type='float', default=10.0),
        profile=dict(type='dict', default={}),
    )


class PortAccess(object):
    """One printer's port-access page: read (logging in as needed), plan, post, verify."""

    def __init__(self, client, profile, username, password):
        self.client, self.profile = client, profile
        self.username, self.password = username, password
        self.login_kind = 'none'

    def _page(self, page):
        return ews_ports.parse_page(page.body)

    def _login(self, page, parsed):
        found = ews_ports.login_form(parsed['forms'], self.profile)
        if found is None:
            raise EwsError('login_refused', 'the printer answered %s with a login page this profile does not know (no '
                           'form with a password input that a login kind fits)' % page.path)
        form, kind, roles = found
        self.login_kind = kind
        fields = ews_ports.login_fields(form, roles, self.username, self.password)
        method = 'POST' if form['method'] == 'post' else 'GET'
        target = urljoin(page.url, form['action']) if form['action'] else page.url
        answer = self.client.request(method, target, fields)
        refused = ews_ports.login_failed(self._page(answer), self.profile)
        if refused or answer.status in self.profile['session_lost_status']:
            raise EwsError('login_refused', 'login refused by the printer (%s login at %s): %s' % (
                kind, page.path.split('?', 1)[0], refused or 'HTTP %d' % answer.status))

    def read(self):
        """(page, parsed, form) of the port-access page, logging in when the printer asks."""
        path = self.profile['ports_path']
        logged_in = False
        for dummy in range(2):
            page = self.client.request('GET', path)
            parsed = self._page(page)
            lost = page.status in self.profile['session_lost_status']
            if ews_ports.is_login_page(parsed) or lost:
                if logged_in:
                    raise EwsError('login_refused', 'login refused: after logging in (%s login), the printer still '
                                   'answers %s with %s' % (self.login_kind, path, 'its login page' if not lost
                                                           else 'HTTP %d' % page.status))
                if lost and not ews_ports.is_login_page(parsed):
                    raise EwsError('login_refused', 'the printer answers %s with HTTP %d and no login page'
                                   % (path, page.status))
                self._login(page, parsed)
                logged_in = True
                continue
            if page.status != 200:
                raise EwsError('http_error', 'the printer answers %s with HTTP %d' % (page.path, page.status))
            form = ews_ports.ports_form(parsed['forms'], self.profile)
            if form is None:
                raise EwsError('form_changed', 'no port-access form at %s (no checkbox matches the profile\'s '
                               'port_field_pattern %r); nothing was posted' % (page.path,
                                                                               self.profile['port_field_pattern']))
            return page, form
        raise EwsError('login_refused', 'could not reach the port-access page after logging in')  # pragma: no cover

    def post(self, page, form, changes, follow=True):
        """Post the form; ``follow=False`` when the printer is about to stop serving the page (the answer's
        redirect could not be followed)."""
        fields = ews_ports.form_fields(form, checks=ews_ports.wanted_checks(changes))
        target = urljoin(page.url, form['action']) if form['action'] else page.url
        answer = self.client.request('POST' if form['method'] == 'post' else 'GET', target, fields, follow=follow)
        if answer.status >= 400:
            raise EwsError('not_taken', 'the printer refused the port-access form: HTTP %d' % answer.status,
                           changes=changes)
        if follow and ews_ports.is_login_page(self._page(answer)):
            raise EwsError('login_refused', 'the printer answered the port-access form with its login page: the '
                           'session ended before the form was taken', changes=changes)
        return answer


def run(module_params, check_mode, warn):
    params = dict(module_params)
    wanted = ews_ports.parse_wanted(params['ports'])
    try:
        profile = ews_profiles.merge_profile(params['profile'])
    except ews_profiles.ProfileError as exc:
        raise EwsError('invalid_option', str(exc), field=exc.field)
    try:
        blocked = ews_ports.guard_rail(wanted, params['features'])
    except port_matrix.MatrixError as exc:
        raise EwsError('invalid_option', str(exc), field=exc.field)
    if blocked and not params['force']:
        raise EwsError('guard_rail', 'refusing to disable %s: the port matrix says MVE needs %s with %s; nothing was '
                       'sent. Set force: true to disable anyway, or leave the protocol out of '
                       'features.printer_protocols' % (
                           ', '.join(sorted(blocked)),
                           '; '.join('%s for %s' % (k, ', '.join(v)) for k, v in sorted(blocked.items())),
                           'the given features' if params['features'] else
                           "the vendor's default features (every printer protocol)"),
                       blocked=blocked)
    if blocked:
        warn('force: disabling %s although MVE needs it (%s)' % (
            ', '.join(sorted(blocked)), '; '.join('%s: %s' % (k, ', '.join(v)) for k, v in sorted(blocked.items()))))
    port = profile['port'] or port_matrix.get_flow('printer.https')['destination_port']
    client = EwsClient(params['host'], port, timeout=params['timeout'], validate_certs=params['validate_certs'],
                       ca_path=params['ca_path'], fingerprint=params['fingerprint'])
    result = {'changed': False, 'changes': [], 'url': client.url(profile['ports_path']), 'forced': blocked}
    access = PortAccess(client, profile, params['username'], params['password'])
    page, form = access.read()
    mapped, unmapped = ews_ports.port_map(form, profile)
    changes = ews_ports.plan(mapped, wanted, unmapped)
    before = ews_ports.states(mapped)
    after = dict(before)
    after.update((c['port'], c['after']) for c in changes)
    result.update(changes=changes, changed=bool(changes), unmapped=unmapped, login_kind=access.login_kind,
                  ports=after, tls=client.tls, diff={'before': before, 'after': after})
    if not changes or check_mode:
        return result
    own = 'tcp/%d' % port
    cut_off = any(c['port'] == own and c['after'] == 'disabled' for c in changes)
    access.post(page, form, changes, follow=not cut_off)
    if cut_off:
        warn('%s is the port this module talks to the printer over: it is now disabled, so the printer was not read '
             'back' % own)
        result['verified'] = False
        return result
    dummy, form_after = access.read()
    mapped_after, dummy = ews_ports.port_map(form_after, profile)
    bad = ews_ports.unconfirmed(changes, mapped_after)
    if bad:
        raise EwsError('not_taken', 'the printer accepted the form but did not take %s (read back: %s)' % (
            ', '.join('%s=%s' % (c['port'], c['after']) for c in bad),
            ', '.join('%s=%s' % (c['port'], c['read_back']) for c in bad)), changes=changes)
    result['verified'] = True
    result['ports'] = ews_ports.states(mapped_after)
    result['diff']['after'] = result['ports']
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result = run(module.params, module.check_mode, module.warn)
    except EwsError as exc:
        extra = dict(exc.extra)
        if exc.field:
            extra['field'] = exc.field
        module.fail_json(msg=str(exc), error_kind=exc.kind, **extra)
    if not module._diff:
        result.pop('diff', None)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
