# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""printer_snmp against a real net-snmp snmpd (conftest's printer_snmpd), a scripted agent, and through Ansible."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import subprocess
import sys

import pytest
from support.module_args import patch_module_args
from pysnmp.proto import rfc1902

from ansible_collections.printfleet.mve.plugins.module_utils.printers import snmp_client
from ansible_collections.printfleet.mve.plugins.modules import printer_snmp
from support.fake_snmp_agent import make_agent

SYS_NAME = '1.3.6.1.2.1.1.5.0'
SYS_LOCATION = '1.3.6.1.2.1.1.6.0'
SYS_DESCR = '1.3.6.1.2.1.1.1.0'
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


def run_module(args, capsys, check_mode=False, diff=False):
    args = dict(args)
    if check_mode:
        args['_ansible_check_mode'] = True
    if diff:
        args['_ansible_diff'] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            printer_snmp.main()
    out = capsys.readouterr().out
    return info.value.code, json.loads(out)


def base(agent, write=False, version='2c', **more):
    args = {'host': agent.host, 'port': agent.port, 'timeout': 1.0}
    if version == '3':
        args.update(more.pop('v3'))
    else:
        args.update(version=version, community=agent.write_community if write else agent.community)
    args.update(more)
    return args


def read(agent, oid):
    import asyncio

    async def go():
        c = snmp_client.SnmpClient(agent.host, agent.port, community=agent.community)
        try:
            return (await c.get([oid])).values()[oid]
        finally:
            c.close()
    return asyncio.run(go())


@pytest.mark.parametrize('version', ['1', '2c'])
def test_get_and_walk_by_name_and_oid(printer_snmpd, capsys, version):
    names = ['sysDescr', 'sysName.0', SYS_LOCATION, 'prtgenSerialNo', 'prtGeneralSerialNumber']
    code, out = run_module(base(printer_snmpd, version=version, get=names, walk=['1.3.6.1.2.1.43.11.1.1.6']), capsys)
    assert code == 0, out
    assert out['changed'] is False
    assert out['values'][SYS_DESCR].startswith('Lexmark MS822de')
    assert out['named']['prtGeneralSerialNumber'] == 'LAB0042'
    assert out['missing'] == {'1.3.6.1.4.1.641.2.1.2.1.6.1': 'noSuchObject'}
    assert out['walked'] == {'1.3.6.1.2.1.43.11.1.1.6': ['1.3.6.1.2.1.43.11.1.1.6.1.%d' % i for i in (1, 2, 3)]}
    assert out['values']['1.3.6.1.2.1.43.11.1.1.6.1.2'] == 'Imaging Unit'
    assert out['changes'] == []


@pytest.mark.parametrize('version, user', [('1', None), ('2c', None), ('3', 'sha1aes'), ('3', 'sha256aes256'),
                                           ('3', 'sha512aes256'), ('3', 'md5des'), ('3', 'sha256auth')])
def test_set_is_idempotent_and_read_back(printer_snmpd, capsys, version, user):
    value = 'module %s %s' % (version, user or '')
    extra = {'v3': printer_snmpd.v3(user)} if user else {}
    args = base(printer_snmpd, write=True, version=version, set=[{'name': 'sysLocation', 'value': value}], **extra)
    code, out = run_module(args, capsys, diff=True)
    assert code == 0, out
    assert out['changed'] is True
    assert [(c['name'], c['after']) for c in out['changes']] == [('sysLocation', value)]
    assert out['diff']['after'] == {'sysLocation': value}
    assert out['diff']['before']['sysLocation'] != value
    assert out['values'][SYS_LOCATION] == value
    assert read(printer_snmpd, SYS_LOCATION) == value
    code, out = run_module(args, capsys)
    assert code == 0 and out['changed'] is False and out['changes'] == [], out


def test_only_differing_objects_are_set(printer_snmpd, capsys):
    run_module(base(printer_snmpd, write=True, set=[{'name': 'sysName', 'value': 'same-name'}]), capsys)
    code, out = run_module(base(printer_snmpd, write=True, set=[
        {'name': 'sysName', 'value': 'same-name'}, {'oid': SYS_LOCATION, 'type': 's', 'value': 'moved'}]), capsys)
    assert code == 0
    assert [c['oid'] for c in out['changes']] == [SYS_LOCATION]


def test_check_mode_sends_no_set(printer_snmpd, capsys, monkeypatch):
    before = read(printer_snmpd, SYS_NAME)
    sent = []
    original = snmp_client.SnmpClient.set

    async def spy(self, varbinds):
        sent.append(varbinds)
        return await original(self, varbinds)

    monkeypatch.setattr(snmp_client.SnmpClient, 'set', spy)
    code, out = run_module(base(printer_snmpd, write=True, set=[{'name': 'sysName', 'value': before + '-x'}]), capsys,
                           check_mode=True, diff=True)
    assert code == 0, out
    assert out['changed'] is True
    assert out['diff'] == {'before': {'sysName': before}, 'after': {'sysName': before + '-x'}}
    assert sent == []
    assert read(printer_snmpd, SYS_NAME) == before


def test_wrong_community_fails_as_timeout(printer_snmpd, capsys):
    args = base(printer_snmpd, get=['sysName'], community='wrong-community-1', timeout=0.3, retries=0)
    code, out = run_module(args, capsys)
    assert code == 1
    assert out['error_kind'] == 'timeout'
    assert 'no reply: wrong community, ACL, or no agent' in out['msg']
    assert 'wrong-community-1' not in json.dumps({k: v for k, v in out.items() if k != 'invocation'})


@pytest.mark.parametrize('override, kind, words', [
    ({'auth_key': 'wrong-auth-key'}, 'authentication', 'Wrong SNMP PDU digest'),
    ({'priv_key': 'wrong-priv-key'}, 'decryption', 'priv_key'),
    ({'username': 'nobody'}, 'authentication', 'user'),
])
def test_v3_credential_errors(printer_snmpd, capsys, override, kind, words):
    v3 = printer_snmpd.v3('sha256aes256')
    v3.update(override)
    code, out = run_module(base(printer_snmpd, version='3', v3=v3, get=['sysName']), capsys)
    assert code == 1
    assert out['error_kind'] == kind and words in out['msg'], out
    assert out['invocation']['module_args']['auth_key'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    dumped = json.dumps(out)
    assert printer_snmpd.auth_key not in dumped and printer_snmpd.priv_key not in dumped


def test_read_only_object_refused_by_the_agent(printer_snmpd, capsys):
    code, out = run_module(base(printer_snmpd, write=True, set=[{'oid': SYS_DESCR, 'type': 'octet_string',
                                                                 'value': 'not a printer'}]), capsys)
    assert code == 1
    assert out['error_kind'] == 'not_writable' and out['error_status'] == 'notWritable' and out['oid'] == SYS_DESCR
    assert 'not writable' in out['msg']
    assert out['changed'] is True   # a SET was sent: the result says so, whatever the agent made of it


def test_read_only_name_refused_before_sending(printer_snmpd, capsys):
    code, out = run_module(base(printer_snmpd, write=True, set=[{'name': 'sysDescr', 'value': 'x'}]), capsys)
    assert code == 1 and out['field'] == 'set[0]' and 'read-only' in out['msg']
    assert out['changed'] is False   # refused before anything was sent


def test_wrong_type_fails_clearly(printer_snmpd, capsys):
    code, out = run_module(base(printer_snmpd, write=True, set=[{'oid': SYS_NAME, 'type': 'integer', 'value': 5}]),
                           capsys)
    assert code == 1
    assert out['error_kind'] == 'wrong_type' and 'wrong type' in out['msg']


def test_missing_object_cannot_be_set(printer_snmpd, capsys):
    code, out = run_module(base(printer_snmpd, write=True, set=[{'oid': '1.3.6.1.4.1.99999.1.0', 'type': 'i',
                                                                 'value': 1}]), capsys)
    assert code == 1 and out['error_kind'] == 'no_such_object'


def test_set_not_taken_fails(udp_responder, capsys):
    agent = udp_responder(make_agent({SYS_NAME: rfc1902.OctetString(b'old-name')}, take_sets=False))
    code, out = run_module({'host': '127.0.0.1', 'port': agent.port, 'community': 'private', 'timeout': 1.0,
                            'set': [{'name': 'sysName', 'value': 'new-name'}]}, capsys)
    assert code == 1
    assert out['error_kind'] == 'not_taken' and out['changed'] is True
    assert "did not take sysName='new-name' (read back: sysName='old-name')" in out['msg']
    pdu_types = [d[0:1] for d in agent.received]
    assert len(pdu_types) == 3  # GET, SET, GET (read-back)


@pytest.mark.parametrize('args, field, words', [
    ({'version': '3'}, 'username', 'version is 3'),
    ({'version': '3', 'username': 'u', 'auth_key': 'short'}, 'auth_key', 'at least 8'),
    ({'port': 0}, 'port', 'from 1 to 65535'),
    ({'timeout': 0}, 'timeout', 'greater than 0'),
    ({'get': ['sysNmae']}, 'get[0]', 'unknown setting name'),
])
def test_bad_input(capsys, args, field, words):
    all_args = {'host': '127.0.0.1'}
    all_args.update(args)
    code, out = run_module(all_args, capsys)
    # the argument spec's own constraints (version 3 needs username) name the field in the message only
    assert code == 1 and out.get('field', field) == field and field in out['msg'] and words in out['msg'], out


# ---- through Ansible, as a user runs it -------------------------------------------------------------------

def ansible_bin():
    """The Ansible beside the Python that runs pytest (`make oldest`: ansible-core 2.16), else .venv's."""
    here = os.path.dirname(os.path.abspath(sys.executable))
    return here if os.access(os.path.join(here, 'ansible-galaxy'), os.X_OK) else os.path.join(ROOT, '.venv', 'bin')


@pytest.fixture(scope='module')
def installed_collection(tmp_path_factory):
    """Build and install the collection (into a temporary directory), as the docs tell users."""
    env = dict(os.environ, ANSIBLE_NOCOLOR='1')
    bin_dir = ansible_bin()
    dist, collections = str(tmp_path_factory.mktemp('dist-snmp')), str(tmp_path_factory.mktemp('collections'))
    subprocess.run([os.path.join(bin_dir, 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path',
                    dist, '.'], cwd=ROOT, check=True, env=env, capture_output=True)
    tarballs = sorted(glob.glob(os.path.join(dist, 'printfleet-mve-*.tar.gz')))
    subprocess.run([os.path.join(bin_dir, 'ansible-galaxy'), 'collection', 'install', '--force', '-p',
                    collections, tarballs[-1]], cwd=ROOT, check=True, capture_output=True,
                   env=dict(env, ANSIBLE_COLLECTIONS_PATH=collections))
    return collections


def test_through_ansible_secrets_never_shown(printer_snmpd, installed_collection):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=installed_collection, ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    bin_dir = ansible_bin()
    runs = []
    v3 = printer_snmpd.v3('sha256aes256')
    for args in ({'host': printer_snmpd.host, 'port': printer_snmpd.port, 'community': printer_snmpd.write_community,
                  'set': [{'name': 'sysContact', 'value': 'via ansible'}], 'get': ['sysContact']},
                 dict(v3, host=printer_snmpd.host, port=printer_snmpd.port, get=['sysName'])):
        cmd = [os.path.join(bin_dir, 'ansible'), 'localhost', '-vvvv', '-m', 'printfleet.mve.printer_snmp',
               '-a', json.dumps(args), '-e', 'ansible_python_interpreter=%s' % os.path.join(bin_dir, 'python')]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
        runs.append(proc)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '"changed": true' in runs[0].stdout and 'via ansible' in runs[0].stdout
    assert 'printer-under-test' in runs[1].stdout or '"1.3.6.1.2.1.1.5.0"' in runs[1].stdout
    for proc in runs:
        output = proc.stdout + proc.stderr
        for secret in (printer_snmpd.write_community, printer_snmpd.auth_key, printer_snmpd.priv_key):
            assert secret not in output
        assert 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' in output


def test_fleet_set_is_one_task_idempotent_and_reports_each_printer(printer_snmpd, capsys, free_port):
    """O(printers): the real agent's three addresses set in one run; a second run changes nothing; printers
    that do not answer fail alone and are listed."""
    import socket
    hosts = list(printer_snmpd.hosts)
    wanted = [{'name': 'sysLocation', 'value': 'fleet-set %s' % os.getpid()}]
    args = {'printers': hosts, 'port': printer_snmpd.port, 'timeout': 1.0, 'retries': 0,
            'version': '2c', 'community': printer_snmpd.write_community, 'set': wanted}
    code, out = run_module(args, capsys, diff=True)
    assert code == 0 and out['changed'] is True and out['failed_printers'] == []
    assert sorted(out['printers']) == sorted(hosts)
    # The three addresses are served by one agent and worked on concurrently: each read the old value.
    assert all(r['changes'][0]['after'] == wanted[0]['value'] for r in out['printers'].values() if r['changed'])
    assert out['diff']['after']
    code, again = run_module(args, capsys)
    assert code == 0 and again['changed'] is False
    assert all(r['named']['sysLocation'] == wanted[0]['value'] for r in again['printers'].values())
    silent = free_port(socket.SOCK_DGRAM)
    code, out = run_module(dict(args, printers=hosts[:2], port=silent), capsys)
    assert code == 1 and out['failed_printers'] == sorted(hosts[:2])
    assert '2 of 2 printers failed' in out['msg']


def test_host_or_printers_is_required(capsys):
    code, out = run_module({'community': 'public', 'get': ['sysName']}, capsys)
    assert code == 1 and 'host' in out['msg'] and 'printers' in out['msg']


def test_fleet_set_not_taken_is_changed_and_failed(udp_responder, capsys):
    agent = udp_responder(make_agent({SYS_NAME: rfc1902.OctetString(b'old-name')}, take_sets=False))
    code, out = run_module({'printers': ['127.0.0.1'], 'port': agent.port, 'community': 'private', 'timeout': 1.0,
                            'set': [{'name': 'sysName', 'value': 'new-name'}]}, capsys)
    assert code == 1 and out['failed_printers'] == ['127.0.0.1']
    one = out['printers']['127.0.0.1']
    assert one['error_kind'] == 'not_taken' and one['changed'] is True and out['changed'] is True
