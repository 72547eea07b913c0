# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared part of the atheris harnesses (``make fuzz``): import the collection by its package name (as
tests/conftest.py does), write the seeds of a target (tests/support/fuzz_targets.py) into a corpus directory,
and run libFuzzer on the target's parser. A crash is any exception other than the parser's own error type;
libFuzzer writes the input to ``crash-<sha1>`` in ``-artifact_prefix``, and it becomes a regression test in
tests/unit/fuzz/ with its exact bytes."""

import hashlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_NS = os.path.join(ROOT, 'build', 'pytest')
_LINK = os.path.join(_NS, 'ansible_collections', 'printfleet', 'mve')
if not os.path.islink(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(ROOT, _LINK)
for path in (_NS, os.path.join(ROOT, 'tests')):
    if path not in sys.path:
        sys.path.insert(0, path)


def main(name):
    """Fuzz target ``name``: ``python fuzz/fuzz_<name>.py CORPUS_DIR [libFuzzer flags]``."""
    import atheris

    with atheris.instrument_imports(include=['ansible_collections.printfleet', 'pyasn1', 'pysnmp', 'dns']):
        from support.fuzz_targets import TARGETS
    target = TARGETS[name]
    corpus = [a for a in sys.argv[1:] if not a.startswith('-')]
    if corpus and not os.path.isfile(corpus[0]):  # a corpus directory; a file is one input to replay
        os.makedirs(corpus[0], exist_ok=True)
        for seed in target.seeds():
            path = os.path.join(corpus[0], 'seed-' + hashlib.sha1(seed).hexdigest())
            if not os.path.exists(path):
                with open(path, 'wb') as fh:
                    fh.write(seed)

    def one_input(data):
        target.check(data)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
