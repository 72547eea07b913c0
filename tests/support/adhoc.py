"""Evaluate a Jinja expression through the real ``ansible`` CLI (plugin loader, FQCN, templating), against the work
tree's collection (tests/conftest.py's symlink under build/pytest)."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def debug(tmp_path, expression, extra_vars=None):
    """``ansible localhost -m debug -a msg='{{ expression }}'``; returns the CompletedProcess."""
    env = dict(os.environ)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': os.path.join(ROOT, 'build', 'pytest'),
        'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
        'ANSIBLE_HOME': str(tmp_path / 'home'),
        'ANSIBLE_LOCAL_TEMP': str(tmp_path / 'tmp'),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_STDOUT_CALLBACK': 'ansible.builtin.default',
        'ANSIBLE_CALLBACK_RESULT_FORMAT': 'json',
        'ANSIBLE_DEPRECATION_WARNINGS': '0',
    })
    # JSON arguments: in k=v form, a dict literal ending in '}}' would end the template early.
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible'), 'localhost', '-c', 'local', '-m',
           'ansible.builtin.debug', '-a', json.dumps({'msg': '{{ %s }}' % expression})]
    if extra_vars:
        cmd += ['-e', json.dumps(extra_vars)]
    return subprocess.run(cmd, env=env, cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False, timeout=120)


def msg(proc):
    """The ``msg`` of a successful ad-hoc debug run (default callback: ``localhost | SUCCESS => {...}``)."""
    assert proc.returncode == 0, proc.stdout + proc.stderr
    head, sep, body = proc.stdout.partition('=>')
    assert sep and 'SUCCESS' in head, proc.stdout
    return json.loads(body)['msg']
