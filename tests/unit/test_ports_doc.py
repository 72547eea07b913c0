# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/ports.md is generated from the port matrix by scripts/gen_ports_doc.py and must not be stale."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import io
import os
import re
import subprocess
import sys

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix as pm

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'scripts', 'gen_ports_doc.py')
DOC = os.path.join(ROOT, 'docs', 'ports.md')
VENV_PYTHON = os.path.join(ROOT, '.venv', 'bin', 'python')
PYTHON = VENV_PYTHON if os.path.exists(VENV_PYTHON) else sys.executable


def _run(*args):
    return subprocess.run([PYTHON, SCRIPT] + list(args), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False, timeout=60)


@pytest.fixture(scope='module')
def gen():
    spec = importlib.util.spec_from_file_location('gen_ports_doc', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def doc():
    with io.open(DOC, encoding='utf-8') as handle:
        return handle.read()


def test_ports_doc_is_up_to_date():
    proc = _run('--check')
    assert proc.returncode == 0, 'docs/ports.md is stale, run `make docs`:\n' + proc.stdout + proc.stderr


def test_check_detects_a_stale_file(tmp_path):
    stale = tmp_path / 'ports.md'
    stale.write_text(u'# old\n')
    proc = _run('--check', '--output', str(stale))
    assert proc.returncode == 1
    assert 'stale' in proc.stderr
    assert stale.read_text() == u'# old\n'  # --check never writes


def test_check_detects_a_missing_file(tmp_path):
    proc = _run('--check', '--output', str(tmp_path / 'missing.md'))
    assert proc.returncode == 1
    assert 'missing' in proc.stderr


def test_write_then_check(tmp_path):
    out = tmp_path / 'docs' / 'ports.md'
    assert _run('--output', str(out)).returncode == 0
    assert _run('--check', '--output', str(out)).returncode == 0
    with io.open(DOC, encoding='utf-8') as handle:
        assert out.read_text(encoding='utf-8') == handle.read()


def test_render_is_deterministic_and_uses_the_matrix(gen):
    first = gen.render(gen.load_matrix())
    assert first == gen.render(gen.load_matrix())
    assert not re.search(r'\b20\d\d-\d\d-\d\d\b', first)  # no dates


def test_doc_has_every_flow_id(doc):
    for flow_id in pm.FLOW_IDS:
        assert '`%s`' % flow_id in doc, flow_id


def test_doc_has_every_section_table(doc):
    for _key, heading in pm.SECTIONS:
        assert '### %s\n' % heading in doc
    for flow in pm.all_flows():
        row = '| %s | `%s:%s` | `%s:%s` | %s | %s |' % (
            flow['protocol'], flow['source'], flow['source_port'], flow['destination'], flow['destination_port'],
            flow['transport'].upper(), flow['purpose'])
        assert row in doc, flow['id']


def test_doc_explains_every_anomaly(doc):
    anomalies = doc.split('## Vendor anomalies and what the collection does', 1)[1].split('\n## ', 1)[0]
    for flow in pm.all_flows():
        if flow['note']:
            assert '### `%s`' % flow['id'] in anomalies
            assert flow['note'] in anomalies


def test_doc_lists_firewall_direction(doc):
    section = doc.split('## Firewall direction, seen from the MVE server', 1)[1].split('\n## ', 1)[0]
    for flow in pm.all_flows():
        assert re.search(r'^\| `%s` \|[^\n]*\| %s \|' % (re.escape(flow['id']), pm.direction(flow)), section, re.M), \
            flow['id']


def test_doc_documents_the_features(doc):
    for key in pm.FEATURE_KEYS:
        assert '| `%s` |' % key in doc
    for values in (pm.DATABASES, pm.SMTP_CHOICES, pm.DIRECTORY_CHOICES, pm.PRINTER_PROTOCOLS):
        for value in values:
            assert '`%s`' % value in doc


def test_doc_has_a_mermaid_flowchart_with_an_edge_per_flow(doc):
    m = re.search(r'```mermaid\nflowchart LR\n(.*?)```', doc, re.S)
    assert m, 'no mermaid flowchart'
    body = m.group(1)
    for endpoint in pm.ENDPOINTS:
        assert re.search(r'^\s+%s[\[\(]' % endpoint, body, re.M), endpoint
    edges = re.findall(r'^\s+(\w+) -->\|"([^"]+)"\| (\w+)$', body, re.M)
    assert len(edges) == len(pm.FLOW_IDS)
    for (source, label, destination), flow in zip(edges, pm.all_flows()):
        assert (source, destination) == (flow['source'], flow['destination'])
        assert label.startswith('%s %s/' % (flow['protocol'], flow['transport']))
    assert ('mve_server', 'SNMP udp/161', 'printer') in edges
