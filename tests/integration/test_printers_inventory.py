"""The printfleet.mve.printers inventory plugin through ``ansible-inventory``, against a lab of its own.

Five lab printers (net-snmp agents) on 127.0.8.1-5, away from the session lab (127.0.3.x, services 127.0.5.x);
the sweep covers 127.0.8.1-8, so three addresses answer with ICMP port unreachable. The collection is the one
``make collection`` installed in ``$ANSIBLE_COLLECTIONS_PATH`` (default build/collections). Cache runs take the
lab down: the cache must answer alone, and ``--flush-cache`` must sweep the dead network.
"""
import json
import os
import subprocess

import pytest

from labtools import BIN, ansible_env, lab_command, tail

FIRST_ADDRESS = '127.0.8.1'
PRINTERS = 5
SWEEP = '127.0.8.1-127.0.8.8'
WRONG_COMMUNITY = 'Wrong-Community-8fz3'


class Lab(object):
    """A lab of PRINTERS printers in ``directory``; ``up()`` and ``down()`` are idempotent."""

    def __init__(self, directory):
        self.dir = directory
        self.info = None

    def up(self):
        if self.info is not None:
            return self.info
        proc = lab_command('up', '--dir', self.dir, '--printers', str(PRINTERS), '--first-address', FIRST_ADDRESS,
                           '--no-remote', '--no-services')
        if proc.returncode != 0:
            logs = os.path.join(self.dir, 'logs')
            details = ''.join('\n--- %s ---\n%s' % (name, tail(os.path.join(logs, name)))
                              for name in sorted(os.listdir(logs))) if os.path.isdir(logs) else ''
            lab_command('down', '--dir', self.dir)
            pytest.fail('the inventory lab did not come up (exit %d):\n%s%s%s'
                        % (proc.returncode, proc.stdout, proc.stderr, details), pytrace=False)
        with open(os.path.join(self.dir, 'lab.json')) as fh:
            self.info = json.load(fh)
        return self.info

    def down(self):
        if self.info is None:
            return
        proc = lab_command('down', '--dir', self.dir)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        self.info = None


@pytest.fixture(scope='module')
def inventory_lab(tmp_path_factory):
    lab = Lab(str(tmp_path_factory.mktemp('inventory-lab')))
    lab.up()
    try:
        yield lab
    finally:
        lab.down()


@pytest.fixture(scope='module')
def plugin_installed(collection_installed):
    plugin = os.path.join(collection_installed, 'ansible_collections', 'printfleet', 'mve', 'plugins', 'inventory',
                          'printers.py')
    if not os.path.exists(plugin):
        pytest.fail('the installed printfleet.mve in %s has no inventory plugin printers: run `make collection`'
                    % collection_installed, pytrace=False)
    return plugin


def unwrap(value):
    """ansible-inventory 2.19 marks untrusted strings {"__ansible_unsafe": ...}: the plain values."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return dict((k, unwrap(v)) for k, v in value.items())
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def write_config(path, **options):
    config = dict({'plugin': 'printfleet.mve.printers'}, **options)
    with open(str(path), 'w') as fh:
        json.dump(config, fh, indent=1)  # JSON is YAML
    return str(path)


def inventory(config, *args, env=None, check=True):
    """``ansible-inventory -i config --list`` (+ args): (inventory dict or None, stdout + stderr)."""
    out = config + '.out.json'
    if os.path.exists(out):
        os.unlink(out)
    cmd = [os.path.join(BIN, 'ansible-inventory'), '-i', config, '--list', '--output', out] + list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False,
                          env=ansible_env(ANSIBLE_INVENTORY_UNPARSED_FAILED='true', **(env or {})))
    text = proc.stdout + proc.stderr
    if check and proc.returncode != 0:
        raise AssertionError('ansible-inventory failed (exit %d):\n%s' % (proc.returncode, text[-6000:]))
    data = None
    if proc.returncode == 0:
        with open(out) as fh:
            data = unwrap(json.load(fh))
    return data, text, proc.returncode


def hosts_of(data):
    return sorted(data['_meta']['hostvars'])


def group(data, name):
    return sorted((data.get(name) or {}).get('hosts', []))


def cache_config(tmp_path, name, **options):
    settings = dict(targets=[SWEEP], hostname='sys_name', timeout=1.0, retries=0, cache=True,
                    cache_plugin='ansible.builtin.jsonfile', cache_connection=str(tmp_path / 'cache'))
    settings.update(options)
    return write_config(tmp_path / name, **settings)


def check_lab_printers(data, lab):
    names = [p['name'] for p in lab['printers']]
    assert hosts_of(data) == sorted(names)
    assert group(data, 'vendor_lexmark') == sorted(names)
    models = {}
    for p in lab['printers']:
        models.setdefault('model_' + p['model'].lower(), []).append(p['name'])
    assert len(models) >= 4
    for model_group, members in models.items():
        assert group(data, model_group) == sorted(members), model_group
    for index, p in enumerate(lab['printers'], 1):
        hostvars = data['_meta']['hostvars'][p['name']]
        assert hostvars['ansible_host'] == p['address']
        assert hostvars['ansible_connection'] == 'local'
        facts = hostvars['printfleet_printer']
        assert facts['address'] == p['address']
        assert facts['vendor'] == 'Lexmark'
        assert facts['model'] == p['model']
        assert facts['serial'] == p['serial']
        assert facts['sys_name'] == p['name']
        assert facts['sys_descr'] == lab['snmp']['sys_descr'][p['name']]
        assert facts['sys_object_id'].startswith('1.3.6.1.4.1.641.')
        assert facts['firmware'] and facts['firmware'] in facts['sys_descr']
        assert facts['page_count'] == 1000 + 37 * index
        assert [s['description'] for s in facts['supplies']]


def test_discovery_groups_and_host_vars(inventory_lab, plugin_installed, tmp_path):
    lab = inventory_lab.up()
    config = write_config(tmp_path / 'lab.printers.yml', targets=[SWEEP], hostname='sys_name', timeout=1.0,
                          groups={'printers': True},
                          keyed_groups=[{'key': 'printfleet_printer.firmware', 'prefix': 'firmware'}])
    data, text, dummy = inventory(config, '-v')
    check_lab_printers(data, lab)
    assert '5 printers answered of 8 addresses; 3 did not (unreachable 3)' in text
    assert group(data, 'printers') == hosts_of(data)
    assert group(data, 'firmware_MXTGM_081_215') == ['printer01', 'printer05']


def test_hosts_named_by_address_by_default(inventory_lab, plugin_installed, tmp_path):
    lab = inventory_lab.up()
    data, dummy, dummy = inventory(write_config(tmp_path / 'a.printers.yaml', targets=['127.0.8.0/29'],
                                                exclude=['127.0.8.2'], local_connection=False))
    assert hosts_of(data) == sorted(p['address'] for p in lab['printers'] if p['address'] != '127.0.8.2')
    assert 'ansible_connection' not in data['_meta']['hostvars']['127.0.8.1']


def test_snmpv3_keys_from_the_environment_never_shown(inventory_lab, plugin_installed, tmp_path):
    lab = inventory_lab.up()
    user = next(u for u in lab['snmp']['v3_users'] if u['username'] == 'mvesha512')
    config = write_config(tmp_path / 'v3.printers.yml', targets=[SWEEP], hostname='serial', version='3',
                          username=user['username'], auth_protocol=user['auth_protocol'],
                          priv_protocol=user['priv_protocol'])
    data, text, dummy = inventory(config, '-vvvv', env={'PRINTFLEET_SNMP_AUTH_KEY': user['auth_key'],
                                                        'PRINTFLEET_SNMP_PRIV_KEY': user['priv_key']})
    assert hosts_of(data) == sorted(p['serial'] for p in lab['printers'])
    for secret in (user['auth_key'], user['priv_key']):
        assert secret not in text
        assert secret not in json.dumps(data)


def test_community_never_shown(inventory_lab, plugin_installed, tmp_path):
    lab = inventory_lab.up()
    community = lab['snmp']['community']
    config = cache_config(tmp_path, 'community.printers.yml', community=community)
    data, text, dummy = inventory(config, '-vvvv')
    assert len(hosts_of(data)) == PRINTERS
    assert community not in text
    stored = ''.join(open(os.path.join(str(tmp_path / 'cache'), name)).read()
                     for name in os.listdir(str(tmp_path / 'cache')))
    assert stored and community not in stored
    # A wrong community: the printers stay silent, nothing is found, and the warning does not repeat it.
    wrong = cache_config(tmp_path, 'wrong.printers.yml', community=WRONG_COMMUNITY, timeout=0.3)
    data, text, dummy = inventory(wrong, '-vvvv')
    assert hosts_of(data) == []
    assert 'no printer answered on 8 addresses' in text
    assert WRONG_COMMUNITY not in text


def test_cache_answers_with_the_lab_down_and_flush_cache_rescans(inventory_lab, plugin_installed, tmp_path):
    lab = inventory_lab.up()
    config = cache_config(tmp_path, 'cached.printers.yml')
    first, text, dummy = inventory(config, '-v')
    check_lab_printers(first, lab)
    assert 'from the inventory cache' not in text
    assert len(os.listdir(str(tmp_path / 'cache'))) == 1

    inventory_lab.down()
    cached, text, dummy = inventory(config, '-v')
    assert 'from the inventory cache' in text
    check_lab_printers(cached, lab)
    assert cached == first

    flushed, text, dummy = inventory(config, '-v', '--flush-cache')
    assert hosts_of(flushed) == []
    assert '0 printers answered of 8 addresses' in text and 'from the inventory cache' not in text
    # The empty sweep replaced the cached one.
    again, text, dummy = inventory(config, '-v')
    assert hosts_of(again) == [] and 'from the inventory cache' in text


@pytest.mark.parametrize('options, words', [
    ({'targets': ['127.0.8.1', '127.0.8.0/33']}, 'targets[1]: '),
    ({'targets': ['127.0.8.1'], 'exclude': ['127.0.8.9-127.0.8.1']}, 'exclude[0]: '),
    ({'targets': ['10.0.0.0/8']}, 'targets: the targets cover 16777214 addresses (after exclude), more than '
                                  'max_hosts (65536)'),
    ({'targets': ['127.0.8.0/24'], 'max_hosts': 16}, 'more than max_hosts (16)'),
])
def test_bad_config_fails_naming_the_field(plugin_installed, tmp_path, options, words):
    config = write_config(tmp_path / 'bad.printers.yml', community=WRONG_COMMUNITY, **options)
    data, text, code = inventory(config, '-vvvv', check=False)
    assert code != 0 and data is None
    assert words in text, text[-3000:]
    assert WRONG_COMMUNITY not in text
