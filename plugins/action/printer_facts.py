# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""printer_facts: without ``printers``, read the play's hosts (their ``ansible_host``), then run the module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        if args.get('printers') is None:
            hostvars = task_vars.get('hostvars', {})
            args['printers'] = [hostvars.get(h, {}).get('ansible_host', h) for h in task_vars.get('ansible_play_hosts', [])]
        result.update(self._execute_module(module_name='printfleet.mve.printer_facts', module_args=args,
                                           task_vars=task_vars))
        return result
