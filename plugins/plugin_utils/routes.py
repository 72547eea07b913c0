# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side: the address the controller's packets leave from towards a host (its route's source)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket


class RouteError(Exception):
    """The host does not resolve, or the controller has no route to it."""


def source_address(host, port=443):
    """The local address of a UDP socket connected to ``host`` (connecting a UDP socket sends nothing)."""
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RouteError('%r does not resolve: %s' % (host, exc))
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, dummy, dummy, dummy, address = infos[0]
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.connect(address)
        return sock.getsockname()[0]
    except OSError as exc:
        raise RouteError('no route to %r: %s' % (host, exc))
    finally:
        sock.close()
