"""A scripted SNMP v1/v2c agent for tests: answers from a dict, optionally ignoring SETs or answering badly.

Built with pysnmp's message API (not with the code under test), so that a test of snmp_client against it
checks the client against an independent encoder.
"""
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902


def _decode(data):
    version = int(api.decodeMessageVersion(data))
    mod = api.PROTOCOL_MODULES[version]
    msg, dummy = decoder.decode(data, asn1Spec=mod.Message())
    return mod, msg


def make_agent(objects, take_sets=True, walk_repeat=False):
    """``reply(data)`` for conftest's udp_responder.

    ``objects``: {dotted oid: pysnmp value}. ``take_sets`` False answers SETs with noError but keeps the old
    values (a device that does not take a setting). ``walk_repeat`` answers every GETNEXT/GETBULK with the
    first object again (an agent whose OIDs do not increase).
    """
    def key(oid):
        return tuple(int(p) for p in oid.split('.'))

    def reply(data):
        mod, msg = _decode(data)
        pdu = mod.apiMessage.get_pdu(msg)
        resp = mod.apiMessage.get_response(msg)
        rpdu = mod.apiMessage.get_pdu(resp)
        out = []
        name = pdu.__class__.__name__
        ordered = sorted(objects, key=key)
        for oid, value in mod.apiPDU.get_varbinds(pdu):
            oid = str(oid)
            if name == 'SetRequestPDU':
                if take_sets:
                    objects[oid] = value
                out.append((oid, value))
            elif name == 'GetRequestPDU':
                out.append((oid, objects.get(oid, rfc1902.OctetString(b'')) if oid in objects
                            else api.PROTOCOL_MODULES[1].NoSuchObject('')))
            else:
                later = [o for o in ordered if key(o) > key(oid)] if not walk_repeat else ordered
                if later:
                    out.append((later[0], objects[later[0]]))
                else:
                    out.append((oid, api.PROTOCOL_MODULES[1].EndOfMibView('')))
        mod.apiPDU.set_varbinds(rpdu, [(mod.ObjectIdentifier(o), v) for o, v in out])
        return encoder.encode(resp)

    return reply
