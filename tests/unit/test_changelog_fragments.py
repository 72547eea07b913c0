"""Every changelog fragment is YAML that antsibull-changelog accepts: a mapping of known sections to lists of
strings (a stray ``: `` inside a plain scalar turns an entry into a mapping, which sanity's yamllint rejects late)."""
import glob
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FRAGMENTS = sorted(glob.glob(os.path.join(ROOT, 'changelogs', 'fragments', '*.y*ml')))
with open(os.path.join(ROOT, 'changelogs', 'config.yaml')) as _fh:
    SECTIONS = {s[0] for s in yaml.safe_load(_fh)['sections']} | {'release_summary', 'trivial'}


def test_there_are_fragments():
    assert len(FRAGMENTS) >= 10


@pytest.mark.parametrize('path', FRAGMENTS, ids=os.path.basename)
def test_fragment_is_a_list_of_strings_per_known_section(path):
    with open(path) as fh:
        doc = yaml.safe_load(fh)
    assert isinstance(doc, dict) and doc, path
    for section, entries in doc.items():
        if section == 'release_summary':
            assert isinstance(entries, str), path
            continue
        assert section in SECTIONS, '%s: unknown section %r' % (path, section)
        assert isinstance(entries, list) and entries, '%s: %s is not a list' % (path, section)
        for entry in entries:
            assert isinstance(entry, str), '%s: an entry of %s is %r, not a string' % (path, section, entry)
