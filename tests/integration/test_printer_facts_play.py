"""printer_facts without `printers`: its action plugin reads the play's hosts (by ansible_host) in one task."""
import json
import os
import subprocess

from labtools import BIN, ansible_env


def test_printer_facts_reads_the_plays_printers(lab, tmp_path):
    play = tmp_path / 'facts.yml'
    play.write_text(
        '- hosts: printers\n'
        '  gather_facts: false\n'
        '  tasks:\n'
        '    - printfleet.mve.printer_facts:\n'
        '        community: "{{ mve_snmp_community }}"\n'
        '      run_once: true\n'
        '      delegate_to: localhost\n'
        '      vars:\n'
        '        ansible_python_interpreter: "{{ ansible_playbook_python }}"\n'
        '      register: fleet\n'
        '    - ansible.builtin.copy:\n'
        '        content: "{{ fleet | to_json }}"\n'
        '        dest: "%s"\n'
        '        mode: "0600"\n'
        '      run_once: true\n'
        '      delegate_to: localhost\n' % (tmp_path / 'out.json'))
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', lab['inventory'], str(play)],
                          capture_output=True, text=True, env=ansible_env(), timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    out = json.loads((tmp_path / 'out.json').read_text())
    addresses = sorted(p['address'] for p in lab['printers'])
    assert sorted(out['printers']) == addresses
    assert all(p['reachable'] and p['vendor'] == 'Lexmark' for p in out['printers'].values())
