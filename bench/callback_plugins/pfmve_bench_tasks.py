# printfleet.mve benchmarks only (never shipped in the collection).
"""A callback for bench/scale.py site: every task's wall time and per-host outcome, as JSON.

Enabled with ANSIBLE_CALLBACKS_ENABLED=pfmve_bench_tasks and ANSIBLE_CALLBACK_PLUGINS=bench/callback_plugins; writes
to the file named by PFMVE_BENCH_TASKS_OUT when the playbook ends: {"tasks": [{"play", "task", "action",
"wall_s", "hosts": {host: "ok" | "changed" | "skipped" | "failed" | "unreachable"}}]}. A task's wall time is from
its start to the next task's start (the linear strategy runs one task at a time on every host of a play).
"""
from __future__ import annotations

DOCUMENTATION = """
name: pfmve_bench_tasks
type: aggregate
short_description: Task wall times and outcomes for printfleet.mve's benchmarks
description: [Writes every task's wall time and per-host outcome to PFMVE_BENCH_TASKS_OUT.]
requirements: [enabled in ANSIBLE_CALLBACKS_ENABLED]
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'pfmve_bench_tasks'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.tasks = []
        self.play = None

    def _close(self):
        if self.tasks and 'wall_s' not in self.tasks[-1]:
            self.tasks[-1]['wall_s'] = round(time.perf_counter() - self.tasks[-1].pop('_start'), 3)

    def v2_playbook_on_play_start(self, play):
        self._close()
        self.play = play.get_name()

    def _start(self, task):
        self._close()
        self.tasks.append({'play': self.play, 'task': task.get_name(), 'action': task.action, 'hosts': {},
                           '_start': time.perf_counter()})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task)

    def _outcome(self, result, outcome):
        if self.tasks:
            self.tasks[-1]['hosts'][result._host.get_name()] = outcome

    def v2_runner_on_ok(self, result):
        self._outcome(result, 'changed' if result._result.get('changed') else 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._outcome(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._outcome(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._outcome(result, 'unreachable')

    def v2_playbook_on_stats(self, stats):
        self._close()
        path = os.environ.get('PFMVE_BENCH_TASKS_OUT')
        if path:
            with open(path, 'w') as fh:
                json.dump({'tasks': self.tasks}, fh, indent=1)
