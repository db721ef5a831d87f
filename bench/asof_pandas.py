#!/usr/bin/python3
"""asof_pandas.py FEATURES_CSV SPINE_CSV OUT_CSV [--ttl SECONDS]

The historical-retrieval benchmark's point-in-time join in pandas (features_bench.sh),
with merge_asof. Run it with Debian's /usr/bin/python3 and python3-pandas
(scripts/install-deps.sh).

For each spine row (customer_id, event_timestamp, ...): the feature row of that
customer with the largest event_timestamp <= the spine's, ties on event_timestamp
broken by the largest created_timestamp, used only if its event_timestamp >= the
spine's - TTL (both bounds inclusive); otherwise f1..f5 are empty. Writes the spine's
columns in the spine's order, then f1..f5.

Prints `version pandas X.Y.Z`, `load S` (both CSVs into DataFrames) and `join+write S`
(sort, merge_asof, gather the features in the spine's order, to_csv). Timestamps are
integer epoch seconds.
"""
import argparse
import sys
import time

import numpy as np
import pandas as pd

FEATURES = ["f1", "f2", "f3", "f4", "f5"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("features_csv")
    parser.add_argument("spine_csv")
    parser.add_argument("out_csv")
    parser.add_argument("--ttl", type=int, default=30 * 86400, help="seconds (30 days)")
    args = parser.parse_args()

    print(f"version pandas {pd.__version__}", flush=True)
    t0 = time.perf_counter()
    feats = pd.read_csv(
        args.features_csv,
        dtype={"customer_id": np.int64, "event_timestamp": np.int64,
               "created_timestamp": np.int64, **{f: np.float64 for f in FEATURES}},
        engine="c")
    spine = pd.read_csv(
        args.spine_csv,
        dtype={"customer_id": np.int64, "event_timestamp": np.int64, "label": np.int64},
        engine="c")
    print(f"load {time.perf_counter() - t0:.3f}", flush=True)

    t0 = time.perf_counter()
    # merge_asof wants both sides sorted by time. Sorting the feature rows by (event,
    # created) also breaks ties: looking backward, merge_asof takes the last right row
    # at or before the spine's time within a customer (pandas' asof_join_backward keeps
    # the last position it passed), so of rows with equal event times the one created
    # last wins. The right side is slim (customer, time, row number); the features of
    # the matched rows are gathered afterwards, 1M rows instead of 10M.
    order = np.lexsort((feats["created_timestamp"].to_numpy(),
                        feats["event_timestamp"].to_numpy()))
    right = pd.DataFrame({
        "customer_id": feats["customer_id"].to_numpy()[order],
        "event_timestamp": feats["event_timestamp"].to_numpy()[order],
        "row": order.astype(np.int64),
    })
    left = spine[["customer_id", "event_timestamp"]].assign(position=np.arange(len(spine)))
    left = left.sort_values("event_timestamp", kind="stable")
    joined = pd.merge_asof(left, right, on="event_timestamp", by="customer_id",
                           direction="backward", allow_exact_matches=True,
                           tolerance=args.ttl)  # inclusive: t - event <= ttl
    # Back to the spine's order; rows with no match (or past the TTL) have row NaN.
    row = np.empty(len(spine))
    row[joined["position"].to_numpy()] = joined["row"].to_numpy()
    found = ~np.isnan(row)
    rows = row[found].astype(np.int64)
    out = spine.copy()
    for f in FEATURES:
        column = np.full(len(spine), np.nan)
        column[found] = feats[f].to_numpy()[rows]
        out[f] = column
    out.to_csv(args.out_csv, index=False)
    print(f"join+write {time.perf_counter() - t0:.3f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
