# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``field`` and ``error_kind`` are documented once (doc fragment printfleet.mve.results) and the same way in every
module's RETURN; the Windows vantage point is documented where a check returns it, never as "planned"."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import glob
import os

import pytest
import yaml

from ansible_collections.printfleet.mve.plugins.doc_fragments import results as results_fragment

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = sorted(os.path.splitext(os.path.basename(p))[0]
                 for p in glob.glob(os.path.join(ROOT, 'plugins', 'modules', '[!_]*.py')))
WINDOWS_PATH = ('database_check', 'kerberos_check', 'ldap_check', 'smtp_check', 'port_check')


def _docs(module):
    with open(os.path.join(ROOT, 'plugins', 'modules', module + '.py')) as fh:
        text = fh.read()
    out = {'text': text}
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if getattr(target, 'id', None) in ('DOCUMENTATION', 'RETURN'):
                    out[target.id] = yaml.safe_load(node.value.value)
    return out


def _conforms(module):
    docs = _docs(module)
    fragments = docs['DOCUMENTATION'].get('extends_documentation_fragment') or []
    canonical = yaml.safe_load(results_fragment.ModuleDocFragment.FIELD)['field']
    kind = docs['RETURN'].get('error_kind') or {}
    return ('printfleet.mve.results' in fragments and docs['RETURN'].get('field') == canonical
            and kind.get('type') == 'str' and str(kind.get('returned', '')).startswith('on failure')
            and 'V(input)' in ' '.join(kind.get('description') or []))


@pytest.mark.parametrize('module', MODULES)
def test_field_and_error_kind_documented_the_same_way(module):
    assert _conforms(module), (
        '%s: include printfleet.mve.results, document field exactly as ModuleDocFragment.FIELD and error_kind '
        '(type str, returned "on failure...", naming V(input))' % module)


def test_the_fragment_notes_name_both_keys():
    notes = ' '.join(yaml.safe_load(results_fragment.ModuleDocFragment.DOCUMENTATION)['notes'])
    assert 'RV(field)' in notes and 'RV(error_kind)' in notes and 'V(input)' in notes


@pytest.mark.parametrize('module', WINDOWS_PATH)
def test_windows_vantage_is_documented_not_planned(module):
    docs = _docs(module)
    assert 'later release' not in docs['text'] and 'planned' not in docs['text'].lower().replace('as planned', '')
    for key in ('vantage', 'round_trips'):
        spec = docs['RETURN'][key]
        assert spec['returned'] == "when the task's host is a Windows host", (module, key)
