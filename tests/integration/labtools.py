"""Helpers shared by the integration tests and their fixtures: where things are, and how Ansible is run."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(ROOT, 'lab', 'lab.py')
LAB_PRINTERS = 3
LAB_FIRST_ADDRESS = '127.0.3.1'
# MVE's dependencies of the session lab (database, mail, directory, KDC on .1-.4): away from make demo's
# 127.0.2.x and molecule's 127.0.6.x.
LAB_SERVICES_ADDRESS = '127.0.5.1'


def venv_bin():
    # The Ansible beside the Python that runs pytest (`make oldest` runs build/venv-oldest's ansible-core 2.16),
    # else the repository's virtualenv.
    here = os.path.dirname(os.path.abspath(sys.executable))
    if os.access(os.path.join(here, 'ansible-playbook'), os.X_OK):
        return here
    candidate = os.path.join(ROOT, '.venv', 'bin')
    if os.access(os.path.join(candidate, 'ansible-playbook'), os.X_OK):
        return candidate
    return here


BIN = venv_bin()
PYTHON = os.path.join(BIN, 'python')
COLLECTIONS = os.environ.get('ANSIBLE_COLLECTIONS_PATH') or os.path.join(ROOT, 'build', 'collections')


def ansible_env(**extra):
    env = dict(os.environ)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS,
        'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
        'ANSIBLE_HOME': os.path.join(ROOT, 'build', 'ansible-home'),
        'ANSIBLE_LOCAL_TEMP': os.path.join(ROOT, 'build', 'ansible-tmp'),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
        'ANSIBLE_DEPRECATION_WARNINGS': 'false',
        'MIBS': '',
        'PATH': BIN + os.pathsep + env.get('PATH', ''),
    })
    env.update(extra)
    return env


def lab_command(*args, timeout=180):
    """Run lab/lab.py with the venv's Python."""
    return subprocess.run([PYTHON, LAB] + list(args), capture_output=True, text=True, timeout=timeout,
                          check=False)


def tail(path, lines=20):
    try:
        with open(path, errors='replace') as fh:
            return ''.join(fh.readlines()[-lines:])
    except OSError:
        return ''


def run_playbook(playbook, inventory, extra_vars=None, timeout=240, check=True, args=(), env=None):
    """Run ansible-playbook from the venv (``args``: more options, e.g. -vvvv; ``env``: more environment
    variables, e.g. ANSIBLE_LOG_PATH); returns the CompletedProcess."""
    cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', inventory, playbook] + list(args)
    if extra_vars:
        cmd += ['-e', json.dumps(extra_vars)]
    # The lab writes ansible.cfg beside its inventory (the connection plugin of mvewin01, the simulated Windows
    # MVE server): use it, as `make demo` does.
    cfg = os.path.join(os.path.dirname(os.path.abspath(inventory)), 'ansible.cfg')
    extra = {'ANSIBLE_CONFIG': cfg} if os.path.exists(cfg) else {}
    extra.update(env or {})
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=ansible_env(**extra), cwd=ROOT,
                          check=False)
    if check and proc.returncode != 0:
        raise AssertionError('ansible-playbook %s failed (exit %d):\n%s\n%s'
                             % (playbook, proc.returncode, proc.stdout[-6000:], proc.stderr[-3000:]))
    return proc


def role_playbook(path, name, role, role_vars):
    """Write a one-play playbook (JSON is YAML) that runs ``role`` on mve_servers with ``role_vars``."""
    with open(str(path), 'w') as fh:
        json.dump([{'name': name, 'hosts': 'mve_servers', 'gather_facts': False,
                    'roles': [{'role': role, 'vars': role_vars}]}], fh, indent=1)
    return str(path)
