# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""printfleet.mve.port_check: the module on Linux hosts, the port probe step on a Windows MVE server.

* Any connection whose shell is not PowerShell: the module runs on the host as usual.
* A Windows host (``ansible_connection: winrm`` or ``psrp``): nothing is installed there. The task's arguments
  are validated here with the module's own argument spec and target list (bad input fails before any round
  trip), every probe's bytes are built here, the whole target list goes to the host in one round trip (the
  port probe step: bounded concurrency, non-blocking connects, UDP with ICMP unreachable seen as
  WSAECONNRESET, per-target timeout and retries), and the replies are parsed here with the Linux engine's own
  parsers and verdicts (module_utils/probes/windows.py). The result has the module's keys plus
  ``vantage: windows`` and ``round_trips``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

from ansible_collections.printfleet.mve.plugins.module_utils.common import errors
from ansible_collections.printfleet.mve.plugins.module_utils.probes import port_check
from ansible_collections.printfleet.mve.plugins.module_utils.probes import port_probe
from ansible_collections.printfleet.mve.plugins.module_utils.probes import windows as windows_probe
from ansible_collections.printfleet.mve.plugins.plugin_utils import windows_transport


class ActionModule(ActionBase):

    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        if not windows_transport.on_windows(self._connection):
            result.update(self._execute_module(module_name='printfleet.mve.port_check',
                                               module_args=self._task.args, task_vars=task_vars))
            return result
        result.update(self.run_windows(dict(self._task.args)))
        return result

    def run_windows(self, args):
        validation = port_check.ARGUMENT_SPEC.validate(args)
        if validation.errors:
            return {'failed': True, 'changed': False, 'msg': validation.message, 'vantage': 'windows', 'round_trips': 0}
        params = validation.params
        try:
            targets, snmp_defaults = port_check.build_targets(params)
            normalized = port_probe.validate_targets(targets, snmp_defaults)
            ca_pem = windows_transport.read_ca_bundle(params.get('ca_path')) if any(
                t['tls'] for t in normalized) and params['validate_certs'] else None
        except errors.PrintfleetError as exc:
            return remove_values(dict(errors.failure(exc), failed=True, changed=False, vantage='windows', round_trips=0),
                                 validation.secrets)
        except ValueError as exc:  # windows_transport.read_ca_bundle: a CA file the controller cannot read
            return dict(errors.failure(exc, field='ca_path'), failed=True, changed=False, vantage='windows', round_trips=0)
        transport = windows_transport.WindowsTransport(self._connection, secrets=validation.secrets,
                                                       host=getattr(self._play_context, 'remote_addr', None))
        start = time.perf_counter()
        results = []
        if normalized:
            payload, accepts = windows_probe.build(normalized, params['timeout'], params['retries'],
                                                   min(params['concurrency'], len(normalized)), ca_pem)
            try:
                value = transport.run(windows_probe.SCRIPT, payload)
            except windows_transport.WindowsStepError as exc:
                return {'failed': True, 'changed': False, 'vantage': 'windows', 'round_trips': transport.round_trips,
                        'error_kind': exc.kind, 'msg': 'the port probe step did not run on the Windows host: %s' % exc.message}
            # The host's error texts, without the task's secrets in any form (remove_values below knows only one).
            if isinstance(value, dict):
                windows_transport.scrub_fields(value.get('results'), validation.secrets)
            results = windows_probe.results(normalized, value, accepts, params['timeout'], params['retries'],
                                            params['validate_certs'])
            # SNMPv3 targets with a user: their authenticated GETs, all in one more round trip.
            followup, pending = windows_probe.v3_followup(normalized, results, params['timeout'], params['retries'],
                                                          params['concurrency'])
            if followup:
                try:
                    value = transport.run(windows_probe.SCRIPT, followup)
                except windows_transport.WindowsStepError as exc:
                    value = {'results': [{'id': i, 'outcome': 'error', 'error': exc.message} for i in pending]}
                if isinstance(value, dict):
                    windows_transport.scrub_fields(value.get('results'), validation.secrets)
                windows_probe.apply_v3_followup(normalized, results, value, pending)
        elapsed_ms = round((time.perf_counter() - start) * 1000.0, 1)
        out = {'changed': False, 'results': port_check.select_results(results, params['details']),
               'summary': port_probe.summarize(results, elapsed_ms),
               'vantage': 'windows', 'round_trips': transport.round_trips}
        return remove_values(out, validation.secrets)
