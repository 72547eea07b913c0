# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one address parser: items -> intervals, merge, subtract, count, expand, canonical text."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.common import addresses as a
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import InputError, TargetError


def ip(text):
    return int(ipaddress.ip_address(text))


# ---- parse ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('item, version, first, last', [
    ('192.0.2.7', 4, '192.0.2.7', '192.0.2.7'),
    (' 192.0.2.7 ', 4, '192.0.2.7', '192.0.2.7'),
    ('192.0.2.0/24', 4, '192.0.2.0', '192.0.2.255'),
    ('192.0.2.5/24', 4, '192.0.2.0', '192.0.2.255'),                # host bits set: the network is meant
    ('192.0.2.0/255.255.255.0', 4, '192.0.2.0', '192.0.2.255'),     # a netmask works too
    ('192.0.2.9/32', 4, '192.0.2.9', '192.0.2.9'),
    ('192.0.2.250-192.0.3.1', 4, '192.0.2.250', '192.0.3.1'),
    (' 192.0.2.10 - 192.0.2.11 ', 4, '192.0.2.10', '192.0.2.11'),
    ('192.0.2.10-12', 4, '192.0.2.10', '192.0.2.12'),                # short range: the last octet
    ('192.0.2.9-9', 4, '192.0.2.9', '192.0.2.9'),
    ('10.0.0.0/8', 4, '10.0.0.0', '10.255.255.255'),
    ('2001:db8::1', 6, '2001:db8::1', '2001:db8::1'),
    ('2001:DB8::1', 6, '2001:db8::1', '2001:db8::1'),
    ('2001:db8::/126', 6, '2001:db8::', '2001:db8::3'),
    ('2001:db8::5/126', 6, '2001:db8::4', '2001:db8::7'),          # host bits set, IPv6
    ('2001:db8::5-2001:db8::6', 6, '2001:db8::5', '2001:db8::6'),
    ('::ffff:192.0.2.1', 6, '::ffff:192.0.2.1', '::ffff:192.0.2.1'),
])
def test_parse(item, version, first, last):
    assert a.parse(item, 'f') == a.Interval(version, ip(first), ip(last))


@pytest.mark.parametrize('item, first, last', [
    ('192.0.2.0/30', '192.0.2.1', '192.0.2.2'),      # IPv4: no network, no broadcast address
    ('192.0.2.0/24', '192.0.2.1', '192.0.2.254'),
    ('192.0.2.8/31', '192.0.2.8', '192.0.2.9'),      # /31 and /32: every address
    ('192.0.2.9/32', '192.0.2.9', '192.0.2.9'),
    ('2001:db8::/126', '2001:db8::1', '2001:db8::3'),  # IPv6: no subnet-router anycast address
    ('2001:db8::/127', '2001:db8::', '2001:db8::1'),   # /127 and /128: every address
    ('2001:db8::1/128', '2001:db8::1', '2001:db8::1'),
    ('192.0.2.10-192.0.2.12', '192.0.2.10', '192.0.2.12'),  # ranges and addresses are as given
])
def test_parse_hosts_of_a_network(item, first, last):
    interval = a.parse(item, 'f', hosts=True)
    assert (interval.first, interval.last) == (ip(first), ip(last))
    if '/' in item:
        assert a.expand([interval]) == [str(h) for h in ipaddress.ip_network(item).hosts()]


@pytest.mark.parametrize('item, reason, words', [
    ('', 'type', "got '', expected an address, a CIDR network or a range a-b"),
    ('   ', 'type', 'expected an address'),
    (None, 'type', 'got None'),
    (5, 'type', 'got 5'),
    (['192.0.2.1'], 'type', 'expected an address'),
    ('192.0.2.256', 'address', "'192.0.2.256' is not an IP address"),
    ('printer01.example.com', 'address', 'is not an IP address'),
    ('192.0.2.0/33', 'network', "'192.0.2.0/33' is not a CIDR network"),
    ('2001:db8::/129', 'network', 'is not a CIDR network'),
    ('192.0.2.0/24/1', 'network', 'is not a CIDR network'),
    ('192.0.2.1-256', 'octet', "range '192.0.2.1-256': the last octet 256 is above 255"),
    ('192.0.2.1-', 'address', "'' is not an IP address"),
    ('-192.0.2.1', 'address', "'' is not an IP address"),
    ('192.0.2.1-192.0.2.x', 'address', "'192.0.2.x' is not an IP address"),
    ('192.0.2.1-2001:db8::1', 'mixed', 'mixes IPv4 and IPv6'),
    ('2001:db8::1-192.0.2.1', 'mixed', 'mixes IPv6 and IPv4'),
    ('192.0.2.9-192.0.2.1', 'reversed', 'ends before it starts'),
    ('192.0.2.9-1', 'reversed', 'ends before it starts'),
    ('2001:db8::9-2001:db8::1', 'reversed', 'ends before it starts'),
])
def test_bad_items_name_the_field(item, reason, words):
    with pytest.raises(a.AddressError) as info:
        a.parse(item, 'targets[4]')
    error = info.value
    assert isinstance(error, TargetError) and isinstance(error, InputError) and isinstance(error, ValueError)
    assert (error.field, error.reason, error.value, error.kind) == ('targets[4]', reason, item, 'input')
    assert str(error).startswith('targets[4]: ') and words in str(error)
    assert error.reason in a.REASONS


def test_short_ranges_can_be_refused():
    with pytest.raises(a.AddressError) as info:
        a.parse('192.0.2.10-20', 'scopes.printer[0]', short_ranges=False)
    assert info.value.reason == 'address' and "'20' is not an IP address" in str(info.value)
    assert a.parse('192.0.2.10-192.0.2.20', short_ranges=False) == a.Interval(4, ip('192.0.2.10'), ip('192.0.2.20'))


def test_parse_list_names_each_item():
    assert a.parse_list(['192.0.2.1', '2001:db8::1'], 'exclude') == [
        a.Interval(4, ip('192.0.2.1'), ip('192.0.2.1')), a.Interval(6, ip('2001:db8::1'), ip('2001:db8::1'))]
    with pytest.raises(a.AddressError) as info:
        a.parse_list(['192.0.2.1', 'x'], 'exclude')
    assert info.value.field == 'exclude[1]'


# ---- merge, subtract, count, expand --------------------------------------------------------------------------

def iv(text):
    return a.parse(text)


@pytest.mark.parametrize('items, expected', [
    (['192.0.2.0/25', '192.0.2.128/25'], ['192.0.2.0-192.0.2.255']),               # adjacent
    (['192.0.2.9', '192.0.2.1-192.0.2.8'], ['192.0.2.1-192.0.2.9']),                # adjacent, unsorted
    (['192.0.2.0/24', '192.0.2.7'], ['192.0.2.0-192.0.2.255']),                     # contained
    (['192.0.2.1', '192.0.2.3'], ['192.0.2.1-192.0.2.1', '192.0.2.3-192.0.2.3']),   # a gap stays
    (['2001:db8::1', '192.0.2.1'], ['192.0.2.1-192.0.2.1', '2001:db8::1-2001:db8::1']),  # IPv4 first
    (['::', '0.0.0.0'], ['0.0.0.0-0.0.0.0', '::-::']),                              # same ints, two families
    ([], []),
])
def test_merge(items, expected):
    merged = a.merge([iv(i) for i in items])
    assert merged == [iv(e) for e in expected]
    assert all(isinstance(m, a.Interval) for m in merged)


def test_merge_ranges_of_ints():
    assert a.merge_ranges([(5, 9), (1, 3), (4, 4), (20, 30), (25, 26)]) == [(1, 9), (20, 30)]
    assert a.merge_ranges([]) == []


def test_subtract_count_expand():
    wanted = a.merge([a.parse('192.0.2.0/29', hosts=True), iv('192.0.2.3-192.0.2.9'), iv('192.0.2.4'),
                      iv('2001:db8::1')])
    removed = a.merge([iv('192.0.2.2'), iv('192.0.2.4/31'), iv('192.0.2.9-9'), iv('2001:db8::/64')])
    left = a.subtract(wanted, removed)
    assert a.expand(left) == ['192.0.2.1', '192.0.2.3', '192.0.2.6', '192.0.2.7', '192.0.2.8']
    assert a.count(left) == 5
    assert a.subtract(wanted, []) == wanted


def test_count_never_expands():
    assert a.count([iv('2001:db8::/32')]) == 2 ** 96
    assert a.count([iv('10.0.0.0/8'), iv('192.0.2.1')]) == 2 ** 24 + 1


# ---- canonical text ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('item, text', [
    ('192.0.2.1', '192.0.2.1'),
    ('192.0.2.5/24', '192.0.2.0/24'),
    ('192.0.2.0-192.0.2.255', '192.0.2.0/24'),        # a range that is one network is the network
    ('192.0.2.1-192.0.2.9', '192.0.2.1-192.0.2.9'),
    ('10.1.0.0-10.2.255.255', '10.1.0.0-10.2.255.255'),  # adjacent networks, not one
    ('2001:DB8::/48', '2001:db8::/48'),
    ('2001:db8::1-2001:db8::2', '2001:db8::1-2001:db8::2'),
    ('0.0.0.0/0', '0.0.0.0/0'),
])
def test_interval_text(item, text):
    assert a.interval_text(*iv(item)) == text
    assert a.version_of(text) == iv(item).version
    assert a.interval_text(*a.parse(text)) == text   # the canonical text parses back to itself
