#!/usr/bin/env bash
# Run `ansible-test sanity` on a copy of the collection at a real ansible_collections/printfleet/mve path.
# Offline workaround (see docs/development.md): ansible-test bootstraps each sanity venv with a get-pip script
# downloaded from a host that is unreachable here; a stand-in that uses ensurepip + PyPI does the same job.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.venv/bin"
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
pip_version=$("$bin/python" - <<'PY'
import re, pathlib, ansible_test
p = pathlib.Path(ansible_test.__file__).parent / '_data' / 'requirements' / 'constraints.txt'
txt = (pathlib.Path(ansible_test.__file__).parent / '_internal' / 'python_requirements.py').read_text()
m = None
for f in (pathlib.Path(ansible_test.__file__).parent / '_data' / 'requirements').glob('*.txt'):
    m = m or re.search(r'^pip\s*==\s*([0-9.]+)', f.read_text(), re.M)
print(m.group(1) if m else '24.2')
PY
)
for v in "$pip_version" 24.2; do
  stand_in="$cache/get_pip_${v//./_}.py"
  [ -f "$stand_in" ] || cat > "$stand_in" <<'PY'
"""Offline stand-in for get-pip.py: bootstrap pip with ensurepip, then install the requested packages."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'])
if args:
    subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)
PY
done
dest="$root/build/sanity/ansible_collections/printfleet/mve"
mkdir -p "$dest"
rsync -a --delete --exclude .venv --exclude build --exclude .lab --exclude .pytest_cache \
  --exclude '__pycache__' --exclude tests/output --exclude .ansible "$root/" "$dest/"
cd "$dest"
# Sanity tests that need the network beyond PyPI or a PowerShell we cannot install are listed in
# tests/sanity/ignore-*.txt only where unavoidable; none are skipped here.
"$bin/ansible-test" sanity --venv --python "$("$bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  --color no "$@"
