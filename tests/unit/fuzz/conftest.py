# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hypothesis settings of the fuzz tests.

``printfleet-fuzz`` (the default, what CI runs) is deterministic: derandomized, no example database, no
deadline, and few enough examples that the whole directory runs in well under a minute on a 2-core machine.
``PFMVE_FUZZ_PROFILE=printfleet-fuzz-long`` runs random, much longer searches locally (findings go into the
regression lists of the test files, with their exact bytes).
"""

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile('printfleet-fuzz', derandomize=True, deadline=None, database=None, max_examples=150,
                          suppress_health_check=_QUIET, print_blob=True)
settings.register_profile('printfleet-fuzz-long', derandomize=False, deadline=None, database=None,
                          max_examples=20000, suppress_health_check=_QUIET, print_blob=True)
settings.load_profile(os.environ.get('PFMVE_FUZZ_PROFILE', 'printfleet-fuzz'))
