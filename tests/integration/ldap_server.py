"""OpenLDAP slapd instances for the ldap_check tests (lab/servers/ldap.py), each in its own directory on free
loopback ports, with dc=printfleet,dc=test. An instance that does not come up fails the test with its log;
nothing skips."""
import pytest

from lab.servers import ServerError, free_port  # noqa: F401 pylint: disable=unused-import
from lab.servers import ldap
from lab.servers.ldap import PEOPLE, ROOT_DN, ROOT_PW, SUFFIX, USER_DN, USER_PW  # noqa: F401 pylint: disable=unused-import


class Slapd(ldap.Slapd):
    """lab.servers.ldap.Slapd that fails the test (with the log) instead of raising."""

    def __init__(self, directory, leaf=None, ca_path=None, extra=''):
        try:
            super(Slapd, self).__init__(directory, leaf=leaf, ca_path=ca_path, extra=extra)
        except ServerError as exc:
            pytest.fail(str(exc), pytrace=False)

    def start(self, detach=False, timeout=15):
        try:
            return super(Slapd, self).start(detach=detach, timeout=timeout)
        except ServerError as exc:
            pytest.fail(str(exc), pytrace=False)
