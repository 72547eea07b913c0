# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception base of the collection.

Every error the collection raises on purpose is a ``PrintfleetError`` and carries the same three things:

``message``
    a readable sentence, without the field;
``field``
    the option (path) the error is about (``targets[3].port``, ``scopes.printer[2]``), or None;
``kind``
    a short machine word: ``input`` (bad options), ``protocol`` (bytes that are not the expected message),
    ``backend`` (a firewall tool failed or printed something unexpected), ``timeout``, ``dependency`` (a
    missing library), or the vocabulary of a family (the SNMP error kinds, the port-access error kinds,
    the connect error kinds).

``str(error)`` is ``"<field>: <message>"``, or the message alone without a field. An error that gathers
several problems (``InputError.gather``) lists them all, ``"<field>: <message>; <field>: <message>"``, in
``errors``; a single error is its own one-item ``errors`` list. ``details`` holds the extra result keys a
module reports with it (``fail_kwargs``).

Two constructor shapes, one data model: ``PrintfleetError(message, field=None, kind=None, **details)``
for errors that may have no field, ``InputError(field, message, **details)`` for bad input, which always
names its field. Families keep ``ValueError`` (input, wire errors) or ``RuntimeError`` (backends) as a
second base where callers catch those.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class PrintfleetError(Exception):
    """Base of the collection's errors: ``message``, ``field``, ``kind``, ``details``, ``errors``."""

    kind = 'error'

    def __init__(self, message, field=None, kind=None, errors=None, **details):
        super(PrintfleetError, self).__init__(message)
        self.message = message
        self.field = field
        if kind is not None:
            self.kind = kind
        self.details = details
        self._errors = list(errors) if errors else None

    @property
    def errors(self):
        """Every problem this error stands for (PrintfleetError instances); ``[self]`` for a single one."""
        return list(self._errors) if self._errors else [self]

    def __str__(self):
        if self._errors:
            return '; '.join(str(e) for e in self._errors)
        if self.field:
            return '%s: %s' % (self.field, self.message)
        return str(self.message)

    def __reduce__(self):
        # The subclasses' constructors differ; rebuild from the state, not from the arguments.
        return (_rebuild, (self.__class__,), self.__dict__)

    def fail_kwargs(self, kind_key=None):
        """Keyword arguments for ``module.fail_json``: ``msg``, ``field`` when known, the ``details``, and the
        kind under ``kind_key`` when given (``error_kind``)."""
        out = dict(self.details)
        out['msg'] = str(self)
        if self.field:
            out['field'] = self.field
        if kind_key:
            out[kind_key] = self.kind
        return out


def _rebuild(cls):
    return cls.__new__(cls)


class InputError(PrintfleetError, ValueError):
    """Bad input: ``InputError(field, message)``; ``field`` names the option (path)."""

    kind = 'input'

    def __init__(self, field, message, **kwargs):
        super(InputError, self).__init__(message, field=field, **kwargs)

    @classmethod
    def gather(cls, errors):
        """One error of this class standing for every problem of ``errors`` (a non-empty list of
        PrintfleetError): the field and message of the first, the text of them all."""
        errors = [e for problem in errors for e in problem.errors]
        return cls(errors[0].field, errors[0].message, errors=errors)


class ProtocolError(PrintfleetError, ValueError):
    """Bytes that are not the message a conversation expects (or bad arguments to build one)."""

    kind = 'protocol'


class BackendError(PrintfleetError, RuntimeError):
    """A tool on the managed host (nft, PowerShell) failed, or printed something that cannot be understood."""

    kind = 'backend'


class TargetError(InputError):
    """A bad target: the ``targets``/``exclude`` of the printers inventory, or the ``targets``, ``peers`` and
    probe options of port_check (``targets[3].port``)."""


def failure(exc, field=None, kind='input'):
    """``fail_json`` keyword arguments for ``exc``, the same keys from every module: ``msg``, ``field`` (the option
    the user wrote) when known and ``error_kind``. A PrintfleetError brings its own field, kind and details;
    another exception (a ValueError of a library) is reported with ``field`` and ``kind`` as given."""
    if isinstance(exc, PrintfleetError):
        out = exc.fail_kwargs('error_kind')
        if field and not out.get('field'):
            out['field'] = field
        return out
    out = {'msg': str(exc), 'error_kind': kind}
    if field:
        out['field'] = field
    return out
