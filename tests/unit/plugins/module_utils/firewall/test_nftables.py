# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nftables backend against real ``nft -j`` output.

The fixtures in tests/unit/fixtures/nft/ were captured from the real nft of the build machine (Debian 12,
nftables v1.0.6, kernel 6.1) by tests/unit/fixtures/nft/capture.py: for each scenario it loads a script
(our render() output, plus hand-written foreign tables and rules) into a fresh network namespace with
``nft -f`` and stores ``nft -j list ruleset`` (<scenario>.json), the script (<scenario>.nft) and the
planner rules that were rendered (<scenario>.want.json). So parse(<scenario>.json) == <scenario>.want.json is
a round trip through the kernel.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.firewall import nftables as fn
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as fp
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import converge as mve_firewall

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
                        'fixtures', 'nft')
SCENARIOS = ['empty', 'inbound', 'full_enforce', 'foreign_rule', 'two_groups', 'final_reject']


def fixture(name, ext):
    with open(os.path.join(FIXTURES, name + ext)) as fh:
        return fh.read()


def want(name):
    return json.loads(fixture(name, '.want.json'))


def spec_only(rules):
    return [dict((k, r[k]) for k in ('name', 'group') + fp.SPEC_FIELDS) for r in rules]


@pytest.mark.parametrize('scenario', SCENARIOS)
def test_parse_round_trip(scenario):
    w = want(scenario)
    parsed = fn.parse_ruleset(fixture(scenario, '.json'), w['rule_group'])
    assert spec_only(parsed['rules']) == spec_only(w['rules'])
    assert fp.annotate(parsed['rules'], w['rules']) == w['rules']


@pytest.mark.parametrize('scenario', ['inbound', 'two_groups', 'full_enforce'])
def test_render_parsed_gives_the_same_script(scenario):
    w = want(scenario)
    parsed = fn.parse_ruleset(fixture(scenario, '.json'), w['rule_group'])
    script = fn.render(parsed['rules'], w['rule_group'], enforce=parsed['enforce'],
                       management_ports=parsed['management_ports'])
    assert script in fixture(scenario, '.nft')


def test_parse_details():
    empty = fn.parse_ruleset(fixture('empty', '.json'), 'printfleet.mve')
    assert empty == {'exists': False, 'rules': [], 'enforce': False, 'management_ports': [], 'foreign': [],
                     'drop_chains': [], 'default_outbound_action': 'allow', 'base': [], 'scope_drops': [],
                     'management_scopes': ['any'], 'firewalls': []}
    full = fn.parse_ruleset(fixture('full_enforce', '.json'), 'printfleet.mve')
    assert full['exists'] and full['enforce'] and full['management_ports'] == [22, 2222, '5985-5986']
    assert full['default_outbound_action'] == 'block'
    assert [(c['table'], c['hook']) for c in full['drop_chains']] == [('filter', 'input'), ('filter', 'output')]
    inbound = fn.parse_ruleset(fixture('inbound', '.json'), 'printfleet.mve')
    assert not inbound['enforce'] and inbound['default_outbound_action'] == 'allow'
    assert inbound['base'] == ['loopback', 'replies']
    assert inbound['scope_drops'] == [r['name'] for r in want('inbound')['rules'] if r['remote_addresses'] != ['any']]
    foreign = fn.parse_ruleset(fixture('foreign_rule', '.json'), 'printfleet.mve')
    assert [(f['chain'], f['comment']) for f in foreign['foreign']] == [('input', 'hand-made'), ('input', None)]
    # Another group's table is somebody else's business, and vice versa.
    other = fn.parse_ruleset(fixture('two_groups', '.json'), 'printfleet.mve')
    assert [r['name'] for r in other['rules']] == [r['name'] for r in want('inbound')['rules']]
    assert fn.parse_ruleset(fixture('two_groups', '.json'), 'nobody')['rules'] == []


def test_render_shapes():
    w = want('inbound')['rules']
    script = fn.render(w, 'printfleet.mve')
    lines = script.splitlines()
    assert lines[:3] == ['table inet printfleet_mve', 'delete table inet printfleet_mve',
                         'table inet printfleet_mve {']
    assert 'policy accept;' in script and 'chain output' not in script
    # Without enforce the only drops are the scope drops: each scoped port, for the peers outside its scope,
    # after every accept (loopback and replies first); no final drop.
    drops = [line.strip() for line in lines if ' drop ' in line]
    scoped = [r for r in w if r['direction'] == 'inbound' and r['remote_addresses'] != ['any']]
    assert [d.split('scope: ')[1].rstrip('"') for d in drops] == [r['name'] for r in scoped]
    assert all('saddr' not in d for d in drops)
    first_drop = min(i for i, line in enumerate(lines) if ' drop ' in line)
    assert max(i for i, line in enumerate(lines) if ' accept ' in line) < first_drop
    assert lines[5].strip().startswith('iif "lo" accept') and 'established,related accept' in lines[6]
    assert 'base: drop' not in script
    # One nft rule per address family; "any" has no address match.
    alerts = [line for line in lines if 'NPAP alerts' in line and 'scope: ' not in line]
    assert [line.split()[0] for line in alerts] == ['ip', 'ip6']
    assert '{ 192.0.2.7, 198.51.100.0/24, 203.0.113.10-203.0.113.20 }' in alerts[0]
    web = [line for line in lines if 'web console' in line][0]
    assert web.strip().startswith('tcp dport ') and 'saddr' not in web
    assert fn.render([], 'printfleet.mve', remove=True) == ('table inet printfleet_mve\n'
                                                            'delete table inet printfleet_mve\n')
    enforced = fn.render(w, 'printfleet.mve', enforce=True, management_ports=[22])
    body = enforced.splitlines()
    assert body[-3].strip().startswith('counter drop comment "[printfleet.mve] base: drop"')
    assert any('tcp dport 22 accept' in line for line in body)


def test_comment_length_limit():
    rule = dict(want('inbound')['rules'][0], name='MVE - ' + 'x' * 120)
    with pytest.raises(fn.NftError) as info:
        fn.rule_lines(rule, 'printfleet.mve')
    assert info.value.field == 'rule_names' and '128' in str(info.value)


@pytest.mark.parametrize('bad', ['not json', '{"something": []}'])
def test_parse_refuses_garbage(bad):
    with pytest.raises(fn.NftError):
        fn.parse_ruleset(bad, 'printfleet.mve')


def test_parse_refuses_rules_it_does_not_understand():
    data = json.loads(fixture('inbound', '.json'))
    for item in data['nftables']:
        if 'rule' in item and 'MVE - ' in item['rule'].get('comment', '') and 'scope: ' not in item['rule']['comment']:
            item['rule']['expr'].insert(0, {'match': {'op': '==', 'left': {'meta': {'key': 'iifname'}},
                                                      'right': 'eth0'}})
            break
    with pytest.raises(fn.NftError) as info:
        fn.parse_ruleset(data, 'printfleet.mve')
    assert 'unexpected match' in str(info.value)


def test_table_name():
    assert fn.table_name('printfleet.mve') == 'printfleet_mve'
    assert fn.table_name('site-b.mve') == 'site_b_mve'


# ---- the module's converge() with a recorded runner -------------------------------------------------------

class Recorder(object):
    """A runner that answers ``list ruleset`` from a fixture and records every nft call."""

    def __init__(self, ruleset, apply_rc=0):
        self.ruleset = ruleset
        self.apply_rc = apply_rc
        self.calls = []

    def __call__(self, args, data=None):
        self.calls.append((args, data))
        if args == ['-j', 'list', 'ruleset']:
            return 0, self.ruleset, ''
        if args == ['-f', '-']:
            return self.apply_rc, '', 'Error: Could not process rule: No such file or directory' if self.apply_rc else ''
        raise AssertionError(args)


def params(**kw):
    p = dict(rule_group='printfleet.mve', state='merged', enforce=False, features={}, outbound='never',
             strict=False, management_ports=[22, 5985, 5986], rule_names={},
             scopes={'printer': ['198.51.100.0/24', '203.0.113.10-203.0.113.20', '192.0.2.7', '2001:db8:10::/64'],
                     'browser': 'any'})
    p.update(kw)
    return p


def backend(runner):
    return fn.NftablesBackend(runner, dynamic_ports_reader=lambda: (32768, 60999))


def test_converge_unchanged_is_one_read_and_no_apply():
    rec = Recorder(fixture('inbound', '.json'))
    result = mve_firewall.converge(backend(rec), params())
    assert result['changed'] is False and result['commands'] == [] and result['script'] == ''
    assert [c[0] for c in rec.calls] == [['-j', 'list', 'ruleset']]
    assert result['rules'] == want('inbound')['rules']


def test_converge_from_empty_is_one_read_and_one_apply():
    rec = Recorder(fixture('empty', '.json'))
    result = mve_firewall.converge(backend(rec), params())
    assert result['changed'] and len(result['commands']) == 3
    assert [c[0] for c in rec.calls] == [['-j', 'list', 'ruleset'], ['-f', '-']]
    assert rec.calls[1][1] == fixture('inbound', '.nft')


def test_converge_check_mode_reads_only():
    rec = Recorder(fixture('empty', '.json'))
    result = mve_firewall.converge(backend(rec), params(), check_mode=True)
    assert result['changed'] and result['script'] == fixture('inbound', '.nft')
    assert [c[0] for c in rec.calls] == [['-j', 'list', 'ruleset']]


def test_converge_refuses_foreign_rules_in_our_table():
    rec = Recorder(fixture('foreign_rule', '.json'))
    with pytest.raises(fn.NftError) as info:
        mve_firewall.converge(backend(rec), params())
    assert 'did not create' in str(info.value) and 'hand-made' in str(info.value)
    assert len(rec.calls) == 1


def test_converge_failed_apply_raises():
    rec = Recorder(fixture('empty', '.json'), apply_rc=1)
    with pytest.raises(fn.NftError) as info:
        mve_firewall.converge(backend(rec), params())
    assert 'nft -f - failed' in str(info.value)


def test_converge_outbound_auto_follows_foreign_drop_policy_and_warns():
    rec = Recorder(fixture('full_enforce', '.json'))
    p = params(features={'database': 'sqlserver', 'smtp': 'ssl', 'directory': 'ldap', 'kerberos': True,
                         'ports': {'db.sqlserver': 1533}},
               scopes={'printer': ['198.51.100.0/24', '203.0.113.10-203.0.113.20', '192.0.2.7', '2001:db8:10::/64'],
                       'browser': ['10.1.0.0/24', 'fd00:1::/48'], 'database': ['10.9.0.5'], 'smtp': ['10.9.0.6'],
                       'ldap': ['10.9.0.7', '10.9.0.8'], 'kdc': ['10.9.0.9']},
               outbound='auto', enforce=True, management_ports=[22, 2222, 5985, 5986], strict=True, coexist='warn')
    result = mve_firewall.converge(backend(rec), p, environ={'SSH_CONNECTION': '10.0.0.1 50000 10.0.0.2 2222'})
    assert result['changed'] is False
    assert result['rules'] == want('full_enforce')['rules']
    assert 'chain inet filter input (hook input)' in result['warnings'][0]
    assert 'add accept rules for the MVE flows' in result['warnings'][0] and 'coexist: warn' not in result['warnings'][0]
    assert result['coexist']['firewalls'] == [] and result['coexist']['commands'] == []
    # coexist: fail (the default) refuses before anything is applied, and says what to do.
    with pytest.raises(fn.NftError) as info:
        mve_firewall.converge(backend(rec), dict(p, coexist='fail', enforce=False))
    assert info.value.field == 'coexist' and 'Set coexist: warn' in info.value.message
    assert not [c for c in rec.calls if c[0] == '-f']
    # Switching enforce off is a change of the settings only.
    result = mve_firewall.converge(backend(rec), dict(p, enforce=False), check_mode=True)
    assert [c['action'] for c in result['changes']] == ['set'] and 'base: drop' not in result['script']
    assert 'scope: ' in result['script']


def test_converge_enforce_refuses_to_cut_this_connection():
    rec = Recorder(fixture('inbound', '.json'))
    with pytest.raises(fp.SafetyError) as info:
        mve_firewall.converge(backend(rec), params(enforce=True, management_ports=[5985]),
                              environ={'SSH_CONNECTION': '10.0.0.1 50000 10.0.0.2 22'})
    assert info.value.field == 'management_ports'
    assert len(rec.calls) == 1


def test_converge_absent_removes_the_table():
    rec = Recorder(fixture('full_enforce', '.json'))
    result = mve_firewall.converge(backend(rec), params(state='absent'))
    assert result['changed'] and result['rules'] == [] and result['enforce'] is False
    assert rec.calls[-1][1] == 'table inet printfleet_mve\ndelete table inet printfleet_mve\n'


def test_connection_port():
    assert mve_firewall.connection_port({'SSH_CONNECTION': '192.0.2.1 51000 192.0.2.2 22'}) == 22
    assert mve_firewall.connection_port({}) is None


def test_a_table_of_version_0_1_0_is_rewritten_with_the_scope_drops():
    """0.1.0 wrote accept rules only: the same rules read back, but the layout lacks the scope drops and the base
    rules, so converge rewrites the table (once); then it is in step."""
    old = fn.parse_ruleset(fixture('inbound_v010', '.json'), 'printfleet.mve')
    assert old['base'] == [] and old['scope_drops'] == []
    rec = Recorder(fixture('inbound_v010', '.json'))
    w = want('inbound')
    b = backend(rec)
    missing = b.layout_changes(old, w['rules'], False)
    assert missing and 'scope drops' in missing[0] and 'base rules loopback, replies' in missing[1]
    new = fn.parse_ruleset(fixture('inbound', '.json'), 'printfleet.mve')
    assert b.layout_changes(new, w['rules'], False) == []


def test_converge_rewrites_a_0_1_0_table_once():
    rec = Recorder(fixture('inbound_v010', '.json'))
    result = mve_firewall.converge(backend(rec), params())
    assert result['changed'] and [c['name'] for c in result['changes']] == ['layout']
    assert result['commands'][0].startswith('rewrite table printfleet_mve: scope drops for ')
    assert 'scope: MVE - NPAP alerts' in result['script']


def test_a_host_firewall_ending_in_a_reject_rule_is_reported():
    """firewalld-like: policy accept, but the input chain ends in an unconditional reject. Our accepts cannot open a
    port there; converge says where and what to do."""
    parsed = fn.parse_ruleset(fixture('final_reject', '.json'), 'printfleet.mve')
    assert parsed['drop_chains'] == [{'family': 'inet', 'table': 'firewalld', 'chain': 'filter_INPUT',
                                      'hook': 'input', 'by': 'rule'}]
    assert parsed['default_outbound_action'] == 'allow'
    assert parsed['firewalls'] == ['firewalld']
    rec = Recorder(fixture('final_reject', '.json'))
    with pytest.raises(fn.NftError) as info:
        mve_firewall.converge(backend(rec), params())
    assert len(rec.calls) == 1   # the read only: refused before any change
    assert info.value.field == 'coexist'
    assert 'chain inet firewalld filter_INPUT (hook input) ends in a drop or reject rule' in str(info.value)
    conflict = info.value.details['coexist']
    assert conflict['firewalls'] == ['firewalld'] and conflict['commands'][-1] == 'firewall-cmd --reload'
    assert "firewall-cmd --permanent --add-rich-rule='rule family=\"ipv4\" source address=\"198.51.100.0/24\" port port=\"9187\" " \
           "protocol=\"udp\" accept'" in conflict['commands']
    result = mve_firewall.converge(backend(Recorder(fixture('final_reject', '.json'))), params(coexist='warn'))
    assert result['changed'] is False
    assert 'chain inet firewalld filter_INPUT (hook input) ends in a drop or reject rule' in result['warnings'][0]
    assert 'firewall-cmd --permanent --add-rich-rule' in result['warnings'][0]
    assert result['coexist']['commands'] == conflict['commands']


# ---- management scopes, enabled, coexistence --------------------------------------------------------------

def test_management_scopes_render_one_line_per_family_and_read_back():
    before, after = fn.base_lines('printfleet.mve', [22, 5985], enforce=True,
                                  management_scopes=['10.0.0.0/8', '2001:db8::/32'])
    mgmt = [line for line in before if 'base: management' in line]
    assert mgmt == ['ip saddr 10.0.0.0/8 tcp dport { 22, 5985 } accept comment "[printfleet.mve] base: management"',
                    'ip6 saddr 2001:db8::/32 tcp dport { 22, 5985 } accept comment "[printfleet.mve] base: management"']
    assert fn.base_lines('printfleet.mve', [22], enforce=True, management_scopes=['any'])[0][-1].startswith('tcp dport 22')


def test_management_scopes_guard_and_drift():
    rec = Recorder(fixture('inbound', '.json'))
    with pytest.raises(fp.SafetyError) as info:
        mve_firewall.converge(backend(rec), params(enforce=True, management_scopes=['10.1.0.0/16']),
                              environ={'SSH_CONNECTION': '10.2.0.1 50000 10.0.0.2 22'})
    assert info.value.field == 'management_scopes' and 'came from 10.2.0.1' in info.value.message
    assert len(rec.calls) == 1
    result = mve_firewall.converge(backend(rec), params(enforce=True, management_scopes=['10.1.0.0/16'],
                                                        connection_source='10.1.2.3'), check_mode=True)
    assert 'ip saddr 10.1.0.0/16 tcp dport { 22, 5985-5986 } accept' in result['script']
    setting = [c for c in result['changes'] if c['name'] == 'enforce'][0]
    assert setting['after']['management_scopes'] == ['10.1.0.0/16'] and 'management_scopes' in setting['fields']
    assert 'from 10.1.0.0/16' in result['commands'][-1]
    with pytest.raises(fp.PlanError, match='management_scopes: any cannot be combined'):
        mve_firewall.converge(backend(rec), params(management_scopes=['any', '10.0.0.1']))


def test_enabled_false_is_refused_on_nftables_before_the_read():
    rec = Recorder(fixture('inbound', '.json'))
    with pytest.raises(fp.PlanError) as info:
        mve_firewall.converge(backend(rec), params(enabled=False))
    assert info.value.field == 'enabled' and 'no disabled rules' in info.value.message and rec.calls == []
    assert mve_firewall.converge(backend(rec), params(enabled=False, state='absent'), check_mode=True)['changed']


def test_ufw_and_firewalld_commands():
    from ansible_collections.printfleet.mve.plugins.module_utils.firewall import coexist
    rules = fp.desired_rules({'database': 'sqlserver'}, {'printer': ['10.0.0.1-10.0.0.2'], 'browser': 'any',
                                                         'database': ['10.9.0.5']}, outbound='always')
    ufw = coexist.ufw_commands(rules)
    assert 'ufw allow proto tcp from 10.0.0.1/32 port 20 to any port 49152:65535' in ufw
    assert 'ufw allow proto tcp from any to any port 443' in ufw
    assert 'ufw allow out proto tcp to 10.9.0.5 port 1433' in ufw
    fwd = coexist.firewalld_commands(rules)
    assert 'firewall-cmd --permanent --add-port=443/tcp' in fwd and fwd[-1] == 'firewall-cmd --reload'
    assert not [c for c in fwd if '1433' in c]   # firewalld filters no outbound
    have = {'drop_chains': [{'family': 'ip', 'table': 'filter', 'chain': 'INPUT', 'hook': 'input', 'by': 'policy'}],
            'firewalls': ['ufw']}
    conflict = coexist.conflicts(have, rules, 'printfleet_mve')
    assert conflict['commands'] == ufw and 'chain ip filter INPUT (hook input) drops by default' in conflict['message']
    assert coexist.conflicts(dict(have, drop_chains=[]), rules, 't') is None
    assert coexist.conflicts(have, [], 't') is None


PROC_TCP = '''  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0200000A:0016 0100020A:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0
   2: 0200000A:1F90 0300020A:C351 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0
'''
PROC_TCP6 = '''  sl  local_address                         remote_address                        st tx_queue
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000
   1: B80D0120000000000000000002000000:0016 B80D0120000000000000000009000000:C352 01 00000000:00000000
   2: 0000000000000000FFFF00000200000A:0016 0000000000000000FFFF00000400000A:C353 01 00000000:00000000
'''


def test_established_peers_of_the_management_port_from_proc():
    assert mve_firewall.established_peers([22], [PROC_TCP, PROC_TCP6]) == ['10.2.0.1', '2001:db8::9', '10.0.0.4']
    assert mve_firewall.established_peers([8080], [PROC_TCP]) == ['10.2.0.3']
    rec = Recorder(fixture('inbound', '.json'))
    with pytest.raises(fp.SafetyError) as info:   # under become: no SSH_CONNECTION, the kernel still knows
        mve_firewall.converge(backend(rec), params(enforce=True, management_scopes=['10.2.0.0/16'], connection_port=22),
                              environ={}, proc_tcp=lambda: [PROC_TCP, PROC_TCP6])
    assert info.value.field == 'management_scopes' and '2001:db8::9' in info.value.message
    ok = mve_firewall.converge(backend(rec), params(enforce=True, connection_port=22,
                                                    management_scopes=['10.0.0.0/8', '2001:db8::/32']),
                               environ={}, proc_tcp=lambda: [PROC_TCP, PROC_TCP6], check_mode=True)
    assert ok['changed']
