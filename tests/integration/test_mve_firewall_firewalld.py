# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""printfleet.mve.mve_firewall with a real firewalld (Debian's firewalld 1.3, nftables backend), inside network
namespaces this file creates.

Topology (namespaces ``pfmve-fwd-<random>-{srv,ok,bad}``)::

    ok  198.18.0.2 --veth-- 198.18.0.1  srv (firewalld, listeners)  198.18.0.5 --veth-- 198.18.0.6 bad

firewalld runs in ``srv`` without systemd: a private system bus (a ``dbus-daemon`` on a socket in this session's
temporary directory, ``DBUS_SYSTEM_BUS_ADDRESS``) and a private copy of /etc/firewalld bind-mounted in a mount
namespace of its own, so nothing of the host is touched. The veths are in no zone, so the default zone
(``public``: ssh, dhcpv6-client) holds them; the tests open TCP 443 there for everyone first (``--add-service
https``) and add a rich rule of the "user", so that a drop of the outside peer must come from the module's scope
drops, and so that what the module removes is seen to be only its own. Probes send real TCP and UDP packets
across the veths; a dropped SYN or datagram shows as ``timeout``, a zone's reject as ``rejected``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

from fwnetns import SERVER, netns_interpreter, run
from labtools import BIN, ROOT, ansible_env

from ansible_collections.printfleet.mve.plugins.module_utils.firewall import converge as mve_firewall
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import firewalld as firewall_firewalld
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix

SRV_OK, OK = '198.18.0.1', '198.18.0.2'
SRV_BAD, BAD = '198.18.0.5', '198.18.0.6'
WEB = port_matrix.get_flow('browser.https')['destination_port']
ALERTS = port_matrix.get_flow('alerts.npap')['destination_port']
SSH = 22
PYTHON = sys.executable
IN, OUT = 'printfleet_mve_in', 'printfleet_mve_out'
USER_RICH_RULE = 'rule family="ipv4" source address="203.0.113.0/24" port port="8443" protocol="tcp" accept'

DBUS_CONF = '''<busconfig><type>system</type><listen>unix:path=%s</listen><auth>EXTERNAL</auth>
  <policy context="default"><allow user="*"/><allow own="*"/><allow send_type="method_call"/>
  <allow send_type="signal"/><allow send_type="method_return"/><allow send_type="error"/>
  <allow receive_type="method_call"/><allow receive_type="signal"/><allow receive_type="method_return"/>
  <allow receive_type="error"/></policy></busconfig>
'''

# open: the server answered; timeout: dropped; rejected: an ICMP error came back (firewalld's zone rejects with
# admin-prohibited, which a TCP connect reports as "no route to host", a UDP socket as refused)
PROBE = r'''
import socket, sys
kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    if kind == 'tcp':
        s = socket.create_connection((host, port), timeout=1.5)
        print('open' if s.recv(5) == b'hello' else 'odd')
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1.5); s.connect((host, port))
        s.send(b'alert'); print('open' if s.recv(64) == b'alert' else 'odd')
except socket.timeout:
    print('timeout')
except OSError:
    print('rejected')
'''


class FirewalldLab(object):
    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.srv, self.ok, self.bad = ('pfmve-fwd-%s-%s' % (tag, n) for n in ('srv', 'ok', 'bad'))
        self.dir = tempfile.mkdtemp(prefix='pfmve-fwd-')
        self.etc = os.path.join(self.dir, 'etc')
        self.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS='unix:path=%s' % os.path.join(self.dir, 'bus.sock'))
        self.dbus_pid = None
        self.firewalld = None
        self.server = None

    def up(self):
        conf = os.path.join(self.dir, 'dbus.conf')
        with open(conf, 'w') as fh:
            fh.write(DBUS_CONF % os.path.join(self.dir, 'bus.sock'))
        self.dbus_pid = int(run(['dbus-daemon', '--config-file=' + conf, '--fork', '--print-pid']).stdout.split()[0])
        shutil.copytree('/etc/firewalld', self.etc)
        for ns in (self.srv, self.ok, self.bad):
            run(['ip', 'netns', 'add', ns])
            run(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
        for peer, srv_ip, peer_ip in ((self.ok, SRV_OK, OK), (self.bad, SRV_BAD, BAD)):
            here, there = 'v-%s' % peer[-3:], 'v-srv'
            run(['ip', '-n', self.srv, 'link', 'add', here, 'type', 'veth', 'peer', 'name', there, 'netns', peer])
            run(['ip', '-n', self.srv, 'addr', 'add', srv_ip + '/30', 'dev', here])
            run(['ip', '-n', peer, 'addr', 'add', peer_ip + '/30', 'dev', there])
            run(['ip', '-n', self.srv, 'link', 'set', here, 'up'])
            run(['ip', '-n', peer, 'link', 'set', there, 'up'])
        self.server = subprocess.Popen(['ip', 'netns', 'exec', self.srv, PYTHON, '-c', SERVER, str(ALERTS), str(WEB),
                                        str(SSH)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.server.stdout.readline().strip() == 'ready', self.server.stderr.read()
        self.start_firewalld()

    def start_firewalld(self):
        log = open(os.path.join(self.dir, 'firewalld.log'), 'a')
        self.firewalld = subprocess.Popen(
            ['ip', 'netns', 'exec', self.srv, 'unshare', '-m', 'sh', '-c',
             'mount --bind %s /etc/firewalld && exec firewalld --nofork --nopid' % self.etc],
            env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        for dummy in range(120):
            if self.cmd('--state', check=False).stdout.strip() == 'running':
                return
            assert self.firewalld.poll() is None, self.log()
            time.sleep(0.25)
        raise AssertionError('firewalld did not come up: %s' % self.log())

    def stop_firewalld(self):
        if self.firewalld is not None and self.firewalld.poll() is None:
            self.firewalld.send_signal(signal.SIGTERM)
            try:
                self.firewalld.wait(20)
            except subprocess.TimeoutExpired:
                self.firewalld.kill()
                self.firewalld.wait(10)
        self.firewalld = None

    def log(self):
        with open(os.path.join(self.dir, 'firewalld.log')) as fh:
            return fh.read()[-3000:]

    def down(self):
        self.stop_firewalld()
        if self.server is not None:
            self.server.kill()
            self.server.wait(10)
        if self.dbus_pid:
            try:
                os.kill(self.dbus_pid, signal.SIGTERM)
            except OSError:
                pass
        for ns in (self.srv, self.ok, self.bad):
            subprocess.run(['ip', 'netns', 'del', ns], capture_output=True, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def cmd(self, *args, check=True):
        return run(['ip', 'netns', 'exec', self.srv, 'firewall-cmd'] + list(args), check=check, env=self.env)

    def runner(self, argv, data=None):
        proc = subprocess.run(['ip', 'netns', 'exec', self.srv] + list(argv), input=data, capture_output=True,
                              text=True, check=False, env=self.env)
        return proc.returncode, proc.stdout, proc.stderr

    def probe(self, ns, kind, host, port):
        return run(['ip', 'netns', 'exec', ns, PYTHON, '-c', PROBE, kind, host, str(port)]).stdout.strip()

    def policy(self, name, permanent=False):
        """The rich rules of a policy as firewalld lists them, or None when there is no such policy."""
        proc = self.cmd(*((['--permanent'] if permanent else []) + ['--policy', name, '--list-rich-rules']),
                        check=False)
        return [line for line in proc.stdout.splitlines() if line.strip()] if proc.returncode == 0 else None

    def user_config(self):
        """What the "user" put in the default zone: services and rich rules, runtime and permanent."""
        return [self.cmd(*(p + ['--list-services'])).stdout.split() + self.cmd(*(p + ['--list-rich-rules'])).stdout
                .splitlines() for p in ([], ['--permanent'])]


@pytest.fixture(scope='module')
def fwlab():
    lab = FirewalldLab()
    try:
        lab.up()
        for prefix in ([], ['--permanent']):
            lab.cmd(*(prefix + ['--add-service=https']))
            lab.cmd(*(prefix + ['--add-rich-rule=' + USER_RICH_RULE]))
        yield lab
    finally:
        lab.down()
    assert not [ns for ns in run(['ip', 'netns', 'list']).stdout.split() if ns.startswith(lab.srv[:-4])]


@pytest.fixture
def srv(fwlab):
    """The lab without the module's policies before and after each test (removed through the module)."""
    mve_firewall.converge(backend(fwlab), params(state='absent'))
    yield fwlab
    mve_firewall.converge(backend(fwlab), params(state='absent'))


def backend(lab, persist=True):
    return firewall_firewalld.FirewalldBackend(lab.runner, 'printfleet.mve', python=['/usr/bin/python3'],
                                               persist=persist, dynamic_ports_reader=lambda: (32768, 60999))


def params(**kw):
    p = dict(rule_group='printfleet.mve', state='merged', enforce=False, features={'printer_protocols': ['npap']},
             outbound='auto', strict=True, management_ports=[SSH], rule_names={},
             scopes={'printer': [OK], 'browser': [OK + '/32']})
    p.update(kw)
    return p


def test_scoped_rules_with_real_packets_one_read_one_apply(srv):
    user = srv.user_config()
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'open'         # the zone opens 443 for everyone
    assert srv.probe(srv.ok, 'udp', SRV_OK, ALERTS) == 'rejected'    # and rejects 9187
    b = backend(srv)
    result = mve_firewall.converge(b, params())
    assert result['changed'] and result['backend'] == 'firewalld' and b.calls == ['read', 'apply']
    assert [op['op'] for op in json.loads(result['script'])['ops']] == ['add-permanent', 'add-permanent', 'reload']
    assert srv.probe(srv.ok, 'tcp', SRV_OK, WEB) == 'open'
    assert srv.probe(srv.ok, 'udp', SRV_OK, ALERTS) == 'open'
    # The peer outside the scopes: dropped by the policy's scope drops (a zone reject would answer), on 443 too,
    # which the zone opens for everyone; SSH (not an MVE port) stays as the zone has it.
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'timeout'
    assert srv.probe(srv.bad, 'udp', SRV_BAD, ALERTS) == 'timeout'
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, SSH) == 'open'
    assert 'rule priority="-100" port port="%d" protocol="tcp" drop' % WEB in srv.policy(IN)
    again = backend(srv)
    rerun = mve_firewall.converge(again, params())
    assert rerun['changed'] is False and rerun['commands'] == [] and again.calls == ['read']
    assert rerun['rules'] == result['rules']
    assert srv.user_config() == user


def test_moved_port_and_scope_update_in_place(srv):
    base = dict(features={'database': 'sqlserver', 'printer_protocols': []}, outbound='always',
                scopes={'database': [BAD], 'browser': [OK]})
    mve_firewall.converge(backend(srv), params(**base))
    assert any('port="1433"' in r for r in srv.policy(OUT))
    moved_args = dict(base)
    moved_args.update(features=dict(base['features'], ports={'db.sqlserver': 1533}),
                      scopes={'database': [BAD], 'browser': [BAD]})
    b = backend(srv)
    moved = mve_firewall.converge(b, params(**moved_args))
    assert sorted((c['action'], c['name'][:22], tuple(c['fields'])) for c in moved['changes']) == [
        ('update', 'MVE - HTTPS web consol', ('remote_addresses',)),
        ('update', 'MVE - SQL Server to da', ('name', 'remote_ports'))]
    assert [op['op'] for op in json.loads(moved['script'])['ops']] == ['update-permanent', 'update-permanent',
                                                                       'set-runtime', 'set-runtime']
    for permanent in (False, True):
        out_rules = srv.policy(OUT, permanent)
        assert len(out_rules) == 1 and 'destination address="%s" port port="1533"' % BAD in out_rules[0]
        assert not [r for r in srv.policy(IN, permanent) if OK in r]
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'open' and srv.probe(srv.ok, 'tcp', SRV_OK, WEB) == 'timeout'
    assert mve_firewall.converge(backend(srv), params(**moved_args))['changed'] is False


def test_replaced_and_absent_remove_only_ours(srv):
    user = srv.user_config()
    mve_firewall.converge(backend(srv), params(features={'printer_protocols': ['npap', 'ftp']}))
    assert any('source-port port="20"' in r for r in srv.policy(IN))
    replaced = mve_firewall.converge(backend(srv), params(state='replaced'))
    assert [c['action'] for c in replaced['changes']] == ['remove']
    assert not any('source-port' in r for r in srv.policy(IN) + srv.policy(IN, permanent=True))
    gone = mve_firewall.converge(backend(srv), params(state='absent'))
    assert gone['changed'] and gone['rules'] == []
    assert srv.policy(IN, permanent=True) is None and srv.policy(OUT, permanent=True) is None
    assert srv.policy(IN) == []    # at runtime firewalld keeps the (now empty) policy until its next reload
    assert srv.user_config() == user
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'open'
    assert mve_firewall.converge(backend(srv), params(state='absent'))['changed'] is False


def test_permanent_configuration_survives_a_firewalld_restart_and_check_mode_changes_nothing(srv):
    mve_firewall.converge(backend(srv), params())
    live = sorted(srv.policy(IN))
    srv.stop_firewalld()
    srv.start_firewalld()
    assert sorted(srv.policy(IN)) == live
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'timeout' and srv.probe(srv.ok, 'tcp', SRV_OK, WEB) == 'open'
    assert mve_firewall.converge(backend(srv), params())['changed'] is False   # names and keys read back
    before = (srv.policy(IN), srv.policy(IN, True))
    b = backend(srv)
    check = mve_firewall.converge(b, params(scopes={'printer': [OK, BAD], 'browser': [OK, BAD]}), check_mode=True)
    assert check['changed'] and len(check['changes']) == 2 and b.calls == ['read']
    assert (srv.policy(IN), srv.policy(IN, True)) == before
    # persist: false changes the runtime only
    runtime_only = mve_firewall.converge(backend(srv, persist=False), params(scopes={'printer': [OK, BAD],
                                                                                     'browser': [OK]}))
    assert runtime_only['changed'] and srv.probe(srv.bad, 'udp', SRV_BAD, ALERTS) == 'open'
    assert srv.policy(IN, True) == before[1]


# ---- through Ansible -------------------------------------------------------------------------------------

def ansible(lab, args, *flags):
    """``ansible localhost -m printfleet.mve.mve_firewall`` in the server namespace, on its private bus."""
    tree = os.path.join(ROOT, 'build', 'fw-tree', lab.srv)
    result_file = os.path.join(tree, 'localhost')
    if os.path.exists(result_file):
        os.remove(result_file)
    env = ansible_env(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'build', 'collections'),
                      ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_CALLBACKS_ENABLED='ansible.builtin.tree',
                      ANSIBLE_CALLBACK_TREE_DIR=tree, ANSIBLE_PYTHON_INTERPRETER=PYTHON,
                      DBUS_SYSTEM_BUS_ADDRESS=lab.env['DBUS_SYSTEM_BUS_ADDRESS'])
    env['PATH'] = env['PATH'] + os.pathsep + '/usr/sbin:/sbin'
    cmd = ['ip', 'netns', 'exec', lab.srv, os.path.join(BIN, 'ansible'), 'localhost', '-i', 'localhost,', '-c',
           'local', '-m', 'printfleet.mve.mve_firewall', '-a', json.dumps(args), '-vvv'] + list(flags)
    proc = run(cmd, check=False, env=env, cwd=ROOT)
    try:
        with open(result_file) as fh:
            result = json.load(fh)
    except (OSError, ValueError):
        raise AssertionError('ansible gave no result (exit %d): %s %s'
                             % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    result['failed'] = proc.returncode != 0
    return result


def test_through_ansible_backend_auto_picks_firewalld(srv, collection_installed):
    args = dict(features={'printer_protocols': ['npap']}, scopes={'printer': [OK], 'browser': [OK]})
    check = ansible(srv, args, '--check', '--diff')
    assert check['changed'] is True and not check['failed'] and check['backend'] == 'firewalld'
    assert check['diff']['before']['rules'] == [] and len(check['diff']['after']['rules']) == 2
    assert srv.policy(IN, True) is None
    first = ansible(srv, args)
    assert first['changed'] is True and first['commands'] == check['commands'] and first['rules'] == check['rules']
    assert first['rules'][0]['flows'] == ['alerts.npap']
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'timeout' and srv.probe(srv.ok, 'udp', SRV_OK, ALERTS) == 'open'
    second = ansible(srv, args, '--diff')
    assert second['changed'] is False and second['diff']['before'] == second['diff']['after']
    refused = ansible(srv, dict(args, enforce=True))
    assert refused['failed'] and refused['field'] == 'enforce' and refused['error_kind'] == 'input'
    assert refused['msg'].startswith('enforce: true is not available with backend firewalld')


ROLE_PLAY = '''
- name: The mve_firewall role on a firewalld host, verified with real packets from the controller (the ok peer)
  hosts: mve
  gather_facts: false
  roles:
    - role: printfleet.mve.mve_firewall
'''


def test_the_role_proves_both_halves_on_firewalld(srv, collection_installed, tmp_path):
    """The role with backend auto (firewalld is running), the controller in ``ok`` and the host's modules in ``srv``:
    outside the browsers' scope the controller is proven dropped on TCP 443 even though the zone opens https for
    everyone; inside it, proven through."""
    interpreter = netns_interpreter(tmp_path / 'srv-python', srv.srv)
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(json.dumps({'all': {'hosts': {'mve': {
        'ansible_host': SRV_OK, 'ansible_connection': 'local', 'ansible_python_interpreter': interpreter}}}}))
    playbook = tmp_path / 'role.yml'
    playbook.write_text(ROLE_PLAY)
    env = ansible_env(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'build', 'collections'),
                      DBUS_SYSTEM_BUS_ADDRESS=srv.env['DBUS_SYSTEM_BUS_ADDRESS'])
    env['PATH'] = env['PATH'] + os.pathsep + '/usr/sbin:/sbin'

    def role(browser):
        variables = dict(mve_firewall_features={'printer_protocols': ['npap']}, mve_firewall_management_ports=[SSH],
                         mve_firewall_scopes={'printer': [OK], 'browser': [browser]})
        return run(['ip', 'netns', 'exec', srv.ok, os.path.join(BIN, 'ansible-playbook'), '-i', str(inventory),
                    str(playbook), '-e', json.dumps(variables)], check=False, env=env, cwd=ROOT)

    outside = role(BAD)
    assert outside.returncode == 0, outside.stdout[-4000:] + outside.stderr[-2000:]
    assert 'skipped=0' in outside.stdout and srv.policy(IN) and srv.policy(IN, permanent=True)   # auto: firewalld
    assert srv.probe(srv.ok, 'tcp', SRV_OK, WEB) == 'timeout' and srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'open'
    inside = role(OK)
    assert inside.returncode == 0, inside.stdout[-4000:] + inside.stderr[-2000:]
    assert 'skipped=0' in inside.stdout and 'changed=1' in inside.stdout
    assert srv.probe(srv.ok, 'tcp', SRV_OK, WEB) == 'open' and srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'timeout'
