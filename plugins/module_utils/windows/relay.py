# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows side of the replay driver: the data of the relay step and the reading of its result.

The step itself is PowerShell, shipped as ``relay.ps1`` beside this file and sent by the shared Windows
transport (plugins/plugin_utils/windows_transport.py): it connects, sends, receives framed messages and
upgrades to TLS exactly as the action list says, and returns one result per action (the contract in
replay.py). It holds no protocol knowledge: the framings are the conversation layer's, re-implemented there.

TLS on Windows: SslStream with the protocol versions the OS allows (``SslProtocols.None``), and a validation
callback that accepts the certificate and records what .NET's validation found (SslPolicyErrors: chain errors,
name mismatch). With a CA bundle from the controller (``ca_path``, a file or a directory, is read on the
controller and its PEM text sent along), the chain is rebuilt against that bundle; the host name check stays
.NET's. The Python side turns the returned DER certificate into the collection's TLS facts, with the cipher
named as on Linux (tls_facts.dotnet_cipher).

No PowerShell runs on the build machines: the script is checked statically (tests/support/pslint.py), its
Python reference (lab/windows/executors.py) follows the same contract against real servers, and the opt-in
scenario of docs/windows.md runs it on a real Windows host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.printfleet.mve.plugins.module_utils.common import tls_facts

SCRIPT = 'relay'

# .NET SslProtocols names -> the names Python's ssl reports, so facts read the same from either vantage point.
TLS_VERSION_NAMES = {'Tls': 'TLSv1', 'Tls11': 'TLSv1.1', 'Tls12': 'TLSv1.2', 'Tls13': 'TLSv1.3', 'Ssl3': 'SSLv3'}


def relay_payload(actions, timeout, ca_pem=None):
    """The relay step's payload: ``actions`` (list of action dicts), ``timeout`` seconds per step, the CA PEM."""
    return {'actions': list(actions), 'timeout_ms': int(float(timeout) * 1000), 'ca_pem': ca_pem or None}


def relay_steps(value, mask=None):
    """The step results from the relay step's returned object, TLS facts named as on Linux. ``mask`` (text ->
    text): applied to the error text the Windows host wrote (``error``, ``message``) before anything reads it,
    to remove the task's secrets (a .NET exception message may quote the data being sent)."""
    if not isinstance(value, dict) or not isinstance(value.get('steps'), list):
        raise ValueError('the relay step returned no step list')
    steps = value['steps']
    for step in steps:
        for key in ('error', 'message'):
            if mask is not None and isinstance(step.get(key), str):
                step[key] = mask(step[key])
        value = step.get('value')
        if isinstance(value, dict) and 'version' in value and 'cert' in value:
            value['version'] = TLS_VERSION_NAMES.get(value['version'], value['version'])
            value['cipher'] = tls_facts.dotnet_cipher(value.pop('cipher_algorithm', None), value.pop('cipher_bits', None))
    return steps
