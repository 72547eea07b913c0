"""Benchmark for mve_firewall on nftables (issue 5): one converge vs a per-rule loop. Not a test.

Run as root: ``.venv/bin/python bench/firewall_nft.py [--printer-subnets 50] [--repeat 5]``.

Inside a network namespace of its own (``pfmve-fw-bench-<random>``, deleted at the end), for the full MVE
rule set (every printer protocol, SQL Server, SMTP over SSL, LDAPS, Kerberos, outbound rules, IPv4 and
IPv6 printer scopes):

* converge: what ``mve_firewall`` does, the module's own converge(): one ``nft -j list ruleset``, the plan,
  one ``nft -f`` with the whole table (first run), or nothing (rerun);
* per-rule loop: what a per-rule module does for the same nft rules, one rule per task: list the ruleset
  to see whether the rule is there (``nft -j list ruleset``), then ``nft add rule`` when it is missing; the
  rerun only lists.

Both sides exclude Ansible's own start-up (a per-rule loop of Ansible tasks pays it once per task too, so
the real ratio is larger). Each figure is the median of ``--repeat`` runs, each from an empty ruleset.
"""
import argparse
import json
import statistics
import subprocess
import time
import uuid

import _common  # noqa: F401  pylint: disable=unused-import  # makes the collection importable

from ansible_collections.printfleet.mve.plugins.module_utils.firewall import nftables as firewall_nft  # noqa: E402
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import converge as mve_firewall  # noqa: E402
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as firewall_plan  # noqa: E402

FEATURES = {'database': 'sqlserver', 'smtp': 'ssl', 'directory': 'ldaps', 'kerberos': True}


def scopes(printer_subnets):
    printers = ['10.%d.%d.0/24' % (20 + i // 256, i % 256) for i in range(printer_subnets)]
    printers += ['2001:db8:%x::/64' % i for i in range(max(1, printer_subnets // 10))]
    return {'printer': printers, 'browser': ['10.1.%d.0/24' % i for i in range(10)], 'database': ['10.9.0.5'],
            'smtp': ['10.9.0.6'], 'ldap': ['10.9.0.7', '10.9.0.8'], 'kdc': ['10.9.0.9']}


def params(printer_subnets):
    return dict(rule_group='printfleet.mve', state='merged', enforce=False, features=FEATURES, outbound='always',
                strict=True, management_ports=[22, 5985, 5986], rule_names={}, scopes=scopes(printer_subnets))


class Nft(object):
    def __init__(self, ns):
        self.ns = ns
        self.processes = 0

    def __call__(self, args, data=None):
        self.processes += 1
        proc = subprocess.run(['ip', 'netns', 'exec', self.ns, 'nft'] + list(args), input=data, capture_output=True,
                              text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr


def converge(nft, p):
    backend = firewall_nft.NftablesBackend(nft)
    t0 = time.perf_counter()
    result = mve_firewall.converge(backend, p, environ={})
    return time.perf_counter() - t0, result


def per_rule_loop(nft, rules):
    """One check + one ``nft add rule`` process per nft rule, as a per-rule module would run them."""
    t0 = time.perf_counter()
    rc, out, err = nft(['list', 'tables'])
    if 'printfleet_mve' not in out:
        nft(['add', 'table', 'inet', 'printfleet_mve'])
        for chain in ('input', 'output'):
            nft(['add', 'chain', 'inet', 'printfleet_mve', chain,
                 '{ type filter hook %s priority filter; policy accept; }' % chain])
    for rule in rules:
        chain = firewall_nft.CHAINS[rule['direction']]
        comment = '[printfleet.mve] %s: %s' % (firewall_plan.rule_key(rule), rule['name'])
        for line in firewall_nft.rule_lines(rule, 'printfleet.mve'):
            rc, out, err = nft(['-j', 'list', 'ruleset'])
            present = any(item.get('rule', {}).get('comment') == comment and
                          item['rule']['chain'] == chain for item in json.loads(out)['nftables'])
            if not present:
                rc, out, err = nft(['add', 'rule', 'inet', 'printfleet_mve', chain, line])
                assert rc == 0, err
    return time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--printer-subnets', type=int, default=50)
    parser.add_argument('--repeat', type=int, default=5)
    args = parser.parse_args()
    ns = 'pfmve-fw-bench-%s' % uuid.uuid4().hex[:6]
    subprocess.run(['ip', 'netns', 'add', ns], check=True)
    figures = {'converge_first': [], 'converge_rerun': [], 'loop_first': [], 'loop_rerun': []}
    processes = {}
    try:
        p = params(args.printer_subnets)
        for dummy in range(args.repeat):
            nft = Nft(ns)
            nft(['flush', 'ruleset'])
            nft.processes = 0
            seconds, result = converge(nft, p)
            assert result['changed']
            figures['converge_first'].append(seconds)
            processes['converge_first'] = nft.processes
            nft.processes = 0
            seconds, again = converge(nft, p)
            assert not again['changed']
            figures['converge_rerun'].append(seconds)
            processes['converge_rerun'] = nft.processes
            rules = result['rules']
            nft(['flush', 'ruleset'])
            nft.processes = 0
            figures['loop_first'].append(per_rule_loop(nft, rules))
            processes['loop_first'] = nft.processes
            nft.processes = 0
            figures['loop_rerun'].append(per_rule_loop(nft, rules))
            processes['loop_rerun'] = nft.processes
        nft_rules = sum(len(firewall_nft.rule_lines(r, 'printfleet.mve')) for r in rules)
    finally:
        subprocess.run(['ip', 'netns', 'del', ns], check=False)
    med = dict((k, statistics.median(v)) for k, v in figures.items())
    print('full MVE rule set: %d planner rules, %d nft rules, %d printer subnets; median of %d runs'
          % (len(rules), nft_rules, args.printer_subnets, args.repeat))
    for run in ('first', 'rerun'):
        c, loop = med['converge_' + run], med['loop_' + run]
        print('%-6s converge %7.1f ms (%d nft processes)   per-rule loop %7.1f ms (%d nft processes)   ratio %.1fx'
              % (run, c * 1000, processes['converge_' + run], loop * 1000, processes['loop_' + run], loop / c))


if __name__ == '__main__':
    main()
