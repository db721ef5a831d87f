"""The client's own CSV writer equals pandas' to_csv."""

import numpy as np
import pandas as pd

from strata import _frames


def test_int_csv_equals_to_csv():
    rng = np.random.default_rng(16)
    print("seed 16")
    samples = [
        np.array([0, -1, 1, 9, 10, -10, 99, 100, 2 ** 32 - 1, 2 ** 32, -(2 ** 32),
                  -9223372036854775807, 9223372036854775807, 10 ** 18, 10 ** 18 - 1]),
        rng.integers(-10 ** 12, 10 ** 12, 10_000),
        rng.integers(0, 100, 1000),
        np.array([5]),
        np.array([], dtype=np.int64),
    ]
    for v in samples:
        df = pd.DataFrame({"customer_id": v, "event_timestamp": v[::-1].copy()})
        expected = df.to_csv(index=False, lineterminator="\n").encode()
        assert _frames.int_csv(list(df.columns), [df[c].to_numpy() for c in df]) == expected
        assert _frames.frame_to_csv(df)[0] == expected
    # int64's minimum has no absolute value in int64: pandas writes that frame.
    df = pd.DataFrame({"a": np.array([np.iinfo(np.int64).min, 3])})
    assert _frames.frame_to_csv(df)[0] == df.to_csv(index=False).encode()


def test_datetimes_go_as_ns_or_rfc3339():
    t = pd.to_datetime(["2024-01-04T00:00:00Z", "2024-01-04T00:00:00.5Z"], utc=True)
    df = pd.DataFrame({"k": [1, 2], "event_timestamp": t})
    assert _frames.frame_to_csv(df, ns=True) == (
        b"k,event_timestamp\n1,1704326400000\n2,1704326400500\n", "ms")
    assert _frames.frame_to_csv(df.iloc[:1], ns=True) == (
        b"k,event_timestamp\n1,1704326400\n", "s")
    odd = pd.DataFrame({"event_timestamp": t + pd.Timedelta(1, "ns"), "k": [1, 2]})
    assert _frames.frame_to_csv(odd, ns=True) == (
        b"event_timestamp,k\n1704326400000000001,1\n1704326400500000001,2\n", "ns")
    assert _frames.frame_to_csv(df) == (
        b"k,event_timestamp\n1,2024-01-04T00:00:00.000000Z\n2,2024-01-04T00:00:00.500000Z\n",
        None)
    naive = pd.DataFrame({"event_timestamp": pd.to_datetime(["2024-01-04"])})
    assert _frames.frame_to_csv(naive)[0] == b"event_timestamp\n2024-01-04T00:00:00Z\n"
