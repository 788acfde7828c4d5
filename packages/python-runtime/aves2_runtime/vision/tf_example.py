"""tf.train.Example by hand: the protobuf wire format of the three messages it uses.

    Example   { Features features = 1; }
    Features  { map<string, Feature> feature = 1; }   // entries {1: key, 2: value}
    Feature   { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }
    BytesList { repeated bytes value = 1; }
    FloatList { repeated float value = 1 [packed = true]; }
    Int64List { repeated int64 value = 1 [packed = true]; }

Decoding accepts packed and unpacked repeated numbers (a parser must), reads
negative int64 as two's complement, skips unknown fields, and merges repeated
messages the way protobuf does (a later map entry with the same key wins).
Malformed input raises ``ExampleError``; the caller adds the file and offset.
"""

import struct
from typing import NamedTuple

_VARINT, _FIXED64, _LENGTH, _START_GROUP, _END_GROUP, _FIXED32 = 0, 1, 2, 3, 4, 5


class ExampleError(ValueError):
    """A serialized tf.train.Example that cannot be parsed."""


class Feature(NamedTuple):
    """An explicitly typed feature value for ``encode_example``: kind is ``bytes``, ``float`` or ``int64``."""

    kind: str
    values: list


# --- decoding --------------------------------------------------------------------------


def _varint(buf, pos, end):
    if pos >= end:
        raise ExampleError("truncated varint")
    byte = buf[pos]
    if byte < 0x80:
        return byte, pos + 1
    result, shift = byte & 0x7F, 7
    pos += 1
    while True:
        if pos >= end:
            raise ExampleError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ExampleError("varint longer than 10 bytes")


def _length(buf, pos, end):
    n, pos = _varint(buf, pos, end)
    if pos + n > end:
        raise ExampleError(f"a length-delimited field of {n:,} bytes runs past the end of its message ({end - pos:,} bytes left)")
    return pos, pos + n


def _skip(buf, pos, end, wire_type):
    if wire_type == _VARINT:
        return _varint(buf, pos, end)[1]
    if wire_type == _LENGTH:
        return _length(buf, pos, end)[1]
    if wire_type == _FIXED32:
        pos += 4
    elif wire_type == _FIXED64:
        pos += 8
    else:
        raise ExampleError(f"unsupported wire type {wire_type}")
    if pos > end:
        raise ExampleError("truncated fixed-size field")
    return pos


def _int64(value):
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value >= 1 << 63 else value


def _bytes_list(buf, pos, end):
    out = []
    while pos < end:
        tag, pos = _varint(buf, pos, end)
        if tag == (1 << 3) | _LENGTH:
            start, pos = _length(buf, pos, end)
            out.append(bytes(buf[start:pos]))
        else:
            pos = _skip(buf, pos, end, tag & 7)
    return out


def _float_list(buf, pos, end):
    out = []
    while pos < end:
        tag, pos = _varint(buf, pos, end)
        if tag == (1 << 3) | _LENGTH:  # packed
            start, pos = _length(buf, pos, end)
            if (pos - start) % 4:
                raise ExampleError(f"packed float list of {pos - start} bytes is not a multiple of 4")
            out.extend(struct.unpack_from(f"<{(pos - start) // 4}f", buf, start))
        elif tag == (1 << 3) | _FIXED32:  # unpacked
            if pos + 4 > end:
                raise ExampleError("truncated float")
            out.append(struct.unpack_from("<f", buf, pos)[0])
            pos += 4
        else:
            pos = _skip(buf, pos, end, tag & 7)
    return out


def _int64_list(buf, pos, end):
    out = []
    while pos < end:
        tag, pos = _varint(buf, pos, end)
        if tag == (1 << 3) | _LENGTH:  # packed
            start, pos = _length(buf, pos, end)
            p = start
            while p < pos:
                value, p = _varint(buf, p, pos)
                out.append(_int64(value))
        elif tag == (1 << 3) | _VARINT:  # unpacked
            value, pos = _varint(buf, pos, end)
            out.append(_int64(value))
        else:
            pos = _skip(buf, pos, end, tag & 7)
    return out


_KINDS = {1: ("bytes", _bytes_list), 2: ("float", _float_list), 3: ("int64", _int64_list)}


def _feature(buf, pos, end):
    kind, values = None, []
    while pos < end:
        tag, pos = _varint(buf, pos, end)
        field, wire_type = tag >> 3, tag & 7
        if field in _KINDS and wire_type == _LENGTH:
            start, pos = _length(buf, pos, end)
            name, decode = _KINDS[field]
            # Two occurrences of the same list merge (repeated fields concatenate); another kind replaces.
            values = (values if name == kind else []) + decode(buf, start, pos)
            kind = name
        else:
            pos = _skip(buf, pos, end, wire_type)
    return Feature(kind, values)


def _features(buf, pos, end, keys, out, seen):
    while pos < end:
        tag, pos = _varint(buf, pos, end)
        if tag != (1 << 3) | _LENGTH:
            pos = _skip(buf, pos, end, tag & 7)
            continue
        entry, pos = _length(buf, pos, end)
        key = None
        value = None
        p = entry
        while p < pos:
            etag, p = _varint(buf, p, pos)
            if etag == (1 << 3) | _LENGTH:
                start, p = _length(buf, p, pos)
                key = bytes(buf[start:p])
            elif etag == (2 << 3) | _LENGTH:
                value = _length(buf, p, pos)
                p = value[1]
            else:
                p = _skip(buf, p, pos, etag & 7)
        if key is None:
            key = b""
        if seen is not None:
            seen.add(key)
        if keys is not None and key not in keys:
            continue
        try:
            name = key.decode("utf-8")
        except UnicodeDecodeError:
            raise ExampleError(f"feature name {key!r} is not UTF-8") from None
        out[name] = _feature(buf, *value) if value is not None else Feature(None, [])


def decode_example_typed(data, keys=None, seen=None):
    """``{name: Feature(kind, values)}`` of a serialized Example (kind None for an empty Feature).

    ``keys``, a collection of feature names, limits decoding to those features
    (the others are skipped without being decoded); ``seen``, a set, receives
    the name (as bytes) of every feature present, decoded or not.
    """
    buf = bytes(data) if not isinstance(data, bytes) else data
    wanted = None if keys is None else {k.encode("utf-8") if isinstance(k, str) else bytes(k) for k in keys}
    out = {}
    pos, end = 0, len(buf)
    try:
        while pos < end:
            tag, pos = _varint(buf, pos, end)
            if tag == (1 << 3) | _LENGTH:
                start, pos = _length(buf, pos, end)
                _features(buf, start, pos, wanted, out, seen)
            else:
                pos = _skip(buf, pos, end, tag & 7)
    except struct.error as e:
        raise ExampleError(str(e)) from None
    return out


def decode_example(data, keys=None):
    """``{name: list of values}`` of a serialized tf.train.Example: bytes, floats or ints per feature."""
    return {name: feature.values for name, feature in decode_example_typed(data, keys).items()}


# --- encoding --------------------------------------------------------------------------


def _put_varint(out, value):
    value &= 0xFFFFFFFFFFFFFFFF
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _put_length(out, field, payload):
    _put_varint(out, (field << 3) | _LENGTH)
    _put_varint(out, len(payload))
    out += payload


def _as_feature(name, value):
    if isinstance(value, Feature):
        return value
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise ValueError(f"feature {name!r}: an empty list needs an explicit Feature(kind, [])")
    if all(isinstance(v, (bytes, bytearray, memoryview, str)) for v in values):
        return Feature("bytes", values)
    if all(isinstance(v, int) for v in values):  # bool is an int
        return Feature("int64", values)
    if all(isinstance(v, (int, float)) for v in values):
        return Feature("float", values)
    try:  # numpy scalars
        import numpy as np

        if all(isinstance(v, np.integer) for v in values):
            return Feature("int64", [int(v) for v in values])
        if all(isinstance(v, (np.integer, np.floating)) for v in values):
            return Feature("float", [float(v) for v in values])
    except ImportError:
        pass
    raise ValueError(f"feature {name!r}: cannot tell the kind of {values[:3]!r}")


def encode_feature(feature):
    """The serialized Feature message of ``Feature(kind, values)`` (numbers packed, as TensorFlow writes them)."""
    inner = bytearray()
    if feature.kind == "bytes":
        for v in feature.values:
            _put_length(inner, 1, v.encode("utf-8") if isinstance(v, str) else bytes(v))
        field = 1
    elif feature.kind == "float":
        if feature.values:
            _put_length(inner, 1, struct.pack(f"<{len(feature.values)}f", *feature.values))
        field = 2
    elif feature.kind == "int64":
        packed = bytearray()
        for v in feature.values:
            if not -(1 << 63) <= int(v) < 1 << 63:
                raise ValueError(f"{v} does not fit in an int64")
            _put_varint(packed, int(v))
        if packed:
            _put_length(inner, 1, packed)
        field = 3
    elif feature.kind is None:
        return b""
    else:
        raise ValueError(f"unknown feature kind {feature.kind!r}")
    out = bytearray()
    _put_length(out, field, inner)
    return bytes(out)


def encode_example(features):
    """Serialize ``{name: value}`` as a tf.train.Example.

    A value is a ``Feature(kind, values)`` or plain values whose kind is
    inferred: bytes/str → BytesList, int → Int64List, float → FloatList (a
    single value or a list). Entries are written sorted by name, so the bytes
    are deterministic.
    """
    entries = bytearray()
    for name in sorted(features):
        entry = bytearray()
        _put_length(entry, 1, name.encode("utf-8"))
        _put_length(entry, 2, encode_feature(_as_feature(name, features[name])))
        _put_length(entries, 1, entry)
    out = bytearray()
    _put_length(out, 1, entries)
    return bytes(out)
