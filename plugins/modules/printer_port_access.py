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
  - With O(printers) instead of O(host) it does the same on a whole fleet in one task, O(concurrency) printers at a
    time, each with its own credentials when given, and returns one result per printer in RV(printers). Every
    option (every printer's host and fingerprint included) and the guard rail are checked before any printer is
    contacted; a printer that fails does not stop the others.
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
    description:
      - The diff shows every mapped port's state (V(enabled) or V(disabled)) before and after; with O(printers),
        keyed by printer.
extends_documentation_fragment:
  - printfleet.mve.results
options:
  host:
    description:
      - Address or DNS name of the printer.
      - Give O(host) or O(printers).
    type: str
  printers:
    description:
      - A whole fleet in one task, instead of O(host). Each printer's own O(printers[].username),
        O(printers[].password) and O(printers[].fingerprint) override the module-wide ones for that printer.
      - Give O(host) or O(printers). The task fails, listing them, when any printer failed; the others are done.
    type: list
    elements: dict
    suboptions:
      host:
        description: Address or DNS name of the printer. Each printer once.
        type: str
        required: true
      username:
        description: This printer's web user, over O(username).
        type: str
      password:
        description: This printer's web password, over O(password).
        type: str
      fingerprint:
        description: This printer's certificate fingerprint, over O(fingerprint).
        type: str
  concurrency:
    description: With O(printers), how many printers are worked on at the same time (1 to 256).
    type: int
    default: 32
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

- name: The whole fleet in one task, each printer with its own web password where the inventory has one
  printfleet.mve.printer_port_access:
    printers:
      - host: 192.0.2.10
      - host: 192.0.2.11
        password: "{{ vault_printer02_password }}"
    username: admin
    password: "{{ vault_printer_password }}"
    ca_path: /etc/pki/printers-ca.pem
    concurrency: 64
    features: "{{ mve_features }}"
    ports:
      tcp/21: disabled
  delegate_to: localhost
  register: port_access

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
printers:
  description:
    - With O(printers), the result of each printer (the keys below but RV(forced), which is the fleet's, plus
      C(failed), C(msg) and C(error_kind) for a printer that failed), keyed by printer.
  returned: when O(printers) is given
  type: dict
  sample: {'192.0.2.10': {changed: true, ports: {tcp/21: disabled}, changes: [{port: tcp/21, before: enabled,
           after: disabled}], verified: true}}
failed_printers:
  description: With O(printers), the printers whose work failed.
  returned: when O(printers) is given
  type: list
  elements: str
  sample: ['192.0.2.99']
ports:
  description: The state of every port the form has a checkbox for, after the run (as planned, in check mode).
  returned: success, when O(host) is given
  type: dict
  sample: {tcp/21: disabled, tcp/80: enabled, udp/9300: enabled}
changes:
  description: The ports whose state changed (or would, in check mode).
  returned: success when O(host) is given, and on failure when the printer did not take the form
    (RV(error_kind=not_taken))
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
  returned: success when O(host) is given, and on failure when a port of O(ports) has no checkbox
    (RV(error_kind=form_changed))
  type: list
  elements: dict
  sample: [{field: vac.255.GUIPORTENABLE.12, label: Telnet}]
login_kind:
  description: The login the printer asked for, V(form) (user name and password) or V(password), or V(none).
  returned: success, when O(host) is given
  type: str
  sample: form
url:
  description: The port-access page.
  returned: success, when O(host) is given
  type: str
  sample: https://192.0.2.10:443/cgi-bin/dynamic/config/secure/ports.html
tls:
  description: The printer's certificate fingerprint and how it was trusted (V(validated) or V(pinned)).
  returned: success, when O(host) is given
  type: dict
  sample: {fingerprint_sha256: 3a9f..., validated: true, pinned: false, version: TLSv1.3}
forced:
  description: The ports disabled although MVE needs them (O(force)), with the port-matrix flows that need them.
  returned: success
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
      V(certificate_invalid), V(tls_failed), V(unreachable), V(timeout), V(http_error), V(unexpected_redirect),
      V(not_taken), or V(invalid_option) for bad options (this module's word for V(input), see the notes).
    - With O(printers), a failed printer's own C(error_kind) is in RV(printers).
  returned: on failure, except when printers of O(printers) failed
  type: str
  sample: form_changed
missing:
  description: The ports of O(ports) that have no checkbox on the printer's form (nothing was posted).
  returned: on failure, when a port of O(ports) has no checkbox (RV(error_kind=form_changed))
  type: list
  elements: str
  sample: [tcp/12345]
fingerprint_sha256:
  description: SHA-256 fingerprint (hex) of the certificate that failed validation, ready for O(fingerprint).
  returned: on failure, when the printer's certificate did not validate (RV(error_kind=certificate_invalid))
  type: str
  sample: 3a9f0c...
field:
  description:
    - The option a failure is about, as the user wrote it (for example C(port), C(targets[3].port),
      C(peers.printer[2]), C(username)); see the notes.
  returned: on failure, when the failure is about an option
  type: str
  sample: port
'''

from ansible_collections.printfleet.mve.plugins.module_utils.printers import fleet, port_access
from ansible_collections.printfleet.mve.plugins.module_utils.printers.ews_pages import EwsError
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import failure


def main():
    module = port_access.ARGUMENT_SPEC.create_module()
    if module.params['printers'] is not None:
        fleet_main(module)
    try:
        result = port_access.run(module.params, module.check_mode, module.warn)
    except EwsError as exc:
        module.fail_json(changed=fleet.sent(exc), **failure(exc))
    if not module._diff:
        result.pop('diff', None)
    module.exit_json(**result)


def fleet_main(module):
    """O(printers): every printer in one task; fails listing the printers that failed (the others are done)."""
    try:
        printers, forced = port_access.run_fleet(module.params, module.check_mode, module.warn)
    except EwsError as exc:   # bad input or the guard rail: nothing was sent to any printer
        module.fail_json(changed=False, **failure(exc))
    diffs = dict((h, r.pop('diff')) for h, r in printers.items() if 'diff' in r)
    changed, failed, msg = fleet.outcome(printers)
    result = dict(changed=changed, printers=printers, failed_printers=failed, forced=forced)
    if module._diff:
        result['diff'] = fleet.diff(diffs)
    if msg:
        module.fail_json(msg=msg, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
