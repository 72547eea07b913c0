# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The printfleet.mve.mve_flows lookup: in process (LookupModule with its documented options) and once
through ansible's own plugin loader and templating (the ``ansible`` CLI)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml
from support import adhoc

from ansible import constants as C
from ansible.errors import AnsibleError

from ansible_collections.printfleet.mve.plugins.lookup import mve_flows
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix as pm

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAME = 'printfleet.mve.mve_flows'


@pytest.fixture
def lookup():
    # What ansible's plugin loader does when it loads the plugin: register the documented options.
    C.config.initialize_plugin_configuration_definitions('lookup', NAME, yaml.safe_load(mve_flows.DOCUMENTATION)['options'])
    plugin = mve_flows.LookupModule()
    plugin._load_name = NAME
    return plugin


def _ids(flows):
    return [f['id'] for f in flows]


def test_no_arguments_returns_every_flow(lookup):
    assert lookup.run([]) == pm.all_flows()


def test_variables_are_accepted(lookup):
    assert lookup.run([], variables={'inventory_hostname': 'mve1'}) == pm.all_flows()


RUN_CASES = [
    # (id, terms, kwargs, expected ids)
    ('terms-are-ids', ['alerts.npap', 'printer.snmp'], {}, ['printer.snmp', 'alerts.npap']),
    ('nested-terms', [['printer.snmp'], 'db.firebird'], {}, ['printer.snmp', 'db.firebird']),
    ('ids-option', [], {'ids': ['db.sqlserver']}, ['db.sqlserver']),
    ('ids-string', [], {'ids': 'db.sqlserver'}, ['db.sqlserver']),
    ('terms-and-ids', ['printer.snmp'], {'ids': 'alerts.npap'}, ['printer.snmp', 'alerts.npap']),
    ('features-empty-defaults', [], {'features': {}},
     ['printer.npap', 'printer.xmlnt', 'printer.lst', 'printer.lst_handshake', 'printer.mdns', 'printer.snmp',
      'printer.ftp', 'printer.ftp_data', 'printer.http', 'printer.http_443', 'printer.https_161',
      'printer.https', 'printer.raw', 'alerts.npap', 'db.firebird', 'browser.https']),
    ('sqlserver', [], {'features': {'database': 'sqlserver'}, 'destination': 'database'}, ['db.sqlserver']),
    ('smtp-starttls', [], {'features': {'smtp': 'starttls'}, 'destination': 'smtp'}, ['smtp.starttls']),
    ('ldaps-kerberos', [], {'features': {'directory': 'ldaps', 'kerberos': 'yes'}, 'endpoint': ['ldap', 'kdc']},
     ['directory.ldaps', 'directory.kerberos']),
    ('protocols', [], {'features': {'printer_protocols': ['snmp', 'npap']}, 'endpoint': 'printer'},
     ['printer.npap', 'printer.snmp', 'alerts.npap']),
    ('source', [], {'source': 'printer'}, ['printer.ftp_data', 'alerts.npap']),
    ('destination-list', [], {'destination': ['mve_server']}, ['printer.ftp_data', 'alerts.npap', 'browser.https']),
    ('endpoint-comma-string', [], {'endpoint': 'smtp,kdc'},
     ['smtp.none', 'smtp.ssl', 'smtp.starttls', 'directory.kerberos']),
    ('transport', [], {'transport': 'udp', 'source': 'mve_server', 'features': {'printer_protocols': 'snmp'}},
     ['printer.snmp']),
    ('terms-filtered', ['printer.snmp', 'printer.ftp'], {'transport': 'tcp'}, ['printer.ftp']),
]


@pytest.mark.parametrize('terms, kwargs, expected', [c[1:] for c in RUN_CASES], ids=[c[0] for c in RUN_CASES])
def test_run(lookup, terms, kwargs, expected):
    assert _ids(lookup.run(terms, **kwargs)) == expected


def test_results_equal_select_flows(lookup):
    features = {'database': 'sqlserver', 'smtp': 'ssl', 'ports': {'db.sqlserver': 1533, 'smtp.ssl': 10465}}
    assert lookup.run([], features=features) == pm.select_flows(features)


@pytest.mark.parametrize('features, flow_id, port, vendor_port', [
    ({'database': 'sqlserver', 'ports': {'db.sqlserver': 1533}}, 'db.sqlserver', 1533, 1433),
    ({'database': 'sqlserver', 'ports': {'db.sqlserver': '1533'}}, 'db.sqlserver', 1533, 1433),
    ({'smtp': 'ssl', 'ports': {'smtp.ssl': 10465}}, 'smtp.ssl', 10465, 465),
    ({'kerberos': True, 'ports': {'directory.kerberos': 8888}}, 'directory.kerberos', 8888, 88),
    ({'directory': 'ldap'}, 'directory.ldap', 389, 389),
])
def test_port_overrides(lookup, features, flow_id, port, vendor_port):
    [flow] = lookup.run([flow_id], features=features)
    assert flow['destination_port'] == port
    assert pm.get_flow(flow_id)['destination_port'] == vendor_port  # the matrix itself is untouched


ERROR_CASES = [
    # (id, terms, kwargs, words that the message must contain: the field, then accepted values)
    ('database', [], {'features': {'database': 'mysql'}}, ['features.database', 'sqlserver', 'firebird']),
    ('smtp', [], {'features': {'smtp': 'tls'}}, ['features.smtp', 'off', 'none', 'ssl', 'starttls']),
    ('directory', [], {'features': {'directory': 'ad'}}, ['features.directory', 'ldap', 'ldaps']),
    ('kerberos', [], {'features': {'kerberos': 'maybe'}}, ['features.kerberos', 'true', 'false']),
    ('protocols', [], {'features': {'printer_protocols': ['ipp']}},
     ['features.printer_protocols'] + list(pm.PRINTER_PROTOCOLS)),
    ('feature-key', [], {'features': {'colour': 1}}, ['features', 'colour'] + list(pm.FEATURE_KEYS)),
    ('port-zero', [], {'features': {'ports': {'db.sqlserver': 0}}}, ['features.ports.db.sqlserver', '65535']),
    ('port-big', [], {'features': {'ports': {'db.sqlserver': 70000}}}, ['features.ports.db.sqlserver', '65535']),
    ('port-word', [], {'features': {'ports': {'db.sqlserver': 'abc'}}}, ['features.ports.db.sqlserver', 'abc']),
    ('port-fixed', [], {'features': {'ports': {'printer.snmp': 1161}}},
     ['features.ports.printer.snmp', 'user-defined', 'db.sqlserver']),
    ('source', [], {'source': 'nas'}, ['source', 'nas'] + list(pm.ENDPOINTS)),
    ('destination', [], {'destination': 'fax'}, ['destination'] + list(pm.ENDPOINTS)),
    ('endpoint', [], {'endpoint': ['printer', 'dns']}, ['endpoint', 'dns']),
    ('transport', [], {'transport': 'sctp'}, ['transport', 'tcp', 'udp']),
    ('term', ['printer.ipp'], {}, ['ids', 'printer.ipp', 'printer.snmp']),
    ('ids', [], {'ids': ['nope']}, ['ids', 'nope']),
    ('unknown-option', [], {'protocol': 'snmp'}, ['protocol', 'features', 'source', 'destination', 'transport']),
    ('features-not-a-dict', [], {'features': 'sqlserver'}, ['features']),
]


@pytest.mark.parametrize('terms, kwargs, words', [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_bad_input_raises_naming_the_field(lookup, terms, kwargs, words):
    with pytest.raises(AnsibleError) as exc:
        lookup.run(terms, **kwargs)
    message = str(exc.value)
    for word in words:
        assert word in message


# ---------------------------------------------------------------------------------------------------------
# Documentation
# ---------------------------------------------------------------------------------------------------------

def test_documentation():
    doc = yaml.safe_load(mve_flows.DOCUMENTATION)
    assert doc['name'] == 'mve_flows'
    assert str(doc['version_added']) == '0.1.0'
    assert doc['author'] and doc['short_description'] and doc['description']
    assert set(doc['options']) == {'_terms', 'features', 'source', 'destination', 'endpoint', 'transport', 'ids'}
    assert set(doc['options']['features']['suboptions']) == set(pm.FEATURE_KEYS)
    for key, option in doc['options']['features']['suboptions'].items():
        assert option['default'] == pm.FEATURE_DEFAULTS[key], key
    yaml.safe_load(mve_flows.EXAMPLES)


def test_documentation_lists_the_accepted_values():
    # The docs carry no `choices` (the matrix validates, with its own messages); they must not drift from it.
    doc = yaml.safe_load(mve_flows.DOCUMENTATION)
    suboptions = doc['options']['features']['suboptions']
    text = dict((k, ' '.join(v['description'])) for k, v in suboptions.items())
    for value in pm.DATABASES:
        assert 'V(%s)' % value in text['database']
    for value in pm.SMTP_CHOICES:
        assert 'V(%s)' % value in text['smtp']
    for value in pm.DIRECTORY_CHOICES:
        assert 'V(%s)' % value in text['directory']
    for value in pm.PRINTER_PROTOCOLS:
        assert 'V(%s)' % value in text['printer_protocols']
    for flow in pm.all_flows():
        if flow['configurable']:
            assert 'V(%s)' % flow['id'] in text['ports']
    for endpoint in pm.ENDPOINTS:
        assert 'V(%s)' % endpoint in ' '.join(doc['options']['source']['description'])
    for transport in pm.TRANSPORTS:
        assert 'V(%s)' % transport in ' '.join(doc['options']['transport']['description'])


def test_return_documents_every_field():
    ret = yaml.safe_load(mve_flows.RETURN)
    assert ret['_raw']['type'] == 'list' and ret['_raw']['elements'] == 'dict'
    assert set(ret['_raw']['contains']) == set(pm.all_flows()[0])


# ---------------------------------------------------------------------------------------------------------
# Through ansible itself: plugin loader, option handling, templating of query()
# ---------------------------------------------------------------------------------------------------------

def _ansible(tmp_path, expression):
    return adhoc.debug(tmp_path, expression)


def _msg(proc):
    return adhoc.msg(proc)


def test_query_through_ansible(tmp_path):
    msg = _msg(_ansible(tmp_path, "query('%s', features={'database': 'sqlserver', 'ports': {'db.sqlserver': 1533}}, "
                                  "destination='database')" % NAME))
    assert msg == pm.select_flows({'database': 'sqlserver', 'ports': {'db.sqlserver': 1533}},
                                  destination='database')
    assert msg[0]['destination_port'] == 1533


def test_bad_input_through_ansible(tmp_path):
    proc = _ansible(tmp_path, "query('%s', features={'smtp': 'tls'})" % NAME)
    assert proc.returncode != 0
    assert 'features.smtp' in proc.stdout + proc.stderr
    assert 'starttls' in proc.stdout + proc.stderr
