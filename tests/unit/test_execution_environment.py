"""The execution environment for AWX: ``ansible-builder create`` renders its build context from
execution-environment.yml, and the builder's own introspection finds the collection's Python and system
dependencies in an installed copy (meta/execution-environment.yml). Building the image needs a container engine,
which these machines do not run: that step is left to the user (docs/awx.md)."""
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def _run(args, **kw):
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False, **kw)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_builder_renders_the_context(tmp_path):
    ctx = tmp_path / 'context'
    _run([os.path.join(BIN, 'ansible-builder'), 'create', '-f', os.path.join(ROOT, 'execution-environment.yml'),
          '-c', str(ctx), '--output-filename', 'Containerfile'])
    containerfile = (ctx / 'Containerfile').read_text()
    assert 'quay.io/centos/centos:stream9' in containerfile
    assert 'ansible-core>=2.16,<2.20' in containerfile and 'ansible-runner>=2.4,<3' in containerfile
    galaxy = yaml.safe_load((ctx / '_build' / 'requirements.yml').read_text())
    assert [c['name'] for c in galaxy['collections']] == ['printfleet.mve']
    python = (ctx / '_build' / 'requirements.txt').read_text()
    for lib in ('pysnmp', 'pyasn1', 'cryptography', 'pywinrm', 'python-tds', 'firebirdsql', 'dnspython'):
        assert lib in python
    assert (ctx / '_build' / 'bindep.txt').exists()


def test_builder_introspection_finds_the_collection_dependencies(tmp_path):
    """What the image build does with the collection once installed: its meta/execution-environment.yml gives the
    Python requirements (ansible-core left to the EE) and the system packages."""
    ctx = tmp_path / 'context'
    _run([os.path.join(BIN, 'ansible-builder'), 'create', '-f', os.path.join(ROOT, 'execution-environment.yml'),
          '-c', str(ctx), '--output-filename', 'Containerfile'])
    dist, collections = tmp_path / 'dist', tmp_path / 'collections'
    _run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path', str(dist), ROOT])
    tarball = next(dist.iterdir())
    _run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '-p', str(collections), str(tarball)],
         env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections)))
    found = yaml.safe_load(_run([sys.executable, str(ctx / '_build' / 'scripts' / 'introspect.py'), 'introspect',
                                 str(collections)]))
    python = [line.split()[0] for line in found['python']]
    assert 'pysnmp>=7.1,<8' in python and 'python-tds>=1.15,<2' in python
    assert not any(p.startswith('ansible-core') for p in python)
    assert any(line.startswith('gcc [compile platform:rpm]') for line in found['system'])
