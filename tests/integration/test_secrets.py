"""No secret of the lab's inventory leaves a run: site.yml and compliance.yml at -vvvv, passing and failing.

Every password, SNMP write community, SNMPv3 key and printer web password the lab's inventory holds (found by
walking inventory.yml and lab.json for keys named like a secret, and listed explicitly below) must not appear
in any form a reader could undo (as it is, URL-encoded, hex, base64 at each of its three alignments, hex of that
base64: the shapes they take on the wire and in relay payloads) in what a run leaves behind: stdout, stderr, the
ANSIBLE_LOG_PATH file, the compliance report, the Windows step recordings (PFMVE_WINDOWS_RECORD_DIR), and every
byte written under the lab directory, build/ansible-tmp and build/ansible-home during the run.

The runs: site.yml and compliance.yml on the lab as it is (they pass), then three failing runs on inventory
copies with wrong credentials (the error paths): site.yml with wrong database, mail and directory passwords for
mve01 while the simulated Windows server mvewin01 answers the relay step that sends the mail AUTH and the
directory bind with an error quoting the data it was sending (``pfmve_simwin_fault_on``,
lab/plugins/connection/pfmve_simwin.py: remote error text must be masked too); compliance.yml with those and a
wrong web password for a printer; site.yml on mve01 with a wrong SNMP write community.

``public``, the lab's read community, is not scanned: it is SNMP's default and a common word (the Windows
firewall's Public profile, "public key" ...), so finding it would prove nothing. The write community ``private``
is a common word as well (the Windows firewall's Private profile, ``"name": "private"`` in its results): it is
scanned where it stands as the value of a key named like a secret (``community: private``, ``"write_community":
"private"``, ``password=private``) or after net-snmp's ``-c``, and in its encoded forms; the failing runs give
mve01 a write community that is not a word, so that every path the write community takes is scanned in full.
"""
import base64
import json
import os
import re
import shutil
from urllib.parse import quote, quote_plus

import pytest
import yaml

from labtools import ROOT, run_playbook

SITE = os.path.join(ROOT, 'playbooks', 'site.yml')
COMPLIANCE = os.path.join(ROOT, 'playbooks', 'compliance.yml')
WATCHED_DIRS = (os.path.join(ROOT, 'build', 'ansible-tmp'), os.path.join(ROOT, 'build', 'ansible-home'))

# Keys whose string values are secrets (paths to key files and the like excluded below).
SECRET_KEY = re.compile(r'pass(word|wd|phrase)?|community|(^|_)key$|secret|token|credential', re.I)
# The lab's credentials (lab/lab.py), listed as well so that a walk that missed one cannot pass silently; the
# last ones are not in the inventory (the LDAP root, the KDC master and principal passwords) and must not
# show up either.
EXPLICIT = (
    'private',
    'mveauthpass1', 'mveprivpass1', 'mvemd5pass1', 'mvemd5priv1', 'mvesha512pass1', 'mvesha512priv1',
    'Lab-Firebird-Pa55', 'Lab-Smtp-Pa55', 'Lab-Ldap-Bind-Pa55',
    'Lab-Ldap-Root-Pa55', 'Lab-Kdc-Master-Pa55', 'Lab-Krb-Mve-Pa55', 'Lab-Krb-Nopreauth-Pa55',
)
COMMON_WORDS = {'public'}           # not scanned (see the module docstring)
WORD_SECRETS = {'private'}          # scanned where they stand as a value
# The failing runs' wrong credentials (mve01 only): secrets as much as the right ones.
WRONG = {
    'ews': 'Wrong-Ews-Pa55-q7Z',
    'database': 'Wrong-Firebird-Pa55-k2M',
    'smtp': 'Wrong-Smtp-Pa55-x9T',
    'ldap': 'Wrong-Ldap-Pa55-w4R',
    'write_community': 'Wrong-Rw-Community-j3N',
    'v3_auth_key': 'Wrong-Auth-Key-p8L',
}
FAULT_MARKER = 'simulated fault on the Windows host'


def walk_secrets(node, key=''):
    """Every string value under a key named like a secret (not a path: key files, password files)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk_secrets(v, str(k))
    elif isinstance(node, list):
        for v in node:
            yield from walk_secrets(v, key)
    elif isinstance(node, str) and node and SECRET_KEY.search(key) and not key.endswith(('_file', '_path')) \
            and not node.startswith('/'):
        yield node


def lab_secrets(lab):
    with open(lab['inventory']) as fh:
        inventory = yaml.safe_load(fh)
    found = set(walk_secrets(inventory)) | set(walk_secrets(lab))
    return sorted((found | set(EXPLICIT)) - COMMON_WORDS)


def forms(secret):
    """The readable shapes of ``secret``: itself, URL-encoded, hex, base64 at each alignment (the characters
    that depend only on the secret) and the hex of those (relay payloads carry sent bytes as hex)."""
    raw = secret.encode('utf-8')
    out = {secret, quote(secret, safe=''), quote_plus(secret), json.dumps(secret)[1:-1], raw.hex(), raw.hex().upper()}
    for pad in range(3):
        enc = base64.b64encode(b'\0' * pad + raw).decode('ascii').rstrip('=')
        start = (pad * 4 + 2) // 3
        end = len(enc) - (1 if (pad + len(raw)) % 3 else 0)
        if end - start >= 8:
            b64 = enc[start:end]
            out.update((b64, b64.encode('ascii').hex(), b64.encode('ascii').hex().upper()))
    return out


def word_pattern(word):
    """``word`` standing as the value of a key named like a secret (JSON, YAML, Python repr, key=value), or
    after the -c of net-snmp's tools."""
    w = re.escape(word)
    return re.compile(r"""((pass\w*|community|key|secret)["']?\s*[:=]\s*["']?%s\b|-c\s+["']?%s\b)""" % (w, w),
                      re.I)


def find_leaks(secrets, blobs):
    """[(where, secret, form, context)] for every form of every secret found in ``blobs`` ((where, text))."""
    checks = []
    for secret in secrets:
        if secret in WORD_SECRETS:
            checks.append((secret, 'as a value', word_pattern(secret)))
            checks.extend((secret, form, re.compile(re.escape(form))) for form in forms(secret) if form != secret)
        else:
            checks.extend((secret, form, re.compile(re.escape(form))) for form in forms(secret))
    leaks = []
    for where, text in blobs:
        for secret, form, pattern in checks:
            for match in pattern.finditer(text):
                leaks.append((where, secret, form, text[max(0, match.start() - 100):match.end() + 100]))
                break
    return leaks


def report(leaks, limit=25):
    return '\n'.join('%s: %r (as %r) in ...%s...' % (where, secret, form, context.replace('\n', ' | '))
                     for where, secret, form, context in leaks[:limit]) + (
        '\n... and %d more' % (len(leaks) - limit) if len(leaks) > limit else '')


def snapshot(roots):
    """path -> (inode, size, mtime_ns) of every file under ``roots``."""
    out = {}
    for root in roots:
        for base, _dirs, files in os.walk(root):
            for name in files:
                path = os.path.join(base, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                out[path] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return out


def written_since(before, roots):
    """(path, text) of what was written under ``roots`` since ``before``: new or rewritten files in full, the
    appended part of a file that grew (a log)."""
    out = []
    for path, (ino, size, mtime) in snapshot(roots).items():
        old = before.get(path)
        if old == (ino, size, mtime):
            continue
        offset = old[1] if old and old[0] == ino and size >= old[1] else 0
        try:
            with open(path, 'rb') as fh:
                fh.seek(offset)
                data = fh.read()
        except OSError:
            continue
        out.append((path, data.decode('utf-8', 'replace')))
    return out


def tree_text(root):
    """(path, text) of a file, or of every file under a directory."""
    root = str(root)
    if os.path.isfile(root):
        with open(root, 'rb') as fh:
            return [(root, fh.read().decode('utf-8', 'replace'))]
    return written_since({}, [root])


def run_scanned(lab, playbook, inventory, tmp_path, name, extra_vars=None, env_dirs=(), args=()):
    """ansible-playbook -vvvv with a log file; returns (proc, [(where, text)] of everything it left)."""
    log = tmp_path / ('%s.log' % name)
    records = tmp_path / ('%s-records' % name)
    roots = [lab['dir']] + list(WATCHED_DIRS)
    before = snapshot(roots)
    if extra_vars:
        # From a file, as a user passes secrets (-vvvv prints ansible-playbook's command line).
        path = tmp_path / ('%s-extra-vars.json' % name)
        path.write_text(json.dumps(extra_vars))
        args = ['-e', '@%s' % path] + list(args)
    proc = run_playbook(playbook, inventory, check=False, timeout=300, args=['-vvvv'] + list(args),
                        env={'ANSIBLE_LOG_PATH': str(log), 'PFMVE_WINDOWS_RECORD_DIR': str(records)})
    blobs = [(name + ' stdout', proc.stdout), (name + ' stderr', proc.stderr)]
    assert log.exists(), 'ANSIBLE_LOG_PATH was not written'
    blobs += tree_text(log) + tree_text(records) + written_since(before, roots)
    for d in env_dirs:
        blobs += tree_text(d)
    return proc, blobs


def port_check_v3(user, auth_key=None):
    """Extra vars that make mve_port_check probe SNMP as ``user`` (an entry of the inventory's
    mve_snmp_v3_users): the SNMPv3 keys then travel through port_check on both MVE servers."""
    return {'mve_port_check_snmp_version': '3', 'mve_port_check_snmp_username': user['username'],
            'mve_port_check_snmp_auth_protocol': user['auth_protocol'],
            'mve_port_check_snmp_auth_key': auth_key or user['auth_key'],
            'mve_port_check_snmp_priv_protocol': user['priv_protocol'], 'mve_port_check_snmp_priv_key': user['priv_key']}


def v3_users(lab):
    with open(lab['inventory']) as fh:
        return yaml.safe_load(fh)['all']['vars']['mve_snmp_v3_users']


def failing_inventory(lab, tmp_path, name, dependencies=False, ews=False, write_community=False):
    """A copy of the lab inventory (and its ansible.cfg) with wrong credentials: with ``dependencies`` mve01's
    database, mail and directory passwords (and mvewin01 a fault on the mail AUTH and the directory bind), with
    ``ews`` the second printer's web password, with ``write_community`` mve01's SNMP write community."""
    with open(lab['inventory']) as fh:
        doc = yaml.safe_load(fh)
    servers = doc['all']['children']['mve_servers']['hosts']
    if dependencies:
        deps = json.loads(json.dumps(doc['all']['vars']['mve_lab_dependencies']))
        deps['database']['password'] = WRONG['database']
        deps['smtp']['password'] = WRONG['smtp']
        deps['ldap']['bind_password'] = WRONG['ldap']
        servers['mve01']['mve_lab_dependencies'] = deps
        # The directory bind and the mail AUTH fail on mvewin01 with an error quoting the data being sent.
        servers['mvewin01']['pfmve_simwin_fault_on'] = ['AUTH ', deps['ldap']['bind_dn']]
    if ews:
        hosts = doc['all']['children']['printers']['hosts']
        hosts[sorted(hosts)[1]]['mve_printer_https_password'] = WRONG['ews']
    if write_community:
        servers['mve01']['mve_snmp_write_community'] = WRONG['write_community']
    work = tmp_path / name
    work.mkdir()
    shutil.copy(os.path.join(lab['dir'], 'ansible.cfg'), str(work / 'ansible.cfg'))
    path = work / 'inventory.yml'
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


@pytest.fixture(scope='module')
def secrets(lab):
    found = lab_secrets(lab)
    # The walk found the inventory's secrets, not just the explicit list.
    for printer in lab['printers']:
        assert printer['ews']['password'] in found
    assert 'mveprivpass1' in found and 'Lab-Smtp-Pa55' in found
    return found


def test_the_scanner_finds_every_form(secrets, lab):
    with open(lab['inventory']) as fh:
        inventory = fh.read()
    found = {secret for _where, secret, _form, _ctx in find_leaks(secrets, [('inventory', inventory)])}
    assert found >= set(walk_secrets(yaml.safe_load(inventory))) - COMMON_WORDS
    smtp_plain = base64.b64encode(b'\0mve\0Lab-Smtp-Pa55').decode()
    for text in (smtp_plain, 'AUTH PLAIN ' + smtp_plain, ('AUTH PLAIN %s\r\n' % smtp_plain).encode().hex(),
                 quote('x=Lab-Ews-printer01-Pa55&'), b'\x04\x12Lab-Ldap-Bind-Pa55'.hex(), "community: 'private'",
                 '"write_community": "private"', "{'community': 'private'}", 'snmpset -c private'):
        assert find_leaks(secrets, [('sample', text)]), text
    assert not find_leaks(secrets, [('sample', 'profiles: [domain, private]; "name": "private", the Private profile')])


def test_no_secret_in_passing_runs(lab, collection_installed, secrets, tmp_path):
    proc, blobs = run_scanned(lab, SITE, lab['inventory'], tmp_path, 'site')
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' in proc.stdout   # -vvvv shows the invocations
    assert list((tmp_path / 'site-records').glob('*-relay.json')), 'mvewin01 recorded no relay step'
    assert any(where.startswith(lab['dir'] + os.sep) for where, _text in blobs), 'nothing written in the lab dir?'
    leaks = find_leaks(secrets, blobs)
    report_dir = tmp_path / 'report'
    proc, blobs = run_scanned(lab, COMPLIANCE, lab['inventory'], tmp_path, 'compliance',
                              extra_vars={'mve_compliance_report_dir': str(report_dir)}, env_dirs=[report_dir])
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert (report_dir / 'compliance.html').exists()
    leaks += find_leaks(secrets, blobs)
    assert not leaks, report(leaks)


def test_no_secret_in_failing_runs(lab, collection_installed, secrets, tmp_path):
    """Three failing runs, each taking error paths the others cannot: a failed fleet task (run_once) of
    mve_printers takes the other MVE server out of the later plays (ansible/ansible#87308), and a failed SNMP
    write stops the role before the web-server step."""
    wrong = secrets + sorted(WRONG.values())
    users = v3_users(lab)
    # site.yml: the dependency checks fail on both MVE servers (wrong passwords on mve01, the remote error on
    # mvewin01); the port check probes SNMP with a v3 user's keys.
    proc, blobs = run_scanned(lab, SITE, failing_inventory(lab, tmp_path, 'inventory-a', dependencies=True),
                              tmp_path, 'site-failing', extra_vars=port_check_v3(users[0]))
    assert proc.returncode != 0
    assert proc.stdout.count(FAULT_MARKER) >= 2, 'the fault on mvewin01 did not happen'
    for text in ('AUTH PLAIN failed', 'invalidCredentials', 'rejected the user name or password'):
        assert text in proc.stdout, text
    leaks = find_leaks(wrong, blobs)
    # compliance.yml: a printer's web server refuses the login, mve01's dependencies refuse theirs.
    report_dir = tmp_path / 'report-failing'
    proc, blobs = run_scanned(lab, COMPLIANCE,
                              failing_inventory(lab, tmp_path, 'inventory-b', dependencies=True, ews=True), tmp_path,
                              'compliance-failing', extra_vars={'mve_compliance_report_dir': str(report_dir)},
                              env_dirs=[report_dir])
    assert proc.returncode != 0
    assert 'login refused by the printer' in proc.stdout
    with open(str(report_dir / 'compliance.json')) as fh:
        summary = json.load(fh)['summary']
    assert summary['kinds']['dependency']['drifted'] + summary['kinds']['dependency']['error'] >= 3, summary
    leaks += find_leaks(wrong, blobs)
    # site.yml on mve01: the printers refuse the SNMP write community, and the v3 probes a wrong auth key.
    proc, blobs = run_scanned(lab, SITE, failing_inventory(lab, tmp_path, 'inventory-c', write_community=True),
                              tmp_path, 'site-write-community', args=['--limit', 'mve01'],
                              extra_vars=port_check_v3(users[-1], auth_key=WRONG['v3_auth_key']))
    assert proc.returncode != 0
    assert 'wrong community' in proc.stdout and 'digest' in proc.stdout.lower()
    leaks += find_leaks(wrong, blobs)
    assert not leaks, report(leaks)
