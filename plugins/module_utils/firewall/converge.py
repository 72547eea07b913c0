# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What mve_firewall does on any backend, shared by the module (nftables on Linux hosts) and its action plugin
(Windows Defender Firewall over WinRM/PSRP): the options, the host-independent validation, the wanted rules,
and converge (one read, plan, at most one apply) for a backend object with read/validate/render/apply."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import platform
from ansible_collections.printfleet.mve.plugins.module_utils.common.argspec import ArgumentSpec
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import nftables as firewall_nft
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as firewall_plan


WINDOWS_NEEDS_POWERSHELL = ('backend: windows manages Windows Defender Firewall through the task\'s WinRM or PSRP '
                            'connection (the printfleet.mve.mve_firewall action plugin); this host was reached '
                            'with a connection whose shell is not PowerShell. On Linux hosts use backend: nftables')

ARGUMENT_SPEC = ArgumentSpec(dict(
    backend=dict(type='str', default='auto', choices=['auto', 'windows', 'nftables']),
    features=dict(type='dict', default={}),
    scopes=dict(type='dict', default={}),
    state=dict(type='str', default='merged', choices=list(firewall_plan.STATES)),
    outbound=dict(type='str', default='auto', choices=list(firewall_plan.OUTBOUND_CHOICES)),
    rule_group=dict(type='str', default='printfleet.mve'),
    strict=dict(type='bool', default=True),
    enforce=dict(type='bool', default=False),
    management_ports=dict(type='list', elements='int', default=list(firewall_plan.MANAGEMENT_PORTS)),
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


def select_backend(module):
    """The backend for a module run on the target (nftables: Windows is the action plugin's business)."""
    backend = module.params['backend']
    if backend == 'auto':
        backend = 'nftables' if platform.system() == 'Linux' else 'windows'
    if backend == 'windows':
        module.fail_json(msg=WINDOWS_NEEDS_POWERSHELL, field='backend', changed=False)
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


def converge(backend, params, check_mode=False, environ=None):
    """One read, plan, at most one apply. Returns the module result (without diff). Raises PlanError,
    MatrixError or NftError; nothing is applied when one is raised before the apply."""
    group = firewall_plan.validate_rule_group(params['rule_group'])
    state = params['state']
    enforce = bool(params['enforce']) and state != 'absent'
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
        management = firewall_plan.check_safety(want, params['management_ports'], enforce=enforce,
                                                connection_port=params.get('connection_port') or connection_port(environ))
        backend.validate(want)
    have_rules = firewall_plan.annotate(have['rules'], want)
    result = firewall_plan.plan(want, have_rules, state, group)
    changes = result['changes']
    commands = result['commands']
    want_mgmt = sorted(set(management)) if enforce else []
    have_mgmt = [p for lo, hi in firewall_plan.port_intervals(have['management_ports']) for p in range(lo, hi + 1)]
    if have['enforce'] != enforce or (enforce and sorted(set(have_mgmt)) != want_mgmt):
        before = {'enforce': have['enforce'], 'management_ports': sorted(set(have_mgmt))}
        after = {'enforce': enforce, 'management_ports': want_mgmt}
        changes.append({'action': 'set', 'name': 'enforce', 'before': before, 'after': after,
                        'fields': [k for k in before if before[k] != after[k]]})
        commands.append('set enforce %s (management ports: %s)' % (
            'on' if enforce else 'off', firewall_plan.ports_text(want_mgmt) or 'none'))
    layout = getattr(backend, 'layout_changes', None)
    missing = layout(have, result['after'], enforce) if layout and have['exists'] else []
    if missing and not changes:
        changes.append({'action': 'set', 'name': 'layout', 'before': {'layout': 'earlier'}, 'after': {'layout': 'current'},
                        'fields': ['layout']})
        commands.append('rewrite table %s: %s' % (backend.table, '; '.join(missing)))
    boot = getattr(backend, 'boot_changes', None)
    files = boot(result['after'], enforce=enforce, management_ports=management) if boot else []
    live_changed = bool(changes)
    for change in files:
        changes.append({'action': 'persist', 'name': change['path'], 'before': change['before'],
                        'after': change['after'], 'fields': ['content']})
        commands.append('%s %s' % ('remove' if change['after'] is None else 'write', change['path']))
    changed = bool(changes)
    script = ''
    if live_changed:
        script = backend.render(result['after'], enforce=enforce, management_ports=management)
        if not check_mode:
            backend.apply(script)
    if files and not check_mode:
        backend.persist(files)
    warnings = []
    if result['after'] and have['drop_chains']:
        warnings.append('nftables: %s; an accept in table inet %s does not override a drop in another table, so the '
                        'MVE flows must be allowed there too (firewalld: firewall-cmd --permanent --add-port=<port>/<proto> '
                        'and --reload; ufw: ufw allow <port>/<proto>; a table of your own: an accept rule before its '
                        'drop)' % (
                            '; '.join('chain %s %s %s (hook %s) %s' % (
                                c['family'], c['table'], c['chain'], c['hook'],
                                'ends in a drop or reject rule' if c.get('by') == 'rule' else 'drops by default')
                                for c in have['drop_chains']), backend.table))
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
        '_before': {'rule_group': group, 'enforce': have['enforce'], 'rules': result['before']},
    }
