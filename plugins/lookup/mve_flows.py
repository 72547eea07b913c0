# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: mve_flows
author:
  - printfleet.mve contributors (@printfleet)
version_added: 0.1.0
short_description: The network flows of a Markvision Enterprise deployment, from the vendor's port table
description:
  - Returns the flows of the Lexmark Markvision Enterprise (MVE) port matrix, the vendor's
    "Understanding ports and protocols" table kept as data in the collection, one dict per flow.
  - A flow is one directed communication; O(source) opens it from RV(_raw[].source_port) towards
    O(destination) on RV(_raw[].destination_port).
  - Called without terms or options, returns every flow of the vendor's table, in the vendor's order,
    with the vendor's default ports.
  - With O(features), returns only the flows that this deployment needs, with the port overrides of
    O(features.ports) applied. The other options filter further; all filters combine (logical AND).
  - Positional terms are flow ids (for example V(printer.snmp)); when given, only those flows are returned.
  - Bad input (an unknown feature key, value, endpoint, transport or flow id, a port outside 1-65535, an override
    of a port that the vendor does not list as user-defined) fails with a message naming the option and
    the accepted values.
  - The return value is a list of dicts. Use C(query) or C(lookup(..., wantlist=True)) to always get a list.
options:
  _terms:
    description:
      - Flow ids to return, for example V(printer.snmp) or V(db.sqlserver). Combined with O(ids).
    type: list
    elements: str
    required: false
  features:
    description:
      - The choices of one deployment. Missing keys take the defaults listed below.
      - When omitted, no feature filter applies and every flow is returned with the vendor's default ports.
      - When given (even as an empty dict), only the flows needed by these features are returned.
    type: dict
    suboptions:
      database:
        description:
          - The MVE database. V(firebird) (the bundled database) or V(sqlserver).
        type: str
        default: firebird
      smtp:
        description:
          - The encryption of the SMTP server that MVE sends e-mail through, or V(off) when e-mail is not
            configured. One of V(off), V(none) (plain SMTP, TCP 25), V(ssl) (TCP 465), V(starttls) (TCP 587).
        type: str
        default: 'off'
      directory:
        description:
          - How MVE authenticates users against a directory. One of V(off), V(ldap) (TCP 389), V(ldaps) (TCP 636).
        type: str
        default: 'off'
      kerberos:
        description:
          - Whether MVE authenticates users with Kerberos (UDP 88 towards the KDC).
        type: bool
        default: false
      printer_protocols:
        description:
          - The printer protocols that MVE uses, a list drawn from V(npap), V(xmlnt), V(lst), V(mdns), V(snmp),
            V(ftp), V(http), V(https), V(raw) (a comma-separated string is accepted too).
          - The vendor asks that all the printer ports be enabled, so the default is all of them.
        type: list
        elements: str
        default: [npap, xmlnt, lst, mdns, snmp, ftp, http, https, raw]
      ports:
        description:
          - Port overrides, a dict of flow id to destination port (1-65535).
          - Only the flows whose port the vendor lists as user-defined accept an override
            (V(db.sqlserver), V(smtp.none), V(smtp.ssl), V(smtp.starttls), V(directory.ldap),
            V(directory.ldaps), V(directory.kerberos)).
          - An override applies to the returned flow when the features select it.
        type: dict
        default: {}
  source:
    description:
      - Only flows opened by these endpoints.
      - Endpoints are V(mve_server), V(printer), V(database), V(smtp), V(ldap), V(kdc), V(browser).
    type: list
    elements: str
  destination:
    description:
      - Only flows towards these endpoints (same endpoint names as O(source)).
    type: list
    elements: str
  endpoint:
    description:
      - Only flows where one of these endpoints is either side (same endpoint names as O(source)).
    type: list
    elements: str
  transport:
    description:
      - Only flows over these transports, V(tcp) or V(udp).
    type: list
    elements: str
  ids:
    description:
      - Only the flows with these ids. Combined with the positional terms.
    type: list
    elements: str
notes:
  - The port numbers live once, in the collection's C(port_matrix) module_utils; this lookup, the roles and
    the generated C(docs/ports.md) all read them from there.
seealso:
  - name: Markvision Enterprise ports and protocols (docs/ports.md)
    description: The generated port reference of this collection, with the vendor's anomalies explained.
    link: https://github.com/printfleet/mve/blob/main/docs/ports.md
"""

EXAMPLES = r"""
- name: Every flow of the vendor's table
  ansible.builtin.debug:
    msg: "{{ query('printfleet.mve.mve_flows') }}"

- name: The flows an SQL Server deployment on a non-default port needs towards its database
  ansible.builtin.debug:
    msg: "{{ query('printfleet.mve.mve_flows', features=mve_features, destination='database') }}"
  vars:
    mve_features:
      database: sqlserver
      ports:
        db.sqlserver: 1533

- name: The UDP ports that the MVE server sends to on printers, for SNMP and NPAP only
  ansible.builtin.debug:
    msg: >-
      {{ lookup('printfleet.mve.mve_flows', features={'printer_protocols': ['snmp', 'npap']},
                source='mve_server', destination='printer', transport='udp', wantlist=True)
         | map(attribute='destination_port') | list }}

- name: Two flows by id
  ansible.builtin.debug:
    msg: "{{ query('printfleet.mve.mve_flows', 'printer.snmp', 'alerts.npap') }}"

- name: Inbound flows the MVE server's firewall must allow, for a deployment with LDAPS and STARTTLS mail
  ansible.builtin.debug:
    msg: "{{ query('printfleet.mve.mve_flows', features=mve_features, destination='mve_server') }}"
  vars:
    mve_features:
      smtp: starttls
      directory: ldaps
"""

RETURN = r"""
_raw:
  description:
    - One dict per flow, in the order of the vendor's table.
  type: list
  elements: dict
  contains:
    id:
      description: Stable flow id, C(<group>.<name>), for example V(printer.snmp).
      type: str
      sample: printer.snmp
    section:
      description:
        - The vendor's table section the flow comes from, one of V(server_to_printer), V(printer_to_server),
          V(server_to_database), V(client_to_server), V(server_to_mail), V(server_to_ldap).
      type: str
      sample: server_to_printer
    protocol:
      description: The protocol, as abbreviated by the vendor (the database rows name the database product).
      type: str
      sample: SNMP
    transport:
      description: V(tcp) or V(udp).
      type: str
      sample: udp
    source:
      description: The endpoint that opens the flow.
      type: str
      sample: mve_server
    source_port:
      description: The source port, an int, or V(ephemeral).
      type: raw
      sample: ephemeral
    destination:
      description: The endpoint that the flow is opened towards.
      type: str
      sample: printer
    destination_port:
      description: The destination port (with the O(features.ports) override applied), an int, or V(ephemeral).
      type: raw
      sample: 161
    configurable:
      description: True when the vendor lists the port as user-defined (it accepts an O(features.ports) override).
      type: bool
      sample: false
    purpose:
      description: What the flow is used for, in the vendor's words.
      type: str
      sample: Discovering and communicating with Lexmark and third-party network printers
    feature:
      description:
        - The feature choice that needs this flow, C(<key>=<value>), for example V(database=sqlserver);
          null when every deployment needs it.
      type: str
      sample: printer_protocols=snmp
    note:
      description: How the collection reads a vendor anomaly of this row, or null.
      type: str
      sample: null
    probe:
      description: The protocol probe that proves the flow (V(none) for a plain TCP connect or no probe).
      type: str
      sample: snmp
    advisory:
      description: True when a closed port for this flow is reported as advisory only (a vendor anomaly).
      type: bool
      sample: false
"""

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.lookup import LookupBase

from ansible_collections.printfleet.mve.plugins.module_utils.matrix.port_matrix import (
    MatrixError,
    select_flows,
)


_OPTIONS = ('features', 'source', 'destination', 'endpoint', 'transport', 'ids')


def _flatten_terms(terms):
    out = []
    for term in terms or []:
        if isinstance(term, (list, tuple)):
            out.extend(_flatten_terms(term))
        else:
            out.append(to_native(term))
    return out


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        unknown = sorted(set(kwargs) - set(_OPTIONS))
        if unknown:
            raise AnsibleLookupError('printfleet.mve.mve_flows: unknown option(s) %s; accepted options: %s'
                                     % (', '.join(unknown), ', '.join(_OPTIONS)))
        self.set_options(var_options=variables, direct=kwargs)
        ids = _flatten_terms(terms) + _flatten_terms(self.get_option('ids'))
        try:
            return select_flows(
                features=self.get_option('features'),
                source=self.get_option('source'),
                destination=self.get_option('destination'),
                transport=self.get_option('transport'),
                endpoint=self.get_option('endpoint'),
                ids=ids or None,
            )
        except MatrixError as exc:
            raise AnsibleLookupError('printfleet.mve.mve_flows: %s' % to_native(exc))
