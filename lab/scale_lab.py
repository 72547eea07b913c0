# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lab of many printers (10,000 and more) for the benchmarks of issue 14: one process, bounded memory.

    .venv/bin/python lab/scale_lab.py up     --dir DIR --printers N [--first-address 127.10.0.1]
                                             [--flows printer.raw,printer.snmp | --flows all]
    .venv/bin/python lab/scale_lab.py status --dir DIR
    .venv/bin/python lab/scale_lab.py down   --dir DIR

lab/lab.py runs real net-snmp agents (one per ~100 addresses, the same SNMP identity for all of them) and a
simulator with TLS, the EWS and mDNS: right for the integration tests, too heavy for 10,000 printers. Here ONE
process (`serve`, a selectors loop, no asyncio objects per socket) serves every address:

* SNMP v1/v2c (GET, GETNEXT, GETBULK; community `public`, read-only) on each printer's own UDP socket, each address
  answering with its OWN identity: sysName `printerNNNNN`, serial, model and firmware, sysObjectID, page count and a
  supplies table, all computed from the printer's number when a request comes (nothing per printer is stored);
* every other selected printer port of the port matrix (`destination: printer`): TCP ports accept and close at
  once (an open port), UDP ports are bound and silent (what port_check reports `open_or_filtered`).

Known truth, on purpose: printers have ports closed or filtered (never SNMP: its facts must come back). A closed
port is not bound (TCP refused, UDP ICMP port unreachable), a filtered one is dropped by nft (table
`inet pfscale_<dir hash>`, input hook). With the whole matrix (--flows all) every printer has one closed and one
filtered port, chosen from its number; with fewer ports every 4th printer has one closed and every 4th one filtered
(truth_for).
`DIR/truth.json` holds, per address, the state port_check must report for every selected port
(`expected`), with the flows; `DIR/lab.json` the printers' addresses and identity. The port lists come from the port
matrix; this file types no MVE port number. With --flows, only those flows' ports are served (and in the truth).

Addresses: 127.10.0.1 on by default (127.10.0.0/16: clear of 127.0.1-7.x of the demo, tests and molecule).
Needs root (ports below 1024, nft, more open files than the default limit).
"""

import argparse
import hashlib
import ipaddress
import json
import os
import resource
import selectors
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_FIRST = '127.10.0.1'
COMMUNITY = b'public'
MODELS = (('MS822de', '1.3.6.1.4.1.641.1.5.7.2.79', 'MSNGM.081.233'),
          ('CX943adxse', '1.3.6.1.4.1.641.1.5.7.2.142', 'CXTPC.081.234'),
          ('MX722adhe', '1.3.6.1.4.1.641.1.5.7.2.74', 'MXSGM.081.233'),
          ('C3426dw', '1.3.6.1.4.1.641.1.5.7.2.211', 'CSLBL.081.219'))
SUPPLIES = (('Black Cartridge', 20000, 16000), ('Imaging Unit', 60000, 51000), ('Maintenance Kit', 200000, 180000))


def load_port_matrix():
    sys.path.insert(0, os.path.join(ROOT, 'build', 'pytest'))
    link = os.path.join(ROOT, 'build', 'pytest', 'ansible_collections', 'printfleet', 'mve')
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)
    from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
    return port_matrix


# --------------------------------------------------------------------------- plan and truth


def printer_ports(pm, flows):
    """[(key 'tcp/9100', transport, port, [flow ids], service)] of the selected printer flows, sorted."""
    out = {}
    for flow in pm.select_flows(destination='printer'):
        if flows and flow['id'] not in flows:
            continue
        key = '%s/%d' % (flow['transport'], flow['destination_port'])
        entry = out.setdefault(key, {'transport': flow['transport'], 'port': flow['destination_port'], 'flows': [],
                                     'service': 'accept' if flow['transport'] == 'tcp' else 'silent'})
        entry['flows'].append(flow['id'])
        if flow['probe'] == 'snmp':
            entry['service'] = 'snmp'
    return [dict(v, key=k) for k, v in sorted(out.items())]


def identity(index):
    model, sys_oid, firmware = MODELS[index % len(MODELS)]
    return {'name': 'printer%05d' % index, 'model': model, 'sys_object_id': sys_oid, 'firmware': firmware,
            'serial': 'SCL%07d' % (7000000 + index), 'page_count': 1000 + 37 * index}


def truth_for(index, ports, plain=False):
    """{key: (what the lab does, expected state)} for printer `index`: served, closed or filtered, and the state
    port_check must report. With 3 or more non-SNMP ports every printer has one closed and one filtered; with
    fewer (the 10,000-printer sweep serves RAW and SNMP only) every 4th printer has one closed (index % 4 == 0) and
    every 4th one filtered (index % 4 == 2), so that most printers still print."""
    keys = [p['key'] for p in ports if p['service'] != 'snmp']
    closed = filtered = None
    if plain:
        pass
    elif len(keys) >= 3:
        closed = keys[index % len(keys)]
        filtered = keys[(index + 1 + index // len(keys) % (len(keys) - 1)) % len(keys)]
    elif keys and index % 4 == 0:
        closed = keys[index // 4 % len(keys)]
    elif keys and index % 4 == 2:
        filtered = keys[index // 4 % len(keys)]
    out = {}
    for p in ports:
        udp = p['transport'] == 'udp'
        if p['key'] == closed:
            out[p['key']] = ('closed', 'closed')
        elif p['key'] == filtered:
            out[p['key']] = ('filtered', 'open_or_filtered' if udp else 'filtered')
        elif p['service'] == 'snmp':
            out[p['key']] = ('served', 'open')
        else:
            out[p['key']] = ('served', 'open_or_filtered' if udp else 'open')
    return out


# --------------------------------------------------------------------------- SNMP (BER by hand, v1/v2c)


def _len(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(body)]) + body


def tlv(tag, body):
    return bytes([tag]) + _len(len(body)) + body


def ber_int(value, tag=0x02):
    n = max(1, (value.bit_length() + 8) // 8)
    return tlv(tag, value.to_bytes(n, 'big', signed=True))


def ber_uint(value, tag):
    body = value.to_bytes(max(1, (value.bit_length() + 7) // 8), 'big')
    if body[0] & 0x80:
        body = b'\x00' + body
    return tlv(tag, body)


def ber_oid(parts):
    body = bytearray([parts[0] * 40 + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        body.extend(reversed(chunk))
    return tlv(0x06, bytes(body))


def read_tlv(data, pos):
    tag = data[pos]
    n = data[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(data[pos:pos + k], 'big')
        pos += k
    return tag, pos, pos + n


def decode_oid(body):
    parts = [body[0] // 40, body[0] % 40]
    value = 0
    for b in body[1:]:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(value)
            value = 0
    return tuple(parts)


def _oid(text):
    return tuple(int(x) for x in text.split('.'))


SYS = (1, 3, 6, 1, 2, 1, 1)
SUPPLY_COLS = (_oid('1.3.6.1.2.1.43.11.1.1.6'), _oid('1.3.6.1.2.1.43.11.1.1.8'), _oid('1.3.6.1.2.1.43.11.1.1.9'))


def mib(index, started):
    """The printer's objects, sorted by OID: [(oid tuple, encoded value)]. Computed per request (bounded memory)."""
    p = identity(index)

    def s(text):
        return tlv(0x04, text.encode())
    rows = [
        (SYS + (1, 0), s('Lexmark %s version %s kernel 4.17.19-yocto-standard All-N-1' % (p['model'], p['firmware']))),
        (SYS + (2, 0), ber_oid(_oid(p['sys_object_id']))),
        (SYS + (3, 0), ber_uint(int((time.time() - started) * 100) & 0xFFFFFFFF, 0x43)),
        (SYS + (4, 0), s('MVE lab administrator')),
        (SYS + (5, 0), s(p['name'])),
        (SYS + (6, 0), s('printfleet.mve scale lab, printer %d' % index)),
        (_oid('1.3.6.1.2.1.25.3.2.1.3.1'), s('Lexmark %s' % p['model'])),
        (_oid('1.3.6.1.2.1.43.5.1.1.17.1'), s(p['serial'])),
        (_oid('1.3.6.1.2.1.43.10.2.1.4.1.1'), ber_uint(p['page_count'], 0x41)),
        (_oid('1.3.6.1.4.1.641.2.1.2.1.2.1'), s('Lexmark %s' % p['model'])),
        (_oid('1.3.6.1.4.1.641.2.1.2.1.4.1'), s(p['firmware'])),
        (_oid('1.3.6.1.4.1.641.2.1.2.1.6.1'), s(p['serial'])),
    ]
    for row, (description, capacity, level) in enumerate(SUPPLIES, 1):
        level = max(0, level - 97 * index * row % capacity)  # levels differ from printer to printer
        for col, value in zip(SUPPLY_COLS, (s(description), ber_int(capacity), ber_int(level))):
            rows.append((col + (1, row), value))
    rows.sort()
    return rows


def _next(rows, oid):
    for o, v in rows:
        if o > oid:
            return o, v
    return oid, b'\x82\x00'  # endOfMibView


def snmp_reply(data, index, started):
    """The response to one v1/v2c request, or None (bad community, not a request we serve: dropped, as agents do)."""
    try:
        tag, pos, end = read_tlv(data, 0)
        tag, vpos, vend = read_tlv(data, pos)
        version = int.from_bytes(data[vpos:vend], 'big')
        tag, cpos, cend = read_tlv(data, vend)
        if data[cpos:cend] != COMMUNITY or version not in (0, 1):
            return None
        pdu_tag, ppos, pend = read_tlv(data, cend)
        if pdu_tag not in (0xA0, 0xA1, 0xA5):
            return None
        fields = []
        pos = ppos
        for dummy in range(3):
            tag, fpos, fend = read_tlv(data, pos)
            fields.append(data[fpos:fend])
            pos = fend
        request_id = fields[0]
        non_rep, max_rep = int.from_bytes(fields[1], 'big'), int.from_bytes(fields[2], 'big')
        tag, lpos, lend = read_tlv(data, pos)
        oids = []
        pos = lpos
        while pos < lend:
            tag, vbpos, vbend = read_tlv(data, pos)
            tag, opos, oend = read_tlv(data, vbpos)
            oids.append(decode_oid(data[opos:oend]))
            pos = vbend
    except (IndexError, ValueError):
        return None
    rows = mib(index, started)
    table = dict(rows)
    out = []
    if pdu_tag == 0xA0:
        for oid in oids:
            out.append((oid, table.get(oid, b'\x81\x00' if version else b'\x05\x00')))
    elif pdu_tag == 0xA1:
        out = [_next(rows, oid) for oid in oids]
    else:
        out = [_next(rows, oid) for oid in oids[:non_rep]]
        current = list(oids[non_rep:])
        for dummy in range(min(max_rep, 64)):
            step = [_next(rows, oid) for oid in current]
            out.extend(step)
            current = [o for o, v in step]
            if all(v == b'\x82\x00' for o, v in step):
                break
    varbinds = b''.join(tlv(0x30, ber_oid(o) + v) for o, v in out)
    pdu = tlv(0xA2, tlv(0x02, request_id) + ber_int(0) + ber_int(0) + tlv(0x30, varbinds))
    return tlv(0x30, ber_int(version) + tlv(0x04, COMMUNITY) + pdu)


# --------------------------------------------------------------------------- the server process


def raise_nofile(wanted):
    """Raise the open-files limit to `wanted`, or as far as the hard limit goes where it cannot be raised (a
    container without CAP_SYS_RESOURCE: 20,000 here, room for 10,000 printers with RAW and SNMP)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, max(hard, wanted)))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def serve(config_path):
    with open(config_path) as fh:
        cfg = json.load(fh)
    first = ipaddress.IPv4Address(cfg['first_address'])
    ports = cfg['ports']
    raise_nofile(cfg['printers'] * len(ports) + 1024)
    sel = selectors.EpollSelector()
    started = time.time()
    bound = 0
    for i in range(1, cfg['printers'] + 1):
        address = str(first + (i - 1))
        truth = truth_for(i, ports, cfg.get('plain'))
        for p in ports:
            if truth[p['key']][0] == 'closed':
                continue
            if p['transport'] == 'tcp':
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((address, p['port']))
                sock.listen(64)
            else:
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sock.bind((address, p['port']))
            sock.setblocking(False)
            sel.register(sock, selectors.EVENT_READ, (p['transport'], p['service'], i))
            bound += 1
    status = {'pid': os.getpid(), 'sockets': bound, 'printers': cfg['printers'], 'ready': True,
              'rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}
    with open(cfg['status_file'] + '.tmp', 'w') as fh:
        json.dump(status, fh)
    os.replace(cfg['status_file'] + '.tmp', cfg['status_file'])
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    answered = 0
    while not stop:
        for key, dummy in sel.select(1.0):
            transport, service, index = key.data
            sock = key.fileobj
            try:
                if transport == 'tcp':
                    conn, dummy = sock.accept()
                    conn.close()    # open: the connection was accepted
                    continue
                data, peer = sock.recvfrom(65535)
                if service == 'snmp':
                    reply = snmp_reply(data, index, started)
                    if reply:
                        sock.sendto(reply, peer)
                        answered += 1
            except (BlockingIOError, InterruptedError, ConnectionError):
                continue


# --------------------------------------------------------------------------- up / down / status


FILES = (('config', 'scale.json'), ('status', 'status.json'), ('pid', 'serve.pid'), ('log', 'serve.log'),
         ('truth', 'truth.json'), ('info', 'lab.json'), ('nft', 'filtered.nft'))


def paths(d):
    return dict((k, os.path.join(d, v)) for k, v in FILES)


def nft_table(d):
    return 'pfscale_' + hashlib.sha1(os.path.abspath(d).encode()).hexdigest()[:8]


def nft_rules(table, first, printers, ports, plain=False):
    """An input-hook chain dropping the filtered (address, port) pairs (loopback packets pass the input hook)."""
    tcp, udp = [], []
    for i in range(1, printers + 1):
        address = str(first + (i - 1))
        truth = truth_for(i, ports, plain)
        for p in ports:
            if truth[p['key']][0] == 'filtered':
                (tcp if p['transport'] == 'tcp' else udp).append('%s . %d' % (address, p['port']))
    lines = ['table inet %s {' % table]
    for name, elements in (('tcp', tcp), ('udp', udp)):
        lines.append('  set drop_%s { type ipv4_addr . inet_service; %s}' % (
            name, ('elements = { %s } ' % ', '.join(elements)) if elements else ''))
    lines += ['  chain input {', '    type filter hook input priority -10; policy accept;',
              '    ip daddr . tcp dport @drop_tcp drop', '    ip daddr . udp dport @drop_udp drop', '  }', '}']
    return '\n'.join(lines) + '\n', len(tcp) + len(udp)


def stop(d):
    p = paths(d)
    try:
        with open(p['pid']) as fh:
            pid = int(fh.read())
        with open('/proc/%d/cmdline' % pid, 'rb') as fh:
            cmdline = fh.read()
        if b'scale_lab.py' in cmdline and p['config'].encode() in cmdline:  # our serve process, not a reused pid
            os.kill(pid, signal.SIGTERM)
            for dummy in range(100):
                if not os.path.exists('/proc/%d' % pid):
                    break
                time.sleep(0.05)
    except (OSError, ValueError):
        pass
    subprocess.run(['nft', 'delete', 'table', 'inet', nft_table(d)], stderr=subprocess.DEVNULL, check=False)
    for k in ('pid', 'status'):
        if os.path.exists(p[k]):
            os.unlink(p[k])


def up(d, printers, first_address, flows, plain=False):
    pm = load_port_matrix()
    first = ipaddress.IPv4Address(first_address)
    last = first + (printers - 1)
    if not (first.is_loopback and last.is_loopback):
        raise SystemExit('addresses %s..%s must stay inside 127.0.0.0/8' % (first, last))
    os.makedirs(d, exist_ok=True)
    stop(d)
    p = paths(d)
    ports = printer_ports(pm, set(flows) if flows else None)
    cfg = {'first_address': first_address, 'printers': printers, 'ports': ports, 'status_file': p['status'],
           'plain': plain}
    with open(p['config'], 'w') as fh:
        json.dump(cfg, fh)
    t0 = time.time()
    truth = {}
    lab_printers = []
    for i in range(1, printers + 1):
        address = str(first + (i - 1))
        truth[address] = {k: {'expected': v[1], 'set': v[0]} for k, v in truth_for(i, ports, plain).items()}
        lab_printers.append(dict(identity(i), index=i, address=address))
    with open(p['truth'], 'w') as fh:
        json.dump({'ports': ports, 'printers': truth}, fh)
    rules, filtered = nft_rules(nft_table(d), first, printers, ports, plain)
    with open(p['nft'], 'w') as fh:
        fh.write(rules)
    subprocess.run(['nft', '-f', p['nft']], check=True)
    log = open(p['log'], 'ab')
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), 'serve', '--config', p['config']],
                            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    with open(p['pid'], 'w') as fh:
        fh.write(str(proc.pid))
    while not os.path.exists(p['status']):
        if proc.poll() is not None:
            stop(d)
            raise SystemExit('serve exited with %s; see %s' % (proc.returncode, p['log']))
        time.sleep(0.1)
    with open(p['status']) as fh:
        status = json.load(fh)
    with open(p['info'], 'w') as fh:
        json.dump({'first_address': first_address, 'last_address': str(last), 'printers': lab_printers,
                   'community': COMMUNITY.decode(), 'ports': ports, 'nft_table': nft_table(d),
                   'truth': p['truth'], 'pid': proc.pid, 'sockets': status['sockets']}, fh)
    print('scale lab %s: %d printers on %s..%s, %d sockets (%d ports per printer), %d (address, port) filtered, '
          'up in %.1f s, serve RSS %.0f MiB'
          % (d, printers, first, last, status['sockets'], len(ports), filtered, time.time() - t0, status['rss_mib']))
    return 0


def status_of(d):
    p = paths(d)
    try:
        with open(p['pid']) as fh:
            pid = int(fh.read())
        with open('/proc/%d/status' % pid) as fh:
            fields = dict(line.split(':', 1) for line in fh if ':' in line)
        return {'pid': pid, 'running': True, 'rss_mib': int(fields['VmRSS'].split()[0]) / 1024.0,
                'peak_rss_mib': int(fields['VmHWM'].split()[0]) / 1024.0}
    except (OSError, ValueError, KeyError):
        return {'running': False}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    u = sub.add_parser('up')
    u.add_argument('--dir', required=True)
    u.add_argument('--printers', type=int, default=10000)
    u.add_argument('--first-address', default=DEFAULT_FIRST)
    u.add_argument('--flows', default='printer.raw,printer.snmp',
                   help='comma-separated printer flow ids to serve, or "all" (every printer port of the matrix)')
    u.add_argument('--plain', action='store_true', help='no port closed or filtered: every selected port served')
    for name in ('down', 'status'):
        sub.add_parser(name).add_argument('--dir', required=True)
    s = sub.add_parser('serve')
    s.add_argument('--config', required=True)
    opts = ap.parse_args(argv)
    if opts.cmd == 'serve':
        return serve(opts.config)
    if opts.cmd == 'up':
        return up(opts.dir, opts.printers, opts.first_address, None if opts.flows == 'all' else opts.flows.split(','),
                  opts.plain)
    if opts.cmd == 'down':
        stop(opts.dir)
        return 0
    print(json.dumps(status_of(opts.dir)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
