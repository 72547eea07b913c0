# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IP addresses, networks and ranges as integer intervals: the one parser of the collection.

An item is one string: an address (``192.0.2.10``, ``2001:db8::1``), a network (``192.0.2.0/24``; host
bits are allowed and mean the network, ``192.0.2.5/24`` is ``192.0.2.0/24``; a netmask works too,
``192.0.2.0/255.255.255.0``), or an inclusive range of two addresses of one family (``192.0.2.10-192.0.2.50``;
with ``short_ranges`` the end of an IPv4 range may be its last octet, ``192.0.2.10-50``).

``parse`` gives an ``Interval(version, first, last)`` (ints, inclusive) or raises AddressError naming the
field; ``merge`` sorts (IPv4 first) and joins overlapping and adjacent intervals, ``subtract`` takes
intervals out of others, ``count`` and ``expand`` give their size and their addresses, ``interval_text``
the canonical text of one interval (an address, the one network it is, or ``first-last``).

Users: the firewall planner (``scopes``: whole networks, canonical text) and the printers inventory
(``targets``: host addresses of networks, ``exclude``: whole networks, expanded to the hosts to sweep).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import ipaddress

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import TargetError

Interval = collections.namedtuple('Interval', ['version', 'first', 'last'])

# Why an item was refused (AddressError.reason).
REASONS = ('type', 'address', 'network', 'octet', 'mixed', 'reversed')

_CLASSES = {4: ipaddress.IPv4Address, 6: ipaddress.IPv6Address}


class AddressError(TargetError):
    """A bad address item. ``field`` names it (``targets[2]``), ``value`` is the item as given and
    ``reason`` one of REASONS, for a caller that words its own message."""

    def __init__(self, field, message, reason, value):
        super(AddressError, self).__init__(field, message)
        self.reason = reason
        self.value = value


def _address(text, field, value):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise AddressError(field, '%r is not an IP address' % (text,), 'address', value)


def parse(value, field=None, hosts=False, short_ranges=True):
    """One item -> ``Interval(version, first, last)``.

    ``hosts``: a network means its host addresses, as ``ipaddress``' ``hosts()`` has them: IPv4 leaves out
    the network and broadcast addresses, IPv6 the subnet-router anycast address, except for /31, /32, /127
    and /128. ``short_ranges``: ``192.0.2.10-50`` ends at ``192.0.2.50``.
    """
    if not isinstance(value, str) or not value.strip():
        raise AddressError(field, 'got %r, expected an address, a CIDR network or a range a-b' % (value,), 'type',
                           value)
    text = value.strip()
    if '/' in text:
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError as exc:
            raise AddressError(field, '%r is not a CIDR network: %s' % (text, exc), 'network', value)
        first, last = int(net.network_address), int(net.broadcast_address)
        if hosts:
            if net.version == 4 and net.prefixlen <= 30:
                first, last = first + 1, last - 1
            elif net.version == 6 and net.prefixlen <= 126:
                first += 1
        return Interval(net.version, first, last)
    if '-' in text:
        start_text, dummy, end_text = (p.strip() for p in text.partition('-'))
        start = _address(start_text, field, value)
        if short_ranges and start.version == 4 and end_text.isdigit():
            if int(end_text) > 255:
                raise AddressError(field, 'range %r: the last octet %s is above 255' % (text, end_text), 'octet',
                                   value)
            end_text = start_text.rsplit('.', 1)[0] + '.' + str(int(end_text))
        end = _address(end_text, field, value)
        if start.version != end.version:
            raise AddressError(field, 'range %r mixes IPv%d and IPv%d' % (text, start.version, end.version),
                               'mixed', value)
        if int(end) < int(start):
            raise AddressError(field, 'range %r ends before it starts' % (text,), 'reversed', value)
        return Interval(start.version, int(start), int(end))
    address = _address(text, field, value)
    return Interval(address.version, int(address), int(address))


def parse_list(values, field, **kwargs):
    """``parse`` for every item of ``values``, each named ``<field>[<index>]``."""
    return [parse(value, '%s[%d]' % (field, index), **kwargs) for index, value in enumerate(values)]


def merge_ranges(pairs):
    """Inclusive integer ``(first, last)`` pairs -> sorted, with overlapping and adjacent ones joined."""
    out = []
    for first, last in sorted(pairs):
        if out and first <= out[-1][1] + 1:
            if last > out[-1][1]:
                out[-1] = (out[-1][0], last)
        else:
            out.append((first, last))
    return out


def merge(intervals):
    """Intervals -> sorted (IPv4 first), overlapping and adjacent ones of one family joined."""
    out = []
    for version in (4, 6):
        out.extend(Interval(version, first, last)
                   for first, last in merge_ranges((i[1], i[2]) for i in intervals if i[0] == version))
    return out


def subtract(intervals, removed):
    """``intervals`` less every address of ``removed`` (both merged or not), in the order of ``intervals``."""
    out = []
    for version, first, last in intervals:
        pieces = [(first, last)]
        for r_version, r_first, r_last in removed:
            if r_version != version:
                continue
            kept = []
            for a, b in pieces:
                if r_last < a or r_first > b:
                    kept.append((a, b))
                    continue
                if a < r_first:
                    kept.append((a, r_first - 1))
                if r_last < b:
                    kept.append((r_last + 1, b))
            pieces = kept
        out.extend(Interval(version, a, b) for a, b in pieces)
    return out


def count(intervals):
    """How many addresses the intervals hold (counted, never expanded)."""
    return sum(last - first + 1 for dummy, first, last in intervals)


def expand(intervals):
    """Every address (str) of the intervals, in order."""
    out = []
    for version, first, last in intervals:
        cls = _CLASSES[version]
        out.extend(str(cls(n)) for n in range(first, last + 1))
    return out


def interval_text(version, first, last):
    """The canonical text of one interval: the address, the network when it is exactly one, else ``a-b``
    (this is also how ``nft`` prints them)."""
    cls = _CLASSES[version]
    if first == last:
        return str(cls(first))
    nets = list(ipaddress.summarize_address_range(cls(first), cls(last)))
    if len(nets) == 1:
        return str(nets[0])
    return '%s-%s' % (cls(first), cls(last))


def version_of(text):
    """4 or 6 for a canonical address, network or range (``interval_text``)."""
    return 6 if ':' in text else 4
