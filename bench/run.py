"""Benchmarks for printfleet.mve, run with `make bench`.

Each measure is a ratio against what a user would otherwise run, measured in the same run on the same
machine. Nothing here is a test: it prints figures (and writes build/bench/results.json).

port_check (issue 3):
  * 1,000 TCP targets (lab printers' RAW port) in one `port_check` task, wall time of the whole
    `ansible` command (Ansible's start included), against an `ansible.builtin.wait_for` loop (the
    per-target cost is measured on a sample and scaled; the whole loop would take minutes).
  * 1,000 SNMP v2c probes (one net-snmp agent per lab printer address) in one task, none lost, against
    `nmap -sU -p 161` over the same addresses.
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time

from _common import BIN, ROOT, env

from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix  # noqa: E402


def timed(cmd, environ=None):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=environ or env(), check=False)
    return time.perf_counter() - t0, proc


def lab(action, lab_dir, printers, first):
    cmd = [os.path.join(BIN, 'python'), os.path.join(ROOT, 'lab', 'lab.py'), action, '--dir', lab_dir]
    if action == 'up':
        cmd += ['--printers', str(printers), '--first-address', first, '--no-remote', '--no-services']
    subprocess.run(cmd, check=True, env=env())


def addresses(first, count):
    import ipaddress
    start = ipaddress.ip_address(first)
    return [str(start + i) for i in range(count)]


def run_port_check(targets, workdir, **opts):
    """One port_check task over `targets`; returns (wall seconds, results)."""
    args = dict(opts, targets=targets)
    argfile = os.path.join(workdir, 'args.json')
    with open(argfile, 'w') as fh:
        json.dump(args, fh)
    play = os.path.join(workdir, 'play.yml')
    with open(play, 'w') as fh:
        fh.write(
            '- hosts: localhost\n  gather_facts: false\n  tasks:\n'
            '    - printfleet.mve.port_check: "{{ lookup(\'ansible.builtin.file\', \'%s\') | from_json }}"\n'
            '      register: r\n'
            '    - ansible.builtin.copy: {content: "{{ r | to_json }}", dest: "%s/out.json", mode: "0600"}\n'
            % (argfile, workdir))
    e = env()
    e['ANSIBLE_PYTHON_INTERPRETER'] = os.path.join(BIN, 'python')
    t0 = time.perf_counter()
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', play],
                          capture_output=True, text=True, env=e, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit('port_check run failed:\n%s\n%s' % (proc.stdout[-3000:], proc.stderr[-3000:]))
    with open(os.path.join(workdir, 'out.json')) as fh:
        return wall, json.load(fh)


def run_wait_for(hosts, port, workdir):
    play = os.path.join(workdir, 'wait_for.yml')
    with open(play, 'w') as fh:
        fh.write('- hosts: localhost\n  gather_facts: false\n  tasks:\n'
                 '    - ansible.builtin.wait_for: {host: "{{ item }}", port: %d, timeout: 2}\n'
                 '      loop: %s\n' % (port, json.dumps(hosts)))
    e = env()
    e['ANSIBLE_PYTHON_INTERPRETER'] = os.path.join(BIN, 'python')
    wall, proc = timed([os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', play], e)
    if proc.returncode != 0:
        raise SystemExit('wait_for loop failed:\n%s' % proc.stdout[-3000:])
    return wall


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--printers', type=int, default=1000)
    ap.add_argument('--first-address', default='127.0.8.1')
    ap.add_argument('--wait-for-sample', type=int, default=50,
                    help='targets actually run through the wait_for loop (its cost is scaled to --printers)')
    ap.add_argument('--keep-lab', action='store_true')
    opts = ap.parse_args()
    out = {}
    lab_dir = tempfile.mkdtemp(prefix='pfmve-bench-')
    work = tempfile.mkdtemp(prefix='pfmve-bench-work-')
    hosts = addresses(opts.first_address, opts.printers)
    raw_port = port_matrix.get_flow('printer.raw')['destination_port']
    snmp_port = port_matrix.get_flow('printer.snmp')['destination_port']
    try:
        lab('up', lab_dir, opts.printers, opts.first_address)

        # -- TCP ---------------------------------------------------------------------------------------
        tcp_targets = [{'host': h, 'port': raw_port} for h in hosts]
        wall, res = run_port_check(tcp_targets, work, timeout=2.0, concurrency=512)
        states = [r['state'] for r in res['results']]
        out['tcp'] = {'targets': len(hosts), 'port_check_wall_s': round(wall, 3),
                      'open': states.count('open'), 'module_elapsed_ms': res['summary'].get('elapsed_ms')}
        sample = hosts[:opts.wait_for_sample]
        wf = run_wait_for(sample, raw_port, work)
        per = wf / len(sample)
        out['tcp'].update({'wait_for_sample': len(sample), 'wait_for_sample_wall_s': round(wf, 3),
                           'wait_for_per_target_ms': round(per * 1000, 1),
                           'wait_for_scaled_s': round(per * len(hosts), 1),
                           'ratio_vs_wait_for': round(per * len(hosts) / wall, 1)})

        # -- SNMP --------------------------------------------------------------------------------------
        snmp_targets = [{'host': h, 'port': snmp_port, 'transport': 'udp', 'probe': 'snmp'} for h in hosts]
        wall, res = run_port_check(snmp_targets, work, timeout=2.0, retries=2, concurrency=512,
                                   community='public', version='2c')
        states = [r['state'] for r in res['results']]
        out['snmp'] = {'targets': len(hosts), 'port_check_wall_s': round(wall, 3), 'open': states.count('open'),
                       'lost': len(hosts) - states.count('open'),
                       'module_elapsed_ms': res['summary'].get('elapsed_ms')}
        if shutil.which('nmap'):
            listfile = os.path.join(work, 'hosts.txt')
            with open(listfile, 'w') as fh:
                fh.write('\n'.join(hosts))
            nm, proc = timed(['nmap', '-n', '-Pn', '-sU', '-p', str(snmp_port), '-iL', listfile, '-oG', '-'])
            nmap_open = proc.stdout.count('%d/open/udp' % snmp_port)
            out['snmp'].update({'nmap_wall_s': round(nm, 3), 'nmap_open': nmap_open,
                                'ratio_vs_nmap': round(nm / out['snmp']['port_check_wall_s'], 2),
                                'ratio_vs_nmap_probe_phase': round(nm * 1000 / out['snmp']['module_elapsed_ms'], 2)})
    finally:
        if not opts.keep_lab:
            lab('down', lab_dir, 0, opts.first_address)
        shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(ROOT, 'build', 'bench'), exist_ok=True)
    with open(os.path.join(ROOT, 'build', 'bench', 'results.json'), 'w') as fh:
        json.dump(out, fh, indent=2)
    t, s = out['tcp'], out['snmp']
    print('port_check TCP : %d targets in %.2f s wall (Ansible start included), %d open; '
          'wait_for loop: %.0f ms/target -> %.0f s for %d => %.0fx faster'
          % (t['targets'], t['port_check_wall_s'], t['open'], t['wait_for_per_target_ms'],
             t['wait_for_scaled_s'], t['targets'], t['ratio_vs_wait_for']))
    line = ('port_check SNMP: %d probes in %.2f s wall, %d answered, %d lost'
            % (s['targets'], s['port_check_wall_s'], s['open'], s['lost']))
    if 'nmap_wall_s' in s:
        line += ('; nmap -sU: %.2f s (%d open) => nmap/port_check %.2f for the whole task, '
                 '%.2f against the probe phase alone (%.0f ms)' % (
                     s['nmap_wall_s'], s['nmap_open'], s['ratio_vs_nmap'], s['ratio_vs_nmap_probe_phase'],
                     s['module_elapsed_ms']))
    print(line)


if __name__ == '__main__':
    main()
