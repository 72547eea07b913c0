"""printfleet.mve.printer_port_access against the lab's simulated printers, through Ansible, end to end.

A small lab of its own (two printers on 127.0.7.1-2, no remote site, no services: away from the session lab of
conftest.py) so that switching ports never disturbs the other tests. printer01 has a user name and password login
form, printer02 a password-only one; both shuffle their checkbox numbers. The module runs on the lab inventory's
printer hosts with the credentials the inventory holds; port_check (``ansible localhost -m
printfleet.mve.port_check``) then sees the port closed or open for real. "Nothing posted" is proven by the
simulator's count of taken forms (its status file) and by the state files.
"""
import glob
import json
import os

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix

from labtools import BIN, PYTHON, ROOT, ansible_env, lab_command, tail

FIRST_ADDRESS = '127.0.7.1'
COLLECTIONS = os.path.join(ROOT, 'build', 'collections')
FTP = 'tcp/%d' % port_matrix.get_flow('printer.ftp')['destination_port']
HTTPS = 'tcp/%d' % port_matrix.get_flow('printer.https')['destination_port']
NPAP = 'udp/%d' % port_matrix.get_flow('printer.npap')['destination_port']
# Every printer protocol but FTP: disabling FTP passes the guard rail.
NO_FTP = {'printer_protocols': [p for p in port_matrix.PRINTER_PROTOCOLS if p != 'ftp']}


@pytest.fixture(scope='module')
def installed():
    """Build and install this work tree's collection (build/dist-ews -> build/collections)."""
    import subprocess
    dist = os.path.join(ROOT, 'build', 'dist-ews')
    build = subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path',
                            dist, '.'], cwd=ROOT, capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    tarball = sorted(glob.glob(os.path.join(dist, 'printfleet-mve-*.tar.gz')), key=os.path.getmtime)[-1]
    install = subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--force', '-p',
                              COLLECTIONS, tarball], cwd=ROOT, capture_output=True, text=True, check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    return COLLECTIONS


@pytest.fixture(scope='module')
def ews_lab(tmp_path_factory, installed):
    lab_dir = str(tmp_path_factory.mktemp('ews-lab'))
    proc = lab_command('up', '--dir', lab_dir, '--printers', '2', '--first-address', FIRST_ADDRESS, '--no-remote',
                       '--no-services')
    if proc.returncode != 0:
        logs = os.path.join(lab_dir, 'logs')
        details = ''.join('\n--- %s ---\n%s' % (n, tail(os.path.join(logs, n)))
                          for n in sorted(os.listdir(logs))) if os.path.isdir(logs) else ''
        lab_command('down', '--dir', lab_dir)
        pytest.fail('the EWS lab did not come up:\n%s%s%s' % (proc.stdout, proc.stderr, details), pytrace=False)
    with open(os.path.join(lab_dir, 'lab.json')) as fh:
        info = json.load(fh)
    try:
        yield info
    finally:
        down = lab_command('down', '--dir', lab_dir)
        assert down.returncode == 0, down.stdout + down.stderr


def ansible(lab, host, module, args, *flags):
    """Ad-hoc ``ansible HOST -m printfleet.mve.MODULE -a ARGS``; returns (result, CompletedProcess).

    The result comes from the ``ansible.builtin.tree`` callback; ``failed`` from the exit code."""
    import subprocess
    tree = os.path.join(lab['dir'], 'tree')
    result_file = os.path.join(tree, host)
    if os.path.exists(result_file):
        os.remove(result_file)
    env = ansible_env(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_LOAD_CALLBACK_PLUGINS='1',
                      ANSIBLE_CALLBACKS_ENABLED='ansible.builtin.tree', ANSIBLE_CALLBACK_TREE_DIR=tree)
    if host == 'localhost':
        inventory = ['-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=%s' % PYTHON]
    else:
        inventory = ['-i', lab['inventory']]
    cmd = [os.path.join(BIN, 'ansible'), host] + inventory + ['-m', 'printfleet.mve.' + module,
                                                              '-a', json.dumps(args)] + list(flags)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)
    try:
        with open(result_file) as fh:
            result = json.load(fh)
    except (OSError, ValueError):
        raise AssertionError('ansible gave no result (exit %d): %s %s' % (proc.returncode, proc.stdout[-3000:],
                                                                          proc.stderr[-3000:]))
    result['failed'] = proc.returncode != 0
    return result, proc


def access(lab, printer, ports, *flags, **more):
    """printer_port_access on a printer host of the lab inventory, with the inventory's credentials."""
    args = dict({'host': '{{ ansible_host }}', 'username': '{{ mve_printer_https_username }}',
                 'password': '{{ mve_printer_https_password }}', 'ca_path': '{{ mve_lab_ca_path }}',
                 'features': NO_FTP, 'ports': ports, 'timeout': 5}, **more)
    return ansible(lab, printer['name'], 'printer_port_access', args, *flags)


def port_state(lab, printer, key):
    transport, port = key.split('/')
    result, proc = ansible(lab, 'localhost', 'port_check', {
        'targets': [{'host': printer['address'], 'port': int(port), 'transport': transport}],
        'timeout': 1.0, 'retries': 0})
    assert not result['failed'], proc.stdout[-3000:]
    return result['results'][0]['state']


def state_file(printer):
    with open(printer['state_file']) as fh:
        return json.load(fh)


def posts(lab, printer):
    with open(os.path.join(lab['dir'], 'run', 'sim.status.json')) as fh:
        return json.load(fh).get('ews_posts', {}).get(printer['name'], 0)


def fingerprint(printer, colons=True, upper=True):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    with open(printer['cert'], 'rb') as fh:
        digest = x509.load_pem_x509_certificate(fh.read()).fingerprint(hashes.SHA256()).hex()
    digest = digest.upper() if upper else digest
    return ':'.join(digest[i:i + 2] for i in range(0, 64, 2)) if colons else digest


def test_lab_printers_have_both_login_kinds(ews_lab):
    assert [p['ews']['login'] for p in ews_lab['printers']] == ['form', 'password']


def test_disable_ftp_end_to_end_then_enable(ews_lab):
    p1, p2 = ews_lab['printers']
    assert port_state(ews_lab, p1, FTP) == 'open'
    before = state_file(p1)
    result, proc = access(ews_lab, p1, {FTP: 'disabled'}, '--diff')
    assert not result['failed'], proc.stdout[-3000:]
    assert result['changed'] is True
    assert [(c['port'], c['label'], c['before'], c['after']) for c in result['changes']] == [
        (FTP, 'TCP 21 (FTP)', 'enabled', 'disabled')]
    assert result['changes'][0]['field'].startswith('vac.255.GUIPORTENABLE.')
    assert result['login_kind'] == 'form'
    assert result['tls']['validated'] is True and result['tls']['pinned'] is False
    assert result['ports'][FTP] == 'disabled' and result['ports'][HTTPS] == 'enabled'
    assert result['verified'] is True and result['forced'] == {}
    assert port_state(ews_lab, p1, FTP) == 'closed'     # the simulator closed the listener for real
    assert port_state(ews_lab, p2, FTP) == 'open'       # the other printer is untouched
    after = state_file(p1)
    assert after['ports'][FTP]['enabled'] is False
    # every other field was posted back as it was: other ports and the page's unrelated settings
    assert {k: v['enabled'] for k, v in after['ports'].items() if k != FTP} == \
        {k: v['enabled'] for k, v in before['ports'].items() if k != FTP}
    assert after['ews_settings'] == {'vac.255.LOGPORTCHANGES': True, 'vac.255.PORTACCESSMODE': '1',
                                     'vac.255.PORTCOMMENT': 'printfleet.mve lab'}

    again, proc = access(ews_lab, p1, {FTP: 'disabled'})
    assert not again['failed'] and again['changed'] is False and again['changes'] == []

    back, proc = access(ews_lab, p1, {FTP: 'enabled', NPAP: 'enabled'})
    assert not back['failed'], proc.stdout[-3000:]
    assert back['changed'] is True and [c['port'] for c in back['changes']] == [FTP]
    assert port_state(ews_lab, p1, FTP) == 'open'
    again, proc = access(ews_lab, p1, {FTP: 'enabled', NPAP: 'enabled'})
    assert again['changed'] is False


def test_password_only_printer_and_check_mode_posts_nothing(ews_lab):
    p2 = ews_lab['printers'][1]
    count, state = posts(ews_lab, p2), state_file(p2)
    result, proc = access(ews_lab, p2, {FTP: 'disabled'}, '--check', '--diff', '-vvv')  # tree keeps diff from -vvv
    assert not result['failed'], proc.stdout[-3000:]
    assert result['changed'] is True and result['login_kind'] == 'password'
    assert result['diff']['before'][FTP] == 'enabled' and result['diff']['after'][FTP] == 'disabled'
    assert posts(ews_lab, p2) == count and state_file(p2) == state
    assert port_state(ews_lab, p2, FTP) == 'open'


def test_guard_rail_refuses_https_and_force_overrides(ews_lab):
    p2 = ews_lab['printers'][1]
    count = posts(ews_lab, p2)
    refused, proc = access(ews_lab, p2, {HTTPS: 'disabled'}, features={'printer_protocols': ['snmp', 'https']})
    assert refused['failed'] and refused['error_kind'] == 'guard_rail'
    assert 'printer.https' in refused['msg'] and refused['blocked'] == {HTTPS: ['printer.https']}
    checked, proc = access(ews_lab, p2, {HTTPS: 'disabled'}, '--check', force=True,
                           features={'printer_protocols': ['snmp', 'https']})
    assert not checked['failed'] and checked['changed'] is True
    assert checked['forced'] == {HTTPS: ['printer.https']} and 'verified' not in checked
    assert posts(ews_lab, p2) == count
    try:
        forced, proc = access(ews_lab, p2, {HTTPS: 'disabled'}, force=True,
                              features={'printer_protocols': ['snmp', 'https']})
        assert not forced['failed'], proc.stdout[-3000:]
        assert forced['changed'] is True and posts(ews_lab, p2) == count + 1
        assert forced['verified'] is False and forced['forced'] == {HTTPS: ['printer.https']}
        assert port_state(ews_lab, p2, HTTPS) == 'closed'
    finally:
        # The printer's web server is gone: re-enable it the way an operator at the panel would (state file),
        # and make the simulator re-read it.
        state = state_file(p2)
        state['ports'][HTTPS]['enabled'] = True
        with open(p2['state_file'], 'w') as fh:
            json.dump(state, fh)
        assert lab_command('reload', '--dir', ews_lab['dir']).returncode == 0
    assert port_state(ews_lab, p2, HTTPS) == 'open'


def test_login_refused_and_password_not_in_output(ews_lab):
    p1 = ews_lab['printers'][0]
    count = posts(ews_lab, p1)
    wrong = 'Wrong-Pa55-%s' % os.getpid()
    result, proc = access(ews_lab, p1, {FTP: 'disabled'}, '-vvvv', password=wrong)
    assert result['failed'] and result['error_kind'] == 'login_refused'
    assert 'invalid credentials' in result['msg']
    assert wrong not in proc.stdout + proc.stderr
    assert posts(ews_lab, p1) == count
    # the right password, read from the inventory, with -vvvv and --diff: never echoed
    ok, proc = access(ews_lab, p1, {FTP: 'enabled'}, '-vvvv', '--diff')
    assert not ok['failed'], proc.stdout[-3000:]
    assert p1['ews']['password'] not in proc.stdout + proc.stderr
    assert p1['ews']['password'] not in json.dumps(ok)


def test_form_changed_posts_nothing(ews_lab):
    p1 = ews_lab['printers'][0]
    count, state = posts(ews_lab, p1), state_file(p1)
    result, proc = access(ews_lab, p1, {FTP: 'disabled'},
                          profile={'label_patterns': [r'^Port (?P<port>\d+)/(?P<transport>tcp|udp)$']})
    assert result['failed'] and result['error_kind'] == 'form_changed'
    assert FTP in result['msg'] and 'nothing was posted' in result['msg']
    assert result['missing'] == [FTP]
    assert posts(ews_lab, p1) == count and state_file(p1) == state


def test_a_form_the_printer_does_not_take_is_changed_and_failed(ews_lab):
    """Port settings locked on the printer: the form is answered as saved but nothing changes. The module reads
    back, fails with not_taken, and says changed (a form was sent)."""
    p1 = ews_lab['printers'][0]
    original = state_file(p1)
    locked = dict(original, ports_locked=True)
    with open(p1['state_file'], 'w') as fh:
        json.dump(locked, fh)
    try:
        result, proc = access(ews_lab, p1, {FTP: 'disabled'})
        assert result['failed'] and result['error_kind'] == 'not_taken', proc.stdout[-2000:]
        assert result['changed'] is True
        assert 'accepted the form but did not take %s=disabled' % FTP in result['msg']
        assert state_file(p1)['ports'] == original['ports']
    finally:
        with open(p1['state_file'], 'w') as fh:
            json.dump(original, fh)


def test_tls_pin_without_ca_path(ews_lab):
    p1 = ews_lab['printers'][0]
    for pin in (fingerprint(p1), fingerprint(p1, colons=False, upper=False)):
        result, proc = access(ews_lab, p1, {FTP: 'enabled'}, ca_path=None, fingerprint=pin)
        assert not result['failed'], proc.stdout[-3000:]
        assert result['tls']['pinned'] is True and result['tls']['fingerprint_sha256'] == fingerprint(
            p1, colons=False, upper=False)


def test_tls_wrong_pin_refused(ews_lab):
    p1, p2 = ews_lab['printers']
    count = posts(ews_lab, p1)
    result, proc = access(ews_lab, p1, {FTP: 'disabled'}, ca_path=None, fingerprint=fingerprint(p2))
    assert result['failed'] and result['error_kind'] == 'tls_pin_mismatch'
    assert fingerprint(p1) in result['msg']
    assert posts(ews_lab, p1) == count


def test_tls_unknown_ca_refused_with_the_fingerprint_to_pin(ews_lab):
    p1 = ews_lab['printers'][0]
    result, proc = access(ews_lab, p1, {FTP: 'disabled'}, ca_path=None)
    assert result['failed'] and result['error_kind'] == 'certificate_invalid'
    assert 'certificate verify failed' in result['msg'] and fingerprint(p1) in result['msg']


def test_lab_inventory_holds_the_credentials(ews_lab):
    with open(ews_lab['inventory']) as fh:
        text = fh.read()
    assert 'mve_printer_https_password' in text and 'Vault' in text


def fleet(lab, printers, ports, *flags, **more):
    """printer_port_access with ``printers`` (the whole lab in one task) from the controller."""
    args = dict({'printers': printers, 'ca_path': lab['ca'], 'features': NO_FTP, 'ports': ports, 'timeout': 5,
                 'concurrency': 2}, **more)
    return ansible(lab, 'localhost', 'printer_port_access', args, *flags)


def own_credentials(lab):
    """Each printer with its own web password (printer01: user and password form, printer02: password only)."""
    return [{'host': p['address'], 'username': p['ews']['username'], 'password': p['ews']['password']}
            for p in lab['printers']]


def test_fleet_in_one_task_each_printer_with_its_own_password(ews_lab):
    p1, p2 = ews_lab['printers']
    counts = posts(ews_lab, p1), posts(ews_lab, p2)
    planned, proc = fleet(ews_lab, own_credentials(ews_lab), {FTP: 'disabled'}, '--check', '--diff', '-vvv')
    assert not planned['failed'], proc.stdout[-3000:]
    assert planned['changed'] is True and planned['failed_printers'] == []
    assert planned['diff']['before'][p1['address']][FTP] == 'enabled'
    assert planned['diff']['after'][p2['address']][FTP] == 'disabled'
    assert (posts(ews_lab, p1), posts(ews_lab, p2)) == counts      # check mode: nothing posted
    assert [planned['printers'][p['address']]['login_kind'] for p in (p1, p2)] == ['form', 'password']

    done, proc = fleet(ews_lab, own_credentials(ews_lab), {FTP: 'disabled'}, '-vvvv')
    assert not done['failed'], proc.stdout[-3000:]
    for p in (p1, p2):
        one = done['printers'][p['address']]
        assert one['changed'] and one['verified'] and one['ports'][FTP] == 'disabled'
        assert [c['port'] for c in one['changes']] == [FTP]
        assert 'forced' not in one and 'diff' not in one
        assert port_state(ews_lab, p, FTP) == 'closed'
        assert p['ews']['password'] not in proc.stdout + proc.stderr
    assert done['forced'] == {}

    again, proc = fleet(ews_lab, own_credentials(ews_lab), {FTP: 'disabled'})
    assert not again['failed'] and again['changed'] is False
    back, proc = fleet(ews_lab, own_credentials(ews_lab), {FTP: 'enabled'})
    assert not back['failed'] and back['changed'] is True
    assert port_state(ews_lab, p1, FTP) == 'open' and port_state(ews_lab, p2, FTP) == 'open'


def test_fleet_one_printer_refused_the_other_done(ews_lab):
    p1, p2 = ews_lab['printers']
    wrong = 'Wrong-Pa55-%s' % os.getpid()
    printers = own_credentials(ews_lab)
    printers[0]['password'] = wrong
    count = posts(ews_lab, p1)
    result, proc = fleet(ews_lab, printers, {FTP: 'disabled'})
    try:
        assert result['failed'] and result['failed_printers'] == [p1['address']]
        assert result['printers'][p1['address']]['error_kind'] == 'login_refused'
        assert result['msg'].startswith('1 of 2 printers failed: %s: login refused' % p1['address'])
        assert result['printers'][p2['address']]['changed'] is True and result['changed'] is True
        assert posts(ews_lab, p1) == count and port_state(ews_lab, p1, FTP) == 'open'
        assert port_state(ews_lab, p2, FTP) == 'closed'
        assert wrong not in proc.stdout + proc.stderr + json.dumps(result)
    finally:
        back, proc = fleet(ews_lab, own_credentials(ews_lab), {FTP: 'enabled'})
        assert not back['failed'], proc.stdout[-3000:]
