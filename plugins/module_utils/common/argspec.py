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
        """The module's AnsibleModule (imported here, so that action plugins can use this file without it).

        When the arguments do not validate, the module fails with every problem (``validation_message``), as
        ``validate`` reports them on the controller, not only with ansible-core's first message, which for a
        list of dicts given a string does not name the option."""
        from ansible.module_utils.basic import AnsibleModule

        class SpecModule(AnsibleModule):
            def fail_json(self, msg=None, **kw):
                result = self.__dict__.get('validation_result')
                if result is not None and not self.__dict__.get('_spec_ready'):
                    msg = validation_message(result.errors, msg)
                super(SpecModule, self).fail_json(msg=msg, **kw)

        args = dict(self.constraints(), argument_spec=copy.deepcopy(self.argument_spec),
                    supports_check_mode=self.supports_check_mode)
        args.update(kwargs)
        module = SpecModule(**args)
        module._spec_ready = True  # pylint: disable=protected-access,attribute-defined-outside-init
        return module

    def validate(self, args):
        """Validate task arguments on the controller as AnsibleModule would on the target."""
        validator = ArgumentSpecValidator(copy.deepcopy(self.argument_spec), **self.constraints())
        result = validator.validate(dict(args or {}))
        secrets = result._no_log_values  # pylint: disable=protected-access
        return Validation(result.validated_parameters, _distinct(result.error_messages), secrets)


def _distinct(messages):
    """The messages without those repeated inside another one (ansible-core reports a list element that is not
    a dict twice: bare, then naming the option)."""
    messages = [m for m in messages if m]
    return [m for i, m in enumerate(messages)
            if m not in messages[:i] and not any(m != other and m in other for other in messages)]


def validation_message(errors, first):
    """The module's message for argument-spec ``errors`` (an AnsibleValidationErrorMultiple): ``first`` (the
    message AnsibleModule made of the first error) followed by the other distinct problems, ``; `` separated."""
    messages = list(getattr(errors, 'messages', None) or [])
    if len(messages) < 2:
        return first
    rest = _distinct(messages[1:])
    head = first if messages[0] not in ' '.join(rest) else None
    return '; '.join([m for m in [head] + rest if m])
