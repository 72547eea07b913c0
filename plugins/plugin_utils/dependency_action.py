# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of the dependency checks: where the check runs from.

* A Linux host, or the controller (any connection whose shell is not PowerShell): the module runs there as
  usual, and its conversation runs with the local driver.
* A Windows host (``ansible_connection: winrm`` or ``psrp``: the MVE server itself): nothing is installed
  there. The module's own argument spec validates the task's arguments here, the module's own conversation
  runs here, and each batch of I/O actions runs on the Windows host as one small PowerShell step (see
  module_utils/windows/relay.py), one round trip per receive. The result has the module's keys plus
  ``vantage: windows`` and ``round_trips``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.printfleet.mve.plugins.module_utils.common import errors
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation
from ansible_collections.printfleet.mve.plugins.module_utils.checks import dependency as dependency_check
from ansible_collections.printfleet.mve.plugins.module_utils.windows import replay as remote_replay
from ansible_collections.printfleet.mve.plugins.module_utils.windows import relay as winrelay
from ansible_collections.printfleet.mve.plugins.plugin_utils import windows_transport


class DependencyCheckAction(ActionBase):
    """Subclasses set MODULE (e.g. ``smtp_check``) and CHECK, the check's module_utils
    (``module_utils/checks/<name>.py``), which exposes ``ARGUMENT_SPEC`` (shared with the module),
    ``prepare(params, check_mode, local_fqdn) -> (conversation, params)`` and optionally
    ``remote_finish(params, out, run_step) -> out`` for the steps after the conversation (run_step(name,
    payload) runs a shipped PowerShell step: the SQL Server login)."""

    MODULE = None
    CHECK = None
    _requires_connection = True

    def _on_windows(self):
        return windows_transport.on_windows(self._connection)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(DependencyCheckAction, self).run(tmp, task_vars)
        del tmp
        if not self._on_windows():
            result.update(self._execute_module(module_name='printfleet.mve.' + self.MODULE,
                                               module_args=self._task.args, task_vars=task_vars))
            return result
        local_fqdn = task_vars.get('ansible_fqdn') or task_vars.get('inventory_hostname')
        result.update(self.run_remote(dict(self._task.args), None, check_mode=self._task.check_mode,
                                      local_fqdn=local_fqdn))
        return result

    def run_remote(self, args, execute_batch, check_mode=False, local_fqdn=None):
        """Validate ``args`` with the module's spec, run its conversation through ``execute_batch`` (None: the
        relay step on this task's Windows host, through the shared transport)."""
        module = self.CHECK
        validation = module.ARGUMENT_SPEC.validate(args)
        secrets = validation.secrets
        if validation.errors:
            return remove_values(self._failure(validation.message), secrets)
        params = validation.params
        self.transport = windows_transport.WindowsTransport(self._connection, secrets=secrets,
                                                            host=getattr(self._play_context, 'remote_addr', None))
        if execute_batch is None:
            execute_batch = self._relay
        try:
            dependency_check.validate_common(params)
            ca_pem = self._read_ca(params.get('ca_path'))
            conv, params = module.prepare(params, check_mode=check_mode, local_fqdn=local_fqdn)
        except (dependency_check.CheckInputError, ValueError) as exc:
            return remove_values(self._failure(**errors.failure(exc)), secrets)
        start = time.perf_counter()
        try:
            out, rounds = remote_replay.run_replay(
                conv, lambda actions: execute_batch(actions, params['timeout'], ca_pem),
                validate_certs=params.get('validate_certs', True))
        except conversation.ConversationError as exc:
            out, rounds = dependency_check.result(False, 'the check could not run on the Windows host: %s' % exc), 0
        if hasattr(module, 'remote_finish'):
            before = self.transport.round_trips
            out = module.remote_finish(params, out, self._run_step)
            rounds += self.transport.round_trips - before   # steps after the conversation (the SQL login)
        out['elapsed_ms'] = round((time.perf_counter() - start) * 1000.0, 2)
        out.update({'changed': False, 'vantage': 'windows', 'round_trips': rounds})
        if not out['ok'] and params.get('fail_on_error', True):
            out.update(failed=True, msg=out['reason'])
        return remove_values(out, secrets)

    @staticmethod
    def _failure(msg, **keys):
        """A task that fails on its input, before any round trip: the module's failure keys (``field``,
        ``error_kind``) and the Windows path's (``vantage``, ``round_trips``)."""
        return dict(keys, failed=True, changed=False, msg=to_text(msg), vantage='windows', round_trips=0)

    def _run_step(self, name, payload):
        """A step after the conversation (the SQL Server login): its result, the host's error text masked."""
        value = self.transport.run(name, payload)
        if isinstance(value, dict):
            windows_transport.scrub_fields([value], self.transport.secrets)
        return value

    @staticmethod
    def _read_ca(ca_path):
        try:
            return windows_transport.read_ca_bundle(ca_path)
        except errors.PrintfleetError:
            raise
        except ValueError as exc:  # a file the controller cannot read: the user's ca_path
            text = to_text(exc)
            raise errors.InputError('ca_path', text[len('ca_path: '):] if text.startswith('ca_path: ') else text)

    def _relay(self, actions, timeout, ca_pem):
        """One round trip: the relay step for ``actions`` on the Windows host."""
        try:
            value = self.transport.run(winrelay.SCRIPT, winrelay.relay_payload(actions, timeout, ca_pem))
            return winrelay.relay_steps(value, mask=lambda text: windows_transport.scrub(text, self.transport.secrets))
        except (windows_transport.WindowsStepError, ValueError) as exc:
            raise conversation.ConversationError(to_text(exc))
