# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The smtp_check module's options and its set-up (validated parameters and the conversation), shared by the
module and its action plugin (Windows vantage point)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
from ansible_collections.printfleet.mve.plugins.module_utils.common.argspec import ArgumentSpec
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation
from ansible_collections.printfleet.mve.plugins.module_utils.checks import dependency as dependency_check
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import smtp as smtp_wire


ARGUMENT_SPEC = ArgumentSpec(dependency_check.argument_spec(
    encryption=dict(type='str', choices=list(smtp_wire.ENCRYPTIONS), default='starttls'),
    username=dict(type='str'),
    password=dict(type='str', no_log=True),
    helo_name=dict(type='str'),
    mail_from=dict(type='str'),
    send_to=dict(type='list', elements='str'),
    subject=dict(type='str'),
))


def prepare(params, check_mode=False, local_fqdn=None):
    """Validated params and the conversation (raises ValueError naming the field). Shared with the action
    plugin, which runs the same conversation from a Windows host (``local_fqdn``: that host's name)."""
    params = dict(params)
    if not params.get('helo_name'):
        params['helo_name'] = smtp_wire.default_helo_name(local_fqdn or socket.getfqdn())
    params = smtp_wire.validate_params(params)
    # Check mode proves sender and recipients but stops before DATA: nothing is sent.
    params['dry_run'] = bool(check_mode)
    if params['encryption'] != 'none':
        conversation.client_context(params['validate_certs'], params.get('ca_path'))
    return smtp_wire.smtp_conversation(params), params
