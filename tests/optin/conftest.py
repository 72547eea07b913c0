# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Opt-in tests against real systems this machine cannot run (see README.md here).

``make test`` does not collect tests/optin. When collected anyway, a test file whose system is not
configured is ignored (not reported as skipped): PFMVE_SQLSERVER_HOST enables the SQL Server test.
"""
import os

collect_ignore_glob = []
if not os.environ.get('PFMVE_SQLSERVER_HOST'):
    collect_ignore_glob.append('test_database_check_sqlserver_optin.py')
