# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""database_check against a REAL SQL Server, opt-in: collected only when PFMVE_SQLSERVER_HOST is set
(see README.md in this directory). The default test run uses the MS-TDS spec vectors instead."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import uuid

from ansible_collections.printfleet.mve.plugins.module_utils.checks import database as database_check

ENV = os.environ
HOST = ENV['PFMVE_SQLSERVER_HOST']
USER = ENV.get('PFMVE_SQLSERVER_USER')
PASSWORD = ENV.get('PFMVE_SQLSERVER_PASSWORD')


def params(**extra):
    p = {'host': HOST, 'port': int(ENV['PFMVE_SQLSERVER_PORT']) if ENV.get('PFMVE_SQLSERVER_PORT') else None,
         'timeout': 10.0, 'validate_certs': True, 'ca_path': ENV.get('PFMVE_SQLSERVER_CA_PATH'), 'fail_on_error': True,
         'engine': 'sqlserver', 'username': None, 'password': None, 'database': None,
         'instance': ENV.get('PFMVE_SQLSERVER_INSTANCE')}
    p.update(extra)
    return database_check.validate(p)


def test_prelogin_facts():
    out = database_check.check(params())
    assert out['ok'] is True, out
    assert re.match(r'^\d+\.\d+\.\d+$', out['prelogin']['server_version'])
    assert out['prelogin']['encryption'] in ('off', 'on', 'required', 'not_supported')
    assert out['prelogin']['instance_ok'] in (True, None)


def _need_login():
    assert USER and PASSWORD, 'set PFMVE_SQLSERVER_USER and PFMVE_SQLSERVER_PASSWORD for the login tests'


def test_login_ok():
    _need_login()
    out = database_check.check(params(username=USER, password=PASSWORD, database=ENV.get('PFMVE_SQLSERVER_DATABASE')))
    assert out['ok'] is True, out['reason']
    assert out['login']['ok'] is True
    assert PASSWORD not in json.dumps(out)


def test_wrong_password_is_18456():
    _need_login()
    out = database_check.check(params(username=USER, password=PASSWORD + '-wrong'))
    assert out['ok'] is False
    assert out['login']['error_code'] == 18456 and out['login']['error_kind'] == 'login_failed', out['login']


def test_missing_database_is_4060():
    _need_login()
    out = database_check.check(params(username=USER, password=PASSWORD, database='pfmve_missing_%s' % uuid.uuid4().hex[:8]))
    assert out['ok'] is False
    assert out['login']['error_code'] == 4060 and out['login']['error_kind'] == 'database_unavailable', out['login']
