# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure parts of the firewalld backend: names, rich rules (render and parse), the description, the read, the
operations. The helper program itself runs against a real firewalld in tests/integration/test_mve_firewall_firewalld.py;
here a stand-in keeps the settings in a dict, the way firewalld answers the helper."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import random

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.firewall import converge
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import firewalld as fwd
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as firewall_plan

GROUP = 'printfleet.mve'
IN, OUT = 'printfleet_mve_in', 'printfleet_mve_out'
SCOPES = {'printer': ['10.0.0.10-10.0.0.20', '192.0.2.7'], 'browser': ['10.1.0.0/24', 'fd00::/64'],
          'database': ['10.5.0.12']}


def wanted(features=None, outbound='never', scopes=None, **kw):
    features = {'printer_protocols': ['npap', 'ftp']} if features is None else features
    return firewall_plan.desired_rules(features, scopes or SCOPES, outbound=outbound, rule_group=GROUP,
                                       dynamic_ports=(32768, 60999), **kw)


# ---- names -------------------------------------------------------------------------------------------------

def test_policy_names_fit_firewalld_and_long_groups_stay_apart():
    assert fwd.policy_names(GROUP) == {'inbound': IN, 'outbound': OUT}
    long_a = fwd.policy_names('site-amsterdam.printfleet.mve')
    long_b = fwd.policy_names('site-amsterdam.printfleet.mvf')
    for names in (long_a, long_b):
        assert all(len(n) <= fwd.MAX_POLICY_NAME for n in names.values())
        assert all(c.isalnum() or c in '_-' for n in names.values() for c in n)
    assert long_a['inbound'] != long_b['inbound'] and long_a['inbound'].startswith('site_amst')


def test_interpreter_from_the_shebang_of_firewall_cmd():
    assert fwd.interpreter('#!/usr/bin/python3\n') == ['/usr/bin/python3']
    assert fwd.interpreter('#!/usr/libexec/platform-python -s') == ['/usr/libexec/platform-python', '-s']
    assert fwd.interpreter('#! /usr/bin/env python3') == ['python3']
    assert fwd.interpreter('\x7fELF') is None and fwd.interpreter('') is None and fwd.interpreter('#!') is None


def test_refusals_name_the_option():
    assert fwd.refusal({'enforce': True, 'state': 'merged'})[0] == 'enforce'
    assert 'zones already reject' in fwd.refusal({'enforce': True, 'state': 'merged'})[1]
    assert fwd.refusal({'enforce': False, 'enabled': False, 'state': 'merged'})[0] == 'enabled'
    assert fwd.refusal({'enforce': True, 'state': 'absent'}) is None
    assert fwd.refusal({'enforce': False, 'enabled': True, 'state': 'replaced'}) is None


# ---- render ------------------------------------------------------------------------------------------------

def test_rich_rules_of_each_rule_kind():
    features = {'printer_protocols': ['npap', 'ftp'], 'database': 'sqlserver'}
    rules = dict((r['key'], r) for r in wanted(outbound='always', features=features))
    npap = fwd.rule_rich_rules(rules['inbound/udp/printer'])
    # the range becomes the networks that cover it exactly; one rich rule per network and port
    assert npap == ['rule priority="-199" family="ipv4" source address="%s" port port="9187" protocol="udp" accept' % n
                    for n in ('10.0.0.10/31', '10.0.0.12/30', '10.0.0.16/30', '10.0.0.20/32', '192.0.2.7')]
    web = fwd.rule_rich_rules(rules['inbound/tcp/browser'])
    assert web[1] == 'rule priority="-198" family="ipv6" source address="fd00::/64" port port="443" protocol="tcp" accept'
    ftp = fwd.rule_rich_rules(rules['inbound/tcp/printer/20'])
    assert ftp[0] == ('rule priority="-199" family="ipv4" source address="10.0.0.10/31" source-port port="20" '
                      'protocol="tcp" accept')
    database = fwd.rule_rich_rules(rules['outbound/tcp/database'])
    assert database == ['rule priority="-197" family="ipv4" destination address="10.5.0.12" port port="1433" '
                        'protocol="tcp" accept']
    anywhere = fwd.rule_rich_rules(dict(rules['inbound/tcp/browser'], remote_addresses=['any']))
    assert anywhere == ['rule priority="-198" port port="443" protocol="tcp" accept']


def test_scope_drops_follow_the_accepts_once_per_port_and_never_for_source_port_rules():
    rules = wanted()
    rules.append(dict(rules[-1], name='another browser rule', key='inbound/tcp/printer', role='printer'))
    drops = fwd.scope_drop_rules(rules)
    assert drops == ['rule priority="-100" port port="9187" protocol="udp" drop',
                     'rule priority="-100" port port="443" protocol="tcp" drop']
    assert all(fwd.DROP_PRIORITY > p for dummy, p in fwd.ROLE_PRIORITIES)
    anywhere = [dict(r, remote_addresses=['any']) for r in wanted()]
    assert fwd.scope_drop_rules(anywhere) == []


def test_what_a_rich_rule_cannot_hold_is_refused_before_the_apply():
    rule = wanted(outbound='always', features={'database': 'sqlserver', 'printer_protocols': []})[-1]
    with pytest.raises(fwd.FirewalldError) as info:
        fwd.rule_rich_rules(dict(rule, local_ports=[5000]))
    assert info.value.field == 'rules' and info.value.kind == 'input'
    with pytest.raises(fwd.FirewalldError):
        fwd.rule_rich_rules(dict(rule, role='scanner', key='outbound/tcp/scanner'))
    with pytest.raises(fwd.FirewalldError):
        fwd.rule_rich_rules(dict(rule, action='block'))


def test_description_round_trip_survives_newlines_as_spaces():
    rules = wanted(rule_names={'alerts.npap': 'Alerts: from the fleet (UDP), v2'})
    text = fwd.description(GROUP, rules)
    assert '\n' not in text and text.startswith('[printfleet.mve] ')
    ours, names = fwd.parse_description(text, GROUP)
    assert ours
    assert names['inbound/udp/printer'] == {'name': 'Alerts: from the fleet (UDP), v2', 'local_ports': []}
    assert names['inbound/tcp/printer/20']['local_ports'] == ['32768-60999']
    assert fwd.parse_description(text, 'other.group') == (False, {})
    assert fwd.description(GROUP, list(reversed(rules))) == text   # order-independent: no flip-flop between runs


# ---- parse -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('text', [
    'rule priority="-199" family="ipv4" source address="10.0.0.0/8" port port="9187" protocol="udp" accept',
    'rule priority="-198" family="ipv6" source address="fd00::/64" port port="443" protocol="tcp" accept',
    'rule priority="-199" family="ipv4" source address="10.0.0.1" source-port port="20" protocol="tcp" accept',
    'rule priority="-197" family="ipv4" destination address="10.5.0.12" port port="1433" protocol="tcp" accept',
    'rule priority="-100" port port="32768-60999" protocol="tcp" drop',
    'rule port port="443" protocol="tcp" accept',
])
def test_rich_rules_the_module_writes_parse_back_to_the_same_text(text):
    parsed = fwd.parse_rich_rule(text)
    assert parsed is not None
    fields = dict((k, parsed[k]) for k in ('family', 'source', 'destination', 'element', 'port', 'protocol', 'action'))
    assert fwd.rich_text(parsed['priority'], **fields) == text


@pytest.mark.parametrize('text', [
    'rule family="ipv4" source address="10.0.0.0/8" service name="https" accept',
    'rule family="ipv4" source NOT address="10.0.0.0/8" port port="443" protocol="tcp" accept',
    'rule family="ipv4" source ipset="printers" port port="443" protocol="tcp" accept',
    'rule priority="-199" port port="443" protocol="tcp" log prefix="x" accept',
    'rule priority="-199" port port="443" protocol="tcp" reject',
    'rule priority="-199" port port="443" protocol="sctp" accept',
    'rule priority="-199" port port="99999" protocol="tcp" accept',
    'rule priority="x" port port="443" protocol="tcp" accept',
    'rule family="ipv6" source address="10.0.0.0/8" port port="443" protocol="tcp" accept',
    'rule source address="10.0.0.0/8" port port="443" protocol="tcp" accept',
    'rule family="ipv4" source address="10.0.0.1/8" port port="443" protocol="tcp" accept',
    'rule port port="443" protocol="tcp" accept accept',
    'rule port port="443" protocol="tcp"',
    'rule accept',
    'rule port port="443 protocol="tcp" accept',
    'rules port port="443" protocol="tcp" accept',
    '', None, 42, 'rule port port="443" protocol="tcp" accept \x00',
])
def test_other_forms_are_not_ours(text):
    assert fwd.parse_rich_rule(text) is None


def test_rich_rule_parser_never_raises_on_mutations():
    seeds = [fwd.rich_text(-199, 'ipv4', '10.0.0.0/8', None, 'port', '443', 'tcp'),
             fwd.rich_text(-100, element='source-port', port='1-2', protocol='udp', action='drop')]
    rng = random.Random(7)
    alphabet = 'rule ="-0123456789abcdefpty:/.\\x'
    for dummy in range(3000):
        text = list(rng.choice(seeds))
        for dummy2 in range(rng.randint(1, 4)):
            pos = rng.randrange(len(text) + 1)
            op = rng.random()
            if op < 0.4 and text:
                del text[min(pos, len(text) - 1)]
            elif op < 0.8:
                text.insert(pos, rng.choice(alphabet))
            else:
                text = text[:pos]
        result = fwd.parse_rich_rule(''.join(text))
        assert result is None or isinstance(result, dict)


class FakeFirewalld(object):
    """The helper's protocol with the settings in a dict: what firewalld would answer (runtime and permanent)."""

    def __init__(self, running=True, others=None):
        self.runtime, self.permanent = {}, {}
        self.running = running
        self.others = others or []
        self.calls = []
        self.reloads = 0

    def full(self, settings):
        out = {'services': [], 'ports': [], 'protocols': [], 'source_ports': [], 'icmp_blocks': [],
               'forward_ports': [], 'masquerade': False, 'version': ''}
        out.update(copy.deepcopy(settings))
        return out

    def __call__(self, argv, data=None):
        mode = argv[-1]
        assert argv[-3] == '-c' and argv[-2] == fwd.HELPER
        self.calls.append(mode)
        request = json.loads(data)
        if mode == 'read':
            if not self.running:
                return 0, json.dumps({'ok': True, 'running': False}), ''
            return 0, json.dumps({'ok': True, 'running': True, 'version': '1.3.3', 'others': self.others,
                                  'policies': dict((n, {'runtime': self.runtime.get(n), 'permanent': self.permanent.get(n)})
                                                   for n in request['policies'])}), ''
        for op in request['ops']:
            name = op.get('policy')
            if op['op'] == 'add-permanent':
                assert name not in self.permanent
                self.permanent[name] = self.full(op['settings'])
            elif op['op'] == 'update-permanent':
                self.permanent[name].update(copy.deepcopy(op['settings']))
            elif op['op'] == 'delete-permanent':
                del self.permanent[name]
            elif op['op'] == 'reload':
                self.reloads += 1
                self.runtime = copy.deepcopy(self.permanent)
            else:
                self.runtime[name].update(copy.deepcopy(op['settings']))
        return 0, json.dumps({'ok': True, 'done': [op['op'] for op in request['ops']]}), ''


def params(**kw):
    p = dict(rule_group=GROUP, state='merged', enforce=False, features={'printer_protocols': ['npap']},
             outbound='auto', strict=True, management_ports=[22], rule_names={}, scopes=SCOPES)
    p.update(kw)
    return p


def backend(fake, persist=True):
    return fwd.FirewalldBackend(fake, GROUP, python=['/usr/bin/python3'], persist=persist,
                                dynamic_ports_reader=lambda: (32768, 60999))


def test_converge_creates_the_policies_once_with_one_reload_then_changes_in_place():
    fake = FakeFirewalld()
    first = converge.converge(backend(fake), params())
    assert first['changed'] and first['backend'] == 'firewalld' and fake.calls == ['read', 'apply']
    assert [op['op'] for op in json.loads(first['script'])['ops']] == ['add-permanent', 'add-permanent', 'reload']
    assert fake.reloads == 1 and fake.runtime == fake.permanent
    assert fake.runtime[IN]['target'] == 'CONTINUE' and fake.runtime[IN]['ingress_zones'] == ['ANY']
    assert fake.runtime[OUT]['ingress_zones'] == ['HOST'] and fake.runtime[OUT]['rich_rules'] == []
    fake.calls = []
    again = converge.converge(backend(fake), params())
    assert again['changed'] is False and again['commands'] == [] and fake.calls == ['read']
    assert again['rules'] == first['rules']
    # a wider scope: the permanent policy and the runtime one change in place, no reload
    fake.calls = []
    wider = converge.converge(backend(fake), params(scopes=dict(SCOPES, browser=['any']), strict=False))
    assert [c['fields'] for c in wider['changes']] == [['remote_addresses']] and fake.calls == ['read', 'apply']
    assert [op['op'] for op in json.loads(wider['script'])['ops']] == ['update-permanent', 'set-runtime']
    assert fake.reloads == 1
    assert 'rule priority="-100" port port="443" protocol="tcp" drop' not in fake.runtime[IN]['rich_rules']
    assert converge.converge(backend(fake), params(scopes=dict(SCOPES, browser=['any']), strict=False))['changed'] is False


def test_rules_read_back_equal_the_wanted_ones_with_names_and_keys():
    fake = FakeFirewalld()
    names = {'alerts.npap': 'NPAP "in"'.replace('"', '')}
    converge.converge(backend(fake), params(features={'printer_protocols': ['npap', 'ftp'], 'database': 'sqlserver'},
                                            outbound='always', rule_names=names))
    have = backend(fake).read()
    want = wanted(features={'printer_protocols': ['npap', 'ftp'], 'database': 'sqlserver'}, outbound='always',
                  rule_names=names)
    annotated = firewall_plan.annotate(have['rules'], want)
    assert sorted(annotated, key=lambda r: r['key']) == sorted(want, key=lambda r: r['key'])
    assert sorted(have['scope_drops']) == ['tcp/443', 'udp/9187']
    assert have['firewalls'] == ['firewalld'] and have['drop_chains'] == [] and have['exists']


def test_a_moved_port_updates_the_rule_without_a_stale_rich_rule():
    fake = FakeFirewalld()
    base = dict(features={'database': 'sqlserver', 'printer_protocols': []}, outbound='always')
    converge.converge(backend(fake), params(**base))
    moved = converge.converge(backend(fake), params(features={'database': 'sqlserver', 'printer_protocols': [],
                                                              'ports': {'db.sqlserver': 1533}}, outbound='always'))
    assert [(c['action'], c['fields']) for c in moved['changes']] == [('update', ['name', 'remote_ports'])]
    assert not [r for r in fake.runtime[OUT]['rich_rules'] + fake.permanent[OUT]['rich_rules'] if '1433' in r]
    assert 'outbound/tcp/database="MVE - SQL Server to database servers (TCP 1533)"' in fake.permanent[OUT]['description']


def test_check_mode_and_absent():
    fake = FakeFirewalld()
    check = converge.converge(backend(fake), params(), check_mode=True)
    assert check['changed'] and fake.calls == ['read'] and fake.permanent == {} and '"reload"' in check['script']
    converge.converge(backend(fake), params())
    gone = converge.converge(backend(fake), params(state='absent'))
    assert gone['changed'] and gone['rules'] == []
    # the permanent policies are deleted; the runtime ones (firewalld drops a policy at the next reload only) lose
    # their rules now
    assert fake.permanent == {} and fake.runtime[IN]['rich_rules'] == [] and fake.reloads == 1
    assert converge.converge(backend(fake), params(state='absent'))['changed'] is False
    back = converge.converge(backend(fake), params())
    assert [op['op'] for op in json.loads(back['script'])['ops']] == ['add-permanent', 'add-permanent', 'set-runtime']
    assert fake.reloads == 1


def test_persist_false_keeps_the_rules_runtime_only():
    fake = FakeFirewalld()
    converge.converge(backend(fake, persist=False), params())
    assert fake.permanent[IN]['rich_rules'] == [] and fake.runtime[IN]['rich_rules']
    assert 'inbound/udp/printer=' in fake.permanent[IN]['description']   # names: the policy is permanent
    assert converge.converge(backend(fake, persist=False), params())['changed'] is False
    # a permanent copy out of step is repaired by a persisting run, without a plan change
    fixed = converge.converge(backend(fake), params())
    assert fixed['changed'] and fixed['changes'][0]['name'] == 'layout'
    assert fixed['commands'] == ['rewrite firewalld policies %s, %s: update-permanent %s' % (IN, OUT, IN)]
    assert fake.permanent[IN]['rich_rules'] == fake.runtime[IN]['rich_rules']


def test_a_rich_rule_removed_by_hand_is_put_back():
    fake = FakeFirewalld()
    converge.converge(backend(fake), params())
    fake.runtime[IN]['rich_rules'] = [r for r in fake.runtime[IN]['rich_rules'] if '192.0.2.7' not in r or 'udp' not in r]
    result = converge.converge(backend(fake), params())
    assert result['changed']
    assert [op['op'] for op in json.loads(result['script'])['ops']] == ['set-runtime']
    assert fake.runtime[IN]['rich_rules'] == fake.permanent[IN]['rich_rules']


def test_what_we_did_not_write_is_refused_before_any_change():
    fake = FakeFirewalld()
    converge.converge(backend(fake), params())
    fake.runtime[IN]['services'] = ['ssh']
    before = copy.deepcopy((fake.runtime, fake.permanent))
    with pytest.raises(fwd.FirewalldError) as info:
        converge.converge(backend(fake), params(state='replaced'))
    assert info.value.field == 'rule_group' and "services [\"ssh\"]" in info.value.message
    assert (fake.runtime, fake.permanent) == before
    fake.runtime[IN]['services'] = []
    fake.permanent[IN]['rich_rules'].append('rule family="ipv4" source address="10.9.0.0/16" service name="ssh" accept')
    with pytest.raises(fwd.FirewalldError, match='service name'):
        converge.converge(backend(fake), params())
    other = FakeFirewalld()
    other.permanent[IN] = other.full({'description': 'a policy of the admin', 'rich_rules': []})
    with pytest.raises(fwd.FirewalldError, match='not rule group printfleet.mve'):
        converge.converge(backend(other), params())


def test_not_running_and_unreadable_reads_are_backend_errors():
    with pytest.raises(fwd.FirewalldError) as info:
        backend(FakeFirewalld(running=False)).read()
    assert 'not running' in info.value.message and info.value.field == 'backend'
    for text in ('', 'not json', '[]', '{"ok": false, "error": "cannot import"}',
                 '{"ok": true, "running": true, "policies": {"printfleet_mve_in": {"runtime": 3}}}',
                 '{"ok": true, "running": true, "policies": {"printfleet_mve_in": {"runtime": {"description": 5}}}}',
                 '{"ok": true, "running": true, "policies": []}'):
        with pytest.raises(fwd.FirewalldError):
            fwd.parse_state(text, GROUP)


def test_outbound_auto_follows_a_policy_that_rejects_what_the_host_sends():
    others = [{'name': 'lockdown', 'ingress_zones': ['HOST'], 'egress_zones': ['ANY'], 'target': 'REJECT'}]
    fake = FakeFirewalld(others=others)
    result = converge.converge(backend(fake), params(features={'database': 'sqlserver', 'printer_protocols': []}))
    assert [r['key'] for r in result['rules']] == ['inbound/tcp/browser', 'outbound/tcp/database']
    allowing = FakeFirewalld(others=[dict(others[0], target='CONTINUE')])
    result = converge.converge(backend(allowing), params(features={'database': 'sqlserver', 'printer_protocols': []}))
    assert [r['key'] for r in result['rules']] == ['inbound/tcp/browser']


def test_a_failed_apply_reports_what_the_helper_did_and_undid():
    def runner(argv, data=None):
        if argv[-1] == 'read':
            return FakeFirewalld()(argv, data)
        return 0, json.dumps({'ok': False, 'error': 'INVALID_RULE: bad', 'done': ['add-permanent printfleet_mve_in'],
                              'rolled_back': ['remove printfleet_mve_in'], 'rollback_errors': []}), ''
    with pytest.raises(fwd.FirewalldError) as info:
        converge.converge(backend(runner), params())
    assert 'INVALID_RULE: bad' in info.value.message and 'rolled back: remove printfleet_mve_in' in info.value.message
    assert info.value.details['rollback']['done'] == ['add-permanent printfleet_mve_in']

    def crashing(argv, data=None):
        return 1, '', 'Traceback: boom'
    with pytest.raises(fwd.FirewalldError, match='boom'):
        backend(crashing).read()


def test_backend_firewalld_over_a_powershell_connection_fails_before_any_round_trip(monkeypatch):
    import types
    from ansible_collections.printfleet.mve.plugins.action.mve_firewall import ActionModule
    from ansible_collections.printfleet.mve.plugins.plugin_utils import windows_transport

    class Refused(windows_transport.WindowsTransport):
        def run(self, *args, **kwargs):
            raise AssertionError('a round trip was attempted')
    action = ActionModule.__new__(ActionModule)
    action._connection = types.SimpleNamespace(transport='winrm', _shell=types.SimpleNamespace(SHELL_FAMILY='powershell'))
    action._play_context = types.SimpleNamespace(diff=False, remote_addr='mve01.example.test')
    monkeypatch.setattr(windows_transport, 'WindowsTransport', Refused)
    out = action.run_windows({'backend': 'firewalld', 'scopes': SCOPES}, check_mode=False, diff=False)
    assert out['failed'] and out['field'] == 'backend' and out['round_trips'] == 0
    assert out['msg'].startswith("backend: firewalld manages a Linux host's firewalld")
