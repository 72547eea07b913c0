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
extends_documentation_fragment:
  - printfleet.mve.results
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
  returned: success, and on failure when the printer did not take the form (RV(error_kind=not_taken))
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
  returned: success, and on failure when a port of O(ports) has no checkbox (RV(error_kind=form_changed))
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
  returned: success
  type: str
  sample: https://192.0.2.10:443/cgi-bin/dynamic/config/secure/ports.html
tls:
  description: The printer's certificate fingerprint and how it was trusted (V(validated) or V(pinned)).
  returned: success
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
  returned: on failure
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

from ansible_collections.printfleet.mve.plugins.module_utils.printers import port_access
from ansible_collections.printfleet.mve.plugins.module_utils.printers.ews_pages import EwsError
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import failure


def main():
    module = port_access.ARGUMENT_SPEC.create_module()
    try:
        result = port_access.run(module.params, module.check_mode, module.warn)
    except EwsError as exc:
        module.fail_json(changed=bool(getattr(exc, 'sent', False)), **failure(exc))
    if not module._diff:
        result.pop('diff', None)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
