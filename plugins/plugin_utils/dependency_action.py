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

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation
from ansible_collections.printfleet.mve.plugins.module_utils.checks import dependency as dependency_check
from ansible_collections.printfleet.mve.plugins.module_utils.windows import replay as remote_replay
from ansible_collections.printfleet.mve.plugins.module_utils.windows import relay as winrelay

# Reads the relay script from stdin and runs it: the script itself never goes on a command line.
_BOOTSTRAP = '$s = [Console]::In.ReadToEnd(); & ([ScriptBlock]::Create($s))'


class DependencyCheckAction(ActionBase):
    """Subclasses set MODULE (e.g. ``smtp_check``) and CHECK, the check's module_utils
    (``module_utils/checks/<name>.py``), which exposes ``ARGUMENT_SPEC`` (shared with the module),
    ``prepare(params, check_mode, local_fqdn) -> (conversation, params)`` and optionally
    ``remote_finish(params, out) -> out`` for what cannot run on Windows."""

    MODULE = None
    CHECK = None
    _requires_connection = True

    def _on_windows(self):
        return getattr(getattr(self._connection, '_shell', None), 'SHELL_FAMILY', None) == 'powershell'

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(DependencyCheckAction, self).run(tmp, task_vars)
        del tmp
        if not self._on_windows():
            result.update(self._execute_module(module_name='printfleet.mve.' + self.MODULE,
                                               module_args=self._task.args, task_vars=task_vars))
            return result
        local_fqdn = task_vars.get('ansible_fqdn') or task_vars.get('inventory_hostname')
        result.update(self.run_remote(dict(self._task.args), self._relay, check_mode=self._task.check_mode,
                                      local_fqdn=local_fqdn))
        return result

    def run_remote(self, args, execute_batch, check_mode=False, local_fqdn=None):
        """Validate ``args`` with the module's spec, run its conversation through ``execute_batch``."""
        module = self.CHECK
        validation = module.ARGUMENT_SPEC.validate(args)
        secrets = validation.secrets
        if validation.errors:
            return remove_values({'failed': True, 'changed': False, 'msg': validation.message}, secrets)
        params = validation.params
        try:
            dependency_check.validate_common(params)
            ca_pem = self._read_ca(params.get('ca_path'))
            conv, params = module.prepare(params, check_mode=check_mode, local_fqdn=local_fqdn)
        except (dependency_check.CheckInputError, ValueError) as exc:
            return remove_values({'failed': True, 'changed': False, 'msg': to_text(exc)}, secrets)
        start = time.perf_counter()
        try:
            out, rounds = remote_replay.run_replay(
                conv, lambda actions: execute_batch(actions, params['timeout'], ca_pem),
                validate_certs=params.get('validate_certs', True))
        except conversation.ConversationError as exc:
            out, rounds = dependency_check.result(False, 'the check could not run on the Windows host: %s' % exc), 0
        if hasattr(module, 'remote_finish'):
            out = module.remote_finish(params, out)
        out['elapsed_ms'] = round((time.perf_counter() - start) * 1000.0, 2)
        out.update({'changed': False, 'vantage': 'windows', 'round_trips': rounds})
        if not out['ok'] and params.get('fail_on_error', True):
            out.update(failed=True, msg=out['reason'])
        return remove_values(out, secrets)

    @staticmethod
    def _read_ca(ca_path):
        if not ca_path:
            return None
        try:
            with open(ca_path, 'r') as fh:
                return fh.read()
        except (IOError, OSError) as exc:
            raise ValueError('ca_path: cannot read %r on the controller (on a Windows target the CA bundle is '
                             'read on the controller and sent along): %s' % (ca_path, exc))

    def _relay(self, actions, timeout, ca_pem):
        """One round trip: run the relay script for ``actions`` on the Windows host."""
        script = winrelay.relay_script(actions, timeout, ca_pem)
        # pylint: disable=protected-access
        cmd = self._connection._shell._encode_script(_BOOTSTRAP, preserve_rc=False)
        rc, stdout, stderr = self._connection.exec_command(cmd, in_data=script.encode('utf-8'), sudoable=False)
        if rc != 0:
            raise conversation.ConversationError('the PowerShell step failed (rc %s): %s'
                                                 % (rc, to_text(stderr).strip()[:1000]))
        try:
            return winrelay.parse_relay_output(stdout)
        except ValueError as exc:
            raise conversation.ConversationError(to_text(exc))
