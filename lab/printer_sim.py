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
    https   TCP+TLS (the printer's certificate, signed by the lab CA): the embedded web server (EWS,
            class Ews): login (a form with user name and password, or password only, per printer),
            a session cookie, and the "TCP/IP Port Access" form whose POST switches this printer's
            listeners in-process; any other path answers the small page
    raw     TCP, accepts and reads a print job to EOF
    accept  TCP, accepts and reads silently (LST handshake, TCP 161)
    mdns    UDP, answers unicast mDNS (DNS-SD) queries about the printer
    silent  UDP, bound but never answers (NPAP, XMLNT, LST need a real request)
    snmp    UDP, served by net-snmp snmpd, not by this process (listed for completeness)

EWS (the public facts of Lexmark's embedded web server): an unauthenticated request to the port-access
page ``/cgi-bin/dynamic/config/secure/ports.html`` is redirected (302) to the printer's login page
(``ews.login`` in the config: ``form`` -> /cgi-bin/dynamic/config/login.html with ``username`` and
``password``; ``password`` -> /cgi-bin/dynamic/config/gen/password.html with ``password`` only); a good
POST sets the ``LXK_SESSION`` cookie and redirects back, a wrong one answers the login page with
"Login failed". The port-access form has one checkbox ``vac.255.GUIPORTENABLE.<n>`` per port of the state
file, labelled "TCP 21 (FTP)" ... (``label`` of the state entry); the numbers <n> are shuffled per printer
and per process, so a client must map ports by label. The form also carries a per-session ``csrf_token``
(a POST without it is refused with 400), a page id, and settings unrelated to ports (``ews_settings`` in the
state file: a select, a text field, a checkbox) that are stored as posted: a client that drops fields
changes them. A POST writes the state file and makes the listeners follow at once (answer first, then
the ports close or open).

SIGHUP re-reads every state file: ports that became disabled are closed (with their open
connections), ports that became enabled are opened. SIGTERM/SIGINT stop the process.
After each (re)load the process writes its status file (``status_file`` in the config):
pid, generation, number of open listeners and bind errors.
"""

import argparse
import asyncio
import html
import json
import logging
import os
import random
import resource
import secrets
import signal
import ssl
import sys
import time
import urllib.parse

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
        request = await read_http(reader)
        if request is None:
            return
        LOG.debug('%s https %s %s', self.printer.name, request[0], request[1])
        answer, taken = await self.printer.ews.handle(request, writer)
        if answer is None:  # any other path: the small page, as over HTTP
            body = self._page('https')
            answer = Ews.response(200, b'' if request[0] == 'HEAD' else body)
            if request[0] == 'HEAD':
                answer = answer.replace(b'Content-Length: 0', b'Content-Length: %d' % len(body))
        writer.write(answer)
        await writer.drain()
        if taken:
            # Answer first (the client may have just disabled the port it talks over), then follow the form.
            await self.printer.changed()

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


# --------------------------------------------------------------------------- embedded web server (HTTPS)

EWS_PORTS_PATH = '/cgi-bin/dynamic/config/secure/ports.html'
EWS_LOGIN = {
    # kind: (login page, form action, input names)
    'form': ('/cgi-bin/dynamic/config/login.html', '/cgi-bin/posttest/login', ('username', 'password')),
    'password': ('/cgi-bin/dynamic/config/gen/password.html', '/cgi-bin/posttest/password', ('password',)),
}
EWS_COOKIE = 'LXK_SESSION'
EWS_SESSION_TTL = 900.0
EWS_PAGE_ID = 'portaccess'
EWS_FIELD_PREFIX = 'vac.255.GUIPORTENABLE.'
# Settings of the page unrelated to ports: stored as posted (a client that drops them changes them).
EWS_SETTINGS_DEFAULT = {'vac.255.PORTACCESSMODE': '1', 'vac.255.PORTCOMMENT': 'printfleet.mve lab',
                        'vac.255.LOGPORTCHANGES': True}
MAX_BODY = 65536


async def read_http(reader):
    """(method, path, query dict, headers dict (lower-case names), body bytes) of one request, or None."""
    head = b''
    while b'\r\n\r\n' not in head:
        chunk = await asyncio.wait_for(reader.read(4096), IDLE_TIMEOUT)
        if not chunk:
            return None
        head += chunk
        if len(head) > 16384:
            return None
    head, body = head.split(b'\r\n\r\n', 1)
    lines = head.decode('latin-1', 'replace').split('\r\n')
    parts = lines[0].split(' ')
    if len(parts) < 2:
        return None
    headers = {}
    for line in lines[1:]:
        if ':' in line:
            name, value = line.split(':', 1)
            headers[name.strip().lower()] = value.strip()
    length = min(int(headers.get('content-length') or 0), MAX_BODY)
    while len(body) < length:
        chunk = await asyncio.wait_for(reader.read(length - len(body)), IDLE_TIMEOUT)
        if not chunk:
            break
        body += chunk
    target = urllib.parse.urlsplit(parts[1])
    return parts[0].upper(), target.path, dict(urllib.parse.parse_qsl(target.query)), headers, body[:length]


class Ews:
    """One printer's embedded web server: sessions, login, the port-access form."""

    def __init__(self, printer):
        self.printer = printer
        cfg = printer.cfg.get('ews') or {}
        self.kind = cfg.get('login', 'form')
        self.username = cfg.get('username', 'admin')
        self.password = cfg.get('password', '')
        self.sessions = {}       # token -> {'expires', 'csrf'}
        self.numbers = {}        # port key -> field number, shuffled once per process
        self.rng = random.Random(secrets.randbits(64))
        self.posts = 0           # port-access forms taken (status file: tests prove "nothing posted")

    # -- helpers
    def field_numbers(self, keys):
        new = [k for k in sorted(keys) if k not in self.numbers]
        if new:
            free = [n for n in range(1, 4 * (len(self.numbers) + len(new)) + 8) if n not in self.numbers.values()]
            for key, number in zip(new, self.rng.sample(free, len(new))):
                self.numbers[key] = number
        return self.numbers

    def session(self, headers):
        for part in headers.get('cookie', '').split(';'):
            name, _sep, value = part.strip().partition('=')
            if name == EWS_COOKIE:
                sess = self.sessions.get(value)
                if sess and sess['expires'] > time.time():
                    sess['expires'] = time.time() + EWS_SESSION_TTL
                    return sess
        return None

    @staticmethod
    def response(status, body=b'', headers=()):
        reason = {200: 'OK', 302: 'Found', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed'}[status]
        lines = ['HTTP/1.1 %d %s' % (status, reason), 'Server: Lexmark Embedded Web Server (printfleet.mve lab)',
                 'Content-Type: text/html; charset=utf-8', 'Content-Length: %d' % len(body), 'Connection: close',
                 'Cache-Control: no-store']
        lines += ['%s: %s' % h for h in headers]
        return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1') + body

    def redirect(self, location, headers=()):
        return self.response(302, b'', (('Location', location),) + tuple(headers))

    @staticmethod
    def html_page(title, body):
        return ('<!DOCTYPE html>\n<html><head><title>%s</title></head>\n<body>\n%s\n</body></html>\n'
                % (html.escape(title), body)).encode('utf-8')

    # -- pages
    def login_page(self, redirect_to, error=None):
        page, action, names = EWS_LOGIN[self.kind]
        rows = ['<form name="login" method="post" action="%s">' % action,
                '<input type="hidden" name="redirect" value="%s">' % html.escape(redirect_to, quote=True)]
        if 'username' in names:
            rows += ['<input type="hidden" name="auth_type" value="account">',
                     '<p><label>Username <input type="text" name="username" value="" autocomplete="username">'
                     '</label></p>']
        rows += ['<p><label>Password <input type="password" name="password" autocomplete="current-password">'
                 '</label></p>',
                 '<p><input type="submit" name="login" value="Log In"></p>', '</form>']
        if error:
            rows.insert(0, '<p class="error">%s</p>' % html.escape(error))
        title = 'Login' if self.kind == 'form' else 'Enter Password'
        return self.html_page('%s - %s' % (title, self.printer.name), '<h1>%s</h1>\n%s' % (title, '\n'.join(rows)))

    def ports_page(self, state, sess, saved=False):
        ports = state.get('ports', {})
        numbers = self.field_numbers(ports)
        settings = dict(EWS_SETTINGS_DEFAULT, **state.get('ews_settings', {}))
        rows = []
        # Printers with a form login show <label for=...>; password-only models plain table cells.
        with_label = self.kind == 'form'
        for key in sorted(ports, key=lambda k: numbers[k]):
            entry = ports[key]
            n = numbers[key]
            label = entry.get('label') or '%s %d (%s)' % (entry['transport'].upper(), int(entry['port']),
                                                          str(entry.get('service', '')).upper())
            box = '<input type="checkbox" name="%s%d" id="port%d" value="1"%s>' % (
                EWS_FIELD_PREFIX, n, n, ' checked' if entry.get('enabled', True) else '')
            text = '<label for="port%d">%s</label>' % (n, html.escape(label)) if with_label else html.escape(label)
            rows.append('<tr><td>%s</td><td>%s</td></tr>' % (box, text))
        current = settings['vac.255.PORTACCESSMODE']
        mode = ''.join('<option value="%s"%s>%s</option>' % (v, ' selected' if current == v else '', t)
                       for v, t in (('0', 'Standard'), ('1', 'Custom'), ('2', 'Secure')))
        body = '\n'.join([
            '<h1>TCP/IP Port Access</h1>',
            '<p class="saved">Settings saved.</p>' if saved else '',
            '<form name="portaccess" method="post" action="%s">' % EWS_PORTS_PATH,
            '<input type="hidden" name="csrf_token" value="%s">' % sess['csrf'],
            '<input type="hidden" name="vac.255.PAGEID" value="%s">' % EWS_PAGE_ID,
            '<table>', '\n'.join(rows), '</table>',
            '<p><label>Port access mode <select name="vac.255.PORTACCESSMODE">%s</select></label></p>' % mode,
            '<p>Comment <input type="text" name="vac.255.PORTCOMMENT" value="%s"></p>'
            % html.escape(settings['vac.255.PORTCOMMENT'], quote=True),
            '<p><input type="checkbox" name="vac.255.LOGPORTCHANGES" value="1"%s> Log port changes</p>'
            % (' checked' if settings['vac.255.LOGPORTCHANGES'] else ''),
            '<p><input type="submit" name="submit" value="Submit"> <input type="reset" value="Reset Form"></p>',
            '</form>'])
        return self.html_page('TCP/IP Port Access - %s' % self.printer.name, body)

    # -- requests
    async def handle(self, request, writer):
        """Answer one request; returns True when the port-access form was taken (listeners must follow)."""
        method, path, query, headers, body = request
        p = self.printer
        login_page, login_action, names = EWS_LOGIN[self.kind]
        form = dict(urllib.parse.parse_qsl(body.decode('utf-8', 'replace'), keep_blank_values=True)) \
            if method == 'POST' else {}
        if path == EWS_PORTS_PATH:
            sess = self.session(headers)
            if sess is None:
                return self.redirect('%s?redirect=%s' % (login_page, urllib.parse.quote(EWS_PORTS_PATH, safe=''))), False
            state = p.read_state()
            if method == 'GET':
                return self.response(200, self.ports_page(state, sess, saved='saved' in query)), False
            if method != 'POST':
                return self.response(405), False
            if form.get('csrf_token') != sess['csrf'] or form.get('vac.255.PAGEID') != EWS_PAGE_ID:
                return self.response(400, self.html_page('Error', '<p>The form is incomplete or expired.</p>')), False
            if state.get('ports_locked'):
                # Port settings locked by the printer's administrator (a security template): the EWS answers the
                # post as saved, and the settings stay as they were.
                self.posts += 1
                LOG.info('%s: port access form answered but not taken (ports locked)', p.name)
                return self.redirect(EWS_PORTS_PATH + '?saved=1'), False
            numbers = self.field_numbers(state.get('ports', {}))
            for key, entry in state.get('ports', {}).items():
                entry['enabled'] = '%s%d' % (EWS_FIELD_PREFIX, numbers[key]) in form
            state['ews_settings'] = {
                'vac.255.PORTACCESSMODE': form.get('vac.255.PORTACCESSMODE', ''),
                'vac.255.PORTCOMMENT': form.get('vac.255.PORTCOMMENT', ''),
                'vac.255.LOGPORTCHANGES': 'vac.255.LOGPORTCHANGES' in form,
            }
            write_json_atomic(p.state_file, state)
            self.posts += 1
            LOG.info('%s: port access form taken: %s', p.name, ', '.join(
                '%s=%s' % (k, 'on' if e['enabled'] else 'off') for k, e in sorted(state['ports'].items())))
            return self.redirect(EWS_PORTS_PATH + '?saved=1'), True
        if path == login_page and method == 'GET':
            return self.response(200, self.login_page(query.get('redirect', EWS_PORTS_PATH))), False
        if path == login_action and method == 'POST':
            ok = form.get('password') == self.password and (
                'username' not in names or form.get('username') == self.username)
            target = form.get('redirect') or EWS_PORTS_PATH
            if not target.startswith('/'):
                target = EWS_PORTS_PATH
            if not ok:
                LOG.info('%s: login refused (%s login)', p.name, self.kind)
                return self.response(200, self.login_page(target, 'Login failed: invalid credentials.')), False
            token = secrets.token_hex(16)
            self.sessions = {t: s for t, s in self.sessions.items() if s['expires'] > time.time()}
            self.sessions[token] = {'expires': time.time() + EWS_SESSION_TTL, 'csrf': secrets.token_hex(12)}
            return self.redirect(target, (('Set-Cookie', '%s=%s; Path=/; Secure; HttpOnly' % (EWS_COOKIE, token)),)), False
        if path in (EWS_LOGIN['form'][0], EWS_LOGIN['password'][0], EWS_LOGIN['form'][1], EWS_LOGIN['password'][1]):
            return self.response(404, self.html_page('Not Found', '<p>Not found.</p>')), False
        return None, False

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
        self.ews = Ews(self)
        self.on_change = None   # set by the Simulator: re-apply this printer's state file

    async def changed(self):
        if self.on_change is not None:
            await self.on_change(self)

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
        for p in self.printers:
            p.on_change = self.apply_one
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
            'ews_posts': {p.name: p.ews.posts for p in self.printers if p.ews.posts},
        }

    async def apply_one(self, printer):
        """A printer's EWS took a form: make its listeners follow its state file (no new generation)."""
        async with self.lock:
            opened, closed = await printer.apply()
            write_json_atomic(self.config['status_file'], self.status())
            LOG.info('%s: EWS change applied (%d opened, %d closed)', printer.name, opened, closed)

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
