# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The result of a fleet task (printer_snmp's and printer_port_access's ``printers`` option), from the result of
each printer: whether anything changed, which printers failed and the message that names them, and one diff
keyed by printer; and whether a printer's failure came after its change went out (``sent``)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

NAMED_IN_MESSAGE = 20


def sent(exc):
    """True when ``exc`` ended a printer's work after its change went out (a SET, a posted form): the printer's
    result is ``changed`` whatever the printer made of it. The engines mark such an error ``exc.sent = True``."""
    return bool(getattr(exc, 'sent', False))


def outcome(printers):
    """(changed, failed_printers, msg) of ``printers`` ({host: result}); ``msg`` is None when none failed, else
    names the first failed printers with their messages."""
    failed = sorted(h for h, r in printers.items() if r.get('failed'))
    changed = any(r.get('changed') for r in printers.values())
    if not failed:
        return changed, failed, None
    msg = '%d of %d printers failed: %s' % (len(failed), len(printers), '; '.join(
        '%s: %s' % (h, printers[h]['msg']) for h in failed[:NAMED_IN_MESSAGE]))
    if len(failed) > NAMED_IN_MESSAGE:
        msg += ' (and %d more, in failed_printers)' % (len(failed) - NAMED_IN_MESSAGE)
    return changed, failed, msg


def diff(diffs):
    """One diff from each printer's ({host: {before, after}}), keyed by printer; empty sides are left out."""
    return dict((side, dict((h, d[side]) for h, d in sorted(diffs.items()) if d.get(side)))
                for side in ('before', 'after'))
