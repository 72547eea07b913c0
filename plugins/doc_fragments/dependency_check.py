# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Options and attributes shared by database_check, smtp_check, ldap_check and kerberos_check."""

    DOCUMENTATION = r'''
options:
  host:
    description:
      - Host name or address of the server to check, as MVE will be configured with it.
    type: str
    required: true
  port:
    description:
      - Port of the server. Defaults to the vendor's default for the protocol, from the port matrix
        (see the P(printfleet.mve.mve_flows#lookup) lookup).
    type: int
  timeout:
    description:
      - Seconds to wait for the connection and for each reply.
    type: float
    default: 5.0
  validate_certs:
    description:
      - Verify the server's TLS certificate (chain and host name) when TLS is used.
      - When V(false) the TLS facts are still reported, with C(tls.validated) false.
    type: bool
    default: true
  ca_path:
    description:
      - CA bundle file (PEM) or hashed CA directory to verify the server's certificate with,
        instead of the system's trust store.
    type: path
  fail_on_error:
    description:
      - Fail the task when the check's verdict C(ok) is V(false).
      - With V(false) the task succeeds and the verdict is in C(ok) and C(reason).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: The check never changes anything; check mode runs the same check.
  diff_mode:
    support: none
    description: The check changes nothing, so it has no diff to show.
'''
