# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Simulated Lexmark printers for the printfleet.mve lab: one asyncio process, many printers.

lab/lab.py writes a config file and starts this process; do not start it by hand unless you
are debugging (``python lab/printer_sim.py --config DIR/sim.json``).

The config names every printer this process serves (name, address, TLS cert/key, model) and
the path of its *state file*. A state file says which ports the printer has enabled::

    {"name": "printer01", "address": "127.0.1.1", ...,
     "ports": {"tcp/9100": {"transport": "tcp", "port": 9100, "service": "raw",
                            "flows": ["printer.raw"], "enabled": true}, ...}}

The port list comes from the collection's port matrix (lab.py derives it); this file types no
MVE port number. Services:

    ftp     TCP, sends a 220 banner and answers a few FTP commands
    http    TCP, answers any request with a small HTML page
    https   TCP+TLS (the printer's certificate, signed by the lab CA), same page
    raw     TCP, accepts and reads a print job to EOF
    accept  TCP, accepts and reads silently (LST handshake, TCP 161)
    mdns    UDP, answers unicast mDNS (DNS-SD) queries about the printer
    silent  UDP, bound but never answers (NPAP, XMLNT, LST need a real request)
    snmp    UDP, served by net-snmp snmpd, not by this process (listed for completeness)

SIGHUP re-reads every state file: ports that became disabled are closed (with their open
connections), ports that became enabled are opened. SIGTERM/SIGINT stop the process.
After each (re)load the process writes its status file (``status_file`` in the config):
pid, generation, number of open listeners and bind errors.
"""

import argparse
import asyncio
import json
import logging
import os
import resource
import signal
import ssl
import sys
import time

import dns.flags
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

LOG = logging.getLogger('printer_sim')
IDLE_TIMEOUT = 60.0
MDNS_TTL = 10  # RFC 6762 6.7: legacy unicast answers carry a TTL of at most 10 s
SIM_SERVICES = ('ftp', 'http', 'https', 'raw', 'accept', 'mdns', 'silent')


def raise_nofile(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return soft
    try:
        new_hard = max(hard, wanted) if hard != resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, new_hard))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def write_json_atomic(path, data):
    tmp = '%s.tmp.%d' % (path, os.getpid())
    with open(tmp, 'w') as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write('\n')
    os.replace(tmp, path)


# --------------------------------------------------------------------------- TCP services


class TcpService:
    """Handlers for one printer's TCP ports; ``track`` records open connections per port key."""

    def __init__(self, printer):
        self.printer = printer

    def _page(self, scheme):
        p = self.printer
        body = ('<!DOCTYPE html>\n<html><head><title>%(model)s - %(name)s</title></head>\n'
                '<body><h1>%(name)s</h1>\n<p>Lexmark %(model)s, serial %(serial)s, address %(address)s '
                '(%(scheme)s, printfleet.mve lab)</p></body></html>\n'
                % dict(p.cfg, scheme=scheme))
        return body.encode('utf-8')

    async def _read_request(self, reader):
        data = b''
        while b'\r\n\r\n' not in data and b'\n\n' not in data and len(data) < 16384:
            chunk = await asyncio.wait_for(reader.read(4096), IDLE_TIMEOUT)
            if not chunk:
                break
            data += chunk
        return data

    async def http(self, reader, writer, scheme='http'):
        request = await self._read_request(reader)
        if not request:
            return
        line = request.split(b'\r\n', 1)[0].decode('latin-1', 'replace')
        LOG.debug('%s %s %s', self.printer.name, scheme, line)
        method = line.split(' ', 1)[0].upper()
        body = self._page(scheme)
        head = ('HTTP/1.1 200 OK\r\nServer: Lexmark Embedded Web Server (printfleet.mve lab)\r\n'
                'Content-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n'
                % len(body)).encode('ascii')
        writer.write(head if method == 'HEAD' else head + body)
        await writer.drain()

    async def https(self, reader, writer):
        await self.http(reader, writer, scheme='https')

    async def ftp(self, reader, writer):
        p = self.printer
        writer.write(('220 %s Lexmark %s FTP server ready.\r\n' % (p.name, p.cfg['model'])).encode('ascii'))
        await writer.drain()
        while True:
            line = await asyncio.wait_for(reader.readline(), IDLE_TIMEOUT)
            if not line:
                return
            cmd = line.decode('latin-1', 'replace').strip().split(' ', 1)[0].upper()
            if cmd == 'QUIT':
                writer.write(b'221 Goodbye.\r\n')
                await writer.drain()
                return
            reply = {
                'USER': b'331 Password required.\r\n',
                'PASS': b'230 User logged in.\r\n',
                'SYST': b'215 UNIX Type: L8\r\n',
                'NOOP': b'200 OK.\r\n',
                'FEAT': b'211 No features.\r\n',
            }.get(cmd, b'502 Command not implemented.\r\n')
            writer.write(reply)
            await writer.drain()

    async def raw(self, reader, writer):
        total = 0
        while True:
            chunk = await asyncio.wait_for(reader.read(65536), IDLE_TIMEOUT)
            if not chunk:
                break
            total += len(chunk)
        LOG.debug('%s raw job of %d bytes', self.printer.name, total)

    async def accept(self, reader, writer):
        while True:
            chunk = await asyncio.wait_for(reader.read(65536), IDLE_TIMEOUT)
            if not chunk:
                return


# --------------------------------------------------------------------------- UDP services


class SilentUdp(asyncio.DatagramProtocol):
    """Bound, reads, never answers: the probe sees no reply and no ICMP (open_or_filtered)."""

    def datagram_received(self, data, addr):
        LOG.debug('silent udp datagram of %d bytes from %s', len(data), addr)


class MdnsResponder(asyncio.DatagramProtocol):
    """Answers unicast mDNS / DNS-SD questions about one printer (RFC 6762 legacy unicast)."""

    def __init__(self, printer):
        self.printer = printer
        self.transport = None
        p = printer
        self.host = dns.name.from_text('%s.local.' % p.name)
        self.services_name = dns.name.from_text('_services._dns-sd._udp.local.')
        self.instance_label = 'Lexmark %s (%s)' % (p.cfg['model'], p.name)
        self.services = []
        for svc in p.cfg.get('mdns_services', []):
            stype = dns.name.from_text('%s.local.' % svc['type'])
            instance = dns.name.Name((self.instance_label.encode('utf-8'),)).concatenate(stype)
            self.services.append((stype, instance, int(svc['port'])))

    def connection_made(self, transport):
        self.transport = transport

    def _txt(self):
        p = self.printer.cfg
        pairs = ['txtvers=1', 'ty=Lexmark %s' % p['model'], 'product=(Lexmark %s)' % p['model'],
                 'usb_MFG=Lexmark', 'usb_MDL=%s' % p['model'], 'note=printfleet.mve lab',
                 'adminurl=https://%s/' % p['address']]
        return ' '.join('"%s"' % s.replace('"', '') for s in pairs)

    def _rr(self, name, rdtype, text):
        return dns.rrset.from_text(name, MDNS_TTL, dns.rdataclass.IN, rdtype, text)

    def _records_for(self, qname, qtype):
        """(answers, additionals) for one question."""
        any_type = qtype == dns.rdatatype.ANY
        answers, extra = [], []
        if qname == self.services_name and qtype in (dns.rdatatype.PTR, dns.rdatatype.ANY):
            for stype, _instance, _port in self.services:
                answers.append(self._rr(qname, 'PTR', stype.to_text()))
        for stype, instance, port in self.services:
            if qname == stype and qtype in (dns.rdatatype.PTR, dns.rdatatype.ANY):
                answers.append(self._rr(stype, 'PTR', instance.to_text()))
                extra.append(self._rr(instance, 'SRV', '0 0 %d %s' % (port, self.host.to_text())))
                extra.append(self._rr(instance, 'TXT', self._txt()))
                extra.append(self._rr(self.host, 'A', self.printer.address))
            if qname == instance:
                if any_type or qtype == dns.rdatatype.SRV:
                    answers.append(self._rr(instance, 'SRV', '0 0 %d %s' % (port, self.host.to_text())))
                    extra.append(self._rr(self.host, 'A', self.printer.address))
                if any_type or qtype == dns.rdatatype.TXT:
                    answers.append(self._rr(instance, 'TXT', self._txt()))
        if qname == self.host and qtype in (dns.rdatatype.A, dns.rdatatype.ANY):
            answers.append(self._rr(self.host, 'A', self.printer.address))
        return answers, extra

    def datagram_received(self, data, addr):
        try:
            query = dns.message.from_wire(data)
        except Exception as exc:  # malformed packets are dropped, as a printer would
            LOG.debug('%s mdns: unparsable datagram from %s: %s', self.printer.name, addr, exc)
            return
        if query.flags & dns.flags.QR:
            return
        response = dns.message.make_response(query)
        response.flags = dns.flags.QR | dns.flags.AA
        sections = {'an': {}, 'ad': {}}
        for question in query.question:
            answers, extra = self._records_for(question.name, question.rdtype)
            for section, rrsets in (('an', answers), ('ad', extra)):
                for rrset in rrsets:
                    key = (rrset.name, rrset.rdtype)
                    if key in sections[section]:
                        sections[section][key].union_update(rrset)
                    else:
                        sections[section][key] = rrset
        response.answer = list(sections['an'].values())
        response.additional = [rr for key, rr in sections['ad'].items() if key not in sections['an']]
        if not response.answer:
            return  # mDNS responders stay silent about names they do not own
        # Legacy unicast (source port is not 5353) wants the question repeated and the query id;
        # make_response kept both. Answer to the sender, unicast.
        try:
            self.transport.sendto(response.to_wire(), addr)
        except OSError as exc:
            LOG.warning('%s mdns: cannot answer %s: %s', self.printer.name, addr, exc)


# --------------------------------------------------------------------------- printer


class Printer:
    def __init__(self, cfg):
        self.cfg = cfg
        self.name = cfg['name']
        self.address = cfg['address']
        self.state_file = cfg['state_file']
        self.tcp = TcpService(self)
        self.listeners = {}     # key -> asyncio.Server or DatagramTransport
        self.connections = {}   # key -> set of StreamWriter
        self.errors = {}        # key -> last bind error
        self._ssl = None

    def ssl_context(self):
        if self._ssl is None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(self.cfg['cert'], self.cfg['key'])
            self._ssl = ctx
        return self._ssl

    def read_state(self):
        with open(self.state_file) as fh:
            return json.load(fh)

    def _tcp_handler(self, key, service):
        method = getattr(self.tcp, service)

        async def handle(reader, writer):
            conns = self.connections.setdefault(key, set())
            conns.add(writer)
            try:
                await method(reader, writer)
            except (asyncio.TimeoutError, ConnectionError, ssl.SSLError, OSError):
                pass
            except Exception:  # keep serving other clients whatever one of them sends
                LOG.exception('%s %s handler failed', self.name, key)
            finally:
                conns.discard(writer)
                try:
                    writer.close()
                except Exception:
                    pass
        return handle

    async def open_port(self, key, entry):
        loop = asyncio.get_running_loop()
        service = entry['service']
        port = int(entry['port'])
        if entry['transport'] == 'tcp':
            server = await asyncio.start_server(
                self._tcp_handler(key, service), host=self.address, port=port,
                ssl=self.ssl_context() if service == 'https' else None,
                ssl_handshake_timeout=10 if service == 'https' else None,
                reuse_address=True, backlog=256)
            self.listeners[key] = server
        else:
            factory = (lambda: MdnsResponder(self)) if service == 'mdns' else SilentUdp
            transport, _proto = await loop.create_datagram_endpoint(factory, local_addr=(self.address, port))
            self.listeners[key] = transport

    async def close_port(self, key):
        listener = self.listeners.pop(key)
        listener.close()
        for writer in list(self.connections.pop(key, ())):
            try:
                writer.close()
            except Exception:
                pass
        if hasattr(listener, 'wait_closed'):  # TCP server (a UDP transport has nothing to wait for)
            await listener.wait_closed()

    async def apply(self):
        """Make the open listeners match the state file. Returns (opened, closed)."""
        try:
            state = self.read_state()
        except (OSError, ValueError) as exc:
            self.errors['state'] = 'cannot read %s: %s' % (self.state_file, exc)
            LOG.error('%s: %s', self.name, self.errors['state'])
            return 0, 0
        self.errors.pop('state', None)
        wanted = {}
        for key, entry in state.get('ports', {}).items():
            if entry.get('service') in SIM_SERVICES and entry.get('enabled', True):
                wanted[key] = entry
        opened = closed = 0
        for key in sorted(set(self.listeners) - set(wanted)):
            await self.close_port(key)
            closed += 1
        for key in sorted(set(wanted) - set(self.listeners)):
            try:
                await self.open_port(key, wanted[key])
                self.errors.pop(key, None)
                opened += 1
            except OSError as exc:
                self.errors[key] = str(exc)
                LOG.error('%s: cannot open %s on %s: %s', self.name, key, self.address, exc)
        return opened, closed


class Simulator:
    def __init__(self, config):
        self.config = config
        self.printers = [Printer(p) for p in config['printers']]
        self.generation = 0
        self.started = time.time()
        self.stop_event = None
        self.lock = None

    def status(self):
        errors = {}
        for p in self.printers:
            for key, err in p.errors.items():
                errors['%s %s' % (p.name, key)] = err
        return {
            'pid': os.getpid(),
            'tag': self.config.get('tag', 'sim'),
            'generation': self.generation,
            'started': self.started,
            'updated': time.time(),
            'printers': len(self.printers),
            'listeners': sum(len(p.listeners) for p in self.printers),
            'open': {p.name: sorted(p.listeners) for p in self.printers},
            'errors': errors,
        }

    async def apply_all(self):
        async with self.lock:
            opened = closed = 0
            for p in self.printers:
                o, c = await p.apply()
                opened += o
                closed += c
            self.generation += 1
            status = self.status()
            write_json_atomic(self.config['status_file'], status)
            LOG.info('generation %d: %d listeners on %d printers (%d opened, %d closed, %d errors)',
                     self.generation, status['listeners'], len(self.printers), opened, closed,
                     len(status['errors']))

    async def run(self):
        self.stop_event = asyncio.Event()
        self.lock = asyncio.Lock()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stop_event.set)
        loop.add_signal_handler(signal.SIGINT, self.stop_event.set)
        tasks = set()

        def reload():
            task = loop.create_task(self.apply_all())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        loop.add_signal_handler(signal.SIGHUP, reload)
        await self.apply_all()
        await self.stop_event.wait()
        LOG.info('stopping')
        for p in self.printers:
            for key in list(p.listeners):
                await p.close_port(key)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--config', required=True, help='config JSON written by lab/lab.py')
    parser.add_argument('--verbose', action='store_true', help='log every connection and datagram')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stdout,
                        format='%(asctime)s %(name)s[%(process)d] %(levelname)s %(message)s')
    with open(args.config) as fh:
        config = json.load(fh)
    # About ten sockets per printer, plus connections: 1,000 printers need well over 1,024.
    limit = raise_nofile(max(4096, 16 * len(config['printers']) + 1024))
    LOG.info('serving %d printers (RLIMIT_NOFILE %d)', len(config['printers']), limit)
    asyncio.run(Simulator(config).run())
    return 0


if __name__ == '__main__':
    sys.exit(main())
