"""Every module's results against its RETURN docs, both ways, in the session lab.

Each module runs in success and failure cases (input errors, refused logins, verdicts that fail, fleet members
that time out), on mve01 (Linux, the module itself) and, for the modules with a Windows path, on mvewin01 (the
simulated Windows MVE server, through the action plugins). All cases go into one playbook (one play per host, one
ansible-playbook run); each registered result is written to JSON and compared with the module's RETURN, parsed
with yaml from plugins/modules/<module>.py:

* every key a result holds is documented (recursively through ``contains`` of dicts and lists of dicts);
* every key documented ``returned: always`` is there, in success and failure, except when the task failed on its
  input (``error_kind`` V(input), or printer_port_access's V(invalid_option)): then the result holds ``field``
  and ``error_kind`` only (and on Windows ``vantage`` and ``round_trips``), as the doc fragment
  printfleet.mve.results says;
* every key documented ``returned: success`` is there when the task succeeded, and a key documented
  ``returned: on failure...`` is never there when the task succeeded;
* a value that is not null has the documented type;
* the keys a case names (``present``: conditional keys such as ``vantage`` on Windows, ``field`` and
  ``error_kind`` on bad input) are there.

Ansible's own keys (changed, failed, msg, invocation, diff, ...) are not the modules' contract and are ignored.
mve_firewall runs in check mode only (read-only), on both backends.
"""
import ast
import glob
import json
import os

import pytest
import yaml

from labtools import ROOT, run_playbook

MODULES = sorted(os.path.splitext(os.path.basename(p))[0]
                 for p in glob.glob(os.path.join(ROOT, 'plugins', 'modules', '*.py'))
                 if not os.path.basename(p).startswith('_'))

# Keys Ansible adds or owns, not part of a module's RETURN.
ANSIBLE_KEYS = frozenset((
    'changed', 'failed', 'msg', 'invocation', 'warnings', 'deprecations', 'skipped', 'skip_reason', 'exception',
    'diff', 'ansible_facts', 'module_stdout', 'module_stderr', 'rc', 'attempts', 'failed_when_result',
    'changed_when_result',
))

# The error kinds of a task that failed on its input, and the only keys such a result holds.
INPUT_KINDS = frozenset(('input', 'invalid_option', 'safety'))
INPUT_FAILURE_KEYS = frozenset(('field', 'error_kind', 'vantage', 'round_trips'))

TYPES = {
    'str': (str,), 'path': (str,), 'int': (int,), 'float': (int, float), 'bool': (bool,), 'list': (list,),
    'dict': (dict,), 'raw': (object,), 'complex': (dict, list),
}

# Dicts keyed by data (printer hosts) whose values are results of their own: module -> key -> how each value is
# documented ('contains': the key's own ``contains``; 'top': the module's top-level RETURN).
KEYED = {
    'printer_facts': {'printers': 'contains'},
    'printer_snmp': {'printers': 'top'},
    'printer_port_access': {'printers': 'top'},
}

DEPS = 'mve_lab_dependencies'
CA = '{{ mve_lab_ca_path }}'
P1 = "{{ hostvars[groups['printers'][0]].ansible_host }}"
P2 = "{{ hostvars[groups['printers'][1]].ansible_host }}"
P1_USER = "{{ hostvars[groups['printers'][0]].mve_printer_https_username }}"
P1_PASSWORD = "{{ hostvars[groups['printers'][0]].mve_printer_https_password }}"
# A loopback address where nothing listens: UDP gets an ICMP port unreachable at once.
NOBODY = '127.0.3.250'
PRINTERS_SNMP_HTTPS = {'printer_protocols': ['snmp', 'https']}


def dep(*path):
    return '{{ %s.%s }}' % (DEPS, '.'.join(path))


def case(name, module, args, outcome, host='mve01', check_mode=False, present=(), field=None):
    """One task: ``present`` keys this result must have, ``field`` the value its ``field`` must have."""
    return {'id': name, 'module': module, 'args': args, 'outcome': outcome, 'host': host,
            'check_mode': check_mode, 'present': list(present), 'field': field}


WINDOWS = ('vantage', 'round_trips')
BAD_INPUT = ('field', 'error_kind')

SMTP = {'host': dep('smtp', 'host'), 'username': dep('smtp', 'username'), 'password': dep('smtp', 'password'),
        'ca_path': CA}
DATABASE = {'engine': 'firebird', 'host': dep('database', 'host'), 'username': dep('database', 'username'),
            'password': dep('database', 'password'), 'database': dep('database', 'database')}
LDAP = {'host': dep('ldap', 'host'), 'encryption': 'ldaps', 'ca_path': CA, 'bind_dn': dep('ldap', 'bind_dn'),
        'bind_password': dep('ldap', 'bind_password'), 'search_base': dep('ldap', 'search_base')}
KERBEROS = {'host': dep('kerberos', 'host'), 'realm': dep('kerberos', 'realm'),
            'principal': dep('kerberos', 'principal')}
PORTS = {'targets': [{'host': P1, 'port': 161, 'transport': 'udp', 'probe': 'snmp'},
                     {'host': P1, 'port': 443, 'probe': 'tls'}],
         'features': PRINTERS_SNMP_HTTPS, 'peers': {'printer': [P1, P2]},
         'community': '{{ mve_snmp_community }}', 'ca_path': CA, 'timeout': 2.0}
EWS = {'host': P1, 'username': P1_USER, 'password': P1_PASSWORD, 'ca_path': CA, 'ports': {'tcp/21': 'enabled'}}
FIREWALL = {'scopes': '{{ mve_firewall_scopes }}', 'rule_group': '{{ mve_firewall_rule_group }}',
            'persist': False}
SNMP_FAST = {'community': '{{ mve_snmp_community }}', 'timeout': 1.0, 'retries': 0}


def _with(base, **extra):
    out = dict(base)
    out.update(extra)
    return out


CASES = [
    # smtp_check
    case('smtp_ok', 'smtp_check', SMTP, 'success'),
    case('smtp_auth_refused', 'smtp_check', _with(SMTP, password='wrong-password'), 'failure'),
    case('smtp_refused_reported', 'smtp_check', _with(SMTP, port=1, fail_on_error=False), 'success',
         present=['connect_error']),
    case('smtp_bad_port', 'smtp_check', _with(SMTP, port=70000), 'failure', present=BAD_INPUT, field='port'),
    case('smtp_ok_windows', 'smtp_check', SMTP, 'success', host='mvewin01', present=WINDOWS),
    case('smtp_bad_port_windows', 'smtp_check', _with(SMTP, port=70000), 'failure', host='mvewin01',
         present=BAD_INPUT),
    # database_check
    case('database_ok', 'database_check', DATABASE, 'success', present=['wire']),
    case('database_login_refused', 'database_check', _with(DATABASE, password='wrong-password'), 'failure'),
    case('database_bad_port', 'database_check', _with(DATABASE, port=0), 'failure', present=BAD_INPUT),
    case('database_windows', 'database_check', _with(DATABASE, fail_on_error=False), 'success', host='mvewin01',
         present=WINDOWS),
    case('database_bad_port_windows', 'database_check', _with(DATABASE, port=0), 'failure', host='mvewin01',
         present=BAD_INPUT),
    # ldap_check
    case('ldap_ok', 'ldap_check', LDAP, 'success', present=['tls', 'search']),
    case('ldap_bind_refused', 'ldap_check', _with(LDAP, bind_password='wrong-password'), 'failure',
         present=['bind_diagnostic']),
    case('ldap_bad_port', 'ldap_check', _with(LDAP, port=70000), 'failure', present=BAD_INPUT),
    case('ldap_ok_windows', 'ldap_check', LDAP, 'success', host='mvewin01', present=WINDOWS),
    # kerberos_check
    case('kerberos_ok', 'kerberos_check', KERBEROS, 'success'),
    case('kerberos_unknown_principal', 'kerberos_check', _with(KERBEROS, principal='nobody-here'), 'failure'),
    case('kerberos_bad_port', 'kerberos_check', _with(KERBEROS, port=70000), 'failure', present=BAD_INPUT),
    case('kerberos_ok_windows', 'kerberos_check', KERBEROS, 'success', host='mvewin01', present=WINDOWS),
    # port_check
    case('ports_ok', 'port_check', PORTS, 'success'),
    case('ports_bad_target', 'port_check', _with(PORTS, targets=[{'host': P1, 'port': 0}]), 'failure',
         present=BAD_INPUT, field='targets[0].port'),
    # The SNMP targets come from peers and inherit the module's options: the error names the option the user wrote.
    case('ports_v3_without_user', 'port_check', {'features': PRINTERS_SNMP_HTTPS, 'peers': {'printer': [P1, P2]},
                                                 'version': '3'}, 'failure', present=BAD_INPUT, field='username'),
    case('ports_ok_windows', 'port_check', PORTS, 'success', host='mvewin01', present=WINDOWS),
    case('ports_bad_target_windows', 'port_check', _with(PORTS, targets=[{'host': P1, 'port': 0}]), 'failure',
         host='mvewin01', present=BAD_INPUT + WINDOWS),
    # printer_facts
    case('facts_fleet', 'printer_facts', _with(SNMP_FAST, printers=[P1, P2, NOBODY]), 'success'),
    case('facts_bad_concurrency', 'printer_facts', _with(SNMP_FAST, printers=[P1], concurrency=0), 'failure',
         present=BAD_INPUT),
    # printer_snmp
    case('snmp_get_and_planned_set', 'printer_snmp', {
        'host': P1, 'community': '{{ mve_snmp_write_community }}', 'get': ['sysName', 'sysDescr'],
        'walk': ['1.3.6.1.2.1.1'], 'set': [{'name': 'sysContact', 'value': 'return-contract@printfleet.lab'}]},
        'success', check_mode=True, present=['values', 'named', 'missing', 'walked', 'changes']),
    case('snmp_not_writable', 'printer_snmp', {
        'host': P1, 'community': '{{ mve_snmp_write_community }}',
        'set': [{'oid': '1.3.6.1.2.1.1.1.0', 'type': 's', 'value': 'not writable'}]}, 'failure',
        present=['error_kind']),
    case('snmp_bad_host', 'printer_snmp', {'host': ' ', 'get': ['sysName']}, 'failure', present=BAD_INPUT),
    case('snmp_fleet', 'printer_snmp', _with(SNMP_FAST, printers=[P1, P2], get=['sysName']), 'success',
         present=['printers', 'failed_printers']),
    case('snmp_fleet_one_silent', 'printer_snmp', _with(SNMP_FAST, printers=[P1, NOBODY], get=['sysName']),
         'failure', present=['printers', 'failed_printers']),
    # printer_port_access (read-only: nothing to change, or refused before anything is posted)
    case('ews_nothing_to_change', 'printer_port_access', EWS, 'success', check_mode=True),
    case('ews_guard_rail', 'printer_port_access', _with(EWS, ports={'tcp/443': 'disabled'}), 'failure',
         present=['blocked', 'error_kind']),
    case('ews_login_refused', 'printer_port_access', _with(EWS, password='wrong-password'), 'failure',
         present=['error_kind']),
    case('ews_certificate_invalid', 'printer_port_access', dict((k, v) for k, v in EWS.items() if k != 'ca_path'),
         'failure', present=['error_kind', 'fingerprint_sha256']),
    case('ews_no_such_checkbox', 'printer_port_access', _with(EWS, ports={'tcp/12345': 'enabled'}), 'failure',
         present=['error_kind', 'missing', 'unmapped']),
    case('ews_bad_port_key', 'printer_port_access', _with(EWS, ports={'tcp/x': 'enabled'}), 'failure',
         present=BAD_INPUT, field='ports.tcp/x'),
    case('ews_fleet_nothing_to_change', 'printer_port_access',
         {'printers': [{'host': P1, 'username': P1_USER, 'password': P1_PASSWORD}], 'ca_path': CA,
          'ports': {'tcp/21': 'enabled'}}, 'success', check_mode=True, present=['printers', 'failed_printers', 'forced']),
    case('ews_fleet_one_unreachable', 'printer_port_access',
         {'printers': [{'host': P1, 'username': P1_USER, 'password': P1_PASSWORD}, {'host': NOBODY}], 'ca_path': CA,
          'ports': {'tcp/21': 'enabled'}, 'timeout': 2}, 'failure', check_mode=True,
         present=['printers', 'failed_printers']),
    case('ews_fleet_bad_host', 'printer_port_access',
         {'printers': [{'host': 'https://%s/' % NOBODY}], 'ports': {'tcp/21': 'enabled'}},
         'failure', present=BAD_INPUT, field='printers[0].host'),
    # mve_firewall, check mode only
    case('firewall_planned_nft', 'mve_firewall', _with(FIREWALL, backend='nftables'), 'success', check_mode=True,
         present=['persisted', 'script']),
    case('firewall_any_refused', 'mve_firewall', _with(FIREWALL, backend='nftables',
                                                       scopes={'printer': 'any', 'browser': 'any'}),
         'failure', check_mode=True, present=['field']),
    case('firewall_planned_windows', 'mve_firewall', _with(FIREWALL, backend='windows'), 'success',
         host='mvewin01', check_mode=True, present=['round_trips', 'profiles']),
]


# ---- RETURN docs ----------------------------------------------------------------------------------------------

def return_docs(module):
    """The module's RETURN, parsed with yaml from plugins/modules/<module>.py (without importing it)."""
    with open(os.path.join(ROOT, 'plugins', 'modules', module + '.py')) as fh:
        tree = ast.parse(fh.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == 'RETURN' for t in node.targets):
            return yaml.safe_load(node.value.value) or {}
    raise AssertionError('%s has no RETURN' % module)


def _returned(spec):
    return ' '.join(str(spec.get('returned', '')).split()).lower()


def _type_ok(value, doc_type):
    if value is None or doc_type is None:
        return True
    if isinstance(value, bool) and doc_type in ('int', 'float'):
        return False
    return isinstance(value, TYPES.get(doc_type, (object,)))


def compare(value, docs, path='', success=True, top=None, keyed=None, input_failure=False):
    """Problems between the dict ``value`` and the RETURN entries ``docs`` (a list of sentences)."""
    problems = []
    if input_failure:
        extra = sorted(k for k in value if k not in ANSIBLE_KEYS and k not in INPUT_FAILURE_KEYS)
        if extra:
            problems.append('a task that failed on its input returns %s besides field and error_kind'
                            % ', '.join(extra))
    top = docs if top is None else top
    for key in sorted(value):
        where = path + key
        if not path and (key in ANSIBLE_KEYS or key.startswith('_ansible')):
            continue
        if key not in docs:
            problems.append('%s is returned but not documented' % where)
            continue
        spec = docs[key] or {}
        problems += _compare_value(value[key], spec, where, success, top, (keyed or {}).get(key))
    for key, spec in sorted(docs.items()):
        returned = _returned(spec or {})
        where = path + key
        if key not in value:
            if returned == 'always' and not input_failure:
                problems.append('%s is documented as returned always but is missing' % where)
            elif returned == 'success' and success:
                problems.append('%s is documented as returned on success but is missing' % where)
        elif returned.startswith(('on failure', 'failure')) and success:
            problems.append('%s is documented as returned on failure but the task succeeded' % where)
    return problems


def _compare_value(item, spec, where, success, top, keyed):
    problems = []
    if not _type_ok(item, spec.get('type')):
        problems.append('%s is a %s, documented as %s' % (where, type(item).__name__, spec.get('type')))
        return problems
    contains = spec.get('contains')
    if keyed and isinstance(item, dict):
        for name, sub in sorted(item.items()):
            sub_where = '%s[%r]' % (where, name)
            if not isinstance(sub, dict):
                problems.append('%s is a %s, documented as a dict' % (sub_where, type(sub).__name__))
            elif keyed == 'top':
                docs = dict((k, v) for k, v in top.items() if k not in KEYED_TOP_EXCLUDED)
                ok = not sub.get('failed')
                sub = dict((k, v) for k, v in sub.items() if k not in ANSIBLE_KEYS)
                problems += compare(sub, docs, sub_where + '.', success=ok, top=top)
            else:
                problems += compare(sub, contains or {}, sub_where + '.', success=success, top=top)
        return problems
    if not contains:
        if isinstance(item, list) and spec.get('elements'):
            for i, element in enumerate(item):
                if not _type_ok(element, spec['elements']):
                    problems.append('%s[%d] is a %s, documented as %s' % (where, i, type(element).__name__,
                                                                          spec['elements']))
        return problems
    if isinstance(item, dict):
        problems += compare(item, contains, where + '.', success=success, top=top)
    elif isinstance(item, list):
        for i, element in enumerate(item):
            if isinstance(element, dict):
                problems += compare(element, contains, '%s[%d].' % (where, i), success=success, top=top)
            else:
                problems.append('%s[%d] is a %s, documented with contains (a dict)'
                                % (where, i, type(element).__name__))
    return problems


# The keys of printer_snmp's and printer_port_access's fleet mode that a printer's own result does not repeat.
KEYED_TOP_EXCLUDED = frozenset(('printers', 'failed_printers', 'forced'))


# ---- the run --------------------------------------------------------------------------------------------------

def _task(index, c, out_dir):
    task = {'name': c['id'], 'printfleet.mve.' + c['module']: c['args'], 'register': 'contract_%d' % index,
            'ignore_errors': True}
    if c['check_mode']:
        task['check_mode'] = True
    save = {'name': 'save ' + c['id'], 'ansible.builtin.copy': {
        'content': '{{ contract_%d | to_json }}' % index, 'dest': os.path.join(out_dir, c['id'] + '.json'),
        'mode': '0600'}, 'delegate_to': 'localhost'}
    return [task, save]


@pytest.fixture(scope='module')
def results(lab, collection_installed, tmp_path_factory):
    """Run every case in one ansible-playbook run; the registered results by case id."""
    work = tmp_path_factory.mktemp('return_contract')
    out_dir = str(work / 'results')
    os.makedirs(out_dir)
    plays = []
    for host in ('mve01', 'mvewin01'):
        tasks = []
        for index, c in enumerate(CASES):
            if c['host'] == host:
                tasks += _task(index, c, out_dir)
        plays.append({'name': 'RETURN contract on %s' % host, 'hosts': host, 'gather_facts': False, 'tasks': tasks})
    playbook = str(work / 'contract.yml')
    with open(playbook, 'w') as fh:
        json.dump(plays, fh, indent=1)  # JSON is YAML
    proc = run_playbook(playbook, lab['inventory'], timeout=600, check=False)
    out = {}
    for c in CASES:
        path = os.path.join(out_dir, c['id'] + '.json')
        assert os.path.exists(path), 'case %s left no result:\n%s\n%s' % (
            c['id'], proc.stdout[-6000:], proc.stderr[-3000:])
        with open(path) as fh:
            out[c['id']] = json.load(fh)
    return out


def test_every_module_has_success_and_failure_cases():
    for module in MODULES:
        outcomes = set(c['outcome'] for c in CASES if c['module'] == module)
        assert outcomes == {'success', 'failure'}, (module, outcomes)
    assert len(set(c['id'] for c in CASES)) == len(CASES)


@pytest.mark.parametrize('module', MODULES)
def test_return_docs_parse(module):
    docs = return_docs(module)
    assert docs, module
    for key, spec in docs.items():
        assert isinstance(spec, dict) and spec.get('description') and spec.get('returned'), (module, key)
        assert spec.get('type') in TYPES, (module, key, spec.get('type'))


@pytest.mark.parametrize('c', CASES, ids=[c['id'] for c in CASES])
def test_results_match_return_docs(results, c):
    result = results[c['id']]
    failed = bool(result.get('failed'))
    assert failed == (c['outcome'] == 'failure'), 'expected %s, got: %s' % (c['outcome'], json.dumps(result)[:3000])
    # Ansible 2.19 adds exception: '(traceback unavailable)' to every fail_json; a module that crashed has a real one.
    assert 'module_stderr' not in result and 'Traceback' not in str(result.get('exception', '')), \
        json.dumps(result)[:3000]
    docs = return_docs(c['module'])
    input_failure = failed and result.get('error_kind') in INPUT_KINDS
    if set(c['present']) >= set(BAD_INPUT):
        assert input_failure, 'expected a failure on the input: %s' % json.dumps(result)[:3000]
    problems = compare(result, docs, success=not failed, keyed=KEYED.get(c['module']), input_failure=input_failure)
    for key in c['present']:
        if key not in result:
            problems.append('%s is missing (this case must return it)' % key)
    if c['field'] is not None and result.get('field') != c['field']:
        problems.append('field is %r, expected %r' % (result.get('field'), c['field']))
    assert not problems, '%s (%s):\n  %s\nresult: %s' % (
        c['module'], c['id'], '\n  '.join(problems), json.dumps(result, sort_keys=True)[:4000])
