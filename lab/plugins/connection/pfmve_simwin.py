# -*- coding: utf-8 -*-
# printfleet.mve lab only (never shipped in the collection): the connection of the simulated Windows MVE server.
"""A connection plugin for the lab's simulated Windows MVE server (mvewin01).

It stands where ``ansible.builtin.winrm`` (or ``psrp``) stands and talks to lab/windows/host.py's
SimulatedWindowsHost, which accepts only the collection's own PowerShell steps as the shared Windows transport
sends them (the bootstrap as the real PowerShell shell plugin encodes it, a shipped and statically checked step
as its input, delivered on stdin like winrm or as pipeline lines like psrp), runs them with their Python
references (socket relay, port probes and SQL login from this machine, the firewall against a simulated policy
store kept in the lab directory), and refuses anything else (an AnsiballZ Python module, a raw command, a file
transfer) with the error a Windows host without Python gives.
"""
from __future__ import annotations

DOCUMENTATION = """
name: pfmve_simwin
short_description: The printfleet.mve lab's simulated Windows MVE server
description:
  - Runs the printfleet.mve PowerShell steps against a simulated Windows host; refuses everything else.
options:
  pfmve_simwin_delivery:
    description: How the input reaches the host, as the real connection would deliver it.
    choices: [winrm, psrp]
    default: winrm
    vars:
      - name: pfmve_simwin_delivery
  pfmve_simwin_state:
    description: The JSON file that keeps the simulated Windows Defender Firewall policy store between runs.
    vars:
      - name: pfmve_simwin_state
  pfmve_simwin_fault_on:
    description:
      - Test fault (for the secrets scan, tests/integration/test_secrets.py). A relay step whose data to send
        contains one of these strings fails at that send with an error that quotes the data, as a .NET
        exception message may quote its argument; the actions before it run as usual.
    type: list
    elements: str
    default: []
    vars:
      - name: pfmve_simwin_fault_on
"""

import json
import os
import sys
import time

from ansible.errors import AnsibleError
from ansible.plugins.connection import ConnectionBase

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
if _ROOT not in sys.path:
    sys.path.append(_ROOT)


class Connection(ConnectionBase):
    transport = 'pfmve_simwin'
    has_pipelining = False
    module_implementation_preferences = ('.ps1', '.exe', '')
    allow_executable = False
    allow_extras = True

    def __init__(self, *args, **kwargs):
        self._shell_type = 'powershell'   # as ansible.builtin.winrm and psrp: no ansible_shell_type needed
        super(Connection, self).__init__(*args, **kwargs)

    def _connect(self):
        self._connected = True
        return self

    def _store(self):
        from lab.windows import fwpolicy_sim
        path = self.get_option('pfmve_simwin_state')
        saved = {}
        if path and os.path.exists(path):
            with open(path) as fh:
                saved = json.load(fh)
        return path, fwpolicy_sim.FwPolicySim(rules=saved.get('rules', []), outbound=saved.get('outbound', 'allow'))

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super(Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        from lab.windows.host import SimulatedWindowsHost, default_executors
        path, policy = self._store()
        executors = default_executors(policy)
        executors['relay'] = self._fault(executors['relay'])
        host = SimulatedWindowsHost(self._play_context.remote_addr or 'mvewin01', executors)
        if self.get_option('pfmve_simwin_delivery') == 'psrp':
            rc, stdout, stderr = host.exec_psrp(cmd, in_data)
        else:
            rc, stdout, stderr = host.exec_winrm(cmd, in_data)
        if path and any(entry[1] == 'firewall' for entry in host.log):
            with open(path + '.tmp', 'w') as fh:
                json.dump({'rules': policy.rules, 'outbound': 'allow'}, fh)
            os.replace(path + '.tmp', path)
        return rc, stdout, stderr

    def _fault(self, relay):
        """The relay step, failing at a send whose data holds one of pfmve_simwin_fault_on (a test fault)."""
        needles = [n.encode('utf-8') for n in self.get_option('pfmve_simwin_fault_on') or [] if n]

        def step(payload):
            actions = payload.get('actions') or []
            for index, action in enumerate(actions):
                data = bytes.fromhex(action.get('data') or '') if action.get('action') == 'send' else b''
                if needles and any(n in data for n in needles):
                    done = relay(dict(payload, actions=actions[:index]))
                    if all(s.get('ok') for s in done['steps']):
                        done['steps'].append({
                            'ok': False, 'error': 'IOException', 'at': time.time(),
                            'message': 'simulated fault on the Windows host: Exception calling "Write" with "3" '
                                       'argument(s): "Unable to write data to the transport connection: %s"'
                                       % data.decode('latin-1')})
                    return done
            return relay(payload)
        return step

    def put_file(self, in_path, out_path):
        raise AnsibleError('simulated Windows host %s: no file transfer; printfleet.mve runs nothing there but its '
                           'own PowerShell steps (a Python module must run on the controller: delegate_to: '
                           'localhost)' % (self._play_context.remote_addr,))

    def fetch_file(self, in_path, out_path):
        self.put_file(in_path, out_path)

    def close(self):
        self._connected = False
