# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``firebird`` fixture: the real Firebird 3 server of lab/servers/firebird.py on a free port of 127.0.0.1,
with a test database (path ``firebird.database``, alias ``mvetest``), started and stopped by the tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from lab.servers import ServerError
from lab.servers.firebird import ALIAS, FirebirdServer  # noqa: F401 pylint: disable=unused-import


@pytest.fixture(scope='session')
def firebird(tmp_path_factory):
    """A running Firebird 3 server with a test database; fails (with the server's log) when it cannot start."""
    server = None
    try:
        server = FirebirdServer(tmp_path_factory.mktemp('firebird'))
        server.start()
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()
