# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mDNS on the wire: build a legacy unicast query and parse replies, no sockets.

RFC 6762 section 6.7 ("legacy unicast"): a query sent from a source port
other than 5353 straight to a responder's address makes the responder answer
by unicast to that port, repeating the query id and the question. That lets a
port check ask one printer on UDP 5353 across routed networks, where multicast
does not travel. RFC 6763 section 9 defines the service-type enumeration name
``_services._dns-sd._udp.local``; printers also answer ``_printer._tcp.local``
(LPD) and ``_ipp._tcp.local``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import ProtocolError

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.rcode
    import dns.rdataclass
    import dns.rdatatype
except ImportError:  # pragma: no cover - exercised via HAS_DNSPYTHON in the module
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_DNSPYTHON = True
    DNSPYTHON_IMPORT_ERROR = None

SERVICES_QUERY = '_services._dns-sd._udp.local'
PRINTER_QUERY = '_printer._tcp.local'
IPP_QUERY = '_ipp._tcp.local'
MDNS_PORT_NOTE = 'mDNS responders listen on UDP 5353 (see the port matrix, flow printer.mdns)'
# Top bit of the question class: "unicast response requested" (RFC 6762 section 5.4).
_QU_BIT = 0x8000
# Top bit of a record class in answers: "cache flush" (RFC 6762 section 10.2).
_CACHE_FLUSH_BIT = 0x8000


class MdnsWireError(ProtocolError):
    """Bytes that are not a DNS message, or bad build arguments."""


def _require_dnspython():
    if not HAS_DNSPYTHON:
        raise MdnsWireError('dnspython is required for mDNS probes: %s'
                            % DNSPYTHON_IMPORT_ERROR.strip().splitlines()[-1], kind='dependency')


def build_query(query_id, qname=SERVICES_QUERY, rdtype='PTR', unicast_response=False):
    """Wire bytes of a legacy unicast mDNS query.

    ``query_id`` (1..65535) is echoed by the responder, so the caller can
    match the reply. Recursion desired is cleared, as mDNS wants.
    ``unicast_response=True`` also sets the QU bit in the question class,
    which asks full mDNS responders for a unicast reply even when the query
    came from port 5353.
    """
    _require_dnspython()
    if not 0 < int(query_id) <= 0xFFFF:
        raise MdnsWireError('query id %r out of range 1..65535' % (query_id,))
    try:
        qtype = dns.rdatatype.from_text(str(rdtype))
        msg = dns.message.make_query(qname, qtype, id=int(query_id))
    except (dns.exception.DNSException, ValueError) as exc:
        raise MdnsWireError('cannot build a query for %r %r: %s' % (qname, rdtype, exc))
    msg.flags &= ~dns.flags.RD
    if unicast_response:
        question = msg.question[0]
        question.rdclass = dns.rdataclass.RdataClass.make(int(question.rdclass) | _QU_BIT)
    return msg.to_wire()


def split_cache_flush(data):
    """Clear the mDNS cache-flush bit of every resource record class.

    dnspython would read class 0x8001 as an unknown class and leave IN-only
    records (A, AAAA, SRV) unparsed. Returns ``(clean_wire, flagged)`` where
    ``flagged`` is the set of ``(section, name, type)`` (section 1 answer,
    2 authority, 3 additional; name as text; type as int) whose records
    carried the bit. Raises MdnsWireError on truncated data.
    """
    wire = bytearray(data)
    flagged = set()
    try:
        if len(wire) < 12:
            raise IndexError('shorter than a DNS header')
        counts = [(wire[i] << 8) | wire[i + 1] for i in (4, 6, 8, 10)]
        offset = 12
        for dummy in range(counts[0]):
            offset += dns.name.from_wire(bytes(wire), offset)[1] + 4
        for section in (1, 2, 3):
            for dummy in range(counts[section]):
                name, used = dns.name.from_wire(bytes(wire), offset)
                offset += used
                rdtype = (wire[offset] << 8) | wire[offset + 1]
                if wire[offset + 2] & 0x80:
                    flagged.add((section, name.to_text(), rdtype))
                    wire[offset + 2] &= 0x7F
                rdlength = (wire[offset + 8] << 8) | wire[offset + 9]
                offset += 10 + rdlength
                if offset > len(wire):
                    raise IndexError('record runs past the end of the message')
    except (IndexError, dns.exception.DNSException) as exc:
        raise MdnsWireError('not a DNS message: %s' % (exc,))
    return bytes(wire), flagged


def _records(section_no, section, flagged):
    out = []
    for rrset in section:
        name = rrset.name.to_text()
        for rr in rrset:
            out.append({
                'name': name,
                'type': dns.rdatatype.to_text(rrset.rdtype),
                'ttl': int(rrset.ttl),
                'cache_flush': (section_no, name, int(rrset.rdtype)) in flagged,
                'value': rr.to_text(),
            })
    return out


def parse_response(data, query_id=None):
    """Parse a DNS message from an mDNS responder.

    Returns ``{'id', 'is_response', 'rcode', 'authoritative', 'questions':
    [name], 'answers': [{'name', 'type', 'ttl', 'cache_flush', 'value'}],
    'authority': [...], 'additional': [...], 'id_matches'}``. ``id_matches``
    is None when no ``query_id`` is given. Raises MdnsWireError on bytes that
    are not a DNS message.
    """
    _require_dnspython()
    wire, flagged = split_cache_flush(data)
    try:
        msg = dns.message.from_wire(wire, ignore_trailing=True)
    except (dns.exception.DNSException, ValueError, IndexError) as exc:
        raise MdnsWireError('not a DNS message: %s' % (exc,))
    return {
        'id': msg.id,
        'id_matches': None if query_id is None else msg.id == int(query_id),
        'is_response': bool(msg.flags & dns.flags.QR),
        'authoritative': bool(msg.flags & dns.flags.AA),
        'rcode': dns.rcode.to_text(msg.rcode()),
        'questions': [q.name.to_text() for q in msg.question],
        'answers': _records(1, msg.answer, flagged),
        'authority': _records(2, msg.authority, flagged),
        'additional': _records(3, msg.additional, flagged),
    }


def services(parsed):
    """Service types (or instances) named by the PTR answers of a parsed reply."""
    return [a['value'] for a in parsed.get('answers', []) if a['type'] == 'PTR']
