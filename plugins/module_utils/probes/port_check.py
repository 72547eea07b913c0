# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The port_check module's options and its target list (explicit targets, then the flows of the port matrix
between the vantage point and the peers), validated and normalized; shared by the module and its action plugin."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
from ansible_collections.printfleet.mve.plugins.module_utils.common.argspec import ArgumentSpec
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
from ansible_collections.printfleet.mve.plugins.module_utils.probes import port_probe
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp as snmp_wire


# What RV(results) holds: every target, only those not open, or none (RV(summary) always counts them all).
DETAILS = ('full', 'failures', 'summary')


def _argument_spec():
    target_options = dict(
        host=dict(type='str', required=True),
        port=dict(type='int', required=True),
        transport=dict(type='str', default='tcp', choices=list(port_probe.TRANSPORTS)),
        probe=dict(type='str', default='none', choices=list(port_probe.PROBES)),
        tls=dict(type='bool', default=False),
        server_name=dict(type='str'),
    )
    target_options.update(copy.deepcopy(snmp_wire.SNMP_ARGSPEC_OPTIONS))
    spec = dict(
        targets=dict(type='list', elements='dict', default=[], options=target_options),
        features=dict(type='dict'),
        peers=dict(type='dict'),
        vantage=dict(type='str', default='mve_server', choices=list(port_matrix.ENDPOINTS)),
        timeout=dict(type='float', default=port_probe.DEFAULT_TIMEOUT),
        retries=dict(type='int', default=port_probe.DEFAULT_RETRIES),
        concurrency=dict(type='int', default=port_probe.DEFAULT_CONCURRENCY),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        details=dict(type='str', default='full', choices=list(DETAILS)),
    )
    spec.update(copy.deepcopy(snmp_wire.SNMP_ARGSPEC_OPTIONS))
    return spec


ARGUMENT_SPEC = ArgumentSpec(_argument_spec())

_TARGET_OPTIONS = ARGUMENT_SPEC.argument_spec['targets']['options']
_PLAIN_TYPES = {'str': str, 'int': int, 'bool': bool}
# The target options a plain target may set (see _plain): (exact type, choices, required, default) of each option
# that has only these properties; the others (the secrets: no_log) must stay unset, and are filled with None.
_PLAIN_OPTIONS = dict((name, (_PLAIN_TYPES[o['type']], o.get('choices'), o.get('required', False), o.get('default')))
                      for name, o in _TARGET_OPTIONS.items()
                      if set(o) <= {'type', 'choices', 'required', 'default'} and o.get('type') in _PLAIN_TYPES)
_UNSET_OPTIONS = tuple(name for name in _TARGET_OPTIONS if name not in _PLAIN_OPTIONS)
# Only when an option that a plain target may not set can be left unset (None) without the spec saying more.
_PLAIN_POSSIBLE = all(not _TARGET_OPTIONS[name].get('required') and _TARGET_OPTIONS[name].get('default') is None
                      for name in _UNSET_OPTIONS)
# What AnsibleModule validates when every target is plain: ``targets`` as a list of dicts, without its
# suboptions (plain targets already are what validating them against the suboptions would make of them).
_LEAN_SPEC = dict(ARGUMENT_SPEC.argument_spec, targets=dict(type='list', elements='dict', default=[]))


def _plain(target):
    """The target with every option filled in as the argument spec fills it (its default or None), or None when
    it is not plain: a plain target only sets known, non-secret options to values of the option's exact type (and
    choice), so that validating it against the target suboptions would change nothing and find nothing wrong."""
    if type(target) is not dict:  # pylint: disable=unidiomatic-typecheck
        return None
    out = dict.fromkeys(_UNSET_OPTIONS)
    known = 0
    for name, (kind, choices, required, default) in _PLAIN_OPTIONS.items():
        value = target.get(name)
        if name in target:
            known += 1
        if value is None:
            if required or default is not None and name in target:
                return None  # a missing required option, or a null the spec would replace
            out[name] = default
        elif type(value) is not kind or choices is not None and value not in choices:  # pylint: disable=unidiomatic-typecheck
            return None  # to convert (bool is not int here), or a bad choice: the spec warns or fails
        else:
            out[name] = value
    if known != len(target):
        return None  # a secret (no_log) or an unknown key
    return out


def plain_targets(targets):
    """``targets`` (the task's raw O(targets)) as AnsibleModule would validate them against the target suboptions,
    when every target is plain (see _plain); None when one is not, or when ``targets`` is not a list."""
    if not _PLAIN_POSSIBLE:
        return None
    if targets is None:
        return []
    if type(targets) is not list:  # pylint: disable=unidiomatic-typecheck
        return None
    out = []
    for target in targets:
        plain = _plain(target)
        if plain is None:
            return None
        out.append(plain)
    return out


def create_module():
    """The module's AnsibleModule. Validating every target against the 14 target suboptions is the largest
    per-target cost of the module outside its probes (about 20 ms per 1,000 targets, measured): when every
    target is plain (the usual case: host, port and maybe transport, probe, tls, as YAML or a template gives
    them), AnsibleModule validates ``targets`` as a list of dicts and the targets are filled in here, with the
    same result. Anything else (a value to convert, a secret to mask, a null, an unknown key, a bad choice)
    goes through the full argument spec, as before. The choice is made before AnsibleModule exists, from the
    task's arguments as AnsibleModule reads them (none under ansible-test's argument spec check, which then
    sees the full spec); so a target's secret is never logged unmasked by AnsibleModule's invocation log."""
    from ansible.module_utils import basic
    raw = basic._load_params()  # pylint: disable=protected-access
    targets = plain_targets(raw.get('targets')) if isinstance(raw, dict) else None
    if targets is None:
        return ARGUMENT_SPEC.create_module()
    module = ARGUMENT_SPEC.create_module(argument_spec=copy.deepcopy(_LEAN_SPEC))
    module.params['targets'] = targets
    return module


def build_targets(params):
    """All targets (explicit, then matrix-derived), validated. Raises ValueError subclasses."""
    targets, snmp_defaults, dummy = prepare(params)
    return targets, snmp_defaults


def prepare(params):
    """(targets, snmp_defaults, normalized): the targets of build_targets and their normalized form, validated
    once (validation is a per-target cost: 10,000 targets are validated in ~0.1 s, not three times that)."""
    snmp_defaults = dict((k, params.get(k)) for k in snmp_wire.SNMP_OPTION_NAMES)
    port_probe.validate_options(params['timeout'], params['retries'], params['concurrency'])
    explicit = []
    for t in params.get('targets') or []:
        explicit.append(dict((k, v) for k, v in t.items() if v is not None))
    derived = []
    if params.get('features') is not None:
        port_matrix.normalize_features(params['features'])
    if params.get('peers'):
        derived = port_probe.targets_from_matrix(params.get('features'), params['peers'], params['vantage'])
    targets = explicit + derived
    labels = ['targets[%d]' % i for i in range(len(explicit))] + [_peer_label(t, params['peers']) for t in derived]
    return targets, snmp_defaults, port_probe.validate_targets(targets, snmp_defaults, labels)


def _peer_label(target, peers):
    """How the user wrote a target derived from O(peers): ``peers.<role>[<index>]`` of its host."""
    role = port_matrix.get_flow(target['flow'])['destination']
    hosts = peers.get(role)
    if isinstance(hosts, (list, tuple)):
        for index, host in enumerate(hosts):
            if isinstance(host, str) and host.strip() == target['host']:
                return 'peers.%s[%d]' % (role, index)
    return 'peers.%s' % role


def select_results(results, details):
    """The results RV(results) returns for O(details): all, those whose state is not open, or none."""
    if details == 'summary':
        return []
    if details == 'failures':
        return [r for r in results if r['state'] != 'open']
    return results


def invocation(params):
    """The module's ``invocation``: its options as AnsibleModule would echo them, with ``targets`` replaced by their
    number. The target list is the one option that grows with the task, and each target is already named in
    RV(results) (host, port, transport, probe); echoed, 1,000 targets (even only their options set, 1,000 dicts)
    were scrubbed and serialized by the module, parsed by the worker, pickled, copied and transformed by the
    controller: ~20 ms per 1,000 targets, a fifth of the probe phase of 1,000 closed ports (measured). Secrets
    are still masked by exit_json."""
    args = dict(params)
    args['targets'] = len(params.get('targets') or [])
    return {'module_args': args}
