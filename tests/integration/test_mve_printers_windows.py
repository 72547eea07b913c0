"""The mve_printers role on a Windows MVE server alone (the lab's simulated mvewin01): the printer modules are
Python, so the role runs them on the controller; the port verification runs from the Windows host itself."""
import json

from labtools import run_playbook


def test_mve_printers_role_from_a_windows_mve_server(lab, collection_installed, tmp_path):
    printers = [p['address'] for p in lab['printers']]
    playbook = tmp_path / 'printers-windows.json'
    playbook.write_text(json.dumps([{
        'name': 'The printers role on the simulated Windows MVE server alone',
        'hosts': 'mvewin01',
        'gather_facts': False,
        'roles': [{'role': 'printfleet.mve.mve_printers', 'vars': {
            'mve_printers_hosts': printers,
            'mve_printers_features': {'printer_protocols': ['snmp', 'https', 'raw']},
            'mve_printers_snmp': {'community': lab['snmp']['community']},
            'mve_printers_snmp_write': {'community': lab['snmp']['write_community']},
            'mve_printers_settings': {'sysLocation': 'printfleet.mve lab'},
            'mve_printers_port_access': {
                'enable_needed': True, 'ca_path': lab['ca'],
                'credentials': {p['address']: {'username': p['ews']['username'], 'password': p['ews']['password']}
                                for p in lab['printers']}},
            'mve_printers_report_path': str(tmp_path / 'printers.json'),
        }}],
    }]))
    proc = run_playbook(str(playbook), lab['inventory'])
    out = proc.stdout
    for task in ('Read the facts of every printer in one task', 'Enforce the SNMP settings on every reachable printer',
                 "Enforce the port-access policy through every printer's web server in one task"):
        section = out.split(task, 1)[1].split('TASK [', 1)[0]
        assert 'mvewin01 -> localhost' in section, section
    # The verification probes left from the Windows host (its port_check path), not from the controller.
    verify = out.split('Probe the printer flows of the port matrix', 1)[1].split('TASK [', 1)[0]
    assert 'ok: [mvewin01]' in verify and '->' not in verify, verify
    with open(str(tmp_path / 'printers.json')) as fh:
        report = json.load(fh)
    assert sorted(report['printers']) == sorted(printers) and report['unreachable'] == []
    assert report['port_failures'] == []
