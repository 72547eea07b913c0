# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The SNMP options shared by printer_snmp and printer_facts (argument spec: snmp_client.argument_spec)."""

    DOCUMENTATION = r'''
options:
  port:
    description:
      - UDP port of the SNMP agent.
      - Defaults to the port of the port matrix flow C(printer.snmp) (UDP 161, see the
        P(printfleet.mve.mve_flows#lookup) lookup).
    type: int
  version:
    description: SNMP version. When unset, V(2c).
    type: str
    choices: ['1', '2c', '3']
  community:
    description:
      - SNMP v1/v2c community. When unset, V(public).
      - Use the write community for O(ignore:set).
      - An agent silently drops a request with a wrong community, so a wrong community is reported as a timeout.
    type: str
  username:
    description: SNMPv3 user name; required when O(version=3).
    type: str
  auth_protocol:
    description: SNMPv3 authentication protocol. When unset and O(auth_key) is given, V(sha).
    type: str
    choices: [md5, sha, sha224, sha256, sha384, sha512]
  auth_key:
    description:
      - SNMPv3 authentication pass phrase, at least 8 characters. Without it the user is noAuthNoPriv.
    type: str
  priv_protocol:
    description:
      - SNMPv3 privacy protocol. When unset and O(priv_key) is given, V(aes) (AES-128).
      - V(aes192) and V(aes256) extend short keys as net-snmp does (draft-blumenthal-aes-usm-04).
    type: str
    choices: [des, 3des, aes, aes192, aes256]
  priv_key:
    description: SNMPv3 privacy pass phrase, at least 8 characters; needs O(auth_key) too.
    type: str
  context:
    description: SNMPv3 context name. When unset, the default (empty) context.
    type: str
  timeout:
    description: Seconds to wait for each reply before resending.
    type: float
    default: 2.0
  retries:
    description: How many times a request is resent after a silent O(timeout).
    type: int
    default: 1
notes:
  - Printers run no Python. The module runs where the task runs (usually the controller or the MVE server,
    through C(delegate_to) or a local connection) and talks SNMP to the printers over the network.
  - The community and the SNMPv3 keys are never copied into the results.
requirements:
  - pysnmp >= 7.1 and pyasn1
'''

    HOST = r'''
options:
  host:
    description: Host name or IP address (IPv4 or IPv6) of the printer.
    type: str
    required: true
'''
