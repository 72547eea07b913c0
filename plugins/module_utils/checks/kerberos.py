# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kerberos_check module's options and its set-up (validated parameters and the conversation), shared by
the module and its action plugin (Windows vantage point)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.printfleet.mve.plugins.module_utils.common.argspec import ArgumentSpec
from ansible_collections.printfleet.mve.plugins.module_utils.checks import dependency as dependency_check
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import kerberos as kerberos_wire


ARGUMENT_SPEC = ArgumentSpec(dependency_check.argument_spec(
    realm=dict(type='str', required=True),
    principal=dict(type='str', default=kerberos_wire.DEFAULT_PRINCIPAL),
    transport=dict(type='str', default='both', choices=list(kerberos_wire.TRANSPORTS)),
    max_skew=dict(type='float', default=kerberos_wire.DEFAULT_MAX_SKEW),
    require_principal=dict(type='bool'),
))


def check_params(params):
    """Validated copy of the module parameters for the conversation. Raises CheckInputError / KerberosInputError."""
    dependency_check.validate_common(params)
    if params['max_skew'] is not None and not params['max_skew'] > 0:
        raise dependency_check.CheckInputError('max_skew', 'must be a number of seconds above 0, got %r'
                                               % (params['max_skew'],))
    realm = kerberos_wire.validate_realm(params['realm'])
    kerberos_wire.split_principal(params['principal'], realm)
    checked = dict(params)
    if checked.get('require_principal') is None:
        # A principal the user names must exist; the built-in probe principal only serves to test the realm.
        checked['require_principal'] = (params.get('principal') or kerberos_wire.DEFAULT_PRINCIPAL) != \
            kerberos_wire.DEFAULT_PRINCIPAL
    checked['port'] = dependency_check.resolve_port(params.get('port'), kerberos_wire.FLOW_ID)
    # Kerberos has no TLS: validate_certs and ca_path are accepted for uniformity and set aside.
    checked['validate_certs'], checked['ca_path'] = False, None
    return checked


def prepare(params, check_mode=False, local_fqdn=None):
    """Validated params and the conversation; shared with the action plugin (Windows vantage point)."""
    checked = check_params(params)
    return kerberos_wire.kerberos_conversation(checked), checked
