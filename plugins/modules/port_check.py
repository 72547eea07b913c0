#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: port_check
short_description: Prove that the ports of a Markvision Enterprise deployment are reachable, protocol by protocol
version_added: 0.1.0
description:
  - Probes TCP and UDP ports from the host the task runs on, concurrently on one asyncio loop, and reports
    one result per target, in the order given.
  - TCP targets are C(open) when the connection is accepted, C(closed) when it is refused and C(filtered)
    when nothing answers within O(timeout) or the path reports the host or network unreachable.
  - UDP targets are C(open) only when a valid protocol reply comes back (an SNMP reply with the matching
    request-id, any DNS reply to an mDNS query, any datagram for probe V(none)), C(closed) when an ICMP port
    unreachable comes back, and C(open_or_filtered) when nothing comes back, because silence cannot tell an
    open port from a filtered one.
  - Protocol probes. V(snmp) sends an SNMP v1/v2c GET of sysDescr.0, or for SNMPv3 an engine discovery
    (which needs no credentials) followed by an authenticated GET; V(mdns) sends a legacy unicast mDNS query
    (RFC 6762 section 6.7) for C(_services._dns-sd._udp.local); V(tls) completes a TLS handshake and reports
    the certificate.
  - Targets can be listed in O(targets), derived from the collection's MVE port matrix with O(features) and
    O(peers), or both. Ports of derived targets come from the port matrix, never from this module.
  - The module never changes anything; it reports RV(ignore:changed=false).
author:
  - printfleet.mve contributors (@printfleet)
requirements:
  - pysnmp >= 7.1 and pyasn1 (for probe V(snmp))
  - dnspython >= 2.6 (for probe V(mdns))
  - cryptography >= 41 (for TLS handshakes)
attributes:
  check_mode:
    support: full
    description: Probes run in check mode as well, and return the same results.
  diff_mode:
    support: none
    description: The module changes nothing, so it has no diff to show.
extends_documentation_fragment:
  - printfleet.mve.results
options:
  targets:
    description:
      - Ports to probe.
      - The SNMP options of a target override the module-level SNMP options of the same name.
    type: list
    elements: dict
    default: []
    suboptions:
      host:
        description:
          - Host name or IP address (IPv4 or IPv6) to probe.
          - A name with both IPv4 and IPv6 addresses is probed on its first IPv4 address.
        type: str
        required: true
      port:
        description: Port number, from 1 to 65535.
        type: int
        required: true
      transport:
        description: Transport protocol.
        type: str
        choices: [tcp, udp]
        default: tcp
      probe:
        description:
          - Protocol probe. V(snmp) and V(mdns) need O(targets[].transport=udp), V(tls) needs
            O(targets[].transport=tcp) and implies O(targets[].tls=true).
          - V(none) connects (TCP) or sends an empty datagram (UDP).
        type: str
        choices: [none, snmp, mdns, tls]
        default: none
      tls:
        description: After the TCP connection, run a TLS handshake and report the certificate in RV(results[].tls).
        type: bool
        default: false
      server_name:
        description:
          - Name sent in the TLS SNI extension and checked against the certificate.
          - Defaults to O(targets[].host).
        type: str
      version:
        description: SNMP version of this target. Defaults to O(version).
        type: str
        choices: ['1', '2c', '3']
      community:
        description: SNMP v1/v2c community of this target. Defaults to O(community).
        type: str
      username:
        description: SNMPv3 user name of this target. Defaults to O(username).
        type: str
      auth_protocol:
        description: SNMPv3 authentication protocol of this target. Defaults to O(auth_protocol).
        type: str
        choices: [md5, sha, sha224, sha256, sha384, sha512]
      auth_key:
        description: SNMPv3 authentication pass phrase of this target. Defaults to O(auth_key).
        type: str
      priv_protocol:
        description: SNMPv3 privacy protocol of this target. Defaults to O(priv_protocol).
        type: str
        choices: [des, 3des, aes, aes192, aes256]
      priv_key:
        description: SNMPv3 privacy pass phrase of this target. Defaults to O(priv_key).
        type: str
      context:
        description: SNMPv3 context name of this target. Defaults to O(context).
        type: str
  features:
    description:
      - The deployment's choices, as the port matrix understands them (keys C(database), C(smtp), C(directory),
        C(kerberos), C(printer_protocols), C(ports)); unset keys take the vendor's defaults.
      - Used with O(peers) to derive targets. Without it, O(peers) uses the vendor's defaults.
    type: dict
  peers:
    description:
      - Hosts per port matrix role (C(printer), C(database), C(smtp), C(ldap), C(kdc), C(mve_server),
        C(browser)), each a list of host names or addresses.
      - For every flow the matrix needs from O(vantage) to a listed role, each host of that role becomes a target
        with the flow's transport, port and probe; these targets follow O(targets) in the results and carry
        RV(results[].flow) and RV(results[].advisory).
    type: dict
  vantage:
    description: The port matrix role of the host that runs the probes.
    type: str
    choices: [mve_server, printer, database, smtp, ldap, kdc, browser]
    default: mve_server
  timeout:
    description:
      - Seconds to wait for a TCP connection, a TLS handshake or one UDP reply.
      - A silent UDP target is reported after O(timeout) times (O(retries) + 1).
    type: float
    default: 2.0
  retries:
    description: How many times a UDP probe is resent after a silent O(timeout). TCP relies on the kernel's retransmissions.
    type: int
    default: 1
  concurrency:
    description: How many probes may be in flight at once. The open-files limit is raised to fit.
    type: int
    default: 256
  validate_certs:
    description:
      - Verify TLS certificates against the system trust store (or O(ca_path)) and the server name.
      - A certificate that fails verification is still reported, with RV(results[].tls.validated=false)
        and the reason in RV(results[].tls.validation_error). With V(false), nothing is verified.
    type: bool
    default: true
  ca_path:
    description: CA bundle file, or directory of hashed CA certificates, to verify TLS certificates against.
    type: path
  details:
    description:
      - What RV(results) holds. V(full), every target's result; V(failures), only the results whose state is not
        V(open); V(summary), none. RV(summary) counts every target in all three.
      - At thousands of targets, V(failures) and V(summary) keep the task's result small, so that handing it back
        to Ansible costs little next to the probes.
    type: str
    choices: [full, failures, summary]
    default: full
    version_added: 0.2.0
  version:
    description: SNMP version for SNMP targets that set none. When unset, V(2c).
    type: str
    choices: ['1', '2c', '3']
  community:
    description: SNMP v1/v2c community for SNMP targets that set none. When unset, V(public).
    type: str
  username:
    description: SNMPv3 user name; required (here or per target) when the SNMP version is V(3).
    type: str
  auth_protocol:
    description: SNMPv3 authentication protocol. When unset and an auth key is given, V(sha).
    type: str
    choices: [md5, sha, sha224, sha256, sha384, sha512]
  auth_key:
    description: SNMPv3 authentication pass phrase, at least 8 characters. Without it, the SNMPv3 GET is noAuthNoPriv.
    type: str
  priv_protocol:
    description: SNMPv3 privacy protocol. When unset and a privacy key is given, V(aes).
    type: str
    choices: [des, 3des, aes, aes192, aes256]
  priv_key:
    description: SNMPv3 privacy pass phrase, at least 8 characters; needs an auth key too.
    type: str
  context:
    description: SNMPv3 context name. When unset, the default (empty) context.
    type: str
notes:
  - The probes run where the task runs. To prove the MVE server's outbound flows, run the task on the MVE
    server (or with O(vantage) set to the role of the host that runs it).
  - An SNMP agent silently drops a request with a wrong community, so a wrong community is reported as
    C(open_or_filtered), like a filtered port.
  - A wrong SNMPv3 password still proves the agent is alive (state C(open)); RV(results[].snmp.error_kind)
    then says V(authentication).
  - Community and SNMPv3 keys are never copied into the results.
  - The task's C(invocation) (shown from C(-vvv) on) gives the number of targets in C(module_args.targets), not the
    targets themselves; RV(results) and RV(summary) report them.
'''

EXAMPLES = r'''
- name: Check a few ports by hand
  printfleet.mve.port_check:
    targets:
      - host: printer01.example.com
        port: 161
        transport: udp
        probe: snmp
      - host: printer01.example.com
        port: 443
        probe: tls
      - host: printer01.example.com
        port: 5353
        transport: udp
        probe: mdns
    community: "{{ vault_snmp_community }}"
  register: ports

- name: Check every flow the MVE server needs towards its printers, database and mail server
  printfleet.mve.port_check:
    features:
      database: sqlserver
      smtp: starttls
      printer_protocols: [snmp, https, raw, mdns]
    peers:
      printer: "{{ groups['printers'] }}"
      database: [db01.example.com]
      smtp: [mail.example.com]
    ca_path: /etc/pki/mve/ca.pem
  register: mve_ports

- name: Fail on anything that is not open, except advisory flows
  ansible.builtin.assert:
    that: item.state == 'open' or item.advisory | default(false)
    fail_msg: "{{ item.host }} {{ item.transport }}/{{ item.port }}: {{ item.reason }}"
    quiet: true
  loop: "{{ mve_ports.results }}"
  loop_control:
    label: "{{ item.host }} {{ item.transport }}/{{ item.port }}"

- name: SNMPv3 with authentication and privacy
  printfleet.mve.port_check:
    targets:
      - host: printer01.example.com
        port: 161
        transport: udp
        probe: snmp
      - host: printer02.example.com
        port: 161
        transport: udp
        probe: snmp
    version: '3'
    username: mve
    auth_protocol: sha256
    auth_key: "{{ vault_snmp_auth_key }}"
    priv_protocol: aes
    priv_key: "{{ vault_snmp_priv_key }}"
'''

RETURN = r'''
results:
  description:
    - One result per target, in input order (O(targets) first, then the targets derived from O(peers)).
    - With O(details=failures) only the results whose state is not V(open) (same order); empty with
      O(details=summary).
  returned: always
  type: list
  elements: dict
  contains:
    host:
      description: The probed host, as given.
      type: str
      returned: always
      sample: 192.0.2.10
    port:
      description: The probed port.
      type: int
      returned: always
      sample: 161
    transport:
      description: V(tcp) or V(udp).
      type: str
      returned: always
      sample: udp
    probe:
      description: The protocol probe that ran (V(none), V(snmp), V(mdns) or V(tls)).
      type: str
      returned: always
      sample: snmp
    state:
      description:
        - V(open), V(closed), V(filtered), V(open_or_filtered) (UDP silence) or V(error) (for example a host
          name that does not resolve).
      type: str
      returned: always
      sample: open
    reason:
      description: One readable sentence explaining the state.
      type: str
      returned: always
      sample: The SNMP v2c agent answered the GET of sysDescr.0.
    rtt_ms:
      description: Milliseconds from the (last) packet sent to the answer; null when nothing answered.
      type: float
      returned: always
      sample: 1.82
    flow:
      description: Port matrix flow id of a target derived from O(peers).
      type: str
      returned: when the target came from the port matrix
      sample: printer.snmp
    advisory:
      description:
        - True when the matrix marks the flow as advisory (a vendor anomaly that is not expected to answer).
      type: bool
      returned: when the target came from the port matrix
      sample: false
    also_flows:
      description: Other flow ids that share this host, port and transport.
      type: list
      elements: str
      returned: when several matrix flows share one target
      sample: [printer.https]
    tls:
      description: TLS handshake facts.
      type: dict
      returned: when a TLS handshake was attempted on an open port
      contains:
        version:
          description: Negotiated TLS version; null when the handshake failed.
          type: str
          sample: TLSv1.3
        cipher:
          description:
            - The negotiated bulk cipher and its key size, named the same from every vantage point (Linux, the
              controller, a Windows MVE server), for example V(AES-256), V(AES-128), V(CHACHA20-256), V(3DES-168).
          type: str
          sample: AES-256
        cipher_suite:
          description:
            - The negotiated cipher suite as the TLS library names it; null from a Windows host (.NET Framework's
              SslStream does not expose the suite).
          type: str
          sample: TLS_AES_256_GCM_SHA384
        subject:
          description: Certificate subject, RFC 4514 string.
          type: str
          sample: CN=printer01.example.com
        issuer:
          description: Certificate issuer, RFC 4514 string.
          type: str
          sample: CN=Example CA
        san:
          description: DNS names and IP addresses of the subject alternative name extension.
          type: list
          elements: str
          sample: [printer01.example.com, 192.0.2.10]
        not_before:
          description: Start of validity, ISO 8601 UTC.
          type: str
          sample: '2026-01-01T00:00:00Z'
        not_after:
          description: End of validity, ISO 8601 UTC.
          type: str
          sample: '2027-01-01T00:00:00Z'
        days_left:
          description: Whole days until RV(results[].tls.not_after); negative once expired.
          type: int
          sample: 180
        fingerprint_sha256:
          description: SHA-256 fingerprint of the DER certificate, hex.
          type: str
          sample: 5f0c...
        validated:
          description: True when the certificate verified against the trust store and the server name.
          type: bool
          sample: true
        validation_error:
          description: Why the certificate did not validate (or why the handshake failed); null when validated.
          type: str
          sample: 'certificate verify failed: certificate has expired (X509 error 10)'
    snmp:
      description: SNMP facts from the agent's reply.
      type: dict
      returned: when an SNMP agent answered
      contains:
        version:
          description: SNMP version used, V(1), V(2c) or V(3).
          type: str
          sample: 2c
        sys_descr:
          description: sysDescr.0, when the GET returned it.
          type: str
          sample: Lexmark MX521ade version MXTGM.081.215 kernel 4.11.12 All-N-1
        error_status:
          description: The reply's error-status name (v1/v2c).
          type: str
          sample: noError
        error_index:
          description: The reply's error-index (v1/v2c).
          type: int
          sample: 0
        varbinds:
          description: OID and value pairs of the reply.
          type: list
          elements: list
          sample: [['1.3.6.1.2.1.1.1.0', Lexmark MX521ade]]
        engine_id:
          description: SNMPv3 authoritative engine id, hex (v3).
          type: str
          sample: 80001f8880b8f3be5e299e066b00000000
        engine_boots:
          description: SNMPv3 engine boots (v3).
          type: int
          sample: 3
        engine_time:
          description: SNMPv3 engine time in seconds (v3).
          type: int
          sample: 86400
        authenticated:
          description: V(true) when the SNMPv3 GET was accepted, V(false) when the credentials were rejected (v3).
          type: bool
          sample: true
        error_kind:
          description:
            - Why the SNMPv3 GET failed, for example V(authentication) (wrong auth key), V(unknown_user),
              V(privacy) (wrong privacy key) or V(timeout); null when it worked (v3).
          type: str
          sample: authentication
        error:
          description: The SNMPv3 GET failure as a sentence (v3).
          type: str
          sample: 'authentication error: the agent rejected the message digest (wrong auth_key or auth_protocol)'
    mdns:
      description: mDNS facts from the responder's reply.
      type: dict
      returned: when an mDNS responder answered
      contains:
        query:
          description: The name queried.
          type: str
          sample: _services._dns-sd._udp.local
        rcode:
          description: DNS response code.
          type: str
          sample: NOERROR
        id_matches:
          description: Whether the reply echoed the query id (legacy unicast responders do).
          type: bool
          sample: true
        answers:
          description: Answer records (name, type, ttl, cache_flush, value).
          type: list
          elements: dict
          sample: [{name: _services._dns-sd._udp.local., type: PTR, ttl: 4500, cache_flush: false,
                    value: _ipp._tcp.local.}]
        additional:
          description: Additional records, same shape as RV(results[].mdns.answers).
          type: list
          elements: dict
          sample: []
summary:
  description: Counts of results per state, the total and the time the probes took.
  returned: always
  type: dict
  contains:
    open:
      description: Results with state V(open).
      type: int
      sample: 10
    closed:
      description: Results with state V(closed).
      type: int
      sample: 1
    filtered:
      description: Results with state V(filtered).
      type: int
      sample: 0
    open_or_filtered:
      description: Results with state V(open_or_filtered).
      type: int
      sample: 2
    error:
      description: Results with state V(error).
      type: int
      sample: 0
    total:
      description: Number of results.
      type: int
      sample: 13
    elapsed_ms:
      description: Wall time of the probes, in milliseconds.
      type: float
      sample: 412.5
vantage:
  description:
    - V(windows) when the task's host is a Windows host (the MVE server); the probes ran from there, in one
      PowerShell round trip, and were parsed on the controller with the same parsers as on Linux.
  returned: when the task's host is a Windows host
  type: str
  sample: windows
round_trips:
  description:
    - PowerShell round trips to the Windows host (1 for the whole target list, 0 when there is none, 2 when
      SNMPv3 targets with a user need their authenticated GETs after the engine discovery).
  returned: when the task's host is a Windows host
  type: int
  sample: 1
field:
  description:
    - The option a failure is about, as the user wrote it (for example C(port), C(targets[3].port),
      C(peers.printer[2]), C(username)); see the notes.
  returned: on failure, when the failure is about an option
  type: str
  sample: port
error_kind:
  description:
    - Why the task failed, V(input) for bad options (see the notes); through a Windows host also the kind of a
      PowerShell step that did not run (for example V(transport)). A probe whose port is not open does not fail
      the task; its verdict is in RV(results[].state).
  returned: on failure
  type: str
  sample: input
'''

import time

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
from ansible_collections.printfleet.mve.plugins.module_utils.probes import port_check
from ansible_collections.printfleet.mve.plugins.module_utils.probes import port_probe
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp as snmp_wire
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import mdns as mdns_wire
from ansible_collections.printfleet.mve.plugins.module_utils.common import tls_facts
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import failure

_LIBRARIES = {
    'pysnmp': (lambda: snmp_wire.HAS_PYSNMP, lambda: snmp_wire.PYSNMP_IMPORT_ERROR, 'for probe snmp'),
    'dnspython': (lambda: mdns_wire.HAS_DNSPYTHON, lambda: mdns_wire.DNSPYTHON_IMPORT_ERROR, 'for probe mdns'),
    'cryptography': (lambda: tls_facts.HAS_CRYPTOGRAPHY, lambda: tls_facts.CRYPTOGRAPHY_IMPORT_ERROR,
                     'for TLS handshakes'),
}


def main():
    module = port_check.create_module()
    params = module.params
    try:
        dummy, dummy, normalized = port_check.prepare(params)
    except (port_probe.TargetError, port_matrix.MatrixError) as exc:
        module.fail_json(changed=False, **failure(exc))

    for name in port_probe.needed_libraries(normalized):
        has, error, reason = _LIBRARIES[name]
        if not has():
            module.fail_json(msg=missing_required_lib(name, reason=reason), exception=error())

    start = time.perf_counter()
    try:
        results = port_probe.run_normalized(normalized, timeout=params['timeout'], retries=params['retries'],
                                            concurrency=params['concurrency'], validate_certs=params['validate_certs'],
                                            ca_path=params['ca_path'])
    except port_probe.TargetError as exc:
        module.fail_json(changed=False, **failure(exc))
    elapsed_ms = round((time.perf_counter() - start) * 1000.0, 1)
    module.exit_json(changed=False, results=port_check.select_results(results, params['details']),
                     summary=port_probe.summarize(results, elapsed_ms), invocation=port_check.invocation(params))


if __name__ == '__main__':
    main()
