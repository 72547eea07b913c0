# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The printfleet.mve local lab: simulated Lexmark printers on loopback and a filtered "remote site".

    lab.py up     --dir DIR --printers N [--first-address 127.0.1.1] [--services-address 127.0.2.1 | --no-services]
    lab.py down   --dir DIR
    lab.py status --dir DIR [--json]
    lab.py reload --dir DIR          (re-read the printers' state files: SIGHUP to the simulators)

``up`` starts, all as daemons with PID files in DIR/run and logs in DIR/logs:

* N printers on 127.0.1.1, 127.0.1.2, ... (Linux routes 127/8 to lo, no address to add).
  Every printer has a real SNMP agent (net-snmp snmpd: one per printer, or one for all of them
  when N >= 50) and the TCP/UDP listeners that the port matrix lists for destination
  ``printer`` (lab/printer_sim.py, one asyncio process for all printers). HTTPS uses a
  certificate per printer signed by the lab CA (DIR/ca.pem).
* A remote site, network namespace ``pfmve-lab`` behind a veth pair (host 198.18.0.1/30,
  namespace 198.18.0.2/30), with nftables inside dropping the RAW and SNMP ports from the host
  (``filtered`` / ``open_or_filtered``), FTP open and TCP 22 rejected (``closed``).
  Needs root; without it the loopback printers still come up and ``status`` says why.
* MVE's dependencies on four loopback addresses from --services-address (default 127.0.2.1, +0..+3), with
  the port matrix's default ports: Firebird 3 (database ``mve``, user ``mve``), aiosmtpd (lab/mail_sim.py:
  plain, implicit TLS and STARTTLS, AUTH), OpenLDAP slapd (dc=printfleet,dc=lab, LDAP with StartTLS and
  LDAPS) and MIT krb5kdc (realm PRINTFLEET.LAB, UDP and TCP), TLS certificates from the lab CA
  (lab/servers/). They start in parallel with the printers; one that cannot start fails ``up`` with its
  log. ``--no-services`` leaves them out.
* DIR/inventory.yml (groups printers, mve_servers, remote_site; the services under
  ``mve_lab_dependencies`` / ``mve_lab_features``) and DIR/lab.json (everything a test needs to know).

``up`` on a running lab restarts it cleanly (printers go back to all ports enabled);
``down`` on a stopped lab does nothing. Port numbers come from
plugins/module_utils/matrix/port_matrix.py: this file types none of the MVE ports.
"""

import argparse
import concurrent.futures
import datetime
import importlib.util
import ipaddress
import json
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PORT_MATRIX_PATH = os.path.join(ROOT, 'plugins', 'module_utils', 'matrix', 'port_matrix.py')
SIM_PATH = os.path.join(HERE, 'printer_sim.py')
MAIL_SIM_PATH = os.path.join(HERE, 'mail_sim.py')
if __package__ in (None, ''):
    # Run as a script: lab/ is sys.path[0], where this file's own name would shadow the lab package.
    sys.path.insert(0, ROOT)

from lab.servers import tail  # noqa: E402 pylint: disable=wrong-import-position

DEFAULT_FIRST_ADDRESS = '127.0.1.1'
SHARED_SNMPD_FROM = 50      # from this many printers on, one snmpd serves ~100 addresses (see snmpd_chunks)
MAX_PRINTERS = 4000

NETNS = 'pfmve-lab'
VETH_HOST = 'pfmve-lab0'
VETH_NS = 'pfmve-lab1'
HOST_ADDR = '198.18.0.1'    # 198.18.0.0/15 is the benchmarking range (RFC 2544): only our netns uses it
NS_ADDR = '198.18.0.2'
PREFIX_LEN = 30
NFT_TABLE = 'pfmve_lab'
NS_OWNER_FILE = '/run/pfmve-lab.owner'
REMOTE_NAME = 'blocked01'
REMOTE_CLOSED_TCP_PORT = 22  # SSH: not an MVE port; the remote site rejects it to show "closed"
# Flows served at the remote site, and the ones its firewall drops from the host.
REMOTE_FLOWS = ('printer.raw', 'printer.snmp', 'printer.ftp')
REMOTE_DROPPED_FLOWS = ('printer.raw', 'printer.snmp')

SNMP_COMMUNITY = 'public'
SNMP_WRITE_COMMUNITY = 'private'
# SNMPv3 users, all authPriv. Keys are port_check's SNMP option names (so an entry can be combined into a
# target); 'netsnmp' holds the protocol names for snmpd's createUser and is not written to the inventory.
SNMP_V3_USERS = (
    {'version': '3', 'username': 'mveauth', 'auth_protocol': 'sha256', 'auth_key': 'mveauthpass1',
     'priv_protocol': 'aes', 'priv_key': 'mveprivpass1', 'netsnmp': ('SHA-256', 'AES')},
    {'version': '3', 'username': 'mvemd5', 'auth_protocol': 'md5', 'auth_key': 'mvemd5pass1',
     'priv_protocol': 'des', 'priv_key': 'mvemd5priv1', 'netsnmp': ('MD5', 'DES')},
    {'version': '3', 'username': 'mvesha512', 'auth_protocol': 'sha512', 'auth_key': 'mvesha512pass1',
     'priv_protocol': 'aes256', 'priv_key': 'mvesha512priv1', 'netsnmp': ('SHA-512', 'AES-256')},
)
# (model, firmware, sysObjectID under Lexmark's enterprise number 641)
MODELS = (
    ('MS822de', 'MXTGM.081.215', '1.3.6.1.4.1.641.1.822'),
    ('CX825de', 'CXTPP.081.215', '1.3.6.1.4.1.641.1.825'),
    ('MX721ade', 'MXTGW.081.215', '1.3.6.1.4.1.641.1.721'),
    ('CS921de', 'CSTMH.081.215', '1.3.6.1.4.1.641.1.921'),
)
OID_SYSDESCR = '1.3.6.1.2.1.1.1.0'
OID_SYSNAME = '1.3.6.1.2.1.1.5.0'
OID_SYS_CONTACT = '1.3.6.1.2.1.1.4.0'
OID_PRT_SERIAL = '1.3.6.1.2.1.43.5.1.1.17.1'
OID_PRT_NAME = '1.3.6.1.2.1.43.5.1.1.16.1'
OID_HR_DEVICE_DESCR = '1.3.6.1.2.1.25.3.2.1.3.1'
OID_PRT_MARKER_LIFE = '1.3.6.1.2.1.43.10.2.1.4.1.1'
# Printer-MIB supplies columns and Lexmark's LEXMARK-PVT-MIB prtgenInfoTable (as in
# plugins/module_utils/printers/settings.py; tests/unit/test_lab_oids.py keeps the two equal).
OID_SUPPLIES_DESCRIPTION = '1.3.6.1.2.1.43.11.1.1.6'
OID_SUPPLIES_MAX_CAPACITY = '1.3.6.1.2.1.43.11.1.1.8'
OID_SUPPLIES_LEVEL = '1.3.6.1.2.1.43.11.1.1.9'
OID_LXK_PRINTER_NAME = '1.3.6.1.4.1.641.2.1.2.1.2.1'
OID_LXK_CODE_REVISION = '1.3.6.1.4.1.641.2.1.2.1.4.1'
OID_LXK_SERIAL = '1.3.6.1.4.1.641.2.1.2.1.6.1'
# (supply, max capacity, level at printer index 0): black toner, imaging unit, maintenance kit.
LAB_SUPPLIES = (('Black Toner Cartridge', 15000, 11200), ('Imaging Unit', 60000, 52000),
                ('Maintenance Kit', 200000, 150000))
# DNS-SD service types a Lexmark printer advertises; LPD and IPP are not MVE ports (advertised only).
MDNS_ADVERTISED = (('_printer._tcp', 515), ('_ipp._tcp', 631))

# MVE's dependencies. Each one: (name, offset from --services-address, component (PID and log file name),
# DNS name in its certificate, port matrix flows it serves). Ports come from the port matrix.
DEFAULT_SERVICES_ADDRESS = '127.0.2.1'
SERVICES = (
    ('database', 0, 'firebird', 'db.printfleet.lab', ('db.firebird',)),
    ('mail', 1, 'mail', 'mail.printfleet.lab', ('smtp.none', 'smtp.ssl', 'smtp.starttls')),
    ('directory', 2, 'slapd', 'ldap.printfleet.lab', ('directory.ldap', 'directory.ldaps')),
    ('kdc', 3, 'krb5kdc', 'kdc.printfleet.lab', ('directory.kerberos',)),
)
# Lab credentials: plain text because the lab is disposable (real deployments keep them in Ansible Vault).
EWS_USERNAME = 'admin'      # printers' embedded web server (passwords per printer: ews_credentials)
DB_ALIAS = 'mve'
DB_USER = 'mve'
DB_PASSWORD = 'Lab-Firebird-Pa55'
SMTP_USER = 'mve'
SMTP_PASSWORD = 'Lab-Smtp-Pa55'
MAIL_FROM = 'mve@printfleet.lab'
LDAP_SUFFIX = 'dc=printfleet,dc=lab'
LDAP_BIND_PASSWORD = 'Lab-Ldap-Bind-Pa55'
LDAP_ROOT_PASSWORD = 'Lab-Ldap-Root-Pa55'
KRB_REALM = 'PRINTFLEET.LAB'
KRB_MASTER_PASSWORD = 'Lab-Kdc-Master-Pa55'
KRB_PRINCIPAL = 'mve'    # requires pre-authentication, like a directory user
KRB_PRINCIPALS = {KRB_PRINCIPAL: '+requires_preauth -pw Lab-Krb-Mve-Pa55',
                  'mve-nopreauth': '-requires_preauth -pw Lab-Krb-Nopreauth-Pa55'}
SMTP_KINDS = {'none': 'plain', 'ssl': 'ssl', 'starttls': 'starttls'}   # smtp feature value -> lab.servers.smtp kind
# The features the lab's services match (written to the inventory as mve_lab_features).
LAB_FEATURES = {'database': 'firebird', 'smtp': 'starttls', 'directory': 'ldaps', 'kerberos': True}


class LabError(Exception):
    pass


def say(msg):
    print(msg, flush=True)


def load_port_matrix():
    spec = importlib.util.spec_from_file_location('pfmve_lab_port_matrix', PORT_MATRIX_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def venv_python():
    candidate = os.path.join(ROOT, '.venv', 'bin', 'python')
    return candidate if os.access(candidate, os.X_OK) else os.path.abspath(sys.executable)


def write_json(path, data):
    tmp = path + '.tmp'
    with open(tmp, 'w') as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write('\n')
    os.replace(tmp, path)


def read_json(path, default=None):
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return default


def raise_nofile(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, max(hard, wanted)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --------------------------------------------------------------------------- layout


class Layout:
    def __init__(self, lab_dir):
        self.dir = os.path.abspath(lab_dir)
        self.run = os.path.join(self.dir, 'run')
        self.logs = os.path.join(self.dir, 'logs')
        self.printers = os.path.join(self.dir, 'printers')
        self.certs = os.path.join(self.dir, 'certs')
        self.snmp = os.path.join(self.dir, 'snmp')
        self.remote = os.path.join(self.dir, 'remote')
        self.services = os.path.join(self.dir, 'services')
        self.ca = os.path.join(self.dir, 'ca.pem')
        self.ca_key = os.path.join(self.dir, 'ca-key.pem')
        self.inventory = os.path.join(self.dir, 'inventory.yml')
        self.ansible_cfg = os.path.join(self.dir, 'ansible.cfg')
        self.windows_state = os.path.join(self.dir, 'mvewin01-fwpolicy.json')
        self.info = os.path.join(self.dir, 'lab.json')
        self.sim_config = os.path.join(self.dir, 'sim.json')
        self.sim_status = os.path.join(self.run, 'sim.status.json')
        self.remote_sim_config = os.path.join(self.remote, 'sim.json')
        self.remote_sim_status = os.path.join(self.run, 'remote-sim.status.json')
        self.remote_status = os.path.join(self.remote, 'status.json')
        self.mail_config = os.path.join(self.services, 'mail.json')
        self.mail_status = os.path.join(self.run, 'mail.status.json')

    def pidfile(self, component):
        return os.path.join(self.run, component + '.pid')

    def log(self, component):
        return os.path.join(self.logs, component + '.log')

    def make(self):
        for path in (self.dir, self.run, self.logs, self.printers, self.certs, self.snmp, self.remote, self.services):
            os.makedirs(path, exist_ok=True)


# --------------------------------------------------------------------------- processes


def pid_cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as fh:
            return fh.read().replace(b'\0', b' ').decode('utf-8', 'replace')
    except OSError:
        return None


def pid_is_ours(pid, lab):
    """True when ``pid`` runs and its command line names a file of this lab, or (daemons such as firebird that
    take no arguments) its environment has PFMVE_LAB_DIR=this lab (guards PID reuse)."""
    cmd = pid_cmdline(pid)
    if not cmd:
        return False
    try:
        with open('/proc/%d/stat' % pid) as fh:
            if fh.read().rsplit(')', 1)[1].split()[0] == 'Z':
                return False
    except (OSError, IndexError):
        return False
    if lab.dir + os.sep in cmd:
        return True
    try:
        with open('/proc/%d/environ' % pid, 'rb') as fh:
            return ('PFMVE_LAB_DIR=%s' % lab.dir).encode() in fh.read().split(b'\0')
    except OSError:
        return False


def read_pid(path):
    try:
        with open(path) as fh:
            return int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def stop_pid(pid, lab, timeout=8.0):
    if not pid_is_ours(pid, lab):
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not pid_is_ours(pid, lab):
            return True
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return True


def spawn(argv, log_path, pidfile=None, env=None, netns=None):
    """Start a daemon: own session, stdin from /dev/null, output to log_path."""
    if netns:
        argv = ['ip', 'netns', 'exec', netns] + list(argv)  # ip execs the command: same pid
    with open(log_path, 'ab') as log, open(os.devnull, 'rb') as devnull:
        proc = subprocess.Popen(argv, stdin=devnull, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True, env=env, cwd='/')
    if pidfile:
        with open(pidfile, 'w') as fh:
            fh.write('%d\n' % proc.pid)
    return proc


def run(argv, check=True):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise LabError('%s failed (%d): %s' % (' '.join(argv), proc.returncode, detail))
    return proc


# --------------------------------------------------------------------------- SNMP ping (BER by hand)


def _tlv(tag, body):
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, 'big')
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + body


def _ber_int(value):
    return _tlv(0x02, value.to_bytes(max(1, (value.bit_length() + 8) // 8), 'big', signed=True))


def _ber_oid(dotted):
    arcs = [int(x) for x in dotted.split('.')]
    body = b''
    for arc in [40 * arcs[0] + arcs[1]] + arcs[2:]:
        chunk = [arc & 0x7f]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7f))
            arc >>= 7
        body += bytes(reversed(chunk))
    return _tlv(0x06, body)


def _ber_items(data):
    items, i = [], 0
    while i < len(data):
        tag, length = data[i], data[i + 1]
        i += 2
        if length & 0x80:
            count = length & 0x7f
            length = int.from_bytes(data[i:i + count], 'big')
            i += count
        items.append((tag, data[i:i + length]))
        i += length
    return items


def snmp_get_request(community, oid, request_id):
    varbind = _tlv(0x30, _ber_oid(oid) + b'\x05\x00')
    pdu = _tlv(0xa0, _ber_int(request_id) + _ber_int(0) + _ber_int(0) + _tlv(0x30, varbind))
    return _tlv(0x30, _ber_int(1) + _tlv(0x04, community.encode()) + pdu)


def snmp_parse_response(data):
    """(request_id, first value as text) from a GetResponse, or None."""
    try:
        _version, _community, (pdu_tag, pdu) = _ber_items(_ber_items(data)[0][1])
        if pdu_tag != 0xa2:
            return None
        reqid, _status, _index, (_t, varbinds) = _ber_items(pdu)
        _oid, (vtag, value) = _ber_items(_ber_items(varbinds)[0][1])
        text = value.decode('utf-8', 'replace') if vtag == 0x04 else value.hex()
        return int.from_bytes(reqid[1], 'big', signed=True), text
    except (ValueError, IndexError, TypeError):
        return None


def snmp_ping(addresses, port, oid=OID_SYSNAME, community=SNMP_COMMUNITY, timeout=10.0):
    """Ask every address for ``oid`` (v2c); returns {address: value or None}."""
    answers = {a: None for a in addresses}
    ids = {i + 1: a for i, a in enumerate(addresses)}
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        deadline = time.time() + timeout
        next_send = 0.0
        while time.time() < deadline and any(v is None for v in answers.values()):
            if time.time() >= next_send:
                for reqid, addr in ids.items():
                    if answers[addr] is None:
                        try:
                            sock.sendto(snmp_get_request(community, oid, reqid), (addr, port))
                        except OSError:
                            pass
                next_send = time.time() + 0.5
            ready = select.select([sock], [], [], 0.1)[0]
            while ready:
                try:
                    data = sock.recvfrom(65535)[0]
                except OSError:  # ICMP port unreachable surfaces here: not up yet
                    data = None
                parsed = snmp_parse_response(data) if data else None
                if parsed and parsed[0] in ids:
                    answers[ids[parsed[0]]] = parsed[1]
                ready = select.select([sock], [], [], 0)[0]
    finally:
        sock.close()
    return answers


# --------------------------------------------------------------------------- certificates


def ensure_ca(lab):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    if os.path.exists(lab.ca) and os.path.exists(lab.ca_key):
        with open(lab.ca, 'rb') as fh:
            cert = x509.load_pem_x509_certificate(fh.read())
        with open(lab.ca_key, 'rb') as fh:
            key = serialization.load_pem_private_key(fh.read(), password=None)
        if cert.not_valid_after_utc > datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30):
            return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'printfleet.mve lab'),
                      x509.NameAttribute(NameOID.COMMON_NAME, 'printfleet.mve lab CA')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    with open(lab.ca_key, 'wb') as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    with open(lab.ca, 'wb') as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def issue_cert(lab, ca, name, address, dns_names=None):
    """A server certificate from the lab CA: SAN ``dns_names`` (default: name and name.local) and ``address``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    san = x509.SubjectAlternativeName([x509.DNSName(n) for n in (dns_names or (name, name + '.local'))]
                                      + [x509.IPAddress(ipaddress.ip_address(address))])
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'Lexmark (printfleet.mve lab)'),
                                     x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=825))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(san, critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path = os.path.join(lab.certs, name + '.pem')
    key_path = os.path.join(lab.certs, name + '-key.pem')
    with open(key_path, 'wb') as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    with open(cert_path, 'wb') as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


# --------------------------------------------------------------------------- printers and ports


def service_for(flow):
    """What the simulator serves for a printer-side flow (by protocol and probe, not by port)."""
    if flow['transport'] == 'udp':
        if flow['probe'] == 'snmp':
            return 'snmp'
        if flow['probe'] == 'mdns':
            return 'mdns'
        return 'silent'
    if flow['probe'] == 'tls':
        return 'https'
    return {'FTP': 'ftp', 'HTTP': 'http', 'RAW': 'raw'}.get(flow['protocol'], 'accept')


def printer_ports(pm, flow_ids=None):
    """{"tcp/9100": {...}} for every port a printer listens on, from the port matrix."""
    ports = {}
    for flow in pm.select_flows(destination='printer', ids=flow_ids):
        key = '%s/%d' % (flow['transport'], flow['destination_port'])
        entry = ports.setdefault(key, {'transport': flow['transport'], 'port': flow['destination_port'],
                                       'service': None, 'flows': [], 'enabled': True})
        entry['flows'].append(flow['id'])
        service = service_for(flow)
        # Two flows on one port (TCP 443 for HTTP and HTTPS): the TLS service wins.
        if entry['service'] is None or service == 'https':
            entry['service'] = service
            # The EWS port-access label, as Lexmark writes it: "TCP 21 (FTP)", "UDP 9300 (NPAP)".
            entry['label'] = '%s %d (%s)' % (flow['transport'].upper(), flow['destination_port'], flow['protocol'])
        entry['served_by'] = 'snmpd' if entry['service'] == 'snmp' else 'printer_sim'
    return ports


def plan_printers(count, first_address):
    try:
        first = ipaddress.IPv4Address(first_address)
    except ValueError:
        raise LabError('--first-address %r is not an IPv4 address' % first_address)
    if not 1 <= count <= MAX_PRINTERS:
        raise LabError('--printers must be between 1 and %d, got %d' % (MAX_PRINTERS, count))
    last = first + (count - 1)
    if not (first.is_loopback and last.is_loopback):
        raise LabError('printer addresses %s..%s must stay inside 127.0.0.0/8' % (first, last))
    width = max(2, len(str(count)))
    out = []
    for i in range(count):
        model, firmware, sys_oid = MODELS[i % len(MODELS)]
        out.append({
            'index': i + 1,
            'name': 'printer%0*d' % (width, i + 1),
            'address': str(first + i),
            'model': model,
            'firmware': firmware,
            'sys_object_id': sys_oid,
            'serial': 'LAB%07d' % (5000000 + i + 1),
            'page_count': 1000 + 37 * (i + 1),
        })
    return out


def sys_descr(printer):
    return 'Lexmark %s version %s kernel 4.17.19-yocto-standard All-N-1' % (printer['model'], printer['firmware'])


def snmpd_chunks(addresses, port, budget=2200):
    """Split addresses among shared snmpd processes.

    net-snmp joins all agentaddress values into one string of at most 2,560 characters
    (SPRINT_MAX_LEN) and silently ignores the rest, so one snmpd serves about a hundred addresses.
    """
    chunks, current, used = [], [], 0
    for address in addresses:
        cost = len('udp:%s:%d,' % (address, port))
        if current and used + cost > budget:
            chunks.append(current)
            current, used = [], 0
        current.append(address)
        used += cost
    if current:
        chunks.append(current)
    return chunks


def snmpd_conf(printer, addresses, persist_dir, port):
    lines = [
        '# snmpd for the printfleet.mve lab, written by lab/lab.py. Numeric OIDs only (MIBS is empty).',
        '# sysContact, sysName and sysLocation come from the seed file so that they stay writable.',
        '[snmp] persistentDir %s' % persist_dir,
    ]
    lines += ['agentaddress udp:%s:%d' % (a, port) for a in addresses]
    lines += [
        'dontLogTCPWrappersConnects yes',
        'rocommunity %s default' % SNMP_COMMUNITY,
        'rwcommunity %s default' % SNMP_WRITE_COMMUNITY,
        'sysDescr %s' % sys_descr(printer),
        'sysObjectID %s' % printer['sys_object_id'],
        'sysServices 72',
        'override %s octet_str "%s"' % (OID_PRT_SERIAL, printer['serial']),
        'override %s octet_str "%s"' % (OID_PRT_NAME, printer['name']),
        'override %s octet_str "Lexmark %s"' % (OID_HR_DEVICE_DESCR, printer['model']),
        'override %s counter %d' % (OID_PRT_MARKER_LIFE, printer['page_count']),
        'override %s octet_str "Lexmark %s"' % (OID_LXK_PRINTER_NAME, printer['model']),
        'override %s octet_str "%s"' % (OID_LXK_CODE_REVISION, printer['firmware']),
        'override %s octet_str "%s"' % (OID_LXK_SERIAL, printer['serial']),
    ]
    for row, (description, capacity, level) in enumerate(LAB_SUPPLIES, 1):
        # Supplies drain a little per printer so that a fleet's levels differ.
        level = max(0, level - 97 * printer['index'] * row % capacity)
        lines += ['override %s.1.%d octet_str "%s"' % (OID_SUPPLIES_DESCRIPTION, row, description),
                  'override %s.1.%d integer %d' % (OID_SUPPLIES_MAX_CAPACITY, row, capacity),
                  'override %s.1.%d integer %d' % (OID_SUPPLIES_LEVEL, row, level)]
    for user in SNMP_V3_USERS:
        auth, priv = user['netsnmp']
        lines.append('createUser %s %s %s %s %s' % (user['username'], auth, user['auth_key'], priv, user['priv_key']))
        lines.append('rwuser %s priv' % user['username'])
    return '\n'.join(lines) + '\n'


def snmpd_seed(printer):
    return ('psysname %s\npsyslocation printfleet.mve lab, rack 1, slot %d\npsyscontact MVE lab administrator\n'
            % (printer['name'], printer['index']))


def start_snmpd(lab, component, printer, addresses, port, netns=None):
    base = os.path.join(lab.snmp, component)
    persist = os.path.join(base, 'persist')
    shutil.rmtree(persist, ignore_errors=True)  # fresh v3 users and settings on every up
    os.makedirs(persist)
    conf = os.path.join(base, 'snmpd.conf')
    seed = os.path.join(base, 'seed.conf')
    with open(conf, 'w') as fh:
        fh.write(snmpd_conf(printer, addresses, persist, port))
    with open(seed, 'w') as fh:
        fh.write(snmpd_seed(printer))
    pidfile = lab.pidfile(component)
    if os.path.exists(pidfile):
        os.unlink(pidfile)
    env = dict(os.environ, MIBS='', SNMP_PERSISTENT_DIR=persist)
    # -C: read only our files; -I -smux: no SMUX listener on TCP 199; snmpd forks into the background.
    argv = ['snmpd', '-C', '-c', '%s,%s' % (conf, seed), '-I', '-smux', '-Lf', lab.log(component), '-p', pidfile]
    if netns:
        argv = ['ip', 'netns', 'exec', netns] + argv
    with open(os.devnull, 'rb') as devnull, open(lab.log(component), 'ab') as log:
        proc = subprocess.run(argv, stdin=devnull, stdout=log, stderr=subprocess.STDOUT, env=env, cwd='/',
                              check=False)
    if proc.returncode != 0:
        raise LabError('snmpd for %s exited with %d:\n%s' % (component, proc.returncode, tail(lab.log(component))))
    deadline = time.time() + 10
    while time.time() < deadline:
        pid = read_pid(pidfile)
        if pid and pid_is_ours(pid, lab):
            return pid
        time.sleep(0.05)
    raise LabError('snmpd for %s did not start:\n%s' % (component, tail(lab.log(component))))


def wait_sim(lab, proc, status_file, component, timeout=180.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = read_json(status_file)
        if status and status.get('pid') == proc.pid and status.get('generation', 0) >= 1:
            if status.get('errors'):
                hint = ''
                if os.geteuid() != 0:
                    hint = ('\n(not root: ports below 1024 need root, or '
                            'sysctl net.ipv4.ip_unprivileged_port_start=0)')
                raise LabError('%s could not open every port:\n  %s%s' % (component, '\n  '.join(
                    '%s: %s' % kv for kv in sorted(status['errors'].items())[:20]), hint))
            return status
        if proc.poll() is not None:
            raise LabError('%s exited with %s:\n%s' % (component, proc.returncode, tail(lab.log(component))))
        time.sleep(0.1)
    raise LabError('%s not ready after %ds:\n%s' % (component, timeout, tail(lab.log(component))))


def ews_credentials(printer):
    """The printer's embedded web server login: odd printers show a user name and password form, even ones ask
    for a password only (as some Lexmark models do). Plain text: the lab is disposable."""
    return {'login': 'form' if printer['index'] % 2 else 'password', 'username': EWS_USERNAME,
            'password': 'Lab-Ews-%s-Pa55' % printer['name']}


def sim_printer_config(lab, printer, cert, key, state_file, raw_port):
    return {
        'name': printer['name'], 'address': printer['address'], 'model': printer['model'],
        'serial': printer['serial'], 'state_file': state_file, 'cert': cert, 'key': key,
        'ews': ews_credentials(printer),
        'mdns_services': [{'type': t, 'port': p} for t, p in MDNS_ADVERTISED]
        + [{'type': '_pdl-datastream._tcp', 'port': raw_port}],
    }


def state_doc(printer, ports):
    return {'name': printer['name'], 'address': printer['address'], 'model': printer['model'],
            'serial': printer['serial'], 'ports': ports}


# --------------------------------------------------------------------------- remote site


def netns_exists():
    return os.path.exists('/run/netns/' + NETNS)


def remote_owner():
    try:
        with open(NS_OWNER_FILE) as fh:
            return fh.read().strip()
    except OSError:
        return None


def remote_teardown(lab, force=False):
    """Remove the namespace (and everything running in it) when this lab owns it, or when forced."""
    owner = remote_owner()
    if not force and owner not in (None, lab.dir):
        return False
    if netns_exists():
        pids = run(['ip', 'netns', 'pids', NETNS], check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
        deadline = time.time() + 5
        while time.time() < deadline and run(['ip', 'netns', 'pids', NETNS], check=False).stdout.split():
            time.sleep(0.05)
        for pid in run(['ip', 'netns', 'pids', NETNS], check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        run(['ip', 'netns', 'del', NETNS], check=False)
    if os.path.exists('/sys/class/net/' + VETH_HOST):
        run(['ip', 'link', 'del', VETH_HOST], check=False)
    if owner in (None, lab.dir) or force:
        try:
            os.unlink(NS_OWNER_FILE)
        except OSError:
            pass
    return True


def nft_ruleset(pm):
    lines = ['table inet %s {' % NFT_TABLE, '    chain input {',
             '        type filter hook input priority filter; policy accept;']
    for flow_id in REMOTE_DROPPED_FLOWS:
        f = pm.get_flow(flow_id)
        lines.append('        ip saddr %s %s dport %d counter drop comment "%s"'
                     % (HOST_ADDR, f['transport'], f['destination_port'], flow_id))
    lines.append('        tcp dport %d counter reject with tcp reset comment "closed"' % REMOTE_CLOSED_TCP_PORT)
    lines += ['    }', '}']
    return '\n'.join(lines) + '\n'


def remote_up(lab, pm, ca, python, wanted=True):
    """Bring up the namespace; returns the remote-site status dict (available or why not)."""
    status = {'available': False, 'netns': NETNS, 'host_address': HOST_ADDR, 'address': NS_ADDR,
              'name': REMOTE_NAME, 'nft_table': 'inet ' + NFT_TABLE,
              'closed_tcp_port': REMOTE_CLOSED_TCP_PORT,
              'dropped': [{'flow': i, 'transport': pm.get_flow(i)['transport'],
                           'port': pm.get_flow(i)['destination_port']} for i in REMOTE_DROPPED_FLOWS],
              'open': [{'flow': i, 'transport': pm.get_flow(i)['transport'],
                        'port': pm.get_flow(i)['destination_port']}
                       for i in REMOTE_FLOWS if i not in REMOTE_DROPPED_FLOWS]}
    if not wanted:
        status['reason'] = 'not asked for (lab up --no-remote)'
        return status
    if os.geteuid() != 0:
        status['reason'] = 'not root: network namespaces need root (CAP_SYS_ADMIN, CAP_NET_ADMIN)'
        return status
    for tool in ('ip', 'nft', 'snmpd'):
        if shutil.which(tool) is None:
            status['reason'] = '%s is not installed (make os-deps)' % tool
            return status
    previous = remote_owner()
    if previous and previous != lab.dir:
        say('remote site: taking %s over from the lab in %s' % (NETNS, previous))
    try:
        remote_teardown(lab, force=True)
        run(['ip', 'netns', 'add', NETNS])
        with open(NS_OWNER_FILE, 'w') as fh:
            fh.write(lab.dir + '\n')
        run(['ip', 'link', 'add', VETH_HOST, 'type', 'veth', 'peer', 'name', VETH_NS])
        run(['ip', 'link', 'set', VETH_NS, 'netns', NETNS])
        run(['ip', 'addr', 'add', '%s/%d' % (HOST_ADDR, PREFIX_LEN), 'dev', VETH_HOST])
        run(['ip', 'link', 'set', VETH_HOST, 'up'])
        run(['ip', '-n', NETNS, 'addr', 'add', '%s/%d' % (NS_ADDR, PREFIX_LEN), 'dev', VETH_NS])
        run(['ip', '-n', NETNS, 'link', 'set', VETH_NS, 'up'])
        run(['ip', '-n', NETNS, 'link', 'set', 'lo', 'up'])
        nft_file = os.path.join(lab.remote, 'nft.conf')
        with open(nft_file, 'w') as fh:
            fh.write(nft_ruleset(pm))
        run(['ip', 'netns', 'exec', NETNS, 'nft', '-f', nft_file])

        printer = dict(plan_printers(1, '127.0.0.1')[0], name=REMOTE_NAME, address=NS_ADDR)
        ports = printer_ports(pm, flow_ids=list(REMOTE_FLOWS))
        state_file = os.path.join(lab.remote, REMOTE_NAME + '.json')
        write_json(state_file, state_doc(printer, ports))
        cert, key = issue_cert(lab, ca, REMOTE_NAME, NS_ADDR)
        raw_port = pm.get_flow('printer.raw')['destination_port']
        write_json(lab.remote_sim_config, {
            'tag': 'remote', 'status_file': lab.remote_sim_status,
            'printers': [sim_printer_config(lab, printer, cert, key, state_file, raw_port)]})
        snmp_port = pm.get_flow('printer.snmp')['destination_port']
        snmpd_pid = start_snmpd(lab, 'remote-snmpd', printer, [NS_ADDR], snmp_port, netns=NETNS)
        if os.path.exists(lab.remote_sim_status):
            os.unlink(lab.remote_sim_status)
        proc = spawn([python, SIM_PATH, '--config', lab.remote_sim_config], lab.log('remote-sim'),
                     pidfile=lab.pidfile('remote-sim'), netns=NETNS)
        sim = wait_sim(lab, proc, lab.remote_sim_status, 'remote-sim', timeout=30)
        # The host's SNMP is dropped by design: check the agent from inside the namespace.
        probe = run(['ip', 'netns', 'exec', NETNS, 'snmpget', '-v2c', '-c', SNMP_COMMUNITY, '-r', '3', '-t', '1',
                     '-Oqv', '%s:%d' % (NS_ADDR, snmp_port), OID_SYSNAME], check=False)
        if probe.returncode != 0 or REMOTE_NAME not in probe.stdout:
            raise LabError('remote snmpd does not answer inside %s: %s' % (NETNS, (probe.stderr or probe.stdout).strip()))
        status.update(available=True, snmpd_pid=snmpd_pid, sim_pid=proc.pid, listeners=sim['listeners'],
                      state_file=state_file)
    except (LabError, OSError) as exc:
        status['reason'] = str(exc)
        remote_teardown(lab, force=True)
    return status


# --------------------------------------------------------------------------- MVE's dependencies (lab/servers)


def plan_services(pm, base, printers):
    """{name: service} for the four dependencies on base+0..3, with their flows' ports from the port matrix."""
    try:
        first = ipaddress.IPv4Address(base)
        last = first + (len(SERVICES) - 1)
    except ValueError:
        raise LabError('--services-address %r is not an IPv4 address with %d more after it' % (base, len(SERVICES) - 1))
    if not (first.is_loopback and last.is_loopback):
        raise LabError('service addresses %s..%s must stay inside 127.0.0.0/8' % (first, last))
    printer_addresses = {p['address'] for p in printers}
    plan = {}
    for name, offset, component, dns_name, flow_ids in SERVICES:
        address = str(first + offset)
        if address in printer_addresses:
            raise LabError('--services-address %s: the %s address %s is also a printer address; choose ranges '
                           'that do not overlap' % (base, name, address))
        flows = {}
        for flow_id in flow_ids:
            flow = pm.get_flow(flow_id)
            flows[flow_id] = {'transport': flow['transport'], 'port': flow['destination_port'],
                              'feature': flow['feature']}
        plan[name] = {'name': name, 'address': address, 'component': component, 'dns_name': dns_name,
                      'flows': flows}
    return plan


def _port(svc, flow_id):
    return svc['flows'][flow_id]['port']


def _fresh_dir(lab, name):
    path = os.path.join(lab.services, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def _write_pid(lab, component, pid):
    with open(lab.pidfile(component), 'w') as fh:
        fh.write('%d\n' % pid)


def start_database(lab, svc, python):
    """Firebird 3 with the database alias DB_ALIAS and the user DB_USER (SYSDBA keeps the system's password)."""
    from lab.servers.firebird import SYSDBA_PASSWORD_FILE, FirebirdServer
    server = FirebirdServer(_fresh_dir(lab, 'firebird'), host=svc['address'], port=_port(svc, 'db.firebird'),
                            alias=DB_ALIAS, out_path=lab.log(svc['component']))
    server.start(detach=True)
    _write_pid(lab, svc['component'], server.proc.pid)
    server.create_user(DB_USER, DB_PASSWORD)
    return {'pid': server.proc.pid, 'database': server.database, 'alias': DB_ALIAS, 'username': DB_USER,
            'sysdba_password_file': SYSDBA_PASSWORD_FILE}


def start_mail(lab, svc, python, timeout=30.0):
    """lab/mail_sim.py: aiosmtpd with one listener per SMTP flow (plain, implicit TLS, STARTTLS), AUTH."""
    listeners = [{'flow': flow_id, 'port': flow['port'], 'kind': SMTP_KINDS[flow['feature'].split('=')[1]]}
                 for flow_id, flow in sorted(svc['flows'].items())]
    write_json(lab.mail_config, {
        'host': svc['address'], 'server_name': svc['dns_name'], 'user': SMTP_USER, 'password': SMTP_PASSWORD,
        'cert': svc['cert'], 'key': svc['key'], 'status_file': lab.mail_status, 'listeners': listeners,
        'refused': 'nobody@printfleet.lab'})
    os.chmod(lab.mail_config, 0o600)
    if os.path.exists(lab.mail_status):
        os.unlink(lab.mail_status)
    log = lab.log(svc['component'])
    proc = spawn([python, MAIL_SIM_PATH, '--config', lab.mail_config], log, pidfile=lab.pidfile(svc['component']))
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = read_json(lab.mail_status)
        if status and status.get('pid') == proc.pid:
            if status.get('ready'):
                return {'pid': proc.pid, 'username': SMTP_USER, 'listeners': listeners}
            raise LabError('mail_sim: %s\n--- %s ---\n%s' % (status.get('error'), log, tail(log, 40)))
        if proc.poll() is not None:
            raise LabError('mail_sim exited with %s:\n--- %s ---\n%s' % (proc.returncode, log, tail(log, 40)))
        time.sleep(0.05)
    raise LabError('mail_sim not ready after %ds:\n--- %s ---\n%s' % (timeout, log, tail(log, 40)))


class _Leaf:
    def __init__(self, cert_path, key_path):
        self.cert_path, self.key_path = cert_path, key_path


def start_directory(lab, svc, python):
    """slapd: LDAP (StartTLS) and LDAPS, LDAP_SUFFIX with ou=people and the bind user uid=mve."""
    from lab.servers.ldap import Slapd
    server = Slapd(_fresh_dir(lab, 'slapd'), leaf=_Leaf(svc['cert'], svc['key']), ca_path=lab.ca,
                   host=svc['address'], port=_port(svc, 'directory.ldap'), ldaps_port=_port(svc, 'directory.ldaps'),
                   suffix=LDAP_SUFFIX, user_password=LDAP_BIND_PASSWORD, root_password=LDAP_ROOT_PASSWORD,
                   log_path=lab.log(svc['component']))
    server.start(detach=True)
    _write_pid(lab, svc['component'], server.proc.pid)
    return {'pid': server.proc.pid, 'suffix': LDAP_SUFFIX, 'bind_dn': server.user_dn, 'people': server.people}


def start_kdc(lab, svc, python):
    """MIT krb5kdc for KRB_REALM on UDP and TCP, principals with and without pre-authentication."""
    from lab.servers.kdc import MitKdc
    log = lab.log(svc['component'])
    kdc = MitKdc(_fresh_dir(lab, 'krb5kdc'), realm=KRB_REALM, host=svc['address'],
                 port=_port(svc, 'directory.kerberos'), log_path=log, out_path=log,
                 pidfile=lab.pidfile(svc['component']))
    kdc.create(KRB_PRINCIPALS, KRB_MASTER_PASSWORD).start(detach=True)
    _write_pid(lab, svc['component'], kdc.proc.pid)
    return {'pid': kdc.proc.pid, 'realm': KRB_REALM, 'principals': sorted(KRB_PRINCIPALS),
            'krb5_conf': kdc.krb5_conf}


STARTERS = {'database': start_database, 'mail': start_mail, 'directory': start_directory, 'kdc': start_kdc}


def _start_service(lab, svc, python):
    started = time.time()
    try:
        info = STARTERS[svc['name']](lab, svc, python)
    except Exception as exc:  # pylint: disable=broad-except
        # ServerError (from lab/servers, with the log), LabError, OSError: all end `up` with the reason.
        raise LabError('%s on %s did not start: %s' % (svc['name'], svc['address'], exc))
    info['started_in_s'] = round(time.time() - started, 2)
    return info


def services_start(lab, ca, plan, python):
    """Issue the certificates, then start every service in its own thread; returns {name: future}."""
    for svc in plan.values():
        if os.path.exists(lab.pidfile(svc['component'])):
            os.unlink(lab.pidfile(svc['component']))
        svc['cert'], svc['key'] = issue_cert(lab, ca, svc['dns_name'], svc['address'], dns_names=(svc['dns_name'],))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(plan), thread_name_prefix='lab-service')
    futures = {name: pool.submit(_start_service, lab, svc, python) for name, svc in plan.items()}
    pool.shutdown(wait=False)
    return futures


def services_wait(plan, futures, timeout=120.0):
    """Wait for every service; LabError naming each one that failed, with its log."""
    errors = []
    for name, future in futures.items():
        try:
            plan[name].update(future.result(timeout=timeout))
        except concurrent.futures.TimeoutError:
            errors.append('%s: not up after %ds' % (name, timeout))
        except LabError as exc:
            errors.append(str(exc))
    if errors:
        raise LabError('%d of %d services did not start:\n%s' % (len(errors), len(plan), '\n'.join(errors)))
    return plan


def lab_dependencies(plan):
    """The services in the shape of roles/mve_dependencies' options (mve_dependencies_database, ...)."""
    return {
        'database': {'host': plan['database']['address'], 'username': DB_USER, 'password': DB_PASSWORD,
                     'database': DB_ALIAS},
        'smtp': {'host': plan['mail']['address'], 'username': SMTP_USER, 'password': SMTP_PASSWORD,
                 'mail_from': MAIL_FROM},
        'ldap': {'host': plan['directory']['address'], 'bind_dn': plan['directory']['bind_dn'],
                 'bind_password': LDAP_BIND_PASSWORD, 'search_base': plan['directory']['people'], 'starttls': False},
        'kerberos': {'host': plan['kdc']['address'], 'realm': KRB_REALM, 'principal': KRB_PRINCIPAL},
    }


def lab_firewall_group(lab):
    """The rule group of this lab's firewall rules: one per lab directory, so that `down` removes exactly the
    rules site.yml made for this lab (the nftables table is named after the group)."""
    import hashlib
    return 'printfleet.mve.lab-' + hashlib.sha1(os.path.abspath(lab.dir).encode()).hexdigest()[:8]


def lab_firewall_table(lab):
    return ''.join(c if c.isalnum() or c == '_' else '_' for c in lab_firewall_group(lab))  # firewall_nft.table_name


def lab_firewall_vars(lab, printers, services):
    """roles/mve_firewall's options for mve01 (this machine): the printers' and the services' addresses as
    scopes, the controller (this machine) as the browser. The lab's rules go into their own rule group, so that
    `down` removes exactly them. Without enforce the table only accepts: nothing on this machine is blocked."""
    addresses = sorted((ipaddress.ip_address(p['address']) for p in printers))
    printer_nets = [str(n) for n in ipaddress.collapse_addresses(
        net for first, last in _runs(addresses) for net in ipaddress.summarize_address_range(first, last))]
    scopes = {'printer': printer_nets or ['127.0.1.1'], 'browser': ['127.0.0.1']}
    if services:
        for role, name in (('database', 'database'), ('smtp', 'mail'), ('ldap', 'directory'), ('kdc', 'kdc')):
            scopes[role] = [services[name]['address']]
    return {'mve_firewall_scopes': scopes, 'mve_firewall_rule_group': lab_firewall_group(lab),
            'mve_firewall_backend': 'nftables', 'mve_firewall_verify_address': '127.0.0.1',
            # The lab is disposable: its table is not written into this machine's boot configuration.
            'mve_firewall_persist': False}


WINDOWS_NAME = 'mvewin01'
# The SNMP settings site.yml enforces on every lab printer (the printers start with other values).
LAB_PRINTER_SETTINGS = (('sysContact', 'printer-admins@printfleet.lab'), ('sysLocation', 'printfleet.mve lab'))


def lab_windows_firewall_vars(lab, printers, services):
    """roles/mve_firewall's options for mvewin01: Windows Defender Firewall (the simulated policy store)."""
    out = lab_firewall_vars(lab, printers, services)
    out['mve_firewall_backend'] = 'windows'
    return out


def write_ansible_cfg(lab):
    """DIR/ansible.cfg: the lab's connection plugin (the simulated Windows host) and this checkout's collection,
    so that ANSIBLE_CONFIG=DIR/ansible.cfg ansible-playbook -i DIR/inventory.yml playbooks/site.yml runs from here."""
    link = os.path.join(ROOT, 'build', 'pytest', 'ansible_collections', 'printfleet', 'mve')
    if not os.path.islink(link) and not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)
    with open(lab.ansible_cfg, 'w') as fh:
        fh.write('# printfleet.mve local lab, written by lab/lab.py (do not edit: "up" rewrites it).\n'
                 '[defaults]\n'
                 'inventory = %s\n'
                 'connection_plugins = %s\n'
                 'collections_path = %s\n'
                 'host_key_checking = False\n'
                 'interpreter_python = auto_silent\n' % (
                     lab.inventory, os.path.join(ROOT, 'lab', 'plugins', 'connection'),
                     os.path.join(ROOT, 'build', 'pytest')))


def _runs(addresses):
    """Consecutive runs (first, last) of a sorted address list."""
    runs = []
    for a in addresses:
        if runs and int(a) == int(runs[-1][1]) + 1:
            runs[-1][1] = a
        else:
            runs.append([a, a])
    return [tuple(r) for r in runs]


def remove_lab_firewall_table(lab):
    """Delete the nftables table that site.yml's firewall play created for this lab, if any. Returns a note for
    the `down` message."""
    table = lab_firewall_table(lab)
    if shutil.which('nft') is None or os.geteuid() != 0:
        return ''
    if subprocess.run(['nft', 'list', 'table', 'inet', table], capture_output=True, check=False).returncode != 0:
        return ''
    subprocess.run(['nft', 'delete', 'table', 'inet', table], capture_output=True, check=False)
    return ', removed nft table inet %s' % table


def lab_features(pm):
    return dict(LAB_FEATURES, printer_protocols=list(pm.PRINTER_PROTOCOLS))


def services_info(services, features):
    """lab.json's ``services``: where each one runs, its flows and ports, and the inventory variables."""
    if not services:
        return {'available': False, 'reason': 'not asked for (lab up --no-services)'}
    keep = ('address', 'component', 'dns_name', 'flows', 'cert', 'pid', 'started_in_s', 'database', 'alias',
            'username', 'listeners', 'suffix', 'bind_dn', 'people', 'realm', 'principals', 'krb5_conf',
            'sysdba_password_file')
    return {'available': True, 'features': features, 'dependencies': lab_dependencies(services),
            'endpoints': {name: {k: v for k, v in svc.items() if k in keep} for name, svc in services.items()}}


# --------------------------------------------------------------------------- inventory


def inventory_doc(lab, printers, remote, python, services=None, features=None):
    users = [{k: v for k, v in u.items() if k != 'netsnmp'} for u in SNMP_V3_USERS]
    doc = {'all': {
        'vars': {
            'ansible_python_interpreter': python,
            'mve_lab_dir': lab.dir,
            'mve_lab_ca_path': lab.ca,
            'mve_snmp_community': SNMP_COMMUNITY,
            'mve_snmp_write_community': SNMP_WRITE_COMMUNITY,
            'mve_snmp_v3_users': users,
            # Enforced on every printer by site.yml (mve_printers), checked by compliance.yml.
            'mve_lab_printer_settings': dict(LAB_PRINTER_SETTINGS),
            'mve_lab_remote_site_available': bool(remote.get('available')),
            'mve_lab_services_available': bool(services),
        },
        'children': {
            'mve_servers': {'hosts': {
                'mve01': dict({'ansible_host': 'localhost', 'ansible_connection': 'local',
                               'ansible_python_interpreter': python}, **lab_firewall_vars(lab, printers, services)),
                # A SIMULATED Windows MVE server (lab/windows/host.py through the lab's pfmve_simwin connection,
                # ansible.cfg beside this file): it runs only printfleet.mve's PowerShell steps and refuses Python
                # modules, as a Windows host without Python does. Its probes leave from this machine.
                WINDOWS_NAME: dict({'ansible_host': '127.0.0.1', 'ansible_connection': 'pfmve_simwin',
                                    'ansible_shell_type': 'powershell',
                                    'pfmve_simwin_state': lab.windows_state,
                                    'mve_lab_simulated_windows': True},
                                   **lab_windows_firewall_vars(lab, printers, services)),
            }},
            'printers': {'hosts': {p['name']: {
                'ansible_host': p['address'], 'ansible_connection': 'local',
                'mve_printer_model': p['model'], 'mve_printer_serial': p['serial'],
                # printer_port_access credentials (use Ansible Vault for real printers)
                'mve_printer_https_username': ews_credentials(p)['username'],
                'mve_printer_https_password': ews_credentials(p)['password']} for p in printers}},
            'remote_site': {'hosts': {REMOTE_NAME: {
                'ansible_host': NS_ADDR, 'ansible_connection': 'local',
                'mve_lab_dropped_flows': list(REMOTE_DROPPED_FLOWS),
                'mve_lab_closed_tcp_port': REMOTE_CLOSED_TCP_PORT}}},
        },
    }}
    if services:
        # The shape of roles/mve_dependencies' options; playbooks/site.yml passes them to the role.
        doc['all']['vars']['mve_lab_features'] = features
        doc['all']['vars']['mve_lab_dependencies'] = lab_dependencies(services)
    return doc


def write_inventory(lab, printers, remote, python, services=None, features=None):
    header = ('# printfleet.mve local lab inventory, written by lab/lab.py (do not edit: "up" rewrites it).\n'
              '# Printers are never connected to (ansible_connection: local is only a harmless default);\n'
              '# plays run on mve_servers and probe the printers over the network.\n'
              '# The SNMP communities and v3 keys, the printers\' web passwords (mve_printer_https_password) and\n'
              '# the passwords in mve_lab_dependencies are plain text\n'
              '# because the lab is disposable: real deployments keep such credentials in Ansible Vault.\n')
    doc = inventory_doc(lab, printers, remote, python, services, features)
    try:
        import yaml
        body = yaml.safe_dump(doc, default_flow_style=False, sort_keys=False, width=120)
    except ImportError:  # JSON is YAML too
        body = json.dumps(doc, indent=2) + '\n'
    with open(lab.inventory, 'w') as fh:
        fh.write(header + '---\n' + body)


# --------------------------------------------------------------------------- commands


def components(lab):
    out = []
    if os.path.isdir(lab.run):
        for name in sorted(os.listdir(lab.run)):
            if name.endswith('.pid'):
                out.append(name[:-4])
    return out


def cmd_down(lab, quiet=False):
    if not os.path.isdir(lab.dir):
        if not quiet:
            say('lab %s: nothing to stop (no such directory)' % lab.dir)
        return 0
    stopped = 0
    for component in components(lab):
        pidfile = lab.pidfile(component)
        pid = read_pid(pidfile)
        if pid and stop_pid(pid, lab):
            stopped += 1
        try:
            os.unlink(pidfile)
        except OSError:
            pass
    remote_note = ''
    if os.geteuid() == 0:
        owner = remote_owner()
        if owner == lab.dir or (owner is None and netns_exists()
                                and os.path.exists(lab.remote_status)):
            remote_teardown(lab, force=True)
            remote_note = ', removed netns %s' % NETNS
        elif owner:
            remote_note = ', netns %s belongs to the lab in %s (left alone)' % (NETNS, owner)
    if not quiet:
        remote_note += remove_lab_firewall_table(lab)
    for path in (lab.sim_status, lab.remote_sim_status, lab.mail_status, lab.windows_state):
        if os.path.exists(path):
            os.unlink(path)
    info = read_json(lab.info)
    if info:
        info['state'] = 'down'
        write_json(lab.info, info)
    if not quiet:
        done = 'stopped %d process(es)' % stopped if stopped else 'already down'
        say('lab %s: %s%s' % (lab.dir, done, remote_note))
    return 0


def cmd_up(lab, count, first_address, python, remote_site=True, services_address=DEFAULT_SERVICES_ADDRESS):
    """``services_address``: the first of the services' four addresses, or None for none."""
    pm = load_port_matrix()
    printers = plan_printers(count, first_address)
    services = plan_services(pm, services_address, printers) if services_address else None
    if any(pid_is_ours(read_pid(lab.pidfile(c)) or 0, lab) for c in components(lab)):
        say('lab %s is up: restarting it' % lab.dir)
    cmd_down(lab, quiet=True)
    lab.make()
    raise_nofile(max(4096, 16 * count + 1024))
    started = time.time()
    try:
        return _up(lab, pm, printers, python, started, remote_site, services)
    except LabError as exc:
        say('lab up failed: %s' % exc)
        if any(text in str(exc) for text in ('in use', 'opening specified endpoint', 'Address already')):
            say('another lab (or service) holds these addresses: see `lab.py status --dir OTHER_DIR`, '
                'or choose other ones with --first-address / --services-address')
        say('stopping what was started (logs stay in %s)' % lab.logs)
        cmd_down(lab, quiet=True)
        return 1


def _up(lab, pm, printers, python, started, remote_site=True, services=None):
    ca = ensure_ca(lab)
    ports = printer_ports(pm)
    snmp_port = pm.get_flow('printer.snmp')['destination_port']
    raw_port = pm.get_flow('printer.raw')['destination_port']
    wanted = {p['name'] + '.json' for p in printers}
    for stale in os.listdir(lab.printers):
        if stale.endswith('.json') and stale not in wanted:
            os.unlink(os.path.join(lab.printers, stale))
    for stale in os.listdir(lab.certs):
        os.unlink(os.path.join(lab.certs, stale))
    for stale in os.listdir(lab.snmp):
        shutil.rmtree(os.path.join(lab.snmp, stale), ignore_errors=True)

    # MVE's dependencies start in threads while the printers come up; _up waits for them before it returns
    # or fails, so that `down` finds every PID file.
    futures = services_start(lab, ca, services, python) if services else {}
    try:
        sim = _printers_up(lab, ca, printers, python, ports, snmp_port, raw_port)
    finally:
        concurrent.futures.wait(futures.values())
    if services:
        services_wait(services, futures)
    shared = len(printers) >= SHARED_SNMPD_FROM
    remote = remote_up(lab, pm, ca, python, wanted=remote_site)
    write_json(lab.remote_status, remote)
    features = lab_features(pm) if services else None
    write_inventory(lab, printers, remote, python, services, features)
    write_ansible_cfg(lab)
    info = {
        'state': 'up',
        'dir': lab.dir,
        'inventory': lab.inventory,
        'ca': lab.ca,
        'python': python,
        'started': started,
        'printers': [dict({k: p[k] for k in ('name', 'address', 'model', 'serial', 'state_file', 'cert')},
                          ews=ews_credentials(p)) for p in printers],
        'ports': ports,
        'snmp': {'port': snmp_port, 'community': SNMP_COMMUNITY, 'write_community': SNMP_WRITE_COMMUNITY,
                 'v3_users': [{k: v for k, v in u.items() if k != 'netsnmp'} for u in SNMP_V3_USERS],
                 'shared_agent': shared, 'sys_descr': {p['name']: sys_descr(p) for p in printers}},
        'remote': remote,
        'simulator': {'pid': sim['pid'], 'listeners': sim['listeners']},
        'services': services_info(services, features),
    }
    write_json(lab.info, info)
    say('lab %s: up in %.1fs' % (lab.dir, time.time() - started))
    say('  printers: %d on %s..%s, %d simulator listeners, %s' % (
        len(printers), printers[0]['address'], printers[-1]['address'], sim['listeners'],
        'shared snmpd agents' if shared else 'one snmpd each'))
    if remote['available']:
        say('  remote site: %s at %s (netns %s, nft table %s)' % (REMOTE_NAME, NS_ADDR, NETNS, remote['nft_table']))
    else:
        say('  remote site: UNAVAILABLE: %s' % remote.get('reason'))
    if services:
        for svc in services.values():
            say('  %-9s %-10s %-20s %s (%.1fs)' % (svc['name'], svc['address'], svc['dns_name'], ', '.join(
                '%s %s/%d' % (f, v['transport'], v['port']) for f, v in sorted(svc['flows'].items())),
                svc['started_in_s']))
    else:
        say('  services: none (--no-services)')
    say('  MVE servers: mve01 (this machine, Linux) and %s (a SIMULATED Windows server: lab/windows/host.py)'
        % WINDOWS_NAME)
    say('  inventory: %s' % lab.inventory)
    say('  ansible.cfg: %s (ANSIBLE_CONFIG= to run site.yml from this checkout)' % lab.ansible_cfg)
    say('  CA: %s' % lab.ca)
    return 0


def _printers_up(lab, ca, printers, python, ports, snmp_port, raw_port):
    """Printer state files, certificates, snmpd agents and the simulator; returns the simulator's status."""
    sim_printers = []
    for p in printers:
        state_file = os.path.join(lab.printers, p['name'] + '.json')
        write_json(state_file, state_doc(p, ports))
        cert, key = issue_cert(lab, ca, p['name'], p['address'])
        p.update(state_file=state_file, cert=cert, key=key)
        sim_printers.append(sim_printer_config(lab, p, cert, key, state_file, raw_port))
    write_json(lab.sim_config, {'tag': 'loopback', 'status_file': lab.sim_status, 'printers': sim_printers})

    # SNMP agents first: the simulator never binds UDP 161.
    shared = len(printers) >= SHARED_SNMPD_FROM
    if shared:
        for n, chunk in enumerate(snmpd_chunks([p['address'] for p in printers], snmp_port), 1):
            fleet = dict(printers[0], name='printfleet-lab-%02d' % n, index=0)
            start_snmpd(lab, 'snmpd-shared-%02d' % n, fleet, chunk, snmp_port)
    else:
        for p in printers:
            start_snmpd(lab, 'snmpd-' + p['name'], p, [p['address']], snmp_port)

    if os.path.exists(lab.sim_status):
        os.unlink(lab.sim_status)
    proc = spawn([python, SIM_PATH, '--config', lab.sim_config], lab.log('sim'), pidfile=lab.pidfile('sim'))
    sim = wait_sim(lab, proc, lab.sim_status, 'sim')

    answers = snmp_ping([p['address'] for p in printers], snmp_port, timeout=20)
    silent = sorted(a for a, v in answers.items() if v is None)
    if silent:
        raise LabError('snmpd does not answer on %d address(es): %s' % (len(silent), ', '.join(silent[:10])))
    return sim


def gather_status(lab):
    info = read_json(lab.info) or {}
    procs = {}
    for component in components(lab):
        pid = read_pid(lab.pidfile(component))
        procs[component] = {'pid': pid, 'running': bool(pid and pid_is_ours(pid, lab))}
    out = {'dir': lab.dir, 'processes': procs, 'printers': len(info.get('printers', []))}
    sim = read_json(lab.sim_status)
    if sim:
        out['simulator'] = {k: sim.get(k) for k in ('pid', 'generation', 'listeners', 'errors')}
    printers = info.get('printers', [])
    if printers and info.get('state') == 'up':
        sample = printers if len(printers) <= 20 else printers[:10] + printers[-10:]
        answers = snmp_ping([p['address'] for p in sample], info['snmp']['port'], timeout=3)
        out['snmp'] = {p['name']: answers.get(p['address']) for p in sample}
    remote = read_json(lab.remote_status) or {'available': False, 'reason': 'lab never started'}
    owner = remote_owner()
    remote_state = dict(remote)
    remote_state['netns_present'] = netns_exists()
    remote_state['owner'] = owner
    if remote.get('available'):
        if owner and owner != lab.dir:
            remote_state.update(available=False, reason='netns %s now belongs to the lab in %s' % (NETNS, owner))
        elif not netns_exists() or not owner:
            remote_state.update(available=False, reason='netns %s is gone' % NETNS)
        else:
            table = run(['ip', 'netns', 'exec', NETNS, 'nft', 'list', 'table', 'inet', NFT_TABLE], check=False)
            remote_state['nft_table_present'] = table.returncode == 0
            if table.returncode != 0:
                remote_state.update(available=False, reason='nft table inet %s is missing' % NFT_TABLE)
    out['remote'] = remote_state
    out['services'] = services_status(info, procs)
    services_ok = all(svc.get('ok') for svc in out['services'].get('endpoints', {}).values())
    running = [c for c, p in procs.items() if p['running']]
    snmp_ok = all(v is not None for v in out.get('snmp', {}).values())
    if not running:
        out['state'] = 'down'
    elif len(running) == len(procs) and snmp_ok and services_ok and (not sim or not sim.get('errors')):
        out['state'] = 'up'
    else:
        out['state'] = 'degraded'
    return out


def services_status(info, procs):
    """Each service of lab.json: its process, and whether each of its ports accepts a TCP connection (the
    KDC serves its UDP port over TCP too)."""
    services = info.get('services') or {'available': False, 'reason': 'lab never started'}
    if not services.get('available'):
        return {'available': False, 'reason': services.get('reason')}
    from lab.servers import tcp_open
    up = info.get('state') == 'up'
    endpoints = {}
    for name, svc in sorted(services['endpoints'].items()):
        ports = {flow_id: {'port': flow['port'], 'transport': flow['transport'],
                           'tcp_open': bool(up and tcp_open(svc['address'], flow['port'], 1.0))}
                 for flow_id, flow in sorted(svc['flows'].items())}
        running = procs.get(svc['component'], {}).get('running', False)
        endpoints[name] = {'address': svc['address'], 'component': svc['component'], 'running': running,
                           'ports': ports, 'ok': running and all(p['tcp_open'] for p in ports.values())}
    return {'available': True, 'endpoints': endpoints}


def cmd_status(lab, as_json=False):
    st = gather_status(lab)
    if as_json:
        print(json.dumps(st, indent=2, sort_keys=True))
    else:
        say('lab %s: %s' % (lab.dir, st['state']))
        for component, p in sorted(st['processes'].items()):
            say('  %-22s pid %-8s %s' % (component, p['pid'], 'running' if p['running'] else 'NOT RUNNING'))
        if 'simulator' in st:
            s = st['simulator']
            say('  simulator: generation %s, %s listeners, %d errors' % (
                s['generation'], s['listeners'], len(s.get('errors') or {})))
        for name, value in sorted(st.get('snmp', {}).items()):
            say('  snmp %-12s %s' % (name, 'sysName=%s' % value if value is not None else 'NO ANSWER'))
        r = st['remote']
        if r.get('available'):
            say('  remote site: up, %s at %s (netns %s, table %s)' % (r['name'], r['address'], NETNS, r['nft_table']))
        else:
            say('  remote site: unavailable (%s)' % r.get('reason'))
        services = st['services']
        if not services.get('available'):
            say('  services: none (%s)' % services.get('reason'))
        for name, svc in sorted(services.get('endpoints', {}).items()):
            say('  service %-9s %-10s %-8s %s: %s' % (
                name, svc['address'], svc['component'], 'up' if svc['ok'] else 'DOWN', ', '.join(
                    '%s %s/%d %s' % (f, p['transport'], p['port'], 'open' if p['tcp_open'] else 'NOT OPEN')
                    for f, p in sorted(svc['ports'].items()))))
    return {'up': 0, 'degraded': 1}.get(st['state'], 3)


def cmd_reload(lab, timeout=60.0):
    """SIGHUP the simulators and wait until they re-read the state files."""
    targets = []
    for component, status_file in (('sim', lab.sim_status), ('remote-sim', lab.remote_sim_status)):
        pid = read_pid(lab.pidfile(component))
        if pid and pid_is_ours(pid, lab):
            generation = (read_json(status_file) or {}).get('generation', 0)
            os.kill(pid, signal.SIGHUP)
            targets.append((component, status_file, generation))
    if not targets:
        say('lab %s: no simulator running' % lab.dir)
        return 3
    deadline = time.time() + timeout
    for component, status_file, generation in targets:
        while time.time() < deadline:
            status = read_json(status_file) or {}
            if status.get('generation', 0) > generation:
                say('%s: generation %d, %d listeners, %d errors' % (
                    component, status['generation'], status['listeners'], len(status.get('errors') or {})))
                break
            time.sleep(0.05)
        else:
            say('%s did not reload within %ds' % (component, timeout))
            return 1
    return 0


DRIFT_CONTACT = 'someone-else@example.com'


def cmd_drift(lab, index=1):
    """Change a printer's sysContact over SNMP behind the collection's back (the demo's drift)."""
    info = read_json(lab.info)
    if not info or info.get('state') != 'up':
        raise LabError('the lab in %s is not up' % lab.dir)
    printers = info['printers']
    if not 1 <= index <= len(printers):
        raise LabError('--printer: got %d, expected 1..%d' % (index, len(printers)))
    printer = printers[index - 1]
    proc = subprocess.run(['snmpset', '-v2c', '-c', SNMP_WRITE_COMMUNITY, '-t', '1', '-r', '2',
                           '%s:%d' % (printer['address'], info['snmp']['port']), OID_SYS_CONTACT, 's', DRIFT_CONTACT],
                          capture_output=True, text=True, env=dict(os.environ, MIBS=''), check=False)
    if proc.returncode != 0:
        raise LabError('snmpset on %s failed: %s' % (printer['address'], proc.stderr.strip()))
    say('lab drift: %s (%s) sysContact is now %r, set over SNMP behind the collection\'s back'
        % (printer['name'], printer['address'], DRIFT_CONTACT))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description='printfleet.mve local lab')
    sub = parser.add_subparsers(dest='command', required=True)
    up = sub.add_parser('up', help='start (or restart) the lab')
    up.add_argument('--dir', required=True)
    up.add_argument('--printers', type=int, default=3)
    up.add_argument('--first-address', default=DEFAULT_FIRST_ADDRESS)
    up.add_argument('--no-remote', dest='remote_site', action='store_false',
                    help='do not create the remote site (its netns is one per machine; benchmarks and '
                         'scenarios that run beside another lab leave it out)')
    up.add_argument('--services-address', default=DEFAULT_SERVICES_ADDRESS,
                    help="first of four loopback addresses for MVE's dependencies: database, mail, directory, "
                         'KDC (default %(default)s)')
    up.add_argument('--no-services', dest='services', action='store_false',
                    help="do not start MVE's dependencies (the inventory then has no mve_lab_dependencies)")
    up.add_argument('--python', default=None,
                    help='Python for the simulator and ansible_python_interpreter (default: the repo venv)')
    for name, text in (('down', 'stop the lab'), ('status', 'show the lab state'),
                       ('reload', 'make the simulators re-read the printer state files')):
        p = sub.add_parser(name, help=text)
        p.add_argument('--dir', required=True)
        if name == 'status':
            p.add_argument('--json', action='store_true')
    drift = sub.add_parser('drift', help="change one printer's sysContact over SNMP (the demo's drift)")
    drift.add_argument('--dir', required=True)
    drift.add_argument('--printer', type=int, default=1, help='which printer, 1-based (default 1)')
    args = parser.parse_args(argv)
    lab = Layout(args.dir)
    os.environ['MIBS'] = ''
    os.environ['PFMVE_LAB_DIR'] = lab.dir   # marks the lab's daemons (pid_is_ours)
    try:
        if args.command == 'up':
            python = os.path.abspath(args.python) if args.python else venv_python()
            return cmd_up(lab, args.printers, args.first_address, python, remote_site=args.remote_site,
                          services_address=args.services_address if args.services else None)
        if args.command == 'down':
            return cmd_down(lab)
        if args.command == 'status':
            return cmd_status(lab, as_json=args.json)
        if args.command == 'drift':
            return cmd_drift(lab, args.printer)
        return cmd_reload(lab)
    except LabError as exc:
        say('lab %s: %s' % (args.command, exc))
        return 1


if __name__ == '__main__':
    sys.exit(main())
