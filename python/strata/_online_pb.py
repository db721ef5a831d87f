"""The protobuf answer of an online lookup (api/online.proto), decoded.

GetOnlineFeaturesResponse {repeated string feature_names = 1; repeated FeatureVector
results = 2}; FeatureVector {ValueType type = 1; repeated FieldStatus statuses = 2;
repeated sfixed64 event_timestamps = 3; int64_values = 4; double_values = 5;
string_values = 6; bool_values = 7; bytes_values = 8; sfixed64 timestamp_values = 9}.
Packed arrays of fixed width are read whole with struct.unpack, not value by value:
for 100 entities x 50 doubles this is ~5x faster than parsing the JSON answer.
"""

from __future__ import annotations

import base64
import datetime as _dt
import math
import struct
from typing import Any, Dict, List, Tuple

STATUS = {1: "PRESENT", 2: "NULL_VALUE", 3: "NOT_FOUND", 4: "OUTSIDE_MAX_AGE"}
TYPES = {1: "int64", 2: "double", 3: "string", 4: "bool", 5: "bytes", 6: "timestamp"}
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _varint(buf: memoryview, i: int) -> Tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def _varints(buf: bytes) -> List[int]:
    if not buf:
        return []
    if max(buf) < 0x80:  # every value one byte: statuses, bools, small ints
        return list(buf)
    out, i, n = [], 0, len(buf)
    while i < n:
        v, i = _varint(buf, i)
        out.append(v)
    return out


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


class Column:
    """One name's answer: its type, statuses, event times (us) and values.

    The event times are kept packed and decoded when first read: most callers
    never read them, and unpacking them is a fifth of decoding an answer.
    """

    __slots__ = ("type", "statuses", "_event_packed", "_event_us", "values")

    def __init__(self) -> None:
        self.type = 0
        self.statuses: List[int] = []
        self._event_packed: List[bytes] = []
        self._event_us: Any = None
        self.values: Any = []

    @property
    def event_us(self) -> List[int]:
        """Each value's event time, in microseconds since the epoch."""
        if self._event_us is None:
            raw = b"".join(self._event_packed)
            self._event_us = list(struct.unpack(f"<{len(raw) // 8}q", raw))
        return self._event_us


def decode(body: bytes) -> Tuple[List[str], List[Column]]:
    """feature_names and one Column per name from a GetOnlineFeaturesResponse.

    A loop over the fields rather than a general decoder: a column is a handful of
    fields, and the packed arrays are read whole with struct.
    """
    names: List[str] = []
    columns: List[Column] = []
    i, n = 0, len(body)
    while i < n:
        key, i = _varint(body, i)
        if key & 7 != 2:
            raise ValueError(f"protobuf: field {key >> 3} has wire type {key & 7}")
        size, i = _varint(body, i)
        if key >> 3 == 1:
            names.append(body[i:i + size].decode())
        elif key >> 3 == 2:
            columns.append(_vector(body, i, i + size))
        i += size
    return names, columns


def _vector(buf: bytes, i: int, end: int) -> Column:
    c = Column()
    fixed: List[bytes] = []
    ints: List[int] = []
    strings: List[bytes] = []
    while i < end:
        key = buf[i]  # every key of FeatureVector is one byte
        i += 1
        field, wire = key >> 3, key & 7
        if wire == 0:
            v = buf[i]
            if v < 0x80:
                i += 1
            else:
                v, i = _varint(buf, i)
            if field == 1:
                c.type = v
            elif field == 2:
                c.statuses.append(v)
            elif field in (4, 7):
                ints.append(v)
            continue
        if wire == 1:  # one unpacked fixed64
            size = 8
        elif wire == 2:
            size = buf[i]
            if size < 0x80:
                i += 1
            else:
                size, i = _varint(buf, i)
        elif wire == 5:
            size = 4
        else:
            raise ValueError(f"protobuf: wire type {wire} of field {field}")
        v = buf[i:i + size]
        i += size
        if field == 2:
            c.statuses.extend(_varints(v))
        elif field == 3:
            c._event_packed.append(v)
        elif field in (4, 7):
            ints.extend(_varints(v))
        elif field in (5, 9):
            fixed.append(v)
        elif field in (6, 8):
            strings.append(v)
    if c.type in (2, 6):
        raw = b"".join(fixed)
        c.values = list(struct.unpack(f"<{len(raw) // 8}{'d' if c.type == 2 else 'q'}", raw))
    elif c.type == 1:
        c.values = [_signed(x) for x in ints]
    elif c.type == 4:
        c.values = [bool(x) for x in ints]
    elif c.type == 3:
        c.values = [x.decode() for x in strings]
    else:
        c.values = strings
    return c


def rfc3339(us: int) -> str:
    """As the server writes times (features/values.cc FormatTimestamp)."""
    t = _EPOCH + _dt.timedelta(microseconds=int(us))
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{t.microsecond:06d}Z" if t.microsecond else "Z")


def json_values(c: Column) -> List[Any]:
    """The values as the JSON answer gives them: null where not PRESENT."""
    present = [s == 1 for s in c.statuses]
    if c.type == 2:
        vals = [x if math.isfinite(x) else None for x in c.values]
    elif c.type == 6:
        vals = [rfc3339(x) for x in c.values]
    elif c.type == 5:
        vals = [base64.b64encode(x).decode() for x in c.values]
    else:
        vals = list(c.values)
    return [v if p else None for v, p in zip(vals, present)]


def as_json(names: List[str], columns: List[Column]) -> Dict[str, Any]:
    """The answer in the JSON route's shape."""
    return {"metadata": {"feature_names": list(names)},
            "results": [{"values": json_values(c),
                         "statuses": [STATUS.get(s, "INVALID") for s in c.statuses],
                         "event_timestamps": [rfc3339(x) for x in c.event_us]}
                        for c in columns]}
