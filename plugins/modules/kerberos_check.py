#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: kerberos_check
short_description: Prove that a Kerberos KDC serves the realm MVE will use, and measure the clock skew
version_added: 0.1.0
description:
  - Sends a Kerberos AS-REQ (RFC 4120) without pre-authentication for O(principal) in O(realm) to the KDC,
    over UDP, TCP or both, and classifies each reply.
  - An C(AS-REP) means the principal is known and needs no pre-authentication; C(KDC_ERR_PREAUTH_REQUIRED)
    means it is known and needs pre-authentication (the usual case, always so in Active Directory);
    C(KDC_ERR_C_PRINCIPAL_UNKNOWN) means it is unknown; C(KDC_ERR_WRONG_REALM), or an unknown C(krbtgt/REALM),
    means the KDC does not serve the realm.
  - Some KDCs (MIT krb5kdc among them) answer C(KDC_ERR_C_PRINCIPAL_UNKNOWN) for a realm they do not serve
    as well. So after that answer the module sends a second AS-REQ, for C(krbtgt/REALM), the one principal
    every realm a KDC serves has. If that is unknown too, the realm is refused
    (RV(principal_state=unknown_realm)); otherwise the principal alone is unknown.
  - The KDC's clock comes from the time (stime, susec) of its KRB-ERROR and is compared with this host's
    clock, against the middle of the exchange. An AS-REP carries no clear-text time, so when every transport
    got one, a further AS-REQ for the non-existent principal C(printfleet-clock-probe) reads the clock.
  - The check never authenticates, so it needs no password, and it changes nothing.
  - The verdict RV(ok) is true when every requested transport answered with a Kerberos message, the realm
    is served, the clock skew is within O(max_skew), and (with O(require_principal)) the principal exists
    and can log in. An unknown principal fails when you named it (see O(require_principal)).
author:
  - printfleet.mve contributors (@printfleet)
requirements:
  - pyasn1 >= 0.4.8
extends_documentation_fragment:
  - printfleet.mve.dependency_check
  - printfleet.mve.results
options:
  port:
    description:
      - Port of the KDC, for both UDP and TCP. Defaults to the port of flow C(directory.kerberos) of the port
        matrix (see the P(printfleet.mve.mve_flows#lookup) lookup).
    type: int
  validate_certs:
    description:
      - Ignored. Kerberos does not use TLS; the option exists so that every dependency check takes the same
        options.
    type: bool
    default: true
  ca_path:
    description:
      - Ignored. Kerberos does not use TLS; the option exists so that every dependency check takes the same
        options.
    type: path
  realm:
    description:
      - Kerberos realm MVE authenticates in, for example C(EXAMPLE.COM).
      - Realm names are case-sensitive; an Active Directory realm is the upper-case DNS domain name.
    type: str
    required: true
  principal:
    description:
      - Client principal to ask a ticket for, without the realm (C(mve-svc), C(HTTP/mve.example.com)), or
        with the same realm as O(realm) (C(mve-svc@EXAMPLE.COM)).
      - The default names a principal that should not exist. The KDC still proves that it is alive and serves
        the realm; set it to the account MVE uses to learn whether that account exists and needs
        pre-authentication.
    type: str
    default: printfleet-probe
  transport:
    description:
      - Where to send the AS-REQ. V(both) sends it over UDP, then over TCP; each must answer.
      - The MVE port table lists UDP only, but Kerberos clients retry over TCP when a reply is too big for
        UDP (common with Active Directory group memberships), so V(both) is the default.
    type: str
    choices: [udp, tcp, both]
    default: both
  max_skew:
    description:
      - Largest clock difference, in seconds, between this host and the KDC that still passes.
      - Kerberos rejects authentication beyond 300 seconds by default.
    type: float
    default: 300
  require_principal:
    description:
      - Fail when the KDC does not know O(principal), or knows it but the account cannot log in now
        (C(KDC_ERR_CLIENT_REVOKED), C(KDC_ERR_KEY_EXPIRED), C(KDC_ERR_NAME_EXP), C(KDC_ERR_CLIENT_NOTYET)).
      - When omitted, true for a O(principal) you name (MVE's account must exist) and false for the built-in
        probe principal, which only serves to test the realm. Set it to V(false) when a missing principal is
        expected.
    type: bool
notes:
  - What runs where. On the controller or a Linux host the module runs there. On a Windows host (the MVE
    server itself, C(ansible_connection) V(winrm) or V(psrp)) nothing is installed; the action plugin runs the
    same conversation on the controller and each batch of socket work on the Windows host through one
    PowerShell step; the result adds RV(vantage) and RV(round_trips).
  - A principal that gets an C(AS-REP) needs no pre-authentication, so anyone can ask for ticket material
    encrypted with its key and attack it offline ("AS-REP roasting"). The module never returns that
    encrypted part, nor the salts the KDC sends; it reports the fact in RV(principal_state=known).
  - Each AS-REQ shows up in the KDC's log (and, in Active Directory, in the security log as event 4768),
    the unknown principals as failures.
seealso:
  - name: RFC 4120, The Kerberos Network Authentication Service (V5)
    description: The AS-REQ, AS-REP and KRB-ERROR messages this module exchanges.
    link: https://www.rfc-editor.org/rfc/rfc4120
'''

EXAMPLES = r'''
- name: Check the KDC MVE will use, with the MVE service account
  printfleet.mve.kerberos_check:
    host: dc01.example.com
    realm: EXAMPLE.COM
    principal: svc-mve
    require_principal: true
  register: kdc

- name: Show the clock skew
  ansible.builtin.debug:
    msg: "KDC clock is {{ kdc.clock_skew_s }} s ahead of this host"

- name: Check only UDP, as the MVE port table lists it, without failing the play
  printfleet.mve.kerberos_check:
    host: 192.0.2.20
    realm: EXAMPLE.COM
    transport: udp
    fail_on_error: false
  register: kdc_udp

- name: Tolerate a larger skew on a lab KDC
  printfleet.mve.kerberos_check:
    host: kdc.lab.example.com
    port: 8888
    realm: LAB.EXAMPLE.COM
    max_skew: 600
'''

RETURN = r'''
ok:
  description: The verdict. True when the KDC answered on every requested transport, serves the realm and the clock
    skew is within O(max_skew) (and, with O(require_principal), the principal can log in).
  returned: always
  type: bool
  sample: true
reason:
  description: One readable sentence explaining the verdict.
  returned: always
  type: str
  sample: The KDC on udp/88 and tcp/88 serves realm EXAMPLE.COM and knows svc-mve@EXAMPLE.COM and requires
    pre-authentication for it; clock skew +0.412 s.
elapsed_ms:
  description: Milliseconds the whole check took.
  returned: always
  type: float
  sample: 12.4
realm:
  description: The realm asked for.
  returned: always
  type: str
  sample: EXAMPLE.COM
principal:
  description: The full client principal asked for, C(name@REALM).
  returned: always
  type: str
  sample: svc-mve@EXAMPLE.COM
principal_state:
  description:
    - V(known) (the KDC issued an AS-REP, or answered an error that only a known account gets),
      V(preauth_required), V(unknown), or V(unknown_realm) (the KDC refused the realm).
    - Null when no reply told (nothing answered, or only C(KRB_ERR_RESPONSE_TOO_BIG)).
  returned: always
  type: str
  sample: preauth_required
realm_accepted:
  description: True when the KDC serves O(realm), false when it refused it, null when no reply told.
  returned: always
  type: bool
  sample: true
clock_skew_s:
  description:
    - Seconds the KDC's clock is ahead of (positive) or behind (negative) this host's clock.
    - Null when the KDC did not reveal its clock.
  returned: always
  type: float
  sample: 0.412
kdc_time:
  description: The KDC's clock from its reply, ISO 8601 UTC; null when it did not reveal it.
  returned: always
  type: str
  sample: '2026-11-25T09:04:40.488209Z'
kdc:
  description: What each transport saw, keyed by V(udp) and V(tcp) (only the transports asked for).
  returned: always
  type: dict
  contains:
    udp:
      description: The UDP exchange; the same keys as RV(kdc.tcp).
      type: dict
      returned: when O(transport) is V(udp) or V(both)
      sample: {transport: udp, port: 88, reachable: true, reply_type: KRB-ERROR, error_code: 25,
               error_name: KDC_ERR_PREAUTH_REQUIRED, e_text: NEEDED_PREAUTH, principal_state: preauth_required,
               realm_accepted: true, kdc_time: '2026-11-25T09:04:40.488209Z', clock_skew_s: 0.412, etype: null,
               etypes: [aes256-cts-hmac-sha1-96], preauth_types: [PA-ETYPE-INFO2, PA-ENC-TIMESTAMP],
               realm_probe: null, error: null}
    tcp:
      description: The TCP exchange (each message preceded by its 4-byte length).
      type: dict
      returned: when O(transport) is V(tcp) or V(both)
      contains:
        transport:
          description: V(udp) or V(tcp).
          type: str
          sample: tcp
        port:
          description: The KDC port used.
          type: int
          sample: 88
        reachable:
          description: True when something answered (even with bytes that are not Kerberos).
          type: bool
          sample: true
        reply_type:
          description: V(AS-REP) or V(KRB-ERROR); null when no Kerberos reply came.
          type: str
          sample: KRB-ERROR
        error_code:
          description: The KRB-ERROR's error-code.
          type: int
          sample: 25
        error_name:
          description:
            - The error-code's RFC 4120 name, for example C(KDC_ERR_PREAUTH_REQUIRED) (25),
              C(KDC_ERR_C_PRINCIPAL_UNKNOWN) (6), C(KDC_ERR_WRONG_REALM) (68), C(KRB_ERR_RESPONSE_TOO_BIG) (52).
          type: str
          sample: KDC_ERR_PREAUTH_REQUIRED
        e_text:
          description: The KRB-ERROR's e-text, when the KDC sent one.
          type: str
          sample: NEEDED_PREAUTH
        principal_state:
          description: What this transport's reply says about the principal (see RV(principal_state)).
          type: str
          sample: preauth_required
        realm_accepted:
          description: What this transport's reply says about the realm (see RV(realm_accepted)).
          type: bool
          sample: true
        kdc_time:
          description: The KDC's clock from this transport's KRB-ERROR, ISO 8601 UTC.
          type: str
          sample: '2026-11-25T09:04:40.488209Z'
        clock_skew_s:
          description: The clock skew measured on this transport.
          type: float
          sample: 0.412
        etype:
          description: Encryption type of the AS-REP's encrypted part (the principal's key type).
          type: str
          sample: aes256-cts-hmac-sha1-96
        etypes:
          description: Encryption types the KDC announced for the principal (ETYPE-INFO2 / ETYPE-INFO).
          type: list
          elements: str
          sample: [aes256-cts-hmac-sha1-96]
        preauth_types:
          description: Pre-authentication data types the reply carried (the methods the KDC offers).
          type: list
          elements: str
          sample: [PA-FX-FAST, PA-ETYPE-INFO2, PA-ENC-TIMESTAMP, PA-FX-COOKIE]
        realm_probe:
          description:
            - The KDC's answer to the AS-REQ for C(krbtgt/REALM), sent after a C(KDC_ERR_C_PRINCIPAL_UNKNOWN);
              null when it was not needed.
          type: str
          sample: AS-REP
        error:
          description: What went wrong on this transport (no answer, refused, not a Kerberos reply); null otherwise.
          type: str
          sample: null
vantage:
  description: V(windows) when the check ran from a Windows host through the action plugin (the MVE server itself).
  returned: when the task's host is a Windows host
  type: str
  sample: windows
round_trips:
  description: PowerShell round trips to the Windows host (one per receive of the conversation's replay).
  returned: when the task's host is a Windows host
  type: int
  sample: 5
field:
  description:
    - The option a failure is about, as the user wrote it (for example C(port), C(targets[3].port),
      C(peers.printer[2]), C(username)); see the notes.
  returned: on failure, when the failure is about an option
  type: str
  sample: port
error_kind:
  description:
    - V(input) when the task failed on its options, before the check ran (see the notes). A check that ran
      and failed says why in RV(ok), RV(reason) and its own keys instead.
  returned: on failure, when the task failed on its input
  type: str
  sample: input
'''

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.printfleet.mve.plugins.module_utils.checks import dependency as dependency_check
from ansible_collections.printfleet.mve.plugins.module_utils.checks import kerberos as kerberos_check
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import failure
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import kerberos as kerberos_wire


def main():
    module = kerberos_check.ARGUMENT_SPEC.create_module()
    if not kerberos_wire.HAS_PYASN1:
        module.fail_json(msg=missing_required_lib('pyasn1'), exception=kerberos_wire.PYASN1_IMPORT_ERROR)
    try:
        conv, params = kerberos_check.prepare(module.params)
    except (dependency_check.CheckInputError, kerberos_wire.KerberosInputError) as exc:
        module.fail_json(changed=False, **failure(exc))
    out = dependency_check.run(conv, params)
    dependency_check.finish(module, out)


if __name__ == '__main__':
    main()
