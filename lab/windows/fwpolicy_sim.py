"""A Python simulation of the Windows Defender Firewall policy store, as the mve_firewall scripts see it.

No Windows host and no PowerShell exist on the build machines. This stands where
``New-Object -ComObject HNetCfg.FwPolicy2`` would, and follows the contract of the firewall step
(plugins/module_utils/windows/firewall.ps1, payloads from plugins/module_utils/firewall/windows.py): ``step(payload)``
takes the step's payload and returns what the script returns, doing with that data what the PowerShell does,
step for step:

* read: enumerate the store once, keep the rules whose ``Grouping`` equals the payload's group
  (case-sensitive, ``-ceq``), report each profile's current/enabled/default actions;
* apply: index our rules by name once; ``add`` creates a rule (Grouping forced to ours), ``update`` sets
  the properties of the first of ours by that name (snapshot first), ``remove`` removes the last of ours by
  that name (snapshot first; by object, never by a bare name); on a failure at step k, undo steps in
  reverse order from the snapshots and report ``rolled_back``.

Rules are dicts of the documented INetFwRule properties (Name, Description, Grouping, Protocol, LocalPorts,
RemotePorts, RemoteAddresses, Direction, Action, Profiles, Enabled, and the conditions ApplicationName,
ServiceName, LocalAddresses, InterfaceTypes, Interfaces, EdgeTraversal, IcmpTypesAndCodes). Like the COM setters, writes refuse
malformed ports or addresses (E_INVALIDARG) and IPv4 addresses are stored in the ``address/mask`` form that
Windows uses in its policy format (MS-GPFAS: ``RA4=192.168.1.0/255.255.255.0``; a bare address means
/255.255.255.255): that the COM getter prints them back this way is an assumption to confirm on a real
host (the opt-in Molecule scenario). Failures are injected with ``fail_at`` (step number) and
``fail_how`` (``before``: the step raises before changing anything; ``during``: an update or add has set
some properties when it raises, so only the rollback can restore the rule).
"""
import copy
import ipaddress
import json
import re

from ansible_collections.printfleet.mve.plugins.module_utils.firewall import windows as fw

KEYWORDS = ('localsubnet', 'dns', 'dhcp', 'wins', 'defaultgateway', 'intranet', 'internet', 'remotecorpnetwork',
            'playtodevice', 'intranetremoteaccess')
PORT_KEYWORDS = ('RPC', 'RPC-EPMap', 'IPHTTPS', 'Teredo', 'Ply2Disc', 'mDNS')


class ComError(Exception):
    """What a failing COM call raises in PowerShell (HRESULT message)."""


def _norm_address(token):
    if token.lower() in KEYWORDS:
        return token
    if '-' in token:
        first, last = token.split('-', 1)
        ipaddress.ip_address(first)
        ipaddress.ip_address(last)
        return token
    net = ipaddress.ip_network(token if '/' in token else (token + ('/128' if ':' in token else '/32')),
                               strict=False)
    if net.version == 4:
        return '%s/%s' % (net.network_address, net.netmask)
    return str(net) if net.prefixlen < 128 else str(net.network_address)


def com_addresses(text):
    """Validate and store an address string the way the setter would."""
    tokens = [t.strip() for t in str(text).split(',') if t.strip()]
    if tokens == ['*']:
        return '*'
    if not tokens or '*' in tokens:
        raise ComError('Value does not fall within the expected range. (RemoteAddresses %r)' % text)
    try:
        return ','.join(_norm_address(t) for t in tokens)
    except ValueError:
        raise ComError('Value does not fall within the expected range. (RemoteAddresses %r)' % text)


def com_ports(text, protocol):
    tokens = [t.strip() for t in str(text).split(',') if t.strip()]
    if protocol not in (6, 17) and tokens != ['*']:
        raise ComError('The parameter is incorrect. (ports need Protocol 6 or 17, have %r)' % protocol)
    if tokens == ['*']:
        return '*'
    for t in tokens:
        if t in PORT_KEYWORDS:
            continue
        m = re.match(r'^(\d+)(?:-(\d+))?$', t)
        if not m or not all(0 < int(p) <= 65535 for p in m.groups() if p):
            raise ComError('The parameter is incorrect. (ports %r)' % text)
    return ','.join(tokens)


def opens_port(rule, ports):
    """Test-OpensPort of firewall.ps1: an enabled inbound allow TCP (or any-protocol) rule whose LocalPorts holds
    one of ``ports`` ('*', numbers, ranges; keywords never match)."""
    if not (rule['Enabled'] and rule['Direction'] == 1 and rule['Action'] == 1 and rule['Protocol'] in (6, 256)):
        return False
    text = str(rule.get('LocalPorts') or '*')
    if text == '*':
        return True
    for token in (t.strip() for t in text.split(',')):
        m = re.match(r'^(\d+)(?:-(\d+))?$', token)
        if m and any(int(m.group(1)) <= p <= int(m.group(2) or m.group(1)) for p in ports):
            return True
    return False


def new_rule(**props):
    rule = {'Name': None, 'Description': None, 'Grouping': None, 'Protocol': 256, 'LocalPorts': '*',
            'RemotePorts': '*', 'RemoteAddresses': '*', 'Direction': 1, 'Action': 1, 'Profiles': fw.PROFILES_ALL,
            'Enabled': False}
    rule.update(fw.CONDITION_DEFAULTS)
    rule.update(props)
    return rule


class FwPolicySim(object):
    """The policy store. ``rules`` in enumeration order; ``profiles`` name -> settings (COM ints)."""

    def __init__(self, rules=None, current=('domain',), outbound='allow', inbound='block', enabled=True,
                 dynamic_ports=(49152, 16384), modify_state=0):
        # Every COM rule object has every property: fixtures that list only some get the defaults of the rest.
        self.rules = [dict(dict(fw.CONDITION_DEFAULTS), **copy.deepcopy(r)) for r in (rules or [])]
        self.profiles = dict((name, {'bit': bit, 'current': name in current, 'enabled': enabled,
                                     'default_inbound_action': fw.ACTIONS[inbound],
                                     'default_outbound_action': fw.ACTIONS[outbound]})
                             for name, bit in fw.PROFILE_BITS)
        self.dynamic_ports = dynamic_ports
        self.modify_state = modify_state
        self.fail_at = None
        self.fail_how = 'before'
        self.enumerations = 0
        self.scanned = 0  # rule objects enumerated, over all runs
        self.scripts = []

    # ---- the two steps ----------------------------------------------------------------------------------
    def step(self, payload):
        """The firewall step: returns what firewall.ps1 returns for ``payload`` (a JSON round trip, as on the wire)."""
        payload = json.loads(json.dumps(payload))
        self.scripts.append(payload)
        if payload['op'] == 'read':
            out = self.read(payload['group'], payload.get('management_ports') or ())
        elif payload['op'] == 'apply':
            out = self.apply(payload)
        else:
            raise ComError('unknown firewall operation %s' % payload['op'])
        return json.loads(json.dumps(out))

    def read(self, group, management_ports=()):
        self.enumerations += 1
        self.scanned += len(self.rules)
        out = {'group': group, 'rules': [copy.deepcopy(r) for r in self.rules if r['Grouping'] == group],
               'profiles': [{'name': n, 'current': p['current'], 'enabled': p['enabled'],
                             'default_inbound_action': p['default_inbound_action'],
                             'default_outbound_action': p['default_outbound_action']}
                            for n, p in sorted(self.profiles.items(), key=lambda i: i[1]['bit'])],
               'dynamic_ports': ({'start': self.dynamic_ports[0], 'count': self.dynamic_ports[1]}
                                 if self.dynamic_ports else None),
               'rule_count': len(self.rules), 'op': 'read', 'local_policy_modify_state': self.modify_state,
               'management': [dict((k, r[k]) for k in ('Name', 'Grouping', 'LocalPorts', 'RemoteAddresses', 'Profiles'))
                              for r in self.rules if r['Grouping'] != group and management_ports
                              and opens_port(r, management_ports)]}
        return out

    def _set(self, rule, spec, group, partial=False):
        """Set-RuleState: property by property, in the script's order, each validated like the setter."""
        rule['Description'] = spec.get('Description') or ''
        rule['Grouping'] = group
        rule['Protocol'] = int(spec['Protocol'])
        if partial:
            raise ComError('Exception from HRESULT: 0x80070005 (E_ACCESSDENIED) (injected after Protocol)')
        if spec.get('LocalPorts') is not None:
            rule['LocalPorts'] = com_ports(spec['LocalPorts'], rule['Protocol'])
        if spec.get('RemotePorts') is not None:
            rule['RemotePorts'] = com_ports(spec['RemotePorts'], rule['Protocol'])
        rule['RemoteAddresses'] = com_addresses(spec['RemoteAddresses'])
        rule['Direction'] = int(spec['Direction'])
        rule['Action'] = int(spec['Action'])
        rule['Profiles'] = int(spec['Profiles'])
        rule['LocalAddresses'] = com_addresses(spec['LocalAddresses'])
        rule['ApplicationName'] = spec['ApplicationName']
        rule['ServiceName'] = spec['ServiceName']
        rule['InterfaceTypes'] = str(spec['InterfaceTypes'])
        rule['Interfaces'] = spec['Interfaces'] or None
        rule['EdgeTraversal'] = bool(spec['EdgeTraversal'])
        if rule['Protocol'] in (1, 58) and spec['IcmpTypesAndCodes'] is not None:
            rule['IcmpTypesAndCodes'] = spec['IcmpTypesAndCodes']
        rule['Enabled'] = bool(spec['Enabled'])

    def _remove(self, rule):
        for i, r in enumerate(self.rules):
            if r is rule:
                del self.rules[i]
                return
        raise ComError('rule object is gone')

    def _add(self, spec, group, partial=False):
        rule = new_rule(Name=spec['Name'])
        self._set(rule, spec, group, partial=partial)
        self.rules.append(rule)
        return rule

    def apply(self, payload):
        group = payload['group']
        self.enumerations += 1
        self.scanned += len(self.rules)
        ours = {}
        for r in self.rules:
            if r['Grouping'] == group:
                ours.setdefault(r['Name'], []).append(r)
        undo, done = [], []
        result = {'ok': True, 'group': group, 'op': 'apply'}
        k = 0
        try:
            for step in payload['steps']:
                k += 1
                name = step['name']
                inject = self.fail_at == k
                if inject and self.fail_how == 'before':
                    raise ComError('Exception from HRESULT: 0x80070005 (E_ACCESSDENIED) (injected at step %d)' % k)
                if step['op'] == 'add':
                    if inject:  # a half-set new rule is never added: nothing to undo for this step
                        self._add(step['rule'], group, partial=True)
                    undo.append({'op': 'add', 'name': name, 'rule': self._add(step['rule'], group)})
                elif step['op'] == 'update':
                    if not ours.get(name):
                        raise ComError("rule '%s' of group %s is gone" % (name, group))
                    rule = ours[name][0]
                    undo.append({'op': 'update', 'name': name, 'rule': rule, 'before': copy.deepcopy(rule)})
                    self._set(rule, step['rule'], group, partial=inject)
                elif step['op'] == 'remove':
                    if not ours.get(name):
                        raise ComError("rule '%s' of group %s is gone" % (name, group))
                    rule = ours[name][-1]
                    before = copy.deepcopy(rule)
                    if inject:  # Remove-Ours: renamed to a unique name, Remove() fails, the name is put back
                        rule['Name'] = name + ' [pfmve 0123]'
                        rule['Name'] = name
                        raise ComError('Exception from HRESULT: 0x80070005 (E_ACCESSDENIED) (injected in Remove)')
                    self._remove(rule)
                    ours[name].pop()
                    undo.append({'op': 'remove', 'name': name, 'before': before})
                else:
                    raise ComError('unknown step %s' % step['op'])
                done.append({'step': k, 'op': step['op'], 'name': name})
        except (ComError, KeyError) as exc:  # KeyError: a property the payload lacks (StrictMode throws too)
            result.update(ok=False, failed_step=k, error=str(exc))
            rolled, errors = [], []
            for u in reversed(undo):
                try:
                    if u['op'] == 'add':
                        self._remove(u['rule'])
                    elif u['op'] == 'update':
                        self._set(u['rule'], u['before'], group)
                    else:
                        self._add(u['before'], group)
                    rolled.append({'op': u['op'], 'name': u['name']})
                except ComError as err:
                    errors.append({'op': u['op'], 'name': u['name'], 'error': str(err)})
            result.update(rolled_back=rolled, rollback_errors=errors)
        result['done'] = done
        return result

    # ---- helpers for tests ------------------------------------------------------------------------------
    def group(self, group):
        return [r for r in self.rules if r['Grouping'] == group]

    def snapshot(self):
        """The store's content, order-insensitive (a rollback may recreate a removed rule at the end)."""
        return sorted(json.dumps(r, sort_keys=True) for r in self.rules)
