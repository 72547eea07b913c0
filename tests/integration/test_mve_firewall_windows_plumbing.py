"""mve_firewall's Windows path through real ansible-playbook runs, with a stand-in for PowerShell.

There is no Windows host and no PowerShell on the build machines. What this file checks is everything
Ansible itself does around the action plugin: the installed collection's action plugin is picked for the
task, it sees a PowerShell shell (``ansible_shell_type: powershell`` on a local connection), takes check and
diff mode from the play, sends the bootstrap as the command and the step on stdin, counts round trips,
and its result (diff, changed, warnings, failure) reaches the play. The stand-in ``PowerShell`` executable
written below hands the command line and stdin to the simulated Windows host (lab/windows/host.py): the
command must be the shipped bootstrap as the real shell plugin encodes it, the step a shipped, statically
checked script, and the firewall step runs against lab/windows/fwpolicy_sim.py (the Python simulation of the
Windows policy store), kept in a JSON file between round trips. The PowerShell text itself runs only in the
opt-in scenario (extensions/molecule/windows, docs/windows.md).
"""
import json
import os
import stat
import subprocess
import textwrap

import pytest

from labtools import BIN, ROOT, ansible_env

GROUP = 'printfleet.mve'

FAKE_POWERSHELL = textwrap.dedent('''\
    #!{python}
    """Stand-in for PowerShell: the simulated Windows host (lab/windows/host.py) runs mve_firewall's steps
    against the simulated policy store; the command line and stdin are what Ansible really sent."""
    import json, os, sys
    sys.path[:0] = [{pytest_ns!r}, {root!r}]
    from lab.windows.fwpolicy_sim import FwPolicySim
    from lab.windows.host import SimulatedWindowsHost, default_executors
    state = os.environ['PFMVE_SIM_STATE']
    with open(state) as fh:
        saved = json.load(fh)
    sim = FwPolicySim(rules=saved['rules'], outbound=saved['outbound'])
    host = SimulatedWindowsHost('mve01', default_executors(sim))
    rc, out, err = host.exec_winrm(' '.join(['PowerShell'] + sys.argv[1:]), sys.stdin.buffer.read())
    saved['rules'] = sim.rules
    saved['round_trips'] = saved.get('round_trips', 0) + 1
    with open(state, 'w') as fh:
        json.dump(saved, fh)
    sys.stdout.buffer.write(out)
    sys.stderr.buffer.write(err)
    sys.exit(rc)
''')

PLAYBOOK = textwrap.dedent('''\
    - hosts: mve01
      gather_facts: false
      tasks:
        - printfleet.mve.mve_firewall:
            features: {database: sqlserver}
            scopes:
              printer: [192.0.2.0/24]
              browser: [198.51.100.0/24]
              database: [203.0.113.5]
          register: fw
        - ansible.builtin.copy:
            content: "{{ fw | to_json }}"
            dest: "{{ result_path }}"
          check_mode: false
          diff: false
          delegate_to: localhost
''')


@pytest.fixture
def windows_stand_in(tmp_path, collection_installed):
    fake = tmp_path / 'bin' / 'PowerShell'
    fake.parent.mkdir()
    fake.write_text(FAKE_POWERSHELL.format(python=os.path.join(BIN, 'python'),
                                           pytest_ns=os.path.join(ROOT, 'build', 'pytest'),
                                           root=ROOT))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    (tmp_path / 'site.yml').write_text(PLAYBOOK)
    (tmp_path / 'hosts.yml').write_text(
        'all:\n  hosts:\n    mve01:\n      ansible_connection: local\n      ansible_shell_type: powershell\n')
    other = {'Name': 'MVE - NPAP alerts from printers (UDP 9187)', 'Description': 'backup agent',
             'Grouping': 'contoso.backup', 'Protocol': 6, 'LocalPorts': '10000', 'RemotePorts': '*',
             'RemoteAddresses': '*', 'Direction': 1, 'Action': 1, 'Profiles': 2147483647, 'Enabled': True}
    state = tmp_path / 'store.json'
    state.write_text(json.dumps({'rules': [other], 'outbound': 'block'}))

    def play(*extra):
        result_path = tmp_path / 'result.json'
        env = ansible_env(PFMVE_SIM_STATE=str(state))
        env['PATH'] = str(fake.parent) + os.pathsep + env['PATH']
        proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', str(tmp_path / 'hosts.yml'),
                               str(tmp_path / 'site.yml'), '-e', 'result_path=%s' % result_path] + list(extra),
                              capture_output=True, text=True, env=env, timeout=300, check=False)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return json.loads(result_path.read_text()), json.loads(state.read_text()), proc.stdout
    return play


def test_converge_rerun_check_and_diff_through_ansible(windows_stand_in):
    check, store, dummy = windows_stand_in('--check')
    assert check['changed'] is True and check['round_trips'] == 1 and store['round_trips'] == 1
    assert [r for r in store['rules'] if r['Grouping'] == GROUP] == []
    first, store, stdout = windows_stand_in('--diff')
    assert first['changed'] is True and first['backend'] == 'windows' and first['round_trips'] == 2
    assert store['round_trips'] == 3
    ours = [r for r in store['rules'] if r['Grouping'] == GROUP]
    assert sorted(r['Name'] for r in ours) == sorted(r['name'] for r in first['rules'])
    assert any(r['Direction'] == 2 for r in ours)            # outbound blocked by default: outbound rules
    assert first['diff']['before']['rules'] == [] and first['diff']['after']['rules'] == first['rules']
    assert 'MVE - NPAP alerts from printers (UDP 9187)' in stdout   # the diff reached the play's output
    again, store, dummy = windows_stand_in('--diff')
    assert again['changed'] is False and again['round_trips'] == 1 and store['round_trips'] == 4
    assert [r for r in store['rules'] if r['Grouping'] == 'contoso.backup'][0]['LocalPorts'] == '10000'
