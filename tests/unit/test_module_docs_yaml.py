"""Every module's DOCUMENTATION, EXAMPLES and RETURN is YAML (a stray ``: `` in a plain scalar breaks ansible-doc,
which the integration suite and sanity only see minutes later)."""
import ast
import glob
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = sorted(glob.glob(os.path.join(ROOT, 'plugins', 'modules', '*.py')))


def _docs(path):
    with open(path) as fh:
        tree = ast.parse(fh.read())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if getattr(target, 'id', None) in ('DOCUMENTATION', 'EXAMPLES', 'RETURN'):
                    out[target.id] = node.value.value
    return out


@pytest.mark.parametrize('path', MODULES, ids=os.path.basename)
def test_module_docs_are_yaml(path):
    docs = _docs(path)
    assert sorted(docs) == ['DOCUMENTATION', 'EXAMPLES', 'RETURN'], path
    assert isinstance(yaml.safe_load(docs['DOCUMENTATION']), dict)
    assert isinstance(yaml.safe_load(docs['EXAMPLES']), list)
    assert isinstance(yaml.safe_load(docs['RETURN']), dict)
