# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ldap_check module's options and its set-up (validated parameters and the conversation), shared by the
module and its action plugin (Windows vantage point)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.printfleet.mve.plugins.module_utils.common.argspec import ArgumentSpec
from ansible_collections.printfleet.mve.plugins.module_utils.checks import dependency as dependency_check
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import ldap as ldap_wire
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix


ARGUMENT_SPEC = ArgumentSpec(dependency_check.argument_spec(
    encryption=dict(type='str', choices=list(ldap_wire.ENCRYPTIONS), default='none'),
    bind_dn=dict(type='str'),
    bind_password=dict(type='str', no_log=True),
    search_base=dict(type='str'),
    search_scope=dict(type='str', choices=list(ldap_wire.SCOPES), default='base'),
    search_filter=dict(type='str', default='(objectClass=*)'),
), required_together=[('bind_dn', 'bind_password')])


def prepare(params, check_mode=False, local_fqdn=None):
    """Validated options and the conversation; shared with the action plugin (Windows vantage point).
    Raises CheckInputError naming the field."""
    params = dict(params)
    dependency_check.validate_common(params)
    try:
        params['port'] = dependency_check.resolve_port(params.get('port'), ldap_wire.FLOWS[params['encryption']])
        options = ldap_wire.validate(params)
    except (ldap_wire.LdapInputError, port_matrix.MatrixError) as exc:
        raise dependency_check.CheckInputError(exc.field, exc.message)
    return ldap_wire.ldap_conversation(options), params
