# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every PowerShell file the collection ships (``plugins/**/*.ps1``, ``*.psm1``) passes tests/support/pslint.py:
Windows PowerShell 5.1 syntax, parameters and .NET Framework APIs, strict-mode-safe variables, no placeholders
for the Python side to splice data into. No PowerShell runs here; docs/windows.md has the test on a real host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from support import pslint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = os.path.join(ROOT, 'plugins')
FILES = pslint.powershell_files([PLUGINS])


def test_the_collection_ships_powershell_files():
    # A check that finds nothing to check must fail, not pass.
    assert FILES, 'no *.ps1 / *.psm1 file under %s' % PLUGINS


@pytest.mark.parametrize('path', FILES, ids=[os.path.relpath(f, ROOT) for f in FILES])
def test_shipped_powershell_passes_pslint(path):
    findings = pslint.check_file(path)
    assert not findings, '\n'.join(str(f) for f in findings)
