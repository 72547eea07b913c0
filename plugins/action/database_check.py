# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs printfleet.mve.database_check on Linux hosts as a module, and from Windows hosts through the replay driver."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.printfleet.mve.plugins.module_utils.checks import database as database_check
from ansible_collections.printfleet.mve.plugins.plugin_utils.dependency_action import DependencyCheckAction


class ActionModule(DependencyCheckAction):
    MODULE = 'database_check'
    CHECK = database_check
