#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: smtp_check
short_description: Prove that Markvision Enterprise can send e-mail through its SMTP server
version_added: 0.1.0
description:
  - Talks SMTP to the mail server the way MVE will be configured to, and reports what it found and a verdict
    RV(ok) with one readable RV(reason).
  - Reads the 220 banner, says EHLO and reports the capabilities; with O(encryption=starttls) checks that
    STARTTLS is really advertised, upgrades the connection and says EHLO again; with O(encryption=ssl) starts
    with TLS at once (implicit TLS). The TLS facts (version, certificate subject, SAN, expiry, validation
    against the system trust store or O(ca_path), host name match) are in RV(tls).
  - The check never falls back to plaintext. A server that does not advertise STARTTLS fails the check when
    O(encryption=starttls), and credentials are only sent unencrypted when O(encryption=none) (with a warning).
  - Optionally authenticates with O(username) and O(password) (AUTH PLAIN, else AUTH LOGIN) and optionally
    sends a test message to O(send_to) (off by default).
  - The module never changes anything on the managed host; it reports RV(ignore:changed=false).
author:
  - printfleet.mve contributors (@printfleet)
requirements:
  - cryptography >= 41 (for the TLS certificate facts, when O(encryption) is V(ssl) or V(starttls))
extends_documentation_fragment:
  - printfleet.mve.dependency_check
  - printfleet.mve.results
attributes:
  check_mode:
    support: full
    description:
      - The check runs in check mode as well and returns the same result, except that with O(send_to) it stops
        after the server accepted the sender and the recipients (RSET before DATA), so nothing is sent in check
        mode and RV(message_sent) is V(false).
  diff_mode:
    support: none
    description: The check changes nothing, so it has no diff to show.
options:
  encryption:
    description:
      - How MVE is configured to secure the connection to the mail server.
      - V(none) plain SMTP (default port from the port matrix flow C(smtp.none)), V(ssl) implicit TLS from
        the first byte (flow C(smtp.ssl)), V(starttls) plain connection upgraded with STARTTLS (flow
        C(smtp.starttls)).
    type: str
    choices: [none, ssl, starttls]
    default: starttls
  username:
    description:
      - User name to authenticate with. Give O(password) too; without both, no authentication is tried and
        RV(authenticated) is null.
    type: str
  password:
    description:
      - Password of O(username). Never returned, logged or hashed in the results.
    type: str
  helo_name:
    description:
      - Name to introduce this host with in EHLO/HELO, a domain name or an address literal such as
        C([192.0.2.1]).
      - Defaults to the fully qualified domain name of the host running the check (V(localhost) when it has
        none that is valid).
    type: str
  mail_from:
    description:
      - Envelope sender and C(From) of the test message, as MVE will send it. Required with O(send_to).
    type: str
  send_to:
    description:
      - Recipients of a test message. When set, the check sends one short test message (MAIL FROM, RCPT TO,
        DATA) after authentication; when unset (the default) no message is sent.
    type: list
    elements: str
  subject:
    description:
      - Subject of the test message. Defaults to C(printfleet.mve SMTP check from) and O(helo_name).
    type: str
notes:
  - What runs where. On the controller or a Linux host the module runs there. On a Windows host (the MVE
    server itself, C(ansible_connection) V(winrm) or V(psrp)) nothing is installed; the action plugin runs the
    same conversation on the controller and each batch of socket work on the Windows host through one
    PowerShell step; the result adds RV(vantage) and RV(round_trips).
  - Without O(ca_path) the certificate is verified against the trust store of the host running the check,
    which may differ from the Java trust store MVE uses.
  - A server that does not offer AUTH when credentials are given fails the check, since the credentials
    cannot be proven.
seealso:
  - module: printfleet.mve.port_check
'''

EXAMPLES = r'''
- name: Check the mail server as MVE will use it (STARTTLS on the port matrix default port)
  printfleet.mve.smtp_check:
    host: mail.example.com
    username: mve-mailer
    password: "{{ vault_smtp_password }}"
    ca_path: /etc/pki/mve/ca.pem
  register: smtp

- name: Show what the server offers
  ansible.builtin.debug:
    msg: "{{ smtp.banner }} / {{ smtp.capabilities_after_tls }} / TLS {{ smtp.tls.version }}, {{ smtp.tls.days_left }} days left"

- name: Implicit TLS on a custom port, and send a test message
  printfleet.mve.smtp_check:
    host: mail.example.com
    port: 10465
    encryption: ssl
    username: mve-mailer
    password: "{{ vault_smtp_password }}"
    mail_from: mve@example.com
    send_to: [printer-admins@example.com]
    subject: MVE mail test

- name: Plain SMTP relay without authentication; report instead of failing
  printfleet.mve.smtp_check:
    host: relay.example.com
    encryption: none
    fail_on_error: false
  register: relay
'''

RETURN = r'''
ok:
  description: The verdict. V(true) when every step asked for worked.
  returned: always
  type: bool
  sample: true
reason:
  description: One readable sentence saying what worked, or what failed and why.
  returned: always
  type: str
  sample: The SMTP server mail.example.com:587 answered ESMTP, after STARTTLS TLSv1.3 (certificate validated), authenticated with PLAIN.
elapsed_ms:
  description: Milliseconds the whole conversation took.
  returned: always
  type: float
  sample: 48.7
host:
  description: The server checked, as given.
  returned: always
  type: str
  sample: mail.example.com
port:
  description: The port checked (O(port), or the port matrix default for O(encryption)).
  returned: always
  type: int
  sample: 587
encryption:
  description: The encryption checked.
  returned: always
  type: str
  sample: starttls
helo_name:
  description: The name sent in EHLO/HELO.
  returned: always
  type: str
  sample: mve01.example.com
banner:
  description: The server's greeting (code and text); null when none came.
  returned: always
  type: str
  sample: 220 mail.example.com ESMTP Postfix
esmtp:
  description: V(true) when the server accepted EHLO, V(false) when only HELO worked (or no greeting came).
  returned: always
  type: bool
  sample: true
capabilities:
  description:
    - The EHLO capability lines of the first EHLO, before TLS (for O(encryption=ssl), the whole session is in
      TLS and this is the first EHLO inside it).
  returned: always
  type: list
  elements: str
  sample: [PIPELINING, SIZE 10240000, STARTTLS, ENHANCEDSTATUSCODES, 8BITMIME]
capabilities_after_tls:
  description:
    - The EHLO capability lines once TLS is up (after STARTTLS, or the same as RV(capabilities) for
      O(encryption=ssl)); null without TLS or when TLS was not reached.
  returned: always
  type: list
  elements: str
  sample: [PIPELINING, SIZE 10240000, AUTH PLAIN LOGIN, ENHANCEDSTATUSCODES, 8BITMIME]
starttls_offered:
  description: V(true) when the first EHLO reply advertised STARTTLS.
  returned: always
  type: bool
  sample: true
auth_mechanisms:
  description: AUTH mechanisms the server offers, upper case; after TLS when TLS is used, else from the first EHLO.
  returned: always
  type: list
  elements: str
  sample: [PLAIN, LOGIN]
auth_mechanism:
  description: The mechanism used to authenticate (V(PLAIN) or V(LOGIN)).
  returned: when authentication was attempted
  type: str
  sample: PLAIN
authenticated:
  description: V(true) when the server accepted the credentials, V(false) when it did not; null without credentials.
  returned: always
  type: bool
  sample: true
message_sent:
  description: V(true) when the server accepted the test message for delivery (O(send_to)).
  returned: always
  type: bool
  sample: false
message_skipped:
  description: Why no message was sent although O(send_to) asked for one (check mode).
  returned: in check mode, when the server accepted the sender and every recipient
  type: str
  sample: "check mode: sender and recipients accepted, no message sent"
recipients:
  description: The server's answer to each RCPT TO.
  returned: when a test message was attempted and the sender was accepted
  type: list
  elements: dict
  contains:
    address:
      description: The recipient.
      type: str
      sample: printer-admins@example.com
    accepted:
      description: V(true) for a 250 or 251 reply.
      type: bool
      sample: true
    code:
      description: The reply code.
      type: int
      sample: 250
    enhanced_status:
      description: The RFC 3463 enhanced status code, when the server sends one.
      type: str
      sample: 2.1.5
    text:
      description: The reply text.
      type: str
      sample: 2.1.5 Ok
queue_reply:
  description: The server's answer to the end of DATA (often carries its queue id).
  returned: when the test message was accepted
  type: str
  sample: 2.0.0 Ok queued as 4BxyZ1
failed_stage:
  description:
    - Where the conversation stopped when RV(ok) is false; null when it succeeded.
    - One of V(connect), V(tls), V(banner), V(ehlo), V(helo), V(starttls), V(ehlo_after_tls), V(auth), V(mail),
      V(rcpt), V(data).
  returned: always
  type: str
  sample: auth
connect_error:
  description: Why the connection failed, V(refused), V(timeout), V(unreachable) or V(dns).
  returned: when the connection failed
  type: str
  sample: refused
server_reply:
  description: The server reply that decided a failure; null when there was none.
  returned: always
  type: dict
  contains:
    code:
      description: The reply code.
      type: int
      sample: 535
    enhanced_status:
      description: The RFC 3463 enhanced status code, when the server sends one.
      type: str
      sample: 5.7.8
    text:
      description: The reply text.
      type: str
      sample: 5.7.8 Authentication credentials invalid
tls:
  description:
    - TLS facts of the handshake; null when no handshake was attempted. A certificate that fails verification
      is still described, with RV(tls.validated=false) and the reason in RV(tls.validation_error).
  returned: always
  type: dict
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
      sample: CN=mail.example.com
    issuer:
      description: Certificate issuer, RFC 4514 string.
      type: str
      sample: CN=Example CA
    san:
      description: DNS names and IP addresses of the subject alternative name extension.
      type: list
      elements: str
      sample: [mail.example.com]
    not_before:
      description: Start of validity, ISO 8601 UTC.
      type: str
      sample: '2026-01-01T00:00:00Z'
    not_after:
      description: End of validity, ISO 8601 UTC.
      type: str
      sample: '2027-01-01T00:00:00Z'
    days_left:
      description: Whole days until RV(tls.not_after); negative once expired.
      type: int
      sample: 180
    fingerprint_sha256:
      description: SHA-256 fingerprint of the DER certificate, hex.
      type: str
      sample: 5f0c...
    validated:
      description: V(true) when the certificate verified against the trust store (or O(ca_path)) and the host name.
      type: bool
      sample: true
    validation_error:
      description: Why the certificate did not validate; null when validated.
      type: str
      sample: 'certificate verify failed: certificate has expired (X509 error 10)'
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
from ansible_collections.printfleet.mve.plugins.module_utils.checks import smtp as smtp_check
from ansible_collections.printfleet.mve.plugins.module_utils.common import tls_facts
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import failure


def main():
    module = smtp_check.ARGUMENT_SPEC.create_module()
    try:
        conv, params = smtp_check.prepare(module.params, check_mode=module.check_mode)
    except ValueError as exc:  # CheckInputError, or a ca_path that cannot be loaded
        module.fail_json(changed=False, **failure(exc))
    if params['encryption'] != 'none' and not tls_facts.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography', reason='for the TLS certificate facts'),
                         exception=tls_facts.CRYPTOGRAPHY_IMPORT_ERROR)
    out = dependency_check.run(conv, params)
    for warning in out.pop('warnings', None) or []:
        module.warn(warning)
    dependency_check.finish(module, out)


if __name__ == '__main__':
    main()
