"""Benchmark: printer_facts over 1,000 lab printers in one task, against a per-host run of printer_snmp.

    .venv/bin/python bench/printer_facts.py [--printers 1000] [--first-address 127.0.16.1] [--sample 50]

What runs (the collection installed in build/collections, as `make collection` does):

1. `lab/lab.py up --printers N --first-address 127.0.16.1 --no-remote --no-services`: N simulated printers,
   real net-snmp agents (one snmpd per ~100 addresses), SNMP v2c community `public`.
2. printer_facts, ONE ansible-playbook task over an inventory of N printers, the documented way:
   `run_once: true` + `printers: "{{ ansible_play_hosts | map('extract', hostvars, 'ansible_host') | list }}"`.
   Printed: wall time of the whole ansible-playbook run (Ansible's start and inventory included), the module's
   own elapsed time, and the lost count (printers not reachable: must be 0).
3. The alternative a user would pick without this module: one inventory host per printer, 20 forks, a
   `printer_snmp` task per host (GET of the same scalar facts + walk of the supplies table), delegated to
   localhost. It is run over a --sample of printers and scaled linearly to N; the ratio is printed.
   `community.general.snmp_facts` is the usual choice, but it cannot be installed here (no Ansible Galaxy, no
   internet) and, per issue 6, does not import under pysnmp 7 anyway; printer_snmp per host stands in for it
   with the same shape of work (one Python module run per printer).
4. In-process, no Ansible, to show the measurements that chose the lean path: printer_fleet as shipped
   (snmp_wire's hand BER reader), the same with pyasn1 decoding the replies (pysnmp's message API alone), and
   the N printers' scalar GET through pysnmp 7's asyncio hlapi (one shared SnmpEngine, `get_cmd`, same
   concurrency): wall time, CPU per printer and replies lost.

Measured on the 2-core build machine (1,000 printers, concurrency 256, timeout 2 s, 1 retry):
  printer_facts task 2.98 s wall with Ansible's start (module 533 ms), 0 lost;
  per-host printer_snmp, 20 forks: 218 ms/printer -> 218 s for 1,000, printer_facts 73x faster;
  in-process: lean 0.66 s / 0.53 ms CPU per printer / 0 lost; lean with pyasn1 decoding 3.62 s / 3.41 ms / 0
  lost (the first version of printer_facts: a 9.0 s task); hlapi get_cmd 14.8 s / 13.8 ms / 196 lost.

Results go to build/bench/printer_facts.json. Nothing here is a test and nothing here is asserted.
"""
import argparse
import asyncio
import ipaddress
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, '.venv', 'bin')
sys.path.insert(0, os.path.join(ROOT, 'build', 'pytest'))
_LINK = os.path.join(ROOT, 'build', 'pytest', 'ansible_collections', 'printfleet', 'mve')
if not os.path.islink(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(ROOT, _LINK)

from ansible_collections.printfleet.mve.plugins.module_utils import printer_fleet  # noqa: E402
from ansible_collections.printfleet.mve.plugins.module_utils import printer_settings  # noqa: E402
from ansible_collections.printfleet.mve.plugins.module_utils import snmp_client  # noqa: E402


def env():
    e = dict(os.environ)
    e.setdefault('ANSIBLE_COLLECTIONS_PATH', os.path.join(ROOT, 'build', 'collections'))
    e['PATH'] = BIN + os.pathsep + e.get('PATH', '')
    e['ANSIBLE_NOCOLOR'] = '1'
    e['ANSIBLE_PYTHON_INTERPRETER'] = os.path.join(BIN, 'python')
    e['ANSIBLE_HOST_KEY_CHECKING'] = 'False'
    e['MIBS'] = ''
    return e


def lab(action, lab_dir, printers=0, first=None):
    cmd = [os.path.join(BIN, 'python'), os.path.join(ROOT, 'lab', 'lab.py'), action, '--dir', lab_dir]
    if action == 'up':
        cmd += ['--printers', str(printers), '--first-address', first, '--no-remote']
        helptext = subprocess.run(cmd[:3] + ['--help'], capture_output=True, text=True, check=False).stdout
        if '--no-services' in helptext:
            cmd.append('--no-services')
    subprocess.run(cmd, check=True, env=env(), stdout=subprocess.DEVNULL)


def addresses(first, count):
    start = ipaddress.ip_address(first)
    return [str(start + i) for i in range(count)]


def write_inventory(path, hosts):
    with open(path, 'w') as fh:
        fh.write('[printers]\n')
        for i, h in enumerate(hosts):
            fh.write('p%04d ansible_host=%s ansible_connection=local\n' % (i + 1, h))


def playbook(cmd, what):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env(), check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit('%s failed:\n%s\n%s' % (what, proc.stdout[-3000:], proc.stderr[-3000:]))
    return wall


def run_printer_facts(hosts, work, concurrency):
    inv = os.path.join(work, 'fleet.ini')
    write_inventory(inv, hosts)
    out = os.path.join(work, 'facts.json')
    play = os.path.join(work, 'facts.yml')
    with open(play, 'w') as fh:
        fh.write(
            '- hosts: printers\n  gather_facts: false\n  tasks:\n'
            '    - printfleet.mve.printer_facts:\n'
            '        printers: "{{ ansible_play_hosts | map(\'extract\', hostvars, \'ansible_host\') | list }}"\n'
            '        community: public\n'
            '        concurrency: %d\n'
            '      run_once: true\n'
            '      delegate_to: localhost\n'
            '      register: fleet\n'
            '    - ansible.builtin.copy: {content: "{{ fleet | to_json }}", dest: "%s", mode: "0600"}\n'
            '      run_once: true\n'
            '      delegate_to: localhost\n' % (concurrency, out))
    wall = playbook([os.path.join(BIN, 'ansible-playbook'), '-i', inv, play], 'printer_facts')
    with open(out) as fh:
        return wall, json.load(fh)


def run_per_host(hosts, work, forks):
    inv = os.path.join(work, 'sample.ini')
    write_inventory(inv, hosts)
    scalars = json.dumps(printer_settings.fact_oids())
    play = os.path.join(work, 'per_host.yml')
    with open(play, 'w') as fh:
        fh.write(
            '- hosts: printers\n  gather_facts: false\n  tasks:\n'
            '    - printfleet.mve.printer_snmp:\n'
            '        host: "{{ ansible_host }}"\n'
            '        community: public\n'
            '        get: %s\n'
            '        walk: %s\n'
            '      delegate_to: localhost\n' % (scalars, json.dumps(printer_settings.supply_columns())))
    return playbook([os.path.join(BIN, 'ansible-playbook'), '-i', inv, '-f', str(forks), play], 'per-host run')


async def hlapi_gets(hosts, concurrency, oids):
    from pysnmp.hlapi.v3arch import asyncio as hlapi
    engine = hlapi.SnmpEngine()
    sem = asyncio.Semaphore(concurrency)
    port = snmp_client.default_port()

    async def one(host):
        async with sem:
            target = await hlapi.UdpTransportTarget.create((host, port), timeout=2.0, retries=1)
            indication, status, dummy_i, dummy_v = await hlapi.get_cmd(
                engine, hlapi.CommunityData('public', mpModel=1), target, hlapi.ContextData(),
                *[hlapi.ObjectType(hlapi.ObjectIdentity(o)) for o in oids], lookupMib=False)
            return not indication and not int(status)

    try:
        return await asyncio.gather(*[one(h) for h in hosts])
    finally:
        engine.close_dispatcher()


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def in_process(hosts, concurrency):
    out = {}
    oids = printer_settings.fact_oids()
    c0, t0 = cpu(), time.perf_counter()
    printers, summary = printer_fleet.collect(hosts, {'community': 'public'}, concurrency)
    out['lean'] = {'wall_s': round(time.perf_counter() - t0, 3), 'cpu_ms_per_printer': round(
        (cpu() - c0) * 1000 / len(hosts), 2), 'lost': summary['unreachable'], 'requests_per_printer': 2}
    # The same lean path with replies decoded by pyasn1 (snmp_wire's reference decoder) instead of the fast BER
    # reader: what the message API alone gives.
    from ansible_collections.printfleet.mve.plugins.module_utils import snmp_wire
    fast = snmp_wire._fast_parse
    snmp_wire._fast_parse = lambda data: None
    try:
        c0, t0 = cpu(), time.perf_counter()
        printers, summary = printer_fleet.collect(hosts, {'community': 'public'}, concurrency)
        out['lean_pyasn1'] = {'wall_s': round(time.perf_counter() - t0, 3), 'cpu_ms_per_printer': round(
            (cpu() - c0) * 1000 / len(hosts), 2), 'lost': summary['unreachable'], 'requests_per_printer': 2}
    finally:
        snmp_wire._fast_parse = fast
    c0, t0 = cpu(), time.perf_counter()
    ok = asyncio.run(hlapi_gets(hosts, concurrency, oids))
    out['hlapi'] = {'wall_s': round(time.perf_counter() - t0, 3), 'cpu_ms_per_printer': round(
        (cpu() - c0) * 1000 / len(hosts), 2), 'lost': ok.count(False), 'requests_per_printer': 1}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--printers', type=int, default=1000)
    ap.add_argument('--first-address', default='127.0.16.1')
    ap.add_argument('--sample', type=int, default=50, help='printers run through the per-host alternative')
    ap.add_argument('--forks', type=int, default=20)
    ap.add_argument('--concurrency', type=int, default=256)
    ap.add_argument('--keep-lab', action='store_true')
    opts = ap.parse_args()
    hosts = addresses(opts.first_address, opts.printers)
    lab_dir = tempfile.mkdtemp(prefix='pfmve-bench-facts-')
    work = tempfile.mkdtemp(prefix='pfmve-bench-facts-work-')
    out = {'printers': opts.printers}
    try:
        lab('up', lab_dir, opts.printers, opts.first_address)
        wall, res = run_printer_facts(hosts, work, opts.concurrency)
        reachable = [h for h in hosts if res['printers'].get(h, {}).get('reachable')]
        out['printer_facts'] = {'wall_s': round(wall, 3), 'module_elapsed_ms': res['summary']['elapsed_ms'],
                                'reachable': len(reachable), 'lost': opts.printers - len(reachable),
                                'errors': res['summary']['errors'],
                                'sample': res['printers'][hosts[0]]}
        sample = hosts[:opts.sample]
        per_host = run_per_host(sample, work, opts.forks)
        scaled = per_host / len(sample) * opts.printers
        out['per_host'] = {'sample': len(sample), 'forks': opts.forks, 'sample_wall_s': round(per_host, 3),
                           'per_printer_ms': round(per_host * 1000 / len(sample), 1),
                           'scaled_s': round(scaled, 1), 'ratio': round(scaled / wall, 1)}
        out['in_process'] = in_process(hosts, opts.concurrency)
    finally:
        if not opts.keep_lab:
            lab('down', lab_dir)
        shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(ROOT, 'build', 'bench'), exist_ok=True)
    with open(os.path.join(ROOT, 'build', 'bench', 'printer_facts.json'), 'w') as fh:
        json.dump(out, fh, indent=2)
    f, p, i = out['printer_facts'], out['per_host'], out['in_process']
    print('printer_facts: %d printers in one task: %.2f s wall (Ansible start included; module %.0f ms), '
          '%d reachable, %d lost' % (opts.printers, f['wall_s'], f['module_elapsed_ms'], f['reachable'], f['lost']))
    print('per-host printer_snmp (%d forks): %d printers in %.2f s = %.0f ms/printer -> %.0f s for %d '
          '=> printer_facts is %.1fx faster'
          % (p['forks'], p['sample'], p['sample_wall_s'], p['per_printer_ms'], p['scaled_s'], opts.printers,
             p['ratio']))
    print('in-process, %d printers, concurrency %d, GET + GETBULK per printer: lean path %.2f s, %.2f ms CPU/printer, '
          '%d lost; same with pyasn1 decoding the replies %.2f s, %.2f ms CPU/printer, %d lost; '
          'pysnmp hlapi get_cmd (the GET only) %.2f s, %.2f ms CPU/printer, %d lost'
          % (opts.printers, opts.concurrency, i['lean']['wall_s'], i['lean']['cpu_ms_per_printer'], i['lean']['lost'],
             i['lean_pyasn1']['wall_s'], i['lean_pyasn1']['cpu_ms_per_printer'], i['lean_pyasn1']['lost'],
             i['hlapi']['wall_s'], i['hlapi']['cpu_ms_per_printer'], i['hlapi']['lost']))


if __name__ == '__main__':
    main()
