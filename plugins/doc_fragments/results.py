# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """How every module of the collection reports a failure: ``field`` and ``error_kind``.

    ansible-doc merges fragments into DOCUMENTATION only (never into RETURN), so the rule is written once here, as
    notes every module includes, and each module's RETURN documents ``field`` with the entry ``FIELD`` below and
    ``error_kind`` with its own vocabulary (tests/unit/test_failure_docs.py keeps them in step;
    tests/integration/test_return_contract.py compares the documented keys with what the modules return).
    """

    # ansible-doc wants options (or attributes) in every fragment: this one adds none.
    DOCUMENTATION = r'''
options: {}
notes:
  - 'Failures: every error the collection raises on purpose carries a message, the option it is about and a kind.
    A failed task returns them as C(msg), RV(field) (the option as the user wrote it, for example C(port),
    C(targets[3].port), C(peers.printer[2]), C(username) for a module-level option that targets inherit) and
    RV(error_kind) (V(input) for bad options, or the word of the module''s own vocabulary).'
  - 'A task that fails on its input stops before it sends anything: it returns C(msg), RV(field) and
    RV(error_kind) only (and, through a Windows host, C(vantage) and C(round_trips)). The keys documented as
    returned V(always) are returned by every run that got past its input checks, also when it then fails.'
'''

    # The RETURN entry of ``field``, the same in every module (yaml).
    FIELD = r'''
field:
  description:
    - The option a failure is about, as the user wrote it (for example C(port), C(targets[3].port),
      C(peers.printer[2]), C(username)); see the notes.
  returned: on failure, when the failure is about an option
  type: str
  sample: port
'''
