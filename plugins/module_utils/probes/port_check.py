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


_TARGET_DEFAULTS = dict((k, v.get('default')) for k, v in ARGUMENT_SPEC.argument_spec['targets']['options'].items())


def invocation(params):
    """The module's ``invocation`` with each target's options that differ from their defaults: AnsibleModule
    echoes every option of every target (14 per target, most of them null) back in the result, which at
    thousands of targets costs more than the results themselves. Secrets are still masked by exit_json."""
    args = dict(params)
    args['targets'] = [dict((k, v) for k, v in t.items() if v != _TARGET_DEFAULTS.get(k))
                       for t in params.get('targets') or []]
    return {'module_args': args}
