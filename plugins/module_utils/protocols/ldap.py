# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""LDAPv3 (RFC 4511) as MVE uses it: build requests, parse replies, and the ldap_check conversation.

Encodings come from pyasn1 and pyasn1-modules' ``rfc2251`` (LDAPv3) types, with two corrections declared
here with pyasn1: rfc2251's UnbindRequest carries a constructed tag (``0x62``) where RFC 4511 has
``[APPLICATION 2] NULL`` (``0x42``), so this file has its own UnbindRequest and protocolOp choice.
rfc2251's Filter is declared three levels deep (``(&(|(!(x=y))))`` is the deepest); deeper filters are
refused as input errors.

No sockets here: ``ldap_conversation(params)`` is a generator of conversation actions (see
conversation.py) that a local or remote driver runs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import traceback

try:
    from pyasn1.codec.ber import decoder as ber_decoder
    from pyasn1.codec.ber import encoder as ber_encoder
    from pyasn1.error import PyAsn1Error
    from pyasn1.type import namedtype, tag, univ
    from pyasn1_modules import rfc2251
except ImportError:  # pragma: no cover - reported by the module with missing_required_lib
    HAS_PYASN1 = False
    PYASN1_IMPORT_ERROR = traceback.format_exc()

    class PyAsn1Error(Exception):
        pass
else:
    HAS_PYASN1 = True
    PYASN1_IMPORT_ERROR = None

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import InputError, ProtocolError
from ansible_collections.printfleet.mve.plugins.module_utils.protocols import conversation as cv

STARTTLS_OID = '1.3.6.1.4.1.1466.20037'
NOTICE_OF_DISCONNECTION_OID = '1.3.6.1.4.1.1466.20036'
ROOT_DSE_ATTRIBUTES = ('namingContexts', 'supportedLDAPVersion', 'supportedExtension', 'supportedSASLMechanisms',
                       'defaultNamingContext', 'vendorName', 'vendorVersion')
ENCRYPTIONS = ('none', 'starttls', 'ldaps')
SCOPES = {'base': 0, 'one': 1, 'sub': 2}
FLOWS = {'none': 'directory.ldap', 'starttls': 'directory.ldap', 'ldaps': 'directory.ldaps'}
# A RootDSE read that fails with these after an anonymous bind: anonymous access is refused after all.
ANONYMOUS_REFUSED_READ = (1, 8, 13, 48, 50, 53)
MAX_ENTRIES = 1000  # a runaway server cannot keep the check reading forever

# RFC 4511 section 4.1.9 and appendix A, plus the cancel (RFC 3909) and assertion (RFC 4528) codes.
RESULT_CODES = {
    0: 'success', 1: 'operationsError', 2: 'protocolError', 3: 'timeLimitExceeded', 4: 'sizeLimitExceeded',
    5: 'compareFalse', 6: 'compareTrue', 7: 'authMethodNotSupported', 8: 'strongAuthRequired', 10: 'referral',
    11: 'adminLimitExceeded', 12: 'unavailableCriticalExtension', 13: 'confidentialityRequired',
    14: 'saslBindInProgress', 16: 'noSuchAttribute', 17: 'undefinedAttributeType', 18: 'inappropriateMatching',
    19: 'constraintViolation', 20: 'attributeOrValueExists', 21: 'invalidAttributeSyntax', 32: 'noSuchObject',
    33: 'aliasProblem', 34: 'invalidDNSyntax', 36: 'aliasDereferencingProblem', 48: 'inappropriateAuthentication',
    49: 'invalidCredentials', 50: 'insufficientAccessRights', 51: 'busy', 52: 'unavailable',
    53: 'unwillingToPerform', 54: 'loopDetect', 64: 'namingViolation', 65: 'objectClassViolation',
    66: 'notAllowedOnNonLeaf', 67: 'notAllowedOnRDN', 68: 'entryAlreadyExists', 69: 'objectClassModsProhibited',
    71: 'affectsMultipleDSAs', 80: 'other', 118: 'canceled', 119: 'noSuchOperation', 120: 'tooLate',
    121: 'cannotCancel', 122: 'assertionFailed', 123: 'authorizationDenied',
}

# Active Directory explains a failed bind (49) with "data <hex>" in the diagnostic message.
AD_BIND_DATA = {
    '525': 'the user does not exist',
    '52e': 'the password is wrong',
    '530': 'the account may not log on at this time',
    '531': 'the account may not log on from this workstation',
    '532': 'the password has expired',
    '533': 'the account is disabled',
    '568': 'the account has too many security IDs',
    '701': 'the account has expired',
    '773': 'the password must be changed at the next logon',
    '775': 'the account is locked out',
}


class LdapError(ProtocolError):
    """A reply that is not the LDAP message the conversation expected."""


class LdapInputError(InputError):
    """Bad input; ``field`` names the option."""


def result_name(code):
    """RFC 4511 name of an LDAP result code (``code<N>`` for a code outside the RFCs)."""
    return RESULT_CODES.get(int(code), 'code%d' % int(code))


# --------------------------------------------------------------------------------------------- types
if HAS_PYASN1:
    class UnbindRequest(univ.Null):
        """RFC 4511 ``UnbindRequest ::= [APPLICATION 2] NULL`` (primitive, unlike rfc2251's)."""
        tagSet = univ.Null.tagSet.tagImplicitly(tag.Tag(tag.tagClassApplication, tag.tagFormatSimple, 2))

    class ProtocolOp(univ.Choice):
        """The operations this check sends and receives."""
        componentType = namedtype.NamedTypes(
            namedtype.NamedType('bindRequest', rfc2251.BindRequest()),
            namedtype.NamedType('bindResponse', rfc2251.BindResponse()),
            namedtype.NamedType('unbindRequest', UnbindRequest()),
            namedtype.NamedType('searchRequest', rfc2251.SearchRequest()),
            namedtype.NamedType('searchResEntry', rfc2251.SearchResultEntry()),
            namedtype.NamedType('searchResDone', rfc2251.SearchResultDone()),
            namedtype.NamedType('searchResRef', rfc2251.SearchResultReference()),
            namedtype.NamedType('extendedReq', rfc2251.ExtendedRequest()),
            namedtype.NamedType('extendedResp', rfc2251.ExtendedResponse()),
        )

    class LDAPMessage(univ.Sequence):
        componentType = namedtype.NamedTypes(
            namedtype.NamedType('messageID', rfc2251.MessageID()),
            namedtype.NamedType('protocolOp', ProtocolOp()),
            namedtype.OptionalNamedType('controls', rfc2251.Controls().subtype(
                implicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, 0))),
        )


def _message(message_id, op_name, op):
    msg = LDAPMessage()
    msg['messageID'] = message_id
    msg['protocolOp'].setComponentByName(op_name, op)
    return ber_encoder.encode(msg)


# ------------------------------------------------------------------------------------------ requests
def bind_request(message_id, name='', password=''):
    """A simple BindRequest (version 3). Empty name and password: an anonymous bind."""
    req = rfc2251.BindRequest()
    req['version'] = 3
    req['name'] = name.encode('utf-8')
    req['authentication'].setComponentByName('simple', password.encode('utf-8'))
    return _message(message_id, 'bindRequest', req)


def starttls_request(message_id):
    """The StartTLS ExtendedRequest (RFC 4511 section 4.14.1), without a requestValue."""
    req = rfc2251.ExtendedRequest()
    req['requestName'] = STARTTLS_OID
    return _message(message_id, 'extendedReq', req)


def unbind_request(message_id):
    return _message(message_id, 'unbindRequest', UnbindRequest(''))


def search_request(message_id, base, scope='base', filter_text='(objectClass=*)', attributes=(), size_limit=0,
                   time_limit=0):
    """A SearchRequest. ``scope`` is base, one or sub; ``filter_text`` an RFC 4515 string filter."""
    if scope not in SCOPES:
        raise LdapInputError('search_scope', 'must be one of %s, got %r' % (', '.join(SCOPES), scope))
    req = rfc2251.SearchRequest()
    req['baseObject'] = base.encode('utf-8')
    req['scope'] = SCOPES[scope]
    req['derefAliases'] = 0
    req['sizeLimit'] = size_limit
    req['timeLimit'] = time_limit
    req['typesOnly'] = False
    _fill_filter(req['filter'], parse_filter(filter_text), 0)
    attrs = req['attributes']
    for i, name in enumerate(attributes):
        attrs[i] = name
    if not attributes:
        attrs.clear()  # an empty (but present) list: all user attributes
    return _message(message_id, 'searchRequest', req)


def root_dse_request(message_id):
    """The RootDSE read: base "", scope base, (objectClass=*), the attributes MVE's set-up needs."""
    return search_request(message_id, '', 'base', '(objectClass=*)', ROOT_DSE_ATTRIBUTES)


# ------------------------------------------------------------------------------------------- filters
_ATTR = re.compile(r'^[A-Za-z][A-Za-z0-9-]*(;[A-Za-z0-9-]+)*$|^[0-9]+(\.[0-9]+)+(;[A-Za-z0-9-]+)*$')
_ESCAPE = re.compile(r'\\([0-9A-Fa-f]{2})')
MAX_FILTER_DEPTH = 3  # rfc2251's Filter nests and/or/not three levels deep


def _unescape(value, text):
    if re.search(r'\\(?![0-9A-Fa-f]{2})', value):
        raise LdapInputError('search_filter', 'a backslash must start a two-digit hex escape like \\2a in %r' % text)
    if '(' in value or ')' in value:
        raise LdapInputError('search_filter', 'parentheses in a value must be escaped as \\28 and \\29 in %r' % text)
    parts = _ESCAPE.split(value)
    out = bytearray()
    for i, part in enumerate(parts):
        out.extend(bytes([int(part, 16)]) if i % 2 else part.encode('utf-8'))
    return bytes(out)


def parse_filter(text):
    """Parse an RFC 4515 string filter into a tree of tuples:
    ('and'|'or', [children]), ('not', child), (op, attribute, value_bytes) for equalityMatch,
    greaterOrEqual, lessOrEqual, approxMatch, ('present', attribute) and
    ('substrings', attribute, [(kind, bytes)]). Raises LdapInputError naming search_filter."""
    if not isinstance(text, str) or not text.strip():
        raise LdapInputError('search_filter', 'must be an LDAP filter such as (objectClass=*), got %r' % (text,))
    text = text.strip()
    if not text.startswith('('):
        text = '(%s)' % text
    node, pos = _parse_node(text, 0, 1)
    if pos != len(text):
        raise LdapInputError('search_filter', 'unexpected %r after the filter at position %d of %r'
                             % (text[pos:], pos, text))
    return node


def _parse_node(text, pos, depth):
    if pos >= len(text) or text[pos] != '(':
        raise LdapInputError('search_filter', 'expected "(" at position %d of %r' % (pos, text))
    pos += 1
    if pos < len(text) and text[pos] in '&|!':
        kind = {'&': 'and', '|': 'or', '!': 'not'}[text[pos]]
        if depth > MAX_FILTER_DEPTH:
            raise LdapInputError('search_filter', 'and/or/not may nest at most %d levels deep in %r'
                                 % (MAX_FILTER_DEPTH, text))
        pos += 1
        children = []
        while pos < len(text) and text[pos] == '(':
            child, pos = _parse_node(text, pos, depth + 1)
            children.append(child)
        if pos >= len(text) or text[pos] != ')':
            raise LdapInputError('search_filter', 'missing ")" at position %d of %r' % (pos, text))
        if not children:
            raise LdapInputError('search_filter', '"%s" needs at least one filter in %r'
                                 % ({'and': '&', 'or': '|', 'not': '!'}[kind], text))
        if kind == 'not':
            if len(children) != 1:
                raise LdapInputError('search_filter', '"!" takes exactly one filter in %r' % text)
            return ('not', children[0]), pos + 1
        return (kind, children), pos + 1
    end = text.find(')', pos)
    if end < 0:
        raise LdapInputError('search_filter', 'missing ")" in %r' % text)
    item = text[pos:end]
    match = re.match(r'^([^=~<>:]+)(=|~=|>=|<=)(.*)$', item, re.S)
    if not match:
        raise LdapInputError('search_filter', '%r is not attribute=value (extensible matches are not supported)'
                             % item)
    attr, op, value = match.group(1), match.group(2), match.group(3)
    if not _ATTR.match(attr):
        raise LdapInputError('search_filter', '%r is not an attribute description in %r' % (attr, text))
    if op == '=' and value == '*':
        return ('present', attr), end + 1
    if op == '=' and '*' in value:
        pieces = value.split('*')
        subs = []
        if pieces[0]:
            subs.append(('initial', _unescape(pieces[0], text)))
        for middle in pieces[1:-1]:
            if middle:
                subs.append(('any', _unescape(middle, text)))
        if pieces[-1]:
            subs.append(('final', _unescape(pieces[-1], text)))
        return ('substrings', attr, subs), end + 1
    kind = {'=': 'equalityMatch', '~=': 'approxMatch', '>=': 'greaterOrEqual', '<=': 'lessOrEqual'}[op]
    return (kind, attr, _unescape(value, text)), end + 1


def _fill_filter(target, node, level):
    """Set the pyasn1 Filter choice ``target`` (Filter, Filter2 or Filter3) from a parse_filter tree."""
    kind = node[0]
    if kind in ('and', 'or'):
        container = target.getComponentByName(kind)
        for i, child in enumerate(node[1]):
            _fill_filter(container.getComponentByPosition(i, instantiate=True), child, level + 1)
        target.setComponentByName(kind, container)
    elif kind == 'not':
        inner = target.getComponentByName('not')
        _fill_filter(inner, node[1], level + 1)
    elif kind == 'present':
        target.setComponentByName('present', node[1])
    elif kind == 'substrings':
        sub = target.getComponentByName('substrings')
        sub['type'] = node[1]
        seq = sub['substrings']
        for i, (part, value) in enumerate(node[2]):
            seq.getComponentByPosition(i, instantiate=True).setComponentByName(part, value)
    else:
        ava = target.getComponentByName(kind)
        ava['attributeDesc'] = node[1]
        ava['assertionValue'] = node[2]


# ------------------------------------------------------------------------------------------- replies
def _text(value):
    return bytes(value).decode('utf-8', 'replace')


def parse_message(data):
    """Decode one LDAPMessage. Returns a dict: message_id, op (choice name) and the op's fields:

    bindResponse / searchResDone / extendedResp: result_code, result (name), matched_dn, diagnostic,
    referrals, and for extendedResp response_name; searchResEntry: dn, attributes (name -> [str]);
    searchResRef: uris. Raises LdapError for anything that is not one complete LDAPMessage.
    """
    data = bytes(data)
    if data[:1] in (b'\x15', b'\x16') and data[1:2] == b'\x03':
        raise LdapError('it answered with a TLS record: this port speaks TLS (LDAPS), use encryption ldaps')
    if not data or data[0] != 0x30:
        raise LdapError('the reply does not start like an LDAP message (first byte %s, expected 0x30)'
                        % ('%#04x' % data[0] if data else 'missing'))
    try:
        msg, rest = ber_decoder.decode(data, asn1Spec=LDAPMessage())
    # pyasn1's decoder lets some Python errors through (an 8-octet BER length: OverflowError)
    except (PyAsn1Error, ValueError, TypeError, IndexError, KeyError, AttributeError, OverflowError) as exc:
        raise LdapError('the reply is not an LDAP message this check understands: %s'
                        % (str(exc).strip().splitlines() or [exc.__class__.__name__])[0][:200])
    if rest:
        raise LdapError('%d bytes follow the LDAP message' % len(rest))
    op = msg['protocolOp']
    name = op.getName()
    body = op.getComponent()
    out = {'message_id': int(msg['messageID']), 'op': name}
    if name in ('bindResponse', 'searchResDone', 'extendedResp'):
        code = int(body['resultCode'])
        out.update(result_code=code, result=result_name(code), matched_dn=_text(body['matchedDN']),
                   diagnostic=_text(body['errorMessage']), referrals=[])
        if body['referral'].isValue:
            out['referrals'] = [_text(u) for u in body['referral']]
        if name == 'extendedResp':
            out['response_name'] = _text(body['responseName']) if body['responseName'].isValue else None
    elif name == 'searchResEntry':
        attributes = {}
        for attr in body['attributes']:
            attributes[_text(attr['type'])] = [_text(v) for v in attr['vals']]
        out.update(dn=_text(body['objectName']), attributes=attributes)
    elif name == 'searchResRef':
        out['uris'] = [_text(u) for u in body]
    else:
        raise LdapError('the server sent an LDAP %s, which a server never sends' % name)
    return out


def _attr(attributes, name):
    """Values of an attribute, matching its name case-insensitively (attribute names are)."""
    for key, values in attributes.items():
        if key.lower() == name.lower():
            return values
    return []


def _first(values):
    return values[0] if values else None


def root_dse_facts(entry, result='success'):
    """The ``root_dse`` facts from a parsed RootDSE searchResEntry (or None when none came)."""
    attributes = entry['attributes'] if entry else {}
    versions = []
    for v in _attr(attributes, 'supportedLDAPVersion'):
        try:
            versions.append(int(v))
        except ValueError:
            pass
    return {
        'result': result,
        'naming_contexts': _attr(attributes, 'namingContexts'),
        'default_naming_context': _first(_attr(attributes, 'defaultNamingContext')),
        'supported_ldap_versions': sorted(versions),
        'supported_extensions': _attr(attributes, 'supportedExtension'),
        'supported_sasl_mechanisms': _attr(attributes, 'supportedSASLMechanisms'),
        'vendor_name': _first(_attr(attributes, 'vendorName')),
        'vendor_version': _first(_attr(attributes, 'vendorVersion')),
    }


def bind_name_form(name):
    """How a bind name reads: dn (cn=...,dc=...), upn (user@example.com) or down_level (DOMAIN\\user)."""
    if re.match(r'^\s*[A-Za-z0-9.-]+\s*=', name):
        return 'dn'
    if re.match(r'^[^@\s\\]+@[^@\s]+$', name):
        return 'upn'
    if re.match(r'^[^\\\s]+\\[^\\]+$', name):
        return 'down_level'
    return None


def explain_bind(reply, anonymous, bind_dn):
    """One sentence on a failed bind: the result name, what it usually means, and the server's words."""
    code = reply['result_code']
    who = 'an anonymous bind' if anonymous else 'the bind as %s' % bind_dn
    diag = reply['diagnostic']
    why = {
        7: 'the server does not accept simple binds',
        8: 'the server requires a signed or encrypted connection for binds (use encryption starttls or ldaps)',
        13: 'the server requires TLS before a bind (use encryption starttls or ldaps)',
        34: 'the bind name is not a DN this server accepts (only Active Directory takes a UPN or DOMAIN\\user)',
        48: 'the server does not accept anonymous binds: give bind_dn and bind_password as MVE will use them'
        if anonymous else 'the server does not accept this kind of authentication',
        49: 'the DN or password is wrong',
        50: 'the account may not bind',
        53: 'the server is unwilling to accept anonymous binds: give bind_dn and bind_password as MVE will use them'
        if anonymous else 'the server is unwilling to accept this bind',
    }.get(code, 'the server refused it')
    if code == 49:
        match = re.search(r'\bdata ([0-9a-fA-F]{3})\b', diag)
        if match and match.group(1).lower() in AD_BIND_DATA:
            why = 'Active Directory says %s' % AD_BIND_DATA[match.group(1).lower()]
    sentence = 'The server refused %s with %s (%d): %s' % (who, result_name(code), code, why)
    if diag:
        sentence += '; server message: %s' % diag.strip()
    return sentence + '.'


# ------------------------------------------------------------------------------------------ validate
def validate(params):
    """Check the LDAP options; returns the normalized options. Raises LdapInputError naming the field."""
    encryption = params.get('encryption') or 'none'
    if encryption not in ENCRYPTIONS:
        raise LdapInputError('encryption', 'must be one of %s, got %r' % (', '.join(ENCRYPTIONS), encryption))
    bind_dn = params.get('bind_dn')
    password = params.get('bind_password')
    if bind_dn is not None and not bind_dn.strip():
        raise LdapInputError('bind_dn', 'must be a DN (uid=mve,ou=people,dc=example,dc=com), a UPN '
                             '(mve@example.com) or DOMAIN\\user; leave it unset for an anonymous bind')
    if bind_dn and bind_name_form(bind_dn) is None:
        raise LdapInputError('bind_dn', 'must be a DN (uid=mve,ou=people,dc=example,dc=com), a UPN '
                             '(mve@example.com) or DOMAIN\\user, got %r' % bind_dn)
    if bind_dn and not password:
        raise LdapInputError('bind_password', 'is required with bind_dn (a DN with an empty password is an '
                             'unauthenticated bind, which proves nothing)')
    if password and not bind_dn:
        raise LdapInputError('bind_dn', 'is required with bind_password')
    scope = params.get('search_scope') or 'base'
    if scope not in SCOPES:
        raise LdapInputError('search_scope', 'must be one of %s, got %r' % (', '.join(SCOPES), scope))
    search_filter = params.get('search_filter') or '(objectClass=*)'
    parse_filter(search_filter)
    return {
        'host': params['host'], 'port': params['port'], 'encryption': encryption,
        'bind_dn': bind_dn or None, 'bind_password': password or None,
        'search_base': params.get('search_base'), 'search_scope': scope, 'search_filter': search_filter,
        'server_name': params.get('server_name') or params['host'],
    }


# -------------------------------------------------------------------------------------- conversation
class _Ids(object):
    def __init__(self):
        self.value = 0

    def next(self):
        self.value += 1
        return self.value


def _fail(facts, reason):
    facts['ok'] = False
    facts['reason'] = reason
    return facts


def _search(ids, base, scope, filter_text, attributes, size_limit):
    """Sub-conversation: one search. Returns (entries, done) with parsed messages; raises LdapError."""
    message_id = ids.next()
    yield cv.Send(search_request(message_id, base, scope, filter_text, attributes, size_limit))
    entries = []
    while True:
        reply = _check_reply((yield cv.Recv('ber')), message_id)
        if reply['op'] == 'searchResEntry':
            if len(entries) < MAX_ENTRIES:
                entries.append(reply)
        elif reply['op'] == 'searchResDone':
            return entries, reply
        elif reply['op'] != 'searchResRef':
            raise LdapError('the server answered a search with an LDAP %s' % reply['op'])


def _check_reply(data, message_id):
    reply = parse_message(data)
    if reply['message_id'] == 0 and reply['op'] == 'extendedResp':
        raise LdapError('the server disconnected the session (%s%s)' % (
            reply['result'], ': %s' % reply['diagnostic'] if reply['diagnostic'] else ''))
    if reply['message_id'] != message_id:
        raise LdapError('the server answered message %d while message %d was outstanding'
                        % (reply['message_id'], message_id))
    return reply


def _tls_handshake(facts, params, what):
    """The TLS step of the conversation (LDAPS, or after StartTLS): the facts into ``facts['tls']``; returns
    None, or the reason sentence when the handshake failed."""
    try:
        facts['tls'] = yield cv.StartTls(params['server_name'])
    except cv.TlsFailed as exc:
        facts['tls'] = exc.facts or _no_cert_facts(str(exc))
        return '%s failed: %s.' % (what, exc)
    return None


def ldap_conversation(params):
    """The ldap_check conversation. ``params``: the output of validate() (host, port, encryption, bind_dn,
    bind_password, search_base, search_scope, search_filter, server_name).

    Returns the check's facts: ok, reason, port, encryption, tls (starttls/ldaps), starttls_supported,
    root_dse, bind, bound, bind_result, search (with search_base). The password never enters them.
    """
    host, port, encryption = params['host'], params['port'], params['encryption']
    anonymous = not params.get('bind_dn')
    where = '%s:%s' % (host, port)
    facts = {'ok': False, 'reason': None, 'port': port, 'encryption': encryption,
             'starttls_supported': None, 'root_dse': None,
             'bind': 'anonymous' if anonymous else 'simple', 'bound': False, 'bind_result': None}
    if params.get('search_base') is not None:
        facts['search'] = None
    ids = _Ids()
    try:
        yield cv.Connect('tcp', host, port)
    except cv.ConnectFailed as exc:
        return _fail(facts, 'Cannot reach the LDAP server: %s.' % exc)

    stage = 'the first reply'
    try:
        if encryption == 'ldaps':
            stage = 'the TLS handshake'
            failure = yield from _tls_handshake(facts, params, 'The LDAPS TLS handshake with %s' % where)
            if failure:
                return _fail(facts, failure)
        elif encryption == 'starttls':
            stage = 'the StartTLS request'
            message_id = ids.next()
            yield cv.Send(starttls_request(message_id))
            reply = _check_reply((yield cv.Recv('ber')), message_id)
            if reply['op'] != 'extendedResp':
                raise LdapError('the server answered StartTLS with an LDAP %s' % reply['op'])
            if reply['result_code'] != 0:
                facts['starttls_supported'] = False
                return _fail(facts, 'The server at %s refused StartTLS with %s (%d)%s; MVE cannot encrypt this '
                             'connection with StartTLS (use encryption ldaps, or enable TLS on the server).'
                             % (where, reply['result'], reply['result_code'],
                                ': %s' % reply['diagnostic'] if reply['diagnostic'] else ''))
            facts['starttls_supported'] = True
            stage = 'the TLS handshake after StartTLS'
            failure = yield from _tls_handshake(facts, params, 'The TLS handshake after StartTLS with %s' % where)
            if failure:
                return _fail(facts, failure)

        stage = 'the RootDSE search'
        entries, done = yield from _search(ids, '', 'base', '(objectClass=*)', ROOT_DSE_ATTRIBUTES, 0)
        facts['root_dse'] = root_dse_facts(entries[0] if entries else None, done['result'])
        if facts['starttls_supported'] is None and done['result_code'] == 0:
            facts['starttls_supported'] = STARTTLS_OID in facts['root_dse']['supported_extensions']

        stage = 'the bind'
        message_id = ids.next()
        yield cv.Send(bind_request(message_id, params.get('bind_dn') or '', params.get('bind_password') or ''))
        reply = _check_reply((yield cv.Recv('ber')), message_id)
        if reply['op'] != 'bindResponse':
            raise LdapError('the server answered a bind with an LDAP %s' % reply['op'])
        facts['bind_result'] = reply['result']
        if reply['result_code'] != 0:
            facts['bind_diagnostic'] = reply['diagnostic']
            yield from _unbind(ids)
            return _fail(facts, explain_bind(reply, anonymous, params.get('bind_dn')))
        facts['bound'] = True

        if done['result_code'] != 0:
            # The RootDSE may be readable only after a bind: read it again now.
            stage = 'the RootDSE search after the bind'
            entries, done = yield from _search(ids, '', 'base', '(objectClass=*)', ROOT_DSE_ATTRIBUTES, 0)
            facts['root_dse'] = root_dse_facts(entries[0] if entries else None, done['result'])
            if facts['starttls_supported'] is None and done['result_code'] == 0:
                facts['starttls_supported'] = STARTTLS_OID in facts['root_dse']['supported_extensions']

        if anonymous and done['result_code'] in ANONYMOUS_REFUSED_READ:
            yield from _unbind(ids)
            return _fail(facts, 'The server accepts an anonymous bind but refuses anonymous reads: the RootDSE '
                         'search failed with %s (%d)%s. Give bind_dn and bind_password as MVE will use them.'
                         % (done['result'], done['result_code'],
                            ': %s' % done['diagnostic'].strip() if done['diagnostic'] else ''))

        reason = None
        if params.get('search_base') is not None:
            stage = 'the search of %r' % params['search_base']
            entries, done = yield from _search(ids, params['search_base'], params['search_scope'],
                                               params['search_filter'], ('1.1',), 1)
            code = done['result_code']
            search = {'base': params['search_base'], 'scope': params['search_scope'],
                      'filter': params['search_filter'], 'result': done['result'],
                      'found': bool(entries), 'entries': len(entries)}
            if entries:
                search['first_dn'] = entries[0]['dn']
            facts['search'] = search
            if code not in (0, 4):
                detail = {32: 'the search base does not exist%s' % (
                    ' (the closest existing entry is %s)' % done['matched_dn'] if done['matched_dn'] else ''),
                    50: 'the bound account may not read it',
                    1: 'the server needs a successful bind first' if anonymous else 'the server refused it',
                    53: 'the server does not let anonymous clients search: give bind_dn and bind_password as MVE '
                    'will use them' if anonymous else 'the server is unwilling to run it',
                    10: 'the server refers elsewhere (%s)' % ', '.join(done['referrals'])}.get(code, 'the server refused it')
                yield from _unbind(ids)
                return _fail(facts, 'The search of %r failed with %s (%d): %s%s.' % (
                    params['search_base'], done['result'], code, detail,
                    '; server message: %s' % done['diagnostic'].strip() if done['diagnostic'] else ''))
            if not entries:
                yield from _unbind(ids)
                return _fail(facts, 'The search of %r with filter %s (scope %s) found no entry, so MVE\'s user '
                             'search would find nobody there.'
                             % (params['search_base'], params['search_filter'], params['search_scope']))
            reason = ' and found %s under %r' % (entries[0]['dn'] or 'the base', params['search_base'])
        yield from _unbind(ids)
    except cv.ConversationError as exc:
        return _fail(facts, 'The LDAP server at %s failed during %s: %s.' % (where, stage, _sentence(exc)))
    except LdapError as exc:
        return _fail(facts, 'The server at %s did not answer %s as an LDAP server would: %s.'
                     % (where, stage, exc))

    how = {'none': 'without encryption', 'starttls': 'with StartTLS', 'ldaps': 'over LDAPS'}[encryption]
    who = 'anonymously' if anonymous else 'as %s' % params['bind_dn']
    facts['ok'] = True
    facts['reason'] = 'The LDAP server at %s accepted a bind %s %s%s.' % (where, who, how, reason or '')
    if facts.get('tls') and not facts['tls'].get('validated'):
        facts['reason'] += ' Its certificate was not verified (validate_certs is false).'
    return facts


def _unbind(ids):
    yield cv.Send(unbind_request(ids.next()))
    yield cv.Close()


def _sentence(exc):
    text = str(exc).rstrip('.')
    if isinstance(exc, cv.PeerClosed) and getattr(exc, 'partial', b''):
        text += ' (it sent %r)' % bytes(exc.partial[:40])
    return text


def _no_cert_facts(message):
    from ansible_collections.printfleet.mve.plugins.module_utils.common import tls_facts
    return tls_facts.tls_facts(validated=False, validation_error=message)
