# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every reply parser the collection has, as fuzz targets: one callable per parser family that feeds raw bytes
through the parser (and the helpers that read its result), the parser's own error type, and seeds.

Shared by the property-based tests (tests/unit/fuzz/, hypothesis) and the coverage-guided harnesses (fuzz/,
atheris): a parser "passes" an input when it returns or raises its own error type; any other exception is a
finding. Seeds are valid messages built with the collection's own builders (or pysnmp/pyasn1/dnspython, the
libraries the parsers decode with) and the replies recorded from real servers that the protocol unit tests hold.
"""

from __future__ import absolute_import, division, print_function

import datetime
import json
import os

from ansible_collections.printfleet.mve.plugins.module_utils.firewall import firewalld as fw_fwd
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import nftables as fw_nft
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as fw_plan
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import windows as fw_win
from ansible_collections.printfleet.mve.plugins.module_utils.printers import ews_pages
from ansible_collections.printfleet.mve.plugins.module_utils.printers import ews_profiles
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import firebird
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import kerberos
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import ldap
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import mdns
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import smtp
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import snmp_usm
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import tds

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'unit', 'fixtures')


class Target(object):
    """``run(data)`` feeds bytes to the parser; ``error`` is the parser's own error type (a tuple)."""

    def __init__(self, name, run, error, seeds):
        self.name, self.run, self.error, self._seeds = name, run, error, seeds
        self._cache = None

    def seeds(self):
        if self._cache is None:
            self._cache = [bytes(s) for s in self._seeds()]
        return self._cache

    def check(self, data):
        """Run the parser; its own error is fine (returns it), anything else propagates."""
        try:
            return self.run(data)
        except self.error as exc:
            return exc


def _own(error, parse, *args):
    """``parse(*args)``, or None when it raises ``error`` (its own error type); anything else propagates."""
    try:
        return parse(*args)
    except error:
        return None


# ---------------------------------------------------------------------------------------------------- SNMP
def _snmp_message(mod, pdu_class, varbinds, request_id=99, community=b'public', error_status=0, error_index=0):
    from pyasn1.codec.ber import encoder
    pdu = pdu_class()
    mod.apiPDU.set_defaults(pdu)
    mod.apiPDU.set_request_id(pdu, request_id)
    mod.apiPDU.set_error_status(pdu, error_status)
    mod.apiPDU.set_error_index(pdu, error_index)
    mod.apiPDU.set_varbinds(pdu, varbinds)
    msg = mod.Message()
    mod.apiMessage.set_defaults(msg)
    mod.apiMessage.set_community(msg, community)
    mod.apiMessage.set_pdu(msg, pdu)
    return encoder.encode(msg)


def snmp_seeds():
    """v1 and v2c responses with every value type an agent returns, requests, errors; v3 discovery messages."""
    from pysnmp.proto import api, rfc1902, rfc1905
    v2c, v1 = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C], api.PROTOCOL_MODULES[api.SNMP_VERSION_1]
    oid = v2c.ObjectIdentifier
    values = [rfc1902.OctetString(b'Lexmark MX521ade'), rfc1902.OctetString(b'\x00\x1b\x2c\xff'),
              rfc1902.OctetString(u'caf\xe9'.encode('utf-8')), rfc1902.OctetString(b'nul\x00\x00'),
              rfc1902.Integer32(-5), rfc1902.Integer32(2147483647), rfc1902.Counter32(4294967295),
              rfc1902.Gauge32(42), rfc1902.TimeTicks(123456), rfc1902.Counter64(18446744073709551615),
              rfc1902.IpAddress('192.0.2.10'), rfc1902.ObjectIdentifier('1.3.6.1.4.1.641.2.1'),
              rfc1902.Opaque(b'\x9f\x78\x04'), rfc1905.NoSuchObject(''), rfc1905.NoSuchInstance(''),
              rfc1905.EndOfMibView(''), v2c.null]
    out = []
    for i, value in enumerate(values):
        out.append(_snmp_message(v2c, v2c.GetResponsePDU, [(oid('1.3.6.1.2.1.1.%d.0' % (i + 1)), value)],
                                 request_id=i * 1000))
    out.append(_snmp_message(v2c, v2c.GetResponsePDU, [(oid('1.3.6.1.2.1.1.%d.0' % (i + 1)), v)
                                                       for i, v in enumerate(values)], request_id=2 ** 31 - 1))
    v1_values = [v1.OctetString(b'Lexmark'), v1.Integer(7), v1.Counter(5), v1.Gauge(6), v1.TimeTicks(7),
                 v1.IpAddress('10.0.0.1'), v1.ObjectIdentifier('1.3.6.1.4.1.641'), v1.null]
    out.append(_snmp_message(v1, v1.GetResponsePDU, [(oid('1.3.6.1.2.1.1.%d.0' % (i + 1)), v)
                                                     for i, v in enumerate(v1_values)], request_id=1234))
    out.append(_snmp_message(v1, v1.GetResponsePDU, [(oid('1.3.6.1.2.1.1.1.0'), v1.null)], error_status=2,
                             error_index=1))
    out.append(_snmp_message(v2c, v2c.GetResponsePDU, [], error_status=18, error_index=0, community=b''))
    out.append(_snmp_message(v2c, v2c.ReportPDU, [(oid('1.3.6.1.6.3.15.1.1.4.0'), rfc1902.Counter32(3))]))
    out.append(snmp.build_get_request(1234, 'public', '2c', [snmp.SYS_DESCR_OID, '1.3.6.1.2.1.1.3.0']))
    out.append(snmp.build_getnext_request(1, 'public', '1', ['1.3.6.1.2.1.43']))
    out.append(snmp.build_getbulk_request(7, 'public', ['1.3.6.1.2.1.1', '1.3.6.1.2.1.43'], 1, 10))
    out.append(snmp.build_set_request(9, 'private', '2c', [
        ('1.3.6.1.2.1.1.6.0', 's', 'Floor 2'), ('1.3.6.1.2.1.1.7.0', 'i', 72), ('1.3.6.1.2.1.4.20.1.1.0', 'a', '10.1.2.3')]))
    out.append(snmp.build_v3_discovery(77, 78))
    return out


def snmp_v3_seeds():
    out = [snmp.build_v3_discovery(77, 78)]
    for user in SNMP_USERS:
        out.append(snmp_usm.build_get(user, SNMP_MSG_ID, 78, 3, 12345,
                                      oids=[snmp.SYS_DESCR_OID, '1.3.6.1.2.1.1.5.0']))
    return out + snmp_seeds()[:3]


def _snmp_users():
    engine = '80001f8880aabbccdd'
    return [snmp_usm.UsmUser(engine, 'mve'),
            snmp_usm.UsmUser(engine, 'mve', auth_protocol='sha', auth_key='auth-key-1'),
            snmp_usm.UsmUser(engine, 'mve', auth_protocol='sha', auth_key='auth-key-1', priv_protocol='aes',
                             priv_key='priv-key-1')]


SNMP_USERS = _snmp_users()
SNMP_MSG_ID = 77


class Disagreement(AssertionError):
    """The SNMP fast path and pyasn1 read one message differently."""


def run_snmp(data):
    """parse_message: parse_response (the fast path, or pyasn1 when it declines) or, for v3, parse_v3_message;
    and the fast path must agree with pyasn1 on every message it accepts."""
    problem = snmp_disagreement(data)
    if problem:
        raise Disagreement(problem)
    snmp.parse_message(data)


def run_snmp_usm(data):
    """The authenticated-GET reply reader with each security level's user (noAuthNoPriv reaches the parser)."""
    for user in SNMP_USERS:
        try:
            snmp_usm.parse_get_reply(data, user, SNMP_MSG_ID)
        except snmp.SnmpWireError:
            pass


_SNMP_COMPARED = ('version', 'pdu_type', 'request_id', 'error_status', 'error_index', 'error_status_name',
                  'varbinds', 'exceptions')


def snmp_paths(data):
    """(fast result or None, pyasn1 result or the SnmpWireError it raised)."""
    fast = snmp._fast_parse(data)
    try:
        slow = snmp._pyasn1_parse(data)
    except snmp.SnmpWireError as exc:
        slow = exc
    return fast, slow


def snmp_disagreement(data):
    """None when the fast path and pyasn1 agree on ``data`` (or the fast path declines it), else a sentence.
    The community is not compared because parse_response never returns it."""
    fast, slow = snmp_paths(data)
    if fast is None:
        return None
    if isinstance(slow, Exception):
        return 'the fast path accepts what pyasn1 refuses (%s): %r' % (slow, fast)
    for key in _SNMP_COMPARED:
        if fast.get(key) != slow.get(key):
            return '%s differs: fast %r, pyasn1 %r' % (key, fast.get(key), slow.get(key))
    return None


# ----------------------------------------------------------------------------------------------------- TDS
def _h(text):
    return bytes.fromhex(text.replace(' ', ''))


def _as_reply(data):
    data = bytearray(data)
    data[0] = tds.PACKET_REPLY
    return bytes(data)


def tds_seeds():
    ms_tds_41 = _h('12 01 00 2F 00 00 01 00 00 00 1A 00 06 01 00 20 00 01 02 00 21 00 01 03 00 22 00 04 04 00 26 00'
                   '01 FF 09 00 00 00 00 00 01 00 B8 0D 00 00 01')
    ms_sstds_41 = _h('12 01 00 34 00 00 01 00 00 00 15 00 06 01 00 1B 00 01 02 00 1C 00 0C 03 00 28 00 04 FF 08 00 01'
                     '55 00 00 00 4D 53 53 51 4C 53 65 72 76 65 72 00 80 19 00 00')
    return [
        _as_reply(ms_tds_41), _as_reply(ms_sstds_41), ms_tds_41,
        _h('04 01 00 2B 00 00 01 00 00 00 1A 00 06 01 00 20 00 01 02 00 21 00 01 03 00 22 00 00 04 00 22 00 01 FF'
           '10 00 10 27 00 00 03 00 00'),
        _h('04 01 00 20 00 00 01 00 00 00 10 00 06 01 00 16 00 01 02 00 17 00 01 FF 0F 00 07 D0 00 05 02 01'),
        _h('04 01 00 1A 00 00 01 00 00 00 0B 00 06 01 00 11 00 01 FF 0D 00 18 9C 00 00 80'),
        _h('04 00 00 12 00 00 01 00 00 00 0B 00 06 01 00 11 00 01 04 01 00 10 00 00 02 00 FF 10 00 10 27 00 00 01'),
        tds.build_prelogin(encryption='on', instance='MSSQLSERVER', thread_id=4242, mars=True),
        _as_reply(tds.build_prelogin(encryption='required', instance='', mars=False)),
    ]


def run_tds(data):
    _own(tds.TdsWireError, tds.parse_prelogin_response, data)
    tds.parse_prelogin_request(data)


# ------------------------------------------------------------------------------------------------ Firebird
def firebird_seeds():
    replies = [
        '00000062 ffff800f 00000001 00000005 00000000 00000003 53727000 00000000 00000000',
        '00000009 00000000 0000000000000000 00000000 00000001 14000098 00000000',
        '0000005c 00000000 00000000 00000000 00000000',
        '00000003 ffff800d 00000001 00000005',
        '00000047 0000005e ffff8010 00000001 00000105 00000002 61620000 00000006 53727032 35360000 00000001 00000000',
        '00000004',
        '00000009 00000000 0000000000000000 00000000 00000001 14000018 00000002 00000004 6f70656e 00000002 00000006'
        '2f782e666462 0000 00000001 1400019e 00000005 00000019 4e6f20737563682066696c65206f72206469726563746f7279000000'
        '00000013 00000005 3038303031 000000 00000000',
    ]
    return [_h(r) for r in replies] + [firebird.build_connect('/tmp/test.fdb', login='SYSDBA', os_user='mve',
                                                              host='mve01')]


def run_firebird(data):
    _own(firebird.FirebirdWireError, firebird.bytes_needed, data)
    firebird.parse_connect_reply(data)


# ---------------------------------------------------------------------------------------------------- SMTP
def smtp_seeds():
    return [
        b'220 smtp.printfleet.test Python SMTP 1.4.6\r\n',
        b'250-smtp.printfleet.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-AUTH LOGIN PLAIN\r\n'
        b'250 HELP\r\n',
        b'250-mail.example.com Hello\r\n250-AUTH=LOGIN PLAIN\r\n250-STARTTLS\r\n250 SIZE\r\n',
        b'334 VXNlcm5hbWU6\r\n', b'334 UGFzc3dvcmQ6\r\n', b'334\r\n',
        b'535 5.7.8 Authentication credentials invalid\r\n',
        b'554-5.7.1 first\n554 5.7.1 second\n', b'250\r\n', b'421 4.3.2 Service shutting down\r\n',
    ]


def run_smtp(data):
    """parse_reply, then what the conversation does with a reply: the EHLO capabilities, an AUTH challenge."""
    reply = smtp.parse_reply(data)
    reply.as_dict()
    str(reply)
    smtp.shown(data)
    try:
        smtp.parse_ehlo(reply)
    except smtp.SmtpProtocolError:
        pass
    smtp.decode_challenge(reply)


# ---------------------------------------------------------------------------------------------------- LDAP
def ldap_seeds():
    hexes = [
        '3082014f020101648201480400308201423029040e6e616d696e67436f6e74657874733117041564633d7072696e74666c656574'
        '2c64633d7465737430750412737570706f72746564457874656e73696f6e315f0417312e332e362e312e342e312e343230332e31'
        '2e31312e310417312e332e362e312e342e312e343230332e312e31312e33040b312e332e362e312e312e38040e312e332e362e31'
        '2e312e32312e33040e312e332e362e312e312e32312e31301b0414737570706f727465644c44415056657273696f6e3103040133'
        '3081800417737570706f727465645341534c4d656368616e69736d733165040d534352414d2d5348412d353132040d534352414d'
        '2d5348412d333834040d534352414d2d5348412d323536040d534352414d2d5348412d323234040b534352414d2d5348412d3104'
        '0a4449474553542d4d443504084352414d2d4d443504044e544c4d',
        '300c02010165070a010004000400', '300c02010261070a010004000400', '300c02010261070a013104000400',
        '302502010261200a013004000419616e6f6e796d6f75732062696e6420646973616c6c6f776564',
        '3021020103651c0a0120041564633d7072696e74666c6565742c64633d746573740400',
        '302a02010178250a01020400041e756e737570706f7274656420657874656e646564206f7065726174696f6e',
        '300c02010178070a010004000400',
        '3031020104642c04287569643d6a616e652c6f753d70656f706c652c64633d7072696e74666c6565742c64633d746573743000',
        '3024020100781f0a0134040004008a16312e332e362e312e342e312e313436362e3230303336',
    ]
    return [_h(x) for x in hexes] + [ldap.root_dse_request(1), ldap.bind_request(2, 'cn=admin', 'secret')]


def run_ldap(data):
    """parse_message (as the conversation checks it) and the helpers that read a parsed reply."""
    reply = ldap._check_reply(data, 1)
    if reply['op'] == 'searchResEntry':
        ldap.root_dse_facts(reply)
    if reply['op'] == 'bindResponse':
        ldap.explain_bind(reply, False, 'cn=admin,dc=printfleet,dc=test')


# ------------------------------------------------------------------------------------------------ Kerberos
def kerberos_seeds():
    recorded = [
        '7e82010530820101a003020105a10302011ea411180f32303236313132353039303532375aa505020309a772a603020119a7111b0f505249'
        '4e54464c4545542e54455354a8193017a003020101a110300e1b0c707265617574682d75736572a9111b0f5052494e54464c4545542e5445'
        '5354aa243022a003020102a11b30191b066b72627467741b0f5052494e54464c4545542e54455354ab101b0e4e45454445445f5052454155'
        '5448ac5d045b3059300aa10402020088a20204003031a103020113a22a042830263024a003020112a11d1b1b5052494e54464c4545542e54'
        '455354707265617574682d757365723009a103020102a2020400300da10402020085a20504034d4954',
        '7e81a130819ea003020105a10302011ea411180f32303236313132353039303532375aa505020309a773a603020106a7111b0f5052494e54'
        '464c4545542e54455354a8133011a003020101a10a30081b066e6f626f6479a9111b0f5052494e54464c4545542e54455354aa243022a003'
        '020102a11b30191b066b72627467741b0f5052494e54464c4545542e54455354ab121b10434c49454e545f4e4f545f464f554e44',
        '7e819e30819ba003020105a10302011ea411180f32303236313132353039303532375aa505020309a774a603020106a70c1b0a4f54484552'
        '2e54455354a81f301da003020101a11630141b066b72627467741b0a4f544845522e54455354a90c1b0a4f544845522e54455354aa1f301d'
        'a003020102a11630141b066b72627467741b0a4f544845522e54455354ab121b10434c49454e545f4e4f545f464f554e44',
    ]
    out = [_h(x) for x in recorded] + [kerberos_as_rep()]
    now = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    out.append(kerberos.build_as_req('PRINTFLEET.TEST', 'printfleet-probe', 12345, now))
    return out


def kerberos_as_rep():
    """The AS-REP MIT krb5kdc 1.20.1 sent for nopreauth-user (recorded; enc-part etype 18, ETYPE-INFO2)."""
    return _h(
        '6b8203503082034ca003020105a10302010ba23730353033a103020113a22c042a30283026a003020112a11f1b1d5052494e54464c454554'
        '2e544553546e6f707265617574682d75736572a3111b0f5052494e54464c4545542e54455354a41b3019a003020101a11230101b0e6e6f70'
        '7265617574682d75736572a58201d6618201d2308201cea003020105a1111b0f5052494e54464c4545542e54455354a2243022a003020102'
        'a11b30191b066b72627467741b0f5052494e54464c4545542e54455354a382018c30820188a003020112a103020101a282017a048201762f'
        '0a038776cf256501d25a08b165e110a0e86994d0d737324c94aea90292647d44392d25533eeb3cfcac21b3ce2d01ce51c0d844d6cf5b4c88'
        '2f393559fd81e8f01d16962a22f459c0048f3661ad31dad02c20a615b545308f6ab271c70526300066a9392cbc67b2a059dae77392829496'
        '3d20789f361fc4a94149f411915f7f55df68d7d47e4a3acec1f9c810bfd40c7fc7acd075279e12cabb4f58ca6395b77d11926600a7d5e65c'
        '49ef9494cc49a68f9b16e852572928dfc2c2180fc46654ec41c2c8bb459cb03c1579caa08c40d22fb4c87dc70dd818af1b3fd4014baea11f'
        'f468deea197cf61e54039f9da2f30dc1f8fac3c27643fe78f7978c55eb4bd212663e045737c7f258ac87a73a2c64c9d1a4e7cc7a6b90666a'
        '4a10c530a24e3c0f6d75a9be5061b8e588f5274472d29b1b7aa680d0602c2ede17f17b1026e692adb7a64787a83ee01ed91caea3b4c87014'
        '985c371de7b1479d4f5d32fc9ce043aafb256d910c9be6674ff2b6894c290b9b548c863cefa681fc3081f9a003020112a281f10481ee2997'
        '777380889fea49aef8c86a76045d9ea8a398d1a268ba247f3e392815521b6f272efb23040380b88892156b1b5034bba299bb0f9b548de9d6'
        '660964b338c0e9d119fb548ff52a168bbec80ed952bf92975ed83f9efb2b48adc9f4db245862ed6042ce625e7923dc78fade469bedab79b0'
        '29383a7bedbfcc7a9c79b14f8cb06a5c34a367de9294f1e6df3407de222112c8d15a8333416918cd3ba31ba7c4792f03c88c63ba9b797d54'
        'c8c7db169c2ebde96bb6722723ecb8e916b2cc283cab945a9e83f6b4fb6bc1de814027055b93676f97c672fc1331c87cb4b49d901422b267'
        'f4ec30cc54746208fe35ced8')


def run_kerberos(data):
    """parse_reply and what the conversation does with it (classify, the clock skew); decode_as_req too."""
    reply = _own(kerberos.KerberosWireError, kerberos.parse_reply, data)
    if reply is not None:
        kerberos.classify(reply, 'PRINTFLEET.TEST')
        if reply['kdc_time'] is not None:
            kerberos.clock_skew(reply['kdc_time'], 1767225600.0, 1767225601.0)
    kerberos.decode_as_req(data)


# ---------------------------------------------------------------------------------------------------- mDNS
def mdns_seeds():
    import dns.flags
    import dns.message
    import dns.rrset
    out = []
    query = dns.message.from_wire(mdns.build_query(4242, mdns.PRINTER_QUERY))
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    instance = 'Lexmark\\ MX521._printer._tcp.local.'
    response.answer.append(dns.rrset.from_text('_printer._tcp.local.', 120, 'IN', 'PTR', instance))
    response.additional.append(dns.rrset.from_text(instance, 120, 'IN', 'SRV', '0 0 515 mx521.local.'))
    response.additional.append(dns.rrset.from_text(instance, 120, 'IN', 'TXT', '"txtvers=1" "rp=queue"'))
    response.additional.append(dns.rrset.from_text('mx521.local.', 120, 'IN', 'A', '192.0.2.21'))
    response.additional.append(dns.rrset.from_text('mx521.local.', 120, 'IN', 'AAAA', '2001:db8::21'))
    wire = response.to_wire()
    out.append(wire)
    flushed = bytearray(wire)
    # the cache-flush bit on the first answer (its class follows the compressed name pointer and type)
    pos = wire.find(b'\x00\x0c\x00\x01', 12 + len(mdns.PRINTER_QUERY) + 2 + 4)
    if pos > 0:
        flushed[pos + 2] |= 0x80
    out.append(bytes(flushed))
    out.append(mdns.build_query(1, mdns.SERVICES_QUERY, unicast_response=True))
    return out


def run_mdns(data):
    mdns.services(mdns.parse_response(data, query_id=4242))


# ----------------------------------------------------------------------------------------------------- EWS
EWS_PROFILE = ews_profiles.merge_profile()


def ews_seeds():
    login = b'''<html><head><title>Login</title></head><body><h1>Login</h1>
<form name="login" method="post" action="/cgi-bin/posttest/login">
<input type="hidden" name="redirect" value="/cgi-bin/dynamic/config/secure/ports.html">
<p><label>Username <input type="text" name="username" value=""></label></p>
<p><label>Password <input type="password" name="password"></label></p>
<p><input type="submit" name="login" value="Log In"></p></form></body></html>'''
    rows = []
    for n, (label, on) in enumerate((('TCP 80 (HTTP)', 1), ('TCP 21 (FTP)', 1), ('UDP 9300 (NPAP)', 0),
                                     ('TCP 9100 (RAW)', 1), ('TCP 443 (HTTPS)', 1)), 1):
        box = '<input type="checkbox" name="vac.255.GUIPORTENABLE.%d" id="p%d" value="1"%s>' % (
            n, n, ' checked' if on else '')
        rows.append('<tr><td>%s</td><td><label for="p%d">%s</label></td></tr>' % (box, n, label))
        rows.append('<div><label>%s %s</label></div>' % (box.replace('id="p', 'id="w'), label))
    ports = ('<html><body><h1>TCP/IP Port Access</h1><form name="portaccess" method="post" '
             'action="/cgi-bin/dynamic/config/secure/ports.html"><input type="hidden" name="csrf" value="a&amp;b">'
             '<select name="mode"><option value="0">Standard</option><option selected>Custom</option></select>'
             '<textarea name="notes">x</textarea><button name="b" value="1">OK</button>'
             '<input type="submit" name="submit" value="Submit"><table>%s</table></form></body></html>'
             % '\n'.join(rows)).encode()
    return [login, ports, b'<p>Login failed: invalid password</p>', u'<title>Caf\xe9</title>'.encode('latin-1')]


def run_ews(data):
    """parse_page and the readers of its result: the login form, the login-failed text, the ports form."""
    page = ews_pages.parse_page(data)
    ews_pages.is_login_page(page)
    ews_pages.login_failed(page, EWS_PROFILE)
    found = ews_pages.login_form(page['forms'], EWS_PROFILE)
    if found:
        ews_pages.login_fields(found[0], found[2], 'admin', 'secret')
    form = ews_pages.ports_form(page['forms'], EWS_PROFILE)
    if form is not None:
        mapped, dummy = ews_pages.port_map(form, EWS_PROFILE)
        ews_pages.form_fields(form, checks=dict((m['field'], not m['enabled']) for m in mapped.values()))


# ----------------------------------------------------------------------------------------------- framings
def run_framings(data):
    """conversation.frame_complete for every framing a Recv can ask for."""
    for framing in ('datagram', 'line', 'smtp', 'len4', 'ber', 'tds'):
        conversation.frame_complete(framing, data)
    conversation.frame_complete('exact', data, size=4)
    conversation.preview(data)


# ----------------------------------------------------------------------------------------- firewall readers
def _fixture_files(sub, suffix):
    folder = os.path.join(FIXTURES, sub)
    return [os.path.join(folder, f) for f in sorted(os.listdir(folder)) if f.endswith(suffix)
            and not f.endswith('.want' + suffix)]


def nft_seeds():
    out = []
    for path in _fixture_files('nft', '.json'):
        with open(path, 'rb') as fh:
            out.append(fh.read())
    return out


def run_nft(data):
    fw_nft.parse_ruleset(data, 'printfleet.mve')


def windows_seeds():
    out = []
    for path in _fixture_files('windows', '.json'):
        with open(path) as fh:
            obj = json.load(fh)
        obj = dict(obj, op='read') if isinstance(obj, dict) else {'op': 'read', 'rules': obj}
        out.append(json.dumps(obj).encode())
    out.append(json.dumps({'op': 'apply', 'ok': False, 'done': [{'step': 1, 'op': 'add', 'name': 'x'}],
                           'failed_step': 2, 'error': 'Access is denied.', 'rolled_back': None,
                           'rollback_errors': {'step': 1}}).encode())
    return out


def run_windows_object(obj):
    """parse_read / parse_apply of one decoded JSON object (the transport decodes the step's result line)."""
    _own(fw_win.WindowsFirewallError, fw_win.parse_read, obj)
    fw_win.parse_apply(obj)


def run_windows(data):
    try:
        obj = json.loads(data)
    except ValueError:
        return
    run_windows_object(obj)


def firewalld_seeds():
    """The firewalld helper's read, as it answers for policies the module wrote (rendered by the module itself for
    the full MVE rule set, with IPv4/IPv6 and range scopes), one policy missing, and firewalld not running."""
    rules = fw_plan.desired_rules(
        {'database': 'sqlserver', 'smtp': 'ssl', 'directory': 'ldaps', 'kerberos': True},
        {'printer': ['10.20.0.0/16', '10.30.1.10-10.30.1.99', '2001:db8:10::/64'], 'browser': ['10.1.0.0/24'],
         'database': ['10.5.0.12'], 'smtp': ['10.5.0.25'], 'ldap': ['10.5.0.30'], 'kdc': ['10.5.0.31']},
        outbound='always', rule_group='printfleet.mve')
    names = fw_fwd.policy_names('printfleet.mve')
    policies = {}
    for direction, name in sorted(names.items()):
        settings = fw_fwd.policy_settings('printfleet.mve', rules, direction)
        policies[name] = {'runtime': settings, 'permanent': settings}
    full = {'ok': True, 'running': True, 'version': '1.3.3', 'others': [], 'policies': policies}
    half = dict(full, policies=dict(policies, **{names['outbound']: {'runtime': None, 'permanent': None}}))
    return [json.dumps(doc).encode() for doc in (full, half, {'ok': True, 'running': False})]


def run_firewalld(data):
    fw_fwd.parse_state(data, 'printfleet.mve')


# ------------------------------------------------------------------------------------------------- registry
TARGETS = dict((t.name, t) for t in [
    Target('snmp', run_snmp, (snmp.SnmpWireError,), snmp_seeds),
    Target('snmp_usm', run_snmp_usm, (snmp.SnmpWireError,), snmp_v3_seeds),
    Target('tds', run_tds, (tds.TdsWireError,), tds_seeds),
    Target('firebird', run_firebird, (firebird.FirebirdWireError,), firebird_seeds),
    Target('smtp', run_smtp, (smtp.SmtpProtocolError,), smtp_seeds),
    Target('ldap', run_ldap, (ldap.LdapError,), ldap_seeds),
    Target('kerberos', run_kerberos, (kerberos.KerberosWireError,), kerberos_seeds),
    Target('mdns', run_mdns, (mdns.MdnsWireError,), mdns_seeds),
    Target('ews', run_ews, (ews_pages.EwsError,), ews_seeds),
    Target('framing', run_framings, (conversation.FramingError,), lambda: snmp_seeds()[:2] + tds_seeds()[:2]
           + smtp_seeds()[:2] + firebird_seeds()[:2]),
    Target('nft', run_nft, (fw_nft.NftError,), nft_seeds),
    Target('windows_firewall', run_windows, (fw_win.WindowsFirewallError,), windows_seeds),
    Target('firewalld', run_firewalld, (fw_fwd.FirewalldError,), firewalld_seeds),
])
