#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: ldap_check
short_description: Prove that Markvision Enterprise can use its LDAP or LDAPS directory
version_added: 0.1.0
description:
  - Connects to an LDAP server the way Markvision Enterprise (MVE) does for user authentication and reports
    structured facts and one verdict, RV(ok) with a readable RV(reason).
  - With O(encryption=starttls) it sends the StartTLS extended operation and upgrades the connection; with
    O(encryption=ldaps) it speaks TLS at once. Either way the certificate is reported in RV(tls) and verified
    unless O(validate_certs=false). The check never falls back to plaintext.
  - It reads the RootDSE (naming contexts, supported LDAP versions, extensions and SASL mechanisms, vendor),
    then binds, with a simple bind as O(bind_dn) (a DN, a UPN such as C(mve@example.com), or C(DOMAIN\user))
    or anonymously when no O(bind_dn) is given. A refused anonymous bind, wrong credentials and a bind that
    needs TLS are told apart in RV(bind_result) and RV(reason).
  - With O(search_base) it then searches that base with O(search_filter) and a size limit of one entry, to prove
    that MVE's user search under that base will work with this account.
  - The module never changes anything; it reports RV(ignore:changed=false).
author:
  - printfleet.mve contributors (@printfleet)
requirements:
  - pyasn1 >= 0.4.8 and pyasn1-modules >= 0.2.8 (LDAP encoding)
  - cryptography >= 41 (TLS certificate facts)
extends_documentation_fragment:
  - printfleet.mve.dependency_check
  - printfleet.mve.results
attributes:
  diff_mode:
    description: The check changes nothing, so it has no diff to show.
options:
  port:
    description:
      - Port of the LDAP server. Defaults to the port matrix's port for flow C(directory.ldap) (LDAP, also used
        for StartTLS) or, with O(encryption=ldaps), flow C(directory.ldaps).
    type: int
  encryption:
    description:
      - V(none) speaks plain LDAP, V(starttls) upgrades the LDAP connection with StartTLS before anything else
        is sent, V(ldaps) speaks TLS from the first byte (implicit TLS).
    type: str
    choices: [none, starttls, ldaps]
    default: none
  bind_dn:
    description:
      - Name to bind as, as MVE will be configured with it. A DN (C(uid=mve,ou=people,dc=example,dc=com)),
        a user principal name (C(mve@example.com)) or a down-level logon name (C(EXAMPLE\mve)); the last two only
        work with Active Directory.
      - When unset, the check binds anonymously.
    type: str
  bind_password:
    description:
      - Password of O(bind_dn). Required with O(bind_dn). Never returned.
    type: str
  search_base:
    description:
      - DN to search after the bind, such as MVE's user search base. The check fails when the base does not
        exist, may not be read, or the search finds no entry.
    type: str
  search_scope:
    description:
      - Scope of the search of O(search_base). V(base) reads the base entry itself, V(one) its children and
        V(sub) the whole subtree (as MVE's user search does). At most one entry is asked for.
    type: str
    choices: [base, one, sub]
    default: base
  search_filter:
    description:
      - RFC 4515 filter of the search of O(search_base), such as C((objectClass=person)) or
        C((&(objectClass=user)(sAMAccountName=mve))). And, or and not may nest three levels deep.
    type: str
    default: (objectClass=*)
notes:
  - What runs where. On the controller or a Linux host the module runs there. On a Windows host (the MVE
    server itself, C(ansible_connection) V(winrm) or V(psrp)) nothing is installed; the action plugin runs the
    same conversation on the controller and each batch of socket work on the Windows host through one
    PowerShell step; the result adds RV(vantage) and RV(round_trips).
  - The password is sent only in the bind request, after StartTLS or inside LDAPS when O(encryption) asks for
    TLS; it never appears in the results.
  - Only simple binds are tried, as MVE's simple LDAP authentication does; SASL mechanisms are reported in
    RV(root_dse.supported_sasl_mechanisms) but not used.
seealso:
  - module: printfleet.mve.port_check
  - plugin: printfleet.mve.mve_flows
    plugin_type: lookup
'''

EXAMPLES = r'''
- name: Check the directory over StartTLS with MVE's bind account and user search base
  printfleet.mve.ldap_check:
    host: dc01.example.com
    encryption: starttls
    bind_dn: mve-bind@example.com
    bind_password: "{{ vault_mve_ldap_password }}"
    search_base: OU=Staff,DC=example,DC=com
    search_scope: sub
    search_filter: (objectClass=user)
    ca_path: /etc/pki/example-ca.pem
  register: ldap

- name: Check LDAPS anonymously and keep going when it fails
  printfleet.mve.ldap_check:
    host: ldap.example.com
    encryption: ldaps
    fail_on_error: false
  register: ldaps

- name: Show why
  ansible.builtin.debug:
    msg: "{{ ldaps.reason }} (certificate days left: {{ ldaps.tls.days_left | default('n/a') }})"
'''

RETURN = r'''
ok:
  description: The verdict. V(true) when the connection, TLS (when asked for), bind and search (when asked for) worked.
  returned: always
  type: bool
  sample: false
reason:
  description: One readable sentence explaining RV(ok).
  returned: always
  type: str
  sample: 'The server refused the bind as uid=mve,ou=people,dc=example,dc=com with invalidCredentials (49): the DN or password is wrong.'
elapsed_ms:
  description: Milliseconds the whole check took.
  returned: always
  type: float
  sample: 41.7
port:
  description: The port checked (O(port), or the default from the port matrix).
  returned: always
  type: int
  sample: 389
encryption:
  description: The O(encryption) used.
  returned: always
  type: str
  sample: starttls
tls:
  description: TLS facts of the connection, also when the handshake or the certificate verification failed.
  returned: when O(encryption) is V(starttls) or V(ldaps) and the TLS handshake was attempted
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
      sample: CN=dc01.example.com
    issuer:
      description: Certificate issuer, RFC 4514 string.
      type: str
      sample: CN=Example CA
    san:
      description: DNS names and IP addresses of the subject alternative name extension.
      type: list
      elements: str
      sample: [dc01.example.com]
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
      description: True when the certificate verified against the trust store (or O(ca_path)) and the host name.
      type: bool
      sample: true
    validation_error:
      description: Why the certificate did not validate, or why the handshake failed; null when validated.
      type: str
      sample: 'certificate verify failed: certificate has expired (X509 error 10)'
starttls_supported:
  description:
    - Whether the server supports StartTLS. With O(encryption=starttls), whether it accepted the StartTLS request;
      otherwise whether the RootDSE lists the StartTLS extension. Null when unknown.
  returned: always
  type: bool
  sample: true
root_dse:
  description: Facts from the RootDSE (the entry with the empty DN); null when the check did not get that far.
  returned: always
  type: dict
  contains:
    result:
      description: Result code name of the RootDSE search, V(success) when it could be read.
      type: str
      sample: success
    naming_contexts:
      description: The server's naming contexts (namingContexts).
      type: list
      elements: str
      sample: [DC=example,DC=com]
    default_naming_context:
      description: defaultNamingContext (Active Directory); null when not given.
      type: str
      sample: DC=example,DC=com
    supported_ldap_versions:
      description: supportedLDAPVersion values.
      type: list
      elements: int
      sample: [2, 3]
    supported_extensions:
      description: supportedExtension OIDs (C(1.3.6.1.4.1.1466.20037) is StartTLS).
      type: list
      elements: str
      sample: [1.3.6.1.4.1.1466.20037]
    supported_sasl_mechanisms:
      description: supportedSASLMechanisms values.
      type: list
      elements: str
      sample: [GSSAPI, GSS-SPNEGO, EXTERNAL, DIGEST-MD5]
    vendor_name:
      description: vendorName; null when not given (Active Directory and OpenLDAP give none).
      type: str
      sample: null
    vendor_version:
      description: vendorVersion; null when not given.
      type: str
      sample: null
bind:
  description: The kind of bind tried, V(anonymous) (no O(bind_dn)) or V(simple).
  returned: always
  type: str
  sample: simple
bound:
  description: Whether the bind succeeded.
  returned: always
  type: bool
  sample: true
bind_result:
  description:
    - RFC 4511 result code name of the bind, such as V(success), V(invalidCredentials),
      V(inappropriateAuthentication) (anonymous binds refused), V(unwillingToPerform), V(confidentialityRequired)
      or V(strongAuthRequired); null when the check did not get to the bind.
  returned: always
  type: str
  sample: invalidCredentials
bind_diagnostic:
  description: The server's diagnostic message for a refused bind (Active Directory puts its reason code there).
  returned: when the bind was refused
  type: str
  sample: '80090308: LdapErr: DSID-0C090447, comment: AcceptSecurityContext error, data 52e, v3839'
search:
  description: Outcome of the search of O(search_base); null when the check did not get to it.
  returned: when O(search_base) is given
  type: dict
  contains:
    base:
      description: The search base.
      type: str
      sample: OU=Staff,DC=example,DC=com
    scope:
      description: The search scope.
      type: str
      sample: sub
    filter:
      description: The search filter.
      type: str
      sample: (objectClass=user)
    result:
      description: Result code name of the search, such as V(success), V(sizeLimitExceeded) (more entries than the
        one asked for) or V(noSuchObject).
      type: str
      sample: success
    found:
      description: Whether the search returned an entry.
      type: bool
      sample: true
    entries:
      description: Number of entries returned (at most one is asked for).
      type: int
      sample: 1
    first_dn:
      description: DN of the entry found.
      type: str
      returned: when an entry was found
      sample: CN=Jane Doe,OU=Staff,DC=example,DC=com
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
from ansible_collections.printfleet.mve.plugins.module_utils.checks import ldap as ldap_check
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import failure
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import ldap as ldap_wire


def main():
    module = ldap_check.ARGUMENT_SPEC.create_module()
    if not ldap_wire.HAS_PYASN1:
        module.fail_json(msg=missing_required_lib('pyasn1 and pyasn1-modules', reason='for the LDAP encoding'),
                         exception=ldap_wire.PYASN1_IMPORT_ERROR)
    try:
        conv, params = ldap_check.prepare(module.params)
    except dependency_check.CheckInputError as exc:
        module.fail_json(changed=False, **failure(exc))
    try:
        out = dependency_check.run(conv, params)
    except ValueError as exc:  # ca_path that cannot be loaded
        module.fail_json(changed=False, **failure(exc))
    dependency_check.finish(module, out)


if __name__ == '__main__':
    main()
