# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One argument-spec object per module, shared by the module and its action plugin.

``ArgumentSpec`` carries the options *and* their constraints (mutually exclusive, required together /
one of / if / by). The module builds its ``AnsibleModule`` from it (``create_module``); an action plugin
that runs the module's logic on the controller for a Windows target validates the task's arguments with the
same object (``validate``), so both give the same messages for the same bad input, before anything runs.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

_CONSTRAINTS = ('mutually_exclusive', 'required_together', 'required_one_of', 'required_if', 'required_by')


class Validation(object):
    """The outcome of ``ArgumentSpec.validate``: ``params`` (validated, defaults filled), ``errors`` (readable
    messages, empty when valid) and ``secrets`` (the no_log values to scrub from any result)."""

    def __init__(self, params, errors, secrets):
        self.params, self.errors, self.secrets = params, errors, secrets

    @property
    def message(self):
        return '; '.join(self.errors)


class ArgumentSpec(object):
    def __init__(self, argument_spec=None, mutually_exclusive=None, required_together=None, required_one_of=None,
                 required_if=None, required_by=None, supports_check_mode=True):
        self.argument_spec = copy.deepcopy(argument_spec or {})
        self.mutually_exclusive = list(mutually_exclusive or [])
        self.required_together = list(required_together or [])
        self.required_one_of = list(required_one_of or [])
        self.required_if = list(required_if or [])
        self.required_by = dict(required_by or {})
        self.supports_check_mode = supports_check_mode

    def extended(self, **options):
        """A copy with ``options`` added (an option of the same name replaces the one here)."""
        out = copy.deepcopy(self)
        out.argument_spec.update(copy.deepcopy(options))
        return out

    def constraints(self):
        return dict((name, getattr(self, name)) for name in _CONSTRAINTS if getattr(self, name))

    def create_module(self, **kwargs):
        """The module's AnsibleModule (imported here, so that action plugins can use this file without it)."""
        from ansible.module_utils.basic import AnsibleModule
        args = dict(self.constraints(), argument_spec=copy.deepcopy(self.argument_spec),
                    supports_check_mode=self.supports_check_mode)
        args.update(kwargs)
        return AnsibleModule(**args)

    def validate(self, args):
        """Validate task arguments on the controller as AnsibleModule would on the target."""
        validator = ArgumentSpecValidator(copy.deepcopy(self.argument_spec), **self.constraints())
        result = validator.validate(dict(args or {}))
        secrets = result._no_log_values  # pylint: disable=protected-access
        return Validation(result.validated_parameters, list(result.error_messages), secrets)
