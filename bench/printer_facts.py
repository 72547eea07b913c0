"""Benchmark: printer_facts over 1,000 lab printers in one task, against community.general.snmp_facts per host.

    .venv/bin/python bench/printer_facts.py [--printers 1000] [--first-address 127.0.16.1]
        [--snmp-facts-sample 100 | --snmp-facts-full] [--sample 50]

What runs (the collection installed in build/collections, as `make collection` does):

1. `lab/lab.py up --printers N --first-address 127.0.16.1 --no-remote --no-services`: N simulated printers,
   real net-snmp agents (one snmpd per ~100 addresses), SNMP v2c community `public`.
2. printer_facts, ONE ansible-playbook task over an inventory of N printers, the documented way:
   `run_once: true` + `printers: "{{ ansible_play_hosts | map('extract', hostvars, 'ansible_host') | list }}"`.
   Printed: wall time of the whole ansible-playbook run (Ansible's start and inventory included), the module's
   own elapsed time, and the lost count (printers not reachable: must be 0).
3. The alternative issue 6 names, `community.general.snmp_facts`, run as a user runs it: one inventory host per
   printer (`ansible_host` = the printer's address, connection local), `-f 20`, v2c `public`, the same timeout
   (2 s) and retries (1) as printer_facts. It needs pysnmp 4.4 with pyasn1 0.4 (it does not import under
   pysnmp 7), so it runs from its OWN virtualenv, prepared once and cached:
     build/bench/snmpfacts-venv   ansible-core 2.19, pysnmp==4.4.12, pyasn1==0.4.8 (pip)
     build/bench/collections      ansible_collections/community/general/ only, extracted (zipfile) from the
                                  PyPI `ansible` wheel (`pip download --no-deps ansible==12.3.0`; Galaxy is
                                  unreachable here, and the whole package is ~600 MB installed)
   It is checked first against one printer (sysDescr, sysObjectID, sysName must come back), then run over
   --snmp-facts-sample printers (default 100) and scaled linearly to N, or over all N with --snmp-facts-full
   (~8 minutes here). Failed/unreachable hosts are counted from the play recap. The ratio is printed.
4. A per-host `printer_snmp` task (GET of the same scalar facts + walk of the supplies table) over --sample
   printers (default 50; 0 skips it), 20 forks, scaled to N: this collection's own per-host path.
5. In-process, no Ansible, to show the measurements that chose the lean path: printer_fleet as shipped
   (snmp_wire's hand BER reader), the same with pyasn1 decoding the replies (pysnmp's message API alone), and
   the N printers' scalar GET through pysnmp 7's asyncio hlapi (one shared SnmpEngine, `get_cmd`, same
   concurrency): wall time, CPU per printer and replies lost.

Measured on the 2-core build machine (1,000 printers, concurrency 256, timeout 2 s, 1 retry):
  printer_facts task 3.25-3.40 s wall with Ansible's start (module ~0.6 s), 0 lost;
  snmp_facts (community.general 11.4.2), 20 forks: all 1,000 in 466 s (466 ms/printer, 0 failed), 436-467 s
  scaled from 100 => printer_facts ~135x faster; per-host printer_snmp: 220-235 ms/printer (68-70x);
  in-process: lean 0.64-0.79 s / ~0.6 ms CPU per printer / 0 lost; lean with pyasn1 decoding ~3.5 s / 3.4 ms /
  0 lost; hlapi get_cmd 9.7-13.1 s / 8-11 ms / 71-217 lost.
See docs/printer_snmp.md ("Speed"). Each run's figures are printed and written to build/bench/printer_facts.json.
Nothing here is a test and nothing here is asserted.
"""
import argparse
import asyncio
import ipaddress
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

from _common import BIN, ROOT, env as _env

BENCH_DIR = os.path.join(ROOT, 'build', 'bench')
SF_VENV = os.path.join(BENCH_DIR, 'snmpfacts-venv')
SF_COLLECTIONS = os.path.join(BENCH_DIR, 'collections')
# What community.general.snmp_facts needs: it imports pysnmp 4's oneliner API, gone in pysnmp 5+.
SF_REQUIREMENTS = ['ansible-core>=2.19,<2.20', 'pysnmp==4.4.12', 'pyasn1==0.4.8']

from ansible_collections.printfleet.mve.plugins.module_utils.printers import fleet_facts as printer_fleet  # noqa: E402
from ansible_collections.printfleet.mve.plugins.module_utils.printers import settings as printer_settings  # noqa: E402
from ansible_collections.printfleet.mve.plugins.module_utils.printers import snmp_client  # noqa: E402


def env():
    return _env(ANSIBLE_PYTHON_INTERPRETER=os.path.join(BIN, 'python'), ANSIBLE_HOST_KEY_CHECKING='False')


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


def quiet(cmd):
    """Run a setup command; its output is shown only if it fails."""
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit('%s failed:\n%s\n%s' % (' '.join(cmd), proc.stdout[-3000:], proc.stderr[-3000:]))


def prepare_snmp_facts(ansible_version):
    """Build (once) the virtualenv and the community.general collection that snmp_facts needs; cached."""
    python = os.path.join(SF_VENV, 'bin', 'python')
    marker = os.path.join(SF_VENV, '.installed')
    wanted = ' '.join(SF_REQUIREMENTS)
    if not (os.path.exists(marker) and open(marker).read() == wanted):
        print('preparing %s (%s) ...' % (os.path.relpath(SF_VENV, ROOT), wanted), flush=True)
        shutil.rmtree(SF_VENV, ignore_errors=True)
        quiet([sys.executable, '-m', 'venv', SF_VENV])
        quiet([python, '-m', 'pip', 'install', '-q', '--disable-pip-version-check'] + SF_REQUIREMENTS)
        with open(marker, 'w') as fh:
            fh.write(wanted)
    coll = os.path.join(SF_COLLECTIONS, 'ansible_collections', 'community', 'general')
    stamp = os.path.join(SF_COLLECTIONS, '.from-ansible-%s' % ansible_version)
    if not (os.path.exists(stamp) and os.path.exists(os.path.join(coll, 'plugins', 'modules', 'snmp_facts.py'))):
        print('extracting community.general from the ansible==%s wheel ...' % ansible_version, flush=True)
        shutil.rmtree(SF_COLLECTIONS, ignore_errors=True)
        dl = tempfile.mkdtemp(prefix='pfmve-bench-wheel-')
        try:
            quiet([python, '-m', 'pip', 'download', '-q', '--disable-pip-version-check', '--no-deps',
                   '--only-binary', ':all:', 'ansible==%s' % ansible_version, '-d', dl])
            wheel = [f for f in os.listdir(dl) if f.endswith('.whl')][0]
            prefix = 'ansible_collections/community/general/'
            with zipfile.ZipFile(os.path.join(dl, wheel)) as zf:
                zf.extractall(SF_COLLECTIONS, [n for n in zf.namelist() if n.startswith(prefix)])
        finally:
            shutil.rmtree(dl, ignore_errors=True)
        with open(stamp, 'w') as fh:
            fh.write(ansible_version)
    with open(os.path.join(coll, 'MANIFEST.json')) as fh:
        version = json.load(fh)['collection_info']['version']
    pkgs = subprocess.run([python, '-c', 'import ansible, pysnmp, pyasn1; '
                           'print(ansible.__version__, pysnmp.__version__, pyasn1.__version__)'],
                          capture_output=True, text=True, check=True).stdout.split()
    return {'community_general': version, 'ansible_core': pkgs[0], 'pysnmp': pkgs[1], 'pyasn1': pkgs[2]}


def sf_env():
    e = env()
    e['ANSIBLE_COLLECTIONS_PATH'] = SF_COLLECTIONS
    e['ANSIBLE_COLLECTIONS_SCAN_SYS_PATH'] = 'false'
    e['PATH'] = os.path.join(SF_VENV, 'bin') + os.pathsep + e.get('PATH', '')
    e['ANSIBLE_PYTHON_INTERPRETER'] = os.path.join(SF_VENV, 'bin', 'python')
    return e


SF_TASK = ('    - community.general.snmp_facts:\n'
           '        host: "{{ ansible_host }}"\n'
           '        version: v2c\n'
           '        community: public\n'
           '        timeout: 2\n'
           '        retries: 1\n')


def check_snmp_facts(host, work):
    """snmp_facts against one lab printer must really gather its system facts; returns them."""
    inv = os.path.join(work, 'sf_one.ini')
    write_inventory(inv, [host])
    out = os.path.join(work, 'sf_one.json')
    play = os.path.join(work, 'sf_one.yml')
    with open(play, 'w') as fh:
        fh.write('- hosts: printers\n  gather_facts: false\n  tasks:\n' + SF_TASK
                 + '      register: r\n'
                 '    - ansible.builtin.copy: {content: "{{ r.ansible_facts | to_json }}", dest: "%s", '
                 'mode: "0600"}\n' % out)
    proc = subprocess.run([os.path.join(SF_VENV, 'bin', 'ansible-playbook'), '-i', inv, play],
                          capture_output=True, text=True, env=sf_env(), check=False)
    if proc.returncode != 0:
        raise SystemExit('snmp_facts check failed:\n%s\n%s' % (proc.stdout[-3000:], proc.stderr[-3000:]))
    with open(out) as fh:
        facts = json.load(fh)
    keys = ('ansible_sysdescr', 'ansible_sysobjectid', 'ansible_sysname')
    if not all(facts.get(k) for k in keys):
        raise SystemExit('snmp_facts gathered no system facts from %s: %s' % (host, sorted(facts)))
    return dict((k, facts[k]) for k in keys)


RECAP = re.compile(r'^(\S+)\s+:\s+ok=(\d+)\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


def run_snmp_facts(hosts, work, forks):
    """One inventory host per printer, `-f forks`; returns (wall seconds, hosts ok, hosts failed/unreachable)."""
    inv = os.path.join(work, 'sf_fleet.ini')
    write_inventory(inv, hosts)
    play = os.path.join(work, 'sf_fleet.yml')
    with open(play, 'w') as fh:
        fh.write('- hosts: printers\n  gather_facts: false\n  tasks:\n' + SF_TASK)
    t0 = time.perf_counter()
    proc = subprocess.run([os.path.join(SF_VENV, 'bin', 'ansible-playbook'), '-i', inv, '-f', str(forks), play],
                          capture_output=True, text=True, env=sf_env(), check=False)
    wall = time.perf_counter() - t0
    recap = RECAP.findall(proc.stdout)
    if len(recap) != len(hosts):
        raise SystemExit('snmp_facts run: %d of %d hosts in the recap:\n%s\n%s'
                         % (len(recap), len(hosts), proc.stdout[-3000:], proc.stderr[-3000:]))
    ok = sum(1 for r in recap if int(r[1]) >= 1 and r[2] == '0' and r[3] == '0')
    return wall, ok, len(hosts) - ok


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
    from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp as snmp_wire
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
    ap.add_argument('--snmp-facts-sample', type=int, default=100,
                    help='printers run through community.general.snmp_facts (scaled to --printers)')
    ap.add_argument('--snmp-facts-full', action='store_true',
                    help='run snmp_facts over all --printers (466 s for 1,000 here)')
    ap.add_argument('--ansible-package', default='12.3.0',
                    help='version of the PyPI ansible package whose community.general is extracted')
    ap.add_argument('--sample', type=int, default=50,
                    help='printers run through the per-host printer_snmp loop (0 skips it)')
    ap.add_argument('--forks', type=int, default=20)
    ap.add_argument('--concurrency', type=int, default=256)
    ap.add_argument('--keep-lab', action='store_true')
    opts = ap.parse_args()
    hosts = addresses(opts.first_address, opts.printers)
    versions = prepare_snmp_facts(opts.ansible_package)
    lab_dir = tempfile.mkdtemp(prefix='pfmve-bench-facts-')
    work = tempfile.mkdtemp(prefix='pfmve-bench-facts-work-')
    out = {'printers': opts.printers}
    try:
        lab('up', lab_dir, opts.printers, opts.first_address)
        wall, res = run_printer_facts(hosts, work, opts.concurrency)
        reachable = [h for h in hosts if res['printers'].get(h, {}).get('reachable')]
        out['printer_facts'] = {'wall_s': round(wall, 3), 'module_elapsed_ms': res['summary']['elapsed_ms'],
                                'per_printer_ms': round(wall * 1000 / opts.printers, 2),
                                'reachable': len(reachable), 'lost': opts.printers - len(reachable),
                                'errors': res['summary']['errors'],
                                'sample': res['printers'][hosts[0]]}
        checked = check_snmp_facts(hosts[0], work)
        sample = hosts if opts.snmp_facts_full else hosts[:opts.snmp_facts_sample]
        sf_wall, sf_ok, sf_failed = run_snmp_facts(sample, work, opts.forks)
        scaled = sf_wall / len(sample) * opts.printers
        out['snmp_facts'] = dict(versions, forks=opts.forks, printers_run=len(sample), wall_s=round(sf_wall, 3),
                                 per_printer_ms=round(sf_wall * 1000 / len(sample), 1), ok=sf_ok,
                                 failed=sf_failed, scaled_s=round(scaled, 1), ratio=round(scaled / wall, 1),
                                 check=checked)
        if opts.sample > 0:
            per_sample = hosts[:opts.sample]
            per_host = run_per_host(per_sample, work, opts.forks)
            scaled = per_host / len(per_sample) * opts.printers
            out['per_host'] = {'sample': len(per_sample), 'forks': opts.forks, 'sample_wall_s': round(per_host, 3),
                               'per_printer_ms': round(per_host * 1000 / len(per_sample), 1),
                               'scaled_s': round(scaled, 1), 'ratio': round(scaled / wall, 1)}
        out['in_process'] = in_process(hosts, opts.concurrency)
    finally:
        if not opts.keep_lab:
            lab('down', lab_dir)
        shutil.rmtree(work, ignore_errors=True)
    os.makedirs(BENCH_DIR, exist_ok=True)
    with open(os.path.join(BENCH_DIR, 'printer_facts.json'), 'w') as fh:
        json.dump(out, fh, indent=2)
    f, sf, i = out['printer_facts'], out['snmp_facts'], out['in_process']
    print('printer_facts: %d printers in one task: %.2f s wall (Ansible start included; module %.0f ms) = '
          '%.2f ms/printer, %d reachable, %d lost'
          % (opts.printers, f['wall_s'], f['module_elapsed_ms'], f['per_printer_ms'], f['reachable'], f['lost']))
    print('community.general.snmp_facts %s (ansible-core %s, pysnmp %s, pyasn1 %s), one host per printer, '
          '%d forks: %d printers in %.2f s = %.0f ms/printer, %d ok, %d failed/unreachable%s '
          '=> printer_facts is %.1fx faster'
          % (sf['community_general'], sf['ansible_core'], sf['pysnmp'], sf['pyasn1'], sf['forks'],
             sf['printers_run'], sf['wall_s'], sf['per_printer_ms'], sf['ok'], sf['failed'],
             '' if sf['printers_run'] == opts.printers else ' -> %.0f s for %d' % (sf['scaled_s'], opts.printers),
             sf['ratio']))
    if 'per_host' in out:
        p = out['per_host']
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
