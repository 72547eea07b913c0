"""Issue 14: how port_check scales, as ratios measured inside one run.

    .venv/bin/python bench/scale.py ratios [--sizes 1,1000,4000] [--repeat 3] [--open-first 127.0.8.1]
        [--details full|failures|summary] [--out FILE]

`ratios` runs ONE `port_check` task per size, in a fresh `ansible-playbook` each (the work tree's collection built and
installed into build/bench/collections-scale by the bench itself, as `make collection` does for build/collections), and prints for every size:

  * wall: the whole ansible-playbook run (Ansible's start, the task, the result handed back and registered);
  * probes: the module's own `summary.elapsed_ms` (the probe phase);
  * overhead ratio = (wall(N) - wall(1)) / probes(N): what Ansible and the result cost on top of the
    probes, in units of the probe phase. Issue 14's goal: at most 2 at 1,000 targets, at most 3 at 10,000;
  * peak RSS of the run (the largest process of ansible-playbook's tree: os.wait4's ru_maxrss).

Two sweeps: `closed` (TCP targets on loopback addresses where nothing listens: refused, no lab needed) and,
with --open-first, `open` (the RAW port of lab printers from that address on; start the lab first, e.g.
`lab/lab.py up --dir D --printers 1000 --first-address 127.0.8.1 --no-remote --no-services`).
Every repeat measures its own one-target run, so a ratio never mixes two moments of a shared machine.
The load average is printed with each repeat. Nothing here is a test and nothing is asserted.
"""
import argparse
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time

from _common import BIN, ROOT, env

CLOSED_FIRST = '127.20.0.1'   # nothing listens here; a connect is refused at once
CLOSED_PORT = 9


def install_collection():
    """Build the work tree's collection and install it into a private path (build/bench/collections-scale):
    build/collections is rebuilt by whoever runs `make collection`, and a run must not see it half-installed."""
    dest = os.path.join(ROOT, 'build', 'bench', 'collections-scale')
    dist = tempfile.mkdtemp(prefix='pfmve-scale-dist-')
    galaxy = os.path.join(BIN, 'ansible-galaxy')
    subprocess.run([galaxy, 'collection', 'build', '--force', '--output-path', dist, ROOT], check=True,
                   stdout=subprocess.DEVNULL, env=env())
    tarball = [os.path.join(dist, f) for f in os.listdir(dist) if f.endswith('.tar.gz')][0]
    subprocess.run([galaxy, 'collection', 'install', '--force', '-p', dest, tarball], check=True,
                   stdout=subprocess.DEVNULL, env=env(ANSIBLE_COLLECTIONS_PATH=dest))
    os.environ['ANSIBLE_COLLECTIONS_PATH'] = dest
    return dest


def addresses(first, count):
    start = ipaddress.ip_address(first)
    return [str(start + i) for i in range(count)]


def measured(cmd, environ, cwd=None):
    """Run cmd; (wall seconds, peak RSS in MiB of its process tree's largest process, returncode, out, err)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=environ, cwd=cwd)
        dummy_pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return wall, usage.ru_maxrss / 1024.0, proc.returncode, out.read().decode(), err.read().decode()


def port_check_play(workdir, args, register_out=True):
    argfile = os.path.join(workdir, 'args.json')
    with open(argfile, 'w') as fh:
        json.dump(args, fh)
    play = os.path.join(workdir, 'play.yml')
    out = os.path.join(workdir, 'out.json')
    tasks = ('    - printfleet.mve.port_check: "{{ lookup(\'ansible.builtin.file\', \'%s\') | from_json }}"\n'
             '      register: r\n' % argfile)
    if register_out:
        # summary only: writing 10,000 results back out would measure to_json, not port_check.
        tasks += ('    - ansible.builtin.copy: {content: "{{ {\'summary\': r.summary, \'n\': r.results | length} '
                  '| to_json }}", dest: "%s", mode: "0600"}\n' % out)
    with open(play, 'w') as fh:
        fh.write('- hosts: localhost\n  gather_facts: false\n  tasks:\n' + tasks)
    return play, out


def run_port_check(targets, workdir, **opts):
    """One port_check task; returns dict(wall_s, rss_mib, probes_ms, n, summary)."""
    play, out = port_check_play(workdir, dict(opts, targets=targets))
    e = env(ANSIBLE_PYTHON_INTERPRETER=os.path.join(BIN, 'python'))
    wall, rss, rc, so, se = measured([os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', play], e)
    if rc != 0:
        raise SystemExit('port_check run failed:\n%s\n%s' % (so[-3000:], se[-3000:]))
    with open(out) as fh:
        res = json.load(fh)
    return {'wall_s': round(wall, 3), 'rss_mib': round(rss, 1), 'probes_ms': res['summary']['elapsed_ms'],
            'n': res['n'], 'summary': res['summary']}


def loadavg():
    with open('/proc/loadavg') as fh:
        return ' '.join(fh.read().split()[:3])


def sweep(kind, first, port, sizes, repeat, opts, work):
    rows = []
    for rep in range(repeat):
        one = run_port_check([{'host': first, 'port': port}], work, **opts)
        for n in sizes:
            if n == 1:
                continue
            targets = [{'host': h, 'port': port} for h in addresses(first, n)]
            r = run_port_check(targets, work, **opts)
            ratio = (r['wall_s'] - one['wall_s']) * 1000.0 / r['probes_ms'] if r['probes_ms'] else None
            row = {'sweep': kind, 'repeat': rep + 1, 'targets': n, 'wall_s': r['wall_s'], 'one_wall_s': one['wall_s'],
                   'probes_s': round(r['probes_ms'] / 1000.0, 3), 'overhead_ratio': round(ratio, 2),
                   'per_target_overhead_ms': round((r['wall_s'] - one['wall_s'] - r['probes_ms'] / 1000.0)
                                                   * 1000.0 / n, 3),
                   'rss_mib': r['rss_mib'], 'states': dict((k, v) for k, v in r['summary'].items()
                                                           if k not in ('total', 'elapsed_ms') and v),
                   'load': loadavg()}
            rows.append(row)
            print('%-6s rep %d  %6d targets: wall %6.2f s, one-target %5.2f s, probes %5.2f s => '
                  '(wall - one) / probes = %5.2f; %.3f ms/target outside the probes; peak RSS %6.1f MiB; %s; load %s'
                  % (kind, rep + 1, n, row['wall_s'], row['one_wall_s'], row['probes_s'], row['overhead_ratio'],
                     row['per_target_overhead_ms'], row['rss_mib'], row['states'], row['load']), flush=True)
    return rows


def cmd_ratios(opts):
    sizes = [int(s) for s in opts.sizes.split(',')]
    extra = {'timeout': 2.0, 'concurrency': 512}
    if opts.details:
        extra['details'] = opts.details
    work = tempfile.mkdtemp(prefix='pfmve-scale-')
    install_collection()
    rows = sweep('closed', CLOSED_FIRST, CLOSED_PORT, sizes, opts.repeat, extra, work)
    if opts.open_first:
        sys.path.insert(0, os.path.join(ROOT, 'build', 'pytest'))
        from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
        raw = port_matrix.get_flow('printer.raw')['destination_port']
        rows += sweep('open', opts.open_first, raw, sizes, opts.repeat, extra, work)
    if opts.out:
        with open(opts.out, 'w') as fh:
            json.dump(rows, fh, indent=1)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    r = sub.add_parser('ratios')
    r.add_argument('--sizes', default='1,1000,4000')
    r.add_argument('--repeat', type=int, default=3)
    r.add_argument('--open-first', help='first lab printer address for the open sweep (lab started by you)')
    r.add_argument('--details', choices=['full', 'failures', 'summary'])
    r.add_argument('--out')
    opts = ap.parse_args()
    if opts.cmd == 'ratios':
        cmd_ratios(opts)


if __name__ == '__main__':
    main()
