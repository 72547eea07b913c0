# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hypothesis strategies for the fuzz tests (tests/unit/fuzz/): mutations of valid messages (bit flips,
truncation, insertion, deletion, duplication, length-field edits that know where BER, TDS and XDR keep their
lengths), well-formed BER trees with arbitrary tags, and JSON documents mutated from recorded ones."""

from __future__ import absolute_import, division, print_function

from hypothesis import strategies as st

# Values a length field is most interesting at: the edges of the BER short/long forms, of 16 and 32 bits.
_LENGTHS = (0, 1, 2, 3, 4, 0x7f, 0x80, 0x81, 0x82, 0x84, 0x88, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff,
            0xffffffff)


def ber_length_offsets(data, start=0, end=None, depth=0):
    """Offsets of the length octets of every TLV in ``data`` that parses as definite-length BER (best effort:
    stops at the first thing that does not)."""
    end = len(data) if end is None else end
    out = []
    pos = start
    while pos + 2 <= end and depth < 16:
        tag = data[pos]
        first = data[pos + 1]
        length_at = pos + 1
        pos += 2
        if first & 0x80:
            count = first & 0x7f
            if count == 0 or count > 4 or pos + count > end:
                break
            length = int.from_bytes(data[pos:pos + count], 'big')
            pos += count
        else:
            length = first
        if pos + length > end:
            break
        out.append(length_at)
        if tag & 0x20:
            out.extend(ber_length_offsets(data, pos, pos + length, depth + 1))
        pos += length
    return out


@st.composite
def mutated(draw, seeds, max_ops=4):
    """One of ``seeds`` (bytes) with one to ``max_ops`` mutations."""
    data = bytearray(draw(st.sampled_from(seeds)))
    ops = draw(st.lists(st.sampled_from(('flip', 'truncate', 'insert', 'delete', 'byte', 'length', 'ber_length',
                                         'duplicate')), min_size=1, max_size=max_ops))
    for op in ops:
        size = len(data)
        if op == 'insert':
            at = draw(st.integers(0, size))
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
            continue
        if not size:
            continue
        at = draw(st.integers(0, size - 1))
        if op == 'flip':
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == 'truncate':
            del data[at:]
        elif op == 'delete':
            del data[at:at + draw(st.integers(1, 8))]
        elif op == 'byte':
            data[at] = draw(st.sampled_from((0x00, 0x01, 0x7f, 0x80, 0x81, 0x84, 0xff))) if draw(st.booleans()) \
                else draw(st.integers(0, 255))
        elif op == 'duplicate':
            chunk = data[at:at + draw(st.integers(1, 16))]
            where = draw(st.integers(0, size))
            data[where:where] = chunk
        elif op == 'length':
            # a big-endian length/offset field of 1, 2 or 4 bytes (TDS headers and options, XDR, DNS counts)
            width = draw(st.sampled_from((1, 2, 4)))
            value = draw(st.sampled_from(_LENGTHS) | st.integers(0, 2 ** (8 * width) - 1)) % (2 ** (8 * width))
            data[at:at + width] = value.to_bytes(width, 'big')
        elif op == 'ber_length':
            offsets = ber_length_offsets(bytes(data))
            if not offsets:
                continue
            where = draw(st.sampled_from(offsets))
            old = data[where]
            new = draw(st.sampled_from((
                bytes(((old + 1) & 0x7f,)), bytes((max(old - 1, 0) & 0x7f,)), b'\x80', b'\x84\xff\xff\xff\xff',
                b'\x88\xc0\x00\x00\x00\x00\x00\x00\x00', b'\x81' + bytes((old & 0x7f,)), b'\x00', b'\x7f')))
            size_of_old = 1 + (old & 0x7f) if old & 0x80 else 1
            data[where:where + size_of_old] = new
    return bytes(data)


def ber_tree(tags=None, max_leaves=12):
    """Definite-length BER with arbitrary (or the given) tags, nested: deeper in pyasn1 than random bytes get."""
    tag = st.sampled_from(tags) if tags else st.integers(0, 255)

    def tlv(tag_value, body):
        n = len(body)
        if n < 0x80:
            head = bytes((n,))
        else:
            raw = n.to_bytes((n.bit_length() + 7) // 8, 'big')
            head = bytes((0x80 | len(raw),)) + raw
        return bytes((tag_value,)) + head + body

    leaf = st.builds(tlv, tag.map(lambda t: t & ~0x20), st.binary(max_size=12))
    return st.recursive(
        leaf,
        lambda children: st.builds(lambda t, kids: tlv(t | 0x20, b''.join(kids)), tag, st.lists(children, max_size=4)),
        max_leaves=max_leaves)


def json_values(max_leaves=20):
    """Any JSON document (small)."""
    scalars = st.none() | st.booleans() | st.integers(-2 ** 40, 2 ** 40) | st.floats(allow_nan=False) | \
        st.text(max_size=16)
    return st.recursive(scalars, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
        st.text(max_size=8), kids, max_size=4), max_leaves=max_leaves)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _paths(value, prefix + (i,))


def _replace(obj, path, value):
    if not path:
        return value
    copy = dict(obj) if isinstance(obj, dict) else list(obj)
    copy[path[0]] = _replace(obj[path[0]], path[1:], value)
    return copy


@st.composite
def mutated_json(draw, seeds, max_ops=3):
    """One of ``seeds`` (parsed JSON) with one to ``max_ops`` nodes replaced by arbitrary JSON values, or by a
    value of another type taken from a recorded document (a string where a number was, a list for a dict)."""
    obj = draw(st.sampled_from(seeds))
    pool = [v for s in seeds for v in (_get(s, p) for p in _paths(s)) if not isinstance(v, (dict, list))]
    for dummy in range(draw(st.integers(1, max_ops))):
        paths = list(_paths(obj))
        path = draw(st.sampled_from(paths))
        value = draw(json_values(8) | st.sampled_from(pool) | st.just({}) | st.just([]))
        obj = _replace(obj, path, value)
    return obj


def _get(obj, path):
    for key in path:
        obj = obj[key]
    return obj
