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
), required_together=[('username', 'password')], required_by={'send_to': ('mail_from',)})


def prepare(params, check_mode=False, local_fqdn=None):
    """Validated params and the conversation (raises ValueError naming the field). Shared with the action
    plugin, which runs the same conversation from a Windows host (``local_fqdn``: that host's name)."""
    params = dict(params)
    checked = validate_params(params)   # bad input fails here, before the host name lookup below
    if checked['encryption'] != 'none':
        conversation.client_context(checked['validate_certs'], checked.get('ca_path'))
    if not params.get('helo_name'):
        params['helo_name'] = smtp_wire.default_helo_name(local_fqdn or socket.getfqdn())
        checked = validate_params(params)
    params = checked
    # Check mode proves sender and recipients but stops before DATA: nothing is sent.
    params['dry_run'] = bool(check_mode)
    return smtp_wire.smtp_conversation(params), params


def validate_address(field, value):
    if not smtp_wire.is_mailbox(value):
        raise dependency_check.CheckInputError(
            field, 'must be an e-mail address like user@example.com (no spaces or angle brackets), got %r' % (value,))
    return value


def validate_params(params):
    """Check the module input and fill defaults; returns a new dict. Raises CheckInputError (before any I/O)."""
    p = dict(params)
    dependency_check.validate_common(p)
    encryption = p.get('encryption') or 'starttls'
    if encryption not in smtp_wire.ENCRYPTIONS:
        raise dependency_check.CheckInputError('encryption', 'got %r, expected one of: %s'
                                               % (encryption, ', '.join(smtp_wire.ENCRYPTIONS)))
    p['encryption'] = encryption
    p['port'] = dependency_check.resolve_port(p.get('port'), smtp_wire.FLOW_IDS[encryption])
    p.setdefault('timeout', 5.0)
    helo_name = p.get('helo_name') or 'localhost'
    if not smtp_wire.is_helo_name(helo_name):
        raise dependency_check.CheckInputError(
            'helo_name', 'must be a domain name (mail.example.com) or an address literal ([192.0.2.1]), got %r'
            % (helo_name,))
    p['helo_name'] = helo_name
    username, password = p.get('username'), p.get('password')
    if username is not None and username == '':
        raise dependency_check.CheckInputError('username', 'must not be empty when given')
    if (username is None) != (password is None):
        raise dependency_check.CheckInputError(
            'username and password', 'give both to authenticate, or neither to skip authentication')
    send_to = p.get('send_to') or []
    if isinstance(send_to, str):
        send_to = [send_to]
    p['send_to'] = [validate_address('send_to', a) for a in send_to]
    if p['send_to'] and not p.get('mail_from'):
        raise dependency_check.CheckInputError('mail_from', 'required when send_to is given (the envelope sender)')
    if p.get('mail_from'):
        validate_address('mail_from', p['mail_from'])
    subject = p.get('subject') or 'printfleet.mve SMTP check from %s' % helo_name
    if not smtp_wire.is_one_line(subject):
        raise dependency_check.CheckInputError('subject', 'must be one line (no CR, LF or NUL)')
    p['subject'] = subject
    return p
