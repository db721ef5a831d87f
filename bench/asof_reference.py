#!/usr/bin/python3
"""asof_reference.py FEATURES_CSV SPINE_CSV OUT_CSV [--ttl SECONDS]

The point-in-time join of features_bench.sh written the obvious way, in plain Python,
for small inputs (gen_features --entities 100 --events 20 --spine 2000): the reference
the other implementations are checked against.

For each spine row, among the rows of its customer with event_timestamp <= t: the one
with the largest (event_timestamp, created_timestamp), if its event_timestamp >=
t - TTL; its f1..f5 as read (text), else five empty fields.
"""
import argparse
import csv
from collections import defaultdict


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("features_csv")
    parser.add_argument("spine_csv")
    parser.add_argument("out_csv")
    parser.add_argument("--ttl", type=int, default=30 * 86400)
    args = parser.parse_args()

    rows = defaultdict(list)
    with open(args.features_csv, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        values = header[3:]
        for r in reader:
            rows[r[0]].append((int(r[1]), int(r[2]), r[3:]))
    with open(args.spine_csv, newline="") as f, open(args.out_csv, "w", newline="") as out:
        reader = csv.reader(f)
        writer = csv.writer(out, lineterminator="\n")
        spine_header = next(reader)
        writer.writerow(spine_header + values)
        for s in reader:
            t = int(s[1])
            eligible = [r for r in rows.get(s[0], []) if r[0] <= t]
            best = max(eligible, key=lambda r: (r[0], r[1]), default=None)
            if best is None or best[0] < t - args.ttl:
                writer.writerow(s + [""] * len(values))
            else:
                writer.writerow(s + best[2])


if __name__ == "__main__":
    main()
