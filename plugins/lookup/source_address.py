# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: source_address
author:
  - printfleet.mve contributors (@printfleet)
version_added: 0.2.0
short_description: The address this controller's packets leave from towards a host
description:
  - Returns, for each host given, the local IP address that the controller's routing table picks to reach it,
    the address a firewall on that host sees as the source of the controller's probes.
  - The address is found by connecting a UDP socket (which sends nothing) and reading its local address.
  - A name is resolved on the controller; a name or route that does not resolve fails with a message naming it.
options:
  _terms:
    description: Host names or IP addresses.
    type: list
    elements: str
    required: true
  port:
    description: The destination port used for the route lookup (policy routing may depend on it).
    type: int
    default: 443
"""

EXAMPLES = r"""
- name: The address the MVE server sees the controller's probes come from
  ansible.builtin.debug:
    msg: "{{ lookup('printfleet.mve.source_address', ansible_host) }}"
"""

RETURN = r"""
_raw:
  description: One local IP address per host, as a string.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.printfleet.mve.plugins.plugin_utils import routes


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        port = self.get_option('port')
        out = []
        for term in terms:
            try:
                out.append(routes.source_address(str(term), port))
            except routes.RouteError as exc:
                raise AnsibleLookupError('printfleet.mve.source_address: %s' % exc)
        return out
