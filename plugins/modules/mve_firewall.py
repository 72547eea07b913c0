#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: mve_firewall
short_description: Allow exactly the Markvision Enterprise flows in an MVE server's host firewall, in one batch
version_added: 0.1.0
description:
  - Derives the firewall rules an MVE server needs from the collection's port matrix and the deployment's
    O(features), scopes each rule to the peers' addresses from O(scopes), compares them with the rules this
    collection owns on the host (one read) and applies the difference in one batch (at most one apply).
  - Inbound rules cover the flows that peers open towards the MVE server (the web console on HTTPS from
    browsers, NPAP alerts from printers, and the active-mode FTP data connection from printers). Outbound
    rules cover the flows the MVE server opens (towards printers, the database, mail, LDAP and Kerberos
    servers) and exist only when O(outbound) asks for them.
  - Flows that share a direction, a transport and a peer role share one rule, with a readable name such as
    "MVE - NPAP alerts from printers (UDP 9187)"; each rule lists the flow ids it serves.
  - Rules are owned by O(rule_group). Rules of other groups, and rules the collection did not create, are
    never edited or deleted.
  - Backend V(nftables) keeps each rule group in its own table (C(inet printfleet_mve) for the default group)
    and applies the whole table as one C(nft -f) transaction, so a refused rule leaves the previous ruleset
    intact. Without O(enforce) the table only accepts (its chains have C(policy accept)), so it never drops and
    cannot lock anyone out, and it cannot override a drop in another table either (an nftables accept verdict
    is final for one base chain only; the module warns about other tables' dropping base chains). With
    O(enforce), its input chain accepts loopback, replies, ICMP and the O(management_ports), then the MVE
    rules, and drops everything else.
  - Backend V(windows) manages Windows Defender Firewall on a Windows host (the MVE server's own platform)
    over the task's WinRM or PSRP connection; nothing is installed there. The collection's action plugin
    validates the arguments on the controller, reads the rules of O(rule_group) with one PowerShell step
    (through the C(HNetCfg.FwPolicy2) COM object), plans on the controller, and applies the change list with
    one more PowerShell step, which restores what it changed if a later step of the list fails. Ownership is
    the rule's C(Grouping), the flow ids are kept in its C(Description); one rule holds both address
    families. On Windows the module only adds, updates and removes allow rules of its group; the host's
    default inbound action (block) stays what it is, so the WinRM connection cannot be cut by this module.
author:
  - printfleet.mve contributors (@printfleet)
requirements:
  - nft (nftables 0.9.3 or later, with JSON support) for O(backend=nftables)
  - for O(backend=firewalld), firewalld 0.9 or later (policies) running, and its C(firewall-cmd) (the module runs
    firewalld's own client library with the interpreter of C(firewall-cmd); nothing else is installed)
  - for O(backend=windows), a Windows host reached with C(ansible_connection=winrm) or C(psrp), Windows
    PowerShell 5.1 or PowerShell 7, and an account allowed to change the firewall policy
attributes:
  check_mode:
    support: full
    description: In check mode the module reads the rules and reports the changes it would make, in
      RV(commands) and RV(changes), without applying them.
  diff_mode:
    support: full
    description: Returns the owned rules before and after, as structured lists, in C(diff.before.rules) and
      C(diff.after.rules).
extends_documentation_fragment:
  - printfleet.mve.results
options:
  backend:
    description:
      - Which firewall to manage. V(auto) picks V(windows) on a WinRM/PSRP (PowerShell) connection, and on Linux
        V(firewalld) when C(firewall-cmd --state) says running, else V(nftables).
      - V(windows) needs a PowerShell connection; V(nftables) and V(firewalld) need a Linux host. The other
        combinations fail with a clear message before anything is read.
      - V(firewalld) keeps each rule group in two firewalld policies, C(<group>_in) (ingress zone C(ANY), egress
        zone C(HOST)) and C(<group>_out) (C(HOST) to C(ANY)), target C(CONTINUE), priority -20000 (before the
        zones), one rich rule per scope network and port; zones, services and other rich rules are never touched.
        Permanent and runtime configuration change together, in place; firewalld reloads only when a policy is
        created (the first run), which also drops other runtime-only changes. See docs/firewall.md.
    type: str
    choices: [auto, windows, nftables, firewalld]
    default: auto
  features:
    description:
      - The deployment's choices, as the port matrix understands them (keys C(database), C(smtp), C(directory),
        C(kerberos), C(printer_protocols), C(ports)); unset keys take the vendor's defaults.
      - C(ports) overrides the port of the flows the vendor lists as user-defined, for example
        C(db.sqlserver).
      - Ignored when O(state=absent).
    type: dict
    default: {}
  scopes:
    description:
      - Remote addresses per peer role (C(printer), C(browser), C(database), C(smtp), C(ldap), C(kdc)), each a
        list of IPv4/IPv6 addresses, networks (C(10.0.0.0/24)) and ranges (C(10.0.0.10-10.0.0.20)), or the
        word C(any).
      - Every role that a selected flow needs must have a scope; a missing one fails naming C(scopes.<role>).
        C(any) must be written explicitly, and is refused when O(strict=true).
      - Scopes restrict, also without O(enforce). With nftables, for each port the collection opens to a scope,
        the table drops that port for every peer outside the scope (after loopback, replies and the accepts);
        other ports and other tables are left alone. With Windows Defender Firewall the profile's default
        inbound action (block) drops what no rule allows, so a scoped allow rule already means the same.
      - Ignored when O(state=absent).
    type: dict
    default: {}
  state:
    description:
      - V(merged) adds the wanted rules and updates the owned rule that serves the same flows (same direction,
        transport and peer role, RV(rules[].key)), whatever its port, scope or name was, so a moved port or a
        renamed rule never leaves a stale rule behind; owned rules that serve flows no longer wanted stay.
        Rules written by 0.1.0 (nftables comments without a key) are recognized by their name.
      - V(replaced) makes the owned rules exactly the wanted set (owned rules that are not wanted are removed).
      - V(absent) removes every rule of O(rule_group) (with nftables, the whole table of the group).
    type: str
    choices: [merged, replaced, absent]
    default: merged
  outbound:
    description:
      - Whether to create outbound rules for the flows the MVE server opens.
      - V(auto) creates them when the host blocks outbound traffic by default (for nftables, when another
        table has an C(output) base chain with C(policy drop); for Windows, when a current firewall profile
        that is turned on has C(DefaultOutboundAction) block); V(always) and V(never) decide for it.
    type: str
    choices: [auto, always, never]
    default: auto
  rule_group:
    description:
      - The ownership tag of the rules (the nftables comment prefix C([<rule_group>]) and the table
        C(inet <rule_group with dots and dashes as underscores>); on Windows, the rules' C(Grouping)).
    type: str
    default: printfleet.mve
  strict:
    description:
      - Refuse the scope C(any), so that every needed peer role must be limited to addresses, networks or ranges.
    type: bool
    default: true
  enforce:
    description:
      - Make the MVE flows the only new inbound connections the host accepts, besides loopback, replies,
        ICMP and O(management_ports). Outbound traffic is never dropped by this module.
      - Refused (nothing changed) when O(management_ports) is empty, or when the SSH connection this run
        arrived on uses a port that is not listed.
      - Not available with O(backend=firewalld) (refused before anything is read), whose zones already reject the
        new inbound connections they do not allow.
      - Not available with O(backend=windows) (refused before anything is read). Windows Defender Firewall
        already blocks unsolicited inbound connections by default (the profile's C(DefaultInboundAction)),
        and the module does not change profile settings.
    type: bool
    default: false
  management_ports:
    description:
      - TCP ports of the management connection (SSH, WinRM over HTTP and HTTPS) that no rule may block and
        that O(enforce) keeps open (from O(management_scopes)).
    type: list
    elements: int
    default: [22, 5985, 5986]
  management_scopes:
    description:
      - With O(enforce) on nftables, the addresses, networks or C(a-b) ranges that may open connections to
        O(management_ports); V(any) (the default) keeps them open from every address.
      - The lock-out guard refuses a scope that leaves out the address this run came from (the action plugin
        takes it from the controller's route to the host; without it, from C(SSH_CONNECTION)).
      - With O(backend=windows) the management rules are Windows' own (WinRM, Remote Desktop), which the module
        never changes; it reports them in RV(management_rules) and warns about those that accept connections
        from outside O(management_scopes).
    type: list
    elements: str
    default: [any]
  enabled:
    description:
      - With O(backend=windows), whether the rules are enabled. V(false) keeps them in place but disabled (stage
        them before a change window, enable them later with V(true)); a rule disabled by hand is enabled again.
      - nftables and firewalld have no disabled rules; V(false) is refused there (use O(state=absent)).
    type: bool
    default: true
  coexist:
    description:
      - What to do on nftables when another table (firewalld, ufw, a table of the host's own) has an input or
        output base chain that drops by policy or ends in an unconditional drop or reject rule. An accept in
        this module's table does not override such a drop, so the MVE flows would stay blocked.
      - V(fail) (before anything changes) with the commands that allow the same flows there (C(firewall-cmd) rich
        rules and a reload for firewalld, C(ufw allow) lines for ufw), also in RV(coexist).
      - V(warn) applies the rules anyway and warns with the same commands.
    type: str
    choices: [fail, warn]
    default: fail
  profiles:
    description:
      - With O(backend=windows), the Windows Defender Firewall profiles the rules apply in. The default leaves
        out the Public profile (a network Windows does not trust, such as a hotspot); add V(public) only when the
        MVE server really serves printers or browsers there.
      - Ignored by nftables, which has no profiles.
    type: list
    elements: str
    choices: [domain, private, public]
    default: [domain, private]
  connection_port:
    description:
      - The TCP port of the management connection this run arrived on, which O(enforce) must keep open. The
        action plugin fills it in from the task's connection (the ssh connection's port, C(ansible_port), or 22),
        so that the lock-out guard also works under C(become), where sudo resets C(SSH_CONNECTION); without it
        the module reads C(SSH_CONNECTION). Set it only to override what the connection says.
    type: int
  connection_source:
    description:
      - The address the management connection of this run came from, which O(management_scopes) must hold under
        O(enforce). The action plugin fills it in (the controller's source address on its route to the host);
        set it only to override (behind NAT, the translated address).
    type: str
  persist:
    description:
      - With O(backend=nftables), keep the boot configuration in step with the live table, so that the rules
        survive a reboot. The table is also written to O(persist_dir)/<table>.nft (atomically, through a rename),
        and O(persist_conf) (what the distribution's nftables service loads at boot) gets an
        C(include "<persist_dir>/*.nft") line when it lacks one. Check mode and diff report these files too
        (RV(persisted)); O(state=absent) removes the table's file.
      - With O(backend=firewalld), V(true) writes the rich rules to the permanent configuration and the runtime,
        V(false) to the runtime only (the policies themselves, with the rule names in their description, are always
        permanent, as firewalld has no runtime-only policies).
      - Windows Defender Firewall keeps its rules by itself; the option does not apply there.
    type: bool
    default: true
  persist_dir:
    description: The directory of the persisted table file (O(persist)).
    type: path
    default: /etc/nftables.d
  persist_conf:
    description: The nftables configuration the boot service loads, which must include O(persist_dir).
    type: path
    default: /etc/nftables.conf
  rule_names:
    description:
      - Custom rule names, by flow id (for example C(alerts.npap)). Flows that share a rule must share the
        name; two rules with the same name are refused.
    type: dict
    default: {}
notes:
  - One read (C(nft -j list ruleset)) and at most one apply (C(nft -f)) per run, whatever the number of rules.
  - With O(backend=firewalld), one read process and at most one apply process per run (firewalld's D-Bus API through
    its client library), plus C(firewall-cmd --state) with O(backend=auto). The rich rule's priority holds the
    rule's peer role, so its identity survives in firewalld's runtime configuration; the rule names are kept in
    the policy's description. A rich rule holds one port, so the FTP data rule accepts TCP from port 20 of the
    printers to any local port.
  - With O(backend=windows), one PowerShell round trip to read and at most one to apply per run (none in
    check mode or when nothing changes), whatever the number of rules; RV(round_trips) counts them. Windows
    holds rule names with any characters but C(|), which its policy format uses as a separator; such names
    are refused before anything is read.
  - The active-mode FTP data flow (C(printer.ftp_data)) is allowed as TCP from remote port 20 of the printers
    to the host's dynamic port range (C(net.ipv4.ip_local_port_range) on Linux), where the MVE server's FTP
    client announces its data port.
  - nftables comments hold at most 128 characters, so rule names (with the C([<rule_group>]) tag) must fit;
    the flow ids of a rule are not stored in the ruleset and are reported from the wanted rule of the same name.
seealso:
  - module: printfleet.mve.port_check
'''

EXAMPLES = r'''
- name: Allow the MVE flows on a Linux MVE host (inbound only, the host allows outbound)
  printfleet.mve.mve_firewall:
    features:
      database: sqlserver
      smtp: starttls
      printer_protocols: [npap, snmp, https, mdns]
    scopes:
      printer: [10.20.0.0/16, 10.30.1.10-10.30.1.99]
      browser: [10.1.0.0/24]
      database: [10.5.0.12]
      smtp: [10.5.0.25]
  register: fw

- name: Make the MVE flows the only inbound traffic (SSH stays open), and show the change
  printfleet.mve.mve_firewall:
    features: "{{ mve_features }}"
    scopes: "{{ mve_scopes }}"
    state: replaced
    enforce: true
  diff: true

- name: Browsers from anywhere, which strict mode refuses
  printfleet.mve.mve_firewall:
    scopes:
      printer: [10.20.0.0/16]
      browser: any
    strict: false

- name: Remove every rule of the collection
  printfleet.mve.mve_firewall:
    state: absent
'''

RETURN = r'''
rules:
  description: The rules of O(rule_group) after the run (in check mode, as they would be).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The rule's name.
      type: str
      sample: MVE - NPAP alerts from printers (UDP 9187)
    group:
      description: The rule group (ownership tag).
      type: str
      sample: printfleet.mve
    direction:
      description: V(inbound) or V(outbound), seen from the MVE server.
      type: str
      sample: inbound
    transport:
      description: V(tcp) or V(udp).
      type: str
      sample: udp
    local_ports:
      description: Ports on the MVE server (ints, and C(lo-hi) strings for ranges); empty means any.
      type: list
      elements: raw
      sample: [9187]
    remote_ports:
      description: Ports on the peer; empty means any.
      type: list
      elements: raw
      sample: []
    remote_addresses:
      description: The peers' addresses, networks and ranges (merged and sorted), or C([any]).
      type: list
      elements: str
      sample: [10.20.0.0/16, 10.30.1.10-10.30.1.99]
    action:
      description: V(allow).
      type: str
      sample: allow
    role:
      description: The peer's port matrix role; null for an owned rule that is no longer wanted.
      type: str
      sample: printer
    flows:
      description: The port matrix flow ids the rule serves.
      type: list
      elements: str
      sample: [alerts.npap]
    key:
      description:
        - The rule's identity, C(<direction>/<transport>/<peer role>) (and for inbound rules the peers' source
          ports); a changed port, scope or name updates the rule with this key instead of adding another one.
          Null for an owned rule the run cannot place (an old rule no flow needs any more).
      type: str
      sample: inbound/udp/printer
    profiles:
      description: With O(backend=windows), the profiles the rule applies in, when not all of them (V(domain, private)).
      type: str
      sample: domain, private
    enabled:
      description: With O(backend=windows), V(false) for a rule staged disabled (O(enabled=false)); absent when enabled.
      type: bool
      sample: false
commands:
  description: One readable line per change (made, or that would be made in check mode).
  returned: always
  type: list
  elements: str
  sample: ["add rule 'MVE - NPAP alerts from printers (UDP 9187)': allow inbound udp local 9187, from 10.20.0.0/16"]
changes:
  description: The changes as data.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description:
        - V(add), V(update), V(remove); V(set) for the enforce mode and management ports (C(name) V(enforce)) or for
          a table written by an earlier version that lacks this version's scope drops (C(name) V(layout));
          V(persist) for a boot configuration file (C(name) is its path, C(before) and C(after) its content).
      type: str
      sample: add
    name:
      description: The rule's name (V(enforce) for a change of the enforce settings).
      type: str
      sample: MVE - HTTPS web console from browsers (TCP 443)
    fields:
      description: The fields that differ.
      type: list
      elements: str
      sample: [remote_addresses]
    before:
      description: The rule before (null for an add).
      type: dict
      sample: null
    after:
      description: The rule after (null for a remove).
      type: dict
      sample: {}
enforce:
  description: Whether the rule group drops what its rules do not allow (after the run).
  returned: always
  type: bool
  sample: false
backend:
  description: The backend that ran (V(nftables), V(firewalld) or V(windows)).
  returned: always
  type: str
  sample: nftables
round_trips:
  description: The PowerShell steps sent to the Windows host (1 to read, 1 to apply when something changes).
  returned: when O(backend=windows)
  type: int
  sample: 2
profiles:
  description: The Windows firewall profiles as read (C(name), C(current), C(enabled),
    C(default_inbound_action), C(default_outbound_action)).
  returned: when O(backend=windows)
  type: list
  elements: dict
  sample: [{name: domain, current: true, enabled: true, default_inbound_action: block,
            default_outbound_action: allow}]
local_policy_modify_state:
  description:
    - With O(backend=windows), whether the local rules take effect (C(INetFwPolicy2.LocalPolicyModifyState)).
      V(ok), V(group_policy_override) (a Group Policy overrides the local policy; the module warns that its rules
      take no effect unless the GPO allows local rule merging), V(inbound_blocked) (inbound is blocked whatever
      the rules say), or null when the host did not say.
  returned: when O(backend=windows)
  type: str
  sample: ok
rollback:
  description: When the apply step failed on Windows, what it had done (C(done)), the step that failed
    (C(failed_step), C(error)) and what was undone (C(rolled_back), C(rollback_errors)).
  returned: when O(backend=windows) and the apply step failed
  type: dict
  sample: {failed_step: 3, error: Access is denied, rolled_back: [{op: add, name: MVE - NPAP alerts from printers (UDP 9187)}]}
persisted:
  description: The boot configuration files written or removed (or that would be, in check mode) to keep the
    rules across a reboot (O(persist)).
  returned: when O(backend=nftables)
  type: list
  elements: str
  sample: [/etc/nftables.d/printfleet_mve.nft]
coexist:
  description: Another table on the host drops what this module's rules accept (see O(coexist)); what to run there.
  returned: when O(backend=nftables) and another table's base chain drops the wanted flows
  type: dict
  contains:
    chains:
      description: The other tables' base chains that drop (C(family), C(table), C(chain), C(hook), C(by)).
      type: list
      elements: dict
    firewalls:
      description: The firewalls recognized by their tables (V(firewalld), V(ufw)).
      type: list
      elements: str
    commands:
      description: The commands that allow the same flows in those firewalls.
      type: list
      elements: str
      sample: ["firewall-cmd --permanent --add-rich-rule='rule family=\"ipv4\" source address=\"10.1.0.0/16\"
                port port=\"443\" protocol=\"tcp\" accept'", firewall-cmd --reload]
    message:
      description: The same, as one sentence.
      type: str
management_rules:
  description: With O(backend=windows), the enabled inbound allow rules of other groups that open a management
    port (Windows' own WinRM rules, for example), as read; the module never changes them.
  returned: when O(backend=windows)
  type: list
  elements: dict
  contains:
    name:
      description: The rule's name.
      type: str
    group:
      description: The rule's group (C(Grouping)).
      type: str
    local_ports:
      description: The rule's local ports, as Windows holds them.
      type: str
    remote_addresses:
      description: The rule's remote addresses, as Windows holds them (V(*) for any).
      type: str
    profiles:
      description: The profiles the rule applies in.
      type: str
    outside_scopes:
      description: Whether the rule accepts connections from outside O(management_scopes).
      type: bool
script:
  description:
    - The nftables script that was applied (or would be, in check mode); empty when nothing changes.
    - With O(backend=firewalld), the apply's request as JSON (its operations and the policies' settings).
  returned: when O(backend=nftables) or O(backend=firewalld)
  type: str
  sample: "table inet printfleet_mve\ndelete table inet printfleet_mve\n..."
field:
  description:
    - The option a failure is about, as the user wrote it (for example C(port), C(targets[3].port),
      C(peers.printer[2]), C(username)); see the notes.
  returned: on failure, when the failure is about an option
  type: str
  sample: port
error_kind:
  description:
    - On failure, V(input) (bad options, refused before the host is read), V(safety) (the rules or V(enforce) would
      cut the management connection; refused, nothing changed), V(conflict) (O(coexist=fail) and another table
      drops the MVE flows; nothing changed) or V(backend) (nft or the Windows firewall step failed or printed
      something unreadable).
  returned: on failure
  type: str
  sample: input
'''

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import failure
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import converge
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import firewalld as firewall_firewalld
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import nftables as firewall_nft
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as firewall_plan
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix


def main():
    module = converge.ARGUMENT_SPEC.create_module()
    backend = converge.select_backend(module)
    try:
        result = converge.converge(backend, module.params, check_mode=module.check_mode)
    except (firewall_plan.PlanError, port_matrix.MatrixError, firewall_nft.NftError, firewall_firewalld.FirewalldError) as exc:
        module.fail_json(changed=False, **failure(exc))
    before = result.pop('_before')
    if result.get('coexist') is None:
        result.pop('coexist')
    for warning in result.pop('warnings'):
        module.warn(warning)
    if module._diff:
        result['diff'] = {'before': before,
                          'after': {'rule_group': before['rule_group'], 'enforce': result['enforce'],
                                    'rules': result['rules']}}
    module.exit_json(**result)


if __name__ == '__main__':
    main()
