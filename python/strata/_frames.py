"""DataFrames to and from strata's CSV and JSON, typed from feature declarations."""

from __future__ import annotations

import datetime as _dt
import io
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pandas as pd

# Declared type -> the dtype pandas reads it as (timestamps are parsed after).
DTYPES = {
    "int64": "Int64",
    "double": "float64",
    "bool": "boolean",
    "string": object,
    "bytes": object,
    "timestamp": object,
}


def is_datetime(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(series.dtype)


def epoch_ns(series: pd.Series) -> pd.Series:
    """A datetime column as int64 nanoseconds since the epoch (naive means UTC)."""
    if series.isna().any():
        raise ValueError(f"column {series.name!r} has a missing timestamp")
    s = series
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s.astype("datetime64[ns]").astype(np.int64)


def rfc3339(series: pd.Series) -> pd.Series:
    """A datetime column as RFC 3339 text in UTC (microseconds when not whole seconds)."""
    if series.isna().any():
        raise ValueError(f"column {series.name!r} has a missing timestamp")
    values = epoch_ns(series).to_numpy().astype("datetime64[ns]")
    whole = bool((values.astype(np.int64) % 1_000_000_000 == 0).all())
    text = np.datetime_as_string(values, unit="s" if whole else "us")
    return pd.Series(np.char.add(text, "Z"), index=series.index)


_POW10 = np.array([10 ** k for k in range(19)], dtype=np.int64)


def int_csv(names: List[str], columns: List[np.ndarray]) -> bytes:
    """CSV of int64 columns, equal to pandas' to_csv(index=False), made by numpy.

    pandas formats each value in Python (0.7 s for 1M rows x 2 columns). Here each
    column's digits go right-aligned into a byte matrix, a digit position per pass,
    and a mask keeps the bytes of each value: ~0.1 s.
    """
    n = len(columns[0])
    header = (",".join(names) + "\n").encode()
    if n == 0:
        return header
    plan = []
    for v in columns:
        a = np.abs(v)
        digits = np.searchsorted(_POW10, a, side="right")
        digits[a == 0] = 1
        neg = v < 0
        plan.append((a, digits, neg, int(digits.max()) + bool(neg.any())))
    total = sum(w + 1 for *_, w in plan)
    m = np.empty((n, total), dtype=np.uint8)
    keep = np.zeros((n, total), dtype=bool)
    rows = np.arange(n)
    o = 0
    for i, (a, digits, neg, w) in enumerate(plan):
        # Narrower integers divide faster; a copy either way (a is divided in place).
        a = a.astype(np.uint32) if a.max() < 2 ** 32 else a.astype(np.uint64)
        for d in range(w - bool(neg.any())):
            col = o + w - 1 - d
            m[:, col] = 48 + a % 10
            a //= 10
            keep[:, col] = digits > d
        if neg.any():
            at = o + w - 1 - digits[neg]
            m[rows[neg], at] = ord("-")
            keep[rows[neg], at] = True
        m[:, o + w] = ord("\n") if i == len(plan) - 1 else ord(",")
        keep[:, o + w] = True
        o += w + 1
    return header + m[keep].tobytes()


_UNITS = (("s", 10 ** 9), ("ms", 10 ** 6), ("us", 10 ** 3), ("ns", 1))


def frame_to_csv(df: pd.DataFrame, ns: bool = False) -> Tuple[bytes, Optional[str]]:
    """`df` as CSV bytes for ingest or a spine, and the unit of its integer timestamps.

    With `ns` (the fast form, for a spine that is not stored), datetime columns go as
    integers in the coarsest unit that holds them exactly (s for whole seconds: 10
    digits to write and parse rather than 19), and that unit is returned; otherwise
    as RFC 3339 text (what a stored file should hold: it reads without a unit), and
    the unit is None.
    """
    out = {}
    epochs = {}
    for name in df.columns:
        col = df[name]
        if is_datetime(col):
            if ns:
                epochs[name] = epoch_ns(col)
            else:
                out[name] = rfc3339(col)
        elif pd.api.types.is_bool_dtype(col.dtype):
            out[name] = col.map({True: "true", False: "false"})
        else:
            out[name] = col
    unit = None
    if epochs:
        for unit, scale in _UNITS:
            if all((e.to_numpy() % scale == 0).all() for e in epochs.values()):
                break
        for name, e in epochs.items():
            out[name] = e // scale
        out = {name: out[name] for name in df.columns}
    if out and all(isinstance(c, pd.Series) and c.dtype == np.int64
                   and not (c == np.iinfo(np.int64).min).any() for c in out.values()):
        return int_csv([str(k) for k in out], [c.to_numpy() for c in out.values()]), unit
    frame = pd.DataFrame(out, index=df.index)
    return frame.to_csv(index=False, lineterminator="\n").encode(), unit


_PLAIN = (int, str, float, bool, type(None))


def values_to_json(values: Any) -> List[Any]:
    """Entity values as JSON values; a list of plain ints and strings as it is."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iub":
        return values.tolist()
    if isinstance(values, (list, tuple)) and all(type(v) in _PLAIN for v in values):
        return list(values)
    if isinstance(values, pd.Series):
        return column_to_json(values)
    return [_json_value(v) for v in values]


def _json_value(v: Any) -> Any:
    """One value of a list as JSON: a timestamp as RFC 3339 UTC, NaN/NaT as None."""
    if v is None or type(v) in _PLAIN and not (isinstance(v, float) and v != v):
        return v
    if isinstance(v, (pd.Timestamp, _dt.datetime, np.datetime64)):
        t = pd.Timestamp(v)
        if t is pd.NaT:
            return None
        t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
        return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v != v or v is pd.NA:
        return None
    return v


def column_to_json(col: pd.Series) -> List[Any]:
    """A column as JSON values: None for missing, RFC 3339 for timestamps."""
    if is_datetime(col):
        s = col
        if getattr(s.dt, "tz", None) is None:
            s = s.dt.tz_localize("UTC")
        s = s.dt.tz_convert("UTC")
        return [None if pd.isna(v) else v.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for v in s]
    values = col.astype(object).where(col.notna(), None).tolist()
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def read_typed_csv(stream: Any, types: Dict[str, str], usecols=None) -> pd.DataFrame:
    """Reads strata's CSV with pandas' C parser, typing the declared columns."""
    dtype = {name: DTYPES.get(t, object) for name, t in types.items()}
    df = pd.read_csv(stream, dtype=dtype, usecols=usecols, keep_default_na=False,
                     na_values=[""], true_values=["true"], false_values=["false"],
                     engine="c")
    for name, t in types.items():
        if name in df.columns:
            if t == "timestamp":
                df[name] = pd.to_datetime(df[name], utc=True)
            elif t in ("string", "bytes"):
                df[name] = df[name].astype(object).where(df[name].notna(), None)
    return df


def typed_column(values: List[Any], t: str) -> pd.Series:
    """A JSON column (an online answer's values) as a Series of the declared type."""
    if t == "timestamp":
        return pd.to_datetime(pd.Series(values, dtype=object), utc=True)
    if t == "double":
        return pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    return pd.Series(values, dtype=DTYPES.get(t, object))


def empty_csv_frame(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data))
