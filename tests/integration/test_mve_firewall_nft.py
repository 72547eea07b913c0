# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""printfleet.mve.mve_firewall with the real nftables, inside network namespaces this file creates.

Topology (namespaces ``pfmve-fw-<random>-{srv,ok,bad}``, only ours use 198.18.0.0/30 and 198.18.0.4/30)::

    ok  198.18.0.2 --veth-- 198.18.0.1  srv (the MVE server: real nft, listeners)  198.18.0.5 --veth-- 198.18.0.6 bad

``ok`` is the allowed peer (printers, browsers and the management host live there), ``bad`` is a peer that no
scope lists. In ``srv`` a small server listens on TCP 443 (web console), TCP 22 (stands for sshd), TCP 8080
(not an MVE port) and echoes datagrams on UDP 9187 (NPAP alerts); probes from the peers send real packets
across the veths. A TCP probe that gets no answer within its connect timeout is reported as ``timeout``:
that is how a dropped SYN looks to a client (the assertions are on outcomes, never on durations).

Most cases drive the module's converge() with the nftables backend directly (runner: ``ip netns exec srv
nft``); a few run the installed collection through ``ansible localhost -m printfleet.mve.mve_firewall``
inside the server namespace.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import re
import subprocess
import sys
import uuid

import pytest

from fwnetns import SERVER, netns_interpreter, run
from labtools import BIN, ROOT, ansible_env

from ansible_collections.printfleet.mve.plugins.module_utils.firewall import nftables as firewall_nft
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as firewall_plan
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import converge as mve_firewall

SRV_OK, OK = '198.18.0.1', '198.18.0.2'
SRV_BAD, BAD = '198.18.0.5', '198.18.0.6'
WEB = port_matrix.get_flow('browser.https')['destination_port']
ALERTS = port_matrix.get_flow('alerts.npap')['destination_port']
FTP_DATA_FROM = port_matrix.get_flow('printer.ftp_data')['source_port']
SSH = 22
OTHER = 8080
PYTHON = sys.executable

PROBE = r'''
import socket, sys
kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    if kind == 'tcp':
        s = socket.create_connection((host, port), timeout=1.5)
        print('open' if s.recv(5) == b'hello' else 'odd')
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1.5)
        s.sendto(b'alert', (host, port)); print('open' if s.recv(64) == b'alert' else 'odd')
except socket.timeout:
    print('timeout')
except ConnectionRefusedError:
    print('refused')
'''


class Lab(object):
    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.srv, self.ok, self.bad = ('pfmve-fw-%s-%s' % (tag, n) for n in ('srv', 'ok', 'bad'))
        self.server = None

    def up(self):
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
                                        str(SSH), str(OTHER)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True)
        line = self.server.stdout.readline()
        assert line.strip() == 'ready', 'server in %s did not start: %s' % (self.srv, self.server.stderr.read())

    def down(self):
        if self.server is not None:
            self.server.kill()
            self.server.wait(10)
        for ns in (self.srv, self.ok, self.bad):
            subprocess.run(['ip', 'netns', 'del', ns], capture_output=True, check=False)

    def nft(self, args, data=None):
        proc = subprocess.run(['ip', 'netns', 'exec', self.srv, 'nft'] + list(args), input=data, capture_output=True,
                              text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr

    def probe(self, ns, kind, host, port):
        return run(['ip', 'netns', 'exec', ns, PYTHON, '-c', PROBE, kind, host, str(port)]).stdout.strip()

    def ruleset(self):
        """``nft list ruleset`` of the server namespace, without counters (they move with every packet)."""
        rc, out, err = self.nft(['list', 'ruleset'])
        assert rc == 0, err
        return re.sub(r'counter packets \d+ bytes \d+', 'counter', out)

    def counter(self, comment):
        """Packets counted by the rules with this comment (``[group] <name>``: the rule's key is left out)."""
        rc, out, err = self.nft(['-j', 'list', 'ruleset'])
        total = 0
        for item in json.loads(out)['nftables']:
            rule = item.get('rule')
            text = (rule or {}).get('comment') or ''
            if text.startswith('[') and '] ' in text:
                group_tag, rest = text.split('] ', 1)
                text = group_tag + '] ' + firewall_nft.split_comment(rest)[1]
            if rule and text == comment:
                total += sum(e['counter']['packets'] for e in rule['expr'] if 'counter' in e)
        return total


@pytest.fixture(scope='module')
def netns_lab():
    lab = Lab()
    try:
        lab.up()
        yield lab
    finally:
        lab.down()
    assert not [ns for ns in run(['ip', 'netns', 'list']).stdout.split() if ns.startswith(lab.srv[:-4])]


@pytest.fixture
def srv(netns_lab):
    """The lab, with an empty ruleset in the server namespace before and after each test."""
    netns_lab.nft(['flush', 'ruleset'])
    yield netns_lab
    netns_lab.nft(['flush', 'ruleset'])


def backend(lab, cls=firewall_nft.NftablesBackend, group='printfleet.mve'):
    return cls(lab.nft, rule_group=group, dynamic_ports_reader=lambda: (32768, 60999))


def params(**kw):
    p = dict(rule_group='printfleet.mve', state='merged', enforce=False, features={'printer_protocols': ['npap']},
             outbound='auto', strict=True, management_ports=[SSH, 5985, 5986], rule_names={},
             scopes={'printer': [OK], 'browser': [OK + '/32']})
    p.update(kw)
    return p


# ---- through the backend classes ------------------------------------------------------------------------

def test_rules_applied_and_counted_without_enforce(srv):
    result = mve_firewall.converge(backend(srv), params())
    assert result['changed']
    names = [r['name'] for r in result['rules']]
    assert names == ['MVE - NPAP alerts from printers (UDP %d)' % ALERTS,
                     'MVE - HTTPS web console from browsers (TCP %d)' % WEB]
    assert srv.probe(srv.ok, 'tcp', SRV_OK, WEB) == 'open'
    assert srv.probe(srv.ok, 'udp', SRV_OK, ALERTS) == 'open'
    assert srv.counter('[printfleet.mve] ' + names[1]) >= 1
    assert srv.counter('[printfleet.mve] ' + names[0]) >= 1
    # Without enforce the scopes still restrict: the unlisted peer's packets to the ports we open are dropped by
    # the scope drops (and counted there), while a port the collection does not open stays as it was.
    before = srv.counter('[printfleet.mve] ' + names[1])
    dropped = srv.counter('[printfleet.mve] scope: ' + names[1])
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'timeout'
    assert srv.probe(srv.bad, 'udp', SRV_BAD, ALERTS) == 'timeout'
    assert srv.counter('[printfleet.mve] ' + names[1]) == before
    assert srv.counter('[printfleet.mve] scope: ' + names[1]) > dropped
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, OTHER) == 'open'
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, SSH) == 'open'
    # Rerun: unchanged, no apply.
    calls = []
    b = backend(srv)
    again = mve_firewall.converge(b, params())
    calls.extend(b.calls)
    assert again['changed'] is False and again['commands'] == []
    assert calls == [['-j', 'list', 'ruleset']]


def test_enforce_drops_the_rest_and_keeps_ssh(srv):
    result = mve_firewall.converge(backend(srv), params(enforce=True),
                                   environ={'SSH_CONNECTION': '%s 40000 %s %d' % (OK, SRV_OK, SSH)})
    assert result['changed'] and result['enforce'] is True
    # Allowed peer: the MVE flows and SSH pass.
    assert srv.probe(srv.ok, 'tcp', SRV_OK, WEB) == 'open'
    assert srv.probe(srv.ok, 'udp', SRV_OK, ALERTS) == 'open'
    assert srv.probe(srv.ok, 'tcp', SRV_OK, SSH) == 'open'
    # Not an MVE flow: dropped even from the allowed peer.
    assert srv.probe(srv.ok, 'tcp', SRV_OK, OTHER) == 'timeout'
    # Unlisted peer: MVE flows dropped (by their scope drops, before the final drop), the management port still
    # open (it is open from anywhere); other ports end in the final drop.
    web_scope = '[printfleet.mve] scope: MVE - HTTPS web console from browsers (TCP %d)' % WEB
    dropped, final = srv.counter(web_scope), srv.counter('[printfleet.mve] base: drop')
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'timeout'
    assert srv.probe(srv.bad, 'udp', SRV_BAD, ALERTS) == 'timeout'
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, SSH) == 'open'
    assert srv.counter(web_scope) > dropped
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, OTHER) == 'timeout'
    assert srv.counter('[printfleet.mve] base: drop') > final
    assert mve_firewall.converge(backend(srv), params(enforce=True))['changed'] is False
    # Widening the printer scope lets the other peer's alerts in; browsers stay limited.
    wider = mve_firewall.converge(backend(srv), params(enforce=True, scopes={'printer': [OK, BAD],
                                                                             'browser': [OK]}))
    assert [c['action'] for c in wider['changes']] == ['update']
    assert srv.probe(srv.bad, 'udp', SRV_BAD, ALERTS) == 'open'
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'timeout'


def test_enforce_refused_when_it_would_cut_this_connection(srv):
    before = srv.ruleset()
    with pytest.raises(firewall_plan.SafetyError):
        mve_firewall.converge(backend(srv), params(enforce=True, management_ports=[5985, 5986]),
                              environ={'SSH_CONNECTION': '%s 40000 %s %d' % (OK, SRV_OK, SSH)})
    assert srv.ruleset() == before
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, SSH) == 'open'


def test_check_mode_changes_nothing(srv):
    before = srv.ruleset()
    result = mve_firewall.converge(backend(srv), params(enforce=True), check_mode=True)
    assert result['changed'] and len(result['commands']) == 3
    assert 'counter drop' in result['script']
    assert srv.ruleset() == before
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'open'


def _foreign(lab):
    script = ('table inet foreign {\n\tchain input {\n\t\ttype filter hook input priority 10; policy accept;\n'
              '\t\ttcp dport %d counter accept comment "not ours"\n\t}\n}\n'
              'table ip printfleet_mve {\n\tchain input {\n\t\ttype filter hook input priority 20; policy accept;\n'
              '\t\tcounter comment "same name, other family"\n\t}\n}\n' % OTHER)
    rc, out, err = lab.nft(['-f', '-'], script)
    assert rc == 0, err


def test_absent_removes_only_ours(srv):
    _foreign(srv)
    mve_firewall.converge(backend(srv), params(enforce=True))
    # The enforcing group's final drop also drops what the other group accepts: the default refuses, warn applies.
    with pytest.raises(firewall_nft.NftError, match='chain inet printfleet_mve input'):
        mve_firewall.converge(backend(srv, group='site-b'), params(rule_group='site-b'))
    other_group = mve_firewall.converge(backend(srv, group='site-b'), params(rule_group='site-b', coexist='warn'))
    assert other_group['changed'] and other_group['coexist']['chains'][0]['table'] == 'printfleet_mve'
    result = mve_firewall.converge(backend(srv), params(state='absent'))
    assert result['changed'] and result['rules'] == []
    ruleset = srv.ruleset()
    assert 'table inet printfleet_mve' not in ruleset
    assert 'table inet foreign' in ruleset and 'comment "not ours"' in ruleset
    assert 'table ip printfleet_mve' in ruleset and 'table inet site_b' in ruleset
    # The other group's table still limits its ports to its scopes; once it goes too, the port is open to all.
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'timeout'
    assert mve_firewall.converge(backend(srv, group='site-b'), params(rule_group='site-b', state='absent'))['changed']
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'open'
    assert mve_firewall.converge(backend(srv), params(state='absent'))['changed'] is False


def test_replaced_and_merged(srv):
    mve_firewall.converge(backend(srv), params(features={'printer_protocols': ['npap', 'ftp']}))
    merged = mve_firewall.converge(backend(srv), params(features={'printer_protocols': []}))
    assert merged['changed'] is False  # merged keeps owned rules that are no longer wanted
    assert len(merged['rules']) == 3
    replaced = mve_firewall.converge(backend(srv), params(features={'printer_protocols': []}, state='replaced'))
    assert [(c['action'], c['name']) for c in replaced['changes']] == [
        ('remove', 'MVE - FTP active-mode data from printers (TCP %d to 32768-60999)' % FTP_DATA_FROM),
        ('remove', 'MVE - NPAP alerts from printers (UDP %d)' % ALERTS)]
    assert [r['name'] for r in firewall_nft.parse_ruleset(srv.nft(['-j', 'list', 'ruleset'])[1],
                                                          'printfleet.mve')['rules']] == [
        'MVE - HTTPS web console from browsers (TCP %d)' % WEB]


def test_a_moved_database_port_leaves_one_rule(srv):
    """db.sqlserver from 1433 to 1533 with merged (the role's default): the rule that serves the flow is updated,
    no stale TCP 1433 rule stays open; the rule's identity (its flows) is in the nft comment."""
    base = dict(features={'database': 'sqlserver', 'printer_protocols': []}, outbound='always',
                scopes={'database': [BAD], 'browser': [OK]})
    mve_firewall.converge(backend(srv), params(**base))
    moved_args = dict(base)
    moved_args['features'] = dict(base['features'], ports={'db.sqlserver': 1533})
    moved = mve_firewall.converge(backend(srv), params(**moved_args))
    assert [(c['action'], c['fields']) for c in moved['changes']] == [('update', ['name', 'remote_ports'])]
    live = firewall_nft.parse_ruleset(srv.nft(['-j', 'list', 'ruleset'])[1], 'printfleet.mve')['rules']
    database = [r for r in live if r['key'] == 'outbound/tcp/database']
    assert len(database) == 1 and database[0]['remote_ports'] == [1533]
    assert '1433' not in srv.ruleset()
    assert 'comment "[printfleet.mve] outbound/tcp/database: MVE - SQL Server' in srv.ruleset()


class BrokenRender(firewall_nft.NftablesBackend):
    """Renders the wanted table plus one rule the kernel refuses (a jump to a chain that does not exist)."""

    def render(self, rules, enforce=False, management_ports=firewall_plan.MANAGEMENT_PORTS, management_scopes=None):
        script = super(BrokenRender, self).render(rules, enforce, management_ports, management_scopes)
        return script.replace('\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n',
                              '\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n'
                              '\t\ttcp dport 1 jump no_such_chain\n')


def test_a_bad_rule_leaves_the_previous_ruleset_intact(srv):
    _foreign(srv)
    mve_firewall.converge(backend(srv), params(enforce=True))
    before = srv.ruleset()
    with pytest.raises(firewall_nft.NftError) as info:
        mve_firewall.converge(backend(srv, cls=BrokenRender), params(enforce=True, scopes={'printer': [OK, BAD],
                                                                                           'browser': [OK, BAD]}))
    assert 'nft -f - failed' in str(info.value)
    assert srv.ruleset() == before
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'timeout'  # still the old, enforced rules
    assert srv.probe(srv.ok, 'tcp', SRV_OK, WEB) == 'open'


def test_foreign_rule_inside_our_table_is_never_deleted(srv):
    mve_firewall.converge(backend(srv), params())
    rc, out, err = srv.nft(['add', 'rule', 'inet', 'printfleet_mve', 'input', 'tcp', 'dport', str(OTHER), 'accept',
                            'comment', '"hand-made"'])
    assert rc == 0, err
    before = srv.ruleset()
    with pytest.raises(firewall_nft.NftError) as info:
        mve_firewall.converge(backend(srv), params(state='replaced', scopes={'printer': [BAD], 'browser': [BAD]}))
    assert 'did not create' in str(info.value)
    assert srv.ruleset() == before


# ---- through Ansible -------------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def installed():
    """Build and install this tree's collection into build/collections (others may do the same: retry)."""
    dist = os.path.join(ROOT, 'build', 'dist-fw')
    last = None
    for dummy in range(3):
        build = run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path', dist,
                     '.'], check=False, cwd=ROOT)
        tarballs = sorted(glob.glob(os.path.join(dist, 'printfleet-mve-*.tar.gz')))
        if build.returncode == 0 and tarballs:
            install = run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--force', '-p',
                           os.path.join(ROOT, 'build', 'collections'), tarballs[-1]], check=False, cwd=ROOT)
            if install.returncode == 0:
                return
            last = install
        else:
            last = build
    pytest.fail('could not build/install the collection: %s %s' % (last.stdout, last.stderr), pytrace=False)


def ansible(lab, args, *flags):
    """``ansible localhost -m printfleet.mve.mve_firewall`` in the server namespace; returns the task result
    (written by the ``ansible.builtin.tree`` callback, which keeps ``diff`` only from verbosity 3 on)."""
    tree = os.path.join(ROOT, 'build', 'fw-tree', lab.srv)
    result_file = os.path.join(tree, 'localhost')
    if os.path.exists(result_file):
        os.remove(result_file)
    env = ansible_env(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'build', 'collections'),
                      ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_CALLBACKS_ENABLED='ansible.builtin.tree',
                      ANSIBLE_CALLBACK_TREE_DIR=tree, ANSIBLE_PYTHON_INTERPRETER=PYTHON)
    env['PATH'] = env['PATH'] + os.pathsep + '/usr/sbin:/sbin'
    cmd = ['ip', 'netns', 'exec', lab.srv, os.path.join(BIN, 'ansible'), 'localhost', '-i', 'localhost,', '-c',
           'local', '-m', 'printfleet.mve.mve_firewall', '-a', json.dumps(args), '-vvv'] + list(flags)
    proc = run(cmd, check=False, env=env, cwd=ROOT)
    try:
        with open(result_file) as fh:
            result = json.load(fh)
    except (OSError, ValueError):
        result = None
    if result is None:
        raise AssertionError('ansible gave no result (exit %d): %s %s'
                             % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    # The tree callback drops ``failed``; ansible's exit code (2: a task failed) says it.
    result['failed'] = proc.returncode != 0
    return result


def _table_without_counters(nft_json, table):
    rules = []
    for item in json.loads(nft_json)['nftables']:
        rule = item.get('rule')
        if rule and rule['table'] == table:
            rules.append((rule['chain'], rule.get('comment'),
                          json.dumps([e for e in rule['expr'] if 'counter' not in e], sort_keys=True)))
    return rules


def test_through_ansible(srv, installed, tmp_path):
    conf = tmp_path / 'nftables.conf'
    conf.write_text('#!/usr/sbin/nft -f\n\nflush ruleset\n')
    boot_dir = tmp_path / 'nftables.d'
    args = dict(features={'printer_protocols': ['npap']}, scopes={'printer': [OK], 'browser': [OK]}, enforce=True,
                persist_dir=str(boot_dir), persist_conf=str(conf))
    check = ansible(srv, args, '--check', '--diff')
    assert check['changed'] is True and not check.get('failed')
    assert check['diff']['before']['rules'] == [] and len(check['diff']['after']['rules']) == 2
    assert 'table inet printfleet_mve' not in srv.ruleset()
    assert check['persisted'] == [str(boot_dir / 'printfleet_mve.nft'), str(conf)]
    assert not boot_dir.exists() and 'include' not in conf.read_text()   # check mode writes nothing
    first = ansible(srv, args, '--diff')
    assert first['changed'] is True and first['commands'] == check['commands']
    assert first['rules'] == check['rules'] and first['rules'][0]['flows'] == ['alerts.npap']
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'timeout'
    assert srv.probe(srv.ok, 'tcp', SRV_OK, WEB) == 'open'
    assert srv.probe(srv.ok, 'tcp', SRV_OK, SSH) == 'open'
    second = ansible(srv, args, '--diff')
    assert second['changed'] is False and second['commands'] == [] and second['persisted'] == []
    assert second['diff']['before'] == second['diff']['after']
    # Persistence: the boot configuration includes the table's file, and a fresh namespace that loads the
    # configuration as the nftables service does at boot (nft -f) holds exactly the live rules.
    assert 'include "%s/*.nft"' % boot_dir in conf.read_text().splitlines()
    fresh = 'pfmve-fw-boot-%s' % uuid.uuid4().hex[:6]
    run(['ip', 'netns', 'add', fresh])
    try:
        run(['ip', 'netns', 'exec', fresh, 'nft', '-f', str(conf)])
        booted = run(['ip', 'netns', 'exec', fresh, 'nft', '-j', 'list', 'ruleset']).stdout
    finally:
        run(['ip', 'netns', 'del', fresh], check=False)
    live = srv.nft(['-j', 'list', 'ruleset'])[1]
    assert _table_without_counters(booted, 'printfleet_mve') == _table_without_counters(live, 'printfleet_mve')
    assert len(_table_without_counters(live, 'printfleet_mve')) >= 8
    # The file follows a change of the rules; removing the rules removes the file (the include stays).
    wider = ansible(srv, dict(args, scopes={'printer': [OK, BAD], 'browser': [OK]}))
    assert wider['persisted'] == [str(boot_dir / 'printfleet_mve.nft')]
    assert BAD in (boot_dir / 'printfleet_mve.nft').read_text()
    gone = ansible(srv, dict(state='absent', persist_dir=str(boot_dir), persist_conf=str(conf)))
    assert gone['changed'] is True and gone['rules'] == []
    assert gone['persisted'] == [str(boot_dir / 'printfleet_mve.nft')]
    assert not (boot_dir / 'printfleet_mve.nft').exists()
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'open'


BAD_INPUT = [
    (dict(scopes={'printer': [OK, '10.0.0.300/24'], 'browser': [OK]}), 'scopes.printer[1]',
     "'10.0.0.300/24' is not an IPv4/IPv6 address, network or range"),
    (dict(scopes={'printer': [OK], 'browser': 'any'}), 'scopes.browser', 'refused in strict mode'),
    (dict(scopes={'printer': [OK]}), 'scopes.browser', 'required for flows browser.https'),
    (dict(features={'printer_protocols': ['telnet']}, scopes={'browser': [OK]}), 'features.printer_protocols',
     'telnet'),
    (dict(features={'database': 'sqlserver', 'ports': {'db.sqlserver': 99999}}, scopes={'browser': [OK]}),
     'features.ports.db.sqlserver', 'from 1 to 65535'),
    (dict(scopes={'printer': [OK], 'browser': [OK]}, rule_names={'alerts.npap': 'X', 'browser.https': 'X'}),
     'rule_names', 'duplicate rule name'),
    (dict(scopes={'printer': [OK], 'browser': [OK]}, enforce=True, management_ports=[]), 'management_ports',
     'drop new SSH'),
]


def test_bad_input_through_ansible_changes_nothing(srv, installed):
    mve_firewall.converge(backend(srv), params())
    before = srv.ruleset()
    for args, field, words in BAD_INPUT:
        args = dict({'features': {'printer_protocols': ['npap']}}, **args)
        result = ansible(srv, args)
        assert result.get('failed') is True, (args, result)
        assert result['msg'].startswith(field + ': ') and words in result['msg'], result['msg']
        assert result.get('field') == field
        assert srv.ruleset() == before
    windows = ansible(srv, dict(backend='windows'))
    assert windows['failed'] and 'action plugin' in windows['msg']


HOLD_SERVER = r'''
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(4)
print('ready', flush=True)
c, _ = s.accept()
time.sleep(60)
'''
HOLD = r'''
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
print('connected', flush=True)
time.sleep(60)
'''
ADMIN = 2222   # a management port whose server keeps its connections (the test server closes them at once)


def test_management_scopes_restrict_ssh_and_the_guard_sees_established_connections(srv):
    def proc_tcp():
        return [run(['ip', 'netns', 'exec', srv.srv, 'cat', path]).stdout for path in ('/proc/net/tcp', '/proc/net/tcp6')]

    # Someone outside the scope is connected to the management port: enforcing that scope would cut them.
    server = subprocess.Popen(['ip', 'netns', 'exec', srv.srv, PYTHON, '-c', HOLD_SERVER, str(ADMIN)],
                              stdout=subprocess.PIPE, text=True)
    holder = None
    try:
        assert server.stdout.readline().strip() == 'ready'
        holder = subprocess.Popen(['ip', 'netns', 'exec', srv.bad, PYTHON, '-c', HOLD, SRV_BAD, str(ADMIN)],
                                  stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == 'connected'
        with pytest.raises(firewall_plan.SafetyError) as info:
            mve_firewall.converge(backend(srv), params(enforce=True, management_scopes=[OK], connection_port=ADMIN,
                                                       management_ports=[SSH, ADMIN]), environ={}, proc_tcp=proc_tcp)
        assert info.value.field == 'management_scopes' and BAD in info.value.message
        assert 'printfleet_mve' not in srv.ruleset()
    finally:
        for proc in (holder, server):
            if proc is not None:
                proc.kill()
                proc.wait(10)
    # Nobody outside the scope connected: SSH from the scope only; the rerun reads the scope back from the kernel.
    result = mve_firewall.converge(backend(srv), params(enforce=True, management_scopes=[OK], connection_port=SSH,
                                                        connection_source=OK), environ={}, proc_tcp=lambda: [])
    assert result['changed'] and 'ip saddr %s tcp dport { 22, 5985-5986 } accept' % OK in result['script']
    assert srv.probe(srv.ok, 'tcp', SRV_OK, SSH) == 'open'
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, SSH) == 'timeout'
    again = mve_firewall.converge(backend(srv), params(enforce=True, management_scopes=[OK], connection_port=SSH),
                                  environ={}, proc_tcp=lambda: [])
    assert again['changed'] is False, again['commands']
    wider = mve_firewall.converge(backend(srv), params(enforce=True, connection_port=SSH), environ={},
                                  proc_tcp=lambda: [])
    assert [c['name'] for c in wider['changes']] == ['enforce'] and wider['changes'][0]['fields'] == ['management_scopes']
    assert srv.probe(srv.bad, 'tcp', SRV_BAD, SSH) == 'open'


HOST_FIREWALL = '''table inet hostfw {
    chain input {
        type filter hook input priority filter + 10; policy accept;
        ct state established,related accept
        iif "lo" accept
        reject
    }
}
'''


def test_another_table_that_rejects_fails_before_any_change_or_warns(srv):
    rc, out, err = srv.nft(['-f', '-'], HOST_FIREWALL)
    assert rc == 0, err
    try:
        with pytest.raises(firewall_nft.NftError) as info:
            mve_firewall.converge(backend(srv), params())
        assert info.value.field == 'coexist' and 'chain inet hostfw input (hook input) ends in a drop or reject rule' \
            in info.value.message
        assert 'printfleet_mve' not in srv.ruleset()
        # coexist: warn applies; the accept in our table cannot open the port that the other table rejects.
        result = mve_firewall.converge(backend(srv), params(coexist='warn'))
        assert result['changed'] and result['coexist']['chains'][0]['table'] == 'hostfw'
        assert 'hostfw' in result['warnings'][0]
        assert srv.probe(srv.ok, 'tcp', SRV_OK, WEB) == 'refused'
    finally:
        srv.nft(['delete', 'table', 'inet', 'hostfw'])
    assert srv.probe(srv.ok, 'tcp', SRV_OK, WEB) == 'open'


# ---- the role's verification, with the controller as a peer ------------------------------------------------

ROLE_PLAY = '''
- name: The mve_firewall role on a host in its own namespace, verified from the controller (the ok peer)
  hosts: mve
  gather_facts: false
  roles:
    - role: printfleet.mve.mve_firewall
'''


def role_run(lab, tmp_path, **role_vars):
    """ansible-playbook in the ``ok`` namespace (the controller, the probes' vantage point); the MVE host's
    modules run in ``srv`` (its Python interpreter is a wrapper that enters the namespace), as over SSH."""
    interpreter = netns_interpreter(tmp_path / 'srv-python', lab.srv)
    inventory = tmp_path / 'inventory.yml'
    host = {'ansible_host': SRV_OK, 'ansible_connection': 'local', 'ansible_python_interpreter': interpreter}
    inventory.write_text(json.dumps({'all': {'hosts': {'mve': host}}}))
    playbook = tmp_path / 'role.yml'
    playbook.write_text(ROLE_PLAY)
    variables = dict(mve_firewall_backend='nftables', mve_firewall_persist=False, mve_firewall_management_ports=[SSH],
                     mve_firewall_features={'printer_protocols': ['npap']})
    variables.update(role_vars)
    env = ansible_env(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'build', 'collections'))
    env['PATH'] = env['PATH'] + os.pathsep + '/usr/sbin:/sbin'
    cmd = ['ip', 'netns', 'exec', lab.ok, os.path.join(BIN, 'ansible-playbook'), '-i', str(inventory), str(playbook),
           '-e', json.dumps(variables)]
    return run(cmd, check=False, env=env, cwd=ROOT)


def test_role_verification_proves_both_halves_with_real_packets(srv, installed, tmp_path):
    # The controller (198.18.0.2) is outside the browsers' scope: the role proves TCP 443 is dropped for it.
    outside = role_run(srv, tmp_path, mve_firewall_scopes={'printer': [OK], 'browser': [BAD]})
    assert outside.returncode == 0, outside.stdout[-4000:] + outside.stderr[-2000:]
    assert 'skipped=0' in outside.stdout and 'failed=0' in outside.stdout   # the verification ran and passed
    assert srv.probe(srv.ok, 'tcp', SRV_OK, WEB) == 'timeout' and srv.probe(srv.bad, 'tcp', SRV_BAD, WEB) == 'open'
    # Inside the scope, with enforce: 443 must pass, TCP 8080 (listening, allowed by no rule) must be dropped.
    inside = role_run(srv, tmp_path, mve_firewall_scopes={'printer': [OK], 'browser': [OK]}, mve_firewall_enforce=True,
                      mve_firewall_verify_blocked_port=OTHER)
    assert inside.returncode == 0, inside.stdout[-4000:] + inside.stderr[-2000:]
    assert 'skipped=0' in inside.stdout and 'failed=0' in inside.stdout
    assert srv.probe(srv.ok, 'tcp', SRV_OK, WEB) == 'open' and srv.probe(srv.ok, 'tcp', SRV_OK, OTHER) == 'timeout'
    # The verification fails when the packets disagree with the scopes: told that the controller is a browser
    # (it is not: its packets are dropped), then told that it is outside the scope (its packets pass).
    blocked = role_run(srv, tmp_path, mve_firewall_scopes={'printer': [OK], 'browser': [BAD]},
                       mve_firewall_verify_source=BAD)
    assert blocked.returncode == 2 and 'drops these allowed inbound flows' in blocked.stdout, blocked.stdout[-4000:]
    assert '"port": %d, "state": "filtered"' % WEB in blocked.stdout
    leaked = role_run(srv, tmp_path, mve_firewall_scopes={'printer': [OK], 'browser': [OK]},
                      mve_firewall_verify_source='203.0.113.9')
    assert leaked.returncode == 2 and 'should drop the controller' in leaked.stdout, leaked.stdout[-4000:]
    assert '"port": %d, "state": "open"' % WEB in leaked.stdout
