"""The fault suite's own network: namespaces, links with loss and delay, nft rules, hostile peers and snmpd.

Everything is named ``pfmvef...`` and addressed in 198.19.<n>.0/24 (the session lab uses pfmve-lab and 198.18.x),
so the suite runs beside the lab and cleans up only what is its own. Each namespace hangs off the root namespace
by one link, host side 198.19.<n>.1, namespace side 198.19.<n>.2:

    pfmvef-peer    n=1  a veth pair, clean. .2 serves the hostile peers (faultpeers.py), two HTTPS servers and
                        snmpd; .3 is a black hole (nft drops everything addressed to it); .4 has no listener and
                        its ICMP port unreachable messages are rate limited by nft (a burst of ICMP_BURST, then
                        1 a minute), the kernel's own ICMP rate limit switched off so that nft alone decides
    pfmvef-loss10  n=2  10% random loss in each direction (seeded: the same drops on every run); snmpd, TCP 9100
    pfmvef-loss50  n=3  50% loss: exactly every other packet dropped, in each direction; snmpd, TCP 9100
    pfmvef-slow    n=4  300 ms delay in each direction: a 600 ms round trip; snmpd, TCP 9100

The lossy and slow links are TUN pairs with faultlink.py between them, not ``tc netem``: the kernel of these
machines has no sch_netem (CONFIG_NET_SCH_NETEM is not set; tc answers "Specified qdisc kind is unknown") and no
nft queue. The emulation sits at the same place netem would (every IP packet of the link, both directions).

Why 50% is a fixed pattern: with random 50% loss in each direction an exchange gets through with probability 1/4
per attempt, so any fixed retry budget fails now and then (0.75^11 = 4% with port_check's maximum of 10 retries),
and a test that fails by chance proves nothing. Dropping exactly every other packet in each direction is still
50% loss; a UDP request/reply gets through on the 4th attempt at the latest, a TCP connection on the SYN
retransmissions. The 10% case is random (seeded), with retries that leave about one wrong verdict in a million
requests (0.19^9).
"""
import json
import os
import signal
import subprocess
import sys
import time

from labtools import BIN, ansible_env

PREFIX = 'pfmvef'
NETS = {'peer': 1, 'loss10': 2, 'loss50': 3, 'slow': 4}
ICMP_BURST = 2
COMMUNITY = 'fault-public'
SYS_DESCR = 'Lexmark MS822de version MXTGM.081.215 kernel 4.17.19 All-N-1'
SYS_NAME = 'faultprinter'
HERE = os.path.dirname(os.path.abspath(__file__))

# The hostile peers on 198.19.1.2 (ports away from anything real).
PEER_PORTS = {
    'silent': 7001, 'garbage': 7002, 'smtp_half': 7003, 'ldap_half': 7004, 'tds_half': 7005, 'krb_half': 7006,
    'drip': 7007, 'tls_reset': 7010, 'smtp_reset': 7011, 'https_500': 8443, 'https_page': 8444, 'udp_garbage': 7020,
}
LISTEN_PORT = 9100   # an accepting TCP port in the loss and latency namespaces
# The emulated links (faultlink.py options); the other namespaces hang off a plain veth pair.
LINKS = {'loss10': ['--loss', '10', '--seed', '1013'], 'loss50': ['--drop-every', '2'],
         'slow': ['--delay-ms', '300']}
# Pids of link emulators (they run in the root namespace): a crashed run's are ended by the next run's cleanup.
LINK_PIDS = '/run/pfmvef-links.pids'
UNEXPECTED_PAGE = ('<html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1>'
                   '<p>If you see this page, the web server is working.</p></body></html>')


def netns(name):
    return '%s-%s' % (PREFIX, name)


def address(name, host=2):
    return '198.19.%d.%d' % (NETS[name], host)


def run(argv, check=True, **kwargs):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if check and proc.returncode != 0:
        raise RuntimeError('%s failed (%d): %s%s' % (' '.join(argv), proc.returncode, proc.stdout, proc.stderr))
    return proc


def in_ns(name, *argv):
    return ['ip', 'netns', 'exec', netns(name)] + list(argv)


def cleanup():
    """Remove every pfmvef namespace (ending the processes inside it, by pid), host-side link and link emulator."""
    try:
        with open(LINK_PIDS) as fh:
            pids = [int(p) for p in fh.read().split() if p.isdigit()]
    except OSError:
        pids = []
    for pid in pids:
        try:
            with open('/proc/%d/cmdline' % pid, 'rb') as fh:
                ours = b'faultlink.py' in fh.read()
            if ours:
                os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if os.path.exists(LINK_PIDS):
        os.unlink(LINK_PIDS)
    for line in run(['ip', 'netns', 'list'], check=False).stdout.splitlines():
        name = line.split()[0] if line.strip() else ''
        if not name.startswith(PREFIX + '-'):
            continue
        pids = [int(p) for p in run(['ip', 'netns', 'pids', name], check=False).stdout.split() if p.isdigit()]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        run(['ip', 'netns', 'del', name], check=False)
    for line in run(['ip', '-o', 'link', 'show'], check=False).stdout.splitlines():
        parts = line.split(':')
        if len(parts) > 1:
            ifname = parts[1].strip().split('@')[0]
            if ifname.startswith(PREFIX):
                run(['ip', 'link', 'del', ifname], check=False)


def nft_rules(name):
    if name == 'peer':
        return '''table inet %(p)s {
  chain input { type filter hook input priority 0; policy accept;
    ip daddr %(hole)s drop
  }
  chain output { type filter hook output priority 0; policy accept;
    ip saddr %(rl)s icmp type destination-unreachable limit rate over 1/minute burst %(burst)d packets drop
  }
}
''' % {'p': PREFIX, 'hole': address('peer', 3), 'rl': address('peer', 4), 'burst': ICMP_BURST}
    return None


def snmpd_conf(name, base):
    return '\n'.join([
        '[snmp] persistentDir %s' % base,
        'agentaddress udp:%s:161' % address(name),
        'dontLogTCPWrappersConnects yes',
        'rocommunity %s default' % COMMUNITY,
        'sysDescr %s' % SYS_DESCR,
        'sysObjectID 1.3.6.1.4.1.641.1.822',
        'sysName %s' % SYS_NAME,
        'sysLocation fault suite, %s' % name,
        'sysContact nobody',
        'sysServices 72',
    ]) + '\n'


class FaultNet(object):
    """The namespaces and everything in them; ``up()`` builds, ``down()`` tears down (also after a crash)."""

    def __init__(self, workdir, cert, key):
        self.dir = workdir
        self.cert, self.key = cert, key
        self.log = os.path.join(workdir, 'logs')
        os.makedirs(self.log, exist_ok=True)
        self.links = []

    def up(self):
        cleanup()
        for name, n in NETS.items():
            host_if, ns_if = '%s%dh' % (PREFIX, n), '%s%dp' % (PREFIX, n)
            run(['ip', 'netns', 'add', netns(name)])
            if name in LINKS:
                run(['ip', 'tuntap', 'add', 'dev', host_if, 'mode', 'tun'])
                run(['ip', '-n', netns(name), 'tuntap', 'add', 'dev', ns_if, 'mode', 'tun'])
                # No IPv6 chatter (router solicitations, MLD) on the emulated link: only the tests' packets.
                run(['sysctl', '-q', '-w', 'net.ipv6.conf.%s.disable_ipv6=1' % host_if])
                run(in_ns(name, 'sysctl', '-q', '-w', 'net.ipv6.conf.%s.disable_ipv6=1' % ns_if))
            else:
                run(['ip', 'link', 'add', host_if, 'type', 'veth', 'peer', 'name', ns_if])
                run(['ip', 'link', 'set', ns_if, 'netns', netns(name)])
            run(['ip', 'addr', 'add', address(name, 1) + '/24', 'dev', host_if])
            run(['ip', 'link', 'set', host_if, 'up'])
            run(['ip', '-n', netns(name), 'addr', 'add', address(name) + '/24', 'dev', ns_if])
            if name == 'peer':
                for extra in (3, 4):
                    run(['ip', '-n', netns(name), 'addr', 'add', address(name, extra) + '/24', 'dev', ns_if])
            run(['ip', '-n', netns(name), 'link', 'set', ns_if, 'up'])
            run(['ip', '-n', netns(name), 'link', 'set', 'lo', 'up'])
            # Only nft limits ICMP errors here (the kernel's per-destination limit would add its own burst of 6).
            run(in_ns(name, 'sysctl', '-q', '-w', 'net.ipv4.icmp_ratelimit=0'))
            if name in LINKS:
                self.start_link(name, host_if, ns_if)
            rules = nft_rules(name)
            if rules:
                path = os.path.join(self.dir, 'nft-%s.conf' % name)
                with open(path, 'w') as fh:
                    fh.write(rules)
                run(in_ns(name, 'nft', '-f', path))
            self.start_snmpd(name)
            self.start_peers(name)
        return self

    def start_link(self, name, host_if, ns_if):
        ready = os.path.join(self.dir, 'link-%s.pid' % name)
        log = open(os.path.join(self.log, 'link-%s.log' % name), 'ab')
        proc = subprocess.Popen([sys.executable, os.path.join(HERE, 'faultlink.py'), '--host-if', host_if,
                                 '--netns', netns(name), '--ns-if', ns_if, '--ready', ready] + LINKS[name],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        self.links.append(proc)
        with open(LINK_PIDS, 'a') as fh:
            fh.write('%d\n' % proc.pid)
        deadline = time.time() + 10
        while not os.path.exists(ready):
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError('the link emulator of %s did not start:\n%s'
                                   % (netns(name), self.tail('link-%s.log' % name)))
            time.sleep(0.05)

    def start_snmpd(self, name):
        base = os.path.join(self.dir, 'snmpd-' + name)
        os.makedirs(base, exist_ok=True)
        conf = os.path.join(base, 'snmpd.conf')
        with open(conf, 'w') as fh:
            fh.write(snmpd_conf(name, base))
        pidfile = os.path.join(base, 'snmpd.pid')
        env = dict(os.environ, MIBS='', SNMP_PERSISTENT_DIR=base)
        log = os.path.join(self.log, 'snmpd-%s.log' % name)
        run(in_ns(name, 'snmpd', '-C', '-c', conf, '-I', '-smux', '-Lf', log, '-p', pidfile), env=env, cwd='/')
        deadline = time.time() + 10
        while time.time() < deadline:
            # Asked from inside the namespace: the loss and delay are on the veth, not on loopback.
            probe = run(in_ns(name, 'snmpget', '-v2c', '-c', COMMUNITY, '-r', '1', '-t', '1', '-Oqv',
                              address(name) + ':161', '1.3.6.1.2.1.1.5.0'), check=False, env=env)
            if SYS_NAME in probe.stdout:
                return
            time.sleep(0.1)
        raise RuntimeError('snmpd in %s does not answer: %s' % (netns(name), probe.stderr))

    def start_peers(self, name):
        host = address(name)
        if name == 'peer':
            half = [('smtp_half', b'220 fault.example.test ESM', 'server'),
                    ('ldap_half', bytes.fromhex('300c02010161070a01'), 'client'),
                    ('tds_half', bytes.fromhex('040100'), 'client'),
                    ('krb_half', bytes.fromhex('000000407e3e'), 'client')]
            peers = [{'mode': 'silent', 'host': host, 'port': PEER_PORTS['silent']},
                     {'mode': 'garbage', 'host': host, 'port': PEER_PORTS['garbage']},
                     {'mode': 'drip', 'host': host, 'port': PEER_PORTS['drip'], 'interval': 0.7},
                     {'mode': 'tls_reset', 'host': host, 'port': PEER_PORTS['tls_reset']},
                     {'mode': 'smtp_reset', 'host': host, 'port': PEER_PORTS['smtp_reset']},
                     {'mode': 'https', 'host': host, 'port': PEER_PORTS['https_500'], 'status': 500,
                      'status_text': 'Internal Server Error',
                      'body': '<html><body><h1>500 Internal Server Error</h1></body></html>'},
                     {'mode': 'https', 'host': host, 'port': PEER_PORTS['https_page'], 'status': 200,
                      'status_text': 'OK', 'body': UNEXPECTED_PAGE},
                     {'mode': 'udp_garbage', 'host': host, 'port': PEER_PORTS['udp_garbage']}]
            peers += [{'mode': 'half', 'host': host, 'port': PEER_PORTS[key], 'data_hex': data.hex(), 'first': first}
                      for key, data, first in half]
        else:
            peers = [{'mode': 'silent', 'host': host, 'port': LISTEN_PORT}]
        ready = os.path.join(self.dir, 'peers-%s.ready' % name)
        config = os.path.join(self.dir, 'peers-%s.json' % name)
        with open(config, 'w') as fh:
            json.dump({'peers': peers, 'ready': ready, 'cert': self.cert, 'key': self.key}, fh)
        log = open(os.path.join(self.log, 'peers-%s.log' % name), 'ab')
        proc = subprocess.Popen(in_ns(name, sys.executable, os.path.join(HERE, 'faultpeers.py'), config),
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.time() + 15
        while not os.path.exists(ready):
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError('the hostile peers in %s did not start:\n%s'
                                   % (netns(name), self.tail('peers-%s.log' % name)))
            time.sleep(0.05)

    def tail(self, name):
        try:
            with open(os.path.join(self.log, name), errors='replace') as fh:
                return fh.read()[-3000:]
        except OSError:
            return ''

    def down(self):
        for proc in self.links:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        cleanup()


# ---------------------------------------------------------------------------------------- ansible
CALLBACK = '''
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Every task's result, status and wall time (start of the task on the host to its result), as JSON."""
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'fault_results'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.started = {}
        self.results = {}

    def v2_runner_on_start(self, host, task):
        self.started[task._uuid] = time.monotonic()

    def _record(self, result, status):
        task = result._task
        start = self.started.get(task._uuid)
        self.results[task.get_name()] = {
            'status': status, 'seconds': None if start is None else time.monotonic() - start,
            'result': result._result}

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')

    def v2_playbook_on_stats(self, stats):
        with open(os.environ['PFMVEF_RESULTS'], 'w') as fh:
            json.dump(self.results, fh, default=str)
'''


def run_tasks(workdir, label, tasks, timeout=240):
    """Run ``tasks`` (each a dict with a unique ``name``) on localhost in one ansible-playbook; returns
    (results by task name, the CompletedProcess). Each task gets ``ignore_errors: true``."""
    cb_dir = os.path.join(workdir, 'callback_plugins')
    os.makedirs(cb_dir, exist_ok=True)
    with open(os.path.join(cb_dir, 'fault_results.py'), 'w') as fh:
        fh.write(CALLBACK)
    inventory = os.path.join(workdir, 'inventory.ini')
    with open(inventory, 'w') as fh:
        fh.write('localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    playbook = os.path.join(workdir, '%s.yml' % label)
    with open(playbook, 'w') as fh:
        json.dump([{'name': 'Fault suite: %s' % label, 'hosts': 'localhost', 'gather_facts': False,
                    'tasks': [dict(t, ignore_errors=True) for t in tasks]}], fh, indent=1)
    out = os.path.join(workdir, '%s-results.json' % label)
    env = ansible_env(ANSIBLE_CALLBACK_PLUGINS=cb_dir, ANSIBLE_CALLBACKS_ENABLED='fault_results',
                      PFMVEF_RESULTS=out)
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', inventory, playbook], capture_output=True,
                          text=True, timeout=timeout, env=env, check=False)
    if not os.path.exists(out):
        raise AssertionError('ansible-playbook %s wrote no results (exit %d):\n%s\n%s'
                             % (playbook, proc.returncode, proc.stdout[-6000:], proc.stderr[-3000:]))
    with open(out) as fh:
        return json.load(fh), proc


def run_inventory(workdir, config):
    """``ansible-inventory --list`` of a printfleet.mve.printers source; returns (inventory, proc, seconds)."""
    path = os.path.join(workdir, 'pfmvef.printers.yml')
    with open(path, 'w') as fh:
        json.dump(config, fh)
    start = time.monotonic()
    proc = subprocess.run([os.path.join(BIN, 'ansible-inventory'), '-i', path, '--list'], capture_output=True,
                          text=True, timeout=120, env=ansible_env(), check=False)
    seconds = time.monotonic() - start
    try:
        inventory = json.loads(proc.stdout)
    except ValueError:
        inventory = None
    return inventory, proc, seconds
