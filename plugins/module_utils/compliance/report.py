# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compliance report in three forms, from the verdicts (compliance/verdicts.py): a JSON document, JUnit XML
(one testcase per check; a drifted check is a ``<failure>``, a check that could not run an ``<error>``, with the
difference as the message) and one self-contained HTML page (inline style, no script, no external resource):
the summary first (counts per host and per kind), then the checks, drifted ones first."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html
import json
import xml.etree.ElementTree as ET

from ansible_collections.printfleet.mve.plugins.module_utils.compliance import verdicts as cv

TITLE = 'printfleet.mve compliance report'


def _text(value):
    if value is None:
        return ''
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def difference(v):
    """One line: what was wanted and what was found, then why."""
    if v['verdict'] == cv.COMPLIANT:
        return v.get('reason') or ''
    parts = []
    if v.get('wanted') is not None or v.get('found') is not None:
        parts.append('wanted %s, found %s' % (_text(v.get('wanted')) or '-', _text(v.get('found')) or '-'))
    if v.get('reason'):
        parts.append(str(v['reason']))
    return ': '.join(parts) if len(parts) == 2 else (parts[0] if parts else v['verdict'])


def document(verdicts, generated=None, run=None):
    """The JSON report: ``summary``, then ``hosts``: host -> kind -> list of verdicts (drifted first)."""
    hosts = {}
    for v in cv.ordered(verdicts):
        hosts.setdefault(v['host'], {}).setdefault(v['kind'], []).append(v)
    return {'title': TITLE, 'generated': generated, 'run': run or {}, 'summary': cv.summary(verdicts),
            'hosts': hosts}


def junit(verdicts, generated=None):
    """JUnit XML text: a testsuite per host, a testcase per check (classname ``mve.<host>.<kind>``)."""
    root = ET.Element('testsuites', name=TITLE)
    total = cv.summary(verdicts)
    root.set('tests', str(total['total']))
    root.set('failures', str(total[cv.DRIFTED]))
    root.set('errors', str(total[cv.ERROR]))
    for host in sorted(set(v['host'] for v in verdicts)):
        mine = [v for v in cv.ordered(verdicts) if v['host'] == host]
        counts = cv.summary(mine)
        suite = ET.SubElement(root, 'testsuite', name='mve compliance %s' % host, tests=str(counts['total']),
                              failures=str(counts[cv.DRIFTED]), errors=str(counts[cv.ERROR]), skipped='0')
        if generated:
            suite.set('timestamp', str(generated))
        for v in mine:
            case = ET.SubElement(suite, 'testcase', name='%s: %s' % (v['kind'], v['check']),
                                 classname='mve.%s.%s' % (host, v['kind']))
            if v['verdict'] == cv.DRIFTED:
                ET.SubElement(case, 'failure', message=difference(v), type='drifted').text = difference(v)
            elif v['verdict'] == cv.ERROR:
                ET.SubElement(case, 'error', message=difference(v), type='error').text = difference(v)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding='unicode') + '\n'


_STYLE = '''
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em; color: #1d1d1f; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
p.meta { color: #555; margin-top: 0; }
.verdict-banner { padding: 0.8em 1em; border-radius: 6px; font-size: 1.1em; font-weight: 600; }
.banner-drifted { background: #fde8e8; color: #8a1c1c; } .banner-compliant { background: #e6f4ea; color: #1e5e31; }
.banner-error { background: #fff4e0; color: #7a4b00; }
table { border-collapse: collapse; margin-top: 0.6em; width: 100%; }
th, td { border: 1px solid #d0d0d0; padding: 0.35em 0.6em; text-align: left; vertical-align: top; font-size: 0.92em; }
th { background: #f2f2f2; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.drifted td.v { background: #fde8e8; color: #8a1c1c; font-weight: 600; }
tr.error td.v { background: #fff4e0; color: #7a4b00; font-weight: 600; }
tr.compliant td.v { color: #1e5e31; }
code { font-family: ui-monospace, Consolas, monospace; font-size: 0.95em; }
'''


def _e(value):
    return html.escape(_text(value), quote=True)


def _count_rows(title, counts):
    rows = ['<tr><th>%s</th><th>drifted</th><th>error</th><th>compliant</th><th>total</th></tr>' % _e(title)]
    for name in sorted(counts):
        c = counts[name]
        cells = ''.join('<td class="num">%d</td>' % c[key] for key in (cv.DRIFTED, cv.ERROR, cv.COMPLIANT, 'total'))
        rows.append('<tr><td>%s</td>%s</tr>' % (_e(name), cells))
    return '\n'.join(rows)


def html_page(verdicts, generated=None):
    """One self-contained HTML page: summary, counts per host and per kind, then every check, drifted first."""
    s = cv.summary(verdicts)
    if s[cv.DRIFTED]:
        banner, cls = '%d of %d checks drifted' % (s[cv.DRIFTED], s['total']), 'banner-drifted'
    elif s[cv.ERROR]:
        banner, cls = 'No drift; %d of %d checks could not run' % (s[cv.ERROR], s['total']), 'banner-error'
    else:
        banner, cls = 'All %d checks compliant' % s['total'], 'banner-compliant'
    if s[cv.ERROR] and s[cv.DRIFTED]:
        banner += '; %d could not run' % s[cv.ERROR]
    rows = []
    for v in cv.ordered(verdicts):
        rows.append('<tr class="%s"><td class="v">%s</td><td>%s</td><td>%s</td><td><code>%s</code></td>'
                    '<td>%s</td><td>%s</td><td>%s</td></tr>' % (
                        _e(v['verdict']), _e(v['verdict']), _e(v['host']), _e(v['kind']), _e(v['check']),
                        _e(v.get('wanted')), _e(v.get('found')), _e(v.get('reason'))))
    return '\n'.join([
        '<!DOCTYPE html>',
        '<html lang="en"><head><meta charset="utf-8">',
        '<title>%s</title>' % _e(TITLE),
        '<style>%s</style>' % _STYLE,
        '</head><body>',
        '<h1>MVE compliance</h1>',
        '<p class="meta">%s%s</p>' % (_e(TITLE), (' &middot; generated %s' % _e(generated)) if generated else ''),
        '<div id="summary" class="verdict-banner %s">%s</div>' % (cls, _e(banner)),
        '<h2>Per host</h2>',
        '<table id="per-host">%s</table>' % _count_rows('host', s['hosts']),
        '<h2>Per kind of check</h2>',
        '<table id="per-kind">%s</table>' % _count_rows('kind', s['kinds']),
        '<h2>Checks (drifted first)</h2>',
        '<table id="checks"><tr><th>verdict</th><th>host</th><th>kind</th><th>check</th><th>wanted</th>'
        '<th>found</th><th>why</th></tr>',
        '\n'.join(rows),
        '</table>',
        '</body></html>',
        '',
    ])


def stats(verdicts):
    """The ``mve_compliance`` set_stats artifact: ``drifted`` and ``errors`` (ints), ``total``, ``hosts`` (host ->
    counts) and ``kinds`` (kind -> counts)."""
    s = cv.summary(verdicts)
    return {'drifted': s[cv.DRIFTED], 'errors': s[cv.ERROR], 'compliant': s[cv.COMPLIANT], 'total': s['total'],
            'hosts': s['hosts'], 'kinds': s['kinds']}


def problems(verdicts):
    """One line per check that is not compliant, drifted first: ``<verdict> <host> <kind> <check>: <difference>``."""
    return ['%s %s %s %s: %s' % (v['verdict'].upper(), v['host'], v['kind'], v['check'], difference(v))
            for v in cv.ordered(verdicts) if v['verdict'] != cv.COMPLIANT]
