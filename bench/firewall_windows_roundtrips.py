"""Benchmark for mve_firewall on Windows (issue 5): remote round trips per run, converge vs a per-rule loop. Not a test.

Run: ``.venv/bin/python bench/firewall_windows_roundtrips.py [--store-rules 400]``.

There is no Windows host on the build machines, so this counts rather than times. Both sides run against
lab/windows/fwpolicy_sim.py, the Python simulation of the Windows Defender Firewall policy store that the
unit tests use (it runs the payload of the plugin's PowerShell steps), pre-filled with ``--store-rules``
rules of other groups (a Windows Server has a few hundred built-in rules).

* converge: the mve_firewall action plugin itself, through a fake WinRM connection, for the full MVE rule
  set (every printer protocol, SQL Server, SMTP over SSL, LDAPS, Kerberos, outbound rules); the plugin
  counts its round trips (``round_trips``): one read, one apply when something changes.
* per-rule loop: what ``community.windows.win_firewall_rule`` in a loop costs for the same rules: one
  module run per rule, and a Windows module run is one WinRM command (the module and its wrapper go on
  stdin); each run enumerates the store to find its rule by name, then adds or updates that one rule.

Also printed: how many rule objects each side enumerates on the host (the COM enumeration is the work
the host does per scan). Per WinRM command pywinrm makes about four HTTP requests (command, send,
receive, signal); that factor applies to both sides alike and is not counted.
"""
import argparse
import json
import sys
import types

from _common import ROOT

sys.path.insert(0, ROOT)

from ansible_collections.printfleet.mve.plugins.action.mve_firewall import ActionModule  # noqa: E402
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as firewall_plan  # noqa: E402
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import windows as firewall_windows  # noqa: E402
from lab.windows.fwpolicy_sim import FwPolicySim, new_rule  # noqa: E402
from lab.windows.host import FakeWinRMConnection, SimulatedWindowsHost, default_executors  # noqa: E402

FEATURES = {'database': 'sqlserver', 'smtp': 'ssl', 'directory': 'ldaps', 'kerberos': True}
GROUP = 'printfleet.mve'


def scopes(printer_subnets=200):
    printers = ['10.%d.%d.0/24' % (20 + i // 256, i % 256) for i in range(printer_subnets)]
    printers += ['2001:db8:%x::/64' % i for i in range(max(1, printer_subnets // 10))]
    return {'printer': printers, 'browser': ['10.1.%d.0/24' % i for i in range(10)], 'database': ['10.9.0.5'],
            'smtp': ['10.9.0.6'], 'ldap': ['10.9.0.7', '10.9.0.8'], 'kdc': ['10.9.0.9']}


ARGS = {'features': FEATURES, 'scopes': scopes(), 'outbound': 'always'}


class Connection(FakeWinRMConnection):
    """The simulated Windows host (lab/windows/host.py) behind the real PowerShell shell plugin, its policy store
    ``sim``; counts the commands (round trips)."""

    def __init__(self, sim):
        super(Connection, self).__init__(SimulatedWindowsHost('mvewin01', default_executors(sim)))
        self.sim = sim

    @property
    def commands_run(self):
        return len(self.commands)


def store(size):
    return [new_rule(Name='Built-in rule %d' % i, Grouping='@FirewallAPI.dll,-%d' % (28000 + i // 20), Protocol=6,
                     LocalPorts=str(1000 + i), Enabled=True) for i in range(size)]


def converge(sim):
    action = ActionModule.__new__(ActionModule)
    action._connection = Connection(sim)
    action._play_context = types.SimpleNamespace(remote_addr='mvewin01')   # the transport names its recordings
    before = sim.scanned
    out = action.run_windows(json.loads(json.dumps(ARGS)))
    assert not out.get('failed'), out
    assert out['round_trips'] == action._connection.commands_run
    return out['round_trips'], sim.scanned - before, out['changed'], len(out['rules'])


def per_rule_loop(sim, rules):
    """One module run (one WinRM command) per rule: scan the store for the name, add or update that rule."""
    commands = scanned = changed = 0
    for rule in rules:
        commands += 1
        scanned += len(sim.rules)
        com = firewall_windows.to_com(rule, GROUP)
        found = [r for r in sim.rules if r['Name'] == com['Name']]
        if not found:
            sim.rules.append(dict(com))
            changed += 1
        elif any(found[0].get(k) != v for k, v in com.items()):
            found[0].update(com)
            changed += 1
    return commands, scanned, changed > 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--store-rules', type=int, default=400, help='rules of other groups already on the host')
    args = parser.parse_args()
    want = firewall_plan.desired_rules(FEATURES, ARGS['scopes'], outbound='always', rule_group=GROUP)
    sim = FwPolicySim(rules=store(args.store_rules))
    first = converge(sim)
    rerun = converge(sim)
    assert first[2] and not rerun[2] and first[3] == len(want)
    loop_sim = FwPolicySim(rules=store(args.store_rules))
    loop_first = per_rule_loop(loop_sim, want)
    loop_rerun = per_rule_loop(loop_sim, want)
    print('Full MVE rule set: %d rules (Windows firewall rules; one rule holds IPv4 and IPv6), store of %d '
          'other rules' % (len(want), args.store_rules))
    print('%-6s | %-28s | %-28s | %s' % ('run', 'converge (mve_firewall)', 'per-rule loop', 'ratio'))
    for label, ours, loop in (('first', first, loop_first), ('rerun', rerun, loop_rerun)):
        print('%-6s | %2d round trips, %5d scanned | %2d round trips, %5d scanned | %.1fx round trips, %.1fx scanned'
              % (label, ours[0], ours[1], loop[0], loop[1], float(loop[0]) / ours[0], float(loop[1]) / ours[1]))
    results = {'rules': len(want), 'store_rules': args.store_rules,
               'converge': {'first': first[0], 'rerun': rerun[0]},
               'per_rule_loop': {'first': loop_first[0], 'rerun': loop_rerun[0]}}
    print(json.dumps(results, sort_keys=True))


if __name__ == '__main__':
    main()
