# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What mve_firewall does on any backend, shared by the module (nftables on Linux hosts) and its action plugin
(Windows Defender Firewall over WinRM/PSRP): the options, the host-independent validation, the wanted rules,
and converge (one read, plan, at most one apply) for a backend object with read/validate/render/apply."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import os
import platform
from ansible_collections.printfleet.mve.plugins.module_utils.common.argspec import ArgumentSpec
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import failure
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import coexist as firewall_coexist
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import firewalld as firewall_firewalld
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import nftables as firewall_nft
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as firewall_plan
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix


WINDOWS_NEEDS_POWERSHELL = ('backend: windows manages Windows Defender Firewall through the task\'s WinRM or PSRP '
                            'connection (the printfleet.mve.mve_firewall action plugin); this host was reached '
                            'with a connection whose shell is not PowerShell. On Linux hosts use backend: nftables')

ARGUMENT_SPEC = ArgumentSpec(dict(
    backend=dict(type='str', default='auto', choices=['auto', 'windows', 'nftables', 'firewalld']),
    features=dict(type='dict', default={}),
    scopes=dict(type='dict', default={}),
    state=dict(type='str', default='merged', choices=list(firewall_plan.STATES)),
    outbound=dict(type='str', default='auto', choices=list(firewall_plan.OUTBOUND_CHOICES)),
    rule_group=dict(type='str', default='printfleet.mve'),
    strict=dict(type='bool', default=True),
    enforce=dict(type='bool', default=False),
    management_ports=dict(type='list', elements='int', default=list(firewall_plan.MANAGEMENT_PORTS)),
    management_scopes=dict(type='list', elements='str', default=[firewall_plan.ANY]),
    enabled=dict(type='bool', default=True),
    coexist=dict(type='str', default='fail', choices=list(firewall_coexist.COEXIST_CHOICES)),
    connection_source=dict(type='str'),
    rule_names=dict(type='dict', default={}),
    connection_port=dict(type='int'),
    profiles=dict(type='list', elements='str', choices=['domain', 'private', 'public'], default=['domain', 'private']),
    persist=dict(type='bool', default=True),
    persist_dir=dict(type='path', default=firewall_nft.PERSIST_DIR),
    persist_conf=dict(type='path', default=firewall_nft.PERSIST_CONF),
))


def prepare(params):
    """Validate, before anything is read from the host, what does not depend on the host.

    The Windows action plugin calls this before its first round trip (bad input never costs one). Checks
    the rule group, the management ports and, unless O(state=absent), the scopes, features, rule names and
    strict mode through the planner with the host-dependent parts left out: outbound rules when
    ``outbound`` is ``auto`` (they depend on the host's default outbound action, known after the read).
    Returns the rule group; raises firewall_plan.PlanError or port_matrix.MatrixError naming the field.
    """
    group = firewall_plan.validate_rule_group(params['rule_group'])
    firewall_plan.validate_management_ports(params['management_ports'])
    firewall_plan.normalize_management_scopes(params.get('management_scopes'))
    if params['state'] != 'absent':
        outbound = 'never' if params['outbound'] == 'auto' else params['outbound']
        wanted(dict(params, outbound=outbound), None)
    return group


def wanted(params, default_outbound_action, dynamic_ports=firewall_plan.DEFAULT_DYNAMIC_PORTS):
    """The wanted rules for ``params`` on a host whose default outbound action is ``default_outbound_action``,
    checked by the safety check (without enforce). Raises PlanError (SafetyError) or MatrixError."""
    if params['state'] == 'absent':
        return []
    want = firewall_plan.desired_rules(
        params['features'], params['scopes'], endpoint='mve_server', outbound=params['outbound'],
        default_outbound_action=default_outbound_action, strict=params['strict'], rule_group=params['rule_group'],
        dynamic_ports=dynamic_ports, rule_names=params['rule_names'])
    firewall_plan.check_safety(want, params['management_ports'])
    return want


def module_runner(module, nft):
    def run(args, data=None):
        return module.run_command([nft] + list(args), data=data, binary_data=data is not None)
    return run


def firewalld_running(module, firewall_cmd):
    """Whether ``firewall-cmd --state`` says running (backend auto)."""
    rc, out, err = module.run_command([firewall_cmd, '--state'])
    return rc == 0 and out.strip() == 'running'


def firewalld_backend(module, firewall_cmd):
    """The firewalld backend: its helper runs with firewall-cmd's own interpreter (the one with firewalld's client
    library), so the module's interpreter needs no firewalld or D-Bus bindings."""
    p = module.params
    refused = firewall_firewalld.refusal(p)
    if refused:
        module.fail_json(changed=False, backend='firewalld', **failure(firewall_plan.PlanError(*refused)))
    with open(firewall_cmd) as fh:
        python = firewall_firewalld.interpreter(fh.readline())
    if not python:
        module.fail_json(msg='%s is not a Python program; the firewalld backend runs firewalld\'s client library with '
                             'its interpreter' % firewall_cmd, field='backend', error_kind='backend', changed=False)

    def run(argv, data=None):
        return module.run_command(list(argv), data=data, binary_data=data is not None)
    return firewall_firewalld.FirewalldBackend(run, p['rule_group'], python=python, persist=p['persist'])


def select_backend(module):
    """The backend for a module run on the target (nftables or firewalld: Windows is the action plugin's business).
    V(auto) on Linux: firewalld when ``firewall-cmd --state`` says running, else nftables."""
    backend = module.params['backend']
    firewall_cmd = None
    if backend == 'auto':
        backend = 'nftables' if platform.system() == 'Linux' else 'windows'
        if backend == 'nftables':
            firewall_cmd = module.get_bin_path('firewall-cmd')
            if firewall_cmd:
                try:
                    prepare(module.params)   # bad input fails before firewall-cmd runs
                except (firewall_plan.PlanError, port_matrix.MatrixError) as exc:
                    module.fail_json(changed=False, **failure(exc))
            if firewall_cmd and firewalld_running(module, firewall_cmd):
                backend = 'firewalld'
    if backend == 'windows':
        module.fail_json(msg=WINDOWS_NEEDS_POWERSHELL, field='backend', changed=False)
    if backend == 'firewalld':
        return firewalld_backend(module, firewall_cmd or module.get_bin_path('firewall-cmd', required=True))
    nft = module.get_bin_path('nft', required=True)
    p = module.params
    return firewall_nft.NftablesBackend(module_runner(module, nft), p['rule_group'],
                                        persist_dir=p['persist_dir'] if p['persist'] else None,
                                        persist_conf=p['persist_conf'])


def connection_port(environ=None):
    """The server port of the SSH connection this run arrived on, from SSH_CONNECTION, or None."""
    environ = os.environ if environ is None else environ
    parts = (environ.get('SSH_CONNECTION') or '').split()
    if len(parts) == 4 and parts[3].isdigit():
        return int(parts[3])
    return None


def connection_source(environ=None):
    """The client address of the SSH connection this run arrived on, from SSH_CONNECTION, or None."""
    environ = os.environ if environ is None else environ
    parts = (environ.get('SSH_CONNECTION') or '').split()
    return parts[0] if len(parts) == 4 else None


def _proc_address(text):
    """An address of /proc/net/tcp{,6}: hex, 32-bit words in host (little-endian) byte order."""
    raw = bytes.fromhex(text)
    words = b''.join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    if len(words) == 4:
        return '.'.join(str(b) for b in bytearray(words))
    address = ipaddress.ip_address(words)
    return str(address.ipv4_mapped or address)


def established_peers(ports, texts):
    """The remote addresses of ESTABLISHED TCP connections to one of the local ``ports``, from the text of
    /proc/net/tcp and /proc/net/tcp6 (``texts``): the management connections that enforce must not cut."""
    wanted = set(int(p) for p in ports)
    peers = []
    for text in texts:
        for line in text.splitlines()[1:]:
            fields = line.split()
            if len(fields) < 4 or fields[3] != '01':
                continue
            try:
                local, port = fields[1].split(':')
                remote = _proc_address(fields[2].split(':')[0])
                if int(port, 16) in wanted and remote not in peers:
                    peers.append(remote)
            except ValueError:
                continue
    return peers


def _read_proc_tcp():
    texts = []
    for path in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(path) as fh:
                texts.append(fh.read())
        except (IOError, OSError):
            continue
    return texts


NFT_DISABLED = ('enabled: false is not available with backend nftables, which has no disabled rules: use state: '
                'absent to remove the rules, or backend windows; refused, nothing changed')


def converge(backend, params, check_mode=False, environ=None, proc_tcp=_read_proc_tcp):
    """One read, plan, at most one apply. Returns the module result (without diff). Raises PlanError,
    MatrixError or NftError; nothing is applied when one is raised before the apply."""
    group = firewall_plan.validate_rule_group(params['rule_group'])
    state = params['state']
    enforce = bool(params['enforce']) and state != 'absent'
    if not params.get('enabled', True) and state != 'absent':
        raise firewall_plan.PlanError('enabled', NFT_DISABLED)
    mgmt_scopes = firewall_plan.normalize_management_scopes(params.get('management_scopes'))
    prepare(params)   # bad input fails here, before the host is read
    have = backend.read()
    if have['foreign']:
        raise firewall_nft.NftError(
            'table inet %s holds rules that the collection did not create (%s); they would be deleted when the '
            'table is recreated: move them to another table' % (
                backend.table, '; '.join('chain %s handle %s comment %r' % (f['chain'], f['handle'], f['comment'])
                                         for f in have['foreign'])), field='rule_group')
    if state == 'absent':
        want = []
        management = firewall_plan.validate_management_ports(params['management_ports'])
    else:
        want = firewall_plan.desired_rules(
            params['features'], params['scopes'], endpoint='mve_server', outbound=params['outbound'],
            default_outbound_action=have['default_outbound_action'], strict=params['strict'], rule_group=group,
            dynamic_ports=backend.dynamic_ports(), rule_names=params['rule_names'])
        port = params.get('connection_port') or connection_port(environ)
        management = firewall_plan.check_safety(
            want, params['management_ports'], enforce=enforce, connection_port=port,
            management_scopes=mgmt_scopes, connection_source=params.get('connection_source') or connection_source(environ))
        if enforce and mgmt_scopes != [firewall_plan.ANY]:
            # Under become, SSH_CONNECTION is gone: the kernel still knows who is connected to the management port.
            for peer in established_peers([port] if port else management, proc_tcp()):
                firewall_plan.check_safety(want, management, enforce=True, management_scopes=mgmt_scopes,
                                           connection_source=peer)
        backend.validate(want)
        conflict = firewall_coexist.conflicts(have, want, backend.table)
        if conflict and params.get('coexist', 'fail') == 'fail':
            raise firewall_nft.NftError(conflict['message'], field='coexist', kind='conflict', coexist=conflict)
    have_rules = firewall_plan.annotate(have['rules'], want)
    result = firewall_plan.plan(want, have_rules, state, group)
    changes = result['changes']
    commands = result['commands']
    want_mgmt = sorted(set(management)) if enforce else []
    have_mgmt = [p for lo, hi in firewall_plan.port_intervals(have['management_ports']) for p in range(lo, hi + 1)]
    want_scopes = mgmt_scopes if enforce else [firewall_plan.ANY]
    have_scopes = (have.get('management_scopes') or [firewall_plan.ANY]) if have['enforce'] else [firewall_plan.ANY]
    if have['enforce'] != enforce or (enforce and (sorted(set(have_mgmt)) != want_mgmt or have_scopes != want_scopes)):
        before = {'enforce': have['enforce'], 'management_ports': sorted(set(have_mgmt)),
                  'management_scopes': have_scopes}
        after = {'enforce': enforce, 'management_ports': want_mgmt, 'management_scopes': want_scopes}
        changes.append({'action': 'set', 'name': 'enforce', 'before': before, 'after': after,
                        'fields': [k for k in before if before[k] != after[k]]})
        commands.append('set enforce %s (management ports: %s%s)' % (
            'on' if enforce else 'off', firewall_plan.ports_text(want_mgmt) or 'none',
            ' from %s' % ', '.join(want_scopes) if enforce and want_scopes != [firewall_plan.ANY] else ''))
    layout = getattr(backend, 'layout_changes', None)
    missing = layout(have, result['after'], enforce) if layout and have['exists'] else []
    if missing and not changes:
        changes.append({'action': 'set', 'name': 'layout', 'before': {'layout': 'earlier'}, 'after': {'layout': 'current'},
                        'fields': ['layout']})
        commands.append('%s: %s' % (getattr(backend, 'layout_command', 'rewrite table %s' % backend.table),
                                    '; '.join(missing)))
    boot = getattr(backend, 'boot_changes', None)
    files = boot(result['after'], enforce=enforce, management_ports=management,
                 management_scopes=mgmt_scopes) if boot else []
    live_changed = bool(changes)
    for change in files:
        changes.append({'action': 'persist', 'name': change['path'], 'before': change['before'],
                        'after': change['after'], 'fields': ['content']})
        commands.append('%s %s' % ('remove' if change['after'] is None else 'write', change['path']))
    changed = bool(changes)
    script = ''
    if live_changed:
        script = backend.render(result['after'], enforce=enforce, management_ports=management,
                                management_scopes=mgmt_scopes)
        if not check_mode:
            backend.apply(script)
    if files and not check_mode:
        backend.persist(files)
    warnings = []
    conflict = firewall_coexist.conflicts(have, result['after'], backend.table)
    if conflict:
        warnings.append(conflict['message'].replace('. Set coexist: warn to apply the rules anyway', ''))
    return {
        'changed': changed,
        'rules': result['after'],
        'commands': commands,
        'changes': changes,
        'enforce': enforce if state != 'absent' else False,
        'backend': backend.name,
        'script': script,
        'persisted': [c['path'] for c in files],
        'warnings': warnings,
        'coexist': conflict,
        '_before': {'rule_group': group, 'enforce': have['enforce'], 'rules': result['before']},
    }
