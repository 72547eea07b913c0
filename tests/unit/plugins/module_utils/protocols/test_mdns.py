# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import struct

import dns.flags
import dns.message
import dns.name
import dns.rrset
import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import mdns as m

# ---- queries: exact bytes (RFC 1035 4.1 header + question) ---------------------------------------

SERVICES_QNAME = '095f7365727669636573075f646e732d7364045f756470056c6f63616c00'  # _services._dns-sd._udp.local
PRINTER_QNAME = '085f7072696e746572045f746370056c6f63616c00'  # _printer._tcp.local

QUERY_VECTORS = [
    # query_id, qname, rdtype, unicast_response, expected hex
    (4242, m.SERVICES_QUERY, 'PTR', False, '1092' '0000' '0001000000000000' + SERVICES_QNAME + '000c0001'),
    (4242, m.SERVICES_QUERY, 'PTR', True, '1092' '0000' '0001000000000000' + SERVICES_QNAME + '000c8001'),
    (1, m.PRINTER_QUERY, 'PTR', False, '0001' '0000' '0001000000000000' + PRINTER_QNAME + '000c0001'),
    (65535, m.PRINTER_QUERY, 'SRV', False, 'ffff' '0000' '0001000000000000' + PRINTER_QNAME + '00210001'),
    (0x0102, m.PRINTER_QUERY, 'TXT', True, '0102' '0000' '0001000000000000' + PRINTER_QNAME + '00108001'),
]


@pytest.mark.parametrize('query_id, qname, rdtype, unicast, expected', QUERY_VECTORS)
def test_build_query_known_bytes(query_id, qname, rdtype, unicast, expected):
    assert m.build_query(query_id, qname, rdtype, unicast_response=unicast).hex() == expected


@pytest.mark.parametrize('qname', [m.SERVICES_QUERY, m.PRINTER_QUERY, m.IPP_QUERY, 'printer01.local'])
@pytest.mark.parametrize('rdtype', ['PTR', 'SRV', 'TXT', 'A', 'AAAA', 'ANY'])
def test_build_query_round_trip(qname, rdtype):
    data = m.build_query(77, qname, rdtype)
    msg = dns.message.from_wire(data)
    assert msg.id == 77
    assert not msg.flags & dns.flags.RD  # mDNS queries do not ask for recursion
    assert not msg.flags & dns.flags.QR
    assert msg.question[0].name == dns.name.from_text(qname)
    parsed = m.parse_response(data, 77)
    assert parsed['is_response'] is False
    assert parsed['id_matches'] is True
    assert parsed['questions'] == [dns.name.from_text(qname).to_text()]


@pytest.mark.parametrize('query_id', [0, -1, 65536])
def test_build_query_bad_id(query_id):
    with pytest.raises(m.MdnsWireError, match='query id'):
        m.build_query(query_id)


def test_build_query_bad_type():
    with pytest.raises(m.MdnsWireError):
        m.build_query(1, m.PRINTER_QUERY, 'NOTATYPE')


# ---- replies ------------------------------------------------------------------------------------

INSTANCE = 'Lexmark\\ MX521._printer._tcp.local.'


def _reply(query_id=4242, qname=m.PRINTER_QUERY, answers=(), additional=(), authoritative=True):
    query = dns.message.from_wire(m.build_query(query_id, qname))
    response = dns.message.make_response(query)
    if authoritative:
        response.flags |= dns.flags.AA
    for rr in answers:
        response.answer.append(dns.rrset.from_text(*rr))
    for rr in additional:
        response.additional.append(dns.rrset.from_text(*rr))
    return response.to_wire()


def _set_cache_flush(wire, indexes):
    """Set the cache-flush bit on the resource records at ``indexes`` (wire order)."""
    wire = bytearray(wire)
    qd, an, ns, ar = struct.unpack('!4H', bytes(wire[4:12]))
    offset = 12
    for dummy in range(qd):
        offset += dns.name.from_wire(bytes(wire), offset)[1] + 4
    for i in range(an + ns + ar):
        offset += dns.name.from_wire(bytes(wire), offset)[1]
        if i in indexes:
            wire[offset + 2] |= 0x80
        offset += 10 + struct.unpack('!H', bytes(wire[offset + 8:offset + 10]))[0]
    return bytes(wire)


REPLY_VECTORS = [
    # name, reply kwargs, cache-flush indexes, expected (section, type, value) records
    ('services', dict(qname=m.SERVICES_QUERY, answers=[
        ('_services._dns-sd._udp.local.', 4500, 'IN', 'PTR', '_printer._tcp.local.'),
        ('_services._dns-sd._udp.local.', 4500, 'IN', 'PTR', '_ipp._tcp.local.')]), (),
     [('answers', 'PTR', '_printer._tcp.local.'), ('answers', 'PTR', '_ipp._tcp.local.')]),
    ('printer-full', dict(answers=[('_printer._tcp.local.', 4500, 'IN', 'PTR', INSTANCE)], additional=[
        (INSTANCE, 120, 'IN', 'SRV', '0 0 515 mx521.local.'),
        (INSTANCE, 4500, 'IN', 'TXT', '"txtvers=1" "rp=queue"'),
        ('mx521.local.', 120, 'IN', 'A', '192.0.2.21'),
        ('mx521.local.', 120, 'IN', 'AAAA', '2001:db8::21')]), (1, 2, 3, 4),
     [('answers', 'PTR', 'Lexmark\\032MX521._printer._tcp.local.'), ('additional', 'SRV', '0 0 515 mx521.local.'),
      ('additional', 'TXT', '"txtvers=1" "rp=queue"'), ('additional', 'A', '192.0.2.21'),
      ('additional', 'AAAA', '2001:db8::21')]),
    ('empty', dict(), (), []),
]


@pytest.mark.parametrize('name, kwargs, flush, expected', REPLY_VECTORS, ids=[v[0] for v in REPLY_VECTORS])
def test_parse_response_vectors(name, kwargs, flush, expected):
    wire = _set_cache_flush(_reply(**kwargs), set(flush))
    parsed = m.parse_response(wire, 4242)
    assert parsed['is_response'] is True
    assert parsed['authoritative'] is True
    assert parsed['id_matches'] is True
    assert parsed['rcode'] == 'NOERROR'
    got = [(section, r['type'], r['value']) for section in ('answers', 'additional') for r in parsed[section]]
    assert got == expected
    for r in parsed['additional']:
        assert r['cache_flush'] is bool(flush)
    for r in parsed['answers']:
        assert r['cache_flush'] is False


def test_cache_flush_records_parse_like_plain_ones():
    plain = _reply(additional=[('mx521.local.', 120, 'IN', 'A', '192.0.2.21')])
    flushed = _set_cache_flush(plain, {0})
    # dnspython alone cannot read an A record of class 0x8001 ...
    raw = dns.message.from_wire(flushed)
    assert raw.additional[0].rdclass != 1
    # ... the parser can.
    a = m.parse_response(flushed)['additional'][0]
    assert (a['type'], a['value'], a['cache_flush']) == ('A', '192.0.2.21', True)


def test_services_helper():
    wire = _reply(qname=m.SERVICES_QUERY, answers=[
        ('_services._dns-sd._udp.local.', 10, 'IN', 'PTR', '_ipp._tcp.local.')])
    assert m.services(m.parse_response(wire)) == ['_ipp._tcp.local.']


def test_id_mismatch_is_reported_not_rejected():
    parsed = m.parse_response(_reply(query_id=5), 6)
    assert parsed['id'] == 5 and parsed['id_matches'] is False


@pytest.mark.parametrize('data', [
    b'', b'\x00', b'\x12\x34\x84\x00', b'\x12\x34\x84\x00\x00\x01\x00\x00\x00\x00\x00\x00',
    bytes.fromhex('1092840000000001000000000a5f7072696e74'),  # record name runs off the end
    bytes.fromhex('10928400000000010000000000000c0001000000780010'),  # rdlength beyond the data
], ids=['empty', 'one-byte', 'short-header', 'missing-question', 'truncated-name', 'truncated-rdata'])
def test_parse_garbage(data):
    with pytest.raises(m.MdnsWireError):
        m.parse_response(data)
