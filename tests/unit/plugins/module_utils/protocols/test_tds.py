# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TDS PRELOGIN encoder/decoder against the examples of Microsoft's specifications.

Sources of the vectors (byte strings copied from the example hex dumps):

* MS_TDS_41: [MS-TDS] "Tabular Data Stream Protocol", section 4.1 "Pre-Login Request",
  https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-tds/9420b4a3-eb9f-4f5e-90bd-3160444aa5a7
  (VERSION 9.0.0.0, ENCRYPTION 0x01, INSTOPT empty, THREADID B8 0D 00 00, MARS 0x01).
* MS_SSTDS_41: [MS-SSTDS] "Tabular Data Stream Protocol Version 4.2", section 4.1 "Pre-Login Request",
  https://learn.microsoft.com/en-us/openspecs/sql_server_protocols/ms-sstds/308195ef-30db-467a-836c-a8191f34bbba
  (VERSION 8.0.341.0, ENCRYPTION 0x00, INSTOPT "MSSQLServer", THREADID 80 19 00 00, no MARS).

Neither specification prints a recorded PRELOGIN *response*. [MS-TDS] 2.2.6.5 and 3.3.5 say the server
answers with "a PRELOGIN structure wrapped in a table response (0x04) packet", so the response vectors
below are the specification's own PRELOGIN structures with the packet type byte set to 0x04 (marked
"spec structure in a 0x04 packet"), plus vectors built by hand from 2.2.6.5 (marked "constructed").
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation as conv
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import tds as t

MS_TDS_41 = ('12 01 00 2F 00 00 01 00 00 00 1A 00 06 01 00 20'
             '00 01 02 00 21 00 01 03 00 22 00 04 04 00 26 00'
             '01 FF 09 00 00 00 00 00 01 00 B8 0D 00 00 01')
MS_SSTDS_41 = ('12 01 00 34 00 00 01 00 00 00 15 00 06 01 00 1B'
               '00 01 02 00 1C 00 0C 03 00 28 00 04 FF 08 00 01'
               '55 00 00 00 4D 53 53 51 4C 53 65 72 76 65 72 00'
               '80 19 00 00')


def h(text):
    return bytes.fromhex(text.replace(' ', ''))


def as_reply(hexdump):
    """The spec's PRELOGIN packet with its type byte set to 0x04, as [MS-TDS] 2.2.6.5 says the server answers."""
    data = bytearray(h(hexdump))
    data[0] = t.PACKET_REPLY
    return bytes(data)


# ---- requests: exact bytes of the specifications' examples -----------------------------------------

REQUEST_VECTORS = [
    # (source, build arguments, expected bytes). THREADID is written big-endian (as python-tds does),
    # so the examples' "B8 0D 00 00" and "80 19 00 00" are the integers 0xB80D0000 and 0x80190000.
    ('MS-TDS 4.1', dict(version=(9, 0, 0, 0), encryption='on', instance='', thread_id=0xB80D0000, mars=True), MS_TDS_41),
    ('MS-SSTDS 4.1', dict(version=(8, 0, 341, 0), encryption='off', instance='MSSQLServer', thread_id=0x80190000,
                          mars=None), MS_SSTDS_41),
]


@pytest.mark.parametrize('source, kwargs, expected', REQUEST_VECTORS, ids=[v[0] for v in REQUEST_VECTORS])
def test_build_prelogin_matches_spec_example(source, kwargs, expected):
    assert t.build_prelogin(**kwargs) == h(expected), source


REQUEST_FACTS = [
    (MS_TDS_41, {'version': '9.0.0', 'sub_build': 0, 'encryption': 'on', 'instance': '', 'thread_id': 0xB80D0000,
                 'mars': True}),
    (MS_SSTDS_41, {'version': '8.0.341', 'sub_build': 0, 'encryption': 'off', 'instance': 'MSSQLServer',
                   'thread_id': 0x80190000, 'mars': None}),
]


@pytest.mark.parametrize('hexdump, expected', REQUEST_FACTS)
def test_parse_spec_request(hexdump, expected):
    facts = t.parse_prelogin_request(h(hexdump))
    for key, value in expected.items():
        assert facts[key] == value, key


@pytest.mark.parametrize('hexdump', [MS_TDS_41, MS_SSTDS_41])
def test_tds_framing_finds_the_whole_spec_message(hexdump):
    data = h(hexdump)
    assert conv.frame_complete('tds', data) == len(data)
    assert conv.frame_complete('tds', data[:-1]) is None
    assert conv.frame_complete('tds', data + b'\x04extra') == len(data)


def test_default_request_is_what_the_check_sends():
    data = t.build_prelogin()
    facts = t.parse_prelogin_request(data)
    assert data[0] == 0x12 and data[1] == 0x01
    assert facts['encryption'] == 'off' and facts['instance'] == '' and facts['mars'] is False
    named = t.parse_prelogin_request(t.build_prelogin(instance='MVE'))
    assert named['instance'] == 'MVE'


@pytest.mark.parametrize('kwargs, message', [
    (dict(encryption='maybe'), 'encryption must be one of'),
    (dict(instance='caf\u00e9'), 'ASCII'),
    (dict(instance='a\x00b'), 'NUL'),
])
def test_build_rejects_bad_arguments(kwargs, message):
    with pytest.raises(t.TdsWireError, match=message):
        t.build_prelogin(**kwargs)


# ---- responses -----------------------------------------------------------------------------------

RESPONSE_VECTORS = [
    # (label, bytes, expected facts)
    ('MS-TDS 4.1 spec structure in a 0x04 packet', as_reply(MS_TDS_41),
     {'server_version': '9.0.0', 'product': 'SQL Server 2005', 'encryption': 'on', 'encryption_code': 1,
      'instance_ok': True, 'mars': True, 'client_cert': False}),
    ('MS-SSTDS 4.1 spec structure in a 0x04 packet', as_reply(MS_SSTDS_41),
     # A server's INSTOPT answer that is not 0x00 means "not this instance" (MS-TDS 2.2.6.5).
     {'server_version': '8.0.341', 'product': 'SQL Server 2000', 'encryption': 'off', 'instance_ok': False,
      'mars': None}),
    ('constructed: SQL Server 2022 16.0.4135, encryption required, INSTOPT 00, MARS 00',
     h('04 01 00 2B 00 00 01 00'
       '00 00 1A 00 06  01 00 20 00 01  02 00 21 00 01  03 00 22 00 00  04 00 22 00 01  FF'
       '10 00 10 27 00 00  03  00  00'),
     {'server_version': '16.0.4135', 'sub_build': 0, 'product': 'SQL Server 2022', 'encryption': 'required',
      'encryption_code': 3, 'instance_ok': True, 'mars': False}),
    ('constructed: 15.0.2000.5, not_supported, instance mismatch (INSTOPT 01)',
     h('04 01 00 20 00 00 01 00'
       '00 00 10 00 06  01 00 16 00 01  02 00 17 00 01  FF'
       '0F 00 07 D0 00 05  02  01'),
     {'server_version': '15.0.2000', 'sub_build': 5, 'encryption': 'not_supported', 'instance_ok': False,
      'mars': None}),
    ('constructed: 13.0.6300, encryption off with the TDS 7.4 client-certificate flag (0x80), no INSTOPT',
     h('04 01 00 1A 00 00 01 00'
       '00 00 0B 00 06  01 00 11 00 01  FF'
       '0D 00 18 9C 00 00  80'),
     {'server_version': '13.0.6300', 'encryption': 'off', 'encryption_code': 0x80, 'client_cert': True,
      'instance_ok': None}),
    ('constructed: the reply split over two packets (status 0x00, then 0x01 EOM)',
     h('04 00 00 12 00 00 01 00'
       '00 00 0B 00 06  01 00 11 00 01'
       '04 01 00 10 00 00 02 00'
       'FF  10 00 10 27 00 00  01'),
     {'server_version': '16.0.4135', 'encryption': 'on'}),
]


@pytest.mark.parametrize('label, data, expected', RESPONSE_VECTORS, ids=[v[0] for v in RESPONSE_VECTORS])
def test_parse_prelogin_response(label, data, expected):
    assert conv.frame_complete('tds', data) == len(data), label
    facts = t.parse_prelogin_response(data)
    for key, value in expected.items():
        assert facts[key] == value, (label, key)


@pytest.mark.parametrize('code, name', [(0, 'off'), (1, 'on'), (2, 'not_supported'), (3, 'required'),
                                        (0x81, 'on'), (0x83, 'required')])
def test_encryption_names(code, name):
    reply = t.build_options([(t.TOKEN_VERSION, bytes([16, 0, 0x10, 0x27, 0, 0])), (t.TOKEN_ENCRYPTION, bytes([code]))])
    reply = t.packet_header(t.PACKET_REPLY, 8 + len(reply)) + reply
    facts = t.parse_prelogin_response(reply)
    assert facts['encryption'] == name
    assert facts['client_cert'] is bool(code & 0x80)


BAD_RESPONSES = [
    ('nonsense text', b'HTTP/1.0 400 Bad Request\r\n\r\n', 'truncated TDS packet'),
    ('a request, not a reply', h(MS_TDS_41), 'not a TDS reply'),
    ('truncated packet', as_reply(MS_TDS_41)[:30], 'truncated TDS packet'),
    ('header only', h('04 01 00 08 00 00 01 00'), 'no terminator'),
    ('header length below 8', h('04 01 00 04 00 00 01 00'), 'less than its own 8'),
    ('no EOM in the only packet', h('04 00 00 09 00 00 01 00 FF'), 'truncated TDS message'),
    ('bytes after the message', h('04 01 00 09 00 00 01 00 FF 00'), 'after the end'),
    ('option beyond the data', h('04 01 00 0E 00 00 01 00 00 00 06 00 10 FF'), 'points outside'),
    ('entry cut short', h('04 01 00 0B 00 00 01 00 00 00 06'), 'ends inside an option entry'),
    ('no VERSION option', h('04 01 00 0F 00 00 01 00 01 00 06 00 01 FF 00'), 'no VERSION'),
    ('short VERSION', h('04 01 00 11 00 00 01 00 00 00 06 00 03 FF 10 00 10'), 'VERSION option is 3 bytes'),
    ('unknown encryption value', h('04 01 00 1A 00 00 01 00 00 00 0B 00 06 01 00 11 00 01 FF 10 00 10 27 00 00 07'),
     'unknown PRELOGIN encryption'),
    ('option twice', h('04 01 00 19 00 00 01 00 00 00 0B 00 06 00 00 0B 00 06 FF 10 00 10 27 00 00'), 'appears twice'),
    ('packet types differ', h('04 00 00 08 00 00 01 00 12 01 00 09 00 00 02 00 FF'), 'different types'),
]


@pytest.mark.parametrize('label, data, message', BAD_RESPONSES, ids=[v[0] for v in BAD_RESPONSES])
def test_bad_responses_raise(label, data, message):
    with pytest.raises(t.TdsWireError, match=message):
        t.parse_prelogin_response(data)


@pytest.mark.parametrize('number, text, kind', [
    (18456, "Login failed for user 'mve'.", 'login_failed'),
    (4060, 'Cannot open database "FRAMEWORK" requested by the login. The login failed.', 'database_unavailable'),
    (None, 'Client does not have encryption enabled but it is required by server, enable encryption and try '
           'connecting again', 'tls_required'),
    (None, 'certificate verify failed', 'tls_failed'),
    (208, "Invalid object name 'x'.", 'error'),
])
def test_classify_login_error(number, text, kind):
    assert t.classify_login_error(number, text) == kind


# ---- the conversation, stepped by hand (no sockets) --------------------------------------------------

def _start(params):
    gen = t.tds_prelogin_conversation(params)
    connect = next(gen)
    assert isinstance(connect, conv.Connect) and (connect.host, connect.port) == (params['host'], params['port'])
    send = gen.send({'rtt_ms': 0.1, 'peer': '%s:%s' % (params['host'], params['port'])})
    assert isinstance(send, conv.Send)
    recv = gen.send(None)
    assert isinstance(recv, conv.Recv) and recv.framing == 'tds'
    return gen, send.data


def _finish(gen, reply):
    action = gen.send(reply)
    assert isinstance(action, conv.Close)
    with pytest.raises(StopIteration) as stop:
        gen.send(None)
    return stop.value.value


def test_conversation_sends_the_request_and_reads_the_facts():
    gen, request = _start({'host': 'db', 'port': 1433, 'instance': 'MVE'})
    assert request == t.build_prelogin(instance='MVE')
    out = _finish(gen, RESPONSE_VECTORS[2][1])
    assert out['ok'] is True and out['engine'] == 'sqlserver'
    assert out['prelogin']['server_version'] == '16.0.4135' and out['prelogin']['encryption'] == 'required'
    assert 'encryption: required' in out['reason']


def test_conversation_instance_mismatch_is_a_failure():
    gen, dummy = _start({'host': 'db', 'port': 1433, 'instance': 'MVE'})
    out = _finish(gen, RESPONSE_VECTORS[3][1])
    assert out['ok'] is False and 'not the instance MVE' in out['reason']
    assert out['prelogin']['instance_ok'] is False


@pytest.mark.parametrize('error, words', [
    (conv.PeerClosed('closed', b'SSH-2.0-OpenSSH_9.2\r\n'), 'closed the connection after 21 bytes'),
    (conv.PeerClosed('closed'), 'closed it without answering'),
    (conv.ReceiveTimeout('slow'), 'no complete TDS PRELOGIN reply'),
    (conv.FramingError('a TDS packet header announces 2 bytes'), 'not a TDS packet'),
])
def test_conversation_turns_io_errors_into_reasons(error, words):
    gen, dummy = _start({'host': 'db', 'port': 1433})
    with pytest.raises(StopIteration) as stop:
        gen.throw(error)
    out = stop.value.value
    assert out['ok'] is False and words in out['reason'] and out['prelogin'] is None


def test_conversation_connect_failure():
    gen = t.tds_prelogin_conversation({'host': 'db', 'port': 1433})
    next(gen)
    with pytest.raises(StopIteration) as stop:
        gen.throw(conv.ConnectFailed('refused', 'connection to db:1433 refused: nothing listens there'))
    assert stop.value.value['ok'] is False and stop.value.value['connect_error'] == 'refused'
